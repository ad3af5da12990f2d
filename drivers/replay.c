/* Trace replay: the recorded instrument answers the host again, byte for
 * byte, so CI runs the real serial code path against real conversations. */
#include "drv.h"
#include "cd_i18n.h"

#include "cd_i18n.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SHOW 64             /* bytes shown of each side on divergence */

struct player {
    const struct drv_trace *t;
    int fd;
    int peer_fd;
    double speed;
    bool fast;
    int host_timeout_ms;
    uint8_t host[4096];     /* host bytes read but not yet matched */
    size_t n_host;
    struct timespec last;   /* wall time the previous record completed */
    struct timespec wrote;  /* wall time of the last write to the host */
    struct drv_replay_stats stats;
    void (*replying)(void *ctx, double t);
    void *replying_ctx;
};

static double since(const struct timespec *a)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - a->tv_sec) + 1e-9 * (double)(now.tv_nsec - a->tv_nsec);
}

static void sleep_s(double s)
{
    if (s <= 0)
        return;
    struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Read what the host sent within timeout_ms into the buffer. Returns bytes
 * read, 0 on timeout, -1 when the host side is gone. */
static int take_host(struct player *p, int timeout_ms)
{
    if (p->n_host == sizeof p->host)
        return 0;
    struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
    int r = poll(&pfd, 1, timeout_ms);
    if (r <= 0)
        return 0;
    ssize_t n = read(p->fd, p->host + p->n_host, sizeof p->host - p->n_host);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    if (n <= 0)
        return -1;
    p->n_host += (size_t)n;
    return (int)n;
}

static int diverged(struct player *p, const struct drv_trace_record *r, size_t matched,
                    struct cd_err *err)
{
    /* Let the rest of the host's write arrive, to show it whole. */
    while (p->n_host < SHOW && take_host(p, 50) > 0)
        ;
    char got[4 * SHOW + 1];
    char want[4 * SHOW + 1];
    uint8_t host[SHOW + 64];
    size_t n = 0;
    size_t pre = matched < 16 ? matched : 16; /* some context before the difference */
    memcpy(host, r->data + matched - pre, pre);
    n = pre;
    for (size_t i = 0; i < p->n_host && n < SHOW; i++)
        host[n++] = p->host[i];
    drv_escape(host, n, got, sizeof got);
    size_t wlen = r->len - matched + pre < SHOW ? r->len - matched + pre : SHOW;
    drv_escape(r->data + matched - pre, wlen, want, sizeof want);
    return cd_fail(err, CD_ERR_PROTOCOL,
                   _("replay diverged at trace line %d: the host wrote \"%s\", the trace expects "
                   "\"%s\""),
                   r->line, got, want);
}

static int expect_host(struct player *p, const struct drv_trace_record *r, struct cd_err *err)
{
    size_t matched = 0;
    while (matched < r->len) {
        if (p->n_host == 0) {
            int n = take_host(p, p->host_timeout_ms);
            if (n == 0) {
                char want[4 * SHOW + 1];
                size_t left = r->len - matched;
                drv_escape(r->data + matched, left < SHOW ? left : SHOW, want, sizeof want);
                return cd_fail(err, CD_ERR_TIMEOUT,
                               _("replay: trace line %d expects the host to write \"%s\" but it "
                               "sent nothing for %d ms"),
                               r->line, want, p->host_timeout_ms);
            }
            if (n < 0)
                return cd_fail(err, CD_ERR_DISCONNECTED,
                               _("replay: the host closed the port; trace line %d still "
                               "expects it to write"),
                               r->line);
        }
        size_t k = 0;
        while (k < p->n_host && matched < r->len) {
            if (p->host[k] != r->data[matched]) {
                memmove(p->host, p->host + k, p->n_host - k);
                p->n_host -= k;
                return diverged(p, r, matched, err);
            }
            k++;
            matched++;
        }
        memmove(p->host, p->host + k, p->n_host - k);
        p->n_host -= k;
        p->stats.bytes_host += k;
    }
    return 0;
}

static int send_instr(struct player *p, const struct drv_trace_record *r, struct cd_err *err)
{
    size_t done = 0;
    while (done < r->len) {
        ssize_t n = write(p->fd, r->data + done, r->len - done);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            struct pollfd pfd = {.fd = p->fd, .events = POLLOUT};
            poll(&pfd, 1, 100);
            continue;
        }
        if (n <= 0)
            return cd_fail(err, CD_ERR_DISCONNECTED,
                           _("replay: the host went away before trace line %d was sent"), r->line);
        done += (size_t)n;
    }
    p->stats.bytes_instr += r->len;
    clock_gettime(CLOCK_MONOTONIC, &p->wrote);
    return 0;
}

/* Wait until the host has read what the instrument sent (pty: the slave's
 * input queue is empty), so closing does not discard it. Bytes written to
 * a pty master reach the slave's queue through the kernel's flip buffer a
 * little later, so an empty queue counts only once they had time to
 * arrive, and only when it stays empty. */
static bool wait_drained(struct player *p, int timeout_ms)
{
    if (p->peer_fd < 0)
        return true;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    sleep_s(0.03 - since(&p->wrote));
    int empty_checks = 0;
    while (empty_checks < 2 && since(&start) * 1e3 < timeout_ms) {
        int pending = 0;
        if (ioctl(p->peer_fd, FIONREAD, &pending) < 0)
            return false;
        empty_checks = pending == 0 ? empty_checks + 1 : 0;
        sleep_s(0.005);
    }
    return empty_checks >= 2;
}

/* A trace of an instrument that sends by itself (no `>` record: a
 * weighing indicator's continuous output) played on a pty is paced by the
 * host's readings: the recorder stamps every record a reading of such an
 * instrument received with one time, that of the reading's first read that
 * returned bytes (drv_transport_batch), so the records of one stamp are
 * what one reading got. The next stamp's records are sent only once the host has read
 * everything sent before (and, unless fast, after the recorded delay), so
 * each reading of the replaying host gets what the recording host's got
 * and takes the same newest frame (docs/trace-format.md, "Replay"). */

static bool paced_by_reads(const struct drv_trace *t, int peer_fd)
{
    if (peer_fd < 0)
        return false;
    for (size_t i = 0; i < t->n; i++)
        if (t->records[i].dir == DRV_DIR_HOST)
            return false;
    return true;
}

/* After the last record: any further host byte is a divergence. */
static int finish(struct player *p, struct cd_err *err)
{
    int line = p->t->n > 0 ? p->t->records[p->t->n - 1].line : 0;
    wait_drained(p, p->host_timeout_ms);
    int settle_ms = p->fast ? 100 : 500;
    int n = p->n_host > 0 ? 1 : take_host(p, settle_ms);
    if (n > 0) {
        char got[4 * SHOW + 1];
        drv_escape(p->host, p->n_host < SHOW ? p->n_host : SHOW, got, sizeof got);
        return cd_fail(err, CD_ERR_PROTOCOL,
                       _("replay diverged after the end of the trace (line %d): the host wrote "
                       "\"%s\""),
                       line, got);
    }
    if (p->peer_fd < 0)
        shutdown(p->fd, SHUT_WR);
    return 0;
}

int drv_replay(const struct drv_trace *t, int fd, int peer_fd, const struct drv_replay_opts *o,
               struct drv_replay_stats *stats, struct cd_err *err)
{
    struct player *p = calloc(1, sizeof *p);
    if (p == NULL) {
        close(fd);
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    }
    p->t = t;
    p->fd = fd;
    p->peer_fd = peer_fd;
    p->speed = o != NULL && o->speed > 0 ? o->speed : 1.0;
    p->fast = o != NULL && o->fast;
    p->host_timeout_ms = o != NULL && o->host_timeout_ms > 0 ? o->host_timeout_ms : 10000;
    p->replying = o != NULL ? o->replying : NULL;
    p->replying_ctx = o != NULL ? o->replying_ctx : NULL;
    clock_gettime(CLOCK_MONOTONIC, &p->last);
    p->wrote = p->last;

    int rc = 0;
    bool paced = paced_by_reads(t, peer_fd);
    double prev_t = t->n > 0 ? t->records[0].t : 0;
    for (size_t i = 0; i < t->n && rc == 0; i++) {
        const struct drv_trace_record *r = &t->records[i];
        double delay = p->fast ? 0 : (r->t - prev_t) / p->speed;
        bool new_read = i > 0 && r->t != prev_t;
        prev_t = r->t;
        switch (r->dir) {
        case DRV_DIR_HOST:
            rc = expect_host(p, r, err);
            break;
        case DRV_DIR_INSTR:
            if (paced && new_read && p->stats.bytes_instr > 0 &&
                !wait_drained(p, p->host_timeout_ms)) {
                rc = cd_fail(err, CD_ERR_TIMEOUT,
                             _("replay: the host did not read what was sent before trace line "
                               "%d within %d ms"),
                             r->line, p->host_timeout_ms);
                break;
            }
            sleep_s(delay - since(&p->last));
            if (p->replying != NULL)
                p->replying(p->replying_ctx, r->t);
            /* Records of one time stamp arrived in one read when recorded
             * (a reply the recorder split at a frame start, two ACKs of
             * an A&D re-zero): they go in one write, so the replaying host
             * reads them together too, not the first alone. */
            if (!paced && i + 1 < t->n && t->records[i + 1].dir == DRV_DIR_INSTR &&
                t->records[i + 1].t == r->t) {
                size_t j = i, total = 0;
                while (j < t->n && t->records[j].dir == DRV_DIR_INSTR && t->records[j].t == r->t)
                    total += t->records[j++].len;
                uint8_t *joined = malloc(total);
                if (joined == NULL) {
                    rc = cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
                    break;
                }
                size_t at = 0;
                for (size_t k = i; k < j; k++) {
                    memcpy(joined + at, t->records[k].data, t->records[k].len);
                    at += t->records[k].len;
                }
                struct drv_trace_record whole = *r;
                whole.data = joined;
                whole.len = total;
                rc = send_instr(p, &whole, err);
                free(joined);
                p->stats.records += j - 1 - i;
                i = j - 1;
                break;
            }
            rc = send_instr(p, r, err);
            break;
        case DRV_DIR_EVENT:
            sleep_s(delay - since(&p->last));
            if (strcmp((const char *)r->data, "disconnect") == 0) {
                wait_drained(p, p->host_timeout_ms);
                p->stats.records++;
                goto done; /* closing fd below is the disconnect */
            }
            break; /* "timeout": the instrument stays silent */
        }
        if (rc == 0)
            p->stats.records++;
        clock_gettime(CLOCK_MONOTONIC, &p->last);
    }
    if (rc == 0)
        rc = finish(p, err);
done:
    close(fd);
    if (stats != NULL)
        *stats = p->stats;
    free(p);
    return rc;
}
