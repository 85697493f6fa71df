/* mob_flows10.c - the mobility rules in one table, for OpenFlow 1.0
 * switches. The priority order and what it costs: mob_flows10.h. */
#include "app/mobility/mob_flows10.h"

#include "app/mobility/mob_flows_build.h"

#define T_ONLY 0

#define PRIO_RARP 40000
#define PRIO_ARP_TO_CTL 35000
#define PRIO_SRC_MOA 32000
#define PRIO_HAIRPIN 31000
#define PRIO_ARP 30000
#define PRIO_DST 30000
#define PRIO_NODE_OUT_OFS 29500
#define PRIO_NODE_OUT 29000
#define PRIO_RETURN 26000

static void normal(struct of_flow_mod *fm)
{
    of_actions_output(mob_apply(fm), OFPP_NORMAL, 0);
}

void mob_flows10_base(const struct mob_topology *t, unsigned s, mob_emit_fn *emit, void *arg)
{
    uint64_t cookie = mob_cookie(MOB_ROLE_BASE, 0, 0);
    struct of_flow_mod fm;

    mob_fm_start(&fm, T_ONLY, PRIO_RARP, cookie);
    of_match_set_eth_type(&fm.match, MOB_ETH_RARP);
    mob_to_controller(&fm);
    normal(&fm); /* the bridge learns where the MAC is */
    emit(arg, &fm);

    mob_fm_start(&fm, T_ONLY, PRIO_ARP, cookie);
    of_match_set_eth_type(&fm.match, MOB_ETH_ARP);
    mob_to_controller(&fm);
    normal(&fm);
    emit(arg, &fm);

    /* Sources in a MoA pool, told apart from the rest in the switch's
     * datapath cache (mob_emit_pool_sources says why). */
    mob_fm_start(&fm, T_ONLY, MOB_PRIO_POOL_SOURCE, cookie);
    normal(&fm);
    mob_emit_pool_sources(t, &fm, emit, arg);

    /* A 1.0 table miss goes to the controller: without this rule every
     * packet nobody moved would. */
    mob_fm_start(&fm, T_ONLY, 0, cookie);
    normal(&fm);
    emit(arg, &fm);
}

/* An exact IPv4 address in the source or destination field. */
static void match_ip(struct of_flow_mod *fm, enum of_field f, uint32_t addr)
{
    of_match_set_eth_type(&fm->match, MOB_ETH_IPV4);
    of_match_set(&fm->match, f, (union of_field_value){.u32 = addr});
}

void mob_flows10_receiving(const struct mob_topology *t, unsigned s,
                           const struct mob_placement *p, mob_emit_fn *emit, void *arg)
{
    if (!mob_placement_away(t, p)) {
        return;
    }
    uint64_t cookie = mob_cookie(MOB_ROLE_RECEIVING, p->id, p->epoch);
    struct of_flow_mod fm;

    /* Everywhere: packets from the node carry its MoA; hosts here see its
     * HoA. Above every destination rule (mob_flows10.h). */
    mob_fm_start(&fm, T_ONLY, PRIO_SRC_MOA, cookie);
    match_ip(&fm, OFF_IPV4_SRC, p->moa);
    mob_set_u32(mob_apply(&fm), OFF_IPV4_SRC, p->hoa);
    normal(&fm);
    emit(arg, &fm);

    if (s != p->site) {
        return;
    }
    /* At the node's site: deliver the MoA to the node, as its HoA. NORMAL
     * finds its port from its own frames, so this may precede the node. */
    mob_fm_start(&fm, T_ONLY, PRIO_DST, cookie);
    match_ip(&fm, OFF_IPV4_DST, p->moa);
    struct of_action_list *a = mob_apply(&fm);
    mob_set_u32(a, OFF_IPV4_DST, p->hoa);
    mob_set_mac(a, OFF_ETH_DST, p->mac);
    normal(&fm);
    emit(arg, &fm);

    /* The router asks for the MoA. 1.0 cannot build the reply in the
     * switch (no set_field on ARP fields): the controller answers, and
     * the request is not flooded where nobody owns the address. */
    mob_fm_start(&fm, T_ONLY, PRIO_ARP_TO_CTL, cookie);
    mob_match_arp_request(&fm.match, p->moa);
    mob_to_controller(&fm);
    emit(arg, &fm);
}

/* The node's own traffic at its current site, and what local hosts send
 * it. Its source becomes the MoA towards every site prefix (hosts behind an
 * OFS, which translate it back) and stays the HoA towards legacy hosts;
 * frames to its home gateway go to the local one in both cases. */
static void sending_at_site(const struct mob_topology *t, unsigned s,
                            const struct mob_placement *p, uint64_t cookie, mob_emit_fn *emit,
                            void *arg)
{
    const struct mob_site_state *here = &t->sites[s];
    const struct mob_site *home = t->sites[p->home].cfg;
    struct of_flow_mod fm;

    for (unsigned i = 0; i < t->n_sites; i++) {
        const struct mob_site *to = t->sites[i].cfg;
        mob_fm_start(&fm, T_ONLY, PRIO_NODE_OUT_OFS, cookie);
        of_match_set_eth_src(&fm.match, p->mac);
        match_ip(&fm, OFF_IPV4_SRC, p->hoa);
        of_match_set_ipv4_dst(&fm.match, to->prefix, mob_prefix_mask(to->prefix_len));
        struct of_action_list *a = mob_apply(&fm);
        mob_set_u32(a, OFF_IPV4_SRC, p->moa);
        mob_set_mac(a, OFF_ETH_DST, here->gw_mac);
        normal(&fm);
        emit(arg, &fm);
    }

    mob_fm_start(&fm, T_ONLY, PRIO_NODE_OUT, cookie);
    of_match_set_eth_src(&fm.match, p->mac);
    match_ip(&fm, OFF_IPV4_SRC, p->hoa);
    mob_set_mac(mob_apply(&fm), OFF_ETH_DST, here->gw_mac);
    normal(&fm);
    emit(arg, &fm);

    /* Local hosts, and other moved nodes here, reach the node directly by
     * its HoA: above the sources' rewrites, so no MoA is put on a packet
     * that never leaves the site. */
    mob_fm_start(&fm, T_ONLY, PRIO_DST, cookie);
    match_ip(&fm, OFF_IPV4_DST, p->hoa);
    mob_set_mac(mob_apply(&fm), OFF_ETH_DST, p->mac);
    normal(&fm);
    emit(arg, &fm);

    /* Any address of its home prefix, its home gateway's too: the
     * controller answers (the local gateway's MAC for every one). */
    mob_fm_start(&fm, T_ONLY, PRIO_ARP_TO_CTL, cookie);
    mob_match_arp_request_in(&fm.match, p->mac, home->prefix, home->prefix_len);
    mob_to_controller(&fm);
    emit(arg, &fm);
}

/* The home site: what legacy correspondents address to the HoA goes back
 * to the router as the MoA, and the controller answers for the HoA. */
static void sending_at_home(const struct mob_topology *t, unsigned s,
                            const struct mob_placement *p, uint64_t cookie, mob_emit_fn *emit,
                            void *arg)
{
    const struct mob_site_state *home = &t->sites[s];
    struct of_flow_mod fm;
    for (unsigned i = 0; i < home->cfg->n_uplinks; i++) {
        mob_fm_start(&fm, T_ONLY, PRIO_HAIRPIN, cookie);
        of_match_set_in_port(&fm.match, home->cfg->uplinks[i]);
        match_ip(&fm, OFF_IPV4_DST, p->hoa);
        struct of_action_list *a = mob_apply(&fm);
        mob_set_u32(a, OFF_IPV4_DST, p->moa);
        mob_set_mac(a, OFF_ETH_SRC, p->mac);
        mob_set_mac(a, OFF_ETH_DST, home->gw_mac);
        of_actions_output(a, OFPP_IN_PORT, 0);
        emit(arg, &fm);
    }
    mob_fm_start(&fm, T_ONLY, PRIO_ARP_TO_CTL, cookie);
    mob_match_arp_request(&fm.match, p->hoa);
    mob_to_controller(&fm);
    emit(arg, &fm);
}

void mob_flows10_sending(const struct mob_topology *t, unsigned s,
                         const struct mob_placement *p, mob_emit_fn *emit, void *arg)
{
    if (!mob_placement_away(t, p)) {
        return;
    }
    uint64_t cookie = mob_cookie(MOB_ROLE_SENDING, p->id, p->epoch);
    if (s == p->site) {
        sending_at_site(t, s, p, cookie, emit, arg);
        return;
    }
    /* Elsewhere, packets to the HoA go to the MoA, through the router. */
    struct of_flow_mod fm;
    mob_fm_start(&fm, T_ONLY, PRIO_DST, cookie);
    match_ip(&fm, OFF_IPV4_DST, p->hoa);
    struct of_action_list *a = mob_apply(&fm);
    mob_set_u32(a, OFF_IPV4_DST, p->moa);
    mob_set_mac(a, OFF_ETH_DST, t->sites[s].gw_mac);
    normal(&fm);
    emit(arg, &fm);
    if (s == p->home) {
        sending_at_home(t, s, p, cookie, emit, arg);
    }
}

void mob_flows10_return_home(const struct mob_topology *t, unsigned s,
                             const struct mob_placement *p, mob_emit_fn *emit, void *arg)
{
    if (s != p->home || p->site != p->home || s >= t->n_sites || !t->sites[s].gw_mac_known) {
        return;
    }
    uint64_t cookie = mob_cookie(MOB_ROLE_RETURN, p->id, p->epoch);
    for (unsigned x = 0; x < t->n_sites; x++) {
        if (x == s || !t->sites[x].gw_mac_known) {
            continue;
        }
        struct of_flow_mod fm;
        mob_fm_start(&fm, T_ONLY, PRIO_RETURN, cookie);
        fm.hard_timeout = MOB_RETURN_RULE_SECONDS;
        of_match_set_eth_src(&fm.match, p->mac);
        of_match_set_eth_dst(&fm.match, t->sites[x].gw_mac);
        mob_set_mac(mob_apply(&fm), OFF_ETH_DST, t->sites[s].gw_mac);
        normal(&fm);
        emit(arg, &fm);
    }
}

const struct mob_planner mob_planner_of10 = {
    .name = "OpenFlow 1.0",
    .cookie_filters = false,
    .base = mob_flows10_base,
    .receiving = mob_flows10_receiving,
    .sending = mob_flows10_sending,
    .return_home = mob_flows10_return_home,
};
