/* test_core_batch.c - the channel core driven through a socketpair by a
 * scripted switch: version negotiation (1.0, 1.3, none in common),
 * handshake to ready in 1.3 and in 1.0, the batch API (errors tied to the
 * message that caused them, one completion on the barrier), disconnects
 * during a batch, the output bound, echo keep-alive, app hooks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <event2/event.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app/app.h"
#include "core/core_internal.h"
#include "util/log.h"

struct fixture {
    struct event_base *base;
    struct mf_core *core;
    int fd; /* the switch's end */
    uint8_t in[1 << 16];
    size_t in_len;
    struct mf_app app;
    int ups, downs, packet_ins;
    uint32_t last_in_port;
};

static struct fixture *fx;

static void app_up(struct mf_app *app, struct mf_switch *sw)
{
    fx->ups++;
}

static void app_down(struct mf_app *app, struct mf_switch *sw)
{
    fx->downs++;
}

static void app_packet_in(struct mf_app *app, struct mf_switch *sw, const struct of_packet_in *pi,
                          const struct pkt_info *pkt)
{
    fx->packet_ins++;
    fx->last_in_port = of_match_has(&pi->match, OFF_IN_PORT) ? pi->match.value[OFF_IN_PORT].u32
                                                              : 0;
}

static void pump(int ms)
{
    uint64_t end = time_msec() + (uint64_t)ms;
    do {
        event_base_loop(fx->base, EVLOOP_NONBLOCK);
        usleep(1000);
    } while (time_msec() < end);
}

static int setup_with(void **state, const struct core_options *opts)
{
    log_set_level(LOG_ERROR);
    fx = calloc(1, sizeof *fx);
    fx->base = event_base_new();
    fx->core = core_create(fx->base, opts);
    fx->app = (struct mf_app){.name = "test", .switch_up = app_up, .switch_down = app_down,
                              .packet_in = app_packet_in};
    core_add_app(fx->core, &fx->app);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    evutil_make_socket_nonblocking(sv[0]);
    fx->fd = sv[1];
    channel_accept(fx->core, sv[0], "test:1");
    *state = fx;
    return 0;
}

static int setup(void **state)
{
    struct core_options o;
    core_options_default(&o);
    return setup_with(state, &o);
}

static int teardown(void **state)
{
    if (fx->fd >= 0) {
        close(fx->fd);
    }
    core_destroy(fx->core);
    event_base_free(fx->base);
    free(fx);
    return 0;
}

/* Reads the next message the core sent, undecoded, pumping the loop
 * meanwhile. */
static bool next_frame(uint8_t *raw, size_t *raw_len, int timeout_ms)
{
    uint64_t end = time_msec() + (uint64_t)timeout_ms;
    for (;;) {
        size_t len;
        if (of_frame(fx->in, fx->in_len, &len) == OF_FRAME_OK) {
            memcpy(raw, fx->in, len);
            *raw_len = len;
            memmove(fx->in, fx->in + len, fx->in_len - len);
            fx->in_len -= len;
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

/* The next message, decoded. */
static bool next_msg(struct of_msg *m, uint8_t *raw, size_t *raw_len, int timeout_ms)
{
    if (!next_frame(raw, raw_len, timeout_ms)) {
        return false;
    }
    assert_int_equal(of_decode(raw, *raw_len, m), 0);
    return true;
}

static uint8_t raw_buf[1 << 16];

static void expect_kind(enum of_msg_kind kind, struct of_msg *m)
{
    size_t len;
    assert_true(next_msg(m, raw_buf, &len, 2000));
    assert_string_equal(of_msg_kind_name(m->kind), of_msg_kind_name(kind));
}

static void send_msg_v(uint8_t version, struct of_msg *m)
{
    struct obuf b = OBUF_INITIALIZER;
    assert_int_equal(of_encode(version, m, &b), 0);
    assert_int_equal(write(fx->fd, b.data, b.len), (ssize_t)b.len);
    obuf_free(&b);
}

static void send_msg(struct of_msg *m)
{
    send_msg_v(OF_VERSION_1_3, m);
}

static void send_raw(const void *p, size_t len)
{
    assert_int_equal(write(fx->fd, p, len), (ssize_t)len);
}

/* True once the core closed its end (read returns 0), pumping meanwhile. */
static bool peer_closed(int timeout_ms)
{
    uint64_t end = time_msec() + (uint64_t)timeout_ms;
    while (time_msec() <= end) {
        event_base_loop(fx->base, EVLOOP_NONBLOCK);
        struct pollfd p = {fx->fd, POLLIN, 0};
        if (poll(&p, 1, 5) == 1) {
            ssize_t r = read(fx->fd, fx->in + fx->in_len, sizeof fx->in - fx->in_len);
            if (r == 0) {
                return true;
            }
            if (r > 0) {
                fx->in_len += (size_t)r;
            }
        }
    }
    return false;
}

/* Plays a switch with dpid and two ports through the whole handshake. */
static struct mf_switch *handshake(uint64_t dpid)
{
    static struct of_msg m;
    expect_kind(OF_HELLO, &m);
    assert_int_equal(m.version, OF_VERSION_1_3);
    assert_true(m.u.hello.has_bitmap);
    assert_int_equal(m.u.hello.version_bitmap, (1u << 1) | (1u << 4));
    send_msg(&(struct of_msg){.kind = OF_HELLO, .xid = 1});
    expect_kind(OF_FEATURES_REQUEST, &m);
    struct of_msg f = {.kind = OF_FEATURES_REPLY, .xid = m.xid};
    f.u.features.datapath_id = dpid;
    f.u.features.n_tables = 254;
    send_msg(&f);
    expect_kind(OF_SET_CONFIG, &m);
    assert_int_equal(m.u.config.miss_send_len, OFPCML_NO_BUFFER);
    expect_kind(OF_MULTIPART_REQUEST, &m);
    assert_int_equal(m.u.mp_request.mp_type, OFMP_DESC);
    struct of_msg d = {.kind = OF_MULTIPART_REPLY, .xid = m.xid};
    d.u.mp_reply.mp_type = OFMP_DESC;
    strcpy(d.u.mp_reply.desc.mfr_desc, "test maker");
    send_msg(&d);
    expect_kind(OF_MULTIPART_REQUEST, &m);
    assert_int_equal(m.u.mp_request.mp_type, OFMP_PORT_DESC);
    struct of_port ports[2] = {{.port_no = 1, .name = "p1"}, {.port_no = 2, .name = "p2"}};
    struct of_msg p = {.kind = OF_MULTIPART_REPLY, .xid = m.xid};
    p.u.mp_reply.mp_type = OFMP_PORT_DESC;
    p.u.mp_reply.ports = ports;
    p.u.mp_reply.n_ports = 2;
    send_msg(&p);
    pump(20);
    return core_find_switch(fx->core, dpid);
}

static void test_handshake_reaches_ready(void **state)
{
    struct mf_switch *sw = handshake(0x42);
    assert_non_null(sw);
    assert_int_equal(sw_get_info(sw)->state, SW_READY);
    assert_string_equal(sw_get_info(sw)->desc.mfr_desc, "test maker");
    struct of_port ports[4];
    assert_int_equal(sw_get_ports(sw, ports, 4), 2);
    assert_int_equal(ports[0].port_no, 1);
    assert_string_equal(ports[1].name, "p2");
    assert_int_equal(fx->ups, 1);
}

static void test_port_status_updates_table(void **state)
{
    struct mf_switch *sw = handshake(7);
    assert_non_null(sw);
    struct of_msg ps = {.kind = OF_PORT_STATUS, .xid = 0};
    ps.u.port_status.reason = OFPPR_ADD;
    ps.u.port_status.port = (struct of_port){.port_no = 9, .name = "new9"};
    send_msg(&ps);
    ps.u.port_status.reason = OFPPR_DELETE;
    ps.u.port_status.port = (struct of_port){.port_no = 1, .name = "p1"};
    send_msg(&ps);
    pump(20);
    struct of_port ports[4];
    assert_int_equal(sw_get_ports(sw, ports, 4), 2);
    assert_int_equal(ports[0].port_no, 2);
    assert_int_equal(ports[1].port_no, 9);
}

struct batch_outcome {
    int calls;
    struct sw_batch_result r;
    struct sw_batch_error errors[8];
};

static void on_batch(struct mf_switch *sw, const struct sw_batch_result *r, void *arg)
{
    struct batch_outcome *o = arg;
    o->calls++;
    o->r = *r;
    for (unsigned i = 0; i < r->n_errors && i < 8; i++) {
        o->errors[i] = r->errors[i];
    }
}

static void add_flow(struct sw_batch *b, uint16_t priority)
{
    static struct of_msg m;
    memset(&m, 0, sizeof m);
    m.kind = OF_FLOW_MOD;
    of_flow_mod_init(&m.u.flow_mod, OFPFC_ADD);
    m.u.flow_mod.priority = priority;
    of_match_set_eth_type(&m.u.flow_mod.match, 0x0800);
    m.u.flow_mod.insts.present = OFIB_APPLY_ACTIONS;
    of_actions_output(&m.u.flow_mod.insts.apply, OFPP_NORMAL, 0);
    assert_true(sw_batch_add(b, &m));
}

static void test_batch_ties_errors_to_messages(void **state)
{
    struct mf_switch *sw = handshake(1);
    assert_non_null(sw);
    struct batch_outcome out = {0};
    struct sw_batch *b = sw_batch_begin(sw);
    for (int i = 0; i < 3; i++) {
        add_flow(b, (uint16_t)(100 + i));
    }
    sw_batch_commit(b, on_batch, &out);
    static struct of_msg m;
    uint32_t xids[3];
    for (int i = 0; i < 3; i++) {
        expect_kind(OF_FLOW_MOD, &m);
        assert_int_equal(m.u.flow_mod.priority, 100 + i);
        xids[i] = m.xid;
    }
    expect_kind(OF_BARRIER_REQUEST, &m);
    uint32_t barrier = m.xid;
    assert_int_equal(xids[1], xids[0] + 1);
    assert_int_equal(barrier, xids[2] + 1);
    /* The switch refuses the third and the first, then answers the barrier. */
    struct of_msg e = {.kind = OF_ERROR, .xid = xids[2]};
    e.u.error.type = OFPET_FLOW_MOD_FAILED;
    e.u.error.code = 1; /* TABLE_FULL */
    send_msg(&e);
    e.xid = xids[0];
    e.u.error.type = OFPET_BAD_MATCH;
    e.u.error.code = 9;
    send_msg(&e);
    pump(20);
    assert_int_equal(out.calls, 0); /* not before the barrier reply */
    send_msg(&(struct of_msg){.kind = OF_BARRIER_REPLY, .xid = barrier});
    pump(20);
    assert_int_equal(out.calls, 1);
    assert_int_equal(out.r.status, SW_BATCH_ERRORS);
    assert_int_equal(out.r.n_msgs, 3);
    assert_int_equal(out.r.n_errors, 2);
    assert_int_equal(out.errors[0].index, 2);
    assert_int_equal(out.errors[0].type, OFPET_FLOW_MOD_FAILED);
    assert_int_equal(out.errors[0].code, 1);
    assert_int_equal(out.errors[1].index, 0);
    assert_int_equal(out.errors[1].type, OFPET_BAD_MATCH);
}

static void test_batch_clean_completion(void **state)
{
    struct mf_switch *sw = handshake(2);
    struct batch_outcome out = {0};
    struct sw_batch *b = sw_batch_begin(sw);
    add_flow(b, 5);
    sw_batch_commit(b, on_batch, &out);
    static struct of_msg m;
    expect_kind(OF_FLOW_MOD, &m);
    expect_kind(OF_BARRIER_REQUEST, &m);
    send_msg(&(struct of_msg){.kind = OF_BARRIER_REPLY, .xid = m.xid});
    pump(20);
    assert_int_equal(out.calls, 1);
    assert_int_equal(out.r.status, SW_BATCH_OK);
    assert_int_equal(out.r.n_errors, 0);
}

static void test_batch_fails_on_disconnect(void **state)
{
    struct mf_switch *sw = handshake(3);
    struct batch_outcome out = {0};
    struct sw_batch *b = sw_batch_begin(sw);
    add_flow(b, 5);
    sw_batch_commit(b, on_batch, &out);
    pump(20);
    close(fx->fd);
    fx->fd = -1;
    pump(50);
    assert_int_equal(out.calls, 1);
    assert_int_equal(out.r.status, SW_BATCH_DISCONNECTED);
    assert_int_equal(fx->downs, 1);
    assert_null(core_find_switch(fx->core, 3));
}

static void test_batch_refuses_unencodable(void **state)
{
    struct mf_switch *sw = handshake(4);
    struct batch_outcome out = {0};
    struct sw_batch *b = sw_batch_begin(sw);
    static struct of_msg m;
    memset(&m, 0, sizeof m);
    m.kind = OF_FLOW_MOD;
    of_flow_mod_init(&m.u.flow_mod, OFPFC_ADD);
    of_match_set_ipv4_dst(&m.u.flow_mod.match, 0x0a000001, UINT32_MAX); /* no eth_type */
    assert_false(sw_batch_add(b, &m));
    sw_batch_commit(b, on_batch, &out);
    assert_int_equal(out.calls, 1);
    assert_int_equal(out.r.status, SW_BATCH_REFUSED);
}

static void test_output_queue_is_bounded(void **state)
{
    struct mf_switch *sw = handshake(5);
    assert_non_null(sw);
    /* The switch stops reading; the daemon must not buffer without bound. */
    static struct of_msg m;
    memset(&m, 0, sizeof m);
    m.kind = OF_ECHO_REQUEST;
    static uint8_t payload[60000];
    m.u.echo.data = payload;
    m.u.echo.data_len = sizeof payload;
    size_t sent = 0;
    for (int i = 0; i < 1000 && core_find_switch(fx->core, 5); i++) {
        m.xid = 0;
        sw_send(sw, &m);
        sent++;
    }
    assert_null(core_find_switch(fx->core, 5));
    assert_true(sent < 1000);
    assert_int_equal(core_get_stats(fx->core)->rejected[CORE_REJECT_QUEUE_FULL], 1);
    assert_int_equal(fx->downs, 1);
}

static void test_packet_in_reaches_app_and_bad_frames_are_counted(void **state)
{
    handshake(6);
    static const uint8_t rarp[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0, 0x12, 0x34,
                                     0x56, 0x80, 0x35, 0, 1, 8, 0, 6, 4, 0, 3, 0x52, 0x54, 0,
                                     0x12, 0x34, 0x56, 0, 0, 0, 0, 0x52, 0x54, 0, 0x12, 0x34,
                                     0x56};
    struct of_msg pi = {.kind = OF_PACKET_IN, .xid = 0};
    pi.u.packet_in.buffer_id = OFP_NO_BUFFER;
    pi.u.packet_in.total_len = 60;
    of_match_set_in_port(&pi.u.packet_in.match, 10);
    pi.u.packet_in.data = rarp;
    pi.u.packet_in.data_len = sizeof rarp;
    send_msg(&pi);
    uint64_t before = pkt_reject_count(PKT_REJECT_ETH_TRUNCATED);
    pi.u.packet_in.data_len = 5; /* not even an Ethernet header */
    send_msg(&pi);
    pump(30);
    assert_int_equal(fx->packet_ins, 1);
    assert_int_equal(pkt_reject_count(PKT_REJECT_ETH_TRUNCATED), before + 1);
    assert_int_equal(core_get_stats(fx->core)->packet_ins, 2);
}

static int setup_fast_echo(void **state)
{
    struct core_options o;
    core_options_default(&o);
    o.echo_interval_s = 0.05;
    o.echo_misses = 2;
    return setup_with(state, &o);
}

static void test_silent_switch_is_dropped_after_echo_misses(void **state)
{
    assert_non_null(handshake(8));
    static struct of_msg m;
    expect_kind(OF_ECHO_REQUEST, &m); /* sent after 50 ms of silence */
    pump(400);                        /* we never answer */
    assert_null(core_find_switch(fx->core, 8));
    assert_int_equal(core_get_stats(fx->core)->rejected[CORE_REJECT_ECHO_TIMEOUT], 1);
}

static void test_echo_request_answered_with_same_xid_and_data(void **state)
{
    assert_non_null(handshake(9));
    struct of_msg e = {.kind = OF_ECHO_REQUEST, .xid = 0x77};
    e.u.echo.data = (const uint8_t *)"abc";
    e.u.echo.data_len = 3;
    send_msg(&e);
    static struct of_msg m;
    expect_kind(OF_ECHO_REPLY, &m);
    assert_int_equal(m.xid, 0x77);
    assert_int_equal(m.u.echo.data_len, 3);
    assert_memory_equal(m.u.echo.data, "abc", 3);
}

static int setup_fast_barrier(void **state)
{
    struct core_options o;
    core_options_default(&o);
    o.barrier_timeout_s = 0.1;
    return setup_with(state, &o);
}

/* One batch of a flow-mod; returns the barrier's xid as the switch saw it. */
static uint32_t commit_one(struct mf_switch *sw, struct batch_outcome *out)
{
    struct sw_batch *b = sw_batch_begin(sw);
    add_flow(b, 5);
    sw_batch_commit(b, on_batch, out);
    static struct of_msg m;
    expect_kind(OF_FLOW_MOD, &m);
    expect_kind(OF_BARRIER_REQUEST, &m);
    return m.xid;
}

/* An unanswered barrier fails its batch as TIMEOUT (its owner may retry)
 * and the switch stays; an answered one in between starts the count over;
 * CORE_BARRIER_MISSES in a row drop the switch, which would otherwise hold
 * every batch (and what waits for them) forever. */
static void test_unanswered_barriers_time_out_then_drop_the_switch(void **state)
{
    struct mf_switch *sw = handshake(11);
    assert_non_null(sw);
    struct batch_outcome out = {0};
    commit_one(sw, &out);
    pump(300);
    assert_int_equal(out.calls, 1);
    assert_int_equal(out.r.status, SW_BATCH_TIMEOUT);
    assert_non_null(core_find_switch(fx->core, 11));
    /* Answered: the misses start over. */
    struct batch_outcome ok = {0};
    send_msg(&(struct of_msg){.kind = OF_BARRIER_REPLY, .xid = commit_one(sw, &ok)});
    pump(50);
    assert_int_equal(ok.r.status, SW_BATCH_OK);
    for (unsigned i = 1; i < CORE_BARRIER_MISSES; i++) {
        struct batch_outcome miss = {0};
        commit_one(sw, &miss);
        pump(300);
        assert_int_equal(miss.r.status, SW_BATCH_TIMEOUT);
        assert_non_null(core_find_switch(fx->core, 11));
    }
    struct batch_outcome last = {0};
    commit_one(sw, &last);
    pump(300);
    assert_int_equal(last.calls, 1);
    assert_int_equal(last.r.status, SW_BATCH_TIMEOUT);
    assert_null(core_find_switch(fx->core, 11));
    assert_int_equal(core_get_stats(fx->core)->rejected[CORE_REJECT_BARRIER_TIMEOUT],
                     CORE_BARRIER_MISSES + 1);
}

/* Errors beyond one per message are not kept (a switch repeating itself). */
static void test_batch_errors_are_bounded(void **state)
{
    struct mf_switch *sw = handshake(12);
    struct batch_outcome out = {0};
    struct sw_batch *b = sw_batch_begin(sw);
    add_flow(b, 5);
    sw_batch_commit(b, on_batch, &out);
    static struct of_msg m;
    expect_kind(OF_FLOW_MOD, &m);
    uint32_t xid = m.xid;
    expect_kind(OF_BARRIER_REQUEST, &m);
    struct of_msg e = {.kind = OF_ERROR, .xid = xid};
    e.u.error.type = OFPET_FLOW_MOD_FAILED;
    for (int i = 0; i < 50; i++) {
        send_msg(&e);
    }
    send_msg(&(struct of_msg){.kind = OF_BARRIER_REPLY, .xid = m.xid});
    pump(50);
    assert_int_equal(out.calls, 1);
    assert_int_equal(out.r.n_errors, 1);
}

/* ---- Versions -------------------------------------------------------------- */

static void test_negotiation_rule(void **state)
{
    const uint32_t both = CORE_VERSIONS_ALL, v10 = 1u << 1, v13 = 1u << 4;
    struct of_hello none = {0};
    /* No bitmap from the peer: the lower header version, if one of ours. */
    assert_int_equal(core_negotiate_version(both, &none, 1), 1);
    assert_int_equal(core_negotiate_version(both, &none, 4), 4);
    assert_int_equal(core_negotiate_version(both, &none, 6), 4);
    assert_int_equal(core_negotiate_version(both, &none, 2), 0);
    assert_int_equal(core_negotiate_version(both, &none, 3), 0);
    assert_int_equal(core_negotiate_version(both, &none, 0), 0);
    assert_int_equal(core_negotiate_version(v13, &none, 1), 0);
    assert_int_equal(core_negotiate_version(v10, &none, 4), 1);
    /* A bitmap: the highest version in both. */
    static const struct {
        uint32_t ours, peer;
        uint8_t want;
    } bm[] = {
        {CORE_VERSIONS_ALL, (1u << 1) | (1u << 4), 4},
        {CORE_VERSIONS_ALL, 1u << 1, 1},
        {CORE_VERSIONS_ALL, 1u << 4, 4},
        {CORE_VERSIONS_ALL, (1u << 1) | (1u << 4) | (1u << 6), 4},
        {CORE_VERSIONS_ALL, (1u << 2) | (1u << 3), 0},
        {CORE_VERSIONS_ALL, (1u << 5) | (1u << 6), 0},
        {CORE_VERSIONS_ALL, 0, 0},
        {1u << 4, 1u << 1, 0},
        {1u << 4, (1u << 1) | (1u << 4), 4},
        {1u << 1, (1u << 1) | (1u << 4), 1},
        {1u << 1, 1u << 4, 0},
        {0, UINT32_MAX, 0},
    };
    for (size_t i = 0; i < sizeof bm / sizeof bm[0]; i++) {
        struct of_hello h = {.has_bitmap = true, .version_bitmap = bm[i].peer};
        /* The header does not matter once both sides have a bitmap. */
        assert_int_equal(core_negotiate_version(bm[i].ours, &h, 4), bm[i].want);
        assert_int_equal(core_negotiate_version(bm[i].ours, &h, 1), bm[i].want);
    }
}

/* Plays an OpenFlow 1.0 switch (HELLO without bitmap, its ports in
 * FEATURES_REPLY, DESC as a STATS request) through the handshake. */
static struct mf_switch *handshake10(uint64_t dpid)
{
    static struct of_msg m;
    expect_kind(OF_HELLO, &m);
    send_msg_v(OF_VERSION_1_0, &(struct of_msg){.kind = OF_HELLO, .xid = 1});
    expect_kind(OF_FEATURES_REQUEST, &m);
    assert_int_equal(m.version, OF_VERSION_1_0);
    struct of_port ports[3] = {{.port_no = 2, .name = "p2"},
                               {.port_no = OFPP_LOCAL, .name = "br0"},
                               {.port_no = 1, .name = "p1", .state = OFPPS_LINK_DOWN}};
    struct of_msg f = {.kind = OF_FEATURES_REPLY, .xid = m.xid};
    f.u.features.datapath_id = dpid;
    f.u.features.n_tables = 1;
    f.u.features.ports = ports;
    f.u.features.n_ports = 3;
    send_msg_v(OF_VERSION_1_0, &f);
    expect_kind(OF_SET_CONFIG, &m);
    assert_int_equal(m.version, OF_VERSION_1_0);
    assert_int_equal(m.u.config.miss_send_len, 0xffff);
    expect_kind(OF_MULTIPART_REQUEST, &m); /* OFPT_STATS_REQUEST in 1.0 */
    assert_int_equal(m.version, OF_VERSION_1_0);
    assert_int_equal(m.u.mp_request.mp_type, OFMP_DESC);
    struct of_msg d = {.kind = OF_MULTIPART_REPLY, .xid = m.xid};
    d.u.mp_reply.mp_type = OFMP_DESC;
    strcpy(d.u.mp_reply.desc.mfr_desc, "maker ten");
    send_msg_v(OF_VERSION_1_0, &d);
    pump(20);
    return core_find_switch(fx->core, dpid);
}

static void test_handshake_10_ports_from_features(void **state)
{
    struct mf_switch *sw = handshake10(0x10);
    assert_non_null(sw);
    const struct sw_info *in = sw_get_info(sw);
    assert_int_equal(in->version, OF_VERSION_1_0);
    assert_int_equal(in->state, SW_READY);
    assert_string_equal(in->desc.mfr_desc, "maker ten");
    assert_int_equal(in->features.n_tables, 1);
    assert_null(in->features.port_body); /* nothing kept points into a freed message */
    assert_int_equal(in->features.port_body_len, 0);
    struct of_port ports[4];
    assert_int_equal(sw_get_ports(sw, ports, 4), 3);
    assert_int_equal(ports[0].port_no, 1);
    assert_true(ports[0].state & OFPPS_LINK_DOWN);
    assert_int_equal(ports[1].port_no, 2);
    assert_string_equal(ports[1].name, "p2");
    assert_true(ports[2].port_no == OFPP_LOCAL);
    assert_int_equal(fx->ups, 1);
    uint8_t raw[64];
    size_t len;
    assert_false(next_frame(raw, &len, 50)); /* no PORT_DESC: 1.0 has none */
}

/* After a 1.0 handshake, everything the core sends is 1.0: echo replies,
 * batches and their barrier, errors; what the switch sends in 1.0 reaches
 * the applications as the same abstract messages. */
static void test_session_10_speaks_10(void **state)
{
    struct mf_switch *sw = handshake10(0x11);
    assert_non_null(sw);
    static struct of_msg m;
    struct of_msg e = {.kind = OF_ECHO_REQUEST, .xid = 0x31};
    send_msg_v(OF_VERSION_1_0, &e);
    expect_kind(OF_ECHO_REPLY, &m);
    assert_int_equal(m.version, OF_VERSION_1_0);
    assert_int_equal(m.xid, 0x31);

    struct batch_outcome out = {0};
    struct sw_batch *b = sw_batch_begin(sw);
    add_flow(b, 7);
    sw_batch_commit(b, on_batch, &out);
    expect_kind(OF_FLOW_MOD, &m);
    assert_int_equal(m.version, OF_VERSION_1_0);
    uint32_t flow_xid = m.xid;
    expect_kind(OF_BARRIER_REQUEST, &m);
    assert_int_equal(m.version, OF_VERSION_1_0);
    assert_int_equal(m.xid, flow_xid + 1);
    struct of_msg err = {.kind = OF_ERROR, .xid = flow_xid};
    err.u.error.type = OFPET_FLOW_MOD_FAILED;
    err.u.error.code = 1; /* 1.3 TABLE_FULL, 1.0 ALL_TABLES_FULL */
    send_msg_v(OF_VERSION_1_0, &err);
    send_msg_v(OF_VERSION_1_0, &(struct of_msg){.kind = OF_BARRIER_REPLY, .xid = m.xid});
    pump(20);
    assert_int_equal(out.calls, 1);
    assert_int_equal(out.r.status, SW_BATCH_ERRORS);
    assert_int_equal(out.errors[0].type, OFPET_FLOW_MOD_FAILED);
    assert_int_equal(out.errors[0].code, 1);

    /* A 1.3 message on a 1.0 session: BAD_VERSION, written in 1.0. */
    send_msg(&(struct of_msg){.kind = OF_ECHO_REQUEST, .xid = 0x32});
    expect_kind(OF_ERROR, &m);
    assert_int_equal(m.version, OF_VERSION_1_0);
    assert_int_equal(m.xid, 0x32);
    assert_int_equal(m.u.error.type, OFPET_BAD_REQUEST);
    assert_int_equal(m.u.error.code, 0);

    /* Packet-In: in_port where applications read it. */
    static const uint8_t frame[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1,
                                      0x88, 0xb5};
    struct of_msg pi = {.kind = OF_PACKET_IN, .xid = 0};
    pi.u.packet_in.buffer_id = OFP_NO_BUFFER;
    pi.u.packet_in.total_len = 60;
    of_match_set_in_port(&pi.u.packet_in.match, 2);
    pi.u.packet_in.data = frame;
    pi.u.packet_in.data_len = sizeof frame;
    send_msg_v(OF_VERSION_1_0, &pi);
    /* Port status: the table follows. */
    struct of_msg ps = {.kind = OF_PORT_STATUS, .xid = 0};
    ps.u.port_status.reason = OFPPR_DELETE;
    ps.u.port_status.port = (struct of_port){.port_no = 2, .name = "p2"};
    send_msg_v(OF_VERSION_1_0, &ps);
    pump(30);
    assert_int_equal(fx->packet_ins, 1);
    assert_int_equal(fx->last_in_port, 2);
    struct of_port ports[4];
    assert_int_equal(sw_get_ports(sw, ports, 4), 2);
    assert_int_equal(sw_get_info(sw)->errors_out, 1);
}

static void test_hello_bitmap_10_and_13_gets_13(void **state)
{
    static struct of_msg m;
    expect_kind(OF_HELLO, &m);
    struct of_msg h = {.kind = OF_HELLO, .xid = 1};
    h.u.hello.has_bitmap = true;
    h.u.hello.version_bitmap = (1u << 1) | (1u << 4);
    send_msg(&h);
    expect_kind(OF_FEATURES_REQUEST, &m);
    assert_int_equal(m.version, OF_VERSION_1_3);
}

/* The next message is HELLO_FAILED/INCOMPATIBLE in wire version `version`
 * answering xid, with an ASCII reason holding `why`; then the core closes. */
static void expect_hello_failed(uint8_t version, uint32_t xid, const char *why)
{
    static uint8_t raw[256];
    size_t len;
    assert_true(next_frame(raw, &len, 2000));
    assert_true(len > 12 && len < sizeof raw);
    assert_int_equal(raw[0], version);
    assert_int_equal(raw[1], 1); /* OFPT_ERROR in every version */
    assert_int_equal(of_msg_xid(raw), xid);
    assert_int_equal(raw[8] << 8 | raw[9], OFPET_HELLO_FAILED);
    assert_int_equal(raw[10] << 8 | raw[11], 0);
    raw[len] = '\0';
    for (size_t i = 12; i < len; i++) {
        assert_true(raw[i] >= 32 && raw[i] < 127);
    }
    assert_non_null(strstr((const char *)raw + 12, why));
    assert_true(peer_closed(2000));
    assert_int_equal(core_get_stats(fx->core)->rejected[CORE_REJECT_HELLO_FAILED], 1);
    assert_int_equal(core_n_switches(fx->core, false), 0);
}

static void test_hello_11_without_bitmap_fails(void **state)
{
    static struct of_msg m;
    expect_kind(OF_HELLO, &m);
    static const uint8_t hello11[8] = {0x02, 0, 0, 8, 0, 0, 0, 0x21};
    send_raw(hello11, sizeof hello11);
    expect_hello_failed(0x02, 0x21, "1.0 (0x01) and 1.3 (0x04) only");
}

static void test_hello_bitmap_without_common_version_fails(void **state)
{
    static struct of_msg m;
    expect_kind(OF_HELLO, &m);
    /* 1.4 and 1.5 only, header 1.5: the answer goes out in 1.3. */
    static const uint8_t hello15[16] = {0x06, 0, 0, 16, 0, 0, 0, 0x22,
                                        0, 1, 0, 8, 0, 0, 0, 0x60};
    send_raw(hello15, sizeof hello15);
    expect_hello_failed(OF_VERSION_1_3, 0x22, "no common version");
}

static int setup_only(void **state, uint32_t versions)
{
    struct core_options o;
    core_options_default(&o);
    o.versions = versions;
    return setup_with(state, &o);
}

static int setup_only_13(void **state)
{
    return setup_only(state, 1u << OF_VERSION_1_3);
}

static int setup_only_10(void **state)
{
    return setup_only(state, 1u << OF_VERSION_1_0);
}

static void test_only_13_refuses_a_10_switch(void **state)
{
    static struct of_msg m;
    expect_kind(OF_HELLO, &m);
    assert_int_equal(m.version, OF_VERSION_1_3);
    assert_int_equal(m.u.hello.version_bitmap, 1u << 4);
    send_msg_v(OF_VERSION_1_0, &(struct of_msg){.kind = OF_HELLO, .xid = 0x23});
    expect_hello_failed(OF_VERSION_1_0, 0x23, "OpenFlow 1.3 (0x04) only");
}

static void test_only_10_sends_a_10_hello(void **state)
{
    static struct of_msg m;
    expect_kind(OF_HELLO, &m);
    assert_int_equal(m.version, OF_VERSION_1_0);
    assert_false(m.u.hello.has_bitmap); /* a 1.0 HELLO has no body */
    struct of_msg h = {.kind = OF_HELLO, .xid = 1};
    h.u.hello.has_bitmap = true;
    h.u.hello.version_bitmap = (1u << 1) | (1u << 4);
    send_msg(&h);
    expect_kind(OF_FEATURES_REQUEST, &m);
    assert_int_equal(m.version, OF_VERSION_1_0);
}

static void test_core_refuses_bad_version_sets(void **state)
{
    struct event_base *base = event_base_new();
    struct core_options o;
    core_options_default(&o);
    o.versions = 0;
    assert_null(core_create(base, &o));
    o.versions = 1u << 2;
    assert_null(core_create(base, &o));
    o.versions = CORE_VERSIONS_ALL | 1u << 5;
    assert_null(core_create(base, &o));
    event_base_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_handshake_reaches_ready, setup, teardown),
        cmocka_unit_test_setup_teardown(test_port_status_updates_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_ties_errors_to_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_clean_completion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_fails_on_disconnect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_refuses_unencodable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_output_queue_is_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_packet_in_reaches_app_and_bad_frames_are_counted,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_silent_switch_is_dropped_after_echo_misses,
                                        setup_fast_echo, teardown),
        cmocka_unit_test_setup_teardown(test_echo_request_answered_with_same_xid_and_data, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unanswered_barriers_time_out_then_drop_the_switch,
                                        setup_fast_barrier, teardown),
        cmocka_unit_test_setup_teardown(test_batch_errors_are_bounded, setup, teardown),
        cmocka_unit_test(test_negotiation_rule),
        cmocka_unit_test_setup_teardown(test_handshake_10_ports_from_features, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_10_speaks_10, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hello_bitmap_10_and_13_gets_13, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hello_11_without_bitmap_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hello_bitmap_without_common_version_fails, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_only_13_refuses_a_10_switch, setup_only_13,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_only_10_sends_a_10_hello, setup_only_10, teardown),
        cmocka_unit_test(test_core_refuses_bad_version_sets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
