/* l2learn_msgs.h - the messages the learning application sends, built from
 * the version-independent structs only. Pure: nothing here sends. */
#ifndef MATFLOW_L2LEARN_MSGS_H
#define MATFLOW_L2LEARN_MSGS_H

#include <stdbool.h>

#include "app/l2learn/l2learn.h"
#include "ofp/ofp_msg.h"

/* The table-miss flow: priority 0, everything to the controller, whole. */
void l2l_msg_table_miss(struct of_msg *m, const struct l2learn_options *o);
/* Deletes every flow of ours in our table; with cookie_filter false (a
 * version without one, OpenFlow 1.0) every flow of the table: send it then
 * only where the app owns the whole switch. */
void l2l_msg_delete_all(struct of_msg *m, const struct l2learn_options *o, bool cookie_filter);
/* Deletes our flows whose match names mac as destination (dst true) or as
 * source; cookie_filter false on versions that cannot filter deletes. */
void l2l_msg_delete_mac(struct of_msg *m, const struct l2learn_options *o, struct eth_addr mac,
                        bool dst, bool cookie_filter);
/* Deletes our flows that output to port (in_port false) or match frames
 * coming in from it (in_port true). */
void l2l_msg_delete_port(struct of_msg *m, const struct l2learn_options *o, uint32_t port,
                         bool in_port, bool cookie_filter);
/* in_port + eth_src + eth_dst -> output out_port. */
void l2l_msg_flow(struct of_msg *m, const struct l2learn_options *o, uint32_t in_port,
                  struct eth_addr src, struct eth_addr dst, uint32_t out_port);
/* Sends the Packet-In's frame (or its switch buffer) out of out_port. */
void l2l_msg_packet_out(struct of_msg *m, const struct of_packet_in *pi, uint32_t in_port,
                        uint32_t out_port);

#endif
