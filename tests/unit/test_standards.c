/* The reference standards register: the shipped example loads, lookups
 * find certified values, the due date is the last day of use, and every
 * broken register under tests/fixtures/standards/bad/ fails with a message
 * naming the file and the right line. Run from the repository root. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "prof.h"

/* the example register with the fixed dates it shipped with until issue 20 */
#define EXAMPLE "tests/fixtures/standards/example-lab-fixed-dates.yaml"
#define SHIPPED "profiles/standards/example-lab.yaml"
#define BAD "tests/fixtures/standards/bad/"

static prof_standards *load_example(void)
{
    struct cd_err err = {0};
    prof_standards *reg = prof_standards_load(EXAMPLE, &err);
    if (reg == NULL)
        fail_msg("%s", err.msg);
    return reg;
}

static void test_example_loads(void **state)
{
    (void)state;
    prof_standards *reg = load_example();
    /* issue 16 added three references for the verification profiles, issue 19
     * the M1 weights of the platform scale and the reference PRT of the
     * temperature calibration */
    assert_int_equal(prof_standards_count(reg), 9);
    assert_non_null(strstr(prof_standards_lab(reg), "Trung tâm Khoa học–Công nghệ"));

    const struct prof_standard *w = prof_standards_get(reg, 0);
    assert_string_equal(w->id, "W-E2-01");
    assert_int_equal(w->kind, PROF_STD_WEIGHT_SET);
    assert_int_equal(w->weight_class, PROF_R111_E2);
    assert_string_equal(w->class_name, "E2");
    assert_string_equal(w->certificate, "VD-KL-2025-0412");
    assert_string_equal(w->calibrated, "2025-03-10");
    assert_string_equal(w->due, "2026-03-10");
    assert_true(w->k == 2.0);
    assert_int_equal(w->n_items, 10);
    assert_int_equal(w->line, 17);
    assert_non_null(strstr(w->description, "Bộ quả cân chuẩn E2"));

    const struct prof_standard *p = prof_standards_find(reg, "P-REF-01");
    assert_non_null(p);
    assert_int_equal(p->kind, PROF_STD_PRESSURE_REFERENCE);
    assert_int_equal(p->weight_class, PROF_R111_UNSET);
    assert_string_equal(p->class_name, "0.02 % FS");

    const struct prof_standard *c = prof_standards_find(reg, "DPC-01");
    assert_non_null(c);
    assert_string_equal(c->certificate, "VD-ĐT-2025-0031"); /* UTF-8 kept as is */
    assert_string_equal(c->calibrated, "2025-01-31");
    const struct prof_standard *t = prof_standards_find(reg, "T-REF-01");
    assert_non_null(t);
    assert_int_equal(t->kind, PROF_STD_THERMOMETER);
    assert_string_equal(t->items[0].unit, "°C");
    assert_non_null(prof_standards_find(reg, "P-REF-DIG-01"));
    assert_non_null(prof_standards_find(reg, "P-REF-MMHG-01"));
    assert_null(prof_standards_find(reg, "dpc-01"));
    assert_null(prof_standards_find(reg, "nope"));
    assert_non_null(prof_standards_get(reg, 7));
    assert_string_equal(prof_standards_get(reg, 7)->id, "W-M1-02");
    assert_string_equal(prof_standards_get(reg, 8)->id, "T-REF-02");
    assert_null(prof_standards_get(reg, 9));
    prof_standards_free(reg);
    prof_standards_free(NULL);
}

static void test_item_lookup(void **state)
{
    (void)state;
    prof_standards *reg = load_example();
    const struct prof_standard *w = prof_standards_find(reg, "W-E2-01");
    const struct prof_std_item *it = NULL;
    struct cd_err err = {0};

    assert_int_equal(prof_standard_item_find(w, 100, "g", NULL, &it, &err), 0);
    assert_true(it->value == 100.000030);
    assert_true(it->U == 0.000050);
    assert_string_equal(it->mark, "");

    /* Two 2 g pieces: without a mark the lookup is ambiguous. */
    assert_int_equal(prof_standard_item_find(w, 2, "g", NULL, &it, &err), CD_ERR_INVALID);
    assert_null(it);
    assert_non_null(strstr(err.msg, "several 2 g items"));
    cd_err_clear(&err);
    assert_int_equal(prof_standard_item_find(w, 2, "g", "*", &it, &err), 0);
    assert_true(it->value == 1.999991);
    assert_int_equal(prof_standard_item_find(w, 2, "g", "", &it, &err), 0);
    assert_true(it->value == 2.000015);

    /* No combination of pieces, no unit conversion. */
    assert_int_equal(prof_standard_item_find(w, 300, "g", NULL, &it, &err), CD_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "W-E2-01 (certificate VD-KL-2025-0412) has no certified "
                                    "value at 300 g"));
    cd_err_clear(&err);
    assert_int_equal(prof_standard_item_find(w, 0.1, "kg", NULL, &it, &err), CD_ERR_NOT_FOUND);
    cd_err_clear(&err);

    /* A negative calibrator output, and a decimal nominal. */
    const struct prof_standard *c = prof_standards_find(reg, "DPC-01");
    assert_int_equal(prof_standard_item_find(c, -10, "V", NULL, &it, &err), 0);
    assert_true(it->value == -10.000009);
    assert_int_equal(prof_standard_item_find(c, 0.3 / 3.0, "V", NULL, &it, &err), 0);
    assert_true(it->U == 0.0000030);
    prof_standards_free(reg);
}

static void test_due_date(void **state)
{
    (void)state;
    prof_standards *reg = load_example();
    const struct prof_standard *w = prof_standards_find(reg, "W-E2-01");
    struct cd_err err = {0};
    long days = 0;

    assert_int_equal(prof_standard_check_due(w, "2026-03-09", &err), 0);
    assert_int_equal(prof_standard_days_left(w, "2026-03-09", &days, &err), 0);
    assert_int_equal(days, 1);
    /* The due date itself is still a day of use. */
    assert_int_equal(prof_standard_check_due(w, "2026-03-10", &err), 0);
    assert_int_equal(prof_standard_days_left(w, "2026-03-10", &days, &err), 0);
    assert_int_equal(days, 0);
    assert_int_equal(prof_standard_check_due(w, "2026-03-11", &err), CD_ERR_INVALID);
    assert_string_equal(err.msg, "reference W-E2-01 (certificate VD-KL-2025-0412) was due for "
                                 "calibration on 2026-03-10; it may not be used after that date");
    cd_err_clear(&err);
    assert_int_equal(prof_standard_days_left(w, "2027-03-10", &days, &err), 0);
    assert_int_equal(days, -365);
    assert_int_equal(prof_standard_days_left(w, "2025-03-10", &days, &err), 0);
    assert_int_equal(days, 365);

    /* A malformed session date is refused, not treated as in date. */
    assert_int_equal(prof_standard_check_due(w, "2026-13-01", &err), CD_ERR_INVALID);
    cd_err_clear(&err);
    assert_int_equal(prof_standard_check_due(w, "10/03/2026", &err), CD_ERR_INVALID);
    cd_err_clear(&err);
    assert_int_equal(prof_standard_check_due(NULL, "2026-01-01", &err), CD_ERR_INVALID);
    prof_standards_free(reg);
}

static void test_dates(void **state)
{
    (void)state;
    long d = -1;
    assert_int_equal(prof_date_parse("1970-01-01", &d, NULL), 0);
    assert_int_equal(d, 0);
    assert_int_equal(prof_date_parse("2000-03-01", &d, NULL), 0);
    assert_int_equal(d, 11017);
    assert_int_equal(prof_date_parse("2024-02-29", &d, NULL), 0);
    assert_int_equal(prof_date_parse("2000-02-29", &d, NULL), 0);
    const char *bad[] = {"2026-02-29", "1900-02-29", "2026-02-30", "2026-04-31", "2026-00-10",
                         "2026-01-00", "2026-1-01",  "2026-01-01x", "",          "20260101",
                         "1800-01-01"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct cd_err err = {0};
        if (prof_date_parse(bad[i], &d, &err) != CD_ERR_INVALID)
            fail_msg("'%s' accepted as a date", bad[i]);
        assert_non_null(strstr(err.msg, bad[i]));
    }
}

static void test_kind_names(void **state)
{
    (void)state;
    enum prof_std_kind k = PROF_STD_UNSET;
    assert_int_equal(prof_std_kind_parse("Pressure-Reference", &k, NULL), 0);
    assert_int_equal(k, PROF_STD_PRESSURE_REFERENCE);
    assert_string_equal(prof_std_kind_name(PROF_STD_HYGROMETER), "hygrometer");
    assert_string_equal(prof_std_kind_name(PROF_STD_UNSET), "?");
    struct cd_err err = {0};
    assert_int_equal(prof_std_kind_parse("balance", &k, &err), CD_ERR_INVALID);
    assert_non_null(strstr(err.msg, "weight-set"));
}

/* Every broken register: the code, "FILE:LINE:" and a fragment of the
 * message. */
static const struct {
    const char *file;
    int code;
    int line;
    const char *fragment;
} bad_cases[] = {
    {"unknown-key", CD_ERR_PARSE, 7, "unknown key 'cerificate'"},
    {"missing-certificate", CD_ERR_PARSE, 4, "certificate is missing"},
    {"bad-date", CD_ERR_INVALID, 9, "'2026-02-30' is not a calendar date"},
    {"due-before-calibrated", CD_ERR_INVALID, 9, "due 2024-03-10 is not after calibrated"},
    {"k-zero", CD_ERR_INVALID, 10, "k = 0 must be positive"},
    {"u-negative", CD_ERR_INVALID, 12, "U = -5e-05 must be positive"},
    {"u-nan", CD_ERR_INVALID, 12, "must be a finite number"},
    {"duplicate-id", CD_ERR_INVALID, 13, "'W-1' is used twice (first on line 4)"},
    {"wrong-type", CD_ERR_PARSE, 13, "must be a mapping (key: value), not a list"},
    {"yaml-syntax", CD_ERR_PARSE, 8, "YAML syntax error"},
    {"truncated", CD_ERR_PARSE, 12, "YAML syntax error"},
    {"missing-k", CD_ERR_PARSE, 4, "k (the coverage factor of U) is missing"},
    {"negative-nominal", CD_ERR_INVALID, 12, "must be positive"},
    {"bad-class", CD_ERR_INVALID, 6, "unknown OIML R111 weight class \"E3\""},
    {"duplicate-key", CD_ERR_PARSE, 11, "key 'due' given twice (first on line 9)"},
    {"items-mapping", CD_ERR_PARSE, 11, "items must be a list, not a mapping"},
    {"duplicate-piece", CD_ERR_INVALID, 13, "a second 100 g item (first on line 12)"},
};

static void test_bad_registers(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        char path[256], where[300];
        snprintf(path, sizeof path, BAD "%s.yaml", bad_cases[i].file);
        snprintf(where, sizeof where, "%s:%d: ", path, bad_cases[i].line);
        struct cd_err err = {0};
        prof_standards *reg = prof_standards_load(path, &err);
        if (reg != NULL) {
            prof_standards_free(reg);
            fail_msg("%s loaded although it should not", path);
        }
        if (err.code != bad_cases[i].code)
            fail_msg("%s: code %d, expected %d: %s", path, err.code, bad_cases[i].code, err.msg);
        if (strncmp(err.msg, where, strlen(where)) != 0)
            fail_msg("%s: message \"%s\" does not start with \"%s\"", path, err.msg, where);
        if (strstr(err.msg, bad_cases[i].fragment) == NULL)
            fail_msg("%s: message \"%s\" lacks \"%s\"", path, err.msg, bad_cases[i].fragment);
    }
}

static void expect_string_error(const char *text, int code, const char *fragment)
{
    struct cd_err err = {0};
    prof_standards *reg = prof_standards_load_string(text, "s.yaml", &err);
    if (reg != NULL) {
        prof_standards_free(reg);
        fail_msg("loaded although it should not:\n%s", text);
    }
    if (err.code != code || strstr(err.msg, fragment) == NULL)
        fail_msg("code %d \"%s\", expected %d and \"%s\", for:\n%s", err.code, err.msg, code,
                 fragment, text);
}

static void test_more_errors(void **state)
{
    (void)state;
    expect_string_error("", CD_ERR_PARSE, "s.yaml: the file is empty");
    expect_string_error("- a\n- b\n", CD_ERR_PARSE, "s.yaml:1: a standards register must be");
    expect_string_error("lab: x\n", CD_ERR_PARSE, "s.yaml:1: no standards");
    expect_string_error("standards: []\n", CD_ERR_PARSE, "standards is empty");
    expect_string_error("standards:\n  - id: A\n    kind: balance\n", CD_ERR_PARSE,
                        "s.yaml:3: standard 'A': unknown kind \"balance\"");
    expect_string_error("standards:\n  - {id: A B, kind: other}\n", CD_ERR_INVALID,
                        "must not contain spaces");
    expect_string_error("standards:\n  - {id: A, kind: other, certificate: C, due: 2027-01-01, "
                        "k: 2, items: []}\n",
                        CD_ERR_PARSE, "s.yaml:2: standard 'A': items is empty");
    expect_string_error("standards:\n  - {id: A, kind: other, certificate: C, due: 2027-01-01, "
                        "k: two, items: []}\n",
                        CD_ERR_PARSE, "'two' is not a number");
    expect_string_error("standards:\n  - {id: A, kind: other, certificate: C, due: 2027-01-01, "
                        "k: 2, items: [{nominal: 1, unit: V, value: 1, U: .inf}]}\n",
                        CD_ERR_INVALID, "must be a finite number");
    expect_string_error("standards:\n  - {id: A, kind: other, certificate: C, due: 2027-01-01, "
                        "k: 2, items: [{nominal: 1, value: 1, U: 1}]}\n",
                        CD_ERR_PARSE, "unit is missing");
    expect_string_error("standards:\n  - {id: A, kind: weight-set, certificate: C, "
                        "due: 2027-01-01, k: 2, items: [{nominal: 1, unit: g, value: 1, U: 1}]}\n",
                        CD_ERR_PARSE, "needs its OIML R111 class");
    expect_string_error("standards:\n  - {id: A, kind: weight-set, class: F1, certificate: C, "
                        "due: 2027-01-01, k: 2, items: [{nominal: 100, unit: g, value: 10.00003, "
                        "U: 1}]}\n",
                        CD_ERR_INVALID, "more than 1 % away from the nominal 100 g");
    expect_string_error("standards:\n  - {id: A, kind: other, certificate: {n: 1}, "
                        "due: 2027-01-01, k: 2, items: []}\n",
                        CD_ERR_PARSE, "certificate must be text, not a mapping");

    struct cd_err err = {0};
    assert_null(prof_standards_load(BAD "does-not-exist.yaml", &err));
    assert_int_equal(err.code, CD_ERR_IO);
    assert_non_null(strstr(err.msg, "does-not-exist.yaml: cannot open"));

    /* calibrated is optional; a minimal entry loads. */
    cd_err_clear(&err);
    prof_standards *reg = prof_standards_load_string(
        "standards:\n  - {id: T-1, kind: thermometer, certificate: C, due: 2027-01-01, k: 2.1, "
        "items: [{nominal: 0, unit: °C, value: 0.012, U: 0.02}]}\n",
        NULL, &err);
    if (reg == NULL)
        fail_msg("%s", err.msg);
    const struct prof_standard *t = prof_standards_get(reg, 0);
    assert_string_equal(t->calibrated, "");
    assert_string_equal(t->items[0].unit, "°C");
    assert_string_equal(prof_standards_lab(reg), "");
    prof_standards_free(reg);
}

/* Dates relative to today (issue 20), in an example register only. */
static void test_relative_dates(void **state)
{
    (void)state;
    struct cd_err err = {0};
    char out[11];
    static const struct {
        const char *text, *today, *want;
    } ok[] = {
        {"today", "2026-12-07", "2026-12-07"},
        {"today + 6 months", "2026-12-07", "2027-06-07"},
        {"today - 6 months", "2026-12-07", "2026-06-07"},
        {"today-12 months", "2026-01-15", "2025-01-15"},
        {"today + 1 month", "2026-03-31", "2026-04-30"},   /* clamped to the month */
        {"today + 1 year", "2028-02-29", "2029-02-28"},
        {"today + 30 days", "2026-12-07", "2027-01-06"},
        {"today - 1 day", "2028-03-01", "2028-02-29"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(prof_date_relative(ok[i].text, ok[i].today, out, &err), 0);
        assert_string_equal(out, ok[i].want);
    }
    static const char *const bad[] = {"tomorrow", "today +", "today + 6", "today * 6 months",
                                      "today + 6 weeks", "today + -6 months", "2026-01-01",
                                      "today + 6 months later"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cd_err_clear(&err);
        assert_int_not_equal(prof_date_relative(bad[i], "2026-12-07", out, &err), 0);
        assert_int_equal(err.code, CD_ERR_INVALID);
    }

    /* the shipped example: marked, every standard in date today */
    prof_standards *reg = prof_standards_load(SHIPPED, &err);
    if (reg == NULL)
        fail_msg("%s", err.msg);
    assert_true(prof_standards_example(reg));
    char today[11];
    assert_int_equal(cd_today(today), 0);
    for (size_t i = 0; i < prof_standards_count(reg); i++) {
        long left = 0;
        assert_int_equal(prof_standard_days_left(prof_standards_get(reg, i), today, &left, &err), 0);
        assert_true(left >= 180);
    }
    prof_standards_free(reg);
    reg = prof_standards_load(EXAMPLE, &err);
    assert_false(prof_standards_example(reg));
    prof_standards_free(reg);

    /* a real register may not move with the calendar */
    static const char real[] =
        "standards:\n"
        "  - {id: W-1, kind: weight-set, class: E2, certificate: C, due: today + 1 year, k: 2,\n"
        "     items: [{nominal: 1, unit: g, value: 1, U: 0.00001}]}\n";
    cd_err_clear(&err);
    assert_null(prof_standards_load_string(real, "real.yaml", &err));
    assert_int_equal(err.code, CD_ERR_INVALID);
    assert_non_null(strstr(err.msg, "real.yaml:2: "));
    assert_non_null(strstr(err.msg, "allowed only in a register marked example: true"));
    static const char marked[] =
        "example: yes\n"
        "standards:\n"
        "  - {id: W-1, kind: weight-set, class: E2, certificate: C, due: 2030-01-01, k: 2,\n"
        "     items: [{nominal: 1, unit: g, value: 1, U: 0.00001}]}\n";
    cd_err_clear(&err);
    assert_null(prof_standards_load_string(marked, "marked.yaml", &err));
    assert_non_null(strstr(err.msg, "marked.yaml:1: example must be true or false"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_loads), cmocka_unit_test(test_item_lookup),
        cmocka_unit_test(test_due_date),      cmocka_unit_test(test_dates),
        cmocka_unit_test(test_kind_names),    cmocka_unit_test(test_bad_registers),
        cmocka_unit_test(test_more_errors),   cmocka_unit_test(test_relative_dates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
