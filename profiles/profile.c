/* Profile files: a calibration procedure as YAML data, read with libyaml's
 * document API so that every error names the file and line. Format:
 * docs/profiles.md. The loader flattens the plan into test points and
 * parses every formula once, so a profile that loads can be evaluated. */
#include "prof.h"

#include <ctype.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "cd_yaml.h"
#include "unc_yaml.h"
#include "profile_priv.h"
#include "cd_i18n.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ ownership */

void prof_profile_free(struct prof_profile *p)
{
    if (p == NULL)
        return;
    struct prof_owned *o = (struct prof_owned *)p;
    for (size_t i = 0; i < o->n_formulas; i++)
        unc_formula_free(o->formulas[i]);
    free(o->formulas);
    cd_pool_free(&o->pool);
    free(o);
}

static void *keep(struct prof_owned *o, void *ptr)
{
    return cd_pool_keep(&o->pool, ptr);
}

static unc_formula *keep_formula(struct prof_owned *o, unc_formula *f)
{
    if (f == NULL)
        return NULL;
    if (o->n_formulas == o->cap_formulas) {
        size_t cap = o->cap_formulas ? 2 * o->cap_formulas : 32;
        unc_formula **nf = realloc(o->formulas, cap * sizeof *nf);
        if (nf == NULL) {
            unc_formula_free(f);
            return NULL;
        }
        o->formulas = nf;
        o->cap_formulas = cap;
    }
    o->formulas[o->n_formulas++] = f;
    return f;
}

/* ------------------------------------------------------------ reader */

struct reader {
    struct cd_yaml_doc y;   /* first: the shared helpers take &r->y */
    struct prof_owned *o;
    /* the constants as declared at the top level */
    size_t n_constants;
    const char **constant_names;
    double *constant_values;
};

#define FAIL(n, code, ...) cd_yaml_fail(&r->y, (n), (code), __VA_ARGS__)
#define NOMEM(n) FAIL((n), CD_ERR_NOMEM, _("out of memory"))

static int get_text(struct reader *r, yaml_node_t *map, const char *key, const char *what,
                    bool required, const char **out)
{
    yaml_node_t *n = cd_yaml_get(&r->y, map, key);
    if (n == NULL) {
        if (required)
            return FAIL(map, CD_ERR_PARSE, _("%s: %s is missing"), what, key);
        *out = "";
        return 0;
    }
    const char *s = cd_yaml_scalar(n);
    if (s == NULL)
        return FAIL(n, CD_ERR_PARSE, _("%s: %s must be text, not %s"), what, key,
                    cd_yaml_type_name(n));
    if (required && s[0] == '\0')
        return FAIL(n, CD_ERR_PARSE, _("%s: %s is empty"), what, key);
    if ((*out = keep(r->o, strdup(s))) == NULL)
        return NOMEM(n);
    return 0;
}

/* A text a document shows in both languages: one text (English, or the
 * same in both), or {en: ..., vi: ...} (en required when the text is,
 * vi optional). *vi is "" when not given. */
static int get_text_bi(struct reader *r, yaml_node_t *map, const char *key, const char *what,
                       bool required, const char **en, const char **vi)
{
    static const char *const keys[] = {"en", "vi", NULL};
    *vi = "";
    yaml_node_t *n = cd_yaml_get(&r->y, map, key);
    if (n == NULL || n->type != YAML_MAPPING_NODE)
        return get_text(r, map, key, what, required, en);
    char label[160];
    snprintf(label, sizeof label, "%s: %s", what, key);
    int rc = cd_yaml_check_keys(&r->y, n, label, keys);
    if (rc == 0)
        rc = get_text(r, n, "en", label, required, en);
    if (rc == 0)
        rc = get_text(r, n, "vi", label, false, vi);
    return rc;
}

static int get_number_key(struct reader *r, yaml_node_t *map, const char *key, const char *what,
                          bool required, double *out)
{
    yaml_node_t *n = cd_yaml_get(&r->y, map, key);
    if (n == NULL) {
        if (required)
            return FAIL(map, CD_ERR_PARSE, _("%s: %s is missing"), what, key);
        return 0;
    }
    char label[160];
    snprintf(label, sizeof label, "%s: %s", what, key);
    return cd_yaml_number(&r->y, n, label, out);
}

static size_t seq_len(const yaml_node_t *n)
{
    return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static yaml_node_t *seq_item(struct reader *r, const yaml_node_t *n, size_t i)
{
    return cd_yaml_node(&r->y, n->data.sequence.items.start[i]);
}

static int need_list(struct reader *r, yaml_node_t *n, const char *what)
{
    if (n->type != YAML_SEQUENCE_NODE)
        return FAIL(n, CD_ERR_PARSE, _("%s must be a list, not %s"), what, cd_yaml_type_name(n));
    if (seq_len(n) == 0)
        return FAIL(n, CD_ERR_INVALID, _("%s is empty"), what);
    return 0;
}

static bool is_identifier(const char *s)
{
    if (s == NULL || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return false;
    for (const char *c = s; *c; c++)
        if (!(isalnum((unsigned char)*c) || *c == '_'))
            return false;
    return true;
}

/* ------------------------------------------------------------ tolerance */

static int get_enum(struct reader *r, yaml_node_t *map, const char *key, const char *what,
                    int (*parse)(const char *, void *, struct cd_err *), void *out)
{
    yaml_node_t *n = cd_yaml_get(&r->y, map, key);
    if (n == NULL)
        return FAIL(map, CD_ERR_PARSE, _("%s: %s is missing"), what, key);
    struct cd_err why = {0};
    if (cd_yaml_scalar(n) == NULL || parse(cd_yaml_scalar(n), out, &why) != 0)
        return FAIL(n, CD_ERR_INVALID, "%s: %s: %s", what, key,
                    why.msg[0] ? why.msg : _("must be a name"));
    return 0;
}

/* Adapters from the typed parse functions of prof.h. */
#define ENUM_ADAPTER(fn, type)                                                                 \
    static int fn##_any(const char *s, void *out, struct cd_err *err)                         \
    {                                                                                          \
        return fn(s, (type *)out, err);                                                        \
    }
ENUM_ADAPTER(prof_tol_kind_parse, enum prof_tol_kind)
ENUM_ADAPTER(prof_mass_unit_parse, enum prof_mass_unit)
ENUM_ADAPTER(prof_r76_class_parse, enum prof_r76_class)
ENUM_ADAPTER(prof_r111_class_parse, enum prof_r111_class)
ENUM_ADAPTER(prof_asme_grade_parse, enum prof_asme_grade)
ENUM_ADAPTER(prof_std_kind_parse, enum prof_std_kind)

static int get_scale(struct reader *r, yaml_node_t *map, struct prof_scale *scale)
{
    yaml_node_t *n = cd_yaml_get(&r->y, map, "scale");
    if (n == NULL)
        return FAIL(map, CD_ERR_PARSE, _("tolerance: scale is missing ([low, high])"));
    if (n->type != YAML_SEQUENCE_NODE || seq_len(n) != 2)
        return FAIL(n, CD_ERR_PARSE, _("tolerance: scale must be [low, high]"));
    int rc;
    if ((rc = cd_yaml_number(&r->y, seq_item(r, n, 0), "tolerance: scale low", &scale->low)) ||
        (rc = cd_yaml_number(&r->y, seq_item(r, n, 1), "tolerance: scale high", &scale->high)))
        return rc;
    return 0;
}

static int get_bool(struct reader *r, yaml_node_t *n, const char *what, bool *out)
{
    const char *s = cd_yaml_scalar(n);
    if (s != NULL && (strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0)) {
        *out = true;
        return 0;
    }
    if (s != NULL && (strcasecmp(s, "false") == 0 || strcasecmp(s, "no") == 0)) {
        *out = false;
        return 0;
    }
    return FAIL(n, CD_ERR_PARSE, _("%s must be true or false"), what);
}

static int read_piecewise(struct reader *r, yaml_node_t *map, struct prof_piecewise *pw)
{
    static const char *const interp[] = {"step", "linear"};
    yaml_node_t *in = cd_yaml_get(&r->y, map, "interpolation");
    pw->interp = PROF_INTERP_STEP;
    if (in != NULL) {
        const char *s = cd_yaml_scalar(in);
        if (s != NULL && strcasecmp(s, interp[0]) == 0)
            pw->interp = PROF_INTERP_STEP;
        else if (s != NULL && strcasecmp(s, interp[1]) == 0)
            pw->interp = PROF_INTERP_LINEAR;
        else
            return FAIL(in, CD_ERR_INVALID, _("tolerance: interpolation must be step or linear"));
    }
    yaml_node_t *pts = cd_yaml_get(&r->y, map, "points");
    if (pts == NULL)
        return FAIL(map, CD_ERR_PARSE, _("tolerance: points is missing ([[x, mpe], ...])"));
    int rc = need_list(r, pts, "tolerance: points");
    if (rc != 0)
        return rc;
    size_t n = seq_len(pts);
    struct prof_point *p = keep(r->o, calloc(n, sizeof *p));
    if (p == NULL)
        return NOMEM(pts);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *e = seq_item(r, pts, i);
        if (e->type != YAML_SEQUENCE_NODE || seq_len(e) != 2)
            return FAIL(e, CD_ERR_PARSE, _("tolerance: each point must be [x, mpe]"));
        if ((rc = cd_yaml_number(&r->y, seq_item(r, e, 0), "tolerance: point x", &p[i].x)) ||
            (rc = cd_yaml_number(&r->y, seq_item(r, e, 1), "tolerance: point mpe", &p[i].mpe)))
            return rc;
    }
    pw->n_points = n;
    pw->points = p;
    return 0;
}

static int read_tolerance(struct reader *r, yaml_node_t *n, struct prof_tolerance *t)
{
    static const char *const keys[] = {"form", "class", "grade", "unit", "e", "d", "max", "min",
                                       "in_service", "scale", "table", "range", "pct_reading",
                                       "pct_range", "overrange_pct", "interpolation", "points",
                                       NULL};
    int rc = cd_yaml_check_keys(&r->y, n, "tolerance", keys);
    if (rc != 0)
        return rc;
    if ((rc = get_enum(r, n, "form", "tolerance", prof_tol_kind_parse_any, &t->kind)) != 0)
        return rc;
    /* keys that belong to another form are mistakes, not extras */
    static const char *const allowed[][12] = {
        [PROF_TOL_OIML_R76] = {"form", "class", "unit", "e", "d", "max", "min", "in_service"},
        [PROF_TOL_OIML_R111] = {"form", "class", "unit"},
        [PROF_TOL_EN837] = {"form", "class", "scale"},
        [PROF_TOL_ASME_B40] = {"form", "grade", "scale"},
        [PROF_TOL_DMM] = {"form", "table", "range", "pct_reading", "pct_range", "overrange_pct"},
        [PROF_TOL_PIECEWISE] = {"form", "interpolation", "points"},
    };
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = cd_yaml_node(&r->y, p->key);
        bool ok = false;
        for (size_t i = 0; i < 12 && allowed[t->kind][i] != NULL; i++)
            if (strcmp(allowed[t->kind][i], cd_yaml_scalar(k)) == 0)
                ok = true;
        if (!ok)
            return FAIL(k, CD_ERR_PARSE, _("tolerance: '%s' does not apply to form %s"),
                        cd_yaml_scalar(k), prof_tol_kind_name(t->kind));
    }
    yaml_node_t *v;
    switch (t->kind) {
    case PROF_TOL_OIML_R76:
        if ((rc = get_enum(r, n, "class", "tolerance", prof_r76_class_parse_any,
                           &t->r76.accuracy_class)) ||
            (rc = get_enum(r, n, "unit", "tolerance", prof_mass_unit_parse_any, &t->r76.unit)) ||
            (rc = get_number_key(r, n, "e", "tolerance", true, &t->r76.e)) ||
            (rc = get_number_key(r, n, "d", "tolerance", false, &t->r76.d)) ||
            (rc = get_number_key(r, n, "max", "tolerance", true, &t->r76.max)) ||
            (rc = get_number_key(r, n, "min", "tolerance", false, &t->r76.min)))
            return rc;
        if ((v = cd_yaml_get(&r->y, n, "in_service")) != NULL &&
            (rc = get_bool(r, v, "tolerance: in_service", &t->r76.in_service)) != 0)
            return rc;
        break;
    case PROF_TOL_OIML_R111:
        if ((rc = get_enum(r, n, "class", "tolerance", prof_r111_class_parse_any,
                           &t->r111.weight_class)) ||
            (rc = get_enum(r, n, "unit", "tolerance", prof_mass_unit_parse_any, &t->r111.unit)))
            return rc;
        break;
    case PROF_TOL_EN837:
        if ((rc = get_number_key(r, n, "class", "tolerance", true, &t->en837.class_pct)) ||
            (rc = get_scale(r, n, &t->en837.scale)))
            return rc;
        break;
    case PROF_TOL_ASME_B40:
        if ((rc = get_enum(r, n, "grade", "tolerance", prof_asme_grade_parse_any,
                           &t->asme.grade)) ||
            (rc = get_scale(r, n, &t->asme.scale)))
            return rc;
        break;
    case PROF_TOL_DMM:
        if ((v = cd_yaml_get(&r->y, n, "table")) != NULL) {
            struct cd_err why = {0};
            if (cd_yaml_scalar(v) == NULL ||
                prof_dmm_table_find(cd_yaml_scalar(v), &t->dmm.table, &why) != 0)
                return FAIL(v, CD_ERR_INVALID, _("tolerance: table: %s"),
                            why.msg[0] ? why.msg : _("must be a name"));
            if (cd_yaml_get(&r->y, n, "pct_reading") || cd_yaml_get(&r->y, n, "pct_range") ||
                cd_yaml_get(&r->y, n, "overrange_pct"))
                return FAIL(v, CD_ERR_INVALID,
                            _("tolerance: give either a table or pct_reading/pct_range, not both"));
        } else if ((rc = get_number_key(r, n, "pct_reading", "tolerance", true,
                                        &t->dmm.pct_reading)) ||
                   (rc = get_number_key(r, n, "pct_range", "tolerance", true,
                                        &t->dmm.pct_range)) ||
                   (rc = get_number_key(r, n, "overrange_pct", "tolerance", false,
                                        &t->dmm.overrange_pct))) {
            return rc;
        }
        t->dmm.range = NAN; /* from the plan unless given here */
        if ((rc = get_number_key(r, n, "range", "tolerance", false, &t->dmm.range)) != 0)
            return rc;
        return 0; /* checked per point, with the point's range */
    case PROF_TOL_PIECEWISE:
        if ((rc = read_piecewise(r, n, &t->piecewise)) != 0)
            return rc;
        break;
    default:
        return FAIL(n, CD_ERR_INVALID, _("tolerance: unknown form"));
    }
    struct cd_err why = {0};
    if (prof_tolerance_check(t, &why) != 0)
        return FAIL(n, CD_ERR_INVALID, _("tolerance: %s"), why.msg);
    return 0;
}

/* ------------------------------------------------------------ instrument */

static int read_instrument(struct reader *r, yaml_node_t *n, struct prof_profile *p)
{
    static const char *const keys[] = {"unit", "resolution", "tolerance", "description", NULL};
    int rc = cd_yaml_check_keys(&r->y, n, "instrument", keys);
    if (rc != 0 || (rc = get_text(r, n, "unit", "instrument", true, &p->unit)) != 0)
        return rc;
    yaml_node_t *res = cd_yaml_get(&r->y, n, "resolution");
    if (res == NULL)
        return FAIL(n, CD_ERR_PARSE,
                    _("instrument: resolution is missing (the scale interval d as displayed, or "
                    "'displayed' to take it from each reading)"));
    if (cd_yaml_scalar(res) != NULL && strcmp(cd_yaml_scalar(res), "displayed") == 0) {
        p->resolution = 0;
    } else {
        if ((rc = cd_yaml_number(&r->y, res, "instrument: resolution", &p->resolution)) != 0)
            return rc;
        if (!(p->resolution > 0))
            return FAIL(res, CD_ERR_INVALID, _("instrument: resolution = %g must be positive"),
                        p->resolution);
    }
    yaml_node_t *tol = cd_yaml_get(&r->y, n, "tolerance");
    if (tol == NULL)
        return FAIL(n, CD_ERR_PARSE, _("instrument: tolerance is missing"));
    if ((rc = read_tolerance(r, tol, &p->tolerance)) != 0)
        return rc;
    /* the mass forms state their unit: it must be the instrument's, or
     * loads and MPEs would be read in different units */
    enum prof_mass_unit mu = p->tolerance.kind == PROF_TOL_OIML_R76    ? p->tolerance.r76.unit
                             : p->tolerance.kind == PROF_TOL_OIML_R111 ? p->tolerance.r111.unit
                                                                       : PROF_MASS_UNSET;
    if (mu != PROF_MASS_UNSET && strcmp(prof_mass_unit_name(mu), p->unit) != 0)
        return FAIL(cd_yaml_get(&r->y, tol, "unit"), CD_ERR_INVALID,
                    _("tolerance: unit %s differs from the instrument's unit %s: state both in the "
                    "same unit"),
                    prof_mass_unit_name(mu), p->unit);
    return 0;
}

/* ------------------------------------------------------------ standards */

static int read_needs(struct reader *r, yaml_node_t *n, struct prof_profile *p)
{
    static const char *const keys[] = {"role", "kind", "id", "reference_value", "class", NULL};
    int rc = need_list(r, n, "standards");
    if (rc != 0)
        return rc;
    size_t count = seq_len(n);
    struct prof_std_need *needs = keep(r->o, calloc(count, sizeof *needs));
    if (needs == NULL)
        return NOMEM(n);
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *e = seq_item(r, n, i);
        struct prof_std_need *s = &needs[i];
        char what[64];
        snprintf(what, sizeof what, _("standards entry %zu"), i + 1);
        if ((rc = cd_yaml_check_keys(&r->y, e, what, keys)) ||
            (rc = get_text(r, e, "role", what, true, &s->role)) ||
            (rc = get_enum(r, e, "kind", what, prof_std_kind_parse_any, &s->kind)) ||
            (rc = get_text(r, e, "id", what, false, &s->id)))
            return rc;
        s->line = cd_yaml_line(e);
        for (size_t j = 0; j < i; j++)
            if (strcmp(needs[j].role, s->role) == 0)
                return FAIL(e, CD_ERR_INVALID, _("standards: role '%s' given twice (first on line %d)"),
                            s->role, needs[j].line);
        yaml_node_t *v = cd_yaml_get(&r->y, e, "reference_value");
        if (v != NULL) {
            const char *src = cd_yaml_scalar(v);
            if (src != NULL && strcmp(src, "certificate") == 0)
                s->source = PROF_REF_CERTIFICATE;
            else if (src != NULL && strcmp(src, "nominal") == 0)
                s->source = PROF_REF_NOMINAL;
            else
                return FAIL(v, CD_ERR_INVALID, _("%s: reference_value must be certificate or nominal"),
                            what);
            if (p->reference != NULL)
                return FAIL(v, CD_ERR_INVALID,
                            _("standards: only one standard gives the reference value ('%s' on "
                            "line %d already does)"),
                            p->reference->role, p->reference->line);
            p->reference = s;
        }
        if ((v = cd_yaml_get(&r->y, e, "class")) != NULL) {
            if (s->kind != PROF_STD_WEIGHT_SET)
                return FAIL(v, CD_ERR_INVALID, _("%s: class applies to weight sets only"), what);
            if ((rc = get_enum(r, e, "class", what, prof_r111_class_parse_any,
                               &s->weight_class)) != 0)
                return rc;
        }
    }
    p->needs = needs;
    p->n_needs = count;
    return 0;
}

/* ------------------------------------------------------------ constants */

static int read_constants(struct reader *r, yaml_node_t *n)
{
    if (n->type != YAML_MAPPING_NODE)
        return FAIL(n, CD_ERR_PARSE, _("constants must be a mapping (name: number)"));
    size_t count = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    r->constant_names = keep(r->o, calloc(count + 1, sizeof *r->constant_names));
    r->constant_values = keep(r->o, calloc(count + 1, sizeof *r->constant_values));
    if (r->constant_names == NULL || r->constant_values == NULL)
        return NOMEM(n);
    for (size_t i = 0; i < count; i++) {
        yaml_node_pair_t *pr = &n->data.mapping.pairs.start[i];
        yaml_node_t *k = cd_yaml_node(&r->y, pr->key);
        const char *name = cd_yaml_scalar(k);
        if (!is_identifier(name))
            return FAIL(k, CD_ERR_INVALID, _("constants: '%s' is not a name (letters, digits, _)"),
                        name ? name : "?");
        for (int s = 0; s < PROF_STAT_COUNT; s++)
            if (strcmp(prof_stat_name((enum prof_stat)s), name) == 0)
                return FAIL(k, CD_ERR_INVALID,
                            _("constants: '%s' is the name of a statistic of the test point"),
                            name);
        for (size_t j = 0; j < i; j++)
            if (strcmp(r->constant_names[j], name) == 0)
                return FAIL(k, CD_ERR_INVALID, _("constants: '%s' given twice"), name);
        char what[96];
        snprintf(what, sizeof what, "constant '%s'", name);
        int rc = cd_yaml_number(&r->y, cd_yaml_node(&r->y, pr->value), what,
                                &r->constant_values[i]);
        if (rc != 0)
            return rc;
        if ((r->constant_names[i] = keep(r->o, strdup(name))) == NULL)
            return NOMEM(k);
        r->n_constants = i + 1;
    }
    return 0;
}

/* ------------------------------------------------------------ plan */

struct point_list {
    struct prof_plan_point *v;
    size_t n, cap;
};

static struct prof_plan_point *add_point(struct reader *r, struct point_list *pl)
{
    if (pl->n == pl->cap) {
        size_t cap = pl->cap ? 2 * pl->cap : 32;
        struct prof_plan_point *nv = realloc(pl->v, cap * sizeof *nv);
        if (nv == NULL)
            return NULL;
        pl->v = nv;
        pl->cap = cap;
    }
    (void)r;
    struct prof_plan_point *pt = &pl->v[pl->n++];
    memset(pt, 0, sizeof *pt);
    return pt;
}

/* A load or set-point: a number, or {at: X, weights: [a, b, ...]}. */
static int read_load(struct reader *r, yaml_node_t *n, const char *what, double *at,
                     size_t *n_weights, const double **weights)
{
    static const char *const keys[] = {"at", "weights", NULL};
    *n_weights = 0;
    *weights = NULL;
    if (n->type != YAML_MAPPING_NODE)
        return cd_yaml_number(&r->y, n, what, at);
    int rc = cd_yaml_check_keys(&r->y, n, what, keys);
    if (rc != 0 || (rc = get_number_key(r, n, "at", what, true, at)) != 0)
        return rc;
    yaml_node_t *w = cd_yaml_get(&r->y, n, "weights");
    if (w == NULL)
        return 0;
    char label[128];
    snprintf(label, sizeof label, "%s: weights", what);
    if ((rc = need_list(r, w, label)) != 0)
        return rc;
    size_t count = seq_len(w);
    double *v = keep(r->o, calloc(count, sizeof *v));
    if (v == NULL)
        return NOMEM(w);
    double sum = 0;
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *e = seq_item(r, w, i);
        if ((rc = cd_yaml_number(&r->y, e, label, &v[i])) != 0)
            return rc;
        if (!(v[i] > 0))
            return FAIL(e, CD_ERR_INVALID, _("%s: a piece of %g is not positive"), label, v[i]);
        sum += v[i];
    }
    if (fabs(sum - *at) > 1e-9 * fmax(fabs(*at), 1e-300))
        return FAIL(w, CD_ERR_INVALID, _("%s: the pieces add up to %.15g, not %.15g"), label, sum,
                    *at);
    *n_weights = count;
    *weights = v;
    return 0;
}

static int get_repeat(struct reader *r, yaml_node_t *g, const char *what, unsigned dflt,
                      unsigned min, unsigned *out)
{
    yaml_node_t *n = cd_yaml_get(&r->y, g, "repeat");
    *out = dflt;
    if (n == NULL)
        return 0;
    double v;
    char label[96];
    snprintf(label, sizeof label, "%s: repeat", what);
    int rc = cd_yaml_number(&r->y, n, label, &v);
    if (rc != 0)
        return rc;
    if (v != floor(v) || v < min || v > 1000)
        return FAIL(n, CD_ERR_INVALID, _("%s = %g must be a whole number from %u to 1000"), label, v,
                    min);
    *out = (unsigned)v;
    return 0;
}

/* The group's constants: the profile's, with the group's overrides. */
static int group_constants(struct reader *r, yaml_node_t *g, const char *what,
                           const double **out)
{
    double *v = keep(r->o, calloc(r->n_constants + 1, sizeof *v));
    if (v == NULL)
        return NOMEM(g);
    if (r->n_constants > 0)
        memcpy(v, r->constant_values, r->n_constants * sizeof *v);
    *out = v;
    yaml_node_t *n = cd_yaml_get(&r->y, g, "constants");
    if (n == NULL)
        return 0;
    if (n->type != YAML_MAPPING_NODE)
        return FAIL(n, CD_ERR_PARSE, _("%s: constants must be a mapping (name: number)"), what);
    for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
         pr++) {
        yaml_node_t *k = cd_yaml_node(&r->y, pr->key);
        const char *name = cd_yaml_scalar(k);
        size_t j = 0;
        while (j < r->n_constants && (name == NULL || strcmp(r->constant_names[j], name) != 0))
            j++;
        if (j == r->n_constants)
            return FAIL(k, CD_ERR_INVALID,
                        _("%s: constant '%s' is not declared in the profile's constants (a group "
                        "may only change a declared constant)"),
                        what, name ? name : "?");
        char label[128];
        snprintf(label, sizeof label, "%s: constant '%s'", what, name);
        int rc = cd_yaml_number(&r->y, cd_yaml_node(&r->y, pr->value), label, &v[j]);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int read_series(struct reader *r, yaml_node_t *g, const char *what,
                       enum prof_direction dirs[8], size_t *n_dirs)
{
    yaml_node_t *n = cd_yaml_get(&r->y, g, "series");
    if (n == NULL) {
        dirs[0] = PROF_DIR_UP;
        *n_dirs = 1;
        return 0;
    }
    char label[96];
    snprintf(label, sizeof label, "%s: series", what);
    int rc = need_list(r, n, label);
    if (rc != 0)
        return rc;
    if (seq_len(n) > 8)
        return FAIL(n, CD_ERR_INVALID, _("%s: at most 8 series"), label);
    for (size_t i = 0; i < seq_len(n); i++) {
        const char *s = cd_yaml_scalar(seq_item(r, n, i));
        if (s != NULL && strcmp(s, "up") == 0)
            dirs[i] = PROF_DIR_UP;
        else if (s != NULL && strcmp(s, "down") == 0)
            dirs[i] = PROF_DIR_DOWN;
        else
            return FAIL(seq_item(r, n, i), CD_ERR_INVALID, _("%s: each series is up or down"), label);
    }
    *n_dirs = seq_len(n);
    return 0;
}

static int read_group(struct reader *r, struct prof_profile *p, yaml_node_t *g, size_t gi,
                      struct point_list *pl, int *have)
{
    static const char *const keys[] = {"test", "load", "points", "positions", "series", "repeat",
                                       "range", "resolution", "constants", "weights", NULL};
    char what[64];
    snprintf(what, sizeof what, _("plan entry %zu"), gi + 1);
    int rc = cd_yaml_check_keys(&r->y, g, what, keys);
    if (rc != 0)
        return rc;
    yaml_node_t *tn = cd_yaml_get(&r->y, g, "test");
    const char *tname = cd_yaml_scalar(tn);
    enum prof_test test = PROF_TEST_UNSET;
    for (int t = PROF_TEST_REPEATABILITY; t <= PROF_TEST_ERROR; t++)
        if (tname != NULL && strcmp(tname, prof_test_name((enum prof_test)t)) == 0)
            test = (enum prof_test)t;
    if (tn == NULL)
        return FAIL(g, CD_ERR_PARSE, _("%s: test is missing"), what);
    if (test == PROF_TEST_UNSET)
        return FAIL(tn, CD_ERR_INVALID, _("%s: test must be repeatability, eccentricity or error"),
                    what);
    if (test != PROF_TEST_ERROR && have[test])
        return FAIL(tn, CD_ERR_INVALID, _("%s: only one %s test per profile (the first is on line %d)"),
                    what, tname, have[test]);
    have[test] = cd_yaml_line(tn);
    if (test == PROF_TEST_ECCENTRICITY && p->family != PROF_FAMILY_BALANCE)
        return FAIL(tn, CD_ERR_INVALID, _("%s: an eccentricity test is for balances"), what);
    /* keys that do not fit the test */
    static const char *const not_for[][4] = {
        [PROF_TEST_REPEATABILITY] = {"points", "positions", "series", NULL},
        [PROF_TEST_ECCENTRICITY] = {"points", "series", NULL, NULL},
        [PROF_TEST_ERROR] = {"load", "positions", "weights", NULL},
    };
    for (size_t i = 0; i < 4 && not_for[test][i] != NULL; i++)
        if (cd_yaml_get(&r->y, g, not_for[test][i]) != NULL)
            return FAIL(g, CD_ERR_PARSE, _("%s: '%s' does not apply to a %s test"), what,
                        not_for[test][i], tname);

    double range = NAN, resolution = p->resolution;
    if ((rc = get_number_key(r, g, "range", what, false, &range)) != 0)
        return rc;
    if (!isnan(range) && !(range > 0))
        return FAIL(cd_yaml_get(&r->y, g, "range"), CD_ERR_INVALID, _("%s: range must be positive"),
                    what);
    if (p->tolerance.kind == PROF_TOL_DMM && isnan(range) && isnan(p->tolerance.dmm.range))
        return FAIL(g, CD_ERR_INVALID, _("%s: the DMM tolerance needs the range of this group"),
                    what);
    if (isnan(range) && p->tolerance.kind == PROF_TOL_DMM)
        range = p->tolerance.dmm.range;
    yaml_node_t *rn = cd_yaml_get(&r->y, g, "resolution");
    if (rn != NULL) {
        if ((rc = cd_yaml_number(&r->y, rn, "resolution", &resolution)) != 0)
            return rc;
        if (!(resolution > 0))
            return FAIL(rn, CD_ERR_INVALID, _("%s: resolution = %g must be positive"), what,
                        resolution);
    }
    const double *constants = NULL;
    if ((rc = group_constants(r, g, what, &constants)) != 0)
        return rc;

    struct prof_plan_point proto = {.group = gi, .test = test, .range = range,
                                    .resolution = resolution, .constants = constants,
                                    .position = "", .line = cd_yaml_line(g)};
    if (test == PROF_TEST_REPEATABILITY || test == PROF_TEST_ECCENTRICITY) {
        yaml_node_t *ln = cd_yaml_get(&r->y, g, "load");
        if (ln == NULL)
            return FAIL(g, CD_ERR_PARSE, _("%s: load is missing"), what);
        if ((rc = cd_yaml_number(&r->y, ln, "load", &proto.nominal)) != 0)
            return rc;
        if (!(proto.nominal > 0))
            return FAIL(ln, CD_ERR_INVALID, _("%s: load = %g must be positive"), what, proto.nominal);
        proto.line = cd_yaml_line(ln);
        yaml_node_t *w = cd_yaml_get(&r->y, g, "weights");
        if (w != NULL) {
            /* the same rule as a point {at, weights} */
            size_t nw = 0;
            const double *wv = NULL;
            char label[96];
            snprintf(label, sizeof label, "%s", what);
            if ((rc = need_list(r, w, "weights")) != 0)
                return rc;
            double *v = keep(r->o, calloc(seq_len(w), sizeof *v));
            if (v == NULL)
                return NOMEM(w);
            double sum = 0;
            for (size_t i = 0; i < seq_len(w); i++) {
                if ((rc = cd_yaml_number(&r->y, seq_item(r, w, i), "weights", &v[i])) != 0)
                    return rc;
                if (!(v[i] > 0))
                    return FAIL(seq_item(r, w, i), CD_ERR_INVALID,
                                _("%s: a piece of %g is not positive"), label, v[i]);
                sum += v[i];
            }
            if (fabs(sum - proto.nominal) > 1e-9 * proto.nominal)
                return FAIL(w, CD_ERR_INVALID, _("%s: the pieces add up to %.15g, not the load %.15g"),
                            label, sum, proto.nominal);
            nw = seq_len(w);
            wv = v;
            proto.n_weights = nw;
            proto.weights = wv;
        }
    }
    if (test == PROF_TEST_REPEATABILITY) {
        if ((rc = get_repeat(r, g, what, 6, 2, &proto.repeat)) != 0)
            return rc;
        proto.role = "repeatability";
        struct prof_plan_point *pt = add_point(r, pl);
        if (pt == NULL)
            return NOMEM(g);
        *pt = proto;
        return 0;
    }
    if (test == PROF_TEST_ECCENTRICITY) {
        if ((rc = get_repeat(r, g, what, 1, 1, &proto.repeat)) != 0)
            return rc;
        yaml_node_t *pos = cd_yaml_get(&r->y, g, "positions");
        if (pos == NULL)
            return FAIL(g, CD_ERR_PARSE, _("%s: positions is missing (e.g. [centre, front, left, "
                                         "back, right])"), what);
        if ((rc = need_list(r, pos, "positions")) != 0)
            return rc;
        if (seq_len(pos) < 2)
            return FAIL(pos, CD_ERR_INVALID, _("%s: at least two positions, the centre first"), what);
        for (size_t i = 0; i < seq_len(pos); i++) {
            yaml_node_t *e = seq_item(r, pos, i);
            const char *name = cd_yaml_scalar(e);
            if (name == NULL || name[0] == '\0')
                return FAIL(e, CD_ERR_PARSE, _("%s: each position is a name"), what);
            struct prof_plan_point *pt = add_point(r, pl);
            if (pt == NULL || (proto.position = keep(r->o, strdup(name))) == NULL)
                return NOMEM(e);
            *pt = proto;
            pt->role = "eccentricity";
            pt->line = cd_yaml_line(e);
        }
        return 0;
    }
    /* error of indication */
    enum prof_direction dirs[8];
    size_t n_dirs = 0;
    if ((rc = read_series(r, g, what, dirs, &n_dirs)) != 0 ||
        (rc = get_repeat(r, g, what, 1, 1, &proto.repeat)) != 0)
        return rc;
    yaml_node_t *pts = cd_yaml_get(&r->y, g, "points");
    if (pts == NULL)
        return FAIL(g, CD_ERR_PARSE, _("%s: points is missing"), what);
    if ((rc = need_list(r, pts, "points")) != 0)
        return rc;
    size_t n = seq_len(pts);
    double prev = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *e = seq_item(r, pts, i);
        double at;
        size_t nw;
        const double *wv;
        if ((rc = read_load(r, e, "point", &at, &nw, &wv)) != 0)
            return rc;
        if (!(at > prev))
            return FAIL(e, CD_ERR_INVALID,
                        _("%s: points must increase (%.15g after %.15g); down series walk them "
                        "backwards"),
                        what, at, prev);
        prev = at;
    }
    for (size_t s = 0; s < n_dirs; s++) {
        for (size_t k = 0; k < n; k++) {
            size_t i = dirs[s] == PROF_DIR_UP ? k : n - 1 - k;
            yaml_node_t *e = seq_item(r, pts, i);
            struct prof_plan_point *pt = add_point(r, pl);
            if (pt == NULL)
                return NOMEM(e);
            *pt = proto;
            (void)read_load(r, e, "point", &pt->nominal, &pt->n_weights, &pt->weights);
            pt->series = (int)s;
            pt->direction = dirs[s];
            pt->role = dirs[s] == PROF_DIR_UP ? "error-up" : "error-down";
            pt->line = cd_yaml_line(e);
        }
    }
    return 0;
}

static int read_plan(struct reader *r, yaml_node_t *n, struct prof_profile *p)
{
    int rc = need_list(r, n, "plan");
    if (rc != 0)
        return rc;
    struct point_list pl = {0};
    int have[PROF_TEST_ERROR + 1] = {0};
    for (size_t g = 0; g < seq_len(n) && rc == 0; g++)
        rc = read_group(r, p, seq_item(r, n, g), g, &pl, have);
    if (rc == 0 && !have[PROF_TEST_ERROR])
        rc = FAIL(n, CD_ERR_INVALID, _("plan: needs at least one error test (test: error)"));
    if (rc != 0) {
        free(pl.v);
        return rc;
    }
    if (keep(r->o, pl.v) == NULL)
        return NOMEM(n);
    for (size_t i = 0; i < pl.n; i++) {
        pl.v[i].index = i;
        struct cd_err why = {0};
        double lo, hi;
        if (pl.v[i].test == PROF_TEST_ERROR || pl.v[i].test == PROF_TEST_REPEATABILITY ||
            pl.v[i].test == PROF_TEST_ECCENTRICITY) {
            if (prof_point_limits(p, &pl.v[i], &lo, &hi, &why) != 0) {
                yaml_node_t at = {.start_mark = {.line = (size_t)pl.v[i].line - 1}};
                return FAIL(&at, CD_ERR_INVALID, _("test point %.15g %s: %s"), pl.v[i].nominal,
                            p->unit, why.msg);
            }
        }
    }
    p->points = pl.v;
    p->n_points = pl.n;
    p->n_groups = seq_len(n);
    return 0;
}

/* ------------------------------------------------------------ budget */

static int formula(struct reader *r, yaml_node_t *n, const char *what, const unc_formula **out)
{
    const char *text = cd_yaml_scalar(n);
    if (text == NULL || text[0] == '\0')
        return FAIL(n, CD_ERR_PARSE, _("%s must be a number or a formula, not %s"), what,
                    cd_yaml_type_name(n));
    const char **names = malloc((PROF_STAT_COUNT + r->n_constants) * sizeof *names);
    if (names == NULL)
        return NOMEM(n);
    size_t count = 0;
    for (int s = 0; s < PROF_STAT_COUNT; s++)
        names[count++] = prof_stat_name((enum prof_stat)s);
    for (size_t i = 0; i < r->n_constants; i++)
        names[count++] = r->constant_names[i];
    char where[512];
    snprintf(where, sizeof where, "%s:%d: %s", r->y.source, cd_yaml_line(n), what);
    unc_formula *f = unc_formula_parse(text, names, count, where, r->y.err);
    free(names);
    if (f == NULL)
        return r->y.err != NULL ? r->y.err->code : CD_ERR_PARSE;
    if (keep_formula(r->o, f) == NULL)
        return NOMEM(n);
    *out = f;
    return 0;
}

static int read_input(struct reader *r, yaml_node_t *n, struct prof_budget_input *in)
{
    static const char *const keys[] = {"name", "label", "dist", "value", "u", "half_width",
                                       "beta", "dof", "source", NULL};
    int rc = cd_yaml_check_keys(&r->y, n, _("budget input"), keys);
    if (rc != 0 || (rc = get_text(r, n, "name", _("budget input"), true, &in->name)) != 0)
        return rc;
    if (!is_identifier(in->name))
        return FAIL(cd_yaml_get(&r->y, n, "name"), CD_ERR_INVALID,
                    _("budget input: '%s' is not a name (letters, digits, _)"), in->name);
    char what[128];
    snprintf(what, sizeof what, _("budget input '%s'"), in->name);
    if ((rc = get_text_bi(r, n, "label", what, false, &in->label, &in->label_vi)) != 0 ||
        (rc = get_text_bi(r, n, "source", what, false, &in->source, &in->source_vi)) != 0)
        return rc;
    in->line = cd_yaml_line(n);
    in->dist = UNC_DIST_NORMAL;
    yaml_node_t *v = cd_yaml_get(&r->y, n, "dist");
    if (v != NULL) {
        struct cd_err why = {0};
        if (unc_dist_parse(cd_yaml_scalar(v), &in->dist, &why) != 0)
            return FAIL(v, CD_ERR_INVALID, "%s: %s", what, why.msg);
    }
    bool wants_u = in->dist == UNC_DIST_NORMAL || in->dist == UNC_DIST_STUDENT_T;
    yaml_node_t *un = cd_yaml_get(&r->y, n, "u"), *hn = cd_yaml_get(&r->y, n, "half_width");
    if (wants_u && un == NULL && hn != NULL)
        return FAIL(hn, CD_ERR_PARSE,
                    _("%s: half_width is given but the distribution is %s%s, which takes u: "
                    "add dist: rectangular (or another) or give u"),
                    what, unc_dist_name(in->dist),
                    cd_yaml_get(&r->y, n, "dist") == NULL ? _(" (the default)") : "");
    if (wants_u && un == NULL)
        return FAIL(n, CD_ERR_PARSE, _("%s: u is missing (a %s input is given by its standard "
                                     "uncertainty; write u: 0 for an exact value)"),
                    what, unc_dist_name(in->dist));
    if (!wants_u && hn == NULL)
        return FAIL(n, CD_ERR_PARSE, _("%s: half_width is missing (a %s input is given by its "
                                     "half-width)"),
                    what, unc_dist_name(in->dist));
    if (wants_u && hn != NULL)
        return FAIL(hn, CD_ERR_PARSE, _("%s: half_width does not apply to a %s input (give u)"),
                    what, unc_dist_name(in->dist));
    if (!wants_u && un != NULL)
        return FAIL(un, CD_ERR_PARSE, _("%s: u does not apply to a %s input (give half_width)"),
                    what, unc_dist_name(in->dist));
    char label[160];
    if ((v = cd_yaml_get(&r->y, n, "value")) != NULL) {
        snprintf(label, sizeof label, "%s: value", what);
        if ((rc = formula(r, v, label, &in->value)) != 0)
            return rc;
    }
    if (un != NULL) {
        snprintf(label, sizeof label, "%s: u", what);
        if ((rc = formula(r, un, label, &in->u)) != 0)
            return rc;
    }
    if (hn != NULL) {
        snprintf(label, sizeof label, "%s: half_width", what);
        if ((rc = formula(r, hn, label, &in->half_width)) != 0)
            return rc;
    }
    if ((v = cd_yaml_get(&r->y, n, "dof")) != NULL) {
        snprintf(label, sizeof label, "%s: dof", what);
        if ((rc = formula(r, v, label, &in->dof)) != 0)
            return rc;
    }
    if ((v = cd_yaml_get(&r->y, n, "beta")) != NULL) {
        if (in->dist != UNC_DIST_TRAPEZOIDAL)
            return FAIL(v, CD_ERR_PARSE, _("%s: beta applies to trapezoidal inputs only"), what);
        snprintf(label, sizeof label, "%s: beta", what);
        if ((rc = cd_yaml_number(&r->y, v, label, &in->beta)) != 0)
            return rc;
    }
    return 0;
}

/* A statistic the plan cannot produce is a mistake of the profile. */
static int check_stats_available(struct reader *r, const struct prof_profile *p, yaml_node_t *n,
                                 const struct prof_budget_input *in, const unc_formula *f)
{
    bool rep = false, ecc = false;
    for (size_t i = 0; i < p->n_points; i++) {
        rep |= p->points[i].test == PROF_TEST_REPEATABILITY;
        ecc |= p->points[i].test == PROF_TEST_ECCENTRICITY;
    }
    static const struct {
        enum prof_stat s;
        int needs; /* 1 repeatability, 2 eccentricity, 3 reference */
    } deps[] = {
        {PROF_STAT_S_REP, 1},    {PROF_STAT_N_REP, 1},  {PROF_STAT_ECC_MAX, 2},
        {PROF_STAT_ECC_LOAD, 2}, {PROF_STAT_REF, 3},    {PROF_STAT_U_REF, 3},
        {PROF_STAT_MPE_REF, 3},
    };
    if (f != NULL && !p->air.given &&
        (unc_formula_uses(f, PROF_STAT_RHO_A) || unc_formula_uses(f, PROF_STAT_U_RHO_A)))
        return FAIL(n, CD_ERR_INVALID,
                    _("budget input '%s' uses the air density (rho_a, u_rho_a), but the profile "
                    "gives no air_density (the sensors' uncertainties and the "
                    "estimate for runs that did not measure the conditions)"),
                    in->name);
    for (size_t i = 0; i < COUNT(deps); i++) {
        if (f == NULL || !unc_formula_uses(f, deps[i].s))
            continue;
        const char *name = prof_stat_name(deps[i].s);
        if (deps[i].needs == 1 && !rep)
            return FAIL(n, CD_ERR_INVALID,
                        _("budget input '%s' uses %s, but the plan has no repeatability test"),
                        in->name, name);
        if (deps[i].needs == 2 && !ecc)
            return FAIL(n, CD_ERR_INVALID,
                        _("budget input '%s' uses %s, but the plan has no eccentricity test"),
                        in->name, name);
        if (deps[i].needs == 3 && p->reference == NULL)
            return FAIL(n, CD_ERR_INVALID,
                        _("budget input '%s' uses %s, but no standard gives the reference value "
                        "(reference_value: certificate or nominal)"),
                        in->name, name);
        if (deps[i].s == PROF_STAT_U_REF && p->reference->source != PROF_REF_CERTIFICATE)
            return FAIL(n, CD_ERR_INVALID,
                        _("budget input '%s' uses u_ref, which needs reference_value: certificate "
                        "(a nominal reference has no certified uncertainty: state it in the "
                        "budget)"),
                        in->name);
        if (deps[i].s == PROF_STAT_MPE_REF && p->reference->weight_class == PROF_R111_UNSET)
            return FAIL(n, CD_ERR_INVALID,
                        _("budget input '%s' uses mpe_ref, which needs the class of the weights "
                        "(class: F1 in the standards entry)"),
                        in->name);
    }
    return 0;
}

static int read_budget(struct reader *r, yaml_node_t *n, struct prof_profile *p)
{
    static const char *const keys[] = {"output", "expression", "inputs", "coverage", "k", NULL};
    struct prof_budget *b = &p->budget;
    int rc = cd_yaml_check_keys(&r->y, n, "budget", keys);
    if (rc != 0 || (rc = get_text(r, n, "output", "budget", true, &b->output)) != 0 ||
        (rc = get_text(r, n, "expression", "budget", true, &b->expression)) != 0)
        return rc;
    if (!is_identifier(b->output))
        return FAIL(cd_yaml_get(&r->y, n, "output"), CD_ERR_INVALID,
                    _("budget: output '%s' is not a name"), b->output);
    b->line = cd_yaml_line(cd_yaml_get(&r->y, n, "expression"));
    b->coverage = (struct unc_coverage){.p = UNC_P_DEFAULT, .k = 0};
    yaml_node_t *cv = cd_yaml_get(&r->y, n, "coverage"), *kv = cd_yaml_get(&r->y, n, "k");
    if (cv != NULL && kv != NULL)
        return FAIL(kv, CD_ERR_INVALID, _("budget: give coverage (a probability) or k, not both"));
    if (cv != NULL) {
        if ((rc = cd_yaml_number(&r->y, cv, "budget: coverage", &b->coverage.p)) != 0)
            return rc;
        if (!(b->coverage.p > 0 && b->coverage.p < 1))
            return FAIL(cv, CD_ERR_INVALID, _("budget: coverage = %g must be between 0 and 1"),
                        b->coverage.p);
    }
    if (kv != NULL) {
        if ((rc = cd_yaml_number(&r->y, kv, "budget: k", &b->coverage.k)) != 0)
            return rc;
        if (!(b->coverage.k > 0))
            return FAIL(kv, CD_ERR_INVALID, _("budget: k = %g must be positive"), b->coverage.k);
    }
    yaml_node_t *ins = cd_yaml_get(&r->y, n, "inputs");
    if (ins == NULL)
        return FAIL(n, CD_ERR_PARSE, _("budget: inputs is missing"));
    if ((rc = need_list(r, ins, "budget: inputs")) != 0)
        return rc;
    size_t count = seq_len(ins);
    struct prof_budget_input *in = keep(r->o, calloc(count, sizeof *in));
    if (in == NULL)
        return NOMEM(ins);
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *e = seq_item(r, ins, i);
        if ((rc = read_input(r, e, &in[i])) != 0)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(in[j].name, in[i].name) == 0)
                return FAIL(e, CD_ERR_INVALID, _("budget: input '%s' given twice (first on line %d)"),
                            in[i].name, in[j].line);
        const unc_formula *fs[] = {in[i].value, in[i].u, in[i].half_width, in[i].dof};
        for (size_t k = 0; k < COUNT(fs); k++) {
            if ((rc = check_stats_available(r, p, e, &in[i], fs[k])) != 0)
                return rc;
            r->o->uses_mpe_ref |= unc_formula_uses(fs[k], PROF_STAT_MPE_REF);
        }
    }
    b->inputs = in;
    b->n_inputs = count;
    /* The expression must name inputs only: build the model once with
     * trial values so that an unknown name fails here, at its line. */
    unc_model *m = unc_model_new(r->y.source);
    if (m == NULL)
        return NOMEM(n);
    for (size_t i = 0; i < r->n_constants && rc == 0; i++)
        rc = unc_model_add_constant(m, r->constant_names[i], r->constant_values[i], b->line,
                                    r->y.err);
    for (size_t i = 0; i < count && rc == 0; i++) {
        struct unc_input_spec spec = {.name = in[i].name, .dist = in[i].dist, .value = 1,
                                      .u = 1, .half_width = 1, .beta = in[i].beta,
                                      .dof = INFINITY, .line = in[i].line};
        rc = unc_model_add_input(m, &spec, r->y.err);
    }
    if (rc == 0)
        rc = unc_model_add_output(m, b->output, p->unit, b->expression, b->line, r->y.err);
    if (rc == 0)
        rc = unc_model_prepare(m, r->y.err);
    unc_model_free(m);
    return rc;
}

/* ------------------------------------------------------------ document */

static int read_title(struct reader *r, yaml_node_t *root, struct prof_profile *p)
{
    static const char *const keys[] = {"en", "vi", NULL};
    yaml_node_t *n = cd_yaml_get(&r->y, root, "title");
    if (n == NULL)
        return FAIL(root, CD_ERR_PARSE, _("title is missing ({en: ..., vi: ...})"));
    int rc = cd_yaml_check_keys(&r->y, n, "title", keys);
    if (rc != 0 || (rc = get_text(r, n, "en", "title", true, &p->title_en)) != 0 ||
        (rc = get_text(r, n, "vi", "title", true, &p->title_vi)) != 0)
        return rc;
    return 0;
}

static int read_family(struct reader *r, yaml_node_t *root, struct prof_profile *p)
{
    yaml_node_t *n = cd_yaml_get(&r->y, root, "family");
    if (n == NULL)
        return FAIL(root, CD_ERR_PARSE,
                    _("family is missing (balance, pressure, dmm or temperature)"));
    for (int f = PROF_FAMILY_BALANCE; f <= PROF_FAMILY_TEMPERATURE; f++)
        if (cd_yaml_scalar(n) && strcmp(cd_yaml_scalar(n), prof_family_name(f)) == 0)
            p->family = (enum prof_family)f;
    if (p->family == PROF_FAMILY_UNSET)
        return FAIL(n, CD_ERR_INVALID, _("family must be balance, pressure, dmm or temperature"));
    return 0;
}

/* ------------------------------------------------------------ two sides, verification */

/* A name from `names` (indexed by the enum, [0] unused) for `key`; absent:
 * `dflt`. */
static int get_choice(struct reader *r, yaml_node_t *map, const char *key, const char *what,
                      const char *const *names, int count, int dflt, int *out)
{
    yaml_node_t *n = cd_yaml_get(&r->y, map, key);
    *out = dflt;
    if (n == NULL)
        return 0;
    const char *s = cd_yaml_scalar(n);
    if (s == NULL)
        return FAIL(n, CD_ERR_PARSE, _("%s%s must be text, not %s"), what, key, cd_yaml_type_name(n));
    char list[160] = "";
    for (int i = 1; i < count; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = i;
            return 0;
        }
        size_t len = strlen(list);
        snprintf(list + len, sizeof list - len, "%s%s", i == 1 ? "" : i == count - 1 ? " or " : ", ",
                 names[i]);
    }
    return FAIL(n, CD_ERR_INVALID, _("%s%s '%s' is not known: %s"), what, key, s, list);
}

static bool is_check_id(const char *s)
{
    if (s == NULL || s[0] == '\0')
        return false;
    for (const char *c = s; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'))
            return false;
    return true;
}

/* {en: ..., vi: ...}, both optional. */
static int read_label(struct reader *r, yaml_node_t *side, const char *what, const char **en,
                      const char **vi)
{
    static const char *const keys[] = {"en", "vi", NULL};
    *en = *vi = "";
    yaml_node_t *n = cd_yaml_get(&r->y, side, "label");
    if (n == NULL)
        return 0;
    char label[64];
    snprintf(label, sizeof label, "%s: label", what);
    int rc = cd_yaml_check_keys(&r->y, n, label, keys);
    if (rc == 0)
        rc = get_text(r, n, "en", label, false, en);
    if (rc == 0)
        rc = get_text(r, n, "vi", label, false, vi);
    return rc;
}

/* item: or reference: (docs/profiles.md, "Two sides of a test point"). The
 * instrument section and the tolerance are read before. */
static int read_side(struct reader *r, yaml_node_t *root, const char *key, bool is_ref,
                     struct prof_profile *p, struct prof_side *side)
{
    static const char *const keys[] = {"read", "driver", "label", "range", "resolution",
                                       "confirm_beyond_mpe", NULL};
    static const char *const reads[] = {"?", "instrument", "typed", "certified"};
    *side = (struct prof_side){.read = is_ref ? PROF_READ_CERTIFIED : PROF_READ_INSTRUMENT,
                               .driver = "", .label_en = "", .label_vi = "", .low = NAN,
                               .high = NAN, .resolution = 0, .confirm_beyond_mpe = 0,
                               .line = cd_yaml_line(root)};
    yaml_node_t *n = cd_yaml_get(&r->y, root, key);
    if (n == NULL)
        return 0;
    side->line = cd_yaml_line(n);
    char what[32];
    snprintf(what, sizeof what, "%s", key);
    int rc = cd_yaml_check_keys(&r->y, n, what, keys);
    if (rc != 0)
        return rc;
    snprintf(what, sizeof what, "%s: ", key);
    int read;
    if ((rc = get_choice(r, n, "read", what, reads, 4, (int)side->read, &read)) != 0)
        return rc;
    side->read = (enum prof_read)read;
    if (!is_ref && side->read == PROF_READ_CERTIFIED)
        return FAIL(cd_yaml_get(&r->y, n, "read"), CD_ERR_INVALID,
                    _("item: read certified is for the reference (the item is read by an "
                    "instrument or typed)"));
    if ((rc = read_label(r, n, key, &side->label_en, &side->label_vi)) != 0)
        return rc;
    yaml_node_t *v = cd_yaml_get(&r->y, n, "driver");
    if (v != NULL && side->read != PROF_READ_INSTRUMENT)
        return FAIL(v, CD_ERR_INVALID, _("%s: driver applies to a side read by an instrument "
                                       "(read: instrument), not to read: %s"),
                    key, reads[side->read]);
    if ((rc = get_text(r, n, "driver", key, false, &side->driver)) != 0)
        return rc;
    if (v != NULL && side->driver[0] == '\0')
        return FAIL(v, CD_ERR_INVALID, _("%s: driver is empty"), key);
    static const char *const typed_only[] = {"range", "resolution", "confirm_beyond_mpe"};
    for (size_t i = 0; i < COUNT(typed_only); i++)
        if ((v = cd_yaml_get(&r->y, n, typed_only[i])) != NULL && side->read != PROF_READ_TYPED)
            return FAIL(v, CD_ERR_INVALID, _("%s: %s applies to a side typed by the technician "
                                           "(read: typed), not to read: %s"),
                        key, typed_only[i], reads[side->read]);
    if (side->read != PROF_READ_TYPED)
        return 0;
    /* typed: the defaults, then what the section says */
    if (!is_ref) {
        side->resolution = p->resolution;
        if (p->tolerance.kind == PROF_TOL_EN837) {
            side->low = p->tolerance.en837.scale.low;
            side->high = p->tolerance.en837.scale.high;
        } else if (p->tolerance.kind == PROF_TOL_ASME_B40) {
            side->low = p->tolerance.asme.scale.low;
            side->high = p->tolerance.asme.scale.high;
        }
    }
    side->confirm_beyond_mpe = 5;
    if ((v = cd_yaml_get(&r->y, n, "range")) != NULL) {
        if (v->type != YAML_SEQUENCE_NODE || seq_len(v) != 2)
            return FAIL(v, CD_ERR_PARSE, _("%s: range must be [low, high]"), key);
        char label[48];
        snprintf(label, sizeof label, "%s: range", key);
        if ((rc = cd_yaml_number(&r->y, seq_item(r, v, 0), label, &side->low)) != 0 ||
            (rc = cd_yaml_number(&r->y, seq_item(r, v, 1), label, &side->high)) != 0)
            return rc;
        if (!(side->low < side->high))
            return FAIL(v, CD_ERR_INVALID, _("%s: range [%.15g, %.15g]: low must be below high"),
                        key, side->low, side->high);
    }
    if ((rc = get_number_key(r, n, "resolution", key, false, &side->resolution)) != 0)
        return rc;
    if (!(side->resolution >= 0))
        return FAIL(cd_yaml_get(&r->y, n, "resolution"), CD_ERR_INVALID,
                    _("%s: resolution = %g must be positive (or 0: any number of decimals)"), key,
                    side->resolution);
    if ((rc = get_number_key(r, n, "confirm_beyond_mpe", key, false,
                             &side->confirm_beyond_mpe)) != 0)
        return rc;
    if (!(side->confirm_beyond_mpe >= 0))
        return FAIL(cd_yaml_get(&r->y, n, "confirm_beyond_mpe"), CD_ERR_INVALID,
                    _("%s: confirm_beyond_mpe = %g must be 0 (never ask) or more"), key,
                    side->confirm_beyond_mpe);
    return 0;
}

/* The plan's nominals of a typed item must be values the technician may type. */
static int check_typed_range(struct reader *r, const struct prof_profile *p, yaml_node_t *root)
{
    const struct prof_side *s = &p->item;
    if (s->read != PROF_READ_TYPED || isnan(s->low))
        return 0;
    for (size_t i = 0; i < p->n_points; i++) {
        double x = p->points[i].nominal;
        if (x < s->low || x > s->high) {
            yaml_node_t *n = cd_yaml_get(&r->y, root, "item");
            yaml_node_t *rn = n != NULL ? cd_yaml_get(&r->y, n, "range") : NULL;
            return FAIL(rn != NULL ? rn : n, CD_ERR_INVALID,
                        _("item: test point %.15g %s (line %d) is outside the range [%.15g, %.15g] "
                        "a typed reading may take"),
                        x, p->unit, p->points[i].line, s->low, s->high);
        }
    }
    return 0;
}

/* A reference that is read (instrument or typed) is the standard of role
 * `reference`: its certificate gives the correction and U, so it counts as
 * the certificate reference of the profile. */
static int bind_read_reference(struct reader *r, struct prof_profile *p, yaml_node_t *root)
{
    if (p->ref.read == PROF_READ_CERTIFIED)
        return 0;
    yaml_node_t *at = cd_yaml_get(&r->y, root, "reference");
    struct prof_std_need *need = NULL;
    for (size_t i = 0; i < p->n_needs; i++)
        if (strcmp(p->needs[i].role, "reference") == 0)
            need = (struct prof_std_need *)&p->needs[i]; /* owned by this loader */
    if (need == NULL)
        return FAIL(at, CD_ERR_INVALID,
                    _("reference: read %s needs a standards entry with role: reference (its "
                    "register entry gives the correction and the uncertainty U)"),
                    prof_read_name(p->ref.read));
    if (p->reference != NULL && p->reference != need)
        return FAIL(at, CD_ERR_INVALID,
                    _("reference: read %s: the reference value comes from the reading of the "
                    "standard of role reference, not from '%s' (line %d): remove its "
                    "reference_value"),
                    prof_read_name(p->ref.read), p->reference->role, p->reference->line);
    if (need->source == PROF_REF_NOMINAL) {
        yaml_node_t *line = &(yaml_node_t){.start_mark = {.line = (size_t)need->line - 1}};
        return FAIL(line, CD_ERR_INVALID,
                    _("standards: role reference: reference_value nominal does not apply to a "
                    "reference that is read (read: %s): write certificate or leave it out"),
                    prof_read_name(p->ref.read));
    }
    need->source = PROF_REF_CERTIFICATE;
    p->reference = need;
    return 0;
}

/* A path the profile names (register, cycles): relative to its directory
 * unless absolute. */
static int resolve_path(struct reader *r, yaml_node_t *at, const char *rel, const char **out)
{
    if (rel[0] == '/') {
        *out = rel;
        return 0;
    }
    char *copy = strdup(r->y.source);
    if (copy == NULL)
        return NOMEM(at);
    const char *dir = dirname(copy);
    size_t len = strlen(dir) + strlen(rel) + 2;
    char *path = keep(r->o, malloc(len));
    if (path != NULL)
        snprintf(path, len, "%s/%s", dir, rel);
    free(copy);
    if (path == NULL)
        return NOMEM(at);
    *out = path;
    return 0;
}

static int read_check(struct reader *r, yaml_node_t *e, size_t i, struct prof_check *c)
{
    static const char *const keys[] = {"stage", "id", "vi", "en", "clause", NULL};
    static const char *const stages[] = {"?", "external", "technical"};
    char what[48];
    snprintf(what, sizeof what, _("verification: check %zu"), i + 1);
    int rc = cd_yaml_check_keys(&r->y, e, what, keys);
    if (rc != 0 || (rc = get_text(r, e, "id", what, true, &c->id)) != 0)
        return rc;
    if (!is_check_id(c->id))
        return FAIL(cd_yaml_get(&r->y, e, "id"), CD_ERR_INVALID,
                    _("%s: id '%s': lower-case letters, digits and '-' only"), what, c->id);
    snprintf(what, sizeof what, _("verification: check '%s'"), c->id);
    if (cd_yaml_get(&r->y, e, "stage") == NULL)
        return FAIL(e, CD_ERR_PARSE, _("%s: stage is missing (external or technical)"), what);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "%s: ", what);
    int stage;
    if ((rc = get_choice(r, e, "stage", prefix, stages, 3, 0, &stage)) != 0)
        return rc;
    c->stage = (enum prof_check_stage)stage;
    if ((rc = get_text(r, e, "vi", what, true, &c->text_vi)) != 0 ||
        (rc = get_text(r, e, "en", what, true, &c->text_en)) != 0 ||
        (rc = get_text(r, e, "clause", what, false, &c->clause)) != 0)
        return rc;
    c->line = cd_yaml_line(e);
    return 0;
}

static int read_verification(struct reader *r, yaml_node_t *root, struct prof_profile *p)
{
    static const char *const keys[] = {"instrument_type", "cycles", "reference_ratio",
                                       "ratio_source", "checks", NULL};
    struct prof_verification *v = &p->verification;
    yaml_node_t *n = cd_yaml_get(&r->y, root, "verification");
    if (p->kind != PROF_KIND_VERIFICATION) {
        *v = (struct prof_verification){.instrument_type = "", .cycles_path = "",
                                        .reference_ratio = NAN, .ratio_source = ""};
        if (n != NULL)
            return FAIL(n, CD_ERR_INVALID,
                        _("verification applies to kind: verification (this profile is a %s)"),
                        prof_kind_name(p->kind));
        return 0;
    }
    if (n == NULL)
        return FAIL(root, CD_ERR_PARSE,
                    _("kind verification: the verification section is missing (instrument_type, "
                    "checks, ...)"));
    if (p->national_document[0] == '\0')
        return FAIL(root, CD_ERR_PARSE,
                    _("kind verification: national_document is missing (the ĐLVN procedure)"));
    int rc = cd_yaml_check_keys(&r->y, n, "verification", keys);
    if (rc != 0 || (rc = get_text(r, n, "instrument_type", "verification", true,
                                  &v->instrument_type)) != 0)
        return rc;
    if (!is_check_id(v->instrument_type))
        return FAIL(cd_yaml_get(&r->y, n, "instrument_type"), CD_ERR_INVALID,
                    _("verification: instrument_type '%s': lower-case letters, digits and '-' "
                    "only (a type of the cycles table)"),
                    v->instrument_type);
    const char *rel;
    if ((rc = get_text(r, n, "cycles", "verification", false, &rel)) != 0)
        return rc;
    if (cd_yaml_get(&r->y, n, "cycles") != NULL && rel[0] == '\0')
        return FAIL(cd_yaml_get(&r->y, n, "cycles"), CD_ERR_INVALID, _("verification: cycles is empty"));
    if ((rc = resolve_path(r, n, rel[0] ? rel : "verification-cycles.yaml", &v->cycles_path)) != 0)
        return rc;
    v->reference_ratio = 3;
    if ((rc = get_number_key(r, n, "reference_ratio", "verification", false,
                             &v->reference_ratio)) != 0)
        return rc;
    if (!(v->reference_ratio >= 1))
        return FAIL(cd_yaml_get(&r->y, n, "reference_ratio"), CD_ERR_INVALID,
                    _("verification: reference_ratio = %g must be 1 or more (MPE >= ratio x U of "
                    "the reference)"),
                    v->reference_ratio);
    if ((rc = get_text(r, n, "ratio_source", "verification", false, &v->ratio_source)) != 0)
        return rc;
    yaml_node_t *cl = cd_yaml_get(&r->y, n, "checks");
    if (cl == NULL)
        return FAIL(n, CD_ERR_PARSE, _("verification: checks is missing (the external and "
                                     "technical inspection, at least one)"));
    if ((rc = need_list(r, cl, "verification: checks")) != 0)
        return rc;
    size_t count = seq_len(cl);
    struct prof_check *c = keep(r->o, calloc(count, sizeof *c));
    if (c == NULL)
        return NOMEM(cl);
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *e = seq_item(r, cl, i);
        if ((rc = read_check(r, e, i, &c[i])) != 0)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(c[j].id, c[i].id) == 0)
                return FAIL(cd_yaml_get(&r->y, e, "id"), CD_ERR_INVALID,
                            _("verification: check id '%s' given twice (first on line %d)"),
                            c[i].id, c[j].line);
    }
    v->checks = c;
    v->n_checks = count;
    return 0;
}

/* kind, method, item and reference (before the standards: read_sides_after
 * binds a read reference to them). */
static int read_sides(struct reader *r, yaml_node_t *root, struct prof_profile *p)
{
    static const char *const kinds[] = {"?", "calibration", "verification"};
    static const char *const comparisons[] = {"?", "set-reference", "set-item"};
    int k, m, rc;
    if ((rc = get_choice(r, root, "kind", "", kinds, 3, PROF_KIND_CALIBRATION, &k)) != 0 ||
        (rc = get_choice(r, root, "comparison", "", comparisons, 3, PROF_METHOD_SET_REFERENCE,
                         &m)) != 0)
        return rc;
    p->kind = (enum prof_kind)k;
    p->comparison = (enum prof_method)m;
    if ((rc = read_side(r, root, "item", false, p, &p->item)) != 0 ||
        (rc = read_side(r, root, "reference", true, p, &p->ref)) != 0)
        return rc;
    if (p->comparison == PROF_METHOD_SET_ITEM && p->ref.read == PROF_READ_CERTIFIED) {
        yaml_node_t *at = cd_yaml_get(&r->y, root, "comparison");
        return FAIL(at, CD_ERR_INVALID,
                    _("comparison set-item brings the item to the nominal and reads the reference, "
                    "so the reference must be read (reference: {read: instrument} or "
                    "{read: typed}), not certified"));
    }
    return 0;
}

static int read_register_path(struct reader *r, yaml_node_t *root, struct prof_profile *p)
{
    const char *rel;
    int rc = get_text(r, root, "register", "profile", false, &rel);
    if (rc != 0 || rel[0] == '\0') {
        p->register_path = rc == 0 ? rel : "";
        return rc;
    }
    /* relative to the profile's directory */
    return resolve_path(r, root, rel, &p->register_path);
}

/* A sensor channel: the modbus driver's options, as KEY=VALUE strings. */
static int read_channel(struct reader *r, yaml_node_t *n, const char *what,
                        const char *const **out)
{
    static const char *const keys[] = {"register", "type", "order", "function", "unit_id",
                                       "scale", NULL};
    int rc = cd_yaml_check_keys(&r->y, n, what, keys);
    if (rc != 0)
        return rc;
    if (cd_yaml_get(&r->y, n, "register") == NULL)
        return FAIL(n, CD_ERR_PARSE, _("%s: register is missing"), what);
    size_t count = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    const char **opts = keep(r->o, calloc(count + 1, sizeof *opts));
    if (opts == NULL)
        return NOMEM(n);
    for (size_t i = 0; i < count; i++) {
        yaml_node_pair_t *pr = &n->data.mapping.pairs.start[i];
        const char *k = cd_yaml_scalar(cd_yaml_node(&r->y, pr->key));
        yaml_node_t *v = cd_yaml_node(&r->y, pr->value);
        if (cd_yaml_scalar(v) == NULL || cd_yaml_scalar(v)[0] == '\0')
            return FAIL(v, CD_ERR_PARSE, _("%s: %s must be a value"), what, k);
        char *opt = keep(r->o, malloc(strlen(k) + strlen(cd_yaml_scalar(v)) + 2));
        if (opt == NULL)
            return NOMEM(v);
        sprintf(opt, "%s=%s", k, cd_yaml_scalar(v));
        opts[i] = opt;
    }
    *out = opts;
    return 0;
}

/* air_density: {u_temp_c, u_rh_pct, u_p_hpa, estimate, u_estimate},
 * every key required: the sensors' standard uncertainties and the density
 * for runs that did not measure the conditions (kg/m3). */
static int read_air(struct reader *r, yaml_node_t *n, struct prof_air *air)
{
    static const char *const keys[] = {"u_temp_c", "u_rh_pct", "u_p_hpa", "estimate",
                                       "u_estimate", NULL};
    static const char *const what = "air_density";
    int rc = cd_yaml_check_keys(&r->y, n, what, keys);
    double *const to[] = {&air->u_temp_c, &air->u_rh_pct, &air->u_p_hpa, &air->estimate,
                          &air->u_estimate};
    for (size_t i = 0; rc == 0 && i < COUNT(to); i++) {
        if ((rc = get_number_key(r, n, keys[i], what, true, to[i])) != 0)
            return rc;
        bool ok = i == 3 ? *to[i] > 0 && *to[i] < 2 : *to[i] >= 0;
        if (!ok || !isfinite(*to[i]))
            return FAIL(cd_yaml_get(&r->y, n, keys[i]), CD_ERR_INVALID,
                        _("%s: %s = %g must be %s"), what, keys[i], *to[i],
                        i == 3 ? _("a density of air in kg/m3 (about 1.2)")
                               : _("a standard uncertainty (0 or more)"));
    }
    if (rc == 0)
        air->given = true;
    return rc;
}

static int read_environment(struct reader *r, yaml_node_t *n, struct prof_environment *e)
{
    static const char *const keys[] = {"per_point", "sensor", NULL};
    static const char *const sensor_keys[] = {"port", "serial", "temperature", "humidity", NULL};
    int rc = cd_yaml_check_keys(&r->y, n, "environment", keys);
    if (rc != 0)
        return rc;
    yaml_node_t *v = cd_yaml_get(&r->y, n, "per_point");
    if (v != NULL && (rc = get_bool(r, v, "environment: per_point", &e->per_point)) != 0)
        return rc;
    e->port = e->serial = "";
    yaml_node_t *sn = cd_yaml_get(&r->y, n, "sensor");
    if (sn == NULL)
        return 0;
    if ((rc = cd_yaml_check_keys(&r->y, sn, "environment: sensor", sensor_keys)) != 0 ||
        (rc = get_text(r, sn, "port", "environment: sensor", true, &e->port)) != 0 ||
        (rc = get_text(r, sn, "serial", "environment: sensor", false, &e->serial)) != 0)
        return rc;
    yaml_node_t *t = cd_yaml_get(&r->y, sn, "temperature"), *h = cd_yaml_get(&r->y, sn, "humidity");
    if (t == NULL || h == NULL)
        return FAIL(sn, CD_ERR_PARSE, _("environment: sensor: temperature and humidity are both "
                                      "needed ({register: ..., type: ..., scale: ...})"));
    if ((rc = read_channel(r, t, "environment: sensor: temperature", &e->temperature)) != 0 ||
        (rc = read_channel(r, h, "environment: sensor: humidity", &e->humidity)) != 0)
        return rc;
    e->sensor = true;
    return 0;
}

/* curve: {form: cvd, x_unit: "°C"}: the item is a PRT read in ohms (the
 * instrument's unit), the reference gives the temperature at each point;
 * the analysis fits the curve (docs/profiles.md, "A PRT calibrated as a
 * curve"). */
#define DEG_C "\xC2\xB0" "C"
#define OHM "\xCE\xA9"
static int read_curve(struct reader *r, yaml_node_t *n, struct prof_profile *p)
{
    static const char *const keys[] = {"form", "x_unit", NULL};
    static const char *const what = "curve";
    int rc = cd_yaml_check_keys(&r->y, n, what, keys);
    const char *form = NULL;
    if (rc != 0 || (rc = get_text(r, n, "form", what, true, &form)) != 0 ||
        (rc = get_text(r, n, "x_unit", what, true, &p->curve.x_unit)) != 0)
        return rc;
    if (strcmp(form, "cvd") != 0)
        return FAIL(cd_yaml_get(&r->y, n, "form"), CD_ERR_INVALID,
                    _("curve: form '%s' is not known (cvd: Callendar-Van Dusen above 0 °C)"),
                    form);
    if (strcmp(p->curve.x_unit, DEG_C) != 0)
        return FAIL(cd_yaml_get(&r->y, n, "x_unit"), CD_ERR_INVALID,
                    _("curve: x_unit '%s': a CVD curve is over the temperature in °C"),
                    p->curve.x_unit);
    if (strcmp(p->unit, OHM) != 0)
        return FAIL(n, CD_ERR_INVALID,
                    _("curve: form cvd fits the resistance: the instrument's unit must be Ω, "
                      "not '%s'"), p->unit);
    if (p->family != PROF_FAMILY_TEMPERATURE)
        return FAIL(n, CD_ERR_INVALID, _("curve: form cvd belongs to a temperature profile "
                                       "(family: temperature)"));
    p->curve.form = PROF_CURVE_CVD;
    p->curve.line = cd_yaml_line(n);
    return 0;
}

/* source: {driver, band, stable_for_s, timeout_s} (issue 19). */
static int read_source(struct reader *r, yaml_node_t *n, struct prof_source *src)
{
    static const char *const keys[] = {"driver", "band", "stable_for_s", "timeout_s", NULL};
    static const char *const what = "source";
    int rc = cd_yaml_check_keys(&r->y, n, what, keys);
    if (rc != 0 || (rc = get_text(r, n, "driver", what, true, &src->driver)) != 0)
        return rc;
    if (strcmp(src->driver, "pace") != 0 && strcmp(src->driver, "bath") != 0)
        return FAIL(cd_yaml_get(&r->y, n, "driver"), CD_ERR_INVALID,
                    _("source: driver '%s': expected pace or bath"), src->driver);
    src->stable_for_s = 30;
    src->timeout_s = 600;
    if ((rc = get_number_key(r, n, "band", what, true, &src->band)) != 0 ||
        (rc = get_number_key(r, n, "stable_for_s", what, false, &src->stable_for_s)) != 0 ||
        (rc = get_number_key(r, n, "timeout_s", what, false, &src->timeout_s)) != 0)
        return rc;
    if (!(src->band > 0) || !isfinite(src->band))
        return FAIL(cd_yaml_get(&r->y, n, "band"), CD_ERR_INVALID,
                    _("source: band = %g must be more than 0 (a half-width in the profile's unit)"),
                    src->band);
    if (!(src->stable_for_s > 0) || !isfinite(src->stable_for_s))
        return FAIL(cd_yaml_get(&r->y, n, "stable_for_s"), CD_ERR_INVALID,
                    _("source: stable_for_s = %g must be more than 0 seconds"), src->stable_for_s);
    if (!(src->timeout_s > src->stable_for_s) || !isfinite(src->timeout_s))
        return FAIL(cd_yaml_get(&r->y, n, "timeout_s") != NULL ? cd_yaml_get(&r->y, n, "timeout_s")
                                                               : n,
                    CD_ERR_INVALID,
                    _("source: timeout_s = %g must be longer than stable_for_s = %g"),
                    src->timeout_s, src->stable_for_s);
    src->given = true;
    return 0;
}

static const char *const top_keys[] = {"caldaq_profile", "name", "title", "method",
                                       "national_document", "family", "register", "instrument",
                                       "standards", "constants", "plan", "budget",
                                       "decision_rule", "environment", "air_density", "notes",
                                       "kind", "comparison", "item", "reference", "verification",
                                       "curve", "source", NULL};

static int read_profile(struct reader *r, struct prof_profile *p)
{
    yaml_node_t *root = yaml_document_get_root_node(r->y.doc);
    if (root == NULL)
        return FAIL(NULL, CD_ERR_PARSE, _("the file is empty"));
    int rc = cd_yaml_check_keys(&r->y, root, "profile", top_keys);
    if (rc != 0)
        return rc;
    yaml_node_t *v = cd_yaml_get(&r->y, root, "caldaq_profile");
    if (v == NULL)
        return FAIL(root, CD_ERR_PARSE, _("caldaq_profile: 1 is missing (the format version)"));
    if (cd_yaml_scalar(v) == NULL || strcmp(cd_yaml_scalar(v), "1") != 0)
        return FAIL(v, CD_ERR_UNSUPPORTED, _("caldaq_profile: only version 1 is known"));
    if ((rc = get_text(r, root, "name", "profile", true, &p->name)) != 0)
        return rc;
    for (const char *c = p->name; *c; c++)
        if (!(isalnum((unsigned char)*c) || *c == '-' || *c == '_' || *c == '.'))
            return FAIL(cd_yaml_get(&r->y, root, "name"), CD_ERR_INVALID,
                        _("name '%s': letters, digits, '-', '_' and '.' only"), p->name);
    if ((rc = read_title(r, root, p)) ||
        (rc = get_text_bi(r, root, "method", "profile", true, &p->method, &p->method_vi)) ||
        (rc = get_text_bi(r, root, "national_document", "profile", false, &p->national_document,
                          &p->national_document_vi)) ||
        (rc = read_family(r, root, p)) || (rc = read_register_path(r, root, p)))
        return rc;
    if ((v = cd_yaml_get(&r->y, root, "constants")) != NULL && (rc = read_constants(r, v)) != 0)
        return rc;
    p->n_constants = r->n_constants;
    p->constant_names = r->constant_names;
    if ((v = cd_yaml_get(&r->y, root, "instrument")) == NULL)
        return FAIL(root, CD_ERR_PARSE, _("instrument is missing"));
    if ((rc = read_instrument(r, v, p)) != 0)
        return rc;
    yaml_node_t *cn = cd_yaml_get(&r->y, root, "curve");
    if (cn != NULL && (rc = read_curve(r, cn, p)) != 0)
        return rc;
    /* temperatures are written as the drivers report them (a PRT fitted
     * as a curve is read in ohms) */
    if (p->family == PROF_FAMILY_TEMPERATURE && p->curve.form == PROF_CURVE_NONE &&
        strcmp(p->unit, DEG_C) != 0)
        return FAIL(cd_yaml_get(&r->y, v, "unit"), CD_ERR_INVALID,
                    _("instrument: unit '%s': a temperature profile is in \xC2\xB0" "C (degrees "
                    "Celsius, written with the degree sign as the drivers report it)"),
                    p->unit);
    if ((rc = read_sides(r, root, p)) != 0 || (rc = read_verification(r, root, p)) != 0)
        return rc;
    /* a typed resistance would be checked against a nominal temperature */
    if (cn != NULL && p->item.read != PROF_READ_INSTRUMENT)
        return FAIL(cn, CD_ERR_UNSUPPORTED,
                    _("curve: the PRT's resistance must be read by an instrument (item: read: "
                    "instrument); typed resistances are not supported with a curve"));
    if ((v = cd_yaml_get(&r->y, root, "standards")) == NULL)
        return FAIL(root, CD_ERR_PARSE, _("standards is missing (the reference standards the "
                                        "procedure needs)"));
    if ((rc = read_needs(r, v, p)) != 0 || (rc = bind_read_reference(r, p, root)) != 0)
        return rc;
    if ((v = cd_yaml_get(&r->y, root, "plan")) == NULL)
        return FAIL(root, CD_ERR_PARSE, _("plan is missing"));
    if ((rc = read_plan(r, v, p)) != 0 || (rc = check_typed_range(r, p, root)) != 0)
        return rc;
    /* the environment and the air density before the budget, which may use them */
    p->environment.port = p->environment.serial = "";
    if ((v = cd_yaml_get(&r->y, root, "environment")) != NULL &&
        (rc = read_environment(r, v, &p->environment)) != 0)
        return rc;
    if ((v = cd_yaml_get(&r->y, root, "air_density")) != NULL && (rc = read_air(r, v, &p->air)) != 0)
        return rc;
    p->set_source.driver = "";
    if ((v = cd_yaml_get(&r->y, root, "source")) != NULL && (rc = read_source(r, v, &p->set_source)) != 0)
        return rc;
    if ((v = cd_yaml_get(&r->y, root, "budget")) == NULL)
        return FAIL(root, CD_ERR_PARSE, _("budget is missing"));
    if ((rc = read_budget(r, v, p)) != 0)
        return rc;
    return unc_yaml_decision_rule(&r->y, cd_yaml_get(&r->y, root, "decision_rule"), &p->rule);
}

static struct prof_profile *load(yaml_document_t *doc, const char *text, const char *source,
                                 struct cd_err *err)
{
    struct prof_owned *o = calloc(1, sizeof *o);
    if (o == NULL) {
        yaml_document_delete(doc);
        cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
        return NULL;
    }
    struct prof_profile *p = &o->pub;
    struct reader r = {.y = {.doc = doc, .source = source, .err = err}, .o = o};
    int rc = (p->source = keep(o, strdup(source))) == NULL ||
                     (p->text = keep(o, strdup(text))) == NULL
                 ? cd_fail(err, CD_ERR_NOMEM, _("out of memory"))
                 : 0;
    if (rc == 0) {
        r.y.source = p->source;
        rc = read_profile(&r, p);
    }
    yaml_document_delete(doc);
    if (rc != 0) {
        prof_profile_free(p);
        return NULL;
    }
    return p;
}

struct prof_profile *prof_profile_load_string(const char *text, const char *source,
                                              struct cd_err *err)
{
    yaml_document_t doc;
    if (source == NULL)
        source = "profile";
    if (cd_yaml_load_string(text, source, &doc, err) != 0)
        return NULL;
    return load(&doc, text, source, err);
}

struct prof_profile *prof_profile_load(const char *path, struct cd_err *err)
{
    char *text;
    if (cd_yaml_read_file(path, &text, err) != 0)
        return NULL;
    struct prof_profile *p = prof_profile_load_string(text, path, err);
    free(text);
    return p;
}
