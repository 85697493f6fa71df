/* ofp10_port.c - OpenFlow 1.0 port numbers and ofp_phy_port, shared by
 * FEATURES_REPLY and PORT_STATUS. */
#include "ofp/ofp10.h"

#include <endian.h>
#include <string.h>

#include "ofp/ofp13.h" /* ofp_copy_wire_string */

uint32_t ofp10_port_to_abstract(uint16_t port)
{
    return port >= OFPP10_MAX ? 0xffff0000u | port : port;
}

bool ofp10_port_from_abstract(uint32_t port, uint16_t *out)
{
    if (port < OFPP10_MAX) {
        *out = (uint16_t)port;
        return true;
    }
    if (port >= OFPP_MAX) {
        *out = (uint16_t)(port & 0xffff);
        return true;
    }
    return false;
}

/* Port features: speeds 10M..10G are bits 0-6 in both versions; 1.0's
 * copper, fiber, autoneg, pause, pause-asym (bits 7-11) are 1.3's bits
 * 11-15. 1.3's 40G, 100G, 1T and OTHER (bits 7-10) have no 1.0 bit. */
#define FEAT_SPEEDS 0x7fu
#define FEAT10_MEDIUM (0x1fu << 7)
#define FEAT13_MEDIUM (0x1fu << 11)

static uint32_t features_to_abstract(uint32_t f)
{
    return (f & FEAT_SPEEDS) | ((f & FEAT10_MEDIUM) << 4);
}

static uint32_t features_from_abstract(uint32_t f)
{
    return (f & FEAT_SPEEDS) | ((f & FEAT13_MEDIUM) >> 4);
}

/* Port state: LINK_DOWN in both; 1.0's STP_BLOCK is 1.3's BLOCKED (bit 1);
 * the other STP states and 1.3's LIVE have no counterpart. */
#define OFPPS13_BLOCKED 2u

void ofp10_decode_phy_port(const struct ofp10_phy_port *w, struct of_port *p)
{
    memset(p, 0, sizeof *p);
    p->port_no = ofp10_port_to_abstract(be16toh(w->port_no));
    memcpy(p->hw_addr.b, w->hw_addr, 6);
    ofp_copy_wire_string(p->name, w->name, sizeof w->name);
    p->config = be32toh(w->config) & OFPPC10_SHARED;
    uint32_t state = be32toh(w->state);
    p->state = (state & OFPPS10_LINK_DOWN) |
               ((state & OFPPS10_STP_MASK) == OFPPS10_STP_BLOCK ? OFPPS13_BLOCKED : 0);
    p->curr = features_to_abstract(be32toh(w->curr));
    p->advertised = features_to_abstract(be32toh(w->advertised));
    p->supported = features_to_abstract(be32toh(w->supported));
    p->peer = features_to_abstract(be32toh(w->peer));
}

ofperr ofp10_encode_phy_port(struct obuf *b, const struct of_port *p)
{
    uint16_t port_no;
    if (!ofp10_port_from_abstract(p->port_no, &port_no)) {
        return OFPERR_BAD_PORT;
    }
    struct ofp10_phy_port *w = obuf_put_zeros(b, sizeof *w);
    w->port_no = htobe16(port_no);
    memcpy(w->hw_addr, p->hw_addr.b, 6);
    memcpy(w->name, p->name, strnlen(p->name, sizeof w->name));
    w->config = htobe32(p->config & OFPPC10_SHARED);
    w->state = htobe32((p->state & OFPPS10_LINK_DOWN) |
                       (p->state & OFPPS13_BLOCKED ? OFPPS10_STP_BLOCK : 0));
    w->curr = htobe32(features_from_abstract(p->curr));
    w->advertised = htobe32(features_from_abstract(p->advertised));
    w->supported = htobe32(features_from_abstract(p->supported));
    w->peer = htobe32(features_from_abstract(p->peer));
    return 0;
}
