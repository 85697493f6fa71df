#!/bin/bash
# test_l2learn_ovs.sh - matflowd --app learning on real Open vSwitch, two
# fail-mode=secure bridges (no NORMAL anywhere) served at once: one at
# protocols=OpenFlow13, one at protocols=OpenFlow10. On each, hosts reach
# each other through the learning application's flows and a MAC that moves
# to another port is followed; the 1.0 bridge has no table-miss flow (a 1.0
# switch sends misses to the controller by itself) and its flows are dumped
# in 1.0. No OFPT_ERROR, no sanitizer report. TAP output. Needs root and
# Open vSwitch.
{
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export TB_ROOT="$ROOT"
# shellcheck source=../lib/testbed.sh
. "$ROOT/tests/lib/testbed.sh"
MATFLOWD=${MATFLOWD:-$ROOT/build-san/bin/matflowd}
[ -x "$MATFLOWD" ] || MATFLOWD=$ROOT/build/bin/matflowd
MATFLOWCTL=${MATFLOWCTL:-$ROOT/build/bin/matflowctl}
PY=/usr/bin/python3
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { _d=$1; shift; if "$@"; then ok "$_d"; else not_ok "$_d"; fi; }
# flows BRIDGE VERSION: the bridge's flows as ovs-ofctl dumps them in VERSION.
flows() { ovs-ofctl -O "$2" dump-flows "unix:$TB_OVS/$1.mgmt"; }
learned_flows() { flows "$1" "$2" | grep -c 'cookie=0x4c32'; }

# bridge_add_of10 NAME DPID: tb_bridge_add's bridge, but OpenFlow10 only
# (set in the same transaction as the controller, so it never speaks 1.3).
bridge_add_of10() {
    tb_vsctl add-br "$1" -- set bridge "$1" datapath_type=netdev fail-mode=secure \
        protocols=OpenFlow10 other-config:datapath-id="$(tb_dpid "$2")" \
        other-config:disable-in-band=true \
        -- set-controller "$1" "tcp:127.0.0.1:$TB_OF_PORT" \
        -- set controller "$1" connection-mode=out-of-band max_backoff=1000 \
        || tb_die "add-br $1"
}

# listed_version DPID VERSION: matflowctl switches --json lists DPID ready
# with that negotiated OpenFlow version.
listed_version() {
    tb_matflowctl switches --json | "$PY" -c '
import json, sys
d, v = sys.argv[1], sys.argv[2]
s = [s for s in json.load(sys.stdin)["switches"] if s.get("dpid") == d]
sys.exit(0 if len(s) == 1 and s[0]["state"] == "ready" and s[0]["version"] == v else 1)' \
        "$(tb_dpid "$1")" "$2"
}

# move_mac FROM TO ADDR MAC PEER: host TO takes over FROM's MAC and address
# (FROM goes down) and pings PEER once, so that the switch sees it at TO's port.
move_mac() {
    tb_in "$1" ip link set eth0 down
    tb_in "$2" ip addr flush dev eth0
    tb_in "$2" ip link set eth0 address "$4"
    tb_in "$2" ip addr add "$3/24" dev eth0
    tb_in "$2" ping -q -c 1 -W 1 "$5" >/dev/null
}

tb_init l2learn
BR13=${TB_PREFIX}br
BR10=${TB_PREFIX}br10
tb_ovs_start
tb_matflowd_start --app learning
tb_bridge_add "$BR13" 1
bridge_add_of10 "$BR10" 2
tb_host_add h1 "$BR13" 1 10.0.0.1/24 "" 02:00:00:00:00:01
tb_host_add h2 "$BR13" 2 10.0.0.2/24 "" 02:00:00:00:00:02
tb_host_add h3 "$BR13" 3 10.0.0.3/24 "" 02:00:00:00:00:03
tb_host_add h4 "$BR10" 1 10.0.1.4/24 "" 02:00:00:00:01:04
tb_host_add h5 "$BR10" 2 10.0.1.5/24 "" 02:00:00:00:01:05
tb_host_add h6 "$BR10" 3 10.0.1.6/24 "" 02:00:00:00:01:06
check "both bridges connect and become ready" tb_wait_ready 15 1 2
check "matflowctl switches --json: the OpenFlow13 bridge speaks 1.3" listed_version 1 1.3
check "matflowctl switches --json: the OpenFlow10 bridge speaks 1.0" listed_version 2 1.0
check "matflowctl switches (text) shows the versions" sh -c \
    "'$MATFLOWCTL' --api '$TB_API' switches | grep -q '^$(tb_dpid 2) .* 1\.0 '"

# ---- OpenFlow 1.3 ----
miss_only() { [ "$(flows "$BR13" OpenFlow13 | grep -c 'cookie=0x4c32.*priority=0 actions=CONTROLLER:65535')" = 1 ]; }
check "1.3: switch up: the table-miss rule sends to the controller" tb_wait 3 miss_only
check "1.3: h1 pings h2 through the learning application" tb_in h1 ping -q -c 3 -i 0.2 -W 1 10.0.0.2
check "1.3: h2 pings h3" tb_in h2 ping -q -c 3 -i 0.2 -W 1 10.0.0.3
check "1.3: learned flows are in the switch" sh -c "[ $(learned_flows "$BR13" OpenFlow13) -ge 4 ]"
move_mac h2 h3 10.0.0.2 02:00:00:00:00:02 10.0.0.1
check "1.3: after the MAC moved to port 3, h1 still reaches 10.0.0.2" \
    tb_in h1 ping -q -c 3 -i 0.2 -W 1 10.0.0.2
check "1.3: no learned flow sends 02:00:00:00:00:02 to port 2 any more" \
    sh -c "! ovs-ofctl -O OpenFlow13 dump-flows unix:$TB_OVS/$BR13.mgmt | grep -q 'dl_dst=02:00:00:00:00:02 actions=output:2'"

# ---- OpenFlow 1.0 ----
check "1.0: switch up leaves no flow (misses go to the controller without one)" \
    sh -c "[ $(flows "$BR10" OpenFlow10 | grep -c 'actions=') = 0 ]"
check "1.0: h4 pings h5 through the learning application" tb_in h4 ping -q -c 3 -i 0.2 -W 1 10.0.1.5
check "1.0: h5 pings h6" tb_in h5 ping -q -c 3 -i 0.2 -W 1 10.0.1.6
flows "$BR10" OpenFlow10 > "$TB_RUN/flows10.txt"
check "1.0: learned flows, in_port + dl_src + dl_dst, idle 60 s, in dump-flows -O OpenFlow10" \
    sh -c "[ \$(grep -c 'cookie=0x4c32.*idle_timeout=60.*priority=100,in_port=.*dl_src=.*dl_dst=.*actions=output:' '$TB_RUN/flows10.txt') -ge 4 ]"
check "1.0: h4 -> h5 goes out of port 2" \
    grep -q 'in_port=1,dl_src=02:00:00:00:01:04,dl_dst=02:00:00:00:01:05 actions=output:2' \
    "$TB_RUN/flows10.txt"
move_mac h5 h6 10.0.1.5 02:00:00:00:01:05 10.0.1.4
check "1.0: after the MAC moved to port 3, h4 still reaches 10.0.1.5" \
    tb_in h4 ping -q -c 3 -i 0.2 -W 1 10.0.1.5
check "1.0: no learned flow sends 02:00:00:00:01:05 to port 2 any more" \
    sh -c "! ovs-ofctl -O OpenFlow10 dump-flows unix:$TB_OVS/$BR10.mgmt | grep -q 'dl_dst=02:00:00:00:01:05 actions=output:2'"

errs=$(tb_matflowctl switches --json | "$PY" -c 'import json,sys; print(sum(s["errors_in"] for s in json.load(sys.stdin)["switches"]))')
check "no OFPT_ERROR from either switch" [ "$errs" = 0 ]
tb_stop matflowd TERM 10; rc=$?
check "matflowd exits 0 on SIGTERM" [ $rc = 0 ]
san=$(grep -cE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$TB_RUN/matflowd.log")
check "no sanitizer report" [ "$san" = 0 ]
echo "1..$n"
[ $failed = 0 ]
exit
}
