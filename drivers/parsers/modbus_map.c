/* Modbus gauge register maps: options, presets, decoding registers and
 * reply frames (modbus_map.h). Pure: no I/O, no libmodbus.
 *
 * Presets and their sources (docs/drivers-dmm-modbus.md has the tables):
 *   keller        KELLER Series 30/33X/35X/36XW "Communication protocol
 *                 Serie30": P1 float32 at 0x0002 in bar, IEEE 754 high word
 *                 first (ABCD), FC 3 (FC 4 also answered); Set Zero P1 =
 *                 FC16 of a float to 0xFF00 [protocols.md 3.3; the Serie30
 *                 document, section 4.10 "Device Operation Command List"]
 *   keller-tob1   the same device's TOB1 (temperature of sensor 1) float32
 *                 at 0x0008 in degrees Celsius [protocols.md 3.3]
 *   keller-int32  P1 as int32 at 0x0012 in 1/100 mbar. protocols.md 3.3
 *                 notes a third-party map that says Pa: check on the device
 *   generic       generic Chinese RS-485 transmitters, map v1 as recorded by
 *   lobaro-v1     Lobaro: int16 value at 0x0004, decimal places at 0x0003,
 *                 unit code at 0x0002, FC 3 [protocols.md 3.4]
 */
#include "modbus_map.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "drv_priv.h"
#include "cd_i18n.h"

#define MAX_REGS 125
#define MAX_DP 6

enum {
    SET_FUNCTION = 1u << 0,
    SET_ADDRESS = 1u << 1,
    SET_TYPE = 1u << 2,
    SET_ORDER = 1u << 3,
    SET_SCALE = 1u << 4,
    SET_DP_REGISTER = 1u << 5,
    SET_UNIT = 1u << 6,
    SET_UNIT_REGISTER = 1u << 7,
    SET_UNIT_ID = 1u << 8,
};

/* ------------------------------------------------------------ tables */

/* protocols.md 3.4, map v1 register 0x0002. kg/cm2 is written kgf/cm2
 * (the kilogram-force it means). */
static const char *const unit_codes[] = {"MPa", "kPa", "Pa", "bar", "mbar",
                                         "kgf/cm2", "psi", "mH2O", "mmH2O"};

const char *modbus_unit_name(unsigned code)
{
    if (code >= sizeof unit_codes / sizeof unit_codes[0])
        return NULL;
    return unit_codes[code];
}

static const char *const type_names[] = {"int16", "uint16", "int32", "uint32", "float32"};

static int type_width(enum modbus_type t)
{
    return t == MODBUS_TYPE_INT16 || t == MODBUS_TYPE_UINT16 ? 1 : 2;
}

struct preset {
    const char *name;
    int function;
    int address;
    enum modbus_type type;
    enum drv_modbus_order order;
    double scale;
    int dp_register;
    const char *unit;
    int unit_register;
    const char *manufacturer;
    const char *model;
    int zero_address;
};

static const struct preset presets[] = {
    {"keller", 3, 0x0002, MODBUS_TYPE_FLOAT32, DRV_MODBUS_ABCD, 1, -1, "bar", -1, "KELLER",
     "Series 30 (P1)", 0xFF00},
    {"keller-tob1", 3, 0x0008, MODBUS_TYPE_FLOAT32, DRV_MODBUS_ABCD, 1, -1, "\xC2\xB0" "C", -1,
     "KELLER", "Series 30 (TOB1)", -1},
    {"keller-int32", 3, 0x0012, MODBUS_TYPE_INT32, DRV_MODBUS_ABCD, 0.01, -1, "mbar", -1,
     "KELLER", "Series 30 (P1, int32)", 0xFF00},
    {"generic", 3, 0x0004, MODBUS_TYPE_INT16, DRV_MODBUS_ABCD, 1, 0x0003, "", 0x0002, "",
     "RS-485 transmitter (map v1)", -1},
    {"lobaro-v1", 3, 0x0004, MODBUS_TYPE_INT16, DRV_MODBUS_ABCD, 1, 0x0003, "", 0x0002, "",
     "RS-485 transmitter (map v1)", -1},
};

#define N_PRESETS (sizeof presets / sizeof presets[0])

static const char *const preset_names[] = {"keller", "keller-tob1", "keller-int32", "generic",
                                           "lobaro-v1", NULL};

const char *const *modbus_map_preset_names(void)
{
    return preset_names;
}

static const char *exception_name(unsigned code)
{
    switch (code) {
    case 0x01: return "illegal function";
    case 0x02: return "illegal data address";
    case 0x03: return "illegal data value";
    case 0x04: return "server device failure";
    case 0x05: return "acknowledge";
    case 0x06: return "server device busy";
    case 0x07: return "negative acknowledge";
    case 0x08: return "memory parity error";
    case 0x0A: return "gateway path unavailable";
    case 0x0B: return "gateway target device failed to respond";
    default: return "unknown exception";
    }
}

/* ------------------------------------------------------------ building */

void modbus_map_init(struct modbus_map *m)
{
    memset(m, 0, sizeof *m);
    m->function = 3;
    m->address = -1;
    m->type = MODBUS_TYPE_FLOAT32;
    m->order = DRV_MODBUS_ABCD;
    m->scale = 1;
    m->dp_register = -1;
    m->unit_register = -1;
    m->unit_id = 1;
    m->zero_address = -1;
}

static const struct preset *find_preset(const char *name)
{
    for (size_t i = 0; i < N_PRESETS; i++)
        if (strcasecmp(presets[i].name, name) == 0)
            return &presets[i];
    return NULL;
}

static int unknown_preset(const char *name, struct cd_err *err)
{
    return cd_fail(err, CD_ERR_NOT_FOUND,
                   _("modbus: no preset '%s' (known: keller, keller-tob1, keller-int32, generic, "
                   "lobaro-v1)"),
                   name);
}

/* Fill what no key set explicitly. */
static void apply_preset(struct modbus_map *m, const struct preset *p)
{
    snprintf(m->preset, sizeof m->preset, "%s", p->name);
    if (!(m->set & SET_FUNCTION))
        m->function = p->function;
    if (!(m->set & SET_ADDRESS))
        m->address = p->address;
    if (!(m->set & SET_TYPE))
        m->type = p->type;
    if (!(m->set & SET_ORDER))
        m->order = p->order;
    /* An explicit scale replaces the preset's decimal-places register, an
     * explicit unit its unit register (and the other way round). */
    if (!(m->set & (SET_SCALE | SET_DP_REGISTER))) {
        m->scale = p->scale;
        m->dp_register = p->dp_register;
    }
    if (!(m->set & (SET_UNIT | SET_UNIT_REGISTER))) {
        snprintf(m->unit, sizeof m->unit, "%s", p->unit);
        m->unit_register = p->unit_register;
    }
    snprintf(m->manufacturer, sizeof m->manufacturer, "%s", p->manufacturer);
    snprintf(m->model, sizeof m->model, "%s", p->model);
    m->zero_address = p->zero_address;
}

int modbus_map_preset(const char *name, struct modbus_map *out, struct cd_err *err)
{
    modbus_map_init(out);
    const struct preset *p = find_preset(name);
    if (p == NULL)
        return unknown_preset(name, err);
    apply_preset(out, p);
    return 0;
}

/* A register address: decimal, or hex with 0x. */
static int parse_address(const char *key, const char *value, int *out, struct cd_err *err)
{
    const char *digits = value;
    int base = 10;
    if (value[0] == '0' && (value[1] == 'x' || value[1] == 'X')) {
        digits = value + 2;
        base = 16;
    }
    char *end = NULL;
    errno = 0;
    long v = digits[0] == '\0' || digits[0] == '-' || digits[0] == '+' || digits[0] == ' '
                 ? -1
                 : strtol(digits, &end, base);
    if (v < 0 || errno != 0 || end == NULL || *end != '\0' || v > 0xFFFF)
        return cd_fail(err, CD_ERR_INVALID,
                       _("modbus: %s=%s: expected a register address 0-65535 (decimal or 0x hex; "
                       "the wire address, so manual register 40003 is 2)"),
                       key, value);
    *out = (int)v;
    return 0;
}

static int parse_small(const char *key, const char *value, long lo, long hi, int *out,
                       struct cd_err *err)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (end == value || *end != '\0' || errno != 0 || v < lo || v > hi)
        return cd_fail(err, CD_ERR_INVALID, _("modbus: %s=%s: expected %ld to %ld"), key, value, lo,
                       hi);
    *out = (int)v;
    return 0;
}

int modbus_map_option(struct modbus_map *m, const char *key, const char *value,
                      struct cd_err *err)
{
    int rc;
    if (strcmp(key, "preset") == 0) {
        const struct preset *p = find_preset(value);
        if (p == NULL) {
            /* a bad value of a known key: CD_ERR_INVALID, not NOT_FOUND */
            unknown_preset(value, err);
            return CD_ERR_INVALID;
        }
        apply_preset(m, p);
        return 0;
    }
    if (strcmp(key, "register") == 0) {
        if ((rc = parse_address(key, value, &m->address, err)) != 0)
            return rc;
        m->set |= SET_ADDRESS;
        return 0;
    }
    if (strcmp(key, "type") == 0) {
        for (int i = 0; i < 5; i++) {
            if (strcasecmp(value, type_names[i]) == 0) {
                m->type = (enum modbus_type)i;
                m->set |= SET_TYPE;
                return 0;
            }
        }
        if (strcasecmp(value, "float") == 0) {
            m->type = MODBUS_TYPE_FLOAT32;
            m->set |= SET_TYPE;
            return 0;
        }
        return cd_fail(err, CD_ERR_INVALID,
                       _("modbus: type=%s: expected int16, uint16, int32, uint32 or float32"), value);
    }
    if (strcmp(key, "order") == 0) {
        if (drv_modbus_order_parse(value, &m->order) != 0)
            return cd_fail(err, CD_ERR_INVALID,
                           _("modbus: order=%s: expected ABCD, CDAB, BADC or DCBA "
                           "(protocols.md 3.2)"),
                           value);
        m->set |= SET_ORDER;
        return 0;
    }
    if (strcmp(key, "function") == 0) {
        int f = 0;
        if (parse_small(key, value, 3, 4, &f, err) != 0)
            return CD_ERR_INVALID;
        m->function = f;
        m->set |= SET_FUNCTION;
        return 0;
    }
    if (strcmp(key, "unit_id") == 0) {
        if ((rc = parse_small(key, value, 0, 255, &m->unit_id, err)) != 0)
            return rc;
        m->set |= SET_UNIT_ID;
        return 0;
    }
    if (strcmp(key, "scale") == 0) {
        char *end = NULL;
        errno = 0;
        double s = strtod(value, &end);
        if (end == value || *end != '\0' || errno != 0 || !isfinite(s) || s == 0)
            return cd_fail(err, CD_ERR_INVALID,
                           _("modbus: scale=%s: expected a non-zero number (value = raw * scale)"),
                           value);
        m->scale = s;
        m->set |= SET_SCALE;
        if (!(m->set & SET_DP_REGISTER))
            m->dp_register = -1;
        return 0;
    }
    if (strcmp(key, "dp_register") == 0) {
        if ((rc = parse_address(key, value, &m->dp_register, err)) != 0)
            return rc;
        m->set |= SET_DP_REGISTER;
        if (!(m->set & SET_SCALE))
            m->scale = 1;
        return 0;
    }
    if (strcmp(key, "unit") == 0) {
        size_t n = strlen(value);
        if (n == 0 || n >= sizeof m->unit)
            return cd_fail(err, CD_ERR_INVALID, _("modbus: unit=%s: 1 to %zu characters"), value,
                           sizeof m->unit - 1);
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)value[i] < 0x20 || value[i] == 0x7F || value[i] == '"')
                return cd_fail(err, CD_ERR_INVALID, _("modbus: unit=%s: no control characters or "
                               "quotes"), value);
        memcpy(m->unit, value, n + 1);
        m->set |= SET_UNIT;
        if (!(m->set & SET_UNIT_REGISTER))
            m->unit_register = -1;
        return 0;
    }
    if (strcmp(key, "unit_register") == 0) {
        if ((rc = parse_address(key, value, &m->unit_register, err)) != 0)
            return rc;
        m->set |= SET_UNIT_REGISTER;
        if (!(m->set & SET_UNIT))
            m->unit[0] = '\0';
        return 0;
    }
    return CD_ERR_NOT_FOUND;
}

/* ------------------------------------------------------------ checking */

int modbus_map_check(const struct modbus_map *m, struct cd_err *err)
{
    if (m->address < 0)
        return cd_fail(err, CD_ERR_INVALID,
                       _("modbus: no register map: give preset=NAME (keller, keller-tob1, "
                       "keller-int32, generic) or register=ADDR with type=, order=, function="));
    if (m->function != 3 && m->function != 4)
        return cd_fail(err, CD_ERR_INVALID, _("modbus: function %d: registers are read with "
                       "function 3 or 4"), m->function);
    if ((unsigned)m->type > MODBUS_TYPE_FLOAT32 || (unsigned)m->order > DRV_MODBUS_DCBA)
        return cd_fail(err, CD_ERR_INVALID, _("modbus: bad type or word order"));
    if (m->address + type_width(m->type) > 0x10000)
        return cd_fail(err, CD_ERR_INVALID, _("modbus: a %s at 0x%04X runs past register 0xFFFF"),
                       type_names[m->type], (unsigned)m->address);
    if ((m->set & SET_SCALE) && (m->set & SET_DP_REGISTER))
        return cd_fail(err, CD_ERR_INVALID,
                       _("modbus: give scale= or dp_register=, not both"));
    if ((m->set & SET_UNIT) && (m->set & SET_UNIT_REGISTER))
        return cd_fail(err, CD_ERR_INVALID, _("modbus: give unit= or unit_register=, not both"));
    if (m->type == MODBUS_TYPE_FLOAT32 && m->dp_register >= 0)
        return cd_fail(err, CD_ERR_INVALID,
                       _("modbus: a float32 has no decimal-places register (use scale=)"));
    if (!isfinite(m->scale) || m->scale == 0)
        return cd_fail(err, CD_ERR_INVALID, _("modbus: scale must be a non-zero number"));
    if (m->unit_id < 0 || m->unit_id > 255)
        return cd_fail(err, CD_ERR_INVALID, _("modbus: unit id %d is not 0-255"), m->unit_id);
    int first = 0, count = 0;
    return modbus_map_span(m, &first, &count, err);
}

int modbus_map_span(const struct modbus_map *m, int *first, int *count, struct cd_err *err)
{
    if (m->address < 0)
        return modbus_map_check(m, err);
    int lo = m->address;
    int hi = m->address + type_width(m->type);    /* one past */
    if (m->dp_register >= 0) {
        lo = m->dp_register < lo ? m->dp_register : lo;
        hi = m->dp_register + 1 > hi ? m->dp_register + 1 : hi;
    }
    if (m->unit_register >= 0) {
        lo = m->unit_register < lo ? m->unit_register : lo;
        hi = m->unit_register + 1 > hi ? m->unit_register + 1 : hi;
    }
    if (hi - lo > MAX_REGS)
        return cd_fail(err, CD_ERR_INVALID,
                       _("modbus: the value, decimal-places and unit registers (0x%04X-0x%04X) are "
                       "more than %d registers apart: one request cannot read them"),
                       (unsigned)lo, (unsigned)(hi - 1), MAX_REGS);
    *first = lo;
    *count = hi - lo;
    return 0;
}

/* ------------------------------------------------------------ decoding */

/* raw as a fixed-point number with k decimals: 1234, 3 -> "1.234";
 * -5, 2 -> "-0.05". Exact (no floating point). */
static void format_fixed(int64_t raw, int k, char *buf, size_t cap)
{
    uint64_t a = raw < 0 ? (uint64_t)0 - (uint64_t)raw : (uint64_t)raw;
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%0*" PRIu64, k + 1, a);
    if (k == 0) {
        snprintf(buf, cap, "%s%s", raw < 0 ? "-" : "", digits);
        return;
    }
    snprintf(buf, cap, "%s%.*s.%s", raw < 0 ? "-" : "", n - k, digits, digits + (n - k));
}

/* The shortest text that reads back as the same float32, without an
 * exponent unless the number is huge or tiny: 1.2345f -> "1.2345",
 * 20 -> "20" (not "2e+01"), 3.4e38 -> "3.4e+38". */
static void format_float(float f, char *buf, size_t cap)
{
    int p = 1;
    for (; p < 9; p++) {
        snprintf(buf, cap, "%.*g", p, (double)f);
        if (strtof(buf, NULL) == f)
            break;
    }
    double a = fabs((double)f);
    if (a >= 1 && a < 1e15) {
        int int_digits = (int)floor(log10(a)) + 1;
        if (p < int_digits)
            p = int_digits;
    }
    snprintf(buf, cap, "%.*g", p, (double)f);
}

/* k when s is 10^-k (k = 0..9), else -1. */
static int decimals_of(double s)
{
    double p = 1;
    for (int k = 0; k <= 9; k++, p *= 10)
        if (fabs(s * p - 1) < 1e-9)
            return k;
    return -1;
}

int modbus_map_decode(const struct modbus_map *m, const uint16_t *regs, size_t n,
                      struct drv_reading *out, struct cd_err *err)
{
    memset(out, 0, sizeof *out);
    out->value = NAN;
    int first = 0, count = 0;
    int rc = modbus_map_check(m, err);
    if (rc != 0)
        return rc;
    modbus_map_span(m, &first, &count, NULL);
    if (n != (size_t)count)
        return cd_fail(err, CD_ERR_PROTOCOL,
                       _("modbus: %zu register%s in the reply; the map reads %d from 0x%04X"), n,
                       n == 1 ? "" : "s", count, (unsigned)first);

    if (m->unit_register >= 0) {
        unsigned code = regs[m->unit_register - first];
        const char *u = modbus_unit_name(code);
        if (u == NULL)
            return cd_fail(err, CD_ERR_PROTOCOL,
                           _("modbus: unit code %u in register 0x%04X is not one the map knows "
                           "(0 MPa ... 8 mmH2O, protocols.md 3.4)"),
                           code, (unsigned)m->unit_register);
        snprintf(out->unit, sizeof out->unit, "%s", u);
    } else {
        snprintf(out->unit, sizeof out->unit, "%s", m->unit);
    }

    const uint16_t *v = regs + (m->address - first);
    out->status = DRV_STATUS_STABLE;
    if (m->type == MODBUS_TYPE_FLOAT32) {
        float f = drv_modbus_get_float(v, m->order);
        if (isnan(f)) {
            out->status = DRV_STATUS_ERROR;
            snprintf(out->display, sizeof out->display, "NaN");
            snprintf(out->error, sizeof out->error,
                     "the gauge reads NaN at 0x%04X (channel error)", (unsigned)m->address);
            return 0;
        }
        if (isinf(f)) {
            out->status = f > 0 ? DRV_STATUS_OVERLOAD : DRV_STATUS_UNDERLOAD;
            snprintf(out->display, sizeof out->display, "%s", f > 0 ? "+Inf" : "-Inf");
            return 0;
        }
        if (m->scale == 1) {
            out->value = (double)f;
            format_float(f, out->display, sizeof out->display);
        } else {
            out->value = (double)f * m->scale;
            snprintf(out->display, sizeof out->display, "%.9g", out->value);
        }
        out->resolution = 0;    /* a float does not show a display step */
        return 0;
    }

    int64_t raw;
    bool top, bottom;
    switch (m->type) {
    case MODBUS_TYPE_INT16:
        raw = (int16_t)v[0];
        top = raw == INT16_MAX;
        bottom = raw == INT16_MIN;
        break;
    case MODBUS_TYPE_UINT16:
        raw = v[0];
        top = raw == UINT16_MAX;
        bottom = false;
        break;
    case MODBUS_TYPE_INT32:
        raw = drv_modbus_get_i32(v, m->order);
        top = raw == INT32_MAX;
        bottom = raw == INT32_MIN;
        break;
    case MODBUS_TYPE_UINT32:
    default:
        raw = drv_modbus_get_u32(v, m->order);
        top = raw == UINT32_MAX;
        bottom = false;
        break;
    }

    int k;
    if (m->dp_register >= 0) {
        unsigned dp = regs[m->dp_register - first];
        if (dp > MAX_DP)
            return cd_fail(err, CD_ERR_PROTOCOL,
                           _("modbus: %u decimal places in register 0x%04X (0-%d expected)"), dp,
                           (unsigned)m->dp_register, MAX_DP);
        k = (int)dp;
    } else {
        k = decimals_of(m->scale);
    }
    double value;
    if (k >= 0) {
        format_fixed(raw, k, out->display, sizeof out->display);
        value = (double)raw / pow(10.0, k);   /* 1234 / 1000 is the double nearest 1.234 */
        out->resolution = pow(10.0, -k);
    } else {
        value = (double)raw * m->scale;
        snprintf(out->display, sizeof out->display, "%.10g", value);
        out->resolution = fabs(m->scale);
    }
    if (top || bottom) {
        out->status = top ? DRV_STATUS_OVERLOAD : DRV_STATUS_UNDERLOAD;
        out->resolution = 0;
        return 0;
    }
    out->value = value;
    return 0;
}

/* Up to 32 bytes as "01 03 04 ...", for messages about binary frames. */
static void hex_bytes(const uint8_t *b, size_t len, char *out, size_t cap)
{
    size_t n = len < 32 ? len : 32;
    size_t at = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && at + 4 < cap; i++)
        at += (size_t)snprintf(out + at, cap - at, "%s%02X", i ? " " : "", b[i]);
    if (n < len && at + 4 < cap)
        snprintf(out + at, cap - at, " ...");
}

static int bad_frame(struct cd_err *err, const uint8_t *frame, size_t len, const char *why)
{
    char hex[160];
    hex_bytes(frame, len, hex, sizeof hex);
    return cd_fail(err, CD_ERR_PROTOCOL, _("modbus: %s: %s"), why, hex);
}

int modbus_map_decode_frame(const struct modbus_map *m, const uint8_t *frame, size_t len,
                            struct drv_reading *out, struct cd_err *err)
{
    memset(out, 0, sizeof *out);
    out->value = NAN;
    if (len < 5)
        return bad_frame(err, frame, len,
                         len == 0 ? "an empty frame" : "too short for a reply (truncated?)");
    const uint8_t *pdu;
    size_t pdu_len;
    if (len >= 9 && frame[2] == 0 && frame[3] == 0 &&
        (size_t)((frame[4] << 8) | frame[5]) == len - 6) {
        /* Modbus TCP: an RTU reply never has byte 2 = 0 (a byte count or
         * an exception code) */
        pdu = frame + 7;
        pdu_len = len - 7;
    } else {
        uint16_t crc = drv_modbus_crc16(frame, len - 2);
        uint16_t got = (uint16_t)(frame[len - 2] | (frame[len - 1] << 8));
        if (crc != got) {
            char why[96];
            snprintf(why, sizeof why, "bad CRC (the frame says %02X %02X, its bytes give %02X %02X)",
                     got & 0xFF, got >> 8, crc & 0xFF, crc >> 8);
            return bad_frame(err, frame, len, why);
        }
        if (frame[0] == 0)
            return bad_frame(err, frame, len, "a reply from address 0 (broadcasts get none)");
        pdu = frame + 1;
        pdu_len = len - 3;
    }
    unsigned fc = pdu[0];
    if (fc & 0x80) {
        if (pdu_len != 2)
            return bad_frame(err, frame, len, "an exception reply of the wrong length");
        out->status = DRV_STATUS_ERROR;
        snprintf(out->unit, sizeof out->unit, "%s", m != NULL ? m->unit : "");
        snprintf(out->error, sizeof out->error, "Modbus exception %02X (%.40s)", pdu[1],
                 exception_name(pdu[1]));
        return 0;
    }
    if (fc != 3 && fc != 4) {
        char why[80];
        snprintf(why, sizeof why, "function %02X is not a register read reply (03, 04)", fc);
        return bad_frame(err, frame, len, why);
    }
    size_t bc = pdu_len >= 2 ? pdu[1] : 0;
    if (bc == 0 || bc % 2 != 0 || pdu_len != 2 + bc || bc / 2 > MAX_REGS)
        return bad_frame(err, frame, len, "the byte count does not match the frame's length");
    size_t n = bc / 2;
    uint16_t regs[MAX_REGS];
    for (size_t i = 0; i < n; i++)
        regs[i] = (uint16_t)((pdu[2 + 2 * i] << 8) | pdu[3 + 2 * i]);

    if (m != NULL) {
        if ((int)fc != m->function)
            return cd_fail(err, CD_ERR_PROTOCOL,
                           _("modbus: a reply to function %02X; the map reads with function %02d"),
                           fc, m->function);
        return modbus_map_decode(m, regs, n, out, err);
    }
    struct modbus_map dflt;
    modbus_map_init(&dflt);
    dflt.address = 0;
    dflt.function = (int)fc;
    if (n == 1) {
        dflt.type = MODBUS_TYPE_INT16;
    } else if (n != 2) {
        return cd_fail(err, CD_ERR_PROTOCOL,
                       _("modbus: %zu registers: without a register map only 1 (int16) or 2 "
                       "(float32 ABCD) can be decoded (give preset= or register= and type=)"),
                       n);
    }
    return modbus_map_decode(&dflt, regs, n, out, err);
}

void modbus_map_describe(const struct modbus_map *m, char *buf, size_t cap)
{
    char unit[48];
    if (m->unit_register >= 0)
        snprintf(unit, sizeof unit, "unit code at 0x%04X", (unsigned)m->unit_register);
    else
        snprintf(unit, sizeof unit, "%s", m->unit[0] ? m->unit : "no unit");
    char scale[48] = "";
    if (m->dp_register >= 0)
        snprintf(scale, sizeof scale, ", decimals at 0x%04X", (unsigned)m->dp_register);
    else if (m->scale != 1)
        snprintf(scale, sizeof scale, ", scale %g", m->scale);
    snprintf(buf, cap, "FC%02d 0x%04X %s%s%s%s, %s", m->function, (unsigned)(m->address & 0xFFFF),
             type_names[m->type], type_width(m->type) == 2 ? " " : "",
             type_width(m->type) == 2 ? drv_modbus_order_name(m->order) : "", scale, unit);
}
