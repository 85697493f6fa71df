/* pkt_build.c - writing Ethernet, 802.1Q, ARP, RARP and IPv4 frames.
 *
 * The whole length is worked out and checked against the caller's buffer
 * before a byte is written, and only frames pkt_parse accepts are built:
 * what the controller sends is held to the rules it enforces on input. */
#include "pkt/pkt.h"

#include <string.h>

static uint8_t *put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return p + 2;
}

static uint8_t *put_be32(uint8_t *p, uint32_t v)
{
    p = put_be16(p, (uint16_t)(v >> 16));
    return put_be16(p, (uint16_t)v);
}

static uint8_t *put_eth_addr(uint8_t *p, struct eth_addr ea)
{
    memcpy(p, ea.b, sizeof ea.b);
    return p + sizeof ea.b;
}

static bool arp_op_fits(enum pkt_kind kind, uint16_t op)
{
    if (kind == PKT_KIND_ARP) {
        return op == PKT_ARP_OP_REQUEST || op == PKT_ARP_OP_REPLY;
    }
    return op == PKT_RARP_OP_REQUEST || op == PKT_RARP_OP_REPLY;
}

static bool ipv4_fits(const struct pkt_ipv4 *ip)
{
    return ip->hdr_len >= PKT_IPV4_MIN_HDR && ip->hdr_len <= PKT_IPV4_MAX_HDR
           && ip->hdr_len % 4 == 0
           && ip->payload_len <= (size_t)UINT16_MAX - ip->hdr_len
           && (ip->hdr_len == PKT_IPV4_MIN_HDR || ip->options != NULL)
           && (ip->payload_len == 0 || ip->payload != NULL);
}

/* An "other" frame must not carry an ethertype the parser would decode
 * (or a second tag): it would come back as something else, or refused. */
static bool other_fits(const struct pkt_info *pi)
{
    switch (pi->eth_type) {
    case PKT_ETH_TYPE_ARP:
    case PKT_ETH_TYPE_RARP:
    case PKT_ETH_TYPE_IPV4:
    case PKT_ETH_TYPE_VLAN:
        return false;
    case PKT_ETH_TYPE_QINQ:
        return !pi->has_vlan;
    default:
        return pi->l3 != NULL || pi->l3_len == 0;
    }
}

/* Whether the request describes a frame the parser would accept. */
static bool request_fits(const struct pkt_info *pi)
{
    switch (pi->kind) {
    case PKT_KIND_ARP:
    case PKT_KIND_RARP:
        return arp_op_fits(pi->kind, pi->arp.op);
    case PKT_KIND_IPV4:
        return ipv4_fits(&pi->ip);
    case PKT_KIND_OTHER:
        return other_fits(pi);
    }
    return false;
}

/* Bytes after the Ethernet header, for a request that fits. */
static size_t l3_size(const struct pkt_info *pi)
{
    switch (pi->kind) {
    case PKT_KIND_ARP:
    case PKT_KIND_RARP:
        return PKT_ARP_LEN;
    case PKT_KIND_IPV4:
        return (size_t)pi->ip.hdr_len + pi->ip.payload_len;
    case PKT_KIND_OTHER:
        break;
    }
    return pi->l3_len;
}

static uint16_t eth_type_of(const struct pkt_info *pi)
{
    switch (pi->kind) {
    case PKT_KIND_ARP:
        return PKT_ETH_TYPE_ARP;
    case PKT_KIND_RARP:
        return PKT_ETH_TYPE_RARP;
    case PKT_KIND_IPV4:
        return PKT_ETH_TYPE_IPV4;
    case PKT_KIND_OTHER:
        break;
    }
    return pi->eth_type;
}

static uint8_t *put_eth(uint8_t *p, const struct pkt_info *pi)
{
    p = put_eth_addr(p, pi->dst);
    p = put_eth_addr(p, pi->src);
    if (pi->has_vlan) {
        p = put_be16(p, PKT_ETH_TYPE_VLAN);
        p = put_be16(p, pi->vlan_tci);
    }
    return put_be16(p, eth_type_of(pi));
}

static void put_arp(uint8_t *p, const struct pkt_arp *a)
{
    p = put_be16(p, PKT_ARP_HTYPE_ETH);
    p = put_be16(p, PKT_ETH_TYPE_IPV4);
    *p++ = 6;
    *p++ = 4;
    p = put_be16(p, a->op);
    p = put_eth_addr(p, a->sha);
    p = put_be32(p, a->spa);
    p = put_eth_addr(p, a->tha);
    put_be32(p, a->tpa);
}

static void put_ipv4(uint8_t *p, const struct pkt_ipv4 *ip)
{
    uint8_t *hdr = p;
    *p++ = (uint8_t)(0x40 | ip->hdr_len / 4);
    *p++ = ip->tos;
    p = put_be16(p, (uint16_t)(ip->hdr_len + ip->payload_len));
    p = put_be16(p, ip->id);
    p = put_be16(p, ip->frag);
    *p++ = ip->ttl;
    *p++ = ip->proto;
    uint8_t *csum = p;
    p = put_be16(p, 0);
    p = put_be32(p, ip->src);
    p = put_be32(p, ip->dst);
    if (ip->hdr_len > PKT_IPV4_MIN_HDR) {
        memcpy(p, ip->options, ip->hdr_len - PKT_IPV4_MIN_HDR);
    }
    put_be16(csum, pkt_inet_checksum(hdr, ip->hdr_len));
    if (ip->payload_len > 0) {
        memcpy(hdr + ip->hdr_len, ip->payload, ip->payload_len);
    }
}

size_t pkt_build(uint8_t *buf, size_t cap, const struct pkt_info *pi)
{
    if (!request_fits(pi)) {
        return 0;
    }
    size_t l3 = l3_size(pi);
    if (l3 > cap) {             /* also keeps eth + l3 from wrapping */
        return 0;
    }
    size_t eth = PKT_ETH_HDR_LEN + (pi->has_vlan ? PKT_VLAN_TAG_LEN : 0);
    size_t min = PKT_ETH_MIN_FRAME + (pi->has_vlan ? PKT_VLAN_TAG_LEN : 0);
    size_t len = eth + l3 > min ? eth + l3 : min;
    if (len > cap) {
        return 0;
    }
    memset(buf, 0, len);
    uint8_t *p = put_eth(buf, pi);
    switch (pi->kind) {
    case PKT_KIND_ARP:
    case PKT_KIND_RARP:
        put_arp(p, &pi->arp);
        break;
    case PKT_KIND_IPV4:
        put_ipv4(p, &pi->ip);
        break;
    case PKT_KIND_OTHER:
        if (l3 > 0) {
            memcpy(p, pi->l3, l3);
        }
        break;
    }
    return len;
}

size_t pkt_build_arp(uint8_t *buf, size_t cap, struct eth_addr eth_dst,
                     struct eth_addr eth_src, uint16_t op,
                     struct eth_addr sha, uint32_t spa,
                     struct eth_addr tha, uint32_t tpa)
{
    struct pkt_info pi = {
        .dst = eth_dst, .src = eth_src, .kind = PKT_KIND_ARP,
        .arp = {.op = op, .sha = sha, .spa = spa, .tha = tha, .tpa = tpa},
    };
    return pkt_build(buf, cap, &pi);
}

size_t pkt_build_rarp(uint8_t *buf, size_t cap, struct eth_addr mac)
{
    static const struct eth_addr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
    struct pkt_info pi = {
        .dst = bcast, .src = mac, .kind = PKT_KIND_RARP,
        .arp = {.op = PKT_RARP_OP_REQUEST, .sha = mac, .tha = mac},
    };
    return pkt_build(buf, cap, &pi);
}
