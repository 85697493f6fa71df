/* mob_config.h - what the mobility application is told about the network:
 * its sites (one IP network behind one edge switch each) and the mobile
 * nodes an operator registered by hand. Plain data, filled by the daemon's
 * configuration reader; validated by mob_config_validate(). */
#ifndef MATFLOW_MOB_CONFIG_H
#define MATFLOW_MOB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/eth_addr.h"

#define MOB_MAX_SITES 4096 /* edge switches with rules: O(sites) base rules each */
#define MOB_MAX_PORTS 64
#define MOB_MAX_STATIC_NODES 1024
#define MOB_NAME_LEN 32
/* Tables 0-2 hold the mobility rules (mob_flows.h); a forwarding table
 * must come after them, and 255 means "all tables" in OpenFlow. */
#define MOB_FIRST_FREE_TABLE 3
#define MOB_LAST_TABLE 254

struct mob_site {
    char name[MOB_NAME_LEN];
    uint64_t dpid;
    uint32_t prefix, prefix_len; /* host order; prefix has no host bits */
    uint32_t gateway;            /* the legacy router's address on this site */
    bool has_gateway_mac;        /* else learned by ARP on the uplink */
    struct eth_addr gateway_mac;
    uint32_t uplinks[MOB_MAX_PORTS];
    unsigned n_uplinks;
    uint32_t hypervisor_ports[MOB_MAX_PORTS];
    unsigned n_hypervisor_ports;
    uint32_t pool_first, pool_last; /* MoA pool, inclusive, host order */
    /* Where packets go once the mobility rules are done with them: 0 is
     * the switch's NORMAL pipeline (a hybrid switch); otherwise the
     * OpenFlow 1.3 table an L2-learning application owns (MOB_FIRST_FREE_TABLE
     * or later), for switches without NORMAL. OpenFlow 1.0 has one table:
     * there the rules use NORMAL whatever this says (logged). */
    uint8_t forward_table;
    /* Where each setting came from, for error messages: line numbers. */
    unsigned line;
};

struct mob_static_node {
    struct eth_addr mac;
    uint32_t hoa;
    unsigned line;
};

/* The defences of docs/SECURITY.md and the fault handling of
 * docs/OPERATIONS.md. Zero turns each one off (the daemon's configuration
 * reader starts from mob_guard_defaults). */
struct mob_guard {
    unsigned damping_moves;       /* a node moving more often is refused */
    double damping_window_s;      /* ... within this many seconds */
    double trigger_rate;          /* RARP/ARP Packet-Ins per second per port */
    unsigned trigger_burst;       /* ... and how many at once */
    double old_location_check_s;  /* the old location's chance to answer */
    unsigned retries;             /* re-sends of rules a switch refused or did not confirm */
    double retry_backoff_s;       /* the first retry's wait, doubled each time */
};
void mob_guard_defaults(struct mob_guard *g);

struct mob_config {
    struct mob_guard guard;
    struct mob_site sites[MOB_MAX_SITES];
    unsigned n_sites;
    struct mob_static_node nodes[MOB_MAX_STATIC_NODES];
    unsigned n_nodes;
};

/* Checks what no single key can: unique names and dpids, prefixes that do
 * not overlap, gateway and pool inside the prefix, pool not holding the
 * gateway, static nodes inside some site. Prints "FILE:LINE: reason" for each
 * problem; returns the number of problems. */
unsigned mob_config_validate(const struct mob_config *c, const char *file);

/* The site whose prefix holds addr, or NULL. */
const struct mob_site *mob_site_of_addr(const struct mob_config *c, uint32_t addr);
const struct mob_site *mob_site_of_dpid(const struct mob_config *c, uint64_t dpid);
bool mob_site_is_uplink(const struct mob_site *s, uint32_t port);
bool mob_site_is_hypervisor_port(const struct mob_site *s, uint32_t port);

static inline uint32_t mob_prefix_mask(uint32_t len)
{
    return len == 0 ? 0 : UINT32_MAX << (32 - len);
}

#endif
