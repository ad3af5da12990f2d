/* Serial ports through libserialport. Its errors become cd_err messages
 * here and nowhere else. */
#define _DEFAULT_SOURCE /* cfmakeraw, CRTSCTS */
#include "drv.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libserialport.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "port_lock.h"
#include "cd_i18n.h"

struct serial_ctx {
    struct sp_port *port;
    char path[256];
    int exclusive_fd;   /* the port's descriptor in exclusive mode (TIOCEXCL), or -1 */
};

/* The OS error behind SP_ERR_FAIL, or libserialport's own meaning. */
static int serial_fail(const char *path, const char *what, enum sp_return r, struct cd_err *err)
{
    if (r == SP_ERR_FAIL) {
        int e = errno;
        char *msg = sp_last_error_message();
        int code = (e == EIO || e == ENXIO || e == ENODEV) ? CD_ERR_DISCONNECTED : CD_ERR_IO;
        int rc = cd_fail(err, code, "%s: %s: %s%s", path, what, msg != NULL ? msg : "failed",
                         code == CD_ERR_DISCONNECTED ? " (instrument disconnected?)" : "");
        sp_free_error_message(msg);
        return rc;
    }
    const char *why = r == SP_ERR_ARG ? "invalid argument"
                      : r == SP_ERR_MEM ? "out of memory"
                      : r == SP_ERR_SUPP ? "not supported by this port or OS"
                                         : "failed";
    return cd_fail(err, r == SP_ERR_MEM ? CD_ERR_NOMEM : CD_ERR_IO, "%s: %s: %s", path, what,
                   why);
}

static int serial_read(void *vctx, uint8_t *buf, size_t cap, int timeout_ms, struct cd_err *err)
{
    struct serial_ctx *c = vctx;
    enum sp_return r;
    if (timeout_ms <= 0)
        r = sp_nonblocking_read(c->port, buf, cap);
    else
        r = sp_blocking_read_next(c->port, buf, cap, (unsigned)timeout_ms);
    if (r < 0)
        return serial_fail(c->path, "read", r, err);
    return (int)r;
}

static int serial_write(void *vctx, const uint8_t *buf, size_t len, int timeout_ms,
                        struct cd_err *err)
{
    struct serial_ctx *c = vctx;
    enum sp_return r = sp_blocking_write(c->port, buf, len, timeout_ms > 0 ? (unsigned)timeout_ms : 0);
    if (r < 0)
        return serial_fail(c->path, "write", r, err);
    if ((size_t)r < len)
        return cd_fail(err, CD_ERR_TIMEOUT,
                       _("%s: only %d of %zu bytes written within %d ms (flow control holding "
                       "the line?)"),
                       c->path, (int)r, len, timeout_ms);
    return 0;
}

static void serial_close(void *vctx)
{
    struct serial_ctx *c = vctx;
    if (c == NULL)
        return;
    /* Exclusive mode belongs to the device, not to our descriptor: left set,
     * it would refuse the next opener for as long as anyone else keeps the
     * device open. */
    if (c->exclusive_fd >= 0)
        ioctl(c->exclusive_fd, TIOCNXCL);
    if (c->port != NULL) {
        sp_close(c->port);
        sp_free_port(c->port);
    }
    free(c);
}

static const struct drv_transport_ops serial_ops = {
    .kind = "serial", .read = serial_read, .write = serial_write, .close = serial_close,
};

static int configure(struct serial_ctx *c, const struct drv_serial_settings *s, struct cd_err *err)
{
    static const enum sp_parity parity[] = {SP_PARITY_NONE, SP_PARITY_ODD, SP_PARITY_EVEN,
                                            SP_PARITY_MARK, SP_PARITY_SPACE};
    static const enum sp_flowcontrol flow[] = {SP_FLOWCONTROL_NONE, SP_FLOWCONTROL_RTSCTS,
                                               SP_FLOWCONTROL_XONXOFF, SP_FLOWCONTROL_DTRDSR};
    enum sp_return r;
    if ((r = sp_set_baudrate(c->port, s->baud)) != SP_OK)
        return serial_fail(c->path, "set baud rate", r, err);
    if ((r = sp_set_bits(c->port, s->data_bits)) != SP_OK)
        return serial_fail(c->path, "set data bits", r, err);
    if ((r = sp_set_parity(c->port, parity[s->parity])) != SP_OK)
        return serial_fail(c->path, "set parity", r, err);
    if ((r = sp_set_stopbits(c->port, s->stop_bits)) != SP_OK)
        return serial_fail(c->path, "set stop bits", r, err);
    if ((r = sp_set_flowcontrol(c->port, flow[s->flow])) != SP_OK)
        return serial_fail(c->path, "set flow control", r, err);
    if (s->flow != DRV_FLOW_DTRDSR && (r = sp_set_dtr(c->port, SP_DTR_ON)) != SP_OK &&
        r != SP_ERR_SUPP && r != SP_ERR_FAIL) /* a pty has no modem lines */
        return serial_fail(c->path, "raise DTR", r, err);
    return 0;
}

/* libserialport refuses pseudo-terminals: it looks ports up in
 * /sys/class/tty (a pty has no entry) and needs the modem-control ioctls
 * (TIOCMGET fails with ENOTTY on a Linux pty); upstream declined pty
 * support (sigrokproject/libserialport PR #4). Simulators and trace replay
 * run on ptys, so a pty gets the same settings through termios and the
 * descriptor transport; everything above the backend - line reads,
 * timeouts, recording, drivers - is the code that serves real ports. */
static int open_pty(const char *real, const char *path, const struct drv_serial_settings *s,
                    drv_transport **out, struct cd_err *err)
{
    int fd = open(real, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0 && errno == EBUSY)
        return drv_port_busy(path, real, err);
    if (fd < 0)
        return cd_fail(err, errno == ENOENT ? CD_ERR_NOT_FOUND : CD_ERR_IO, _("%s: open: %s"), path,
                       strerror(errno));
    struct termios t;
    memset(&t, 0, sizeof t);
    cfmakeraw(&t);
    static const struct {
        int baud;
        speed_t code;
    } speeds[] = {{50, B50},       {75, B75},       {110, B110},     {134, B134},
                  {150, B150},     {200, B200},     {300, B300},     {600, B600},
                  {1200, B1200},   {1800, B1800},   {2400, B2400},   {4800, B4800},
                  {9600, B9600},   {19200, B19200}, {38400, B38400}, {57600, B57600},
                  {115200, B115200}, {230400, B230400}};
    speed_t code = B9600;
    for (size_t i = 0; i < sizeof speeds / sizeof speeds[0]; i++)
        if (speeds[i].baud == s->baud)
            code = speeds[i].code;
    cfsetispeed(&t, code);
    cfsetospeed(&t, code);
    t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
    t.c_cflag |= CREAD | CLOCAL;
    t.c_cflag |= s->data_bits == 5 ? CS5 : s->data_bits == 6 ? CS6 : s->data_bits == 7 ? CS7 : CS8;
    if (s->parity == DRV_PARITY_ODD || s->parity == DRV_PARITY_EVEN)
        t.c_cflag |= PARENB | (s->parity == DRV_PARITY_ODD ? PARODD : 0);
    if (s->stop_bits == 2)
        t.c_cflag |= CSTOPB;
    if (s->flow == DRV_FLOW_RTSCTS)
        t.c_cflag |= CRTSCTS;
    if (s->flow == DRV_FLOW_XONXOFF)
        t.c_iflag |= IXON | IXOFF;
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(fd, TCSANOW, &t) < 0) {
        int e = errno;
        close(fd);
        return cd_fail(err, CD_ERR_IO, _("%s: configure: %s"), path, strerror(e));
    }
    return drv_transport_open_fd(fd, path, out, err);
}

/* A real serial port through libserialport, in exclusive mode (TIOCEXCL,
 * ioctl_tty(2): further open()s fail with EBUSY, except for a process with
 * CAP_SYS_ADMIN), which also keeps out programs that ignore lock files.
 * Not on ptys: the simulator keeps the slave open, so exclusive mode left
 * by a caldaq that was killed would lock every later client out. */
static int open_port(const char *real, const char *path, const struct drv_serial_settings *s,
                     drv_transport **out, struct cd_err *err)
{
    struct serial_ctx *c = calloc(1, sizeof *c);
    if (c == NULL)
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    snprintf(c->path, sizeof c->path, "%s", path);
    c->exclusive_fd = -1;
    errno = 0;
    enum sp_return r = sp_get_port_by_name(real, &c->port);
    int rc = 0;
    if (r != SP_OK && errno == ENOENT) {
        /* drv_port_check() found the device: libserialport did not find
         * it in /sys/class/tty. */
        rc = cd_fail(err, CD_ERR_IO,
                     _("%s: not a serial port libserialport knows (no entry in /sys/class/tty; "
                     "'caldaq ports' lists the ports there are)"),
                     path);
    } else if (r != SP_OK) {
        rc = serial_fail(path, "not a serial port", r, err);
    } else if ((r = sp_open(c->port, SP_MODE_READ_WRITE)) != SP_OK) {
        int e = errno;
        if (r == SP_ERR_FAIL && (e == EACCES || e == EPERM))
            rc = cd_fail(err, CD_ERR_IO,
                         _("%s: permission denied: add the user to the dialout group "
                         "(sudo adduser $USER dialout, then log in again) or install "
                         "udev/60-caldaq.rules"),
                         path);
        else if (r == SP_ERR_FAIL && e == ENOENT)
            rc = cd_fail(err, CD_ERR_NOT_FOUND,
                         _("%s: no such port: is the instrument plugged in? ('caldaq ports' "
                         "lists what is there)"),
                         path);
        else if (r == SP_ERR_FAIL && e == EBUSY)
            rc = drv_port_busy(path, real, err);
        else
            rc = serial_fail(path, "open", r, err);
        sp_free_port(c->port);
        c->port = NULL;
    } else {
        int fd;
        if (sp_get_port_handle(c->port, &fd) == SP_OK && ioctl(fd, TIOCEXCL) == 0)
            c->exclusive_fd = fd;
        rc = configure(c, s, err);
    }
    if (rc != 0) {
        serial_close(c);
        return rc;
    }
    return drv_transport_new(&serial_ops, c, path, out, err);
}

int drv_transport_open_serial(const char *path, const struct drv_serial_settings *s,
                              drv_transport **out, struct cd_err *err)
{
    *out = NULL;
    /* libserialport takes a port's metadata from /sys/class/tty under its
     * device name, and a lock names the device, so symlinks
     * (/dev/serial/by-id/..., /dev/caldaq/...) are resolved first. */
    char real[PATH_MAX];
    if (realpath(path, real) == NULL)
        snprintf(real, sizeof real, "%s", path);
    int rc = drv_port_check(path, real, err);
    if (rc != 0)
        return rc;
    /* The lock first, then the device (the UUCP order): between two
     * openers, the lock decides. */
    struct drv_port_lock *lock = NULL;
    rc = drv_port_lock(path, real, &lock, err);
    if (rc != 0)
        return rc;
    if (strncmp(real, "/dev/pts/", 9) == 0)
        rc = open_pty(real, path, s, out, err);
    else
        rc = open_port(real, path, s, out, err);
    if (rc != 0) {
        drv_port_unlock(lock);
        return rc;
    }
    drv_transport_hold_lock(*out, lock);
    return 0;
}
