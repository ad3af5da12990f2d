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

/* Every *.h5 under `path` (a file or a folder, searched recursively;
 * symbolic links to folders are not followed). */
static int collect(const char *path, struct list *l, int depth)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return -1;
    size_t n = strlen(path);
    if (S_ISREG(st.st_mode))
        return n > 3 && strcmp(path + n - 3, ".h5") == 0 ? push(l, path) : 0;
    if (!S_ISDIR(st.st_mode) || depth > 64)
        return 0;
    DIR *dir = opendir(path);
    if (dir == NULL)
        return -1;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(dir)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *child = malloc(n + strlen(e->d_name) + 2);
        if (child == NULL) {
            rc = -1;
            break;
        }
        sprintf(child, "%s/%s", path, e->d_name);
        rc = collect(child, l, depth + 1);
        free(child);
    }
    closedir(dir);
    return rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
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

/* Where each run's last line is: the summary is streamed from the done
 * files in path order, so memory holds only this index (a path and an
 * offset a run), never the results themselves. */
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

static struct done_ref *index_done(const char *const *dirs, int n_dirs, FILE **files,
                                   size_t *n_out)
{
    struct done_ref *v = NULL;
    size_t n = 0, cap = 0, seq = 0;
    for (int d = 0; d < n_dirs; d++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/done.jsonl", dirs[d]);
        files[d] = fopen(path, "r");
        char *line = NULL;
        size_t lcap = 0;
        long at = 0;
        ssize_t got;
        while (files[d] != NULL && (got = getline(&line, &lcap, files[d])) > 0) {
            json_t *j = json_loads(line, 0, NULL); /* a torn last line is skipped */
            const char *p = json_string_value(json_object_get(j, "path"));
            if (p != NULL) {
                if (n == cap) {
                    cap = cap ? 2 * cap : 1024;
                    struct done_ref *nv = realloc(v, cap * sizeof *nv);
                    if (nv == NULL) {
                        json_decref(j);
                        break;
                    }
                    v = nv;
                }
                v[n++] = (struct done_ref){strdup(p), d, at, seq++};
            }
            json_decref(j);
            at += got;
        }
        free(line);
    }
    if (n > 0)
        qsort(v, n, sizeof *v, by_path_then_seq);
    /* keep the last line of each path */
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && strcmp(v[i].path, v[i + 1].path) == 0) {
            free(v[i].path);
            continue;
        }
        v[k++] = v[i];
    }
    *n_out = k;
    return v;
}

/* The paths already done in `dir` (sorted), for resuming. */
static struct done_ref *done_paths(const char *dir, size_t *n)
{
    FILE *f[1] = {NULL};
    struct done_ref *v = index_done(&dir, 1, f, n);
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
    struct done_ref *v = files != NULL ? index_done(dirs, n_dirs, files, &n) : NULL;
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
    for (size_t i = 0; i < n; i++) {
        FILE *f = files[v[i].file];
        json_t *r = NULL;
        if (f != NULL && fseek(f, v[i].offset, SEEK_SET) == 0 && getline(&line, &lcap, f) > 0)
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
            fprintf(report, "  FAILED %s: %s\n", json_string_value(json_object_get(r, "path")),
                   json_string_value(json_object_get(r, "error")));
        else if (report != NULL && json_is_true(json_object_get(r, "verdict_changed")))
            fprintf(report, "  changed %s: %s -> %s\n", json_string_value(json_object_get(r, "path")),
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
    for (int d = 0; d < n_dirs; d++)
        if (files != NULL && files[d] != NULL)
            fclose(files[d]);
    free(files);
    free_refs(v, n);
    return rc == 0 ? 0 : cd_fail(err, CD_ERR_IO, "%s: cannot write the summary", out);
}

/* ------------------------------------------------------------ the batch */

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
    /* the runs, sorted, this shard's share, minus the ones done */
    struct list all = {0};
    for (int i = 0; i < o->n_paths; i++) {
        if (collect(o->paths[i], &all, 0) != 0) {
            int e = errno;
            list_free(&all);
            return cd_fail(err, CD_ERR_IO, "%s: cannot list the runs: %s", o->paths[i],
                           strerror(e));
        }
    }
    if (all.n > 0)
        qsort(all.v, all.n, sizeof *all.v, by_name);
    size_t n_done = 0;
    struct done_ref *done = done_paths(o->out, &n_done);
    char todo_name[4200];
    snprintf(todo_name, sizeof todo_name, "%s/.todo-XXXXXX", o->out);
    int todo_fd = mkstemp(todo_name);
    FILE *todo = todo_fd >= 0 ? fdopen(dup(todo_fd), "w") : NULL;
    if (todo_fd >= 0)
        unlink(todo_name);
    size_t n_todo = 0, skipped = 0;
    for (size_t i = 0; todo != NULL && i < all.n; i++) {
        if (i % o->shard_n != o->shard_i - 1)
            continue;
        if (is_done(done, n_done, all.v[i])) {
            skipped++;
        } else {
            fwrite(all.v[i], 1, strlen(all.v[i]) + 1, todo);
            n_todo++;
        }
    }
    free_refs(done, n_done);
    /* the workers read the list from the file: none of it stays here, and
     * the pages it took go back to the kernel before the workers are
     * forked (freed heap memory would otherwise be copied into each) */
    list_free(&all);
    all = (struct list){0};
    malloc_trim(0);
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
