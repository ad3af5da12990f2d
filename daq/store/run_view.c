/* Reading a run back (daq_run_open), checking it (daq_run_verify), and the
 * reading journal's line format, written by run.c and read here. */
#include "run_int.h"
#include "cd_i18n.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* The public view first, what run.h has no field for yet after it. */
struct view_impl {
    struct daq_run_view pub;
    struct daq_reading *pending;
    size_t n_pending;
    char note[256];
    char (*created)[40];
    char (*engine)[64];
    size_t trace_bytes;
};

static const struct view_impl *impl_of(const struct daq_run_view *v)
{
    return (const struct view_impl *)(const void *)v;
}

/* ------------------------------------------------------------ journal */

/* A field of a fixed-size row as a journal writes it: escaped (at most 4
 * bytes per byte, so `out` holds 4 * cap + 1). */
#define ESCAPED(field, out) \
    drv_escape((const uint8_t *)(field), strnlen((field), sizeof(field)), (out), sizeof(out))

int rs_journal_line(size_t index, const struct rs_reading *row, char *buf, size_t cap)
{
    char unit[4 * sizeof row->unit + 1], role[4 * sizeof row->role + 1];
    char display[4 * sizeof row->display + 1], error[4 * sizeof row->error + 1];
    ESCAPED(row->unit, unit);
    ESCAPED(row->role, role);
    ESCAPED(row->display, display);
    ESCAPED(row->error, error);
    int n = snprintf(buf, cap, "%zu %.17g %d %d %.17g %.17g %.17g %s \"%s\" \"%s\" \"%s\" \"%s\"",
                     index, row->t, (int)row->point, (int)row->repetition, row->nominal,
                     row->value, row->resolution, row->status, unit, role, display, error);
    if (n < 0 || (size_t)n >= cap)
        return -1;
    /* the sides of issue 16 after the fields of old journals, only when given */
    if (row->side[0] != '\0' || row->source[0] != '\0' || row->who[0] != '\0') {
        char side[4 * sizeof row->side + 1], source[4 * sizeof row->source + 1];
        char who[4 * sizeof row->who + 1];
        ESCAPED(row->side, side);
        ESCAPED(row->source, source);
        ESCAPED(row->who, who);
        int m = snprintf(buf + n, cap - (size_t)n, " \"%s\" \"%s\" \"%s\"", side, source, who);
        if (m < 0 || (size_t)m >= cap - (size_t)n)
            return -1;
        n += m;
    }
    if ((size_t)n + 1 >= cap)
        return -1;
    buf[n++] = '\n';
    buf[n] = '\0';
    return n;
}

int rs_journal_audit_line(const struct daq_audit_entry *a, char *buf, size_t cap)
{
    char who[4 * sizeof a->who + 1], what[4 * sizeof a->what + 1];
    ESCAPED(a->who, who);
    ESCAPED(a->what, what);
    int n = snprintf(buf, cap, RS_JOURNAL_AUDIT " %lld %.17g \"%s\" \"%s\"\n", (long long)a->seq,
                     a->t, who, what);
    return n < 0 || (size_t)n >= cap ? -1 : n;
}

static int next_double(char **p, double *out)
{
    char *end = NULL;
    errno = 0;
    *out = strtod(*p, &end);
    if (end == *p || (*end != ' ' && *end != '\0'))
        return -1;
    *p = end;
    while (**p == ' ')
        (*p)++;
    return 0;
}

static int next_long(char **p, long long *out)
{
    char *end = NULL;
    errno = 0;
    *out = strtoll(*p, &end, 10);
    if (end == *p || *end != ' ' || errno == ERANGE)
        return -1;
    *p = end;
    while (**p == ' ')
        (*p)++;
    return 0;
}

static int next_string(char **p, char *field, size_t cap)
{
    uint8_t buf[256];
    const char *q = *p;
    int n = drv_unescape(&q, buf, sizeof buf, 1, NULL);
    if (n < 0 || (size_t)n >= cap || memchr(buf, '\0', (size_t)n) != NULL)
        return -1;
    memset(field, 0, cap);
    memcpy(field, buf, (size_t)n);
    *p = (char *)q;
    while (**p == ' ')
        (*p)++;
    return 0;
}

static int parse_journal_line(char *line, size_t *index, struct rs_reading *row)
{
    memset(row, 0, sizeof *row);
    long long idx, point, rep;
    char *p = line;
    if (next_long(&p, &idx) != 0 || idx < 0 || next_double(&p, &row->t) != 0 ||
        next_long(&p, &point) != 0 || next_long(&p, &rep) != 0 ||
        next_double(&p, &row->nominal) != 0 || next_double(&p, &row->value) != 0 ||
        next_double(&p, &row->resolution) != 0)
        return -1;
    char *status = p;
    while (*p != ' ' && *p != '\0')
        p++;
    if (*p != ' ' || (size_t)(p - status) >= sizeof row->status)
        return -1;
    memcpy(row->status, status, (size_t)(p - status));
    while (*p == ' ')
        p++;
    if (next_string(&p, row->unit, sizeof row->unit) != 0 ||
        next_string(&p, row->role, sizeof row->role) != 0 ||
        next_string(&p, row->display, sizeof row->display) != 0 ||
        next_string(&p, row->error, sizeof row->error) != 0)
        return -1;
    if (*p != '\0' && (next_string(&p, row->side, sizeof row->side) != 0 ||
                        next_string(&p, row->source, sizeof row->source) != 0 ||
                        next_string(&p, row->who, sizeof row->who) != 0 || *p != '\0'))
        return -1;
    if (point < INT32_MIN || point > INT32_MAX || rep < INT32_MIN || rep > INT32_MAX)
        return -1;
    row->point = (int32_t)point;
    row->repetition = (int32_t)rep;
    *index = (size_t)idx;
    return 0;
}

/* An audit line after its keyword: seq, t, who, what (no hashes: they are
 * the chain's, recomputed when the entry is taken back). */
static int parse_audit_line(char *line, struct daq_audit_entry *a)
{
    memset(a, 0, sizeof *a);
    long long seq;
    char *p = line;
    if (next_long(&p, &seq) != 0 || seq < 1 || next_double(&p, &a->t) != 0 ||
        next_string(&p, a->who, sizeof a->who) != 0 ||
        next_string(&p, a->what, sizeof a->what) != 0 || *p != '\0' || a->who[0] == '\0' ||
        a->what[0] == '\0')
        return -1;
    a->seq = seq;
    return 0;
}

int rs_journal_read(const char *journal_path, const char *run_id, size_t n_in_file, bool strict,
                    struct rs_reading **out, size_t *n, size_t *torn, char *note, size_t cap,
                    struct cd_err *err)
{
    return rs_journal_read_all(journal_path, run_id, n_in_file, 0, strict, out, n, NULL, NULL,
                               torn, note, cap, err);
}

int rs_journal_read_all(const char *journal_path, const char *run_id, size_t n_in_file,
                        size_t n_audit_in_file, bool strict, struct rs_reading **out, size_t *n,
                        struct daq_audit_entry **audit, size_t *n_audit, size_t *torn,
                        char *note, size_t cap, struct cd_err *err)
{
    *out = NULL;
    *n = 0;
    if (audit != NULL)
        *audit = NULL;
    if (n_audit != NULL)
        *n_audit = 0;
    size_t n_entries = 0, cap_entries = 0;
    struct daq_audit_entry *entries = NULL;
    if (torn != NULL)
        *torn = 0;
    if (cap > 0)
        note[0] = '\0';
    FILE *f = fopen(journal_path, "rb");
    if (f == NULL) {
        if (errno == ENOENT)
            return 0;
        return cd_fail(err, CD_ERR_IO, "%s: %s", journal_path, strerror(errno));
    }
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t len;
    int lineno = 0;
    size_t cap_out = 0;
    int rc = 0;
    while ((len = getline(&line, &line_cap, f)) > 0) {
        lineno++;
        if (line[len - 1] != '\n') {
            snprintf(note, cap,
                     "%s: the last line is incomplete (the process died while writing it); "
                     "ignored",
                     journal_path);
            if (torn != NULL && lineno > 1)
                *torn = 1; /* a reading's line, not the first line's */
            break;
        }
        line[len - 1] = '\0';
        if (lineno == 1) {
            size_t ml = strlen(RS_JOURNAL_MAGIC);
            if (strncmp(line, RS_JOURNAL_MAGIC " ", ml + 1) != 0) {
                if (strict)
                    rc = cd_fail(err, CD_ERR_PARSE, _("%s:1: not a caldaq journal"), journal_path);
                else
                    snprintf(note, cap, "%s: not a caldaq journal; ignored", journal_path);
                break;
            }
            if (strcmp(line + ml + 1, run_id) != 0) {
                if (strict)
                    rc = cd_fail(err, CD_ERR_INVALID, _("%s:1: belongs to another run (%.40s)"),
                                 journal_path, line + ml + 1);
                else
                    snprintf(note, cap, "%s: belongs to another run (%.40s); ignored",
                             journal_path, line + ml + 1);
                break;
            }
            continue;
        }
        size_t kl = strlen(RS_JOURNAL_AUDIT);
        if (strncmp(line, RS_JOURNAL_AUDIT " ", kl + 1) == 0) {
            struct daq_audit_entry a;
            if (parse_audit_line(line + kl + 1, &a) != 0) {
                if (strict)
                    rc = cd_fail(err, CD_ERR_PARSE, _("%s:%d: malformed line"), journal_path,
                                 lineno);
                else
                    snprintf(note, cap, "%s:%d: malformed line; it and what follows are ignored",
                             journal_path, lineno);
                break;
            }
            if ((size_t)a.seq <= n_audit_in_file)
                continue; /* in the snapshot already */
            if (strict && (size_t)a.seq != n_audit_in_file + n_entries + 1) {
                rc = cd_fail(err, CD_ERR_PARSE,
                             _("%s:%d: log entry %lld where log entry %zu comes next"),
                             journal_path, lineno, (long long)a.seq,
                             n_audit_in_file + n_entries + 1);
                break;
            }
            if (rs_grow((void **)&entries, &cap_entries, n_entries + 1, sizeof *entries) != 0) {
                rc = cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
                break;
            }
            entries[n_entries++] = a;
            continue;
        }
        size_t index;
        struct rs_reading row;
        bool bad = parse_journal_line(line, &index, &row) != 0;
        if (strict && !bad && rs_status_parse(row.status) < 0)
            bad = true;
        if (bad) {
            if (strict)
                rc = cd_fail(err, CD_ERR_PARSE, _("%s:%d: malformed line"), journal_path, lineno);
            else
                snprintf(note, cap, "%s:%d: malformed line; it and what follows are ignored",
                         journal_path, lineno);
            break;
        }
        if (index < n_in_file)
            continue; /* the snapshot that holds it was written, the reset was not */
        if (strict && index != n_in_file + *n) {
            rc = cd_fail(err, CD_ERR_PARSE, _("%s:%d: reading %zu where reading %zu comes next"),
                         journal_path, lineno, index, n_in_file + *n);
            break;
        }
        if (rs_grow((void **)out, &cap_out, *n + 1, sizeof **out) != 0) {
            rc = cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
            break;
        }
        (*out)[(*n)++] = row;
    }
    free(line);
    fclose(f);
    if (rc != 0) {
        free(*out);
        *out = NULL;
        *n = 0;
        free(entries);
        return rc;
    }
    if (n_audit != NULL)
        *n_audit = n_entries;
    if (audit != NULL)
        *audit = entries;
    else
        free(entries);
    return 0;
}

int rs_journal_load(const char *journal_path, const char *run_id, size_t n_in_file,
                    size_t n_audit_in_file, struct daq_reading **out, size_t *n, char *note,
                    size_t cap, struct cd_err *err)
{
    *out = NULL;
    *n = 0;
    struct rs_reading *rows = NULL;
    size_t n_rows = 0, n_entries = 0;
    int rc = rs_journal_read_all(journal_path, run_id, n_in_file, n_audit_in_file, false, &rows,
                                 &n_rows, NULL, &n_entries, NULL, note, cap, err);
    if (rc != 0)
        return rc;
    if (n_rows > 0) {
        *out = calloc(n_rows, sizeof **out);
        if (*out == NULL) {
            free(rows);
            return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
        }
        for (size_t i = 0; i < n_rows; i++)
            rs_reading_to(&rows[i], &(*out)[i]);
        *n = n_rows;
    }
    free(rows);
    if (note[0] == '\0' && *n > 0)
        snprintf(note, cap, "%s: %zu reading%s of an unfinished test point, not in the file",
                 journal_path, *n, *n == 1 ? "" : "s");
    size_t used = strlen(note);
    if (n_entries > 0)
        snprintf(note + used, cap - used, "%s%zu audit entr%s not in the file (notes, skipped "
                 "points)",
                 used > 0 ? "; " : "", n_entries, n_entries == 1 ? "y" : "ies");
    return 0;
}

/* ------------------------------------------------------------ view */

void daq_run_view_free(struct daq_run_view *v)
{
    if (v == NULL)
        return;
    struct view_impl *x = (struct view_impl *)(void *)v;
    free(v->profile_text);
    free(v->standards);
    free(v->env);
    free(v->readings);
    drv_trace_free(v->trace);
    free(v->audit);
    for (size_t i = 0; i < v->n_results; i++)
        free(v->results[i]);
    free(v->results);
    free(x->pending);
    free(x->created);
    free(x->engine);
    free(x);
}

/* The trace as drv_trace_parse would give it for `caldaq trace` output:
 * records point into one pool, events NUL-terminated, line numbers those of
 * the written file. */
static int build_trace(const struct rs_data *d, struct drv_trace **out)
{
    struct drv_trace *t = calloc(1, sizeof *t);
    if (t == NULL)
        return CD_ERR_NOMEM;
    size_t extra = 1;
    for (size_t i = 0; i < d->n_trace; i++)
        if (d->trace[i].dir == '!')
            extra += d->trace[i].length + 1;
    t->records = calloc(d->n_trace > 0 ? d->n_trace : 1, sizeof *t->records);
    t->pool = malloc(d->n_trace_bytes + extra);
    if (t->records == NULL || t->pool == NULL) {
        drv_trace_free(t);
        return CD_ERR_NOMEM;
    }
    t->header = d->trace_header;
    if (d->n_trace_bytes > 0)
        memcpy(t->pool, d->trace_bytes, d->n_trace_bytes);
    int header_lines = 2; /* magic and started */
    const char *fields[] = {d->trace_header.transport, d->trace_header.port,
                            d->trace_header.settings, d->trace_header.driver};
    for (size_t i = 0; i < 4; i++)
        header_lines += fields[i][0] != '\0';
    size_t used = d->n_trace_bytes;
    for (size_t i = 0; i < d->n_trace; i++) {
        const struct rs_trace_rec *r = &d->trace[i];
        struct drv_trace_record *o = &t->records[i];
        o->t = r->t;
        o->dir = (enum drv_dir)r->dir;
        o->len = (size_t)r->length;
        o->line = header_lines + (int)i + 1;
        if (r->dir == '!') {
            memcpy(t->pool + used, d->trace_bytes + r->offset, (size_t)r->length);
            t->pool[used + r->length] = '\0';
            o->data = t->pool + used;
            used += (size_t)r->length + 1;
        } else {
            o->data = t->pool + r->offset;
        }
    }
    t->n = d->n_trace;
    *out = t;
    return 0;
}

/* The file's content: read here (r NULL), or by a reader's child process
 * with a time limit (run_guard.c). */
static int read_data(const char *path, daq_run_reader *r, struct rs_data *d, struct cd_err *err)
{
    if (r != NULL)
        return rs_reader_read(r, path, d, err);
    return rs_h5_read(path, d, err);
}

static int open_view(const char *path, daq_run_reader *r, struct daq_run_view **out,
                     struct cd_err *err)
{
    *out = NULL;
    if (path == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("daq_run_open: no path"));
    if (sodium_init() < 0)
        return cd_fail(err, CD_ERR_IO, _("libsodium cannot initialise"));
    struct rs_data d;
    int rc = read_data(path, r, &d, err);
    if (rc != 0)
        return rc;
    struct view_impl *x = calloc(1, sizeof *x);
    if (x == NULL) {
        rs_data_free(&d);
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    }
    struct daq_run_view *v = &x->pub;
    v->info = d.info;
    v->device = d.device;
    memcpy(v->content_sha256, d.content_sha256, sizeof v->content_sha256);
    v->profile_text = d.profile;
    d.profile = NULL;
    v->standards = d.standards;
    v->n_standards = d.n_standards;
    d.standards = NULL;
    v->env = d.env;
    v->n_env = d.n_env;
    d.env = NULL;
    v->audit = d.audit;
    v->n_audit = d.n_audit;
    d.audit = NULL;
    x->trace_bytes = d.n_trace_bytes;

    v->readings = calloc(d.n_readings > 0 ? d.n_readings : 1, sizeof *v->readings);
    v->results = calloc(d.n_results > 0 ? d.n_results : 1, sizeof *v->results);
    x->created = calloc(d.n_results > 0 ? d.n_results : 1, sizeof *x->created);
    x->engine = calloc(d.n_results > 0 ? d.n_results : 1, sizeof *x->engine);
    if (v->readings == NULL || v->results == NULL || x->created == NULL || x->engine == NULL ||
        build_trace(&d, &v->trace) != 0)
        rc = cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    for (size_t i = 0; rc == 0 && i < d.n_readings; i++) {
        if (rs_reading_to(&d.readings[i], &v->readings[i]) != 0)
            rc = cd_fail(err, CD_ERR_PARSE, _("%s: /readings row %zu: unknown status \"%.16s\""),
                         path, i, d.readings[i].status);
        v->n_readings = i + 1;
    }
    for (size_t i = 0; rc == 0 && i < d.n_results; i++) {
        v->results[i] = d.results[i].json;
        d.results[i].json = NULL;
        memcpy(x->created[i], d.results[i].created, sizeof x->created[i]);
        memcpy(x->engine[i], d.results[i].engine, sizeof x->engine[i]);
        v->n_results = i + 1;
    }
    if (rc == 0) {
        char *jpath = malloc(strlen(path) + sizeof ".journal");
        if (jpath == NULL) {
            rc = cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
        } else {
            sprintf(jpath, "%s.journal", path);
            rc = rs_journal_load(jpath, v->info.run_id, d.n_readings, d.n_audit, &x->pending,
                                 &x->n_pending, x->note, sizeof x->note, err);
            free(jpath);
        }
    }
    rs_data_free(&d);
    if (rc != 0) {
        daq_run_view_free(v);
        return rc;
    }
    *out = v;
    return 0;
}

int daq_run_open(const char *path, struct daq_run_view **out, struct cd_err *err)
{
    return open_view(path, NULL, out, err);
}

int daq_run_reader_open(daq_run_reader *r, const char *path, struct daq_run_view **out,
                        struct cd_err *err)
{
    if (r == NULL) {
        *out = NULL;
        return cd_fail(err, CD_ERR_INVALID, _("daq_run_reader_open: no reader"));
    }
    return open_view(path, r, out, err);
}

int daq_run_open_guarded(const char *path, unsigned timeout_s, struct daq_run_view **out,
                         struct cd_err *err)
{
    *out = NULL;
    daq_run_reader *r = daq_run_reader_new(timeout_s);
    if (r == NULL)
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    int rc = open_view(path, r, out, err);
    daq_run_reader_free(r);
    return rc;
}

const struct daq_reading *daq_run_view_pending(const struct daq_run_view *v, size_t *n,
                                               const char **note)
{
    const struct view_impl *x = impl_of(v);
    *n = x->n_pending;
    if (note != NULL)
        *note = x->note;
    return x->pending;
}

const char *daq_run_view_result_created(const struct daq_run_view *v, size_t i)
{
    return i < v->n_results ? impl_of(v)->created[i] : NULL;
}

const char *daq_run_view_result_engine(const struct daq_run_view *v, size_t i)
{
    return i < v->n_results ? impl_of(v)->engine[i] : NULL;
}

size_t daq_run_view_trace_bytes(const struct daq_run_view *v)
{
    return impl_of(v)->trace_bytes;
}

/* ------------------------------------------------------------ verify */

struct findings {
    struct daq_run_finding *a;
    size_t n, cap;
    bool nomem;
};

static void add(struct findings *f, const char *object, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add(struct findings *f, const char *object, const char *fmt, ...)
{
    if (rs_grow((void **)&f->a, &f->cap, f->n + 1, sizeof *f->a) != 0) {
        f->nomem = true;
        return;
    }
    struct daq_run_finding *x = &f->a[f->n++];
    memset(x, 0, sizeof *x);
    RS_COPY(x->object, object);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->text, sizeof x->text, fmt, ap);
    va_end(ap);
}

/* The stored manifest's digest for `name`, or NULL. */
static const char *stored_digest(const char *manifest, const char *name, char hex[65])
{
    const char *p = manifest;
    size_t nl = strlen(name);
    while (p != NULL && *p != '\0') {
        const char *eol = strchr(p, '\n');
        size_t len = eol != NULL ? (size_t)(eol - p) : strlen(p);
        if (len == 64 + 2 + nl && p[64] == ' ' && p[65] == ' ' && memcmp(p + 66, name, nl) == 0) {
            memcpy(hex, p, 64);
            hex[64] = '\0';
            return hex;
        }
        p = eol != NULL ? eol + 1 : NULL;
    }
    return NULL;
}

static void check_manifest(const struct rs_data *d, const struct rs_digest *dg, size_t n,
                           struct findings *f)
{
    char hex[65], stored[65];
    for (size_t i = 0; i < n; i++) {
        rs_hex(dg[i].sha, hex);
        if (stored_digest(d->manifest, dg[i].name, stored) == NULL)
            add(f, dg[i].name, "content hash mismatch: %s is not in the recorded content (added)",
                dg[i].name);
        else if (strcmp(hex, stored) != 0)
            add(f, dg[i].name, "content hash mismatch: %s changed", dg[i].name);
    }
    /* Sections the manifest names that the file no longer has. */
    const char *p = d->manifest;
    while (p != NULL && *p != '\0') {
        const char *eol = strchr(p, '\n');
        size_t len = eol != NULL ? (size_t)(eol - p) : strlen(p);
        char name[64] = "";
        if (len > 66 && len - 66 < sizeof name) {
            memcpy(name, p + 66, len - 66);
            name[len - 66] = '\0';
        }
        bool found = false;
        for (size_t i = 0; i < n && !found; i++)
            found = strcmp(dg[i].name, name) == 0;
        if (!found)
            add(f, name[0] ? name : "content_manifest",
                "content hash mismatch: %s was removed", name[0] ? name : "a manifest line");
        p = eol != NULL ? eol + 1 : NULL;
    }
    char content[65];
    rs_sha256_hex(d->manifest, strlen(d->manifest), content);
    if (strcmp(content, d->content_sha256) != 0)
        add(f, "content_sha256",
            "content hash mismatch: content_sha256 does not match content_manifest (one of "
            "them was altered)");
}

static void check_audit(const struct rs_data *d, struct findings *f)
{
    char prev[65];
    memset(prev, '0', 64);
    prev[64] = '\0';
    int64_t expected = 1;
    bool at_last_seq = false; /* an entry claimed INT64_MAX: nothing may follow it */
    for (size_t i = 0; i < d->n_audit; i++) {
        const struct daq_audit_entry *a = &d->audit[i];
        bool gap = false;
        if (at_last_seq) {
            gap = true;
            add(f, "/audit", "audit entry %lld is out of order or repeated (after entry %lld)",
                (long long)a->seq, (long long)INT64_MAX);
        } else if (a->seq > expected) {
            gap = true;
            if (a->seq - 1 == expected) /* a->seq > expected: no overflow */
                add(f, "/audit", "audit entry %lld removed", (long long)expected);
            else
                add(f, "/audit", "audit entries %lld to %lld removed", (long long)expected,
                    (long long)a->seq - 1);
        } else if (a->seq < expected) {
            gap = true;
            add(f, "/audit", "audit entry %lld is out of order or repeated (after entry %lld)",
                (long long)a->seq, (long long)expected - 1);
        }
        char sha[65];
        rs_audit_hash(a->prev_sha256, a->seq, a->t, a->who, a->what, sha);
        if (strncmp(sha, a->sha256, 65) != 0)
            add(f, "/audit", "audit entry %lld broken: its sha256 does not match its content",
                (long long)a->seq);
        else if (!gap && strncmp(a->prev_sha256, prev, 65) != 0)
            add(f, "/audit",
                "audit entry %lld broken: prev_sha256 is not the hash of entry %lld",
                (long long)a->seq, (long long)a->seq - 1);
        memcpy(prev, a->sha256, sizeof prev);
        prev[64] = '\0';
        /* A damaged or forged file can claim any seq: INT64_MAX + 1 would
         * overflow (found by fuzzing), so the last possible seq ends the chain. */
        if (a->seq == INT64_MAX)
            at_last_seq = true;
        else
            expected = a->seq + 1;
    }
}

static int check(const char *path, daq_run_reader *r, struct daq_run_finding **out, size_t *n,
                 struct cd_err *err)
{
    *out = NULL;
    *n = 0;
    if (sodium_init() < 0)
        return cd_fail(err, CD_ERR_IO, _("libsodium cannot initialise"));
    struct findings f = {0};
    struct rs_data d;
    struct cd_err rerr = {0};
    int rc = read_data(path, r, &d, &rerr);
    if (rc == CD_ERR_PARSE) {
        /* The file opens but an object is missing or unreadable. */
        add(&f, "file", "%s", rerr.msg);
    } else if (rc != 0) {
        return cd_fail(err, rc, "%s", rerr.msg);
    } else {
        struct rs_digest *dg = NULL;
        size_t nd = 0;
        if (rs_digests(&d, &dg, &nd) != 0) {
            rs_data_free(&d);
            return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
        }
        check_manifest(&d, dg, nd, &f);
        free(dg);
        char sha[65];
        rs_sha256_hex(d.profile, strlen(d.profile), sha);
        if (strcmp(sha, d.info.profile_sha256) != 0)
            add(&f, "/profile/text", "profile_sha256 does not match /profile/text");
        check_audit(&d, &f);
        rs_data_free(&d);
    }
    if (f.nomem) {
        free(f.a);
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    }
    *out = f.a;
    *n = f.n;
    if (f.n > 0)
        return cd_fail(err, CD_ERR_INVALID, "%s: %s%s", path, f.a[0].text,
                       f.n > 1 ? " (and more)" : "");
    return 0;
}

int daq_run_check(const char *path, struct daq_run_finding **out, size_t *n, struct cd_err *err)
{
    return check(path, NULL, out, n, err);
}

int daq_run_check_guarded(const char *path, unsigned timeout_s, struct daq_run_finding **out,
                          size_t *n, struct cd_err *err)
{
    *out = NULL;
    *n = 0;
    daq_run_reader *r = daq_run_reader_new(timeout_s);
    if (r == NULL)
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    int rc = check(path, r, out, n, err);
    daq_run_reader_free(r);
    return rc;
}

int daq_run_verify(const char *path, char *report, size_t cap, struct cd_err *err)
{
    struct daq_run_finding *a = NULL;
    size_t n = 0;
    if (cap > 0)
        report[0] = '\0';
    int rc = daq_run_check(path, &a, &n, err);
    if (rc != 0 && rc != CD_ERR_INVALID)
        return rc;
    size_t used = 0;
    if (n == 0) {
        snprintf(report, cap, "intact");
    } else {
        for (size_t i = 0; i < n && used < cap; i++) {
            int w = snprintf(report + used, cap - used, "%s%s", i > 0 ? "\n" : "", a[i].text);
            if (w < 0)
                break;
            used += (size_t)w;
        }
    }
    free(a);
    return rc;
}
