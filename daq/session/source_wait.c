/* Set and wait (issue 19, docs/sources.md): a source is set to the point's
 * nominal, then read until its actual value has stayed within +-band for
 * the profile's stable_for_s, with a timeout; with a reference instrument
 * it is the reference's readings that must have stayed stable. Every wait
 * is bounded: by the timeout, and by *interrupted (Ctrl-C), checked at
 * least every 100 ms. */
#include "session.h"
#include "cd_i18n.h"

#include "cd_i18n.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void nap_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

void ses_trend_text(const struct ses_source_wait *w, char *buf, size_t cap)
{
    static const char *const bars[] = {"\xE2\x96\x81", "\xE2\x96\x82", "\xE2\x96\x83",
                                       "\xE2\x96\x84", "\xE2\x96\x85", "\xE2\x96\x86",
                                       "\xE2\x96\x87", "\xE2\x96\x88"};
    if (cap > 0)
        buf[0] = '\0';
    if (w->n_trend == 0)
        return;
    double lo = w->trend[0], hi = w->trend[0];
    for (size_t i = 1; i < w->n_trend; i++) {
        lo = fmin(lo, w->trend[i]);
        hi = fmax(hi, w->trend[i]);
    }
    for (size_t i = 0; i < w->n_trend; i++) {
        size_t k = hi > lo ? (size_t)lrint(7 * (w->trend[i] - lo) / (hi - lo)) : 3;
        size_t len = strlen(buf);
        snprintf(buf + len, cap - len, "%s", bars[k > 7 ? 7 : k]);
    }
}

static void add_trend(struct ses_source_wait *w, double v)
{
    if (w->n_trend == SES_TREND_MAX) {
        memmove(w->trend, w->trend + 1, (SES_TREND_MAX - 1) * sizeof w->trend[0]);
        w->n_trend--;
    }
    w->trend[w->n_trend++] = v;
}

static double clock_now(const struct ses_clock *c)
{
    return c != NULL && c->now != NULL ? c->now(c->ctx) : mono_now();
}

/* The reference's stability window: the readings since `since` all lie
 * within [lo, hi], hi - lo <= 2 band. A reading that does not fit starts
 * a new window at itself (conservative: the wait can only get longer). */
struct ref_window {
    double since, lo, hi;
};

static void ref_window_add(struct ref_window *rw, double t, double v, double band)
{
    if (!isfinite(v)) {
        rw->since = NAN;
        return;
    }
    if (!isnan(rw->since) && fmax(rw->hi, v) - fmin(rw->lo, v) <= 2 * band) {
        rw->lo = fmin(rw->lo, v);
        rw->hi = fmax(rw->hi, v);
        return;
    }
    rw->since = t;
    rw->lo = rw->hi = v;
}

int ses_source_settle(drv_dev *dev, drv_dev *ref, const struct ses_clock *clock,
                      const struct prof_profile *p, const struct prof_plan_point *pt,
                      double band, double stable_for_s, double timeout_s, int poll_ms,
                      const struct ses_ui *ui, const volatile int *interrupted,
                      struct ses_source_wait *w, struct cd_err *err)
{
    memset(w, 0, sizeof *w);
    w->setpoint = pt->nominal;
    w->actual = NAN;
    w->band = band;
    w->stable_for_s = stable_for_s;
    w->timeout_s = timeout_s;
    w->on_reference = ref != NULL;
    w->ref_value = NAN;
    snprintf(w->unit, sizeof w->unit, "%s", p->unit);
    if (poll_ms <= 0)
        poll_ms = 500;
    int rc = drv_source_set(dev, pt->nominal, err);
    if (rc != 0)
        return rc;
    /* the pace of the polls is the monotonic clock; the decisions are
     * taken on `clock`, which a replay reproduces (docs/sources.md) */
    double start = mono_now(), first = NAN, inside_since = NAN;
    struct ref_window rw = {.since = NAN};
    for (;;) {
        if (*interrupted)
            return cd_fail(err, CD_ERR_CANCELLED,
                           _("stopped by the operator while the source went to %.10g %s at test "
                           "point %zu"),
                           pt->nominal, p->unit, pt->index + 1);
        struct drv_source_reading r;
        if ((rc = drv_source_read(dev, &r, err)) != 0)
            return rc;
        double now = clock_now(clock);
        if (isnan(first) && isnan(now))
            clock = NULL; /* a source whose replies are not recorded: the monotonic clock */
        if (isnan(now))
            now = mono_now();
        if (isnan(first))
            first = now;
        w->actual = r.actual;
        snprintf(w->actual_text, sizeof w->actual_text, "%s", r.display);
        w->elapsed_s = now - first;
        bool inside = fabs(r.actual - pt->nominal) <= band;
        if (ref != NULL) {
            struct drv_reading rr;
            if ((rc = drv_read(ref, &rr, err)) != 0)
                return rc;
            bool valid = rr.status != DRV_STATUS_OVERLOAD && rr.status != DRV_STATUS_UNDERLOAD &&
                         rr.status != DRV_STATUS_ERROR && isfinite(rr.value);
            w->ref_value = valid ? rr.value : NAN;
            snprintf(w->ref_text, sizeof w->ref_text, "%s", rr.display);
            snprintf(w->ref_unit, sizeof w->ref_unit, "%s", rr.unit);
            ref_window_add(&rw, now, w->ref_value, band);
            add_trend(w, valid ? rr.value : r.actual);
            w->stable_s = inside && !isnan(rw.since) ? now - rw.since : 0;
        } else {
            add_trend(w, r.actual);
            if (!inside)
                inside_since = NAN;
            else if (isnan(inside_since))
                inside_since = now;
            w->stable_s = inside ? now - inside_since : 0;
        }
        w->done = inside && w->stable_s >= stable_for_s;
        if (ui->source_wait != NULL)
            ui->source_wait(ui->ctx, p, pt, w);
        if (w->done)
            return 0;
        /* the trace clock decides; the monotonic one bounds the wait should
         * that clock stand still */
        if (w->elapsed_s >= timeout_s || mono_now() - start > 2 * timeout_s + 60)
            return ref != NULL
                       ? cd_fail(err, CD_ERR_TIMEOUT,
                                 _("source did not settle at test point %zu: set point %.10g %s, "
                                   "last actual %s %s, last reference reading %s %s, the "
                                   "reference not within a ±%g %s window for %g s within the "
                                   "timeout of %g s"),
                                 pt->index + 1, pt->nominal, p->unit,
                                 r.display[0] ? r.display : "?", p->unit,
                                 w->ref_text[0] ? w->ref_text : "?", w->ref_unit, band, p->unit,
                                 stable_for_s, timeout_s)
                       : cd_fail(err, CD_ERR_TIMEOUT,
                                 _("source did not settle at test point %zu: set point %.10g %s, "
                                   "last actual %s %s, not within ±%g %s for %g s within the "
                                   "timeout of %g s"),
                                 pt->index + 1, pt->nominal, p->unit,
                                 r.display[0] ? r.display : "?", p->unit, band, p->unit,
                                 stable_for_s, timeout_s);
        /* the next reading: after poll_ms, at the timeout at the latest,
         * Ctrl-C seen within 100 ms */
        double mnow = mono_now();
        double next = fmin(mnow + poll_ms / 1000.0, start + timeout_s + poll_ms / 1000.0);
        while (!*interrupted && mono_now() < next) {
            double left = next - mono_now();
            nap_ms(left > 0.1 ? 100 : (int)(left * 1000) + 1);
        }
    }
}
