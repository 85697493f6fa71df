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
 * batch holds a rule matching IPv4 destination = the node's HoA.
 *
 * A cleanup delete is told apart either way matflowd removes rules: one
 * delete of the old epoch's cookie with the role bits masked (role 0), or
 * exact-cookie deletes of each old rule (an epoch older than the newest
 * seen in the update's ADDs). Where no switch gets one, bench_track_sweep
 * ends the wait after a grace time. */
#include <stdlib.h>
#include <string.h>

#include "app/mobility/mob_flows.h"
#include "bench/bench.h"

void bench_nodes_init(struct bench *b, unsigned n)
{
    b->nodes = calloc(n ? n : 1, sizeof *b->nodes);
    if (!b->nodes) {
        abort();
    }
    b->n_nodes = n;
    for (uint32_t j = 0; j < n; j++) {
        struct bench_node *nd = &b->nodes[j];
        nd->hoa = bench_node_hoa(b, j, &nd->home);
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
    free(b->await_clean);
    b->await_clean = NULL;
}

long bench_node_by_hoa(const struct bench *b, uint32_t hoa)
{
    uint32_t first = bench_site_prefix(b, 0), host_mask = (1u << b->site_host_bits) - 1;
    if (hoa < first) {
        return -1;
    }
    uint32_t site = ((hoa - first) >> b->site_host_bits), host = hoa & host_mask;
    if (site >= b->n_sites || host < BENCH_HOA_FIRST ||
        host - BENCH_HOA_FIRST >= bench_site_capacity(b)) {
        return -1;
    }
    uint64_t j = (uint64_t)(host - BENCH_HOA_FIRST) * b->n_sites + site;
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
    struct bench_node *nd = &b->nodes[n];
    if (!nd->tracking) {
        return;
    }
    uint32_t epoch = mob_cookie_epoch(fm->cookie);
    if (!del && epoch > nd->epoch) {
        nd->epoch = epoch;
    }
    if (role == MOB_ROLE_SENDING) {
        push_attr(sw, (uint32_t)n, BENCH_ATTR_SENDING);
    }
    if (del && (role == 0 || epoch < nd->epoch)) {
        push_attr(sw, (uint32_t)n, BENCH_ATTR_CLEANUP);
    }
}

static void await_clean(struct bench *b, uint32_t node)
{
    if (b->await_tail == b->await_cap) {
        /* Slide the live part down, or grow. */
        size_t live = b->await_tail - b->await_head;
        if (b->await_head > live) {
            memmove(b->await_clean, b->await_clean + b->await_head, live * sizeof *b->await_clean);
        } else {
            b->await_cap = b->await_cap ? 2 * b->await_cap : 1024;
            uint32_t *v = malloc(b->await_cap * sizeof *v);
            if (!v) {
                abort();
            }
            if (live) {
                memcpy(v, b->await_clean + b->await_head, live * sizeof *v);
            }
            free(b->await_clean);
            b->await_clean = v;
        }
        b->await_head = 0;
        b->await_tail = live;
    }
    b->await_clean[b->await_tail++] = node;
}

static void clean_done(struct bench *b, struct bench_node *nd, double t)
{
    nd->clean_done = true;
    nd->t_clean = t;
    b->n_clean_done++;
}

/* The grace: the update's own duration twice (a cleanup costs about as
 * much as the sending side), and 20 ms. FIFO order is sending-done order,
 * so the walk stops at the first node still within its grace. */
void bench_track_sweep(struct bench *b, double now)
{
    while (b->await_head < b->await_tail) {
        struct bench_node *nd = &b->nodes[b->await_clean[b->await_head]];
        if (nd->tracking && nd->sent_done && !nd->clean_done) {
            if (now - nd->t_sent < 0.02 + 2 * (nd->t_sent - nd->t0)) {
                return;
            }
            clean_done(b, nd, now);
            b->n_clean_unseen++;
        }
        b->await_head++;
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
                await_clean(b, attr[i].node);
            }
        } else if (++nd->n_clean == b->n_sites && !nd->clean_done) {
            clean_done(b, nd, t);
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
    nd->epoch = 0;
    nd->t0 = nd->t_probe = nd->t_sent = nd->t_clean = 0;
}

void bench_track_end(struct bench *b, uint32_t node)
{
    struct bench_node *nd = &b->nodes[node];
    nd->tracking = false;
    free(nd->seen);
    nd->seen = NULL;
}
