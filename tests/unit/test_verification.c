/* Verification profiles (issue 16): the shipped procedures load with their
 * kind, comparison, sides and checklist and pass the standards check
 * against the example register; the reference ratio check refuses a
 * reference whose U is too large for the MPE (certified, and read with or
 * without an item at the point); the verification cycles table loads,
 * finds its types and refuses broken tables naming the line; the validity
 * date of a verification. Run from the repository root. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "prof.h"
#include "prof_support.h"

/* a day on which every standard the verification profiles use is in date */
#define TODAY "2026-12-07"
#define CYCLES "profiles/verification-cycles.yaml"

static void check_standards_ok(const struct prof_profile *p)
{
    prof_standards *reg = load_register(p);
    struct cd_err err = {0};
    if (prof_profile_check_standards(p, reg, TODAY, &err) != 0)
        fail_msg("%s: %s", p->source, err.msg);
    /* and the ratio check on its own, as a session calls it */
    const struct prof_standard *s = prof_standards_find(reg, p->reference->id);
    assert_non_null(s);
    if (prof_check_reference_ratio(p, s, &err) != 0)
        fail_msg("%s: %s", p->source, err.msg);
    prof_standards_free(reg);
}

static bool has_check(const struct prof_profile *p, const char *id,
                      enum prof_check_stage stage)
{
    for (size_t i = 0; i < p->verification.n_checks; i++)
        if (strcmp(p->verification.checks[i].id, id) == 0)
            return p->verification.checks[i].stage == stage;
    return false;
}

/* ------------------------------------------------------------ shipped */

static void test_dial_gauge(void **state)
{
    (void)state;
    struct prof_profile *p = load_ok("profiles/verification-dial-gauge-dlvn08.yaml");
    assert_int_equal(p->kind, PROF_KIND_VERIFICATION);
    assert_int_equal(p->comparison, PROF_METHOD_SET_ITEM);
    assert_int_equal(p->family, PROF_FAMILY_PRESSURE);
    assert_string_equal(p->unit, "bar");
    assert_non_null(strstr(p->national_document, "ĐLVN 08:2011"));
    assert_int_equal(p->tolerance.kind, PROF_TOL_EN837);
    assert_true(p->tolerance.en837.class_pct == 1.6);
    /* the item typed to 0.1 bar inside its scale, the reference over Modbus */
    assert_int_equal(p->item.read, PROF_READ_TYPED);
    assert_true(p->item.low == 0 && p->item.high == 16);
    assert_true(p->item.resolution == 0.1);
    assert_true(p->item.confirm_beyond_mpe == 5);
    assert_string_equal(p->item.label_vi, "áp kế");
    assert_int_equal(p->ref.read, PROF_READ_INSTRUMENT);
    assert_string_equal(p->ref.driver, "modbus");
    assert_string_equal(p->ref.label_vi, "áp kế chuẩn");
    assert_true(isnan(p->ref.low) && p->ref.resolution == 0);
    /* the need of role reference is the reference, from its certificate */
    assert_non_null(p->reference);
    assert_string_equal(p->reference->role, "reference");
    assert_string_equal(p->reference->id, "P-REF-DIG-01");
    assert_int_equal(p->reference->source, PROF_REF_CERTIFICATE);
    /* 0, 4, 8, 12, 16 up and down */
    assert_int_equal(p->n_points, 10);
    assert_true(p->points[4].nominal == 16 && p->points[5].nominal == 16);
    assert_int_equal(p->points[5].direction, PROF_DIR_DOWN);
    const struct prof_verification *v = &p->verification;
    assert_string_equal(v->instrument_type, "bourdon-pressure-gauge");
    assert_string_equal(v->cycles_path, "profiles/verification-cycles.yaml");
    assert_true(v->reference_ratio == 3);
    assert_non_null(strstr(v->ratio_source, "from memory"));
    assert_true(v->n_checks >= 4);
    assert_true(has_check(p, "ext-glass", PROF_CHECK_EXTERNAL));
    assert_true(has_check(p, "tech-zero", PROF_CHECK_TECHNICAL));
    for (size_t i = 0; i < v->n_checks; i++) {
        assert_true(v->checks[i].text_vi[0] != '\0' && v->checks[i].text_en[0] != '\0');
        assert_true(v->checks[i].line > 0);
    }
    check_standards_ok(p);
    prof_profile_free(p);
}

static void test_nawi(void **state)
{
    (void)state;
    struct prof_profile *p = load_ok("profiles/verification-nawi-r76.yaml");
    assert_int_equal(p->kind, PROF_KIND_VERIFICATION);
    assert_int_equal(p->comparison, PROF_METHOD_SET_REFERENCE);
    assert_int_equal(p->family, PROF_FAMILY_BALANCE);
    assert_int_equal(p->tolerance.kind, PROF_TOL_OIML_R76);
    assert_int_equal(p->tolerance.r76.accuracy_class, PROF_R76_III);
    assert_false(p->tolerance.r76.in_service);
    assert_int_equal(p->item.read, PROF_READ_TYPED);
    assert_true(p->item.low == 0 && p->item.high == 6009 && p->item.resolution == 1);
    assert_int_equal(p->ref.read, PROF_READ_CERTIFIED);
    assert_string_equal(p->reference->id, "W-M1-01");
    assert_string_equal(p->verification.instrument_type, "nawi-technical");
    /* the MPE at verification: 0.5 e to 500 e, 1 e to 2 000 e, 1.5 e above */
    double lo, hi;
    assert_int_equal(prof_point_limits(p, &p->points[p->n_points - 1], &lo, &hi, NULL), 0);
    check_standards_ok(p);
    prof_profile_free(p);
}

static void test_sphygmomanometer(void **state)
{
    (void)state;
    struct prof_profile *p = load_ok("profiles/verification-sphygmomanometer.yaml");
    assert_int_equal(p->kind, PROF_KIND_VERIFICATION);
    assert_string_equal(p->unit, "mmHg");
    assert_int_equal(p->item.read, PROF_READ_TYPED);
    assert_int_equal(p->ref.read, PROF_READ_TYPED);
    assert_true(p->ref.resolution == 0.1 && p->ref.confirm_beyond_mpe == 0);
    assert_string_equal(p->reference->id, "P-REF-MMHG-01");
    assert_string_equal(p->verification.instrument_type, "sphygmomanometer");
    for (size_t i = 0; i < p->n_points; i++) {
        double lo, hi;
        assert_int_equal(prof_point_limits(p, &p->points[i], &lo, &hi, NULL), 0);
        assert_true(lo == -3 && hi == 3);
    }
    check_standards_ok(p);
    prof_profile_free(p);
}

static void test_clinical_thermometer(void **state)
{
    (void)state;
    struct prof_profile *p = load_ok("profiles/verification-clinical-thermometer.yaml");
    assert_int_equal(p->family, PROF_FAMILY_TEMPERATURE);
    assert_string_equal(prof_family_name(p->family), "temperature");
    assert_string_equal(p->unit, "°C");
    assert_int_equal(p->item.read, PROF_READ_TYPED);
    assert_true(p->item.low == 32 && p->item.high == 42 && p->item.resolution == 0.01);
    assert_string_equal(p->reference->id, "T-REF-01");
    assert_string_equal(p->verification.instrument_type, "clinical-thermometer-electronic");
    /* 0.2 °C at 35 °C, below 35.5; 0.1 °C from 37 °C up */
    assert_int_equal(p->n_points, 4);
    static const double mpe[] = {0.2, 0.1, 0.1, 0.1};
    for (size_t i = 0; i < p->n_points; i++) {
        double lo, hi;
        assert_int_equal(prof_point_limits(p, &p->points[i], &lo, &hi, NULL), 0);
        assert_true(fabs(hi - mpe[i]) < 1e-12);
        assert_int_equal(p->points[i].repeat, 3);
    }
    check_standards_ok(p);
    prof_profile_free(p);
}

/* Every shipped verification profile's instrument type is in the table. */
static void test_types_in_table(void **state)
{
    (void)state;
    static const char *const files[] = {
        "profiles/verification-dial-gauge-dlvn08.yaml", "profiles/verification-nawi-r76.yaml",
        "profiles/verification-sphygmomanometer.yaml",
        "profiles/verification-clinical-thermometer.yaml"};
    struct cd_err err = {0};
    prof_cycles *c = prof_cycles_load(CYCLES, &err);
    if (c == NULL)
        fail_msg("%s", err.msg);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        struct prof_profile *p = load_ok(files[i]);
        if (prof_cycles_find(c, p->verification.instrument_type, &err) == NULL)
            fail_msg("%s: %s", files[i], err.msg);
        if (strstr(p->national_document, "ĐLVN") == NULL)
            fail_msg("%s cites no ĐLVN document", files[i]);
        prof_profile_free(p);
    }
    prof_cycles_free(c);
}

/* ------------------------------------------------------------ the ratio */

/* A verification of a 0 - 16 bar class 1.6 gauge (MPE 0.256 bar) with a
 * reference read by `read` ("certified" with comparison set-reference). */
static struct prof_profile *gauge(const char *read, const char *comparison, const char *ratio)
{
    char text[2048];
    snprintf(text, sizeof text,
             "caldaq_profile: 1\n"
             "name: ratio\n"
             "title: {en: x, vi: x}\n"
             "method: x\n"
             "national_document: \"ĐLVN 08:2011\"\n"
             "family: pressure\n"
             "kind: verification\n"
             "comparison: %s\n"
             "instrument:\n"
             "  unit: bar\n"
             "  resolution: 0.1\n"
             "  tolerance: {form: en-837-1, class: 1.6, scale: [0, 16]}\n"
             "item: {read: typed}\n"
             "reference: {read: %s}\n"
             "verification:\n"
             "  instrument_type: bourdon-pressure-gauge\n"
             "  %s\n"
             "  checks: [{stage: external, id: ext-a, vi: a, en: a}]\n"
             "standards:\n"
             "  - {role: reference, kind: pressure-reference, id: P, reference_value: certificate}\n"
             "plan:\n"
             "  - {test: error, points: [0, 8, 16]}\n"
             "budget:\n"
             "  output: E\n"
             "  expression: \"p_ind - p_ref\"\n"
             "  inputs:\n"
             "    - {name: p_ind, value: mean, u: 0}\n"
             "    - {name: p_ref, value: ref, u: u_ref}\n",
             comparison, read, ratio);
    struct cd_err err = {0};
    struct prof_profile *p = prof_profile_load_string(text, "profiles/ratio.yaml", &err);
    if (p == NULL)
        fail_msg("%s", err.msg);
    return p;
}

/* A register with standard P: items at 8 and 16 bar, U at 16 bar given. */
static prof_standards *reg_with(const char *u16, bool item8)
{
    char text[1024];
    snprintf(text, sizeof text,
             "standards:\n"
             "  - id: P\n"
             "    kind: pressure-reference\n"
             "    certificate: C-1\n"
             "    due: 2030-01-01\n"
             "    k: 2\n"
             "    items:\n"
             "%s"
             "      - {nominal: 16, unit: bar, value: 16.001, U: %s}\n",
             item8 ? "      - {nominal: 8, unit: bar, value: 8.001, U: 0.01}\n" : "", u16);
    struct cd_err err = {0};
    prof_standards *reg = prof_standards_load_string(text, "reg.yaml", &err);
    if (reg == NULL)
        fail_msg("%s", err.msg);
    return reg;
}

static void test_ratio(void **state)
{
    (void)state;
    struct cd_err err = {0};
    /* 0.256 / 3 = 0.08533: U = 0.085 passes, 0.086 fails, at 16 bar */
    struct prof_profile *p = gauge("certified", "set-reference", "reference_ratio: 3");
    prof_standards *ok = reg_with("0.085", true), *bad = reg_with("0.086", true);
    assert_int_equal(prof_check_reference_ratio(p, prof_standards_find(ok, "P"), &err), 0);
    assert_int_equal(prof_check_reference_ratio(p, prof_standards_find(bad, "P"), &err),
                     CD_ERR_INVALID);
    assert_non_null(strstr(err.msg, "reference P (certificate C-1): U = 0.086 bar at 16 bar"));
    assert_non_null(strstr(err.msg, "1/3 of the MPE 0.256 bar"));
    assert_non_null(strstr(err.msg, "the default ratio"));
    /* the standards check refuses it too, naming the profile's line */
    cd_err_clear(&err);
    assert_int_not_equal(prof_profile_check_standards(p, bad, TODAY, &err), 0);
    assert_non_null(strstr(err.msg, "profiles/ratio.yaml:20: reference P"));
    prof_profile_free(p);

    /* a ratio of 4 with its source: 0.064 passes, 0.065 fails */
    p = gauge("certified", "set-reference",
              "reference_ratio: 4\n  ratio_source: \"the procedure, 3.1\"");
    prof_standards_free(ok);
    prof_standards_free(bad);
    ok = reg_with("0.064", true);
    bad = reg_with("0.065", true);
    assert_int_equal(prof_check_reference_ratio(p, prof_standards_find(ok, "P"), &err), 0);
    cd_err_clear(&err);
    assert_int_not_equal(prof_check_reference_ratio(p, prof_standards_find(bad, "P"), &err), 0);
    assert_non_null(strstr(err.msg, "1/4 of the MPE"));
    assert_non_null(strstr(err.msg, "(the procedure, 3.1)"));
    /* no standard: refused */
    cd_err_clear(&err);
    assert_int_not_equal(prof_check_reference_ratio(p, NULL, &err), 0);
    prof_profile_free(p);
    prof_standards_free(ok);
    prof_standards_free(bad);

    /* a read reference with no item at 8 bar: the largest U of the
     * standard (at 16 bar) stands for it; a certified one fails there */
    p = gauge("instrument", "set-item", "reference_ratio: 3");
    ok = reg_with("0.08", false);
    bad = reg_with("0.09", false);
    cd_err_clear(&err);
    assert_int_equal(prof_check_reference_ratio(p, prof_standards_find(ok, "P"), &err), 0);
    assert_int_not_equal(prof_check_reference_ratio(p, prof_standards_find(bad, "P"), &err), 0);
    assert_non_null(strstr(err.msg, "U = 0.09 bar at 8 bar"));
    /* the standards check still asks a read reference for an item at
     * every point: the analysis corrects the reading there */
    cd_err_clear(&err);
    assert_int_not_equal(prof_profile_check_standards(p, ok, TODAY, &err), 0);
    assert_non_null(strstr(err.msg, "has no 8 bar item"));
    prof_profile_free(p);
    p = gauge("certified", "set-reference", "reference_ratio: 3");
    cd_err_clear(&err);
    assert_int_not_equal(prof_check_reference_ratio(p, prof_standards_find(ok, "P"), &err), 0);
    assert_non_null(strstr(err.msg, "8 bar"));
    prof_profile_free(p);
    prof_standards_free(ok);
    prof_standards_free(bad);

    /* a calibration always passes, whatever the reference */
    p = load_ok("profiles/pressure-dkd-r6-1.yaml");
    bad = reg_with("5", true);
    assert_int_equal(prof_check_reference_ratio(p, prof_standards_find(bad, "P"), NULL), 0);
    assert_int_equal(prof_check_reference_ratio(p, NULL, NULL), 0);
    prof_profile_free(p);
    prof_standards_free(bad);
}

/* The instrument type must be in the cycles table beside the profile: the
 * cycles check says so, not the standards check nor loading (so that a
 * profile stored in a run loads and resumes anywhere). */
static void test_type_not_in_table(void **state)
{
    (void)state;
    const char *path = "profiles/verification-dial-gauge-dlvn08.yaml";
    char *text = NULL;
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    text = calloc(1, 1 << 16);
    assert_non_null(text);
    size_t n = fread(text, 1, (1 << 16) - 1, f);
    fclose(f);
    assert_true(n > 0);
    char *at = strstr(text, "instrument_type: bourdon-pressure-gauge");
    assert_non_null(at);
    memcpy(at, "instrument_type: bourdon-pressure-gauze", 39);
    struct cd_err err = {0};
    struct prof_profile *p = prof_profile_load_string(text, path, &err);
    free(text);
    if (p == NULL)
        fail_msg("%s", err.msg);
    prof_standards *reg = load_register(p);
    assert_int_equal(prof_profile_check_standards(p, reg, TODAY, &err), 0);
    assert_int_not_equal(prof_profile_check_cycles(p, &err), 0);
    assert_non_null(strstr(err.msg, "has no instrument type 'bourdon-pressure-gauze'"));
    assert_non_null(strstr(err.msg, "bourdon-pressure-gauge, "));
    prof_standards_free(reg);
    prof_profile_free(p);
}

/* ------------------------------------------------------------ cycles */

static void test_cycles_shipped(void **state)
{
    (void)state;
    struct cd_err err = {0};
    prof_cycles *c = prof_cycles_load(CYCLES, &err);
    if (c == NULL)
        fail_msg("%s", err.msg);
    static const char *const types[] = {"bourdon-pressure-gauge", "nawi-analytical",
                                        "nawi-technical", "nawi-common", "sphygmomanometer",
                                        "clinical-thermometer-electronic"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        const struct prof_cycle *e = prof_cycles_find(c, types[i], &err);
        if (e == NULL)
            fail_msg("%s", err.msg);
        assert_true(e->months >= 1 && e->months <= 120);
        assert_true(e->name_en[0] && e->name_vi[0] && e->source[0]);
        /* every entry cites the Thông tư, or says it is from memory */
        assert_true(strstr(e->source, "Thông tư") != NULL);
        assert_true(e->line > 0);
    }
    const struct prof_cycle *e = prof_cycles_find(c, "bourdon-pressure-gauge", NULL);
    assert_int_equal(e->months, 12);
    assert_string_equal(e->name_vi, "Áp kế kiểu lò xo");
    cd_err_clear(&err);
    assert_null(prof_cycles_find(c, "taximeter", &err));
    assert_int_equal(err.code, CD_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "no instrument type 'taximeter'"));
    assert_non_null(strstr(err.msg, "sphygmomanometer"));
    prof_cycles_free(c);
    cd_err_clear(&err);
    assert_null(prof_cycles_load("profiles/no-such-cycles.yaml", &err));
    assert_int_equal(err.code, CD_ERR_IO);
}

static const char good_table[] =
    "caldaq_verification_cycles: 1\n"
    "source: \"Thông tư 23/2013/TT-BKHCN\"\n"
    "cycles:\n"
    "  - {type: a-1, en: A, vi: Á, months: 12, source: s}\n"
    "  - {type: b, en: B, vi: B, months: 24, source: s}\n";

static void test_cycles_bad(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *fragment; /* after "t.yaml:" */
    } cases[] = {
        {"", "t.yaml: the file is empty"},
        {"caldaq_verification_cycles: 2\nsource: s\ncycles: []\n", "1: caldaq_verification_cycles: only version 1"},
        {"source: s\ncycles: []\n", "1: caldaq_verification_cycles: 1 is missing"},
        {"caldaq_verification_cycles: 1\ncycles: [{type: a, en: A, vi: A, months: 12, source: s}]\n",
         "1: cycles table: source is missing"},
        {"caldaq_verification_cycles: 1\nsource: s\n", "1: cycles is missing"},
        {"caldaq_verification_cycles: 1\nsource: s\ncycles: {a: 1}\n", "3: cycles must be a list"},
        {"caldaq_verification_cycles: 1\nsource: s\ncycles: []\n", "3: cycles is empty"},
        {"caldaq_verification_cycles: 1\nsource: s\ncycle: []\n", "3: cycles table: unknown key 'cycle'"},
        {"caldaq_verification_cycles: 1\nsource: s\ncycles:\n  - {type: a, en: A, vi: A, months: 12, source: s}\n"
         "  - {type: a, en: A, vi: A, months: 6, source: s}\n",
         "5: cycles: type 'a' given twice (first on line 4)"},
        {"caldaq_verification_cycles: 1\nsource: s\ncycles:\n  - {type: A B, en: A, vi: A, months: 12, source: s}\n",
         "4: cycles entry 1: type 'A B': lower-case letters"},
        {"caldaq_verification_cycles: 1\nsource: s\ncycles:\n  - {type: a, en: A, vi: A, months: 0, source: s}\n",
         "4: cycles entry 'a': months = 0 must be a whole number of months from 1 to 120"},
        {"caldaq_verification_cycles: 1\nsource: s\ncycles:\n  - {type: a, en: A, vi: A, months: 121, source: s}\n",
         "4: cycles entry 'a': months = 121 must be"},
        {"caldaq_verification_cycles: 1\nsource: s\ncycles:\n  - {type: a, en: A, vi: A, months: 1.5, source: s}\n",
         "4: cycles entry 'a': months = 1.5 must be"},
        /* far beyond int: refused by its range, never cast (fuzz regression) */
        {"caldaq_verification_cycles: 1\nsource: s\ncycles:\n  - {type: a, en: A, vi: A, months: 1e300, source: s}\n",
         "4: cycles entry 'a': months = 1e+300 must be"},
        {"caldaq_verification_cycles: 1\nsource: s\ncycles:\n  - {type: a, en: A, vi: A, months: -3e12, source: s}\n",
         "4: cycles entry 'a': months = -3e+12 must be"},
        {"caldaq_verification_cycles: 1\nsource: s\ncycles:\n  - {type: a, en: A, vi: A, months: a year, source: s}\n",
         "4: cycles entry 'a': months: 'a year' is not a number"},
        {"caldaq_verification_cycles: 1\nsource: s\ncycles:\n  - {type: a, en: A, vi: A, months: 12}\n",
         "4: cycles entry 'a': source is missing"},
        {"caldaq_verification_cycles: 1\nsource: s\ncycles:\n  - {type: a, en: A, months: 12, source: s}\n",
         "4: cycles entry 'a': vi is missing"},
        {"caldaq_verification_cycles: 1\nsource: s\ncycles:\n  - {type: a, en: A, vi: A, months: 12, source: s, note: x}\n",
         "4: cycles entry 1: unknown key 'note'"},
        {"caldaq_verification_cycles: 1\nsource: s\ncycles:\n  - {type: [a], en: A, vi: A, months: 12, source: s}\n",
         "4: cycles entry 1: type must be text"},
        {"caldaq_verification_cycles: 1\nsource: s\ncycles:\n  - a\n", "4: cycles entry 1 must be a mapping"},
        {"caldaq_verification_cycles: 1\nsource: [s\n", "2:"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cd_err err = {0};
        prof_cycles *c = prof_cycles_load_string(cases[i].text, "t.yaml", &err);
        if (c != NULL) {
            prof_cycles_free(c);
            fail_msg("case %zu loaded", i);
        }
        char want[256];
        if (strncmp(cases[i].fragment, "t.yaml", 6) == 0)
            snprintf(want, sizeof want, "%s", cases[i].fragment);
        else
            snprintf(want, sizeof want, "t.yaml:%s", cases[i].fragment);
        if (err.code >= 0 || strstr(err.msg, want) == NULL)
            fail_msg("case %zu: \"%s\" (code %d) lacks \"%s\"", i, err.msg, err.code, want);
    }
    struct cd_err err = {0};
    prof_cycles *c = prof_cycles_load_string(good_table, NULL, &err);
    if (c == NULL)
        fail_msg("%s", err.msg);
    assert_int_equal(prof_cycles_find(c, "b", NULL)->months, 24);
    assert_string_equal(prof_cycles_find(c, "a-1", NULL)->name_vi, "Á");
    assert_null(prof_cycles_find(c, "c", &err));
    assert_non_null(strstr(err.msg, "verification cycles has no instrument type 'c' (it has: a-1, b)"));
    assert_null(prof_cycles_find(NULL, "a", NULL));
    prof_cycles_free(c);
    prof_cycles_free(NULL);
    assert_null(prof_cycles_load_string(NULL, "t.yaml", NULL));
}

/* ------------------------------------------------------------ dates */

static void test_validity_date(void **state)
{
    (void)state;
    static const struct {
        const char *verified;
        int months;
        const char *valid_until;
    } cases[] = {
        {"2026-12-07", 12, "2027-12-06"},
        {"2026-12-07", 1, "2027-01-06"},
        {"2026-12-07", 24, "2028-12-06"},
        {"2026-01-01", 12, "2026-12-31"},   /* the first of a month: the last of the one before */
        {"2026-03-01", 1, "2026-03-31"},
        {"2026-03-01", 12, "2027-02-28"},
        {"2027-03-01", 12, "2028-02-29"},   /* into a leap February */
        {"2024-02-29", 12, "2025-02-27"},   /* 29 February has no day a year later: the 28th, less one */
        {"2024-02-29", 48, "2028-02-28"},   /* four years later it has */
        {"2026-01-31", 1, "2026-02-27"},    /* 31 January + 1 month: the 28th, less one */
        {"2028-01-31", 1, "2028-02-28"},    /* a leap year: the 29th, less one */
        {"2026-08-31", 1, "2026-09-29"},    /* 30 days in September */
        {"2026-05-31", 6, "2026-11-29"},
        {"2026-12-31", 12, "2027-12-30"},
        {"2026-11-30", 3, "2027-02-27"},
        {"1999-12-31", 120, "2009-12-30"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[11];
        struct cd_err err = {0};
        if (prof_validity_date(cases[i].verified, cases[i].months, out, &err) != 0)
            fail_msg("%s + %d: %s", cases[i].verified, cases[i].months, err.msg);
        if (strcmp(out, cases[i].valid_until) != 0)
            fail_msg("%s + %d months: %s, expected %s", cases[i].verified, cases[i].months, out,
                     cases[i].valid_until);
    }
    char out[11];
    struct cd_err err = {0};
    assert_int_equal(prof_validity_date("2026-02-30", 12, out, &err), CD_ERR_INVALID);
    assert_string_equal(out, "");
    assert_non_null(strstr(err.msg, "date of verification"));
    assert_int_not_equal(prof_validity_date("2026-12-7", 12, out, NULL), 0);
    assert_int_not_equal(prof_validity_date(NULL, 12, out, NULL), 0);
    assert_int_not_equal(prof_validity_date("2026-12-07", 0, out, NULL), 0);
    assert_int_not_equal(prof_validity_date("2026-12-07", 121, out, NULL), 0);
    assert_int_not_equal(prof_validity_date("9999-06-01", 12, out, NULL), 0);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(prof_kind_name(PROF_KIND_CALIBRATION), "calibration");
    assert_string_equal(prof_kind_name(PROF_KIND_VERIFICATION), "verification");
    assert_string_equal(prof_kind_name(PROF_KIND_UNSET), "calibration"); /* a run made before issue 16 */
    assert_string_equal(prof_read_name(PROF_READ_INSTRUMENT), "instrument");
    assert_string_equal(prof_read_name(PROF_READ_TYPED), "typed");
    assert_string_equal(prof_read_name(PROF_READ_CERTIFIED), "certified");
    assert_string_equal(prof_read_name((enum prof_read)9), "?");
    assert_string_equal(prof_method_name(PROF_METHOD_SET_REFERENCE), "set-reference");
    assert_string_equal(prof_method_name(PROF_METHOD_SET_ITEM), "set-item");
    assert_string_equal(prof_method_name(PROF_METHOD_UNSET), "?");
    assert_string_equal(prof_check_stage_name(PROF_CHECK_EXTERNAL), "external");
    assert_string_equal(prof_check_stage_name(PROF_CHECK_TECHNICAL), "technical");
    assert_string_equal(prof_check_stage_name((enum prof_check_stage)-1), "?");
    assert_string_equal(prof_family_name(PROF_FAMILY_TEMPERATURE), "temperature");
    assert_string_equal(prof_family_name(PROF_FAMILY_DMM), "dmm");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dial_gauge),        cmocka_unit_test(test_nawi),
        cmocka_unit_test(test_sphygmomanometer),  cmocka_unit_test(test_clinical_thermometer),
        cmocka_unit_test(test_types_in_table),    cmocka_unit_test(test_ratio),
        cmocka_unit_test(test_type_not_in_table), cmocka_unit_test(test_cycles_shipped),
        cmocka_unit_test(test_cycles_bad),        cmocka_unit_test(test_validity_date),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
