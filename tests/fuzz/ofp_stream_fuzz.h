/* ofp_stream_fuzz.h - the body of the OpenFlow stream fuzz targets
 * (fuzz_ofp_stream.c: any version; fuzz_ofp10_stream.c: every message read
 * as OpenFlow 1.0). Included by each target, once.
 *
 * Frames the input as a switch's byte stream and decodes every message,
 * as the channel does. For each message that decodes, checks that every
 * pointer of the result lies inside the message, walks multipart bodies
 * (and the ports of a 1.0 FEATURES_REPLY, as the handshake does), and that
 * encode -> decode -> encode in the message's own version is stable (same
 * bytes twice). Any broken invariant abort()s. */
#ifndef MATFLOW_OFP_STREAM_FUZZ_H
#define MATFLOW_OFP_STREAM_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ofp/ofp_codec.h"

static void check_inside(const uint8_t *msg, size_t len, const uint8_t *p, size_t n)
{
    if (n && (p < msg || p + n > msg + len)) {
        abort();
    }
}

/* Every entry of a multipart body, as the core and the applications read them. */
static void walk_multipart(const struct of_multipart_reply *r)
{
    struct of_mp_cursor c;
    of_mp_cursor_init(&c, r);
    struct of_port port;
    struct of_flow_stats fs;
    struct of_table_features tf;
    while (of_mp_next_port(&c, &port) || of_mp_next_flow(&c, &fs) || of_mp_next_table(&c, &tf)) {
    }
}

static void check_pointers(const uint8_t *msg, size_t len, const struct of_msg *m)
{
    switch (m->kind) {
    case OF_ERROR:
        check_inside(msg, len, m->u.error.data, m->u.error.data_len);
        break;
    case OF_ECHO_REQUEST:
    case OF_ECHO_REPLY:
        check_inside(msg, len, m->u.echo.data, m->u.echo.data_len);
        break;
    case OF_EXPERIMENTER:
        check_inside(msg, len, m->u.experimenter.data, m->u.experimenter.data_len);
        break;
    case OF_FEATURES_REPLY: {
        const struct of_features *f = &m->u.features;
        check_inside(msg, len, f->port_body, f->port_body_len);
        if (f->port_body) { /* OpenFlow 1.0: walked as a PORT_DESC reply */
            struct of_multipart_reply r = {.mp_type = OFMP_PORT_DESC, .version = m->version,
                                           .body = f->port_body, .body_len = f->port_body_len};
            walk_multipart(&r);
        }
        break;
    }
    case OF_PACKET_IN:
        check_inside(msg, len, m->u.packet_in.data, m->u.packet_in.data_len);
        break;
    case OF_PACKET_OUT:
        check_inside(msg, len, m->u.packet_out.data, m->u.packet_out.data_len);
        break;
    case OF_MULTIPART_REPLY:
        check_inside(msg, len, m->u.mp_reply.body, m->u.mp_reply.body_len);
        walk_multipart(&m->u.mp_reply);
        break;
    default:
        break;
    }
}

/* Messages whose re-encoding can differ by design: unmodelled TLVs are
 * skipped on decode, multipart replies are written from arrays. */
static bool reencodable(const struct of_msg *m)
{
    switch (m->kind) {
    case OF_PACKET_IN:
        return m->u.packet_in.match.n_other == 0;
    case OF_FLOW_REMOVED:
        return m->u.flow_removed.match.n_other == 0;
    case OF_FLOW_MOD:
        return m->u.flow_mod.match.n_other == 0 && m->u.flow_mod.insts.apply.n_other == 0 &&
               m->u.flow_mod.insts.write.n_other == 0;
    case OF_PACKET_OUT:
        return m->u.packet_out.actions.n_other == 0;
    case OF_MULTIPART_REQUEST:
        return m->u.mp_request.flow.match.n_other == 0;
    case OF_MULTIPART_REPLY:
        return false;
    default:
        return true;
    }
}

static void check_roundtrip(const struct of_msg *m)
{
    if (!reencodable(m)) {
        return;
    }
    /* In the version it came in (a HELLO of any other version: in 1.3). */
    uint8_t version = of_version_supported(m->version) ? m->version : OF_VERSION_1_3;
    struct obuf a = OBUF_INITIALIZER, b = OBUF_INITIALIZER;
    if (of_encode(version, m, &a) != 0) {
        obuf_free(&a);
        return; /* e.g. over 65535 bytes once normalised, or not in that version */
    }
    static struct of_msg again;
    if (of_decode(a.data, a.len, &again) != 0 || again.kind != m->kind || again.xid != m->xid) {
        abort();
    }
    if (of_encode(version, &again, &b) != 0 || a.len != b.len ||
        memcmp(a.data, b.data, a.len) != 0) {
        abort();
    }
    obuf_free(&a);
    obuf_free(&b);
}

/* force_version: 0 to decode each message as it is, else the version byte
 * every message gets before decoding. */
static void fuzz_ofp_stream(const uint8_t *data, size_t size, uint8_t force_version)
{
    static struct of_msg m; /* large: keep it off the stack */
    size_t off = 0;
    while (off < size) {
        size_t len;
        enum of_frame_status st = of_frame(data + off, size - off, &len);
        if (st != OF_FRAME_OK) {
            break; /* NEED_MORE at the end, or BAD: the channel closes */
        }
        /* A private copy, so that ASan catches reads past the message. */
        uint8_t *msg = malloc(len);
        memcpy(msg, data + off, len);
        if (force_version) {
            msg[0] = force_version;
        }
        if (of_decode(msg, len, &m) == 0) {
            check_pointers(msg, len, &m);
            check_roundtrip(&m);
        }
        free(msg);
        off += len;
    }
}

#endif
