/* Analysis of a run against a profile (daq/analysis/analysis.h), checked against
 * HAND CALCULATIONS of four complete calibrations:
 *
 *   1. balance, OIML R76 class II, 220 g (profiles/balance-cg18-class-ii.yaml):
 *      repeatability, eccentricity, errors at 7 loads, one load failing;
 *   2. balance, class III, 6 kg (balance-cg18-class-iii.yaml): up and down
 *      series, weights certified in kg, all pass;
 *   3. pressure gauge 0 - 20 bar (pressure-dkd-r6-1.yaml): series up, down,
 *      up with hysteresis, zero deviation and repeatability between series;
 *   4. 6.5-digit DMM (dmm-dcv-6half.yaml): the 10 V range only, guard band
 *      r = 1, one point failing under the guard band with |E| < MPE, and
 *      the other ranges not measured (result "incomplete");
 *
 * and the refusals: readings of another plan, readings in the wrong unit,
 * unstable readings ignored and counted.
 *
 * How the expected values were obtained. Every figure below was worked out
 * from the readings, the register's certificate values and the profile's
 * formulas, with python3 used as a calculator (decimal arithmetic to 40
 * digits), NOT by running caldaq; each literal carries its formula and
 * numbers in a comment. Standard uncertainties of rectangular inputs are
 * half-width / sqrt(3); u^2 = sum (c_i u_i)^2 (no correlations: the
 * profiles declare none); nu_eff by Welch-Satterthwaite over the inputs with
 * finite dof; k = t_p(floor(nu_eff)) with p = 0.9545 exactly (the profiles
 * say `coverage: 0.9545`), the Student-t quantile computed without scipy
 * (not installed) from the closed form of Abramowitz & Stegun 26.7.3/26.7.4
 * for integer nu, A(t|nu) = P(|T| <= t), inverted by bisection, and checked
 * against a Simpson integration of the t density and against GUM Table G.2
 * (p = 95.45 %: nu = 1: 13.97, 5: 2.65, 10: 2.28, 20: 2.13, 50: 2.05,
 * 100: 2.025). The pressure profile fixes k = 2.
 *
 * Tolerances: relative 1e-9 for the mean, error, u, budget rows and nu_eff
 * (an expected 0 must come out within 1e-15 absolute); 1e-6 for k and for
 * U = k u (k is a quantile from GSL in the engine, from the closed form
 * here). Files are read relative to the repository root (as `make unit`
 * runs the tests).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analysis.h"

#define REL 1e-9   /* mean, error, u, budget rows, nu_eff, MPE */
#define REL_K 1e-6 /* k (a Student-t quantile) and U = k u */

static void check_rel(const char *what, double nominal, double got, double want, double rel)
{
    double tol = want == 0 ? 1e-15 : rel * fabs(want);
    if (!(fabs(got - want) <= tol)) {
        print_error("at %.15g: %s = %.17g, expected %.17g (hand calculation) within %g %s\n",
                    nominal, what, got, want, want == 0 ? 1e-15 : rel,
                    want == 0 ? "absolute" : "relative");
        fail();
    }
}

/* ------------------------------------------------------------ readings */

/* One reading as the run records it: the plan point's role and nominal
 * (checked against the plan while feeding, so the data below are provably
 * in plan order) and the indication. */
struct rd_spec {
    const char *role;
    double nominal;
    double value;
};

struct readings {
    struct daq_reading v[160];
    size_t n;
};

static struct daq_reading *add_reading(struct readings *b, const struct prof_profile *p,
                                       size_t point, double value, const char *unit,
                                       enum drv_status status)
{
    assert_true(b->n < sizeof b->v / sizeof b->v[0]);
    assert_true(point < p->n_points);
    const struct prof_plan_point *pt = &p->points[point];
    struct daq_reading *r = &b->v[b->n++];
    memset(r, 0, sizeof *r);
    r->t = 1767225600.0 + (double)b->n;
    r->point = (int32_t)point;
    r->nominal = pt->nominal;
    snprintf(r->role, sizeof r->role, "%s", pt->role);
    r->r.value = value;
    snprintf(r->r.unit, sizeof r->r.unit, "%s", unit);
    r->r.status = status;
    snprintf(r->r.display, sizeof r->r.display, "%.7g", value);
    r->r.resolution = pt->resolution;
    return r;
}

/* The readings of consecutive plan points from `first`, `repeat` of them per
 * point, every one stable and in the profile's unit. */
static void feed(struct readings *b, const struct prof_profile *p, size_t first,
                 const struct rd_spec *s, size_t n)
{
    size_t pi = first;
    unsigned taken = 0;
    for (size_t i = 0; i < n; i++) {
        if (pi >= p->n_points)
            fail_msg("reading %zu: the plan of %s has only %zu points", i, p->name, p->n_points);
        const struct prof_plan_point *pt = &p->points[pi];
        if (strcmp(s[i].role, pt->role) != 0 || s[i].nominal != pt->nominal)
            fail_msg("reading %zu (%s at %g) does not match plan point %zu (%s at %g)", i,
                     s[i].role, s[i].nominal, pi, pt->role, pt->nominal);
        add_reading(b, p, pi, s[i].value, p->unit, DRV_STATUS_STABLE);
        if (++taken == pt->repeat) {
            pi++;
            taken = 0;
        }
    }
}

/* ------------------------------------------------------------ expectations */

/* One budget row: the input's name, u(x_i), c_i and c_i u(x_i). */
struct exp_row {
    const char *name;
    double u;
    double c;
    double contribution;
};

/* A result point checked fully. nu_eff INFINITY: no input with finite dof. */
struct exp_point {
    double nominal, mean, ref, error, u, nu_eff, k, U, mpe;
    enum unc_verdict verdict;
    size_t n_rows;
    const struct exp_row *rows;
};

/* Every result point of a case: mean, error, MPE and verdict. */
struct exp_summary {
    double nominal, mean, error, mpe;
    enum unc_verdict verdict;
};

static const struct ana_point *point_at(const struct ana_result *r, size_t group, double nominal)
{
    for (size_t i = 0; i < r->n_points; i++)
        if (r->points[i].group == group && r->points[i].nominal == nominal)
            return &r->points[i];
    fail_msg("no result point at %g in plan entry %zu", nominal, group + 1);
    return NULL;
}

static void check_point(const struct ana_result *r, size_t group, const struct exp_point *e,
                        double p)
{
    const struct ana_point *pt = point_at(r, group, e->nominal);
    double x = e->nominal;
    assert_true(pt->measured);
    check_rel("mean", x, pt->stats[PROF_STAT_MEAN], e->mean, REL);
    check_rel("ref", x, pt->stats[PROF_STAT_REF], e->ref, REL);
    check_rel("error", x, pt->error, e->error, REL);
    check_rel("u", x, pt->u, e->u, REL);
    if (isinf(e->nu_eff)) {
        if (!isinf(pt->nu_eff))
            fail_msg("at %g: nu_eff = %.17g, expected infinite", x, pt->nu_eff);
    } else {
        check_rel("nu_eff", x, pt->nu_eff, e->nu_eff, REL);
    }
    check_rel("k", x, pt->k, e->k, REL_K);
    check_rel("U", x, pt->U, e->U, REL_K);
    if (isnan(p))
        assert_true(isnan(pt->p)); /* fixed k: no coverage probability */
    else
        assert_true(pt->p == p);   /* the profile's p, exactly */
    check_rel("low (-MPE)", x, pt->low, -e->mpe, REL);
    check_rel("high (+MPE)", x, pt->high, e->mpe, REL);
    if (pt->decision.verdict != e->verdict)
        fail_msg("at %g: verdict %s, expected %s", x, unc_verdict_name(pt->decision.verdict),
                 unc_verdict_name(e->verdict));
    assert_int_equal(pt->n_rows, e->n_rows);
    for (size_t i = 0; i < e->n_rows; i++) {
        const struct ana_budget_row *row = &pt->rows[i];
        const struct exp_row *want = &e->rows[i];
        char what[96];
        assert_string_equal(row->name, want->name);
        snprintf(what, sizeof what, "u(%s)", want->name);
        check_rel(what, x, row->u, want->u, REL);
        snprintf(what, sizeof what, "c(%s)", want->name);
        check_rel(what, x, row->c, want->c, REL);
        snprintf(what, sizeof what, "contribution of %s", want->name);
        check_rel(what, x, row->contribution, want->contribution, REL);
    }
}

static void check_summary(const struct ana_result *r, size_t group, const struct exp_summary *e,
                          size_t n)
{
    size_t in_group = 0;
    for (size_t i = 0; i < r->n_points; i++)
        in_group += r->points[i].group == group;
    assert_int_equal(in_group, n);
    for (size_t i = 0; i < n; i++) {
        const struct ana_point *pt = point_at(r, group, e[i].nominal);
        double x = e[i].nominal;
        assert_true(pt->measured);
        check_rel("mean", x, pt->stats[PROF_STAT_MEAN], e[i].mean, REL);
        check_rel("error", x, pt->error, e[i].error, REL);
        check_rel("high (MPE)", x, pt->high, e[i].mpe, REL);
        check_rel("low (-MPE)", x, pt->low, -e[i].mpe, REL);
        if (pt->decision.verdict != e[i].verdict)
            fail_msg("at %g: verdict %s, expected %s", x, unc_verdict_name(pt->decision.verdict),
                     unc_verdict_name(e[i].verdict));
    }
}

/* ------------------------------------------------------------ fixtures */

struct fixture {
    struct prof_profile *p;
    prof_standards *reg;
    const struct prof_standard *ref;
};

static void load(struct fixture *f, const char *path, const char *expect_id)
{
    struct cd_err err = {0};
    f->p = prof_profile_load(path, &err);
    if (f->p == NULL)
        fail_msg("%s: %s", path, cd_err_text(&err));
    f->reg = prof_standards_load(f->p->register_path, &err);
    if (f->reg == NULL)
        fail_msg("%s: %s", f->p->register_path, cd_err_text(&err));
    assert_non_null(f->p->reference);
    assert_string_equal(f->p->reference->id, expect_id);
    f->ref = prof_standards_find(f->reg, f->p->reference->id);
    assert_non_null(f->ref);
}

static void unload(struct fixture *f)
{
    prof_standards_free(f->reg);
    prof_profile_free(f->p);
}

static struct ana_result *run(const struct fixture *f, const struct readings *b)
{
    struct ana_input in = {.profile = f->p, .readings = b->v, .n_readings = b->n,
                           .reference = f->ref};
    struct ana_result *r = NULL;
    struct cd_err err = {0};
    if (ana_run(&in, &r, &err) != 0)
        fail_msg("ana_run: %s", cd_err_text(&err));
    assert_non_null(r);
    return r;
}

/* ================================================================ case 1 */
/* Balance class II, Max 220 g, e = 0.01 g, d = 0.001 g; weights W-E2-01
 * (k = 2); constants rho_w = 7950 kg/m3, u_rho_w = 40 kg/m3,
 * conv_rel = 1e-7, drift_rel = 2e-7. The conditions are not measured
 * (no environment): the air density is the profile's estimate,
 * rho_a = 1.2 kg/m3 with u = 0.07 kg/m3.
 *
 * Issue 15 section 4 changed this budget, and with it the figures below
 * (old -> new, hand calculations both): the air buoyancy is computed from
 * the air density and the density of the weights (cg-18 7.1.2: dm_B =
 * -m_c (rho_a - 1.2)(1/rho_w - 1/8000), u(dm_B) = m_c sqrt(((1/rho_w -
 * 1/8000) u(rho_a))^2 + ((rho_a - 1.2) u(rho_w)/rho_w^2)^2)) instead of a
 * rectangular 1e-6 of the load; convection is a line of its own; the
 * eccentricity is scaled on the indication, not the nominal value.
 *   50 g:  u 9.0429991337682503e-04 -> 9.0386074118880990e-04 g,
 *          nu_eff 10.412730 -> 10.392518, U 2.0651330850871143e-03 ->
 *          2.0641301556362712e-03 g (k = t(10) unchanged)
 *   150 g: u 1.2217746655309781e-03 -> 1.2187725276069237e-03 g,
 *          nu_eff 34.695978 -> 34.356214, U 2.5367163374559452e-03 ->
 *          2.5304831321570509e-03 g (k = t(34) unchanged)
 *
 * Repeatability at 100 g, 6 readings: 100.001 100.000 100.002 100.001
 * 100.000 100.001:
 *   mean = 600.005 / 6 = 100.000833333... g
 *   deviations (mg): +0.1667 -0.8333 +1.1667 +0.1667 -0.8333 +0.1667,
 *   sum of squares = 2.8333e-6 g^2, s^2 = 2.8333e-6 / 5 = 5.6667e-7 g^2,
 *   s_rep = sqrt(17/30) mg = 7.5277265270908098e-04 g, n_rep = 6, dof 5.
 * Eccentricity at 100 g: centre 100.001, front 100.003, left 99.999,
 * back 100.002, right 100.000: deviations from the centre 0, +0.002,
 * -0.002, +0.001, -0.001 g: ecc_max = 0.002 g.
 * Errors, one reading each (n = 1), series up.
 * MPE (OIML R76 class II, initial verification, e = 0.01 g): 0.5 e = 0.005 g
 * for 0 <= m <= 5000 e = 50 g, 1 e = 0.01 g for 50 g < m <= 20000 e = 200 g,
 * 1.5 e = 0.015 g above 200 g. */
static const struct rd_spec c1_readings[] = {
    {"repeatability", 100, 100.001}, {"repeatability", 100, 100.000},
    {"repeatability", 100, 100.002}, {"repeatability", 100, 100.001},
    {"repeatability", 100, 100.000}, {"repeatability", 100, 100.001},
    {"eccentricity", 100, 100.001}, /* centre */
    {"eccentricity", 100, 100.003}, /* front */
    {"eccentricity", 100, 99.999},  /* left */
    {"eccentricity", 100, 100.002}, /* back */
    {"eccentricity", 100, 100.000}, /* right */
    {"error-up", 0, 0.000},     {"error-up", 20, 20.001},   {"error-up", 50, 50.007},
    {"error-up", 100, 100.001}, {"error-up", 150, 150.003}, {"error-up", 200, 200.004},
    {"error-up", 220, 220.006},
};

/* Every load: E = I - m_c (m_c: the pieces' certified values summed). */
static const struct exp_summary c1_summary[] = {
    /* 0 g: no weight, m_c = 0; E = 0.000 - 0 = 0; MPE 0.5 e */
    {0, 0.0, 0.0, 0.005, UNC_PASS},
    /* 20 g: m_c = 20.000027 (the unmarked 20 g); E = 20.001 - 20.000027 = 0.000973 */
    {20, 20.001, 0.000973, 0.005, UNC_PASS},
    /* 50 g: E = 50.007 - 50.000040 = 0.006960 > 0.005 (0.5 e: 50 g = 5000 e) */
    {50, 50.007, 0.006960, 0.005, UNC_FAIL},
    /* 100 g: E = 100.001 - 100.000030 = 0.000970; MPE 1 e */
    {100, 100.001, 0.000970, 0.01, UNC_PASS},
    /* 150 g = 100 + 50: E = 150.003 - (100.000030 + 50.000040) = 0.002930 */
    {150, 150.003, 0.002930, 0.01, UNC_PASS},
    /* 200 g: E = 200.004 - 200.000060 = 0.003940; 200 g = 20000 e: still 1 e */
    {200, 200.004, 0.003940, 0.01, UNC_PASS},
    /* 220 g = 200 + 20: E = 220.006 - (200.000060 + 20.000027) = 0.005913; 1.5 e */
    {220, 220.006, 0.005913, 0.015, UNC_PASS},
};

/* 50 g: one reading I = 50.007 g; one piece 50 g of W-E2-01:
 * m_c = 50.000040 g, u(m_c) = U/k = 0.000030/2 = 1.5e-05 g
 * dm_B = -m_c (1.2 - 1.2)(1/7950 - 1/8000) = 0 (the estimate is rho_0)
 * E = I - (m_c + dm_B) = 50.007 - 50.000040 = 0.006960 g
 * budget rows (u in g, c, contribution = c u):
 *   I_L      u = 0 (value only) = 0, c = +1
 *   dI_dig0  u = (d/2)/sqrt(3) = 0.0005/sqrt(3) = 0.0002886751346, c = -1
 *   dI_digL  u = (d/2)/sqrt(3) = 0.0002886751346, c = +1
 *   dI_rep   u = s_rep/sqrt(n_per_series) = 0.0007527726527/sqrt(1) = 0.0007527726527, c = +1,
 *            dof 5
 *   dI_ecc   u = ecc_max/(2 ecc_load) I/sqrt(3) = 0.002/200 x 50.007/sqrt(3) = 0.0002887155491,
 *            c = +1
 *   m_c      u = U/k = 0.000030/2 = 1.5e-05, c = -1
 *   dm_B     u = 50.00004 x |1/7950 - 1/8000| x 0.07 = 50.00004 x 7.861635e-07 x 0.07
 *              = 2.751574528e-06 (the u(rho_w) term is 0: rho_a = 1.2), c = -1
 *   dm_conv  u = conv_rel L/sqrt(3) = 1e-7 x 50/sqrt(3) = 2.886751346e-06, c = -1
 *   dm_D     u = drift_rel L/sqrt(3) = 2e-7 x 50/sqrt(3) = 5.773502692e-06, c = -1
 * u^2 = sum (c u)^2 = 8.16964233e-07 g^2, u = 9.038607411888e-04 g
 * nu_eff = u^4 / (0.0007527726527^4/5) = 1.039251750353e+01
 * k = t_{0.9545}(floor(nu_eff) = 10) = 2.2836816132996
 * U = k u = 2.064130155636e-03 g
 * MPE: 50 g = 5000 e, the upper edge of the 0.5 e band (m <= 5000 e): 0.5 x 0.01 = 0.005 g
 * verdict: simple acceptance, |E| = 0.00696 > 0.005 -> fail */
static const struct exp_row c1_50_rows[] = {
    {"I_L", 0, 1, 0},
    {"dI_dig0", 2.8867513459481288e-04, -1, -2.8867513459481288e-04},
    {"dI_digL", 2.8867513459481288e-04, 1, 2.8867513459481288e-04},
    {"dI_rep", 7.5277265270908099e-04, 1, 7.5277265270908099e-04},
    {"dI_ecc", 2.8871554911365616e-04, 1, 2.8871554911365616e-04},
    {"m_c", 1.5000000000000000e-05, -1, -1.5000000000000000e-05},
    {"dm_B", 2.7515745283018868e-06, -1, -2.7515745283018868e-06},
    {"dm_conv", 2.8867513459481288e-06, -1, -2.8867513459481288e-06},
    {"dm_D", 5.7735026918962576e-06, -1, -5.7735026918962576e-06},
};
static const struct exp_point c1_50 = {
    .nominal = 50, .mean = 5.0006999999999998e+01, .ref = 5.0000039999999998e+01,
    .error = 6.9600000000000000e-03, .u = 9.0386074118880990e-04,
    .nu_eff = 1.0392517503534905e+01, .k = 2.2836816132996416e+00,
    .U = 2.0641301556362712e-03, .mpe = 5.0000000000000001e-03, .verdict = UNC_FAIL,
    .n_rows = sizeof c1_50_rows / sizeof c1_50_rows[0], .rows = c1_50_rows,
};

/* 150 g = pieces 100 g + 50 g: one reading I = 150.003 g;
 * m_c = 100.000030 + 50.000040 = 150.000070 g,
 * u(m_c) = 0.000050/2 + 0.000030/2 = 2.5e-05 + 1.5e-05 = 4.0e-05 g (linear sum: correlated)
 * dm_B = 0 (rho_a = 1.2, the estimate)
 * E = 150.003 - 150.000070 = 0.002930 g
 * budget rows (u in g, c, contribution = c u):
 *   I_L      u = 0 (value only) = 0, c = +1
 *   dI_dig0  u = (d/2)/sqrt(3) = 0.0005/sqrt(3) = 0.0002886751346, c = -1
 *   dI_digL  u = (d/2)/sqrt(3) = 0.0002886751346, c = +1
 *   dI_rep   u = s_rep/sqrt(1) = 0.0007527726527, c = +1, dof 5
 *   dI_ecc   u = 0.002/200 x 150.003/sqrt(3) = 0.0008660427243, c = +1
 *   m_c      u = u1 + u2 = 2.5e-05 + 1.5e-05 = 4e-05, c = -1
 *   dm_B     u = 150.00007 x 7.861635e-07 x 0.07 = 8.254720833e-06, c = -1
 *   dm_conv  u = 1e-7 x 150/sqrt(3) = 8.660254038e-06, c = -1
 *   dm_D     u = 2e-7 x 150/sqrt(3) = 1.732050808e-05, c = -1
 * u^2 = 1.48541648e-06 g^2, u = 1.218772527607e-03 g
 * nu_eff = u^4 / (0.0007527726527^4/5) = 3.435621373413e+01
 * k = t_{0.9545}(floor(nu_eff) = 34) = 2.0762554741250
 * U = k u = 2.530483132157e-03 g
 * MPE: 150 g = 15000 e, in 5000 e < m <= 20000 e: 1 e = 0.01 g
 * verdict: |E| = 0.00293 <= 0.01 -> pass */
static const struct exp_row c1_150_rows[] = {
    {"I_L", 0, 1, 0},
    {"dI_dig0", 2.8867513459481288e-04, -1, -2.8867513459481288e-04},
    {"dI_digL", 2.8867513459481288e-04, 1, 2.8867513459481288e-04},
    {"dI_rep", 7.5277265270908099e-04, 1, 7.5277265270908099e-04},
    {"dI_ecc", 8.6604272429251434e-04, 1, 8.6604272429251434e-04},
    {"m_c", 4.0000000000000003e-05, -1, -4.0000000000000003e-05},
    {"dm_B", 8.2547208333333333e-06, -1, -8.2547208333333333e-06},
    {"dm_conv", 8.6602540378443865e-06, -1, -8.6602540378443865e-06},
    {"dm_D", 1.7320508075688773e-05, -1, -1.7320508075688773e-05},
};
static const struct exp_point c1_150 = {
    .nominal = 150, .mean = 1.5000299999999999e+02, .ref = 1.5000006999999999e+02,
    .error = 2.9299999999999999e-03, .u = 1.2187725276069237e-03,
    .nu_eff = 3.4356213734134991e+01, .k = 2.0762554741250105e+00,
    .U = 2.5304831321570509e-03, .mpe = 1.0000000000000000e-02, .verdict = UNC_PASS,
    .n_rows = sizeof c1_150_rows / sizeof c1_150_rows[0], .rows = c1_150_rows,
};

static void feed_case1(struct readings *b, const struct prof_profile *p)
{
    assert_int_equal(p->n_points, 13);
    feed(b, p, 0, c1_readings, sizeof c1_readings / sizeof c1_readings[0]);
}

static void check_case1(const struct ana_result *r)
{
    assert_true(r->has_repeatability);
    assert_int_equal(r->rep_n, 6);
    check_rel("rep_load", 100, r->rep_load, 100, REL);
    check_rel("rep_mean", 100, r->rep_mean, 100.00083333333333, REL); /* 600.005 / 6 */
    check_rel("rep_s", 100, r->rep_s, 7.5277265270908098e-04, REL);  /* sqrt(17/30) mg */
    assert_true(r->has_eccentricity);
    check_rel("ecc_load", 100, r->ecc_load, 100, REL);
    check_rel("ecc_max", 100, r->ecc_max, 0.002, REL);
    static const char *const names[] = {"centre", "front", "left", "back", "right"};
    static const double dev[] = {0, 0.002, -0.002, 0.001, -0.001};
    assert_int_equal(r->n_positions, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(r->positions[i].name, names[i]);
        check_rel("eccentricity deviation", 100, r->positions[i].deviation, dev[i], REL);
    }
    assert_int_equal(r->n_points, 7);
    check_summary(r, 2, c1_summary, sizeof c1_summary / sizeof c1_summary[0]);
    check_point(r, 2, &c1_50, 0.9545);
    check_point(r, 2, &c1_150, 0.9545);
    /* the 150 g reference: two pieces, values and u summed (correlated) */
    const struct ana_point *pt = point_at(r, 2, 150);
    check_rel("u_ref", 150, pt->stats[PROF_STAT_U_REF], 4.0e-05, REL); /* 2.5e-5 + 1.5e-5 */
    assert_true(r->complete);
    assert_int_equal(r->verdict, UNC_FAIL); /* 50 g fails */
    assert_string_equal(ana_overall_name(r), "fail");
}

static void test_balance_class_ii(void **state)
{
    (void)state;
    struct fixture f;
    load(&f, "profiles/balance-cg18-class-ii.yaml", "W-E2-01");
    static struct readings b;
    b.n = 0;
    feed_case1(&b, f.p);
    struct ana_result *r = run(&f, &b);
    assert_int_equal(r->n_ignored, 0);
    check_case1(r);
    ana_result_free(r);
    unload(&f);
}

/* Case 1 with the conditions measured: 20.5 degC, 45 %RH, 1013.0 hPa. The
 * air density is OIML R111-1 E.3-1 (hand calculation with python3 and
 * mpmath as a calculator, test_profile.c gives the steps):
 *   rho_a = 1.1973299646894296 kg/m3, u(rho_a) = 1.8133955699591039e-03 kg/m3
 *   (sensors 0.3 degC, 3 %RH, 1 hPa; the formula 2e-4 relative)
 * 150 g: m_c = 150.000070 g,
 *   dm_B = -m_c (rho_a - 1.2)(1/7950 - 1/8000)
 *        = -150.00007 x (-0.0026700353) x 7.861635e-07 = 3.1486280148430148e-07 g
 *   u(dm_B) = m_c sqrt((7.861635e-07 x 1.8134e-03)^2 + (0.0026700353 x 40/7950^2)^2)
 *           = 3.3163009658218297e-07 g
 *   E = 150.003 - (150.000070 + 3.1486e-07) = 0.0029296851371985157 g
 *   u^2 = the 150 g rows of case 1 with this dm_B: u = 1.2187446178801588e-03 g,
 *   nu_eff = 34.353066831559811, k = t(34) = 2.0762554741250105,
 *   U = 2.5304251844340739e-03 g */
static void test_balance_measured_air(void **state)
{
    (void)state;
    struct fixture f;
    load(&f, "profiles/balance-cg18-class-ii.yaml", "W-E2-01");
    static struct readings b;
    b.n = 0;
    feed_case1(&b, f.p);
    const struct daq_env env[] = {
        {.t = 1767225600.0, .temp_c = 20.5, .rh_pct = 45, .p_hpa = 1013.0, .where = "start"},
        {.t = 1767229200.0, .temp_c = NAN, .rh_pct = NAN, .p_hpa = NAN, .where = "end"},
    };
    struct ana_input in = {.profile = f.p, .readings = b.v, .n_readings = b.n, .env = env,
                           .n_env = 2, .reference = f.ref};
    struct ana_result *r = NULL;
    struct cd_err err = {0};
    if (ana_run(&in, &r, &err) != 0)
        fail_msg("ana_run: %s", cd_err_text(&err));
    assert_true(r->has_air);
    assert_true(r->air.measured);
    check_rel("rho_a", 150, r->air.rho, 1.1973299646894296, REL);
    check_rel("u(rho_a)", 150, r->air.u, 1.8133955699591039e-03, REL);
    const struct ana_point *pt = point_at(r, 2, 150);
    check_rel("error", 150, pt->error, 2.9296851371985157e-03, REL);
    check_rel("u", 150, pt->u, 1.2187446178801588e-03, REL);
    check_rel("nu_eff", 150, pt->nu_eff, 3.4353066831559811e+01, REL);
    check_rel("U", 150, pt->U, 2.5304251844340739e-03, REL_K);
    const struct ana_budget_row *row = NULL;
    for (size_t i = 0; i < pt->n_rows; i++)
        if (strcmp(pt->rows[i].name, "dm_B") == 0)
            row = &pt->rows[i];
    assert_non_null(row);
    check_rel("x(dm_B)", 150, row->x, 3.1486280148430148e-07, REL);
    check_rel("u(dm_B)", 150, row->u, 3.3163009658218297e-07, REL);
    assert_non_null(strstr(row->source, "cg-18 7.1.2"));
    json_t *j = ana_result_json(r, f.p);
    json_t *air = json_object_get(j, "air_density");
    assert_non_null(air);
    assert_non_null(strstr(json_string_value(json_object_get(air, "source")), "measured"));
    check_rel("JSON rho_a", 150, json_number_value(json_object_get(air, "rho_a")),
              1.1973299646894296, REL);
    json_decref(j);
    ana_result_free(r);

    /* the same readings without conditions: the profile's estimate, and the
     * results say so */
    in.n_env = 0;
    in.env = NULL;
    if (ana_run(&in, &r, &err) != 0)
        fail_msg("ana_run: %s", cd_err_text(&err));
    assert_false(r->air.measured);
    j = ana_result_json(r, f.p);
    assert_non_null(strstr(json_string_value(json_object_get(json_object_get(j, "air_density"),
                                                             "source")),
                           "estimate"));
    json_decref(j);
    ana_result_free(r);
    unload(&f);
}

/* ================================================================ case 2 */
/* Balance class III, Max 6000 g, e = d = 1 g; weights W-M1-01 certified in
 * kg (k = 2), converted to g (x 1000); rho_w = 7300 kg/m3, u_rho_w =
 * 200 kg/m3, drift_rel = 1e-6; no conditions measured: rho_a = 1.2 kg/m3,
 * u = 0.07 kg/m3 (the profile's estimate).
 *
 * Issue 15 section 4 changed this budget (old -> new, hand calculations
 * both): loading up and down is the mean of the two indications with
 * their difference as its own rectangular contribution (dI_ud), no longer
 * two repeats of one reading (u(dI_rep) = s_rep, was s_rep/sqrt(2)); the
 * buoyancy comes from the air and weight densities (was 4e-6 of the load,
 * rectangular); the eccentricity is scaled on the indication.
 *   500 g:  u 0.64953246005620591 -> 0.81968973357828476 g, nu_eff
 *           11.391566 -> 7.2230058, k 2.2548660 -> 2.4288091, U
 *           1.4646086624888888 -> 1.9908698695291034 g
 *   3000 g: u 0.77765459341964072 -> 0.92457018309981669 g, nu_eff
 *           23.405986 -> 11.691750, k 2.1147294 -> 2.2548660, U
 *           1.6445290605869860 -> 2.0847818739185935 g
 *
 * Repeatability at 3000 g (2 kg + 1 kg), 5 readings: 3000 3001 3000 2999 3000:
 *   mean 3000, deviations 0 +1 0 -1 0, s^2 = 2/4 = 0.5 g^2,
 *   s_rep = sqrt(0.5) = 0.70710678118654757 g, n_rep = 5, dof 4.
 * Eccentricity at 2000 g: 2000 2001 2000 1999 2001: ecc_max = 1 g.
 * Errors: series up 0 -> 6000 g, then down 6000 -> 0 g, one reading each:
 *   I_L = (up + down)/2, n = 2 readings in 2 series: n_per_series = 1, so
 *   u(dI_rep) = s_rep / sqrt(1) = 0.70710678 g; hysteresis = |down - up|.
 * MPE (R76 class III, e = 1 g): 0.5 e up to 500 e = 500 g, 1 e up to
 * 2000 e = 2000 g, 1.5 e above (to 10000 e). */
static const struct rd_spec c2_readings[] = {
    {"repeatability", 3000, 3000}, {"repeatability", 3000, 3001},
    {"repeatability", 3000, 3000}, {"repeatability", 3000, 2999},
    {"repeatability", 3000, 3000},
    {"eccentricity", 2000, 2000}, /* centre */
    {"eccentricity", 2000, 2001}, /* front */
    {"eccentricity", 2000, 2000}, /* left */
    {"eccentricity", 2000, 1999}, /* back */
    {"eccentricity", 2000, 2001}, /* right */
    {"error-up", 0, 0},          {"error-up", 500, 500},     {"error-up", 1000, 1000},
    {"error-up", 2000, 2000},    {"error-up", 3000, 3001},   {"error-up", 5000, 5001},
    {"error-up", 6000, 6001},
    {"error-down", 6000, 6002},  {"error-down", 5000, 5001}, {"error-down", 3000, 3001},
    {"error-down", 2000, 2001},  {"error-down", 1000, 1001}, {"error-down", 500, 500},
    {"error-down", 0, 0},
};

static const struct exp_summary c2_summary[] = {
    /* 0 g: (0 + 0)/2 = 0; E = 0; MPE 0.5 */
    {0, 0, 0, 0.5, UNC_PASS},
    /* 500 g: (500 + 500)/2 = 500; m_c = 0.5000040 kg = 500.004 g; E = -0.004; 0.5 e */
    {500, 500, -0.004, 0.5, UNC_PASS},
    /* 1000 g: (1000 + 1001)/2 = 1000.5; m_c = 1000.006; E = 0.494; 1 e */
    {1000, 1000.5, 0.494, 1, UNC_PASS},
    /* 2000 g: (2000 + 2001)/2 = 2000.5; m_c = 2000.010 (unmarked 2 kg); E = 0.490; 1 e */
    {2000, 2000.5, 0.490, 1, UNC_PASS},
    /* 3000 g: (3001 + 3001)/2 = 3001; m_c = 2000.010 + 1000.006 = 3000.016; E = 0.984 */
    {3000, 3001, 0.984, 1.5, UNC_PASS},
    /* 5000 g: (5001 + 5001)/2 = 5001; m_c = 5000.030; E = 0.970; 1.5 e */
    {5000, 5001, 0.970, 1.5, UNC_PASS},
    /* 6000 g: (6001 + 6002)/2 = 6001.5; m_c = 5000.030 + 1000.006 = 6000.036; E = 1.464 */
    {6000, 6001.5, 1.464, 1.5, UNC_PASS},
};

/* 500 g: up 500, down 500 -> mean I = 500 g (n = 2, n_per_series = 1);
 * piece 0.5 kg of W-M1-01: m_c = 0.5000040 kg = 500.004 g,
 * u(m_c) = 0.0000080 kg / 2 = 0.004 g; dm_B = 0 (rho_a = 1.2)
 * E = 500 - 500.004 = -0.004 g
 * budget rows (u in g, c, contribution = c u):
 *   I_L      u = 0 (value only) = 0, c = +1
 *   dI_dig0  u = (d/2)/sqrt(3) = 0.5/sqrt(3) = 0.2886751346, c = -1
 *   dI_digL  u = (d/2)/sqrt(3) = 0.2886751346, c = +1
 *   dI_rep   u = s_rep/sqrt(1) = 0.7071067812, c = +1, dof 4
 *   dI_ud    u = (|500 - 500|/2)/sqrt(3) = 0, c = +1
 *   dI_ecc   u = ecc_max/(2 ecc_load) I/sqrt(3) = 1/4000 x 500/sqrt(3) = 0.07216878365, c = +1
 *   m_c      u = 0.008 g/2 = 0.004, c = -1
 *   dm_B     u = 500.004 x |1/7300 - 1/8000| x 0.07 = 500.004 x 1.198630e-05 x 0.07
 *              = 0.0004195239041, c = -1
 *   dm_D     u = 1e-6 x 500/sqrt(3) = 0.0002886751346, c = -1
 * u^2 = 0.6718912590 g^2, u = 8.196897335783e-01 g
 * nu_eff = u^4 / (0.7071067812^4/4) = 7.223005829903e+00
 * k = t_{0.9545}(floor(nu_eff) = 7) = 2.4288090822342
 * U = k u = 1.990869869529e+00 g
 * MPE: 500 g = 500 e, upper edge of the 0.5 e band (m <= 500 e): 0.5 g
 * verdict: |E| = 0.004 <= 0.5 -> pass */
static const struct exp_row c2_500_rows[] = {
    {"I_L", 0, 1, 0},
    {"dI_dig0", 2.8867513459481288e-01, -1, -2.8867513459481288e-01},
    {"dI_digL", 2.8867513459481288e-01, 1, 2.8867513459481288e-01},
    {"dI_rep", 7.0710678118654752e-01, 1, 7.0710678118654752e-01},
    {"dI_ud", 0, 1, 0},
    {"dI_ecc", 7.2168783648703221e-02, 1, 7.2168783648703221e-02},
    {"m_c", 4.0000000000000001e-03, -1, -4.0000000000000001e-03},
    {"dm_B", 4.1952390410958904e-04, -1, -4.1952390410958904e-04},
    {"dm_D", 2.8867513459481288e-04, -1, -2.8867513459481288e-04},
};
static const struct exp_point c2_500 = {
    .nominal = 500, .mean = 5.0000000000000000e+02, .ref = 5.0000400000000002e+02,
    .error = -4.0000000000000001e-03, .u = 8.1968973357828476e-01,
    .nu_eff = 7.2230058299031031e+00, .k = 2.4288090822342411e+00,
    .U = 1.9908698695291034e+00, .mpe = 5.0000000000000000e-01, .verdict = UNC_PASS,
    .n_rows = sizeof c2_500_rows / sizeof c2_500_rows[0], .rows = c2_500_rows,
};

/* 1000 g (a point with a difference between loading and unloading, new
 * with issue 15): up 1000, down 1001 -> I = 1000.5 g, hysteresis 1 g;
 * piece 1 kg: m_c = 1.0000060 kg = 1000.006 g, u(m_c) = 0.0000160/2 kg = 0.008 g
 * E = 1000.5 - 1000.006 = 0.494 g
 * budget rows (u in g, c, contribution = c u):
 *   I_L      u = 0, c = +1
 *   dI_dig0  u = 0.2886751346, c = -1
 *   dI_digL  u = 0.2886751346, c = +1
 *   dI_rep   u = 0.7071067812, c = +1, dof 4
 *   dI_ud    u = (|1001 - 1000|/2)/sqrt(3) = 0.2886751346, c = +1
 *   dI_ecc   u = 1/4000 x 1000.5/sqrt(3) = 0.1444097361, c = +1
 *   m_c      u = 0.008, c = -1
 *   dm_B     u = 1000.006 x 1.198630e-05 x 0.07 = 0.0008390461301, c = -1
 *   dm_D     u = 1e-6 x 1000/sqrt(3) = 0.0005773502692, c = -1
 * u^2 = 0.7709192092 g^2, u = 8.780200505722e-01 g
 * nu_eff = u^4 / (0.7071067812^4/4) = 9.509062833983e+00
 * k = t_{0.9545}(9) = 2.3198094410224
 * U = k u = 2.036839202724e+00 g
 * MPE: 1000 g = 1000 e, in 500 e < m <= 2000 e: 1 g; |E| = 0.494 -> pass */
static const struct exp_row c2_1000_rows[] = {
    {"I_L", 0, 1, 0},
    {"dI_dig0", 2.8867513459481288e-01, -1, -2.8867513459481288e-01},
    {"dI_digL", 2.8867513459481288e-01, 1, 2.8867513459481288e-01},
    {"dI_rep", 7.0710678118654752e-01, 1, 7.0710678118654752e-01},
    {"dI_ud", 2.8867513459481288e-01, 1, 2.8867513459481288e-01},
    {"dI_ecc", 1.4440973608105514e-01, 1, 1.4440973608105514e-01},
    {"m_c", 8.0000000000000002e-03, -1, -8.0000000000000002e-03},
    {"dm_B", 8.3904613013698630e-04, -1, -8.3904613013698630e-04},
    {"dm_D", 5.7735026918962576e-04, -1, -5.7735026918962576e-04},
};
static const struct exp_point c2_1000 = {
    .nominal = 1000, .mean = 1.0005000000000000e+03, .ref = 1.0000060000000000e+03,
    .error = 4.9400000000000000e-01, .u = 8.7802005057216195e-01,
    .nu_eff = 9.5090628339831709e+00, .k = 2.3198094410224324e+00,
    .U = 2.0368392027242948e+00, .mpe = 1, .verdict = UNC_PASS,
    .n_rows = sizeof c2_1000_rows / sizeof c2_1000_rows[0], .rows = c2_1000_rows,
};

/* 3000 g = 2 kg + 1 kg: up 3001, down 3001 -> I = 3001 g;
 * m_c = (2.0000100 + 1.0000060) kg = 3000.016 g,
 * u(m_c) = (0.0000300/2 + 0.0000160/2) kg = 0.015 + 0.008 = 0.023 g
 * E = 3001 - 3000.016 = 0.984 g
 * budget rows (u in g, c, contribution = c u):
 *   I_L      u = 0 (value only) = 0, c = +1
 *   dI_dig0  u = (d/2)/sqrt(3) = 0.5/sqrt(3) = 0.2886751346, c = -1
 *   dI_digL  u = (d/2)/sqrt(3) = 0.2886751346, c = +1
 *   dI_rep   u = s_rep/sqrt(1) = 0.7071067812, c = +1, dof 4
 *   dI_ud    u = 0 (up and down agree), c = +1
 *   dI_ecc   u = 1/4000 x 3001/sqrt(3) = 0.4331570395, c = +1
 *   m_c      u = 0.015 + 0.008 = 0.023, c = -1
 *   dm_B     u = 3000.016 x 1.198630e-05 x 0.07 = 0.002517136712, c = -1
 *   dm_D     u = 1e-6 x 3000/sqrt(3) = 0.001732050808, c = -1
 * u^2 = 0.8548300235 g^2, u = 9.245701830998e-01 g
 * nu_eff = u^4 / (0.7071067812^4/4) = 1.169174990461e+01
 * k = t_{0.9545}(floor(nu_eff) = 11) = 2.2548660037131
 * U = k u = 2.084781873919e+00 g
 * MPE: 3000 g = 3000 e, in 2000 e < m <= 10000 e: 1.5 e = 1.5 g
 * verdict: |E| = 0.984 <= 1.5 -> pass */
static const struct exp_row c2_3000_rows[] = {
    {"I_L", 0, 1, 0},
    {"dI_dig0", 2.8867513459481288e-01, -1, -2.8867513459481288e-01},
    {"dI_digL", 2.8867513459481288e-01, 1, 2.8867513459481288e-01},
    {"dI_rep", 7.0710678118654752e-01, 1, 7.0710678118654752e-01},
    {"dI_ud", 0, 1, 0},
    {"dI_ecc", 4.3315703945951673e-01, 1, 4.3315703945951673e-01},
    {"m_c", 2.3000000000000000e-02, -1, -2.3000000000000000e-02},
    {"dm_B", 2.5171367123287671e-03, -1, -2.5171367123287671e-03},
    {"dm_D", 1.7320508075688773e-03, -1, -1.7320508075688773e-03},
};
static const struct exp_point c2_3000 = {
    .nominal = 3000, .mean = 3.0010000000000000e+03, .ref = 3.0000160000000001e+03,
    .error = 9.8399999999999999e-01, .u = 9.2457018309981669e-01,
    .nu_eff = 1.1691749904609266e+01, .k = 2.2548660037131224e+00,
    .U = 2.0847818739185935e+00, .mpe = 1.5000000000000000e+00, .verdict = UNC_PASS,
    .n_rows = sizeof c2_3000_rows / sizeof c2_3000_rows[0], .rows = c2_3000_rows,
};

static void test_balance_class_iii(void **state)
{
    (void)state;
    struct fixture f;
    load(&f, "profiles/balance-cg18-class-iii.yaml", "W-M1-01");
    static struct readings b;
    b.n = 0;
    assert_int_equal(f.p->n_points, 20);
    feed(&b, f.p, 0, c2_readings, sizeof c2_readings / sizeof c2_readings[0]);
    struct ana_result *r = run(&f, &b);
    assert_int_equal(r->n_ignored, 0);
    assert_true(r->has_repeatability);
    assert_int_equal(r->rep_n, 5);
    check_rel("rep_mean", 3000, r->rep_mean, 3000, REL);
    check_rel("rep_s", 3000, r->rep_s, 0.70710678118654757, REL); /* sqrt(2/4) */
    assert_true(r->has_eccentricity);
    check_rel("ecc_load", 2000, r->ecc_load, 2000, REL);
    check_rel("ecc_max", 2000, r->ecc_max, 1, REL);
    assert_int_equal(r->n_points, 7);
    check_summary(r, 2, c2_summary, sizeof c2_summary / sizeof c2_summary[0]);
    check_point(r, 2, &c2_500, 0.9545);
    check_point(r, 2, &c2_1000, 0.9545);
    check_point(r, 2, &c2_3000, 0.9545);
    /* one reading in each of the two series: not two repeats */
    check_rel("n_per_series", 1000, point_at(r, 2, 1000)->stats[PROF_STAT_N_PER_SERIES], 1, REL);
    check_rel("hysteresis", 1000, point_at(r, 2, 1000)->stats[PROF_STAT_HYSTERESIS], 1, REL);
    /* kg certificate converted: u(m_c) at 500 g = 0.0000080 kg / 2 = 0.004 g */
    check_rel("u_ref", 500, point_at(r, 2, 500)->stats[PROF_STAT_U_REF], 0.004, REL);
    check_rel("u_ref", 3000, point_at(r, 2, 3000)->stats[PROF_STAT_U_REF], 0.023, REL);
    /* n = 2 readings (up and down) at each load */
    assert_int_equal(point_at(r, 2, 3000)->n, 2);
    assert_true(r->complete);
    assert_int_equal(r->verdict, UNC_PASS);
    assert_string_equal(ana_overall_name(r), "pass");
    ana_result_free(r);
    unload(&f);
}

/* ================================================================ case 3 */
/* Pressure gauge 0 - 20 bar, d = 0.001 bar, EN 837-1 class 0.25: MPE =
 * 0.25 % of the 20 bar span = 0.05 bar at every point. Reference P-REF-01
 * (k = 2); 0 bar: reference 0 with u = 0. Series up (0 -> 20), down
 * (20 -> 0), up (0 -> 20), one reading each. Per nominal:
 *   mean       = (x1 + x2 + x3)/3 (x1 up, x2 down, x3 up)
 *   hysteresis = |x2 - x1| (the pair: first up series, the down series)
 *   b_rep      = |x3 - x1| (spread of the up series; one down series only)
 *   f0         = max - min of the series means at 0 bar = 0.004 - 0.000
 * Budget: E = p_ind + dp_res + dp_zero + dp_rep + dp_hys - (p_ref + dp_h),
 * the corrections of the indication rectangular with the full width as
 * stated, k = 2. dp_h carries the reference pressure to the gauge's level,
 * 0.20 m higher (u 0.005 m), through a gas whose density is 1.2 kg/m3 at
 * atmospheric pressure (1.01325 bar) and rises with the absolute pressure,
 * in air of 1.2 kg/m3, g = 9.78 m/s2 (DKD-R 6-1, formula from memory):
 *   dp_h = -(1.2 (ref + 1.01325)/1.01325 - 1.2) x 9.78 x 0.20 x 1e-5 bar
 *        = -1.2 ref/1.01325 x 9.78 x 0.2e-5 bar
 *   u(dp_h) = 1.2 ref/1.01325 x 9.78 x 0.005e-5 bar
 *
 * Issue 15 section 4 added dp_h; the errors and u change (old -> new):
 * E = mean - ref was 0.0055266667 at 2.5 bar, 0.0150333 at 10 bar,
 * 0.0524833 at 20 bar; now mean - ref - dp_h as below. u at 10 bar
 * 2.6709470854611355e-03 -> 2.6709533642698507e-03 bar, U
 * 5.3418941709222709e-03 -> 5.3419067285397015e-03 bar; at 0 bar (ref 0,
 * dp_h 0) nothing changes.
 *
 *   nominal  up1     down    up2     mean          ref       dp_h           E
 *   0        0.000   0.004   0.001   0.0016667     0         0              0.0016667
 *   2.5      2.503   2.510   2.504   2.5056667     2.50014   -5.79159e-05   0.0055845826
 *   5        5.006   5.014   5.007   5.009         5.00021   -1.158302e-04  0.0089058302
 *   7.5      7.509   7.518   7.511   7.5126667     7.50026   -1.737440e-04  0.0125804107
 *   10       10.012  10.020  10.014  10.0153333    10.00030  -2.316576e-04  0.0152649909
 *   12.5     12.516  12.523  12.517  12.5186667    12.50024  -2.895688e-04  0.0187162355
 *   15       15.020  15.027  15.021  15.0226667    15.00018  -3.474801e-04  0.0228341468
 *   17.5     17.530  17.536  17.531  17.5323333    17.50003  -4.053893e-04  0.0327087226
 *   20       20.050  20.056  20.051  20.0523333    19.99985  -4.632978e-04  0.0529466311 > 0.05: fail
 */
static const double c3_nominal[9] = {0, 2.5, 5, 7.5, 10, 12.5, 15, 17.5, 20};
static const double c3_up1[9] = {0.000, 2.503, 5.006, 7.509, 10.012,
                                 12.516, 15.020, 17.530, 20.050};
static const double c3_down[9] = {0.004, 2.510, 5.014, 7.518, 10.020,
                                  12.523, 15.027, 17.536, 20.056};
static const double c3_up2[9] = {0.001, 2.504, 5.007, 7.511, 10.014,
                                 12.517, 15.021, 17.531, 20.051};

static const struct exp_summary c3_summary[] = {
    {0, 1.6666666666666668e-03, 1.6666666666666668e-03, 0.05, UNC_PASS},    /* 0.005/3 - 0 */
    /* 7.517/3 - 2.50014 + 5.7915900399703923e-05 */
    {2.5, 2.5056666666666665, 5.5845825670663706e-03, 0.05, UNC_PASS},
    /* 15.027/3 - 5.00021 + 1.158301792450037e-04 */
    {5, 5.009, 8.9058301792450037e-03, 0.05, UNC_PASS},
    /* 22.538/3 - 7.50026 + 1.7374399478904515e-04 */
    {7.5, 7.512666666666667, 1.2580410661455712e-02, 0.05, UNC_PASS},
    /* 30.046/3 - 10.00030 + 2.3165757868245744e-04 */
    {10, 10.015333333333333, 1.5264990912015791e-02, 0.05, UNC_PASS},
    /* 37.556/3 - 12.50024 + 2.8956884606957809e-04 */
    {12.5, 12.518666666666666, 1.8716235512736245e-02, 0.05, UNC_PASS},
    /* 45.068/3 - 15.00018 + 3.4748011345669874e-04 */
    {15, 15.022666666666666, 2.2834146780123365e-02, 0.05, UNC_PASS},
    /* 52.597/3 - 17.50003 + 4.0538929598815692e-04 */
    {17.5, 17.532333333333334, 3.2708722629321490e-02, 0.05, UNC_PASS},
    /* 60.157/3 - 19.99985 + 4.6329778356772761e-04 */
    {20, 20.052333333333333, 5.2946631116901061e-02, 0.05, UNC_FAIL},
};

/* 10 bar: up 10.012, down 10.020, up 10.014
 * mean = (10.012 + 10.020 + 10.014)/3 = 10.015333..., mean_up = 10.013, mean_down = 10.020
 * hysteresis = |10.020 - 10.012| = 0.008, b_rep = |10.014 - 10.012| = 0.002,
 * f0 = 0.004 - 0.000 = 0.004 (series means at 0 bar: 0.000, 0.004, 0.001)
 * p_ref = 10.00030 bar, u = 0.00045/2 = 0.000225 bar;
 * dp_h = -1.2 x 10.0003/1.01325 x 9.78 x 0.2e-5 = -2.316575787e-04 bar,
 * E = 10.0153333... - (10.00030 - 0.0002316575787) = 0.01526499091 bar
 * budget rows (u in bar, c, contribution = c u):
 *   p_ind    u = 0 (value only) = 0, c = +1
 *   p_ref    u = U/k = 0.00045/2 = 0.000225, c = -1
 *   dp_h     u = 1.2 x 10.0003/1.01325 x 9.78 x 0.005e-5 = 5.791439467e-06, c = -1
 *   dp_res   u = (d/2)/sqrt(3) = 0.0005/sqrt(3) = 0.0002886751346, c = +1
 *   dp_zero  u = (f0/2)/sqrt(3) = 0.002/sqrt(3) = 0.001154700538, c = +1
 *   dp_rep   u = (b_rep/2)/sqrt(3) = 0.001/sqrt(3) = 0.0005773502692, c = +1
 *   dp_hys   u = (hysteresis/2)/sqrt(3) = 0.004/sqrt(3) = 0.002309401077, c = +1
 * u^2 = 7.133991874e-06 bar^2, u = 2.670953364270e-03 bar
 * nu_eff = infinite (no input has finite dof)
 * k = 2, fixed by the profile (budget: k: 2); p not used
 * U = k u = 2 x 0.002670953364 = 5.341906728540e-03 bar
 * MPE: EN 837-1 class 0.25 of span 20 bar: 0.0025 x 20 = 0.05 bar
 * verdict: |E| = 0.01526 <= 0.05 -> pass */
static const struct exp_row c3_10_rows[] = {
    {"p_ind", 0, 1, 0},
    {"p_ref", 2.2499999999999999e-04, -1, -2.2499999999999999e-04},
    {"dp_h", 5.7914394670614360e-06, -1, -5.7914394670614360e-06},
    {"dp_res", 2.8867513459481288e-04, 1, 2.8867513459481288e-04},
    {"dp_zero", 1.1547005383792515e-03, 1, 1.1547005383792515e-03},
    {"dp_rep", 5.7735026918962576e-04, 1, 5.7735026918962576e-04},
    {"dp_hys", 2.3094010767585031e-03, 1, 2.3094010767585031e-03},
};
static const struct exp_point c3_10 = {
    .nominal = 10, .mean = 1.0015333333333333e+01, .ref = 1.0000299999999999e+01,
    .error = 1.5264990912015791e-02, .u = 2.6709533642698507e-03,
    .nu_eff = INFINITY, .k = 2,
    .U = 5.3419067285397015e-03, .mpe = 5.0000000000000003e-02, .verdict = UNC_PASS,
    .n_rows = sizeof c3_10_rows / sizeof c3_10_rows[0], .rows = c3_10_rows,
};

/* 0 bar: up 0.000, down 0.004, up 0.001
 * mean = 0.005/3 = 0.0016666..., mean_up = 0.0005, mean_down = 0.004
 * hysteresis = |0.004 - 0.000| = 0.004, b_rep = |0.001 - 0.000| = 0.001, f0 = 0.004
 * p_ref = 0 with u = 0 (gauge vented); dp_h = 0 (ref 0: the medium is at
 * atmospheric pressure, as dense as the air); E = 0.0016666... bar
 * budget rows (u in bar, c, contribution = c u):
 *   p_ind    u = 0 (value only) = 0, c = +1
 *   p_ref    u = 0 (nominal 0) = 0, c = -1
 *   dp_h     u = 0 (ref 0) = 0, c = -1
 *   dp_res   u = (d/2)/sqrt(3) = 0.0005/sqrt(3) = 0.0002886751346, c = +1
 *   dp_zero  u = (f0/2)/sqrt(3) = 0.002/sqrt(3) = 0.001154700538, c = +1
 *   dp_rep   u = (b_rep/2)/sqrt(3) = 0.0005/sqrt(3) = 0.0002886751346, c = +1
 *   dp_hys   u = (hysteresis/2)/sqrt(3) = 0.002/sqrt(3) = 0.001154700538, c = +1
 * u^2 = 0.0002886751346^2 + 0.001154700538^2 + 0.0002886751346^2 + 0.001154700538^2
 *     = 2.833333333e-06 bar^2, u = 1.683250823060e-03 bar
 * nu_eff = infinite (no input has finite dof)
 * k = 2, fixed by the profile (budget: k: 2); p not used
 * U = k u = 2 x 0.001683250823 = 3.366501646121e-03 bar
 * MPE: 0.05 bar (the same over the scale)
 * verdict: |E| = 0.00167 <= 0.05 -> pass */
static const struct exp_row c3_0_rows[] = {
    {"p_ind", 0, 1, 0},
    {"p_ref", 0, -1, 0},
    {"dp_h", 0, -1, 0},
    {"dp_res", 2.8867513459481290e-04, 1, 2.8867513459481290e-04},
    {"dp_zero", 1.1547005383792516e-03, 1, 1.1547005383792516e-03},
    {"dp_rep", 2.8867513459481290e-04, 1, 2.8867513459481290e-04},
    {"dp_hys", 1.1547005383792516e-03, 1, 1.1547005383792516e-03},
};
static const struct exp_point c3_0 = {
    .nominal = 0, .mean = 1.6666666666666668e-03, .ref = 0,
    .error = 1.6666666666666668e-03, .u = 1.6832508230603463e-03,
    .nu_eff = INFINITY, .k = 2,
    .U = 3.3665016461206926e-03, .mpe = 5.0000000000000003e-02, .verdict = UNC_PASS,
    .n_rows = sizeof c3_0_rows / sizeof c3_0_rows[0], .rows = c3_0_rows,
};

static void test_pressure(void **state)
{
    (void)state;
    struct fixture f;
    load(&f, "profiles/pressure-dkd-r6-1.yaml", "P-REF-01");
    static struct readings b;
    b.n = 0;
    assert_int_equal(f.p->n_points, 27);
    struct rd_spec s[27];
    for (size_t i = 0; i < 9; i++) {
        s[i] = (struct rd_spec){"error-up", c3_nominal[i], c3_up1[i]};
        s[9 + i] = (struct rd_spec){"error-down", c3_nominal[8 - i], c3_down[8 - i]};
        s[18 + i] = (struct rd_spec){"error-up", c3_nominal[i], c3_up2[i]};
    }
    feed(&b, f.p, 0, s, 27);
    struct ana_result *r = run(&f, &b);
    assert_int_equal(r->n_ignored, 0);
    assert_false(r->has_repeatability);
    assert_false(r->has_eccentricity);
    assert_int_equal(r->n_points, 9);
    check_summary(r, 0, c3_summary, 9);

    /* the series statistics at 10 bar and 0 bar */
    const struct ana_point *p10 = point_at(r, 0, 10), *p0 = point_at(r, 0, 0);
    assert_int_equal(p10->n, 3);
    /* (10.012 + 10.014)/2 */
    check_rel("mean_up", 10, p10->stats[PROF_STAT_MEAN_UP], 10.013, REL);
    check_rel("mean_down", 10, p10->stats[PROF_STAT_MEAN_DOWN], 10.020, REL);
    /* |10.020 - 10.012| */
    check_rel("hysteresis", 10, p10->stats[PROF_STAT_HYSTERESIS], 0.008, REL);
    check_rel("b_rep", 10, p10->stats[PROF_STAT_B_REP], 0.002, REL);     /* |10.014 - 10.012| */
    check_rel("f0", 10, p10->stats[PROF_STAT_F0], 0.004, REL);           /* 0.004 - 0.000 */
    check_rel("u_ref", 10, p10->stats[PROF_STAT_U_REF], 0.000225, REL);  /* 0.00045 / 2 */
    check_rel("mean_up", 0, p0->stats[PROF_STAT_MEAN_UP], 0.0005, REL);      /* (0.000 + 0.001)/2 */
    check_rel("mean_down", 0, p0->stats[PROF_STAT_MEAN_DOWN], 0.004, REL);
    check_rel("hysteresis", 0, p0->stats[PROF_STAT_HYSTERESIS], 0.004, REL); /* |0.004 - 0.000| */
    check_rel("b_rep", 0, p0->stats[PROF_STAT_B_REP], 0.001, REL);           /* |0.001 - 0.000| */
    check_rel("f0", 0, p0->stats[PROF_STAT_F0], 0.004, REL);
    check_rel("u_ref", 0, p0->stats[PROF_STAT_U_REF], 0, REL);

    check_point(r, 0, &c3_10, NAN);
    check_point(r, 0, &c3_0, NAN);
    assert_true(r->complete);
    assert_int_equal(r->verdict, UNC_FAIL); /* 20 bar */
    assert_string_equal(ana_overall_name(r), "fail");
    ana_result_free(r);
    unload(&f);
}

/* ================================================================ case 4 */
/* DMM, 10 V range only (plan entry 3, points 7-10: -10, 1, 5, 10 V), five
 * readings per point, d = 0.00001 V (the group's resolution). Reference:
 * the calibrator's nominal output (reference_value: nominal, so DPC-01's
 * certificate values such as 10.000012 V at 10 V must NOT enter), its
 * specification cal_ppm = 4, cal_floor = 2.5e-6 V as a rectangular
 * half-width 4e-6 |nominal| + 2.5e-6. Budget E = V_ind + dV_res + dV_emf -
 * (V_cal + dV_drift) with u(V_ind) = s/sqrt(5), dof 4; dV_emf has a
 * half-width of 0 on this range (thermal EMF is set on the mV range only);
 * dV_drift, the calibrator's drift over its recalibration interval, a
 * rectangular half-width 2 ppm/year x 1 year x |nominal|.
 *
 * Issue 15 section 4 added dV_emf and dV_drift (old -> new, hand
 * calculations both): -10 V and 10 V: u 2.5227300027285257e-05 ->
 * 2.7744368798010165e-05 V, nu_eff 2396.6 -> 3506.0, U
 * 5.0480997562317315e-05 -> 5.5508595869300569e-05 V; 1 V: u
 * 5.6935636175129077e-06 -> 5.8094750193111253e-06 V, U
 * 1.1736152683937121e-05 -> 1.1950684786778446e-05 V; 5 V: u
 * 1.5069284433354271e-05 -> 1.6137430609197570e-05 V, U
 * 3.0604978786152280e-05 -> 3.2652727392609205e-05 V, and the guard-band
 * acceptance limit 1.9439502121384772e-04 -> 1.9234727260739080e-04 V.
 * MPE: 34401A 1 year, 10 V range: 0.0035 % of reading + 0.0005 % of range
 * (10 V), taken at the nominal (the applied value; the indication differs by
 * at most 0.21 mV, which changes the MPE by 7 nV).
 * Decision rule: guard band r = 1: pass only if |E| <= MPE - U. */
static const struct rd_spec c4_readings[] = {
    {"error-up", -10, -9.99991}, {"error-up", -10, -9.99990}, {"error-up", -10, -9.99992},
    {"error-up", -10, -9.99989}, {"error-up", -10, -9.99991},
    {"error-up", 1, 1.00002},    {"error-up", 1, 1.00001},    {"error-up", 1, 1.00003},
    {"error-up", 1, 1.00002},    {"error-up", 1, 1.00002},
    {"error-up", 5, 5.00020},    {"error-up", 5, 5.00022},    {"error-up", 5, 5.00019},
    {"error-up", 5, 5.00021},    {"error-up", 5, 5.00023},
    {"error-up", 10, 10.00012},  {"error-up", 10, 10.00014},  {"error-up", 10, 10.00011},
    {"error-up", 10, 10.00013},  {"error-up", 10, 10.00012},
};

/* -10 V: readings -9.99991 -9.99990 -9.99992 -9.99989 -9.99991
 * mean = -9.999906 V, s = 1.140175425e-05 V (n = 5)
 * E = mean - nominal = 9.4e-05 V (reference: the calibrator's nominal output)
 * budget rows (u in V, c, contribution = c u):
 *   V_ind    u = s/sqrt(n) = 1.140175425e-05/sqrt(5) = 5.099019514e-06, c = +1, dof 4
 *   dV_res   u = (d/2)/sqrt(3) = 0.000005/sqrt(3) = 2.886751346e-06, c = +1
 *   dV_emf   u = 0/sqrt(3) = 0, c = +1
 *   V_cal    u = (4e-6 x 10 + 2.5e-6)/sqrt(3) = 4.25e-05/sqrt(3) = 2.453738644e-05, c = -1
 *   dV_drift u = 2e-6 x 1 x 10/sqrt(3) = 1.154700538e-05, c = -1
 * u^2 = 7.697500000e-10 V^2, u = 2.774436879801e-05 V
 * nu_eff = u^4 / (5.099019514e-06^4/4) = 3.506006286982e+03
 * k = t_{0.9545}(floor(nu_eff) = 3506) = 2.0007157586977
 * U = k u = 5.550859586930e-05 V
 * MPE: 0.0035 % x 10 + 0.0005 % x 10 (range) = 0.0004 V
 * verdict: guard band r = 1: acceptance |E| <= MPE - U = 0.0003444914041; |E| = 9.4e-05 -> pass */
static const struct exp_row c4_m10_rows[] = {
    {"V_ind", 5.0990195135927848e-06, 1, 5.0990195135927848e-06},
    {"dV_res", 2.8867513459481288e-06, 1, 2.8867513459481288e-06},
    {"dV_emf", 0, 1, 0},
    {"V_cal", 2.4537386440559095e-05, -1, -2.4537386440559095e-05},
    {"dV_drift", 1.1547005383792515e-05, -1, -1.1547005383792515e-05},
};
static const struct exp_point c4_m10 = {
    .nominal = -10, .mean = -9.9999059999999993e+00, .ref = -1.0000000000000000e+01,
    .error = 9.3999999999999994e-05, .u = 2.7744368798010165e-05,
    .nu_eff = 3.5060062869822485e+03, .k = 2.0007157586977313e+00,
    .U = 5.5508595869300569e-05, .mpe = 4.0000000000000002e-04, .verdict = UNC_PASS,
    .n_rows = sizeof c4_m10_rows / sizeof c4_m10_rows[0], .rows = c4_m10_rows,
};

/* 1 V: readings 1.00002 1.00001 1.00003 1.00002 1.00002
 * mean = 1.00002 V, s = 7.071067812e-06 V (n = 5)
 * E = mean - nominal = 2e-05 V (reference: the calibrator's nominal output)
 * budget rows (u in V, c, contribution = c u):
 *   V_ind    u = s/sqrt(n) = 7.071067812e-06/sqrt(5) = 3.16227766e-06, c = +1, dof 4
 *   dV_res   u = (d/2)/sqrt(3) = 0.000005/sqrt(3) = 2.886751346e-06, c = +1
 *   dV_emf   u = 0, c = +1
 *   V_cal    u = (4e-6 x 1 + 2.5e-6)/sqrt(3) = 6.5e-06/sqrt(3) = 3.75277675e-06, c = -1
 *   dV_drift u = 2e-6 x 1 x 1/sqrt(3) = 1.154700538e-06, c = -1
 * u^2 = 3.375000000e-11 V^2, u = 5.809475019311e-06 V
 * nu_eff = u^4 / (3.16227766e-06^4/4) = 4.55625e+01
 * k = t_{0.9545}(floor(nu_eff) = 45) = 2.0571023624430
 * U = k u = 1.195068478678e-05 V
 * MPE: 0.0035 % x 1 + 0.0005 % x 10 (range) = 8.5e-05 V
 * verdict: guard band r = 1: acceptance |E| <= MPE - U = 7.304931521e-05; |E| = 2e-05 -> pass */
static const struct exp_row c4_p1_rows[] = {
    {"V_ind", 3.1622776601683793e-06, 1, 3.1622776601683793e-06},
    {"dV_res", 2.8867513459481288e-06, 1, 2.8867513459481288e-06},
    {"dV_emf", 0, 1, 0},
    {"V_cal", 3.7527767497325675e-06, -1, -3.7527767497325675e-06},
    {"dV_drift", 1.1547005383792515e-06, -1, -1.1547005383792515e-06},
};
static const struct exp_point c4_p1 = {
    .nominal = 1, .mean = 1.0000199999999999e+00, .ref = 1.0000000000000000e+00,
    .error = 2.0000000000000002e-05, .u = 5.8094750193111253e-06,
    .nu_eff = 4.5562500000000000e+01, .k = 2.0571023624429892e+00,
    .U = 1.1950684786778446e-05, .mpe = 8.5000000000000006e-05, .verdict = UNC_PASS,
    .n_rows = sizeof c4_p1_rows / sizeof c4_p1_rows[0], .rows = c4_p1_rows,
};

/* 5 V: readings 5.00020 5.00022 5.00019 5.00021 5.00023
 * mean = 5.00021 V, s = 1.58113883e-05 V (n = 5)
 * E = mean - nominal = 0.00021 V (reference: the calibrator's nominal output)
 * budget rows (u in V, c, contribution = c u):
 *   V_ind    u = s/sqrt(n) = 1.58113883e-05/sqrt(5) = 7.071067812e-06, c = +1, dof 4
 *   dV_res   u = (d/2)/sqrt(3) = 0.000005/sqrt(3) = 2.886751346e-06, c = +1
 *   dV_emf   u = 0, c = +1
 *   V_cal    u = (4e-6 x 5 + 2.5e-6)/sqrt(3) = 2.25e-05/sqrt(3) = 1.299038106e-05, c = -1
 *   dV_drift u = 2e-6 x 1 x 5/sqrt(3) = 5.773502692e-06, c = -1
 * u^2 = 2.604166667e-10 V^2, u = 1.613743060920e-05 V
 * nu_eff = u^4 / (7.071067812e-06^4/4) = 1.085069444444e+02
 * k = t_{0.9545}(floor(nu_eff) = 108) = 2.0234155103972
 * U = k u = 3.265272739261e-05 V
 * MPE: 0.0035 % x 5 + 0.0005 % x 10 (range) = 0.000225 V
 * verdict: guard band r = 1: acceptance |E| <= MPE - U = 0.0001923472726;
 *       |E| = 0.00021 -> fail (although |E| < MPE) */
static const struct exp_row c4_p5_rows[] = {
    {"V_ind", 7.0710678118654752e-06, 1, 7.0710678118654752e-06},
    {"dV_res", 2.8867513459481288e-06, 1, 2.8867513459481288e-06},
    {"dV_emf", 0, 1, 0},
    {"V_cal", 1.2990381056766580e-05, -1, -1.2990381056766580e-05},
    {"dV_drift", 5.7735026918962576e-06, -1, -5.7735026918962576e-06},
};
static const struct exp_point c4_p5 = {
    .nominal = 5, .mean = 5.0002100000000000e+00, .ref = 5.0000000000000000e+00,
    .error = 2.1000000000000001e-04, .u = 1.6137430609197570e-05,
    .nu_eff = 1.0850694444444444e+02, .k = 2.0234155103972189e+00,
    .U = 3.2652727392609205e-05, .mpe = 2.2499999999999999e-04, .verdict = UNC_FAIL,
    .n_rows = sizeof c4_p5_rows / sizeof c4_p5_rows[0], .rows = c4_p5_rows,
};

/* 10 V: readings 10.00012 10.00014 10.00011 10.00013 10.00012
 * mean = 10.000124 V, s = 1.140175425e-05 V (n = 5)
 * E = mean - nominal = 0.000124 V (reference: the calibrator's nominal output)
 * budget rows: as at -10 V (every half-width takes |nominal|)
 * u = 2.774436879801e-05 V, nu_eff = 3506.006287, k = 2.0007157586977,
 * U = 5.550859586930e-05 V
 * MPE: 0.0035 % x 10 + 0.0005 % x 10 (range) = 0.0004 V
 * verdict: guard band r = 1: acceptance |E| <= 0.0003444914041; |E| = 0.000124 -> pass */
static const struct exp_row c4_p10_rows[] = {
    {"V_ind", 5.0990195135927848e-06, 1, 5.0990195135927848e-06},
    {"dV_res", 2.8867513459481288e-06, 1, 2.8867513459481288e-06},
    {"dV_emf", 0, 1, 0},
    {"V_cal", 2.4537386440559095e-05, -1, -2.4537386440559095e-05},
    {"dV_drift", 1.1547005383792515e-05, -1, -1.1547005383792515e-05},
};
static const struct exp_point c4_p10 = {
    .nominal = 10, .mean = 1.0000124000000000e+01, .ref = 1.0000000000000000e+01,
    .error = 1.2400000000000001e-04, .u = 2.7744368798010165e-05,
    .nu_eff = 3.5060062869822485e+03, .k = 2.0007157586977313e+00,
    .U = 5.5508595869300569e-05, .mpe = 4.0000000000000002e-04, .verdict = UNC_PASS,
    .n_rows = sizeof c4_p10_rows / sizeof c4_p10_rows[0], .rows = c4_p10_rows,
};

/* The ranges without readings: not measured, but their MPE is known.
 * 34401A 1 year: 100 mV range 0.0050 % + 0.0035 %, 1 V 0.0040 % + 0.0007 %,
 * 100 V 0.0045 % + 0.0006 % (of reading + of range). */
static const struct {
    size_t group;
    double nominal, mpe;
} c4_missing[] = {
    {0, 0, 3.5e-6},      /* 0 + 0.000035 x 0.1 */
    {0, 0.05, 6.0e-6},   /* 0.00005 x 0.05 + 0.000035 x 0.1 = 2.5e-6 + 3.5e-6 */
    {0, 0.1, 8.5e-6},    /* 5.0e-6 + 3.5e-6 */
    {1, -1, 4.7e-5},     /* 0.00004 x 1 + 0.000007 x 1 */
    {1, 0.5, 2.7e-5},    /* 2.0e-5 + 7e-6 */
    {1, 1, 4.7e-5},
    {3, 10, 1.05e-3},    /* 0.000045 x 10 + 0.000006 x 100 = 4.5e-4 + 6e-4 */
    {3, 50, 2.85e-3},    /* 2.25e-3 + 6e-4 */
    {3, 100, 5.1e-3},    /* 4.5e-3 + 6e-4 */
};

static void test_dmm(void **state)
{
    (void)state;
    struct fixture f;
    load(&f, "profiles/dmm-dcv-6half.yaml", "DPC-01");
    static struct readings b;
    b.n = 0;
    assert_int_equal(f.p->n_points, 13);
    feed(&b, f.p, 6, c4_readings, sizeof c4_readings / sizeof c4_readings[0]);
    struct ana_result *r = run(&f, &b);
    assert_int_equal(r->n_ignored, 0);
    assert_int_equal(r->n_points, 13);
    check_point(r, 2, &c4_m10, 0.9545);
    check_point(r, 2, &c4_p1, 0.9545);
    check_point(r, 2, &c4_p5, 0.9545);
    check_point(r, 2, &c4_p10, 0.9545);
    /* the guard band at 5 V: acceptance limit MPE - U = 0.000225 - 3.2653e-05 */
    const struct ana_point *p5 = point_at(r, 2, 5);
    check_rel("accept_high", 5, p5->decision.accept_high, 1.9234727260739080e-04, REL_K);
    assert_true(fabs(p5->error) < p5->high); /* inside the MPE, failed by the guard band */
    assert_int_equal(p5->decision.verdict, UNC_FAIL);
    for (size_t i = 0; i < sizeof c4_missing / sizeof c4_missing[0]; i++) {
        const struct ana_point *pt = point_at(r, c4_missing[i].group, c4_missing[i].nominal);
        assert_false(pt->measured);
        assert_int_equal(pt->n, 0);
        check_rel("MPE (not measured)", pt->nominal, pt->high, c4_missing[i].mpe, REL);
    }
    assert_false(r->complete);
    assert_int_equal(r->verdict, UNC_FAIL); /* worst of the measured: 5 V */
    assert_string_equal(ana_overall_name(r), "incomplete");
    ana_result_free(r);
    unload(&f);
}

/* DMM, the 100 mV range only (plan entry 1, points 1-3: 0, 0.05, 0.1 V),
 * where the profile sets the thermal EMF of the connections (emf = 0.3 uV,
 * new with issue 15) and the calibrator's specification is 8 ppm + 0.5 uV;
 * d = 0.1 uV. At 0.05 V, readings 0.0500012 0.0500010 0.0500013 0.0500011
 * 0.0500012 V (hand calculation, python3 + mpmath as a calculator):
 *   mean = 0.05000116 V, s = 1.140175425e-07 V, E = 1.16e-06 V
 *   V_ind    u = s/sqrt(5) = 5.0990195135927848e-08, c = +1, dof 4
 *   dV_res   u = 5e-8/sqrt(3) = 2.8867513459481288e-08, c = +1
 *   dV_emf   u = 3e-7/sqrt(3) = 1.7320508075688773e-07, c = +1
 *   V_cal    u = (8e-6 x 0.05 + 5e-7)/sqrt(3) = 5.1961524227066319e-07, c = -1
 *   dV_drift u = 2e-6 x 1 x 0.05/sqrt(3) = 5.7735026918962576e-08, c = -1
 *   u = 5.5386520622500441e-07 V, nu_eff = 55683.898093359632,
 *   k = t(55683) = 2.0000473420362472, U = 1.107756633556678e-06 V
 * MPE: 34401A 100 mV range: 0.0050 % x 0.05 + 0.0035 % x 0.1 = 6e-06 V;
 * guard band: |E| <= 6e-6 - U = 4.892e-06 -> pass. The result carries its
 * range, 0.1 V. */
static const struct exp_row c5_rows[] = {
    {"V_ind", 5.0990195135927848e-08, 1, 5.0990195135927848e-08},
    {"dV_res", 2.8867513459481288e-08, 1, 2.8867513459481288e-08},
    {"dV_emf", 1.7320508075688773e-07, 1, 1.7320508075688773e-07},
    {"V_cal", 5.1961524227066319e-07, -1, -5.1961524227066319e-07},
    {"dV_drift", 5.7735026918962576e-08, -1, -5.7735026918962576e-08},
};
static const struct exp_point c5_005 = {
    .nominal = 0.05, .mean = 0.05000116, .ref = 0.05, .error = 1.16e-06,
    .u = 5.5386520622500441e-07, .nu_eff = 5.5683898093359632e+04,
    .k = 2.0000473420362472, .U = 1.107756633556678e-06, .mpe = 6e-06,
    .verdict = UNC_PASS, .n_rows = sizeof c5_rows / sizeof c5_rows[0], .rows = c5_rows,
};

static void test_dmm_mv_range(void **state)
{
    (void)state;
    struct fixture f;
    load(&f, "profiles/dmm-dcv-6half.yaml", "DPC-01");
    static struct readings b;
    b.n = 0;
    static const struct rd_spec rd[] = {
        {"error-up", 0, 0.0000001},         {"error-up", 0, 0.0000000},
        {"error-up", 0, -0.0000001},        {"error-up", 0, 0.0000000},
        {"error-up", 0, 0.0000001},         {"error-up", 0.05, 0.0500012},
        {"error-up", 0.05, 0.0500010},      {"error-up", 0.05, 0.0500013},
        {"error-up", 0.05, 0.0500011},      {"error-up", 0.05, 0.0500012},
        {"error-up", 0.1, 0.1000021},       {"error-up", 0.1, 0.1000020},
        {"error-up", 0.1, 0.1000022},       {"error-up", 0.1, 0.1000021},
        {"error-up", 0.1, 0.1000021},
    };
    feed(&b, f.p, 0, rd, sizeof rd / sizeof rd[0]);
    struct ana_result *r = run(&f, &b);
    check_point(r, 0, &c5_005, 0.9545);
    assert_true(point_at(r, 0, 0.05)->range == 0.1);
    json_t *j = ana_result_json(r, f.p);
    json_t *o = json_array_get(json_object_get(j, "points"), 1);
    check_rel("JSON range", 0.05, json_number_value(json_object_get(o, "range")), 0.1, REL);
    json_decref(j);
    ana_result_free(r);
    unload(&f);
}

/* ================================================================ refusals */

static void expect_refused(const struct fixture *f, const struct readings *b, const char *a,
                           const char *c)
{
    struct ana_input in = {.profile = f->p, .readings = b->v, .n_readings = b->n,
                           .reference = f->ref};
    static struct ana_result sentinel;
    struct ana_result *r = &sentinel; /* ana_run must reset it to NULL */
    struct cd_err err = {0};
    int rc = ana_run(&in, &r, &err);
    assert_int_not_equal(rc, 0);
    assert_null(r);
    if (strstr(err.msg, a) == NULL || (c != NULL && strstr(err.msg, c) == NULL))
        fail_msg("message \"%s\" should contain \"%s\"%s%s", err.msg, a, c ? " and " : "",
                 c ? c : "");
}

/* Readings recorded with another plan. */
static void test_other_plan(void **state)
{
    (void)state;
    struct fixture f2, f3;
    load(&f2, "profiles/balance-cg18-class-ii.yaml", "W-E2-01");
    load(&f3, "profiles/balance-cg18-class-iii.yaml", "W-M1-01");
    static struct readings b;

    /* the class II run analysed with the class III profile: its first
     * reading is repeatability at 100 g, the class III plan's point 1 is
     * repeatability at 3000 g */
    b.n = 0;
    feed_case1(&b, f2.p);
    expect_refused(&f3, &b, "not recorded with this profile", "3000");

    /* a point index beyond the plan */
    b.n = 0;
    feed_case1(&b, f2.p);
    b.v[3].point = 40;
    expect_refused(&f2, &b, "not recorded with this profile", "13 test points");

    /* the right index and nominal but another role */
    b.n = 0;
    feed_case1(&b, f2.p);
    snprintf(b.v[12].role, sizeof b.v[12].role, "error-down"); /* point 7: error-up at 20 g */
    expect_refused(&f2, &b, "not recorded with this profile", "error-down");

    /* the right index and role but another nominal */
    b.n = 0;
    feed_case1(&b, f2.p);
    b.v[13].nominal = 60; /* point 8: error-up at 50 g */
    expect_refused(&f2, &b, "not recorded with this profile", "60");

    unload(&f3);
    unload(&f2);
}

/* Unstable, overloaded and error readings are ignored and counted: the
 * result is case 1's. */
static void test_unstable_ignored(void **state)
{
    (void)state;
    struct fixture f;
    load(&f, "profiles/balance-cg18-class-ii.yaml", "W-E2-01");
    static struct readings b;
    b.n = 0;
    add_reading(&b, f.p, 0, 100.250, "g", DRV_STATUS_UNSTABLE); /* would change s_rep */
    feed_case1(&b, f.p);
    add_reading(&b, f.p, 8, 50.000, "g", DRV_STATUS_UNSTABLE);  /* would change E at 50 g */
    add_reading(&b, f.p, 12, NAN, "g", DRV_STATUS_OVERLOAD);
    struct daq_reading *e = add_reading(&b, f.p, 9, NAN, "g", DRV_STATUS_ERROR);
    snprintf(e->r.error, sizeof e->r.error, "ES");
    add_reading(&b, f.p, 2, 100.500, "kg", DRV_STATUS_UNSTABLE); /* unit irrelevant: ignored */
    struct ana_result *r = run(&f, &b);
    assert_int_equal(r->n_ignored, 5);
    check_case1(r);
    assert_int_equal(r->rep_n, 6);
    assert_int_equal(point_at(r, 2, 50)->n, 1);
    ana_result_free(r);
    unload(&f);
}

/* A stable reading in kg when the profile works in g. */
static void test_wrong_unit(void **state)
{
    (void)state;
    struct fixture f;
    load(&f, "profiles/balance-cg18-class-ii.yaml", "W-E2-01");
    static struct readings b;
    b.n = 0;
    feed_case1(&b, f.p);
    /* reading 15: error-up at 100 g, shown as 0.100001 kg */
    b.v[14].r.value = 0.100001;
    snprintf(b.v[14].r.unit, sizeof b.v[14].r.unit, "kg");
    snprintf(b.v[14].r.display, sizeof b.v[14].r.display, "0.100001");
    expect_refused(&f, &b, "0.100001 kg", "works in g");
    unload(&f);
}

/* ================================================================ PFA by t */
/* A result whose k comes from t carries the PFA of the same t (JCGM 101
 * 6.4.9.7, JCGM 106 7.4), not the normal's. A pressure point at 5 bar read
 * three times, 5.006 5.008 5.010 bar, against the nominal (u = 0):
 *   mean 5.008, s = 0.002, u = s/sqrt(3) = 1.1547005383792515e-03 bar,
 *   nu_eff = 2 (the only input with dof), E = 0.008 bar;
 *   MPE: EN 837-1 class 0.1 of a 10 bar span = 0.01 bar.
 * PFA = P(E_true < -0.01) + P(E_true > 0.01) with E_true ~ E + u t_2:
 *   t_2 has the closed form F(t) = 1/2 + t / (2 sqrt(2 + t^2));
 *   upper: t = (0.01 - 0.008)/u = 1.7320508, 1 - F = 0.11270166537925831
 *   lower: t = (-0.01 - 0.008)/u = -15.588457, F = 0.0020449983447606
 *   PFA_t2 = 0.11474666372401900 (mpmath betainc at 40 digits agrees);
 *   the normal would give 0.041632258331775 (erfc), the figure this fixes. */
static const char pfa_profile[] =
    "caldaq_profile: 1\n"
    "name: pfa-t\n"
    "title: {en: \"PFA by t\", vi: \"PFA theo t\"}\n"
    "method: \"test\"\n"
    "family: pressure\n"
    "instrument:\n"
    "  unit: bar\n"
    "  resolution: 0.001\n"
    "  tolerance: {form: en-837-1, class: 0.1, scale: [0, 10]}\n"
    "standards:\n"
    "  - {role: reference, kind: pressure-reference, id: \"\", reference_value: nominal}\n"
    "plan:\n"
    "  - test: error\n"
    "    points: [5]\n"
    "    repeat: 3\n"
    "budget:\n"
    "  output: E\n"
    "  expression: \"p_ind - p_ref\"\n"
    "  coverage: 0.9545\n"
    "  inputs:\n"
    "    - {name: p_ind, value: mean, u: \"s / sqrt(n)\", dof: \"n - 1\"}\n"
    "    - {name: p_ref, value: nominal, u: 0}\n"
    "decision_rule: simple\n";

static void test_pfa_by_t(void **state)
{
    (void)state;
    struct cd_err err = {0};
    struct prof_profile *p = prof_profile_load_string(pfa_profile, "pfa-t", &err);
    if (p == NULL)
        fail_msg("%s", cd_err_text(&err));
    static struct readings b;
    b.n = 0;
    static const struct rd_spec rd[] = {
        {"error-up", 5, 5.006}, {"error-up", 5, 5.008}, {"error-up", 5, 5.010}};
    feed(&b, p, 0, rd, 3);
    struct ana_input in = {.profile = p, .readings = b.v, .n_readings = b.n};
    struct ana_result *r = NULL;
    if (ana_run(&in, &r, &err) != 0)
        fail_msg("ana_run: %s", cd_err_text(&err));
    const struct ana_point *pt = point_at(r, 0, 5);
    check_rel("u", 5, pt->u, 1.1547005383792515e-03, REL);
    check_rel("nu_eff", 5, pt->nu_eff, 2, REL);
    assert_int_equal(pt->decision.pfa_pdf, UNC_PDF_STUDENT_T);
    check_rel("pfa_dof", 5, pt->decision.pfa_dof, 2, REL);
    check_rel("pfa (t_2)", 5, pt->decision.pfa, 0.11474666372401900, 1e-9);
    json_t *j = ana_result_json(r, p);
    json_t *o = json_array_get(json_object_get(j, "points"), 0);
    assert_string_equal(json_string_value(json_object_get(o, "pfa_distribution")), "t");
    check_rel("JSON pfa_dof", 5, json_number_value(json_object_get(o, "pfa_dof")), 2, REL);
    json_decref(j);
    ana_result_free(r);
    prof_profile_free(p);
}

/* ================================================================ curve */
/* A Pt100 calibrated as a CVD curve (profiles/temperature-prt-curve-cvd.yaml):
 * the reference reads each nominal exactly, so x is T-REF-02's certified
 * value there (0.002, 20.004, 40.006, 60.007, 80.009, 100.011 degC), and
 * the PRT reads R(x) = 100 (1 + A x + B x^2) with the IEC 60751 A, B,
 * five times. By hand: s = 0, so every point's
 *   u^2 = (d/2)^2/3 + 0.002^2/3 + S^2 ((U_ref/2)^2 + (0.006^2 + 0.004^2 +
 *         0.005^2 + 0.008^2 + 0.004^2)/3),  d = 0.0001 ohm, S = 0.3908 ohm/degC;
 * the curve passes through every point: R0 = 100, A, B exact, residuals
 * and chi^2 zero. Three points only: refused (a quadratic needs four). */
static void test_prt_curve(void **state)
{
    (void)state;
    struct fixture f;
    load(&f, "profiles/temperature-prt-curve-cvd.yaml", "T-REF-02");
    assert_int_equal(f.p->curve.form, PROF_CURVE_CVD);
    static struct readings b;
    memset(&b, 0, sizeof b);
    const double A = 3.9083e-3, B = -5.775e-7, S = 0.3908, d = 0.0001;
    double u_want[6], x_want[6];
    size_t k = 0;
    for (size_t i = 0; i < f.p->n_points; i++) {
        const struct prof_plan_point *pt = &f.p->points[i];
        const struct prof_std_item *it = NULL;
        for (size_t j = 0; j < f.ref->n_items; j++)
            if (f.ref->items[j].nominal == pt->nominal)
                it = &f.ref->items[j];
        assert_non_null(it);
        double x = it->value;
        double R = 100 * (1 + A * x + B * x * x);
        for (unsigned n = 0; n < pt->repeat; n++) {
            struct daq_reading *r = add_reading(&b, f.p, i, pt->nominal, "\xC2\xB0" "C",
                                                DRV_STATUS_STABLE);
            snprintf(r->side, sizeof r->side, "%s", DAQ_SIDE_REFERENCE);
            add_reading(&b, f.p, i, R, "\xCE\xA9", DRV_STATUS_STABLE);
        }
        double ut = it->U / 2;
        double sum_t = (0.006 * 0.006 + 0.004 * 0.004 + 0.005 * 0.005 + 0.008 * 0.008 +
                        0.004 * 0.004) / 3;
        u_want[k] = sqrt(d * d / 12 + 0.002 * 0.002 / 3 + S * S * (ut * ut + sum_t));
        x_want[k++] = x;
    }
    assert_int_equal(k, 6);
    struct ana_result *r = run(&f, &b);
    assert_true(r->has_curve);
    check_rel("R0", 0, r->cvd.r0, 100, 1e-12);
    check_rel("A", 0, r->cvd.a, A, 1e-9);
    check_rel("B", 0, r->cvd.b, B, 1e-7);
    assert_true(r->fit.chisq < 1e-12);
    check_rel("dof", 0, r->fit.dof, 3, 0);
    for (size_t i = 0; i < r->n_points; i++) {
        const struct ana_point *pt = &r->points[i];
        check_rel("x", pt->nominal, pt->x, x_want[i], 1e-12);
        check_rel("u", pt->nominal, pt->u, u_want[i], 1e-9);
        check_rel("U", pt->nominal, pt->U, 2 * u_want[i], 1e-9);
        assert_true(fabs(pt->error) < 1e-9);
        assert_int_equal(pt->decision.verdict, UNC_PASS);
    }
    /* the results JSON carries the curve */
    json_t *j = ana_result_json(r, f.p);
    json_t *c = json_object_get(j, "curve");
    assert_non_null(c);
    check_rel("JSON A", 0, json_number_value(json_object_get(c, "A")), A, 1e-9);
    assert_int_equal(json_array_size(json_object_get(c, "points")), 6);
    json_decref(j);
    ana_result_free(r);

    /* only the first three points measured: no curve can be fitted */
    size_t three = 0;
    while (three < b.n && b.v[three].point < 3)
        three++;
    b.n = three;
    struct ana_input in = {.profile = f.p, .readings = b.v, .n_readings = b.n,
                           .reference = f.ref};
    struct cd_err err = {0};
    r = NULL;
    assert_int_equal(ana_run(&in, &r, &err), CD_ERR_INVALID);
    assert_null(r);
    assert_non_null(strstr(err.msg, "at least 4 measured points"));
    unload(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_balance_class_ii), cmocka_unit_test(test_balance_class_iii),
        cmocka_unit_test(test_pressure),         cmocka_unit_test(test_dmm),
        cmocka_unit_test(test_other_plan),       cmocka_unit_test(test_unstable_ignored),
        cmocka_unit_test(test_wrong_unit),       cmocka_unit_test(test_pfa_by_t),
        cmocka_unit_test(test_balance_measured_air), cmocka_unit_test(test_dmm_mv_range),
        cmocka_unit_test(test_prt_curve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
