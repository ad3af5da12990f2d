/* caldaq profile check FILE: validate a calibration profile and, against a
 * standards register, the reference standards it names. */
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "prof.h"
#include "cd_i18n.h"

static const char usage_text[] = N_(
    "usage: caldaq profile check FILE [--standards REG | --no-standards] [--on YYYY-MM-DD]\n"
    "                            [--json]\n"
    "\n"
    "Load and validate a calibration profile: its instrument and tolerance, the\n"
    "test plan, the uncertainty budget (every formula and the model expression),\n"
    "the decision rule and the reference standards it needs. Errors name the file\n"
    "and line. Then check the standards against a register (--standards, or the\n"
    "profile's own `register:`): each named standard exists, is of the right kind,\n"
    "is in date on the day, and certifies every load the plan uses. Prints the\n"
    "plan as a technician will walk it. Exits 1 when anything is wrong.\n"
    "\n"
    "  --standards REG   the register to check against (default: the profile's)\n"
    "  --no-standards    check the profile alone\n"
    "  --on DATE         the day of the check (default: today in Asia/Ho_Chi_Minh)\n"
    "  --json            machine-readable summary on stdout\n"
    "\n"
    "Profile format: docs/profiles.md.\n");

struct profile_args {
    const char *path;
    const char *standards;
    bool no_standards, json;
    char on[11];
};

static int parse_args(int argc, char **argv, struct profile_args *a)
{
    static const struct option opts[] = {
        {"standards", required_argument, NULL, 's'},
        {"no-standards", no_argument, NULL, 'n'},
        {"on", required_argument, NULL, 'o'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *a = (struct profile_args){0};
    int rc = cli_action("profile", "check", _(usage_text), argc, argv);
    if (rc != 0)
        return rc;
    argc--;
    argv++;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            a->standards = optarg;
            break;
        case 'n':
            a->no_standards = true;
            break;
        case 'o':
            if (cli_date_option("profile", optarg, a->on) != 0)
                return 2;
            break;
        case 'j':
            a->json = true;
            break;
        case 'h':
            fputs(_(usage_text), stdout);
            return -1;
        default:
            return cli_option_error("profile", c, argv);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("profile", optind >= argc ? _("no profile file given")
                                                         : _("give exactly one profile file"));
    if (a->standards != NULL && a->no_standards)
        return cli_usage_error("profile", _("--standards and --no-standards contradict each other"));
    a->path = argv[optind];
    if (a->on[0] == '\0' && cd_today(a->on) != 0)
        return cli_error("profile", _("cannot tell today's date: give --on YYYY-MM-DD"));
    return 0;
}

static const char *direction_name(enum prof_direction d)
{
    return d == PROF_DIR_UP ? "up" : d == PROF_DIR_DOWN ? "down" : "";
}

static void print_plan(const struct prof_profile *p)
{
    printf(_("plan: %zu test points\n"), p->n_points);
    for (size_t i = 0; i < p->n_points;) {
        const struct prof_plan_point *pt = &p->points[i];
        size_t j = i;
        /* one line per run of points of the same test, group and series */
        while (j < p->n_points && p->points[j].group == pt->group &&
               p->points[j].series == pt->series && p->points[j].test == pt->test)
            j++;
        printf("  %3zu", i + 1);
        if (j - i > 1)
            printf("-%-3zu", j);
        else
            printf("    ");
        printf(" %-13s", prof_test_name(pt->test));
        if (pt->test == PROF_TEST_ERROR)
            printf(_(" series %d %-4s"), pt->series + 1, direction_name(pt->direction));
        if (!isnan(pt->range))
            printf(_(" range %g %s"), pt->range, p->unit);
        printf(":");
        for (size_t k = i; k < j; k++) {
            const struct prof_plan_point *q = &p->points[k];
            if (q->test == PROF_TEST_ECCENTRICITY)
                printf(" %s", q->position);
            else
                printf(" %.10g", q->nominal);
        }
        if (pt->test == PROF_TEST_ECCENTRICITY)
            printf(_(" (at %.10g %s)"), pt->nominal, prof_reference_unit(p));
        else
            printf(" %s", prof_reference_unit(p));
        if (pt->repeat > 1)
            printf(_(", %u readings each"), pt->repeat);
        printf("\n");
        i = j;
    }
}

/* The profile's own text in the language of the messages: its Vietnamese
 * when it gives one (docs/profiles.md, "Languages"). */
static const char *in_lang(bool vi, const char *en, const char *vi_text)
{
    return vi && vi_text != NULL && vi_text[0] != '\0' ? vi_text : en;
}

static void print_text(const struct prof_profile *p)
{
    bool vi = lang_from_environment() == LANG_VI;
    if (vi)
        printf(_("profile %s\n  %s\n"), p->name, p->title_vi);
    else
        printf(_("profile %s\n  %s\n  %s\n"), p->name, p->title_en, p->title_vi);
    printf(_("method: %s\n"), in_lang(vi, p->method, p->method_vi));
    if (p->national_document[0] != '\0')
        printf(_("national document: %s\n"),
               in_lang(vi, p->national_document, p->national_document_vi));
    printf(_("instrument: %s, unit %s, resolution "), prof_family_name(p->family), p->unit);
    if (p->resolution > 0)
        printf("%g %s", p->resolution, p->unit);
    else
        printf(_("as displayed"));
    printf(_(", tolerance %s\n"), prof_tol_kind_name(p->tolerance.kind));
    if (p->kind == PROF_KIND_VERIFICATION || p->item.read != PROF_READ_INSTRUMENT ||
        p->ref.read != PROF_READ_CERTIFIED)
        printf(_("%s: item read %s, reference read %s (%s)\n"), prof_kind_name(p->kind),
               prof_read_name(p->item.read), prof_read_name(p->ref.read),
               prof_method_name(p->comparison));
    if (p->kind == PROF_KIND_VERIFICATION) {
        const struct prof_verification *v = &p->verification;
        printf(_("checklist (%zu), instrument type %s, reference U at most 1/%g of the MPE:\n"),
               v->n_checks, v->instrument_type, v->reference_ratio);
        for (size_t i = 0; i < v->n_checks; i++)
            printf("  %-9s %-16s %s\n", prof_check_stage_name(v->checks[i].stage),
                   v->checks[i].id, vi ? v->checks[i].text_vi : v->checks[i].text_en);
    }
    print_plan(p);
    printf(_("budget: %s = %s (%zu inputs; "), p->budget.output, p->budget.expression,
           p->budget.n_inputs);
    if (p->budget.coverage.k > 0)
        printf("k = %g)\n", p->budget.coverage.k);
    else
        printf(_("coverage probability %.2f %%)\n"), 100 * p->budget.coverage.p);
    for (size_t i = 0; i < p->budget.n_inputs; i++) {
        const struct prof_budget_input *in = &p->budget.inputs[i];
        printf("  %-10s %-12s %s\n", in->name, unc_dist_name(in->dist),
               in_lang(vi, in->label, in->label_vi));
    }
    printf(_("decision rule: %s"), unc_rule_name(p->rule.rule));
    if (p->rule.rule == UNC_RULE_GUARD_BAND)
        printf(" (w = %g U)", p->rule.r);
    printf("\n");
}

static json_t *profile_json(const struct prof_profile *p, const char *reg_path, const char *on,
                            const prof_standards *reg)
{
    json_t *points = json_array(), *inputs = json_array(), *needs = json_array();
    for (size_t i = 0; i < p->n_points; i++) {
        const struct prof_plan_point *pt = &p->points[i];
        json_t *o = json_pack("{s:I, s:s, s:s, s:o, s:I}", "index", (json_int_t)i + 1, "test",
                              prof_test_name(pt->test), "role", pt->role, "nominal",
                              cli_json_number(pt->nominal), "repeat", (json_int_t)pt->repeat);
        if (pt->test == PROF_TEST_ERROR) {
            json_object_set_new(o, "series", json_integer(pt->series + 1));
            json_object_set_new(o, "direction", json_string(direction_name(pt->direction)));
        }
        if (pt->position[0] != '\0')
            json_object_set_new(o, "position", json_string(pt->position));
        if (!isnan(pt->range))
            json_object_set_new(o, "range", cli_json_number(pt->range));
        json_array_append_new(points, o);
    }
    for (size_t i = 0; i < p->budget.n_inputs; i++)
        json_array_append_new(inputs, json_pack("{s:s, s:s, s:s}", "name",
                                                p->budget.inputs[i].name, "dist",
                                                unc_dist_name(p->budget.inputs[i].dist), "label",
                                                p->budget.inputs[i].label));
    for (size_t i = 0; i < p->n_needs; i++) {
        const struct prof_std_need *n = &p->needs[i];
        json_t *o = json_pack("{s:s, s:s, s:s, s:b}", "role", n->role, "kind",
                              prof_std_kind_name(n->kind), "id", n->id, "reference",
                              n == p->reference);
        const struct prof_standard *s = reg != NULL && n->id[0] ? prof_standards_find(reg, n->id)
                                                               : NULL;
        if (s != NULL) {
            json_object_set_new(o, "certificate", json_string(s->certificate));
            json_object_set_new(o, "due", json_string(s->due));
        }
        json_array_append_new(needs, o);
    }
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:{s:s, s:s, "
                     "s:o}, s:s, s:o, s:s, s:b}",
                     "file", p->source, "name", p->name, "title_en", p->title_en, "title_vi",
                     p->title_vi, "method", p->method, "national_document",
                     p->national_document, "family", prof_family_name(p->family), "unit",
                     p->unit, "tolerance", prof_tol_kind_name(p->tolerance.kind), "points",
                     points, "resolution",
                     p->resolution > 0 ? "fixed" : "displayed", "standards", needs, "budget",
                     "output", p->budget.output, "expression", p->budget.expression, "inputs",
                     inputs, "decision_rule", unc_rule_name(p->rule.rule), "register",
                     reg_path != NULL ? json_string(reg_path) : json_null(), "on", on, "ok",
                     true);
    /* issue 16: the kind, the two sides and a verification's checklist */
    json_object_set_new(doc, "kind", json_string(prof_kind_name(p->kind)));
    json_object_set_new(doc, "comparison", json_string(prof_method_name(p->comparison)));
    const struct prof_side *sides[] = {&p->item, &p->ref};
    const char *side_names[] = {"item", "reference"};
    for (size_t k = 0; k < 2; k++)
        json_object_set_new(doc, side_names[k],
                            json_pack("{s:s, s:s}", "read", prof_read_name(sides[k]->read),
                                      "driver", sides[k]->driver != NULL ? sides[k]->driver : ""));
    if (p->kind == PROF_KIND_VERIFICATION) {
        const struct prof_verification *v = &p->verification;
        json_t *checks = json_array();
        for (size_t i = 0; i < v->n_checks; i++)
            json_array_append_new(checks, json_pack("{s:s, s:s, s:s, s:s}", "id", v->checks[i].id,
                                                    "stage", prof_check_stage_name(v->checks[i].stage),
                                                    "en", v->checks[i].text_en, "vi",
                                                    v->checks[i].text_vi));
        json_object_set_new(doc, "verification",
                            json_pack("{s:s, s:f, s:o}", "instrument_type", v->instrument_type,
                                      "reference_ratio", v->reference_ratio, "checks", checks));
    }
    return doc;
}

int cmd_profile(int argc, char **argv)
{
    struct profile_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    struct cd_err err = {0};
    struct prof_profile *p = prof_profile_load(a.path, &err);
    if (p == NULL)
        return cli_error("profile", "%s", cd_err_text(&err));
    const char *reg_path = a.no_standards ? NULL
                           : a.standards != NULL ? a.standards
                           : p->register_path[0] != '\0' ? p->register_path
                                                          : NULL;
    if (prof_profile_check_cycles(p, &err) != 0) {
        prof_profile_free(p);
        return cli_error("profile", "%s", cd_err_text(&err));
    }
    prof_standards *reg = NULL;
    if (reg_path != NULL) {
        reg = prof_standards_load(reg_path, &err);
        if (reg == NULL) {
            prof_profile_free(p);
            return cli_error("profile", "%s", cd_err_text(&err));
        }
        cli_example_note("profile", reg_path, reg);
        if (prof_profile_check_standards(p, reg, a.on, &err) != 0) {
            prof_standards_free(reg);
            prof_profile_free(p);
            return cli_error("profile", "%s", cd_err_text(&err));
        }
    }
    if (a.json) {
        rc = cli_json_print(profile_json(p, reg_path, a.on, reg));
    } else {
        print_text(p);
        if (reg != NULL) {
            for (size_t i = 0; i < p->n_needs; i++) {
                const struct prof_std_need *n = &p->needs[i];
                const struct prof_standard *s = n->id[0] ? prof_standards_find(reg, n->id) : NULL;
                if (s != NULL)
                    printf(_("standard %s: %s, certificate %s, due %s: in date on %s\n"), n->role,
                           s->id, s->certificate, s->due, a.on);
                else
                    printf(_("standard %s: %s, chosen at the session\n"), n->role,
                           prof_std_kind_name(n->kind));
            }
        } else {
            printf(_("standards: not checked (no register)\n"));
        }
        printf(_("%s: ok\n"), a.path);
    }
    prof_standards_free(reg);
    prof_profile_free(p);
    return rc;
}
