#include "cd_yaml.h"
#include "cd_i18n.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <stdbool.h>
#include <stdlib.h>

int cd_yaml_line(const yaml_node_t *n)
{
    return n != NULL ? (int)n->start_mark.line + 1 : 0;
}

int cd_yaml_fail(const struct cd_yaml_doc *y, const yaml_node_t *n, int code, const char *fmt,
                 ...)
{
    char what[CD_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (n != NULL)
        return cd_fail(y->err, code, "%s:%d: %s", y->source, cd_yaml_line(n), what);
    return cd_fail(y->err, code, "%s: %s", y->source, what);
}

yaml_node_t *cd_yaml_node(const struct cd_yaml_doc *y, int id)
{
    return yaml_document_get_node(y->doc, id);
}

const char *cd_yaml_scalar(const yaml_node_t *n)
{
    return n != NULL && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

yaml_node_t *cd_yaml_get(const struct cd_yaml_doc *y, yaml_node_t *map, const char *key)
{
    if (map == NULL || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        const char *k = cd_yaml_scalar(cd_yaml_node(y, p->key));
        if (k != NULL && strcmp(k, key) == 0)
            return cd_yaml_node(y, p->value);
    }
    return NULL;
}

const char *cd_yaml_type_name(const yaml_node_t *n)
{
    if (n == NULL)
        return "nothing";
    switch (n->type) {
    case YAML_SEQUENCE_NODE:
        return "a list";
    case YAML_MAPPING_NODE:
        return "a mapping";
    default:
        return "a value";
    }
}

int cd_yaml_check_keys(const struct cd_yaml_doc *y, yaml_node_t *map, const char *what,
                       const char *const *known)
{
    if (map == NULL || map->type != YAML_MAPPING_NODE)
        return cd_yaml_fail(y, map, CD_ERR_PARSE, _("%s must be a mapping (key: value), not %s"),
                            what, cd_yaml_type_name(map));
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = cd_yaml_node(y, p->key);
        const char *name = cd_yaml_scalar(k);
        if (name == NULL)
            return cd_yaml_fail(y, k, CD_ERR_PARSE, _("%s: keys must be plain names"), what);
        bool ok = false;
        for (const char *const *q = known; *q != NULL; q++)
            if (strcmp(*q, name) == 0)
                ok = true;
        if (!ok) {
            char list[384] = "";
            for (const char *const *q = known; *q != NULL; q++) {
                strncat(list, *q, sizeof list - strlen(list) - 1);
                if (q[1] != NULL)
                    strncat(list, ", ", sizeof list - strlen(list) - 1);
            }
            return cd_yaml_fail(y, k, CD_ERR_PARSE, _("%s: unknown key '%s' (known: %s)"), what,
                                name, list);
        }
        for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++)
            if (strcmp(cd_yaml_scalar(cd_yaml_node(y, q->key)), name) == 0)
                return cd_yaml_fail(y, k, CD_ERR_PARSE, _("%s: key '%s' given twice (first on line %d)"),
                                    what, name, cd_yaml_line(cd_yaml_node(y, q->key)));
    }
    return 0;
}

/* The longest number cd_yaml_number() takes (the CSV reader's limit too),
 * and how much of a bad scalar its messages quote. */
#define NUMBER_MAX 127
#define NUMBER_QUOTE 40

int cd_yaml_number(const struct cd_yaml_doc *y, const yaml_node_t *n, const char *what,
                   double *out)
{
    const char *s = cd_yaml_scalar(n);
    if (s == NULL)
        return cd_yaml_fail(y, n, CD_ERR_PARSE, _("%s must be a number, not %s"), what,
                            cd_yaml_type_name(n));
    const char *t = s[0] == '+' || s[0] == '-' ? s + 1 : s;
    if (strcasecmp(t, ".nan") == 0 || strcasecmp(t, "nan") == 0 ||
        strcasecmp(t, ".inf") == 0 || strcasecmp(t, "inf") == 0 ||
        strcasecmp(t, "infinity") == 0)
        return cd_yaml_fail(y, n, CD_ERR_INVALID, _("%s = %s: must be a finite number"), what, s);
    /* A scalar can be megabytes long: messages quote its start only, so
     * that the reason is never cut off, and a number longer than anyone
     * types (17 digits carry all a double holds) is called too long. */
    size_t len = strlen(s);
    const char *more = len > NUMBER_QUOTE ? "..." : "";
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0')
        return cd_yaml_fail(y, n, CD_ERR_PARSE, _("%s: '%.*s%s' is not a number"), what,
                            NUMBER_QUOTE, s, more);
    if (len > NUMBER_MAX)
        return cd_yaml_fail(y, n, CD_ERR_PARSE,
                            _("%s: a number of %zu characters is too long (at most %d): '%.*s%s'"),
                            what, len, NUMBER_MAX, NUMBER_QUOTE, s, more);
    if ((errno == ERANGE && fabs(v) > 1.0) || !isfinite(v))
        return cd_yaml_fail(y, n, CD_ERR_PARSE, _("%s: '%.*s%s' is out of range"), what,
                            NUMBER_QUOTE, s, more);
    *out = v;
    return 0;
}

/* The 1-based line of byte `offset` of `text`. */
static size_t line_of(const char *text, size_t len, size_t offset)
{
    size_t line = 1;
    for (size_t i = 0; i < offset && i < len; i++)
        line += text[i] == '\n';
    return line;
}

static int load(yaml_parser_t *parser, const char *text, size_t len, const char *source,
                yaml_document_t *doc, struct cd_err *err)
{
    if (yaml_parser_load(parser, doc))
        return 0;
    /* A quote or bracket left open (a truncated file, a missing closer):
     * the line to fix is where it opened, not where the parser gave up,
     * usually the end of the file. */
    if (parser->context != NULL && parser->problem != NULL &&
        (strstr(parser->context, "flow") != NULL || strstr(parser->context, "quoted") != NULL) &&
        parser->context_mark.line < parser->problem_mark.line)
        return cd_fail(err, CD_ERR_PARSE,
                       _("%s:%zu: YAML syntax error: %s %s opened on this line (noticed on line %zu)"),
                       source, parser->context_mark.line + 1, parser->problem, parser->context,
                       parser->problem_mark.line + 1);
    if (parser->problem_mark.line > 0 || parser->problem_mark.column > 0)
        return cd_fail(err, CD_ERR_PARSE, _("%s:%zu: YAML syntax error: %s%s%s"), source,
                       parser->problem_mark.line + 1, parser->problem ? parser->problem : "?",
                       parser->context ? " " : "", parser->context ? parser->context : "");
    /* reader errors (bad UTF-8, control characters) give a byte offset */
    if (parser->error == YAML_READER_ERROR)
        return cd_fail(err, CD_ERR_PARSE, _("%s:%zu: not valid UTF-8 text: %s (byte %zu)"), source,
                       line_of(text, len, parser->problem_offset),
                       parser->problem ? parser->problem : "?", parser->problem_offset);
    return cd_fail(err, CD_ERR_PARSE, _("%s: YAML syntax error: %s"), source,
                   parser->problem ? parser->problem : "unreadable");
}

int cd_yaml_load_string(const char *text, const char *source, yaml_document_t *doc,
                        struct cd_err *err)
{
    if (text == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("%s: no text given"), source);
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    size_t len = strlen(text);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    int rc = load(&parser, text, len, source, doc, err);
    yaml_parser_delete(&parser);
    return rc;
}

int cd_yaml_read_file(const char *path, char **text, struct cd_err *err)
{
    *text = NULL;
    if (path == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("no file given"));
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return cd_fail(err, CD_ERR_IO, _("%s: cannot open: %s"), path, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            size_t ncap = cap ? 2 * cap : 8192;
            char *nb = realloc(buf, ncap);
            if (nb == NULL) {
                rc = cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, 4096, f);
        len += got;
        if (got == 0)
            break;
    }
    if (rc == 0 && ferror(f))
        rc = cd_fail(err, CD_ERR_IO, _("%s: read error"), path);
    fclose(f);
    if (rc == 0) {
        buf[len] = '\0';
        if (strlen(buf) != len)
            rc = cd_fail(err, CD_ERR_PARSE, _("%s:%zu: the file contains a NUL byte: not a text file"),
                         path, line_of(buf, len, strlen(buf)));
    }
    if (rc != 0) {
        free(buf);
        return rc;
    }
    *text = buf;
    return 0;
}

int cd_yaml_load_file(const char *path, yaml_document_t *doc, struct cd_err *err)
{
    char *text;
    int rc = cd_yaml_read_file(path, &text, err);
    if (rc == 0)
        rc = cd_yaml_load_string(text, path, doc, err);
    free(text);
    return rc;
}
