/* The certificate's reported figures (daq/cert/cert_doc.c, cert.h): the
 * one rounding the PDF, the DCC XML and the JSON share (issue 15 section
 * 5), and the JSON file that carries its digits.
 *
 * Every expected string below is worked out by hand from GUM 7.2.6: U to
 * two significant digits (rounded to the nearest: the decimal place of its
 * second significant digit, and one place fewer when rounding carries into
 * a new digit, 0.00996 -> 0.010), the error, indication and reference value
 * to the same decimal place; no "-0". Ties of an exactly representable
 * half go to even, as printf does (2.5 -> 2 at 0 decimals).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_support.h"

#include "cert.h"

static void fmt_is(double v, int dec, const char *want)
{
    char buf[64];
    cert_fmt(v, dec, buf, sizeof buf);
    if (strcmp(buf, want) != 0)
        fail_msg("cert_fmt(%.17g, %d) = \"%s\", want \"%s\"", v, dec, buf, want);
    /* the rounded value is the number the text reads as */
    if (want[0] != '\0' && cert_round(v, dec) != strtod(want, NULL))
        fail_msg("cert_round(%.17g, %d) = %.17g, the text reads %s", v, dec, cert_round(v, dec),
                 want);
}

static void exact_is(double v, int dec, const char *want)
{
    char buf[64];
    cert_fmt_exact(v, dec, buf, sizeof buf);
    if (strcmp(buf, want) != 0)
        fail_msg("cert_fmt_exact(%.17g, %d) = \"%s\", want \"%s\"", v, dec, buf, want);
}

static void test_decimals(void **state)
{
    (void)state;
    /* the example: U = 0.0023879858541018353 g is 0.0024 g */
    assert_int_equal(cert_decimals(0.0023879858541018353), 4);
    assert_int_equal(cert_decimals(0.0024), 4);
    assert_int_equal(cert_decimals(0.1), 2);          /* 0.10 */
    assert_int_equal(cert_decimals(1.0), 1);          /* 1.0 */
    assert_int_equal(cert_decimals(0.00996), 3);      /* 0.010, not 0.0100 */
    assert_int_equal(cert_decimals(0.0995), 2);       /* 0.10 (0.0995 is a hair above) */
    assert_int_equal(cert_decimals(9.96), 0);         /* 10 */
    assert_int_equal(cert_decimals(12.34), 0);        /* 12 */
    assert_int_equal(cert_decimals(1234), -2);        /* 1200 */
    assert_int_equal(cert_decimals(2.5e-7), 8);       /* 0.00000025 */
    assert_int_equal(cert_decimals(0), CERT_DEC_NONE);
    assert_int_equal(cert_decimals(-1), CERT_DEC_NONE);
    assert_int_equal(cert_decimals(NAN), CERT_DEC_NONE);
    assert_int_equal(cert_decimals(INFINITY), CERT_DEC_NONE);
    /* four significant digits, the annex's budget */
    assert_int_equal(cert_sig_decimals(0.00028867513459481288, 4), 7); /* 0.0002887 */
    assert_int_equal(cert_sig_decimals(-220.000087, 4), 1);             /* -220.0 */
}

static void test_fmt(void **state)
{
    (void)state;
    /* the figures: the XML said 0.0023879858541018353 g, an error
     * of -0.0010270000000005552 g and a reference 220.00008699999998 g;
     * with U's 4 decimals they are 0.0024, -0.0010 and 220.0001 */
    fmt_is(0.0023879858541018353, 4, "0.0024");
    fmt_is(-0.0010270000000005552, 4, "-0.0010");
    fmt_is(220.00008699999998, 4, "220.0001");
    fmt_is(-8.699999997929808e-05, 4, "-0.0001");
    fmt_is(-0.00004, 4, "0.0000");                    /* no "-0.0000" */
    fmt_is(-0.0, 2, "0.00");
    fmt_is(0.00996, 3, "0.010");
    fmt_is(1234, -2, "1200");
    fmt_is(-1251, -2, "-1300");
    fmt_is(2.5, 0, "2");                              /* a tie, to even */
    fmt_is(19.999, 4, "19.9990");
    fmt_is(NAN, 4, "");
    fmt_is(INFINITY, 4, "");
    /* as given: the shortest decimal that reads back */
    fmt_is(220, CERT_DEC_NONE, "220");
    fmt_is(0.05, CERT_DEC_NONE, "0.05");
    fmt_is(-10, CERT_DEC_NONE, "-10");
    fmt_is(1e-7, CERT_DEC_NONE, "0.0000001");
    /* a limit beside rounded figures: exact, at least U's decimals */
    exact_is(0.005, 4, "0.0050");
    exact_is(0.0015, 3, "0.0015");                    /* never rounded away */
    exact_is(3.5000000000000004e-06, CERT_DEC_NONE, "0.0000035"); /* 0.1 x 0.000035 */
    exact_is(0.00105, 5, "0.00105");
}

/* A doc made by hand: two points of a balance in g, figures as
 * cert_doc_build leaves them (already rounded), and one not measured. */
static void make_doc(struct cert_doc *d, struct cert_lab *lab, struct cert_point pts[3])
{
    memset(lab, 0, sizeof *lab);
    snprintf(lab->name_en, sizeof lab->name_en, "Test laboratory");
    snprintf(lab->country, sizeof lab->country, "VN");
    memset(d, 0, sizeof *d);
    d->lab = lab;
    snprintf(d->number, sizeof d->number, "T-1");
    snprintf(d->unit, sizeof d->unit, "g");
    snprintf(d->verdict, sizeof d->verdict, "incomplete");
    snprintf(d->decision_rule, sizeof d->decision_rule, "simple");
    d->temp_c = 20.5;
    d->rh_pct = 45;
    d->p_hpa = NAN;
    pts[0] = (struct cert_point){.nominal = 20, .reference = 20.0000, .mean = 19.999,
                                 .error = -0.001, .U = 0.0024, .k = 2.43, .p = 0.9545,
                                 .mpe = 0.005, .measured = true, .range = NAN, .pfa = 0.0027,
                                 .pfa_dof = 7};
    snprintf(pts[0].verdict, sizeof pts[0].verdict, "pass");
    pts[1] = (struct cert_point){.nominal = 220, .reference = 220.0001, .mean = 220.0,
                                 .error = -0.0001, .U = 0.0024, .k = 2.43, .p = 0.9545,
                                 .mpe = 0.015, .measured = true, .range = NAN, .pfa = 1e-5,
                                 .pfa_dof = INFINITY};
    snprintf(pts[1].verdict, sizeof pts[1].verdict, "pass");
    pts[2] = (struct cert_point){.nominal = 50, .reference = NAN, .mean = NAN, .error = NAN,
                                 .U = NAN, .k = NAN, .p = NAN, .mpe = 0.005, .range = NAN,
                                 .pfa = NAN, .pfa_dof = NAN};
    snprintf(pts[2].verdict, sizeof pts[2].verdict, "not measured");
    d->points = pts;
    d->n_points = 3;
    d->has_pfa = true;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = calloc(1, 1 << 16);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* The JSON file carries each figure's digits: 0.0024, not jansson's
 * 0.0023999999999999998; -0.0010 with its trailing zero; the MPE 0.0050 as
 * the PDF and the XML write it. */
static void test_json_digits(void **state)
{
    (void)state;
    struct cert_doc d;
    struct cert_lab lab;
    struct cert_point pts[3];
    make_doc(&d, &lab, pts);
    char path[] = "/tmp/test_cert_doc_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct cd_err err = {0};
    if (cert_write_json(&d, "ab12", path, &err) != 0)
        fail_msg("cert_write_json: %s", cd_err_text(&err));
    char *text = slurp(path);
    static const char *const want[] = {
        "\"U\": 0.0024,", "\"error\": -0.0010,", "\"reference\": 20.0000,",
        "\"indication\": 19.9990,", "\"mpe\": 0.0050,", "\"k\": 2.43,",
        "\"reference\": 220.0001,", "\"mpe\": 0.0150,", "\"nominal\": 220,",
        "\"coverage_probability\": 0.9545,", "\"pfa\": 0.0027,", "\"pfa_distribution\": \"t\"",
        "\"pfa_distribution\": \"normal\"", "\"temp_c\": 20.5,", "\"rh_pct\": 45,",
        "\"xml_sha256\": \"ab12\"",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (strstr(text, want[i]) == NULL)
            fail_msg("the JSON lacks %s:\n%s", want[i], text);
    assert_null(strstr(text, "0.0023999999999999998"));
    /* and it is JSON, whose numbers are the doc's */
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (j == NULL)
        fail_msg("not JSON: %s (line %d)", je.text, je.line);
    json_t *p0 = json_array_get(json_object_get(j, "results"), 0);
    assert_true(json_real_value(json_object_get(p0, "U")) == 0.0024);
    assert_true(json_real_value(json_object_get(p0, "error")) == -0.001);
    assert_true(json_is_null(json_object_get(json_array_get(json_object_get(j, "results"), 2),
                                             "U")));
    json_decref(j);
    /* cert_json(): the same values as numbers */
    j = cert_json(&d);
    p0 = json_array_get(json_object_get(j, "results"), 0);
    assert_true(json_real_value(json_object_get(p0, "error")) == -0.001);
    json_decref(j);
    free(text);

    /* a text of the certificate that starts with the figures' mark and
     * digits would be read as a figure: refused */
    snprintf(d.customer, sizeof d.customer, "\x01" "123");
    err = (struct cd_err){0};
    assert_int_not_equal(cert_write_json(&d, NULL, path, &err), 0);
    assert_non_null(strstr(err.msg, "control character"));
    unlink(path);
}

int main(void)
{
    use_build_locale();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decimals),
        cmocka_unit_test(test_fmt),
        cmocka_unit_test(test_json_digits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
