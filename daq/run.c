/* The run writer: the run lives in memory; every checkpoint writes it whole
 * to RUN.h5.tmp, fsyncs it and renames it over RUN.h5 (docs/run-format.md,
 * "Crash safety"). Readings between checkpoints go to RUN.h5.journal, one
 * fsync'd line each; the raw trace is recorded to RUN.h5.trace by a
 * drv_trace_writer and taken into the run at each checkpoint. */
#include "run_int.h"
#include "run_extra.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#ifndef CALDAQ_VERSION
#define CALDAQ_VERSION "0.1.0"
#endif

#define TRACE_MAGIC_LINE "# caldaq-trace 1\n"

struct daq_run {
    struct rs_data d;
    char *path;             /* RUN.h5 */
    char *tmp_path;         /* RUN.h5.tmp */
    char *journal_path;     /* RUN.h5.journal */
    char *trace_path;       /* RUN.h5.trace */
    char *dir_path;         /* the folder, fsync'd after each rename */
    int journal_fd;
    size_t n_in_file;       /* readings in the last snapshot */
    FILE *trace_f;
    struct drv_trace_writer *tw;
    off_t trace_done;       /* bytes of RUN.h5.trace already in d */
    bool reopened;          /* by daq_run_reopen: results and audit only */
};

/* ------------------------------------------------------------ files */

static char *concat(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 1);
    if (s != NULL) {
        memcpy(s, a, la);
        memcpy(s + la, b, lb + 1);
    }
    return s;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

static int fsync_path(const char *path, bool dir, struct cd_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | (dir ? O_DIRECTORY : 0));
    if (fd < 0)
        return cd_fail(err, CD_ERR_IO, "%s: cannot open to sync: %s", path, strerror(errno));
    int rc = 0;
    if (fsync(fd) != 0 && !(dir && (errno == EINVAL || errno == EROFS)))
        rc = cd_fail(err, CD_ERR_IO, "%s: fsync: %s", path, strerror(errno));
    close(fd);
    return rc;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Put the sealed run in place: RUN.h5.tmp written, synced, renamed (the
 * first time linked, so that an existing run is never replaced). */
static int snapshot(daq_run *run, bool first, struct cd_err *err)
{
    if (rs_seal(&run->d) != 0)
        return cd_fail(err, CD_ERR_NOMEM, "%s: out of memory", run->path);
    int rc = rs_h5_write(run->tmp_path, &run->d, err);
    if (rc == 0)
        rc = fsync_path(run->tmp_path, false, err);
    if (rc == 0 && first) {
        if (link(run->tmp_path, run->path) == 0) {
            unlink(run->tmp_path);
        } else if (errno == EEXIST) {
            rc = cd_fail(err, CD_ERR_INVALID, "%s already exists: a run is never overwritten",
                         run->path);
        } else {
            /* No hard links here (vfat, some network file systems). */
            struct stat st;
            if (lstat(run->path, &st) == 0)
                rc = cd_fail(err, CD_ERR_INVALID,
                             "%s already exists: a run is never overwritten", run->path);
            else if (rename(run->tmp_path, run->path) != 0)
                rc = cd_fail(err, CD_ERR_IO, "%s: rename from %s: %s", run->path,
                             run->tmp_path, strerror(errno));
        }
    } else if (rc == 0 && rename(run->tmp_path, run->path) != 0) {
        rc = cd_fail(err, CD_ERR_IO, "%s: rename from %s: %s", run->path, run->tmp_path,
                     strerror(errno));
    }
    if (rc != 0) {
        unlink(run->tmp_path);
        return rc;
    }
    rc = fsync_path(run->dir_path, true, err);
    if (rc == 0)
        run->n_in_file = run->d.n_readings;
    return rc;
}

/* ------------------------------------------------------------ journal */

static int journal_reset(daq_run *run, struct cd_err *err)
{
    char head[96];
    int n = snprintf(head, sizeof head, RS_JOURNAL_MAGIC " %s\n", run->d.info.run_id);
    if (ftruncate(run->journal_fd, 0) != 0 || write_all(run->journal_fd, head, (size_t)n) != 0 ||
        fdatasync(run->journal_fd) != 0)
        return cd_fail(err, CD_ERR_IO, "%s: cannot reset the journal: %s", run->journal_path,
                       strerror(errno));
    return 0;
}

static int journal_open(daq_run *run, struct cd_err *err)
{
    run->journal_fd = open(run->journal_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
                           0644);
    if (run->journal_fd < 0)
        return cd_fail(err, CD_ERR_IO, "%s: cannot create the journal: %s", run->journal_path,
                       strerror(errno));
    return journal_reset(run, err);
}

/* ------------------------------------------------------------ trace */

static void header_from_device(struct drv_trace_header *h, const struct daq_device *dev)
{
    if (h->port[0] == '\0')
        RS_COPY(h->port, dev->port);
    if (h->settings[0] == '\0') {
        /* Trace headers write "9600 8N1"; a port may be given "9600,8N1". */
        RS_COPY(h->settings, dev->settings);
        for (char *c = h->settings; *c != '\0'; c++)
            if (*c == ',')
                *c = ' ';
    }
    if (h->driver[0] == '\0')
        RS_COPY(h->driver, dev->driver);
    if (h->transport[0] == '\0' && dev->port[0] != '\0')
        RS_COPY(h->transport, strncmp(dev->port, "tcp:", 4) == 0 ? "tcp" : "serial");
}

/* Take the complete lines RUN.h5.trace gained since the last time into the
 * run: parse them (a chunk after the first gets the magic line in front)
 * and append their records. */
static int trace_absorb(daq_run *run, struct cd_err *err)
{
    if (run->trace_f != NULL && fflush(run->trace_f) != 0)
        return cd_fail(err, CD_ERR_IO, "%s: %s", run->trace_path, strerror(errno));
    int fd = open(run->trace_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cd_fail(err, CD_ERR_IO, "%s: cannot read the trace journal: %s",
                       run->trace_path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size <= run->trace_done) {
        close(fd);
        return 0;
    }
    size_t prefix = run->trace_done > 0 ? strlen(TRACE_MAGIC_LINE) : 0;
    size_t len = (size_t)(st.st_size - run->trace_done);
    char *buf = malloc(prefix + len + 1);
    if (buf == NULL) {
        close(fd);
        return cd_fail(err, CD_ERR_NOMEM, "%s: out of memory", run->trace_path);
    }
    memcpy(buf, TRACE_MAGIC_LINE, prefix);
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, buf + prefix + got, len - got, run->trace_done + (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    /* Only whole lines: a record being written stays for next time. */
    size_t used = got;
    while (used > 0 && buf[prefix + used - 1] != '\n')
        used--;
    if (used == 0) {
        free(buf);
        return 0;
    }
    struct drv_trace *t = NULL;
    int rc = drv_trace_parse(buf, prefix + used, run->trace_path, &t, err);
    free(buf);
    if (rc != 0)
        return rc;
    if (run->trace_done == 0) {
        char started[sizeof run->d.trace_header.started];
        RS_COPY(started, t->header.started);
        memset(&run->d.trace_header, 0, sizeof run->d.trace_header);
        RS_COPY(run->d.trace_header.transport, t->header.transport);
        RS_COPY(run->d.trace_header.port, t->header.port);
        RS_COPY(run->d.trace_header.settings, t->header.settings);
        RS_COPY(run->d.trace_header.driver, t->header.driver);
        RS_COPY(run->d.trace_header.started, started);
        header_from_device(&run->d.trace_header, &run->d.device);
    }
    for (size_t i = 0; rc == 0 && i < t->n; i++) {
        const struct drv_trace_record *r = &t->records[i];
        if (rs_add_trace(&run->d, r->t, (char)r->dir, r->data, r->len) != 0)
            rc = cd_fail(err, CD_ERR_NOMEM, "%s: out of memory", run->trace_path);
    }
    drv_trace_free(t);
    if (rc == 0)
        run->trace_done += (off_t)used;
    return rc;
}

static int trace_open(daq_run *run, struct cd_err *err)
{
    run->trace_f = fopen(run->trace_path, "w");
    if (run->trace_f == NULL)
        return cd_fail(err, CD_ERR_IO, "%s: cannot create the trace journal: %s",
                       run->trace_path, strerror(errno));
    struct drv_trace_header h;
    memset(&h, 0, sizeof h);
    RS_COPY(h.started, run->d.info.started);
    run->tw = drv_trace_writer_new(run->trace_f, &h, err);
    if (run->tw == NULL)
        return err != NULL && err->code != 0 ? err->code : CD_ERR_IO;
    return 0;
}

/* ------------------------------------------------------------ lifecycle */

static void run_free(daq_run *run)
{
    if (run == NULL)
        return;
    if (run->tw != NULL)
        drv_trace_writer_close(run->tw, NULL);
    if (run->trace_f != NULL)
        fclose(run->trace_f);
    if (run->journal_fd >= 0)
        close(run->journal_fd);
    rs_data_free(&run->d);
    free(run->path);
    free(run->tmp_path);
    free(run->journal_path);
    free(run->trace_path);
    free(run->dir_path);
    free(run);
}

static void make_uuid(char out[37])
{
    uint8_t b[16];
    randombytes_buf(b, sizeof b);
    b[6] = (uint8_t)((b[6] & 0x0F) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3F) | 0x80); /* RFC 4122 variant */
    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
}

/* Copy `src` into a fixed field; when it does not fit, cut it at a UTF-8
 * character boundary and end it with "..." (an audit entry is better cut
 * than lost: an error message may be long). */
static void copy_cut(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n < cap) {
        rs_copy(dst, cap, src);
        return;
    }
    size_t keep = cap - 4;
    while (keep > 0 && ((unsigned char)src[keep] & 0xC0) == 0x80)
        keep--; /* src[keep] must start a character */
    memset(dst, 0, cap);
    memcpy(dst, src, keep);
    memcpy(dst + keep, "...", 3);
}

static int audit_add(daq_run *run, const char *who, const char *what, struct cd_err *err)
{
    struct rs_data *d = &run->d;
    if (who == NULL || what == NULL || who[0] == '\0' || what[0] == '\0')
        return cd_fail(err, CD_ERR_INVALID, "an audit entry needs who and what");
    if (rs_grow((void **)&d->audit, &d->cap_audit, d->n_audit + 1, sizeof *d->audit) != 0)
        return cd_fail(err, CD_ERR_NOMEM, "out of memory");
    struct daq_audit_entry *a = &d->audit[d->n_audit];
    memset(a, 0, sizeof *a);
    a->seq = (int64_t)d->n_audit + 1;
    a->t = rs_now();
    copy_cut(a->who, sizeof a->who, who);
    copy_cut(a->what, sizeof a->what, what);
    if (d->n_audit == 0)
        memset(a->prev_sha256, '0', 64);
    else
        memcpy(a->prev_sha256, d->audit[d->n_audit - 1].sha256, 64);
    rs_audit_hash(a->prev_sha256, a->seq, a->t, a->who, a->what, a->sha256);
    d->n_audit++;
    return 0;
}

/* The operator, or "caldaq" for entries the store makes itself. */
static const char *who_of(const daq_run *run)
{
    return run->d.info.operator_name[0] != '\0' ? run->d.info.operator_name : "caldaq";
}

int daq_run_create(const char *path, const struct daq_run_info *info, const char *profile_text,
                   daq_run **out, struct cd_err *err)
{
    *out = NULL;
    if (path == NULL || path[0] == '\0' || info == NULL)
        return cd_fail(err, CD_ERR_INVALID, "daq_run_create: no path or no run information");
    if (sodium_init() < 0)
        return cd_fail(err, CD_ERR_IO, "libsodium cannot initialise");
    struct stat st;
    if (lstat(path, &st) == 0)
        return cd_fail(err, CD_ERR_INVALID, "%s already exists: a run is never overwritten",
                       path);
    daq_run *run = calloc(1, sizeof *run);
    if (run == NULL)
        return cd_fail(err, CD_ERR_NOMEM, "out of memory");
    run->journal_fd = -1;
    rs_data_init(&run->d);
    run->path = strdup(path);
    run->tmp_path = concat(path, ".tmp");
    run->journal_path = concat(path, ".journal");
    run->trace_path = concat(path, ".trace");
    run->dir_path = dir_of(path);
    run->d.profile = strdup(profile_text != NULL ? profile_text : "");
    if (run->path == NULL || run->tmp_path == NULL || run->journal_path == NULL ||
        run->trace_path == NULL || run->dir_path == NULL || run->d.profile == NULL) {
        run_free(run);
        return cd_fail(err, CD_ERR_NOMEM, "out of memory");
    }

    struct daq_run_info *i = &run->d.info;
    RS_COPY(i->operator_name, info->operator_name);
    RS_COPY(i->lab, info->lab);
    RS_COPY(i->profile_name, info->profile_name);
    make_uuid(i->run_id);
    if (info->started[0] != '\0')
        RS_COPY(i->started, info->started);
    else
        rs_iso8601(rs_now(), i->started, sizeof i->started);
    RS_COPY(i->status, "in-progress");
    rs_sha256_hex(run->d.profile, strlen(run->d.profile), i->profile_sha256);
    RS_COPY(i->caldaq_version, info->caldaq_version[0] != '\0' ? info->caldaq_version
                                                               : CALDAQ_VERSION);
    RS_COPY(run->d.trace_header.started, i->started);

    char what[256];
    snprintf(what, sizeof what, "run created (profile %.100s, sha256 %.12s)",
             i->profile_name[0] ? i->profile_name : "unnamed", i->profile_sha256);
    int rc = audit_add(run, who_of(run), what, err);
    if (rc == 0)
        rc = snapshot(run, true, err);
    if (rc != 0) {
        run_free(run);
        return rc;
    }
    rc = journal_open(run, err);
    if (rc == 0)
        rc = trace_open(run, err);
    if (rc != 0) {
        unlink(run->path);
        unlink(run->journal_path);
        unlink(run->trace_path);
        run_free(run);
        return rc;
    }
    *out = run;
    return 0;
}

/* A reopened run keeps what was measured as it was: only results versions
 * and audit entries may be added. */
static int refuse_reopened(const daq_run *run, const char *what, struct cd_err *err)
{
    return cd_fail(err, CD_ERR_INVALID,
                   "%s: cannot add %s to a reopened %s run: readings, trace, device, standards "
                   "and environment stay as measured (only results and audit entries)",
                   run->path, what, run->d.info.status);
}

const struct daq_run_info *daq_run_get_info(const daq_run *run)
{
    return &run->d.info;
}

int daq_run_set_device(daq_run *run, const struct daq_device *dev, struct cd_err *err)
{
    if (run == NULL || dev == NULL)
        return cd_fail(err, CD_ERR_INVALID, "daq_run_set_device: no run or no device");
    if (run->reopened)
        return refuse_reopened(run, "the device", err);
    struct daq_device *v = &run->d.device;
    memset(v, 0, sizeof *v);
    RS_COPY(v->driver, dev->driver);
    RS_COPY(v->port, dev->port);
    RS_COPY(v->settings, dev->settings);
    RS_COPY(v->id.manufacturer, dev->id.manufacturer);
    RS_COPY(v->id.model, dev->id.model);
    RS_COPY(v->id.serial, dev->id.serial);
    RS_COPY(v->id.firmware, dev->id.firmware);
    header_from_device(&run->d.trace_header, v);
    return 0;
}

static bool is_date(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    return true;
}

int daq_run_add_standard(daq_run *run, const struct daq_standard *s, struct cd_err *err)
{
    if (run == NULL || s == NULL || s->id[0] == '\0')
        return cd_fail(err, CD_ERR_INVALID, "a reference standard needs an id");
    if (run->reopened)
        return refuse_reopened(run, "a reference standard", err);
    if (s->due_date[0] != '\0' && !is_date(s->due_date))
        return cd_fail(err, CD_ERR_INVALID, "standard %.64s: due date \"%.16s\" is not YYYY-MM-DD",
                       s->id, s->due_date);
    struct rs_data *d = &run->d;
    if (rs_grow((void **)&d->standards, &d->cap_standards, d->n_standards + 1,
                sizeof *d->standards) != 0)
        return cd_fail(err, CD_ERR_NOMEM, "out of memory");
    struct daq_standard *c = &d->standards[d->n_standards++];
    memset(c, 0, sizeof *c);
    RS_COPY(c->id, s->id);
    RS_COPY(c->certificate, s->certificate);
    c->value = s->value;
    c->u = s->u;
    c->k = s->k;
    RS_COPY(c->unit, s->unit);
    RS_COPY(c->due_date, s->due_date);
    RS_COPY(c->role, s->role);
    c->nominal = s->nominal;
    RS_COPY(c->mark, s->mark);
    return 0;
}

int daq_run_add_env(daq_run *run, const struct daq_env *e, struct cd_err *err)
{
    if (run == NULL || e == NULL)
        return cd_fail(err, CD_ERR_INVALID, "daq_run_add_env: no run or no conditions");
    if (run->reopened)
        return refuse_reopened(run, "environmental conditions", err);
    struct rs_data *d = &run->d;
    if (rs_grow((void **)&d->env, &d->cap_env, d->n_env + 1, sizeof *d->env) != 0)
        return cd_fail(err, CD_ERR_NOMEM, "out of memory");
    struct daq_env *c = &d->env[d->n_env++];
    memset(c, 0, sizeof *c);
    c->t = e->t;
    c->temp_c = e->temp_c;
    c->rh_pct = e->rh_pct;
    c->p_hpa = e->p_hpa;
    RS_COPY(c->where, e->where);
    return 0;
}

int daq_run_add_reading(daq_run *run, const struct daq_reading *r, struct cd_err *err)
{
    if (run == NULL || r == NULL)
        return cd_fail(err, CD_ERR_INVALID, "daq_run_add_reading: no run or no reading");
    if (run->reopened)
        return refuse_reopened(run, "a reading", err);
    struct rs_data *d = &run->d;
    struct rs_reading row;
    if (rs_reading_from(r, &row) != 0)
        return cd_fail(err, CD_ERR_INVALID, "reading with an unknown status %d", (int)r->r.status);
    if (rs_grow((void **)&d->readings, &d->cap_readings, d->n_readings + 1,
                sizeof *d->readings) != 0)
        return cd_fail(err, CD_ERR_NOMEM, "out of memory");
    char line[1024];
    int n = rs_journal_line(d->n_readings, &row, line, sizeof line);
    if (n < 0)
        return cd_fail(err, CD_ERR_INVALID, "reading too long for the journal");
    /* In the journal (on disk) first: a reading the caller was told about
     * survives a crash. */
    if (write_all(run->journal_fd, line, (size_t)n) != 0 || fdatasync(run->journal_fd) != 0)
        return cd_fail(err, CD_ERR_IO, "%s: cannot journal the reading: %s", run->journal_path,
                       strerror(errno));
    d->readings[d->n_readings++] = row;
    return 0;
}

struct drv_trace_writer *daq_run_trace_writer(daq_run *run)
{
    return run != NULL ? run->tw : NULL;
}

int daq_run_audit(daq_run *run, const char *who, const char *what, struct cd_err *err)
{
    if (run == NULL)
        return cd_fail(err, CD_ERR_INVALID, "daq_run_audit: no run");
    return audit_add(run, who, what, err);
}

int daq_run_add_results(daq_run *run, const char *json, const char *engine, int *version,
                        struct cd_err *err)
{
    if (run == NULL || json == NULL)
        return cd_fail(err, CD_ERR_INVALID, "daq_run_add_results: no run or no results");
    json_error_t je;
    json_t *doc = json_loads(json, JSON_DECODE_ANY, &je);
    if (doc == NULL)
        return cd_fail(err, CD_ERR_PARSE, "results are not JSON: line %d column %d: %s",
                       je.line, je.column, je.text);
    json_decref(doc);
    struct rs_data *d = &run->d;
    int v = d->n_results > 0 ? d->results[d->n_results - 1].version + 1 : 1;
    char created[40];
    rs_iso8601(rs_now(), created, sizeof created);
    char what[256];
    snprintf(what, sizeof what, "results v%d added (engine %.64s)", v,
             engine != NULL && engine[0] ? engine : "unnamed");
    /* The audit entry first: it can fail on its own, the append cannot
     * fail after it except for memory. */
    size_t n_audit = d->n_audit;
    int rc = audit_add(run, who_of(run), what, err);
    if (rc != 0)
        return rc;
    if (rs_add_result(d, v, created, engine != NULL ? engine : "", json) != 0) {
        d->n_audit = n_audit;
        return cd_fail(err, CD_ERR_NOMEM, "out of memory");
    }
    if (version != NULL)
        *version = v;
    return 0;
}

int daq_run_checkpoint(daq_run *run, struct cd_err *err)
{
    if (run == NULL)
        return cd_fail(err, CD_ERR_INVALID, "daq_run_checkpoint: no run");
    if (run->reopened)
        return snapshot(run, false, err); /* no journals: nothing is measured */
    /* A trace journal that cannot be read must not cost the readings their
     * snapshot: write it anyway, report the trace error after. */
    struct cd_err terr = {0};
    int trc = trace_absorb(run, &terr);
    int rc = snapshot(run, false, err);
    if (rc == 0)
        rc = journal_reset(run, err);
    if (rc == 0 && trc != 0)
        rc = cd_fail(err, trc, "%s", terr.msg);
    return rc;
}

/* ------------------------------------------------------------ reopen */

int daq_run_reopen(const char *path, daq_run **out, struct cd_err *err)
{
    if (out != NULL)
        *out = NULL;
    if (path == NULL || path[0] == '\0' || out == NULL)
        return cd_fail(err, CD_ERR_INVALID, "daq_run_reopen: no path");
    if (sodium_init() < 0)
        return cd_fail(err, CD_ERR_IO, "libsodium cannot initialise");
    struct stat st;
    if (stat(path, &st) != 0)
        return cd_fail(err, errno == ENOENT ? CD_ERR_NOT_FOUND : CD_ERR_IO,
                       "%s: cannot reopen: %s", path, strerror(errno));
    /* Never build on a tampered run: a new seal would launder it. */
    char report[512];
    struct cd_err verr = {0};
    int rc = daq_run_verify(path, report, sizeof report, &verr);
    if (rc == CD_ERR_INVALID)
        return cd_fail(err, CD_ERR_INVALID,
                       "%s: refusing to reopen: the run fails verification (tampered or "
                       "damaged): %s",
                       path, report);
    if (rc != 0)
        return cd_fail(err, rc, "%s", verr.msg);
    daq_run *run = calloc(1, sizeof *run);
    if (run == NULL)
        return cd_fail(err, CD_ERR_NOMEM, "out of memory");
    run->journal_fd = -1;
    run->reopened = true;
    rc = rs_h5_read(path, &run->d, err); /* initialises run->d, also on error */
    if (rc != 0) {
        free(run);
        return rc;
    }
    const char *status = run->d.info.status;
    if (strcmp(status, "complete") != 0 && strcmp(status, "aborted") != 0) {
        rc = strcmp(status, "in-progress") == 0
                 ? cd_fail(err, CD_ERR_INVALID,
                           "%s: refusing to reopen: the run is still in-progress (a session may "
                           "be writing it, or it was killed): resume it instead",
                           path)
                 : cd_fail(err, CD_ERR_INVALID,
                           "%s: refusing to reopen: unknown status \"%.16s\"", path, status);
        run_free(run);
        return rc;
    }
    run->path = strdup(path);
    run->tmp_path = concat(path, ".tmp");
    run->journal_path = concat(path, ".journal");
    run->trace_path = concat(path, ".trace");
    run->dir_path = dir_of(path);
    if (run->path == NULL || run->tmp_path == NULL || run->journal_path == NULL ||
        run->trace_path == NULL || run->dir_path == NULL) {
        run_free(run);
        return cd_fail(err, CD_ERR_NOMEM, "out of memory");
    }
    run->n_in_file = run->d.n_readings;
    /* In memory until the close snapshot: a crash before it leaves the file
     * as it was. */
    rc = audit_add(run, "caldaq", "run reopened by caldaq", err);
    if (rc != 0) {
        run_free(run);
        return rc;
    }
    *out = run;
    return 0;
}

/* End a reopened run: its status stays (NULL means "the same"), `ended`
 * stays the end of the measurement; one new snapshot. */
static int close_reopened(daq_run *run, const char *status, struct cd_err *err)
{
    const char *was = run->d.info.status;
    if (status != NULL && strcmp(status, was) != 0) {
        int rc = cd_fail(err, CD_ERR_INVALID,
                         "%s: a reopened run keeps its status \"%.16s\", not \"%s\" (the "
                         "file is left as it was)",
                         run->path, was, status);
        run_free(run);
        return rc;
    }
    char what[64];
    snprintf(what, sizeof what, "reopened run closed: %.16s", was);
    int rc = audit_add(run, "caldaq", what, err);
    if (rc == 0)
        rc = snapshot(run, false, err);
    run_free(run);
    return rc;
}

int daq_run_close(daq_run *run, const char *status, struct cd_err *err)
{
    if (run == NULL)
        return 0;
    if (run->reopened)
        return close_reopened(run, status, err);
    if (status == NULL || (strcmp(status, "complete") != 0 && strcmp(status, "aborted") != 0)) {
        /* The handle is freed as promised, the files stay as they are: the
         * last snapshot says in-progress and the journals are kept. */
        run_free(run);
        return cd_fail(err, CD_ERR_INVALID,
                       "a run ends \"complete\" or \"aborted\", not \"%s\"",
                       status != NULL ? status : "(null)");
    }
    /* As at a checkpoint, a trace that cannot be taken in must not cost
     * the readings their final snapshot; the trace journal is then kept. */
    struct cd_err terr = {0};
    int trc = drv_trace_writer_close(run->tw, &terr);
    run->tw = NULL;
    if (fclose(run->trace_f) != 0 && trc == 0)
        trc = cd_fail(&terr, CD_ERR_IO, "%s: %s", run->trace_path, strerror(errno));
    run->trace_f = NULL;
    if (trc == 0)
        trc = trace_absorb(run, &terr);
    struct daq_run_info *i = &run->d.info;
    rs_iso8601(rs_now(), i->ended, sizeof i->ended);
    RS_COPY(i->status, status);
    char what[64];
    snprintf(what, sizeof what, "run closed: %s", status);
    int rc = audit_add(run, who_of(run), what, err);
    if (rc == 0)
        rc = snapshot(run, false, err);
    if (rc == 0) {
        /* Everything is in the file: the journals go. */
        close(run->journal_fd);
        run->journal_fd = -1;
        unlink(run->journal_path);
        if (trc == 0)
            unlink(run->trace_path);
        rc = fsync_path(run->dir_path, true, err);
    }
    if (rc == 0 && trc != 0)
        rc = cd_fail(err, trc, "%s", terr.msg);
    run_free(run);
    return rc;
}
