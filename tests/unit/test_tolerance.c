/* Tolerance forms (profiles/prof.h): OIML R76-1, OIML R111-1, EN 837-1,
 * ASME B40.100, multimeter +-(% reading + % range), piecewise tables.
 *
 * Where the figures come from (../shared/reference/protocols.md section 4
 * and docs/tolerances.md):
 *   - R76-1 band edges and class limits: protocols.md 4.1 (Tables 6 and 3
 *     of R76-1), edges "each band excludes its lower bound";
 *   - R111-1 values: protocols.md 4.2, typed here from that table, not from
 *     the code's;
 *   - 34401A: the service guide's full-scale 1-year limits and the worked
 *     example of protocols.md 4.4, which the code must reproduce from the
 *     per-range percentages: an independent check of the shipped table;
 *   - EN 837-1 example: class 1.6 on 0-10 bar is +-0.16 bar anywhere on the
 *     scale (protocols.md 4.3; the same example in hammok-tech.com's class
 *     guide).
 * Boundary values use loads that are exact decimal multiples of e and, where
 * binary rounding of load/e would land beyond an edge (0.05 kg / 1e-6 kg =
 * 50000.00000000001), check that the edge still holds.
 */
#include "prof.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

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

#define assert_contains(haystack, needle)                                          \
    do {                                                                           \
        if (strstr((haystack), (needle)) == NULL) {                                \
            print_error("\"%s\" does not contain \"%s\"\n", (haystack), (needle)); \
            fail();                                                                \
        }                                                                          \
    } while (0)

#define REL 1e-12

/* The MPE, insisting that it worked. */
static double mpe_of(const struct prof_tolerance *t, double x)
{
    struct cd_err err = {0};
    double m = -1;
    int rc = prof_mpe_at(t, x, &m, &err);
    if (rc != 0) {
        print_error("prof_mpe_at(%s, x = %.17g) failed: %s\n", prof_tol_kind_name(t->kind), x,
                    cd_err_text(&err));
        fail();
    }
    assert_int_equal(err.code, 0);
    assert_true(m > 0);
    return m;
}

/* prof_mpe_at must fail with `code` and a message containing `needle`. */
static void expect_mpe_fail(const struct prof_tolerance *t, double x, int code,
                            const char *needle)
{
    struct cd_err err = {0};
    double m = 1;
    int rc = prof_mpe_at(t, x, &m, &err);
    if (rc != code) {
        print_error("prof_mpe_at(x = %.17g) returned %d (mpe %.17g, \"%s\"), expected %d\n", x,
                    rc, m, err.msg, code);
        fail();
    }
    assert_int_equal(err.code, code);
    assert_true(isnan(m));
    assert_contains(err.msg, needle);
}

static void expect_check_fail(const struct prof_tolerance *t, const char *needle)
{
    struct cd_err err = {0};
    int rc = prof_tolerance_check(t, &err);
    if (rc != CD_ERR_INVALID) {
        print_error("prof_tolerance_check returned %d (\"%s\"), expected CD_ERR_INVALID\n", rc,
                    err.msg);
        fail();
    }
    assert_int_equal(err.code, CD_ERR_INVALID);
    assert_contains(err.msg, needle);
}

static void expect_check_ok(const struct prof_tolerance *t)
{
    struct cd_err err = {0};
    int rc = prof_tolerance_check(t, &err);
    if (rc != 0) {
        print_error("prof_tolerance_check failed: %s\n", cd_err_text(&err));
        fail();
    }
}

/* ------------------------------------------------------------------ */
/* OIML R76-1                                                          */

static struct prof_tolerance r76(enum prof_r76_class c, enum prof_mass_unit u, double e,
                                 double d, double max, double min)
{
    struct prof_tolerance t = {.kind = PROF_TOL_OIML_R76};
    t.r76 = (struct prof_r76){
        .accuracy_class = c, .unit = u, .e = e, .d = d, .max = max, .min = min};
    return t;
}

/* One valid instrument per class whose Max reaches the top band. */
struct r76_case {
    struct prof_tolerance t;
    double edge1, edge2; /* Table 6, in e */
};

static struct r76_case r76_cases[4];

static void r76_cases_init(void)
{
    /* I: analytical balance 220 g, e = 1 mg, d = 0.1 mg, Min 10 mg = 100 d */
    r76_cases[0] = (struct r76_case){r76(PROF_R76_I, PROF_MASS_G, 0.001, 0.0001, 220, 0.01),
                                     50000, 200000};
    /* II: 10 kg, e = 0.1 g (n = 100 000), Min 5 g = 50 e */
    r76_cases[1] = (struct r76_case){r76(PROF_R76_II, PROF_MASS_G, 0.1, 0, 10000, 5), 5000,
                                     20000};
    /* III: 50 kg, e = 5 g (n = 10 000), Min 100 g = 20 e, in kg */
    r76_cases[2] = (struct r76_case){r76(PROF_R76_III, PROF_MASS_KG, 0.005, 0, 50, 0.1), 500,
                                     2000};
    /* IIII: 50 kg, e = 50 g (n = 1 000), Min 500 g = 10 e, in kg */
    r76_cases[3] = (struct r76_case){r76(PROF_R76_IIII, PROF_MASS_KG, 0.05, 0, 50, 0.5), 50,
                                     200};
}

/* Every band edge of every class: just below, on, just above. */
static void test_r76_band_edges(void **state)
{
    (void)state;
    r76_cases_init();
    for (size_t c = 0; c < 4; c++) {
        const struct prof_tolerance *t = &r76_cases[c].t;
        double e = t->r76.e;
        expect_check_ok(t);
        const double edges[2] = {r76_cases[c].edge1, r76_cases[c].edge2};
        const double below_k[2] = {0.5, 1.0};
        const double above_k[2] = {1.0, 1.5};
        for (size_t k = 0; k < 2; k++) {
            double E = edges[k];
            assert_rel(mpe_of(t, (E - 0.001) * e), below_k[k] * e, REL);
            assert_rel(mpe_of(t, (E - 1) * e), below_k[k] * e, REL);
            assert_rel(mpe_of(t, E * e), below_k[k] * e, REL);
            /* within the 1e-6 e allowance: still on the edge */
            assert_rel(mpe_of(t, (E + 1e-7) * e), below_k[k] * e, REL);
            /* beyond it: the next band */
            assert_rel(mpe_of(t, (E + 1e-5) * e), above_k[k] * e, REL);
            assert_rel(mpe_of(t, (E + 0.001) * e), above_k[k] * e, REL);
            assert_rel(mpe_of(t, (E + 1) * e), above_k[k] * e, REL);
        }
        /* zero load, and the top band up to Max inclusive */
        assert_rel(mpe_of(t, 0), 0.5 * e, REL);
        assert_rel(mpe_of(t, 0.001 * e), 0.5 * e, REL);
        assert_rel(mpe_of(t, t->r76.max - 0.001 * e), 1.5 * e, REL);
        assert_rel(mpe_of(t, t->r76.max), 1.5 * e, REL);
        assert_rel(mpe_of(t, t->r76.max + 1e-7 * e), 1.5 * e, REL);
        expect_mpe_fail(t, t->r76.max + 0.001 * e, CD_ERR_INVALID, "above Max");
    }
}

/* The upper edge of the top band is the class's largest n (II, III, IIII). */
static void test_r76_top_band_edges(void **state)
{
    (void)state;
    /* class II, III and IIII at n = n_max: Max is the band's upper bound */
    struct prof_tolerance t2 = r76(PROF_R76_II, PROF_MASS_G, 0.1, 0, 10000, 0);
    assert_rel(mpe_of(&t2, 100000 * 0.1), 0.15, REL);
    expect_mpe_fail(&t2, 100000.001 * 0.1, CD_ERR_INVALID, "above Max");
    struct prof_tolerance t3 = r76(PROF_R76_III, PROF_MASS_G, 1, 0, 10000, 0);
    assert_rel(mpe_of(&t3, 10000), 1.5, REL);
    expect_mpe_fail(&t3, 10000.001, CD_ERR_INVALID, "above Max");
    struct prof_tolerance t4 = r76(PROF_R76_IIII, PROF_MASS_G, 10, 0, 10000, 0);
    assert_rel(mpe_of(&t4, 10000), 15, REL);
    expect_mpe_fail(&t4, 10000.01, CD_ERR_INVALID, "above Max");
    /* class I has no upper band edge: a comparator with n = 10 million */
    struct prof_tolerance t1 = r76(PROF_R76_I, PROF_MASS_G, 0.001, 0.0001, 10000, 0);
    expect_check_ok(&t1);
    assert_rel(mpe_of(&t1, 10000), 0.0015, REL);
}

/* Decimal loads whose quotient by e lands a few ulps beyond an edge. */
static void test_r76_binary_rounding(void **state)
{
    (void)state;
    struct prof_tolerance t = r76(PROF_R76_I, PROF_MASS_KG, 1e-6, 1e-7, 0.22, 1e-5);
    /* 0.05 / 1e-6 = 50000.00000000001 and 0.2 / 1e-6 = 200000.00000000003 */
    assert_true(0.05 / 1e-6 > 50000);
    assert_true(0.2 / 1e-6 > 200000);
    assert_rel(mpe_of(&t, 0.05), 0.5e-6, REL);
    assert_rel(mpe_of(&t, 0.2), 1e-6, REL);
    assert_rel(mpe_of(&t, 0.050001), 1e-6, REL);
    assert_rel(mpe_of(&t, 0.200001), 1.5e-6, REL);
    /* and the same balance in grams */
    struct prof_tolerance g = r76(PROF_R76_I, PROF_MASS_G, 0.001, 0.0001, 220, 0.01);
    assert_rel(mpe_of(&g, 50), 0.0005, REL);
    assert_rel(mpe_of(&g, 200), 0.001, REL);
}

/* In service the MPE is twice the table (R76-1 3.5.2). */
static void test_r76_in_service(void **state)
{
    (void)state;
    r76_cases_init();
    for (size_t c = 0; c < 4; c++) {
        struct prof_tolerance t = r76_cases[c].t;
        double e = t.r76.e;
        double E1 = r76_cases[c].edge1;
        double E2 = r76_cases[c].edge2;
        t.r76.in_service = true;
        assert_rel(mpe_of(&t, 0), 1.0 * e, REL);
        assert_rel(mpe_of(&t, E1 * e), 1.0 * e, REL);
        assert_rel(mpe_of(&t, (E1 + 0.001) * e), 2.0 * e, REL);
        assert_rel(mpe_of(&t, E2 * e), 2.0 * e, REL);
        assert_rel(mpe_of(&t, (E2 + 0.001) * e), 3.0 * e, REL);
        assert_rel(mpe_of(&t, t.r76.max), 3.0 * e, REL);
    }
    /* a class III shop scale, 15 kg x 5 g, in service at 12 kg: 2 x 1.5 e */
    struct prof_tolerance s = r76(PROF_R76_III, PROF_MASS_KG, 0.005, 0, 15, 0.1);
    s.r76.in_service = true;
    assert_rel(mpe_of(&s, 12), 0.015, REL);
    s.r76.in_service = false;
    assert_rel(mpe_of(&s, 12), 0.0075, REL);
}

static void expect_r76_invalid(struct prof_tolerance t, const char *needle)
{
    struct cd_err err = {0};
    assert_int_equal(prof_r76_check(&t.r76, &err), CD_ERR_INVALID);
    assert_contains(err.msg, needle);
    expect_check_fail(&t, needle);
    /* prof_mpe_at refuses an impossible instrument too */
    expect_mpe_fail(&t, 0, CD_ERR_INVALID, needle);
}

static void expect_r76_valid(struct prof_tolerance t)
{
    struct cd_err err = {0};
    int rc = prof_r76_check(&t.r76, &err);
    if (rc != 0) {
        print_error("prof_r76_check failed: %s\n", cd_err_text(&err));
        fail();
    }
}

/* R76-1 Table 3, row by row: e, n = Max/e, Min. */
static void test_r76_class_limits(void **state)
{
    (void)state;
    /* class I: e >= 1 mg, n >= 50 000 (no upper limit), Min >= 100 d */
    expect_r76_valid(r76(PROF_R76_I, PROF_MASS_G, 0.001, 0, 50, 0.1));
    expect_r76_valid(r76(PROF_R76_I, PROF_MASS_MG, 1, 0.01, 220000, 1));
    expect_r76_invalid(r76(PROF_R76_I, PROF_MASS_G, 0.0001, 0, 50, 0),
                       "below the class's smallest");
    expect_r76_invalid(r76(PROF_R76_I, PROF_MASS_G, 0.001, 0, 49.999, 0),
                       "n = Max/e = 49999 is below the class limit 50000");
    expect_r76_invalid(r76(PROF_R76_I, PROF_MASS_G, 0.001, 0.0001, 220, 0.005),
                       "Min = 0.005 g is below the class limit 0.01 g = 100 x d");
    expect_r76_invalid(r76(PROF_R76_I, PROF_MASS_G, 0.001, 0, 220, 0.05),
                       "Min = 0.05 g is below the class limit 0.1 g = 100 x e");

    /* class II, first row: 1 mg <= e <= 50 mg, n 100..100 000, Min >= 20 d */
    expect_r76_valid(r76(PROF_R76_II, PROF_MASS_G, 0.001, 0, 100, 0.02));
    expect_r76_valid(r76(PROF_R76_II, PROF_MASS_G, 0.05, 0, 5, 1));
    expect_r76_valid(r76(PROF_R76_II, PROF_MASS_G, 0.01, 0, 1, 0));
    expect_r76_invalid(r76(PROF_R76_II, PROF_MASS_G, 0.0005, 0, 10, 0), "smallest");
    expect_r76_invalid(r76(PROF_R76_II, PROF_MASS_G, 0.01, 0, 0.99, 0),
                       "n = Max/e = 99 is below the class limit 100");
    expect_r76_invalid(r76(PROF_R76_II, PROF_MASS_G, 0.01, 0, 1000.01, 0),
                       "n = Max/e = 100001 is above the class limit 100000");
    expect_r76_invalid(r76(PROF_R76_II, PROF_MASS_G, 0.01, 0, 100, 0.19),
                       "below the class limit 0.2 g = 20 x e");
    /* class II, second row: e >= 100 mg, n 5 000..100 000, Min >= 50 d */
    expect_r76_valid(r76(PROF_R76_II, PROF_MASS_G, 0.1, 0, 500, 5));
    expect_r76_invalid(r76(PROF_R76_II, PROF_MASS_G, 0.1, 0, 499.9, 0),
                       "n = Max/e = 4999 is below the class limit 5000");
    expect_r76_invalid(r76(PROF_R76_II, PROF_MASS_KG, 0.001, 0, 200, 0),
                       "above the class limit 100000");
    expect_r76_invalid(r76(PROF_R76_II, PROF_MASS_G, 0.1, 0, 600, 4.9),
                       "below the class limit 5 g = 50 x e");

    /* class III, first row: 0.1 g <= e <= 2 g, n 100..10 000, Min >= 20 d */
    expect_r76_valid(r76(PROF_R76_III, PROF_MASS_G, 0.1, 0, 10, 2));
    expect_r76_valid(r76(PROF_R76_III, PROF_MASS_KG, 0.002, 0, 20, 0.04));
    expect_r76_invalid(r76(PROF_R76_III, PROF_MASS_G, 0.05, 0, 100, 0), "smallest");
    expect_r76_invalid(r76(PROF_R76_III, PROF_MASS_G, 2, 0, 100, 0),
                       "n = Max/e = 50 is below the class limit 100");
    expect_r76_invalid(r76(PROF_R76_III, PROF_MASS_G, 1, 0, 10001, 0),
                       "n = Max/e = 10001 is above the class limit 10000");
    expect_r76_invalid(r76(PROF_R76_III, PROF_MASS_G, 1, 0, 1000, 19),
                       "below the class limit 20 g = 20 x e");
    /* class III, second row: e >= 5 g, n 500..10 000: n = 400 is fine for
     * e = 2 g but not for e = 5 g */
    expect_r76_valid(r76(PROF_R76_III, PROF_MASS_G, 2, 0, 800, 40));
    expect_r76_invalid(r76(PROF_R76_III, PROF_MASS_G, 5, 0, 2000, 100),
                       "n = Max/e = 400 is below the class limit 500");
    expect_r76_valid(r76(PROF_R76_III, PROF_MASS_T, 0.02, 0, 60, 0.4)); /* truck scale */
    expect_r76_invalid(r76(PROF_R76_III, PROF_MASS_T, 0.01, 0, 120, 0),
                       "above the class limit 10000");

    /* class IIII: e >= 5 g, n 100..1 000, Min >= 10 d */
    expect_r76_valid(r76(PROF_R76_IIII, PROF_MASS_G, 5, 0, 500, 50));
    expect_r76_invalid(r76(PROF_R76_IIII, PROF_MASS_G, 2, 0, 200, 0),
                       "smallest verification scale interval, 5000 mg");
    expect_r76_invalid(r76(PROF_R76_IIII, PROF_MASS_G, 5, 0, 495, 0),
                       "n = Max/e = 99 is below the class limit 100");
    expect_r76_invalid(r76(PROF_R76_IIII, PROF_MASS_G, 5, 0, 5005, 0),
                       "n = Max/e = 1001 is above the class limit 1000");
    expect_r76_invalid(r76(PROF_R76_IIII, PROF_MASS_G, 5, 0, 500, 45),
                       "below the class limit 50 g = 10 x e");

    /* the form of e, the other parameters */
    expect_r76_invalid(r76(PROF_R76_III, PROF_MASS_G, 0.3, 0, 300, 0),
                       "not of the form 1, 2 or 5 x 10^k");
    expect_r76_invalid(r76(PROF_R76_III, PROF_MASS_G, 2.5, 0, 2500, 0), "not of the form");
    expect_r76_invalid(r76(PROF_R76_UNSET, PROF_MASS_G, 1, 0, 1000, 0), "accuracy class not set");
    expect_r76_invalid(r76((enum prof_r76_class)9, PROF_MASS_G, 1, 0, 1000, 0),
                       "accuracy class not set or unknown (9)");
    expect_r76_invalid(r76(PROF_R76_III, PROF_MASS_UNSET, 1, 0, 1000, 0), "mass unit not set");
    expect_r76_invalid(r76(PROF_R76_III, PROF_MASS_G, 0, 0, 1000, 0),
                       "e must be a positive number");
    expect_r76_invalid(r76(PROF_R76_III, PROF_MASS_G, NAN, 0, 1000, 0),
                       "e must be a positive number");
    expect_r76_invalid(r76(PROF_R76_III, PROF_MASS_G, 1, 0, -1000, 0),
                       "Max must be a positive number");
    expect_r76_invalid(r76(PROF_R76_III, PROF_MASS_G, 1, 0, INFINITY, 0),
                       "Max must be a positive number");
    expect_r76_invalid(r76(PROF_R76_III, PROF_MASS_G, 1, -0.1, 1000, 0),
                       "d must be a positive number");
    expect_r76_invalid(r76(PROF_R76_III, PROF_MASS_G, 1, 2, 1000, 0),
                       "d = 2 g is larger than e = 1 g");
    expect_r76_invalid(r76(PROF_R76_III, PROF_MASS_G, 1, 0, 1000, NAN),
                       "Min must be a number >= 0");
    expect_r76_invalid(r76(PROF_R76_III, PROF_MASS_G, 1, 0, 1000, 1001),
                       "Min = 1001 g is above Max = 1000 g");

    struct cd_err err = {0};
    assert_int_equal(prof_r76_check(NULL, &err), CD_ERR_INVALID);
    assert_contains(err.msg, "no instrument");
}

static void test_r76_load_errors(void **state)
{
    (void)state;
    struct prof_tolerance t = r76(PROF_R76_III, PROF_MASS_KG, 0.005, 0, 15, 0.1);
    expect_mpe_fail(&t, NAN, CD_ERR_INVALID, "the load is not a number");
    expect_mpe_fail(&t, -0.005, CD_ERR_INVALID, "load -0.005 kg is negative");
    expect_mpe_fail(&t, 15.005, CD_ERR_INVALID, "load 15.005 kg is above Max = 15 kg");
    expect_mpe_fail(&t, INFINITY, CD_ERR_INVALID, "above Max");
    /* a load a hair below zero (1e-7 e) is zero */
    assert_rel(mpe_of(&t, -5e-10), 0.0025, REL);
    /* loads below Min are accepted: calibration loads from zero */
    assert_rel(mpe_of(&t, 0.05), 0.0025, REL);
}

/* ------------------------------------------------------------------ */
/* OIML R111-1                                                         */

/* protocols.md 4.2, mg. Rows 1 g, 10 g, 100 g, 1 kg, 10 kg, 20 kg; columns
 * E1, E2, F1, F2, M1, M2, M3. */
static const double r111_nominal_g[6] = {1, 10, 100, 1000, 10000, 20000};
static const double r111_mpe_mg[6][7] = {
    {0.010, 0.030, 0.10, 0.30, 1.0, 3.0, 10},
    {0.020, 0.060, 0.20, 0.60, 2.0, 6.0, 20},
    {0.05, 0.16, 0.5, 1.6, 5.0, 16, 50},
    {0.5, 1.6, 5.0, 16, 50, 160, 500},
    {5, 16, 50, 160, 500, 1600, 5000},
    {10, 30, 100, 300, 1000, 3000, 10000},
};

static struct prof_tolerance r111(enum prof_r111_class c, enum prof_mass_unit u)
{
    struct prof_tolerance t = {.kind = PROF_TOL_OIML_R111};
    t.r111 = (struct prof_r111){.weight_class = c, .unit = u};
    return t;
}

static void test_r111_table(void **state)
{
    (void)state;
    for (int c = PROF_R111_E1; c <= PROF_R111_M3; c++) {
        struct prof_tolerance g = r111((enum prof_r111_class)c, PROF_MASS_G);
        struct prof_tolerance mg = r111((enum prof_r111_class)c, PROF_MASS_MG);
        struct prof_tolerance kg = r111((enum prof_r111_class)c, PROF_MASS_KG);
        for (size_t i = 0; i < 6; i++) {
            double want_mg = r111_mpe_mg[i][c - PROF_R111_E1];
            assert_rel(mpe_of(&g, r111_nominal_g[i]), want_mg / 1e3, REL);
            assert_rel(mpe_of(&mg, r111_nominal_g[i] * 1e3), want_mg, REL);
            assert_rel(mpe_of(&kg, r111_nominal_g[i] / 1e3), want_mg / 1e6, REL);
        }
    }
    /* a 20 kg M3 weight in tonnes: +-10 g */
    struct prof_tolerance t = r111(PROF_R111_M3, PROF_MASS_T);
    assert_rel(mpe_of(&t, 0.02), 1e-5, REL);
    /* the usual 1/3 rule: an F1 1 kg weight (5 mg) suits a balance whose MPE
     * at 1 kg is at least 15 mg */
    struct prof_tolerance f1 = r111(PROF_R111_F1, PROF_MASS_G);
    assert_true(mpe_of(&f1, 1000) <= 0.015 / 3 * (1 + REL));
}

static void test_r111_errors(void **state)
{
    (void)state;
    struct prof_tolerance t = r111(PROF_R111_E2, PROF_MASS_G);
    expect_mpe_fail(&t, 2, CD_ERR_UNSUPPORTED,
                    "no MPE for a nominal value of 2 g; caldaq's table has 1 g, 10 g, 100 g, "
                    "1 kg, 10 kg and 20 kg");
    expect_mpe_fail(&t, 50000, CD_ERR_UNSUPPORTED, "50000 g");
    expect_mpe_fail(&t, 0, CD_ERR_INVALID, "nominal value must be a positive number");
    expect_mpe_fail(&t, NAN, CD_ERR_INVALID, "nominal value must be a positive number");
    struct prof_tolerance c = r111(PROF_R111_UNSET, PROF_MASS_G);
    expect_check_fail(&c, "weight class not set");
    c = r111((enum prof_r111_class)8, PROF_MASS_G);
    expect_mpe_fail(&c, 1, CD_ERR_INVALID, "unknown (8)");
    struct prof_tolerance u = r111(PROF_R111_M1, PROF_MASS_UNSET);
    expect_check_fail(&u, "OIML R111 class M1: mass unit not set");
}

/* ------------------------------------------------------------------ */
/* Pressure gauges                                                     */

static struct prof_tolerance en837(double cls, double low, double high)
{
    struct prof_tolerance t = {.kind = PROF_TOL_EN837};
    t.en837 = (struct prof_en837){.class_pct = cls, .scale = {low, high}};
    return t;
}

static void test_en837(void **state)
{
    (void)state;
    /* class 1.6 on 0-10 bar: +-0.16 bar anywhere on the scale */
    struct prof_tolerance t = en837(1.6, 0, 10);
    assert_rel(mpe_of(&t, 0), 0.16, REL);
    assert_rel(mpe_of(&t, 2.5), 0.16, REL);
    assert_rel(mpe_of(&t, 5), 0.16, REL);
    assert_rel(mpe_of(&t, 10), 0.16, REL);
    assert_rel(mpe_of(&t, 10 + 1e-12), 0.16, REL);
    /* compound gauge, -1 to +9 bar, class 0.6: span 10 bar */
    struct prof_tolerance c = en837(0.6, -1, 9);
    assert_rel(mpe_of(&c, -1), 0.06, REL);
    assert_rel(mpe_of(&c, 0), 0.06, REL);
    assert_rel(mpe_of(&c, 9), 0.06, REL);
    /* every class on a 0-100 scale, and on 0-2.5 MPa */
    const double classes[] = {0.1, 0.25, 0.6, 1, 1.6, 2.5, 4};
    for (size_t i = 0; i < 7; i++) {
        struct prof_tolerance k = en837(classes[i], 0, 100);
        assert_rel(mpe_of(&k, 37.5), classes[i], REL);
        struct prof_tolerance m = en837(classes[i], 0, 2.5);
        assert_rel(mpe_of(&m, 1.25), classes[i] / 100 * 2.5, REL);
    }

    expect_check_fail(&(struct prof_tolerance){.kind = PROF_TOL_EN837,
                                               .en837 = {.class_pct = 0.4, .scale = {0, 10}}},
                      "EN 837-1: there is no accuracy class 0.4");
    struct prof_tolerance bad = en837(NAN, 0, 10);
    expect_mpe_fail(&bad, 5, CD_ERR_INVALID, "no accuracy class nan");
    bad = en837(1, 10, 10);
    expect_check_fail(&bad, "EN 837-1: the scale's high end 10 must be above its low end 10");
    bad = en837(1, 0, NAN);
    expect_check_fail(&bad, "EN 837-1: the scale limits must be finite numbers");
    bad = en837(1, -1.7e308, 1.7e308);
    expect_check_fail(&bad, "finite numbers");
    expect_mpe_fail(&t, 10.01, CD_ERR_INVALID,
                    "EN 837-1: pressure 10.01 is outside the gauge's scale 0 to 10");
    expect_mpe_fail(&t, -0.01, CD_ERR_INVALID, "outside the gauge's scale");
    expect_mpe_fail(&t, NAN, CD_ERR_INVALID, "EN 837-1: the pressure is not a number");
}

static struct prof_tolerance asme(enum prof_asme_grade g, double low, double high)
{
    struct prof_tolerance t = {.kind = PROF_TOL_ASME_B40};
    t.asme = (struct prof_asme){.grade = g, .scale = {low, high}};
    return t;
}

static void test_asme_whole_scale(void **state)
{
    (void)state;
    const struct {
        enum prof_asme_grade g;
        double pct;
    } whole[] = {{PROF_ASME_4A, 0.1}, {PROF_ASME_3A, 0.25}, {PROF_ASME_2A, 0.5},
                 {PROF_ASME_1A, 1},   {PROF_ASME_D, 5}};
    const double at[] = {0, 10, 24.99, 25, 50, 75, 75.01, 90, 100};
    for (size_t i = 0; i < 5; i++) {
        struct prof_tolerance t = asme(whole[i].g, 0, 100); /* psi */
        for (size_t j = 0; j < 9; j++)
            assert_rel(mpe_of(&t, at[j]), whole[i].pct, REL);
        struct prof_tolerance k = asme(whole[i].g, 0, 600);
        assert_rel(mpe_of(&k, 150), whole[i].pct * 6, REL);
    }
}

/* Grades A-C: first quarter / middle half / last quarter; the quarter marks
 * belong to the middle half. */
static void test_asme_quarters(void **state)
{
    (void)state;
    const struct {
        enum prof_asme_grade g;
        double end, mid;
    } q[] = {{PROF_ASME_A, 2, 1}, {PROF_ASME_B, 3, 2}, {PROF_ASME_C, 4, 3}};
    for (size_t i = 0; i < 3; i++) {
        struct prof_tolerance t = asme(q[i].g, 0, 100);
        assert_rel(mpe_of(&t, 0), q[i].end, REL);
        assert_rel(mpe_of(&t, 10), q[i].end, REL);
        assert_rel(mpe_of(&t, 24.99), q[i].end, REL);
        assert_rel(mpe_of(&t, 25), q[i].mid, REL);
        assert_rel(mpe_of(&t, 25.01), q[i].mid, REL);
        assert_rel(mpe_of(&t, 50), q[i].mid, REL);
        assert_rel(mpe_of(&t, 74.99), q[i].mid, REL);
        assert_rel(mpe_of(&t, 75), q[i].mid, REL);
        assert_rel(mpe_of(&t, 75.01), q[i].end, REL);
        assert_rel(mpe_of(&t, 100), q[i].end, REL);

        /* a compound gauge, -30 to +60 kPa (span 90): quarter marks at
         * -7.5 and +37.5 kPa */
        struct prof_tolerance c = asme(q[i].g, -30, 60);
        assert_rel(mpe_of(&c, -30), q[i].end * 0.9, REL);
        assert_rel(mpe_of(&c, -7.6), q[i].end * 0.9, REL);
        assert_rel(mpe_of(&c, -7.5), q[i].mid * 0.9, REL);
        assert_rel(mpe_of(&c, 0), q[i].mid * 0.9, REL);
        assert_rel(mpe_of(&c, 37.5), q[i].mid * 0.9, REL);
        assert_rel(mpe_of(&c, 37.6), q[i].end * 0.9, REL);
        assert_rel(mpe_of(&c, 60), q[i].end * 0.9, REL);
    }
}

static void test_asme_errors(void **state)
{
    (void)state;
    struct prof_tolerance t = asme(PROF_ASME_UNSET, 0, 100);
    expect_check_fail(&t, "ASME B40.100: accuracy grade not set or unknown (0)");
    t = asme((enum prof_asme_grade)9, 0, 100);
    expect_mpe_fail(&t, 50, CD_ERR_INVALID, "unknown (9)");
    t = asme(PROF_ASME_A, 100, 0);
    expect_check_fail(&t, "ASME B40.100: the scale's high end 0 must be above its low end 100");
    t = asme(PROF_ASME_A, 0, INFINITY);
    expect_check_fail(&t, "ASME B40.100: the scale limits must be finite numbers");
    t = asme(PROF_ASME_A, 0, 100);
    expect_mpe_fail(&t, 101, CD_ERR_INVALID,
                    "ASME B40.100: pressure 101 is outside the gauge's scale 0 to 100");
    expect_mpe_fail(&t, NAN, CD_ERR_INVALID, "the pressure is not a number");
}

/* ------------------------------------------------------------------ */
/* Multimeters                                                         */

static struct prof_tolerance dmm_table(double range)
{
    struct prof_tolerance t = {.kind = PROF_TOL_DMM};
    t.dmm = (struct prof_dmm){.table = &prof_dmm_34401a_dcv_1y, .range = range};
    return t;
}

static struct prof_tolerance dmm_generic(double range, double rdg, double rng, double over)
{
    struct prof_tolerance t = {.kind = PROF_TOL_DMM};
    t.dmm = (struct prof_dmm){
        .range = range, .pct_reading = rdg, .pct_range = rng, .overrange_pct = over};
    return t;
}

/* protocols.md 4.4: the per-range percentages must give the service guide's
 * full-scale 1-year limits, and 5 V on the 10 V range +-225 uV. */
static void test_dmm_34401a(void **state)
{
    (void)state;
    const double range[5] = {0.1, 1, 10, 100, 1000};
    const double full_scale_limit[5] = {8.5e-6, 47e-6, 400e-6, 5.1e-3, 55e-3};
    for (size_t i = 0; i < 5; i++) {
        struct prof_tolerance t = dmm_table(range[i]);
        assert_rel(mpe_of(&t, range[i]), full_scale_limit[i], 1e-9);
        assert_rel(mpe_of(&t, -range[i]), full_scale_limit[i], 1e-9);
    }
    struct prof_tolerance t = dmm_table(10);
    assert_rel(mpe_of(&t, 5), 225e-6, 1e-9);  /* 175 uV + 50 uV */
    assert_rel(mpe_of(&t, -5), 225e-6, 1e-9);
    assert_rel(mpe_of(&t, 0), 50e-6, 1e-9);   /* the range term alone */
    /* 20 % overrange: 12 V on the 10 V range reads, 12.01 V does not */
    assert_rel(mpe_of(&t, 12), 470e-6, 1e-9);
    expect_mpe_fail(&t, 12.01, CD_ERR_INVALID,
                    "reading 12.01 V is beyond the 10 V range (accepted up to +-12 V)");
    expect_mpe_fail(&t, NAN, CD_ERR_INVALID, "the reading is not a number");
    /* no overrange on 1000 V */
    struct prof_tolerance k = dmm_table(1000);
    assert_rel(mpe_of(&k, 1000), 55e-3, 1e-9);
    expect_mpe_fail(&k, 1000.5, CD_ERR_INVALID, "beyond the 1000 V range");
    /* ranges are matched as decimal values */
    struct prof_tolerance mv = dmm_table(100e-3);
    assert_rel(mpe_of(&mv, 0.1), 8.5e-6, 1e-9);

    struct cd_err err = {0};
    const struct prof_dmm_table *found = NULL;
    assert_int_equal(prof_dmm_table_find("34401A-DCV-1Y", &found, &err), 0);
    assert_ptr_equal(found, &prof_dmm_34401a_dcv_1y);
    assert_string_equal(found->unit, "V");
    assert_int_equal(found->n_rows, 5);
}

/* The generic form with the 24-hour and 90-day figures of protocols.md 4.4:
 * at 10 V, +-190 uV from 0.0015 + 0.0004 and +-250 uV from 0.0020 +
 * 0.0005. */
static void test_dmm_generic(void **state)
{
    (void)state;
    struct prof_tolerance d24 = dmm_generic(10, 0.0015, 0.0004, 20);
    assert_rel(mpe_of(&d24, 10), 190e-6, 1e-9);
    struct prof_tolerance d90 = dmm_generic(10, 0.0020, 0.0005, 20);
    assert_rel(mpe_of(&d90, 10), 250e-6, 1e-9);
    /* a handheld meter, +-(0.5 % of reading + 0.2 % of range) on its 400 mV
     * range, no overrange: readings up to the range only */
    struct prof_tolerance h = dmm_generic(0.4, 0.5, 0.2, 0);
    assert_rel(mpe_of(&h, 0.2), 0.001 + 0.0008, 1e-9);
    assert_rel(mpe_of(&h, 0.4), 0.002 + 0.0008, 1e-9);
    expect_mpe_fail(&h, 0.41, CD_ERR_INVALID, "reading 0.41 is beyond the 0.4 range");
    /* only one of the two terms */
    struct prof_tolerance r = dmm_generic(10, 0, 0.001, 0);
    assert_rel(mpe_of(&r, 3), 1e-4, 1e-9);
}

static void test_dmm_errors(void **state)
{
    (void)state;
    struct prof_tolerance t = dmm_table(20);
    expect_check_fail(&t, "multimeter table 34401a-dcv-1y has no 20 V range; its ranges are "
                          "0.1, 1, 10, 100, 1000 V");
    t = dmm_table(10);
    t.dmm.pct_reading = 0.0035;
    expect_check_fail(&t, "give either the specification table 34401a-dcv-1y or the "
                          "percentages, not both");
    t = dmm_table(0);
    expect_check_fail(&t, "multimeter: the range must be a positive number, got 0");
    t = dmm_generic(NAN, 1, 1, 0);
    expect_check_fail(&t, "the range must be a positive number");
    t = dmm_generic(10, -0.1, 0.01, 0);
    expect_check_fail(&t, "multimeter: the % of reading must be a number >= 0, got -0.1");
    t = dmm_generic(10, 0.01, NAN, 0);
    expect_check_fail(&t, "multimeter: the % of range must be a number >= 0, got nan");
    t = dmm_generic(10, 0, 0, 0);
    expect_check_fail(&t, "% of reading and % of range are both 0");
    t = dmm_generic(10, 0.01, 0.01, -20);
    expect_check_fail(&t, "multimeter: the overrange must be a number >= 0 (%), got -20");

    /* tables a caller builds must be sound too */
    static const struct prof_dmm_row bad_rows[] = {{1, -0.004, 0.0007, 20}};
    static const struct prof_dmm_table bad = {"bad", "a bad table", "V", 1, bad_rows};
    static const struct prof_dmm_table empty = {"empty", "no rows", "A", 0, NULL};
    t = (struct prof_tolerance){.kind = PROF_TOL_DMM, .dmm = {.table = &bad, .range = 1}};
    expect_check_fail(&t, "multimeter table bad, 1 V range: the % of reading must be");
    t = (struct prof_tolerance){.kind = PROF_TOL_DMM, .dmm = {.table = &empty, .range = 1}};
    expect_mpe_fail(&t, 0.5, CD_ERR_INVALID, "multimeter table empty has no ranges");

    struct cd_err err = {0};
    const struct prof_dmm_table *found = &bad;
    assert_int_equal(prof_dmm_table_find("fluke-8846a", &found, &err), CD_ERR_NOT_FOUND);
    assert_contains(err.msg, "no multimeter specification table called \"fluke-8846a\"");
    assert_contains(err.msg, "34401a-dcv-1y");
    assert_ptr_equal(found, &bad);
    cd_err_clear(&err);
    assert_int_equal(prof_dmm_table_find(NULL, &found, &err), CD_ERR_INVALID);
    cd_err_clear(&err);
    assert_int_equal(prof_dmm_table_find("34401a-dcv-1y", NULL, &err), CD_ERR_INVALID);
}

/* ------------------------------------------------------------------ */
/* Piecewise tables                                                    */

static struct prof_tolerance piecewise(enum prof_interp interp, const struct prof_point *p,
                                       size_t n)
{
    struct prof_tolerance t = {.kind = PROF_TOL_PIECEWISE};
    t.piecewise = (struct prof_piecewise){.interp = interp, .n_points = n, .points = p};
    return t;
}

/* A step table written like R76-1 Table 6 gives the same answers as the
 * R76 form, edges included. */
static void test_piecewise_step(void **state)
{
    (void)state;
    static const struct prof_point class3[] = {{0, 0.5}, {500, 0.5}, {2000, 1}, {10000, 1.5}};
    struct prof_tolerance t = piecewise(PROF_INTERP_STEP, class3, 4);
    struct prof_tolerance r = r76(PROF_R76_III, PROF_MASS_G, 1, 0, 10000, 0);
    const double at[] = {0, 1, 499.999, 500, 500.001, 1999.999, 2000, 2000.001, 9999, 10000};
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++)
        assert_rel(mpe_of(&t, at[i]), mpe_of(&r, at[i]), REL);

    /* the first breakpoint's MPE holds at its own x only */
    static const struct prof_point p[] = {{0, 9}, {1, 1}, {2, 2}};
    struct prof_tolerance s = piecewise(PROF_INTERP_STEP, p, 3);
    assert_rel(mpe_of(&s, 0), 9, REL);
    assert_rel(mpe_of(&s, 1e-6), 1, REL);
    assert_rel(mpe_of(&s, 0.5), 1, REL);
    assert_rel(mpe_of(&s, 1), 1, REL);
    assert_rel(mpe_of(&s, 1 + 1e-12), 1, REL); /* within 1e-9 of the width: on it */
    assert_rel(mpe_of(&s, 1 + 1e-6), 2, REL);
    assert_rel(mpe_of(&s, 2), 2, REL);
    assert_rel(mpe_of(&s, 2 + 1e-12), 2, REL);
}

static void test_piecewise_linear(void **state)
{
    (void)state;
    static const struct prof_point p[] = {{0, 1}, {10, 2}, {20, 4}};
    struct prof_tolerance t = piecewise(PROF_INTERP_LINEAR, p, 3);
    assert_rel(mpe_of(&t, 0), 1, REL);
    assert_rel(mpe_of(&t, 2.5), 1.25, REL);
    assert_rel(mpe_of(&t, 5), 1.5, REL);
    assert_rel(mpe_of(&t, 10), 2, REL);
    assert_rel(mpe_of(&t, 15), 3, REL);
    assert_rel(mpe_of(&t, 19.9), 3.98, REL);
    assert_rel(mpe_of(&t, 20), 4, REL);
    assert_rel(mpe_of(&t, -1e-12), 1, REL);
    assert_rel(mpe_of(&t, 20 + 1e-12), 4, REL);
    /* two points, decreasing MPE */
    static const struct prof_point q[] = {{-50, 0.4}, {150, 0.2}};
    struct prof_tolerance u = piecewise(PROF_INTERP_LINEAR, q, 2);
    assert_rel(mpe_of(&u, 50), 0.3, REL);
}

static void test_piecewise_errors(void **state)
{
    (void)state;
    static const struct prof_point ok[] = {{0, 1}, {10, 2}};
    struct prof_tolerance t = piecewise(PROF_INTERP_UNSET, ok, 2);
    expect_check_fail(&t, "piecewise table: interpolation not set or unknown (0): step or linear");
    t = piecewise(PROF_INTERP_STEP, NULL, 2);
    expect_check_fail(&t, "needs at least 2 breakpoints, has 0");
    t = piecewise(PROF_INTERP_STEP, ok, 1);
    expect_check_fail(&t, "needs at least 2 breakpoints, has 1");
    static const struct prof_point nan_x[] = {{0, 1}, {NAN, 2}};
    t = piecewise(PROF_INTERP_LINEAR, nan_x, 2);
    expect_check_fail(&t, "breakpoint 2: x is not a finite number");
    static const struct prof_point zero_mpe[] = {{0, 0}, {10, 2}};
    t = piecewise(PROF_INTERP_LINEAR, zero_mpe, 2);
    expect_check_fail(&t, "breakpoint 1 (x = 0): the MPE must be a positive number, got 0");
    static const struct prof_point neg_mpe[] = {{0, 1}, {10, -2}};
    t = piecewise(PROF_INTERP_LINEAR, neg_mpe, 2);
    expect_check_fail(&t, "the MPE must be a positive number, got -2");
    static const struct prof_point same_x[] = {{0, 1}, {10, 2}, {10, 3}};
    t = piecewise(PROF_INTERP_STEP, same_x, 3);
    expect_check_fail(&t, "breakpoint 3: x = 10 is not above the previous breakpoint's 10");
    static const struct prof_point down_x[] = {{0, 1}, {-10, 2}};
    t = piecewise(PROF_INTERP_STEP, down_x, 2);
    expect_check_fail(&t, "breakpoints go in increasing x");
    static const struct prof_point wide[] = {{-1.5e308, 1}, {1.5e308, 2}};
    t = piecewise(PROF_INTERP_STEP, wide, 2);
    expect_check_fail(&t, "the table is too wide");

    t = piecewise(PROF_INTERP_LINEAR, ok, 2);
    expect_mpe_fail(&t, -0.001, CD_ERR_INVALID, "x = -0.001 is outside the table (0 to 10)");
    expect_mpe_fail(&t, 10.001, CD_ERR_INVALID, "outside the table");
    expect_mpe_fail(&t, NAN, CD_ERR_INVALID, "piecewise table: x is not a number");
}

/* ------------------------------------------------------------------ */
/* Any form                                                            */

static void test_dispatch(void **state)
{
    (void)state;
    struct cd_err err = {0};
    assert_int_equal(prof_tolerance_check(NULL, &err), CD_ERR_INVALID);
    assert_contains(err.msg, "no tolerance given");

    struct prof_tolerance zero = {0};
    expect_check_fail(&zero, "tolerance form not set or unknown (0)");
    struct prof_tolerance bogus = {.kind = (enum prof_tol_kind)42};
    expect_mpe_fail(&bogus, 1, CD_ERR_INVALID, "unknown (42)");

    struct prof_tolerance t = asme(PROF_ASME_A, 0, 100);
    cd_err_clear(&err);
    assert_int_equal(prof_mpe_at(&t, 50, NULL, &err), CD_ERR_INVALID);
    assert_contains(err.msg, "no place for the result");

    /* limits, for unc_decide() */
    double low = 0, high = 0;
    cd_err_clear(&err);
    assert_int_equal(prof_limits_at(&t, 10, &low, &high, &err), 0);
    assert_rel(low, -2, REL);
    assert_rel(high, 2, REL);
    assert_int_equal(prof_limits_at(&t, 50, &low, &high, &err), 0);
    assert_rel(low, -1, REL);
    assert_rel(high, 1, REL);
    assert_int_equal(prof_limits_at(&t, 150, &low, &high, &err), CD_ERR_INVALID);
    assert_true(isnan(low) && isnan(high));
    assert_contains(err.msg, "outside");
    cd_err_clear(&err);
    assert_int_equal(prof_limits_at(&t, 50, NULL, &high, &err), CD_ERR_INVALID);
    assert_contains(err.msg, "prof_limits_at: no place for the result");

    /* err may be NULL; the first failure is kept */
    double m = 0;
    assert_int_equal(prof_mpe_at(&t, NAN, &m, NULL), CD_ERR_INVALID);
    assert_true(isnan(m));
    cd_err_clear(&err);
    assert_int_equal(prof_mpe_at(&t, 150, &m, &err), CD_ERR_INVALID);
    assert_int_equal(prof_mpe_at(&zero, 1, &m, &err), CD_ERR_INVALID);
    assert_contains(err.msg, "outside");
}

/* Where the MPE steps (issue 15 section 5: the certificate's envelope steps
 * there, not halfway between measured points). Worked out by hand from the
 * tables: R76-1 Table 6, class II, e = 0.01 g: 5000 e = 50 g and 20000 e =
 * 200 g; class III, e = 1 g: 500 g and 2000 g; ASME grade A on 0-20 bar: the
 * quarter marks 5 and 15 bar; a DMM's % of |reading|: 0 V; a piecewise
 * table: its inner points; EN 837-1: none. */
static void test_breaks(void **state)
{
    (void)state;
    double xs[8];
    size_t n = 99;
    struct cd_err err = {0};
    struct prof_tolerance t = r76(PROF_R76_II, PROF_MASS_G, 0.01, 0.001, 220, 0.02);
    assert_int_equal(prof_tolerance_breaks(&t, 0, 220, xs, 8, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_rel(xs[0], 50, 1e-12);
    assert_rel(xs[1], 200, 1e-12);
    /* only the breaks inside the interval */
    assert_int_equal(prof_tolerance_breaks(&t, 60, 220, xs, 8, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_rel(xs[0], 200, 1e-12);
    /* the MPE either side of a break: 0.5 e at 50 g (the edge belongs to
     * the lower band), 1 e just above */
    assert_rel(mpe_of(&t, 50), 0.005, REL);
    assert_rel(mpe_of(&t, 50.01), 0.01, REL);
    t = r76(PROF_R76_III, PROF_MASS_G, 1, 1, 6000, 20);
    assert_int_equal(prof_tolerance_breaks(&t, 0, 6000, xs, 8, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_rel(xs[0], 500, 1e-12);
    assert_rel(xs[1], 2000, 1e-12);
    t = asme(PROF_ASME_A, 0, 20);
    assert_int_equal(prof_tolerance_breaks(&t, 0, 20, xs, 8, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_rel(xs[0], 5, 1e-12);
    assert_rel(xs[1], 15, 1e-12);
    t = asme(PROF_ASME_3A, 0, 20);
    assert_int_equal(prof_tolerance_breaks(&t, 0, 20, xs, 8, &n, &err), 0);
    assert_int_equal(n, 0);
    t = dmm_table(10);
    assert_int_equal(prof_tolerance_breaks(&t, -10, 10, xs, 8, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_true(xs[0] == 0);
    assert_int_equal(prof_tolerance_breaks(&t, 1, 10, xs, 8, &n, &err), 0);
    assert_int_equal(n, 0);
    static const struct prof_point pts[] = {{0, 0.5}, {500, 0.5}, {2000, 1}, {10000, 1.5}};
    t = piecewise(PROF_INTERP_STEP, pts, 4);
    assert_int_equal(prof_tolerance_breaks(&t, 0, 10000, xs, 8, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_true(xs[0] == 500 && xs[1] == 2000);
    t = (struct prof_tolerance){.kind = PROF_TOL_EN837};
    t.en837 = (struct prof_en837){.class_pct = 0.25, .scale = {0, 20}};
    assert_int_equal(prof_tolerance_breaks(&t, 0, 20, xs, 8, &n, &err), 0);
    assert_int_equal(n, 0);
    /* an empty interval is refused */
    assert_int_not_equal(prof_tolerance_breaks(&t, 20, 0, xs, 8, &n, &err), 0);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(prof_tol_kind_name(PROF_TOL_OIML_R76), "oiml-r76");
    assert_string_equal(prof_tol_kind_name(PROF_TOL_ASME_B40), "asme-b40.100");
    assert_string_equal(prof_tol_kind_name(PROF_TOL_UNSET), "?");
    assert_string_equal(prof_tol_kind_name((enum prof_tol_kind)77), "?");
    assert_string_equal(prof_mass_unit_name(PROF_MASS_KG), "kg");
    assert_string_equal(prof_r76_class_name(PROF_R76_IIII), "IIII");
    assert_string_equal(prof_r111_class_name(PROF_R111_F2), "F2");
    assert_string_equal(prof_asme_grade_name(PROF_ASME_4A), "4A");
    assert_string_equal(prof_asme_grade_name((enum prof_asme_grade)-1), "?");

    /* every name parses back to its value, in any case */
    struct cd_err err = {0};
    for (int k = PROF_TOL_OIML_R76; k <= PROF_TOL_PIECEWISE; k++) {
        enum prof_tol_kind v = PROF_TOL_UNSET;
        assert_int_equal(prof_tol_kind_parse(prof_tol_kind_name((enum prof_tol_kind)k), &v,
                                             &err), 0);
        assert_int_equal(v, k);
    }
    for (int k = PROF_MASS_MG; k <= PROF_MASS_T; k++) {
        enum prof_mass_unit v = PROF_MASS_UNSET;
        assert_int_equal(prof_mass_unit_parse(prof_mass_unit_name((enum prof_mass_unit)k), &v,
                                              &err), 0);
        assert_int_equal(v, k);
    }
    for (int k = PROF_R76_I; k <= PROF_R76_IIII; k++) {
        enum prof_r76_class v = PROF_R76_UNSET;
        assert_int_equal(prof_r76_class_parse(prof_r76_class_name((enum prof_r76_class)k), &v,
                                              &err), 0);
        assert_int_equal(v, k);
    }
    for (int k = PROF_R111_E1; k <= PROF_R111_M3; k++) {
        enum prof_r111_class v = PROF_R111_UNSET;
        assert_int_equal(prof_r111_class_parse(prof_r111_class_name((enum prof_r111_class)k),
                                               &v, &err), 0);
        assert_int_equal(v, k);
    }
    for (int k = PROF_ASME_4A; k <= PROF_ASME_D; k++) {
        enum prof_asme_grade v = PROF_ASME_UNSET;
        assert_int_equal(prof_asme_grade_parse(prof_asme_grade_name((enum prof_asme_grade)k),
                                               &v, &err), 0);
        assert_int_equal(v, k);
    }
    enum prof_r76_class c = PROF_R76_UNSET;
    assert_int_equal(prof_r76_class_parse("iii", &c, &err), 0);
    assert_int_equal(c, PROF_R76_III);
    enum prof_asme_grade g = PROF_ASME_UNSET;
    assert_int_equal(prof_asme_grade_parse("2a", &g, &err), 0);
    assert_int_equal(g, PROF_ASME_2A);
    enum prof_mass_unit u = PROF_MASS_UNSET;
    assert_int_equal(prof_mass_unit_parse("KG", &u, &err), 0);
    assert_int_equal(u, PROF_MASS_KG);
    assert_int_equal(err.code, 0);
}

static void test_name_errors(void **state)
{
    (void)state;
    struct cd_err err = {0};
    enum prof_r76_class c = PROF_R76_II;
    assert_int_equal(prof_r76_class_parse("V", &c, &err), CD_ERR_INVALID);
    assert_string_equal(err.msg,
                        "unknown OIML R76 accuracy class \"V\": expected one of I, II, III, IIII");
    assert_int_equal(c, PROF_R76_II);
    cd_err_clear(&err);
    enum prof_r111_class w = PROF_R111_UNSET;
    assert_int_equal(prof_r111_class_parse("M12", &w, &err), CD_ERR_INVALID);
    assert_contains(err.msg, "E1, E2, F1, F2, M1, M2, M3");
    cd_err_clear(&err);
    enum prof_asme_grade g = PROF_ASME_UNSET;
    assert_int_equal(prof_asme_grade_parse("5A", &g, &err), CD_ERR_INVALID);
    assert_contains(err.msg, "4A, 3A, 2A, 1A, A, B, C, D");
    cd_err_clear(&err);
    enum prof_mass_unit u = PROF_MASS_UNSET;
    assert_int_equal(prof_mass_unit_parse("lb", &u, &err), CD_ERR_INVALID);
    assert_contains(err.msg, "unknown mass unit \"lb\": expected one of mg, g, kg, t");
    cd_err_clear(&err);
    enum prof_tol_kind k = PROF_TOL_UNSET;
    assert_int_equal(prof_tol_kind_parse("iec-60051", &k, &err), CD_ERR_INVALID);
    assert_contains(err.msg, "oiml-r76, oiml-r111, en-837-1, asme-b40.100, dmm, piecewise");
    cd_err_clear(&err);
    assert_int_equal(prof_tol_kind_parse(NULL, &k, &err), CD_ERR_INVALID);
    assert_contains(err.msg, "no tolerance form given");

    /* no place for the result, one parser each */
    cd_err_clear(&err);
    assert_int_equal(prof_tol_kind_parse("dmm", NULL, &err), CD_ERR_INVALID);
    assert_contains(err.msg, "no place for the parsed tolerance form");
    assert_int_equal(prof_mass_unit_parse("g", NULL, NULL), CD_ERR_INVALID);
    assert_int_equal(prof_r76_class_parse("I", NULL, NULL), CD_ERR_INVALID);
    assert_int_equal(prof_r111_class_parse("E1", NULL, NULL), CD_ERR_INVALID);
    assert_int_equal(prof_asme_grade_parse("A", NULL, NULL), CD_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_r76_band_edges),
        cmocka_unit_test(test_r76_top_band_edges),
        cmocka_unit_test(test_r76_binary_rounding),
        cmocka_unit_test(test_r76_in_service),
        cmocka_unit_test(test_r76_class_limits),
        cmocka_unit_test(test_r76_load_errors),
        cmocka_unit_test(test_r111_table),
        cmocka_unit_test(test_r111_errors),
        cmocka_unit_test(test_en837),
        cmocka_unit_test(test_asme_whole_scale),
        cmocka_unit_test(test_asme_quarters),
        cmocka_unit_test(test_asme_errors),
        cmocka_unit_test(test_dmm_34401a),
        cmocka_unit_test(test_dmm_generic),
        cmocka_unit_test(test_dmm_errors),
        cmocka_unit_test(test_piecewise_step),
        cmocka_unit_test(test_piecewise_linear),
        cmocka_unit_test(test_piecewise_errors),
        cmocka_unit_test(test_dispatch),
        cmocka_unit_test(test_breaks),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_name_errors),
    };
    return cmocka_run_group_tests_name("tolerance", tests, NULL, NULL);
}
