/* Replay and serial-read benchmarks (`make bench`):
 *  1. replay throughput with --fast: a trace of request/reply records played
 *     through a pty by drv_replay, the host side reading through the serial
 *     transport; baseline: the same exchanges as bare write()/read() calls
 *     on a pty pair, in this run.
 *  2. CPU time caldaq spends per byte reading a 9600-baud stream in real
 *     time (960 bytes/s of balance lines) with drv_transport_read_line; baseline: a
 *     bare blocking read() loop on the same stream.
 * Prints figures and BENCH key=value lines. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "drv.h"

#define EXCHANGES 20000

static const char request[] = "SI\r\n";
static const char reply[] = "S S     100.00 g\r\n";

static double now_s(clockid_t clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static char *make_trace(size_t *len)
{
    size_t cap = (size_t)EXCHANGES * 64 + 256;
    char *text = malloc(cap);
    size_t n = (size_t)snprintf(text, cap, "# caldaq-trace 1\n# transport: serial\n");
    for (int i = 0; i < EXCHANGES; i++)
        n += (size_t)snprintf(text + n, cap - n,
                              "%.6f > \"SI\\r\\n\"\n%.6f < \"S S     100.00 g\\r\\n\"\n", 0.1 * i,
                              0.1 * i + 0.05);
    *len = n;
    return text;
}

struct player_arg {
    struct drv_trace *t;
    struct drv_pty *pty;
    int rc;
};

static void *player(void *v)
{
    struct player_arg *a = v;
    struct drv_replay_opts o = {.fast = true};
    struct cd_err err = {0};
    a->rc = drv_replay(a->t, a->pty->master, a->pty->slave, &o, NULL, &err);
    if (a->rc != 0)
        fprintf(stderr, "bench_replay: %s\n", err.msg);
    return NULL;
}

static double replay_fast(struct drv_trace *t)
{
    struct drv_pty pty;
    struct cd_err err = {0};
    if (drv_pty_open(&pty, NULL, &err) != 0)
        return -1;
    struct drv_serial_settings s;
    drv_serial_settings_parse("9600,8N1", &s, NULL);
    drv_transport *host = NULL;
    if (drv_transport_open_serial(pty.path, &s, &host, &err) != 0) {
        fprintf(stderr, "bench_replay: %s\n", err.msg);
        return -1;
    }
    struct player_arg a = {.t = t, .pty = &pty};
    pthread_t th;
    double t0 = now_s(CLOCK_MONOTONIC);
    pthread_create(&th, NULL, player, &a);
    char line[64];
    for (int i = 0; i < EXCHANGES; i++) {
        if (drv_transport_write(host, request, 4, 1000, &err) != 0 ||
            drv_transport_read_line(host, line, sizeof line, '\n', 2000, &err) < 0) {
            fprintf(stderr, "bench_replay: exchange %d: %s\n", i, err.msg);
            break;
        }
    }
    double took = now_s(CLOCK_MONOTONIC) - t0;
    pthread_join(th, NULL);
    pty.master = -1;
    drv_transport_close(host);
    drv_pty_close(&pty);
    return a.rc == 0 ? took : -1;
}

/* The same exchanges with bare syscalls: an echoing "instrument" thread. */
static void *bare_instrument(void *v)
{
    int fd = *(int *)v;
    char buf[64];
    size_t have = 0;
    for (int i = 0; i < EXCHANGES;) {
        ssize_t n = read(fd, buf + have, sizeof buf - have);
        if (n <= 0)
            break;
        have += (size_t)n;
        while (have >= 4) {
            if (write(fd, reply, sizeof reply - 1) < 0)
                return NULL;
            memmove(buf, buf + 4, have - 4);
            have -= 4;
            i++;
        }
    }
    return NULL;
}

static double bare_exchanges(void)
{
    struct drv_pty pty;
    if (drv_pty_open(&pty, NULL, NULL) != 0)
        return -1;
    pthread_t th;
    double t0 = now_s(CLOCK_MONOTONIC);
    pthread_create(&th, NULL, bare_instrument, &pty.master);
    char buf[64];
    for (int i = 0; i < EXCHANGES; i++) {
        if (write(pty.slave, request, 4) != 4)
            break;
        size_t got = 0;
        while (got < sizeof reply - 1) {
            ssize_t n = read(pty.slave, buf + got, sizeof buf - got);
            if (n <= 0)
                break;
            got += (size_t)n;
        }
    }
    double took = now_s(CLOCK_MONOTONIC) - t0;
    pthread_join(th, NULL);
    drv_pty_close(&pty);
    return took;
}

/* ------------------------------------------------------------ 9600 baud */

#define STREAM_S 3.0
#define BYTES_PER_S 960.0 /* 9600 baud, 10 bits a byte with 8N1 */

static void *stream_writer(void *v)
{
    int fd = *(int *)v;
    const size_t len = sizeof reply - 1;
    double start = now_s(CLOCK_MONOTONIC);
    for (double sent = 0; sent < STREAM_S * BYTES_PER_S; sent += (double)len) {
        double due = start + sent / BYTES_PER_S;
        double wait = due - now_s(CLOCK_MONOTONIC);
        if (wait > 0)
            usleep((useconds_t)(wait * 1e6));
        /* bytes trickle out one at a time, as a UART delivers them */
        for (size_t i = 0; i < len; i++) {
            if (write(fd, reply + i, 1) != 1)
                return NULL;
            if (i % 6 == 5)
                usleep((useconds_t)(6e6 / BYTES_PER_S));
        }
    }
    return NULL;
}

/* CPU seconds per byte on the reading thread: caldaq's line reader, or a
 * bare blocking read loop. */
static double stream_cpu_per_byte(int use_caldaq, size_t *bytes_out)
{
    struct drv_pty pty;
    struct cd_err err = {0};
    if (drv_pty_open(&pty, NULL, &err) != 0)
        return -1;
    drv_transport *host = NULL;
    struct drv_serial_settings s;
    drv_serial_settings_parse("9600,8N1", &s, NULL);
    if (use_caldaq && drv_transport_open_serial(pty.path, &s, &host, &err) != 0)
        return -1;
    pthread_t th;
    pthread_create(&th, NULL, stream_writer, &pty.master);
    size_t bytes = 0;
    double cpu0 = now_s(CLOCK_THREAD_CPUTIME_ID);
    double end = now_s(CLOCK_MONOTONIC) + STREAM_S + 0.2;
    char line[64];
    while (now_s(CLOCK_MONOTONIC) < end) {
        if (use_caldaq) {
            int n = drv_transport_read_line(host, line, sizeof line, '\n', 300, &err);
            if (n > 0)
                bytes += (size_t)n;
            cd_err_clear(&err);
        } else {
            struct pollfd p = {.fd = pty.slave, .events = POLLIN};
            if (poll(&p, 1, 300) == 1) {
                ssize_t n = read(pty.slave, line, sizeof line);
                if (n > 0)
                    bytes += (size_t)n;
            }
        }
    }
    double cpu = now_s(CLOCK_THREAD_CPUTIME_ID) - cpu0;
    pthread_join(th, NULL);
    drv_transport_close(host);
    drv_pty_close(&pty);
    *bytes_out = bytes;
    return bytes > 0 ? cpu / (double)bytes : -1;
}

int main(void)
{
    size_t len;
    char *text = make_trace(&len);
    struct drv_trace *t = NULL;
    struct cd_err err = {0};
    if (drv_trace_parse(text, len, "bench", &t, &err) != 0) {
        fprintf(stderr, "bench_replay: %s\n", err.msg);
        return 1;
    }
    size_t bytes = (size_t)EXCHANGES * (4 + sizeof reply - 1);
    double best_replay = 1e9, best_bare = 1e9;
    for (int round = 0; round < 3; round++) {
        double r = replay_fast(t);
        double b = bare_exchanges();
        if (r < 0 || b < 0)
            return 1;
        best_replay = r < best_replay ? r : best_replay;
        best_bare = b < best_bare ? b : best_bare;
    }
    printf("replay --fast through a pty, %d exchanges (%zu records, %zu bytes), best of 3:\n",
           EXCHANGES, t->n, bytes);
    printf("  caldaq replay + serial transport: %.3f s = %.0f records/s, %.0f bytes/s\n",
           best_replay, (double)t->n / best_replay, (double)bytes / best_replay);
    printf("  bare write()/read() on a pty:     %.3f s = %.0f records/s\n", best_bare,
           (double)t->n / best_bare);
    printf("  ratio caldaq / bare:              %.2f\n", best_replay / best_bare);

    size_t n_caldaq = 0, n_bare = 0;
    double cpu_caldaq = stream_cpu_per_byte(1, &n_caldaq);
    double cpu_bare = stream_cpu_per_byte(0, &n_bare);
    printf("reading a 9600-baud stream in real time for %.0f s (%zu bytes):\n", STREAM_S, n_caldaq);
    printf("  caldaq drv_transport_read_line: %.2f us CPU per byte (%.3f %% of one core)\n",
           1e6 * cpu_caldaq, 100 * cpu_caldaq * BYTES_PER_S);
    printf("  bare poll()+read():   %.2f us CPU per byte\n", 1e6 * cpu_bare);
    printf("  ratio caldaq / bare:  %.2f\n", cpu_caldaq / cpu_bare);
    printf("BENCH replay_records_per_s=%.0f\nBENCH replay_bytes_per_s=%.0f\n",
           (double)t->n / best_replay, (double)bytes / best_replay);
    printf("BENCH replay_over_bare=%.2f\nBENCH read_cpu_us_per_byte=%.3f\n",
           best_replay / best_bare, 1e6 * cpu_caldaq);
    printf("BENCH read_cpu_over_bare=%.2f\n", cpu_caldaq / cpu_bare);
    drv_trace_free(t);
    free(text);
    return 0;
}
