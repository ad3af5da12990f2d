/* The "fluke-1529" simulator: a Fluke/Hart 1529 Chub-E4 thermometer
 * readout (four channels; the 1524 answers the same way) on RS-232.
 *
 * Bytes (the reading commands as the 1529 Chub-E4 User's Guide 8.4.1.7-8
 * has them, "MEAS? 1" -> "0.0127", and commands ended by CR or LF, 8.3;
 * the rest **M**: the brief's commands and SCPI conventions):
 *   - commands end in LF (CR taken); replies end in CR LF.
 *   - *IDN? -> "HART,1529,<serial>,<firmware>"; *CLS; UNIT:TEMP C|F|K|O
 *     and UNIT:TEMP? -> the letter; MEAS? [n], READ? [n], FETC? [n] -> the
 *     reading of channel n (1-4, default 1) alone, 4 decimals ("%.4f");
 *     MEAS:PER <s> -> from then on every s seconds (0: off) one line per
 *     channel, "1: 25.1234 C", the periodic output; SYST:ERR? -> "0,\"No
 *     error\"" or the oldest entry of a queue of 10.
 *   - errors: -113 "Undefined header", -222 "Data out of range" (a
 *     channel outside 1-4), -102 "Syntax error" for the error_every fault
 *     (the command is lost in transit: no reply; SYST:ERR? tells why).
 * Every channel reads the model's value (degC) plus 0.001 degC times the
 * channel number - a bath seen by four probes.
 */
#include "sim_priv.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ERRQ 10

struct c1529_sim {
    char unit;
    int period_ms;
    struct {
        int code;
        const char *msg;
    } q[ERRQ];
    size_t nq;
};

static const char *const defaults[] = {
    "unit=C", "capacity=0", "loads=25.1234", "resolution=0.0001", "noise=0.00003", "settle_s=0",
    "model=1529", "serial=A12345", "firmware=1.00", NULL,
};

static void push(struct c1529_sim *st, int code, const char *msg)
{
    if (st->nq == ERRQ) {
        st->q[ERRQ - 1].code = -350;
        st->q[ERRQ - 1].msg = "Queue overflow";
        return;
    }
    st->q[st->nq].code = code;
    st->q[st->nq].msg = msg;
    st->nq++;
}

static void reset(drv_sim *s, void *vst)
{
    (void)s;
    struct c1529_sim *st = vst;
    if (st->unit == 0)
        st->unit = 'C';
    st->period_ms = 0;
    st->nq = 0;
}

static double channel_value(drv_sim *s, const struct c1529_sim *st, int ch)
{
    struct sim_reading r;
    sim_read(s, &r);
    return sim_thermo_in(r.value + 0.001 * ch, st->unit);
}

/* "MEAS? 2" style: the channel after the header, default 1; 0 when bad. */
static int channel_arg(const char *arg)
{
    while (*arg == ' ')
        arg++;
    if (*arg == '\0')
        return 1;
    if (arg[0] >= '1' && arg[0] <= '4' && arg[1] == '\0')
        return arg[0] - '0';
    return 0;
}

static bool header_is(const char *line, const char *shortf, const char *longf, const char **arg)
{
    size_t n = strcspn(line, " ");
    if ((strlen(shortf) == n && strncasecmp(line, shortf, n) == 0) ||
        (strlen(longf) == n && strncasecmp(line, longf, n) == 0)) {
        *arg = line + n;
        return true;
    }
    return false;
}

static int handle(drv_sim *s, void *vst, const struct sim_request *req, struct sim_out *out,
                  struct cd_err *err)
{
    (void)err;
    struct c1529_sim *st = vst;
    if (req->inject_error) {
        push(st, -102, "Syntax error");
        return 0;
    }
    char line[128];
    sim_request_text(req, line, sizeof line);
    const char *arg;
    if (strcasecmp(line, "*IDN?") == 0) {
        struct sim_ident id;
        sim_ident(s, &id);
        sim_out_printf(out, "HART,%s,%s,%s\r\n", id.model, id.serial, id.firmware);
        return 0;
    }
    if (strcasecmp(line, "*CLS") == 0) {
        st->nq = 0;
        return 0;
    }
    if (header_is(line, "SYST:ERR?", "SYSTEM:ERROR?", &arg)) {
        if (st->nq == 0) {
            sim_out_printf(out, "0,\"No error\"\r\n");
        } else {
            sim_out_printf(out, "%d,\"%s\"\r\n", st->q[0].code, st->q[0].msg);
            memmove(st->q, st->q + 1, (st->nq - 1) * sizeof st->q[0]);
            st->nq--;
        }
        return 0;
    }
    if (header_is(line, "UNIT:TEMP?", "UNIT:TEMPERATURE?", &arg)) {
        sim_out_printf(out, "%c\r\n", st->unit);
        return 0;
    }
    if (header_is(line, "UNIT:TEMP", "UNIT:TEMPERATURE", &arg)) {
        while (*arg == ' ')
            arg++;
        if (strlen(arg) == 1 && strchr("CFKOcfko", arg[0]) != NULL)
            st->unit = (char)toupper((unsigned char)arg[0]);
        else
            push(st, -224, "Illegal parameter value");
        return 0;
    }
    if (header_is(line, "MEAS?", "MEASURE?", &arg) || header_is(line, "READ?", "READ?", &arg) ||
        header_is(line, "FETC?", "FETCH?", &arg)) {
        int ch = channel_arg(arg);
        if (ch == 0) {
            push(st, -222, "Data out of range");
            return 0;
        }
        sim_out_printf(out, "%.4f\r\n", channel_value(s, st, ch));
        return 0;
    }
    if (header_is(line, "MEAS:PER", "MEASURE:PERIOD", &arg)) {
        unsigned long sec;
        while (*arg == ' ')
            arg++;
        if (sim_parse_ulong(arg, &sec) != 0 || sec > 3600) {
            push(st, -222, "Data out of range");
            return 0;
        }
        st->period_ms = (int)sec * 1000;
        if (st->period_ms > 0)
            sim_timer_set(s, st->period_ms);
        else
            sim_timer_clear(s);
        return 0;
    }
    push(st, -113, "Undefined header");
    return 0;
}

static int timer(drv_sim *s, void *vst, struct sim_out *out, struct cd_err *err)
{
    (void)err;
    struct c1529_sim *st = vst;
    if (st->period_ms <= 0)
        return 0;
    for (int ch = 1; ch <= 4; ch++)
        sim_out_printf(out, "%d: %.4f %c\r\n", ch, channel_value(s, st, ch), st->unit);
    sim_timer_set(s, st->period_ms);
    return 0;
}

const struct sim_protocol sim_protocol_fluke_1529 = {
    .name = "fluke-1529",
    .summary = "Fluke/Hart 1529 Chub-E4 thermometer readout (MEAS? n, MEAS:PER), RS-232",
    .defaults = defaults,
    .state_size = sizeof(struct c1529_sim),
    .option = NULL,
    .reset = reset,
    .frame = sim_frame_line,
    .idle_flush_ms = 0,
    .handle = handle,
    .timer = timer,
};
