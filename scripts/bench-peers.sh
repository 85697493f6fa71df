#!/bin/sh
# bench-peers.sh - matflowd's learning switch (--app learning) against two
# peers doing the same job, measured the way cbench does by
# `matflow-bench --cbench` (`make bench-peers`, also run by `make bench`):
#   ovs-testcontroller (Open vSwitch's learning switch, C)
#   os-ken             (osken-manager running bench/osken_simple_switch.py)
# Throughput (the pipe kept full) and latency (one Packet-In in flight per
# switch), OpenFlow 1.3, and 1.0 for the controllers that speak it (matflowd
# once its handshake negotiates 1.0; the os-ken app is 1.3 only). The runs
# alternate (matflowd, testcontroller, os-ken, again) PEERS_REPEAT times,
# each controller freshly started, pinned to core 0, the generator to core
# 1, with the same N switches and MAC count.
#
# Writes build/bench/peers.json (every run and the medians) and prints a
# table with the ratios matflowd/testcontroller and matflowd/os-ken, run
# pair by run pair. Installs the two peers (scripts/install-deps.sh --bench,
# which keeps package scripts from starting the testcontroller's service).
#
# Variables: PEERS_REPEAT (3), PEERS_SWITCHES (16), PEERS_MACS (1000 per
# switch), PEERS_WARMUP (1 s), PEERS_DURATION (5 s), PEERS_MODES
# ("throughput latency"), PEERS_VERSIONS ("1.3", plus "1.0" when matflowd
# negotiates it), PEERS_CTL_CPU (0), PEERS_GEN_CPU (1).

set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH="$ROOT/build/bin/matflow-bench"
DAEMON="$ROOT/build/bin/matflowd"
APP="$ROOT/bench/osken_simple_switch.py"
OUT="$ROOT/build/bench"
RUNS="$OUT/peers"

REPEAT=${PEERS_REPEAT:-3}
SWITCHES=${PEERS_SWITCHES:-16}
MACS=${PEERS_MACS:-1000}
WARMUP=${PEERS_WARMUP:-1}
DURATION=${PEERS_DURATION:-5}
MODES=${PEERS_MODES:-"throughput latency"}
CTL_CPU=${PEERS_CTL_CPU:-0}
GEN_CPU=${PEERS_GEN_CPU:-1}
if [ -z "${PEERS_VERSIONS:-}" ]; then
    PEERS_VERSIONS="1.3"
    # The core's handshake offers 1.0 once the 1.0 negotiation is in.
    if grep -q 'OF_VERSION_1_0' "$ROOT/src/core/handshake.c" 2>/dev/null; then
        PEERS_VERSIONS="1.3 1.0"
    fi
fi

for f in "$BENCH" "$DAEMON"; do
    if [ ! -x "$f" ]; then
        echo "bench-peers.sh: $f is missing: run make bench-peers" >&2
        exit 1
    fi
done
if ! sh "$ROOT/scripts/install-deps.sh" --bench; then
    echo "bench-peers.sh: cannot install the peer controllers" >&2
    exit 1
fi
# The testcontroller package's service would listen on 6653; the install
# guard keeps it from starting, and a machine where it runs is told so (we
# stop only processes we started, and use ports of our own anyway).
if ss -Hltnp 'sport = :6653' 2>/dev/null | grep -q testcontroller; then
    echo "bench-peers.sh: warning: a system ovs-testcontroller listens on 6653" \
         "(service openvswitch-testcontroller stop); it takes CPU from the runs" >&2
fi

rm -rf "$RUNS"
mkdir -p "$RUNS"
failed=0

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_listen PORT PID: until the controller accepts connections (os-ken
# takes a few seconds to load), or it died.
wait_listen() {
    i=0
    while [ $i -lt 200 ]; do
        if ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; then
            return 0
        fi
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

# start_ctl NAME OFVERSION PORT LOG: sets CTL_PID.
start_ctl() {
    case $1 in
    matflowd)
        taskset -c "$CTL_CPU" "$DAEMON" --listen "tcp:127.0.0.1:$3" --app learning \
            --api "$RUNS/matflowd.sock" --log-level warn > "$4" 2>&1 &
        ;;
    testcontroller)
        if [ "$2" = 1.0 ]; then proto=OpenFlow10; else proto=OpenFlow13; fi
        taskset -c "$CTL_CPU" ovs-testcontroller -O "$proto" -vconsole:warn \
            --unixctl="$RUNS/testcontroller.ctl" "ptcp:$3:127.0.0.1" > "$4" 2>&1 &
        ;;
    os-ken)
        taskset -c "$CTL_CPU" osken-manager --ofp-listen-host 127.0.0.1 \
            --ofp-tcp-listen-port "$3" "$APP" > "$4" 2>&1 &
        ;;
    esac
    CTL_PID=$!
}

stop_ctl() {
    kill "$CTL_PID" 2>/dev/null
    wait "$CTL_PID" 2>/dev/null
}

controllers_for() {
    if [ "$1" = 1.0 ]; then echo "matflowd testcontroller"; else echo "matflowd testcontroller os-ken"; fi
}

rep=1
while [ $rep -le "$REPEAT" ]; do
    for ver in $PEERS_VERSIONS; do
        for mode in $MODES; do
            for ctl in $(controllers_for "$ver"); do
                name="$ctl-of$ver-$mode-$rep"
                port=$(free_port)
                echo "== $name"
                start_ctl "$ctl" "$ver" "$port" "$RUNS/$name.log"
                if ! wait_listen "$port" "$CTL_PID"; then
                    echo "bench-peers.sh: $ctl did not listen on $port (log: $RUNS/$name.log)" >&2
                    stop_ctl
                    failed=$((failed + 1))
                    continue
                fi
                if ! taskset -c "$GEN_CPU" "$BENCH" --cbench "$mode" --connect "127.0.0.1:$port" \
                        --of-version "$ver" --switches "$SWITCHES" --macs "$MACS" \
                        --warmup "$WARMUP" --duration "$DURATION" --pid "$CTL_PID" \
                        --timeout 120 --quiet --out "$RUNS/$name.json"; then
                    echo "bench-peers.sh: run $name FAILED (log: $RUNS/$name.log)" >&2
                    failed=$((failed + 1))
                fi
                stop_ctl
            done
        done
    done
    rep=$((rep + 1))
done

MATFLOWD_VERSION=$("$DAEMON" --version 2>&1 | head -1)
OVS_VERSION=$(ovs-testcontroller --version 2>&1 | head -1)
OSKEN_VERSION="os-ken $(dpkg-query -W -f='${Version}' python3-os-ken 2>/dev/null)"
export MATFLOWD_VERSION OVS_VERSION OSKEN_VERSION

python3 - "$RUNS" "$OUT/peers.json" <<'EOF'
import json, os, statistics, sys
runs_dir, out = sys.argv[1:3]
names = {"matflowd": os.environ["MATFLOWD_VERSION"], "testcontroller": os.environ["OVS_VERSION"],
         "os-ken": os.environ["OSKEN_VERSION"]}
runs = []
for f in sorted(os.listdir(runs_dir)):
    if not f.endswith(".json"):
        continue
    ctl, ver, mode, rep = f[:-5].rsplit("-", 3)
    r = json.load(open(os.path.join(runs_dir, f)))
    res, lat = r.get("result", {}), r.get("result", {}).get("latency_ms", {})
    runs.append({"controller": ctl, "controller_version": names[ctl], "version": ver[2:],
                 "mode": mode, "rep": int(rep), "responses_per_s": res.get("responses_per_s"),
                 "flow_mods_per_s": res.get("flow_mods_per_s"),
                 "latency_p50_ms": lat.get("p50"), "latency_p99_ms": lat.get("p99"),
                 "controller_cpu_share": res.get("controller_cpu_share"),
                 "generator_cpu_share": res.get("generator_cpu_share"),
                 "flooded": res.get("flooded"), "misdirected": res.get("misdirected"),
                 "switches": r["params"]["switches"], "hosts": r["params"]["hosts"]})

def find(ctl, ver, mode, rep):
    for x in runs:
        if (x["controller"], x["version"], x["mode"], x["rep"]) == (ctl, ver, mode, rep):
            return x.get("responses_per_s")
    return None

def ratio(a, b):
    return round(a / b, 2) if isinstance(a, (int, float)) and b else None

def med(v):
    v = [x for x in v if isinstance(x, (int, float))]
    return round(statistics.median(v), 3) if v else None

keys = sorted({(x["version"], x["mode"]) for x in runs}, reverse=True)
pairs, summary = [], []
for ver, mode in keys:
    for rep in sorted({x["rep"] for x in runs}):
        mf = find("matflowd", ver, mode, rep)
        pairs.append({"version": ver, "mode": mode, "rep": rep, "matflowd": mf,
                      "testcontroller": find("testcontroller", ver, mode, rep),
                      "os-ken": find("os-ken", ver, mode, rep),
                      "matflowd/testcontroller": ratio(mf, find("testcontroller", ver, mode, rep)),
                      "matflowd/os-ken": ratio(mf, find("os-ken", ver, mode, rep))})
    for ctl in ("matflowd", "testcontroller", "os-ken"):
        sel = [x for x in runs if (x["controller"], x["version"], x["mode"]) == (ctl, ver, mode)]
        if sel:
            summary.append({"controller": ctl, "controller_version": names[ctl], "version": ver,
                            "mode": mode, "runs": len(sel),
                            "responses_per_s": med([x["responses_per_s"] for x in sel]),
                            "latency_p50_ms": med([x["latency_p50_ms"] for x in sel]),
                            "latency_p99_ms": med([x["latency_p99_ms"] for x in sel]),
                            "controller_cpu_share": med([x["controller_cpu_share"] for x in sel]),
                            "generator_cpu_share": med([x["generator_cpu_share"] for x in sel])})
doc = {"params": {"switches": runs[0]["switches"] if runs else None,
                  "hosts_per_switch": runs[0]["hosts"] if runs else None,
                  "controller_cpu": os.environ.get("PEERS_CTL_CPU", "0"),
                  "generator_cpu": os.environ.get("PEERS_GEN_CPU", "1")},
       "runs": runs, "pairs": pairs, "summary": summary}
json.dump(doc, open(out, "w"), indent=2)

def f(v, fmt="%.0f"):
    return fmt % v if isinstance(v, (int, float)) else "-"

print()
print("learning switch, cbench-style: responses/s = Packet-Ins answered with a Packet-Out "
      "to the right port (flow-mods/s alike)")
hdr = "%-4s %-10s %3s | %10s %10s %10s | %8s %8s" % (
    "OF", "mode", "run", "matflowd", "testctl", "os-ken", "mf/tc", "mf/osken")
print(hdr)
print("-" * len(hdr))
for p in pairs:
    print("%-4s %-10s %3d | %10s %10s %10s | %8s %8s" % (
        p["version"], p["mode"], p["rep"], f(p["matflowd"]), f(p["testcontroller"]),
        f(p["os-ken"]), f(p["matflowd/testcontroller"], "%.1f"), f(p["matflowd/os-ken"], "%.1f")))
print()
print("medians: responses/s, latency p50 / p99 (ms, latency mode), CPU share of the "
      "controller's and the generator's core")
hdr = "%-4s %-10s %-15s | %10s %9s %9s | %5s %5s" % (
    "OF", "mode", "controller", "resp/s", "p50", "p99", "ctl", "gen")
print(hdr)
print("-" * len(hdr))
for s in summary:
    print("%-4s %-10s %-15s | %10s %9s %9s | %5s %5s" % (
        s["version"], s["mode"], s["controller"], f(s["responses_per_s"]),
        f(s["latency_p50_ms"], "%.3f"), f(s["latency_p99_ms"], "%.3f"),
        f(s["controller_cpu_share"], "%.2f"), f(s["generator_cpu_share"], "%.2f")))
print()
for peer, target in (("testcontroller", 2), ("os-ken", 10)):
    r = med([p["matflowd/" + peer] for p in pairs if p["mode"] == "throughput" and p["version"] == "1.3"])
    verdict = "no runs" if r is None else ("met" if r >= target else "MISSED")
    print("target: matflowd >= %dx %s in throughput (OF 1.3): median ratio %s, %s" % (
        target, peer, f(r, "%.1f"), verdict))
print("versions: %s; %s; %s" % (names["matflowd"], names["testcontroller"], names["os-ken"]))
print("results: %s" % out)
EOF
if [ "$failed" -gt 0 ]; then
    echo "bench-peers.sh: $failed run(s) failed" >&2
    exit 1
fi
