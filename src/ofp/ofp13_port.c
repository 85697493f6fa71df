/* ofp13_port.c - OpenFlow 1.3 ofp_port, shared by PORT_STATUS and the
 * port description multipart reply. */
#include "ofp/ofp13.h"

#include <endian.h>
#include <string.h>

void ofp_copy_wire_string(char *dst, const char *src, size_t n)
{
    size_t len = strnlen(src, n);
    memcpy(dst, src, len);
    dst[len] = '\0';
}

void ofp13_decode_port(const struct ofp_port *w, struct of_port *p)
{
    memset(p, 0, sizeof *p);
    p->port_no = be32toh(w->port_no);
    memcpy(p->hw_addr.b, w->hw_addr, 6);
    ofp_copy_wire_string(p->name, w->name, sizeof w->name);
    p->config = be32toh(w->config);
    p->state = be32toh(w->state);
    p->curr = be32toh(w->curr);
    p->advertised = be32toh(w->advertised);
    p->supported = be32toh(w->supported);
    p->peer = be32toh(w->peer);
    p->curr_speed = be32toh(w->curr_speed);
    p->max_speed = be32toh(w->max_speed);
}

void ofp13_encode_port(struct obuf *b, const struct of_port *p)
{
    struct ofp_port *w = obuf_put_zeros(b, sizeof *w);
    w->port_no = htobe32(p->port_no);
    memcpy(w->hw_addr, p->hw_addr.b, 6);
    /* The wire name is NUL-padded and may use all 16 bytes. */
    memcpy(w->name, p->name, strnlen(p->name, sizeof w->name));
    w->config = htobe32(p->config);
    w->state = htobe32(p->state);
    w->curr = htobe32(p->curr);
    w->advertised = htobe32(p->advertised);
    w->supported = htobe32(p->supported);
    w->peer = htobe32(p->peer);
    w->curr_speed = htobe32(p->curr_speed);
    w->max_speed = htobe32(p->max_speed);
}
