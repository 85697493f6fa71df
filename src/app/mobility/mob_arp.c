/* mob_arp.c - ARP for the mobility application: the probe that proves a
 * node is where its RARP says, asking each site's gateway for its MAC,
 * learning nodes at home, and answering the requests the switch rules hand
 * to the controller (askers whose addresses a flow cannot know). */
#include <string.h>

#include "app/mobility/mob_internal.h"
#include "util/log.h"

#define MOD "mobility"

static const struct eth_addr broadcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

/* An answer goes after the rules the switch's open batch holds (mob_tx.c):
 * an ARP answer must not announce a delivery the switch has not got yet. */
static void packet_out(struct mob_app *m, struct mf_switch *sw, uint32_t port,
                       const uint8_t *frame, size_t len)
{
    int site = mob_site_index(m, sw_get_info(sw)->dpid);
    if (site >= 0) {
        mob_tx_flush_site(m, (unsigned)site);
    }
    struct of_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.kind = OF_PACKET_OUT;
    msg.u.packet_out.buffer_id = OFP_NO_BUFFER;
    msg.u.packet_out.in_port = OFPP_CONTROLLER;
    of_actions_output(&msg.u.packet_out.actions, port, 0);
    msg.u.packet_out.data = frame;
    msg.u.packet_out.data_len = len;
    sw_send(sw, &msg);
}

/* "Who has HoA?" from address 0.0.0.0 (an RFC 5227 probe): the node answers
 * without learning anything from it, so its ARP cache stays untouched. */
size_t mob_arp_build_probe(uint8_t *frame, size_t cap, struct eth_addr mac, uint32_t hoa)
{
    return pkt_build_arp(frame, cap, mac, mob_controller_mac, PKT_ARP_OP_REQUEST,
                         mob_controller_mac, 0, (struct eth_addr){{0}}, hoa);
}

/* A node back home still maps its gateway's address to the MAC of the last
 * foreign site's gateway (the switch answered it so). A gratuitous reply
 * from the real gateway corrects that entry at once: Linux ignores a plain
 * reply for an entry updated less than a second ago (locktime), not a
 * gratuitous one. */
void mob_arp_tell_home_gateway(struct mob_app *m, struct mf_switch *sw, uint32_t port,
                               const struct mob_binding *b)
{
    const struct mob_site_state *home = &m->topo.sites[b->home];
    if (!home->gw_mac_known) {
        return;
    }
    uint8_t frame[64];
    size_t len = pkt_build_arp(frame, sizeof frame, b->mac, home->gw_mac, PKT_ARP_OP_REPLY,
                               home->gw_mac, home->cfg->gateway, home->gw_mac,
                               home->cfg->gateway);
    if (len) {
        packet_out(m, sw, port ? port : OFPP_FLOOD, frame, len);
    }
}

void mob_arp_ask_gateways(struct mob_app *m, struct mf_switch *sw, unsigned site)
{
    const struct mob_site *s = m->topo.sites[site].cfg;
    if (s->has_gateway_mac) {
        return;
    }
    uint8_t frame[64];
    size_t len = pkt_build_arp(frame, sizeof frame, broadcast, mob_controller_mac,
                               PKT_ARP_OP_REQUEST, mob_controller_mac, 0, (struct eth_addr){{0}},
                               s->gateway);
    for (unsigned i = 0; len && i < s->n_uplinks; i++) {
        packet_out(m, sw, s->uplinks[i], frame, len);
    }
}

static void answer(struct mob_app *m, struct mf_switch *sw, uint32_t port,
                   const struct pkt_arp *req, struct eth_addr answer_mac)
{
    uint8_t frame[64];
    size_t len = pkt_build_arp(frame, sizeof frame, req->sha, answer_mac, PKT_ARP_OP_REPLY,
                               answer_mac, req->tpa, req->sha, req->spa);
    if (len) {
        packet_out(m, sw, port, frame, len);
        mob_count(m, MOB_C_ARP_ANSWERED);
    }
}

static void learn_gateway(struct mob_app *m, unsigned site, const struct pkt_arp *a)
{
    struct mob_site_state *st = &m->topo.sites[site];
    if (st->gw_mac_known && eth_addr_equal(st->gw_mac, a->sha)) {
        return;
    }
    bool changed = st->gw_mac_known;
    st->gw_mac = a->sha;
    st->gw_mac_known = true;
    LOG_INF(MOD, "site %s: gateway is at " ETH_ADDR_FMT, st->cfg->name, ETH_ADDR_ARGS(a->sha));
    if (changed || mob_gateways_known(m)) {
        /* Rules carry the gateway MACs: with the last one known (or one
         * changed), every switch gets its binding rules checked. */
        mob_refresh_all(m);
    }
}

/* A node seen at its home site: remember MAC -> HoA. */
static void learn_host(struct mob_app *m, unsigned site, uint32_t port, const struct pkt_arp *a)
{
    const struct mob_site *s = m->topo.sites[site].cfg;
    uint32_t ip = a->spa;
    struct mob_binding *owner = mob_binding_by_hoa(m, ip);
    if (owner && !eth_addr_equal(owner->mac, a->sha) &&
        (ip & mob_prefix_mask(s->prefix_len)) != s->prefix) {
        /* Another site's node's address, claimed here by another MAC. */
        mob_count(m, MOB_C_REJECT_HOA_CONFLICT);
        LOG_RL(LOG_WARN, MOD, "site %s port %u: " ETH_ADDR_FMT " claims %u.%u.%u.%u, the "
               "address of another node", s->name, port, ETH_ADDR_ARGS(a->sha), ip >> 24,
               (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
        return;
    }
    if (ip == 0 || (ip & mob_prefix_mask(s->prefix_len)) != s->prefix || ip == s->gateway ||
        (ip >= s->pool_first && ip <= s->pool_last)) {
        return;
    }
    struct mob_binding *by_mac = mob_binding_by_mac(m, a->sha);
    struct mob_binding *by_ip = mob_binding_by_hoa(m, ip);
    if (by_mac && by_mac == by_ip) {
        if (!by_mac->away && !by_mac->upd) {
            by_mac->port = port;
        }
        return;
    }
    if (by_mac || by_ip) {
        mob_count(m, MOB_C_REJECT_HOA_CONFLICT);
        LOG_RL(LOG_WARN, MOD, "site %s port %u: " ETH_ADDR_FMT " claims %u.%u.%u.%u, which "
               "conflicts with a known binding", s->name, port, ETH_ADDR_ARGS(a->sha), ip >> 24,
               (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
        return;
    }
    struct mob_binding *nb = mob_binding_add(m, a->sha, ip, site, port);
    if (!nb) {
        return;
    }
    mob_binding_persist(m, nb, false);
    mob_count(m, MOB_C_HOSTS_LEARNED);
    LOG_INF(MOD, "learned node " ETH_ADDR_FMT " = %u.%u.%u.%u at home site %s port %u",
            ETH_ADDR_ARGS(a->sha), ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff,
            s->name, port);
}

/* Where the switches already deliver a node: its update's site once that
 * update's sending side is out, else its committed site; -1 if at home. */
static int delivered_at(const struct mob_binding *b)
{
    const struct mob_update *u = b->upd;
    if (u && !u->failed && !u->aborted && mob_update_sending_started(u)) {
        return u->to_home ? -1 : (int)u->site;
    }
    return b->away ? (int)b->site : -1;
}

/* The node whose MoA at this site is `tpa`: committed there, or being
 * received there by an update in flight (its rules go out with the probe).
 * A walk over the bindings, for addresses of the site's pool only: the
 * router asks once per ARP timeout. */
static struct mob_binding *node_by_moa(struct mob_app *m, unsigned site, uint32_t tpa)
{
    const struct mob_site *s = m->topo.sites[site].cfg;
    if (tpa < s->pool_first || tpa > s->pool_last) {
        return NULL;
    }
    struct mob_binding *b, *tmp;
    HASH_ITER(hh_hoa, m->by_hoa, b, tmp) {
        const struct mob_update *u = b->upd;
        if ((b->away && b->site == site && b->moa == tpa) ||
            (u && !u->failed && !u->aborted && !u->to_home && u->site == site && u->moa == tpa)) {
            return b;
        }
    }
    return NULL;
}

/* OpenFlow 1.0 switches cannot build ARP replies (no set_field on ARP
 * fields): mob_flows10.c hands the controller the requests a 1.3 switch
 * answers itself, and they are answered here, with the same timing as
 * the 1.3 rules: the MoA from the receiving side on, the HoA at home and
 * the node's home prefix once the sending side is out. */
static bool answer_of10(struct mob_app *m, struct mf_switch *sw, unsigned site, uint32_t in_port,
                        const struct pkt_arp *a)
{
    struct mob_binding *by_moa = node_by_moa(m, site, a->tpa);
    if (by_moa && !eth_addr_equal(a->sha, by_moa->mac)) {
        answer(m, sw, in_port, a, by_moa->mac);
        return true;
    }
    struct mob_binding *target = mob_binding_by_hoa(m, a->tpa);
    int at = target ? delivered_at(target) : -1;
    if (target && at >= 0 && target->home == site && (unsigned)at != site &&
        !eth_addr_equal(a->sha, target->mac)) {
        answer(m, sw, in_port, a, target->mac);
        return true;
    }
    struct mob_binding *asker = mob_binding_by_mac(m, a->sha);
    if (asker && delivered_at(asker) == (int)site && a->spa == asker->hoa &&
        m->topo.sites[site].gw_mac_known) {
        const struct mob_site *home = m->topo.sites[asker->home].cfg;
        if ((a->tpa & mob_prefix_mask(home->prefix_len)) == home->prefix) {
            answer(m, sw, in_port, a, m->topo.sites[site].gw_mac);
            return true;
        }
    }
    return false;
}

/* Requests the switch rules send here: a host of a node's home site asking
 * for the node's HoA, or a moved node asking for an address of its home
 * prefix (on 1.0, every request a 1.3 switch answers itself, too). */
static void answer_request(struct mob_app *m, struct mf_switch *sw, unsigned site,
                           uint32_t in_port, const struct pkt_arp *a)
{
    if (sw_get_info(sw)->version == OF_VERSION_1_0 && answer_of10(m, sw, site, in_port, a)) {
        return;
    }
    struct mob_binding *target = mob_binding_by_hoa(m, a->tpa);
    if (target && target->away && target->home == site && target->site != site &&
        !eth_addr_equal(a->sha, target->mac)) {
        answer(m, sw, in_port, a, target->mac);
        return;
    }
    struct mob_binding *asker = mob_binding_by_mac(m, a->sha);
    if (asker && asker->away && asker->site == site && a->spa == asker->hoa &&
        m->topo.sites[site].gw_mac_known) {
        const struct mob_site *home = m->topo.sites[asker->home].cfg;
        if ((a->tpa & mob_prefix_mask(home->prefix_len)) == home->prefix) {
            answer(m, sw, in_port, a, m->topo.sites[site].gw_mac);
        }
    }
}

void mob_arp_packet_in(struct mob_app *m, struct mf_switch *sw, unsigned site, uint32_t in_port,
                       const struct pkt_info *pkt)
{
    const struct pkt_arp *a = &pkt->arp;
    const struct mob_site *s = m->topo.sites[site].cfg;
    if (a->op == PKT_ARP_OP_REPLY && a->spa == s->gateway && mob_site_is_uplink(s, in_port)) {
        learn_gateway(m, site, a);
        return;
    }
    bool hv = mob_site_is_hypervisor_port(s, in_port);
    struct mob_binding *b = mob_binding_by_mac(m, a->sha);
    if (a->op == PKT_ARP_OP_REPLY && b && a->spa == b->hoa &&
        eth_addr_equal(a->tha, mob_controller_mac)) {
        mob_update_probe_reply(m, b, site, in_port);
        return;
    }
    if (a->op == PKT_ARP_OP_REPLY && eth_addr_equal(a->tha, mob_controller_mac)) {
        /* An answer to a probe, but not from the node that holds the
         * address: somebody else claims the HoA. */
        mob_count(m, MOB_C_REJECT_PROBE_REPLY_WRONG_MAC);
        LOG_RL(LOG_WARN, MOD, "site %s port %u: probe answer for %u.%u.%u.%u from "
               ETH_ADDR_FMT ", which does not hold it: ignored", s->name, in_port,
               a->spa >> 24, (a->spa >> 16) & 0xff, (a->spa >> 8) & 0xff, a->spa & 0xff,
               ETH_ADDR_ARGS(a->sha));
        return;
    }
    if (pkt_arp_is_gratuitous(pkt) && b && a->spa == b->hoa) {
        if (!hv) {
            mob_count(m, MOB_C_REJECT_NOT_HYPERVISOR_PORT);
            LOG_RL(LOG_WARN, MOD, "site %s: gratuitous ARP on port %u, which is no hypervisor "
                   "port: ignored", s->name, in_port);
            return;
        }
        mob_count(m, MOB_C_GARP_IN);
        mob_update_start(m, b, site, in_port, "garp");
        return;
    }
    if (hv) {
        learn_host(m, site, in_port, a);
    }
    if (a->op == PKT_ARP_OP_REQUEST) {
        answer_request(m, sw, site, in_port, a);
    }
}
