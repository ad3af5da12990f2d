/* Limits of the expression parser (uncertainty/expr.c) against input that
 * would otherwise take the stack or the memory: issue 14, section 3 and
 * tests/fuzz/fuzz_expr.c. Each is refused at parse time with a message that
 * says why, without quoting a whole megabyte of expression before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unc.h"

static const char *const names[] = {"a", "b"};

/* `unit` repeated n times between `head` and `tail`. */
static char *repeat(const char *head, const char *unit, size_t n, const char *tail)
{
    size_t len = strlen(head) + n * strlen(unit) + strlen(tail) + 1;
    char *s = malloc(len);
    assert_non_null(s);
    strcpy(s, head);
    char *p = s + strlen(head);
    for (size_t i = 0; i < n; i++, p += strlen(unit))
        memcpy(p, unit, strlen(unit));
    strcpy(p, tail);
    return s;
}

static void expect_refused(const char *text, const char *why)
{
    struct cd_err err = {0};
    unc_formula *f = unc_formula_parse(text, names, 2, "t.yaml:3", &err);
    assert_null(f);
    assert_int_equal(err.code, CD_ERR_PARSE);
    if (strstr(err.msg, why) == NULL)
        fail_msg("\"%s\" not in \"%s\"", why, err.msg);
    assert_non_null(strstr(err.msg, "t.yaml:3"));
}

/* 50,000 nested '^' recursed once per level and overflowed the stack. */
static void test_power_chain_depth(void **state)
{
    (void)state;
    char *text = repeat("a", "^a", 50000, "");
    expect_refused(text, "nested too deeply");
    free(text);
    /* 150 levels are fine. */
    text = repeat("a", "^a", 150, "");
    struct cd_err err = {0};
    unc_formula *f = unc_formula_parse(text, names, 2, "t.yaml:3", &err);
    assert_non_null(f);
    unc_formula_free(f);
    free(text);
}

/* A 400,000-term sum parsed, then every walk of its 400,000-deep tree
 * (free, evaluate, differentiate) overflowed the stack. */
static void test_long_sum(void **state)
{
    (void)state;
    char *text = repeat("a", " + b", 400000, "");
    expect_refused(text, "expression too long");
    free(text);
    text = repeat("a", "*b", 20000, "");
    expect_refused(text, "expression too long");
    free(text);
    text = repeat("a", "+b", 5000, "");
    struct cd_err err = {0};
    unc_formula *f = unc_formula_parse(text, names, 2, "t.yaml:3", &err);
    assert_non_null(f);
    double v[] = {1, 2}, y = 0;
    assert_int_equal(unc_formula_eval(f, v, &y, &err), 0);
    assert_true(y == 10001);
    unc_formula_free(f);
    free(text);
}

/* The reason comes before the message is full: the expression is quoted
 * only in part (it used to fill the 512 bytes first). */
static void test_message_keeps_reason(void **state)
{
    (void)state;
    char *text = repeat("", "(", 300, "a");
    expect_refused(text, "nested too deeply");
    free(text);
    text = repeat("a", " + b", 200, " $");
    expect_refused(text, "unexpected character");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_power_chain_depth),
        cmocka_unit_test(test_long_sum),
        cmocka_unit_test(test_message_keeps_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
