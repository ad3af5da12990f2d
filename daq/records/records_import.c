/* `caldaq records import PATH...`: an existing archive of run files and
 * issued certificates indexed into the records. Idempotent: what is
 * recorded with the same hash is left alone; a file whose hash differs
 * from its record is reported, never silently indexed again (ISO/IEC
 * 17025 7.5: a record changed must show it, 7.11.3 data protected).
 *
 * Run files are hashed first (the cost a check of the archive cannot
 * avoid) and looked up by path; only those not recorded are read, through
 * the store's guard (one child process for the batch: a damaged file
 * costs that file), and written in transactions of IMPORT_BATCH runs, so
 * an import beside a session holds the database for short moments only. */
#define _DEFAULT_SOURCE
#include "cd_i18n.h"
#include "records_int.h"
#include "cd_i18n.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define IMPORT_BATCH 64

struct file_list {
    char **paths;
    size_t n, cap;
};

static int list_add(struct file_list *l, const char *path)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        char **p = realloc(l->paths, cap * sizeof *p);
        if (p == NULL)
            return -1;
        l->paths = p;
        l->cap = cap;
    }
    if ((l->paths[l->n] = strdup(path)) == NULL)
        return -1;
    l->n++;
    return 0;
}

static void list_free(struct file_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->paths[i]);
    free(l->paths);
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return n > m && strcmp(s + n - m, tail) == 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run files and manifests under `path` (a file is taken as it is),
 * depth-first; symbolic links are not followed into folders. */
static int walk(const char *path, int depth, struct file_list *runs, struct file_list *manifests,
                struct cd_err *err)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return cd_fail(err, CD_ERR_NOT_FOUND, "%s: %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode)) {
        if (ends_with(path, ".manifest.json"))
            return list_add(manifests, path) == 0 ? 0 : cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
        if (ends_with(path, ".h5"))
            return list_add(runs, path) == 0 ? 0 : cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
        return 0;
    }
    if (depth > 32)
        return 0;
    DIR *d = opendir(path);
    if (d == NULL)
        return cd_fail(err, CD_ERR_IO, "%s: %s", path, strerror(errno));
    struct file_list here = {0};
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char sub[4096];
        if ((size_t)snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) >= sizeof sub)
            continue;
        if (list_add(&here, sub) != 0)
            rc = cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    }
    closedir(d);
    if (here.n > 0)
        qsort(here.paths, here.n, sizeof *here.paths, by_name);
    for (size_t i = 0; rc == 0 && i < here.n; i++)
        rc = walk(here.paths[i], depth + 1, runs, manifests, err);
    list_free(&here);
    return rc;
}

/* ------------------------------------------------------------ runs */

struct pending_run {
    char *path;
    char sha[65];
    struct daq_run_view *v;
    const char *outcome;       /* "added", or a problem (then `why`) */
    char why[600];
};

struct batch_ctx {
    struct pending_run *p;
    size_t n;
    const char *who;
};

static int batch_body(rec_db *db, void *vctx, struct cd_err *err)
{
    struct batch_ctx *b = vctx;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < b->n; i++) {
        struct pending_run *p = &b->p[i];
        p->outcome = "added";
        /* the same run recorded from another file: moved is fine (same
         * bytes), different bytes are reported */
        const char *q[] = {p->v->info.run_id};
        struct db_rows r;
        rc = db_exec(db, "SELECT path, sha256 FROM runs WHERE run_id = $1", q, 1, &r, err);
        if (rc != 0)
            break;
        bool known = r.n_rows > 0;
        if (known && strcmp(db_cell(&r, 0, 1), p->sha) != 0) {
            p->outcome = "changed";
            snprintf(p->why, sizeof p->why,
                     "changed since recorded: run %s is recorded from %.200s with sha256 "
                     "%.16s..., this file's is %.16s...: not indexed again",
                     p->v->info.run_id, db_cell(&r, 0, 0), db_cell(&r, 0, 1), p->sha);
        } else if (known && strcmp(db_cell(&r, 0, 0), p->path) != 0 &&
                   access(db_cell(&r, 0, 0), F_OK) == 0) {
            /* the same bytes at a second path: a copy (a backup); the
             * record keeps the first. A run whose recorded file is gone has
             * moved, and the record follows it (below). */
            p->outcome = "copy";
        } else if (known && strcmp(db_cell(&r, 0, 0), p->path) == 0) {
            p->outcome = "known";
        }
        db_rows_free(&r);
        if (strcmp(p->outcome, "added") == 0)
            rc = rec_run_note_hashed(db, p->path, p->v, p->sha, NULL, b->who, err);
    }
    return rc;
}

static void pending_clear(struct pending_run *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(p[i].path);
        daq_run_view_free(p[i].v);
        memset(&p[i], 0, sizeof p[i]);
    }
}

static int flush_batch(rec_db *db, struct pending_run *p, size_t n, const char *who,
                       rec_report_fn report, void *ctx, struct rec_import_stats *st,
                       struct cd_err *err)
{
    if (n == 0)
        return 0;
    struct batch_ctx b = {p, n, who};
    int rc = db_transaction(db, batch_body, &b, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (strcmp(p[i].outcome, "added") == 0) {
            st->runs_added++;
            if (report)
                report(ctx, p[i].path, "added");
        } else if (strcmp(p[i].outcome, "known") == 0 || strcmp(p[i].outcome, "copy") == 0) {
            st->runs_known++;
        } else {
            st->changed++;
            if (report)
                report(ctx, p[i].path, p[i].why);
        }
    }
    pending_clear(p, n);
    return rc;
}

/* The runs[start], runs[start + step], ... share of the run files. */
static int import_runs(rec_db *db, const struct file_list *runs, size_t start, size_t step,
                       const char *who, rec_report_fn report, void *ctx,
                       struct rec_import_stats *st, struct cd_err *err)
{
    daq_run_reader *reader = daq_run_reader_new(0);
    struct pending_run *batch = calloc(IMPORT_BATCH, sizeof *batch);
    if (reader == NULL || batch == NULL) {
        daq_run_reader_free(reader);
        free(batch);
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    }
    size_t nb = 0;
    int rc = 0;
    for (size_t i = start; rc == 0 && i < runs->n; i += step) {
        /* recorded under its real path (as the commands that write record it) */
        char real[4096];
        const char *path = realpath(runs->paths[i], real) != NULL ? real : runs->paths[i];
        struct cd_err e = {0};
        char sha[65];
        if (rec_file_sha256(path, sha, &e) != 0) {
            st->failed++;
            if (report)
                report(ctx, path, e.msg);
            continue;
        }
        const char *q[] = {path};
        struct db_rows r;
        rc = db_exec(db, "SELECT sha256, run_id FROM runs WHERE path = $1", q, 1, &r, err);
        if (rc != 0)
            break;
        if (r.n_rows > 0) {
            if (strcmp(db_cell(&r, 0, 0), sha) == 0) {
                st->runs_known++;
            } else {
                char why[400];
                snprintf(why, sizeof why,
                         "changed since recorded: sha256 %.16s..., the record of run %.36s says "
                         "%.16s...: not indexed again",
                         sha, db_cell(&r, 0, 1), db_cell(&r, 0, 0));
                st->changed++;
                if (report)
                    report(ctx, path, why);
            }
            db_rows_free(&r);
            continue;
        }
        db_rows_free(&r);
        struct daq_run_view *v = NULL;
        if (daq_run_reader_open(reader, path, &v, &e) != 0) {
            st->failed++;
            if (report) {
                char why[CD_ERR_MSG_MAX + 16];
                snprintf(why, sizeof why, "cannot read: %s", e.msg);
                report(ctx, path, why);
            }
            continue;
        }
        struct pending_run *p = &batch[nb++];
        p->path = strdup(path);
        memcpy(p->sha, sha, sizeof sha);
        p->v = v;
        if (p->path == NULL)
            rc = cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
        if (rc == 0 && nb == IMPORT_BATCH) {
            rc = flush_batch(db, batch, nb, who, report, ctx, st, err);
            nb = 0;
        }
    }
    if (rc == 0)
        rc = flush_batch(db, batch, nb, who, report, ctx, st, err);
    else
        pending_clear(batch, nb);
    free(batch);
    daq_run_reader_free(reader);
    return rc;
}

/* ------------------------------------------------------------ certificates */

static const char *jstr(const json_t *o, const char *path)
{
    /* "a.b": one level of nesting */
    const char *dot = strchr(path, '.');
    if (dot != NULL) {
        char first[64];
        snprintf(first, sizeof first, "%.*s", (int)(dot - path), path);
        o = json_object_get(o, first);
        path = dot + 1;
    }
    return json_string_value(json_object_get(o, path));
}

static const char *item_type_of_profile(const char *unit)
{
    /* the certificate JSON names no driver: its unit says what was measured */
    if (unit == NULL)
        return "unknown";
    if (strcmp(unit, "g") == 0 || strcmp(unit, "kg") == 0 || strcmp(unit, "mg") == 0)
        return "balance";
    if (strcmp(unit, "V") == 0 || strcmp(unit, "mV") == 0 || strcmp(unit, "A") == 0 ||
        strcmp(unit, "ohm") == 0)
        return "multimeter";
    if (strcmp(unit, "bar") == 0 || strcmp(unit, "kPa") == 0 || strcmp(unit, "MPa") == 0 ||
        strcmp(unit, "Pa") == 0)
        return "pressure gauge";
    return "unknown";
}

static int import_cert(rec_db *db, const char *manifest, const char *who, rec_report_fn report,
                       void *ctx, struct rec_import_stats *st, struct cd_err *err)
{
    json_error_t je;
    json_t *m = json_load_file(manifest, 0, &je), *doc = NULL;
    const char *number = json_string_value(json_object_get(m, "number"));
    json_t *files = json_object_get(m, "files");
    char dir[4096], why[700] = "", docpath[4400];
    snprintf(dir, sizeof dir, "%s", manifest);
    char *slash = strrchr(dir, '/');
    if (slash != NULL)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    char real[4096];
    if (realpath(dir, real) != NULL)
        snprintf(dir, sizeof dir, "%s", real);
    if (m == NULL)
        snprintf(why, sizeof why, "not a certificate manifest: line %d: %s", je.line, je.text);
    else if (number == NULL || !json_is_object(files) || strchr(number, '/') != NULL)
        snprintf(why, sizeof why, "not a caldaq certificate manifest (no number or files)");
    size_t n = json_object_size(files);
    const char **names = calloc(n + 1, sizeof *names), **shas = calloc(n + 1, sizeof *shas);
    size_t k = 0;
    const char *name;
    json_t *sha;
    /* each file's bytes against the manifest: a certificate altered after
     * it was issued is reported, not recorded */
    if (why[0] == '\0' && (names == NULL || shas == NULL))
        snprintf(why, sizeof why, "out of memory");
    if (why[0] == '\0')
        json_object_foreach(files, name, sha)
        {
            char file[4400], now[65];
            struct cd_err e = {0};
            if (strchr(name, '/') != NULL || !json_is_string(sha)) {
                snprintf(why, sizeof why, "the manifest names '%.100s': not a file beside it",
                         name);
                break;
            }
            snprintf(file, sizeof file, "%s/%s", dir, name);
            if (rec_file_sha256(file, now, &e) != 0) {
                snprintf(why, sizeof why, "%s", e.msg);
                break;
            }
            if (strcmp(now, json_string_value(sha)) != 0) {
                snprintf(why, sizeof why,
                         "%.200s: changed since issued (sha256 %.16s..., the manifest says "
                         "%.16s...): not indexed",
                         name, now, json_string_value(sha));
                break;
            }
            names[k] = name;
            shas[k] = json_string_value(sha);
            k++;
        }
    if (why[0] == '\0') {
        snprintf(docpath, sizeof docpath, "%s/%s.json", dir, number);
        doc = json_load_file(docpath, 0, &je);
        if (doc == NULL)
            snprintf(why, sizeof why, "%s.json: cannot read the certificate's JSON: %s", number,
                     je.text);
    }
    int rc = 0;
    if (why[0] == '\0') {
        /* recorded already: the same files, or reported */
        const char *q[] = {number};
        struct db_rows r;
        rc = db_exec(db, "SELECT name, sha256 FROM certificate_files WHERE number = $1", q, 1, &r,
                     err);
        if (rc == 0 && r.n_rows > 0) {
            /* every file the manifest lists, with the hash recorded */
            bool same = true;
            for (size_t i = 0; same && i < k; i++) {
                bool found = false;
                for (size_t j = 0; j < r.n_rows && !found; j++)
                    found = strcmp(db_cell(&r, j, 0), names[i]) == 0 &&
                            strcmp(db_cell(&r, j, 1), shas[i]) == 0;
                same = found;
            }
            if (same)
                st->certs_known++;
            else
                snprintf(why, sizeof why,
                         "certificate %.64s is recorded with other files (their sha256 differ): "
                         "not indexed again",
                         number);
            db_rows_free(&r);
            if (same) {
                json_decref(m);
                json_decref(doc);
                free(names);
                free(shas);
                return 0;
            }
        } else if (rc == 0) {
            db_rows_free(&r);
        }
    }
    if (rc == 0 && why[0] == '\0') {
        const char *replaces = jstr(doc, "amends.number");
        struct rec_cert c = {
            .number = number,
            .kind = jstr(doc, "kind"),
            .run_id = jstr(doc, "run.id"),
            .run_path = jstr(doc, "run.file"),
            .issued = jstr(doc, "issued"),
            .calibrated = jstr(doc, "calibrated"),
            .signatory = jstr(doc, "authorised_by.name"),
            .procedure = jstr(doc, "profile"),
            .verdict = jstr(doc, "verdict"),
            .valid_until = jstr(doc, "valid_until"),
            .customer = jstr(doc, "customer.name"),
            .customer_address = jstr(doc, "customer.address"),
            .item_type = item_type_of_profile(jstr(doc, "unit")),
            .manufacturer = jstr(doc, "item.manufacturer"),
            .model = jstr(doc, "item.model"),
            .serial = jstr(doc, "item.serial_stated") != NULL ? jstr(doc, "item.serial_stated")
                                                               : jstr(doc, "item.serial"),
            .replaces = replaces,
            .reason = jstr(doc, "amends.reason"),
            .folder = dir,
            .n_files = k,
            .file_names = names,
            .file_sha256 = shas,
        };
        struct cd_err e = {0};
        if (rec_cert_issued(db, &c, who, &e) == 0) {
            st->certs_added++;
            if (report)
                report(ctx, manifest, "added");
        } else {
            snprintf(why, sizeof why, "%s", e.msg);
        }
    }
    if (rc == 0 && why[0] != '\0') {
        st->failed++;
        if (report)
            report(ctx, manifest, why);
    }
    json_decref(m);
    json_decref(doc);
    free(names);
    free(shas);
    return rc;
}

/* What an import worker sends back when its share is done. */
struct worker_result {
    int rc;
    struct rec_import_stats st;
    char msg[CD_ERR_MSG_MAX];
};

/* Reading a run (HDF5, in the guard's child) is most of an import: with
 * jobs > 1, jobs - 1 worker processes take a share of the runs each
 * (runs[k], runs[k + jobs], ...), each with its own reader and its own
 * connection (the records take several writers at once), and this process
 * the first share. A worker's counts and first error come back through a
 * pipe. Forks: call from a single-threaded process. */
static int import_in_parallel(rec_db *db, const struct file_list *runs, unsigned jobs,
                              const char *who, rec_report_fn report, void *ctx,
                              struct rec_import_stats *st, struct cd_err *err)
{
    if (jobs <= 1 || runs->n < 2 * (size_t)jobs)
        return import_runs(db, runs, 0, 1, who, report, ctx, st, err);
    if (jobs > REC_IMPORT_JOBS_MAX)
        jobs = REC_IMPORT_JOBS_MAX;
    pid_t pids[REC_IMPORT_JOBS_MAX];
    int fds[REC_IMPORT_JOBS_MAX];
    unsigned started = 1;
    int rc = 0;
    fflush(NULL);
    for (unsigned k = 1; k < jobs && rc == 0; k++) {
        int p[2];
        if (pipe(p) != 0) {
            rc = cd_fail(err, CD_ERR_IO, _("import: pipe: %s"), strerror(errno));
            break;
        }
        pid_t pid = fork();
        if (pid < 0) {
            close(p[0]);
            close(p[1]);
            rc = cd_fail(err, CD_ERR_IO, _("import: fork: %s"), strerror(errno));
            break;
        }
        if (pid == 0) {
            /* the parent's connection is the parent's: never used here */
            close(p[0]);
            struct worker_result r = {0};
            struct cd_err e = {0};
            rec_db *mine = NULL;
            r.rc = rec_open(db_where(db), &mine, &e);
            if (r.rc == 0)
                r.rc = import_runs(mine, runs, k, jobs, who, report, ctx, &r.st, &e);
            snprintf(r.msg, sizeof r.msg, "%s", e.msg);
            rec_close(mine);
            fflush(NULL);
            _exit(write(p[1], &r, sizeof r) == (ssize_t)sizeof r ? 0 : 1);
        }
        close(p[1]);
        pids[started] = pid;
        fds[started] = p[0];
        started++;
    }
    if (rc == 0)
        rc = import_runs(db, runs, 0, jobs, who, report, ctx, st, err);
    for (unsigned k = 1; k < started; k++) {
        struct worker_result r;
        size_t got = 0;
        while (got < sizeof r) {
            ssize_t n = read(fds[k], (char *)&r + got, sizeof r - got);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        close(fds[k]);
        int status = 0;
        while (waitpid(pids[k], &status, 0) < 0 && errno == EINTR)
            ;
        if (got != sizeof r) {
            rc = rc != 0 ? rc : cd_fail(err, CD_ERR_IO, _("import: worker %u died"), k);
            continue;
        }
        st->runs_added += r.st.runs_added;
        st->runs_known += r.st.runs_known;
        st->changed += r.st.changed;
        st->failed += r.st.failed;
        if (r.rc != 0 && rc == 0)
            rc = cd_fail(err, r.rc, "%s", r.msg);
    }
    return rc;
}

int rec_import(rec_db *db, const char *const *paths, size_t n, unsigned jobs, const char *who,
               rec_report_fn report, void *ctx, struct rec_import_stats *out, struct cd_err *err)
{
    memset(out, 0, sizeof *out);
    struct file_list runs = {0}, manifests = {0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (ends_with(paths[i], ".yaml") || ends_with(paths[i], ".yml")) {
            prof_standards *reg = prof_standards_load(paths[i], err);
            size_t k = 0;
            rc = reg == NULL ? (err != NULL ? err->code : CD_ERR_PARSE)
                 : prof_standards_example(reg)
                     ? cd_fail(err, CD_ERR_INVALID,
                               _("%s is an example register (example: true): its certificates "
                                 "are made up, so it is not recorded; import your lab's own "
                                 "register"),
                               paths[i])
                     : rec_standards_note(db, reg, who, &k, err);
            prof_standards_free(reg);
            out->standards += k;
            continue;
        }
        rc = walk(paths[i], 0, &runs, &manifests, err);
    }
    if (rc == 0)
        rc = import_in_parallel(db, &runs, jobs, who, report, ctx, out, err);
    for (size_t i = 0; rc == 0 && i < manifests.n; i++)
        rc = import_cert(db, manifests.paths[i], who, report, ctx, out, err);
    list_free(&runs);
    list_free(&manifests);
    return rc;
}
