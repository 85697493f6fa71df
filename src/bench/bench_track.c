/* bench_track.c - the emulated nodes, and how the generator decides that a
 * node's update reached every switch.
 *
 * matflowd marks every rule with a cookie (role, binding id, epoch:
 * mob_flows.h). A switch that receives a sending-side rule (role 3, added or
 * deleted) of a node being timed remembers it; when it answers the next
 * barrier, that switch counts as done for the node. The update is complete,
 * seen from the switches, once every site switch is done: the sending side
 * is the last phase before matflowd reports the binding complete. The
 * cleanup of the previous epoch (role 0 deletes) is tracked the same way so
 * that the next measured move starts on quiet switches.
 *
 * Binding ids are learned from the rules themselves: every switch's sending
 * batch holds a rule matching IPv4 destination = the node's HoA. */
#include <stdlib.h>
#include <string.h>

#include "app/mobility/mob_flows.h"
#include "bench/bench.h"

static uint32_t node_hoa(const struct bench *b, uint32_t j, unsigned *home)
{
    unsigned h = j % b->n_sites;
    uint32_t l = j / b->n_sites;
    *home = h;
    return bench_site_prefix(h) | ((1 + l / 256) << 8) | (l % 256);
}

void bench_nodes_init(struct bench *b, unsigned n)
{
    b->nodes = calloc(n ? n : 1, sizeof *b->nodes);
    if (!b->nodes) {
        abort();
    }
    b->n_nodes = n;
    for (uint32_t j = 0; j < n; j++) {
        struct bench_node *nd = &b->nodes[j];
        nd->hoa = node_hoa(b, j, &nd->home);
        nd->site = nd->home;
        nd->mac = (struct eth_addr){{0x52, 0x54, 0x00, (uint8_t)(j >> 16), (uint8_t)(j >> 8),
                                     (uint8_t)j}};
        nd->port = BENCH_HV_FIRST + j % BENCH_HV_PORTS;
    }
}

void bench_nodes_free(struct bench *b)
{
    for (unsigned j = 0; j < b->n_nodes; j++) {
        free(b->nodes[j].seen);
    }
    free(b->nodes);
    b->nodes = NULL;
    free(b->id_to_node);
    b->id_to_node = NULL;
}

long bench_node_by_hoa(const struct bench *b, uint32_t hoa)
{
    unsigned site = ((hoa >> 16) & 0xff) - 1;
    unsigned hi = (hoa >> 8) & 0xff;
    if (hoa >> 24 != 10 || site >= b->n_sites || hi < 1 || hi > 127) {
        return -1;
    }
    uint64_t l = (uint64_t)(hi - 1) * 256 + (hoa & 0xff);
    uint64_t j = l * b->n_sites + site;
    return j < b->n_nodes ? (long)j : -1;
}

static void map_id(struct bench *b, uint32_t id, uint32_t node)
{
    if (id >= b->id_cap) {
        size_t cap = b->id_cap ? b->id_cap : 1024;
        while (cap <= id) {
            cap *= 2;
        }
        uint32_t *v = realloc(b->id_to_node, cap * sizeof *v);
        if (!v) {
            abort();
        }
        memset(v + b->id_cap, 0, (cap - b->id_cap) * sizeof *v);
        b->id_to_node = v;
        b->id_cap = cap;
    }
    b->id_to_node[id] = node + 1;
    b->nodes[node].binding_id = id;
}

static long node_of_id(const struct bench *b, uint32_t id)
{
    return id < b->id_cap && b->id_to_node[id] ? (long)b->id_to_node[id] - 1 : -1;
}

static void push_attr(struct bench_switch *sw, uint32_t node, enum bench_attr_kind kind)
{
    if (sw->n_attr == sw->cap_attr) {
        sw->cap_attr = sw->cap_attr ? 2 * sw->cap_attr : 16;
        sw->attr = realloc(sw->attr, sw->cap_attr * sizeof *sw->attr);
        if (!sw->attr) {
            abort();
        }
    }
    sw->attr[sw->n_attr++] = (struct bench_attr){node, (uint8_t)kind};
}

void bench_track_flow_mod(struct bench *b, struct bench_switch *sw, const struct of_flow_mod *fm)
{
    if (!mob_cookie_is_ours(fm->cookie)) {
        return;
    }
    enum mob_role role = mob_cookie_role(fm->cookie);
    uint32_t id = mob_cookie_id(fm->cookie);
    bool del = fm->command == OFPFC_DELETE || fm->command == OFPFC_DELETE_STRICT;
    const struct of_match *m = &fm->match;
    if (role == MOB_ROLE_SENDING && !del && of_match_has(m, OFF_IPV4_DST) &&
        !(m->masked & (1u << OFF_IPV4_DST))) {
        long n = bench_node_by_hoa(b, m->value[OFF_IPV4_DST].u32);
        if (n >= 0 && node_of_id(b, id) != n) {
            map_id(b, id, (uint32_t)n);
        }
    }
    long n = node_of_id(b, id);
    if (n < 0) {
        b->unattributed_deletes += del && role != MOB_ROLE_BASE;
        return;
    }
    if (!b->nodes[n].tracking) {
        return;
    }
    if (role == MOB_ROLE_SENDING) {
        push_attr(sw, (uint32_t)n, BENCH_ATTR_SENDING);
    } else if (role == 0 && del) {
        push_attr(sw, (uint32_t)n, BENCH_ATTR_CLEANUP);
    }
}

void bench_track_barrier(struct bench *b, unsigned sw_idx, const struct bench_attr *attr,
                         size_t n_attr, double t)
{
    for (size_t i = 0; i < n_attr; i++) {
        struct bench_node *nd = &b->nodes[attr[i].node];
        if (!nd->tracking) {
            continue;
        }
        size_t bit = (size_t)sw_idx * 2 + attr[i].kind;
        if (nd->seen[bit / 8] & (1u << (bit % 8))) {
            continue;
        }
        nd->seen[bit / 8] |= (uint8_t)(1u << (bit % 8));
        if (attr[i].kind == BENCH_ATTR_SENDING) {
            if (++nd->n_sent == b->n_sites) {
                nd->sent_done = true;
                nd->t_sent = t;
                b->n_sent_done++;
            }
        } else if (++nd->n_clean == b->n_sites) {
            nd->clean_done = true;
            nd->t_clean = t;
            b->n_clean_done++;
        }
    }
}

void bench_track_begin(struct bench *b, uint32_t node)
{
    struct bench_node *nd = &b->nodes[node];
    free(nd->seen);
    nd->seen = calloc(((size_t)b->n_sw * 2 + 7) / 8, 1);
    if (!nd->seen) {
        abort();
    }
    nd->tracking = true;
    nd->sent_done = nd->clean_done = false;
    nd->n_sent = nd->n_clean = 0;
    nd->t0 = nd->t_probe = nd->t_sent = nd->t_clean = 0;
}

void bench_track_end(struct bench *b, uint32_t node)
{
    struct bench_node *nd = &b->nodes[node];
    nd->tracking = false;
    free(nd->seen);
    nd->seen = NULL;
}
