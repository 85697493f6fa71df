/* test_pkt.c - unit tests of the packet layer (src/pkt) and of
 * eth_addr_parse: parsing of the frames the testbed produces, one test per
 * refusal reason, builders checked byte for byte against frames written by
 * hand from the specifications, round trips, and the counters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pkt/pkt.h"

/* cmocka hands every test a state most of them do not use. */
#pragma GCC diagnostic ignored "-Wunused-parameter"

/* ---- Reference frames, written by hand (spaces separate fields). ---- */

/* QEMU's announcement after a live migration (notes/testbed-facts.md). */
#define RARP_QEMU                                                        \
    "ffffffffffff 525400123456 8035 0001 0800 06 04 0003"               \
    " 525400123456 00000000 525400123456 00000000"                      \
    " 000000000000000000000000000000000000"
/* MN 10.1.0.10 asks for its gateway 10.1.0.1. */
#define ARP_REQUEST                                                      \
    "ffffffffffff 525400123456 0806 0001 0800 06 04 0001"               \
    " 525400123456 0a01000a 000000000000 0a010001"                      \
    " 000000000000000000000000000000000000"
/* The gateway 02:00:00:00:01:01 answers. */
#define ARP_REPLY                                                        \
    "525400123456 020000000101 0806 0001 0800 06 04 0002"               \
    " 020000000101 0a010001 525400123456 0a01000a"                      \
    " 000000000000000000000000000000000000"
/* What a virtio-net guest sends next to each RARP: who-has HoA tell HoA. */
#define ARP_GRATUITOUS                                                   \
    "ffffffffffff 525400123456 0806 0001 0800 06 04 0001"               \
    " 525400123456 0a01000a 000000000000 0a01000a"                      \
    " 000000000000000000000000000000000000"
/* The request above on VLAN 100, priority 1, padded to 64 bytes. */
#define ARP_TAGGED                                                       \
    "ffffffffffff 525400123456 8100 2064 0806 0001 0800 06 04 0001"     \
    " 525400123456 0a01000a 000000000000 0a010001"                      \
    " 000000000000000000000000000000000000"
/* 10.1.0.10:1234 -> 10.3.0.20:5001 UDP "matflow!", DF, ttl 64, 10 bytes of
 * Ethernet padding after total_len 36. Checksum 0x0a62 worked out by hand. */
#define IPV4_UDP                                                         \
    "020000000101 525400123456 0800"                                    \
    " 45 00 0024 1c46 4000 40 11 0a62 0a01000a 0a030014"                \
    " 04d2 1389 0010 0000 6d6174666c6f7721"                             \
    " 00000000000000000000"
/* 10.3.0.20:5001 -> 10.1.0.10:1234 TCP SYN with an MSS option, TOS 0x10. */
#define IPV4_TCP                                                         \
    "525400123456 020000000301 0800"                                    \
    " 45 10 002c 0d0e 4000 40 06 198d 0a030014 0a01000a"                \
    " 1389 04d2 00000001 00000000 60 02 faf0 0000 0000 020405b4"        \
    " 0000"
/* IHL 6 with a Router Alert option, to 224.0.0.1, UDP "test". */
#define IPV4_OPTIONS                                                     \
    "01005e000001 525400123456 0800"                                    \
    " 46 00 0024 0001 0000 01 11 3ab8 0a01000a e0000001 94040000"       \
    " 04d2 1389 000c 0000 74657374"                                     \
    " 00000000000000000000"
/* An IPv6 frame: not ours to decode. */
#define IPV6_OTHER                                                       \
    "333300000001 525400123456 86dd 60000000 0000 3a ff"                \
    " 00000000000000000000000000000000 ff020000000000000000000000000001" \
    " 000000000000"

static const struct eth_addr mn_mac = {{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};
static const struct eth_addr gw_mac = {{0x02, 0x00, 0x00, 0x00, 0x01, 0x01}};
static const struct eth_addr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
static const struct eth_addr zero_mac;
#define HOA 0x0a01000aU         /* 10.1.0.10 */
#define GW 0x0a010001U          /* 10.1.0.1 */

/* Decodes a hex string with optional spaces; fails the test on bad input. */
static size_t hex(const char *s, uint8_t *buf, size_t cap)
{
    size_t n = 0;
    while (*s) {
        if (*s == ' ') {
            s++;
            continue;
        }
        unsigned v;
        assert_int_equal(sscanf(s, "%2x", &v), 1);
        assert_true(n < cap);
        buf[n++] = (uint8_t)v;
        s += 2;
    }
    return n;
}

/* The frame on the heap at its exact size, so ASan sees any overread. */
static uint8_t *heap_frame(const char *hexstr, size_t *len)
{
    uint8_t tmp[256];
    *len = hex(hexstr, tmp, sizeof tmp);
    uint8_t *f = malloc(*len ? *len : 1);
    assert_non_null(f);
    memcpy(f, tmp, *len);
    return f;
}

static enum pkt_reject parse_hex(const char *hexstr, struct pkt_info *pi, uint8_t **frame)
{
    size_t len;
    *frame = heap_frame(hexstr, &len);
    return pkt_parse(*frame, len, pi);
}

static void assert_mac(struct eth_addr got, struct eth_addr want)
{
    assert_memory_equal(got.b, want.b, sizeof want.b);
}

static void assert_reject(enum pkt_reject got, enum pkt_reject want)
{
    assert_string_equal(pkt_reject_name(got), pkt_reject_name(want));
}

/* ---- Parsing the frames matflow lives on ---- */

static void parse_qemu_rarp(void **state)
{
    struct pkt_info pi;
    uint8_t *f;
    assert_reject(parse_hex(RARP_QEMU, &pi, &f), PKT_OK);
    assert_int_equal(pi.kind, PKT_KIND_RARP);
    assert_int_equal(pi.eth_type, PKT_ETH_TYPE_RARP);
    assert_false(pi.has_vlan);
    assert_mac(pi.dst, bcast);
    assert_mac(pi.src, mn_mac);
    assert_int_equal(pi.arp.op, PKT_RARP_OP_REQUEST);
    assert_mac(pi.arp.sha, mn_mac);
    assert_mac(pi.arp.tha, mn_mac);
    assert_int_equal(pi.arp.spa, 0);
    assert_int_equal(pi.arp.tpa, 0);
    assert_ptr_equal(pi.l3, f + 14);
    assert_int_equal(pi.l3_len, 46);
    free(f);
}

static void parse_arp_request(void **state)
{
    struct pkt_info pi;
    uint8_t *f;
    assert_reject(parse_hex(ARP_REQUEST, &pi, &f), PKT_OK);
    assert_int_equal(pi.kind, PKT_KIND_ARP);
    assert_int_equal(pi.arp.op, PKT_ARP_OP_REQUEST);
    assert_mac(pi.arp.sha, mn_mac);
    assert_int_equal(pi.arp.spa, HOA);
    assert_mac(pi.arp.tha, zero_mac);
    assert_int_equal(pi.arp.tpa, GW);
    free(f);
}

static void parse_arp_reply(void **state)
{
    struct pkt_info pi;
    uint8_t *f;
    assert_reject(parse_hex(ARP_REPLY, &pi, &f), PKT_OK);
    assert_int_equal(pi.kind, PKT_KIND_ARP);
    assert_int_equal(pi.arp.op, PKT_ARP_OP_REPLY);
    assert_mac(pi.dst, mn_mac);
    assert_mac(pi.src, gw_mac);
    assert_mac(pi.arp.sha, gw_mac);
    assert_int_equal(pi.arp.spa, GW);
    assert_mac(pi.arp.tha, mn_mac);
    assert_int_equal(pi.arp.tpa, HOA);
    free(f);
}

static void parse_arp_without_padding(void **state)
{
    uint8_t f[64];
    size_t len = hex(ARP_REQUEST, f, sizeof f);
    struct pkt_info pi;
    assert_int_equal(len, 60);
    assert_reject(pkt_parse(f, 42, &pi), PKT_OK);
    assert_int_equal(pi.l3_len, 28);
}

static void parse_tagged_arp(void **state)
{
    struct pkt_info pi;
    uint8_t *f;
    assert_reject(parse_hex(ARP_TAGGED, &pi, &f), PKT_OK);
    assert_true(pi.has_vlan);
    assert_int_equal(pi.vlan_tci, 0x2064);
    assert_int_equal(pi.eth_type, PKT_ETH_TYPE_ARP);
    assert_int_equal(pi.kind, PKT_KIND_ARP);
    assert_ptr_equal(pi.l3, f + 18);
    assert_int_equal(pi.l3_len, 46);
    assert_int_equal(pi.arp.tpa, GW);
    free(f);
}

static void parse_ipv4_udp(void **state)
{
    struct pkt_info pi;
    uint8_t *f;
    assert_reject(parse_hex(IPV4_UDP, &pi, &f), PKT_OK);
    assert_int_equal(pi.kind, PKT_KIND_IPV4);
    assert_int_equal(pi.ip.hdr_len, 20);
    assert_int_equal(pi.ip.tos, 0);
    assert_int_equal(pi.ip.total_len, 36);
    assert_int_equal(pi.ip.id, 0x1c46);
    assert_int_equal(pi.ip.frag, 0x4000);
    assert_int_equal(pi.ip.ttl, 64);
    assert_int_equal(pi.ip.proto, 17);
    assert_int_equal(pi.ip.src, HOA);
    assert_int_equal(pi.ip.dst, 0x0a030014);
    assert_null(pi.ip.options);
    assert_ptr_equal(pi.ip.payload, f + 34);
    assert_int_equal(pi.ip.payload_len, 16);
    assert_memory_equal(pi.ip.payload + 8, "matflow!", 8);
    free(f);
}

/* The 10 bytes of padding after total_len are in l3 but not the payload. */
static void parse_ipv4_padding_not_payload(void **state)
{
    struct pkt_info pi;
    uint8_t *f;
    assert_reject(parse_hex(IPV4_UDP, &pi, &f), PKT_OK);
    assert_int_equal(pi.l3_len, 46);
    assert_int_equal(pi.ip.hdr_len + pi.ip.payload_len, 36);
    free(f);
}

static void parse_ipv4_tcp(void **state)
{
    struct pkt_info pi;
    uint8_t *f;
    assert_reject(parse_hex(IPV4_TCP, &pi, &f), PKT_OK);
    assert_int_equal(pi.ip.tos, 0x10);
    assert_int_equal(pi.ip.proto, 6);
    assert_int_equal(pi.ip.src, 0x0a030014);
    assert_int_equal(pi.ip.dst, HOA);
    assert_int_equal(pi.ip.payload_len, 24);
    free(f);
}

static void parse_ipv4_options(void **state)
{
    struct pkt_info pi;
    uint8_t *f;
    assert_reject(parse_hex(IPV4_OPTIONS, &pi, &f), PKT_OK);
    assert_int_equal(pi.ip.hdr_len, 24);
    assert_ptr_equal(pi.ip.options, f + 34);
    assert_memory_equal(pi.ip.options, "\x94\x04\x00\x00", 4);
    assert_ptr_equal(pi.ip.payload, f + 38);
    assert_int_equal(pi.ip.payload_len, 12);
    free(f);
}

static void parse_other_ethertype(void **state)
{
    struct pkt_info pi;
    uint8_t *f;
    assert_reject(parse_hex(IPV6_OTHER, &pi, &f), PKT_OK);
    assert_int_equal(pi.kind, PKT_KIND_OTHER);
    assert_int_equal(pi.eth_type, 0x86dd);
    assert_ptr_equal(pi.l3, f + 14);
    free(f);
}

/* A bare 14-byte header of an unknown type is a whole frame to us. */
static void parse_bare_header_other(void **state)
{
    uint8_t f[64];
    hex(IPV6_OTHER, f, sizeof f);
    struct pkt_info pi;
    assert_reject(pkt_parse(f, 14, &pi), PKT_OK);
    assert_int_equal(pi.l3_len, 0);
}

static void parse_empty_frame(void **state)
{
    struct pkt_info pi;
    assert_reject(pkt_parse(NULL, 0, &pi), PKT_REJECT_ETH_TRUNCATED);
}

/* After a refusal the MACs already read are kept, for the log line. */
static void refusal_keeps_macs(void **state)
{
    uint8_t f[64];
    size_t len = hex(ARP_REQUEST, f, sizeof f);
    f[21] = 9;
    struct pkt_info pi;
    assert_reject(pkt_parse(f, len, &pi), PKT_REJECT_ARP_BAD_OP);
    assert_mac(pi.src, mn_mac);
    assert_int_equal(pi.kind, PKT_KIND_OTHER);
}

/* Every prefix of every good frame is either whole enough or refused as
 * truncated, and (under ASan) read only inside its own length. */
static void prefixes_are_truncations(void **state)
{
    static const char *const frames[] = {RARP_QEMU, ARP_REQUEST, ARP_TAGGED,
                                         IPV4_UDP, IPV4_OPTIONS};
    for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
        uint8_t tmp[128];
        size_t len = hex(frames[i], tmp, sizeof tmp);
        for (size_t cut = 0; cut < len; cut++) {
            uint8_t *f = malloc(cut ? cut : 1);
            assert_non_null(f);
            memcpy(f, tmp, cut);
            struct pkt_info pi;
            const char *name = pkt_reject_name(pkt_parse(f, cut, &pi));
            free(f);
            assert_true(strcmp(name, "ok") == 0 || strstr(name, "truncated") != NULL);
        }
    }
}

/* ---- Gratuitous ARP ---- */

static void gratuitous_request(void **state)
{
    struct pkt_info pi;
    uint8_t *f;
    assert_reject(parse_hex(ARP_GRATUITOUS, &pi, &f), PKT_OK);
    assert_true(pkt_arp_is_gratuitous(&pi));
    free(f);
}

static void gratuitous_reply(void **state)
{
    uint8_t f[64];
    size_t len = hex(ARP_GRATUITOUS, f, sizeof f);
    f[21] = 2;
    struct pkt_info pi;
    assert_reject(pkt_parse(f, len, &pi), PKT_OK);
    assert_true(pkt_arp_is_gratuitous(&pi));
}

static void ordinary_request_not_gratuitous(void **state)
{
    struct pkt_info pi;
    uint8_t *f;
    assert_reject(parse_hex(ARP_REQUEST, &pi, &f), PKT_OK);
    assert_false(pkt_arp_is_gratuitous(&pi));
    free(f);
}

/* RFC 5227 probe: spa 0.0.0.0, tpa the address being checked. */
static void probe_with_zero_spa_not_gratuitous(void **state)
{
    uint8_t f[64];
    size_t len = hex(ARP_GRATUITOUS, f, sizeof f);
    memset(f + 28, 0, 4);
    memset(f + 38, 0, 4);
    struct pkt_info pi;
    assert_reject(pkt_parse(f, len, &pi), PKT_OK);
    assert_false(pkt_arp_is_gratuitous(&pi));
}

static void rarp_not_gratuitous(void **state)
{
    struct pkt_info pi;
    uint8_t *f;
    assert_reject(parse_hex(RARP_QEMU, &pi, &f), PKT_OK);
    assert_false(pkt_arp_is_gratuitous(&pi));
    free(f);
}

/* ---- Refusals: one case per way a frame is broken ---- */

struct reject_case {
    const char *name;
    const char *frame;
    int cut;                    /* keep this many bytes; -1: all */
    size_t off;                 /* where `patch` is written */
    const char *patch;          /* hex, or NULL */
    enum pkt_reject want;
};

static const struct reject_case reject_cases[] = {
    {"eth_truncated", ARP_REQUEST, 13, 0, NULL, PKT_REJECT_ETH_TRUNCATED},
    {"eth_truncated_1_byte", ARP_REQUEST, 1, 0, NULL, PKT_REJECT_ETH_TRUNCATED},
    {"vlan_truncated", ARP_TAGGED, 17, 0, NULL, PKT_REJECT_VLAN_TRUNCATED},
    {"vlan_truncated_no_tci", ARP_TAGGED, 14, 0, NULL, PKT_REJECT_VLAN_TRUNCATED},
    {"vlan_nested_8100", ARP_TAGGED, -1, 16, "8100", PKT_REJECT_VLAN_NESTED},
    {"vlan_nested_88a8", ARP_TAGGED, -1, 16, "88a8", PKT_REJECT_VLAN_NESTED},
    {"arp_truncated", ARP_REQUEST, 41, 0, NULL, PKT_REJECT_ARP_TRUNCATED},
    {"arp_truncated_fixed_part", ARP_REQUEST, 21, 0, NULL, PKT_REJECT_ARP_TRUNCATED},
    {"arp_truncated_tagged", ARP_TAGGED, 45, 0, NULL, PKT_REJECT_ARP_TRUNCATED},
    {"arp_bad_htype", ARP_REQUEST, -1, 14, "0006", PKT_REJECT_ARP_BAD_HTYPE},
    {"arp_bad_ptype", ARP_REQUEST, -1, 16, "86dd", PKT_REJECT_ARP_BAD_PTYPE},
    {"arp_bad_hlen", ARP_REQUEST, -1, 18, "08", PKT_REJECT_ARP_BAD_LENGTHS},
    {"arp_bad_plen", ARP_REQUEST, -1, 19, "10", PKT_REJECT_ARP_BAD_LENGTHS},
    {"arp_bad_op_0", ARP_REQUEST, -1, 20, "0000", PKT_REJECT_ARP_BAD_OP},
    {"arp_bad_op_9", ARP_REQUEST, -1, 20, "0009", PKT_REJECT_ARP_BAD_OP},
    {"arp_bad_op_tagged", ARP_TAGGED, -1, 24, "0005", PKT_REJECT_ARP_BAD_OP},
    {"arp_op_is_rarp_3", ARP_REQUEST, -1, 20, "0003", PKT_REJECT_ARP_OP_IS_RARP},
    {"arp_op_is_rarp_4", ARP_REQUEST, -1, 20, "0004", PKT_REJECT_ARP_OP_IS_RARP},
    {"rarp_truncated", RARP_QEMU, 41, 0, NULL, PKT_REJECT_RARP_TRUNCATED},
    {"rarp_truncated_fixed_part", RARP_QEMU, 16, 0, NULL, PKT_REJECT_RARP_TRUNCATED},
    {"rarp_bad_htype", RARP_QEMU, -1, 14, "0006", PKT_REJECT_RARP_BAD_HTYPE},
    {"rarp_bad_ptype", RARP_QEMU, -1, 16, "0806", PKT_REJECT_RARP_BAD_PTYPE},
    {"rarp_bad_hlen", RARP_QEMU, -1, 18, "00", PKT_REJECT_RARP_BAD_LENGTHS},
    {"rarp_bad_plen", RARP_QEMU, -1, 19, "06", PKT_REJECT_RARP_BAD_LENGTHS},
    {"rarp_bad_op_0", RARP_QEMU, -1, 20, "0000", PKT_REJECT_RARP_BAD_OP},
    {"rarp_bad_op_5", RARP_QEMU, -1, 20, "0005", PKT_REJECT_RARP_BAD_OP},
    {"rarp_op_is_arp_1", RARP_QEMU, -1, 20, "0001", PKT_REJECT_RARP_OP_IS_ARP},
    {"rarp_op_is_arp_2", RARP_QEMU, -1, 20, "0002", PKT_REJECT_RARP_OP_IS_ARP},
    {"ipv4_truncated", IPV4_UDP, 33, 0, NULL, PKT_REJECT_IPV4_TRUNCATED},
    {"ipv4_truncated_empty", IPV4_UDP, 14, 0, NULL, PKT_REJECT_IPV4_TRUNCATED},
    {"ipv4_bad_version_6", IPV4_UDP, -1, 14, "65", PKT_REJECT_IPV4_BAD_VERSION},
    {"ipv4_bad_version_0", IPV4_UDP, -1, 14, "05", PKT_REJECT_IPV4_BAD_VERSION},
    {"ipv4_bad_ihl_4", IPV4_UDP, -1, 14, "44", PKT_REJECT_IPV4_BAD_IHL},
    {"ipv4_bad_ihl_0", IPV4_UDP, -1, 14, "40", PKT_REJECT_IPV4_BAD_IHL},
    {"ipv4_options_truncated_ihl_15", IPV4_UDP, -1, 14, "4f",
     PKT_REJECT_IPV4_OPTIONS_TRUNCATED},
    {"ipv4_options_truncated_cut", IPV4_OPTIONS, 36, 0, NULL,
     PKT_REJECT_IPV4_OPTIONS_TRUNCATED},
    {"ipv4_bad_total_len", IPV4_UDP, -1, 16, "0013", PKT_REJECT_IPV4_BAD_TOTAL_LEN},
    {"ipv4_bad_total_len_options", IPV4_OPTIONS, -1, 16, "0016",
     PKT_REJECT_IPV4_BAD_TOTAL_LEN},
    {"ipv4_payload_truncated", IPV4_UDP, -1, 16, "0064",
     PKT_REJECT_IPV4_PAYLOAD_TRUNCATED},
    {"ipv4_payload_truncated_cut", IPV4_UDP, 49, 0, NULL,
     PKT_REJECT_IPV4_PAYLOAD_TRUNCATED},
    {"ipv4_bad_checksum", IPV4_UDP, -1, 24, "0a63", PKT_REJECT_IPV4_BAD_CHECKSUM},
    {"ipv4_bad_checksum_ttl", IPV4_UDP, -1, 22, "3f", PKT_REJECT_IPV4_BAD_CHECKSUM},
    {"ipv4_bad_checksum_option", IPV4_OPTIONS, -1, 37, "01",
     PKT_REJECT_IPV4_BAD_CHECKSUM},
};
#define N_REJECT_CASES (sizeof reject_cases / sizeof reject_cases[0])

static void run_reject_case(void **state)
{
    const struct reject_case *c = *state;
    uint8_t tmp[128];
    size_t len = hex(c->frame, tmp, sizeof tmp);
    if (c->patch) {
        hex(c->patch, tmp + c->off, sizeof tmp - c->off);
    }
    if (c->cut >= 0) {
        assert_true((size_t)c->cut <= len);
        len = (size_t)c->cut;
    }
    uint8_t *f = malloc(len ? len : 1);
    assert_non_null(f);
    memcpy(f, tmp, len);
    struct pkt_info pi;
    enum pkt_reject r = pkt_parse(f, len, &pi);
    free(f);
    assert_reject(r, c->want);
}

static void every_reason_has_a_case(void **state)
{
    for (unsigned r = PKT_OK + 1; r < PKT_N_REJECT; r++) {
        bool found = false;
        for (size_t i = 0; i < N_REJECT_CASES; i++) {
            found |= reject_cases[i].want == (enum pkt_reject)r;
        }
        if (!found) {
            fail_msg("no test reaches %s", pkt_reject_name((enum pkt_reject)r));
        }
    }
}

/* ---- Names and counters ---- */

static void reject_names_distinct_snake_case(void **state)
{
    for (unsigned r = 0; r < PKT_N_REJECT; r++) {
        const char *a = pkt_reject_name((enum pkt_reject)r);
        assert_non_null(a);
        assert_true(a[0] != '\0');
        assert_int_equal(strspn(a, "abcdefghijklmnopqrstuvwxyz0123456789_"), strlen(a));
        for (unsigned s = r + 1; s < PKT_N_REJECT; s++) {
            assert_string_not_equal(a, pkt_reject_name((enum pkt_reject)s));
        }
    }
}

static void reject_name_values(void **state)
{
    assert_string_equal(pkt_reject_name(PKT_OK), "ok");
    assert_string_equal(pkt_reject_name(PKT_REJECT_ETH_TRUNCATED), "eth_truncated");
    assert_string_equal(pkt_reject_name(PKT_REJECT_RARP_OP_IS_ARP), "rarp_op_is_arp");
    assert_string_equal(pkt_reject_name(PKT_REJECT_IPV4_BAD_CHECKSUM), "ipv4_bad_checksum");
    assert_string_equal(pkt_reject_name(PKT_N_REJECT), "unknown");
    assert_string_equal(pkt_reject_name((enum pkt_reject)-1), "unknown");
}

static void kind_names(void **state)
{
    assert_string_equal(pkt_kind_name(PKT_KIND_OTHER), "other");
    assert_string_equal(pkt_kind_name(PKT_KIND_ARP), "arp");
    assert_string_equal(pkt_kind_name(PKT_KIND_RARP), "rarp");
    assert_string_equal(pkt_kind_name(PKT_KIND_IPV4), "ipv4");
    assert_string_equal(pkt_kind_name((enum pkt_kind)42), "unknown");
}

static int reset_counters(void **state)
{
    pkt_reset_counters();
    return 0;
}

static void parse_counts_nothing(void **state)
{
    uint8_t f[64];
    hex(ARP_REQUEST, f, sizeof f);
    struct pkt_info pi;
    assert_reject(pkt_parse(f, 10, &pi), PKT_REJECT_ETH_TRUNCATED);
    assert_int_equal(pkt_reject_total(), 0);
}

static void parse_counted_counts_by_reason(void **state)
{
    uint8_t f[64];
    size_t len = hex(ARP_REQUEST, f, sizeof f);
    struct pkt_info pi;
    pkt_parse_counted(f, 10, &pi);
    pkt_parse_counted(f, 10, &pi);
    pkt_parse_counted(f, 41, &pi);
    pkt_parse_counted(f, len, &pi);
    assert_int_equal(pkt_reject_count(PKT_REJECT_ETH_TRUNCATED), 2);
    assert_int_equal(pkt_reject_count(PKT_REJECT_ARP_TRUNCATED), 1);
    assert_int_equal(pkt_reject_count(PKT_REJECT_RARP_TRUNCATED), 0);
    assert_int_equal(pkt_reject_total(), 3);
}

static void count_ignores_ok_and_out_of_range(void **state)
{
    pkt_count_reject(PKT_OK);
    pkt_count_reject(PKT_N_REJECT);
    pkt_count_reject((enum pkt_reject)-1);
    assert_int_equal(pkt_reject_total(), 0);
    assert_int_equal(pkt_reject_count(PKT_OK), 0);
    assert_int_equal(pkt_reject_count(PKT_N_REJECT), 0);
}

static void reset_clears_every_counter(void **state)
{
    for (unsigned r = 0; r < PKT_N_REJECT; r++) {
        pkt_count_reject((enum pkt_reject)r);
    }
    assert_int_equal(pkt_reject_total(), PKT_N_REJECT - 1);
    pkt_reset_counters();
    assert_int_equal(pkt_reject_total(), 0);
    assert_int_equal(pkt_reject_count(PKT_REJECT_IPV4_BAD_CHECKSUM), 0);
}

/* ---- Builders, against the hand-written frames ---- */

static void assert_frame(const uint8_t *got, size_t got_len, const char *want_hex)
{
    uint8_t want[128];
    size_t want_len = hex(want_hex, want, sizeof want);
    assert_int_equal(got_len, want_len);
    assert_memory_equal(got, want, want_len);
}

static void build_rarp_is_qemus(void **state)
{
    uint8_t buf[128];
    size_t n = pkt_build_rarp(buf, sizeof buf, mn_mac);
    assert_frame(buf, n, RARP_QEMU);
}

static void build_arp_request(void **state)
{
    uint8_t buf[128];
    size_t n = pkt_build_arp(buf, sizeof buf, bcast, mn_mac, PKT_ARP_OP_REQUEST,
                             mn_mac, HOA, zero_mac, GW);
    assert_frame(buf, n, ARP_REQUEST);
}

static void build_arp_reply(void **state)
{
    uint8_t buf[128];
    size_t n = pkt_build_arp(buf, sizeof buf, mn_mac, gw_mac, PKT_ARP_OP_REPLY,
                             gw_mac, GW, mn_mac, HOA);
    assert_frame(buf, n, ARP_REPLY);
}

static void build_gratuitous_arp(void **state)
{
    uint8_t buf[128];
    size_t n = pkt_build_arp(buf, sizeof buf, bcast, mn_mac, PKT_ARP_OP_REQUEST,
                             mn_mac, HOA, zero_mac, HOA);
    assert_frame(buf, n, ARP_GRATUITOUS);
}

static void build_tagged_arp_padded_to_64(void **state)
{
    struct pkt_info pi = {
        .dst = bcast, .src = mn_mac, .has_vlan = true, .vlan_tci = 0x2064,
        .kind = PKT_KIND_ARP,
        .arp = {.op = PKT_ARP_OP_REQUEST, .sha = mn_mac, .spa = HOA, .tpa = GW},
    };
    uint8_t buf[128];
    size_t n = pkt_build(buf, sizeof buf, &pi);
    assert_frame(buf, n, ARP_TAGGED);
}

static void build_ipv4_udp(void **state)
{
    uint8_t udp[16];
    hex("04d2 1389 0010 0000 6d6174666c6f7721", udp, sizeof udp);
    struct pkt_info pi = {
        .dst = gw_mac, .src = mn_mac, .kind = PKT_KIND_IPV4,
        .ip = {.hdr_len = 20, .id = 0x1c46, .frag = 0x4000, .ttl = 64, .proto = 17,
               .src = HOA, .dst = 0x0a030014, .payload = udp, .payload_len = 16},
    };
    uint8_t buf[128];
    size_t n = pkt_build(buf, sizeof buf, &pi);
    assert_frame(buf, n, IPV4_UDP);
}

static void build_ipv4_options(void **state)
{
    uint8_t udp[12], opt[4];
    hex("04d2 1389 000c 0000 74657374", udp, sizeof udp);
    hex("94040000", opt, sizeof opt);
    struct pkt_info pi = {
        .dst = {{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}}, .src = mn_mac,
        .kind = PKT_KIND_IPV4,
        .ip = {.hdr_len = 24, .id = 1, .ttl = 1, .proto = 17, .src = HOA,
               .dst = 0xe0000001, .options = opt, .payload = udp, .payload_len = 12},
    };
    uint8_t buf[128];
    size_t n = pkt_build(buf, sizeof buf, &pi);
    assert_frame(buf, n, IPV4_OPTIONS);
}

static void build_other_copies_l3(void **state)
{
    uint8_t want[128];
    size_t len = hex(IPV6_OTHER, want, sizeof want);
    struct pkt_info pi = {
        .dst = {{0x33, 0x33, 0, 0, 0, 1}}, .src = mn_mac, .eth_type = 0x86dd,
        .kind = PKT_KIND_OTHER, .l3 = want + 14, .l3_len = len - 14,
    };
    uint8_t buf[128];
    size_t n = pkt_build(buf, sizeof buf, &pi);
    assert_frame(buf, n, IPV6_OTHER);
}

static void build_needs_room_for_padding(void **state)
{
    uint8_t buf[60];
    assert_int_equal(pkt_build_rarp(buf, 59, mn_mac), 0);
    assert_int_equal(pkt_build_rarp(buf, 60, mn_mac), 60);
    assert_int_equal(pkt_build_arp(buf, 0, bcast, mn_mac, 1, mn_mac, HOA, zero_mac, GW), 0);
}

static void build_refuses_op_of_other_family(void **state)
{
    uint8_t buf[64];
    assert_int_equal(pkt_build_arp(buf, sizeof buf, bcast, mn_mac, PKT_RARP_OP_REQUEST,
                                   mn_mac, 0, mn_mac, 0), 0);
    assert_int_equal(pkt_build_arp(buf, sizeof buf, bcast, mn_mac, 0,
                                   mn_mac, 0, mn_mac, 0), 0);
    struct pkt_info pi = {.kind = PKT_KIND_RARP, .arp = {.op = PKT_ARP_OP_REPLY}};
    assert_int_equal(pkt_build(buf, sizeof buf, &pi), 0);
}

static void build_refuses_bad_ipv4_header_len(void **state)
{
    uint8_t buf[128], opt[40] = {0};
    struct pkt_info pi = {.kind = PKT_KIND_IPV4, .ip = {.hdr_len = 19}};
    assert_int_equal(pkt_build(buf, sizeof buf, &pi), 0);
    pi.ip.hdr_len = 22;
    pi.ip.options = opt;
    assert_int_equal(pkt_build(buf, sizeof buf, &pi), 0);
    pi.ip.hdr_len = 64;
    assert_int_equal(pkt_build(buf, sizeof buf, &pi), 0);
    pi.ip.hdr_len = 24;         /* options claimed but none given */
    pi.ip.options = NULL;
    assert_int_equal(pkt_build(buf, sizeof buf, &pi), 0);
}

static void build_refuses_oversized_ipv4(void **state)
{
    static uint8_t big[70000];
    static uint8_t buf[70100];
    struct pkt_info pi = {
        .kind = PKT_KIND_IPV4,
        .ip = {.hdr_len = 20, .payload = big, .payload_len = 65516},
    };
    assert_int_equal(pkt_build(buf, sizeof buf, &pi), 0);
    pi.ip.payload_len = 65515;
    assert_int_equal(pkt_build(buf, sizeof buf, &pi), 14 + 65535);
}

/* An "other" frame that would parse as something else is not built. */
static void build_other_refuses_decoded_types(void **state)
{
    uint8_t buf[128];
    static const uint16_t types[] = {PKT_ETH_TYPE_ARP, PKT_ETH_TYPE_RARP,
                                     PKT_ETH_TYPE_IPV4, PKT_ETH_TYPE_VLAN};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        struct pkt_info pi = {.kind = PKT_KIND_OTHER, .eth_type = types[i]};
        assert_int_equal(pkt_build(buf, sizeof buf, &pi), 0);
    }
    struct pkt_info qinq = {.kind = PKT_KIND_OTHER, .eth_type = PKT_ETH_TYPE_QINQ,
                            .has_vlan = true};
    assert_int_equal(pkt_build(buf, sizeof buf, &qinq), 0);
    struct pkt_info lost = {.kind = PKT_KIND_OTHER, .eth_type = 0x88cc, .l3_len = 4};
    assert_int_equal(pkt_build(buf, sizeof buf, &lost), 0);
}

/* ---- Round trips: parse what was built, build what was parsed ---- */

static void round_trip(const char *frame_hex, size_t keep)
{
    uint8_t in[128], out[128];
    size_t len = hex(frame_hex, in, sizeof in);
    struct pkt_info a, b;
    assert_reject(pkt_parse(in, len, &a), PKT_OK);
    size_t n = pkt_build(out, sizeof out, &a);
    assert_int_equal(n, len);
    assert_memory_equal(out, in, keep);
    assert_reject(pkt_parse(out, n, &b), PKT_OK);
    assert_int_equal(b.kind, a.kind);
    assert_int_equal(b.vlan_tci, a.vlan_tci);
    assert_memory_equal(&b.arp, &a.arp, sizeof a.arp);
    assert_int_equal(b.ip.total_len, a.ip.total_len);
    assert_int_equal(b.ip.src, a.ip.src);
}

static void round_trip_rarp(void **state)
{
    round_trip(RARP_QEMU, 60);
}

static void round_trip_arp_tagged(void **state)
{
    round_trip(ARP_TAGGED, 64);
}

static void round_trip_arp_reply(void **state)
{
    round_trip(ARP_REPLY, 60);
}

static void round_trip_ipv4_tcp(void **state)
{
    round_trip(IPV4_TCP, 58);
}

static void round_trip_ipv4_options(void **state)
{
    round_trip(IPV4_OPTIONS, 50);
}

/* ---- The Internet checksum ---- */

/* The header commonly used to illustrate RFC 791/1071: checksum b861. */
static void checksum_known_header(void **state)
{
    uint8_t h[20];
    hex("4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7", h, sizeof h);
    assert_int_equal(pkt_inet_checksum(h, sizeof h), 0xb861);
    h[10] = 0xb8;
    h[11] = 0x61;
    assert_int_equal(pkt_inet_checksum(h, sizeof h), 0);
}

static void checksum_odd_length(void **state)
{
    static const uint8_t b[3] = {0x01, 0x02, 0x03};
    /* 0x0102 + 0x0300 = 0x0402 -> ~ = 0xfbfd */
    assert_int_equal(pkt_inet_checksum(b, sizeof b), 0xfbfd);
}

static void checksum_folds_carries(void **state)
{
    static const uint8_t b[4] = {0xff, 0xff, 0x00, 0x02};
    /* 0xffff + 0x0002 = 0x10001 -> 0x0002 -> ~ = 0xfffd */
    assert_int_equal(pkt_inet_checksum(b, sizeof b), 0xfffd);
}

/* A fold can carry again: 0x1ffff -> 0x10000 -> 0x0001. */
static void checksum_folds_twice(void **state)
{
    static const uint8_t b[6] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x01};
    assert_int_equal(pkt_inet_checksum(b, sizeof b), 0xfffe);
}

/* ---- eth_addr_parse ---- */

static void eth_addr_parse_lower_and_upper(void **state)
{
    struct eth_addr ea;
    assert_true(eth_addr_parse("52:54:00:12:34:56", &ea));
    assert_mac(ea, mn_mac);
    assert_true(eth_addr_parse("FF:ff:Ff:fF:FF:ff", &ea));
    assert_mac(ea, bcast);
}

static void eth_addr_parse_refuses_malformed(void **state)
{
    static const char *const bad[] = {
        "", "52:54:00:12:34", "52:54:00:12:34:5", "52:54:00:12:34:56:",
        "52:54:00:12:34:56 ", "52-54-00-12-34-56", "5:2:54:00:12:34:56",
        "1:2:3:4:5:6", "52:54:00:12:34:5g", " 52:54:00:12:34:56",
        "52:54:00:12:34:567", "525400123456", "+2:54:00:12:34:56",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct eth_addr ea = gw_mac;
        if (eth_addr_parse(bad[i], &ea)) {
            fail_msg("accepted \"%s\"", bad[i]);
        }
        assert_mac(ea, gw_mac);   /* left alone */
    }
    assert_false(eth_addr_parse(NULL, NULL));
}

/* ---- The run: fixed tests, then one test per refusal case ---- */

static const struct CMUnitTest fixed_tests[] = {
    cmocka_unit_test(parse_qemu_rarp),
    cmocka_unit_test(parse_arp_request),
    cmocka_unit_test(parse_arp_reply),
    cmocka_unit_test(parse_arp_without_padding),
    cmocka_unit_test(parse_tagged_arp),
    cmocka_unit_test(parse_ipv4_udp),
    cmocka_unit_test(parse_ipv4_padding_not_payload),
    cmocka_unit_test(parse_ipv4_tcp),
    cmocka_unit_test(parse_ipv4_options),
    cmocka_unit_test(parse_other_ethertype),
    cmocka_unit_test(parse_bare_header_other),
    cmocka_unit_test(parse_empty_frame),
    cmocka_unit_test(refusal_keeps_macs),
    cmocka_unit_test(prefixes_are_truncations),
    cmocka_unit_test(gratuitous_request),
    cmocka_unit_test(gratuitous_reply),
    cmocka_unit_test(ordinary_request_not_gratuitous),
    cmocka_unit_test(probe_with_zero_spa_not_gratuitous),
    cmocka_unit_test(rarp_not_gratuitous),
    cmocka_unit_test(every_reason_has_a_case),
    cmocka_unit_test(reject_names_distinct_snake_case),
    cmocka_unit_test(reject_name_values),
    cmocka_unit_test(kind_names),
    cmocka_unit_test_setup(parse_counts_nothing, reset_counters),
    cmocka_unit_test_setup(parse_counted_counts_by_reason, reset_counters),
    cmocka_unit_test_setup(count_ignores_ok_and_out_of_range, reset_counters),
    cmocka_unit_test_setup(reset_clears_every_counter, reset_counters),
    cmocka_unit_test(build_rarp_is_qemus),
    cmocka_unit_test(build_arp_request),
    cmocka_unit_test(build_arp_reply),
    cmocka_unit_test(build_gratuitous_arp),
    cmocka_unit_test(build_tagged_arp_padded_to_64),
    cmocka_unit_test(build_ipv4_udp),
    cmocka_unit_test(build_ipv4_options),
    cmocka_unit_test(build_other_copies_l3),
    cmocka_unit_test(build_needs_room_for_padding),
    cmocka_unit_test(build_refuses_op_of_other_family),
    cmocka_unit_test(build_refuses_bad_ipv4_header_len),
    cmocka_unit_test(build_refuses_oversized_ipv4),
    cmocka_unit_test(build_other_refuses_decoded_types),
    cmocka_unit_test(round_trip_rarp),
    cmocka_unit_test(round_trip_arp_tagged),
    cmocka_unit_test(round_trip_arp_reply),
    cmocka_unit_test(round_trip_ipv4_tcp),
    cmocka_unit_test(round_trip_ipv4_options),
    cmocka_unit_test(checksum_known_header),
    cmocka_unit_test(checksum_odd_length),
    cmocka_unit_test(checksum_folds_carries),
    cmocka_unit_test(checksum_folds_twice),
    cmocka_unit_test(eth_addr_parse_lower_and_upper),
    cmocka_unit_test(eth_addr_parse_refuses_malformed),
};
#define N_FIXED (sizeof fixed_tests / sizeof fixed_tests[0])

int main(void)
{
    static struct CMUnitTest tests[N_FIXED + N_REJECT_CASES];
    static char names[N_REJECT_CASES][64];
    memcpy(tests, fixed_tests, sizeof fixed_tests);
    for (size_t i = 0; i < N_REJECT_CASES; i++) {
        snprintf(names[i], sizeof names[i], "rejects_%s", reject_cases[i].name);
        tests[N_FIXED + i] = (struct CMUnitTest){
            .name = names[i], .test_func = run_reject_case,
            .initial_state = (void *)&reject_cases[i],
        };
    }
    return _cmocka_run_group_tests("pkt", tests, N_FIXED + N_REJECT_CASES, NULL, NULL);
}
