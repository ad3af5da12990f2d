/* The run writer: the run lives in memory; every checkpoint writes it whole
 * to RUN.h5.tmp, fsyncs it and renames it over RUN.h5 (docs/run-format.md,
 * "Crash safety"). Readings between checkpoints go to RUN.h5.journal, one
 * fsync'd line each; the raw trace is recorded to RUN.h5.trace by a
 * drv_trace_writer and taken into the run at each checkpoint. A finished
 * run can be reopened (results and audit only); an interrupted one resumed
 * (what its journals hold recovered, then written like a new one). */
#include "run_int.h"
#include "cd_i18n.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#ifndef CALDAQ_VERSION
#define CALDAQ_VERSION "0.1.0"
#endif

#define TRACE_MAGIC_LINE "# caldaq-trace 1\n"
/* Header lines of a trace journal begun by daq_run_resume: where its
 * records go in the run (docs/run-format.md, "Resuming"). */
#define TRACE_BEFORE_KEY "# run-records-before:"
#define TRACE_OFFSET_KEY "# run-time-offset:"

struct daq_run {
    struct rs_data d;
    char *path;             /* RUN.h5 */
    char *tmp_path;         /* RUN.h5.tmp */
    char *journal_path;     /* RUN.h5.journal */
    char *trace_path;       /* RUN.h5.trace */
    char *trace_tmp_path;   /* RUN.h5.trace.tmp: a resume's trace journal until it is taken */
    char *lock_path;        /* RUN.h5.lock: held by a reopened run's writer */
    int lock_fd;
    char *dir_path;         /* the folder, fsync'd after each rename */
    int journal_fd;
    size_t n_in_file;       /* readings in the last snapshot */
    FILE *trace_f;
    struct drv_trace_writer *tw;
    off_t trace_done;       /* bytes of RUN.h5.trace already in d */
    /* A resumed run's trace journal continues the run's trace: its header
     * is not the run's, and its times get trace_offset added. */
    bool trace_continues;
    double trace_offset;
    bool reopened;          /* by daq_run_reopen: results and audit only */
    /* By daq_run_resume, nothing written yet: RUN.h5 and RUN.h5.journal are
     * as they were, the recorder writes RUN.h5.trace.tmp; the first
     * checkpoint (or the close) takes the resume, daq_run_abandon drops it. */
    bool resume_pending;
    bool journal_made;      /* the resume created RUN.h5.journal (there was none) */
    /* By daq_run_create_begin: no RUN.h5 yet; the first checkpoint (or the
     * close) puts it in place, daq_run_abandon removes the journals. */
    bool create_pending;
    struct daq_reading *readings_out; /* daq_run_readings' copy */
    size_t cap_readings_out;
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
        return cd_fail(err, CD_ERR_IO, _("%s: cannot open to sync: %s"), path, strerror(errno));
    int rc = 0;
    if (fsync(fd) != 0 && !(dir && (errno == EINVAL || errno == EROFS)))
        rc = cd_fail(err, CD_ERR_IO, _("%s: fsync: %s"), path, strerror(errno));
    close(fd);
    return rc;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            errno = EIO; /* not expected of a file: say something */
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* A run and its journals are the lab's records: mode 0640 whatever the
 * umask (0 would let anyone rewrite them, 077 would hide them from the
 * lab's group). fchmod, because open's mode is masked; a symbolic link in
 * the file's place is refused. A descriptor, or -1 with errno. */
#define RUN_FILE_MODE 0640
static int run_file_create(const char *path, int flags)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | flags, RUN_FILE_MODE);
    if (fd >= 0 && fchmod(fd, RUN_FILE_MODE) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* A write or sync of one of the run's files that failed with errno `e`,
 * said so that a technician knows what to do: a full disk is named as such,
 * with the folder whose disk it is. */
static int io_fail(const daq_run *run, struct cd_err *err, const char *what, int e)
{
    if (e == ENOSPC)
        return cd_fail(err, CD_ERR_IO,
                       _("%s: cannot %s: no space left on the device that holds the run "
                       "(folder %s)"),
                       run->path, what, run->dir_path);
    if (e == EDQUOT)
        return cd_fail(err, CD_ERR_IO,
                       _("%s: cannot %s: the disk quota for the folder %s is used up"), run->path,
                       what, run->dir_path);
    return cd_fail(err, CD_ERR_IO, _("%s: cannot %s: %s"), run->path, what, strerror(e));
}

/* `len` bytes into a new file `path`, synced. */
static int write_file(const daq_run *run, const char *path, const void *buf, size_t len,
                      struct cd_err *err)
{
    char what[4200];
    snprintf(what, sizeof what, _("write the snapshot %s"), path);
    int fd = run_file_create(path, O_TRUNC);
    if (fd < 0)
        return io_fail(run, err, what, errno);
    int e = 0;
    if (write_all(fd, buf, len) != 0 || fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && e == 0)
        e = errno;
    return e != 0 ? io_fail(run, err, what, e) : 0;
}

/* Put the sealed run in place: RUN.h5.tmp written, synced, renamed (the
 * first time linked, so that an existing run is never replaced). A failure
 * leaves RUN.h5 as it was (the previous snapshot) and no RUN.h5.tmp. */
static int snapshot(daq_run *run, bool first, struct cd_err *err)
{
    if (rs_seal(&run->d) != 0)
        return cd_fail(err, CD_ERR_NOMEM, _("%s: out of memory"), run->path);
    void *image = NULL;
    size_t len = 0;
    int rc = rs_h5_image(run->tmp_path, &run->d, &image, &len, err);
    if (rc == 0)
        rc = write_file(run, run->tmp_path, image, len, err);
    free(image);
    if (rc == 0 && first) {
        if (link(run->tmp_path, run->path) == 0) {
            unlink(run->tmp_path);
        } else if (errno == EEXIST) {
            rc = cd_fail(err, CD_ERR_INVALID, _("%s already exists: a run is never overwritten"),
                         run->path);
        } else {
            /* No hard links here (vfat, some network file systems). */
            struct stat st;
            if (lstat(run->path, &st) == 0)
                rc = cd_fail(err, CD_ERR_INVALID,
                             _("%s already exists: a run is never overwritten"), run->path);
            else if (rename(run->tmp_path, run->path) != 0)
                rc = cd_fail(err, CD_ERR_IO, _("%s: rename from %s: %s"), run->path,
                             run->tmp_path, strerror(errno));
        }
    } else if (rc == 0 && rename(run->tmp_path, run->path) != 0) {
        rc = cd_fail(err, CD_ERR_IO, _("%s: rename from %s: %s"), run->path, run->tmp_path,
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
        return io_fail(run, err, _("reset the journal"), errno);
    return 0;
}

/* Append a line to the journal, synced. A write that fails part way is
 * taken back, so that the lines after it (a later attempt, once there is
 * room) do not follow half a line: the journal stays readable. */
static int journal_append(daq_run *run, const char *line, size_t len, const char *what,
                          struct cd_err *err)
{
    off_t end = lseek(run->journal_fd, 0, SEEK_END);
    if (write_all(run->journal_fd, line, len) == 0 && fdatasync(run->journal_fd) == 0)
        return 0;
    int e = errno;
    if (end >= 0 && ftruncate(run->journal_fd, end) == 0)
        fdatasync(run->journal_fd);
    return io_fail(run, err, what, e);
}

/* A session holds its journal locked (flock: released when the process
 * ends, however it ends), so that a resume tells a session that died from
 * one still writing. A file system without locks goes without. */
static int journal_lock(daq_run *run, struct cd_err *err)
{
    if (flock(run->journal_fd, LOCK_EX | LOCK_NB) == 0 || errno != EWOULDBLOCK)
        return 0;
    return cd_fail(err, CD_ERR_INVALID,
                   _("%s: a session is still writing this run (%s is locked by it)"), run->path,
                   run->journal_path);
}

/* `exclusive`: refuse a journal that is there (a run not yet in its file
 * must not take over another's journal). */
static int journal_open(daq_run *run, bool exclusive, struct cd_err *err)
{
    run->journal_fd =
        run_file_create(run->journal_path, (exclusive ? O_EXCL : O_TRUNC) | O_APPEND);
    if (run->journal_fd < 0)
        return cd_fail(err, CD_ERR_IO, _("%s: cannot create the journal: %s"), run->journal_path,
                       strerror(errno));
    int rc = journal_lock(run, err);
    return rc != 0 ? rc : journal_reset(run, err);
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

/* The whole lines of `path` from byte `from` on, after `prefix`: *buf
 * (owned; NULL when there are none) holds the prefix and the lines, *len
 * their length, *used the bytes of the file they take. A line being written
 * stays for next time. A missing file has no lines when `missing_ok`. */
static int read_lines(const char *path, off_t from, const char *prefix, bool missing_ok,
                      char **buf, size_t *len, size_t *used, struct cd_err *err)
{
    *buf = NULL;
    *len = *used = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (missing_ok && errno == ENOENT)
            return 0;
        return cd_fail(err, CD_ERR_IO, _("%s: cannot read the trace journal: %s"), path,
                       strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size <= from) {
        close(fd);
        return 0;
    }
    size_t pl = strlen(prefix);
    size_t want = (size_t)(st.st_size - from);
    char *b = malloc(pl + want + 1);
    if (b == NULL) {
        close(fd);
        return cd_fail(err, CD_ERR_NOMEM, _("%s: out of memory"), path);
    }
    memcpy(b, prefix, pl);
    size_t got = 0;
    while (got < want) {
        ssize_t n = pread(fd, b + pl + got, want - got, from + (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    while (got > 0 && b[pl + got - 1] != '\n')
        got--;
    if (got == 0) {
        free(b);
        return 0;
    }
    b[pl + got] = '\0';
    *buf = b;
    *len = pl + got;
    *used = got;
    return 0;
}

/* Append the records of a parsed trace journal to the run, their times
 * moved by the journal's offset. */
static int trace_append(daq_run *run, const struct drv_trace *t, size_t from, struct cd_err *err)
{
    for (size_t i = from; i < t->n; i++) {
        const struct drv_trace_record *r = &t->records[i];
        if (rs_add_trace(&run->d, r->t + run->trace_offset, (char)r->dir, r->data, r->len) != 0)
            return cd_fail(err, CD_ERR_NOMEM, _("%s: out of memory"), run->trace_path);
    }
    return 0;
}

/* The trace journal the recorder writes: RUN.h5.trace, or the one of a
 * resume not yet taken. */
static const char *trace_live(const daq_run *run)
{
    return run->resume_pending ? run->trace_tmp_path : run->trace_path;
}

/* Take the complete lines the trace journal gained since the last time into
 * the run: parse them (a chunk after the first gets the magic line in
 * front) and append their records. */
static int trace_absorb(daq_run *run, struct cd_err *err)
{
    const char *path = trace_live(run);
    if (run->trace_f != NULL && fflush(run->trace_f) != 0)
        return io_fail(run, err, _("write the trace journal"), errno);
    char *buf;
    size_t len, used;
    int rc = read_lines(path, run->trace_done, run->trace_done > 0 ? TRACE_MAGIC_LINE : "",
                        false, &buf, &len, &used, err);
    if (rc != 0 || buf == NULL)
        return rc;
    struct drv_trace *t = NULL;
    rc = drv_trace_parse(buf, len, path, &t, err);
    free(buf);
    if (rc != 0)
        return rc;
    if (run->trace_done == 0 && !run->trace_continues) {
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
    rc = trace_append(run, t, 0, err);
    drv_trace_free(t);
    if (rc == 0)
        run->trace_done += (off_t)used;
    return rc;
}

static int trace_open(daq_run *run, bool exclusive, struct cd_err *err)
{
    int fd = run_file_create(run->trace_path, exclusive ? O_EXCL : O_TRUNC);
    run->trace_f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (fd >= 0 && run->trace_f == NULL)
        close(fd);
    if (run->trace_f == NULL)
        return cd_fail(err, CD_ERR_IO, _("%s: cannot create the trace journal: %s"),
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

static int resume_take(daq_run *run, struct cd_err *err);

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
    if (run->lock_fd >= 0) {
        /* Removed while still held: a writer waiting on this file finds
         * it gone and takes a new one (writer_lock). */
        unlink(run->lock_path);
        close(run->lock_fd);
    }
    rs_data_free(&run->d);
    free(run->path);
    free(run->tmp_path);
    free(run->journal_path);
    free(run->trace_path);
    free(run->trace_tmp_path);
    free(run->lock_path);
    free(run->dir_path);
    free(run->readings_out);
    free(run);
}

/* A handle for the run at `path`: its paths set, nothing open, nothing
 * read. NULL when out of memory. */
static daq_run *run_alloc(const char *path)
{
    daq_run *run = calloc(1, sizeof *run);
    if (run == NULL)
        return NULL;
    run->journal_fd = -1;
    run->lock_fd = -1;
    rs_data_init(&run->d);
    run->path = strdup(path);
    run->tmp_path = concat(path, ".tmp");
    run->journal_path = concat(path, ".journal");
    run->trace_path = concat(path, ".trace");
    run->trace_tmp_path = concat(path, ".trace.tmp");
    run->lock_path = concat(path, ".lock");
    run->dir_path = dir_of(path);
    if (run->path == NULL || run->tmp_path == NULL || run->journal_path == NULL ||
        run->trace_path == NULL || run->trace_tmp_path == NULL || run->lock_path == NULL ||
        run->dir_path == NULL) {
        run_free(run);
        return NULL;
    }
    return run;
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

/* Append entry `a` (seq, t, who, what set) to the audit chain: its
 * predecessor's hash and its own. */
static int audit_append(struct rs_data *d, const struct daq_audit_entry *a)
{
    if (rs_grow((void **)&d->audit, &d->cap_audit, d->n_audit + 1, sizeof *d->audit) != 0)
        return CD_ERR_NOMEM;
    struct daq_audit_entry *e = &d->audit[d->n_audit];
    *e = *a;
    if (d->n_audit == 0)
        memset(e->prev_sha256, '0', 64);
    else
        memcpy(e->prev_sha256, d->audit[d->n_audit - 1].sha256, 64);
    e->prev_sha256[64] = '\0';
    rs_audit_hash(e->prev_sha256, e->seq, e->t, e->who, e->what, e->sha256);
    d->n_audit++;
    return 0;
}

/* Whether the run has a journal of its own that outlives the process: a
 * run in its file, not a resume or a creation not yet written, not a
 * reopened run (which has none). */
static bool journal_live(const daq_run *run)
{
    return run->journal_fd >= 0 && !run->resume_pending && !run->create_pending &&
           !run->reopened;
}

/* An audit entry. With a live journal and `journal`, it is in the journal,
 * synced, before this returns: an operator's note or skip that the screen
 * then calls saved survives a crash (daq_run_resume takes it back). */
static int audit_add_to(daq_run *run, const char *who, const char *what, bool journal,
                        struct cd_err *err)
{
    struct rs_data *d = &run->d;
    if (who == NULL || what == NULL || who[0] == '\0' || what[0] == '\0')
        return cd_fail(err, CD_ERR_INVALID, _("an audit entry needs who and what"));
    struct daq_audit_entry a;
    memset(&a, 0, sizeof a);
    a.seq = (int64_t)d->n_audit + 1;
    a.t = rs_now();
    copy_cut(a.who, sizeof a.who, who);
    copy_cut(a.what, sizeof a.what, what);
    if (journal && journal_live(run)) {
        char line[2048];
        int n = rs_journal_audit_line(&a, line, sizeof line);
        if (n < 0)
            return cd_fail(err, CD_ERR_INVALID, _("audit entry too long for the journal"));
        int rc = journal_append(run, line, (size_t)n, "journal the audit entry", err);
        if (rc != 0)
            return rc;
    }
    if (audit_append(d, &a) != 0)
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    return 0;
}

static int audit_add(daq_run *run, const char *who, const char *what, struct cd_err *err)
{
    return audit_add_to(run, who, what, true, err);
}

/* The operator, or "caldaq" for entries the store makes itself. */
static const char *who_of(const daq_run *run)
{
    return run->d.info.operator_name[0] != '\0' ? run->d.info.operator_name : "caldaq";
}

/* A run in memory with its info, profile and "run created" entry; nothing
 * on disk. */
static int run_new(const char *path, const struct daq_run_info *info, const char *profile_text,
                   daq_run **out, struct cd_err *err)
{
    *out = NULL;
    if (path == NULL || path[0] == '\0' || info == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("daq_run_create: no path or no run information"));
    if (sodium_init() < 0)
        return cd_fail(err, CD_ERR_IO, _("libsodium cannot initialise"));
    struct stat st;
    if (lstat(path, &st) == 0)
        return cd_fail(err, CD_ERR_INVALID, _("%s already exists: a run is never overwritten"),
                       path);
    daq_run *run = run_alloc(path);
    if (run == NULL)
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    run->d.profile = strdup(profile_text != NULL ? profile_text : "");
    if (run->d.profile == NULL) {
        run_free(run);
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
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
    if (rc != 0) {
        run_free(run);
        return rc;
    }
    *out = run;
    return 0;
}

int daq_run_create(const char *path, const struct daq_run_info *info, const char *profile_text,
                   daq_run **out, struct cd_err *err)
{
    *out = NULL;
    daq_run *run = NULL;
    int rc = run_new(path, info, profile_text, &run, err);
    if (rc != 0)
        return rc;
    rc = snapshot(run, true, err);
    if (rc != 0) {
        run_free(run);
        return rc;
    }
    rc = journal_open(run, false, err);
    if (rc == 0)
        rc = trace_open(run, false, err);
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

int daq_run_create_begin(const char *path, const struct daq_run_info *info,
                         const char *profile_text, daq_run **out, struct cd_err *err)
{
    *out = NULL;
    daq_run *run = NULL;
    int rc = run_new(path, info, profile_text, &run, err);
    if (rc != 0)
        return rc;
    rc = journal_open(run, true, err);
    bool journal = rc == 0;
    if (rc == 0)
        rc = trace_open(run, true, err);
    if (rc != 0) {
        if (run->trace_f != NULL)
            unlink(run->trace_path);
        if (journal)
            unlink(run->journal_path);
        run_free(run);
        return rc;
    }
    run->create_pending = true;
    *out = run;
    return 0;
}

/* A reopened run keeps what was measured as it was: only results versions
 * and audit entries may be added. */
static int refuse_reopened(const daq_run *run, const char *what, struct cd_err *err)
{
    return cd_fail(err, CD_ERR_INVALID,
                   _("%s: cannot add %s to a reopened %s run: readings, trace, device, standards "
                   "and environment stay as measured (only results and audit entries)"),
                   run->path, what, run->d.info.status);
}

const struct daq_run_info *daq_run_get_info(const daq_run *run)
{
    return run != NULL ? &run->d.info : NULL;
}

const char *daq_run_profile_text(const daq_run *run)
{
    return run != NULL ? run->d.profile : NULL;
}

const struct daq_standard *daq_run_standards(const daq_run *run, size_t *n)
{
    *n = run != NULL ? run->d.n_standards : 0;
    return run != NULL ? run->d.standards : NULL;
}

const struct daq_device *daq_run_get_device(const daq_run *run)
{
    return run != NULL ? &run->d.device : NULL;
}

const struct daq_audit_entry *daq_run_audit_log(const daq_run *run, size_t *n)
{
    *n = run != NULL ? run->d.n_audit : 0;
    return run != NULL ? run->d.audit : NULL;
}

const struct daq_reading *daq_run_readings(const daq_run *run, size_t *n)
{
    *n = 0;
    if (run == NULL)
        return NULL;
    /* The copy is the handle's (allocated by run_alloc, never const). */
    daq_run *w = (daq_run *)run;
    const struct rs_data *d = &run->d;
    if (rs_grow((void **)&w->readings_out, &w->cap_readings_out,
                d->n_readings > 0 ? d->n_readings : 1, sizeof *w->readings_out) != 0)
        return NULL;
    for (size_t i = 0; i < d->n_readings; i++)
        rs_reading_to(&d->readings[i], &w->readings_out[i]);
    *n = d->n_readings;
    return w->readings_out;
}

int daq_run_set_device(daq_run *run, const struct daq_device *dev, struct cd_err *err)
{
    if (run == NULL || dev == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("daq_run_set_device: no run or no device"));
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
    RS_COPY(v->side, dev->side);
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
        return cd_fail(err, CD_ERR_INVALID, _("a reference standard needs an id"));
    if (run->reopened)
        return refuse_reopened(run, "a reference standard", err);
    if (s->due_date[0] != '\0' && !is_date(s->due_date))
        return cd_fail(err, CD_ERR_INVALID, _("standard %.64s: due date \"%.16s\" is not YYYY-MM-DD"),
                       s->id, s->due_date);
    struct rs_data *d = &run->d;
    if (rs_grow((void **)&d->standards, &d->cap_standards, d->n_standards + 1,
                sizeof *d->standards) != 0)
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
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
        return cd_fail(err, CD_ERR_INVALID, _("daq_run_add_env: no run or no conditions"));
    if (run->reopened)
        return refuse_reopened(run, "environmental conditions", err);
    struct rs_data *d = &run->d;
    if (rs_grow((void **)&d->env, &d->cap_env, d->n_env + 1, sizeof *d->env) != 0)
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
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
        return cd_fail(err, CD_ERR_INVALID, _("daq_run_add_reading: no run or no reading"));
    if (run->reopened)
        return refuse_reopened(run, "a reading", err);
    /* The journal of a resume not yet taken is the interrupted session's
     * (maybe with a torn last line): the resume is written first. A run not
     * yet in its file gets its file first: a journalled reading must have a
     * run to be recovered into. */
    if (run->resume_pending || run->create_pending) {
        int rc = daq_run_checkpoint(run, err);
        if (rc != 0)
            return rc;
    }
    struct rs_data *d = &run->d;
    struct rs_reading row;
    if (rs_reading_from(r, &row) != 0)
        return cd_fail(err, CD_ERR_INVALID, _("reading with an unknown status %d"), (int)r->r.status);
    if (rs_grow((void **)&d->readings, &d->cap_readings, d->n_readings + 1,
                sizeof *d->readings) != 0)
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    char line[2048];
    int n = rs_journal_line(d->n_readings, &row, line, sizeof line);
    if (n < 0)
        return cd_fail(err, CD_ERR_INVALID, _("reading too long for the journal"));
    /* In the journal (on disk) first: a reading the caller was told about
     * survives a crash. */
    int rc = journal_append(run, line, (size_t)n, "journal the reading", err);
    if (rc != 0)
        return rc;
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
        return cd_fail(err, CD_ERR_INVALID, _("daq_run_audit: no run"));
    return audit_add(run, who, what, err);
}

int daq_run_add_results(daq_run *run, const char *json, const char *engine, int *version,
                        struct cd_err *err)
{
    if (run == NULL || json == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("daq_run_add_results: no run or no results"));
    json_error_t je;
    json_t *doc = json_loads(json, JSON_DECODE_ANY, &je);
    if (doc == NULL)
        return cd_fail(err, CD_ERR_PARSE, _("results are not JSON: line %d column %d: %s"),
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
    /* Not journalled: the results are not, and the entry must not outlive
     * them; both go into the next snapshot. */
    int rc = audit_add_to(run, who_of(run), what, false, err);
    if (rc != 0)
        return rc;
    if (rs_add_result(d, v, created, engine != NULL ? engine : "", json) != 0) {
        d->n_audit = n_audit;
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    }
    if (version != NULL)
        *version = v;
    return 0;
}

int daq_run_checkpoint(daq_run *run, struct cd_err *err)
{
    if (run == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("daq_run_checkpoint: no run"));
    if (run->reopened)
        return snapshot(run, false, err); /* no journals: nothing is measured */
    /* A trace journal that cannot be read must not cost the readings their
     * snapshot: write it anyway, report the trace error after. */
    struct cd_err terr = {0};
    int trc = trace_absorb(run, &terr);
    int rc = snapshot(run, run->create_pending, err);
    if (rc == 0)
        run->create_pending = false;
    if (rc == 0)
        rc = journal_reset(run, err);
    if (rc == 0 && run->resume_pending)
        rc = resume_take(run, err);
    if (rc == 0 && trc != 0)
        rc = cd_fail(err, trc, "%s", terr.msg);
    return rc;
}

/* ------------------------------------------------------------ reopen */

/* The file of a run to reopen or resume (`verb`) must be there. */
static int run_exists(const char *path, const char *verb, struct cd_err *err)
{
    if (sodium_init() < 0)
        return cd_fail(err, CD_ERR_IO, _("libsodium cannot initialise"));
    struct stat st;
    if (stat(path, &st) != 0)
        return cd_fail(err, errno == ENOENT ? CD_ERR_NOT_FOUND : CD_ERR_IO, _("%s: cannot %s: %s"),
                       path, verb, strerror(errno));
    return 0;
}

/* Read the run at run->path into run->d, if it verifies: never build on a
 * tampered run, a new seal would launder it. */
static int run_load(daq_run *run, const char *verb, struct cd_err *err)
{
    char report[512];
    struct cd_err verr = {0};
    int rc = daq_run_verify(run->path, report, sizeof report, &verr);
    if (rc == CD_ERR_INVALID)
        return cd_fail(err, CD_ERR_INVALID,
                       _("%s: refusing to %s: the run fails verification (tampered or "
                       "damaged): %s"),
                       run->path, verb, report);
    if (rc != 0)
        return cd_fail(err, rc, "%s", verr.msg);
    rc = rs_h5_read(run->path, &run->d, err); /* initialises run->d, also on error */
    if (rc == 0)
        run->n_in_file = run->d.n_readings;
    return rc;
}

/* Who holds the lock, for a writer that waits on it: pid, the command
 * line (from /proc where there is one) and since when, one line. */
static void holder_text(char *buf, size_t cap)
{
    char cmd[200] = "";
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, cmd, sizeof cmd - 1);
        close(fd);
        for (ssize_t i = 0; i < n; i++)
            if (cmd[i] == '\0' || cmd[i] == '\n')
                cmd[i] = ' ';
        cmd[n > 0 ? n : 0] = '\0';
        for (ssize_t i = n - 1; i >= 0 && cmd[i] == ' '; i--)
            cmd[i] = '\0';
    }
    char since[40];
    rs_iso8601(rs_now(), since, sizeof since);
    snprintf(buf, cap, "pid %ld, %s, since %s\n", (long)getpid(), cmd[0] ? cmd : "caldaq",
             since);
}

static double monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The writer's lock of a reopened run: RUN.h5.lock beside it, flock'd
 * (not RUN.h5 itself, which every snapshot replaces by a rename, and which
 * HDF5 flocks on its own when it opens it). Two writers that both read
 * results v1 would both add v2 and the last rename would win, losing the
 * other; with the lock the second reads the first's v2 and adds v3. Waited
 * for up to `wait_ms`, polling; the holder writes who it is into the file,
 * so that a writer that gives up says who holds it. A lock file that its
 * holder removed while we waited on it is not the lock any more: taken
 * again. A file system without locks goes without, as the journal does. */
static int writer_lock(daq_run *run, int wait_ms, struct cd_err *err)
{
    double deadline = monotonic_ms() + (wait_ms > 0 ? wait_ms : 0);
    for (;;) {
        int fd = open(run->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            return cd_fail(err, CD_ERR_IO, _("%s: cannot make the lock %s: %s"), run->path,
                           run->lock_path, strerror(errno));
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
            struct stat mine, there;
            if (fstat(fd, &mine) == 0 && stat(run->lock_path, &there) == 0 &&
                mine.st_dev == there.st_dev && mine.st_ino == there.st_ino) {
                char who[320];
                holder_text(who, sizeof who);
                if (ftruncate(fd, 0) != 0 || pwrite(fd, who, strlen(who), 0) < 0) {
                    /* the lock holds without its note; a waiter says less */
                }
                run->lock_fd = fd;
                return 0;
            }
            close(fd); /* its holder removed it meanwhile: the next one */
            continue;
        }
        if (errno != EWOULDBLOCK) {
            close(fd);
            return 0;
        }
        if (monotonic_ms() >= deadline) {
            char who[320] = "";
            ssize_t n = pread(fd, who, sizeof who - 1, 0);
            close(fd);
            who[n > 0 ? n : 0] = '\0';
            who[strcspn(who, "\n")] = '\0';
            return cd_fail(err, CD_ERR_TIMEOUT,
                           _("%s: another caldaq is writing to this run (%s); waited %.0f s for "
                           "it to finish: try again when it has (the lock is %s)"),
                           run->path, who[0] ? who : "who, it does not say", wait_ms / 1000.0,
                           run->lock_path);
        }
        close(fd);
        struct timespec nap = {0, 20 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
}

int daq_run_reopen(const char *path, daq_run **out, struct cd_err *err)
{
    return daq_run_reopen_wait(path, DAQ_RUN_LOCK_WAIT_MS, out, err);
}

int daq_run_reopen_wait(const char *path, int wait_ms, daq_run **out, struct cd_err *err)
{
    if (out != NULL)
        *out = NULL;
    if (path == NULL || path[0] == '\0' || out == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("daq_run_reopen: no path"));
    int rc = run_exists(path, "reopen", err);
    if (rc != 0)
        return rc;
    daq_run *run = run_alloc(path);
    if (run == NULL)
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    run->reopened = true;
    /* Locked before it is read: what the run holds is what the previous
     * writer left. */
    rc = writer_lock(run, wait_ms, err);
    if (rc == 0)
        rc = run_load(run, "reopen", err);
    const char *status = run->d.info.status;
    if (rc == 0 && strcmp(status, "complete") != 0 && strcmp(status, "aborted") != 0)
        rc = strcmp(status, "in-progress") == 0
                 ? cd_fail(err, CD_ERR_INVALID,
                           _("%s: refusing to reopen: the run is still in-progress (a session may "
                           "be writing it, or it was killed): resume it instead"),
                           path)
                 : cd_fail(err, CD_ERR_INVALID,
                           _("%s: refusing to reopen: unknown status \"%.16s\""), path, status);
    /* In memory until the close snapshot: a crash before it leaves the file
     * as it was. */
    if (rc == 0)
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

/* ------------------------------------------------------------ resume */

/* Seconds since the epoch of an ISO 8601 time with its offset, as
 * rs_iso8601 writes it ("2026-11-22T09:30:00+07:00", or "...Z"); NAN when it
 * is not one. */
static double iso8601_epoch(const char *s)
{
    int y, mo, d, h, mi, sec, n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || mo < 1 ||
        mo > 12 || d < 1 || d > 31)
        return NAN;
    const char *z = s + n;
    long off = 0;
    if (*z == 'Z') {
        z++;
    } else if (*z == '+' || *z == '-') {
        int oh, om, m = 0;
        if (sscanf(z + 1, "%2d:%2d%n", &oh, &om, &m) != 2 || m != 5)
            return NAN;
        off = (*z == '-' ? -1L : 1L) * (oh * 3600L + om * 60L);
        z += 1 + m;
    } else {
        return NAN;
    }
    if (*z != '\0')
        return NAN;
    /* Days since 1970-01-01 of a proleptic Gregorian date. */
    long yy = y - (mo <= 2);
    long era = (yy >= 0 ? yy : yy - 399) / 400;
    long yoe = yy - era * 400;
    long doy = (153L * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    long days = era * 146097 + doe - 719468;
    return (double)days * 86400.0 + h * 3600.0 + mi * 60.0 + sec - (double)off;
}

/* Where the records of a trace journal go in the run: the first is record
 * *before of /trace/index, and *offset seconds are added to their times.
 * A journal begun by daq_run_create says neither (0, 0); one begun by
 * daq_run_resume says both in its header. -1 when a value is malformed. */
static int trace_journal_base(const char *text, size_t *before, double *offset)
{
    *before = 0;
    *offset = 0;
    for (const char *p = text; *p == '#';) {
        const char *eol = strchr(p, '\n');
        size_t kb = strlen(TRACE_BEFORE_KEY), ko = strlen(TRACE_OFFSET_KEY);
        char *end = NULL;
        if (strncmp(p, TRACE_BEFORE_KEY, kb) == 0) {
            errno = 0;
            unsigned long long v = strtoull(p + kb, &end, 10);
            if (end == p + kb || end != eol || errno != 0 || p[kb] != ' ' || v > SIZE_MAX)
                return -1;
            *before = (size_t)v;
        } else if (strncmp(p, TRACE_OFFSET_KEY, ko) == 0) {
            *offset = strtod(p + ko, &end);
            if (end == p + ko || end != eol || p[ko] != ' ' || !isfinite(*offset) || *offset < 0)
                return -1;
        }
        if (eol == NULL)
            break;
        p = eol + 1;
    }
    return 0;
}

/* Take into the run the records of RUN.h5.trace its snapshot lacks: the
 * conversation since the last checkpoint of a session that was not closed.
 * The records the snapshot has must be the journal's (else the journal is
 * another run's, or damaged: refused). A torn last line is left out. */
static int trace_recover(daq_run *run, size_t *n_recovered, struct cd_err *err)
{
    *n_recovered = 0;
    char *buf;
    size_t len, used;
    int rc = read_lines(run->trace_path, 0, "", true, &buf, &len, &used, err);
    if (rc != 0 || buf == NULL)
        return rc;
    size_t before;
    double offset;
    struct drv_trace *t = NULL;
    struct cd_err perr = {0};
    if (trace_journal_base(buf, &before, &offset) != 0)
        rc = cd_fail(err, CD_ERR_PARSE, _("%s: a malformed \"%s\" or \"%s\" line"),
                     run->trace_path, TRACE_BEFORE_KEY + 2, TRACE_OFFSET_KEY + 2);
    else if (drv_trace_parse(buf, len, run->trace_path, &t, &perr) != 0)
        rc = cd_fail(err, perr.code, _("%s (the trace journal of the interrupted session: move it "
                     "aside to resume without its unsaved records)"), perr.msg);
    free(buf);
    const struct rs_data *d = &run->d;
    if (rc == 0 && before > d->n_trace)
        rc = cd_fail(err, CD_ERR_INVALID,
                     _("%s: begins after record %zu of the run's trace, which has %zu: not this "
                     "run's trace journal, or damaged"),
                     run->trace_path, before, d->n_trace);
    for (size_t i = 0; rc == 0 && t != NULL && i < t->n && before + i < d->n_trace; i++) {
        const struct drv_trace_record *r = &t->records[i];
        const struct rs_trace_rec *have = &d->trace[before + i];
        if (have->dir != (char)r->dir || have->length != r->len ||
            memcmp(d->trace_bytes + have->offset, r->data, r->len) != 0)
            rc = cd_fail(err, CD_ERR_INVALID,
                         _("%s:%d: the record is not record %zu of the run's trace: not this "
                         "run's trace journal, or damaged"),
                         run->trace_path, r->line, before + i);
    }
    if (rc == 0 && t != NULL && before + t->n > d->n_trace) {
        size_t from = d->n_trace - before;
        run->trace_offset = offset;
        rc = trace_append(run, t, from, err);
        run->trace_offset = 0;
        if (rc == 0)
            *n_recovered = t->n - from;
    }
    drv_trace_free(t);
    return rc;
}

/* The trace journal of a resumed session: RUN.h5.trace.tmp, its header
 * saying where its records go in the run, synced; it becomes RUN.h5.trace
 * when the resume is taken (resume_take), once the snapshot holds the
 * records of the old one. Its times count from now; in the run they
 * continue the trace's: the time since the trace started by the clock, or
 * just after the last record if that is later (a clock set back). */
static int trace_resume(daq_run *run, struct cd_err *err)
{
    const struct rs_data *d = &run->d;
    double now = rs_now();
    double last = d->n_trace > 0 ? d->trace[d->n_trace - 1].t : 0;
    double since = now - iso8601_epoch(d->trace_header.started);
    double offset = isfinite(since) && since > last ? since : last;
    const char *tmp = run->trace_tmp_path;
    int fd = run_file_create(tmp, O_TRUNC);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (fd >= 0 && f == NULL)
        close(fd);
    if (f == NULL)
        return cd_fail(err, CD_ERR_IO, _("%s: cannot create the trace journal: %s"), tmp,
                       strerror(errno));
    int rc = 0;
    struct drv_trace_header h = d->trace_header;
    rs_iso8601(now, h.started, sizeof h.started);
    struct drv_trace_writer *w = drv_trace_writer_new(f, &h, err);
    if (w == NULL)
        rc = err != NULL && err->code != 0 ? err->code : CD_ERR_IO;
    else if (fprintf(f, TRACE_BEFORE_KEY " %zu\n" TRACE_OFFSET_KEY " %.17g\n", d->n_trace,
                     offset) < 0 ||
             fflush(f) != 0 || fsync(fileno(f)) != 0)
        rc = io_fail(run, err, _("write the trace journal"), errno);
    if (rc != 0) {
        drv_trace_writer_close(w, NULL);
        fclose(f);
        unlink(tmp);
        return rc;
    }
    run->trace_f = f;
    run->tw = w;
    run->trace_done = 0;
    run->trace_continues = true;
    run->trace_offset = offset;
    return 0;
}

/* The resume taken, after the snapshot that holds what it recovered and
 * the journal's reset: the new trace journal replaces the old one (whose
 * records the snapshot holds). */
static int resume_take(daq_run *run, struct cd_err *err)
{
    if (rename(run->trace_tmp_path, run->trace_path) != 0)
        return cd_fail(err, CD_ERR_IO, _("%s: rename from %s: %s"), run->trace_path,
                       run->trace_tmp_path, strerror(errno));
    run->resume_pending = false;
    run->journal_made = false;
    return fsync_path(run->dir_path, true, err);
}

void daq_run_abandon(daq_run *run)
{
    if (run == NULL)
        return;
    if (run->create_pending) {
        drv_trace_writer_close(run->tw, NULL);
        run->tw = NULL;
        if (run->trace_f != NULL)
            fclose(run->trace_f);
        run->trace_f = NULL;
        unlink(run->trace_path);
        unlink(run->journal_path);
    }
    if (run->resume_pending) {
        drv_trace_writer_close(run->tw, NULL);
        run->tw = NULL;
        if (run->trace_f != NULL)
            fclose(run->trace_f);
        run->trace_f = NULL;
        unlink(run->trace_tmp_path);
        if (run->journal_made)
            unlink(run->journal_path); /* still locked: nobody else has it */
    }
    run_free(run);
}

int daq_run_resume_begin(const char *path, daq_run **out, struct cd_err *err)
{
    if (out != NULL)
        *out = NULL;
    if (path == NULL || path[0] == '\0' || out == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("daq_run_resume: no path"));
    int rc = run_exists(path, "resume", err);
    if (rc != 0)
        return rc;
    daq_run *run = run_alloc(path);
    if (run == NULL)
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    run->resume_pending = true; /* nothing is written until the resume is taken */
    /* The journal locked first: a session still writing the run holds it,
     * and one that closes meanwhile cannot slip between the read and the
     * lock. */
    run->journal_fd = open(run->journal_path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (run->journal_fd < 0 && errno == ENOENT) {
        run->journal_fd = open(run->journal_path,
                               O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
        run->journal_made = run->journal_fd >= 0;
    }
    if (run->journal_fd < 0)
        rc = cd_fail(err, CD_ERR_IO, _("%s: cannot open the journal: %s"), run->journal_path,
                     strerror(errno));
    if (rc == 0)
        rc = journal_lock(run, err);
    if (rc == 0)
        rc = run_load(run, "resume", err);
    struct rs_data *d = &run->d;
    const char *status = d->info.status;
    if (rc == 0 && strcmp(status, "complete") == 0)
        rc = cd_fail(err, CD_ERR_INVALID, _("%s: the run is complete; nothing to resume"), path);
    else if (rc == 0 && strcmp(status, "in-progress") != 0 && strcmp(status, "aborted") != 0)
        rc = cd_fail(err, CD_ERR_INVALID, _("%s: refusing to resume: unknown status \"%.16s\""),
                     path, status);

    /* What the session measured after its last snapshot, and what it
     * logged (notes, skipped points). */
    struct rs_reading *rows = NULL;
    struct daq_audit_entry *entries = NULL;
    size_t n_rows = 0, n_entries = 0, torn = 0, n_trace = 0;
    char note[256];
    if (rc == 0)
        rc = rs_journal_read_all(run->journal_path, d->info.run_id, d->n_readings, d->n_audit,
                                 true, &rows, &n_rows, &entries, &n_entries, &torn, note,
                                 sizeof note, err);
    for (size_t i = 0; rc == 0 && i < n_entries; i++)
        if (audit_append(d, &entries[i]) != 0)
            rc = cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    free(entries);
    if (rc == 0 && n_rows > 0) {
        if (rs_grow((void **)&d->readings, &d->cap_readings, d->n_readings + n_rows,
                    sizeof *d->readings) != 0) {
            rc = cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
        } else {
            memcpy(d->readings + d->n_readings, rows, n_rows * sizeof *rows);
            d->n_readings += n_rows;
        }
    }
    free(rows);
    if (rc == 0)
        rc = trace_recover(run, &n_trace, err);

    if (rc == 0) {
        RS_COPY(d->info.status, "in-progress");
        memset(d->info.ended, 0, sizeof d->info.ended);
        char what[256], more[96] = "";
        size_t used = 0;
        if (torn > 0)
            used += (size_t)snprintf(more + used, sizeof more - used,
                                     ", %zu torn line ignored", torn);
        if (n_entries > 0)
            used += (size_t)snprintf(more + used, sizeof more - used,
                                     "; %zu audit entr%s recovered", n_entries,
                                     n_entries == 1 ? "y" : "ies");
        if (n_trace > 0)
            snprintf(more + used, sizeof more - used, "; %zu trace record%s recovered", n_trace,
                     n_trace == 1 ? "" : "s");
        snprintf(what, sizeof what, "run resumed by caldaq (%zu reading%s recovered from the "
                 "journal%s)", n_rows, n_rows == 1 ? "" : "s", more);
        rc = audit_add(run, "caldaq", what, err);
    }
    /* Nothing is written yet: the new trace journal is RUN.h5.trace.tmp
     * until the resume is taken. */
    if (rc == 0)
        rc = trace_resume(run, err);
    if (rc != 0) {
        if (run->journal_made)
            unlink(run->journal_path); /* the file is as it was: so is the folder */
        run_free(run);
        return rc;
    }
    *out = run;
    return 0;
}

int daq_run_resume(const char *path, daq_run **out, struct cd_err *err)
{
    int rc = daq_run_resume_begin(path, out, err);
    if (rc != 0)
        return rc;
    /* The recovered readings and trace in the file at once; then the
     * journals start again. A crash between the steps is safe: journal
     * lines and trace records the snapshot holds are skipped next time. */
    rc = daq_run_checkpoint(*out, err);
    if (rc != 0) {
        daq_run_abandon(*out);
        *out = NULL;
    }
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
                       _("a run ends \"complete\" or \"aborted\", not \"%s\""),
                       status != NULL ? status : "(null)");
    }
    /* As at a checkpoint, a trace that cannot be taken in must not cost
     * the readings their final snapshot; the trace journal is then kept. */
    struct cd_err terr = {0};
    int trc = drv_trace_writer_close(run->tw, &terr);
    run->tw = NULL;
    if (fclose(run->trace_f) != 0 && trc == 0)
        trc = io_fail(run, &terr, _("write the trace journal"), errno);
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
        rc = snapshot(run, run->create_pending, err);
    if (rc == 0) {
        run->create_pending = false;
        /* Everything is in the file: the journals go. */
        close(run->journal_fd);
        run->journal_fd = -1;
        unlink(run->journal_path);
        if (trc == 0)
            unlink(trace_live(run));
        if (run->resume_pending)
            unlink(run->trace_path); /* the interrupted session's: in the file now */
        rc = fsync_path(run->dir_path, true, err);
    }
    if (rc == 0 && trc != 0)
        rc = cd_fail(err, trc, "%s", terr.msg);
    if (rc != 0 && (run->resume_pending || run->create_pending)) {
        daq_run_abandon(run); /* nothing of the resume (or the run) was written */
        return rc;
    }
    run_free(run);
    return rc;
}
