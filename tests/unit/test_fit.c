/* Least-squares calibration curves (uncertainty/fit.c): GUM H.3 against the
 * reference file, exact polynomials with awkward coefficients, a weighted
 * line against closed-form formulas computed here, and every error path. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "unc.h"

#ifndef REFERENCE_DIR
#error "REFERENCE_DIR must name the reference data folder (the Makefile defines it)"
#endif

#define H3_ID "GUM-H3-thermometer-LSQ"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

static void check_rel(const char *what, double got, double want, double rel)
{
    double tol = rel * fabs(want);
    if (!(fabs(got - want) <= tol))
        fail_msg("%s: got %.12g, want %.12g (relative difference %.3g > %.3g)", what, got,
                 want, fabs(got - want) / fabs(want), rel);
}

/* Half a unit in the last digit of `v` as the reference file prints it
 * (the shortest decimal that reads back as v). The file gives 4 or 5
 * significant digits, so e.g. s_resid 0.003498 stands for the exact
 * 0.00349756: 1.2e-4 off in relative terms from rounding alone. A correct
 * engine must come within the stated relative tolerance OR within the
 * rounding of the printed figure, whichever is wider. */
static double printed_half_unit(double v)
{
    if (v == 0)
        return 0;
    for (int digits = 1; digits <= 17; digits++) {
        char buf[64];
        snprintf(buf, sizeof buf, "%.*e", digits - 1, v);
        if (strtod(buf, NULL) == v)
            return 0.5 * pow(10.0, floor(log10(fabs(v))) - (digits - 1));
    }
    return 0;
}

/* The relative tolerance check_reference grants `want`. */
static double reference_rel_tol(double want, double rel)
{
    return fmax(rel, printed_half_unit(want) / fabs(want));
}

static void check_reference(const char *what, double got, double want, double rel)
{
    double tol = fmax(rel * fabs(want), printed_half_unit(want));
    print_message("  %-12s engine %-22.15g reference %-12.8g rel diff %.2e\n", what, got, want,
                  fabs(got - want) / fabs(want));
    if (!(fabs(got - want) <= tol))
        fail_msg("%s: engine %.12g, reference %.12g: difference %.3g exceeds %.3g", what, got,
                 want, fabs(got - want), tol);
}

static double json_number_at(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_number(v))
        fail_msg("reference: '%s' missing or not a number", key);
    return json_number_value(v);
}

static json_t *load_case(json_t **root, const char *id)
{
    json_error_t jerr;
    *root = json_load_file(REFERENCE_DIR "/gum-cases.json", 0, &jerr);
    if (*root == NULL)
        fail_msg("%s/gum-cases.json:%d: %s", REFERENCE_DIR, jerr.line, jerr.text);
    json_t *cases = json_object_get(*root, "cases");
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        if (strcmp(json_string_value(json_object_get(c, "id")), id) == 0)
            return c;
    }
    fail_msg("reference case %s not found", id);
    return NULL;
}

/* Copy a JSON array of numbers into a new heap array (caller frees). */
static double *json_doubles(json_t *arr, size_t *n)
{
    *n = json_array_size(arr);
    assert_true(*n > 0);
    double *v = malloc(*n * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < *n; i++) {
        json_t *e = json_array_get(arr, i);
        assert_true(json_is_number(e));
        v[i] = json_number_value(e);
    }
    return v;
}

static double mean(const double *v, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    return s / (double)n;
}

/* ------------------------------------------------------------------ */
/* GUM H.3: thermometer calibration                                    */

static void h3_thermometer_matches_reference(void **state)
{
    (void)state;
    json_t *root = NULL;
    json_t *c = load_case(&root, H3_ID);
    json_t *data = json_object_get(c, "data");
    json_t *expected = json_object_get(c, "expected");
    double rel = json_number_at(json_object_get(c, "tolerance"), "rel");
    size_t n_t, n_b;
    double *t = json_doubles(json_object_get(data, "t"), &n_t);
    double *b = json_doubles(json_object_get(data, "b"), &n_b);
    assert_int_equal(n_t, n_b);
    double t0 = json_number_at(data, "t0");
    double t_eval = json_number_at(data, "t_eval");
    double p = json_number_at(expected, "p");

    struct cd_err err = {0};
    struct unc_fit f;
    struct unc_fit_data d = {n_t, t, b, NULL};
    assert_int_equal(unc_fit_poly(&d, 1, t0, &f, &err), 0);
    assert_false(f.weighted);
    assert_int_equal(f.n_coef, 2);

    check_reference("y1", f.coef[0], json_number_at(expected, "y1"), rel);
    check_reference("u_y1", f.u_coef[0], json_number_at(expected, "u_y1"), rel);
    check_reference("y2", f.coef[1], json_number_at(expected, "y2"), rel);
    check_reference("u_y2", f.u_coef[1], json_number_at(expected, "u_y2"), rel);
    check_reference("r_y1y2", f.corr[1], json_number_at(expected, "r_y1y2"), rel);
    assert_true(f.corr[1] == f.corr[2]);
    check_reference("s_resid", f.s_resid, json_number_at(expected, "s_resid"), rel);

    /* H.3: nu = n - 2, and k is Student's t for it. */
    print_message("  %-12s engine %-22.15g reference %g\n", "nu (dof)", f.dof,
                  json_number_at(expected, "nu_eff"));
    assert_true(f.dof == json_number_at(expected, "nu_eff"));
    double k = unc_coverage_factor(p, f.dof);
    check_reference("k", k, json_number_at(expected, "k"), rel);

    double y, u;
    assert_int_equal(unc_fit_predict(&f, t_eval, &y, &u, &err), 0);
    check_reference("y(t_eval)", y, json_number_at(expected, "y"), rel);
    check_reference("u(t_eval)", u, json_number_at(expected, "u"), rel);

    /* U is by definition k u (GUM 6.2.1): checked as that product of the
     * two figures verified above. The reference's own U (0.009364) is not
     * its k times its u (2.2622 x 0.004139 = 0.0093632; exact 0.0093622),
     * so comparing against it would test the file, not the engine: the
     * disagreement is reported, not asserted. */
    double U = k * u;
    double k_ref = json_number_at(expected, "k");
    double u_ref = json_number_at(expected, "u");
    check_rel("U = k u", U, k_ref * u_ref, reference_rel_tol(k_ref, rel)
                                            + reference_rel_tol(u_ref, rel));
    double U_ref = json_number_at(expected, "U");
    print_message("  %-12s engine %-22.15g reference %-12.8g rel diff %.2e\n", "U", U, U_ref,
                  fabs(U - U_ref) / U_ref);
    if (fabs(U - U_ref) > fmax(rel * fabs(U_ref), printed_half_unit(U_ref)))
        print_message("  NOTE: reference U = %.6g disagrees with k u = %.6g (rel %.2e): "
                      "a defect of gum-cases.json, reported to the lead\n",
                      U_ref, U, fabs(U - U_ref) / U_ref);

    /* At the mean of t the slope's uncertainty drops out: u = s/sqrt(n). */
    double t_mean = mean(t, n_t);
    check_reference("t_mean", t_mean, json_number_at(expected, "t_mean"), rel);
    json_t *at_mean = json_object_get(expected, "b_at_tmean");
    assert_int_equal(unc_fit_predict(&f, t_mean, &y, &u, &err), 0);
    check_reference("b(t_mean)", y, json_number_at(at_mean, "y"), rel);
    check_reference("u(t_mean)", u, json_number_at(at_mean, "u"), rel);
    check_rel("u(t_mean) = s/sqrt(n)", u, f.s_resid / sqrt((double)n_t), 1e-12);

    free(t);
    free(b);
    json_decref(root);
}

/* ------------------------------------------------------------------ */
/* Exact polynomials                                                    */

static const double poly_x[] = {-4.7, -1.25, 0.5, 3.7, 8.25, 11.1, 17.35, 22.9, 31.4, 38.05};
#define POLY_N (sizeof poly_x / sizeof poly_x[0])

static double poly_eval(const double *a, int degree, double x)
{
    double y = 0;
    for (int i = degree; i >= 0; i--)
        y = y * x + a[i];
    return y;
}

static void check_exact_recovery(const double *a, int degree)
{
    double y[POLY_N];
    for (size_t i = 0; i < POLY_N; i++)
        y[i] = poly_eval(a, degree, poly_x[i]);
    struct unc_fit_data d = {POLY_N, poly_x, y, NULL};
    struct unc_fit f;
    struct cd_err err = {0};
    assert_int_equal(unc_fit_poly(&d, degree, 0.0, &f, &err), 0);
    assert_int_equal(f.n_coef, (size_t)degree + 1);
    assert_true(f.dof == (double)(POLY_N - f.n_coef));
    for (int i = 0; i <= degree; i++) {
        char what[16];
        snprintf(what, sizeof what, "a%d", i);
        check_rel(what, f.coef[i], a[i], 1e-9);
    }
    /* Exact data leave (almost) no scatter. */
    assert_true(f.s_resid < 1e-12);
    double yp, up;
    assert_int_equal(unc_fit_predict(&f, 14.2, &yp, &up, &err), 0);
    check_rel("y(14.2)", yp, poly_eval(a, degree, 14.2), 1e-12);
    assert_true(up < 1e-12);
}

static void degree2_recovers_exact_polynomial(void **state)
{
    (void)state;
    const double a[] = {2.385, -0.0731, 1.9e-4};
    check_exact_recovery(a, 2);
}

static void degree3_recovers_exact_polynomial(void **state)
{
    (void)state;
    const double a[] = {2.385, -0.0731, 1.9e-4, -3.17e-6};
    check_exact_recovery(a, 3);
}

/* The same curve expanded about x0: a_i become the Taylor coefficients at
 * x0, and predictions do not depend on the expansion point. */
static void x0_shifts_the_expansion_only(void **state)
{
    (void)state;
    const double a[] = {2.385, -0.0731, 1.9e-4};
    const double x0 = 20.0;
    double y[POLY_N];
    for (size_t i = 0; i < POLY_N; i++)
        y[i] = poly_eval(a, 2, poly_x[i]);
    struct unc_fit_data d = {POLY_N, poly_x, y, NULL};
    struct unc_fit f;
    assert_int_equal(unc_fit_poly(&d, 2, x0, &f, NULL), 0);
    check_rel("a0 about x0", f.coef[0], a[0] + a[1] * x0 + a[2] * x0 * x0, 1e-9);
    check_rel("a1 about x0", f.coef[1], a[1] + 2 * a[2] * x0, 1e-9);
    check_rel("a2 about x0", f.coef[2], a[2], 1e-9);
    assert_true(f.x0 == x0);
}

/* ------------------------------------------------------------------ */
/* Weighted straight line against the closed form                      */

struct wline {
    double a0, a1, var0, var1, cov01, chisq;
};

/* Textbook weighted least squares for y = a0 + a1 dx, computed here
 * without GSL so the test does not check GSL against itself. */
static struct wline weighted_line(const double *x, const double *y, const double *u, size_t n,
                                  double x0)
{
    double s = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (size_t i = 0; i < n; i++) {
        double w = 1.0 / (u[i] * u[i]);
        double dx = x[i] - x0;
        s += w;
        sx += w * dx;
        sy += w * y[i];
        sxx += w * dx * dx;
        sxy += w * dx * y[i];
    }
    double delta = s * sxx - sx * sx;
    struct wline r;
    r.a1 = (s * sxy - sx * sy) / delta;
    r.a0 = (sxx * sy - sx * sxy) / delta;
    r.var0 = sxx / delta;
    r.var1 = s / delta;
    r.cov01 = -sx / delta;
    r.chisq = 0;
    for (size_t i = 0; i < n; i++) {
        double res = (y[i] - r.a0 - r.a1 * (x[i] - x0)) / u[i];
        r.chisq += res * res;
    }
    return r;
}

static void weighted_line_matches_closed_form(void **state)
{
    (void)state;
    /* A pressure gauge: reference pressure / bar, reading / bar, u / bar. */
    const double x[] = {0.0, 2.5, 5.0, 7.5, 10.0, 12.5, 15.0};
    const double y[] = {0.0132, 2.5287, 5.0219, 7.5461, 10.0377, 12.5608, 15.0589};
    const double u[] = {0.0021, 0.0023, 0.0030, 0.0034, 0.0041, 0.0047, 0.0055};
    const size_t n = sizeof x / sizeof x[0];
    const double x0 = 7.5;
    struct wline ref = weighted_line(x, y, u, n, x0);

    struct unc_fit_data d = {n, x, y, u};
    struct unc_fit f;
    struct cd_err err = {0};
    assert_int_equal(unc_fit_poly(&d, 1, x0, &f, &err), 0);
    assert_true(f.weighted);
    assert_true(f.dof == (double)(n - 2));
    check_rel("a0", f.coef[0], ref.a0, 1e-9);
    check_rel("a1", f.coef[1], ref.a1, 1e-9);
    check_rel("u(a0)", f.u_coef[0], sqrt(ref.var0), 1e-9);
    check_rel("u(a1)", f.u_coef[1], sqrt(ref.var1), 1e-9);
    check_rel("cov(a0,a1)", f.cov[1], ref.cov01, 1e-9);
    check_rel("r(a0,a1)", f.corr[1], ref.cov01 / sqrt(ref.var0 * ref.var1), 1e-9);
    check_rel("chisq", f.chisq, ref.chisq, 1e-9);

    double yp, up;
    const double at = 13.7;
    assert_int_equal(unc_fit_predict(&f, at, &yp, &up, &err), 0);
    double dx = at - x0;
    check_rel("y(13.7)", yp, ref.a0 + ref.a1 * dx, 1e-9);
    check_rel("u(13.7)", up, sqrt(ref.var0 + 2 * dx * ref.cov01 + dx * dx * ref.var1), 1e-9);
}

/* ------------------------------------------------------------------ */
/* Error paths                                                         */

static const double ex[] = {1.5, 2.25, 3.0, 4.75, 5.5, 6.125};
static const double ey[] = {0.21, 0.33, 0.52, 0.61, 0.83, 0.94};
#define EN (sizeof ex / sizeof ex[0])

static void expect_fit_error(const struct unc_fit_data *d, int degree, int code,
                             const char *needle)
{
    struct unc_fit f;
    struct cd_err err = {0};
    int rc = unc_fit_poly(d, degree, 0.0, &f, &err);
    if (rc != code)
        fail_msg("expected code %d, got %d (%s)", code, rc, cd_err_text(&err));
    assert_int_equal(err.code, code);
    if (strstr(err.msg, needle) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle);
    /* NULL err is allowed and changes nothing but the report. */
    assert_int_equal(unc_fit_poly(d, degree, 0.0, &f, NULL), code);
}

static void error_degree_out_of_range(void **state)
{
    (void)state;
    struct unc_fit_data d = {EN, ex, ey, NULL};
    expect_fit_error(&d, 0, CD_ERR_INVALID, "degree 0");
    expect_fit_error(&d, 4, CD_ERR_INVALID, "degree 4");
}

static void error_too_few_points(void **state)
{
    (void)state;
    struct unc_fit_data line = {2, ex, ey, NULL};
    expect_fit_error(&line, 1, CD_ERR_INVALID, "need at least 3 points");
    struct unc_fit_data cubic = {4, ex, ey, NULL};
    expect_fit_error(&cubic, 3, CD_ERR_INVALID, "need at least 5 points");
}

static void error_nan_x(void **state)
{
    (void)state;
    double x[EN];
    memcpy(x, ex, sizeof x);
    x[2] = NAN;
    struct unc_fit_data d = {EN, x, ey, NULL};
    expect_fit_error(&d, 1, CD_ERR_INVALID, "point 3: x");
}

static void error_inf_y(void **state)
{
    (void)state;
    double y[EN];
    memcpy(y, ey, sizeof y);
    y[EN - 1] = INFINITY;
    struct unc_fit_data d = {EN, ex, y, NULL};
    expect_fit_error(&d, 1, CD_ERR_INVALID, "point 6: y");
}

static void error_u_zero_or_negative(void **state)
{
    (void)state;
    double u[EN] = {0.01, 0.01, 0.01, 0.01, 0.01, 0.01};
    struct unc_fit_data d = {EN, ex, ey, u};
    u[0] = 0.0;
    expect_fit_error(&d, 1, CD_ERR_INVALID, "point 1: u_y");
    u[0] = 0.01;
    u[3] = -0.02;
    expect_fit_error(&d, 1, CD_ERR_INVALID, "point 4: u_y");
    u[3] = NAN;
    expect_fit_error(&d, 1, CD_ERR_INVALID, "point 4: u_y");
}

static void error_all_x_equal(void **state)
{
    (void)state;
    const double x[EN] = {2.385, 2.385, 2.385, 2.385, 2.385, 2.385};
    struct unc_fit_data d = {EN, x, ey, NULL};
    expect_fit_error(&d, 1, CD_ERR_NUMERIC, "all 6 x values are equal");
    /* Two distinct abscissae cannot fix a parabola either. */
    const double x2[EN] = {1.5, 1.5, 1.5, 4.0, 4.0, 4.0};
    struct unc_fit_data d2 = {EN, x2, ey, NULL};
    expect_fit_error(&d2, 2, CD_ERR_NUMERIC, "only 2 distinct x values");
}

static void error_null_arguments(void **state)
{
    (void)state;
    struct unc_fit f;
    struct cd_err err = {0};
    struct unc_fit_data d = {EN, ex, ey, NULL};
    assert_int_equal(unc_fit_poly(NULL, 1, 0.0, &f, &err), CD_ERR_INVALID);
    cd_err_clear(&err);
    assert_int_equal(unc_fit_poly(&d, 1, 0.0, NULL, &err), CD_ERR_INVALID);
    cd_err_clear(&err);
    struct unc_fit_data no_x = {EN, NULL, ey, NULL};
    assert_int_equal(unc_fit_poly(&no_x, 1, 0.0, &f, &err), CD_ERR_INVALID);
    cd_err_clear(&err);
    assert_int_equal(unc_fit_poly(&d, 1, NAN, &f, &err), CD_ERR_INVALID);

    assert_int_equal(unc_fit_poly(&d, 1, 0.0, &f, NULL), 0);
    double y, u;
    cd_err_clear(&err);
    assert_int_equal(unc_fit_predict(NULL, 1.0, &y, &u, &err), CD_ERR_INVALID);
    cd_err_clear(&err);
    assert_int_equal(unc_fit_predict(&f, 1.0, NULL, &u, &err), CD_ERR_INVALID);
    cd_err_clear(&err);
    assert_int_equal(unc_fit_predict(&f, INFINITY, &y, &u, &err), CD_ERR_INVALID);
    assert_non_null(strstr(err.msg, "inf"));
}

/* A failed fit leaves the caller's result untouched. */
static void failure_leaves_result_alone(void **state)
{
    (void)state;
    struct unc_fit f;
    memset(&f, 0, sizeof f);
    f.coef[0] = 2.385;
    unsigned char before[sizeof f];
    memcpy(before, &f, sizeof f);
    struct unc_fit_data d = {2, ex, ey, NULL};
    assert_int_equal(unc_fit_poly(&d, 1, 0.0, &f, NULL), CD_ERR_INVALID);
    const double x[EN] = {2.385, 2.385, 2.385, 2.385, 2.385, 2.385};
    struct unc_fit_data flat = {EN, x, ey, NULL};
    assert_int_equal(unc_fit_poly(&flat, 1, 0.0, &f, NULL), CD_ERR_NUMERIC);
    assert_memory_equal(&f, before, sizeof f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(h3_thermometer_matches_reference),
        cmocka_unit_test(degree2_recovers_exact_polynomial),
        cmocka_unit_test(degree3_recovers_exact_polynomial),
        cmocka_unit_test(x0_shifts_the_expansion_only),
        cmocka_unit_test(weighted_line_matches_closed_form),
        cmocka_unit_test(error_degree_out_of_range),
        cmocka_unit_test(error_too_few_points),
        cmocka_unit_test(error_nan_x),
        cmocka_unit_test(error_inf_y),
        cmocka_unit_test(error_u_zero_or_negative),
        cmocka_unit_test(error_all_x_equal),
        cmocka_unit_test(error_null_arguments),
        cmocka_unit_test(failure_leaves_result_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
