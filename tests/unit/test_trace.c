/* Trace files: round trip of every byte value, the documented example,
 * and malformed traces rejected with their line number. */
#include <setjmp.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "drv.h"

static void test_escape_examples(void **state)
{
    (void)state;
    char out[64];
    const uint8_t in[] = {'S', 'I', '\r', '\n', '"', '\\', '\t', 0x00, 0x1b, 0x7f, 0xff, ' '};
    size_t n = drv_escape(in, sizeof in, out, sizeof out);
    assert_string_equal(out, "SI\\r\\n\\\"\\\\\\t\\x00\\x1B\\x7F\\xFF ");
    assert_int_equal(n, strlen(out));
    /* Truncation behaves like snprintf. */
    char small[4];
    assert_int_equal(drv_escape(in, sizeof in, small, sizeof small), n);
    assert_string_equal(small, "SI\\");
}

/* Write random records holding all 256 byte values, read them back. */
static void test_round_trip_random_bytes(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct drv_trace_header h = {0};
    snprintf(h.transport, sizeof h.transport, "serial");
    snprintf(h.port, sizeof h.port, "/dev/ttyUSB0");
    snprintf(h.settings, sizeof h.settings, "9600 8N1");
    snprintf(h.driver, sizeof h.driver, "mtsics");
    struct cd_err err = {0};
    struct drv_trace_writer *w = drv_trace_writer_new(f, &h, &err);
    assert_non_null(w);

    enum { RECORDS = 300 };
    static uint8_t data[RECORDS][600];
    size_t lens[RECORDS];
    unsigned long long s = 0x9E3779B97F4A7C15ULL;
    for (int r = 0; r < RECORDS; r++) {
        lens[r] = 1 + (size_t)(r * 7 % 599);
        for (size_t i = 0; i < lens[r]; i++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            data[r][i] = r == 0 ? (uint8_t)i : (uint8_t)(s >> 56); /* record 0: 0..255 in order */
        }
        enum drv_dir dir = r % 2 ? DRV_DIR_INSTR : DRV_DIR_HOST;
        assert_int_equal(drv_trace_writer_bytes(w, dir, 0.001 * r, data[r], lens[r], &err), 0);
    }
    assert_int_equal(drv_trace_writer_event(w, 1.0, "disconnect", &err), 0);
    assert_int_equal(drv_trace_writer_close(w, &err), 0);
    fclose(f);

    struct drv_trace *t = NULL;
    if (drv_trace_parse(text, len, "mem.trace", &t, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(t->n, RECORDS + 1);
    assert_string_equal(t->header.transport, "serial");
    assert_string_equal(t->header.port, "/dev/ttyUSB0");
    assert_string_equal(t->header.settings, "9600 8N1");
    assert_string_equal(t->header.driver, "mtsics");
    assert_true(strlen(t->header.started) >= 19);
    for (int r = 0; r < RECORDS; r++) {
        assert_int_equal(t->records[r].len, lens[r]);
        assert_memory_equal(t->records[r].data, data[r], lens[r]);
        assert_int_equal(t->records[r].dir, r % 2 ? DRV_DIR_INSTR : DRV_DIR_HOST);
        assert_true(t->records[r].line == 7 + r); /* 6 header lines */
    }
    assert_int_equal(t->records[RECORDS].dir, DRV_DIR_EVENT);
    assert_string_equal((const char *)t->records[RECORDS].data, "disconnect");
    drv_trace_free(t);
    free(text);
}

/* The time of the last reply as the writer tells it is, to the bit, the
 * time a reader parses back from the record (the set-and-wait's clock,
 * which a replay must reproduce: docs/sources.md). */
static void test_last_reply_as_parsed(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct cd_err err = {0};
    struct drv_trace_writer *w = drv_trace_writer_new(f, NULL, &err);
    assert_non_null(w);
    assert_true(isnan(drv_trace_writer_last_reply(w)));
    assert_true(isnan(drv_trace_writer_last_reply(NULL)));
    static const double times[] = {0.1234567891, 1.0000004999, 2.5000005, 7.333333333333, 9.99999951};
    double told[5];
    for (size_t i = 0; i < 5; i++) {
        const uint8_t q[] = "t\r", a[] = "t: 25.003 C\r\n";
        assert_int_equal(drv_trace_writer_bytes(w, DRV_DIR_HOST, times[i] - 1e-4, q, 2, &err), 0);
        double before = drv_trace_writer_last_reply(w);
        assert_int_equal(drv_trace_writer_bytes(w, DRV_DIR_INSTR, times[i], a, 13, &err), 0);
        told[i] = drv_trace_writer_last_reply(w);
        assert_true(i == 0 ? isnan(before) : before == told[i - 1]); /* `>` leaves it */
    }
    assert_int_equal(drv_trace_writer_close(w, &err), 0);
    fclose(f);
    struct drv_trace *t = NULL;
    if (drv_trace_parse(text, len, "mem.trace", &t, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(t->n, 10);
    for (size_t i = 0; i < 5; i++) {
        assert_true(t->records[2 * i + 1].t == told[i]); /* exactly equal */
        assert_true(fabs(told[i] - times[i]) <= 5.0001e-7);
    }
    drv_trace_free(t);
    free(text);
}

static const char example[] = "# caldaq-trace 1\n"
                              "# transport: serial            (serial | tcp)\n"
                              "# port: /dev/ttyUSB0\n"
                              "# settings: 9600 8N1\n"
                              "# driver: mtsics\n"
                              "# started: 2026-11-22T09:30:00+07:00\n"
                              "0.000000 > \"SI\\r\\n\"\n"
                              "0.081233 < \"S S     100.00 g\\r\\n\"\n"
                              "5.120000 ! disconnect\n";

static void test_design_example(void **state)
{
    (void)state;
    struct drv_trace *t = NULL;
    struct cd_err err = {0};
    assert_int_equal(drv_trace_parse(example, strlen(example), "ex", &t, &err), 0);
    assert_int_equal(t->n, 3);
    assert_string_equal(t->header.started, "2026-11-22T09:30:00+07:00");
    assert_memory_equal(t->records[1].data, "S S     100.00 g\r\n", 18);
    assert_true(t->records[1].t == 0.081233);
    assert_int_equal(t->records[2].line, 9);
    drv_trace_free(t);
}

static void expect_bad(const char *text, const char *fragment)
{
    struct drv_trace *t = NULL;
    struct cd_err err = {0};
    int rc = drv_trace_parse(text, strlen(text), "bad.trace", &t, &err);
    if (rc == 0) {
        drv_trace_free(t);
        fail_msg("accepted:\n%s", text);
    }
    assert_int_equal(rc, CD_ERR_PARSE);
    if (strstr(err.msg, fragment) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, fragment);
}

static void test_malformed_traces(void **state)
{
    (void)state;
    expect_bad("", "bad.trace: the trace is empty");
    expect_bad("hello\n", "bad.trace:1: not a caldaq trace");
    expect_bad("# caldaq-trace 2\n", "version \"2\" is not supported");
    expect_bad("# caldaq-trace 1\n0.1 > SI\n", "bad.trace:2: expected '\"'");
    expect_bad("# caldaq-trace 1\n\n0.1 > \"SI\\r\\n\n", "bad.trace:3:");
    expect_bad("# caldaq-trace 1\n0.1 > \"SI\\q\"\n", "unknown escape '\\q'");
    expect_bad("# caldaq-trace 1\n0.1 > \"\\x4\"\n", "two hex digits");
    expect_bad("# caldaq-trace 1\n0.1 ? \"SI\"\n", "bad.trace:2: direction");
    expect_bad("# caldaq-trace 1\nabc > \"SI\"\n", "starts with the time");
    expect_bad("# caldaq-trace 1\nnan > \"SI\"\n", "not a finite number");
    expect_bad("# caldaq-trace 1\n1e999 > \"SI\"\n", "not a finite number");
    expect_bad("# caldaq-trace 1\n-1 > \"SI\"\n", "not a finite number");
    expect_bad("# caldaq-trace 1\n2.0 > \"A\"\n1.0 < \"B\"\n", "bad.trace:3: time 1.000000 goes back");
    expect_bad("# caldaq-trace 1\n0.1 ! explode\n", "unknown event 'explode'");
    expect_bad("# caldaq-trace 1\n0.1 > \"SI\" trailing\n", "after the closing");
    expect_bad("# caldaq-trace 1\n0.1 > \"\"\n", "at least one byte");
    expect_bad("# caldaq-trace 1\n0.1 > \"caf\xc3\xa9\"\n", "byte 0xC3 must be written as \\xC3");
    expect_bad("# caldaq-trace 1\n0.1", "starts with the time"); /* truncated line */
    /* garbage bytes, including a NUL */
    static const char garbage[] = "# caldaq-trace 1\n\x01\x02\xff\xfe\x00zz\n";
    struct drv_trace *t = NULL;
    struct cd_err err = {0};
    assert_int_equal(drv_trace_parse(garbage, sizeof garbage - 1, "g.trace", &t, &err),
                     CD_ERR_PARSE);
    assert_non_null(strstr(err.msg, "NUL"));
}

static void test_missing_file(void **state)
{
    (void)state;
    struct drv_trace *t = NULL;
    struct cd_err err = {0};
    assert_int_equal(drv_trace_load("/nonexistent/x.trace", &t, &err), CD_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent/x.trace"));
}

static void test_serial_settings(void **state)
{
    (void)state;
    struct drv_serial_settings s;
    struct cd_err err = {0};
    assert_int_equal(drv_serial_settings_parse("1200,7O1,rtscts", &s, &err), 0);
    assert_int_equal(s.baud, 1200);
    assert_int_equal(s.data_bits, 7);
    assert_int_equal(s.parity, DRV_PARITY_ODD);
    assert_int_equal(s.flow, DRV_FLOW_RTSCTS);
    char text[64];
    drv_serial_settings_format(&s, text, sizeof text);
    assert_string_equal(text, "1200 7O1 rtscts");
    assert_int_equal(drv_serial_settings_parse("9600 8N2 dtrdsr", &s, &err), 0);
    assert_int_equal(s.stop_bits, 2);
    assert_int_equal(s.flow, DRV_FLOW_DTRDSR);
    const char *bad[] = {"", "fast", "9600,9N1", "9600,8X1", "9600,8N3", "9600,8N1,magic",
                         "9600,8N1,none,extra", "10"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cd_err_clear(&err);
        assert_int_equal(drv_serial_settings_parse(bad[i], &s, &err), CD_ERR_INVALID);
        assert_true(err.msg[0] != '\0');
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_examples),     cmocka_unit_test(test_round_trip_random_bytes),
        cmocka_unit_test(test_design_example),      cmocka_unit_test(test_malformed_traces),
        cmocka_unit_test(test_missing_file),        cmocka_unit_test(test_serial_settings),
        cmocka_unit_test(test_last_reply_as_parsed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
