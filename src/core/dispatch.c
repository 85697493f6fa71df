/* dispatch.c - what the core does with each message a switch sends once
 * the version is agreed: answer echoes, keep ports, tie errors and barrier
 * replies to batches, parse Packet-In frames, and call the applications. */
#include "core/core_internal.h"

#include "util/log.h"

#define MOD "dispatch"

#define FOR_EACH_APP(sw, app)                                                   \
    for (unsigned i_ = 0; i_ < (sw)->core->n_apps && !(sw)->closed; i_++)        \
        for (struct mf_app *app = (sw)->core->apps[i_]; app; app = NULL)

void dispatch_switch_down(struct mf_switch *sw)
{
    for (unsigned i = 0; i < sw->core->n_apps; i++) {
        struct mf_app *app = sw->core->apps[i];
        if (app->switch_down) {
            app->switch_down(app, sw);
        }
    }
}

static void on_echo_request(struct mf_switch *sw, const struct of_msg *msg)
{
    struct of_msg reply = {.kind = OF_ECHO_REPLY, .xid = msg->xid};
    reply.u.echo = msg->u.echo;
    if (reply.xid == 0) {
        /* xid 0 would make sw_send allocate another; echo it byte for byte. */
        struct obuf *tx = &sw->core->tx;
        obuf_clear(tx);
        if (of_encode(sw->info.version, &reply, tx) == 0) {
            channel_send_raw(sw, tx->data, tx->len);
        }
        return;
    }
    sw_send(sw, &reply);
}

static void on_error(struct mf_switch *sw, const struct of_msg *msg)
{
    sw->info.errors_in++;
    if (batch_on_error(sw, msg->xid, &msg->u.error)) {
        return;
    }
    LOG_RL(LOG_WARN, MOD, "switch %016llx sent error %s code %u for xid %u",
           (unsigned long long)sw->info.dpid, ofp_error_type_name(msg->u.error.type),
           msg->u.error.code, msg->xid);
    FOR_EACH_APP(sw, app) {
        if (app->message) {
            app->message(app, sw, msg);
        }
    }
}

static void on_packet_in(struct mf_switch *sw, const struct of_msg *msg)
{
    const struct of_packet_in *pi = &msg->u.packet_in;
    sw->core->stats.packet_ins++;
    struct pkt_info pkt;
    enum pkt_reject why = pkt_parse_counted(pi->data, pi->data_len, &pkt);
    if (why != PKT_OK) {
        LOG_RL(LOG_WARN, MOD, "switch %016llx: refused %zu-byte frame from Packet-In: %s",
               (unsigned long long)sw->info.dpid, pi->data_len, pkt_reject_name(why));
        return;
    }
    if (sw->info.state != SW_READY) {
        return; /* applications see ready switches only */
    }
    FOR_EACH_APP(sw, app) {
        if (app->packet_in) {
            app->packet_in(app, sw, pi, &pkt);
        }
    }
}

static void on_port_status(struct mf_switch *sw, const struct of_msg *msg)
{
    ports_apply_status(sw, &msg->u.port_status);
    if (sw->info.state != SW_READY) {
        return;
    }
    FOR_EACH_APP(sw, app) {
        if (app->port_status) {
            app->port_status(app, sw, &msg->u.port_status);
        }
    }
}

/* Messages only a controller sends: a switch sending one is confused. */
static bool controller_to_switch_kind(enum of_msg_kind k)
{
    switch (k) {
    case OF_FEATURES_REQUEST: case OF_GET_CONFIG_REQUEST: case OF_SET_CONFIG:
    case OF_PACKET_OUT: case OF_FLOW_MOD: case OF_MULTIPART_REQUEST:
    case OF_BARRIER_REQUEST: case OF_ROLE_REQUEST:
        return true;
    default:
        return false;
    }
}

static void to_apps(struct mf_switch *sw, const struct of_msg *msg)
{
    if (sw->info.state != SW_READY) {
        return;
    }
    FOR_EACH_APP(sw, app) {
        if (msg->kind == OF_FLOW_REMOVED && app->flow_removed) {
            app->flow_removed(app, sw, &msg->u.flow_removed);
        } else if (msg->kind != OF_FLOW_REMOVED && app->message) {
            app->message(app, sw, msg);
        }
    }
}

void dispatch_message(struct mf_switch *sw, const uint8_t *raw, size_t len)
{
    if (sw->info.state == SW_HELLO_WAIT) {
        handshake_first_message(sw, raw, len);
        return;
    }
    if (raw[0] != sw->info.version) {
        channel_reply_error(sw, OFPERR_BAD_VERSION, raw, len);
        return;
    }
    struct of_msg msg;
    ofperr err = of_decode(raw, len, &msg);
    if (err) {
        channel_reply_error(sw, err, raw, len);
        return;
    }
    if (controller_to_switch_kind(msg.kind)) {
        channel_reply_error(sw, OFPERR_BAD_TYPE, raw, len);
        return;
    }
    switch (msg.kind) {
    case OF_HELLO:
        core_count_reject(sw->core, CORE_REJECT_UNEXPECTED_HELLO);
        LOG_RL(LOG_WARN, MOD, "%s: HELLO after negotiation, ignored", sw->info.address);
        return;
    case OF_ECHO_REQUEST:
        on_echo_request(sw, &msg);
        return;
    case OF_ECHO_REPLY:
        handshake_echo_reply(sw, msg.xid);
        return;
    case OF_ERROR:
        on_error(sw, &msg);
        return;
    case OF_BARRIER_REPLY:
        batch_on_barrier_reply(sw, msg.xid);
        return;
    case OF_PACKET_IN:
        on_packet_in(sw, &msg);
        return;
    case OF_PORT_STATUS:
        on_port_status(sw, &msg);
        return;
    default:
        break;
    }
    if (handshake_message(sw, &msg, raw, len)) {
        return;
    }
    if (msg.kind == OF_MULTIPART_REPLY && msg.u.mp_reply.mp_type == OFMP_PORT_DESC) {
        ports_apply_desc(sw, &msg.u.mp_reply);
    }
    to_apps(sw, &msg);
}
