/* Test harness shared by the Modbus tests (test_modbus.c, test_dmm_gauge.c):
 * a loopback listener, and our Modbus simulator serving TCP connections in
 * a thread. Include after <cmocka.h>. */
#ifndef CALDAQ_TEST_MODBUS_HARNESS_H
#define CALDAQ_TEST_MODBUS_HARNESS_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "drv.h"

/* A listening socket on 127.0.0.1 at a port the kernel picks. */
static int listen_loopback(int *port)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(s >= 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s, 4), 0);
    socklen_t al = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &al);
    *port = ntohs(a.sin_port);
    return s;
}

/* The simulator on a loopback TCP listener, serving `conns` connections
 * one after the other in a thread. */
struct tcp_sim {
    drv_sim *sim;
    int listen_fd;
    int port;
    int conns;
    pthread_t thread;
    int rc;
    struct cd_err err;
    char name[64];          /* "tcp:127.0.0.1:PORT" */
};

static void *tcp_sim_main(void *arg)
{
    struct tcp_sim *t = arg;
    for (int i = 0; i < t->conns && t->rc == 0; i++) {
        /* A client that never comes (a peer that failed to start) must
         * not keep the test waiting: 15 s, then the test fails. */
        struct pollfd p = {.fd = t->listen_fd, .events = POLLIN};
        if (poll(&p, 1, 15000) != 1) {
            t->rc = cd_fail(&t->err, CD_ERR_TIMEOUT, "no client connected within 15 s");
            break;
        }
        int fd = accept(t->listen_fd, NULL, NULL);
        if (fd < 0) {
            t->rc = -1;
            break;
        }
        int rc = drv_sim_serve(t->sim, fd, -1, &t->err);
        close(fd);
        if (rc < 0)
            t->rc = rc;
    }
    return NULL;
}

/* `options` NULL-terminated, for drv_sim_new("modbus", ...). */
static void tcp_sim_start(struct tcp_sim *t, const char *const *options, int conns)
{
    memset(t, 0, sizeof *t);
    struct cd_err err = {0};
    if (drv_sim_new("modbus", options, &t->sim, &err) != 0)
        fail_msg("drv_sim_new: %s", cd_err_text(&err));
    t->listen_fd = listen_loopback(&t->port);
    t->conns = conns;
    snprintf(t->name, sizeof t->name, "tcp:127.0.0.1:%d", t->port);
    assert_int_equal(pthread_create(&t->thread, NULL, tcp_sim_main, t), 0);
}

static void tcp_sim_stop(struct tcp_sim *t)
{
    pthread_join(t->thread, NULL);
    if (t->rc != 0)
        fail_msg("simulator: %d %s", t->rc, cd_err_text(&t->err));
    close(t->listen_fd);
    drv_sim_free(t->sim);
}

#endif
