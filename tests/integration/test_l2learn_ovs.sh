#!/bin/bash
# test_l2learn_ovs.sh - matflowd --app learning on real Open vSwitch: three
# hosts on a fail-mode=secure bridge (no NORMAL anywhere) reach each other
# through the learning application's flows; a MAC that moves to another port
# is followed; no sanitizer report. TAP output. Needs root and Open vSwitch.
{
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export TB_ROOT="$ROOT"
# shellcheck source=../lib/testbed.sh
. "$ROOT/tests/lib/testbed.sh"
MATFLOWD=${MATFLOWD:-$ROOT/build-san/bin/matflowd}
[ -x "$MATFLOWD" ] || MATFLOWD=$ROOT/build/bin/matflowd
MATFLOWCTL=${MATFLOWCTL:-$ROOT/build/bin/matflowctl}
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { _d=$1; shift; if "$@"; then ok "$_d"; else not_ok "$_d"; fi; }
flows() { tb_ofctl dump-flows "unix:$TB_OVS/${TB_PREFIX}br.mgmt"; }
learned_flows() { flows | grep -c 'cookie=0x4c32' ; }

tb_init l2learn
tb_ovs_start
tb_matflowd_start --app learning
tb_bridge_add "${TB_PREFIX}br" 1
tb_host_add h1 "${TB_PREFIX}br" 1 10.0.0.1/24 "" 02:00:00:00:00:01
tb_host_add h2 "${TB_PREFIX}br" 2 10.0.0.2/24 "" 02:00:00:00:00:02
tb_host_add h3 "${TB_PREFIX}br" 3 10.0.0.3/24 "" 02:00:00:00:00:03
check "the bridge connects and becomes ready" tb_wait_ready 15 1
miss_only() { [ "$(flows | grep -c 'cookie=0x4c32.*priority=0 actions=CONTROLLER:65535')" = 1 ]; }
check "switch up: the table-miss rule sends to the controller" tb_wait 3 miss_only
check "h1 pings h2 through the learning application" tb_in h1 ping -q -c 3 -i 0.2 -W 1 10.0.0.2
check "h2 pings h3" tb_in h2 ping -q -c 3 -i 0.2 -W 1 10.0.0.3
check "learned flows are in the switch" sh -c "[ $(learned_flows) -ge 4 ]"
# h2's MAC and address move to h3's port.
tb_in h2 ip link set eth0 down
tb_in h3 ip addr flush dev eth0
tb_in h3 ip link set eth0 address 02:00:00:00:00:02
tb_in h3 ip addr add 10.0.0.2/24 dev eth0
tb_in h3 ping -q -c 1 -W 1 10.0.0.1 >/dev/null
check "after the MAC moved to port 3, h1 still reaches 10.0.0.2" tb_in h1 ping -q -c 3 -i 0.2 -W 1 10.0.0.2
check "no learned flow sends 02:00:00:00:00:02 to port 2 any more" \
    sh -c "! ovs-ofctl -O OpenFlow13 dump-flows unix:$TB_OVS/${TB_PREFIX}br.mgmt | grep -q 'dl_dst=02:00:00:00:00:02 actions=output:2'"
errs=$(tb_matflowctl switches --json | /usr/bin/python3 -c 'import json,sys; print(sum(s["errors_in"] for s in json.load(sys.stdin)["switches"]))')
check "no OFPT_ERROR from the switch" [ "$errs" = 0 ]
tb_stop matflowd TERM 10; rc=$?
check "matflowd exits 0 on SIGTERM" [ $rc = 0 ]
san=$(grep -cE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$TB_RUN/matflowd.log")
check "no sanitizer report" [ "$san" = 0 ]
echo "1..$n"
[ $failed = 0 ]
exit
}
