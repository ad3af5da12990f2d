/* The "fluke-ttr" simulator: a Fluke/Hart 1502A thermometer readout (the
 * 1504 and the 1521/1522 answer the same commands) on RS-232.
 *
 * Bytes and where they come from (1502A user's guide, section 7.3):
 *   - commands end in CR or LF (either taken); replies end in CR LF, or
 *     CR alone after LF=OFF [7.3.4.2]. With DU=F (full duplex) every
 *     command is echoed back first [7.3.4.1]. The simulator starts in half
 *     duplex with the linefeed on (**M**: ours, so that a host that does
 *     not configure the readout still reads lines; duplex=full as an option
 *     makes it start echoing).
 *   - T -> "t:   25.587 C" (`t:_nnnn.nnn_u`, the number right-aligned in
 *     8 places, 3 decimals; 4 for ohms, **M**), with " hh:mm:ss" after it
 *     when ST=ON [7.3.1.1, 7.3.1.4]; FETC? / FETCH? -> the number alone
 *     [7.3.1.1]; U=C|F|K|O [7.3.1.3]; *IDN? -> "HART,1502A,<serial>,
 *     <firmware>" and *VER -> "ver.1502A,<firmware>" [the command list;
 *     1521 user's guide 8.2.1 shows "Hart,1521,95001,2.11" and
 *     "ver.1521,2.11"]; DU=, LF=, ST= as above; other "XX=value" settings
 *     (SA=, FI=, CU=, PS=, CL=) are taken and ignored.
 *   - a command it does not know, and the error_every fault: "Error:
 *     unknown command" (**M**: the readout's own error text is not in the
 *     pages we found).
 * The model's value is the temperature in degC; U=O gives a Pt100's
 * resistance (sim_thermo_in).
 */
#include "sim_priv.h"
#include "cd_i18n.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct ttr_sim {
    char unit;          /* 0: 'C' */
    bool full_duplex;
    bool lf_off;
    bool stamp;
    bool start_full;    /* option duplex=full */
};

static const char *const defaults[] = {
    "unit=C", "capacity=0", "loads=25.587", "resolution=0.001", "noise=0.0004", "settle_s=0",
    "model=1502A", "serial=A12345", "firmware=1.10", NULL,
};

static int option(drv_sim *s, void *vst, const char *key, const char *value, struct cd_err *err)
{
    (void)s;
    struct ttr_sim *st = vst;
    if (strcmp(key, "duplex") == 0) {
        if (strcmp(value, "full") != 0 && strcmp(value, "half") != 0)
            return cd_fail(err, CD_ERR_INVALID, _("fluke-ttr: duplex=%s: expected full or half"),
                           value);
        st->start_full = strcmp(value, "full") == 0;
        return 0;
    }
    return CD_ERR_NOT_FOUND;
}

static void reset(drv_sim *s, void *vst)
{
    (void)s;
    struct ttr_sim *st = vst;
    st->full_duplex = st->start_full;
    st->lf_off = false;
    st->stamp = false;
    if (st->unit == 0)
        st->unit = 'C';
}

static void eol(const struct ttr_sim *st, struct sim_out *out)
{
    sim_out_printf(out, st->lf_off ? "\r" : "\r\n");
}

static double value_now(drv_sim *s, const struct ttr_sim *st)
{
    struct sim_reading r;
    sim_read(s, &r);
    return sim_thermo_in(r.value, st->unit);
}

static int handle(drv_sim *s, void *vst, const struct sim_request *req, struct sim_out *out,
                  struct cd_err *err)
{
    (void)err;
    struct ttr_sim *st = vst;
    char line[128];
    sim_request_text(req, line, sizeof line);
    if (st->full_duplex) {
        sim_out_printf(out, "%s", line);
        eol(st, out);
    }
    if (req->inject_error) {
        sim_out_printf(out, "Error: unknown command");
        eol(st, out);
        return 0;
    }
    int dec = st->unit == 'O' ? 4 : 3;
    if (strcasecmp(line, "T") == 0) {
        sim_out_printf(out, "t: %8.*f %c", dec, value_now(s, st), st->unit);
        if (st->stamp) {
            long sec = (long)sim_now(s);
            sim_out_printf(out, " %02ld:%02ld:%02ld", sec / 3600 % 24, sec / 60 % 60, sec % 60);
        }
        eol(st, out);
        return 0;
    }
    if (strcasecmp(line, "FETC?") == 0 || strcasecmp(line, "FETCH?") == 0) {
        sim_out_printf(out, "%.*f", dec, value_now(s, st));
        eol(st, out);
        return 0;
    }
    struct sim_ident id;
    sim_ident(s, &id);
    if (strcasecmp(line, "*IDN?") == 0) {
        sim_out_printf(out, "HART,%s,%s,%s", id.model, id.serial, id.firmware);
        eol(st, out);
        return 0;
    }
    if (strcasecmp(line, "*VER") == 0) {
        sim_out_printf(out, "ver.%s,%s", id.model, id.firmware);
        eol(st, out);
        return 0;
    }
    const char *eq = strchr(line, '=');
    if (eq != NULL && eq - line >= 1 && eq - line <= 3) {
        char key[4];
        snprintf(key, sizeof key, "%.*s", (int)(eq - line), line);
        const char *v = eq + 1;
        if (strcasecmp(key, "U") == 0 && strlen(v) == 1 && strchr("CFKOcfko", v[0]) != NULL) {
            st->unit = (char)toupper((unsigned char)v[0]);
            return 0;
        }
        if (strcasecmp(key, "DU") == 0 && (toupper((unsigned char)v[0]) == 'F' ||
                                           toupper((unsigned char)v[0]) == 'H')) {
            st->full_duplex = toupper((unsigned char)v[0]) == 'F';
            return 0;
        }
        if (strcasecmp(key, "LF") == 0 && (strcasecmp(v, "ON") == 0 || strcasecmp(v, "OFF") == 0 ||
                                           strcasecmp(v, "OF") == 0)) {
            st->lf_off = strcasecmp(v, "ON") != 0;
            return 0;
        }
        if (strcasecmp(key, "ST") == 0 && (strcasecmp(v, "ON") == 0 || strcasecmp(v, "OFF") == 0)) {
            st->stamp = strcasecmp(v, "ON") == 0;
            return 0;
        }
        if (strcasecmp(key, "SA") == 0 || strcasecmp(key, "FI") == 0 ||
            strcasecmp(key, "CU") == 0 || strcasecmp(key, "PS") == 0 ||
            strcasecmp(key, "CL") == 0)
            return 0;
    }
    sim_out_printf(out, "Error: unknown command");
    eol(st, out);
    return 0;
}

const struct sim_protocol sim_protocol_fluke_ttr = {
    .name = "fluke-ttr",
    .summary = "Fluke/Hart 1502A thermometer readout (T, FETC?, U=), RS-232",
    .defaults = defaults,
    .state_size = sizeof(struct ttr_sim),
    .option = option,
    .reset = reset,
    .frame = sim_frame_line,
    .idle_flush_ms = 0,
    .handle = handle,
    .timer = NULL,
};
