/* field_values.h - small value builders shared by the codec tests and the
 * golden-message generator: MAC literals, match/set_field values, and a
 * big-endian read. Header-only (static inline), so a file uses what it needs. */
#ifndef MATFLOW_TEST_FIELD_VALUES_H
#define MATFLOW_TEST_FIELD_VALUES_H

#include <stdint.h>
#include <string.h>

#include "ofp/ofp_msg.h"

static inline uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline struct eth_addr mac(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t e,
                                  uint8_t f)
{
    struct eth_addr m = {{a, b, c, d, e, f}};
    return m;
}

/* Values with every byte the member does not use zeroed, so that a whole
 * union compares equal. */
static inline union of_field_value v_u8(uint8_t x)
{
    union of_field_value v;
    memset(&v, 0, sizeof v);
    v.u8 = x;
    return v;
}

static inline union of_field_value v_u16(uint16_t x)
{
    union of_field_value v;
    memset(&v, 0, sizeof v);
    v.u16 = x;
    return v;
}

static inline union of_field_value v_u32(uint32_t x)
{
    union of_field_value v;
    memset(&v, 0, sizeof v);
    v.u32 = x;
    return v;
}

static inline union of_field_value v_u64(uint64_t x)
{
    union of_field_value v;
    memset(&v, 0, sizeof v);
    v.u64 = x;
    return v;
}

static inline union of_field_value v_mac(struct eth_addr m)
{
    union of_field_value v;
    memset(&v, 0, sizeof v);
    v.mac = m;
    return v;
}

#endif
