#define _DEFAULT_SOURCE /* cfmakeraw, CRTSCTS */
/* Modbus RTU and TCP through libmodbus (drv.h, "Modbus RTU / TCP").
 *
 * libmodbus does its own I/O, so to record the conversation we put a proxy
 * between it and the instrument, and libmodbus talks to the proxy:
 *   - TCP: libmodbus gets one end of a socketpair (modbus_set_socket); we
 *     connect to the instrument ourselves. A socketpair rather than a
 *     loopback listener: no port another local process could connect to
 *     first, and no accept() to wait for.
 *   - RTU: libmodbus opens the slave of a pseudo-terminal; we open the real
 *     serial device with plain termios (we need its file descriptor to poll
 *     it beside the pty master, which a drv_transport does not expose).
 * A thread shuttles the bytes both ways and queues each chunk with its time.
 * The queue is written to the trace by the caller's thread, at the end of
 * every drv_modbus_* call and at close, so the trace writer (which is not
 * thread-safe) is only ever used from the thread that owns it. Each reply
 * is queued before it is forwarded to libmodbus, so by the time libmodbus
 * returns, the request and its reply are both in the queue. Consecutive
 * chunks in one direction are merged: one record per RTU frame / TCP ADU.
 *
 * libmodbus errors (errno, modbus_strerror) become cd_err messages here and
 * nowhere else: exceptions CD_ERR_DEVICE naming the exception, no answer
 * CD_ERR_TIMEOUT, a bad CRC or a malformed reply CD_ERR_PROTOCOL, the peer
 * gone CD_ERR_DISCONNECTED.
 *
 * timeout_ms <= 0 means 1000 ms. RTU takes parity N, E or O and no flow
 * control (libmodbus sets neither mark/space parity nor RTS/CTS).
 */
#include "drv.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <modbus.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "port_lock.h"
#include "cd_i18n.h"

#define DEFAULT_TIMEOUT_MS 1000
#define PROXY_CHUNK 512

/* ------------------------------------------------------------ proxy */

struct chunk {
    double t;
    char dir;               /* '>' '<' or '!' (data is the event name) */
    size_t off, len;        /* in the pool */
};

struct proxy {
    int lib_fd;             /* the side libmodbus talks to: socketpair end, pty master */
    int dev_fd;             /* the instrument: TCP socket or serial device */
    bool lib_is_socket, dev_is_socket;
    int stop[2];            /* a pipe: written to stop the thread */
    pthread_t thread;
    bool running;
    const struct drv_trace_writer *rec; /* only for drv_trace_writer_now() */

    pthread_mutex_t lock;   /* guards everything below */
    struct chunk *chunks;
    size_t n_chunks, cap_chunks;
    uint8_t *pool;
    size_t used, cap_pool;
    bool dev_gone;          /* the instrument closed or failed */
    int fail_code;          /* first failure inside the thread */
    char fail_msg[160];
};

static void proxy_failed(struct proxy *p, int code, const char *what, int e)
{
    if (p->fail_code == 0) {
        p->fail_code = code;
        snprintf(p->fail_msg, sizeof p->fail_msg, "%s: %s", what, strerror(e));
    }
}

/* Queue bytes (or an event name) under p->lock. Memory grows as needed
 * and is reused after each drain, so a steady conversation allocates
 * nothing. */
static void proxy_queue(struct proxy *p, char dir, double t, const uint8_t *b, size_t n)
{
    if (p->used + n > p->cap_pool) {
        size_t cap = p->cap_pool ? p->cap_pool : 1024;
        while (cap < p->used + n)
            cap *= 2;
        uint8_t *pool = realloc(p->pool, cap);
        if (pool == NULL) {
            proxy_failed(p, CD_ERR_NOMEM, "recording Modbus traffic", ENOMEM);
            return;
        }
        p->pool = pool;
        p->cap_pool = cap;
    }
    struct chunk *last = p->n_chunks > 0 ? &p->chunks[p->n_chunks - 1] : NULL;
    if (last != NULL && dir != '!' && last->dir == dir && last->off + last->len == p->used) {
        memcpy(p->pool + p->used, b, n);
        p->used += n;
        last->len += n;
        return;
    }
    if (p->n_chunks == p->cap_chunks) {
        size_t cap = p->cap_chunks ? 2 * p->cap_chunks : 16;
        struct chunk *c = realloc(p->chunks, cap * sizeof *c);
        if (c == NULL) {
            proxy_failed(p, CD_ERR_NOMEM, "recording Modbus traffic", ENOMEM);
            return;
        }
        p->chunks = c;
        p->cap_chunks = cap;
    }
    memcpy(p->pool + p->used, b, n);
    p->chunks[p->n_chunks++] = (struct chunk){.t = t, .dir = dir, .off = p->used, .len = n};
    p->used += n;
}

static void proxy_note(struct proxy *p, char dir, const uint8_t *b, size_t n)
{
    double t = drv_trace_writer_now(p->rec);
    pthread_mutex_lock(&p->lock);
    proxy_queue(p, dir, t, b, n);
    pthread_mutex_unlock(&p->lock);
}

/* Write all of b to fd, giving up when asked to stop. 0 or an errno. */
static int write_all(struct proxy *p, int fd, bool is_socket, const uint8_t *b, size_t n)
{
    while (n > 0) {
        ssize_t w = is_socket ? send(fd, b, n, MSG_NOSIGNAL) : write(fd, b, n);
        if (w > 0) {
            b += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return errno;
        struct pollfd pf[2] = {{.fd = fd, .events = POLLOUT}, {.fd = p->stop[0], .events = POLLIN}};
        if (poll(pf, 2, -1) < 0 && errno != EINTR)
            return errno;
        if (pf[1].revents != 0)
            return ECANCELED;
    }
    return 0;
}

static void proxy_dev_gone(struct proxy *p, int e)
{
    static const uint8_t ev[] = "disconnect";
    double t = drv_trace_writer_now(p->rec);
    pthread_mutex_lock(&p->lock);
    if (!p->dev_gone) {
        p->dev_gone = true;
        proxy_queue(p, '!', t, ev, sizeof ev - 1);
        if (e != 0)
            proxy_failed(p, CD_ERR_DISCONNECTED, "the instrument connection", e);
    }
    pthread_mutex_unlock(&p->lock);
    /* libmodbus then sees the connection close rather than a timeout. */
    if (p->lib_is_socket)
        shutdown(p->lib_fd, SHUT_RDWR);
}

static void *proxy_main(void *arg)
{
    struct proxy *p = arg;
    uint8_t buf[PROXY_CHUNK];
    bool lib_open = true, dev_open = true;
    for (;;) {
        struct pollfd pf[3] = {
            {.fd = lib_open ? p->lib_fd : -1, .events = POLLIN},
            {.fd = dev_open ? p->dev_fd : -1, .events = POLLIN},
            {.fd = p->stop[0], .events = POLLIN},
        };
        if (poll(pf, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            pthread_mutex_lock(&p->lock);
            proxy_failed(p, CD_ERR_IO, "poll", errno);
            pthread_mutex_unlock(&p->lock);
            break;
        }
        if (pf[2].revents != 0)
            break;
        /* The instrument first: what it said (or its hang-up) came before
         * what the host sends in the same wake-up. */
        if (pf[1].revents != 0) {
            ssize_t n = read(p->dev_fd, buf, sizeof buf);
            if (n > 0) {
                /* Queue first, then forward: when libmodbus has the reply,
                 * the recording has it too. */
                proxy_note(p, DRV_DIR_INSTR, buf, (size_t)n);
                if (lib_open) {
                    int e = write_all(p, p->lib_fd, p->lib_is_socket, buf, (size_t)n);
                    if (e == ECANCELED)
                        break;
                    if (e != 0)
                        lib_open = false;
                }
            } else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
                dev_open = false;
                proxy_dev_gone(p, n == 0 ? 0 : errno);
            }
        }
        if (pf[0].revents != 0) {
            ssize_t n = read(p->lib_fd, buf, sizeof buf);
            if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
                lib_open = false;   /* libmodbus closed its side */
            } else if (n > 0 && dev_open) {
                /* (Once the instrument is gone, host bytes go nowhere and
                 * are not recorded after its "! disconnect".) */
                proxy_note(p, DRV_DIR_HOST, buf, (size_t)n);
                int e = write_all(p, p->dev_fd, p->dev_is_socket, buf, (size_t)n);
                if (e == ECANCELED)
                    break;
                if (e != 0) {
                    dev_open = false;
                    proxy_dev_gone(p, e);
                }
            }
        }
    }
    return NULL;
}

static void set_nonblock_cloexec(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* Takes lib_fd and dev_fd (closed by proxy_free, or here on failure). */
static int proxy_start(int lib_fd, bool lib_is_socket, int dev_fd, bool dev_is_socket,
                       const struct drv_trace_writer *rec, struct proxy **out,
                       struct cd_err *err)
{
    *out = NULL;
    struct proxy *p = calloc(1, sizeof *p);
    if (p == NULL) {
        close(lib_fd);
        close(dev_fd);
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    }
    p->lib_fd = lib_fd;
    p->dev_fd = dev_fd;
    p->lib_is_socket = lib_is_socket;
    p->dev_is_socket = dev_is_socket;
    p->rec = rec;
    p->stop[0] = p->stop[1] = -1;
    pthread_mutex_init(&p->lock, NULL);
    if (pipe(p->stop) < 0) {
        int e = errno;
        p->stop[0] = p->stop[1] = -1;
        *out = p;
        return cd_fail(err, CD_ERR_IO, _("pipe: %s"), strerror(e));
    }
    set_nonblock_cloexec(p->stop[0]);
    set_nonblock_cloexec(p->stop[1]);
    set_nonblock_cloexec(lib_fd);
    set_nonblock_cloexec(dev_fd);
    *out = p;
    int rc = pthread_create(&p->thread, NULL, proxy_main, p);
    if (rc != 0)
        return cd_fail(err, CD_ERR_IO, _("starting the Modbus recorder thread: %s"), strerror(rc));
    p->running = true;
    return 0;
}

static void proxy_stop(struct proxy *p)
{
    if (p == NULL || !p->running)
        return;
    static const char one = 1;
    while (write(p->stop[1], &one, 1) < 0 && errno == EINTR)
        continue;
    pthread_join(p->thread, NULL);
    p->running = false;
}

/* Write what the proxy queued to the trace. 0 or the first failure. */
static int proxy_drain(struct proxy *p, struct drv_trace_writer *rec, struct cd_err *err)
{
    if (p == NULL)
        return 0;
    int rc = 0;
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->n_chunks; i++) {
        const struct chunk *c = &p->chunks[i];
        int r;
        if (c->dir == '!') {
            char ev[32];
            snprintf(ev, sizeof ev, "%.*s", (int)c->len, (const char *)p->pool + c->off);
            r = drv_trace_writer_event(rec, c->t, ev, err);
        } else {
            r = drv_trace_writer_bytes(rec, (enum drv_dir)c->dir, c->t, p->pool + c->off, c->len,
                                       err);
        }
        if (r != 0 && rc == 0)
            rc = r;
    }
    p->n_chunks = 0;
    p->used = 0;
    if (p->fail_code != 0 && p->fail_code != CD_ERR_DISCONNECTED && rc == 0) {
        rc = cd_fail(err, p->fail_code, "%s", p->fail_msg);
        p->fail_code = 0;
    }
    pthread_mutex_unlock(&p->lock);
    return rc;
}

static bool proxy_dev_is_gone(struct proxy *p)
{
    if (p == NULL)
        return false;
    pthread_mutex_lock(&p->lock);
    bool gone = p->dev_gone;
    pthread_mutex_unlock(&p->lock);
    return gone;
}

static void proxy_free(struct proxy *p)
{
    if (p == NULL)
        return;
    proxy_stop(p);
    if (p->stop[0] >= 0)
        close(p->stop[0]);
    if (p->stop[1] >= 0)
        close(p->stop[1]);
    if (p->lib_fd >= 0)
        close(p->lib_fd);
    if (p->dev_fd >= 0)
        close(p->dev_fd);
    pthread_mutex_destroy(&p->lock);
    free(p->chunks);
    free(p->pool);
    free(p);
}

/* ------------------------------------------------------------ handle */

struct drv_modbus {
    modbus_t *ctx;
    char port[256];         /* as the user typed it */
    int unit_id;
    int timeout_ms;
    bool tcp;
    struct drv_trace_writer *rec;   /* not owned */
    struct proxy *proxy;            /* only when recording */
    struct drv_pty pty;             /* RTU recording: libmodbus opens pty.path */
    bool have_pty;
    struct drv_port_lock *lock;     /* RTU: the serial port's lock */
};

/* ------------------------------------------------------------ ports */

/* "tcp:HOST:PORT", "tcp:[::1]:502". */
static int parse_tcp_port(const char *port, char *host, size_t host_cap, char *service,
                          size_t service_cap, struct cd_err *err)
{
    const char *rest = port + 4;
    const char *colon = strrchr(rest, ':');
    if (colon == NULL || colon == rest || colon[1] == '\0')
        return cd_fail(err, CD_ERR_INVALID, _("port \"%s\": expected tcp:HOST:PORT"), port);
    char *end = NULL;
    long n = strtol(colon + 1, &end, 10);
    if (*end != '\0' || n < 1 || n > 65535)
        return cd_fail(err, CD_ERR_INVALID, _("port \"%s\": '%s' is not a TCP port number"), port,
                       colon + 1);
    const char *h = rest;
    size_t hl = (size_t)(colon - rest);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    if (hl == 0 || hl >= host_cap)
        return cd_fail(err, CD_ERR_INVALID, _("port \"%s\": bad host name"), port);
    memcpy(host, h, hl);
    host[hl] = '\0';
    snprintf(service, service_cap, "%ld", n);
    return 0;
}

static int wait_connected(int fd, int timeout_ms)
{
    struct pollfd pf = {.fd = fd, .events = POLLOUT};
    int rc;
    do
        rc = poll(&pf, 1, timeout_ms);
    while (rc < 0 && errno == EINTR);
    if (rc == 0)
        return ETIMEDOUT;
    if (rc < 0)
        return errno;
    int e = 0;
    socklen_t len = sizeof e;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
        return errno;
    return e;
}

/* Connect to the instrument ourselves (recording). The fd, or a negative cd_code. */
static int tcp_connect(const char *port, const char *host, const char *service, int timeout_ms,
                       struct cd_err *err)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    int g = getaddrinfo(host, service, &hints, &ai);
    if (g != 0)
        return cd_fail(err, CD_ERR_NOT_FOUND, "%s: %s", port, gai_strerror(g));
    int last = ECONNREFUSED;
    int fd = -1;
    for (struct addrinfo *a = ai; a != NULL; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd < 0) {
            last = errno;
            continue;
        }
        set_nonblock_cloexec(fd);
        int e = 0;
        if (connect(fd, a->ai_addr, a->ai_addrlen) < 0)
            e = errno == EINPROGRESS ? wait_connected(fd, timeout_ms) : errno;
        if (e == 0)
            break;
        last = e;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    if (fd < 0) {
        if (last == ETIMEDOUT)
            return cd_fail(err, CD_ERR_TIMEOUT, _("%s: no connection within %d ms"), port,
                           timeout_ms);
        return cd_fail(err, CD_ERR_IO, _("%s: connect: %s"), port, strerror(last));
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static speed_t baud_constant(int baud)
{
    static const struct {
        int baud;
        speed_t c;
    } rates[] = {
        {50, B50},         {75, B75},         {110, B110},       {134, B134},
        {150, B150},       {200, B200},       {300, B300},       {600, B600},
        {1200, B1200},     {1800, B1800},     {2400, B2400},     {4800, B4800},
        {9600, B9600},     {19200, B19200},   {38400, B38400},   {57600, B57600},
        {115200, B115200}, {230400, B230400}, {460800, B460800}, {921600, B921600},
    };
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++)
        if (rates[i].baud == baud)
            return rates[i].c;
    return (speed_t)-1;
}

/* The real serial device for the RTU proxy: raw, the user's frame. */
static int serial_open(const char *path, const struct drv_serial_settings *s,
                       struct cd_err *err)
{
    speed_t speed = baud_constant(s->baud);
    if (speed == (speed_t)-1)
        return cd_fail(err, CD_ERR_UNSUPPORTED, _("%s: %d baud is not a standard rate"), path,
                       s->baud);
    int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return cd_fail(err, errno == ENOENT ? CD_ERR_NOT_FOUND : CD_ERR_IO, "%s: %s", path,
                       strerror(errno));
    struct termios tio;
    if (tcgetattr(fd, &tio) < 0) {
        int e = errno;
        close(fd);
        return cd_fail(err, CD_ERR_IO, _("%s: not a serial port: %s"), path, strerror(e));
    }
    cfmakeraw(&tio);
    tio.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
    tio.c_cflag |= CREAD | CLOCAL;
    static const tcflag_t sizes[] = {CS5, CS6, CS7, CS8};
    tio.c_cflag |= sizes[s->data_bits - 5];
    if (s->parity == DRV_PARITY_EVEN || s->parity == DRV_PARITY_ODD) {
        tio.c_cflag |= PARENB;
        tio.c_iflag |= INPCK;
        if (s->parity == DRV_PARITY_ODD)
            tio.c_cflag |= PARODD;
    }
    if (s->stop_bits == 2)
        tio.c_cflag |= CSTOPB;
    tio.c_cc[VMIN] = 0;
    tio.c_cc[VTIME] = 0;
    cfsetispeed(&tio, speed);
    cfsetospeed(&tio, speed);
    if (tcsetattr(fd, TCSANOW, &tio) < 0) {
        int e = errno;
        close(fd);
        return cd_fail(err, CD_ERR_IO, _("%s: cannot set %d baud: %s"), path, s->baud,
                       strerror(e));
    }
    tcflush(fd, TCIOFLUSH);
    return fd;
}

/* ------------------------------------------------------------ errors */

static const char *exception_name(int code)
{
    switch (code) {
    case 0x01: return "illegal function";
    case 0x02: return "illegal data address";
    case 0x03: return "illegal data value";
    case 0x04: return "server device failure";
    case 0x05: return "acknowledge";
    case 0x06: return "server device busy";
    case 0x07: return "negative acknowledge";
    case 0x08: return "memory parity error";
    case 0x0A: return "gateway path unavailable";
    case 0x0B: return "gateway target device failed to respond";
    default: return "unknown exception";
    }
}

/* errno `e` from a libmodbus call becomes a cd_err; `what` says what we
 * were doing ("reading 2 registers at 0x0002"). */
static int modbus_fail(drv_modbus *m, int e, const char *what, struct cd_err *err)
{
    if (e >= EMBXILFUN && e <= EMBXGTAR) {
        int code = e - MODBUS_ENOBASE;
        return cd_fail(err, CD_ERR_DEVICE, _("%s unit %d: Modbus exception %02X (%s) %s"), m->port,
                       m->unit_id, code, exception_name(code), what);
    }
    if (proxy_dev_is_gone(m->proxy) || e == ECONNRESET || e == EPIPE || e == ENOTCONN)
        return cd_fail(err, CD_ERR_DISCONNECTED, _("%s unit %d: the instrument went away %s"),
                       m->port, m->unit_id, what);
    switch (e) {
    case ETIMEDOUT:
        return cd_fail(err, CD_ERR_TIMEOUT, _("%s unit %d: no answer within %d ms %s"), m->port,
                       m->unit_id, m->timeout_ms, what);
    case EMBBADCRC:
        return cd_fail(err, CD_ERR_PROTOCOL, _("%s unit %d: bad CRC in the reply %s"), m->port,
                       m->unit_id, what);
    case EMBBADDATA:
    case EMBBADEXC:
    case EMBUNKEXC:
    case EMBMDATA:
    case EMBBADSLAVE:
        return cd_fail(err, CD_ERR_PROTOCOL, _("%s unit %d: %s %s"), m->port, m->unit_id,
                       modbus_strerror(e), what);
    case EINVAL:
        return cd_fail(err, CD_ERR_INVALID, _("%s unit %d: %s %s"), m->port, m->unit_id,
                       modbus_strerror(e), what);
    default:
        return cd_fail(err, CD_ERR_IO, _("%s unit %d: %s %s"), m->port, m->unit_id,
                       modbus_strerror(e), what);
    }
}

/* ------------------------------------------------------------ open */

static int open_tcp(drv_modbus *m, struct cd_err *err)
{
    char host[256], service[16];
    int rc = parse_tcp_port(m->port, host, sizeof host, service, sizeof service, err);
    if (rc != 0)
        return rc;
    if (m->unit_id < 0 || m->unit_id > 255)
        return cd_fail(err, CD_ERR_INVALID, _("%s: unit id %d is not 0-255"), m->port, m->unit_id);
    m->ctx = modbus_new_tcp_pi(host, service);
    if (m->ctx == NULL)
        return cd_fail(err, errno == ENOMEM ? CD_ERR_NOMEM : CD_ERR_INVALID, "%s: %s", m->port,
                       modbus_strerror(errno));
    if (m->rec == NULL)
        return 0;

    int dev = tcp_connect(m->port, host, service, m->timeout_ms, err);
    if (dev < 0)
        return dev;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
        int e = errno;
        close(dev);
        return cd_fail(err, CD_ERR_IO, _("socketpair: %s"), strerror(e));
    }
    fcntl(sv[0], F_SETFD, FD_CLOEXEC);
    /* libmodbus owns sv[0] from here (modbus_close closes it). */
    modbus_set_socket(m->ctx, sv[0]);
    return proxy_start(sv[1], true, dev, true, m->rec, &m->proxy, err);
}

static int open_rtu(drv_modbus *m, const char *serial, struct cd_err *err)
{
    struct drv_serial_settings s;
    int rc = drv_serial_settings_parse(serial != NULL ? serial : "9600,8N1", &s, err);
    if (rc != 0)
        return rc;
    char parity;
    switch (s.parity) {
    case DRV_PARITY_NONE: parity = 'N'; break;
    case DRV_PARITY_EVEN: parity = 'E'; break;
    case DRV_PARITY_ODD: parity = 'O'; break;
    default:
        return cd_fail(err, CD_ERR_UNSUPPORTED,
                       _("%s: Modbus RTU takes parity N, E or O, not mark or space"), m->port);
    }
    if (s.flow != DRV_FLOW_NONE)
        return cd_fail(err, CD_ERR_UNSUPPORTED, _("%s: Modbus RTU has no flow control"), m->port);
    if (m->unit_id < 1 || m->unit_id > 247)
        return cd_fail(err, CD_ERR_INVALID, _("%s: unit id %d is not 1-247"), m->port, m->unit_id);
    /* The same checks and lock as every serial port (port_lock.h); no
     * exclusive mode (TIOCEXCL): a session reads a gauge and a
     * thermo-hygrometer on one RS-485 bus by opening it twice. */
    char real[PATH_MAX];
    if (realpath(m->port, real) == NULL)
        snprintf(real, sizeof real, "%s", m->port);
    rc = drv_port_check(m->port, real, err);
    if (rc == 0)
        rc = drv_port_lock(m->port, real, &m->lock, err);
    if (rc != 0)
        return rc;

    const char *device = m->port;
    if (m->rec != NULL) {
        int dev = serial_open(m->port, &s, err);
        if (dev < 0)
            return dev;
        rc = drv_pty_open(&m->pty, NULL, err);
        if (rc != 0) {
            close(dev);
            return rc;
        }
        m->have_pty = true;
        /* The proxy takes the master; drv_pty_close must not close it again. */
        int master = m->pty.master;
        m->pty.master = -1;
        rc = proxy_start(master, false, dev, false, m->rec, &m->proxy, err);
        if (rc != 0)
            return rc;
        device = m->pty.path;
    }
    m->ctx = modbus_new_rtu(device, s.baud, parity, s.data_bits, s.stop_bits);
    if (m->ctx == NULL)
        return cd_fail(err, errno == ENOMEM ? CD_ERR_NOMEM : CD_ERR_INVALID, "%s: %s", m->port,
                       modbus_strerror(errno));
    return 0;
}

int drv_modbus_open(const char *port, const char *serial, int unit_id, int timeout_ms,
                    struct drv_trace_writer *rec, drv_modbus **out, struct cd_err *err)
{
    if (out == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("drv_modbus_open: no place for the handle"));
    *out = NULL;
    if (port == NULL || port[0] == '\0')
        return cd_fail(err, CD_ERR_INVALID, _("no Modbus port given"));
    if (strlen(port) >= sizeof ((drv_modbus *)0)->port)
        return cd_fail(err, CD_ERR_INVALID, _("port name too long"));
    if (timeout_ms < 0)
        return cd_fail(err, CD_ERR_INVALID, _("%s: negative timeout %d ms"), port, timeout_ms);
    drv_modbus *m = calloc(1, sizeof *m);
    if (m == NULL)
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    snprintf(m->port, sizeof m->port, "%s", port);
    m->unit_id = unit_id;
    m->timeout_ms = timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS;
    m->rec = rec;
    m->tcp = strncmp(port, "tcp:", 4) == 0;
    m->pty.master = m->pty.slave = -1;

    int rc = m->tcp ? open_tcp(m, err) : open_rtu(m, serial, err);
    if (rc != 0)
        goto fail;
    if (modbus_set_slave(m->ctx, unit_id) < 0) {
        rc = cd_fail(err, CD_ERR_INVALID, _("%s: unit id %d: %s"), port, unit_id,
                     modbus_strerror(errno));
        goto fail;
    }
    uint32_t sec = (uint32_t)(m->timeout_ms / 1000);
    uint32_t usec = (uint32_t)(m->timeout_ms % 1000) * 1000;
    modbus_set_response_timeout(m->ctx, sec, usec);
    /* Between the bytes of one reply: libmodbus's 500 ms, or less when the
     * whole answer is wanted sooner. */
    if (m->timeout_ms < 500)
        modbus_set_byte_timeout(m->ctx, sec, usec);
    /* With the TCP proxy libmodbus already holds its socket. */
    if (!(m->tcp && m->proxy != NULL) && modbus_connect(m->ctx) < 0) {
        int e = errno;
        if (e == ETIMEDOUT || e == EINPROGRESS)
            rc = cd_fail(err, CD_ERR_TIMEOUT, _("%s: no connection within %d ms"), port,
                         m->timeout_ms);
        else
            rc = cd_fail(err, e == ENOENT ? CD_ERR_NOT_FOUND : CD_ERR_IO, "%s: %s", port,
                         modbus_strerror(e));
        goto fail;
    }
    *out = m;
    return 0;
fail:
    drv_modbus_close(m);
    return rc;
}

/* ------------------------------------------------------------ I/O */

/* After a libmodbus call: flush a late reply after a timeout, write the
 * recording, and turn errno into a cd_err. The first failure wins. */
static int finish(drv_modbus *m, int rc, int e, const char *what, struct cd_err *err)
{
    int result = 0;
    if (rc < 0) {
        if (e == ETIMEDOUT)
            modbus_flush(m->ctx);
        result = modbus_fail(m, e, what, err);
    }
    int d = proxy_drain(m->proxy, m->rec, err);
    return result != 0 ? result : d;
}

int drv_modbus_read_registers(drv_modbus *m, int function, int address, int count,
                              uint16_t *out, struct cd_err *err)
{
    if (m == NULL || out == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("drv_modbus_read_registers: no handle or buffer"));
    if (function != 3 && function != 4)
        return cd_fail(err, CD_ERR_INVALID,
                       _("%s: function %d: registers are read with function 3 (holding) or 4 "
                       "(input)"),
                       m->port, function);
    if (count < 1 || count > MODBUS_MAX_READ_REGISTERS)
        return cd_fail(err, CD_ERR_INVALID, _("%s: cannot read %d registers at once (1-%d)"),
                       m->port, count, MODBUS_MAX_READ_REGISTERS);
    if (address < 0 || address + count > 0x10000)
        return cd_fail(err, CD_ERR_INVALID, _("%s: register address %d out of range (0-65535)"),
                       m->port, address);
    char what[96];
    snprintf(what, sizeof what, "reading %d register%s at 0x%04X (function %02d)", count,
             count == 1 ? "" : "s", (unsigned)address, function);
    errno = 0;
    int rc = function == 3 ? modbus_read_registers(m->ctx, address, count, out)
                           : modbus_read_input_registers(m->ctx, address, count, out);
    int e = errno;
    int r = finish(m, rc, e, what, err);
    if (r != 0)
        return r;
    if (rc != count)
        return cd_fail(err, CD_ERR_PROTOCOL, _("%s unit %d: %d registers in the reply %s"),
                       m->port, m->unit_id, rc, what);
    return 0;
}

int drv_modbus_write_register(drv_modbus *m, int address, uint16_t value, struct cd_err *err)
{
    if (m == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("drv_modbus_write_register: no handle"));
    if (address < 0 || address > 0xFFFF)
        return cd_fail(err, CD_ERR_INVALID, _("%s: register address %d out of range (0-65535)"),
                       m->port, address);
    char what[96];
    snprintf(what, sizeof what, "writing 0x%04X to register 0x%04X (function 06)", value,
             (unsigned)address);
    errno = 0;
    int rc = modbus_write_register(m->ctx, address, value);
    int e = errno;
    return finish(m, rc, e, what, err);
}

int drv_modbus_write_registers(drv_modbus *m, int address, int count, const uint16_t *values,
                               struct cd_err *err)
{
    if (m == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("drv_modbus_write_registers: no handle"));
    if (address < 0 || count < 1 || count > 123 || address + count > 0x10000)
        return cd_fail(err, CD_ERR_INVALID,
                       _("%s: writing %d registers at %d: out of range (1-123 registers, "
                       "addresses 0-65535)"),
                       m->port, count, address);
    char what[96];
    snprintf(what, sizeof what, "writing %d register%s at 0x%04X (function 16)", count,
             count == 1 ? "" : "s", (unsigned)address);
    errno = 0;
    int rc = modbus_write_registers(m->ctx, address, count, values);
    int e = errno;
    return finish(m, rc, e, what, err);
}

void drv_modbus_close(drv_modbus *m)
{
    if (m == NULL)
        return;
    if (m->ctx != NULL) {
        modbus_close(m->ctx);
        modbus_free(m->ctx);
    }
    if (m->proxy != NULL) {
        proxy_stop(m->proxy);
        proxy_drain(m->proxy, m->rec, NULL);  /* late bytes, e.g. after a timeout */
        proxy_free(m->proxy);
    }
    if (m->have_pty)
        drv_pty_close(&m->pty);
    drv_port_unlock(m->lock);
    free(m);
}
