/* l2learn_msgs.c - flow-mods and Packet-Outs of the learning application. */
#include "app/l2learn/l2learn_msgs.h"

#include <string.h>

static struct of_flow_mod *flow_mod(struct of_msg *m, uint8_t command,
                                    const struct l2learn_options *o)
{
    memset(m, 0, sizeof *m);
    m->kind = OF_FLOW_MOD;
    struct of_flow_mod *fm = &m->u.flow_mod;
    of_flow_mod_init(fm, command);
    fm->table_id = o->table_id;
    fm->cookie = L2L_COOKIE;
    return fm;
}

void l2l_msg_table_miss(struct of_msg *m, const struct l2learn_options *o)
{
    struct of_flow_mod *fm = flow_mod(m, OFPFC_ADD, o);
    fm->priority = 0;
    fm->insts.present = OFIB_APPLY_ACTIONS;
    of_actions_output(&fm->insts.apply, OFPP_CONTROLLER, OFPCML_NO_BUFFER);
}

static void filter_ours(struct of_flow_mod *fm, bool cookie_filter)
{
    fm->cookie = cookie_filter ? L2L_COOKIE : 0;
    fm->cookie_mask = cookie_filter ? L2L_COOKIE_MASK : 0;
}

void l2l_msg_delete_all(struct of_msg *m, const struct l2learn_options *o, bool cookie_filter)
{
    filter_ours(flow_mod(m, OFPFC_DELETE, o), cookie_filter);
}

void l2l_msg_delete_mac(struct of_msg *m, const struct l2learn_options *o, struct eth_addr mac,
                        bool dst, bool cookie_filter)
{
    struct of_flow_mod *fm = flow_mod(m, OFPFC_DELETE, o);
    filter_ours(fm, cookie_filter);
    if (dst) {
        of_match_set_eth_dst(&fm->match, mac);
    } else {
        of_match_set_eth_src(&fm->match, mac);
    }
}

void l2l_msg_delete_port(struct of_msg *m, const struct l2learn_options *o, uint32_t port,
                         bool in_port, bool cookie_filter)
{
    struct of_flow_mod *fm = flow_mod(m, OFPFC_DELETE, o);
    filter_ours(fm, cookie_filter);
    if (in_port) {
        of_match_set_in_port(&fm->match, port);
    } else {
        fm->out_port = port;
    }
}

void l2l_msg_flow(struct of_msg *m, const struct l2learn_options *o, uint32_t in_port,
                  struct eth_addr src, struct eth_addr dst, uint32_t out_port)
{
    struct of_flow_mod *fm = flow_mod(m, OFPFC_ADD, o);
    fm->priority = o->priority;
    fm->idle_timeout = o->idle_timeout;
    of_match_set_in_port(&fm->match, in_port);
    of_match_set_eth_src(&fm->match, src);
    of_match_set_eth_dst(&fm->match, dst);
    fm->insts.present = OFIB_APPLY_ACTIONS;
    of_actions_output(&fm->insts.apply, out_port, 0);
}

void l2l_msg_packet_out(struct of_msg *m, const struct of_packet_in *pi, uint32_t in_port,
                        uint32_t out_port)
{
    memset(m, 0, sizeof *m);
    m->kind = OF_PACKET_OUT;
    struct of_packet_out *po = &m->u.packet_out;
    po->buffer_id = pi->buffer_id;
    po->in_port = in_port;
    of_actions_output(&po->actions, out_port, 0);
    if (pi->buffer_id == OFP_NO_BUFFER) {
        po->data = pi->data;
        po->data_len = pi->data_len;
    }
}
