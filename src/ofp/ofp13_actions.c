/* ofp13_actions.c - OpenFlow 1.3 action lists and instruction sets. */
#include "ofp/ofp13.h"

#include <endian.h>
#include <string.h>

/* Action types of the 1.3 spec that matflow skips over (valid, not modelled). */
static bool action_type_skipped(uint16_t type)
{
    switch (type) {
    case OFPAT13_COPY_TTL_OUT: case OFPAT13_COPY_TTL_IN: case OFPAT13_SET_MPLS_TTL:
    case OFPAT13_DEC_MPLS_TTL: case OFPAT13_PUSH_MPLS: case OFPAT13_POP_MPLS:
    case OFPAT13_SET_QUEUE: case OFPAT13_SET_NW_TTL: case OFPAT13_PUSH_PBB:
    case OFPAT13_POP_PBB: case OFPAT13_EXPERIMENTER:
        return true;
    default:
        return false;
    }
}

static ofperr decode_action(uint16_t type, const uint8_t *p, size_t len, struct of_action *a)
{
    memset(a, 0, sizeof *a);
    switch (type) {
    case OFPAT13_OUTPUT: {
        if (len != sizeof(struct ofp_action_output)) {
            return OFPERR_ACTION_BAD_LEN;
        }
        const struct ofp_action_output *o = (const void *)p;
        a->type = OFAT_OUTPUT;
        a->u.output.port = be32toh(o->port);
        a->u.output.max_len = be16toh(o->max_len);
        return a->u.output.port == 0 ? OFPERR_ACTION_BAD_OUT_PORT : 0;
    }
    case OFPAT13_PUSH_VLAN: {
        if (len != sizeof(struct ofp_action_push)) {
            return OFPERR_ACTION_BAD_LEN;
        }
        const struct ofp_action_push *pv = (const void *)p;
        a->type = OFAT_PUSH_VLAN;
        a->u.push_vlan_ethertype = be16toh(pv->ethertype);
        return 0;
    }
    case OFPAT13_POP_VLAN:
    case OFPAT13_DEC_NW_TTL:
        if (len != 8) {
            return OFPERR_ACTION_BAD_LEN;
        }
        a->type = type == OFPAT13_POP_VLAN ? OFAT_POP_VLAN : OFAT_DEC_NW_TTL;
        return 0;
    case OFPAT13_GROUP: {
        if (len != 8) {
            return OFPERR_ACTION_BAD_LEN;
        }
        uint32_t g;
        memcpy(&g, p + 4, 4);
        a->type = OFAT_GROUP;
        a->u.group_id = be32toh(g);
        return 0;
    }
    case OFPAT13_SET_FIELD:
        a->type = OFAT_SET_FIELD;
        return ofp13_decode_set_field_oxm(p + OFP_ACTION_SET_FIELD_HEAD_LEN,
                                          len - OFP_ACTION_SET_FIELD_HEAD_LEN,
                                          &a->u.set_field.field, &a->u.set_field.value);
    default:
        return OFPERR_ACTION_BAD_TYPE;
    }
}

ofperr ofp13_decode_actions(const uint8_t *p, size_t len, struct of_action_list *l)
{
    struct rbuf r = rbuf_make(p, len);
    memset(l, 0, sizeof *l);
    while (r.len > 0) {
        const struct ofp_action_header *h = rbuf_peek(&r, sizeof *h);
        if (!h) {
            return OFPERR_ACTION_BAD_LEN;
        }
        uint16_t type = be16toh(h->type), alen = be16toh(h->len);
        if (alen < 8 || alen % 8 != 0 || alen > r.len) {
            return OFPERR_ACTION_BAD_LEN;
        }
        const uint8_t *ap = rbuf_pull(&r, alen);
        if (action_type_skipped(type)) {
            l->n_other++;
            continue;
        }
        if (l->n >= OF_MAX_ACTIONS) {
            return OFPERR_ACTION_TOO_MANY;
        }
        ofperr err = decode_action(type, ap, alen, &l->a[l->n]);
        if (err) {
            return err;
        }
        l->n++;
    }
    return 0;
}

static ofperr encode_action(struct obuf *b, const struct of_action *a)
{
    switch (a->type) {
    case OFAT_OUTPUT:
        obuf_put_be16(b, OFPAT13_OUTPUT);
        obuf_put_be16(b, sizeof(struct ofp_action_output));
        obuf_put_be32(b, a->u.output.port);
        obuf_put_be16(b, a->u.output.max_len);
        obuf_put_zeros(b, 6);
        return 0;
    case OFAT_SET_FIELD: {
        enum of_field f = a->u.set_field.field;
        if ((unsigned)f >= OFF_N_FIELDS || f == OFF_IN_PORT || f == OFF_METADATA) {
            return OFPERR_ACTION_BAD_SET_TYPE;
        }
        size_t start = b->len;
        obuf_put_be16(b, OFPAT13_SET_FIELD);
        obuf_put_be16(b, 0);
        ofp13_encode_oxm(b, f, &a->u.set_field.value, NULL);
        obuf_pad8_from(b, start);
        obuf_set_be16(b, start + 2, (uint16_t)(b->len - start));
        return 0;
    }
    case OFAT_PUSH_VLAN:
        obuf_put_be16(b, OFPAT13_PUSH_VLAN);
        obuf_put_be16(b, 8);
        obuf_put_be16(b, a->u.push_vlan_ethertype);
        obuf_put_zeros(b, 2);
        return 0;
    case OFAT_POP_VLAN:
    case OFAT_DEC_NW_TTL:
        obuf_put_be16(b, a->type == OFAT_POP_VLAN ? OFPAT13_POP_VLAN : OFPAT13_DEC_NW_TTL);
        obuf_put_be16(b, 8);
        obuf_put_zeros(b, 4);
        return 0;
    case OFAT_GROUP:
        obuf_put_be16(b, OFPAT13_GROUP);
        obuf_put_be16(b, 8);
        obuf_put_be32(b, a->u.group_id);
        return 0;
    }
    return OFPERR_ACTION_BAD_TYPE;
}

ofperr ofp13_encode_actions(struct obuf *b, const struct of_action_list *l)
{
    if (l->n > OF_MAX_ACTIONS) {
        return OFPERR_ACTION_TOO_MANY;
    }
    for (unsigned i = 0; i < l->n; i++) {
        ofperr err = encode_action(b, &l->a[i]);
        if (err) {
            return err;
        }
    }
    return 0;
}

static ofperr decode_instruction(uint16_t type, const uint8_t *p, size_t len,
                                 struct of_instructions *in)
{
    uint32_t bit;
    switch (type) {
    case OFPIT_GOTO_TABLE: bit = OFIB_GOTO_TABLE; break;
    case OFPIT_WRITE_METADATA: bit = OFIB_WRITE_METADATA; break;
    case OFPIT_WRITE_ACTIONS: bit = OFIB_WRITE_ACTIONS; break;
    case OFPIT_APPLY_ACTIONS: bit = OFIB_APPLY_ACTIONS; break;
    case OFPIT_CLEAR_ACTIONS: bit = OFIB_CLEAR_ACTIONS; break;
    case OFPIT_METER:
    case OFPIT_EXPERIMENTER:
        return 0; /* valid, not modelled */
    default:
        return OFPERR_INST_UNKNOWN;
    }
    if (in->present & bit) {
        return OFPERR_INST_UNSUP; /* 1.3 has no DUP_INST code; 1.4 added one */
    }
    in->present |= bit;
    switch (type) {
    case OFPIT_GOTO_TABLE:
        if (len != sizeof(struct ofp_instruction_goto_table)) {
            return OFPERR_INST_BAD_LEN;
        }
        in->goto_table = ((const struct ofp_instruction_goto_table *)p)->table_id;
        return 0;
    case OFPIT_WRITE_METADATA: {
        if (len != sizeof(struct ofp_instruction_write_metadata)) {
            return OFPERR_INST_BAD_LEN;
        }
        const struct ofp_instruction_write_metadata *wm = (const void *)p;
        in->metadata = be64toh(wm->metadata);
        in->metadata_mask = be64toh(wm->metadata_mask);
        return 0;
    }
    case OFPIT_CLEAR_ACTIONS:
        return len == 8 ? 0 : OFPERR_INST_BAD_LEN;
    default: /* write or apply actions */
        return ofp13_decode_actions(p + 8, len - 8,
                                    type == OFPIT_APPLY_ACTIONS ? &in->apply : &in->write);
    }
}

ofperr ofp13_decode_instructions(const uint8_t *p, size_t len, struct of_instructions *in)
{
    struct rbuf r = rbuf_make(p, len);
    memset(in, 0, sizeof *in);
    while (r.len > 0) {
        const struct ofp_instruction *h = rbuf_peek(&r, sizeof *h);
        if (!h) {
            return OFPERR_INST_BAD_LEN;
        }
        uint16_t type = be16toh(h->type), ilen = be16toh(h->len);
        if (ilen < 8 || ilen % 8 != 0 || ilen > r.len) {
            return OFPERR_INST_BAD_LEN;
        }
        ofperr err = decode_instruction(type, rbuf_pull(&r, ilen), ilen, in);
        if (err) {
            return err;
        }
    }
    return 0;
}

static ofperr encode_action_instruction(struct obuf *b, uint16_t type,
                                        const struct of_action_list *l)
{
    size_t start = b->len;
    obuf_put_be16(b, type);
    obuf_put_be16(b, 0);
    obuf_put_zeros(b, 4);
    ofperr err = ofp13_encode_actions(b, l);
    obuf_set_be16(b, start + 2, (uint16_t)(b->len - start));
    return err;
}

/* Written in the order the spec executes them: apply, clear, write
 * actions, write metadata, goto table. */
ofperr ofp13_encode_instructions(struct obuf *b, const struct of_instructions *in)
{
    ofperr err = 0;
    if (in->present & OFIB_APPLY_ACTIONS) {
        err = encode_action_instruction(b, OFPIT_APPLY_ACTIONS, &in->apply);
    }
    if (!err && (in->present & OFIB_CLEAR_ACTIONS)) {
        obuf_put_be16(b, OFPIT_CLEAR_ACTIONS);
        obuf_put_be16(b, 8);
        obuf_put_zeros(b, 4);
    }
    if (!err && (in->present & OFIB_WRITE_ACTIONS)) {
        err = encode_action_instruction(b, OFPIT_WRITE_ACTIONS, &in->write);
    }
    if (!err && (in->present & OFIB_WRITE_METADATA)) {
        obuf_put_be16(b, OFPIT_WRITE_METADATA);
        obuf_put_be16(b, 24);
        obuf_put_zeros(b, 4);
        obuf_put_be64(b, in->metadata);
        obuf_put_be64(b, in->metadata_mask);
    }
    if (!err && (in->present & OFIB_GOTO_TABLE)) {
        obuf_put_be16(b, OFPIT_GOTO_TABLE);
        obuf_put_be16(b, 8);
        obuf_put_u8(b, in->goto_table);
        obuf_put_zeros(b, 3);
    }
    return err;
}
