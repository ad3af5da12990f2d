/* Tolerance forms: the dispatcher behind prof_mpe_at(), pressure gauges
 * (EN 837-1, ASME B40.100) and piecewise tables. The OIML forms live in
 * tol_oiml.c, the multimeter form in tol_dmm.c, the names a profile uses
 * in tol_names.c (calls point one way: tolerance -> tol_* -> tol_names).
 * Sources and boundary conventions: docs/tolerances.md.
 */
#include "prof.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tol_priv.h"
#include "cd_i18n.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* Pressure gauges                                                     */

static int check_scale(const char *form, const struct prof_scale *s, struct cd_err *err)
{
    if (!isfinite(s->low) || !isfinite(s->high) || !isfinite(s->high - s->low))
        return cd_fail(err, CD_ERR_INVALID,
                       _("%s: the scale limits must be finite numbers, got %.15g to %.15g"), form,
                       s->low, s->high);
    if (!(s->high > s->low))
        return cd_fail(err, CD_ERR_INVALID,
                       _("%s: the scale's high end %.15g must be above its low end %.15g"), form,
                       s->high, s->low);
    return 0;
}

/* Where x lies on the scale, 0 at the low end, 1 at the high end. A reading
 * within 1e-9 of the span outside the scale counts as on its end. */
static int scale_position(const char *form, const struct prof_scale *s, double x, double *pos,
                          struct cd_err *err)
{
    double span = s->high - s->low;
    double slack = 1e-9 * span;
    if (isnan(x))
        return cd_fail(err, CD_ERR_INVALID, _("%s: the pressure is not a number"), form);
    if (x < s->low - slack || x > s->high + slack)
        return cd_fail(err, CD_ERR_INVALID,
                       _("%s: pressure %.15g is outside the gauge's scale %.15g to %.15g"), form, x,
                       s->low, s->high);
    double p = (x - s->low) / span;
    *pos = p < 0 ? 0 : p > 1 ? 1 : p;
    return 0;
}

/* EN 837-1 accuracy classes, % of span. */
static const double en837_classes[] = {0.1, 0.25, 0.6, 1, 1.6, 2.5, 4};

static int en837_class(double class_pct, double *pct, struct cd_err *err)
{
    for (size_t i = 0; i < COUNT(en837_classes); i++) {
        if (tol_same(class_pct, en837_classes[i], 1e-9)) {
            *pct = en837_classes[i];
            return 0;
        }
    }
    return cd_fail(err, CD_ERR_INVALID,
                   _("EN 837-1: there is no accuracy class %.15g; the classes are 0.1, 0.25, "
                   "0.6, 1, 1.6, 2.5 and 4"),
                   class_pct);
}

static int en837_check(const struct prof_en837 *s, struct cd_err *err)
{
    double pct = NAN;
    int rc = en837_class(s->class_pct, &pct, err);
    if (rc != 0)
        return rc;
    return check_scale("EN 837-1", &s->scale, err);
}

static int en837_mpe(const struct prof_en837 *s, double x, double *mpe, struct cd_err *err)
{
    double pct = NAN;
    double pos = NAN;
    int rc = en837_class(s->class_pct, &pct, err);
    if (rc == 0)
        rc = scale_position("EN 837-1", &s->scale, x, &pos, err);
    if (rc != 0)
        return rc;
    *mpe = pct / 100 * (s->scale.high - s->scale.low);
    return 0;
}

/* ASME B40.100 grades, % of span: at the ends (first and last quarter) and
 * in the middle half. Values: protocols.md 4.3 [S33]; the split by quarters
 * and grade A's 2/1/2 are confirmed by Ashcroft's and Instrumart's notes on
 * ASME accuracy grades, grade B's 3/2/3 by an older A.S.A. gauge standard
 * as summarised in a US Army course (armymunitions.tpub.com MM04868 p. 60).
 * Not confirmed from any source seen: grade C's 4/3/4, grade D's 5, and
 * which side of a quarter mark a reading exactly on it belongs to. We give
 * the quarter marks to the middle half (the tighter limit), which the A.S.A.
 * wording "from 25 percent of scale up to 75 percent of scale" supports and
 * which can only make a verdict stricter. */
struct asme_grade {
    double end_pct;
    double mid_pct;
};

static const struct asme_grade asme_grades[] = {
    [PROF_ASME_4A] = {0.1, 0.1}, [PROF_ASME_3A] = {0.25, 0.25}, [PROF_ASME_2A] = {0.5, 0.5},
    [PROF_ASME_1A] = {1, 1},     [PROF_ASME_A] = {2, 1},        [PROF_ASME_B] = {3, 2},
    [PROF_ASME_C] = {4, 3},      [PROF_ASME_D] = {5, 5},
};

static int asme_check(const struct prof_asme *s, struct cd_err *err)
{
    if ((int)s->grade <= 0 || (size_t)s->grade >= COUNT(asme_grades))
        return cd_fail(err, CD_ERR_INVALID,
                       _("ASME B40.100: accuracy grade not set or unknown (%d); the grades are "
                       "4A, 3A, 2A, 1A, A, B, C and D"),
                       (int)s->grade);
    return check_scale("ASME B40.100", &s->scale, err);
}

static int asme_mpe(const struct prof_asme *s, double x, double *mpe, struct cd_err *err)
{
    double pos = NAN;
    int rc = scale_position("ASME B40.100", &s->scale, x, &pos, err);
    if (rc != 0)
        return rc;
    const struct asme_grade *g = &asme_grades[s->grade];
    bool middle = pos >= 0.25 - 1e-9 && pos <= 0.75 + 1e-9;
    double pct = middle ? g->mid_pct : g->end_pct;
    *mpe = pct / 100 * (s->scale.high - s->scale.low);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Piecewise tables                                                    */

static int piecewise_check(const struct prof_piecewise *s, struct cd_err *err)
{
    if (s->interp != PROF_INTERP_STEP && s->interp != PROF_INTERP_LINEAR)
        return cd_fail(err, CD_ERR_INVALID,
                       _("piecewise table: interpolation not set or unknown (%d): step or linear"),
                       (int)s->interp);
    if (s->points == NULL || s->n_points < 2)
        return cd_fail(err, CD_ERR_INVALID,
                       _("piecewise table: needs at least 2 breakpoints, has %zu"),
                       s->points == NULL ? (size_t)0 : s->n_points);
    const struct prof_point *p = s->points;
    for (size_t i = 0; i < s->n_points; i++) {
        if (!isfinite(p[i].x))
            return cd_fail(err, CD_ERR_INVALID,
                           _("piecewise table: breakpoint %zu: x is not a finite number"), i + 1);
        if (!(isfinite(p[i].mpe) && p[i].mpe > 0))
            return cd_fail(err, CD_ERR_INVALID,
                           _("piecewise table: breakpoint %zu (x = %.15g): the MPE must be a "
                           "positive number, got %.15g"),
                           i + 1, p[i].x, p[i].mpe);
        if (i > 0 && !(p[i].x > p[i - 1].x))
            return cd_fail(err, CD_ERR_INVALID,
                           _("piecewise table: breakpoint %zu: x = %.15g is not above the "
                           "previous breakpoint's %.15g; breakpoints go in increasing x"),
                           i + 1, p[i].x, p[i - 1].x);
    }
    if (!isfinite(p[s->n_points - 1].x - p[0].x))
        return cd_fail(err, CD_ERR_INVALID,
                       _("piecewise table: the table is too wide (%.15g to %.15g)"), p[0].x,
                       p[s->n_points - 1].x);
    return 0;
}

static int piecewise_mpe(const struct prof_piecewise *s, double x, double *mpe,
                         struct cd_err *err)
{
    const struct prof_point *p = s->points;
    size_t n = s->n_points;
    double slack = 1e-9 * (p[n - 1].x - p[0].x);
    if (isnan(x))
        return cd_fail(err, CD_ERR_INVALID, _("piecewise table: x is not a number"));
    if (x < p[0].x - slack || x > p[n - 1].x + slack)
        return cd_fail(err, CD_ERR_INVALID,
                       _("piecewise table: x = %.15g is outside the table (%.15g to %.15g)"), x,
                       p[0].x, p[n - 1].x);

    if (s->interp == PROF_INTERP_STEP) {
        /* The first breakpoint whose x is not below x: bands are
         * (x_{i-1}, x_i], so a value on a breakpoint takes that
         * breakpoint's MPE. */
        size_t i = 0;
        while (i < n - 1 && x > p[i].x + slack)
            i++;
        *mpe = p[i].mpe;
        return 0;
    }

    if (x <= p[0].x) {
        *mpe = p[0].mpe;
        return 0;
    }
    size_t i = 0;
    while (i < n - 2 && x > p[i + 1].x)
        i++;
    if (x >= p[i + 1].x) {
        *mpe = p[i + 1].mpe;
        return 0;
    }
    double t = (x - p[i].x) / (p[i + 1].x - p[i].x);
    *mpe = (1 - t) * p[i].mpe + t * p[i + 1].mpe;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Any form                                                            */

int prof_tolerance_check(const struct prof_tolerance *t, struct cd_err *err)
{
    if (t == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("no tolerance given"));
    switch (t->kind) {
    case PROF_TOL_OIML_R76:
        return prof_r76_check(&t->r76, err);
    case PROF_TOL_OIML_R111:
        return tol_r111_check(&t->r111, err);
    case PROF_TOL_EN837:
        return en837_check(&t->en837, err);
    case PROF_TOL_ASME_B40:
        return asme_check(&t->asme, err);
    case PROF_TOL_DMM:
        return tol_dmm_check(&t->dmm, err);
    case PROF_TOL_PIECEWISE:
        return piecewise_check(&t->piecewise, err);
    case PROF_TOL_UNSET:
        break;
    }
    return cd_fail(err, CD_ERR_INVALID,
                   _("tolerance form not set or unknown (%d): expected oiml-r76, oiml-r111, "
                   "en-837-1, asme-b40.100, dmm or piecewise"),
                   (int)t->kind);
}

int prof_mpe_at(const struct prof_tolerance *t, double x, double *mpe, struct cd_err *err)
{
    if (mpe == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("prof_mpe_at: no place for the result"));
    *mpe = NAN;
    int rc = prof_tolerance_check(t, err);
    if (rc != 0)
        return rc;
    double v = NAN;
    switch (t->kind) {
    case PROF_TOL_OIML_R76:
        rc = tol_r76_mpe(&t->r76, x, &v, err);
        break;
    case PROF_TOL_OIML_R111:
        rc = tol_r111_mpe(&t->r111, x, &v, err);
        break;
    case PROF_TOL_EN837:
        rc = en837_mpe(&t->en837, x, &v, err);
        break;
    case PROF_TOL_ASME_B40:
        rc = asme_mpe(&t->asme, x, &v, err);
        break;
    case PROF_TOL_DMM:
        rc = tol_dmm_mpe(&t->dmm, x, &v, err);
        break;
    case PROF_TOL_PIECEWISE:
        rc = piecewise_mpe(&t->piecewise, x, &v, err);
        break;
    case PROF_TOL_UNSET: /* rejected by prof_tolerance_check() */
        break;
    }
    if (rc != 0)
        return rc;
    *mpe = v;
    return 0;
}

int prof_limits_at(const struct prof_tolerance *t, double x, double *low, double *high,
                   struct cd_err *err)
{
    if (low == NULL || high == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("prof_limits_at: no place for the result"));
    *low = NAN;
    *high = NAN;
    double mpe;
    int rc = prof_mpe_at(t, x, &mpe, err);
    if (rc != 0)
        return rc;
    *low = -mpe;
    *high = mpe;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Where the MPE changes                                               */

static void add_break(double x, double x0, double x1, double *xs, size_t cap, size_t *n)
{
    if (x > x0 && x < x1 && *n < cap)
        xs[(*n)++] = x;
}

int prof_tolerance_breaks(const struct prof_tolerance *t, double x0, double x1, double *xs,
                          size_t cap, size_t *n, struct cd_err *err)
{
    if (n == NULL || (xs == NULL && cap > 0))
        return cd_fail(err, CD_ERR_INVALID, _("prof_tolerance_breaks: no place for the result"));
    *n = 0;
    int rc = prof_tolerance_check(t, err);
    if (rc != 0)
        return rc;
    if (!(x0 <= x1))
        return cd_fail(err, CD_ERR_INVALID,
                       _("prof_tolerance_breaks: the interval [%.15g, %.15g] is empty"), x0, x1);
    switch (t->kind) {
    case PROF_TOL_OIML_R76: {
        double edges[2];
        tol_r76_edges(&t->r76, edges);
        add_break(edges[0], x0, x1, xs, cap, n);
        add_break(edges[1], x0, x1, xs, cap, n);
        break;
    }
    case PROF_TOL_ASME_B40: {
        const struct asme_grade *g = &asme_grades[t->asme.grade];
        if (g->end_pct != g->mid_pct) {
            double span = t->asme.scale.high - t->asme.scale.low;
            add_break(t->asme.scale.low + 0.25 * span, x0, x1, xs, cap, n);
            add_break(t->asme.scale.low + 0.75 * span, x0, x1, xs, cap, n);
        }
        break;
    }
    case PROF_TOL_DMM:
        add_break(0, x0, x1, xs, cap, n); /* the kink of % of |reading| */
        break;
    case PROF_TOL_PIECEWISE:
        for (size_t i = 0; i < t->piecewise.n_points; i++)
            add_break(t->piecewise.points[i].x, x0, x1, xs, cap, n);
        break;
    case PROF_TOL_OIML_R111: /* a table of nominal values, no function of a load */
    case PROF_TOL_EN837:     /* the same MPE over the whole scale */
    case PROF_TOL_UNSET:
        break;
    }
    return 0;
}
