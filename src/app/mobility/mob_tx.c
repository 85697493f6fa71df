/* mob_tx.c - the rules of many binding updates to one switch, in one batch.
 *
 * A mass migration starts hundreds of updates in one turn of the event
 * loop, each with a phase for every switch. One batch per update and
 * switch meant one barrier (and one barrier timer in the core) per flow-mod
 * or two: at 10,000 nodes and 100 switches, a million barriers, and the
 * controller spent most of its time on them. Here every phase that goes to
 * a switch in the same turn joins that switch's open batch, as a share of
 * its own; the open batches are committed together once the loop has run
 * every callback that was ready (an event made active at the first share),
 * or at once when one reaches MOB_TX_MAX_MSGS. The barrier reply then
 * confirms every share, and each share's owner is told about its own
 * messages only: an OFPT_ERROR goes to the share whose message caused it.
 *
 * Order: a switch processes its connection in order and a share is
 * appended after every earlier one, so an update's phases reach a switch
 * in the order they were sent, and each phase still waits for a barrier
 * behind its own rules. Other messages of the application flush the
 * switch's open batch first (mob_tx_flush_site) so that nothing overtakes
 * rules sent before it, except the ARP probe, which is meant to. */
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "app/mobility/mob_internal.h"

/* A batch this large goes out without waiting for the end of the turn:
 * the switch can start on it while the controller plans the next one, and
 * no single barrier covers much more than a second of a switch's work. */
#define MOB_TX_MAX_MSGS 4096

struct mob_tx_share {
    mob_tx_cb *cb;
    void *arg;
    int tag;
    unsigned first, n; /* message indexes in the batch */
};

struct mob_tx {
    struct mob_app *m;
    struct mf_switch *sw;
    unsigned site;
    struct sw_batch *batch;
    unsigned n_msgs;
    struct mob_tx_share *shares;
    unsigned n_shares, cap_shares;
    struct mob_tx *next_open;
};

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
    mob_tx_flush_all(arg);
}

void mob_tx_init(struct mob_app *m)
{
    m->tx_flush = event_new(m->base, -1, 0, on_flush, m);
    if (!m->tx_flush) {
        abort();
    }
}

/* The result of one share: its messages, its errors (indexes rebased to
 * the share), the batch's fate. `scratch` has room for r->n_errors. */
static struct sw_batch_result share_result(const struct sw_batch_result *r,
                                           const struct mob_tx_share *s,
                                           struct sw_batch_error *scratch)
{
    struct sw_batch_result out = *r;
    out.n_msgs = s->n;
    out.n_errors = 0;
    out.errors = scratch;
    for (unsigned i = 0; i < r->n_errors; i++) {
        unsigned at = r->errors[i].index;
        if (at >= s->first && at - s->first < s->n) {
            scratch[out.n_errors] = r->errors[i];
            scratch[out.n_errors].index = at - s->first;
            out.n_errors++;
        }
    }
    if (r->status == SW_BATCH_ERRORS || r->status == SW_BATCH_OK) {
        out.status = out.n_errors ? SW_BATCH_ERRORS : SW_BATCH_OK;
    }
    return out;
}

/* Takes ownership of arg (the tx, already out of the open list). */
static void tx_done(struct mf_switch *sw, const struct sw_batch_result *r, void *arg)
{
    struct mob_tx *tx = arg;
    struct sw_batch_error *scratch = NULL;
    if (r->n_errors) {
        scratch = malloc(r->n_errors * sizeof *scratch);
        if (!scratch) {
            abort();
        }
    }
    for (unsigned i = 0; i < tx->n_shares; i++) {
        struct sw_batch_result sr = share_result(r, &tx->shares[i], scratch);
        tx->shares[i].cb(sw, &sr, tx->shares[i].arg, tx->shares[i].tag);
    }
    free(scratch);
    free(tx->shares);
    free(tx);
}

static void unlink_open(struct mob_tx *tx)
{
    struct mob_app *m = tx->m;
    struct mob_tx **pp = &m->tx_open;
    while (*pp && *pp != tx) {
        pp = &(*pp)->next_open;
    }
    if (*pp) {
        *pp = tx->next_open;
    }
    tx->next_open = NULL;
    m->tx_by_site[tx->site] = NULL;
}

static void commit(struct mob_tx *tx)
{
    unlink_open(tx);
    sw_batch_commit(tx->batch, tx_done, tx); /* may call back at once */
}

void mob_tx_begin(struct mob_app *m, struct mf_switch *sw, unsigned site,
                  struct mob_emit_batch *e)
{
    struct mob_tx *tx = m->tx_by_site[site];
    if (tx && tx->sw != sw) {
        commit(tx); /* cannot happen: a switch's batch goes when it goes down */
        tx = NULL;
    }
    if (!tx) {
        tx = calloc(1, sizeof *tx);
        if (!tx) {
            abort();
        }
        *tx = (struct mob_tx){.m = m, .sw = sw, .site = site, .batch = sw_batch_begin(sw)};
        if (!m->tx_open) {
            event_active(m->tx_flush, EV_TIMEOUT, 1);
        }
        tx->next_open = m->tx_open;
        m->tx_open = tx;
        m->tx_by_site[site] = tx;
    }
    e->batch = tx->batch;
    e->n = 0;
}

void mob_tx_end(struct mob_app *m, unsigned site, struct mob_emit_batch *e, mob_tx_cb *cb,
                void *arg, int tag)
{
    struct mob_tx *tx = m->tx_by_site[site];
    if (tx->n_shares == tx->cap_shares) {
        tx->cap_shares = tx->cap_shares ? 2 * tx->cap_shares : 16;
        tx->shares = realloc(tx->shares, tx->cap_shares * sizeof *tx->shares);
        if (!tx->shares) {
            abort();
        }
    }
    tx->shares[tx->n_shares++] = (struct mob_tx_share){cb, arg, tag, tx->n_msgs, e->n};
    tx->n_msgs += e->n;
    if (tx->n_msgs >= MOB_TX_MAX_MSGS) {
        commit(tx);
    }
}

void mob_tx_flush_site(struct mob_app *m, unsigned site)
{
    if (site < MOB_MAX_SITES && m->tx_by_site[site]) {
        commit(m->tx_by_site[site]);
    }
}

void mob_tx_flush_all(struct mob_app *m)
{
    /* A commit may call back at once (a refused batch) and open others:
     * take the head each time. */
    while (m->tx_open) {
        commit(m->tx_open);
    }
}

void mob_tx_free(struct mob_app *m)
{
    /* Every switch's batch went when the switch went down (core_destroy
     * comes first), so nothing is open here. */
    if (m->tx_flush) {
        event_free(m->tx_flush);
        m->tx_flush = NULL;
    }
}
