/* ofp10_actions.c - OpenFlow 1.0 action lists, and the instruction sets
 * they stand in for.
 *
 * 1.0 has no set_field: the rewrites 1.0 knows (SET_DL_SRC/DST,
 * SET_NW_SRC/DST, SET_VLAN_VID) carry set_field of eth_src/dst, ipv4_src/dst
 * and vlan_vid. 1.0 has no push_vlan either: SET_VLAN_VID adds a tag to an
 * untagged frame, so push_vlan(0x8100) is accepted only right before a
 * set_field of vlan_vid, and the pair becomes one SET_VLAN_VID (on a frame
 * that is already tagged, 1.0 rewrites the tag where 1.3 would add one).
 * 1.0 has one action list per flow: only apply-actions (and clear-actions,
 * which adds nothing to a new flow) are expressible. */
#include "ofp/ofp10.h"

#include <endian.h>
#include <string.h>

#define ETH_TYPE_VLAN 0x8100

/* Length of each standard 1.0 action (VENDOR: any multiple of 8). */
static const uint8_t action_len[] = {
    [OFPAT10_OUTPUT] = 8,      [OFPAT10_SET_VLAN_VID] = 8, [OFPAT10_SET_VLAN_PCP] = 8,
    [OFPAT10_STRIP_VLAN] = 8,  [OFPAT10_SET_DL_SRC] = 16,  [OFPAT10_SET_DL_DST] = 16,
    [OFPAT10_SET_NW_SRC] = 8,  [OFPAT10_SET_NW_DST] = 8,   [OFPAT10_SET_NW_TOS] = 8,
    [OFPAT10_SET_TP_SRC] = 8,  [OFPAT10_SET_TP_DST] = 8,   [OFPAT10_ENQUEUE] = 16,
};

static void set_field(struct of_action *a, enum of_field f)
{
    a->type = OFAT_SET_FIELD;
    a->u.set_field.field = f;
}

/* Decodes one action of checked length into *a, or sets *other for a valid
 * action matflow does not model (VLAN_PCP, NW_TOS, TP_SRC/DST, ENQUEUE,
 * VENDOR). */
static ofperr decode_action(uint16_t type, const uint8_t *p, struct of_action *a, bool *other)
{
    memset(a, 0, sizeof *a);
    *other = false;
    switch (type) {
    case OFPAT10_OUTPUT: {
        const struct ofp10_action_output *o = (const void *)p;
        a->type = OFAT_OUTPUT;
        a->u.output.port = ofp10_port_to_abstract(be16toh(o->port));
        a->u.output.max_len = be16toh(o->max_len);
        return a->u.output.port == 0 ? OFPERR_ACTION_BAD_OUT_PORT : 0;
    }
    case OFPAT10_SET_VLAN_VID: {
        uint16_t vid = be16toh(((const struct ofp10_action_vlan_vid *)p)->vlan_vid);
        if (vid > 0x0fff) {
            return OFPERR_ACTION_BAD_ARGUMENT;
        }
        set_field(a, OFF_VLAN_VID);
        a->u.set_field.value.u16 = OFPVID_PRESENT | vid;
        return 0;
    }
    case OFPAT10_STRIP_VLAN:
        a->type = OFAT_POP_VLAN;
        return 0;
    case OFPAT10_SET_DL_SRC:
    case OFPAT10_SET_DL_DST:
        set_field(a, type == OFPAT10_SET_DL_SRC ? OFF_ETH_SRC : OFF_ETH_DST);
        memcpy(a->u.set_field.value.mac.b, ((const struct ofp10_action_dl_addr *)p)->dl_addr, 6);
        return 0;
    case OFPAT10_SET_NW_SRC:
    case OFPAT10_SET_NW_DST:
        set_field(a, type == OFPAT10_SET_NW_SRC ? OFF_IPV4_SRC : OFF_IPV4_DST);
        a->u.set_field.value.u32 = be32toh(((const struct ofp10_action_nw_addr *)p)->nw_addr);
        return 0;
    default: /* VLAN_PCP, NW_TOS, TP_SRC/DST, ENQUEUE, VENDOR */
        *other = true;
        return 0;
    }
}

ofperr ofp10_decode_actions(const uint8_t *p, size_t len, struct of_action_list *l)
{
    struct rbuf r = rbuf_make(p, len);
    memset(l, 0, sizeof *l);
    while (r.len > 0) {
        const struct ofp10_action_header *h = rbuf_peek(&r, sizeof *h);
        if (!h) {
            return OFPERR_ACTION_BAD_LEN;
        }
        uint16_t type = be16toh(h->type), alen = be16toh(h->len);
        if (alen < 8 || alen % 8 != 0 || alen > r.len) {
            return OFPERR_ACTION_BAD_LEN;
        }
        if (type != OFPAT10_VENDOR) {
            if (type >= sizeof action_len) {
                return OFPERR_ACTION_BAD_TYPE;
            }
            if (alen != action_len[type]) {
                return OFPERR_ACTION_BAD_LEN;
            }
        }
        struct of_action a;
        bool other;
        ofperr err = decode_action(type, rbuf_pull(&r, alen), &a, &other);
        if (err) {
            return err;
        }
        if (other) {
            l->n_other++;
            continue;
        }
        if (l->n >= OF_MAX_ACTIONS) {
            return OFPERR_ACTION_TOO_MANY;
        }
        l->a[l->n++] = a;
    }
    return 0;
}

static void put_head(struct obuf *b, uint16_t type)
{
    obuf_put_be16(b, type);
    obuf_put_be16(b, action_len[type]);
}

static ofperr encode_set_field(struct obuf *b, const struct of_action *a)
{
    const union of_field_value *v = &a->u.set_field.value;
    switch (a->u.set_field.field) {
    case OFF_ETH_SRC:
    case OFF_ETH_DST:
        put_head(b, a->u.set_field.field == OFF_ETH_SRC ? OFPAT10_SET_DL_SRC : OFPAT10_SET_DL_DST);
        obuf_put(b, v->mac.b, 6);
        obuf_put_zeros(b, 6);
        return 0;
    case OFF_IPV4_SRC:
    case OFF_IPV4_DST:
        put_head(b, a->u.set_field.field == OFF_IPV4_SRC ? OFPAT10_SET_NW_SRC : OFPAT10_SET_NW_DST);
        obuf_put_be32(b, v->u32);
        return 0;
    case OFF_VLAN_VID:
        /* With or without OFPVID_PRESENT, as 1.3 switches accept both. */
        if (v->u16 & ~(OFPVID_PRESENT | 0x0fff)) {
            return OFPERR_ACTION_BAD_SET_ARGUMENT;
        }
        put_head(b, OFPAT10_SET_VLAN_VID);
        obuf_put_be16(b, v->u16 & 0x0fff);
        obuf_put_zeros(b, 2);
        return 0;
    default:
        return OFPERR_ACTION_BAD_SET_TYPE; /* no 1.0 action rewrites it */
    }
}

static ofperr encode_action(struct obuf *b, const struct of_action_list *l, unsigned i)
{
    const struct of_action *a = &l->a[i];
    switch (a->type) {
    case OFAT_OUTPUT: {
        uint16_t port;
        if (!ofp10_port_from_abstract(a->u.output.port, &port)) {
            return OFPERR_ACTION_BAD_OUT_PORT;
        }
        put_head(b, OFPAT10_OUTPUT);
        obuf_put_be16(b, port);
        obuf_put_be16(b, a->u.output.max_len);
        return 0;
    }
    case OFAT_SET_FIELD:
        return encode_set_field(b, a);
    case OFAT_PUSH_VLAN: {
        const struct of_action *next = i + 1 < l->n ? &l->a[i + 1] : NULL;
        bool sets_vid = next && next->type == OFAT_SET_FIELD &&
                        next->u.set_field.field == OFF_VLAN_VID;
        if (a->u.push_vlan_ethertype != ETH_TYPE_VLAN || !sets_vid) {
            return OFPERR_ACTION_BAD_ARGUMENT;
        }
        return 0; /* the SET_VLAN_VID that follows pushes the tag */
    }
    case OFAT_POP_VLAN:
        put_head(b, OFPAT10_STRIP_VLAN);
        obuf_put_zeros(b, 4);
        return 0;
    case OFAT_GROUP:
    case OFAT_DEC_NW_TTL:
        break;
    }
    return OFPERR_ACTION_BAD_TYPE;
}

ofperr ofp10_encode_actions(struct obuf *b, const struct of_action_list *l)
{
    if (l->n > OF_MAX_ACTIONS) {
        return OFPERR_ACTION_TOO_MANY;
    }
    for (unsigned i = 0; i < l->n; i++) {
        ofperr err = encode_action(b, l, i);
        if (err) {
            return err;
        }
    }
    return 0;
}

ofperr ofp10_decode_insts(const uint8_t *p, size_t len, struct of_instructions *in)
{
    memset(in, 0, sizeof *in);
    ofperr err = ofp10_decode_actions(p, len, &in->apply);
    if (!err && (in->apply.n > 0 || in->apply.n_other > 0)) {
        in->present = OFIB_APPLY_ACTIONS;
    }
    return err;
}

ofperr ofp10_encode_insts(struct obuf *b, const struct of_instructions *in)
{
    if (in->present & (OFIB_GOTO_TABLE | OFIB_WRITE_METADATA | OFIB_WRITE_ACTIONS)) {
        return OFPERR_INST_UNSUP; /* one table, no metadata, no action set */
    }
    if (in->present & OFIB_APPLY_ACTIONS) {
        return ofp10_encode_actions(b, &in->apply);
    }
    return 0;
}
