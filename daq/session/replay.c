/* A session against a recorded trace instead of an instrument (session.h).
 * The trace plays the instrument on a pseudo-terminal (or a loopback
 * socket for Modbus TCP) in a thread; the session runs against it; any
 * difference between what the session sends and what the trace recorded
 * stops the replay with the trace line. The readings, and so the results,
 * are those of the trace. */
#include "session.h"
#include "cd_i18n.h"


#include <errno.h>
#include <math.h>
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
    struct drv_pty pty;
    pthread_t th;
    bool started;
    int rc;
    struct cd_err err;
    /* the source's player: the recorded time of the last reply sent, the
     * clock of the session's set-and-wait (docs/sources.md) */
    pthread_mutex_t lock;
    double last_reply;
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

static void replying(void *ctx, double t)
{
    struct player *pl = ctx;
    pthread_mutex_lock(&pl->lock);
    pl->last_reply = t;
    pthread_mutex_unlock(&pl->lock);
}

static double source_clock(void *ctx)
{
    struct player *pl = ctx;
    pthread_mutex_lock(&pl->lock);
    double t = pl->last_reply;
    pthread_mutex_unlock(&pl->lock);
    return t;
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

/* Start playing `t` on a pty or (a tcp trace) a loopback port, named in
 * `port`; `*serial` becomes the trace's settings (NULL over tcp). */
static int player_start(struct player *pl, const struct drv_trace *t, bool fast, bool clock,
                        char *port, size_t cap, const char **serial, struct cd_err *err)
{
    const struct drv_trace_header *h = &t->header;
    *pl = (struct player){.t = t, .o = {.fast = fast, .speed = 1, .host_timeout_ms = 10000},
                          .fd = -1, .peer_fd = -1, .listen_fd = -1,
                          .pty = {.master = -1, .slave = -1}, .last_reply = NAN};
    pthread_mutex_init(&pl->lock, NULL);
    if (clock) {
        pl->o.replying = replying;
        pl->o.replying_ctx = pl;
    }
    if (h->settings[0] != '\0')
        *serial = h->settings;
    if (strcmp(h->transport, "tcp") == 0) {
        int n = 0;
        if ((pl->listen_fd = listen_loopback(&n)) < 0) {
            pthread_mutex_destroy(&pl->lock);
            return cd_fail(err, CD_ERR_IO, _("listen on 127.0.0.1: %s"), strerror(errno));
        }
        snprintf(port, cap, "tcp:127.0.0.1:%d", n);
        *serial = NULL;
    } else {
        int rc = drv_pty_open(&pl->pty, NULL, err);
        if (rc != 0) {
            pthread_mutex_destroy(&pl->lock);
            return rc;
        }
        snprintf(port, cap, "%s", pl->pty.path);
        pl->fd = pl->pty.master;
        pl->peer_fd = pl->pty.slave;
    }
    if (pthread_create(&pl->th, NULL, play, pl) != 0) {
        drv_pty_close(&pl->pty);
        if (pl->listen_fd >= 0)
            close(pl->listen_fd);
        pl->listen_fd = -1;
        pthread_mutex_destroy(&pl->lock);
        return cd_fail(err, CD_ERR_IO, _("cannot start the replay"));
    }
    pl->started = true;
    return 0;
}

static void player_stop(struct player *pl)
{
    if (!pl->started)
        return;
    if (pl->listen_fd >= 0)
        shutdown(pl->listen_fd, SHUT_RDWR); /* a session that never connected */
    pthread_join(pl->th, NULL);
    pl->pty.master = -1; /* drv_replay closed it */
    drv_pty_close(&pl->pty);
    if (pl->listen_fd >= 0)
        close(pl->listen_fd);
    pthread_mutex_destroy(&pl->lock);
    pl->started = false;
}

int ses_replay(const struct drv_trace *t, const struct drv_trace *ref_t,
               const struct drv_trace *src_t, struct ses_config *c, const struct ses_ui *ui,
               bool fast, struct ses_outcome *o, struct cd_err *err)
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
    if (plays_reference && ref_t != NULL)
        return cd_fail(err, CD_ERR_INVALID,
                       _("--ref-trace: the profile reads the item by eye, so the run's trace is "
                         "already the reference instrument's"));
    const char **driver = plays_reference ? &c->ref_driver : &c->driver;
    const char **serial = plays_reference ? &c->ref_serial : &c->serial;
    const char **port_of = plays_reference ? &c->ref_port : &c->port;
    if (*driver == NULL && h->driver[0] != '\0')
        *driver = h->driver;
    /* up to three conversations played together: the run's trace, the
     * reference instrument's (RUN.h5.ref.trace) and the source's
     * (RUN.h5.source.trace), each on its own pty or loopback port */
    struct player pl[3];
    char ports[3][160];
    const struct drv_trace *traces[3] = {t, ref_t, src_t};
    const char **ports_of[3] = {port_of, &c->ref_port, &c->source_port};
    const char **serials[3] = {serial, &c->ref_serial, &c->source_serial};
    const char **drivers[3] = {driver, &c->ref_driver, &c->source_driver};
    memset(pl, 0, sizeof pl);
    int rc = 0;
    for (size_t k = 0; k < 3 && rc == 0; k++) {
        if (traces[k] == NULL)
            continue;
        if (k > 0 && *drivers[k] == NULL && traces[k]->header.driver[0] != '\0')
            *drivers[k] = traces[k]->header.driver;
        rc = player_start(&pl[k], traces[k], fast, k == 2, ports[k], sizeof ports[k], serials[k],
                          err);
        if (rc == 0)
            *ports_of[k] = ports[k];
    }
    if (rc != 0) {
        for (size_t k = 0; k < 3; k++)
            player_stop(&pl[k]);
        for (size_t k = 0; k < 3; k++)
            *ports_of[k] = NULL;
        return rc;
    }
    if (src_t != NULL) {
        c->source_clock = source_clock;
        c->source_clock_ctx = &pl[2];
    }
    ses_run(c, ui, NULL, o);
    /* the conversation that diverged is named (one that differed in what
     * the host wrote before one that only waited for the host), with the
     * test point the session was at */
    static const char *const whose[3] = {N_("the run's trace"),
                                         N_("the reference instrument's trace"),
                                         N_("the source's trace")};
    size_t told = 3;
    for (size_t k = 0; k < 3; k++) {
        player_stop(&pl[k]);
        if (traces[k] == NULL || pl[k].rc == 0)
            continue;
        if (told == 3 || (pl[k].rc == CD_ERR_PROTOCOL && pl[told].rc != CD_ERR_PROTOCOL))
            told = k;
    }
    if (told < 3 && (o->status == SES_COMPLETE || o->status == SES_INSTRUMENT)) {
        /* a session that finished but did not say everything the trace
         * holds, or one stopped by what the trace saw */
        o->status = SES_INSTRUMENT;
        o->err = pl[told].err;
        char msg[sizeof o->err.msg + 80];
        snprintf(msg, sizeof msg, _("at test point %zu, %s: %s"), o->point + 1, _(whose[told]),
                 o->err.msg);
        snprintf(o->err.msg, sizeof o->err.msg, "%.*s", (int)sizeof o->err.msg - 1, msg);
    }
    for (size_t k = 0; k < 3; k++)
        *ports_of[k] = NULL; /* they named this call's ptys or ports */
    c->source_clock = NULL;
    c->source_clock_ctx = NULL;
    return 0;
}
