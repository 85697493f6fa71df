/* ofp_codec.c - framing and the version switch of the codec.
 *
 * The only place that looks at the version byte: each supported version
 * has its decoder and encoder: OpenFlow 1.3 (ofp13_*.c) and 1.0 (ofp10_*.c). */
#include "ofp/ofp_codec.h"

#include <endian.h>
#include <string.h>

#include "ofp/ofp10.h"
#include "ofp/ofp13.h"

enum of_frame_status of_frame(const uint8_t *buf, size_t avail, size_t *msg_len)
{
    if (avail < OFP_HEADER_LEN) {
        return OF_FRAME_NEED_MORE;
    }
    size_t len = (size_t)buf[2] << 8 | buf[3];
    if (len < OFP_HEADER_LEN) {
        return OF_FRAME_BAD;
    }
    if (avail < len) {
        return OF_FRAME_NEED_MORE;
    }
    *msg_len = len;
    return OF_FRAME_OK;
}

uint8_t of_msg_version(const uint8_t *msg)
{
    return msg[0];
}

uint8_t of_msg_type(const uint8_t *msg)
{
    return msg[1];
}

uint32_t of_msg_xid(const uint8_t *msg)
{
    uint32_t xid;
    memcpy(&xid, msg + 4, 4);
    return be32toh(xid);
}

bool of_version_supported(uint8_t version)
{
    return version == OF_VERSION_1_3 || version == OF_VERSION_1_0;
}

ofperr of_decode(const uint8_t *msg, size_t len, struct of_msg *out)
{
    memset(out, 0, sizeof *out);
    if (len < OFP_HEADER_LEN || ((size_t)msg[2] << 8 | msg[3]) != len) {
        return OFPERR_BAD_LEN;
    }
    out->version = msg[0];
    out->xid = of_msg_xid(msg);
    if (msg[1] == OFPT13_HELLO && msg[0] != OF_VERSION_1_0) {
        /* HELLO is type 0 with the same layout in every version (1.0 asks
         * to ignore its body: its decoder is lenient). */
        out->kind = OF_HELLO;
        return ofp13_decode_hello_body(rbuf_make(msg + OFP_HEADER_LEN, len - OFP_HEADER_LEN),
                                       &out->u.hello);
    }
    switch (msg[0]) {
    case OF_VERSION_1_3:
        return ofp13_decode(msg, len, out);
    case OF_VERSION_1_0:
        return ofp10_decode(msg, len, out);
    default:
        return OFPERR_BAD_VERSION;
    }
}

ofperr of_encode(uint8_t version, const struct of_msg *msg, struct obuf *out)
{
    switch (version) {
    case OF_VERSION_1_3:
        return ofp13_encode(msg, out);
    case OF_VERSION_1_0:
        return ofp10_encode(msg, out);
    default:
        return OFPERR_BAD_VERSION;
    }
}

void of_encode_error_reply(uint8_t version, ofperr err, const uint8_t *bad, size_t bad_len,
                           struct obuf *out)
{
    struct of_msg m;
    memset(&m, 0, sizeof m);
    m.kind = OF_ERROR;
    m.xid = bad_len >= OFP_HEADER_LEN ? of_msg_xid(bad) : 0;
    m.u.error.type = OFPERR_TYPE(err);
    m.u.error.code = OFPERR_CODE(err);
    m.u.error.data = bad;
    m.u.error.data_len = bad_len < 64 ? bad_len : 64;
    if (!of_version_supported(version)) {
        version = OF_VERSION_1_3;
    }
    of_encode(version, &m, out);
}

void of_mp_cursor_init(struct of_mp_cursor *c, const struct of_multipart_reply *r)
{
    c->rest = rbuf_make(r->body, r->body_len);
    c->version = r->version;
}

bool of_mp_next_port(struct of_mp_cursor *c, struct of_port *out)
{
    switch (c->version) {
    case OF_VERSION_1_3:
        return ofp13_mp_next_port(&c->rest, out);
    case OF_VERSION_1_0: /* the ports of a 1.0 FEATURES_REPLY */
        return ofp10_mp_next_port(&c->rest, out);
    default:
        return false;
    }
}

bool of_mp_next_flow(struct of_mp_cursor *c, struct of_flow_stats *out)
{
    switch (c->version) {
    case OF_VERSION_1_3:
        return ofp13_mp_next_flow(&c->rest, out);
    case OF_VERSION_1_0:
        return ofp10_mp_next_flow(&c->rest, out);
    default:
        return false;
    }
}

bool of_mp_next_table(struct of_mp_cursor *c, struct of_table_features *out)
{
    return c->version == OF_VERSION_1_3 && ofp13_mp_next_table(&c->rest, out);
}
