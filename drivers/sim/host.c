/* Hosting a simulator or a trace replay where a host program can reach it
 * (drv.h): on a pseudo-terminal (re-opened after a disconnect fault, the
 * symlink following it) or on a loopback TCP port (one connection after
 * another). What `caldaq sim` runs once it has parsed its options and set
 * up its signals. */
#include "drv.h"
#include "cd_i18n.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Whether the owner asked to stop: its stop_fd became readable (it is
 * written once and never drained). */
static bool stop_asked(const struct drv_sim_host *h)
{
    if (h->stop_fd < 0)
        return false;
    struct pollfd p = {.fd = h->stop_fd, .events = POLLIN};
    return poll(&p, 1, 0) > 0;
}

static int tcp_listen(int port, int *out_port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 4) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    *out_port = ntohs(a.sin_port);
    return fd;
}

/* Wait for a connection or a stop; the connected fd, or -1 (stop, error). */
static int tcp_accept(int lfd, const struct drv_sim_host *h)
{
    for (;;) {
        if (stop_asked(h))
            return -1;
        struct pollfd p[2] = {{.fd = lfd, .events = POLLIN}, {.fd = h->stop_fd, .events = POLLIN}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (p[1].revents != 0)
            return -1;
        if (p[0].revents & POLLIN) {
            int fd = accept(lfd, NULL, NULL);
            if (fd >= 0) {
                fcntl(fd, F_SETFD, FD_CLOEXEC);
                return fd;
            }
            if (errno != EINTR && errno != ECONNABORTED)
                return -1;
        }
    }
}

/* The loopback listener of a TCP host, its port told when the host asked
 * for any free one. The descriptor, or a negative cd_code. */
static int host_listen(const struct drv_sim_host *h, struct cd_err *err)
{
    int port = 0;
    int lfd = tcp_listen(h->tcp_port, &port);
    if (lfd < 0)
        return cd_fail(err, CD_ERR_IO, _("listen on 127.0.0.1:%d: %s"), h->tcp_port,
                       strerror(errno));
    if (h->tcp_port == 0 && h->announce != NULL) {
        char text[16];
        snprintf(text, sizeof text, "%d", port);
        h->announce(h->ctx, text);
    }
    return lfd;
}

static void announce_pty(const struct drv_sim_host *h, const struct drv_pty *p)
{
    if (h->link == NULL && h->announce != NULL)
        h->announce(h->ctx, p->path);
}

int drv_sim_control_listen(const char *path, struct cd_err *err)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof a.sun_path)
        return cd_fail(err, CD_ERR_INVALID, _("control socket %s: %s"), path, strerror(ENAMETOOLONG));
    memcpy(a.sun_path, path, strlen(path) + 1);
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return cd_fail(err, CD_ERR_INVALID, _("control socket %s: %s"), path, strerror(EEXIST));
        unlink(path);   /* a stale socket from an earlier run */
    }
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0)
        return cd_fail(err, CD_ERR_IO, _("control socket %s: %s"), path, strerror(errno));
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 4) != 0) {
        int e = errno;
        close(fd);
        return cd_fail(err, CD_ERR_IO, _("control socket %s: %s"), path, strerror(e));
    }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    return fd;
}

int drv_sim_host_run(drv_sim *sim, const struct drv_sim_host *h, struct cd_err *err)
{
    if (h->tcp_port >= 0) {
        int lfd = host_listen(h, err);
        if (lfd < 0)
            return lfd;
        int status = 0;
        /* One connection after another, until told to stop. */
        for (;;) {
            int fd = tcp_accept(lfd, h);
            if (fd < 0) {
                if (!stop_asked(h))
                    status = cd_fail(err, CD_ERR_IO, _("accept: %s"), strerror(errno));
                break;
            }
            int rc = drv_sim_serve(sim, fd, h->control_fd, err);
            close(fd);
            if (rc < 0) {
                status = rc;
                break;
            }
            if (rc == 1)
                break;
        }
        close(lfd);
        return status;
    }
    /* A disconnect fault unplugs the port: it goes away and comes back
     * (with a new device path; the symlink follows it). */
    for (;;) {
        struct drv_pty p;
        int rc = drv_pty_open(&p, h->link, err);
        if (rc != 0)
            return rc;
        announce_pty(h, &p);
        rc = drv_sim_serve(sim, p.master, h->control_fd, err);
        drv_pty_close(&p);
        if (rc < 0)
            return rc;
        if (rc == 1 || stop_asked(h))
            return 0;
        struct pollfd w = {.fd = h->stop_fd, .events = POLLIN};
        if (poll(&w, 1, 500) > 0)
            return 0;
    }
}

int drv_replay_host_run(const struct drv_trace *t, const struct drv_sim_host *h,
                        const struct drv_replay_opts *o, struct drv_replay_stats *stats,
                        struct cd_err *err)
{
    if (h->tcp_port >= 0) {
        int lfd = host_listen(h, err);
        if (lfd < 0)
            return lfd;
        int fd = tcp_accept(lfd, h);
        close(lfd);
        if (fd < 0)
            return stop_asked(h) ? 0 : cd_fail(err, CD_ERR_IO, _("accept: %s"), strerror(errno));
        return drv_replay(t, fd, -1, o, stats, err);
    }
    struct drv_pty p;
    int rc = drv_pty_open(&p, h->link, err);
    if (rc != 0)
        return rc;
    announce_pty(h, &p);
    rc = drv_replay(t, p.master, p.slave, o, stats, err);
    p.master = -1;   /* drv_replay closed it */
    drv_pty_close(&p);
    return rc;
}
