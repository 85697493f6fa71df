/* ofp13_msgs.c - OpenFlow 1.3 messages: the length table, and decode and
 * encode of every message kind.
 *
 * One table gives, for each kind, its wire type, its minimum length and
 * whether that length is also its only length. of_decode() checks the
 * header against it before any kind-specific code runs; the decoders below
 * then check only what lies inside the body. */
#include "ofp/ofp13.h"

#include <endian.h>
#include <string.h>

enum { VAR = 0, FIXED = 1 };

/* kind, wire type, minimum length, FIXED or VAR */
#define OFP13_MSG_TABLE(X)                                              \
    X(HELLO, OFPT13_HELLO, 8, VAR)                                      \
    X(ERROR, OFPT13_ERROR, 12, VAR)                                     \
    X(ECHO_REQUEST, OFPT13_ECHO_REQUEST, 8, VAR)                        \
    X(ECHO_REPLY, OFPT13_ECHO_REPLY, 8, VAR)                            \
    X(EXPERIMENTER, OFPT13_EXPERIMENTER, 16, VAR)                       \
    X(FEATURES_REQUEST, OFPT13_FEATURES_REQUEST, 8, FIXED)              \
    X(FEATURES_REPLY, OFPT13_FEATURES_REPLY, 32, FIXED)                 \
    X(GET_CONFIG_REQUEST, OFPT13_GET_CONFIG_REQUEST, 8, FIXED)          \
    X(GET_CONFIG_REPLY, OFPT13_GET_CONFIG_REPLY, 12, FIXED)             \
    X(SET_CONFIG, OFPT13_SET_CONFIG, 12, FIXED)                         \
    X(PACKET_IN, OFPT13_PACKET_IN, OFP_PACKET_IN_MIN_LEN, VAR)          \
    X(FLOW_REMOVED, OFPT13_FLOW_REMOVED, 48 + OFP_MATCH_MIN_LEN, VAR)   \
    X(PORT_STATUS, OFPT13_PORT_STATUS, 80, FIXED)                       \
    X(PACKET_OUT, OFPT13_PACKET_OUT, 24, VAR)                           \
    X(FLOW_MOD, OFPT13_FLOW_MOD, 48 + OFP_MATCH_MIN_LEN, VAR)           \
    X(MULTIPART_REQUEST, OFPT13_MULTIPART_REQUEST, 16, VAR)             \
    X(MULTIPART_REPLY, OFPT13_MULTIPART_REPLY, 16, VAR)                 \
    X(BARRIER_REQUEST, OFPT13_BARRIER_REQUEST, 8, FIXED)                \
    X(BARRIER_REPLY, OFPT13_BARRIER_REPLY, 8, FIXED)                    \
    X(ROLE_REQUEST, OFPT13_ROLE_REQUEST, 24, FIXED)                     \
    X(ROLE_REPLY, OFPT13_ROLE_REPLY, 24, FIXED)

struct msg_rule {
    bool known;
    enum of_msg_kind kind;
    uint16_t min_len;
    bool fixed;
};

static const struct msg_rule rule_of_type[256] = {
#define OFP13_RULE(kind, type, min, fixed) [type] = {true, OF_##kind, min, fixed},
    OFP13_MSG_TABLE(OFP13_RULE)
#undef OFP13_RULE
};

static const uint8_t type_of_kind[OF_N_KINDS] = {
#define OFP13_TYPE(kind, type, min, fixed) [OF_##kind] = type,
    OFP13_MSG_TABLE(OFP13_TYPE)
#undef OFP13_TYPE
};

/* ---- Decoding ------------------------------------------------------------- */

ofperr ofp13_decode_hello_body(struct rbuf body, struct of_hello *h)
{
    memset(h, 0, sizeof *h);
    while (body.len > 0) {
        const struct ofp_hello_elem_header *e = rbuf_peek(&body, sizeof *e);
        size_t len = e ? be16toh(e->length) : 0;
        if (len < sizeof *e || len > body.len) {
            return OFPERR_BAD_LEN;
        }
        const uint8_t *p = body.p;
        size_t padded = (len + 7) / 8 * 8;
        rbuf_pull(&body, padded <= body.len ? padded : len);
        if (be16toh(e->type) != OFPHET_VERSIONBITMAP) {
            continue; /* unknown elements are skipped, as the spec asks */
        }
        if ((len - sizeof *e) % 4 != 0 || len == sizeof *e) {
            return OFPERR_BAD_LEN;
        }
        uint32_t word; /* versions 0-31; higher words offer versions we lack */
        memcpy(&word, p + sizeof *e, 4);
        h->has_bitmap = true;
        h->version_bitmap = be32toh(word);
    }
    return 0;
}

static ofperr decode_error(struct rbuf body, struct of_error *e)
{
    memset(e, 0, sizeof *e);
    const uint8_t *p = rbuf_pull(&body, 4);
    e->type = (uint16_t)(p[0] << 8 | p[1]);
    e->code = (uint16_t)(p[2] << 8 | p[3]);
    if (e->type == OFPET13_EXPERIMENTER) {
        const uint8_t *x = rbuf_pull(&body, 4);
        if (!x) {
            return OFPERR_BAD_LEN;
        }
        e->exp_type = e->code;
        e->code = 0;
        e->experimenter = (uint32_t)x[0] << 24 | (uint32_t)x[1] << 16 | (uint32_t)x[2] << 8 | x[3];
    }
    e->data = body.p;
    e->data_len = body.len;
    return 0;
}

static ofperr decode_packet_in(const uint8_t *msg, struct rbuf r, struct of_packet_in *pi)
{
    const struct ofp_packet_in_head *h = (const void *)msg;
    rbuf_pull(&r, sizeof *h);
    pi->buffer_id = be32toh(h->buffer_id);
    pi->total_len = be16toh(h->total_len);
    pi->reason = h->reason;
    pi->table_id = h->table_id;
    pi->cookie = be64toh(h->cookie);
    ofperr err = ofp13_decode_match(&r, &pi->match);
    if (err) {
        return err;
    }
    if (!rbuf_pull(&r, 2)) {
        return OFPERR_BAD_LEN;
    }
    pi->data = r.p;
    pi->data_len = r.len;
    return 0;
}

static ofperr decode_flow_removed(const uint8_t *msg, struct rbuf r, struct of_flow_removed *fr)
{
    const struct ofp_flow_removed_head *h = (const void *)msg;
    rbuf_pull(&r, sizeof *h);
    fr->cookie = be64toh(h->cookie);
    fr->priority = be16toh(h->priority);
    fr->reason = h->reason;
    fr->table_id = h->table_id;
    fr->duration_sec = be32toh(h->duration_sec);
    fr->duration_nsec = be32toh(h->duration_nsec);
    fr->idle_timeout = be16toh(h->idle_timeout);
    fr->hard_timeout = be16toh(h->hard_timeout);
    fr->packet_count = be64toh(h->packet_count);
    fr->byte_count = be64toh(h->byte_count);
    ofperr err = ofp13_decode_match(&r, &fr->match);
    if (err) {
        return err;
    }
    return r.len == 0 ? 0 : OFPERR_BAD_LEN;
}

static ofperr decode_packet_out(const uint8_t *msg, struct rbuf r, struct of_packet_out *po)
{
    const struct ofp_packet_out *h = (const void *)msg;
    rbuf_pull(&r, sizeof *h);
    po->buffer_id = be32toh(h->buffer_id);
    po->in_port = be32toh(h->in_port);
    size_t alen = be16toh(h->actions_len);
    const uint8_t *actions = rbuf_pull(&r, alen);
    if (!actions) {
        return OFPERR_BAD_LEN;
    }
    po->data = r.p;
    po->data_len = r.len;
    return ofp13_decode_actions(actions, alen, &po->actions);
}

static ofperr decode_flow_mod(const uint8_t *msg, struct rbuf r, struct of_flow_mod *fm)
{
    const struct ofp_flow_mod_head *h = (const void *)msg;
    rbuf_pull(&r, sizeof *h);
    fm->cookie = be64toh(h->cookie);
    fm->cookie_mask = be64toh(h->cookie_mask);
    fm->table_id = h->table_id;
    fm->command = h->command;
    fm->idle_timeout = be16toh(h->idle_timeout);
    fm->hard_timeout = be16toh(h->hard_timeout);
    fm->priority = be16toh(h->priority);
    fm->buffer_id = be32toh(h->buffer_id);
    fm->out_port = be32toh(h->out_port);
    fm->out_group = be32toh(h->out_group);
    fm->flags = be16toh(h->flags);
    if (fm->command > OFPFC_DELETE_STRICT) {
        return OFPERR_FLOW_MOD_BAD_COMMAND;
    }
    ofperr err = ofp13_decode_match(&r, &fm->match);
    if (err) {
        return err;
    }
    return ofp13_decode_instructions(r.p, r.len, &fm->insts);
}

static ofperr decode_multipart(const uint8_t *msg, struct rbuf r, struct of_msg *out)
{
    const struct ofp_multipart_head *h = (const void *)msg;
    rbuf_pull(&r, sizeof *h);
    uint16_t mp_type = be16toh(h->type), flags = be16toh(h->flags);
    if (out->kind == OF_MULTIPART_REQUEST) {
        out->u.mp_request.mp_type = mp_type;
        out->u.mp_request.flags = flags;
        return ofp13_decode_mp_request(mp_type, r, &out->u.mp_request);
    }
    out->u.mp_reply.mp_type = mp_type;
    out->u.mp_reply.flags = flags;
    out->u.mp_reply.version = OFP13_VERSION;
    return ofp13_decode_mp_reply(mp_type, r, &out->u.mp_reply);
}

static void decode_port_status(const uint8_t *msg, struct of_port_status *ps)
{
    const struct ofp_port_status *w = (const void *)msg;
    ps->reason = w->reason;
    ofp13_decode_port(&w->desc, &ps->port);
}

/* Kinds whose body is a fixed struct: copied field by field. */
static void decode_fixed(const uint8_t *msg, struct of_msg *out)
{
    switch (out->kind) {
    case OF_FEATURES_REPLY: {
        const struct ofp_switch_features *w = (const void *)msg;
        out->u.features.datapath_id = be64toh(w->datapath_id);
        out->u.features.n_buffers = be32toh(w->n_buffers);
        out->u.features.n_tables = w->n_tables;
        out->u.features.auxiliary_id = w->auxiliary_id;
        out->u.features.capabilities = be32toh(w->capabilities);
        break;
    }
    case OF_GET_CONFIG_REPLY:
    case OF_SET_CONFIG: {
        const struct ofp_switch_config *w = (const void *)msg;
        out->u.config.flags = be16toh(w->flags);
        out->u.config.miss_send_len = be16toh(w->miss_send_len);
        break;
    }
    case OF_ROLE_REQUEST:
    case OF_ROLE_REPLY: {
        const struct ofp_role_request *w = (const void *)msg;
        out->u.role.role = be32toh(w->role);
        out->u.role.generation_id = be64toh(w->generation_id);
        break;
    }
    case OF_PORT_STATUS:
        decode_port_status(msg, &out->u.port_status);
        break;
    default: /* header-only kinds */
        break;
    }
}

ofperr ofp13_decode(const uint8_t *msg, size_t len, struct of_msg *out)
{
    const struct msg_rule *rule = &rule_of_type[msg[1]];
    if (!rule->known) {
        return OFPERR_BAD_TYPE;
    }
    if (len < rule->min_len || (rule->fixed && len != rule->min_len)) {
        return OFPERR_BAD_LEN;
    }
    out->kind = rule->kind;
    struct rbuf r = rbuf_make(msg, len);
    struct rbuf body = rbuf_make(msg + OFP_HEADER_LEN, len - OFP_HEADER_LEN);
    switch (out->kind) {
    case OF_HELLO:
        return ofp13_decode_hello_body(body, &out->u.hello);
    case OF_ERROR:
        return decode_error(body, &out->u.error);
    case OF_ECHO_REQUEST:
    case OF_ECHO_REPLY:
        out->u.echo.data = body.p;
        out->u.echo.data_len = body.len;
        return 0;
    case OF_EXPERIMENTER: {
        const struct ofp_experimenter_header *w = (const void *)msg;
        out->u.experimenter.experimenter = be32toh(w->experimenter);
        out->u.experimenter.exp_type = be32toh(w->exp_type);
        out->u.experimenter.data = msg + sizeof *w;
        out->u.experimenter.data_len = len - sizeof *w;
        return 0;
    }
    case OF_PACKET_IN:
        return decode_packet_in(msg, r, &out->u.packet_in);
    case OF_FLOW_REMOVED:
        return decode_flow_removed(msg, r, &out->u.flow_removed);
    case OF_PACKET_OUT:
        return decode_packet_out(msg, r, &out->u.packet_out);
    case OF_FLOW_MOD:
        return decode_flow_mod(msg, r, &out->u.flow_mod);
    case OF_MULTIPART_REQUEST:
    case OF_MULTIPART_REPLY:
        return decode_multipart(msg, r, out);
    default:
        decode_fixed(msg, out);
        return 0;
    }
}

/* ---- Encoding ------------------------------------------------------------- */

static void put_header(struct obuf *b, enum of_msg_kind kind, uint32_t xid)
{
    obuf_put_u8(b, OFP13_VERSION);
    obuf_put_u8(b, type_of_kind[kind]);
    obuf_put_be16(b, 0); /* length: set when the message is complete */
    obuf_put_be32(b, xid);
}

static void encode_hello(struct obuf *b, const struct of_hello *h)
{
    if (h->has_bitmap) {
        obuf_put_be16(b, OFPHET_VERSIONBITMAP);
        obuf_put_be16(b, 8);
        obuf_put_be32(b, h->version_bitmap);
    }
}

static void encode_error(struct obuf *b, const struct of_error *e)
{
    obuf_put_be16(b, e->type);
    if (e->type == OFPET13_EXPERIMENTER) {
        obuf_put_be16(b, e->exp_type);
        obuf_put_be32(b, e->experimenter);
    } else {
        obuf_put_be16(b, e->code);
    }
    obuf_put(b, e->data, e->data_len);
}

static void encode_features(struct obuf *b, const struct of_features *f)
{
    obuf_put_be64(b, f->datapath_id);
    obuf_put_be32(b, f->n_buffers);
    obuf_put_u8(b, f->n_tables);
    obuf_put_u8(b, f->auxiliary_id);
    obuf_put_zeros(b, 2);
    obuf_put_be32(b, f->capabilities);
    obuf_put_be32(b, 0);
}

static ofperr encode_packet_in(struct obuf *b, const struct of_packet_in *pi)
{
    ofperr err = of_match_validate(&pi->match);
    if (err) {
        return err;
    }
    obuf_put_be32(b, pi->buffer_id);
    obuf_put_be16(b, pi->total_len);
    obuf_put_u8(b, pi->reason);
    obuf_put_u8(b, pi->table_id);
    obuf_put_be64(b, pi->cookie);
    ofp13_encode_match(b, &pi->match);
    obuf_put_zeros(b, 2);
    obuf_put(b, pi->data, pi->data_len);
    return 0;
}

static ofperr encode_flow_removed(struct obuf *b, const struct of_flow_removed *fr)
{
    ofperr err = of_match_validate(&fr->match);
    if (err) {
        return err;
    }
    obuf_put_be64(b, fr->cookie);
    obuf_put_be16(b, fr->priority);
    obuf_put_u8(b, fr->reason);
    obuf_put_u8(b, fr->table_id);
    obuf_put_be32(b, fr->duration_sec);
    obuf_put_be32(b, fr->duration_nsec);
    obuf_put_be16(b, fr->idle_timeout);
    obuf_put_be16(b, fr->hard_timeout);
    obuf_put_be64(b, fr->packet_count);
    obuf_put_be64(b, fr->byte_count);
    ofp13_encode_match(b, &fr->match);
    return 0;
}

static ofperr encode_packet_out(struct obuf *b, size_t start, const struct of_packet_out *po)
{
    obuf_put_be32(b, po->buffer_id);
    obuf_put_be32(b, po->in_port);
    obuf_put_be16(b, 0); /* actions_len */
    obuf_put_zeros(b, 6);
    size_t actions = b->len;
    ofperr err = ofp13_encode_actions(b, &po->actions);
    obuf_set_be16(b, start + 16, (uint16_t)(b->len - actions));
    obuf_put(b, po->data, po->data_len);
    return err;
}

static ofperr encode_flow_mod(struct obuf *b, const struct of_flow_mod *fm)
{
    ofperr err = of_match_validate(&fm->match);
    if (err) {
        return err;
    }
    if (fm->command > OFPFC_DELETE_STRICT) {
        return OFPERR_FLOW_MOD_BAD_COMMAND;
    }
    obuf_put_be64(b, fm->cookie);
    obuf_put_be64(b, fm->cookie_mask);
    obuf_put_u8(b, fm->table_id);
    obuf_put_u8(b, fm->command);
    obuf_put_be16(b, fm->idle_timeout);
    obuf_put_be16(b, fm->hard_timeout);
    obuf_put_be16(b, fm->priority);
    obuf_put_be32(b, fm->buffer_id);
    obuf_put_be32(b, fm->out_port);
    obuf_put_be32(b, fm->out_group);
    obuf_put_be16(b, fm->flags);
    obuf_put_zeros(b, 2);
    ofp13_encode_match(b, &fm->match);
    return ofp13_encode_instructions(b, &fm->insts);
}

static ofperr encode_body(struct obuf *b, size_t start, const struct of_msg *msg)
{
    switch (msg->kind) {
    case OF_HELLO:
        encode_hello(b, &msg->u.hello);
        return 0;
    case OF_ERROR:
        encode_error(b, &msg->u.error);
        return 0;
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
        encode_features(b, &msg->u.features);
        return 0;
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
        ofp13_encode_port(b, &msg->u.port_status.port);
        return 0;
    case OF_PACKET_OUT:
        return encode_packet_out(b, start, &msg->u.packet_out);
    case OF_FLOW_MOD:
        return encode_flow_mod(b, &msg->u.flow_mod);
    case OF_MULTIPART_REQUEST:
        obuf_put_be16(b, msg->u.mp_request.mp_type);
        obuf_put_be16(b, msg->u.mp_request.flags);
        obuf_put_zeros(b, 4);
        return ofp13_encode_mp_request_body(b, &msg->u.mp_request);
    case OF_MULTIPART_REPLY:
        obuf_put_be16(b, msg->u.mp_reply.mp_type);
        obuf_put_be16(b, msg->u.mp_reply.flags);
        obuf_put_zeros(b, 4);
        return ofp13_encode_mp_reply_body(b, &msg->u.mp_reply);
    case OF_ROLE_REQUEST:
    case OF_ROLE_REPLY:
        obuf_put_be32(b, msg->u.role.role);
        obuf_put_zeros(b, 4);
        obuf_put_be64(b, msg->u.role.generation_id);
        return 0;
    case OF_FEATURES_REQUEST:
    case OF_GET_CONFIG_REQUEST:
    case OF_BARRIER_REQUEST:
    case OF_BARRIER_REPLY:
        return 0;
    case OF_N_KINDS:
        break;
    }
    return OFPERR_BAD_TYPE;
}

ofperr ofp13_encode(const struct of_msg *msg, struct obuf *out)
{
    if ((unsigned)msg->kind >= OF_N_KINDS) {
        return OFPERR_BAD_TYPE;
    }
    size_t start = out->len;
    put_header(out, msg->kind, msg->xid);
    ofperr err = encode_body(out, start, msg);
    size_t len = out->len - start;
    if (!err && len > OFP_MAX_MSG_LEN) {
        err = OFPERR_BAD_LEN;
    }
    if (err) {
        out->len = start; /* nothing of a refused message stays behind */
        return err;
    }
    obuf_set_be16(out, start + 2, (uint16_t)len);
    return 0;
}
