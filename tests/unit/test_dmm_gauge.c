/* The SCPI multimeter driver and the Modbus gauge driver, and their pure
 * parsers:
 *   - every fixture in tests/fixtures/scpi and tests/fixtures/modbus
 *     (<case>.bytes decoded, compared with <case>.expect; a <case>.map
 *     gives Modbus register-map options), and bad input per parser;
 *   - the register maps: options, presets, checks, every integer type;
 *   - "scpi" end to end against the 34401A simulator on a pty: identify,
 *     configuration, readings, overload, the meter's own errors, the
 *     core's faults, and a recorded session replayed with drv_replay;
 *   - "modbus" against Debian's pymodbus server (tests/peers/
 *     modbus_gauge_server.py) over TCP on loopback and over RTU through a
 *     pair of ptys whose masters a thread joins (pymodbus's serial server
 *     on one slave, libmodbus on the other), in every word order, with the
 *     presets and with explicit flags; and against our own simulator,
 *     both maps, exceptions and bad CRCs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "drv.h"
#include "modbus_harness.h"
#include "test_support.h"
#include "sim_harness.h"
#include "modbus_words.h"
#include "parsers/modbus_map.h"
#include "parsers/scpi.h"

extern char **environ;

#define PYTHON "/usr/bin/python3"
#define GAUGE_PEER "tests/peers/modbus_gauge_server.py"
#define FIXTURES "tests/fixtures"

#define OPTS(...) ((const char *const[]){__VA_ARGS__, NULL})

static const char *const order_names[] = {"ABCD", "CDAB", "BADC", "DCBA"};

/* ------------------------------------------------------------ files */

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    uint8_t *buf = malloc(4096);
    assert_non_null(buf);
    *len = fread(buf, 1, 4095, f);
    buf[*len] = 0;
    fclose(f);
    return buf;
}

/* ------------------------------------------------------------ fixtures */

static void check_fixture(const char *driver, const char *name)
{
    char path[512];
    size_t len = 0, map_len = 0;
    snprintf(path, sizeof path, FIXTURES "/%s/%s.bytes", driver, name);
    uint8_t *bytes = slurp(path, &len);
    if (bytes == NULL)
        fail_msg("%s: %s", path, strerror(errno));
    snprintf(path, sizeof path, FIXTURES "/%s/%s.expect", driver, name);
    json_error_t jerr;
    json_t *expect = json_load_file(path, 0, &jerr);
    if (expect == NULL)
        fail_msg("%s: %s (line %d)", path, jerr.text, jerr.line);
    snprintf(path, sizeof path, FIXTURES "/%s/%s.map", driver, name);
    char *map_text = (char *)slurp(path, &map_len);

    struct drv_reading r;
    struct cd_err err = {0};
    int rc;
    if (map_text != NULL) {
        struct modbus_map m;
        modbus_map_init(&m);
        for (char *save = NULL, *tok = strtok_r(map_text, " \t\r\n", &save); tok != NULL;
             tok = strtok_r(NULL, " \t\r\n", &save)) {
            char *eq = strchr(tok, '=');
            assert_non_null(eq);
            *eq = '\0';
            if (modbus_map_option(&m, tok, eq + 1, &err) != 0)
                fail_msg("%s.map: %s", name, cd_err_text(&err));
        }
        rc = modbus_map_decode_frame(&m, bytes, len, &r, &err);
    } else {
        const struct drv_parser *p = drv_parser_find(driver);
        assert_non_null(p);
        rc = p->parse(bytes, len, &r, &err);
    }

    /* {"error": TEXT} alone: the parser fails with TEXT in its message;
     * with "status": a reading, and "error" the instrument's own text */
    json_t *want_err = json_object_get(expect, "error");
    if (json_object_get(expect, "status") == NULL) {
        assert_non_null(want_err);
        if (rc != CD_ERR_PROTOCOL)
            fail_msg("%s/%s: expected a protocol error, got %d (%s)", driver, name, rc,
                     rc == 0 ? drv_status_name(r.status) : cd_err_text(&err));
        if (strstr(err.msg, json_string_value(want_err)) == NULL)
            fail_msg("%s/%s: message \"%s\" lacks \"%s\"", driver, name, err.msg,
                     json_string_value(want_err));
    } else {
        if (rc != 0)
            fail_msg("%s/%s: %s", driver, name, cd_err_text(&err));
        json_t *v = json_object_get(expect, "value");
        if (json_is_null(v)) {
            if (!isnan(r.value))
                fail_msg("%s/%s: value %.17g, expected none", driver, name, r.value);
        } else {
            double want = json_number_value(v);
            if (!(fabs(r.value - want) <= 1e-12 * fabs(want)))
                fail_msg("%s/%s: value %.17g, expected %.17g", driver, name, r.value, want);
        }
        const char *want_unit = json_string_value(json_object_get(expect, "unit"));
        const char *want_status = json_string_value(json_object_get(expect, "status"));
        const char *want_display = json_string_value(json_object_get(expect, "display"));
        assert_non_null(want_unit);
        assert_non_null(want_status);
        assert_non_null(want_display);
        if (strcmp(r.unit, want_unit) != 0 || strcmp(drv_status_name(r.status), want_status) != 0 ||
            strcmp(r.display, want_display) != 0)
            fail_msg("%s/%s: got unit \"%s\" status %s display \"%s\"; expected \"%s\" %s \"%s\"",
                     driver, name, r.unit, drv_status_name(r.status), r.display, want_unit,
                     want_status, want_display);
        const char *want_ie = want_err != NULL ? json_string_value(want_err) : "";
        if (strcmp(r.error, want_ie) != 0)
            fail_msg("%s/%s: instrument error \"%s\", expected \"%s\"", driver, name, r.error,
                     want_ie);
        assert_true(r.t == 0);
    }
    json_decref(expect);
    free(bytes);
    free(map_text);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every <case>.bytes of a folder; returns how many. */
static size_t check_folder(const char *driver)
{
    char dir[256];
    snprintf(dir, sizeof dir, FIXTURES "/%s", driver);
    DIR *d = opendir(dir);
    if (d == NULL)
        fail_msg("%s: %s", dir, strerror(errno));
    char *names[256];
    size_t n = 0;
    size_t expects = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l > 7 && strcmp(e->d_name + l - 7, ".expect") == 0)
            expects++;
        if (l > 6 && strcmp(e->d_name + l - 6, ".bytes") == 0) {
            assert_true(n < 256);
            names[n] = strndup(e->d_name, l - 6);
            n++;
        }
    }
    closedir(d);
    assert_int_equal(expects, n);   /* no .expect without its .bytes */
    qsort(names, n, sizeof names[0], cmp_str);
    for (size_t i = 0; i < n; i++) {
        check_fixture(driver, names[i]);
        free(names[i]);
    }
    return n;
}

static void test_fixtures(void **state)
{
    (void)state;
    assert_true(check_folder("scpi") >= 17);
    assert_true(check_folder("modbus") >= 33);
}

/* ------------------------------------------------------------ bad input, SCPI */

static int scpi_parse(const char *text, size_t len, struct drv_reading *r, struct cd_err *err)
{
    cd_err_clear(err);
    return drv_parser_find("scpi")->parse((const uint8_t *)text, len, r, err);
}

#define SCPI_BAD(lit, why)                                                                     \
    do {                                                                                       \
        struct drv_reading r_;                                                                 \
        struct cd_err e_ = {0};                                                                \
        int rc_ = scpi_parse(lit, sizeof(lit) - 1, &r_, &e_);                                  \
        if (rc_ != CD_ERR_PROTOCOL || strstr(e_.msg, why) == NULL)                             \
            fail_msg("\"%s\": %d \"%s\", expected \"%s\"", lit, rc_, e_.msg, why);             \
        assert_true(isnan(r_.value));                                                          \
    } while (0)

static void test_scpi_bad_input(void **state)
{
    (void)state;
    SCPI_BAD("", "an empty frame");
    SCPI_BAD("+1.00001230E+01", "no line end");
    SCPI_BAD("+1.00001230E+01\r", "no line end");
    SCPI_BAD("+1.000\x00" "01230E+01\r\n", "not text");
    SCPI_BAD("+1.00\r001230E+01\r\n", "not text");
    SCPI_BAD("\x1b[0m+1.0E+00\r\n", "not text");
    SCPI_BAD("nan\r\n", "not a number");
    SCPI_BAD("+NaN\r\n", "not a number");
    SCPI_BAD("INF\r\n", "not a number");
    SCPI_BAD("-inf\r\n", "not a number");
    SCPI_BAD("0x1p3\r\n", "not a number");
    SCPI_BAD("+\r\n", "not a number");
    SCPI_BAD(".\r\n", "not a number");
    SCPI_BAD("1.0E\r\n", "not a number");
    SCPI_BAD("1.0E+\r\n", "not a number");
    SCPI_BAD("1.0E+0001\r\n", "not a number");          /* 4 exponent digits */
    SCPI_BAD("1.0 V\r\n", "not a number");
    SCPI_BAD("12345678901234567890123\r\n", "not a number");
    SCPI_BAD("+1.00000000E+38\r\n", "no meter sends");
    SCPI_BAD("-5.00000000E+37\r\n", "no meter sends");   /* between real and overload */
    SCPI_BAD("+1.00000000E+36\r\n", "no meter sends");
    SCPI_BAD("+1.0E-300\r\n", "no meter sends");
    SCPI_BAD("+1.0E+999\r\n", "no meter sends");
    SCPI_BAD("+1.0E+00,+2.0E+00\r\n", "not one reading");
    SCPI_BAD("+1.0E+00;+2.0E+00\r\n", "not one reading");
    SCPI_BAD("-113,\"Undefined header\r\n", "not one reading");  /* truncated quote */
    SCPI_BAD("-113,Undefined header\r\n", "not one reading");
    SCPI_BAD("+0,\"No error\"\r\n", "error queue is empty");
    SCPI_BAD("   \t\r\n", "an empty line");
    SCPI_BAD("+1.000000000000000000000000000000000000000000000000000000000000000000E+00\r\n",
             "not a number");

    /* accepted forms */
    struct drv_reading r;
    struct cd_err err = {0};
    assert_int_equal(scpi_parse(".5\n", 3, &r, &err), 0);
    assert_true(r.value == 0.5);
    assert_true(fabs(r.resolution - 0.1) < 1e-15);
    assert_int_equal(scpi_parse("  -12\r\n", 7, &r, &err), 0);
    assert_true(r.value == -12);
    assert_true(r.resolution == 1);
    assert_string_equal(r.display, "-12");
    assert_int_equal(scpi_parse("+9.91000000E+37\r\n", 17, &r, &err), 0);
    assert_int_equal(r.status, DRV_STATUS_OVERLOAD);
    assert_int_equal(scpi_parse("+1.00001230E+01\r\n", 17, &r, &err), 0);
    assert_true(fabs(r.resolution - 1e-7) < 1e-20);
    assert_int_equal(r.status, DRV_STATUS_STABLE);
    assert_int_equal(scpi_parse("+1.00001230E+01\r\n", 17, &r, NULL), 0);
    assert_int_equal(scpi_parse("garbage\r\n", 9, &r, NULL), CD_ERR_PROTOCOL);
    /* device-specific (positive) errors are errors too */
    assert_int_equal(scpi_parse("+514,\"Not allowed\"\r\n", 20, &r, &err), 0);
    assert_int_equal(r.status, DRV_STATUS_ERROR);
    assert_string_equal(r.error, "+514,\"Not allowed\"");

    int code = 99;
    char text[64];
    assert_int_equal(scpi_error_entry("+0,\"No error\"\r\n", 15, &code, text, sizeof text), 1);
    assert_int_equal(code, 0);
    assert_string_equal(text, "+0,\"No error\"");
    assert_int_equal(scpi_error_entry("-113,\"Undefined header\"", 23, &code, text, 8), 1);
    assert_int_equal(code, -113);
    assert_string_equal(text, "-113,\"U");   /* cut to the buffer */
    assert_int_equal(scpi_error_entry("+1.0E+00\r\n", 10, &code, text, sizeof text), 0);
    assert_int_equal(scpi_error_entry(",\"x\"", 4, &code, text, sizeof text), 0);
    assert_int_equal(scpi_error_entry("1234567,\"x\"", 11, &code, text, sizeof text), 0);
    assert_int_equal(scpi_error_entry("-1,\"a\"b\"", 8, &code, text, sizeof text), 0);
    assert_int_equal(scpi_error_entry("-1,\"", 4, &code, text, sizeof text), 0);
}

/* ------------------------------------------------------------ bad input, Modbus */

static size_t with_crc(uint8_t *frame, size_t len_without)
{
    uint16_t crc = drv_modbus_crc16(frame, len_without);
    frame[len_without] = (uint8_t)(crc & 0xFF);
    frame[len_without + 1] = (uint8_t)(crc >> 8);
    return len_without + 2;
}

#define MB_BAD(m, frame, len, why)                                                             \
    do {                                                                                       \
        struct drv_reading r_;                                                                 \
        struct cd_err e_ = {0};                                                                \
        int rc_ = modbus_map_decode_frame(m, frame, len, &r_, &e_);                            \
        if (rc_ != CD_ERR_PROTOCOL || strstr(e_.msg, why) == NULL)                             \
            fail_msg("line %d: %d \"%s\", expected \"%s\"", __LINE__, rc_, e_.msg, why);       \
    } while (0)

static void test_modbus_bad_input(void **state)
{
    (void)state;
    const struct drv_parser *p = drv_parser_find("modbus");
    assert_non_null(p);
    assert_string_equal(p->driver, "modbus");
    uint8_t f[64];
    struct drv_reading r;
    struct cd_err err = {0};

    MB_BAD(NULL, f, 0, "an empty frame");
    memcpy(f, "\x01\x03\x04\x3F", 4);
    MB_BAD(NULL, f, 4, "too short");
    /* byte count says 4, 2 data bytes follow */
    memcpy(f, "\x01\x03\x04\x3F\x9E", 5);
    size_t n = with_crc(f, 5);
    MB_BAD(NULL, f, n, "byte count does not match");
    /* odd byte count */
    memcpy(f, "\x01\x03\x03\x3F\x9E\x04", 6);
    n = with_crc(f, 6);
    MB_BAD(NULL, f, n, "byte count does not match");
    /* byte count 0 */
    memcpy(f, "\x01\x03\x00", 3);
    n = with_crc(f, 3);
    MB_BAD(NULL, f, n, "byte count does not match");
    /* a frame with one byte too many */
    memcpy(f, "\x01\x03\x04\x3F\x9E\x04\x19\x00", 8);
    n = with_crc(f, 8);
    MB_BAD(NULL, f, n, "byte count does not match");
    /* one CRC bit off */
    memcpy(f, "\x01\x03\x04\x3F\x9E\x04\x19\x54\xC2", 9);
    MB_BAD(NULL, f, 9, "bad CRC (the frame says 54 C2, its bytes give 54 C3)");
    /* a data bit off */
    memcpy(f, "\x01\x03\x04\x3F\x9E\x05\x19\x54\xC3", 9);
    MB_BAD(NULL, f, 9, "bad CRC");
    /* exception frame with a byte too many */
    memcpy(f, "\x01\x83\x02\x00", 4);
    n = with_crc(f, 4);
    MB_BAD(NULL, f, n, "exception reply of the wrong length");
    /* from address 0 */
    memcpy(f, "\x00\x03\x04\x3F\x9E\x04\x19", 7);
    n = with_crc(f, 7);
    MB_BAD(NULL, f, n, "address 0");
    /* FC 0x2B, FC 16 echo */
    memcpy(f, "\x01\x2B\x0E\x01\x00", 5);
    n = with_crc(f, 5);
    MB_BAD(NULL, f, n, "function 2B");
    memcpy(f, "\x01\x10\x00\x03\x00\x01", 6);
    n = with_crc(f, 6);
    MB_BAD(NULL, f, n, "function 10");
    /* a TCP ADU whose length field is wrong is not taken for TCP: bad CRC */
    memcpy(f, "\x00\x01\x00\x00\x00\x08\x01\x03\x04\x3F\x9E\x04\x19", 13);
    MB_BAD(NULL, f, 13, "bad CRC");
    /* a TCP exception ADU */
    memcpy(f, "\x00\x01\x00\x00\x00\x03\x01\x83\x0B", 9);
    assert_int_equal(p->parse(f, 9, &r, &err), 0);
    assert_int_equal(r.status, DRV_STATUS_ERROR);
    assert_string_equal(r.error, "Modbus exception 0B (gateway target device failed to respond)");
    /* 125 registers: the most one reply holds; 3 or more need a map */
    f[0] = 1;
    f[1] = 3;
    f[2] = 250;
    uint8_t big[260];
    memcpy(big, f, 3);
    memset(big + 3, 0, 250);
    n = with_crc(big, 253);
    MB_BAD(NULL, big, n, "without a register map");
    /* the unknown exception code */
    memcpy(f, "\x01\x83\x55", 3);
    n = with_crc(f, 3);
    assert_int_equal(p->parse(f, n, &r, &err), 0);
    assert_string_equal(r.error, "Modbus exception 55 (unknown exception)");
    /* NULL err is fine */
    memcpy(f, "\x01\x03\x04\x3F\x9E\x04\x19\x54\xC2", 9);
    assert_int_equal(p->parse(f, 9, &r, NULL), CD_ERR_PROTOCOL);
}

/* ------------------------------------------------------------ register maps */

static void map_opt_ok(struct modbus_map *m, const char *k, const char *v)
{
    struct cd_err err = {0};
    if (modbus_map_option(m, k, v, &err) != 0)
        fail_msg("%s=%s: %s", k, v, cd_err_text(&err));
}

static void map_opt_bad(struct modbus_map *m, const char *k, const char *v, const char *why)
{
    struct cd_err err = {0};
    int rc = modbus_map_option(m, k, v, &err);
    if (rc != CD_ERR_INVALID || strstr(err.msg, why) == NULL)
        fail_msg("%s=%s: %d \"%s\", expected \"%s\"", k, v, rc, err.msg, why);
}

static void test_map_options(void **state)
{
    (void)state;
    struct modbus_map m;
    struct cd_err err = {0};
    modbus_map_init(&m);
    assert_int_equal(modbus_map_check(&m, &err), CD_ERR_INVALID);
    assert_non_null(strstr(err.msg, "no register map: give preset=NAME"));
    cd_err_clear(&err);
    assert_int_equal(modbus_map_option(&m, "baud", "9600", &err), CD_ERR_NOT_FOUND);
    assert_int_equal(err.code, 0);  /* not the map's: no message */

    map_opt_bad(&m, "preset", "druck", "no preset 'druck'");
    map_opt_bad(&m, "register", "-1", "register address 0-65535");
    map_opt_bad(&m, "register", "65536", "register address");
    map_opt_bad(&m, "register", "0x", "register address");
    map_opt_bad(&m, "register", "12abc", "register address");
    map_opt_bad(&m, "register", "", "register address");
    map_opt_bad(&m, "register", " 2", "register address");
    map_opt_bad(&m, "type", "double", "expected int16");
    map_opt_bad(&m, "order", "ABDC", "expected ABCD");
    map_opt_bad(&m, "function", "6", "expected 3 to 4");
    map_opt_bad(&m, "function", "three", "expected 3 to 4");
    map_opt_bad(&m, "unit_id", "256", "expected 0 to 255");
    map_opt_bad(&m, "scale", "0", "non-zero number");
    map_opt_bad(&m, "scale", "nan", "non-zero number");
    map_opt_bad(&m, "scale", "1e999", "non-zero number");
    map_opt_bad(&m, "dp_register", "x", "register address");
    map_opt_bad(&m, "unit", "", "1 to 15 characters");
    map_opt_bad(&m, "unit", "a-very-long-unit-name", "1 to 15 characters");
    map_opt_bad(&m, "unit", "b\"ar", "no control characters");
    map_opt_bad(&m, "unit_register", "70000", "register address");

    /* explicit flags: FC 4, register 0x0010, int32 CDAB, scale 0.5 */
    modbus_map_init(&m);
    map_opt_ok(&m, "register", "0x0010");
    map_opt_ok(&m, "type", "INT32");
    map_opt_ok(&m, "order", "cdab");
    map_opt_ok(&m, "function", "4");
    map_opt_ok(&m, "scale", "0.5");
    map_opt_ok(&m, "unit", "Pa");
    map_opt_ok(&m, "unit_id", "17");
    assert_int_equal(modbus_map_check(&m, &err), 0);
    int first = -1, count = -1;
    assert_int_equal(modbus_map_span(&m, &first, &count, &err), 0);
    assert_int_equal(first, 0x10);
    assert_int_equal(count, 2);
    char text[96];
    modbus_map_describe(&m, text, sizeof text);
    assert_string_equal(text, "FC04 0x0010 int32 CDAB, scale 0.5, Pa");
    uint16_t regs[2];
    drv_modbus_set_i32(-7, DRV_MODBUS_CDAB, regs);
    struct drv_reading r;
    assert_int_equal(modbus_map_decode(&m, regs, 2, &r, &err), 0);
    assert_true(r.value == -3.5);
    assert_string_equal(r.display, "-3.5");
    assert_true(r.resolution == 0.5);
    assert_string_equal(r.unit, "Pa");
    assert_int_equal(modbus_map_decode(&m, regs, 1, &r, &err), CD_ERR_PROTOCOL);
    assert_non_null(strstr(err.msg, "1 register in the reply; the map reads 2 from 0x0010"));
    cd_err_clear(&err);

    /* keys before the preset win over it, in any order */
    modbus_map_init(&m);
    map_opt_ok(&m, "order", "DCBA");
    map_opt_ok(&m, "preset", "KELLER");
    assert_int_equal(m.order, DRV_MODBUS_DCBA);
    assert_int_equal(m.address, 2);
    assert_string_equal(m.unit, "bar");
    assert_string_equal(m.preset, "keller");
    map_opt_ok(&m, "register", "0x100");
    map_opt_ok(&m, "unit", "psi");
    assert_int_equal(m.address, 0x100);
    assert_string_equal(m.unit, "psi");
    assert_string_equal(m.manufacturer, "KELLER");
    assert_int_equal(m.zero_address, 0xFF00);
    modbus_map_describe(&m, text, sizeof text);
    assert_string_equal(text, "FC03 0x0100 float32 DCBA, psi");

    /* generic: unit= drops the unit register, scale= the decimals register */
    modbus_map_init(&m);
    map_opt_ok(&m, "preset", "generic");
    assert_int_equal(modbus_map_span(&m, &first, &count, &err), 0);
    assert_int_equal(first, 2);
    assert_int_equal(count, 3);
    modbus_map_describe(&m, text, sizeof text);
    assert_string_equal(text, "FC03 0x0004 int16, decimals at 0x0003, unit code at 0x0002");
    map_opt_ok(&m, "unit", "kPa");
    assert_int_equal(m.unit_register, -1);
    assert_int_equal(modbus_map_span(&m, &first, &count, &err), 0);
    assert_int_equal(first, 3);
    assert_int_equal(count, 2);
    map_opt_ok(&m, "scale", "0.01");
    assert_int_equal(modbus_map_span(&m, &first, &count, &err), 0);
    assert_int_equal(first, 4);
    assert_int_equal(count, 1);
    regs[0] = (uint16_t)(int16_t)-5;
    assert_int_equal(modbus_map_decode(&m, regs, 1, &r, &err), 0);
    assert_string_equal(r.display, "-0.05");
    assert_true(r.value == -0.05);
    assert_string_equal(r.unit, "kPa");
    /* ... and the other way round: the keys first, then the preset */
    modbus_map_init(&m);
    map_opt_ok(&m, "unit", "kPa");
    map_opt_ok(&m, "preset", "lobaro-v1");
    assert_int_equal(m.unit_register, -1);
    assert_int_equal(m.dp_register, 3);
    assert_string_equal(m.unit, "kPa");

    /* conflicts and impossible maps */
    modbus_map_init(&m);
    map_opt_ok(&m, "register", "4");
    map_opt_ok(&m, "type", "int16");
    map_opt_ok(&m, "scale", "0.1");
    map_opt_ok(&m, "dp_register", "3");
    assert_int_equal(modbus_map_check(&m, &err), CD_ERR_INVALID);
    assert_non_null(strstr(err.msg, "scale= or dp_register=, not both"));
    cd_err_clear(&err);
    modbus_map_init(&m);
    map_opt_ok(&m, "register", "4");
    map_opt_ok(&m, "unit", "bar");
    map_opt_ok(&m, "unit_register", "2");
    assert_int_equal(modbus_map_check(&m, &err), CD_ERR_INVALID);
    assert_non_null(strstr(err.msg, "unit= or unit_register=, not both"));
    cd_err_clear(&err);
    modbus_map_init(&m);
    map_opt_ok(&m, "register", "4");
    map_opt_ok(&m, "dp_register", "3");
    assert_int_equal(modbus_map_check(&m, &err), CD_ERR_INVALID);
    assert_non_null(strstr(err.msg, "a float32 has no decimal-places register"));
    cd_err_clear(&err);
    modbus_map_init(&m);
    map_opt_ok(&m, "register", "65535");
    assert_int_equal(modbus_map_check(&m, &err), CD_ERR_INVALID);
    assert_non_null(strstr(err.msg, "runs past register 0xFFFF"));
    cd_err_clear(&err);
    modbus_map_init(&m);
    map_opt_ok(&m, "register", "4");
    map_opt_ok(&m, "type", "int16");
    map_opt_ok(&m, "unit_register", "200");
    assert_int_equal(modbus_map_check(&m, &err), CD_ERR_INVALID);
    assert_non_null(strstr(err.msg, "more than 125 registers apart"));
    cd_err_clear(&err);

    /* presets */
    const char *const *names = modbus_map_preset_names();
    size_t k = 0;
    for (; names[k] != NULL; k++) {
        assert_int_equal(modbus_map_preset(names[k], &m, &err), 0);
        assert_int_equal(modbus_map_check(&m, &err), 0);
    }
    assert_int_equal(k, 5);
    assert_int_equal(modbus_map_preset("nope", &m, &err), CD_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "known: keller"));
    cd_err_clear(&err);

    /* unit codes */
    static const char *const units[] = {"MPa", "kPa", "Pa", "bar", "mbar", "kgf/cm2", "psi",
                                        "mH2O", "mmH2O"};
    for (unsigned c = 0; c < 9; c++)
        assert_string_equal(modbus_unit_name(c), units[c]);
    assert_null(modbus_unit_name(9));
    assert_null(modbus_unit_name(65535));
}

/* Every integer type, its saturation values, scales that are not powers
 * of ten, and floats in every word order with a scale. */
static void test_map_types(void **state)
{
    (void)state;
    struct modbus_map m;
    struct drv_reading r;
    struct cd_err err = {0};
    uint16_t regs[2];

    modbus_map_init(&m);
    map_opt_ok(&m, "register", "0");
    map_opt_ok(&m, "type", "uint16");
    regs[0] = 65534;
    assert_int_equal(modbus_map_decode(&m, regs, 1, &r, &err), 0);
    assert_true(r.value == 65534);
    assert_string_equal(r.display, "65534");
    assert_true(r.resolution == 1);
    regs[0] = 65535;
    assert_int_equal(modbus_map_decode(&m, regs, 1, &r, &err), 0);
    assert_int_equal(r.status, DRV_STATUS_OVERLOAD);
    assert_true(isnan(r.value));

    map_opt_ok(&m, "type", "int16");
    regs[0] = 0x8000;
    assert_int_equal(modbus_map_decode(&m, regs, 1, &r, &err), 0);
    assert_int_equal(r.status, DRV_STATUS_UNDERLOAD);
    assert_string_equal(r.display, "-32768");
    regs[0] = 0x7FFF;
    assert_int_equal(modbus_map_decode(&m, regs, 1, &r, &err), 0);
    assert_int_equal(r.status, DRV_STATUS_OVERLOAD);
    regs[0] = 0x7FFE;
    map_opt_ok(&m, "scale", "100");
    assert_int_equal(modbus_map_decode(&m, regs, 1, &r, &err), 0);
    assert_true(r.value == 3276600);
    assert_string_equal(r.display, "3276600");
    assert_true(r.resolution == 100);

    for (int o = 0; o < 4; o++) {
        map_opt_ok(&m, "order", order_names[o]);
        map_opt_ok(&m, "type", "uint32");
        map_opt_ok(&m, "scale", "0.001");
        drv_modbus_set_u32(4000000000u, (enum drv_modbus_order)o, regs);
        assert_int_equal(modbus_map_decode(&m, regs, 2, &r, &err), 0);
        assert_true(r.value == 4000000.0);
        assert_string_equal(r.display, "4000000.000");
        drv_modbus_set_u32(UINT32_MAX, (enum drv_modbus_order)o, regs);
        assert_int_equal(modbus_map_decode(&m, regs, 2, &r, &err), 0);
        assert_int_equal(r.status, DRV_STATUS_OVERLOAD);

        map_opt_ok(&m, "type", "int32");
        drv_modbus_set_i32(INT32_MIN, (enum drv_modbus_order)o, regs);
        assert_int_equal(modbus_map_decode(&m, regs, 2, &r, &err), 0);
        assert_int_equal(r.status, DRV_STATUS_UNDERLOAD);
        drv_modbus_set_i32(-123456789, (enum drv_modbus_order)o, regs);
        assert_int_equal(modbus_map_decode(&m, regs, 2, &r, &err), 0);
        assert_string_equal(r.display, "-123456.789");
        assert_true(r.value == -123456.789);

        map_opt_ok(&m, "type", "float32");
        map_opt_ok(&m, "scale", "1000");
        drv_modbus_set_float(1.2345f, (enum drv_modbus_order)o, regs);
        assert_int_equal(modbus_map_decode(&m, regs, 2, &r, &err), 0);
        assert_true(r.value == (double)1.2345f * 1000);
        assert_string_equal(r.display, "1234.50005");
        assert_true(r.resolution == 0);
        map_opt_ok(&m, "scale", "1");
        drv_modbus_set_float(-0.0001f, (enum drv_modbus_order)o, regs);
        assert_int_equal(modbus_map_decode(&m, regs, 2, &r, &err), 0);
        assert_string_equal(r.display, "-0.0001");
        drv_modbus_set_float(3.4e38f, (enum drv_modbus_order)o, regs);
        assert_int_equal(modbus_map_decode(&m, regs, 2, &r, &err), 0);
        assert_string_equal(r.display, "3.4e+38");
        assert_int_equal(r.status, DRV_STATUS_STABLE);
    }
    /* a scale that is not a power of ten */
    map_opt_ok(&m, "type", "int16");
    map_opt_ok(&m, "scale", "0.25");
    regs[0] = 7;
    assert_int_equal(modbus_map_decode(&m, regs, 1, &r, &err), 0);
    assert_true(r.value == 1.75);
    assert_string_equal(r.display, "1.75");
    assert_true(r.resolution == 0.25);
}

/* a simulator on a pty: sim_harness.h */

/* ------------------------------------------------------------ SCPI driver */

static void test_scpi_driver(void **state)
{
    (void)state;
    struct sim_pty p;
    sim_start(&p, "scpi", OPTS("loads=5,-0.25,13,-13", "noise=0"));
    drv_dev *d = open_ok("scpi", p.pty.path, NULL, OPTS("range=10", "res=0.00001"), NULL);
    assert_string_equal(drv_dev_driver(d), "scpi");
    assert_false(drv_has_stability_flag(d));
    struct drv_identity id;
    struct cd_err err = {0};
    assert_int_equal(drv_identify(d, &id, &err), 0);
    assert_string_equal(id.manufacturer, "HEWLETT-PACKARD");
    assert_string_equal(id.model, "34401A");
    assert_string_equal(id.serial, "0");
    assert_string_equal(id.firmware, "10-5-2");

    struct drv_reading r;
    read_ok(d, &r);
    assert_true(r.value == 5.0);
    assert_string_equal(r.display, "+5.00000000E+00");
    assert_string_equal(r.unit, "V");
    assert_int_equal(r.status, DRV_STATUS_STABLE);
    assert_true(fabs(r.resolution - 1e-8) < 1e-20);
    sim_ctl(&p, "next");
    read_ok(d, &r);
    assert_true(r.value == -0.25);
    assert_string_equal(r.display, "-2.50000000E-01");
    sim_ctl(&p, "next");     /* 13 V on the 10 V range */
    read_ok(d, &r);
    assert_int_equal(r.status, DRV_STATUS_OVERLOAD);
    assert_true(isnan(r.value));
    assert_string_equal(r.display, "+9.90000000E+37");
    assert_string_equal(r.unit, "V");
    sim_ctl(&p, "next");
    read_ok(d, &r);
    assert_int_equal(r.status, DRV_STATUS_OVERLOAD);
    assert_string_equal(r.display, "-9.90000000E+37");
    /* overload is returned at once by drv_read_stable */
    assert_int_equal(drv_read_stable(d, NULL, 1000, &r, &err), 0);
    assert_int_equal(r.status, DRV_STATUS_OVERLOAD);
    /* a steady value is declared stable by the window criterion */
    sim_ctl(&p, "load 1.5");
    struct drv_stability crit = {.n = 3, .band = 0, .seconds = 0};
    assert_int_equal(drv_read_stable(d, &crit, 2000, &r, &err), 0);
    assert_int_equal(r.status, DRV_STATUS_STABLE);
    assert_true(r.value == 1.5);
    /* a window that cannot fill in the time: the instrument answered but
     * never settled, a code of its own (the session words it apart from
     * silence, whatever the language of the message) */
    struct drv_stability never = {.n = 1000, .band = 0, .seconds = 0};
    cd_err_clear(&err);
    assert_int_equal(drv_read_stable(d, &never, 20, &r, &err), CD_ERR_UNSTABLE);
    assert_non_null(strstr(err.msg, "no stable reading within 20 ms"));
    cd_err_clear(&err);
    assert_int_equal(drv_zero(d, &err), CD_ERR_UNSUPPORTED);
    cd_err_clear(&err);
    assert_int_equal(drv_tare(d, &err), CD_ERR_UNSUPPORTED);
    drv_close(d);

    /* other functions: the unit follows; autorange with MIN resolution */
    sim_ctl(&p, "load 1000.5");
    d = open_ok("scpi", p.pty.path, "9600,8N2", OPTS("func=res", "range=AUTO", "res=MIN"),
                NULL);
    read_ok(d, &r);
    assert_string_equal(r.unit, "ohm");
    assert_true(fabs(r.value - 1000.5) < 1e-6);
    drv_close(d);
    d = open_ok("scpi", p.pty.path, NULL, OPTS("func=CURR", "range=1"), NULL);
    sim_ctl(&p, "load 0.5");
    read_ok(d, &r);
    assert_string_equal(r.unit, "A");
    assert_true(r.value == 0.5);
    drv_close(d);
    sim_stop(&p);
}

static void open_fails(const char *driver, const char *port, const char *const *opts, int code,
                       const char *why)
{
    drv_dev *d = (drv_dev *)&d;
    struct cd_err err = {0};
    int rc = drv_open(driver, port, NULL, opts, NULL, &d, &err);
    if (code == 0 && rc < 0)
        code = rc;      /* any failure, as long as the message says `why` */
    if (rc != code || strstr(err.msg, why) == NULL)
        fail_msg("drv_open: %d \"%s\", expected %d \"%s\"", rc, err.msg, code, why);
    assert_null(d);
}

/* The meter's own errors: a configuration it refuses, a function it does
 * not know (the simulator's "Undefined header"), bad options. */
static void test_scpi_device_errors(void **state)
{
    (void)state;
    struct sim_pty p;
    sim_start(&p, "scpi", OPTS("loads=1", "noise=0"));
    open_fails("scpi", p.pty.path, OPTS("func=FREQ"), CD_ERR_DEVICE,
               "the meter refused \"CONF:FREQ\": -113,\"Undefined header\"");
    open_fails("scpi", p.pty.path, OPTS("range=5000"), CD_ERR_DEVICE,
               "the meter refused \"CONF:VOLT:DC 5000\": -222,\"Data out of range\"");
    open_fails("scpi", p.pty.path, OPTS("func=OHMS"), CD_ERR_INVALID, "func=OHMS");
    open_fails("scpi", p.pty.path, OPTS("range=10;*RST"), CD_ERR_INVALID, "range=10;*RST");
    open_fails("scpi", p.pty.path, OPTS("range=-1"), CD_ERR_INVALID, "positive number");
    open_fails("scpi", p.pty.path, OPTS("res=AUTO"), CD_ERR_INVALID, "res=AUTO");
    open_fails("scpi", p.pty.path, OPTS("res=inf"), CD_ERR_INVALID, "res=inf");
    open_fails("scpi", p.pty.path, OPTS("preset=keller"), CD_ERR_INVALID,
               "unknown option 'preset'");
    /* after the refusals the meter still works */
    drv_dev *d = open_ok("scpi", p.pty.path, NULL, OPTS("func=volt:ac", "range=DEF"), NULL);
    struct drv_reading r;
    read_ok(d, &r);
    assert_true(r.value == 1.0);
    drv_close(d);
    sim_stop(&p);

    /* no meter at all: a timeout that says what to check */
    struct drv_pty none;
    struct cd_err err = {0};
    assert_int_equal(drv_pty_open(&none, NULL, &err), 0);
    open_fails("scpi", none.path, OPTS("timeout_ms=150"), CD_ERR_TIMEOUT,
               "no answer to SYST:ERR?");
    drv_pty_close(&none);
    open_fails("scpi", "/nonexistent/ttyS9", NULL, 0, "/nonexistent/ttyS9");
}

/* The simulator's generic faults through the driver: each gives a clear
 * error, and the next reading works. Requests at open: SYST:REM, *CLS,
 * CONF, SYST:ERR? (4); replies: 1 (SYST:ERR?). */
static void test_scpi_faults(void **state)
{
    (void)state;
    struct sim_pty p;
    struct drv_reading r;

    /* error_every=6: the 2nd READ? is taken as garbled, the meter queues
     * -102 and does not answer; SYST:ERR? then says so */
    sim_start(&p, "scpi", OPTS("loads=2", "noise=0", "error_every=6"));
    drv_dev *d = open_ok("scpi", p.pty.path, NULL, OPTS("timeout_ms=250"), NULL);
    read_ok(d, &r);
    read_fails(d, CD_ERR_DEVICE, "READ? failed (");
    read_ok(d, &r);
    assert_true(r.value == 2.0);
    drv_close(d);
    sim_stop(&p);
    /* check the message in full once */
    sim_start(&p, "scpi", OPTS("loads=2", "noise=0", "error_every=5"));
    d = open_ok("scpi", p.pty.path, NULL, OPTS("timeout_ms=250"), NULL);
    read_fails(d, CD_ERR_DEVICE, "; the meter reports -102,\"Syntax error\"");
    drv_close(d);
    sim_stop(&p);

    /* garbage before the 3rd reply (the 2nd READ?) */
    sim_start(&p, "scpi", OPTS("loads=2", "noise=0", "garbage_every=3"));
    d = open_ok("scpi", p.pty.path, NULL, OPTS("timeout_ms=250"), NULL);
    read_ok(d, &r);
    read_fails(d, CD_ERR_PROTOCOL, "scpi: bytes that are not text (garbage on the line?): "
                                   "\"\\xFF\\x00\\xA5~\\x80+2.00000000E+00\\r\\n\"");
    read_ok(d, &r);
    assert_true(r.value == 2.0);
    drv_close(d);
    sim_stop(&p);

    /* the 3rd reply cut in half */
    sim_start(&p, "scpi", OPTS("loads=2", "noise=0", "truncate_every=3"));
    d = open_ok("scpi", p.pty.path, NULL, OPTS("timeout_ms=250"), NULL);
    read_ok(d, &r);
    read_fails(d, CD_ERR_TIMEOUT, "a partial line arrived");
    read_ok(d, &r);
    assert_true(r.value == 2.0);
    drv_close(d);
    sim_stop(&p);

    /* silent after the 5th request (the 1st READ?) */
    sim_start(&p, "scpi", OPTS("loads=2", "noise=0", "silent_after=5"));
    d = open_ok("scpi", p.pty.path, NULL, OPTS("timeout_ms=200"), NULL);
    read_ok(d, &r);
    read_fails(d, CD_ERR_TIMEOUT, "no complete reply within 200 ms");
    drv_close(d);
    sim_stop(&p);

    /* the connection goes away after the reply to the 5th request */
    sim_start(&p, "scpi", OPTS("loads=2", "noise=0", "disconnect_after=5"));
    d = open_ok("scpi", p.pty.path, NULL, OPTS("timeout_ms=500"), NULL);
    read_ok(d, &r);
    assert_int_equal(sim_join(&p), 0);
    /* the simulator stopped serving; the port goes away (after the host
     * has read the reply: closing the master drops unread bytes) */
    close(p.pty.master);
    close(p.pty.slave);
    p.pty.master = p.pty.slave = -1;
    read_fails(d, CD_ERR_DISCONNECTED, p.pty.path);
    struct drv_identity id;
    struct cd_err err = {0};
    int rc = drv_identify(d, &id, &err);
    assert_true(rc == CD_ERR_DISCONNECTED || rc == CD_ERR_IO);
    drv_close(d);   /* SYST:LOC into a dead port: no crash, no hang */
    sim_stop(&p);
}

/* ------------------------------------------------------------ SCPI record, replay */

struct replay_run {
    struct drv_trace *t;
    struct drv_pty pty;
    pthread_t thread;
    int rc;
    struct cd_err err;
};

static void *replay_main(void *arg)
{
    struct replay_run *r = arg;
    struct drv_replay_opts o = {.fast = true, .host_timeout_ms = 3000};
    r->rc = drv_replay(r->t, r->pty.master, r->pty.slave, &o, NULL, &r->err);
    return NULL;
}

#define SESSION_READS 4

/* Identify and read: the conversation a replay must reproduce. */
static void scpi_session(const char *port, struct drv_trace_writer *w, struct drv_identity *id,
                         struct drv_reading *r)
{
    drv_dev *d = open_ok("scpi", port, NULL, OPTS("range=10", "timeout_ms=2000"), w);
    struct cd_err err = {0};
    if (drv_identify(d, id, &err) != 0)
        fail_msg("%s", cd_err_text(&err));
    for (int i = 0; i < SESSION_READS; i++)
        read_ok(d, &r[i]);
    drv_close(d);
}

static void test_scpi_record_replay(void **state)
{
    (void)state;
    /* noise makes every reading different: the replay must give these */
    struct sim_pty p;
    sim_start(&p, "scpi", OPTS("loads=7.5", "noise=0.0005", "seed=42"));
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct cd_err err = {0};
    struct drv_trace_header h = {.transport = "serial", .settings = "9600 8N2 dtrdsr",
                                 .driver = "scpi"};
    snprintf(h.port, sizeof h.port, "%s", p.pty.path);
    struct drv_trace_writer *w = drv_trace_writer_new(f, &h, &err);
    assert_non_null(w);
    struct drv_identity id1, id2;
    struct drv_reading r1[SESSION_READS], r2[SESSION_READS];
    scpi_session(p.pty.path, w, &id1, r1);
    sim_stop(&p);
    assert_int_equal(drv_trace_writer_close(w, &err), 0);
    fclose(f);
    assert_true(strcmp(r1[0].display, r1[1].display) != 0);
    assert_non_null(strstr(text, "> \"SYST:REM\\n\""));
    assert_non_null(strstr(text, "> \"CONF:VOLT:DC 10\\n\""));
    assert_non_null(strstr(text, "< \"HEWLETT-PACKARD,34401A,0,10-5-2\\r\\n\""));
    assert_non_null(strstr(text, "> \"SYST:LOC\\n\""));

    struct replay_run rr;
    memset(&rr, 0, sizeof rr);
    if (drv_trace_parse(text, len, "memory", &rr.t, &err) != 0)
        fail_msg("%s\n%s", cd_err_text(&err), text);
    assert_string_equal(rr.t->header.driver, "scpi");
    assert_int_equal(drv_pty_open(&rr.pty, NULL, &err), 0);
    assert_int_equal(pthread_create(&rr.thread, NULL, replay_main, &rr), 0);
    scpi_session(rr.pty.path, NULL, &id2, r2);
    pthread_join(rr.thread, NULL);
    rr.pty.master = -1;     /* closed by drv_replay */
    drv_pty_close(&rr.pty);
    if (rr.rc != 0)
        fail_msg("replay: %s", cd_err_text(&rr.err));
    assert_memory_equal(&id1, &id2, sizeof id1);
    for (int i = 0; i < SESSION_READS; i++) {
        assert_string_equal(r1[i].display, r2[i].display);
        assert_true(r1[i].value == r2[i].value);
        assert_string_equal(r1[i].unit, r2[i].unit);
        assert_int_equal(r1[i].status, r2[i].status);
    }
    drv_trace_free(rr.t);

    /* a diverging host: the replay names the line; the driver times out */
    memset(&rr, 0, sizeof rr);
    assert_int_equal(drv_trace_parse(text, len, "memory", &rr.t, &err), 0);
    assert_int_equal(drv_pty_open(&rr.pty, NULL, &err), 0);
    assert_int_equal(pthread_create(&rr.thread, NULL, replay_main, &rr), 0);
    drv_dev *d = NULL;
    int rc = drv_open("scpi", rr.pty.path, NULL, OPTS("range=1", "timeout_ms=300"), NULL, &d,
                      &err);
    assert_int_not_equal(rc, 0);
    pthread_join(rr.thread, NULL);
    rr.pty.master = -1;
    drv_pty_close(&rr.pty);
    assert_int_equal(rr.rc, CD_ERR_PROTOCOL);
    assert_non_null(strstr(rr.err.msg, "CONF:VOLT:DC 1"));
    drv_trace_free(rr.t);
    free(text);
}

/* ------------------------------------------------------------ fixtures = simulator bytes */

/* Record a session (opening with `opts`, then `reads` readings; the open
 * may fail) and return the parsed trace. */
static struct drv_trace *record_session(const char *driver, const char *port,
                                        const char *const *opts, int reads)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct cd_err err = {0};
    struct drv_trace_writer *w = drv_trace_writer_new(f, NULL, &err);
    assert_non_null(w);
    drv_dev *d = NULL;
    if (drv_open(driver, port, NULL, opts, w, &d, &err) == 0) {
        for (int i = 0; i < reads; i++) {
            struct drv_reading r;
            drv_read(d, &r, NULL);     /* failures too are in the trace */
        }
        drv_close(d);
    }
    assert_int_equal(drv_trace_writer_close(w, &err), 0);
    fclose(f);
    struct drv_trace *t = NULL;
    if (drv_trace_parse(text, len, "memory", &t, &err) != 0)
        fail_msg("%s\n%s", cd_err_text(&err), text);
    free(text);
    return t;
}

/* The n-th record from the instrument equals the fixture's bytes. */
static void assert_reply_is_fixture(const struct drv_trace *t, int n, const char *fixture)
{
    char path[256];
    snprintf(path, sizeof path, FIXTURES "/%s.bytes", fixture);
    size_t len = 0;
    uint8_t *want = slurp(path, &len);
    assert_non_null(want);
    int k = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (t->records[i].dir != DRV_DIR_INSTR || k++ != n)
            continue;
        if (t->records[i].len != len || memcmp(t->records[i].data, want, len) != 0) {
            char got[256];
            drv_escape(t->records[i].data, t->records[i].len, got, sizeof got);
            fail_msg("%s: the simulator sent \"%s\"", fixture, got);
        }
        free(want);
        return;
    }
    fail_msg("%s: no reply %d in the trace", fixture, n);
}

/* The fixtures that are not byte-exact in protocols.md are the bytes our
 * simulators send: checked here, so the READMEs can say so. */
static void test_fixtures_are_simulator_bytes(void **state)
{
    (void)state;
    struct sim_pty p;
    sim_start(&p, "scpi", OPTS("loads=10.000123,13,-13", "noise=0"));
    struct drv_trace *t =
        record_session("scpi", p.pty.path, OPTS("range=10", "res=0.000001"), 1);
    assert_reply_is_fixture(t, 1, "scpi/reading");  /* reply 0 is SYST:ERR?'s */
    drv_trace_free(t);
    sim_ctl(&p, "next");
    t = record_session("scpi", p.pty.path, OPTS("range=10"), 1);
    assert_reply_is_fixture(t, 1, "scpi/overload");
    drv_trace_free(t);
    sim_ctl(&p, "next");
    t = record_session("scpi", p.pty.path, OPTS("range=10"), 1);
    assert_reply_is_fixture(t, 1, "scpi/overload_negative");
    drv_trace_free(t);
    t = record_session("scpi", p.pty.path, OPTS("range=5000"), 0);
    assert_reply_is_fixture(t, 0, "scpi/syst_err_data_out_of_range");
    drv_trace_free(t);
    t = record_session("scpi", p.pty.path, OPTS("func=FREQ"), 0);
    assert_reply_is_fixture(t, 0, "scpi/syst_err_undefined_header");
    drv_trace_free(t);
    sim_stop(&p);

    sim_start(&p, "modbus", OPTS("loads=1.2345", "noise=0", "settle_s=0", "order=CDAB"));
    t = record_session("modbus", p.pty.path, OPTS("preset=keller", "order=CDAB"), 1);
    assert_reply_is_fixture(t, 0, "modbus/fc03_float_cdab");
    drv_trace_free(t);
    t = record_session("modbus", p.pty.path, OPTS("preset=keller", "order=CDAB", "function=4"), 1);
    assert_reply_is_fixture(t, 0, "modbus/fc04_float_cdab");
    drv_trace_free(t);
    sim_stop(&p);

    sim_start(&p, "modbus", OPTS("map=generic", "loads=1.234", "noise=0", "settle_s=0",
                                 "resolution=0.001"));
    t = record_session("modbus", p.pty.path, OPTS("preset=generic"), 1);
    assert_reply_is_fixture(t, 0, "modbus/generic_bar_dp3");
    drv_trace_free(t);
    sim_stop(&p);

    /* protocols.md 3.1's exception frame 01 83 02 C0 F1 */
    sim_start(&p, "modbus", OPTS("exception=2"));
    t = record_session("modbus", p.pty.path, OPTS("preset=keller"), 1);
    assert_reply_is_fixture(t, 0, "modbus/exception_02");
    drv_trace_free(t);
    sim_stop(&p);
}

/* ------------------------------------------------------------ pymodbus */

struct peer {
    pid_t pid;
    int in_fd;      /* its stdin: closing it ends the server */
    char line[64];  /* its first line: the TCP port, or "ready" */
};

/* Start the gauge server with `arg` (NULL: TCP, else "--rtu" and arg);
 * false when Debian's python3-pymodbus is not there. */
static bool peer_start(struct peer *p, const char *rtu_device)
{
    memset(p, 0, sizeof *p);
    require_peer(access(PYTHON, X_OK) == 0, "Debian's python3", "python3");
    require_peer(access(GAUGE_PEER, R_OK) == 0, GAUGE_PEER, "(it is in the checkout)");
    int in[2], out[2];
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, in[1]);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    char *argv[] = {PYTHON, GAUGE_PEER, rtu_device ? "--rtu" : NULL, (char *)rtu_device, NULL};
    int rc = posix_spawn(&p->pid, PYTHON, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    assert_int_equal(rc, 0);
    p->in_fd = in[1];
    fcntl(p->in_fd, F_SETFD, FD_CLOEXEC);
    size_t n = 0;
    while (n < sizeof p->line - 1) {
        struct pollfd pf = {.fd = out[0], .events = POLLIN};
        if (poll(&pf, 1, 8000) <= 0)
            break;
        ssize_t r = read(out[0], p->line + n, sizeof p->line - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        if (memchr(p->line, '\n', n) != NULL)
            break;
    }
    close(out[0]);
    p->line[n] = '\0';
    bool ok = rtu_device ? strncmp(p->line, "ready", 5) == 0 : atoi(p->line) > 0;
    if (!ok) {
        close(p->in_fd);
        kill(p->pid, SIGTERM);
        wait_child(p->pid, 5000, "the pymodbus gauge");
        return false;
    }
    return true;
}

static void peer_stop(struct peer *p)
{
    close(p->in_fd);
    for (int i = 0; i < 300; i++) {
        if (waitpid(p->pid, NULL, WNOHANG) == p->pid)
            return;
        nanosleep(&(struct timespec){0, 10 * 1000000}, NULL);
    }
    kill(p->pid, SIGTERM);
    wait_child(p->pid, 5000, "the pymodbus gauge");
}

/* One reading through the driver with these options. */
static void gauge_read(const char *port, const char *const *opts, struct drv_reading *r)
{
    drv_dev *d = open_ok("modbus", port, NULL, opts, NULL);
    read_ok(d, r);
    drv_close(d);
}

static void expect_reading(const struct drv_reading *r, double value, const char *unit,
                           const char *display)
{
    if (!(r->value == value) || strcmp(r->unit, unit) != 0 || strcmp(r->display, display) != 0 ||
        r->status != DRV_STATUS_STABLE)
        fail_msg("got %.17g \"%s\" \"%s\" %s; expected %.17g \"%s\" \"%s\" stable", r->value,
                 r->unit, r->display, drv_status_name(r->status), value, unit, display);
}

/* Everything the pymodbus server holds, read through the driver at `port`
 * (tcp:... or the RTU pty). */
static void gauge_against_pymodbus(const char *port)
{
    struct drv_reading r;
    char unit_id[16], order[16];
    for (int o = 0; o < 4; o++) {
        snprintf(unit_id, sizeof unit_id, "unit_id=%d", o + 1);
        snprintf(order, sizeof order, "order=%s", order_names[o]);
        /* explicit flags, FC 3 and 4 */
        gauge_read(port, OPTS("register=2", "type=float32", order, "function=3", unit_id), &r);
        expect_reading(&r, (double)1.2345f, "", "1.2345");
        gauge_read(port, OPTS("register=0x0002", "type=float32", order, "function=4", unit_id,
                              "unit=bar"),
                   &r);
        expect_reading(&r, (double)1.2345f, "bar", "1.2345");
        /* presets with the order overridden */
        gauge_read(port, OPTS("preset=keller", order, unit_id), &r);
        expect_reading(&r, (double)1.2345f, "bar", "1.2345");
        gauge_read(port, OPTS(unit_id, order, "preset=keller-tob1", "function=4"), &r);
        expect_reading(&r, 21.5, "\xC2\xB0" "C", "21.5");
        gauge_read(port, OPTS("preset=keller-int32", order, unit_id), &r);
        expect_reading(&r, 1234.5, "mbar", "1234.50");
        gauge_read(port, OPTS("register=18", "type=int32", order, unit_id, "scale=0.01",
                              "unit=mbar"),
                   &r);
        expect_reading(&r, 1234.5, "mbar", "1234.50");
    }
    /* the generic map v1, by preset and by flags */
    gauge_read(port, OPTS("preset=generic", "unit_id=5"), &r);
    expect_reading(&r, 1.234, "bar", "1.234");
    gauge_read(port, OPTS("register=4", "type=int16", "dp_register=3", "unit_register=2",
                          "unit_id=5"),
               &r);
    expect_reading(&r, 1.234, "bar", "1.234");
    gauge_read(port, OPTS("preset=lobaro-v1", "unit_id=6"), &r);
    expect_reading(&r, -12.3, "kPa", "-12.3");

    /* identification: what the preset knows, after a read that worked */
    drv_dev *d = open_ok("modbus", port, NULL, OPTS("preset=keller"), NULL);
    struct drv_identity id;
    struct cd_err err = {0};
    assert_int_equal(drv_identify(d, &id, &err), 0);
    assert_string_equal(id.manufacturer, "KELLER");
    assert_string_equal(id.model, "Series 30 (P1)");
    assert_string_equal(id.serial, "");
    drv_close(d);
    d = open_ok("modbus", port, NULL,
                OPTS("register=4", "type=int16", "scale=0.001", "unit=bar", "unit_id=5"), NULL);
    assert_int_equal(drv_identify(d, &id, &err), 0);
    assert_string_equal(id.manufacturer, "");
    assert_string_equal(id.model, "Modbus unit 5: FC03 0x0004 int16, scale 0.001, bar");
    drv_close(d);

    /* KELLER's channel error: P1 = NaN */
    d = open_ok("modbus", port, NULL, OPTS("preset=keller", "unit_id=7"), NULL);
    read_fails(d, CD_ERR_DEVICE, "modbus: unit 7: the gauge reads NaN at 0x0002 (channel error)");
    assert_int_equal(drv_identify(d, &id, &err), 0);   /* it did answer */
    drv_close(d);
    /* a register pymodbus does not have: its exception */
    d = open_ok("modbus", port, NULL, OPTS("register=0x2000", "unit_id=1"), NULL);
    read_fails(d, CD_ERR_DEVICE, "Modbus exception 02 (illegal data address)");
    assert_int_equal(drv_identify(d, &id, &err), CD_ERR_DEVICE);
    drv_close(d);
}

static void test_gauge_pymodbus_tcp(void **state)
{
    (void)state;
    struct peer p;
    require_peer(peer_start(&p, NULL), "pymodbus (the gauge did not start: import failed?)",
                 "python3-pymodbus python3-serial-asyncio");
    char port[64];
    snprintf(port, sizeof port, "tcp:127.0.0.1:%d", atoi(p.line));
    gauge_against_pymodbus(port);
    peer_stop(&p);
}

/* Two ptys whose masters a thread joins: a null-modem cable between the
 * two slaves, one for pymodbus's serial server, one for libmodbus. */
struct cable {
    struct drv_pty a, b;
    int stop[2];
    pthread_t thread;
};

static bool pass_on(int from, int to)
{
    uint8_t buf[512];
    ssize_t n = read(from, buf, sizeof buf);
    if (n <= 0)
        return errno == EINTR || errno == EAGAIN || errno == EIO;   /* EIO: nobody on it yet */
    for (ssize_t off = 0; off < n;) {
        ssize_t w = write(to, buf + off, (size_t)(n - off));
        if (w < 0 && errno != EINTR)
            return false;
        off += w > 0 ? w : 0;
    }
    return true;
}

static void *cable_main(void *arg)
{
    struct cable *c = arg;
    for (;;) {
        struct pollfd pf[3] = {{.fd = c->a.master, .events = POLLIN},
                               {.fd = c->b.master, .events = POLLIN},
                               {.fd = c->stop[0], .events = POLLIN}};
        if (poll(pf, 3, -1) < 0 && errno != EINTR)
            break;
        if (pf[2].revents != 0)
            break;
        if ((pf[0].revents & POLLIN) && !pass_on(c->a.master, c->b.master))
            break;
        if ((pf[1].revents & POLLIN) && !pass_on(c->b.master, c->a.master))
            break;
        if ((pf[0].revents | pf[1].revents) & (POLLHUP | POLLERR))
            nanosleep(&(struct timespec){0, 5 * 1000000}, NULL);   /* a side not open yet */
    }
    return NULL;
}

static void test_gauge_pymodbus_rtu(void **state)
{
    (void)state;
    struct cable c;
    struct cd_err err = {0};
    assert_int_equal(drv_pty_open(&c.a, NULL, &err), 0);
    assert_int_equal(drv_pty_open(&c.b, NULL, &err), 0);
    assert_int_equal(pipe(c.stop), 0);
    assert_int_equal(pthread_create(&c.thread, NULL, cable_main, &c), 0);
    struct peer p;
    bool have = peer_start(&p, c.a.path);
    if (have) {
        gauge_against_pymodbus(c.b.path);
        peer_stop(&p);
    }
    assert_int_equal(write(c.stop[1], "x", 1), 1);
    pthread_join(c.thread, NULL);
    close(c.stop[0]);
    close(c.stop[1]);
    drv_pty_close(&c.a);
    drv_pty_close(&c.b);
    require_peer(have, "pymodbus (the RTU gauge did not start: import failed?)",
                 "python3-pymodbus python3-serial-asyncio");
}

/* ------------------------------------------------------------ our Modbus simulator */

static void test_gauge_sim(void **state)
{
    (void)state;
    struct drv_reading r;
    char order[16], sim_order[16];
    /* KELLER floats over TCP in every word order, FC 3 and 4 */
    for (int o = 0; o < 4; o++) {
        snprintf(sim_order, sizeof sim_order, "order=%s", order_names[o]);
        snprintf(order, sizeof order, "order=%s", order_names[o]);
        struct tcp_sim t;
        tcp_sim_start(&t, OPTS(sim_order, "loads=2.5", "noise=0", "settle_s=0"), 3);
        gauge_read(t.name, OPTS("preset=keller", order), &r);
        expect_reading(&r, 2.5, "bar", "2.5");
        gauge_read(t.name, OPTS("preset=keller", order, "function=4"), &r);
        expect_reading(&r, 2.5, "bar", "2.5");
        gauge_read(t.name, OPTS("preset=keller-tob1", order), &r);
        expect_reading(&r, 20, "\xC2\xB0" "C", "20");
        tcp_sim_stop(&t);
    }

    /* over RTU on a pty: both maps, and over- and underload */
    struct sim_pty p;
    sim_start(&p, "modbus", OPTS("loads=1.2345,30,-1", "noise=0", "settle_s=0", "order=CDAB"));
    drv_dev *d = open_ok("modbus", p.pty.path, "9600,8N1", OPTS("preset=keller", "order=CDAB"),
                         NULL);
    read_ok(d, &r);
    expect_reading(&r, (double)1.2345f, "bar", "1.2345");
    sim_ctl(&p, "next");
    read_ok(d, &r);
    assert_int_equal(r.status, DRV_STATUS_OVERLOAD);
    assert_string_equal(r.display, "+Inf");
    sim_ctl(&p, "next");
    read_ok(d, &r);
    assert_int_equal(r.status, DRV_STATUS_UNDERLOAD);
    struct cd_err err = {0};
    assert_int_equal(drv_read_stable(d, NULL, 1000, &r, &err), 0);
    assert_int_equal(r.status, DRV_STATUS_UNDERLOAD);
    drv_close(d);
    sim_stop(&p);

    sim_start(&p, "modbus",
              OPTS("map=generic", "loads=1.234,-0.5", "noise=0", "settle_s=0",
                   "resolution=0.001"));
    d = open_ok("modbus", p.pty.path, NULL, OPTS("preset=generic"), NULL);
    read_ok(d, &r);
    expect_reading(&r, 1.234, "bar", "1.234");
    assert_true(r.resolution == 0.001);
    sim_ctl(&p, "next");
    read_ok(d, &r);   /* a negative load is the simulator's underload: -32768 */
    assert_int_equal(r.status, DRV_STATUS_UNDERLOAD);
    sim_ctl(&p, "set unit=kPa");     /* the unit code register follows */
    sim_ctl(&p, "load 3.5");
    read_ok(d, &r);
    expect_reading(&r, 3.5, "kPa", "3.500");
    drv_close(d);
    sim_stop(&p);

    sim_start(&p, "modbus",
              OPTS("map=generic", "loads=12.5", "noise=0", "settle_s=0", "resolution=0.1",
                   "unit=psi", "capacity=100", "unit_id=9"));
    d = open_ok("modbus", p.pty.path, NULL, OPTS("preset=generic", "unit_id=9"), NULL);
    read_ok(d, &r);
    expect_reading(&r, 12.5, "psi", "12.5");
    /* FC 4 is not in map v1: the simulator's exception 01 */
    drv_close(d);
    d = open_ok("modbus", p.pty.path, NULL, OPTS("preset=generic", "unit_id=9", "function=4"),
                NULL);
    read_fails(d, CD_ERR_DEVICE, "Modbus exception 01 (illegal function)");
    drv_close(d);
    sim_stop(&p);
}

/* Exceptions, bad CRCs, silence and options the driver refuses. */
static void test_gauge_errors(void **state)
{
    (void)state;
    struct drv_reading r;
    struct cd_err err = {0};

    struct sim_pty p;
    sim_start(&p, "modbus", OPTS("loads=1.2345", "noise=0", "settle_s=0", "bad_crc_every=2",
                                 "exception_every=3", "exception=4"));
    drv_dev *d = open_ok("modbus", p.pty.path, NULL, OPTS("preset=keller", "timeout_ms=500"),
                         NULL);
    read_ok(d, &r);
    read_fails(d, CD_ERR_PROTOCOL, "bad CRC in the reply reading 2 registers at 0x0002");
    read_fails(d, CD_ERR_DEVICE, "Modbus exception 04 (server device failure)");
    read_fails(d, CD_ERR_PROTOCOL, "bad CRC");
    read_ok(d, &r);
    expect_reading(&r, (double)1.2345f, "bar", "1.2345");
    drv_close(d);
    /* another unit on the bus: silence */
    d = open_ok("modbus", p.pty.path, NULL, OPTS("preset=keller", "unit_id=2", "timeout_ms=150"),
                NULL);
    read_fails(d, CD_ERR_TIMEOUT, "no answer within 150 ms");
    struct drv_identity id;
    assert_int_equal(drv_identify(d, &id, &err), CD_ERR_TIMEOUT);
    cd_err_clear(&err);
    drv_close(d);
    sim_stop(&p);

    /* zero and tare */
    struct tcp_sim t;
    tcp_sim_start(&t, OPTS("loads=1", "noise=0", "exception=2"), 2);
    d = open_ok("modbus", t.name, NULL, OPTS("preset=keller"), NULL);
    read_fails(d, CD_ERR_DEVICE, "Modbus exception 02 (illegal data address) reading 2 "
                                 "registers at 0x0002 (function 03)");
    assert_int_equal(drv_zero(d, &err), CD_ERR_INVALID);
    assert_non_null(strstr(err.msg, "give allow_write=1"));
    cd_err_clear(&err);
    assert_int_equal(drv_tare(d, &err), CD_ERR_UNSUPPORTED);
    cd_err_clear(&err);
    drv_close(d);
    /* With writing allowed, zero is the FC16 write to 0xFF00; this
     * simulator answers every request with exception 02. */
    d = open_ok("modbus", t.name, NULL, OPTS("preset=keller", "allow_write=1"), NULL);
    assert_int_equal(drv_zero(d, &err), CD_ERR_DEVICE);
    assert_non_null(strstr(err.msg, "writing 2 registers at 0xFF00 (function 16)"));
    cd_err_clear(&err);
    drv_close(d);
    tcp_sim_stop(&t);
    /* ... and on a gauge that accepts it, the reading becomes 0. */
    tcp_sim_start(&t, OPTS("loads=0.03", "noise=0", "settle_s=0"), 1);
    d = open_ok("modbus", t.name, NULL, OPTS("preset=keller", "allow_write=1"), NULL);
    struct drv_reading zr;
    assert_int_equal(drv_read(d, &zr, &err), 0);
    assert_true(fabs(zr.value - 0.03) < 1e-6);
    assert_int_equal(drv_zero(d, &err), 0);
    assert_int_equal(drv_read(d, &zr, &err), 0);
    assert_true(fabs(zr.value) < 1e-6);
    drv_close(d);
    tcp_sim_stop(&t);
    tcp_sim_start(&t, OPTS("loads=1", "noise=0", "exception=2"), 2);
    d = open_ok("modbus", t.name, NULL, OPTS("preset=generic"), NULL);
    assert_int_equal(drv_zero(d, &err), CD_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "preset generic has no documented remote zero"));
    cd_err_clear(&err);
    drv_close(d);
    d = open_ok("modbus", t.name, NULL, OPTS("register=2", "allow_write=1"), NULL);
    assert_int_equal(drv_zero(d, &err), CD_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "this register map has no documented remote zero"));
    cd_err_clear(&err);
    drv_close(d);
    tcp_sim_stop(&t);

    /* options refused before anything is read; two of these connect (the
     * map is checked once the port is open) */
    tcp_sim_start(&t, NULL, 2);
    open_fails("modbus", t.name, NULL, CD_ERR_INVALID, "no register map");
    open_fails("modbus", t.name, OPTS("preset=druck"), CD_ERR_INVALID, "no preset 'druck'");
    open_fails("modbus", t.name, OPTS("preset=keller", "allow_write=yes"), CD_ERR_INVALID,
               "allow_write=yes");
    open_fails("modbus", t.name, OPTS("preset=keller", "func=RES"), CD_ERR_INVALID,
               "unknown option 'func'");
    open_fails("modbus", t.name, OPTS("preset=keller", "unit_id=x"), CD_ERR_INVALID,
               "unit_id=x");
    open_fails("modbus", t.name, OPTS("register=4", "unit=bar", "unit_register=2"),
               CD_ERR_INVALID, "not both");
    tcp_sim_stop(&t);
    open_fails("modbus", "/nonexistent/ttyUSB7", OPTS("preset=keller"), CD_ERR_NOT_FOUND,
               "/nonexistent/ttyUSB7");
    open_fails("modbus", "/dev/null", OPTS("preset=keller"), CD_ERR_IO, "/dev/null");
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_scpi_bad_input),
        cmocka_unit_test(test_modbus_bad_input),
        cmocka_unit_test(test_map_options),
        cmocka_unit_test(test_map_types),
        cmocka_unit_test(test_scpi_driver),
        cmocka_unit_test(test_scpi_device_errors),
        cmocka_unit_test(test_scpi_faults),
        cmocka_unit_test(test_scpi_record_replay),
        cmocka_unit_test(test_fixtures_are_simulator_bytes),
        cmocka_unit_test(test_gauge_pymodbus_tcp),
        cmocka_unit_test(test_gauge_pymodbus_rtu),
        cmocka_unit_test(test_gauge_sim),
        cmocka_unit_test(test_gauge_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
