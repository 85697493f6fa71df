#!/bin/bash
# test_hostile_packets.sh - hostile RARP / ARP on real Open vSwitch (the
# reference testbed, tests/lib/topology.sh): each hostile packet changes no
# binding and is counted by its reason (matflowctl stats, "mobility").
#
# Attackers are host namespaces of their own on the switches (tb_host_add),
# sending hand-made frames from an AF_PACKET socket (a Python helper written
# to the run directory):
#   nh  site2 port 5   (no hypervisor port), its own MAC
#   hv1 site1 port 12  (a hypervisor port of the MN's home site), its own MAC
#   sp3 site3 port 12  (hypervisor port), the MAC and HoA of MN2: the kernel
#                      answers the controller's ARP probe for it
#   fl  site3 port 11  (hypervisor port): the flood
# The config is examples/testbed.yaml plus
#   mobility: {damping_moves: 3, damping_window: 180}
# and three registered (static) nodes that never show up, so that there are
# more bindings to lose than MN and MN2.
#
# Checks, in order:
#  1. RARP with the MN's MAC on a port that is no hypervisor port:
#     reject_not_hypervisor_port +1, no update started, MN's binding
#     unchanged (site, port, MoA, epoch, state).
#  2. gratuitous ARP for the MN's HoA with the MN's MAC, same port: the same.
#  3. an ARP reply addressed to the controller's probe MAC (02:4d:46:00:00:01)
#     claiming the MN's HoA from another MAC: reject_probe_reply_wrong_mac +1;
#     then a real probe answered so: fl announces a registered node with a
#     RARP and answers the controller's probe for its HoA with fl's own MAC:
#     reject_probe_reply_wrong_mac +1, the update fails on probe_timeout, the
#     binding and the site3 pool as before.
#  4. a gratuitous ARP claiming the MN's HoA with the attacker's own MAC on a
#     hypervisor port of the MN's home site: reject_hoa_conflict +1, no new
#     binding.
#  5. damping: the MN moves for real 3 times (site2, site3, site2: port moves
#     and QEMU's RARPs, it answers its probes); a 4th RARP (spoofed, from a
#     hypervisor port of site1) is reject_damped +1; the binding stays, the CN
#     still reaches the MN.
#  6. old location answers: MN2 is at home (site2 port 11, answering); sp3
#     announces it with a RARP on site3 and answers the probe there; MN2
#     answers the old-location probe: reject_old_location_answers +1,
#     updates_failed +1, an "ALARM" line in matflowd's log, MN2's binding as
#     before (site, epoch, MoA), the site3 MoA back in the pool, the CN still
#     reaches MN2.
#  7. flood: 10,000 RARP/s (or what Python manages; the achieved rate is
#     printed) for 2 s from fl, sender MACs mixed: the MN's (damped by now), a
#     registered node's, unknown ones; meanwhile MN2 really moves
#     site2 -> site1. reject_rate_limited > 50% of what was sent; no more
#     admitted than trigger_burst + trigger_rate x duration; matflowd alive and
#     answers `matflowctl ping 3`; MN2's move completes; the CN reaches both.
#  8. every binding from before the attacks is still there, and each is where
#     its genuine moves put it ("bindings lost: 0", "bindings moved by
#     attacks: 0"); MoA pools hold exactly the away bindings' MoAs; no
#     OFPT_ERROR; matflowd exits 0 on SIGTERM.
# The router's ARP cache is no business of the controller: claims for the
# MN's HoA from another MAC (3, 4) are addressed to the controller's MAC, so
# that no host on the wire takes them (OVS floods them, the kernels drop
# them), and the CN's traffic to the MN is not derailed for the checks after.
# TAP output. Needs root, Open vSwitch, ethtool, iputils-ping. About 15 s.

# One { ... } group: bash reads it all before running any of it.
{
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export TB_ROOT="$ROOT"
# shellcheck source=../lib/testbed.sh
. "$ROOT/tests/lib/testbed.sh"
# shellcheck source=../lib/topology.sh
. "$ROOT/tests/lib/topology.sh"
MATFLOWCTL=${MATFLOWCTL:-$ROOT/build/bin/matflowctl}
PY=/usr/bin/python3
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { _d=$1; shift; if "$@"; then ok "$_d"; else not_ok "$_d"; fi; }
diag() { sed 's/^/# /'; }
T_START=$(date +%s%3N)
elapsed() { awk -v ms=$(( $(date +%s%3N) - T_START )) 'BEGIN { printf "%.1f", ms / 1000 }'; }

MN_MAC=$TOPO_MN_MAC
MN2_MAC=$TOPO_MN2_MAC
CTL_MAC=02:4d:46:00:00:01       # mob_controller_mac (src/app/mobility/mob_flows.c)
NH_MAC=02:00:00:00:0b:05        # attackers' own MACs
HV1_MAC=02:00:00:00:0b:12
FL_MAC=02:00:00:00:0b:11
STATIC1_MAC=52:54:00:aa:00:31   # registered nodes (never present)
BURST=1000                      # trigger_burst, trigger_rate: the defaults
RATE=200

tb_init hostile
# shellcheck disable=SC2034  # read by topo_up
TOPO_CONFIG=$TB_RUN/hostile.yaml
{
    cat "$ROOT/examples/testbed.yaml"
    cat <<EOF
mobile_nodes:
  - mac: $STATIC1_MAC
    hoa: 10.1.0.31
  - mac: 52:54:00:aa:00:32
    hoa: 10.2.0.32
  - mac: 52:54:00:aa:00:33
    hoa: 10.3.0.33
mobility:
  damping_moves: 3
  damping_window: 180
EOF
} > "$TOPO_CONFIG"

# The frame maker: one frame (rarp | arp) or a paced flood, from eth0 of the
# namespace it runs in. Prints JSON: what was sent.
cat > "$TB_RUN/hostile.py" <<'PYEOF'
import argparse, errno, json, socket, struct, sys, time
p = argparse.ArgumentParser()
p.add_argument("kind", choices=["rarp", "arp", "warm", "flood", "answer"])
p.add_argument("--src", help="Ethernet source (default: sha)")
p.add_argument("--dst", default="ff:ff:ff:ff:ff:ff")
p.add_argument("--op", type=int, default=1)
p.add_argument("--sha")
p.add_argument("--spa", default="0.0.0.0")
p.add_argument("--tha", default="00:00:00:00:00:00")
p.add_argument("--tpa", default="0.0.0.0")
p.add_argument("--macs", help="flood: sender MACs, used in turn")
p.add_argument("--rate", type=float, default=10000)
p.add_argument("--secs", type=float, default=2.0)
a = p.parse_args()
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
own = s.getsockname()[4]
mac = lambda t: bytes.fromhex(t.replace(":", "")) if t else own
ip = socket.inet_aton

def rarp(m):
    body = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 3) + m + b"\0" * 4 + m + b"\0" * 4
    return (b"\xff" * 6 + m + b"\x80\x35" + body).ljust(60, b"\0")

if a.kind == "warm":     # a frame nobody handles (local experimental ethertype)
    s.send((own + own + b"\x88\xb5").ljust(60, b"\0"))
    print(json.dumps({"sent": 1}))
elif a.kind == "rarp":
    sha = mac(a.sha)
    f = bytearray(rarp(sha))
    f[6:12] = mac(a.src) if a.src else sha
    s.send(bytes(f))
    print(json.dumps({"sent": 1}))
elif a.kind == "arp":
    sha = mac(a.sha)
    body = struct.pack("!HHBBH", 1, 0x0800, 6, 4, a.op) + sha + ip(a.spa) + mac(a.tha) + ip(a.tpa)
    s.send((mac(a.dst) + (mac(a.src) if a.src else sha) + b"\x08\x06" + body).ljust(60, b"\0"))
    print(json.dumps({"sent": 1}))
elif a.kind == "answer":  # answer the first "who has SPA?" with sha (default: own MAC)
    r = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
    r.bind(("eth0", 0x0806))
    r.settimeout(0.1)
    print("ready", flush=True)
    end = time.time() + a.secs
    while time.time() < end:
        try:
            f = r.recv(2048)
        except socket.timeout:
            continue
        if len(f) < 42 or f[12:14] != b"\x08\x06" or f[20:22] != b"\x00\x01" or f[38:42] != ip(a.spa):
            continue
        body = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 2) + mac(a.sha) + ip(a.spa) + f[22:28] + f[28:32]
        s.send((f[22:28] + (mac(a.src) if a.src else mac(a.sha)) + b"\x08\x06" + body).ljust(60, b"\0"))
        print(json.dumps({"answered": a.spa, "asker": f[22:28].hex(":"), "as": mac(a.sha).hex(":")}),
              flush=True)
        break
else:
    frames = [rarp(mac(m)) for m in a.macs.split(",")]
    total = int(a.rate * a.secs)
    sent = dropped = 0
    t0 = time.perf_counter()
    while sent < total:
        due = min(total, int((time.perf_counter() - t0) * a.rate) + 1)
        if sent >= due:
            time.sleep(0.0005)
            continue
        while sent < due:
            try:
                s.send(frames[sent % len(frames)])
            except OSError as e:
                if e.errno not in (errno.ENOBUFS, errno.EAGAIN):
                    raise
                dropped += 1
                time.sleep(0.0002)
                continue
            sent += 1
        if time.perf_counter() - t0 > a.secs * 3:   # far behind: stop anyway
            break
    secs = time.perf_counter() - t0
    print(json.dumps({"sent": sent, "secs": round(secs, 3), "rate": round(sent / secs),
                      "enobufs": dropped, "t0": time.time() - secs}))
PYEOF
hostile() { _h_node=$1; shift; tb_in "$_h_node" "$PY" "$TB_RUN/hostile.py" "$@"; }

# ---- counters and bindings
# snap NAME: matflowctl stats --json into $TB_RUN/snap-NAME.json
snap() { tb_matflowctl stats --json > "$TB_RUN/snap-$1.json"; }
# delta A B COUNTER: the mobility counter's growth from snapshot A to B
delta() {
    "$PY" - "$TB_RUN/snap-$1.json" "$TB_RUN/snap-$2.json" "$3" <<'EOF'
import json, sys
a, b = (json.load(open(f))["mobility"] for f in sys.argv[1:3])
print(b[sys.argv[3]] - a[sys.argv[3]])
EOF
}
# deltas A B: every counter that moved, "name+N ..." (for the diagnostics)
deltas() {
    "$PY" - "$TB_RUN/snap-$1.json" "$TB_RUN/snap-$2.json" <<'EOF'
import json, sys
a, b = (json.load(open(f))["mobility"] for f in sys.argv[1:3])
print(" ".join("%s+%d" % (k, b[k] - a[k]) for k in sorted(b) if b[k] != a.get(k, 0)) or "none")
EOF
}
# Counters that no hostile packet of 1-4 may move: a move started or ended.
MOVE_COUNTERS="updates_started updates_complete updates_failed updates_superseded hosts_learned"
# exactly A B COUNTER=N...: each named counter grew by exactly N, and every
# counter of MOVE_COUNTERS not named grew by 0; says what differs.
exactly() {
    _ex_a=$1 _ex_b=$2; shift 2
    _ex_bad=
    for _ex_c in $MOVE_COUNTERS; do
        case " $* " in *" $_ex_c="*) ;; *) set -- "$@" "$_ex_c=0" ;; esac
    done
    for _ex_kv in "$@"; do
        _ex_d=$(delta "$_ex_a" "$_ex_b" "${_ex_kv%%=*}")
        [ "$_ex_d" = "${_ex_kv#*=}" ] || _ex_bad="$_ex_bad ${_ex_kv%%=*}:+$_ex_d(want +${_ex_kv#*=})"
    done
    [ -z "$_ex_bad" ] && return 0
    echo "counters off:$_ex_bad; all that moved: $(deltas "$_ex_a" "$_ex_b")" | diag
    return 1
}
# bsnap NAME: every binding, one line each "hoa mac site port moa epoch state
# update", sorted, into $TB_RUN/bind-NAME.txt; prints how many.
bsnap() {
    tb_matflowctl bindings --json | "$PY" -c '
import json, sys
for b in sorted(json.load(sys.stdin)["bindings"], key=lambda x: x["hoa"]):
    print(b["hoa"], b["mac"], b["site"], b["port"], b["moa"], b["epoch"], b["state"], b["update"])
' > "$TB_RUN/bind-$1.txt"
    wc -l < "$TB_RUN/bind-$1.txt"
}
# bind NAME HOA: the binding's line in snapshot NAME
bind() { grep "^$2 " "$TB_RUN/bind-$1.txt"; }
# same NAME1 NAME2 HOA: the binding is the same in both snapshots
same() {
    [ -n "$(bind "$1" "$3")" ] && [ "$(bind "$1" "$3")" = "$(bind "$2" "$3")" ] && return 0
    printf '%s\n' "before: $(bind "$1" "$3")" "after:  $(bind "$2" "$3")" | diag
    return 1
}
field() { # field NAME HOA site|port|moa|epoch|state|update
    case $3 in site) _f=3 ;; port) _f=4 ;; moa) _f=5 ;; epoch) _f=6 ;; state) _f=7 ;; *) _f=8 ;; esac
    bind "$1" "$2" | awk -v i=$_f '{ print $i }'
}
# settled HOA SITE: the binding is at SITE, no update in flight
settled() { bsnap now >/dev/null; [ "$(field now "$1" site)" = "$2" ] && [ "$(field now "$1" update)" = 0 ]; }
# quiet: no binding has an update in flight
quiet() { bsnap now >/dev/null; awk '$8 != 0 { busy = 1 } END { exit busy }' "$TB_RUN/bind-now.txt"; }
reach() { topo_in "$1" ping -q -c 2 -i 0.2 -W 1 "$2" >/dev/null; }
log_count() { grep -c -- "$1" "$TB_RUN/matflowd.log"; }
pool_used() {
    tb_matflowctl sites --json | "$PY" -c '
import json, sys
print([s for s in json.load(sys.stdin)["sites"] if s["name"] == sys.argv[1]][0]["pool_used"])' "$1"
}
# counter_above SNAP COUNTER: the counter is above its value in snapshot SNAP
counter_above() { snap cur; [ "$(delta "$1" cur "$2")" -gt 0 ]; }

# port_rx BR PORT: packets OVS received on the port
port_rx() {
    tb_ofctl dump-ports "unix:$TB_OVS/$1.mgmt" "$2" 2>/dev/null |
        sed -n 's/.*rx pkts=\([0-9]*\).*/\1/p' | head -n 1
}
# warm NODE BR PORT: send a harmless frame until OVS counts one on the port
# (a port just added takes a moment; a hostile frame must not be lost).
warm() {
    _w_i=0
    while [ $_w_i -lt 30 ]; do
        hostile "$1" warm >/dev/null
        _w_rx=$(port_rx "$2" "$3")
        [ -n "$_w_rx" ] && [ "$_w_rx" -gt 0 ] && return 0
        sleep 0.1; _w_i=$((_w_i + 1))
    done
    return 1
}
# attacker NAME BR PORT MAC [ADDR/PLEN]: a host namespace, IPv6 off (no
# frames of its own), its port made ready
attacker() {
    tb_host_add "$1" "$2" "$3" "${5:-}" "" "$4"
    tb_in "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
        net.ipv6.conf.eth0.disable_ipv6=1
}

# ---------------------------------------------------------------- testbed
topo_up
P=$TB_PREFIX
attacker nh "${P}s2" 5 $NH_MAC
attacker hv1 "${P}s1" 12 $HV1_MAC
attacker fl "${P}s3" 11 $FL_MAC
# sp3 impersonates MN2: its MAC and HoA; the kernel answers "who has
# 10.2.0.10?" (also a probe from 0.0.0.0) as MN2's own would.
attacker sp3 "${P}s3" 12 "$MN2_MAC" 10.2.0.10/24
tb_in sp3 sysctl -qw net.ipv4.conf.all.arp_ignore=0 net.ipv4.conf.eth0.arp_ignore=0 \
    net.ipv4.conf.all.arp_filter=0 net.ipv4.conf.eth0.arp_filter=0
if topo_wait_ready 20; then
    ok "the three switches are ready"
else
    not_ok "the three switches are ready"; echo "1..$n"; exit 1
fi
check "gateway MACs learned" tb_wait 10 topo_gateways_known
ports_ok=1
for _a in "nh ${P}s2 5" "hv1 ${P}s1 12" "fl ${P}s3 11" "sp3 ${P}s3 12"; do
    # shellcheck disable=SC2086  # three words on purpose
    warm $_a || { ports_ok=0; echo "port of attacker ${_a%% *} never counted a frame" | diag; }
done
check "the attackers' ports pass frames" [ $ports_ok = 1 ]
topo_in mn ping -q -c 1 -W 1 10.1.0.1 >/dev/null
topo_in mn2 ping -q -c 1 -W 1 10.2.0.1 >/dev/null
learned() { settled 10.1.0.10 site1 && settled 10.2.0.10 site2 &&
            [ "$(field now 10.1.0.10 port)" = 10 ] && [ "$(field now 10.2.0.10 port)" = 11 ]; }
check "MN and MN2 learned at home (site1 port 10, site2 port 11)" tb_wait 5 learned
reach_both() { reach cn 10.1.0.10 && reach cn 10.2.0.10; }
check "the CN reaches MN and MN2" reach_both
nb0=$(bsnap before)
check "5 bindings before the attacks (MN, MN2, 3 registered)" [ "$nb0" = 5 ]
diag < "$TB_RUN/bind-before.txt"
epoch_mn0=$(field before 10.1.0.10 epoch)
epoch_mn2_0=$(field before 10.2.0.10 epoch)

# ---------------------------------------------------------------- 1, 2
# nh sits on site2 port 5, which is no hypervisor port.
snap s1
hostile nh rarp --sha $MN_MAC >/dev/null
tb_wait 3 counter_above s1 reject_not_hypervisor_port; sleep 0.2; snap e1; bsnap a1 >/dev/null
check "1. RARP with the MN's MAC on a non-hypervisor port: reject_not_hypervisor_port +1, rarp_in +1, no update" \
    exactly s1 e1 reject_not_hypervisor_port=1 rarp_in=1
check "   MN's binding unchanged (site, port, MoA, epoch, state)" same before a1 10.1.0.10

snap s2
hostile nh arp --sha $MN_MAC --spa 10.1.0.10 --tpa 10.1.0.10 >/dev/null
tb_wait 3 counter_above s2 reject_not_hypervisor_port; sleep 0.2; snap e2; bsnap a2 >/dev/null
check "2. gratuitous ARP for the MN's HoA with its MAC on a non-hypervisor port: reject_not_hypervisor_port +1, no garp_in, no update" \
    exactly s2 e2 reject_not_hypervisor_port=1 garp_in=0
check "   MN's binding unchanged" same before a2 10.1.0.10

# ---------------------------------------------------------------- 3, 4
# hv1 sits on site1 port 12, a hypervisor port of the MN's home site.
# First an answer nobody asked for, then one to a real probe.
snap s3
hostile hv1 arp --op 2 --sha $HV1_MAC --spa 10.1.0.10 --tha $CTL_MAC --tpa 0.0.0.0 --dst $CTL_MAC >/dev/null
tb_wait 3 counter_above s3 reject_probe_reply_wrong_mac; sleep 0.2; snap e3; bsnap a3 >/dev/null
check "3. ARP reply to the probe MAC claiming the MN's HoA from another MAC: reject_probe_reply_wrong_mac +1, no update" \
    exactly s3 e3 reject_probe_reply_wrong_mac=1 reject_hoa_conflict=0 reject_stale_reply=0
check "   MN's binding unchanged" same before a3 10.1.0.10

# fl (site3 port 11) announces the registered node 10.2.0.32 (home site2,
# never seen) with a RARP and answers the controller's probe for 10.2.0.32
# with its own MAC: the answer is refused, the probe times out, the update
# fails and is rolled back.
used3=$(pool_used site3)
snap s3b
tb_bg_in fl answer "$PY" "$TB_RUN/hostile.py" answer --spa 10.2.0.32 --secs 3
answer_pid=$TB_PID
tb_wait 3 grep -qx ready "$TB_RUN/answer.log"
hostile fl rarp --sha 52:54:00:aa:00:32 >/dev/null
probe_failed() { snap cur; [ "$(delta s3b cur updates_failed)" -ge 1 ] && quiet; }
tb_wait 4 probe_failed; sleep 0.2; snap e3b; bsnap a3b >/dev/null
wait "$answer_pid"; rm -f "$TB_RUN/pids/answer"
check "   a spoofed RARP for a registered node whose probe the attacker answers with its own MAC: reject_probe_reply_wrong_mac +1, the update fails on probe_timeout" \
    exactly s3b e3b reject_probe_reply_wrong_mac=1 updates_started=1 updates_failed=1 probe_timeout=1 \
    reject_stale_reply=0 reject_hoa_conflict=0
check "   the attacker did answer the probe ($(grep answered "$TB_RUN/answer.log" 2>/dev/null))" \
    grep -q '"asker": "02:4d:46:00:00:01"' "$TB_RUN/answer.log"
intact3b() { same before a3b 10.2.0.32 && [ "$(pool_used site3)" = "$used3" ]; }
check "   the node's binding unchanged, the site3 MoA back in the pool" intact3b

snap s4
hostile hv1 arp --sha $HV1_MAC --spa 10.1.0.10 --tpa 10.1.0.10 --dst $CTL_MAC >/dev/null
tb_wait 3 counter_above s4 reject_hoa_conflict; sleep 0.2; snap e4; nb4=$(bsnap a4)
check "4. gratuitous ARP claiming the MN's HoA with the attacker's MAC on a hypervisor port: reject_hoa_conflict +1, nothing learned" \
    exactly s4 e4 reject_hoa_conflict=1 garp_in=0
check "   MN's binding unchanged" same before a4 10.1.0.10
no_hv1_binding() { [ "$nb4" = "$nb0" ] && ! grep -qi "$HV1_MAC" "$TB_RUN/bind-a4.txt"; }
check "   no binding for the attacker's MAC ($nb4 bindings)" no_hv1_binding

# ---------------------------------------------------------------- 5 damping
# Three genuine moves of the MN (each answers its probe; its old port is gone,
# so the old-location check stays silent), then a 4th announcement.
moves_ok=1
for _mv in site2 site3 site2; do
    topo_migrate mn "$_mv"
    if ! tb_wait 5 settled 10.1.0.10 "$_mv"; then
        moves_ok=0; echo "MN did not settle at $_mv: $(bind now 10.1.0.10)" | diag
    fi
done
bsnap m5 >/dev/null
moved3() {
    [ "$moves_ok" = 1 ] && [ "$(field m5 10.1.0.10 state)" = away ] &&
        [ "$(field m5 10.1.0.10 epoch)" = $((epoch_mn0 + 3)) ]
}
check "5. MN moved for real 3 times (site2, site3, site2): at site2, away, epoch +3" moved3
check "   the CN reaches the MN at site2" reach cn 10.1.0.10
snap s5
hostile hv1 rarp --sha $MN_MAC >/dev/null      # "the MN is back home": a 4th move
tb_wait 3 counter_above s5 reject_damped; sleep 0.3; snap e5; bsnap a5 >/dev/null
check "   a 4th RARP for the MN (site1 port 12) within the window: reject_damped +1, no update" \
    exactly s5 e5 reject_damped=1 rarp_in=1
check "   MN's binding unchanged (site2, port, MoA, epoch)" same m5 a5 10.1.0.10
check "   the CN still reaches the MN" reach cn 10.1.0.10

# ---------------------------------------------------------------- 6 old location
# MN2 is at home, site2 port 11, and answers. sp3 (MN2's MAC and HoA) on a
# hypervisor port of site3 announces it and answers the probe there too.
bsnap b6 >/dev/null
used3=$(pool_used site3)
alarms=$(log_count ALARM)
snap s6
hostile sp3 rarp >/dev/null
tb_wait 3 counter_above s6 updates_started
rolled_back() { snap cur; [ "$(delta s6 cur updates_failed)" -ge 1 ] && quiet; }
tb_wait 5 rolled_back; sleep 0.2; snap e6; bsnap a6 >/dev/null
tb_in sp3 ip link set eth0 down          # the impostor leaves
check "6. spoofed move of MN2 whose old location still answers: reject_old_location_answers +1, updates_failed +1 (one update, one old-location check)" \
    exactly s6 e6 reject_old_location_answers=1 updates_failed=1 updates_started=1 old_location_checks=1
check "   an ALARM line in matflowd's log" [ "$(log_count ALARM)" -gt "$alarms" ]
grep -- ALARM "$TB_RUN/matflowd.log" | tail -n 1 | diag
check "   MN2's binding as before (site2, port 11, MoA = HoA, epoch $epoch_mn2_0, home)" same b6 a6 10.2.0.10
check "   the site3 MoA went back to the pool" [ "$(pool_used site3)" = "$used3" ]
check "   the CN still reaches MN2 (the real one)" reach cn 10.2.0.10
check "   MN's binding untouched" same a5 a6 10.1.0.10
# Which way it went: the impostor's answer came before the old location's
# (then the sending side may have gone out and was rolled back) or after the
# rollback (then it is a stale reply).
tb_matflowctl events --json > "$TB_RUN/events-6.json"
steps6=$("$PY" - "$TB_RUN/events-6.json" <<'EOF'
import json, sys
u = [u for u in json.load(open(sys.argv[1]))["updates"] if u["hoa"] == "10.2.0.10"][-1]
print(u["trigger"], u["to"], "failed" if u["failed"] else "not-failed",
      ",".join(e["step"] for e in u["events"]))
EOF
)
echo "MN2's spoofed update: $steps6; reject_stale_reply +$(delta s6 e6 reject_stale_reply)" | diag
impostor_answered() {
    case $steps6 in *probe_reply*) return 0 ;; esac
    [ "$(delta s6 e6 reject_stale_reply)" -ge 1 ]
}
check "   the impostor answered the probe at site3 (probe_reply in the update, or a stale reply after the rollback)" \
    impostor_answered
rolled_back_by_alarm() { case $steps6 in "rarp site3 failed "*old_location_answered*) return 0 ;; esac; return 1; }
check "   the update: trigger rarp to site3, old_location_answered, failed" rolled_back_by_alarm

# ---------------------------------------------------------------- 7 flood
# From fl (site3 port 11): QEMU-style RARPs, broadcast, source = sender MAC,
# cycling over the MN's MAC (damped by now), a registered node's (home site1:
# an admitted one starts a spoofed move nobody answers) and six unknown MACs.
# MN2 really moves to site1 port 11 while it runs.
macs="$MN_MAC,52:54:00:ee:00:01,$STATIC1_MAC,52:54:00:ee:00:02,52:54:00:ee:00:03"
macs="$macs,52:54:00:ee:00:04,52:54:00:ee:00:05,52:54:00:ee:00:06"
bsnap b7 >/dev/null
snap s7
t7=$(date +%s.%N)
tb_bg_in fl flood "$PY" "$TB_RUN/hostile.py" flood --macs "$macs" --rate 10000 --secs 2
flood_pid=$TB_PID
sleep 0.3
ping_out=$(tb_matflowctl ping "$(tb_dpid 3)" 2>&1); ping_rc=$?
ping_at=$(awk -v a="$t7" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
topo_migrate mn2 site1 11
mn2_moved_at=$(awk -v a="$t7" -v b="$TOPO_MOVE_T0" 'BEGIN { printf "%.2f", b - a }')
still_flooding=0; tb_alive flood && still_flooding=1
wait "$flood_pid"; flood_rc=$?
flood_end=$(awk -v a="$t7" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
rm -f "$TB_RUN/pids/flood"
# Until matflowd has read everything the switch passed on: the counters stop.
settle_counters() {
    _sc_prev=""
    for _sc_i in $(seq 50); do
        snap cur
        _sc_now=$("$PY" -c 'import json,sys; m=json.load(open(sys.argv[1]))["mobility"]; print(m["reject_rate_limited"], m["rarp_in"])' "$TB_RUN/snap-cur.json")
        [ "$_sc_now" = "$_sc_prev" ] && return 0
        _sc_prev=$_sc_now
        sleep 0.2
    done
    return 1
}
settle_counters
t7e=$(date +%s.%N)
snap e7
read -r sent secs achieved < <("$PY" -c '
import json, sys
d = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
print(d["sent"], d["secs"], d["rate"])' "$TB_RUN/flood.log" 2>/dev/null || echo "0 0 0")
limited=$(delta s7 e7 reject_rate_limited)
admitted=$(delta s7 e7 rarp_in)
window=$(awk -v a="$t7" -v b="$t7e" 'BEGIN { printf "%.2f", b - a }')
expect=$(awk -v s="$sent" -v d="$secs" -v r=$RATE -v b=$BURST 'BEGIN { e = s - b - r * d; printf "%d", e < 0 ? 0 : e }')
max_admit=$(awk -v w="$window" -v r=$RATE -v b=$BURST 'BEGIN { printf "%d", b + r * w + 20 }')
{
    echo "flood: sent $sent RARPs in $secs s from site3 port 11: $achieved RARP/s achieved (asked 10000/s; exit $flood_rc)"
    echo "flood: matflowd saw $((limited + admitted)) (with MN2's 5 RARPs on site1): rate-limited $limited (expected about sent - burst - rate x duration = $expect), admitted $admitted (at most $max_admit in the $window s until the counters stopped)"
    echo "flood: all counters that moved: $(deltas s7 e7)"
    echo "flood: started at +0; matflowctl ping 3 at +$ping_at s: $ping_out"
    echo "flood: MN2's port moved at +$mn2_moved_at s; the flood ended by +$flood_end s"
} | diag
check "7. flood of $sent RARPs ($achieved/s): reject_rate_limited +$limited > 50% of sent" \
    awk -v l="$limited" -v s="$sent" 'BEGIN { exit !(s >= 5000 && l > s / 2) }'
check "   admitted $admitted <= burst + rate x $window s (+20) = $max_admit" [ "$admitted" -le "$max_admit" ]
check "   the admitted ones with unknown MACs: reject_unknown_mac grew" [ "$(delta s7 e7 reject_unknown_mac)" -gt 0 ]
check "   matflowd answered matflowctl ping 3 during the flood (a barrier to the flooded switch)" [ $ping_rc = 0 ]
check "   matflowd is alive after it" tb_alive matflowd
ping3() { tb_matflowctl ping "$(tb_dpid 3)" >/dev/null; }
check "   and answers matflowctl ping 3" ping3
check "   MN2's port moved (+$mn2_moved_at s) while the flood ran" [ $still_flooding = 1 ]
check "   MN2's genuine move to site1 (during the flood) completes" tb_wait 5 settled 10.2.0.10 site1
grep -F "binding 10.2.0.10 at site1" "$TB_RUN/matflowd.log" | tail -n 1 | diag
mn2_away1() {
    [ "$(field now 10.2.0.10 state)" = away ] && [ "$(field now 10.2.0.10 epoch)" = $((epoch_mn2_0 + 1)) ]
}
check "   MN2 at site1: away, epoch +1" mn2_away1
check "   the CN reaches MN2 at site1" reach cn 10.2.0.10
check "   the CN reaches the MN at site2" reach cn 10.1.0.10
# The registered node's spoofed moves fail on their probe (nobody answers).
check "   no update left in flight" tb_wait 5 quiet
bsnap a7 >/dev/null
both_same7() { same b7 a7 10.1.0.10 && same b7 a7 10.1.0.31; }
check "   MN's and the flooded registered node's bindings unchanged" both_same7

# ---------------------------------------------------------------- 8 in the end
nb8=$(bsnap end)
lost=0 moved=0
while read -r hoa mac _rest; do
    line=$(bind end "$hoa")
    if [ -z "$line" ] || [ "$(echo "$line" | awk '{print $2}')" != "$mac" ]; then
        lost=$((lost + 1)); echo "lost: $hoa $mac" | diag; continue
    fi
    # Where its genuine moves put it; the rest exactly as before.
    case $hoa in
        10.1.0.10) want="site2 10 away $((epoch_mn0 + 3))" ;;
        10.2.0.10) want="site1 11 away $((epoch_mn2_0 + 1))" ;;
        *) want="$(field before "$hoa" site) $(field before "$hoa" port) $(field before "$hoa" state) $(field before "$hoa" epoch)" ;;
    esac
    got="$(field end "$hoa" site) $(field end "$hoa" port) $(field end "$hoa" state) $(field end "$hoa" epoch)"
    if [ "$got" != "$want" ] || { [ "$hoa" != 10.1.0.10 ] && [ "$hoa" != 10.2.0.10 ] &&
            [ "$(field end "$hoa" moa)" != "$(field before "$hoa" moa)" ]; }; then
        moved=$((moved + 1)); echo "moved: $hoa: $got (want $want)" | diag
    fi
done < "$TB_RUN/bind-before.txt"
diag < "$TB_RUN/bind-end.txt"
none_lost() { [ "$lost" = 0 ] && [ "$nb8" = "$nb0" ]; }
check "8. bindings: $nb8 now, $nb0 before the attacks; bindings lost: $lost" none_lost
check "   bindings moved other than by genuine moves: $moved" [ "$moved" = 0 ]
pools_ok() {
    [ "$(pool_used site1)" = 1 ] && [ "$(pool_used site2)" = 1 ] && [ "$(pool_used site3)" = 0 ]
}
check "   MoA pools: one MoA used at site1 (MN2), one at site2 (MN), none at site3" pools_ok
errs=$(tb_matflowctl switches --json | "$PY" -c 'import json, sys; print(sum(s["errors_in"] for s in json.load(sys.stdin)["switches"]))')
check "   no OFPT_ERROR from any switch" [ "$errs" = 0 ]
snap final
deltas s1 final | sed 's/^/all counters over the attacks: /' | diag
topo_matflowd_stop; rc=$?
check "matflowd exits 0 on SIGTERM" [ $rc = 0 ]
echo "# $(elapsed) s"
echo "1..$n"
[ $failed = 0 ]
exit
}
