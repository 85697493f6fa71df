/* mob_resume.c - moves survive a crash of the daemon.
 *
 * A binding is written when its update completes; until then the switches
 * may hold part of the move while the database still has the old place. A
 * daemon killed in between would, on restart, reconcile the switches back
 * to that old place, while the node sits at its new port and stays cut off
 * until it announces itself again, which a migrated VM does not do.
 *
 * So each move that starts at a known port is written too (table `moves`),
 * and removed in the same transaction that writes the completed binding
 * (or when the move fails). On start, the moves found are resumed once the
 * destination's switch is reconciled: the node is probed at the port it
 * announced itself on, and the move finishes as any other (or fails, and
 * the binding stays where it was: rolled back cleanly).
 *
 * The write is deferred by a zero timeout: it runs in the next turn of the
 * event loop, after the sockets got the probe and the rules, so the move's
 * messages do not wait for the disk; many moves of one turn share one
 * transaction. */
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "app/mobility/mob_internal.h"
#include "util/log.h"

#define MOD "mobility"

static bool unsettled(const struct mob_update *u)
{
    return !u->failed && !u->aborted && !u->complete;
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
    struct mob_app *m = arg;
    struct mob_stored_move *rows = calloc(m->n_intents ? m->n_intents : 1, sizeof *rows);
    if (!rows) {
        abort();
    }
    size_t n = 0;
    for (unsigned i = 0; i < m->n_intents; i++) {
        struct mob_update *u = m->intents[i];
        if (u->intent == MOB_INTENT_QUEUED && unsettled(u)) {
            rows[n].hoa = u->hoa;
            snprintf(rows[n].site, sizeof rows[n].site, "%s", m->cfg->sites[u->site].name);
            rows[n].port = u->port;
            rows[n].epoch = u->epoch;
            n++;
        }
    }
    bool ok = n == 0 || mob_store_put_moves(m->store, rows, n);
    for (unsigned i = 0; i < m->n_intents; i++) {
        struct mob_update *u = m->intents[i];
        if (u->intent == MOB_INTENT_QUEUED) {
            u->intent = ok && unsettled(u) ? MOB_INTENT_WRITTEN : MOB_INTENT_NONE;
        }
        mob_update_unref(u);
    }
    if (!ok) {
        LOG_ERR(MOD, "%zu move(s) not written: a crash now would roll them back", n);
    }
    m->n_intents = 0;
    free(rows);
}

void mob_intent_note(struct mob_update *u)
{
    struct mob_app *m = u->app;
    if (!m->store || u->port == 0 || u->intent != MOB_INTENT_NONE) {
        return;
    }
    if (m->n_intents == m->cap_intents) {
        m->cap_intents = m->cap_intents ? 2 * m->cap_intents : 64;
        m->intents = realloc(m->intents, m->cap_intents * sizeof *m->intents);
        if (!m->intents) {
            abort();
        }
    }
    m->intents[m->n_intents++] = u;
    mob_update_ref(u);
    u->intent = MOB_INTENT_QUEUED;
    if (m->n_intents == 1) {
        struct timeval zero = {0, 0};
        event_add(m->intent_flush, &zero);
    }
}

void mob_intent_drop(struct mob_update *u)
{
    if (u->intent == MOB_INTENT_WRITTEN || u->move_row) {
        mob_store_delete_move(u->app->store, u->hoa);
    }
    u->intent = MOB_INTENT_NONE; /* a queued one is skipped by the flush */
    u->move_row = false;
}

static void load_one(void *arg, const struct mob_stored_move *mv)
{
    struct mob_app *m = arg;
    struct mob_stored_move *slot = &m->resume[m->n_resume];
    if (mob_site_index_by_name(m, mv->site) < 0 || !mob_binding_by_hoa(m, mv->hoa)) {
        LOG_WRN(MOD, "an interrupted move names an unknown site or node: dropped");
        mob_store_delete_move(m->store, mv->hoa);
        return;
    }
    *slot = *mv;
    m->n_resume++;
}

static void count_one(void *arg, const struct mob_stored_move *mv)
{
    (*(unsigned *)arg)++;
}

void mob_resume_init(struct mob_app *m)
{
    m->intent_flush = event_new(m->base, -1, 0, on_flush, m);
    if (!m->intent_flush) {
        abort();
    }
    if (!m->store) {
        return;
    }
    unsigned n = 0;
    if (mob_store_load_moves(m->store, count_one, &n) <= 0) {
        return;
    }
    m->resume = calloc(n, sizeof *m->resume);
    if (!m->resume) {
        abort();
    }
    mob_store_load_moves(m->store, load_one, m);
    LOG_INF(MOD, "%u move(s) interrupted by a restart: resumed once their site is in sync",
            m->n_resume);
}

void mob_resume_try(struct mob_app *m)
{
    if (m->n_resume == 0 || !mob_gateways_known(m)) {
        return;
    }
    unsigned kept = 0;
    for (unsigned i = 0; i < m->n_resume; i++) {
        struct mob_stored_move *mv = &m->resume[i];
        unsigned site = (unsigned)mob_site_index_by_name(m, mv->site);
        struct mob_binding *b = mob_binding_by_hoa(m, mv->hoa);
        if (b && !b->upd && m->sync[site].state != MOB_SYNC_IN_SYNC) {
            m->resume[kept++] = *mv; /* later: its switch is not ready */
            continue;
        }
        if (!b || b->upd) {
            continue; /* gone, or moving anew: that move has its own row */
        }
        if (b->site == site && (b->away || site == b->home)) {
            mob_store_delete_move(m->store, b->hoa); /* it got there */
            continue;
        }
        LOG_INF(MOD, "resuming the move of %u.%u.%u.%u to %s port %u (epoch %u) that a "
                "restart interrupted", b->hoa >> 24, (b->hoa >> 16) & 0xff,
                (b->hoa >> 8) & 0xff, b->hoa & 0xff, m->cfg->sites[site].name, mv->port,
                mv->epoch);
        mob_count(m, MOB_C_UPDATES_RESUMED);
        mob_update_start(m, b, site, mv->port, "resume");
        if (b->upd) {
            b->upd->move_row = true; /* the row is there already */
        } else {
            mob_store_delete_move(m->store, b->hoa); /* could not start: rolled back */
        }
    }
    m->n_resume = kept;
}

void mob_resume_free(struct mob_app *m)
{
    for (unsigned i = 0; i < m->n_intents; i++) {
        mob_update_unref(m->intents[i]);
    }
    m->n_intents = 0;
    free(m->intents);
    m->intents = NULL;
    if (m->intent_flush) {
        event_free(m->intent_flush);
        m->intent_flush = NULL;
    }
    free(m->resume);
    m->resume = NULL;
    m->n_resume = 0;
}
