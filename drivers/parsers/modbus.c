/* The "modbus" frame parser (drv.h, struct drv_parser): one Modbus reply
 * frame in, one reading out, no I/O. A pure parser does not know the
 * register map, so it reads one register as a signed int16 and two as a
 * float32 in ABCD order (KELLER's, and the IEEE 754 big-endian order);
 * modbus_map_decode_frame (parsers/modbus_map.h) decodes through a full
 * map (presets, word orders, scale, decimal-places and unit registers).
 * Frames: RTU (address, function, byte count, data, CRC16 low byte first)
 * or a Modbus TCP ADU; exception replies give status "error" naming the
 * exception (protocols.md 3.1). */
#include "drv_priv.h"

#include "modbus_map.h"

static int parse(const uint8_t *frame, size_t len, struct drv_reading *out, struct cd_err *err)
{
    return modbus_map_decode_frame(NULL, frame, len, out, err);
}

const struct drv_parser drv_parser_modbus = {
    .driver = "modbus",
    .summary = "Modbus RTU/TCP register read replies (FC 03/04): 1 register int16, 2 float32 "
               "ABCD, exceptions",
    .parse = parse,
};
