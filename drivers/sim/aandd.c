/* The "aandd" simulator: an A&D balance (GX/GF/FX style) in the A&D
 * standard format.
 *
 * Byte formats and where they come from:
 *   - line: 15 characters + CR LF: a 2-character header, ',', 9 data
 *     characters (sign, zero-padded digits, point), a 3-character unit
 *     right-aligned: "ST,+00123.45  g\r\n" stable, "US,-00183.69  g\r\n"
 *     unstable, "OL,+999999E+19\r\n" overload [protocols.md 1.3, from the
 *     GF/GX/EK manuals]. Underload "OL,-999999E+19" (the sign of the
 *     overload line; decide on the header, not the value).
 *   - commands end in CR LF (CR or LF accepted): Q (now), S (when
 *     stable), SI (now), SIR (now, repeated every stream_ms), C (cancel S
 *     and SIR), R and Z (re-zero), T (tare), ON, OFF, P (display),
 *     ?ID ?SN ?TN ?PT [protocols.md 1.3 **M**; oscarbranson/AnD_balance
 *     (A&D FX-i/FX-iN) lists ?ID, ?SN, ?TN, ?PT, S, SI, SIR, T, ON, OFF,
 *     C, Z and decodes replies as "<code>,<data>" with codes ID, SN, TN,
 *     PT]. Replies to the queries: "ID,<id>", "SN,<serial>", "TN,<model>",
 *     "PT,<tare in the weight format>".
 *   - acknowledge and errors (ack=1, the "AK, error code" setting
 *     erCd 1): control commands answer ACK (06h) CR LF; R, Z and T answer
 *     once on receipt and again when done; errors are "EC,Exx" CR LF:
 *     E01 undefined command, E02 not executable (zero/tare refused, out of
 *     range), E11 unstable (zero/tare, and our S, when stability does not
 *     come within stable_timeout_s) [A&D GC-series and FX-i manuals,
 *     "Acknowledge Code and Error Codes"]. error_every answers "EC,E00",
 *     the code the FX-i manual gives for a communication (noise, parity)
 *     error (**M**: E00 is absent from the
 *     GC list we checked). With ack=0 (factory default of many models)
 *     control commands and errors get no reply at all.
 */
#include "sim_priv.h"
#include "cd_i18n.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define POLL_MS 50

enum ad_pending { AD_NONE, AD_S, AD_SIR, AD_ZERO, AD_TARE };

struct ad_state {
    bool ack;
    char id[16];
    enum ad_pending pending;
    double deadline;
};

static const char *const defaults[] = {
    "model=GX-224A", "serial=T0123456", "firmware=1.00", "ack=1", "id=LAB-012", NULL,
};

static int option(drv_sim *s, void *vst, const char *key, const char *value,
                  struct cd_err *err)
{
    (void)s;
    struct ad_state *st = vst;
    unsigned long v;
    if (strcmp(key, "ack") == 0) {
        if (sim_parse_ulong(value, &v) != 0 || v > 1)
            return cd_fail(err, CD_ERR_INVALID, _("ack=%s: expected 0 or 1"), value);
        st->ack = v == 1;
        return 0;
    }
    if (strcmp(key, "id") == 0) {
        if (strlen(value) >= sizeof st->id)
            return cd_fail(err, CD_ERR_INVALID, _("id=%s: longer than %zu characters"), value,
                           sizeof st->id - 1);
        snprintf(st->id, sizeof st->id, "%s", value);
        return 0;
    }
    return CD_ERR_NOT_FOUND;
}

/* ------------------------------------------------------------ lines */

static void data_field(struct sim_out *o, const char *header, double v, int decimals,
                       const char *unit)
{
    char num[32];
    int n = snprintf(num, sizeof num, "%0*.*f", 8, decimals, fabs(v));
    if (n != 8) {
        sim_out_printf(o, "OL,%c999999E+19\r\n", v < 0 ? '-' : '+');
        return;
    }
    sim_out_printf(o, "%s,%c%s%3.3s\r\n", header, v < 0 ? '-' : '+', num, unit);
}

static void weight_line(drv_sim *s, struct sim_out *o)
{
    struct sim_reading r;
    sim_read(s, &r);
    if (r.overload || r.underload) {
        sim_out_printf(o, "OL,%c999999E+19\r\n", r.overload ? '+' : '-');
        return;
    }
    data_field(o, r.stable ? "ST" : "US", r.value, r.decimals, r.unit);
}

static void ack(const struct ad_state *st, struct sim_out *o)
{
    if (st->ack)
        sim_out_printf(o, "\x06\r\n");
}

static void error_code(const struct ad_state *st, struct sim_out *o, int code)
{
    if (st->ack)
        sim_out_printf(o, "EC,E%02d\r\n", code);
}

/* Zero or tare, now that the balance is stable. */
static void finish(drv_sim *s, struct ad_state *st, enum ad_pending what, struct sim_out *o)
{
    int rc = what == AD_ZERO ? sim_zero(s) : sim_tare(s);
    if (rc != 0)
        error_code(st, o, 2);
    else
        ack(st, o);
}

/* S, R/Z, T: now when stable, else poll for stability. */
static void wait_or_do(drv_sim *s, struct ad_state *st, enum ad_pending what, struct sim_out *o)
{
    struct sim_reading r;
    sim_read(s, &r);
    if (r.stable || r.overload || r.underload) {
        if (what == AD_S)
            weight_line(s, o);
        else
            finish(s, st, what, o);
        return;
    }
    st->pending = what;
    st->deadline = sim_now(s) + sim_stable_timeout_s(s);
    sim_timer_set(s, POLL_MS);
}

/* ------------------------------------------------------------ protocol */

static void reset(drv_sim *s, void *vst)
{
    (void)s;
    struct ad_state *st = vst;
    st->pending = AD_NONE;
}

static int handle(drv_sim *s, void *vst, const struct sim_request *req, struct sim_out *out,
                  struct cd_err *err)
{
    (void)err;
    struct ad_state *st = vst;
    if (req->inject_error) {
        error_code(st, out, 0);
        return 0;
    }
    char line[64];
    sim_request_text(req, line, sizeof line);
    struct sim_ident id;
    sim_ident(s, &id);

    /* Queries leave S/SIR running. */
    if (strcmp(line, "?ID") == 0) {
        sim_out_printf(out, "ID,%s\r\n", st->id);
        return 0;
    }
    if (strcmp(line, "?SN") == 0) {
        sim_out_printf(out, "SN,%s\r\n", id.serial);
        return 0;
    }
    if (strcmp(line, "?TN") == 0) {
        sim_out_printf(out, "TN,%s\r\n", id.model);
        return 0;
    }
    if (strcmp(line, "?PT") == 0) {
        struct sim_reading r;
        sim_read(s, &r);
        data_field(out, "PT", r.tare, r.decimals, r.unit);
        return 0;
    }
    bool known = true;
    enum ad_pending was = st->pending;
    st->pending = AD_NONE;
    sim_timer_clear(s);
    if (strcmp(line, "Q") == 0 || strcmp(line, "SI") == 0) {
        weight_line(s, out);
    } else if (strcmp(line, "S") == 0) {
        wait_or_do(s, st, AD_S, out);
    } else if (strcmp(line, "SIR") == 0) {
        weight_line(s, out);
        st->pending = AD_SIR;
        sim_timer_set(s, sim_stream_ms(s));
    } else if (strcmp(line, "C") == 0 || strcmp(line, "ON") == 0 || strcmp(line, "OFF") == 0 ||
               strcmp(line, "P") == 0) {
        ack(st, out);
    } else if (strcmp(line, "R") == 0 || strcmp(line, "Z") == 0) {
        ack(st, out);
        wait_or_do(s, st, AD_ZERO, out);
    } else if (strcmp(line, "T") == 0) {
        ack(st, out);
        wait_or_do(s, st, AD_TARE, out);
    } else {
        known = false;
    }
    if (!known) {
        /* An unknown command does not stop a running S or SIR. */
        st->pending = was;
        if (was == AD_SIR)
            sim_timer_set(s, sim_stream_ms(s));
        else if (was != AD_NONE)
            sim_timer_set(s, POLL_MS);
        error_code(st, out, 1);
    }
    return 0;
}

static int timer(drv_sim *s, void *vst, struct sim_out *out, struct cd_err *err)
{
    (void)err;
    struct ad_state *st = vst;
    struct sim_reading r;
    switch (st->pending) {
    case AD_NONE:
        return 0;
    case AD_SIR:
        weight_line(s, out);
        sim_timer_set(s, sim_stream_ms(s));
        return 0;
    case AD_S:
    case AD_ZERO:
    case AD_TARE:
        sim_read(s, &r);
        if (r.stable || r.overload || r.underload) {
            enum ad_pending what = st->pending;
            st->pending = AD_NONE;
            wait_or_do(s, st, what, out);
        } else if (sim_now(s) >= st->deadline) {
            st->pending = AD_NONE;
            error_code(st, out, 11);
        } else {
            sim_timer_set(s, POLL_MS);
        }
        return 0;
    }
    return 0;
}

const struct sim_protocol sim_protocol_aandd = {
    .name = "aandd",
    .summary = "A&D balance, A&D standard format",
    .defaults = defaults,
    .state_size = sizeof(struct ad_state),
    .option = option,
    .reset = reset,
    .frame = sim_frame_line,
    .idle_flush_ms = 0,
    .handle = handle,
    .timer = timer,
};
