/* The "toledo-cont" simulator: a weighing indicator streaming the Mettler
 * Toledo standard continuous output (the format and its sources:
 * drivers/parsers/toledo_cont.c), one frame every stream_ms (default
 * 100 ms, 10 Hz) with no request, from the core's model (loads, noise,
 * settling: motion while the transient is outside the band, zero/tare).
 *
 * Frames: STX SWA SWB SWC weight(6) tare(6) CR [checksum]. SWA from the
 * resolution (0.1 -> XXXXX.X, increment x1; 0.02 -> XXXX.XX x2; 0.5 ->
 * XXXXX.X x5; 10 -> XXXXX0); SWB: net when a tare is in force, sign,
 * out of range (load above capacity or below zero), motion, kg; SWC: unit
 * code (kg/lb 000, g 001, t 010). Input from the host is read and ignored
 * (the indicator has no commands in this mode).
 * Options: checksum=0|1 (default 1). Faults: the core's (garbage_every,
 * truncate_every, silent_after, disconnect_after count frames);
 * error_every sends the frame with a wrong checksum (with checksum=0: with
 * its CR replaced, a frame the host must refuse).
 */
#include "sim_priv.h"
#include "parsers/indicators.h"
#include "cd_i18n.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

struct tc_state {
    bool checksum;
};

static const char *const defaults[] = {
    "unit=kg", "capacity=300", "resolution=0.1", "loads=0,50,100,200,300", "noise=0.02",
    "stream_ms=100", "model=IND131", "checksum=1", NULL,
};

static int option(drv_sim *s, void *vst, const char *key, const char *value,
                  struct cd_err *err)
{
    (void)s;
    struct tc_state *st = vst;
    unsigned long v;
    if (strcmp(key, "checksum") == 0) {
        if (sim_parse_ulong(value, &v) != 0 || v > 1)
            return cd_fail(err, CD_ERR_INVALID, _("checksum=%s: expected 0 or 1"), value);
        st->checksum = v == 1;
        return 0;
    }
    return CD_ERR_NOT_FOUND;
}

/* SWA bits 0-2 and 3-4 for a display step: 0 when it has none. */
static int swa_for(double res, int decimals)
{
    int dp = decimals + 2;
    double mant = res * pow(10.0, decimals);
    if (decimals == 0 && res >= 10) {
        dp = res >= 100 ? 0 : 1;
        mant = res / (res >= 100 ? 100 : 10);
    }
    if (dp > 7)
        return 0;
    int inc = fabs(mant - 1) < 1e-9 ? 1 : fabs(mant - 2) < 1e-9 ? 2 : fabs(mant - 5) < 1e-9 ? 3 : 0;
    return inc == 0 ? 0 : 0x20 | inc << 3 | dp;
}

static void digits6(char *dst, double v, double step)
{
    double n = round(fabs(v) / step);
    if (n > 999999)
        n = 999999;
    char tmp[16];
    snprintf(tmp, sizeof tmp, "%06.0f", n);
    memcpy(dst, tmp, 6);
}

static int timer(drv_sim *s, void *vst, struct sim_out *out, struct cd_err *err)
{
    (void)err;
    struct tc_state *st = vst;
    sim_timer_set(s, sim_stream_period(s));
    struct sim_reading r;
    sim_read(s, &r);
    int swa = swa_for(r.resolution, r.decimals);
    if (swa == 0)
        swa = 0x20 | 1 << 3 | 2;   /* a step the format cannot say: whole numbers */
    int dp = swa & 7;
    double step = pow(10.0, -(dp - 2));
    int swc = 0x20;
    if (strcmp(r.unit, "g") == 0)
        swc |= 1;
    else if (strcmp(r.unit, "t") == 0)
        swc |= 2;
    int swb = 0x20 | (r.tare > 0 ? 1 : 0) | (r.value < 0 ? 2 : 0) |
              (r.overload || r.underload ? 4 : 0) | (r.stable ? 0 : 8) |
              (strcmp(r.unit, "lb") == 0 ? 0 : 0x10);
    if (r.underload)
        swb |= 2;
    uint8_t f[18];
    f[0] = IND_STX;
    f[1] = (uint8_t)swa;
    f[2] = (uint8_t)swb;
    f[3] = (uint8_t)swc;
    digits6((char *)f + 4, r.overload || r.underload ? 0 : r.value, step);
    digits6((char *)f + 10, r.tare, step);
    f[16] = '\r';
    size_t n = 17;
    bool spoil = sim_stream_inject_error(s);
    if (st->checksum) {
        f[17] = ind_toledo_checksum(f, 17);
        if (spoil)
            f[17] = (uint8_t)((f[17] + 1) & 0x7F) == IND_STX ? (uint8_t)((f[17] + 2) & 0x7F)
                                                              : (uint8_t)((f[17] + 1) & 0x7F);
        n = 18;
    } else if (spoil) {
        f[16] = '?';
    }
    return sim_out_bytes(out, f, n);
}

const struct sim_protocol sim_protocol_toledo_cont = {
    .name = "toledo-cont",
    .summary = "weighing indicator, Mettler Toledo continuous output (streams at stream_ms)",
    .defaults = defaults,
    .state_size = sizeof(struct tc_state),
    .option = option,
    .timer = timer,
    .streams = true,
};
