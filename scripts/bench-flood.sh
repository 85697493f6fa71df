#!/bin/sh
# bench-flood.sh - binding updates of the other sites while one hypervisor
# port floods matflowd with RARP/ARP Packet-Ins (`make bench-flood`, also
# run by `make bench`, which has built build/bin/matflowd and
# build/bin/matflow-bench; this builds nothing).
#
# Alternating runs, FLOOD_REPEAT of each, with the same parameters:
#   unloaded-R  matflow-bench --flood 0:KIND   (the flood's timeline, nothing sent)
#   flooded-R   matflow-bench --flood RATE:KIND
# N switches, M bindings away, K sequential moves of one node between two
# sites; in the flooded runs a third site sends RATE Packet-Ins/s from one
# hypervisor port from FLOOD_WARMUP seconds before the first move to the
# last (bench_flood.c says which frames). The goal: the moves' latency under
# the flood within 2 x of the unloaded one. Each run starts its own matflowd.
#
# Results: build/bench/flood/<run>.json (and <run>/matflowd.log),
# build/bench/flood.json (every run, the pairs, the medians and the ratios,
# read by scripts/bench-report.py), a table on stdout.
#
# Variables: FLOOD_REPEAT (3), FLOOD_RATE (10000), FLOOD_KIND (mixed: rarp,
# arp or mixed), FLOOD_SWITCHES (10), FLOOD_BINDINGS (1000), FLOOD_MOVES
# (2000), FLOOD_WARMUP (1 s), FLOOD_TRIGGER_RATE (2000: matflowd's per-port
# limit on RARP/ARP Packet-Ins, mobility.trigger_rate, burst twice that; it
# cuts the flood, and stays above the pace of the moves from one port).

set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH="$ROOT/build/bin/matflow-bench"
DAEMON="$ROOT/build/bin/matflowd"
OUT="$ROOT/build/bench"
RUNS="$OUT/flood"

REPEAT=${FLOOD_REPEAT:-3}
RATE=${FLOOD_RATE:-10000}
KIND=${FLOOD_KIND:-mixed}
SWITCHES=${FLOOD_SWITCHES:-10}
BINDINGS=${FLOOD_BINDINGS:-1000}
MOVES=${FLOOD_MOVES:-2000}
WARMUP=${FLOOD_WARMUP:-1}
TRIGGER_RATE=${FLOOD_TRIGGER_RATE:-2000}

for f in "$BENCH" "$DAEMON"; do
    if [ ! -x "$f" ]; then
        echo "bench-flood.sh: $f is missing: run make bench-flood" >&2
        exit 1
    fi
done
rm -rf "$RUNS" "$OUT/flood.json"
mkdir -p "$RUNS"
failed=0

# run NAME RATE: one matflow-bench run; its log stays in build/bench/flood/NAME/.
run() {
    name=$1
    echo "== $name: matflow-bench --switches $SWITCHES --bindings $BINDINGS --moves $MOVES" \
         "--flood $2:$KIND --flood-warmup $WARMUP --trigger-rate $TRIGGER_RATE"
    if ! "$BENCH" --matflowd "$DAEMON" --workdir "$RUNS/$name" --quiet --timeout 600 \
            --switches "$SWITCHES" --bindings "$BINDINGS" --moves "$MOVES" --window 256 \
            --flood "$2:$KIND" --flood-warmup "$WARMUP" --trigger-rate "$TRIGGER_RATE" --out "$RUNS/$name.json" > /dev/null; then
        echo "bench-flood.sh: run $name FAILED (log: $RUNS/$name/matflowd.log)" >&2
        failed=$((failed + 1))
    fi
    rm -f "$RUNS/$name/state.db" "$RUNS/$name/state.db-wal" "$RUNS/$name/state.db-shm"
}

rep=1
while [ $rep -le "$REPEAT" ]; do
    run "unloaded-$rep" 0
    run "flooded-$rep" "$RATE"
    rep=$((rep + 1))
done

# The section of docs/BENCHMARKS.md can be refreshed on its own
# (bench-report.py --only flood): it names its own commit and date.
COMMIT=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo "?")
DATE=$(date -u +%Y-%m-%d)
python3 - "$RUNS" "$OUT/flood.json" "$RATE" "$KIND" "$COMMIT" "$DATE" <<'EOF'
import json, os, statistics, sys
runs_dir, out, rate, kind, commit, date = sys.argv[1:7]
rate = int(rate)
GOAL = 2.0

def g(d, *path):
    for p in path:
        d = d.get(p) if isinstance(d, dict) else None
    return d

runs = []
for f in sorted(os.listdir(runs_dir)):
    if not f.endswith(".json"):
        continue
    mode, rep = f[:-5].rsplit("-", 1)
    r = json.load(open(os.path.join(runs_dir, f)))
    gen, fl = g(r, "moves", "generator_ms") or {}, r.get("flood") or {}
    d = fl.get("daemon") or {}
    runs.append({"name": f[:-5], "mode": mode, "rep": int(rep),
                 "moves": gen.get("n"), "failed": g(r, "moves", "failed"),
                 "p50": gen.get("p50"), "p90": gen.get("p90"), "p99": gen.get("p99"),
                 "max": gen.get("max"),
                 "controller_p50": g(r, "moves", "controller_ms", "p50"),
                 "controller_p99": g(r, "moves", "controller_ms", "p99"),
                 "flood_site": fl.get("site"), "flood_port": fl.get("port"),
                 "mover_sites": fl.get("mover_sites"), "known_macs": fl.get("known_macs"),
                 "flood_sent": fl.get("sent"), "flood_per_s": fl.get("achieved_per_s"),
                 "flood_during_moves_per_s": fl.get("achieved_during_moves_per_s"),
                 "flood_not_sent": (fl.get("dropped_backlog_full") or 0) + (fl.get("skipped_late") or 0),
                 "moves_s": fl.get("during_moves_s"),
                 "daemon_flood_packet_ins": d.get("flood_packet_ins"),
                 "reject_rate_limited": d.get("reject_rate_limited"),
                 "reject_rate_limited_present": d.get("reject_rate_limited_present"),
                 "reject_unknown_mac": d.get("reject_unknown_mac"),
                 "duplicate_announcement": d.get("duplicate_announcement"),
                 "daemon_cpu_s": fl.get("daemon_cpu_s"), "generator_cpu_s": fl.get("generator_cpu_s"),
                 "log_problems": g(r, "daemon", "log_problems"),
                 "params": r.get("params")})

def num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)

def med(v):
    v = [x for x in v if num(x)]
    return round(statistics.median(v), 3) if v else None

def ratio(a, b):
    return round(a / b, 2) if num(a) and num(b) and b > 0 else None

def find(mode, rep):
    return next((x for x in runs if x["mode"] == mode and x["rep"] == rep), None)

pairs = []
for rep in sorted({x["rep"] for x in runs}):
    u, fl = find("unloaded", rep), find("flooded", rep)
    if u and fl:
        pairs.append({"rep": rep, "unloaded_p50": u["p50"], "flooded_p50": fl["p50"],
                      "ratio_p50": ratio(fl["p50"], u["p50"]), "unloaded_p99": u["p99"],
                      "flooded_p99": fl["p99"], "ratio_p99": ratio(fl["p99"], u["p99"])})
summary = {}
for mode in ("unloaded", "flooded"):
    sel = [x for x in runs if x["mode"] == mode]
    summary[mode] = {"runs": len(sel), **{k: med([x[k] for x in sel]) for k in (
        "p50", "p90", "p99", "max", "flood_per_s", "flood_during_moves_per_s")}}
summary["ratio_p50"] = ratio(summary["flooded"]["p50"], summary["unloaded"]["p50"])
summary["ratio_p99"] = ratio(summary["flooded"]["p99"], summary["unloaded"]["p99"])
summary["goal"] = GOAL
first = next((x for x in runs if x["mode"] == "flooded"), runs[0] if runs else {})
p = first.get("params") or {}
doc = {"commit": commit, "date": date,
       "params": {"switches": p.get("switches"), "sites": p.get("sites"),
                  "bindings": p.get("bindings"), "moves": p.get("moves"),
                  "rate_per_s": rate, "kind": kind, "warmup_s": p.get("flood_warmup_s"),
                  "flood_site": first.get("flood_site"), "flood_port": first.get("flood_port"),
                  "mover_sites": first.get("mover_sites"), "known_macs": first.get("known_macs")},
       "runs": runs, "pairs": pairs, "summary": summary}
for r in runs:
    r.pop("params", None)
json.dump(doc, open(out, "w"), indent=2)

def f(v, fmt="%.3f"):
    return fmt % v if num(v) else "-"

print()
print("binding updates of the other sites (ms, RARP -> last barrier), unloaded and under a "
      "%d/s %s flood from site%s port %s" % (rate, kind, first.get("flood_site", "?"),
                                             first.get("flood_port", "?")))
hdr = "%-12s %6s | %8s %8s %8s %8s | %10s %9s %10s %12s" % (
    "run", "moves", "p50", "p90", "p99", "max", "flood/s", "not sent", "counted", "rate-limited")
print(hdr)
print("-" * len(hdr))
for x in sorted(runs, key=lambda x: (x["rep"], x["mode"] != "unloaded")):
    rl = x["reject_rate_limited"] if x["reject_rate_limited_present"] else "absent"
    print("%-12s %6s | %8s %8s %8s %8s | %10s %9s %10s %12s" % (
        x["name"], x["moves"], f(x["p50"]), f(x["p90"]), f(x["p99"]), f(x["max"]),
        f(x["flood_per_s"], "%.0f"), x["flood_not_sent"], x["daemon_flood_packet_ins"], rl))
print()
for q in ("p50", "p99"):
    r = summary["ratio_" + q]
    print("%s: unloaded %s ms, flooded %s ms (medians of %d runs each): %s x (pairs: %s); "
          "goal <= %g x: %s" % (
              q, f(summary["unloaded"][q]), f(summary["flooded"][q]), summary["flooded"]["runs"],
              f(r, "%.2f"), ", ".join(f(x["ratio_" + q], "%.2f") for x in pairs), GOAL,
              "-" if r is None else ("met" if r <= GOAL else "MISSED")))
print("results: %s" % out)
EOF
if [ "$failed" -gt 0 ]; then
    echo "bench-flood.sh: $failed run(s) failed" >&2
    exit 1
fi
