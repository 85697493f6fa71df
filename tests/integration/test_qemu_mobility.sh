#!/bin/bash
# test_qemu_mobility.sh - a real QEMU live migration into another IP network,
# with matflow keeping the guest's connections alive.
#
# The reference testbed (tests/lib/topology.sh: matflowd with
# examples/testbed.yaml, three Open vSwitch sites, the legacy router LR, the
# CN 10.3.0.20 on s3, the legacy CN 10.4.0.20 behind LR), without its
# namespace MNs: the mobile node is a tiny QEMU guest (TCG; tests/lib/guest.sh,
# qemu.sh) with HoA 10.1.0.10/24, gateway 10.1.0.1, MAC 52:54:00:12:34:56,
# booted on a tap that is hypervisor port 10 of s1 (site1 10.1.0.0/24) and
# live-migrated by QEMU itself to a tap that is port 10 of s2 (site2
# 10.2.0.0/24). For each NIC model (virtio-net-pci, e1000; QMOB_NICS="..."
# to choose), one TAP line each:
#   the guest boots and pings the CN from its console (so it ARPs for its
#   gateway on its hypervisor port); matflowctl bindings --json lists it at
#   home (site1, port 10, MoA = HoA);
#   a TCP byte stream CN -> guest echo server -> CN runs;
#   QEMU migrates (downtime, total time); 5 RARPs on the destination tap, and
#   with virtio-net the guest's gratuitous ARPs;
#   the binding is away at site2 port 10 with a MoA from site2's pool
#   (10.2.0.200-249) and a new epoch;
#   what still reached the old port (s1 port 10, a paused source: lost) after
#   the first RARP, and nothing later than the update's "complete" + 50 ms;
#   matflowctl events --json: exactly one new update of the HoA, triggered by
#   the RARP, complete, in DESIGN.md's order (every switch's receiving barrier
#   before the sending side, every sending barrier before "complete"); the
#   RARPs after the first and the GARPs count as duplicate announcements
#   (counters checked), so they cause no extra update;
#   the stream carried on with every byte echoed back intact (longest stall);
#   the guest's console ping goes on from the destination;
#   the legacy CN reaches the guest (ping, and a short TCP echo exchange);
#   before the next NIC model: a second live migration back to s1, the binding
#   home again, the CN and the legacy CN reach the guest.
# At the end: no OFPT_ERROR from any switch, matflowd alive and exits 0 on
# SIGTERM, no sanitizer report. The summary gives, per NIC model, the
# network's share of the disruption: QEMU's downtime, the stream's longest
# stall, and first RARP -> binding complete (events timeline).
# QMOB_TIMELINE_OUT=DIR keeps each model's timeline (JSON) in DIR.
# Needs root, qemu-system-x86, openvswitch-switch, ethtool, tcpdump, cpio,
# iputils-ping. About 30 s here (two guest boots under TCG are most of it);
# the budget is 90 s. Artifacts (TB_ARTIFACTS): logs, captures, flow dumps,
# binding/event JSON, per-migration timelines.

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export TB_ROOT="$ROOT"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:print_summary=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# shellcheck source=../lib/testbed.sh
. "$ROOT/tests/lib/testbed.sh"
# shellcheck source=../lib/topology.sh
. "$ROOT/tests/lib/topology.sh"
# shellcheck source=../lib/qemu.sh
. "$ROOT/tests/lib/qemu.sh"
MATFLOWD=${MATFLOWD:-$(topo_matflowd_default)}
MATFLOWCTL=${MATFLOWCTL:-$ROOT/build/bin/matflowctl}

NICS=${QMOB_NICS:-virtio-net-pci e1000}
MAC=52:54:00:12:34:56
HOA=10.1.0.10
CN_IP=10.3.0.20
LCN_IP=10.4.0.20
ECHO_PORT=7
PY=/usr/bin/python3
n=0
failed=0
ok()     { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
diag() { sed 's/^/# /'; }
T_START=$(date +%s%3N)
secs() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }
elapsed() { secs $(( $(date +%s%3N) - T_START )); }

for b in "$MATFLOWD" "$MATFLOWCTL" "$PY"; do
    if [ ! -x "$b" ]; then not_ok "$b exists (run make)"; echo "1..$n"; exit 1; fi
done
for c in qemu-system-x86_64 tcpdump cpio dpkg-deb apt-get ping ovs-vswitchd ethtool; do
    if ! command -v "$c" >/dev/null 2>&1; then
        not_ok "$c is installed (qemu-system-x86, tcpdump, cpio, iputils-ping, openvswitch-switch, ethtool)"
        echo "1..$n"; exit 1
    fi
done
echo "# matflowd: $MATFLOWD"

# The guest: outside the namespace (apt-get download needs the network).
if G=$("$ROOT/tests/lib/guest.sh" 2> "${TMPDIR:-/tmp}/guest-build.$$.log"); then
    ok "guest built or cached: $G ($(elapsed) s)"
    rm -f "${TMPDIR:-/tmp}/guest-build.$$.log"
else
    not_ok "guest build"; diag < "${TMPDIR:-/tmp}/guest-build.$$.log"
    rm -f "${TMPDIR:-/tmp}/guest-build.$$.log"
    echo "1..$n"; exit 1
fi

tb_init qmob
P=$TB_PREFIX
on_exit() {
    rc=$?
    trap '' INT TERM HUP     # a second signal must not cut the teardown short
    if [ "$failed" -gt 0 ] || [ "$rc" -ne 0 ]; then
        for f in "$TB_RUN"/matflowd.log "$TB_RUN"/qemu-*.log "$TB_RUN"/stream-*.log; do
            [ -s "$f" ] || continue
            echo "# ---- ${f##*/} (tail)"; tail -n 30 "$f" | diag
        done
    fi
    qm_teardown
    tb_teardown
    echo "# total $(elapsed) s"
    [ "$failed" -eq 0 ] && [ "$rc" -eq 0 ] && exit 0
    exit 1
}
trap on_exit EXIT

# ---------------------------------------------------------------- helper
QH=$TB_RUN/qmob.py
cat > "$QH" <<'PYEOF'
import json, socket, subprocess, sys, time

POOL2 = ["10.2.0.%d" % i for i in range(200, 250)]


def ctl(ctlbin, api, what):
    out = subprocess.run([ctlbin, "--api", api, "--json", what], capture_output=True, text=True,
                         timeout=5)
    if out.returncode != 0:
        raise RuntimeError("matflowctl %s: exit %d: %s" % (what, out.returncode, out.stderr.strip()))
    return json.loads(out.stdout)


def find(doc, mac):
    for b in doc.get("bindings", []):
        if b.get("mac", "").lower() == mac.lower():
            return b
    return None


def why_not(b, hoa, state, site, port, min_epoch):
    if b is None:
        return "no binding for the MAC"
    for k, v in (("hoa", hoa), ("state", state), ("site", site), ("port", port)):
        if b.get(k) != v:
            return "%s %r (want %r)" % (k, b.get(k), v)
    if (b.get("epoch") or 0) < min_epoch:
        return "epoch %r < %d" % (b.get("epoch"), min_epoch)
    if state == "home" and b.get("moa") != hoa:
        return "moa %r at home (want the HoA)" % b.get("moa")
    if state == "away" and site == "site2" and b.get("moa") not in POOL2:
        return "moa %r not in site2's pool 10.2.0.200-249" % b.get("moa")
    if b.get("update"):
        return "update %r still in flight" % b.get("update")
    return None


def cmd_wait_binding(a):
    # wait-binding CTL API MAC HOA STATE SITE PORT MIN_EPOCH TIMEOUT
    ctlbin, api, mac, hoa, state, site, port, min_epoch, timeout = a
    t0 = time.monotonic()
    why, b = "?", None
    while True:
        try:
            b = find(ctl(ctlbin, api, "bindings"), mac)
            why = why_not(b, hoa, state, site, int(port), int(min_epoch))
        except Exception as e:
            why = str(e)
        if why is None or time.monotonic() - t0 > float(timeout):
            break
        time.sleep(0.02)
    print(json.dumps({"ok": why is None, "why": why, "binding": b,
                      "waited_ms": round((time.monotonic() - t0) * 1000)}))
    return 0 if why is None else 1


def cmd_sites_ready(a):
    doc = ctl(a[0], a[1], "sites")
    s = doc.get("sites", [])
    print(", ".join("%s %s" % (x.get("name"), x.get("gateway_mac")) for x in s))
    return 0 if len(s) == 3 and all(x.get("gateway_mac") and x.get("connected") for x in s) else 1


def cmd_last_update(a):
    # last-update EVENTS HOA: the highest update id of HOA (0: none)
    doc = json.load(open(a[0]))
    ids = [u.get("id", 0) for u in doc.get("updates", []) if u.get("hoa") == a[1]]
    print(max(ids) if ids else 0)
    return 0


def cmd_updates(a):
    # updates EVENTS HOA AFTER_ID SITE: the updates of HOA newer than AFTER_ID
    doc = json.load(open(a[0]))
    hoa, after, site = a[1], int(a[2]), a[3]
    new = sorted((u for u in doc.get("updates", []) if u.get("hoa") == hoa and u.get("id", 0) > after),
                 key=lambda u: u["id"])
    out = {"new": len(new), "complete": sum(1 for u in new if u.get("complete")),
           "failed": sum(1 for u in new if u.get("failed")),
           "superseded": sum(1 for u in new if u.get("superseded")), "updates": []}
    for u in new:
        ev = u.get("events", [])
        first = {}
        last = {}
        per = {}
        for e in ev:
            first.setdefault(e["step"], e["t_us"])
            last[e["step"]] = e["t_us"]
            per[e["step"]] = per.get(e["step"], 0) + 1
        out["updates"].append({
            "id": u.get("id"), "trigger": u.get("trigger"), "to": u.get("to"), "epoch": u.get("epoch"),
            "moa": u.get("moa"), "complete": u.get("complete"), "failed": u.get("failed"),
            "why": u.get("why"), "complete_us": first.get("complete"),
            "probe_out_us": first.get("probe_out"), "probe_reply_us": first.get("probe_reply"),
            "receiving_barriers": per.get("receiving_barrier", 0),
            "receiving_done_us": last.get("receiving_barrier"),
            "sending_out_us": first.get("sending_out"),
            "sending_barriers": per.get("sending_barrier", 0),
            "sending_done_us": last.get("sending_barrier"),
            "persisted_us": first.get("persisted"),
            "cleanup_done_us": last.get("cleanup_barrier"), "steps": len(ev)})
    ok = (out["new"] == 1 and out["complete"] == 1 and not out["failed"] and
          out["updates"][0]["trigger"] == "rarp" and out["updates"][0]["to"] == site)
    if ok:
        # DESIGN.md's order: every receiving barrier (away only; a return home
        # has no receiving side) before the first sending flow-mod, and every
        # sending barrier before "complete"; 3 switches each.
        x = out["updates"][0]
        why = []
        if x["receiving_barriers"] not in (0, 3) or (site != "site1" and x["receiving_barriers"] != 3):
            why.append("%d receiving barriers" % x["receiving_barriers"])
        elif x["receiving_barriers"] and not x["receiving_done_us"] <= x["sending_out_us"]:
            why.append("sending_out at %s us before the last receiving barrier at %s us" % (
                x["sending_out_us"], x["receiving_done_us"]))
        if x["sending_barriers"] != 3:
            why.append("%d sending barriers" % x["sending_barriers"])
        elif not x["sending_done_us"] <= x["complete_us"]:
            why.append("complete before the last sending barrier")
        if x["probe_reply_us"] is None or x["probe_reply_us"] > x["sending_out_us"]:
            why.append("sending_out before the probe reply")
        out["order"] = "; ".join(why) or "ok"
        ok = not why
    out["ok"] = ok
    print(json.dumps(out))
    return 0 if ok else 1


def cmd_counters(a):
    # counters CTL API: the mobility counters as one line of JSON
    doc = ctl(a[0], a[1], "stats")
    print(json.dumps(doc.get("mobility", {})))
    return 0


def cmd_delta(a):
    # delta BEFORE AFTER KEY...: "key=+N ..." of the counters
    x, y = json.loads(open(a[0]).read()), json.loads(open(a[1]).read())
    print(" ".join("%s=+%d" % (k, y.get(k, 0) - x.get(k, 0)) for k in a[2:]))
    return 0


def cmd_get(a):
    # get JSON-FILE KEY.KEY...
    v = json.load(open(a[0]))
    for k in a[1].split("."):
        v = v[int(k)] if isinstance(v, list) else v.get(k)
    print(v if not isinstance(v, (dict, list)) else json.dumps(v))
    return 0


def cmd_echo(a):
    # echo HOST PORT BYTES TIMEOUT: one TCP exchange with an echo server
    host, port, nbytes, timeout = a[0], int(a[1]), int(a[2]), float(a[3])
    data = bytes((i * 7 + 13) % 251 for i in range(nbytes))
    t0 = time.monotonic()
    s = socket.create_connection((host, port), timeout=timeout)
    t1 = time.monotonic()
    s.sendall(data)
    got = b""
    while len(got) < nbytes:
        d = s.recv(65536)
        if not d:
            break
        got += d
    s.close()
    t2 = time.monotonic()
    good = got == data
    print("%d bytes echoed %s (connect %.1f ms, exchange %.1f ms)" % (
        len(got), "intact" if good else "WRONG", (t1 - t0) * 1000, (t2 - t1) * 1000))
    return 0 if good else 1


def cmd_rarps(a):
    # rarps TCPDUMP MAC HOA: RARP and GARP counts, times (UNIX s) and offsets
    mac, hoa = a[1], a[2]
    rarp, garp = [], []
    for line in open(a[0], errors="replace"):
        f = line.split()
        if not f:
            continue
        try:
            t = float(f[0])
        except ValueError:
            continue
        if ("%s > ff:ff:ff:ff:ff:ff" % mac) in line and ("Reverse Request who-is %s tell %s" % (mac, mac)) in line:
            rarp.append(t)
        elif ("Request who-has %s tell %s," % (hoa, hoa)) in line:
            garp.append(t)
    print(json.dumps({"rarps": len(rarp), "garps": len(garp), "first_rarp": rarp[0] if rarp else None,
                      "rarp_offsets_ms": [round((t - rarp[0]) * 1000) for t in rarp],
                      "garp_offsets_ms": [round((t - rarp[0]) * 1000) for t in garp] if rarp else []}))
    return 0


def cmd_oldport(a):
    # oldport TCPDUMP RARPS-JSON UPDATES-JSON: IPv4 packets for the HoA on the
    # old port (tcpdump -tt text) after the first RARP on the new one
    r = json.load(open(a[1]))
    u = json.load(open(a[2]))["updates"][0]
    rarp = r["first_rarp"]
    complete_ms = u["complete_us"] / 1000 if u.get("complete_us") else None
    slack = 50      # a packet already past its switch at "complete", in a busy userspace datapath
    ts, lines = [], {}
    for line in open(a[0], errors="replace"):
        f = line.split()
        try:
            t = float(f[0])
        except (ValueError, IndexError):
            continue
        if t >= rarp:
            ms = (t - rarp) * 1000
            ts.append(ms)
            lines[round(ms, 1)] = line.strip()
    late = [t for t in ts if complete_ms is None or t > complete_ms + slack]
    print(json.dumps({"after_rarp": len(ts), "last_ms": round(max(ts), 1) if ts else None,
                      "complete_ms": round(complete_ms, 1) if complete_ms else None,
                      "slack_ms": slack, "late": len(late),
                      "late_packets": [lines[round(t, 1)] for t in late][:20]}))
    return 0


def cmd_timeline(a):
    # timeline RARPS-JSON UPDATES-JSON STREAM-RESULT MIG_T0_MS MIG_T1_MS DOWNTIME_MS
    r = json.load(open(a[0]))
    u = json.load(open(a[1]))["updates"][0]
    res = a[2]
    t0, t1, down = int(a[3]), int(a[4]), float(a[5] or 0)
    field = lambda k: int(res.split(" %s=" % k)[1].split(" ")[0]) if (" %s=" % k) in res else None
    stall, stall_at = field("max_gap_ms"), field("max_gap_at")
    rarp_ms = r["first_rarp"] * 1000 if r.get("first_rarp") else None
    complete_ms = rarp_ms + u["complete_us"] / 1000 if rarp_ms and u.get("complete_us") else None
    rel = lambda t: None if t is None or rarp_ms is None else round(t - rarp_ms)
    out = {"downtime_ms": down, "stall_ms": stall,
           "rarp_to_complete_ms": round(u["complete_us"] / 1000, 1) if u.get("complete_us") else None,
           "rarp_to_probe_reply_ms":
               round(u["probe_reply_us"] / 1000, 1) if u.get("probe_reply_us") else None,
           "migrate_sent_ms": rel(t0), "migration_completed_seen_ms": rel(t1),
           "binding_complete_ms": rel(complete_ms)}
    if stall is not None and stall_at:
        out["stall_start_ms"], out["stall_end_ms"] = rel(stall_at), rel(stall_at + stall)
        if complete_ms:
            out["after_complete_ms"] = out["stall_end_ms"] - out["binding_complete_ms"]
    print(json.dumps(out))
    return 0


sys.exit({"wait-binding": cmd_wait_binding, "sites-ready": cmd_sites_ready,
          "last-update": cmd_last_update, "updates": cmd_updates, "counters": cmd_counters,
          "oldport": cmd_oldport,
          "delta": cmd_delta, "get": cmd_get, "echo": cmd_echo, "rarps": cmd_rarps,
          "timeline": cmd_timeline}[sys.argv[1]](sys.argv[2:]))
PYEOF
qh() { "$PY" "$QH" "$@"; }
jget() { qh get "$@" 2>/dev/null; }

# ---------------------------------------------------------------- testbed
# shellcheck disable=SC2034  # read by topo_up / topo_matflowd_start
TOPO_MN2=0 TOPO_MATFLOWD_ARGS="--log-level debug"
topo_up
# topology.sh always makes the namespace MN on s1 port 10 with the guest's
# MAC (it has no TOPO_MN=0 yet): take it out before the guest comes, so that
# port 10 is free and nothing else ever speaks with that MAC.
MNIF=$(tb_ifname mn)
if ! { tb_port_del "${P}s1" "$MNIF" && tb_ns ip link del "$MNIF" && ip netns del "$(tb_nsname mn)"; }; then
    tb_die "cannot remove the namespace MN"
fi
TAP1=${P}t1 TAP2=${P}t2
tb_port_add_tap "${P}s1" "$TAP1" 10
tb_port_add_tap "${P}s2" "$TAP2" 10
CN_NS=$(tb_nsname cn)
ok "testbed up: matflowd, OVS, LR, s1/s2/s3, CN, legacy CN; no namespace MN; QEMU taps $TAP1 = s1 port 10, $TAP2 = s2 port 10 ($(elapsed) s)"
if topo_wait_ready 15; then
    ok "matflowctl switches: dpids 1, 2, 3 ready ($(elapsed) s)"
else
    not_ok "matflowctl switches: dpids 1, 2, 3 ready"; tb_matflowctl switches 2>&1 | diag
    exit 1
fi
topo_in cn ping -c 1 -W 1 10.3.0.1 > /dev/null 2>&1
topo_in lcn ping -c 1 -W 1 10.4.0.1 > /dev/null 2>&1
if tb_wait 5 qh sites-ready "$MATFLOWCTL" "$TB_API"; then
    ok "matflowctl sites: every gateway MAC learned ($(qh sites-ready "$MATFLOWCTL" "$TB_API"))"
else
    not_ok "matflowctl sites: every gateway MAC learned"; tb_matflowctl sites 2>&1 | diag
fi
qm_init "$TB_RUN" "$TB_NS" "$G" || { not_ok "qm_init"; exit 1; }

# ---------------------------------------------------------------- helpers
# wait_binding WHAT STATE SITE MIN_EPOCH: sets WB_FILE, EPOCH.
EPOCH=0
wait_binding() {
    WB_FILE=$TB_RUN/binding-$(date +%s%N).json
    qh wait-binding "$MATFLOWCTL" "$TB_API" "$MAC" "$HOA" "$2" "$3" 10 "$4" 6 > "$WB_FILE"
    _wb_rc=$?
    if [ $_wb_rc -eq 0 ]; then
        EPOCH=$(jget "$WB_FILE" binding.epoch)
        ok "$1: matflowctl bindings --json: $HOA ($MAC) $2 at $3 port 10, moa $(jget "$WB_FILE" binding.moa), epoch $EPOCH ($(jget "$WB_FILE" waited_ms) ms of waiting)"
    else
        not_ok "$1: matflowctl bindings --json: $HOA $2 at $3 port 10 ($(jget "$WB_FILE" why))"
        diag < "$WB_FILE"
    fi
    return $_wb_rc
}
has() { case " $1 " in *" $2 "*) return 0 ;; esac; return 1; }
events_now() { tb_matflowctl --json events > "$1" 2>&1; }
counters_now() { qh counters "$MATFLOWCTL" "$TB_API" > "$1" 2>&1; }
# last_seq FILE: the last ping reply's seq number on a console log.
last_seq() { sed -n 's/.*seq=\([0-9]*\).*/\1/p' "$1" 2>/dev/null | tail -n 1; }
save_flows() { for i in 1 2 3; do topo_dump_flows "site$i" > "$TB_RUN/flows-$1-s$i.txt" 2>&1; done; }
# reach WHAT NODE: NODE pings the guest and has a short TCP exchange with its
# echo server.
reach() {
    if topo_in "$2" ping -c 2 -i 0.2 -W 1 "$HOA" > "$TB_RUN/ping-$2.txt" 2>&1; then
        ok "$1: the $3 pings the guest ($(sed -n 's/.*time=\([0-9.]* ms\).*/\1/p' "$TB_RUN/ping-$2.txt" | tr '\n' ' '))"
    else
        not_ok "$1: the $3 pings the guest"; diag < "$TB_RUN/ping-$2.txt"
    fi
    if topo_in "$2" "$PY" "$QH" echo "$HOA" "$ECHO_PORT" 20000 3 > "$TB_RUN/echo-$2.txt" 2>&1; then
        ok "$1: the $3 has a TCP exchange with the guest's echo server: $(cat "$TB_RUN/echo-$2.txt")"
    else
        not_ok "$1: the $3 has a TCP exchange with the guest's echo server"; diag < "$TB_RUN/echo-$2.txt"
    fi
}

# migrate WHAT FROM TO TAP PORT SITE STATE OLDTAP: QEMU migrates guest FROM
# (on OLDTAP) into a new QEMU TO on TAP (incoming on 127.0.0.1:PORT); RARPs
# and GARPs captured on TAP, IPv4 for the HoA on OLDTAP (what still reaches
# the old port is lost: the source is paused); then the binding, the events
# and the counters. The source is quit only after the binding is complete,
# so that its tap keeps its carrier and the capture sees what still comes.
# Sets MIG_OK, RJ (RARP json), UJ (updates json), OJ (old port json).
migrate() {
    local what=$1 from=$2 to=$3 tap=$4 port=$5 site=$6 state=$7 oldtap=$8 dump old st last rarps garps
    dump=tcpdump-$to old=tcpdump-old-$to
    MIG_OK=0
    events_now "$TB_RUN/events-before-$to.json"
    last=$(qh last-update "$TB_RUN/events-before-$to.json" "$HOA")
    counters_now "$TB_RUN/counters-before-$to.json"
    tb_bg "$dump" tcpdump -i "$tap" -nn -e -tt -l 'ether proto 0x8035 or arp'
    tb_bg "$old" tcpdump -i "$oldtap" -nn -tt -l "ip and dst host $HOA"
    tb_wait 5 grep -q "listening on" "$TB_RUN/$dump.log" || not_ok "$what: tcpdump listens on $tap"
    tb_wait 5 grep -q "listening on" "$TB_RUN/$old.log" || not_ok "$what: tcpdump listens on $oldtap"
    if ! qm_start_incoming "$to" "$from" "$tap" "$port"; then
        not_ok "$what: destination QEMU waits on $tap (-incoming)"; return 1
    fi
    if qm_migrate "$from" "$to" 60; then
        ok "$what: QEMU migration completed: downtime $QM_DOWNTIME_MS ms, total $QM_TOTAL_MS ms, setup $QM_SETUP_MS ms (wall $QM_WALL_MS ms; $((QM_MIG_BYTES / 1048576)) MiB at $QM_MIG_MBPS Mbit/s, $QM_MIG_SYNCS dirty syncs)"
    else
        not_ok "$what: QEMU migration completed (status ${QM_MIG_STATUS:-?})"
        echo "$QM_MIG_JSON" | diag; return 1
    fi
    st=$(qm_status "$from")
    wait_binding "$what" "$state" "$site" $((EPOCH + 1))
    # QEMU's 5 announcement rounds take ~0.8 s from the destination's resume.
    # shellcheck disable=SC2016  # expanded by eval, each try
    tb_wait 3 eval '[ "$(grep -c "Reverse Request who-is $MAC" "$TB_RUN/$dump.log")" -ge 5 ]'
    sleep 0.3         # anything after the fifth (there should be nothing)
    tb_stop "$dump" INT 3
    tb_stop "$old" INT 3
    qm_quit "$from"
    if [ "$st" = postmigrate ] && ! qm_running "$from" && qm_running "$to"; then
        ok "$what: destination running, source was $st and has quit"
    else
        not_ok "$what: source postmigrate (was '$st') and quit, destination running"
    fi
    RJ=$TB_RUN/rarps-$to.json
    qh rarps "$TB_RUN/$dump.log" "$MAC" "$HOA" > "$RJ"
    rarps=$(jget "$RJ" rarps) garps=$(jget "$RJ" garps)
    if [ "$rarps" = 5 ]; then
        ok "$what: 5 RARPs from $MAC on $tap at $(jget "$RJ" rarp_offsets_ms) ms"
    else
        not_ok "$what: 5 RARPs on $tap (saw $rarps)"; diag < "$TB_RUN/$dump.log"
    fi
    if [ "$NIC" = e1000 ]; then
        ok "$what: $garps gratuitous ARPs from the guest (e1000 has no guest announce)"
    elif [ "$garps" -ge 1 ]; then
        ok "$what: $garps gratuitous ARPs (who-has $HOA tell $HOA) from the guest at $(jget "$RJ" garp_offsets_ms) ms"
    else
        not_ok "$what: gratuitous ARPs from the virtio-net guest (saw none)"; diag < "$TB_RUN/$dump.log"
    fi
    # The update: one, by the RARP, complete; the rest are duplicates.
    sleep 0.2
    events_now "$TB_RUN/events-after-$to.json"
    counters_now "$TB_RUN/counters-after-$to.json"
    UJ=$TB_RUN/updates-$to.json
    local d
    d=$(qh delta "$TB_RUN/counters-before-$to.json" "$TB_RUN/counters-after-$to.json" \
        rarp_in garp_in updates_started updates_complete updates_failed duplicate_announcement \
        probe_timeout reject_stale_reply)
    if qh updates "$TB_RUN/events-after-$to.json" "$HOA" "$last" "$site" > "$UJ"; then
        ok "$what: matflowctl events --json: 1 new update of $HOA, trigger $(jget "$UJ" updates.0.trigger), complete at $site (epoch $(jget "$UJ" updates.0.epoch), moa $(jget "$UJ" updates.0.moa)), $(jget "$UJ" updates.0.receiving_barriers) receiving barriers before the sending side, $(jget "$UJ" updates.0.sending_barriers) sending barriers before complete; RARP -> probe reply $(awk -v u="$(jget "$UJ" updates.0.probe_reply_us)" 'BEGIN{printf "%.1f", u/1000}') ms, -> complete $(awk -v u="$(jget "$UJ" updates.0.complete_us)" 'BEGIN{printf "%.1f", u/1000}') ms"
    else
        not_ok "$what: matflowctl events --json: exactly 1 new update of $HOA, by the RARP, complete at $site, in DESIGN.md's order ($(jget "$UJ" order))"
        diag < "$UJ"
    fi
    # What still went to the old port after the guest resumed elsewhere: the
    # network's loss. Nothing may leave a switch for the old port once the
    # update is complete (a packet already past its switch may still land).
    OJ=$TB_RUN/oldport-$to.json
    qh oldport "$TB_RUN/$old.log" "$RJ" "$UJ" > "$OJ" 2>&1
    if [ "$(jget "$OJ" late)" = 0 ]; then
        ok "$what: $(jget "$OJ" after_rarp) packets for $HOA still reached the old port $oldtap after the first RARP (lost), the last at $(jget "$OJ" last_ms) ms; binding complete at $(jget "$OJ" complete_ms) ms; none later than complete + $(jget "$OJ" slack_ms) ms"
    else
        not_ok "$what: nothing reaches the old port $oldtap later than binding complete + $(jget "$OJ" slack_ms) ms ($(jget "$OJ" late) packets did)"
        diag < "$OJ"
    fi
    # Counters: 5 RARPs (and the GARPs) in, one update started and complete.
    local want_dup=$((rarps + garps - 1))
    if has "$d" updates_started=+1 && has "$d" updates_complete=+1 && has "$d" updates_failed=+0 &&
        has "$d" duplicate_announcement=+$want_dup && has "$d" rarp_in=+"$rarps" &&
        has "$d" garp_in=+"$garps"; then
        ok "$what: counters: $d (the other $want_dup announcements were duplicates)"
    else
        not_ok "$what: counters: one update started and complete, $rarps RARPs and $garps GARPs in, $want_dup duplicate announcements ($d)"
    fi
    save_flows "$to"
    MIG_OK=1
}

# ---------------------------------------------------------------- one NIC model
SUMMARY=""
run_model() {
    local nic=$1 last_model=$2 src dst back drv t0 before after stall seq_src seq_dst lost tl
    NIC=$nic
    t0=$(date +%s%3N)
    src=$nic-s1 dst=$nic-s2 back=$nic-home
    drv=virtio_net; [ "$nic" = e1000 ] && drv=e1000
    echo "# ---- $nic: guest $MAC $HOA/24 gw 10.1.0.1 on $TAP1 (s1 port 10) -> $TAP2 (s2 port 10)"

    if ! qm_start "$src" "$TAP1" "$nic" "$MAC" "$HOA/24" 10.1.0.1 mfecho=$ECHO_PORT mfping=$CN_IP; then
        not_ok "$nic: QEMU starts on $TAP1"; return
    fi
    if qm_wait_ready "$src" 60 && qm_wait_serial "$src" 'seq=' 20 &&
        grep -q "^MFGUEST nic=$drv " "$(qm_serial "$src")"; then
        ok "$nic: guest booted on $TAP1 in $(secs "$QM_BOOT_MS") s (driver $drv) and pings the CN $CN_IP"
    else
        not_ok "$nic: guest boots on $TAP1 with driver $drv and pings the CN"
        tail -n 20 "$(qm_serial "$src")" | diag; qm_quit "$src"; return
    fi
    if ! wait_binding "$nic: learned at home" home site1 0; then
        qm_quit "$src"; return
    fi

    qm_stream_start "$nic" "$CN_NS" "$HOA" $ECHO_PORT 32768
    if qm_stream_wait "$nic" received 16384 20; then
        ok "$nic: TCP stream CN -> guest echo -> CN running ($(qm_stream_get "$nic" received) bytes verified)"
    else
        not_ok "$nic: TCP stream CN <-> guest echo"; diag < "$TB_RUN/stream-$nic.log"
        qm_stream_kill "$nic"; qm_quit "$src"; return
    fi

    before=$(qm_stream_get "$nic" received)
    seq_src=$(last_seq "$(qm_serial "$src")")
    migrate "$nic: s1 -> s2" "$src" "$dst" "$TAP2" 4444 site2 away "$TAP1"
    if [ "$MIG_OK" != 1 ]; then
        qm_stream_kill "$nic"; qm_quit "$dst"; qm_quit "$src"; return
    fi
    local downtime=$QM_DOWNTIME_MS mig_t0=$QM_MIG_T0 mig_t1=$QM_MIG_T1

    # The stream carries on through site2: 2 s worth more, then all back.
    if qm_stream_wait "$nic" received $((before + 65536)) 20; then
        if qm_stream_stop "$nic"; then
            after=$(printf '%s' "$QM_STREAM_RESULT" | sed -n 's/.* received=\([0-9]*\).*/\1/p')
            stall=$(printf '%s' "$QM_STREAM_RESULT" | sed -n 's/.*max_gap_ms=\([0-9]*\).*/\1/p')
            ok "$nic: TCP stream survived the move to site2: $after bytes echoed and verified ($((after - before)) after the migration began), none lost or corrupt; longest stall $stall ms"
        else
            not_ok "$nic: TCP stream intact across the move"; echo "${QM_STREAM_RESULT:-no result}" | diag
        fi
        echo "# $QM_STREAM_RESULT"
    else
        not_ok "$nic: TCP stream carries on after the move (stuck at $(qm_stream_get "$nic" received) bytes, state $(qm_stream_get "$nic" state) $(qm_stream_get "$nic" error))"
        qm_stream_kill "$nic"
        QM_STREAM_RESULT=$(grep '^tcpstream:' "$TB_RUN/stream-$nic.log" | tail -n 1)
    fi

    if qm_wait_serial "$dst" "seq=[0-9]+ " 10; then
        seq_dst=$(last_seq "$(qm_serial "$dst")")
        lost=$(cat "$(qm_serial "$src")" "$(qm_serial "$dst")" | sed -n 's/.*seq=\([0-9]*\).*/\1/p' |
            sort -n | uniq | awk 'NR == 1 { lo = $1 } { hi = $1; n++ } END { print (hi - lo + 1) - n }')
        ok "$nic: the guest's console ping to the CN goes on from site2 (seq $seq_src before, $seq_dst now; replies missing: $lost)"
    else
        not_ok "$nic: the guest's console ping to the CN goes on from site2"; tail -n 5 "$(qm_serial "$dst")" | diag
    fi
    reach "$nic: at site2" lcn "legacy CN $LCN_IP"

    tl=$TB_RUN/timeline-$nic.json
    qh timeline "$RJ" "$UJ" "${QM_STREAM_RESULT:-}" "$mig_t0" "$mig_t1" "$downtime" > "$tl" 2>&1
    echo "# $nic timeline (ms from the first RARP on $TAP2): $(cat "$tl")"
    # For scripts/bench-qemu.sh: the timeline, kept beyond the run.
    [ -z "${QMOB_TIMELINE_OUT:-}" ] || cp "$tl" "$QMOB_TIMELINE_OUT/timeline-$nic.json"
    SUMMARY="$SUMMARY
# $nic: QEMU downtime $downtime ms | TCP longest stall $(jget "$tl" stall_ms) ms (from $(jget "$tl" stall_start_ms) to $(jget "$tl" stall_end_ms) ms around the first RARP) | first RARP -> binding complete $(jget "$tl" rarp_to_complete_ms) ms (the guest's answer to the ARP probe at $(jget "$tl" rarp_to_probe_reply_ms) ms) | $(jget "$OJ" after_rarp) packets for the guest lost at the old port after the first RARP (the last at $(jget "$OJ" last_ms) ms) | stream back $(jget "$tl" after_complete_ms) ms after complete | ${after:-?} bytes verified | $(jget "$RJ" rarps) RARPs, $(jget "$RJ" garps) GARPs, 1 update"

    if [ "$last_model" = 1 ]; then
        qm_quit "$dst"
        echo "# $nic: $(secs $(( $(date +%s%3N) - t0 ))) s"
        return
    fi
    # Back home for the next model: a second live migration, s2 -> s1.
    migrate "$nic: s2 -> s1 (home)" "$dst" "$back" "$TAP1" 4445 site1 home "$TAP2"
    if [ "$MIG_OK" = 1 ]; then
        reach "$nic: home again" cn "CN $CN_IP"
        reach "$nic: home again" lcn "legacy CN $LCN_IP"
    fi
    qm_quit "$back"; qm_quit "$dst"
    echo "# $nic: $(secs $(( $(date +%s%3N) - t0 ))) s"
}

k=0
# shellcheck disable=SC2086  # a list of words
set -- $NICS
for nic in "$@"; do
    k=$((k + 1))
    run_model "$nic" "$([ $k -eq $# ] && echo 1 || echo 0)"
done

# ================================================================ the end
tb_matflowctl --json switches > "$TB_RUN/switches-end.json" 2>&1
if errs=$("$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
sw = [s for s in d.get("switches", []) if s.get("state") == "ready"]
print(", ".join("%s errors_in=%s" % (s.get("dpid"), s.get("errors_in")) for s in sw))
sys.exit(0 if len(sw) == 3 and all(s.get("errors_in") == 0 for s in sw) else 1)' "$TB_RUN/switches-end.json"); then
    ok "no OFPT_ERROR from any switch ($errs)"
else
    not_ok "no OFPT_ERROR from any switch ($errs)"
fi
tb_matflowctl --json stats > "$TB_RUN/stats-end.json" 2>&1
echo "# mobility counters: $(jget "$TB_RUN/stats-end.json" mobility)"
if tb_alive matflowd; then ok "matflowd still running at the end"; else not_ok "matflowd still running at the end"; fi
qm_teardown
topo_matflowd_stop TERM; rc=$?
if [ $rc -eq 0 ]; then ok "matflowd exits 0 on SIGTERM"; else not_ok "matflowd exits 0 on SIGTERM (got $rc)"; fi
if grep -nE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' \
        "$TB_RUN"/matflowd*.log > "$TB_RUN/san.txt"; then
    not_ok "no sanitizer report in matflowd's log"; head -n 40 "$TB_RUN/san.txt" | diag
else
    ok "no sanitizer report in matflowd's log"
fi
echo "# the network's share of the disruption, per NIC model:$SUMMARY"
echo "1..$n"
