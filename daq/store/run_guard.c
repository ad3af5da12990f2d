/* Run files read in a child process with a time limit (daq_run_reader,
 * run.h; rs_reader_read, run_int.h), for the files users hand to caldaq.
 *
 * Why a process: HDF5 1.10 reading a damaged file can crash (22 of 300
 * damaged runs in issue 14) or spin (one took 180 s). run_read.c and
 * run_h5raw.c check what they can first, but the library parses far more
 * than caldaq can check (object headers, B-trees, layouts, the
 * superblock), and a crash inside it takes the whole process. So a child
 * reads the file with rs_h5_read and sends struct rs_data back; the parent
 * waits for it at most `timeout_s` seconds. A child that dies or is killed
 * costs one file, with a message naming it, never the command.
 *
 * One child serves many files: a fork costs about 0.1 ms per MB the caller
 * has resident (3 to 5 ms for caldaq), as much as reading a run, and a
 * batch reads thousands. A child that was handed a file it could not read
 * cleanly is retired (the library may have damaged its memory without
 * crashing), so the next file gets a fresh one; and a file whose child
 * died after reading others is read once more in a fresh child, so that
 * an earlier file's damage is never blamed on it.
 *
 * The child is a fork of the caller, so the data crosses as the caller's
 * own structs (same binary, same layout): a length, then the fixed part of
 * struct rs_data, each array and string with its length. The parent checks
 * every length against what it received, since a child whose memory the
 * library damaged can send anything. Requests and replies go through a
 * socket pair, so that writing to a child that died raises no SIGPIPE in
 * the caller (send with MSG_NOSIGNAL).
 *
 * The child ends with _exit, so nothing of the caller's (stdio buffers,
 * atexit handlers: HDF5's own included) runs twice. It resets the crash
 * signals (an inherited handler that longjmps, as cmocka's does, would run
 * the caller's code on in the child), has an alarm per file so that it
 * does not outlive a parent that was killed, and is capped in memory where
 * no sanitizer reserves address space (a damaged length makes the library
 * allocate gigabytes).
 */
#include "run_int.h"
#include "cd_i18n.h"

#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define RS_UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define RS_UNDER_SANITIZER 1
#endif
#endif

#define MAGIC "caldaq-run-read 1"
#define NO_STRING UINT64_MAX
#define MAX_PATH_BYTES 65536

struct daq_run_reader {
    unsigned timeout_s;
    pid_t pid;                  /* the child, 0 when none runs */
    int fd;                     /* our end of the socket pair */
    size_t served;              /* files the child has read */
};

/* ------------------------------------------------------------ child */

static void put(int fd, const void *p, size_t len)
{
    const char *b = p;
    while (len > 0) {
        ssize_t w = write(fd, b, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            _exit(3); /* the parent is gone or gave up */
        b += w;
        len -= (size_t)w;
    }
}

/* 0, or -1 at the end of the requests. */
static int get(int fd, void *p, size_t len)
{
    char *b = p;
    while (len > 0) {
        ssize_t r = read(fd, b, len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        b += r;
        len -= (size_t)r;
    }
    return 0;
}

static uint64_t string_bytes(const char *s)
{
    return sizeof(uint64_t) + (s != NULL ? strlen(s) : 0);
}

static void put_string(int fd, const char *s)
{
    uint64_t len = s != NULL ? strlen(s) : NO_STRING;
    put(fd, &len, sizeof len);
    if (s != NULL)
        put(fd, s, (size_t)len);
}

/* What a run can hold in memory: its file several times over (rows in
 * memory are padded, strings are copied) plus room for the library.
 * RLIMIT_DATA counts what malloc takes, not the libraries mapped. */
static void limit_memory(uint64_t file_size)
{
#ifndef RS_UNDER_SANITIZER
    uint64_t cap = (UINT64_C(512) << 20) + 8 * file_size;
    struct rlimit rl;
    if (getrlimit(RLIMIT_DATA, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > cap ? (rlim_t)cap
                                                                         : rl.rlim_max;
        setrlimit(RLIMIT_DATA, &rl);
    }
#else
    (void)file_size;
#endif
}

/* One reply: its length, then the message. */
static void reply(int fd, int32_t rc, const struct cd_err *err, const struct rs_data *d)
{
    uint64_t total = sizeof MAGIC + sizeof rc + sizeof *err;
    if (rc == 0) {
        total += sizeof *d + d->n_standards * sizeof *d->standards +
                 d->n_env * sizeof *d->env + d->n_readings * sizeof *d->readings +
                 d->n_trace_bytes + d->n_trace * sizeof *d->trace +
                 d->n_audit * sizeof *d->audit + d->n_results * sizeof *d->results +
                 string_bytes(d->profile) + string_bytes(d->manifest);
        for (size_t i = 0; i < d->n_results; i++)
            total += string_bytes(d->results[i].json);
    }
    put(fd, &total, sizeof total);
    put(fd, MAGIC, sizeof MAGIC);
    put(fd, &rc, sizeof rc);
    put(fd, err, sizeof *err);
    if (rc != 0)
        return;
    put(fd, d, sizeof *d);
    put(fd, d->standards, d->n_standards * sizeof *d->standards);
    put(fd, d->env, d->n_env * sizeof *d->env);
    put(fd, d->readings, d->n_readings * sizeof *d->readings);
    put(fd, d->trace_bytes, d->n_trace_bytes);
    put(fd, d->trace, d->n_trace * sizeof *d->trace);
    put(fd, d->audit, d->n_audit * sizeof *d->audit);
    put(fd, d->results, d->n_results * sizeof *d->results);
    for (size_t i = 0; i < d->n_results; i++)
        put_string(fd, d->results[i].json);
    put_string(fd, d->profile);
    put_string(fd, d->manifest);
}

/* For a process of the library's own that does one file after another
 * (this child; a reprocessing worker): memory freed after a file is kept
 * for the next. By default glibc hands large freed blocks back to the
 * kernel (munmap, or trimming the heap) and takes them again for the next
 * file, every page faulted in and zeroed anew; HDF5 allocates and clears
 * its caches (over 512 KiB) at every open, and that was a third of the
 * reader's time (perf, issue 21). Blocks up to 32 MiB come from the heap
 * and the heap is trimmed only above 64 MiB free. Only called in processes
 * caldaq forked for the purpose, never in a caller's. */
void rs_keep_freed_memory(void)
{
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

static _Noreturn void serve(int fd, unsigned timeout_s)
{
    static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE,
                                        SIGABRT, SIGSYS, SIGALRM, SIGPIPE};
    for (size_t i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++)
        signal(crash_signals[i], SIG_DFL);
    rs_keep_freed_memory();
    for (;;) {
        uint64_t len;
        if (get(fd, &len, sizeof len) != 0 || len == 0 || len > MAX_PATH_BYTES)
            _exit(0);
        char *path = malloc((size_t)len + 1);
        if (path == NULL || get(fd, path, (size_t)len) != 0)
            _exit(0);
        path[len] = '\0';
        struct stat st;
        limit_memory(stat(path, &st) == 0 ? (uint64_t)st.st_size : 0);
        alarm(timeout_s + 5);
        struct rs_data d;
        struct cd_err err = {0};
        int32_t rc = rs_h5_read(path, &d, &err);
        reply(fd, rc, &err, &d);
        alarm(0);
        if (rc == 0)
            rs_data_free(&d);
        free(path);
    }
}

/* ------------------------------------------------------------ parent */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Stop the child (it may be spinning: no grace) and reap it. */
static int retire(struct daq_run_reader *r)
{
    int status = 0;
    if (r->pid > 0) {
        kill(r->pid, SIGKILL);
        while (waitpid(r->pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    if (r->fd >= 0)
        close(r->fd);
    r->pid = 0;
    r->fd = -1;
    r->served = 0;
    return status;
}

static int spawn(struct daq_run_reader *r, struct cd_err *err, const char *path)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return cd_fail(err, CD_ERR_IO, _("%s: cannot read it in a child process: %s"), path,
                       strerror(errno));
    /* no fflush: the child ends with _exit, so the caller's stdio
     * buffers it holds a copy of are never written twice */
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        return cd_fail(err, CD_ERR_IO, _("%s: cannot read it in a child process: %s"), path,
                       strerror(e));
    }
    if (pid == 0) {
        close(sv[0]);
        serve(sv[1], r->timeout_s);
    }
    close(sv[1]);
    r->pid = pid;
    r->fd = sv[0];
    r->served = 0;
    return 0;
}

/* `len` bytes from the child before `deadline`: 0, 1 at the deadline, -1
 * when the child closed its end (it died). */
static int receive(int fd, void *buf, size_t len, double deadline)
{
    char *b = buf;
    while (len > 0) {
        double left = deadline - now_s();
        if (left <= 0)
            return 1;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int n = poll(&p, 1, (int)(left * 1000) + 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            continue; /* the deadline is checked above */
        ssize_t got = read(fd, b, len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return -1;
        b += got;
        len -= (size_t)got;
    }
    return 0;
}

struct inbuf {
    const uint8_t *p;
    size_t n, at;
};

static const void *take(struct inbuf *b, size_t len)
{
    if (len > b->n - b->at)
        return NULL;
    const void *p = b->p + b->at;
    b->at += len;
    return p;
}

/* A copy of `n` elements of `size` from the message (empty arrays stay
 * NULL: struct rs_data allows it). -1 when it is short. */
static int take_array(struct inbuf *b, void **out, size_t n, size_t size)
{
    *out = NULL;
    if (n == 0)
        return 0;
    if (n > (b->n - b->at) / size)
        return -1;
    *out = malloc(n * size);
    if (*out == NULL)
        return -1;
    memcpy(*out, take(b, n * size), n * size);
    return 0;
}

static int take_string(struct inbuf *b, char **out)
{
    *out = NULL;
    const void *lp = take(b, sizeof(uint64_t));
    if (lp == NULL)
        return -1;
    uint64_t n;
    memcpy(&n, lp, sizeof n);
    if (n == NO_STRING)
        return 0;
    const char *s = n <= b->n - b->at ? take(b, (size_t)n) : NULL;
    if (s == NULL || (*out = malloc((size_t)n + 1)) == NULL)
        return -1;
    memcpy(*out, s, (size_t)n);
    (*out)[n] = '\0';
    return 0;
}

/* The message into *rc, *child_err and (rc 0) *d; -1 when it is malformed
 * or cut short (*d then holds nothing to free). */
static int decode(struct inbuf *b, int *rc, struct cd_err *child_err, struct rs_data *d)
{
    const char *magic = take(b, sizeof MAGIC);
    const int32_t *code = take(b, sizeof *code);
    const struct cd_err *e = take(b, sizeof *e);
    if (magic == NULL || memcmp(magic, MAGIC, sizeof MAGIC) != 0 || code == NULL || e == NULL)
        return -1;
    memcpy(rc, code, sizeof *rc);
    memcpy(child_err, e, sizeof *child_err);
    child_err->msg[sizeof child_err->msg - 1] = '\0';
    if (*rc != 0)
        return b->at == b->n ? 0 : -1;
    const struct rs_data *fixed = take(b, sizeof *fixed);
    if (fixed == NULL)
        return -1;
    memcpy(d, fixed, sizeof *d);
    /* the child's pointers mean nothing here */
    size_t n_results = d->n_results;
    d->profile = d->manifest = NULL;
    d->standards = NULL;
    d->env = NULL;
    d->readings = NULL;
    d->trace_bytes = NULL;
    d->trace = NULL;
    d->results = NULL;
    d->audit = NULL;
    d->n_results = 0;
    int bad = take_array(b, (void **)&d->standards, d->n_standards, sizeof *d->standards) ||
              take_array(b, (void **)&d->env, d->n_env, sizeof *d->env) ||
              take_array(b, (void **)&d->readings, d->n_readings, sizeof *d->readings) ||
              take_array(b, (void **)&d->trace_bytes, d->n_trace_bytes, 1) ||
              take_array(b, (void **)&d->trace, d->n_trace, sizeof *d->trace) ||
              take_array(b, (void **)&d->audit, d->n_audit, sizeof *d->audit) ||
              take_array(b, (void **)&d->results, n_results, sizeof *d->results);
    d->cap_standards = d->n_standards;
    d->cap_env = d->n_env;
    d->cap_readings = d->n_readings;
    d->cap_trace_bytes = d->n_trace_bytes;
    d->cap_trace = d->n_trace;
    d->cap_audit = d->n_audit;
    d->cap_results = n_results;
    for (size_t i = 0; !bad && i < n_results; i++) {
        d->results[i].json = NULL;
        d->n_results = i + 1;
        bad = take_string(b, &d->results[i].json) != 0 || d->results[i].json == NULL;
    }
    if (!bad)
        bad = take_string(b, &d->profile) != 0 || d->profile == NULL ||
              take_string(b, &d->manifest) != 0;
    if (bad || b->at != b->n) {
        rs_data_free(d);
        rs_data_init(d);
        return -1;
    }
    return 0;
}

enum outcome { READ, DIED, TIMED_OUT, TOO_LARGE };

/* One request to the running child and its reply. */
static enum outcome request(struct daq_run_reader *r, const char *path, uint64_t file_size,
                            int *rc, struct cd_err *child_err, struct rs_data *d)
{
    double deadline = now_s() + r->timeout_s;
    uint64_t len = strlen(path);
    if (send(r->fd, &len, sizeof len, MSG_NOSIGNAL) != (ssize_t)sizeof len ||
        send(r->fd, path, (size_t)len, MSG_NOSIGNAL) != (ssize_t)len)
        return DIED;
    r->served++;
    uint64_t total = 0;
    int got = receive(r->fd, &total, sizeof total, deadline);
    if (got != 0)
        return got > 0 ? TIMED_OUT : DIED;
    /* The reply holds the run as the child has it in memory: at most a
     * few times the file (padded rows, copied strings). */
    if (total > 4 * file_size + (UINT64_C(1) << 20))
        return TOO_LARGE;
    uint8_t *buf = malloc(total > 0 ? (size_t)total : 1);
    if (buf == NULL)
        return TOO_LARGE;
    got = receive(r->fd, buf, (size_t)total, deadline);
    if (got != 0) {
        free(buf);
        return got > 0 ? TIMED_OUT : DIED;
    }
    struct inbuf b = {buf, (size_t)total, 0};
    int bad = decode(&b, rc, child_err, d);
    free(buf);
    return bad ? TOO_LARGE : READ;
}

daq_run_reader *daq_run_reader_new(unsigned timeout_s)
{
    daq_run_reader *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->timeout_s = timeout_s > 0 ? timeout_s : DAQ_RUN_READ_TIMEOUT_S;
    r->fd = -1;
    return r;
}

void daq_run_reader_free(daq_run_reader *r)
{
    if (r == NULL)
        return;
    retire(r);
    free(r);
}

int rs_reader_read(daq_run_reader *r, const char *path, struct rs_data *d, struct cd_err *err)
{
    rs_data_init(d);
    struct stat st;
    if (stat(path, &st) != 0)
        return cd_fail(err, errno == ENOENT ? CD_ERR_NOT_FOUND : CD_ERR_IO, "%s: %s", path,
                       strerror(errno));
    if (strlen(path) == 0 || strlen(path) > MAX_PATH_BYTES)
        return cd_fail(err, CD_ERR_INVALID, _("%.200s: path too long"), path);
    for (int attempt = 0;; attempt++) {
        if (r->pid == 0 && spawn(r, err, path) != 0)
            return err != NULL ? err->code : CD_ERR_IO;
        bool fresh = r->served == 0;
        int rc = 0;
        struct cd_err child_err = {0};
        enum outcome o = request(r, path, (uint64_t)st.st_size, &rc, &child_err, d);
        if (o == READ) {
            /* a file it could not read cleanly may have left the child's
             * memory damaged: the next file gets a fresh one */
            if (rc != 0)
                retire(r);
            return rc == 0 ? 0 : cd_fail(err, rc, "%s", child_err.msg);
        }
        int status = retire(r);
        if (o == TIMED_OUT)
            return cd_fail(err, CD_ERR_TIMEOUT,
                           _("%s: damaged run file (reading it took longer than %u s)"), path,
                           r->timeout_s);
        /* died, or sent what no file could give: if the child had read
         * other files first, one of them may be the cause; once more in a
         * fresh child */
        if (!fresh && attempt == 0)
            continue;
        if (o == TOO_LARGE)
            return cd_fail(err, CD_ERR_PARSE,
                           _("%s: damaged run file (the process reading it sent more than the "
                           "file holds)"),
                           path);
        if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
            return cd_fail(err, CD_ERR_PARSE,
                           _("%s: damaged run file (the HDF5 library crashed reading it: %s)"), path,
                           strsignal(WTERMSIG(status)));
        /* killed by us after it closed its end, or exited: a sanitizer's
         * report, an allocation the memory cap refused */
        return cd_fail(err, CD_ERR_PARSE,
                       _("%s: damaged run file (the HDF5 library crashed reading it: the reading "
                       "process ended without an answer)"),
                       path);
    }
}
