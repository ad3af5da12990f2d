/* The "modbus" simulator protocol: a Modbus pressure transmitter, served
 * as RTU frames (on a pty) or TCP ADUs (MBAP header, on a socket).
 *
 * Options (besides the core's loads/noise/resolution/unit/faults):
 *   framing=auto|rtu|tcp   auto: TCP on a socket, RTU on a pty
 *   map=keller|generic     keller: KELLER Series 30 floats (protocols.md 3.3):
 *                            0x0000 CH0 = P1, 0x0002 P1 [unit, default bar],
 *                            0x0004 P2 = NaN (no second sensor), 0x0006 T,
 *                            0x0008 TOB1, 0x000A TOB2 = NaN [°C]; FC 3 and 4;
 *                            overload/underload read +Inf/-Inf
 *                          generic: Lobaro map v1 (protocols.md 3.4), FC 3:
 *                            0x0000 slave address, 0x0001 baud code, 0x0002
 *                            unit code, 0x0003 decimal places, 0x0004 value
 *                            (int16 = value * 10^dp), 0x0005 range zero,
 *                            0x0006 full scale, 0x000C zero offset; FC 6/16
 *                            may write 0x0003 (0-3) and 0x000C (kept across
 *                            connections, like a device's EEPROM); unit= must
 *                            be one it codes (MPa kPa Pa bar mbar kg/cm2 psi
 *                            mH2O mmH2O), else every read gets exception 04
 *   order=ABCD|CDAB|BADC|DCBA  word order of the keller floats
 *   unit_id=1              1-247; RTU frames for other units get no reply,
 *                          TCP requests for other units exception 0B
 *   temp_c=20              the temperature the keller map reports
 *   exception=N            answer every request with exception code N
 *   exception_every=N      only every Nth request (code: exception=, else 06)
 *   bad_crc_every=N        RTU: every Nth reply goes out with a wrong CRC
 * Unknown function codes get exception 01, addresses outside the map 02,
 * bad counts or values 03; the core's error_every fault gives 04. RTU
 * broadcasts (unit 0) are executed and never answered. Defaults: a 25 bar
 * gauge, resolution 0.0001 bar, noise 0.00003 bar, loads 0,5,10,15,20.
 *
 * RTU framing: by the request length the function code implies (FC 1-6, 8:
 * 8 bytes; FC 15/16 and 23 from their byte count; 7, 11, 12, 17: 4; ...);
 * for other codes the first length whose CRC checks. A frame whose CRC
 * fails loses its first byte and is framed again (noise before a frame),
 * and `idle_flush_ms` of silence drops an incomplete frame: on a pty there
 * is no 3.5-character silence to go by.
 */
#include "sim_priv.h"

#include <math.h>
#include <string.h>
#include <strings.h>

#include "modbus_words.h"
#include "cd_i18n.h"

enum framing { FRAMING_AUTO, FRAMING_RTU, FRAMING_TCP };
enum map { MAP_KELLER, MAP_GENERIC };

struct mb_state {
    enum framing framing;
    enum map map;
    enum drv_modbus_order order;
    int unit_id;
    int exception;                  /* 0: none */
    unsigned long exception_every;  /* 0: off */
    unsigned long bad_crc_every;    /* 0: off */
    double temp_c;
    bool dp_fixed;                  /* generic map: decimal places written over FC 6/16 */
    int dp;
    int zero_offset;                /* generic map: raw counts subtracted */
};

#define EX_ILLEGAL_FUNCTION 0x01
#define EX_ILLEGAL_ADDRESS 0x02
#define EX_ILLEGAL_VALUE 0x03
#define EX_DEVICE_FAILURE 0x04
#define EX_BUSY 0x06
#define EX_GATEWAY_TARGET 0x0B

#define KELLER_REGS 12      /* 0x0000-0x000B: six floats */
#define GENERIC_REGS 13     /* 0x0000-0x000C */

static const char *const defaults[] = {
    /* a 25 bar gauge: the shipped 0 - 20 bar profile runs against the defaults */
    "unit=bar", "capacity=25", "resolution=0.0001", "noise=0.00003", "loads=0,5,10,15,20",
    "framing=auto", "map=keller", "order=ABCD", "unit_id=1", "temp_c=20", NULL,
};

/* ------------------------------------------------------------ options */

static int option(drv_sim *s, void *vst, const char *key, const char *value,
                  struct cd_err *err)
{
    (void)s;
    struct mb_state *st = vst;
    unsigned long n;
    if (strcmp(key, "framing") == 0) {
        if (strcasecmp(value, "auto") == 0)
            st->framing = FRAMING_AUTO;
        else if (strcasecmp(value, "rtu") == 0)
            st->framing = FRAMING_RTU;
        else if (strcasecmp(value, "tcp") == 0)
            st->framing = FRAMING_TCP;
        else
            return cd_fail(err, CD_ERR_INVALID, _("framing=%s: expected rtu, tcp or auto"), value);
        return 0;
    }
    if (strcmp(key, "map") == 0) {
        if (strcasecmp(value, "keller") == 0)
            st->map = MAP_KELLER;
        else if (strcasecmp(value, "generic") == 0)
            st->map = MAP_GENERIC;
        else
            return cd_fail(err, CD_ERR_INVALID, _("map=%s: expected keller or generic"), value);
        return 0;
    }
    if (strcmp(key, "order") == 0) {
        if (drv_modbus_order_parse(value, &st->order) != 0)
            return cd_fail(err, CD_ERR_INVALID, _("order=%s: expected ABCD, CDAB, BADC or DCBA"),
                           value);
        return 0;
    }
    if (strcmp(key, "unit_id") == 0) {
        if (sim_parse_ulong(value, &n) != 0 || n < 1 || n > 247)
            return cd_fail(err, CD_ERR_INVALID, _("unit_id=%s: expected 1-247"), value);
        st->unit_id = (int)n;
        return 0;
    }
    if (strcmp(key, "temp_c") == 0) {
        double t;
        if (sim_parse_double(value, &t) != 0)
            return cd_fail(err, CD_ERR_INVALID, _("temp_c=%s: not a number"), value);
        st->temp_c = t;
        return 0;
    }
    if (strcmp(key, "exception") == 0) {
        if (sim_parse_ulong(value, &n) != 0 || n > 255)
            return cd_fail(err, CD_ERR_INVALID,
                           _("exception=%s: expected an exception code 1-255 (0: off)"), value);
        st->exception = (int)n;
        return 0;
    }
    if (strcmp(key, "exception_every") == 0 || strcmp(key, "bad_crc_every") == 0) {
        if (sim_parse_ulong(value, &n) != 0)
            return cd_fail(err, CD_ERR_INVALID, _("%s=%s: expected a count (0: off)"), key, value);
        if (key[0] == 'e')
            st->exception_every = n;
        else
            st->bad_crc_every = n;
        return 0;
    }
    return CD_ERR_NOT_FOUND;
}

static bool tcp_framing(drv_sim *s, const struct mb_state *st)
{
    if (st->framing == FRAMING_AUTO)
        return sim_on_socket(s);
    return st->framing == FRAMING_TCP;
}

/* ------------------------------------------------------------ framing */

static uint16_t get16(const uint8_t *b)
{
    return (uint16_t)((b[0] << 8) | b[1]);
}

static bool crc_ok(const uint8_t *b, size_t len)
{
    if (len < 4)
        return false;
    uint16_t crc = drv_modbus_crc16(b, len - 2);
    return b[len - 2] == (crc & 0xFF) && b[len - 1] == (crc >> 8);
}

/* The length an RTU request with this function code has: > 0, 0 when more
 * bytes are needed to tell, -1 when the code does not say. */
static long rtu_request_length(const uint8_t *b, size_t len)
{
    if (len < 2)
        return 0;
    switch (b[1]) {
    case 1: case 2: case 3: case 4: case 5: case 6: case 8:
        return 8;
    case 7: case 11: case 12: case 17:
        return 4;
    case 15: case 16:       /* addr, count, byte count, data */
        return len < 7 ? 0 : 9 + (long)b[6];
    case 20: case 21:       /* byte count, data */
        return len < 3 ? 0 : 5 + (long)b[2];
    case 22:
        return 10;
    case 23:                /* read addr, count, write addr, count, byte count, data */
        return len < 11 ? 0 : 13 + (long)b[10];
    case 24:
        return 6;
    default:
        return -1;
    }
}

static long frame(drv_sim *s, void *vst, const uint8_t *buf, size_t len)
{
    struct mb_state *st = vst;
    if (tcp_framing(s, st)) {
        if (len < 7)
            return SIM_FRAME_MORE;
        unsigned proto = get16(buf + 2);
        unsigned n = get16(buf + 4);
        if (proto != 0 || n < 2 || n > 254)
            return -(long)len;  /* not Modbus: a real server drops the lot */
        if (len < 6 + (size_t)n)
            return SIM_FRAME_MORE;
        return 6 + (long)n;
    }
    long want = rtu_request_length(buf, len);
    if (want == 0)
        return SIM_FRAME_MORE;
    if (want > 0) {
        if ((size_t)want > len)
            return SIM_FRAME_MORE;
        return crc_ok(buf, (size_t)want) ? want : -1;
    }
    for (size_t l = 4; l <= len && l <= 256; l++)
        if (crc_ok(buf, l))
            return (long)l;
    return len >= 256 ? -1 : SIM_FRAME_MORE;
}

/* ------------------------------------------------------------ the map */

/* Generic-map unit codes (protocols.md 3.4). */
static int unit_code(const char *unit)
{
    static const char *const units[] = {"MPa", "kPa", "Pa", "bar", "mbar", "kg/cm2", "psi",
                                        "mH2O", "mmH2O"};
    for (int i = 0; i < (int)(sizeof units / sizeof units[0]); i++)
        if (unit != NULL && strcmp(unit, units[i]) == 0)
            return i;
    if (unit != NULL && strcmp(unit, "kg/cm²") == 0)
        return 5;
    return -1;
}

static int16_t clamp16(double v)
{
    if (isnan(v))
        return 0;
    if (v > 32767.0)
        return 32767;
    if (v < -32768.0)
        return -32768;
    return (int16_t)lround(v);
}

/* Fill regs[0..n) with the map as it reads now. 0, or an exception code. */
static int fill_map(drv_sim *s, struct mb_state *st, uint16_t *regs, int n)
{
    struct sim_reading r;
    sim_read(s, &r);
    memset(regs, 0, (size_t)n * sizeof *regs);
    if (st->map == MAP_KELLER) {
        float p1 = (float)r.value;
        if (r.overload)
            p1 = INFINITY;
        else if (r.underload)
            p1 = -INFINITY;
        const float values[KELLER_REGS / 2] = {p1, p1, NAN, (float)st->temp_c, (float)st->temp_c,
                                               NAN};
        for (int i = 0; i < KELLER_REGS / 2 && 2 * i + 1 < n; i++)
            drv_modbus_set_float(values[i], st->order, regs + 2 * i);
        return 0;
    }
    int code = unit_code(r.unit);
    if (code < 0)
        return EX_DEVICE_FAILURE;   /* a unit the map cannot express */
    int dp = st->dp_fixed ? st->dp : (r.decimals < 0 ? 0 : r.decimals > 3 ? 3 : r.decimals);
    double scale = pow(10.0, dp);
    double raw = r.overload ? 32767.0 : r.underload ? -32768.0 : r.value * scale;
    int16_t value = clamp16(raw - st->zero_offset);
    int16_t fs = clamp16(r.capacity * scale);
    int16_t zo = (int16_t)st->zero_offset;
    uint16_t words[GENERIC_REGS] = {
        [0x0] = (uint16_t)(st->unit_id > 0 ? st->unit_id : 1), [0x1] = 3 /* 9600 */, [0x2] = (uint16_t)code,
        [0x3] = (uint16_t)dp,          [0x4] = (uint16_t)value, [0x5] = 0,
        [0x6] = (uint16_t)fs,          [0xC] = (uint16_t)zo,
    };
    memcpy(regs, words, (size_t)(n < GENERIC_REGS ? n : GENERIC_REGS) * sizeof *regs);
    return 0;
}

static int map_size(const struct mb_state *st)
{
    return st->map == MAP_KELLER ? KELLER_REGS : GENERIC_REGS;
}

/* KELLER "Set Zero P1" (Serie30 protocol 4.10): FC16 of a float32 (ABCD)
 * to 0xFF00 makes P1 read that value now. The simulator zeroes for 0.0,
 * as a technician would use it; other values get exception 03. A zero
 * the model refuses (outside its zero range) gets 04. */
#define KELLER_SET_ZERO 0xFF00

static int keller_set_zero(drv_sim *s, const uint8_t *data)
{
    uint16_t regs[2] = {get16(data), get16(data + 2)};
    if (drv_modbus_get_float(regs, DRV_MODBUS_ABCD) != 0.0f)
        return EX_ILLEGAL_VALUE;
    return sim_zero(s) == 0 ? 0 : EX_DEVICE_FAILURE;
}

/* One register write (FC 6, or one of FC 16's). 0 or an exception code. */
static int write_reg(struct mb_state *st, unsigned addr, uint16_t value, bool apply)
{
    if (st->map != MAP_GENERIC || (addr != 0x0003 && addr != 0x000C))
        return EX_ILLEGAL_ADDRESS;  /* read-only */
    if (addr == 0x0003) {
        if (value > 3)
            return EX_ILLEGAL_VALUE;
        if (apply) {
            st->dp_fixed = true;
            st->dp = value;
        }
    } else if (apply) {
        st->zero_offset = (int16_t)value;
    }
    return 0;
}

/* ------------------------------------------------------------ requests */

/* The PDU of the reply into pdu[]; returns its length. */
static size_t execute(drv_sim *s, struct mb_state *st, const uint8_t *req, size_t len,
                      uint8_t *pdu)
{
    uint8_t fc = req[0];
    int ex = 0;
    size_t n = 0;
    uint16_t regs[GENERIC_REGS > KELLER_REGS ? GENERIC_REGS : KELLER_REGS];
    switch (fc) {
    case 3:
    case 4: {
        if (fc == 4 && st->map == MAP_GENERIC) {
            ex = EX_ILLEGAL_FUNCTION;  /* map v1 is FC 03 only */
            break;
        }
        if (len != 5) {
            ex = EX_ILLEGAL_VALUE;
            break;
        }
        unsigned addr = get16(req + 1), count = get16(req + 3);
        if (count < 1 || count > 125) {
            ex = EX_ILLEGAL_VALUE;
            break;
        }
        if (addr + count > (unsigned)map_size(st)) {
            ex = EX_ILLEGAL_ADDRESS;
            break;
        }
        ex = fill_map(s, st, regs, map_size(st));
        if (ex != 0)
            break;
        pdu[n++] = fc;
        pdu[n++] = (uint8_t)(2 * count);
        for (unsigned i = 0; i < count; i++) {
            pdu[n++] = (uint8_t)(regs[addr + i] >> 8);
            pdu[n++] = (uint8_t)(regs[addr + i] & 0xFF);
        }
        return n;
    }
    case 6: {
        if (len != 5) {
            ex = EX_ILLEGAL_VALUE;
            break;
        }
        ex = write_reg(st, get16(req + 1), get16(req + 3), true);
        if (ex != 0)
            break;
        memcpy(pdu, req, 5);        /* the echo */
        return 5;
    }
    case 16: {
        if (len < 6) {
            ex = EX_ILLEGAL_VALUE;
            break;
        }
        unsigned addr = get16(req + 1), count = get16(req + 3), bytes = req[5];
        if (count < 1 || count > 123 || bytes != 2 * count || len != 6 + bytes) {
            ex = EX_ILLEGAL_VALUE;
            break;
        }
        if (st->map == MAP_KELLER && addr == KELLER_SET_ZERO && count == 2) {
            ex = keller_set_zero(s, req + 6);
            if (ex != 0)
                break;
            memcpy(pdu, req, 5);
            return 5;
        }
        for (unsigned i = 0; i < count && ex == 0; i++)    /* all or nothing */
            ex = write_reg(st, addr + i, get16(req + 6 + 2 * i), false);
        if (ex != 0)
            break;
        for (unsigned i = 0; i < count; i++)
            write_reg(st, addr + i, get16(req + 6 + 2 * i), true);
        memcpy(pdu, req, 5);
        return 5;
    }
    default:
        ex = EX_ILLEGAL_FUNCTION;
        break;
    }
    pdu[0] = (uint8_t)(fc | 0x80);
    pdu[1] = (uint8_t)ex;
    return 2;
}

static int handle(drv_sim *s, void *vst, const struct sim_request *req, struct sim_out *out,
                  struct cd_err *err)
{
    (void)err;
    struct mb_state *st = vst;
    bool tcp = tcp_framing(s, st);
    const uint8_t *pdu_in;
    size_t pdu_len;
    uint8_t unit;
    if (tcp) {
        unit = req->data[6];
        pdu_in = req->data + 7;
        pdu_len = req->len - 7;
    } else {
        if (req->len < 4 || !crc_ok(req->data, req->len))
            return 0;               /* a real slave ignores a damaged frame */
        unit = req->data[0];
        pdu_in = req->data + 1;
        pdu_len = req->len - 3;
    }
    if (pdu_len < 1)
        return 0;
    int unit_id = st->unit_id > 0 ? st->unit_id : 1;
    bool broadcast = !tcp && unit == 0;
    uint8_t pdu[256];
    size_t n;
    if (!tcp && unit != unit_id && !broadcast) {
        return 0;                   /* another slave on the bus */
    } else if (tcp && unit != unit_id && unit != 0xFF) {
        pdu[0] = (uint8_t)(pdu_in[0] | 0x80);
        pdu[1] = EX_GATEWAY_TARGET;
        n = 2;
    } else if ((st->exception != 0 && st->exception_every == 0) ||
               (st->exception_every != 0 && req->n % st->exception_every == 0)) {
        pdu[0] = (uint8_t)(pdu_in[0] | 0x80);
        pdu[1] = (uint8_t)(st->exception != 0 ? st->exception : EX_BUSY);
        n = 2;
    } else if (req->inject_error) {
        pdu[0] = (uint8_t)(pdu_in[0] | 0x80);
        pdu[1] = EX_DEVICE_FAILURE;
        n = 2;
    } else {
        n = execute(s, st, pdu_in, pdu_len, pdu);
    }
    if (broadcast)
        return 0;                   /* executed, never answered */

    uint8_t adu[7 + sizeof pdu + 2];
    size_t len = 0;
    if (tcp) {
        memcpy(adu, req->data, 4);  /* transaction and protocol id */
        adu[4] = (uint8_t)((n + 1) >> 8);
        adu[5] = (uint8_t)((n + 1) & 0xFF);
        adu[6] = unit;
        len = 7;
        memcpy(adu + len, pdu, n);
        len += n;
    } else {
        adu[len++] = unit;
        memcpy(adu + len, pdu, n);
        len += n;
        uint16_t crc = drv_modbus_crc16(adu, len);
        if (st->bad_crc_every != 0 && req->n % st->bad_crc_every == 0)
            crc ^= 0xFFFF;
        adu[len++] = (uint8_t)(crc & 0xFF);
        adu[len++] = (uint8_t)(crc >> 8);
    }
    return sim_out_bytes(out, adu, len);
}

const struct sim_protocol sim_protocol_modbus = {
    .name = "modbus",
    .summary = "Modbus RTU/TCP pressure transmitter (KELLER float map or generic int16 map)",
    .defaults = defaults,
    .state_size = sizeof(struct mb_state),
    .option = option,
    .reset = NULL,  /* written registers persist, as in a device's EEPROM */
    .frame = frame,
    .idle_flush_ms = 100,
    .handle = handle,
    .timer = NULL,
};
