/* bench_switch.c - the emulated switches: one OpenFlow connection each (1.3,
 * or 1.0 in cbench mode), answering the controller as Open vSwitch would
 * (handshake, echo, an empty flow table, barriers), decoding and counting
 * every flow-mod. Answers can be held back by --delay-ms, in order, per
 * switch. What the flow-mods and Packet-Outs mean is for the mode to judge:
 * bench_track/bench_inject (mobility) or bench_cbench. */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "ofp/ofp_codec.h"

/* Handshakes in progress at once: a burst of thousands of SYNs would
 * overflow the daemon's listen backlog. */
#define CONNECT_BURST 128

struct bench_delayed {
    struct bench_delayed *next;
    double due;
    struct bench_attr *attr; /* barrier only: what its answer confirms */
    size_t n_attr;
    size_t len;
    uint8_t data[];
};

static void connect_more(struct bench *b);

static void write_now(struct bench_switch *sw, const uint8_t *data, size_t len)
{
    if (sw->bev && !sw->closed) {
        bufferevent_write(sw->bev, data, len);
    }
}

static void on_delay_timer(evutil_socket_t fd, short what, void *arg);

static void arm_delay_timer(struct bench_switch *sw)
{
    if (!sw->dq_head) {
        return;
    }
    double wait = sw->dq_head->due - bench_now();
    if (wait < 0) {
        wait = 0;
    }
    struct timeval tv = {(time_t)wait, (suseconds_t)((wait - (time_t)wait) * 1e6)};
    evtimer_add(sw->dq_timer, &tv);
}

static void flush_one(struct bench_switch *sw, struct bench_delayed *d)
{
    write_now(sw, d->data, d->len);
    if (d->attr) {
        bench_track_barrier(sw->b, sw->idx, d->attr, d->n_attr, bench_now());
        free(d->attr);
    }
    free(d);
}

static void on_delay_timer(evutil_socket_t fd, short what, void *arg)
{
    struct bench_switch *sw = arg;
    double now = bench_now();
    while (sw->dq_head && sw->dq_head->due <= now) {
        struct bench_delayed *d = sw->dq_head;
        sw->dq_head = d->next;
        if (!sw->dq_head) {
            sw->dq_tail = NULL;
        }
        flush_one(sw, d);
    }
    arm_delay_timer(sw);
}

/* Sends the encoded message in b->tx as an answer: now, or after the delay.
 * A barrier answer carries the attributions it confirms. */
static void answer_tx(struct bench_switch *sw, bool barrier)
{
    struct bench *b = sw->b;
    struct bench_attr *attr = NULL;
    size_t n_attr = 0;
    if (barrier && sw->n_attr) {
        attr = malloc(sw->n_attr * sizeof *attr);
        if (!attr) {
            abort();
        }
        memcpy(attr, sw->attr, sw->n_attr * sizeof *attr);
        n_attr = sw->n_attr;
        sw->n_attr = 0;
    }
    if (b->o.delay_ms <= 0) {
        write_now(sw, b->tx.data, b->tx.len);
        if (attr) {
            bench_track_barrier(b, sw->idx, attr, n_attr, bench_now());
            free(attr);
        }
        return;
    }
    struct bench_delayed *d = malloc(sizeof *d + b->tx.len);
    if (!d) {
        abort();
    }
    *d = (struct bench_delayed){NULL, bench_now() + b->o.delay_ms / 1000.0, attr, n_attr,
                                b->tx.len};
    memcpy(d->data, b->tx.data, b->tx.len);
    bool was_empty = !sw->dq_head;
    if (sw->dq_tail) {
        sw->dq_tail->next = d;
    } else {
        sw->dq_head = d;
    }
    sw->dq_tail = d;
    if (was_empty) {
        arm_delay_timer(sw);
    }
}

static void encode_out(struct bench *b, uint32_t xid)
{
    b->out.xid = xid;
    obuf_clear(&b->tx);
    if (of_encode(b->o.of_version, &b->out, &b->tx) != 0) {
        fprintf(stderr, "matflow-bench: cannot encode %s\n", of_msg_kind_name(b->out.kind));
        abort();
    }
}

static void reset_out(struct bench *b, enum of_msg_kind kind)
{
    memset(&b->out, 0, sizeof b->out);
    b->out.kind = kind;
}

void bench_send_packet_in(struct bench_switch *sw, uint32_t in_port, const uint8_t *frame,
                          size_t len, bool answer)
{
    struct bench *b = sw->b;
    reset_out(b, OF_PACKET_IN);
    struct of_packet_in *pi = &b->out.u.packet_in;
    pi->buffer_id = OFP_NO_BUFFER;
    pi->total_len = (uint16_t)len;
    pi->reason = 1; /* OFPR_ACTION: the ARP/RARP rules output to the controller */
    pi->table_id = 0;
    of_match_init(&pi->match);
    of_match_set_in_port(&pi->match, in_port);
    pi->data = frame;
    pi->data_len = len;
    encode_out(b, 0);
    sw->packet_ins++;
    if (answer) {
        answer_tx(sw, false);
    } else {
        write_now(sw, b->tx.data, b->tx.len);
    }
}

/* One version offered, so the negotiated one is it or nothing. A 1.0 HELLO
 * goes without the version bitmap, which 1.0 peers need not understand. */
static void send_hello(struct bench_switch *sw)
{
    struct bench *b = sw->b;
    reset_out(b, OF_HELLO);
    b->out.u.hello.has_bitmap = b->o.of_version != OF_VERSION_1_0;
    b->out.u.hello.version_bitmap = 1u << b->o.of_version;
    encode_out(b, 1);
    write_now(sw, b->tx.data, b->tx.len);
}

static void close_switch(struct bench_switch *sw, const char *why);

/* The controller's HELLO must allow our version (OpenFlow 1.3.1, 6.3.1). */
static void check_hello(struct bench_switch *sw, const struct of_msg *m)
{
    uint8_t want = sw->b->o.of_version;
    bool ok = m->u.hello.has_bitmap ? (m->u.hello.version_bitmap >> want) & 1
                                    : m->version >= want;
    if (!ok) {
        sw->b->version_refused++;
        close_switch(sw, "the controller does not speak our OpenFlow version");
    }
}

static void mark_handshaken(struct bench_switch *sw)
{
    if (!sw->handshaken) {
        sw->handshaken = true;
        sw->b->n_handshaken++;
        connect_more(sw->b);
    }
}

static void answer_features(struct bench_switch *sw, uint32_t xid)
{
    struct bench *b = sw->b;
    struct of_port ports[BENCH_CB_PORTS + 1 + BENCH_HV_PORTS];
    reset_out(b, OF_FEATURES_REPLY);
    b->out.u.features.datapath_id = sw->dpid;
    b->out.u.features.n_buffers = 0;
    b->out.u.features.n_tables = 254;
    b->out.u.features.capabilities = 0x4f; /* flow, table, port, group stats; ip reasm */
    if (b->o.of_version == OF_VERSION_1_0) { /* 1.0 has no PORT_DESC: ports go here */
        b->out.u.features.ports = ports;
        b->out.u.features.n_ports = bench_switch_ports(sw, ports, sizeof ports / sizeof *ports);
    }
    encode_out(b, xid);
    answer_tx(sw, false);
    /* Every controller asks for features; not every one for the ports. */
    if (b->cb) {
        mark_handshaken(sw);
    }
}

static void fill_port(struct of_port *p, uint64_t dpid, uint32_t no)
{
    memset(p, 0, sizeof *p);
    p->port_no = no;
    p->hw_addr = (struct eth_addr){{0x02, 0x4f, (uint8_t)(dpid >> 8), (uint8_t)dpid, 0,
                                    (uint8_t)no}};
    snprintf(p->name, sizeof p->name, "s%llu-p%u", (unsigned long long)dpid, no);
    p->curr = p->advertised = p->supported = 0x2000 | 0x800; /* 10 Gb FD, copper */
    p->curr_speed = p->max_speed = 10000000;
}

size_t bench_switch_ports(const struct bench_switch *sw, struct of_port *out, size_t cap)
{
    size_t n = 0;
    if (sw->b->cb) {
        for (uint32_t p = 1; p <= BENCH_CB_PORTS && n < cap; p++) {
            fill_port(&out[n++], sw->dpid, p);
        }
        return n;
    }
    if (n < cap) {
        fill_port(&out[n++], sw->dpid, BENCH_UPLINK);
    }
    for (unsigned i = 0; i < BENCH_HV_PORTS && n < cap; i++) {
        fill_port(&out[n++], sw->dpid, BENCH_HV_FIRST + i);
    }
    return n;
}

static void answer_multipart(struct bench_switch *sw, const struct of_multipart_request *rq,
                             uint32_t xid)
{
    struct bench *b = sw->b;
    reset_out(b, OF_MULTIPART_REPLY);
    struct of_multipart_reply *r = &b->out.u.mp_reply;
    r->mp_type = rq->mp_type;
    struct of_port ports[BENCH_CB_PORTS + 1 + BENCH_HV_PORTS];
    switch (rq->mp_type) {
    case OFMP_DESC:
        snprintf(r->desc.mfr_desc, sizeof r->desc.mfr_desc, "matflow");
        snprintf(r->desc.hw_desc, sizeof r->desc.hw_desc, "emulated switch");
        snprintf(r->desc.sw_desc, sizeof r->desc.sw_desc, "matflow-bench");
        snprintf(r->desc.serial_num, sizeof r->desc.serial_num, "%llu",
                 (unsigned long long)sw->dpid);
        snprintf(r->desc.dp_desc, sizeof r->desc.dp_desc, "bench switch %llu",
                 (unsigned long long)sw->dpid);
        break;
    case OFMP_PORT_DESC:
        r->ports = ports;
        r->n_ports = bench_switch_ports(sw, ports, sizeof ports / sizeof *ports);
        break;
    default:
        break; /* flow stats and the rest: an empty table */
    }
    encode_out(b, xid);
    answer_tx(sw, false);
    if (rq->mp_type == OFMP_PORT_DESC) {
        mark_handshaken(sw);
    }
}

static void answer_barrier(struct bench_switch *sw, uint32_t xid)
{
    struct bench *b = sw->b;
    reset_out(b, OF_BARRIER_REPLY);
    encode_out(b, xid);
    sw->barriers++;
    answer_tx(sw, true);
    /* The first barrier closes the daemon's reconciliation of this switch. */
    if (!sw->reconciled && sw->handshaken && sw->site >= 0) {
        sw->reconciled = true;
        b->n_reconciled++;
    }
}

static void handle(struct bench_switch *sw, const uint8_t *raw, size_t len)
{
    struct bench *b = sw->b;
    struct of_msg *m = &b->in;
    if (of_decode(raw, len, m) != 0) {
        b->undecodable++;
        return;
    }
    switch (m->kind) {
    case OF_HELLO:
        check_hello(sw, m);
        break;
    case OF_SET_CONFIG:
        break;
    case OF_FEATURES_REQUEST:
        answer_features(sw, m->xid);
        break;
    case OF_GET_CONFIG_REQUEST:
        reset_out(b, OF_GET_CONFIG_REPLY);
        b->out.u.config.miss_send_len = OFPCML_NO_BUFFER;
        encode_out(b, m->xid);
        answer_tx(sw, false);
        break;
    case OF_ECHO_REQUEST:
        reset_out(b, OF_ECHO_REPLY);
        b->out.u.echo = m->u.echo;
        encode_out(b, m->xid);
        answer_tx(sw, false);
        break;
    case OF_MULTIPART_REQUEST:
        answer_multipart(sw, &m->u.mp_request, m->xid);
        break;
    case OF_BARRIER_REQUEST:
        answer_barrier(sw, m->xid);
        break;
    case OF_FLOW_MOD:
        sw->flow_mods++;
        b->flow_mods++;
        if (b->cb) {
            bench_cbench_flow_mod(sw, &m->u.flow_mod);
            break;
        }
        if (m->u.flow_mod.command == OFPFC_ADD) {
            sw->flow_mods_add++;
        } else if (m->u.flow_mod.command == OFPFC_DELETE ||
                   m->u.flow_mod.command == OFPFC_DELETE_STRICT) {
            sw->flow_mods_delete++;
        }
        bench_track_flow_mod(b, sw, &m->u.flow_mod);
        break;
    case OF_PACKET_OUT:
        sw->packet_outs++;
        if (b->cb) {
            bench_cbench_packet_out(sw, &m->u.packet_out);
        } else {
            bench_inject_packet_out(b, sw, &m->u.packet_out);
        }
        break;
    case OF_ROLE_REQUEST:
        reset_out(b, OF_ROLE_REPLY);
        b->out.u.role = m->u.role;
        encode_out(b, m->xid);
        answer_tx(sw, false);
        break;
    case OF_ERROR:
        sw->errors_in++;
        b->errors_in++;
        break;
    default:
        break;
    }
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct bench_switch *sw = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    for (;;) {
        size_t avail = evbuffer_get_length(in);
        if (avail < 8) {
            return;
        }
        const uint8_t *hdr = evbuffer_pullup(in, 8);
        size_t len = (size_t)hdr[2] << 8 | hdr[3];
        if (len < 8) {
            close_switch(sw, "a length below 8 from the controller: the stream cannot resync");
            evbuffer_drain(in, avail);
            return;
        }
        if (avail < len) {
            return;
        }
        const uint8_t *msg = evbuffer_pullup(in, (ssize_t)len);
        size_t framed;
        if (of_frame(msg, len, &framed) == OF_FRAME_OK) {
            handle(sw, msg, framed);
        }
        evbuffer_drain(in, len);
    }
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    struct bench_switch *sw = arg;
    struct bench *b = sw->b;
    if (what & BEV_EVENT_CONNECTED) {
        sw->connected = true;
        b->n_connected++;
        int one = 1;
        setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        send_hello(sw);
        return;
    }
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        close_switch(sw, (what & BEV_EVENT_EOF) ? "closed by the controller" : "failed");
    }
}

/* Stops using the connection; the socket itself goes in bench_switches_stop. */
static void close_switch(struct bench_switch *sw, const char *why)
{
    struct bench *b = sw->b;
    if (!sw->closed) {
        sw->closed = true;
        b->n_closed++;
        bench_log(b, "switch %llu: connection %s", (unsigned long long)sw->dpid, why);
        if (!sw->handshaken) {
            b->n_lost_early++;
            connect_more(b); /* keep the burst going */
        }
    }
    bufferevent_disable(sw->bev, EV_READ | EV_WRITE);
}

/* cbench's throughput mode refills the pipe whenever it drains. */
static void on_write(struct bufferevent *bev, void *arg)
{
    struct bench_switch *sw = arg;
    if (sw->b->cb && !sw->closed) {
        bench_cbench_writable(sw);
    }
}

static void connect_one(struct bench_switch *sw)
{
    struct bench *b = sw->b;
    sw->connecting = true;
    sw->bev = bufferevent_socket_new(b->base, -1, BEV_OPT_CLOSE_ON_FREE);
    sw->dq_timer = evtimer_new(b->base, on_delay_timer, sw);
    if (!sw->bev || !sw->dq_timer) {
        abort();
    }
    bufferevent_setcb(sw->bev, on_read, on_write, on_event, sw);
    bufferevent_enable(sw->bev, EV_READ | EV_WRITE);
    if (bufferevent_socket_connect(sw->bev, (struct sockaddr *)&b->ctrl, sizeof b->ctrl) != 0) {
        on_event(sw->bev, BEV_EVENT_ERROR, sw);
    }
}

/* Starts connections until CONNECT_BURST handshakes are in progress. */
static void connect_more(struct bench *b)
{
    unsigned in_progress = b->n_started - b->n_handshaken - b->n_lost_early;
    while (b->n_started < b->n_sw && in_progress < CONNECT_BURST) {
        connect_one(&b->sw[b->n_started++]);
        in_progress++;
    }
}

bool bench_switches_start(struct bench *b)
{
    b->sw = calloc(b->n_sw, sizeof *b->sw);
    if (!b->sw) {
        return false;
    }
    for (unsigned i = 0; i < b->n_sw; i++) {
        struct bench_switch *sw = &b->sw[i];
        sw->b = b;
        sw->idx = i;
        sw->dpid = i + 1;
        sw->site = i < b->n_sites ? (int)i : -1;
    }
    connect_more(b);
    return true;
}

void bench_switches_stop(struct bench *b)
{
    for (unsigned i = 0; b->sw && i < b->n_sw; i++) {
        struct bench_switch *sw = &b->sw[i];
        while (sw->dq_head) {
            struct bench_delayed *d = sw->dq_head;
            sw->dq_head = d->next;
            free(d->attr);
            free(d);
        }
        if (sw->dq_timer) {
            event_free(sw->dq_timer);
        }
        if (sw->bev) {
            bufferevent_free(sw->bev);
        }
        free(sw->attr);
    }
    free(b->sw);
    b->sw = NULL;
}
