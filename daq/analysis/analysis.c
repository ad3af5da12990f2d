/* Analysis of a run against a profile (daq/analysis.h). The statistics of
 * each result point are computed here from the readings; the budget, the
 * tolerance and the reference come from the profile module, the GUM
 * evaluation and the decision from the engine. */
#include "analysis.h"
#include "cd_i18n.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ readings */

/* Readings of one plan point that count. */
struct point_readings {
    double *v;
    size_t n;
    double resolution;          /* the coarsest displayed step among them */
};

static void free_readings(struct point_readings *pr, size_t n)
{
    for (size_t i = 0; pr != NULL && i < n; i++)
        free(pr[i].v);
    free(pr);
}

static bool same_nominal(double a, double b)
{
    return fabs(a - b) <= 1e-9 * fmax(fmax(fabs(a), fabs(b)), 1e-300);
}

/* The readings of one side (DAQ_SIDE_ITEM or DAQ_SIDE_REFERENCE) per plan
 * point; a checklist's answers are no test point's. */
static int sort_readings(const struct ana_input *in, const char *side,
                         struct point_readings **out, size_t *ignored, size_t *superseded,
                         struct cd_err *err)
{
    const struct prof_profile *p = in->profile;
    struct point_readings *pr = calloc(p->n_points ? p->n_points : 1, sizeof *pr);
    if (pr == NULL)
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    for (size_t i = 0; i < p->n_points; i++) {
        pr[i].v = malloc((p->points[i].repeat + 1) * sizeof *pr[i].v);
        if (pr[i].v == NULL) {
            free_readings(pr, p->n_points);
            return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
        }
    }
    size_t *cap = calloc(p->n_points ? p->n_points : 1, sizeof *cap);
    if (cap == NULL) {
        free_readings(pr, p->n_points);
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    }
    for (size_t i = 0; i < p->n_points; i++)
        cap[i] = p->points[i].repeat + 1;
    *ignored = 0;
    for (size_t k = 0; k < in->n_readings; k++) {
        const struct daq_reading *rd = &in->readings[k];
        if (!daq_reading_is(rd, side))
            continue;
        if (rd->point < 0 || (size_t)rd->point >= p->n_points) {
            free(cap);
            free_readings(pr, p->n_points);
            return cd_fail(err, CD_ERR_INVALID,
                           _("reading %zu belongs to test point %d, but profile %s has %zu test "
                           "points: the run was not recorded with this profile"),
                           k + 1, rd->point + 1, p->name, p->n_points);
        }
        const struct prof_plan_point *pt = &p->points[rd->point];
        if (strcmp(rd->role, pt->role) != 0 || !same_nominal(rd->nominal, pt->nominal)) {
            free(cap);
            free_readings(pr, p->n_points);
            return cd_fail(err, CD_ERR_INVALID,
                           _("reading %zu: test point %d is %s at %.15g %s in profile %s, but the "
                           "run recorded %s at %.15g: the run was not recorded with this profile"),
                           k + 1, rd->point + 1, pt->role, pt->nominal, p->unit, p->name,
                           rd->role[0] ? rd->role : "(no role)", rd->nominal);
        }
        if (rd->r.status != DRV_STATUS_STABLE || !isfinite(rd->r.value)) {
            (*ignored)++;
            continue;
        }
        const char *unit = strcmp(side, DAQ_SIDE_REFERENCE) == 0 ? prof_reference_unit(p)
                                                                  : p->unit;
        if (strcmp(rd->r.unit, unit) != 0) {
            free(cap);
            free_readings(pr, p->n_points);
            return cd_fail(err, CD_ERR_INVALID,
                           _("reading %zu (test point %d): the instrument showed %s %s, the profile "
                           "works in %s: set the instrument's unit to %s"),
                           k + 1, rd->point + 1, rd->r.display, rd->r.unit, unit, unit);
        }
        struct point_readings *t = &pr[rd->point];
        if (t->n == cap[rd->point]) {
            size_t nc = 2 * cap[rd->point];
            double *nv = realloc(t->v, nc * sizeof *nv);
            if (nv == NULL) {
                free(cap);
                free_readings(pr, p->n_points);
                return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
            }
            t->v = nv;
            cap[rd->point] = nc;
        }
        t->v[t->n++] = rd->r.value;
        if (rd->r.resolution > t->resolution)
            t->resolution = rd->r.resolution;
    }
    free(cap);
    /* A point measured again (the technician repeated it) keeps its
     * earlier readings in the run; its result uses the last `repeat`. */
    *superseded = 0;
    for (size_t i = 0; i < p->n_points; i++) {
        size_t keep = p->points[i].repeat;
        if (pr[i].n > keep) {
            size_t drop = pr[i].n - keep;
            memmove(pr[i].v, pr[i].v + drop, keep * sizeof *pr[i].v);
            pr[i].n = keep;
            *superseded += drop;
        }
    }
    *out = pr;
    return 0;
}

/* The checklist of a verification: each check's last answer (a technician
 * who corrects an answer types it again; both stay in the run). */
static int collect_checks(const struct ana_input *in, struct ana_result *res, struct cd_err *err)
{
    const struct prof_profile *p = in->profile;
    for (size_t k = 0; k < in->n_readings; k++) {
        const struct daq_reading *rd = &in->readings[k];
        if (strcmp(rd->source, DAQ_SOURCE_OPERATOR) == 0 && !daq_reading_is(rd, DAQ_SIDE_CHECK))
            res->n_typed++;
    }
    if (p->kind != PROF_KIND_VERIFICATION)
        return 0;
    res->verification = true;
    size_t n = p->verification.n_checks;
    res->checks = calloc(n ? n : 1, sizeof *res->checks);
    if (res->checks == NULL)
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    res->n_checks = n;
    for (size_t i = 0; i < n; i++)
        res->checks[i].check = &p->verification.checks[i];
    for (size_t k = 0; k < in->n_readings; k++) {
        const struct daq_reading *rd = &in->readings[k];
        if (!daq_reading_is(rd, DAQ_SIDE_CHECK))
            continue;
        if (rd->point < 0 || (size_t)rd->point >= n ||
            strcmp(rd->role, p->verification.checks[rd->point].id) != 0)
            return cd_fail(err, CD_ERR_INVALID,
                           _("reading %zu answers check %d '%s', which profile %s does not have "
                           "there: the run was not recorded with this profile"),
                           k + 1, rd->point + 1, rd->role, p->name);
        struct ana_check *c = &res->checks[rd->point];
        c->answered = true;
        c->passed = rd->r.value == 1;
        snprintf(c->answer, sizeof c->answer, "%s", rd->r.display);
        snprintf(c->who, sizeof c->who, "%s", rd->who);
        c->t = rd->t;
    }
    res->checks_passed = true;
    for (size_t i = 0; i < n; i++)
        res->checks_passed &= res->checks[i].answered && res->checks[i].passed;
    return 0;
}

/* ------------------------------------------------------------ statistics */

struct acc {
    double sum, sumsq_dev;      /* Welford */
    double mean;
    size_t n;
};

static void acc_add(struct acc *a, double x)
{
    a->n++;
    double d = x - a->mean;
    a->mean += d / (double)a->n;
    a->sumsq_dev += d * (x - a->mean);
}

static double acc_mean(const struct acc *a)
{
    return a->n > 0 ? a->mean : NAN;
}

static double acc_s(const struct acc *a)
{
    return a->n > 1 ? sqrt(a->sumsq_dev / (double)(a->n - 1)) : 0;
}

static double mean_of(const struct point_readings *r)
{
    struct acc a = {0};
    for (size_t i = 0; i < r->n; i++)
        acc_add(&a, r->v[i]);
    return acc_mean(&a);
}

static void env_means(const struct ana_input *in, double env[3])
{
    struct acc a[3] = {{0}};
    for (size_t i = 0; i < in->n_env; i++) {
        const double v[3] = {in->env[i].temp_c, in->env[i].rh_pct, in->env[i].p_hpa};
        for (int j = 0; j < 3; j++)
            if (isfinite(v[j]))
                acc_add(&a[j], v[j]);
    }
    for (int j = 0; j < 3; j++)
        env[j] = acc_mean(&a[j]);
}

/* The repeatability and eccentricity tests. */
static void side_tests(const struct prof_profile *p, const struct point_readings *pr,
                       struct ana_result *res)
{
    size_t n_pos = 0;
    for (size_t i = 0; i < p->n_points; i++)
        n_pos += p->points[i].test == PROF_TEST_ECCENTRICITY;
    res->positions = n_pos ? calloc(n_pos, sizeof *res->positions) : NULL;
    double centre = NAN;
    for (size_t i = 0; i < p->n_points; i++) {
        const struct prof_plan_point *pt = &p->points[i];
        if (pt->test == PROF_TEST_REPEATABILITY && pr[i].n > 0) {
            struct acc a = {0};
            for (size_t k = 0; k < pr[i].n; k++)
                acc_add(&a, pr[i].v[k]);
            res->has_repeatability = true;
            res->rep_load = pt->nominal;
            res->rep_n = a.n;
            res->rep_mean = acc_mean(&a);
            res->rep_s = acc_s(&a);
        }
        if (pt->test == PROF_TEST_ECCENTRICITY && res->positions != NULL) {
            struct ana_position *pos = &res->positions[res->n_positions++];
            snprintf(pos->name, sizeof pos->name, "%s", pt->position);
            pos->indication = mean_of(&pr[i]);
            if (res->n_positions == 1)
                centre = pos->indication;
            pos->deviation = pos->indication - centre;
            res->ecc_load = pt->nominal;
        }
    }
    if (res->n_positions > 0) {
        bool all = true;
        double max = 0;
        for (size_t i = 0; i < res->n_positions; i++) {
            all &= isfinite(res->positions[i].deviation);
            if (isfinite(res->positions[i].deviation))
                max = fmax(max, fabs(res->positions[i].deviation));
        }
        res->has_eccentricity = all;
        res->ecc_max = all ? max : NAN;
    }
}

/* Per series means at the nominal of `row` in its group. */
struct series_means {
    double mean[8];
    enum prof_direction dir[8];
    int n_series;
};

static void series_at(const struct prof_profile *p, const struct point_readings *pr, size_t group,
                      double nominal, struct series_means *sm)
{
    memset(sm, 0, sizeof *sm);
    for (int s = 0; s < 8; s++)
        sm->mean[s] = NAN;
    for (size_t i = 0; i < p->n_points; i++) {
        const struct prof_plan_point *pt = &p->points[i];
        if (pt->group != group || pt->test != PROF_TEST_ERROR || !same_nominal(pt->nominal, nominal))
            continue;
        if (pt->series < 8) {
            sm->mean[pt->series] = mean_of(&pr[i]);
            sm->dir[pt->series] = pt->direction;
            if (pt->series + 1 > sm->n_series)
                sm->n_series = pt->series + 1;
        }
    }
}

/* DKD-R 6-1 style quantities from the series means: hysteresis pairs the
 * i-th up series with the i-th down series; repeatability is the spread of
 * the series of one direction, averaged over the directions that have two
 * or more. */
static void series_stats(const struct series_means *sm, double *mean_up, double *mean_down,
                         double *hyst, double *b_rep)
{
    struct acc up = {0}, down = {0};
    double ups[8], downs[8];
    int nu = 0, nd = 0;
    for (int s = 0; s < sm->n_series; s++) {
        if (!isfinite(sm->mean[s]))
            continue;
        if (sm->dir[s] == PROF_DIR_UP) {
            acc_add(&up, sm->mean[s]);
            ups[nu++] = sm->mean[s];
        } else {
            acc_add(&down, sm->mean[s]);
            downs[nd++] = sm->mean[s];
        }
    }
    *mean_up = acc_mean(&up);
    *mean_down = acc_mean(&down);
    int pairs = nu < nd ? nu : nd;
    double h = 0;
    for (int i = 0; i < pairs; i++)
        h += fabs(downs[i] - ups[i]);
    *hyst = pairs > 0 ? h / pairs : 0;
    double b = 0;
    int dirs = 0;
    const double *sets[2] = {ups, downs};
    const int counts[2] = {nu, nd};
    for (int d = 0; d < 2; d++) {
        if (counts[d] < 2)
            continue;
        double lo = sets[d][0], hi = sets[d][0];
        for (int i = 1; i < counts[d]; i++) {
            lo = fmin(lo, sets[d][i]);
            hi = fmax(hi, sets[d][i]);
        }
        b += hi - lo;
        dirs++;
    }
    *b_rep = dirs > 0 ? b / dirs : 0;
}

/* Zero deviation of a group: the spread of its series' zero readings. */
static double zero_deviation(const struct prof_profile *p, const struct point_readings *pr,
                             size_t group)
{
    struct series_means sm;
    series_at(p, pr, group, 0, &sm);
    double lo = INFINITY, hi = -INFINITY;
    for (int s = 0; s < sm.n_series; s++) {
        if (isfinite(sm.mean[s])) {
            lo = fmin(lo, sm.mean[s]);
            hi = fmax(hi, sm.mean[s]);
        }
    }
    return hi >= lo ? hi - lo : 0;
}

/* ------------------------------------------------------------ points */

static int evaluate(const struct ana_input *in, struct ana_point *pt, struct cd_err *err)
{
    const struct prof_profile *p = in->profile;
    unc_model *m = NULL;
    int rc = prof_budget_model(p, pt->first, pt->stats, &m, err);
    if (rc != 0)
        return rc;
    struct unc_lpu_result *lr = NULL;
    if ((rc = unc_lpu(m, p->budget.coverage, &lr, err)) != 0) {
        unc_model_free(m);
        return rc;
    }
    const struct unc_lpu_output *o = &lr->outputs[0];
    pt->error = o->y;
    pt->u = o->u;
    pt->nu_eff = o->nu_eff;
    pt->k = o->k;
    pt->p = o->p;
    pt->U = o->U;
    pt->rows = calloc(o->n_rows ? o->n_rows : 1, sizeof *pt->rows);
    if (pt->rows == NULL) {
        rc = cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    } else {
        pt->n_rows = o->n_rows;
        for (size_t i = 0; i < o->n_rows; i++) {
            const struct unc_budget_row *br = &o->rows[i];
            struct ana_budget_row *r = &pt->rows[i];
            snprintf(r->name, sizeof r->name, "%s", br->name);
            for (size_t j = 0; j < p->budget.n_inputs; j++) {
                if (strcmp(p->budget.inputs[j].name, br->name) != 0)
                    continue;
                snprintf(r->label, sizeof r->label, "%s", p->budget.inputs[j].label);
                snprintf(r->label_vi, sizeof r->label_vi, "%s",
                         p->budget.inputs[j].label_vi != NULL ? p->budget.inputs[j].label_vi : "");
                snprintf(r->source, sizeof r->source, "%s", p->budget.inputs[j].source);
                snprintf(r->source_vi, sizeof r->source_vi, "%s",
                         p->budget.inputs[j].source_vi != NULL ? p->budget.inputs[j].source_vi
                                                               : "");
            }
            r->x = br->x;
            r->u = br->u;
            r->dof = br->dof;
            r->c = br->c;
            r->contribution = br->contribution;
            r->share = br->share;
        }
        /* The PFA from the PDF the result's k comes from: the scaled and
         * shifted t with floor(nu_eff) degrees of freedom when nu_eff is
         * finite (JCGM 101 6.4.9.7, JCGM 106 7.4), the normal otherwise. A
         * nu_eff the engine could not form (u = 0: 0/0) is taken as
         * infinite: there is no spread for a t to describe. */
        double nu = isnan(pt->nu_eff) ? INFINITY : pt->nu_eff;
        rc = unc_decide_dof(&p->rule, pt->error, pt->u, pt->U, nu, pt->low, pt->high,
                            &pt->decision, err);
    }
    unc_lpu_result_free(lr);
    unc_model_free(m);
    return rc;
}

/* The mean of every reading of `pr` at the nominal of `pp` in its group,
 * all series; n 0 when none. */
static void group_readings(const struct prof_profile *p, const struct point_readings *pr,
                           const struct prof_plan_point *pp, struct acc *all, double *resolution)
{
    for (size_t k = 0; k < p->n_points; k++) {
        const struct prof_plan_point *q = &p->points[k];
        if (q->group != pp->group || q->test != PROF_TEST_ERROR ||
            !same_nominal(q->nominal, pp->nominal))
            continue;
        for (size_t r = 0; r < pr[k].n; r++)
            acc_add(all, pr[k].v[r]);
        if (resolution != NULL)
            *resolution = fmax(*resolution, pr[k].resolution);
    }
}

static int result_points(const struct ana_input *in, const struct point_readings *pr,
                         const struct point_readings *pr_ref, struct ana_result *res,
                         struct cd_err *err)
{
    const struct prof_profile *p = in->profile;
    res->points = calloc(p->n_points ? p->n_points : 1, sizeof *res->points);
    if (res->points == NULL)
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    res->complete = true;
    for (size_t i = 0; i < p->n_points; i++) {
        const struct prof_plan_point *pp = &p->points[i];
        if (pp->test != PROF_TEST_ERROR)
            continue;
        bool seen = false;
        for (size_t j = 0; j < res->n_points; j++)
            seen |= res->points[j].group == pp->group &&
                    same_nominal(res->points[j].nominal, pp->nominal);
        if (seen)
            continue;
        struct ana_point *pt = &res->points[res->n_points++];
        pt->group = pp->group;
        pt->first = pp;
        pt->nominal = pp->nominal;
        pt->range = pp->range;
        int rc = prof_point_limits(p, pp, &pt->low, &pt->high, err);
        if (rc != 0)
            return rc;
        /* every reading of this nominal in this group, all series */
        struct acc all = {0}, ref_all = {0};
        double resolution = 0;
        group_readings(p, pr, pp, &all, &resolution);
        bool read_ref = p->ref.read == PROF_READ_INSTRUMENT || p->ref.read == PROF_READ_TYPED;
        if (read_ref)
            group_readings(p, pr_ref, pp, &ref_all, NULL);
        pt->n = all.n;
        double *st = pt->stats;
        for (int s = 0; s < PROF_STAT_COUNT; s++)
            st[s] = NAN;
        if (all.n == 0 || (read_ref && ref_all.n == 0)) {
            res->complete = false;
            pt->n = 0;
            continue;
        }
        pt->measured = true;
        st[PROF_STAT_NOMINAL] = pp->nominal;
        st[PROF_STAT_MEAN] = acc_mean(&all);
        st[PROF_STAT_S] = acc_s(&all);
        st[PROF_STAT_N] = (double)all.n;
        st[PROF_STAT_D] = pp->resolution > 0 ? pp->resolution : (resolution > 0 ? resolution : NAN);
        struct prof_reference ref;
        if ((rc = prof_point_reference(p, pp, in->reference, &ref, err)) != 0)
            return rc;
        st[PROF_STAT_REF] = ref.value;
        if (read_ref)
            /* A reference read at the point: its mean, corrected by its
             * certificate, whose item at the nominal states the value the
             * instrument's indication `nominal` stands for (docs/verification.md,
             * "A reference that is read"); u_ref is that certificate's. */
            st[PROF_STAT_REF] = acc_mean(&ref_all) + (ref.value - pp->nominal);
        st[PROF_STAT_U_REF] = ref.u;
        st[PROF_STAT_MPE_REF] = ref.mpe;
        if (res->has_repeatability) {
            st[PROF_STAT_S_REP] = res->rep_s;
            st[PROF_STAT_N_REP] = (double)res->rep_n;
        }
        if (res->has_eccentricity) {
            st[PROF_STAT_ECC_MAX] = res->ecc_max;
            st[PROF_STAT_ECC_LOAD] = res->ecc_load;
        }
        struct series_means sm;
        series_at(p, pr, pp->group, pp->nominal, &sm);
        series_stats(&sm, &st[PROF_STAT_MEAN_UP], &st[PROF_STAT_MEAN_DOWN],
                     &st[PROF_STAT_HYSTERESIS], &st[PROF_STAT_B_REP]);
        /* loading up and down is one indication per series, not repeats
         * of one (EURAMET cg-18 7.1.1: the mean of the two, their
         * difference a contribution of its own) */
        int measured_series = 0;
        for (int s = 0; s < sm.n_series; s++)
            measured_series += isfinite(sm.mean[s]);
        st[PROF_STAT_N_PER_SERIES] =
            measured_series > 0 ? (double)all.n / measured_series : (double)all.n;
        if (res->has_air) {
            st[PROF_STAT_RHO_A] = res->air.rho;
            st[PROF_STAT_U_RHO_A] = res->air.u;
        }
        st[PROF_STAT_F0] = zero_deviation(p, pr, pp->group);
        st[PROF_STAT_RANGE] = pp->range;
        st[PROF_STAT_MPE] = fmax(fabs(pt->low), fabs(pt->high));
        st[PROF_STAT_TEMP_C] = res->env[0];
        st[PROF_STAT_RH_PCT] = res->env[1];
        st[PROF_STAT_P_HPA] = res->env[2];
        if ((rc = evaluate(in, pt, err)) != 0)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------ curve */

#define CURVE_MIN_POINTS 4
/* k of the coefficients' U: k = 2 for a coverage of about 95 % with a
 * normal distribution (JCGM 100 6.3.3; EA-4/02 M:2022 5.1 — clause from
 * memory **M**); the weighted fit trusts the points' u, so no t factor. */
#define CURVE_K 2.0

/* A curve profile: the weighted least-squares fit of the points' y (the
 * budget's value, the item's resistance) against x (the reference's
 * temperature) through unc_fit_poly, weights 1/u^2 with u each point's
 * budget u (x's uncertainty is in that budget through the sensitivity the
 * profile states: the effective-variance approach, ISO/TS 28037:2010 6,
 * from memory **M**); then R0, A, B and their covariance
 * (unc_cvd_from_fit), the residual of each point as its error, decided
 * against the profile's tolerance with the point's U. */
static int fit_curve(const struct ana_input *in, struct ana_result *res, struct cd_err *err)
{
    const struct prof_profile *p = in->profile;
    size_t n = 0;
    for (size_t i = 0; i < res->n_points; i++)
        n += res->points[i].measured;
    if (n < CURVE_MIN_POINTS)
        return cd_fail(err, CD_ERR_INVALID,
                       _("profile %s fits a curve of 3 coefficients: it needs at least %d measured "
                       "points, the run has %zu (measure the others: the run can be resumed)"),
                       p->name, CURVE_MIN_POINTS, n);
    double *xyu = malloc(3 * n * sizeof *xyu);
    if (xyu == NULL)
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    size_t j = 0;
    for (size_t i = 0; i < res->n_points; i++) {
        struct ana_point *pt = &res->points[i];
        if (!pt->measured)
            continue;
        pt->x = pt->stats[PROF_STAT_REF];
        pt->y = pt->error;
        xyu[j] = pt->x;
        xyu[n + j] = pt->y;
        xyu[2 * n + j] = pt->u;
        j++;
    }
    struct unc_fit_data d = {.n = n, .x = xyu, .y = xyu + n, .u_y = xyu + 2 * n};
    struct cd_err why = {0};
    int rc = unc_fit_poly(&d, 2, 0, &res->fit, &why);
    free(xyu);
    if (rc == 0)
        rc = unc_cvd_from_fit(&res->fit, &res->cvd, &why);
    if (rc != 0)
        return cd_fail(err, why.code, _("profile %s: the curve fit: %s"), p->name, why.msg);
    res->has_curve = true;
    res->curve_k = CURVE_K;
    for (size_t i = 0; i < res->n_points; i++) {
        struct ana_point *pt = &res->points[i];
        if (!pt->measured)
            continue;
        double u_fit;
        if ((rc = unc_fit_predict(&res->fit, pt->x, &pt->fit, &u_fit, err)) != 0)
            return rc;
        pt->error = pt->y - pt->fit;
        double nu = isnan(pt->nu_eff) ? INFINITY : pt->nu_eff;
        if ((rc = unc_decide_dof(&p->rule, pt->error, pt->u, pt->U, nu, pt->low, pt->high,
                                 &pt->decision, err)) != 0)
            return rc;
    }
    return 0;
}

static int worse(enum unc_verdict a, enum unc_verdict b)
{
    static const int rank[] = {[UNC_PASS] = 0, [UNC_CONDITIONAL_PASS] = 1,
                               [UNC_CONDITIONAL_FAIL] = 2, [UNC_FAIL] = 3};
    return rank[a] >= rank[b] ? (int)a : (int)b;
}

void ana_result_free(struct ana_result *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_points; i++)
        free(r->points[i].rows);
    free(r->points);
    free(r->positions);
    free(r->checks);
    free(r);
}

int ana_run(const struct ana_input *in, struct ana_result **out, struct cd_err *err)
{
    *out = NULL;
    if (in == NULL || in->profile == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("no profile to analyse with"));
    struct ana_result *res = calloc(1, sizeof *res);
    if (res == NULL)
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    struct point_readings *pr = NULL, *pr_ref = NULL;
    size_t ref_ignored = 0, ref_superseded = 0;
    int rc = sort_readings(in, DAQ_SIDE_ITEM, &pr, &res->n_ignored, &res->n_superseded, err);
    if (rc == 0)
        rc = sort_readings(in, DAQ_SIDE_REFERENCE, &pr_ref, &ref_ignored, &ref_superseded, err);
    res->n_ignored += ref_ignored;
    res->n_superseded += ref_superseded;
    if (rc == 0)
        rc = collect_checks(in, res, err);
    if (rc == 0) {
        env_means(in, res->env);
        if (in->profile->air.given) {
            rc = prof_air_density(&in->profile->air, res->env[0], res->env[1],
                                  res->env[2], &res->air, err);
            res->has_air = rc == 0;
        }
    }
    if (rc == 0) {
        side_tests(in->profile, pr, res);
        rc = result_points(in, pr, pr_ref, res, err);
        if (rc == 0 && in->profile->curve.form != PROF_CURVE_NONE)
            rc = fit_curve(in, res, err);
    }
    free_readings(pr, in->profile->n_points);
    free_readings(pr_ref, in->profile->n_points);
    if (rc == 0) {
        res->verdict = UNC_PASS;
        size_t measured = 0;
        for (size_t i = 0; i < res->n_points; i++) {
            if (res->points[i].measured) {
                res->verdict = (enum unc_verdict)worse(res->verdict, res->points[i].decision.verdict);
                measured++;
            }
        }
        /* A verification fails on any check not passed, and is complete
         * only once every check is answered (the procedure's decision: ĐLVN
         * procedures pass an instrument only when every stage passes). */
        if (res->verification) {
            bool failed_check = false;
            for (size_t i = 0; i < res->n_checks; i++) {
                if (!res->checks[i].answered)
                    res->complete = false;
                else if (!res->checks[i].passed)
                    failed_check = true;
            }
            /* a check that failed decides: the test need not be finished */
            if (failed_check) {
                res->verdict = UNC_FAIL;
                res->complete = true;
            }
        }
        /* A verification that failed at a check may stop before its test */
        if (measured == 0 && !(res->verification && res->verdict == UNC_FAIL))
            rc = cd_fail(err, CD_ERR_INVALID,
                         _("no test point of the error test has a stable reading: nothing to "
                         "analyse"));
    }
    if (rc != 0) {
        ana_result_free(res);
        return rc;
    }
    *out = res;
    return 0;
}

const char *ana_overall_name(const struct ana_result *r)
{
    return r->complete ? unc_verdict_name(r->verdict) : N_("incomplete");
}

/* ------------------------------------------------------------ output */

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* The curve of a curve profile: its form, the CVD coefficients with their
 * u, U and covariance (order R0, A, B), the fit's own coefficients, chi^2
 * and degrees of freedom, and per measured point x, y, the fit and the
 * residual (docs/profiles.md, "A PRT calibrated as a curve"). */
static json_t *curve_json(const struct ana_result *r, const struct prof_profile *p)
{
    const struct unc_cvd_fit *k = &r->cvd;
    json_t *c = json_object();
    json_object_set_new(c, "form", json_string("cvd"));
    json_object_set_new(c, "x_unit", json_string(p->curve.x_unit));
    json_object_set_new(c, "y_unit", json_string(p->unit));
    json_object_set_new(c, "R0", json_real(k->r0));
    json_object_set_new(c, "A", json_real(k->a));
    json_object_set_new(c, "B", json_real(k->b));
    json_object_set_new(c, "u", json_pack("[f, f, f]", k->u[0], k->u[1], k->u[2]));
    json_object_set_new(c, "k", json_real(r->curve_k));
    json_object_set_new(c, "U", json_pack("[f, f, f]", r->curve_k * k->u[0],
                                          r->curve_k * k->u[1], r->curve_k * k->u[2]));
    json_t *cov = json_array(), *corr = json_array();
    for (int i = 0; i < 3; i++) {
        json_array_append_new(cov, json_pack("[f, f, f]", k->cov[3 * i], k->cov[3 * i + 1],
                                             k->cov[3 * i + 2]));
        json_array_append_new(corr, json_pack("[f, f, f]", k->corr[3 * i], k->corr[3 * i + 1],
                                              k->corr[3 * i + 2]));
    }
    json_object_set_new(c, "covariance", cov);
    json_object_set_new(c, "correlation", corr);
    const struct unc_fit *f = &r->fit;
    json_object_set_new(c, "fit_coefficients",
                        json_pack("[f, f, f]", f->coef[0], f->coef[1], f->coef[2]));
    json_object_set_new(c, "chi2", json_real(f->chisq));
    json_object_set_new(c, "dof", json_real(f->dof));
    json_t *pts = json_array();
    for (size_t i = 0; i < r->n_points; i++) {
        const struct ana_point *pt = &r->points[i];
        if (pt->measured)
            json_array_append_new(pts, json_pack("{s:f, s:f, s:f, s:f, s:f, s:f}", "x", pt->x,
                                                 "y", pt->y, "u", pt->u, "U", pt->U, "fit",
                                                 pt->fit, "residual", pt->error));
    }
    json_object_set_new(c, "points", pts);
    return c;
}

json_t *ana_result_json(const struct ana_result *r, const struct prof_profile *p)
{
    json_t *root = json_object();
    json_t *points = json_array();
    if (root == NULL || points == NULL) {
        json_decref(root);
        json_decref(points);
        return NULL;
    }
    json_object_set_new(root, "schema", json_string(ANA_SCHEMA));
    json_object_set_new(root, "profile", json_string(p->name));
    json_object_set_new(root, "method", json_string(p->method));
    json_object_set_new(root, "unit", json_string(p->unit));
    json_t *rule = json_object();
    json_object_set_new(rule, "rule", json_string(unc_rule_name(p->rule.rule)));
    if (p->rule.rule == UNC_RULE_GUARD_BAND)
        json_object_set_new(rule, "r", json_real(p->rule.r));
    json_object_set_new(root, "decision_rule", rule);
    json_object_set_new(root, "verdict", json_string(ana_overall_name(r)));
    /* [error, U] per point (null when not measured), ahead of the full
     * points: what a batch comparing results versions needs, readable
     * without parsing the rest of the document */
    json_t *summary = json_array();
    for (size_t i = 0; i < r->n_points; i++)
        json_array_append_new(summary, r->points[i].measured
                                           ? json_pack("[f, f]", r->points[i].error, r->points[i].U)
                                           : json_null());
    json_object_set_new(root, "summary", summary);
    json_object_set_new(root, "worst_verdict", json_string(unc_verdict_name(r->verdict)));
    json_object_set_new(root, "complete", json_boolean(r->complete));
    /* what issue 16 added, only where it says something: the results of a
     * calibration read from one instrument stay as they were, byte for
     * byte (reprocessing compares them with those stored) */
    if (r->verification || r->n_typed > 0) {
        json_object_set_new(root, "kind", json_string(prof_kind_name(p->kind)));
        json_object_set_new(root, "typed_readings", json_integer((json_int_t)r->n_typed));
    }
    if (r->verification) {
        json_t *checks = json_array();
        for (size_t i = 0; i < r->n_checks; i++) {
            const struct ana_check *c = &r->checks[i];
            json_array_append_new(
                checks, json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:s, s:s}", "id", c->check->id,
                                  "stage", prof_check_stage_name(c->check->stage), "en",
                                  c->check->text_en, "vi", c->check->text_vi, "answered",
                                  c->answered, "passed", c->passed, "answer", c->answer, "who",
                                  c->who));
        }
        json_object_set_new(root, "checks", checks);
        json_object_set_new(root, "checks_passed", json_boolean(r->checks_passed));
    }
    json_object_set_new(root, "ignored_readings", json_integer((json_int_t)r->n_ignored));
    json_object_set_new(root, "superseded_readings", json_integer((json_int_t)r->n_superseded));
    json_t *env = json_object();
    json_object_set_new(env, "temp_c", num(r->env[0]));
    json_object_set_new(env, "rh_pct", num(r->env[1]));
    json_object_set_new(env, "p_hpa", num(r->env[2]));
    json_object_set_new(root, "environment", env);
    if (r->has_air) {
        json_t *air = json_object();
        json_object_set_new(air, "rho_a", num(r->air.rho));
        json_object_set_new(air, "u", num(r->air.u));
        json_object_set_new(air, "unit", json_string("kg/m3"));
        json_object_set_new(air, "source",
                            json_string(r->air.measured
                                            ? "measured: OIML R111-1:2004 E.3-1 from the "
                                              "conditions recorded in the run"
                                            : "estimate: the profile's, the run did not "
                                              "measure the conditions"));
        json_object_set_new(root, "air_density", air);
    }
    if (r->has_repeatability) {
        json_t *rep = json_object();
        json_object_set_new(rep, "load", json_real(r->rep_load));
        json_object_set_new(rep, "n", json_integer((json_int_t)r->rep_n));
        json_object_set_new(rep, "mean", json_real(r->rep_mean));
        json_object_set_new(rep, "s", json_real(r->rep_s));
        json_object_set_new(root, "repeatability", rep);
    }
    if (r->n_positions > 0) {
        json_t *ecc = json_object(), *pos = json_array();
        json_object_set_new(ecc, "load", json_real(r->ecc_load));
        for (size_t i = 0; i < r->n_positions; i++) {
            json_t *o = json_object();
            json_object_set_new(o, "position", json_string(r->positions[i].name));
            json_object_set_new(o, "indication", num(r->positions[i].indication));
            json_object_set_new(o, "deviation", num(r->positions[i].deviation));
            json_array_append_new(pos, o);
        }
        json_object_set_new(ecc, "positions", pos);
        json_object_set_new(ecc, "max_deviation", num(r->ecc_max));
        json_object_set_new(root, "eccentricity", ecc);
    }
    for (size_t i = 0; i < r->n_points; i++) {
        const struct ana_point *pt = &r->points[i];
        json_t *o = json_object();
        json_object_set_new(o, "group", json_integer((json_int_t)pt->group + 1));
        json_object_set_new(o, "nominal", json_real(pt->nominal));
        if (isfinite(pt->range))
            json_object_set_new(o, "range", json_real(pt->range));
        json_object_set_new(o, "measured", json_boolean(pt->measured));
        json_object_set_new(o, "n", json_integer((json_int_t)pt->n));
        json_object_set_new(o, "mpe", json_real(fmax(fabs(pt->low), fabs(pt->high))));
        if (pt->measured) {
            const double *st = pt->stats;
            json_object_set_new(o, "mean", num(st[PROF_STAT_MEAN]));
            json_object_set_new(o, "s", num(st[PROF_STAT_S]));
            json_object_set_new(o, "reference", num(st[PROF_STAT_REF]));
            json_object_set_new(o, "error", json_real(pt->error));
            json_object_set_new(o, "u", json_real(pt->u));
            json_object_set_new(o, "nu_eff", num(pt->nu_eff));
            json_object_set_new(o, "k", json_real(pt->k));
            json_object_set_new(o, "p", json_real(pt->p));
            json_object_set_new(o, "U", json_real(pt->U));
            json_object_set_new(o, "verdict", json_string(unc_verdict_name(pt->decision.verdict)));
            json_object_set_new(o, "pfa", json_real(pt->decision.pfa));
            json_object_set_new(o, "pfa_distribution",
                                json_string(unc_pdf_name(pt->decision.pfa_pdf)));
            json_object_set_new(o, "pfa_dof", num(pt->decision.pfa_dof));
            json_t *stats = json_object();
            for (int s = 0; s < PROF_STAT_COUNT; s++)
                json_object_set_new(stats, prof_stat_name((enum prof_stat)s), num(st[s]));
            json_object_set_new(o, "statistics", stats);
            json_t *budget = json_array();
            for (size_t k = 0; k < pt->n_rows; k++) {
                const struct ana_budget_row *b = &pt->rows[k];
                json_t *row = json_object();
                json_object_set_new(row, "name", json_string(b->name));
                json_object_set_new(row, "label", json_string(b->label));
                json_object_set_new(row, "source", json_string(b->source));
                json_object_set_new(row, "x", json_real(b->x));
                json_object_set_new(row, "u", json_real(b->u));
                json_object_set_new(row, "dof", num(b->dof));
                json_object_set_new(row, "c", json_real(b->c));
                json_object_set_new(row, "contribution", json_real(b->contribution));
                json_object_set_new(row, "share", json_real(b->share));
                json_array_append_new(budget, row);
            }
            json_object_set_new(o, "budget", budget);
        } else {
            json_object_set_new(o, "verdict", json_string("not measured"));
        }
        json_array_append_new(points, o);
    }
    json_object_set_new(root, "points", points);
    if (r->has_curve)
        json_object_set_new(root, "curve", curve_json(r, p));
    return root;
}

void ana_result_print(FILE *f, const struct ana_result *r, const struct prof_profile *p,
                      bool vi)
{
    fprintf(f, _("profile %s (%s)\n"), p->name,
            vi && p->method_vi != NULL && p->method_vi[0] != '\0' ? p->method_vi : p->method);
    if (r->has_air)
        fprintf(f, _("air density %.5f kg/m3, u = %.2g kg/m3 (%s)\n"), r->air.rho, r->air.u,
                r->air.measured ? _("OIML R111-1 E.3-1 from the conditions measured")
                                : _("the profile's estimate: the conditions were not measured"));
    if (r->has_repeatability)
        fprintf(f, _("repeatability at %.15g %s: n = %zu, mean %.10g, s = %.3g %s\n"), r->rep_load,
                p->unit, r->rep_n, r->rep_mean, r->rep_s, p->unit);
    if (r->n_positions > 0) {
        fprintf(f, _("eccentricity at %.15g %s:"), r->ecc_load, p->unit);
        for (size_t i = 0; i < r->n_positions; i++)
            fprintf(f, " %s %+.6g", r->positions[i].name, r->positions[i].deviation);
        fprintf(f, _("; largest %.6g %s\n"), r->ecc_max, p->unit);
    }
    fprintf(f, "%14s %5s %16s %12s %11s %6s %8s %11s  %s\n", _("nominal"), "n", _("mean"),
            _("error"), "U", "k", "nu_eff", _("MPE"), _("verdict"));
    for (size_t i = 0; i < r->n_points; i++) {
        const struct ana_point *pt = &r->points[i];
        char nominal[32];
        snprintf(nominal, sizeof nominal, "%.10g %s", pt->nominal, prof_reference_unit(p));
        if (!pt->measured) {
            fprintf(f, "%14s %5s %16s %12s %11s %6s %8s %11.4g  %s\n", nominal, "0", "-", "-", "-",
                    "-", "-", fmax(fabs(pt->low), fabs(pt->high)), _("not measured"));
            continue;
        }
        char nu[16];
        if (isfinite(pt->nu_eff))
            snprintf(nu, sizeof nu, "%.1f", pt->nu_eff);
        else
            snprintf(nu, sizeof nu, "inf");
        fprintf(f, "%14s %5zu %16.10g %12.4g %11.4g %6.3f %8s %11.4g  %s\n", nominal, pt->n,
                pt->stats[PROF_STAT_MEAN], pt->error, pt->U, pt->k, nu,
                fmax(fabs(pt->low), fabs(pt->high)), _(unc_verdict_name(pt->decision.verdict)));
    }
    if (r->has_curve)
        fprintf(f, _("CVD curve (errors above are residuals from it): R0 = %.6f %s, A = %.6e, "
                   "B = %.5e; U (k = %g) %.2g %s, %.2g, %.2g; r(A, B) = %.4f; chi2 = %.3g, "
                   "dof %.0f\n"),
                r->cvd.r0, p->unit, r->cvd.a, r->cvd.b, r->curve_k, r->curve_k * r->cvd.u[0],
                p->unit, r->curve_k * r->cvd.u[1], r->curve_k * r->cvd.u[2], r->cvd.corr[5],
                r->fit.chisq, r->fit.dof);
    fprintf(f, _("decision rule: %s\n"), unc_rule_name(p->rule.rule));
    fprintf(f, r->complete ? _("verdict: %s\n")
                           : _("verdict: %s (points not measured; the measured ones are shown)\n"),
            _(ana_overall_name(r)));
}
