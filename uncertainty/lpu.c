/* Law of propagation of uncertainty (JCGM 100 clause 5): sensitivity
 * coefficients from exact symbolic derivatives, the budget table,
 * correlated terms, Welch-Satterthwaite degrees of freedom, the coverage
 * factor, and the covariance of several outputs. */
#include "unc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_priv.h"
#include "cd_i18n.h"

void unc_lpu_result_free(struct unc_lpu_result *r)
{
    if (r == NULL)
        return;
    for (size_t j = 0; j < r->n_outputs; j++)
        free(r->outputs[j].rows);
    free(r->outputs);
    free(r->covariance);
    free(r->correlation);
    free(r);
}

static double *input_values(const unc_model *m)
{
    double *x = malloc((m->n_inputs + 1) * sizeof *x);
    if (x != NULL)
        for (size_t i = 0; i < m->n_inputs; i++)
            x[i] = m->inputs[i].value;
    return x;
}

/* Input groups for Welch-Satterthwaite: inputs joined by a non-zero
 * correlation form one group whose combined contribution is one term
 * (the ensemble treatment of Willink, used by the GUM Tree Calculator;
 * for GUM H.2's simultaneous observations it gives nu = n - 1). */
static void correlation_groups(const unc_model *m, size_t *group)
{
    size_t n = m->n_inputs;
    for (size_t i = 0; i < n; i++)
        group[i] = i;
    int changed = 1;
    while (changed) {
        changed = 0;
        for (size_t i = 0; i < n; i++) {
            for (size_t k = 0; k < n; k++) {
                if (i == k || m->corr[i * n + k] == 0)
                    continue;
                size_t g = group[i] < group[k] ? group[i] : group[k];
                if (group[i] != g || group[k] != g) {
                    group[i] = group[k] = g;
                    changed = 1;
                }
            }
        }
    }
}

/* nu_eff = u^4 / sum(term_g^2 / nu_g). A correlated group whose members'
 * dof differ takes the smallest (conservative). */
static double welch_satterthwaite(const unc_model *m, const double *cu, const size_t *group,
                                  double u2)
{
    size_t n = m->n_inputs;
    double denom = 0;
    for (size_t g = 0; g < n; g++) {
        double var = 0;
        double nu = INFINITY;
        int members = 0;
        for (size_t i = 0; i < n; i++) {
            if (group[i] != g)
                continue;
            members++;
            if (m->inputs[i].dof < nu)
                nu = m->inputs[i].dof;
            for (size_t k = 0; k < n; k++)
                if (group[k] == g)
                    var += cu[i] * cu[k] * m->corr[i * n + k];
        }
        if (members == 0 || isinf(nu) || var == 0)
            continue;
        denom += var * var / nu;
    }
    if (denom == 0 || u2 == 0)
        return INFINITY;
    return u2 * u2 / denom;
}

/* GUM 5.1.2 note: the second-order terms of the Taylor series,
 * sum_i sum_j [ (d2f/dxi dxj)^2 / 2 + df/dxi d3f/dxi dxj2 ] u_i^2 u_j^2,
 * for uncorrelated inputs, added to *add. The derivatives can be refused
 * (out of memory, or larger than EXPR_MAX_DERIVED_NODES): the message then
 * names the output and the inputs. */
static int second_order_variance(const unc_model *m, const struct unc_output *o,
                                 const double *x, double *add, struct cd_err *err)
{
    size_t n = m->n_inputs;
    struct cd_err why = {0};
    *add = 0;
    for (size_t j = 0; j < n; j++) {
        if (expr_is_zero(o->d1[j]))
            continue;
        struct expr *djj = expr_diff(o->d1[j], (int)j, &why);
        if (djj == NULL)
            return model_fail(m, o->line, err, why.code,
                              _("output '%s': second-order terms (GUM 5.1.2 note), d2/d%s2: %s"),
                              o->name, m->inputs[j].name, why.msg);
        for (size_t i = 0; i < n; i++) {
            double ui2 = m->inputs[i].u * m->inputs[i].u;
            double uj2 = m->inputs[j].u * m->inputs[j].u;
            struct expr *dij = expr_diff(o->d1[j], (int)i, &why);
            struct expr *dijj = dij != NULL ? expr_diff(djj, (int)i, &why) : NULL;
            if (dij == NULL || dijj == NULL) {
                expr_free(dij);
                expr_free(djj);
                return model_fail(m, o->line, err, why.code,
                                  _("output '%s': second-order terms (GUM 5.1.2 note), "
                                  "derivatives in %s and %s: %s"),
                                  o->name, m->inputs[j].name, m->inputs[i].name, why.msg);
            }
            double second = expr_eval(dij, x);
            double third = expr_eval(dijj, x);
            double first = expr_eval(o->d1[i], x);
            *add += (0.5 * second * second + first * third) * ui2 * uj2;
            expr_free(dij);
            expr_free(dijj);
        }
        expr_free(djj);
    }
    return 0;
}

static int evaluate_output(const unc_model *m, const struct unc_output *o, const double *x,
                           double *c, struct unc_lpu_output *out, struct cd_err *err)
{
    size_t n = m->n_inputs;
    out->name = o->name;
    out->unit = o->unit;
    out->y = expr_eval(o->expr, x);
    if (!isfinite(out->y))
        return model_fail(m, o->line, err, CD_ERR_NUMERIC,
                          _("output '%s' is not finite at the inputs' best estimates "
                          "(division by zero, log or sqrt of a negative value?)"),
                          o->name);
    for (size_t i = 0; i < n; i++) {
        c[i] = expr_eval(o->d1[i], x);
        if (!isfinite(c[i]))
            return model_fail(m, o->line, err, CD_ERR_NUMERIC,
                              _("sensitivity of '%s' to '%s' is not finite at the best estimates"),
                              o->name, m->inputs[i].name);
    }
    out->rows = calloc(n, sizeof *out->rows);
    if (out->rows == NULL)
        return model_fail(m, 0, err, CD_ERR_NOMEM, _("out of memory"));
    out->n_rows = n;
    for (size_t i = 0; i < n; i++) {
        const struct unc_input *in = &m->inputs[i];
        out->rows[i] = (struct unc_budget_row){
            .name = in->name, .x = in->value, .u = in->u, .dof = in->dof,
            .c = c[i], .contribution = c[i] * in->u,
        };
    }
    return 0;
}

static double quadratic_form(const unc_model *m, const double *cu_a, const double *cu_b)
{
    size_t n = m->n_inputs;
    double s = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < n; k++)
            s += cu_a[i] * cu_b[k] * m->corr[i * n + k];
    return s;
}

int unc_lpu(const unc_model *m, struct unc_coverage cov, struct unc_lpu_result **out,
            struct cd_err *err)
{
    *out = NULL;
    if (!m->prepared)
        return model_fail(m, 0, err, CD_ERR_INVALID, _("model not prepared"));
    if (!(cov.k > 0) && !(cov.p > 0 && cov.p < 1))
        return model_fail(m, 0, err, CD_ERR_INVALID,
                          _("coverage probability must lie strictly between 0 and 1"));
    size_t n = m->n_inputs;
    size_t q = m->n_outputs;
    struct unc_lpu_result *r = calloc(1, sizeof *r);
    double *x = input_values(m);
    double *cu = calloc(q * n + 1, sizeof *cu); /* c_ji u_i, output-major */
    double *c = calloc(n + 1, sizeof *c);
    size_t *group = calloc(n + 1, sizeof *group);
    int rc = 0;
    if (r == NULL || x == NULL || cu == NULL || c == NULL || group == NULL) {
        rc = model_fail(m, 0, err, CD_ERR_NOMEM, _("out of memory"));
        goto done;
    }
    r->n_outputs = q;
    r->outputs = calloc(q, sizeof *r->outputs);
    r->covariance = calloc(q * q, sizeof *r->covariance);
    r->correlation = calloc(q * q, sizeof *r->correlation);
    if (r->outputs == NULL || r->covariance == NULL || r->correlation == NULL) {
        rc = model_fail(m, 0, err, CD_ERR_NOMEM, _("out of memory"));
        goto done;
    }
    correlation_groups(m, group);

    for (size_t j = 0; j < q; j++) {
        struct unc_lpu_output *o = &r->outputs[j];
        rc = evaluate_output(m, &m->outputs[j], x, c, o, err);
        if (rc != 0)
            goto done;
        double *cuj = cu + j * n;
        for (size_t i = 0; i < n; i++)
            cuj[i] = c[i] * m->inputs[i].u;
        double u2 = quadratic_form(m, cuj, cuj);
        if (u2 < 0) /* rounding with strong negative correlation */
            u2 = 0;
        o->u = sqrt(u2);
        /* Share of u^2(y) with each covariance term split evenly between
         * its two inputs, so shares sum to 1 (an input whose correlation
         * lowers u(y) gets a negative share). */
        for (size_t i = 0; i < n; i++) {
            double with_cov = 0;
            for (size_t k = 0; k < n; k++)
                with_cov += cuj[i] * cuj[k] * m->corr[i * n + k];
            o->rows[i].share = u2 > 0 ? with_cov / u2 : 0;
        }
        o->nu_eff = welch_satterthwaite(m, cuj, group, u2);
        if (m->correlated) {
            o->u_second_order = NAN;
        } else {
            double add;
            rc = second_order_variance(m, &m->outputs[j], x, &add, err);
            if (rc != 0)
                goto done;
            o->u_second_order = sqrt(u2 + add);
        }
        if (cov.k > 0) {
            o->k = cov.k;
            o->p = NAN;
        } else {
            o->p = cov.p;
            o->k = unc_coverage_factor(cov.p, o->nu_eff);
        }
        o->U = o->k * o->u;
    }
    for (size_t a = 0; a < q; a++) {
        for (size_t b = 0; b < q; b++) {
            double v = quadratic_form(m, cu + a * n, cu + b * n);
            r->covariance[a * q + b] = v;
            double ua = r->outputs[a].u;
            double ub = r->outputs[b].u;
            r->correlation[a * q + b] = a == b ? 1.0 : (ua > 0 && ub > 0 ? v / (ua * ub) : 0.0);
        }
    }
done:
    free(x);
    free(cu);
    free(c);
    free(group);
    if (rc != 0) {
        unc_lpu_result_free(r);
        return rc;
    }
    *out = r;
    return 0;
}
