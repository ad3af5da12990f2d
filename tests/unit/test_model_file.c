/* Model files and expressions: every bad input gets an error that names the
 * file and line; derivatives agree with finite differences; every
 * distribution gives the standard uncertainty of JCGM 100 4.3. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "expr.h"
#include "unc.h"

/* Load `text`; expect failure with `code` and a message containing each
 * of the NULL-terminated fragments. */
static void expect_error(const char *text, int code, ...)
{
    struct cd_err err = {0};
    unc_model *m = unc_model_load_string(text, "bad.yaml", NULL, &err);
    if (m != NULL) {
        unc_model_free(m);
        fail_msg("loaded although it should not:\n%s", text);
    }
    if (err.code != code)
        fail_msg("code %d (%s), expected %d, for:\n%s", err.code, err.msg, code, text);
    va_list ap;
    va_start(ap, code);
    for (const char *frag = va_arg(ap, const char *); frag != NULL;
         frag = va_arg(ap, const char *))
        if (strstr(err.msg, frag) == NULL)
            fail_msg("message \"%s\" lacks \"%s\"", err.msg, frag);
    va_end(ap);
}

static const char good_inputs[] = "inputs:\n"
                                  "  - {name: a, value: 1, u: 0.1}\n"
                                  "  - {name: b, value: 2, u: 0.2}\n";

static void test_unknown_name_in_expression(void **state)
{
    (void)state;
    expect_error("model: \"a + c\"\ninputs:\n  - {name: a, value: 1, u: 0.1}\n",
                 CD_ERR_NOT_FOUND, "bad.yaml:1:", "unknown name 'c'", "column 5", NULL);
}

static void test_expression_syntax(void **state)
{
    (void)state;
    char text[256];
    snprintf(text, sizeof text, "model: \"a * (b + \"\n%s", good_inputs);
    expect_error(text, CD_ERR_PARSE, "bad.yaml:1:", "at end of expression", NULL);
    snprintf(text, sizeof text, "model: \"a $ b\"\n%s", good_inputs);
    expect_error(text, CD_ERR_PARSE, "unexpected character", "column 3", NULL);
    snprintf(text, sizeof text, "model: \"foo(a)\"\n%s", good_inputs);
    expect_error(text, CD_ERR_PARSE, "unknown function 'foo'", NULL);
    snprintf(text, sizeof text, "model: \"a + 1e999\"\n%s", good_inputs);
    expect_error(text, CD_ERR_PARSE, "out of range", NULL);
}

static void test_missing_u(void **state)
{
    (void)state;
    expect_error("model: a\ninputs:\n  - {name: a, value: 1}\n", CD_ERR_PARSE, "bad.yaml:3:",
                 "'a': u is missing", NULL);
    expect_error("model: a\ninputs:\n  - {name: a, u: 1}\n", CD_ERR_PARSE, "bad.yaml:3:",
                 "value is missing", NULL);
    expect_error("model: a\ninputs:\n  - {name: a, value: 1, dist: rectangular}\n",
                 CD_ERR_PARSE, "half_width is missing", NULL);
    expect_error("model: a\ninputs:\n  - {name: a, value: 1, dist: rectangular, u: 1}\n",
                 CD_ERR_PARSE, "takes half_width, not u", NULL);
}

static void test_negative_u_and_bad_dof(void **state)
{
    (void)state;
    expect_error("model: a\ninputs:\n  - {name: a, value: 1, u: -0.1}\n", CD_ERR_INVALID,
                 "bad.yaml:3:", "negative", NULL);
    expect_error("model: a\ninputs:\n\n  - {name: a, value: 1, u: 0.1, dof: 0}\n",
                 CD_ERR_INVALID, "bad.yaml:4:", "dof = 0 must be positive", NULL);
    expect_error("model: a\ninputs:\n  - {name: a, value: 1, u: 0.1, dof: -3}\n",
                 CD_ERR_INVALID, "dof = -3", NULL);
    expect_error("model: a\ninputs:\n  - {name: a, value: 1, dist: rectangular, "
                 "half_width: -2}\n",
                 CD_ERR_INVALID, "negative", NULL);
    expect_error("model: a\ninputs:\n  - {name: a, value: 1, dist: student-t, u: 1}\n",
                 CD_ERR_INVALID, "needs finite dof", NULL);
}

/* Issue 15: degrees of freedom below 1 are refused, naming the input and
 * the line, from a file and through the API; 1 itself is accepted (the
 * first row of every t table). */
static void test_dof_below_one(void **state)
{
    (void)state;
    expect_error("model: a + b\ninputs:\n  - {name: a, value: 1, u: 0.1}\n"
                 "  - {name: b, value: 2, u: 0.1, dof: 0.5}\n",
                 CD_ERR_INVALID, "bad.yaml:4:", "input 'b'", "dof = 0.5 is below 1", NULL);
    expect_error("model: a\ninputs:\n  - name: a\n    value: 1\n    dist: student-t\n"
                 "    u: 0.1\n    dof: 0.99\n",
                 CD_ERR_INVALID, "bad.yaml:7:", "input 'a'", "dof = 0.99 is below 1", NULL);

    unc_model *m = unc_model_new("api");
    assert_non_null(m);
    struct unc_input_spec spec = {.name = "x", .dist = UNC_DIST_NORMAL, .value = 1, .u = 0.1,
                                  .dof = 0.25, .line = 12};
    struct cd_err err = {0};
    assert_int_equal(unc_model_add_input(m, &spec, &err), CD_ERR_INVALID);
    if (strstr(err.msg, "api:12:") == NULL || strstr(err.msg, "input 'x'") == NULL ||
        strstr(err.msg, "dof = 0.25 is below 1") == NULL)
        fail_msg("message \"%s\"", err.msg);
    spec.dof = 1;
    cd_err_clear(&err);
    assert_int_equal(unc_model_add_input(m, &spec, &err), 0);
    unc_model_free(m);

    struct unc_model_file_opts fo;
    m = unc_model_load_string("model: a\ninputs:\n  - {name: a, value: 1, u: 0.1, dof: 1}\n",
                              "one.yaml", &fo, &err);
    assert_non_null(m);
    unc_model_free(m);
}

static void test_nan_inf_and_garbage_numbers(void **state)
{
    (void)state;
    expect_error("model: a\ninputs:\n  - {name: a, value: .nan, u: 0.1}\n", CD_ERR_INVALID,
                 "bad.yaml:3:", "must be a finite number", NULL);
    expect_error("model: a\ninputs:\n  - {name: a, value: nan, u: 0.1}\n", CD_ERR_INVALID,
                 "must be a finite number", NULL);
    expect_error("model: a\ninputs:\n  - {name: a, value: 1, u: inf}\n", CD_ERR_INVALID,
                 "must be a finite number", NULL);
    expect_error("model: a\ninputs:\n  - {name: a, value: 1e400, u: 1}\n", CD_ERR_PARSE,
                 "out of range", NULL);
    expect_error("model: a\ninputs:\n  - {name: a, value: 12abc, u: 1}\n", CD_ERR_PARSE,
                 "'12abc' is not a number", NULL);
    expect_error("model: a\ninputs:\n  - {name: a, observations: [1, 2, x]}\n", CD_ERR_PARSE,
                 "observation 3", NULL);
    expect_error("model: a\ninputs:\n  - {name: a, observations: [1]}\n", CD_ERR_INVALID,
                 "at least 2", NULL);
}

static void test_correlation_checks(void **state)
{
    (void)state;
    char text[512];
    snprintf(text, sizeof text,
             "model: a + b + c\n%s  - {name: c, value: 3, u: 0.3}\n"
             "correlations:\n  - [a, b, 0.9]\n  - [a, c, 0.9]\n  - [b, c, -0.9]\n",
             good_inputs);
    expect_error(text, CD_ERR_INVALID, "bad.yaml:7:", "not positive semi-definite", NULL);
    snprintf(text, sizeof text, "model: a + b\n%scorrelations:\n  - [a, b, 1.5]\n", good_inputs);
    expect_error(text, CD_ERR_INVALID, "bad.yaml:6:", "must lie in [-1, 1]", NULL);
    snprintf(text, sizeof text, "model: a + b\n%scorrelations:\n  - [a, z, 0.5]\n", good_inputs);
    expect_error(text, CD_ERR_NOT_FOUND, "'z'", NULL);
    snprintf(text, sizeof text,
             "model: a + b\n%scorrelations:\n  - [a, b, 0.5]\n  - [b, a, 0.5]\n", good_inputs);
    expect_error(text, CD_ERR_INVALID, "given twice", NULL);
    snprintf(text, sizeof text, "model: a + b\n%scorrelations:\n  - [a, b]\n", good_inputs);
    expect_error(text, CD_ERR_PARSE, "[input_a, input_b, r]", NULL);

    /* |r| = 1 is semi-definite, which is allowed. */
    struct cd_err err = {0};
    snprintf(text, sizeof text, "model: a - b\n%scorrelations:\n  - [a, b, 1]\n", good_inputs);
    unc_model *m = unc_model_load_string(text, "ok.yaml", NULL, &err);
    assert_non_null(m);
    struct unc_lpu_result *r = NULL;
    assert_int_equal(unc_lpu(m, (struct unc_coverage){.p = 0.95}, &r, &err), 0);
    assert_true(fabs(r->outputs[0].u - 0.1) < 1e-12); /* |0.1 - 0.2| */
    struct unc_mcm_options o;
    unc_mcm_options_default(&o);
    o.trials = 100000;
    struct unc_mcm_result *mr = NULL;
    assert_int_equal(unc_mcm(m, &o, r, &mr, &err), 0);
    assert_true(fabs(mr->outputs[0].u - 0.1) < 0.002);
    unc_mcm_result_free(mr);
    unc_lpu_result_free(r);
    unc_model_free(m);
}

static void test_yaml_syntax_and_structure(void **state)
{
    (void)state;
    expect_error("model: \"a\"\ninputs:\n  - {name: a, value: 1, u: 0.1\n", CD_ERR_PARSE,
                 "bad.yaml:3:", "YAML syntax error", "opened on this line", NULL);
    expect_error("model: a\ninputs:\n  - {name: a, value: 1, u: 0.1}\ncoverge: 0.95\n",
                 CD_ERR_PARSE, "bad.yaml:4:", "unknown key 'coverge'", NULL);
    expect_error("model: a\ninputs:\n  - {name: a, value: 1, uu: 0.1}\n", CD_ERR_PARSE,
                 "unknown key 'uu'", NULL);
    expect_error("", CD_ERR_PARSE, "empty", NULL);
    expect_error("- just\n- a list\n", CD_ERR_PARSE, "bad.yaml:1:", "mapping", NULL);
    expect_error("inputs:\n  - {name: a, value: 1, u: 0.1}\n", CD_ERR_PARSE, "model", NULL);
    expect_error("model: a\n", CD_ERR_PARSE, "no inputs", NULL);
    expect_error("model: a\ninputs:\n  - {name: a, value: 1, u: 0.1}\ncoverage: 1.5\n",
                 CD_ERR_INVALID, "coverage", NULL);
    expect_error("model: a\ninputs:\n  - {name: a, value: 1, u: 0.1}\n  - {name: a, value: 2, "
                 "u: 0.1}\n",
                 CD_ERR_INVALID, "bad.yaml:4:", "'a' is already an input", NULL);
    expect_error("model: a\ninputs:\n  - {name: 2x, value: 1, u: 0.1}\n", CD_ERR_INVALID,
                 "not a valid name", NULL);
    expect_error("model: \"\\xff\\x00garbage\"\ninputs:\n  - {name: a, value: 1, u: 0.1}\n",
                 CD_ERR_PARSE, "bad.yaml", NULL);
}

static void test_tolerance_and_decision_rule(void **state)
{
    (void)state;
    struct cd_err err = {0};
    struct unc_model_file_opts fo;
    unc_model *m = unc_model_load_string("model: a\ninputs:\n  - {name: a, value: 1, u: 0.1}\n"
                                         "tolerance: {nominal: 1, mpe: 0.5}\n"
                                         "decision_rule: {rule: guard-band, r: 0.5}\n",
                                         "tol.yaml", &fo, &err);
    if (m == NULL)
        fail_msg("%s", err.msg);
    double low, high;
    assert_true(unc_model_output_tolerance(m, 0, &low, &high));
    assert_true(low == 0.5 && high == 1.5);
    assert_int_equal(fo.rule.rule, UNC_RULE_GUARD_BAND);
    assert_true(fo.rule.r == 0.5);
    unc_model_free(m);

    /* one-sided, per output */
    m = unc_model_load_string("outputs: {P: a, Q: 2*a}\ninputs:\n  - {name: a, value: 1, u: 0.1}\n"
                              "tolerance: {Q: {high: 3}}\ndecision_rule: non-binary\n",
                              "tol2.yaml", &fo, &err);
    if (m == NULL)
        fail_msg("%s", err.msg);
    assert_false(unc_model_output_tolerance(m, 0, &low, &high));
    assert_true(unc_model_output_tolerance(m, 1, &low, &high));
    assert_true(isinf(low) && low < 0 && high == 3);
    assert_int_equal(fo.rule.rule, UNC_RULE_NON_BINARY);
    unc_model_free(m);

    const char head[] = "model: a\ninputs:\n  - {name: a, value: 1, u: 0.1}\n";
    char text[512];
    snprintf(text, sizeof text, "%stolerance: {low: 2, high: 1}\n", head);
    expect_error(text, CD_ERR_INVALID, "bad.yaml:4:", "not below", NULL);
    snprintf(text, sizeof text, "%stolerance: {}\n", head);
    expect_error(text, CD_ERR_INVALID, "finite lower limit", NULL);
    snprintf(text, sizeof text, "%stolerance: {nominal: 1}\n", head);
    expect_error(text, CD_ERR_PARSE, "nominal and mpe together", NULL);
    snprintf(text, sizeof text, "%stolerance: {Z: {low: 1}}\n", head);
    expect_error(text, CD_ERR_NOT_FOUND, "'Z', which is not an output", NULL);
    snprintf(text, sizeof text, "%sdecision_rule: lenient\n", head);
    expect_error(text, CD_ERR_PARSE, "bad.yaml:4:", "lenient", NULL);
    snprintf(text, sizeof text, "outputs: {P: a, Q: a}\ninputs:\n  - {name: a, value: 1, u: 1}\n"
                                "tolerance: {low: 1}\n");
    expect_error(text, CD_ERR_PARSE, "several outputs", NULL);
}

static void test_model_nan_at_estimates(void **state)
{
    (void)state;
    struct cd_err err = {0};
    unc_model *m = unc_model_load_string(
        "model: \"log(a)\"\ninputs:\n  - {name: a, value: -1, u: 0.1}\n", "neg.yaml", NULL, &err);
    assert_non_null(m);
    struct unc_lpu_result *r = NULL;
    assert_int_equal(unc_lpu(m, (struct unc_coverage){.p = 0.95}, &r, &err), CD_ERR_NUMERIC);
    assert_non_null(strstr(err.msg, "not finite"));
    unc_model_free(m);
}

static void test_missing_file(void **state)
{
    (void)state;
    struct cd_err err = {0};
    assert_null(unc_model_load_file("/nonexistent/model.yaml", NULL, &err));
    assert_int_equal(err.code, CD_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent/model.yaml"));
}

/* ------------------------------------------------------------ distributions */

static void test_standard_uncertainties(void **state)
{
    (void)state;
    struct cd_err err = {0};
    struct unc_model_file_opts fo;
    unc_model *m = unc_model_load_string(
        "outputs: {Y: \"r + t + s + n + tr + tz\"}\n"
        "inputs:\n"
        "  - {name: r, value: 0, dist: rectangular, half_width: 3}\n"
        "  - {name: t, value: 0, dist: triangular, half_width: 3}\n"
        "  - {name: s, value: 0, dist: arcsine, half_width: 3}\n"
        "  - {name: n, value: 0, dist: student-t, u: 3, dof: 9}\n"
        "  - {name: tr, value: 0, dist: trapezoidal, half_width: 3, beta: 0.5}\n"
        "  - {name: tz, observations: [1.0, 1.2, 0.9, 1.1]}\n"
        "k: 2\n",
        "dists.yaml", &fo, &err);
    if (m == NULL)
        fail_msg("%s", err.msg);
    assert_true(fo.coverage.k == 2);
    assert_true(fabs(unc_model_input_u(m, 0) - 3 / sqrt(3)) < 1e-15);
    assert_true(fabs(unc_model_input_u(m, 1) - 3 / sqrt(6)) < 1e-15);
    assert_true(fabs(unc_model_input_u(m, 2) - 3 / sqrt(2)) < 1e-15);
    assert_true(unc_model_input_u(m, 3) == 3);
    assert_true(fabs(unc_model_input_u(m, 4) - 3 * sqrt(1.25 / 6)) < 1e-15);
    /* mean 1.05, s = 0.129099..., u = s/2 */
    assert_true(fabs(unc_model_input_value(m, 5) - 1.05) < 1e-15);
    assert_true(fabs(unc_model_input_u(m, 5) - 0.12909944487358056 / 2) < 1e-15);

    /* Monte Carlo reproduces each distribution's variance (and the
     * t-distribution's nu/(nu-2) inflation). */
    for (size_t i = 0; i < 5; i++) {
        char text[256];
        const char *specs[] = {
            "{name: x, value: 5, dist: rectangular, half_width: 3}",
            "{name: x, value: 5, dist: triangular, half_width: 3}",
            "{name: x, value: 5, dist: arcsine, half_width: 3}",
            "{name: x, value: 5, dist: student-t, u: 3, dof: 9}",
            "{name: x, value: 5, dist: trapezoidal, half_width: 3, beta: 0.5}",
        };
        snprintf(text, sizeof text, "model: x\ninputs:\n  - %s\n", specs[i]);
        unc_model *one = unc_model_load_string(text, "one.yaml", NULL, &err);
        assert_non_null(one);
        struct unc_mcm_options o;
        unc_mcm_options_default(&o);
        o.trials = 400000;
        struct unc_mcm_result *r = NULL;
        assert_int_equal(unc_mcm(one, &o, NULL, &r, &err), 0);
        double want = unc_model_input_u(one, 0) * (i == 3 ? sqrt(9.0 / 7.0) : 1.0);
        if (fabs(r->outputs[0].u - want) > 0.01 * want)
            fail_msg("%s: MCM u %.5g, expected %.5g", specs[i], r->outputs[0].u, want);
        if (fabs(r->outputs[0].y - 5) > 0.02)
            fail_msg("%s: MCM mean %.5g", specs[i], r->outputs[0].y);
        unc_mcm_result_free(r);
        unc_model_free(one);
    }
    unc_model_free(m);
}

/* ------------------------------------------------------------ expressions */

static int lookup_xy(void *ctx, const char *name, int *var, double *value)
{
    (void)ctx;
    if (strcmp(name, "x") == 0 || strcmp(name, "y") == 0) {
        *var = name[0] == 'x' ? 0 : 1;
        return 1;
    }
    if (strcmp(name, "k") == 0) {
        *value = 2.5;
        return 2;
    }
    return 0;
}

static void test_derivatives_match_finite_differences(void **state)
{
    (void)state;
    const char *exprs[] = {
        "x*y^2 - k/x",        "sqrt(x)*exp(-y)", "log(x*y) + sin(x)*cos(y)", "tan(x/3) - abs(y)",
        "x^y",                "-x^2 + (x - y)/(x + y)", "2^x * y",          "x",
    };
    double pt[2] = {1.37, -0.61};
    for (size_t i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
        struct cd_err err = {0};
        struct expr *e = expr_parse(exprs[i], lookup_xy, NULL, "test", &err);
        if (e == NULL)
            fail_msg("%s: %s", exprs[i], err.msg);
        for (int v = 0; v < 2; v++) {
            if (i == 4 && v == 1)
                continue; /* x^y at x > 0 only; tested below */
            struct expr *d = expr_diff(e, v, NULL);
            double h = 1e-6;
            double a[2] = {pt[0], pt[1]};
            double b[2] = {pt[0], pt[1]};
            a[v] += h;
            b[v] -= h;
            double numeric = (expr_eval(e, a) - expr_eval(e, b)) / (2 * h);
            double exact = expr_eval(d, pt);
            if (fabs(numeric - exact) > 1e-6 * (1 + fabs(exact)))
                fail_msg("d(%s)/d%c: exact %.12g, numeric %.12g", exprs[i], "xy"[v], exact,
                         numeric);
            expr_free(d);
        }
        /* The compiled block form gives the same values as the tree. */
        struct expr_prog *p = expr_compile(e);
        double cx[EXPR_BLOCK], cy[EXPR_BLOCK], out[EXPR_BLOCK];
        double *scratch = calloc(expr_prog_registers(p) * EXPR_BLOCK + 1, sizeof *scratch);
        for (int t = 0; t < EXPR_BLOCK; t++) {
            cx[t] = 0.5 + t * 0.01;
            cy[t] = -1 + t * 0.007;
        }
        const double *cols[2] = {cx, cy};
        expr_prog_eval_block(p, cols, EXPR_BLOCK, scratch, out);
        for (int t = 0; t < EXPR_BLOCK; t++) {
            double v[2] = {cx[t], cy[t]};
            double want = expr_eval(e, v);
            if (!(out[t] == want || (isnan(out[t]) && isnan(want))))
                fail_msg("%s compiled: %.17g vs %.17g at %d", exprs[i], out[t], want, t);
        }
        free(scratch);
        expr_prog_free(p);
        expr_free(e);
    }
}

static void test_expression_precedence(void **state)
{
    (void)state;
    struct {
        const char *text;
        double want;
    } cases[] = {
        {"-x^2", -4}, {"2^3^2", 512}, {"x - y - 1", 2 - 3 - 1}, {"x/y*k", 2.0 / 3 * 2.5},
        {"+x", 2},    {"-(-x)", 2},   {"1.5e2 + .5", 150.5},    {"k", 2.5},
    };
    double pt[2] = {2, 3};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cd_err err = {0};
        struct expr *e = expr_parse(cases[i].text, lookup_xy, NULL, "test", &err);
        if (e == NULL)
            fail_msg("%s: %s", cases[i].text, err.msg);
        if (fabs(expr_eval(e, pt) - cases[i].want) > 1e-12)
            fail_msg("%s = %.17g, expected %.17g", cases[i].text, expr_eval(e, pt), cases[i].want);
        expr_free(e);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_name_in_expression),
        cmocka_unit_test(test_expression_syntax),
        cmocka_unit_test(test_missing_u),
        cmocka_unit_test(test_negative_u_and_bad_dof),
        cmocka_unit_test(test_dof_below_one),
        cmocka_unit_test(test_nan_inf_and_garbage_numbers),
        cmocka_unit_test(test_correlation_checks),
        cmocka_unit_test(test_yaml_syntax_and_structure),
        cmocka_unit_test(test_tolerance_and_decision_rule),
        cmocka_unit_test(test_model_nan_at_estimates),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_standard_uncertainties),
        cmocka_unit_test(test_derivatives_match_finite_differences),
        cmocka_unit_test(test_expression_precedence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
