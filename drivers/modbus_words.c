/* Word orders of 32-bit Modbus values, and the RTU CRC (modbus_words.h). */
#include "modbus_words.h"

#include <modbus.h>
#include <string.h>
#include <strings.h>

static const char *const order_names[] = {"ABCD", "CDAB", "BADC", "DCBA"};

int drv_modbus_order_parse(const char *name, enum drv_modbus_order *out)
{
    if (name == NULL)
        return -1;
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(name, order_names[i]) == 0) {
            *out = (enum drv_modbus_order)i;
            return 0;
        }
    }
    return -1;
}

const char *drv_modbus_order_name(enum drv_modbus_order o)
{
    if ((unsigned)o > DRV_MODBUS_DCBA)
        return "?";
    return order_names[o];
}

static uint16_t swap_bytes(uint16_t w)
{
    return (uint16_t)((w >> 8) | (w << 8));
}

/* The two registers rearranged into ABCD order. */
static void to_abcd(const uint16_t regs[2], enum drv_modbus_order o, uint16_t out[2])
{
    switch (o) {
    case DRV_MODBUS_CDAB:
        out[0] = regs[1];
        out[1] = regs[0];
        break;
    case DRV_MODBUS_BADC:
        out[0] = swap_bytes(regs[0]);
        out[1] = swap_bytes(regs[1]);
        break;
    case DRV_MODBUS_DCBA:
        out[0] = swap_bytes(regs[1]);
        out[1] = swap_bytes(regs[0]);
        break;
    case DRV_MODBUS_ABCD:
    default:
        out[0] = regs[0];
        out[1] = regs[1];
        break;
    }
}

uint32_t drv_modbus_get_u32(const uint16_t regs[2], enum drv_modbus_order o)
{
    uint16_t w[2];
    to_abcd(regs, o, w);
    return ((uint32_t)w[0] << 16) | w[1];
}

int32_t drv_modbus_get_i32(const uint16_t regs[2], enum drv_modbus_order o)
{
    uint32_t u = drv_modbus_get_u32(regs, o);
    int32_t i;
    memcpy(&i, &u, sizeof i);   /* two's complement, no implementation-defined cast */
    return i;
}

float drv_modbus_get_float(const uint16_t regs[2], enum drv_modbus_order o)
{
    switch (o) {
    case DRV_MODBUS_CDAB:
        return modbus_get_float_cdab(regs);
    case DRV_MODBUS_BADC:
        return modbus_get_float_badc(regs);
    case DRV_MODBUS_DCBA:
        return modbus_get_float_dcba(regs);
    case DRV_MODBUS_ABCD:
    default:
        return modbus_get_float_abcd(regs);
    }
}

void drv_modbus_set_u32(uint32_t v, enum drv_modbus_order o, uint16_t regs[2])
{
    uint16_t hi = (uint16_t)(v >> 16);
    uint16_t lo = (uint16_t)(v & 0xFFFF);
    switch (o) {
    case DRV_MODBUS_CDAB:
        regs[0] = lo;
        regs[1] = hi;
        break;
    case DRV_MODBUS_BADC:
        regs[0] = swap_bytes(hi);
        regs[1] = swap_bytes(lo);
        break;
    case DRV_MODBUS_DCBA:
        regs[0] = swap_bytes(lo);
        regs[1] = swap_bytes(hi);
        break;
    case DRV_MODBUS_ABCD:
    default:
        regs[0] = hi;
        regs[1] = lo;
        break;
    }
}

void drv_modbus_set_i32(int32_t v, enum drv_modbus_order o, uint16_t regs[2])
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    drv_modbus_set_u32(u, o, regs);
}

void drv_modbus_set_float(float f, enum drv_modbus_order o, uint16_t regs[2])
{
    uint32_t u;
    _Static_assert(sizeof u == sizeof f, "float is IEEE 754 binary32");
    memcpy(&u, &f, sizeof u);
    drv_modbus_set_u32(u, o, regs);
}

uint16_t drv_modbus_crc16(const uint8_t *buf, size_t len)
{
    uint16_t crc = 0xFFFF;
    for (size_t i = 0; i < len; i++) {
        crc ^= buf[i];
        for (int bit = 0; bit < 8; bit++) {
            if (crc & 1)
                crc = (uint16_t)((crc >> 1) ^ 0xA001);
            else
                crc >>= 1;
        }
    }
    return crc;
}
