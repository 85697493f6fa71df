#!/bin/sh
# bench.sh - the benchmark matrix of matflow-bench (`make bench`, which has
# built build/bin/matflowd and build/bin/matflow-bench; this builds nothing).
#
# Small enough for a few minutes on a 2-core box:
#   - binding-update latency, K sequential moves of one node, for N switches
#     x M bindings already away (their rules on every switch);
#   - one run with a delay on every switch answer;
#   - mass migration: K nodes at once.
# Each run starts its own matflowd (private socket, database and log) on a
# free port. Results: build/bench/<run>.json, all of them in
# build/bench/results.json, a table on stdout.
#
# BENCH_SWITCHES, BENCH_BINDINGS, BENCH_MOVES, BENCH_MASS override the matrix.

set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH="$ROOT/build/bin/matflow-bench"
DAEMON="$ROOT/build/bin/matflowd"
OUT="$ROOT/build/bench"

SWITCHES=${BENCH_SWITCHES:-"3 10 100"}
BINDINGS=${BENCH_BINDINGS:-"0 1000"}
MOVES=${BENCH_MOVES:-100}
MASS=${BENCH_MASS:-1000}

for f in "$BENCH" "$DAEMON"; do
    if [ ! -x "$f" ]; then
        echo "bench.sh: $f is missing: run make bench" >&2
        exit 1
    fi
done
mkdir -p "$OUT"
rm -f "$OUT"/*.json
failed=0

# run NAME ARGS...: one matflow-bench run; its log stays in build/bench/NAME/.
run() {
    name=$1
    shift
    rm -rf "${OUT:?}/$name"
    echo "== $name: matflow-bench $*"
    if ! "$BENCH" --matflowd "$DAEMON" --workdir "$OUT/$name" --quiet \
            --out "$OUT/$name.json" "$@"; then
        echo "bench.sh: run $name FAILED (log: $OUT/$name/matflowd.log)" >&2
        failed=$((failed + 1))
    fi
    rm -f "$OUT/$name/state.db" "$OUT/$name/state.db-wal" "$OUT/$name/state.db-shm"
}

for n in $SWITCHES; do
    for m in $BINDINGS; do
        run "moves-n$n-m$m" --switches "$n" --bindings "$m" --moves "$MOVES"
    done
done
run "moves-n10-m1000-delay10" --switches 10 --bindings 1000 --moves 50 --delay-ms 10
run "mass-n10-k$MASS" --switches 10 --moves 0 --mass "$MASS"
run "mass-n100-k$MASS" --switches 100 --moves 0 --mass "$MASS"

# One file with every run, and the tables.
python3 - "$OUT" <<'EOF'
import json, os, sys
out = sys.argv[1]
runs = {}
for f in sorted(os.listdir(out)):
    if f.endswith(".json") and f != "results.json":
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

print()
print("binding update (ms): generator = RARP sent -> last switch answered the barrier "
      "after the sending rules; controller = matflowd's trigger -> complete")
hdr = "%-26s %5s %5s %6s | %8s %8s %8s %8s | %8s %8s | %8s %7s" % (
    "run", "N", "sites", "M", "gen p50", "gen p90", "gen p99", "gen max",
    "ctl p50", "ctl p99", "cpu/upd", "B/bind")
print(hdr)
print("-" * len(hdr))
for name, r in runs.items():
    if "moves" not in r:
        continue
    p, mv = r["params"], r["moves"]
    gen, ctl = mv.get("generator_ms", {}), mv.get("controller_ms", {})
    print("%-26s %5d %5d %6d | %8s %8s %8s %8s | %8s %8s | %8s %7s" % (
        name, p["switches"], p["sites"], p["bindings"],
        f(gen.get("p50")), f(gen.get("p90")), f(gen.get("p99")), f(gen.get("max")),
        f(ctl.get("p50")) if "invalid" not in ctl else "n/a",
        f(ctl.get("p99")) if "invalid" not in ctl else "n/a",
        f(mv.get("cpu_ms_per_update"), "%.2f"),
        f(g(r, "setup", "rss_bytes_per_binding"), "%.0f")))
print()
print("mass migration: K nodes at once")
hdr = "%-26s %5s %6s | %10s %10s %12s %8s" % ("run", "N", "K", "all (ms)", "flow-mods",
                                               "flow-mods/s", "cpu (s)")
print(hdr)
print("-" * len(hdr))
for name, r in runs.items():
    ms = r.get("mass")
    if not ms:
        continue
    print("%-26s %5d %6d | %10s %10s %12s %8s" % (
        name, r["params"]["switches"], ms["nodes"], f(ms.get("all_complete_ms"), "%.1f"),
        ms.get("flow_mods"), f(ms.get("flow_mods_per_s"), "%.0f"), f(ms.get("cpu_s"), "%.2f")))
print()
print("set-up: Packet-In (learning ARP) handling")
for name, r in runs.items():
    s = r.get("setup", {})
    if r["params"]["nodes"] >= 1000:
        print("  %-26s %6d nodes learned at %s/s, daemon CPU %s ms per Packet-In" % (
            name, r["params"]["nodes"], f(s.get("learn_per_s"), "%.0f"),
            f(s.get("cpu_ms_per_packet_in"), "%.3f")))
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
