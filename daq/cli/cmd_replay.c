/* caldaq replay TRACE --profile P --out DIR: the session code run against a
 * recorded trace instead of an instrument. The trace plays the instrument
 * on a pseudo-terminal (or a loopback socket for Modbus TCP) in a thread;
 * the session runs in batch mode against it; any difference between what
 * the session sends and what the trace recorded stops the replay with the
 * trace line. The readings, and so the results, are those of the trace. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_i18n.h"
#include "cli.h"
#include "session.h"

static const char usage_text[] = N_(
    "usage: caldaq replay TRACE --profile P --out DIR [--fast] [--driver D] [--set KEY=VALUE]...\n"
    "                     [--standards FILE] [--env T,RH[,P]] [--lang vi|en]\n"
    "                     [--lab LAB.yaml|NAME] [--records DB] [--typed FILE]\n"
    "                     [--ref-set KEY=VALUE]... [--ref-trace FILE]\n"
    "                     [--source-trace FILE [--source-set KEY=VALUE]...\n"
    "                      [--source-stable-s S] [--source-timeout-s S] [--source-poll-ms MS]]\n"
    "\n"
    "Run a calibration session against a recorded trace (caldaq trace RUN.h5 gives\n"
    "the trace of a run) instead of an instrument, with no prompts. The trace\n"
    "answers as the instrument did; if the session asks something else than what\n"
    "was recorded, the replay stops and names the trace line. The new run file in\n"
    "DIR holds the same readings as the recorded run, and so the same results.\n"
    "\n"
    "  --profile P        the profile of the recorded session\n"
    "  --out DIR          where the new run file goes (made when missing)\n"
    "  --fast             no recorded delays\n"
    "  --driver D         default: the driver named in the trace's header\n"
    "  --set KEY=VALUE    driver options as in the recorded session (e.g. preset=keller)\n"
    "  --standards FILE   the standards register (default: the profile's)\n"
    "  --env T,RH[,P]     the environmental conditions of the recorded session (a\n"
    "                     trace holds only the instrument's bytes): without them a\n"
    "                     budget that uses temp_c, rh_pct or p_hpa cannot be reproduced\n"
    "  --lang vi|en       language of the output\n"
    "  --lab LAB.yaml     as for caldaq session: the lab's name in the run, and its\n"
    "                     time_zone for the standards' due dates\n"
    "  --typed FILE       the readings read by eye and the checklist answers of the\n"
    "                     recorded session (as caldaq session --batch --typed): a\n"
    "                     profile whose item is read by eye has the reference\n"
    "                     instrument's conversation as its trace, which then plays\n"
    "                     the reference (--ref-set for its driver options)\n"
    "  --records DB       the lab's records: the run is recorded when it ends\n"
    "  --ref-trace FILE   the reference instrument's conversation (RUN.h5.ref.trace,\n"
    "                     when both the item and the reference are instruments),\n"
    "                     played together with TRACE\n"
    "  --source-trace FILE the source's conversation (RUN.h5.source.trace, a session\n"
    "                     with a pressure controller or a bath), played together\n"
    "                     with TRACE; --source-stable-s and --source-timeout-s as in\n"
    "                     the recorded session (its run's log says them)\n"
    "\n"
    "Exit status as caldaq session: 0 complete, 1 bad input, 2 usage, 4 the trace\n"
    "and the session diverged (or the trace ended early).\n");

#define MAX_OPTS 32

struct replay_args {
    const char *trace_path;
    bool fast;
    struct ses_config c;
    struct cli_lab lab;
    const char *opts[MAX_OPTS + 1];
    int n_opts;
    const char *ref_opts[MAX_OPTS + 1];
    int n_ref_opts;
    const char *ref_trace_path, *source_trace_path;
    const char *source_opts[MAX_OPTS + 1];
    int n_source_opts;
};

/* A positive number for --source-stable-s, --source-timeout-s and --source-poll-ms. */
static int positive_option(const char *flag, const char *value, double *out)
{
    char *end = NULL;
    double v = strtod(value, &end);
    if (end == value || *end != '\0' || !(v > 0) || !isfinite(v))
        return cli_usage_error("replay", _("%s takes a number above 0, not '%s'"), flag, value);
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, struct replay_args *a)
{
    static const struct option opts[] = {
        {"profile", required_argument, NULL, 'P'}, {"out", required_argument, NULL, 'o'},
        {"fast", no_argument, NULL, 'f'},          {"driver", required_argument, NULL, 'd'},
        {"set", required_argument, NULL, 'x'},     {"standards", required_argument, NULL, 'S'},
        {"lang", required_argument, NULL, 'l'},    {"env", required_argument, NULL, 'e'},
        {"lab", required_argument, NULL, 'L'},     {"help", no_argument, NULL, 'h'},
        {"typed", required_argument, NULL, 'T'},   {"ref-set", required_argument, NULL, 'X'},
        {"records", required_argument, NULL, 'R'},
        {"ref-trace", required_argument, NULL, 2001},
        {"source-trace", required_argument, NULL, 2002},
        {"source-set", required_argument, NULL, 2003},
        {"source-stable-s", required_argument, NULL, 2004},
        {"source-timeout-s", required_argument, NULL, 2005},
        {"source-poll-ms", required_argument, NULL, 2006},
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
        case 'f': a->fast = true; break;
        case 'L':
            if (cli_lab_option("replay", optarg, &a->lab) != 0)
                return 1;
            a->c.lab = a->lab.name;
            a->c.today = a->lab.today[0] != '\0' ? a->lab.today : NULL;
            a->c.vi_decimal_point = a->lab.vi_decimal_point;
            if (a->c.records == NULL && a->lab.records[0] != '\0')
                a->c.records = a->lab.records;
            break;
        case 2001: a->ref_trace_path = optarg; break;
        case 2002: a->source_trace_path = optarg; break;
        case 2003:
            if (strchr(optarg, '=') == NULL || a->n_source_opts == MAX_OPTS)
                return cli_usage_error("replay", _("--source-set takes KEY=VALUE, not '%s'"),
                                       optarg);
            a->source_opts[a->n_source_opts++] = optarg;
            a->c.source_opts = a->source_opts;
            break;
        case 2004:
            if (positive_option("--source-stable-s", optarg, &a->c.source_stable_s) != 0)
                return 2;
            break;
        case 2005:
            if (positive_option("--source-timeout-s", optarg, &a->c.source_timeout_s) != 0)
                return 2;
            break;
        case 2006: {
            double ms = 0;
            if (positive_option("--source-poll-ms", optarg, &ms) != 0)
                return 2;
            a->c.source_poll_ms = ms > 60000 ? 60000 : (int)ms;
            break;
        }
        case 'h': fputs(_(usage_text), stdout); return -1;
        default: {
            int taken = cli_session_option("replay", c, optarg, &a->c, a->opts, &a->n_opts, MAX_OPTS);
            if (taken < 0)
                taken = cli_reference_option("replay", c, optarg, &a->c, a->ref_opts,
                                             &a->n_ref_opts, MAX_OPTS);
            if (taken >= 0) {
                if (taken != 0)
                    return taken;
                break;
            }
            return cli_option_error("replay", c, argv);
        }
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("replay", optind >= argc ? _("no trace file given")
                                                        : _("give exactly one trace file"));
    if (a->c.profile_path == NULL)
        return cli_usage_error("replay", _("--profile is required"));
    a->trace_path = argv[optind];
    a->c.driver_opts = a->opts;
    a->c.operator_name = "caldaq replay";
    return 0;
}

int cmd_replay(int argc, char **argv)
{
    struct replay_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    if (cli_out_dir("replay", a.c.out_dir) != 0)
        return 1;
    struct cd_err err = {0};
    struct drv_trace *t = NULL;
    if (drv_trace_load(a.trace_path, &t, &err) != 0)
        return cli_error("replay", "%s", cd_err_text(&err));
    struct drv_trace *ref_t = NULL, *src_t = NULL;
    if ((a.ref_trace_path != NULL && drv_trace_load(a.ref_trace_path, &ref_t, &err) != 0) ||
        (a.source_trace_path != NULL && drv_trace_load(a.source_trace_path, &src_t, &err) != 0)) {
        drv_trace_free(t);
        drv_trace_free(ref_t);
        return cli_error("replay", "%s", cd_err_text(&err));
    }
    struct ses_term term = {.lang = a.c.lang, .vi_decimal_point = a.c.vi_decimal_point, .in = stdin, .out = stdout};
    if (cli_open_typed("replay", &a.c, &term) != 0) {
        drv_trace_free(t);
        drv_trace_free(ref_t);
        drv_trace_free(src_t);
        return 1;
    }
    struct ses_ui ui;
    ses_ui_batch(&term, &ui);
    struct ses_outcome o;
    rc = ses_replay(t, ref_t, src_t, &a.c, &ui, a.fast, &o, &err);
    drv_trace_free(ref_t);
    drv_trace_free(src_t);
    if (rc != 0) {
        drv_trace_free(t);
        return cli_error("replay", "%s", cd_err_text(&err));
    }
    rc = ses_report(&term, &a.c, &o, "replay");
    ses_outcome_free(&o);
    if (term.typed != NULL)
        fclose(term.typed);
    drv_trace_free(t);
    return rc;
}
