/* pkt_csum.c - the Internet checksum (RFC 1071), for IPv4 headers. */
#include "pkt/pkt.h"

uint16_t pkt_inet_checksum(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t sum = 0;
    /* 16-bit big-endian words; an odd last byte is the high half of a
     * word padded with zero. A 64-bit sum cannot overflow on any buffer
     * that fits in memory, so carries are folded once at the end. */
    for (size_t i = 0; i + 1 < n; i += 2) {
        sum += (uint64_t)(b[i] << 8 | b[i + 1]);
    }
    if (n & 1) {
        sum += (uint64_t)b[n - 1] << 8;
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)~sum;
}
