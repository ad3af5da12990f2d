/* Set and wait (issue 19, docs/sources.md): a source is set to the point's
 * nominal, then read until its actual value has stayed within +-band for
 * the profile's stable_for_s, with a timeout. Every wait is bounded: by
 * the timeout, and by *interrupted (Ctrl-C), checked at least every 100 ms. */
#include "session.h"
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

int ses_source_settle(drv_dev *dev, const struct prof_profile *p, const struct prof_plan_point *pt,
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
    snprintf(w->unit, sizeof w->unit, "%s", p->unit);
    if (poll_ms <= 0)
        poll_ms = 500;
    int rc = drv_source_set(dev, pt->nominal, err);
    if (rc != 0)
        return rc;
    double start = mono_now(), inside_since = NAN;
    for (;;) {
        if (*interrupted)
            return cd_fail(err, CD_ERR_INVALID,
                           _("stopped by the operator while the source went to %.10g %s at test "
                           "point %zu"),
                           pt->nominal, p->unit, pt->index + 1);
        struct drv_source_reading r;
        if ((rc = drv_source_read(dev, &r, err)) != 0)
            return rc;
        double now = mono_now();
        w->actual = r.actual;
        snprintf(w->actual_text, sizeof w->actual_text, "%s", r.display);
        add_trend(w, r.actual);
        w->elapsed_s = now - start;
        bool inside = fabs(r.actual - pt->nominal) <= band;
        if (!inside)
            inside_since = NAN;
        else if (isnan(inside_since))
            inside_since = now;
        w->stable_s = inside ? now - inside_since : 0;
        w->done = inside && w->stable_s >= stable_for_s;
        if (ui->source_wait != NULL)
            ui->source_wait(ui->ctx, p, pt, w);
        if (w->done)
            return 0;
        if (w->elapsed_s >= timeout_s)
            return cd_fail(err, CD_ERR_TIMEOUT,
                           _("source did not settle at test point %zu: set point %.10g %s, last "
                           "actual %s %s, not within ±%g %s for %g s within the timeout of %g s"),
                           pt->index + 1, pt->nominal, p->unit,
                           r.display[0] ? r.display : "?", p->unit, band, p->unit,
                           stable_for_s, timeout_s);
        /* the next reading: after poll_ms, at the timeout at the latest,
         * Ctrl-C seen within 100 ms */
        double next = fmin(now + poll_ms / 1000.0, start + timeout_s);
        while (!*interrupted && mono_now() < next) {
            double left = next - mono_now();
            nap_ms(left > 0.1 ? 100 : (int)(left * 1000) + 1);
        }
    }
}
