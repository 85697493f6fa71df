/* golden_gen.c - encodes a fixed list of named OpenFlow 1.3 messages, and
 * OpenFlow 1.0 ones (names starting OF10_).
 *
 * Prints one line per message, "NAME HEX", for tests/golden/run.sh to feed
 * to `ovs-ofctl ofp-print` and compare with tests/golden/expected/NAME.txt.
 * The expected texts were written from the OpenFlow 1.3.5 specification and
 * Open vSwitch's printing rules, not captured from this program. Every
 * message kind matflow encodes appears at least once, with concrete values
 * chosen so that each field shows up in ofp-print's output.
 *
 * With a NAME argument, prints only that message. Exit status is non-zero
 * if any message fails to encode. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ofp/ofp_codec.h"
#include "unit/field_values.h"






/* ARP request 52:54:00:00:00:01 (10.0.0.1) asking for 10.0.0.2. */
static const uint8_t arp_request[42] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06,
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x52, 0x54, 0x00, 0x00, 0x00, 0x01,
    0x0a, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x02,
};

static const uint8_t features_request_7[] = {0x04, 0x05, 0x00, 0x08, 0x00, 0x00, 0x00, 0x07};
static const uint8_t echo_request_9[] = {0x04, 0x02, 0x00, 0x08, 0x00, 0x00, 0x00, 0x09};
static const uint8_t nx_controller_id[] = {0, 0, 0, 0, 0, 0, 0x00, 0x7b};
static const uint8_t barrier_request_61[] = {0x04, 0x14, 0x00, 0x08, 0x00, 0x00, 0x00, 0x61};

static void g_hello(struct of_msg *m)
{
    m->xid = 1;
    m->kind = OF_HELLO;
    m->u.hello.has_bitmap = false;
}

static void g_hello_bitmap(struct of_msg *m)
{
    m->xid = 2;
    m->kind = OF_HELLO;
    m->u.hello.has_bitmap = true;
    m->u.hello.version_bitmap = (1u << 1) | (1u << 4);
}

static void g_error(struct of_msg *m)
{
    m->xid = 7;
    m->kind = OF_ERROR;
    m->u.error.type = OFPET_BAD_REQUEST;
    m->u.error.code = 6; /* OFPBRC_BAD_LEN */
    m->u.error.data = features_request_7;
    m->u.error.data_len = sizeof features_request_7;
}

static void g_error_experimenter(struct of_msg *m)
{
    m->xid = 9;
    m->kind = OF_ERROR;
    m->u.error.type = 0xffff;
    m->u.error.exp_type = 4;
    m->u.error.experimenter = 0x00002320; /* Nicira: NXBRC_MUST_BE_ZERO */
    m->u.error.data = echo_request_9;
    m->u.error.data_len = sizeof echo_request_9;
}

static void g_echo_request(struct of_msg *m)
{
    m->xid = 0x10;
    m->kind = OF_ECHO_REQUEST;
    m->u.echo.data = (const uint8_t *)"matflow!";
    m->u.echo.data_len = 8;
}

static void g_echo_reply(struct of_msg *m)
{
    g_echo_request(m);
    m->kind = OF_ECHO_REPLY;
}

static void g_experimenter(struct of_msg *m)
{
    m->xid = 3;
    m->kind = OF_EXPERIMENTER;
    m->u.experimenter.experimenter = 0x00002320; /* Nicira */
    m->u.experimenter.exp_type = 20;              /* NXT_SET_CONTROLLER_ID */
    m->u.experimenter.data = nx_controller_id;
    m->u.experimenter.data_len = sizeof nx_controller_id;
}

static void g_features_request(struct of_msg *m)
{
    m->xid = 4;
    m->kind = OF_FEATURES_REQUEST;
}

static void g_features_reply(struct of_msg *m)
{
    m->xid = 4;
    m->kind = OF_FEATURES_REPLY;
    m->u.features.datapath_id = 0x0000525400000001ull;
    m->u.features.n_buffers = 256;
    m->u.features.n_tables = 254;
    m->u.features.auxiliary_id = 0;
    m->u.features.capabilities = 0x4f; /* FLOW TABLE PORT GROUP QUEUE stats */
}

static void g_get_config_request(struct of_msg *m)
{
    m->xid = 5;
    m->kind = OF_GET_CONFIG_REQUEST;
}

static void g_get_config_reply(struct of_msg *m)
{
    m->xid = 5;
    m->kind = OF_GET_CONFIG_REPLY;
    m->u.config.flags = 0;
    m->u.config.miss_send_len = 128;
}

static void g_set_config(struct of_msg *m)
{
    m->xid = 6;
    m->kind = OF_SET_CONFIG;
    m->u.config.flags = 1; /* OFPC_FRAG_DROP */
    m->u.config.miss_send_len = OFPCML_NO_BUFFER;
}

static void g_packet_in(struct of_msg *m)
{
    m->xid = 0x20;
    m->kind = OF_PACKET_IN;
    struct of_packet_in *pi = &m->u.packet_in;
    pi->buffer_id = OFP_NO_BUFFER;
    pi->total_len = sizeof arp_request;
    pi->reason = 1; /* OFPR_ACTION */
    pi->table_id = 2;
    pi->cookie = 0x1122;
    of_match_init(&pi->match);
    of_match_set_in_port(&pi->match, 1);
    pi->data = arp_request;
    pi->data_len = sizeof arp_request;
}

static void g_flow_removed(struct of_msg *m)
{
    m->xid = 0x21;
    m->kind = OF_FLOW_REMOVED;
    struct of_flow_removed *fr = &m->u.flow_removed;
    fr->cookie = 0x77;
    fr->priority = 100;
    fr->reason = 2; /* OFPRR_DELETE */
    fr->table_id = 1;
    fr->duration_sec = 5;
    fr->duration_nsec = 0;
    fr->idle_timeout = 10;
    fr->hard_timeout = 0;
    fr->packet_count = 3;
    fr->byte_count = 180;
    of_match_init(&fr->match);
    of_match_set_in_port(&fr->match, 1);
    of_match_set_eth_type(&fr->match, 0x0800);
    of_match_set_ipv4_dst(&fr->match, 0x0a000002, 0xffffffff);
}

static struct of_port port_eth0(void)
{
    struct of_port p;
    memset(&p, 0, sizeof p);
    p.port_no = 3;
    p.hw_addr = mac(0x50, 0x54, 0x00, 0x00, 0x00, 0x03);
    snprintf(p.name, sizeof p.name, "eth0");
    p.config = OFPPC_PORT_DOWN;
    p.state = OFPPS_LINK_DOWN;
    p.curr = 0x2008;       /* 100MB_FD AUTONEG */
    p.advertised = 0x280f; /* 10/100 HD/FD COPPER AUTONEG */
    p.supported = 0x280f;
    p.peer = 0;
    p.curr_speed = 100000;
    p.max_speed = 100000;
    return p;
}

static void g_port_status(struct of_msg *m)
{
    m->xid = 0x22;
    m->kind = OF_PORT_STATUS;
    m->u.port_status.reason = OFPPR_MODIFY;
    m->u.port_status.port = port_eth0();
}

static void g_packet_out(struct of_msg *m)
{
    m->xid = 0x23;
    m->kind = OF_PACKET_OUT;
    struct of_packet_out *po = &m->u.packet_out;
    po->buffer_id = OFP_NO_BUFFER;
    po->in_port = OFPP_CONTROLLER;
    of_actions_set_field(&po->actions, OFF_ETH_DST, v_mac(mac(0x52, 0x54, 0, 0, 0, 2)));
    of_actions_output(&po->actions, 1, 0);
    po->data = arp_request;
    po->data_len = sizeof arp_request;
}

static void g_packet_out_buffered(struct of_msg *m)
{
    m->xid = 0x24;
    m->kind = OF_PACKET_OUT;
    struct of_packet_out *po = &m->u.packet_out;
    po->buffer_id = 0x100;
    po->in_port = 1;
    of_actions_output(&po->actions, OFPP_IN_PORT, 0);
    of_actions_output(&po->actions, OFPP_NORMAL, 0);
    of_actions_output(&po->actions, OFPP_CONTROLLER, 128);
    of_actions_output(&po->actions, OFPP_FLOOD, 0);
}

static void g_flow_mod_ipv4(struct of_msg *m)
{
    m->xid = 0x30;
    m->kind = OF_FLOW_MOD;
    struct of_flow_mod *fm = &m->u.flow_mod;
    of_flow_mod_init(fm, OFPFC_ADD);
    fm->cookie = 0x1234;
    fm->cookie_mask = 0;
    fm->table_id = 1;
    fm->idle_timeout = 60;
    fm->hard_timeout = 0;
    fm->priority = 100;
    fm->buffer_id = OFP_NO_BUFFER;
    fm->out_port = OFPP_ANY;
    fm->out_group = OFPG_ANY;
    fm->flags = OFPFF_SEND_FLOW_REM;
    struct of_match *mt = &fm->match;
    of_match_init(mt);
    of_match_set_in_port(mt, 1);
    of_match_set_metadata(mt, 0x10, 0xf0);
    of_match_set_masked(mt, OFF_ETH_DST, v_mac(mac(0x52, 0x54, 0, 0, 0, 0)),
                        v_mac(mac(0xff, 0xff, 0xff, 0, 0, 0)));
    of_match_set_eth_src(mt, mac(0x52, 0x54, 0, 0, 0, 1));
    of_match_set_eth_type(mt, 0x0800);
    of_match_set(mt, OFF_VLAN_VID, v_u16(OFPVID_PRESENT | 10));
    of_match_set(mt, OFF_IP_PROTO, v_u8(6));
    of_match_set_ipv4_src(mt, 0x0a000000, 0xffffff00);
    of_match_set_ipv4_dst(mt, 0x0a010203, 0xffffffff);
    struct of_instructions *in = &fm->insts;
    memset(in, 0, sizeof *in);
    in->present = OFIB_APPLY_ACTIONS | OFIB_CLEAR_ACTIONS | OFIB_WRITE_ACTIONS |
                  OFIB_WRITE_METADATA | OFIB_GOTO_TABLE;
    of_actions_pop_vlan(&in->apply);
    of_actions_set_field(&in->apply, OFF_ETH_SRC, v_mac(mac(0x52, 0x54, 0, 0, 0, 9)));
    of_actions_output(&in->apply, 2, 0);
    of_actions_output(&in->write, 3, 0);
    in->metadata = 0x1;
    in->metadata_mask = 0xff;
    in->goto_table = 2;
}

static void g_flow_mod_arp(struct of_msg *m)
{
    m->xid = 0x31;
    m->kind = OF_FLOW_MOD;
    struct of_flow_mod *fm = &m->u.flow_mod;
    of_flow_mod_init(fm, OFPFC_ADD);
    fm->cookie = 0;
    fm->table_id = 0;
    fm->idle_timeout = 0;
    fm->hard_timeout = 300;
    fm->priority = 200;
    fm->flags = 0;
    struct of_match *mt = &fm->match;
    of_match_init(mt);
    of_match_set_eth_type(mt, 0x0806);
    of_match_set(mt, OFF_ARP_OP, v_u16(1));
    of_match_set_masked(mt, OFF_ARP_SPA, v_u32(0x0a000000), v_u32(0xff000000));
    of_match_set(mt, OFF_ARP_TPA, v_u32(0x0a000002));
    of_match_set(mt, OFF_ARP_SHA, v_mac(mac(0x52, 0x54, 0, 0, 0, 1)));
    of_match_set_masked(mt, OFF_ARP_THA, v_mac(mac(0x52, 0x54, 0, 0, 0, 0)),
                        v_mac(mac(0xff, 0xff, 0xff, 0, 0, 0)));
    struct of_instructions *in = &fm->insts;
    memset(in, 0, sizeof *in);
    in->present = OFIB_APPLY_ACTIONS;
    of_actions_push_vlan(&in->apply, 0x8100);
    of_actions_set_field(&in->apply, OFF_VLAN_VID, v_u16(OFPVID_PRESENT | 100));
    of_actions_output(&in->apply, OFPP_NORMAL, 0);
    of_actions_output(&in->apply, OFPP_CONTROLLER, OFPCML_NO_BUFFER);
}

static void g_flow_mod_delete(struct of_msg *m)
{
    m->xid = 0x32;
    m->kind = OF_FLOW_MOD;
    struct of_flow_mod *fm = &m->u.flow_mod;
    of_flow_mod_init(fm, OFPFC_DELETE);
    fm->cookie = 0x5;
    fm->cookie_mask = 0xff;
    fm->table_id = 3;
    fm->priority = 0x8000;
    fm->out_port = 2;
    fm->out_group = OFPG_ANY;
    of_match_init(&fm->match);
    of_match_set_masked(&fm->match, OFF_VLAN_VID, v_u16(OFPVID_PRESENT), v_u16(OFPVID_PRESENT));
    memset(&fm->insts, 0, sizeof fm->insts);
}

static void g_mp_desc_request(struct of_msg *m)
{
    m->xid = 0x40;
    m->kind = OF_MULTIPART_REQUEST;
    m->u.mp_request.mp_type = OFMP_DESC;
}

static void g_mp_desc_reply(struct of_msg *m)
{
    m->xid = 0x40;
    m->kind = OF_MULTIPART_REPLY;
    struct of_multipart_reply *r = &m->u.mp_reply;
    r->mp_type = OFMP_DESC;
    snprintf(r->desc.mfr_desc, sizeof r->desc.mfr_desc, "matflow project");
    snprintf(r->desc.hw_desc, sizeof r->desc.hw_desc, "fake switch");
    snprintf(r->desc.sw_desc, sizeof r->desc.sw_desc, "0.1");
    snprintf(r->desc.serial_num, sizeof r->desc.serial_num, "42");
    snprintf(r->desc.dp_desc, sizeof r->desc.dp_desc, "unit test datapath");
}

static void g_mp_port_desc_request(struct of_msg *m)
{
    m->xid = 0x41;
    m->kind = OF_MULTIPART_REQUEST;
    m->u.mp_request.mp_type = OFMP_PORT_DESC;
}

static struct of_port pd_ports[2];

static void g_mp_port_desc_reply(struct of_msg *m)
{
    m->xid = 0x41;
    m->kind = OF_MULTIPART_REPLY;
    memset(pd_ports, 0, sizeof pd_ports);
    pd_ports[0].port_no = 1;
    pd_ports[0].hw_addr = mac(0x50, 0x54, 0, 0, 0, 0x01);
    snprintf(pd_ports[0].name, sizeof pd_ports[0].name, "eth1");
    pd_ports[0].state = 4;         /* OFPPS_LIVE */
    pd_ports[0].curr = 0x2820;     /* 1GB_FD COPPER AUTONEG */
    pd_ports[0].supported = 0x2820;
    pd_ports[0].curr_speed = 1000000;
    pd_ports[0].max_speed = 1000000;
    pd_ports[1].port_no = OFPP_LOCAL;
    pd_ports[1].hw_addr = mac(0x50, 0x54, 0, 0, 0, 0xfe);
    snprintf(pd_ports[1].name, sizeof pd_ports[1].name, "br0");
    pd_ports[1].config = OFPPC_PORT_DOWN;
    pd_ports[1].state = OFPPS_LINK_DOWN;
    struct of_multipart_reply *r = &m->u.mp_reply;
    r->mp_type = OFMP_PORT_DESC;
    r->ports = pd_ports;
    r->n_ports = 2;
}

static void g_mp_flow_request(struct of_msg *m)
{
    m->xid = 0x42;
    m->kind = OF_MULTIPART_REQUEST;
    struct of_multipart_request *r = &m->u.mp_request;
    r->mp_type = OFMP_FLOW;
    r->flow.table_id = 1;
    r->flow.out_port = 2;
    r->flow.out_group = OFPG_ANY;
    r->flow.cookie = 0;
    r->flow.cookie_mask = 0;
    of_match_init(&r->flow.match);
    of_match_set_in_port(&r->flow.match, 1);
    of_match_set_eth_type(&r->flow.match, 0x0800);
}

static struct of_flow_stats fl_stats[2];

static void g_mp_flow_reply(struct of_msg *m)
{
    m->xid = 0x42;
    m->kind = OF_MULTIPART_REPLY;
    memset(fl_stats, 0, sizeof fl_stats);
    struct of_flow_stats *f = &fl_stats[0];
    f->table_id = 1;
    f->duration_sec = 10;
    f->duration_nsec = 500000000;
    f->priority = 100;
    f->idle_timeout = 30;
    f->cookie = 0xabc;
    f->packet_count = 5;
    f->byte_count = 420;
    of_match_init(&f->match);
    of_match_set_in_port(&f->match, 2);
    f->insts.present = OFIB_APPLY_ACTIONS;
    of_actions_output(&f->insts.apply, 1, 0);
    f = &fl_stats[1]; /* table-miss entry: empty match, no instructions */
    of_match_init(&f->match);
    struct of_multipart_reply *r = &m->u.mp_reply;
    r->mp_type = OFMP_FLOW;
    r->flows = fl_stats;
    r->n_flows = 2;
}

static void g_mp_table_features_request(struct of_msg *m)
{
    m->xid = 0x43;
    m->kind = OF_MULTIPART_REQUEST;
    m->u.mp_request.mp_type = OFMP_TABLE_FEATURES;
}

static struct of_table_features tf_tables[1];

static void g_mp_table_features_reply(struct of_msg *m)
{
    m->xid = 0x43;
    m->kind = OF_MULTIPART_REPLY;
    memset(tf_tables, 0, sizeof tf_tables);
    tf_tables[0].table_id = 0;
    snprintf(tf_tables[0].name, sizeof tf_tables[0].name, "classifier");
    tf_tables[0].metadata_match = UINT64_MAX;
    tf_tables[0].metadata_write = UINT64_MAX;
    tf_tables[0].config = 0;
    tf_tables[0].max_entries = 1000000;
    struct of_multipart_reply *r = &m->u.mp_reply;
    r->mp_type = OFMP_TABLE_FEATURES;
    r->tables = tf_tables;
    r->n_tables = 1;
}

static void g_barrier_request(struct of_msg *m)
{
    m->xid = 0x50;
    m->kind = OF_BARRIER_REQUEST;
}

static void g_barrier_reply(struct of_msg *m)
{
    m->xid = 0x50;
    m->kind = OF_BARRIER_REPLY;
}

static void g_role_request(struct of_msg *m)
{
    m->xid = 0x51;
    m->kind = OF_ROLE_REQUEST;
    m->u.role.role = OFPCR_ROLE_MASTER;
    m->u.role.generation_id = 7;
}

static void g_role_reply(struct of_msg *m)
{
    m->xid = 0x51;
    m->kind = OF_ROLE_REPLY;
    m->u.role.role = OFPCR_ROLE_SLAVE;
    m->u.role.generation_id = 0x123456789abcdef0ull;
}


/* ---- OpenFlow 1.0 (wire version 0x01) ------------------------------------ */

static const uint8_t features_request10_7[] = {0x01, 0x05, 0x00, 0x08, 0x00, 0x00, 0x00, 0x07};

static void g10_error(struct of_msg *m)
{
    m->xid = 7;
    m->kind = OF_ERROR;
    m->u.error.type = OFPET_FLOW_MOD_FAILED;
    m->u.error.code = 1; /* 1.3 TABLE_FULL: 1.0 ALL_TABLES_FULL (3, 0) */
    m->u.error.data = features_request10_7;
    m->u.error.data_len = sizeof features_request10_7;
}

static struct of_port port10;

static void g10_features_reply(struct of_msg *m)
{
    m->xid = 4;
    m->kind = OF_FEATURES_REPLY;
    m->u.features.datapath_id = 0x0000525400000001ull;
    m->u.features.n_buffers = 256;
    m->u.features.n_tables = 1;
    m->u.features.capabilities = 0x47; /* FLOW TABLE PORT QUEUE stats */
    memset(&port10, 0, sizeof port10);
    port10.port_no = 1;
    port10.hw_addr = mac(0x52, 0x54, 0x00, 0x00, 0x00, 0x11);
    strcpy(port10.name, "eth1");
    port10.curr = (1u << 5) | (1u << 11) | (1u << 13); /* 1GB-FD COPPER AUTO_NEG */
    port10.advertised = port10.curr;
    port10.supported = port10.curr;
    m->u.features.ports = &port10;
    m->u.features.n_ports = 1;
}

static void g10_set_config(struct of_msg *m)
{
    m->xid = 6;
    m->kind = OF_SET_CONFIG;
    m->u.config.flags = 0;
    m->u.config.miss_send_len = OFPCML_NO_BUFFER;
}

static void g10_packet_in(struct of_msg *m)
{
    m->xid = 0x20;
    m->kind = OF_PACKET_IN;
    m->u.packet_in.buffer_id = OFP_NO_BUFFER;
    m->u.packet_in.total_len = sizeof arp_request;
    m->u.packet_in.reason = 1; /* OFPR_ACTION */
    of_match_set_in_port(&m->u.packet_in.match, 1);
    m->u.packet_in.data = arp_request;
    m->u.packet_in.data_len = sizeof arp_request;
}

static void g10_packet_out(struct of_msg *m)
{
    m->xid = 0x23;
    m->kind = OF_PACKET_OUT;
    m->u.packet_out.buffer_id = OFP_NO_BUFFER;
    m->u.packet_out.in_port = OFPP_CONTROLLER;
    of_actions_set_field(&m->u.packet_out.actions, OFF_ETH_DST,
                         v_mac(mac(0x52, 0x54, 0x00, 0x00, 0x00, 0x02)));
    of_actions_output(&m->u.packet_out.actions, 1, 0);
    m->u.packet_out.data = arp_request;
    m->u.packet_out.data_len = sizeof arp_request;
}

static void g10_flow_mod_ipv4(struct of_msg *m)
{
    m->xid = 0x30;
    m->kind = OF_FLOW_MOD;
    struct of_flow_mod *fm = &m->u.flow_mod;
    of_flow_mod_init(fm, OFPFC_ADD);
    fm->cookie = 0x1234;
    fm->idle_timeout = 60;
    fm->priority = 100;
    fm->flags = OFPFF_SEND_FLOW_REM;
    of_match_set_in_port(&fm->match, 1);
    of_match_set(&fm->match, OFF_VLAN_VID, v_u16(OFPVID_PRESENT | 10));
    of_match_set_eth_src(&fm->match, mac(0x52, 0x54, 0x00, 0x00, 0x00, 0x01));
    of_match_set_eth_dst(&fm->match, mac(0x52, 0x54, 0x00, 0x00, 0x00, 0x02));
    of_match_set_eth_type(&fm->match, 0x0800);
    of_match_set(&fm->match, OFF_IP_PROTO, v_u8(6));
    of_match_set_ipv4_src(&fm->match, 0x0a000000, 0xffffff00);
    of_match_set_ipv4_dst(&fm->match, 0x0a010203, 0xffffffff);
    fm->insts.present = OFIB_APPLY_ACTIONS;
    of_actions_pop_vlan(&fm->insts.apply);
    of_actions_set_field(&fm->insts.apply, OFF_ETH_SRC, v_mac(mac(0x52, 0x54, 0, 0, 0, 0x09)));
    of_actions_set_field(&fm->insts.apply, OFF_IPV4_DST, v_u32(0x0a090909));
    of_actions_output(&fm->insts.apply, 2, 0);
}

static void g10_flow_mod_arp(struct of_msg *m)
{
    m->xid = 0x31;
    m->kind = OF_FLOW_MOD;
    struct of_flow_mod *fm = &m->u.flow_mod;
    of_flow_mod_init(fm, OFPFC_ADD);
    fm->priority = 200;
    fm->hard_timeout = 300;
    of_match_set(&fm->match, OFF_VLAN_VID, v_u16(0)); /* untagged */
    of_match_set_eth_type(&fm->match, 0x0806);
    of_match_set(&fm->match, OFF_ARP_OP, v_u16(1));
    of_match_set_masked(&fm->match, OFF_ARP_SPA, v_u32(0x0a000000), v_u32(0xff000000));
    of_match_set(&fm->match, OFF_ARP_TPA, v_u32(0x0a000002));
    fm->insts.present = OFIB_APPLY_ACTIONS;
    of_actions_push_vlan(&fm->insts.apply, 0x8100);
    of_actions_set_field(&fm->insts.apply, OFF_VLAN_VID, v_u16(OFPVID_PRESENT | 100));
    of_actions_output(&fm->insts.apply, OFPP_NORMAL, 0);
    of_actions_output(&fm->insts.apply, OFPP_CONTROLLER, 0xffff);
}

static void g10_flow_mod_delete(struct of_msg *m)
{
    m->xid = 0x32;
    m->kind = OF_FLOW_MOD;
    struct of_flow_mod *fm = &m->u.flow_mod;
    of_flow_mod_init(fm, OFPFC_DELETE);
    fm->table_id = OFPTT_ALL;
    fm->priority = 0x8000;
    fm->out_port = 2;
    of_match_set_in_port(&fm->match, 3);
}

static void g10_flow_removed(struct of_msg *m)
{
    m->xid = 0x21;
    m->kind = OF_FLOW_REMOVED;
    struct of_flow_removed *fr = &m->u.flow_removed;
    fr->cookie = 0x77;
    fr->priority = 100;
    fr->reason = 2; /* OFPRR_DELETE */
    fr->duration_sec = 5;
    fr->idle_timeout = 10;
    fr->packet_count = 3;
    fr->byte_count = 180;
    of_match_set_in_port(&fr->match, 1);
    of_match_set_eth_type(&fr->match, 0x0800);
    of_match_set_ipv4_dst(&fr->match, 0x0a000002, 0xffffffff);
}

static void g10_port_status(struct of_msg *m)
{
    m->xid = 0x22;
    m->kind = OF_PORT_STATUS;
    m->u.port_status.reason = OFPPR_MODIFY;
    struct of_port *p = &m->u.port_status.port;
    p->port_no = 3;
    p->hw_addr = mac(0x50, 0x54, 0x00, 0x00, 0x00, 0x03);
    strcpy(p->name, "eth0");
    p->config = OFPPC_PORT_DOWN;
    p->state = OFPPS_LINK_DOWN;
    p->curr = (1u << 3) | (1u << 13);                 /* 100MB-FD AUTO_NEG */
    p->advertised = 0xfu | (1u << 11) | (1u << 13); /* 10/100 HD/FD COPPER AUTO_NEG */
    p->supported = p->advertised;
}

static void g10_stats_desc_request(struct of_msg *m)
{
    m->xid = 0x40;
    m->kind = OF_MULTIPART_REQUEST;
    m->u.mp_request.mp_type = OFMP_DESC;
}

static void g10_stats_flow_request(struct of_msg *m)
{
    m->xid = 0x42;
    m->kind = OF_MULTIPART_REQUEST;
    m->u.mp_request.mp_type = OFMP_FLOW;
    struct of_flow_stats_request *f = &m->u.mp_request.flow;
    f->table_id = OFPTT_ALL;
    f->out_port = OFPP_ANY;
    f->out_group = OFPG_ANY;
    of_match_set_in_port(&f->match, 1);
    of_match_set_eth_type(&f->match, 0x0800);
}

static struct of_flow_stats flows10[2];

static void g10_stats_flow_reply(struct of_msg *m)
{
    m->xid = 0x42;
    m->kind = OF_MULTIPART_REPLY;
    m->u.mp_reply.mp_type = OFMP_FLOW;
    memset(flows10, 0, sizeof flows10);
    struct of_flow_stats *f = &flows10[0];
    f->duration_sec = 10;
    f->duration_nsec = 500000000;
    f->priority = 100;
    f->idle_timeout = 30;
    f->cookie = 0xabc;
    f->packet_count = 5;
    f->byte_count = 420;
    of_match_set_in_port(&f->match, 2);
    f->insts.present = OFIB_APPLY_ACTIONS;
    of_actions_output(&f->insts.apply, 1, 0);
    m->u.mp_reply.flows = flows10;
    m->u.mp_reply.n_flows = 2;
}

static void g10_barrier_request(struct of_msg *m)
{
    m->xid = 0x50;
    m->kind = OF_BARRIER_REQUEST;
}

struct golden {
    const char *name;
    void (*build)(struct of_msg *);
    uint8_t version;
};

static const struct golden goldens[] = {
    {"HELLO", g_hello, OF_VERSION_1_3},
    {"HELLO_BITMAP", g_hello_bitmap, OF_VERSION_1_3},
    {"ERROR", g_error, OF_VERSION_1_3},
    {"ERROR_EXPERIMENTER", g_error_experimenter, OF_VERSION_1_3},
    {"ECHO_REQUEST", g_echo_request, OF_VERSION_1_3},
    {"ECHO_REPLY", g_echo_reply, OF_VERSION_1_3},
    {"EXPERIMENTER", g_experimenter, OF_VERSION_1_3},
    {"FEATURES_REQUEST", g_features_request, OF_VERSION_1_3},
    {"FEATURES_REPLY", g_features_reply, OF_VERSION_1_3},
    {"GET_CONFIG_REQUEST", g_get_config_request, OF_VERSION_1_3},
    {"GET_CONFIG_REPLY", g_get_config_reply, OF_VERSION_1_3},
    {"SET_CONFIG", g_set_config, OF_VERSION_1_3},
    {"PACKET_IN", g_packet_in, OF_VERSION_1_3},
    {"FLOW_REMOVED", g_flow_removed, OF_VERSION_1_3},
    {"PORT_STATUS", g_port_status, OF_VERSION_1_3},
    {"PACKET_OUT", g_packet_out, OF_VERSION_1_3},
    {"PACKET_OUT_BUFFERED", g_packet_out_buffered, OF_VERSION_1_3},
    {"FLOW_MOD_IPV4", g_flow_mod_ipv4, OF_VERSION_1_3},
    {"FLOW_MOD_ARP", g_flow_mod_arp, OF_VERSION_1_3},
    {"FLOW_MOD_DELETE", g_flow_mod_delete, OF_VERSION_1_3},
    {"MP_DESC_REQUEST", g_mp_desc_request, OF_VERSION_1_3},
    {"MP_DESC_REPLY", g_mp_desc_reply, OF_VERSION_1_3},
    {"MP_PORT_DESC_REQUEST", g_mp_port_desc_request, OF_VERSION_1_3},
    {"MP_PORT_DESC_REPLY", g_mp_port_desc_reply, OF_VERSION_1_3},
    {"MP_FLOW_REQUEST", g_mp_flow_request, OF_VERSION_1_3},
    {"MP_FLOW_REPLY", g_mp_flow_reply, OF_VERSION_1_3},
    {"MP_TABLE_FEATURES_REQUEST", g_mp_table_features_request, OF_VERSION_1_3},
    {"MP_TABLE_FEATURES_REPLY", g_mp_table_features_reply, OF_VERSION_1_3},
    {"BARRIER_REQUEST", g_barrier_request, OF_VERSION_1_3},
    {"BARRIER_REPLY", g_barrier_reply, OF_VERSION_1_3},
    {"ROLE_REQUEST", g_role_request, OF_VERSION_1_3},
    {"ROLE_REPLY", g_role_reply, OF_VERSION_1_3},
    {"OF10_HELLO", g_hello, OF_VERSION_1_0},
    {"OF10_ERROR", g10_error, OF_VERSION_1_0},
    {"OF10_ECHO_REQUEST", g_echo_request, OF_VERSION_1_0},
    {"OF10_FEATURES_REQUEST", g_features_request, OF_VERSION_1_0},
    {"OF10_FEATURES_REPLY", g10_features_reply, OF_VERSION_1_0},
    {"OF10_SET_CONFIG", g10_set_config, OF_VERSION_1_0},
    {"OF10_PACKET_IN", g10_packet_in, OF_VERSION_1_0},
    {"OF10_PACKET_OUT", g10_packet_out, OF_VERSION_1_0},
    {"OF10_FLOW_MOD_IPV4", g10_flow_mod_ipv4, OF_VERSION_1_0},
    {"OF10_FLOW_MOD_ARP", g10_flow_mod_arp, OF_VERSION_1_0},
    {"OF10_FLOW_MOD_DELETE", g10_flow_mod_delete, OF_VERSION_1_0},
    {"OF10_FLOW_REMOVED", g10_flow_removed, OF_VERSION_1_0},
    {"OF10_PORT_STATUS", g10_port_status, OF_VERSION_1_0},
    {"OF10_STATS_DESC_REQUEST", g10_stats_desc_request, OF_VERSION_1_0},
    {"OF10_STATS_FLOW_REQUEST", g10_stats_flow_request, OF_VERSION_1_0},
    {"OF10_STATS_FLOW_REPLY", g10_stats_flow_reply, OF_VERSION_1_0},
    {"OF10_BARRIER_REQUEST", g10_barrier_request, OF_VERSION_1_0},
};

static void print_hex(const char *name, const struct obuf *b)
{
    printf("%s ", name);
    for (size_t i = 0; i < b->len; i++) {
        printf("%02x", b->data[i]);
    }
    putchar('\n');
}

int main(int argc, char *argv[])
{
    const char *only = argc > 1 ? argv[1] : NULL;
    int status = 0;
    static struct of_msg msg;

    for (size_t i = 0; i < sizeof goldens / sizeof goldens[0]; i++) {
        if (only && strcmp(only, goldens[i].name)) {
            continue;
        }
        memset(&msg, 0, sizeof msg);
        uint8_t version = goldens[i].version;
        msg.version = version;
        goldens[i].build(&msg);
        struct obuf b;
        obuf_init(&b);
        ofperr e = of_encode(version, &msg, &b);
        if (e) {
            fprintf(stderr, "golden_gen: %s: encode failed: %s\n", goldens[i].name,
                    ofperr_name(e));
            status = 1;
        } else {
            print_hex(goldens[i].name, &b);
        }
        obuf_free(&b);
    }

    /* The error reply builder is a separate encoding path. */
    if (!only || !strcmp(only, "ERROR_REPLY")) {
        struct obuf b;
        obuf_init(&b);
        of_encode_error_reply(OF_VERSION_1_3, OFPERR_BAD_TYPE, barrier_request_61,
                              sizeof barrier_request_61, &b);
        print_hex("ERROR_REPLY", &b);
        obuf_free(&b);
    }
    /* The same for a 1.0 peer: 1.3's BAD_MATCH has no 1.0 type. */
    if (!only || !strcmp(only, "OF10_ERROR_REPLY")) {
        static const uint8_t barrier10_61[] = {0x01, 0x12, 0x00, 0x08, 0x00, 0x00, 0x00, 0x61};
        struct obuf b;
        obuf_init(&b);
        of_encode_error_reply(OF_VERSION_1_0, OFPERR_MATCH_BAD_PREREQ, barrier10_61,
                              sizeof barrier10_61, &b);
        print_hex("OF10_ERROR_REPLY", &b);
        obuf_free(&b);
    }
    return status;
}
