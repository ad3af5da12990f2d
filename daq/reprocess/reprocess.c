/* Batch re-analysis of archived runs (reprocess.h, docs/scaling.md). */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include "reprocess.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cert.h"
#include "records.h"
#include "cd_i18n.h"

/* ------------------------------------------------------------ listing */

struct list {
    char **v;
    size_t n, cap;
};

static int push(struct list *l, const char *s)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 1024;
        char **nv = realloc(l->v, cap * sizeof *nv);
        if (nv == NULL)
            return -1;
        l->v = nv;
        l->cap = cap;
    }
    return (l->v[l->n] = strdup(s)) != NULL ? (int)(l->n++ * 0) : -1;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* An entry of one folder, for walk_sorted. */
struct entry {
    char *name;
    bool dir;
};

/* The order of whole paths: a folder's contents all begin "NAME/", so a
 * folder sorts as its name followed by '/' ('/' sorts after '.', so
 * "a.h5" comes before everything in folder "a"). */
static int key_at(const struct entry *e, size_t i, size_t len)
{
    if (i < len)
        return (unsigned char)e->name[i];
    return i == len && e->dir ? '/' : 0;
}

static int by_path_order(const void *x, const void *y)
{
    const struct entry *a = x, *b = y;
    size_t la = strlen(a->name), lb = strlen(b->name);
    for (size_t i = 0;; i++) {
        int c = key_at(a, i, la), d = key_at(b, i, lb);
        if (c != d || c == 0)
            return c - d;
    }
}

/* emit(ctx, path) for every *.h5 under `path` (a file or a folder, searched
 * recursively; symbolic links to folders are not followed), in the order
 * of strcmp over the whole paths (the order of a qsort by strcmp), holding
 * the names of one folder per level of depth only: the list of a batch is
 * never in memory (issue 21). Stops at emit's first non-zero return. */
static int walk_sorted(const char *path, int depth, int (*emit)(void *, const char *), void *ctx)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return -1;
    size_t n = strlen(path);
    if (S_ISREG(st.st_mode))
        return n > 3 && strcmp(path + n - 3, ".h5") == 0 ? emit(ctx, path) : 0;
    if (!S_ISDIR(st.st_mode) || depth > 64)
        return 0;
    DIR *dir = opendir(path);
    if (dir == NULL)
        return -1;
    struct entry *v = NULL;
    size_t count = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    char *child = NULL;
    while (rc == 0 && (e = readdir(dir)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (count == cap) {
            cap = cap ? 2 * cap : 64;
            struct entry *nv = realloc(v, cap * sizeof *nv);
            if (nv == NULL) {
                rc = -1;
                break;
            }
            v = nv;
        }
        free(child);
        child = malloc(n + strlen(e->d_name) + 2);
        if (child == NULL || (v[count].name = strdup(e->d_name)) == NULL) {
            rc = -1;
            break;
        }
        sprintf(child, "%s/%s", path, e->d_name);
        v[count++].dir = lstat(child, &st) == 0 && S_ISDIR(st.st_mode);
    }
    closedir(dir);
    if (count > 0)
        qsort(v, count, sizeof *v, by_path_order);
    for (size_t i = 0; rc == 0 && i < count; i++) {
        free(child);
        child = malloc(n + strlen(v[i].name) + 2);
        if (child == NULL) {
            rc = -1;
            break;
        }
        sprintf(child, "%s/%s", path, v[i].name);
        rc = walk_sorted(child, depth + 1, emit, ctx);
    }
    free(child);
    for (size_t i = 0; i < count; i++)
        free(v[i].name);
    free(v);
    return rc;
}

static void list_free(struct list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

/* ------------------------------------------------------------ one run */

/* Runs of one profile share its text: a worker parses each text once. */
#define RP_PROFILES 16

struct rp_ctx {
    const struct rp_options *a;
    struct prof_profile *profiles[RP_PROFILES];
    size_t n_profiles;
    struct cert_lab lab;
    int done_fd, results_fd;
    char certs_dir[4200];
    /* the worker's reader process: runs are read in it, one after the
     * other, so that a damaged file that crashes or hangs the library
     * costs that run (a fork per run would cost as much as reading it) */
    daq_run_reader *reader;
    rec_db *records;            /* the worker's connection (rp_options.records) */
    char records_err[CD_ERR_MSG_MAX]; /* why it could not be opened */
};

static bool uses_standard(const struct daq_run_view *v, const char *id)
{
    for (size_t i = 0; i < v->n_standards; i++)
        if (strcmp(v->standards[i].id, id) == 0)
            return true;
    return false;
}

/* What a batch needs of the stored results: the verdict and [error, U]
 * per point. Read from the document's "summary" (written ahead of the
 * points: parsing only it, not every point's statistics and budget, is
 * what keeps reprocessing close to the cost of reading the runs); older
 * documents without it are parsed whole. */
struct old_results {
    char verdict[32];
    json_t *summary;            /* [[error, U] | null, ...], NULL when none */
};

static void old_results_read(const char *text, struct old_results *o)
{
    *o = (struct old_results){0};
    if (text == NULL)
        return;
    const char *at = strstr(text, "\"summary\":");
    const char *v = strstr(text, "\"verdict\":");
    if (at != NULL && v != NULL && v < at) {
        json_t *verdict = json_loads(strchr(v, ':') + 1, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY,
                                     NULL);
        o->summary = json_loads(strchr(at, ':') + 1, JSON_DISABLE_EOF_CHECK, NULL);
        if (json_is_string(verdict) && json_is_array(o->summary)) {
            snprintf(o->verdict, sizeof o->verdict, "%s", json_string_value(verdict));
            json_decref(verdict);
            return;
        }
        json_decref(verdict);
        json_decref(o->summary);
        o->summary = NULL;
    }
    json_t *doc = json_loads(text, 0, NULL);
    snprintf(o->verdict, sizeof o->verdict, "%s",
             json_string_value(json_object_get(doc, "verdict")) ? json_string_value(json_object_get(doc, "verdict")) : "");
    o->summary = json_array();
    json_t *p;
    size_t i;
    json_array_foreach(json_object_get(doc, "points"), i, p)
    {
        json_t *e = json_object_get(p, "error"), *u = json_object_get(p, "U");
        json_array_append_new(o->summary,
                              json_is_number(e) && json_is_number(u)
                                  ? json_pack("[f, f]", json_number_value(e), json_number_value(u))
                                  : json_null());
    }
    json_decref(doc);
}

/* The largest |change| of the error (which = 0) or U (1) between the
 * stored results and the new ones, by point; NAN when no point has both. */
static double largest_change(json_t *old_summary, const struct ana_result *r, int which)
{
    double max = NAN;
    for (size_t i = 0; i < json_array_size(old_summary) && i < r->n_points; i++) {
        json_t *o = json_array_get(json_array_get(old_summary, i), (size_t)which);
        if (!json_is_number(o) || !r->points[i].measured)
            continue;
        double d = fabs((which == 0 ? r->points[i].error : r->points[i].U) - json_number_value(o));
        max = isnan(max) ? d : fmax(max, d);
    }
    return max;
}

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* The parsed profile of `text` (the run's own), loaded once per worker;
 * NULL when it does not load (the analysis then says why). */
static const struct prof_profile *cached_profile(struct rp_ctx *c, const char *text)
{
    for (size_t i = 0; i < c->n_profiles; i++)
        if (strcmp(c->profiles[i]->text, text) == 0)
            return c->profiles[i];
    struct cd_err err = {0};
    struct prof_profile *p = prof_profile_load_string(text, "stored profile", &err);
    if (p == NULL)
        return NULL;
    if (c->n_profiles == RP_PROFILES) {
        prof_profile_free(c->profiles[0]);
        memmove(c->profiles, c->profiles + 1, (RP_PROFILES - 1) * sizeof *c->profiles);
        c->n_profiles--;
    }
    c->profiles[c->n_profiles++] = p;
    return p;
}

/* Text that may quote a damaged file (an error naming a status read from
 * it, the run's own strings) as a JSON string. jansson refuses bytes that
 * are not UTF-8 (json_string gives NULL), and the field would vanish from
 * the line -- a failed run without its error; those bytes become '?'. */
static json_t *json_text(const char *s)
{
    json_t *j = json_string(s);
    if (j != NULL || s == NULL)
        return j;
    char *copy = strdup(s);
    if (copy == NULL)
        return NULL;
    for (unsigned char *p = (unsigned char *)copy; *p != '\0'; p++)
        if (*p >= 0x80)
            *p = '?';
    j = json_string(copy);
    free(copy);
    return j;
}

static json_t *json_textf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static json_t *json_textf(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return json_text(buf);
}

static json_t *process(struct rp_ctx *c, const char *path)
{
    const struct rp_options *a = c->a;
    struct cd_err err = {0};
    json_t *line = json_pack("{s:s}", "path", path);
    /* a quick look first: the impact analysis skips the runs without the standard */
    struct daq_run_view *v = NULL;
    /* archives hold damaged files: a crash or a hang of the library on
     * one is that run's failure (the store's guard), not the worker's */
    int opened = c->reader != NULL ? daq_run_reader_open(c->reader, path, &v, &err)
                                   : daq_run_open_guarded(path, a->read_timeout_s, &v, &err);
    if (opened != 0) {
        json_object_set_new(line, "status", json_string("failed"));
        json_object_set_new(line, "error", json_text(err.msg));
        return line;
    }
    json_object_set_new(line, "run_id", json_text(v->info.run_id));
    json_object_set_new(line, "date", json_textf("%.10s", v->info.started));
    json_object_set_new(line, "profile", json_text(v->info.profile_name));
    json_object_set_new(line, "dut", json_textf("%s %s %s", v->device.id.manufacturer,
                                                  v->device.id.model, v->device.id.serial));
    struct old_results old;
    old_results_read(v->n_results > 0 ? v->results[v->n_results - 1] : NULL, &old);
    bool relevant = a->standard_id == NULL || uses_standard(v, a->standard_id);
    json_object_set_new(line, "old_verdict",
                        old.verdict[0] ? json_text(old.verdict) : json_null());
    if (!relevant) {
        daq_run_view_free(v);
        json_object_set_new(line, "status", json_string("not affected"));
        json_decref(old.summary);
        return line;
    }
    struct ana_file_opts o = {.profile_path = a->profile,
                              .profile = a->profile == NULL ? cached_profile(c, v->profile_text)
                                                            : NULL,
                              .standards_path = a->revised != NULL ? a->revised : a->standards,
                              .write = a->write_back, .operator_name = "caldaq reprocess"};
    struct ana_file f;
    if (ana_file_run_view(path, v, &o, &f, &err) != 0) {
        json_object_set_new(line, "status", json_string("failed"));
        json_object_set_new(line, "error", json_text(err.msg));
        json_decref(old.summary);
        return line;
    }
    const char *new_verdict = json_string_value(json_object_get(f.doc, "verdict"));
    const char *old_verdict = old.verdict[0] ? old.verdict : NULL;
    json_object_set_new(line, "status", json_string("ok"));
    json_object_set_new(line, "new_verdict", json_string(new_verdict));
    json_object_set_new(line, "verdict_changed",
                        json_boolean(old_verdict != NULL && strcmp(old_verdict, new_verdict) != 0));
    json_object_set_new(line, "max_change_error", num(largest_change(old.summary, f.result, 0)));
    json_object_set_new(line, "max_change_U", num(largest_change(old.summary, f.result, 1)));
    if (a->write_back)
        json_object_set_new(line, "results_version", json_integer(f.version));
    /* the lab's records follow the run: its new verdict, its new hash */
    cd_err_clear(&err);
    if (a->write_back && a->records != NULL &&
        (c->records == NULL ||
         rec_run_note(c->records, path, f.view, new_verdict, "caldaq reprocess", &err) != 0))
        json_object_set_new(line, "records_error",
                            json_text(c->records == NULL ? c->records_err : err.msg));
    /* the new results: one line of DIR/results.jsonl (a file per run
     * would cost a file creation per run, as much as reading the run) */
    json_t *res = json_pack("{s:s, s:s, s:O}", "path", path, "run_id", f.view->info.run_id,
                            "results", f.doc);
    char *text = res != NULL ? json_dumps(res, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(res);
    if (text != NULL) {
        size_t len = strlen(text);
        text[len] = '\n';
        if (write(c->results_fd, text, len + 1) != (ssize_t)(len + 1))
            json_object_set_new(line, "warning", json_string("results.jsonl: cannot write"));
        free(text);
    }
    if (a->cert) {
        char dir[8400], number[64] = "";
        snprintf(dir, sizeof dir, "%s/%s", c->certs_dir, f.view->info.run_id);
        struct cert_job job = {.customer = "", .customer_address = ""};
        /* The run id names a folder under OUT/certs: a damaged or forged run
         * file must not make it "../../somewhere". */
        cd_err_clear(&err);
        if (cert_number_check(f.view->info.run_id, "the run's id", 36, &err) != 0 ||
            cert_issue(&f, &c->lab, &job, dir, "pdf,xml,json", "vi+en", true, number, &err) != 0)
            json_object_set_new(line, "cert_error", json_text(err.msg));
        else
            json_object_set_new(line, "certificate", json_string(number));
    }
    ana_file_free(&f);
    json_decref(old.summary);
    return line;
}

/* One line, appended at once (a killed worker loses nothing it wrote).
 * With --write-back it is also made durable before the next run, since a
 * run redone after a power cut would get one more results version;
 * otherwise a lost line only means the run is analysed again. */
static int append_line(int fd, json_t *line, bool durable)
{
    char *text = json_dumps(line, JSON_COMPACT | JSON_REAL_PRECISION(17));
    if (text == NULL)
        return -1;
    size_t n = strlen(text);
    text[n] = '\n';
    ssize_t w = write(fd, text, n + 1);
    free(text);
    return w == (ssize_t)(n + 1) && (!durable || fdatasync(fd) == 0) ? 0 : -1;
}

/* Where a worker is, in memory it shares with the parent: the run it is
 * on (NO_RUN between runs) and the next one of its share. A worker can
 * still die on a run -- the library crashing where the guarded open did
 * not read (a --write-back reopens the file), the analysis, a certificate
 * -- and the parent then reports that run as failed and starts a new
 * worker on the rest of the share, so that one bad file costs one line,
 * not the share. Atomics, because two processes read and write them. */
#define NO_RUN SIZE_MAX
struct rp_slot {
    _Atomic size_t current;
    _Atomic size_t next;
};

/* The runs to do, in order, each path ended by a NUL (no path holds one),
 * in a file of the batch folder that no name points to (created and
 * unlinked at once; its descriptor is inherited). Workers read their share
 * from it rather than inheriting the parent's list: a forked worker, and
 * the reader process it forks in turn, would otherwise hold a copy of a
 * list as long as the batch, and the peak memory of a batch would grow
 * with its runs (issue 21). */
struct todo_reader {
    int fd;
    off_t at;                   /* file offset of buf[len] */
    size_t len, pos, index;     /* bytes in buf, next byte, index of the next path */
    char buf[65536];
};

/* The next path of the file, in *path (grown as needed, the caller frees
 * it), and its index: 0, or -1 at the end or on an error. */
static int todo_next(struct todo_reader *r, char **path, size_t *cap, size_t *index)
{
    size_t n = 0;
    for (;;) {
        if (r->pos == r->len) {
            ssize_t got;
            do
                got = pread(r->fd, r->buf, sizeof r->buf, r->at);
            while (got < 0 && errno == EINTR);
            if (got <= 0)
                return -1;
            r->at += got;
            r->len = (size_t)got;
            r->pos = 0;
        }
        if (n == *cap) {
            size_t ncap = *cap ? 2 * *cap : 256;
            char *np = realloc(*path, ncap);
            if (np == NULL)
                return -1;
            *path = np;
            *cap = ncap;
        }
        char ch = r->buf[r->pos++];
        (*path)[n++] = ch;
        if (ch == '\0') {
            *index = r->index++;
            return 0;
        }
    }
}

/* Path `index` of the file into *path (for the line of a run whose worker
 * died on it): 0, or -1. */
static int todo_path(int fd, size_t index, char **path, size_t *cap)
{
    struct todo_reader *r = calloc(1, sizeof *r);
    if (r == NULL)
        return -1;
    r->fd = fd;
    size_t i;
    int rc;
    while ((rc = todo_next(r, path, cap, &i)) == 0 && i < index)
        ;
    free(r);
    return rc;
}

static _Noreturn void worker(struct rp_ctx *c, int todo_fd, size_t start, size_t jobs,
                             struct rp_slot *slot)
{
    signal(SIGINT, SIG_DFL);
    /* A worker is a process of ours that analyses run after run: freed
     * memory is kept for the next run rather than given back to the kernel
     * and faulted in again (glibc's defaults trim and unmap large blocks;
     * the store's reader process does the same, run_guard.c). */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    c->reader = daq_run_reader_new(c->a->read_timeout_s);
    struct cd_err rerr = {0};
    if (c->a->write_back && c->a->records != NULL &&
        rec_open(c->a->records, &c->records, &rerr) != 0)
        /* each run's line then says it was not recorded, and why */
        snprintf(c->records_err, sizeof c->records_err, "%s", rerr.msg);
    struct todo_reader *tr = calloc(1, sizeof *tr);
    if (tr == NULL)
        _exit(3);
    tr->fd = todo_fd;
    char *path = NULL;
    size_t cap = 0, i;
    while (todo_next(tr, &path, &cap, &i) == 0) {
        if (i < start || (i - start) % jobs != 0)
            continue;
        atomic_store(&slot->current, i);
        json_t *line = process(c, path);
        int rc = append_line(c->done_fd, line, c->a->write_back);
        json_decref(line);
        if (rc != 0)
            _exit(3);
        /* the line is written: a death from here on is not this run's */
        atomic_store(&slot->current, NO_RUN);
        atomic_store(&slot->next, i + jobs);
    }
    free(path);
    free(tr);
    if (c->a->cert)
        cert_pdf_cleanup();
    daq_run_reader_free(c->reader);
    rec_close(c->records);
    _exit(0);
}

/* A worker killed by one of these died of what it was doing (a crash, the
 * kernel's OOM killer); SIGINT, SIGTERM and the like are someone stopping
 * the batch, which is not restarted. */
static bool died_on_run(int status)
{
    if (!WIFSIGNALED(status))
        return false;
    switch (WTERMSIG(status)) {
    case SIGSEGV: case SIGBUS: case SIGILL: case SIGFPE: case SIGABRT: case SIGSYS:
    case SIGKILL:
        return true;
    default:
        return false;
    }
}

/* The line of a run whose worker died on it. */
static int append_died(struct rp_ctx *c, const char *path, int status)
{
    json_t *line = json_pack("{s:s, s:s, s:s}", "path", path, "status", "failed", "error", "");
    if (line == NULL)
        return -1;
    json_object_set_new(line, "error",
                        json_textf("%s: the worker died on this run (%s): a damaged run file?",
                                     path, strsignal(WTERMSIG(status))));
    int rc = append_line(c->done_fd, line, c->a->write_back);
    json_decref(line);
    return rc;
}

/* ------------------------------------------------------------ done.jsonl */

/* Lines appended to a file since the last call: reads only the new bytes,
 * so the progress bar costs nothing however long the batch. */
struct line_counter {
    long offset;
    size_t lines;
};

static size_t count_new_lines(const char *path, struct line_counter *lc)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return lc->lines;
    if (fseek(f, lc->offset, SEEK_SET) == 0) {
        int ch;
        while ((ch = getc(f)) != EOF) {
            lc->offset++;
            lc->lines += ch == '\n';
        }
    }
    fclose(f);
    return lc->lines;
}

static void csv_field(FILE *f, json_t *v)
{
    if (json_is_string(v)) {
        fputc('"', f);
        for (const char *s = json_string_value(v); *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    } else if (json_is_number(v)) {
        fprintf(f, "%.17g", json_number_value(v));
    } else if (json_is_boolean(v)) {
        fputs(json_is_true(v) ? "true" : "false", f);
    }
}

/* Where a run's line is (a done file, an offset, its place among all the
 * lines): the summary reads the lines again in path order through these,
 * never holding the results themselves, nor (ref_stream) one of these for
 * every line. */
struct done_ref {
    char *path;
    int file;
    long offset;
    size_t seq;                 /* later lines of a path win */
};

static int by_path_then_seq(const void *x, const void *y)
{
    const struct done_ref *a = x, *b = y;
    int c = strcmp(a->path, b->path);
    return c != 0 ? c : (a->seq < b->seq ? -1 : a->seq > b->seq);
}

/* ------------------------------------------------------------ the summary's order */

/* The done lines of some folders in path order, the last line of each path
 * only, in memory that does not grow with the lines: entries are gathered
 * REFS_CHUNK at a time, each chunk sorted and appended to a file that no
 * name points to, and the sorted chunks merged through a heap, each read
 * through a small buffer of its own. With fewer lines than a chunk nothing
 * is written. (Before issue 21 the summary held an entry per line, about
 * 100 bytes a run.) */
#define REFS_CHUNK 512

struct ref_src {                /* one sorted chunk of the spill file */
    off_t at, end;
    size_t len, pos;
    char buf[512];
    struct done_ref cur;        /* cur.path: owned, grown as needed */
    size_t cap;
};

struct ref_stream {
    const char *tmp_dir;        /* where the spill file goes (the summary's folder) */
    struct done_ref *chunk;     /* REFS_CHUNK entries being gathered */
    size_t n_chunk, i_chunk;    /* ... or, with no spill, being handed out */
    int spill;                  /* -1: everything is in `chunk` */
    off_t spill_end;
    struct ref_src *src;
    size_t n_src;
    size_t *heap, n_heap;       /* indices into src, least (path, seq) first */
    struct done_ref out;        /* the entry handed out last (path owned) */
    size_t out_cap;
    bool have_next;
    struct done_ref next;       /* one entry read ahead, for "the last line of a path" */
    size_t next_cap;
};

static int spill_write(int fd, off_t *at, const void *p, size_t n)
{
    const char *b = p;
    while (n > 0) {
        ssize_t w = pwrite(fd, b, n, *at);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        b += w;
        n -= (size_t)w;
        *at += w;
    }
    return 0;
}

/* Sort the gathered chunk and append it to the spill file. */
static int spill_chunk(struct ref_stream *r)
{
    qsort(r->chunk, r->n_chunk, sizeof *r->chunk, by_path_then_seq);
    if (r->spill < 0) {
        char name[4200];
        snprintf(name, sizeof name, "%s/.summary-XXXXXX", r->tmp_dir);
        r->spill = mkstemp(name);
        if (r->spill < 0)
            return -1;
        unlink(name);
    }
    struct ref_src *ns = realloc(r->src, (r->n_src + 1) * sizeof *ns);
    if (ns == NULL)
        return -1;
    r->src = ns;
    struct ref_src *src = &r->src[r->n_src++];
    memset(src, 0, sizeof *src);
    src->at = r->spill_end;
    int rc = 0;
    for (size_t i = 0; i < r->n_chunk; i++) {
        struct done_ref *e = &r->chunk[i];
        uint64_t len = strlen(e->path);
        int64_t off = e->offset;
        int32_t file = e->file;
        uint64_t seq = e->seq;
        if (rc == 0)
            rc = spill_write(r->spill, &r->spill_end, &len, sizeof len) ||
                 spill_write(r->spill, &r->spill_end, e->path, len) ||
                 spill_write(r->spill, &r->spill_end, &file, sizeof file) ||
                 spill_write(r->spill, &r->spill_end, &off, sizeof off) ||
                 spill_write(r->spill, &r->spill_end, &seq, sizeof seq)
                     ? -1
                     : 0;
        free(e->path);
    }
    src->end = r->spill_end;
    r->n_chunk = 0;
    return rc;
}

static int src_read(int fd, struct ref_src *s, void *dst, size_t n)
{
    char *d = dst;
    while (n > 0) {
        if (s->pos == s->len) {
            size_t want = sizeof s->buf;
            if ((off_t)want > s->end - s->at)
                want = (size_t)(s->end - s->at);
            if (want == 0)
                return -1;
            ssize_t got = pread(fd, s->buf, want, s->at);
            if (got <= 0)
                return -1;
            s->at += got;
            s->len = (size_t)got;
            s->pos = 0;
        }
        size_t k = s->len - s->pos < n ? s->len - s->pos : n;
        memcpy(d, s->buf + s->pos, k);
        s->pos += k;
        d += k;
        n -= k;
    }
    return 0;
}

/* The next entry of a chunk into s->cur: 0, or -1 at its end. */
static int src_next(int fd, struct ref_src *s)
{
    uint64_t len;
    int32_t file;
    int64_t off;
    uint64_t seq;
    if (src_read(fd, s, &len, sizeof len) != 0 || len > (1u << 20))
        return -1;
    if (len + 1 > s->cap) {
        char *np = realloc(s->cur.path, len + 1);
        if (np == NULL)
            return -1;
        s->cur.path = np;
        s->cap = len + 1;
    }
    if (src_read(fd, s, s->cur.path, len) != 0 || src_read(fd, s, &file, sizeof file) != 0 ||
        src_read(fd, s, &off, sizeof off) != 0 || src_read(fd, s, &seq, sizeof seq) != 0)
        return -1;
    s->cur.path[len] = '\0';
    s->cur.file = file;
    s->cur.offset = (long)off;
    s->cur.seq = seq;
    return 0;
}

static bool heap_less(const struct ref_stream *r, size_t a, size_t b)
{
    return by_path_then_seq(&r->src[r->heap[a]].cur, &r->src[r->heap[b]].cur) < 0;
}

static void heap_down(struct ref_stream *r, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < r->n_heap && heap_less(r, l, m))
            m = l;
        if (l + 1 < r->n_heap && heap_less(r, l + 1, m))
            m = l + 1;
        if (m == i)
            return;
        size_t t = r->heap[i];
        r->heap[i] = r->heap[m];
        r->heap[m] = t;
        i = m;
    }
}

/* Copy `e` into *dst (its path into a buffer of *cap bytes, grown). */
static int ref_copy(struct done_ref *dst, size_t *cap, const struct done_ref *e)
{
    size_t len = strlen(e->path) + 1;
    if (len > *cap) {
        char *np = realloc(dst->path, len);
        if (np == NULL)
            return -1;
        dst->path = np;
        *cap = len;
    }
    memcpy(dst->path, e->path, len);
    dst->file = e->file;
    dst->offset = e->offset;
    dst->seq = e->seq;
    return 0;
}

/* The next entry in (path, seq) order, every line: 0, or -1 at the end. */
static int stream_raw(struct ref_stream *r, struct done_ref *dst, size_t *cap)
{
    if (r->spill < 0) {
        if (r->i_chunk == r->n_chunk)
            return -1;
        return ref_copy(dst, cap, &r->chunk[r->i_chunk++]);
    }
    if (r->n_heap == 0)
        return -1;
    struct ref_src *s = &r->src[r->heap[0]];
    if (ref_copy(dst, cap, &s->cur) != 0)
        return -1;
    if (src_next(r->spill, s) != 0)
        r->heap[0] = r->heap[--r->n_heap];
    heap_down(r, 0);
    return 0;
}

/* Gather the lines of the done files of `dirs` (opened into files[]); a
 * spill file, if one is needed, goes to `tmp_dir`. stream_close() also after
 * a failure. */
static int stream_open(struct ref_stream *r, const char *const *dirs, int n_dirs, FILE **files,
                       const char *tmp_dir)
{
    memset(r, 0, sizeof *r);
    r->spill = -1;
    r->tmp_dir = tmp_dir;
    r->chunk = calloc(REFS_CHUNK, sizeof *r->chunk);
    if (r->chunk == NULL)
        return -1;
    size_t seq = 0;
    int rc = 0;
    for (int d = 0; d < n_dirs && rc == 0; d++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/done.jsonl", dirs[d]);
        files[d] = fopen(path, "r");
        char *line = NULL;
        size_t lcap = 0;
        long at = 0;
        ssize_t got;
        while (rc == 0 && files[d] != NULL && (got = getline(&line, &lcap, files[d])) > 0) {
            json_t *j = json_loads(line, 0, NULL); /* a torn last line is skipped */
            const char *p = json_string_value(json_object_get(j, "path"));
            char *copy = p != NULL ? strdup(p) : NULL;
            if (copy != NULL) {
                r->chunk[r->n_chunk++] = (struct done_ref){copy, d, at, seq++};
                if (r->n_chunk == REFS_CHUNK)
                    rc = spill_chunk(r);
            }
            json_decref(j);
            at += got;
        }
        free(line);
    }
    if (rc == 0 && r->spill >= 0 && r->n_chunk > 0)
        rc = spill_chunk(r);
    if (rc != 0)
        return -1;
    if (r->spill < 0) {
        qsort(r->chunk, r->n_chunk, sizeof *r->chunk, by_path_then_seq);
    } else {
        r->heap = calloc(r->n_src + 1, sizeof *r->heap);
        if (r->heap == NULL)
            return -1;
        for (size_t i = 0; i < r->n_src; i++)
            if (src_next(r->spill, &r->src[i]) == 0)
                r->heap[r->n_heap++] = i;
        for (size_t i = r->n_heap; i-- > 0;)
            heap_down(r, i);
    }
    r->have_next = stream_raw(r, &r->next, &r->next_cap) == 0;
    return 0;
}

/* The next path's last line: 0 with r->out set, or -1 at the end. */
static int stream_next(struct ref_stream *r)
{
    if (!r->have_next)
        return -1;
    for (;;) {
        if (ref_copy(&r->out, &r->out_cap, &r->next) != 0)
            return -1;
        r->have_next = stream_raw(r, &r->next, &r->next_cap) == 0;
        if (!r->have_next || strcmp(r->next.path, r->out.path) != 0)
            return 0;
    }
}

static void stream_close(struct ref_stream *r)
{
    for (size_t i = 0; r->chunk != NULL && i < r->n_chunk; i++)
        free(r->chunk[i].path); /* gathered and not spilled */
    free(r->chunk);
    for (size_t i = 0; i < r->n_src; i++)
        free(r->src[i].cur.path);
    free(r->src);
    free(r->heap);
    free(r->out.path);
    free(r->next.path);
    if (r->spill >= 0)
        close(r->spill);
}

/* The paths already done in `dir` (sorted, each once), for resuming. */
static struct done_ref *done_paths(const char *dir, size_t *n)
{
    FILE *f[1] = {NULL};
    struct ref_stream rs = {.spill = -1};
    struct done_ref *v = NULL;
    size_t cap = 0;
    *n = 0;
    if (stream_open(&rs, &dir, 1, f, dir) == 0)
        while (stream_next(&rs) == 0) {
            if (*n == cap) {
                cap = cap ? 2 * cap : 1024;
                struct done_ref *nv = realloc(v, cap * sizeof *nv);
                if (nv == NULL)
                    break;
                v = nv;
            }
            char *copy = strdup(rs.out.path);
            if (copy == NULL)
                break;
            v[(*n)++] = (struct done_ref){copy, 0, rs.out.offset, rs.out.seq};
        }
    stream_close(&rs);
    if (f[0] != NULL)
        fclose(f[0]);
    return v;
}

static void free_refs(struct done_ref *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].path);
    free(v);
}

static bool is_done(const struct done_ref *v, size_t n, const char *path)
{
    struct done_ref key = {.path = (char *)path, .seq = 0};
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(v[mid].path, key.path);
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* summary.json and summary.csv from the done lines of `dirs`, sorted by path. */
int rp_summary_write(const char *out, const char *const *dirs, int n_dirs, FILE *report,
                     struct rp_totals *t, struct cd_err *err)
{
    memset(t, 0, sizeof *t);
    if (mkdir(out, 0775) != 0 && errno != EEXIST)
        return cd_fail(err, CD_ERR_IO, "%s: %s", out, strerror(errno));
    static const char *const cols[] = {"path", "run_id", "dut", "date", "profile", "status",
                                       "old_verdict", "new_verdict", "verdict_changed",
                                       "max_change_error", "max_change_U", "error"};
    const size_t n_cols = sizeof cols / sizeof cols[0];
    FILE **files = calloc((size_t)n_dirs + 1, sizeof *files);
    size_t n = 0;
    struct ref_stream rs = {.spill = -1};
    bool streaming = files != NULL && stream_open(&rs, dirs, n_dirs, files, out) == 0;
    char path[4200], jpath[4200];
    snprintf(path, sizeof path, "%s/summary.csv", out);
    snprintf(jpath, sizeof jpath, "%s/summary.json", out);
    FILE *csv = fopen(path, "w"), *js = fopen(jpath, "w");
    for (size_t c = 0; csv != NULL && c < n_cols; c++)
        fprintf(csv, "%s%s", cols[c], c + 1 < n_cols ? "," : "\n");
    if (js != NULL)
        fputs("{\n \"schema\": \"caldaq-reprocess/1\",\n \"results\": [", js);
    char *line = NULL;
    size_t lcap = 0;
    for (size_t i = 0; streaming && stream_next(&rs) == 0; i++) {
        n++;
        FILE *f = files[rs.out.file];
        json_t *r = NULL;
        if (f != NULL && fseek(f, rs.out.offset, SEEK_SET) == 0 && getline(&line, &lcap, f) > 0)
            r = json_loads(line, 0, NULL);
        if (r == NULL)
            continue;
        const char *st = json_string_value(json_object_get(r, "status"));
        t->reanalysed += st != NULL && strcmp(st, "ok") == 0;
        t->failed += st != NULL && strcmp(st, "failed") == 0;
        t->not_affected += st != NULL && strcmp(st, "not affected") == 0;
        t->verdicts_changed += json_is_true(json_object_get(r, "verdict_changed"));
        for (size_t c = 0; csv != NULL && c < n_cols; c++) {
            csv_field(csv, json_object_get(r, cols[c]));
            fputc(c + 1 < n_cols ? ',' : '\n', csv);
        }
        char *text = json_dumps(r, JSON_COMPACT | JSON_REAL_PRECISION(17));
        if (js != NULL && text != NULL)
            fprintf(js, "%s\n  %s", i ? "," : "", text);
        free(text);
        if (report != NULL && st != NULL && strcmp(st, "failed") == 0)
            fprintf(report, _("  FAILED %s: %s\n"), json_string_value(json_object_get(r, "path")),
                   json_string_value(json_object_get(r, "error")));
        else if (report != NULL && json_is_true(json_object_get(r, "verdict_changed")))
            fprintf(report, _("  changed %s: %s -> %s\n"), json_string_value(json_object_get(r, "path")),
                   json_string_value(json_object_get(r, "old_verdict")),
                   json_string_value(json_object_get(r, "new_verdict")));
        json_decref(r);
    }
    free(line);
    if (js != NULL)
        fprintf(js,
                "\n ],\n \"runs\": %zu,\n \"reanalysed\": %zu,\n \"verdicts_changed\": %zu,\n"
                " \"failed\": %zu,\n \"not_affected\": %zu\n}\n",
                n, t->reanalysed, t->verdicts_changed, t->failed, t->not_affected);
    t->runs = n;
    int rc = csv == NULL || js == NULL ? -1 : 0;
    if (csv != NULL && fclose(csv) != 0)
        rc = -1;
    if (js != NULL && fclose(js) != 0)
        rc = -1;
    if (!streaming)
        rc = -1;
    stream_close(&rs);
    for (int d = 0; d < n_dirs; d++)
        if (files != NULL && files[d] != NULL)
            fclose(files[d]);
    free(files);
    return rc == 0 ? 0 : cd_fail(err, CD_ERR_IO, _("%s: cannot write the summary"), out);
}

/* ------------------------------------------------------------ the batch */

static int push_path(void *ctx, const char *path)
{
    return push(ctx, path);
}

/* Choosing the runs of a batch as they are listed in order: this shard's
 * share, less those already done, into the list file. */
struct pick {
    const struct rp_options *o;
    const struct done_ref *done;
    size_t n_done;
    FILE *todo;
    size_t index, n_todo, skipped;
};

static int pick_run(void *ctx, const char *path)
{
    struct pick *pk = ctx;
    if (pk->index++ % pk->o->shard_n != pk->o->shard_i - 1)
        return 0;
    if (is_done(pk->done, pk->n_done, path)) {
        pk->skipped++;
    } else {
        fwrite(path, 1, strlen(path) + 1, pk->todo);
        pk->n_todo++;
    }
    return 0;
}

int rp_run(const struct rp_options *o, FILE *report, struct rp_totals *t, struct cd_err *err)
{
    memset(t, 0, sizeof *t);
    if (mkdir(o->out, 0775) != 0 && errno != EEXIST)
        return cd_fail(err, CD_ERR_IO, "%s: %s", o->out, strerror(errno));
    struct rp_ctx c = {.a = o, .done_fd = -1, .results_fd = -1};
    if (o->cert && cert_lab_load(o->lab, &c.lab, err) != 0)
        return err != NULL ? err->code : CD_ERR_INVALID;
    snprintf(c.certs_dir, sizeof c.certs_dir, "%s/certs", o->out);
    if (o->cert)
        mkdir(c.certs_dir, 0775);
    /* the runs, sorted, this shard's share, minus the ones done, into the
     * list file the workers read */
    size_t n_done = 0;
    struct done_ref *done = done_paths(o->out, &n_done);
    char todo_name[4200];
    snprintf(todo_name, sizeof todo_name, "%s/.todo-XXXXXX", o->out);
    int todo_fd = mkstemp(todo_name);
    FILE *todo = todo_fd >= 0 ? fdopen(dup(todo_fd), "w") : NULL;
    if (todo_fd >= 0)
        unlink(todo_name);
    struct pick pk = {.o = o, .done = done, .n_done = n_done, .todo = todo};
    const char *unlisted = NULL;
    if (todo != NULL && o->n_paths == 1) {
        /* one path: walked in order, nothing of the list kept */
        if (walk_sorted(o->paths[0], 0, pick_run, &pk) != 0)
            unlisted = o->paths[0];
    } else if (todo != NULL) {
        /* several: their runs listed together and sorted */
        struct list all = {0};
        for (int i = 0; i < o->n_paths && unlisted == NULL; i++)
            if (walk_sorted(o->paths[i], 0, push_path, &all) != 0)
                unlisted = o->paths[i];
        if (unlisted == NULL && all.n > 0)
            qsort(all.v, all.n, sizeof *all.v, by_name);
        for (size_t i = 0; unlisted == NULL && i < all.n; i++)
            pick_run(&pk, all.v[i]);
        list_free(&all);
        /* the pages of the list go back to the kernel before the workers
         * are forked (freed heap memory would otherwise be copied into each) */
        malloc_trim(0);
    }
    free_refs(done, n_done);
    size_t n_todo = pk.n_todo, skipped = pk.skipped;
    if (unlisted != NULL) {
        int e = errno;
        fclose(todo);
        close(todo_fd);
        return cd_fail(err, CD_ERR_IO, _("%s: cannot list the runs: %s"), unlisted,
                       strerror(e != 0 ? e : EIO));
    }
    bool todo_ok = todo != NULL && !ferror(todo);
    if (todo != NULL && fclose(todo) != 0)
        todo_ok = false;
    char done_path[4200];
    snprintf(done_path, sizeof done_path, "%s/done.jsonl", o->out);
    struct line_counter counter = {0};
    size_t before = count_new_lines(done_path, &counter);
    c.done_fd = open(done_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0664);
    char results_path[4200];
    snprintf(results_path, sizeof results_path, "%s/results.jsonl", o->out);
    c.results_fd = open(results_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0664);
    if (!todo_ok || c.done_fd < 0 || c.results_fd < 0) {
        int e = errno;
        if (c.done_fd >= 0)
            close(c.done_fd);
        if (c.results_fd >= 0)
            close(c.results_fd);
        if (todo_fd >= 0)
            close(todo_fd);
        return cd_fail(err, CD_ERR_IO, "%s: %s", !todo_ok ? todo_name : done_path,
                       strerror(e != 0 ? e : EIO));
    }
    if (o->on_start != NULL)
        o->on_start(o->ctx, n_todo, skipped);
    size_t jobs = o->jobs < n_todo ? o->jobs : (n_todo > 0 ? n_todo : 1);
    pid_t *pids = calloc(jobs, sizeof *pids);
    struct rp_slot *slots = mmap(NULL, jobs * sizeof *slots, PROT_READ | PROT_WRITE,
                                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (slots == MAP_FAILED)
        slots = NULL;
    fflush(stdout);
    fflush(stderr);
    size_t running = 0;
    for (size_t k = 0; pids != NULL && slots != NULL && k < jobs && n_todo > 0; k++) {
        atomic_init(&slots[k].current, NO_RUN);
        atomic_init(&slots[k].next, k);
        pids[k] = fork();
        if (pids[k] == 0)
            worker(&c, todo_fd, k, jobs, &slots[k]);
        running += pids[k] > 0;
    }
    bool watch = o->on_progress != NULL;
    while (running > 0) {
        int st;
        pid_t p = watch ? waitpid(-1, &st, WNOHANG) : waitpid(-1, &st, 0);
        if (p > 0) {
            running--;
            size_t k = 0;
            while (k < jobs && pids[k] != p)
                k++;
            if (k < jobs && died_on_run(st)) {
                /* blame the run it was on, go on with the rest of its share */
                size_t cur = atomic_load(&slots[k].current);
                size_t next = atomic_load(&slots[k].next);
                if (cur != NO_RUN) {
                    char *path = NULL;
                    size_t cap = 0;
                    if (todo_path(todo_fd, cur, &path, &cap) != 0 ||
                        append_died(&c, path, st) != 0)
                        t->bad_workers++;
                    free(path);
                    next = cur + jobs;
                }
                t->workers_restarted++;
                if (next < n_todo) {
                    atomic_store(&slots[k].current, NO_RUN);
                    atomic_store(&slots[k].next, next);
                    fflush(stdout);
                    fflush(stderr);
                    pids[k] = fork();
                    if (pids[k] == 0)
                        worker(&c, todo_fd, next, jobs, &slots[k]);
                    if (pids[k] > 0)
                        running++;
                    else
                        t->bad_workers++;
                }
            } else {
                t->bad_workers += !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
            }
        } else if (p < 0 && errno != EINTR) {
            break;
        }
        if (watch) {
            o->on_progress(o->ctx, count_new_lines(done_path, &counter) - before, n_todo);
            if (p == 0) {
                struct timespec nap = {0, 200000000};
                nanosleep(&nap, NULL);
            }
        }
    }
    close(c.done_fd);
    close(c.results_fd);
    if (slots != NULL)
        munmap(slots, jobs * sizeof *slots);
    free(pids);
    close(todo_fd);
    size_t bad_workers = t->bad_workers, restarted = t->workers_restarted;
    const char *outs[1] = {o->out};
    int rc = rp_summary_write(o->out, outs, 1, report, t, err);
    t->bad_workers = bad_workers;
    t->workers_restarted = restarted;
    return rc;
}
