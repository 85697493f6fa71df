/* channel.c - one switch connection's bytes: framing of the input stream,
 * the bounded output queue, echo keep-alive, and closing. The same code
 * serves TCP and TLS: both are bufferevents (tls.c makes the TLS ones), and
 * a TLS connection only adds the handshake's outcome to on_event.
 *
 * A connection is never freed inside one of its own callbacks: closing
 * marks it, detaches it from everything, and leaves the free to the reaper
 * (an event run once the current callback has returned). */
#include "core/core_internal.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "core/tls.h"
#include "util/log.h"

#define MOD "channel"

static void on_read(struct bufferevent *bev, void *arg);
static void on_event(struct bufferevent *bev, short what, void *arg);
static void on_echo_timer(evutil_socket_t fd, short what, void *arg);

static struct timeval tv_of(double seconds)
{
    struct timeval tv = {(time_t)seconds, (suseconds_t)((seconds - (time_t)seconds) * 1e6)};
    return tv;
}

/* Takes bev (NULL if making it failed: the socket is closed already). */
static void channel_start(struct mf_core *core, struct bufferevent *bev, const char *address,
                          bool tls)
{
    struct mf_switch *sw = bev ? calloc(1, sizeof *sw) : NULL;
    if (!sw) {
        if (bev) {
            bufferevent_free(bev);
        }
        LOG_RL(LOG_ERROR, MOD, "%s: out of memory, connection closed", address);
        return;
    }
    sw->core = core;
    sw->bev = bev;
    sw->tls = tls;
    snprintf(sw->info.address, sizeof sw->info.address, "%s", address);
    sw->info.state = SW_HELLO_WAIT; /* handshake_start sets the version */
    sw->info.connected_since = time_wall();
    sw->next_xid = 1;
    sw->last_rx_ms = time_msec();
    TAILQ_INIT(&sw->batches);
    TAILQ_INSERT_TAIL(&core->all, sw, all_node);
    core->stats.connections_total++;

    /* Read at most one maximal message ahead: the rest waits in the socket,
     * which is what slows a peer that sends faster than we parse. */
    bufferevent_setwatermark(sw->bev, EV_READ, 0, 4 * 65536);
    bufferevent_setcb(sw->bev, on_read, NULL, on_event, sw);
    bufferevent_enable(sw->bev, EV_READ | EV_WRITE);

    sw->echo_timer = event_new(core->base, -1, EV_PERSIST, on_echo_timer, sw);
    struct timeval tv = tv_of(core->opts.echo_interval_s);
    event_add(sw->echo_timer, &tv);
    LOG_DBG(MOD, "%s connection from %s", tls ? "TLS" : "TCP", address);
    /* Over TLS our HELLO waits in the output buffer until the handshake is
     * done, and the handshake timeout (started here) bounds the TLS
     * handshake too. */
    handshake_start(sw);
}

void channel_accept(struct mf_core *core, int fd, const char *address)
{
    struct bufferevent *bev = bufferevent_socket_new(core->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!bev) {
        evutil_closesocket(fd);
    }
    channel_start(core, bev, address, false);
}

void channel_accept_tls(struct mf_core *core, int fd, const char *address)
{
    channel_start(core, tls_accept(core->tls, core->base, fd), address, true);
}

uint32_t channel_next_xid(struct mf_switch *sw)
{
    uint32_t xid = sw->next_xid++;
    if (sw->next_xid == 0) {
        sw->next_xid = 1; /* 0 stays free: it means "allocate one" */
    }
    return xid;
}

bool channel_send_raw(struct mf_switch *sw, const void *data, size_t len)
{
    if (sw->closed) {
        return false;
    }
    struct evbuffer *out = bufferevent_get_output(sw->bev);
    if (evbuffer_get_length(out) + len > sw->core->opts.max_queue_bytes) {
        /* The switch does not read what we send: drop it rather than grow
         * without bound; on reconnect it is brought up to date. */
        core_count_reject(sw->core, CORE_REJECT_QUEUE_FULL);
        if (len > sw->core->opts.max_queue_bytes) {
            /* Not a switch that does not read: one batch larger than the
             * bound, which no switch can ever be sent. */
            LOG_RL(LOG_WARN, MOD, "switch %016llx (%s): a %zu-byte batch is larger than "
                   "max_queue_bytes (%zu), closing; raise max_queue_bytes",
                   (unsigned long long)sw->info.dpid, sw->info.address, len,
                   sw->core->opts.max_queue_bytes);
        } else {
            LOG_RL(LOG_WARN, MOD, "switch %016llx (%s): output queue over %zu bytes, closing",
                   (unsigned long long)sw->info.dpid, sw->info.address,
                   sw->core->opts.max_queue_bytes);
        }
        channel_close(sw, false);
        return false;
    }
    evbuffer_add(out, data, len);
    sw->info.msgs_out++;
    sw->core->stats.messages_out++;
    return true;
}

/* Sends the OFPT_ERROR without counting a reason (the caller counts). */
static void send_error(struct mf_switch *sw, ofperr err, const uint8_t *msg, size_t len)
{
    struct obuf *tx = &sw->core->tx;
    obuf_clear(tx);
    of_encode_error_reply(sw->info.version, err, msg, len, tx);
    if (tx->len == 0) {
        return; /* an error the version cannot say (none the core raises) */
    }
    sw->info.errors_out++;
    channel_send_raw(sw, tx->data, tx->len);
}

void channel_reply_error(struct mf_switch *sw, ofperr err, const uint8_t *msg, size_t len)
{
    core_count_reject(sw->core, core_reject_of_ofperr(err));
    LOG_RL(LOG_WARN, MOD, "switch %016llx (%s): refused message type %u len %zu: %s",
           (unsigned long long)sw->info.dpid, sw->info.address, len >= 2 ? msg[1] : 0, len,
           ofperr_name(err));
    send_error(sw, err, msg, len);
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct mf_switch *sw = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    while (!sw->closed) {
        size_t avail = evbuffer_get_length(in);
        uint8_t head[8];
        if (avail < sizeof head) {
            break;
        }
        evbuffer_copyout(in, head, sizeof head);
        size_t len;
        enum of_frame_status st = of_frame(head, sizeof head, &len);
        if (st == OF_FRAME_BAD) {
            /* A length below the header's cannot be skipped: no resync. */
            core_count_reject(sw->core, CORE_REJECT_FRAME_LENGTH);
            LOG_RL(LOG_WARN, MOD, "%s: message length %u below the header's, closing",
                   sw->info.address, (unsigned)(head[2] << 8 | head[3]));
            send_error(sw, OFPERR_BAD_LEN, head, sizeof head);
            channel_close(sw, true);
            break;
        }
        len = (size_t)head[2] << 8 | head[3];
        if (avail < len) {
            break;
        }
        const uint8_t *msg = evbuffer_pullup(in, len);
        sw->last_rx_ms = time_msec();
        sw->echo_outstanding = 0; /* any message proves the peer alive */
        sw->info.msgs_in++;
        sw->core->stats.messages_in++;
        dispatch_message(sw, msg, len);
        if (!sw->closed) {
            evbuffer_drain(in, len);
        }
    }
}

/* A TLS handshake that failed: the peer is not one of our switches (no
 * certificate, one from another CA, not TLS at all) or went away. */
static void tls_failed(struct mf_switch *sw)
{
    char why[256];
    tls_failure_reason(sw->bev, why, sizeof why);
    core_count_reject(sw->core, CORE_REJECT_TLS_HANDSHAKE);
    LOG_RL(LOG_WARN, MOD, "%s: TLS handshake failed: %s; closing", sw->info.address, why);
    tls_discard_input(sw->bev);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    struct mf_switch *sw = arg;
    if (what & BEV_EVENT_CONNECTED) { /* only TLS reports it: handshake done */
        sw->tls_up = true;
        if (log_enabled(LOG_DEBUG)) {
            char desc[192];
            tls_describe(bev, desc, sizeof desc);
            LOG_DBG(MOD, "%s: TLS handshake done: %s", sw->info.address, desc);
        }
        return;
    }
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        if (sw->tls && !sw->tls_up) {
            tls_failed(sw);
        } else if (sw->tls && (what & BEV_EVENT_ERROR) && log_enabled(LOG_DEBUG)) {
            char why[256];
            tls_failure_reason(bev, why, sizeof why);
            LOG_DBG(MOD, "%s: TLS connection error: %s", sw->info.address, why);
        } else {
            LOG_DBG(MOD, "%s: connection %s", sw->info.address,
                    (what & BEV_EVENT_EOF) ? "closed by peer" : "error");
        }
        channel_close(sw, false);
    }
}

static void on_echo_timer(evutil_socket_t fd, short what, void *arg)
{
    struct mf_switch *sw = arg;
    struct mf_core *core = sw->core;
    uint64_t idle = time_msec() - sw->last_rx_ms;
    if (sw->info.state == SW_HELLO_WAIT) {
        return; /* no version agreed yet: the handshake timeout governs */
    }
    if (idle < (uint64_t)(core->opts.echo_interval_s * 1000)) {
        return;
    }
    if (sw->echo_outstanding >= core->opts.echo_misses) {
        core_count_reject(core, CORE_REJECT_ECHO_TIMEOUT);
        LOG_WRN(MOD, "switch %016llx (%s): no answer to %u echo requests, closing",
                (unsigned long long)sw->info.dpid, sw->info.address, sw->echo_outstanding);
        channel_close(sw, false);
        return;
    }
    struct of_msg m = {.kind = OF_ECHO_REQUEST};
    sw_send(sw, &m);
    sw->echo_outstanding++;
}

static void on_flushed(struct bufferevent *bev, void *arg)
{
    struct mf_switch *sw = arg;
    bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
    TAILQ_REMOVE(&sw->core->flushing, sw, dead_node);
    TAILQ_INSERT_TAIL(&sw->core->dead, sw, dead_node);
    event_active(sw->core->reaper, 0, 0);
}

static void on_flush_event(struct bufferevent *bev, short what, void *arg)
{
    on_flushed(bev, arg);
}

void channel_close(struct mf_switch *sw, bool flush)
{
    if (sw->closed) {
        return;
    }
    sw->closed = true;
    handshake_on_close(sw);
    batch_fail_all(sw);
    TAILQ_REMOVE(&sw->core->all, sw, all_node);
    event_del(sw->echo_timer);
    if (sw->handshake_timer) {
        event_del(sw->handshake_timer);
    }
    if (sw->conflict_timer) {
        event_del(sw->conflict_timer);
    }
    bufferevent_disable(sw->bev, EV_READ);
    struct evbuffer *out = bufferevent_get_output(sw->bev);
    if (flush && evbuffer_get_length(out) > 0) {
        /* Freed once the explanation is written (or the peer is gone). */
        bufferevent_setwatermark(sw->bev, EV_WRITE, 0, 0);
        bufferevent_setcb(sw->bev, NULL, on_flushed, on_flush_event, sw);
        struct timeval tv = {2, 0};
        bufferevent_set_timeouts(sw->bev, NULL, &tv);
        TAILQ_INSERT_TAIL(&sw->core->flushing, sw, dead_node);
        return;
    }
    bufferevent_setcb(sw->bev, NULL, NULL, NULL, NULL);
    TAILQ_INSERT_TAIL(&sw->core->dead, sw, dead_node);
    event_active(sw->core->reaper, 0, 0);
}

void channel_free(struct mf_switch *sw)
{
    if (sw->tls_up) {
        tls_close_notify(sw->bev);
    }
    bufferevent_free(sw->bev);
    event_free(sw->echo_timer);
    if (sw->handshake_timer) {
        event_free(sw->handshake_timer);
    }
    if (sw->conflict_timer) {
        event_free(sw->conflict_timer);
    }
    ports_free(sw);
    free(sw);
}

uint32_t sw_send(struct mf_switch *sw, struct of_msg *msg)
{
    if (sw->closed) {
        return 0;
    }
    if (msg->xid == 0) {
        msg->xid = channel_next_xid(sw);
    }
    struct obuf *tx = &sw->core->tx;
    obuf_clear(tx);
    ofperr err = of_encode(sw->info.version, msg, tx);
    if (err) {
        LOG_RL(LOG_ERROR, MOD, "cannot encode %s for switch %016llx: %s",
               of_msg_kind_name(msg->kind), (unsigned long long)sw->info.dpid, ofperr_name(err));
        return 0;
    }
    return channel_send_raw(sw, tx->data, tx->len) ? msg->xid : 0;
}
