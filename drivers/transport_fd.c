/* Transports over a plain file descriptor: TCP sockets (Modbus TCP, and
 * instruments behind a serial-to-Ethernet server) and pty masters. */
#include "drv.h"
#include "cd_i18n.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct fd_ctx {
    int fd;
    char name[320];
};

static int fd_read(void *vctx, uint8_t *buf, size_t cap, int timeout_ms, struct cd_err *err)
{
    struct fd_ctx *c = vctx;
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    int r;
    do
        r = poll(&p, 1, timeout_ms < 0 ? 0 : timeout_ms);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return cd_fail(err, CD_ERR_IO, _("%s: poll: %s"), c->name, strerror(errno));
    if (r == 0)
        return 0;
    ssize_t n;
    do
        n = read(c->fd, buf, cap);
    while (n < 0 && errno == EINTR);
    if (n == 0 || (n < 0 && (errno == EIO || errno == ECONNRESET || errno == EPIPE)))
        return cd_fail(err, CD_ERR_DISCONNECTED,
                       _("%s: the instrument side is disconnected (it closed the connection)"),
                       c->name);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        return cd_fail(err, CD_ERR_IO, _("%s: read: %s"), c->name, strerror(errno));
    }
    return (int)n;
}

static int fd_write(void *vctx, const uint8_t *buf, size_t len, int timeout_ms, struct cd_err *err)
{
    struct fd_ctx *c = vctx;
    size_t done = 0;
    while (done < len) {
        struct pollfd p = {.fd = c->fd, .events = POLLOUT};
        int r = poll(&p, 1, timeout_ms < 0 ? 0 : timeout_ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            return cd_fail(err, CD_ERR_TIMEOUT, _("%s: write timed out after %zu of %zu bytes"),
                           c->name, done, len);
        ssize_t n = send(c->fd, buf + done, len - done, MSG_NOSIGNAL);
        if (n < 0 && errno == ENOTSOCK)
            n = write(c->fd, buf + done, len - done);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            if (errno == EPIPE || errno == ECONNRESET || errno == EIO)
                return cd_fail(err, CD_ERR_DISCONNECTED,
                               _("%s: the instrument side is disconnected (write: %s)"), c->name,
                               strerror(errno));
            return cd_fail(err, CD_ERR_IO, _("%s: write: %s"), c->name, strerror(errno));
        }
        done += (size_t)n;
    }
    return 0;
}

static void fd_close(void *vctx)
{
    struct fd_ctx *c = vctx;
    if (c == NULL)
        return;
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}

static const struct drv_transport_ops fd_ops = {
    .kind = "fd", .read = fd_read, .write = fd_write, .close = fd_close,
};
static const struct drv_transport_ops tcp_ops = {
    .kind = "tcp", .read = fd_read, .write = fd_write, .close = fd_close,
};

static int wrap(int fd, const char *name, const struct drv_transport_ops *ops,
                drv_transport **out, struct cd_err *err)
{
    struct fd_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        close(fd);
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    }
    c->fd = fd;
    snprintf(c->name, sizeof c->name, "%s", name);
    return drv_transport_new(ops, c, name, out, err);
}

int drv_transport_open_fd(int fd, const char *name, drv_transport **out, struct cd_err *err)
{
    *out = NULL;
    return wrap(fd, name, &fd_ops, out, err);
}

/* Connect with a timeout: non-blocking connect, then poll. */
static int connect_one(const struct addrinfo *ai, int timeout_ms)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0)
        return -1;
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int so_error = 0;
    socklen_t len = sizeof so_error;
    if (poll(&p, 1, timeout_ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) < 0 ||
        so_error != 0) {
        close(fd);
        errno = so_error != 0 ? so_error : ETIMEDOUT;
        return -1;
    }
    fcntl(fd, F_SETFL, flags);
    return fd;
}

int drv_transport_open_tcp(const char *host, int port, int timeout_ms, drv_transport **out,
                           struct cd_err *err)
{
    *out = NULL;
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC};
    struct addrinfo *res = NULL;
    int g = getaddrinfo(host, service, &hints, &res);
    if (g != 0)
        return cd_fail(err, CD_ERR_NOT_FOUND, _("tcp:%s:%d: %s"), host, port, gai_strerror(g));
    int fd = -1;
    int why = 0;
    for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = connect_one(ai, timeout_ms > 0 ? timeout_ms : 5000);
        if (fd < 0)
            why = errno;
    }
    freeaddrinfo(res);
    char name[300];
    snprintf(name, sizeof name, "tcp:%s:%d", host, port);
    if (fd < 0)
        return cd_fail(err, why == ETIMEDOUT ? CD_ERR_TIMEOUT : CD_ERR_IO, _("%s: cannot connect: %s"),
                       name, strerror(why));
    return wrap(fd, name, &tcp_ops, out, err);
}
