/* Readings read by eye and typed (daq/session/typed.c, issue 16): every
 * way a technician can get an entry wrong is refused with its reason in
 * the language of the session, and every right form is read as meant. */
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cd_i18n.h"
#include "session.h"

/* A dial gauge 0 - 16 bar read to 0.1 bar, a value more than 5 MPE from the
 * nominal to be confirmed. */
static const struct prof_side gauge = {.read = PROF_READ_TYPED, .low = 0, .high = 16,
                                       .resolution = 0.1, .confirm_beyond_mpe = 5};

static double value_of(const char *text)
{
    double v = -1;
    char why[256];
    assert_int_equal(ses_typed_value(LANG_VI, &gauge, 0, "bar", text, &v, why, sizeof why), 0);
    return v;
}

static void refused(const struct prof_side *side, enum lang l, const char *text,
                    const char *reason_part)
{
    double v = 0;
    char why[256] = "";
    assert_int_equal(ses_typed_value(l, side, 0, "bar", text, &v, why, sizeof why), -1);
    assert_true(isnan(v));
    if (strstr(why, reason_part) == NULL)
        fail_msg("'%s' refused with '%s', which does not say '%s'", text, why, reason_part);
}

static void decimal_point_and_comma(void **state)
{
    (void)state;
    assert_true(value_of("10,2") == 10.2);
    assert_true(value_of("10.2") == 10.2);
    assert_true(value_of(" 10,2 ") == 10.2);
    assert_true(value_of("0") == 0);
    assert_true(value_of("16") == 16);
    assert_true(value_of("+4,0") == 4);
}

static void letters_and_forms_refused(void **state)
{
    (void)state;
    /* letters, a unit, an exponent, two separators, a thousands separator,
     * nothing at all */
    const char *bad[] = {"abc", "10,2 bar", "1e1", "10,2,3", "1.000,5", "", "  ", "-", ",5x",
                         "12.", "0x10", "10 2", "nan", "inf"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        refused(&gauge, LANG_VI, bad[i], "không phải là số");
    refused(&gauge, LANG_EN, "abc", "is not a number");
}

static void too_many_digits_refused(void **state)
{
    (void)state;
    refused(&gauge, LANG_VI, "10,25", "nhiều chữ số hơn độ phân giải 0.1 bar");
    refused(&gauge, LANG_EN, "10.25", "more digits than the resolution 0.1 bar");
    /* on the steps of the resolution: read to half a division of 0.5 */
    struct prof_side half = gauge;
    half.resolution = 0.25;
    double v;
    char why[256];
    assert_int_equal(ses_typed_value(LANG_EN, &half, 0, "bar", "10,25", &v, why, sizeof why), 0);
    assert_true(v == 10.25);
    refused(&half, LANG_EN, "10,3", "more digits than the resolution 0.25");
    /* the side gives no resolution: the point's */
    struct prof_side none = gauge;
    none.resolution = 0;
    assert_int_equal(ses_typed_value(LANG_EN, &none, 0.5, "bar", "3,5", &v, why, sizeof why), 0);
    assert_int_equal(ses_typed_value(LANG_EN, &none, 0.5, "bar", "3,4", &v, why, sizeof why), -1);
}

static void out_of_range_refused(void **state)
{
    (void)state;
    refused(&gauge, LANG_VI, "16,1", "nằm ngoài phạm vi đo 0 đến 16 bar");
    refused(&gauge, LANG_EN, "-0,1", "outside the instrument's range 0 to 16 bar");
    /* a side with no range takes any number */
    struct prof_side open = gauge;
    open.low = open.high = NAN;
    double v;
    char why[256];
    assert_int_equal(ses_typed_value(LANG_EN, &open, 0, "bar", "99,9", &v, why, sizeof why), 0);
}

static void far_from_nominal_asks(void **state)
{
    (void)state;
    char why[256] = "";
    /* MPE 0.256 bar (class 1.6 on 16 bar): 5 MPE = 1.28 bar */
    assert_false(ses_typed_far(LANG_VI, &gauge, 11.2, 10, 0.256, "bar", why, sizeof why));
    assert_true(ses_typed_far(LANG_VI, &gauge, 11.3, 10, 0.256, "bar", why, sizeof why));
    assert_non_null(strstr(why, "khác xa giá trị danh định 10 bar"));
    struct prof_side never = gauge;
    never.confirm_beyond_mpe = 0;
    assert_false(ses_typed_far(LANG_EN, &never, 100, 10, 0.256, "bar", why, sizeof why));
}

static void checklist_answers(void **state)
{
    (void)state;
    const char *pass[] = {"d", "đạt", "Đạt", "DAT", "dat", " đạt ", "pass", "1", "y"};
    const char *fail[] = {"k", "không đạt", "Không Đạt", "khong dat", "kd", "fail", "0", "n"};
    const char *neither[] = {"", "x", "đạ", "ok", "khong", "2", "đạt đạt"};
    for (size_t i = 0; i < sizeof pass / sizeof pass[0]; i++)
        assert_int_equal(ses_check_answer(pass[i]), 1);
    for (size_t i = 0; i < sizeof fail / sizeof fail[0]; i++)
        assert_int_equal(ses_check_answer(fail[i]), 0);
    for (size_t i = 0; i < sizeof neither / sizeof neither[0]; i++)
        assert_int_equal(ses_check_answer(neither[i]), -1);
}

/* The process in Vietnamese as main() sets it up for --lang vi: the
 * reasons of LANG_VI come from the build's catalogue (make test points
 * CALDAQ_LOCALEDIR at build/locale), those of LANG_EN are the msgids. */
static int vietnamese(void **state)
{
    (void)state;
    const char *dir = getenv("CALDAQ_LOCALEDIR");
    if (dir == NULL || dir[0] == '\0') {
        fprintf(stderr, "CALDAQ_LOCALEDIR is not set: run through make test or make unit\n");
        return -1;
    }
    setenv("LANGUAGE", "vi", 1);
    if (setlocale(LC_CTYPE, "C.UTF-8") == NULL || setlocale(LC_MESSAGES, "C.UTF-8") == NULL)
        return -1;
    if (bindtextdomain(CD_TEXT_DOMAIN, dir) == NULL ||
        bind_textdomain_codeset(CD_TEXT_DOMAIN, "UTF-8") == NULL)
        return -1;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decimal_point_and_comma),
        cmocka_unit_test(letters_and_forms_refused),
        cmocka_unit_test(too_many_digits_refused),
        cmocka_unit_test(out_of_range_refused),
        cmocka_unit_test(far_from_nominal_asks),
        cmocka_unit_test(checklist_answers),
    };
    return cmocka_run_group_tests(tests, vietnamese, NULL);
}
