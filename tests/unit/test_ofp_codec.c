/* test_ofp_codec.c - OpenFlow 1.3 codec: round trips, exact bytes, framing.
 *
 * Written as an independent tester from the OpenFlow 1.3.5 specification
 * (ONF TS-025). Every message kind in OF_MSG_KINDS is encoded, decoded and
 * compared field by field with comparisons written here (not the codec's
 * own *_equal helpers, which are themselves under test). A handful of
 * messages are also checked byte for byte against layouts computed by hand
 * from the specification's structures (section 7). Malformed input lives in
 * test_ofp_malformed.c. */
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

/* ---- helpers ------------------------------------------------------------ */

#include "unit/assert_ofperr.h"

/* Value width of each match field, from the header's X-macro. */
static const unsigned field_width[OFF_N_FIELDS] = {
#define FW(name, width, maskable) width,
    OF_MATCH_FIELDS(FW)
#undef FW
};

/* OpenFlow 1.3 wire type of each kind (spec section 7.1, enum ofp_type). */
static const uint8_t kind_wire_type[OF_N_KINDS] = {
    [OF_HELLO] = 0,
    [OF_ERROR] = 1,
    [OF_ECHO_REQUEST] = 2,
    [OF_ECHO_REPLY] = 3,
    [OF_EXPERIMENTER] = 4,
    [OF_FEATURES_REQUEST] = 5,
    [OF_FEATURES_REPLY] = 6,
    [OF_GET_CONFIG_REQUEST] = 7,
    [OF_GET_CONFIG_REPLY] = 8,
    [OF_SET_CONFIG] = 9,
    [OF_PACKET_IN] = 10,
    [OF_FLOW_REMOVED] = 11,
    [OF_PORT_STATUS] = 12,
    [OF_PACKET_OUT] = 13,
    [OF_FLOW_MOD] = 14,
    [OF_MULTIPART_REQUEST] = 18,
    [OF_MULTIPART_REPLY] = 19,
    [OF_BARRIER_REQUEST] = 20,
    [OF_BARRIER_REPLY] = 21,
    [OF_ROLE_REQUEST] = 24,
    [OF_ROLE_REPLY] = 25,
};








static void assert_value_equal(enum of_field f, const union of_field_value *a,
                               const union of_field_value *b)
{
    switch (field_width[f]) {
    case 1:
        assert_int_equal(a->u8, b->u8);
        break;
    case 2:
        assert_int_equal(a->u16, b->u16);
        break;
    case 4:
        assert_int_equal(a->u32, b->u32);
        break;
    case 6:
        assert_memory_equal(a->mac.b, b->mac.b, 6);
        break;
    case 8:
        assert_true(a->u64 == b->u64);
        break;
    default:
        fail_msg("field %d has unexpected width %u", (int)f, field_width[f]);
    }
}

static void assert_match_same(const struct of_match *want, const struct of_match *got)
{
    assert_int_equal(got->present, want->present);
    assert_int_equal(got->masked, want->masked);
    assert_int_equal(got->n_other, 0);
    for (int f = 0; f < OFF_N_FIELDS; f++) {
        if (!(want->present & (1u << f))) {
            continue;
        }
        assert_value_equal(f, &want->value[f], &got->value[f]);
        if (want->masked & (1u << f)) {
            assert_value_equal(f, &want->mask[f], &got->mask[f]);
        }
    }
}

static void assert_actions_same(const struct of_action_list *want, const struct of_action_list *got)
{
    assert_int_equal(got->n, want->n);
    for (unsigned i = 0; i < want->n; i++) {
        const struct of_action *w = &want->a[i], *g = &got->a[i];
        assert_int_equal(g->type, w->type);
        switch (w->type) {
        case OFAT_OUTPUT:
            assert_int_equal(g->u.output.port, w->u.output.port);
            assert_int_equal(g->u.output.max_len, w->u.output.max_len);
            break;
        case OFAT_SET_FIELD:
            assert_int_equal(g->u.set_field.field, w->u.set_field.field);
            assert_value_equal(w->u.set_field.field, &w->u.set_field.value, &g->u.set_field.value);
            break;
        case OFAT_PUSH_VLAN:
            assert_int_equal(g->u.push_vlan_ethertype, w->u.push_vlan_ethertype);
            break;
        case OFAT_POP_VLAN:
        case OFAT_DEC_NW_TTL:
            break;
        case OFAT_GROUP:
            assert_int_equal(g->u.group_id, w->u.group_id);
            break;
        }
    }
}

static void assert_insts_same(const struct of_instructions *want, const struct of_instructions *got)
{
    assert_int_equal(got->present, want->present);
    if (want->present & OFIB_GOTO_TABLE) {
        assert_int_equal(got->goto_table, want->goto_table);
    }
    if (want->present & OFIB_WRITE_METADATA) {
        assert_true(got->metadata == want->metadata);
        assert_true(got->metadata_mask == want->metadata_mask);
    }
    if (want->present & OFIB_APPLY_ACTIONS) {
        assert_actions_same(&want->apply, &got->apply);
    }
    if (want->present & OFIB_WRITE_ACTIONS) {
        assert_actions_same(&want->write, &got->write);
    }
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
    assert_int_equal(g->curr_speed, w->curr_speed);
    assert_int_equal(g->max_speed, w->max_speed);
}

static struct of_msg *new_msg(enum of_msg_kind kind, uint32_t xid)
{
    struct of_msg *m = calloc(1, sizeof *m);
    assert_non_null(m);
    m->kind = kind;
    m->version = OF_VERSION_1_3;
    m->xid = xid;
    return m;
}

/* Encodes `in`, checks the header, decodes into a fresh (poisoned) message.
 * The caller frees *outp and the buffer. */
static struct of_msg *roundtrip(const struct of_msg *in, struct obuf *buf)
{
    obuf_init(buf);
    assert_ofperr(of_encode(OF_VERSION_1_3, in, buf), 0);
    assert_true(buf->len >= 8);
    assert_int_equal(buf->data[0], OF_VERSION_1_3);
    assert_int_equal(buf->data[1], kind_wire_type[in->kind]);
    assert_int_equal(rd16(buf->data + 2), buf->len);
    assert_int_equal(of_msg_version(buf->data), OF_VERSION_1_3);
    assert_int_equal(of_msg_type(buf->data), kind_wire_type[in->kind]);
    assert_int_equal(of_msg_xid(buf->data), in->xid);

    size_t ml = 0;
    assert_int_equal(of_frame(buf->data, buf->len, &ml), OF_FRAME_OK);
    assert_int_equal(ml, buf->len);

    struct of_msg *out = malloc(sizeof *out);
    assert_non_null(out);
    memset(out, 0xa5, sizeof *out); /* catch fields the decoder leaves unset */
    assert_ofperr(of_decode(buf->data, buf->len, out), 0);
    assert_int_equal(out->kind, in->kind);
    assert_int_equal(out->version, OF_VERSION_1_3);
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

static void encode_expect(const struct of_msg *m, const uint8_t *want, size_t n)
{
    struct obuf b;
    obuf_init(&b);
    assert_ofperr(of_encode(OF_VERSION_1_3, m, &b), 0);
    assert_bytes(&b, want, n);
    obuf_free(&b);
}

/* Fills a match with every field that can coexist with IPv4 (eth_type 0x0800). */
static void match_ipv4_all(struct of_match *m)
{
    of_match_init(m);
    of_match_set(m, OFF_IN_PORT, v_u32(7));
    of_match_set_masked(m, OFF_METADATA, v_u64(0x0123456700000000ull), v_u64(0xffffffff00000000ull));
    of_match_set(m, OFF_ETH_DST, v_mac(mac(0x52, 0x54, 0x00, 0x12, 0x34, 0x56)));
    of_match_set_masked(m, OFF_ETH_SRC, v_mac(mac(0x52, 0x54, 0x00, 0, 0, 0)),
                        v_mac(mac(0xff, 0xff, 0xff, 0, 0, 0)));
    of_match_set(m, OFF_ETH_TYPE, v_u16(0x0800));
    of_match_set(m, OFF_VLAN_VID, v_u16(OFPVID_PRESENT | 100));
    of_match_set(m, OFF_IP_PROTO, v_u8(17));
    of_match_set_masked(m, OFF_IPV4_SRC, v_u32(0x0a000000), v_u32(0xff000000));
    of_match_set(m, OFF_IPV4_DST, v_u32(0xc0a80102));
}

/* Every field that can coexist with ARP (eth_type 0x0806), masks where allowed. */
static void match_arp_all(struct of_match *m)
{
    of_match_init(m);
    of_match_set(m, OFF_IN_PORT, v_u32(OFPP_LOCAL));
    of_match_set(m, OFF_METADATA, v_u64(0xfedcba9876543210ull));
    of_match_set_masked(m, OFF_ETH_DST, v_mac(mac(0x01, 0, 0, 0, 0, 0)),
                        v_mac(mac(0x01, 0, 0, 0, 0, 0)));
    of_match_set(m, OFF_ETH_SRC, v_mac(mac(0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc)));
    of_match_set(m, OFF_ETH_TYPE, v_u16(0x0806));
    of_match_set_masked(m, OFF_VLAN_VID, v_u16(OFPVID_PRESENT), v_u16(OFPVID_PRESENT));
    of_match_set(m, OFF_ARP_OP, v_u16(2));
    of_match_set_masked(m, OFF_ARP_SPA, v_u32(0x0a010000), v_u32(0xffff0000));
    of_match_set(m, OFF_ARP_TPA, v_u32(0x0a010203));
    of_match_set(m, OFF_ARP_SHA, v_mac(mac(0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc)));
    of_match_set_masked(m, OFF_ARP_THA, v_mac(mac(0x52, 0x54, 0x00, 0, 0, 0)),
                        v_mac(mac(0xff, 0xff, 0xff, 0, 0, 0)));
}

/* An action list with every action kind and the reserved output ports. */
static void actions_all(struct of_action_list *l)
{
    memset(l, 0, sizeof *l);
    assert_true(of_actions_pop_vlan(l));
    assert_true(of_actions_set_field(l, OFF_ETH_SRC, v_mac(mac(0x02, 0, 0, 0, 0, 1))));
    assert_true(of_actions_set_field(l, OFF_ETH_DST, v_mac(mac(0x02, 0, 0, 0, 0, 2))));
    assert_true(of_actions_push_vlan(l, 0x8100));
    assert_true(of_actions_set_field(l, OFF_VLAN_VID, v_u16(OFPVID_PRESENT | 42)));
    assert_true(of_actions_set_field(l, OFF_IPV4_DST, v_u32(0x0a000002)));
    assert_true(of_actions_output(l, 3, 0));
    assert_true(of_actions_output(l, OFPP_IN_PORT, 0));
    assert_true(of_actions_output(l, OFPP_NORMAL, 0));
    assert_true(of_actions_output(l, OFPP_CONTROLLER, OFPCML_NO_BUFFER));
    assert_true(of_actions_output(l, OFPP_CONTROLLER, 128));
    assert_true(of_actions_output(l, OFPP_FLOOD, 0));
    l->a[l->n].type = OFAT_GROUP;
    l->a[l->n].u.group_id = 0x11223344;
    l->n++;
    l->a[l->n].type = OFAT_DEC_NW_TTL;
    l->n++;
}

static struct of_port sample_port(uint32_t no, const char *name)
{
    struct of_port p;
    memset(&p, 0, sizeof p);
    p.port_no = no;
    p.hw_addr = mac(0x50, 0x54, 0x00, 0x00, 0x00, (uint8_t)no);
    snprintf(p.name, sizeof p.name, "%s", name);
    p.config = OFPPC_PORT_DOWN | 0x20;
    p.state = OFPPS_LINK_DOWN | 4;
    p.curr = 0x2008;
    p.advertised = 0x280f;
    p.supported = 0x280f;
    p.peer = 0x0040;
    p.curr_speed = 100000;
    p.max_speed = 10000000;
    return p;
}

/* ---- round trips ------------------------------------------------------- */

static void test_hello_bitmap_roundtrip(void **state)
{
    struct of_msg *m = new_msg(OF_HELLO, 0x01020304);
    m->u.hello.has_bitmap = true;
    m->u.hello.version_bitmap = (1u << 1) | (1u << 4);
    struct obuf b;
    struct of_msg *d = roundtrip(m, &b);
    assert_true(d->u.hello.has_bitmap);
    assert_int_equal(d->u.hello.version_bitmap, 0x12);
    assert_int_equal(b.len, 16);
    free(d);
    free(m);
    obuf_free(&b);
}

static void test_hello_plain_roundtrip(void **state)
{
    struct of_msg *m = new_msg(OF_HELLO, 9);
    m->u.hello.has_bitmap = false;
    struct obuf b;
    struct of_msg *d = roundtrip(m, &b);
    assert_false(d->u.hello.has_bitmap);
    assert_int_equal(b.len, 8);
    free(d);
    free(m);
    obuf_free(&b);
}

static void test_error_roundtrip(void **state)
{
    static const uint8_t bad[] = {0x04, 0x0e, 0x00, 0x50, 0, 0, 0, 7, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    struct of_msg *m = new_msg(OF_ERROR, 7);
    m->u.error.type = OFPET_BAD_MATCH;
    m->u.error.code = 9;
    m->u.error.data = bad;
    m->u.error.data_len = sizeof bad;
    struct obuf b;
    struct of_msg *d = roundtrip(m, &b);
    assert_int_equal(d->u.error.type, OFPET_BAD_MATCH);
    assert_int_equal(d->u.error.code, 9);
    assert_int_equal(d->u.error.data_len, sizeof bad);
    assert_memory_equal(d->u.error.data, bad, sizeof bad);
    /* Payload pointers point into the decoded buffer. */
    assert_true(d->u.error.data >= b.data && d->u.error.data + sizeof bad <= b.data + b.len);
    free(d);
    free(m);
    obuf_free(&b);
}

static void test_error_experimenter_roundtrip(void **state)
{
    static const uint8_t bad[] = {0x04, 0x02, 0x00, 0x08, 0, 0, 0, 9};
    struct of_msg *m = new_msg(OF_ERROR, 8);
    m->u.error.type = 0xffff;
    m->u.error.exp_type = 4;
    m->u.error.experimenter = 0x00002320;
    m->u.error.data = bad;
    m->u.error.data_len = sizeof bad;
    struct obuf b;
    struct of_msg *d = roundtrip(m, &b);
    assert_int_equal(b.len, 16 + sizeof bad);
    assert_int_equal(d->u.error.type, 0xffff);
    assert_int_equal(d->u.error.exp_type, 4);
    assert_int_equal(d->u.error.experimenter, 0x2320);
    assert_int_equal(d->u.error.data_len, sizeof bad);
    assert_memory_equal(d->u.error.data, bad, sizeof bad);
    free(d);
    free(m);
    obuf_free(&b);
}

static void echo_roundtrip(enum of_msg_kind kind, const uint8_t *payload, size_t n)
{
    struct of_msg *m = new_msg(kind, 0xdeadbeef);
    m->u.echo.data = payload;
    m->u.echo.data_len = n;
    struct obuf b;
    struct of_msg *d = roundtrip(m, &b);
    assert_int_equal(b.len, 8 + n);
    assert_int_equal(d->u.echo.data_len, n);
    if (n) {
        assert_memory_equal(d->u.echo.data, payload, n);
    }
    free(d);
    free(m);
    obuf_free(&b);
}

static void test_echo_roundtrip(void **state)
{
    static const uint8_t p[] = "keepalive-1234";
    echo_roundtrip(OF_ECHO_REQUEST, p, sizeof p);
    echo_roundtrip(OF_ECHO_REPLY, p, sizeof p);
    echo_roundtrip(OF_ECHO_REQUEST, NULL, 0);
    echo_roundtrip(OF_ECHO_REPLY, NULL, 0);
}

static void test_experimenter_roundtrip(void **state)
{
    static const uint8_t p[] = {0, 0, 0, 0, 0, 0, 0, 0x7b, 0xaa};
    struct of_msg *m = new_msg(OF_EXPERIMENTER, 3);
    m->u.experimenter.experimenter = 0x00002320;
    m->u.experimenter.exp_type = 20;
    m->u.experimenter.data = p;
    m->u.experimenter.data_len = sizeof p;
    struct obuf b;
    struct of_msg *d = roundtrip(m, &b);
    assert_int_equal(b.len, 16 + sizeof p);
    assert_int_equal(d->u.experimenter.experimenter, 0x2320);
    assert_int_equal(d->u.experimenter.exp_type, 20);
    assert_int_equal(d->u.experimenter.data_len, sizeof p);
    assert_memory_equal(d->u.experimenter.data, p, sizeof p);
    free(d);
    free(m);
    obuf_free(&b);
}

static void empty_roundtrip(enum of_msg_kind kind)
{
    struct of_msg *m = new_msg(kind, 0x7fffffff);
    struct obuf b;
    struct of_msg *d = roundtrip(m, &b);
    assert_int_equal(b.len, 8);
    free(d);
    free(m);
    obuf_free(&b);
}

static void test_empty_bodies_roundtrip(void **state)
{
    empty_roundtrip(OF_FEATURES_REQUEST);
    empty_roundtrip(OF_GET_CONFIG_REQUEST);
    empty_roundtrip(OF_BARRIER_REQUEST);
    empty_roundtrip(OF_BARRIER_REPLY);
}

static void test_features_reply_roundtrip(void **state)
{
    struct of_msg *m = new_msg(OF_FEATURES_REPLY, 11);
    m->u.features.datapath_id = 0xfedcba9876543210ull;
    m->u.features.n_buffers = 0x10000;
    m->u.features.n_tables = 254;
    m->u.features.auxiliary_id = 3;
    m->u.features.capabilities = 0x0000014f;
    struct obuf b;
    struct of_msg *d = roundtrip(m, &b);
    assert_int_equal(b.len, 32);
    assert_true(d->u.features.datapath_id == 0xfedcba9876543210ull);
    assert_int_equal(d->u.features.n_buffers, 0x10000);
    assert_int_equal(d->u.features.n_tables, 254);
    assert_int_equal(d->u.features.auxiliary_id, 3);
    assert_int_equal(d->u.features.capabilities, 0x14f);
    free(d);
    free(m);
    obuf_free(&b);
}

static void config_roundtrip(enum of_msg_kind kind, uint16_t flags, uint16_t msl)
{
    struct of_msg *m = new_msg(kind, 12);
    m->u.config.flags = flags;
    m->u.config.miss_send_len = msl;
    struct obuf b;
    struct of_msg *d = roundtrip(m, &b);
    assert_int_equal(b.len, 12);
    assert_int_equal(d->u.config.flags, flags);
    assert_int_equal(d->u.config.miss_send_len, msl);
    free(d);
    free(m);
    obuf_free(&b);
}

static void test_config_roundtrip(void **state)
{
    config_roundtrip(OF_GET_CONFIG_REPLY, 2, 128);
    config_roundtrip(OF_SET_CONFIG, 1, OFPCML_NO_BUFFER);
}

static void test_packet_in_roundtrip(void **state)
{
    uint8_t frame[60];
    for (size_t i = 0; i < sizeof frame; i++) {
        frame[i] = (uint8_t)(i * 7 + 1);
    }
    struct of_msg *m = new_msg(OF_PACKET_IN, 13);
    struct of_packet_in *pi = &m->u.packet_in;
    pi->buffer_id = 0x00000111;
    pi->total_len = 1500;
    pi->reason = 1;
    pi->table_id = 3;
    pi->cookie = 0x0102030405060708ull;
    of_match_init(&pi->match);
    of_match_set_in_port(&pi->match, 2);
    of_match_set_metadata(&pi->match, 0xabcdef, UINT64_MAX);
    pi->data = frame;
    pi->data_len = sizeof frame;
    struct obuf b;
    struct of_msg *d = roundtrip(m, &b);
    const struct of_packet_in *g = &d->u.packet_in;
    assert_int_equal(g->buffer_id, 0x111);
    assert_int_equal(g->total_len, 1500);
    assert_int_equal(g->reason, 1);
    assert_int_equal(g->table_id, 3);
    assert_true(g->cookie == 0x0102030405060708ull);
    assert_match_same(&pi->match, &g->match);
    assert_int_equal(g->data_len, sizeof frame);
    assert_memory_equal(g->data, frame, sizeof frame);
    free(d);
    free(m);
    obuf_free(&b);
}

static void test_packet_in_every_field_roundtrip(void **state)
{
    static const uint8_t frame[] = {1, 2, 3};
    struct of_msg *m = new_msg(OF_PACKET_IN, 14);
    struct of_packet_in *pi = &m->u.packet_in;
    pi->buffer_id = OFP_NO_BUFFER;
    pi->total_len = 3;
    pi->reason = 0;
    pi->table_id = 0;
    pi->cookie = UINT64_MAX;
    match_arp_all(&pi->match);
    pi->data = frame;
    pi->data_len = sizeof frame;
    struct obuf b;
    struct of_msg *d = roundtrip(m, &b);
    assert_match_same(&pi->match, &d->u.packet_in.match);
    assert_int_equal(d->u.packet_in.buffer_id, OFP_NO_BUFFER);
    assert_true(d->u.packet_in.cookie == UINT64_MAX);
    assert_int_equal(d->u.packet_in.data_len, 3);
    assert_memory_equal(d->u.packet_in.data, frame, 3);
    free(d);
    free(m);
    obuf_free(&b);
}

static void test_flow_removed_roundtrip(void **state)
{
    struct of_msg *m = new_msg(OF_FLOW_REMOVED, 15);
    struct of_flow_removed *fr = &m->u.flow_removed;
    fr->cookie = 0x1122334455667788ull;
    fr->priority = 0x7fff;
    fr->reason = 2;
    fr->table_id = 5;
    fr->duration_sec = 100000;
    fr->duration_nsec = 999999999;
    fr->idle_timeout = 60;
    fr->hard_timeout = 3600;
    fr->packet_count = 0x100000000ull;
    fr->byte_count = 0xfffffffffffull;
    match_ipv4_all(&fr->match);
    struct obuf b;
    struct of_msg *d = roundtrip(m, &b);
    const struct of_flow_removed *g = &d->u.flow_removed;
    assert_true(g->cookie == fr->cookie);
    assert_int_equal(g->priority, 0x7fff);
    assert_int_equal(g->reason, 2);
    assert_int_equal(g->table_id, 5);
    assert_int_equal(g->duration_sec, 100000);
    assert_int_equal(g->duration_nsec, 999999999);
    assert_int_equal(g->idle_timeout, 60);
    assert_int_equal(g->hard_timeout, 3600);
    assert_true(g->packet_count == fr->packet_count);
    assert_true(g->byte_count == fr->byte_count);
    assert_match_same(&fr->match, &g->match);
    assert_int_equal(b.len % 8, 0);
    free(d);
    free(m);
    obuf_free(&b);
}

static void test_port_status_roundtrip(void **state)
{
    for (uint8_t reason = OFPPR_ADD; reason <= OFPPR_MODIFY; reason++) {
        struct of_msg *m = new_msg(OF_PORT_STATUS, 16);
        m->u.port_status.reason = reason;
        m->u.port_status.port = sample_port(OFPP_LOCAL, "br-int-longname"); /* 15 chars */
        struct obuf b;
        struct of_msg *d = roundtrip(m, &b);
        assert_int_equal(b.len, 80);
        assert_int_equal(d->u.port_status.reason, reason);
        assert_port_same(&m->u.port_status.port, &d->u.port_status.port);
        free(d);
        free(m);
        obuf_free(&b);
    }
}

static void test_packet_out_roundtrip(void **state)
{
    static const uint8_t frame[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0,
                                    0,    0,    1,    0x08, 0x06, 0x00};
    struct of_msg *m = new_msg(OF_PACKET_OUT, 17);
    struct of_packet_out *po = &m->u.packet_out;
    po->buffer_id = OFP_NO_BUFFER;
    po->in_port = OFPP_CONTROLLER;
    actions_all(&po->actions);
    po->data = frame;
    po->data_len = sizeof frame;
    struct obuf b;
    struct of_msg *d = roundtrip(m, &b);
    const struct of_packet_out *g = &d->u.packet_out;
    assert_int_equal(g->buffer_id, OFP_NO_BUFFER);
    assert_int_equal(g->in_port, OFPP_CONTROLLER);
    assert_actions_same(&po->actions, &g->actions);
    assert_int_equal(g->data_len, sizeof frame);
    assert_memory_equal(g->data, frame, sizeof frame);
    free(d);
    free(m);
    obuf_free(&b);
}

static void test_packet_out_buffered_roundtrip(void **state)
{
    struct of_msg *m = new_msg(OF_PACKET_OUT, 18);
    struct of_packet_out *po = &m->u.packet_out;
    po->buffer_id = 0x00000100;
    po->in_port = 1;
    memset(&po->actions, 0, sizeof po->actions);
    assert_true(of_actions_output(&po->actions, OFPP_IN_PORT, 0));
    struct obuf b;
    struct of_msg *d = roundtrip(m, &b);
    assert_int_equal(b.len, 24 + 16);
    assert_int_equal(d->u.packet_out.buffer_id, 0x100);
    assert_int_equal(d->u.packet_out.in_port, 1);
    assert_actions_same(&po->actions, &d->u.packet_out.actions);
    assert_int_equal(d->u.packet_out.data_len, 0);
    free(d);
    free(m);
    obuf_free(&b);
}

static void fill_flow_mod(struct of_flow_mod *fm, uint8_t command)
{
    of_flow_mod_init(fm, command);
    fm->cookie = 0xa1a2a3a4a5a6a7a8ull;
    fm->cookie_mask = 0xffff0000ffff0000ull;
    fm->table_id = 4;
    fm->idle_timeout = 30;
    fm->hard_timeout = 300;
    fm->priority = 0x1234;
    fm->buffer_id = 0x42;
    fm->out_port = 9;
    fm->out_group = 0x77;
    fm->flags = OFPFF_SEND_FLOW_REM | OFPFF_CHECK_OVERLAP | OFPFF_RESET_COUNTS;
    struct of_instructions *in = &fm->insts;
    memset(in, 0, sizeof *in);
    in->present = OFIB_GOTO_TABLE | OFIB_WRITE_METADATA | OFIB_WRITE_ACTIONS |
                  OFIB_APPLY_ACTIONS | OFIB_CLEAR_ACTIONS;
    in->goto_table = 9;
    in->metadata = 0x00000000000000a0ull;
    in->metadata_mask = 0x00000000000000f0ull;
    actions_all(&in->apply);
    assert_true(of_actions_output(&in->write, 5, 0));
    assert_true(of_actions_set_field(&in->write, OFF_ETH_DST, v_mac(mac(2, 2, 2, 2, 2, 2))));
}

static void flow_mod_roundtrip(const struct of_flow_mod *fm)
{
    struct of_msg *m = new_msg(OF_FLOW_MOD, 19);
    m->u.flow_mod = *fm;
    struct obuf b;
    struct of_msg *d = roundtrip(m, &b);
    const struct of_flow_mod *g = &d->u.flow_mod;
    assert_true(g->cookie == fm->cookie);
    assert_true(g->cookie_mask == fm->cookie_mask);
    assert_int_equal(g->table_id, fm->table_id);
    assert_int_equal(g->command, fm->command);
    assert_int_equal(g->idle_timeout, fm->idle_timeout);
    assert_int_equal(g->hard_timeout, fm->hard_timeout);
    assert_int_equal(g->priority, fm->priority);
    assert_int_equal(g->buffer_id, fm->buffer_id);
    assert_int_equal(g->out_port, fm->out_port);
    assert_int_equal(g->out_group, fm->out_group);
    assert_int_equal(g->flags, fm->flags);
    assert_match_same(&fm->match, &g->match);
    assert_insts_same(&fm->insts, &g->insts);
    /* The codec's own comparisons must agree with ours. */
    assert_true(of_match_equal(&fm->match, &g->match));
    assert_true(of_instructions_equal(&fm->insts, &g->insts));
    assert_int_equal(b.len % 8, 0);
    free(d);
    free(m);
    obuf_free(&b);
}

static void test_flow_mod_ipv4_roundtrip(void **state)
{
    struct of_flow_mod fm;
    fill_flow_mod(&fm, OFPFC_MODIFY_STRICT);
    match_ipv4_all(&fm.match);
    flow_mod_roundtrip(&fm);
}

static void test_flow_mod_arp_roundtrip(void **state)
{
    struct of_flow_mod fm;
    fill_flow_mod(&fm, OFPFC_ADD);
    match_arp_all(&fm.match);
    flow_mod_roundtrip(&fm);
}

static void test_flow_mod_commands_roundtrip(void **state)
{
    for (uint8_t c = OFPFC_ADD; c <= OFPFC_DELETE_STRICT; c++) {
        struct of_flow_mod fm;
        of_flow_mod_init(&fm, c);
        of_match_init(&fm.match);
        memset(&fm.insts, 0, sizeof fm.insts);
        fm.priority = c;
        flow_mod_roundtrip(&fm);
    }
}

static void test_flow_mod_single_instructions_roundtrip(void **state)
{
    static const uint32_t bits[] = {OFIB_GOTO_TABLE, OFIB_WRITE_METADATA, OFIB_WRITE_ACTIONS,
                                    OFIB_APPLY_ACTIONS, OFIB_CLEAR_ACTIONS};
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++) {
        struct of_flow_mod fm;
        of_flow_mod_init(&fm, OFPFC_ADD);
        of_match_init(&fm.match);
        of_match_set_eth_type(&fm.match, 0x0800);
        of_match_set_ipv4_dst(&fm.match, 0x0a000001, 0xffffffff);
        memset(&fm.insts, 0, sizeof fm.insts);
        fm.insts.present = bits[i];
        fm.insts.goto_table = 200;
        fm.insts.metadata = 1;
        fm.insts.metadata_mask = UINT64_MAX;
        assert_true(of_actions_output(&fm.insts.apply, OFPP_CONTROLLER, OFPCML_NO_BUFFER));
        assert_true(of_actions_output(&fm.insts.write, OFPP_NORMAL, 0));
        if (bits[i] != OFIB_APPLY_ACTIONS) {
            fm.insts.apply.n = 0;
        }
        if (bits[i] != OFIB_WRITE_ACTIONS) {
            fm.insts.write.n = 0;
        }
        flow_mod_roundtrip(&fm);
    }
}

/* Each field alone (with its prerequisites), exact and masked where maskable. */
static void test_match_each_field_roundtrip(void **state)
{
    struct of_match m;
    union of_field_value vals[OFF_N_FIELDS], masks[OFF_N_FIELDS];
    memset(vals, 0, sizeof vals);
    memset(masks, 0, sizeof masks);
    vals[OFF_IN_PORT].u32 = 0xfffffffe;
    vals[OFF_METADATA].u64 = 0x8000000000000001ull;
    masks[OFF_METADATA].u64 = 0x8000000000000001ull;
    vals[OFF_ETH_DST].mac = mac(0xff, 0xff, 0xff, 0xff, 0xff, 0xfe); /* no 1-bit outside the mask */
    masks[OFF_ETH_DST].mac = mac(0xff, 0xff, 0xff, 0xff, 0xff, 0xfe);
    vals[OFF_ETH_SRC].mac = mac(0x00, 0x11, 0x22, 0x33, 0x44, 0x00);
    masks[OFF_ETH_SRC].mac = mac(0xff, 0xff, 0xff, 0xff, 0xff, 0x00);
    vals[OFF_ETH_TYPE].u16 = 0x88cc;
    vals[OFF_VLAN_VID].u16 = OFPVID_PRESENT | 4095;
    masks[OFF_VLAN_VID].u16 = 0x1fff;
    vals[OFF_IP_PROTO].u8 = 6;
    vals[OFF_IPV4_SRC].u32 = 0xc0a80000;
    masks[OFF_IPV4_SRC].u32 = 0xffff0000;
    vals[OFF_IPV4_DST].u32 = 0x0a000000;
    masks[OFF_IPV4_DST].u32 = 0xff00ff00;
    vals[OFF_ARP_OP].u16 = 1;
    vals[OFF_ARP_SPA].u32 = 0x0a000001;
    masks[OFF_ARP_SPA].u32 = 0xffffffff;
    vals[OFF_ARP_TPA].u32 = 0x0a000000;
    masks[OFF_ARP_TPA].u32 = 0xffffff00;
    vals[OFF_ARP_SHA].mac = mac(0x52, 0x54, 0, 0, 0, 1);
    masks[OFF_ARP_SHA].mac = mac(0xff, 0xff, 0, 0, 0, 0xff);
    vals[OFF_ARP_THA].mac = mac(0, 0, 0, 0, 0, 0);
    masks[OFF_ARP_THA].mac = mac(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

    for (int f = 0; f < OFF_N_FIELDS; f++) {
        bool maskable[] = {
#define FM(name, width, mk) mk,
            OF_MATCH_FIELDS(FM)
#undef FM
        };
        for (int masked = 0; masked <= (maskable[f] ? 1 : 0); masked++) {
            of_match_init(&m);
            if (f == OFF_IP_PROTO || f == OFF_IPV4_SRC || f == OFF_IPV4_DST) {
                of_match_set_eth_type(&m, 0x0800);
            } else if (f >= OFF_ARP_OP) {
                of_match_set_eth_type(&m, 0x0806);
            }
            if (masked) {
                of_match_set_masked(&m, f, vals[f], masks[f]);
            } else {
                of_match_set(&m, f, vals[f]);
            }
            assert_ofperr(of_match_validate(&m), 0);
            struct of_flow_mod fm;
            of_flow_mod_init(&fm, OFPFC_ADD);
            fm.match = m;
            memset(&fm.insts, 0, sizeof fm.insts);
            flow_mod_roundtrip(&fm);
        }
    }
}

static void test_mp_request_simple_roundtrip(void **state)
{
    static const uint16_t types[] = {OFMP_DESC, OFMP_PORT_DESC, OFMP_TABLE_FEATURES};
    for (size_t i = 0; i < 3; i++) {
        struct of_msg *m = new_msg(OF_MULTIPART_REQUEST, 20 + (uint32_t)i);
        m->u.mp_request.mp_type = types[i];
        m->u.mp_request.flags = 0;
        struct obuf b;
        struct of_msg *d = roundtrip(m, &b);
        assert_int_equal(b.len, 16);
        assert_int_equal(d->u.mp_request.mp_type, types[i]);
        assert_int_equal(d->u.mp_request.flags, 0);
        free(d);
        free(m);
        obuf_free(&b);
    }
}

static void test_mp_request_flow_roundtrip(void **state)
{
    struct of_msg *m = new_msg(OF_MULTIPART_REQUEST, 23);
    struct of_multipart_request *r = &m->u.mp_request;
    r->mp_type = OFMP_FLOW;
    r->flags = 0;
    r->flow.table_id = 7;
    r->flow.out_port = 3;
    r->flow.out_group = 0x10;
    r->flow.cookie = 0x55;
    r->flow.cookie_mask = 0xff;
    match_ipv4_all(&r->flow.match);
    struct obuf b;
    struct of_msg *d = roundtrip(m, &b);
    const struct of_flow_stats_request *g = &d->u.mp_request.flow;
    assert_int_equal(d->u.mp_request.mp_type, OFMP_FLOW);
    assert_int_equal(g->table_id, 7);
    assert_int_equal(g->out_port, 3);
    assert_int_equal(g->out_group, 0x10);
    assert_true(g->cookie == 0x55);
    assert_true(g->cookie_mask == 0xff);
    assert_match_same(&r->flow.match, &g->match);
    free(d);
    free(m);
    obuf_free(&b);
}

static void fill_desc_string(char *dst, size_t size, char c)
{
    memset(dst, c, size - 1);
    dst[size - 1] = '\0';
}

static void test_mp_reply_desc_roundtrip(void **state)
{
    struct of_msg *m = new_msg(OF_MULTIPART_REPLY, 30);
    struct of_multipart_reply *r = &m->u.mp_reply;
    r->mp_type = OFMP_DESC;
    r->flags = 0;
    /* Longest strings that still fit with their NUL (256 and 32 bytes). */
    fill_desc_string(r->desc.mfr_desc, 256, 'm');
    snprintf(r->desc.hw_desc, sizeof r->desc.hw_desc, "%s", "Open vSwitch");
    snprintf(r->desc.sw_desc, sizeof r->desc.sw_desc, "%s", "3.1.0");
    fill_desc_string(r->desc.serial_num, 32, 's');
    snprintf(r->desc.dp_desc, sizeof r->desc.dp_desc, "%s", "");
    struct obuf b;
    struct of_msg *d = roundtrip(m, &b);
    assert_int_equal(b.len, 16 + 1056);
    const struct of_desc *g = &d->u.mp_reply.desc;
    assert_int_equal(d->u.mp_reply.mp_type, OFMP_DESC);
    assert_string_equal(g->mfr_desc, r->desc.mfr_desc);
    assert_string_equal(g->hw_desc, "Open vSwitch");
    assert_string_equal(g->sw_desc, "3.1.0");
    assert_string_equal(g->serial_num, r->desc.serial_num);
    assert_string_equal(g->dp_desc, "");
    free(d);
    free(m);
    obuf_free(&b);
}

static void test_mp_reply_port_desc_roundtrip(void **state)
{
    struct of_port ports[3] = {sample_port(1, "eth1"), sample_port(2, "eth2"),
                               sample_port(OFPP_LOCAL, "br0")};
    ports[1].config = 0;
    ports[1].state = 0;
    struct of_msg *m = new_msg(OF_MULTIPART_REPLY, 31);
    struct of_multipart_reply *r = &m->u.mp_reply;
    r->mp_type = OFMP_PORT_DESC;
    r->flags = OFPMPF_MORE;
    r->ports = ports;
    r->n_ports = 3;
    struct obuf b;
    struct of_msg *d = roundtrip(m, &b);
    assert_int_equal(b.len, 16 + 3 * 64);
    assert_int_equal(d->u.mp_reply.mp_type, OFMP_PORT_DESC);
    assert_int_equal(d->u.mp_reply.flags, OFPMPF_MORE);
    assert_int_equal(d->u.mp_reply.body_len, 3 * 64);
    struct of_mp_cursor c;
    of_mp_cursor_init(&c, &d->u.mp_reply);
    for (int i = 0; i < 3; i++) {
        struct of_port p;
        memset(&p, 0xee, sizeof p);
        assert_true(of_mp_next_port(&c, &p));
        assert_port_same(&ports[i], &p);
    }
    struct of_port extra;
    assert_false(of_mp_next_port(&c, &extra));
    free(d);
    free(m);
    obuf_free(&b);
}

static void test_mp_reply_port_desc_empty(void **state)
{
    struct of_msg *m = new_msg(OF_MULTIPART_REPLY, 32);
    m->u.mp_reply.mp_type = OFMP_PORT_DESC;
    struct obuf b;
    struct of_msg *d = roundtrip(m, &b);
    assert_int_equal(b.len, 16);
    struct of_mp_cursor c;
    of_mp_cursor_init(&c, &d->u.mp_reply);
    struct of_port p;
    assert_false(of_mp_next_port(&c, &p));
    free(d);
    free(m);
    obuf_free(&b);
}

static void test_mp_reply_flow_roundtrip(void **state)
{
    struct of_flow_stats fs[2];
    memset(fs, 0, sizeof fs);
    fs[0].table_id = 0;
    fs[0].duration_sec = 10;
    fs[0].duration_nsec = 500000000;
    fs[0].priority = 100;
    fs[0].idle_timeout = 30;
    fs[0].hard_timeout = 0;
    fs[0].flags = OFPFF_SEND_FLOW_REM;
    fs[0].cookie = 0xabc;
    fs[0].packet_count = 5;
    fs[0].byte_count = 420;
    match_arp_all(&fs[0].match);
    fs[0].insts.present = OFIB_APPLY_ACTIONS | OFIB_GOTO_TABLE;
    actions_all(&fs[0].insts.apply);
    fs[0].insts.goto_table = 1;

    fs[1].table_id = 254;
    fs[1].priority = 0;
    fs[1].cookie = UINT64_MAX;
    fs[1].packet_count = UINT64_MAX;
    fs[1].byte_count = 1;
    of_match_init(&fs[1].match); /* table-miss: empty match, no instruction */
    fs[1].insts.present = 0;

    struct of_msg *m = new_msg(OF_MULTIPART_REPLY, 33);
    struct of_multipart_reply *r = &m->u.mp_reply;
    r->mp_type = OFMP_FLOW;
    r->flows = fs;
    r->n_flows = 2;
    struct obuf b;
    struct of_msg *d = roundtrip(m, &b);
    assert_int_equal(d->u.mp_reply.mp_type, OFMP_FLOW);
    struct of_mp_cursor c;
    of_mp_cursor_init(&c, &d->u.mp_reply);
    for (int i = 0; i < 2; i++) {
        struct of_flow_stats *g = calloc(1, sizeof *g);
        assert_non_null(g);
        assert_true(of_mp_next_flow(&c, g));
        assert_int_equal(g->table_id, fs[i].table_id);
        assert_int_equal(g->duration_sec, fs[i].duration_sec);
        assert_int_equal(g->duration_nsec, fs[i].duration_nsec);
        assert_int_equal(g->priority, fs[i].priority);
        assert_int_equal(g->idle_timeout, fs[i].idle_timeout);
        assert_int_equal(g->hard_timeout, fs[i].hard_timeout);
        assert_int_equal(g->flags, fs[i].flags);
        assert_true(g->cookie == fs[i].cookie);
        assert_true(g->packet_count == fs[i].packet_count);
        assert_true(g->byte_count == fs[i].byte_count);
        assert_match_same(&fs[i].match, &g->match);
        assert_insts_same(&fs[i].insts, &g->insts);
        free(g);
    }
    struct of_flow_stats *extra = calloc(1, sizeof *extra);
    assert_false(of_mp_next_flow(&c, extra));
    free(extra);
    free(d);
    free(m);
    obuf_free(&b);
}

static void test_mp_reply_table_features_roundtrip(void **state)
{
    struct of_table_features tf[2];
    memset(tf, 0, sizeof tf);
    tf[0].table_id = 0;
    snprintf(tf[0].name, sizeof tf[0].name, "%s", "classifier");
    tf[0].metadata_match = UINT64_MAX;
    tf[0].metadata_write = 0x00000000ffffffffull;
    tf[0].config = 3;
    tf[0].max_entries = 1000000;
    tf[1].table_id = 1;
    memset(tf[1].name, 'n', 31); /* longest name that fits the 32-byte field */
    tf[1].name[31] = '\0';
    tf[1].max_entries = 16;

    struct of_msg *m = new_msg(OF_MULTIPART_REPLY, 34);
    struct of_multipart_reply *r = &m->u.mp_reply;
    r->mp_type = OFMP_TABLE_FEATURES;
    r->tables = tf;
    r->n_tables = 2;
    struct obuf b;
    struct of_msg *d = roundtrip(m, &b);
    assert_int_equal(d->u.mp_reply.mp_type, OFMP_TABLE_FEATURES);
    struct of_mp_cursor c;
    of_mp_cursor_init(&c, &d->u.mp_reply);
    for (int i = 0; i < 2; i++) {
        struct of_table_features g;
        memset(&g, 0xee, sizeof g);
        assert_true(of_mp_next_table(&c, &g));
        assert_int_equal(g.table_id, tf[i].table_id);
        assert_string_equal(g.name, tf[i].name);
        assert_true(g.metadata_match == tf[i].metadata_match);
        assert_true(g.metadata_write == tf[i].metadata_write);
        assert_int_equal(g.config, tf[i].config);
        assert_int_equal(g.max_entries, tf[i].max_entries);
    }
    struct of_table_features extra;
    assert_false(of_mp_next_table(&c, &extra));
    free(d);
    free(m);
    obuf_free(&b);
}

/* OpenFlow 1.3.5, 7.3.5.5.2: each ofp_table_features entry lists its
 * capabilities as properties; the non-miss ones (INSTRUCTIONS 0,
 * NEXT_TABLES 2, WRITE_ACTIONS 4, APPLY_ACTIONS 6, MATCH 8, WILDCARDS 10,
 * WRITE_SETFIELD 12, APPLY_SETFIELD 14) are required, only the _MISS ones
 * may be omitted when equal. Open vSwitch 3.1 refuses an entry without
 * them (OFPTFFC_BAD_FEATURES, "missing 8 required properties"). */
static void test_table_features_required_properties(void **state)
{
    struct of_table_features tf;
    memset(&tf, 0, sizeof tf);
    tf.table_id = 0;
    snprintf(tf.name, sizeof tf.name, "%s", "t0");
    tf.max_entries = 10;
    struct of_msg *m = new_msg(OF_MULTIPART_REPLY, 35);
    m->u.mp_reply.mp_type = OFMP_TABLE_FEATURES;
    m->u.mp_reply.tables = &tf;
    m->u.mp_reply.n_tables = 1;
    struct obuf b;
    struct of_msg *d = roundtrip(m, &b);

    const uint8_t *e = b.data + 16;
    size_t elen = rd16(e);
    assert_int_equal(elen, b.len - 16);
    assert_true(elen >= 64);
    assert_int_equal(elen % 8, 0);
    unsigned seen = 0, n_props = 0;
    size_t off = 64;
    while (off < elen) {
        assert_true(elen - off >= 4);
        uint16_t type = rd16(e + off), plen = rd16(e + off + 2);
        assert_true(plen >= 4);
        if (type < 16) {
            seen |= 1u << type;
        }
        n_props++;
        off += (plen + 7u) / 8u * 8u;
    }
    assert_int_equal(off, elen);
    const unsigned required = (1u << 0) | (1u << 2) | (1u << 4) | (1u << 6) | (1u << 8) |
                              (1u << 10) | (1u << 12) | (1u << 14);
    if ((seen & required) != required) {
        fail_msg("table features entry lacks required properties: have mask 0x%04x, "
                 "need 0x%04x", seen & required, required);
    }

    struct of_mp_cursor c;
    of_mp_cursor_init(&c, &d->u.mp_reply);
    struct of_table_features g;
    assert_true(of_mp_next_table(&c, &g));
    assert_int_equal(g.n_props, n_props);
    free(d);
    free(m);
    obuf_free(&b);
}

static void role_roundtrip(enum of_msg_kind kind, uint32_t role, uint64_t gen)
{
    struct of_msg *m = new_msg(kind, 40);
    m->u.role.role = role;
    m->u.role.generation_id = gen;
    struct obuf b;
    struct of_msg *d = roundtrip(m, &b);
    assert_int_equal(b.len, 24);
    assert_int_equal(d->u.role.role, role);
    assert_true(d->u.role.generation_id == gen);
    free(d);
    free(m);
    obuf_free(&b);
}

static void test_role_roundtrip(void **state)
{
    role_roundtrip(OF_ROLE_REQUEST, OFPCR_ROLE_MASTER, 0x0123456789abcdefull);
    role_roundtrip(OF_ROLE_REQUEST, OFPCR_ROLE_NOCHANGE, 0);
    role_roundtrip(OF_ROLE_REPLY, OFPCR_ROLE_SLAVE, UINT64_MAX);
    role_roundtrip(OF_ROLE_REPLY, OFPCR_ROLE_EQUAL, 1);
}

/* Every kind in OF_MSG_KINDS has a printable name and was round-tripped
 * above; this keeps the list and the tests in step. */
static void test_every_kind_has_a_name(void **state)
{
    static const char *const names[] = {
#define KN(name, str) str,
        OF_MSG_KINDS(KN)
#undef KN
    };
    for (int k = 0; k < OF_N_KINDS; k++) {
        assert_non_null(of_msg_kind_name(k));
        assert_string_equal(of_msg_kind_name(k), names[k]);
    }
    assert_int_equal(OF_N_KINDS, 21);
}

/* ---- exact bytes (hand-computed from the spec's structs) ---------------- */

static void test_bytes_features_request(void **state)
{
    static const uint8_t want[] = {0x04, 0x05, 0x00, 0x08, 0xca, 0xfe, 0xba, 0xbe};
    struct of_msg *m = new_msg(OF_FEATURES_REQUEST, 0xcafebabe);
    encode_expect(m, want, sizeof want);
    free(m);
}

static void test_bytes_hello_bitmap(void **state)
{
    /* ofp_hello + one OFPHET_VERSIONBITMAP element (type 1, len 8), bit 4. */
    static const uint8_t want[] = {0x04, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x01,
                                   0x00, 0x01, 0x00, 0x08, 0x00, 0x00, 0x00, 0x10};
    struct of_msg *m = new_msg(OF_HELLO, 1);
    m->u.hello.has_bitmap = true;
    m->u.hello.version_bitmap = 1u << 4;
    encode_expect(m, want, sizeof want);
    free(m);
}

static void test_bytes_hello_plain(void **state)
{
    static const uint8_t want[] = {0x04, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x02};
    struct of_msg *m = new_msg(OF_HELLO, 2);
    encode_expect(m, want, sizeof want);
    free(m);
}

static void test_bytes_barrier_and_get_config(void **state)
{
    static const uint8_t breq[] = {0x04, 0x14, 0x00, 0x08, 0, 0, 0x01, 0x00};
    static const uint8_t brep[] = {0x04, 0x15, 0x00, 0x08, 0, 0, 0x01, 0x00};
    static const uint8_t gcr[] = {0x04, 0x07, 0x00, 0x08, 0, 0, 0x01, 0x00};
    struct of_msg *m = new_msg(OF_BARRIER_REQUEST, 0x100);
    encode_expect(m, breq, sizeof breq);
    m->kind = OF_BARRIER_REPLY;
    encode_expect(m, brep, sizeof brep);
    m->kind = OF_GET_CONFIG_REQUEST;
    encode_expect(m, gcr, sizeof gcr);
    free(m);
}

static void test_bytes_echo(void **state)
{
    static const uint8_t want[] = {0x04, 0x02, 0x00, 0x0b, 0, 0, 0, 5, 'a', 'b', 'c'};
    struct of_msg *m = new_msg(OF_ECHO_REQUEST, 5);
    m->u.echo.data = (const uint8_t *)"abc";
    m->u.echo.data_len = 3;
    encode_expect(m, want, sizeof want);
    free(m);
}

static void test_bytes_error(void **state)
{
    static const uint8_t want[] = {0x04, 0x01, 0x00, 0x10, 0, 0, 0, 6,
                                   0x00, 0x01, 0x00, 0x06, 0xd1, 0xd2, 0xd3, 0xd4};
    static const uint8_t data[] = {0xd1, 0xd2, 0xd3, 0xd4};
    struct of_msg *m = new_msg(OF_ERROR, 6);
    m->u.error.type = OFPET_BAD_REQUEST;
    m->u.error.code = 6;
    m->u.error.data = data;
    m->u.error.data_len = 4;
    encode_expect(m, want, sizeof want);
    free(m);
}

static void test_bytes_set_config(void **state)
{
    static const uint8_t want[] = {0x04, 0x09, 0x00, 0x0c, 0, 0, 0, 3, 0x00, 0x01, 0x00, 0x80};
    struct of_msg *m = new_msg(OF_SET_CONFIG, 3);
    m->u.config.flags = 1;
    m->u.config.miss_send_len = 128;
    encode_expect(m, want, sizeof want);
    free(m);
}

static void test_bytes_features_reply(void **state)
{
    static const uint8_t want[] = {0x04, 0x06, 0x00, 0x20, 0, 0, 0, 4,
                                   0x00, 0x00, 0x52, 0x54, 0x00, 0x00, 0x00, 0x01,
                                   0x00, 0x00, 0x01, 0x00, 0xfe, 0x02, 0x00, 0x00,
                                   0x00, 0x00, 0x00, 0x4f, 0x00, 0x00, 0x00, 0x00};
    struct of_msg *m = new_msg(OF_FEATURES_REPLY, 4);
    m->u.features.datapath_id = 0x0000525400000001ull;
    m->u.features.n_buffers = 256;
    m->u.features.n_tables = 254;
    m->u.features.auxiliary_id = 2;
    m->u.features.capabilities = 0x4f;
    encode_expect(m, want, sizeof want);
    free(m);
}

static void test_bytes_role_request(void **state)
{
    static const uint8_t want[] = {0x04, 0x18, 0x00, 0x18, 0, 0, 0, 2,
                                   0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
                                   0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07};
    struct of_msg *m = new_msg(OF_ROLE_REQUEST, 2);
    m->u.role.role = OFPCR_ROLE_MASTER;
    m->u.role.generation_id = 7;
    encode_expect(m, want, sizeof want);
    free(m);
}

static void test_bytes_multipart_requests(void **state)
{
    static const uint8_t desc[] = {0x04, 0x12, 0x00, 0x10, 0, 0, 0, 1,
                                   0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    static const uint8_t pdesc[] = {0x04, 0x12, 0x00, 0x10, 0, 0, 0, 1,
                                    0x00, 0x0d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    /* ofp_multipart_request + ofp_flow_stats_request + empty OXM match. */
    static const uint8_t flow[] = {
        0x04, 0x12, 0x00, 0x38, 0, 0, 0, 1,                 /* header */
        0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,     /* OFPMP_FLOW, flags, pad */
        0xff, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,     /* table_id ALL, pad, out_port ANY */
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,     /* out_group ANY, pad */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,     /* cookie */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,     /* cookie_mask */
        0x00, 0x01, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00,     /* OFPMT_OXM, len 4, pad */
    };
    struct of_msg *m = new_msg(OF_MULTIPART_REQUEST, 1);
    m->u.mp_request.mp_type = OFMP_DESC;
    encode_expect(m, desc, sizeof desc);
    m->u.mp_request.mp_type = OFMP_PORT_DESC;
    encode_expect(m, pdesc, sizeof pdesc);
    m->u.mp_request.mp_type = OFMP_FLOW;
    m->u.mp_request.flow.table_id = OFPTT_ALL;
    m->u.mp_request.flow.out_port = OFPP_ANY;
    m->u.mp_request.flow.out_group = OFPG_ANY;
    of_match_init(&m->u.mp_request.flow.match);
    encode_expect(m, flow, sizeof flow);
    free(m);
}

static void test_bytes_flow_mod(void **state)
{
    static const uint8_t want[] = {
        0x04, 0x0e, 0x00, 0x60, 0x00, 0x00, 0x00, 0x2a,             /* header, len 96 */
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,             /* cookie */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,             /* cookie_mask */
        0x01, 0x00, 0x00, 0x0a, 0x00, 0x14, 0x01, 0x00,             /* table, ADD, idle, hard, prio */
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,             /* buffer_id, out_port */
        0xff, 0xff, 0xff, 0xff, 0x00, 0x01, 0x00, 0x00,             /* out_group, flags, pad */
        0x00, 0x01, 0x00, 0x0c, 0x80, 0x00, 0x00, 0x04,             /* match OXM len 12: in_port */
        0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,             /* = 1, pad to 8 */
        0x00, 0x04, 0x00, 0x18, 0x00, 0x00, 0x00, 0x00,             /* APPLY_ACTIONS len 24 */
        0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x02,             /* OUTPUT len 16 port 2 */
        0xff, 0xe5, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,             /* max_len 0xffe5, pad */
        0x00, 0x05, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00,             /* CLEAR_ACTIONS len 8 */
    };
    struct of_msg *m = new_msg(OF_FLOW_MOD, 42);
    struct of_flow_mod *fm = &m->u.flow_mod;
    of_flow_mod_init(fm, OFPFC_ADD);
    fm->cookie = 0x0102030405060708ull;
    fm->cookie_mask = 0;
    fm->table_id = 1;
    fm->idle_timeout = 10;
    fm->hard_timeout = 20;
    fm->priority = 0x100;
    fm->buffer_id = OFP_NO_BUFFER;
    fm->out_port = OFPP_ANY;
    fm->out_group = OFPG_ANY;
    fm->flags = OFPFF_SEND_FLOW_REM;
    of_match_init(&fm->match);
    of_match_set_in_port(&fm->match, 1);
    memset(&fm->insts, 0, sizeof fm->insts);
    fm->insts.present = OFIB_APPLY_ACTIONS | OFIB_CLEAR_ACTIONS;
    assert_true(of_actions_output(&fm->insts.apply, 2, 0xffe5));
    encode_expect(m, want, sizeof want);
    free(m);
}

static void test_bytes_goto_and_write_metadata(void **state)
{
    static const uint8_t head[] = {
        0x04, 0x0e, 0x00, 0x58, 0x00, 0x00, 0x00, 0x01,             /* header, len 88 */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,             /* cookie */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,             /* cookie_mask */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00,             /* table 0, ADD, prio 0x8000 */
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,             /* buffer_id, out_port */
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,             /* out_group, flags, pad */
        0x00, 0x01, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00,             /* empty match */
    };
    static const uint8_t wmeta[] = {
        0x00, 0x02, 0x00, 0x18, 0x00, 0x00, 0x00, 0x00,             /* WRITE_METADATA len 24 */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,             /* metadata */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0,             /* metadata_mask */
    };
    static const uint8_t go[] = {0x00, 0x01, 0x00, 0x08, 0x03, 0x00, 0x00, 0x00}; /* GOTO 3 */
    struct of_msg *m = new_msg(OF_FLOW_MOD, 1);
    struct of_flow_mod *fm = &m->u.flow_mod;
    of_flow_mod_init(fm, OFPFC_ADD);
    fm->priority = 0x8000;
    fm->buffer_id = OFP_NO_BUFFER;
    fm->out_port = OFPP_ANY;
    fm->out_group = OFPG_ANY;
    of_match_init(&fm->match);
    memset(&fm->insts, 0, sizeof fm->insts);
    fm->insts.present = OFIB_WRITE_METADATA | OFIB_GOTO_TABLE;
    fm->insts.metadata = 0x10;
    fm->insts.metadata_mask = 0xf0;
    fm->insts.goto_table = 3;
    struct obuf b;
    obuf_init(&b);
    assert_ofperr(of_encode(OF_VERSION_1_3, m, &b), 0);
    assert_int_equal(b.len, 88);
    assert_memory_equal(b.data, head, sizeof head);
    /* The spec fixes the execution order of instructions (5.9), not their
     * order in the list: accept either order. */
    const uint8_t *i0 = b.data + sizeof head;
    if (i0[1] == 0x02) {
        assert_memory_equal(i0, wmeta, sizeof wmeta);
        assert_memory_equal(i0 + sizeof wmeta, go, sizeof go);
    } else {
        assert_memory_equal(i0, go, sizeof go);
        assert_memory_equal(i0 + sizeof go, wmeta, sizeof wmeta);
    }
    obuf_free(&b);
    free(m);
}

static void test_bytes_packet_in(void **state)
{
    static const uint8_t want[] = {
        0x04, 0x0a, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x09,             /* header, len 44 */
        0xff, 0xff, 0xff, 0xff, 0x00, 0x02, 0x01, 0x05,             /* buffer, total_len, reason, table */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99,             /* cookie */
        0x00, 0x01, 0x00, 0x0c, 0x80, 0x00, 0x00, 0x04,             /* match: in_port */
        0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00,             /* = 3, pad */
        0x00, 0x00, 'h',  'i',                                      /* 2 pad bytes, data */
    };
    struct of_msg *m = new_msg(OF_PACKET_IN, 9);
    struct of_packet_in *pi = &m->u.packet_in;
    pi->buffer_id = OFP_NO_BUFFER;
    pi->total_len = 2;
    pi->reason = 1;
    pi->table_id = 5;
    pi->cookie = 0x99;
    of_match_init(&pi->match);
    of_match_set_in_port(&pi->match, 3);
    pi->data = (const uint8_t *)"hi";
    pi->data_len = 2;
    encode_expect(m, want, sizeof want);
    free(m);
}

static void test_bytes_packet_out(void **state)
{
    struct of_msg *m = new_msg(OF_PACKET_OUT, 12);
    struct of_packet_out *po = &m->u.packet_out;
    po->buffer_id = OFP_NO_BUFFER;
    po->in_port = OFPP_CONTROLLER;
    memset(&po->actions, 0, sizeof po->actions);
    assert_true(of_actions_push_vlan(&po->actions, 0x8100));
    assert_true(of_actions_set_field(&po->actions, OFF_VLAN_VID, v_u16(OFPVID_PRESENT | 5)));
    assert_true(of_actions_pop_vlan(&po->actions));
    po->data = (const uint8_t *)"xy";
    po->data_len = 2;
    static const uint8_t want[] = {
        0x04, 0x0d, 0x00, 0x3a, 0x00, 0x00, 0x00, 0x0c,             /* header, len 24+32+2 = 58 */
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfd,             /* no buffer, in_port CONTROLLER */
        0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,             /* actions_len 32, pad */
        0x00, 0x11, 0x00, 0x08, 0x81, 0x00, 0x00, 0x00,             /* PUSH_VLAN 0x8100 */
        0x00, 0x19, 0x00, 0x10, 0x80, 0x00, 0x0c, 0x02,             /* SET_FIELD vlan_vid (len 2) */
        0x10, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,             /* = 0x1005, pad to 16 */
        0x00, 0x12, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00,             /* POP_VLAN */
        'x',  'y',                                                  /* data */
    };
    encode_expect(m, want, sizeof want);
    free(m);
}

/* ---- error reply ---------------------------------------------------------- */

static void test_error_reply_echoes_64_bytes(void **state)
{
    uint8_t bad[100];
    for (size_t i = 0; i < sizeof bad; i++) {
        bad[i] = (uint8_t)i;
    }
    bad[0] = 0x04;
    bad[1] = 0x0e;
    bad[2] = 0x00;
    bad[3] = 100;
    bad[4] = 0x12;
    bad[5] = 0x34;
    bad[6] = 0x56;
    bad[7] = 0x78;
    struct obuf b;
    obuf_init(&b);
    of_encode_error_reply(OF_VERSION_1_3, OFPERR_MATCH_BAD_PREREQ, bad, sizeof bad, &b);
    assert_int_equal(b.len, 12 + 64);
    static const uint8_t head[] = {0x04, 0x01, 0x00, 76, 0x12, 0x34, 0x56, 0x78,
                                   0x00, 0x04, 0x00, 0x09};
    assert_memory_equal(b.data, head, sizeof head);
    assert_memory_equal(b.data + 12, bad, 64);
    /* And it decodes as an ERROR carrying the same pair. */
    struct of_msg *d = malloc(sizeof *d);
    assert_ofperr(of_decode(b.data, b.len, d), 0);
    assert_int_equal(d->kind, OF_ERROR);
    assert_int_equal(d->xid, 0x12345678);
    assert_int_equal(d->u.error.type, OFPET_BAD_MATCH);
    assert_int_equal(d->u.error.code, 9);
    assert_int_equal(d->u.error.data_len, 64);
    free(d);
    obuf_free(&b);
}

static void test_error_reply_short_request(void **state)
{
    static const uint8_t bad[] = {0x04, 0x1e, 0x00, 0x08, 0, 0, 0, 0x33};
    struct obuf b;
    obuf_init(&b);
    of_encode_error_reply(OF_VERSION_1_3, OFPERR_BAD_TYPE, bad, sizeof bad, &b);
    static const uint8_t want[] = {0x04, 0x01, 0x00, 0x14, 0, 0, 0, 0x33, 0x00, 0x01, 0x00, 0x01,
                                   0x04, 0x1e, 0x00, 0x08, 0, 0, 0, 0x33};
    assert_bytes(&b, want, sizeof want);
    obuf_free(&b);
}

/* ---- framing -------------------------------------------------------------- */

static void test_frame(void **state)
{
    uint8_t buf[40];
    memset(buf, 0, sizeof buf);
    buf[0] = 0x04;
    buf[1] = 0x02;
    buf[2] = 0x00;
    buf[3] = 0x10; /* 16-byte message */
    size_t ml = 12345;
    for (size_t avail = 0; avail < 8; avail++) {
        assert_int_equal(of_frame(buf, avail, &ml), OF_FRAME_NEED_MORE);
    }
    for (size_t avail = 8; avail < 16; avail++) {
        assert_int_equal(of_frame(buf, avail, &ml), OF_FRAME_NEED_MORE);
    }
    assert_int_equal(of_frame(buf, 16, &ml), OF_FRAME_OK);
    assert_int_equal(ml, 16);
    ml = 0;
    assert_int_equal(of_frame(buf, sizeof buf, &ml), OF_FRAME_OK);
    assert_int_equal(ml, 16);

    buf[3] = 0x08;
    assert_int_equal(of_frame(buf, 8, &ml), OF_FRAME_OK);
    assert_int_equal(ml, 8);

    for (uint8_t l = 0; l < 8; l++) {
        buf[3] = l;
        assert_int_equal(of_frame(buf, 8, &ml), OF_FRAME_BAD);
        assert_int_equal(of_frame(buf, sizeof buf, &ml), OF_FRAME_BAD);
    }

    buf[2] = 0xff; /* 65535-byte message, only 40 here */
    buf[3] = 0xff;
    assert_int_equal(of_frame(buf, sizeof buf, &ml), OF_FRAME_NEED_MORE);
}

static void test_header_accessors(void **state)
{
    static const uint8_t h[] = {0x04, 0x13, 0x00, 0x08, 0x89, 0xab, 0xcd, 0xef};
    assert_int_equal(of_msg_version(h), 4);
    assert_int_equal(of_msg_type(h), 0x13);
    assert_int_equal(of_msg_xid(h), 0x89abcdef);
    assert_true(of_version_supported(OF_VERSION_1_3));
    assert_false(of_version_supported(0x00));
    assert_false(of_version_supported(0x05));
    assert_false(of_version_supported(0xff));
}

/* ---- encode-side refusals --------------------------------------------------- */

/* Encoding `m` must fail with `want` (or any error if want == 0) and leave
 * the buffer exactly as it was. */
static void expect_refused(const struct of_msg *m, ofperr want)
{
    struct obuf b;
    obuf_init(&b);
    obuf_put(&b, "xyz", 3);
    ofperr e = of_encode(OF_VERSION_1_3, m, &b);
    if (want) {
        assert_ofperr(e, want);
    } else {
        assert_int_not_equal(e, 0);
    }
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "xyz", 3);
    obuf_free(&b);
}

static struct of_msg *flow_mod_with_match(const struct of_match *mt)
{
    struct of_msg *m = new_msg(OF_FLOW_MOD, 77);
    of_flow_mod_init(&m->u.flow_mod, OFPFC_ADD);
    m->u.flow_mod.match = *mt;
    memset(&m->u.flow_mod.insts, 0, sizeof m->u.flow_mod.insts);
    m->u.flow_mod.insts.present = OFIB_APPLY_ACTIONS;
    assert_true(of_actions_output(&m->u.flow_mod.insts.apply, 1, 0));
    return m;
}

static void test_refuse_ipv4_without_eth_type(void **state)
{
    struct of_match mt;
    of_match_init(&mt);
    of_match_set_ipv4_src(&mt, 0x0a000001, 0xffffffff);
    assert_ofperr(of_match_validate(&mt), OFPERR_MATCH_BAD_PREREQ);
    struct of_msg *m = flow_mod_with_match(&mt);
    expect_refused(m, OFPERR_MATCH_BAD_PREREQ);
    free(m);
}

static void test_refuse_prereq_variants(void **state)
{
    struct of_match mt;
    struct of_msg *m;

    /* ipv4_dst under eth_type ARP */
    of_match_init(&mt);
    of_match_set_eth_type(&mt, 0x0806);
    of_match_set_ipv4_dst(&mt, 0x0a000001, 0xffffffff);
    m = flow_mod_with_match(&mt);
    expect_refused(m, OFPERR_MATCH_BAD_PREREQ);
    free(m);

    /* ip_proto with no eth_type */
    of_match_init(&mt);
    of_match_set(&mt, OFF_IP_PROTO, v_u8(6));
    m = flow_mod_with_match(&mt);
    expect_refused(m, OFPERR_MATCH_BAD_PREREQ);
    free(m);

    /* arp_op with no eth_type, arp_spa under IPv4 */
    of_match_init(&mt);
    of_match_set(&mt, OFF_ARP_OP, v_u16(1));
    m = flow_mod_with_match(&mt);
    expect_refused(m, OFPERR_MATCH_BAD_PREREQ);
    free(m);
    of_match_init(&mt);
    of_match_set_eth_type(&mt, 0x0800);
    of_match_set(&mt, OFF_ARP_SPA, v_u32(0x0a000001));
    m = flow_mod_with_match(&mt);
    expect_refused(m, OFPERR_MATCH_BAD_PREREQ);
    free(m);

    /* eth_type present but masked... not maskable; and the prerequisite
     * also holds in the other carriers of a match. */
    of_match_init(&mt);
    of_match_set_ipv4_src(&mt, 0x0a000000, 0xff000000);
    m = new_msg(OF_MULTIPART_REQUEST, 5);
    m->u.mp_request.mp_type = OFMP_FLOW;
    m->u.mp_request.flow.table_id = OFPTT_ALL;
    m->u.mp_request.flow.out_port = OFPP_ANY;
    m->u.mp_request.flow.out_group = OFPG_ANY;
    m->u.mp_request.flow.match = mt;
    expect_refused(m, OFPERR_MATCH_BAD_PREREQ);
    free(m);

    m = new_msg(OF_PACKET_IN, 6);
    m->u.packet_in.buffer_id = OFP_NO_BUFFER;
    m->u.packet_in.match = mt;
    expect_refused(m, OFPERR_MATCH_BAD_PREREQ);
    free(m);
}

static void test_refuse_value_outside_mask(void **state)
{
    struct of_match mt;
    of_match_init(&mt);
    of_match_set_eth_type(&mt, 0x0800);
    /* host bits outside the /8 mask (the raw setter keeps them as given) */
    of_match_set_masked(&mt, OFF_IPV4_SRC, v_u32(0x0a000001), v_u32(0xff000000));
    assert_int_not_equal(of_match_validate(&mt), 0);
    struct of_msg *m = flow_mod_with_match(&mt);
    expect_refused(m, 0);
    free(m);
}

static void test_refuse_mask_on_unmaskable(void **state)
{
    struct of_match mt;
    of_match_init(&mt);
    of_match_set_masked(&mt, OFF_IN_PORT, v_u32(1), v_u32(0xff));
    struct of_msg *m = flow_mod_with_match(&mt);
    expect_refused(m, OFPERR_MATCH_BAD_MASK);
    free(m);
}

static void test_refuse_oversized_message(void **state)
{
    size_t n = 70000;
    uint8_t *big = calloc(1, n);
    assert_non_null(big);
    struct of_msg *m = new_msg(OF_PACKET_OUT, 8);
    m->u.packet_out.buffer_id = OFP_NO_BUFFER;
    m->u.packet_out.in_port = OFPP_CONTROLLER;
    assert_true(of_actions_output(&m->u.packet_out.actions, 1, 0));
    m->u.packet_out.data = big;
    m->u.packet_out.data_len = n;
    expect_refused(m, 0);
    /* The largest message that fits is accepted: 65535 - 24 - 16. */
    m->u.packet_out.data_len = 65535 - 24 - 16;
    struct obuf b;
    obuf_init(&b);
    assert_ofperr(of_encode(OF_VERSION_1_3, m, &b), 0);
    assert_int_equal(b.len, 65535);
    obuf_free(&b);
    free(m);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hello_bitmap_roundtrip),
        cmocka_unit_test(test_hello_plain_roundtrip),
        cmocka_unit_test(test_error_roundtrip),
        cmocka_unit_test(test_error_experimenter_roundtrip),
        cmocka_unit_test(test_echo_roundtrip),
        cmocka_unit_test(test_experimenter_roundtrip),
        cmocka_unit_test(test_empty_bodies_roundtrip),
        cmocka_unit_test(test_features_reply_roundtrip),
        cmocka_unit_test(test_config_roundtrip),
        cmocka_unit_test(test_packet_in_roundtrip),
        cmocka_unit_test(test_packet_in_every_field_roundtrip),
        cmocka_unit_test(test_flow_removed_roundtrip),
        cmocka_unit_test(test_port_status_roundtrip),
        cmocka_unit_test(test_packet_out_roundtrip),
        cmocka_unit_test(test_packet_out_buffered_roundtrip),
        cmocka_unit_test(test_flow_mod_ipv4_roundtrip),
        cmocka_unit_test(test_flow_mod_arp_roundtrip),
        cmocka_unit_test(test_flow_mod_commands_roundtrip),
        cmocka_unit_test(test_flow_mod_single_instructions_roundtrip),
        cmocka_unit_test(test_match_each_field_roundtrip),
        cmocka_unit_test(test_mp_request_simple_roundtrip),
        cmocka_unit_test(test_mp_request_flow_roundtrip),
        cmocka_unit_test(test_mp_reply_desc_roundtrip),
        cmocka_unit_test(test_mp_reply_port_desc_roundtrip),
        cmocka_unit_test(test_mp_reply_port_desc_empty),
        cmocka_unit_test(test_mp_reply_flow_roundtrip),
        cmocka_unit_test(test_mp_reply_table_features_roundtrip),
        cmocka_unit_test(test_table_features_required_properties),
        cmocka_unit_test(test_role_roundtrip),
        cmocka_unit_test(test_every_kind_has_a_name),
        cmocka_unit_test(test_bytes_features_request),
        cmocka_unit_test(test_bytes_hello_bitmap),
        cmocka_unit_test(test_bytes_hello_plain),
        cmocka_unit_test(test_bytes_barrier_and_get_config),
        cmocka_unit_test(test_bytes_echo),
        cmocka_unit_test(test_bytes_error),
        cmocka_unit_test(test_bytes_set_config),
        cmocka_unit_test(test_bytes_features_reply),
        cmocka_unit_test(test_bytes_role_request),
        cmocka_unit_test(test_bytes_multipart_requests),
        cmocka_unit_test(test_bytes_flow_mod),
        cmocka_unit_test(test_bytes_goto_and_write_metadata),
        cmocka_unit_test(test_bytes_packet_in),
        cmocka_unit_test(test_bytes_packet_out),
        cmocka_unit_test(test_error_reply_echoes_64_bytes),
        cmocka_unit_test(test_error_reply_short_request),
        cmocka_unit_test(test_frame),
        cmocka_unit_test(test_header_accessors),
        cmocka_unit_test(test_refuse_ipv4_without_eth_type),
        cmocka_unit_test(test_refuse_prereq_variants),
        cmocka_unit_test(test_refuse_value_outside_mask),
        cmocka_unit_test(test_refuse_mask_on_unmaskable),
        cmocka_unit_test(test_refuse_oversized_message),
    };
    return cmocka_run_group_tests_name("ofp_codec", tests, NULL, NULL);
}
