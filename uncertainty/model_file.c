/* Uncertainty model files (YAML, format in docs/model-files.md): read with
 * libyaml's document API so that every error names the file and line. */
#include "unc.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "cd_yaml.h"
#include "unc_yaml.h"

#include "model_priv.h"
#include "cd_i18n.h"

struct reader {
    struct cd_yaml_doc y;   /* first: the shared helpers take &r->y */
};

static int is_null(const yaml_node_t *n)
{
    const char *s = cd_yaml_scalar(n);
    return s != NULL && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           (s[0] == '\0' || strcmp(s, "~") == 0 || strcasecmp(s, "null") == 0);
}

/* dof: a number >= 1; absent, null or inf mean infinite. */
static int get_dof(const struct reader *r, const yaml_node_t *n, const char *input, double *out)
{
    const char *s = cd_yaml_scalar(n);
    if (is_null(n) ||
        (s != NULL && (strcasecmp(s, "inf") == 0 || strcasecmp(s, ".inf") == 0 ||
                       strcasecmp(s, "infinite") == 0))) {
        *out = INFINITY;
        return 0;
    }
    char what[160];
    snprintf(what, sizeof what, "input '%s': dof", input);
    int rc = cd_yaml_number(&r->y, n, what, out);
    if (rc == 0 && *out <= 0)
        return cd_yaml_fail(&r->y, n, CD_ERR_INVALID, _("input '%s': dof = %g must be positive"), input, *out);
    if (rc == 0 && *out < 1)
        return cd_yaml_fail(&r->y, n, CD_ERR_INVALID, _("input '%s': dof = %g is below 1; %s"), input,
                            *out, UNC_DOF_BELOW_1_WHY);
    return rc;
}

typedef int (*pair_fn)(const struct reader *r, yaml_node_t *key, yaml_node_t *value, void *ctx);

static int each_pair(const struct reader *r, yaml_node_t *map, const char *what, pair_fn fn,
                     void *ctx)
{
    if (map->type != YAML_MAPPING_NODE)
        return cd_yaml_fail(&r->y, map, CD_ERR_PARSE, _("%s must be a mapping (key: value)"), what);
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = cd_yaml_node(&r->y, p->key);
        yaml_node_t *v = cd_yaml_node(&r->y, p->value);
        if (cd_yaml_scalar(k) == NULL)
            return cd_yaml_fail(&r->y, k, CD_ERR_PARSE, _("%s: keys must be plain names"), what);
        int rc = fn(r, k, v, ctx);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------ sections */

struct load {
    unc_model *m;
    struct unc_model_file_opts *opts;
};

static int add_constant(const struct reader *r, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    struct load *ld = ctx;
    const char *name = cd_yaml_scalar(k);
    char what[160];
    snprintf(what, sizeof what, "constant '%s'", name != NULL ? name : "?");
    double value;
    int rc = cd_yaml_number(&r->y, v, what, &value);
    if (rc != 0)
        return rc;
    return unc_model_add_constant(ld->m, name, value, cd_yaml_line(k), r->y.err);
}

static int get_dist(const struct reader *r, yaml_node_t *n, const char *input, enum unc_dist *out)
{
    struct cd_err why = {0};
    if (unc_dist_parse(cd_yaml_scalar(n), out, &why) != 0)
        return cd_yaml_fail(&r->y, n, CD_ERR_PARSE, _("input '%s': %s"), input, why.msg);
    return 0;
}

static int get_observations(const struct reader *r, yaml_node_t *n, const char *input,
                            double **out, size_t *count)
{
    if (n->type != YAML_SEQUENCE_NODE)
        return cd_yaml_fail(&r->y, n, CD_ERR_PARSE, _("input '%s': observations must be a list of numbers"),
                       input);
    size_t len = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    double *v = calloc(len + 1, sizeof *v);
    if (v == NULL)
        return cd_yaml_fail(&r->y, n, CD_ERR_NOMEM, _("out of memory"));
    for (size_t i = 0; i < len; i++) {
        yaml_node_t *item = cd_yaml_node(&r->y, n->data.sequence.items.start[i]);
        char what[160];
        snprintf(what, sizeof what, "input '%s': observation %zu", input, i + 1);
        int rc = cd_yaml_number(&r->y, item, what, &v[i]);
        if (rc != 0) {
            free(v);
            return rc;
        }
    }
    *out = v;
    *count = len;
    return 0;
}

static const char *const input_keys[] = {"name", "value", "u", "dof", "dist", "half_width",
                                         "beta", "unit", "observations", "simultaneous",
                                         "description", NULL};

static int add_input(const struct reader *r, struct load *ld, yaml_node_t *n)
{
    if (n->type != YAML_MAPPING_NODE)
        return cd_yaml_fail(&r->y, n, CD_ERR_PARSE,
                       _("each input must be a mapping such as {name: x, value: 1, u: 0.1}"));
    int rc = cd_yaml_check_keys(&r->y, n, "input", input_keys);
    if (rc != 0)
        return rc;
    const char *name = cd_yaml_scalar(cd_yaml_get(&r->y, n, "name"));
    if (name == NULL)
        return cd_yaml_fail(&r->y, n, CD_ERR_PARSE, _("input without a name"));
    const char *unit = cd_yaml_scalar(cd_yaml_get(&r->y, n, "unit"));
    int line = cd_yaml_line(n);

    yaml_node_t *obs = cd_yaml_get(&r->y, n, "observations");
    if (obs != NULL) {
        const char *excluded[] = {"value", "u", "dof", "dist", "half_width", "beta"};
        for (size_t i = 0; i < sizeof excluded / sizeof excluded[0]; i++)
            if (cd_yaml_get(&r->y, n, excluded[i]) != NULL)
                return cd_yaml_fail(&r->y, cd_yaml_get(&r->y, n, excluded[i]), CD_ERR_PARSE,
                               _("input '%s': '%s' cannot be given with observations (they "
                               "determine value, u and dof)"),
                               name, excluded[i]);
        bool simultaneous = false;
        yaml_node_t *sim = cd_yaml_get(&r->y, n, "simultaneous");
        if (sim != NULL) {
            const char *s = cd_yaml_scalar(sim);
            if (s != NULL && strcmp(s, "true") == 0)
                simultaneous = true;
            else if (s == NULL || strcmp(s, "false") != 0)
                return cd_yaml_fail(&r->y, sim, CD_ERR_PARSE,
                               _("input '%s': simultaneous must be true or false"), name);
        }
        double *v = NULL;
        size_t count = 0;
        rc = get_observations(r, obs, name, &v, &count);
        if (rc != 0)
            return rc;
        rc = unc_model_add_observations(ld->m, name, unit, v, count, simultaneous, line, r->y.err);
        free(v);
        return rc;
    }
    if (cd_yaml_get(&r->y, n, "simultaneous") != NULL)
        return cd_yaml_fail(&r->y, cd_yaml_get(&r->y, n, "simultaneous"), CD_ERR_PARSE,
                       _("input '%s': simultaneous applies only to observations"), name);

    struct unc_input_spec spec = {
        .name = name, .unit = unit, .dist = UNC_DIST_NORMAL, .value = NAN, .u = NAN,
        .half_width = NAN, .beta = 0, .dof = INFINITY, .line = line,
    };
    yaml_node_t *f;
    char what[160];
    if ((f = cd_yaml_get(&r->y, n, "dist")) != NULL && (rc = get_dist(r, f, name, &spec.dist)) != 0)
        return rc;
    if ((f = cd_yaml_get(&r->y, n, "value")) == NULL)
        return cd_yaml_fail(&r->y, n, CD_ERR_PARSE, _("input '%s': value is missing"), name);
    snprintf(what, sizeof what, "input '%s': value", name);
    if ((rc = cd_yaml_number(&r->y, f, what, &spec.value)) != 0)
        return rc;
    int wants_u = spec.dist == UNC_DIST_NORMAL || spec.dist == UNC_DIST_STUDENT_T;
    const char *needed = wants_u ? "u" : "half_width";
    const char *wrong = wants_u ? "half_width" : "u";
    if (cd_yaml_get(&r->y, n, wrong) != NULL)
        return cd_yaml_fail(&r->y, cd_yaml_get(&r->y, n, wrong), CD_ERR_PARSE,
                       _("input '%s': a %s distribution takes %s, not %s"), name,
                       cd_yaml_get(&r->y, n, "dist") != NULL ? cd_yaml_scalar(cd_yaml_get(&r->y, n, "dist")) : "normal",
                       needed, wrong);
    if ((f = cd_yaml_get(&r->y, n, needed)) == NULL)
        return cd_yaml_fail(&r->y, n, CD_ERR_PARSE, _("input '%s': %s is missing"), name, needed);
    snprintf(what, sizeof what, "input '%s': %s", name, needed);
    if ((rc = cd_yaml_number(&r->y, f, what, wants_u ? &spec.u : &spec.half_width)) != 0)
        return rc;
    if ((f = cd_yaml_get(&r->y, n, "beta")) != NULL) {
        if (spec.dist != UNC_DIST_TRAPEZOIDAL)
            return cd_yaml_fail(&r->y, f, CD_ERR_PARSE, _("input '%s': beta applies only to trapezoidal"),
                           name);
        snprintf(what, sizeof what, "input '%s': beta", name);
        if ((rc = cd_yaml_number(&r->y, f, what, &spec.beta)) != 0)
            return rc;
    } else if (spec.dist == UNC_DIST_TRAPEZOIDAL) {
        return cd_yaml_fail(&r->y, n, CD_ERR_PARSE,
                       _("input '%s': a trapezoidal distribution needs beta (top/base, 0..1)"), name);
    }
    if ((f = cd_yaml_get(&r->y, n, "dof")) != NULL && (rc = get_dof(r, f, name, &spec.dof)) != 0)
        return rc;
    return unc_model_add_input(ld->m, &spec, r->y.err);
}

static int add_correlation(const struct reader *r, struct load *ld, yaml_node_t *n)
{
    size_t len = n->type == YAML_SEQUENCE_NODE
                     ? (size_t)(n->data.sequence.items.top - n->data.sequence.items.start)
                     : 0;
    if (len != 3)
        return cd_yaml_fail(&r->y, n, CD_ERR_PARSE,
                       _("each correlation is a list [input_a, input_b, r]"));
    yaml_node_t *a = cd_yaml_node(&r->y, n->data.sequence.items.start[0]);
    yaml_node_t *b = cd_yaml_node(&r->y, n->data.sequence.items.start[1]);
    yaml_node_t *c = cd_yaml_node(&r->y, n->data.sequence.items.start[2]);
    if (cd_yaml_scalar(a) == NULL || cd_yaml_scalar(b) == NULL)
        return cd_yaml_fail(&r->y, n, CD_ERR_PARSE, _("correlation: the first two items name inputs"));
    double rv;
    int rc = cd_yaml_number(&r->y, c, _("correlation coefficient"), &rv);
    if (rc != 0)
        return rc;
    return unc_model_set_correlation(ld->m, cd_yaml_scalar(a), cd_yaml_scalar(b), rv, cd_yaml_line(n), r->y.err);
}

/* "expr", "Y = expr" or "Y1 = e1; Y2 = e2" */
static int add_model_text(const struct reader *r, struct load *ld, yaml_node_t *n,
                          const char *name, const char *unit)
{
    const char *text = cd_yaml_scalar(n);
    if (text == NULL)
        return cd_yaml_fail(&r->y, n, CD_ERR_PARSE, _("model must be an expression string"));
    char *copy = strdup(text);
    if (copy == NULL)
        return cd_yaml_fail(&r->y, n, CD_ERR_NOMEM, _("out of memory"));
    int rc = 0;
    int count = 0;
    char *save = NULL;
    for (char *eq = strtok_r(copy, ";", &save); eq != NULL && rc == 0;
         eq = strtok_r(NULL, ";", &save)) {
        char *expr = eq;
        const char *out_name = name;
        char *assign = strchr(eq, '=');
        if (assign != NULL) {
            *assign = '\0';
            char *lhs = eq;
            while (*lhs == ' ' || *lhs == '\t')
                lhs++;
            char *end = lhs + strlen(lhs);
            while (end > lhs && (end[-1] == ' ' || end[-1] == '\t'))
                *--end = '\0';
            out_name = lhs;
            expr = assign + 1;
        }
        while (*expr == ' ' || *expr == '\t')
            expr++;
        if (*expr == '\0')
            continue;
        if (out_name == NULL)
            out_name = "Y";
        count++;
        rc = unc_model_add_output(ld->m, out_name, count == 1 ? unit : NULL, expr, cd_yaml_line(n),
                                  r->y.err);
    }
    free(copy);
    if (rc == 0 && count == 0)
        return cd_yaml_fail(&r->y, n, CD_ERR_PARSE, _("model is empty"));
    return rc;
}

static int add_output(const struct reader *r, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    struct load *ld = ctx;
    const char *text = cd_yaml_scalar(v);
    const char *unit = NULL;
    if (v->type == YAML_MAPPING_NODE) {
        static const char *const keys[] = {"expr", "unit", NULL};
        int rc = cd_yaml_check_keys(&r->y, v, "output", keys);
        if (rc != 0)
            return rc;
        text = cd_yaml_scalar(cd_yaml_get(&r->y, v, "expr"));
        unit = cd_yaml_scalar(cd_yaml_get(&r->y, v, "unit"));
    }
    if (text == NULL)
        return cd_yaml_fail(&r->y, v, CD_ERR_PARSE, _("output '%s' needs an expression"), cd_yaml_scalar(k));
    return unc_model_add_output(ld->m, cd_yaml_scalar(k), unit, text, cd_yaml_line(k), r->y.err);
}

static int read_coverage(const struct reader *r, yaml_node_t *root, struct unc_coverage *c)
{
    c->p = UNC_P_DEFAULT;
    c->k = 0;
    yaml_node_t *p = cd_yaml_get(&r->y, root, "coverage");
    yaml_node_t *k = cd_yaml_get(&r->y, root, "k");
    if (p != NULL && k != NULL)
        return cd_yaml_fail(&r->y, k, CD_ERR_PARSE, _("give either coverage (a probability) or k, not both"));
    if (p != NULL) {
        int rc = cd_yaml_number(&r->y, p, "coverage", &c->p);
        if (rc != 0)
            return rc;
        if (!(c->p > 0 && c->p < 1))
            return cd_yaml_fail(&r->y, p, CD_ERR_INVALID,
                           _("coverage %g must be a probability such as 0.95 or 0.9545 "
                           "(write 0.95 for 95 %%)"),
                           c->p);
    }
    if (k != NULL) {
        int rc = cd_yaml_number(&r->y, k, "k", &c->k);
        if (rc != 0)
            return rc;
        if (!(c->k > 0))
            return cd_yaml_fail(&r->y, k, CD_ERR_INVALID, _("k must be positive"));
    }
    return 0;
}

/* tolerance: {low, high} | {nominal, mpe} for the only output, or
 * {OUTPUT: {...}, ...} per output. */
static int read_limits(const struct reader *r, struct load *ld, yaml_node_t *n, const char *output)
{
    static const char *const keys[] = {"low", "high", "nominal", "mpe", NULL};
    if (n->type != YAML_MAPPING_NODE)
        return cd_yaml_fail(&r->y, n, CD_ERR_PARSE,
                       _("tolerance must be {low: L, high: H} or {nominal: N, mpe: E}"));
    int rc = cd_yaml_check_keys(&r->y, n, "tolerance", keys);
    if (rc != 0)
        return rc;
    yaml_node_t *lo = cd_yaml_get(&r->y, n, "low");
    yaml_node_t *hi = cd_yaml_get(&r->y, n, "high");
    yaml_node_t *nom = cd_yaml_get(&r->y, n, "nominal");
    yaml_node_t *mpe = cd_yaml_get(&r->y, n, "mpe");
    double low = -INFINITY, high = INFINITY;
    if (nom != NULL || mpe != NULL) {
        if (lo != NULL || hi != NULL || nom == NULL || mpe == NULL)
            return cd_yaml_fail(&r->y, n, CD_ERR_PARSE,
                           _("tolerance: give nominal and mpe together, or low and/or high"));
        double v, e;
        if ((rc = cd_yaml_number(&r->y, nom, _("tolerance nominal"), &v)) != 0 ||
            (rc = cd_yaml_number(&r->y, mpe, _("tolerance mpe"), &e)) != 0)
            return rc;
        if (!(e > 0))
            return cd_yaml_fail(&r->y, mpe, CD_ERR_INVALID, _("tolerance mpe must be positive"));
        low = v - e;
        high = v + e;
    } else {
        if (lo != NULL && (rc = cd_yaml_number(&r->y, lo, _("tolerance low"), &low)) != 0)
            return rc;
        if (hi != NULL && (rc = cd_yaml_number(&r->y, hi, _("tolerance high"), &high)) != 0)
            return rc;
    }
    return unc_model_set_tolerance(ld->m, output, low, high, cd_yaml_line(n), r->y.err);
}

static int read_tolerance(const struct reader *r, struct load *ld, yaml_node_t *n)
{
    if (n->type != YAML_MAPPING_NODE)
        return cd_yaml_fail(&r->y, n, CD_ERR_PARSE, _("tolerance must be a mapping"));
    int per_output = 0;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++)
        if (cd_yaml_node(&r->y, p->value)->type == YAML_MAPPING_NODE)
            per_output = 1;
    if (!per_output) {
        if (unc_model_output_count(ld->m) != 1)
            return cd_yaml_fail(&r->y, n, CD_ERR_PARSE,
                           _("the model has several outputs: give tolerance as "
                           "{OUTPUT: {low: L, high: H}, ...}"));
        return read_limits(r, ld, n, unc_model_output_name(ld->m, 0));
    }
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        int rc = read_limits(r, ld, cd_yaml_node(&r->y, p->value), cd_yaml_scalar(cd_yaml_node(&r->y, p->key)));
        if (rc != 0)
            return rc;
    }
    return 0;
}

static const char *const top_keys[] = {"measurand", "model", "outputs", "constants", "inputs",
                                       "correlations", "coverage", "k", "tolerance",
                                       "decision_rule", "title", "description", "source", NULL};

static int add_measurand(const struct reader *r, struct load *ld, yaml_node_t *root,
                         yaml_node_t *model);

static int load_document(const struct reader *r, struct load *ld)
{
    yaml_node_t *root = yaml_document_get_root_node(r->y.doc);
    if (root == NULL)
        return cd_yaml_fail(&r->y, NULL, CD_ERR_PARSE, _("the file is empty"));
    if (root->type != YAML_MAPPING_NODE)
        return cd_yaml_fail(&r->y, root, CD_ERR_PARSE,
                       _("a model file is a mapping with model (or outputs) and inputs"));
    int rc = cd_yaml_check_keys(&r->y, root, _("model file"), top_keys);
    if (rc != 0)
        return rc;
    struct unc_coverage cov;
    if ((rc = read_coverage(r, root, &cov)) != 0)
        return rc;
    if (ld->opts != NULL)
        ld->opts->coverage = cov;
    struct unc_decision_rule rule;
    if ((rc = unc_yaml_decision_rule(&r->y, cd_yaml_get(&r->y, root, "decision_rule"), &rule)) != 0)
        return rc;
    if (ld->opts != NULL)
        ld->opts->rule = rule;

    yaml_node_t *n = cd_yaml_get(&r->y, root, "constants");
    if (n != NULL && (rc = each_pair(r, n, "constants", add_constant, ld)) != 0)
        return rc;

    n = cd_yaml_get(&r->y, root, "inputs");
    if (n == NULL)
        return cd_yaml_fail(&r->y, root, CD_ERR_PARSE, _("no inputs: the model file needs an inputs list"));
    if (n->type != YAML_SEQUENCE_NODE)
        return cd_yaml_fail(&r->y, n, CD_ERR_PARSE, _("inputs must be a list"));
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++)
        if ((rc = add_input(r, ld, cd_yaml_node(&r->y, *it))) != 0)
            return rc;

    n = cd_yaml_get(&r->y, root, "correlations");
    if (n != NULL && !is_null(n)) {
        if (n->type != YAML_SEQUENCE_NODE)
            return cd_yaml_fail(&r->y, n, CD_ERR_PARSE, _("correlations must be a list of [a, b, r]"));
        for (yaml_node_item_t *it = n->data.sequence.items.start;
             it < n->data.sequence.items.top; it++)
            if ((rc = add_correlation(r, ld, cd_yaml_node(&r->y, *it))) != 0)
                return rc;
    }

    yaml_node_t *model = cd_yaml_get(&r->y, root, "model");
    yaml_node_t *outputs = cd_yaml_get(&r->y, root, "outputs");
    if ((model == NULL) == (outputs == NULL))
        return cd_yaml_fail(&r->y, root, CD_ERR_PARSE,
                       _("give the model either as model: \"expression\" or as outputs: "
                       "{name: expression, ...}"));
    if (outputs != NULL) {
        if (cd_yaml_get(&r->y, root, "measurand") != NULL)
            return cd_yaml_fail(&r->y, cd_yaml_get(&r->y, root, "measurand"), CD_ERR_PARSE,
                           _("measurand goes with model; with outputs, name each output"));
        rc = each_pair(r, outputs, "outputs", add_output, ld);
    } else {
        rc = add_measurand(r, ld, root, model);
    }
    if (rc != 0)
        return rc;
    yaml_node_t *tol = cd_yaml_get(&r->y, root, "tolerance");
    return tol != NULL ? read_tolerance(r, ld, tol) : 0;
}

static int add_measurand(const struct reader *r, struct load *ld, yaml_node_t *root,
                         yaml_node_t *model)
{
    int rc;
    const char *name = NULL;
    const char *unit = NULL;
    yaml_node_t *meas = cd_yaml_get(&r->y, root, "measurand");
    if (meas != NULL) {
        static const char *const keys[] = {"name", "unit", "description", NULL};
        if (meas->type != YAML_MAPPING_NODE)
            return cd_yaml_fail(&r->y, meas, CD_ERR_PARSE, _("measurand must be {name: ..., unit: ...}"));
        if ((rc = cd_yaml_check_keys(&r->y, meas, "measurand", keys)) != 0)
            return rc;
        name = cd_yaml_scalar(cd_yaml_get(&r->y, meas, "name"));
        unit = cd_yaml_scalar(cd_yaml_get(&r->y, meas, "unit"));
    }
    return add_model_text(r, ld, model, name, unit);
}

static unc_model *load(yaml_document_t *docp, const char *source,
                       struct unc_model_file_opts *opts, struct cd_err *err)
{
    yaml_document_t doc = *docp;
    unc_model *m = unc_model_new(source);
    if (m == NULL) {
        yaml_document_delete(&doc);
        cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
        return NULL;
    }
    struct reader r = {.y = {.doc = &doc, .source = source, .err = err}};
    struct load ld = {.m = m, .opts = opts};
    if (opts != NULL)
        *opts = (struct unc_model_file_opts){
            .coverage = {.p = UNC_P_DEFAULT, .k = 0},
            .rule = {.rule = UNC_RULE_SIMPLE, .r = 1.0},
        };
    int rc = load_document(&r, &ld);
    yaml_document_delete(&doc);
    if (rc == 0)
        rc = unc_model_prepare(m, err);
    if (rc != 0) {
        unc_model_free(m);
        return NULL;
    }
    return m;
}

unc_model *unc_model_load_string(const char *text, const char *source,
                                 struct unc_model_file_opts *opts, struct cd_err *err)
{
    yaml_document_t doc;
    if (source == NULL)
        source = "model";
    if (cd_yaml_load_string(text, source, &doc, err) != 0)
        return NULL;
    return load(&doc, source, opts, err);
}

unc_model *unc_model_load_file(const char *path, struct unc_model_file_opts *opts,
                               struct cd_err *err)
{
    yaml_document_t doc;
    if (cd_yaml_load_file(path, &doc, err) != 0)
        return NULL;
    return load(&doc, path, opts, err);
}
