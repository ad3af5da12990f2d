/* The "scpi" simulator: an HP/Agilent 34401A digital multimeter on RS-232.
 *
 * Byte formats and where they come from:
 *   - requests end in LF (CR LF and CR accepted); replies end in CR LF;
 *     several commands may share a line, separated by ';', and the
 *     replies of several queries in one line are joined by ';' [SCPI-1999
 *     vol. 1, 6.2 and 8.4 (message units); protocols.md 2.1].
 *   - headers in short or long form, any case, optional nodes in []
 *     (CONF:VOLT = CONFigure:VOLTage:DC), a leading ':' allowed [SCPI-1999
 *     6.2.1; the 34401A command summary in vinayshanbhag/SCPI README.md:
 *     MEASure:VOLTage:DC? {<range>|MIN|MAX|DEF},{<resolution>|...},
 *     CONFigure..., CONFigure?].
 *   - *IDN? -> "HEWLETT-PACKARD,34401A,0,10-5-2" [protocols.md 2.1; the
 *     brief]; *RST, *CLS, SYST:REM, SYST:LOC, CONF:<func> <range>,<res>,
 *     CONF?, READ?, MEAS:<func>? <range>,<res>, INIT, FETC?, SYST:ERR?
 *     [protocols.md 2.1; libsigrok scpi-dmm cmdset_hp uses CONF, INIT,
 *     READ?]. "MEAS" without "?" is an undefined header on the 34401A.
 *   - reading "SD.DDDDDDDDESDD": "+1.00001230E+01\r\n" (printf "%+.8E")
 *     [protocols.md 2.1, S20 V]; overload "+9.90000000E+37" (negative
 *     for a negative overload) when |value| exceeds the range by 20 %
 *     [protocols.md 2.1; libsigrok maps |x| > 9e37 to +-INF].
 *   - CONF? -> "\"VOLT +1.000000E+01,+1.000000E-05\"" (function, range,
 *     resolution; **M**: from the 34401A user's guide as we remember it);
 *     the default resolution is 1 ppm of the range (**M**, ours).
 *   - SYST:ERR? -> "+0,\"No error\"" or the oldest error, e.g.
 *     "-113,\"Undefined header\"" (**M** in protocols.md); the queue holds
 *     20, the last replaced by -350 "Queue overflow" when full (SCPI-1999
 *     21.8). Other codes used: -102 syntax error (error_every: the
 *     command is taken as garbled in transit and not executed; a query
 *     gets no reply), -108 parameter not allowed, -109 missing parameter,
 *     -222 data out of range, -224 illegal parameter value, -230 data
 *     stale (FETC? with no INIT).
 * The model's unit is not checked against the function: the simulated
 * quantity is whatever the loads say.
 */
#include "sim_priv.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define ERRQ_MAX 20
#define LINE_MAX_SCPI 256
#define NODES_MAX 8

struct scpi_func {
    const char *node;       /* after CONFigure: / MEASure: */
    const char *conf_name;  /* in CONF? */
    double ranges[8];       /* ascending, 0-terminated */
};

static const struct scpi_func funcs[] = {
    {"VOLTage[:DC]", "VOLT", {0.1, 1, 10, 100, 1000}},
    {"VOLTage:AC", "VOLT:AC", {0.1, 1, 10, 100, 750}},
    {"CURRent[:DC]", "CURR", {0.01, 0.1, 1, 3}},
    {"CURRent:AC", "CURR:AC", {1, 3}},
    {"RESistance", "RES", {100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8}},
    {"FRESistance", "FRES", {100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8}},
};

#define N_FUNCS (sizeof funcs / sizeof funcs[0])

struct scpi_err {
    int code;
    const char *msg;        /* static text */
};

struct scpi_state {
    size_t func;
    double range;           /* 0: autorange */
    double res;             /* 0: default for the range */
    bool remote;
    bool have_reading;      /* INIT taken */
    double held;            /* the reading INIT took (already formatted value) */
    struct scpi_err errq[ERRQ_MAX];
    size_t n_err;
};

static const char *const defaults[] = {
    "unit=V", "capacity=0", "loads=0,1,5,10", "resolution=0.000001", "noise=0.00000003",
    "settle_s=0", "model=34401A", "serial=0", "firmware=10-5-2", NULL,
};

/* ------------------------------------------------------------ errors */

static void push_error(struct scpi_state *st, int code, const char *msg)
{
    if (st->n_err == ERRQ_MAX) {
        st->errq[ERRQ_MAX - 1] = (struct scpi_err){-350, "Queue overflow"};
        return;
    }
    st->errq[st->n_err++] = (struct scpi_err){code, msg};
}

/* ------------------------------------------------------------ headers */

struct node {
    char shortf[16];        /* upper-case letters of the pattern node */
    char longf[24];         /* the whole node, upper case */
    bool optional;
};

/* "CONFigure:VOLTage[:DC]" -> nodes. Returns the count. */
static size_t pattern_nodes(const char *pat, struct node *out)
{
    size_t n = 0;
    const char *p = pat;
    while (*p != '\0' && n < NODES_MAX) {
        bool opt = false;
        if (*p == '[') {
            opt = true;
            p++;
        }
        if (*p == ':')
            p++;
        struct node *nd = &out[n];
        size_t ls = 0, ll = 0;
        while (*p != '\0' && *p != ':' && *p != '[' && *p != ']') {
            if (isupper((unsigned char)*p) || *p == '*' || *p == '?' || isdigit((unsigned char)*p))
                if (ls < sizeof nd->shortf - 1)
                    nd->shortf[ls++] = *p;
            if (ll < sizeof nd->longf - 1)
                nd->longf[ll++] = (char)toupper((unsigned char)*p);
            p++;
        }
        nd->shortf[ls] = '\0';
        nd->longf[ll] = '\0';
        nd->optional = opt;
        if (*p == ']')
            p++;
        n++;
    }
    return n;
}

static bool node_eq(const char *h, const struct node *pn)
{
    return strcasecmp(h, pn->shortf) == 0 || strcasecmp(h, pn->longf) == 0;
}

static bool match_from(char h[][24], size_t nh, size_t hi, const struct node *p, size_t np,
                       size_t pi)
{
    if (pi == np)
        return hi == nh;
    if (p[pi].optional && match_from(h, nh, hi, p, np, pi + 1))
        return true;
    return hi < nh && node_eq(h[hi], &p[pi]) && match_from(h, nh, hi + 1, p, np, pi + 1);
}

/* Does header `hdr` (without '?') match `pattern` (without '?')? */
static bool header_match(const char *hdr, const char *pattern)
{
    char h[NODES_MAX][24];
    size_t nh = 0;
    const char *p = hdr[0] == ':' ? hdr + 1 : hdr;
    while (*p != '\0') {
        if (nh == NODES_MAX)
            return false;
        size_t len = strcspn(p, ":");
        if (len == 0 || len >= sizeof h[0])
            return false;
        memcpy(h[nh], p, len);
        h[nh][len] = '\0';
        nh++;
        p += len;
        if (*p == ':')
            p++;
    }
    struct node nodes[NODES_MAX];
    memset(nodes, 0, sizeof nodes);
    size_t np = pattern_nodes(pattern, nodes);
    return match_from(h, nh, 0, nodes, np, 0);
}

/* ------------------------------------------------------------ readings */

static double default_res(double range)
{
    return range * 1e-6;
}

/* The range a reading of v falls in (autorange), or the configured one. */
static double range_for(const struct scpi_state *st, double v)
{
    if (st->range > 0)
        return st->range;
    const double *r = funcs[st->func].ranges;
    size_t i = 0;
    while (r[i + 1] > 0 && fabs(v) > 1.2 * r[i])
        i++;
    return r[i];
}

static double take_reading(drv_sim *s, const struct scpi_state *st)
{
    struct sim_reading r;
    sim_read(s, &r);
    if (r.overload)
        return 9.9e37;
    double range = range_for(st, r.value);
    if (fabs(r.value) > 1.2 * range)
        return r.value < 0 ? -9.9e37 : 9.9e37;
    double res = st->res > 0 ? st->res : default_res(range);
    if (res > r.resolution)
        return round(r.value / res) * res + 0.0;
    return r.value;
}

static void reading_out(struct sim_out *o, double v)
{
    sim_out_printf(o, "%+.8E", v == 0 ? 0.0 : v);
}

/* ------------------------------------------------------------ params */

/* Parse "<range>,<res>" for function f into st; 0 or pushes an error. */
static int parse_conf(struct scpi_state *st, size_t f, const char *params)
{
    const double *ranges = funcs[f].ranges;
    size_t nr = 0;
    while (nr < 8 && ranges[nr] > 0)
        nr++;
    double range = 0, res = 0;
    char a[2][32] = {"", ""};
    size_t na = 0;
    if (params != NULL) {
        const char *p = params;
        while (*p != '\0') {
            if (na == 2) {
                push_error(st, -108, "Parameter not allowed");
                return -1;
            }
            size_t len = strcspn(p, ",");
            if (len >= sizeof a[0]) {
                push_error(st, -224, "Illegal parameter value");
                return -1;
            }
            memcpy(a[na], p, len);
            a[na][len] = '\0';
            /* trim */
            char *t = a[na];
            while (*t == ' ')
                memmove(t, t + 1, strlen(t));
            for (size_t k = strlen(t); k > 0 && t[k - 1] == ' '; k--)
                t[k - 1] = '\0';
            na++;
            p += len;
            if (*p == ',')
                p++;
        }
    }
    if (na >= 1 && a[0][0] != '\0') {
        double v;
        if (strcasecmp(a[0], "DEF") == 0 || strcasecmp(a[0], "AUTO") == 0) {
            range = 0;
        } else if (strncasecmp(a[0], "MIN", 3) == 0) {
            range = ranges[0];
        } else if (strncasecmp(a[0], "MAX", 3) == 0) {
            range = ranges[nr - 1];
        } else if (sim_parse_double(a[0], &v) == 0) {
            size_t i = 0;
            while (i < nr && ranges[i] < fabs(v))
                i++;
            if (i == nr) {
                push_error(st, -222, "Data out of range");
                return -1;
            }
            range = ranges[i];
        } else {
            push_error(st, -224, "Illegal parameter value");
            return -1;
        }
    }
    if (na == 2 && a[1][0] != '\0') {
        double v;
        double r_for_res = range > 0 ? range : ranges[nr / 2];
        if (strcasecmp(a[1], "DEF") == 0)
            res = 0;
        else if (strncasecmp(a[1], "MIN", 3) == 0)
            res = r_for_res * 3e-7;
        else if (strncasecmp(a[1], "MAX", 3) == 0)
            res = r_for_res * 3e-5;
        else if (sim_parse_double(a[1], &v) == 0 && v > 0)
            res = v;
        else {
            push_error(st, -224, "Illegal parameter value");
            return -1;
        }
    }
    st->func = f;
    st->range = range;
    st->res = res;
    st->have_reading = false;
    return 0;
}

/* ------------------------------------------------------------ commands */

static void rst(struct scpi_state *st)
{
    st->func = 0;
    st->range = 0;
    st->res = 0;
    st->have_reading = false;
}

/* One command (header + params); query replies are appended to `q` and
 * counted in *nq. */
static void one_command(drv_sim *s, struct scpi_state *st, char *cmd, struct sim_out *q,
                        int *nq)
{
    while (*cmd == ' ' || *cmd == '\t')
        cmd++;
    if (*cmd == '\0')
        return;
    char *params = strpbrk(cmd, " \t");
    if (params != NULL) {
        *params++ = '\0';
        while (*params == ' ' || *params == '\t')
            params++;
        size_t n = strlen(params);
        while (n > 0 && (params[n - 1] == ' ' || params[n - 1] == '\t'))
            params[--n] = '\0';
        if (*params == '\0')
            params = NULL;
    }
    size_t hl = strlen(cmd);
    bool query = hl > 0 && cmd[hl - 1] == '?';
    if (query)
        cmd[--hl] = '\0';

#define REPLY_SEP()                                                                            \
    do {                                                                                       \
        if ((*nq)++ > 0)                                                                       \
            sim_out_printf(q, ";");                                                            \
    } while (0)
#define NO_PARAMS()                                                                            \
    do {                                                                                       \
        if (params != NULL) {                                                                  \
            push_error(st, -108, "Parameter not allowed");                                     \
            return;                                                                            \
        }                                                                                      \
    } while (0)

    if (cmd[0] == '*') {
        if (query && strcasecmp(cmd, "*IDN") == 0) {
            NO_PARAMS();
            struct sim_ident id;
            sim_ident(s, &id);
            REPLY_SEP();
            sim_out_printf(q, "HEWLETT-PACKARD,%s,%s,%s", id.model, id.serial, id.firmware);
            return;
        }
        if (!query && strcasecmp(cmd, "*RST") == 0) {
            NO_PARAMS();
            rst(st);
            return;
        }
        if (!query && strcasecmp(cmd, "*CLS") == 0) {
            NO_PARAMS();
            st->n_err = 0;
            return;
        }
        if (query && strcasecmp(cmd, "*OPC") == 0) {
            NO_PARAMS();
            REPLY_SEP();
            sim_out_printf(q, "1");
            return;
        }
        push_error(st, -113, "Undefined header");
        return;
    }
    if (query && header_match(cmd, "SYSTem:ERRor[:NEXT]")) {
        NO_PARAMS();
        REPLY_SEP();
        if (st->n_err == 0) {
            sim_out_printf(q, "+0,\"No error\"");
        } else {
            sim_out_printf(q, "%+d,\"%s\"", st->errq[0].code, st->errq[0].msg);
            memmove(st->errq, st->errq + 1, (st->n_err - 1) * sizeof st->errq[0]);
            st->n_err--;
        }
        return;
    }
    if (!query && header_match(cmd, "SYSTem:REMote")) {
        NO_PARAMS();
        st->remote = true;
        return;
    }
    if (!query && header_match(cmd, "SYSTem:LOCal")) {
        NO_PARAMS();
        st->remote = false;
        return;
    }
    if (query && header_match(cmd, "CONFigure")) {
        NO_PARAMS();
        struct sim_reading r;
        sim_read(s, &r);
        double range = st->range > 0 ? st->range : range_for(st, r.value);
        double res = st->res > 0 ? st->res : default_res(range);
        REPLY_SEP();
        sim_out_printf(q, "\"%s %+.6E,%+.6E\"", funcs[st->func].conf_name, range, res);
        return;
    }
    if (!query && header_match(cmd, "INITiate[:IMMediate]")) {
        NO_PARAMS();
        st->held = take_reading(s, st);
        st->have_reading = true;
        return;
    }
    if (query && header_match(cmd, "FETCh")) {
        NO_PARAMS();
        if (!st->have_reading) {
            push_error(st, -230, "Data stale");
            return;
        }
        REPLY_SEP();
        reading_out(q, st->held);
        return;
    }
    if (query && header_match(cmd, "READ")) {
        NO_PARAMS();
        st->held = take_reading(s, st);
        st->have_reading = true;
        REPLY_SEP();
        reading_out(q, st->held);
        return;
    }
    for (size_t f = 0; f < N_FUNCS; f++) {
        char pat[64];
        snprintf(pat, sizeof pat, "%s:%s", query ? "MEASure" : "CONFigure", funcs[f].node);
        if (!header_match(cmd, pat))
            continue;
        if (parse_conf(st, f, params) != 0)
            return;
        if (query) {
            st->held = take_reading(s, st);
            st->have_reading = true;
            REPLY_SEP();
            reading_out(q, st->held);
        }
        return;
    }
    push_error(st, -113, "Undefined header");
#undef REPLY_SEP
#undef NO_PARAMS
}

/* ------------------------------------------------------------ protocol */

static void reset(drv_sim *s, void *vst)
{
    (void)s;
    struct scpi_state *st = vst;
    st->remote = false;
}

static int handle(drv_sim *s, void *vst, const struct sim_request *req, struct sim_out *out,
                  struct cd_err *err)
{
    (void)err;
    struct scpi_state *st = vst;
    if (req->inject_error) {
        push_error(st, -102, "Syntax error");
        return 0;
    }
    char line[LINE_MAX_SCPI];
    sim_request_text(req, line, sizeof line);
    int nq = 0;
    char *save = line;
    for (;;) {
        char *semi = strchr(save, ';');
        if (semi != NULL)
            *semi = '\0';
        one_command(s, st, save, out, &nq);
        if (semi == NULL)
            break;
        save = semi + 1;
    }
    if (nq > 0)
        sim_out_printf(out, "\r\n");
    return 0;
}

const struct sim_protocol sim_protocol_scpi = {
    .name = "scpi",
    .summary = "HP/Agilent 34401A multimeter, SCPI over RS-232",
    .defaults = defaults,
    .state_size = sizeof(struct scpi_state),
    .reset = reset,
    .frame = sim_frame_line,
    .idle_flush_ms = 0,
    .handle = handle,
    .timer = NULL,
};
