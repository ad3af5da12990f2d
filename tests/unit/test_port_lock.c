/* Serial ports (drivers/port_lock.c): what is not a serial port says so,
 * instead of "is the instrument plugged in?". */
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
        cmocka_unit_test(test_not_a_serial_port),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
