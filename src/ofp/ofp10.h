/* ofp10.h - internals of the OpenFlow 1.0 codec, shared by ofp10_*.c.
 *
 * Only ofp_codec.c calls into this from outside the ofp10 files. The
 * abstract layer (ofp_msg.h) speaks OpenFlow 1.3 numbers; these functions
 * translate, and refuse with an ofperr whatever 1.0 cannot say: nothing is
 * silently dropped from a match or an action list that would change what a
 * switch does. Decoders check every length against what is left. */
#ifndef MATFLOW_OFP10_H
#define MATFLOW_OFP10_H

#include "ofp/ofp10_wire.h"
#include "ofp/ofp_codec.h"

/* 1.3's FLOW_MOD_FAILED/BAD_FLAGS, which ofp_err.h does not name yet: a
 * flow-mod flag 1.0 and 1.3 do not share (1.0 EMERG, 1.3 RESET_COUNTS). */
#define OFP10_ERR_FLOW_MOD_BAD_FLAGS OFPERR_MAKE(OFPET_FLOW_MOD_FAILED, 7)

/* Messages (ofp10_msgs.c). */
ofperr ofp10_decode(const uint8_t *msg, size_t len, struct of_msg *out);
ofperr ofp10_encode(const struct of_msg *msg, struct obuf *out);

/* Port numbers (ofp10_port.c): 16-bit wire <-> 32-bit abstract. The
 * reserved 0xff00..0xffff map to 0xffffff00..0xffffffff (OFPP_NONE is
 * OFPP_ANY). Returns false for a port 1.0 cannot number. */
uint32_t ofp10_port_to_abstract(uint16_t port);
bool ofp10_port_from_abstract(uint32_t port, uint16_t *out);

/* ofp_phy_port (ofp10_port.c). The caller made sure 48 bytes are there. */
void ofp10_decode_phy_port(const struct ofp10_phy_port *w, struct of_port *p);
ofperr ofp10_encode_phy_port(struct obuf *b, const struct of_port *p);

/* Match (ofp10_match.c): exactly one struct ofp10_match. Decode ignores
 * the values of wildcarded fields, counts set fields ofp_msg.h cannot hold
 * (vlan_pcp, nw_tos, tp_src/dst) in n_other; encode validates the match
 * and refuses what 1.0 cannot express. */
ofperr ofp10_decode_match(const struct ofp10_match *w, struct of_match *m);
ofperr ofp10_encode_match(struct obuf *b, const struct of_match *m);

/* Actions (ofp10_actions.c). An instruction set becomes one action list:
 * apply-actions (and clear-actions, which adds nothing) only. */
ofperr ofp10_decode_actions(const uint8_t *p, size_t len, struct of_action_list *l);
ofperr ofp10_encode_actions(struct obuf *b, const struct of_action_list *l);
ofperr ofp10_decode_insts(const uint8_t *p, size_t len, struct of_instructions *in);
ofperr ofp10_encode_insts(struct obuf *b, const struct of_instructions *in);

/* Error numbers (ofp10_err.c): 1.0 type/code <-> abstract (1.3) ones.
 * Encoding refuses an experimenter error (1.0 has none). */
void ofp10_error_to_abstract(uint16_t type, uint16_t code, uint16_t *atype, uint16_t *acode);
ofperr ofp10_error_from_abstract(uint16_t atype, uint16_t acode, uint16_t *type, uint16_t *code);

/* Statistics bodies (ofp10_stats.c): OFPST_DESC and OFPST_FLOW. */
ofperr ofp10_decode_stats_request(struct rbuf body, struct of_multipart_request *rq);
ofperr ofp10_decode_stats_reply(struct rbuf body, struct of_multipart_reply *rp);
ofperr ofp10_encode_stats_request_body(struct obuf *b, const struct of_multipart_request *rq);
ofperr ofp10_encode_stats_reply_body(struct obuf *b, const struct of_multipart_reply *rp);
bool ofp10_mp_next_port(struct rbuf *rest, struct of_port *out);
bool ofp10_mp_next_flow(struct rbuf *rest, struct of_flow_stats *out);

#endif
