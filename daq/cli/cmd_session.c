/* caldaq session: a calibration at the bench (prompts, live readings) or
 * scripted (--batch); --resume continues an interrupted one. */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "session.h"
#include "cd_i18n.h"

static const char usage_text[] = N_(
    "usage: caldaq session --profile P --port PORT --out DIR [--driver D] [--serial S]\n"
    "                      [--set KEY=VALUE]... [--dut-serial S] [--operator O]\n"
    "                      [--standards FILE] [--env TEMP_C,RH_PCT[,P_HPA]] [--lang vi|en]\n"
    "                      [--batch] [--sim-control PATH] [--lab LAB.yaml|NAME]\n"
    "                      [--ref-port PORT --ref-driver D [--ref-serial S]\n"
    "                       [--ref-set KEY=VALUE]...] [--typed FILE] [--records DB]\n"
    "                      [--source-port PORT [--source-driver D] [--source-serial S]\n"
    "                       [--source-set KEY=VALUE]... [--source-stable-s S]\n"
    "                       [--source-timeout-s S] [--source-poll-ms MS]] [--json]\n"
    "       caldaq session --resume RUN.h5 --port PORT [--driver D] [--serial S] ...\n"
    "\n"
    "Run a calibration: check the profile's reference standards (a standard past\n"
    "its due date is refused), identify the instrument, walk the test plan point by\n"
    "point, write the run file as it goes (every finished point is safe on disk),\n"
    "then analyse it and print the verdict table; the results are stored in the run.\n"
    "\n"
    "At the bench each point is announced (\"Đặt quả cân 200 g lên đĩa cân\"); answer\n"
    "Enter when ready, s to skip the point, a to abort. While the instrument settles\n"
    "its reading is shown live. After each point: Enter for the next, r to measure\n"
    "it again (the result uses the last readings), n to add a note to the run's log,\n"
    "a to abort. Any other key is asked again, never taken for Enter. An aborted or\n"
    "interrupted session continues with --resume from the first unfinished point.\n"
    "\n"
    "Options may also come from the configuration files (lab, standards, records,\n"
    "lang, out: /etc/caldaq/caldaq.yaml, ~/.config/caldaq/caldaq.yaml, --config\n"
    "FILE; docs/configuration.md); what is typed wins. Every shipped profile runs\n"
    "against caldaq sim with the commands docs/sessions.md shows.\n"
    "\n"
    "  --profile P        the procedure (caldaq profile check P shows its plan)\n"
    "  --port PORT        /dev/ttyUSB0, /dev/serial/by-id/..., or tcp:HOST:PORT\n"
    "  --driver D         mtsics, sbi, aandd, scpi, modbus, toledo-cont, xk3190\n"
    "                     (default: the profile's item driver, else mtsics for\n"
    "                     balances, scpi for DMMs, modbus for pressure gauges)\n"
    "  --serial S         9600,8N1 and the like (default: the driver's)\n"
    "  --set KEY=VALUE    a driver option (docs/drivers.md), e.g. preset=keller\n"
    "  --out DIR          where the run file goes (default .; made when missing)\n"
    "  --dut-serial S     the item's serial number as the customer states it\n"
    "  --operator O       who calibrates (default $USER)\n"
    "  --standards FILE   the standards register (default: the profile's)\n"
    "  --env T,RH[,P]     environmental conditions (degC, %RH, hPa), recorded at the\n"
    "                     start and the end; without it the run says \"not measured\"\n"
    "  --lang vi|en       the language of prompts and results (default: from LANG)\n"
    "  --batch            no prompts: for CI and scripted labs; the simulator (or\n"
    "                     the instrument) presents each load when asked\n"
    "  --sim-control PATH with --batch: ask the simulator on this control socket\n"
    "                     (caldaq sim --control) to present each load\n"
    "  --resume RUN.h5    continue an interrupted or aborted session\n"
    "  --ref-port PORT    the reference instrument's port, for a profile whose\n"
    "                     reference is read by an instrument (docs/verification.md);\n"
    "                     --ref-driver, --ref-serial and --ref-set as for the item\n"
    "  --ref-sim-control PATH  with --batch: the reference simulator's control socket\n"
    "  --source-port PORT the source the profile names (source: in docs/profiles.md,\n"
    "                     docs/sources.md): a Druck PACE (tcp:HOST:5025) or a bath.\n"
    "                     Before each point the session sets it to the nominal and\n"
    "                     waits until it has stayed within the profile's band, with\n"
    "                     no prompt; Ctrl-C or a timeout leaves it safe (PACE\n"
    "                     vented, bath at its set point) and the run resumable.\n"
    "                     --source-driver (default: the profile's), --source-serial\n"
    "                     and --source-set as for the item\n"
    "  --source-stable-s S, --source-timeout-s S  replace the profile's stable_for_s\n"
    "                     and timeout_s (tests, a quick check)\n"
    "  --source-poll-ms MS read the source every MS ms (default 500)\n"
    "  --typed FILE       with --batch: readings read by eye, one a line as\n"
    "                     NOMINAL,VALUE AS TYPED (10,10,2 is 10.2 at point 10;\n"
    "                     add ,confirm to keep a value far from the nominal), and\n"
    "                     checklist answers as CHECK-ID,đạt or CHECK-ID,không đạt\n"
    "  --json             for scripts: the summary at the end as one JSON document on\n"
    "                     stdout (status, exit, run, verdict, results, error, resume);\n"
    "                     what the session says as it goes moves to stderr\n"
    "\n"
    "Readings read by eye (a profile whose item or reference is `read: typed`) are\n"
    "asked for at the bench (\"Nhập số chỉ của áp kế tại điểm 10 bar\"): a decimal\n"
    "point or comma, no more digits than the resolution, inside the range; a wrong\n"
    "entry is asked again with the reason. Each is saved before the screen says so.\n"
    "  --lab LAB.yaml     the lab (docs/certificates.md): its name goes in the run and\n"
    "                     its time_zone decides the day a standard's due date is\n"
    "                     checked against (default Asia/Ho_Chi_Minh, whatever TZ\n"
    "                     says); --lab NAME records a name only\n"
    "  --records DB       the lab's records (a file or postgresql:// URL; default: the\n"
    "                     LAB.yaml's records:): the run is recorded when it ends\n"
    "\n"
    "Exit status: 0 calibration complete (whatever the verdict, which is printed\n"
    "and stored), 1 bad input (profile, register, run file, a standard past its due\n"
    "date), 2 usage error, 3 aborted (by the technician or Ctrl-C), 4 instrument\n"
    "error (could not be opened, or failed mid-session: the finished points are\n"
    "saved and the message says how to resume) or the run file could not be\n"
    "written (a full disk: the message says so; resumable once there is room).\n");

#define MAX_OPTS 32

struct session_args {
    struct ses_config c;
    struct cli_lab lab;
    bool batch;
    bool json;
    const char *opts[MAX_OPTS + 1];
    int n_opts;
    const char *ref_opts[MAX_OPTS + 1];
    int n_ref_opts;
    const char *source_opts[MAX_OPTS + 1];
    int n_source_opts;
};

/* A positive number for --source-stable-s, --source-timeout-s (s) and --source-poll-ms (ms). */
static int seconds_option(const char *flag, const char *value, double *out)
{
    char *end = NULL;
    double v = strtod(value, &end);
    if (end == value || *end != '\0' || !(v > 0) || !isfinite(v))
        return cli_usage_error("session", _("%s takes a number above 0, not '%s'"), flag,
                               value);
    *out = v;
    return 0;
}

static volatile int interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static int parse_args(int argc, char **argv, struct session_args *a)
{
    static const struct option opts[] = {
        {"profile", required_argument, NULL, 'P'},  {"port", required_argument, NULL, 'p'},
        {"driver", required_argument, NULL, 'd'},   {"serial", required_argument, NULL, 's'},
        {"set", required_argument, NULL, 'x'},      {"out", required_argument, NULL, 'o'},
        {"dut-serial", required_argument, NULL, 'D'}, {"operator", required_argument, NULL, 'u'},
        {"standards", required_argument, NULL, 'S'}, {"env", required_argument, NULL, 'e'},
        {"lang", required_argument, NULL, 'l'},     {"batch", no_argument, NULL, 'b'},
        {"sim-control", required_argument, NULL, 'c'}, {"resume", required_argument, NULL, 'r'},
        {"lab", required_argument, NULL, 'L'},      {"help", no_argument, NULL, 'h'},
        {"records", required_argument, NULL, 'R'}, CLI_REFERENCE_OPTIONS,
        {"source-port", required_argument, NULL, 1001},
        {"source-driver", required_argument, NULL, 1002},
        {"source-serial", required_argument, NULL, 1003},
        {"source-set", required_argument, NULL, 1004},
        {"source-stable-s", required_argument, NULL, 1005},
        {"source-timeout-s", required_argument, NULL, 1006},
        {"source-poll-ms", required_argument, NULL, 1007},
        {"json", no_argument, NULL, 1008},
        {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof *a);
    a->c.env[0] = a->c.env[1] = a->c.env[2] = NAN;
    a->c.lang = lang_from_environment();
    a->c.out_dir = ".";
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'P': a->c.profile_path = optarg; break;
        case 'p': a->c.port = optarg; break;
        case 's': a->c.serial = optarg; break;
        case 'D': a->c.dut_serial = optarg; break;
        case 'u': a->c.operator_name = optarg; break;
        case 'L':
            if (cli_lab_option("session", optarg, &a->lab) != 0)
                return 1;
            a->c.lab = a->lab.name;
            a->c.today = a->lab.today[0] != '\0' ? a->lab.today : NULL;
            a->c.vi_decimal_point = a->lab.vi_decimal_point;
            if (a->c.records == NULL && a->lab.records[0] != '\0')
                a->c.records = a->lab.records;
            break;
        case 'c': a->c.sim_control = optarg; break;
        case 'r': a->c.resume_path = optarg; break;
        case 'b': a->batch = true; break;
        case 1008: a->json = true; break;
        case 1001: a->c.source_port = optarg; break;
        case 1002: a->c.source_driver = optarg; break;
        case 1003: a->c.source_serial = optarg; break;
        case 1004:
            if (strchr(optarg, '=') == NULL || a->n_source_opts == MAX_OPTS)
                return cli_usage_error("session", _("--source-set takes KEY=VALUE, not '%s'"),
                                       optarg);
            a->source_opts[a->n_source_opts++] = optarg;
            a->c.source_opts = a->source_opts;
            break;
        case 1005:
            if (seconds_option("--source-stable-s", optarg, &a->c.source_stable_s) != 0)
                return 2;
            break;
        case 1006:
            if (seconds_option("--source-timeout-s", optarg, &a->c.source_timeout_s) != 0)
                return 2;
            break;
        case 1007: {
            double ms = 0;
            if (seconds_option("--source-poll-ms", optarg, &ms) != 0)
                return 2;
            a->c.source_poll_ms = ms > 60000 ? 60000 : (int)ms;
            break;
        }
        case 'h': fputs(_(usage_text), stdout); return -1;
        default: {
            int taken = cli_session_option("session", c, optarg, &a->c, a->opts, &a->n_opts, MAX_OPTS);
            if (taken < 0)
                taken = cli_reference_option("session", c, optarg, &a->c, a->ref_opts,
                                             &a->n_ref_opts, MAX_OPTS);
            if (taken >= 0) {
                if (taken != 0)
                    return taken;
                break;
            }
            return cli_option_error("session", c, argv);
        }
        }
    }
    if (optind != argc)
        return cli_usage_error("session", _("unexpected argument '%s'"), argv[optind]);
    if ((a->c.profile_path == NULL) == (a->c.resume_path == NULL))
        return cli_usage_error("session", _("give --profile for a new session or --resume RUN.h5"));
    /* --port: the engine asks for it when the profile reads the item with
     * an instrument (a gauge read by eye has none) */
    if (a->c.typed_path != NULL && !a->batch)
        return cli_usage_error("session", _("--typed goes with --batch (at the bench the readings "
                                          "are typed as the session asks)"));
    if (a->c.ref_sim_control != NULL && !a->batch)
        return cli_usage_error("session", _("--ref-sim-control goes with --batch"));
    if (a->c.sim_control != NULL && !a->batch)
        return cli_usage_error("session", _("--sim-control goes with --batch"));
    a->c.driver_opts = a->opts;
    return 0;
}

/* --json: what a script wants to know at the end. */
static json_t *summary_json(const struct ses_config *c, const struct ses_outcome *o, int rc)
{
    static const char *const names[] = {"complete", "bad-input", "usage", "aborted",
                                        "instrument"};
    json_t *root = json_object();
    json_object_set_new(root, "status", json_string((unsigned)o->status < 5
                                                        ? names[o->status]
                                                        : "error"));
    json_object_set_new(root, "exit", json_integer(rc));
    json_object_set_new(root, "run", o->run_path[0] ? json_string(o->run_path) : json_null());
    bool done = o->status == SES_COMPLETE && o->analysis.doc != NULL;
    json_object_set_new(root, "results_version",
                        done ? json_integer(o->analysis.version) : json_null());
    json_t *verdict = done ? json_object_get(o->analysis.doc, "verdict") : NULL;
    json_object_set_new(root, "verdict", verdict != NULL ? json_incref(verdict) : json_null());
    json_object_set_new(root, "results", done ? json_incref(o->analysis.doc) : json_null());
    json_object_set_new(root, "error", o->status != SES_COMPLETE && o->err.msg[0]
                                           ? json_string(o->err.msg)
                                           : json_null());
    char resume[8192] = "";
    if (o->status != SES_COMPLETE && o->run_path[0] != '\0' && !o->results_not_stored)
        ses_resume_command(c, o->run_path, resume, sizeof resume);
    json_object_set_new(root, "resume", resume[0] ? json_string(resume) : json_null());
    return root;
}

int cmd_session(int argc, char **argv)
{
    struct session_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    if (a.c.resume_path == NULL && cli_out_dir("session", a.c.out_dir) != 0)
        return 1;
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    struct ses_term t = {.lang = a.c.lang, .vi_decimal_point = a.c.vi_decimal_point, .in = stdin, .out = a.json ? stderr : stdout,
                         .interrupted = &interrupted};
    if (cli_open_typed("session", &a.c, &t) != 0)
        return 1;
    struct ses_ui ui;
    if (a.batch)
        ses_ui_batch(&t, &ui);
    else
        ses_ui_terminal(&t, &ui);
    struct ses_outcome o;
    ses_run(&a.c, &ui, &interrupted, &o);
    rc = ses_report(&t, &a.c, &o, "session");
    if (a.json && cli_json_print(summary_json(&a.c, &o, rc)) != 0)
        rc = 1;
    ses_outcome_free(&o);
    if (t.typed != NULL)
        fclose(t.typed);
    return rc;
}
