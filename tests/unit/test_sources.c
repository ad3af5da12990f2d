/* Sources caldaq sets and waits on (issue 19): the pure parsers of the
 * PACE and bath replies, good and bad input; the profile's source:
 * section and its errors with file:line; the set-and-wait trend. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <math.h>

#include "drv.h"
#include "parsers/source.h"
#include "prof.h"
#include "session.h"

static int decode(const char *driver, const char *text, struct drv_reading *r, struct cd_err *e)
{
    return drv_decode(driver, NULL, (const uint8_t *)text, strlen(text), r, e);
}

static void test_pace_good(void **state)
{
    (void)state;
    struct drv_reading r;
    struct cd_err e = {0};
    assert_int_equal(decode("pace", ":SENS:PRES:INL 10.00012, 1\r\n", &r, &e), 0);
    assert_true(fabs(r.value - 10.00012) < 1e-12);
    assert_int_equal(r.status, DRV_STATUS_STABLE);
    assert_string_equal(r.display, "10.00012");
    assert_true(fabs(r.resolution - 1e-5) < 1e-15);
    assert_int_equal(decode("pace", ":SENS:PRES:INL 9.5, 0\n", &r, &e), 0);
    assert_int_equal(r.status, DRV_STATUS_UNSTABLE);
    assert_int_equal(decode("pace", ":SENS:PRES -0.00001\r\n", &r, &e), 0);
    assert_true(fabs(r.value + 1e-5) < 1e-15);
    assert_int_equal(decode("pace", "2.5\n", &r, &e), 0); /* header echo off */
    char h[48];
    double v[2];
    size_t n = 0;
    const char *vent = ":SOUR:PRES:LEV:IMM:AMPL:VENT 2\r\n";
    assert_int_equal(pace_reply(vent, strlen(vent), h, sizeof h, v, &n), 0);
    assert_string_equal(h, ":SOUR:PRES:LEV:IMM:AMPL:VENT");
    assert_int_equal(n, 1);
    assert_true(v[0] == 2);
}

static void test_pace_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",                                  /* empty */
        ":SENS:PRES 10.0",                   /* no line end */
        ":SENS:PRES:INL 10.0\n",             /* in-limits without its flag */
        ":SENS:PRES:INL 10.0, 2\n",          /* a flag that is not 0 or 1 */
        ":SENS:PRES 1, 2\n",                 /* two numbers, not in-limits */
        ":SENS:PRES 1,2,3\n",                /* three */
        ":SENS:PRES abc\n",                  /* not a number */
        ":SENS:PRES 1e999\n",                /* not finite */
        ":SENS:PRES \x01" "1\n",             /* not text */
        ":SYST:ERR -113,\"Undefined header\"\n",
        ":SENS:PRES 1.0.0\n",
        ":SENS:PRES 12345678901234567890123456789\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct drv_reading r;
        struct cd_err e = {0};
        int rc = drv_decode("pace", NULL, (const uint8_t *)bad[i], strlen(bad[i]), &r, &e);
        if (rc != CD_ERR_PROTOCOL)
            fail_msg("pace: '%s' gave %d", bad[i], rc);
        assert_true(isnan(r.value));
        assert_non_null(strstr(e.msg, "pace"));
    }
}

static void test_bath_good(void **state)
{
    (void)state;
    struct drv_reading r;
    struct cd_err e = {0};
    assert_int_equal(decode("bath", "t: 25.003 C\r\n", &r, &e), 0);
    assert_true(fabs(r.value - 25.003) < 1e-12);
    assert_string_equal(r.unit, "\xC2\xB0" "C");
    assert_string_equal(r.display, "25.003");
    assert_int_equal(decode("bath", "set: 150.00 C\r\n", &r, &e), 0);
    assert_true(r.value == 150);
    assert_int_equal(decode("bath", "t: -40.5 F\n", &r, &e), 0);
    assert_string_equal(r.unit, "\xC2\xB0" "F");
}

static void test_bath_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "t: 25.0 C",          /* no line end */
        "t 25.0 C\n",         /* no colon */
        "t: C\n",             /* no number */
        "t: 25.0\n",          /* no unit */
        "t: 25.0 K\n",        /* an unknown unit */
        "t: 25.0 C extra\n",  /* more after it */
        "x: 25.0 C\n",        /* not t or set */
        "ver.7341,2.00\n",    /* identification */
        "Err\r\n",
        "t: 1e400 C\n",
        "\xff: 1 C\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct drv_reading r;
        struct cd_err e = {0};
        int rc = drv_decode("bath", NULL, (const uint8_t *)bad[i], strlen(bad[i]), &r, &e);
        if (rc != CD_ERR_PROTOCOL)
            fail_msg("bath: '%s' gave %d", bad[i], rc);
    }
}

static const char base[] =
    "caldaq_profile: 1\n"
    "name: p\n"
    "title: {en: P, vi: P}\n"
    "method: m\n"
    "family: pressure\n"
    "instrument: {unit: bar, resolution: 0.001, tolerance: {form: en-837-1, class: 0.25, scale: [0, 20]}}\n"
    "standards:\n"
    "  - {role: reference, kind: pressure-reference, id: P-REF-01, reference_value: certificate}\n"
    "plan:\n"
    "  - {test: error, points: [0, 10], repeat: 1}\n"
    "budget:\n"
    "  output: E\n"
    "  expression: \"p_ind - p_ref\"\n"
    "  inputs:\n"
    "    - {name: p_ind, value: mean, u: 0, source: s}\n"
    "    - {name: p_ref, value: ref, u: u_ref, source: s}\n";

static struct prof_profile *with_source(const char *source_line, struct cd_err *e)
{
    char text[4096];
    snprintf(text, sizeof text, "%s%s", base, source_line);
    return prof_profile_load_string(text, "t.yaml", e);
}

static void test_profile_source(void **state)
{
    (void)state;
    struct cd_err e = {0};
    struct prof_profile *p = with_source("source: {driver: pace, band: 0.002}\n", &e);
    if (p == NULL)
        fail_msg("%s", e.msg);
    assert_true(p->set_source.given);
    assert_string_equal(p->set_source.driver, "pace");
    assert_true(p->set_source.band == 0.002);
    assert_true(p->set_source.stable_for_s == 30);
    assert_true(p->set_source.timeout_s == 600);
    prof_profile_free(p);
    p = with_source("", &e);
    assert_non_null(p);
    assert_false(p->set_source.given);
    prof_profile_free(p);
    static const struct {
        const char *line, *says;
    } bad[] = {
        {"source: {driver: fluke, band: 0.002}\n", "t.yaml:17"},
        {"source: {driver: pace}\n", "band is missing"},
        {"source: {driver: pace, band: 0}\n", "band = 0 must be more than 0"},
        {"source: {driver: pace, band: 0.1, stable_for_s: -1}\n", "stable_for_s"},
        {"source: {driver: pace, band: 0.1, stable_for_s: 60, timeout_s: 30}\n",
         "must be longer than stable_for_s"},
        {"source: {driver: pace, band: 0.1, wait: 3}\n", "wait"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct cd_err be = {0};
        struct prof_profile *q = with_source(bad[i].line, &be);
        if (q != NULL || strstr(be.msg, bad[i].says) == NULL || strstr(be.msg, "t.yaml:") == NULL)
            fail_msg("'%s': %s", bad[i].line, q != NULL ? "accepted" : be.msg);
    }
}

static void test_trend(void **state)
{
    (void)state;
    struct ses_source_wait w = {0};
    char buf[64];
    ses_trend_text(&w, buf, sizeof buf);
    assert_string_equal(buf, "");
    double v[] = {0, 1, 2, 3, 4, 5, 6, 7};
    memcpy(w.trend, v, sizeof v);
    w.n_trend = 8;
    ses_trend_text(&w, buf, sizeof buf);
    assert_string_equal(buf, "\xE2\x96\x81\xE2\x96\x82\xE2\x96\x83\xE2\x96\x84\xE2\x96\x85"
                             "\xE2\x96\x86\xE2\x96\x87\xE2\x96\x88");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pace_good),  cmocka_unit_test(test_pace_bad),
        cmocka_unit_test(test_bath_good),  cmocka_unit_test(test_bath_bad),
        cmocka_unit_test(test_profile_source), cmocka_unit_test(test_trend),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
