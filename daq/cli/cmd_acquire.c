/* caldaq acquire: read an instrument at a list of test points into a run
 * file, with no prompts. The building block of sessions: every reading is
 * stored (unstable and zero readings included), the raw conversation is
 * recorded, and every finished point is safe on disk. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "drv.h"
#include "prof.h"
#include "run.h"
#include "session.h"
#include "cd_i18n.h"


static const char usage_text[] = N_(
    "usage: caldaq acquire --driver NAME --port PORT --points LIST [--repeat N] [--stable]\n"
    "                      [--out DIR] [--operator NAME] [--lab LAB.yaml|NAME] [--serial S]\n"
    "                      [--set KEY=VALUE]... [--sim-control PATH] [--env T,RH[,P]]\n"
    "       caldaq acquire --driver NAME --port PORT --profile P [--standards REG] ...\n"
    "\n"
    "Read an instrument at each test point of LIST (nominal loads or set-points, e.g.\n"
    "0,100,200) --repeat times (default 3) into a new run file in DIR (default .),\n"
    "with no prompts. Every reading is stored, the raw conversation is recorded in\n"
    "the run, and each finished point is written to disk before the next begins, so\n"
    "a run killed at any moment keeps every finished point. Ctrl-C ends the run as\n"
    "'aborted'.\n"
    "\n"
    "  --profile P          walk the test plan of profile P instead of --points (each\n"
    "                       point with its own repetitions); the run stores the profile\n"
    "                       and the reference standards it names, which must be in date\n"
    "                       today (caldaq analyze then computes the results)\n"
    "  --standards REG      the standards register (default: the profile's)\n"
    "  --lab LAB.yaml       the lab: its name in the run, its time_zone for the due\n"
    "                       dates (default Asia/Ho_Chi_Minh); --lab NAME a name only\n"
    "  --stable             wait for a stable reading each time\n"
    "  --sim-control PATH   before each point, ask the simulator listening on the\n"
    "                       control socket PATH to present the load (caldaq sim --control)\n"
    "  --set KEY=VALUE      a driver option (docs/drivers.md), e.g. preset=keller\n"
    "  --env T,RH[,P]       environmental conditions (degC, %RH, hPa), recorded at the\n"
    "                       start and the end; without it the run says 'not measured'\n");

#define MAX_POINTS 256
#define MAX_OPTS 32


struct acquire_args {
    const char *driver, *port, *serial, *out_dir, *operator_name, *lab, *sim_control;
    const char *profile_path, *standards_path;
    struct cli_lab lab_opt;
    double env[3];              /* temp_c, rh_pct, p_hpa; NAN when not given */
    bool have_env;
    double points[MAX_POINTS];
    int n_points;
    unsigned long long repeat;
    bool stable;
    const char *opts[MAX_OPTS + 1];
    int n_opts;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static int parse_points(const char *text, struct acquire_args *a)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", text);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        if (a->n_points == MAX_POINTS || cli_parse_double(tok, &a->points[a->n_points]) != 0)
            return -1;
        a->n_points++;
    }
    return a->n_points > 0 ? 0 : -1;
}

static int parse_args(int argc, char **argv, struct acquire_args *a)
{
    static const struct option opts[] = {
        {"driver", required_argument, NULL, 'd'},   {"port", required_argument, NULL, 'p'},
        {"serial", required_argument, NULL, 's'},   {"points", required_argument, NULL, 'P'},
        {"repeat", required_argument, NULL, 'n'},   {"stable", no_argument, NULL, 'S'},
        {"out", required_argument, NULL, 'o'},      {"operator", required_argument, NULL, 'u'},
        {"lab", required_argument, NULL, 'l'},      {"set", required_argument, NULL, 'x'},
        {"sim-control", required_argument, NULL, 'c'}, {"env", required_argument, NULL, 'e'},
        {"profile", required_argument, NULL, 'f'},  {"standards", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof *a);
    a->repeat = 3;
    a->out_dir = ".";
    a->env[0] = a->env[1] = a->env[2] = NAN;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': a->driver = optarg; break;
        case 'p': a->port = optarg; break;
        case 's': a->serial = optarg; break;
        case 'o': a->out_dir = optarg; break;
        case 'u': a->operator_name = optarg; break;
        case 'l':
            if (cli_lab_option("acquire", optarg, &a->lab_opt) != 0)
                return 1;
            a->lab = a->lab_opt.name;
            break;
        case 'c': a->sim_control = optarg; break;
        case 'f': a->profile_path = optarg; break;
        case 'r': a->standards_path = optarg; break;
        case 'S': a->stable = true; break;
        case 'e':
            if (cli_env_option("acquire", optarg, a->env) != 0)
                return 2;
            a->have_env = true;
            break;
        case 'P':
            if (parse_points(optarg, a) != 0)
                return cli_usage_error("acquire", _("--points takes numbers such as 0,100,200 "
                                                  "(at most %d), not '%s'"),
                                       MAX_POINTS, optarg);
            break;
        case 'n':
            if (cli_parse_size(optarg, &a->repeat) != 0 || a->repeat == 0 || a->repeat > 10000)
                return cli_usage_error("acquire", _("--repeat takes 1 to 10000, not '%s'"), optarg);
            break;
        case 'x':
            if (strchr(optarg, '=') == NULL || a->n_opts == MAX_OPTS)
                return cli_usage_error("acquire", _("--set takes KEY=VALUE, not '%s'"), optarg);
            a->opts[a->n_opts++] = optarg;
            break;
        case 'h': fputs(_(usage_text), stdout); return -1;
        case ':':
        default: return cli_option_error("acquire", c, argv);
        }
    }
    if (optind != argc)
        return cli_usage_error("acquire", _("unexpected argument '%s'"), argv[optind]);
    if (a->profile_path != NULL && a->n_points > 0)
        return cli_usage_error("acquire", _("--points and --profile exclude each other"));
    if (a->standards_path != NULL && a->profile_path == NULL)
        return cli_usage_error("acquire", _("--standards goes with --profile"));
    if (a->driver == NULL || a->port == NULL || (a->n_points == 0 && a->profile_path == NULL))
        return cli_usage_error("acquire", _("--driver, --port and --points (or --profile) are "
                                          "required"));
    return 0;
}

static void on_point(void *ctx, size_t point, double nominal, unsigned long long readings)
{
    (void)ctx;
    printf(_("point %zu (%.10g): %llu readings saved\n"), point, nominal, readings);
    fflush(stdout);
}

int cmd_acquire(int argc, char **argv)
{
    struct acquire_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    if (cli_out_dir("acquire", a.out_dir) != 0)
        return 1;
    struct ses_acquire job = {
        .driver = a.driver, .port = a.port, .serial = a.serial, .opts = a.opts,
        .n_opts = (size_t)a.n_opts, .out_dir = a.out_dir, .operator_name = a.operator_name,
        .lab = a.lab, .today = a.lab_opt.today[0] != '\0' ? a.lab_opt.today : NULL,
        .sim_control = a.sim_control, .profile_path = a.profile_path,
        .standards_path = a.standards_path, .points = a.points, .n_points = (size_t)a.n_points,
        .repeat = a.repeat, .stable = a.stable, .have_env = a.have_env,
        .interrupted = &interrupted, .on_point = on_point,
    };
    memcpy(job.env, a.env, sizeof job.env);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    struct cd_err err = {0};
    struct ses_acquire_result res;
    int status = 0;
    if (ses_acquire_run(&job, &res, &err) != 0)
        status = cli_error("acquire", "%s", cd_err_text(&err));
    /* A full disk fails the checkpoint and then the close the same way:
     * one message is enough. */
    if (res.close_err.code != 0 && strcmp(res.close_err.msg, err.msg) != 0)
        status = cli_error("acquire", "%s", cd_err_text(&res.close_err));
    if (res.created)
        printf("%s (%s)\n", res.path, res.end);
    return status;
}
