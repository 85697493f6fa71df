#!/bin/sh
# bench.sh - the benchmark matrix of matflow-bench (`make bench`, which has
# built build/bin/matflowd and build/bin/matflow-bench; this builds nothing).
#
#   - binding-update latency, K sequential moves of one node, for N switches
#     x M bindings already away (their rules on every switch): the grid
#     N = 1, 10, 100, 1000 x M = 0, 1k, 10k, 100k with N x M <= 10^7 (with
#     N = 1 nothing can move: the M nodes are learned and stay home, which
#     measures Packet-In handling and memory only);
#   - one run with a delay on every switch answer;
#   - 10,000 connections (4096 of them sites, matflowd's limit);
#   - mass migration: K = 10,000 nodes at once across 10 and 100 switches.
# Each run starts its own matflowd (private socket, database and log) on a
# free port. Results: build/bench/<run>.json, all of them in
# build/bench/results.json, tables on stdout. The full matrix takes about
# ten minutes on a 2-core box; BENCH_QUICK=1 runs a subset in about one.
#
# BENCH_SWITCHES, BENCH_BINDINGS, BENCH_MOVES, BENCH_MASS, BENCH_CONNECTIONS
# override the matrix (BENCH_CONNECTIONS=0 skips that run).

set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH="$ROOT/build/bin/matflow-bench"
DAEMON="$ROOT/build/bin/matflowd"
OUT="$ROOT/build/bench"

if [ "${BENCH_QUICK:-0}" = 1 ]; then
    SWITCHES=${BENCH_SWITCHES:-"1 10 100"}
    BINDINGS=${BENCH_BINDINGS:-"0 1000"}
    MOVES=${BENCH_MOVES:-50}
    MASS=${BENCH_MASS:-1000}
    CONNECTIONS=${BENCH_CONNECTIONS:-1000}
else
    SWITCHES=${BENCH_SWITCHES:-"1 10 100 1000"}
    BINDINGS=${BENCH_BINDINGS:-"0 1000 10000 100000"}
    MOVES=${BENCH_MOVES:-100}
    MASS=${BENCH_MASS:-10000}
    CONNECTIONS=${BENCH_CONNECTIONS:-10000}
fi
MAX_NM=10000000 # N x M: the issue's bound on the grid

for f in "$BENCH" "$DAEMON"; do
    if [ ! -x "$f" ]; then
        echo "bench.sh: $f is missing: run make bench" >&2
        exit 1
    fi
done
mkdir -p "$OUT"
rm -f "$OUT"/moves-*.json "$OUT"/mass-*.json "$OUT"/conn-*.json "$OUT"/results.json
failed=0

# run NAME ARGS...: one matflow-bench run; its log stays in build/bench/NAME/.
run() {
    name=$1
    shift
    rm -rf "${OUT:?}/$name"
    echo "== $name: matflow-bench $*"
    if ! "$BENCH" --matflowd "$DAEMON" --workdir "$OUT/$name" --quiet --timeout 600 \
            --out "$OUT/$name.json" "$@"; then
        echo "bench.sh: run $name FAILED (log: $OUT/$name/matflowd.log)" >&2
        failed=$((failed + 1))
    fi
    rm -f "$OUT/$name/state.db" "$OUT/$name/state.db-wal" "$OUT/$name/state.db-shm"
}

for n in $SWITCHES; do
    for m in $BINDINGS; do
        if [ $((n * m)) -gt $MAX_NM ]; then
            continue
        fi
        # Fewer measured moves where each costs a lot (N = 1000: ~25 ms).
        k=$MOVES
        if [ "$n" -ge 1000 ] && [ "$k" -gt 20 ]; then
            k=20
        fi
        if [ "$n" -lt 2 ]; then
            k=0 # one site: nothing can move
        fi
        # Set-up moves in flight: more keep large M short without
        # overrunning matflowd's ARP-probe timeout.
        run "moves-n$n-m$m" --switches "$n" --bindings "$m" --moves "$k" --window 256
    done
done
run "moves-n10-m1000-delay10" --switches 10 --bindings 1000 --moves 50 --delay-ms 10
if [ "$CONNECTIONS" -gt 0 ]; then
    run "conn-n$CONNECTIONS" --switches "$CONNECTIONS" --moves 10
fi
run "mass-n10-k$MASS" --switches 10 --moves 0 --mass "$MASS"
run "mass-n100-k$MASS" --switches 100 --moves 0 --mass "$MASS"

# One file with every run, and the tables.
python3 - "$OUT" <<'EOF'
import json, os, sys
out = sys.argv[1]
runs = {}
for f in sorted(os.listdir(out)):
    if f.endswith(".json") and f.split("-")[0] in ("moves", "mass", "conn"):
        with open(os.path.join(out, f)) as fh:
            runs[f[:-5]] = json.load(fh)
with open(os.path.join(out, "results.json"), "w") as fh:
    json.dump(runs, fh, indent=2)

def g(d, *path):
    for p in path:
        d = d.get(p) if isinstance(d, dict) else None
    return d

def f(v, fmt="%.3f"):
    return fmt % v if isinstance(v, (int, float)) else "-"

def order(name):
    p = runs[name]["params"]
    return (name.split("-")[0], p["switches"], p["bindings"], p["delay_ms"], name)

print()
print("binding update (ms): generator = RARP sent -> last switch answered the barrier "
      "after the sending rules; controller = matflowd's trigger -> complete")
print("set-up = learn M nodes (ARP Packet-Ins), then move them away; B/bind = daemon memory "
      "growth over the set-up per node (RSS, anonymous RSS, heap by matflowd's own count)")
hdr = "%-24s %5s %5s %6s | %8s %8s %8s | %8s %8s | %7s %6s | %7s %7s | %6s %6s %6s" % (
    "run", "N", "sites", "M", "gen p50", "gen p99", "gen max", "ctl p50", "ctl p99",
    "cpu/upd", "fm/upd", "learn s", "away s", "RSS B", "anon B", "heap B")
print(hdr)
print("-" * len(hdr))
for name in sorted(runs, key=order):
    r = runs[name]
    if name.startswith("mass"):
        continue
    p, mv, su = r["params"], r.get("moves", {}), r.get("setup", {})
    gen, ctl = mv.get("generator_ms", {}), mv.get("controller_ms", {})
    print("%-24s %5d %5d %6d | %8s %8s %8s | %8s %8s | %7s %6s | %7s %7s | %6s %6s %6s" % (
        name, p["switches"], p["sites"], p["bindings"],
        f(gen.get("p50")), f(gen.get("p99")), f(gen.get("max")),
        f(ctl.get("p50")) if "invalid" not in ctl else "n/a",
        f(ctl.get("p99")) if "invalid" not in ctl else "n/a",
        f(mv.get("cpu_ms_per_update"), "%.2f"), f(mv.get("flow_mods_per_update"), "%.0f"),
        f(su.get("learn_s"), "%.2f"), f(su.get("away_s"), "%.2f"),
        f(su.get("rss_bytes_per_binding"), "%.0f"), f(su.get("anon_bytes_per_binding"), "%.0f"),
        f(su.get("heap_bytes_per_binding"), "%.0f")))
print()
print("mass migration: K nodes at once; failed = matflowd gave the update up")
hdr = "%-24s %5s %6s | %10s %9s %7s %10s | %10s %12s %8s %8s" % (
    "run", "N", "K", "all (ms)", "completed", "failed", "ended (ms)", "flow-mods",
    "flow-mods/s", "cpu (s)", "gen cpu")
print(hdr)
print("-" * len(hdr))
for name in sorted(runs, key=order):
    ms = runs[name].get("mass")
    if not ms:
        continue
    print("%-24s %5d %6d | %10s %9s %7s %10s | %10s %12s %8s %8s" % (
        name, runs[name]["params"]["switches"], ms["nodes"],
        f(ms.get("all_complete_ms"), "%.1f"), ms.get("completed"), ms.get("failed", "-"),
        f(ms.get("ended_ms"), "%.1f"), ms.get("flow_mods"), f(ms.get("flow_mods_per_s"), "%.0f"),
        f(ms.get("cpu_s"), "%.2f"), f(ms.get("generator_cpu_s"), "%.2f")))
print()
print("set-up: Packet-In (learning ARP) handling")
for name in sorted(runs, key=order):
    r = runs[name]
    s = r.get("setup", {})
    if r["params"]["nodes"] >= 1000:
        print("  %-24s %6d nodes learned at %s/s, daemon CPU %s ms per Packet-In" % (
            name, r["params"]["nodes"], f(s.get("learn_per_s"), "%.0f"),
            f(s.get("cpu_ms_per_packet_in"), "%.3f")))
# The RSS delta of one run also holds fixed costs (output buffers grown
# while the rules went out); the slope between two M at the same N does not.
print()
print("memory per binding, slope of RSS after set-up between two M at the same N (bytes)")
by_n = {}
for name, r in runs.items():
    p, su = r["params"], r.get("setup", {})
    if name.startswith("moves") and not p["delay_ms"] and "rss_after_kib" in su:
        by_n.setdefault(p["switches"], []).append((p["bindings"], su["rss_after_kib"]))
for n in sorted(by_n):
    pts = sorted(by_n[n])
    steps = ["M %d->%d: %.0f" % (m1, m2, (k2 - k1) * 1024.0 / (m2 - m1))
             for (m1, k1), (m2, k2) in zip(pts, pts[1:]) if m1 > 0]
    if steps:
        print("  N=%-5d %s" % (n, ", ".join(steps)))
heap = [g(r, "setup", "heap_bytes_per_binding") for r in runs.values()]
if any(isinstance(h, str) for h in heap):
    print("heap B: %s" % next(h for h in heap if isinstance(h, str)))
problems = {n: g(r, "daemon", "log_problems") for n, r in runs.items()}
bad = {n: v for n, v in problems.items() if v}
print()
print("matflowd warn/error log lines: %s" % (bad if bad else "none"))
print("results: %s" % os.path.join(out, "results.json"))
EOF
if [ "$failed" -gt 0 ]; then
    echo "bench.sh: $failed run(s) failed" >&2
    exit 1
fi
