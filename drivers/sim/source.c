/* The simulated sources (issue 19, docs/sources.md, docs/simulators.md):
 * a Druck PACE pressure controller ("pace", SCPI, for --tcp) and a
 * Hart/Fluke temperature bath or dry-block ("bath", RS-232 on a pty). The
 * commands and replies are those of drivers/source.c (sources and **M**
 * marks there).
 *
 * The model. The core's load is the set point (":SOUR:PRES 10", "s=25",
 * or the control command "load 10" as a technician at the front panel);
 * the controlled value heads for it with a first-order lag,
 *     a(t) = T + (a0 - T) exp(-(t - t0) / tau_s),
 * restarted from the value reached whenever the target T changes, plus the
 * core's noise and drift (noise=, drift_per_s=), rounded to resolution=.
 * The target is the set point plus the fault offset stall= (0: none; a
 * controller that never reaches a set point other than 0, as a PACE with a
 * leak reaches atmosphere and nothing above it); for the PACE it is the
 * set point only while its output is on, the pressure held where it was
 * when the output is off, and 0 (gauge: atmosphere) once vented. Options
 * of the protocols: tau_s= (default 1 s), stall= (default 0, in the unit),
 * in_limits= (PACE: the half-width of its in-limits flag, default 0.001).
 * The core's settle_s is 0 for them: the lag is the settling.
 *
 * A set point beyond capacity= (0, the default: none) is refused and kept
 * out of the queue as SCPI -222 "Data out of range" for :SYST:ERR?.
 * PACE extras (ours, not K0472's): :STAT:OPER:COND? answers a register
 * whose bit 0 is "vent complete" and bit 4 "in limits" (K0472 3.3 has the
 * vent-complete and in-limits conditions in its pressure operation group,
 * read with :STAT:OPER:PRES..., in another layout; the driver uses none); :SYST:ERR? answers
 * `:SYST:ERR -113,"Undefined header"` after an unknown command (the
 * error_every fault answers so too), else `:SYST:ERR 0,"No error"`.
 * Commands in short form, any case, a leading ':' optional.
 */
#include "sim_priv.h"
#include "cd_i18n.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct src_state {
    bool init;
    double target, from, t0;  /* the lag */
    double tau_s, stall, in_limits;
    bool options_set;         /* tau_s and in_limits defaults applied */
    bool output, vented, held_set;
    double held;
    int errors;               /* unknown commands since the last :SYST:ERR? */
    bool range_error;         /* a set point beyond capacity= since then */
};

static void defaults_once(struct src_state *st)
{
    if (st->options_set)
        return;
    st->options_set = true;
    st->tau_s = 1;
    st->in_limits = 0.001;
}

static int src_option(drv_sim *s, void *vst, const char *key, const char *value,
                      struct cd_err *err)
{
    (void)s;
    struct src_state *st = vst;
    defaults_once(st);
    double v;
    double *to = strcmp(key, "tau_s") == 0       ? &st->tau_s
                 : strcmp(key, "stall") == 0     ? &st->stall
                 : strcmp(key, "in_limits") == 0 ? &st->in_limits
                                                 : NULL;
    if (to == NULL)
        return CD_ERR_NOT_FOUND;
    if (sim_parse_double(value, &v) != 0 || !isfinite(v) || (to != &st->stall && v < 0))
        return cd_fail(err, CD_ERR_INVALID, _("%s=%s: expected a number%s"), key, value,
                       to != &st->stall ? " (0 or more)" : "");
    *to = v;
    return 0;
}

static double lag_at(const struct src_state *st, double t)
{
    if (st->tau_s <= 0 || t <= st->t0)
        return st->tau_s <= 0 ? st->target : st->from;
    return st->target + (st->from - st->target) * exp(-(t - st->t0) / st->tau_s);
}

/* The set point now, and the controlled value: noise-free in *clean, as
 * displayed (noise, drift, rounding) in *shown. */
static void src_value(drv_sim *s, struct src_state *st, bool is_pace, double *setpoint,
                      double *clean, double *shown, struct sim_reading *r)
{
    defaults_once(st);
    sim_read(s, r);
    double t = sim_now(s);
    double target = r->load + (r->load != 0 ? st->stall : 0);
    if (is_pace && st->vented)
        target = 0;
    else if (is_pace && !st->output)
        target = st->held_set ? st->held : 0;
    if (!st->init) {
        st->init = true;
        st->target = st->from = target;
        st->t0 = t;
    } else if (target != st->target) {
        st->from = lag_at(st, t);
        st->target = target;
        st->t0 = t;
    }
    *setpoint = r->load;
    *clean = lag_at(st, t);
    double v = *clean + (r->value - r->load);
    double res = r->resolution > 0 ? r->resolution : 1e-6;
    v = round(v / res) * res;
    *shown = v == 0 ? 0.0 : v;
}

static void src_reset(drv_sim *s, void *vst)
{
    (void)s;
    defaults_once(vst);
}

/* ------------------------------------------------------------ pace */

static const char *const pace_defaults[] = {
    "unit=bar", "capacity=0", "loads=0", "resolution=0.00001", "noise=0.00002", "settle_s=0",
    "model=PACE5000", "serial=5000-0001", "firmware=02.00.00", NULL,
};

static bool is_cmd(const char *line, const char *cmd)
{
    return strcasecmp(line, cmd) == 0;
}

static int pace_handle(drv_sim *s, void *vst, const struct sim_request *req, struct sim_out *out,
                       struct cd_err *err)
{
    (void)err;
    struct src_state *st = vst;
    char line[256];
    sim_request_text(req, line, sizeof line);
    char *p = line;
    while (*p == ' ')
        p++;
    char cmd[260];
    snprintf(cmd, sizeof cmd, "%s%.255s", *p == ':' || *p == '*' ? "" : ":", p);
    char *arg = strchr(cmd, ' ');
    if (arg != NULL) {
        *arg++ = '\0';
        while (*arg == ' ')
            arg++;
    }
    double sp, clean, shown;
    struct sim_reading r;
    src_value(s, st, true, &sp, &clean, &shown, &r);
    int d = r.decimals;
    if (req->inject_error) {
        st->errors++;
        return 0;
    }
    if (is_cmd(cmd, "*IDN?")) {
        struct sim_ident id;
        sim_ident(s, &id);
        return sim_out_printf(out, "GE Druck,%s,%s,%s\r\n", id.model, id.serial, id.firmware);
    }
    if (is_cmd(cmd, "*CLS")) {
        st->errors = 0;
        st->range_error = false;
        return 0;
    }
    if (is_cmd(cmd, ":SENS:PRES?"))
        return sim_out_printf(out, ":SENS:PRES %.*f\r\n", d, shown);
    if (is_cmd(cmd, ":SENS:PRES:INL?"))
        return sim_out_printf(out, ":SENS:PRES:INL %.*f, %d\r\n", d, shown,
                              st->output && fabs(clean - sp) <= st->in_limits);
    if (is_cmd(cmd, ":SOUR:PRES?"))
        return sim_out_printf(out, ":SOUR:PRES %.*f\r\n", d, sp);
    if (is_cmd(cmd, ":OUTP:STAT?"))
        return sim_out_printf(out, ":OUTP:STAT %d\r\n", st->output);
    int vent = st->vented ? (fabs(clean) <= st->in_limits ? 2 : 1) : 0;
    if (is_cmd(cmd, ":SOUR:PRES:LEV:IMM:AMPL:VENT?"))
        return sim_out_printf(out, ":SOUR:PRES:LEV:IMM:AMPL:VENT %d\r\n", vent);
    if (is_cmd(cmd, ":STAT:OPER:COND?"))
        return sim_out_printf(out, ":STAT:OPER:COND %d\r\n",
                              (vent == 2 ? 1 : 0) |
                                  (st->output && fabs(clean - sp) <= st->in_limits ? 16 : 0));
    if (is_cmd(cmd, ":SYST:ERR?")) {
        int e = st->errors;
        bool range = st->range_error;
        st->errors = 0;
        st->range_error = false;
        return range ? sim_out_printf(out, ":SYST:ERR -222,\"Data out of range\"\r\n")
               : e   ? sim_out_printf(out, ":SYST:ERR -113,\"Undefined header\"\r\n")
                     : sim_out_printf(out, ":SYST:ERR 0,\"No error\"\r\n");
    }
    double v;
    if (is_cmd(cmd, ":SOUR:PRES") && arg != NULL && sim_parse_double(arg, &v) == 0) {
        /* beyond the controller's range (capacity=, 0: none): refused, the
         * set point kept (SCPI -222, "Data out of range") */
        if (r.capacity > 0 && fabs(v) > r.capacity)
            st->range_error = true;
        else
            sim_load_set(s, v);
        return 0;
    }
    if (is_cmd(cmd, ":OUTP:STAT") && arg != NULL) {
        bool on = strcasecmp(arg, "ON") == 0 || strcmp(arg, "1") == 0;
        if (!on && strcasecmp(arg, "OFF") != 0 && strcmp(arg, "0") != 0) {
            st->errors++;
            return 0;
        }
        if (!on && st->output) {
            st->held = clean;
            st->held_set = true;
        }
        st->output = on;
        if (on)
            st->vented = false;
        return 0;
    }
    if (is_cmd(cmd, ":SOUR:PRES:LEV:IMM:AMPL:VENT") && arg != NULL &&
        (strcmp(arg, "1") == 0 || strcmp(arg, "0") == 0)) {
        if (arg[0] == '1') {
            st->vented = true;
            st->output = false;
            st->held = 0;
            st->held_set = true;
        }
        return 0;
    }
    st->errors++;
    return 0;
}

static void pace_describe(drv_sim *s, void *vst, char *buf, size_t cap)
{
    struct src_state *st = vst;
    double sp, clean, shown;
    struct sim_reading r;
    src_value(s, st, true, &sp, &clean, &shown, &r);
    snprintf(buf, cap, "setpoint %.*f actual %.*f output %s %s in-limits %s", r.decimals, sp,
             r.decimals, shown, st->output ? "on" : "off", st->vented ? "vented" : "not-vented",
             st->output && fabs(clean - sp) <= st->in_limits ? "yes" : "no");
}

const struct sim_protocol sim_protocol_pace = {
    .name = "pace",
    .summary = "Druck PACE pressure controller, SCPI (a source: use --tcp)",
    .defaults = pace_defaults,
    .state_size = sizeof(struct src_state),
    .option = src_option,
    .reset = src_reset,
    .handle = pace_handle,
    .describe = pace_describe,
};

/* ------------------------------------------------------------ bath */

static const char *const bath_defaults[] = {
    "unit=C", "capacity=0", "loads=20", "resolution=0.001", "noise=0.002", "settle_s=0",
    "model=7341", "serial=0", "firmware=2.00", NULL,
};

static int bath_handle(drv_sim *s, void *vst, const struct sim_request *req, struct sim_out *out,
                       struct cd_err *err)
{
    (void)err;
    struct src_state *st = vst;
    char line[128];
    sim_request_text(req, line, sizeof line);
    double sp, clean, shown, v;
    struct sim_reading r;
    src_value(s, st, false, &sp, &clean, &shown, &r);
    if (req->inject_error)
        return sim_out_printf(out, "Err\r\n");
    if (strcasecmp(line, "t") == 0 || strcasecmp(line, "temperature") == 0)
        return sim_out_printf(out, "t: %.*f C\r\n", r.decimals, shown);
    if (strcasecmp(line, "s") == 0 || strcasecmp(line, "setpoint") == 0)
        return sim_out_printf(out, "set: %.2f C\r\n", sp);
    if (strcasecmp(line, "*ver") == 0 || strcasecmp(line, "*version") == 0) {
        struct sim_ident id;
        sim_ident(s, &id);
        return sim_out_printf(out, "ver.%s,%s\r\n", id.model, id.firmware);
    }
    if (strncasecmp(line, "s=", 2) == 0 && sim_parse_double(line + 2, &v) == 0) {
        sim_load_set(s, v);
        return 0;
    }
    if (strcasecmp(line, "u=c") == 0 || strncasecmp(line, "sa=", 3) == 0 ||
        strncasecmp(line, "du=", 3) == 0 || strncasecmp(line, "lf=", 3) == 0)
        return 0;
    return sim_out_printf(out, "Err\r\n");
}

static void bath_describe(drv_sim *s, void *vst, char *buf, size_t cap)
{
    double sp, clean, shown;
    struct sim_reading r;
    src_value(s, vst, false, &sp, &clean, &shown, &r);
    snprintf(buf, cap, "setpoint %.2f actual %.*f", sp, r.decimals, shown);
}

const struct sim_protocol sim_protocol_bath = {
    .name = "bath",
    .summary = "Hart/Fluke temperature bath or dry-block (a source)",
    .defaults = bath_defaults,
    .state_size = sizeof(struct src_state),
    .option = src_option,
    .reset = src_reset,
    .handle = bath_handle,
    .describe = bath_describe,
};
