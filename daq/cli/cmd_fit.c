/* `caldaq fit`: a calibration curve by least squares, with uncertainty
 * (GUM H.3), from a CSV file of x, y[, u_y] points. */
#include "cli.h"

#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "csv.h"
#include "unc.h"
#include "cd_i18n.h"

#define FIT_MAX_AT 64

static const char *const fit_usage = N_(
    "usage: caldaq fit DATA.csv [--degree N] [--x0 X] [--at X]... [--coverage P] [--json]\n"
    "\n"
    "Fit y = a0 + a1 (x - x0) + ... + aN (x - x0)^N by least squares and give each\n"
    "coefficient with its standard uncertainty, their correlation, and predictions.\n"
    "\n"
    "DATA.csv    columns x, y and optionally u_y (a header may name them x,y,u or\n"
    "            x,y,u_y; otherwise the first 2 or 3 columns); '-' reads stdin.\n"
    "            With u_y the fit is weighted (1/u_y^2) and trusts u_y;\n"
    "            without, u comes from the scatter of the residuals.\n"
    "  --degree N    polynomial degree, 1 (default) to 3\n"
    "  --x0 X        expand the curve about X (default 0)\n"
    "  --at X        predict y at X with u and U = k u (repeatable, at most 64)\n"
    "  --coverage P  coverage probability for k (default 0.9545: k = 2 with\n"
    "                infinite dof); k = t_P(n - N - 1) for an unweighted fit\n"
    "  --json        machine-readable results on stdout\n"
    "  --help        this text\n");

struct fit_args {
    const char *path;
    int degree;
    double x0;
    double p;
    size_t n_at;
    double at[FIT_MAX_AT];
    bool json;
    bool help;
};

struct prediction {
    double x, y, u, k, U;
};

static int parse_option(int opt, const char *arg, struct fit_args *a)
{
    unsigned long long n = 0;
    double v = 0;
    switch (opt) {
    case 'd':
        if (cli_parse_size(arg, &n) != 0 || n < 1 || n > 3)
            return cli_usage_error("fit", _("--degree must be 1, 2 or 3, not '%s'"), arg);
        a->degree = (int)n;
        return 0;
    case 'x':
        if (cli_parse_double(arg, &a->x0) != 0)
            return cli_usage_error("fit", _("--x0 needs a finite number, not '%s'"), arg);
        return 0;
    case 'a':
        if (a->n_at == FIT_MAX_AT)
            return cli_usage_error("fit", _("at most %d --at values"), FIT_MAX_AT);
        if (cli_parse_double(arg, &v) != 0)
            return cli_usage_error("fit", _("--at needs a finite number, not '%s'"), arg);
        a->at[a->n_at++] = v;
        return 0;
    case 'p':
        if (cli_parse_double(arg, &v) != 0 || !(v > 0 && v < 1))
            return cli_usage_error("fit", _("--coverage must be a probability between 0 and 1 "
                                   "(e.g. 0.95), not '%s'"), arg);
        a->p = v;
        return 0;
    case 'j':
        a->json = true;
        return 0;
    case 'h':
        a->help = true;
        return 0;
    default:
        return cli_usage_error("fit", _("unexpected option"));
    }
}

/* getopt's optopt is ambiguous for long options ("--json=3" reports 'j'),
 * so the argument as typed is quoted instead. */
static int unknown_option(const char *typed)
{
    if (strncmp(typed, "--", 2) == 0)
        return cli_usage_error("fit", _("'%s': unknown option, or one that takes no value"), typed);
    return cli_usage_error("fit", _("unknown option in '%s'"), typed);
}

static int parse_args(int argc, char **argv, struct fit_args *a)
{
    static const struct option longopts[] = {
        {"degree", required_argument, NULL, 'd'},
        {"x0", required_argument, NULL, 'x'},
        {"at", required_argument, NULL, 'a'},
        {"coverage", required_argument, NULL, 'p'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof *a);
    a->degree = 1;
    a->p = UNC_P_DEFAULT;
    /* 0, not 1: GNU getopt then also forgets its state from any earlier
     * parse in this process (tests may call cmd_fit repeatedly). */
    optind = 0;
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        if (opt == ':')
            return cli_usage_error("fit", _("%s needs a value"), argv[optind - 1]);
        if (opt == '?')
            return unknown_option(argv[optind - 1]);
        int rc = parse_option(opt, optarg, a);
        if (rc != 0)
            return rc;
    }
    if (a->help)
        return 0;
    if (optind >= argc)
        return cli_usage_error("fit", _("no data file given"));
    if (argc - optind > 1)
        return cli_usage_error("fit", _("one data file only, got '%s' and '%s'"), argv[optind],
                               argv[optind + 1]);
    a->path = argv[optind];
    return 0;
}

/* OLS takes u from the residual scatter: Student's t with n - n_coef dof.
 * A weighted fit takes u_y as known: the normal distribution. */
static double fit_dof_for_k(const struct unc_fit *f)
{
    return f->weighted ? INFINITY : f->dof;
}

static int predict_all(const struct fit_args *a, const struct unc_fit *f,
                       struct prediction *out, struct cd_err *err)
{
    double k = unc_coverage_factor(a->p, fit_dof_for_k(f));
    for (size_t i = 0; i < a->n_at; i++) {
        struct prediction *pr = &out[i];
        pr->x = a->at[i];
        int rc = unc_fit_predict(f, pr->x, &pr->y, &pr->u, err);
        if (rc != 0)
            return rc;
        pr->k = k;
        pr->U = k * pr->u;
    }
    return 0;
}

static json_t *json_coefficients(const struct unc_fit *f)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < f->n_coef; i++) {
        char name[24];
        snprintf(name, sizeof name, "a%zu", i);
        json_array_append_new(arr, json_pack("{s:s, s:o, s:o}", "name", name, "value",
                                             cli_json_number(f->coef[i]), "u",
                                             cli_json_number(f->u_coef[i])));
    }
    return arr;
}

static json_t *json_predictions(const struct prediction *pr, size_t n, double p)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}",
                                             "x", cli_json_number(pr[i].x),
                                             "y", cli_json_number(pr[i].y),
                                             "u", cli_json_number(pr[i].u),
                                             "k", cli_json_number(pr[i].k),
                                             "U", cli_json_number(pr[i].U),
                                             "p", cli_json_number(p)));
    return arr;
}

static int print_json(const struct fit_args *a, const struct unc_fit *f, size_t n,
                      const struct prediction *pr)
{
    json_t *root = json_pack("{s:i, s:o, s:b, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o}",
                             "degree", f->degree,
                             "x0", cli_json_number(f->x0),
                             "weighted", f->weighted,
                             "n", (json_int_t)n,
                             "dof", (json_int_t)f->dof,
                             "coefficients", json_coefficients(f),
                             "covariance", cli_json_matrix(f->cov, f->n_coef),
                             "correlation", cli_json_matrix(f->corr, f->n_coef),
                             "s_resid", cli_json_number(f->s_resid),
                             "chisq", cli_json_number(f->chisq),
                             "predictions", json_predictions(pr, a->n_at, a->p));
    if (root == NULL)
        return cli_error("fit", _("cannot build the JSON result (out of memory)"));
    return cli_json_print(root) == 0 ? 0 : cli_error("fit", _("cannot write the JSON result"));
}

static void print_coefficients(const struct unc_fit *f)
{
    printf("\n  %-4s %20s %20s\n", "", "value", "u");
    for (size_t i = 0; i < f->n_coef; i++)
        printf("  a%-3zu %20.10g %20.10g\n", i, f->coef[i], f->u_coef[i]);
}

static void print_correlation(const struct unc_fit *f)
{
    printf(_("\ncorrelation\n  %-4s"), "");
    for (size_t j = 0; j < f->n_coef; j++) {
        char name[24];
        snprintf(name, sizeof name, "a%zu", j);
        printf("  %9s", name);
    }
    printf("\n");
    for (size_t i = 0; i < f->n_coef; i++) {
        printf("  a%-3zu", i);
        for (size_t j = 0; j < f->n_coef; j++)
            printf("  %9.6f", f->corr[i * f->n_coef + j]);
        printf("\n");
    }
}

static void print_scatter(const struct unc_fit *f)
{
    if (f->weighted)
        printf(_("\nchisq = %.6g with %.0f dof (chisq/dof = %.4g; near 1 when u_y fits the "
               "scatter)\n"), f->chisq, f->dof, f->chisq / f->dof);
    else
        printf(_("\ns_resid = %.6g with %.0f dof\n"), f->s_resid, f->dof);
}

static void print_predictions(const struct fit_args *a, const struct prediction *pr)
{
    if (a->n_at == 0)
        return;
    printf(_("\npredictions (coverage p = %.4g %%)\n"), 100 * a->p);
    printf("  %14s %16s %14s %8s %14s\n", "x", "y", "u", "k", "U");
    for (size_t i = 0; i < a->n_at; i++)
        printf("  %14.8g %16.10g %14.6g %8.4f %14.6g\n", pr[i].x, pr[i].y, pr[i].u, pr[i].k,
               pr[i].U);
}

static void print_human(const struct fit_args *a, const struct unc_fit *f, size_t n,
                        const struct prediction *pr)
{
    printf(_("%s: %zu points, degree %d about x0 = %g, %s\n"), a->path, n, f->degree, f->x0,
           f->weighted ? _("weighted by 1/u_y^2") : _("ordinary least squares"));
    printf("y = a0");
    for (int i = 1; i <= f->degree; i++)
        printf(i == 1 ? " + a1 (x - x0)" : " + a%d (x - x0)^%d", i, i);
    printf("\n");
    print_coefficients(f);
    print_correlation(f);
    print_scatter(f);
    print_predictions(a, pr);
}

int cmd_fit(int argc, char **argv)
{
    struct fit_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc;
    if (a.help) {
        fputs(_(fit_usage), stdout);
        return 0;
    }

    struct cd_err err = {0};
    struct csv_xy data;
    if (csv_read_xy(a.path, &data, &err) != 0)
        return cli_error("fit", "%s", cd_err_text(&err));
    struct unc_fit_data d = {data.n, data.x, data.y, data.u_y};
    struct unc_fit f;
    struct prediction pr[FIT_MAX_AT];
    rc = unc_fit_poly(&d, a.degree, a.x0, &f, &err);
    if (rc == 0)
        rc = predict_all(&a, &f, pr, &err);
    size_t n = data.n;
    csv_xy_free(&data);
    if (rc != 0)
        return cli_error("fit", "%s: %s", a.path, cd_err_text(&err));
    if (a.json)
        return print_json(&a, &f, n, pr);
    print_human(&a, &f, n, pr);
    return 0;
}
