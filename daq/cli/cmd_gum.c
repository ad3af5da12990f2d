/* caldaq gum MODEL.yaml: evaluate an uncertainty model file. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "unc.h"
#include "cd_i18n.h"

static const char usage_text[] = N_(
    "usage: caldaq gum MODEL.yaml [--mcm N|auto] [--seed S] [--coverage P] [--threads N]\n"
    "                  [--json]\n"
    "\n"
    "Evaluate a measurement model by the law of propagation of uncertainty (JCGM 100)\n"
    "and, with --mcm, by the Monte Carlo method (JCGM 101).\n"
    "\n"
    "  --mcm N|auto    Monte Carlo with N trials (at least 1/(1-p)), or the adaptive\n"
    "                  procedure of JCGM 101 7.9 (2 significant digits)\n"
    "  --seed S        random seed (default 1); the same seed gives the same figures\n"
    "                  whatever the number of threads\n"
    "  --coverage P    coverage probability, e.g. 0.95 (default: the model file's, else\n"
    "                  95.45 %, k = 2 for infinite degrees of freedom)\n"
    "  --threads N     Monte Carlo threads (default: one per core)\n"
    "  --json          machine-readable results on stdout\n"
    "\n"
    "k comes from the t-distribution with nu_eff rounded down (GUM G.4.1 note).\n"
    "Model file format: docs/model-files.md.\n");

struct gum_args {
    const char *path;
    bool json;
    bool mcm;
    unsigned long long trials; /* 0: adaptive */
    unsigned long long seed;
    double coverage;           /* NAN: from the model file */
    int threads;
};

static int parse_args(int argc, char **argv, struct gum_args *a)
{
    static const struct option opts[] = {
        {"mcm", required_argument, NULL, 'm'},      {"seed", required_argument, NULL, 's'},
        {"coverage", required_argument, NULL, 'p'}, {"threads", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'j'},           {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *a = (struct gum_args){.seed = 1, .coverage = NAN};
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        unsigned long long v;
        switch (c) {
        case 'm':
            a->mcm = true;
            if (strcmp(optarg, "auto") == 0)
                a->trials = 0;
            else if (cli_parse_size(optarg, &a->trials) != 0 || a->trials == 0)
                return cli_usage_error("gum", _("--mcm takes a number of trials or 'auto', not '%s'"),
                                       optarg);
            break;
        case 's':
            if (cli_parse_size(optarg, &a->seed) != 0)
                return cli_usage_error("gum", _("--seed takes a non-negative integer, not '%s'"),
                                       optarg);
            break;
        case 'p':
            if (cli_parse_double(optarg, &a->coverage) != 0 ||
                !(a->coverage > 0 && a->coverage < 1))
                return cli_usage_error("gum",
                                       _("--coverage takes a probability between 0 and 1, "
                                       "not '%s'"),
                                       optarg);
            break;
        case 't':
            if (cli_parse_size(optarg, &v) != 0 || v == 0 || v > 64)
                return cli_usage_error("gum", _("--threads takes 1 to 64, not '%s'"), optarg);
            a->threads = (int)v;
            break;
        case 'j':
            a->json = true;
            break;
        case 'h':
            fputs(_(usage_text), stdout);
            return -1;
        case ':':
        default: return cli_option_error("gum", c, argv);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("gum", optind >= argc ? _("no model file given")
                                                     : _("give exactly one model file"));
    a->path = argv[optind];
    return 0;
}

/* A statement of conformity for one output, when the model has a tolerance. */
struct decision {
    bool present;
    double low, high;
    struct unc_decision_rule rule;
    struct unc_decision result;
};

/* ------------------------------------------------------------ text output */

/* GUM 7.2.6: U to two significant digits, y to the same decimal place. */
static void print_rounded(double y, double U, const char *unit)
{
    if (!(U > 0) || !isfinite(U)) {
        printf("%.10g%s", y, unit);
        return;
    }
    int place = (int)floor(log10(U)) - 1;
    double scale = pow(10.0, place);
    double Ur = round(U / scale) * scale;
    if (Ur >= 100 * scale) { /* 99.6 -> 100: keep two digits */
        place++;
        scale *= 10;
        Ur = round(U / scale) * scale;
    }
    int decimals = place < 0 ? -place : 0;
    printf("(%.*f ± %.*f)%s", decimals, round(y / scale) * scale, decimals, Ur, unit);
}

static void print_nu(double nu)
{
    if (isinf(nu))
        printf("%8s", "inf");
    else
        printf("%8.1f", nu);
}

static void print_lpu(const struct unc_lpu_output *o, const char *unit)
{
    /* TRANSLATORS: headings of the budget table: an input quantity, its share of u(y)^2 */
    msg_pad(stdout, _("input"), 12, 0);
    printf(" %16s %12s %8s %13s %12s ", "x", "u(x)", "dof", "c", "c·u(x)");
    msg_pad(stdout, _("share"), 7, 1);
    fputc('\n', stdout);
    for (size_t i = 0; i < o->n_rows; i++) {
        const struct unc_budget_row *r = &o->rows[i];
        /* + 0.0 turns a negative zero into a plain 0 in the table. */
        printf("%-12s %16.10g %12.4g ", r->name, r->x + 0.0, r->u);
        print_nu(r->dof);
        printf(" %13.5g %12.4g %6.1f%%\n", r->c + 0.0, r->contribution + 0.0, 100 * r->share);
    }
    printf("\n  y      = %.10g%s\n", o->y, unit);
    printf("  u(y)   = %.5g%s\n", o->u, unit);
    if (!isnan(o->u_second_order))
        printf(_("  u(y) with second-order terms (GUM 5.1.2) = %.5g%s\n"), o->u_second_order,
               unit);
    printf(_("  nu_eff = "));
    if (isinf(o->nu_eff))
        printf(_("infinite\n"));
    else
        printf("%.2f\n", o->nu_eff);
    if (isnan(o->p))
        printf(_("  k      = %.4g (stated)\n"), o->k);
    else
        printf(_("  k      = %.4f for p = %.2f %%\n"), o->k, 100 * o->p);
    printf(_("  U      = %.5g%s\n  result = "), o->U, unit);
    print_rounded(o->y, o->U, unit);
    printf("\n");
}

static void print_mcm(const struct unc_mcm_result *r, const struct unc_mcm_output *o,
                      const char *unit, bool have_lpu)
{
    printf(_("\n  Monte Carlo (JCGM 101): %zu trials%s, seed %llu\n"), r->trials,
           r->adaptive ? (r->converged ? _(" (adaptive, converged)") : _(" (adaptive, NOT converged)"))
                       : "",
           (unsigned long long)r->seed);
    if (isnan(o->y))
        printf(_("  y      = not defined\n"));
    else
        printf("  y      = %.10g%s\n", o->y, unit);
    if (isnan(o->u))
        printf(_("  u(y)   = not defined (an input has no variance: see the warning)\n"));
    else
        printf("  u(y)   = %.5g%s\n", o->u, unit);
    char iv[128];
    printf(_("  %.2f %% probabilistically symmetric interval %s\n"), 100 * r->p,
           unc_format_interval(iv, sizeof iv, o->sym_low, o->sym_high, o->u));
    printf(_("  %.2f %% shortest interval                   %s\n"), 100 * r->p,
           unc_format_interval(iv, sizeof iv, o->short_low, o->short_high, o->u));
    if (have_lpu && o->validation == UNC_VALIDATION_NOTHING)
        printf(_("  validation of the LPU (JCGM 101 8): %s\n"), _(unc_validation_name(o->validation)));
    else if (have_lpu)
        printf(_("  validation of the LPU (JCGM 101 8): d_low = %.3g, d_high = %.3g, delta = %.3g"
               " -> %s\n"),
               o->d_low, o->d_high, o->delta, _(unc_validation_name(o->validation)));
    if (have_lpu && o->validation == UNC_VALIDATION_FAILED)
        printf(_("  -> the law of propagation is not adequate here: report the Monte Carlo "
               "interval\n"));
}

static void print_limit(double v)
{
    if (isinf(v))
        printf("%s", v < 0 ? "-inf" : "+inf");
    else
        printf("%.10g", v);
}

static void print_decision(const struct decision *d, const char *unit)
{
    printf(_("\n  conformity: tolerance ["));
    print_limit(d->low);
    printf(", ");
    print_limit(d->high);
    printf(_("]%s, decision rule %s"), unit, unc_rule_name(d->rule.rule));
    if (d->rule.rule == UNC_RULE_GUARD_BAND)
        printf(" (w = %g U)", d->rule.r);
    printf(_("\n  verdict    = %s"), _(unc_verdict_name(d->result.verdict)));
    printf(_("  (probability that the true value is outside the tolerance: %.3g %%, %s"),
           100 * d->result.pfa, unc_pdf_name(d->result.pfa_pdf));
    if (d->result.pfa_pdf == UNC_PDF_STUDENT_T)
        printf(_(" with %.0f degrees of freedom"), d->result.pfa_dof);
    printf(")\n");
}

static void print_text(const unc_model *m, const struct unc_lpu_result *lpu,
                       const struct unc_mcm_result *mcm, const struct decision *dec)
{
    for (size_t j = 0; j < lpu->n_outputs; j++) {
        const struct unc_lpu_output *o = &lpu->outputs[j];
        /* " nm" after numbers, nothing when the output has no unit */
        char unit[80];
        snprintf(unit, sizeof unit, "%s%s", o->unit[0] ? " " : "", o->unit);
        printf("%s%s%s%s\n\n", j > 0 ? "\n" : "", o->name, o->unit[0] ? " / " : "", o->unit);
        print_lpu(o, unit);
        if (mcm != NULL)
            print_mcm(mcm, &mcm->outputs[j], unit, true);
        if (dec[j].present)
            print_decision(&dec[j], unit);
    }
    size_t q = lpu->n_outputs;
    if (q > 1) {
        printf(_("\ncorrelation of the outputs\n%12s"), "");
        for (size_t b = 0; b < q; b++)
            printf(" %10s", unc_model_output_name(m, b));
        printf("\n");
        for (size_t a = 0; a < q; a++) {
            printf("%12s", unc_model_output_name(m, a));
            for (size_t b = 0; b < q; b++)
                printf(" %10.5f", lpu->correlation[a * q + b]);
            printf("\n");
        }
    }
}

/* ------------------------------------------------------------ JSON output */

static json_t *json_budget(const struct unc_lpu_output *o)
{
    json_t *rows = json_array();
    for (size_t i = 0; i < o->n_rows; i++) {
        const struct unc_budget_row *r = &o->rows[i];
        json_array_append_new(
            rows, json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "name", r->name, "x",
                            cli_json_number(r->x), "u", cli_json_number(r->u), "dof",
                            cli_json_number(r->dof), "c", cli_json_number(r->c), "contribution",
                            cli_json_number(r->contribution), "share",
                            cli_json_number(r->share)));
    }
    return rows;
}

static json_t *json_interval(double low, double high)
{
    return json_pack("{s:o, s:o}", "low", cli_json_number(low), "high", cli_json_number(high));
}

static json_t *json_mcm(const struct unc_mcm_result *r, const struct unc_mcm_output *o)
{
    return json_pack("{s:o, s:o, s:I, s:I, s:b, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:s, s:o}",
                     "y",
                     cli_json_number(o->y), "u", cli_json_number(o->u), "trials",
                     (json_int_t)r->trials, "seed", (json_int_t)r->seed, "adaptive", r->adaptive,
                     "converged", r->converged, "p", cli_json_number(r->p), "symmetric",
                     json_interval(o->sym_low, o->sym_high), "shortest",
                     json_interval(o->short_low, o->short_high), "d_low",
                     cli_json_number(o->d_low), "d_high", cli_json_number(o->d_high), "delta",
                     cli_json_number(o->delta), "lpu_validated", o->lpu_validated,
                     "validation", unc_validation_name(o->validation), "warning",
                     r->warning[0] ? json_string(r->warning) : json_null());
}

static json_t *json_decision(const struct decision *d)
{
    if (!d->present)
        return json_null();
    return json_pack("{s:s, s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:s, s:o}", "rule",
                     unc_rule_name(d->rule.rule), "r",
                     d->rule.rule == UNC_RULE_GUARD_BAND ? cli_json_number(d->rule.r)
                                                         : json_null(),
                     "low", cli_json_number(d->low), "high", cli_json_number(d->high),
                     "verdict", unc_verdict_name(d->result.verdict), "accept_low",
                     cli_json_number(d->result.accept_low), "accept_high",
                     cli_json_number(d->result.accept_high), "pfa",
                     cli_json_number(d->result.pfa), "pfa_distribution",
                     unc_pdf_name(d->result.pfa_pdf), "pfa_dof",
                     cli_json_number(d->result.pfa_dof));
}

static json_t *json_results(const struct unc_lpu_result *lpu, const struct unc_mcm_result *mcm,
                            const struct decision *dec)
{
    json_t *outputs = json_array();
    for (size_t j = 0; j < lpu->n_outputs; j++) {
        const struct unc_lpu_output *o = &lpu->outputs[j];
        json_t *out = json_pack(
            "{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "name", o->name, "unit",
            o->unit, "y", cli_json_number(o->y), "u", cli_json_number(o->u), "nu_eff",
            cli_json_number(o->nu_eff), "k", cli_json_number(o->k), "U", cli_json_number(o->U),
            "p", cli_json_number(o->p), "u_second_order", cli_json_number(o->u_second_order),
            "budget", json_budget(o));
        json_object_set_new(out, "mcm", mcm != NULL ? json_mcm(mcm, &mcm->outputs[j])
                                                    : json_null());
        json_object_set_new(out, "decision", json_decision(&dec[j]));
        json_array_append_new(outputs, out);
    }
    return json_pack("{s:o, s:o, s:o}", "outputs", outputs, "correlation",
                     cli_json_matrix(lpu->correlation, lpu->n_outputs), "covariance",
                     cli_json_matrix(lpu->covariance, lpu->n_outputs));
}

/* ------------------------------------------------------------ command */

int cmd_gum(int argc, char **argv)
{
    struct gum_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? 0 : rc;

    struct cd_err err = {0};
    struct unc_model_file_opts fo;
    unc_model *m = unc_model_load_file(a.path, &fo, &err);
    if (m == NULL)
        return cli_error("gum", "%s", cd_err_text(&err));
    struct unc_coverage cov = fo.coverage;
    if (!isnan(a.coverage))
        cov = (struct unc_coverage){.p = a.coverage, .k = 0};

    struct unc_lpu_result *lpu = NULL;
    struct unc_mcm_result *mcm = NULL;
    struct decision *dec = NULL;
    int status = 0;
    if (unc_lpu(m, cov, &lpu, &err) != 0) {
        status = cli_error("gum", "%s", cd_err_text(&err));
        goto done;
    }
    if (a.mcm) {
        struct unc_mcm_options mo;
        unc_mcm_options_default(&mo);
        mo.trials = (size_t)a.trials;
        mo.seed = a.seed;
        mo.threads = a.threads;
        /* With a stated k there is no p: the intervals use the default. */
        mo.p = cov.k > 0 ? UNC_P_DEFAULT : cov.p;
        if (unc_mcm(m, &mo, lpu, &mcm, &err) != 0) {
            status = cli_error("gum", "%s", cd_err_text(&err));
            goto done;
        }
        if (mcm->warning[0] != '\0')
            fprintf(stderr, _("caldaq gum: warning: %s\n"), mcm->warning);
    }
    dec = calloc(lpu->n_outputs, sizeof *dec);
    if (dec == NULL) {
        status = cli_error("gum", _("out of memory"));
        goto done;
    }
    for (size_t j = 0; j < lpu->n_outputs; j++) {
        struct decision *d = &dec[j];
        if (!unc_model_output_tolerance(m, j, &d->low, &d->high))
            continue;
        const struct unc_lpu_output *o = &lpu->outputs[j];
        d->present = true;
        d->rule = fo.rule;
        if (unc_decide_dof(&d->rule, o->y, o->u, o->U, o->nu_eff, d->low, d->high, &d->result,
                           &err) != 0) {
            status = cli_error("gum", "%s: %s", o->name, cd_err_text(&err));
            goto done;
        }
    }
    if (a.json)
        status = cli_json_print(json_results(lpu, mcm, dec));
    else
        print_text(m, lpu, mcm, dec);
done:
    free(dec);
    unc_mcm_result_free(mcm);
    unc_lpu_result_free(lpu);
    unc_model_free(m);
    return status;
}
