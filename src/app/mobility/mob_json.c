/* mob_json.c - the mobility application as the API shows it: bindings,
 * sites, update timelines, counters. */
#include <stdio.h>

#include "app/mobility/mob_internal.h"
#include "util/log.h"

static json_t *ip_json(uint32_t a)
{
    char s[16];
    snprintf(s, sizeof s, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
    return json_string(s);
}

static json_t *mac_json(struct eth_addr a)
{
    char s[ETH_ADDR_STRLEN];
    snprintf(s, sizeof s, ETH_ADDR_FMT, ETH_ADDR_ARGS(a));
    return json_string(s);
}

static json_t *time_json(double t)
{
    char s[32];
    time_iso8601(t, s);
    return json_string(s);
}

static json_t *dpid_json(uint64_t dpid)
{
    char s[17];
    snprintf(s, sizeof s, "%016llx", (unsigned long long)dpid);
    return json_string(s);
}

json_t *mobility_json_bindings(struct mob_app *m)
{
    json_t *list = json_array();
    struct mob_binding *b, *tmp;
    HASH_ITER(hh_hoa, m->by_hoa, b, tmp) {
        json_array_append_new(
            list, json_pack("{s:i, s:o, s:o, s:s, s:s, s:i, s:o, s:i, s:s, s:o, s:i}", "id",
                            (int)b->id, "hoa", ip_json(b->hoa), "mac", mac_json(b->mac), "home",
                            m->cfg->sites[b->home].name, "site", m->cfg->sites[b->site].name,
                            "port", (int)b->port, "moa", ip_json(b->moa), "epoch",
                            (int)b->epoch, "state", mob_state_name(b->state), "since",
                            time_json(b->since), "update", b->upd ? (int)b->upd->id : 0));
    }
    return json_pack("{s:o}", "bindings", list);
}

json_t *mobility_json_sites(struct mob_app *m)
{
    json_t *list = json_array();
    for (unsigned i = 0; i < m->cfg->n_sites; i++) {
        const struct mob_site_state *st = &m->topo.sites[i];
        const struct mob_site *s = st->cfg;
        char prefix[24];
        snprintf(prefix, sizeof prefix, "%u.%u.%u.%u/%u", s->prefix >> 24,
                 (s->prefix >> 16) & 0xff, (s->prefix >> 8) & 0xff, s->prefix & 0xff,
                 s->prefix_len);
        unsigned here = 0;
        struct mob_binding *b, *tmp;
        HASH_ITER(hh_hoa, m->by_hoa, b, tmp) {
            here += b->site == i;
        }
        const struct mob_site_sync *sy = &m->sync[i];
        json_array_append_new(
            list, json_pack("{s:s, s:o, s:s, s:o, s:o, s:b, s:i, s:i, s:i, s:s, s:s, s:o, s:i}",
                            "name", s->name, "dpid", dpid_json(s->dpid), "prefix", prefix,
                            "gateway", ip_json(s->gateway), "gateway_mac",
                            st->gw_mac_known ? mac_json(st->gw_mac) : json_null(), "connected",
                            core_find_switch(m->core, s->dpid) != NULL, "pool_size",
                            (int)m->pools[i].n, "pool_used", (int)m->pools[i].n_used,
                            "nodes_here", (int)here, "sync", mob_sync_state_name(sy->state),
                            "sync_why", sy->why, "sync_since",
                            sy->since ? time_json(sy->since) : json_null(), "updates_missed",
                            (int)sy->updates_missed));
    }
    return json_pack("{s:o}", "sites", list);
}

static json_t *update_json(struct mob_app *m, const struct mob_update *u)
{
    json_t *ev = json_array();
    for (unsigned i = 0; i < u->n_events; i++) {
        const struct mob_event *e = &u->events[i];
        json_t *o = json_pack("{s:s, s:I}", "step", mob_step_name(e->step), "t_us",
                              (json_int_t)e->t_us);
        if (e->dpid) {
            json_object_set_new(o, "dpid", dpid_json(e->dpid));
        }
        json_array_append_new(ev, o);
    }
    return json_pack("{s:i, s:o, s:s, s:s, s:i, s:o, s:b, s:b, s:b, s:s, s:o, s:o, s:i}", "id",
                     (int)u->id, "hoa", ip_json(u->hoa), "trigger", u->trigger, "to",
                     m->cfg->sites[u->site].name, "epoch", (int)u->epoch, "moa", ip_json(u->moa),
                     "complete", u->complete, "failed", u->failed, "superseded", u->aborted,
                     "why", u->why, "start", time_json(u->wall_start), "events", ev,
                     "events_not_recorded", (int)u->events_dropped);
}

json_t *mobility_json_events(struct mob_app *m)
{
    json_t *list = json_array();
    for (unsigned i = 0; i < MOB_HISTORY; i++) {
        const struct mob_update *u = m->history[(m->history_next + i) % MOB_HISTORY];
        if (u) {
            json_array_append_new(list, update_json(m, u));
        }
    }
    struct mob_binding *b, *tmp;
    HASH_ITER(hh_hoa, m->by_hoa, b, tmp) {
        if (b->upd) {
            json_array_append_new(list, update_json(m, b->upd));
        }
    }
    return json_pack("{s:o}", "updates", list);
}

json_t *mobility_json_counters(struct mob_app *m)
{
    static const char *const names[] = {
#define MOB_COUNTER_NAME(name, str) str,
        MOB_COUNTERS(MOB_COUNTER_NAME)
#undef MOB_COUNTER_NAME
    };
    json_t *o = json_object();
    for (unsigned i = 0; i < MOB_N_COUNTERS; i++) {
        json_object_set_new(o, names[i], json_integer((json_int_t)m->counters[i]));
    }
    /* Gauges beside the counters: the memory figures of the benchmarks. */
    json_object_set_new(o, "bindings", json_integer((json_int_t)HASH_CNT(hh_hoa, m->by_hoa)));
    json_object_set_new(o, "binding_table_bytes",
                        json_integer((json_int_t)mob_binding_table_bytes(m)));
    return o;
}
