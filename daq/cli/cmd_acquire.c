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

#ifndef CALDAQ_VERSION
#define CALDAQ_VERSION "0.1.0"
#endif

static const char usage_text[] =
    "usage: caldaq acquire --driver NAME --port PORT --points LIST [--repeat N] [--stable]\n"
    "                      [--out DIR] [--operator NAME] [--lab NAME] [--serial S]\n"
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
    "  --stable             wait for a stable reading each time\n"
    "  --sim-control PATH   before each point, ask the simulator listening on the\n"
    "                       control socket PATH to present the load (caldaq sim --control)\n"
    "  --set KEY=VALUE      a driver option (docs/drivers.md), e.g. preset=keller\n"
    "  --env T,RH[,P]       environmental conditions (degC, %RH, hPa), recorded at the\n"
    "                       start and the end; without it the run says 'not measured'\n";

#define MAX_POINTS 256
#define MAX_OPTS 32

/* One test point as acquire walks it. */
struct acq_point {
    double nominal;
    const char *role;
    unsigned long long repeat;
};

struct acquire_args {
    const char *driver, *port, *serial, *out_dir, *operator_name, *lab, *sim_control;
    const char *profile_path, *standards_path;
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
        case 'l': a->lab = optarg; break;
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
                return cli_usage_error("acquire", "--points takes numbers such as 0,100,200 "
                                                  "(at most %d), not '%s'",
                                       MAX_POINTS, optarg);
            break;
        case 'n':
            if (cli_parse_size(optarg, &a->repeat) != 0 || a->repeat == 0 || a->repeat > 10000)
                return cli_usage_error("acquire", "--repeat takes 1 to 10000, not '%s'", optarg);
            break;
        case 'x':
            if (strchr(optarg, '=') == NULL || a->n_opts == MAX_OPTS)
                return cli_usage_error("acquire", "--set takes KEY=VALUE, not '%s'", optarg);
            a->opts[a->n_opts++] = optarg;
            break;
        case 'h': fputs(usage_text, stdout); return -1;
        case ':':
        default: return cli_option_error("acquire", c, argv);
        }
    }
    if (optind != argc)
        return cli_usage_error("acquire", "unexpected argument '%s'", argv[optind]);
    if (a->profile_path != NULL && a->n_points > 0)
        return cli_usage_error("acquire", "--points and --profile exclude each other");
    if (a->standards_path != NULL && a->profile_path == NULL)
        return cli_usage_error("acquire", "--standards goes with --profile");
    if (a->driver == NULL || a->port == NULL || (a->n_points == 0 && a->profile_path == NULL))
        return cli_usage_error("acquire", "--driver, --port and --points (or --profile) are "
                                          "required");
    return 0;
}

/* The acquisition plan as stored in the run: what was asked, so the run's
 * profile hash identifies it. */
static void describe_plan(const struct acquire_args *a, char *buf, size_t cap)
{
    size_t n = (size_t)snprintf(buf, cap,
                                "# caldaq acquire plan\nprocedure: acquire\ndriver: %s\n"
                                "repeat: %llu\nstable: %s\npoints: [",
                                a->driver, a->repeat, a->stable ? "true" : "false");
    for (int i = 0; i < a->n_points && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%.10g", i ? ", " : "", a->points[i]);
    if (n < cap)
        n += (size_t)snprintf(buf + n, cap - n, "]\noptions: [");
    for (int i = 0; i < a->n_opts && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s\"%s\"", i ? ", " : "", a->opts[i]);
    if (n < cap)
        snprintf(buf + n, cap - n, "]\n");
}

static int record_env(daq_run *run, const struct acquire_args *a, const char *where,
                      struct cd_err *err)
{
    if (!a->have_env)
        return 0;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct daq_env e = {.t = (double)now.tv_sec + 1e-9 * (double)now.tv_nsec, .temp_c = a->env[0], .rh_pct = a->env[1],
                        .p_hpa = a->env[2]};
    snprintf(e.where, sizeof e.where, "%s", where);
    return daq_run_add_env(run, &e, err);
}

/* Every reading is stored: the unstable ones read while waiting for a
 * stable one too, with the point, repetition and role they belong to. */
struct on_the_way {
    daq_run *run;
    struct daq_reading template;
    int rc;
    struct cd_err err;
};

static bool store_unstable(const struct drv_reading *r, void *ctx)
{
    struct on_the_way *w = ctx;
    if (w->rc != 0)
        return false;
    struct daq_reading rd = w->template;
    rd.r = *r;
    rd.t = r->t;
    w->rc = daq_run_add_reading(w->run, &rd, &w->err);
    return w->rc == 0 && !interrupted;
}

static int acquire_points(const struct acquire_args *a, const struct acq_point *pts, size_t n,
                          drv_dev *d, daq_run *run, struct cd_err *err)
{
    for (size_t p = 0; p < n; p++) {
        if (a->sim_control != NULL && ses_present_load(a->sim_control, pts[p].nominal, err) != 0)
            return err->code;
        for (unsigned long long k = 0; k < pts[p].repeat; k++) {
            if (interrupted)
                return cd_fail(err, CD_ERR_INVALID, "interrupted");
            struct daq_reading rd = {.point = (int32_t)p, .repetition = (int32_t)k,
                                     .nominal = pts[p].nominal};
            snprintf(rd.role, sizeof rd.role, "%s", pts[p].role);
            struct on_the_way way = {.run = run, .template = rd};
            int rc = a->stable ? drv_read_stable_each(d, NULL, 30000, store_unstable, &way,
                                                      &rd.r, err)
                               : drv_read(d, &rd.r, err);
            if (rc == 0 && way.rc != 0)
                rc = cd_fail(err, way.rc, "%s", way.err.msg);
            if (rc != 0)
                return rc;
            rd.t = rd.r.t;
            if ((rc = daq_run_add_reading(run, &rd, err)) != 0)
                return rc;
        }
        char what[96];
        snprintf(what, sizeof what, "point %zu (%.10g) finished", p, pts[p].nominal);
        int rc = daq_run_audit(run, "caldaq acquire", what, err);
        if (rc == 0)
            rc = daq_run_checkpoint(run, err);
        if (rc != 0)
            return rc;
        /* Printed only once the point is safe on disk. */
        printf("point %zu (%.10g): %llu readings saved\n", p, pts[p].nominal, pts[p].repeat);
        fflush(stdout);
    }
    return 0;
}

/* The points to walk: the profile's plan, or --points with --repeat. */
static struct acq_point *plan_points(const struct acquire_args *a, const struct prof_profile *p,
                                     size_t *n)
{
    *n = p != NULL ? p->n_points : (size_t)a->n_points;
    struct acq_point *pts = calloc(*n ? *n : 1, sizeof *pts);
    for (size_t i = 0; pts != NULL && i < *n; i++) {
        if (p != NULL)
            pts[i] = (struct acq_point){p->points[i].nominal, p->points[i].role,
                                        p->points[i].repeat};
        else
            pts[i] = (struct acq_point){a->points[i], a->points[i] == 0 ? "zero" : "load",
                                        a->repeat};
    }
    return pts;
}

int cmd_acquire(int argc, char **argv)
{
    struct acquire_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    struct cd_err err = {0};
    struct daq_run_info info = {0};
    ses_now_iso(info.started, sizeof info.started);
    const char *who = a.operator_name != NULL ? a.operator_name : getenv("USER");
    snprintf(info.operator_name, sizeof info.operator_name, "%s", who != NULL ? who : "unknown");
    snprintf(info.lab, sizeof info.lab, "%s", a.lab != NULL ? a.lab : "");
    snprintf(info.profile_name, sizeof info.profile_name, "acquire");
    snprintf(info.caldaq_version, sizeof info.caldaq_version, "%s", CALDAQ_VERSION);
    char plan[8192];
    describe_plan(&a, plan, sizeof plan);
    struct prof_profile *profile = NULL;
    prof_standards *reg = NULL;
    if (a.profile_path != NULL) {
        if ((profile = prof_profile_load(a.profile_path, &err)) == NULL)
            return cli_error("acquire", "%s", cd_err_text(&err));
        if (ses_load_standards(a.standards_path, profile, NULL, &reg, &err) != 0) {
            prof_profile_free(profile);
            return cli_error("acquire", "%s", cd_err_text(&err));
        }
        snprintf(info.profile_name, sizeof info.profile_name, "%s", profile->name);
    }
    size_t n_pts = 0;
    struct acq_point *pts = plan_points(&a, profile, &n_pts);
    if (pts == NULL) {
        prof_standards_free(reg);
        prof_profile_free(profile);
        return cli_error("acquire", "out of memory");
    }

    char path[4096];
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    snprintf(path, sizeof path, "%s/run-%s-%d.h5", a.out_dir, stamp, (int)getpid());
    daq_run *run = NULL;
    rc = daq_run_create(path, &info, profile != NULL ? profile->text : plan, &run, &err);
    if (rc == 0)
        rc = ses_record_standards(run, profile, reg, &err);
    prof_standards_free(reg);
    if (rc != 0) {
        if (run != NULL)
            daq_run_close(run, "aborted", NULL);
        free(pts);
        prof_profile_free(profile);
        return cli_error("acquire", "%s", cd_err_text(&err));
    }

    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    drv_dev *d = NULL;
    rc = drv_open(a.driver, a.port, a.serial, a.opts, daq_run_trace_writer(run), &d, &err);
    struct daq_device dev = {0};
    if (rc == 0)
        rc = drv_identify(d, &dev.id, &err);
    if (rc == CD_ERR_UNSUPPORTED) {
        cd_err_clear(&err);
        rc = 0;
    }
    if (rc == 0) {
        snprintf(dev.driver, sizeof dev.driver, "%s", a.driver);
        snprintf(dev.port, sizeof dev.port, "%s", a.port);
        snprintf(dev.settings, sizeof dev.settings, "%s", a.serial != NULL ? a.serial : "");
        rc = daq_run_set_device(run, &dev, &err);
    }
    if (rc == 0)
        rc = record_env(run, &a, "start", &err);
    if (rc == 0)
        rc = acquire_points(&a, pts, n_pts, d, run, &err);
    if (rc == 0)
        rc = record_env(run, &a, "end", &err);
    drv_close(d); /* the last received bytes go into the run's trace */
    int status = 0;
    const char *end = "complete";
    if (rc != 0) {
        end = "aborted";
        status = cli_error("acquire", "%s", cd_err_text(&err));
        struct cd_err ignore = {0};
        daq_run_audit(run, "caldaq acquire", cd_err_text(&err), &ignore);
    } else {
        daq_run_audit(run, "caldaq acquire", "run complete", &err);
    }
    struct cd_err close_err = {0};
    if (daq_run_close(run, end, &close_err) != 0)
        status = cli_error("acquire", "%s", cd_err_text(&close_err));
    printf("%s (%s)\n", path, end);
    free(pts);
    prof_profile_free(profile);
    return status;
}
