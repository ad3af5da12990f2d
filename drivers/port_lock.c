/* Serial ports before they are opened: is the path one. */
#define _DEFAULT_SOURCE /* major, minor */
#include "port_lock.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const char *const port_advice =
    "give the instrument's port, e.g. /dev/ttyUSB0 ('caldaq ports' lists them)";

int drv_port_check(const char *port, const char *device, struct cd_err *err)
{
    struct stat st;
    if (stat(device, &st) != 0) {
        if (errno == ENOENT)
            return cd_fail(err, CD_ERR_NOT_FOUND,
                           "%s: no such port: is the instrument plugged in? ('caldaq ports' "
                           "lists what is there)",
                           port);
        return cd_fail(err, CD_ERR_IO, "%s: %s", port, strerror(errno));
    }
    if (S_ISDIR(st.st_mode))
        return cd_fail(err, CD_ERR_IO, "%s is a folder, not a serial port: %s", port,
                       port_advice);
    if (S_ISREG(st.st_mode))
        return cd_fail(err, CD_ERR_IO, "%s is a file, not a serial port: %s", port,
                       port_advice);
    if (!S_ISCHR(st.st_mode))
        return cd_fail(err, CD_ERR_IO, "%s is not a serial port (not a character device): %s",
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
                   "%s is not a serial port (the kernel lists it as a '%s' device, not a "
                   "terminal): %s",
                   port, cls, port_advice);
}
