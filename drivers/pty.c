#define _DEFAULT_SOURCE /* openpty, cfmakeraw */
/* Pseudo-terminals stand in for serial ports: simulators and trace replay
 * sit on the master, caldaq opens the slave with the real serial code. */
#include "drv.h"
#include "cd_i18n.h"

#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

int drv_pty_open(struct drv_pty *p, const char *link, struct cd_err *err)
{
    memset(p, 0, sizeof *p);
    p->master = p->slave = -1;
    struct termios raw;
    memset(&raw, 0, sizeof raw);
    cfmakeraw(&raw);
    cfsetspeed(&raw, B9600);
    if (openpty(&p->master, &p->slave, p->path, &raw, NULL) < 0)
        return cd_fail(err, CD_ERR_IO, _("openpty: %s"), strerror(errno));
    fcntl(p->master, F_SETFD, FD_CLOEXEC);
    fcntl(p->slave, F_SETFD, FD_CLOEXEC);
    if (link != NULL) {
        struct stat st;
        if (lstat(link, &st) == 0) {
            if (!S_ISLNK(st.st_mode)) {
                drv_pty_close(p);
                return cd_fail(err, CD_ERR_INVALID,
                               _("%s exists and is not a symlink: not replacing it"), link);
            }
            unlink(link);
        }
        if (symlink(p->path, link) < 0) {
            int e = errno;
            drv_pty_close(p);
            return cd_fail(err, CD_ERR_IO, _("symlink %s -> pty: %s"), link, strerror(e));
        }
        snprintf(p->link, sizeof p->link, "%s", link);
    }
    return 0;
}

void drv_pty_close(struct drv_pty *p)
{
    if (p->link[0] != '\0') {
        unlink(p->link);
        p->link[0] = '\0';
    }
    if (p->master >= 0)
        close(p->master);
    if (p->slave >= 0)
        close(p->slave);
    p->master = p->slave = -1;
}
