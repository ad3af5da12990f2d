/* Serial ports before they are opened: the kind check and the lock files
 * (port_lock.h says why).
 *
 * Where the rules come from:
 *  - FHS 3.0, 5.9 "/var/lock": device lock files live in /var/lock, are
 *    named "LCK.." followed by the base name of the device (LCK..ttyS0),
 *    hold the PID in the HDB UUCP format - ten ASCII characters, right
 *    aligned, and a newline - and are world-readable. Debian makes
 *    /var/lock a link to /run/lock (a tmpfs, mode 1777), so /run/lock is
 *    tried first.
 *  - A device below a folder of /dev (/dev/pts/3) has no base name that
 *    says what it is: its name is the path below /dev with '/' as '_'
 *    (LCK..pts_3). Our choice; FHS only speaks of top-level devices.
 *  - Creating the file under another name and link()ing it into place is
 *    the classic UUCP way to make a lock appear whole and at once (a
 *    reader never sees an empty file of ours); from memory of uucp and
 *    lockdev, not from a standard.
 *  - A lock is stale when its process is gone (kill(pid, 0) fails with
 *    ESRCH, or the process is a zombie), as every UUCP-style tool checks.
 *    We also take over a lock whose PID belongs to a live process that
 *    does not have the device open (the PID was reused after a crash),
 *    when /proc lets us look and the lock is older than LOCK_YOUNG_S:
 *    a lock is written just before its device is opened.
 *  - /proc/PID/cmdline (NUL-separated arguments) and /proc/PID/stat (the
 *    state after the command in parentheses): proc(5). */
#define _DEFAULT_SOURCE /* major, minor */
#include "port_lock.h"
#include "cd_i18n.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

static const char *const lock_dirs[] = {"/run/lock", "/var/lock"};

/* Seconds during which a lock counts as live even if its process does not
 * (yet) have the device open. */
#define LOCK_YOUNG_S 5

struct drv_port_lock {
    char path[PATH_MAX]; /* the lock file; "" when there is none */
    bool owned;          /* made by this lock: unlock removes it */
};

static const char *const port_advice =
    "give the instrument's port, e.g. /dev/ttyUSB0 ('caldaq ports' lists them)";

int drv_port_check(const char *port, const char *device, struct cd_err *err)
{
    struct stat st;
    if (stat(device, &st) != 0) {
        if (errno == ENOENT)
            return cd_fail(err, CD_ERR_NOT_FOUND,
                           _("%s: no such port: is the instrument plugged in? ('caldaq ports' "
                           "lists what is there)"),
                           port);
        return cd_fail(err, CD_ERR_IO, "%s: %s", port, strerror(errno));
    }
    if (S_ISDIR(st.st_mode))
        return cd_fail(err, CD_ERR_IO, _("%s is a folder, not a serial port: %s"), port,
                       port_advice);
    if (S_ISREG(st.st_mode))
        return cd_fail(err, CD_ERR_IO, _("%s is a file, not a serial port: %s"), port,
                       port_advice);
    if (!S_ISCHR(st.st_mode))
        return cd_fail(err, CD_ERR_IO, _("%s is not a serial port (not a character device): %s"),
                       port, port_advice);
    /* The kernel files every character device under a class in sysfs;
     * serial ports (ttyS, ttyUSB, ttyACM) are in "tty". Pseudo-terminals
     * have no entry, and without /sys (a chroot) nothing can be told: both
     * pass, and open() has the last word. */
    char sys[64];
    snprintf(sys, sizeof sys, "/sys/dev/char/%u:%u/subsystem", major(st.st_rdev),
             minor(st.st_rdev));
    char link[PATH_MAX];
    ssize_t n = readlink(sys, link, sizeof link - 1);
    if (n < 0)
        return 0;
    link[n] = '\0';
    const char *cls = strrchr(link, '/') != NULL ? strrchr(link, '/') + 1 : link;
    if (strcmp(cls, "tty") == 0)
        return 0;
    return cd_fail(err, CD_ERR_IO,
                   _("%s is not a serial port (the kernel lists it as a '%s' device, not a "
                   "terminal): %s"),
                   port, cls, port_advice);
}

/* ------------------------------------------------------------ holders */

/* "LCK..ttyUSB0", "LCK..pts_3". */
static void lock_name(const char *device, char *out, size_t cap)
{
    const char *rel = device;
    if (strncmp(device, "/dev/", 5) == 0)
        rel = device + 5;
    else if (strrchr(device, '/') != NULL)
        rel = strrchr(device, '/') + 1;
    snprintf(out, cap, "LCK..%s", rel);
    for (char *p = out + 5; *p != '\0'; p++)
        if (*p == '/')
            *p = '_';
}

/* The PID in a lock file (HDB: ASCII decimal, spaces before it); 0 when
 * the file holds none, -1 when it cannot be read. *age_s: its age. */
static long read_pid(const char *path, double *age_s)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    *age_s = 0;
    if (fstat(fd, &st) == 0)
        *age_s = difftime(time(NULL), st.st_mtime);
    char buf[32];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *end = NULL;
    long pid = strtol(buf, &end, 10);
    if (end == buf || pid <= 0 || pid > INT_MAX)
        return 0;
    return pid;
}

/* Alive, and not a zombie (dead, waiting for its parent). */
static bool process_alive(long pid)
{
    if (pid <= 0)
        return false;
    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
        return false;
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return true; /* no /proc: kill() said it exists */
    char buf[512];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *paren = strrchr(buf, ')');
    return paren == NULL || paren[1] != ' ' || (paren[2] != 'Z' && paren[2] != 'X');
}

/* Whether process `pid` has `device` open: 1, 0, or -1 when /proc does not
 * let us look (another user's process, no /proc). */
static int holds_device(long pid, const char *device)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%ld/fd", pid);
    DIR *d = opendir(dir);
    if (d == NULL)
        return errno == ENOENT ? 0 : -1;
    int found = 0;
    struct dirent *e;
    while (found == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char fd_path[320], target[PATH_MAX];
        snprintf(fd_path, sizeof fd_path, "%s/%s", dir, e->d_name);
        ssize_t n = readlink(fd_path, target, sizeof target - 1);
        if (n < 0)
            continue;
        target[n] = '\0';
        found = strcmp(target, device) == 0;
    }
    closedir(d);
    return found;
}

/* "caldaq session": the program's base name, and its first argument when
 * that is a plain lower-case word (a subcommand); "another program" when
 * /proc says nothing. */
static void holder_name(long pid, char *out, size_t cap)
{
    snprintf(out, cap, "another program");
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/cmdline", pid);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return;
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    if (n == 0)
        return;
    buf[n] = '\0'; /* argv[0] ends at the first NUL */
    const char *prog = strrchr(buf, '/') != NULL ? strrchr(buf, '/') + 1 : buf;
    size_t len0 = strlen(buf);
    const char *arg = len0 + 1 < n ? buf + len0 + 1 : "";
    bool word = arg[0] >= 'a' && arg[0] <= 'z' && strlen(arg) < 32;
    for (const char *p = arg; word && *p != '\0'; p++)
        word = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || (*p == '-' && p > arg);
    if (prog[0] == '\0')
        return;
    if (word)
        snprintf(out, cap, "%.40s %.31s", prog, arg);
    else
        snprintf(out, cap, "%.40s", prog);
}

static int in_use(const char *port, const char *device, long pid, const char *lock,
                  struct cd_err *err)
{
    char also[PATH_MAX + 8] = "";
    if (strcmp(port, device) != 0)
        snprintf(also, sizeof also, " (%s)", device);
    if (pid <= 0)
        return cd_fail(err, CD_ERR_IO,
                       _("%s%s is in use: its lock %s is being written or cannot be read"), port,
                       also, lock);
    char who[96];
    holder_name(pid, who, sizeof who);
    return cd_fail(err, CD_ERR_IO,
                   _("%s%s is in use by %s (pid %ld): wait until it has finished, or stop it "
                   "(its lock: %s)"),
                   port, also, who, pid, lock);
}

enum lock_state { LOCK_NONE, LOCK_STALE, LOCK_LIVE, LOCK_OURS };

/* What the lock file at `path` says about `device`; *pid its PID. */
static enum lock_state lock_state(const char *path, const char *device, long *pid)
{
    double age_s = 0;
    *pid = read_pid(path, &age_s);
    if (*pid < 0)
        return errno == ENOENT ? LOCK_NONE : LOCK_LIVE; /* unreadable: respect it */
    bool young = age_s < LOCK_YOUNG_S;
    if (*pid == 0)
        return young ? LOCK_LIVE : LOCK_STALE; /* being written, or garbage */
    if (!process_alive(*pid))
        return LOCK_STALE;
    if (!young && holds_device(*pid, device) == 0)
        return LOCK_STALE; /* the PID was reused by a process without the port */
    return *pid == (long)getpid() ? LOCK_OURS : LOCK_LIVE;
}

/* ------------------------------------------------------------ taking */

/* Make the lock file at `path` with our PID: 0, EEXIST when there is one,
 * or the errno that stops us from making it. */
static int create_lock(const char *path)
{
    char tmp[PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return errno;
    char text[16];
    int len = snprintf(text, sizeof text, "%10ld\n", (long)getpid());
    int e = 0;
    if (fchmod(fd, 0644) != 0 || write(fd, text, (size_t)len) != len)
        e = errno != 0 ? errno : EIO;
    if (close(fd) != 0 && e == 0)
        e = errno;
    if (e == 0 && link(tmp, path) != 0)
        e = errno;
    unlink(tmp);
    return e;
}

int drv_port_lock(const char *port, const char *device, struct drv_port_lock **out,
                  struct cd_err *err)
{
    *out = NULL;
    struct drv_port_lock *l = calloc(1, sizeof *l);
    if (l == NULL)
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    const char *dir = NULL;
    for (size_t i = 0; i < sizeof lock_dirs / sizeof lock_dirs[0] && dir == NULL; i++) {
        struct stat st;
        if (stat(lock_dirs[i], &st) == 0 && S_ISDIR(st.st_mode))
            dir = lock_dirs[i];
    }
    if (dir == NULL) {
        *out = l; /* no lock folder at all (a bare chroot): nothing to respect either */
        return 0;
    }
    char name[NAME_MAX];
    lock_name(device, name, sizeof name);
    snprintf(l->path, sizeof l->path, "%s/%s", dir, name);

    /* A stale lock removed here may be replaced by a third process before
     * we link ours: then we see its lock on the next turn. */
    for (int turn = 0; turn < 3; turn++) {
        int e = create_lock(l->path);
        if (e == 0) {
            l->owned = true;
            *out = l;
            return 0;
        }
        long pid = 0;
        enum lock_state s = lock_state(l->path, device, &pid);
        if (s == LOCK_LIVE) {
            int rc = in_use(port, device, pid, l->path, err);
            free(l);
            return rc;
        }
        if (s == LOCK_OURS || e != EEXIST) {
            /* Ours already (shared), or a folder we may not write to (a
             * user outside the lock group): go on without a file. */
            if (e != EEXIST && s != LOCK_OURS)
                l->path[0] = '\0';
            *out = l;
            return 0;
        }
        if (s == LOCK_STALE && unlink(l->path) != 0 && errno != ENOENT) {
            int u = errno;
            cd_fail(err, CD_ERR_IO,
                    _("%s: the lock %s is left over from process %ld, which has ended, and "
                    "cannot be removed (%s): remove it by hand"),
                    port, l->path, pid, strerror(u));
            free(l);
            return CD_ERR_IO;
        }
    }
    cd_fail(err, CD_ERR_IO, _("%s: could not take the lock %s: other programs keep taking it"),
            port, l->path);
    free(l);
    return CD_ERR_IO;
}

void drv_port_unlock(struct drv_port_lock *l)
{
    if (l == NULL)
        return;
    /* Only our own file: if it was taken over (we were thought dead), the
     * new holder's lock stays. */
    double age_s;
    if (l->owned && read_pid(l->path, &age_s) == (long)getpid())
        unlink(l->path);
    free(l);
}

int drv_port_busy(const char *port, const char *device, struct cd_err *err)
{
    for (size_t i = 0; i < sizeof lock_dirs / sizeof lock_dirs[0]; i++) {
        char name[NAME_MAX], path[PATH_MAX];
        lock_name(device, name, sizeof name);
        snprintf(path, sizeof path, "%s/%s", lock_dirs[i], name);
        long pid = 0;
        if (lock_state(path, device, &pid) == LOCK_LIVE)
            return in_use(port, device, pid, path, err);
    }
    return cd_fail(err, CD_ERR_IO,
                   _("%s is in use: another program has it open for itself alone (TIOCEXCL); "
                   "close that program first"),
                   port);
}
