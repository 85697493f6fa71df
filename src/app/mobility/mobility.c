/* mobility.c - the mobility application's hooks: what the core calls when
 * a switch comes or goes and when a Packet-In arrives. */
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "app/mobility/mob_internal.h"
#include "util/log.h"

#define MOD "mobility"

static struct mob_app *app_of(struct mf_app *app)
{
    return app->priv;
}

struct versions_seen {
    struct mob_app *m;
    bool of10, of13;
};

static void note_version(struct mf_switch *sw, void *arg)
{
    struct versions_seen *v = arg;
    const struct sw_info *in = sw_get_info(sw);
    if (in->state == SW_READY && mob_site_index(v->m, in->dpid) >= 0) {
        v->of10 |= in->version == OF_VERSION_1_0;
        v->of13 |= in->version != OF_VERSION_1_0;
    }
}

/* What OpenFlow 1.0 cannot do, said when a switch connects rather than
 * found out from lost traffic (docs/MOBILITY.md, "OpenFlow 1.0"). */
static void warn_version_limits(struct mob_app *m, struct mf_switch *sw, unsigned site)
{
    const struct mob_site *s = m->topo.sites[site].cfg;
    uint8_t version = sw_get_info(sw)->version;
    if (version == OF_VERSION_1_0 && s->forward_table != 0) {
        LOG_WRN(MOD, "site %s: the switch speaks OpenFlow 1.0, which has one table: the "
                "rules forward with NORMAL, not to table %u", s->name, s->forward_table);
    }
    struct versions_seen v = {m, false, false};
    core_foreach_switch(m->core, note_version, &v);
    if (v.of10 && v.of13) {
        LOG_RL(LOG_WARN, MOD, "site %s (OpenFlow %s) is in a network of 1.0 and 1.3 switches: "
               "a moved node at a 1.3 site sends other moved nodes packets from its MoA, "
               "which a 1.0 switch cannot translate together with the destination; such "
               "packets to moved nodes at 1.0 sites are lost", s->name,
               version == OF_VERSION_1_0 ? "1.0" : "1.3");
    }
}

static void on_switch_up(struct mf_app *app, struct mf_switch *sw)
{
    struct mob_app *m = app_of(app);
    int site = mob_site_index(m, sw_get_info(sw)->dpid);
    if (site < 0) {
        mob_count(m, MOB_C_REJECT_UNKNOWN_SWITCH);
        LOG_WRN(MOD, "switch %016llx is in no site of the configuration: left alone",
                (unsigned long long)sw_get_info(sw)->dpid);
        return;
    }
    warn_version_limits(m, sw, (unsigned)site);
    mob_reconcile_start(m, sw, (unsigned)site);
}

static void on_switch_down(struct mf_app *app, struct mf_switch *sw)
{
    struct mob_app *m = app_of(app);
    int site = mob_site_index(m, sw_get_info(sw)->dpid);
    if (site >= 0) {
        /* Its open batch fails now (the connection is closing), while the
         * switch still exists: its updates' phases count it as answered. */
        mob_tx_flush_site(m, (unsigned)site);
        struct mob_site_sync *sy = &m->sync[site];
        char why[sizeof sy->why];
        snprintf(why, sizeof why, "disconnected%s%.40s", sy->state == MOB_SYNC_LAGGING ?
                 " while lagging: " : "", sy->state == MOB_SYNC_LAGGING ? sy->why : "");
        mob_sync_set(m, (unsigned)site, MOB_SYNC_DOWN, why);
    }
    mob_reconcile_switch_down(m, sw);
}

static void on_rarp(struct mob_app *m, unsigned site, uint32_t in_port, const struct pkt_info *pkt)
{
    mob_count(m, MOB_C_RARP_IN);
    const struct mob_site *s = m->topo.sites[site].cfg;
    if (pkt->arp.op != PKT_RARP_OP_REQUEST) {
        return;
    }
    if (!mob_site_is_hypervisor_port(s, in_port)) {
        mob_count(m, MOB_C_REJECT_NOT_HYPERVISOR_PORT);
        LOG_RL(LOG_WARN, MOD, "site %s: RARP on port %u, which is no hypervisor port: ignored",
               s->name, in_port);
        return;
    }
    struct mob_binding *b = mob_binding_by_mac(m, pkt->arp.sha);
    if (!b) {
        mob_count(m, MOB_C_REJECT_UNKNOWN_MAC);
        LOG_RL(LOG_WARN, MOD, "site %s port %u: RARP from unknown node " ETH_ADDR_FMT
               " (never seen at home, not configured)", s->name, in_port,
               ETH_ADDR_ARGS(pkt->arp.sha));
        return;
    }
    mob_update_start(m, b, site, in_port, "rarp");
}

static uint32_t in_port_of(const struct of_packet_in *pi)
{
    return of_match_has(&pi->match, OFF_IN_PORT) ? pi->match.value[OFF_IN_PORT].u32 : 0;
}

static void on_packet_in(struct mf_app *app, struct mf_switch *sw, const struct of_packet_in *pi,
                         const struct pkt_info *pkt)
{
    struct mob_app *m = app_of(app);
    int site = mob_site_index(m, sw_get_info(sw)->dpid);
    if (site < 0) {
        return;
    }
    /* Behind a learning table, that application's own Packet-Ins (its
     * table misses) carry copies of frames our rules already sent us. A
     * 1.3 Packet-In names the rule's cookie; 1.0 has no second table. */
    if (m->topo.sites[site].cfg->forward_table != 0 &&
        sw_get_info(sw)->version != OF_VERSION_1_0 && !mob_cookie_is_ours(pi->cookie)) {
        return;
    }
    if ((pkt->kind == PKT_KIND_RARP || pkt->kind == PKT_KIND_ARP) &&
        !mob_guard_admit_packet(m, (unsigned)site, in_port_of(pi))) {
        return;
    }
    if (pkt->kind == PKT_KIND_RARP) {
        on_rarp(m, (unsigned)site, in_port_of(pi), pkt);
    } else if (pkt->kind == PKT_KIND_ARP) {
        mob_arp_packet_in(m, sw, (unsigned)site, in_port_of(pi), pkt);
    }
}

static void on_message(struct mf_app *app, struct mf_switch *sw, const struct of_msg *msg)
{
    mob_reconcile_message(app_of(app), sw, msg);
}

/* Gateways that have not answered yet are asked again every second (their
 * link may come up after the switch connects). */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct mob_app *m = arg;
    mob_guard_tick(m);
    mob_resume_try(m);
    mob_recheck_lagging(m);
    for (unsigned i = 0; i < m->topo.n_sites; i++) {
        if (m->topo.sites[i].gw_mac_known) {
            continue;
        }
        struct mf_switch *sw = core_find_switch(m->core, m->cfg->sites[i].dpid);
        if (sw) {
            mob_arp_ask_gateways(m, sw, i);
        }
    }
}

static void add_static_nodes(struct mob_app *m)
{
    for (unsigned i = 0; i < m->cfg->n_nodes; i++) {
        const struct mob_static_node *n = &m->cfg->nodes[i];
        const struct mob_site *home = mob_site_of_addr(m->cfg, n->hoa);
        if (!home || mob_binding_by_mac(m, n->mac) || mob_binding_by_hoa(m, n->hoa)) {
            continue; /* already known from the database */
        }
        mob_binding_add(m, n->mac, n->hoa, (unsigned)(home - m->cfg->sites), 0);
    }
}

struct mob_app *mobility_create(struct mf_core *core, struct event_base *base,
                                const struct mob_config *cfg, struct mob_store *store)
{
    struct mob_app *m = calloc(1, sizeof *m);
    if (!m) {
        return NULL;
    }
    m->core = core;
    m->base = base;
    m->cfg = cfg;
    m->store = store;
    m->app = (struct mf_app){.name = "mobility", .priv = m, .switch_up = on_switch_up,
                             .switch_down = on_switch_down, .packet_in = on_packet_in,
                             .message = on_message};
    m->topo.n_sites = cfg->n_sites;
    for (unsigned i = 0; i < cfg->n_sites; i++) {
        snprintf(m->sync[i].why, sizeof m->sync[i].why, "never connected");
        m->topo.sites[i].cfg = &cfg->sites[i];
        m->topo.sites[i].gw_mac_known = cfg->sites[i].has_gateway_mac;
        m->topo.sites[i].gw_mac = cfg->sites[i].gateway_mac;
    }
    m->max_active = MOB_ADMIT_DEFAULT;
    mob_tx_init(m);
    mob_pools_init(m);
    mob_bindings_load(m);
    add_static_nodes(m);
    mob_resume_init(m);
    m->tick = event_new(base, -1, EV_PERSIST, on_tick, m);
    struct timeval tv = {1, 0};
    event_add(m->tick, &tv);
    return m;
}

struct mf_app *mobility_as_app(struct mob_app *m)
{
    return &m->app;
}

void mobility_destroy(struct mob_app *m)
{
    if (!m) {
        return;
    }
    event_free(m->tick);
    mob_retries_free(m);
    mob_resume_free(m);
    mob_updates_free(m);
    mob_tx_free(m);
    mob_reconcile_free(m);
    mob_guard_free(m);
    mob_bindings_free(m);
    mob_pools_free(m);
    free(m);
}
