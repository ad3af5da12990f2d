/* Reading instruments that send continuously (weighing indicators in
 * continuous output mode): no command is sent; the newest complete frame
 * in the stream is the reading. Framing and decoding are the parser's
 * (drv_parser.next and .parse); docs/drivers-indicators.md describes the
 * behaviour. */
#include "drv_priv.h"
#include "parsers/indicators.h"
#include "cd_i18n.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return 1e3 * (double)ts.tv_sec + 1e-6 * (double)ts.tv_nsec;
}

int drv_indicator_option(drv_dev *d, const char *key, const char *value, struct cd_err *err)
{
    struct drv_indicator *st = d->state;
    struct drv_identity *id = &st->id;
    char *field = strcmp(key, "manufacturer") == 0 ? id->manufacturer
                  : strcmp(key, "model") == 0      ? id->model
                  : strcmp(key, "serial") == 0     ? id->serial
                  : strcmp(key, "unit") == 0       ? st->unit
                                                   : NULL;
    size_t cap = field == st->unit ? sizeof st->unit : sizeof id->model;
    if (field == NULL)
        return CD_ERR_NOT_FOUND;
    if (value[0] == '\0' || strlen(value) >= cap)
        return cd_fail(err, CD_ERR_INVALID, _("%s: option %s=%s: 1 to %zu characters"),
                       d->ops->name, key, value, cap - 1);
    snprintf(field, cap, "%s", value);
    return 0;
}

void drv_indicator_start(drv_dev *d, const char *manufacturer, const char *model)
{
    struct drv_indicator *st = d->state;
    if (st->id.manufacturer[0] == '\0')
        snprintf(st->id.manufacturer, sizeof st->id.manufacturer, "%s", manufacturer);
    if (st->id.model[0] == '\0')
        snprintf(st->id.model, sizeof st->id.model, "%s", model);
    drv_transport_record_split(d->t, IND_STX);   /* one trace record per frame */
    /* Output waiting from before the open is not set aside here: the first
     * reading takes it with whatever follows and keeps the newest frame, as
     * every reading does. Setting it aside at the open would depend on when
     * the open happened, and a replay, paced by the host's readings, could
     * not give the first reading what it got (docs/drivers-indicators.md). */
    st->stream.len = 0;
    st->stream.gone = (struct cd_err){0};
}

int drv_indicator_identify(drv_dev *d, struct drv_identity *out, struct cd_err *err)
{
    (void)err;
    const struct drv_indicator *st = d->state;
    *out = st->id;
    return 0;
}

int drv_indicator_read(drv_dev *d, const struct drv_parser *p, const char *name,
                       struct drv_reading *out, struct cd_err *err)
{
    struct drv_indicator *st = d->state;
    int rc = drv_stream_read(d, &st->stream, p, name, out, err);
    if (rc == 0 && out->unit[0] == '\0')
        snprintf(out->unit, sizeof out->unit, "%s", st->unit);
    return rc;
}

struct scan {
    bool have;                  /* a valid frame was decoded */
    size_t noise;               /* bytes skipped that began no frame */
    uint8_t first_noise[32];
    size_t n_first_noise;
    size_t refused;             /* frames the parser refused */
    struct cd_err last_refusal;
};

static void note_noise(struct scan *sc, const uint8_t *b, size_t n)
{
    if (n == 0)
        return;
    size_t room = sizeof sc->first_noise - sc->n_first_noise;
    size_t take = n < room ? n : room;
    if (sc->noise == 0 || sc->n_first_noise < sizeof sc->first_noise) {
        memcpy(sc->first_noise + sc->n_first_noise, b, take);
        sc->n_first_noise += take;
    }
    sc->noise += n;
}

/* Frame and decode what is buffered; the newest valid frame into *out. */
static void scan(struct drv_stream *s, const struct drv_parser *p, struct scan *sc,
                 struct drv_reading *out)
{
    size_t pos = 0;
    for (;;) {
        size_t skip = 0, flen = 0;
        int found = p->next(s->buf + pos, s->len - pos, false, &skip, &flen);
        note_noise(sc, s->buf + pos, skip);
        pos += skip;
        if (found != 1)
            break;
        struct drv_reading r;
        struct cd_err e = {0};
        if (p->parse(s->buf + pos, flen, &r, &e) == 0) {
            *out = r;
            sc->have = true;
        } else {
            sc->refused++;
            sc->last_refusal = e;
        }
        pos += flen;
    }
    memmove(s->buf, s->buf + pos, s->len - pos);
    s->len -= pos;
}

static int stream_read(drv_dev *d, struct drv_stream *s, const struct drv_parser *p,
                       const char *name, struct drv_reading *out, struct cd_err *err);

int drv_stream_read(drv_dev *d, struct drv_stream *s, const struct drv_parser *p,
                    const char *name, struct drv_reading *out, struct cd_err *err)
{
    /* every byte this reading receives recorded with one time: a replay
     * gives the reading the same bytes (drv_transport_batch) */
    drv_transport_batch(d->t, true);
    int rc = stream_read(d, s, p, name, out, err);
    drv_transport_batch(d->t, false);
    return rc;
}

static int stream_read(drv_dev *d, struct drv_stream *s, const struct drv_parser *p,
                       const char *name, struct drv_reading *out, struct cd_err *err)
{
    double deadline = now_ms() + d->timeout_ms;
    int drains = 0;   /* reads after a frame is in hand: bounded, for a stream that never pauses */
    struct scan sc = {0};
    scan(s, p, &sc, out);   /* a frame left from the last read, if any */
    if (!sc.have && s->gone.code != 0)
        return cd_fail(err, s->gone.code, "%s", s->gone.msg);
    for (;;) {
        int left = (int)(deadline - now_ms());
        if (s->len == sizeof s->buf) {
            /* Full without a frame: the older half is noise. */
            note_noise(&sc, s->buf, sizeof s->buf / 2);
            memmove(s->buf, s->buf + sizeof s->buf / 2, sizeof s->buf / 2);
            s->len = sizeof s->buf / 2;
        }
        struct cd_err e = {0};
        int n = drv_transport_read(d->t, s->buf + s->len, sizeof s->buf - s->len,
                                   sc.have || left < 0 ? 0 : left, &e);
        if (n < 0) {
            struct cd_err failure = {0};
            cd_fail(&failure, n, "%s: %s", name, e.msg);
            if (sc.have) {
                s->gone = failure;   /* the reading that arrived is not lost; the next read fails */
                break;
            }
            return cd_fail(err, n, "%s", failure.msg);
        }
        if (n > 0) {
            s->len += (size_t)n;
            scan(s, p, &sc, out);
            if (now_ms() < deadline && (!sc.have || ++drains < 64))
                continue;   /* take everything waiting: the newest frame wins */
        }
        if (sc.have)
            break;
        if (now_ms() >= deadline)
            break;
    }
    if (sc.have) {
        out->t = drv_now();
        return 0;
    }
    if (sc.refused > 0)
        return cd_fail(err, CD_ERR_PROTOCOL,
                       _("%s: no valid frame within %d ms; %zu frame%s refused, the last: %s"), name,
                       d->timeout_ms, sc.refused, sc.refused == 1 ? "" : "s",
                       sc.last_refusal.msg);
    if (sc.noise > 0) {
        char what[128];
        snprintf(what, sizeof what, _("no frame within %d ms; skipped %zu byte%s of noise, the first"),
                 d->timeout_ms, sc.noise, sc.noise == 1 ? "" : "s");
        return drv_bad_reply(err, name, what, sc.first_noise, sc.n_first_noise);
    }
    if (s->len > 0)
        return cd_fail(err, CD_ERR_TIMEOUT,
                       _("%s: %s: no complete frame within %d ms (a partial frame arrived)"), name,
                       drv_transport_name(d->t), d->timeout_ms);
    return cd_fail(err, CD_ERR_TIMEOUT,
                   _("%s: %s: nothing received within %d ms (the indicator sends by itself: is its "
                   "output set to continuous, and are the serial settings right?)"),
                   name, drv_transport_name(d->t), d->timeout_ms);
}
