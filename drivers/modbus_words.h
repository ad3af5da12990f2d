/* Private to drivers/: 32-bit values in two Modbus registers, in the four
 * word orders devices use (reference/protocols.md 3.2). A register holds
 * its two bytes big-endian on the wire; letters name the bytes of the
 * big-endian value, so 1.2345f = 0x3F9E0419 = A B C D travels as
 *     ABCD 3F 9E 04 19   CDAB 04 19 3F 9E   BADC 9E 3F 19 04   DCBA 19 04 9E 3F
 * and regs[0] is the register at the lower address.
 *
 * Pure functions, no I/O. Floats decode through libmodbus's getters (their
 * results are checked against our own in tests/unit/test_modbus.c); the
 * encoders are our own, because libmodbus 3.1.6's modbus_set_float_abcd and
 * friends write the wrong order on little-endian hosts (they produce BADC
 * for ABCD; libmodbus issues #611, #807). */
#ifndef CALDAQ_MODBUS_WORDS_H
#define CALDAQ_MODBUS_WORDS_H

#include <stddef.h>
#include <stdint.h>

enum drv_modbus_order {
    DRV_MODBUS_ABCD,        /* big-endian, high word first (KELLER) */
    DRV_MODBUS_CDAB,        /* word swap */
    DRV_MODBUS_BADC,        /* byte swap within each word */
    DRV_MODBUS_DCBA,        /* little-endian */
};

/* "ABCD", "cdab", ... : 0, or -1 when `name` is not one of the four. */
int drv_modbus_order_parse(const char *name, enum drv_modbus_order *out);
const char *drv_modbus_order_name(enum drv_modbus_order o);   /* "ABCD"... */

uint32_t drv_modbus_get_u32(const uint16_t regs[2], enum drv_modbus_order o);
int32_t drv_modbus_get_i32(const uint16_t regs[2], enum drv_modbus_order o);
float drv_modbus_get_float(const uint16_t regs[2], enum drv_modbus_order o);

void drv_modbus_set_u32(uint32_t v, enum drv_modbus_order o, uint16_t regs[2]);
void drv_modbus_set_i32(int32_t v, enum drv_modbus_order o, uint16_t regs[2]);
void drv_modbus_set_float(float f, enum drv_modbus_order o, uint16_t regs[2]);

/* CRC16/MODBUS (poly 0xA001 reflected, init 0xFFFF) of `len` bytes; on the
 * wire it goes low byte first: 01 03 00 02 00 02 -> 0xCB65 -> 65 CB. */
uint16_t drv_modbus_crc16(const uint8_t *buf, size_t len);

#endif
