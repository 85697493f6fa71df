/* test_core_batch.c - the channel core driven through a socketpair by a
 * scripted switch: handshake to ready, the batch API (errors tied to the
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

/* Reads the next message the core sent, pumping the loop meanwhile. */
static bool next_msg(struct of_msg *m, uint8_t *raw, size_t *raw_len, int timeout_ms)
{
    uint64_t end = time_msec() + (uint64_t)timeout_ms;
    for (;;) {
        size_t len;
        if (of_frame(fx->in, fx->in_len, &len) == OF_FRAME_OK) {
            memcpy(raw, fx->in, len);
            *raw_len = len;
            memmove(fx->in, fx->in + len, fx->in_len - len);
            fx->in_len -= len;
            assert_int_equal(of_decode(raw, len, m), 0);
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

static uint8_t raw_buf[1 << 16];

static void expect_kind(enum of_msg_kind kind, struct of_msg *m)
{
    size_t len;
    assert_true(next_msg(m, raw_buf, &len, 2000));
    assert_string_equal(of_msg_kind_name(m->kind), of_msg_kind_name(kind));
}

static void send_msg(struct of_msg *m)
{
    struct obuf b = OBUF_INITIALIZER;
    assert_int_equal(of_encode(OF_VERSION_1_3, m, &b), 0);
    assert_int_equal(write(fx->fd, b.data, b.len), (ssize_t)b.len);
    obuf_free(&b);
}

/* Plays a switch with dpid and two ports through the whole handshake. */
static struct mf_switch *handshake(uint64_t dpid)
{
    static struct of_msg m;
    expect_kind(OF_HELLO, &m);
    assert_true(m.u.hello.has_bitmap);
    assert_int_equal(m.u.hello.version_bitmap, 1u << 4);
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

/* A switch that answers echoes but never a barrier is dropped: otherwise it
 * would hold every batch (and what waits for them) forever. */
static void test_unanswered_barrier_drops_the_switch(void **state)
{
    struct mf_switch *sw = handshake(11);
    assert_non_null(sw);
    struct batch_outcome out = {0};
    struct sw_batch *b = sw_batch_begin(sw);
    add_flow(b, 5);
    sw_batch_commit(b, on_batch, &out);
    static struct of_msg m;
    expect_kind(OF_FLOW_MOD, &m);
    expect_kind(OF_BARRIER_REQUEST, &m); /* never answered */
    pump(300);
    assert_int_equal(out.calls, 1);
    assert_int_equal(out.r.status, SW_BATCH_DISCONNECTED);
    assert_null(core_find_switch(fx->core, 11));
    assert_int_equal(core_get_stats(fx->core)->rejected[CORE_REJECT_BARRIER_TIMEOUT], 1);
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
        cmocka_unit_test_setup_teardown(test_unanswered_barrier_drops_the_switch,
                                        setup_fast_barrier, teardown),
        cmocka_unit_test_setup_teardown(test_batch_errors_are_bounded, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
