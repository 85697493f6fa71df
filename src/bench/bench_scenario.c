/* bench_scenario.c - one benchmark run, phase by phase:
 *
 *   connect   N switches connect; the site switches are reconciled
 *   learn     every node ARPs at home: M background nodes, the mover, the
 *             mass nodes (Packet-In handling rate, CPU per Packet-In)
 *   away      the M background nodes move to the next site, W at a time, so
 *             their rules sit in every switch (memory per binding)
 *   moves     the mover goes back and forth between two sites, K times, one
 *             update at a time (latency at the generator and in matflowd)
 *   mass      the mass nodes all move at once (time to all complete,
 *             flow-mods per second received)
 *
 * Node j lives at home site j % S; the mover is node M, the mass nodes
 * follow it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"

#define MOVE_TIMEOUT_S 10.0
#define MAX_FAILED_MOVES 3

static bool all_connected(struct bench *b, void *arg)
{
    return b->n_handshaken + b->n_lost_early == b->n_sw && b->n_reconciled == b->n_sites;
}

static bool learned(struct bench *b, void *arg)
{
    static double last;
    double now = bench_now();
    if (now - last < 0.005) {
        return false;
    }
    last = now;
    return bench_api_counter(b, "hosts_learned") >= *(long long *)arg;
}

static bool clean_count_reached(struct bench *b, void *arg)
{
    bench_track_sweep(b, bench_now());
    return b->n_clean_done >= *(unsigned *)arg;
}

static const char *jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static double ms(double s)
{
    return round(s * 1e6) / 1e3;
}

static bool phase_connect(struct bench *b, json_t *setup)
{
    double t = bench_now();
    if (!bench_switches_start(b) || !bench_run_until(b, all_connected, NULL, b->o.timeout_s)) {
        fprintf(stderr, "matflow-bench: %u of %u switches ready, %u of %u sites reconciled\n",
                b->n_handshaken, b->n_sw, b->n_reconciled, b->n_sites);
        return false;
    }
    if (b->n_lost_early) {
        fprintf(stderr, "matflow-bench: %u connections lost during the handshake\n",
                b->n_lost_early);
        return false;
    }
    json_object_set_new(setup, "connect_s", json_real(round((bench_now() - t) * 1e3) / 1e3));
    bench_log(b, "%u switches connected, %u sites reconciled", b->n_handshaken, b->n_reconciled);
    return true;
}

static bool phase_learn(struct bench *b, json_t *setup)
{
    double cpu0 = bench_daemon_cpu(b), t = bench_now();
    for (uint32_t j = 0; j < b->n_nodes; j++) {
        bench_inject_learn(b, j);
    }
    long long want = b->n_nodes;
    if (!bench_run_until(b, learned, &want, b->o.timeout_s)) {
        fprintf(stderr, "matflow-bench: matflowd learned %lld of %u nodes\n",
                bench_api_counter(b, "hosts_learned"), b->n_nodes);
        return false;
    }
    double dt = bench_now() - t, cpu = bench_daemon_cpu(b) - cpu0;
    json_object_set_new(setup, "learn_s", json_real(round(dt * 1e3) / 1e3));
    json_object_set_new(setup, "learn_per_s", json_real(round(b->n_nodes / dt)));
    if (cpu0 >= 0 && b->n_nodes) {
        json_object_set_new(setup, "cpu_ms_per_packet_in",
                            json_real(round(cpu / b->n_nodes * 1e6) / 1e3));
    }
    bench_log(b, "%u nodes learned in %.3f s", b->n_nodes, dt);
    return true;
}

static bool sent_count_reached(struct bench *b, void *arg)
{
    return b->n_sent_done >= *(unsigned *)arg;
}

/* Moves nodes [first, first + count) from home to the next site, `window`
 * in flight. A move from home has nothing to clean up (no rule of the
 * node is in any switch before it), so a move counts as done once every
 * switch has its sending side. */
static bool move_many(struct bench *b, uint32_t first, uint32_t count, unsigned window)
{
    uint32_t next = first, end = first + count;
    unsigned base = b->n_sent_done;
    while (b->n_sent_done - base < count) {
        while (next < end && next - first - (b->n_sent_done - base) < window) {
            struct bench_node *nd = &b->nodes[next];
            bench_track_begin(b, next);
            bench_inject_rarp(b, next, (nd->site + 1) % b->n_sites);
            next++;
        }
        unsigned want = b->n_sent_done + 1;
        if (!bench_run_until(b, sent_count_reached, &want, MOVE_TIMEOUT_S)) {
            fprintf(stderr, "matflow-bench: set-up stalled: %u of %u moves complete\n",
                    b->n_sent_done - base, count);
            return false;
        }
    }
    for (uint32_t j = first; j < end; j++) {
        bench_track_end(b, j);
    }
    return true;
}

static bool phase_away(struct bench *b, json_t *setup)
{
    if (b->n_sites < 2) {
        json_object_set_new(setup, "bindings_at_home", json_true());
        bench_log(b, "one site: the %u nodes stay home", b->o.bindings);
        return true;
    }
    double t = bench_now();
    if (!move_many(b, 0, b->o.bindings, b->o.window)) {
        return false;
    }
    json_object_set_new(setup, "away_s", json_real(round((bench_now() - t) * 1e3) / 1e3));
    bench_log(b, "%u nodes away", b->o.bindings);
    return true;
}

/* The controller's figure for each measured epoch of the mover: its own
 * log ("complete in X ms"), else the events API (last 64 updates only). */
static void controller_series(struct bench *b, uint32_t mover, uint32_t first_epoch,
                              unsigned n, struct bench_series *out, json_t *mv)
{
    size_t n_ep = first_epoch + n;
    double *by_epoch = calloc(n_ep, sizeof *by_epoch);
    if (!by_epoch) {
        abort();
    }
    const char *source = "log";
    if (bench_daemon_log_completions(b, b->nodes[mover].hoa, by_epoch, n_ep) == 0) {
        source = "events";
        json_t *ev = bench_api(b, "events");
        size_t i;
        json_t *u;
        char hoa[16];
        uint32_t h = b->nodes[mover].hoa;
        snprintf(hoa, sizeof hoa, "%u.%u.%u.%u", h >> 24, (h >> 16) & 0xff, (h >> 8) & 0xff,
                 h & 0xff);
        json_array_foreach(json_object_get(ev, "updates"), i, u) {
            json_int_t epoch = json_integer_value(json_object_get(u, "epoch"));
            if (strcmp(jstr(u, "hoa"), hoa) != 0 ||
                epoch < 0 || (size_t)epoch >= n_ep) {
                continue;
            }
            size_t k;
            json_t *e;
            json_array_foreach(json_object_get(u, "events"), k, e) {
                if (!strcmp(jstr(e, "step"), "complete")) {
                    by_epoch[epoch] = json_integer_value(json_object_get(e, "t_us")) / 1e3;
                }
            }
        }
        json_decref(ev);
    }
    for (size_t e = first_epoch; e < n_ep; e++) {
        if (by_epoch[e] > 0) {
            bench_series_add(out, by_epoch[e]);
        }
    }
    json_object_set_new(mv, "controller_source", json_string(source));
    free(by_epoch);
}

/* Step times (median over the mover's updates still in the events API):
 * where the controller spends an update. */
static void controller_steps(struct bench *b, uint32_t mover, json_t *mv)
{
    static const char *const steps[] = {"probe_out", "receiving_out", "probe_reply",
                                        "sending_out", "persisted", "complete"};
    enum { N_STEPS = sizeof steps / sizeof steps[0] };
    struct bench_series s[N_STEPS] = {{0}}, last_recv = {0}, last_send = {0};
    json_t *ev = bench_api(b, "events");
    char hoa[16];
    uint32_t h = b->nodes[mover].hoa;
    snprintf(hoa, sizeof hoa, "%u.%u.%u.%u", h >> 24, (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff);
    unsigned missing_complete = 0, n_updates = 0;
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(ev, "updates"), i, u) {
        if (strcmp(jstr(u, "hoa"), hoa) != 0 ||
            !json_is_true(json_object_get(u, "complete"))) {
            continue;
        }
        n_updates++;
        bool seen_complete = false;
        double lr = -1, ls = -1;
        size_t k;
        json_t *e;
        json_array_foreach(json_object_get(u, "events"), k, e) {
            const char *step = jstr(e, "step");
            double t = json_integer_value(json_object_get(e, "t_us")) / 1e3;
            for (unsigned x = 0; x < N_STEPS; x++) {
                if (!strcmp(step, steps[x])) {
                    bench_series_add(&s[x], t);
                }
            }
            seen_complete |= !strcmp(step, "complete");
            if (!strcmp(step, "receiving_barrier")) {
                lr = t;
            } else if (!strcmp(step, "sending_barrier")) {
                ls = t;
            }
        }
        missing_complete += !seen_complete;
        if (lr >= 0) {
            bench_series_add(&last_recv, lr);
        }
        if (ls >= 0) {
            bench_series_add(&last_send, ls);
        }
    }
    json_decref(ev);
    json_t *o = json_object();
    for (unsigned x = 0; x < N_STEPS; x++) {
        json_object_set_new(o, steps[x], bench_series_json(&s[x]));
        bench_series_free(&s[x]);
    }
    json_object_set_new(o, "last_receiving_barrier", bench_series_json(&last_recv));
    json_object_set_new(o, "last_sending_barrier", bench_series_json(&last_send));
    bench_series_free(&last_recv);
    bench_series_free(&last_send);
    json_object_set_new(mv, "controller_steps_ms", o);
    json_object_set_new(mv, "events_updates", json_integer(n_updates));
    /* MOB_MAX_EVENTS caps one update's timeline: with many switches the
     * per-switch barrier steps fill it and the later steps are lost. */
    json_object_set_new(mv, "events_missing_complete", json_integer(missing_complete));
}

static bool phase_moves(struct bench *b, json_t *report)
{
    uint32_t mover = b->o.bindings;
    struct bench_node *nd = &b->nodes[mover];
    unsigned a = (nd->home + 1) % b->n_sites;
    unsigned bsite = (nd->home + 2) % b->n_sites; /* the home itself when S = 2 */
    /* Warm-up: the first move away (from home) is not measured. */
    bench_track_begin(b, mover);
    bench_inject_rarp(b, mover, a);
    unsigned want = b->n_clean_done + 1;
    if (!bench_run_until(b, clean_count_reached, &want, MOVE_TIMEOUT_S)) {
        fprintf(stderr, "matflow-bench: the mover's first move did not complete\n");
        return false;
    }
    bench_track_end(b, mover);
    struct bench_series gen = {0}, probe = {0}, ctl = {0};
    unsigned failed = 0, to_home = 0;
    uint64_t fm0 = b->flow_mods;
    double cpu0 = bench_daemon_cpu(b);
    for (unsigned k = 0; k < b->o.moves && failed < MAX_FAILED_MOVES; k++) {
        unsigned dest = nd->site == a ? bsite : a;
        to_home += dest == nd->home;
        bench_track_begin(b, mover);
        bench_inject_rarp(b, mover, dest);
        want = b->n_clean_done + 1;
        if (!bench_run_until(b, clean_count_reached, &want, MOVE_TIMEOUT_S)) {
            failed++;
            fprintf(stderr, "matflow-bench: move %u (to site%u) did not complete: %u of %u "
                    "switches confirmed the sending side\n", k + 1, dest + 1, nd->n_sent,
                    b->n_sites);
        } else {
            bench_series_add(&gen, (nd->t_sent - nd->t0) * 1e3);
            if (nd->t_probe > 0) {
                bench_series_add(&probe, (nd->t_probe - nd->t0) * 1e3);
            }
        }
        bench_track_end(b, mover);
    }
    bench_flood_stop(b); /* before the API calls below, which block the loop */
    double cpu = bench_daemon_cpu(b) - cpu0;
    unsigned done = b->o.moves - failed;
    json_t *mv = json_object();
    controller_series(b, mover, 2, b->o.moves, &ctl, mv);
    json_object_set_new(mv, "generator_ms", bench_series_json(&gen));
    json_object_set_new(mv, "probe_ms", bench_series_json(&probe));
    json_object_set_new(mv, "controller_ms", bench_series_json(&ctl));
    json_object_set_new(mv, "failed", json_integer(failed));
    json_object_set_new(mv, "to_home_moves", json_integer(to_home));
    if (cpu0 >= 0 && done) {
        json_object_set_new(mv, "cpu_ms_per_update", json_real(round(cpu / done * 1e6) / 1e3));
    }
    if (done) {
        json_object_set_new(mv, "flow_mods_per_update",
                            json_real(round((double)(b->flow_mods - fm0) / done * 10) / 10));
    }
    controller_steps(b, mover, mv);
    if (json_integer_value(json_object_get(mv, "events_missing_complete")) > 0) {
        /* The daemon's figure is then the time of the last step it kept,
         * not of the completion: not a measurement. */
        json_object_set_new(mv, "controller_ms",
                            json_pack("{s:i, s:s}", "n", 0, "invalid",
                                      "update timelines truncated (events_missing_complete)"));
    }
    json_object_set_new(report, "moves", mv);
    bench_series_free(&gen);
    bench_series_free(&probe);
    bench_series_free(&ctl);
    bench_log(b, "%u moves measured", done);
    return failed == 0;
}

/* The daemon's updates that ended either way; -1 when it does not say. */
static long long updates_settled(const struct bench *b, long long *failed)
{
    long long c = bench_api_counter(b, "updates_complete");
    *failed = bench_api_counter(b, "updates_failed");
    return c < 0 || *failed < 0 ? -1 : c + *failed;
}

/* A mass migration ends when every node's sending side is confirmed, or
 * when the daemon has ended every update (a failed one never reaches the
 * switches, so waiting for it would only wait for the timeout). */
struct mass_wait {
    unsigned want_sent, k;
    long long settled0, failed0, failed;
    double last_poll;
};

static bool mass_done(struct bench *b, void *arg)
{
    struct mass_wait *w = arg;
    double now = bench_now();
    if (b->n_sent_done >= w->want_sent) {
        return true;
    }
    if (w->settled0 < 0 || now - w->last_poll < 0.25) {
        return false;
    }
    w->last_poll = now;
    long long s = updates_settled(b, &w->failed);
    return s >= 0 && s - w->settled0 >= w->k;
}

static bool phase_mass(struct bench *b, json_t *report)
{
    uint32_t first = b->o.bindings + (b->o.moves ? 1 : 0), k = b->o.mass;
    unsigned sent0 = b->n_sent_done, clean0 = b->n_clean_done;
    uint64_t fm0 = b->flow_mods;
    struct mass_wait w = {sent0 + k, k, 0, 0, 0, 0};
    w.settled0 = updates_settled(b, &w.failed0);
    double cpu0 = bench_daemon_cpu(b), gen0 = bench_proc_cpu(getpid()), t0 = bench_now();
    for (uint32_t j = first; j < first + k; j++) {
        bench_track_begin(b, j);
        bench_inject_rarp(b, j, (b->nodes[j].site + 1) % b->n_sites);
    }
    bench_run_until(b, mass_done, &w, b->o.timeout_s);
    bool ok = b->n_sent_done >= w.want_sent;
    double t_all = bench_now() - t0;
    uint64_t fm = b->flow_mods - fm0;
    double cpu = bench_daemon_cpu(b) - cpu0, gen = bench_proc_cpu(getpid()) - gen0;
    struct bench_series per = {0};
    for (uint32_t j = first; j < first + k; j++) {
        if (b->nodes[j].sent_done) {
            bench_series_add(&per, (b->nodes[j].t_sent - b->nodes[j].t0) * 1e3);
        }
    }
    json_t *o = json_object();
    json_object_set_new(o, "nodes", json_integer(k));
    json_object_set_new(o, "completed", json_integer(b->n_sent_done - sent0));
    json_object_set_new(o, "all_complete_ms", ok ? json_real(ms(t_all)) : json_null());
    json_object_set_new(o, "ended_ms", json_real(ms(t_all)));
    if (w.settled0 >= 0) {
        updates_settled(b, &w.failed);
        json_object_set_new(o, "failed", json_integer(w.failed - w.failed0));
    }
    json_object_set_new(o, "generator_cpu_s", json_real(round(gen * 1e3) / 1e3));
    json_object_set_new(o, "flow_mods", json_integer((json_int_t)fm));
    json_object_set_new(o, "flow_mods_per_s", json_real(round((double)fm / t_all)));
    if (cpu0 >= 0) {
        json_object_set_new(o, "cpu_s", json_real(round(cpu * 1e3) / 1e3));
    }
    json_object_set_new(o, "generator_ms", bench_series_json(&per));
    json_object_set_new(report, "mass", o);
    bench_series_free(&per);
    /* Let the cleanups finish before the daemon is looked at. */
    unsigned want = clean0 + w.k - (unsigned)(w.failed - w.failed0);
    bench_run_until(b, clean_count_reached, &want, MOVE_TIMEOUT_S);
    for (uint32_t j = first; j < first + k; j++) {
        bench_track_end(b, j);
    }
    bench_log(b, "mass migration of %u nodes: %s in %.3f s", k, ok ? "complete" : "INCOMPLETE",
              t_all);
    return ok;
}

static void daemon_report(struct bench *b, json_t *report)
{
    json_t *d = json_object();
    json_t *samples = json_array();
    unsigned problems = bench_daemon_log_problems(b, samples);
    json_object_set_new(d, "log_problems", json_integer(problems));
    json_object_set_new(d, "log_samples", samples);
    if (b->log_path[0] && (b->o.keep || !b->own_workdir)) {
        json_object_set_new(d, "log", json_string(b->log_path));
    }
    json_t *st = bench_api(b, "stats");
    if (st) {
        json_object_set_new(d, "stats", st);
    }
    json_object_set_new(report, "daemon", d);
    json_object_set_new(report, "generator",
                        json_pack("{s:I, s:I, s:I, s:I, s:I, s:i}", "flow_mods",
                                  (json_int_t)b->flow_mods, "errors_received",
                                  (json_int_t)b->errors_in, "undecodable_received",
                                  (json_int_t)b->undecodable, "probes_not_answered",
                                  (json_int_t)b->probes_unknown, "unattributed_deletes",
                                  (json_int_t)b->unattributed_deletes, "connections_closed",
                                  (int)b->n_closed));
    /* Cleanups no switch showed (bench_track_sweep): the next move may have
     * started while they were still going out. */
    json_object_set_new(json_object_get(report, "generator"), "cleanups_unseen",
                        json_integer(b->n_clean_unseen));
}

/* Memory per binding, four ways: RSS and anonymous RSS deltas (what the
 * kernel sees, allocator slack included), the heap in use by the daemon's
 * own account (stats: process.heap_in_use_bytes) and the binding table's
 * own size (mobility.binding_table_bytes). */
static void memory_report(struct bench *b, json_t *setup, const struct bench_mem *m0,
                          const struct bench_mem *m1)
{
    if (m0->rss_kib >= 0 && m1->rss_kib >= 0) {
        json_object_set_new(setup, "rss_before_kib", json_integer(m0->rss_kib));
        json_object_set_new(setup, "rss_after_kib", json_integer(m1->rss_kib));
    }
    if (b->n_nodes < 100) {
        return; /* fewer are lost in the allocator's noise */
    }
    double n = b->n_nodes;
    if (m0->rss_kib >= 0 && m1->rss_kib >= 0) {
        json_object_set_new(setup, "rss_bytes_per_binding",
                            json_real(round((double)(m1->rss_kib - m0->rss_kib) * 1024 / n)));
    }
    if (m0->anon_kib >= 0 && m1->anon_kib >= 0) {
        json_object_set_new(setup, "anon_bytes_per_binding",
                            json_real(round((double)(m1->anon_kib - m0->anon_kib) * 1024 / n)));
    }
    if (m0->heap >= 0 && m1->heap >= 0) {
        json_object_set_new(setup, "heap_bytes_per_binding",
                            json_real(round((double)(m1->heap - m0->heap) / n)));
    }
    if (m0->table >= 0 && m1->table >= 0) {
        json_object_set_new(setup, "table_bytes_per_binding",
                            json_real(round((double)(m1->table - m0->table) / n)));
    }
}

static bool check_sizes(struct bench *b)
{
    bool moving = b->o.moves || b->o.mass;
    if (moving && b->n_sites < 2) {
        fprintf(stderr, "matflow-bench: moves need two sites, so --switches 2 or more\n");
        return false;
    }
    if (b->o.moves && b->n_sites < 3) {
        bench_log(b, "only 2 sites: the measured moves alternate away and home");
    }
    if (!bench_flood_check(b)) {
        return false;
    }
    /* Every node away sits in the next site's MoA pool, as large as the
     * HoA range. */
    if ((b->n_nodes + b->n_sites - 1) / b->n_sites > bench_site_capacity(b)) {
        fprintf(stderr, "matflow-bench: %u nodes over %u sites: more than %u per site\n",
                b->n_nodes, b->n_sites, bench_site_capacity(b));
        return false;
    }
    return true;
}

static void print_or_write(struct bench *b, json_t *report)
{
    if (b->o.out_json && json_dump_file(report, b->o.out_json, JSON_INDENT(2)) != 0) {
        fprintf(stderr, "matflow-bench: cannot write %s\n", b->o.out_json);
    }
    if (b->o.json) {
        json_dumpf(report, stdout, JSON_INDENT(2));
        printf("\n");
    } else {
        bench_print_report(b, report);
    }
}

int bench_scenario_run(struct bench *b)
{
    b->n_sw = b->o.switches;
    unsigned n_nodes = b->o.bindings + (b->o.moves ? 1 : 0) + b->o.mass;
    bench_sites_init(b, b->n_sw < BENCH_MAX_SITES ? b->n_sw : BENCH_MAX_SITES, n_nodes);
    bench_nodes_init(b, n_nodes);
    if (!check_sizes(b)) {
        bench_nodes_free(b);
        return 2;
    }
    json_t *report = json_object();
    json_object_set_new(report, "params",
                        json_pack("{s:i, s:i, s:i, s:i, s:i, s:f, s:i, s:i}", "switches",
                                  (int)b->n_sw, "sites", (int)b->n_sites, "bindings",
                                  (int)b->o.bindings, "moves", (int)b->o.moves, "mass",
                                  (int)b->o.mass, "delay_ms", b->o.delay_ms, "nodes",
                                  (int)b->n_nodes, "window", (int)b->o.window));
    bench_flood_params(b, json_object_get(report, "params"));
    int rc = 1;
    if (b->o.matflowd) {
        if (!bench_daemon_start(b)) {
            goto out;
        }
    } else {
        b->stat_pid = b->o.pid;
    }
    json_t *setup = json_object();
    json_object_set_new(report, "setup", setup);
    if (!phase_connect(b, setup)) {
        goto out;
    }
    struct bench_mem mem0, mem1;
    bench_daemon_mem(b, &mem0); /* the switches' share is not the bindings' */
    if (!phase_learn(b, setup) || !phase_away(b, setup)) {
        goto out;
    }
    bench_daemon_mem(b, &mem1);
    memory_report(b, setup, &mem0, &mem1);
    rc = 0;
    /* --flood: from before the mover's first move to its last measured one. */
    if (!bench_flood_start(b)) {
        rc = 1;
    } else if (b->o.moves && !phase_moves(b, report)) {
        rc = 1;
    }
    bench_flood_report(b, report);
    if (b->o.mass && !phase_mass(b, report)) {
        rc = 1;
    }
out:
    daemon_report(b, report);
    bench_flood_free(b);
    bench_daemon_stop(b);
    bench_switches_stop(b);
    print_or_write(b, report);
    json_decref(report);
    bench_nodes_free(b);
    return rc;
}
