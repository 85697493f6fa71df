/* test_ofp10_malformed.c - OpenFlow 1.0 input the decoder must refuse, each
 * with its exact ofperr, and never read out of bounds (run it under ASan:
 * build-san/tests/test_ofp10_malformed). Every message is built by hand in
 * a buffer of exactly its length, from the OpenFlow 1.0.0 layouts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ofp/ofp_codec.h"

#include "unit/assert_ofperr.h"

struct bld {
    uint8_t b[2048];
    size_t n;
};

static void p8(struct bld *b, uint8_t v)
{
    b->b[b->n++] = v;
}

static void p16(struct bld *b, uint16_t v)
{
    p8(b, (uint8_t)(v >> 8));
    p8(b, (uint8_t)v);
}

static void p32(struct bld *b, uint32_t v)
{
    p16(b, (uint16_t)(v >> 16));
    p16(b, (uint16_t)v);
}

static void pz(struct bld *b, size_t n)
{
    memset(b->b + b->n, 0, n);
    b->n += n;
}

static void hdr(struct bld *b, uint8_t type)
{
    b->n = 0;
    p8(b, 0x01);
    p8(b, type);
    p16(b, 0);
    p32(b, 0x77);
}

/* Sets the length field and decodes from an exact-size heap copy, so that
 * ASan sees any read past the end. */
static ofperr dec(const struct bld *b)
{
    uint8_t *copy = malloc(b->n);
    memcpy(copy, b->b, b->n);
    copy[2] = (uint8_t)(b->n >> 8);
    copy[3] = (uint8_t)b->n;
    struct of_msg *m = malloc(sizeof *m);
    ofperr e = of_decode(copy, b->n, m);
    free(m);
    free(copy);
    return e;
}

static ofperr dec_sized(uint8_t type, size_t len)
{
    struct bld *b = malloc(sizeof *b);
    hdr(b, type);
    pz(b, len - 8);
    ofperr e = dec(b);
    free(b);
    return e;
}

/* An all-wildcard ofp_match. */
static void match_all(struct bld *b)
{
    p32(b, 0x003fffff);
    pz(b, 36);
}

/* A FLOW_MOD head with an all-wildcard match, command ADD. */
static void flow_mod_head(struct bld *b, uint16_t command, uint16_t flags)
{
    hdr(b, 14);
    match_all(b);
    pz(b, 8);        /* cookie */
    p16(b, command);
    pz(b, 6);        /* idle, hard, priority */
    p32(b, 0xffffffff);
    p16(b, 0xffff);  /* out_port */
    p16(b, flags);
}

static void test_length_table(void **state)
{
    static const struct {
        uint8_t type;
        size_t min;
        bool fixed;
    } rules[] = {
        {1, 12, false}, {4, 12, false}, {5, 8, true},   {6, 32, false}, {7, 8, true},
        {8, 12, true},  {9, 12, true},  {10, 18, false}, {11, 88, true}, {12, 64, true},
        {13, 16, false}, {14, 72, false}, {16, 12, false}, {17, 12, false}, {18, 8, true},
        {19, 8, true},
    };
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        if (rules[i].min > 8) {
            assert_ofperr(dec_sized(rules[i].type, rules[i].min - 1), OFPERR_BAD_LEN);
            assert_ofperr(dec_sized(rules[i].type, 8), OFPERR_BAD_LEN);
        }
        if (rules[i].fixed) {
            assert_ofperr(dec_sized(rules[i].type, rules[i].min + 8), OFPERR_BAD_LEN);
        }
    }
    /* Length field disagreeing with the buffer. */
    static const uint8_t barrier[] = {1, 18, 0, 9, 0, 0, 0, 1, 0};
    struct of_msg *m = malloc(sizeof *m);
    assert_ofperr(of_decode(barrier, 8, m), OFPERR_BAD_LEN);
    assert_ofperr(of_decode(barrier, 9, m), OFPERR_BAD_LEN);
    free(m);
}

static void test_unknown_types(void **state)
{
    static const uint8_t types[] = {15, 20, 21, 22, 24, 25, 0xff};
    for (size_t i = 0; i < sizeof types; i++) {
        assert_ofperr(dec_sized(types[i], 64), OFPERR_BAD_TYPE);
    }
}

static void test_hello_body_ignored(void **state)
{
    struct bld *b = malloc(sizeof *b);
    hdr(b, 0);
    p16(b, 1);
    p16(b, 0); /* element length 0: 1.0 ignores the body */
    struct of_msg *m = malloc(sizeof *m);
    uint8_t *copy = malloc(b->n);
    memcpy(copy, b->b, b->n);
    copy[3] = (uint8_t)b->n;
    assert_ofperr(of_decode(copy, b->n, m), 0);
    assert_int_equal(m->kind, OF_HELLO);
    assert_false(m->u.hello.has_bitmap);
    free(copy);
    free(m);
    free(b);
}

static void test_features_ports_partial(void **state)
{
    assert_ofperr(dec_sized(6, 32 + 47), OFPERR_BAD_LEN);
    assert_ofperr(dec_sized(6, 32 + 49), OFPERR_BAD_LEN);
    assert_ofperr(dec_sized(6, 32 + 96), 0);
}

static void test_packet_out_actions_len(void **state)
{
    struct bld *b = malloc(sizeof *b);
    static const uint16_t lens[] = {8, 9, 0xffff};
    for (size_t i = 0; i < 3; i++) {
        hdr(b, 13);
        p32(b, 0xffffffff);
        p16(b, 0xfffd);
        p16(b, lens[i]); /* more than the 0 or 8 bytes that follow */
        if (i == 1) {
            p16(b, 0);
            p16(b, 8);
            p32(b, 0x00010000);
        }
        assert_ofperr(dec(b), OFPERR_BAD_LEN);
    }
    free(b);
}

/* Decodes a FLOW_MOD whose action list is the given bytes. */
static ofperr dec_actions(const uint8_t *a, size_t n)
{
    struct bld *b = malloc(sizeof *b);
    flow_mod_head(b, 0, 0);
    memcpy(b->b + b->n, a, n);
    b->n += n;
    ofperr e = dec(b);
    free(b);
    return e;
}

static void test_action_lengths(void **state)
{
    static const uint8_t zero[] = {0, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t four[] = {0, 0, 0, 4, 0, 1, 0, 0};
    static const uint8_t twelve[] = {0, 0, 0, 12, 0, 1, 0, 0, 0, 0, 0, 0};
    static const uint8_t past[] = {0, 0, 0, 16, 0, 1, 0, 0};
    static const uint8_t out16[] = {0, 0, 0, 16, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t dl8[] = {0, 4, 0, 8, 1, 2, 3, 4};
    static const uint8_t half[] = {0, 0, 0};
    assert_ofperr(dec_actions(zero, sizeof zero), OFPERR_ACTION_BAD_LEN);
    assert_ofperr(dec_actions(four, sizeof four), OFPERR_ACTION_BAD_LEN);
    assert_ofperr(dec_actions(twelve, sizeof twelve), OFPERR_ACTION_BAD_LEN);
    assert_ofperr(dec_actions(past, sizeof past), OFPERR_ACTION_BAD_LEN);
    assert_ofperr(dec_actions(out16, sizeof out16), OFPERR_ACTION_BAD_LEN);
    assert_ofperr(dec_actions(dl8, sizeof dl8), OFPERR_ACTION_BAD_LEN);
    assert_ofperr(dec_actions(half, sizeof half), OFPERR_ACTION_BAD_LEN);
}

static void test_action_values(void **state)
{
    static const uint8_t unknown[] = {0, 12, 0, 8, 0, 0, 0, 0};
    static const uint8_t port0[] = {0, 0, 0, 8, 0, 0, 0, 0};
    static const uint8_t vid[] = {0, 1, 0, 8, 0x10, 0x00, 0, 0};
    static const uint8_t vendor[] = {0xff, 0xff, 0, 16, 0, 0, 0x23, 0x20, 0, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t tos[] = {0, 8, 0, 8, 0x10, 0, 0, 0};
    assert_ofperr(dec_actions(unknown, sizeof unknown), OFPERR_ACTION_BAD_TYPE);
    assert_ofperr(dec_actions(port0, sizeof port0), OFPERR_ACTION_BAD_OUT_PORT);
    assert_ofperr(dec_actions(vid, sizeof vid), OFPERR_ACTION_BAD_ARGUMENT);
    assert_ofperr(dec_actions(vendor, sizeof vendor), 0); /* valid, not modelled */
    assert_ofperr(dec_actions(tos, sizeof tos), 0);

    /* 33 modelled actions: one too many; 40 unmodelled ones are fine. */
    uint8_t *many = calloc(40, 8);
    for (int i = 0; i < 33; i++) {
        uint8_t out[8] = {0, 0, 0, 8, 0, 1, 0, 0};
        memcpy(many + 8 * i, out, 8);
    }
    assert_ofperr(dec_actions(many, 33 * 8), OFPERR_ACTION_TOO_MANY);
    for (int i = 0; i < 40; i++) {
        memcpy(many + 8 * i, tos, 8);
    }
    assert_ofperr(dec_actions(many, 40 * 8), 0);
    free(many);
}

static void test_flow_mod_fields(void **state)
{
    struct bld *b = malloc(sizeof *b);
    flow_mod_head(b, 5, 0);
    assert_ofperr(dec(b), OFPERR_FLOW_MOD_BAD_COMMAND);
    flow_mod_head(b, 0x100, 0);
    assert_ofperr(dec(b), OFPERR_FLOW_MOD_BAD_COMMAND);
    flow_mod_head(b, 0, 4); /* EMERG */
    assert_ofperr(dec(b), OFPERR_MAKE(OFPET_FLOW_MOD_FAILED, 7));
    flow_mod_head(b, 0, 3);
    assert_ofperr(dec(b), 0);
    free(b);
}

static void test_match_values(void **state)
{
    struct bld *b = malloc(sizeof *b);
    flow_mod_head(b, 0, 0);
    /* dl_vlan exact (wildcard bit 1 clear) at offset 8 + 4 + 2 + 12 = 26. */
    b->b[8 + 3] = 0xfd;
    b->b[26] = 0x20;
    b->b[27] = 0x00;
    assert_ofperr(dec(b), OFPERR_MATCH_BAD_VALUE);
    b->b[26] = 0xff; /* OFP_VLAN_NONE: untagged */
    b->b[27] = 0xff;
    struct of_msg *m = malloc(sizeof *m);
    uint8_t *copy = malloc(b->n);
    memcpy(copy, b->b, b->n);
    copy[2] = (uint8_t)(b->n >> 8);
    copy[3] = (uint8_t)b->n;
    assert_ofperr(of_decode(copy, b->n, m), 0);
    assert_true(of_match_has(&m->u.flow_mod.match, OFF_VLAN_VID));
    assert_int_equal(m->u.flow_mod.match.value[OFF_VLAN_VID].u16, 0);
    free(copy);

    /* nw_src set without an IPv4 or ARP dl_type: ignored, as the spec says.
     * With IPv4: /8 leaves 8 bits; bits outside the mask are dropped. */
    flow_mod_head(b, 0, 0);
    uint32_t wc = 0x003fffff & ~(0x3fu << 8) & ~0x10u; /* dl_type exact, nw_src /32 */
    b->b[8] = (uint8_t)(wc >> 24);
    b->b[9] = (uint8_t)(wc >> 16);
    b->b[10] = (uint8_t)(wc >> 8);
    b->b[11] = (uint8_t)wc;
    b->b[8 + 22] = 0x86; /* dl_type 0x86dd */
    b->b[8 + 23] = 0xdd;
    memcpy(b->b + 8 + 28, "\x0a\x01\x02\x03", 4); /* nw_src */
    copy = malloc(b->n);
    memcpy(copy, b->b, b->n);
    copy[2] = (uint8_t)(b->n >> 8);
    copy[3] = (uint8_t)b->n;
    assert_ofperr(of_decode(copy, b->n, m), 0);
    assert_int_equal(m->u.flow_mod.match.present, 1u << OFF_ETH_TYPE);
    copy[8 + 22] = 0x08;
    copy[8 + 23] = 0x00;
    copy[10] = (uint8_t)((wc | 24u << 8) >> 8); /* /8 */
    assert_ofperr(of_decode(copy, b->n, m), 0);
    assert_int_equal(m->u.flow_mod.match.value[OFF_IPV4_SRC].u32, 0x0a000000);
    assert_int_equal(m->u.flow_mod.match.mask[OFF_IPV4_SRC].u32, 0xff000000);
    /* tp_src exact (wildcard bit 6 clear): counted, not modelled. */
    copy[11] &= (uint8_t)~0x40;
    assert_ofperr(of_decode(copy, b->n, m), 0);
    assert_int_equal(m->u.flow_mod.match.n_other, 1);
    free(copy);
    free(m);
    free(b);
}

static void test_stats_bodies(void **state)
{
    struct bld *b = malloc(sizeof *b);
    /* Request types 1.0 has but matflow does not model. */
    static const uint16_t other[] = {2, 3, 4, 5, 0xffff, 13};
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
        hdr(b, 16);
        p16(b, other[i]);
        p16(b, 0);
        pz(b, 44);
        assert_ofperr(dec(b), OFPERR_BAD_MULTIPART);
        b->b[1] = 17;
        assert_ofperr(dec(b), OFPERR_BAD_MULTIPART);
    }
    /* DESC request with a body; FLOW request of 43 and 45 bytes. */
    hdr(b, 16);
    p32(b, 0);
    pz(b, 4);
    assert_ofperr(dec(b), OFPERR_BAD_LEN);
    static const size_t flow_lens[] = {0, 43, 45};
    for (size_t i = 0; i < 3; i++) {
        hdr(b, 16);
        p16(b, 1);
        p16(b, 0);
        pz(b, flow_lens[i]);
        assert_ofperr(dec(b), OFPERR_BAD_LEN);
    }
    /* DESC reply of 1055 and 1057 bytes. */
    for (size_t n = 1055; n <= 1057; n += 2) {
        hdr(b, 17);
        p32(b, 0);
        pz(b, n);
        assert_ofperr(dec(b), OFPERR_BAD_LEN);
    }
    free(b);
}

/* One flow stats entry with the given length field, `avail` bytes long. */
static ofperr dec_flow_entry(uint16_t length, size_t avail)
{
    struct bld *b = malloc(sizeof *b);
    hdr(b, 17);
    p16(b, 1);
    p16(b, 0);
    p16(b, length);
    pz(b, 2);
    match_all(b);
    pz(b, avail - 44);
    ofperr e = dec(b);
    free(b);
    return e;
}

static void test_flow_stats_entries(void **state)
{
    assert_ofperr(dec_flow_entry(0, 88), OFPERR_BAD_LEN); /* never loops */
    assert_ofperr(dec_flow_entry(8, 88), OFPERR_BAD_LEN);
    assert_ofperr(dec_flow_entry(87, 88), OFPERR_BAD_LEN);
    assert_ofperr(dec_flow_entry(96, 88), OFPERR_BAD_LEN);
    assert_ofperr(dec_flow_entry(92, 92), OFPERR_BAD_LEN);
    assert_ofperr(dec_flow_entry(88, 96), OFPERR_BAD_LEN); /* 8 bytes left: a bad entry */
    assert_ofperr(dec_flow_entry(88, 88), 0);
    assert_ofperr(dec_flow_entry(96, 96), OFPERR_ACTION_BAD_LEN); /* action of length 0 */
    assert_ofperr(dec_flow_entry(88, 89), OFPERR_BAD_LEN);
}

/* Every prefix of valid messages, and noise after a valid header, under
 * every type: no crash, no read past the end (ASan), an answer each time. */
static void test_truncations_and_noise(void **state)
{
    struct of_msg *m = calloc(1, sizeof *m);
    m->kind = OF_FLOW_MOD;
    of_flow_mod_init(&m->u.flow_mod, OFPFC_ADD);
    of_match_set_eth_type(&m->u.flow_mod.match, 0x0806);
    of_match_set(&m->u.flow_mod.match, OFF_ARP_TPA, (union of_field_value){.u32 = 7});
    m->u.flow_mod.insts.present = OFIB_APPLY_ACTIONS;
    of_actions_output(&m->u.flow_mod.insts.apply, 1, 0);
    of_actions_set_field(&m->u.flow_mod.insts.apply, OFF_ETH_SRC,
                         (union of_field_value){.mac = {{1, 2, 3, 4, 5, 6}}});
    struct obuf ob;
    obuf_init(&ob);
    assert_ofperr(of_encode(OF_VERSION_1_0, m, &ob), 0);
    struct of_msg *o = malloc(sizeof *o);
    for (size_t n = 8; n < ob.len; n++) {
        uint8_t *copy = malloc(n);
        memcpy(copy, ob.data, n);
        copy[2] = (uint8_t)(n >> 8);
        copy[3] = (uint8_t)n;
        ofperr e = of_decode(copy, n, o);
        assert_true(e != 0 || n == 72 || n == 80);
        free(copy);
    }
    obuf_free(&ob);

    uint32_t seed = 12345;
    for (unsigned type = 0; type < 24; type++) {
        for (size_t n = 8; n < 300; n += 7) {
            uint8_t *buf = malloc(n);
            for (size_t i = 0; i < n; i++) {
                seed = seed * 1103515245u + 12345u;
                buf[i] = (uint8_t)(seed >> 16);
            }
            buf[0] = 1;
            buf[1] = (uint8_t)type;
            buf[2] = (uint8_t)(n >> 8);
            buf[3] = (uint8_t)n;
            (void)of_decode(buf, n, o);
            free(buf);
        }
    }
    free(o);
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_length_table),
        cmocka_unit_test(test_unknown_types),
        cmocka_unit_test(test_hello_body_ignored),
        cmocka_unit_test(test_features_ports_partial),
        cmocka_unit_test(test_packet_out_actions_len),
        cmocka_unit_test(test_action_lengths),
        cmocka_unit_test(test_action_values),
        cmocka_unit_test(test_flow_mod_fields),
        cmocka_unit_test(test_match_values),
        cmocka_unit_test(test_stats_bodies),
        cmocka_unit_test(test_flow_stats_entries),
        cmocka_unit_test(test_truncations_and_noise),
    };
    return cmocka_run_group_tests_name("ofp10_malformed", tests, NULL, NULL);
}
