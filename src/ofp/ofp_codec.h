/* ofp_codec.h - the OpenFlow codec's entry points.
 *
 * Frame a byte stream into messages, decode one message into a struct
 * of_msg, encode a struct of_msg for a given wire version. The version
 * specifics live in ofp13_*.c (and later ofp10_*.c) behind these calls.
 *
 * Decoding checks every length before use: a message is either fully valid
 * (and every pointer in the result stays inside it) or refused with the
 * OFPT_ERROR (type, code) that describes why. */
#ifndef MATFLOW_OFP_CODEC_H
#define MATFLOW_OFP_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ofp/ofp_err.h"
#include "ofp/ofp_msg.h"
#include "util/obuf.h"

enum of_frame_status {
    OF_FRAME_NEED_MORE, /* fewer bytes than the header or its length field */
    OF_FRAME_OK,        /* *msg_len bytes form one message */
    OF_FRAME_BAD,       /* length field below 8: the stream cannot resync */
};

/* Looks at the front of a stream of `avail` bytes. */
enum of_frame_status of_frame(const uint8_t *buf, size_t avail, size_t *msg_len);

/* Wire header fields of a framed message (len >= 8). */
uint8_t of_msg_version(const uint8_t *msg);
uint8_t of_msg_type(const uint8_t *msg);
uint32_t of_msg_xid(const uint8_t *msg);

/* True if the codec can encode and decode this wire version. */
bool of_version_supported(uint8_t version);

/* Decodes one framed message of `len` bytes. HELLO is decoded whatever its
 * version (negotiation needs it); other kinds need a supported version.
 * Pointers in *out point into msg. */
ofperr of_decode(const uint8_t *msg, size_t len, struct of_msg *out);

/* Appends the wire form of `msg` in `version` to `out`. On error nothing is
 * appended (for example an action the version cannot express, a match that
 * breaks its prerequisites, or a message over 65535 bytes). */
ofperr of_encode(uint8_t version, const struct of_msg *msg, struct obuf *out);

/* Builds an OFPT_ERROR answering `bad` (the refused message, of which at
 * most 64 bytes are echoed back as the spec asks). */
void of_encode_error_reply(uint8_t version, ofperr err, const uint8_t *bad, size_t bad_len,
                           struct obuf *out);

/* Walks the entries of a decoded multipart reply. Each call fills the next
 * entry and returns true, or returns false at the end. The body was validated
 * by of_decode(), so a walk never fails half-way. */
struct of_mp_cursor {
    struct rbuf rest;
    uint8_t version;
};
void of_mp_cursor_init(struct of_mp_cursor *c, const struct of_multipart_reply *r);
bool of_mp_next_port(struct of_mp_cursor *c, struct of_port *out);
bool of_mp_next_flow(struct of_mp_cursor *c, struct of_flow_stats *out);
bool of_mp_next_table(struct of_mp_cursor *c, struct of_table_features *out);

#endif
