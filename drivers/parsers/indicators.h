/* What the continuous-output parsers (toledo_cont.c, xk3190.c) share with
 * their simulators (drivers/sim/toledo_cont.c, xk3190.c): the checksums. */
#ifndef CALDAQ_INDICATORS_H
#define CALDAQ_INDICATORS_H

#include <stddef.h>
#include <stdint.h>

#define IND_STX 0x02
#define IND_ETX 0x03

/* Toledo: the 2's complement of the 7 low bits of the sum of b[0..n). */
static inline uint8_t ind_toledo_checksum(const uint8_t *b, size_t n)
{
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += b[i];
    return (uint8_t)((0x80 - (sum & 0x7F)) & 0x7F);
}

/* Yaohua: the XOR of b[0..n). */
static inline uint8_t ind_xor(const uint8_t *b, size_t n)
{
    uint8_t x = 0;
    for (size_t i = 0; i < n; i++)
        x ^= b[i];
    return x;
}

/* A nibble as Yaohua sends it: +30h up to 9, +37h above ('A'..'F'). */
static inline char ind_hex(unsigned nibble)
{
    nibble &= 0xF;
    return (char)(nibble <= 9 ? '0' + nibble : 'A' + nibble - 10);
}

#endif
