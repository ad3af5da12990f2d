/* Expressions that input can make huge or deep: each is refused quickly with
 * an error that names the file, the line and the limit hit, or (a tower of
 * powers) evaluated quickly in little memory; nothing recurses as deep as
 * the input is long. Reproducers from issue 14, section 3. */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "expr.h"
#include "unc.h"

/* Every case has to answer well within this; the slowest (a 400,000-term
 * sum under ASan) takes a fraction of a second. */
#define QUICK_S 5.0

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A model file whose model is `expr`, on line 2, over one input `a`. */
static char *model_text(const char *expr)
{
    size_t len = strlen(expr) + 200;
    char *text = malloc(len);
    assert_non_null(text);
    snprintf(text, len,
             "measurand: {name: y}\n"
             "model: \"%s\"\n"
             "inputs:\n"
             "  - {name: a, value: 1.01, u: 0.01}\n",
             expr);
    return text;
}

/* `n` copies of `item` joined by `sep`. */
static char *repeat(const char *item, const char *sep, size_t n)
{
    size_t len = n * (strlen(item) + strlen(sep)) + 1;
    char *s = malloc(len);
    assert_non_null(s);
    char *p = s;
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s%s", i > 0 ? sep : "", item);
    return s;
}

/* `inner` inside `n` levels of `open` ... `close`. */
static char *nest(const char *open, const char *inner, const char *close, size_t n)
{
    size_t len = n * (strlen(open) + strlen(close)) + strlen(inner) + 1;
    char *s = malloc(len);
    assert_non_null(s);
    char *p = s;
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s", open);
    p += sprintf(p, "%s", inner);
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s", close);
    return s;
}

/* Load the model `expr`; expect failure with `code` within QUICK_S and a
 * message that is whole (not cut at CD_ERR_MSG_MAX) and contains each of
 * the NULL-terminated fragments. */
static void expect_refused(const char *expr, int code, ...)
{
    char *text = model_text(expr);
    struct cd_err err = {0};
    double t0 = now_s();
    unc_model *m = unc_model_load_string(text, "big.yaml", NULL, &err);
    double took = now_s() - t0;
    free(text);
    if (m != NULL) {
        unc_model_free(m);
        fail_msg("a %zu-character model loaded although it should not", strlen(expr));
    }
    if (took > QUICK_S)
        fail_msg("refusing took %.1f s: %s", took, err.msg);
    if (err.code != code)
        fail_msg("code %d, expected %d: %s", err.code, code, err.msg);
    if (strlen(err.msg) >= CD_ERR_MSG_MAX - 1)
        fail_msg("message cut at %d characters: %s", CD_ERR_MSG_MAX, err.msg);
    va_list ap;
    va_start(ap, code);
    for (const char *frag = va_arg(ap, const char *); frag != NULL;
         frag = va_arg(ap, const char *))
        if (strstr(err.msg, frag) == NULL)
            fail_msg("message \"%s\" lacks \"%s\"", err.msg, frag);
    va_end(ap);
}

/* 50,000 nested powers overflowed the stack in the parser (each '^' one
 * more level of recursion, with no count kept). */
static void test_deep_powers_refused(void **state)
{
    (void)state;
    char *expr = repeat("a", "^", 50000);
    expect_refused(expr, CD_ERR_PARSE, "big.yaml:2:", "nested more than 200 levels",
                   "column 402", NULL);
    free(expr);
}

/* 50,000 parentheses were refused, but the message quoted the whole
 * expression first and was cut before it said why. */
static void test_deep_parentheses_refused_with_reason(void **state)
{
    (void)state;
    char *expr = nest("(", "a", ")", 50000);
    expect_refused(expr, CD_ERR_PARSE, "big.yaml:2:", "nested more than 200 levels",
                   "column 201", "of 100001", NULL);
    free(expr);
    expr = nest("-(", "a", ")", 50000);
    expect_refused(expr, CD_ERR_PARSE, "big.yaml:2:", "nested more than 200 levels", NULL);
    free(expr);
    expr = nest("sqrt(", "a", ")", 50000);
    expect_refused(expr, CD_ERR_PARSE, "big.yaml:2:", "nested more than 200 levels", NULL);
    free(expr);
}

/* A 400,000-term sum parsed (a loop) into a tree 400,000 deep that every
 * recursive walk (derivatives, freeing) overflowed the stack on. */
static void test_huge_sum_refused(void **state)
{
    (void)state;
    char *expr = repeat("a", "+", 400000);
    expect_refused(expr, CD_ERR_PARSE, "big.yaml:2:", "more than 10000 numbers, names and "
                   "operations", NULL);
    free(expr);
}

static long max_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* A 174-byte model, a^a^...^a with 60 levels, took gigabytes and 20 s:
 * every derivative copied its operands, so derivatives of derivatives
 * (the second-order terms) grew without bound. It is a fine model. */
static void test_power_tower_is_quick_and_small(void **state)
{
    (void)state;
    char *expr = repeat("a", "^", 60);
    char *text = model_text(expr);
    free(expr);
    long rss0 = max_rss_kb();
    double t0 = now_s();
    struct cd_err err = {0};
    unc_model *m = unc_model_load_string(text, "tower.yaml", NULL, &err);
    free(text);
    if (m == NULL)
        fail_msg("%s", err.msg);
    struct unc_lpu_result *r = NULL;
    struct unc_coverage cov = {.p = 0.95};
    if (unc_lpu(m, cov, &r, &err) != 0)
        fail_msg("%s", err.msg);
    double took = now_s() - t0;
    long grew_kb = max_rss_kb() - rss0;
    if (took > QUICK_S)
        fail_msg("a 60-level power tower took %.1f s", took);
    if (grew_kb > 100 * 1024)
        fail_msg("a 60-level power tower took %ld MB", grew_kb / 1024);
    /* y = a^a^...^a at a = 1.01, and its sensitivity, by finite difference. */
    double y = 1.01;
    for (int i = 1; i < 60; i++)
        y = pow(1.01, y);
    assert_true(fabs(r->outputs[0].y - y) < 1e-12 * y);
    double h = 1e-7, yp = 1.01 + h, ym = 1.01 - h;
    for (int i = 1; i < 60; i++) {
        yp = pow(1.01 + h, yp);
        ym = pow(1.01 - h, ym);
    }
    double c = (yp - ym) / (2 * h);
    assert_true(fabs(r->outputs[0].rows[0].c - c) < 1e-5 * fabs(c));
    assert_true(isfinite(r->outputs[0].u_second_order));
    unc_lpu_result_free(r);
    unc_model_free(m);
}

/* ------------------------------------------------------------------ */
/* No walk recurses as deep as the expression is long: a sum within the
 * limits, parsed, differentiated, compiled and evaluated on a thread with
 * a 64 KiB stack (the tree version needed about 50 bytes of stack per
 * term for each walk). */

static int lookup_x(void *ctx, const char *name, int *var, double *value)
{
    (void)ctx;
    (void)value;
    if (strcmp(name, "x") != 0)
        return 0;
    *var = 0;
    return 1;
}

struct small_stack_job {
    const char *text;
    double value, slope, block0;
    char msg[CD_ERR_MSG_MAX];
};

static void *small_stack_work(void *arg)
{
    struct small_stack_job *job = arg;
    struct cd_err err = {0};
    struct expr *e = expr_parse(job->text, lookup_x, NULL, "sum", &err);
    struct expr *d = e != NULL ? expr_diff(e, 0, &err) : NULL;
    struct expr_prog *p = d != NULL ? expr_compile(e) : NULL;
    if (p == NULL) {
        snprintf(job->msg, sizeof job->msg, "%s", err.code != 0 ? err.msg : "out of memory");
    } else {
        double x = 0.5;
        job->value = expr_eval(e, &x);
        job->slope = expr_eval(d, &x);
        double *scratch = calloc(expr_prog_registers(p) * EXPR_BLOCK + 1, sizeof *scratch);
        double col[EXPR_BLOCK], out[EXPR_BLOCK];
        for (int t = 0; t < EXPR_BLOCK; t++)
            col[t] = 0.5;
        const double *cols[1] = {col};
        if (scratch != NULL) {
            expr_prog_eval_block(p, cols, EXPR_BLOCK, scratch, out);
            job->block0 = out[EXPR_BLOCK - 1];
        }
        free(scratch);
    }
    expr_prog_free(p);
    expr_free(d);
    expr_free(e);
    return NULL;
}

static void test_long_sum_needs_little_stack(void **state)
{
    (void)state;
    /* 2000 terms x*x: 7999 nodes, within the limit of 10000. */
    char *text = repeat("x*x", "+", 2000);
    struct small_stack_job job = {.text = text, .value = NAN, .slope = NAN, .block0 = NAN};
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    /* Under ASan frames are larger and the runtime needs room of its own. */
    size_t stack = 64 * 1024;
#if defined(__SANITIZE_ADDRESS__)
    stack = 256 * 1024;
#endif
    assert_int_equal(pthread_attr_setstacksize(&attr, stack), 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, &attr, small_stack_work, &job), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    pthread_attr_destroy(&attr);
    free(text);
    if (job.msg[0] != '\0')
        fail_msg("%s", job.msg);
    assert_true(fabs(job.value - 2000 * 0.25) < 1e-9);
    assert_true(fabs(job.slope - 2000 * 1.0) < 1e-9);
    assert_true(job.block0 == job.value);
}

/* Derivatives of derivatives grow; past the limit expr_diff says so
 * instead of filling memory. */
static void test_derivative_size_limit(void **state)
{
    (void)state;
    struct cd_err err = {0};
    struct expr *e = expr_parse("x^x^x^x^x^x^x^x", lookup_x, NULL, "tower", &err);
    assert_non_null(e);
    double t0 = now_s();
    int order = 0;
    while (e != NULL && order < 100) {
        struct expr *d = expr_diff(e, 0, &err);
        expr_free(e);
        e = d;
        order++;
    }
    if (e != NULL)
        fail_msg("100 derivatives of a power tower did not reach the limit");
    if (now_s() - t0 > QUICK_S)
        fail_msg("reaching the limit took %.1f s", now_s() - t0);
    if (strstr(err.msg, "more than 1000000 nodes") == NULL)
        fail_msg("derivative %d: %s", order, err.msg);
}

/* Constants read by + - * / are taken as numbers by the compiled form
 * (issue 21), on either side, once or twice, beside ones that still need a
 * register (an argument of a function or of ^). Every block must match the
 * scalar evaluator bit for bit: the same operations in the same order. */
static void test_compiled_constants_match_scalar(void **state)
{
    (void)state;
    const char *cases[] = {
        "x - 2", "2 - x", "x / 4", "4 / x", "3 * x + 1", "1 + x * 3", "(x + 2) * (2 - x)",
        "2 * 3 * x", "x - 1 - 2", "sqrt(2) * x", "x ^ 3 + 3", "1 / (x * x) - 1 / x",
        "5 - (1 - x) / 7", "2", "x", "-x + 2",
    };
    double col[EXPR_BLOCK], out[EXPR_BLOCK];
    for (int t = 0; t < EXPR_BLOCK; t++)
        col[t] = -3.0 + 0.0371 * t;
    const double *cols[1] = {col};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct cd_err err = {0};
        struct expr *e = expr_parse(cases[c], lookup_x, NULL, "k", &err);
        if (e == NULL)
            fail_msg("%s: %s", cases[c], err.msg);
        struct expr_prog *p = expr_compile(e);
        assert_non_null(p);
        double *scratch = calloc(expr_prog_registers(p) * EXPR_BLOCK + 1, sizeof *scratch);
        assert_non_null(scratch);
        expr_prog_eval_block(p, cols, EXPR_BLOCK, scratch, out);
        for (int t = 0; t < EXPR_BLOCK; t++) {
            double want = expr_eval(e, &col[t]);
            if (!(out[t] == want || (isnan(out[t]) && isnan(want))))
                fail_msg("%s at x = %g: block %.17g, scalar %.17g", cases[c], col[t], out[t],
                         want);
        }
        free(scratch);
        expr_prog_free(p);
        expr_free(e);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deep_powers_refused),
        cmocka_unit_test(test_deep_parentheses_refused_with_reason),
        cmocka_unit_test(test_huge_sum_refused),
        cmocka_unit_test(test_power_tower_is_quick_and_small),
        cmocka_unit_test(test_long_sum_needs_little_stack),
        cmocka_unit_test(test_derivative_size_limit),
        cmocka_unit_test(test_compiled_constants_match_scalar),
    };
    /* A bound on the whole binary: a regression that loops or allocates
     * forever fails here instead of hanging the suite. */
    alarm(120);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
