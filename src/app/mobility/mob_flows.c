/* mob_flows.c - the rules of the mobility application, per switch.
 *
 * Tables: 0 classifies (ARP/RARP, "destination behind an OFS" in metadata),
 * 1 translates sources, 2 translates destinations and forwards. Splitting
 * source and destination rewrites over two tables lets one packet get both
 * (a moved node talking to another moved node) with O(bindings) rules. */
#include "app/mobility/mob_flows.h"

#include "app/mobility/mob_flows_build.h"

#include <string.h>

#define T_CLASSIFY 0
#define T_SOURCE 1
#define T_DEST 2

#define PRIO_RARP 40000
#define PRIO_ARP_ANSWER 36000    /* answered in the switch */
#define PRIO_ARP_TO_CTL 35000    /* answered by the controller */
#define PRIO_ARP 30000           /* seen by the controller, then NORMAL */
#define PRIO_LOCAL_NODE 25000  /* a moved node here: not "behind an OFS" */
#define PRIO_RETURN 26000
#define PRIO_PREFIX 20000
#define PRIO_HAIRPIN 31000
#define PRIO_XLATE 30000
#define PRIO_NODE_OUT_OFS 29500
#define PRIO_NODE_OUT 29000

#define META_BEHIND_OFS 1ull

const struct eth_addr mob_controller_mac = {{0x02, 0x4d, 0x46, 0x00, 0x00, 0x01}};

uint64_t mob_cookie(enum mob_role role, uint32_t id, uint32_t epoch)
{
    return MOB_COOKIE_TAG << 48 | (uint64_t)(role & 0xf) << 44 | (uint64_t)(id & MOB_ID_MAX) << 20 |
           (epoch & MOB_EPOCH_MASK);
}

bool mob_cookie_is_ours(uint64_t cookie)
{
    return cookie >> 48 == MOB_COOKIE_TAG;
}

enum mob_role mob_cookie_role(uint64_t cookie)
{
    return (enum mob_role)((cookie >> 44) & 0xf);
}

uint32_t mob_cookie_id(uint64_t cookie)
{
    return (uint32_t)(cookie >> 20) & MOB_ID_MAX;
}

uint32_t mob_cookie_epoch(uint64_t cookie)
{
    return (uint32_t)cookie & MOB_EPOCH_MASK;
}

static void goto_table(struct of_flow_mod *fm, uint8_t table)
{
    fm->insts.present |= OFIB_GOTO_TABLE;
    fm->insts.goto_table = table;
}

/* Where a packet goes once the rules are done with it: NORMAL on a hybrid
 * switch, or the table of the L2-learning application behind us. */
static void forward(const struct mob_topology *t, unsigned s, struct of_flow_mod *fm)
{
    uint8_t table = t->sites[s].cfg->forward_table;
    if (table == 0) {
        of_actions_output(mob_apply(fm), OFPP_NORMAL, 0);
    } else {
        goto_table(fm, table);
    }
}

/* An ARP reply built in the switch for a known asker: "tpa is at
 * answer_mac", sent back where the request came from. */
static void emit_arp_answer(uint64_t cookie, uint32_t in_port, struct eth_addr asker_mac,
                            uint32_t asker_ip, uint32_t tpa, struct eth_addr answer_mac,
                            mob_emit_fn *emit, void *arg)
{
    struct of_flow_mod fm;
    mob_fm_start(&fm, T_CLASSIFY, PRIO_ARP_ANSWER, cookie);
    if (in_port != OFPP_ANY) {
        of_match_set_in_port(&fm.match, in_port);
    }
    of_match_set_eth_src(&fm.match, asker_mac);
    mob_match_arp_request(&fm.match, tpa);
    struct of_action_list *a = mob_apply(&fm);
    mob_set_mac(a, OFF_ETH_DST, asker_mac);
    mob_set_mac(a, OFF_ETH_SRC, answer_mac);
    mob_set_u16(a, OFF_ARP_OP, 2);
    mob_set_mac(a, OFF_ARP_SHA, answer_mac);
    mob_set_u32(a, OFF_ARP_SPA, tpa);
    mob_set_mac(a, OFF_ARP_THA, asker_mac);
    mob_set_u32(a, OFF_ARP_TPA, asker_ip);
    of_actions_output(a, OFPP_IN_PORT, 0);
    emit(arg, &fm);
}

void mob_flows_base(const struct mob_topology *t, unsigned s, mob_emit_fn *emit, void *arg)
{
    uint64_t cookie = mob_cookie(MOB_ROLE_BASE, 0, 0);
    struct of_flow_mod fm;

    mob_fm_start(&fm, T_CLASSIFY, PRIO_RARP, cookie);
    of_match_set_eth_type(&fm.match, 0x8035);
    mob_to_controller(&fm);
    forward(t, s, &fm); /* the bridge learns where the MAC is */
    emit(arg, &fm);

    mob_fm_start(&fm, T_CLASSIFY, PRIO_ARP, cookie);
    of_match_set_eth_type(&fm.match, 0x0806);
    mob_to_controller(&fm);
    forward(t, s, &fm);
    emit(arg, &fm);

    for (unsigned i = 0; i < t->n_sites; i++) {
        const struct mob_site *site = t->sites[i].cfg;
        mob_fm_start(&fm, T_CLASSIFY, PRIO_PREFIX, cookie);
        of_match_set_eth_type(&fm.match, 0x0800);
        of_match_set_ipv4_dst(&fm.match, site->prefix, mob_prefix_mask(site->prefix_len));
        fm.insts.present |= OFIB_WRITE_METADATA;
        fm.insts.metadata = META_BEHIND_OFS;
        fm.insts.metadata_mask = META_BEHIND_OFS;
        goto_table(&fm, T_SOURCE);
        emit(arg, &fm);
    }

    /* Sources in a MoA pool, told apart from the rest in the switch's
     * datapath cache where table 1 looks at sources (mob_emit_pool_sources
     * says why). */
    mob_fm_start(&fm, T_SOURCE, MOB_PRIO_POOL_SOURCE, cookie);
    goto_table(&fm, T_DEST);
    mob_emit_pool_sources(t, &fm, emit, arg);

    mob_fm_start(&fm, T_CLASSIFY, 0, cookie);
    goto_table(&fm, T_SOURCE);
    emit(arg, &fm);
    mob_fm_start(&fm, T_SOURCE, 0, cookie);
    goto_table(&fm, T_DEST);
    emit(arg, &fm);
    mob_fm_start(&fm, T_DEST, 0, cookie);
    forward(t, s, &fm);
    emit(arg, &fm);
}

bool mob_flows_ready(const struct mob_topology *t, const struct mob_placement *p)
{
    for (unsigned i = 0; i < t->n_sites; i++) {
        if (!t->sites[i].gw_mac_known) {
            return false;
        }
    }
    return p->home < t->n_sites && p->site < t->n_sites;
}

void mob_flows_receiving(const struct mob_topology *t, unsigned s, const struct mob_placement *p,
                         mob_emit_fn *emit, void *arg)
{
    if (!mob_placement_away(t, p)) {
        return;
    }
    uint64_t cookie = mob_cookie(MOB_ROLE_RECEIVING, p->id, p->epoch);
    const struct mob_site_state *here = &t->sites[s];
    struct of_flow_mod fm;

    /* Everywhere: packets from the node carry its MoA; hosts here see its HoA. */
    mob_fm_start(&fm, T_SOURCE, PRIO_XLATE, cookie);
    of_match_set_eth_type(&fm.match, 0x0800);
    of_match_set_ipv4_src(&fm.match, p->moa, UINT32_MAX);
    mob_set_u32(mob_apply(&fm), OFF_IPV4_SRC, p->hoa);
    goto_table(&fm, T_DEST);
    emit(arg, &fm);

    if (s != p->site) {
        return;
    }
    /* At the node's site: deliver the MoA to the node, as its HoA. */
    mob_fm_start(&fm, T_DEST, PRIO_XLATE, cookie);
    of_match_set_eth_type(&fm.match, 0x0800);
    of_match_set_ipv4_dst(&fm.match, p->moa, UINT32_MAX);
    struct of_action_list *a = mob_apply(&fm);
    mob_set_u32(a, OFF_IPV4_DST, p->hoa);
    mob_set_mac(a, OFF_ETH_DST, p->mac);
    /* NORMAL (or the learning table) finds the node's port from its own
     * frames (the RARP), so this rule can go out before the node arrives
     * (a pre-announced move). */
    forward(t, s, &fm);
    emit(arg, &fm);

    /* The router asks for the MoA: the node's MAC answers, from the switch. */
    for (unsigned i = 0; i < here->cfg->n_uplinks; i++) {
        emit_arp_answer(cookie, here->cfg->uplinks[i], here->gw_mac, here->cfg->gateway, p->moa,
                        p->mac, emit, arg);
    }
}

/* The home site's part of the sending side: answer for the HoA, and send
 * what legacy correspondents address to the HoA back to the router as MoA. */
static void sending_at_home(const struct mob_topology *t, unsigned s,
                            const struct mob_placement *p, uint64_t cookie, mob_emit_fn *emit,
                            void *arg)
{
    const struct mob_site_state *home = &t->sites[s];
    struct of_flow_mod fm;
    for (unsigned i = 0; i < home->cfg->n_uplinks; i++) {
        uint32_t up = home->cfg->uplinks[i];
        emit_arp_answer(cookie, up, home->gw_mac, home->cfg->gateway, p->hoa, p->mac, emit, arg);
        mob_fm_start(&fm, T_DEST, PRIO_HAIRPIN, cookie);
        of_match_set_in_port(&fm.match, up);
        of_match_set_eth_type(&fm.match, 0x0800);
        of_match_set_ipv4_dst(&fm.match, p->hoa, UINT32_MAX);
        struct of_action_list *a = mob_apply(&fm);
        mob_set_u32(a, OFF_IPV4_DST, p->moa);
        mob_set_mac(a, OFF_ETH_SRC, p->mac);
        mob_set_mac(a, OFF_ETH_DST, home->gw_mac);
        of_actions_output(a, OFPP_IN_PORT, 0);
        emit(arg, &fm);
    }
    /* Other askers (hosts of the home site) are answered by the controller. */
    mob_fm_start(&fm, T_CLASSIFY, PRIO_ARP_TO_CTL, cookie);
    mob_match_arp_request(&fm.match, p->hoa);
    mob_to_controller(&fm);
    emit(arg, &fm);
}

/* The node's own traffic at its current site: its source becomes the MoA
 * towards hosts behind an OFS (which translate it back) and stays the HoA
 * towards legacy hosts; frames to its home gateway go to the local one. */
static void sending_at_site(const struct mob_topology *t, unsigned s,
                            const struct mob_placement *p, uint64_t cookie, mob_emit_fn *emit,
                            void *arg)
{
    const struct mob_site_state *site = &t->sites[s];
    const struct mob_site *home = t->sites[p->home].cfg;
    struct of_flow_mod fm;

    /* Packets for the node that is here are delivered here: they must not
     * be marked "behind an OFS", or a sender moved to this site too would
     * get its source rewritten to its MoA with nobody on the way to
     * translate it back. */
    mob_fm_start(&fm, T_CLASSIFY, PRIO_LOCAL_NODE, cookie);
    of_match_set_eth_type(&fm.match, 0x0800);
    of_match_set_ipv4_dst(&fm.match, p->hoa, UINT32_MAX);
    goto_table(&fm, T_SOURCE);
    emit(arg, &fm);

    mob_fm_start(&fm, T_SOURCE, PRIO_NODE_OUT_OFS, cookie);
    of_match_set_eth_type(&fm.match, 0x0800);
    of_match_set_eth_src(&fm.match, p->mac);
    of_match_set_ipv4_src(&fm.match, p->hoa, UINT32_MAX);
    of_match_set_metadata(&fm.match, META_BEHIND_OFS, META_BEHIND_OFS);
    struct of_action_list *a = mob_apply(&fm);
    mob_set_u32(a, OFF_IPV4_SRC, p->moa);
    mob_set_mac(a, OFF_ETH_DST, site->gw_mac);
    goto_table(&fm, T_DEST);
    emit(arg, &fm);

    mob_fm_start(&fm, T_SOURCE, PRIO_NODE_OUT, cookie);
    of_match_set_eth_type(&fm.match, 0x0800);
    of_match_set_eth_src(&fm.match, p->mac);
    of_match_set_ipv4_src(&fm.match, p->hoa, UINT32_MAX);
    mob_set_mac(mob_apply(&fm), OFF_ETH_DST, site->gw_mac);
    goto_table(&fm, T_DEST);
    emit(arg, &fm);

    /* Local hosts reach the node directly, by its HoA. */
    mob_fm_start(&fm, T_DEST, PRIO_XLATE, cookie);
    of_match_set_eth_type(&fm.match, 0x0800);
    of_match_set_ipv4_dst(&fm.match, p->hoa, UINT32_MAX);
    mob_set_mac(mob_apply(&fm), OFF_ETH_DST, p->mac);
    forward(t, s, &fm);
    emit(arg, &fm);

    /* The node asks for its home gateway: the local gateway's MAC answers. */
    emit_arp_answer(cookie, OFPP_ANY, p->mac, p->hoa, home->gateway,
                    site->gw_mac, emit, arg);
    /* Any other address of its home prefix: the controller answers. */
    mob_fm_start(&fm, T_CLASSIFY, PRIO_ARP_TO_CTL, cookie);
    mob_match_arp_request_in(&fm.match, p->mac, home->prefix, home->prefix_len);
    mob_to_controller(&fm);
    emit(arg, &fm);
}

void mob_flows_sending(const struct mob_topology *t, unsigned s, const struct mob_placement *p,
                       mob_emit_fn *emit, void *arg)
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
    mob_fm_start(&fm, T_DEST, PRIO_XLATE, cookie);
    of_match_set_eth_type(&fm.match, 0x0800);
    of_match_set_ipv4_dst(&fm.match, p->hoa, UINT32_MAX);
    struct of_action_list *a = mob_apply(&fm);
    mob_set_u32(a, OFF_IPV4_DST, p->moa);
    mob_set_mac(a, OFF_ETH_DST, t->sites[s].gw_mac);
    forward(t, s, &fm);
    emit(arg, &fm);
    if (s == p->home) {
        sending_at_home(t, s, p, cookie, emit, arg);
    }
}

void mob_flows_return_home(const struct mob_topology *t, unsigned s,
                           const struct mob_placement *p, mob_emit_fn *emit, void *arg)
{
    if (s != p->home || p->site != p->home || !t->sites[s].gw_mac_known) {
        return;
    }
    uint64_t cookie = mob_cookie(MOB_ROLE_RETURN, p->id, p->epoch);
    for (unsigned x = 0; x < t->n_sites; x++) {
        if (x == s || !t->sites[x].gw_mac_known) {
            continue;
        }
        struct of_flow_mod fm;
        mob_fm_start(&fm, T_CLASSIFY, PRIO_RETURN, cookie);
        fm.hard_timeout = MOB_RETURN_RULE_SECONDS;
        of_match_set_eth_src(&fm.match, p->mac);
        of_match_set_eth_dst(&fm.match, t->sites[x].gw_mac);
        mob_set_mac(mob_apply(&fm), OFF_ETH_DST, t->sites[s].gw_mac);
        goto_table(&fm, T_SOURCE);
        emit(arg, &fm);
    }
}

void mob_flows_delete(struct of_flow_mod *fm, uint64_t cookie, uint64_t mask)
{
    of_flow_mod_init(fm, OFPFC_DELETE);
    fm->table_id = OFPTT_ALL;
    fm->cookie = cookie;
    fm->cookie_mask = mask;
}

const struct mob_planner mob_planner_of13 = {
    .name = "OpenFlow 1.3",
    .cookie_filters = true,
    .base = mob_flows_base,
    .receiving = mob_flows_receiving,
    .sending = mob_flows_sending,
    .return_home = mob_flows_return_home,
};

const struct mob_planner *mob_planner_for(uint8_t version)
{
    return version == OF_VERSION_1_0 ? &mob_planner_of10 : &mob_planner_of13;
}
