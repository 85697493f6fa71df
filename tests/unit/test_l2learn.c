/* test_l2learn.c - the learning application driven through the core by a
 * scripted switch on a socketpair: table-miss on switch up, flooding of
 * unknown and broadcast destinations, a flow and a Packet-Out once the
 * destination is known, a MAC that moves, the per-switch cap, ports that
 * go down, and Packet-Ins that are not ours. */
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

static void expect_kind(enum of_msg_kind kind, struct of_msg *m)
{
    assert_true(next_msg(m, 2000));
    assert_string_equal(of_msg_kind_name(m->kind), of_msg_kind_name(kind));
}

static void expect_nothing(void)
{
    static struct of_msg m;
    if (next_msg(&m, 50)) {
        fail_msg("unexpected %s", of_msg_kind_name(m.kind));
    }
}

static void send_msg(struct of_msg *m)
{
    struct obuf b = OBUF_INITIALIZER;
    assert_int_equal(of_encode(OF_VERSION_1_3, m, &b), 0);
    assert_int_equal(write(fx->fd, b.data, b.len), (ssize_t)b.len);
    obuf_free(&b);
}

/* Plays a switch with three ports through the handshake, then checks and
 * acknowledges what the application sends on switch up. */
static void handshake(uint64_t dpid)
{
    static struct of_msg m;
    expect_kind(OF_HELLO, &m);
    send_msg(&(struct of_msg){.kind = OF_HELLO, .xid = 1});
    expect_kind(OF_FEATURES_REQUEST, &m);
    struct of_msg f = {.kind = OF_FEATURES_REPLY, .xid = m.xid};
    f.u.features.datapath_id = dpid;
    f.u.features.n_tables = 254;
    send_msg(&f);
    expect_kind(OF_SET_CONFIG, &m);
    expect_kind(OF_MULTIPART_REQUEST, &m);
    struct of_msg d = {.kind = OF_MULTIPART_REPLY, .xid = m.xid};
    d.u.mp_reply.mp_type = OFMP_DESC;
    send_msg(&d);
    expect_kind(OF_MULTIPART_REQUEST, &m);
    struct of_port ports[3] = {{.port_no = 1, .name = "p1"},
                               {.port_no = 2, .name = "p2"},
                               {.port_no = 3, .name = "p3"}};
    struct of_msg p = {.kind = OF_MULTIPART_REPLY, .xid = m.xid};
    p.u.mp_reply.mp_type = OFMP_PORT_DESC;
    p.u.mp_reply.ports = ports;
    p.u.mp_reply.n_ports = 3;
    send_msg(&p);

    /* Switch up: our old flows go, the table-miss comes, then a barrier. */
    expect_kind(OF_FLOW_MOD, &m);
    const struct of_flow_mod *fm = &m.u.flow_mod;
    assert_int_equal(fm->command, OFPFC_DELETE);
    assert_int_equal(fm->table_id, 0);
    assert_int_equal(fm->match.present, 0);
    assert_true(fm->cookie == L2L_COOKIE);
    assert_true(fm->cookie_mask == L2L_COOKIE_MASK);
    expect_kind(OF_FLOW_MOD, &m);
    assert_int_equal(fm->command, OFPFC_ADD);
    assert_int_equal(fm->table_id, 0);
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

static int setup_with(void **state, size_t max_macs)
{
    log_set_level(LOG_ERROR);
    fx = calloc(1, sizeof *fx);
    fx->base = event_base_new();
    struct core_options co;
    core_options_default(&co);
    fx->core = core_create(fx->base, &co);
    struct l2learn_options o;
    l2learn_options_default(&o);
    o.max_macs = max_macs;
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
    return setup_with(state, 65536);
}

static int setup_cap4(void **state)
{
    return setup_with(state, 4);
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

static void packet_in_cookie(uint32_t in_port, struct eth_addr dst, struct eth_addr src,
                             uint8_t tag, uint64_t cookie)
{
    struct of_msg pi = {.kind = OF_PACKET_IN, .xid = 0};
    pi.u.packet_in.buffer_id = OFP_NO_BUFFER;
    pi.u.packet_in.total_len = 60;
    pi.u.packet_in.cookie = cookie;
    of_match_set_in_port(&pi.u.packet_in.match, in_port);
    pi.u.packet_in.data = frame(dst, src, tag);
    pi.u.packet_in.data_len = 60;
    send_msg(&pi);
}

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
    assert_int_equal(fm->table_id, 0);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
