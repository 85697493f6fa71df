/* test_mob_update.c - the binding update engine (src/app/mobility/
 * mob_update.c) driven end to end: the real core and mobility application,
 * three scripted OpenFlow 1.3 switches on socketpairs (the handshake and
 * reconciliation answered, barriers answered at once or held back), the
 * node played by Packet-Ins (its RARP, its answer to the ARP probe).
 *
 * What is checked is what the switches receive and when:
 *  - the order guarantees (every receiving barrier before any sending
 *    flow-mod; every sending barrier before "complete"), with and without
 *    a `migrate` pre-announcement;
 *  - an announced arrival sends the sending side with the probe, and an
 *    unanswered probe then degrades the binding instead of rolling back;
 *  - every delete the engine sends (cleanup, superseded attempts, rollback,
 *    return home) names one exact cookie (cookie_mask all ones), and only
 *    the cookies of the epochs it replaces;
 *  - many nodes at once: at most `max_active` updates send rules, the
 *    others wait in the order they came and still complete, timed from
 *    their trigger; the rules of one turn share a batch per switch, and a
 *    switch's error is charged to the update whose rule it refused; the
 *    probe's deadline runs from when the switch confirmed the probe left. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <event2/event.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app/mobility/mob_internal.h"
#include "core/core_internal.h"
#include "ofp/ofp_codec.h"
#include "pkt/pkt.h"
#include "util/log.h"
#include "util/obuf.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define N_SW 3
#define HOA IP(10, 1, 0, 10)
#define NODE_PORT 10
#define N_NODES 8 /* node 0 is HOA; the others only in the mass tests */

/* Node k: MAC 52:54:00:12:34:56+k, HoA 10.1.0.10+k, home site1. */
static struct eth_addr node_mac(unsigned k)
{
    return (struct eth_addr){{0x52, 0x54, 0x00, 0x12, 0x34, (uint8_t)(0x56 + k)}};
}

static uint32_t node_hoa(unsigned k)
{
    return HOA + k;
}

/* What a switch received, in order (the fields the checks need). */
struct rec {
    enum of_msg_kind kind;
    uint32_t xid;
    uint8_t command, table_id;
    uint64_t cookie, cookie_mask;
    uint32_t match_present;
    bool probe; /* a Packet-Out carrying the ARP probe for HoA */
    uint32_t probe_hoa; /* the address any probe asks for */
};

#define MAX_REC 4096
struct fsw {
    int fd;
    uint64_t dpid;
    uint8_t in[1 << 18];
    size_t in_len;
    struct rec rec[MAX_REC];
    unsigned n_rec;
    bool hold;           /* keep barrier requests unanswered */
    uint32_t held[256];  /* their xids */
    unsigned n_held;
    uint32_t refuse_id;  /* refuse flow-mods of this binding id (0: none) */
};

static struct {
    struct event_base *base;
    struct mf_core *core;
    struct mob_app *m;
    struct mob_config cfg;
    struct fsw sw[N_SW];
    struct mob_store *store; /* NULL unless a test keeps bindings on disk */
    char store_path[64];
} fx;

/* ---- The scripted switches -------------------------------------------- */

static void send_to_core(struct fsw *s, struct of_msg *msg)
{
    struct obuf b = OBUF_INITIALIZER;
    assert_int_equal(of_encode(OF_VERSION_1_3, msg, &b), 0);
    assert_int_equal(write(s->fd, b.data, b.len), (ssize_t)b.len);
    obuf_free(&b);
}

static void reply_barrier(struct fsw *s, uint32_t xid)
{
    struct of_msg r = {.kind = OF_BARRIER_REPLY, .xid = xid};
    send_to_core(s, &r);
}

static void release_barriers(struct fsw *s)
{
    for (unsigned i = 0; i < s->n_held; i++) {
        reply_barrier(s, s->held[i]);
    }
    s->n_held = 0;
    s->hold = false;
}

/* The HoA an ARP probe asks for, 0 if the Packet-Out is none. */
static uint32_t probe_target(const struct of_packet_out *po)
{
    struct pkt_info pi;
    bool probe = pkt_parse(po->data, po->data_len, &pi) == PKT_OK && pi.kind == PKT_KIND_ARP &&
                 pi.arp.op == PKT_ARP_OP_REQUEST &&
                 eth_addr_equal(pi.arp.sha, mob_controller_mac);
    return probe ? pi.arp.tpa : 0;
}

/* The error a switch sends for a flow-mod it refuses. */
static void refuse(struct fsw *s, uint32_t xid)
{
    struct of_msg e = {.kind = OF_ERROR, .xid = xid};
    e.u.error.type = 5; /* OFPET_FLOW_MOD_FAILED */
    e.u.error.code = 0;
    send_to_core(s, &e);
}

static void answer_multipart(struct fsw *s, const struct of_msg *req)
{
    static struct of_msg r;
    static const struct of_port ports[] = {
        {.port_no = 1, .name = "up"}, {.port_no = 10, .name = "h10"},
        {.port_no = 11, .name = "h11"}, {.port_no = 12, .name = "h12"}};
    memset(&r, 0, sizeof r);
    r.kind = OF_MULTIPART_REPLY;
    r.xid = req->xid;
    r.u.mp_reply.mp_type = req->u.mp_request.mp_type;
    if (r.u.mp_reply.mp_type == OFMP_PORT_DESC) {
        r.u.mp_reply.ports = ports;
        r.u.mp_reply.n_ports = 4;
    } else if (r.u.mp_reply.mp_type == OFMP_DESC) {
        strcpy(r.u.mp_reply.desc.mfr_desc, "scripted");
    }
    /* OFMP_FLOW: no flows (a switch that starts empty). */
    send_to_core(s, &r);
}

static void handle(struct fsw *s, const uint8_t *raw, size_t len)
{
    static struct of_msg msg;
    assert_int_equal(of_decode(raw, len, &msg), 0);
    assert_true(s->n_rec < MAX_REC);
    struct rec *r = &s->rec[s->n_rec++];
    memset(r, 0, sizeof *r);
    r->kind = msg.kind;
    r->xid = msg.xid;
    switch (msg.kind) {
    case OF_HELLO: {
        struct of_msg h = {.kind = OF_HELLO, .xid = 1};
        send_to_core(s, &h);
        break;
    }
    case OF_FEATURES_REQUEST: {
        struct of_msg f = {.kind = OF_FEATURES_REPLY, .xid = msg.xid};
        f.u.features.datapath_id = s->dpid;
        f.u.features.n_tables = 254;
        send_to_core(s, &f);
        break;
    }
    case OF_MULTIPART_REQUEST:
        answer_multipart(s, &msg);
        break;
    case OF_ECHO_REQUEST: {
        struct of_msg e = {.kind = OF_ECHO_REPLY, .xid = msg.xid};
        send_to_core(s, &e);
        break;
    }
    case OF_BARRIER_REQUEST:
        if (s->hold) {
            assert_true(s->n_held < 256);
            s->held[s->n_held++] = msg.xid;
        } else {
            reply_barrier(s, msg.xid);
        }
        break;
    case OF_FLOW_MOD:
        r->command = msg.u.flow_mod.command;
        r->table_id = msg.u.flow_mod.table_id;
        r->cookie = msg.u.flow_mod.cookie;
        r->cookie_mask = msg.u.flow_mod.cookie_mask;
        r->match_present = msg.u.flow_mod.match.present;
        if (s->refuse_id && mob_cookie_is_ours(r->cookie) &&
            mob_cookie_id(r->cookie) == s->refuse_id && r->command == OFPFC_ADD) {
            refuse(s, msg.xid);
        }
        break;
    case OF_PACKET_OUT:
        r->probe_hoa = probe_target(&msg.u.packet_out);
        r->probe = r->probe_hoa == HOA;
        break;
    default:
        break;
    }
}

static void service(struct fsw *s)
{
    for (;;) {
        struct pollfd p = {s->fd, POLLIN, 0};
        if (poll(&p, 1, 0) != 1 || s->in_len == sizeof s->in) {
            break;
        }
        ssize_t r = read(s->fd, s->in + s->in_len, sizeof s->in - s->in_len);
        if (r <= 0) {
            break;
        }
        s->in_len += (size_t)r;
    }
    size_t len;
    while (of_frame(s->in, s->in_len, &len) == OF_FRAME_OK) {
        handle(s, s->in, len);
        memmove(s->in, s->in + len, s->in_len - len);
        s->in_len -= len;
    }
}

/* Runs the controller and the switches for `ms`, or until cond() holds. */
static bool pump_until(bool (*cond)(void), int ms)
{
    uint64_t end = time_msec() + (uint64_t)ms;
    for (;;) {
        event_base_loop(fx.base, EVLOOP_NONBLOCK);
        for (unsigned i = 0; i < N_SW; i++) {
            service(&fx.sw[i]);
        }
        event_base_loop(fx.base, EVLOOP_NONBLOCK);
        if (cond && cond()) {
            return true;
        }
        if (time_msec() >= end) {
            return false;
        }
        usleep(300);
    }
}

static void pump(int ms)
{
    pump_until(NULL, ms);
}

static void clear_logs(void)
{
    for (unsigned i = 0; i < N_SW; i++) {
        fx.sw[i].n_rec = 0;
    }
}

/* ---- The node, as Packet-Ins ------------------------------------------ */

static void packet_in(unsigned sw, uint32_t port, const uint8_t *frame, size_t len)
{
    static struct of_msg m;
    memset(&m, 0, sizeof m);
    m.kind = OF_PACKET_IN;
    m.u.packet_in.buffer_id = OFP_NO_BUFFER;
    m.u.packet_in.total_len = (uint16_t)len;
    m.u.packet_in.reason = 1; /* OFPR_ACTION: a rule sent it */
    m.u.packet_in.cookie = mob_cookie(MOB_ROLE_BASE, 0, 0);
    of_match_init(&m.u.packet_in.match);
    of_match_set_in_port(&m.u.packet_in.match, port);
    m.u.packet_in.data = frame;
    m.u.packet_in.data_len = len;
    send_to_core(&fx.sw[sw], &m);
}

/* QEMU's announcement of node k at switch `sw`. */
static void rarp_of(unsigned k, unsigned sw)
{
    uint8_t f[64];
    size_t n = pkt_build_rarp(f, sizeof f, node_mac(k));
    assert_true(n > 0);
    packet_in(sw, NODE_PORT, f, n);
}

/* Node k answers the probe ("HoA is at its MAC", to the prober). */
static void answers_of(unsigned k, unsigned sw)
{
    uint8_t f[64];
    size_t n = pkt_build_arp(f, sizeof f, mob_controller_mac, node_mac(k), 2, node_mac(k),
                             node_hoa(k), mob_controller_mac, 0);
    assert_true(n > 0);
    packet_in(sw, NODE_PORT, f, n);
}

static void node_rarp(unsigned sw)
{
    rarp_of(0, sw);
}

static void node_answers(unsigned sw)
{
    answers_of(0, sw);
}

/* ---- Fixture ----------------------------------------------------------- */

static void build_config(void)
{
    memset(&fx.cfg, 0, sizeof fx.cfg);
    fx.cfg.n_sites = N_SW;
    for (unsigned i = 0; i < N_SW; i++) {
        struct mob_site *s = &fx.cfg.sites[i];
        snprintf(s->name, sizeof s->name, "site%u", i + 1);
        s->dpid = i + 1;
        s->prefix = IP(10, i + 1, 0, 0);
        s->prefix_len = 24;
        s->gateway = IP(10, i + 1, 0, 1);
        s->has_gateway_mac = true;
        s->gateway_mac = (struct eth_addr){{0x02, 0, 0, 0, (uint8_t)(i + 1), 1}};
        s->uplinks[0] = 1;
        s->n_uplinks = 1;
        s->hypervisor_ports[0] = 10;
        s->hypervisor_ports[1] = 11;
        s->hypervisor_ports[2] = 12;
        s->n_hypervisor_ports = 3;
        s->pool_first = IP(10, i + 1, 0, 200);
        s->pool_last = IP(10, i + 1, 0, 249);
    }
    for (unsigned k = 0; k < N_NODES; k++) {
        fx.cfg.nodes[k] = (struct mob_static_node){node_mac(k), node_hoa(k), 1 + k};
    }
    fx.cfg.n_nodes = N_NODES;
}

static bool all_ready(void)
{
    for (unsigned i = 0; i < N_SW; i++) {
        struct mf_switch *sw = core_find_switch(fx.core, fx.sw[i].dpid);
        if (!sw || sw_get_info(sw)->state != SW_READY) {
            return false;
        }
        /* The reconciliation's batch (the base rules) came in. */
        unsigned adds = 0;
        for (unsigned k = 0; k < fx.sw[i].n_rec; k++) {
            adds += fx.sw[i].rec[k].kind == OF_BARRIER_REQUEST;
        }
        if (adds == 0) {
            return false;
        }
    }
    return true;
}

/* The controller (core and mobility app, on fx.store) and three switches
 * connected to it, reconciled. */
static void start_controller(void)
{
    fx.base = event_base_new();
    struct core_options o;
    core_options_default(&o);
    fx.core = core_create(fx.base, &o);
    fx.m = mobility_create(fx.core, fx.base, &fx.cfg, fx.store);
    assert_non_null(fx.m);
    core_add_app(fx.core, mobility_as_app(fx.m));
    for (unsigned i = 0; i < N_SW; i++) {
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        evutil_make_socket_nonblocking(sv[0]);
        fx.sw[i].fd = sv[1];
        fx.sw[i].dpid = i + 1;
        channel_accept(fx.core, sv[0], "test");
    }
    assert_true(pump_until(all_ready, 3000));
    pump(20);
    clear_logs();
}

static void stop_controller(void)
{
    core_destroy(fx.core);
    mobility_destroy(fx.m);
    for (unsigned i = 0; i < N_SW; i++) {
        close(fx.sw[i].fd);
        fx.sw[i].in_len = 0;
    }
    event_base_free(fx.base);
}

static int setup(void **state)
{
    log_set_level(LOG_ERROR);
    memset(&fx, 0, sizeof fx);
    build_config();
    assert_int_equal(mob_config_validate(&fx.cfg, "test"), 0);
    start_controller();
    return 0;
}

static int teardown(void **state)
{
    stop_controller();
    if (fx.store) {
        mob_store_close(fx.store);
        unlink(fx.store_path);
        char side[80];
        snprintf(side, sizeof side, "%s-wal", fx.store_path);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", fx.store_path);
        unlink(side);
    }
    return 0;
}

/* As setup, with the bindings and moves in a database of its own. */
static int setup_with_store(void **state)
{
    log_set_level(LOG_ERROR);
    memset(&fx, 0, sizeof fx);
    build_config();
    snprintf(fx.store_path, sizeof fx.store_path, "/tmp/matflow-unit-%d.db", (int)getpid());
    unlink(fx.store_path);
    fx.store = mob_store_open(fx.store_path, false);
    assert_non_null(fx.store);
    start_controller();
    return 0;
}

/* ---- Reading the results ----------------------------------------------- */

static struct mob_binding *node(void)
{
    struct mob_binding *b = mob_binding_by_hoa(fx.m, HOA);
    assert_non_null(b);
    return b;
}

/* Flow-mods of `role` and `epoch` with `command` at switch i. */
static unsigned count_mods(unsigned i, uint8_t command, enum mob_role role, uint32_t epoch)
{
    unsigned n = 0;
    for (unsigned k = 0; k < fx.sw[i].n_rec; k++) {
        const struct rec *r = &fx.sw[i].rec[k];
        n += r->kind == OF_FLOW_MOD && r->command == command && mob_cookie_is_ours(r->cookie) &&
             mob_cookie_role(r->cookie) == role && mob_cookie_epoch(r->cookie) == epoch;
    }
    return n;
}

static unsigned count_probes(unsigned i)
{
    unsigned n = 0;
    for (unsigned k = 0; k < fx.sw[i].n_rec; k++) {
        n += fx.sw[i].rec[k].probe;
    }
    return n;
}

static unsigned sending_everywhere(uint32_t epoch)
{
    unsigned n = 0;
    for (unsigned i = 0; i < N_SW; i++) {
        n += count_mods(i, OFPFC_ADD, MOB_ROLE_SENDING, epoch) > 0;
    }
    return n;
}

/* Every delete any switch received names one exact cookie of ours. */
static void assert_deletes_exact(void)
{
    for (unsigned i = 0; i < N_SW; i++) {
        for (unsigned k = 0; k < fx.sw[i].n_rec; k++) {
            const struct rec *r = &fx.sw[i].rec[k];
            if (r->kind != OF_FLOW_MOD || r->command == OFPFC_ADD) {
                continue;
            }
            assert_int_equal(r->command, OFPFC_DELETE);
            assert_true(r->cookie_mask == UINT64_MAX);
            assert_int_equal(r->table_id, OFPTT_ALL);
            assert_int_equal(r->match_present, 0);
            assert_true(mob_cookie_is_ours(r->cookie));
            assert_int_equal(mob_cookie_id(r->cookie), node()->id);
        }
    }
}

/* The cookies of the deletes switch i received, in order. */
static unsigned deletes_at(unsigned i, uint64_t *out, unsigned cap)
{
    unsigned n = 0;
    for (unsigned k = 0; k < fx.sw[i].n_rec; k++) {
        const struct rec *r = &fx.sw[i].rec[k];
        if (r->kind == OF_FLOW_MOD && r->command != OFPFC_ADD) {
            assert_true(n < cap);
            out[n++] = r->cookie;
        }
    }
    return n;
}

/* The newest update's JSON view, as `matflowctl events` shows it. */
static json_t *last_update(void)
{
    json_t *all = mobility_json_events(fx.m);
    json_t *list = json_object_get(all, "updates"), *best = NULL;
    size_t i;
    json_t *u;
    json_array_foreach(list, i, u) {
        if (!best || json_integer_value(json_object_get(u, "id")) >
                         json_integer_value(json_object_get(best, "id"))) {
            best = u;
        }
    }
    assert_non_null(best);
    json_incref(best);
    json_decref(all);
    return best;
}

/* Index of the first (or last) event named `step`, -1 if none. */
static int step_at(json_t *u, const char *step, bool last)
{
    json_t *ev = json_object_get(u, "events"), *e;
    size_t i;
    int found = -1;
    json_array_foreach(ev, i, e) {
        if (strcmp(json_string_value(json_object_get(e, "step")), step) == 0) {
            found = (int)i;
            if (!last) {
                break;
            }
        }
    }
    return found;
}

static unsigned step_count(json_t *u, const char *step)
{
    json_t *ev = json_object_get(u, "events"), *e;
    size_t i;
    unsigned n = 0;
    json_array_foreach(ev, i, e) {
        n += strcmp(json_string_value(json_object_get(e, "step")), step) == 0;
    }
    return n;
}

/* DESIGN.md's order in a timeline: every receiving barrier before the
 * sending side, every sending barrier before "complete". */
static void assert_order(json_t *u, unsigned receiving_barriers)
{
    assert_int_equal(step_count(u, "receiving_barrier"), receiving_barriers);
    assert_int_equal(step_count(u, "sending_barrier"), N_SW);
    if (receiving_barriers) {
        assert_true(step_at(u, "receiving_barrier", true) < step_at(u, "sending_out", false));
    }
    assert_true(step_at(u, "sending_barrier", true) < step_at(u, "complete", false));
}

/* No update in flight or waiting for its probe, and the newest one
 * finished (its cleanup confirmed): it is in the history. */
static bool node_settled(void)
{
    if (node()->upd || fx.m->awaiting) {
        return false;
    }
    for (unsigned i = 0; i < MOB_HISTORY; i++) {
        const struct mob_update *u = fx.m->history[i];
        if (u && u->id == fx.m->next_update_id) {
            return true;
        }
    }
    return false;
}

static json_t *migrate_to(const char *site)
{
    json_t *r = mobility_migrate(fx.m, "10.1.0.10", site);
    assert_null(json_object_get(r, "error"));
    return r;
}

/* ---- Tests ------------------------------------------------------------- */

/* Without an announcement the sending side waits for the probe's answer,
 * even with every receiving barrier in. */
static void test_plain_move_waits_for_probe(void **state)
{
    node_rarp(1);
    pump(150);
    assert_int_equal(count_probes(1), 1);
    for (unsigned i = 0; i < N_SW; i++) {
        assert_true(count_mods(i, OFPFC_ADD, MOB_ROLE_RECEIVING, 1) > 0);
    }
    assert_int_equal(sending_everywhere(1), 0);
    node_answers(1);
    assert_true(pump_until(node_settled, 2000));
    assert_int_equal(sending_everywhere(1), N_SW);
    assert_int_equal(node()->state, MOB_AWAY);
    assert_int_equal(node()->site, 1);
    json_t *u = last_update();
    assert_order(u, N_SW);
    assert_true(step_at(u, "probe_reply", false) < step_at(u, "sending_out", false));
    json_decref(u);
    assert_deletes_exact();
}

/* After `migrate`, the arrival sends the probe and the sending side
 * together: the sending flow-mods reach every switch before the node
 * answered; the answer is recorded afterwards, and the binding is away. */
static void test_announced_sends_with_probe(void **state)
{
    json_decref(migrate_to("site2"));
    pump(100); /* the receiving side and its barriers */
    for (unsigned i = 0; i < N_SW; i++) {
        assert_true(count_mods(i, OFPFC_ADD, MOB_ROLE_RECEIVING, 1) > 0);
    }
    assert_int_equal(sending_everywhere(1), 0);
    node_rarp(1);
    pump(100);
    assert_int_equal(count_probes(1), 1);
    assert_int_equal(sending_everywhere(1), N_SW);
    assert_true(node()->upd == NULL); /* complete without the answer */
    assert_int_equal(node()->state, MOB_AWAY);
    assert_non_null(fx.m->awaiting);  /* the probe is still out */
    node_answers(1);
    assert_true(pump_until(node_settled, 2000));
    assert_int_equal(node()->state, MOB_AWAY);
    assert_int_equal(fx.m->counters[MOB_C_REJECT_STALE_REPLY], 0);
    assert_int_equal(fx.m->counters[MOB_C_UPDATES_COMPLETE], 1);
    json_t *u = last_update();
    assert_string_equal(json_string_value(json_object_get(u, "trigger")), "migrate");
    assert_order(u, N_SW);
    assert_true(step_at(u, "probe_out", false) < step_at(u, "sending_out", false));
    assert_true(step_at(u, "sending_out", false) < step_at(u, "probe_reply", false));
    assert_int_equal(step_count(u, "probe_unanswered"), 0);
    assert_string_equal(json_string_value(json_object_get(u, "why")), "");
    json_decref(u);
    pump(400); /* no probe is sent again once answered */
    assert_int_equal(count_probes(1), 1);
}

/* An announced node that arrives before every receiving barrier is in:
 * the sending side still waits for them (the order guarantee holds). */
static void test_announced_waits_for_receiving(void **state)
{
    fx.sw[2].hold = true;
    json_decref(migrate_to("site2"));
    pump(50);
    node_rarp(1);
    pump(150);
    assert_int_equal(count_probes(1), 1);
    assert_int_equal(sending_everywhere(1), 0);
    node_answers(1); /* not even the answer releases it */
    pump(50);
    assert_int_equal(sending_everywhere(1), 0);
    release_barriers(&fx.sw[2]);
    assert_true(pump_until(node_settled, 2000));
    assert_int_equal(sending_everywhere(1), N_SW);
    json_t *u = last_update();
    assert_order(u, N_SW);
    json_decref(u);
}

/* An announced arrival whose probe nobody answers: the traffic stays
 * switched (no rollback, the binding at the new site), the binding is
 * degraded, and the reason is in the timeline and the counters. */
static void test_announced_probe_unanswered(void **state)
{
    json_decref(migrate_to("site2"));
    pump(50);
    node_rarp(1);
    pump(100);
    assert_int_equal(sending_everywhere(1), N_SW);
    assert_int_equal(node()->state, MOB_AWAY);
    clear_logs();
    assert_true(pump_until(node_settled, 3000));
    assert_int_equal(count_probes(1), 3); /* tries 2 to 4 */
    assert_int_equal(node()->state, MOB_DEGRADED);
    assert_int_equal(node()->site, 1);
    assert_true(node()->away);
    assert_int_equal(fx.m->counters[MOB_C_ARRIVAL_UNCONFIRMED], 1);
    assert_int_equal(fx.m->counters[MOB_C_PROBE_TIMEOUT], 1);
    assert_int_equal(fx.m->counters[MOB_C_UPDATES_FAILED], 0);
    for (unsigned i = 0; i < N_SW; i++) {
        uint64_t del[8];
        assert_int_equal(deletes_at(i, del, 8), 0); /* nothing rolled back */
    }
    json_t *u = last_update();
    assert_true(json_is_true(json_object_get(u, "complete")));
    assert_false(json_is_true(json_object_get(u, "failed")));
    assert_true(step_at(u, "complete", false) < step_at(u, "probe_unanswered", false));
    assert_non_null(strstr(json_string_value(json_object_get(u, "why")), "not confirmed"));
    json_decref(u);
    json_t *bs = mobility_json_bindings(fx.m);
    json_t *b0 = json_array_get(json_object_get(bs, "bindings"), 0);
    assert_string_equal(json_string_value(json_object_get(b0, "state")), "degraded");
    json_decref(bs);

    /* The next move is an ordinary one and clears the state. */
    node_rarp(2);
    pump(50);
    node_answers(2);
    assert_true(pump_until(node_settled, 2000));
    assert_int_equal(node()->state, MOB_AWAY);
    assert_int_equal(node()->site, 2);
}

/* Before the sending barriers are in, the probe's answer is recorded on
 * the update in flight; the update completes once, normally. */
static void test_announced_answer_before_complete(void **state)
{
    json_decref(migrate_to("site3"));
    pump(50);
    for (unsigned i = 0; i < N_SW; i++) {
        fx.sw[i].hold = true;
    }
    node_rarp(2);
    pump(100);
    assert_int_equal(sending_everywhere(1), N_SW);
    node_answers(2);
    pump(50);
    assert_non_null(node()->upd);
    for (unsigned i = 0; i < N_SW; i++) {
        release_barriers(&fx.sw[i]);
    }
    assert_true(pump_until(node_settled, 2000));
    assert_int_equal(node()->state, MOB_AWAY);
    assert_int_equal(fx.m->counters[MOB_C_UPDATES_COMPLETE], 1);
    json_t *u = last_update();
    assert_order(u, N_SW);
    assert_int_equal(step_count(u, "probe_reply"), 1);
    json_decref(u);
}

/* An announced arrival completes; before its probe is answered the node
 * moves on: the old probe is dropped (never reported unanswered, never
 * degrading the binding), and the new move is an ordinary one. */
static void test_announced_then_moves_on(void **state)
{
    json_decref(migrate_to("site2"));
    pump(50);
    node_rarp(1);
    pump(100);
    assert_true(node()->upd == NULL);
    assert_non_null(fx.m->awaiting);
    node_rarp(2);
    pump(50);
    assert_null(fx.m->awaiting);
    node_answers(2);
    assert_true(pump_until(node_settled, 2000));
    clear_logs();
    pump(1500); /* past the old probe's last try */
    assert_int_equal(count_probes(1), 0);
    assert_int_equal(fx.m->counters[MOB_C_ARRIVAL_UNCONFIRMED], 0);
    assert_int_equal(fx.m->counters[MOB_C_REJECT_STALE_REPLY], 0);
    assert_int_equal(node()->state, MOB_AWAY);
    assert_int_equal(node()->site, 2);
    assert_int_equal(fx.m->counters[MOB_C_UPDATES_COMPLETE], 2);
}

/* Every delete of a sequence of moves is an exact-cookie delete, and the
 * cleanups name exactly the epochs they replace: a move (epoch 1 at
 * site2), a second move (epoch 2 at site3), a move superseded by another
 * before its probe was answered (3 at site2, 4 at site3), a failed move
 * (5, rolled back), and the return home (5 again). */
static void test_deletes_are_exact(void **state)
{
    uint64_t del[32];
    node_rarp(1);
    pump(50);
    node_answers(1);
    assert_true(pump_until(node_settled, 2000));
    /* The committed placement was home (epoch 0): its return rules, at
     * home only. */
    assert_int_equal(deletes_at(0, del, 32), 1);
    assert_true(del[0] == mob_cookie(MOB_ROLE_RETURN, node()->id, 0));
    assert_int_equal(deletes_at(1, del, 32), 0);
    clear_logs();

    node_rarp(2);
    pump(50);
    node_answers(2);
    assert_true(pump_until(node_settled, 2000));
    for (unsigned i = 0; i < N_SW; i++) {
        assert_int_equal(deletes_at(i, del, 32), 2);
        assert_true(del[0] == mob_cookie(MOB_ROLE_RECEIVING, node()->id, 1));
        assert_true(del[1] == mob_cookie(MOB_ROLE_SENDING, node()->id, 1));
    }
    assert_deletes_exact();
    clear_logs();

    /* Ping-pong: epoch 3 (site2) superseded by epoch 4 (back at site3,
     * the committed MoA). The cleanup names epochs 2 and 3. */
    node_rarp(1);
    pump(50);
    node_rarp(2);
    pump(50);
    node_answers(2);
    assert_true(pump_until(node_settled, 2000));
    assert_int_equal(node()->epoch, 4);
    for (unsigned i = 0; i < N_SW; i++) {
        unsigned n = deletes_at(i, del, 32);
        assert_int_equal(n, 4);
        assert_true(del[0] == mob_cookie(MOB_ROLE_RECEIVING, node()->id, 2));
        assert_true(del[1] == mob_cookie(MOB_ROLE_SENDING, node()->id, 2));
        assert_true(del[2] == mob_cookie(MOB_ROLE_RECEIVING, node()->id, 3));
        assert_true(del[3] == mob_cookie(MOB_ROLE_SENDING, node()->id, 3));
    }
    assert_deletes_exact();
    clear_logs();

    /* A move whose probe nobody answers fails: epoch 5's rules go, the
     * committed ones (epoch 4) are written again. */
    node_rarp(1);
    assert_true(pump_until(node_settled, 3000));
    assert_int_equal(fx.m->counters[MOB_C_UPDATES_FAILED], 1);
    assert_int_equal(node()->epoch, 4);
    for (unsigned i = 0; i < N_SW; i++) {
        unsigned n = deletes_at(i, del, 32);
        assert_int_equal(n, 2);
        assert_true(del[0] == mob_cookie(MOB_ROLE_RECEIVING, node()->id, 5));
        assert_true(del[1] == mob_cookie(MOB_ROLE_SENDING, node()->id, 5));
        assert_true(count_mods(i, OFPFC_ADD, MOB_ROLE_RECEIVING, 4) > 0);
        assert_true(count_mods(i, OFPFC_ADD, MOB_ROLE_SENDING, 4) > 0);
    }
    assert_deletes_exact();
    clear_logs();

    /* Home: the sending rules of epoch 4 first, then its receiving ones. */
    node_rarp(0);
    pump(50);
    node_answers(0);
    assert_true(pump_until(node_settled, 2000));
    assert_false(node()->away);
    for (unsigned i = 0; i < N_SW; i++) {
        unsigned n = deletes_at(i, del, 32);
        assert_int_equal(n, 2);
        assert_true(del[0] == mob_cookie(MOB_ROLE_SENDING, node()->id, 4));
        assert_true(del[1] == mob_cookie(MOB_ROLE_RECEIVING, node()->id, 4));
    }
    assert_deletes_exact();
}

/* ---- Many nodes at once ------------------------------------------------ */

static struct mob_binding *binding_of(unsigned k)
{
    struct mob_binding *b = mob_binding_by_hoa(fx.m, node_hoa(k));
    assert_non_null(b);
    return b;
}

/* The bindings whose receiving rules switch i got, in the order their
 * first rule came; returns how many. */
static unsigned receiving_order(unsigned i, uint32_t *ids, unsigned cap)
{
    unsigned n = 0;
    for (unsigned k = 0; k < fx.sw[i].n_rec; k++) {
        const struct rec *r = &fx.sw[i].rec[k];
        if (r->kind != OF_FLOW_MOD || r->command != OFPFC_ADD ||
            mob_cookie_role(r->cookie) != MOB_ROLE_RECEIVING) {
            continue;
        }
        uint32_t id = mob_cookie_id(r->cookie);
        bool seen = false;
        for (unsigned j = 0; j < n; j++) {
            seen |= ids[j] == id;
        }
        if (!seen) {
            assert_true(n < cap);
            ids[n++] = id;
        }
    }
    return n;
}

static unsigned count_kind(unsigned i, enum of_msg_kind kind)
{
    unsigned n = 0;
    for (unsigned k = 0; k < fx.sw[i].n_rec; k++) {
        n += fx.sw[i].rec[k].kind == kind;
    }
    return n;
}

static unsigned mass_n;

static bool mass_settled(void)
{
    return fx.m->counters[MOB_C_UPDATES_COMPLETE] + fx.m->counters[MOB_C_UPDATES_FAILED] ==
               mass_n &&
           fx.m->n_active == 0 && !fx.m->queue_head && !fx.m->awaiting;
}

/* The step's time in the newest update of node k (-1 if it has none). */
static long long step_time(unsigned k, const char *step)
{
    json_t *all = mobility_json_events(fx.m), *u, *best = NULL;
    size_t i;
    json_array_foreach(json_object_get(all, "updates"), i, u) {
        char hoa[16];
        uint32_t a = node_hoa(k);
        snprintf(hoa, sizeof hoa, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff,
                 a & 0xff);
        if (strcmp(json_string_value(json_object_get(u, "hoa")), hoa) == 0 &&
            (!best || json_integer_value(json_object_get(u, "id")) >
                          json_integer_value(json_object_get(best, "id")))) {
            best = u;
        }
    }
    long long t = -1;
    int at = best ? step_at(best, step, false) : -1;
    if (at >= 0) {
        json_t *e = json_array_get(json_object_get(best, "events"), (size_t)at);
        t = json_integer_value(json_object_get(e, "t_us"));
    }
    json_decref(all);
    return t;
}

/* Five nodes move at once with room for two: every probe goes out at once,
 * the rules of two updates only; the others wait, are admitted in the
 * order they came as slots free, and complete, each timed from its own
 * trigger ("admitted" in the timeline shows the wait). Nothing is lost. */
static void test_mass_waits_its_turn(void **state)
{
    const unsigned n = 5;
    fx.m->max_active = 2;
    for (unsigned i = 0; i < N_SW; i++) {
        fx.sw[i].hold = true;
    }
    for (unsigned k = 0; k < n; k++) {
        rarp_of(k, 1);
    }
    pump(100);
    unsigned probes = 0;
    for (unsigned k = 0; k < fx.sw[1].n_rec; k++) {
        probes += fx.sw[1].rec[k].probe_hoa != 0;
    }
    assert_int_equal(probes, n);
    uint32_t ids[N_NODES];
    for (unsigned i = 0; i < N_SW; i++) {
        assert_int_equal(receiving_order(i, ids, N_NODES), 2);
    }
    assert_int_equal(fx.m->n_active, 2);
    assert_int_equal(fx.m->n_queued, n - 2);
    assert_int_equal(fx.m->counters[MOB_C_UPDATES_QUEUED], n - 2);
    for (unsigned k = 0; k < n; k++) {
        answers_of(k, 1);
        assert_int_equal(binding_of(k)->state, MOB_UPDATING);
    }
    pump(50);
    assert_int_equal(receiving_order(0, ids, N_NODES), 2); /* still their barriers */
    for (unsigned i = 0; i < N_SW; i++) {
        release_barriers(&fx.sw[i]);
    }
    mass_n = n;
    assert_true(pump_until(mass_settled, 3000));
    assert_int_equal(fx.m->counters[MOB_C_UPDATES_COMPLETE], n);
    assert_int_equal(fx.m->counters[MOB_C_UPDATES_FAILED], 0);
    for (unsigned i = 0; i < N_SW; i++) {
        assert_int_equal(receiving_order(i, ids, N_NODES), n);
        for (unsigned k = 0; k < n; k++) {
            assert_int_equal(ids[k], binding_of(k)->id); /* first come, first served */
        }
    }
    for (unsigned k = 0; k < n; k++) {
        assert_int_equal(binding_of(k)->state, MOB_AWAY);
        assert_int_equal(binding_of(k)->site, 1);
        long long trigger = step_time(k, "trigger");
        assert_true(trigger >= 0 && trigger < 1000); /* the clock starts there */
        long long admitted = step_time(k, "admitted"), done = step_time(k, "complete");
        assert_true(done > 0);
        if (k < 2) {
            assert_int_equal(admitted, -1); /* never waited */
        } else {
            assert_true(admitted > 0 && admitted < done);
        }
    }
}

/* A node that waits for its turn and never answers the probe fails with
 * the probe's reason, sends no rule, and leaves the queue; the one behind
 * it goes on. */
static void test_mass_queued_failure(void **state)
{
    fx.m->max_active = 1;
    fx.sw[0].hold = true; /* keeps node 0's update in its slot */
    rarp_of(0, 1);
    rarp_of(1, 1); /* will stay silent */
    rarp_of(2, 1);
    pump(50);
    answers_of(0, 1);
    answers_of(2, 1);
    assert_int_equal(fx.m->n_queued, 2);
    pump(1600); /* past node 1's last try */
    assert_int_equal(fx.m->counters[MOB_C_UPDATES_FAILED], 1);
    assert_int_equal(fx.m->n_queued, 1);
    assert_int_equal(binding_of(1)->state, MOB_HOME);
    uint32_t ids[N_NODES];
    for (unsigned i = 0; i < N_SW; i++) {
        unsigned got = receiving_order(i, ids, N_NODES);
        for (unsigned j = 0; j < got; j++) {
            assert_true(ids[j] != binding_of(1)->id);
        }
        for (unsigned k = 0; k < fx.sw[i].n_rec; k++) { /* no rollback either */
            const struct rec *r = &fx.sw[i].rec[k];
            assert_false(r->kind == OF_FLOW_MOD && mob_cookie_id(r->cookie) == binding_of(1)->id);
        }
    }
    release_barriers(&fx.sw[0]);
    mass_n = 3;
    assert_true(pump_until(mass_settled, 3000));
    assert_int_equal(fx.m->counters[MOB_C_UPDATES_COMPLETE], 2);
    assert_int_equal(binding_of(2)->state, MOB_AWAY);
}

/* The updates of one turn share one batch (and one barrier) per switch. */
static void test_mass_shares_batches(void **state)
{
    const unsigned n = 6;
    struct obuf all = OBUF_INITIALIZER;
    for (unsigned k = 0; k < n; k++) {
        uint8_t f[64];
        size_t len = pkt_build_rarp(f, sizeof f, node_mac(k));
        static struct of_msg m;
        memset(&m, 0, sizeof m);
        m.kind = OF_PACKET_IN;
        m.u.packet_in.buffer_id = OFP_NO_BUFFER;
        m.u.packet_in.total_len = (uint16_t)len;
        m.u.packet_in.reason = 1;
        m.u.packet_in.cookie = mob_cookie(MOB_ROLE_BASE, 0, 0);
        of_match_init(&m.u.packet_in.match);
        of_match_set_in_port(&m.u.packet_in.match, NODE_PORT);
        m.u.packet_in.data = f;
        m.u.packet_in.data_len = len;
        assert_int_equal(of_encode(OF_VERSION_1_3, &m, &all), 0);
    }
    /* One write: the controller reads them in one turn of its loop. */
    assert_int_equal(write(fx.sw[1].fd, all.data, all.len), (ssize_t)all.len);
    obuf_free(&all);
    pump(100);
    uint32_t ids[N_NODES];
    assert_int_equal(receiving_order(0, ids, N_NODES), n);
    assert_int_equal(count_kind(0, OF_BARRIER_REQUEST), 1);
    assert_int_equal(count_kind(2, OF_BARRIER_REQUEST), 1);
    for (unsigned k = 0; k < n; k++) {
        answers_of(k, 1);
    }
    mass_n = n;
    assert_true(pump_until(mass_settled, 3000));
    assert_int_equal(fx.m->counters[MOB_C_UPDATES_COMPLETE], n);
}

/* A switch refuses one node's rules in a shared batch: that update alone
 * counts the error (its binding degraded), the others are clean. */
static void test_mass_errors_charged_to_their_update(void **state)
{
    const unsigned n = 3;
    fx.sw[2].refuse_id = binding_of(1)->id;
    for (unsigned k = 0; k < n; k++) {
        rarp_of(k, 1);
    }
    pump(50);
    for (unsigned k = 0; k < n; k++) {
        answers_of(k, 1);
    }
    mass_n = n;
    assert_true(pump_until(mass_settled, 3000));
    assert_int_equal(binding_of(0)->state, MOB_AWAY);
    assert_int_equal(binding_of(1)->state, MOB_DEGRADED);
    assert_int_equal(binding_of(2)->state, MOB_AWAY);
    assert_true(fx.m->counters[MOB_C_SWITCH_ERRORS] > 0);
}

/* The probe's tries are timed from the switch's confirmation that the
 * probe left: behind a connection that holds it (here: barriers held)
 * for longer than all four tries would take, the update neither retries
 * nor fails, and the node's late answer completes it. */
static void test_probe_deadline_from_departure(void **state)
{
    fx.sw[1].hold = true;
    node_rarp(1);
    pump(1600);
    assert_int_equal(count_probes(1), 1);
    assert_int_equal(fx.m->counters[MOB_C_UPDATES_FAILED], 0);
    assert_non_null(node()->upd);
    release_barriers(&fx.sw[1]);
    pump(100);
    node_answers(1);
    assert_true(pump_until(node_settled, 2000));
    assert_int_equal(node()->state, MOB_AWAY);
    assert_int_equal(count_probes(1), 1);
    /* Unanswered, it still fails after its tries, counted from departure. */
    clear_logs();
    node_rarp(2);
    assert_true(pump_until(node_settled, 3000));
    assert_int_equal(fx.m->counters[MOB_C_UPDATES_FAILED], 1);
    assert_int_equal(count_probes(2), MOB_PROBE_TRIES);
}

/* ---- Defences and faults (docs/SECURITY.md, docs/OPERATIONS.md) -------- */

/* Moves node 0 to switch `sw` (answering its probe) and waits for it. */
static void move_to(unsigned sw)
{
    node_rarp(sw);
    pump(30);
    node_answers(sw);
    assert_true(pump_until(node_settled, 3000));
    assert_int_equal(node()->site, sw);
}

/* More than damping_moves moves within the window: the next trigger is
 * refused, counted, and changes nothing. */
static void test_damping_refuses_a_node_that_moves_too_often(void **state)
{
    fx.cfg.guard.damping_moves = 3;
    fx.cfg.guard.damping_window_s = 180;
    move_to(1);
    move_to(2);
    move_to(1);
    struct mob_binding before = *node();
    node_rarp(2);
    pump(100);
    assert_null(node()->upd);
    assert_int_equal(node()->site, before.site);
    assert_int_equal(node()->epoch, before.epoch);
    assert_int_equal(fx.m->counters[MOB_C_REJECT_DAMPED], 1);
    assert_int_equal(fx.m->counters[MOB_C_UPDATES_STARTED], 3);
    /* Once the moves are older than the window, the node may move again. */
    fx.cfg.guard.damping_window_s = 0.05;
    pump(60);
    move_to(2);
    assert_int_equal(fx.m->counters[MOB_C_REJECT_DAMPED], 1);
}

/* A port that floods RARPs is cut to its rate; another port's node moves
 * as usual meanwhile. */
static void test_rate_limit_is_per_port(void **state)
{
    fx.cfg.guard.trigger_rate = 1; /* one token a second: a slow run (valgrind) refills none */
    fx.cfg.guard.trigger_burst = 5;
    uint8_t f[64];
    size_t n = pkt_build_rarp(f, sizeof f, (struct eth_addr){{0x02, 0xba, 0xd0, 0, 0, 1}});
    for (unsigned i = 0; i < 100; i++) {
        packet_in(1, 11, f, n);
    }
    pump(50);
    uint64_t limited = fx.m->counters[MOB_C_REJECT_RATE_LIMITED];
    assert_true(limited >= 94 && limited <= 95); /* 5 of burst, at most 1 refilled */
    assert_int_equal(fx.m->counters[MOB_C_REJECT_UNKNOWN_MAC], 100 - limited);
    move_to(1); /* port 10 of the same switch */
    assert_int_equal(node()->state, MOB_AWAY);
    assert_int_equal(fx.m->counters[MOB_C_REJECT_RATE_LIMITED], limited);
}

/* The old location is probed while the move's rules go out; silent, the
 * move is persisted only after the check, and the data plane was switched
 * before it ended. */
static void test_old_location_silent_then_complete(void **state)
{
    fx.cfg.guard.old_location_check_s = 0.4; /* tries at 0 and 0.2 s */
    move_to(1); /* at home it had no port: nothing to check */
    assert_int_equal(fx.m->counters[MOB_C_OLD_LOCATION_CHECKS], 0);
    clear_logs();
    node_rarp(2);
    pump(30);
    node_answers(2);
    pump(80);
    assert_int_equal(count_probes(1), 1); /* the old location, asked */
    assert_int_equal(sending_everywhere(node()->upd->epoch), N_SW);
    assert_non_null(node()->upd); /* switched, not yet complete */
    assert_true(pump_until(node_settled, 2000));
    assert_int_equal(node()->state, MOB_AWAY);
    assert_int_equal(node()->site, 2);
    assert_int_equal(count_probes(1), 2);
    json_t *u = last_update();
    assert_true(step_at(u, "switched", false) >= 0);
    assert_true(step_at(u, "switched", false) < step_at(u, "old_location_silent", false));
    assert_true(step_at(u, "old_location_silent", false) < step_at(u, "persisted", false));
    json_decref(u);
}

/* The node answers at its old port as well: the move is rolled back, the
 * binding stays where it was, and the alarm is counted. */
static void test_old_location_answers_rolls_back(void **state)
{
    fx.cfg.guard.old_location_check_s = 0.3;
    move_to(1);
    struct mob_binding before = *node();
    node_rarp(2); /* somebody announces the node at site3 */
    pump(30);
    node_answers(2);
    node_answers(1); /* ... but it is still at site2 */
    assert_true(pump_until(node_settled, 2000));
    assert_int_equal(fx.m->counters[MOB_C_REJECT_OLD_LOCATION_ANSWERS], 1);
    assert_int_equal(fx.m->counters[MOB_C_UPDATES_FAILED], 1);
    assert_int_equal(node()->site, before.site);
    assert_int_equal(node()->moa, before.moa);
    assert_int_equal(node()->epoch, before.epoch);
    assert_int_equal(node()->state, MOB_AWAY);
    /* The committed placement's sending rules are written again. */
    for (unsigned i = 0; i < N_SW; i++) {
        assert_true(count_mods(i, OFPFC_ADD, MOB_ROLE_SENDING, before.epoch) > 0);
    }
}

/* A switch that refuses a phase's rules gets them again, after a
 * doubling wait; refusing every time, it is given up on: the binding is
 * degraded and the site shows why its switch lags. */
static void test_refused_rules_retried_then_degraded(void **state)
{
    fx.cfg.guard.retries = 2;
    fx.cfg.guard.retry_backoff_s = 0.02;
    fx.sw[2].refuse_id = node()->id;
    move_to(1);
    assert_int_equal(node()->state, MOB_DEGRADED);
    /* The receiving side, re-sent twice; then the switch is reconciled,
     * and the sending side reaches it that way (refused again). */
    assert_int_equal(fx.m->counters[MOB_C_RETRIES], 2);
    assert_int_equal(fx.m->counters[MOB_C_UPDATES_DEGRADED], 1);
    json_t *u = last_update();
    assert_int_equal(step_count(u, "retry"), 2);
    assert_non_null(strstr(json_string_value(json_object_get(u, "why")), "refused"));
    json_decref(u);
    pump(100);
    const struct mob_site_sync *sy = &fx.m->sync[2];
    assert_int_equal(sy->state, MOB_SYNC_LAGGING);
    assert_non_null(strstr(sy->why, "refused"));
    assert_true(sy->updates_missed >= 1);
    assert_int_equal(fx.m->sync[0].state, MOB_SYNC_IN_SYNC);
}

/* Refused once, taken on the retry: the binding is not degraded. */
static void test_refused_once_then_taken(void **state)
{
    fx.cfg.guard.retries = 2;
    fx.cfg.guard.retry_backoff_s = 0.02;
    fx.sw[2].refuse_id = node()->id;
    node_rarp(1);
    pump(10);
    fx.sw[2].refuse_id = 0; /* the receiving side's error is on its way */
    node_answers(1);
    assert_true(pump_until(node_settled, 3000));
    assert_int_equal(node()->state, MOB_AWAY);
    assert_int_equal(fx.m->counters[MOB_C_RETRIES], 1);
    assert_int_equal(fx.m->sync[2].state, MOB_SYNC_IN_SYNC);
}

static int setup_fast_barrier(void **state)
{
    /* setup() uses core_options_default; barriers time out fast here. */
    int rc = setup(state);
    fx.core->opts.barrier_timeout_s = 0.05;
    return rc;
}

/* A switch that confirms nothing: the others complete the update; after
 * the retries the binding is degraded, and after CORE_BARRIER_MISSES
 * barriers in a row the switch is dropped (reconciled when it returns). */
static void test_unconfirmed_rules_retried_then_degraded(void **state)
{
    fx.cfg.guard.retries = 1;
    fx.cfg.guard.retry_backoff_s = 0.02;
    fx.sw[2].hold = true;
    move_to(1);
    assert_int_equal(node()->state, MOB_DEGRADED);
    assert_true(fx.m->counters[MOB_C_RETRIES] >= 1);
    json_t *u = last_update();
    assert_non_null(strstr(json_string_value(json_object_get(u, "why")), "did not confirm"));
    json_decref(u);
    pump(300);
    assert_null(core_find_switch(fx.core, 3));
    assert_int_equal(fx.m->sync[2].state, MOB_SYNC_DOWN);
    assert_int_equal(fx.m->sync[0].state, MOB_SYNC_IN_SYNC);
}

/* A switch that missed one update's barrier but confirms the next batch
 * is read back and put right at once: lagging, then in sync, connected. */
static void test_lagging_switch_reconciled_once_it_answers(void **state)
{
    fx.cfg.guard.retries = 0;
    fx.sw[2].hold = true;
    node_rarp(1);
    pump(120); /* the receiving side's barrier at site3 times out */
    assert_int_equal(fx.m->sync[2].state, MOB_SYNC_LAGGING);
    assert_non_null(strstr(fx.m->sync[2].why, "no barrier reply"));
    fx.sw[2].hold = false; /* the held barrier stays unanswered: it timed out */
    fx.sw[2].n_held = 0;
    node_answers(1);
    assert_true(pump_until(node_settled, 3000));
    pump(100);
    assert_int_equal(node()->state, MOB_DEGRADED); /* one switch did not confirm */
    assert_non_null(core_find_switch(fx.core, 3));
    assert_int_equal(fx.m->sync[2].state, MOB_SYNC_IN_SYNC);
    assert_true(fx.m->sync[2].updates_missed >= 1);
}

static void count_move_row(void *arg, const struct mob_stored_move *mv)
{
    (*(unsigned *)arg)++;
}

static bool probed_at_site2(void)
{
    return count_probes(1) > 0;
}

static unsigned moves_on_disk(void)
{
    unsigned n = 0;
    assert_true(mob_store_load_moves(fx.store, count_move_row, &n) >= 0);
    return n;
}

/* The daemon dies while a move waits for the node's answer (kill -9: no
 * shutdown code runs; here the app is simply dropped with the database as
 * it is). Started again on the same database, it reconciles the switches,
 * probes the node where it announced itself, and finishes the move. */
static void test_move_interrupted_by_a_crash_is_resumed(void **state)
{
    node_rarp(1);
    pump(50);
    assert_non_null(node()->upd);
    assert_int_equal(moves_on_disk(), 1); /* on disk from its start */
    stop_controller();
    mob_store_close(fx.store);
    fx.store = mob_store_open(fx.store_path, false);
    assert_non_null(fx.store);
    start_controller(); /* with the switches' rules as they were: reconciled */
    assert_int_equal(node()->site, 0); /* the committed place: home */
    assert_true(pump_until(probed_at_site2, 2000));
    assert_int_equal(count_probes(1), 1);
    node_answers(1);
    assert_true(pump_until(node_settled, 3000));
    assert_int_equal(node()->state, MOB_AWAY);
    assert_int_equal(node()->site, 1);
    assert_int_equal(fx.m->counters[MOB_C_UPDATES_RESUMED], 1);
    json_t *u = last_update();
    assert_string_equal(json_string_value(json_object_get(u, "trigger")), "resume");
    json_decref(u);
    assert_int_equal(moves_on_disk(), 0); /* settled with the binding */
}

/* Resumed, but the node does not answer where it said it was: the move
 * fails, the binding stays where it was, and the move is off the disk. */
static void test_resumed_move_without_answer_is_rolled_back(void **state)
{
    node_rarp(1);
    pump(50);
    assert_int_equal(moves_on_disk(), 1);
    stop_controller();
    start_controller();
    assert_true(pump_until(node_settled, 4000));
    assert_int_equal(fx.m->counters[MOB_C_UPDATES_RESUMED], 1);
    assert_int_equal(fx.m->counters[MOB_C_UPDATES_FAILED], 1);
    assert_int_equal(node()->site, 0);
    assert_int_equal(node()->state, MOB_HOME);
    assert_int_equal(moves_on_disk(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_plain_move_waits_for_probe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_announced_sends_with_probe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_announced_waits_for_receiving, setup, teardown),
        cmocka_unit_test_setup_teardown(test_announced_probe_unanswered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_announced_answer_before_complete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_announced_then_moves_on, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deletes_are_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mass_waits_its_turn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mass_queued_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mass_shares_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mass_errors_charged_to_their_update, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_probe_deadline_from_departure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damping_refuses_a_node_that_moves_too_often, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rate_limit_is_per_port, setup, teardown),
        cmocka_unit_test_setup_teardown(test_old_location_silent_then_complete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_old_location_answers_rolls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_rules_retried_then_degraded, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_refused_once_then_taken, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unconfirmed_rules_retried_then_degraded,
                                        setup_fast_barrier, teardown),
        cmocka_unit_test_setup_teardown(test_lagging_switch_reconciled_once_it_answers,
                                        setup_fast_barrier, teardown),
        cmocka_unit_test_setup_teardown(test_move_interrupted_by_a_crash_is_resumed,
                                        setup_with_store, teardown),
        cmocka_unit_test_setup_teardown(test_resumed_move_without_answer_is_rolled_back,
                                        setup_with_store, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
