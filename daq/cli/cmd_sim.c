/* caldaq sim: a simulated instrument on a pseudo-terminal or a loopback TCP
 * port, or a recorded trace played back as the instrument. The simulators
 * themselves live in drivers/sim/ (docs/simulators.md). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "drv.h"
#include "cd_i18n.h"

static const char usage_text[] = N_(
    "usage: caldaq sim DRIVER [--port-link PATH | --tcp PORT] [--loads LIST] [--noise SD]\n"
    "                  [--resolution D] [--drift D] [--settle S] [--advance S] [--unit U]\n"
    "                  [--capacity C] [--seed S] [--fault KIND=N ...] [--set KEY=VALUE ...]\n"
    "                  [--control PATH]\n"
    "       caldaq sim --trace FILE [--port-link PATH | --tcp PORT] [--speed X | --fast]\n"
    "\n"
    "A simulated instrument: DRIVER is mtsics, sbi, aandd, scpi, modbus, fluke-ttr,\n"
    "fluke-1529, millik, toledo-cont or xk3190 (the last two stream continuously), or a\n"
    "source: pace (use --tcp) or bath (docs/sources.md).\n"
    "On a pseudo-terminal (the default) it prints the device path to open, or makes the\n"
    "symlink PATH to it; with --tcp it listens on 127.0.0.1:PORT (0: any free port,\n"
    "printed) and serves one connection after another. With --trace it plays a\n"
    "recorded trace as the instrument instead, once, and exits 1 if the host\n"
    "diverges from it. SIGINT or SIGTERM end it (and remove the symlink).\n"
    "\n"
    "  --port-link PATH   a symlink at PATH to the pseudo-terminal\n"
    "  --tcp PORT         listen on 127.0.0.1:PORT instead\n"
    "  --loads LIST       the script of loads / set-points, e.g. 0,100,200,500\n"
    "  --noise SD         Gaussian noise, standard deviation in the unit\n"
    "  --resolution D     display resolution; readings are rounded to it\n"
    "  --drift D          drift of the indication per second\n"
    "  --settle S         seconds a load change takes to become stable\n"
    "  --advance S        move to the next load every S seconds (0: by control only)\n"
    "  --unit U           unit shown (g, kg, V, bar, ...)\n"
    "  --capacity C       above it: overload (0: none); negative loads: underload\n"
    "  --seed S           random seed (the same seed gives the same noise)\n"
    "  --fault KIND=N     garbage=N, truncate=N, error=N (every Nth reply/request),\n"
    "                     delay=MS, silent=N, disconnect=N (after N requests); the\n"
    "                     long names (garbage_every, ...) and a protocol's own faults\n"
    "                     (modbus: exception_every, bad_crc_every) work too\n"
    "  --set KEY=VALUE    any simulator option (docs/simulators.md), e.g. sbi_format=22\n"
    "  --control PATH     take control commands on a unix socket at PATH instead of stdin\n"
    "  --trace FILE       play FILE (a caldaq trace) as the instrument\n"
    "  --speed X          trace delays divided by X (default 1)\n"
    "  --fast             no trace delays\n"
    "\n"
    "Control commands, one a line on stdin (answered on stdout, after the device path\n"
    "or port) or on the --control socket (answered there): next, prev, load VALUE,\n"
    "settle, status, set KEY=VALUE, fault KIND=N, help, quit. With --tcp they are read\n"
    "while a connection is being served. Options and formats: docs/simulators.md.\n");

#define MAX_OPTS 64

struct sim_args {
    const char *driver;
    const char *link;
    int tcp_port;           /* -1: pty */
    const char *control;
    const char *trace;
    double speed;
    bool fast;
    bool sim_opts;          /* options only a simulator takes were given */
    char *opts[MAX_OPTS + 1];
    size_t n_opts;
};

static void args_free(struct sim_args *a)
{
    for (size_t i = 0; i < a->n_opts; i++)
        free(a->opts[i]);
    a->n_opts = 0;
}

static int add_opt(struct sim_args *a, const char *key, const char *value)
{
    if (a->n_opts == MAX_OPTS)
        return cli_usage_error("sim", _("too many options"));
    size_t len = strlen(key) + 1 + strlen(value) + 1;
    char *kv = malloc(len);
    if (kv == NULL)
        return cli_error("sim", _("out of memory"));
    snprintf(kv, len, "%s=%s", key, value);
    a->opts[a->n_opts++] = kv;
    a->opts[a->n_opts] = NULL;
    a->sim_opts = true;
    return 0;
}

/* --fault KIND=N: short names for the core's faults. */
static int add_fault(struct sim_args *a, const char *arg)
{
    static const char *const names[][2] = {
        {"garbage", "garbage_every"}, {"truncate", "truncate_every"},
        {"delay", "delay_ms"},        {"silent", "silent_after"},
        {"disconnect", "disconnect_after"}, {"error", "error_every"},
    };
    const char *eq = strchr(arg, '=');
    if (eq == NULL || eq == arg || eq[1] == '\0')
        return cli_usage_error("sim", _("--fault takes KIND=N, not '%s'"), arg);
    char kind[64];
    snprintf(kind, sizeof kind, "%.*s", (int)(eq - arg), arg);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(kind, names[i][0]) == 0)
            return add_opt(a, names[i][1], eq + 1);
    return add_opt(a, kind, eq + 1);
}

static int parse_args(int argc, char **argv, struct sim_args *a)
{
    static const struct option opts[] = {
        {"port-link", required_argument, NULL, 'L'}, {"tcp", required_argument, NULL, 'P'},
        {"loads", required_argument, NULL, 'l'},     {"noise", required_argument, NULL, 'n'},
        {"resolution", required_argument, NULL, 'r'}, {"drift", required_argument, NULL, 'd'},
        {"settle", required_argument, NULL, 's'},    {"advance", required_argument, NULL, 'a'},
        {"unit", required_argument, NULL, 'u'},      {"capacity", required_argument, NULL, 'c'},
        {"seed", required_argument, NULL, 'S'},      {"fault", required_argument, NULL, 'f'},
        {"set", required_argument, NULL, 'o'},       {"control", required_argument, NULL, 'C'},
        {"trace", required_argument, NULL, 't'},     {"speed", required_argument, NULL, 'x'},
        {"fast", no_argument, NULL, 'F'},            {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    /* getopt option -> simulator option key */
    static const struct {
        int c;
        const char *key;
    } plain[] = {
        {'l', "loads"},    {'n', "noise"},    {'r', "resolution"}, {'d', "drift_per_s"},
        {'s', "settle_s"}, {'a', "advance_s"}, {'u', "unit"},      {'c', "capacity"},
        {'S', "seed"},
    };
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        unsigned long long v;
        int rc = 0;
        bool done = false;
        for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
            if (plain[i].c == c) {
                rc = add_opt(a, plain[i].key, optarg);
                done = true;
            }
        }
        if (done) {
            if (rc != 0)
                return rc;
            continue;
        }
        switch (c) {
        case 'L':
            a->link = optarg;
            break;
        case 'P':
            if (cli_parse_size(optarg, &v) != 0 || v > 65535)
                return cli_usage_error("sim", _("--tcp takes a port 0-65535, not '%s'"), optarg);
            a->tcp_port = (int)v;
            break;
        case 'f':
            rc = add_fault(a, optarg);
            break;
        case 'o':
            if (strchr(optarg, '=') == NULL || optarg[0] == '=')
                return cli_usage_error("sim", _("--set takes KEY=VALUE, not '%s'"), optarg);
            if (a->n_opts == MAX_OPTS)
                return cli_usage_error("sim", _("too many options"));
            a->opts[a->n_opts] = strdup(optarg);
            if (a->opts[a->n_opts] == NULL)
                return cli_error("sim", _("out of memory"));
            a->opts[++a->n_opts] = NULL;
            a->sim_opts = true;
            break;
        case 'C':
            a->control = optarg;
            a->sim_opts = true;
            break;
        case 't':
            a->trace = optarg;
            break;
        case 'x':
            if (cli_parse_double(optarg, &a->speed) != 0 || !(a->speed > 0))
                return cli_usage_error("sim", _("--speed takes a positive number, not '%s'"),
                                       optarg);
            break;
        case 'F':
            a->fast = true;
            break;
        case 'h':
            fputs(_(usage_text), stdout);
            return -1;
        case ':':
        default: return cli_option_error("sim", c, argv);
        }
        if (rc != 0)
            return rc;
    }
    if (a->link != NULL && a->tcp_port >= 0)
        return cli_usage_error("sim", _("give --port-link or --tcp, not both"));
    if (a->trace != NULL) {
        if (optind != argc)
            return cli_usage_error("sim", _("--trace plays a trace: no DRIVER ('%s')"), argv[optind]);
        if (a->sim_opts)
            return cli_usage_error("sim", _("simulator options do not apply to --trace"));
        return 0;
    }
    if (a->speed > 0 || a->fast)
        return cli_usage_error("sim", _("--speed and --fast apply to --trace only"));
    if (optind >= argc) {
        char known[256];
        drv_names_text(drv_sim_names(), known, sizeof known);
        return cli_usage_error("sim", _("no DRIVER given (one of %s), and no --trace"), known);
    }
    if (optind != argc - 1)
        return cli_usage_error("sim", _("give exactly one DRIVER"));
    a->driver = argv[optind];
    return 0;
}

/* ------------------------------------------------------------ signals */

/* SIGINT and SIGTERM are blocked in every thread and taken by sigwait in
 * one: it asks the simulator to quit (drv_sim_control "quit" is safe from
 * another thread) and wakes the accept loop through a pipe. A trace replay
 * cannot be interrupted, so then the thread removes the symlink and exits. */
struct sig_ctx {
    sigset_t set;
    drv_sim *sim;
    const char *link;       /* replay mode: remove it and exit */
    int wake[2];
    atomic_bool stop;
};

static void *signal_thread(void *arg)
{
    struct sig_ctx *c = arg;
    int sig = 0;
    if (sigwait(&c->set, &sig) != 0)
        return NULL;
    atomic_store(&c->stop, true);
    if (c->sim != NULL)
        drv_sim_control(c->sim, "quit", NULL, 0, NULL);
    ssize_t w = write(c->wake[1], "s", 1);
    (void)w;
    if (c->sim == NULL) {
        if (c->link != NULL)
            unlink(c->link);
        static const char msg[] = "caldaq sim: interrupted\n";
        w = write(STDERR_FILENO, msg, sizeof msg - 1);
        _exit(1);
    }
    return NULL;
}

static int signals_start(struct sig_ctx *c, pthread_t *th)
{
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&c->set);
    sigaddset(&c->set, SIGINT);
    sigaddset(&c->set, SIGTERM);
    sigaddset(&c->set, SIGHUP);
    atomic_init(&c->stop, false);
    if (pipe(c->wake) != 0)
        return -1;
    if (pthread_sigmask(SIG_BLOCK, &c->set, NULL) != 0)
        return -1;
    if (pthread_create(th, NULL, signal_thread, c) != 0)
        return -1;
    return 0;
}

static void signals_stop(struct sig_ctx *c, pthread_t th)
{
    pthread_cancel(th);
    pthread_join(th, NULL);
    close(c->wake[0]);
    close(c->wake[1]);
}

/* ------------------------------------------------------------ stdin relay */

/* Control commands from stdin reach the simulator through a socketpair, so
 * that the replies can be printed on stdout (stdin is often a read-only
 * pipe) and no partial line is lost between connections. */
struct relay {
    int sp[2];              /* sp[1] goes to drv_sim_serve */
    pthread_t th;
    bool running;
};

static void *relay_thread(void *arg)
{
    struct relay *r = arg;
    bool in_open = true;
    char buf[512];
    for (;;) {
        struct pollfd p[2] = {{.fd = in_open ? STDIN_FILENO : -1, .events = POLLIN},
                              {.fd = r->sp[0], .events = POLLIN}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return NULL;
        }
        if (p[0].revents != 0) {
            ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
            if (n > 0) {
                if (write(r->sp[0], buf, (size_t)n) != n)
                    return NULL;
            } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                in_open = false;   /* end of stdin: no more commands */
            }
        }
        if (p[1].revents != 0) {
            ssize_t n = read(r->sp[0], buf, sizeof buf);
            if (n <= 0)
                return NULL;
            if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
                return NULL;
            fflush(stdout);
        }
    }
}

static int relay_start(struct relay *r)
{
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, r->sp) != 0)
        return -1;
    fcntl(r->sp[0], F_SETFD, FD_CLOEXEC);
    fcntl(r->sp[1], F_SETFD, FD_CLOEXEC);
    if (pthread_create(&r->th, NULL, relay_thread, r) != 0) {
        close(r->sp[0]);
        close(r->sp[1]);
        return -1;
    }
    r->running = true;
    return 0;
}

static void relay_stop(struct relay *r)
{
    if (!r->running)
        return;
    pthread_cancel(r->th);
    pthread_join(r->th, NULL);
    close(r->sp[0]);
    close(r->sp[1]);
    r->running = false;
}

/* ------------------------------------------------------------ modes */

static void announce(void *ctx, const char *where)
{
    (void)ctx;
    printf("%s\n", where);
    fflush(stdout);
}

static int run_replay(const struct sim_args *a, struct sig_ctx *sc)
{
    struct cd_err err = {0};
    struct drv_trace *t = NULL;
    if (drv_trace_load(a->trace, &t, &err) != 0)
        return cli_error("sim", "%s", cd_err_text(&err));
    struct drv_replay_opts o = {.speed = a->speed > 0 ? a->speed : 1, .fast = a->fast,
                                .host_timeout_ms = 10000};
    struct drv_replay_stats stats;
    struct drv_sim_host h = {.link = a->link, .tcp_port = a->tcp_port, .control_fd = -1,
                             .stop_fd = sc->wake[0], .announce = announce};
    int rc = drv_replay_host_run(t, &h, &o, &stats, &err);
    drv_trace_free(t);
    if (rc != 0)
        return cli_error("sim", "%s: %s", a->trace, cd_err_text(&err));
    return 0;
}

static int run_sim(const struct sim_args *a, drv_sim *sim, struct sig_ctx *sc)
{
    struct cd_err err = {0};
    int control_fd = -1;
    struct relay relay = {.running = false};
    if (a->control != NULL) {
        control_fd = drv_sim_control_listen(a->control, &err);
        if (control_fd < 0)
            return cli_error("sim", "%s", cd_err_text(&err));
    } else if (fcntl(STDIN_FILENO, F_GETFD) >= 0) {
        if (relay_start(&relay) != 0)
            return cli_error("sim", _("cannot relay stdin: %s"), strerror(errno));
        control_fd = relay.sp[1];
    }
    struct drv_sim_host h = {.link = a->link, .tcp_port = a->tcp_port, .control_fd = control_fd,
                             .stop_fd = sc->wake[0], .announce = announce};
    int status = 0;
    if (drv_sim_host_run(sim, &h, &err) != 0)
        status = cli_error("sim", "%s", cd_err_text(&err));
    if (a->control != NULL) {
        close(control_fd);
        unlink(a->control);
    }
    relay_stop(&relay);
    return status;
}

int cmd_sim(int argc, char **argv)
{
    struct sim_args a = {.tcp_port = -1};
    int rc = parse_args(argc, argv, &a);
    if (rc != 0) {
        args_free(&a);
        return rc < 0 ? 0 : rc;
    }
    drv_sim *sim = NULL;
    if (a.driver != NULL) {
        struct cd_err err = {0};
        rc = drv_sim_new(a.driver, (const char *const *)a.opts, &sim, &err);
        if (rc == CD_ERR_NOT_FOUND || rc == CD_ERR_INVALID) {
            args_free(&a);
            return cli_usage_error("sim", "%s", cd_err_text(&err));
        }
        if (rc != 0) {
            args_free(&a);
            return cli_error("sim", "%s", cd_err_text(&err));
        }
    }
    struct sig_ctx sc = {.sim = sim, .link = a.link};
    pthread_t th;
    if (signals_start(&sc, &th) != 0) {
        drv_sim_free(sim);
        args_free(&a);
        return cli_error("sim", _("cannot set up signal handling: %s"), strerror(errno));
    }
    if (sim != NULL)
        rc = run_sim(&a, sim, &sc);
    else
        rc = run_replay(&a, &sc);
    signals_stop(&sc, th);
    drv_sim_free(sim);
    args_free(&a);
    return rc;
}
