/* The "xk3190" simulator: a Yaohua XK3190 indicator in continuous output,
 * one frame every stream_ms (default 100 ms) with no request, from the
 * core's model. The forms and their sources: drivers/parsers/xk3190.c.
 * Option xk_format=tf0 (default: 02h, sign, six digits, decimals, XOR as
 * two hex characters, 03h), wg ("WG004.139kg3D" CR LF; "WN" with a tare;
 * nine blanks "OL23" in overload, "LO" below zero), ww ("ww000.50kg" CR LF,
 * "wn" with a tare, no checksum). In tf0 an overload is sent as the
 * capacity (the frame has no overload sign: **M**). Input from the host is
 * ignored. Faults: the core's, counted per frame; error_every spoils the
 * checksum (ww: the unit, as the form has no checksum).
 */
#include "sim_priv.h"
#include "parsers/indicators.h"
#include "cd_i18n.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum xk_form { XK_TF0, XK_WG, XK_WW };

struct xk_state {
    enum xk_form form;
};

static const char *const defaults[] = {
    "unit=kg", "capacity=60", "resolution=0.02", "loads=0,10,20,50", "noise=0.004",
    "stream_ms=100", "model=XK3190-A9", "xk_format=tf0", NULL,
};

static int option(drv_sim *s, void *vst, const char *key, const char *value,
                  struct cd_err *err)
{
    (void)s;
    struct xk_state *st = vst;
    if (strcmp(key, "xk_format") == 0) {
        if (strcmp(value, "tf0") == 0)
            st->form = XK_TF0;
        else if (strcmp(value, "wg") == 0)
            st->form = XK_WG;
        else if (strcmp(value, "ww") == 0)
            st->form = XK_WW;
        else
            return cd_fail(err, CD_ERR_INVALID, _("xk_format=%s: tf0, wg or ww"), value);
        return 0;
    }
    return CD_ERR_NOT_FOUND;
}

static int tf0(const struct sim_reading *r, bool spoil, struct sim_out *out)
{
    int dec = r->decimals > 4 ? 4 : r->decimals;
    double v = r->overload ? r->capacity : r->value;
    double n = round(fabs(v) * pow(10.0, dec));
    if (n > 999999)
        n = 999999;
    char f[32];
    snprintf(f, sizeof f, "\x02%c%06.0f%d", v < 0 ? '-' : '+', n, dec);
    uint8_t x = ind_xor((const uint8_t *)f + 1, 8);
    if (spoil)
        x ^= 0x01;
    f[9] = ind_hex(x >> 4);
    f[10] = ind_hex(x);
    f[11] = IND_ETX;
    return sim_out_bytes(out, f, 12);
}

static int wg(const struct sim_reading *r, bool spoil, struct sim_out *out)
{
    char f[64];
    if (r->overload || r->underload) {
        snprintf(f, sizeof f, "         %s", r->overload ? "OL" : "LO");
    } else {
        char num[48];
        if (r->decimals == 0)
            snprintf(num, sizeof num, "%06.0f ", r->value);   /* no point: a blank last */
        else
            snprintf(num, sizeof num, "%07.*f", r->decimals, r->value);
        if (strlen(num) != 7)
            snprintf(num, sizeof num, "%s", "9999999");
        snprintf(f, sizeof f, "W%c%s%-2.2s", r->tare > 0 ? 'N' : 'G', num, r->unit);
    }
    uint8_t x = ind_xor((const uint8_t *)f, 11);
    if (spoil)
        x ^= 0x01;
    f[11] = ind_hex(x >> 4);
    f[12] = ind_hex(x);
    f[13] = '\r';
    f[14] = '\n';
    return sim_out_bytes(out, f, 15);
}

static int ww(const struct sim_reading *r, bool spoil, struct sim_out *out)
{
    double v = r->overload ? r->capacity : r->value;
    return sim_out_printf(out, "w%c%0*.*f%s\r\n", r->tare > 0 ? 'n' : 'w',
                          r->decimals > 0 ? 7 + (v < 0) : 6 + (v < 0), r->decimals, v,
                          spoil ? "?" : r->unit);
}

static int timer(drv_sim *s, void *vst, struct sim_out *out, struct cd_err *err)
{
    (void)err;
    const struct xk_state *st = vst;
    sim_timer_set(s, sim_stream_period(s));
    struct sim_reading r;
    sim_read(s, &r);
    bool spoil = sim_stream_inject_error(s);
    switch (st->form) {
    case XK_TF0: return tf0(&r, spoil, out);
    case XK_WG: return wg(&r, spoil, out);
    case XK_WW: return ww(&r, spoil, out);
    }
    return 0;
}

const struct sim_protocol sim_protocol_xk3190 = {
    .name = "xk3190",
    .summary = "Yaohua XK3190 indicator, continuous output (tf0, WG or ww lines)",
    .defaults = defaults,
    .state_size = sizeof(struct xk_state),
    .option = option,
    .timer = timer,
    .streams = true,
};
