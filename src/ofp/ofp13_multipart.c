/* ofp13_multipart.c - OpenFlow 1.3 multipart bodies: description, port
 * description, flow statistics and table features.
 *
 * Replies are validated entry by entry at decode time; the cursor functions
 * then walk the same bytes without having to fail. */
#include "ofp/ofp13.h"

#include <endian.h>
#include <string.h>

/* ---- Requests ----------------------------------------------------------- */

ofperr ofp13_decode_mp_request(uint16_t mp_type, struct rbuf body, struct of_multipart_request *rq)
{
    switch (mp_type) {
    case OFPMP13_DESC:
    case OFPMP13_PORT_DESC:
        return body.len == 0 ? 0 : OFPERR_BAD_LEN;
    case OFPMP13_TABLE_FEATURES:
        return 0; /* a body sets table features; matflow only ever asks */
    case OFPMP13_FLOW: {
        const struct ofp_flow_stats_request_head *h = rbuf_pull(&body, sizeof *h);
        if (!h) {
            return OFPERR_BAD_LEN;
        }
        struct of_flow_stats_request *f = &rq->flow;
        f->table_id = h->table_id;
        f->out_port = be32toh(h->out_port);
        f->out_group = be32toh(h->out_group);
        f->cookie = be64toh(h->cookie);
        f->cookie_mask = be64toh(h->cookie_mask);
        ofperr err = ofp13_decode_match(&body, &f->match);
        if (err) {
            return err;
        }
        return body.len == 0 ? 0 : OFPERR_BAD_LEN;
    }
    default:
        return OFPERR_BAD_MULTIPART;
    }
}

ofperr ofp13_encode_mp_request_body(struct obuf *b, const struct of_multipart_request *rq)
{
    switch (rq->mp_type) {
    case OFPMP13_DESC:
    case OFPMP13_PORT_DESC:
    case OFPMP13_TABLE_FEATURES:
        return 0;
    case OFPMP13_FLOW: {
        const struct of_flow_stats_request *f = &rq->flow;
        ofperr err = of_match_validate(&f->match);
        if (err) {
            return err;
        }
        struct ofp_flow_stats_request_head *h = obuf_put_zeros(b, sizeof *h);
        h->table_id = f->table_id;
        h->out_port = htobe32(f->out_port);
        h->out_group = htobe32(f->out_group);
        h->cookie = htobe64(f->cookie);
        h->cookie_mask = htobe64(f->cookie_mask);
        ofp13_encode_match(b, &f->match);
        return 0;
    }
    default:
        return OFPERR_BAD_MULTIPART;
    }
}

/* ---- Reply entries -------------------------------------------------------- */

/* Takes one flow stats entry off the front of `rest` and decodes it. */
static ofperr pull_flow(struct rbuf *rest, struct of_flow_stats *out)
{
    const struct ofp_flow_stats_head *h = rbuf_peek(rest, sizeof *h);
    if (!h) {
        return OFPERR_BAD_LEN;
    }
    size_t len = be16toh(h->length);
    if (len < sizeof *h + OFP_MATCH_MIN_LEN || len > rest->len || len % 8 != 0) {
        return OFPERR_BAD_LEN;
    }
    struct rbuf entry = rbuf_make(rbuf_pull(rest, len), len);
    rbuf_pull(&entry, sizeof *h);
    memset(out, 0, sizeof *out);
    out->table_id = h->table_id;
    out->duration_sec = be32toh(h->duration_sec);
    out->duration_nsec = be32toh(h->duration_nsec);
    out->priority = be16toh(h->priority);
    out->idle_timeout = be16toh(h->idle_timeout);
    out->hard_timeout = be16toh(h->hard_timeout);
    out->flags = be16toh(h->flags);
    out->cookie = be64toh(h->cookie);
    out->packet_count = be64toh(h->packet_count);
    out->byte_count = be64toh(h->byte_count);
    ofperr err = ofp13_decode_match(&entry, &out->match);
    if (err) {
        return err;
    }
    return ofp13_decode_instructions(entry.p, entry.len, &out->insts);
}

/* Takes one table features entry off the front of `rest`, walking (and
 * checking) its properties. */
static ofperr pull_table(struct rbuf *rest, struct of_table_features *out)
{
    const struct ofp_table_features *t = rbuf_peek(rest, sizeof *t);
    if (!t) {
        return OFPERR_BAD_LEN;
    }
    size_t len = be16toh(t->length);
    if (len < sizeof *t || len > rest->len || len % 8 != 0) {
        return OFPERR_BAD_LEN;
    }
    struct rbuf props = rbuf_make(rbuf_pull(rest, len), len);
    rbuf_pull(&props, sizeof *t);
    memset(out, 0, sizeof *out);
    out->table_id = t->table_id;
    ofp_copy_wire_string(out->name, t->name, sizeof t->name);
    out->metadata_match = be64toh(t->metadata_match);
    out->metadata_write = be64toh(t->metadata_write);
    out->config = be32toh(t->config);
    out->max_entries = be32toh(t->max_entries);
    while (props.len > 0) {
        const struct ofp_table_feature_prop_header *ph = rbuf_peek(&props, sizeof *ph);
        size_t plen = ph ? be16toh(ph->length) : 0;
        size_t padded = (plen + 7) / 8 * 8;
        if (plen < sizeof *ph || padded > props.len) {
            return OFPERR_BAD_LEN;
        }
        rbuf_pull(&props, padded);
        out->n_props++;
    }
    return 0;
}

static void decode_desc(const struct ofp_desc *w, struct of_desc *d)
{
    ofp_copy_wire_string(d->mfr_desc, w->mfr_desc, sizeof w->mfr_desc);
    ofp_copy_wire_string(d->hw_desc, w->hw_desc, sizeof w->hw_desc);
    ofp_copy_wire_string(d->sw_desc, w->sw_desc, sizeof w->sw_desc);
    ofp_copy_wire_string(d->serial_num, w->serial_num, sizeof w->serial_num);
    ofp_copy_wire_string(d->dp_desc, w->dp_desc, sizeof w->dp_desc);
}

ofperr ofp13_decode_mp_reply(uint16_t mp_type, struct rbuf body, struct of_multipart_reply *rp)
{
    rp->body = body.p;
    rp->body_len = body.len;
    switch (mp_type) {
    case OFPMP13_DESC:
        if (body.len != sizeof(struct ofp_desc)) {
            return OFPERR_BAD_LEN;
        }
        decode_desc((const struct ofp_desc *)body.p, &rp->desc);
        return 0;
    case OFPMP13_PORT_DESC:
        return body.len % sizeof(struct ofp_port) == 0 ? 0 : OFPERR_BAD_LEN;
    case OFPMP13_FLOW:
        while (body.len > 0) {
            struct of_flow_stats fs;
            ofperr err = pull_flow(&body, &fs);
            if (err) {
                return err;
            }
        }
        return 0;
    case OFPMP13_TABLE_FEATURES:
        while (body.len > 0) {
            struct of_table_features tf;
            ofperr err = pull_table(&body, &tf);
            if (err) {
                return err;
            }
        }
        return 0;
    default:
        return OFPERR_BAD_MULTIPART;
    }
}

bool ofp13_mp_next_port(struct rbuf *rest, struct of_port *out)
{
    const struct ofp_port *w = rbuf_pull(rest, sizeof *w);
    if (!w) {
        return false;
    }
    ofp13_decode_port(w, out);
    return true;
}

bool ofp13_mp_next_flow(struct rbuf *rest, struct of_flow_stats *out)
{
    return rest->len > 0 && pull_flow(rest, out) == 0;
}

bool ofp13_mp_next_table(struct rbuf *rest, struct of_table_features *out)
{
    return rest->len > 0 && pull_table(rest, out) == 0;
}

/* ---- Reply encoding (fake switches and tests) ---------------------------- */

static void put_string(struct obuf *b, const char *s, size_t n)
{
    char *dst = obuf_put_zeros(b, n);
    memcpy(dst, s, strnlen(s, n));
}

static ofperr encode_flow(struct obuf *b, const struct of_flow_stats *fs)
{
    ofperr err = of_match_validate(&fs->match);
    if (err) {
        return err;
    }
    size_t start = b->len;
    struct ofp_flow_stats_head *h = obuf_put_zeros(b, sizeof *h);
    h->table_id = fs->table_id;
    h->duration_sec = htobe32(fs->duration_sec);
    h->duration_nsec = htobe32(fs->duration_nsec);
    h->priority = htobe16(fs->priority);
    h->idle_timeout = htobe16(fs->idle_timeout);
    h->hard_timeout = htobe16(fs->hard_timeout);
    h->flags = htobe16(fs->flags);
    h->cookie = htobe64(fs->cookie);
    h->packet_count = htobe64(fs->packet_count);
    h->byte_count = htobe64(fs->byte_count);
    ofp13_encode_match(b, &fs->match);
    err = ofp13_encode_instructions(b, &fs->insts);
    obuf_set_be16(b, start, (uint16_t)(b->len - start));
    return err;
}

/* The properties OpenFlow 1.3 requires in every entry (the _MISS ones may
 * be left out): instructions, next tables, write/apply actions, match,
 * wildcards, write/apply set-field. matflow writes them empty. */
static const uint16_t required_props[] = {0, 2, 4, 6, 8, 10, 12, 14};

static void encode_table(struct obuf *b, const struct of_table_features *tf)
{
    size_t start = b->len;
    struct ofp_table_features *t = obuf_put_zeros(b, sizeof *t);
    t->table_id = tf->table_id;
    memcpy(t->name, tf->name, strnlen(tf->name, sizeof t->name));
    t->metadata_match = htobe64(tf->metadata_match);
    t->metadata_write = htobe64(tf->metadata_write);
    t->config = htobe32(tf->config);
    t->max_entries = htobe32(tf->max_entries);
    for (size_t i = 0; i < sizeof required_props / sizeof required_props[0]; i++) {
        obuf_put_be16(b, required_props[i]);
        obuf_put_be16(b, sizeof(struct ofp_table_feature_prop_header));
        obuf_put_zeros(b, 4); /* padding to 8 */
    }
    obuf_set_be16(b, start, (uint16_t)(b->len - start));
}

ofperr ofp13_encode_mp_reply_body(struct obuf *b, const struct of_multipart_reply *rp)
{
    switch (rp->mp_type) {
    case OFPMP13_DESC:
        put_string(b, rp->desc.mfr_desc, DESC_STR_LEN);
        put_string(b, rp->desc.hw_desc, DESC_STR_LEN);
        put_string(b, rp->desc.sw_desc, DESC_STR_LEN);
        put_string(b, rp->desc.serial_num, SERIAL_NUM_LEN);
        put_string(b, rp->desc.dp_desc, DESC_STR_LEN);
        return 0;
    case OFPMP13_PORT_DESC:
        for (size_t i = 0; i < rp->n_ports; i++) {
            ofp13_encode_port(b, &rp->ports[i]);
        }
        return 0;
    case OFPMP13_FLOW:
        for (size_t i = 0; i < rp->n_flows; i++) {
            ofperr err = encode_flow(b, &rp->flows[i]);
            if (err) {
                return err;
            }
        }
        return 0;
    case OFPMP13_TABLE_FEATURES:
        for (size_t i = 0; i < rp->n_tables; i++) {
            encode_table(b, &rp->tables[i]);
        }
        return 0;
    default:
        return OFPERR_BAD_MULTIPART;
    }
}
