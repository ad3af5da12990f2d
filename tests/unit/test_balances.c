/* The balance drivers (MT-SICS, Sartorius SBI, A&D standard format):
 *   - every fixture in tests/fixtures/{mtsics,sbi,aandd}/ decoded by the
 *     pure parser and compared with its .expect (paths are relative to the
 *     working directory, the repository root under `make unit`);
 *   - bad input per parser: noise, NUL and 0xFF bytes, truncated lines,
 *     "nan", numbers too long for the field, unknown units and headers,
 *     missing fields, and a few thousand random and mutated frames;
 *   - end to end: drv_open against the simulator (drv_sim_serve in a thread
 *     on a pty), identify, stable / unstable / overload / underload
 *     readings, zero, tare, and each fault of the simulator
 *     (garbage_every, truncate_every, silent_after, disconnect_after,
 *     error_every) giving its documented result;
 *   - a session recorded with a trace writer and replayed with drv_replay
 *     gives the same readings; hand-written traces give the garbage and
 *     stray-line cases.
 * Every wait is bounded: a driver that hangs fails a test instead. */
#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_support.h"
#include <jansson.h>

#include "drv.h"
#include "fixture_dir.h"

#define FIXTURES "tests/fixtures"

/* ------------------------------------------------------------ fixtures */

/* One fixture: the parser's result against the .expect JSON, and the
 * resolution the display implies. */
static void check_fixture(const struct drv_parser *p, const char *bytes_path)
{
    uint8_t buf[512];
    size_t n = fixture_read(bytes_path, buf, sizeof buf);
    struct drv_reading r;
    struct cd_err err = {0};
    int rc = p->parse(buf, n, &r, &err);
    if (!fixture_expect(bytes_path, rc, &r, &err))
        return;
    if (r.display[0] != '\0') {
        const char *dot = strchr(r.display, '.');
        double res = dot != NULL ? pow(10, -(double)strlen(dot + 1)) : 1;
        assert_true(fabs(r.resolution - res) < 1e-15);
    } else {
        assert_true(r.resolution == 0);
    }
}

static void fixtures_of(const char *driver, size_t at_least)
{
    fixture_dir_each(driver, at_least, check_fixture);
}

static void test_fixtures_mtsics(void **state)
{
    (void)state;
    fixtures_of("mtsics", 18);
}

static void test_fixtures_sbi(void **state)
{
    (void)state;
    fixtures_of("sbi", 20);
}

static void test_fixtures_aandd(void **state)
{
    (void)state;
    fixtures_of("aandd", 20);
}

/* ------------------------------------------------------------ bad input */

struct bad {
    const char *driver;
    const char *bytes;
    size_t len;
    const char *why;   /* a fragment of the message */
};

#define BAD(drv, lit, why) {drv, lit, sizeof lit - 1, why}

static const struct bad bad_frames[] = {
    /* MT-SICS */
    BAD("mtsics", "", "no line end"),
    BAD("mtsics", "S S     100.00 g", "no line end"),
    BAD("mtsics", "S S     100.", "no line end"),
    BAD("mtsics", "\r\n", "empty line"),
    BAD("mtsics", "S S     10\x00.00 g\r\n", "byte 0x00 at column 11"),
    BAD("mtsics", "\xff\xfe\r\n", "byte 0xFF at column 1"),
    BAD("mtsics", "S S       nan g\r\n", "not a number"),
    BAD("mtsics", "S S       inf g\r\n", "not a number"),
    BAD("mtsics", "S S     1e+300 g\r\n", "not a number"),
    BAD("mtsics", "S S     +100.00 g\r\n", "not a number"),
    BAD("mtsics", "S S     100.00. g\r\n", "not a number"),
    BAD("mtsics", "S S     .5 g\r\n", "not a number"),
    BAD("mtsics", "S S 123456789012345678 g\r\n", "longer than the 10-character field"),
    BAD("mtsics", "S S     100.00 xyz\r\n", "unknown unit"),
    BAD("mtsics", "S S     100.00 G\r\n", "unknown unit"),
    BAD("mtsics", "S S     100.00\r\n", "without a value and a unit"),
    BAD("mtsics", "S S     100.00 \r\n", "without a unit"),
    BAD("mtsics", "S S     100.00 g extra\r\n", "after the unit"),
    BAD("mtsics", "S S\r\n", "without a value"),
    BAD("mtsics", "S X     100.00 g\r\n", "unknown weight status"),
    BAD("mtsics", "S\r\n", "without a status"),
    BAD("mtsics", "S +x\r\n", "after the status"),
    BAD("mtsics", "s S     100.00 g\r\n", "unknown reply header"),
    BAD("mtsics", "XYZ\r\n", "reply without a status"),
    BAD("mtsics", "E\r\n", "reply without a status"),
    BAD("mtsics", "ZI S\r\n", "not a weight reply"),
    BAD("mtsics", "@@@@\r\n", "unknown reply header"),
    /* SBI */
    BAD("sbi", "+   123.56 g  ", "no CR LF"),
    BAD("sbi", "+   123.56 g  \n", "no CR LF"),
    BAD("sbi", "+   123.56 g\r\n", "wrong length"),
    BAD("sbi", "+    123.56 g  \r\n", "wrong length"),
    BAD("sbi", "\r\n", "wrong length"),
    BAD("sbi", "+   123\x00" "56 g  \r\n", "byte 0x00 at column 8"),
    BAD("sbi", "\xff   123.56 g  \r\n", "byte 0xFF at column 1"),
    BAD("sbi", "*   123.56 g  \r\n", "bad sign"),
    BAD("sbi", "+      nan g  \r\n", "not a number"),
    BAD("sbi", "+      inf g  \r\n", "not a number"),
    BAD("sbi", "+     1e99 g  \r\n", "not a number"),
    BAD("sbi", "+  1 23.56 g  \r\n", "not a number"),
    BAD("sbi", "+  12.3.56 g  \r\n", "not a number"),
    BAD("sbi", "+   123.56xg  \r\n", "no space between value and unit"),
    BAD("sbi", "+ 123456789g  \r\n", "no space between value and unit"),
    BAD("sbi", "+          g  \r\n", "value field is empty"),
    BAD("sbi", "+   123.56 xyz\r\n", "unknown unit"),
    BAD("sbi", "+   123.56 G  \r\n", "unknown unit"),
    BAD("sbi", "      X       \r\n", "not a number"),
    BAD("sbi", "   Err 5432   \r\n", "malformed error line"),
    BAD("sbi", "Stat     ERR x1     \r\n", "malformed error line"),
    BAD("sbi", "Stat        Q       \r\n", "unknown status code"),
    BAD("sbi", "+     +   123.56 g  \r\n", "bad ID code"),
    BAD("sbi", "      +   123.56 g  \r\n", "bad ID code"),
    BAD("sbi", "??+   123.56 g  \r\n", "wrong length"),
    /* A&D */
    BAD("aandd", "ST,+00123.45  g", "no CR LF"),
    BAD("aandd", "ST,+00123.45  g\n", "no CR LF"),
    BAD("aandd", "ST,+00123.4  g\r\n", "wrong length"),
    BAD("aandd", "ST,+000123.45  g\r\n", "wrong length"),
    BAD("aandd", "\r\n", "no header"),
    BAD("aandd", "ST;+00123.45  g\r\n", "no header"),
    BAD("aandd", "XX,+00123.45  g\r\n", "unknown header"),
    BAD("aandd", "st,+00123.45  g\r\n", "unknown header"),
    BAD("aandd", "ST,+001\x00" "3.45  g\r\n", "byte 0x00 at column 8"),
    BAD("aandd", "ST,+00123.45  \xff\r\n", "byte 0xFF at column 15"),
    BAD("aandd", "ST, 00123.45  g\r\n", "bad sign"),
    BAD("aandd", "ST,+0000nan0  g\r\n", "not a number"),
    BAD("aandd", "ST,+0001e300  g\r\n", "not a number"),
    BAD("aandd", "ST,+   123.45  g\r\n", "wrong length"),
    BAD("aandd", "ST,+  123.45  g\r\n", "not a number"),
    BAD("aandd", "ST,+0012.3.4  g\r\n", "not a number"),
    BAD("aandd", "ST,+00123.45 xg\r\n", "unknown unit"),
    BAD("aandd", "ST,+00123.45g  \r\n", "unknown unit"),
    BAD("aandd", "ST,+00123.45   \r\n", "unknown unit"),
    BAD("aandd", "EC,E1\r\n", "malformed error code"),
    BAD("aandd", "EC,X01\r\n", "malformed error code"),
    BAD("aandd", "OL,*999999E+19\r\n", "malformed overload"),
    BAD("aandd", "OL,+9999nan9\r\n", "malformed overload"),
    BAD("aandd", "SN,T0123456\r\n", "serial number reply"),
    BAD("aandd", "PT,+00100.00  g\r\n", "tare value reply"),
    BAD("aandd", "\x06\x06\r\n", "byte 0x06 at column 1"),
};

static void test_bad_input(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_frames / sizeof bad_frames[0]; i++) {
        const struct bad *b = &bad_frames[i];
        const struct drv_parser *p = drv_parser_find(b->driver);
        struct drv_reading r;
        struct cd_err err = {0};
        int rc = p->parse((const uint8_t *)b->bytes, b->len, &r, &err);
        char shown[256];
        drv_escape((const uint8_t *)b->bytes, b->len, shown, sizeof shown);
        if (rc != CD_ERR_PROTOCOL)
            fail_msg("%s \"%s\": rc %d (%s %s), expected CD_ERR_PROTOCOL", b->driver, shown, rc,
                     drv_status_name(r.status), r.display);
        if (strstr(err.msg, b->why) == NULL)
            fail_msg("%s \"%s\": \"%s\" lacks \"%s\"", b->driver, shown, err.msg, b->why);
        assert_true(isnan(r.value));
    }
}

/* Random frames, and valid frames with one byte changed, cut or doubled:
 * never a crash, and a decoded value is always finite and fits its
 * display. */
static uint64_t xorshift(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void test_random_frames(void **state)
{
    (void)state;
    static const char *const drivers[] = {"mtsics", "sbi", "aandd"};
    static const char *const seeds[] = {"S S     100.00 g\r\n", "+   123.56 g  \r\n",
                                        "ST,+00123.45  g\r\n"};
    static const uint8_t alphabet[] = "SDI+-ETLAZ0123456789.,  gkmPCHL?\r\n\x06\xff";
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (int d = 0; d < 3; d++) {
        const struct drv_parser *p = drv_parser_find(drivers[d]);
        for (int i = 0; i < 20000; i++) {
            xorshift(&x);
            uint8_t buf[40];
            size_t n;
            if (i % 2 == 0) {
                n = x % sizeof buf;
                uint64_t y = x;
                for (size_t k = 0; k < n; k++)
                    buf[k] = alphabet[xorshift(&y) % (sizeof alphabet - 1)];
            } else {
                n = strlen(seeds[d]);
                memcpy(buf, seeds[d], n);
                size_t at = (x >> 8) % n;
                switch (x % 3) {
                case 0: buf[at] = (uint8_t)(x >> 24); break;
                case 1: n = at; break;
                default:
                    memmove(buf + at + 1, buf + at, n - at);
                    n++;
                    break;
                }
            }
            struct drv_reading r;
            struct cd_err err = {0};
            int rc = p->parse(buf, n, &r, &err);
            if (rc == 0) {
                assert_true(strlen(r.display) < sizeof r.display);
                if (r.status == DRV_STATUS_STABLE || r.status == DRV_STATUS_UNSTABLE) {
                    assert_true(isfinite(r.value));
                    assert_true(fabs(r.value - strtod(r.display, NULL)) <= 1e-9 * fabs(r.value));
                } else {
                    assert_true(isnan(r.value));
                }
            } else {
                assert_int_equal(rc, CD_ERR_PROTOCOL);
                assert_true(err.msg[0] != '\0');
            }
        }
    }
}

/* ------------------------------------------------------------ simulator */

struct simh {
    drv_sim *sim;
    struct drv_pty pty;
    int ctl;              /* the test's end of the control socketpair */
    int ctl_sim;
    pthread_t th;
    bool running;
    int rc;
    struct cd_err err;
    drv_dev *dev;
};

/* Serve; after a disconnect fault, wait until the host has read what was
 * sent, then close the master so the host sees the port go away. */
static void *serve_main(void *arg)
{
    struct simh *h = arg;
    h->rc = drv_sim_serve(h->sim, h->pty.master, h->ctl_sim, &h->err);
    if (h->rc == 0) {
        /* As drv_replay does: bytes written to a pty master reach the
         * slave's queue a little later, so wait a moment, then for the
         * queue to be seen empty twice. */
        sleep_ms(30);
        double end = mono() + 2;
        int pending = 0, empty = 0;
        while (empty < 2 && mono() < end && ioctl(h->pty.slave, FIONREAD, &pending) == 0) {
            empty = pending == 0 ? empty + 1 : 0;
            sleep_ms(5);
        }
        close(h->pty.master);
        h->pty.master = -1;
    }
    return NULL;
}

static struct simh *sim_start_v(const char *driver, const char *const *sim_opts,
                                const char *const *drv_opts, struct drv_trace_writer *rec)
{
    struct simh *h = calloc(1, sizeof *h);
    assert_non_null(h);
    struct cd_err err = {0};
    if (drv_sim_new(driver, sim_opts, &h->sim, &err) != 0)
        fail_msg("drv_sim_new(%s): %s", driver, cd_err_text(&err));
    if (drv_pty_open(&h->pty, NULL, &err) != 0)
        fail_msg("drv_pty_open: %s", cd_err_text(&err));
    int cv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, cv), 0);
    h->ctl = cv[0];
    h->ctl_sim = cv[1];
    assert_int_equal(pthread_create(&h->th, NULL, serve_main, h), 0);
    h->running = true;
    if (drv_open(driver, h->pty.path, NULL, drv_opts, rec, &h->dev, &err) != 0)
        fail_msg("drv_open(%s): %s", driver, cd_err_text(&err));
    assert_string_equal(drv_dev_driver(h->dev), driver);
    assert_true(drv_has_stability_flag(h->dev));
    return h;
}

#define OPTS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void sim_stop(struct simh *h)
{
    drv_close(h->dev);
    if (h->running) {
        drv_sim_control(h->sim, "quit", NULL, 0, NULL);
        pthread_join(h->th, NULL);
        h->running = false;
    }
    if (h->rc < 0)
        fail_msg("simulator: %s", cd_err_text(&h->err));
    drv_pty_close(&h->pty);
    close(h->ctl);
    close(h->ctl_sim);
    drv_sim_free(h->sim);
    free(h);
}

/* A control command ("load 300"); its reply line must start with `want`. */
static void control(struct simh *h, const char *cmd, const char *want)
{
    char line[256];
    int len = snprintf(line, sizeof line, "%s\n", cmd);
    assert_int_equal(write(h->ctl, line, (size_t)len), len);
    size_t n = 0;
    while (n + 1 < sizeof line) {
        struct pollfd p = {.fd = h->ctl, .events = POLLIN};
        assert_int_equal(poll(&p, 1, 2000), 1);
        assert_int_equal(read(h->ctl, line + n, 1), 1);
        if (line[n] == '\n')
            break;
        n++;
    }
    line[n] = '\0';
    if (strncmp(line, want, strlen(want)) != 0)
        fail_msg("control \"%s\": \"%s\", expected \"%s...\"", cmd, line, want);
}

static void read_ok(struct simh *h, struct drv_reading *r)
{
    struct cd_err err = {0};
    int rc = drv_read(h->dev, r, &err);
    if (rc != 0)
        fail_msg("%s: drv_read: %d %s", drv_dev_driver(h->dev), rc, cd_err_text(&err));
    assert_true(r->t > 1e9);
}

static void expect_reading(struct simh *h, enum drv_status status, double value,
                           const char *display, const char *unit)
{
    struct drv_reading r;
    read_ok(h, &r);
    if (r.status != status)
        fail_msg("%s: status %s (%s), expected %s", drv_dev_driver(h->dev),
                 drv_status_name(r.status), r.display, drv_status_name(status));
    if (status == DRV_STATUS_STABLE || status == DRV_STATUS_UNSTABLE) {
        if (fabs(r.value - value) > 1e-9)
            fail_msg("%s: value %.17g, expected %.17g", drv_dev_driver(h->dev), r.value, value);
        assert_string_equal(r.display, display);
        assert_string_equal(r.unit, unit);
        assert_true(fabs(r.resolution - 0.01) < 1e-15);
    } else {
        assert_true(isnan(r.value));
    }
}

/* A call that must fail with `code`, its message containing `why`, within
 * `max_s` seconds. */
static void expect_failure(int rc, const struct cd_err *err, int code, const char *why)
{
    if (rc != code)
        fail_msg("rc %d (%s), expected %d", rc, cd_err_text(err), code);
    if (strstr(err->msg, why) == NULL)
        fail_msg("\"%s\" lacks \"%s\"", err->msg, why);
}

static void read_fails(struct simh *h, int code, const char *why, double max_s)
{
    struct drv_reading r;
    struct cd_err err = {0};
    double t0 = mono();
    int rc = drv_read(h->dev, &r, &err);
    expect_failure(rc, &err, code, why);
    if (mono() - t0 > max_s)
        fail_msg("%s took %.2f s (at most %.2f)", err.msg, mono() - t0, max_s);
}

static const char *const base_opts[] = {"loads=100", "noise=0", "settle_s=0", NULL};

struct expect_ident {
    const char *driver;
    const char *manufacturer, *model, *serial, *firmware;
};

static const struct expect_ident idents[] = {
    {"mtsics", "Mettler Toledo", "XS204 Excellence, Max 220.00 g", "0123456789",
     "2.10 10.28.0.493.142"},
    {"sbi", "Sartorius", "MSE224S-100-DU", "0012345678", "00-39-21"},
    {"aandd", "A&D", "GX-224A", "T0123456", ""},
};

/* Identify, readings of each status, zero and tare, for one driver. */
static void full_session(const char *driver, const char *const *drv_opts)
{
    struct simh *h = sim_start_v(driver, OPTS("loads=100", "noise=0", "settle_s=0"), drv_opts,
                                 NULL);
    struct cd_err err = {0};
    struct drv_identity id;
    if (drv_identify(h->dev, &id, &err) != 0)
        fail_msg("%s identify: %s", driver, cd_err_text(&err));
    for (size_t i = 0; i < sizeof idents / sizeof idents[0]; i++) {
        if (strcmp(idents[i].driver, driver) != 0)
            continue;
        assert_string_equal(id.manufacturer, idents[i].manufacturer);
        assert_string_equal(id.model, idents[i].model);
        assert_string_equal(id.serial, idents[i].serial);
        assert_string_equal(id.firmware, idents[i].firmware);
    }
    expect_reading(h, DRV_STATUS_STABLE, 100, "100.00", "g");
    control(h, "load 300", "load 300");
    expect_reading(h, DRV_STATUS_OVERLOAD, 0, "", "");
    control(h, "load -5", "load -5");
    expect_reading(h, DRV_STATUS_UNDERLOAD, 0, "", "");
    /* unstable while settling; the flag ends the wait of drv_read_stable */
    control(h, "set settle_s=30", "ok");
    control(h, "load 150", "load 150");
    struct drv_reading r;
    read_ok(h, &r);
    assert_int_equal(r.status, DRV_STATUS_UNSTABLE);
    if (!(r.value < 150 && r.value >= -5))   /* on its way from -5 to 150 */
        fail_msg("%s: unstable value %g", driver, r.value);
    control(h, "settle", "settled");
    if (drv_read_stable(h->dev, NULL, 2000, &r, &err) != 0)
        fail_msg("%s: %s", driver, cd_err_text(&err));
    assert_int_equal(r.status, DRV_STATUS_STABLE);
    assert_true(r.value == 150);
    control(h, "set settle_s=0", "ok");
    /* zero inside the zero range (2 % of 220 g), then tare */
    control(h, "load 2", "load 2");
    expect_reading(h, DRV_STATUS_STABLE, 2, "2.00", "g");
    if (drv_zero(h->dev, &err) != 0)
        fail_msg("%s zero: %s", driver, cd_err_text(&err));
    expect_reading(h, DRV_STATUS_STABLE, 0, "0.00", "g");
    control(h, "load 52", "load 52");
    if (drv_tare(h->dev, &err) != 0)
        fail_msg("%s tare: %s", driver, cd_err_text(&err));
    expect_reading(h, DRV_STATUS_STABLE, 0, "0.00", "g");
    control(h, "load 82.5", "load 82.5");
    expect_reading(h, DRV_STATUS_STABLE, 30.5, "30.50", "g");
    control(h, "load 12", "load 12");
    expect_reading(h, DRV_STATUS_STABLE, -40, "-40.00", "g");
    sim_stop(h);
}

static void test_session_mtsics(void **state)
{
    (void)state;
    full_session("mtsics", NULL);
}

static void test_session_sbi(void **state)
{
    (void)state;
    full_session("sbi", NULL);
}

static void test_session_aandd(void **state)
{
    (void)state;
    full_session("aandd", NULL);
}

/* Refused zero and tare are device errors with the instrument's meaning. */
static void test_refusals(void **state)
{
    (void)state;
    struct cd_err err = {0};
    struct simh *h = sim_start_v("mtsics", base_opts, NULL, NULL);
    control(h, "load 50", "load 50");
    expect_failure(drv_zero(h->dev, &err), &err, CD_ERR_DEVICE,
                   "MT-SICS: Z +: upper limit exceeded");
    cd_err_clear(&err);
    control(h, "load 300", "load 300");
    expect_failure(drv_tare(h->dev, &err), &err, CD_ERR_DEVICE, "MT-SICS: T +");
    sim_stop(h);

    h = sim_start_v("aandd", base_opts, NULL, NULL);
    cd_err_clear(&err);
    control(h, "load 50", "load 50");
    expect_failure(drv_zero(h->dev, &err), &err, CD_ERR_DEVICE,
                   "A&D: EC,E02: not ready / not executable");
    cd_err_clear(&err);
    control(h, "load -5", "load -5");
    expect_failure(drv_tare(h->dev, &err), &err, CD_ERR_DEVICE, "A&D: EC,E02");
    sim_stop(h);
}

/* SBI variants: 22-character lines, auto-print with and without ESC P,
 * and the combined tare/zero key. */
static void test_sbi_variants(void **state)
{
    (void)state;
    struct simh *h = sim_start_v("sbi", OPTS("loads=100", "noise=0", "settle_s=0",
                                             "sbi_format=22"),
                                 OPTS("keys=combined"), NULL);
    expect_reading(h, DRV_STATUS_STABLE, 100, "100.00", "g");
    control(h, "load 300", "load");
    expect_reading(h, DRV_STATUS_OVERLOAD, 0, "", "");
    control(h, "load 3", "load");
    struct cd_err err = {0};
    assert_int_equal(drv_zero(h->dev, &err), 0);   /* ESC T zeroes inside the range */
    expect_reading(h, DRV_STATUS_STABLE, 0, "0.00", "g");
    control(h, "load 50", "load");
    assert_int_equal(drv_tare(h->dev, &err), 0);   /* ...and tares outside it */
    expect_reading(h, DRV_STATUS_STABLE, 0, "0.00", "g");
    sim_stop(h);

    /* Auto-print: the driver only listens; readings follow the load. */
    h = sim_start_v("sbi", OPTS("loads=100", "noise=0", "settle_s=0", "autoprint=1",
                                "stream_ms=50"),
                    OPTS("autoprint=1"), NULL);
    expect_reading(h, DRV_STATUS_STABLE, 100, "100.00", "g");
    control(h, "load 120", "load");
    expect_reading(h, DRV_STATUS_STABLE, 120, "120.00", "g");
    expect_reading(h, DRV_STATUS_STABLE, 120, "120.00", "g");
    sim_stop(h);

    /* Auto-print on, driver in the default mode: ESC P still works. */
    h = sim_start_v("sbi", OPTS("loads=100", "noise=0", "settle_s=0", "autoprint=1",
                                "stream_ms=30"),
                    NULL, NULL);
    struct drv_identity id;
    if (drv_identify(h->dev, &id, &err) != 0)
        fail_msg("%s", cd_err_text(&err));
    assert_string_equal(id.model, "MSE224S-100-DU");
    expect_reading(h, DRV_STATUS_STABLE, 100, "100.00", "g");
    control(h, "load 110", "load");
    expect_reading(h, DRV_STATUS_STABLE, 110, "110.00", "g");
    sim_stop(h);
}

/* A&D without acknowledgements: zero and tare are sent unconfirmed. */
static void test_aandd_no_ack(void **state)
{
    (void)state;
    struct simh *h = sim_start_v("aandd", OPTS("loads=2", "noise=0", "settle_s=0", "ack=0"),
                                 OPTS("ack=0"), NULL);
    struct cd_err err = {0};
    assert_int_equal(drv_zero(h->dev, &err), 0);
    expect_reading(h, DRV_STATUS_STABLE, 0, "0.00", "g");
    control(h, "load 40", "load");
    assert_int_equal(drv_tare(h->dev, &err), 0);
    expect_reading(h, DRV_STATUS_STABLE, 0, "0.00", "g");
    struct drv_identity id;
    assert_int_equal(drv_identify(h->dev, &id, &err), 0);
    assert_string_equal(id.model, "GX-224A");
    sim_stop(h);
}

static void test_options(void **state)
{
    (void)state;
    static const struct {
        const char *driver;
        const char *option;
        const char *why;
    } cases[] = {
        {"mtsics", "settle_timeout_ms=-1", "settle_timeout_ms=-1"},
        {"mtsics", "settle_timeout_ms=x", "settle_timeout_ms=x"},
        {"mtsics", "autoprint=1", "unknown option 'autoprint'"},
        {"sbi", "autoprint=2", "autoprint=2: 0 or 1"},
        {"sbi", "keys=both", "keys=both: separate or combined"},
        {"aandd", "ack=yes", "ack=yes: 0 or 1"},
        {"aandd", "tare_acks=3", "tare_acks=3: 1 or 2"},
        {"aandd", "settle_timeout_ms=9999999", "0 to 600000"},
        {"aandd", "keys=separate", "unknown option 'keys'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cd_err err = {0};
        drv_dev *d = NULL;
        const char *opts[] = {cases[i].option, NULL};
        int rc = drv_open(cases[i].driver, "/dev/null-no-such-port", NULL, opts, NULL, &d, &err);
        expect_failure(rc, &err, CD_ERR_INVALID, cases[i].why);
        assert_null(d);
    }
}

/* ------------------------------------------------------------ faults */

struct fault_case {
    const char *driver;
    const char *error_text;   /* the protocol's own injected error */
};

static const struct fault_case fault_cases[] = {
    {"mtsics", "MT-SICS: ET: transmission error"},
    {"sbi", "SBI: Err 54"},
    {"aandd", "A&D: EC,E00: communications error"},
};

static void faults_of(const struct fault_case *fc)
{
    const char *drv = fc->driver;
    static const char *const fast_opts[] = {"timeout_ms=300", "settle_timeout_ms=300", NULL};
    static const char *const fast_sbi[] = {"timeout_ms=300", NULL};
    const char *const *fast = strcmp(drv, "sbi") == 0 ? fast_sbi : fast_opts;

    /* garbage before every 2nd reply: resynchronised, the reading is read */
    struct simh *h = sim_start_v(drv, OPTS("loads=100", "noise=0", "settle_s=0",
                                           "garbage_every=2"),
                                 fast, NULL);
    for (int i = 0; i < 4; i++)
        expect_reading(h, DRV_STATUS_STABLE, 100, "100.00", "g");
    sim_stop(h);

    /* every 2nd reply cut short: a timeout, then the next read is clean */
    h = sim_start_v(drv, OPTS("loads=100", "noise=0", "settle_s=0", "truncate_every=2"), fast,
                    NULL);
    expect_reading(h, DRV_STATUS_STABLE, 100, "100.00", "g");
    read_fails(h, CD_ERR_TIMEOUT, "partial line", 1.5);
    expect_reading(h, DRV_STATUS_STABLE, 100, "100.00", "g");
    sim_stop(h);

    /* silent after the first request: a timeout, not a hang */
    h = sim_start_v(drv, OPTS("loads=100", "noise=0", "settle_s=0", "silent_after=1"), fast,
                    NULL);
    expect_reading(h, DRV_STATUS_STABLE, 100, "100.00", "g");
    read_fails(h, CD_ERR_TIMEOUT, "no reply", 1.5);
    struct cd_err err = {0};
    if (strcmp(drv, "sbi") != 0) {
        /* zero waits for its reply (the second acknowledgement too) */
        expect_failure(drv_zero(h->dev, &err), &err, CD_ERR_TIMEOUT, "no reply");
    }
    sim_stop(h);

    /* the port goes away after the first reply: that reading is kept,
     * the next read says disconnected */
    h = sim_start_v(drv, OPTS("loads=100", "noise=0", "settle_s=0", "disconnect_after=1"),
                    fast, NULL);
    expect_reading(h, DRV_STATUS_STABLE, 100, "100.00", "g");
    pthread_join(h->th, NULL);
    h->running = false;
    assert_int_equal(h->rc, 0);
    read_fails(h, CD_ERR_DISCONNECTED, "", 1.5);
    read_fails(h, CD_ERR_DISCONNECTED, "", 1.5);
    sim_stop(h);

    /* every 2nd request answered with the protocol's error reply */
    h = sim_start_v(drv, OPTS("loads=100", "noise=0", "settle_s=0", "error_every=2"), fast,
                    NULL);
    expect_reading(h, DRV_STATUS_STABLE, 100, "100.00", "g");
    read_fails(h, CD_ERR_DEVICE, fc->error_text, 1.5);
    expect_reading(h, DRV_STATUS_STABLE, 100, "100.00", "g");
    sim_stop(h);
}

static void test_faults_mtsics(void **state)
{
    (void)state;
    faults_of(&fault_cases[0]);
}

static void test_faults_sbi(void **state)
{
    (void)state;
    faults_of(&fault_cases[1]);
}

static void test_faults_aandd(void **state)
{
    (void)state;
    faults_of(&fault_cases[2]);
}

/* ------------------------------------------------------------ replay */

struct player {
    struct drv_pty pty;
    struct drv_trace *trace;
    pthread_t th;
    int rc;
    struct cd_err err;
    struct drv_replay_stats stats;
};

static void *play_main(void *arg)
{
    struct player *p = arg;
    struct drv_replay_opts o = {.fast = true, .host_timeout_ms = 3000};
    p->rc = drv_replay(p->trace, p->pty.master, p->pty.slave, &o, &p->stats, &p->err);
    return NULL;
}

static void play_start(struct player *p, struct drv_trace *t)
{
    memset(p, 0, sizeof *p);
    p->trace = t;
    struct cd_err err = {0};
    if (drv_pty_open(&p->pty, NULL, &err) != 0)
        fail_msg("%s", cd_err_text(&err));
    assert_int_equal(pthread_create(&p->th, NULL, play_main, p), 0);
}

static void play_finish(struct player *p)
{
    pthread_join(p->th, NULL);
    p->pty.master = -1;   /* drv_replay closed it */
    drv_pty_close(&p->pty);
    if (p->rc != 0)
        fail_msg("replay: %s", cd_err_text(&p->err));
}

#define N_READS 5

/* What a session does; the same calls against the replay. */
static void scripted(struct simh *h, drv_dev *d, struct drv_identity *id,
                     struct drv_reading r[N_READS])
{
    struct cd_err err = {0};
    if (drv_identify(d, id, &err) != 0)
        fail_msg("%s", cd_err_text(&err));
    static const char *const loads[N_READS] = {"load 100", "load 123.45", "load 300", "load -2",
                                               "load 7"};
    for (int i = 0; i < N_READS; i++) {
        if (h != NULL)
            control(h, loads[i], "load");
        if (i == 4) {
            if (drv_tare(d, &err) != 0)
                fail_msg("%s", cd_err_text(&err));
            if (h != NULL)
                control(h, "load 9", "load");
        }
        if (drv_read(d, &r[i], &err) != 0)
            fail_msg("read %d: %s", i, cd_err_text(&err));
    }
}

static void same_reading(const struct drv_reading *a, const struct drv_reading *b)
{
    assert_int_equal(a->status, b->status);
    assert_true((isnan(a->value) && isnan(b->value)) || a->value == b->value);
    assert_string_equal(a->unit, b->unit);
    assert_string_equal(a->display, b->display);
    assert_true(a->resolution == b->resolution);
}

static void record_and_replay(const char *driver)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    struct cd_err err = {0};
    struct drv_trace_header hdr = {0};
    snprintf(hdr.transport, sizeof hdr.transport, "serial");
    snprintf(hdr.driver, sizeof hdr.driver, "%s", driver);
    struct drv_trace_writer *w = drv_trace_writer_new(f, &hdr, &err);
    assert_non_null(w);
    struct simh *h = sim_start_v(driver, base_opts, NULL, w);
    struct drv_identity id1, id2;
    struct drv_reading r1[N_READS], r2[N_READS];
    scripted(h, h->dev, &id1, r1);
    sim_stop(h);
    assert_int_equal(drv_trace_writer_close(w, &err), 0);
    fclose(f);
    assert_int_equal(r1[0].status, DRV_STATUS_STABLE);
    assert_int_equal(r1[2].status, DRV_STATUS_OVERLOAD);
    assert_int_equal(r1[3].status, DRV_STATUS_UNDERLOAD);
    assert_true(r1[4].value == 2);

    struct drv_trace *t = NULL;
    if (drv_trace_parse(text, len, "recorded", &t, &err) != 0)
        fail_msg("%s\n%s", cd_err_text(&err), text);
    assert_string_equal(t->header.driver, driver);
    assert_true(t->n >= 2 * N_READS);
    struct player p;
    play_start(&p, t);
    drv_dev *d = NULL;
    if (drv_open(driver, p.pty.path, NULL, NULL, NULL, &d, &err) != 0)
        fail_msg("%s", cd_err_text(&err));
    scripted(NULL, d, &id2, r2);
    drv_close(d);
    play_finish(&p);
    assert_int_equal(p.stats.records, t->n);
    assert_string_equal(id1.model, id2.model);
    assert_string_equal(id1.serial, id2.serial);
    assert_string_equal(id1.firmware, id2.firmware);
    for (int i = 0; i < N_READS; i++)
        same_reading(&r1[i], &r2[i]);
    drv_trace_free(t);
    free(text);
}

static void test_replay_mtsics(void **state)
{
    (void)state;
    record_and_replay("mtsics");
}

static void test_replay_sbi(void **state)
{
    (void)state;
    record_and_replay("sbi");
}

static void test_replay_aandd(void **state)
{
    (void)state;
    record_and_replay("aandd");
}

/* Hand-written traces: a stray line before the reply is skipped; garbage
 * with no valid reply after it is a protocol error quoting the bytes; a
 * line the instrument never finishes is a timeout. */
struct trace_case {
    const char *driver;
    const char *cmd;          /* the trace's escaped host bytes */
    const char *replies;      /* "<" records, escaped, one per line */
    int expect_rc;
    const char *why;
    double value;
};

static const struct trace_case trace_cases[] = {
    {"mtsics", "SI\\r\\n", "\"I4 A \\\"0123\\\"\\r\\n\"\n0.0 < \"S S     100.00 g\\r\\n\"", 0,
     NULL, 100},
    {"mtsics", "SI\\r\\n", "\"\\xff\\x00zz\\r\\n\"", CD_ERR_PROTOCOL,
     "MT-SICS: no valid reply to SI within 300 ms; skipped 1 line, the first: \"\\xFF\\x00zz",
     0},
    {"mtsics", "SI\\r\\n", "\"S S    1\"", CD_ERR_TIMEOUT, "partial line", 0},
    {"mtsics", "SI\\r\\n", "\"S S     1x0.00 g\\r\\n\"", CD_ERR_PROTOCOL, "S S     1x0.00 g", 0},
    {"sbi", "\\x1bP\\r\\n", "\"SerNo.    0031801165\\r\\n\"\n0.0 < \"+   123.56 g  \\r\\n\"", 0,
     NULL, 123.56},
    {"sbi", "\\x1bP\\r\\n", "\"G#    +   223.56 g  \\r\\n\"\n0.0 < \"T     +   100.00 g  \\r\\n\"\n"
                           "0.0 < \"N     +   123.56 g  \\r\\n\"", 0, NULL, 123.56},
    {"sbi", "\\x1bP\\r\\n", "\"+   123.56 g  \\x80\\r\\n\"", CD_ERR_PROTOCOL,
     "SBI: no valid reply to ESC P", 0},
    {"aandd", "Q\\r\\n", "\"\\x06\\r\\n\"\n0.0 < \"ST,+00123.45  g\\r\\n\"", 0, NULL, 123.45},
    {"aandd", "Q\\r\\n", "\"\\xa5\\x7e\\x80ST,+00123.45  g\\r\\n\"", 0, NULL, 123.45},
    {"aandd", "Q\\r\\n", "\"ST,+00123.45  g\"", CD_ERR_TIMEOUT, "partial line", 0},
};

static void test_trace_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof trace_cases / sizeof trace_cases[0]; i++) {
        const struct trace_case *c = &trace_cases[i];
        char text[1024];
        /* The trace ends with the host's next command, so that the replay
         * stays until the driver has given up on the first. */
        snprintf(text, sizeof text, "# caldaq-trace 1\n0.0 > \"%s\"\n0.0 < %s\n0.0 > \"%s\"\n",
                 c->cmd, c->replies, c->cmd);
        struct cd_err err = {0};
        struct drv_trace *t = NULL;
        if (drv_trace_parse(text, strlen(text), "case", &t, &err) != 0)
            fail_msg("case %zu: %s\n%s", i, cd_err_text(&err), text);
        struct player p;
        play_start(&p, t);
        drv_dev *d = NULL;
        if (drv_open(c->driver, p.pty.path, NULL, OPTS("timeout_ms=300"), NULL, &d, &err) != 0)
            fail_msg("%s", cd_err_text(&err));
        struct drv_reading r;
        int rc = drv_read(d, &r, &err);
        if (rc != c->expect_rc)
            fail_msg("case %zu: rc %d (%s), expected %d", i, rc, cd_err_text(&err),
                     c->expect_rc);
        if (rc == 0)
            assert_true(fabs(r.value - c->value) < 1e-9);
        else if (strstr(err.msg, c->why) == NULL)
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.msg, c->why);
        cd_err_clear(&err);
        drv_read(d, &r, &err);   /* sends the command the trace ends with */
        drv_close(d);
        play_finish(&p);
        drv_trace_free(t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures_mtsics),
        cmocka_unit_test(test_fixtures_sbi),
        cmocka_unit_test(test_fixtures_aandd),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_random_frames),
        cmocka_unit_test(test_session_mtsics),
        cmocka_unit_test(test_session_sbi),
        cmocka_unit_test(test_session_aandd),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_sbi_variants),
        cmocka_unit_test(test_aandd_no_ack),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_faults_mtsics),
        cmocka_unit_test(test_faults_sbi),
        cmocka_unit_test(test_faults_aandd),
        cmocka_unit_test(test_replay_mtsics),
        cmocka_unit_test(test_replay_sbi),
        cmocka_unit_test(test_replay_aandd),
        cmocka_unit_test(test_trace_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
