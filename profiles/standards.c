/* The reference standards register: one YAML file per lab, read with
 * libyaml's document API so that every error names the file and line
 * (the approach of uncertainty/model_file.c). Format: docs/standards.md. */
#include "prof.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "cd_i18n.h"
#include "cd_pool.h"
#include "cd_yaml.h"
#include "cd_i18n.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct prof_standards {
    const char *lab;     /* "" or a pool string */
    struct prof_standard *stds;
    size_t n;
    bool example;        /* `example: true`: dates may be relative to today */
    struct cd_pool pool; /* every string and item array the register owns */
};

/* ------------------------------------------------------------ names */

static const char *const kind_names[] = {
    [PROF_STD_WEIGHT_SET] = "weight-set", [PROF_STD_PRESSURE_REFERENCE] = "pressure-reference",
    [PROF_STD_CALIBRATOR] = "calibrator", [PROF_STD_THERMOMETER] = "thermometer",
    [PROF_STD_HYGROMETER] = "hygrometer", [PROF_STD_OTHER] = "other",
};

const char *prof_std_kind_name(enum prof_std_kind kind)
{
    if ((int)kind <= 0 || (size_t)kind >= COUNT(kind_names))
        return "?";
    return kind_names[kind];
}

int prof_std_kind_parse(const char *name, enum prof_std_kind *out, struct cd_err *err)
{
    for (size_t i = 1; name != NULL && i < COUNT(kind_names); i++) {
        if (strcasecmp(kind_names[i], name) == 0) {
            *out = (enum prof_std_kind)i;
            return 0;
        }
    }
    return cd_fail(err, CD_ERR_INVALID,
                   _("unknown kind \"%s\": expected one of weight-set, pressure-reference, "
                   "calibrator, thermometer, hygrometer, other"),
                   name != NULL ? name : "");
}

/* ------------------------------------------------------------ dates */

/* Days from 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static long days_from_civil(long y, long m, long d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int prof_date_parse(const char *iso, long *day, struct cd_err *err)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (iso == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("no date given"));
    int ok = strlen(iso) == 10 && iso[4] == '-' && iso[7] == '-';
    for (int i = 0; ok && i < 10; i++)
        if (i != 4 && i != 7 && (iso[i] < '0' || iso[i] > '9'))
            ok = 0;
    if (!ok)
        return cd_fail(err, CD_ERR_INVALID, _("'%s' is not a date of the form YYYY-MM-DD"), iso);
    long y = strtol(iso, NULL, 10);
    long m = (iso[5] - '0') * 10 + (iso[6] - '0');
    long d = (iso[8] - '0') * 10 + (iso[9] - '0');
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m < 1 || m > 12)
        return cd_fail(err, CD_ERR_INVALID, _("'%s' is not a calendar date (month %ld)"), iso, m);
    int last = mdays[m - 1] + (m == 2 && leap);
    if (d < 1 || d > last)
        return cd_fail(err, CD_ERR_INVALID,
                       _("'%s' is not a calendar date (month %ld of %ld has %d days)"), iso, m, y,
                       last);
    if (y < 1900)
        return cd_fail(err, CD_ERR_INVALID, _("'%s': a year before 1900 is surely a typing error"),
                       iso);
    *day = days_from_civil(y, m, d);
    return 0;
}

/* The inverse of days_from_civil (H. Hinnant's civil_from_days). */
static void civil_from_days(long z, long *y, long *m, long *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

int prof_date_relative(const char *text, const char *today_iso, char out[11],
                       struct cd_err *err)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    long today = 0;
    if (prof_date_parse(today_iso, &today, err) != 0)
        return -1;
    const char *p = text;
    if (strncmp(p, "today", 5) != 0)
        return cd_fail(err, CD_ERR_INVALID,
                       "'%s' is not a relative date (today, today + N days/months/years, "
                       "today - N ...)", text);
    p += 5;
    p += strspn(p, " ");
    long n = 0;
    char unit = 'd';
    if (*p != '\0') {
        int sign = *p == '+' ? 1 : *p == '-' ? -1 : 0;
        char *end = NULL;
        if (sign != 0) {
            p++;
            p += strspn(p, " ");
            errno = 0;
            n = *p >= '0' && *p <= '9' ? strtol(p, &end, 10) : -1;
        }
        if (sign == 0 || n < 0 || errno == ERANGE || n > 100000)
            return cd_fail(err, CD_ERR_INVALID,
                           "'%s' is not a relative date (today, today + N days/months/years, "
                           "today - N ...)", text);
        p = end + strspn(end, " ");
        if (strcmp(p, "day") == 0 || strcmp(p, "days") == 0)
            unit = 'd';
        else if (strcmp(p, "month") == 0 || strcmp(p, "months") == 0)
            unit = 'm';
        else if (strcmp(p, "year") == 0 || strcmp(p, "years") == 0)
            unit = 'y';
        else
            return cd_fail(err, CD_ERR_INVALID,
                           "'%s': the unit of a relative date is days, months or years", text);
        n *= sign;
    }
    long y, m, d;
    if (unit == 'd') {
        civil_from_days(today + n, &y, &m, &d);
    } else {
        civil_from_days(today, &y, &m, &d);
        long months = y * 12 + (m - 1) + (unit == 'y' ? 12 * n : n);
        y = months / 12;
        m = months % 12 + 1;
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        long last = mdays[m - 1] + (m == 2 && leap);
        if (d > last)
            d = last; /* 31 March + 1 month: 30 April */
    }
    snprintf(out, 11, "%04u-%02u-%02u", (unsigned)(y % 10000), (unsigned)m % 100u, (unsigned)d % 100u);
    return 0;
}

int prof_standard_days_left(const struct prof_standard *s, const char *today_iso, long *days,
                            struct cd_err *err)
{
    long today = 0;
    if (s == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("no reference standard given"));
    int rc = prof_date_parse(today_iso, &today, err);
    if (rc != 0)
        return rc;
    *days = s->due_day - today;
    return 0;
}

int prof_standard_check_due(const struct prof_standard *s, const char *today_iso,
                            struct cd_err *err)
{
    long left = 0;
    int rc = prof_standard_days_left(s, today_iso, &left, err);
    if (rc != 0)
        return rc;
    if (left < 0)
        return cd_fail(err, CD_ERR_INVALID,
                       _("reference %s (certificate %s) was due for calibration on %s; it may "
                       "not be used after that date"),
                       s->id, s->certificate, s->due);
    return 0;
}

/* ------------------------------------------------------------ lookups */

const char *prof_standards_lab(const prof_standards *reg)
{
    return reg != NULL && reg->lab != NULL ? reg->lab : "";
}

bool prof_standards_example(const prof_standards *reg)
{
    return reg != NULL && reg->example;
}

size_t prof_standards_count(const prof_standards *reg)
{
    return reg != NULL ? reg->n : 0;
}

const struct prof_standard *prof_standards_get(const prof_standards *reg, size_t i)
{
    return reg != NULL && i < reg->n ? &reg->stds[i] : NULL;
}

const struct prof_standard *prof_standards_find(const prof_standards *reg, const char *id)
{
    for (size_t i = 0; reg != NULL && id != NULL && i < reg->n; i++)
        if (strcmp(reg->stds[i].id, id) == 0)
            return &reg->stds[i];
    return NULL;
}

static bool same_nominal(double a, double b)
{
    return a == b || fabs(a - b) <= 1e-9 * fmax(fabs(a), fabs(b));
}

int prof_standard_item_find(const struct prof_standard *s, double nominal, const char *unit,
                            const char *mark, const struct prof_std_item **out,
                            struct cd_err *err)
{
    if (s == NULL || unit == NULL || out == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("item lookup needs a standard, a unit and a result"));
    *out = NULL;
    const struct prof_std_item *found = NULL;
    for (size_t i = 0; i < s->n_items; i++) {
        const struct prof_std_item *it = &s->items[i];
        if (!same_nominal(it->nominal, nominal) || strcmp(it->unit, unit) != 0)
            continue;
        if (mark != NULL && strcmp(it->mark, mark) != 0)
            continue;
        if (found != NULL)
            return cd_fail(err, CD_ERR_INVALID,
                           _("reference %s has several %.15g %s items (marks '%s' and '%s'): "
                           "say which"),
                           s->id, nominal, unit, found->mark, it->mark);
        found = it;
    }
    if (found == NULL)
        return cd_fail(err, CD_ERR_NOT_FOUND,
                       _("reference %s (certificate %s) has no certified value at %.15g %s%s%s"),
                       s->id, s->certificate, nominal, unit,
                       mark != NULL && mark[0] ? " mark " : "", mark != NULL ? mark : "");
    *out = found;
    return 0;
}

/* ------------------------------------------------------------ ownership */

void prof_standards_free(prof_standards *reg)
{
    if (reg == NULL)
        return;
    cd_pool_free(&reg->pool);
    free(reg->stds);
    free(reg);
}

static void *keep(prof_standards *reg, void *p)
{
    return cd_pool_keep(&reg->pool, p);
}

/* ------------------------------------------------------------ YAML reader */

struct reader {
    struct cd_yaml_doc y;   /* first: the shared helpers take &r->y */
    prof_standards *reg;
};

/* A text value, copied into the register; "" when absent and optional. */
static int get_text(const struct reader *r, yaml_node_t *map, const char *key, const char *what,
                    bool required, const char **out)
{
    yaml_node_t *n = cd_yaml_get(&r->y, map, key);
    if (n == NULL) {
        if (required)
            return cd_yaml_fail(&r->y, map, CD_ERR_PARSE, _("%s: %s is missing"), what, key);
        *out = "";
        return 0;
    }
    const char *s = cd_yaml_scalar(n);
    if (s == NULL)
        return cd_yaml_fail(&r->y, n, CD_ERR_PARSE, _("%s: %s must be text, not %s"), what, key,
                       cd_yaml_type_name(n));
    if (required && s[0] == '\0')
        return cd_yaml_fail(&r->y, n, CD_ERR_PARSE, _("%s: %s is empty"), what, key);
    char *copy = keep(r->reg, strdup(s));
    if (copy == NULL)
        return cd_yaml_fail(&r->y, n, CD_ERR_NOMEM, _("out of memory"));
    *out = copy;
    return 0;
}

static int get_date(const struct reader *r, yaml_node_t *n, const char *what, char out[11],
                    long *day)
{
    const char *s = cd_yaml_scalar(n);
    if (s == NULL)
        return cd_yaml_fail(&r->y, n, CD_ERR_PARSE, _("%s must be a date YYYY-MM-DD, not %s"), what,
                       cd_yaml_type_name(n));
    struct cd_err why = {0};
    if (strncmp(s, "today", 5) == 0) {
        /* docs/standards.md: only an example register may move with the
         * calendar; a real one keeps the dates of its certificates */
        if (!r->reg->example)
            return cd_yaml_fail(&r->y, n, CD_ERR_INVALID,
                                _("%s: '%s' is a date relative to today, allowed only in a "
                                  "register marked example: true; write the date of the "
                                  "certificate, YYYY-MM-DD"),
                                what, s);
        char today[11], date[11];
        if (cd_today(today) != 0)
            return cd_yaml_fail(&r->y, n, CD_ERR_IO, _("%s: cannot tell today's date"), what);
        if (prof_date_relative(s, today, date, &why) != 0 ||
            prof_date_parse(date, day, &why) != 0)
            return cd_yaml_fail(&r->y, n, CD_ERR_INVALID, "%s: %s", what, why.msg);
        memcpy(out, date, 11);
        return 0;
    }
    if (prof_date_parse(s, day, &why) != 0)
        return cd_yaml_fail(&r->y, n, CD_ERR_INVALID, "%s: %s", what, why.msg);
    memcpy(out, s, 11);
    return 0;
}

static const char *const item_keys[] = {"nominal", "unit", "mark", "value", "U", NULL};

static int read_item(const struct reader *r, struct prof_standard *s, yaml_node_t *n,
                     struct prof_std_item *it)
{
    char what[200];
    snprintf(what, sizeof what, "standard '%s': item", s->id);
    int rc = cd_yaml_check_keys(&r->y, n, what, item_keys);
    if (rc != 0)
        return rc;
    it->line = cd_yaml_line(n);
    static const char *const needed[] = {"nominal", "unit", "value", "U"};
    for (size_t i = 0; i < COUNT(needed); i++)
        if (cd_yaml_get(&r->y, n, needed[i]) == NULL)
            return cd_yaml_fail(&r->y, n, CD_ERR_PARSE, _("%s: %s is missing"), what, needed[i]);
    if ((rc = get_text(r, n, "unit", what, true, &it->unit)) != 0 ||
        (rc = get_text(r, n, "mark", what, false, &it->mark)) != 0)
        return rc;
    yaml_node_t *f = cd_yaml_get(&r->y, n, "nominal");
    snprintf(what, sizeof what, "standard '%s': nominal", s->id);
    if ((rc = cd_yaml_number(&r->y, f, what, &it->nominal)) != 0)
        return rc;
    if (s->kind == PROF_STD_WEIGHT_SET && !(it->nominal > 0))
        return cd_yaml_fail(&r->y, f, CD_ERR_INVALID,
                       _("standard '%s': nominal %g %s: a weight's nominal value must be positive"),
                       s->id, it->nominal, it->unit);
    snprintf(what, sizeof what, "standard '%s': %g %s: value", s->id, it->nominal, it->unit);
    f = cd_yaml_get(&r->y, n, "value");
    if ((rc = cd_yaml_number(&r->y, f, what, &it->value)) != 0)
        return rc;
    /* A weight's conventional mass differs from its nominal value by parts
     * in 10^4 at most (class M3): more is a value typed for another piece. */
    if (s->kind == PROF_STD_WEIGHT_SET && fabs(it->value - it->nominal) > 0.01 * it->nominal)
        return cd_yaml_fail(&r->y, f, CD_ERR_INVALID,
                       _("standard '%s': value %.10g %s is more than 1 %% away from the "
                       "nominal %g %s"),
                       s->id, it->value, it->unit, it->nominal, it->unit);
    snprintf(what, sizeof what, "standard '%s': %g %s: U", s->id, it->nominal, it->unit);
    f = cd_yaml_get(&r->y, n, "U");
    if ((rc = cd_yaml_number(&r->y, f, what, &it->U)) != 0)
        return rc;
    if (!(it->U > 0))
        return cd_yaml_fail(&r->y, f, CD_ERR_INVALID, _("%s = %g must be positive"), what, it->U);
    return 0;
}

static int read_items(const struct reader *r, struct prof_standard *s, yaml_node_t *entry)
{
    yaml_node_t *n = cd_yaml_get(&r->y, entry, "items");
    if (n == NULL)
        return cd_yaml_fail(&r->y, entry, CD_ERR_PARSE,
                       _("standard '%s': items is missing (the certified values: "
                       "[{nominal, unit, value, U}, ...])"),
                       s->id);
    if (n->type != YAML_SEQUENCE_NODE)
        return cd_yaml_fail(&r->y, n, CD_ERR_PARSE, _("standard '%s': items must be a list, not %s"), s->id,
                       cd_yaml_type_name(n));
    size_t len = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (len == 0)
        return cd_yaml_fail(&r->y, n, CD_ERR_PARSE, _("standard '%s': items is empty"), s->id);
    struct prof_std_item *items = keep(r->reg, calloc(len, sizeof *items));
    if (items == NULL)
        return cd_yaml_fail(&r->y, n, CD_ERR_NOMEM, _("out of memory"));
    s->items = items;
    for (size_t i = 0; i < len; i++) {
        yaml_node_t *in = cd_yaml_node(&r->y, n->data.sequence.items.start[i]);
        int rc = read_item(r, s, in, &items[i]);
        if (rc != 0)
            return rc;
        s->n_items = i + 1;
        for (size_t j = 0; j < i; j++)
            if (same_nominal(items[j].nominal, items[i].nominal) &&
                strcmp(items[j].unit, items[i].unit) == 0 &&
                strcmp(items[j].mark, items[i].mark) == 0)
                return cd_yaml_fail(&r->y, in, CD_ERR_INVALID,
                               _("standard '%s': a second %g %s item (first on line %d): give "
                               "each piece a different mark, e.g. mark: \"*\""),
                               s->id, items[i].nominal, items[i].unit, items[j].line);
    }
    return 0;
}

static const char *const std_keys[] = {"id",        "kind",      "description", "class",
                                       "certificate", "issued_by", "calibrated",  "due",
                                       "k",         "items",     "notes",       NULL};

static int read_standard(const struct reader *r, yaml_node_t *n, struct prof_standard *s)
{
    int rc = cd_yaml_check_keys(&r->y, n, _("each standard"), std_keys);
    if (rc != 0)
        return rc;
    s->line = cd_yaml_line(n);
    if ((rc = get_text(r, n, "id", "standard", true, &s->id)) != 0)
        return rc;
    for (const char *c = s->id; *c; c++)
        if ((unsigned char)*c <= ' ')
            return cd_yaml_fail(&r->y, cd_yaml_get(&r->y, n, "id"), CD_ERR_INVALID,
                           _("standard id '%s' must not contain spaces or control characters"),
                           s->id);
    for (size_t i = 0; i < r->reg->n; i++)
        if (strcmp(r->reg->stds[i].id, s->id) == 0)
            return cd_yaml_fail(&r->y, cd_yaml_get(&r->y, n, "id"), CD_ERR_INVALID,
                           _("standard id '%s' is used twice (first on line %d)"), s->id,
                           r->reg->stds[i].line);
    char what[200];
    snprintf(what, sizeof what, "standard '%s'", s->id);

    yaml_node_t *f = cd_yaml_get(&r->y, n, "kind");
    if (f == NULL)
        return cd_yaml_fail(&r->y, n, CD_ERR_PARSE, _("%s: kind is missing"), what);
    struct cd_err why = {0};
    if (cd_yaml_scalar(f) == NULL || prof_std_kind_parse(cd_yaml_scalar(f), &s->kind, &why) != 0)
        return cd_yaml_fail(&r->y, f, CD_ERR_PARSE, "%s: %s", what,
                       cd_yaml_scalar(f) != NULL ? why.msg : _("kind must be a name"));

    if ((rc = get_text(r, n, "description", what, false, &s->description)) != 0 ||
        (rc = get_text(r, n, "class", what, false, &s->class_name)) != 0 ||
        (rc = get_text(r, n, "certificate", what, true, &s->certificate)) != 0 ||
        (rc = get_text(r, n, "issued_by", what, false, &s->issued_by)) != 0)
        return rc;
    if (s->kind == PROF_STD_WEIGHT_SET) {
        f = cd_yaml_get(&r->y, n, "class");
        if (f == NULL)
            return cd_yaml_fail(&r->y, n, CD_ERR_PARSE, _("%s: a weight set needs its OIML R111 class"),
                           what);
        if (prof_r111_class_parse(s->class_name, &s->weight_class, &why) != 0)
            return cd_yaml_fail(&r->y, f, CD_ERR_INVALID, "%s: %s", what, why.msg);
    }

    if ((f = cd_yaml_get(&r->y, n, "calibrated")) != NULL &&
        (rc = get_date(r, f, "calibrated", s->calibrated, &s->calibrated_day)) != 0)
        return rc;
    if ((f = cd_yaml_get(&r->y, n, "due")) == NULL)
        return cd_yaml_fail(&r->y, n, CD_ERR_PARSE, _("%s: due (the date the calibration expires) is "
                                           "missing"), what);
    if ((rc = get_date(r, f, "due", s->due, &s->due_day)) != 0)
        return rc;
    if (s->calibrated[0] != '\0' && s->due_day <= s->calibrated_day)
        return cd_yaml_fail(&r->y, f, CD_ERR_INVALID, _("%s: due %s is not after calibrated %s"), what,
                       s->due, s->calibrated);

    if ((f = cd_yaml_get(&r->y, n, "k")) == NULL)
        return cd_yaml_fail(&r->y, n, CD_ERR_PARSE, _("%s: k (the coverage factor of U) is missing"), what);
    char kwhat[220];
    snprintf(kwhat, sizeof kwhat, "%s: k", what);
    if ((rc = cd_yaml_number(&r->y, f, kwhat, &s->k)) != 0)
        return rc;
    if (!(s->k > 0))
        return cd_yaml_fail(&r->y, f, CD_ERR_INVALID, _("%s: k = %g must be positive"), what, s->k);
    return read_items(r, s, n);
}

static const char *const top_keys[] = {"lab", "example", "standards", "notes", NULL};

static int read_register(const struct reader *r)
{
    yaml_node_t *root = yaml_document_get_root_node(r->y.doc);
    if (root == NULL)
        return cd_yaml_fail(&r->y, NULL, CD_ERR_PARSE, _("the file is empty"));
    int rc = cd_yaml_check_keys(&r->y, root, _("a standards register"), top_keys);
    if (rc != 0)
        return rc;
    if ((rc = get_text(r, root, "lab", "register", false, &r->reg->lab)) != 0)
        return rc;
    yaml_node_t *ex = cd_yaml_get(&r->y, root, "example");
    if (ex != NULL) {
        const char *v = cd_yaml_scalar(ex);
        if (v == NULL || (strcmp(v, "true") != 0 && strcmp(v, "false") != 0))
            return cd_yaml_fail(&r->y, ex, CD_ERR_PARSE, _("example must be true or false"));
        r->reg->example = strcmp(v, "true") == 0;
    }
    yaml_node_t *list = cd_yaml_get(&r->y, root, "standards");
    if (list == NULL)
        return cd_yaml_fail(&r->y, root, CD_ERR_PARSE, _("no standards: the register needs a standards "
                                              "list"));
    if (list->type != YAML_SEQUENCE_NODE)
        return cd_yaml_fail(&r->y, list, CD_ERR_PARSE, _("standards must be a list, not %s"),
                       cd_yaml_type_name(list));
    size_t len = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
    if (len == 0)
        return cd_yaml_fail(&r->y, list, CD_ERR_PARSE, _("standards is empty"));
    r->reg->stds = calloc(len, sizeof *r->reg->stds);
    if (r->reg->stds == NULL)
        return cd_yaml_fail(&r->y, list, CD_ERR_NOMEM, _("out of memory"));
    for (size_t i = 0; i < len; i++) {
        struct prof_standard *s = &r->reg->stds[i];
        if ((rc = read_standard(r, cd_yaml_node(&r->y, list->data.sequence.items.start[i]), s)) != 0)
            return rc;
        r->reg->n = i + 1;
    }
    return 0;
}

static prof_standards *load(yaml_document_t *doc, const char *source, struct cd_err *err)
{
    prof_standards *reg = calloc(1, sizeof *reg);
    if (reg == NULL) {
        yaml_document_delete(doc);
        cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
        return NULL;
    }
    struct reader r = {.y = {.doc = doc, .source = source, .err = err}, .reg = reg};
    int rc = read_register(&r);
    yaml_document_delete(doc);
    if (rc != 0) {
        prof_standards_free(reg);
        return NULL;
    }
    return reg;
}

prof_standards *prof_standards_load_string(const char *text, const char *source,
                                           struct cd_err *err)
{
    yaml_document_t doc;
    if (source == NULL)
        source = "standards";
    if (cd_yaml_load_string(text, source, &doc, err) != 0)
        return NULL;
    return load(&doc, source, err);
}

prof_standards *prof_standards_load(const char *path, struct cd_err *err)
{
    yaml_document_t doc;
    if (cd_yaml_load_file(path, &doc, err) != 0)
        return NULL;
    return load(&doc, path, err);
}
