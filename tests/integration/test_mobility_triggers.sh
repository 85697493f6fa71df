#!/bin/bash
# test_mobility_triggers.sh - the other ways a binding update starts, and the
# ones that must not start one, on the reference testbed (tests/lib/topology.sh):
#   a `matflowctl migrate` pre-announcement (MoA and receiving rules before the
#   node arrives; the RARP then sends the probe and the sending side at once,
#   without a second receiving phase, and the probe's answer comes after the
#   sending side went out); an announced arrival nobody confirms (the probe
#   unanswered: the binding is kept there, degraded, with the reason in
#   `matflowctl events`); a move announced to one site that lands on another (the
#   announced update is superseded, its MoA freed, its rules removed);
#   a gratuitous ARP alone (no RARP) as the trigger; a RARP on a port that is
#   no hypervisor port and a RARP from an unknown MAC (refused, counted,
#   nothing changes); bad `migrate` arguments refused.
# TAP output. Needs root and Open vSwitch. About 15 s.
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

MN_MAC=52:54:00:12:34:56

# jq-like probe: binding FIELD of the MN.
mn_field() {
    tb_matflowctl bindings --json | "$PY" -c '
import json, sys
b = [x for x in json.load(sys.stdin)["bindings"] if x["hoa"] == "10.1.0.10"]
print(b[0][sys.argv[1]] if b else "")' "$1"
}
mn_settled_at() { [ "$(mn_field site)" = "$1" ] && [ "$(mn_field update)" = 0 ]; }
counter() {
    tb_matflowctl stats --json | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["mobility"][sys.argv[1]])' "$1"
}
pool_used() {
    tb_matflowctl sites --json | "$PY" -c '
import json, sys
print([s for s in json.load(sys.stdin)["sites"] if s["name"] == sys.argv[1]][0]["pool_used"])' "$1"
}
# role_rules SITE ROLE EPOCH: how many rules of the MN's binding (id 1) with
# that cookie role and epoch the switch holds.
role_rules() {
    _c=$(printf '0x4d46%x%06x%05x' "$2" 1 "$3")
    topo_dump_flows "$1" | grep -c "cookie=$_c," || true
}
# announced_timeline: the newest update is the announced one with its
# probe answered; prints what breaks DESIGN.md's order or the announced
# shortcut (sending side before the probe's answer), "ok" if nothing.
announced_timeline() {
    tb_matflowctl events --json | "$PY" -c '
import json, sys
u = json.load(sys.stdin)["updates"][-1]
ev = [e["step"] for e in u["events"]]
if u["trigger"] != "migrate" or "probe_reply" not in ev:
    sys.exit(1)
first = lambda s: ev.index(s)
last = lambda s: len(ev) - 1 - ev[::-1].index(s)
why = []
if ev.count("receiving_barrier") != 3 or last("receiving_barrier") > first("sending_out"):
    why.append("receiving barriers %s" % ev)
if ev.count("sending_barrier") != 3 or last("sending_barrier") > first("complete"):
    why.append("sending barriers %s" % ev)
if first("sending_out") > first("probe_reply"):
    why.append("sending_out after the probe reply %s" % ev)
print("; ".join(why) or "ok")'
}
last_update() {
    tb_matflowctl events --json | "$PY" -c '
import json, sys
u = json.load(sys.stdin)["updates"][-1]
steps = [e["step"] for e in u["events"]]
print(u["trigger"], u["to"], "complete" if u["complete"] else "superseded" if u["superseded"] else "open",
      steps.count("receiving_out"), steps.count("trigger"))'
}
reach() { topo_in "$1" ping -q -c 2 -W 1 "$2" >/dev/null; }
# port_move NODE SITE PORT: the node's link to another switch, no announcement.
port_move() {
    _if=$(tb_ifname "$1")
    tb_vsctl -- del-port "$(tb_vsctl port-to-br "$_if")" "$_if" -- add-port "$(topo_br "$2")" "$_if" \
        -- set interface "$_if" ofport_request="$3"
}
# send_frame NODE KIND [MAC]: a raw frame from the node's eth0 (garp | rarp),
# from its own MAC or from MAC (a spoofer).
send_frame() {
    tb_in "$1" "$PY" - "$2" "${3:-}" <<'PYEOF'
import socket, struct, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
mac = bytes.fromhex(sys.argv[2].replace(":", "")) if sys.argv[2] else s.getsockname()[4]
if sys.argv[1] == "garp":   # who-has 10.1.0.10 tell 10.1.0.10, as a virtio guest sends
    ip = socket.inet_aton("10.1.0.10")
    body = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac + ip + b"\0" * 6 + ip
    frame = b"\xff" * 6 + mac + b"\x08\x06" + body
else:                        # QEMU's RARP
    body = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 3) + mac + b"\0" * 4 + mac + b"\0" * 4
    frame = b"\xff" * 6 + mac + b"\x80\x35" + body
s.send(frame.ljust(60, b"\0"))
PYEOF
}

TOPO_MN2=0
tb_init trig
# This test moves the MN (and spoofs it) more often than damping allows in
# 180 s, and its spoofers announce the MN while it still runs (and answers)
# at its old port, which the old-location check would catch first: both
# defences have tests of their own (unit/test_mob_update,
# integration/test_hostile_packets); here the triggers' own logic is shown.
{ cat "$ROOT/examples/testbed.yaml"
  printf 'mobility:\n  damping_moves: 0\n  old_location_check: 0\n'; } \
    > "$TB_RUN/triggers.yaml"
# shellcheck disable=SC2034  # read by topo_up
TOPO_CONFIG=$TB_RUN/triggers.yaml
topo_up
topo_wait_ready 20 || { not_ok "switches ready"; echo "1..$n"; exit 1; }
gw_known() { tb_matflowctl sites --json | grep -c '"gateway_mac": "' | grep -qx 3; }
tb_wait 10 gw_known
topo_in mn ping -c 1 -W 1 10.1.0.1 >/dev/null
check "the MN is learned at home" tb_wait 5 mn_settled_at site1

# ---- bad arguments
out=$(tb_matflowctl migrate 52:54:00:99:99:99 site2 2>&1); rc=$?
check "migrate of an unknown node: exit 1, reason given" [ $rc = 1 ]
check "  ... saying 'no such mobile node'" grep -q "no such mobile node" <<<"$out"
out=$(tb_matflowctl migrate $MN_MAC site9 2>&1); rc=$?
check "migrate to an unknown site: exit 1" [ $rc = 1 ]
out=$(tb_matflowctl migrate $MN_MAC site1 2>&1); rc=$?
check "migrate to where the node is: exit 1" [ $rc = 1 ]

# ---- pre-announcement: MoA and receiving side before the node arrives
out=$(tb_matflowctl --json migrate $MN_MAC site2); rc=$?
moa=$(echo "$out" | "$PY" -c 'import json, sys; print(json.load(sys.stdin).get("moa", ""))')
check "migrate MN site2: announced with a MoA of site2's pool ($moa)" \
    sh -c "[ $rc = 0 ] && echo '$moa' | grep -q '^10\.2\.0\.2[0-4][0-9]$'"
recv_at() { [ "$(role_rules site2 2 1)" = 3 ] && [ "$(role_rules site3 2 1)" = 1 ]; }
if tb_wait 3 recv_at; then
    ok "  receiving rules of epoch 1 before the move: 3 at s2, 1 at s3"
else
    not_ok "  receiving rules of epoch 1 before the move: 3 at s2, 1 at s3"
    topo_dump_flows site2 | sed 's/^/# s2: /'
    tb_matflowctl events | sed 's/^/# /'
fi
check "  no sending rule yet anywhere" [ "$(( $(role_rules site1 3 1) + $(role_rules site3 3 1) ))" = 0 ]
check "  the binding is updating, still at site1" sh -c "[ '$(mn_field state)' = updating ] && [ '$(mn_field site)' = site1 ]"
topo_migrate mn site2
check "the RARP completes the announced move at site2" tb_wait 5 mn_settled_at site2
check "  with the announced MoA" [ "$(mn_field moa)" = "$moa" ]
# (the update is listed once its cleanup and its probe's answer are in)
tl=$(tb_wait 3 announced_timeline >/dev/null && announced_timeline)
read -r trig to state recv_out triggers <<<"$(last_update)"
check "  one update: trigger migrate, complete, one receiving phase, two triggers (announce + RARP)" \
    [ "$trig $to $state $recv_out $triggers" = "migrate site2 complete 1 2" ]
check "  its timeline: receiving barriers, sending_out before probe_reply, sending barriers, complete ($tl)" \
    [ "$tl" = ok ]
check "  CN reaches the MN" reach cn 10.1.0.10

# ---- announced to site3, lands on site1 (home): the announcement is superseded
used3=$(pool_used site3)
tb_matflowctl migrate $MN_MAC site3 >/dev/null
check "announce site3: a site3 MoA is taken" [ "$(pool_used site3)" = $((used3 + 1)) ]
topo_migrate mn site1
check "the node went home instead: binding home" tb_wait 5 mn_settled_at site1
check "  the superseded site3 MoA is free again" [ "$(pool_used site3)" = "$used3" ]
check "  updates_superseded counted" [ "$(counter updates_superseded)" -ge 1 ]
no_binding_rules() {
    [ "$(for s in site1 site2 site3; do topo_dump_flows "$s"; done | grep -cE 'cookie=0x4d46[23]')" = 0 ]
}
check "  no receiving or sending rule left anywhere" tb_wait 3 no_binding_rules
check "  CN reaches the MN at home" reach cn 10.1.0.10

# ---- a gratuitous ARP alone triggers the move
port_move mn site3 11
send_frame mn garp
check "a GARP alone (no RARP) moves the binding to site3" tb_wait 5 mn_settled_at site3
read -r trig to state recv_out triggers <<<"$(last_update)"
check "  trigger garp, complete" [ "$trig $to $state" = "garp site3 complete" ]
check "  CN (same site) reaches the MN" reach cn 10.1.0.10
check "  legacy CN reaches the MN" reach lcn 10.1.0.10

# ---- two announcements for the node that both fail: the binding stays
# where it was, with its rules (the second attempt reuses the committed MoA,
# so its rules replaced the committed ones in place; the rollback must put
# them back, not just delete its epochs).
tb_host_add spoof2 "${TB_PREFIX}s2" 12 10.2.0.99/24 10.2.0.1
tb_host_add spoof3 "${TB_PREFIX}s3" 12 10.3.0.99/24 10.3.0.1
epoch=$(mn_field epoch)
failed0=$(counter updates_failed)
send_frame spoof2 rarp $MN_MAC   # attempt A: site2, nobody answers the probe
sleep 0.1
send_frame spoof3 rarp $MN_MAC   # attempt B: site3 port 12 supersedes A, same MoA
fails_settled() { [ "$(counter updates_failed)" -gt "$failed0" ] && [ "$(mn_field update)" = 0 ]; }
check "two spoofed RARPs whose probes nobody answers: the update fails" tb_wait 5 fails_settled
check "  the binding is still at site3 with its epoch" \
    sh -c "[ '$(mn_field site)' = site3 ] && [ '$(mn_field epoch)' = '$epoch' ] && [ '$(mn_field state)' = away ]"
# The spoofed RARPs also taught the bridge (NORMAL learning) that the MN's
# MAC is on the spoofer's port; the MN's own next frame moves it back.
topo_in mn ping -q -c 1 -W 1 10.3.0.1 >/dev/null
check "  the legacy CN still reaches the MN (receiving rules put back)" reach lcn 10.1.0.10
check "  the CN still reaches the MN" reach cn 10.1.0.10

# ---- an announced arrival that nobody confirms: someone with the MN's MAC
# turns up at the announced site but never answers the probe for its HoA.
# The sending side went out on the operator's word: it stays, and the
# binding is marked degraded, with the reason, instead of being rolled back.
epoch=$(mn_field epoch)
unconf=$(counter arrival_unconfirmed)
tb_matflowctl migrate $MN_MAC site2 >/dev/null
sleep 0.2
send_frame spoof2 rarp $MN_MAC
degraded_at() { [ "$(mn_field state)" = degraded ] && [ "$(mn_field site)" = site2 ]; }
check "announced arrival, probe never answered: the binding is at site2, degraded" tb_wait 5 degraded_at
check "  counted (arrival_unconfirmed)" [ "$(counter arrival_unconfirmed)" -gt "$unconf" ]
check "  its sending rules stay at the home switch (no rollback)" \
    [ "$(role_rules site1 3 $((epoch + 1)))" -ge 1 ]
unconfirmed_event() {
    tb_matflowctl events --json | "$PY" -c '
import json, sys
u = [x for x in json.load(sys.stdin)["updates"] if x["epoch"] == int(sys.argv[1])][-1]
ev = [e["step"] for e in u["events"]]
ok = u["complete"] and not u["failed"] and "not confirmed" in u["why"] and \
    "probe_unanswered" in ev and "probe_reply" not in ev
sys.exit(0 if ok else 1)' "$((epoch + 1))"
}
check "  matflowctl events: complete, probe_unanswered, why 'arrival not confirmed'" unconfirmed_event
# The MN itself announces itself where it really is (site3) and answers.
topo_in mn ping -q -c 1 -W 1 10.3.0.1 >/dev/null
send_frame mn rarp
back_at3() { [ "$(mn_field state)" = away ] && mn_settled_at site3; }
check "  the MN's own RARP at site3 moves it back: away, not degraded" tb_wait 5 back_at3
check "  the CN reaches the MN" reach cn 10.1.0.10

# ---- announcements that must change nothing
epoch=$(mn_field epoch)
rej=$(counter reject_not_hypervisor_port)
port_move mn site2 2 # port 2 of s2 is no hypervisor port
# counter_above NAME N: the counter passed N (the RARP is sent again until
# it did: the port may need a moment after the move).
counter_above() {
    [ "$(counter "$1")" -gt "$2" ] && return 0
    send_frame mn rarp
    return 1
}
check "RARP on a non-hypervisor port: refused and counted" tb_wait 3 counter_above reject_not_hypervisor_port "$rej"
check "  the binding did not move (site3, same epoch)" sh -c "[ '$(mn_field site)' = site3 ] && [ '$(mn_field epoch)' = '$epoch' ]"
unk=$(counter reject_unknown_mac)
tb_in mn ip link set eth0 address 52:54:00:77:77:77
port_move mn site2 10
check "RARP from an unknown MAC: refused and counted" tb_wait 3 counter_above reject_unknown_mac "$unk"
no_binding_for_unknown() { ! tb_matflowctl bindings --json | grep -q 52:54:00:77:77:77; }
check "  no binding for it" no_binding_for_unknown

errs=$(tb_matflowctl switches --json | "$PY" -c 'import json, sys; print(sum(s["errors_in"] for s in json.load(sys.stdin)["switches"]))')
check "no OFPT_ERROR from any switch" [ "$errs" = 0 ]
topo_matflowd_stop; rc=$?
check "matflowd exits 0 on SIGTERM" [ $rc = 0 ]
echo "1..$n"
[ $failed = 0 ]
exit
}
