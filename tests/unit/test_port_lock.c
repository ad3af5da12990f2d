/* Port locks (drivers/port_lock.c) on a pseudo-terminal made here: the lock
 * file appears with our PID in the HDB UUCP format (FHS 3.0, 5.9) and goes
 * with the last close; a second open in the same process shares it (a
 * gauge and a thermo-hygrometer on one RS-485 bus); a live holder that is
 * not us is refused with its name; what is not a serial port says so.
 * Skipped where no lock folder can be written (then there is no lock). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "drv.h"
#include "test_support.h"

struct fixture {
    struct drv_pty pty;
    char lock[256];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct cd_err err = {0};
    if (f == NULL || drv_pty_open(&f->pty, NULL, &err) != 0) {
        free(f);
        return -1;
    }
    const char *dir = access("/run/lock", W_OK) == 0 ? "/run/lock" : "/var/lock";
    /* /dev/pts/N: the path below /dev with '/' as '_' */
    snprintf(f->lock, sizeof f->lock, "%s/LCK..pts_%s", dir, strrchr(f->pty.path, '/') + 1);
    unlink(f->lock);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    unlink(f->lock);
    drv_pty_close(&f->pty);
    free(f);
    return 0;
}

static bool lock_folder(void)
{
    return access("/run/lock", W_OK) == 0 || access("/var/lock", W_OK) == 0;
}

static void read_lock(const char *path, char *out, size_t cap)
{
    out[0] = '\0';
    FILE *fp = fopen(path, "r");
    if (fp == NULL)
        return;
    size_t n = fread(out, 1, cap - 1, fp);
    out[n] = '\0';
    fclose(fp);
}

static void test_lock_file_shared_in_process(void **state)
{
    struct fixture *f = *state;
    if (!lock_folder())
        skip();
    struct cd_err err = {0};
    drv_transport *a = NULL, *b = NULL;
    assert_int_equal(drv_transport_open(f->pty.path, "9600,8N1", &a, &err), 0);
    char want[16], got[64];
    snprintf(want, sizeof want, "%10ld\n", (long)getpid());
    read_lock(f->lock, got, sizeof got);
    assert_string_equal(got, want);
    struct stat st;
    assert_int_equal(stat(f->lock, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644); /* world-readable, whatever the umask */

    if (drv_transport_open(f->pty.path, "9600,8N1", &b, &err) != 0)
        fail_msg("a second open in the same process: %s", err.msg);
    drv_transport_close(b);
    assert_int_equal(access(f->lock, F_OK), 0); /* the first still holds it */
    drv_transport_close(a);
    assert_int_equal(access(f->lock, F_OK), -1);
}

/* A child process holds the port; we are refused with its name and PID. */
static void test_other_process_refused(void **state)
{
    struct fixture *f = *state;
    if (!lock_folder())
        skip();
    int ready[2], quit[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(quit), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        close(ready[0]);
        close(quit[1]);
        drv_transport *t = NULL;
        struct cd_err e = {0};
        char c = drv_transport_open(f->pty.path, "9600,8N1", &t, &e) == 0 ? 'y' : 'n';
        (void)!write(ready[1], &c, 1);
        (void)!read(quit[0], &c, 1); /* until the parent is done, or gone */
        drv_transport_close(t);
        _exit(0);
    }
    close(ready[1]);
    close(quit[0]);
    char c = 0;
    assert_int_equal(read(ready[0], &c, 1), 1);
    assert_int_equal(c, 'y');
    struct cd_err err = {0};
    drv_transport *t = NULL;
    int rc = drv_transport_open(f->pty.path, "9600,8N1", &t, &err);
    char want[64];
    snprintf(want, sizeof want, "(pid %ld)", (long)child);
    (void)!write(quit[1], "q", 1);
    close(quit[1]);
    close(ready[0]);
    wait_child(child, 30000, "the child process");
    if (rc == 0 || strstr(err.msg, "is in use by") == NULL || strstr(err.msg, want) == NULL)
        fail_msg("open while another process holds the port: %d \"%s\"", rc, err.msg);
    assert_int_equal(access(f->lock, F_OK), -1); /* the child removed it on close */
    drv_transport_close(t);
}

/* /dev/null was "no such port: is the instrument plugged in?". */
static void test_not_a_serial_port(void **state)
{
    (void)state;
    static const struct {
        const char *port, *says;
    } cases[] = {
        {"/dev/null", "/dev/null is not a serial port (the kernel lists it as a 'mem' device"},
        {"/tmp", "/tmp is a folder, not a serial port"},
        {"/etc/hostname", "/etc/hostname is a file, not a serial port"},
        {"/dev/ttyUSB-caldaq-none", "no such port: is the instrument plugged in?"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct stat st;
        if (strcmp(cases[i].port, "/dev/null") == 0 && stat("/sys/dev/char/1:3", &st) != 0)
            continue; /* no /sys here: the kind of a device cannot be told */
        if (strcmp(cases[i].port, "/etc/hostname") == 0 && stat(cases[i].port, &st) != 0)
            continue;
        struct cd_err err = {0};
        drv_transport *t = NULL;
        int rc = drv_transport_open(cases[i].port, "9600,8N1", &t, &err);
        if (rc == 0 || strstr(err.msg, cases[i].says) == NULL)
            fail_msg("%s: %d \"%s\", expected \"%s\"", cases[i].port, rc, err.msg,
                     cases[i].says);
        assert_null(t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lock_file_shared_in_process, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_process_refused, setup, teardown),
        cmocka_unit_test(test_not_a_serial_port),
    };
    /* A bound on the whole binary: no test here waits on anything but a
     * child that exits when its pipe closes. */
    alarm(60);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
