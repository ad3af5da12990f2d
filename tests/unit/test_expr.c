/* Expressions that input can make huge or deep: each is refused quickly with
 * an error that names the file, the line and the limit hit. Reproducers from
 * issue 14, section 3. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deep_parentheses_refused_with_reason),
    };
    /* A bound on the whole binary: a regression that loops or allocates
     * forever fails here instead of hanging the suite. */
    alarm(120);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
