/* bench_cbench.c - cbench's two measurements of a learning-switch
 * controller, against any OpenFlow controller (--connect HOST:PORT):
 *
 *   learn       every emulated host announces itself (a broadcast frame in
 *               a Packet-In) until the controller has flooded each one
 *               back; from then on every destination is known, so every
 *               test frame should get a flow-mod and a Packet-Out to its
 *               destination's port;
 *   throughput  each switch keeps its connection full of Packet-Ins (more
 *               whenever its output buffer drains), and the answers that
 *               arrive in the measured window are counted;
 *   latency     one Packet-In in flight per switch: the next leaves when the
 *               Packet-Out carrying the previous frame is back.
 *
 * Switch s has H hosts; host h has MAC 02:ss:ss:hh:hh:hh and sits on port
 * 1 + h % P. Test frame c of a switch goes from host c % H to host
 * (c % H + d) % H with d = 1 + P * k, k stepping with c / H. H is a multiple
 * of P, so a destination is never on its source's port (a learning switch
 * would drop that frame) and there are about H * H / P distinct pairs.
 *
 * Everything from the controller is decoded (ofp_codec) and every
 * Packet-Out's frame parsed (pkt) before it counts: an answer counts only if
 * it carries this switch's test frame to its destination's port. */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "ofp/ofp_codec.h"
#include "pkt/pkt.h"

#define LEARN_WINDOW 64           /* learning frames in flight per switch */
#define RETRY_S 0.5               /* learning: no progress this long, send again */
#define LOST_S 1.0                /* latency: no answer this long, a loss */
#define FILL_LOW (16 * 1024)      /* throughput: refill below this many bytes queued */
#define FILL_HIGH (64 * 1024)     /* ... up to this many */
/* Throughput: test frames a switch may have unanswered. A generator that
 * falls behind reading (a loaded machine) must not make the controller's
 * output queue grow until it closes the connection (matflowd's bound is
 * 16 MiB); 4096 frames keep any controller busy. */
#define IN_FLIGHT_MAX 4096

struct bench_cb_sw {
    uint8_t *learned; /* a bit per host: its broadcast came back */
    uint32_t n_learned, next_learn;
    double last_progress;
    uint64_t seq; /* test frames sent */
    uint64_t po_replies, fm_replies; /* Packet-Outs / flow-mods for them */
    bool waiting; /* latency mode: the frame in flight */
    uint32_t src, dst;
    double t_sent;
};

enum cb_phase { CB_LEARN, CB_WARMUP, CB_MEASURE, CB_DONE };

struct cb_counts {
    uint64_t sent, answered, flooded, misdirected, foreign, lost;
    uint64_t flow_mods_hosts, flow_mods_other;
};

struct bench_cbench {
    struct bench *b;
    enum cb_phase phase;
    uint32_t hosts, steps;
    struct bench_cb_sw *sws;
    struct obuf tmpl[BENCH_CB_PORTS]; /* a Packet-In from each port */
    size_t frame_off;                 /* where the frame starts in each */
    struct obuf out;
    unsigned n_complete; /* switches with every host learned */
    struct cb_counts c, c0;
    struct bench_series lat;
    double t_phase, t_measure, last_tick;
    double gen_cpu0, ctl_cpu0; /* at the start of the measured window */
};

/* ---- Hosts and frames ------------------------------------------------- */

static struct eth_addr host_mac(const struct bench_switch *sw, uint32_t h)
{
    uint32_t s = sw->idx + 1;
    return (struct eth_addr){{0x02, (uint8_t)(s >> 8), (uint8_t)s, (uint8_t)(h >> 16),
                              (uint8_t)(h >> 8), (uint8_t)h}};
}

/* Which of this switch's hosts has `mac`; false for any other address. */
static bool host_of(const struct bench_cbench *cb, const struct bench_switch *sw,
                    struct eth_addr mac, uint32_t *h)
{
    uint32_t s = sw->idx + 1;
    *h = (uint32_t)mac.b[3] << 16 | (uint32_t)mac.b[4] << 8 | mac.b[5];
    return mac.b[0] == 0x02 && mac.b[1] == (uint8_t)(s >> 8) && mac.b[2] == (uint8_t)s &&
           *h < cb->hosts;
}

static uint32_t host_port(uint32_t h)
{
    return 1 + h % BENCH_CB_PORTS;
}

/* One template per in_port: an encoded Packet-In (no buffer, reason
 * NO_MATCH, as a switch sends a table miss) of a 60-byte IPv4/UDP frame.
 * Sending copies one and writes the two MACs at frame_off. */
static bool build_templates(struct bench_cbench *cb)
{
    static const uint8_t udp[8] = {0x30, 0x39, 0x00, 0x09, 0x00, 0x08, 0x00, 0x00};
    struct pkt_info pi = {.eth_type = PKT_ETH_TYPE_IPV4, .kind = PKT_KIND_IPV4};
    pi.ip = (struct pkt_ipv4){.hdr_len = PKT_IPV4_MIN_HDR, .ttl = 64, .proto = 17,
                              .src = 0xc0a80001, .dst = 0xc0a80002, .payload = udp,
                              .payload_len = sizeof udp};
    uint8_t frame[64];
    size_t len = pkt_build(frame, sizeof frame, &pi);
    struct of_msg *m = &cb->b->out;
    for (unsigned p = 0; len && p < BENCH_CB_PORTS; p++) {
        memset(m, 0, sizeof *m);
        m->kind = OF_PACKET_IN;
        m->u.packet_in = (struct of_packet_in){.buffer_id = OFP_NO_BUFFER,
                                               .total_len = (uint16_t)len, .reason = 0,
                                               .cookie = UINT64_MAX, .data = frame,
                                               .data_len = len};
        of_match_init(&m->u.packet_in.match);
        of_match_set_in_port(&m->u.packet_in.match, p + 1);
        obuf_init(&cb->tmpl[p]);
        if (of_encode(cb->b->o.of_version, m, &cb->tmpl[p]) != 0) {
            return false;
        }
        /* The frame ends the message in every version: check, not assume. */
        cb->frame_off = cb->tmpl[p].len - len;
        if (cb->tmpl[p].len < len || memcmp(cb->tmpl[p].data + cb->frame_off, frame, len)) {
            return false;
        }
    }
    return len > 0;
}

static void put_frame(struct bench_cbench *cb, const struct bench_switch *sw, uint32_t src,
                      struct eth_addr dst)
{
    const struct obuf *t = &cb->tmpl[src % BENCH_CB_PORTS];
    uint8_t *p = obuf_put_uninit(&cb->out, t->len);
    memcpy(p, t->data, t->len);
    struct eth_addr s = host_mac(sw, src);
    memcpy(p + cb->frame_off, dst.b, 6);
    memcpy(p + cb->frame_off + 6, s.b, 6);
}

static void flush(struct bench_cbench *cb, struct bench_switch *sw)
{
    if (cb->out.len && !sw->closed) {
        bufferevent_write(sw->bev, cb->out.data, cb->out.len);
    }
    obuf_clear(&cb->out);
}

static void put_learn(struct bench_cbench *cb, struct bench_switch *sw, uint32_t h)
{
    put_frame(cb, sw, h, (struct eth_addr){{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}});
}

/* The next test frame of this switch. */
static void put_test(struct bench_cbench *cb, struct bench_switch *sw)
{
    struct bench_cb_sw *cs = &cb->sws[sw->idx];
    uint64_t c = cs->seq++;
    uint32_t src = (uint32_t)(c % cb->hosts);
    uint32_t k = (uint32_t)(c / cb->hosts % cb->steps);
    uint32_t dst = (src + 1 + BENCH_CB_PORTS * k) % cb->hosts;
    put_frame(cb, sw, src, host_mac(sw, dst));
    cs->src = src;
    cs->dst = dst;
    cb->c.sent++;
}

/* ---- Learning --------------------------------------------------------- */

static bool bit(const uint8_t *v, uint32_t i)
{
    return v[i / 8] >> (i % 8) & 1;
}

/* Host 0 is sent alone until it comes back: a controller may drop
 * Packet-Ins until it has finished its own handshake (os-ken does). */
static void learn_more(struct bench_cbench *cb, struct bench_switch *sw)
{
    struct bench_cb_sw *cs = &cb->sws[sw->idx];
    if (!bit(cs->learned, 0)) {
        return;
    }
    while (cs->next_learn < cb->hosts && cs->next_learn - cs->n_learned < LEARN_WINDOW) {
        put_learn(cb, sw, cs->next_learn++);
    }
    flush(cb, sw);
}

static void learn_retry(struct bench_cbench *cb, struct bench_switch *sw, double now)
{
    struct bench_cb_sw *cs = &cb->sws[sw->idx];
    if (cs->n_learned == cb->hosts || now - cs->last_progress < RETRY_S) {
        return;
    }
    cs->last_progress = now;
    unsigned n = 0;
    for (uint32_t h = 0; h < cs->next_learn && n < LEARN_WINDOW; h++) {
        if (!bit(cs->learned, h)) {
            put_learn(cb, sw, h);
            n++;
        }
    }
    flush(cb, sw);
}

static void learned(struct bench_cbench *cb, struct bench_switch *sw, uint32_t h)
{
    struct bench_cb_sw *cs = &cb->sws[sw->idx];
    if (bit(cs->learned, h)) {
        return;
    }
    cs->learned[h / 8] |= (uint8_t)(1u << (h % 8));
    cb->n_complete += ++cs->n_learned == cb->hosts;
    cs->last_progress = bench_now();
    learn_more(cb, sw);
}

/* ---- What the controller sends ---------------------------------------- */

static void send_next(struct bench_cbench *cb, struct bench_switch *sw)
{
    struct bench_cb_sw *cs = &cb->sws[sw->idx];
    put_test(cb, sw);
    cs->waiting = true;
    cs->t_sent = bench_now();
    flush(cb, sw);
}

static uint32_t output_port(const struct of_packet_out *po)
{
    for (unsigned i = 0; i < po->actions.n; i++) {
        if (po->actions.a[i].type == OFAT_OUTPUT) {
            return po->actions.a[i].u.output.port;
        }
    }
    return 0;
}

void bench_cbench_packet_out(struct bench_switch *sw, const struct of_packet_out *po)
{
    struct bench_cbench *cb = sw->b->cb;
    struct pkt_info pi;
    uint32_t src, dst;
    if (!po->data || pkt_parse(po->data, po->data_len, &pi) != PKT_OK ||
        !host_of(cb, sw, pi.src, &src)) {
        cb->c.foreign++;
        return;
    }
    if (eth_addr_is_broadcast(pi.dst)) {
        learned(cb, sw, src);
        return;
    }
    if (!host_of(cb, sw, pi.dst, &dst)) {
        cb->c.foreign++;
        return;
    }
    uint32_t out = output_port(po);
    if (out == OFPP_FLOOD || out == OFPP_ALL) {
        cb->c.flooded++; /* it forgot the destination: not an answer */
    } else if (out != host_port(dst)) {
        cb->c.misdirected++;
    } else {
        cb->c.answered++;
    }
    struct bench_cb_sw *cs = &cb->sws[sw->idx];
    cs->po_replies++;
    if (sw->b->o.cb_mode == BENCH_CB_THROUGHPUT) {
        bench_cbench_writable(sw); /* room in the window again */
    }
    if (sw->b->o.cb_mode == BENCH_CB_LATENCY && cs->waiting && src == cs->src &&
        dst == cs->dst && cb->phase != CB_DONE) {
        cs->waiting = false;
        if (cb->phase == CB_MEASURE) {
            bench_series_add(&cb->lat, (bench_now() - cs->t_sent) * 1e3);
        }
        send_next(cb, sw);
    }
}

void bench_cbench_flow_mod(struct bench_switch *sw, const struct of_flow_mod *fm)
{
    struct bench_cbench *cb = sw->b->cb;
    uint32_t h;
    if (fm->command == OFPFC_ADD && of_match_has(&fm->match, OFF_ETH_DST) &&
        host_of(cb, sw, fm->match.value[OFF_ETH_DST].mac, &h)) {
        cb->c.flow_mods_hosts++;
        cb->sws[sw->idx].fm_replies++;
    } else {
        cb->c.flow_mods_other++; /* table-miss, delete-all, ... */
    }
}

void bench_cbench_writable(struct bench_switch *sw)
{
    struct bench_cbench *cb = sw->b->cb;
    if (sw->b->o.cb_mode != BENCH_CB_THROUGHPUT ||
        (cb->phase != CB_WARMUP && cb->phase != CB_MEASURE)) {
        return;
    }
    size_t queued = evbuffer_get_length(bufferevent_get_output(sw->bev));
    struct bench_cb_sw *cs = &cb->sws[sw->idx];
    uint64_t replies = cs->po_replies > cs->fm_replies ? cs->po_replies : cs->fm_replies;
    while (queued + cb->out.len < FILL_HIGH && cs->seq - replies < IN_FLIGHT_MAX) {
        put_test(cb, sw);
    }
    flush(cb, sw);
}

/* ---- Phases ----------------------------------------------------------- */

static bool all_ready(struct bench *b, void *arg)
{
    return b->n_handshaken + b->n_lost_early == b->n_sw;
}

static bool all_learned(struct bench *b, void *arg)
{
    struct bench_cbench *cb = b->cb;
    double now = bench_now();
    if (now - cb->last_tick >= 0.1) {
        cb->last_tick = now;
        for (unsigned i = 0; i < b->n_sw; i++) {
            if (!b->sw[i].closed) {
                learn_retry(cb, &b->sw[i], now);
            }
        }
    }
    return cb->n_complete == b->n_sw;
}

/* Warm-up, then the measured window; latency mode replaces lost frames. */
static bool measured(struct bench *b, void *arg)
{
    struct bench_cbench *cb = b->cb;
    double now = bench_now();
    if (cb->phase == CB_WARMUP && now >= cb->t_phase + b->o.warmup_s) {
        cb->c0 = cb->c;
        cb->phase = CB_MEASURE;
        cb->t_measure = now;
        cb->gen_cpu0 = bench_proc_cpu(getpid());
        cb->ctl_cpu0 = bench_proc_cpu(b->stat_pid);
    } else if (cb->phase == CB_MEASURE && now >= cb->t_measure + b->o.duration_s) {
        cb->phase = CB_DONE;
        cb->t_phase = now;
        return true;
    }
    if (b->o.cb_mode == BENCH_CB_LATENCY && now - cb->last_tick >= 0.1) {
        cb->last_tick = now;
        for (unsigned i = 0; i < b->n_sw; i++) {
            struct bench_cb_sw *cs = &cb->sws[i];
            if (cs->waiting && now - cs->t_sent > LOST_S && !b->sw[i].closed) {
                cb->c.lost += cb->phase == CB_MEASURE;
                send_next(cb, &b->sw[i]);
            }
        }
    }
    return false;
}

static bool phase_learn(struct bench_cbench *cb, json_t *report)
{
    struct bench *b = cb->b;
    double t0 = bench_now();
    for (unsigned i = 0; i < b->n_sw; i++) {
        struct bench_cb_sw *cs = &cb->sws[i];
        cs->last_progress = t0;
        cs->next_learn = 1;
        put_learn(cb, &b->sw[i], 0);
        flush(cb, &b->sw[i]);
    }
    bool ok = bench_run_until(b, all_learned, NULL, b->o.timeout_s);
    double dt = bench_now() - t0;
    uint64_t n = 0;
    for (unsigned i = 0; i < b->n_sw; i++) {
        n += cb->sws[i].n_learned;
    }
    json_object_set_new(report, "learn", json_pack("{s:f, s:I, s:f}", "s", round(dt * 1e3) / 1e3,
                                                   "hosts", (json_int_t)n, "per_s",
                                                   round((double)n / dt)));
    if (!ok) {
        fprintf(stderr, "matflow-bench: the controller flooded back %llu of %llu learning "
                "frames\n", (unsigned long long)n, (unsigned long long)b->n_sw * cb->hosts);
    }
    bench_log(b, "%llu hosts learned in %.3f s", (unsigned long long)n, dt);
    return ok;
}

static json_t *per_s(uint64_t n, double dt)
{
    return json_real(round((double)n / dt));
}

static struct cb_counts counts_since(const struct cb_counts *a, const struct cb_counts *b)
{
    return (struct cb_counts){
        .sent = a->sent - b->sent,
        .answered = a->answered - b->answered,
        .flooded = a->flooded - b->flooded,
        .misdirected = a->misdirected - b->misdirected,
        .foreign = a->foreign - b->foreign,
        .lost = a->lost - b->lost,
        .flow_mods_hosts = a->flow_mods_hosts - b->flow_mods_hosts,
        .flow_mods_other = a->flow_mods_other - b->flow_mods_other,
    };
}

static void phase_measure(struct bench_cbench *cb, json_t *report)
{
    struct bench *b = cb->b;
    cb->phase = CB_WARMUP;
    cb->t_phase = bench_now();
    for (unsigned i = 0; i < b->n_sw; i++) {
        struct bench_switch *sw = &b->sw[i];
        if (sw->closed) {
            continue;
        }
        if (b->o.cb_mode == BENCH_CB_THROUGHPUT) {
            bufferevent_setwatermark(sw->bev, EV_WRITE, FILL_LOW, 0);
            bench_cbench_writable(sw);
        } else {
            send_next(cb, sw);
        }
    }
    bench_run_until(b, measured, NULL, b->o.warmup_s + b->o.duration_s + 5);
    double dt = cb->t_phase - cb->t_measure;
    double gen_cpu = bench_proc_cpu(getpid()) - cb->gen_cpu0;
    double ctl_cpu = bench_proc_cpu(b->stat_pid) - cb->ctl_cpu0;
    struct cb_counts d = counts_since(&cb->c, &cb->c0);
    json_t *r = json_object();
    json_object_set_new(r, "seconds", json_real(round(dt * 1e3) / 1e3));
    json_object_set_new(r, "responses_per_s", per_s(d.answered, dt));
    json_object_set_new(r, "flow_mods_per_s", per_s(d.flow_mods_hosts, dt));
    json_object_set_new(r, "packet_ins_sent_per_s", per_s(d.sent, dt));
    json_object_set_new(r, "answered", json_integer((json_int_t)d.answered));
    json_object_set_new(r, "flooded", json_integer((json_int_t)d.flooded));
    json_object_set_new(r, "misdirected", json_integer((json_int_t)d.misdirected));
    json_object_set_new(r, "foreign", json_integer((json_int_t)d.foreign));
    json_object_set_new(r, "other_flow_mods", json_integer((json_int_t)d.flow_mods_other));
    if (b->o.cb_mode == BENCH_CB_LATENCY) {
        json_object_set_new(r, "lost", json_integer((json_int_t)d.lost));
        json_object_set_new(r, "latency_ms", bench_series_json(&cb->lat));
    }
    /* The generator at 100% of its core would measure itself. */
    json_object_set_new(r, "generator_cpu_share", json_real(round(gen_cpu / dt * 100) / 100));
    if (cb->ctl_cpu0 >= 0) {
        json_object_set_new(r, "controller_cpu_share", json_real(round(ctl_cpu / dt * 100) / 100));
    }
    json_object_set_new(report, "result", r);
}

/* ---- The run ---------------------------------------------------------- */

static void print_text(const json_t *report)
{
    const json_t *p = json_object_get(report, "params"), *r = json_object_get(report, "result");
    const json_t *l = json_object_get(report, "learn"), *lat = json_object_get(r, "latency_ms");
    printf("matflow-bench cbench %s: %s, OpenFlow %s, %lld switches x %lld hosts\n",
           json_string_value(json_object_get(p, "mode")),
           json_string_value(json_object_get(p, "controller")),
           json_string_value(json_object_get(p, "of_version")),
           json_integer_value(json_object_get(p, "switches")),
           json_integer_value(json_object_get(p, "hosts")));
    printf("  learn: %.0f hosts in %.3f s\n", json_number_value(json_object_get(l, "hosts")),
           json_number_value(json_object_get(l, "s")));
    if (!r) {
        return;
    }
    printf("  responses/s %.0f  flow-mods/s %.0f  packet-ins sent/s %.0f  (flooded %lld, "
           "misdirected %lld)\n",
           json_number_value(json_object_get(r, "responses_per_s")),
           json_number_value(json_object_get(r, "flow_mods_per_s")),
           json_number_value(json_object_get(r, "packet_ins_sent_per_s")),
           json_integer_value(json_object_get(r, "flooded")),
           json_integer_value(json_object_get(r, "misdirected")));
    if (lat && json_integer_value(json_object_get(lat, "n")) > 0) {
        printf("  latency p50 %.3f  p99 %.3f ms (n=%lld, lost %lld)\n",
               json_number_value(json_object_get(lat, "p50")),
               json_number_value(json_object_get(lat, "p99")),
               json_integer_value(json_object_get(lat, "n")),
               json_integer_value(json_object_get(r, "lost")));
    }
    printf("  CPU share: generator %.2f, controller %.2f\n",
           json_number_value(json_object_get(r, "generator_cpu_share")),
           json_number_value(json_object_get(r, "controller_cpu_share")));
}

static bool cb_init(struct bench_cbench *cb, struct bench *b)
{
    cb->b = b;
    /* A multiple of the port count, so that a pair never shares a port. */
    cb->hosts = (b->o.macs + BENCH_CB_PORTS - 1) / BENCH_CB_PORTS * BENCH_CB_PORTS;
    cb->steps = (cb->hosts - 2) / BENCH_CB_PORTS + 1;
    obuf_init(&cb->out);
    cb->sws = calloc(b->n_sw, sizeof *cb->sws);
    if (!cb->sws || !build_templates(cb)) {
        return false;
    }
    for (unsigned i = 0; i < b->n_sw; i++) {
        cb->sws[i].learned = calloc(cb->hosts / 8 + 1, 1);
        if (!cb->sws[i].learned) {
            return false;
        }
    }
    return true;
}

static void cb_free(struct bench_cbench *cb)
{
    for (unsigned i = 0; cb->sws && i < cb->b->n_sw; i++) {
        free(cb->sws[i].learned);
    }
    free(cb->sws);
    for (unsigned p = 0; p < BENCH_CB_PORTS; p++) {
        obuf_free(&cb->tmpl[p]);
    }
    obuf_free(&cb->out);
    bench_series_free(&cb->lat);
}

int bench_cbench_run(struct bench *b)
{
    static struct bench_cbench cb;
    b->n_sw = b->o.switches;
    b->cb = &cb;
    b->stat_pid = b->o.pid;
    int rc = 1;
    bool init_ok = cb_init(&cb, b);
    json_t *report = json_object();
    json_object_set_new(
        report, "params",
        json_pack("{s:s, s:s, s:s, s:i, s:i, s:f, s:f}", "mode",
                  b->o.cb_mode == BENCH_CB_THROUGHPUT ? "throughput" : "latency", "controller",
                  b->o.connect, "of_version", b->o.of_version == OF_VERSION_1_0 ? "1.0" : "1.3",
                  "switches", (int)b->n_sw, "hosts", (int)cb.hosts, "warmup_s", b->o.warmup_s,
                  "duration_s", b->o.duration_s));
    if (!init_ok) {
        fprintf(stderr, "matflow-bench: cannot set up the cbench switches\n");
        goto out;
    }
    if (!bench_switches_start(b) || !bench_run_until(b, all_ready, NULL, b->o.timeout_s) ||
        b->n_closed) {
        fprintf(stderr, "matflow-bench: %u of %u switches got through the handshake, %u "
                "closed (%llu refused our OpenFlow version)\n", b->n_handshaken, b->n_sw,
                b->n_closed, (unsigned long long)b->version_refused);
        goto out;
    }
    if (phase_learn(&cb, report)) {
        phase_measure(&cb, report);
        rc = b->n_closed ? 1 : 0;
    }
out:
    json_object_set_new(report, "generator",
                        json_pack("{s:I, s:I, s:I, s:i}", "errors_received",
                                  (json_int_t)b->errors_in, "undecodable_received",
                                  (json_int_t)b->undecodable, "version_refused",
                                  (json_int_t)b->version_refused, "connections_closed",
                                  (int)b->n_closed));
    bench_switches_stop(b);
    if (b->o.out_json && json_dump_file(report, b->o.out_json, JSON_INDENT(2)) != 0) {
        fprintf(stderr, "matflow-bench: cannot write %s\n", b->o.out_json);
    }
    if (b->o.json) {
        json_dumpf(report, stdout, JSON_INDENT(2));
        printf("\n");
    } else {
        print_text(report);
    }
    json_decref(report);
    cb_free(&cb);
    b->cb = NULL;
    return rc;
}
