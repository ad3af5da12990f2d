/* Private to drivers/ (and `caldaq decode`): the register map of a Modbus
 * gauge, and decoding registers or whole reply frames through it. Pure
 * functions, no I/O. User documentation: docs/drivers-dmm-modbus.md.
 *
 * A map says where the reading is (function, address, type, word order),
 * how raw counts become the value (a fixed scale, or a register holding
 * the number of decimal places) and what the unit is (fixed, or a register
 * holding a unit code of protocols.md 3.4). It is built from "key=value"
 * options, the same keys `caldaq read --driver modbus` passes:
 *
 *     preset=keller | keller-tob1 | keller-int32 | generic | lobaro-v1
 *     register=ADDR        the value's (first) register, wire address
 *                          (0-based; manual "40003" is 2), decimal or 0x hex
 *     type=int16|uint16|int32|uint32|float32
 *     order=ABCD|CDAB|BADC|DCBA     word order of 32-bit types
 *     function=3|4         holding or input registers
 *     unit_id=N            Modbus unit (slave) id, 0-255 (RTU: 1-247)
 *     scale=X              value = raw * X (integers; default 1)
 *     dp_register=ADDR     value = raw / 10^dp, dp read from ADDR (0-6)
 *     unit=TEXT            the unit, fixed
 *     unit_register=ADDR   the unit, as a code read from ADDR (0 MPa, 1 kPa,
 *                          2 Pa, 3 bar, 4 mbar, 5 kgf/cm2, 6 psi, 7 mH2O,
 *                          8 mmH2O)
 *
 * Keys may come in any order: a preset fills only what no key set, and a
 * key always overrides the preset (unit= drops the preset's unit register,
 * scale= its decimal-places register). The map is read in one request:
 * the registers from modbus_map_span's `first`, `count` of them, covering
 * the value, the decimal-places and the unit registers.
 *
 * Readings: a valid value is status "stable" (these instruments have no
 * stability flag: "stable" means a valid in-range reading, and
 * drv_read_stable replaces it by its window verdict). float32 NaN is
 * status "error" (KELLER: channel error), +Inf "overload", -Inf
 * "underload"; an integer at the top of its type's range is "overload"
 * (KELLER's int32 overflow is 2147483647), at the bottom of a signed
 * type's range "underload". */
#ifndef CALDAQ_MODBUS_MAP_H
#define CALDAQ_MODBUS_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "drv.h"
#include "modbus_words.h"

enum modbus_type {
    MODBUS_TYPE_INT16,
    MODBUS_TYPE_UINT16,
    MODBUS_TYPE_INT32,
    MODBUS_TYPE_UINT32,
    MODBUS_TYPE_FLOAT32,
};

struct modbus_map {
    char preset[24];            /* the last preset applied, "" for none */
    int function;               /* 3 (holding) or 4 (input registers) */
    int address;                /* the value's first register; -1: not given */
    enum modbus_type type;
    enum drv_modbus_order order;/* 32-bit types */
    double scale;               /* integers: value = raw * scale */
    int dp_register;            /* -1: none; else value = raw / 10^dp */
    char unit[16];              /* fixed unit ("" none) */
    int unit_register;          /* -1: none; else the unit code's register */
    int unit_id;                /* Modbus unit id */
    /* What the preset can say about the instrument (identify). */
    char manufacturer[32];
    char model[48];
    /* A documented zero command: FC16 writing a float32 (ABCD) to this
     * address sets the zero so that the reading equals the float (KELLER
     * "Set Zero P1" at 0xFF00). -1: none. */
    int zero_address;
    unsigned set;               /* private: keys given explicitly */
};

/* An empty map: function 3, float32, ABCD, scale 1, unit id 1, no
 * address (modbus_map_check fails until a preset or register= is given). */
void modbus_map_init(struct modbus_map *m);

/* One option. 0; CD_ERR_NOT_FOUND (and no message) for a key that is not
 * a map key, so that a driver's option() can pass it on; CD_ERR_INVALID
 * for a bad value, an unknown preset too, with a message naming the key. */
int modbus_map_option(struct modbus_map *m, const char *key, const char *value,
                      struct cd_err *err);

/* The preset alone (as if modbus_map_init then preset=NAME). Names are
 * case-insensitive. CD_ERR_NOT_FOUND naming the known presets. */
int modbus_map_preset(const char *name, struct modbus_map *out, struct cd_err *err);

/* The preset names, NULL-terminated. */
const char *const *modbus_map_preset_names(void);

/* Is the map complete and consistent? 0 or CD_ERR_INVALID saying what is
 * missing ("no register map: give preset=NAME or register=ADDR"). */
int modbus_map_check(const struct modbus_map *m, struct cd_err *err);

/* The one request that reads the map: `count` registers from `first`. */
int modbus_map_span(const struct modbus_map *m, int *first, int *count, struct cd_err *err);

/* Registers regs[0..n) as read from `first` (modbus_map_span; n must be its
 * count) into a reading: value, unit, status, display, resolution (t = 0).
 * A decimal-places or unit code out of range is CD_ERR_PROTOCOL. */
int modbus_map_decode(const struct modbus_map *m, const uint16_t *regs, size_t n,
                      struct drv_reading *out, struct cd_err *err);

/* A whole reply frame: an RTU frame (address, function, byte count, data,
 * CRC low byte first) or a Modbus TCP ADU (MBAP header, no CRC). A reply
 * to FC 03/04 is decoded through `m`; with m NULL, one register is a
 * signed int16 and two are a float32 ABCD (no unit). An exception reply
 * gives a reading with status "error" naming the exception. A bad CRC, a
 * wrong length, a function that is not a register read, or a register
 * count the map does not read: CD_ERR_PROTOCOL. */
int modbus_map_decode_frame(const struct modbus_map *m, const uint8_t *frame, size_t len,
                            struct drv_reading *out, struct cd_err *err);

/* The unit of a protocols.md 3.4 unit code ("bar" for 3); NULL if none. */
const char *modbus_unit_name(unsigned code);

/* "FC03 0x0002 float32 ABCD, bar" (for messages and identify). */
void modbus_map_describe(const struct modbus_map *m, char *buf, size_t cap);

#endif
