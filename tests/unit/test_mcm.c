/* The Monte Carlo engine's own machinery (issue 21): the coverage intervals
 * whose tails are radix-sorted, the mean and spread accumulated block by
 * block, and figures that do not depend on the number of threads in the
 * adaptive procedure too. Internal functions are reached through the
 * engine's private headers; the published cases are test_gum's. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model_priv.h"
#include "stats.h"
#include "unc.h"

/* splitmix64 (Steele, Lea & Flood, OOPSLA 2014): test data only. */
static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *s)
{
    return (double)(next(s) >> 11) * 0x1.0p-53;
}

/* A roughly normal value: the sum of 12 uniforms less 6. */
static double normalish(uint64_t *s)
{
    double x = -6;
    for (int k = 0; k < 12; k++)
        x += uniform(s);
    return x;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* JCGM 101 7.7 from a full sort, the way the standard writes it. */
static void by_full_sort(const double *v, size_t n, double p, double out[4])
{
    double *s = malloc(n * sizeof *s);
    assert_non_null(s);
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp);
    size_t q = (size_t)floor(p * (double)n + 0.5);
    size_t tail = n - q;
    size_t r = tail % 2 == 0 ? tail / 2 : (tail + 1) / 2;
    out[0] = s[r - 1];
    out[1] = s[r - 1 + q];
    size_t best = 0;
    for (size_t k = 0; k < tail; k++)
        if (s[k + q] - s[k] < s[best + q] - s[best])
            best = k;
    out[2] = s[best];
    out[3] = s[best + q];
    free(s);
}

/* Values of both signs (the tails cross zero and hold -0.0 and +0.0),
 * values all negative and far from zero, and values with many ties: the
 * engine's path (radix-sorted tails), the public function (comparison
 * sort) and a full sort agree exactly. */
static void test_intervals_radix_tails(void **state)
{
    (void)state;
    const size_t n = 300000;
    double *v = malloc(n * sizeof *v), *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    assert_true(v != NULL && a != NULL && b != NULL);
    uint64_t seed = 21;
    for (int shape = 0; shape < 3; shape++) {
        for (size_t i = 0; i < n; i++) {
            double x = normalish(&seed);
            if (shape == 0)
                v[i] = x + 2.0; /* the low tail crosses zero */
            else if (shape == 1)
                v[i] = -1e6 + 1e-3 * x;
            else
                v[i] = round(x * 20) / 20; /* ties */
        }
        if (shape == 0)
            for (size_t i = 0; i < 40; i++)
                v[i * 7] = i % 2 ? 0.0 : -0.0;
        double want[4], got_pub[4], got_eng[4];
        by_full_sort(v, n, 0.95, want);
        memcpy(a, v, n * sizeof *a);
        memcpy(b, v, n * sizeof *b);
        assert_int_equal(unc_coverage_intervals(a, n, 0.95, &got_pub[0], &got_pub[1],
                                                &got_pub[2], &got_pub[3], NULL),
                         0);
        assert_int_equal(coverage_intervals_finite(b, n, 0.95, &got_eng[0], &got_eng[1],
                                                   &got_eng[2], &got_eng[3], NULL),
                         0);
        for (int k = 0; k < 4; k++) {
            if (got_pub[k] != want[k] || got_eng[k] != want[k])
                fail_msg("shape %d, endpoint %d: full sort %.17g, public %.17g, engine %.17g",
                         shape, k, want[k], got_pub[k], got_eng[k]);
        }
    }
    free(v);
    free(a);
    free(b);
}

/* Blocks of 256 merged one after the other give the two-pass figures of
 * the whole array, with a value 10^7 times its spread (issue 15's 1 kg in
 * mg) keeping the digits of the spread. */
static void test_block_stats_merge(void **state)
{
    (void)state;
    const size_t n = 100003; /* a short last block */
    double *v = malloc(n * sizeof *v);
    assert_non_null(v);
    uint64_t seed = 7;
    for (size_t i = 0; i < n; i++)
        v[i] = 1e6 + 0.1 * normalish(&seed);
    double mean, ss;
    stats_mean_ss(v, n, &mean, &ss);
    struct stats_acc all = {0};
    for (size_t at = 0; at < n; at += 256) {
        struct stats_acc block;
        stats_acc_of(v + at, n - at < 256 ? n - at : 256, &block);
        stats_acc_merge(&all, &block);
    }
    assert_int_equal(all.n, n);
    if (fabs(all.mean - mean) > 1e-9)
        fail_msg("mean %.17g, two-pass %.17g", all.mean, mean);
    if (fabs(all.m2 - ss) > 1e-9 * ss)
        fail_msg("squared deviations %.17g, two-pass %.17g", all.m2, ss);
    free(v);
}

/* A model from its text; fails the test when it does not load. */
static unc_model *load(const char *text, const char *name)
{
    struct cd_err err = {0};
    unc_model *m = unc_model_load_string(text, name, NULL, &err);
    if (m == NULL)
        fail_msg("%s: %s", name, err.msg);
    return m;
}

/* The adaptive procedure sums its batches lane by lane: its figures and its
 * number of trials are the same with 1 and 2 threads. */
static void test_adaptive_same_for_any_thread_count(void **state)
{
    (void)state;
    struct cd_err err = {0};
    unc_model *m = load("model: \"a + b / c\"\n"
                        "inputs:\n"
                        "  - {name: a, value: 1, u: 0.1}\n"
                        "  - {name: b, value: 2, dist: rectangular, half_width: 0.3}\n"
                        "  - {name: c, value: 4, u: 0.2}\n",
                        "adaptive");
    struct unc_mcm_options o;
    unc_mcm_options_default(&o);
    o.seed = 9;
    o.max_trials = 60000; /* a few batches, converged or not */
    struct unc_mcm_result *r[2];
    for (int i = 0; i < 2; i++) {
        o.threads = i + 1;
        assert_int_equal(unc_mcm(m, &o, NULL, &r[i], &err), 0);
    }
    assert_int_equal(r[0]->trials, r[1]->trials);
    const struct unc_mcm_output *x = &r[0]->outputs[0], *y = &r[1]->outputs[0];
    assert_true(x->y == y->y && x->u == y->u);
    assert_true(x->sym_low == y->sym_low && x->sym_high == y->sym_high);
    assert_true(x->short_low == y->short_low && x->short_high == y->short_high);
    unc_mcm_result_free(r[0]);
    unc_mcm_result_free(r[1]);
    unc_model_free(m);
}

/* The benchmark floor draws what unc_mcm draws: the same for a seed, and
 * another seed draws other numbers. */
static void test_draw_only_is_reproducible(void **state)
{
    (void)state;
    struct cd_err err = {0};
    unc_model *m = load("model: \"a * b\"\n"
                        "inputs:\n"
                        "  - {name: a, value: 1, u: 0.1}\n"
                        "  - {name: b, value: 2, dist: triangular, half_width: 0.3}\n",
                        "floor");
    double c1 = 0, c2 = 0, c3 = 0;
    assert_int_equal(unc_mcm_draw_only(m, 5, 50000, &c1, &err), 0);
    assert_int_equal(unc_mcm_draw_only(m, 5, 50000, &c2, &err), 0);
    assert_int_equal(unc_mcm_draw_only(m, 6, 50000, &c3, &err), 0);
    assert_true(c1 == c2);
    assert_true(c1 != c3);
    assert_string_equal(unc_mcm_generator(), "taus2");
    unc_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intervals_radix_tails),
        cmocka_unit_test(test_block_stats_merge),
        cmocka_unit_test(test_adaptive_same_for_any_thread_count),
        cmocka_unit_test(test_draw_only_is_reproducible),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
