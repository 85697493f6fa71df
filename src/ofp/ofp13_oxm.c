/* ofp13_oxm.c - OpenFlow 1.3 OXM TLVs: the match and set_field payloads. */
#include "ofp/ofp13.h"

#include <endian.h>
#include <string.h>

/* OXM field number of each abstract field. */
static const uint8_t oxm_of_field[OFF_N_FIELDS] = {
    [OFF_IN_PORT] = OFPXMT_IN_PORT,   [OFF_METADATA] = OFPXMT_METADATA,
    [OFF_ETH_DST] = OFPXMT_ETH_DST,   [OFF_ETH_SRC] = OFPXMT_ETH_SRC,
    [OFF_ETH_TYPE] = OFPXMT_ETH_TYPE, [OFF_VLAN_VID] = OFPXMT_VLAN_VID,
    [OFF_IP_PROTO] = OFPXMT_IP_PROTO, [OFF_IPV4_SRC] = OFPXMT_IPV4_SRC,
    [OFF_IPV4_DST] = OFPXMT_IPV4_DST, [OFF_ARP_OP] = OFPXMT_ARP_OP,
    [OFF_ARP_SPA] = OFPXMT_ARP_SPA,   [OFF_ARP_TPA] = OFPXMT_ARP_TPA,
    [OFF_ARP_SHA] = OFPXMT_ARP_SHA,   [OFF_ARP_THA] = OFPXMT_ARP_THA,
};

/* Abstract field for an OpenFlow-basic OXM field number, or -1. */
static int field_of_oxm(unsigned oxm_field)
{
    for (int f = 0; f < OFF_N_FIELDS; f++) {
        if (oxm_of_field[f] == oxm_field) {
            return f;
        }
    }
    return -1;
}

static void put_value(struct obuf *b, unsigned width, const union of_field_value *v)
{
    switch (width) {
    case 1:
        obuf_put_u8(b, v->u8);
        break;
    case 2:
        obuf_put_be16(b, v->u16);
        break;
    case 4:
        obuf_put_be32(b, v->u32);
        break;
    case 8:
        obuf_put_be64(b, v->u64);
        break;
    default:
        obuf_put(b, v->mac.b, 6);
        break;
    }
}

static void get_value(const uint8_t *p, unsigned width, union of_field_value *v)
{
    memset(v, 0, sizeof *v);
    switch (width) {
    case 1:
        v->u8 = p[0];
        break;
    case 2:
        v->u16 = (uint16_t)(p[0] << 8 | p[1]);
        break;
    case 4:
        memcpy(&v->u32, p, 4);
        v->u32 = be32toh(v->u32);
        break;
    case 8:
        memcpy(&v->u64, p, 8);
        v->u64 = be64toh(v->u64);
        break;
    default:
        memcpy(v->mac.b, p, 6);
        break;
    }
}

void ofp13_encode_oxm(struct obuf *b, enum of_field f, const union of_field_value *v,
                      const union of_field_value *mask)
{
    unsigned width = of_field_width(f);
    uint32_t header = (uint32_t)OFPXMC_OPENFLOW_BASIC << 16 | (uint32_t)oxm_of_field[f] << 9 |
                      (mask ? 1u << 8 : 0) | (mask ? 2 * width : width);
    obuf_put_be32(b, header);
    put_value(b, width, v);
    if (mask) {
        put_value(b, width, mask);
    }
}

void ofp13_encode_match(struct obuf *b, const struct of_match *m)
{
    size_t start = b->len;
    obuf_put_be16(b, OFPMT_OXM);
    obuf_put_be16(b, 0); /* length, set below */
    for (unsigned f = 0; f < OFF_N_FIELDS; f++) {
        if (of_match_has(m, f)) {
            bool masked = (m->masked & (1u << f)) != 0;
            ofp13_encode_oxm(b, f, &m->value[f], masked ? &m->mask[f] : NULL);
        }
    }
    obuf_set_be16(b, start + 2, (uint16_t)(b->len - start));
    obuf_pad8_from(b, start);
}

/* Reads one OXM header at the front of r and checks its length fits. */
static ofperr pull_oxm(struct rbuf *r, uint32_t *header, const uint8_t **payload)
{
    const uint8_t *h = rbuf_pull(r, OXM_HEADER_LEN);
    if (!h) {
        return OFPERR_MATCH_BAD_LEN;
    }
    *header = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
    unsigned len = *header & 0xff;
    if (len == 0) {
        return OFPERR_MATCH_BAD_LEN; /* no OXM is empty: every field has a value */
    }
    *payload = rbuf_pull(r, len);
    return *payload ? 0 : OFPERR_MATCH_BAD_LEN;
}

static ofperr decode_oxms(struct rbuf r, struct of_match *m)
{
    while (r.len > 0) {
        uint32_t header;
        const uint8_t *payload;
        ofperr err = pull_oxm(&r, &header, &payload);
        if (err) {
            return err;
        }
        unsigned oxm_class = header >> 16, oxm_field = (header >> 9) & 0x7f;
        bool hasmask = (header >> 8) & 1;
        unsigned len = header & 0xff;
        int f = oxm_class == OFPXMC_OPENFLOW_BASIC ? field_of_oxm(oxm_field) : -1;
        if (f < 0) {
            m->n_other++; /* a valid TLV of a field we do not interpret */
            continue;
        }
        unsigned width = of_field_width(f);
        if (hasmask && !of_field_maskable(f)) {
            return OFPERR_MATCH_BAD_MASK;
        }
        if (len != (hasmask ? 2 * width : width)) {
            return OFPERR_MATCH_BAD_LEN;
        }
        if (of_match_has(m, f)) {
            return OFPERR_MATCH_DUP_FIELD;
        }
        union of_field_value v, mask;
        get_value(payload, width, &v);
        if (hasmask) {
            get_value(payload + width, width, &mask);
            of_match_set_masked(m, f, v, mask);
        } else {
            of_match_set(m, f, v);
        }
    }
    return of_match_validate(m);
}

ofperr ofp13_decode_match(struct rbuf *r, struct of_match *m)
{
    of_match_init(m);
    const struct ofp_match *wm = rbuf_peek(r, sizeof *wm);
    if (!wm) {
        return OFPERR_MATCH_BAD_LEN;
    }
    if (be16toh(wm->type) != OFPMT_OXM) {
        return OFPERR_MATCH_BAD_TYPE;
    }
    size_t len = be16toh(wm->length);
    size_t padded = (len + 7) / 8 * 8;
    if (len < sizeof *wm || padded > r->len) {
        return OFPERR_MATCH_BAD_LEN;
    }
    const uint8_t *p = rbuf_pull(r, padded);
    return decode_oxms(rbuf_make(p + sizeof *wm, len - sizeof *wm), m);
}

ofperr ofp13_decode_set_field_oxm(const uint8_t *p, size_t len, enum of_field *f,
                                  union of_field_value *v)
{
    struct rbuf r = rbuf_make(p, len);
    uint32_t header;
    const uint8_t *payload;
    if (pull_oxm(&r, &header, &payload)) {
        return OFPERR_ACTION_BAD_SET_LEN;
    }
    int field = (header >> 16) == OFPXMC_OPENFLOW_BASIC ? field_of_oxm((header >> 9) & 0x7f) : -1;
    if (field < 0 || field == OFF_IN_PORT || field == OFF_METADATA) {
        return OFPERR_ACTION_BAD_SET_TYPE;
    }
    if ((header >> 8) & 1) {
        return OFPERR_ACTION_BAD_SET_ARGUMENT; /* OpenFlow 1.3 set_field has no mask */
    }
    if ((header & 0xff) != of_field_width(field)) {
        return OFPERR_ACTION_BAD_SET_LEN;
    }
    /* What follows the OXM inside the action must be padding only. */
    if (r.len >= 8) {
        return OFPERR_ACTION_BAD_SET_LEN;
    }
    *f = field;
    get_value(payload, of_field_width(field), v);
    return 0;
}
