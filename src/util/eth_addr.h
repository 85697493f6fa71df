/* eth_addr.h - a 48-bit Ethernet address as a value type, shared by the
 * codec, the packet layer and the applications. */
#ifndef MATFLOW_ETH_ADDR_H
#define MATFLOW_ETH_ADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct eth_addr {
    uint8_t b[6];
};

#define ETH_ADDR_FMT "%02x:%02x:%02x:%02x:%02x:%02x"
#define ETH_ADDR_ARGS(ea) (ea).b[0], (ea).b[1], (ea).b[2], (ea).b[3], (ea).b[4], (ea).b[5]
#define ETH_ADDR_STRLEN 18

static inline bool eth_addr_equal(struct eth_addr a, struct eth_addr b)
{
    return memcmp(a.b, b.b, sizeof a.b) == 0;
}

static inline bool eth_addr_is_zero(struct eth_addr a)
{
    static const struct eth_addr zero;
    return eth_addr_equal(a, zero);
}

static inline bool eth_addr_is_broadcast(struct eth_addr a)
{
    static const struct eth_addr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
    return eth_addr_equal(a, bcast);
}

static inline bool eth_addr_is_multicast(struct eth_addr a)
{
    return (a.b[0] & 1) != 0;
}

/* Parses "aa:bb:cc:dd:ee:ff"; returns false and leaves *out alone on error. */
bool eth_addr_parse(const char *s, struct eth_addr *out);

#endif
