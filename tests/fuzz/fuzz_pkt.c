/* fuzz_pkt.c - libFuzzer target for the packet layer (src/pkt).
 *
 * Every input is a frame as a switch could hand it over in a Packet-In.
 * Refused frames must carry a named reason and be counted once. Accepted
 * frames must decode to pointers inside the input and lengths that add up,
 * and must survive a round trip through the builders: same bytes where the
 * frame has meaning, zeros where the builder pads, and the same decoding.
 * The same input, read as text, also exercises eth_addr_parse. Any broken
 * invariant abort()s, which libFuzzer reports with the input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pkt/pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) check((cond), #cond, __LINE__)

static void check(bool ok, const char *what, int line)
{
    if (!ok) {
        fprintf(stderr, "fuzz_pkt.c:%d: invariant broken: %s\n", line, what);
        abort();
    }
}

static size_t eth_len(const struct pkt_info *pi)
{
    return PKT_ETH_HDR_LEN + (pi->has_vlan ? PKT_VLAN_TAG_LEN : 0);
}

static bool is_decoded_type(uint16_t t)
{
    return t == PKT_ETH_TYPE_ARP || t == PKT_ETH_TYPE_RARP || t == PKT_ETH_TYPE_IPV4;
}

static void check_arp(const struct pkt_info *pi)
{
    const struct pkt_arp *a = &pi->arp;
    CHECK(pi->l3_len >= PKT_ARP_LEN);
    if (pi->kind == PKT_KIND_ARP) {
        CHECK(pi->eth_type == PKT_ETH_TYPE_ARP);
        CHECK(a->op == PKT_ARP_OP_REQUEST || a->op == PKT_ARP_OP_REPLY);
    } else {
        CHECK(pi->eth_type == PKT_ETH_TYPE_RARP);
        CHECK(a->op == PKT_RARP_OP_REQUEST || a->op == PKT_RARP_OP_REPLY);
        CHECK(!pkt_arp_is_gratuitous(pi));
    }
    CHECK(memcmp(a->sha.b, pi->l3 + 8, 6) == 0);
    CHECK(memcmp(a->tha.b, pi->l3 + 18, 6) == 0);
}

static void check_ipv4(const struct pkt_info *pi)
{
    const struct pkt_ipv4 *ip = &pi->ip;
    CHECK(pi->eth_type == PKT_ETH_TYPE_IPV4);
    CHECK(ip->hdr_len >= PKT_IPV4_MIN_HDR && ip->hdr_len <= PKT_IPV4_MAX_HDR);
    CHECK(ip->hdr_len % 4 == 0);
    CHECK(ip->total_len >= ip->hdr_len && ip->total_len <= pi->l3_len);
    CHECK(ip->options == (ip->hdr_len > PKT_IPV4_MIN_HDR ? pi->l3 + PKT_IPV4_MIN_HDR : NULL));
    CHECK(ip->payload == pi->l3 + ip->hdr_len);
    CHECK(ip->payload_len == (size_t)ip->total_len - ip->hdr_len);
    CHECK(pkt_inet_checksum(pi->l3, ip->hdr_len) == 0);
}

/* Pointers inside the input, lengths consistent, kind matching type. */
static void check_parsed(const uint8_t *data, size_t size, const struct pkt_info *pi)
{
    CHECK(eth_len(pi) <= size);
    CHECK(pi->l3 == data + eth_len(pi));
    CHECK(pi->l3_len == size - eth_len(pi));
    CHECK(memcmp(pi->dst.b, data, 6) == 0 && memcmp(pi->src.b, data + 6, 6) == 0);
    switch (pi->kind) {
    case PKT_KIND_ARP:
    case PKT_KIND_RARP:
        check_arp(pi);
        break;
    case PKT_KIND_IPV4:
        check_ipv4(pi);
        break;
    case PKT_KIND_OTHER:
        CHECK(!is_decoded_type(pi->eth_type));
        CHECK(pi->eth_type != PKT_ETH_TYPE_VLAN);
        CHECK(!pi->has_vlan || pi->eth_type != PKT_ETH_TYPE_QINQ);
        CHECK(!pkt_arp_is_gratuitous(pi));
        break;
    }
}

/* Bytes of the input that carry meaning (the rest is padding). */
static size_t meaningful_len(const struct pkt_info *pi)
{
    switch (pi->kind) {
    case PKT_KIND_ARP:
    case PKT_KIND_RARP:
        return eth_len(pi) + PKT_ARP_LEN;
    case PKT_KIND_IPV4:
        return eth_len(pi) + pi->ip.total_len;
    case PKT_KIND_OTHER:
        break;
    }
    return eth_len(pi) + pi->l3_len;
}

static void check_same_decoding(const struct pkt_info *a, const struct pkt_info *b)
{
    CHECK(eth_addr_equal(a->dst, b->dst) && eth_addr_equal(a->src, b->src));
    CHECK(a->has_vlan == b->has_vlan && a->vlan_tci == b->vlan_tci);
    CHECK(a->eth_type == b->eth_type && a->kind == b->kind);
    CHECK(memcmp(&a->arp, &b->arp, sizeof a->arp) == 0);
    const struct pkt_ipv4 *x = &a->ip, *y = &b->ip;
    CHECK(x->hdr_len == y->hdr_len && x->tos == y->tos && x->ttl == y->ttl);
    CHECK(x->proto == y->proto && x->total_len == y->total_len && x->id == y->id);
    CHECK(x->frag == y->frag && x->src == y->src && x->dst == y->dst);
    CHECK(x->payload_len == y->payload_len);
}

/* The dedicated builders must agree with the generic one. */
static void check_wrappers(const struct pkt_info *pi, const uint8_t *built, size_t n)
{
    static uint8_t buf[128];
    const struct pkt_arp *a = &pi->arp;
    if (pi->has_vlan) {
        return;
    }
    if (pi->kind == PKT_KIND_ARP) {
        size_t m = pkt_build_arp(buf, sizeof buf, pi->dst, pi->src, a->op,
                                 a->sha, a->spa, a->tha, a->tpa);
        CHECK(m == n && memcmp(buf, built, n) == 0);
    }
    if (pi->kind == PKT_KIND_RARP && a->op == PKT_RARP_OP_REQUEST
        && eth_addr_is_broadcast(pi->dst) && eth_addr_equal(a->sha, pi->src)
        && eth_addr_equal(a->tha, pi->src) && a->spa == 0 && a->tpa == 0) {
        size_t m = pkt_build_rarp(buf, sizeof buf, pi->src);
        CHECK(m == n && memcmp(buf, built, n) == 0);
    }
}

static void check_round_trip(const uint8_t *data, const struct pkt_info *pi)
{
    static uint8_t buf[70000];
    size_t keep = meaningful_len(pi);
    size_t min = PKT_ETH_MIN_FRAME + (pi->has_vlan ? PKT_VLAN_TAG_LEN : 0);
    size_t want = keep > min ? keep : min;
    if (want > sizeof buf) {
        return;
    }
    size_t n = pkt_build(buf, sizeof buf, pi);
    CHECK(n == want);
    CHECK(pkt_build(buf, n - 1, pi) == 0);
    n = pkt_build(buf, n, pi);
    CHECK(n == want);
    if (pi->kind == PKT_KIND_IPV4) {
        /* 0x0000 and 0xffff are the same one's-complement checksum when
         * the rest sums to 0xffff; the builder writes one of them. */
        size_t c = eth_len(pi) + 10;
        CHECK(memcmp(buf, data, c) == 0);
        CHECK(memcmp(buf + c + 2, data + c + 2, keep - c - 2) == 0);
    } else {
        CHECK(memcmp(buf, data, keep) == 0);
    }
    for (size_t i = keep; i < n; i++) {
        CHECK(buf[i] == 0);
    }
    struct pkt_info again;
    CHECK(pkt_parse(buf, n, &again) == PKT_OK);
    check_same_decoding(pi, &again);
    check_wrappers(pi, buf, n);
}

static void check_refused(const uint8_t *data, size_t size, enum pkt_reject r)
{
    CHECK(r > PKT_OK && r < PKT_N_REJECT);
    CHECK(strcmp(pkt_reject_name(r), "unknown") != 0);
    uint64_t before = pkt_reject_count(r), total = pkt_reject_total();
    struct pkt_info pi;
    CHECK(pkt_parse_counted(data, size, &pi) == r);
    CHECK(pkt_reject_count(r) == before + 1 && pkt_reject_total() == total + 1);
}

/* Anything eth_addr_parse accepts must print back as the same text. */
static void check_eth_addr_text(const uint8_t *data, size_t size)
{
    char s[32], back[ETH_ADDR_STRLEN];
    size_t n = size < sizeof s - 1 ? size : sizeof s - 1;
    memcpy(s, data, n);
    s[n] = '\0';
    struct eth_addr ea;
    if (eth_addr_parse(s, &ea)) {
        snprintf(back, sizeof back, ETH_ADDR_FMT, ETH_ADDR_ARGS(ea));
        CHECK(strlen(s) == 17 && strcasecmp(s, back) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pkt_info pi;
    enum pkt_reject r = pkt_parse(data, size, &pi);
    if (r != PKT_OK) {
        check_refused(data, size, r);
    } else {
        check_parsed(data, size, &pi);
        check_round_trip(data, &pi);
    }
    check_eth_addr_text(data, size);
    return 0;
}
