/* bench_stats.c - latency series and their percentiles, and the text
 * report printed from the JSON one (so the two never disagree). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"

void bench_series_add(struct bench_series *s, double v)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        if (!s->v) {
            abort();
        }
    }
    s->v[s->n++] = v;
}

void bench_series_free(struct bench_series *s)
{
    free(s->v);
    *s = (struct bench_series){0};
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least p% of the samples at or
 * below it. */
static double pct(const double *v, size_t n, double p)
{
    size_t rank = (size_t)ceil(p / 100.0 * (double)n);
    return v[rank ? rank - 1 : 0];
}

static double round3(double v)
{
    return round(v * 1000.0) / 1000.0;
}

json_t *bench_series_json(struct bench_series *s)
{
    if (s->n == 0) {
        return json_pack("{s:i}", "n", 0);
    }
    qsort(s->v, s->n, sizeof *s->v, cmp_double);
    double sum = 0;
    for (size_t i = 0; i < s->n; i++) {
        sum += s->v[i];
    }
    return json_pack("{s:I, s:f, s:f, s:f, s:f, s:f, s:f}", "n", (json_int_t)s->n, "p50",
                     round3(pct(s->v, s->n, 50)), "p90", round3(pct(s->v, s->n, 90)), "p99",
                     round3(pct(s->v, s->n, 99)), "max", round3(s->v[s->n - 1]), "min",
                     round3(s->v[0]), "mean", round3(sum / (double)s->n));
}

static double num(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static void print_series(const char *name, const json_t *s)
{
    if (!s) {
        return;
    }
    const char *invalid = json_string_value(json_object_get(s, "invalid"));
    if (invalid) {
        printf("  %-34s not measured: %s\n", name, invalid);
        return;
    }
    if (num(s, "n") == 0 || isnan(num(s, "n"))) {
        printf("  %-34s no samples\n", name);
        return;
    }
    printf("  %-34s n=%-5.0f p50 %8.3f  p90 %8.3f  p99 %8.3f  max %8.3f ms\n", name,
           num(s, "n"), num(s, "p50"), num(s, "p90"), num(s, "p99"), num(s, "max"));
}

static void print_num(const char *name, const json_t *o, const char *key, const char *unit)
{
    double v = num(o, key);
    if (!isnan(v)) {
        printf("  %-34s %.6g %s\n", name, v, unit);
    }
}

void bench_print_report(const struct bench *b, const json_t *r)
{
    const json_t *p = json_object_get(r, "params");
    printf("matflow-bench: N=%.0f switches (%.0f sites), M=%.0f bindings away, K=%.0f moves, "
           "mass=%.0f, delay %.0f ms\n",
           num(p, "switches"), num(p, "sites"), num(p, "bindings"), num(p, "moves"),
           num(p, "mass"), num(p, "delay_ms"));
    const json_t *su = json_object_get(r, "setup");
    if (su) {
        printf(" set-up%s\n", json_is_true(json_object_get(su, "bindings_at_home"))
                                  ? " (one site: the M nodes are learned and stay home)"
                                  : "");
        print_num("connect + reconcile", su, "connect_s", "s");
        print_num("learn (ARP Packet-Ins)", su, "learn_s", "s");
        print_num("packet-ins learned per second", su, "learn_per_s", "/s");
        print_num("daemon CPU per learning Packet-In", su, "cpu_ms_per_packet_in", "ms");
        print_num("move M away", su, "away_s", "s");
        print_num("daemon RSS before", su, "rss_before_kib", "KiB");
        print_num("daemon RSS after", su, "rss_after_kib", "KiB");
        print_num("daemon RSS per binding", su, "rss_bytes_per_binding", "bytes");
        print_num("daemon anonymous RSS per binding", su, "anon_bytes_per_binding", "bytes");
        print_num("daemon heap per binding", su, "heap_bytes_per_binding", "bytes");
        print_num("binding table per binding", su, "table_bytes_per_binding", "bytes");
    }
    const json_t *mv = json_object_get(r, "moves");
    if (mv) {
        printf(" binding update, one node, one at a time\n");
        print_series("generator: RARP -> last barrier", json_object_get(mv, "generator_ms"));
        print_series("generator: RARP -> probe answered", json_object_get(mv, "probe_ms"));
        print_series("controller: trigger -> complete", json_object_get(mv, "controller_ms"));
        print_num("failed or timed out", mv, "failed", "");
        print_num("daemon CPU per update", mv, "cpu_ms_per_update", "ms");
        print_num("flow-mods received per update", mv, "flow_mods_per_update", "");
        print_num("timelines missing 'complete'", mv, "events_missing_complete", "");
    }
    bench_flood_print(r);
    const json_t *ms = json_object_get(r, "mass");
    if (ms) {
        printf(" mass migration, all at once\n");
        print_num("nodes", ms, "nodes", "");
        print_num("time to all complete", ms, "all_complete_ms", "ms");
        print_num("completed", ms, "completed", "");
        print_num("failed (matflowd's count)", ms, "failed", "");
        print_num("time until every update ended", ms, "ended_ms", "ms");
        print_num("flow-mods received", ms, "flow_mods", "");
        print_num("flow-mods/s received", ms, "flow_mods_per_s", "/s");
        print_num("daemon CPU", ms, "cpu_s", "s");
        print_num("generator CPU", ms, "generator_cpu_s", "s");
        print_series("per node: RARP -> last barrier", json_object_get(ms, "generator_ms"));
    }
    const json_t *d = json_object_get(r, "daemon");
    if (d) {
        printf(" matflowd\n");
        print_num("warn/error log lines", d, "log_problems", "");
        json_t *samples = json_object_get(d, "log_samples");
        size_t i;
        json_t *s;
        json_array_foreach(samples, i, s) {
            printf("    %s\n", json_string_value(s));
        }
        if (json_object_get(d, "log")) {
            printf("  log: %s\n", json_string_value(json_object_get(d, "log")));
        }
    }
    (void)b;
}
