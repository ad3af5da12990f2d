/* Callendar-Van Dusen (uncertainty/cvd.c): IEC 60751:2008 table values
 * for a Pt100 with the standard coefficients (from memory **M**: 100 ohm at
 * 0 degC, 138.5055 at 100, 60.2558 at -100, 119.3971 at 50, 18.5201 at
 * -200, 390.4811 at 850), round trips over the whole range, the
 * derivative against a finite difference, the uncertainty against a hand
 * computation, and the refusals. */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iec60751_table), cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_derivative),     cmocka_unit_test(test_uncertainty),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
