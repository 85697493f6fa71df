#!/bin/sh
# bench-disruption.sh - data-path disruption on the real testbed (issue 4,
# point 2; `make bench-disruption`). Run as root.
#
# The reference testbed (tests/lib/topology.sh, without MN2) with one
# change: the bridges connect to a delaying relay (build/tests/ofrelay relay,
# 127.0.0.1:6654) that forwards every OpenFlow message to matflowd
# (127.0.0.1:6653) D ms later in each direction, in order. UDP probes every
# 1 ms each way CN <-> MN (tests/lib/traffic.py udp). For each binding count
# M (other nodes away from home, their rules in every switch) and each delay
# D, the MN makes BENCH_MOVES moves site1 -> site2 -> site3 -> site1 ...
# (every third one a return home), each a port move plus QEMU's 5 RARPs.
# Per direction, disruption = first probe delivered on the new path - first
# RARP (traffic.py udp-report's definition). Also per move: matflowd's own
# update time (matflowctl events: trigger -> complete), the RARP -> Packet-In
# time (rarp.py's send time -> the relay reading the Packet-In), the
# flow-mods each switch received (the relay's trace).
#
# The M other bindings are nodes that exist only on the OpenFlow channel
# (ofrelay --fake M: learned by an ARP Packet-In at home, moved by a RARP
# Packet-In, matflowd's ARP probe answered by the relay), so their rules are
# real flows in the real switches. The sites are widened to /16 (the
# router gets a /16 route per site) so that 3 pools hold M MoAs.
#
# The floor, in the same run, for each M: build/tests/ofrelay floor over one
# persistent OpenFlow connection per bridge (its management socket): the
# flow-mods of one update (the median count per switch seen by the relay),
# sent to the 3 bridges at once, then a barrier each; the echo round trip;
# the ARP probe round trip (Packet-Out of matflowd's probe to the MN's port
# -> the MN's reply as a Packet-In).
#
# Between sites: with BENCH_WAN=1 (`make bench-disruption` runs that as a
# second pass, in its own testbed, into BENCH_OUT/wan) each site's uplink to
# the legacy router passes a delaying forwarder (build/tests/pktdelay, the
# stand-in for a wide-area link: no netem here), and the moves are made for
# each one-way delay W between two sites in BENCH_WAN_DELAYS ("0 10 50"),
# with M = 0 and D = 0. W = 0 is that testbed's own baseline (the
# forwarders' hop, no delay).
#
# Pre-announced moves: for the smallest M, each delay is run a second time
# with `matflowctl migrate 10.1.0.10 SITE` before every move (the MoA and the
# receiving side ready before the node arrives); BENCH_ANNOUNCE=0 leaves
# them out.
#
# Variables: BENCH_MOVES (21), BENCH_DELAYS ("0 10 50", ms one way),
# BENCH_BINDINGS ("0 1000 10000", ascending), BENCH_OUT (build/bench/disruption).
# Output: BENCH_OUT/disruption.json (every move and the summary) and
# BENCH_OUT/disruption.txt (the table); the run's logs in BENCH_OUT/logs.

ROOT=$(cd "$(dirname "$0")/.." && pwd)
export TB_ROOT="$ROOT"
RELAY_PORT=6654
# shellcheck disable=SC2034  # read by testbed.sh: tb_bridge_add points the bridges here
TB_OF_PORT=$RELAY_PORT
# shellcheck source=../tests/lib/testbed.sh
. "$ROOT/tests/lib/testbed.sh"
# shellcheck source=../tests/lib/topology.sh
. "$ROOT/tests/lib/topology.sh"

MOVES=${BENCH_MOVES:-21}
DELAYS=${BENCH_DELAYS:-0 10 50}
BINDINGS=${BENCH_BINDINGS:-0 1000 10000}
OUT=${BENCH_OUT:-$ROOT/build/bench/disruption}
WANS=none
ANNOUNCE=${BENCH_ANNOUNCE:-1}
if [ "${BENCH_WAN:-0}" = 1 ]; then
    ANNOUNCE=0
    WANS=${BENCH_WAN_DELAYS:-0 10 50}
    DELAYS=0 BINDINGS=0
    OUT=${BENCH_OUT:-$ROOT/build/bench/disruption}/wan
    # shellcheck disable=SC2034  # read by topo_up: the forwarders on the uplinks
    TOPO_WAN_DELAY_MS=0
    [ -x "$ROOT/build/tests/pktdelay" ] ||
        { echo "bench-disruption: no build/tests/pktdelay (make build/tests/pktdelay)" >&2; exit 1; }
fi
RELAY=$ROOT/build/tests/ofrelay
PY=/usr/bin/python3
MATFLOWD=${MATFLOWD:-$ROOT/build/bin/matflowd} # not the sanitizer build: timings

[ -x "$RELAY" ] || { echo "bench-disruption: no $RELAY (make build/tests/ofrelay)" >&2; exit 1; }
max_m=0
for m in $BINDINGS; do [ "$m" -gt "$max_m" ] && max_m=$m; done

mkdir -p "$OUT"
rm -rf "$OUT/logs" "$OUT/moves.txt" "$OUT"/events-*.json "$OUT"/floor-*.json
# shellcheck disable=SC2034  # read by tb_teardown / topo_up
TB_ARTIFACTS=$OUT/logs TOPO_MN2=0
tb_init bdis

fail() {
    printf 'bench-disruption: FAILED: %s\n' "$*" >&2
    tail -n 20 "$TB_RUN/matflowd.log" >&2
    exit 1
}
say() { printf '%s %s\n' "$(date +%T)" "$*"; }

# The testbed's config with /16 sites and pools of 8192 MoAs each (clear of
# the fake nodes' HoAs, 10.S.8.1 on).
sed -e 's#prefix: 10\.\([123]\)\.0\.0/24#prefix: 10.\1.0.0/16#' \
    -e 's#moa_pool: 10\.\([123]\)\.0\.200-10\.[123]\.0\.249#moa_pool: 10.\1.64.0-10.\1.95.255#' \
    "$ROOT/examples/testbed.yaml" > "$TB_RUN/bench.yaml"
# 21 moves per row of the same node: more than damping allows. The old
# location's window delays only "complete", never the data plane; off, as in
# matflow-bench, so the update times measure the engine. The fake background
# nodes all ARP at once from one port (thousands), which the per-port rate
# limit would cut: off too.
printf 'mobility:\n  damping_moves: 0\n  old_location_check: 0\n  trigger_rate: 0\n' \
    >> "$TB_RUN/bench.yaml"
grep -q '10.2.95.255' "$TB_RUN/bench.yaml" || fail "cannot derive the config from examples/testbed.yaml"
# shellcheck disable=SC2034  # read by topo_up
TOPO_CONFIG=$TB_RUN/bench.yaml

echo 0 > "$TB_RUN/delay"
tb_bg relay "$RELAY" relay --listen "127.0.0.1:$RELAY_PORT" --upstream 127.0.0.1:6653 \
    --delay-file "$TB_RUN/delay" --trace "$TB_RUN/trace.txt" --fake "$max_m" \
    --fake-count-file "$TB_RUN/fake-count"
RELAY_PID=$TB_PID
tb_wait 5 grep -q listening "$TB_RUN/relay.log" || fail "the relay did not start"

topo_up
topo_wait_ready 20 || fail "the three switches did not connect"
tb_wait 15 topo_gateways_known || fail "the gateways' MACs were not learned"
for n in 1 2 3; do topo_in lr ip route add "10.$n.0.0/16" dev "site$n" || fail "route"; done

topo_in mn ping -c 2 -W 1 10.3.0.20 > /dev/null || fail "MN cannot reach CN"
topo_udp_start probes cn mn 6000
sleep 1

count_bindings() { # count_bindings -> "total away_settled"
    tb_matflowctl bindings --json 2>/dev/null | "$PY" -c '
import json, sys
b = json.load(sys.stdin)["bindings"]
print(len(b), sum(1 for x in b if x["state"] == "away" and not x["update"]))'
}
# shellcheck disable=SC2046  # two numbers: words on purpose
bindings_ge() { set -- "$1" $(count_bindings); [ "${2:-0}" -ge "$1" ]; }
# shellcheck disable=SC2046
away_ge() { set -- "$1" $(count_bindings); [ "${3:-0}" -ge "$1" ]; }
binding_at() {
    tb_matflowctl bindings --json 2>/dev/null | "$PY" -c '
import json, sys
b = [x for x in json.load(sys.stdin)["bindings"] if x["hoa"] == "10.1.0.10"]
sys.exit(0 if b and b[0]["site"] == sys.argv[1] and not b[0]["update"] else 1)' "$1"
}
br_mgmt() { echo "unix:$TB_OVS/${TB_PREFIX}s$1.mgmt"; }

installed=0
mn_site=site1
k=0
first_m=
for m in $BINDINGS; do
    anns=0
    if [ -z "$first_m" ]; then
        first_m=$m
        [ "$ANNOUNCE" = 1 ] && anns="0 1"
    fi
    if [ "$m" -gt "$installed" ]; then
        # The first m fake nodes (those already away repeat harmlessly).
        say "M=$m: learning $((m - installed)) more fake nodes at home, then moving them away"
        echo "$m" > "$TB_RUN/fake-count"
        kill -USR1 "$RELAY_PID"
        tb_wait 120 bindings_ge $((m + 1)) || fail "fake nodes not learned: $(count_bindings)"
        t0=$(date +%s.%N)
        kill -USR2 "$RELAY_PID"
        tb_wait 300 away_ge "$m" || fail "fake nodes not away: $(count_bindings)"
        t1=$(date +%s.%N)
        say "  $m nodes away in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}') s (polled)"
        installed=$m
        sleep 1
    fi
    for s in 1 2 3; do
        echo "  s$s: $(tb_ofctl dump-flows "$(br_mgmt $s)" | grep -c cookie=) flows"
    done | tr '\n' ' ' | sed 's/^/  /'; echo
    for d in $DELAYS; do
     for ann in $anns; do
      for w in $WANS; do
        echo "$d" > "$TB_RUN/delay"
        kill -HUP "$RELAY_PID"
        if [ "$ann" = 1 ]; then
            say "M=$m D=${d}ms: $MOVES moves, each announced with matflowctl migrate"
        elif [ "$w" = none ]; then
            say "M=$m D=${d}ms: $MOVES moves"
        else
            topo_wan_delay "$w"
            say "M=$m D=${d}ms, ${w} ms between sites: $MOVES moves"
        fi
        sleep 0.5
        i=0
        while [ "$i" -lt "$MOVES" ]; do
            i=$((i + 1)); k=$((k + 1))
            case $mn_site in site1) mn_site=site2 ;; site2) mn_site=site3 ;; *) mn_site=site1 ;; esac
            a=$ann
            [ "$mn_site" = site1 ] && a=0 # a return home is never announced
            if [ "$a" = 1 ]; then
                tb_matflowctl migrate 10.1.0.10 "$mn_site" > /dev/null ||
                    fail "move $k: matflowctl migrate 10.1.0.10 $mn_site refused"
                sleep 0.05 # the receiving side is in before the node leaves
            fi
            topo_migrate -b mn "$mn_site"
            log=$TOPO_RARP_LOG
            tb_wait 15 binding_at "$mn_site" || fail "move $k: no binding at $mn_site"
            topo_rarp_wait "$log" 5 3 || tb_log "move $k: not all RARPs sent"
            tb_stop "rarp-mn-$k" TERM 1
            tb_matflowctl events --json > "$OUT/events-$k.json"
            echo "$k $m $d $mn_site $TOPO_MOVE_T0 $TOPO_MOVE_T1 $(topo_rarp_time "$log") $w $a" >> "$OUT/moves.txt"
            sleep 0.3
        done
      done
     done
    done
    # The floor for this M: flow-mods per switch per update from the trace.
    fm=$("$PY" - "$TB_RUN/trace.txt" "$OUT/moves.txt" "$m" <<'EOF'
import sys, statistics
trace, moves, m = sys.argv[1], sys.argv[2], int(sys.argv[3])
mv = [l.split() for l in open(moves)]
mv = [(float(x[6]), float(x[4])) for x in mv if int(x[1]) == m and x[2] == "0"]
fms = []
lines = [l.split() for l in open(trace)]
for j, (rarp, _) in enumerate(mv):
    end = mv[j + 1][1] if j + 1 < len(mv) else rarp + 2
    per = {}
    for l in lines:
        t = float(l[0])
        if rarp - 0.01 <= t < end and l[1] == "d" and l[3] == "14":
            per[l[2]] = per.get(l[2], 0) + 1
    if per:
        fms.append(max(per.values()))
print(int(statistics.median(fms)) if fms else 10)
EOF
)
    n_site=$(topo_site_no "$mn_site")
    say "M=$m floor: $fm flow-mods to each of 3 bridges + barrier; probe round trip on s$n_site port 10"
    "$RELAY" floor --switch "$(br_mgmt 1)" --switch "$(br_mgmt 2)" --switch "$(br_mgmt 3)" \
        --flows "$fm" --rounds 30 > "$OUT/floor-$m.json" || fail "floor"
    "$RELAY" floor --switch "$(br_mgmt "$n_site")" --flows 1 --rounds 30 \
        --probe-port 10 --probe-ip 10.1.0.10 > "$OUT/floor-probe-$m.json" || fail "floor probe"
done

# The data path's floor: how long after the barrier reply Open vSwitch's
# datapath obeys a new rule, against the same CN -> MN probes (a drop rule
# for the HoA on the CN's switch, then its removal).
say "data-path floor: 20 rounds of block / unblock CN -> MN on s3"
"$RELAY" dpfloor --switch "$(br_mgmt 3)" --dst 10.1.0.10 --rounds 20 --gap-ms 100 \
    > "$OUT/dpfloor.json" || fail "data-path floor"
sleep 1.2 # the last move's probes reach the arrival files
topo_udp_stop probes cn mn
tb_matflowctl stats --json > "$OUT/matflowd-stats.json" 2>/dev/null
tb_stop relay TERM 3
cp "$TB_RUN/trace.txt" "$OUT/trace.txt" 2>/dev/null
cp "$TB_RUN"/probes-*.bin "$OUT/" 2>/dev/null
cp "$TB_RUN/relay.log" "$TB_RUN/matflowd.log" "$OUT/" 2>/dev/null

"$PY" - "$OUT" "$ROOT/tests/lib" <<'EOF'
import bisect, json, os, sys
out, lib = sys.argv[1], sys.argv[2]
sys.path.insert(0, lib)
import traffic

MN_MAC = "52:54:00:12:34:56"

def load(path):
    r = traffic.read_arrivals(path)
    r.sort(key=lambda x: x[2])
    return r

arr = {"cn_to_mn": load(os.path.join(out, "probes-mn.bin")),
       "mn_to_cn": load(os.path.join(out, "probes-cn.bin"))}

def report(recs, t0, t1, rarp, before=1.0, after=1.0):
    # traffic.py udp-report, on sorted records
    new = [r for r in recs if r[1] >= t1]
    if not new:
        return None
    first = min(new, key=lambda r: r[2])
    times = [r[2] for r in recs]
    lo, hi = t0 - before, first[2] + after
    a = max(0, bisect.bisect_left(times, lo) - 1)
    b = bisect.bisect_right(times, hi) + 1
    gap = max((y - x for x, y in zip(times[a:b], times[a + 1:b])), default=0.0)
    i0 = bisect.bisect_left(times, t0)
    last_seq = recs[i0 - 1][0] if i0 > 0 else None
    lost = None
    if last_seq is not None:
        seen = {r[0] for r in recs[i0 - 1:bisect.bisect_right(times, first[2]) + 1]}
        lost = sum(1 for q in range(last_seq + 1, first[0]) if q not in seen)
    return {"disruption_ms": round((first[2] - rarp) * 1000, 2),
            "max_gap_ms": round(gap * 1000, 2), "lost": lost}

trace = []
try:
    for l in open(os.path.join(out, "trace.txt")):
        f = l.split()
        trace.append((float(f[0]), f[1], f[2], int(f[3]), f[6] if len(f) > 6 else None,
                      f[7] if len(f) > 7 else None))
except FileNotFoundError:
    pass
ttimes = [t[0] for t in trace]

moves = []
lines = [l.split() for l in open(os.path.join(out, "moves.txt"))]
for j, x in enumerate(lines):
    k, m, d, site, t0, t1, rarp = int(x[0]), int(x[1]), float(x[2]), x[3], float(x[4]), float(x[5]), float(x[6])
    wan = float(x[7]) if len(x) > 7 and x[7] != "none" else None
    mv = {"move": k, "bindings": m, "delay_ms": d, "wan_delay_ms": wan,
          "announced": len(x) > 8 and x[8] == "1", "to": site,
          "move_start": t0, "move_end": t1, "rarp": rarp}
    for name, recs in arr.items():
        mv[name] = report(recs, t0, t1, rarp)
    ev = json.load(open(os.path.join(out, "events-%d.json" % k)))
    ups = [u for u in ev["updates"] if u["hoa"] == "10.1.0.10" and u["complete"] and u["to"] == site]
    if ups:
        u = max(ups, key=lambda u: u["id"])
        # Times from the node's arrival: an announced update has a second
        # "trigger", when the node's RARP comes in.
        t_arrival = max([e["t_us"] for e in u["events"] if e["step"] == "trigger"] or [0]) / 1000
        steps = {}
        for e in u["events"]:
            steps.setdefault(e["step"], []).append(e["t_us"] / 1000 - t_arrival)
        mv["update"] = {"id": u["id"], "trigger": u["trigger"],
                        "complete_ms": max(steps.get("complete", [None]) or [None]),
                        "probe_reply_ms": min(steps["probe_reply"]) if "probe_reply" in steps else None,
                        "last_receiving_barrier_ms": max(steps["receiving_barrier"]) if "receiving_barrier" in steps else None,
                        "last_sending_barrier_ms": max(steps["sending_barrier"]) if "sending_barrier" in steps else None}
    # the relay's view: RARP Packet-In, flow-mods per switch until the next move
    end = float(lines[j + 1][4]) if j + 1 < len(lines) else rarp + 2
    a, b = bisect.bisect_left(ttimes, rarp - 0.01), bisect.bisect_left(ttimes, end)
    pin = [t for t in trace[a:b] if t[1] == "u" and t[3] == 10 and t[4] == "8035" and t[5] == MN_MAC]
    mv["rarp_to_packet_in_ms"] = round((pin[0][0] - rarp) * 1000, 3) if pin else None
    per = {}
    for t in trace[a:b]:
        if t[1] == "d" and t[3] == 14:
            per[t[2]] = per.get(t[2], 0) + 1
    mv["flow_mods_per_switch"] = per
    moves.append(mv)

def pct(v, p):
    v = sorted(v)
    return v[int(round((len(v) - 1) * p))]

def stats(v):
    v = [x for x in v if x is not None]
    if not v:
        return None
    return {"n": len(v), "p50": round(pct(v, .5), 2), "p90": round(pct(v, .9), 2),
            "p99": round(pct(v, .99), 2), "max": round(max(v), 2)}

summary = []
keys = sorted({(mv["bindings"], mv["announced"], mv["delay_ms"],
                mv["wan_delay_ms"] if mv["wan_delay_ms"] is not None else -1) for mv in moves})
for m, an, d, w in keys:
    w = None if w < 0 else w
    ms = [mv for mv in moves if mv["bindings"] == m and mv["delay_ms"] == d and mv["wan_delay_ms"] == w
          and mv["announced"] == an]
    row = {"bindings": m, "delay_ms": d, "wan_delay_ms": w, "announced": an, "moves": len(ms)}
    for name in arr:
        row[name] = stats([mv[name]["disruption_ms"] if mv[name] else None for mv in ms])
        row[name + "_max_gap"] = stats([mv[name]["max_gap_ms"] if mv[name] else None for mv in ms])
        row[name + "_failed"] = sum(1 for mv in ms if not mv[name])
    row["update_complete"] = stats([mv.get("update", {}).get("complete_ms") for mv in ms])
    row["rarp_to_packet_in"] = stats([mv["rarp_to_packet_in_ms"] for mv in ms])
    row["flow_mods_per_switch"] = stats([max(mv["flow_mods_per_switch"].values(), default=0) for mv in ms])
    summary.append(row)

floors = {}
for m in sorted({k[0] for k in keys}):
    f = {}
    for name in ("floor", "floor-probe"):
        try:
            f[name] = json.load(open(os.path.join(out, "%s-%d.json" % (name, m))))
        except (FileNotFoundError, ValueError):
            f[name] = None
    floors[m] = f

# Data-path floor: per round, the last probe sent after "blocked" that still
# arrived (the old rule's tail) and the first arrival after "unblocked".
dp = None
try:
    rounds = json.load(open(os.path.join(out, "dpfloor.json")))["rounds"]
except (FileNotFoundError, ValueError, KeyError):
    rounds = []
if rounds:
    recs = arr["cn_to_mn"]
    by_send = sorted(recs, key=lambda r: r[1])
    sends = [r[1] for r in by_send]
    block, unblock = [], []
    for rd in rounds:
        b, u = rd["blocked"], rd["unblocked"]
        # only the first half of the blocked time: a probe sent just before
        # "unblocked" may reach the switch after the rule is gone
        late = [r[1] for r in by_send[bisect.bisect_left(sends, b):bisect.bisect_left(sends, (b + u) / 2)]]
        block.append(max(0.0, (max(late) - b) * 1000) if late else 0.0)
        after = [r[2] for r in by_send[bisect.bisect_left(sends, b + 0.05):] if r[2] >= u]
        if after:
            unblock.append((min(after) - u) * 1000)
    dp = {"rounds": len(rounds), "block_lag_ms": stats(block), "unblock_to_first_probe_ms": stats(unblock)}

doc = {"moves": moves, "summary": summary, "floor": floors, "datapath_floor": dp}
json.dump(doc, open(os.path.join(out, "disruption.json"), "w"), indent=1)

def fmt(s):
    return "%7.1f %7.1f %7.1f %7.1f" % (s["p50"], s["p90"], s["p99"], s["max"]) if s else "      -       -       -       -"

L = []
L.append("Data-path disruption (first RARP -> first probe on the new path), ms; matflowd update (trigger -> complete), ms")
if any(r["announced"] for r in summary):
    L.append("Da: the same delay D, each move announced first with matflowctl migrate")
if any(r["wan_delay_ms"] is not None for r in summary):
    L.append("W: one-way delay between two sites (delaying forwarders on the uplinks), ms; D = 0, M = 0")
wan = any(r["wan_delay_ms"] is not None for r in summary)
L.append("%5s %5s %5s | %-31s | %-31s | %-31s | %s" % ("M", "W" if wan else "D", "moves", "CN->MN p50 p90 p99 max", "MN->CN p50 p90 p99 max", "update p50 p90 p99 max", "RARP->PacketIn p50, flow-mods/switch p50"))
for r in summary:
    L.append("%5d %5s %5d | %s | %s | %s | %.2f, %s%s" % (
        r["bindings"], ("%g" % (r["wan_delay_ms"] if wan else r["delay_ms"])) + ("a" if r["announced"] else ""),
        r["moves"], fmt(r["cn_to_mn"]), fmt(r["mn_to_cn"]),
        fmt(r["update_complete"]), r["rarp_to_packet_in"]["p50"] if r["rarp_to_packet_in"] else float("nan"),
        r["flow_mods_per_switch"]["p50"] if r["flow_mods_per_switch"] else "-",
        "" if not (r["cn_to_mn_failed"] or r["mn_to_cn_failed"]) else
        "  (no new-path probe: %d/%d)" % (r["cn_to_mn_failed"], r["mn_to_cn_failed"])))
L.append("")
L.append("Floor (Open vSwitch alone, one persistent OpenFlow connection per bridge), ms")
for m, f in floors.items():
    fl, fp = f["floor"], f["floor-probe"]
    if fl:
        s = fl["flow_mods_barrier_ms"]
        L.append("  M=%d: %d flow-mods to each of %d bridges + barrier: p50 %.3f p90 %.3f max %.3f; delete + barrier p50 %.3f; echo p50 %.3f" % (
            m, fl["flows_per_switch"], fl["switches"], s["p50"], s["p90"], s["max"],
            fl["delete_barrier_ms"]["p50"], fl["echo_ms"]["p50"]))
    if fp and fp.get("probe_packet_in_ms"):
        s = fp["probe_packet_in_ms"]
        L.append("  M=%d: ARP probe Packet-Out -> reply Packet-In: p50 %.3f p90 %.3f max %.3f (n %d)" % (
            m, s["p50"], s["p90"], s["max"], s["n"]))
if dp and dp["unblock_to_first_probe_ms"]:
    u, b = dp["unblock_to_first_probe_ms"], dp["block_lag_ms"]
    L.append("  data path: barrier reply -> first probe through a rule removed: p50 %.1f p90 %.1f p99 %.1f max %.1f; "
             "probes still passing a drop rule after its barrier: up to %.1f ms (p50 %.1f) (%d rounds, probes every 1 ms)" % (
             u["p50"], u["p90"], u["p99"], u["max"], b["max"], b["p50"], dp["rounds"]))
text = "\n".join(L)
open(os.path.join(out, "disruption.txt"), "w").write(text + "\n")
print(text)
EOF
[ "${BENCH_KEEP_PROBES:-0}" = 1 ] || rm -f "$OUT"/probes-*.bin
say "results: $OUT/disruption.json, $OUT/disruption.txt"
