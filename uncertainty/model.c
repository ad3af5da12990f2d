/* Building and preparing a measurement model: inputs with their
 * distributions, constants, correlations and output expressions. */
#include "unc.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>

#include "model_priv.h"
#include "stats.h"
#include "cd_i18n.h"

int model_fail(const struct unc_model *m, int line, struct cd_err *err, int code,
               const char *fmt, ...)
{
    char what[CD_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    const char *src = m != NULL && m->source != NULL ? m->source : "model";
    if (line > 0)
        return cd_fail(err, code, "%s:%d: %s", src, line, what);
    return cd_fail(err, code, "%s: %s", src, what);
}

int grow(void **array, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t want = *cap == 0 ? 8 : *cap * 2;
    void *p = realloc(*array, want * size);
    if (p == NULL)
        return CD_ERR_NOMEM;
    memset((char *)p + *cap * size, 0, (want - *cap) * size);
    *array = p;
    *cap = want;
    return 0;
}

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

unc_model *unc_model_new(const char *source)
{
    unc_model *m = calloc(1, sizeof *m);
    if (m == NULL)
        return NULL;
    if (source != NULL && (m->source = strdup(source)) == NULL) {
        free(m);
        return NULL;
    }
    return m;
}

static void output_clear(struct unc_output *o, size_t n_inputs)
{
    free(o->name);
    free(o->unit);
    free(o->text);
    expr_free(o->expr);
    if (o->d1 != NULL)
        for (size_t i = 0; i < n_inputs; i++)
            expr_free(o->d1[i]);
    free(o->d1);
    expr_prog_free(o->prog);
}

void unc_model_free(unc_model *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->n_inputs; i++) {
        free(m->inputs[i].name);
        free(m->inputs[i].unit);
        free(m->inputs[i].obs);
    }
    for (size_t i = 0; i < m->n_constants; i++)
        free(m->constants[i].name);
    for (size_t j = 0; j < m->n_outputs; j++)
        output_clear(&m->outputs[j], m->n_inputs);
    free(m->inputs);
    free(m->constants);
    free(m->outputs);
    free(m->given);
    free(m->corr);
    free(m->source);
    free(m);
}

static int valid_name(const char *s)
{
    if (s == NULL || s[0] == '\0' || strlen(s) > 100)
        return 0;
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
        return 0;
    for (const char *p = s; *p != '\0'; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return 0;
    }
    return 1;
}

static const char *const reserved[] = {"sqrt", "exp", "log", "ln", "sin", "cos", "tan", "abs"};

/* Which kind of thing already carries `name`: NULL when free. */
static const char *name_taken(const unc_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_inputs; i++)
        if (strcmp(m->inputs[i].name, name) == 0)
            return _("an input");
    for (size_t i = 0; i < m->n_constants; i++)
        if (strcmp(m->constants[i].name, name) == 0)
            return "a constant";
    for (size_t i = 0; i < m->n_outputs; i++)
        if (strcmp(m->outputs[i].name, name) == 0)
            return _("an output");
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcmp(reserved[i], name) == 0)
            return "a function";
    return NULL;
}

static int check_new_name(unc_model *m, const char *name, int line, struct cd_err *err)
{
    if (m->prepared)
        return model_fail(m, line, err, CD_ERR_INVALID, _("model already prepared"));
    if (!valid_name(name))
        return model_fail(m, line, err, CD_ERR_INVALID,
                          _("'%s' is not a valid name (letters, digits, '_'; not starting "
                          "with a digit)"),
                          name != NULL ? name : "");
    const char *taken = name_taken(m, name);
    if (taken != NULL)
        return model_fail(m, line, err, CD_ERR_INVALID, _("'%s' is already %s"), name, taken);
    return 0;
}

int unc_model_add_constant(unc_model *m, const char *name, double value, int line,
                           struct cd_err *err)
{
    int rc = check_new_name(m, name, line, err);
    if (rc != 0)
        return rc;
    if (!isfinite(value))
        return model_fail(m, line, err, CD_ERR_INVALID, _("constant '%s' is not a finite number"),
                          name);
    if (grow((void **)&m->constants, &m->cap_constants, m->n_constants, sizeof *m->constants))
        return model_fail(m, line, err, CD_ERR_NOMEM, _("out of memory"));
    struct unc_constant *c = &m->constants[m->n_constants];
    if ((c->name = strdup(name)) == NULL)
        return model_fail(m, line, err, CD_ERR_NOMEM, _("out of memory"));
    c->value = value;
    c->line = line;
    m->n_constants++;
    return 0;
}

static const char *dist_name(enum unc_dist d)
{
    switch (d) {
    case UNC_DIST_NORMAL: return "normal";
    case UNC_DIST_RECTANGULAR: return "rectangular";
    case UNC_DIST_TRIANGULAR: return "triangular";
    case UNC_DIST_ARCSINE: return "arcsine";
    case UNC_DIST_STUDENT_T: return "student-t";
    case UNC_DIST_TRAPEZOIDAL: return "trapezoidal";
    }
    return "?";
}

/* The standard uncertainty a distribution implies (JCGM 100 4.3.7-4.3.9,
 * JCGM 101 6.4). */
static double standard_uncertainty(const struct unc_input_spec *s)
{
    double a = s->half_width;
    switch (s->dist) {
    case UNC_DIST_NORMAL:
    case UNC_DIST_STUDENT_T: return s->u;
    case UNC_DIST_RECTANGULAR: return a / sqrt(3.0);
    case UNC_DIST_TRIANGULAR: return a / sqrt(6.0);
    case UNC_DIST_ARCSINE: return a / sqrt(2.0);
    case UNC_DIST_TRAPEZOIDAL: return a * sqrt((1.0 + s->beta * s->beta) / 6.0);
    }
    return NAN;
}

int unc_model_add_input(unc_model *m, const struct unc_input_spec *s, struct cd_err *err)
{
    int line = s->line;
    int rc = check_new_name(m, s->name, line, err);
    if (rc != 0)
        return rc;
    const char *n = s->name;
    if (!isfinite(s->value))
        return model_fail(m, line, err, CD_ERR_INVALID, _("input '%s': value is not a finite number"),
                          n);
    switch (s->dist) {
    case UNC_DIST_NORMAL:
    case UNC_DIST_STUDENT_T:
        if (!isfinite(s->u))
            return model_fail(m, line, err, CD_ERR_INVALID,
                              _("input '%s': u is missing or not a finite number"), n);
        if (s->u < 0)
            return model_fail(m, line, err, CD_ERR_INVALID,
                              _("input '%s': u = %g is negative"), n, s->u);
        break;
    case UNC_DIST_RECTANGULAR:
    case UNC_DIST_TRIANGULAR:
    case UNC_DIST_ARCSINE:
    case UNC_DIST_TRAPEZOIDAL:
        if (!isfinite(s->half_width))
            return model_fail(m, line, err, CD_ERR_INVALID,
                              _("input '%s': half_width is missing or not a finite number "
                              "(%s distribution)"),
                              n, dist_name(s->dist));
        if (s->half_width < 0)
            return model_fail(m, line, err, CD_ERR_INVALID,
                              _("input '%s': half_width = %g is negative"), n, s->half_width);
        break;
    default:
        return model_fail(m, line, err, CD_ERR_INVALID, _("input '%s': unknown distribution"), n);
    }
    if (s->dist == UNC_DIST_TRAPEZOIDAL && !(s->beta >= 0 && s->beta <= 1))
        return model_fail(m, line, err, CD_ERR_INVALID,
                          _("input '%s': beta must lie in [0, 1] (ratio of the top to the base "
                          "of the trapezoid)"),
                          n);
    if (isnan(s->dof) || s->dof <= 0)
        return model_fail(m, line, err, CD_ERR_INVALID,
                          _("input '%s': dof must be positive (absent means infinite)"), n);
    if (s->dof < 1)
        return model_fail(m, line, err, CD_ERR_INVALID, _("input '%s': dof = %g is below 1; %s"), n,
                          s->dof, UNC_DOF_BELOW_1_WHY);
    if (s->dist == UNC_DIST_STUDENT_T && !isfinite(s->dof))
        return model_fail(m, line, err, CD_ERR_INVALID,
                          _("input '%s': a student-t input needs finite dof"), n);
    if (grow((void **)&m->inputs, &m->cap_inputs, m->n_inputs, sizeof *m->inputs))
        return model_fail(m, line, err, CD_ERR_NOMEM, _("out of memory"));
    struct unc_input *in = &m->inputs[m->n_inputs];
    memset(in, 0, sizeof *in);
    in->name = strdup(n);
    in->unit = dup_or_null(s->unit);
    if (in->name == NULL || (s->unit != NULL && in->unit == NULL)) {
        free(in->name);
        free(in->unit);
        return model_fail(m, line, err, CD_ERR_NOMEM, _("out of memory"));
    }
    in->dist = s->dist;
    in->value = s->value;
    in->u = standard_uncertainty(s);
    in->half_width = s->half_width;
    in->beta = s->beta;
    in->dof = s->dof;
    in->line = line;
    m->n_inputs++;
    return 0;
}

int unc_model_add_observations(unc_model *m, const char *name, const char *unit,
                               const double *obs, size_t n, bool simultaneous, int line,
                               struct cd_err *err)
{
    if (n < 2)
        return model_fail(m, line, err, CD_ERR_INVALID,
                          _("input '%s': %zu observation%s; a Type A evaluation needs at least 2"),
                          name != NULL ? name : "", n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(obs[i]))
            return model_fail(m, line, err, CD_ERR_INVALID,
                              _("input '%s': observation %zu is not a finite number"), name, i + 1);
    }
    /* GUM 4.2.1 (mean), 4.2.2 (s^2 = sum (q_k - q_bar)^2 / (n - 1)), 4.2.3
     * (u = s / sqrt(n)), from deviations so large readings keep s's digits. */
    double mean, ss;
    stats_mean_ss(obs, n, &mean, &ss);
    double s = sqrt(ss / (double)(n - 1));
    struct unc_input_spec spec = {
        .name = name, .unit = unit, .dist = UNC_DIST_STUDENT_T, .value = mean,
        .u = s / sqrt((double)n), .dof = (double)(n - 1), .line = line,
    };
    int rc = unc_model_add_input(m, &spec, err);
    if (rc != 0)
        return rc;
    struct unc_input *in = &m->inputs[m->n_inputs - 1];
    in->obs = malloc(n * sizeof *obs);
    if (in->obs == NULL)
        return model_fail(m, line, err, CD_ERR_NOMEM, _("out of memory"));
    memcpy(in->obs, obs, n * sizeof *obs);
    in->n_obs = n;
    in->simultaneous = simultaneous;
    return 0;
}

static int find_input(const unc_model *m, const char *name, size_t *index)
{
    for (size_t i = 0; i < m->n_inputs; i++) {
        if (strcmp(m->inputs[i].name, name) == 0) {
            *index = i;
            return 1;
        }
    }
    return 0;
}

int unc_model_set_correlation(unc_model *m, const char *a, const char *b, double r, int line,
                              struct cd_err *err)
{
    size_t ia, ib;
    if (!find_input(m, a, &ia))
        return model_fail(m, line, err, CD_ERR_NOT_FOUND,
                          _("correlation names '%s', which is not an input"), a);
    if (!find_input(m, b, &ib))
        return model_fail(m, line, err, CD_ERR_NOT_FOUND,
                          _("correlation names '%s', which is not an input"), b);
    if (ia == ib)
        return model_fail(m, line, err, CD_ERR_INVALID,
                          _("correlation of '%s' with itself (always 1)"), a);
    if (!isfinite(r) || r < -1 || r > 1)
        return model_fail(m, line, err, CD_ERR_INVALID,
                          _("correlation r(%s, %s) = %g must lie in [-1, 1]"), a, b, r);
    for (size_t k = 0; k < m->n_given; k++) {
        const struct unc_corr_given *g = &m->given[k];
        if ((g->a == ia && g->b == ib) || (g->a == ib && g->b == ia))
            return model_fail(m, line, err, CD_ERR_INVALID,
                              _("correlation r(%s, %s) given twice (first at line %d)"), a, b,
                              g->line);
    }
    if (grow((void **)&m->given, &m->cap_given, m->n_given, sizeof *m->given))
        return model_fail(m, line, err, CD_ERR_NOMEM, _("out of memory"));
    m->given[m->n_given++] = (struct unc_corr_given){.a = ia, .b = ib, .r = r, .line = line};
    return 0;
}

int unc_model_add_output(unc_model *m, const char *name, const char *unit, const char *text,
                         int line, struct cd_err *err)
{
    int rc = check_new_name(m, name, line, err);
    if (rc != 0)
        return rc;
    if (text == NULL || text[0] == '\0')
        return model_fail(m, line, err, CD_ERR_INVALID, _("output '%s' has no expression"), name);
    if (grow((void **)&m->outputs, &m->cap_outputs, m->n_outputs, sizeof *m->outputs))
        return model_fail(m, line, err, CD_ERR_NOMEM, _("out of memory"));
    struct unc_output *o = &m->outputs[m->n_outputs];
    memset(o, 0, sizeof *o);
    o->name = strdup(name);
    o->unit = strdup(unit != NULL ? unit : "");
    o->text = strdup(text);
    o->line = line;
    if (o->name == NULL || o->unit == NULL || o->text == NULL) {
        output_clear(o, 0);
        memset(o, 0, sizeof *o);
        return model_fail(m, line, err, CD_ERR_NOMEM, _("out of memory"));
    }
    m->n_outputs++;
    return 0;
}

int unc_model_set_tolerance(unc_model *m, const char *output, double low, double high, int line,
                            struct cd_err *err)
{
    for (size_t j = 0; j < m->n_outputs; j++) {
        struct unc_output *o = &m->outputs[j];
        if (strcmp(o->name, output) != 0)
            continue;
        if (isnan(low) || isnan(high) || low == INFINITY || high == -INFINITY ||
            (isinf(low) && isinf(high)))
            return model_fail(m, line, err, CD_ERR_INVALID,
                              _("tolerance of '%s': give a finite lower limit, upper limit or both"),
                              output);
        if (!(low < high))
            return model_fail(m, line, err, CD_ERR_INVALID,
                              _("tolerance of '%s': lower limit %.15g is not below upper limit "
                              "%.15g"),
                              output, low, high);
        if (o->has_tolerance)
            return model_fail(m, line, err, CD_ERR_INVALID, _("tolerance of '%s' given twice"),
                              output);
        o->has_tolerance = true;
        o->tol_low = low;
        o->tol_high = high;
        return 0;
    }
    return model_fail(m, line, err, CD_ERR_NOT_FOUND,
                      _("tolerance for '%s', which is not an output of the model"), output);
}

bool unc_model_output_tolerance(const unc_model *m, size_t j, double *low, double *high)
{
    if (j >= m->n_outputs || !m->outputs[j].has_tolerance)
        return false;
    *low = m->outputs[j].tol_low;
    *high = m->outputs[j].tol_high;
    return true;
}

/* ------------------------------------------------------------ prepare */

static int lookup(void *ctx, const char *name, int *var, double *value)
{
    const unc_model *m = ctx;
    for (size_t i = 0; i < m->n_inputs; i++) {
        if (strcmp(m->inputs[i].name, name) == 0) {
            *var = (int)i;
            return 1;
        }
    }
    for (size_t i = 0; i < m->n_constants; i++) {
        if (strcmp(m->constants[i].name, name) == 0) {
            *value = m->constants[i].value;
            return 2;
        }
    }
    return 0;
}

/* GUM 5.2.3: r(q, w) = s(q, w) / (s(q) s(w)) from simultaneous observations. */
static double observed_correlation(const struct unc_input *q, const struct unc_input *w)
{
    size_t n = q->n_obs;
    double mq, mw, sqq, sww;
    stats_mean_ss(q->obs, n, &mq, &sqq);
    stats_mean_ss(w->obs, n, &mw, &sww);
    double sqw = stats_cross_dev(q->obs, w->obs, n, mq, mw);
    if (sqq == 0 || sww == 0)
        return 0.0;
    return sqw / sqrt(sqq * sww);
}

static int build_correlation(unc_model *m, struct cd_err *err)
{
    size_t n = m->n_inputs;
    m->corr = calloc(n * n, sizeof *m->corr);
    if (m->corr == NULL)
        return model_fail(m, 0, err, CD_ERR_NOMEM, _("out of memory"));
    for (size_t i = 0; i < n; i++)
        m->corr[i * n + i] = 1.0;

    const struct unc_input *first_sim = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct unc_input *q = &m->inputs[i];
        if (!q->simultaneous)
            continue;
        if (first_sim == NULL)
            first_sim = q;
        else if (q->n_obs != first_sim->n_obs)
            return model_fail(m, q->line, err, CD_ERR_INVALID,
                              _("simultaneous observations of '%s' (%zu) and '%s' (%zu) differ "
                              "in number"),
                              q->name, q->n_obs, first_sim->name, first_sim->n_obs);
        for (size_t j = 0; j < i; j++) {
            const struct unc_input *w = &m->inputs[j];
            if (!w->simultaneous)
                continue;
            double r = observed_correlation(q, w);
            m->corr[i * n + j] = r;
            m->corr[j * n + i] = r;
        }
    }

    for (size_t k = 0; k < m->n_given; k++) {
        const struct unc_corr_given *g = &m->given[k];
        const struct unc_input *a = &m->inputs[g->a];
        const struct unc_input *b = &m->inputs[g->b];
        if (a->simultaneous && b->simultaneous)
            return model_fail(m, g->line, err, CD_ERR_INVALID,
                              _("r(%s, %s) is computed from their simultaneous observations; "
                              "remove the stated correlation"),
                              a->name, b->name);
        m->corr[g->a * n + g->b] = g->r;
        m->corr[g->b * n + g->a] = g->r;
    }

    m->correlated = false;
    for (size_t i = 0; i < n * n; i++)
        if (i / n != i % n && m->corr[i] != 0)
            m->correlated = true;
    if (!m->correlated)
        return 0;

    /* Positive semi-definite: the smallest eigenvalue must not be negative
     * beyond rounding. */
    gsl_matrix *a = gsl_matrix_alloc(n, n);
    gsl_vector *eval = gsl_vector_alloc(n);
    gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc(n);
    int rc = 0;
    if (a == NULL || eval == NULL || w == NULL) {
        rc = model_fail(m, 0, err, CD_ERR_NOMEM, _("out of memory"));
    } else {
        for (size_t i = 0; i < n * n; i++)
            a->data[(i / n) * a->tda + i % n] = m->corr[i];
        if (gsl_eigen_symm(a, eval, w) != GSL_SUCCESS) {
            rc = model_fail(m, 0, err, CD_ERR_NUMERIC,
                            _("eigenvalues of the correlation matrix did not converge"));
        } else {
            double least = gsl_vector_min(eval);
            if (least < -1e-10) {
                int line = m->n_given > 0 ? m->given[0].line : 0;
                rc = model_fail(m, line, err, CD_ERR_INVALID,
                                _("the correlation matrix is not positive semi-definite "
                                "(smallest eigenvalue %.3g): the stated correlations "
                                "contradict each other"),
                                least);
            }
        }
    }
    gsl_eigen_symm_free(w);
    gsl_vector_free(eval);
    gsl_matrix_free(a);
    return rc;
}

int unc_model_prepare(unc_model *m, struct cd_err *err)
{
    if (m->prepared)
        return 0;
    gsl_set_error_handler_off();
    if (m->n_outputs == 0)
        return model_fail(m, 0, err, CD_ERR_INVALID, _("the model has no output quantity"));
    if (m->n_inputs == 0)
        return model_fail(m, 0, err, CD_ERR_INVALID, _("the model has no inputs"));
    int rc = build_correlation(m, err);
    if (rc != 0)
        return rc;
    for (size_t j = 0; j < m->n_outputs; j++) {
        struct unc_output *o = &m->outputs[j];
        char where[CD_ERR_MSG_MAX / 2];
        if (o->line > 0)
            snprintf(where, sizeof where, "%s:%d", m->source != NULL ? m->source : "model",
                     o->line);
        else
            snprintf(where, sizeof where, "%s", m->source != NULL ? m->source : "model");
        o->expr = expr_parse(o->text, lookup, m, where, err);
        if (o->expr == NULL)
            return err != NULL ? err->code : CD_ERR_PARSE;
        o->d1 = calloc(m->n_inputs, sizeof *o->d1);
        if (o->d1 == NULL)
            return model_fail(m, o->line, err, CD_ERR_NOMEM, _("out of memory"));
        for (size_t i = 0; i < m->n_inputs; i++) {
            struct cd_err why = {0};
            o->d1[i] = expr_diff(o->expr, (int)i, &why);
            if (o->d1[i] == NULL)
                return model_fail(m, o->line, err, why.code, _("output '%s': sensitivity to '%s': %s"),
                                  o->name, m->inputs[i].name, why.msg);
        }
        o->prog = expr_compile(o->expr);
        if (o->prog == NULL)
            return model_fail(m, o->line, err, CD_ERR_NOMEM, _("out of memory"));
    }
    m->prepared = true;
    return 0;
}

size_t unc_model_input_count(const unc_model *m)
{
    return m->n_inputs;
}

size_t unc_model_output_count(const unc_model *m)
{
    return m->n_outputs;
}

const char *unc_model_input_name(const unc_model *m, size_t i)
{
    return i < m->n_inputs ? m->inputs[i].name : NULL;
}

const char *unc_model_output_name(const unc_model *m, size_t j)
{
    return j < m->n_outputs ? m->outputs[j].name : NULL;
}

const char *unc_model_output_unit(const unc_model *m, size_t j)
{
    return j < m->n_outputs ? m->outputs[j].unit : NULL;
}

double unc_model_input_value(const unc_model *m, size_t i)
{
    return i < m->n_inputs ? m->inputs[i].value : NAN;
}

double unc_model_input_u(const unc_model *m, size_t i)
{
    return i < m->n_inputs ? m->inputs[i].u : NAN;
}

static const struct {
    const char *name;
    enum unc_dist dist;
} dist_names[] = {
    {"normal", UNC_DIST_NORMAL},           {"gaussian", UNC_DIST_NORMAL},
    {"rectangular", UNC_DIST_RECTANGULAR}, {"uniform", UNC_DIST_RECTANGULAR},
    {"triangular", UNC_DIST_TRIANGULAR},   {"arcsine", UNC_DIST_ARCSINE},
    {"u-shaped", UNC_DIST_ARCSINE},        {"student-t", UNC_DIST_STUDENT_T},
    {"t", UNC_DIST_STUDENT_T},             {"trapezoidal", UNC_DIST_TRAPEZOIDAL},
};

int unc_dist_parse(const char *name, enum unc_dist *out, struct cd_err *err)
{
    for (size_t i = 0; name != NULL && i < sizeof dist_names / sizeof dist_names[0]; i++) {
        if (strcasecmp(name, dist_names[i].name) == 0) {
            *out = dist_names[i].dist;
            return 0;
        }
    }
    return cd_fail(err, CD_ERR_INVALID,
                   _("unknown distribution '%s' (normal, rectangular, triangular, arcsine, "
                   "student-t, trapezoidal)"),
                   name != NULL ? name : "?");
}

const char *unc_dist_name(enum unc_dist d)
{
    for (size_t i = 0; i < sizeof dist_names / sizeof dist_names[0]; i++)
        if (dist_names[i].dist == d)
            return dist_names[i].name;
    return "?";
}
