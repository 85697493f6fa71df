/* mob_admit.c - admission control: at most m->max_active binding updates
 * send flow-mods at once; the others wait in the order they came.
 *
 * Why: when thousands of nodes move at once (a host evacuated, a rack
 * migrated), starting every update at its trigger puts all their rules on
 * the switches' connections at once. Each switch then works through
 * hundreds of thousands of flow-mods before it gets to anything queued
 * behind them (probe replies come back late, barriers take seconds, and
 * a connection's output can outgrow its bound, which drops the switch).
 * A bounded number of updates in their flow-mod phases keeps the queues,
 * and so each update's own phases, short; the updates still waiting lose
 * nothing, since the rules of the admitted ones go out at the switches'
 * full rate.
 *
 * What holds a slot: an update from its first flow-mod phase (the
 * receiving side, or a return home's sending side) until it finished
 * (its cleanup confirmed, its rollback sent, or superseded). A `migrate`
 * announcement gives its slot back once its receiving side is in and the
 * node has not arrived yet: that wait is on the orchestrator, and may be
 * long. The sending side of such an arrival then goes out without a slot
 * (it is one phase, and the operator asked for it).
 *
 * What waits: only the flow-mods. The probe goes out at the trigger, so
 * its answer is usually in by the time the update's turn comes, and an
 * update that fails while it waits (no answer) fails with its reason. An
 * update's timeline keeps its trigger time; "admitted" in it shows the
 * wait. Nothing is dropped: the queue holds every update that asked. */
#include <event2/event.h>
#include <stdlib.h>

#include "app/mobility/mob_internal.h"
#include "util/log.h"

#define MOD "mobility"

static unsigned limit(const struct mob_app *m)
{
    return m->max_active ? m->max_active : MOB_ADMIT_DEFAULT;
}

bool mob_admit(struct mob_update *u)
{
    struct mob_app *m = u->app;
    if (u->admit == MOB_ADMIT_ACTIVE) {
        return true;
    }
    if (u->admit == MOB_ADMIT_QUEUED) {
        return false;
    }
    if (m->n_active < limit(m) && !m->queue_head) {
        u->admit = MOB_ADMIT_ACTIVE;
        u->ever_admitted = true;
        m->n_active++;
        return true;
    }
    u->admit = MOB_ADMIT_QUEUED;
    u->next_queued = NULL;
    if (m->queue_tail) {
        m->queue_tail->next_queued = u;
    } else {
        m->queue_head = u;
    }
    m->queue_tail = u;
    m->n_queued++;
    mob_count(m, MOB_C_UPDATES_QUEUED);
    if (m->n_queued == 1 || m->n_queued % 1000 == 0) {
        LOG_RL(LOG_INFO, MOD, "%u binding updates sending, %u waiting for their turn",
               m->n_active, m->n_queued);
    }
    return false;
}

static void unqueue(struct mob_app *m, struct mob_update *u)
{
    struct mob_update *prev = NULL;
    for (struct mob_update *q = m->queue_head; q; prev = q, q = q->next_queued) {
        if (q == u) {
            if (prev) {
                prev->next_queued = u->next_queued;
            } else {
                m->queue_head = u->next_queued;
            }
            if (m->queue_tail == u) {
                m->queue_tail = prev;
            }
            m->n_queued--;
            break;
        }
    }
    u->next_queued = NULL;
}

/* Hands the free slots to the longest-waiting updates. Re-entered from an
 * admitted update's callbacks it only frees the slot: the outer call goes
 * on admitting, so the stack does not grow with the queue. */
static void admit_waiting(struct mob_app *m)
{
    if (m->admitting) {
        return;
    }
    m->admitting = true;
    while (m->queue_head && m->n_active < limit(m)) {
        struct mob_update *u = m->queue_head;
        m->queue_head = u->next_queued;
        if (!m->queue_head) {
            m->queue_tail = NULL;
        }
        m->n_queued--;
        u->next_queued = NULL;
        u->admit = MOB_ADMIT_ACTIVE;
        u->ever_admitted = true;
        m->n_active++;
        mob_update_admitted(u);
    }
    m->admitting = false;
}

void mob_admit_transfer(struct mob_update *from, struct mob_update *to)
{
    if (from->admit == MOB_ADMIT_ACTIVE) {
        to->admit = MOB_ADMIT_ACTIVE;
        to->ever_admitted = true;
    } else if (from->admit == MOB_ADMIT_QUEUED) {
        struct mob_app *m = from->app;
        struct mob_update **pp = &m->queue_head;
        while (*pp != from) {
            pp = &(*pp)->next_queued;
        }
        *pp = to;
        to->next_queued = from->next_queued;
        to->admit = MOB_ADMIT_QUEUED;
        if (m->queue_tail == from) {
            m->queue_tail = to;
        }
        from->next_queued = NULL;
    } else {
        return;
    }
    from->admit = MOB_ADMIT_DONE;
}

void mob_admit_release(struct mob_update *u)
{
    struct mob_app *m = u->app;
    if (u->admit == MOB_ADMIT_QUEUED) {
        unqueue(m, u);
    } else if (u->admit == MOB_ADMIT_ACTIVE) {
        m->n_active--;
    }
    u->admit = MOB_ADMIT_DONE;
    admit_waiting(m);
}

void mob_admit_free(struct mob_app *m)
{
    while (m->queue_head) {
        struct mob_update *u = m->queue_head;
        m->queue_head = u->next_queued;
        if (u->b && u->b->upd == u) {
            u->b->upd = NULL;
        }
        if (u->probe_timer) {
            event_free(u->probe_timer);
        }
        if (u->announce_timer) {
            event_free(u->announce_timer);
        }
        free(u);
    }
    m->queue_tail = NULL;
    m->n_queued = 0;
}
