/* A session against a recorded trace instead of an instrument (session.h).
 * The trace plays the instrument on a pseudo-terminal (or a loopback
 * socket for Modbus TCP) in a thread; the session runs against it; any
 * difference between what the session sends and what the trace recorded
 * stops the replay with the trace line. The readings, and so the results,
 * are those of the trace. */
#include "session.h"
#include "cd_i18n.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct player {
    const struct drv_trace *t;
    struct drv_replay_opts o;
    int fd, peer_fd, listen_fd;
    int rc;
    struct cd_err err;
};

static void *play(void *arg)
{
    struct player *pl = arg;
    if (pl->listen_fd >= 0) {
        pl->fd = accept(pl->listen_fd, NULL, NULL);
        if (pl->fd < 0) {
            pl->rc = cd_fail(&pl->err, CD_ERR_IO, _("accept: %s"), strerror(errno));
            return NULL;
        }
    }
    struct drv_replay_stats stats;
    pl->rc = drv_replay(pl->t, pl->fd, pl->peer_fd, &pl->o, &stats, &pl->err);
    return NULL;
}

static int listen_loopback(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 1) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *port = ntohs(sa.sin_port);
    return fd;
}

int ses_replay(const struct drv_trace *t, struct ses_config *c, const struct ses_ui *ui, bool fast,
               struct ses_outcome *o, struct cd_err *err)
{
    const struct drv_trace_header *h = &t->header;
    /* A profile whose item is read by eye has the reference instrument's
     * conversation as the run's trace (issue 16): the trace plays that. */
    bool plays_reference = false;
    if (c->profile_path != NULL) {
        struct prof_profile *p = prof_profile_load(c->profile_path, err);
        if (p == NULL)
            return err->code;
        plays_reference = p->item.read == PROF_READ_TYPED && p->ref.read == PROF_READ_INSTRUMENT;
        prof_profile_free(p);
    }
    const char **driver = plays_reference ? &c->ref_driver : &c->driver;
    const char **serial = plays_reference ? &c->ref_serial : &c->serial;
    const char **port_of = plays_reference ? &c->ref_port : &c->port;
    if (*driver == NULL && h->driver[0] != '\0')
        *driver = h->driver;
    if (h->settings[0] != '\0')
        *serial = h->settings;
    struct player pl = {.t = t, .o = {.fast = fast, .speed = 1, .host_timeout_ms = 10000},
                        .fd = -1, .peer_fd = -1, .listen_fd = -1};
    struct drv_pty pty = {.master = -1, .slave = -1};
    char port[160];
    if (strcmp(h->transport, "tcp") == 0) {
        int n = 0;
        if ((pl.listen_fd = listen_loopback(&n)) < 0)
            return cd_fail(err, CD_ERR_IO, _("listen on 127.0.0.1: %s"), strerror(errno));
        snprintf(port, sizeof port, "tcp:127.0.0.1:%d", n);
        *serial = NULL;
    } else {
        int rc = drv_pty_open(&pty, NULL, err);
        if (rc != 0)
            return rc;
        snprintf(port, sizeof port, "%s", pty.path);
        pl.fd = pty.master;
        pl.peer_fd = pty.slave;
    }
    *port_of = port;
    pthread_t th;
    if (pthread_create(&th, NULL, play, &pl) != 0) {
        drv_pty_close(&pty);
        if (pl.listen_fd >= 0)
            close(pl.listen_fd);
        *port_of = NULL;
        return cd_fail(err, CD_ERR_IO, _("cannot start the replay"));
    }
    ses_run(c, ui, NULL, o);
    if (pl.listen_fd >= 0)
        shutdown(pl.listen_fd, SHUT_RDWR); /* a session that never connected */
    pthread_join(th, NULL);
    pty.master = -1; /* drv_replay closed it */
    drv_pty_close(&pty);
    if (pl.listen_fd >= 0)
        close(pl.listen_fd);
    if (pl.rc != 0 && o->status == SES_COMPLETE) {
        /* the session finished but did not say everything the trace holds */
        o->status = SES_INSTRUMENT;
        o->err = pl.err;
    } else if (pl.rc != 0 && o->status == SES_INSTRUMENT) {
        /* what the trace saw says more than what the session saw */
        o->err = pl.err;
    }
    *port_of = NULL; /* it named this call's pty or port */
    return 0;
}
