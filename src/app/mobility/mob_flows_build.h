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

/* Placements are for nodes away from home; at home a node needs no rule. */
static inline bool mob_placement_away(const struct mob_topology *t,
                                      const struct mob_placement *p)
{
    return p->site != p->home && p->site < t->n_sites && p->home < t->n_sites;
}

#endif
