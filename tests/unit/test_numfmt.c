/* The decimal separator of numbers shown to a person (common/cd_numfmt.c):
 * the comma where asked, the point otherwise; points that are not between
 * digits (a full stop, a file name) untouched; the lab setting's words. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cd.h"

static void test_format(void **state)
{
    (void)state;
    char buf[32];
    assert_int_equal(cd_format_decimal(buf, sizeof buf, 21.5, 1, CD_DECSEP_COMMA), 4);
    assert_string_equal(buf, "21,5");
    cd_format_decimal(buf, sizeof buf, -0.256, 3, CD_DECSEP_COMMA);
    assert_string_equal(buf, "-0,256");
    cd_format_decimal(buf, sizeof buf, 21.5, 1, CD_DECSEP_POINT);
    assert_string_equal(buf, "21.5");
    cd_format_decimal(buf, sizeof buf, 200, 0, CD_DECSEP_COMMA);
    assert_string_equal(buf, "200");
    cd_format_decimal(buf, sizeof buf, 1.25, -3, CD_DECSEP_COMMA);
    assert_string_equal(buf, "1");
    /* cut to the buffer, still terminated, the full length returned */
    char small[4];
    assert_int_equal(cd_format_decimal(small, sizeof small, 123.45, 2, CD_DECSEP_COMMA), 6);
    assert_string_equal(small, "123");
}

static void test_rewrite(void **state)
{
    (void)state;
    char s[] = "U = 0.25 bar at 10.5 bar. See run.h5 (1.5e-3).";
    cd_decimal_sep(s, CD_DECSEP_COMMA);
    assert_string_equal(s, "U = 0,25 bar at 10,5 bar. See run.h5 (1,5e-3).");
    char p[] = "0.25";
    cd_decimal_sep(p, CD_DECSEP_POINT);
    assert_string_equal(p, "0.25");
    char edge[] = ".5 5. .";
    cd_decimal_sep(edge, CD_DECSEP_COMMA);
    assert_string_equal(edge, ".5 5. .");
    assert_null(cd_decimal_sep(NULL, CD_DECSEP_COMMA));
}

static void test_setting(void **state)
{
    (void)state;
    enum cd_decsep d = CD_DECSEP_POINT;
    struct cd_err err = {0};
    assert_int_equal(cd_decsep_parse("comma", &d, &err), 0);
    assert_int_equal(d, CD_DECSEP_COMMA);
    assert_int_equal(cd_decsep_parse("point", &d, &err), 0);
    assert_int_equal(d, CD_DECSEP_POINT);
    assert_int_equal(cd_decsep_parse("Komma", &d, &err), CD_ERR_INVALID);
    assert_non_null(strstr(err.msg, "'Komma' is neither comma nor point"));
    assert_int_equal(cd_decsep_default("vi"), CD_DECSEP_COMMA);
    assert_int_equal(cd_decsep_default("vi_VN.UTF-8"), CD_DECSEP_COMMA);
    assert_int_equal(cd_decsep_default("en"), CD_DECSEP_POINT);
    assert_int_equal(cd_decsep_default("vind"), CD_DECSEP_POINT);
    assert_int_equal(cd_decsep_default(NULL), CD_DECSEP_POINT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_rewrite),
        cmocka_unit_test(test_setting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
