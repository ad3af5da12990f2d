/* The simulator core: options, the instrument model, the serve loop,
 * generic faults and control commands. Protocols live beside it (one file
 * each) behind struct sim_protocol (sim_priv.h). User documentation:
 * docs/simulators.md.
 *
 * The instrument model. A script of loads (set-points) is walked by the
 * control commands next/prev/load or by a timer (advance_s). After a load
 * change the noise-free indication approaches the new load exponentially:
 *     I(t) = L + (I0 - L) exp(-(t - tc) / tau),
 * with tau chosen so that the deviation is down to half the stability
 * band (stable_band, default half a resolution step) settle_s after the
 * change: tau = settle_s / ln(2 |I0 - L| / band). The reading is unstable
 * until then, so a stable noise-free reading shows the load exactly; a
 * step no larger than the band is stable at once. The indicated gross
 * value adds drift (drift_per_s times the seconds since the simulator was
 * made) and Gaussian noise, subtracts the zero offset, and is rounded to
 * the resolution; net = gross - tare.
 * Overload: the load is above capacity (capacity > 0); underload: the load
 * is negative (a pan removed). Time is the monotonic clock; the advance
 * timer is evaluated lazily from it, so no wake-up is needed for it.
 *
 * Random numbers: xoshiro256** (Blackman & Vigna, public domain reference
 * algorithm) seeded through splitmix64 from seed=, and the Marsaglia polar
 * method for normal deviates; the same seed and the same sequence of
 * readings give the same noise.
 *
 * The serve loop (drv_sim_serve) polls the host fd, the control fd (a
 * stream, or a listening socket whose clients it accepts), a wake-up pipe
 * (for "quit" from another thread) and one deadline: the protocol's timer,
 * the next delayed reply, or dropping an incomplete request. It never
 * busy-waits. Host going away: on a socket, read() returning 0 (or a reset)
 * ends the call with 0. On a pty master, read() returns EIO (or 0) while no
 * slave is open; that is a host that closed the port and may open it
 * again, so the call keeps serving, checking the master again every 200 ms
 * (poll() would report POLLHUP continuously), until a quit or a fault.
 */
#include "sim_priv.h"
#include "cd_i18n.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ registry */

/* The protocols. To add one: define its const struct sim_protocol in
 * drivers/sim/<name>.c, declare it in sim_priv.h, list it here and in
 * `names` below (same order). */
static const struct sim_protocol *const protocols[] = {
    &sim_protocol_mtsics,
    &sim_protocol_sbi,
    &sim_protocol_aandd,
    &sim_protocol_scpi,
    &sim_protocol_modbus,
    &sim_protocol_fluke_ttr,
    &sim_protocol_fluke_1529,
    &sim_protocol_millik,
    &sim_protocol_toledo_cont,
    &sim_protocol_xk3190,
    &sim_protocol_pace,
    &sim_protocol_bath,
};

static const char *const names[] = {
    "mtsics", "sbi", "aandd", "scpi", "modbus", "fluke-ttr", "fluke-1529", "millik",
    "toledo-cont", "xk3190", "pace", "bath",
    NULL,
};

#define N_PROTOCOLS (sizeof protocols / sizeof protocols[0])

const char *const *drv_sim_names(void)
{
    return names;
}

/* ------------------------------------------------------------ the object */

#define SIM_MAX_LOADS 64
#define RX_MAX 4096
#define OUTQ_MAX 16
#define CTL_MAX 8
#define CTL_LINE_MAX 512
#define STRING_MAX 96
#define WRITE_BLOCK_S 2.0     /* drop output the host does not take for this long */
#define PTY_RECHECK_S 0.2     /* a pty with no host: look again after this */

/* Garbage that precedes a reply under garbage_every: non-ASCII, a NUL,
 * no line end (docs/simulators.md gives these bytes). */
static const uint8_t garbage_bytes[] = {0xFF, 0x00, 0xA5, 0x7E, 0x80};
#define GARBAGE_LEN sizeof garbage_bytes

/* Everything an option can set; `set KEY=VALUE` writes here at run time. */
struct sim_params {
    double loads[SIM_MAX_LOADS];
    size_t n_loads;
    double noise;           /* sd of the Gaussian noise, in unit */
    double resolution;      /* display step */
    double drift_per_s;
    double settle_s;
    double stable_band;     /* 0: half a resolution step */
    double advance_s;       /* 0: only by control commands */
    double capacity;        /* 0: none */
    double zero_range;      /* < 0: 2 % of capacity */
    double stable_timeout_s;
    unsigned long seed;
    unsigned long stream_ms;
    unsigned long garbage_every, truncate_every, delay_ms, silent_after, disconnect_after,
        error_every;
    char unit[16];
    char model[STRING_MAX];
    char serial[STRING_MAX];
    char firmware[STRING_MAX];
};

struct outq_entry {
    double due;             /* seconds on the sim clock */
    double blocked_since;   /* < 0: not blocked */
    size_t len, off;
    uint8_t buf[SIM_OUT_MAX + GARBAGE_LEN];
};

struct ctl_conn {
    int fd;
    bool owned;             /* accepted by us: closed when serve returns */
    bool is_socket;
    size_t len;
    char buf[CTL_LINE_MAX];
};

struct drv_sim {
    const struct sim_protocol *proto;
    void *pstate;
    struct sim_params p;
    struct timespec t0;

    /* model */
    double load;            /* current set-point */
    size_t load_idx;        /* position in the script */
    double script_t;        /* when the script last moved (advance_s) */
    double tr_from, tr_t, tr_tau, tr_end;  /* the settling transient */
    double zero, tare;
    uint64_t rng[4];
    bool have_spare;
    double spare;

    /* serve */
    bool serving;
    bool on_socket;
    bool timer_on;
    double timer_at;
    unsigned long n_req, n_reply;
    bool stream_inject;     /* error_every for the frame a streaming timer makes */
    uint8_t rx[RX_MAX];
    size_t rx_len;
    double rx_last;
    struct outq_entry outq[OUTQ_MAX];
    size_t outq_head, outq_n;
    atomic_bool quit;
    int wake[2];
};

/* ------------------------------------------------------------ helpers */

int sim_out_bytes(struct sim_out *o, const void *p, size_t n)
{
    if (n > sizeof o->buf - o->len)
        return CD_ERR_NOMEM;
    memcpy(o->buf + o->len, p, n);
    o->len += n;
    return 0;
}

int sim_out_printf(struct sim_out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = sizeof o->buf - o->len;
    int n = vsnprintf((char *)o->buf + o->len, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room)
        return CD_ERR_NOMEM;   /* nothing appended: len unchanged */
    o->len += (size_t)n;
    return 0;
}

int sim_parse_double(const char *s, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int sim_parse_ulong(const char *s, unsigned long *out)
{
    char *end = NULL;
    if (s[0] < '0' || s[0] > '9')
        return -1;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return -1;
    *out = v;
    return 0;
}

long sim_frame_line(drv_sim *s, void *st, const uint8_t *buf, size_t len)
{
    (void)s;
    (void)st;
    if (len > 0 && (buf[0] == '\r' || buf[0] == '\n'))
        return -1;   /* an empty line, or the LF of a CR LF pair */
    for (size_t i = 0; i < len; i++)
        if (buf[i] == '\n' || buf[i] == '\r')
            return (long)(i + 1);
    return SIM_FRAME_MORE;
}

size_t sim_request_text(const struct sim_request *req, char *line, size_t cap)
{
    size_t n = req->len;
    while (n > 0 && (req->data[n - 1] == '\r' || req->data[n - 1] == '\n'))
        n--;
    if (cap == 0)
        return 0;
    if (n > cap - 1)
        n = cap - 1;
    memcpy(line, req->data, n);
    line[n] = '\0';
    return n;
}

/* ------------------------------------------------------------ clock, RNG */

double sim_now(const drv_sim *s)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)(ts.tv_sec - s->t0.tv_sec) + (double)(ts.tv_nsec - s->t0.tv_nsec) * 1e-9;
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void rng_seed(drv_sim *s, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        s->rng[i] = splitmix64(&seed);
    s->have_spare = false;
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(drv_sim *s)
{
    uint64_t *r = s->rng;
    uint64_t result = rotl(r[1] * 5, 7) * 9;
    uint64_t t = r[1] << 17;
    r[2] ^= r[0];
    r[3] ^= r[1];
    r[1] ^= r[2];
    r[0] ^= r[3];
    r[2] ^= t;
    r[3] = rotl(r[3], 45);
    return result;
}

/* Uniform on (-1, 1). */
static double rng_uniform_pm1(drv_sim *s)
{
    return ((double)(rng_next(s) >> 11) * 0x1.0p-53) * 2.0 - 1.0;
}

static double rng_gauss(drv_sim *s)
{
    if (s->have_spare) {
        s->have_spare = false;
        return s->spare;
    }
    double u, v, q;
    do {
        u = rng_uniform_pm1(s);
        v = rng_uniform_pm1(s);
        q = u * u + v * v;
    } while (q >= 1.0 || q == 0.0);
    double f = sqrt(-2.0 * log(q) / q);
    s->spare = v * f;
    s->have_spare = true;
    return u * f;
}

/* ------------------------------------------------------------ model */

static double band(const drv_sim *s)
{
    return s->p.stable_band > 0 ? s->p.stable_band : 0.5 * s->p.resolution;
}

/* The noise-free indication of the load, before drift and zero. */
static double transient_at(const drv_sim *s, double t)
{
    if (s->tr_tau <= 0)
        return s->load;
    return s->load + (s->tr_from - s->load) * exp(-(t - s->tr_t) / s->tr_tau);
}

static bool stable_at(const drv_sim *s, double t)
{
    return s->tr_tau <= 0 || t >= s->tr_end;
}

static void change_load(drv_sim *s, double load, double t)
{
    double from = transient_at(s, t);
    double step = fabs(from - load);
    s->load = load;
    s->tr_from = from;
    s->tr_t = t;
    if (s->p.settle_s > 0 && step > band(s)) {
        s->tr_tau = s->p.settle_s / log(2 * step / band(s));
        s->tr_end = t + s->p.settle_s;
    } else {
        s->tr_tau = 0;
        s->tr_end = t;
    }
}

/* Walk the script to time t under advance_s (lazily: no timer needed). */
static void advance_to(drv_sim *s, double t)
{
    if (!(s->p.advance_s > 0) || s->p.n_loads == 0)
        return;
    double k = floor((t - s->script_t) / s->p.advance_s);
    if (k < 1)
        return;
    if (k > 2) {
        /* Long idle: every step but the last two settled long ago. */
        double skip = k - 2;
        size_t n = s->p.n_loads;
        s->load_idx = (size_t)fmod((double)s->load_idx + skip, (double)n);
        s->script_t += skip * s->p.advance_s;
        s->load = s->p.loads[s->load_idx];
        s->tr_tau = 0;
        k = 2;
    }
    for (int i = 0; i < (int)k; i++) {
        s->script_t += s->p.advance_s;
        s->load_idx = (s->load_idx + 1) % s->p.n_loads;
        change_load(s, s->p.loads[s->load_idx], s->script_t);
    }
}

static double round_to(double v, double res)
{
    double r = round(v / res) * res;
    return r == 0 ? 0.0 : r;   /* no negative zero */
}

static int decimals_of(double res)
{
    for (int d = 0; d < 10; d++) {
        double x = res * pow(10.0, d);
        if (fabs(x - round(x)) < 1e-9 * fmax(1.0, x))
            return d;
    }
    return 10;
}

/* The noise-free gross (after zero, before tare) at t. */
static double gross_at(const drv_sim *s, double t)
{
    return transient_at(s, t) + s->p.drift_per_s * t - s->zero;
}

void sim_read(drv_sim *s, struct sim_reading *r)
{
    double t = sim_now(s);
    advance_to(s, t);
    double g = gross_at(s, t);
    if (s->p.noise > 0)
        g += s->p.noise * rng_gauss(s);
    memset(r, 0, sizeof *r);
    r->resolution = s->p.resolution;
    r->decimals = decimals_of(s->p.resolution);
    r->unit = s->p.unit;
    r->capacity = s->p.capacity;
    r->load = s->load;
    r->stable = stable_at(s, t);
    r->overload = s->p.capacity > 0 && s->load > s->p.capacity;
    r->underload = s->load < 0;
    r->gross = round_to(g, s->p.resolution);
    r->tare = round_to(s->tare, s->p.resolution);
    r->value = round_to(g - s->tare, s->p.resolution);
    if (r->overload)
        r->value = r->gross = round_to(s->p.capacity, s->p.resolution);
}

static double zero_range(const drv_sim *s)
{
    if (s->p.zero_range >= 0)
        return s->p.zero_range;
    return s->p.capacity > 0 ? 0.02 * s->p.capacity : INFINITY;
}

int sim_zero(drv_sim *s)
{
    double t = sim_now(s);
    advance_to(s, t);
    if (s->p.capacity > 0 && s->load > s->p.capacity)
        return 1;
    if (s->load < 0)
        return -1;
    /* The range is counted from the power-on zero, as balances do. */
    double z = s->zero + gross_at(s, t);
    if (z > zero_range(s))
        return 1;
    if (z < -zero_range(s))
        return -1;
    s->zero = z;
    s->tare = 0;
    return 0;
}

int sim_tare(drv_sim *s)
{
    double t = sim_now(s);
    advance_to(s, t);
    if (s->p.capacity > 0 && s->load > s->p.capacity)
        return 1;
    double g = round_to(gross_at(s, t), s->p.resolution);
    if (s->load < 0 || g < 0)
        return -1;
    s->tare = g;
    return 0;
}

void sim_tare_set(drv_sim *s, double tare)
{
    s->tare = tare;
}

void sim_tare_clear(drv_sim *s)
{
    s->tare = 0;
}

void sim_load_set(drv_sim *s, double load)
{
    double t = sim_now(s);
    advance_to(s, t);
    change_load(s, load, t);
    s->script_t = t;
}

void sim_ident(const drv_sim *s, struct sim_ident *out)
{
    out->model = s->p.model;
    out->serial = s->p.serial;
    out->firmware = s->p.firmware;
}

double sim_stable_timeout_s(const drv_sim *s)
{
    return s->p.stable_timeout_s;
}

int sim_stream_ms(const drv_sim *s)
{
    return s->p.stream_ms > INT_MAX ? INT_MAX : (int)s->p.stream_ms;
}

bool sim_on_socket(const drv_sim *s)
{
    return s->on_socket;
}

void sim_timer_set(drv_sim *s, int delay_ms)
{
    s->timer_on = true;
    s->timer_at = sim_now(s) + (delay_ms > 0 ? delay_ms : 0) * 1e-3;
}

void sim_timer_clear(drv_sim *s)
{
    s->timer_on = false;
}

int sim_stream_period(const drv_sim *s)
{
    int ms = sim_stream_ms(s);
    return ms < 10 ? 10 : ms;
}

bool sim_stream_inject_error(const drv_sim *s)
{
    return s->stream_inject;
}

bool sim_timer_pending(const drv_sim *s)
{
    return s->timer_on;
}

/* ------------------------------------------------------------ options */

enum opt_kind { OPT_DOUBLE, OPT_ULONG, OPT_STRING, OPT_LOADS };

struct opt_def {
    const char *key;
    enum opt_kind kind;
    size_t off;             /* in struct sim_params */
    size_t size;            /* OPT_STRING: buffer size */
    double min;             /* OPT_DOUBLE: smallest allowed (-INFINITY: any) */
    bool positive;          /* OPT_DOUBLE: strictly above min */
    bool fault;             /* accepted by the control command "fault" */
};

#define P_OFF(f) offsetof(struct sim_params, f)
#define P_STR(f) P_OFF(f), sizeof(((struct sim_params *)0)->f)

static const struct opt_def opt_defs[] = {
    {"loads", OPT_LOADS, P_OFF(loads), 0, 0, false, false},
    {"noise", OPT_DOUBLE, P_OFF(noise), 0, 0, false, false},
    {"resolution", OPT_DOUBLE, P_OFF(resolution), 0, 0, true, false},
    {"drift_per_s", OPT_DOUBLE, P_OFF(drift_per_s), 0, -INFINITY, false, false},
    {"settle_s", OPT_DOUBLE, P_OFF(settle_s), 0, 0, false, false},
    {"stable_band", OPT_DOUBLE, P_OFF(stable_band), 0, 0, false, false},
    {"advance_s", OPT_DOUBLE, P_OFF(advance_s), 0, 0, false, false},
    {"capacity", OPT_DOUBLE, P_OFF(capacity), 0, 0, false, false},
    {"zero_range", OPT_DOUBLE, P_OFF(zero_range), 0, 0, false, false},
    {"stable_timeout_s", OPT_DOUBLE, P_OFF(stable_timeout_s), 0, 0, false, false},
    {"seed", OPT_ULONG, P_OFF(seed), 0, 0, false, false},
    {"stream_ms", OPT_ULONG, P_OFF(stream_ms), 0, 0, false, false},
    {"unit", OPT_STRING, P_STR(unit), 0, false, false},
    {"model", OPT_STRING, P_STR(model), 0, false, false},
    {"serial", OPT_STRING, P_STR(serial), 0, false, false},
    {"firmware", OPT_STRING, P_STR(firmware), 0, false, false},
    {"garbage_every", OPT_ULONG, P_OFF(garbage_every), 0, 0, false, true},
    {"truncate_every", OPT_ULONG, P_OFF(truncate_every), 0, 0, false, true},
    {"delay_ms", OPT_ULONG, P_OFF(delay_ms), 0, 0, false, true},
    {"silent_after", OPT_ULONG, P_OFF(silent_after), 0, 0, false, true},
    {"disconnect_after", OPT_ULONG, P_OFF(disconnect_after), 0, 0, false, true},
    {"error_every", OPT_ULONG, P_OFF(error_every), 0, 0, false, true},
};

static const struct opt_def *opt_find(const char *key)
{
    for (size_t i = 0; i < sizeof opt_defs / sizeof opt_defs[0]; i++)
        if (strcmp(opt_defs[i].key, key) == 0)
            return &opt_defs[i];
    return NULL;
}

static int parse_loads(const char *value, struct sim_params *p, struct cd_err *err)
{
    double loads[SIM_MAX_LOADS];
    size_t n = 0;
    const char *q = value;
    for (;;) {
        const char *comma = strchr(q, ',');
        size_t len = comma != NULL ? (size_t)(comma - q) : strlen(q);
        char item[64];
        if (len == 0 || len >= sizeof item)
            return cd_fail(err, CD_ERR_INVALID, _("loads=%s: expected numbers separated by commas"),
                           value);
        memcpy(item, q, len);
        item[len] = '\0';
        if (n == SIM_MAX_LOADS)
            return cd_fail(err, CD_ERR_INVALID, _("loads=%s: at most %d loads"), value,
                           SIM_MAX_LOADS);
        if (sim_parse_double(item, &loads[n]) != 0)
            return cd_fail(err, CD_ERR_INVALID, _("loads=%s: '%s' is not a number"), value, item);
        n++;
        if (comma == NULL)
            break;
        q = comma + 1;
    }
    memcpy(p->loads, loads, n * sizeof loads[0]);
    p->n_loads = n;
    return 0;
}

/* Apply one option to p. CD_ERR_NOT_FOUND for keys of no core option. */
static int core_option(struct sim_params *p, const char *key, const char *value,
                       struct cd_err *err)
{
    const struct opt_def *d = opt_find(key);
    if (d == NULL)
        return CD_ERR_NOT_FOUND;
    char *base = (char *)p;
    switch (d->kind) {
    case OPT_LOADS:
        return parse_loads(value, p, err);
    case OPT_DOUBLE: {
        double v;
        if (sim_parse_double(value, &v) != 0)
            return cd_fail(err, CD_ERR_INVALID, _("%s=%s: not a number"), key, value);
        if (d->positive ? !(v > d->min) : !(v >= d->min))
            return cd_fail(err, CD_ERR_INVALID, _("%s=%s: must be %s %g"), key, value,
                           d->positive ? ">" : ">=", d->min);
        memcpy(base + d->off, &v, sizeof v);
        return 0;
    }
    case OPT_ULONG: {
        unsigned long v;
        if (sim_parse_ulong(value, &v) != 0)
            return cd_fail(err, CD_ERR_INVALID, _("%s=%s: expected a non-negative integer"), key,
                           value);
        memcpy(base + d->off, &v, sizeof v);
        return 0;
    }
    case OPT_STRING:
        if (strlen(value) >= d->size)
            return cd_fail(err, CD_ERR_INVALID, _("%s=%s: longer than %zu characters"), key, value,
                           d->size - 1);
        memcpy(base + d->off, value, strlen(value) + 1);
        return 0;
    }
    return CD_ERR_NOT_FOUND;
}

/* "key=value" through the core, else the protocol. */
static int apply_option(drv_sim *s, const char *kv, struct cd_err *err)
{
    const char *eq = strchr(kv, '=');
    char key[64];
    if (eq == NULL || eq == kv || (size_t)(eq - kv) >= sizeof key)
        return cd_fail(err, CD_ERR_INVALID, _("option '%s': expected KEY=VALUE"), kv);
    memcpy(key, kv, (size_t)(eq - kv));
    key[eq - kv] = '\0';
    const char *value = eq + 1;
    struct cd_err local = {0};
    int rc = core_option(&s->p, key, value, &local);
    if (rc == CD_ERR_NOT_FOUND && s->proto->option != NULL)
        rc = s->proto->option(s, s->pstate, key, value, &local);
    if (rc == CD_ERR_NOT_FOUND)
        return cd_fail(err, CD_ERR_INVALID, _("unknown option '%s' for the %s simulator"), key,
                       s->proto->name);
    if (rc < 0)
        return cd_fail(err, rc, "%s", cd_err_text(&local));
    return 0;
}

/* After the script changed: start at its first load, settled. */
static void script_restart(drv_sim *s)
{
    s->load_idx = 0;
    s->load = s->p.n_loads > 0 ? s->p.loads[0] : 0;
    s->tr_tau = 0;
    s->script_t = sim_now(s);
}

int drv_sim_new(const char *driver, const char *const *options, drv_sim **out,
                struct cd_err *err)
{
    *out = NULL;
    const struct sim_protocol *proto = NULL;
    for (size_t i = 0; i < N_PROTOCOLS; i++)
        if (driver != NULL && strcmp(protocols[i]->name, driver) == 0)
            proto = protocols[i];
    if (proto == NULL)
        return cd_fail(err, CD_ERR_NOT_FOUND, _("no simulator for driver '%s'"),
                       driver != NULL ? driver : "(null)");
    drv_sim *s = calloc(1, sizeof *s);
    if (s == NULL)
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    s->wake[0] = s->wake[1] = -1;
    s->proto = proto;
    if (proto->state_size > 0) {
        s->pstate = calloc(1, proto->state_size);
        if (s->pstate == NULL) {
            drv_sim_free(s);
            return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &s->t0);
    atomic_init(&s->quit, false);

    /* Core defaults, then the protocol's, then the user's. */
    static const char *const core_defaults[] = {
        "loads=0,100,200", "noise=0.002", "resolution=0.01", "drift_per_s=0", "settle_s=2",
        "stable_band=0", "advance_s=0", "unit=g", "capacity=220", "seed=1", "stream_ms=200",
        "stable_timeout_s=10", "model=SIM", "serial=0000000000", "firmware=1.0", NULL,
    };
    s->p.zero_range = -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && core_defaults[i] != NULL; i++)
        rc = apply_option(s, core_defaults[i], err);
    for (size_t i = 0; rc == 0 && proto->defaults != NULL && proto->defaults[i] != NULL; i++)
        rc = apply_option(s, proto->defaults[i], err);
    for (size_t i = 0; rc == 0 && options != NULL && options[i] != NULL; i++)
        rc = apply_option(s, options[i], err);
    if (rc == 0 && pipe(s->wake) != 0)
        rc = cd_fail(err, CD_ERR_IO, _("pipe: %s"), strerror(errno));
    if (rc != 0) {
        drv_sim_free(s);
        return rc;
    }
    for (int i = 0; i < 2; i++) {
        fcntl(s->wake[i], F_SETFL, fcntl(s->wake[i], F_GETFL) | O_NONBLOCK);
        fcntl(s->wake[i], F_SETFD, FD_CLOEXEC);
    }
    rng_seed(s, s->p.seed);
    script_restart(s);
    *out = s;
    return 0;
}

void drv_sim_free(drv_sim *s)
{
    if (s == NULL)
        return;
    for (int i = 0; i < 2; i++)
        if (s->wake[i] >= 0)
            close(s->wake[i]);
    free(s->pstate);
    free(s);
}

/* ------------------------------------------------------------ control */

static int reply_set(char *reply, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int reply_set(char *reply, size_t cap, const char *fmt, ...)
{
    if (reply == NULL || cap == 0)
        return 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reply, cap, fmt, ap);
    va_end(ap);
    return 0;
}

static int control_fail(char *reply, size_t cap, struct cd_err *err, int code, const char *fmt,
                        ...) __attribute__((format(printf, 5, 6)));

static int control_fail(char *reply, size_t cap, struct cd_err *err, int code, const char *fmt,
                        ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    reply_set(reply, cap, "error: %s", msg);
    return cd_fail(err, code, "%s", msg);
}

static void describe_load(const drv_sim *s, char *reply, size_t cap)
{
    int d = decimals_of(s->p.resolution);
    if (s->p.n_loads > 0 && s->load == s->p.loads[s->load_idx])
        reply_set(reply, cap, "load %.*f %s (%zu/%zu)", d, s->load, s->p.unit, s->load_idx + 1,
                  s->p.n_loads);
    else
        reply_set(reply, cap, "load %.*f %s", d, s->load, s->p.unit);
}

static const char control_help[] =
    "commands: next, prev, load VALUE, settle, status, set KEY=VALUE, fault KIND=N, quit";

int drv_sim_control(drv_sim *s, const char *command, char *reply, size_t cap,
                    struct cd_err *err)
{
    /* "quit" first, touching only the atomic flag and the wake-up pipe:
     * it may come from another thread while drv_sim_serve runs. */
    if (strcmp(command, "quit") == 0) {
        atomic_store(&s->quit, true);
        if (s->wake[1] >= 0) {
            ssize_t w = write(s->wake[1], "q", 1);
            (void)w;
        }
        if (reply != NULL && cap >= 4)
            memcpy(reply, "bye", 4);
        return 0;
    }
    if (reply != NULL && cap > 0)
        reply[0] = '\0';
    char cmd[CTL_LINE_MAX];
    snprintf(cmd, sizeof cmd, "%s", command);
    size_t n = strlen(cmd);
    while (n > 0 && (cmd[n - 1] == ' ' || cmd[n - 1] == '\t'))
        cmd[--n] = '\0';
    char *arg = strchr(cmd, ' ');
    if (arg != NULL) {
        *arg++ = '\0';
        while (*arg == ' ')
            arg++;
    }
    double t = sim_now(s);
    advance_to(s, t);

    if (strcmp(cmd, "next") == 0 || strcmp(cmd, "prev") == 0) {
        if (arg != NULL)
            return control_fail(reply, cap, err, CD_ERR_INVALID, "%s takes no argument", cmd);
        size_t nl = s->p.n_loads;
        s->load_idx = cmd[0] == 'n' ? (s->load_idx + 1) % nl : (s->load_idx + nl - 1) % nl;
        change_load(s, s->p.loads[s->load_idx], t);
        s->script_t = t;
        describe_load(s, reply, cap);
        return 0;
    }
    if (strcmp(cmd, "load") == 0) {
        double v;
        if (arg == NULL || sim_parse_double(arg, &v) != 0)
            return control_fail(reply, cap, err, CD_ERR_INVALID, "load takes a number");
        change_load(s, v, t);
        s->script_t = t;
        describe_load(s, reply, cap);
        return 0;
    }
    if (strcmp(cmd, "settle") == 0) {
        s->tr_tau = 0;
        s->tr_end = t;
        return reply_set(reply, cap, "settled");
    }
    if (strcmp(cmd, "status") == 0) {
        struct sim_reading r;
        sim_read(s, &r);
        char where[64] = "";
        if (s->p.n_loads > 0 && s->load == s->p.loads[s->load_idx])
            snprintf(where, sizeof where, " (%zu/%zu)", s->load_idx + 1, s->p.n_loads);
        char own[256] = "";
        if (s->proto->describe != NULL) {
            own[0] = ';';
            own[1] = ' ';
            s->proto->describe(s, s->pstate, own + 2, sizeof own - 2);
        }
        return reply_set(reply, cap,
                         "load %.*f %s%s value %.*f %s %s tare %.*f requests %lu replies %lu%s",
                         r.decimals, s->load, r.unit, where, r.decimals, r.value, r.unit,
                         r.overload ? "overload" : r.underload ? "underload"
                         : r.stable  ? "stable" : "unstable",
                         r.decimals, r.tare, s->n_req, s->n_reply, own);
    }
    if (strcmp(cmd, "set") == 0 || strcmp(cmd, "fault") == 0) {
        if (arg == NULL || strchr(arg, '=') == NULL)
            return control_fail(reply, cap, err, CD_ERR_INVALID, "%s takes KEY=VALUE", cmd);
        char key[64];
        size_t kl = (size_t)(strchr(arg, '=') - arg);
        snprintf(key, sizeof key, "%.*s", (int)kl, arg);
        if (cmd[0] == 'f') {
            const struct opt_def *d = opt_find(key);
            if (d == NULL || !d->fault)
                return control_fail(reply, cap, err, CD_ERR_INVALID,
                                    "'%s' is not a fault (garbage_every, truncate_every, "
                                    "delay_ms, silent_after, disconnect_after, error_every)",
                                    key);
        }
        struct sim_params saved = s->p;
        struct cd_err local = {0};
        if (apply_option(s, arg, &local) != 0) {
            s->p = saved;
            return control_fail(reply, cap, err, local.code, "%s", cd_err_text(&local));
        }
        if (strcmp(key, "loads") == 0)
            script_restart(s);
        if (strcmp(key, "seed") == 0)
            rng_seed(s, s->p.seed);
        return reply_set(reply, cap, "ok %s", arg);
    }
    if (strcmp(cmd, "help") == 0)
        return reply_set(reply, cap, "%s", control_help);
    return control_fail(reply, cap, err, CD_ERR_INVALID, "unknown control command '%s' (%s)",
                        cmd, control_help);
}

/* ------------------------------------------------------------ output */

static void outq_clear(drv_sim *s)
{
    s->outq_head = s->outq_n = 0;
}

/* Count a reply, apply the reply faults, and queue it. */
static void emit(drv_sim *s, const struct sim_out *o, bool to_request)
{
    if (o->len == 0)
        return;
    if (s->p.silent_after > 0 && s->n_req > s->p.silent_after)
        return;
    s->n_reply++;
    if (s->outq_n == OUTQ_MAX)
        return;   /* the host is not reading: drop */
    double now = sim_now(s);
    struct outq_entry *e = &s->outq[(s->outq_head + s->outq_n) % OUTQ_MAX];
    e->len = e->off = 0;
    e->blocked_since = -1;
    if (s->p.garbage_every > 0 && s->n_reply % s->p.garbage_every == 0) {
        memcpy(e->buf, garbage_bytes, GARBAGE_LEN);
        e->len = GARBAGE_LEN;
    }
    size_t n = o->len;
    if (s->p.truncate_every > 0 && s->n_reply % s->p.truncate_every == 0)
        n = n / 2 > 0 ? n / 2 : 1;
    memcpy(e->buf + e->len, o->buf, n);
    e->len += n;
    e->due = now + (to_request ? (double)s->p.delay_ms * 1e-3 : 0);
    /* Keep the order in which replies were made. */
    if (s->outq_n > 0) {
        const struct outq_entry *prev = &s->outq[(s->outq_head + s->outq_n - 1) % OUTQ_MAX];
        if (e->due < prev->due)
            e->due = prev->due;
    }
    s->outq_n++;
}

/* Write what is due. 0, 1 when the host went away (socket), <0 error. */
static int outq_flush(drv_sim *s, int fd, struct cd_err *err)
{
    double now = sim_now(s);
    while (s->outq_n > 0) {
        struct outq_entry *e = &s->outq[s->outq_head];
        if (e->due > now)
            return 0;
        ssize_t w;
        if (s->on_socket)
            w = send(fd, e->buf + e->off, e->len - e->off, MSG_NOSIGNAL);
        else
            w = write(fd, e->buf + e->off, e->len - e->off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                if (e->blocked_since < 0)
                    e->blocked_since = now;
                else if (now - e->blocked_since >= WRITE_BLOCK_S) {
                    outq_clear(s);   /* nobody reads: lose it, as on a line */
                    return 0;
                }
                return 0;
            }
            if (s->on_socket && (errno == EPIPE || errno == ECONNRESET))
                return 1;
            if (!s->on_socket && errno == EIO) {
                outq_clear(s);   /* no host on the pty: the bytes are lost */
                return 0;
            }
            return cd_fail(err, CD_ERR_IO, _("write to host: %s"), strerror(errno));
        }
        e->off += (size_t)w;
        e->blocked_since = -1;
        if (e->off == e->len) {
            s->outq_head = (s->outq_head + 1) % OUTQ_MAX;
            s->outq_n--;
        }
    }
    return 0;
}

/* ------------------------------------------------------------ requests */

/* Frame and handle what is in rx. Sets *disconnect after the request
 * that disconnect_after names. */
static int process_rx(drv_sim *s, bool *disconnect, struct cd_err *err)
{
    if (s->proto->streams) {
        s->rx_len = 0;   /* an instrument that only sends ignores what it gets */
        return 0;
    }
    long (*frame)(drv_sim *, void *, const uint8_t *, size_t) =
        s->proto->frame != NULL ? s->proto->frame : sim_frame_line;
    size_t pos = 0;
    int rc = 0;
    while (pos < s->rx_len && !*disconnect) {
        long k = frame(s, s->pstate, s->rx + pos, s->rx_len - pos);
        if (k == SIM_FRAME_MORE)
            break;
        if (k < 0) {
            size_t drop = (size_t)-k;
            pos += drop < s->rx_len - pos ? drop : s->rx_len - pos;
            continue;
        }
        size_t len = (size_t)k <= s->rx_len - pos ? (size_t)k : s->rx_len - pos;
        s->n_req++;
        struct sim_request req = {
            .data = s->rx + pos,
            .len = len,
            .n = s->n_req,
            .inject_error = s->p.error_every > 0 && s->n_req % s->p.error_every == 0,
        };
        pos += len;
        if (s->p.silent_after > 0 && s->n_req > s->p.silent_after)
            continue;   /* a hung instrument: does nothing */
        struct sim_out out;
        out.len = 0;
        rc = s->proto->handle(s, s->pstate, &req, &out, err);
        if (rc < 0)
            break;
        emit(s, &out, true);
        if (s->p.disconnect_after > 0 && s->n_req >= s->p.disconnect_after)
            *disconnect = true;
    }
    memmove(s->rx, s->rx + pos, s->rx_len - pos);
    s->rx_len -= pos;
    if (s->rx_len == RX_MAX)
        s->rx_len = 0;   /* nothing framed in a full buffer: noise */
    return rc;
}

/* ------------------------------------------------------------ serve */

struct serve_ctx {
    int control_listen;     /* -1: none */
    struct ctl_conn ctl[CTL_MAX];
    size_t n_ctl;
};

static bool fd_is_socket(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

static bool fd_is_listening(int fd)
{
    int v = 0;
    socklen_t len = sizeof v;
    return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0 && v != 0;
}

static void ctl_write(const struct ctl_conn *c, const char *text)
{
    size_t len = strlen(text);
    char line[CTL_LINE_MAX + 2];
    if (len > CTL_LINE_MAX)
        len = CTL_LINE_MAX;
    memcpy(line, text, len);
    line[len++] = '\n';
    size_t off = 0;
    while (off < len) {
        ssize_t w = c->is_socket ? send(c->fd, line + off, len - off, MSG_NOSIGNAL)
                                 : write(c->fd, line + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;   /* a read-only fd (a pipe) or a client gone: no reply */
        off += (size_t)w;
    }
}

static void ctl_drop(struct serve_ctx *c, size_t i)
{
    if (c->ctl[i].owned)
        close(c->ctl[i].fd);
    c->ctl[i] = c->ctl[--c->n_ctl];
}

/* Read control input on conn i; false when it closed. */
static bool ctl_read(drv_sim *s, struct serve_ctx *c, size_t i)
{
    struct ctl_conn *cc = &c->ctl[i];
    char buf[256];
    ssize_t r = read(cc->fd, buf, sizeof buf);
    if (r < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (r <= 0)
        return false;
    for (ssize_t k = 0; k < r; k++) {
        char ch = buf[k];
        if (ch == '\n') {
            cc->buf[cc->len] = '\0';
            if (cc->len > 0 && cc->buf[cc->len - 1] == '\r')
                cc->buf[--cc->len] = '\0';
            if (cc->len > 0) {
                char reply[CTL_LINE_MAX];
                struct cd_err e = {0};
                drv_sim_control(s, cc->buf, reply, sizeof reply, &e);
                ctl_write(cc, reply);
            }
            cc->len = 0;
        } else if (cc->len < CTL_LINE_MAX - 1) {
            cc->buf[cc->len++] = ch;
        }
    }
    return true;
}

static void serve_end(drv_sim *s, struct serve_ctx *c, int fd, int saved_flags)
{
    while (c->n_ctl > 0)
        ctl_drop(c, c->n_ctl - 1);
    if (saved_flags >= 0)
        fcntl(fd, F_SETFL, saved_flags);
    sim_timer_clear(s);
    s->serving = false;
}

int drv_sim_serve(drv_sim *s, int fd, int control_fd, struct cd_err *err)
{
    if (fd < 0)
        return cd_fail(err, CD_ERR_INVALID, _("simulator: no host file descriptor"));
    if (atomic_load(&s->quit))
        return 1;
    struct serve_ctx c = {.control_listen = -1};
    s->on_socket = fd_is_socket(fd);
    int saved_flags = fcntl(fd, F_GETFL);
    if (saved_flags >= 0)
        fcntl(fd, F_SETFL, saved_flags | O_NONBLOCK);
    if (control_fd >= 0) {
        if (fd_is_listening(control_fd)) {
            c.control_listen = control_fd;
        } else {
            c.ctl[0] = (struct ctl_conn){.fd = control_fd, .is_socket = fd_is_socket(control_fd)};
            c.n_ctl = 1;
        }
    }
    s->serving = true;
    s->n_req = s->n_reply = 0;
    s->rx_len = 0;
    outq_clear(s);
    sim_timer_clear(s);
    if (s->proto->reset != NULL)
        s->proto->reset(s, s->pstate);
    if (s->proto->streams)
        sim_timer_set(s, sim_stream_period(s));   /* the first frame */

    bool disconnect = false;
    double host_away_until = -1;   /* pty with no host: poll it again then */
    int rc = 0;
    for (;;) {
        if (atomic_load(&s->quit)) {
            rc = 1;
            break;
        }
        double now = sim_now(s);
        if (s->timer_on && now >= s->timer_at) {
            s->timer_on = false;
            struct sim_out out;
            out.len = 0;
            if (s->proto->streams) {
                /* continuous output: each frame stands for a request */
                s->n_req++;
                s->stream_inject = s->p.error_every > 0 && s->n_req % s->p.error_every == 0;
            }
            if (s->proto->timer != NULL) {
                rc = s->proto->timer(s, s->pstate, &out, err);
                if (rc < 0)
                    break;
            }
            emit(s, &out, false);
            if (s->proto->streams && s->p.disconnect_after > 0 &&
                s->n_req >= s->p.disconnect_after)
                disconnect = true;
        }
        rc = outq_flush(s, fd, err);
        if (rc != 0) {
            rc = rc > 0 ? 0 : rc;
            break;
        }
        if (disconnect && s->outq_n == 0)
            break;   /* rc == 0 */
        int idle = s->proto->idle_flush_ms;
        if (idle > 0 && s->rx_len > 0 && now - s->rx_last >= idle * 1e-3)
            s->rx_len = 0;

        /* The next deadline. */
        double deadline = INFINITY;
        if (s->timer_on)
            deadline = fmin(deadline, s->timer_at);
        bool want_out = false;
        if (s->outq_n > 0) {
            const struct outq_entry *e = &s->outq[s->outq_head];
            if (e->due > now) {
                deadline = fmin(deadline, e->due);
            } else {
                want_out = true;
                if (e->blocked_since >= 0)
                    deadline = fmin(deadline, e->blocked_since + WRITE_BLOCK_S);
            }
        }
        if (idle > 0 && s->rx_len > 0)
            deadline = fmin(deadline, s->rx_last + idle * 1e-3);
        bool host_away = host_away_until >= 0 && now < host_away_until;
        if (host_away)
            deadline = fmin(deadline, host_away_until);

        struct pollfd pfd[3 + CTL_MAX];
        nfds_t np = 0;
        pfd[np++] = (struct pollfd){.fd = host_away ? -1 : fd,
                                    .events = (short)(POLLIN | (want_out ? POLLOUT : 0))};
        pfd[np++] = (struct pollfd){.fd = s->wake[0], .events = POLLIN};
        nfds_t listen_at = np;
        if (c.control_listen >= 0)
            pfd[np++] = (struct pollfd){.fd = c.control_listen, .events = POLLIN};
        nfds_t ctl_at = np;
        for (size_t i = 0; i < c.n_ctl; i++)
            pfd[np++] = (struct pollfd){.fd = c.ctl[i].fd, .events = POLLIN};

        int timeout_ms = -1;
        if (deadline < INFINITY) {
            double ms = ceil((deadline - now) * 1e3);
            timeout_ms = ms <= 0 ? 0 : ms > 60000 ? 60000 : (int)ms;
        }
        int pr = poll(pfd, np, timeout_ms);
        if (pr < 0) {
            if (errno == EINTR)
                continue;
            rc = cd_fail(err, CD_ERR_IO, _("poll: %s"), strerror(errno));
            break;
        }
        now = sim_now(s);
        if (pfd[1].revents & POLLIN) {
            char drain[16];
            while (read(s->wake[0], drain, sizeof drain) > 0) {
            }
        }
        /* Host bytes. */
        short hre = pfd[0].revents;
        if (hre & POLLNVAL) {
            rc = cd_fail(err, CD_ERR_INVALID, _("simulator: host file descriptor %d is not open"),
                         fd);
            break;
        }
        if (hre & POLLOUT) {
            rc = outq_flush(s, fd, err);
            if (rc != 0) {
                rc = rc > 0 ? 0 : rc;
                break;
            }
        }
        if (hre & (POLLIN | POLLHUP | POLLERR)) {
            if (s->rx_len == RX_MAX)
                s->rx_len = 0;
            ssize_t r = read(fd, s->rx + s->rx_len, RX_MAX - s->rx_len);
            if (r > 0) {
                s->rx_len += (size_t)r;
                s->rx_last = now;
                host_away_until = -1;
                if (!disconnect) {
                    rc = process_rx(s, &disconnect, err);
                    if (rc < 0)
                        break;
                }
            } else if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) {
                /* nothing after all */
            } else if (s->on_socket && (r == 0 || errno == ECONNRESET)) {
                rc = 0;   /* the host closed the connection (or reset it) */
                break;
            } else if (r < 0 && (s->on_socket || errno != EIO)) {
                rc = cd_fail(err, CD_ERR_IO, _("read from host: %s"), strerror(errno));
                break;
            } else {
                /* pty with no slave open: keep waiting for the host. */
                host_away_until = now + PTY_RECHECK_S;
                s->rx_len = 0;
            }
        }
        /* Control. */
        if (c.control_listen >= 0 && (pfd[listen_at].revents & POLLNVAL))
            c.control_listen = -1;
        if (c.control_listen >= 0 && (pfd[listen_at].revents & POLLIN)) {
            int cfd = accept(c.control_listen, NULL, NULL);
            if (cfd >= 0) {
                if (c.n_ctl < CTL_MAX) {
                    fcntl(cfd, F_SETFD, FD_CLOEXEC);
                    c.ctl[c.n_ctl++] =
                        (struct ctl_conn){.fd = cfd, .owned = true, .is_socket = true};
                } else {
                    close(cfd);
                }
            }
        }
        /* Walk backwards: ctl_drop moves the last connection into slot i. */
        size_t polled = np - ctl_at;
        for (size_t i = polled; i-- > 0;) {
            short re = pfd[ctl_at + i].revents;
            if (i < c.n_ctl && (re & POLLNVAL))
                ctl_drop(&c, i);   /* not an open fd: forget it */
            else if (i < c.n_ctl && (re & (POLLIN | POLLHUP | POLLERR)))
                if (!ctl_read(s, &c, i))
                    ctl_drop(&c, i);
        }
    }
    serve_end(s, &c, fd, saved_flags);
    return rc;
}
