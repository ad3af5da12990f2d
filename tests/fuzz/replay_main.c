/* Replays saved fuzz inputs through a harness without libFuzzer, so that
 * `make test` (plain, or SANITIZE=1 under ASan/UBSan) holds every corpus
 * and every past crash as a regression test.
 *
 *     fuzz_<target> NAME DIR|FILE...
 *
 * Every regular file of each DIR (sorted; names starting with '.' and
 * README* skipped) is given to LLVMFuzzerTestOneInput. The last line is
 * "fuzz_NAME: N inputs replayed". A crash, a sanitizer report or an input
 * that runs longer than REPLAY_TIMEOUT_S (default 30) seconds ends the
 * program with a line naming the file, and a non-zero status; under
 * LeakSanitizer a leak is checked after each input and named the same way. */
#include "fuzz_util.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

/* Optional hooks: libFuzzer's init, and the sanitizers' death callback
 * (present only when built with -fsanitize=...). */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));
int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

/* What the signal handlers name: set before each input. This program is
 * the test driver, not library code. */
static const char *target = "fuzz";
static char current[4096];
static struct sigaction previous[32];

static void say(const char *a, const char *b, const char *c)
{
    /* write(2) only: called from signal handlers. */
    ssize_t rc = write(STDERR_FILENO, a, strlen(a));
    rc = write(STDERR_FILENO, b, strlen(b));
    rc = write(STDERR_FILENO, c, strlen(c));
    (void)rc;
}

static void name_input(void)
{
    if (current[0] != '\0') {
        say(target, ": FAILED on ", current);
        say("\n", "", "");
    }
}

static void on_fatal(int sig)
{
    name_input();
    current[0] = '\0';
    /* Hand the signal to whoever had it (a sanitizer prints its report);
     * a fault re-raises itself when the instruction runs again. */
    sigaction(sig, &previous[sig], NULL);
    if (sig != SIGSEGV && sig != SIGBUS && sig != SIGILL && sig != SIGFPE)
        raise(sig);
}

static void on_alarm(int sig)
{
    (void)sig;
    say(target, ": TIMEOUT on ", current);
    say("\n", "", "");
    _exit(3);
}

static void install_handlers(void)
{
    static char altstack[1 << 18];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
    sigaltstack(&ss, NULL);
    const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction sa = {.sa_handler = on_fatal, .sa_flags = SA_ONSTACK};
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, &previous[sigs[i]]);
    }
    struct sigaction sa = {.sa_handler = on_alarm};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    if (__sanitizer_set_death_callback != NULL)
        __sanitizer_set_death_callback(name_input);
}

static int replay_file(const char *path, unsigned timeout_s)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "%s: %s: %s\n", target, path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0, got;
    uint8_t *buf = malloc(cap);
    while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap *= 2);
            if (nb == NULL)
                free(buf);
            buf = nb;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (buf == NULL || bad) {
        fprintf(stderr, "%s: %s: cannot read\n", target, path);
        free(buf);
        return -1;
    }
    /* A copy of exactly `n` bytes, so that ASan sees a read past the end. */
    uint8_t *input = malloc(n > 0 ? n : 1);
    if (input == NULL) {
        free(buf);
        return -1;
    }
    if (n > 0)
        memcpy(input, buf, n);
    free(buf);
    snprintf(current, sizeof current, "%s", path);
    alarm(timeout_s);
    LLVMFuzzerTestOneInput(input, n);
    alarm(0);
    free(input);
    /* Under LeakSanitizer, a leak is pinned on the input that made it. */
    if (__lsan_do_recoverable_leak_check != NULL && __lsan_do_recoverable_leak_check() != 0) {
        fprintf(stderr, "%s: LEAK on %s\n", target, path);
        current[0] = '\0';
        return -1;
    }
    current[0] = '\0';
    return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_name(const struct dirent *e)
{
    return e->d_name[0] != '.' && strncmp(e->d_name, "README", 6) != 0;
}

int main(int argc, char **argv)
{
#ifdef FUZZ_REPLAY_NAME
    /* Run with no arguments (tests/run-tests, from the checkout's root):
     * the target's seed corpus and its past crashes. */
    char corpus[256], regressions[256];
    char *defaults[] = {argv[0], FUZZ_REPLAY_NAME, corpus, regressions, NULL};
    if (argc == 1) {
        snprintf(corpus, sizeof corpus, "tests/fuzz/corpus/%s", FUZZ_REPLAY_NAME);
        snprintf(regressions, sizeof regressions, "tests/fuzz/regressions/%s", FUZZ_REPLAY_NAME);
        argc = 4;
        argv = defaults;
    }
#endif
    if (argc < 2) {
        fprintf(stderr, "usage: %s NAME DIR|FILE...\n", argv[0]);
        return 2;
    }
    target = argv[1];
    const char *t = getenv("REPLAY_TIMEOUT_S");
    unsigned timeout_s = t != NULL && atoi(t) > 0 ? (unsigned)atoi(t) : 30;
    install_handlers();
    if (LLVMFuzzerInitialize != NULL)
        LLVMFuzzerInitialize(&argc, &argv);
    size_t replayed = 0;
    int failed = 0;
    for (int i = 2; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            if (errno == ENOENT)
                continue; /* a target without regressions yet */
            fprintf(stderr, "%s: %s: %s\n", target, argv[i], strerror(errno));
            failed = 1;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            failed |= replay_file(argv[i], timeout_s) != 0;
            replayed++;
            continue;
        }
        struct dirent **list = NULL;
        int n = scandir(argv[i], &list, skip_name, by_name);
        if (n < 0) {
            fprintf(stderr, "%s: %s: %s\n", target, argv[i], strerror(errno));
            failed = 1;
            continue;
        }
        for (int k = 0; k < n; k++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], list[k]->d_name);
            if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                failed |= replay_file(path, timeout_s) != 0;
                replayed++;
            }
            free(list[k]);
        }
        free(list);
    }
    printf("%s: %zu inputs replayed\n", target, replayed);
    return failed ? 1 : 0;
}
