/* Evaluating a loaded profile at a test point: its budget as a GUM model,
 * its tolerance limits, its reference value, and the check of the
 * standards it needs against a register. */
#include "prof.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile_priv.h"
#include "cd_i18n.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const stat_names[PROF_STAT_COUNT] = {
    [PROF_STAT_NOMINAL] = "nominal",     [PROF_STAT_MEAN] = "mean",
    [PROF_STAT_S] = "s",                 [PROF_STAT_N] = "n",
    [PROF_STAT_D] = "d",                 [PROF_STAT_REF] = "ref",
    [PROF_STAT_U_REF] = "u_ref",         [PROF_STAT_MPE_REF] = "mpe_ref",
    [PROF_STAT_S_REP] = "s_rep",         [PROF_STAT_N_REP] = "n_rep",
    [PROF_STAT_ECC_MAX] = "ecc_max",     [PROF_STAT_ECC_LOAD] = "ecc_load",
    [PROF_STAT_MEAN_UP] = "mean_up",     [PROF_STAT_MEAN_DOWN] = "mean_down",
    [PROF_STAT_HYSTERESIS] = "hysteresis", [PROF_STAT_B_REP] = "b_rep",
    [PROF_STAT_F0] = "f0",               [PROF_STAT_RANGE] = "range",
    [PROF_STAT_MPE] = "mpe",             [PROF_STAT_TEMP_C] = "temp_c",
    [PROF_STAT_RH_PCT] = "rh_pct",       [PROF_STAT_P_HPA] = "p_hpa",
    [PROF_STAT_N_PER_SERIES] = "n_per_series",
    [PROF_STAT_RHO_A] = "rho_a",         [PROF_STAT_U_RHO_A] = "u_rho_a",
};

const char *prof_stat_name(enum prof_stat s)
{
    return (int)s >= 0 && s < PROF_STAT_COUNT ? stat_names[s] : NULL;
}

const char *prof_family_name(enum prof_family f)
{
    static const char *const names[] = {[PROF_FAMILY_BALANCE] = "balance",
                                        [PROF_FAMILY_PRESSURE] = "pressure",
                                        [PROF_FAMILY_DMM] = "dmm",
                                        [PROF_FAMILY_TEMPERATURE] = "temperature"};
    return (int)f > 0 && (size_t)f < COUNT(names) ? names[f] : "?";
}

const char *prof_test_name(enum prof_test t)
{
    static const char *const names[] = {[PROF_TEST_REPEATABILITY] = "repeatability",
                                        [PROF_TEST_ECCENTRICITY] = "eccentricity",
                                        [PROF_TEST_ERROR] = "error"};
    return (int)t > 0 && (size_t)t < COUNT(names) ? names[t] : "?";
}

static void point_name(const struct prof_profile *p, const struct prof_plan_point *pt, char *buf,
                       size_t cap)
{
    snprintf(buf, cap, _("test point %zu (%s, %.15g %s)"), pt->index + 1, pt->role, pt->nominal,
             prof_reference_unit(p));
}

int prof_point_limits(const struct prof_profile *p, const struct prof_plan_point *pt,
                      double *low, double *high, struct cd_err *err)
{
    struct prof_tolerance t = p->tolerance;
    if (t.kind == PROF_TOL_DMM)
        t.dmm.range = pt->range;
    return prof_limits_at(&t, pt->nominal, low, high, err);
}

static int eval(const struct prof_profile *p, const struct prof_plan_point *pt,
                const unc_formula *f, const double *vars, const char *input, const char *what,
                double *out, struct cd_err *err)
{
    struct cd_err why = {0};
    if (unc_formula_eval(f, vars, out, &why) == 0)
        return 0;
    char name[160];
    point_name(p, pt, name, sizeof name);
    return cd_fail(err, why.code, _("%s: budget input '%s': %s: %s"), name, input, what, why.msg);
}

int prof_budget_model(const struct prof_profile *p, const struct prof_plan_point *pt,
                      const double *stats, unc_model **out, struct cd_err *err)
{
    *out = NULL;
    size_t nv = PROF_STAT_COUNT + p->n_constants;
    double *vars = malloc(nv * sizeof *vars);
    unc_model *m = unc_model_new(p->source);
    if (vars == NULL || m == NULL) {
        free(vars);
        unc_model_free(m);
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    }
    memcpy(vars, stats, PROF_STAT_COUNT * sizeof *vars);
    memcpy(vars + PROF_STAT_COUNT, pt->constants, p->n_constants * sizeof *vars);
    int rc = 0;
    /* the expression may name the constants, with the point's values */
    for (size_t i = 0; i < p->n_constants && rc == 0; i++)
        rc = unc_model_add_constant(m, p->constant_names[i], pt->constants[i], p->budget.line,
                                    err);
    for (size_t i = 0; i < p->budget.n_inputs && rc == 0; i++) {
        const struct prof_budget_input *in = &p->budget.inputs[i];
        struct unc_input_spec spec = {.name = in->name, .unit = NULL, .dist = in->dist,
                                      .value = 0, .u = NAN, .half_width = NAN, .beta = in->beta,
                                      .dof = INFINITY, .line = in->line};
        if (in->value != NULL)
            rc = eval(p, pt, in->value, vars, in->name, "value", &spec.value, err);
        if (rc == 0 && in->u != NULL)
            rc = eval(p, pt, in->u, vars, in->name, "u", &spec.u, err);
        if (rc == 0 && in->half_width != NULL)
            rc = eval(p, pt, in->half_width, vars, in->name, "half_width", &spec.half_width, err);
        if (rc == 0 && in->dof != NULL) {
            rc = eval(p, pt, in->dof, vars, in->name, "dof", &spec.dof, err);
            if (rc == 0 && !(spec.dof > 0)) {
                char name[160];
                point_name(p, pt, name, sizeof name);
                rc = cd_fail(err, CD_ERR_INVALID,
                             _("%s: budget input '%s': dof = \"%s\" = %g must be positive (too "
                             "few readings?)"),
                             name, in->name, unc_formula_text(in->dof), spec.dof);
            }
        }
        if (rc == 0) {
            struct cd_err why = {0};
            if ((rc = unc_model_add_input(m, &spec, &why)) != 0) {
                char name[160];
                point_name(p, pt, name, sizeof name);
                cd_fail(err, rc, "%s: %s", name, why.msg);
            }
        }
    }
    if (rc == 0)
        rc = unc_model_add_output(m, p->budget.output, p->unit, p->budget.expression,
                                  p->budget.line, err);
    if (rc == 0)
        rc = unc_model_prepare(m, err);
    free(vars);
    if (rc != 0) {
        unc_model_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

/* ------------------------------------------------------------ references */

static double mass_factor(const char *unit)
{
    static const struct {
        const char *name;
        double grams;
    } units[] = {{"mg", 1e-3}, {"g", 1}, {"kg", 1e3}, {"t", 1e6}};
    for (size_t i = 0; i < COUNT(units); i++)
        if (strcmp(units[i].name, unit) == 0)
            return units[i].grams;
    return 0;
}

/* The factor that turns a value in `from` into `to`; 0 when they do not
 * convert (different quantities, unknown units). */
static double unit_factor(const char *from, const char *to)
{
    if (strcmp(from, to) == 0)
        return 1;
    double a = mass_factor(from), b = mass_factor(to);
    return a > 0 && b > 0 ? a / b : 0;
}

static int class_mpe(const struct prof_profile *p, enum prof_r111_class c, double nominal,
                     double *mpe, struct cd_err *err)
{
    struct prof_tolerance t = {.kind = PROF_TOL_OIML_R111};
    t.r111.weight_class = c;
    struct cd_err why = {0};
    if (prof_mass_unit_parse(p->unit, &t.r111.unit, &why) != 0)
        return cd_fail(err, CD_ERR_INVALID, _("weights of class %s: the profile's unit '%s' is not "
                                            "a mass unit"), prof_r111_class_name(c), p->unit);
    return prof_mpe_at(&t, nominal, mpe, err);
}

int prof_point_reference(const struct prof_profile *p, const struct prof_plan_point *pt,
                         const struct prof_standard *s, struct prof_reference *out,
                         struct cd_err *err)
{
    *out = (struct prof_reference){NAN, NAN, NAN};
    const struct prof_std_need *need = p->reference;
    char name[160];
    point_name(p, pt, name, sizeof name);
    if (need == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("%s: the profile names no reference standard"), name);
    /* a zero load needs no weight; 0 degC on a curve is a temperature */
    if (pt->nominal == 0 && p->curve.form == PROF_CURVE_NONE) {
        *out = (struct prof_reference){0, 0, 0};
        return 0;
    }
    double one = pt->nominal;
    size_t n = pt->n_weights > 0 ? pt->n_weights : 1;
    const double *pieces = pt->n_weights > 0 ? pt->weights : &one;
    /* class MPEs only when the budget asks for them: caldaq's R111 table
     * does not have every nominal value */
    bool class_mpes = ((const struct prof_owned *)p)->uses_mpe_ref &&
                      need->weight_class != PROF_R111_UNSET;
    double value = 0, u = 0, mpe = class_mpes ? 0 : NAN;
    if (need->source == PROF_REF_NOMINAL || s == NULL) {
        if (need->source == PROF_REF_CERTIFICATE)
            return cd_fail(err, CD_ERR_NOT_FOUND, _("%s: no certified values of the %s standard"),
                           name, need->role);
        for (size_t i = 0; i < n; i++) {
            double m = NAN;
            if (class_mpes) {
                struct cd_err why = {0};
                if (class_mpe(p, need->weight_class, pieces[i], &m, &why) != 0)
                    return cd_fail(err, why.code, _("%s: piece %.15g %s: %s"), name, pieces[i],
                                   prof_reference_unit(p), why.msg);
                mpe += m;
            }
        }
        *out = (struct prof_reference){pt->nominal, NAN, mpe};
        return 0;
    }
    bool used[256] = {false};
    if (s->n_items > COUNT(used))
        return cd_fail(err, CD_ERR_UNSUPPORTED, _("%s: standard %s has more than %zu items"), name,
                       s->id, COUNT(used));
    for (size_t i = 0; i < n; i++) {
        size_t found = s->n_items;
        double f = 0;
        for (size_t j = 0; j < s->n_items && found == s->n_items; j++) {
            const struct prof_std_item *it = &s->items[j];
            double fj = unit_factor(it->unit, prof_reference_unit(p));
            if (!used[j] && fj > 0 &&
                fabs(it->nominal * fj - pieces[i]) <= 1e-9 * fabs(pieces[i])) {
                found = j;
                f = fj;
            }
        }
        if (found == s->n_items)
            return cd_fail(err, CD_ERR_NOT_FOUND,
                           _("%s: standard %s (certificate %s) has no %s%.15g %s item%s"),
                           name, s->id, s->certificate, i > 0 || n > 1 ? "further " : "",
                           pieces[i], prof_reference_unit(p),
                           n == 1 && s->kind == PROF_STD_WEIGHT_SET
                               ? _(" (list the pieces that make this load: {at: ..., weights: "
                                 "[...]})")
                               : "");
        used[found] = true;
        const struct prof_std_item *it = &s->items[found];
        value += it->value * f;
        u += it->U / s->k * f;
        if (class_mpes) {
            double m;
            struct cd_err why = {0};
            if (class_mpe(p, need->weight_class, pieces[i], &m, &why) != 0)
                return cd_fail(err, why.code, _("%s: piece %.15g %s: %s"), name, pieces[i], prof_reference_unit(p),
                               why.msg);
            mpe += m;
        }
    }
    *out = (struct prof_reference){value, u, mpe};
    return 0;
}

int prof_profile_check_standards(const struct prof_profile *p, const prof_standards *reg,
                                 const char *today_iso, struct cd_err *err)
{
    for (size_t i = 0; i < p->n_needs; i++) {
        const struct prof_std_need *need = &p->needs[i];
        if (need->id[0] == '\0')
            continue;
        const struct prof_standard *s = prof_standards_find(reg, need->id);
        if (s == NULL)
            return cd_fail(err, CD_ERR_NOT_FOUND,
                           _("%s:%d: standard '%s' (role %s) is not in the register"), p->source,
                           need->line, need->id, need->role);
        if (s->kind != need->kind)
            return cd_fail(err, CD_ERR_INVALID,
                           _("%s:%d: standard '%s' is a %s in the register (line %d), the profile "
                           "needs a %s"),
                           p->source, need->line, need->id, prof_std_kind_name(s->kind), s->line,
                           prof_std_kind_name(need->kind));
        struct cd_err why = {0};
        if (prof_standard_check_due(s, today_iso, &why) != 0)
            return cd_fail(err, why.code, "%s:%d: %s", p->source, need->line, why.msg);
        if (need != p->reference || need->source != PROF_REF_CERTIFICATE)
            continue;
        /* a reference that is read needs the item at every point too: the
         * analysis corrects its reading there by the certificate */
        for (size_t k = 0; k < p->n_points; k++) {
            struct prof_reference ref;
            if (prof_point_reference(p, &p->points[k], s, &ref, &why) != 0)
                return cd_fail(err, why.code, "%s:%d: %s", p->source, p->points[k].line,
                               why.msg);
        }
        if (prof_check_reference_ratio(p, s, &why) != 0)
            return cd_fail(err, why.code, "%s:%d: %s", p->source, need->line, why.msg);
    }
    return 0;
}

int prof_profile_check_cycles(const struct prof_profile *p, struct cd_err *err)
{
    if (p->kind == PROF_KIND_VERIFICATION) {
        /* the instrument type must be in the cycles table, or no validity
         * date can be given */
        struct cd_err why = {0};
        prof_cycles *c = prof_cycles_load(p->verification.cycles_path, &why);
        const struct prof_cycle *e =
            c != NULL ? prof_cycles_find(c, p->verification.instrument_type, &why) : NULL;
        prof_cycles_free(c);
        if (e == NULL)
            return cd_fail(err, why.code ? why.code : CD_ERR_INVALID,
                           _("%s: verification: instrument_type '%s': %s"), p->source,
                           p->verification.instrument_type, why.msg);
    }
    return 0;
}

/* ------------------------------------------------------------ verification */

/* The expanded uncertainty of the reference at `pt`: the certified item(s)
 * as prof_point_reference finds them, times k; for a reference that is
 * read and has no item at the nominal, the largest U of its items in the
 * profile's unit (conservative: docs/verification.md). */
static int reference_U(const struct prof_profile *p, const struct prof_plan_point *pt,
                       const struct prof_standard *s, double *U, struct cd_err *err)
{
    struct prof_reference ref;
    struct cd_err why = {0};
    if (prof_point_reference(p, pt, s, &ref, &why) == 0 && isfinite(ref.u)) {
        *U = ref.u * s->k;
        return 0;
    }
    if (p->ref.read == PROF_READ_CERTIFIED)
        return cd_fail(err, why.code ? why.code : CD_ERR_INVALID, "%s",
                       why.msg[0] ? why.msg : _("no certified uncertainty of the reference"));
    double largest = -1;
    for (size_t j = 0; j < s->n_items; j++) {
        double f = unit_factor(s->items[j].unit, prof_reference_unit(p));
        if (f > 0 && s->items[j].U * f > largest)
            largest = s->items[j].U * f;
    }
    if (largest < 0)
        return cd_fail(err, CD_ERR_NOT_FOUND,
                       _("reference %s (certificate %s) has no certified item in %s, so its "
                       "uncertainty is not known"),
                       s->id, s->certificate, prof_reference_unit(p));
    *U = largest;
    return 0;
}

int prof_check_reference_ratio(const struct prof_profile *p, const struct prof_standard *s,
                               struct cd_err *err)
{
    if (p == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("no profile"));
    if (p->kind != PROF_KIND_VERIFICATION)
        return 0;
    const struct prof_verification *v = &p->verification;
    if (s == NULL)
        return cd_fail(err, CD_ERR_INVALID,
                       _("%s: a verification needs the certificate of its reference standard to "
                       "check that it is good enough (U at most 1/%g of the MPE)"),
                       p->source, v->reference_ratio);
    for (size_t i = 0; i < p->n_points; i++) {
        const struct prof_plan_point *pt = &p->points[i];
        if (pt->nominal == 0)
            continue;
        double U = NAN, low, high;
        int rc = reference_U(p, pt, s, &U, err);
        if (rc != 0)
            return rc;
        if ((rc = prof_point_limits(p, pt, &low, &high, err)) != 0)
            return rc;
        double mpe = fmin(-low, high);
        if (mpe < v->reference_ratio * U * (1 - 1e-12)) {
            char name[160];
            point_name(p, pt, name, sizeof name);
            return cd_fail(err, CD_ERR_INVALID,
                           _("reference %s (certificate %s): U = %.6g %s at %.15g %s (%s) is more "
                           "than 1/%g of the MPE %.6g %s (%s)"),
                           s->id, s->certificate, U, p->unit, pt->nominal, p->unit, name,
                           v->reference_ratio, mpe, p->unit,
                           v->ratio_source[0] ? v->ratio_source
                                              : _("the default ratio: U at most one third of the MPE"));
        }
    }
    return 0;
}

/* The unit of a point's reference: the curve's x (°C for a PRT read in
 * ohms), else the profile's. Here, not in profile.c, so that the loader
 * calls this file and never the other way round (tests/layering.sh). */
const char *prof_reference_unit(const struct prof_profile *p)
{
    return p->curve.form != PROF_CURVE_NONE ? p->curve.x_unit : p->unit;
}
