/* Decision rules (ILAC-G8:09/2019) and the probability of false accept
 * (JCGM 106:2012 7.4).
 *
 * Reference values are computed here from libm's erfc, independently of the
 * GSL routines the engine uses: Phi(z) = erfc(-z / sqrt 2) / 2 and
 * Q(z) = erfc(z / sqrt 2) / 2. Boundary ties use binary-exact numbers
 * (10.25, 0.5, ...) or the acceptance limits the engine reports, so a tie is
 * a tie and not a rounding accident.
 */
#include "unc.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#define assert_near(a, b, tol)                                                     \
    do {                                                                           \
        double a_ = (a);                                                           \
        double b_ = (b);                                                           \
        double t_ = (tol);                                                         \
        if (!(fabs(a_ - b_) <= t_)) {                                              \
            print_error("%s = %.17g, expected %.17g within %g\n", #a, a_, b_, t_); \
            fail();                                                                \
        }                                                                          \
    } while (0)

#define assert_rel(a, b, rel)                                                     \
    do {                                                                          \
        double a_ = (a);                                                          \
        double b_ = (b);                                                          \
        double r_ = (rel);                                                        \
        if (!(fabs(a_ - b_) <= r_ * fabs(b_))) {                                  \
            print_error("%s = %.17g, expected %.17g to %g relative\n", #a, a_, b_, \
                        r_);                                                      \
            fail();                                                               \
        }                                                                         \
    } while (0)

#define assert_contains(haystack, needle)                                      \
    do {                                                                       \
        if (strstr((haystack), (needle)) == NULL) {                            \
            print_error("\"%s\" does not contain \"%s\"\n", (haystack), (needle)); \
            fail();                                                            \
        }                                                                      \
    } while (0)

static double phi_ref(double z) { return 0.5 * erfc(-z / sqrt(2.0)); }
static double q_ref(double z) { return 0.5 * erfc(z / sqrt(2.0)); }

static double up(double x) { return nextafter(x, INFINITY); }
static double down(double x) { return nextafter(x, -INFINITY); }

/* Decide and insist that it worked. */
static struct unc_decision decide(enum unc_rule rule, double r, double y, double u, double U,
                                  double low, double high)
{
    struct unc_decision_rule dr = {.rule = rule, .r = r};
    struct unc_decision d;
    memset(&d, 0xa5, sizeof d);
    struct cd_err err = {0};
    int rc = unc_decide(&dr, y, u, U, low, high, &d, &err);
    if (rc != 0) {
        print_error("unc_decide(%s, y=%.17g) failed: %s\n", unc_rule_name(rule), y,
                    cd_err_text(&err));
        fail();
    }
    assert_int_equal(err.code, 0);
    assert_true(d.pfa >= 0.0 && d.pfa <= 1.0);
    return d;
}

struct verdict_case {
    double y;
    enum unc_verdict expect;
};

static void check_cases(enum unc_rule rule, double r, double u, double U, double low,
                        double high, const struct verdict_case *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct unc_decision d = decide(rule, r, c[i].y, u, U, low, high);
        if (d.verdict != c[i].expect) {
            print_error("%s r=%g U=%g [%g, %g]: y = %.17g gave \"%s\", expected \"%s\"\n",
                        unc_rule_name(rule), r, U, low, high, c[i].y,
                        unc_verdict_name(d.verdict), unc_verdict_name(c[i].expect));
            fail();
        }
    }
}

#define CHECK(rule, r, u, U, low, high, cases) \
    check_cases(rule, r, u, U, low, high, cases, sizeof cases / sizeof cases[0])

/* ------------------------------------------------------------------ */
/* JCGM 106:2012 7.4                                                   */

/* The example of JCGM 106 7.4: tolerance 12.5 .. 16.3, y = 13.6, u = 1.8;
 * the standard gives the conformance probability p_c = 0.66. */
static void test_jcgm106_example(void **state)
{
    (void)state;
    double y = 13.6;
    double u = 1.8;
    double low = 12.5;
    double high = 16.3;
    double pfa_ref = phi_ref((low - y) / u) + q_ref((high - y) / u);

    struct unc_decision d = decide(UNC_RULE_SIMPLE, 0, y, u, 2 * u, low, high);
    assert_near(d.pfa, pfa_ref, 1e-12);
    assert_near(d.pfa, 0.337370, 1e-6);
    assert_near(round(100 * d.pfa) / 100, 0.34, 1e-15);
    assert_near(round(100 * (1 - d.pfa)) / 100, 0.66, 1e-15);
    assert_int_equal(d.verdict, UNC_PASS);

    /* The same result under the other rules: the PFA does not depend on the
     * rule; with U = 3.6 the guard band swallows the whole tolerance, and
     * y +- U crosses both limits. */
    struct unc_decision g = decide(UNC_RULE_GUARD_BAND, 1, y, u, 2 * u, low, high);
    assert_near(g.pfa, pfa_ref, 1e-12);
    assert_int_equal(g.verdict, UNC_FAIL);
    assert_true(g.accept_low > g.accept_high);
    struct unc_decision nb = decide(UNC_RULE_NON_BINARY, 0, y, u, 2 * u, low, high);
    assert_near(nb.pfa, pfa_ref, 1e-12);
    assert_int_equal(nb.verdict, UNC_CONDITIONAL_PASS);
}

/* ------------------------------------------------------------------ */
/* Simple acceptance, ILAC-G8 4.2.1                                    */

static void test_simple_two_sided(void **state)
{
    (void)state;
    const struct verdict_case cases[] = {
        {14.4, UNC_PASS},             /* well inside */
        {12.6, UNC_PASS},             /* near the lower limit, inside U */
        {16.2, UNC_PASS},             /* near the upper limit, inside U */
        {12.5, UNC_PASS},             /* on the lower limit */
        {16.3, UNC_PASS},             /* on the upper limit */
        {down(12.5), UNC_FAIL},       /* just outside */
        {up(16.3), UNC_FAIL},
        {12.49, UNC_FAIL},
        {16.31, UNC_FAIL},
        {-40.0, UNC_FAIL},            /* far outside */
        {1e6, UNC_FAIL},
    };
    CHECK(UNC_RULE_SIMPLE, 0, 0.2, 0.4, 12.5, 16.3, cases);
    struct unc_decision d = decide(UNC_RULE_SIMPLE, 0, 14.4, 0.2, 0.4, 12.5, 16.3);
    assert_true(d.accept_low == 12.5);
    assert_true(d.accept_high == 16.3);
}

static void test_simple_one_sided(void **state)
{
    (void)state;
    const struct verdict_case upper_only[] = {
        {-1e9, UNC_PASS}, {0.0, UNC_PASS}, {16.2, UNC_PASS}, {16.3, UNC_PASS},
        {up(16.3), UNC_FAIL}, {1e9, UNC_FAIL},
    };
    CHECK(UNC_RULE_SIMPLE, 0, 0.2, 0.4, -INFINITY, 16.3, upper_only);
    struct unc_decision d = decide(UNC_RULE_SIMPLE, 0, 3, 0.2, 0.4, -INFINITY, 16.3);
    assert_true(d.accept_low == -INFINITY);
    assert_true(d.accept_high == 16.3);

    const struct verdict_case lower_only[] = {
        {1e9, UNC_PASS}, {12.6, UNC_PASS}, {12.5, UNC_PASS},
        {down(12.5), UNC_FAIL}, {-1e9, UNC_FAIL},
    };
    CHECK(UNC_RULE_SIMPLE, 0, 0.2, 0.4, 12.5, INFINITY, lower_only);
    d = decide(UNC_RULE_SIMPLE, 0, 30, 0.2, 0.4, 12.5, INFINITY);
    assert_true(d.accept_low == 12.5);
    assert_true(d.accept_high == INFINITY);
}

/* r is documented for the guard band only; the other rules ignore it. */
static void test_simple_ignores_r(void **state)
{
    (void)state;
    struct unc_decision d = decide(UNC_RULE_SIMPLE, -3, 12.6, 0.2, 0.4, 12.5, 16.3);
    assert_int_equal(d.verdict, UNC_PASS);
    d = decide(UNC_RULE_NON_BINARY, NAN, 14.4, 0.2, 0.4, 12.5, 16.3);
    assert_int_equal(d.verdict, UNC_PASS);
}

/* ------------------------------------------------------------------ */
/* Binary statement with a guard band, ILAC-G8 4.2.2                  */

static void test_guard_band_r1(void **state)
{
    (void)state;
    double low = 12.5;
    double high = 16.3;
    double U = 0.4;
    struct unc_decision d = decide(UNC_RULE_GUARD_BAND, 1, 14.4, 0.2, U, low, high);
    assert_true(d.accept_low == low + U);
    assert_true(d.accept_high == high - U);
    assert_near(d.accept_low, 12.9, 1e-12);
    assert_near(d.accept_high, 15.9, 1e-12);

    const struct verdict_case cases[] = {
        {14.4, UNC_PASS},                /* well inside */
        {12.7, UNC_FAIL},                /* inside the tolerance, in the guard band */
        {16.0, UNC_FAIL},
        {d.accept_low, UNC_PASS},        /* on an acceptance limit */
        {d.accept_high, UNC_PASS},
        {down(d.accept_low), UNC_FAIL},  /* just inside the guard band */
        {up(d.accept_high), UNC_FAIL},
        {12.5, UNC_FAIL},                /* on a tolerance limit */
        {16.3, UNC_FAIL},
        {12.4, UNC_FAIL},                /* just outside */
        {16.4, UNC_FAIL},
        {-40.0, UNC_FAIL},               /* far outside */
        {1e6, UNC_FAIL},
    };
    CHECK(UNC_RULE_GUARD_BAND, 1, 0.2, U, low, high, cases);
}

static void test_guard_band_r_half(void **state)
{
    (void)state;
    double low = 12.5;
    double high = 16.3;
    double U = 0.4;
    struct unc_decision d = decide(UNC_RULE_GUARD_BAND, 0.5, 14.4, 0.2, U, low, high);
    assert_true(d.accept_low == low + 0.5 * U);
    assert_true(d.accept_high == high - 0.5 * U);
    assert_near(d.accept_low, 12.7, 1e-12);
    assert_near(d.accept_high, 16.1, 1e-12);

    const struct verdict_case cases[] = {
        {14.4, UNC_PASS},
        {12.8, UNC_PASS},                /* would fail with r = 1 */
        {16.0, UNC_PASS},
        {12.6, UNC_FAIL},                /* in the narrower guard band */
        {16.2, UNC_FAIL},
        {d.accept_low, UNC_PASS},
        {d.accept_high, UNC_PASS},
        {down(d.accept_low), UNC_FAIL},
        {up(d.accept_high), UNC_FAIL},
        {12.5, UNC_FAIL},
        {16.3, UNC_FAIL},
        {-40.0, UNC_FAIL},
        {1e6, UNC_FAIL},
    };
    CHECK(UNC_RULE_GUARD_BAND, 0.5, 0.2, U, low, high, cases);

    /* r = 0 is simple acceptance. */
    d = decide(UNC_RULE_GUARD_BAND, 0, 12.5, 0.2, U, low, high);
    assert_int_equal(d.verdict, UNC_PASS);
    assert_true(d.accept_low == low);
    assert_true(d.accept_high == high);
}

static void test_guard_band_one_sided(void **state)
{
    (void)state;
    /* Only the finite limit moves. */
    struct unc_decision d = decide(UNC_RULE_GUARD_BAND, 1, 0, 0.25, 0.5, -INFINITY, 14.75);
    assert_true(d.accept_low == -INFINITY);
    assert_true(d.accept_high == 14.25);
    const struct verdict_case upper_only[] = {
        {-1e9, UNC_PASS}, {14.0, UNC_PASS}, {14.25, UNC_PASS}, {up(14.25), UNC_FAIL},
        {14.5, UNC_FAIL}, {14.75, UNC_FAIL}, {15.0, UNC_FAIL}, {1e9, UNC_FAIL},
    };
    CHECK(UNC_RULE_GUARD_BAND, 1, 0.25, 0.5, -INFINITY, 14.75, upper_only);

    d = decide(UNC_RULE_GUARD_BAND, 1, 0, 0.25, 0.5, 10.25, INFINITY);
    assert_true(d.accept_low == 10.75);
    assert_true(d.accept_high == INFINITY);
    const struct verdict_case lower_only[] = {
        {1e9, UNC_PASS}, {11.0, UNC_PASS}, {10.75, UNC_PASS}, {down(10.75), UNC_FAIL},
        {10.5, UNC_FAIL}, {10.25, UNC_FAIL}, {10.0, UNC_FAIL}, {-1e9, UNC_FAIL},
    };
    CHECK(UNC_RULE_GUARD_BAND, 1, 0.25, 0.5, 10.25, INFINITY, lower_only);
}

/* 2w > high - low: no result can pass, and that is a verdict, not an error. */
static void test_guard_band_empty_zone(void **state)
{
    (void)state;
    struct unc_decision_rule dr = {.rule = UNC_RULE_GUARD_BAND, .r = 1};
    struct unc_decision d;
    struct cd_err err = {0};
    assert_int_equal(unc_decide(&dr, 14.4, 1.2, 2.4, 12.5, 16.3, &d, &err), 0);
    assert_int_equal(err.code, 0);
    assert_int_equal(d.verdict, UNC_FAIL);
    assert_true(d.accept_low > d.accept_high);

    const struct verdict_case cases[] = {
        {14.4, UNC_FAIL}, {12.5, UNC_FAIL}, {16.3, UNC_FAIL},
        {d.accept_low, UNC_FAIL}, {d.accept_high, UNC_FAIL}, {0, UNC_FAIL},
    };
    CHECK(UNC_RULE_GUARD_BAND, 1, 1.2, 2.4, 12.5, 16.3, cases);

    /* 2w == high - low exactly: a zone of one point, which is inclusive. */
    d = decide(UNC_RULE_GUARD_BAND, 1, 10.5, 0.25, 0.5, 10, 11);
    assert_true(d.accept_low == 10.5 && d.accept_high == 10.5);
    assert_int_equal(d.verdict, UNC_PASS);
    d = decide(UNC_RULE_GUARD_BAND, 1, up(10.5), 0.25, 0.5, 10, 11);
    assert_int_equal(d.verdict, UNC_FAIL);
}

/* ------------------------------------------------------------------ */
/* Non-binary statement, ILAC-G8 4.2.3 figure 7                        */

static void test_non_binary_two_sided(void **state)
{
    (void)state;
    /* Awkward numbers away from the ties. */
    const struct verdict_case awkward[] = {
        {14.4, UNC_PASS},
        {12.7, UNC_CONDITIONAL_PASS}, {16.0, UNC_CONDITIONAL_PASS},
        {12.2, UNC_CONDITIONAL_FAIL}, {16.5, UNC_CONDITIONAL_FAIL},
        {11.0, UNC_FAIL}, {17.0, UNC_FAIL}, {-40.0, UNC_FAIL}, {1e6, UNC_FAIL},
    };
    CHECK(UNC_RULE_NON_BINARY, 0, 0.2, 0.4, 12.5, 16.3, awkward);

    /* Binary-exact numbers for the ties: tolerance 10.25 .. 14.75, U = 0.5:
     * pass zone 10.75 .. 14.25, conditional fail down to 9.75 and up to 15.25. */
    struct unc_decision d = decide(UNC_RULE_NON_BINARY, 0, 12.5, 0.25, 0.5, 10.25, 14.75);
    assert_true(d.accept_low == 10.75);
    assert_true(d.accept_high == 14.25);
    const struct verdict_case ties[] = {
        {12.5, UNC_PASS},
        {10.75, UNC_PASS},                    /* y - U exactly on the lower limit */
        {14.25, UNC_PASS},                    /* y + U exactly on the upper limit */
        {down(10.75), UNC_CONDITIONAL_PASS},
        {up(14.25), UNC_CONDITIONAL_PASS},
        {10.5, UNC_CONDITIONAL_PASS},
        {10.25, UNC_CONDITIONAL_PASS},        /* y on a limit is inside */
        {14.75, UNC_CONDITIONAL_PASS},
        {down(10.25), UNC_CONDITIONAL_FAIL},
        {up(14.75), UNC_CONDITIONAL_FAIL},
        {15.0, UNC_CONDITIONAL_FAIL},
        {9.75, UNC_CONDITIONAL_FAIL},         /* y + U touches the limit: reaches inside */
        {15.25, UNC_CONDITIONAL_FAIL},
        {down(9.75), UNC_FAIL},
        {up(15.25), UNC_FAIL},
        {-1e9, UNC_FAIL},
        {1e9, UNC_FAIL},
    };
    CHECK(UNC_RULE_NON_BINARY, 0, 0.25, 0.5, 10.25, 14.75, ties);
}

static void test_non_binary_one_sided(void **state)
{
    (void)state;
    struct unc_decision d = decide(UNC_RULE_NON_BINARY, 0, 0, 0.25, 0.5, -INFINITY, 14.75);
    assert_true(d.accept_low == -INFINITY);
    assert_true(d.accept_high == 14.25);
    const struct verdict_case upper_only[] = {
        {-1e9, UNC_PASS}, {14.25, UNC_PASS}, {14.5, UNC_CONDITIONAL_PASS},
        {14.75, UNC_CONDITIONAL_PASS}, {15.0, UNC_CONDITIONAL_FAIL},
        {15.25, UNC_CONDITIONAL_FAIL}, {up(15.25), UNC_FAIL}, {1e9, UNC_FAIL},
    };
    CHECK(UNC_RULE_NON_BINARY, 0, 0.25, 0.5, -INFINITY, 14.75, upper_only);

    d = decide(UNC_RULE_NON_BINARY, 0, 0, 0.25, 0.5, 10.25, INFINITY);
    assert_true(d.accept_low == 10.75);
    assert_true(d.accept_high == INFINITY);
    const struct verdict_case lower_only[] = {
        {1e9, UNC_PASS}, {10.75, UNC_PASS}, {10.5, UNC_CONDITIONAL_PASS},
        {10.25, UNC_CONDITIONAL_PASS}, {10.0, UNC_CONDITIONAL_FAIL},
        {9.75, UNC_CONDITIONAL_FAIL}, {down(9.75), UNC_FAIL}, {-1e9, UNC_FAIL},
    };
    CHECK(UNC_RULE_NON_BINARY, 0, 0.25, 0.5, 10.25, INFINITY, lower_only);
}

/* U wider than half the tolerance: no result can pass outright. */
static void test_non_binary_wide_u(void **state)
{
    (void)state;
    const struct verdict_case cases[] = {
        {10.5, UNC_CONDITIONAL_PASS}, {10.0, UNC_CONDITIONAL_PASS},
        {11.0, UNC_CONDITIONAL_PASS}, {12.0, UNC_CONDITIONAL_FAIL},
        {8.0, UNC_CONDITIONAL_FAIL}, {13.5, UNC_FAIL}, {7.5, UNC_FAIL},
    };
    CHECK(UNC_RULE_NON_BINARY, 0, 1, 2, 10, 11, cases);
    struct unc_decision d = decide(UNC_RULE_NON_BINARY, 0, 10.5, 1, 2, 10, 11);
    assert_true(d.accept_low > d.accept_high);

    /* U = 0: no conditional verdicts. */
    const struct verdict_case exact[] = {
        {10.0, UNC_PASS}, {11.0, UNC_PASS}, {up(11.0), UNC_FAIL}, {down(10.0), UNC_FAIL},
    };
    CHECK(UNC_RULE_NON_BINARY, 0, 0, 0, 10, 11, exact);
}

/* ------------------------------------------------------------------ */
/* Probability of false accept                                         */

static void test_pfa_centre_and_symmetry(void **state)
{
    (void)state;
    /* Centre of a tolerance 20 u wide: 2 Q(10) = 1.5e-23. */
    struct unc_decision d = decide(UNC_RULE_SIMPLE, 0, 15.0, 0.5, 1.0, 10.0, 20.0);
    assert_true(d.pfa < 1e-20);
    assert_rel(d.pfa, 2 * q_ref(10.0), 1e-9);

    /* Mirror images about the centre give the same PFA. */
    double offsets[] = {0.3, 1.7, 4.9, 5.0, 6.2, 11.0};
    for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
        struct unc_decision a = decide(UNC_RULE_SIMPLE, 0, 15.0 + offsets[i], 0.7, 1.4, 10, 20);
        struct unc_decision b = decide(UNC_RULE_SIMPLE, 0, 15.0 - offsets[i], 0.7, 1.4, 10, 20);
        assert_rel(a.pfa, b.pfa, 1e-12);
        double z = offsets[i] / 0.7;
        assert_rel(a.pfa, q_ref(5.0 / 0.7 - z) + q_ref(5.0 / 0.7 + z), 1e-12);
    }

    /* On a limit of a wide tolerance: one half, plus a negligible far tail. */
    d = decide(UNC_RULE_SIMPLE, 0, 20.0, 0.5, 1.0, 10.0, 20.0);
    assert_near(d.pfa, 0.5, 1e-15);
    d = decide(UNC_RULE_SIMPLE, 0, 16.3, 1.8, 3.6, -INFINITY, 16.3);
    assert_true(d.pfa == 0.5);

    /* Far outside: certainly a false accept if accepted. */
    d = decide(UNC_RULE_SIMPLE, 0, 100.0, 1.0, 2.0, 12.5, 16.3);
    assert_near(d.pfa, 1.0, 1e-15);
    d = decide(UNC_RULE_SIMPLE, 0, -100.0, 1.0, 2.0, 12.5, INFINITY);
    assert_near(d.pfa, 1.0, 1e-15);
}

/* Small tails keep their relative precision (computing 1 - P would give 0). */
static void test_pfa_small_tails(void **state)
{
    (void)state;
    struct unc_decision d = decide(UNC_RULE_SIMPLE, 0, 16.3 - 20 * 0.01, 0.01, 0.02,
                                   -INFINITY, 16.3);
    assert_true(d.pfa > 0);
    assert_rel(d.pfa, q_ref((16.3 - (16.3 - 20 * 0.01)) / 0.01), 1e-9);
    d = decide(UNC_RULE_SIMPLE, 0, 12.5 + 20 * 0.01, 0.01, 0.02, 12.5, INFINITY);
    assert_true(d.pfa > 0);
    assert_rel(d.pfa, phi_ref((12.5 - (12.5 + 20 * 0.01)) / 0.01), 1e-9);
}

/* ILAC-G8 4.2.2: with w = U = 2u, a result on the acceptance limit of a
 * one-sided tolerance has PFA = Q(2) = 2.28 % < 2.5 %. */
static void test_pfa_at_guard_band(void **state)
{
    (void)state;
    double u = 0.25;
    struct unc_decision d = decide(UNC_RULE_GUARD_BAND, 1, 0, u, 2 * u, -INFINITY, 14.75);
    assert_true(d.accept_high == 14.25);
    d = decide(UNC_RULE_GUARD_BAND, 1, d.accept_high, u, 2 * u, -INFINITY, 14.75);
    assert_int_equal(d.verdict, UNC_PASS);
    assert_rel(d.pfa, q_ref(2.0), 1e-12);
    assert_true(d.pfa < 0.025);
}

static void test_pfa_u_zero(void **state)
{
    (void)state;
    const double ys[] = {12.5, 14.4, 16.3};
    for (size_t i = 0; i < sizeof ys / sizeof ys[0]; i++) {
        struct unc_decision d = decide(UNC_RULE_SIMPLE, 0, ys[i], 0, 0, 12.5, 16.3);
        assert_true(d.pfa == 0.0);
    }
    const double outside[] = {down(12.5), up(16.3), -1e9, 1e9};
    for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++) {
        struct unc_decision d = decide(UNC_RULE_SIMPLE, 0, outside[i], 0, 0, 12.5, 16.3);
        assert_true(d.pfa == 1.0);
    }
    struct unc_decision d = decide(UNC_RULE_NON_BINARY, 0, -1e9, 0, 0, -INFINITY, 16.3);
    assert_true(d.pfa == 0.0);
    d = decide(UNC_RULE_NON_BINARY, 0, 16.3, 0, 0, 12.5, INFINITY);
    assert_true(d.pfa == 0.0);
}

/* ------------------------------------------------------------------ */
/* Finite degrees of freedom: the scaled and shifted t (JCGM 101 6.4.9) */

/* The t-distribution with 4 degrees of freedom has a closed-form
 * distribution function (a standard result, e.g. the table of closed forms
 * under "Student's t-distribution"; checked below against a numerical
 * integral of its density):
 *     F4(t) = 1/2 + (3/8) t / sqrt(1 + t^2/4) (1 - t^2 / (12 (1 + t^2/4))).
 * scipy is not installed here; /usr/bin/python3 with the standard library
 * gave, for the closed form and for Simpson's rule on the density
 * 3/8 (1 + t^2/4)^(-5/2) over [4.5, inf) mapped to [0, 1) (2e5 panels):
 *     Q4(4.5) = 0.005411275231304136 (closed) / 0.005411275231303956 (Simpson)
 *     P4(-3)  = 0.019970984035859396 (closed) / 0.019970984035859694 (Simpson)
 * and, for comparison, the normal Q(4.5) = 3.3976731247300615e-06. */
static double f4_ref(double t)
{
    double a = 1 + t * t / 4;
    return 0.5 + 0.375 * t / sqrt(a) * (1 - t * t / (12 * a));
}

static struct unc_decision decide_dof(double y, double u, double nu, double low, double high)
{
    struct unc_decision_rule dr = {.rule = UNC_RULE_SIMPLE};
    struct unc_decision d;
    memset(&d, 0xa5, sizeof d);
    struct cd_err err = {0};
    if (unc_decide_dof(&dr, y, u, 2 * u, nu, low, high, &d, &err) != 0) {
        print_error("unc_decide_dof(nu = %g) failed: %s\n", nu, cd_err_text(&err));
        fail();
    }
    return d;
}

/* Issue 15: x = 9.1, u = 0.2, nu = 4, upper limit 10 (z = 4.5). The PFA is
 * 0.541 % by t4, not the 3.4e-6 of the normal. */
static void test_pfa_t_upper_limit(void **state)
{
    (void)state;
    struct unc_decision d = decide_dof(9.1, 0.2, 4, -INFINITY, 10);
    assert_rel(d.pfa, 0.005411275231304136, 1e-9);
    assert_rel(d.pfa, 1 - f4_ref(4.5), 1e-9);
    assert_near(round(1e5 * d.pfa) / 1e3, 0.541, 1e-12); /* 0.541 % */
    assert_int_equal(d.pfa_pdf, UNC_PDF_STUDENT_T);
    assert_true(d.pfa_dof == 4);
    assert_string_equal(unc_pdf_name(d.pfa_pdf), "t");
    assert_int_equal(d.verdict, UNC_PASS);

    /* Infinite nu (and unc_decide) keep the normal. */
    struct unc_decision n = decide_dof(9.1, 0.2, INFINITY, -INFINITY, 10);
    assert_rel(n.pfa, q_ref(4.5), 1e-9);
    assert_rel(n.pfa, 3.3976731247300615e-06, 1e-9);
    assert_int_equal(n.pfa_pdf, UNC_PDF_NORMAL);
    assert_true(isinf(n.pfa_dof));
    assert_string_equal(unc_pdf_name(n.pfa_pdf), "normal");
    struct unc_decision plain = decide(UNC_RULE_SIMPLE, 0, 9.1, 0.2, 0.4, -INFINITY, 10);
    assert_true(plain.pfa == n.pfa);
    assert_int_equal(plain.pfa_pdf, UNC_PDF_NORMAL);

    /* A fractional nu is rounded down, as for k (GUM G.4.1 note). */
    struct unc_decision f = decide_dof(9.1, 0.2, 4.9, -INFINITY, 10);
    assert_true(f.pfa == d.pfa);
    assert_true(f.pfa_dof == 4);
    /* A huge nu is the normal. */
    struct unc_decision h = decide_dof(9.1, 0.2, 1e8, -INFINITY, 10);
    assert_int_equal(h.pfa_pdf, UNC_PDF_NORMAL);
    assert_true(h.pfa == n.pfa);
}

/* Both limits, tolerance [8.5, 10] around y = 9.1, u = 0.2, nu = 4: the
 * tails at z = -3 and z = 4.5 add, 0.019970984035859396 +
 * 0.005411275231304136 = 0.02538225926716353 (2.54 %), against
 * 0.0013532957047548257 for the normal. */
static void test_pfa_t_both_limits(void **state)
{
    (void)state;
    struct unc_decision d = decide_dof(9.1, 0.2, 4, 8.5, 10);
    assert_rel(d.pfa, 0.02538225926716353, 1e-9);
    assert_rel(d.pfa, f4_ref(-3.0) + 1 - f4_ref(4.5), 1e-9);
    assert_int_equal(d.pfa_pdf, UNC_PDF_STUDENT_T);
    struct unc_decision n = decide_dof(9.1, 0.2, INFINITY, 8.5, 10);
    assert_rel(n.pfa, 0.0013532957047548257, 1e-9);
    /* nu = 1 (the smallest allowed): the Cauchy distribution, F1(t) = 1/2 +
     * atan(t) / pi, by hand. */
    struct unc_decision c = decide_dof(9.1, 0.2, 1, 8.5, 10);
    assert_rel(c.pfa, 0.5 + atan(-3.0) / M_PI + 0.5 - atan(4.5) / M_PI, 1e-9);
}

static void test_pfa_t_errors(void **state)
{
    (void)state;
    struct unc_decision_rule dr = {.rule = UNC_RULE_SIMPLE};
    struct unc_decision d;
    memset(&d, 0x5a, sizeof d);
    struct unc_decision before = d;
    struct cd_err err = {0};
    assert_int_equal(unc_decide_dof(&dr, 9.1, 0.2, 0.4, 0.5, -INFINITY, 10, &d, &err),
                     CD_ERR_INVALID);
    assert_contains(err.msg, "degrees of freedom 0.5 are below 1");
    assert_memory_equal(&d, &before, sizeof d);
    cd_err_clear(&err);
    assert_int_equal(unc_decide_dof(&dr, 9.1, 0.2, 0.4, NAN, -INFINITY, 10, &d, &err),
                     CD_ERR_INVALID);
    assert_contains(err.msg, "degrees of freedom are not a number");
    assert_non_null(unc_pdf_name((enum unc_pdf)42));
}

/* ------------------------------------------------------------------ */
/* Errors                                                              */

static void expect_invalid(const struct unc_decision_rule *dr, double y, double u, double U,
                           double low, double high, const char *needle)
{
    struct unc_decision d;
    struct unc_decision before;
    memset(&d, 0x5a, sizeof d);
    memcpy(&before, &d, sizeof d);
    struct cd_err err = {0};
    int rc = unc_decide(dr, y, u, U, low, high, &d, &err);
    assert_int_equal(rc, CD_ERR_INVALID);
    assert_int_equal(err.code, CD_ERR_INVALID);
    assert_contains(err.msg, needle);
    assert_null(strchr(err.msg, '\n'));
    assert_memory_equal(&d, &before, sizeof d); /* untouched on failure */
    /* err may be NULL. */
    assert_int_equal(unc_decide(dr, y, u, U, low, high, &d, NULL), CD_ERR_INVALID);
}

static void test_errors(void **state)
{
    (void)state;
    const struct unc_decision_rule simple = {.rule = UNC_RULE_SIMPLE};
    const struct unc_decision_rule guard = {.rule = UNC_RULE_GUARD_BAND, .r = 1};

    expect_invalid(&simple, 14, 0.2, 0.4, 16.3, 12.5,
                   "tolerance lower limit 16.3 is above the upper limit 12.5");
    expect_invalid(&simple, 14, 0.2, 0.4, 12.5, 12.5, "both 12.5");
    expect_invalid(&simple, 14, 0.2, 0.4, -INFINITY, INFINITY, "no limits");
    expect_invalid(&simple, 14, 0.2, 0.4, INFINITY, INFINITY, "lower limit cannot be +infinity");
    expect_invalid(&simple, 14, 0.2, 0.4, 12.5, -INFINITY, "upper limit cannot be -infinity");
    expect_invalid(&simple, 14, 0.2, 0.4, NAN, 16.3, "lower limit is not a number");
    expect_invalid(&simple, 14, 0.2, 0.4, 12.5, NAN, "upper limit is not a number");
    expect_invalid(&simple, NAN, 0.2, 0.4, 12.5, 16.3, "measured value is not a number");
    expect_invalid(&simple, INFINITY, 0.2, 0.4, 12.5, 16.3, "measured value is infinite");
    expect_invalid(&simple, 14, -0.2, 0.4, 12.5, 16.3, "standard uncertainty u -0.2 is negative");
    expect_invalid(&simple, 14, NAN, 0.4, 12.5, 16.3, "standard uncertainty u is not a number");
    expect_invalid(&simple, 14, INFINITY, 0.4, 12.5, 16.3, "standard uncertainty u is infinite");
    expect_invalid(&simple, 14, 0.2, -0.4, 12.5, 16.3, "expanded uncertainty U -0.4 is negative");
    expect_invalid(&simple, 14, 0.2, NAN, 12.5, 16.3, "expanded uncertainty U is not a number");
    expect_invalid(&simple, 14, 0.2, INFINITY, 12.5, 16.3, "expanded uncertainty U is infinite");

    struct unc_decision_rule bad_r = {.rule = UNC_RULE_GUARD_BAND, .r = -1};
    expect_invalid(&bad_r, 14, 0.2, 0.4, 12.5, 16.3, "guard band factor r -1 is negative");
    bad_r.r = NAN;
    expect_invalid(&bad_r, 14, 0.2, 0.4, 12.5, 16.3, "guard band factor r is not a number");
    bad_r.r = INFINITY;
    expect_invalid(&bad_r, 14, 0.2, 0.4, 12.5, 16.3, "guard band factor r is infinite");
    bad_r.r = 1e300;
    expect_invalid(&bad_r, 14, 0.2, 1e300, 12.5, 16.3, "too large");

    struct unc_decision_rule bad_rule = {.rule = (enum unc_rule)42};
    expect_invalid(&bad_rule, 14, 0.2, 0.4, 12.5, 16.3, "unknown decision rule 42");
    expect_invalid(NULL, 14, 0.2, 0.4, 12.5, 16.3, "no decision rule");

    struct cd_err err = {0};
    assert_int_equal(unc_decide(&guard, 14, 0.2, 0.4, 12.5, 16.3, NULL, &err), CD_ERR_INVALID);
    assert_contains(err.msg, "no place");

    /* The first failure is kept. */
    cd_err_clear(&err);
    assert_int_equal(unc_decide(&guard, NAN, -1, 0.4, 16.3, 12.5, &(struct unc_decision){0}, &err),
                     CD_ERR_INVALID);
    assert_contains(err.msg, "16.3 is above");
}

/* ------------------------------------------------------------------ */
/* Names                                                               */

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(unc_verdict_name(UNC_PASS), "pass");
    assert_string_equal(unc_verdict_name(UNC_CONDITIONAL_PASS), "conditional pass");
    assert_string_equal(unc_verdict_name(UNC_CONDITIONAL_FAIL), "conditional fail");
    assert_string_equal(unc_verdict_name(UNC_FAIL), "fail");
    assert_non_null(unc_verdict_name((enum unc_verdict)42));
    assert_string_equal(unc_rule_name(UNC_RULE_SIMPLE), "simple");
    assert_string_equal(unc_rule_name(UNC_RULE_GUARD_BAND), "guard-band");
    assert_string_equal(unc_rule_name(UNC_RULE_NON_BINARY), "non-binary");
    assert_non_null(unc_rule_name((enum unc_rule)42));

    const enum unc_rule rules[] = {UNC_RULE_SIMPLE, UNC_RULE_GUARD_BAND, UNC_RULE_NON_BINARY};
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        enum unc_rule back = (enum unc_rule)-1;
        struct cd_err err = {0};
        assert_int_equal(unc_rule_parse(unc_rule_name(rules[i]), &back, &err), 0);
        assert_int_equal(back, rules[i]);
        assert_int_equal(err.code, 0);
    }

    const struct {
        const char *name;
        enum unc_rule rule;
    } aliases[] = {
        {"simple-acceptance", UNC_RULE_SIMPLE},
        {"guard_band", UNC_RULE_GUARD_BAND},
        {"guarded", UNC_RULE_GUARD_BAND},
        {"non_binary", UNC_RULE_NON_BINARY},
        {"Guard-Band", UNC_RULE_GUARD_BAND},
    };
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
        enum unc_rule back = (enum unc_rule)-1;
        assert_int_equal(unc_rule_parse(aliases[i].name, &back, NULL), 0);
        assert_int_equal(back, aliases[i].rule);
    }
}

static void test_parse_errors(void **state)
{
    (void)state;
    enum unc_rule back = UNC_RULE_NON_BINARY;
    struct cd_err err = {0};
    assert_int_equal(unc_rule_parse("guardband-ish", &back, &err), CD_ERR_INVALID);
    assert_int_equal(err.code, CD_ERR_INVALID);
    assert_contains(err.msg, "\"guardband-ish\"");
    assert_contains(err.msg, "simple");
    assert_contains(err.msg, "guard-band");
    assert_contains(err.msg, "non-binary");
    assert_int_equal(back, UNC_RULE_NON_BINARY);

    cd_err_clear(&err);
    assert_int_equal(unc_rule_parse("", &back, &err), CD_ERR_INVALID);
    assert_contains(err.msg, "guard-band");
    cd_err_clear(&err);
    assert_int_equal(unc_rule_parse(NULL, &back, &err), CD_ERR_INVALID);
    assert_contains(err.msg, "non-binary");
    assert_int_equal(unc_rule_parse("simple ", &back, NULL), CD_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jcgm106_example),
        cmocka_unit_test(test_simple_two_sided),
        cmocka_unit_test(test_simple_one_sided),
        cmocka_unit_test(test_simple_ignores_r),
        cmocka_unit_test(test_guard_band_r1),
        cmocka_unit_test(test_guard_band_r_half),
        cmocka_unit_test(test_guard_band_one_sided),
        cmocka_unit_test(test_guard_band_empty_zone),
        cmocka_unit_test(test_non_binary_two_sided),
        cmocka_unit_test(test_non_binary_one_sided),
        cmocka_unit_test(test_non_binary_wide_u),
        cmocka_unit_test(test_pfa_centre_and_symmetry),
        cmocka_unit_test(test_pfa_small_tails),
        cmocka_unit_test(test_pfa_at_guard_band),
        cmocka_unit_test(test_pfa_u_zero),
        cmocka_unit_test(test_pfa_t_upper_limit),
        cmocka_unit_test(test_pfa_t_both_limits),
        cmocka_unit_test(test_pfa_t_errors),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_parse_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
