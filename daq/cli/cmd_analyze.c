/* caldaq analyze RUN.h5: the results of a run against its profile (or
 * another one), printed, and with --write stored in the run as a new
 * results version with an audit entry. */
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "cli.h"
#include "prof.h"
#include "run.h"
#include "cd_i18n.h"

static const char usage_text[] = N_(
    "usage: caldaq analyze RUN.h5 [--profile P] [--standards REG] [--json] [--write]\n"
    "                      [--operator NAME]\n"
    "\n"
    "Compute the results of a calibration run: per test point the mean indication,\n"
    "the error with its uncertainty budget, U, k, the effective degrees of freedom,\n"
    "the maximum permissible error and the verdict by the profile's decision rule;\n"
    "the repeatability and eccentricity tests; and the overall verdict. A run that\n"
    "ended early is analysed as far as it went (verdict 'incomplete').\n"
    "\n"
    "  --profile P       analyse with this profile instead of the one stored in the run\n"
    "  --standards REG   take the reference values from this register (e.g. a revised\n"
    "                    certificate) instead of the values stored in the run\n"
    "  --json            results as JSON on stdout (schema caldaq-analysis/1)\n"
    "  --write           store the results in the run as a new results version, with\n"
    "                    an audit entry; earlier versions are kept. One writer at a\n"
    "                    time: it waits up to 30 s for another (RUN.h5.lock)\n"
    "  --operator NAME   who asked for the analysis, for the audit log (default $USER)\n"
    "\n"
    "Exit status: 0 when the results were computed (whatever the verdict), 1 on an\n"
    "error, 2 on a usage error. Profiles and statistics: docs/profiles.md.\n");

struct analyze_args {
    const char *path, *profile, *standards, *operator_name;
    bool json, write;
};

static int parse_args(int argc, char **argv, struct analyze_args *a)
{
    static const struct option opts[] = {
        {"profile", required_argument, NULL, 'p'},
        {"standards", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},
        {"write", no_argument, NULL, 'w'},
        {"operator", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *a = (struct analyze_args){0};
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            a->profile = optarg;
            break;
        case 's':
            a->standards = optarg;
            break;
        case 'j':
            a->json = true;
            break;
        case 'w':
            a->write = true;
            break;
        case 'o':
            a->operator_name = optarg;
            break;
        case 'h':
            fputs(_(usage_text), stdout);
            return -1;
        default:
            return cli_option_error("analyze", c, argv);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("analyze", optind >= argc ? _("no run file given")
                                                         : _("give exactly one run file"));
    a->path = argv[optind];
    if (a->operator_name == NULL)
        a->operator_name = getenv("USER") != NULL ? getenv("USER") : "caldaq";
    return 0;
}

int cmd_analyze(int argc, char **argv)
{
    struct analyze_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    struct cd_err err = {0};
    struct ana_file_opts o = {.profile_path = a.profile, .standards_path = a.standards,
                              .write = a.write, .operator_name = a.operator_name};
    struct ana_file f;
    /* the user's file, maybe damaged: read through the store's guard */
    struct daq_run_view *v = NULL;
    if (daq_run_open_guarded(a.path, cli_read_timeout(), &v, &err) != 0)
        return cli_error("analyze", "%s", cd_err_text(&err));
    if (ana_file_run_view(a.path, v, &o, &f, &err) != 0)
        return cli_error("analyze", "%s: %s", a.path, cd_err_text(&err));
    if (a.profile != NULL && strcmp(f.profile->name, f.view->info.profile_name) != 0 && !a.json)
        fprintf(stderr, _("caldaq analyze: note: the run was recorded with profile %s; "
                        "analysing with %s\n"),
                f.view->info.profile_name, f.profile->name);
    if (a.json) {
        if (a.write)
            json_object_set_new(f.doc, "results_version", json_integer(f.version));
        rc = cli_json_print(json_incref(f.doc));
    } else {
        printf(_("run %s (%s, %s)\n"), f.view->info.run_id, f.view->info.started,
               f.view->info.status);
        ana_result_print(stdout, f.result, f.profile, lang_from_environment() == LANG_VI);
        if (a.write)
            printf(_("stored in %s as results v%d\n"), a.path, f.version);
    }
    ana_file_free(&f);
    return rc;
}
