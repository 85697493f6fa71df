/* test_ofp10_codec.c - OpenFlow 1.0 codec: round trips, exact bytes, what
 * 1.0 cannot express.
 *
 * Written from the OpenFlow 1.0.0 specification (wire protocol 0x01). Every
 * kind 1.0 has goes through of_encode(OF_VERSION_1_0, ...) and of_decode()
 * and is compared field by field; a few messages are checked byte for byte
 * against layouts computed by hand; every refusal of the 1.0 encoder is
 * checked for its exact ofperr and for leaving the buffer untouched.
 * Malformed input lives in test_ofp10_malformed.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ofp/ofp_codec.h"
#include "unit/field_values.h"

#include "unit/assert_ofperr.h"

/* 1.0 wire type of each kind (spec section 5.1, enum ofp_type). */
static const int kind_wire_type[OF_N_KINDS] = {
    [OF_HELLO] = 0,           [OF_ERROR] = 1,
    [OF_ECHO_REQUEST] = 2,    [OF_ECHO_REPLY] = 3,
    [OF_EXPERIMENTER] = 4,    [OF_FEATURES_REQUEST] = 5,
    [OF_FEATURES_REPLY] = 6,  [OF_GET_CONFIG_REQUEST] = 7,
    [OF_GET_CONFIG_REPLY] = 8, [OF_SET_CONFIG] = 9,
    [OF_PACKET_IN] = 10,      [OF_FLOW_REMOVED] = 11,
    [OF_PORT_STATUS] = 12,    [OF_PACKET_OUT] = 13,
    [OF_FLOW_MOD] = 14,       [OF_MULTIPART_REQUEST] = 16,
    [OF_MULTIPART_REPLY] = 17, [OF_BARRIER_REQUEST] = 18,
    [OF_BARRIER_REPLY] = 19,  [OF_ROLE_REQUEST] = -1,
    [OF_ROLE_REPLY] = -1,
};






static struct of_msg *new_msg(enum of_msg_kind kind, uint32_t xid)
{
    struct of_msg *m = calloc(1, sizeof *m);
    assert_non_null(m);
    m->kind = kind;
    m->version = OF_VERSION_1_0;
    m->xid = xid;
    return m;
}

/* Encodes `in` for 1.0, checks the header, decodes into a poisoned message. */
static struct of_msg *roundtrip(const struct of_msg *in, struct obuf *buf)
{
    obuf_init(buf);
    assert_ofperr(of_encode(OF_VERSION_1_0, in, buf), 0);
    assert_true(buf->len >= 8);
    assert_int_equal(buf->data[0], OF_VERSION_1_0);
    assert_int_equal(buf->data[1], kind_wire_type[in->kind]);
    assert_int_equal(rd16(buf->data + 2), buf->len);
    assert_int_equal(of_msg_xid(buf->data), in->xid);
    size_t ml = 0;
    assert_int_equal(of_frame(buf->data, buf->len, &ml), OF_FRAME_OK);
    assert_int_equal(ml, buf->len);
    struct of_msg *out = malloc(sizeof *out);
    assert_non_null(out);
    memset(out, 0xa5, sizeof *out);
    assert_ofperr(of_decode(buf->data, buf->len, out), 0);
    assert_int_equal(out->kind, in->kind);
    assert_int_equal(out->version, OF_VERSION_1_0);
    assert_int_equal(out->xid, in->xid);
    return out;
}

static void assert_bytes(const struct obuf *b, const uint8_t *want, size_t n)
{
    if (b->len != n) {
        fail_msg("encoded %zu bytes, want %zu", b->len, n);
    }
    for (size_t i = 0; i < n; i++) {
        if (b->data[i] != want[i]) {
            fail_msg("byte %zu: got %02x, want %02x", i, b->data[i], want[i]);
        }
    }
}

/* Encoding must fail with `want` and append nothing. */
static void encode_refused(const struct of_msg *m, ofperr want)
{
    struct obuf b;
    obuf_init(&b);
    obuf_put(&b, "keep", 4);
    assert_ofperr(of_encode(OF_VERSION_1_0, m, &b), want);
    assert_int_equal(b.len, 4);
    obuf_free(&b);
}

static void assert_match_same(const struct of_match *a, const struct of_match *b)
{
    assert_int_equal(a->present, b->present);
    assert_int_equal(a->masked, b->masked);
    assert_int_equal(a->n_other, b->n_other);
    assert_true(of_match_equal(a, b));
}

static void assert_port_same(const struct of_port *w, const struct of_port *g)
{
    assert_int_equal(g->port_no, w->port_no);
    assert_memory_equal(g->hw_addr.b, w->hw_addr.b, 6);
    assert_string_equal(g->name, w->name);
    assert_int_equal(g->config, w->config);
    assert_int_equal(g->state, w->state);
    assert_int_equal(g->curr, w->curr);
    assert_int_equal(g->advertised, w->advertised);
    assert_int_equal(g->supported, w->supported);
    assert_int_equal(g->peer, w->peer);
    assert_int_equal(g->curr_speed, 0); /* 1.0 has no speeds */
    assert_int_equal(g->max_speed, 0);
}

/* ---- round trips ------------------------------------------------------------ */

static void test_hello(void **state)
{
    struct of_msg *m = new_msg(OF_HELLO, 1);
    struct obuf b;
    struct of_msg *o = roundtrip(m, &b);
    assert_int_equal(b.len, 8);
    assert_false(o->u.hello.has_bitmap);
    free(o);
    obuf_free(&b);
    m->u.hello.has_bitmap = true;
    m->u.hello.version_bitmap = (1u << 1) | (1u << 4);
    o = roundtrip(m, &b);
    assert_int_equal(b.len, 16);
    assert_true(o->u.hello.has_bitmap);
    assert_int_equal(o->u.hello.version_bitmap, 0x12);
    free(o);
    obuf_free(&b);
    free(m);
}

/* Abstract (1.3-numbered) errors that 1.0 has too survive the trip. */
static void test_error_mapped_both_ways(void **state)
{
    static const uint16_t same[][2] = {
        {OFPET_HELLO_FAILED, 0},    {OFPET_BAD_REQUEST, 1},    {OFPET_BAD_REQUEST, 6},
        {OFPET_BAD_REQUEST, 8},     {OFPET_BAD_ACTION, 4},     {OFPET_BAD_ACTION, 7},
        {OFPET_FLOW_MOD_FAILED, 1}, {OFPET_FLOW_MOD_FAILED, 3}, {OFPET_FLOW_MOD_FAILED, 4},
        {OFPET_FLOW_MOD_FAILED, 5}, {OFPET_FLOW_MOD_FAILED, 6}, {OFPET_FLOW_MOD_FAILED, 0},
        {OFPET_PORT_MOD_FAILED, 1}, {OFPET_QUEUE_OP_FAILED, 2},
    };
    static const uint8_t data[] = {1, 14, 0, 8, 0, 0, 0, 9};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        struct of_msg *m = new_msg(OF_ERROR, 7);
        m->u.error.type = same[i][0];
        m->u.error.code = same[i][1];
        m->u.error.data = data;
        m->u.error.data_len = sizeof data;
        struct obuf b;
        struct of_msg *o = roundtrip(m, &b);
        assert_int_equal(o->u.error.type, same[i][0]);
        assert_int_equal(o->u.error.code, same[i][1]);
        assert_int_equal(o->u.error.data_len, sizeof data);
        assert_memory_equal(o->u.error.data, data, sizeof data);
        free(o);
        free(m);
        obuf_free(&b);
    }
}

/* 1.3 errors 1.0 lacks become the nearest 1.0 error (then read back as
 * the 1.3 twin of that one). */
static void test_error_nearest(void **state)
{
    static const struct {
        ofperr in;
        uint16_t type10, code10;
    } cases[] = {
        {OFPERR_MATCH_BAD_LEN, 1, 6},         {OFPERR_MATCH_BAD_PREREQ, 3, 5},
        {OFPERR_INST_BAD_LEN, 1, 6},          {OFPERR_INST_UNSUP, 3, 5},
        {OFPERR_ACTION_BAD_SET_TYPE, 2, 0},   {OFPERR_ACTION_BAD_SET_LEN, 2, 1},
        {OFPERR_ACTION_BAD_SET_ARGUMENT, 2, 5}, {OFPERR_BAD_TABLE_ID, 3, 5},
        {OFPERR_FLOW_MOD_BAD_COMMAND, 3, 4},  {OFPERR_CONFIG_BAD_LEN, 1, 6},
        {OFPERR_BAD_MULTIPART, 1, 2},         {OFPERR_BAD_PORT, 1, 5},
    };
    static const uint8_t bad[] = {1, 10, 0, 8, 0, 0, 0, 0x42};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct obuf b;
        obuf_init(&b);
        of_encode_error_reply(OF_VERSION_1_0, cases[i].in, bad, sizeof bad, &b);
        assert_int_equal(b.len, 12 + sizeof bad);
        assert_int_equal(b.data[0], 1);
        assert_int_equal(b.data[1], 1);
        assert_int_equal(of_msg_xid(b.data), 0x42);
        assert_int_equal(rd16(b.data + 8), cases[i].type10);
        assert_int_equal(rd16(b.data + 10), cases[i].code10);
        assert_memory_equal(b.data + 12, bad, sizeof bad);
        obuf_free(&b);
    }
}

static void test_echo_and_empty(void **state)
{
    static const enum of_msg_kind empty[] = {OF_FEATURES_REQUEST, OF_GET_CONFIG_REQUEST,
                                             OF_BARRIER_REQUEST, OF_BARRIER_REPLY};
    for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
        struct of_msg *m = new_msg(empty[i], 0x100 + (uint32_t)i);
        struct obuf b;
        struct of_msg *o = roundtrip(m, &b);
        assert_int_equal(b.len, 8);
        free(o);
        free(m);
        obuf_free(&b);
    }
    for (int k = 0; k < 2; k++) {
        struct of_msg *m = new_msg(k ? OF_ECHO_REPLY : OF_ECHO_REQUEST, 9);
        m->u.echo.data = (const uint8_t *)"abc";
        m->u.echo.data_len = 3;
        struct obuf b;
        struct of_msg *o = roundtrip(m, &b);
        assert_int_equal(o->u.echo.data_len, 3);
        assert_memory_equal(o->u.echo.data, "abc", 3);
        free(o);
        free(m);
        obuf_free(&b);
    }
}

static void test_vendor(void **state)
{
    struct of_msg *m = new_msg(OF_EXPERIMENTER, 3);
    m->u.experimenter.experimenter = 0x2320;
    m->u.experimenter.exp_type = 20;
    m->u.experimenter.data = (const uint8_t *)"12345678";
    m->u.experimenter.data_len = 8;
    struct obuf b;
    struct of_msg *o = roundtrip(m, &b);
    assert_int_equal(b.len, 24);
    assert_int_equal(o->u.experimenter.experimenter, 0x2320);
    assert_int_equal(o->u.experimenter.exp_type, 20);
    assert_int_equal(o->u.experimenter.data_len, 8);
    assert_memory_equal(o->u.experimenter.data, "12345678", 8);
    free(o);
    free(m);
    obuf_free(&b);
}

static struct of_port port_a(void)
{
    struct of_port p;
    memset(&p, 0, sizeof p);
    p.port_no = 1;
    p.hw_addr = mac(0x52, 0x54, 0, 0, 0, 0x11);
    strcpy(p.name, "eth1");
    p.config = OFPPC_PORT_DOWN | 64; /* + NO_PACKET_IN */
    p.state = OFPPS_LINK_DOWN;
    p.curr = (1u << 5) | (1u << 11) | (1u << 13); /* 1GB_FD COPPER AUTONEG */
    p.advertised = 0x7f;
    p.supported = (1u << 6) | (1u << 12) | (1u << 15); /* 10GB_FD FIBER PAUSE_ASYM */
    p.peer = 1u << 14;                                 /* PAUSE */
    return p;
}

static struct of_port port_local(void)
{
    struct of_port p;
    memset(&p, 0, sizeof p);
    p.port_no = OFPP_LOCAL;
    p.hw_addr = mac(0x52, 0x54, 0, 0, 0, 0xff);
    strcpy(p.name, "0123456789abcdef"); /* all 16 bytes */
    p.state = 2;                        /* BLOCKED (1.0 STP_BLOCK) */
    return p;
}

static void test_features_reply_with_ports(void **state)
{
    struct of_port ports[2] = {port_a(), port_local()};
    struct of_msg *m = new_msg(OF_FEATURES_REPLY, 4);
    m->u.features.datapath_id = 0x0000525400000001ull;
    m->u.features.n_buffers = 256;
    m->u.features.n_tables = 1;
    m->u.features.capabilities = 1 | 2 | 4 | 32 | 64;
    m->u.features.ports = ports;
    m->u.features.n_ports = 2;
    struct obuf b;
    struct of_msg *o = roundtrip(m, &b);
    assert_int_equal(b.len, 32 + 2 * 48);
    const struct of_features *f = &o->u.features;
    assert_int_equal(f->datapath_id, 0x0000525400000001ull);
    assert_int_equal(f->n_buffers, 256);
    assert_int_equal(f->n_tables, 1);
    assert_int_equal(f->auxiliary_id, 0);
    assert_int_equal(f->capabilities, 1 | 2 | 4 | 32 | 64);
    assert_int_equal(f->port_body_len, 96);
    assert_ptr_equal(f->port_body, b.data + 32);

    /* The ports walk like a 1.0 PORT_DESC reply. */
    struct of_multipart_reply *r = calloc(1, sizeof *r);
    r->mp_type = OFMP_PORT_DESC;
    r->version = o->version;
    r->body = f->port_body;
    r->body_len = f->port_body_len;
    struct of_mp_cursor c;
    struct of_port p;
    of_mp_cursor_init(&c, r);
    assert_true(of_mp_next_port(&c, &p));
    assert_port_same(&ports[0], &p);
    assert_true(of_mp_next_port(&c, &p));
    assert_port_same(&ports[1], &p);
    assert_false(of_mp_next_port(&c, &p));
    free(r);
    free(o);
    obuf_free(&b);

    /* GROUP_STATS (1.3 bit 3) is 1.0's STP bit: not sent. */
    m->u.features.capabilities = 8 | 1;
    m->u.features.n_ports = 0;
    o = roundtrip(m, &b);
    assert_int_equal(o->u.features.capabilities, 1);
    assert_int_equal(o->u.features.port_body_len, 0);
    free(o);
    obuf_free(&b);
    free(m);
}

static void test_config(void **state)
{
    static const enum of_msg_kind kinds[] = {OF_GET_CONFIG_REPLY, OF_SET_CONFIG};
    for (size_t i = 0; i < 2; i++) {
        struct of_msg *m = new_msg(kinds[i], 5);
        m->u.config.flags = 2;
        m->u.config.miss_send_len = OFPCML_NO_BUFFER;
        struct obuf b;
        struct of_msg *o = roundtrip(m, &b);
        assert_int_equal(b.len, 12);
        assert_int_equal(o->u.config.flags, 2);
        assert_int_equal(o->u.config.miss_send_len, 0xffff);
        free(o);
        free(m);
        obuf_free(&b);
    }
}

static const uint8_t frame42[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0, 0, 0, 1,
                                    0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1};

static void test_packet_in(void **state)
{
    struct of_msg *m = new_msg(OF_PACKET_IN, 0x20);
    struct of_packet_in *pi = &m->u.packet_in;
    pi->buffer_id = OFP_NO_BUFFER;
    pi->total_len = 42;
    pi->reason = 1;
    pi->table_id = 3;   /* not in 1.0: dropped */
    pi->cookie = 0x55;  /* not in 1.0: dropped */
    of_match_set_in_port(&pi->match, 7);
    pi->data = frame42;
    pi->data_len = sizeof frame42;
    struct obuf b;
    struct of_msg *o = roundtrip(m, &b);
    assert_int_equal(b.len, 18 + 42);
    const struct of_packet_in *g = &o->u.packet_in;
    assert_int_equal(g->buffer_id, OFP_NO_BUFFER);
    assert_int_equal(g->total_len, 42);
    assert_int_equal(g->reason, 1);
    assert_int_equal(g->table_id, 0);
    assert_int_equal(g->cookie, UINT64_MAX);
    assert_int_equal(g->match.present, 1u << OFF_IN_PORT);
    assert_int_equal(g->match.value[OFF_IN_PORT].u32, 7);
    assert_int_equal(g->data_len, 42);
    assert_memory_equal(g->data, frame42, 42);
    free(o);
    obuf_free(&b);

    /* A reserved in_port maps to its 32-bit twin. */
    of_match_set_in_port(&pi->match, OFPP_LOCAL);
    o = roundtrip(m, &b);
    assert_int_equal(o->u.packet_in.match.value[OFF_IN_PORT].u32, OFPP_LOCAL);
    assert_int_equal(rd16(b.data + 14), 0xfffe);
    free(o);
    obuf_free(&b);
    free(m);
}

/* in_port, dl_src/dst, dl_vlan, dl_type, nw_proto, nw_src/dst /24 and /32. */
static void match_ipv4(struct of_match *m)
{
    of_match_init(m);
    of_match_set_in_port(m, 3);
    of_match_set_eth_src(m, mac(0x52, 0x54, 0, 0, 0, 1));
    of_match_set_eth_dst(m, mac(0x52, 0x54, 0, 0, 0, 2));
    of_match_set(m, OFF_VLAN_VID, v_u16(OFPVID_PRESENT | 10));
    of_match_set_eth_type(m, 0x0800);
    of_match_set(m, OFF_IP_PROTO, (union of_field_value){.u8 = 17});
    of_match_set_ipv4_src(m, 0x0a000000, 0xffffff00);
    of_match_set_ipv4_dst(m, 0x0a010203, 0xffffffff);
}

/* ARP: op, spa (/16), tpa, untagged. */
static void match_arp(struct of_match *m)
{
    of_match_init(m);
    of_match_set(m, OFF_VLAN_VID, v_u16(0));
    of_match_set_eth_type(m, 0x0806);
    of_match_set(m, OFF_ARP_OP, v_u16(1));
    of_match_set_masked(m, OFF_ARP_SPA, v_u32(0x0a000000), v_u32(0xffff0000));
    of_match_set(m, OFF_ARP_TPA, v_u32(0x0a000002));
}

static void test_flow_removed(void **state)
{
    struct of_msg *m = new_msg(OF_FLOW_REMOVED, 0x21);
    struct of_flow_removed *fr = &m->u.flow_removed;
    fr->cookie = 0x1122334455667788ull;
    fr->priority = 100;
    fr->reason = 2;
    fr->duration_sec = 10;
    fr->duration_nsec = 500;
    fr->idle_timeout = 60;
    fr->packet_count = 5;
    fr->byte_count = 600;
    match_ipv4(&fr->match);
    struct obuf b;
    struct of_msg *o = roundtrip(m, &b);
    assert_int_equal(b.len, 88);
    const struct of_flow_removed *g = &o->u.flow_removed;
    assert_int_equal(g->cookie, fr->cookie);
    assert_int_equal(g->priority, 100);
    assert_int_equal(g->reason, 2);
    assert_int_equal(g->table_id, 0);
    assert_int_equal(g->duration_sec, 10);
    assert_int_equal(g->duration_nsec, 500);
    assert_int_equal(g->idle_timeout, 60);
    assert_int_equal(g->hard_timeout, 0);
    assert_int_equal(g->packet_count, 5);
    assert_int_equal(g->byte_count, 600);
    assert_match_same(&fr->match, &g->match);
    free(o);
    obuf_free(&b);
    free(m);
}

static void test_port_status(void **state)
{
    struct of_msg *m = new_msg(OF_PORT_STATUS, 0);
    m->u.port_status.reason = OFPPR_MODIFY;
    m->u.port_status.port = port_a();
    struct obuf b;
    struct of_msg *o = roundtrip(m, &b);
    assert_int_equal(b.len, 64);
    assert_int_equal(o->u.port_status.reason, OFPPR_MODIFY);
    assert_port_same(&m->u.port_status.port, &o->u.port_status.port);
    free(o);
    obuf_free(&b);
    free(m);
}

static void test_packet_out(void **state)
{
    struct of_msg *m = new_msg(OF_PACKET_OUT, 0x22);
    struct of_packet_out *po = &m->u.packet_out;
    po->buffer_id = OFP_NO_BUFFER;
    po->in_port = OFPP_CONTROLLER;
    of_actions_set_field(&po->actions, OFF_ETH_SRC, v_mac(mac(0x52, 0x54, 0, 0, 0, 9)));
    of_actions_output(&po->actions, OFPP_IN_PORT, 0);
    of_actions_output(&po->actions, 4, 0);
    po->data = frame42;
    po->data_len = sizeof frame42;
    struct obuf b;
    struct of_msg *o = roundtrip(m, &b);
    assert_int_equal(b.len, 16 + 16 + 8 + 8 + 42);
    assert_int_equal(o->u.packet_out.buffer_id, OFP_NO_BUFFER);
    assert_int_equal(o->u.packet_out.in_port, OFPP_CONTROLLER);
    assert_true(of_actions_equal(&po->actions, &o->u.packet_out.actions));
    assert_int_equal(o->u.packet_out.data_len, 42);
    assert_memory_equal(o->u.packet_out.data, frame42, 42);
    free(o);
    obuf_free(&b);
    free(m);
}

static void fill_flow_mod(struct of_flow_mod *fm)
{
    of_flow_mod_init(fm, OFPFC_ADD);
    fm->cookie = 0xabcd;
    fm->idle_timeout = 60;
    fm->hard_timeout = 600;
    fm->priority = 100;
    fm->flags = OFPFF_SEND_FLOW_REM | OFPFF_CHECK_OVERLAP;
    match_ipv4(&fm->match);
    fm->insts.present = OFIB_APPLY_ACTIONS;
    struct of_action_list *l = &fm->insts.apply;
    of_actions_pop_vlan(l);
    of_actions_set_field(l, OFF_ETH_DST, v_mac(mac(0x52, 0x54, 0, 0, 0, 7)));
    of_actions_set_field(l, OFF_IPV4_SRC, v_u32(0xc0a80001));
    of_actions_set_field(l, OFF_IPV4_DST, v_u32(0xc0a80002));
    of_actions_set_field(l, OFF_VLAN_VID, v_u16(OFPVID_PRESENT | 20));
    of_actions_output(l, 2, 0);
    of_actions_output(l, OFPP_CONTROLLER, 128);
}

static void assert_flow_mod_same(const struct of_flow_mod *w, const struct of_flow_mod *g)
{
    assert_int_equal(g->cookie, w->cookie);
    assert_int_equal(g->cookie_mask, 0);
    assert_int_equal(g->command, w->command);
    assert_int_equal(g->idle_timeout, w->idle_timeout);
    assert_int_equal(g->hard_timeout, w->hard_timeout);
    assert_int_equal(g->priority, w->priority);
    assert_int_equal(g->buffer_id, w->buffer_id);
    assert_int_equal(g->out_port, w->out_port);
    assert_int_equal(g->out_group, OFPG_ANY);
    assert_int_equal(g->flags, w->flags);
    assert_match_same(&w->match, &g->match);
    assert_int_equal(g->insts.present, w->insts.present);
    assert_true(of_actions_equal(&w->insts.apply, &g->insts.apply));
}

static void test_flow_mod(void **state)
{
    struct of_msg *m = new_msg(OF_FLOW_MOD, 0x30);
    fill_flow_mod(&m->u.flow_mod);
    struct obuf b;
    struct of_msg *o = roundtrip(m, &b);
    assert_int_equal(b.len, 72 + 8 + 16 + 8 + 8 + 8 + 8 + 8);
    assert_flow_mod_same(&m->u.flow_mod, &o->u.flow_mod);
    assert_int_equal(o->u.flow_mod.table_id, 0);
    free(o);
    obuf_free(&b);

    /* ARP fields ride in nw_proto/nw_src/nw_dst. */
    match_arp(&m->u.flow_mod.match);
    o = roundtrip(m, &b);
    assert_flow_mod_same(&m->u.flow_mod, &o->u.flow_mod);
    free(o);
    obuf_free(&b);

    /* RARP too (the mobility application's trigger). */
    of_match_set_eth_type(&m->u.flow_mod.match, 0x8035);
    o = roundtrip(m, &b);
    assert_flow_mod_same(&m->u.flow_mod, &o->u.flow_mod);
    free(o);
    obuf_free(&b);
    free(m);
}

static void test_flow_mod_delete_and_clear(void **state)
{
    struct of_msg *m = new_msg(OF_FLOW_MOD, 0x31);
    struct of_flow_mod *fm = &m->u.flow_mod;
    static const uint8_t cmds[] = {OFPFC_MODIFY, OFPFC_MODIFY_STRICT, OFPFC_DELETE,
                                   OFPFC_DELETE_STRICT};
    for (size_t i = 0; i < sizeof cmds; i++) {
        of_flow_mod_init(fm, cmds[i]);
        bool del = cmds[i] >= OFPFC_DELETE;
        fm->table_id = del ? OFPTT_ALL : 0;
        fm->out_port = del ? 5 : OFPP_ANY;
        of_match_set_eth_dst(&fm->match, mac(0x52, 0x54, 0, 0, 0, 3));
        struct obuf b;
        struct of_msg *o = roundtrip(m, &b);
        assert_flow_mod_same(fm, &o->u.flow_mod);
        assert_int_equal(o->u.flow_mod.table_id, fm->table_id);
        assert_int_equal(b.len, 72);
        free(o);
        obuf_free(&b);
    }
    /* clear-actions adds nothing: a flow with no actions (drop). */
    of_flow_mod_init(fm, OFPFC_ADD);
    fm->insts.present = OFIB_CLEAR_ACTIONS;
    struct obuf b;
    struct of_msg *o = roundtrip(m, &b);
    assert_int_equal(b.len, 72);
    assert_int_equal(o->u.flow_mod.insts.present, 0);
    free(o);
    obuf_free(&b);
    free(m);
}

/* push_vlan + set vlan_vid: one SET_VLAN_VID, read back as the set_field. */
static void test_push_vlan_pair(void **state)
{
    struct of_msg *m = new_msg(OF_PACKET_OUT, 0x23);
    struct of_packet_out *po = &m->u.packet_out;
    po->buffer_id = 77;
    po->in_port = 1;
    of_actions_push_vlan(&po->actions, 0x8100);
    of_actions_set_field(&po->actions, OFF_VLAN_VID, v_u16(OFPVID_PRESENT | 0x123));
    of_actions_output(&po->actions, 2, 0);
    struct obuf b;
    struct of_msg *o = roundtrip(m, &b);
    assert_int_equal(b.len, 16 + 8 + 8);
    static const uint8_t want[] = {0, 1, 0, 8, 0x01, 0x23, 0, 0, 0, 0, 0, 8, 0, 2, 0, 0};
    assert_memory_equal(b.data + 16, want, sizeof want);
    const struct of_action_list *l = &o->u.packet_out.actions;
    assert_int_equal(l->n, 2);
    assert_int_equal(l->a[0].type, OFAT_SET_FIELD);
    assert_int_equal(l->a[0].u.set_field.field, OFF_VLAN_VID);
    assert_int_equal(l->a[0].u.set_field.value.u16, OFPVID_PRESENT | 0x123);
    assert_int_equal(l->a[1].type, OFAT_OUTPUT);
    free(o);
    obuf_free(&b);
    free(m);
}

static void test_stats_requests(void **state)
{
    struct of_msg *m = new_msg(OF_MULTIPART_REQUEST, 0x40);
    m->u.mp_request.mp_type = OFMP_DESC;
    struct obuf b;
    struct of_msg *o = roundtrip(m, &b);
    assert_int_equal(b.len, 12);
    assert_int_equal(o->u.mp_request.mp_type, OFMP_DESC);
    free(o);
    obuf_free(&b);

    m->u.mp_request.mp_type = OFMP_FLOW;
    struct of_flow_stats_request *f = &m->u.mp_request.flow;
    f->table_id = OFPTT_ALL;
    f->out_port = OFPP_ANY;
    f->out_group = OFPG_ANY;
    match_arp(&f->match);
    o = roundtrip(m, &b);
    assert_int_equal(b.len, 12 + 44);
    const struct of_flow_stats_request *g = &o->u.mp_request.flow;
    assert_int_equal(o->u.mp_request.mp_type, OFMP_FLOW);
    assert_int_equal(g->table_id, OFPTT_ALL);
    assert_int_equal(g->out_port, OFPP_ANY);
    assert_int_equal(rd16(b.data + 12 + 42), 0xffff); /* OFPP_NONE */
    assert_int_equal(g->out_group, OFPG_ANY);
    assert_int_equal(g->cookie, 0);
    assert_int_equal(g->cookie_mask, 0);
    assert_match_same(&f->match, &g->match);
    free(o);
    obuf_free(&b);
    free(m);
}

static void test_stats_replies(void **state)
{
    struct of_msg *m = new_msg(OF_MULTIPART_REPLY, 0x41);
    struct of_multipart_reply *r = &m->u.mp_reply;
    r->mp_type = OFMP_DESC;
    strcpy(r->desc.mfr_desc, "matflow");
    strcpy(r->desc.hw_desc, "fake");
    strcpy(r->desc.sw_desc, "1.0 test");
    strcpy(r->desc.serial_num, "0123456789abcdef0123456789abcdef"); /* all 32 */
    strcpy(r->desc.dp_desc, "dp");
    struct obuf b;
    struct of_msg *o = roundtrip(m, &b);
    assert_int_equal(b.len, 12 + 1056);
    assert_string_equal(o->u.mp_reply.desc.mfr_desc, "matflow");
    assert_string_equal(o->u.mp_reply.desc.hw_desc, "fake");
    assert_string_equal(o->u.mp_reply.desc.sw_desc, "1.0 test");
    assert_string_equal(o->u.mp_reply.desc.serial_num, "0123456789abcdef0123456789abcdef");
    assert_string_equal(o->u.mp_reply.desc.dp_desc, "dp");
    free(o);
    obuf_free(&b);

    struct of_flow_stats *flows = calloc(2, sizeof *flows);
    struct of_flow_mod *fm = calloc(1, sizeof *fm);
    fill_flow_mod(fm);
    flows[0].duration_sec = 3;
    flows[0].duration_nsec = 4;
    flows[0].priority = 100;
    flows[0].idle_timeout = 60;
    flows[0].hard_timeout = 600;
    flows[0].cookie = 0xabcd;
    flows[0].packet_count = 10;
    flows[0].byte_count = 1000;
    flows[0].match = fm->match;
    flows[0].insts = fm->insts;
    flows[1].priority = 0; /* table-miss-like: no match, no actions */
    memset(r, 0, sizeof *r);
    r->mp_type = OFMP_FLOW;
    r->flags = OFPMPF_MORE;
    r->flows = flows;
    r->n_flows = 2;
    o = roundtrip(m, &b);
    assert_int_equal(b.len, 12 + (88 + 64) + 88);
    assert_int_equal(o->u.mp_reply.flags, OFPMPF_MORE);
    assert_int_equal(o->u.mp_reply.version, OF_VERSION_1_0);
    struct of_mp_cursor c;
    struct of_flow_stats *g = malloc(sizeof *g);
    of_mp_cursor_init(&c, &o->u.mp_reply);
    for (int i = 0; i < 2; i++) {
        assert_true(of_mp_next_flow(&c, g));
        assert_int_equal(g->table_id, 0);
        assert_int_equal(g->duration_sec, flows[i].duration_sec);
        assert_int_equal(g->duration_nsec, flows[i].duration_nsec);
        assert_int_equal(g->priority, flows[i].priority);
        assert_int_equal(g->idle_timeout, flows[i].idle_timeout);
        assert_int_equal(g->hard_timeout, flows[i].hard_timeout);
        assert_int_equal(g->cookie, flows[i].cookie);
        assert_int_equal(g->packet_count, flows[i].packet_count);
        assert_int_equal(g->byte_count, flows[i].byte_count);
        assert_match_same(&flows[i].match, &g->match);
        assert_int_equal(g->insts.present, flows[i].insts.present);
        assert_true(of_actions_equal(&flows[i].insts.apply, &g->insts.apply));
    }
    assert_false(of_mp_next_flow(&c, g));
    /* A 1.0 cursor has no table features to walk. */
    struct of_table_features tf;
    of_mp_cursor_init(&c, &o->u.mp_reply);
    assert_false(of_mp_next_table(&c, &tf));
    free(g);
    free(o);
    free(fm);
    free(flows);
    obuf_free(&b);
    free(m);
}

static void test_version_supported(void **state)
{
    assert_true(of_version_supported(OF_VERSION_1_0));
    assert_true(of_version_supported(OF_VERSION_1_3));
    assert_false(of_version_supported(0x02));
}

/* ---- hand-computed bytes ----------------------------------------------------- */

static void test_bytes_features_request(void **state)
{
    struct of_msg *m = new_msg(OF_FEATURES_REQUEST, 0x07);
    struct obuf b;
    obuf_init(&b);
    assert_ofperr(of_encode(OF_VERSION_1_0, m, &b), 0);
    static const uint8_t want[] = {0x01, 0x05, 0x00, 0x08, 0x00, 0x00, 0x00, 0x07};
    assert_bytes(&b, want, sizeof want);
    obuf_free(&b);
    free(m);
}

/* Wildcards: all (0x3fffff) with each address count at 32 is 0x3820ff;
 * in_port, dl_type, nw_proto exact clears 0x31 -> 0x3820ce; nw_dst /16
 * puts 16 in bits 14-19 -> 0x3420ce. */
static void test_bytes_flow_mod(void **state)
{
    struct of_msg *m = new_msg(OF_FLOW_MOD, 0x30);
    struct of_flow_mod *fm = &m->u.flow_mod;
    of_flow_mod_init(fm, OFPFC_ADD);
    fm->cookie = 0x1234;
    fm->idle_timeout = 60;
    fm->priority = 100;
    fm->flags = OFPFF_SEND_FLOW_REM;
    of_match_set_in_port(&fm->match, 1);
    of_match_set_eth_type(&fm->match, 0x0800);
    of_match_set(&fm->match, OFF_IP_PROTO, (union of_field_value){.u8 = 6});
    of_match_set_ipv4_dst(&fm->match, 0x0a010000, 0xffff0000);
    fm->insts.present = OFIB_APPLY_ACTIONS;
    of_actions_set_field(&fm->insts.apply, OFF_ETH_DST, v_mac(mac(0x52, 0x54, 0, 0, 0, 9)));
    of_actions_output(&fm->insts.apply, 2, 0);
    static const uint8_t want[] = {
        0x01, 0x0e, 0x00, 0x60, 0x00, 0x00, 0x00, 0x30,             /* header, 96 bytes */
        0x00, 0x34, 0x20, 0xce, 0x00, 0x01,                         /* wildcards, in_port */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,                         /* dl_src, dl_dst */
        0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x06, 0x00, 0x00, /* vlan pcp pad type tos proto pad */
        0x00, 0x00, 0x00, 0x00, 0x0a, 0x01, 0x00, 0x00,             /* nw_src, nw_dst */
        0x00, 0x00, 0x00, 0x00,                                     /* tp_src, tp_dst */
        0, 0, 0, 0, 0, 0, 0x12, 0x34,                               /* cookie */
        0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00, 0x64,             /* ADD idle hard prio */
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x01,             /* buffer out_port flags */
        0x00, 0x05, 0x00, 0x10, 0x52, 0x54, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, /* SET_DL_DST */
        0x00, 0x00, 0x00, 0x08, 0x00, 0x02, 0x00, 0x00,             /* OUTPUT:2 */
    };
    struct obuf b;
    obuf_init(&b);
    assert_ofperr(of_encode(OF_VERSION_1_0, m, &b), 0);
    assert_bytes(&b, want, sizeof want);
    obuf_free(&b);
    free(m);
}

static void test_bytes_packet_in_decode(void **state)
{
    static const uint8_t msg[] = {
        0x01, 0x0a, 0x00, 0x1c, 0x00, 0x00, 0x00, 0x05, /* header, 28 bytes */
        0xff, 0xff, 0xff, 0xff, 0x00, 0x0a,             /* buffer_id, total_len */
        0xff, 0xfe, 0x00, 0x00,                         /* in_port LOCAL, NO_MATCH, pad */
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    };
    struct of_msg *o = malloc(sizeof *o);
    assert_ofperr(of_decode(msg, sizeof msg, o), 0);
    assert_int_equal(o->kind, OF_PACKET_IN);
    assert_int_equal(o->version, 1);
    assert_int_equal(o->xid, 5);
    assert_int_equal(o->u.packet_in.buffer_id, OFP_NO_BUFFER);
    assert_int_equal(o->u.packet_in.total_len, 10);
    assert_int_equal(o->u.packet_in.reason, 0);
    assert_int_equal(o->u.packet_in.match.value[OFF_IN_PORT].u32, OFPP_LOCAL);
    assert_ptr_equal(o->u.packet_in.data, msg + 18);
    assert_int_equal(o->u.packet_in.data_len, 10);
    free(o);
}

/* A 1.0 switch's "all tables full" (3, 0) reads as 1.3's (5, 1). */
static void test_bytes_error_decode(void **state)
{
    static const uint8_t msg[] = {0x01, 0x01, 0x00, 0x14, 0, 0, 0, 0x99, 0x00, 0x03, 0x00, 0x00,
                                  0x01, 0x0e, 0x00, 0x48, 0, 0, 0, 0x99};
    struct of_msg *o = malloc(sizeof *o);
    assert_ofperr(of_decode(msg, sizeof msg, o), 0);
    assert_int_equal(o->kind, OF_ERROR);
    assert_int_equal(o->u.error.type, OFPET_FLOW_MOD_FAILED);
    assert_int_equal(o->u.error.code, 1);
    assert_int_equal(o->u.error.data_len, 8);
    free(o);
}

/* ---- what 1.0 cannot say ----------------------------------------------------- */

static void test_refuse_match(void **state)
{
    struct of_msg *m = new_msg(OF_FLOW_MOD, 1);
    struct of_flow_mod *fm = &m->u.flow_mod;
    of_flow_mod_init(fm, OFPFC_ADD);
    of_match_set_metadata(&fm->match, 1, UINT64_MAX);
    encode_refused(m, OFPERR_MATCH_BAD_FIELD);

    match_arp(&fm->match);
    of_match_set(&fm->match, OFF_ARP_SHA, v_mac(mac(1, 2, 3, 4, 5, 6)));
    encode_refused(m, OFPERR_MATCH_BAD_FIELD);

    match_arp(&fm->match);
    of_match_set(&fm->match, OFF_ARP_OP, v_u16(0x101)); /* 1.0 keeps 8 bits */
    encode_refused(m, OFPERR_MATCH_BAD_VALUE);

    match_ipv4(&fm->match);
    of_match_set_ipv4_src(&fm->match, 0x0a000001, 0xff00ff00); /* not a prefix */
    encode_refused(m, OFPERR_MATCH_BAD_MASK);

    match_ipv4(&fm->match);
    of_match_set_masked(&fm->match, OFF_ETH_DST, v_mac(mac(1, 0, 0, 0, 0, 0)),
                        v_mac(mac(1, 0, 0, 0, 0, 0)));
    encode_refused(m, OFPERR_MATCH_BAD_MASK);

    match_ipv4(&fm->match);
    of_match_set_masked(&fm->match, OFF_VLAN_VID, v_u16(OFPVID_PRESENT), v_u16(OFPVID_PRESENT));
    encode_refused(m, OFPERR_MATCH_BAD_MASK);

    match_ipv4(&fm->match);
    of_match_set(&fm->match, OFF_VLAN_VID, v_u16(5)); /* no PRESENT bit */
    encode_refused(m, OFPERR_MATCH_BAD_VALUE);

    match_ipv4(&fm->match);
    of_match_set_in_port(&fm->match, 0x10000);
    encode_refused(m, OFPERR_MATCH_BAD_VALUE);

    of_match_init(&fm->match);
    of_match_set_eth_type(&fm->match, 0x86dd);
    of_match_set(&fm->match, OFF_IP_PROTO, (union of_field_value){.u8 = 6});
    encode_refused(m, OFPERR_MATCH_BAD_FIELD);

    of_match_init(&fm->match); /* prerequisites still apply */
    of_match_set_ipv4_dst(&fm->match, 1, UINT32_MAX);
    encode_refused(m, OFPERR_MATCH_BAD_PREREQ);
    free(m);
}

static void test_refuse_instructions_and_actions(void **state)
{
    struct of_msg *m = new_msg(OF_FLOW_MOD, 1);
    struct of_flow_mod *fm = &m->u.flow_mod;
    static const uint32_t insts[] = {OFIB_GOTO_TABLE, OFIB_WRITE_METADATA, OFIB_WRITE_ACTIONS};
    for (size_t i = 0; i < 3; i++) {
        of_flow_mod_init(fm, OFPFC_ADD);
        fm->insts.present = OFIB_APPLY_ACTIONS | insts[i];
        of_actions_output(&fm->insts.apply, 1, 0);
        encode_refused(m, OFPERR_INST_UNSUP);
    }
    of_flow_mod_init(fm, OFPFC_ADD);
    fm->insts.present = OFIB_APPLY_ACTIONS;
    fm->insts.apply.n = 1;
    fm->insts.apply.a[0].type = OFAT_GROUP;
    encode_refused(m, OFPERR_ACTION_BAD_TYPE);
    fm->insts.apply.a[0].type = OFAT_DEC_NW_TTL;
    encode_refused(m, OFPERR_ACTION_BAD_TYPE);

    fm->insts.apply.n = 0;
    of_actions_set_field(&fm->insts.apply, OFF_ARP_SHA, v_mac(mac(1, 2, 3, 4, 5, 6)));
    encode_refused(m, OFPERR_ACTION_BAD_SET_TYPE);
    fm->insts.apply.n = 0;
    of_actions_set_field(&fm->insts.apply, OFF_VLAN_VID, v_u16(0x2001));
    encode_refused(m, OFPERR_ACTION_BAD_SET_ARGUMENT);

    fm->insts.apply.n = 0;
    of_actions_push_vlan(&fm->insts.apply, 0x8100); /* alone: 1.0 cannot push */
    of_actions_output(&fm->insts.apply, 1, 0);
    encode_refused(m, OFPERR_ACTION_BAD_ARGUMENT);
    fm->insts.apply.n = 0;
    of_actions_push_vlan(&fm->insts.apply, 0x88a8);
    of_actions_set_field(&fm->insts.apply, OFF_VLAN_VID, v_u16(OFPVID_PRESENT | 1));
    encode_refused(m, OFPERR_ACTION_BAD_ARGUMENT);

    fm->insts.apply.n = 0;
    of_actions_output(&fm->insts.apply, 0xfff00000, 0); /* no 16-bit number */
    encode_refused(m, OFPERR_ACTION_BAD_OUT_PORT);
    free(m);
}

static void test_refuse_flow_mod_fields(void **state)
{
    struct of_msg *m = new_msg(OF_FLOW_MOD, 1);
    struct of_flow_mod *fm = &m->u.flow_mod;
    of_flow_mod_init(fm, OFPFC_ADD);
    fm->table_id = 1;
    encode_refused(m, OFPERR_BAD_TABLE_ID);
    fm->table_id = OFPTT_ALL; /* only deletes may name every table */
    encode_refused(m, OFPERR_BAD_TABLE_ID);

    of_flow_mod_init(fm, OFPFC_DELETE);
    fm->cookie_mask = 0xff;
    encode_refused(m, OFPERR_FLOW_MOD_BAD_COMMAND);
    of_flow_mod_init(fm, OFPFC_DELETE);
    fm->out_group = 3;
    encode_refused(m, OFPERR_FLOW_MOD_BAD_COMMAND);
    of_flow_mod_init(fm, OFPFC_DELETE);
    fm->out_port = 0x12345;
    encode_refused(m, OFPERR_BAD_PORT);

    of_flow_mod_init(fm, OFPFC_ADD);
    fm->flags = OFPFF_RESET_COUNTS; /* 1.0's bit 2 is EMERG */
    encode_refused(m, OFPERR_MAKE(OFPET_FLOW_MOD_FAILED, 7));
    of_flow_mod_init(fm, OFPFC_ADD);
    fm->command = 5;
    encode_refused(m, OFPERR_FLOW_MOD_BAD_COMMAND);

    /* A cookie mask on ADD means nothing in 1.3 either: accepted. */
    of_flow_mod_init(fm, OFPFC_ADD);
    fm->cookie_mask = 0xff;
    struct obuf b;
    obuf_init(&b);
    assert_ofperr(of_encode(OF_VERSION_1_0, m, &b), 0);
    obuf_free(&b);
    free(m);
}

static void test_refuse_other_kinds(void **state)
{
    struct of_msg *m = new_msg(OF_ROLE_REQUEST, 1);
    encode_refused(m, OFPERR_BAD_TYPE);
    m->kind = OF_ROLE_REPLY;
    encode_refused(m, OFPERR_BAD_TYPE);

    memset(m, 0, sizeof *m);
    m->kind = OF_MULTIPART_REQUEST;
    m->u.mp_request.mp_type = OFMP_PORT_DESC;
    encode_refused(m, OFPERR_BAD_MULTIPART);
    m->u.mp_request.mp_type = OFMP_TABLE_FEATURES;
    encode_refused(m, OFPERR_BAD_MULTIPART);
    m->u.mp_request.mp_type = OFMP_FLOW;
    m->u.mp_request.flow.table_id = OFPTT_ALL;
    m->u.mp_request.flow.out_port = OFPP_ANY;
    m->u.mp_request.flow.out_group = OFPG_ANY;
    m->u.mp_request.flow.cookie_mask = 1; /* 1.0 cannot filter by cookie */
    encode_refused(m, OFPERR_BAD_MULTIPART);

    memset(m, 0, sizeof *m);
    m->kind = OF_MULTIPART_REPLY;
    m->u.mp_reply.mp_type = OFMP_PORT_DESC;
    encode_refused(m, OFPERR_BAD_MULTIPART);

    memset(m, 0, sizeof *m);
    m->kind = OF_ERROR;
    m->u.error.type = 0xffff;
    encode_refused(m, OFPERR_BAD_EXPERIMENTER);

    memset(m, 0, sizeof *m);
    m->kind = OF_PACKET_IN;
    of_match_set_in_port(&m->u.packet_in.match, 1);
    of_match_set_eth_type(&m->u.packet_in.match, 0x0800);
    encode_refused(m, OFPERR_MATCH_BAD_FIELD);

    memset(m, 0, sizeof *m);
    m->kind = OF_PORT_STATUS;
    m->u.port_status.port.port_no = 0x10000;
    encode_refused(m, OFPERR_BAD_PORT);

    memset(m, 0, sizeof *m);
    m->kind = OF_PACKET_OUT;
    m->u.packet_out.in_port = 0x10000;
    encode_refused(m, OFPERR_BAD_PORT);
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hello),
        cmocka_unit_test(test_error_mapped_both_ways),
        cmocka_unit_test(test_error_nearest),
        cmocka_unit_test(test_echo_and_empty),
        cmocka_unit_test(test_vendor),
        cmocka_unit_test(test_features_reply_with_ports),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_packet_in),
        cmocka_unit_test(test_flow_removed),
        cmocka_unit_test(test_port_status),
        cmocka_unit_test(test_packet_out),
        cmocka_unit_test(test_flow_mod),
        cmocka_unit_test(test_flow_mod_delete_and_clear),
        cmocka_unit_test(test_push_vlan_pair),
        cmocka_unit_test(test_stats_requests),
        cmocka_unit_test(test_stats_replies),
        cmocka_unit_test(test_version_supported),
        cmocka_unit_test(test_bytes_features_request),
        cmocka_unit_test(test_bytes_flow_mod),
        cmocka_unit_test(test_bytes_packet_in_decode),
        cmocka_unit_test(test_bytes_error_decode),
        cmocka_unit_test(test_refuse_match),
        cmocka_unit_test(test_refuse_instructions_and_actions),
        cmocka_unit_test(test_refuse_flow_mod_fields),
        cmocka_unit_test(test_refuse_other_kinds),
    };
    return cmocka_run_group_tests_name("ofp10_codec", tests, NULL, NULL);
}
