/* ofp10_msgs.c - OpenFlow 1.0 messages: the length table, and decode and
 * encode of every message kind 1.0 has.
 *
 * One table gives, for each kind, its 1.0 wire type, its minimum length and
 * whether that length is also its only length; the header is checked
 * against it before any kind-specific code runs. Kinds 1.0 lacks (ROLE_*)
 * are refused with BAD_TYPE. Numbers that differ between the versions
 * (ports, errors, capabilities, flags) are translated on the way. */
#include "ofp/ofp10.h"

#include <endian.h>
#include <string.h>

#include "ofp/ofp13.h" /* ofp13_decode_hello_body: one HELLO layout */

enum { VAR = 0, FIXED = 1 };

/* kind, wire type, minimum length, FIXED or VAR */
#define OFP10_MSG_TABLE(X)                                          \
    X(HELLO, OFPT10_HELLO, 8, VAR)                                  \
    X(ERROR, OFPT10_ERROR, 12, VAR)                                 \
    X(ECHO_REQUEST, OFPT10_ECHO_REQUEST, 8, VAR)                    \
    X(ECHO_REPLY, OFPT10_ECHO_REPLY, 8, VAR)                        \
    X(EXPERIMENTER, OFPT10_VENDOR, 12, VAR)                         \
    X(FEATURES_REQUEST, OFPT10_FEATURES_REQUEST, 8, FIXED)          \
    X(FEATURES_REPLY, OFPT10_FEATURES_REPLY, 32, VAR)               \
    X(GET_CONFIG_REQUEST, OFPT10_GET_CONFIG_REQUEST, 8, FIXED)      \
    X(GET_CONFIG_REPLY, OFPT10_GET_CONFIG_REPLY, 12, FIXED)         \
    X(SET_CONFIG, OFPT10_SET_CONFIG, 12, FIXED)                     \
    X(PACKET_IN, OFPT10_PACKET_IN, 18, VAR)                         \
    X(FLOW_REMOVED, OFPT10_FLOW_REMOVED, 88, FIXED)                 \
    X(PORT_STATUS, OFPT10_PORT_STATUS, 64, FIXED)                   \
    X(PACKET_OUT, OFPT10_PACKET_OUT, 16, VAR)                       \
    X(FLOW_MOD, OFPT10_FLOW_MOD, 72, VAR)                           \
    X(MULTIPART_REQUEST, OFPT10_STATS_REQUEST, 12, VAR)             \
    X(MULTIPART_REPLY, OFPT10_STATS_REPLY, 12, VAR)                 \
    X(BARRIER_REQUEST, OFPT10_BARRIER_REQUEST, 8, FIXED)            \
    X(BARRIER_REPLY, OFPT10_BARRIER_REPLY, 8, FIXED)

struct msg_rule {
    bool known;
    enum of_msg_kind kind;
    uint16_t min_len;
    bool fixed;
};

static const struct msg_rule rule_of_type[256] = {
#define OFP10_RULE(kind, type, min, fixed) [type] = {true, OF_##kind, min, fixed},
    OFP10_MSG_TABLE(OFP10_RULE)
#undef OFP10_RULE
};

struct kind_rule {
    bool known;
    uint8_t type;
};

static const struct kind_rule type_of_kind[OF_N_KINDS] = {
#define OFP10_TYPE(kind, type, min, fixed) [OF_##kind] = {true, type},
    OFP10_MSG_TABLE(OFP10_TYPE)
#undef OFP10_TYPE
};

/* Flow-mod flags 1.0 shares with 1.3 (SEND_FLOW_REM, CHECK_OVERLAP). */
#define OFPFF10_SHARED (OFPFF_SEND_FLOW_REM | OFPFF_CHECK_OVERLAP)
/* 1.0 packet-ins come from no flow entry 1.0 can name (1.3's "none"). */
#define COOKIE_NONE UINT64_MAX

/* ---- Decoding ------------------------------------------------------------- */

static void decode_error(const uint8_t *msg, size_t len, struct of_error *e)
{
    const struct ofp10_error_msg *w = (const void *)msg;
    ofp10_error_to_abstract(be16toh(w->type), be16toh(w->code), &e->type, &e->code);
    e->data = msg + sizeof *w;
    e->data_len = len - sizeof *w;
}

/* VENDOR: a vendor id, then vendor data. Like 1.3's experimenter (and
 * Nicira's 1.0 messages) its next 4 bytes are read as a subtype when there. */
static void decode_vendor(const uint8_t *msg, size_t len, struct of_experimenter *x)
{
    const struct ofp10_vendor_header *w = (const void *)msg;
    x->experimenter = be32toh(w->vendor);
    size_t off = sizeof *w;
    if (len >= off + 4) {
        uint32_t sub;
        memcpy(&sub, msg + off, 4);
        x->exp_type = be32toh(sub);
        off += 4;
    }
    x->data = msg + off;
    x->data_len = len - off;
}

static ofperr decode_features(const uint8_t *msg, size_t len, struct of_features *f)
{
    const struct ofp10_switch_features *w = (const void *)msg;
    if ((len - sizeof *w) % sizeof(struct ofp10_phy_port) != 0) {
        return OFPERR_BAD_LEN;
    }
    f->datapath_id = be64toh(w->datapath_id);
    f->n_buffers = be32toh(w->n_buffers);
    f->n_tables = w->n_tables;
    f->capabilities = be32toh(w->capabilities) & OFPC10_SHARED;
    f->port_body = msg + sizeof *w;
    f->port_body_len = len - sizeof *w;
    return 0;
}

static ofperr decode_packet_in(const uint8_t *msg, size_t len, struct of_packet_in *pi)
{
    const struct ofp10_packet_in *w = (const void *)msg;
    pi->buffer_id = be32toh(w->buffer_id);
    pi->total_len = be16toh(w->total_len);
    pi->reason = w->reason;
    pi->table_id = 0;
    pi->cookie = COOKIE_NONE;
    of_match_init(&pi->match);
    of_match_set_in_port(&pi->match, ofp10_port_to_abstract(be16toh(w->in_port)));
    pi->data = msg + sizeof *w;
    pi->data_len = len - sizeof *w;
    return 0;
}

static ofperr decode_flow_removed(const uint8_t *msg, struct of_flow_removed *fr)
{
    const struct ofp10_flow_removed *w = (const void *)msg;
    fr->cookie = be64toh(w->cookie);
    fr->priority = be16toh(w->priority);
    fr->reason = w->reason;
    fr->table_id = 0;
    fr->duration_sec = be32toh(w->duration_sec);
    fr->duration_nsec = be32toh(w->duration_nsec);
    fr->idle_timeout = be16toh(w->idle_timeout);
    fr->hard_timeout = 0; /* 1.0 does not report it */
    fr->packet_count = be64toh(w->packet_count);
    fr->byte_count = be64toh(w->byte_count);
    return ofp10_decode_match(&w->match, &fr->match);
}

static ofperr decode_packet_out(const uint8_t *msg, size_t len, struct of_packet_out *po)
{
    const struct ofp10_packet_out *w = (const void *)msg;
    struct rbuf r = rbuf_make(msg + sizeof *w, len - sizeof *w);
    po->buffer_id = be32toh(w->buffer_id);
    po->in_port = ofp10_port_to_abstract(be16toh(w->in_port));
    size_t alen = be16toh(w->actions_len);
    const uint8_t *actions = rbuf_pull(&r, alen);
    if (!actions) {
        return OFPERR_BAD_LEN;
    }
    po->data = r.p;
    po->data_len = r.len;
    return ofp10_decode_actions(actions, alen, &po->actions);
}

static ofperr decode_flow_mod(const uint8_t *msg, size_t len, struct of_flow_mod *fm)
{
    const struct ofp10_flow_mod *w = (const void *)msg;
    uint16_t command = be16toh(w->command);
    if (command > OFPFC_DELETE_STRICT) {
        return OFPERR_FLOW_MOD_BAD_COMMAND;
    }
    fm->command = (uint8_t)command;
    bool del = command == OFPFC_DELETE || command == OFPFC_DELETE_STRICT;
    fm->table_id = del ? OFPTT_ALL : 0; /* 1.0 names no table */
    fm->cookie = be64toh(w->cookie);
    fm->idle_timeout = be16toh(w->idle_timeout);
    fm->hard_timeout = be16toh(w->hard_timeout);
    fm->priority = be16toh(w->priority);
    fm->buffer_id = be32toh(w->buffer_id);
    fm->out_port = ofp10_port_to_abstract(be16toh(w->out_port));
    fm->out_group = OFPG_ANY;
    fm->flags = be16toh(w->flags);
    if (fm->flags & ~OFPFF10_SHARED) {
        return OFP10_ERR_FLOW_MOD_BAD_FLAGS; /* EMERG has no 1.3 meaning */
    }
    ofperr err = ofp10_decode_match(&w->match, &fm->match);
    if (err) {
        return err;
    }
    return ofp10_decode_insts(msg + sizeof *w, len - sizeof *w, &fm->insts);
}

static ofperr decode_stats(const uint8_t *msg, size_t len, struct of_msg *out)
{
    const struct ofp10_stats_msg *w = (const void *)msg;
    struct rbuf body = rbuf_make(msg + sizeof *w, len - sizeof *w);
    uint16_t type = be16toh(w->type), flags = be16toh(w->flags);
    if (out->kind == OF_MULTIPART_REQUEST) {
        out->u.mp_request.mp_type = type;
        out->u.mp_request.flags = flags;
        return ofp10_decode_stats_request(body, &out->u.mp_request);
    }
    out->u.mp_reply.mp_type = type;
    out->u.mp_reply.flags = flags;
    out->u.mp_reply.version = OFP10_VERSION;
    return ofp10_decode_stats_reply(body, &out->u.mp_reply);
}

ofperr ofp10_decode(const uint8_t *msg, size_t len, struct of_msg *out)
{
    const struct msg_rule *rule = &rule_of_type[msg[1]];
    if (!rule->known) {
        return OFPERR_BAD_TYPE;
    }
    if (len < rule->min_len || (rule->fixed && len != rule->min_len)) {
        return OFPERR_BAD_LEN;
    }
    out->kind = rule->kind;
    struct rbuf body = rbuf_make(msg + OFP10_HEADER_LEN, len - OFP10_HEADER_LEN);
    switch (out->kind) {
    case OF_HELLO:
        /* 1.0 asks receivers to ignore a HELLO body; read a bitmap if any. */
        if (ofp13_decode_hello_body(body, &out->u.hello) != 0) {
            memset(&out->u.hello, 0, sizeof out->u.hello);
        }
        return 0;
    case OF_ERROR:
        decode_error(msg, len, &out->u.error);
        return 0;
    case OF_ECHO_REQUEST:
    case OF_ECHO_REPLY:
        out->u.echo.data = body.p;
        out->u.echo.data_len = body.len;
        return 0;
    case OF_EXPERIMENTER:
        decode_vendor(msg, len, &out->u.experimenter);
        return 0;
    case OF_FEATURES_REPLY:
        return decode_features(msg, len, &out->u.features);
    case OF_GET_CONFIG_REPLY:
    case OF_SET_CONFIG: {
        const struct ofp10_switch_config *w = (const void *)msg;
        out->u.config.flags = be16toh(w->flags);
        out->u.config.miss_send_len = be16toh(w->miss_send_len);
        return 0;
    }
    case OF_PACKET_IN:
        return decode_packet_in(msg, len, &out->u.packet_in);
    case OF_FLOW_REMOVED:
        return decode_flow_removed(msg, &out->u.flow_removed);
    case OF_PORT_STATUS: {
        const struct ofp10_port_status *w = (const void *)msg;
        out->u.port_status.reason = w->reason;
        ofp10_decode_phy_port(&w->desc, &out->u.port_status.port);
        return 0;
    }
    case OF_PACKET_OUT:
        return decode_packet_out(msg, len, &out->u.packet_out);
    case OF_FLOW_MOD:
        return decode_flow_mod(msg, len, &out->u.flow_mod);
    case OF_MULTIPART_REQUEST:
    case OF_MULTIPART_REPLY:
        return decode_stats(msg, len, out);
    default: /* header-only kinds */
        return 0;
    }
}

/* ---- Encoding ------------------------------------------------------------- */

static ofperr encode_error(struct obuf *b, const struct of_error *e)
{
    uint16_t type, code;
    ofperr err = ofp10_error_from_abstract(e->type, e->code, &type, &code);
    if (err) {
        return err;
    }
    obuf_put_be16(b, type);
    obuf_put_be16(b, code);
    obuf_put(b, e->data, e->data_len);
    return 0;
}

/* The actions bitmap a FEATURES_REPLY announces: every standard 1.0
 * action (OUTPUT .. ENQUEUE), as matflow's fake switches decode them all. */
#define OFP10_ALL_ACTIONS 0xfffu

static ofperr encode_features(struct obuf *b, const struct of_features *f)
{
    obuf_put_be64(b, f->datapath_id);
    obuf_put_be32(b, f->n_buffers);
    obuf_put_u8(b, f->n_tables);
    obuf_put_zeros(b, 3);
    obuf_put_be32(b, f->capabilities & OFPC10_SHARED);
    obuf_put_be32(b, OFP10_ALL_ACTIONS);
    for (size_t i = 0; i < f->n_ports; i++) {
        ofperr err = ofp10_encode_phy_port(b, &f->ports[i]);
        if (err) {
            return err;
        }
    }
    return 0;
}

static ofperr encode_packet_in(struct obuf *b, const struct of_packet_in *pi)
{
    const struct of_match *m = &pi->match;
    uint16_t in_port = OFPP10_NONE;
    if (m->present & ~(1u << OFF_IN_PORT)) {
        return OFPERR_MATCH_BAD_FIELD; /* a 1.0 packet-in carries in_port only */
    }
    if (of_match_has(m, OFF_IN_PORT) &&
        !ofp10_port_from_abstract(m->value[OFF_IN_PORT].u32, &in_port)) {
        return OFPERR_BAD_PORT;
    }
    obuf_put_be32(b, pi->buffer_id);
    obuf_put_be16(b, pi->total_len);
    obuf_put_be16(b, in_port);
    obuf_put_u8(b, pi->reason);
    obuf_put_u8(b, 0);
    obuf_put(b, pi->data, pi->data_len);
    return 0;
}

static ofperr encode_flow_removed(struct obuf *b, const struct of_flow_removed *fr)
{
    ofperr err = ofp10_encode_match(b, &fr->match);
    if (err) {
        return err;
    }
    obuf_put_be64(b, fr->cookie);
    obuf_put_be16(b, fr->priority);
    obuf_put_u8(b, fr->reason);
    obuf_put_u8(b, 0);
    obuf_put_be32(b, fr->duration_sec);
    obuf_put_be32(b, fr->duration_nsec);
    obuf_put_be16(b, fr->idle_timeout);
    obuf_put_zeros(b, 2);
    obuf_put_be64(b, fr->packet_count);
    obuf_put_be64(b, fr->byte_count);
    return 0;
}

static ofperr encode_packet_out(struct obuf *b, size_t start, const struct of_packet_out *po)
{
    uint16_t in_port;
    if (!ofp10_port_from_abstract(po->in_port, &in_port)) {
        return OFPERR_BAD_PORT;
    }
    obuf_put_be32(b, po->buffer_id);
    obuf_put_be16(b, in_port);
    obuf_put_be16(b, 0); /* actions_len, set below */
    size_t actions = b->len;
    ofperr err = ofp10_encode_actions(b, &po->actions);
    obuf_set_be16(b, start + 14, (uint16_t)(b->len - actions));
    obuf_put(b, po->data, po->data_len);
    return err;
}

/* What a 1.3 flow-mod may ask that 1.0 cannot: a table other than the
 * one (0, or all of them for a delete), a cookie filter or an out_group
 * filter on anything but ADD, flags beyond SEND_FLOW_REM/CHECK_OVERLAP. */
static ofperr check_flow_mod(const struct of_flow_mod *fm, uint16_t *out_port)
{
    if (fm->command > OFPFC_DELETE_STRICT) {
        return OFPERR_FLOW_MOD_BAD_COMMAND;
    }
    bool del = fm->command == OFPFC_DELETE || fm->command == OFPFC_DELETE_STRICT;
    if (fm->table_id != 0 && !(del && fm->table_id == OFPTT_ALL)) {
        return OFPERR_BAD_TABLE_ID;
    }
    if (fm->command != OFPFC_ADD && fm->cookie_mask != 0) {
        return OFPERR_FLOW_MOD_BAD_COMMAND;
    }
    if (del && fm->out_group != OFPG_ANY) {
        return OFPERR_FLOW_MOD_BAD_COMMAND;
    }
    if (fm->flags & ~OFPFF10_SHARED) {
        return OFP10_ERR_FLOW_MOD_BAD_FLAGS;
    }
    if (!ofp10_port_from_abstract(fm->out_port, out_port)) {
        if (del) {
            return OFPERR_BAD_PORT;
        }
        *out_port = OFPP10_NONE; /* not a filter outside deletes */
    }
    return 0;
}

static ofperr encode_flow_mod(struct obuf *b, const struct of_flow_mod *fm)
{
    uint16_t out_port;
    ofperr err = check_flow_mod(fm, &out_port);
    if (!err) {
        err = ofp10_encode_match(b, &fm->match);
    }
    if (err) {
        return err;
    }
    obuf_put_be64(b, fm->cookie);
    obuf_put_be16(b, fm->command);
    obuf_put_be16(b, fm->idle_timeout);
    obuf_put_be16(b, fm->hard_timeout);
    obuf_put_be16(b, fm->priority);
    obuf_put_be32(b, fm->buffer_id);
    obuf_put_be16(b, out_port);
    obuf_put_be16(b, fm->flags);
    return ofp10_encode_insts(b, &fm->insts);
}

static ofperr encode_body(struct obuf *b, size_t start, const struct of_msg *msg)
{
    switch (msg->kind) {
    case OF_HELLO:
        if (msg->u.hello.has_bitmap) { /* the element layout of 1.3.1+ */
            obuf_put_be16(b, 1);          /* OFPHET_VERSIONBITMAP */
            obuf_put_be16(b, 8);
            obuf_put_be32(b, msg->u.hello.version_bitmap);
        }
        return 0;
    case OF_ERROR:
        return encode_error(b, &msg->u.error);
    case OF_ECHO_REQUEST:
    case OF_ECHO_REPLY:
        obuf_put(b, msg->u.echo.data, msg->u.echo.data_len);
        return 0;
    case OF_EXPERIMENTER:
        obuf_put_be32(b, msg->u.experimenter.experimenter);
        obuf_put_be32(b, msg->u.experimenter.exp_type);
        obuf_put(b, msg->u.experimenter.data, msg->u.experimenter.data_len);
        return 0;
    case OF_FEATURES_REPLY:
        return encode_features(b, &msg->u.features);
    case OF_GET_CONFIG_REPLY:
    case OF_SET_CONFIG:
        obuf_put_be16(b, msg->u.config.flags);
        obuf_put_be16(b, msg->u.config.miss_send_len);
        return 0;
    case OF_PACKET_IN:
        return encode_packet_in(b, &msg->u.packet_in);
    case OF_FLOW_REMOVED:
        return encode_flow_removed(b, &msg->u.flow_removed);
    case OF_PORT_STATUS:
        obuf_put_u8(b, msg->u.port_status.reason);
        obuf_put_zeros(b, 7);
        return ofp10_encode_phy_port(b, &msg->u.port_status.port);
    case OF_PACKET_OUT:
        return encode_packet_out(b, start, &msg->u.packet_out);
    case OF_FLOW_MOD:
        return encode_flow_mod(b, &msg->u.flow_mod);
    case OF_MULTIPART_REQUEST:
        obuf_put_be16(b, msg->u.mp_request.mp_type);
        obuf_put_be16(b, msg->u.mp_request.flags);
        return ofp10_encode_stats_request_body(b, &msg->u.mp_request);
    case OF_MULTIPART_REPLY:
        obuf_put_be16(b, msg->u.mp_reply.mp_type);
        obuf_put_be16(b, msg->u.mp_reply.flags);
        return ofp10_encode_stats_reply_body(b, &msg->u.mp_reply);
    default: /* header-only kinds */
        return 0;
    }
}

ofperr ofp10_encode(const struct of_msg *msg, struct obuf *out)
{
    if ((unsigned)msg->kind >= OF_N_KINDS || !type_of_kind[msg->kind].known) {
        return OFPERR_BAD_TYPE; /* ROLE_REQUEST/REPLY: not in 1.0 */
    }
    size_t start = out->len;
    obuf_put_u8(out, OFP10_VERSION);
    obuf_put_u8(out, type_of_kind[msg->kind].type);
    obuf_put_be16(out, 0); /* length: set when the message is complete */
    obuf_put_be32(out, msg->xid);
    ofperr err = encode_body(out, start, msg);
    size_t len = out->len - start;
    if (!err && len > 65535) {
        err = OFPERR_BAD_LEN;
    }
    if (err) {
        out->len = start; /* nothing of a refused message stays behind */
        return err;
    }
    obuf_set_be16(out, start + 2, (uint16_t)len);
    return 0;
}
