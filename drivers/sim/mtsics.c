/* The "mtsics" simulator: a Mettler Toledo balance speaking MT-SICS levels
 * 0 and 1.
 *
 * Byte formats and where they come from (protocols.md 1.1 and the sources
 * it cites; re-checked against public code as noted):
 *   - commands: upper case, end in CR LF (we accept CR, LF or CR LF);
 *     replies end in CR LF [MT-SICS ref. 11780711; InstrumentKit
 *     src/instruments/mettler_toledo/mt_sics.py sends "\r\n"].
 *   - weight: "S S     100.00 g" -- [0] 'S', [2] status (S stable, D
 *     dynamic), [4..13] value right-aligned in 10 characters, a space, the
 *     unit. Status I (not executable: stability timeout), + (overload),
 *     - (underload) stand alone: "S I", "S +", "S -" [protocols.md 1.1;
 *     InstrumentKit and janelia-python/mettler_toledo_device_python
 *     check token 1 for I/+/-, token 2 is the value, token 3 the unit].
 *     The 10-character width is **M** in protocols.md (its examples fit).
 *   - errors: "ES" syntax (unknown command), "ET" transmission, "EL"
 *     logical (a parameter not allowed); no command echo [InstrumentKit
 *     _general_error_checking; janelia checks response[0] for ES/ET/EL].
 *   - identification: I1 A "01" "2.20" "2.20" "1.00" "1.00";
 *     I2 A "XS204 Excellence 220.00 g" (janelia get_balance_data splits it
 *     into model, line, capacity, unit); I3 A "2.10 10.28.0.493.142";
 *     I4 A "0123456789" (janelia int(response[2]) after removing quotes);
 *     @ answers like I4 [protocols.md 1.1, **M** there].
 *   - Z: "Z A" done, "Z I" timeout, "Z +"/"Z -" outside the zero range;
 *     ZI: "ZI S" / "ZI D" zeroed under stable / dynamic conditions
 *     [janelia zero() returns token 1, 'S' or 'D'].
 *   - T: "T S <tare> g" (the tare taken, same 10-character field); TA:
 *     "TA A <tare> g" (InstrumentKit tare_value reads tokens 2 and 3;
 *     "TA <value> <unit>" sets it); TAC: "TAC A"; TI (level 1): "TI S" /
 *     "TI D" with the tare. D "text" -> "D A", DW -> "DW A".
 *   - I0: one "I0 B <level> "<cmd>"" line per command, the last with A.
 * Choices of ours (no public source found): the injected error of
 * error_every is "ET" (a transmission error, as line noise would give);
 * a known command with a parameter it does not take answers "EL"; a new
 * command cancels a waiting S/Z/T (no reply to it) and stops SIR, as "@"
 * does.
 */
#include "sim_priv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POLL_MS 50   /* how often a waiting S/Z/T looks at stability */

enum mt_pending { MT_NONE, MT_S, MT_Z, MT_T, MT_SIR };

struct mt_state {
    enum mt_pending pending;
    double deadline;        /* for S/Z/T: give up then */
};

static const char *const defaults[] = {
    "model=XS204 Excellence", "serial=0123456789", "firmware=2.10 10.28.0.493.142", NULL,
};

/* ------------------------------------------------------------ replies */

static void weight_line(struct sim_out *o, const char *cmd, char status,
                        const struct sim_reading *r, double value)
{
    sim_out_printf(o, "%s %c %10.*f %s\r\n", cmd, status, r->decimals, value, r->unit);
}

/* "S S ...", "S D ...", "S +", "S -". */
static void weight_reply(struct sim_out *o, const struct sim_reading *r)
{
    if (r->overload)
        sim_out_printf(o, "S +\r\n");
    else if (r->underload)
        sim_out_printf(o, "S -\r\n");
    else
        weight_line(o, "S", r->stable ? 'S' : 'D', r, r->value);
}

static void do_zero(drv_sim *s, const char *cmd, bool stable, struct sim_out *o)
{
    int z = sim_zero(s);
    if (z > 0)
        sim_out_printf(o, "%s +\r\n", cmd);
    else if (z < 0)
        sim_out_printf(o, "%s -\r\n", cmd);
    else if (strcmp(cmd, "Z") == 0)
        sim_out_printf(o, "Z A\r\n");
    else
        sim_out_printf(o, "%s %c\r\n", cmd, stable ? 'S' : 'D');
}

static void do_tare(drv_sim *s, const char *cmd, bool stable, struct sim_out *o)
{
    int t = sim_tare(s);
    if (t > 0) {
        sim_out_printf(o, "%s +\r\n", cmd);
    } else if (t < 0) {
        sim_out_printf(o, "%s -\r\n", cmd);
    } else {
        struct sim_reading r;
        sim_read(s, &r);
        weight_line(o, cmd, stable ? 'S' : 'D', &r, r.tare);
    }
}

/* ------------------------------------------------------------ commands */

struct mt_cmd;
typedef void (*mt_fn)(drv_sim *s, struct mt_state *st, const struct mt_cmd *c, const char *arg,
                      struct sim_out *o);

struct mt_cmd {
    const char *name;
    int level;
    bool takes_arg;
    mt_fn fn;
};

static void cmd_i0(drv_sim *s, struct mt_state *st, const struct mt_cmd *c, const char *arg,
                   struct sim_out *o);

static void cmd_i1(drv_sim *s, struct mt_state *st, const struct mt_cmd *c, const char *arg,
                   struct sim_out *o)
{
    (void)s, (void)st, (void)c, (void)arg;
    sim_out_printf(o, "I1 A \"01\" \"2.20\" \"2.20\" \"1.00\" \"1.00\"\r\n");
}

static void cmd_i2(drv_sim *s, struct mt_state *st, const struct mt_cmd *c, const char *arg,
                   struct sim_out *o)
{
    (void)st, (void)c, (void)arg;
    struct sim_ident id;
    struct sim_reading r;
    sim_ident(s, &id);
    sim_read(s, &r);
    sim_out_printf(o, "I2 A \"%s %.*f %s\"\r\n", id.model, r.decimals, r.capacity, r.unit);
}

static void cmd_i3(drv_sim *s, struct mt_state *st, const struct mt_cmd *c, const char *arg,
                   struct sim_out *o)
{
    (void)st, (void)c, (void)arg;
    struct sim_ident id;
    sim_ident(s, &id);
    sim_out_printf(o, "I3 A \"%s\"\r\n", id.firmware);
}

static void cmd_i4(drv_sim *s, struct mt_state *st, const struct mt_cmd *c, const char *arg,
                   struct sim_out *o)
{
    (void)st, (void)c, (void)arg;
    struct sim_ident id;
    sim_ident(s, &id);
    sim_out_printf(o, "I4 A \"%s\"\r\n", id.serial);
}

static void cmd_reset(drv_sim *s, struct mt_state *st, const struct mt_cmd *c, const char *arg,
                      struct sim_out *o)
{
    /* As after switching on, without zeroing: tare gone, SIR stopped. */
    sim_tare_clear(s);
    cmd_i4(s, st, c, arg, o);
}

/* S, Z, T: now when stable, else wait for stability (timer). */
static void wait_or_do(drv_sim *s, struct mt_state *st, enum mt_pending what, struct sim_out *o)
{
    struct sim_reading r;
    sim_read(s, &r);
    if (r.stable || r.overload || r.underload) {
        if (what == MT_S)
            weight_reply(o, &r);
        else if (what == MT_Z)
            do_zero(s, "Z", true, o);
        else
            do_tare(s, "T", true, o);
        return;
    }
    st->pending = what;
    st->deadline = sim_now(s) + sim_stable_timeout_s(s);
    sim_timer_set(s, POLL_MS);
}

static void cmd_s(drv_sim *s, struct mt_state *st, const struct mt_cmd *c, const char *arg,
                  struct sim_out *o)
{
    (void)c, (void)arg;
    wait_or_do(s, st, MT_S, o);
}

static void cmd_z(drv_sim *s, struct mt_state *st, const struct mt_cmd *c, const char *arg,
                  struct sim_out *o)
{
    (void)c, (void)arg;
    wait_or_do(s, st, MT_Z, o);
}

static void cmd_t(drv_sim *s, struct mt_state *st, const struct mt_cmd *c, const char *arg,
                  struct sim_out *o)
{
    (void)c, (void)arg;
    wait_or_do(s, st, MT_T, o);
}

static void cmd_si(drv_sim *s, struct mt_state *st, const struct mt_cmd *c, const char *arg,
                   struct sim_out *o)
{
    (void)st, (void)c, (void)arg;
    struct sim_reading r;
    sim_read(s, &r);
    weight_reply(o, &r);
}

static void cmd_sir(drv_sim *s, struct mt_state *st, const struct mt_cmd *c, const char *arg,
                    struct sim_out *o)
{
    cmd_si(s, st, c, arg, o);
    st->pending = MT_SIR;
    sim_timer_set(s, sim_stream_ms(s));
}

static void cmd_zi(drv_sim *s, struct mt_state *st, const struct mt_cmd *c, const char *arg,
                   struct sim_out *o)
{
    (void)st, (void)c, (void)arg;
    struct sim_reading r;
    sim_read(s, &r);
    do_zero(s, "ZI", r.stable, o);
}

static void cmd_ti(drv_sim *s, struct mt_state *st, const struct mt_cmd *c, const char *arg,
                   struct sim_out *o)
{
    (void)st, (void)c, (void)arg;
    struct sim_reading r;
    sim_read(s, &r);
    do_tare(s, "TI", r.stable, o);
}

static void cmd_ta(drv_sim *s, struct mt_state *st, const struct mt_cmd *c, const char *arg,
                   struct sim_out *o)
{
    (void)st, (void)c;
    struct sim_reading r;
    sim_read(s, &r);
    if (arg != NULL) {
        /* "TA <value> <unit>": the unit must be the balance's. */
        char num[64], unit[16], extra[2];
        double v;
        if (sscanf(arg, "%63s %15s %1s", num, unit, extra) != 2 ||
            sim_parse_double(num, &v) != 0 || strcmp(unit, r.unit) != 0 || v < 0 ||
            (r.capacity > 0 && v > r.capacity)) {
            sim_out_printf(o, "TA L\r\n");
            return;
        }
        double res = r.resolution;
        sim_tare_set(s, round(v / res) * res);
        sim_read(s, &r);
    }
    weight_line(o, "TA", 'A', &r, r.tare);
}

static void cmd_tac(drv_sim *s, struct mt_state *st, const struct mt_cmd *c, const char *arg,
                    struct sim_out *o)
{
    (void)st, (void)c, (void)arg;
    sim_tare_clear(s);
    sim_out_printf(o, "TAC A\r\n");
}

static void cmd_d(drv_sim *s, struct mt_state *st, const struct mt_cmd *c, const char *arg,
                  struct sim_out *o)
{
    (void)s, (void)st;
    /* D "text" writes the display; DW restores the weight display. */
    if (c->takes_arg && (arg == NULL || arg[0] != '"')) {
        sim_out_printf(o, "%s L\r\n", c->name);
        return;
    }
    sim_out_printf(o, "%s A\r\n", c->name);
}

static const struct mt_cmd mt_cmds[] = {
    {"I0", 0, false, cmd_i0},   {"I1", 0, false, cmd_i1},   {"I2", 0, false, cmd_i2},
    {"I3", 0, false, cmd_i3},   {"I4", 0, false, cmd_i4},   {"S", 0, false, cmd_s},
    {"SI", 0, false, cmd_si},   {"SIR", 0, false, cmd_sir}, {"Z", 0, false, cmd_z},
    {"ZI", 0, false, cmd_zi},   {"@", 0, false, cmd_reset}, {"D", 1, true, cmd_d},
    {"DW", 1, false, cmd_d},    {"T", 1, false, cmd_t},     {"TA", 1, true, cmd_ta},
    {"TAC", 1, false, cmd_tac}, {"TI", 1, false, cmd_ti},
};

#define N_CMDS (sizeof mt_cmds / sizeof mt_cmds[0])

static void cmd_i0(drv_sim *s, struct mt_state *st, const struct mt_cmd *c, const char *arg,
                   struct sim_out *o)
{
    (void)s, (void)st, (void)c, (void)arg;
    for (size_t i = 0; i < N_CMDS; i++)
        sim_out_printf(o, "I0 %c %d \"%s\"\r\n", i + 1 == N_CMDS ? 'A' : 'B', mt_cmds[i].level,
                       mt_cmds[i].name);
}

/* ------------------------------------------------------------ protocol */

static void reset(drv_sim *s, void *vst)
{
    (void)s;
    struct mt_state *st = vst;
    st->pending = MT_NONE;
}

static int handle(drv_sim *s, void *vst, const struct sim_request *req, struct sim_out *out,
                  struct cd_err *err)
{
    (void)err;
    struct mt_state *st = vst;
    /* Any request ends SIR and a waiting S/Z/T. */
    st->pending = MT_NONE;
    sim_timer_clear(s);
    if (req->inject_error) {
        sim_out_printf(out, "ET\r\n");
        return 0;
    }
    char line[128];
    sim_request_text(req, line, sizeof line);
    char *arg = strchr(line, ' ');
    if (arg != NULL) {
        *arg++ = '\0';
        if (*arg == '\0')
            arg = NULL;
    }
    for (size_t i = 0; i < N_CMDS; i++) {
        if (strcmp(mt_cmds[i].name, line) != 0)
            continue;
        if (arg != NULL && !mt_cmds[i].takes_arg) {
            sim_out_printf(out, "EL\r\n");
            return 0;
        }
        mt_cmds[i].fn(s, st, &mt_cmds[i], arg, out);
        return 0;
    }
    sim_out_printf(out, "ES\r\n");
    return 0;
}

static int timer(drv_sim *s, void *vst, struct sim_out *out, struct cd_err *err)
{
    (void)err;
    struct mt_state *st = vst;
    struct sim_reading r;
    switch (st->pending) {
    case MT_NONE:
        return 0;
    case MT_SIR:
        sim_read(s, &r);
        weight_reply(out, &r);
        sim_timer_set(s, sim_stream_ms(s));
        return 0;
    case MT_S:
    case MT_Z:
    case MT_T:
        sim_read(s, &r);
        if (r.stable || r.overload || r.underload) {
            enum mt_pending what = st->pending;
            st->pending = MT_NONE;
            wait_or_do(s, st, what, out);
        } else if (sim_now(s) >= st->deadline) {
            sim_out_printf(out, "%s I\r\n", st->pending == MT_S ? "S" : st->pending == MT_Z ? "Z"
                                                                                           : "T");
            st->pending = MT_NONE;
        } else {
            sim_timer_set(s, POLL_MS);
        }
        return 0;
    }
    return 0;
}

const struct sim_protocol sim_protocol_mtsics = {
    .name = "mtsics",
    .summary = "Mettler Toledo balance, MT-SICS levels 0 and 1",
    .defaults = defaults,
    .state_size = sizeof(struct mt_state),
    .reset = reset,
    .frame = sim_frame_line,
    .idle_flush_ms = 0,
    .handle = handle,
    .timer = timer,
};
