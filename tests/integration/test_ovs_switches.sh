#!/bin/bash
# test_ovs_switches.sh - matflowd against real Open vSwitch (userspace datapath).
#
# In a throwaway namespace: matflowd (the ASan+UBSan build when present, or
# $MATFLOWD), a private OVS with three bridges (netdev, fail-mode=secure,
# OpenFlow13, dpids 1, 2, 3), two ports each. Checks, one TAP line each:
# matflowctl lists exactly the three switches, ready, with their ports; a port
# added / deleted shows up / goes (PORT_STATUS); ovs-vswitchd killed -> the
# switches go; restarted -> they come back ready; the controller channel, as
# captured on lo, dissects as OpenFlow 1.3 without malformed packets or
# error-level expert info; matflowd is alive at the end and exits 0 on
# SIGTERM, with no sanitizer report.
# Needs root. Run alone or from tests/run-tests.sh.

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export TB_ROOT="$ROOT"
if [ -z "${MATFLOWD:-}" ]; then
    if [ -x "$ROOT/build-san/bin/matflowd" ]; then
        MATFLOWD=$ROOT/build-san/bin/matflowd
    else
        MATFLOWD=$ROOT/build/bin/matflowd
    fi
fi
MATFLOWCTL=${MATFLOWCTL:-$ROOT/build/bin/matflowctl}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:print_summary=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# shellcheck source=../lib/testbed.sh
. "$ROOT/tests/lib/testbed.sh"

PY=/usr/bin/python3
n=0
failed=0
ok()     { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
# check DESC CMD...: one TAP line for CMD's success.
check() { _d=$1; shift; if "$@"; then ok "$_d"; else not_ok "$_d"; fi; }
diag() { sed 's/^/# /'; }

for b in "$MATFLOWD" "$MATFLOWCTL"; do
    if [ ! -x "$b" ]; then
        not_ok "binary $b exists (run make)"
        exit 1
    fi
done
echo "# matflowd: $MATFLOWD"

tb_init ovs
P=$TB_PREFIX
# Report the daemon's log and OVS's on failure (the runner keeps our stdout).
on_exit() {
    rc=$?
    trap '' INT TERM HUP     # a second signal must not cut the teardown short
    if [ "$failed" -gt 0 ] || [ "$rc" -ne 0 ]; then
        echo "# ---- matflowd log (tail)"; tail -n 60 "$TB_RUN/matflowd.log" 2>/dev/null | diag
        echo "# ---- ovs-vswitchd log (tail)"; tail -n 30 "$TB_OVS/ovs-vswitchd.log" 2>/dev/null | diag
    fi
    tb_teardown
    [ "$failed" -eq 0 ] && [ "$rc" -eq 0 ] && exit 0
    exit 1
}
trap on_exit EXIT

# ---------------------------------------------------------------- setup
tb_capture_start capture lo "tcp port $TB_OF_PORT"
tb_matflowd_start --echo-interval 1
ok "matflowd listens on 127.0.0.1:$TB_OF_PORT"
tb_ovs_start
ok "private ovsdb-server + ovs-vswitchd started"

# Expected ports per dpid: "port_no name" lines, kept in files for the checker.
mkdir -p "$TB_RUN/expect"
for i in 1 2 3; do
    br=${P}s$i
    tb_bridge_add "$br" "$i"
    tb_host_add "h$i" "$br" 1 "10.$i.0.10/24"
    tb_port_add_internal "$br" "${P}s${i}i" 7
    {
        echo "1 $(tb_ifname "h$i")"
        echo "7 ${P}s${i}i"
        echo "4294967294 $br"
    } > "$TB_RUN/expect/$i"
done
ok "three bridges with two ports each"

# switches_match DPID...: matflowctl switches --json lists exactly these dpids,
# each ready, version 1.3, with exactly the ports in $TB_RUN/expect/DPID.
switches_match() {
    tb_matflowctl switches --json > "$TB_RUN/switches.json" 2> "$TB_RUN/switches.err" || return 1
    $PY - "$TB_RUN/switches.json" "$TB_RUN/expect" "$@" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
want = {int(d) for d in sys.argv[3:]}
sws = doc.get("switches")
if not isinstance(sws, list):
    sys.exit("no switches list")
got = {}
for s in sws:
    got[int(s["dpid"], 16)] = s
    if len(s["dpid"]) != 16:
        sys.exit("dpid not 16 hex digits: %r" % s["dpid"])
if set(got) != want or len(sws) != len(want):
    sys.exit("dpids %s, want %s" % (sorted(got), sorted(want)))
for d, s in got.items():
    if s.get("state") != "ready":
        sys.exit("dpid %d state %r" % (d, s.get("state")))
    if s.get("version") != "1.3":
        sys.exit("dpid %d version %r" % (d, s.get("version")))
    exp = {}
    for line in open("%s/%d" % (sys.argv[2], d)):
        no, name = line.split()
        exp[int(no)] = name
    ports = {p["port_no"]: p["name"] for p in s.get("ports", [])}
    if ports != exp:
        sys.exit("dpid %d ports %s, want %s" % (d, sorted(ports.items()), sorted(exp.items())))
    if s.get("n_ports", len(ports)) != len(ports):
        sys.exit("dpid %d n_ports %r but %d ports" % (d, s.get("n_ports"), len(ports)))
EOF
}
# show_mismatch: why the last switches_match failed, as TAP diagnostics.
show_mismatch() {
    switches_match "$@" 2>&1 | diag
    diag < "$TB_RUN/switches.err"
}

# ---------------------------------------------------------------- handshake
t0=$(tb_now)
if tb_wait_ready 10 1 2 3; then
    ok "matflowd logs 'switch ... ready' for dpids 1, 2, 3 ($(awk -v a="$t0" -v b="$(tb_now)" 'BEGIN{printf "%.2f", b-a}') s)"
else
    not_ok "matflowd logs 'switch ... ready' for dpids 1, 2, 3"
fi
if tb_wait 5 switches_match 1 2 3; then
    ok "matflowctl switches --json: exactly dpids 1,2,3, ready, OF 1.3, ports as configured"
else
    not_ok "matflowctl switches --json: exactly dpids 1,2,3, ready, OF 1.3, ports as configured"
    show_mismatch 1 2 3
fi
if tb_matflowctl switches > "$TB_RUN/switches.txt" 2>&1 &&
    grep -q 0000000000000001 "$TB_RUN/switches.txt" && grep -q 0000000000000003 "$TB_RUN/switches.txt"; then
    ok "matflowctl switches (text) names the switches"
else
    not_ok "matflowctl switches (text) names the switches"; diag < "$TB_RUN/switches.txt"
fi

# ---------------------------------------------------------------- PORT_STATUS
tb_port_add_internal "${P}s2" "${P}s2x" 12
echo "12 ${P}s2x" >> "$TB_RUN/expect/2"
if tb_wait 5 switches_match 1 2 3; then
    ok "port added to dpid 2 (ofport 12) is listed within 5 s"
else
    not_ok "port added to dpid 2 (ofport 12) is listed within 5 s"; show_mismatch 1 2 3
fi
tb_port_del "${P}s2" "${P}s2x"
sed -i '/^12 /d' "$TB_RUN/expect/2"
if tb_wait 5 switches_match 1 2 3; then
    ok "port deleted from dpid 2 is gone within 5 s"
else
    not_ok "port deleted from dpid 2 is gone within 5 s"; show_mismatch 1 2 3
fi

# ---------------------------------------------------------------- vswitchd dies
tb_vswitchd_kill KILL
if tb_wait_log "$TB_RUN/matflowd.log" "switch 0000000000000001 disconnected" 10 &&
    tb_wait_log "$TB_RUN/matflowd.log" "switch 0000000000000002 disconnected" 5 &&
    tb_wait_log "$TB_RUN/matflowd.log" "switch 0000000000000003 disconnected" 5; then
    ok "ovs-vswitchd killed: matflowd logs 'disconnected' for dpids 1, 2, 3"
else
    not_ok "ovs-vswitchd killed: matflowd logs 'disconnected' for dpids 1, 2, 3"
fi
if tb_wait 5 switches_match; then
    ok "matflowctl lists no switch while ovs-vswitchd is down"
else
    not_ok "matflowctl lists no switch while ovs-vswitchd is down"; show_mismatch
fi
tb_vswitchd_start
if tb_wait_log "$TB_RUN/matflowd.log" "switch 0000000000000001 ready" 15 2 &&
    tb_wait_log "$TB_RUN/matflowd.log" "switch 0000000000000002 ready" 10 2 &&
    tb_wait_log "$TB_RUN/matflowd.log" "switch 0000000000000003 ready" 10 2; then
    ok "ovs-vswitchd restarted: dpids 1, 2, 3 ready again"
else
    not_ok "ovs-vswitchd restarted: dpids 1, 2, 3 ready again"
fi
if tb_wait 5 switches_match 1 2 3; then
    ok "matflowctl lists dpids 1,2,3 ready with their ports after the restart"
else
    not_ok "matflowctl lists dpids 1,2,3 ready with their ports after the restart"; show_mismatch 1 2 3
fi
# matflowd (echo-interval 1 s) sends an echo request after 1-2 s of silence:
# give the exchange time to reach the capture (checked below).
echo_seen() {
    tshark -n -r "$TB_RUN/capture.pcapng" -d "tcp.port==$TB_OF_PORT,openflow" \
        -Y 'openflow_v4.type == 3' 2>/dev/null | grep -q .
}
t0=$(tb_now)
tb_wait 6 echo_seen
echo "# waited $(awk -v a="$t0" -v b="$(tb_now)" 'BEGIN{printf "%.2f", b-a}') s for an echo exchange"

# ---------------------------------------------------------------- the end of matflowd
check "matflowd still running at the end" tb_alive matflowd
tb_stop matflowd TERM 10
rc=$?
if [ "$rc" -eq 0 ]; then ok "SIGTERM: matflowd exits 0"; else not_ok "SIGTERM: matflowd exits 0 (got $rc)"; fi
check "SIGTERM: API socket removed" test ! -e "$TB_API"
if grep -nE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' \
        "$TB_RUN/matflowd.log" > "$TB_RUN/san.txt"; then
    not_ok "no sanitizer report in matflowd's stderr"; head -n 40 "$TB_RUN/san.txt" | diag
else
    ok "no sanitizer report in matflowd's stderr"
fi

# ---------------------------------------------------------------- the wire
tb_capture_stop capture
CAP=$TB_RUN/capture.pcapng
# ts FILTER [tshark options]: packets of the capture matching FILTER, with the
# channel decoded as OpenFlow; fails (and says why) if tshark does.
ts() {
    _f=$1; shift
    tshark -n -r "$CAP" -d "tcp.port==$TB_OF_PORT,openflow" -Y "$_f" "$@" 2> "$TB_RUN/tshark.err"
    _rc=$?
    [ $_rc -eq 0 ] || { echo "# tshark -Y '$_f' failed ($_rc):"; diag < "$TB_RUN/tshark.err"; }
    return $_rc
}
ts openflow_v4 -T fields -e openflow_v4.type > "$TB_RUN/of-types.raw" ||
    not_ok "tshark reads the capture"
tr ',' '\n' < "$TB_RUN/of-types.raw" | sort -n | uniq -c > "$TB_RUN/of-types.txt"
echo "# OpenFlow 1.3 messages on the wire (count type):"; diag < "$TB_RUN/of-types.txt"
has_type() { awk -v t="$1" '$2 == t { f = 1 } END { exit !f }' "$TB_RUN/of-types.txt"; }
for tn in 0:HELLO 5:FEATURES_REQUEST 6:FEATURES_REPLY 9:SET_CONFIG 18:MULTIPART_REQUEST \
          19:MULTIPART_REPLY 12:PORT_STATUS 2:ECHO_REQUEST 3:ECHO_REPLY; do
    check "capture: OpenFlow 1.3 ${tn#*:} (type ${tn%%:*}) seen" has_type "${tn%%:*}"
done
if other=$(ts 'openflow_v1 || openflow_v5 || openflow_v6' | wc -l) && [ "$other" -eq 0 ]; then
    ok "capture: no OpenFlow message of another version"
else
    not_ok "capture: no OpenFlow message of another version ($other)"
fi
vers=$(ts openflow_v4 -T fields -e openflow_v4.version | tr ',' '\n' | sort -u | tr '\n' ' ')
case $vers in
    "0x04 "|"4 ") ok "capture: every OpenFlow header says version 4" ;;
    *) not_ok "capture: every OpenFlow header says version 4 (saw: $vers)" ;;
esac
if ts '_ws.malformed || _ws.expert.severity == error' > "$TB_RUN/bad.txt"; then
    bad=$(wc -l < "$TB_RUN/bad.txt")
    if [ "$bad" -eq 0 ]; then
        ok "capture: no malformed packet, no error-level expert info"
    else
        not_ok "capture: no malformed packet, no error-level expert info ($bad packets)"
        head -n 20 "$TB_RUN/bad.txt" | diag
        tshark -n -r "$CAP" -d "tcp.port==$TB_OF_PORT,openflow" -q -z expert,error 2>/dev/null | diag
    fi
else
    not_ok "capture: no malformed packet, no error-level expert info (tshark failed)"
fi

echo "1..$n"
