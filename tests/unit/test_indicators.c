/* The continuous-output indicator drivers (toledo-cont, xk3190):
 *   - every fixture in tests/fixtures/{toledo-cont,xk3190}/ decoded by the
 *     pure parser and compared with its .expect;
 *   - bad input: noise, truncated frames, checksum errors, wrong lengths,
 *     NUL and 0xFF bytes, and random and mutated frames through parse and
 *     through the framer (next), which must always move forward and stay
 *     inside the buffer;
 *   - the framer resynchronises: frames with noise between them, a frame cut
 *     short, a frame whose checksum is wrong, each found or skipped as it
 *     should;
 *   - drivers against the simulators on a pty: identify from options, a
 *     reading that follows the load, motion, overload, and the faults
 *     (garbage, truncation: readings continue; checksum errors on every
 *     frame, silence, disconnect: their errors, within the timeout).
 * Every wait is bounded. */
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_support.h"
#include <jansson.h>

#include "drv.h"
#include "fixture_dir.h"

/* ------------------------------------------------------------ fixtures */

/* One fixture: the parser against the .expect, and the framer finding the
 * frame whole. */
static void check_fixture(const struct drv_parser *p, const char *path)
{
    uint8_t buf[256];
    size_t n = fixture_read(path, buf, sizeof buf);
    struct drv_reading r;
    struct cd_err err = {0};
    int rc = p->parse(buf, n, &r, &err);
    if (fixture_expect(path, rc, &r, &err))
        assert_true(r.resolution >= 0);
    size_t skip = 0, flen = 0;
    assert_non_null(p->next);
    int found = p->next(buf, n, true, &skip, &flen);
    if (rc == 0 && (found != 1 || skip != 0 || flen != n))
        fail_msg("%s: the framer found %d (skip %zu, len %zu of %zu)", path, found, skip, flen, n);
}

static void fixtures_of(const char *driver, size_t at_least)
{
    fixture_dir_each(driver, at_least, check_fixture);
}

static void test_fixtures_toledo(void **state)
{
    (void)state;
    fixtures_of("toledo-cont", 15);
}

static void test_fixtures_xk3190(void **state)
{
    (void)state;
    fixtures_of("xk3190", 19);
}

/* ------------------------------------------------------------ bad input */

static size_t toledo_frame(uint8_t *b, const char *weight, bool checksum)
{
    b[0] = 0x02, b[1] = 0x2B, b[2] = 0x30, b[3] = 0x20;
    memcpy(b + 4, weight, 6);
    memcpy(b + 10, "000000", 6);
    b[16] = '\r';
    if (!checksum)
        return 17;
    unsigned sum = 0;
    for (int i = 0; i < 17; i++)
        sum += b[i];
    b[17] = (uint8_t)((0x80 - (sum & 0x7F)) & 0x7F);
    return 18;
}

/* Frames one after another with noise between: each found, the noise
 * counted, the damaged ones refused by parse. */
static void test_resync(void **state)
{
    (void)state;
    const struct drv_parser *p = drv_parser_find("toledo-cont");
    uint8_t s[256];
    size_t n = 0;
    n += toledo_frame(s + n, "001234", true);
    memcpy(s + n, "\xff\x00\x02zz", 5);           /* noise, with a stray STX */
    n += 5;
    n += toledo_frame(s + n, "000010", true);
    s[n - 1] ^= 1;                                 /* checksum error */
    n += toledo_frame(s + n, "000777", true) - 9;  /* cut short */
    n += toledo_frame(s + n, "000500", false);
    n += toledo_frame(s + n, "000600", true);
    const char *want[] = {"123.4", "!", "50.0", "60.0"};
    size_t got = 0, noise = 0, off = 0;
    while (off < n) {
        size_t skip, flen;
        int f = p->next(s + off, n - off, true, &skip, &flen);
        noise += skip;
        off += skip;
        if (f != 1)
            break;
        struct drv_reading r;
        struct cd_err err = {0};
        int rc = p->parse(s + off, flen, &r, &err);
        assert_true(got < 4);
        if (want[got][0] == '!') {
            assert_int_equal(rc, CD_ERR_PROTOCOL);
            assert_non_null(strstr(err.msg, "checksum error"));
        } else {
            if (rc != 0)
                fail_msg("frame %zu: %s", got, err.msg);
            assert_string_equal(r.display, want[got]);
        }
        got++;
        off += flen;
    }
    assert_int_equal(got, 4);
    assert_int_equal(noise, 5 + 9);   /* the noise and the truncated frame */

    /* not at the end of input: a frame whose end is not yet known waits */
    size_t skip, flen;
    uint8_t one[18];
    size_t k = toledo_frame(one, "000001", false);
    assert_int_equal(p->next(one, k, false, &skip, &flen), 0);
    assert_int_equal(skip, 0);
    assert_int_equal(p->next(one, k, true, &skip, &flen), 1);
}

static const struct {
    const char *driver;
    const char *bytes;
    size_t len;
    const char *why;
} bad[] = {
    {"toledo-cont", "", 0, "wrong length"},
    {"toledo-cont", "\x02\x2B\x30\x20" "001234000000", 16, "wrong length"},
    {"toledo-cont", "X\x2B\x30\x20" "001234000000\r", 17, "no STX"},
    {"toledo-cont", "\x02\x2B\x30\x20" "001234000000\n", 17, "no CR"},
    {"toledo-cont", "\x02\x0B\x30\x20" "001234000000\r", 17, "bad status byte"},
    {"toledo-cont", "\x02\x2B\x30\x20" "0012\x00" "4000000\r", 17, "bad status byte"},
    {"toledo-cont", "\x02\x2B\x30\x20" "-01234000000\r", 17, "bad status byte"},
    {"xk3190", "\x02+0012342XX\x03", 12, "not two hex"},
    {"xk3190", "\x02" "50012342XX\x03", 12, "bad sign"},
    {"xk3190", "\x02+0012342", 9, "12 bytes"},
    {"xk3190", "\xff\xff\xff\r\n", 5, "not a tf=0 frame"},
    {"xk3190", "WG004.139kg3D\n", 14, "no CR LF"},
    {"xk3190", "WG004.1x9kg3D\r\n", 15, "not a number"},
    {"xk3190", "WX004.139kg3D\r\n", 15, "not a WG/WN"},
    {"xk3190", "         XX23\r\n", 15, "not OL or LO"},
    {"xk3190", "wwnan kg\r\n", 10, "not a number"},
    {"xk3190", "ww1.2.3kg\r\n", 11, "not a number"},
    {"xk3190", "ww12\r\n", 6, "no unit"},
};

static void test_bad_input(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct drv_reading r;
        struct cd_err err = {0};
        int rc = drv_decode(bad[i].driver, NULL, (const uint8_t *)bad[i].bytes, bad[i].len, &r,
                            &err);
        if (rc != CD_ERR_PROTOCOL || strstr(err.msg, bad[i].why) == NULL)
            fail_msg("case %zu (%s): rc %d \"%s\", expected \"%s\"", i, bad[i].driver, rc,
                     err.msg, bad[i].why);
        assert_true(isnan(r.value));
    }
}

static uint64_t xorshift(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Random bytes and mutated frames: parse never reads past the frame or
 * gives a valid reading without a finite value; next moves forward. */
static void test_random(void **state)
{
    (void)state;
    const char *drivers[] = {"toledo-cont", "xk3190"};
    uint64_t seed = 0x9E3779B97F4A7C15u;
    uint8_t base[2][18];
    size_t blen[2];
    blen[0] = toledo_frame(base[0], "012345", true);
    memcpy(base[1], "\x02+0012342", 9);
    memcpy(base[1] + 9, "00\x03", 3);
    blen[1] = 12;
    for (int d = 0; d < 2; d++) {
        const struct drv_parser *p = drv_parser_find(drivers[d]);
        for (int i = 0; i < 4000; i++) {
            uint8_t b[64];
            size_t n;
            if (i % 2 == 0) {
                n = xorshift(&seed) % sizeof b;
                for (size_t k = 0; k < n; k++)
                    b[k] = (uint8_t)xorshift(&seed);
            } else {
                n = blen[d];
                memcpy(b, base[d], n);
                b[xorshift(&seed) % n] = (uint8_t)xorshift(&seed);
                if (xorshift(&seed) % 4 == 0)
                    n = xorshift(&seed) % n;
            }
            uint8_t *heap = malloc(n > 0 ? n : 1);   /* so ASan sees an overread */
            memcpy(heap, b, n);
            struct drv_reading r;
            struct cd_err err = {0};
            int rc = p->parse(heap, n, &r, &err);
            if (rc == 0 && (r.status == DRV_STATUS_STABLE || r.status == DRV_STATUS_UNSTABLE))
                assert_true(isfinite(r.value));
            if (rc != 0)
                assert_true(err.msg[0] != '\0');
            size_t skip, flen;
            for (int eof = 0; eof <= 1; eof++) {
                int f = p->next(heap, n, eof, &skip, &flen);
                assert_true(skip <= n);
                if (f == 1)
                    assert_true(flen > 0 && skip + flen <= n);
            }
            free(heap);
        }
    }
}

/* ------------------------------------------------------------ simulator */

struct simh {
    drv_sim *sim;
    struct drv_pty pty;
    pthread_t th;
    int rc;
    struct cd_err err;
    drv_dev *dev;
};

static void *serve_main(void *arg)
{
    struct simh *h = arg;
    h->rc = drv_sim_serve(h->sim, h->pty.master, -1, &h->err);
    if (h->rc == 0) {
        /* a disconnect fault: let the host read what was sent, then close */
        double end = mono() + 2;
        int pending = 0;
        sleep_ms(30);
        while (mono() < end && ioctl(h->pty.slave, FIONREAD, &pending) == 0 && pending > 0)
            sleep_ms(5);
        close(h->pty.master);
        h->pty.master = -1;
    }
    return NULL;
}

#define OPTS(...) ((const char *const[]){__VA_ARGS__, NULL})

static struct simh *sim_start(const char *driver, const char *const *sim_opts,
                              const char *const *drv_opts)
{
    struct simh *h = calloc(1, sizeof *h);
    assert_non_null(h);
    struct cd_err err = {0};
    if (drv_sim_new(driver, sim_opts, &h->sim, &err) != 0)
        fail_msg("drv_sim_new(%s): %s", driver, cd_err_text(&err));
    if (drv_pty_open(&h->pty, NULL, &err) != 0)
        fail_msg("drv_pty_open: %s", cd_err_text(&err));
    assert_int_equal(pthread_create(&h->th, NULL, serve_main, h), 0);
    if (drv_open(driver, h->pty.path, NULL, drv_opts, NULL, &h->dev, &err) != 0)
        fail_msg("drv_open(%s): %s", driver, cd_err_text(&err));
    return h;
}

static void sim_stop(struct simh *h)
{
    drv_close(h->dev);
    drv_sim_control(h->sim, "quit", NULL, 0, NULL);
    pthread_join(h->th, NULL);
    if (h->rc < 0)
        fail_msg("simulator: %s", cd_err_text(&h->err));
    drv_pty_close(&h->pty);
    drv_sim_free(h->sim);
    free(h);
}

static void read_ok(struct simh *h, struct drv_reading *r)
{
    struct cd_err err = {0};
    if (drv_read(h->dev, r, &err) != 0)
        fail_msg("%s: %s", drv_dev_driver(h->dev), cd_err_text(&err));
}

static void read_fails(struct simh *h, int code, const char *why, double max_s)
{
    struct drv_reading r;
    struct cd_err err = {0};
    double t0 = mono();
    int rc = drv_read(h->dev, &r, &err);
    if (rc != code || strstr(err.msg, why) == NULL)
        fail_msg("rc %d \"%s\", expected %d with \"%s\"", rc, err.msg, code, why);
    if (mono() - t0 > max_s)
        fail_msg("%s took %.2f s", err.msg, mono() - t0);
}

static void control(struct simh *h, const char *cmd)
{
    char reply[128];
    struct cd_err err = {0};
    if (drv_sim_control(h->sim, cmd, reply, sizeof reply, &err) != 0)
        fail_msg("control %s: %s", cmd, cd_err_text(&err));
}

static void test_toledo_sim(void **state)
{
    (void)state;
    struct simh *h = sim_start("toledo-cont", OPTS("loads=12.3", "noise=0", "settle_s=0"),
                               OPTS("model=IND131", "serial=B123"));
    assert_true(drv_has_stability_flag(h->dev));
    struct drv_identity id;
    struct cd_err err = {0};
    assert_int_equal(drv_identify(h->dev, &id, &err), 0);
    assert_string_equal(id.manufacturer, "Mettler Toledo");
    assert_string_equal(id.model, "IND131");
    assert_string_equal(id.serial, "B123");
    struct drv_reading r;
    read_ok(h, &r);
    assert_string_equal(r.display, "12.3");
    assert_string_equal(r.unit, "kg");
    assert_int_equal(r.status, DRV_STATUS_STABLE);
    assert_true(fabs(r.resolution - 0.1) < 1e-12);
    control(h, "load 400");   /* above the capacity of 300 */
    sleep_ms(250);
    read_ok(h, &r);
    assert_int_equal(r.status, DRV_STATUS_OVERLOAD);
    control(h, "set settle_s=5");
    control(h, "load 100");   /* moving: the motion bit */
    sleep_ms(250);
    read_ok(h, &r);
    assert_int_equal(r.status, DRV_STATUS_UNSTABLE);
    sim_stop(h);
}

static void test_xk3190_sim(void **state)
{
    (void)state;
    const char *forms[] = {"xk_format=tf0", "xk_format=wg", "xk_format=ww"};
    for (int i = 0; i < 3; i++) {
        struct simh *h = sim_start("xk3190", OPTS("loads=4.14", "noise=0", "settle_s=0", forms[i]),
                                   OPTS("unit=kg"));
        assert_false(drv_has_stability_flag(h->dev));
        struct drv_identity id;
        struct cd_err err = {0};
        assert_int_equal(drv_identify(h->dev, &id, &err), 0);
        assert_string_equal(id.manufacturer, "Yaohua");
        struct drv_reading r;
        read_ok(h, &r);
        assert_string_equal(r.display, "4.14");
        assert_string_equal(r.unit, "kg");
        sim_stop(h);
    }
}

static void test_faults(void **state)
{
    (void)state;
    struct drv_reading r;
    /* garbage and truncated frames: skipped, readings continue */
    const char *resync[] = {"garbage_every=2", "truncate_every=2"};
    for (int i = 0; i < 2; i++) {
        struct simh *h = sim_start("toledo-cont", OPTS("loads=1", "noise=0", resync[i]),
                                   OPTS("timeout_ms=800"));
        for (int k = 0; k < 5; k++) {
            read_ok(h, &r);
            assert_string_equal(r.display, "1.0");
        }
        sim_stop(h);
    }
    /* checksum errors on every frame */
    struct simh *h = sim_start("toledo-cont", OPTS("error_every=1"), OPTS("timeout_ms=500"));
    read_fails(h, CD_ERR_PROTOCOL, "checksum error", 1.5);
    sim_stop(h);
    h = sim_start("xk3190", OPTS("error_every=1", "xk_format=wg"), OPTS("timeout_ms=500"));
    read_fails(h, CD_ERR_PROTOCOL, "checksum error", 1.5);
    sim_stop(h);
    /* silence */
    h = sim_start("toledo-cont", OPTS("silent_after=1"), OPTS("timeout_ms=400"));
    sleep_ms(300);
    struct cd_err err = {0};
    (void)drv_read(h->dev, &r, &err);   /* whatever came before the silence */
    read_fails(h, CD_ERR_TIMEOUT, "nothing received within 400 ms", 1.5);
    sim_stop(h);
    /* disconnect: a clean error, within the timeout */
    h = sim_start("xk3190", OPTS("disconnect_after=3"), OPTS("timeout_ms=600"));
    double t0 = mono();
    int rc = 0;
    while (rc == 0 && mono() - t0 < 3)
        rc = drv_read(h->dev, &r, &err);
    assert_int_equal(rc, CD_ERR_DISCONNECTED);
    sim_stop(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures_toledo), cmocka_unit_test(test_fixtures_xk3190),
        cmocka_unit_test(test_resync),          cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_random),          cmocka_unit_test(test_toledo_sim),
        cmocka_unit_test(test_xk3190_sim),      cmocka_unit_test(test_faults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
