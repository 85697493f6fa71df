/* mob_reconcile.c - bringing a switch that (re)connects up to date without
 * a wipe: read its flows (flow stats, our cookies only), compare them with
 * what it should hold, delete the extra and add the missing. Flows that are
 * already right are left alone and keep their age and counters, so a
 * controller restart costs the data path nothing.
 *
 * While a gateway MAC is unknown, binding rules cannot be computed: only the
 * base rules are reconciled; a full pass follows once every gateway is known.
 *
 * An OpenFlow 1.0 switch cannot filter flow stats or deletes by cookie: it
 * is asked for all its flows, ours are told apart here by their cookie
 * tag, and the extra ones go by DELETE_STRICT (priority and match). */
#include <stdlib.h>
#include <string.h>

#include "app/mobility/mob_internal.h"
#include "ofp/ofp_codec.h"
#include "util/log.h"

#define MOD "reconcile"

const char *mob_sync_state_name(enum mob_sync_state st)
{
    static const char *const names[] = {"down", "reconciling", "in_sync", "lagging"};
    return (unsigned)st < sizeof names / sizeof names[0] ? names[st] : "unknown";
}

void mob_sync_set(struct mob_app *m, unsigned site, enum mob_sync_state state, const char *why)
{
    struct mob_site_sync *sy = &m->sync[site];
    bool changed = sy->state != state || strcmp(sy->why, why);
    if (sy->state != state) {
        sy->since = time_wall();
    }
    sy->state = state;
    sy->compared = false;
    snprintf(sy->why, sizeof sy->why, "%s", why);
    if (!changed) {
        return;
    }
    if (state == MOB_SYNC_LAGGING) {
        LOG_WRN(MOD, "site %s: its switch lags: %s", m->cfg->sites[site].name, why);
    } else {
        LOG_INF(MOD, "site %s: %s%s%s", m->cfg->sites[site].name, mob_sync_state_name(state),
                why[0] ? ": " : "", why);
    }
}

/* A switch that lags with no update to reveal that it answers again (a
 * refused rule, a reconciliation that timed out) is read back now and
 * then: once it takes the difference, it is in sync again. */
#define LAG_RECHECK_S 10.0

void mob_recheck_lagging(struct mob_app *m)
{
    double now = time_wall();
    for (unsigned i = 0; i < m->cfg->n_sites; i++) {
        struct mob_site_sync *sy = &m->sync[i];
        if (sy->state == MOB_SYNC_RECONCILING && !sy->compared &&
            now - sy->since > 3 * LAG_RECHECK_S) {
            /* Its flows never came back: updates go to it again meanwhile. */
            mob_sync_set(m, i, MOB_SYNC_LAGGING, "reconciliation: its flows were not sent");
            continue;
        }
        if (sy->state != MOB_SYNC_LAGGING || now - sy->last_check < LAG_RECHECK_S ||
            now - sy->since < LAG_RECHECK_S) {
            continue;
        }
        struct mf_switch *sw = core_find_switch(m->core, m->cfg->sites[i].dpid);
        if (sw) {
            sy->last_check = now;
            mob_reconcile_start(m, sw, i);
        }
    }
}

bool mob_sync_may_send(const struct mob_app *m, unsigned site)
{
    const struct mob_site_sync *sy = &m->sync[site];
    return sy->state == MOB_SYNC_IN_SYNC || sy->state == MOB_SYNC_LAGGING ||
           (sy->state == MOB_SYNC_RECONCILING && sy->compared);
}

bool mob_gateways_known(const struct mob_app *m)
{
    for (unsigned i = 0; i < m->topo.n_sites; i++) {
        if (!m->topo.sites[i].gw_mac_known) {
            return false;
        }
    }
    return true;
}

void mob_expected_flows(struct mob_app *m, unsigned site, const struct mob_planner *pl,
                        mob_emit_fn *emit, void *arg)
{
    pl->base(&m->topo, site, emit, arg);
    if (!mob_gateways_known(m)) {
        return;
    }
    double now = time_wall();
    struct mob_binding *b, *tmp;
    HASH_ITER(hh_hoa, m->by_hoa, b, tmp) {
        struct mob_placement committed, moving;
        mob_binding_placement(b, &committed);
        struct mob_update *u = b->upd;
        bool in_flight = u && !u->failed;
        if (in_flight) {
            moving = (struct mob_placement){b->id, u->epoch, b->mac, b->hoa, u->moa, b->home,
                                            u->site, u->port};
        }
        /* A move in flight: its receiving side may be out already, and once
         * its sending side went out, that replaces the committed one. */
        bool new_senders = in_flight && mob_update_sending_started(u);
        if (b->away) {
            pl->receiving(&m->topo, site, &committed, emit, arg);
            if (!new_senders) {
                pl->sending(&m->topo, site, &committed, emit, arg);
            }
        } else if (b->epoch > 0 && now - b->since < MOB_RETURN_RULE_SECONDS) {
            /* Home again lately: the temporary rules for its stale ARP
             * entries, until their hard timeout (the switch drops them
             * then; we stop expecting them then). */
            pl->return_home(&m->topo, site, &committed, emit, arg);
        }
        if (in_flight && !u->to_home) {
            pl->receiving(&m->topo, site, &moving, emit, arg);
            if (new_senders) {
                pl->sending(&m->topo, site, &moving, emit, arg);
            }
        }
    }
}

struct flow_list {
    struct of_flow_mod *v;
    size_t n, cap;
    bool base_only;
};

static void collect(void *arg, const struct of_flow_mod *fm)
{
    struct flow_list *l = arg;
    if (l->base_only && mob_cookie_role(fm->cookie) != MOB_ROLE_BASE) {
        return;
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        if (!l->v) {
            abort();
        }
    }
    l->v[l->n++] = *fm;
}

static const struct mob_planner *planner_of(struct mf_switch *sw)
{
    return mob_planner_for(sw_get_info(sw)->version);
}

static void ask_flows(struct mob_app *m, struct mf_switch *sw, struct mob_sw *ms)
{
    struct of_msg req;
    memset(&req, 0, sizeof req);
    req.kind = OF_MULTIPART_REQUEST;
    req.u.mp_request.mp_type = OFMP_FLOW;
    req.u.mp_request.flow.table_id = OFPTT_ALL;
    req.u.mp_request.flow.out_port = OFPP_ANY;
    req.u.mp_request.flow.out_group = OFPG_ANY;
    if (planner_of(sw)->cookie_filters) {
        req.u.mp_request.flow.cookie = MOB_COOKIE_TAG << 48;
        req.u.mp_request.flow.cookie_mask = MOB_COOKIE_MASK_TAG;
    }
    of_match_init(&req.u.mp_request.flow.match);
    ms->n_got = 0;
    /* The flows as they are once the updates' rules sent so far are in. */
    mob_tx_flush_site(m, ms->site);
    ms->request_xid = sw_send(sw, &req);
}

void mob_reconcile_start(struct mob_app *m, struct mf_switch *sw, unsigned site)
{
    uint64_t dpid = sw_get_info(sw)->dpid;
    struct mob_sw *ms;
    HASH_FIND(hh, m->reconciling, &dpid, sizeof dpid, ms);
    if (!ms) {
        ms = calloc(1, sizeof *ms);
        if (!ms) {
            abort();
        }
        ms->dpid = dpid;
        HASH_ADD(hh, m->reconciling, dpid, sizeof ms->dpid, ms);
    }
    ms->site = site;
    ms->full = mob_gateways_known(m);
    /* Updates leave it alone until the difference is out: it is computed
     * from their state at that moment, and what they send later follows it. */
    mob_sync_set(m, site, MOB_SYNC_RECONCILING, "");
    ask_flows(m, sw, ms);
}

static bool same_flow(const struct of_flow_stats *have, const struct of_flow_mod *want)
{
    return have->cookie == want->cookie && have->table_id == want->table_id &&
           have->priority == want->priority && of_match_equal(&have->match, &want->match) &&
           of_instructions_equal(&have->insts, &want->insts);
}

static void add_delete_strict(struct mob_emit_batch *c, const struct mob_planner *pl,
                              const struct of_flow_stats *f)
{
    struct of_flow_mod fm;
    of_flow_mod_init(&fm, OFPFC_DELETE_STRICT);
    fm.priority = f->priority;
    fm.cookie = f->cookie;
    /* Without a cookie filter (1.0) priority and match select the flow:
     * a wanted flow with the same ones is added again after the deletes.
     * A 1.0 delete names no table (the wire has no field for it); a flow
     * a 1.3 connection left in table 1 or 2 is reported with its table. */
    fm.table_id = pl->cookie_filters ? f->table_id : OFPTT_ALL;
    fm.cookie_mask = pl->cookie_filters ? UINT64_MAX : 0;
    fm.match = f->match;
    mob_emit_into_batch(c, &fm);
}

static void reconcile_done(struct mf_switch *sw, const struct sw_batch_result *r, void *arg)
{
    struct mob_app *m = arg;
    int site = mob_site_index(m, sw_get_info(sw)->dpid);
    if (r->status == SW_BATCH_ERRORS) {
        mob_count(m, MOB_C_SWITCH_ERRORS);
        LOG_WRN(MOD, "switch %016llx refused %u of %u reconciliation messages",
                (unsigned long long)sw_get_info(sw)->dpid, r->n_errors, r->n_msgs);
    }
    if (site < 0 || m->sync[site].state != MOB_SYNC_RECONCILING) {
        return; /* gone, or reconciled again meanwhile */
    }
    char why[72];
    if (r->status == SW_BATCH_OK) {
        bool full = mob_gateways_known(m);
        mob_sync_set(m, (unsigned)site, full ? MOB_SYNC_IN_SYNC : MOB_SYNC_LAGGING,
                     full ? "" : "base rules only: a gateway MAC is not known yet");
        mob_resume_try(m);
    } else if (r->status == SW_BATCH_ERRORS) {
        snprintf(why, sizeof why, "reconciliation: %u of %u refused (first: type %u code %u)",
                 r->n_errors, r->n_msgs, r->errors[0].type, r->errors[0].code);
        mob_sync_set(m, (unsigned)site, MOB_SYNC_LAGGING, why);
    } else if (r->status == SW_BATCH_TIMEOUT) {
        mob_sync_set(m, (unsigned)site, MOB_SYNC_LAGGING, "reconciliation: no barrier reply");
    }
}

/* Compares what the switch has with what it should have; sends the
 * difference as one batch. */
static void finish(struct mob_app *m, struct mf_switch *sw, struct mob_sw *ms)
{
    const struct mob_planner *pl = planner_of(sw);
    struct flow_list want = {NULL, 0, 0, !ms->full};
    mob_expected_flows(m, ms->site, pl, collect, &want);
    bool *matched = calloc(want.n ? want.n : 1, sizeof *matched);
    mob_tx_flush_site(m, ms->site); /* after what updates sent before */
    struct mob_emit_batch c = {sw_batch_begin(sw), 0};
    unsigned kept = 0, removed = 0, added = 0;
    if (ms->overflow) {
        /* More flows than the switch should hold: not compared, rewritten. */
        struct of_flow_mod del;
        /* 1.0 cannot delete by cookie: every flow goes, other
         * applications' too (a learning switch learns again). */
        mob_flows_delete(&del, MOB_COOKIE_TAG << 48,
                         pl->cookie_filters ? MOB_COOKIE_MASK_TAG : 0);
        mob_emit_into_batch(&c, &del);
        removed = (unsigned)ms->n_got;
        ms->n_got = 0; /* nothing below matches: everything is added */
        LOG_WRN(MOD, "switch %016llx sent more flows than it should hold: "
                "its matflow flows are rewritten", (unsigned long long)ms->dpid);
    }
    for (size_t i = 0; i < ms->n_got; i++) {
        const struct of_flow_stats *f = &ms->got[i];
        bool found = false;
        for (size_t j = 0; j < want.n && !found; j++) {
            if (!matched[j] && same_flow(f, &want.v[j])) {
                matched[j] = found = true;
            }
        }
        if (found) {
            kept++;
        } else if (ms->full || mob_cookie_role(f->cookie) == MOB_ROLE_BASE) {
            add_delete_strict(&c, pl, f);
            removed++;
        }
    }
    for (size_t j = 0; j < want.n; j++) {
        if (!matched[j]) {
            mob_emit_into_batch(&c, &want.v[j]);
            added++;
        }
    }
    m->sync[ms->site].compared = true;
    sw_batch_commit(c.batch, reconcile_done, m);
    m->counters[MOB_C_FLOWS_KEPT_ON_RECONCILE] += kept;
    m->counters[MOB_C_FLOWS_REMOVED_ON_RECONCILE] += removed;
    m->counters[MOB_C_FLOWS_ADDED_ON_RECONCILE] += added;
    LOG_INF(MOD, "switch %016llx (%s): %u flows kept, %u removed, %u added%s",
            (unsigned long long)ms->dpid, m->cfg->sites[ms->site].name, kept, removed, added,
            ms->full ? "" : " (base rules only: a gateway MAC is not known yet)");
    free(matched);
    free(want.v);
    ms->n_got = 0;
    ms->overflow = false;
    ms->request_xid = 0; /* a replayed reply must not start it again */
    mob_arp_ask_gateways(m, sw, ms->site);
}

void mob_reconcile_message(struct mob_app *m, struct mf_switch *sw, const struct of_msg *msg)
{
    if (msg->kind != OF_MULTIPART_REPLY || msg->u.mp_reply.mp_type != OFMP_FLOW) {
        return;
    }
    uint64_t dpid = sw_get_info(sw)->dpid;
    struct mob_sw *ms;
    HASH_FIND(hh, m->reconciling, &dpid, sizeof dpid, ms);
    if (!ms || msg->xid != ms->request_xid) {
        return;
    }
    struct of_mp_cursor cur;
    of_mp_cursor_init(&cur, &msg->u.mp_reply);
    /* A switch cannot make us keep more than a bound: beyond it, the flows
     * are not compared but rewritten (see finish). 1.0 rules hold one rule
     * per site prefix for each node at the switch's site. */
    const struct mob_planner *pl = planner_of(sw);
    size_t per_binding = pl->cookie_filters ? 16 : 16 + (size_t)m->topo.n_sites;
    size_t limit = 2 * (m->topo.n_sites + per_binding * (size_t)HASH_CNT(hh_hoa, m->by_hoa)) +
                   4096;
    for (;;) {
        if (ms->n_got >= limit) {
            ms->overflow = true;
            break;
        }
        if (ms->n_got == ms->cap_got) {
            ms->cap_got = ms->cap_got ? 2 * ms->cap_got : 64;
            ms->got = realloc(ms->got, ms->cap_got * sizeof *ms->got);
            if (!ms->got) {
                abort();
            }
        }
        if (!of_mp_next_flow(&cur, &ms->got[ms->n_got])) {
            break;
        }
        /* 1.0 sends every flow; only ours are compared. */
        if (pl->cookie_filters || mob_cookie_is_ours(ms->got[ms->n_got].cookie)) {
            ms->n_got++;
        }
    }
    if (!(msg->u.mp_reply.flags & OFPMPF_MORE)) {
        finish(m, sw, ms);
    }
}

void mob_reconcile_switch_down(struct mob_app *m, struct mf_switch *sw)
{
    uint64_t dpid = sw_get_info(sw)->dpid;
    struct mob_sw *ms;
    HASH_FIND(hh, m->reconciling, &dpid, sizeof dpid, ms);
    if (ms) {
        ms->request_xid = 0;
        ms->n_got = 0;
    }
}

static void refresh_one(struct mf_switch *sw, void *arg)
{
    struct mob_app *m = arg;
    const struct sw_info *in = sw_get_info(sw);
    int site = mob_site_index(m, in->dpid);
    if (in->state == SW_READY && site >= 0) {
        mob_reconcile_start(m, sw, (unsigned)site);
    }
}

void mob_refresh_all(struct mob_app *m)
{
    core_foreach_switch(m->core, refresh_one, m);
}

void mob_reconcile_free(struct mob_app *m)
{
    struct mob_sw *ms, *tmp;
    HASH_ITER(hh, m->reconciling, ms, tmp) {
        HASH_DELETE(hh, m->reconciling, ms);
        free(ms->got);
        free(ms);
    }
}
