/* mob_update.c - one binding update, the paper's five steps made safe:
 *
 *   trigger (RARP, GARP or `migrate`) at site S
 *     -> ARP probe to the node (mob_probe.c), and with it the receiving side
 *        for the new MoA to every switch, closed by a barrier; once the
 *        update has its turn, which is at once unless many are sending
 *        (mob_admit.c); every switch's rules of one turn share a batch
 *        (mob_tx.c)
 *     -> probe reply (the node is there and owns its HoA) and every receiving
 *        barrier in -> the sending side to every switch (HoA -> MoA)
 *     -> every sending barrier in -> binding written to disk -> COMPLETE
 *     -> cleanup of the previous epoch's rules, reported on its own.
 *
 * After `migrate` (the receiving side is out before the node arrives) the
 * operator has vouched for the destination: the node's arrival sends the
 * probe and, with every receiving barrier in, the sending side at once.
 * The probe's answer is then recorded when it comes; without one, the
 * binding is marked degraded rather than rolled back (docs/MOBILITY.md).
 *
 * No switch ever sends to a MoA that no switch delivers, and no packet with
 * a MoA source reaches a host whose switch does not translate it. Each update
 * has an epoch; a newer trigger supersedes an older update, whose late
 * answers are then ignored. */
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "app/mobility/mob_internal.h"
#include "util/log.h"

#define MOD "mobility"
#define ANNOUNCE_TIMEOUT_S 60 /* a pre-announced node that never arrives */

enum phase { PH_PROBING, PH_RECEIVING, PH_SENDING, PH_CLEANUP, PH_DONE };

const char *mob_step_name(enum mob_step s)
{
    static const char *const names[] = {
#define MOB_STEP_NAME(name, str) str,
        MOB_STEPS(MOB_STEP_NAME)
#undef MOB_STEP_NAME
    };
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}

/* Per-switch steps (a barrier from each switch) stop being recorded when
 * the timeline is nearly full; the update's own steps always fit, so the
 * timeline of a network with many switches still shows when it completed. */
#define MOB_EVENTS_RESERVED 16

void mob_update_event(struct mob_update *u, enum mob_step step, uint64_t dpid)
{
    unsigned limit = dpid ? MOB_MAX_EVENTS - MOB_EVENTS_RESERVED : MOB_MAX_EVENTS;
    if (u->n_events < limit) {
        u->events[u->n_events++] = (struct mob_event){step, time_usec() - u->t0_us, dpid};
    } else {
        u->events_dropped++;
    }
}

void mob_update_ref(struct mob_update *u)
{
    u->refs++;
}

static void free_timers(struct mob_update *u)
{
    if (u->probe_timer) {
        event_free(u->probe_timer);
        u->probe_timer = NULL;
    }
    if (u->announce_timer) {
        event_free(u->announce_timer);
        u->announce_timer = NULL;
    }
    if (u->old_check_timer) {
        event_free(u->old_check_timer);
        u->old_check_timer = NULL;
    }
}

/* A finished update goes to the history ring once no batch refers to it. */
void mob_update_unref(struct mob_update *u)
{
    if (--u->refs > 0) {
        return;
    }
    struct mob_app *m = u->app;
    free_timers(u);
    struct mob_update **slot = &m->history[m->history_next];
    if (*slot) {
        free_timers(*slot);
    }
    free(*slot);
    *slot = u;
    m->history_next = (m->history_next + 1) % MOB_HISTORY;
}

static void finish_update(struct mob_update *u)
{
    if (u->b && u->b->upd == u) {
        u->b->upd = NULL;
    }
    u->phase = PH_DONE;
    if (u->announce_timer) {
        event_del(u->announce_timer);
    }
    mob_oldcheck_stop(u);
    mob_admit_release(u); /* may start waiting updates */
    mob_update_unref(u); /* the reference the update holds on itself while live */
}

/* An announced arrival whose sending side went out before the probe was
 * answered waits for the answer here, holding a reference: the answer
 * may come after the update completed and left its binding. */
static void start_awaiting(struct mob_update *u)
{
    u->awaiting_probe = true;
    u->refs++;
    u->next_awaiting = u->app->awaiting;
    u->app->awaiting = u;
}

/* Ends the wait (answered, unanswered, moot): stops the probe timer and
 * drops the reference, which may move `u` to the history. */
static void stop_awaiting(struct mob_update *u)
{
    if (!u->awaiting_probe) {
        return;
    }
    struct mob_update **pp = &u->app->awaiting;
    while (*pp && *pp != u) {
        pp = &(*pp)->next_awaiting;
    }
    if (*pp) {
        *pp = u->next_awaiting;
    }
    u->next_awaiting = NULL;
    u->awaiting_probe = false;
    mob_probe_stop(u);
    mob_update_unref(u);
}

static struct mob_update *awaiting_for(const struct mob_app *m, const struct mob_binding *b)
{
    for (struct mob_update *u = m->awaiting; u; u = u->next_awaiting) {
        if (u->b == b) {
            return u;
        }
    }
    return NULL;
}

/* The node announced itself at the site `migrate` named: the operator's
 * word stands in for the probe's answer as far as the sending side goes. */
static bool vouched(const struct mob_update *u)
{
    return u->announced && u->port != 0;
}

static void phase_batch_done(struct mf_switch *sw, const struct sw_batch_result *r, void *arg,
                             int tag);

/* A batch's tag: the phase, which re-send of it this is, and the site (a
 * lookup by dpid per barrier would cost O(sites) each, O(sites^2) an
 * update). */
_Static_assert(MOB_MAX_SITES <= 1 << 15, "a site index fits in a tag");
#define TAG(phase, attempt, site) ((int)((phase) | (attempt) << 8 | (unsigned)(site) << 16))
#define TAG_PHASE(tag) ((tag) & 0xff)
#define TAG_ATTEMPT(tag) (((unsigned)(tag) >> 8) & 0xff)
#define TAG_SITE(tag) ((unsigned)(tag) >> 16)

void mob_emit_into_batch(void *arg, const struct of_flow_mod *fm)
{
    struct mob_emit_batch *e = arg;
    static struct of_msg msg; /* a few KiB: not on the stack */
    /* The header and the flow-mod are all the encoder reads: no need to
     * clear the rest of the union for every rule of a mass migration. */
    msg.kind = OF_FLOW_MOD;
    msg.version = 0;
    msg.xid = 0;
    msg.u.flow_mod = *fm;
    sw_batch_add(e->batch, &msg);
    e->n++;
}

/* The rules of one phase for the switch of `site`, as the planner of the
 * switch's OpenFlow version writes them. */
typedef void phase_rules_fn(struct mob_update *u, unsigned site, const struct mob_planner *pl,
                            mob_emit_fn *emit, void *arg);

/* The phase's rules for the switch of `site` join the switch's open batch
 * (mob_tx.c), with other updates' rules of this turn. */
static void send_to_switch(struct mob_update *u, struct mf_switch *sw, unsigned site, int phase,
                           phase_rules_fn *rules, unsigned attempt)
{
    struct mob_app *m = u->app;
    const struct mob_planner *pl = mob_planner_for(sw_get_info(sw)->version);
    struct mob_emit_batch e;
    mob_tx_begin(m, sw, site, &e);
    rules(u, site, pl, mob_emit_into_batch, &e);
    u->refs++;
    u->pending++;
    mob_tx_end(m, site, &e, phase_batch_done, u, TAG(phase, attempt, site));
    if (phase == PH_CLEANUP && u->stale_overflow) {
        /* Superseded attempts the update lost count of may have left rules
         * that only a comparison of the switch's flows finds; it reads
         * them after the cleanup. */
        mob_tx_flush_site(m, site);
        mob_reconcile_start(m, sw, site);
    }
}

static void phase_complete(struct mob_update *u, int phase);

/* Sends one batch per ready switch; returns how many went out. The phase
 * advances when every one of them has answered its barrier. A guard count
 * keeps a batch that completes at once (a refused one) from advancing the
 * phase before the others are even sent. */
static unsigned send_phase(struct mob_update *u, int phase, phase_rules_fn *rules)
{
    struct mob_app *m = u->app;
    u->phase = phase;
    u->pending = 1;
    u->refs++;
    unsigned sent = 0;
    /* Every site's switch that is ready (and registered: one whose
     * connection is closing gets nothing more). */
    for (unsigned site = 0; site < m->cfg->n_sites; site++) {
        struct mf_switch *sw = core_find_switch(m->core, m->cfg->sites[site].dpid);
        if (sw && mob_sync_may_send(m, site)) {
            send_to_switch(u, sw, site, phase, rules, 0);
            sent++;
        } else if (phase == PH_SENDING) {
            /* Reconciliation brings it up to date (mob_reconcile.c). */
            m->sync[site].updates_missed++;
        }
    }
    if (--u->pending == 0 && sent > 0 && !u->aborted && !u->failed && u->phase == phase) {
        phase_complete(u, phase);
    }
    mob_update_unref(u);
    return sent;
}

static void placement_of(const struct mob_update *u, struct mob_placement *p)
{
    p->id = u->b->id;
    p->epoch = u->epoch;
    p->mac = u->b->mac;
    p->hoa = u->b->hoa;
    p->moa = u->moa;
    p->home = u->b->home;
    p->site = u->site;
    p->port = u->port;
}

static void rules_receiving(struct mob_update *u, unsigned site, const struct mob_planner *pl,
                            mob_emit_fn *emit, void *arg)
{
    struct mob_placement p;
    placement_of(u, &p);
    pl->receiving(&u->app->topo, site, &p, emit, arg);
}

/* The binding's placement at (site, moa) in `epoch`, for regenerating its
 * rules: the cookies of an exact-cookie delete come from the epoch (a
 * DELETE_STRICT does not look at it). */
static struct mob_placement placement_at(const struct mob_update *u, unsigned site, uint32_t moa,
                                         uint32_t epoch)
{
    const struct mob_binding *b = u->b;
    return (struct mob_placement){b->id, epoch, b->mac, b->hoa, moa, b->home, site, 0};
}

/* Where the switches may still have rules of this binding that the update
 * replaces: the committed placement it started from (at home, the rules of
 * an earlier return), and every superseded attempt. `out` has room for
 * 1 + MOB_MAX_STALE. */
static unsigned old_placements(const struct mob_update *u, bool with_committed,
                               struct mob_placement *out)
{
    unsigned n = 0;
    if (with_committed) {
        out[n++] = u->old_away ? placement_at(u, u->old_site, u->old_moa, u->old_epoch)
                               : placement_at(u, u->b->home, u->b->hoa, u->old_epoch);
    }
    for (unsigned i = 0; i < u->n_stale; i++) {
        out[n++] = placement_at(u, u->stale[i].site, u->stale[i].moa, u->stale[i].epoch);
    }
    return n;
}

/* A return home's "sending side" is the end of every HoA -> MoA rewrite:
 * the sending rules of the committed placement and of superseded attempts
 * go first, the rest with the cleanup. */
static void rules_sending(struct mob_update *u, unsigned site, const struct mob_planner *pl,
                          mob_emit_fn *emit, void *arg)
{
    if (u->to_home) {
        struct mob_placement old[1 + MOB_MAX_STALE];
        struct mob_removal r = {old, old_placements(u, true, old), MOB_PART_SENDING, NULL, 0};
        mob_flows_remove(pl, &u->app->topo, site, &r, emit, arg);
        return;
    }
    struct mob_placement p;
    placement_of(u, &p);
    pl->sending(&u->app->topo, site, &p, emit, arg);
}

/* Removes what older epochs of this binding left: the committed
 * placement's rules (at home, the return rules of an earlier return) and
 * every superseded attempt's, but nothing of the new epoch (everything
 * when the node is home again: the sending rules went in its sending
 * phase already). */
static void rules_cleanup(struct mob_update *u, unsigned site, const struct mob_planner *pl,
                          mob_emit_fn *emit, void *arg)
{
    struct mob_placement old[1 + MOB_MAX_STALE], keep;
    placement_of(u, &keep);
    unsigned parts = MOB_PART_RECEIVING | MOB_PART_RETURN | (u->to_home ? 0 : MOB_PART_SENDING);
    struct mob_removal r = {old, old_placements(u, true, old), parts, &keep,
                            u->to_home ? 0 : 1};
    mob_flows_remove(pl, &u->app->topo, site, &r, emit, arg);
}

/* Rolls back a failed update: the rules of its epoch and of any attempt it
 * superseded go, and the committed placement's rules are written again in
 * the same batch. They must be: an attempt's rules with the same match
 * replaced the committed ones in place (and took their cookie), so deleting
 * the attempt's epochs alone could leave the node without rules. */
static void rules_rollback(struct mob_update *u, unsigned site, const struct mob_planner *pl,
                           mob_emit_fn *emit, void *arg)
{
    struct mob_binding *b = u->b;
    struct mob_placement committed;
    mob_binding_placement(b, &committed);
    /* The attempt's own rules (a return home has none) and its
     * predecessors', but not what the committed placement needs: with
     * DELETE_STRICT, rules it shares with them; those are rewritten below
     * anyway. */
    struct mob_placement old[1 + MOB_MAX_STALE];
    unsigned n = old_placements(u, false, old + 1);
    placement_of(u, &old[0]);
    struct mob_removal r = {u->to_home ? old + 1 : old, u->to_home ? n : n + 1,
                            MOB_PART_RECEIVING | MOB_PART_SENDING, &committed, b->away ? 1 : 0};
    mob_flows_remove(pl, &u->app->topo, site, &r, emit, arg);
    if (b->away) {
        pl->receiving(&u->app->topo, site, &committed, emit, arg);
        pl->sending(&u->app->topo, site, &committed, emit, arg);
    }
}

static void release_held(struct mob_app *m, struct mob_update *u)
{
    for (unsigned i = 0; i < u->n_held; i++) {
        mob_pool_release(m, u->held[i].site, u->held[i].moa);
    }
    u->n_held = 0;
}

static void rules_return_home(struct mob_update *u, unsigned site, const struct mob_planner *pl,
                              mob_emit_fn *emit, void *arg)
{
    struct mob_placement p;
    placement_of(u, &p);
    pl->return_home(&u->app->topo, site, &p, emit, arg);
}

bool mob_update_sending_started(const struct mob_update *u)
{
    return u->phase == PH_SENDING || u->complete;
}

static void fail_update(struct mob_update *u, const char *why)
{
    struct mob_app *m = u->app;
    struct mob_binding *b = u->b;
    snprintf(u->why, sizeof u->why, "%s", why);
    u->failed = true;
    mob_count(m, MOB_C_UPDATES_FAILED);
    mob_update_event(u, MOB_STEP_FAILED, 0);
    LOG_WRN(MOD, "update %u: %u.%u.%u.%u to %s (epoch %u) failed: %s; the binding stays at %s",
            u->id, b->hoa >> 24, (b->hoa >> 16) & 0xff, (b->hoa >> 8) & 0xff, b->hoa & 0xff,
            m->cfg->sites[u->site].name, u->epoch, why, m->cfg->sites[b->site].name);
    mob_probe_stop(u);
    mob_oldcheck_stop(u);
    mob_intent_drop(u);
    stop_awaiting(u); /* still live: not freed here */
    if (!u->to_home && !(b->away && b->site == u->site && b->moa == u->moa)) {
        mob_pool_release(m, u->site, u->moa);
    }
    b->state = b->away ? MOB_AWAY : MOB_HOME;
    /* An update that never got its turn sent no rules; unless it inherited
     * a superseded attempt's, there is nothing to roll back. */
    if (u->ever_admitted || u->n_stale || u->stale_overflow) {
        send_phase(u, PH_CLEANUP, rules_rollback);
    }
    release_held(m, u); /* the rollback above replaces or removes their rules */
    finish_update(u);
}

static void start_sending(struct mob_update *u)
{
    if (!u->probe_answered && !u->probe_unanswered) {
        start_awaiting(u); /* a vouched arrival: the probe is still out */
    }
    mob_update_event(u, MOB_STEP_SENDING_OUT, 0);
    if (send_phase(u, PH_SENDING, rules_sending) == 0) {
        fail_update(u, "no switch connected");
    }
}

/* Senders switch only when every receiver is ready and the node answered
 * the probe, or arrived where the operator announced it. A return home has
 * no receiving side: it is "done" once the update got its turn. */
static void maybe_start_sending(struct mob_update *u)
{
    if (u->phase == PH_PROBING && (u->probe_answered || vouched(u)) && u->receiving_done) {
        start_sending(u);
    }
}

#define UNCONFIRMED_WHY "arrival not confirmed: no answer to the ARP probe"

static void complete(struct mob_update *u)
{
    struct mob_app *m = u->app;
    struct mob_binding *b = u->b;
    b->away = !u->to_home;
    b->site = u->site;
    b->port = u->port;
    b->moa = u->to_home ? b->hoa : u->moa;
    b->epoch = u->epoch;
    b->since = time_wall();
    /* A switch refused some rules: traffic may not follow everywhere. An
     * announced arrival the probe never confirmed: traffic follows, but
     * nobody has seen the node answer at its new port. */
    bool degraded = u->switch_errors || u->switch_lost || u->probe_unanswered;
    b->state = degraded ? MOB_DEGRADED : b->away ? MOB_AWAY : MOB_HOME;
    if (u->switch_errors || u->switch_lost) {
        snprintf(u->why, sizeof u->why, "%s%u rule(s) refused, %u switch(es) did not confirm",
                 u->probe_unanswered ? UNCONFIRMED_WHY "; " : "", u->switch_errors,
                 u->switch_lost);
    }
    if (degraded) {
        mob_count(m, MOB_C_UPDATES_DEGRADED);
    }
    if (!mob_binding_persist(m, b, u->move_row || u->intent != MOB_INTENT_NONE)) {
        b->state = MOB_DEGRADED; /* the switches have it; the disk does not */
    }
    mob_update_event(u, MOB_STEP_PERSISTED, 0);
    /* Damping counts moves that happened, not attempts: a spoofer whose
     * attempts fail cannot use up the node's moves. An operator's
     * `migrate` is never refused, but counts. */
    mob_guard_note_move(m, b);
    u->complete = true;
    mob_update_event(u, MOB_STEP_COMPLETE, 0);
    mob_count(m, MOB_C_UPDATES_COMPLETE);
    uint64_t us = time_usec() - u->t0_us;
    LOG_INF(MOD, "binding %u.%u.%u.%u at %s as %u.%u.%u.%u (%s), epoch %u, complete in %.3f ms",
            b->hoa >> 24, (b->hoa >> 16) & 0xff, (b->hoa >> 8) & 0xff, b->hoa & 0xff,
            m->cfg->sites[b->site].name, b->moa >> 24, (b->moa >> 16) & 0xff,
            (b->moa >> 8) & 0xff, b->moa & 0xff, b->away ? "away" : "home", b->epoch,
            us / 1000.0);
    if (degraded) {
        LOG_WRN(MOD, "binding %u.%u.%u.%u is degraded: %s", b->hoa >> 24, (b->hoa >> 16) & 0xff,
                (b->hoa >> 8) & 0xff, b->hoa & 0xff, u->why);
    }
    if (u->old_away && (u->old_site != u->site || u->old_moa != b->moa)) {
        mob_pool_release(m, u->old_site, u->old_moa);
    }
    release_held(m, u); /* every sender now rewrites to the new MoA */
    if (u->to_home) {
        struct mf_switch *sw = core_find_switch(m->core, m->cfg->sites[b->home].dpid);
        if (sw) {
            mob_arp_tell_home_gateway(m, sw, b->port, b);
        }
    }
    mob_update_event(u, MOB_STEP_CLEANUP_OUT, 0);
    if (b->upd == u) {
        b->upd = NULL; /* a newer move may start while the cleanup runs */
    }
    if (send_phase(u, PH_CLEANUP, rules_cleanup) == 0) {
        finish_update(u);
    }
}

static phase_rules_fn *rules_of_phase(int phase)
{
    return phase == PH_RECEIVING ? rules_receiving
           : phase == PH_SENDING ? rules_sending
           : phase == PH_CLEANUP ? rules_cleanup
                                 : NULL;
}

/* The switch refused some of the phase's rules or did not confirm them:
 * they go again after a wait, while the phase waits for this switch. */
static bool retry_later(struct mob_update *u, struct mf_switch *sw, unsigned site, int tag,
                        const struct sw_batch_result *r)
{
    const struct mob_guard *g = &u->app->cfg->guard;
    unsigned attempt = TAG_ATTEMPT(tag);
    if (attempt >= g->retries || !rules_of_phase(TAG_PHASE(tag))) {
        return false;
    }
    double delay = g->retry_backoff_s * (double)(1u << attempt);
    mob_count(u->app, MOB_C_RETRIES);
    mob_update_event(u, MOB_STEP_RETRY, sw_get_info(sw)->dpid);
    LOG_WRN(MOD, "update %u: switch %016llx %s; sending again in %.2f s (retry %u of %u)",
            u->id, (unsigned long long)sw_get_info(sw)->dpid,
            r->status == SW_BATCH_TIMEOUT ? "did not confirm the rules" : "refused rules",
            delay, attempt + 1, g->retries);
    mob_retry_schedule(u, site, TAG(TAG_PHASE(tag), attempt + 1, site), delay);
    return true;
}

/* Retries spent: the switch lags behind this update. It is reconciled
 * (read and corrected) now; the binding ends degraded. */
static void give_up_on_switch(struct mob_update *u, struct mf_switch *sw, unsigned site,
                              const struct sw_batch_result *r)
{
    struct mob_app *m = u->app;
    char why[72];
    if (r->status == SW_BATCH_TIMEOUT) {
        u->switch_lost++;
        snprintf(why, sizeof why, "no barrier reply (update %u)", u->id);
    } else {
        snprintf(why, sizeof why, "refused rules: error type %u code %u (update %u)",
                 r->errors[0].type, r->errors[0].code, u->id);
    }
    m->sync[site].updates_missed++;
    mob_sync_set(m, site, MOB_SYNC_LAGGING, why);
    if (r->status == SW_BATCH_TIMEOUT) {
        /* Reading its flows would wait as long. It stays lagging until it
         * confirms a batch again (then it is reconciled) or, after
         * CORE_BARRIER_MISSES, is dropped and reconciled on its return. */
        return;
    }
    mob_reconcile_start(m, sw, site);
}

static void phase_batch_done(struct mf_switch *sw, const struct sw_batch_result *r, void *arg,
                             int tag)
{
    struct mob_update *u = arg;
    struct mob_app *m = u->app;
    int phase = TAG_PHASE(tag);
    uint64_t dpid = sw_get_info(sw)->dpid;
    unsigned site = TAG_SITE(tag);
    bool live = !u->aborted && !u->failed && phase == u->phase;
    bool fault = r->status == SW_BATCH_ERRORS || r->status == SW_BATCH_TIMEOUT;
    if (live && fault && retry_later(u, sw, site, tag, r)) {
        mob_update_unref(u); /* the retry holds its own reference */
        return;
    }
    if (r->status == SW_BATCH_ERRORS) {
        mob_count(m, MOB_C_SWITCH_ERRORS);
        LOG_WRN(MOD, "switch %016llx refused %u of %u rules of update %u (first: type %u code %u)",
                (unsigned long long)dpid, r->n_errors, r->n_msgs, u->id, r->errors[0].type,
                r->errors[0].code);
        u->switch_errors += r->n_errors;
    }
    if (live && fault) {
        give_up_on_switch(u, sw, site, r);
    } else if (r->status == SW_BATCH_OK && m->sync[site].state == MOB_SYNC_LAGGING) {
        /* It confirms rules again: what it missed is read back and put
         * right now, not only when it reconnects. */
        mob_reconcile_start(m, sw, site);
    }
    /* A switch that went away is brought up to date when it returns; the
     * timeline records only barriers that did come back. */
    bool answered = r->status == SW_BATCH_OK || r->status == SW_BATCH_ERRORS;
    if (live) {
        static const enum mob_step barrier_step[] = {
            [PH_RECEIVING] = MOB_STEP_RECEIVING_BARRIER,
            [PH_SENDING] = MOB_STEP_SENDING_BARRIER,
            [PH_CLEANUP] = MOB_STEP_CLEANUP_BARRIER,
        };
        if (answered &&
            (phase == PH_RECEIVING || phase == PH_SENDING || phase == PH_CLEANUP)) {
            mob_update_event(u, barrier_step[phase], dpid);
        }
        if (--u->pending == 0) {
            phase_complete(u, phase);
        }
    }
    mob_update_unref(u);
}

void mob_update_resend(struct mob_update *u, unsigned site, int tag)
{
    struct mob_app *m = u->app;
    int phase = TAG_PHASE(tag);
    if (u->aborted || u->failed || phase != u->phase) {
        return;
    }
    struct mf_switch *sw = core_find_switch(m->core, m->cfg->sites[site].dpid);
    u->pending--; /* this switch's share: sent again below, or given up */
    if (sw && mob_sync_may_send(m, site)) {
        send_to_switch(u, sw, site, phase, rules_of_phase(phase), TAG_ATTEMPT(tag));
        return;
    }
    /* Gone meanwhile: reconciled when it returns. */
    if (u->pending == 0) {
        phase_complete(u, phase);
    }
}

static void phase_complete(struct mob_update *u, int phase)
{
    if (phase == PH_RECEIVING) {
        u->receiving_done = true;
        u->phase = PH_PROBING;
        if (u->announced && u->port == 0) {
            mob_admit_release(u); /* the node's arrival may take long */
        }
        maybe_start_sending(u);
    } else if (phase == PH_SENDING) {
        mob_update_event(u, MOB_STEP_SWITCHED, 0);
        if (u->old_check == MOB_OLD_PENDING) {
            u->switched = true; /* persisted once the old location is silent */
            return;
        }
        complete(u);
    } else if (phase == PH_CLEANUP && u->complete) {
        if (u->to_home) {
            /* After the cleanup (which removes every rule of the binding):
             * the temporary rules for the node's stale ARP entries. */
            u->phase = PH_DONE;
            send_phase(u, PH_DONE, rules_return_home);
        }
        finish_update(u);
    }
}

/* Every probe of a vouched arrival went unanswered. Its sending side is
 * out (or goes out once the receiving side is in), so traffic already
 * follows the node: it is kept, and the binding is marked degraded with
 * the reason, now if the update completed, else when it does. Rolling
 * back would cut a node that most likely is there (a guest that ignores
 * address probes) on the strength of a missing answer alone. */
static void arrival_unconfirmed(struct mob_update *u)
{
    struct mob_app *m = u->app;
    struct mob_binding *b = u->b;
    u->probe_unanswered = true;
    mob_count(m, MOB_C_ARRIVAL_UNCONFIRMED);
    mob_update_event(u, MOB_STEP_PROBE_UNANSWERED, m->cfg->sites[u->site].dpid);
    snprintf(u->why, sizeof u->why, "%s", UNCONFIRMED_WHY);
    /* Only the placement this update committed: a newer move owns the
     * binding's state. */
    if (u->complete && !b->upd && b->epoch == u->epoch) {
        b->state = MOB_DEGRADED;
    }
    LOG_WRN(MOD, "update %u: %u.%u.%u.%u announced at %s did not answer %u ARP probes on "
            "port %u; its traffic stays switched there (binding degraded)", u->id,
            b->hoa >> 24, (b->hoa >> 16) & 0xff, (b->hoa >> 8) & 0xff, b->hoa & 0xff,
            m->cfg->sites[u->site].name, u->probe_tries, u->port);
    stop_awaiting(u); /* last: may move u to the history */
}

void mob_update_old_location_silent(struct mob_update *u)
{
    if (u->switched && !u->failed && !u->aborted && !u->complete) {
        complete(u);
    }
}

/* The node answered where it was: whoever announced it elsewhere is not
 * it, or it is in two places. Either way it did not move. */
void mob_update_old_location_answered(struct mob_update *u)
{
    struct mob_app *m = u->app;
    struct mob_binding *b = u->b;
    mob_count(m, MOB_C_REJECT_OLD_LOCATION_ANSWERS);
    LOG_ERR(MOD, "ALARM: %u.%u.%u.%u (" ETH_ADDR_FMT ") announced at %s port %u still answers "
            "at %s port %u: the move is rolled back (spoofed announcement or duplicate MAC)",
            b->hoa >> 24, (b->hoa >> 16) & 0xff, (b->hoa >> 8) & 0xff, b->hoa & 0xff,
            ETH_ADDR_ARGS(b->mac), m->cfg->sites[u->site].name, u->port,
            m->cfg->sites[u->old_check_site].name, u->old_check_port);
    fail_update(u, "the node still answers at its old location (alarm)");
}

void mob_update_probe_exhausted(struct mob_update *u)
{
    mob_count(u->app, MOB_C_PROBE_TIMEOUT);
    if (vouched(u)) {
        arrival_unconfirmed(u);
        return;
    }
    fail_update(u, "the node did not answer the ARP probe");
}

static void on_announce_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct mob_update *u = arg;
    if (!u->aborted && !u->failed && u->port == 0) {
        fail_update(u, "the announced node did not arrive within 60 s");
    }
}

/* A newer trigger wins: the older update stops where it is; its epoch's
 * rules are removed by the newer update's cleanup. */
/* Keeps a MoA allocated until `u` no longer needs the switches to forget
 * it; with no room left, it is released at once (logged). */
static void hold_moa(struct mob_app *m, struct mob_update *u, unsigned site, uint32_t moa)
{
    if (u->n_held < MOB_MAX_HELD_MOAS) {
        u->held[u->n_held].site = site;
        u->held[u->n_held].moa = moa;
        u->n_held++;
        return;
    }
    LOG_WRN(MOD, "update %u: too many superseded attempts; a MoA is released early", u->id);
    mob_pool_release(m, site, moa);
}

/* Remembers where a superseded attempt placed the node, for switches that
 * can remove its rules only by generating them again. */
static void add_stale(struct mob_update *u, unsigned site, uint32_t moa, uint32_t epoch)
{
    for (unsigned i = 0; i < u->n_stale; i++) {
        if (u->stale[i].site == site && u->stale[i].moa == moa && u->stale[i].epoch == epoch) {
            return;
        }
    }
    if (u->n_stale < MOB_MAX_STALE) {
        u->stale[u->n_stale].site = site;
        u->stale[u->n_stale].moa = moa;
        u->stale[u->n_stale].epoch = epoch;
        u->n_stale++;
        return;
    }
    if (!u->stale_overflow) {
        LOG_WRN(MOD, "update %u: more than %u superseded attempts: its switches will be "
                "reconciled after the cleanup", u->id, MOB_MAX_STALE);
    }
    u->stale_overflow = true;
}

static void supersede(struct mob_app *m, struct mob_update *old, struct mob_update *newer)
{
    old->aborted = true;
    mob_oldcheck_stop(old);
    stop_awaiting(old); /* still live: not freed here */
    mob_count(m, MOB_C_UPDATES_SUPERSEDED);
    snprintf(old->why, sizeof old->why, "superseded by a newer move");
    struct mob_binding *b = old->b;
    mob_probe_stop(old);
    if (!old->to_home && !(b->away && b->site == old->site && b->moa == old->moa) &&
        old->moa != newer->moa) {
        hold_moa(m, newer, old->site, old->moa);
    }
    for (unsigned i = 0; i < old->n_held; i++) {
        hold_moa(m, newer, old->held[i].site, old->held[i].moa);
    }
    old->n_held = 0;
    if (!old->to_home) {
        add_stale(newer, old->site, old->moa, old->epoch);
    }
    for (unsigned i = 0; i < old->n_stale; i++) {
        add_stale(newer, old->stale[i].site, old->stale[i].moa, old->stale[i].epoch);
    }
    newer->stale_overflow |= old->stale_overflow;
    newer->move_row |= old->move_row || old->intent == MOB_INTENT_WRITTEN;
    finish_update(old);
}

static struct mob_update *new_update(struct mob_app *m, struct mob_binding *b, unsigned site,
                                     uint32_t port, const char *trigger)
{
    struct mob_update *u = calloc(1, sizeof *u);
    if (!u) {
        abort();
    }
    u->app = m;
    u->b = b;
    u->id = ++m->next_update_id;
    u->hoa = b->hoa;
    u->refs = 1;
    u->site = site;
    u->port = port;
    u->to_home = site == b->home;
    u->t0_us = time_usec();
    u->wall_start = time_wall();
    snprintf(u->trigger, sizeof u->trigger, "%s", trigger);
    u->old_away = b->away;
    u->old_site = b->site;
    u->old_moa = b->moa;
    u->old_epoch = b->epoch;
    uint32_t last = b->upd ? b->upd->epoch : b->epoch;
    u->epoch = (last + 1) & MOB_EPOCH_MASK;
    mob_update_event(u, MOB_STEP_TRIGGER, m->cfg->sites[site].dpid);
    return u;
}

/* Allocates the MoA: the same one if the node stays on its site. */
static bool choose_moa(struct mob_app *m, struct mob_update *u)
{
    struct mob_binding *b = u->b;
    if (u->to_home) {
        u->moa = b->hoa;
        return true;
    }
    if (b->away && b->site == u->site) {
        u->moa = b->moa;
        return true;
    }
    u->moa = mob_pool_alloc(m, u->site);
    return u->moa != 0;
}

static struct mob_update *begin(struct mob_app *m, struct mob_binding *b, unsigned site,
                                uint32_t port, const char *trigger)
{
    struct mob_placement probe_p = {.home = b->home, .site = site};
    if (!mob_flows_ready(&m->topo, &probe_p)) {
        mob_count(m, MOB_C_REJECT_GATEWAY_UNKNOWN);
        LOG_RL(LOG_WARN, MOD, "cannot move %u.%u.%u.%u to %s (%s): a gateway MAC is not known yet",
               b->hoa >> 24, (b->hoa >> 16) & 0xff, (b->hoa >> 8) & 0xff, b->hoa & 0xff,
               m->cfg->sites[site].name, trigger);
        return NULL;
    }
    struct mob_update *prev = b->upd;
    struct mob_update *u = new_update(m, b, site, port, trigger);
    if (!choose_moa(m, u)) {
        mob_count(m, MOB_C_REJECT_POOL_EXHAUSTED);
        LOG_WRN(MOD, "site %s: MoA pool exhausted", m->cfg->sites[site].name);
        free(u);
        return NULL;
    }
    struct mob_update *moot = awaiting_for(m, b);
    if (moot && moot != prev) {
        /* A completed announced arrival still waiting for its probe's
         * answer: the node moves on, so the answer means nothing now. */
        stop_awaiting(moot);
    }
    if (prev) {
        /* Inherit what the switches may hold from the superseded attempt,
         * and its turn to send. */
        mob_admit_transfer(prev, u);
        supersede(m, prev, u);
    }
    b->upd = u;
    b->state = MOB_UPDATING;
    mob_count(m, MOB_C_UPDATES_STARTED);
    return u;
}

static void send_receiving(struct mob_update *u)
{
    mob_update_event(u, MOB_STEP_RECEIVING_OUT, 0);
    if (send_phase(u, PH_RECEIVING, rules_receiving) == 0) {
        u->receiving_done = true;
        u->phase = PH_PROBING;
    }
}

/* The update's first flow-mod phase: the receiving side, or for a return
 * home (which has none) the sending side once the probe is answered. */
static void start_flow_mods(struct mob_update *u)
{
    if (u->to_home) {
        u->receiving_done = true;
        maybe_start_sending(u);
    } else {
        send_receiving(u);
    }
}

void mob_update_admitted(struct mob_update *u)
{
    mob_update_event(u, MOB_STEP_ADMITTED, 0);
    start_flow_mods(u);
}

void mob_update_start(struct mob_app *m, struct mob_binding *b, unsigned site, uint32_t port,
                      const char *trigger)
{
    struct mob_update *cur = b->upd;
    if (cur && cur->site == site && !cur->failed) {
        if (cur->announced && cur->port == 0) {
            /* The pre-announced node arrived where the operator said: the
             * probe goes out, and with it the sending side (once every
             * receiving barrier is in), without waiting for the answer. */
            cur->port = port;
            event_del(cur->announce_timer);
            mob_update_event(cur, MOB_STEP_TRIGGER, m->cfg->sites[site].dpid);
            cur->phase = cur->receiving_done ? PH_PROBING : cur->phase;
            mob_probe_start(cur);
            mob_oldcheck_start(cur);
            mob_intent_note(cur);
            maybe_start_sending(cur);
            return;
        }
        mob_count(m, MOB_C_DUPLICATE_ANNOUNCEMENT); /* QEMU sends 5 RARPs */
        return;
    }
    if (!cur && b->site == site && (b->away || site == b->home)) {
        /* Same site: the rules do not depend on the port. The port is not
         * taken from the announcement either: anybody on another port of
         * the site could send it, and the old-location check would then
         * ask the wrong port. */
        mob_count(m, MOB_C_DUPLICATE_ANNOUNCEMENT);
        return;
    }
    /* A move a crash interrupted was let through before. */
    bool resumed = !strcmp(trigger, "resume");
    if (!resumed && !mob_guard_allow_move(m, b)) {
        return;
    }
    struct mob_update *u = begin(m, b, site, port, trigger);
    if (!u) {
        return;
    }
    mob_intent_note(u);
    u->phase = PH_PROBING;
    /* The probe at once, ahead of every rule in the switch's open batch;
     * the receiving side (harmless before the move) when the update's turn
     * comes, normally at once too. */
    mob_probe_start(u);
    mob_oldcheck_start(u);
    if (mob_admit(u)) {
        start_flow_mods(u);
    }
}

void mob_update_probe_reply(struct mob_app *m, struct mob_binding *b, unsigned site,
                            uint32_t port)
{
    struct mob_update *u = b->upd;
    if (u && mob_oldcheck_answer(u, site, port)) {
        return;
    }
    if (!u || u->probe_answered) {
        u = awaiting_for(m, b); /* an announced arrival, complete already? */
    }
    /* Only the port the node announced itself on proves it is there. */
    if (!u || u->site != site || u->probe_answered || u->port == 0 || port != u->port) {
        mob_count(m, MOB_C_REJECT_STALE_REPLY);
        return;
    }
    u->probe_answered = true;
    mob_probe_stop(u);
    mob_update_event(u, MOB_STEP_PROBE_REPLY, m->cfg->sites[site].dpid);
    if (u->awaiting_probe) {
        stop_awaiting(u); /* its sending side is out already; may free u */
        return;
    }
    maybe_start_sending(u);
}

json_t *mobility_migrate(struct mob_app *m, const char *node, const char *site_name)
{
    struct eth_addr mac;
    struct mob_binding *b = NULL;
    if (eth_addr_parse(node, &mac)) {
        b = mob_binding_by_mac(m, mac);
    } else {
        unsigned a, bb, c, d;
        char extra;
        if (sscanf(node, "%u.%u.%u.%u%c", &a, &bb, &c, &d, &extra) == 4 && a < 256 &&
            bb < 256 && c < 256 && d < 256) {
            b = mob_binding_by_hoa(m, a << 24 | bb << 16 | c << 8 | d);
        }
    }
    if (!b) {
        return json_pack("{s:s}", "error", "no such mobile node (give its MAC or HoA)");
    }
    int site = mob_site_index_by_name(m, site_name);
    if (site < 0) {
        return json_pack("{s:s}", "error", "no such site");
    }
    if ((b->upd && b->upd->site == (unsigned)site) || (!b->upd && b->site == (unsigned)site)) {
        return json_pack("{s:s}", "error", "the node is already there or on its way");
    }
    if ((unsigned)site == b->home) {
        return json_pack("{s:s}", "error",
                         "a return home needs no announcement: the node's RARP suffices");
    }
    struct mob_update *u = begin(m, b, (unsigned)site, 0, "migrate");
    if (!u) {
        return json_pack("{s:s}", "error", "cannot start: gateway MAC unknown or pool exhausted");
    }
    u->announced = true;
    u->phase = PH_PROBING;
    u->announce_timer = event_new(m->base, -1, 0, on_announce_timeout, u);
    if (!u->announce_timer) {
        abort();
    }
    struct timeval tv = {ANNOUNCE_TIMEOUT_S, 0};
    event_add(u->announce_timer, &tv);
    if (mob_admit(u)) {
        send_receiving(u);
    }
    LOG_INF(MOD, "node %s announced to move to %s: MoA and receiving side ready", node,
            site_name);
    char moa[16];
    snprintf(moa, sizeof moa, "%u.%u.%u.%u", u->moa >> 24, (u->moa >> 16) & 0xff,
             (u->moa >> 8) & 0xff, u->moa & 0xff);
    return json_pack("{s:s, s:s, s:i, s:i}", "result", "announced", "moa", moa, "epoch",
                     (int)u->epoch, "update", (int)u->id);
}

void mob_updates_free(struct mob_app *m)
{
    struct mob_binding *b, *tmp;
    HASH_ITER(hh_hoa, m->by_hoa, b, tmp) {
        /* The core is gone, and the batches with it. An update still live
         * drops the reference it holds on itself (to the history, freed
         * below); one waiting for its turn is freed by mob_admit_free. */
        struct mob_update *u = b->upd;
        b->upd = NULL;
        if (u && u->admit != MOB_ADMIT_QUEUED && u->phase != PH_DONE) {
            u->aborted = true;
            u->phase = PH_DONE;
            mob_update_unref(u);
        }
    }
    while (m->awaiting) {
        stop_awaiting(m->awaiting); /* a finished one goes to the history */
    }
    mob_admit_free(m);
    for (unsigned i = 0; i < MOB_HISTORY; i++) {
        if (m->history[i]) {
            free_timers(m->history[i]);
            free(m->history[i]);
            m->history[i] = NULL;
        }
    }
}
