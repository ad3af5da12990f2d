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

#ifndef CALDAQ_VERSION
#define CALDAQ_VERSION "0.1.0"
#endif

static const char usage_text[] =
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
    "                    an audit entry; earlier versions are kept\n"
    "  --operator NAME   who asked for the analysis, for the audit log (default $USER)\n"
    "\n"
    "Exit status: 0 when the results were computed (whatever the verdict), 1 on an\n"
    "error, 2 on a usage error. Profiles and statistics: docs/profiles.md.\n";

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
            fputs(usage_text, stdout);
            return -1;
        default:
            return cli_option_error("analyze", c, argv);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("analyze", optind >= argc ? "no run file given"
                                                         : "give exactly one run file");
    a->path = argv[optind];
    if (a->operator_name == NULL)
        a->operator_name = getenv("USER") != NULL ? getenv("USER") : "caldaq";
    return 0;
}

/* The reference standard's certified items as the run recorded them: the
 * rows of /standards with the reference's role (or its id) and a nominal. */
struct run_reference {
    struct prof_standard std;
    struct prof_std_item *items;
};

static int reference_from_run(const struct daq_run_view *v, const struct prof_std_need *need,
                              struct run_reference *out, struct cd_err *err)
{
    out->items = calloc(v->n_standards + 1, sizeof *out->items);
    if (out->items == NULL)
        return cd_fail(err, CD_ERR_NOMEM, "out of memory");
    size_t n = 0;
    const struct daq_standard *first = NULL;
    for (size_t i = 0; i < v->n_standards; i++) {
        const struct daq_standard *s = &v->standards[i];
        bool mine = s->role[0] != '\0' ? strcmp(s->role, need->role) == 0
                                       : need->id[0] != '\0' && strcmp(s->id, need->id) == 0;
        if (!mine || !isfinite(s->nominal))
            continue;
        if (first != NULL && strcmp(first->id, s->id) != 0)
            return cd_fail(err, CD_ERR_INVALID,
                           "the run records two standards for the role '%s' (%s and %s)",
                           need->role, first->id, s->id);
        if (first == NULL)
            first = s;
        out->items[n++] = (struct prof_std_item){.nominal = s->nominal, .unit = s->unit,
                                                 .mark = s->mark, .value = s->value,
                                                 .U = s->u * s->k};
    }
    if (first == NULL)
        return cd_fail(err, CD_ERR_NOT_FOUND,
                       "the run records no certified values for the '%s' standard: give the "
                       "register with --standards",
                       need->role);
    out->std = (struct prof_standard){.id = first->id, .kind = need->kind,
                                      .certificate = first->certificate, .k = first->k,
                                      .n_items = n, .items = out->items};
    return 0;
}

/* The id of the standard the run used for `need`, else the profile's. */
static const char *used_id(const struct daq_run_view *v, const struct prof_std_need *need)
{
    for (size_t i = 0; i < v->n_standards; i++)
        if (strcmp(v->standards[i].role, need->role) == 0)
            return v->standards[i].id;
    return need->id;
}

static int analyse(const struct analyze_args *a, const struct daq_run_view *v,
                   const struct prof_profile *p, struct ana_result **res, struct cd_err *err)
{
    struct run_reference rr = {0};
    prof_standards *reg = NULL;
    const struct prof_standard *ref = NULL;
    struct cd_err missing = {0};
    int rc = 0;
    if (p->reference != NULL && p->reference->source == PROF_REF_CERTIFICATE) {
        if (a->standards != NULL) {
            if ((reg = prof_standards_load(a->standards, err)) == NULL)
                return err->code;
            const char *id = used_id(v, p->reference);
            if (id[0] == '\0')
                rc = cd_fail(err, CD_ERR_NOT_FOUND,
                             "neither the run nor the profile names the '%s' standard",
                             p->reference->role);
            else if ((ref = prof_standards_find(reg, id)) == NULL)
                rc = cd_fail(err, CD_ERR_NOT_FOUND, "%s: no standard '%s' (the run's %s)",
                             a->standards, id, p->reference->role);
        } else if (reference_from_run(v, p->reference, &rr, &missing) == 0) {
            ref = &rr.std;
        }
    }
    if (rc == 0) {
        struct ana_input in = {.profile = p, .readings = v->readings,
                               .n_readings = v->n_readings, .env = v->env, .n_env = v->n_env,
                               .reference = ref};
        rc = ana_run(&in, res, err);
        /* readings that do not fit the plan say more than a missing
         * reference, so the reference's absence is reported only when
         * the analysis gets as far as needing it */
        if (rc == CD_ERR_NOT_FOUND && missing.code != 0)
            *err = missing;
    }
    free(rr.items);
    prof_standards_free(reg);
    return rc;
}

static int store(const struct analyze_args *a, const struct prof_profile *p, json_t *doc,
                 int *version, struct cd_err *err)
{
    char *text = json_dumps(doc, JSON_INDENT(1) | JSON_REAL_PRECISION(17));
    if (text == NULL)
        return cd_fail(err, CD_ERR_NOMEM, "out of memory");
    daq_run *run = NULL;
    int rc = daq_run_reopen(a->path, &run, err);
    if (rc == 0) {
        char engine[64], what[256];
        snprintf(engine, sizeof engine, "caldaq analyze %s", CALDAQ_VERSION);
        rc = daq_run_add_results(run, text, engine, version, err);
        snprintf(what, sizeof what, "analysis stored as results v%d: profile %s, verdict %s",
                 *version, p->name, json_string_value(json_object_get(doc, "verdict")));
        if (rc == 0)
            rc = daq_run_audit(run, a->operator_name, what, err);
        int rc2 = daq_run_close(run, NULL, rc == 0 ? err : NULL);
        if (rc == 0)
            rc = rc2;
    }
    free(text);
    return rc;
}

int cmd_analyze(int argc, char **argv)
{
    struct analyze_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    struct cd_err err = {0};
    struct daq_run_view *v = NULL;
    if (daq_run_open(a.path, &v, &err) != 0)
        return cli_error("analyze", "%s", cd_err_text(&err));
    struct prof_profile *p = NULL;
    if (a.profile != NULL) {
        p = prof_profile_load(a.profile, &err);
    } else {
        char source[512];
        snprintf(source, sizeof source, "%s:/profile/text", a.path);
        p = prof_profile_load_string(v->profile_text, source, &err);
        if (p == NULL) {
            struct cd_err why = err;
            cd_err_clear(&err);
            cd_fail(&err, why.code,
                    "the profile stored in the run (%s) cannot be used: %s; give one with "
                    "--profile",
                    v->info.profile_name, why.msg);
        }
    }
    if (p == NULL) {
        daq_run_view_free(v);
        return cli_error("analyze", "%s", cd_err_text(&err));
    }
    if (a.profile != NULL && strcmp(p->name, v->info.profile_name) != 0 && !a.json)
        fprintf(stderr, "caldaq analyze: note: the run was recorded with profile %s; "
                        "analysing with %s\n",
                v->info.profile_name, p->name);
    struct ana_result *res = NULL;
    rc = analyse(&a, v, p, &res, &err);
    json_t *doc = NULL;
    if (rc == 0) {
        doc = ana_result_json(res, p);
        if (doc == NULL) {
            rc = cd_fail(&err, CD_ERR_NOMEM, "out of memory");
        } else {
            json_object_set_new(doc, "run_id", json_string(v->info.run_id));
            json_object_set_new(doc, "profile_source",
                                json_string(a.profile != NULL ? a.profile : "stored in the run"));
            json_object_set_new(doc, "standards_source",
                                json_string(a.standards != NULL ? a.standards
                                                                : "stored in the run"));
        }
    }
    int version = 0;
    if (rc == 0 && a.write)
        rc = store(&a, p, doc, &version, &err);
    if (rc == 0) {
        if (a.json) {
            if (a.write)
                json_object_set_new(doc, "results_version", json_integer(version));
            rc = cli_json_print(json_incref(doc));
        } else {
            printf("run %s (%s, %s)\n", v->info.run_id, v->info.started, v->info.status);
            ana_result_print(stdout, res, p);
            if (a.write)
                printf("stored in %s as results v%d\n", a.path, version);
        }
    } else {
        rc = cli_error("analyze", "%s: %s", a.path, cd_err_text(&err));
    }
    json_decref(doc);
    ana_result_free(res);
    prof_profile_free(p);
    daq_run_view_free(v);
    return rc;
}
