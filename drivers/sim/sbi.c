/* The "sbi" simulator: a Sartorius balance speaking SBI.
 *
 * Byte formats and where they come from:
 *   - commands: "ESC c" (format 1) or "ESC c # _" (format 2: a lower-case
 *     command letter, optional digits, an underscore), CR LF optional
 *     [protocols.md 1.2; GraysonBellamy/sartoriuslib docs/sbi_commands.md
 *     "Formats for Control Commands"]. We frame format 2 on the lower-case
 *     letter and read up to the underscore; stray CR, LF or other bytes
 *     before an ESC are dropped.
 *   - ESC P print, ESC T tare/zero ("TARE key taring and zeroing": zero
 *     inside the zero range, else tare), ESC U tare, ESC V zero,
 *     ESC x1_/x2_/x3_ model/serial/software version; other documented
 *     commands (K L M N O Q R S W Z, f0_, p_, ...) are accepted silently,
 *     unknown ones ignored as balances do [sartoriuslib sbi_commands.md].
 *   - 16-character line: pos 1 sign ('+', '-', space for zero), 2 space,
 *     3-10 value (8 chars incl. the point, leading zeros as spaces), 11
 *     space, 12-14 unit left-aligned and space-padded, 15-16 CR LF:
 *     "+    123.56 g  \r\n"; unstable: the unit field blank
 *     [protocols.md 1.2; sartoriuslib docs/sbi_data_output.md; numat/
 *     sartorius driver.py _parse reads "unit present" as stable]. The
 *     space sign for an exact zero follows sartoriuslib's captured
 *     "N           0.000 g  " line.
 *   - overload "      H       \r\n", underload "      L       \r\n"
 *     (pos 7) [protocols.md 1.2].
 *   - error "   Err  54    \r\n" (code right-aligned in 4 after "Err")
 *     [protocols.md 1.2]; error_every sends this line with code 54 (our
 *     choice of code) instead of executing the command.
 *   - 22-character line (sbi_format=22): a 6-character ID before the 16:
 *     "N     " for weights, "Stat  " for H/L/Err lines: "N     +    123.56
 *     g  \r\n" [protocols.md 1.2; numat/sartorius _parse: id = [0:6],
 *     'Stat' for errors; sartoriuslib "Stat High"/"Stat Low"].
 *   - identification (our choice where no source gives the layout): x1_
 *     the model left-aligned in 20 ("MSE1203S-100-DR     " as captured in
 *     sartoriuslib docs/sbi_commands.md), x2_ "SerNo." and the serial
 *     right-aligned in 14 (sartoriuslib parser.py comment), x3_ the
 *     software version left-aligned in 20; each ends in CR LF.
 *   - auto-print (autoprint=1): a line every stream_ms without a request;
 *     ESC P pauses it, ESC T/U/V resume it [sartoriuslib sbi_commands.md,
 *     "ESC P pauses autoprint"].
 */
#include "sim_priv.h"
#include "cd_i18n.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define ESC 0x1B
#define SBI_CMD_MAX 20   /* "contain up to 20 characters" */
#define SBI_ERR_CODE 54

struct sbi_state {
    int format;             /* 16 or 22 */
    bool autoprint;
    bool paused;
};

static const char *const defaults[] = {
    "model=MSE224S-100-DU", "serial=0012345678", "firmware=00-39-21", "sbi_format=16",
    "autoprint=0", NULL,
};

static void arm(drv_sim *s, struct sbi_state *st)
{
    if (st->autoprint && !st->paused)
        sim_timer_set(s, sim_stream_ms(s));
    else
        sim_timer_clear(s);
}

static int option(drv_sim *s, void *vst, const char *key, const char *value,
                  struct cd_err *err)
{
    struct sbi_state *st = vst;
    unsigned long v;
    if (strcmp(key, "sbi_format") == 0) {
        if (sim_parse_ulong(value, &v) != 0 || (v != 16 && v != 22))
            return cd_fail(err, CD_ERR_INVALID, _("sbi_format=%s: expected 16 or 22"), value);
        st->format = (int)v;
        return 0;
    }
    if (strcmp(key, "autoprint") == 0) {
        if (sim_parse_ulong(value, &v) != 0 || v > 1)
            return cd_fail(err, CD_ERR_INVALID, _("autoprint=%s: expected 0 or 1"), value);
        st->autoprint = v == 1;
        st->paused = false;
        arm(s, st);
        return 0;
    }
    return CD_ERR_NOT_FOUND;
}

/* ------------------------------------------------------------ lines */

static void id_prefix(const struct sbi_state *st, struct sim_out *o, const char *id)
{
    if (st->format == 22)
        sim_out_printf(o, "%-6s", id);
}

static void status_line(const struct sbi_state *st, struct sim_out *o, char what)
{
    id_prefix(st, o, "Stat");
    sim_out_printf(o, "      %c       \r\n", what);
}

static void error_line(const struct sbi_state *st, struct sim_out *o, int code)
{
    id_prefix(st, o, "Stat");
    sim_out_printf(o, "   Err%4d    \r\n", code);
}

static void weight_line(drv_sim *s, const struct sbi_state *st, struct sim_out *o)
{
    struct sim_reading r;
    sim_read(s, &r);
    if (r.overload) {
        status_line(st, o, 'H');
        return;
    }
    if (r.underload) {
        status_line(st, o, 'L');
        return;
    }
    char num[32];
    int n = snprintf(num, sizeof num, "%.*f", r.decimals, fabs(r.value));
    if (n < 0 || n > 8) {
        status_line(st, o, r.value > 0 ? 'H' : 'L');   /* does not fit the display */
        return;
    }
    char sign = r.value > 0 ? '+' : r.value < 0 ? '-' : ' ';
    char unit[4] = "   ";
    if (r.stable) {
        size_t ul = strlen(r.unit);
        memcpy(unit, r.unit, ul < 3 ? ul : 3);
    }
    id_prefix(st, o, "N");
    sim_out_printf(o, "%c %8s %s\r\n", sign, num, unit);
}

static void ident_line(struct sim_out *o, const char *text)
{
    sim_out_printf(o, "%-20.20s\r\n", text);
}

/* ------------------------------------------------------------ protocol */

static long frame(drv_sim *s, void *st, const uint8_t *buf, size_t len)
{
    (void)s, (void)st;
    if (buf[0] != ESC)
        return -1;   /* CR, LF (optional terminators) or noise */
    if (len < 2)
        return SIM_FRAME_MORE;
    if (!islower(buf[1]))
        return 2;    /* format 1 */
    for (size_t i = 2; i < len && i < SBI_CMD_MAX; i++) {
        if (buf[i] == '_')
            return (long)(i + 1);
        if (!isdigit(buf[i]))
            return -1;   /* not a format-2 command: drop the ESC, resync */
    }
    return len >= SBI_CMD_MAX ? -1 : SIM_FRAME_MORE;
}

static void reset(drv_sim *s, void *vst)
{
    struct sbi_state *st = vst;
    st->paused = false;
    arm(s, st);
}

static int handle(drv_sim *s, void *vst, const struct sim_request *req, struct sim_out *out,
                  struct cd_err *err)
{
    (void)err;
    struct sbi_state *st = vst;
    if (req->inject_error) {
        error_line(st, out, SBI_ERR_CODE);
        return 0;
    }
    const char *cmd = (const char *)req->data + 1;
    size_t n = req->len - 1;
    struct sim_ident id;
    sim_ident(s, &id);
    if (n == 1) {
        switch (cmd[0]) {
        case 'P':
            weight_line(s, st, out);
            if (st->autoprint) {
                st->paused = true;
                arm(s, st);
            }
            return 0;
        case 'T':
            if (sim_zero(s) != 0)
                sim_tare(s);
            break;
        case 'U':
            sim_tare(s);
            break;
        case 'V':
            sim_zero(s);
            break;
        default:
            return 0;   /* K L M N O Q R S W Z: accepted; others ignored */
        }
        st->paused = false;   /* T, U, V resume auto-print */
        arm(s, st);
        return 0;
    }
    if (n == 3 && cmd[0] == 'x' && cmd[2] == '_') {
        if (cmd[1] == '1')
            ident_line(out, id.model);
        else if (cmd[1] == '2')
            sim_out_printf(out, "SerNo.%14.14s\r\n", id.serial);
        else if (cmd[1] == '3')
            ident_line(out, id.firmware);
    }
    return 0;
}

static int timer(drv_sim *s, void *vst, struct sim_out *out, struct cd_err *err)
{
    (void)err;
    struct sbi_state *st = vst;
    if (st->autoprint && !st->paused) {
        weight_line(s, st, out);
        arm(s, st);
    }
    return 0;
}

const struct sim_protocol sim_protocol_sbi = {
    .name = "sbi",
    .summary = "Sartorius balance, SBI (16- or 22-character lines)",
    .defaults = defaults,
    .state_size = sizeof(struct sbi_state),
    .option = option,
    .reset = reset,
    .frame = frame,
    .idle_flush_ms = 1000,
    .handle = handle,
    .timer = timer,
};
