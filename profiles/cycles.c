/* The verification cycles table (profiles/verification-cycles.yaml): per
 * instrument type the cycle of legal verification in months, after Thông
 * tư 23/2013/TT-BKHCN as amended, each entry citing its source; and the
 * validity date of a verification. Format: docs/verification.md. Read with
 * libyaml's document API so that every error names the file and line. */
#include "prof.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "cd_pool.h"
#include "cd_yaml.h"
#include "cd_i18n.h"

struct prof_cycles {
    const char *source_path;  /* the file name given to the loader */
    const char *source;       /* the table's own `source` text */
    struct prof_cycle *v;
    size_t n;
    struct cd_pool pool;
};

#define FAIL(n, code, ...) cd_yaml_fail(y, (n), (code), __VA_ARGS__)

void prof_cycles_free(prof_cycles *c)
{
    if (c == NULL)
        return;
    cd_pool_free(&c->pool);
    free(c);
}

static int text(const struct cd_yaml_doc *y, prof_cycles *c, yaml_node_t *map, const char *key,
                const char *what, const char **out)
{
    yaml_node_t *n = cd_yaml_get(y, map, key);
    if (n == NULL)
        return FAIL(map, CD_ERR_PARSE, _("%s: %s is missing"), what, key);
    const char *s = cd_yaml_scalar(n);
    if (s == NULL)
        return FAIL(n, CD_ERR_PARSE, _("%s: %s must be text, not %s"), what, key,
                    cd_yaml_type_name(n));
    if (s[0] == '\0')
        return FAIL(n, CD_ERR_PARSE, _("%s: %s is empty"), what, key);
    if ((*out = cd_pool_keep(&c->pool, strdup(s))) == NULL)
        return FAIL(n, CD_ERR_NOMEM, _("out of memory"));
    return 0;
}

static bool is_type(const char *s)
{
    if (s[0] == '\0')
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return false;
    return true;
}

static int read_entry(const struct cd_yaml_doc *y, prof_cycles *c, yaml_node_t *e, size_t i,
                      struct prof_cycle *out)
{
    static const char *const keys[] = {"type", "en", "vi", "months", "source", NULL};
    char what[48];
    snprintf(what, sizeof what, _("cycles entry %zu"), i + 1);
    int rc = cd_yaml_check_keys(y, e, what, keys);
    if (rc != 0 || (rc = text(y, c, e, "type", what, &out->type)) != 0)
        return rc;
    if (!is_type(out->type))
        return FAIL(cd_yaml_get(y, e, "type"), CD_ERR_INVALID,
                    _("%s: type '%s': lower-case letters, digits and '-' only"), what, out->type);
    snprintf(what, sizeof what, _("cycles entry '%s'"), out->type);
    if ((rc = text(y, c, e, "en", what, &out->name_en)) != 0 ||
        (rc = text(y, c, e, "vi", what, &out->name_vi)) != 0 ||
        (rc = text(y, c, e, "source", what, &out->source)) != 0)
        return rc;
    yaml_node_t *m = cd_yaml_get(y, e, "months");
    if (m == NULL)
        return FAIL(e, CD_ERR_PARSE, _("%s: months is missing"), what);
    char label[80];
    snprintf(label, sizeof label, "%s: months", what);
    double v;
    if ((rc = cd_yaml_number(y, m, label, &v)) != 0)
        return rc;
    if (!(v >= 1 && v <= 120) || v != floor(v)) /* the range first: (int) of 1e300 is undefined */
        return FAIL(m, CD_ERR_INVALID, _("%s = %g must be a whole number of months from 1 to 120"),
                    label, v);
    out->months = (int)v;
    out->line = cd_yaml_line(e);
    return 0;
}

static int read_table(const struct cd_yaml_doc *y, prof_cycles *c)
{
    static const char *const keys[] = {"caldaq_verification_cycles", "source", "cycles", "notes",
                                       NULL};
    yaml_node_t *root = yaml_document_get_root_node(y->doc);
    if (root == NULL)
        return FAIL(NULL, CD_ERR_PARSE, _("the file is empty"));
    int rc = cd_yaml_check_keys(y, root, _("cycles table"), keys);
    if (rc != 0)
        return rc;
    yaml_node_t *v = cd_yaml_get(y, root, "caldaq_verification_cycles");
    if (v == NULL)
        return FAIL(root, CD_ERR_PARSE,
                    _("caldaq_verification_cycles: 1 is missing (the format version)"));
    if (cd_yaml_scalar(v) == NULL || strcmp(cd_yaml_scalar(v), "1") != 0)
        return FAIL(v, CD_ERR_UNSUPPORTED, _("caldaq_verification_cycles: only version 1 is known"));
    if ((rc = text(y, c, root, "source", _("cycles table"), &c->source)) != 0)
        return rc;
    yaml_node_t *list = cd_yaml_get(y, root, "cycles");
    if (list == NULL)
        return FAIL(root, CD_ERR_PARSE, _("cycles is missing (the list of instrument types)"));
    if (list->type != YAML_SEQUENCE_NODE)
        return FAIL(list, CD_ERR_PARSE, _("cycles must be a list, not %s"), cd_yaml_type_name(list));
    size_t n = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
    if (n == 0)
        return FAIL(list, CD_ERR_INVALID, _("cycles is empty"));
    if ((c->v = cd_pool_keep(&c->pool, calloc(n, sizeof *c->v))) == NULL)
        return FAIL(list, CD_ERR_NOMEM, _("out of memory"));
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *e = cd_yaml_node(y, list->data.sequence.items.start[i]);
        if ((rc = read_entry(y, c, e, i, &c->v[i])) != 0)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(c->v[j].type, c->v[i].type) == 0)
                return FAIL(cd_yaml_get(y, e, "type"), CD_ERR_INVALID,
                            _("cycles: type '%s' given twice (first on line %d)"), c->v[i].type,
                            c->v[j].line);
        c->n = i + 1;
    }
    return 0;
}

prof_cycles *prof_cycles_load_string(const char *text_in, const char *source, struct cd_err *err)
{
    if (source == NULL)
        source = _("verification cycles");
    yaml_document_t doc;
    if (cd_yaml_load_string(text_in, source, &doc, err) != 0)
        return NULL;
    prof_cycles *c = calloc(1, sizeof *c);
    if (c == NULL) {
        yaml_document_delete(&doc);
        cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
        return NULL;
    }
    int rc = (c->source_path = cd_pool_keep(&c->pool, strdup(source))) == NULL
                 ? cd_fail(err, CD_ERR_NOMEM, _("out of memory"))
                 : 0;
    if (rc == 0) {
        struct cd_yaml_doc y = {.doc = &doc, .source = c->source_path, .err = err};
        rc = read_table(&y, c);
    }
    yaml_document_delete(&doc);
    if (rc != 0) {
        prof_cycles_free(c);
        return NULL;
    }
    return c;
}

prof_cycles *prof_cycles_load(const char *path, struct cd_err *err)
{
    char *t;
    if (cd_yaml_read_file(path, &t, err) != 0)
        return NULL;
    prof_cycles *c = prof_cycles_load_string(t, path, err);
    free(t);
    return c;
}

const struct prof_cycle *prof_cycles_find(const prof_cycles *c, const char *type,
                                          struct cd_err *err)
{
    if (c == NULL || type == NULL) {
        cd_fail(err, CD_ERR_INVALID, _("no cycles table or no instrument type"));
        return NULL;
    }
    char known[512] = "";
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->v[i].type, type) == 0)
            return &c->v[i];
        size_t len = strlen(known);
        snprintf(known + len, sizeof known - len, "%s%s", i ? ", " : "", c->v[i].type);
    }
    cd_fail(err, CD_ERR_NOT_FOUND, _("%s has no instrument type '%s' (it has: %s)"), c->source_path,
            type, known);
    return NULL;
}

static int days_in_month(int y, int m)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : mdays[m - 1];
}

int prof_validity_date(const char *verified, int months, char out[11], struct cd_err *err)
{
    out[0] = '\0';
    long day;
    struct cd_err why = {0};
    if (prof_date_parse(verified, &day, &why) != 0)
        return cd_fail(err, CD_ERR_INVALID, _("date of verification: %s"), why.msg);
    if (months < 1 || months > 120)
        return cd_fail(err, CD_ERR_INVALID,
                       _("a verification cycle of %d months: expected 1 to 120"), months);
    int y = atoi(verified), m = atoi(verified + 5), d = atoi(verified + 8);
    long total = (long)y * 12 + (m - 1) + months;
    y = (int)(total / 12);
    m = (int)(total % 12) + 1;
    if (d > days_in_month(y, m))
        d = days_in_month(y, m);
    /* less one day */
    if (--d == 0) {
        if (--m == 0) {
            m = 12;
            y--;
        }
        d = days_in_month(y, m);
    }
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31)
        return cd_fail(err, CD_ERR_INVALID, _("the validity date is after the year 9999"));
    /* digit by digit: the ranges are checked above, and no printf width
     * warning can doubt it */
    const int parts[] = {y / 1000, y / 100 % 10, y / 10 % 10, y % 10, -1, m / 10, m % 10,
                         -1, d / 10, d % 10};
    for (int i = 0; i < 10; i++)
        out[i] = parts[i] < 0 ? '-' : (char)('0' + parts[i]);
    out[10] = '\0';
    return 0;
}
