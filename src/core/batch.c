/* batch.c - N messages and a barrier with one completion.
 *
 * The messages of a batch get consecutive xids and the barrier the next
 * one, so an OFPT_ERROR is tied to its message by xid arithmetic. The batch
 * is done only when the barrier reply arrives: OpenFlow guarantees that by
 * then every message before the barrier was processed, and every error it
 * caused was sent before the reply. */
#include "core/core_internal.h"

#include <endian.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"

struct sw_batch {
    struct mf_switch *sw;
    struct obuf buf;
    unsigned n_msgs;
    bool refused;
    uint32_t first_xid;
    uint32_t barrier_xid;
    uint64_t start_us;
    sw_batch_cb *cb;
    void *arg;
    struct sw_batch_error *errors;
    unsigned n_errors, cap_errors;
    struct event *timer; /* the barrier's deadline */
    TAILQ_ENTRY(sw_batch) node;
};

struct sw_batch *sw_batch_begin(struct mf_switch *sw)
{
    struct sw_batch *b = calloc(1, sizeof *b);
    if (!b) {
        abort();
    }
    b->sw = sw;
    obuf_init(&b->buf);
    return b;
}

bool sw_batch_add(struct sw_batch *b, const struct of_msg *msg)
{
    if (b->refused) {
        return false;
    }
    ofperr err = of_encode(b->sw->info.version, msg, &b->buf);
    if (err) {
        LOG_RL(LOG_ERROR, "batch", "cannot encode %s: %s", of_msg_kind_name(msg->kind),
               ofperr_name(err));
        b->refused = true;
        return false;
    }
    b->n_msgs++;
    return true;
}

static void finish(struct sw_batch *b, enum sw_batch_status status)
{
    struct sw_batch_result r = {
        .status = status,
        .n_msgs = b->n_msgs,
        .n_errors = b->n_errors,
        .errors = b->errors,
        .elapsed_us = b->start_us ? time_usec() - b->start_us : 0,
    };
    if (status == SW_BATCH_OK && b->n_errors) {
        r.status = SW_BATCH_ERRORS;
    }
    if (b->timer) {
        event_free(b->timer);
        b->timer = NULL;
    }
    if (b->cb) {
        b->cb(b->sw, &r, b->arg);
    }
    obuf_free(&b->buf);
    free(b->errors);
    free(b);
}

/* Rewrites the xid of every encoded message, in order, from first_xid. */
static void assign_xids(struct sw_batch *b)
{
    size_t off = 0;
    uint32_t xid = b->first_xid;
    while (off + 8 <= b->buf.len) {
        size_t len = (size_t)b->buf.data[off + 2] << 8 | b->buf.data[off + 3];
        uint32_t be = htobe32(xid++);
        memcpy(b->buf.data + off + 4, &be, 4);
        off += len;
    }
}

/* A switch that answers echoes but never a barrier would hold every batch
 * (and every binding update waiting for it) forever: the batch fails as
 * TIMEOUT, so its owner can retry; after CORE_BARRIER_MISSES in a row the
 * switch is dropped, and brought up to date when it connects again. */
static void on_barrier_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct sw_batch *b = arg;
    struct mf_switch *sw = b->sw;
    core_count_reject(sw->core, CORE_REJECT_BARRIER_TIMEOUT);
    sw->barrier_misses++;
    bool drop = sw->barrier_misses >= CORE_BARRIER_MISSES;
    LOG_WRN("batch", "switch %016llx (%s): no barrier reply in %.1f s (%u in a row)%s",
            (unsigned long long)sw->info.dpid, sw->info.address,
            sw->core->opts.barrier_timeout_s, sw->barrier_misses, drop ? ", closing" : "");
    TAILQ_REMOVE(&sw->batches, b, node);
    finish(b, SW_BATCH_TIMEOUT);
    if (drop) {
        channel_close(sw, false); /* fails every other pending batch */
    }
}

void sw_batch_commit(struct sw_batch *b, sw_batch_cb *cb, void *arg)
{
    struct mf_switch *sw = b->sw;
    b->cb = cb;
    b->arg = arg;
    if (b->refused) {
        finish(b, SW_BATCH_REFUSED);
        return;
    }
    if (sw->closed || sw->info.state != SW_READY) {
        finish(b, SW_BATCH_DISCONNECTED);
        return;
    }
    /* Reserve n + 1 consecutive xids (skipping 0 on wrap-around). */
    if ((uint32_t)(sw->next_xid + b->n_msgs + 1) < sw->next_xid) {
        sw->next_xid = 1;
    }
    b->first_xid = sw->next_xid;
    sw->next_xid += b->n_msgs;
    b->barrier_xid = channel_next_xid(sw);
    assign_xids(b);
    struct of_msg barrier = {.kind = OF_BARRIER_REQUEST, .xid = b->barrier_xid};
    of_encode(sw->info.version, &barrier, &b->buf);
    b->start_us = time_usec();
    if (!channel_send_raw(sw, b->buf.data, b->buf.len)) {
        finish(b, sw->closed ? SW_BATCH_DISCONNECTED : SW_BATCH_REFUSED);
        return;
    }
    /* channel_send_raw counted one message; the batch holds n + 1. */
    sw->info.msgs_out += b->n_msgs;
    sw->core->stats.messages_out += b->n_msgs;
    TAILQ_INSERT_TAIL(&sw->batches, b, node);
    double t = sw->core->opts.barrier_timeout_s;
    struct timeval tv = {(time_t)t, (suseconds_t)((t - (time_t)t) * 1e6)};
    b->timer = evtimer_new(sw->core->base, on_barrier_timeout, b);
    evtimer_add(b->timer, &tv);
}

bool batch_on_error(struct mf_switch *sw, uint32_t xid, const struct of_error *e)
{
    struct sw_batch *b;
    TAILQ_FOREACH(b, &sw->batches, node) {
        uint32_t index = xid - b->first_xid;
        if (index >= b->n_msgs) {
            continue;
        }
        if (b->n_errors >= b->n_msgs) {
            return true; /* a switch repeating itself: one error per message is enough */
        }
        if (b->n_errors == b->cap_errors) {
            b->cap_errors = b->cap_errors ? 2 * b->cap_errors : 4;
            b->errors = realloc(b->errors, b->cap_errors * sizeof *b->errors);
            if (!b->errors) {
                abort();
            }
        }
        b->errors[b->n_errors++] = (struct sw_batch_error){index, e->type, e->code};
        return true;
    }
    return false;
}

bool batch_on_barrier_reply(struct mf_switch *sw, uint32_t xid)
{
    struct sw_batch *b;
    TAILQ_FOREACH(b, &sw->batches, node) {
        if (b->barrier_xid == xid) {
            sw->barrier_misses = 0;
            TAILQ_REMOVE(&sw->batches, b, node);
            finish(b, SW_BATCH_OK);
            return true;
        }
    }
    return false;
}

void batch_fail_all(struct mf_switch *sw)
{
    struct sw_batch *b;
    while ((b = TAILQ_FIRST(&sw->batches))) {
        TAILQ_REMOVE(&sw->batches, b, node);
        finish(b, SW_BATCH_DISCONNECTED);
    }
}
