/* ofp10_match.c - the OpenFlow 1.0 ofp_match: a fixed struct with a
 * wildcard bitmap, translated to and from the abstract field set.
 *
 * 1.0 matches IPv4 addresses with prefix masks only (a count of wildcarded
 * low bits). For ARP (and RARP) frames, nw_proto, nw_src and nw_dst carry
 * the opcode's low byte, the sender and the target protocol addresses. */
#include "ofp/ofp10.h"

#include <endian.h>
#include <string.h>

#define ETH_TYPE_IPV4 0x0800
#define ETH_TYPE_ARP 0x0806
#define ETH_TYPE_RARP 0x8035

static union of_field_value v32(uint32_t x)
{
    union of_field_value v;
    memset(&v, 0, sizeof v);
    v.u32 = x;
    return v;
}

static union of_field_value v16(uint16_t x)
{
    union of_field_value v;
    memset(&v, 0, sizeof v);
    v.u16 = x;
    return v;
}

static union of_field_value vmac(const uint8_t *p)
{
    union of_field_value v;
    memset(&v, 0, sizeof v);
    memcpy(v.mac.b, p, 6);
    return v;
}

/* An address with `bits` wildcarded low bits (>= 32: the whole field). */
static void set_prefix(struct of_match *m, enum of_field f, uint32_t addr, unsigned bits)
{
    if (bits >= 32) {
        return;
    }
    uint32_t mask = bits == 0 ? UINT32_MAX : UINT32_MAX << bits;
    if (bits == 0) {
        of_match_set(m, f, v32(addr));
    } else {
        of_match_set_masked(m, f, v32(addr & mask), v32(mask));
    }
}

ofperr ofp10_decode_match(const struct ofp10_match *w, struct of_match *m)
{
    of_match_init(m);
    uint32_t wc = be32toh(w->wildcards);
    if (!(wc & OFPFW10_IN_PORT)) {
        of_match_set(m, OFF_IN_PORT, v32(ofp10_port_to_abstract(be16toh(w->in_port))));
    }
    if (!(wc & OFPFW10_DL_SRC)) {
        of_match_set(m, OFF_ETH_SRC, vmac(w->dl_src));
    }
    if (!(wc & OFPFW10_DL_DST)) {
        of_match_set(m, OFF_ETH_DST, vmac(w->dl_dst));
    }
    if (!(wc & OFPFW10_DL_VLAN)) {
        uint16_t vlan = be16toh(w->dl_vlan);
        if (vlan != OFP10_VLAN_NONE && vlan > 0x0fff) {
            return OFPERR_MATCH_BAD_VALUE;
        }
        of_match_set(m, OFF_VLAN_VID, v16(vlan == OFP10_VLAN_NONE ? 0 : OFPVID_PRESENT | vlan));
    }
    if (!(wc & OFPFW10_DL_VLAN_PCP)) {
        m->n_other++;
    }
    uint16_t type = be16toh(w->dl_type);
    bool has_type = !(wc & OFPFW10_DL_TYPE);
    if (has_type) {
        of_match_set(m, OFF_ETH_TYPE, v16(type));
    }
    bool ip = has_type && type == ETH_TYPE_IPV4;
    bool arp = has_type && (type == ETH_TYPE_ARP || type == ETH_TYPE_RARP);
    /* The network fields mean something only for IPv4 and ARP; the spec
     * has the switch ignore them otherwise, and so do we. */
    if (ip || arp) {
        if (!(wc & OFPFW10_NW_PROTO)) {
            if (ip) {
                of_match_set(m, OFF_IP_PROTO, (union of_field_value){.u8 = w->nw_proto});
            } else {
                of_match_set(m, OFF_ARP_OP, v16(w->nw_proto));
            }
        }
        set_prefix(m, ip ? OFF_IPV4_SRC : OFF_ARP_SPA, be32toh(w->nw_src),
                   (wc >> OFPFW10_NW_SRC_SHIFT) & OFPFW10_NW_BITS_MASK);
        set_prefix(m, ip ? OFF_IPV4_DST : OFF_ARP_TPA, be32toh(w->nw_dst),
                   (wc >> OFPFW10_NW_DST_SHIFT) & OFPFW10_NW_BITS_MASK);
    }
    if (ip) {
        m->n_other += !(wc & OFPFW10_NW_TOS) + !(wc & OFPFW10_TP_SRC) + !(wc & OFPFW10_TP_DST);
    }
    return of_match_validate(m);
}

/* Wildcarded low bits of an address field, or -1 if its mask is not a
 * prefix (1.0 can express nothing else). */
static int prefix_bits(const struct of_match *m, enum of_field f)
{
    if (!(m->masked & (1u << f))) {
        return 0;
    }
    uint32_t inv = ~m->mask[f].u32;
    if (inv & (inv + 1)) {
        return -1;
    }
    return __builtin_popcount(inv);
}

/* True if the field is exact, or masked with an all-ones mask. */
static bool exact(const struct of_match *m, enum of_field f)
{
    if (!(m->masked & (1u << f))) {
        return true;
    }
    const union of_field_value *mask = &m->mask[f];
    switch (of_field_width(f)) {
    case 2:
        return mask->u16 == (f == OFF_VLAN_VID ? 0x1fff : 0xffff);
    case 6:
        return eth_addr_equal(mask->mac, (struct eth_addr){{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}});
    default:
        return false;
    }
}

/* Sets an address field's wildcard count in *wc; the value is the
 * caller's to copy. */
static ofperr put_nw_bits(const struct of_match *m, enum of_field f, uint32_t *wc, unsigned shift)
{
    int bits = prefix_bits(m, f);
    if (bits < 0) {
        return OFPERR_MATCH_BAD_MASK;
    }
    *wc = (*wc & ~(OFPFW10_NW_BITS_MASK << shift)) | (uint32_t)bits << shift;
    return 0;
}

static ofperr fill_match(const struct of_match *m, struct ofp10_match *w, uint32_t *wc)
{
    if (m->present & ((1u << OFF_METADATA) | (1u << OFF_ARP_SHA) | (1u << OFF_ARP_THA))) {
        return OFPERR_MATCH_BAD_FIELD; /* 1.0 has no such field */
    }
    if (of_match_has(m, OFF_IN_PORT)) {
        uint16_t port;
        if (!ofp10_port_from_abstract(m->value[OFF_IN_PORT].u32, &port)) {
            return OFPERR_MATCH_BAD_VALUE;
        }
        w->in_port = htobe16(port);
        *wc &= ~(uint32_t)OFPFW10_IN_PORT;
    }
    if (of_match_has(m, OFF_ETH_SRC)) {
        if (!exact(m, OFF_ETH_SRC)) {
            return OFPERR_MATCH_BAD_MASK;
        }
        memcpy(w->dl_src, m->value[OFF_ETH_SRC].mac.b, 6);
        *wc &= ~(uint32_t)OFPFW10_DL_SRC;
    }
    if (of_match_has(m, OFF_ETH_DST)) {
        if (!exact(m, OFF_ETH_DST)) {
            return OFPERR_MATCH_BAD_MASK;
        }
        memcpy(w->dl_dst, m->value[OFF_ETH_DST].mac.b, 6);
        *wc &= ~(uint32_t)OFPFW10_DL_DST;
    }
    if (of_match_has(m, OFF_VLAN_VID)) {
        uint16_t vid = m->value[OFF_VLAN_VID].u16;
        if (!exact(m, OFF_VLAN_VID)) {
            return OFPERR_MATCH_BAD_MASK; /* "any tagged frame" is not 1.0 */
        }
        if (vid != 0 && ((vid & ~0x1fff) != 0 || !(vid & OFPVID_PRESENT))) {
            return OFPERR_MATCH_BAD_VALUE;
        }
        w->dl_vlan = htobe16(vid == 0 ? OFP10_VLAN_NONE : vid & 0x0fff);
        *wc &= ~(uint32_t)OFPFW10_DL_VLAN;
    }
    if (of_match_has(m, OFF_ETH_TYPE)) {
        w->dl_type = htobe16(m->value[OFF_ETH_TYPE].u16);
        *wc &= ~(uint32_t)OFPFW10_DL_TYPE;
    }
    if (of_match_has(m, OFF_IP_PROTO)) {
        if (m->value[OFF_ETH_TYPE].u16 != ETH_TYPE_IPV4) {
            return OFPERR_MATCH_BAD_FIELD; /* IPv6: not in 1.0 */
        }
        w->nw_proto = m->value[OFF_IP_PROTO].u8;
        *wc &= ~(uint32_t)OFPFW10_NW_PROTO;
    }
    if (of_match_has(m, OFF_ARP_OP)) {
        if (m->value[OFF_ARP_OP].u16 > 0xff) {
            return OFPERR_MATCH_BAD_VALUE; /* 1.0 holds the low byte only */
        }
        w->nw_proto = (uint8_t)m->value[OFF_ARP_OP].u16;
        *wc &= ~(uint32_t)OFPFW10_NW_PROTO;
    }
    /* of_match_validate() made IPv4 and ARP fields exclusive (eth_type). */
    static const enum of_field srcs[] = {OFF_IPV4_SRC, OFF_ARP_SPA};
    static const enum of_field dsts[] = {OFF_IPV4_DST, OFF_ARP_TPA};
    for (unsigned i = 0; i < 2; i++) {
        if (of_match_has(m, srcs[i])) {
            if (put_nw_bits(m, srcs[i], wc, OFPFW10_NW_SRC_SHIFT)) {
                return OFPERR_MATCH_BAD_MASK;
            }
            w->nw_src = htobe32(m->value[srcs[i]].u32);
        }
        if (of_match_has(m, dsts[i])) {
            if (put_nw_bits(m, dsts[i], wc, OFPFW10_NW_DST_SHIFT)) {
                return OFPERR_MATCH_BAD_MASK;
            }
            w->nw_dst = htobe32(m->value[dsts[i]].u32);
        }
    }
    return 0;
}

ofperr ofp10_encode_match(struct obuf *b, const struct of_match *m)
{
    ofperr err = of_match_validate(m);
    if (err) {
        return err;
    }
    struct ofp10_match w;
    memset(&w, 0, sizeof w);
    /* Everything wildcarded; an address is all-wild at 32 bits or more. */
    uint32_t wc = OFPFW10_ALL & ~((OFPFW10_NW_BITS_MASK << OFPFW10_NW_SRC_SHIFT) |
                                  (OFPFW10_NW_BITS_MASK << OFPFW10_NW_DST_SHIFT));
    wc |= 32u << OFPFW10_NW_SRC_SHIFT | 32u << OFPFW10_NW_DST_SHIFT;
    err = fill_match(m, &w, &wc);
    if (err) {
        return err;
    }
    w.wildcards = htobe32(wc);
    obuf_put(b, &w, sizeof w);
    return 0;
}
