/* The transport layer every instrument byte passes through: a backend ops
 * table, a read buffer for line-oriented protocols, and the recorder tee. */
#include "drv.h"
#include "port_lock.h"
#include "cd_i18n.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define READ_BUF 4096

struct drv_transport {
    const struct drv_transport_ops *ops;
    void *ctx;
    char *name;
    uint8_t buf[READ_BUF];  /* received but not yet handed out */
    size_t head, tail;
    struct drv_trace_writer *rec;
    uint8_t pending[READ_BUF]; /* received bytes of an unfinished line, not yet recorded */
    size_t n_pending;
    double pending_t;
    int split_at;               /* a record begins at this byte too (-1: none) */
    bool batching;              /* drv_transport_batch: one time for every read */
    double batch_t;             /* ... that time, once a read returned bytes (NAN: none yet) */
    struct drv_port_lock *lock; /* the port's lock, released after the backend closes */
};

int drv_transport_new(const struct drv_transport_ops *ops, void *ctx, const char *name,
                      drv_transport **out, struct cd_err *err)
{
    *out = NULL;
    drv_transport *t = calloc(1, sizeof *t);
    if (t == NULL || (t->name = strdup(name != NULL ? name : "?")) == NULL) {
        free(t);
        ops->close(ctx);
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    }
    t->ops = ops;
    t->ctx = ctx;
    t->split_at = -1;
    t->batch_t = NAN;
    *out = t;
    return 0;
}

static void flush_pending(drv_transport *t)
{
    if (t->rec != NULL && t->n_pending > 0)
        drv_trace_writer_bytes(t->rec, DRV_DIR_INSTR, t->pending_t, t->pending, t->n_pending,
                               NULL);
    t->n_pending = 0;
}

void drv_transport_close(drv_transport *t)
{
    if (t == NULL)
        return;
    flush_pending(t);
    t->ops->close(t->ctx);
    drv_port_unlock(t->lock);
    free(t->name);
    free(t);
}

void drv_transport_hold_lock(drv_transport *t, struct drv_port_lock *l)
{
    t->lock = l;
}

const char *drv_transport_name(const drv_transport *t)
{
    return t->name;
}

const char *drv_transport_kind(const drv_transport *t)
{
    return t->ops->kind;
}

void drv_transport_record_split(drv_transport *t, int start)
{
    t->split_at = start;
}

void drv_transport_batch(drv_transport *t, bool on)
{
    t->batching = on;
    t->batch_t = NAN;
}

void drv_transport_record(drv_transport *t, struct drv_trace_writer *w)
{
    flush_pending(t);
    t->rec = w;
}

/* Received bytes are recorded a line at a time (a record ends after each
 * LF), each line stamped with the time its first byte arrived. */
static void record_received(drv_transport *t, const uint8_t *b, size_t n)
{
    if (t->rec == NULL)
        return;
    double now = t->batching && !isnan(t->batch_t) ? t->batch_t : drv_trace_writer_now(t->rec);
    if (t->batching)
        t->batch_t = now;
    for (size_t i = 0; i < n; i++) {
        if (t->split_at >= 0 && b[i] == (uint8_t)t->split_at && t->n_pending > 0)
            flush_pending(t);
        if (t->n_pending == 0)
            t->pending_t = now;
        t->pending[t->n_pending++] = b[i];
        if (b[i] == '\n' || t->n_pending == sizeof t->pending)
            flush_pending(t);
    }
}

int drv_transport_write(drv_transport *t, const void *buf, size_t len, int timeout_ms, struct cd_err *err)
{
    if (t->rec != NULL) {
        /* What arrived before this write belongs before it in the trace. */
        flush_pending(t);
        drv_trace_writer_bytes(t->rec, DRV_DIR_HOST, drv_trace_writer_now(t->rec), buf, len,
                               NULL);
    }
    return t->ops->write(t->ctx, buf, len, timeout_ms, err);
}

/* Fill the buffer from the backend; count, 0 on timeout, or an error. */
static int fill(drv_transport *t, int timeout_ms, struct cd_err *err)
{
    if (t->head > 0) {
        memmove(t->buf, t->buf + t->head, t->tail - t->head);
        t->tail -= t->head;
        t->head = 0;
    }
    if (t->tail == sizeof t->buf)
        return 0;
    int n = t->ops->read(t->ctx, t->buf + t->tail, sizeof t->buf - t->tail, timeout_ms, err);
    if (n > 0) {
        record_received(t, t->buf + t->tail, (size_t)n);
        t->tail += (size_t)n;
    } else if (n < 0) {
        flush_pending(t);
        if (n == CD_ERR_DISCONNECTED && t->rec != NULL)
            drv_trace_writer_event(t->rec, drv_trace_writer_now(t->rec), "disconnect", NULL);
    }
    return n;
}

int drv_transport_read(drv_transport *t, uint8_t *buf, size_t cap, int timeout_ms, struct cd_err *err)
{
    if (t->tail == t->head) {
        int n = fill(t, timeout_ms, err);
        if (n <= 0)
            return n;
    }
    size_t n = t->tail - t->head;
    if (n > cap)
        n = cap;
    memcpy(buf, t->buf + t->head, n);
    t->head += n;
    return (int)n;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return 1e3 * (double)ts.tv_sec + 1e-6 * (double)ts.tv_nsec;
}

int drv_transport_read_line(drv_transport *t, char *buf, size_t cap, char eol, int timeout_ms,
                  struct cd_err *err)
{
    double deadline = now_ms() + timeout_ms;
    size_t scanned = 0;
    for (;;) {
        size_t avail = t->tail - t->head;
        uint8_t *start = t->buf + t->head;
        uint8_t *end = memchr(start + scanned, (unsigned char)eol, avail - scanned);
        if (end != NULL) {
            size_t len = (size_t)(end - start) + 1;
            if (len + 1 > cap) {
                t->head += len;
                return cd_fail(err, CD_ERR_PROTOCOL,
                               _("%s: a line of %zu bytes is longer than expected (%zu)"), t->name,
                               len, cap - 1);
            }
            memcpy(buf, start, len);
            buf[len] = '\0';
            t->head += len;
            return (int)len;
        }
        scanned = avail;
        if (avail + 1 >= cap || avail == sizeof t->buf) {
            t->head += avail;
            return cd_fail(err, CD_ERR_PROTOCOL,
                           _("%s: %zu bytes without a line end: not the expected protocol or "
                           "settings?"),
                           t->name, avail);
        }
        int left = (int)(deadline - now_ms());
        if (left <= 0)
            return cd_fail(err, CD_ERR_TIMEOUT, _("%s: no complete reply within %d ms%s"), t->name,
                           timeout_ms, avail > 0 ? " (a partial line arrived)" : "");
        /* fill() moves the buffer to the front; `scanned` stays valid. */
        int n = fill(t, left, err);
        if (n < 0)
            return n;
    }
}

void drv_transport_discard(drv_transport *t)
{
    uint8_t scrap[256];
    t->head = t->tail = 0;
    int n;
    /* Discarded bytes still went over the wire: they are recorded, as one
     * batch (drv_transport_batch). */
    bool was = t->batching;
    double was_t = t->batch_t;
    drv_transport_batch(t, true);
    while ((n = t->ops->read(t->ctx, scrap, sizeof scrap, 0, NULL)) > 0)
        record_received(t, scrap, (size_t)n);
    t->batching = was;
    t->batch_t = was_t;
}
