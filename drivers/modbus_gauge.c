/* The "modbus" driver: pressure gauges and transmitters over Modbus RTU
 * (RS-485) or Modbus TCP, through drv_modbus (drivers/modbus.c) and a
 * register map (parsers/modbus_map.h: presets keller, keller-tob1,
 * keller-int32, generic/lobaro-v1, or register=/type=/order=/function=/
 * scale=/dp_register=/unit=/unit_register= options). User documentation:
 * docs/drivers-dmm-modbus.md.
 *
 * A reading is one FC 03/04 request for the map's registers (value,
 * decimal places and unit code together, so they always belong to each
 * other), decoded by modbus_map_decode. Device exceptions are
 * CD_ERR_DEVICE naming the exception; a NaN float (KELLER's channel error)
 * too. Transmitters have no stability flag. Identification says what the
 * preset knows (no serial number: see the doc) after one read that proves
 * the gauge answers. Zero: only KELLER documents one (FC16 of a float to
 * 0xFF00), it writes to the instrument, so it needs allow_write=1, and
 * drv_modbus has no FC16 write yet: CD_ERR_UNSUPPORTED until it does.
 */
#include "drv_priv.h"

#include <stdio.h>
#include <string.h>

#include "parsers/modbus_map.h"
#include "cd_i18n.h"

struct gauge_state {
    struct modbus_map map;
    bool map_ready;         /* modbus_map_init done */
    bool allow_write;
};

static struct gauge_state *state(drv_dev *d)
{
    struct gauge_state *st = d->state;
    if (!st->map_ready) {
        modbus_map_init(&st->map);
        st->map_ready = true;
    }
    return st;
}

static int option(drv_dev *d, const char *key, const char *value, struct cd_err *err)
{
    struct gauge_state *st = state(d);
    if (strcmp(key, "allow_write") == 0) {
        if (strcmp(value, "1") == 0 || strcmp(value, "0") == 0) {
            st->allow_write = value[0] == '1';
            return 0;
        }
        return cd_fail(err, CD_ERR_INVALID, _("modbus: allow_write=%s: expected 0 or 1"), value);
    }
    return modbus_map_option(&st->map, key, value, err);
}

static int start(drv_dev *d, struct cd_err *err)
{
    return modbus_map_check(&state(d)->map, err);
}

static int read_reading(drv_dev *d, struct drv_reading *out, struct cd_err *err)
{
    struct gauge_state *st = state(d);
    int first, count;
    int rc = modbus_map_span(&st->map, &first, &count, err);
    if (rc != 0)
        return rc;
    uint16_t regs[125];
    rc = drv_modbus_read_registers(d->mb, st->map.function, first, count, regs, err);
    if (rc != 0)
        return rc;
    rc = modbus_map_decode(&st->map, regs, (size_t)count, out, err);
    if (rc != 0)
        return rc;
    if (out->status == DRV_STATUS_ERROR)
        return cd_fail(err, CD_ERR_DEVICE, _("modbus: unit %d: %s"), st->map.unit_id, out->error);
    return 0;
}

static int identify(drv_dev *d, struct drv_identity *out, struct cd_err *err)
{
    struct gauge_state *st = state(d);
    struct drv_reading r;
    memset(&r, 0, sizeof r);
    struct cd_err e = {0};
    int rc = read_reading(d, &r, &e);
    /* A channel error (NaN) is still the device answering: identify it;
     * anything else (an exception, silence) says the map or port is wrong. */
    if (rc != 0 && !(rc == CD_ERR_DEVICE && r.status == DRV_STATUS_ERROR))
        return cd_fail(err, rc, "%s", cd_err_text(&e));
    snprintf(out->manufacturer, sizeof out->manufacturer, "%s", st->map.manufacturer);
    char what[96];
    modbus_map_describe(&st->map, what, sizeof what);
    if (st->map.model[0] != '\0')
        snprintf(out->model, sizeof out->model, "%s", st->map.model);
    else
        snprintf(out->model, sizeof out->model, "Modbus unit %d: %.44s", st->map.unit_id, what);
    out->serial[0] = '\0';      /* no confirmed serial-number register */
    out->firmware[0] = '\0';
    return 0;
}

static int zero(drv_dev *d, struct cd_err *err)
{
    struct gauge_state *st = state(d);
    if (st->map.zero_address < 0)
        return cd_fail(err, CD_ERR_UNSUPPORTED,
                       _("modbus: %s%s has no documented remote zero: zero the gauge on its own "
                       "keys or software"),
                       st->map.preset[0] ? "preset " : "this register map",
                       st->map.preset);
    if (!st->allow_write)
        return cd_fail(err, CD_ERR_INVALID,
                       _("modbus: zeroing writes to the gauge (FC16 to 0x%04X): give "
                       "allow_write=1 to allow it"),
                       (unsigned)st->map.zero_address);
    /* KELLER Serie30 4.10 "Set Zero P1": the float written becomes the
     * reading now; 0.0 zeroes. */
    uint16_t regs[2];
    drv_modbus_set_float(0.0f, DRV_MODBUS_ABCD, regs);
    return drv_modbus_write_registers(d->mb, st->map.zero_address, 2, regs, err);
}

const struct drv_ops drv_modbus_gauge = {
    .name = "modbus",
    .summary = "Modbus RTU/TCP pressure gauges and transmitters (KELLER, generic RS-485 map v1, "
               "or a register map)",
    .default_serial = "9600,8N1",
    .stability_flag = false,
    .uses_modbus = true,
    .state_size = sizeof(struct gauge_state),
    .option = option,
    .start = start,
    .identify = identify,
    .read = read_reading,
    .zero = zero,
    .tare = NULL,
    .stop = NULL,
};
