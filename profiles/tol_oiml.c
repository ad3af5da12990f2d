/* OIML tolerance forms: R76-1 (2006) non-automatic weighing instruments and
 * R111-1 (2004) weights.
 *
 * Sources (docs/tolerances.md has the detail):
 *   - R76-1 Table 6 (MPE on initial verification) and Table 3 (class
 *     limits): protocols.md 4.1 [S28], checked against the copy of both
 *     tables at scribd.com/document/314749659 and against the same table in
 *     the UK Non-automatic Weighing Instruments Regulations 1995, Sch. 2
 *     para. 4 (legislation.gov.uk/uksi/1995/1907), which writes the bands
 *     out as "0 <= m <= 50 000 e", "50 000 e < m <= 200 000 e": each band
 *     includes its upper bound and excludes its lower bound. Para. 4.2 there,
 *     and R76-1 3.5.2, make the MPE in service twice the table.
 *   - R76-1 3.4.3 (Min is counted in the actual scale interval d): quoted
 *     from R76-1 in a public third-party implementation; the R76-1 text
 *     itself was not seen.
 *   - R111-1 Table 1: protocols.md 4.2 [S30, S31]; the E1-F2 values at
 *     10 kg (marked M there) and at 20 kg agree with a second copy of the
 *     table ("How to determine the necessary test weights", abcdocz.com).
 */
#include "prof.h"

#include <math.h>
#include <stddef.h>

#include "tol_priv.h"
#include "cd_i18n.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A load within this many e of a band edge (or of Max, or of zero) counts
 * as on it: far below anything a balance resolves (d >= e/10), far above the
 * rounding of load/e in double precision (about 1e-16 * n e). */
#define R76_EDGE_TOL_E 1e-6

static const double mg_per_unit[] = {
    [PROF_MASS_MG] = 1, [PROF_MASS_G] = 1e3, [PROF_MASS_KG] = 1e6, [PROF_MASS_T] = 1e9,
};

double tol_mg_per_unit(enum prof_mass_unit unit)
{
    if ((int)unit <= 0 || (size_t)unit >= COUNT(mg_per_unit))
        return 0;
    return mg_per_unit[unit];
}

/* ------------------------------------------------------------------ */
/* OIML R76-1                                                          */

/* One row of R76-1 Table 3. Class II and III have two rows, by e: II is
 * 1 mg <= e <= 50 mg or e >= 100 mg, III is 0.1 g <= e <= 2 g or e >= 5 g.
 * The gaps between the rows hold no value of the form 1, 2 or 5 x 10^k, so
 * once that form is checked the row is the last one whose smallest e is not
 * above the instrument's e. */
struct r76_row {
    double e_min_mg;   /* smallest e of the row, inclusive */
    double n_min;      /* n = Max/e, inclusive */
    double n_max;      /* inclusive; INFINITY: no upper limit */
    double min_factor; /* Min >= min_factor * d */
};

struct r76_class {
    double edge1;      /* Table 6: 0.5 e up to and including edge1 (in e) */
    double edge2;      /* 1 e above edge1 up to and including edge2, 1.5 e above */
    size_t n_rows;
    struct r76_row rows[2];
};

static const struct r76_class r76_classes[] = {
    [PROF_R76_I] = {50000, 200000, 1, {{1, 50000, INFINITY, 100}}},
    [PROF_R76_II] = {5000, 20000, 2, {{1, 100, 100000, 20}, {100, 5000, 100000, 50}}},
    [PROF_R76_III] = {500, 2000, 2, {{100, 100, 10000, 20}, {5000, 500, 10000, 20}}},
    [PROF_R76_IIII] = {50, 200, 1, {{5000, 100, 1000, 10}}},
};

/* 1, 2 or 5 times a power of ten. */
static bool is_1_2_5(double v)
{
    double k = floor(log10(v));
    double mant = v / pow(10, k);
    return tol_same(mant, 1, 1e-9) || tol_same(mant, 2, 1e-9) || tol_same(mant, 5, 1e-9) ||
           tol_same(mant, 10, 1e-9);
}

int prof_r76_check(const struct prof_r76 *s, struct cd_err *err)
{
    if (s == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("OIML R76: no instrument given"));
    if ((int)s->accuracy_class <= 0 || (size_t)s->accuracy_class >= COUNT(r76_classes))
        return cd_fail(err, CD_ERR_INVALID,
                       _("OIML R76: accuracy class not set or unknown (%d); the classes are I, "
                       "II, III and IIII"),
                       (int)s->accuracy_class);
    const char *cls = prof_r76_class_name(s->accuracy_class);
    const struct r76_class *c = &r76_classes[s->accuracy_class];
    double mg = tol_mg_per_unit(s->unit);
    if (mg == 0)
        return cd_fail(err, CD_ERR_INVALID,
                       _("OIML R76 class %s: mass unit not set or unknown (%d): mg, g, kg or t"),
                       cls, (int)s->unit);
    const char *u = prof_mass_unit_name(s->unit);

    if (!(isfinite(s->e) && s->e > 0))
        return cd_fail(err, CD_ERR_INVALID,
                       _("OIML R76 class %s: the verification scale interval e must be a "
                       "positive number, got %.15g"),
                       cls, s->e);
    if (!(isfinite(s->max) && s->max > 0))
        return cd_fail(err, CD_ERR_INVALID,
                       _("OIML R76 class %s: Max must be a positive number, got %.15g"), cls,
                       s->max);
    if (!(isfinite(s->d) && s->d >= 0))
        return cd_fail(err, CD_ERR_INVALID,
                       _("OIML R76 class %s: the actual scale interval d must be a positive "
                       "number (or 0 for d = e), got %.15g"),
                       cls, s->d);
    double d = s->d > 0 ? s->d : s->e;
    if (d > s->e * (1 + 1e-9))
        return cd_fail(err, CD_ERR_INVALID,
                       _("OIML R76 class %s: d = %.15g %s is larger than e = %.15g %s; d <= e"),
                       cls, d, u, s->e, u);
    if (!(isfinite(s->min) && s->min >= 0))
        return cd_fail(err, CD_ERR_INVALID,
                       _("OIML R76 class %s: Min must be a number >= 0 (0: not stated), got "
                       "%.15g"),
                       cls, s->min);
    if (s->min > s->max)
        return cd_fail(err, CD_ERR_INVALID,
                       _("OIML R76 class %s: Min = %.15g %s is above Max = %.15g %s"), cls, s->min,
                       u, s->max, u);
    if (!is_1_2_5(s->e))
        return cd_fail(err, CD_ERR_INVALID,
                       _("OIML R76 class %s: e = %.15g %s is not of the form 1, 2 or 5 x 10^k"),
                       cls, s->e, u);

    double e_mg = s->e * mg;
    if (e_mg < c->rows[0].e_min_mg * (1 - 1e-9))
        return cd_fail(err, CD_ERR_INVALID,
                       _("OIML R76 class %s: e = %.15g %s is below the class's smallest "
                       "verification scale interval, %.15g mg (R76-1 Table 3)"),
                       cls, s->e, u, c->rows[0].e_min_mg);
    const struct r76_row *row = &c->rows[0];
    for (size_t i = 1; i < c->n_rows; i++) {
        if (e_mg >= c->rows[i].e_min_mg * (1 - 1e-9))
            row = &c->rows[i];
    }

    double n = s->max / s->e;
    if (fabs(n - round(n)) <= R76_EDGE_TOL_E)
        n = round(n);
    if (n < row->n_min)
        return cd_fail(err, CD_ERR_INVALID,
                       _("OIML R76 class %s: n = Max/e = %.15g is below the class limit %.15g "
                       "for e = %.15g %s (R76-1 Table 3)"),
                       cls, n, row->n_min, s->e, u);
    if (n > row->n_max)
        return cd_fail(err, CD_ERR_INVALID,
                       _("OIML R76 class %s: n = Max/e = %.15g is above the class limit %.15g "
                       "for e = %.15g %s (R76-1 Table 3)"),
                       cls, n, row->n_max, s->e, u);
    if (s->min > 0 && s->min < row->min_factor * d * (1 - 1e-9))
        return cd_fail(err, CD_ERR_INVALID,
                       _("OIML R76 class %s: Min = %.15g %s is below the class limit %.15g %s = "
                       "%.15g x %s (R76-1 Table 3, 3.4.3)"),
                       cls, s->min, u, row->min_factor * d, u, row->min_factor,
                       s->d > 0 ? "d" : "e");
    return 0;
}

int tol_r76_mpe(const struct prof_r76 *s, double load, double *mpe, struct cd_err *err)
{
    const char *cls = prof_r76_class_name(s->accuracy_class);
    const char *u = prof_mass_unit_name(s->unit);
    const struct r76_class *c = &r76_classes[s->accuracy_class];
    if (isnan(load))
        return cd_fail(err, CD_ERR_INVALID, _("OIML R76 class %s: the load is not a number"), cls);
    double m = load / s->e;
    if (m < -R76_EDGE_TOL_E)
        return cd_fail(err, CD_ERR_INVALID,
                       _("OIML R76 class %s: load %.15g %s is negative; the MPE table starts "
                       "at zero load"),
                       cls, load, u);
    if (m > s->max / s->e + R76_EDGE_TOL_E)
        return cd_fail(err, CD_ERR_INVALID,
                       _("OIML R76 class %s: load %.15g %s is above Max = %.15g %s"), cls, load, u,
                       s->max, u);
    double k;
    if (m <= c->edge1 + R76_EDGE_TOL_E)
        k = 0.5;
    else if (m <= c->edge2 + R76_EDGE_TOL_E)
        k = 1.0;
    else
        k = 1.5;
    if (s->in_service)
        k *= 2;
    *mpe = k * s->e;
    return 0;
}

/* The two band edges of R76-1 Table 6 in the unit of e (class II, e =
 * 0.01 g: 50 g and 200 g); the MPE holds up to and including each. */
void tol_r76_edges(const struct prof_r76 *s, double edges[2])
{
    const struct r76_class *c = &r76_classes[s->accuracy_class];
    edges[0] = c->edge1 * s->e;
    edges[1] = c->edge2 * s->e;
}

/* ------------------------------------------------------------------ */
/* OIML R111-1                                                         */

struct r111_row {
    double nominal_mg;
    double mpe_mg[7]; /* E1, E2, F1, F2, M1, M2, M3 */
};

static const struct r111_row r111_rows[] = {
    {1e3, {0.010, 0.030, 0.10, 0.30, 1.0, 3.0, 10}},   /* 1 g */
    {1e4, {0.020, 0.060, 0.20, 0.60, 2.0, 6.0, 20}},   /* 10 g */
    {1e5, {0.05, 0.16, 0.5, 1.6, 5.0, 16, 50}},        /* 100 g */
    {1e6, {0.5, 1.6, 5.0, 16, 50, 160, 500}},          /* 1 kg */
    {1e7, {5, 16, 50, 160, 500, 1600, 5000}},          /* 10 kg */
    {2e7, {10, 30, 100, 300, 1000, 3000, 10000}},      /* 20 kg */
};

int tol_r111_check(const struct prof_r111 *s, struct cd_err *err)
{
    if ((int)s->weight_class < PROF_R111_E1 || (int)s->weight_class > PROF_R111_M3)
        return cd_fail(err, CD_ERR_INVALID,
                       _("OIML R111: weight class not set or unknown (%d); the classes are E1, "
                       "E2, F1, F2, M1, M2 and M3"),
                       (int)s->weight_class);
    if (tol_mg_per_unit(s->unit) == 0)
        return cd_fail(err, CD_ERR_INVALID,
                       _("OIML R111 class %s: mass unit not set or unknown (%d): mg, g, kg or t"),
                       prof_r111_class_name(s->weight_class), (int)s->unit);
    return 0;
}

int tol_r111_mpe(const struct prof_r111 *s, double nominal, double *mpe, struct cd_err *err)
{
    const char *cls = prof_r111_class_name(s->weight_class);
    const char *u = prof_mass_unit_name(s->unit);
    double mg = tol_mg_per_unit(s->unit);
    if (!(isfinite(nominal) && nominal > 0))
        return cd_fail(err, CD_ERR_INVALID,
                       _("OIML R111 class %s: the nominal value must be a positive number, got "
                       "%.15g"),
                       cls, nominal);
    double nominal_mg = nominal * mg;
    for (size_t i = 0; i < COUNT(r111_rows); i++) {
        if (tol_same(nominal_mg, r111_rows[i].nominal_mg, 1e-9)) {
            *mpe = r111_rows[i].mpe_mg[s->weight_class - PROF_R111_E1] / mg;
            return 0;
        }
    }
    return cd_fail(err, CD_ERR_UNSUPPORTED,
                   _("OIML R111 class %s: no MPE for a nominal value of %.15g %s; caldaq's "
                   "table has 1 g, 10 g, 100 g, 1 kg, 10 kg and 20 kg"),
                   cls, nominal, u);
}
