/* ofp13.h - internals of the OpenFlow 1.3 codec, shared by ofp13_*.c.
 *
 * Only ofp_codec.c calls into this from outside the ofp13 files. Decoders
 * take an rbuf or a (pointer, length) pair that is already known to lie
 * inside the message, and check every inner length against it. */
#ifndef MATFLOW_OFP13_H
#define MATFLOW_OFP13_H

#include "ofp/ofp13_wire.h"
#include "ofp/ofp_codec.h"

/* Match: decodes an ofp_match and its padding from the front of r. */
ofperr ofp13_decode_match(struct rbuf *r, struct of_match *m);
/* Appends an ofp_match with its padding. The caller validated m. */
void ofp13_encode_match(struct obuf *b, const struct of_match *m);

/* One OXM TLV (for set_field): decode exactly `len` bytes / append one. */
ofperr ofp13_decode_set_field_oxm(const uint8_t *p, size_t len, enum of_field *f,
                                  union of_field_value *v);
void ofp13_encode_oxm(struct obuf *b, enum of_field f, const union of_field_value *v,
                      const union of_field_value *mask);

ofperr ofp13_decode_actions(const uint8_t *p, size_t len, struct of_action_list *l);
ofperr ofp13_encode_actions(struct obuf *b, const struct of_action_list *l);
ofperr ofp13_decode_instructions(const uint8_t *p, size_t len, struct of_instructions *in);
ofperr ofp13_encode_instructions(struct obuf *b, const struct of_instructions *in);

/* A HELLO body: the same layout in every version that has one. */
ofperr ofp13_decode_hello_body(struct rbuf body, struct of_hello *h);
ofperr ofp13_decode(const uint8_t *msg, size_t len, struct of_msg *out);
ofperr ofp13_encode(const struct of_msg *msg, struct obuf *out);

/* Multipart bodies (ofp13_multipart.c). */
ofperr ofp13_decode_mp_request(uint16_t mp_type, struct rbuf body, struct of_multipart_request *rq);
ofperr ofp13_decode_mp_reply(uint16_t mp_type, struct rbuf body, struct of_multipart_reply *rp);
ofperr ofp13_encode_mp_request_body(struct obuf *b, const struct of_multipart_request *rq);
ofperr ofp13_encode_mp_reply_body(struct obuf *b, const struct of_multipart_reply *rp);
bool ofp13_mp_next_port(struct rbuf *rest, struct of_port *out);
bool ofp13_mp_next_flow(struct rbuf *rest, struct of_flow_stats *out);
bool ofp13_mp_next_table(struct rbuf *rest, struct of_table_features *out);

/* Port structs (ofp13_port.c). */
void ofp13_decode_port(const struct ofp_port *w, struct of_port *p);
void ofp13_encode_port(struct obuf *b, const struct of_port *p);

/* Copies a fixed-size, possibly unterminated wire string into dst[n + 1]. */
void ofp_copy_wire_string(char *dst, const char *src, size_t n);

#endif
