/* The reference-thermometer drivers (docs/temperature.md): the parsers of
 * fluke-ttr, fluke-1529 and millik on good and bad bytes (what a bench
 * sees: garbage, lines cut short, replies that are not readings, numbers no
 * readout sends, overlong lines), the shared helpers, and the drivers
 * against their simulators on a pty (options refused, readings, faults). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <math.h>
#include <time.h>

#include "drv.h"
#include "sim_harness.h"
#include "parsers/thermo.h"

#define OPTS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define DEG_C "\xC2\xB0" "C"
#define OHM "\xCE\xA9"

static int parse(const char *driver, const char *bytes, size_t len, struct drv_reading *r,
                 struct cd_err *err)
{
    memset(err, 0, sizeof *err);
    return drv_decode(driver, NULL, (const uint8_t *)bytes, len, r, err);
}

static void good(const char *driver, const char *bytes, double value, const char *unit,
                 const char *display, double resolution)
{
    struct drv_reading r;
    struct cd_err err;
    if (parse(driver, bytes, strlen(bytes), &r, &err) != 0)
        fail_msg("%s \"%s\": %s", driver, bytes, err.msg);
    assert_int_equal(r.status, DRV_STATUS_STABLE);
    assert_true(fabs(r.value - value) < 1e-12);
    assert_string_equal(r.unit, unit);
    assert_string_equal(r.display, display);
    assert_true(fabs(r.resolution - resolution) < 1e-15);
}

static void bad(const char *driver, const char *bytes, size_t len, const char *why)
{
    struct drv_reading r;
    struct cd_err err;
    int rc = parse(driver, bytes, len, &r, &err);
    if (rc != CD_ERR_PROTOCOL || strstr(err.msg, why) == NULL)
        fail_msg("%s: %d \"%s\", expected a protocol error with \"%s\"", driver, rc, err.msg,
                 why);
    assert_non_null(strstr(err.msg, driver));
}

static void device_error(const char *driver, const char *bytes, const char *text)
{
    struct drv_reading r;
    struct cd_err err;
    assert_int_equal(parse(driver, bytes, strlen(bytes), &r, &err), 0);
    assert_int_equal(r.status, DRV_STATUS_ERROR);
    assert_true(isnan(r.value));
    assert_string_equal(r.error, text);
}

/* ------------------------------------------------------------ parsers */

static void test_ttr_parser(void **state)
{
    (void)state;
    good("fluke-ttr", "t:   25.587 C\r\n", 25.587, DEG_C, "25.587", 0.001);
    good("fluke-ttr", "t:   25.587 C\r", 25.587, DEG_C, "25.587", 0.001);
    good("fluke-ttr", "t:   25.587 c 14:24:00\r\n", 25.587, DEG_C, "25.587", 0.001);
    good("fluke-ttr", "r: 100.0034 O\r\n", 100.0034, OHM, "100.0034", 0.0001);
    good("fluke-ttr", "t:  298.737 K\r\n", 298.737, "K", "298.737", 0.001);
    good("fluke-ttr", "t:-200.000 C\n", -200.0, DEG_C, "-200.000", 0.001);
    good("fluke-ttr", "25.587\r\n", 25.587, "", "25.587", 0.001);
    device_error("fluke-ttr", "Error: unknown command\r\n", "Error: unknown command");

    bad("fluke-ttr", "", 0, "empty frame");
    bad("fluke-ttr", "\r\n", 2, "empty line");
    bad("fluke-ttr", "t:   25.587 C", 13, "no line end");
    bad("fluke-ttr", "t:   25.5\x00\x01 C\r\n", 15, "not text");
    bad("fluke-ttr", "t:   25.587 X\r\n", 15, "not a reading");
    bad("fluke-ttr", "t:   25.587\r\n", 13, "not a reading");            /* no unit */
    bad("fluke-ttr", "t: C\r\n", 6, "not a reading");                      /* no number */
    bad("fluke-ttr", "t:   25.587 C 14:24\r\n", 21, "not a reading");     /* half a time */
    bad("fluke-ttr", "t:   25.587 C 14:24:00 junk\r\n", 29, "not a reading");
    bad("fluke-ttr", "x:   25.587 C\r\n", 15, "label other than");
    bad("fluke-ttr", "t:   2x.587 C\r\n", 15, "not a number");
    bad("fluke-ttr", "t:   1e999 C\r\n", 14, "not a number");
    bad("fluke-ttr", "t:   nan C\r\n", 12, "not a number");
    bad("fluke-ttr", "HART,1502A,A12345,1.10\r\n", 24, "not a reading");
    bad("fluke-ttr", "u=c\r\n", 5, "not a reading");
    bad("fluke-ttr", "25.587\r\r\n", 9, "not text");                       /* a CR inside */
    char longline[300];
    memset(longline, '1', sizeof longline);
    longline[sizeof longline - 1] = '\n';
    bad("fluke-ttr", longline, sizeof longline, "not a reading");
}

static void test_1529_parser(void **state)
{
    (void)state;
    good("fluke-1529", "25.1234\r\n", 25.1234, "", "25.1234", 0.0001);
    good("fluke-1529", "1: 25.1234 C\r\n", 25.1234, DEG_C, "25.1234", 0.0001);
    good("fluke-1529", "4: 109.7351 O 10:15:30 2026-12-07\r\n", 109.7351, OHM, "109.7351",
         0.0001);
    device_error("fluke-1529", "-222,\"Data out of range\"\r\n", "-222,\"Data out of range\"");

    bad("fluke-1529", "0,\"No error\"\r\n", 14, "error queue is empty");
    bad("fluke-1529", "5: 25.1234 C\r\n", 14, "no channel 1-4");
    bad("fluke-1529", "12: 25.1234 C\r\n", 15, "no channel 1-4");
    bad("fluke-1529", "1: 25.1234 C 10:15:30 2026-12\r\n", 31, "not a reading");
    bad("fluke-1529", "25.1234,25.1244\r\n", 17, "not a reading");
    bad("fluke-1529", "HART,1529,A12345,1.00\r\n", 23, "not a reading");
    bad("fluke-1529", "\xff\xfe" "25.1234\r\n", 11, "not text");
    bad("fluke-1529", "25.12", 5, "no line end");
}

static void test_millik_parser(void **state)
{
    (void)state;
    good("millik", "109.73458\r", 109.73458, "", "109.73458", 1e-5);
    good("millik", "-0.00012\r\n", -0.00012, "", "-0.00012", 1e-5);
    good("millik", "1.0E+2\r", 100.0, "", "1.0E+2", 10.0);
    device_error("millik", "Error: Invalid range\r", "Error: Invalid range");

    bad("millik", "Isothermal Technology,milliK,21-P2460,4.0.0\r", 44, "not a reading");
    bad("millik", "NAN\r", 4, "not a reading");
    bad("millik", "1e37\r", 5, "not a reading");                            /* absurd */
    bad("millik", "109.73\t458\r", 11, "not a reading");
    bad("millik", "109.73", 6, "no line end");
    bad("millik", "\x80" "109.73458\r", 11, "not text");
    /* a reading in another parser's clothes */
    bad("millik", "t:   25.587 C\r", 14, "not a reading");
}

static void test_thermo_helpers(void **state)
{
    (void)state;
    assert_string_equal(thermo_unit('c'), DEG_C);
    assert_string_equal(thermo_unit('O'), OHM);
    assert_null(thermo_unit('X'));
    char label[12], letter = 0;
    const char *nb, *ne;
    const char *s = "t:   25.587 C";
    assert_int_equal(thermo_labelled(s, s + strlen(s), label, sizeof label, &nb, &ne, &letter), 0);
    assert_string_equal(label, "t");
    assert_int_equal(letter, 'C');
    assert_int_equal((int)(ne - nb), 6);
    /* a label longer than 8, or than the caller's buffer */
    s = "abcdefghi: 1 C";
    assert_int_equal(thermo_labelled(s, s + strlen(s), label, sizeof label, &nb, &ne, &letter),
                     -1);
    s = "abcd: 1 C";
    assert_int_equal(thermo_labelled(s, s + strlen(s), label, 3, &nb, &ne, &letter), -1);
    s = "t:";
    assert_int_equal(thermo_labelled(s, s + strlen(s), label, sizeof label, &nb, &ne, &letter),
                     -1);
}

/* ------------------------------------------------------------ drivers */

static void open_fails(const char *driver, const char *port, const char *const *opts,
                       const char *why)
{
    drv_dev *d = NULL;
    struct cd_err err = {0};
    int rc = drv_open(driver, port, NULL, opts, NULL, &d, &err);
    assert_null(d);
    if (rc != CD_ERR_INVALID || strstr(err.msg, why) == NULL)
        fail_msg("drv_open %s: %d \"%s\", expected \"%s\"", driver, rc, err.msg, why);
}

static void test_driver_options(void **state)
{
    (void)state;
    struct sim_pty p;
    sim_start(&p, "millik", NULL);
    open_fails("fluke-ttr", p.pty.path, OPTS("unit=X"), "unit=X: expected C, F, K or O");
    open_fails("fluke-ttr", p.pty.path, OPTS("cmd=READ"), "cmd=READ: expected T or FETC");
    open_fails("fluke-1529", p.pty.path, OPTS("ch=5"), "ch=5: expected a channel 1 to 4");
    open_fails("fluke-1529", p.pty.path, OPTS("ch="), "expected a channel");
    open_fails("millik", p.pty.path, OPTS("ch=18"), "ch=18");
    open_fails("millik", p.pty.path, OPTS("ch=3"), "ch=3");
    open_fails("millik", p.pty.path, OPTS("range=100"), "expected 115, 460 or 500000");
    open_fails("millik", p.pty.path, OPTS("func=volt"), "expected res or temp");
    open_fails("millik", p.pty.path, OPTS("wires=2"), "expected 3 or 4");
    open_fails("millik", p.pty.path, OPTS("current=2mA"), "expected NORM or ROOT2");
    open_fails("millik", p.pty.path, OPTS("colour=red"), "unknown option 'colour'");
    sim_stop(&p);
}

static void test_ttr_driver(void **state)
{
    (void)state;
    struct sim_pty p;
    sim_start(&p, "fluke-ttr", OPTS("loads=25.587,-38.834", "noise=0", "duplex=full"));
    /* full duplex at first: the echoes of DU=H and *IDN? are skipped */
    drv_dev *d = open_ok("fluke-ttr", p.pty.path, NULL, OPTS("unit=K"), NULL);
    struct drv_identity id;
    struct cd_err err = {0};
    assert_int_equal(drv_identify(d, &id, &err), 0);
    assert_string_equal(id.manufacturer, "HART");
    assert_string_equal(id.model, "1502A");
    struct drv_reading r;
    read_ok(d, &r);
    assert_string_equal(r.unit, "K");
    assert_string_equal(r.display, "298.737");
    sim_ctl(&p, "next");
    read_ok(d, &r);
    assert_true(fabs(r.value - 234.316) < 1e-9);
    drv_close(d);
    d = open_ok("fluke-ttr", p.pty.path, NULL, OPTS("unit=O", "cmd=FETC"), NULL);
    read_ok(d, &r);
    assert_string_equal(r.unit, OHM);                   /* FETC? has no unit: from U= */
    assert_string_equal(r.display, "84.7320");          /* Pt100 at -38.834 degC */
    drv_close(d);
    sim_stop(&p);
}

static void test_1529_driver(void **state)
{
    (void)state;
    struct sim_pty p;
    sim_start(&p, "fluke-1529", OPTS("loads=25.1234", "noise=0", "error_every=4"));
    drv_dev *d = open_ok("fluke-1529", p.pty.path, NULL, OPTS("ch=3", "timeout_ms=300"), NULL);
    struct drv_reading r;
    read_ok(d, &r);                                      /* request 3: MEAS? 3 */
    assert_string_equal(r.unit, DEG_C);
    assert_string_equal(r.display, "25.1264");
    read_fails(d, CD_ERR_DEVICE, "the readout reports -102,\"Syntax error\"");
    drv_close(d);
    sim_stop(&p);

    /* periodic output running: its lines are not taken as MEAS?'s reply */
    sim_start(&p, "fluke-1529", OPTS("loads=25.1234", "noise=0"));
    struct drv_pty *pty = &p.pty;
    d = open_ok("fluke-1529", pty->path, NULL, OPTS("ch=2"), NULL);
    struct cd_err err = {0};
    /* MEAS:PER 1 sent on the side, through a second handle on the port */
    drv_transport *t = NULL;
    assert_int_equal(drv_transport_open(pty->path, NULL, &t, &err), 0);
    assert_int_equal(drv_transport_write(t, "MEAS:PER 1\n", 11, 500, &err), 0);
    drv_transport_close(t);
    nanosleep(&(struct timespec){.tv_sec = 1, .tv_nsec = 200000000}, NULL); /* lines wait */
    for (int i = 0; i < 3; i++) {
        read_ok(d, &r);
        assert_string_equal(r.display, "25.1254");
        assert_string_equal(r.unit, DEG_C);
    }
    drv_close(d);
    sim_stop(&p);
}

static void test_millik_driver(void **state)
{
    (void)state;
    struct sim_pty p;
    sim_start(&p, "millik", OPTS("loads=0,25", "noise=0", "garbage_every=3"));
    drv_dev *d = open_ok("millik", p.pty.path, NULL, NULL, NULL);
    struct drv_identity id;
    struct cd_err err = {0};
    assert_int_equal(drv_identify(d, &id, &err), 0);
    assert_string_equal(id.model, "milliK");
    assert_string_equal(id.serial, "21-P2460");
    struct drv_reading r;
    read_ok(d, &r);                                      /* garbage before it: resynced */
    assert_string_equal(r.unit, OHM);
    assert_string_equal(r.display, "100.00000");
    drv_close(d);
    d = open_ok("millik", p.pty.path, NULL, OPTS("func=temp", "ch=2"), NULL);
    sim_ctl(&p, "next");
    read_ok(d, &r);
    assert_string_equal(r.unit, DEG_C);
    assert_string_equal(r.display, "25.0000");
    drv_close(d);
    sim_stop(&p);

    sim_start(&p, "millik", OPTS("error_every=2"));
    d = open_ok("millik", p.pty.path, NULL, OPTS("timeout_ms=300"), NULL);
    read_fails(d, CD_ERR_DEVICE, "MEAS:RES1? 115,NORM,4 answered with an error: Error: Invalid "
                                 "command");
    drv_close(d);
    sim_stop(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ttr_parser),     cmocka_unit_test(test_1529_parser),
        cmocka_unit_test(test_millik_parser),  cmocka_unit_test(test_thermo_helpers),
        cmocka_unit_test(test_driver_options), cmocka_unit_test(test_ttr_driver),
        cmocka_unit_test(test_1529_driver),    cmocka_unit_test(test_millik_driver),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
