/* Callendar-Van Dusen (uncertainty/cvd.c): IEC 60751:2008 table values
 * for a Pt100 with the standard coefficients (from memory **M**: 100 ohm at
 * 0 degC, 138.5055 at 100, 60.2558 at -100, 119.3971 at 50, 18.5201 at
 * -200, 390.4811 at 850), round trips over the whole range, the
 * derivative against a finite difference, the uncertainty against a hand
 * computation, the refusals, and the CVD coefficients of a quadratic fit
 * (unc_cvd_from_fit) with their covariance against closed forms derived
 * by hand here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <math.h>

#include "unc.h"

static const struct unc_cvd pt100 = {
    .r0 = 100, .a = UNC_CVD_IEC60751_A, .b = UNC_CVD_IEC60751_B, .c = UNC_CVD_IEC60751_C,
};

static void r_of_t(double t, double want)
{
    double r = 0;
    struct cd_err err = {0};
    assert_int_equal(unc_cvd_resistance(t, &pt100, &r, &err), 0);
    if (fabs(r - want) > 0.00005)
        fail_msg("R(%g) = %.6f, IEC 60751 table %.4f", t, r, want);
    double back = 0;
    assert_int_equal(unc_cvd_temperature(want, &pt100, &back, &err), 0);
    if (fabs(back - t) > 0.0002)   /* the table's 4 decimals, over dR/dt ~0.39 */
        fail_msg("t(%.4f) = %.6f, expected %g", want, back, t);
}

static void test_iec60751_table(void **state)
{
    (void)state;
    r_of_t(0, 100.0);
    r_of_t(100, 138.5055);
    r_of_t(-100, 60.2558);
    r_of_t(50, 119.3971);
    r_of_t(-200, 18.5201);
    r_of_t(850, 390.4811);
}

static void test_round_trip(void **state)
{
    (void)state;
    struct cd_err err = {0};
    for (double t = -200; t <= 850; t += 0.37) {
        double r, back;
        assert_int_equal(unc_cvd_resistance(t, &pt100, &r, &err), 0);
        assert_int_equal(unc_cvd_temperature(r, &pt100, &back, &err), 0);
        if (fabs(back - t) > 1e-8)
            fail_msg("round trip at %g degC: %.12f", t, back);
    }
    /* a PRT with its own coefficients (a certificate's, typical values) */
    struct unc_cvd own = {.r0 = 100.0123, .a = 3.9092e-3, .b = -5.81e-7, .c = -4.5e-12};
    for (double t = -190; t <= 660; t += 10.1) {
        double r, back;
        assert_int_equal(unc_cvd_resistance(t, &own, &r, &err), 0);
        assert_int_equal(unc_cvd_temperature(r, &own, &back, &err), 0);
        assert_true(fabs(back - t) < 1e-8);
    }
    /* B = 0: the linear case */
    struct unc_cvd lin = {.r0 = 100, .a = 0.00385};
    double t;
    assert_int_equal(unc_cvd_temperature(138.5, &lin, &t, &err), 0);
    assert_true(fabs(t - 100) < 1e-9);
}

static void test_derivative(void **state)
{
    (void)state;
    struct cd_err err = {0};
    for (double t = -199; t <= 849; t += 13.7) {
        double h = 1e-4, r1, r2;
        assert_int_equal(unc_cvd_resistance(t - h, &pt100, &r1, &err), 0);
        assert_int_equal(unc_cvd_resistance(t + h, &pt100, &r2, &err), 0);
        double fd = (r2 - r1) / (2 * h);
        assert_true(fabs(unc_cvd_dr_dt(t, &pt100) - fd) < 1e-8);
    }
    /* at 0 degC: R0 A */
    assert_true(fabs(unc_cvd_dr_dt(0, &pt100) - 0.39083) < 1e-12);
    assert_true(unc_cvd_dr_dt(NAN, &pt100) == 0);
}

static void test_uncertainty(void **state)
{
    (void)state;
    struct cd_err err = {0};
    struct unc_cvd_result res;
    /* u(R) alone at 100 degC: u(t) = u(R) / (dR/dt), by hand:
     * dR/dt = 100 (A + 2 B 100) = 0.379280 ohm/degC */
    assert_int_equal(unc_cvd_convert(138.5055, 0.001, &pt100, &res, &err), 0);
    assert_true(fabs(res.t - 100) < 2e-4);
    double drdt = 100 * (UNC_CVD_IEC60751_A + 2 * UNC_CVD_IEC60751_B * res.t);
    assert_true(fabs(res.dt_dr - 1 / drdt) < 1e-12);
    assert_true(fabs(res.u_t - 0.001 / drdt) < 1e-12);
    assert_true(res.u_t_from_coeffs == 0);

    /* the coefficients' part, by hand at 100 degC: dt/dR0 = -(R/R0)/(dR/dt),
     * dt/dA = -R0 t/(dR/dt), dt/dB = -R0 t^2/(dR/dt); C does not act above 0 */
    struct unc_cvd k = pt100;
    k.u_r0 = 0.002;
    k.u_a = 1e-6;
    k.u_b = 1e-8;
    k.u_c = 1e-12;
    assert_int_equal(unc_cvd_convert(138.5055, 0.001, &k, &res, &err), 0);
    double t = res.t;
    double w = 1 + k.a * t + k.b * t * t;
    double ua = 100 * t * 1e-6, ub = 100 * t * t * 1e-8, ur0 = w * 0.002;
    double want_c = sqrt(ua * ua + ub * ub + ur0 * ur0) / drdt;
    assert_true(fabs(res.u_t_from_coeffs - want_c) < 1e-12);
    assert_true(fabs(res.u_t - hypot(want_c, 0.001 / drdt)) < 1e-12);

    /* below 0 C acts: at -100 degC dt/dC = -R0 (t - 100) t^3 / (dR/dt) */
    k = pt100;
    k.u_c = 1e-12;
    assert_int_equal(unc_cvd_convert(60.2558, 0, &k, &res, &err), 0);
    t = res.t;
    double d = unc_cvd_dr_dt(t, &k);
    assert_true(fabs(res.u_t - fabs(100 * (t - 100) * t * t * t * 1e-12 / d)) < 1e-12);
}

static void fails(int rc, const struct cd_err *err, int code, const char *why)
{
    if (rc != code || strstr(err->msg, why) == NULL)
        fail_msg("%d \"%s\", expected %d \"%s\"", rc, err->msg, code, why);
}

static void test_refusals(void **state)
{
    (void)state;
    struct cd_err err = {0};
    double x;
    struct unc_cvd_result res;
    fails(unc_cvd_resistance(-200.1, &pt100, &x, &err), &err, CD_ERR_INVALID, "outside");
    memset(&err, 0, sizeof err);
    fails(unc_cvd_resistance(NAN, &pt100, &x, &err), &err, CD_ERR_INVALID, "outside");
    memset(&err, 0, sizeof err);
    fails(unc_cvd_temperature(10, &pt100, &x, &err), &err, CD_ERR_INVALID, "10 ohm is outside");
    memset(&err, 0, sizeof err);
    fails(unc_cvd_temperature(400, &pt100, &x, &err), &err, CD_ERR_INVALID, "outside");
    memset(&err, 0, sizeof err);
    struct unc_cvd k = pt100;
    k.r0 = 0;
    fails(unc_cvd_temperature(100, &k, &x, &err), &err, CD_ERR_INVALID, "R0 must be positive");
    memset(&err, 0, sizeof err);
    k = pt100;
    k.a = -3.9e-3;
    fails(unc_cvd_temperature(100, &k, &x, &err), &err, CD_ERR_INVALID, "do not make R rise");
    memset(&err, 0, sizeof err);
    k = pt100;
    k.u_a = -1;
    fails(unc_cvd_convert(100, 0, &k, &res, &err), &err, CD_ERR_INVALID, "uncertainties");
    memset(&err, 0, sizeof err);
    fails(unc_cvd_convert(100, -0.1, &pt100, &res, &err), &err, CD_ERR_INVALID, "u(R)");
    memset(&err, 0, sizeof err);
    fails(unc_cvd_temperature(100, NULL, &x, &err), &err, CD_ERR_INVALID, "no coefficients");
}

/* The inverse of a symmetric 3x3 matrix by cofactors (the adjugate over
 * the determinant), written out: the hand computation of (X^T W X)^-1. */
static void inverse3(const double m[9], double inv[9])
{
    double a = m[0], b = m[1], c = m[2], d = m[4], e = m[5], f = m[8];
    double A = d * f - e * e, B = -(b * f - c * e), C = b * e - c * d;
    double D = a * f - c * c, E = -(a * e - b * c), F = a * d - b * b;
    double det = a * A + b * B + c * C;
    const double adj[9] = {A, B, C, B, D, E, C, E, F};
    for (int i = 0; i < 9; i++)
        inv[i] = adj[i] / det;
}

/* Closed forms of V = J C J^T for R0 = c0, A = c1/c0, B = c2/c0, expanded
 * by hand (J = [[1,0,0], [-c1/c0^2, 1/c0, 0], [-c2/c0^2, 0, 1/c0]]). */
static void cvd_cov_by_hand(const double c[3], const double C[9], double V[9])
{
    double c0 = c[0], c1 = c[1], c2 = c[2];
    double q2 = c0 * c0, q3 = q2 * c0, q4 = q2 * q2;
    double v00 = C[0];
    double v01 = -c1 / q2 * C[0] + C[1] / c0;
    double v02 = -c2 / q2 * C[0] + C[2] / c0;
    double v11 = c1 * c1 / q4 * C[0] - 2 * c1 / q3 * C[1] + C[4] / q2;
    double v22 = c2 * c2 / q4 * C[0] - 2 * c2 / q3 * C[2] + C[8] / q2;
    double v12 = c1 * c2 / q4 * C[0] - c1 / q3 * C[2] - c2 / q3 * C[1] + C[5] / q2;
    const double v[9] = {v00, v01, v02, v01, v11, v12, v02, v12, v22};
    memcpy(V, v, sizeof v);
}

static void near(double got, double want, double rel, const char *what)
{
    if (!(fabs(got - want) <= rel * fabs(want)))
        fail_msg("%s = %.17g, by hand %.17g", what, got, want);
}

/* Five exact points of a Pt100 with the IEC 60751 coefficients, each
 * with u(R) = 1 mOhm: the fit recovers R0, A, B exactly; its covariance
 * is u^2 (X^T X)^-1 (GUM H.3, equal weights) and that of R0, A, B the
 * closed forms above. */
static void test_from_fit(void **state)
{
    (void)state;
    const double t[5] = {0, 25, 50, 75, 100};
    double r[5], u[5];
    struct cd_err err = {0};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(unc_cvd_resistance(t[i], &pt100, &r[i], &err), 0);
        u[i] = 0.001;
    }
    struct unc_fit_data d = {.n = 5, .x = t, .y = r, .u_y = u};
    struct unc_fit f;
    assert_int_equal(unc_fit_poly(&d, 2, 0, &f, &err), 0);
    struct unc_cvd_fit k;
    assert_int_equal(unc_cvd_from_fit(&f, &k, &err), 0);
    near(k.r0, 100, 1e-12, "R0");
    near(k.a, UNC_CVD_IEC60751_A, 1e-9, "A");
    near(k.b, UNC_CVD_IEC60751_B, 1e-7, "B");

    double xtx[9] = {0}, inv[9];
    for (int i = 0; i < 5; i++) {
        const double g[3] = {1, t[i], t[i] * t[i]};
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++)
                xtx[a * 3 + b] += g[a] * g[b];
    }
    inverse3(xtx, inv);
    for (int i = 0; i < 9; i++)
        near(f.cov[i], 1e-6 * inv[i], 1e-8, "cov(c)");
    double V[9];
    cvd_cov_by_hand(f.coef, f.cov, V);
    for (int i = 0; i < 9; i++)
        near(k.cov[i], V[i], 1e-9, "cov(R0, A, B)");
    for (int i = 0; i < 3; i++)
        near(k.u[i], sqrt(V[i * 4]), 1e-9, "u");
    near(k.corr[1], V[1] / sqrt(V[0] * V[4]), 1e-9, "r(R0, A)");
    /* u(A) and u(B) for this design, written down once: 1 mOhm at five
     * points gives u(R0) = 0.886 mOhm (sqrt(inv[0]) * 1e-3) */
    near(k.u[0], 1e-3 * sqrt(inv[0]), 1e-9, "u(R0)");
}

/* A covariance given by hand (not from a fit, so with correlations of
 * both signs): the Jacobian product against the closed forms; and a
 * finite-difference check of the Jacobian itself. */
static void test_from_fit_given_cov(void **state)
{
    (void)state;
    struct unc_fit f = {.degree = 2, .x0 = 0, .n_coef = 3,
                        .coef = {100.05, 0.3907, -5.8e-5},
                        .cov = {4e-6, -2e-8, 1e-10, -2e-8, 3e-9, -2.5e-11, 1e-10, -2.5e-11,
                                3e-13}};
    struct unc_cvd_fit k;
    struct cd_err err = {0};
    assert_int_equal(unc_cvd_from_fit(&f, &k, &err), 0);
    double V[9];
    cvd_cov_by_hand(f.coef, f.cov, V);
    for (int i = 0; i < 9; i++)
        near(k.cov[i], V[i], 1e-12, "cov(R0, A, B)");
    /* J by central differences of g(c) = (c0, c1/c0, c2/c0) */
    double J[9];
    for (int j = 0; j < 3; j++) {
        double cp[3], cm[3];
        memcpy(cp, f.coef, sizeof cp);
        memcpy(cm, f.coef, sizeof cm);
        double h = 1e-6 * fabs(f.coef[j]);
        cp[j] += h;
        cm[j] -= h;
        const double gp[3] = {cp[0], cp[1] / cp[0], cp[2] / cp[0]};
        const double gm[3] = {cm[0], cm[1] / cm[0], cm[2] / cm[0]};
        for (int i = 0; i < 3; i++)
            J[i * 3 + j] = (gp[i] - gm[i]) / (2 * h);
    }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double v = 0;
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++)
                    v += J[i * 3 + a] * f.cov[a * 3 + b] * J[j * 3 + b];
            near(k.cov[i * 3 + j], v, 1e-6, "cov by finite differences");
        }
    near(k.a, 0.3907 / 100.05, 1e-15, "A");

    struct unc_fit lin = f;
    lin.degree = 1;
    lin.n_coef = 2;
    fails(unc_cvd_from_fit(&lin, &k, &err), &err, CD_ERR_INVALID, "degree 1");
    struct unc_fit neg = f;
    neg.coef[0] = -1;
    memset(&err, 0, sizeof err);
    fails(unc_cvd_from_fit(&neg, &k, &err), &err, CD_ERR_INVALID, "R0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iec60751_table), cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_derivative),     cmocka_unit_test(test_uncertainty),
        cmocka_unit_test(test_refusals),       cmocka_unit_test(test_from_fit),
        cmocka_unit_test(test_from_fit_given_cov),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
