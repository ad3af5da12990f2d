/* make bench: a small HTTP/1.1 load generator for tools/bench/portal.
 * THREADS connections kept alive, each sending GET PATH again as soon as
 * the last reply is read whole (Content-Length), for SECONDS; prints
 *   BENCH path=PATH rps=N errors=N
 * A reply other than 200 counts as an error. Plain sockets: the figure is
 * the server's, with one client process beside it on the same machine.
 *
 *   bench_http HOST PORT PATH THREADS SECONDS */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct job {
    struct sockaddr_in addr;
    const char *path;
    double until;
    long done, errors;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int dial(const struct sockaddr_in *a)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (const struct sockaddr *)a, sizeof *a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void *worker(void *arg)
{
    struct job *j = arg;
    char req[512], buf[1 << 16];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: bench\r\n\r\n", j->path);
    int fd = dial(&j->addr);
    while (fd >= 0 && now() < j->until) {
        if (write(fd, req, (size_t)n) != n)
            goto reconnect;
        /* the head, then Content-Length bytes of body */
        size_t have = 0;
        char *end = NULL;
        while (end == NULL) {
            ssize_t got = read(fd, buf + have, sizeof buf - 1 - have);
            if (got <= 0)
                goto reconnect;
            have += (size_t)got;
            buf[have] = '\0';
            end = strstr(buf, "\r\n\r\n");
            if (end == NULL && have == sizeof buf - 1)
                goto reconnect;
        }
        int status = atoi(buf + 9);
        const char *cl = strcasestr(buf, "\r\nContent-Length:");
        size_t body = cl ? strtoul(cl + 17, NULL, 10) : 0;
        size_t got_body = have - (size_t)(end + 4 - buf);
        while (got_body < body) {
            ssize_t got = read(fd, buf, sizeof buf);
            if (got <= 0)
                goto reconnect;
            got_body += (size_t)got;
        }
        if (status == 200)
            j->done++;
        else
            j->errors++;
        continue;
    reconnect:
        j->errors++;
        close(fd);
        fd = dial(&j->addr);
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: bench_http HOST PORT PATH THREADS SECONDS\n");
        return 2;
    }
    int threads = atoi(argv[4]);
    double seconds = atof(argv[5]);
    if (threads < 1 || threads > 256 || !(seconds > 0))
        return 2;
    struct job jobs[256];
    pthread_t t[256];
    double start = now();
    for (int i = 0; i < threads; i++) {
        jobs[i] = (struct job){.path = argv[3], .until = start + seconds};
        jobs[i].addr.sin_family = AF_INET;
        jobs[i].addr.sin_port = htons((uint16_t)atoi(argv[2]));
        inet_pton(AF_INET, argv[1], &jobs[i].addr.sin_addr);
        pthread_create(&t[i], NULL, worker, &jobs[i]);
    }
    long done = 0, errors = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        done += jobs[i].done;
        errors += jobs[i].errors;
    }
    double el = now() - start;
    printf("BENCH path=%s rps=%.0f errors=%ld\n", argv[3], done / el, errors);
    return errors > done / 100 ? 1 : 0;
}
