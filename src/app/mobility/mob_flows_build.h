/* mob_flows_build.h - small builders the rule planners share (mob_flows.c
 * for OpenFlow 1.3, mob_flows10.c for 1.0). Only the planners include it:
 * everything else sees rules as finished struct of_flow_mod. */
#ifndef MATFLOW_MOB_FLOWS_BUILD_H
#define MATFLOW_MOB_FLOWS_BUILD_H

#include "app/mobility/mob_flows.h"

#define MOB_ETH_IPV4 0x0800
#define MOB_ETH_ARP 0x0806
#define MOB_ETH_RARP 0x8035

/* An ADD with no timeouts: rules must outlive a controller restart. */
static inline void mob_fm_start(struct of_flow_mod *fm, uint8_t table, uint16_t prio,
                                uint64_t cookie)
{
    of_flow_mod_init(fm, OFPFC_ADD);
    fm->table_id = table;
    fm->priority = prio;
    fm->cookie = cookie;
}

/* The apply-actions list, marked present. */
static inline struct of_action_list *mob_apply(struct of_flow_mod *fm)
{
    fm->insts.present |= OFIB_APPLY_ACTIONS;
    return &fm->insts.apply;
}

static inline void mob_set_u16(struct of_action_list *l, enum of_field f, uint16_t v)
{
    of_actions_set_field(l, f, (union of_field_value){.u16 = v});
}

static inline void mob_set_u32(struct of_action_list *l, enum of_field f, uint32_t v)
{
    of_actions_set_field(l, f, (union of_field_value){.u32 = v});
}

static inline void mob_set_mac(struct of_action_list *l, enum of_field f, struct eth_addr a)
{
    of_actions_set_field(l, f, (union of_field_value){.mac = a});
}

/* The controller answers ARP from the packet: it needs all of it. */
static inline void mob_to_controller(struct of_flow_mod *fm)
{
    of_actions_output(mob_apply(fm), OFPP_CONTROLLER, OFPCML_NO_BUFFER);
}

static inline void mob_match_arp_request(struct of_match *m, uint32_t tpa)
{
    of_match_set_eth_type(m, MOB_ETH_ARP);
    of_match_set(m, OFF_ARP_OP, (union of_field_value){.u16 = 1});
    of_match_set(m, OFF_ARP_TPA, (union of_field_value){.u32 = tpa});
}

/* "An ARP request from `mac` for an address of `prefix/len`". */
static inline void mob_match_arp_request_in(struct of_match *m, struct eth_addr mac,
                                            uint32_t prefix, uint32_t len)
{
    of_match_set_eth_src(m, mac);
    of_match_set_eth_type(m, MOB_ETH_ARP);
    of_match_set(m, OFF_ARP_OP, (union of_field_value){.u16 = 1});
    of_match_set_masked(m, OFF_ARP_TPA, (union of_field_value){.u32 = prefix},
                        (union of_field_value){.u32 = mob_prefix_mask(len)});
}

/* The address blocks (prefix, length) that cover [first, last] exactly,
 * fewest first: at most 62 for any range. Returns how many were written
 * (at most `cap`). */
static inline unsigned mob_range_blocks(uint32_t first, uint32_t last, uint32_t *prefix,
                                        uint8_t *len, unsigned cap)
{
    unsigned n = 0;
    uint64_t at = first, end = (uint64_t)last + 1;
    while (at < end && n < cap) {
        unsigned bits = 0; /* host bits of the largest aligned block that fits */
        while (bits < 32 && (at & ((2ull << bits) - 1)) == 0 && at + (2ull << bits) <= end) {
            bits++;
        }
        prefix[n] = (uint32_t)at;
        len[n++] = (uint8_t)(32 - bits);
        at += 1ull << bits;
    }
    return n;
}
#define MOB_RANGE_BLOCKS_MAX 62

/* Priority of the pool-source rules: below every rule of a binding. */
#define MOB_PRIO_POOL_SOURCE 1

/* One rule per address block of every site's MoA pool, each `proto` (its
 * table, priority, cookie and instructions) matching IPv4 packets whose
 * source lies in the block. The rules forward as the table's miss does;
 * what they are for is what they make the switch look at. A switch with a
 * datapath cache (Open vSwitch's megaflows) reuses a decision for every
 * packet that agrees on the fields the lookup examined; with these rules
 * every lookup of an IPv4 packet examines whether its source is a MoA, so
 * no decision cached for other sources ever applies to a packet from a
 * MoA. Without them, a flow cached before a move (router -> CN, source
 * unexamined) took the moved node's first packets from its new MoA past
 * the MoA -> HoA rule the switch had just confirmed by barrier (the cache
 * is revalidated after the barrier reply, not before), and the CN reset
 * the connection to the unknown source. */
static inline void mob_emit_pool_sources(const struct mob_topology *t,
                                         const struct of_flow_mod *proto, mob_emit_fn *emit,
                                         void *arg)
{
    for (unsigned i = 0; i < t->n_sites; i++) {
        const struct mob_site *site = t->sites[i].cfg;
        uint32_t prefix[MOB_RANGE_BLOCKS_MAX];
        uint8_t len[MOB_RANGE_BLOCKS_MAX];
        unsigned n = mob_range_blocks(site->pool_first, site->pool_last, prefix, len,
                                      MOB_RANGE_BLOCKS_MAX);
        for (unsigned k = 0; k < n; k++) {
            struct of_flow_mod fm = *proto;
            of_match_set_eth_type(&fm.match, MOB_ETH_IPV4);
            of_match_set_ipv4_src(&fm.match, prefix[k], mob_prefix_mask(len[k]));
            emit(arg, &fm);
        }
    }
}

/* Placements are for nodes away from home; at home a node needs no rule. */
static inline bool mob_placement_away(const struct mob_topology *t,
                                      const struct mob_placement *p)
{
    return p->site != p->home && p->site < t->n_sites && p->home < t->n_sites;
}

#endif
