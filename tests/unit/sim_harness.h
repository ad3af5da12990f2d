/* A simulator served from a thread on a pty, and the driver calls the
 * driver tests make against it (test_dmm_gauge.c, test_thermometers.c).
 * Include after cmocka.h. */
#ifndef CALDAQ_SIM_HARNESS_H
#define CALDAQ_SIM_HARNESS_H

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "drv.h"

struct sim_pty {
    drv_sim *sim;
    struct drv_pty pty;
    int ctl, ctl_sim;       /* control socketpair: ours, the simulator's */
    pthread_t thread;
    bool running;
    int rc;
    struct cd_err err;
};

static inline void *sim_main(void *arg)
{
    struct sim_pty *p = arg;
    p->rc = drv_sim_serve(p->sim, p->pty.master, p->ctl_sim, &p->err);
    return NULL;
}

static inline void sim_start(struct sim_pty *p, const char *driver, const char *const *opts)
{
    memset(p, 0, sizeof *p);
    struct cd_err err = {0};
    if (drv_sim_new(driver, opts, &p->sim, &err) != 0)
        fail_msg("drv_sim_new: %s", cd_err_text(&err));
    if (drv_pty_open(&p->pty, NULL, &err) != 0)
        fail_msg("drv_pty_open: %s", cd_err_text(&err));
    int cv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, cv), 0);
    p->ctl = cv[0];
    p->ctl_sim = cv[1];
    assert_int_equal(pthread_create(&p->thread, NULL, sim_main, p), 0);
    p->running = true;
}

/* A control command ("load 5"); waits for its reply line. */
static inline void sim_ctl(struct sim_pty *p, const char *cmd)
{
    char line[128];
    int len = snprintf(line, sizeof line, "%s\n", cmd);
    assert_int_equal(write(p->ctl, line, (size_t)len), len);
    char c = 0;
    do {
        struct pollfd pf = {.fd = p->ctl, .events = POLLIN};
        assert_int_equal(poll(&pf, 1, 2000), 1);
        assert_int_equal(read(p->ctl, &c, 1), 1);
    } while (c != '\n');
}

static inline int sim_join(struct sim_pty *p)
{
    if (p->running) {
        pthread_join(p->thread, NULL);
        p->running = false;
    }
    return p->rc;
}

static inline void sim_stop(struct sim_pty *p)
{
    if (p->running) {
        drv_sim_control(p->sim, "quit", NULL, 0, NULL);
        sim_join(p);
    }
    if (p->rc < 0)
        fail_msg("simulator: %s", cd_err_text(&p->err));
    drv_pty_close(&p->pty);
    close(p->ctl);
    close(p->ctl_sim);
    drv_sim_free(p->sim);
}

static inline drv_dev *open_ok(const char *driver, const char *port, const char *serial,
                        const char *const *opts, struct drv_trace_writer *rec)
{
    drv_dev *d = NULL;
    struct cd_err err = {0};
    if (drv_open(driver, port, serial, opts, rec, &d, &err) != 0)
        fail_msg("drv_open %s %s: %s", driver, port, cd_err_text(&err));
    return d;
}

static inline void read_ok(drv_dev *d, struct drv_reading *r)
{
    struct cd_err err = {0};
    if (drv_read(d, r, &err) != 0)
        fail_msg("drv_read: %s", cd_err_text(&err));
    assert_true(r->t > 1e9);
}

/* drv_read fails with `code` and a message holding `why`. */
static inline void read_fails(drv_dev *d, int code, const char *why)
{
    struct drv_reading r;
    struct cd_err err = {0};
    int rc = drv_read(d, &r, &err);
    if (rc != code || strstr(err.msg, why) == NULL)
        fail_msg("drv_read: %d \"%s\", expected %d \"%s\"", rc, err.msg, code, why);
}

#endif
