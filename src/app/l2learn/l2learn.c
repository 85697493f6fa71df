/* l2learn.c - the learning application: per-switch MAC tables and the
 * application hooks. */
#include "app/l2learn/l2learn.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "app/app.h"
#include "app/l2learn/l2_table.h"
#include "app/l2learn/l2learn_msgs.h"
#include "util/log.h"

#define MOD "l2learn"

/* One connected switch. Keyed by the connection, not the dpid: a switch
 * that reconnects may be up again before its old connection is down. */
struct l2_sw {
    const struct mf_switch *sw;
    bool off;                    /* a 1.0 switch another app is in front of */
    struct l2learn_options opts; /* the app's, with this switch's table */
    struct l2_table macs;
    struct l2_sw *next;
};

struct l2learn {
    struct mf_app app;
    struct l2learn_options opts;
    struct l2learn_counters counters;
    uint64_t seed;
    struct l2_sw **buckets;
    size_t n_buckets, n_sw, n_macs;
};

static const char *const counter_names[] = {
#define L2L_COUNTER_NAME(name, str) str,
    L2L_COUNTERS(L2L_COUNTER_NAME)
#undef L2L_COUNTER_NAME
};

const char *l2l_counter_name(enum l2l_counter c)
{
    return (unsigned)c < L2L_N_COUNTERS ? counter_names[c] : "unknown";
}

void l2learn_options_default(struct l2learn_options *o)
{
    o->table_id = 0;
    o->priority = 100;
    o->idle_timeout = 60;
    o->max_macs = 65536;
    o->table_of = NULL;
    o->table_of_arg = NULL;
}

static void count(struct l2learn *l, enum l2l_counter c)
{
    l->counters.c[c]++;
}

/* ---- Switch map --------------------------------------------------------- */

static size_t sw_bucket(const struct l2learn *l, const struct mf_switch *sw)
{
    uint64_t x = (uint64_t)(uintptr_t)sw;
    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 32;
    return (size_t)x & (l->n_buckets - 1);
}

static struct l2_sw **sw_slot(struct l2learn *l, const struct mf_switch *sw)
{
    struct l2_sw **p = &l->buckets[sw_bucket(l, sw)];
    while (*p && (*p)->sw != sw) {
        p = &(*p)->next;
    }
    return p;
}

static struct l2_sw *sw_find(const struct l2learn *l, const struct mf_switch *sw)
{
    return *sw_slot((struct l2learn *)l, sw);
}

static void sw_grow(struct l2learn *l)
{
    size_t nb = l->n_buckets * 2;
    struct l2_sw **b = calloc(nb, sizeof *b);
    if (!b) {
        return; /* longer chains, still correct */
    }
    struct l2_sw **old = l->buckets;
    size_t old_n = l->n_buckets;
    l->buckets = b;
    l->n_buckets = nb;
    for (size_t i = 0; i < old_n; i++) {
        for (struct l2_sw *s = old[i], *next; s; s = next) {
            next = s->next;
            struct l2_sw **p = &b[sw_bucket(l, s->sw)];
            s->next = *p;
            *p = s;
        }
    }
    free(old);
}

static bool has_cookie_filter(const struct mf_switch *sw)
{
    return sw_get_info(sw)->version != OF_VERSION_1_0;
}

static uint8_t table_of(const struct l2learn *l, const struct mf_switch *sw)
{
    return l->opts.table_of ? l->opts.table_of(sw, l->opts.table_of_arg) : l->opts.table_id;
}

static struct l2_sw *sw_add(struct l2learn *l, const struct mf_switch *sw)
{
    struct l2_sw **p = sw_slot(l, sw);
    if (*p) {
        return *p;
    }
    struct l2_sw *s = calloc(1, sizeof *s);
    if (!s) {
        return NULL;
    }
    s->sw = sw;
    s->opts = l->opts;
    uint8_t table = table_of(l, sw);
    /* Off where told (a switch that forwards with NORMAL); and 1.0 has one
     * table: it is ours whole, or not at all. */
    s->off = table == L2L_TABLE_NONE || (!has_cookie_filter(sw) && table != 0);
    s->opts.table_id = s->off ? 0 : table;
    l2_table_init(&s->macs, l->opts.max_macs, l->seed ^ (uint64_t)(uintptr_t)sw);
    *p = s;
    if (++l->n_sw > l->n_buckets) {
        sw_grow(l);
    }
    return s;
}

static void sw_remove(struct l2learn *l, const struct mf_switch *sw)
{
    struct l2_sw **p = sw_slot(l, sw);
    struct l2_sw *s = *p;
    if (!s) {
        return;
    }
    *p = s->next;
    l->n_macs -= s->macs.n;
    l2_table_free(&s->macs);
    free(s);
    l->n_sw--;
}

/* ---- Sending ------------------------------------------------------------ */

static void send_msg(struct l2learn *l, struct mf_switch *sw, struct of_msg *m)
{
    if (sw_send(sw, m) == 0) {
        count(l, L2L_C_SEND_FAILED);
    }
}

static void on_batch(struct mf_switch *sw, const struct sw_batch_result *r, void *arg)
{
    struct l2learn *l = arg;
    if (r->status == SW_BATCH_OK || r->status == SW_BATCH_DISCONNECTED) {
        return;
    }
    count(l, r->status == SW_BATCH_REFUSED ? L2L_C_SEND_FAILED : L2L_C_SWITCH_ERRORS);
    LOG_RL(LOG_WARN, MOD, "switch %016llx refused %u of %u learning-switch messages",
           (unsigned long long)sw_get_info(sw)->dpid, r->n_errors, r->n_msgs);
}

/* ---- Hooks -------------------------------------------------------------- */

/* Flows of ours from an earlier run are dropped: they may point where a
 * host no longer is, and would hide its move while traffic keeps them
 * alive. 1.3: by cookie, then our table-miss flow. 1.0: the delete cannot
 * filter, and the app owns the switch, so every flow goes; no table-miss
 * flow, as a 1.0 switch sends misses to the controller by itself (and a
 * flow's Packet-Ins would come as reason ACTION, not as misses). */
static void on_switch_up(struct mf_app *app, struct mf_switch *sw)
{
    struct l2learn *l = app->priv;
    struct l2_sw *s = sw_add(l, sw);
    if (!s) {
        count(l, L2L_C_NOMEM);
        return;
    }
    if (s->off) {
        LOG_INF(MOD, "switch %016llx: %s: learning stays off it",
                (unsigned long long)sw_get_info(sw)->dpid,
                table_of(l, sw) == L2L_TABLE_NONE ? "it forwards with NORMAL"
                                                   : "OpenFlow 1.0 with another application in front");
        return;
    }
    static struct of_msg m;
    bool filter = has_cookie_filter(sw);
    struct sw_batch *b = sw_batch_begin(sw);
    l2l_msg_delete_all(&m, &s->opts, filter);
    sw_batch_add(b, &m);
    if (filter) {
        l2l_msg_table_miss(&m, &s->opts);
        sw_batch_add(b, &m);
    }
    LOG_INF(MOD, "switch %016llx: learning in table %u", (unsigned long long)sw_get_info(sw)->dpid,
            (unsigned)s->opts.table_id);
    sw_batch_commit(b, on_batch, l);
}

static void on_switch_down(struct mf_app *app, struct mf_switch *sw)
{
    sw_remove(app->priv, sw);
}

/* 802.1D reserved group addresses 01:80:c2:00:00:00-0f (STP, LACP, LLDP...)
 * are never forwarded by a bridge. */
static bool is_link_local(struct eth_addr a)
{
    static const uint8_t prefix[5] = {0x01, 0x80, 0xc2, 0x00, 0x00};
    return memcmp(a.b, prefix, 5) == 0 && (a.b[5] & 0xf0) == 0;
}

/* A port a frame can come from and be sent to. */
static bool is_real_port(uint32_t p)
{
    return (p != 0 && p < OFPP_MAX) || p == OFPP_LOCAL;
}

/* Packet-In reasons, the same numbers in 1.0 and 1.3. */
enum { PI_NO_MATCH = 0, PI_ACTION = 1 };

/* Only a miss in our own table is ours to forward: one that met our
 * table-miss flow (1.3 reports it as NO_MATCH; a switch that says ACTION
 * is taken too, as no other flow of ours sends to the controller), or no
 * flow at all (cookie all ones; always so in 1.0, where the codec gives
 * every Packet-In that cookie and table 0). Anything another application's
 * rule sent (the mobility application's ARP and RARP copies from table 0,
 * with its cookie and reason ACTION) is that application's, even when the
 * same frame later misses in our table and comes again as ours. */
static bool is_ours(const struct l2_sw *s, const struct of_packet_in *pi)
{
    if (pi->table_id != s->opts.table_id) {
        return false;
    }
    if (pi->cookie == L2L_COOKIE) {
        return pi->reason == PI_NO_MATCH || pi->reason == PI_ACTION;
    }
    return pi->cookie == UINT64_MAX && pi->reason == PI_NO_MATCH;
}

/* The MAC moved: every flow of ours naming it goes, then a barrier, so that
 * no switch may apply the flow that follows before the deletes. */
static void forget_flows_of(struct l2learn *l, struct mf_switch *sw, const struct l2_sw *s,
                            struct eth_addr mac)
{
    static struct of_msg m;
    bool filter = has_cookie_filter(sw);
    struct sw_batch *b = sw_batch_begin(sw);
    l2l_msg_delete_mac(&m, &s->opts, mac, true, filter);
    sw_batch_add(b, &m);
    l2l_msg_delete_mac(&m, &s->opts, mac, false, filter);
    sw_batch_add(b, &m);
    sw_batch_commit(b, on_batch, l);
}

static void learn(struct l2learn *l, struct mf_switch *sw, struct l2_sw *s, struct eth_addr mac,
                  uint32_t port)
{
    uint32_t old_port = 0;
    struct eth_addr evicted;
    switch (l2_table_learn(&s->macs, mac, port, &old_port, &evicted)) {
    case L2_SAME:
        break;
    case L2_NEW:
        l->n_macs++;
        count(l, L2L_C_LEARNED);
        break;
    case L2_EVICTED:
        /* Its flows stay until idle: they still point where it was. */
        count(l, L2L_C_LEARNED);
        count(l, L2L_C_EVICTED);
        break;
    case L2_MOVED:
        count(l, L2L_C_MOVED);
        LOG_DBG(MOD, "%016llx: " ETH_ADDR_FMT " moved from port %u to %u",
                (unsigned long long)sw_get_info(sw)->dpid, ETH_ADDR_ARGS(mac), old_port, port);
        forget_flows_of(l, sw, s, mac);
        break;
    case L2_NOMEM:
        count(l, L2L_C_NOMEM);
        break;
    }
}

static void on_packet_in(struct mf_app *app, struct mf_switch *sw, const struct of_packet_in *pi,
                         const struct pkt_info *pkt)
{
    struct l2learn *l = app->priv;
    count(l, L2L_C_PACKET_INS);
    struct l2_sw *s = sw_find(l, sw);
    if (!s) {
        count(l, L2L_C_NOMEM); /* switch_up could not track it */
        return;
    }
    if (s->off || !is_ours(s, pi)) {
        count(l, L2L_C_IGNORED_FOREIGN);
        return;
    }
    uint32_t in = pi->match.value[OFF_IN_PORT].u32;
    if (!of_match_has(&pi->match, OFF_IN_PORT) || !is_real_port(in)) {
        count(l, L2L_C_REJECT_NO_IN_PORT);
        return;
    }
    /* A multicast source is not a station (802.3); forwarding it could loop. */
    if (eth_addr_is_multicast(pkt->src) || eth_addr_is_zero(pkt->src)) {
        count(l, L2L_C_REJECT_BAD_SOURCE);
        return;
    }
    learn(l, sw, s, pkt->src, in);
    if (is_link_local(pkt->dst)) {
        count(l, L2L_C_DROPPED_LINK_LOCAL);
        return;
    }
    static struct of_msg m;
    uint32_t out;
    if (eth_addr_is_multicast(pkt->dst) || !l2_table_lookup(&s->macs, pkt->dst, &out)) {
        count(l, L2L_C_FLOODED);
        l2l_msg_packet_out(&m, pi, in, OFPP_FLOOD);
        send_msg(l, sw, &m);
        return;
    }
    if (out == in) {
        count(l, L2L_C_DROPPED_SAME_PORT); /* it is already where it goes */
        return;
    }
    l2l_msg_flow(&m, &s->opts, in, pkt->src, pkt->dst, out);
    send_msg(l, sw, &m);
    count(l, L2L_C_FLOWS_ADDED);
    l2l_msg_packet_out(&m, pi, in, out);
    send_msg(l, sw, &m);
    count(l, L2L_C_FORWARDED);
}

/* A port that went away or down: its MACs are forgotten (frames to them are
 * flooded until they show up again), and every flow of ours to or from it
 * goes. The flows from it matter: a host that comes back to that port later
 * must miss, or we would never see it is back. */
static void on_port_status(struct mf_app *app, struct mf_switch *sw,
                           const struct of_port_status *ps)
{
    struct l2learn *l = app->priv;
    bool gone = ps->reason == OFPPR_DELETE || (ps->port.config & OFPPC_PORT_DOWN) ||
                (ps->port.state & OFPPS_LINK_DOWN);
    struct l2_sw *s = sw_find(l, sw);
    if (!gone || !s || s->off) {
        return;
    }
    l->n_macs -= l2_table_forget_port(&s->macs, ps->port.port_no);
    static struct of_msg m;
    for (int in_port = 0; in_port < 2; in_port++) {
        l2l_msg_delete_port(&m, &s->opts, ps->port.port_no, in_port, has_cookie_filter(sw));
        send_msg(l, sw, &m);
    }
}

/* ---- Life cycle --------------------------------------------------------- */

struct l2learn *l2learn_create(const struct l2learn_options *o)
{
    struct l2learn *l = calloc(1, sizeof *l);
    if (!l) {
        return NULL;
    }
    l->opts = *o;
    l->n_buckets = 64;
    l->buckets = calloc(l->n_buckets, sizeof *l->buckets);
    if (!l->buckets) {
        free(l);
        return NULL;
    }
    if (getrandom(&l->seed, sizeof l->seed, GRND_NONBLOCK) != sizeof l->seed) {
        l->seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)l;
    }
    l->app = (struct mf_app){
        .name = "l2learn",
        .priv = l,
        .switch_up = on_switch_up,
        .switch_down = on_switch_down,
        .packet_in = on_packet_in,
        .port_status = on_port_status,
    };
    return l;
}

void l2learn_destroy(struct l2learn *l)
{
    if (!l) {
        return;
    }
    for (size_t i = 0; i < l->n_buckets; i++) {
        for (struct l2_sw *s = l->buckets[i], *next; s; s = next) {
            next = s->next;
            l2_table_free(&s->macs);
            free(s);
        }
    }
    free(l->buckets);
    free(l);
}

struct mf_app *l2learn_as_app(struct l2learn *l)
{
    return &l->app;
}

const struct l2learn_counters *l2learn_get_counters(const struct l2learn *l)
{
    return &l->counters;
}

size_t l2learn_n_macs(const struct l2learn *l, const struct mf_switch *sw)
{
    const struct l2_sw *s = sw_find(l, sw);
    return s ? s->macs.n : 0;
}

size_t l2learn_n_macs_total(const struct l2learn *l)
{
    return l->n_macs;
}
