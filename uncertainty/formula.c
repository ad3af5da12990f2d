/* One scalar expression over named values (unc_formula_*): the model-file
 * expression language reused where a number is computed from other numbers,
 * e.g. a profile's budget bound to the statistics of a test point. */
#include "unc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "cd_i18n.h"

struct unc_formula {
    char *text;
    struct expr *e;
    size_t n_names;
    char **names;
};

struct lookup_ctx {
    const char *const *names;
    size_t n;
};

static int lookup(void *ctx, const char *name, int *var, double *value)
{
    (void)value;
    const struct lookup_ctx *c = ctx;
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->names[i], name) == 0) {
            *var = (int)i;
            return 1;
        }
    }
    return 0;
}

void unc_formula_free(unc_formula *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->n_names; i++)
        free(f->names[i]);
    free(f->names);
    expr_free(f->e);
    free(f->text);
    free(f);
}

unc_formula *unc_formula_parse(const char *text, const char *const *names, size_t n_names,
                               const char *where, struct cd_err *err)
{
    if (text == NULL || (names == NULL && n_names > 0)) {
        cd_fail(err, CD_ERR_INVALID, _("%s: no formula given"), where ? where : "formula");
        return NULL;
    }
    unc_formula *f = calloc(1, sizeof *f);
    if (f == NULL || (f->text = strdup(text)) == NULL ||
        (n_names > 0 && (f->names = calloc(n_names, sizeof *f->names)) == NULL)) {
        unc_formula_free(f);
        cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
        return NULL;
    }
    for (size_t i = 0; i < n_names; i++) {
        if ((f->names[i] = strdup(names[i])) == NULL) {
            f->n_names = i;
            unc_formula_free(f);
            cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
            return NULL;
        }
    }
    f->n_names = n_names;
    struct lookup_ctx ctx = {names, n_names};
    f->e = expr_parse(text, lookup, &ctx, where ? where : "formula", err);
    if (f->e == NULL) {
        unc_formula_free(f);
        return NULL;
    }
    return f;
}

bool unc_formula_uses(const unc_formula *f, size_t i)
{
    return f != NULL && i < f->n_names && expr_uses(f->e, (int)i);
}

const char *unc_formula_text(const unc_formula *f)
{
    return f != NULL ? f->text : "";
}

int unc_formula_eval(const unc_formula *f, const double *values, double *out, struct cd_err *err)
{
    double y = expr_eval(f->e, values);
    if (isfinite(y)) {
        *out = y;
        return 0;
    }
    *out = NAN;
    char missing[256] = "";
    for (size_t i = 0; i < f->n_names; i++) {
        if (expr_uses(f->e, (int)i) && !isfinite(values[i])) {
            size_t len = strlen(missing);
            snprintf(missing + len, sizeof missing - len, "%s%s", len ? ", " : "", f->names[i]);
        }
    }
    if (missing[0] != '\0')
        return cd_fail(err, CD_ERR_NUMERIC, _("\"%s\" cannot be computed: %s %s not available"),
                       f->text, missing, strchr(missing, ',') ? "are" : "is");
    return cd_fail(err, CD_ERR_NUMERIC, _("\"%s\" is not a finite number here (%g)"), f->text, y);
}
