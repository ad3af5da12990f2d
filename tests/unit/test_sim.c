/* Instrument simulators (drivers/sim/): every protocol is served by
 * drv_sim_serve in a thread over a socketpair (or an openpty() pair) and
 * the host side checks the bytes exactly: each reply type (stable,
 * unstable, overload, underload, errors, identification), the load script
 * and settling, and each fault. Every host read has a timeout, so a
 * simulator that stays silent fails a test instead of hanging it. The
 * expected bytes are the formats documented in docs/simulators.md (their
 * sources are named in each protocol's file). */
#define _DEFAULT_SOURCE /* openpty, cfmakeraw */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_support.h"

#include "drv.h"

#define T_MS 2000 /* the longest a host waits for an expected reply */

/* ------------------------------------------------------------ harness */

struct harness {
    drv_sim *sim;
    int host;            /* the host's end */
    int inst;            /* the simulator's end (socket or pty master) */
    int slave;           /* pty: the slave, else -1 */
    char slave_path[128];
    int ctl;             /* the test's end of the control socketpair */
    int ctl_sim;
    pthread_t th;
    bool running;
    int rc;
    struct cd_err err;
};

static void *serve_thread(void *arg)
{
    struct harness *h = arg;
    h->rc = drv_sim_serve(h->sim, h->inst, h->ctl_sim, &h->err);
    return NULL;
}

/* Options as a NULL-terminated list: "a=1", "b=2", NULL. */
static struct harness *start_v(const char *driver, bool pty, const char *const *opts)
{
    struct harness *h = calloc(1, sizeof *h);
    assert_non_null(h);
    struct cd_err err = {0};
    int rc = drv_sim_new(driver, opts, &h->sim, &err);
    if (rc != 0)
        fail_msg("drv_sim_new(%s): %s", driver, cd_err_text(&err));
    h->slave = -1;
    if (pty) {
        struct termios raw;
        memset(&raw, 0, sizeof raw);
        cfmakeraw(&raw);
        assert_int_equal(openpty(&h->inst, &h->slave, h->slave_path, &raw, NULL), 0);
        h->host = h->slave;
    } else {
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        h->host = sv[0];
        h->inst = sv[1];
    }
    int cv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, cv), 0);
    h->ctl = cv[0];
    h->ctl_sim = cv[1];
    assert_int_equal(pthread_create(&h->th, NULL, serve_thread, h), 0);
    h->running = true;
    return h;
}

#define start(driver, ...) start_v(driver, false, (const char *const[]){__VA_ARGS__, NULL})
#define start_pty(driver, ...) start_v(driver, true, (const char *const[]){__VA_ARGS__, NULL})

/* Wait for serve to return; its return code. */
static int join(struct harness *h)
{
    if (h->running) {
        pthread_join(h->th, NULL);
        h->running = false;
    }
    return h->rc;
}

static void stop(struct harness *h)
{
    if (h->running) {
        char reply[16];
        assert_int_equal(drv_sim_control(h->sim, "quit", reply, sizeof reply, NULL), 0);
        assert_int_equal(join(h), 1);
    }
    close(h->host);
    if (h->inst != h->host)
        close(h->inst);
    close(h->ctl);
    close(h->ctl_sim);
    drv_sim_free(h->sim);
    free(h);
}

static void send_str(struct harness *h, const char *s, size_t len)
{
    assert_int_equal(write(h->host, s, len), (ssize_t)len);
}

#define SEND(h, lit) send_str(h, lit, sizeof lit - 1)

/* Read what arrives: wait up to first_ms for the first byte, then until
 * quiet_ms pass without more, or `want` bytes came (0: no limit). */
static size_t recv_bytes(int fd, uint8_t *buf, size_t cap, size_t want, int first_ms,
                         int quiet_ms)
{
    size_t n = 0;
    int wait = first_ms;
    while (n < cap && (want == 0 || n < want)) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int pr = poll(&p, 1, wait);
        if (pr <= 0)
            break;
        ssize_t r = read(fd, buf + n, cap - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        wait = quiet_ms;
    }
    return n;
}

/* The next reply must be exactly `lit`. */
static void expect_bytes(struct harness *h, const char *lit, size_t len)
{
    uint8_t buf[4096];
    size_t n = recv_bytes(h->host, buf, sizeof buf, len, T_MS, T_MS);
    if (n != len || memcmp(buf, lit, len) != 0) {
        char got[8192], want[8192];
        drv_escape(buf, n, got, sizeof got);
        drv_escape((const uint8_t *)lit, len, want, sizeof want);
        fail_msg("reply \"%s\" (%zu bytes), expected \"%s\" (%zu)", got, n, want, len);
    }
}

#define EXPECT(h, lit) expect_bytes(h, lit, sizeof lit - 1)

static void xfer(struct harness *h, const char *req, const char *reply)
{
    send_str(h, req, strlen(req));
    expect_bytes(h, reply, strlen(reply));
}

/* Nothing at all within ms. */
static void expect_silence(struct harness *h, int ms)
{
    uint8_t buf[256];
    size_t n = recv_bytes(h->host, buf, sizeof buf, 0, ms, 50);
    if (n != 0) {
        char got[1024];
        drv_escape(buf, n, got, sizeof got);
        fail_msg("expected silence, got \"%s\"", got);
    }
}

/* A line up to LF (inclusive), or what came within the timeout. */
static size_t recv_line(struct harness *h, char *buf, size_t cap, int ms)
{
    size_t n = 0;
    double end = mono() + ms * 1e-3;
    while (n + 1 < cap) {
        int left = (int)((end - mono()) * 1e3);
        if (left <= 0)
            break;
        struct pollfd p = {.fd = h->host, .events = POLLIN};
        if (poll(&p, 1, left) <= 0)
            break;
        if (read(h->host, buf + n, 1) != 1)
            break;
        if (buf[n++] == '\n')
            break;
    }
    buf[n] = '\0';
    return n;
}

/* A control command over the control socket; its reply line. */
static void control(struct harness *h, const char *cmd, char *reply, size_t cap)
{
    char line[256];
    int len = snprintf(line, sizeof line, "%s\n", cmd);
    assert_int_equal(write(h->ctl, line, (size_t)len), len);
    size_t n = 0;
    while (n + 1 < cap) {
        struct pollfd p = {.fd = h->ctl, .events = POLLIN};
        assert_int_equal(poll(&p, 1, T_MS), 1);
        assert_int_equal(read(h->ctl, reply + n, 1), 1);
        if (reply[n] == '\n')
            break;
        n++;
    }
    reply[n] = '\0';
}

/* ------------------------------------------------------------ core */

static void test_names(void **state)
{
    (void)state;
    const char *const *n = drv_sim_names();
    const char *want[] = {"mtsics", "sbi", "aandd", "scpi"};
    for (size_t i = 0; i < 4; i++) {
        assert_non_null(n[i]);
        assert_string_equal(n[i], want[i]);
        drv_sim *s = NULL;
        assert_int_equal(drv_sim_new(n[i], NULL, &s, NULL), 0);
        drv_sim_free(s);
    }
    drv_sim_free(NULL);
}

static void test_new_errors(void **state)
{
    (void)state;
    drv_sim *s = (drv_sim *)1;
    struct cd_err err = {0};
    assert_int_equal(drv_sim_new("nosuch", NULL, &s, &err), CD_ERR_NOT_FOUND);
    assert_null(s);
    assert_non_null(strstr(err.msg, "nosuch"));

    const char *const bad[][2] = {
        {"frobnicate=1", "unknown option"}, {"noise=-1", "noise"},
        {"resolution=0", "resolution"},     {"loads=1,,2", "loads"},
        {"loads=", "loads"},                {"seed=x", "seed"},
        {"garbage_every=-1", "garbage_every"}, {"novalue", "KEY=VALUE"},
        {"sbi_format=20", "unknown option"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cd_err_clear(&err);
        const char *opts[] = {bad[i][0], NULL};
        assert_int_equal(drv_sim_new("mtsics", opts, &s, &err), CD_ERR_INVALID);
        assert_null(s);
        if (strstr(err.msg, bad[i][1]) == NULL)
            fail_msg("%s: message '%s' lacks '%s'", bad[i][0], err.msg, bad[i][1]);
    }
    cd_err_clear(&err);
    const char *opts[] = {"sbi_format=20", NULL};
    assert_int_equal(drv_sim_new("sbi", opts, &s, &err), CD_ERR_INVALID);
    assert_non_null(strstr(err.msg, "16 or 22"));
}

static void test_control_commands(void **state)
{
    (void)state;
    drv_sim *s = NULL;
    const char *opts[] = {"loads=0,100,200", "noise=0", "settle_s=0", NULL};
    assert_int_equal(drv_sim_new("mtsics", opts, &s, NULL), 0);
    char r[256];
    struct cd_err err = {0};
    assert_int_equal(drv_sim_control(s, "next", r, sizeof r, &err), 0);
    assert_string_equal(r, "load 100.00 g (2/3)");
    assert_int_equal(drv_sim_control(s, "next", r, sizeof r, &err), 0);
    assert_int_equal(drv_sim_control(s, "next", r, sizeof r, &err), 0);
    assert_string_equal(r, "load 0.00 g (1/3)");   /* the script wraps */
    assert_int_equal(drv_sim_control(s, "prev", r, sizeof r, &err), 0);
    assert_string_equal(r, "load 200.00 g (3/3)");
    assert_int_equal(drv_sim_control(s, "load 50.5", r, sizeof r, &err), 0);
    assert_string_equal(r, "load 50.50 g");
    assert_int_equal(drv_sim_control(s, "status", r, sizeof r, &err), 0);
    assert_string_equal(r, "load 50.50 g value 50.50 g stable tare 0.00 requests 0 replies 0");
    assert_int_equal(drv_sim_control(s, "set unit=kg", r, sizeof r, &err), 0);
    assert_string_equal(r, "ok unit=kg");
    assert_int_equal(drv_sim_control(s, "fault garbage_every=3", r, sizeof r, &err), 0);
    assert_int_equal(drv_sim_control(s, "set loads=5,6", r, sizeof r, &err), 0);
    assert_int_equal(drv_sim_control(s, "status", r, sizeof r, &err), 0);
    assert_string_equal(r, "load 5.00 kg (1/2) value 5.00 kg stable tare 0.00 requests 0 "
                           "replies 0");
    assert_int_equal(drv_sim_control(s, "settle", r, sizeof r, &err), 0);
    assert_string_equal(r, "settled");
    assert_int_equal(drv_sim_control(s, "help", r, sizeof r, &err), 0);
    assert_non_null(strstr(r, "next"));

    /* Errors: a code, a message, and "error: ..." as the reply. */
    const char *bad[] = {"jump", "load", "load x", "next 2", "set", "set resolution=0",
                         "fault noise=1", "set nosuch=1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cd_err_clear(&err);
        assert_int_equal(drv_sim_control(s, bad[i], r, sizeof r, &err), CD_ERR_INVALID);
        assert_true(strncmp(r, "error: ", 7) == 0);
        assert_true(err.msg[0] != '\0');
    }
    /* A failed set leaves the old value. */
    assert_int_equal(drv_sim_control(s, "status", r, sizeof r, &err), 0);
    assert_non_null(strstr(r, "kg"));
    assert_int_equal(drv_sim_control(s, "quit", r, sizeof r, &err), 0);
    assert_string_equal(r, "bye");
    /* After quit, serve returns at once. */
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(drv_sim_serve(s, sv[1], -1, &err), 1);
    close(sv[0]);
    close(sv[1]);
    drv_sim_free(s);
}

/* ------------------------------------------------------------ MT-SICS */

static void test_mtsics_ident(void **state)
{
    (void)state;
    struct harness *h = start("mtsics", "noise=0");
    xfer(h, "I1\r\n", "I1 A \"01\" \"2.20\" \"2.20\" \"1.00\" \"1.00\"\r\n");
    xfer(h, "I2\r\n", "I2 A \"XS204 Excellence 220.00 g\"\r\n");
    xfer(h, "I3\r\n", "I3 A \"2.10 10.28.0.493.142\"\r\n");
    xfer(h, "I4\r\n", "I4 A \"0123456789\"\r\n");
    xfer(h, "@\r\n", "I4 A \"0123456789\"\r\n");
    /* I0: one line per command, B until the last, which has A. */
    SEND(h, "I0\r\n");
    char line[128];
    int lines = 0;
    for (;;) {
        assert_true(recv_line(h, line, sizeof line, T_MS) > 0);
        lines++;
        assert_true(strncmp(line, "I0 ", 3) == 0);
        if (line[3] == 'A')
            break;
        assert_int_equal(line[3], 'B');
    }
    assert_string_equal(line, "I0 A 1 \"TI\"\r\n");
    assert_int_equal(lines, 17);
    stop(h);
}

static void test_mtsics_weights(void **state)
{
    (void)state;
    struct harness *h =
        start("mtsics", "loads=100,500,-1", "noise=0", "settle_s=0", "model=X");
    xfer(h, "SI\r\n", "S S     100.00 g\r\n");
    xfer(h, "S\r\n", "S S     100.00 g\r\n");
    /* LF only and CR only end a command too. */
    xfer(h, "SI\n", "S S     100.00 g\r\n");
    xfer(h, "SI\r", "S S     100.00 g\r\n");
    char r[128];
    control(h, "next", r, sizeof r);
    assert_string_equal(r, "load 500.00 g (2/3)");
    xfer(h, "SI\r\n", "S +\r\n");
    xfer(h, "S\r\n", "S +\r\n");
    control(h, "next", r, sizeof r);
    xfer(h, "SI\r\n", "S -\r\n");
    xfer(h, "S\r\n", "S -\r\n");
    /* Negative indications come from a tare (a negative load is an
     * underload: the pan removed). */
    control(h, "load 100", r, sizeof r);
    xfer(h, "T\r\n", "T S     100.00 g\r\n");
    control(h, "load 87.654", r, sizeof r);
    xfer(h, "SI\r\n", "S S     -12.35 g\r\n");
    /* Errors. */
    xfer(h, "XYZ\r\n", "ES\r\n");
    xfer(h, "si\r\n", "ES\r\n");
    xfer(h, "SI 5\r\n", "EL\r\n");
    xfer(h, "TA 5 kg\r\n", "TA L\r\n");
    xfer(h, "D 12\r\n", "D L\r\n");
    xfer(h, "D \"hello\"\r\n", "D A\r\n");
    xfer(h, "DW\r\n", "DW A\r\n");
    stop(h);
}

static void test_mtsics_settling(void **state)
{
    (void)state;
    struct harness *h = start("mtsics", "loads=0,100", "noise=0", "settle_s=0.5");
    xfer(h, "SI\r\n", "S S       0.00 g\r\n");
    char r[128];
    control(h, "next", r, sizeof r);
    /* Unstable first: status D, a value on its way to 100. */
    char line[64];
    SEND(h, "SI\r\n");
    assert_int_equal(recv_line(h, line, sizeof line, T_MS), 18);
    assert_true(strncmp(line, "S D ", 4) == 0);
    double v = strtod(line + 4, NULL);
    assert_true(v > 0 && v < 100);
    assert_string_equal(line + 14, " g\r\n");
    /* S waits for stability, then answers stable. */
    double t0 = mono();
    xfer(h, "S\r\n", "S S     100.00 g\r\n");
    double waited = mono() - t0;
    assert_true(waited > 0.2 && waited < 1.5);
    xfer(h, "SI\r\n", "S S     100.00 g\r\n");
    stop(h);
}

static void test_mtsics_stability_timeout(void **state)
{
    (void)state;
    struct harness *h =
        start("mtsics", "loads=0,100", "noise=0", "settle_s=30", "stable_timeout_s=0.3");
    char r[128];
    control(h, "next", r, sizeof r);
    double t0 = mono();
    xfer(h, "S\r\n", "S I\r\n");
    assert_true(mono() - t0 >= 0.25);
    xfer(h, "Z\r\n", "Z I\r\n");
    xfer(h, "T\r\n", "T I\r\n");
    /* A new command cancels a waiting S: only the new reply comes. */
    SEND(h, "S\r\n");
    sleep_ms(50);
    xfer(h, "I4\r\n", "I4 A \"0123456789\"\r\n");
    expect_silence(h, 400);
    control(h, "settle", r, sizeof r);
    xfer(h, "S\r\n", "S S     100.00 g\r\n");
    stop(h);
}

static void test_mtsics_zero_tare(void **state)
{
    (void)state;
    struct harness *h = start("mtsics", "loads=0,100,-5", "noise=0", "settle_s=0");
    char r[128];
    control(h, "load 1.5", r, sizeof r);
    xfer(h, "Z\r\n", "Z A\r\n");
    xfer(h, "SI\r\n", "S S       0.00 g\r\n");
    control(h, "load 101.5", r, sizeof r);
    xfer(h, "SI\r\n", "S S     100.00 g\r\n");
    xfer(h, "Z\r\n", "Z +\r\n");     /* outside the zero range (2 % of 220 g) */
    xfer(h, "ZI\r\n", "ZI +\r\n");
    xfer(h, "T\r\n", "T S     100.00 g\r\n");
    xfer(h, "SI\r\n", "S S       0.00 g\r\n");
    xfer(h, "TA\r\n", "TA A     100.00 g\r\n");
    xfer(h, "TAC\r\n", "TAC A\r\n");
    xfer(h, "SI\r\n", "S S     100.00 g\r\n");
    xfer(h, "TA 20.004 g\r\n", "TA A      20.00 g\r\n");
    xfer(h, "SI\r\n", "S S      80.00 g\r\n");
    xfer(h, "TI\r\n", "TI S     100.00 g\r\n");
    xfer(h, "@\r\n", "I4 A \"0123456789\"\r\n");   /* clears the tare */
    xfer(h, "SI\r\n", "S S     100.00 g\r\n");
    control(h, "load 1.5", r, sizeof r);
    xfer(h, "ZI\r\n", "ZI S\r\n");
    control(h, "load -5", r, sizeof r);
    xfer(h, "Z\r\n", "Z -\r\n");
    xfer(h, "T\r\n", "T -\r\n");
    stop(h);
}

static void test_mtsics_sir(void **state)
{
    (void)state;
    struct harness *h = start("mtsics", "loads=100", "noise=0", "stream_ms=100");
    SEND(h, "SIR\r\n");
    char line[64];
    double t0 = mono();
    for (int i = 0; i < 4; i++) {
        assert_int_equal(recv_line(h, line, sizeof line, T_MS), 18);
        assert_string_equal(line, "S S     100.00 g\r\n");
    }
    assert_true(mono() - t0 >= 0.25);
    /* "@" ends it; its reply, then nothing more. */
    SEND(h, "@\r\n");
    uint8_t buf[512];
    size_t n = recv_bytes(h->host, buf, sizeof buf, 0, T_MS, 400);
    const char tail[] = "I4 A \"0123456789\"\r\n";
    assert_true(n >= sizeof tail - 1);
    assert_memory_equal(buf + n - (sizeof tail - 1), tail, sizeof tail - 1);
    expect_silence(h, 400);
    stop(h);
}

static void test_noise_seed(void **state)
{
    (void)state;
    char a[3][20][64];
    const char *seeds[] = {"seed=7", "seed=7", "seed=8"};
    for (int k = 0; k < 3; k++) {
        struct harness *h = start("mtsics", "loads=100", "noise=0.05", seeds[k]);
        for (int i = 0; i < 20; i++) {
            SEND(h, "SI\r\n");
            assert_int_equal(recv_line(h, a[k][i], sizeof a[k][i], T_MS), 18);
        }
        stop(h);
    }
    int differ = 0, spread = 0;
    for (int i = 0; i < 20; i++) {
        assert_string_equal(a[0][i], a[1][i]);
        differ += strcmp(a[0][i], a[2][i]) != 0;
        spread += strcmp(a[0][i], a[0][0]) != 0;
        double v = strtod(a[0][i] + 4, NULL);
        assert_true(fabs(v - 100) < 0.5);
    }
    assert_true(differ > 0);
    assert_true(spread > 0);
}

static void test_drift_and_advance(void **state)
{
    (void)state;
    struct harness *h = start("mtsics", "loads=0", "noise=0", "drift_per_s=1");
    sleep_ms(300);
    char line[64];
    SEND(h, "SI\r\n");
    assert_int_equal(recv_line(h, line, sizeof line, T_MS), 18);
    double v = strtod(line + 4, NULL);
    assert_true(v >= 0.25 && v < 2);
    stop(h);

    h = start("mtsics", "loads=0,100", "noise=0", "settle_s=0", "advance_s=0.3");
    xfer(h, "SI\r\n", "S S       0.00 g\r\n");
    sleep_ms(400);
    xfer(h, "SI\r\n", "S S     100.00 g\r\n");
    sleep_ms(300);
    xfer(h, "SI\r\n", "S S       0.00 g\r\n");
    stop(h);
}

/* ------------------------------------------------------------ faults */

static void test_fault_garbage(void **state)
{
    (void)state;
    struct harness *h = start("mtsics", "loads=100", "noise=0", "garbage_every=2");
    xfer(h, "SI\r\n", "S S     100.00 g\r\n");
    SEND(h, "SI\r\n");
    EXPECT(h, "\xff\x00\xa5\x7e\x80S S     100.00 g\r\n");
    xfer(h, "SI\r\n", "S S     100.00 g\r\n");
    stop(h);
}

static void test_fault_truncate(void **state)
{
    (void)state;
    struct harness *h = start("mtsics", "loads=100", "noise=0", "truncate_every=2");
    xfer(h, "SI\r\n", "S S     100.00 g\r\n");
    SEND(h, "SI\r\n");
    EXPECT(h, "S S     1");   /* half of the 18 bytes, no line end */
    expect_silence(h, 300);
    xfer(h, "SI\r\n", "S S     100.00 g\r\n");
    stop(h);
}

static void test_fault_delay(void **state)
{
    (void)state;
    struct harness *h = start("mtsics", "loads=100", "noise=0", "delay_ms=300");
    double t0 = mono();
    SEND(h, "SI\r\n");
    expect_silence(h, 200);
    EXPECT(h, "S S     100.00 g\r\n");
    double dt = mono() - t0;
    assert_true(dt >= 0.28 && dt < 1.5);
    /* The control channel answers while a reply waits. */
    SEND(h, "I4\r\n");
    char r[128];
    control(h, "status", r, sizeof r);
    assert_non_null(strstr(r, "requests 2"));
    EXPECT(h, "I4 A \"0123456789\"\r\n");
    stop(h);
}

static void test_fault_silent(void **state)
{
    (void)state;
    struct harness *h = start("mtsics", "loads=100", "noise=0", "silent_after=1");
    xfer(h, "SI\r\n", "S S     100.00 g\r\n");
    SEND(h, "SI\r\n");
    expect_silence(h, 300);
    SEND(h, "SIR\r\n");
    expect_silence(h, 500);
    stop(h);
}

static void test_fault_disconnect(void **state)
{
    (void)state;
    struct harness *h = start("mtsics", "loads=100", "noise=0", "disconnect_after=2");
    xfer(h, "SI\r\n", "S S     100.00 g\r\n");
    SEND(h, "SI\r\nSI\r\n");   /* the third request is never answered */
    EXPECT(h, "S S     100.00 g\r\n");
    assert_int_equal(join(h), 0);
    close(h->inst);   /* the caller closes: the host then sees end of file */
    h->inst = -1;
    uint8_t b;
    struct pollfd p = {.fd = h->host, .events = POLLIN};
    assert_int_equal(poll(&p, 1, T_MS), 1);
    assert_int_equal(read(h->host, &b, 1), 0);
    stop(h);

    /* The same on a pty. */
    h = start_pty("mtsics", "loads=100", "noise=0", "disconnect_after=1");
    xfer(h, "SI\r\n", "S S     100.00 g\r\n");
    assert_int_equal(join(h), 0);
    stop(h);
}

static void test_fault_error_every(void **state)
{
    (void)state;
    struct harness *h = start("mtsics", "loads=100", "noise=0", "error_every=2");
    xfer(h, "SI\r\n", "S S     100.00 g\r\n");
    xfer(h, "SI\r\n", "ET\r\n");
    xfer(h, "SI\r\n", "S S     100.00 g\r\n");
    xfer(h, "SI\r\n", "ET\r\n");
    stop(h);
}

static void test_fault_at_run_time(void **state)
{
    (void)state;
    struct harness *h = start("mtsics", "loads=100", "noise=0");
    xfer(h, "SI\r\n", "S S     100.00 g\r\n");
    char r[128];
    control(h, "fault error_every=1", r, sizeof r);
    assert_string_equal(r, "ok error_every=1");
    xfer(h, "SI\r\n", "ET\r\n");
    control(h, "fault error_every=0", r, sizeof r);
    control(h, "bogus", r, sizeof r);
    assert_true(strncmp(r, "error: ", 7) == 0);
    xfer(h, "SI\r\n", "S S     100.00 g\r\n");
    stop(h);
}

/* ------------------------------------------------------------ pty */

static void test_pty_host_reopens(void **state)
{
    (void)state;
    struct harness *h = start_pty("mtsics", "loads=100", "noise=0");
    xfer(h, "SI\r\n", "S S     100.00 g\r\n");
    /* The host closes the port: the simulator keeps waiting... */
    close(h->slave);
    sleep_ms(300);
    /* ...and answers the host that opens it again. */
    h->slave = open(h->slave_path, O_RDWR | O_NOCTTY);
    assert_true(h->slave >= 0);
    struct termios raw;
    assert_int_equal(tcgetattr(h->slave, &raw), 0);
    cfmakeraw(&raw);
    assert_int_equal(tcsetattr(h->slave, TCSANOW, &raw), 0);
    h->host = h->slave;
    xfer(h, "SI\r\n", "S S     100.00 g\r\n");
    stop(h);
}

/* ------------------------------------------------------------ SBI */

static void test_sbi_lines(void **state)
{
    (void)state;
    struct harness *h = start("sbi", "loads=123.56,0,500,-1", "noise=0", "settle_s=0");
    xfer(h, "\x1bP", "+   123.56 g  \r\n");
    xfer(h, "\x1bP\r\n", "+   123.56 g  \r\n");   /* CR LF optional */
    char r[128];
    control(h, "next", r, sizeof r);
    xfer(h, "\x1bP", "      0.00 g  \r\n");       /* an exact zero: space sign */
    control(h, "next", r, sizeof r);
    xfer(h, "\x1bP", "      H       \r\n");
    control(h, "next", r, sizeof r);
    xfer(h, "\x1bP", "      L       \r\n");
    control(h, "load 100", r, sizeof r);
    SEND(h, "\x1bU");
    control(h, "load 87.5", r, sizeof r);
    xfer(h, "\x1bP", "-    12.50 g  \r\n");
    xfer(h, "\x1bx1_", "MSE224S-100-DU      \r\n");
    xfer(h, "\x1bx2_\r\n", "SerNo.    0012345678\r\n");
    xfer(h, "\x1bx3_", "00-39-21            \r\n");
    /* Commands without a reply; unknown ones are ignored. */
    SEND(h, "\x1bQ\x1bx9_\x1bK");
    expect_silence(h, 300);
    stop(h);
}

static void test_sbi_unstable_and_22(void **state)
{
    (void)state;
    struct harness *h =
        start("sbi", "loads=0,100", "noise=0", "settle_s=0.4", "sbi_format=22");
    xfer(h, "\x1bP", "N           0.00 g  \r\n");
    char r[128];
    control(h, "next", r, sizeof r);
    char line[64];
    SEND(h, "\x1bP");
    assert_int_equal(recv_line(h, line, sizeof line, T_MS), 22);
    assert_true(strncmp(line, "N     + ", 8) == 0);
    assert_string_equal(line + 16, "    \r\n");   /* unit field blank: unstable */
    sleep_ms(500);
    xfer(h, "\x1bP", "N     +   100.00 g  \r\n");
    control(h, "load 900", r, sizeof r);
    control(h, "settle", r, sizeof r);
    xfer(h, "\x1bP", "Stat        H       \r\n");
    stop(h);

    /* A protocol option changed at run time. */
    h = start("sbi", "loads=100", "noise=0", "settle_s=0");
    xfer(h, "\x1bP", "+   100.00 g  \r\n");
    control(h, "set sbi_format=22", r, sizeof r);
    assert_string_equal(r, "ok sbi_format=22");
    xfer(h, "\x1bP", "N     +   100.00 g  \r\n");
    control(h, "set sbi_format=17", r, sizeof r);
    assert_string_equal(r, "error: sbi_format=17: expected 16 or 22");
    stop(h);

    h = start("sbi", "error_every=1");
    xfer(h, "\x1bP", "   Err  54    \r\n");
    stop(h);
    h = start("sbi", "error_every=2", "sbi_format=22", "noise=0");
    xfer(h, "\x1bP", "N           0.00 g  \r\n");
    xfer(h, "\x1bP", "Stat     Err  54    \r\n");
    stop(h);
}

static void test_sbi_tare_zero(void **state)
{
    (void)state;
    struct harness *h = start("sbi", "loads=100", "noise=0", "settle_s=0");
    SEND(h, "\x1bT");   /* outside the zero range: tares */
    xfer(h, "\x1bP", "      0.00 g  \r\n");
    char r[128];
    control(h, "load 150", r, sizeof r);
    xfer(h, "\x1bP", "+    50.00 g  \r\n");
    control(h, "load 1", r, sizeof r);
    SEND(h, "\x1bV");   /* zero (clears the tare) */
    xfer(h, "\x1bP", "      0.00 g  \r\n");
    control(h, "load 101", r, sizeof r);
    SEND(h, "\x1bU");
    xfer(h, "\x1bP", "      0.00 g  \r\n");
    stop(h);
}

static void test_sbi_autoprint(void **state)
{
    (void)state;
    struct harness *h = start("sbi", "loads=100", "noise=0", "autoprint=1", "stream_ms=100");
    char line[64];
    for (int i = 0; i < 3; i++) {
        assert_int_equal(recv_line(h, line, sizeof line, T_MS), 16);
        assert_string_equal(line, "+   100.00 g  \r\n");
    }
    /* ESC P pauses it (one more line comes, the reply). */
    SEND(h, "\x1bP");
    sleep_ms(200);
    uint8_t buf[256];
    recv_bytes(h->host, buf, sizeof buf, 0, 100, 100);
    expect_silence(h, 400);
    /* ESC T resumes it. */
    SEND(h, "\x1bT");
    assert_int_equal(recv_line(h, line, sizeof line, T_MS), 16);
    assert_string_equal(line, "      0.00 g  \r\n");
    stop(h);
}

/* ------------------------------------------------------------ A&D */

static void test_aandd_lines(void **state)
{
    (void)state;
    struct harness *h = start("aandd", "loads=123.45,500,-1", "noise=0", "settle_s=0");
    xfer(h, "Q\r\n", "ST,+00123.45  g\r\n");
    xfer(h, "SI\r\n", "ST,+00123.45  g\r\n");
    xfer(h, "S\r\n", "ST,+00123.45  g\r\n");
    char r[128];
    control(h, "next", r, sizeof r);
    xfer(h, "Q\r\n", "OL,+999999E+19\r\n");
    control(h, "next", r, sizeof r);
    xfer(h, "Q\r\n", "OL,-999999E+19\r\n");
    control(h, "load 200", r, sizeof r);
    xfer(h, "T\r\n", "\x06\r\n\x06\r\n");
    control(h, "load 16.31", r, sizeof r);
    xfer(h, "Q\r\n", "ST,-00183.69  g\r\n");
    xfer(h, "?PT\r\n", "PT,+00200.00  g\r\n");
    xfer(h, "?ID\r\n", "ID,LAB-012\r\n");
    xfer(h, "?SN\r\n", "SN,T0123456\r\n");
    xfer(h, "?TN\r\n", "TN,GX-224A\r\n");
    xfer(h, "X\r\n", "EC,E01\r\n");
    xfer(h, "C\r\n", "\x06\r\n");
    xfer(h, "ON\r\n", "\x06\r\n");
    stop(h);

    h = start("aandd", "loads=100", "noise=0", "settle_s=0", "unit=PC", "resolution=1");
    xfer(h, "Q\r\n", "ST,+00000100 PC\r\n");
    stop(h);
}

static void test_aandd_unstable_zero_tare(void **state)
{
    (void)state;
    struct harness *h = start("aandd", "loads=0,100", "noise=0", "settle_s=0.4");
    char r[128];
    control(h, "next", r, sizeof r);
    char line[64];
    SEND(h, "Q\r\n");
    assert_int_equal(recv_line(h, line, sizeof line, T_MS), 17);
    assert_true(strncmp(line, "US,+", 4) == 0);
    assert_string_equal(line + 12, "  g\r\n");
    /* T: acknowledged now, and again once stable and done. */
    double t0 = mono();
    SEND(h, "T\r\n");
    EXPECT(h, "\x06\r\n\x06\r\n");
    assert_true(mono() - t0 > 0.2);
    xfer(h, "Q\r\n", "ST,+00000.00  g\r\n");
    xfer(h, "?PT\r\n", "PT,+00100.00  g\r\n");
    control(h, "load 1", r, sizeof r);
    control(h, "settle", r, sizeof r);
    xfer(h, "R\r\n", "\x06\r\n\x06\r\n");
    xfer(h, "Q\r\n", "ST,+00000.00  g\r\n");
    control(h, "load 50", r, sizeof r);
    control(h, "settle", r, sizeof r);
    xfer(h, "Z\r\n", "\x06\r\nEC,E02\r\n");   /* outside the zero range */
    stop(h);

    h = start("aandd", "loads=0,100", "noise=0", "settle_s=30", "stable_timeout_s=0.3");
    control(h, "next", r, sizeof r);
    xfer(h, "S\r\n", "EC,E11\r\n");
    xfer(h, "R\r\n", "\x06\r\nEC,E11\r\n");
    stop(h);
}

static void test_aandd_sir_ack_errors(void **state)
{
    (void)state;
    struct harness *h = start("aandd", "loads=100", "noise=0", "stream_ms=100", "error_every=3");
    SEND(h, "SIR\r\n");
    char line[64];
    for (int i = 0; i < 3; i++) {
        assert_int_equal(recv_line(h, line, sizeof line, T_MS), 17);
        assert_string_equal(line, "ST,+00100.00  g\r\n");
    }
    SEND(h, "C\r\n");   /* request 2 */
    uint8_t buf[512];
    size_t n = recv_bytes(h->host, buf, sizeof buf, 0, T_MS, 300);
    assert_true(n >= 3);
    assert_memory_equal(buf + n - 3, "\x06\r\n", 3);
    expect_silence(h, 300);
    xfer(h, "Q\r\n", "EC,E00\r\n");   /* request 3: injected */
    stop(h);

    h = start("aandd", "loads=100", "noise=0", "ack=0");
    SEND(h, "X\r\nC\r\nT\r\n");
    expect_silence(h, 300);
    xfer(h, "Q\r\n", "ST,+00000.00  g\r\n");
    stop(h);
}

/* ------------------------------------------------------------ SCPI */

static void test_scpi_basics(void **state)
{
    (void)state;
    struct harness *h = start("scpi", "loads=10,13,-13,0.5", "noise=0");
    xfer(h, "*IDN?\n", "HEWLETT-PACKARD,34401A,0,10-5-2\r\n");
    xfer(h, "*IDN?\r\n", "HEWLETT-PACKARD,34401A,0,10-5-2\r\n");
    SEND(h, "SYST:REM\n*RST\n*CLS\n");
    expect_silence(h, 200);
    xfer(h, "READ?\n", "+1.00000000E+01\r\n");
    xfer(h, "CONF?\n", "\"VOLT +1.000000E+01,+1.000000E-05\"\r\n");
    SEND(h, "CONF:VOLT:DC 10,0.00001\n");
    xfer(h, "CONF?\n", "\"VOLT +1.000000E+01,+1.000000E-05\"\r\n");
    xfer(h, "READ?\n", "+1.00000000E+01\r\n");
    char r[128];
    control(h, "next", r, sizeof r);   /* 13 V on the 10 V range: overload */
    xfer(h, "READ?\n", "+9.90000000E+37\r\n");
    control(h, "load 11.9", r, sizeof r);   /* within 120 % */
    xfer(h, "READ?\n", "+1.19000000E+01\r\n");
    control(h, "load -13", r, sizeof r);
    xfer(h, "READ?\n", "-9.90000000E+37\r\n");
    /* MEAS with a range and autorange. */
    control(h, "load 10", r, sizeof r);
    xfer(h, "MEAS:VOLT:DC? 1,0.000001\n", "+9.90000000E+37\r\n");
    xfer(h, "MEAS:VOLT:DC? DEF,DEF\n", "+1.00000000E+01\r\n");
    xfer(h, "measure:voltage:dc?\n", "+1.00000000E+01\r\n");
    xfer(h, ":MEASure:VOLTage?\r\n", "+1.00000000E+01\r\n");
    control(h, "load 0.0001234567", r, sizeof r);
    xfer(h, "MEAS:VOLT:DC? 10,0.0001\n", "+1.00000000E-04\r\n");
    xfer(h, "MEAS:VOLT:DC? 0.1\n", "+1.23000000E-04\r\n");
    /* INIT / FETC? */
    SEND(h, "INIT\n");
    control(h, "load 5", r, sizeof r);
    xfer(h, "FETC?\n", "+1.23000000E-04\r\n");   /* the reading INIT took */
    xfer(h, "FETCh?\n", "+1.23000000E-04\r\n");
    /* Several commands in a line. */
    xfer(h, "CONF:VOLT:DC 10;READ?;*IDN?\n",
         "+5.00000000E+00;HEWLETT-PACKARD,34401A,0,10-5-2\r\n");
    SEND(h, "SYST:LOC\n");
    expect_silence(h, 200);
    stop(h);
}

static void test_scpi_errors(void **state)
{
    (void)state;
    struct harness *h = start("scpi", "loads=1", "noise=0", "error_every=7");
    xfer(h, "SYST:ERR?\n", "+0,\"No error\"\r\n");
    SEND(h, "BOGUS\n");                 /* 2 */
    SEND(h, "MEAS:VOLT:DC\n");          /* 3: MEAS without ? */
    xfer(h, "SYST:ERR?\n", "-113,\"Undefined header\"\r\n");   /* 4 */
    xfer(h, "SYST:ERR?\n", "-113,\"Undefined header\"\r\n");   /* 5 */
    xfer(h, "SYST:ERR?\n", "+0,\"No error\"\r\n");              /* 6 */
    SEND(h, "*IDN?\n");                 /* 7: injected, no reply */
    expect_silence(h, 300);
    xfer(h, "SYSTem:ERRor?\n", "-102,\"Syntax error\"\r\n");
    char r[128];
    control(h, "fault error_every=0", r, sizeof r);
    SEND(h, "*RST\n");
    SEND(h, "FETC?\n");
    SEND(h, "CONF:VOLT:DC 5000\n");
    SEND(h, "CONF:VOLT:DC ten\n");
    SEND(h, "*CLS 1\n");
    xfer(h, "SYST:ERR?\n", "-230,\"Data stale\"\r\n");
    xfer(h, "SYST:ERR?\n", "-222,\"Data out of range\"\r\n");
    xfer(h, "SYST:ERR?\n", "-224,\"Illegal parameter value\"\r\n");
    xfer(h, "SYST:ERR?\n", "-108,\"Parameter not allowed\"\r\n");
    xfer(h, "SYST:ERR?\n", "+0,\"No error\"\r\n");
    /* The queue holds 20; the last becomes -350 when it overflows. */
    for (int i = 0; i < 25; i++)
        SEND(h, "X\n");
    for (int i = 0; i < 19; i++)
        xfer(h, "SYST:ERR?\n", "-113,\"Undefined header\"\r\n");
    xfer(h, "SYST:ERR?\n", "-350,\"Queue overflow\"\r\n");
    SEND(h, "X\n");
    SEND(h, "*CLS\n");
    xfer(h, "SYST:ERR?\n", "+0,\"No error\"\r\n");
    stop(h);
}

/* ------------------------------------------------------------ control socket */

static void test_control_listen_socket(void **state)
{
    (void)state;
    drv_sim *s = NULL;
    const char *opts[] = {"loads=0,100", "noise=0", "settle_s=0", NULL};
    assert_int_equal(drv_sim_new("mtsics", opts, &s, NULL), 0);
    char dir[] = "/tmp/test_sim.XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s/ctl", dir);
    int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(lfd >= 0);
    assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(lfd, 4), 0);

    struct harness h = {.sim = s, .slave = -1};
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    h.host = sv[0];
    h.inst = sv[1];
    h.ctl_sim = lfd;
    assert_int_equal(pthread_create(&h.th, NULL, serve_thread, &h), 0);
    h.running = true;

    /* Two clients, one after the other. */
    for (int k = 0; k < 2; k++) {
        h.ctl = socket(AF_UNIX, SOCK_STREAM, 0);
        assert_int_equal(connect(h.ctl, (struct sockaddr *)&a, sizeof a), 0);
        char r[128];
        control(&h, k == 0 ? "next" : "prev", r, sizeof r);
        assert_string_equal(r, k == 0 ? "load 100.00 g (2/2)" : "load 0.00 g (1/2)");
        if (k == 1) {
            control(&h, "quit", r, sizeof r);
            assert_string_equal(r, "bye");
        }
        close(h.ctl);
    }
    assert_int_equal(join(&h), 1);
    close(sv[0]);
    close(sv[1]);
    close(lfd);
    unlink(a.sun_path);
    rmdir(dir);
    drv_sim_free(s);
}

/* A socket host that closes its end: serve returns 0. */
static void test_socket_host_closes(void **state)
{
    (void)state;
    struct harness *h = start("scpi", "noise=0");
    xfer(h, "*IDN?\n", "HEWLETT-PACKARD,34401A,0,10-5-2\r\n");
    close(h->host);
    h->host = dup(h->ctl);   /* something valid for stop() to close */
    assert_int_equal(join(h), 0);
    stop(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_new_errors),
        cmocka_unit_test(test_control_commands),
        cmocka_unit_test(test_mtsics_ident),
        cmocka_unit_test(test_mtsics_weights),
        cmocka_unit_test(test_mtsics_settling),
        cmocka_unit_test(test_mtsics_stability_timeout),
        cmocka_unit_test(test_mtsics_zero_tare),
        cmocka_unit_test(test_mtsics_sir),
        cmocka_unit_test(test_noise_seed),
        cmocka_unit_test(test_drift_and_advance),
        cmocka_unit_test(test_fault_garbage),
        cmocka_unit_test(test_fault_truncate),
        cmocka_unit_test(test_fault_delay),
        cmocka_unit_test(test_fault_silent),
        cmocka_unit_test(test_fault_disconnect),
        cmocka_unit_test(test_fault_error_every),
        cmocka_unit_test(test_fault_at_run_time),
        cmocka_unit_test(test_pty_host_reopens),
        cmocka_unit_test(test_sbi_lines),
        cmocka_unit_test(test_sbi_unstable_and_22),
        cmocka_unit_test(test_sbi_tare_zero),
        cmocka_unit_test(test_sbi_autoprint),
        cmocka_unit_test(test_aandd_lines),
        cmocka_unit_test(test_aandd_unstable_zero_tare),
        cmocka_unit_test(test_aandd_sir_ack_errors),
        cmocka_unit_test(test_scpi_basics),
        cmocka_unit_test(test_scpi_errors),
        cmocka_unit_test(test_control_listen_socket),
        cmocka_unit_test(test_socket_host_closes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
