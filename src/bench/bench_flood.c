/* bench_flood.c - --flood RATE[:KIND]: one site switch sends RARP and/or
 * gratuitous-ARP Packet-Ins from one hypervisor port at RATE per second,
 * paced by a timer, from before the mover's first move until its last
 * measured one; the mover goes back and forth between two other sites. The
 * moves' latency is then that of the other sites' updates under the flood,
 * to be set against a run with --flood 0 (the same timeline, nothing sent):
 * what matflowd's per-port limit on these Packet-Ins is meant to keep
 * within 2 x.
 *
 * The frames, in turn (a fixed seed: every run sends the same ones):
 *   rarp   QEMU's RARP (bench_inject_rarp's format); every other one
 *          carries the MAC of a node that is at the flooding site already
 *          (matflowd: a duplicate announcement), the others a random
 *          locally administered MAC (matflowd: unknown node)
 *   arp    gratuitous ARP requests (SPA = TPA), alternating the same way:
 *          a known node's MAC with its HoA, or a random MAC with a random
 *          address of 198.18.0.0/15 (RFC 2544's benchmarking range: in no
 *          site's prefix, so matflowd learns nothing from it)
 *   mixed  rarp and arp alternating, each as above
 * A known node's MAC sent from another site than the node's (a hijack
 * attempt) is left out: each such frame starts a real update (probe,
 * receiving side), and the run would measure a mass migration instead.
 *
 * The switch keeps at most FLOOD_MAX_BACKLOG bytes queued for the
 * controller and drops the rest, as a switch drops Packet-Ins its
 * controller does not read; those drops are counted, never made up. Its
 * answers to matflowd (barriers the moves wait for) queue behind the flood,
 * as they would on a real switch's connection.
 *
 * matflowd's side: its `stats` before the flood and after it has read what
 * was sent, as deltas; `reject_rate_limited` (the per-port limit's count)
 * is reported absent, not as a failure, by a matflowd without it. */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "pkt/pkt.h"

#define FLOOD_TICK_US 1000          /* finer costs a wake-up per frame at 10,000/s */
#define FLOOD_MAX_LATE_S 0.01       /* a late tick sends at most this much of the schedule */
#define FLOOD_MAX_BACKLOG (256 * 1024) /* bytes: ~2,700 Packet-Ins of a RARP */
#define FLOOD_MAX_KNOWN 256
#define FLOOD_MAX_RATE 1000000u
#define FLOOD_NET 0xc6120000u       /* 198.18.0.0/15 */
#define FLOOD_DRAIN_S 5.0           /* at most, for matflowd to read the rest */
#define FLOOD_QUIET_S 0.25          /* its Packet-In count unchanged this long: drained */

struct bench_flood {
    unsigned site, port, mover_a, mover_b;
    uint32_t known[FLOOD_MAX_KNOWN]; /* nodes at the flooding site */
    unsigned n_known, next_known;
    struct event *timer;
    bool running;
    double t_start, t_measure, t_stop;
    uint64_t seq; /* frames due so far: sent, dropped or skipped */
    uint64_t sent, sent_rarp, sent_arp, sent_known, dropped, skipped, sent_at_measure;
    size_t max_backlog;
    uint64_t rng;
    json_t *stats0;
    uint64_t pins0, pins1;   /* every Packet-In the generator sent */
    uint64_t rarps0, rarps1; /* the nodes' own RARPs among them */
    double gen_cpu0, gen_cpu, daemon_cpu0, daemon_cpu;
};

static const char *const kind_names[] = {"rarp", "arp", "mixed"};
static const struct eth_addr broadcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

bool bench_flood_parse(const char *spec, struct bench_opts *o)
{
    char rate[16];
    const char *colon = strchr(spec, ':');
    size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
    if (n == 0 || n >= sizeof rate) {
        return false;
    }
    memcpy(rate, spec, n);
    rate[n] = '\0';
    char *end;
    unsigned long v = strtoul(rate, &end, 10);
    if (*end != '\0' || rate[0] == '-' || v > FLOOD_MAX_RATE) {
        return false;
    }
    const char *kind = colon ? colon + 1 : "rarp";
    size_t k;
    for (k = 0; k < sizeof kind_names / sizeof kind_names[0]; k++) {
        if (!strcmp(kind, kind_names[k])) {
            break;
        }
    }
    if (k == sizeof kind_names / sizeof kind_names[0]) {
        return false;
    }
    o->flood = true;
    o->flood_rate = (unsigned)v;
    o->flood_kind = (enum bench_flood_kind)k;
    return true;
}

/* The mover's two sites, as phase_moves picks them, and the flooding site:
 * the one before the mover's home, or with three sites the home itself
 * (the mover never returns there: it alternates between the other two). */
static unsigned pick_sites(const struct bench *b, unsigned *a, unsigned *c)
{
    unsigned h = b->nodes[b->o.bindings].home, s = b->n_sites;
    *a = (h + 1) % s;
    *c = (h + 2) % s;
    unsigned f = (h + s - 1) % s;
    return f != *a && f != *c ? f : h;
}

bool bench_flood_check(const struct bench *b)
{
    if (!b->o.flood) {
        return true;
    }
    if (!b->o.moves) {
        fprintf(stderr, "matflow-bench: --flood measures the moves: it needs --moves 1 or more\n");
        return false;
    }
    if (b->n_sites < 3) {
        fprintf(stderr, "matflow-bench: --flood needs 3 sites or more (two for the mover, one "
                "to flood from)\n");
        return false;
    }
    return true;
}

void bench_flood_params(const struct bench *b, json_t *params)
{
    if (!b->o.flood) {
        return;
    }
    json_object_set_new(params, "flood_rate", json_integer(b->o.flood_rate));
    json_object_set_new(params, "flood_kind", json_string(kind_names[b->o.flood_kind]));
    json_object_set_new(params, "flood_warmup_s", json_real(b->o.flood_warmup_s));
}

/* xorshift64*: cheap, and the same sequence every run. */
static uint64_t next_rand(struct bench_flood *f)
{
    f->rng ^= f->rng >> 12;
    f->rng ^= f->rng << 25;
    f->rng ^= f->rng >> 27;
    return f->rng * 0x2545f4914f6cdd1dull;
}

static struct eth_addr random_mac(struct bench_flood *f)
{
    uint64_t r = next_rand(f);
    /* 06: locally administered, unicast; the nodes' MACs start 52:54:00. */
    return (struct eth_addr){{0x06, (uint8_t)(r >> 8), (uint8_t)(r >> 16), (uint8_t)(r >> 24),
                              (uint8_t)(r >> 32), (uint8_t)(r >> 40)}};
}

static uint64_t total_packet_ins(const struct bench *b)
{
    uint64_t n = 0;
    for (unsigned i = 0; b->sw && i < b->n_sw; i++) {
        n += b->sw[i].packet_ins;
    }
    return n;
}

/* One frame of the schedule: built and queued, or dropped at a full queue. */
static void send_one(struct bench *b, struct bench_flood *f)
{
    struct bench_switch *sw = &b->sw[f->site];
    if (sw->closed || !sw->bev) {
        f->dropped++;
        return;
    }
    size_t q = evbuffer_get_length(bufferevent_get_output(sw->bev));
    if (q > f->max_backlog) {
        f->max_backlog = q;
    }
    if (q >= FLOOD_MAX_BACKLOG) {
        f->dropped++;
        return;
    }
    bool arp = b->o.flood_kind == BENCH_FLOOD_ARP ||
               (b->o.flood_kind == BENCH_FLOOD_MIXED && (f->seq & 1));
    uint64_t turn = b->o.flood_kind == BENCH_FLOOD_MIXED ? f->seq >> 1 : f->seq;
    bool known = f->n_known && (turn & 1) == 0;
    struct eth_addr mac;
    uint32_t ip;
    if (known) {
        const struct bench_node *nd = &b->nodes[f->known[f->next_known++ % f->n_known]];
        mac = nd->mac;
        ip = nd->hoa;
    } else {
        mac = random_mac(f);
        ip = FLOOD_NET | (uint32_t)(next_rand(f) & 0x1ffff);
    }
    uint8_t frame[64];
    size_t len = arp ? pkt_build_arp(frame, sizeof frame, broadcast, mac, PKT_ARP_OP_REQUEST, mac,
                                     ip, (struct eth_addr){{0}}, ip)
                     : pkt_build_rarp(frame, sizeof frame, mac);
    if (!len) {
        f->dropped++;
        return;
    }
    bench_send_packet_in(sw, f->port, frame, len, false);
    f->sent++;
    f->sent_arp += arp;
    f->sent_rarp += !arp;
    f->sent_known += known;
}

/* Sends what is due by now. After a late tick (the loop held up by the
 * generator's own work) at most FLOOD_MAX_LATE_S of the schedule goes out
 * at once; the rest is counted as skipped, so the achieved rate shows it. */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct bench *b = arg;
    struct bench_flood *f = b->flood;
    uint64_t due = (uint64_t)((bench_now() - f->t_start) * b->o.flood_rate);
    uint64_t burst = (uint64_t)(b->o.flood_rate * FLOOD_MAX_LATE_S) + 1;
    if (due > f->seq + burst) {
        f->skipped += due - f->seq - burst;
        f->seq = due - burst;
    }
    while (f->seq < due) {
        send_one(b, f);
        f->seq++;
    }
}

static bool time_reached(struct bench *b, void *arg)
{
    return bench_now() >= *(double *)arg;
}

bool bench_flood_start(struct bench *b)
{
    if (!b->o.flood) {
        return true;
    }
    struct bench_flood *f = calloc(1, sizeof *f);
    if (!f) {
        abort();
    }
    b->flood = f;
    f->site = pick_sites(b, &f->mover_a, &f->mover_b);
    f->port = BENCH_HV_FIRST;
    f->rng = 0x9e3779b97f4a7c15ull;
    uint32_t mover = b->o.bindings;
    for (uint32_t j = 0; j < b->n_nodes && f->n_known < FLOOD_MAX_KNOWN; j++) {
        if (j != mover && b->nodes[j].site == f->site) {
            f->known[f->n_known++] = j;
        }
    }
    struct bench_switch *sw = &b->sw[f->site];
    if (!sw->handshaken || sw->closed) {
        fprintf(stderr, "matflow-bench: the flooding switch (dpid %llu) is not connected\n",
                (unsigned long long)sw->dpid);
        return false;
    }
    f->stats0 = bench_api(b, "stats");
    f->pins0 = total_packet_ins(b);
    f->rarps0 = b->n_rarps;
    f->gen_cpu0 = bench_proc_cpu(getpid());
    f->daemon_cpu0 = bench_daemon_cpu(b);
    f->t_start = bench_now();
    if (b->o.flood_rate) {
        f->timer = event_new(b->base, -1, EV_PERSIST, on_tick, b);
        struct timeval tv = {0, FLOOD_TICK_US};
        if (!f->timer || event_add(f->timer, &tv) != 0) {
            abort();
        }
    }
    f->running = true;
    bench_log(b, "flood: %u/s %s from site%u port %u (%u known MACs); the mover uses site%u and "
              "site%u", b->o.flood_rate, kind_names[b->o.flood_kind], f->site + 1, f->port,
              f->n_known, f->mover_a + 1, f->mover_b + 1);
    double until = f->t_start + b->o.flood_warmup_s;
    bench_run_until(b, time_reached, &until, b->o.flood_warmup_s + 1);
    f->t_measure = bench_now();
    f->sent_at_measure = f->sent;
    return true;
}

void bench_flood_stop(struct bench *b)
{
    struct bench_flood *f = b->flood;
    if (!f || !f->running) {
        return;
    }
    if (f->timer) {
        event_free(f->timer);
        f->timer = NULL;
    }
    f->running = false;
    f->t_stop = bench_now();
    f->pins1 = total_packet_ins(b);
    f->rarps1 = b->n_rarps;
    double g = bench_proc_cpu(getpid()), d = bench_daemon_cpu(b);
    f->gen_cpu = f->gen_cpu0 >= 0 && g >= 0 ? g - f->gen_cpu0 : -1;
    f->daemon_cpu = f->daemon_cpu0 >= 0 && d >= 0 ? d - f->daemon_cpu0 : -1;
}

static long long stat_int(const json_t *stats, const char *group, const char *name)
{
    const json_t *v = group ? json_object_get(json_object_get(stats, group), name)
                            : json_object_get(stats, name);
    return json_is_integer(v) ? json_integer_value(v) : -1;
}

/* Drained: matflowd has counted every Packet-In sent since the flood began,
 * or its count has not moved for FLOOD_QUIET_S (what it dropped unread, if
 * it ever does, is not waited for). Polls between loop passes. */
struct drain {
    struct bench_flood *f;
    long long want, last;
    double t_last_change, t_last_poll;
};

static bool drained(struct bench *b, void *arg)
{
    struct drain *d = arg;
    double now = bench_now();
    if (now - d->t_last_poll < 0.05) {
        return false;
    }
    d->t_last_poll = now;
    json_t *st = bench_api(b, "stats");
    long long n = stat_int(st, NULL, "packet_ins");
    json_decref(st);
    if (n < 0) {
        return true; /* nothing to wait on */
    }
    if (n >= d->want) {
        return true;
    }
    if (n != d->last) {
        d->last = n;
        d->t_last_change = now;
    }
    return now - d->t_last_change >= FLOOD_QUIET_S;
}

static json_t *round_json(double v, double scale)
{
    return json_real(round(v * scale) / scale);
}

/* The daemon's figures: deltas of its counters over the flood. */
static json_t *daemon_part(const struct bench_flood *f, json_t *st1, bool drain_ok)
{
    json_t *d = json_object();
    if (!f->stats0 || !st1) {
        json_object_set_new(d, "error", json_string("stats unavailable"));
        return d;
    }
    json_object_set_new(d, "drained", json_boolean(drain_ok));
    long long p0 = stat_int(f->stats0, NULL, "packet_ins"), p1 = stat_int(st1, NULL, "packet_ins");
    if (p0 >= 0 && p1 >= 0) {
        long long others = (long long)(f->pins1 - f->pins0 - f->sent);
        json_object_set_new(d, "packet_ins", json_integer(p1 - p0));
        json_object_set_new(d, "flood_packet_ins", json_integer(p1 - p0 - others));
    }
    /* Every mobility figure that is an integer in both, as a delta (the
     * gauges among them, bindings and table bytes, too). */
    json_t *all = json_object();
    json_t *m1 = json_object_get(st1, "mobility");
    const char *key;
    json_t *v1;
    json_object_foreach(m1, key, v1) {
        long long a = stat_int(f->stats0, "mobility", key);
        if (json_is_integer(v1) && a >= 0) {
            json_object_set_new(all, key, json_integer(json_integer_value(v1) - a));
        }
    }
    long long rarp = json_integer_value(json_object_get(all, "rarp_in"));
    if (json_object_get(all, "rarp_in")) {
        json_object_set_new(d, "flood_rarp_in",
                            json_integer(rarp - (long long)(f->rarps1 - f->rarps0)));
    }
    static const char *const shown[] = {"garp_in", "reject_unknown_mac",
                                        "duplicate_announcement", "updates_started"};
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++) {
        json_t *v = json_object_get(all, shown[i]);
        if (v) {
            json_object_set(d, shown[i], v);
        }
    }
    json_t *rl = json_object_get(all, "reject_rate_limited");
    json_object_set_new(d, "reject_rate_limited_present", json_boolean(rl != NULL));
    json_object_set(d, "reject_rate_limited", rl ? rl : json_null());
    json_object_set_new(d, "mobility_delta", all);
    return d;
}

void bench_flood_report(struct bench *b, json_t *report)
{
    struct bench_flood *f = b->flood;
    if (!f) {
        return;
    }
    if (f->t_start == 0) { /* bench_flood_start refused: nothing to report */
        json_object_set_new(report, "flood", json_pack("{s:s}", "error", "not started"));
        return;
    }
    bench_flood_stop(b);
    struct drain dr = {f, stat_int(f->stats0, NULL, "packet_ins"), -1, bench_now(), 0};
    if (dr.want >= 0) {
        dr.want += (long long)(f->pins1 - f->pins0);
    }
    bool drain_ok = bench_run_until(b, drained, &dr, FLOOD_DRAIN_S);
    json_t *st1 = bench_api(b, "stats");
    double dur = f->t_stop - f->t_start, moving = f->t_stop - f->t_measure;
    json_t *o = json_object();
    json_object_set_new(o, "rate_per_s", json_integer(b->o.flood_rate));
    json_object_set_new(o, "kind", json_string(kind_names[b->o.flood_kind]));
    json_object_set_new(o, "site", json_integer(f->site + 1));
    json_object_set_new(o, "dpid", json_integer((json_int_t)b->sw[f->site].dpid));
    json_object_set_new(o, "port", json_integer(f->port));
    json_object_set_new(o, "mover_sites", json_pack("[i, i]", f->mover_a + 1, f->mover_b + 1));
    json_object_set_new(o, "known_macs", json_integer(f->n_known));
    json_object_set_new(o, "warmup_s", round_json(f->t_measure - f->t_start, 1e3));
    json_object_set_new(o, "duration_s", round_json(dur, 1e3));
    json_object_set_new(o, "sent", json_integer((json_int_t)f->sent));
    json_object_set_new(o, "sent_rarp", json_integer((json_int_t)f->sent_rarp));
    json_object_set_new(o, "sent_arp", json_integer((json_int_t)f->sent_arp));
    json_object_set_new(o, "sent_known_mac", json_integer((json_int_t)f->sent_known));
    json_object_set_new(o, "achieved_per_s", round_json(dur > 0 ? f->sent / dur : 0, 1));
    json_object_set_new(o, "during_moves_s", round_json(moving, 1e3));
    json_object_set_new(o, "achieved_during_moves_per_s",
                        round_json(moving > 0 ? (f->sent - f->sent_at_measure) / moving : 0, 1));
    json_object_set_new(o, "dropped_backlog_full", json_integer((json_int_t)f->dropped));
    json_object_set_new(o, "skipped_late", json_integer((json_int_t)f->skipped));
    json_object_set_new(o, "max_backlog_bytes", json_integer((json_int_t)f->max_backlog));
    if (f->gen_cpu >= 0) {
        json_object_set_new(o, "generator_cpu_s", round_json(f->gen_cpu, 1e3));
    }
    if (f->daemon_cpu >= 0) {
        json_object_set_new(o, "daemon_cpu_s", round_json(f->daemon_cpu, 1e3));
    }
    json_object_set_new(o, "daemon", daemon_part(f, st1, drain_ok));
    json_decref(st1);
    json_object_set_new(report, "flood", o);
    bench_log(b, "flood: %llu sent in %.3f s", (unsigned long long)f->sent, dur);
}

void bench_flood_free(struct bench *b)
{
    struct bench_flood *f = b->flood;
    if (!f) {
        return;
    }
    if (f->timer) {
        event_free(f->timer);
    }
    json_decref(f->stats0);
    free(f);
    b->flood = NULL;
}

static double num(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static void print_count(const char *name, const json_t *o, const char *key)
{
    double v = num(o, key);
    if (!isnan(v)) {
        printf("  %-34s %.0f\n", name, v);
    }
}

void bench_flood_print(const json_t *r)
{
    const json_t *f = json_object_get(r, "flood");
    if (!f) {
        return;
    }
    const char *err = json_string_value(json_object_get(f, "error"));
    if (err) {
        printf(" flood: %s\n", err);
        return;
    }
    const json_t *ms = json_object_get(f, "mover_sites");
    printf(" flood: %.0f/s %s from site%.0f port %.0f (%.0f known MACs); the moves above: "
           "site%.0f <-> site%.0f\n",
           num(f, "rate_per_s"), json_string_value(json_object_get(f, "kind")), num(f, "site"),
           num(f, "port"), num(f, "known_macs"), json_number_value(json_array_get(ms, 0)),
           json_number_value(json_array_get(ms, 1)));
    printf("  %-34s %.0f (%.0f RARP, %.0f ARP; %.0f with a known MAC)\n", "Packet-Ins sent",
           num(f, "sent"), num(f, "sent_rarp"), num(f, "sent_arp"), num(f, "sent_known_mac"));
    printf("  %-34s %.0f /s over %.3f s (during the moves %.0f /s over %.3f s)\n",
           "achieved rate", num(f, "achieved_per_s"), num(f, "duration_s"),
           num(f, "achieved_during_moves_per_s"), num(f, "during_moves_s"));
    print_count("not sent: switch queue full", f, "dropped_backlog_full");
    print_count("not sent: generator late", f, "skipped_late");
    print_count("largest queue to matflowd (bytes)", f, "max_backlog_bytes");
    if (!isnan(num(f, "generator_cpu_s"))) {
        printf("  %-34s %.3f s\n", "generator CPU during the flood", num(f, "generator_cpu_s"));
    }
    if (!isnan(num(f, "daemon_cpu_s"))) {
        printf("  %-34s %.3f s\n", "daemon CPU during the flood", num(f, "daemon_cpu_s"));
    }
    const json_t *d = json_object_get(f, "daemon");
    err = json_string_value(json_object_get(d, "error"));
    if (err) {
        printf("  matflowd's counters: %s\n", err);
        return;
    }
    print_count("matflowd: flood Packet-Ins counted", d, "flood_packet_ins");
    print_count("matflowd: rarp_in (the flood's)", d, "flood_rarp_in");
    print_count("matflowd: garp_in", d, "garp_in");
    print_count("matflowd: reject_unknown_mac", d, "reject_unknown_mac");
    print_count("matflowd: duplicate_announcement", d, "duplicate_announcement");
    if (json_is_true(json_object_get(d, "reject_rate_limited_present"))) {
        print_count("matflowd: reject_rate_limited", d, "reject_rate_limited");
    } else {
        printf("  %-34s absent (this matflowd has no such counter)\n",
               "matflowd: reject_rate_limited");
    }
    if (json_is_false(json_object_get(d, "drained"))) {
        printf("  (matflowd had not counted every Packet-In sent when the counters were read)\n");
    }
}
