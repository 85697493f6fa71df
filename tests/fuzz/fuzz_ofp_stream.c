/* fuzz_ofp_stream.c - libFuzzer target for the OpenFlow stream decoder.
 *
 * Frames the input as a switch's byte stream and decodes every message,
 * as the channel does. For each message that decodes, checks that every
 * pointer of the result lies inside the message, walks multipart bodies,
 * and that encode -> decode -> encode is stable (same bytes twice). */
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
    case OF_PACKET_IN:
        check_inside(msg, len, m->u.packet_in.data, m->u.packet_in.data_len);
        break;
    case OF_PACKET_OUT:
        check_inside(msg, len, m->u.packet_out.data, m->u.packet_out.data_len);
        break;
    case OF_MULTIPART_REPLY: {
        check_inside(msg, len, m->u.mp_reply.body, m->u.mp_reply.body_len);
        struct of_mp_cursor c;
        of_mp_cursor_init(&c, &m->u.mp_reply);
        struct of_port port;
        struct of_flow_stats fs;
        struct of_table_features tf;
        while (of_mp_next_port(&c, &port) || of_mp_next_flow(&c, &fs) ||
               of_mp_next_table(&c, &tf)) {
        }
        break;
    }
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
    struct obuf a = OBUF_INITIALIZER, b = OBUF_INITIALIZER;
    if (of_encode(OF_VERSION_1_3, m, &a) != 0) {
        obuf_free(&a);
        return; /* e.g. a message that would exceed 65535 bytes once normalised */
    }
    static struct of_msg again;
    if (of_decode(a.data, a.len, &again) != 0 || again.kind != m->kind || again.xid != m->xid) {
        abort();
    }
    if (of_encode(OF_VERSION_1_3, &again, &b) != 0 || a.len != b.len ||
        memcmp(a.data, b.data, a.len) != 0) {
        abort();
    }
    obuf_free(&a);
    obuf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
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
        if (of_decode(msg, len, &m) == 0) {
            check_pointers(msg, len, &m);
            check_roundtrip(&m);
        }
        free(msg);
        off += len;
    }
    return 0;
}
