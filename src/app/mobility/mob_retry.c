/* mob_retry.c - a switch that refused a phase's rules (OFPT_ERROR) or let
 * its barrier go unanswered gets them again, after a wait that doubles
 * each time (mobility.retry_backoff, mobility.retries). The rules are
 * idempotent (adds replace, deletes of what is gone do nothing), so a
 * re-send cannot hurt a switch that took part of them. */
#include <event2/event.h>
#include <stdlib.h>

#include "app/mobility/mob_internal.h"

struct mob_retry {
    struct mob_app *m;
    struct mob_update *u;
    unsigned site;
    int tag;
    struct event *ev;
    struct mob_retry *next, **prev;
};

static void unlink_retry(struct mob_retry *r)
{
    *r->prev = r->next;
    if (r->next) {
        r->next->prev = r->prev;
    }
    event_free(r->ev);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct mob_retry *r = arg;
    unlink_retry(r);
    struct mob_update *u = r->u;
    unsigned site = r->site;
    int tag = r->tag;
    free(r);
    mob_update_resend(u, site, tag);
    mob_update_unref(u);
}

void mob_retry_schedule(struct mob_update *u, unsigned site, int tag, double delay_s)
{
    struct mob_app *m = u->app;
    struct mob_retry *r = calloc(1, sizeof *r);
    if (!r) {
        abort();
    }
    *r = (struct mob_retry){m, u, site, tag, NULL, m->retries, &m->retries};
    r->ev = event_new(m->base, -1, 0, on_timer, r);
    if (!r->ev) {
        abort();
    }
    if (m->retries) {
        m->retries->prev = &r->next;
    }
    m->retries = r;
    mob_update_ref(u);
    struct timeval tv = {(time_t)delay_s, (suseconds_t)((delay_s - (time_t)delay_s) * 1e6)};
    event_add(r->ev, &tv);
}

/* At shutdown, before the updates are freed: each record lets go of its
 * update. */
void mob_retries_free(struct mob_app *m)
{
    while (m->retries) {
        struct mob_retry *r = m->retries;
        unlink_retry(r);
        mob_update_unref(r->u);
        free(r);
    }
}
