/* ofp10_stats.c - OpenFlow 1.0 statistics bodies (1.0's name for
 * multipart): DESC and FLOW, and the port list a 1.0 FEATURES_REPLY
 * carries, walked like a PORT_DESC reply.
 *
 * Stats types DESC (0) and FLOW (1) have the same numbers as 1.3's
 * multipart types. 1.0 flow stats cannot filter by cookie or group, and
 * its entries have no flags: a request asking for a filter is refused, a
 * reply drops the flags. */
#include "ofp/ofp10.h"

#include <endian.h>
#include <string.h>

#include "ofp/ofp13.h" /* ofp_copy_wire_string */

ofperr ofp10_decode_stats_request(struct rbuf body, struct of_multipart_request *rq)
{
    switch (rq->mp_type) {
    case OFPST10_DESC:
        return body.len == 0 ? 0 : OFPERR_BAD_LEN;
    case OFPST10_FLOW: {
        const struct ofp10_flow_stats_request *w = rbuf_pull(&body, sizeof *w);
        if (!w || body.len != 0) {
            return OFPERR_BAD_LEN;
        }
        struct of_flow_stats_request *f = &rq->flow;
        f->table_id = w->table_id;
        f->out_port = ofp10_port_to_abstract(be16toh(w->out_port));
        f->out_group = OFPG_ANY;
        return ofp10_decode_match(&w->match, &f->match);
    }
    default:
        return OFPERR_BAD_MULTIPART;
    }
}

ofperr ofp10_encode_stats_request_body(struct obuf *b, const struct of_multipart_request *rq)
{
    switch (rq->mp_type) {
    case OFMP_DESC:
        return 0;
    case OFMP_FLOW: {
        const struct of_flow_stats_request *f = &rq->flow;
        uint16_t out_port;
        if (f->cookie_mask != 0 || f->out_group != OFPG_ANY) {
            return OFPERR_BAD_MULTIPART; /* 1.0 cannot filter by cookie or group */
        }
        if (!ofp10_port_from_abstract(f->out_port, &out_port)) {
            return OFPERR_BAD_PORT;
        }
        ofperr err = ofp10_encode_match(b, &f->match);
        if (err) {
            return err;
        }
        obuf_put_u8(b, f->table_id);
        obuf_put_u8(b, 0);
        obuf_put_be16(b, out_port);
        return 0;
    }
    default: /* PORT_DESC: the ports come in FEATURES_REPLY; no TABLE_FEATURES */
        return OFPERR_BAD_MULTIPART;
    }
}

/* Takes one flow stats entry off the front of `rest` and decodes it. */
static ofperr pull_flow(struct rbuf *rest, struct of_flow_stats *out)
{
    const struct ofp10_flow_stats *w = rbuf_peek(rest, sizeof *w);
    if (!w) {
        return OFPERR_BAD_LEN;
    }
    size_t len = be16toh(w->length);
    if (len < sizeof *w || len > rest->len || len % 8 != 0) {
        return OFPERR_BAD_LEN;
    }
    const uint8_t *p = rbuf_pull(rest, len);
    memset(out, 0, sizeof *out);
    out->table_id = w->table_id;
    out->duration_sec = be32toh(w->duration_sec);
    out->duration_nsec = be32toh(w->duration_nsec);
    out->priority = be16toh(w->priority);
    out->idle_timeout = be16toh(w->idle_timeout);
    out->hard_timeout = be16toh(w->hard_timeout);
    out->cookie = be64toh(w->cookie);
    out->packet_count = be64toh(w->packet_count);
    out->byte_count = be64toh(w->byte_count);
    ofperr err = ofp10_decode_match(&w->match, &out->match);
    if (err) {
        return err;
    }
    return ofp10_decode_insts(p + sizeof *w, len - sizeof *w, &out->insts);
}

static void decode_desc(const struct ofp10_desc_stats *w, struct of_desc *d)
{
    ofp_copy_wire_string(d->mfr_desc, w->mfr_desc, sizeof w->mfr_desc);
    ofp_copy_wire_string(d->hw_desc, w->hw_desc, sizeof w->hw_desc);
    ofp_copy_wire_string(d->sw_desc, w->sw_desc, sizeof w->sw_desc);
    ofp_copy_wire_string(d->serial_num, w->serial_num, sizeof w->serial_num);
    ofp_copy_wire_string(d->dp_desc, w->dp_desc, sizeof w->dp_desc);
}

ofperr ofp10_decode_stats_reply(struct rbuf body, struct of_multipart_reply *rp)
{
    rp->body = body.p;
    rp->body_len = body.len;
    switch (rp->mp_type) {
    case OFPST10_DESC:
        if (body.len != sizeof(struct ofp10_desc_stats)) {
            return OFPERR_BAD_LEN;
        }
        decode_desc((const struct ofp10_desc_stats *)body.p, &rp->desc);
        return 0;
    case OFPST10_FLOW:
        while (body.len > 0) {
            struct of_flow_stats fs;
            ofperr err = pull_flow(&body, &fs);
            if (err) {
                return err;
            }
        }
        return 0;
    default:
        return OFPERR_BAD_MULTIPART;
    }
}

bool ofp10_mp_next_port(struct rbuf *rest, struct of_port *out)
{
    const struct ofp10_phy_port *w = rbuf_pull(rest, sizeof *w);
    if (!w) {
        return false;
    }
    ofp10_decode_phy_port(w, out);
    return true;
}

bool ofp10_mp_next_flow(struct rbuf *rest, struct of_flow_stats *out)
{
    return rest->len > 0 && pull_flow(rest, out) == 0;
}

/* ---- Reply encoding (fake switches and tests) ---------------------------- */

static void put_string(struct obuf *b, const char *s, size_t n)
{
    char *dst = obuf_put_zeros(b, n);
    memcpy(dst, s, strnlen(s, n));
}

static ofperr encode_flow(struct obuf *b, const struct of_flow_stats *fs)
{
    size_t start = b->len;
    obuf_put_be16(b, 0); /* length, set below */
    obuf_put_u8(b, fs->table_id);
    obuf_put_u8(b, 0);
    ofperr err = ofp10_encode_match(b, &fs->match);
    if (err) {
        return err;
    }
    obuf_put_be32(b, fs->duration_sec);
    obuf_put_be32(b, fs->duration_nsec);
    obuf_put_be16(b, fs->priority);
    obuf_put_be16(b, fs->idle_timeout);
    obuf_put_be16(b, fs->hard_timeout);
    obuf_put_zeros(b, 6);
    obuf_put_be64(b, fs->cookie);
    obuf_put_be64(b, fs->packet_count);
    obuf_put_be64(b, fs->byte_count);
    err = ofp10_encode_insts(b, &fs->insts);
    obuf_set_be16(b, start, (uint16_t)(b->len - start));
    return err;
}

ofperr ofp10_encode_stats_reply_body(struct obuf *b, const struct of_multipart_reply *rp)
{
    switch (rp->mp_type) {
    case OFMP_DESC:
        put_string(b, rp->desc.mfr_desc, OFP10_DESC_STR_LEN);
        put_string(b, rp->desc.hw_desc, OFP10_DESC_STR_LEN);
        put_string(b, rp->desc.sw_desc, OFP10_DESC_STR_LEN);
        put_string(b, rp->desc.serial_num, OFP10_SERIAL_NUM_LEN);
        put_string(b, rp->desc.dp_desc, OFP10_DESC_STR_LEN);
        return 0;
    case OFMP_FLOW:
        for (size_t i = 0; i < rp->n_flows; i++) {
            ofperr err = encode_flow(b, &rp->flows[i]);
            if (err) {
                return err;
            }
        }
        return 0;
    default:
        return OFPERR_BAD_MULTIPART;
    }
}
