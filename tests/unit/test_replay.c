/* Replay through a pseudo-terminal: the host side is the real serial code
 * (libserialport on the pty slave), the instrument side is drv_replay. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "drv.h"

struct session {
    struct drv_pty pty;
    struct drv_trace *trace;
    struct drv_replay_opts opts;
    pthread_t thread;
    int rc;
    struct cd_err err;
    struct drv_replay_stats stats;
    drv_transport *host;
};

static void *play(void *arg)
{
    struct session *s = arg;
    s->rc = drv_replay(s->trace, s->pty.master, s->pty.slave, &s->opts, &s->stats, &s->err);
    return NULL;
}

static void start(struct session *s, const char *text, struct drv_replay_opts opts)
{
    memset(s, 0, sizeof *s);
    struct cd_err err = {0};
    if (drv_trace_parse(text, strlen(text), "test.trace", &s->trace, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(drv_pty_open(&s->pty, NULL, &err), 0);
    struct drv_serial_settings ser;
    drv_serial_settings_parse("9600,8N1", &ser, NULL);
    if (drv_transport_open_serial(s->pty.path, &ser, &s->host, &err) != 0)
        fail_msg("open %s: %s", s->pty.path, err.msg);
    s->opts = opts;
    pthread_create(&s->thread, NULL, play, s);
}

static void finish(struct session *s)
{
    pthread_join(s->thread, NULL);
    s->pty.master = -1; /* drv_replay closed it */
    drv_transport_close(s->host);
    drv_pty_close(&s->pty);
    drv_trace_free(s->trace);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static const char conversation[] = "# caldaq-trace 1\n"
                                   "# transport: serial\n"
                                   "# settings: 9600 8N1\n"
                                   "# driver: mtsics\n"
                                   "0.000000 > \"SI\\r\\n\"\n"
                                   "0.081233 < \"S S     100.00 g\\r\\n\"\n"
                                   "0.200000 > \"S\\r\\n\"\n"
                                   "0.300000 < \"S S     100.01 g\\r\\n\"\n"
                                   "0.400000 ! disconnect\n";

static void test_conversation_then_disconnect(void **state)
{
    (void)state;
    struct session s;
    start(&s, conversation, (struct drv_replay_opts){.fast = true});
    struct cd_err err = {0};
    char line[64];
    /* chunk boundaries do not matter */
    assert_int_equal(drv_transport_write(s.host, "S", 1, 1000, &err), 0);
    assert_int_equal(drv_transport_write(s.host, "I\r\n", 3, 1000, &err), 0);
    assert_int_equal(drv_transport_read_line(s.host, line, sizeof line, '\n', 2000, &err), 18);
    assert_string_equal(line, "S S     100.00 g\r\n");
    assert_int_equal(drv_transport_write(s.host, "S\r\n", 3, 1000, &err), 0);
    assert_int_equal(drv_transport_read_line(s.host, line, sizeof line, '\n', 2000, &err), 18);
    assert_string_equal(line, "S S     100.01 g\r\n");
    /* then the instrument goes away: a clean error, not a hang */
    int rc = drv_transport_read_line(s.host, line, sizeof line, '\n', 2000, &err);
    assert_int_equal(rc, CD_ERR_DISCONNECTED);
    finish(&s);
    assert_int_equal(s.rc, 0);
    assert_int_equal(s.stats.records, 5);
    assert_int_equal(s.stats.bytes_host, 7);
    assert_int_equal(s.stats.bytes_instr, 36);
}

static void test_divergence_names_line_and_bytes(void **state)
{
    (void)state;
    struct session s;
    start(&s, conversation, (struct drv_replay_opts){.fast = true});
    struct cd_err err = {0};
    char line[64];
    assert_int_equal(drv_transport_write(s.host, "SI\r\n", 4, 1000, &err), 0);
    assert_true(drv_transport_read_line(s.host, line, sizeof line, '\n', 2000, &err) > 0);
    assert_int_equal(drv_transport_write(s.host, "SIR\r\n", 5, 1000, &err), 0);
    int rc = drv_transport_read_line(s.host, line, sizeof line, '\n', 2000, &err);
    assert_int_equal(rc, CD_ERR_DISCONNECTED);
    finish(&s);
    assert_int_equal(s.rc, CD_ERR_PROTOCOL);
    if (strstr(s.err.msg, "trace line 7") == NULL || strstr(s.err.msg, "\"SIR\\r\\n\"") == NULL ||
        strstr(s.err.msg, "\"S\\r\\n\"") == NULL)
        fail_msg("%s", s.err.msg);
}

static void test_timeout_event_stays_silent(void **state)
{
    (void)state;
    static const char text[] = "# caldaq-trace 1\n"
                               "0.0 > \"SI\\r\\n\"\n"
                               "1.0 ! timeout\n"
                               "1.1 > \"SI\\r\\n\"\n"
                               "1.2 < \"S D     99.99 g\\r\\n\"\n";
    struct session s;
    start(&s, text, (struct drv_replay_opts){.fast = true});
    struct cd_err err = {0};
    char line[64];
    assert_int_equal(drv_transport_write(s.host, "SI\r\n", 4, 1000, &err), 0);
    assert_int_equal(drv_transport_read_line(s.host, line, sizeof line, '\n', 200, &err), CD_ERR_TIMEOUT);
    cd_err_clear(&err);
    assert_int_equal(drv_transport_write(s.host, "SI\r\n", 4, 1000, &err), 0);
    assert_int_equal(drv_transport_read_line(s.host, line, sizeof line, '\n', 2000, &err), 17);
    finish(&s);
    assert_int_equal(s.rc, 0);
}

static void test_delays_kept_scaled_or_dropped(void **state)
{
    (void)state;
    static const char text[] = "# caldaq-trace 1\n"
                               "0.0 > \"Q\\r\\n\"\n"
                               "0.6 < \"ST,+00100.00  g\\r\\n\"\n";
    double took[3];
    struct drv_replay_opts opts[3] = {{.speed = 1}, {.speed = 2}, {.fast = true}};
    for (int i = 0; i < 3; i++) {
        struct session s;
        start(&s, text, opts[i]);
        struct cd_err err = {0};
        char line[64];
        double t0 = now_s();
        assert_int_equal(drv_transport_write(s.host, "Q\r\n", 3, 1000, &err), 0);
        assert_int_equal(drv_transport_read_line(s.host, line, sizeof line, '\n', 3000, &err), 17);
        took[i] = now_s() - t0;
        finish(&s);
        assert_int_equal(s.rc, 0);
    }
    /* Lower bounds only: a sleep is never shorter than asked. */
    assert_true(took[0] >= 0.55);
    assert_true(took[1] >= 0.28);
    assert_true(took[2] < took[0]);
}

static void test_host_writes_after_the_end(void **state)
{
    (void)state;
    static const char text[] = "# caldaq-trace 1\n0.0 > \"Q\\r\\n\"\n0.1 < \"OK\\r\\n\"\n";
    struct session s;
    start(&s, text, (struct drv_replay_opts){.fast = true});
    struct cd_err err = {0};
    char line[16];
    assert_int_equal(drv_transport_write(s.host, "Q\r\n", 3, 1000, &err), 0);
    assert_int_equal(drv_transport_read_line(s.host, line, sizeof line, '\n', 2000, &err), 4);
    assert_int_equal(drv_transport_write(s.host, "Q\r\n", 3, 1000, &err), 0);
    finish(&s);
    assert_int_equal(s.rc, CD_ERR_PROTOCOL);
    assert_non_null(strstr(s.err.msg, "after the end of the trace (line 3)"));
}

static void test_silent_host_times_out(void **state)
{
    (void)state;
    struct session s;
    start(&s, conversation, (struct drv_replay_opts){.fast = true, .host_timeout_ms = 200});
    finish(&s);
    assert_int_equal(s.rc, CD_ERR_TIMEOUT);
    assert_non_null(strstr(s.err.msg, "trace line 5 expects the host to write \"SI\\r\\n\""));
}

/* Record the host side of a replayed conversation: the new trace holds the
 * same bytes in the same directions. */
static void test_record_replay_byte_identical(void **state)
{
    (void)state;
    struct session s;
    start(&s, conversation, (struct drv_replay_opts){.fast = true});
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct cd_err err = {0};
    struct drv_trace_writer *w = drv_trace_writer_new(f, NULL, &err);
    drv_transport_record(s.host, w);
    char line[64];
    drv_transport_write(s.host, "SI\r\n", 4, 1000, &err);
    drv_transport_read_line(s.host, line, sizeof line, '\n', 2000, &err);
    drv_transport_write(s.host, "S\r\n", 3, 1000, &err);
    drv_transport_read_line(s.host, line, sizeof line, '\n', 2000, &err);
    drv_transport_read_line(s.host, line, sizeof line, '\n', 2000, &err);
    finish(&s); /* closes the host transport, flushing the recorder */
    drv_trace_writer_close(w, &err);
    fclose(f);
    struct drv_trace *again = NULL;
    if (drv_trace_parse(text, len, "recorded", &again, &err) != 0)
        fail_msg("%s\n%s", err.msg, text);
    struct drv_trace *orig = NULL;
    drv_trace_parse(conversation, strlen(conversation), "orig", &orig, &err);
    assert_int_equal(again->n, orig->n);
    for (size_t i = 0; i < orig->n; i++) {
        assert_int_equal(again->records[i].dir, orig->records[i].dir);
        assert_int_equal(again->records[i].len, orig->records[i].len);
        assert_memory_equal(again->records[i].data, orig->records[i].data, orig->records[i].len);
    }
    drv_trace_free(again);
    drv_trace_free(orig);
    free(text);
}

/* An instrument that sends by itself: no `>` record. The records of one
 * time are what one reading got; with --fast the player still sends the
 * next time's records only once the host has read what came before, so a
 * host that waits gets the first reading's bytes alone. A recording made
 * with drv_transport_batch stamps one reading's records with one time. */
static const char stream[] = "# caldaq-trace 1\n"
                             "# transport: serial\n"
                             "0.100000 < \"A1\\r\\n\"\n"
                             "0.100000 < \"A2\\r\\n\"\n"
                             "0.500000 < \"B1\\r\\n\"\n"
                             "0.900000 < \"C1\\r\\n\"\n"
                             "0.900000 < \"C2\\r\\n\"\n";

static void test_stream_paced_by_readings(void **state)
{
    (void)state;
    struct session s;
    start(&s, stream, (struct drv_replay_opts){.fast = true});
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct cd_err err = {0};
    struct drv_trace_writer *w = drv_trace_writer_new(f, NULL, &err);
    drv_transport_record(s.host, w);
    static const char *const want[] = {"A1\r\nA2\r\n", "B1\r\n", "C1\r\nC2\r\n"};
    for (size_t k = 0; k < 3; k++) {
        struct timespec nap = {.tv_nsec = 300 * 1000000L}; /* far longer than the player's step */
        nanosleep(&nap, NULL);
        /* one reading: everything waiting, as drivers/stream.c takes it */
        uint8_t buf[64];
        size_t got = 0;
        drv_transport_batch(s.host, true);
        for (int n; (n = drv_transport_read(s.host, buf + got, sizeof buf - got, got ? 0 : 2000,
                                             &err)) > 0;)
            got += (size_t)n;
        drv_transport_batch(s.host, false);
        assert_int_equal(got, strlen(want[k]));
        assert_memory_equal(buf, want[k], got);
    }
    finish(&s);
    assert_int_equal(s.rc, 0);
    drv_trace_writer_close(w, &err);
    fclose(f);
    struct drv_trace *t = NULL;
    if (drv_trace_parse(text, len, "again", &t, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(t->n, 5);
    assert_true(t->records[0].t == t->records[1].t);
    assert_true(t->records[1].t < t->records[2].t && t->records[2].t < t->records[3].t);
    assert_true(t->records[3].t == t->records[4].t);
    drv_trace_free(t);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conversation_then_disconnect),
        cmocka_unit_test(test_divergence_names_line_and_bytes),
        cmocka_unit_test(test_timeout_event_stays_silent),
        cmocka_unit_test(test_delays_kept_scaled_or_dropped),
        cmocka_unit_test(test_host_writes_after_the_end),
        cmocka_unit_test(test_silent_host_times_out),
        cmocka_unit_test(test_record_replay_byte_identical),
        cmocka_unit_test(test_stream_paced_by_readings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
