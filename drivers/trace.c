/* Recorded trace files (`# caldaq-trace 1`): one record a line, bytes as a
 * double-quoted string with C escapes. Reader, writer and the escaping
 * both share, so that writing then reading gives back the same bytes. */
#include "drv.h"
#include "cd_i18n.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TRACE_MAGIC "# caldaq-trace 1"

/* ------------------------------------------------------------ escaping */

static const char hex[] = "0123456789ABCDEF";

size_t drv_escape(const uint8_t *buf, size_t len, char *out, size_t cap)
{
    size_t n = 0;
#define PUT(c)                                                                                     \
    do {                                                                                           \
        if (n + 1 < cap)                                                                           \
            out[n] = (c);                                                                          \
        n++;                                                                                       \
    } while (0)
    for (size_t i = 0; i < len; i++) {
        uint8_t b = buf[i];
        switch (b) {
        case '\r': PUT('\\'); PUT('r'); break;
        case '\n': PUT('\\'); PUT('n'); break;
        case '\t': PUT('\\'); PUT('t'); break;
        case '\\': PUT('\\'); PUT('\\'); break;
        case '"': PUT('\\'); PUT('"'); break;
        default:
            if (b >= 0x20 && b < 0x7f) {
                PUT((char)b);
            } else {
                PUT('\\');
                PUT('x');
                PUT(hex[b >> 4]);
                PUT(hex[b & 15]);
            }
        }
    }
#undef PUT
    if (cap > 0)
        out[n < cap ? n : cap - 1] = '\0';
    return n;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int drv_unescape(const char **pp, uint8_t *out, size_t cap, int col0, struct cd_err *err)
{
    const char *start = *pp;
    const char *p = start;
    if (*p != '"')
        return cd_fail(err, CD_ERR_PARSE, _("expected '\"' to open the bytes"));
    p++;
    size_t n = 0;
    for (;;) {
        unsigned char c = (unsigned char)*p;
        int value;
        if (c == '\0' || c == '\n')
            return cd_fail(err, CD_ERR_PARSE, _("column %d: the string is not closed with '\"'"),
                           (int)(p - start) + col0);
        if (c == '"') {
            p++;
            break;
        }
        if (c == '\\') {
            char e = p[1];
            switch (e) {
            case 'r': value = '\r'; p += 2; break;
            case 'n': value = '\n'; p += 2; break;
            case 't': value = '\t'; p += 2; break;
            case '\\': value = '\\'; p += 2; break;
            case '"': value = '"'; p += 2; break;
            case 'x': {
                int hi = hex_value(p[2]);
                int lo = hi < 0 ? -1 : hex_value(p[3]);
                if (lo < 0)
                    return cd_fail(err, CD_ERR_PARSE,
                                   _("column %d: \\x needs two hex digits"), (int)(p - start) + col0);
                value = hi * 16 + lo;
                p += 4;
                break;
            }
            default:
                return cd_fail(err, CD_ERR_PARSE,
                               _("column %d: unknown escape '\\%c' (use \\r \\n \\t \\\\ \\\" "
                               "or \\xHH)"),
                               (int)(p - start) + col0, e != '\0' ? e : '?');
            }
        } else if (c < 0x20 || c >= 0x7f) {
            return cd_fail(err, CD_ERR_PARSE,
                           _("column %d: byte 0x%02X must be written as \\x%02X"), (int)(p - start) + col0,
                           c, c);
        } else {
            value = c;
            p++;
        }
        if (n >= cap)
            return cd_fail(err, CD_ERR_PARSE, _("the string is longer than %zu bytes"), cap);
        out[n++] = (uint8_t)value;
    }
    *pp = p;
    return (int)n;
}

/* ------------------------------------------------------------ reader */

void drv_trace_free(struct drv_trace *t)
{
    if (t == NULL)
        return;
    free(t->records);
    free(t->pool);
    free(t);
}

static void header_field(struct drv_trace_header *h, const char *key, const char *value)
{
    struct {
        const char *key;
        char *dst;
        size_t cap;
    } fields[] = {
        {"transport", h->transport, sizeof h->transport}, {"port", h->port, sizeof h->port},
        {"settings", h->settings, sizeof h->settings},    {"driver", h->driver, sizeof h->driver},
        {"started", h->started, sizeof h->started},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (strcmp(fields[i].key, key) == 0)
            snprintf(fields[i].dst, fields[i].cap, "%s", value);
}

/* "# key: value" */
static void parse_header_line(struct drv_trace_header *h, char *line)
{
    char *p = line + 1;
    while (*p == ' ')
        p++;
    char *colon = strchr(p, ':');
    if (colon == NULL)
        return; /* a plain comment */
    *colon = '\0';
    char *value = colon + 1;
    while (*value == ' ' || *value == '\t')
        value++;
    char *end = value + strlen(value);
    while (end > value && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        *--end = '\0';
    header_field(h, p, value);
}

static const char *const known_events[] = {"disconnect", "timeout", NULL};

static int parse_record(char *line, const char *source, int lineno, uint8_t *pool, size_t *used,
                        double *last_t, struct drv_trace_record *r, struct cd_err *err)
{
    char *p = line;
    char *end = NULL;
    errno = 0;
    double t = strtod(p, &end);
    if (end == p || (*end != ' ' && *end != '\t'))
        return cd_fail(err, CD_ERR_PARSE,
                       _("%s:%d: a record starts with the time in seconds, then '>', '<' or '!'"),
                       source, lineno);
    if (!isfinite(t) || t < 0 || errno == ERANGE)
        return cd_fail(err, CD_ERR_PARSE, _("%s:%d: time %.20s is not a finite number of seconds"),
                       source, lineno, line);
    if (t < *last_t)
        return cd_fail(err, CD_ERR_PARSE,
                       _("%s:%d: time %.6f goes back before the previous record (%.6f)"), source,
                       lineno, t, *last_t);
    *last_t = t;
    p = end;
    while (*p == ' ' || *p == '\t')
        p++;
    char dir = *p;
    if (dir != '>' && dir != '<' && dir != '!')
        return cd_fail(err, CD_ERR_PARSE,
                       _("%s:%d: direction must be '>' (host to instrument), '<' or '!' (event)"),
                       source, lineno);
    p++;
    while (*p == ' ' || *p == '\t')
        p++;
    r->t = t;
    r->dir = (enum drv_dir)dir;
    r->line = lineno;
    r->data = pool + *used;
    if (dir == '!') {
        char *name = p;
        while (*p >= 'a' && *p <= 'z')
            p++;
        size_t len = (size_t)(p - name);
        while (*p == ' ' || *p == '\t' || *p == '\r')
            p++;
        int known = 0;
        for (const char *const *k = known_events; *k != NULL; k++)
            if (strlen(*k) == len && strncmp(*k, name, len) == 0)
                known = 1;
        if (!known || *p != '\0')
            return cd_fail(err, CD_ERR_PARSE,
                           _("%s:%d: unknown event '%.32s' (known: disconnect, timeout)"), source,
                           lineno, name);
        memcpy(pool + *used, name, len);
        pool[*used + len] = '\0';
        r->len = len;
        *used += len + 1;
        return 0;
    }
    const char *q = p;
    struct cd_err why = {0};
    int n = drv_unescape(&q, pool + *used, strlen(p), (int)(p - line) + 1, &why);
    if (n < 0)
        return cd_fail(err, CD_ERR_PARSE, "%s:%d: %s", source, lineno, why.msg);
    while (*q == ' ' || *q == '\t' || *q == '\r')
        q++;
    if (*q != '\0')
        return cd_fail(err, CD_ERR_PARSE, _("%s:%d: unexpected text after the closing '\"'"), source,
                       lineno);
    if (n == 0)
        return cd_fail(err, CD_ERR_PARSE, _("%s:%d: a record needs at least one byte"), source,
                       lineno);
    r->len = (size_t)n;
    *used += (size_t)n;
    return 0;
}

int drv_trace_parse(const char *text, size_t len, const char *source, struct drv_trace **out,
                    struct cd_err *err)
{
    *out = NULL;
    if (source == NULL)
        source = "trace";
    if (memchr(text, '\0', len) != NULL)
        return cd_fail(err, CD_ERR_PARSE, _("%s: a NUL byte in a text trace (a binary file?)"),
                       source);
    struct drv_trace *t = calloc(1, sizeof *t);
    char *copy = malloc(len + 1);
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    /* Unescaped bytes never outnumber the escaped text. */
    if (t != NULL) {
        t->records = calloc(lines, sizeof *t->records);
        t->pool = malloc(len + 1);
    }
    if (t == NULL || copy == NULL || t->records == NULL || t->pool == NULL) {
        free(copy);
        drv_trace_free(t);
        return cd_fail(err, CD_ERR_NOMEM, _("%s: out of memory"), source);
    }
    memcpy(copy, text, len);
    copy[len] = '\0';

    int rc = 0;
    int lineno = 0;
    size_t used = 0;
    double last_t = 0;
    char *p = copy;
    while (rc == 0 && p != NULL && *p != '\0') {
        char *nl = strchr(p, '\n');
        if (nl != NULL)
            *nl = '\0';
        char *line = p;
        p = nl != NULL ? nl + 1 : NULL;
        lineno++;
        size_t l = strlen(line);
        if (l > 0 && line[l - 1] == '\r')
            line[--l] = '\0';
        if (lineno == 1) {
            if (strncmp(line, "# caldaq-trace ", 15) != 0)
                rc = cd_fail(err, CD_ERR_PARSE,
                             _("%s:1: not a caldaq trace (the first line must be \"%s\")"),
                             source, TRACE_MAGIC);
            else if (strcmp(line, TRACE_MAGIC) != 0)
                rc = cd_fail(err, CD_ERR_PARSE,
                             _("%s:1: trace format version \"%s\" is not supported (this caldaq "
                             "reads version 1)"),
                             source, line + 15);
            continue;
        }
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '\0')
            continue;
        if (*s == '#') {
            parse_header_line(&t->header, s);
            continue;
        }
        rc = parse_record(s, source, lineno, t->pool, &used, &last_t, &t->records[t->n], err);
        if (rc == 0)
            t->n++;
    }
    if (rc == 0 && lineno == 0)
        rc = cd_fail(err, CD_ERR_PARSE, _("%s: the trace is empty"), source);
    free(copy);
    if (rc != 0) {
        drv_trace_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

int drv_trace_load(const char *path, struct drv_trace **out, struct cd_err *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return cd_fail(err, CD_ERR_IO, _("%s: cannot open: %s"), path, strerror(errno));
    size_t cap = 1 << 16;
    size_t len = 0;
    char *buf = malloc(cap);
    int rc = 0;
    while (buf != NULL) {
        if (len == cap) {
            char *bigger = realloc(buf, cap * 2);
            if (bigger == NULL)
                break;
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (buf == NULL || len == cap)
        rc = cd_fail(err, CD_ERR_NOMEM, _("%s: out of memory"), path);
    else if (ferror(f))
        rc = cd_fail(err, CD_ERR_IO, _("%s: read error: %s"), path, strerror(errno));
    fclose(f);
    if (rc == 0)
        rc = drv_trace_parse(buf, len, path, out, err);
    free(buf);
    return rc;
}

/* ------------------------------------------------------------ writer */

struct drv_trace_writer {
    FILE *f;
    bool owns;
    struct timespec start;
    int error;              /* first write error, kept */
    double last_reply;      /* time of the last `<` record as written; NAN: none */
};

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + 1e-9 * (double)(now.tv_nsec - start->tv_nsec);
}

double drv_trace_writer_now(const struct drv_trace_writer *w)
{
    return seconds_since(&w->start);
}

double drv_trace_writer_last_reply(const struct drv_trace_writer *w)
{
    return w != NULL ? w->last_reply : NAN;
}

static void write_header(FILE *f, const struct drv_trace_header *h)
{
    char started[40];
    if (h != NULL && h->started[0] != '\0') {
        snprintf(started, sizeof started, "%s", h->started);
    } else {
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%S%z", &tm);
        /* ISO 8601 wants +07:00, strftime gives +0700 */
        size_t l = strlen(started);
        if (l >= 5 && l + 2 < sizeof started) {
            memmove(started + l - 1, started + l - 2, 3);
            started[l - 2] = ':';
        }
    }
    fprintf(f, TRACE_MAGIC "\n");
    if (h != NULL) {
        if (h->transport[0])
            fprintf(f, "# transport: %s\n", h->transport);
        if (h->port[0])
            fprintf(f, "# port: %s\n", h->port);
        if (h->settings[0])
            fprintf(f, "# settings: %s\n", h->settings);
        if (h->driver[0])
            fprintf(f, "# driver: %s\n", h->driver);
    }
    fprintf(f, "# started: %s\n", started);
}

struct drv_trace_writer *drv_trace_writer_new(FILE *f, const struct drv_trace_header *h,
                                              struct cd_err *err)
{
    struct drv_trace_writer *w = calloc(1, sizeof *w);
    if (w == NULL) {
        cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
        return NULL;
    }
    w->f = f;
    w->last_reply = NAN;
    clock_gettime(CLOCK_MONOTONIC, &w->start);
    write_header(f, h);
    if (fflush(f) != 0) {
        cd_fail(err, CD_ERR_IO, _("writing the trace header: %s"), strerror(errno));
        free(w);
        return NULL;
    }
    return w;
}

struct drv_trace_writer *drv_trace_writer_create(const char *path,
                                                 const struct drv_trace_header *h,
                                                 struct cd_err *err)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        cd_fail(err, CD_ERR_IO, _("%s: cannot create: %s"), path, strerror(errno));
        return NULL;
    }
    struct drv_trace_writer *w = drv_trace_writer_new(f, h, err);
    if (w == NULL) {
        fclose(f);
        return NULL;
    }
    w->owns = true;
    return w;
}

/* A record is flushed at once: a trace must survive the process being
 * killed mid-conversation. */
static int finish_line(struct drv_trace_writer *w, struct cd_err *err)
{
    if (fputc('\n', w->f) == EOF || fflush(w->f) != 0) {
        if (w->error == 0)
            w->error = CD_ERR_IO;
        return cd_fail(err, CD_ERR_IO, _("writing the trace: %s"), strerror(errno));
    }
    return 0;
}

int drv_trace_writer_bytes(struct drv_trace_writer *w, enum drv_dir dir, double t,
                           const uint8_t *buf, size_t len, struct cd_err *err)
{
    if (len == 0)
        return 0;
    char chunk[1024];
    char stamp[48];
    snprintf(stamp, sizeof stamp, "%.6f", t < 0 ? 0.0 : t);
    /* the time as a replay of the trace will read it back, to the bit */
    if (dir == DRV_DIR_INSTR)
        w->last_reply = strtod(stamp, NULL);
    fprintf(w->f, "%s %c \"", stamp, (char)dir);
    /* Escape in pieces so any length goes through a fixed buffer. */
    for (size_t off = 0; off < len; off += 200) {
        size_t n = len - off < 200 ? len - off : 200;
        drv_escape(buf + off, n, chunk, sizeof chunk);
        fputs(chunk, w->f);
    }
    fputc('"', w->f);
    return finish_line(w, err);
}

int drv_trace_writer_event(struct drv_trace_writer *w, double t, const char *event,
                           struct cd_err *err)
{
    fprintf(w->f, "%.6f ! %s", t < 0 ? 0.0 : t, event);
    return finish_line(w, err);
}

int drv_trace_writer_close(struct drv_trace_writer *w, struct cd_err *err)
{
    if (w == NULL)
        return 0;
    int rc = w->error;
    if (fflush(w->f) != 0 && rc == 0)
        rc = CD_ERR_IO;
    if (w->owns && fclose(w->f) != 0 && rc == 0)
        rc = CD_ERR_IO;
    free(w);
    if (rc != 0)
        return cd_fail(err, rc, _("the trace was not written completely"));
    return 0;
}
