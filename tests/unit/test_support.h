/* What the cmocka tests share about the world outside them: peers and
 * tools that may be missing, and child processes waited for with a bound.
 * Include after <cmocka.h>.
 *
 * A peer a test needs (Debian's pymodbus, a tool) that is not there fails
 * the test under CI (CI=true): a green run must mean it ran. Elsewhere
 * the test is skipped, and says what to install. */
#ifndef CALDAQ_TEST_SUPPORT_H
#define CALDAQ_TEST_SUPPORT_H

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <stdio.h>
#include <unistd.h>

/* The build's compiled catalogues, locale/ beside the folder of the test
 * binary (build/locale for build/tests/test_x), for a test run straight
 * from the build tree: documents need the Vietnamese whatever the process's
 * language (cd_catalog_open). CALDAQ_LOCALEDIR, when set (tests/run-tests,
 * make test), is kept. */
static inline void use_build_locale(void)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (getenv("CALDAQ_LOCALEDIR") != NULL || n <= 0)
        return;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash == NULL)
        return;
    *slash = '\0';
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/../locale", exe);
    setenv("CALDAQ_LOCALEDIR", dir, 0);
}

static inline bool under_ci(void)
{
    const char *ci = getenv("CI");
    return ci != NULL && strcmp(ci, "true") == 0;
}

/* When `ok` is false: fail under CI, else skip naming what to install. */
#define require_peer(ok, what, install)                                                   \
    do {                                                                                  \
        if (!(ok)) {                                                                      \
            if (under_ci())                                                               \
                fail_msg("%s is missing (CI=true: a missing peer fails); apt-get install %s", \
                         (what), (install));                                              \
            print_message("skipped: needs %s (apt-get install %s)\n", (what), (install)); \
            skip();                                                                       \
        }                                                                                 \
    } while (0)

/* Seconds on the monotonic clock, for the bounds tests wait with. */
static inline double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* waitpid with a bound: the child's status, or, after `timeout_ms`, the
 * child killed and the test failed naming `what`. */
static inline int wait_child(pid_t pid, int timeout_ms, const char *what)
{
    int status = 0;
    for (int waited = 0;; waited += 10) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status;
        if (r < 0)
            fail_msg("waitpid %s: %s", what, strerror(errno));
        if (waited >= timeout_ms) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            fail_msg("%s did not end within %d ms (killed)", what, timeout_ms);
        }
        nanosleep(&(struct timespec){0, 10 * 1000000}, NULL);
    }
}

#endif
