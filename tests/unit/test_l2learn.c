/* test_l2learn.c - the learning application driven through the core by a
 * scripted switch on a socketpair: table-miss on switch up, flooding of
 * unknown and broadcast destinations, a flow and a Packet-Out once the
 * destination is known, a MAC that moves, the per-switch cap, ports that
 * go down, and Packet-Ins that are not ours; the same on an OpenFlow 1.0
 * switch (one table, deletes by match only, no table-miss flow); and
 * learning in table 3 behind another application's rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <event2/event.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app/app.h"
#include "app/l2learn/l2_table.h"
#include "app/l2learn/l2learn.h"
#include "core/core_internal.h"
#include "util/log.h"

struct fixture {
    uint8_t version; /* the switch's: OF_VERSION_1_3 or OF_VERSION_1_0 */
    uint8_t table;   /* the one the app owns on it */
    bool off;        /* a 1.0 switch behind another app: the app stays off */
    struct event_base *base;
    struct mf_core *core;
    struct l2learn *l2;
    struct mf_switch *sw;
    int fd; /* the switch's end */
    uint8_t in[1 << 17];
    size_t in_len;
};

static struct fixture *fx;
static uint8_t raw_buf[1 << 16];

static const struct eth_addr mac_a = {{0x02, 0, 0, 0, 0, 0x0a}};
static const struct eth_addr mac_b = {{0x02, 0, 0, 0, 0, 0x0b}};
static const struct eth_addr mac_c = {{0x02, 0, 0, 0, 0, 0x0c}};
static const struct eth_addr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

static bool next_msg(struct of_msg *m, int timeout_ms)
{
    uint64_t end = time_msec() + (uint64_t)timeout_ms;
    for (;;) {
        size_t len;
        if (of_frame(fx->in, fx->in_len, &len) == OF_FRAME_OK) {
            memcpy(raw_buf, fx->in, len);
            memmove(fx->in, fx->in + len, fx->in_len - len);
            fx->in_len -= len;
            assert_int_equal(of_decode(raw_buf, len, m), 0);
            return true;
        }
        if (time_msec() > end) {
            return false;
        }
        event_base_loop(fx->base, EVLOOP_NONBLOCK);
        struct pollfd p = {fx->fd, POLLIN, 0};
        if (poll(&p, 1, 5) == 1) {
            ssize_t r = read(fx->fd, fx->in + fx->in_len, sizeof fx->in - fx->in_len);
            if (r <= 0) {
                return false;
            }
            fx->in_len += (size_t)r;
        }
    }
}

/* The next message is of this kind, in the switch's version. */
static void expect_kind(enum of_msg_kind kind, struct of_msg *m)
{
    assert_true(next_msg(m, 2000));
    assert_string_equal(of_msg_kind_name(m->kind), of_msg_kind_name(kind));
    assert_int_equal(m->version, fx->version);
}

static void expect_nothing(void)
{
    static struct of_msg m;
    if (next_msg(&m, 50)) {
        fail_msg("unexpected %s", of_msg_kind_name(m.kind));
    }
}

/* Sends m in the switch's version. */
static void send_msg(struct of_msg *m)
{
    struct obuf b = OBUF_INITIALIZER;
    assert_int_equal(of_encode(fx->version, m, &b), 0);
    assert_int_equal(write(fx->fd, b.data, b.len), (ssize_t)b.len);
    obuf_free(&b);
}

/* Plays a switch with three ports through the handshake in fx->version
 * (1.0: HELLO without bitmap, ports in FEATURES_REPLY, no PORT_DESC). */
static void switch_handshake(uint64_t dpid)
{
    static struct of_msg m;
    static const struct of_port ports[3] = {{.port_no = 1, .name = "p1"},
                                            {.port_no = 2, .name = "p2"},
                                            {.port_no = 3, .name = "p3"}};
    bool v10 = fx->version == OF_VERSION_1_0;
    assert_true(next_msg(&m, 2000));
    assert_int_equal(m.kind, OF_HELLO);
    send_msg(&(struct of_msg){.kind = OF_HELLO, .xid = 1});
    expect_kind(OF_FEATURES_REQUEST, &m);
    struct of_msg f = {.kind = OF_FEATURES_REPLY, .xid = m.xid};
    f.u.features.datapath_id = dpid;
    f.u.features.n_tables = v10 ? 1 : 254;
    f.u.features.ports = v10 ? ports : NULL;
    f.u.features.n_ports = v10 ? 3 : 0;
    send_msg(&f);
    expect_kind(OF_SET_CONFIG, &m);
    expect_kind(OF_MULTIPART_REQUEST, &m);
    struct of_msg d = {.kind = OF_MULTIPART_REPLY, .xid = m.xid};
    d.u.mp_reply.mp_type = OFMP_DESC;
    send_msg(&d);
    if (v10) {
        return;
    }
    expect_kind(OF_MULTIPART_REQUEST, &m);
    struct of_msg p = {.kind = OF_MULTIPART_REPLY, .xid = m.xid};
    p.u.mp_reply.mp_type = OFMP_PORT_DESC;
    p.u.mp_reply.ports = ports;
    p.u.mp_reply.n_ports = 3;
    send_msg(&p);
}

/* Pumps the loop until the core lists the switch ready. */
static void pump_until_ready(uint64_t dpid)
{
    uint64_t end = time_msec() + 2000;
    while (!(fx->sw = core_find_switch(fx->core, dpid)) && time_msec() < end) {
        event_base_loop(fx->base, EVLOOP_NONBLOCK);
        usleep(1000);
    }
    assert_non_null(fx->sw);
}

/* Switch up on 1.0: every flow goes (the delete cannot filter by cookie),
 * then a barrier; no table-miss flow (a 1.0 switch sends misses to the
 * controller by itself). */
static void expect_switch_up_10(struct of_msg *m)
{
    const struct of_flow_mod *fm = &m->u.flow_mod;
    expect_kind(OF_FLOW_MOD, m);
    assert_int_equal(fm->command, OFPFC_DELETE);
    assert_int_equal(fm->match.present, 0);
    assert_true(fm->out_port == OFPP_ANY);
    expect_kind(OF_BARRIER_REQUEST, m);
}

/* Plays the switch through the handshake, then checks and acknowledges
 * what the application sends on switch up. */
static void handshake(uint64_t dpid)
{
    static struct of_msg m;
    switch_handshake(dpid);
    if (fx->off) {
        pump_until_ready(dpid);
        expect_nothing(); /* the app leaves the switch alone */
        return;
    }
    if (fx->version == OF_VERSION_1_0) {
        expect_switch_up_10(&m);
        send_msg(&(struct of_msg){.kind = OF_BARRIER_REPLY, .xid = m.xid});
        fx->sw = core_find_switch(fx->core, dpid);
        assert_non_null(fx->sw);
        expect_nothing();
        return;
    }

    /* Switch up: our old flows go, the table-miss comes, then a barrier. */
    expect_kind(OF_FLOW_MOD, &m);
    const struct of_flow_mod *fm = &m.u.flow_mod;
    assert_int_equal(fm->command, OFPFC_DELETE);
    assert_int_equal(fm->table_id, fx->table);
    assert_int_equal(fm->match.present, 0);
    assert_true(fm->cookie == L2L_COOKIE);
    assert_true(fm->cookie_mask == L2L_COOKIE_MASK);
    expect_kind(OF_FLOW_MOD, &m);
    assert_int_equal(fm->command, OFPFC_ADD);
    assert_int_equal(fm->table_id, fx->table);
    assert_int_equal(fm->priority, 0);
    assert_int_equal(fm->match.present, 0);
    assert_true(fm->cookie == L2L_COOKIE);
    assert_int_equal(fm->idle_timeout, 0);
    assert_int_equal(fm->insts.present, OFIB_APPLY_ACTIONS);
    assert_int_equal(fm->insts.apply.n, 1);
    assert_int_equal(fm->insts.apply.a[0].type, OFAT_OUTPUT);
    assert_int_equal(fm->insts.apply.a[0].u.output.port, OFPP_CONTROLLER);
    assert_int_equal(fm->insts.apply.a[0].u.output.max_len, 0xffff);
    expect_kind(OF_BARRIER_REQUEST, &m);
    send_msg(&(struct of_msg){.kind = OF_BARRIER_REPLY, .xid = m.xid});
    fx->sw = core_find_switch(fx->core, dpid);
    assert_non_null(fx->sw);
    expect_nothing();
}

static uint8_t table_3(const struct mf_switch *sw, void *arg)
{
    return *(const uint8_t *)arg;
}

static int setup_full(void **state, size_t max_macs, uint8_t version, uint8_t table)
{
    static uint8_t table_arg;
    log_set_level(LOG_ERROR);
    fx = calloc(1, sizeof *fx);
    fx->version = version;
    fx->table = version == OF_VERSION_1_0 ? 0 : table;
    fx->off = version == OF_VERSION_1_0 && table != 0;
    fx->base = event_base_new();
    struct core_options co;
    core_options_default(&co);
    fx->core = core_create(fx->base, &co);
    struct l2learn_options o;
    l2learn_options_default(&o);
    o.max_macs = max_macs;
    if (table != 0) { /* as the daemon does when another app is in front */
        table_arg = table;
        o.table_of = table_3;
        o.table_of_arg = &table_arg;
    }
    fx->l2 = l2learn_create(&o);
    core_add_app(fx->core, l2learn_as_app(fx->l2));
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    evutil_make_socket_nonblocking(sv[0]);
    fx->fd = sv[1];
    channel_accept(fx->core, sv[0], "test:1");
    handshake(0x1234);
    *state = fx;
    return 0;
}

static int setup(void **state)
{
    return setup_full(state, 65536, OF_VERSION_1_3, 0);
}

static int setup_cap4(void **state)
{
    return setup_full(state, 4, OF_VERSION_1_3, 0);
}

static int setup_10(void **state)
{
    return setup_full(state, 65536, OF_VERSION_1_0, 0);
}

/* table_of says 3, as the daemon does for a site's switch: a 1.0 switch
 * has one table to share and no cookie filter, so the app stays off it. */
static int setup_10_behind(void **state)
{
    return setup_full(state, 65536, OF_VERSION_1_0, 3);
}

static int setup_behind(void **state)
{
    return setup_full(state, 65536, OF_VERSION_1_3, 3);
}

static int teardown(void **state)
{
    if (fx->fd >= 0) {
        close(fx->fd);
    }
    core_destroy(fx->core);
    l2learn_destroy(fx->l2);
    event_base_free(fx->base);
    free(fx);
    return 0;
}

static uint64_t counter(enum l2l_counter c)
{
    return l2learn_get_counters(fx->l2)->c[c];
}

/* A 60-byte frame dst <- src of a local experimental ethertype; byte 14
 * tags it so that the test can tell frames apart. */
static const uint8_t *frame(struct eth_addr dst, struct eth_addr src, uint8_t tag)
{
    static uint8_t f[60];
    memset(f, 0, sizeof f);
    memcpy(f, dst.b, 6);
    memcpy(f + 6, src.b, 6);
    f[12] = 0x88;
    f[13] = 0xb5;
    f[14] = tag;
    return f;
}

/* Packet-In reasons (1.0 and 1.3 share them). */
enum { NO_MATCH = 0, ACTION = 1 };

/* A Packet-In of the frame from table `table`, rule `cookie` (1.0 carries
 * neither: decoded, they are 0 and all ones). */
static void packet_in_full(uint32_t in_port, struct eth_addr dst, struct eth_addr src,
                           uint8_t tag, uint64_t cookie, uint8_t table, uint8_t reason)
{
    struct of_msg pi = {.kind = OF_PACKET_IN, .xid = 0};
    pi.u.packet_in.buffer_id = OFP_NO_BUFFER;
    pi.u.packet_in.total_len = 60;
    pi.u.packet_in.cookie = cookie;
    pi.u.packet_in.table_id = table;
    pi.u.packet_in.reason = reason;
    of_match_set_in_port(&pi.u.packet_in.match, in_port);
    pi.u.packet_in.data = frame(dst, src, tag);
    pi.u.packet_in.data_len = 60;
    send_msg(&pi);
}

static void packet_in_cookie(uint32_t in_port, struct eth_addr dst, struct eth_addr src,
                             uint8_t tag, uint64_t cookie)
{
    packet_in_full(in_port, dst, src, tag, cookie, fx->table, NO_MATCH);
}

/* A miss in our table, as our table-miss flow reports it. */
static void packet_in(uint32_t in_port, struct eth_addr dst, struct eth_addr src, uint8_t tag)
{
    packet_in_cookie(in_port, dst, src, tag, L2L_COOKIE);
}

/* The next message is a Packet-Out of the frame (tag) from in_port to out. */
static void expect_packet_out(uint32_t in_port, uint32_t out, struct eth_addr dst,
                              struct eth_addr src, uint8_t tag)
{
    static struct of_msg m;
    expect_kind(OF_PACKET_OUT, &m);
    const struct of_packet_out *po = &m.u.packet_out;
    assert_true(po->buffer_id == OFP_NO_BUFFER);
    assert_int_equal(po->in_port, in_port);
    assert_int_equal(po->actions.n, 1);
    assert_int_equal(po->actions.a[0].type, OFAT_OUTPUT);
    assert_true(po->actions.a[0].u.output.port == out);
    assert_int_equal(po->data_len, 60);
    assert_memory_equal(po->data, frame(dst, src, tag), 60);
}

static void expect_flow(uint32_t in_port, struct eth_addr src, struct eth_addr dst, uint32_t out)
{
    static struct of_msg m;
    expect_kind(OF_FLOW_MOD, &m);
    const struct of_flow_mod *fm = &m.u.flow_mod;
    assert_int_equal(fm->command, OFPFC_ADD);
    assert_int_equal(fm->table_id, fx->table);
    assert_int_equal(fm->priority, 100);
    assert_int_equal(fm->idle_timeout, 60);
    assert_int_equal(fm->hard_timeout, 0);
    assert_true(fm->cookie == L2L_COOKIE);
    assert_true(fm->buffer_id == OFP_NO_BUFFER);
    struct of_match want;
    of_match_init(&want);
    of_match_set_in_port(&want, in_port);
    of_match_set_eth_src(&want, src);
    of_match_set_eth_dst(&want, dst);
    assert_true(of_match_equal(&fm->match, &want));
    assert_int_equal(fm->insts.present, OFIB_APPLY_ACTIONS);
    assert_int_equal(fm->insts.apply.n, 1);
    assert_int_equal(fm->insts.apply.a[0].type, OFAT_OUTPUT);
    assert_int_equal(fm->insts.apply.a[0].u.output.port, out);
}

static void test_unknown_destination_is_flooded(void **state)
{
    packet_in(1, mac_b, mac_a, 1);
    expect_packet_out(1, OFPP_FLOOD, mac_b, mac_a, 1);
    expect_nothing(); /* no flow for an unknown destination */
    assert_int_equal(l2learn_n_macs(fx->l2, fx->sw), 1);
    assert_int_equal(counter(L2L_C_LEARNED), 1);
    assert_int_equal(counter(L2L_C_FLOODED), 1);
}

static void test_known_destination_gets_flow_and_packet_out(void **state)
{
    packet_in(2, mac_a, mac_b, 1); /* B at port 2; A unknown: flood */
    expect_packet_out(2, OFPP_FLOOD, mac_a, mac_b, 1);
    packet_in(1, mac_b, mac_a, 2); /* A -> B */
    expect_flow(1, mac_a, mac_b, 2);
    expect_packet_out(1, 2, mac_b, mac_a, 2);
    packet_in(2, mac_a, mac_b, 3); /* and back */
    expect_flow(2, mac_b, mac_a, 1);
    expect_packet_out(2, 1, mac_a, mac_b, 3);
    expect_nothing();
    assert_int_equal(counter(L2L_C_FLOWS_ADDED), 2);
    assert_int_equal(counter(L2L_C_FORWARDED), 2);
    assert_int_equal(l2learn_n_macs_total(fx->l2), 2);
}

static void test_broadcast_and_multicast_are_flooded(void **state)
{
    packet_in(2, mac_a, mac_b, 1);
    expect_packet_out(2, OFPP_FLOOD, mac_a, mac_b, 1);
    packet_in(1, bcast, mac_a, 2);
    expect_packet_out(1, OFPP_FLOOD, bcast, mac_a, 2);
    const struct eth_addr mcast = {{0x01, 0x00, 0x5e, 0, 0, 1}};
    packet_in(1, mcast, mac_a, 3);
    expect_packet_out(1, OFPP_FLOOD, mcast, mac_a, 3);
    expect_nothing(); /* never a flow for a group address */
    assert_int_equal(counter(L2L_C_FLOODED), 3);
    assert_int_equal(l2learn_n_macs(fx->l2, fx->sw), 2);
}

static void test_moved_mac_is_relearned_and_its_flows_replaced(void **state)
{
    static struct of_msg m;
    packet_in(2, bcast, mac_b, 1); /* B at 2 */
    expect_packet_out(2, OFPP_FLOOD, bcast, mac_b, 1);
    packet_in(3, bcast, mac_b, 2); /* B now at 3 (a migrated VM's RARP) */
    /* Every flow of ours naming B goes, then a barrier, then the flood. */
    expect_kind(OF_FLOW_MOD, &m);
    assert_int_equal(m.u.flow_mod.command, OFPFC_DELETE);
    assert_int_equal(m.u.flow_mod.table_id, fx->table);
    assert_true(m.u.flow_mod.cookie == L2L_COOKIE);
    assert_true(m.u.flow_mod.cookie_mask == L2L_COOKIE_MASK);
    struct of_match want;
    of_match_init(&want);
    of_match_set_eth_dst(&want, mac_b);
    assert_true(of_match_equal(&m.u.flow_mod.match, &want));
    expect_kind(OF_FLOW_MOD, &m);
    assert_int_equal(m.u.flow_mod.command, OFPFC_DELETE);
    of_match_init(&want);
    of_match_set_eth_src(&want, mac_b);
    assert_true(of_match_equal(&m.u.flow_mod.match, &want));
    expect_kind(OF_BARRIER_REQUEST, &m);
    uint32_t barrier = m.xid;
    expect_packet_out(3, OFPP_FLOOD, bcast, mac_b, 2);
    send_msg(&(struct of_msg){.kind = OF_BARRIER_REPLY, .xid = barrier});
    packet_in(1, mac_b, mac_a, 3); /* A -> B goes to B's new port */
    expect_flow(1, mac_a, mac_b, 3);
    expect_packet_out(1, 3, mac_b, mac_a, 3);
    expect_nothing();
    assert_int_equal(counter(L2L_C_MOVED), 1);
    assert_int_equal(counter(L2L_C_SWITCH_ERRORS), 0);
    assert_int_equal(l2learn_n_macs(fx->l2, fx->sw), 2);
}

static void test_same_port_and_link_local_are_dropped(void **state)
{
    packet_in(2, bcast, mac_b, 1);
    expect_packet_out(2, OFPP_FLOOD, bcast, mac_b, 1);
    packet_in(2, mac_b, mac_c, 2); /* C and B on the same segment */
    const struct eth_addr lldp = {{0x01, 0x80, 0xc2, 0, 0, 0x0e}};
    packet_in(1, lldp, mac_a, 3);
    expect_nothing();
    assert_int_equal(counter(L2L_C_DROPPED_SAME_PORT), 1);
    assert_int_equal(counter(L2L_C_DROPPED_LINK_LOCAL), 1);
    assert_int_equal(l2learn_n_macs(fx->l2, fx->sw), 3);
}

static void test_bad_source_and_foreign_packet_ins_are_ignored(void **state)
{
    packet_in(1, mac_b, bcast, 1); /* broadcast source */
    packet_in_cookie(1, mac_b, mac_a, 2, 0x4d46000000000001ull); /* mobility's rule */
    expect_nothing();
    assert_int_equal(counter(L2L_C_REJECT_BAD_SOURCE), 1);
    assert_int_equal(counter(L2L_C_IGNORED_FOREIGN), 1);
    assert_int_equal(l2learn_n_macs(fx->l2, fx->sw), 0);
    /* A Packet-In of no rule (cookie all ones) is handled. */
    packet_in_cookie(1, mac_b, mac_a, 3, UINT64_MAX);
    expect_packet_out(1, OFPP_FLOOD, mac_b, mac_a, 3);
}

static void test_table_is_capped_oldest_evicted(void **state)
{
    for (uint8_t i = 1; i <= 6; i++) {
        const struct eth_addr src = {{0x02, 0, 0, 0, 1, i}};
        packet_in(1 + i % 3, bcast, src, i);
        expect_packet_out(1 + i % 3, OFPP_FLOOD, bcast, src, i);
    }
    assert_int_equal(l2learn_n_macs(fx->l2, fx->sw), 4);
    assert_int_equal(l2learn_n_macs_total(fx->l2), 4);
    assert_int_equal(counter(L2L_C_LEARNED), 6);
    assert_int_equal(counter(L2L_C_EVICTED), 2);
    /* The first was evicted: flooded; the last is known: forwarded. */
    const struct eth_addr first = {{0x02, 0, 0, 0, 1, 1}};
    const struct eth_addr last = {{0x02, 0, 0, 0, 1, 6}};
    packet_in(3, first, mac_a, 7);
    expect_packet_out(3, OFPP_FLOOD, first, mac_a, 7);
    /* A took a place: 2 went. 6 is at port 1. */
    packet_in(3, last, mac_a, 8);
    expect_flow(3, mac_a, last, 1);
    expect_packet_out(3, 1, last, mac_a, 8);
    assert_int_equal(l2learn_n_macs(fx->l2, fx->sw), 4);
    assert_int_equal(counter(L2L_C_EVICTED), 3);
}

static void test_port_down_forgets_its_macs(void **state)
{
    static struct of_msg m;
    packet_in(2, bcast, mac_b, 1);
    expect_packet_out(2, OFPP_FLOOD, bcast, mac_b, 1);
    struct of_msg ps = {.kind = OF_PORT_STATUS, .xid = 0};
    ps.u.port_status.reason = OFPPR_MODIFY;
    ps.u.port_status.port = (struct of_port){.port_no = 2, .name = "p2",
                                             .state = OFPPS_LINK_DOWN};
    send_msg(&ps);
    expect_kind(OF_FLOW_MOD, &m);
    assert_int_equal(m.u.flow_mod.command, OFPFC_DELETE);
    assert_int_equal(m.u.flow_mod.out_port, 2);
    assert_int_equal(m.u.flow_mod.match.present, 0);
    assert_true(m.u.flow_mod.cookie_mask == L2L_COOKIE_MASK);
    expect_kind(OF_FLOW_MOD, &m);
    assert_int_equal(m.u.flow_mod.command, OFPFC_DELETE);
    assert_true(m.u.flow_mod.out_port == OFPP_ANY);
    struct of_match want;
    of_match_init(&want);
    of_match_set_in_port(&want, 2);
    assert_true(of_match_equal(&m.u.flow_mod.match, &want));
    assert_true(m.u.flow_mod.cookie_mask == L2L_COOKIE_MASK);
    assert_int_equal(l2learn_n_macs(fx->l2, fx->sw), 0);
    packet_in(1, mac_b, mac_a, 2);
    expect_packet_out(1, OFPP_FLOOD, mac_b, mac_a, 2);
}

static void test_switch_down_forgets_the_switch(void **state)
{
    packet_in(2, bcast, mac_b, 1);
    expect_packet_out(2, OFPP_FLOOD, bcast, mac_b, 1);
    assert_int_equal(l2learn_n_macs_total(fx->l2), 1);
    close(fx->fd);
    fx->fd = -1;
    uint64_t end = time_msec() + 200;
    while (time_msec() < end && core_find_switch(fx->core, 0x1234)) {
        event_base_loop(fx->base, EVLOOP_NONBLOCK);
        usleep(1000);
    }
    assert_null(core_find_switch(fx->core, 0x1234));
    assert_int_equal(l2learn_n_macs_total(fx->l2), 0);
}

/* The table on its own: refresh order decides who is evicted. */
static void test_l2_table_lru(void **state)
{
    struct l2_table t;
    l2_table_init(&t, 3, 42);
    uint32_t old = 0, port = 0;
    struct eth_addr ev;
    struct eth_addr m[200];
    for (int i = 0; i < 200; i++) {
        m[i] = (struct eth_addr){{0x02, 0, 0, 0, (uint8_t)(i >> 8), (uint8_t)i}};
    }
    assert_int_equal(l2_table_learn(&t, m[0], 1, &old, &ev), L2_NEW);
    assert_int_equal(l2_table_learn(&t, m[1], 1, &old, &ev), L2_NEW);
    assert_int_equal(l2_table_learn(&t, m[2], 1, &old, &ev), L2_NEW);
    assert_int_equal(l2_table_learn(&t, m[0], 1, &old, &ev), L2_SAME); /* refresh */
    assert_int_equal(l2_table_learn(&t, m[3], 2, &old, &ev), L2_EVICTED);
    assert_true(eth_addr_equal(ev, m[1]));
    assert_int_equal(l2_table_learn(&t, m[0], 5, &old, &ev), L2_MOVED);
    assert_int_equal(old, 1);
    assert_true(l2_table_lookup(&t, m[0], &port));
    assert_int_equal(port, 5);
    assert_false(l2_table_lookup(&t, m[1], &port));
    assert_int_equal(l2_table_forget_port(&t, 1), 1);
    assert_int_equal(t.n, 2);
    l2_table_free(&t);
    /* Growth keeps every entry findable. */
    l2_table_init(&t, 1000, 7);
    for (int i = 0; i < 200; i++) {
        assert_int_equal(l2_table_learn(&t, m[i], (uint32_t)i + 1, &old, &ev), L2_NEW);
    }
    for (int i = 0; i < 200; i++) {
        assert_true(l2_table_lookup(&t, m[i], &port));
        assert_int_equal(port, i + 1);
    }
    l2_table_free(&t);
}

/* ---- OpenFlow 1.0 ---------------------------------------------------------- */

/* A move on 1.0: the deletes name the MAC by match alone (1.0 cannot
 * filter a delete by cookie; the app owns the switch), then a barrier. */
static void test_10_moved_mac_deletes_by_match(void **state)
{
    static struct of_msg m;
    packet_in(2, bcast, mac_b, 1);
    expect_packet_out(2, OFPP_FLOOD, bcast, mac_b, 1);
    packet_in(3, bcast, mac_b, 2);
    for (int dst = 1; dst >= 0; dst--) {
        expect_kind(OF_FLOW_MOD, &m);
        const struct of_flow_mod *fm = &m.u.flow_mod;
        assert_int_equal(fm->command, OFPFC_DELETE);
        assert_true(fm->cookie_mask == 0);
        assert_true(fm->out_port == OFPP_ANY);
        struct of_match want;
        of_match_init(&want);
        if (dst) {
            of_match_set_eth_dst(&want, mac_b);
        } else {
            of_match_set_eth_src(&want, mac_b);
        }
        assert_true(of_match_equal(&fm->match, &want));
    }
    expect_kind(OF_BARRIER_REQUEST, &m);
    uint32_t barrier = m.xid;
    expect_packet_out(3, OFPP_FLOOD, bcast, mac_b, 2);
    send_msg(&(struct of_msg){.kind = OF_BARRIER_REPLY, .xid = barrier});
    packet_in(1, mac_b, mac_a, 3);
    expect_flow(1, mac_a, mac_b, 3);
    expect_packet_out(1, 3, mac_b, mac_a, 3);
    expect_nothing();
    assert_int_equal(counter(L2L_C_MOVED), 1);
    assert_int_equal(counter(L2L_C_SWITCH_ERRORS), 0);
}

static void test_10_port_down_deletes_by_port(void **state)
{
    static struct of_msg m;
    packet_in(2, bcast, mac_b, 1);
    expect_packet_out(2, OFPP_FLOOD, bcast, mac_b, 1);
    struct of_msg ps = {.kind = OF_PORT_STATUS, .xid = 0};
    ps.u.port_status.reason = OFPPR_MODIFY;
    ps.u.port_status.port = (struct of_port){.port_no = 2, .name = "p2",
                                             .config = OFPPC_PORT_DOWN};
    send_msg(&ps);
    expect_kind(OF_FLOW_MOD, &m);
    assert_int_equal(m.u.flow_mod.command, OFPFC_DELETE);
    assert_int_equal(m.u.flow_mod.out_port, 2);
    assert_int_equal(m.u.flow_mod.match.present, 0);
    assert_true(m.u.flow_mod.cookie_mask == 0);
    expect_kind(OF_FLOW_MOD, &m);
    assert_true(m.u.flow_mod.out_port == OFPP_ANY);
    struct of_match want;
    of_match_init(&want);
    of_match_set_in_port(&want, 2);
    assert_true(of_match_equal(&m.u.flow_mod.match, &want));
    expect_nothing();
    assert_int_equal(l2learn_n_macs(fx->l2, fx->sw), 0);
}

/* 1.0 Packet-Ins carry no cookie or table: a miss (reason NO_MATCH) is
 * ours, one a flow's action sent (another controller's, a hand-made flow)
 * is not. */
static void test_10_only_misses_are_ours(void **state)
{
    packet_in_full(1, mac_b, mac_a, 1, 0, 0, ACTION);
    expect_nothing();
    assert_int_equal(counter(L2L_C_IGNORED_FOREIGN), 1);
    assert_int_equal(l2learn_n_macs(fx->l2, fx->sw), 0);
    packet_in_full(1, mac_b, mac_a, 2, 0, 0, NO_MATCH);
    expect_packet_out(1, OFPP_FLOOD, mac_b, mac_a, 2);
    assert_int_equal(l2learn_n_macs(fx->l2, fx->sw), 1);
}

/* A 1.0 switch where another application comes first: nothing is sent,
 * nothing learned, every Packet-In is that application's. */
static void test_10_behind_another_app_stays_off(void **state)
{
    packet_in(1, mac_b, mac_a, 1);
    packet_in(2, mac_a, mac_b, 2);
    struct of_msg ps = {.kind = OF_PORT_STATUS, .xid = 0};
    ps.u.port_status.reason = OFPPR_DELETE;
    ps.u.port_status.port = (struct of_port){.port_no = 2, .name = "p2"};
    send_msg(&ps);
    expect_nothing();
    assert_int_equal(counter(L2L_C_IGNORED_FOREIGN), 2);
    assert_int_equal(l2learn_n_macs(fx->l2, fx->sw), 0);
}

/* ---- Behind another application (table 3) --------------------------------- */

/* Only misses of table 3 are ours: the mobility application's copies of ARP
 * and RARP frames (table 0, its cookie, reason ACTION) are its own, and so
 * is anything from another table, even with our cookie. */
static void test_behind_only_misses_of_our_table(void **state)
{
    packet_in_full(1, bcast, mac_a, 1, 0x4d46000000000001ull, 0, ACTION);
    packet_in_full(1, bcast, mac_a, 2, L2L_COOKIE, 0, NO_MATCH);
    packet_in_full(1, bcast, mac_a, 3, UINT64_MAX, 0, NO_MATCH);
    packet_in_full(1, bcast, mac_a, 4, UINT64_MAX, 3, ACTION);
    packet_in_full(1, bcast, mac_a, 5, 0x4d46000000000001ull, 3, NO_MATCH);
    expect_nothing();
    assert_int_equal(counter(L2L_C_IGNORED_FOREIGN), 5);
    assert_int_equal(l2learn_n_macs(fx->l2, fx->sw), 0);
    /* Our table-miss flow's Packet-In, as 1.3 reports it. */
    packet_in(1, bcast, mac_a, 6);
    expect_packet_out(1, OFPP_FLOOD, bcast, mac_a, 6);
    /* A miss without our flow (someone deleted it): still a miss of ours. */
    packet_in_full(2, mac_a, mac_b, 7, UINT64_MAX, 3, NO_MATCH);
    expect_flow(2, mac_b, mac_a, 1);
    expect_packet_out(2, 1, mac_a, mac_b, 7);
    /* A switch that reports our table-miss flow's output as ACTION. */
    packet_in_full(3, mac_a, mac_c, 8, L2L_COOKIE, 3, ACTION);
    expect_flow(3, mac_c, mac_a, 1);
    expect_packet_out(3, 1, mac_a, mac_c, 8);
    expect_nothing();
    assert_int_equal(l2learn_n_macs(fx->l2, fx->sw), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_unknown_destination_is_flooded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_known_destination_gets_flow_and_packet_out, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_broadcast_and_multicast_are_flooded, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_moved_mac_is_relearned_and_its_flows_replaced,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_port_and_link_local_are_dropped, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_source_and_foreign_packet_ins_are_ignored,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_is_capped_oldest_evicted, setup_cap4,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_port_down_forgets_its_macs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_switch_down_forgets_the_switch, setup, teardown),
        cmocka_unit_test(test_l2_table_lru),
        /* OpenFlow 1.0: the version-independent cases, then its own. */
        cmocka_unit_test_setup_teardown(test_unknown_destination_is_flooded, setup_10, teardown),
        cmocka_unit_test_setup_teardown(test_known_destination_gets_flow_and_packet_out,
                                        setup_10, teardown),
        cmocka_unit_test_setup_teardown(test_broadcast_and_multicast_are_flooded, setup_10,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_same_port_and_link_local_are_dropped, setup_10,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_switch_down_forgets_the_switch, setup_10, teardown),
        cmocka_unit_test_setup_teardown(test_10_moved_mac_deletes_by_match, setup_10, teardown),
        cmocka_unit_test_setup_teardown(test_10_port_down_deletes_by_port, setup_10, teardown),
        cmocka_unit_test_setup_teardown(test_10_only_misses_are_ours, setup_10, teardown),
        cmocka_unit_test_setup_teardown(test_10_behind_another_app_stays_off, setup_10_behind,
                                        teardown),
        /* Behind the mobility application: table 3. */
        cmocka_unit_test_setup_teardown(test_known_destination_gets_flow_and_packet_out,
                                        setup_behind, teardown),
        cmocka_unit_test_setup_teardown(test_moved_mac_is_relearned_and_its_flows_replaced,
                                        setup_behind, teardown),
        cmocka_unit_test_setup_teardown(test_behind_only_misses_of_our_table, setup_behind,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
