/* pkt_parse.c - decoding Ethernet, one 802.1Q tag, ARP, RARP and IPv4.
 *
 * Every read goes through a length checked just before it, so the parser
 * stays inside [frame, frame + len) whatever the bytes claim. */
#include "pkt/pkt.h"

#include <string.h>

static uint16_t get_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static struct eth_addr get_eth(const uint8_t *p)
{
    struct eth_addr ea;
    memcpy(ea.b, p, sizeof ea.b);
    return ea;
}

/* The reasons an ARP-shaped body can fail, per ethertype, so one decoder
 * serves both ARP and RARP and still reports which one was broken. */
struct arp_family {
    enum pkt_kind kind;
    uint16_t op_lo, op_hi;      /* the accepted opcodes */
    uint16_t other_lo, other_hi; /* the other family's opcodes */
    enum pkt_reject truncated, bad_htype, bad_ptype, bad_lengths, bad_op, op_other;
};

static const struct arp_family arp_fam = {
    PKT_KIND_ARP, PKT_ARP_OP_REQUEST, PKT_ARP_OP_REPLY,
    PKT_RARP_OP_REQUEST, PKT_RARP_OP_REPLY,
    PKT_REJECT_ARP_TRUNCATED, PKT_REJECT_ARP_BAD_HTYPE, PKT_REJECT_ARP_BAD_PTYPE,
    PKT_REJECT_ARP_BAD_LENGTHS, PKT_REJECT_ARP_BAD_OP, PKT_REJECT_ARP_OP_IS_RARP,
};

static const struct arp_family rarp_fam = {
    PKT_KIND_RARP, PKT_RARP_OP_REQUEST, PKT_RARP_OP_REPLY,
    PKT_ARP_OP_REQUEST, PKT_ARP_OP_REPLY,
    PKT_REJECT_RARP_TRUNCATED, PKT_REJECT_RARP_BAD_HTYPE, PKT_REJECT_RARP_BAD_PTYPE,
    PKT_REJECT_RARP_BAD_LENGTHS, PKT_REJECT_RARP_BAD_OP, PKT_REJECT_RARP_OP_IS_ARP,
};

/* The fixed 8-byte part is judged before the addresses, so that a body
 * for another hardware or protocol type is reported as such rather than
 * as "truncated" for being shorter than the Ethernet/IPv4 layout. */
static enum pkt_reject parse_arp(const struct arp_family *f, const uint8_t *p,
                                 size_t len, struct pkt_info *out)
{
    if (len < 8) {
        return f->truncated;
    }
    if (get_be16(p) != PKT_ARP_HTYPE_ETH) {
        return f->bad_htype;
    }
    if (get_be16(p + 2) != PKT_ETH_TYPE_IPV4) {
        return f->bad_ptype;
    }
    if (p[4] != 6 || p[5] != 4) {
        return f->bad_lengths;
    }
    uint16_t op = get_be16(p + 6);
    if (op >= f->other_lo && op <= f->other_hi) {
        return f->op_other;
    }
    if (op < f->op_lo || op > f->op_hi) {
        return f->bad_op;
    }
    if (len < PKT_ARP_LEN) {
        return f->truncated;
    }
    out->arp.op = op;
    out->arp.sha = get_eth(p + 8);
    out->arp.spa = get_be32(p + 14);
    out->arp.tha = get_eth(p + 18);
    out->arp.tpa = get_be32(p + 24);
    out->kind = f->kind;
    return PKT_OK;
}

/* Checks in the order an operator would diagnose: is there a header, is it
 * IPv4, is its own length sane and present, is the datagram length sane
 * and present, and only then is the checksum worth computing. */
static enum pkt_reject parse_ipv4(const uint8_t *p, size_t len, struct pkt_info *out)
{
    if (len < PKT_IPV4_MIN_HDR) {
        return PKT_REJECT_IPV4_TRUNCATED;
    }
    if (p[0] >> 4 != 4) {
        return PKT_REJECT_IPV4_BAD_VERSION;
    }
    size_t hdr_len = (size_t)(p[0] & 0x0f) * 4;
    if (hdr_len < PKT_IPV4_MIN_HDR) {
        return PKT_REJECT_IPV4_BAD_IHL;
    }
    if (hdr_len > len) {
        return PKT_REJECT_IPV4_OPTIONS_TRUNCATED;
    }
    uint16_t total_len = get_be16(p + 2);
    if (total_len < hdr_len) {
        return PKT_REJECT_IPV4_BAD_TOTAL_LEN;
    }
    if (total_len > len) {
        return PKT_REJECT_IPV4_PAYLOAD_TRUNCATED;
    }
    if (pkt_inet_checksum(p, hdr_len) != 0) {
        return PKT_REJECT_IPV4_BAD_CHECKSUM;
    }
    struct pkt_ipv4 *ip = &out->ip;
    ip->hdr_len = (uint8_t)hdr_len;
    ip->tos = p[1];
    ip->total_len = total_len;
    ip->id = get_be16(p + 4);
    ip->frag = get_be16(p + 6);
    ip->ttl = p[8];
    ip->proto = p[9];
    ip->src = get_be32(p + 12);
    ip->dst = get_be32(p + 16);
    ip->options = hdr_len > PKT_IPV4_MIN_HDR ? p + PKT_IPV4_MIN_HDR : NULL;
    ip->payload = p + hdr_len;
    ip->payload_len = total_len - hdr_len;
    out->kind = PKT_KIND_IPV4;
    return PKT_OK;
}

/* Ethernet and at most one tag. A second tag is refused rather than passed
 * on as "other": nothing above could act on it, and an ARP or RARP hidden
 * behind it must not vanish without a count. */
static enum pkt_reject parse_eth(const uint8_t *frame, size_t len, struct pkt_info *out)
{
    if (len < PKT_ETH_HDR_LEN) {
        return PKT_REJECT_ETH_TRUNCATED;
    }
    out->dst = get_eth(frame);
    out->src = get_eth(frame + 6);
    out->eth_type = get_be16(frame + 12);
    size_t off = PKT_ETH_HDR_LEN;
    if (out->eth_type == PKT_ETH_TYPE_VLAN) {
        if (len < PKT_ETH_HDR_LEN + PKT_VLAN_TAG_LEN) {
            return PKT_REJECT_VLAN_TRUNCATED;
        }
        out->has_vlan = true;
        out->vlan_tci = get_be16(frame + 14);
        out->eth_type = get_be16(frame + 16);
        off += PKT_VLAN_TAG_LEN;
        if (out->eth_type == PKT_ETH_TYPE_VLAN || out->eth_type == PKT_ETH_TYPE_QINQ) {
            return PKT_REJECT_VLAN_NESTED;
        }
    }
    out->l3 = frame + off;
    out->l3_len = len - off;
    return PKT_OK;
}

enum pkt_reject pkt_parse(const uint8_t *frame, size_t len, struct pkt_info *out)
{
    memset(out, 0, sizeof *out);
    out->kind = PKT_KIND_OTHER;
    enum pkt_reject r = parse_eth(frame, len, out);
    if (r != PKT_OK) {
        return r;
    }
    switch (out->eth_type) {
    case PKT_ETH_TYPE_ARP:
        return parse_arp(&arp_fam, out->l3, out->l3_len, out);
    case PKT_ETH_TYPE_RARP:
        return parse_arp(&rarp_fam, out->l3, out->l3_len, out);
    case PKT_ETH_TYPE_IPV4:
        return parse_ipv4(out->l3, out->l3_len, out);
    default:
        return PKT_OK;
    }
}

enum pkt_reject pkt_parse_counted(const uint8_t *frame, size_t len,
                                  struct pkt_info *out)
{
    enum pkt_reject r = pkt_parse(frame, len, out);
    pkt_count_reject(r);
    return r;
}

bool pkt_arp_is_gratuitous(const struct pkt_info *pi)
{
    return pi->kind == PKT_KIND_ARP
           && (pi->arp.op == PKT_ARP_OP_REQUEST || pi->arp.op == PKT_ARP_OP_REPLY)
           && pi->arp.spa == pi->arp.tpa && pi->arp.spa != 0;
}
