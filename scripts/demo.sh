#!/bin/sh
# demo.sh - matflowd with three real Open vSwitch switches (`make demo`).
#
# Builds a throwaway testbed (tests/lib/testbed.sh): matflowd, a private Open
# vSwitch on the userspace datapath, three bridges = three sites, a host
# namespace on each; shows what matflowd knows (`matflowctl switches`), a port
# coming and going, a switch restart; then removes everything (also on Ctrl-C).
# Run as root. DEMO_HOLD=1 keeps the testbed up at the end until Enter/Ctrl-C.
# (The VM-mobility demo replaces this one later; the testbed stays.)

ROOT=$(cd "$(dirname "$0")/.." && pwd)
export TB_ROOT="$ROOT"
# shellcheck source=../tests/lib/testbed.sh
. "$ROOT/tests/lib/testbed.sh"

fail() { printf '\ndemo: FAILED: %s\n' "$*" >&2; tail -n 20 "$TB_RUN/matflowd.log" >&2; exit 1; }
# show ARGS...: print "matflowctl ARGS" as a person would type it, then run it.
show() { printf '  $ matflowctl %s\n' "$*"; tb_matflowctl "$@" 2>&1 | sed 's/^/    /'; }

tb_init demo
P=$TB_PREFIX

tb_say "Starting matflowd, the OpenFlow 1.3 controller, on 127.0.0.1:$TB_OF_PORT"
echo "    (inside a private network namespace, $TB_NS, removed at the end)"
tb_matflowd_start
grep -E 'listening on|api on' "$TB_RUN/matflowd.log" | sed 's/^/    matflowd: /'

tb_say "Starting a private Open vSwitch (userspace datapath: ovsdb-server + ovs-vswitchd)"
tb_ovs_start
echo "    $(ovs-vswitchd --version | head -n 1)"

tb_say "Creating three sites: one switch and one host each"
for i in 1 2 3; do
    tb_bridge_add "${P}s$i" "$i"
    tb_host_add "h$i" "${P}s$i" 1 "10.$i.0.10/24" "10.$i.0.1"
    printf '    site %d: switch %-10s dpid %s  host %s (10.%d.0.10) on port 1\n' \
        "$i" "${P}s$i" "$(tb_dpid "$i")" "$(tb_nsname "h$i")" "$i"
done
echo "    each switch: fail-mode=secure, OpenFlow 1.3 only, controller tcp:127.0.0.1:$TB_OF_PORT"

tb_say "Waiting for the three switches to finish the OpenFlow handshake"
t0=$(tb_now)
tb_wait_ready 10 1 2 3 || fail "the switches did not become ready"
echo "    all three ready after $(awk -v a="$t0" -v b="$(tb_now)" 'BEGIN{printf "%.2f", b-a}') s:"
grep -F ' ready' "$TB_RUN/matflowd.log" | sed 's/^/    matflowd: /'

tb_say "What matflowd knows about its switches"
show switches

tb_say "Plugging a new port (a VM's tap) into site 2: the switch tells matflowd (PORT_STATUS)"
tb_port_add_tap "${P}s2" "${P}vm" 10
echo "    added ${P}vm as port 10 of ${P}s2 (its link stays down until a VM opens the tap)"
tb_wait 5 sh -c "'$MATFLOWCTL' --api '$TB_API' switches | grep -q '${P}vm'" ||
    fail "the new port did not show up"
show switches

tb_say "Unplugging it again"
tb_port_del "${P}s2" "${P}vm"
tb_wait 5 sh -c "! '$MATFLOWCTL' --api '$TB_API' switches | grep -q '${P}vm'" ||
    fail "the port did not go away"
echo "    port 10 is gone from dpid $(tb_dpid 2)"

tb_say "Crashing Open vSwitch (kill -9 ovs-vswitchd): matflowd notices at once"
tb_vswitchd_kill KILL
tb_wait_log "$TB_RUN/matflowd.log" "switch 0000000000000003 disconnected" 10 || fail "no disconnect seen"
grep -F ' disconnected' "$TB_RUN/matflowd.log" | sed 's/^/    matflowd: /'
show switches

tb_say "Restarting ovs-vswitchd: the switches come back and are ready again"
tb_vswitchd_start
for i in 1 2 3; do
    tb_wait_log "$TB_RUN/matflowd.log" "switch $(tb_dpid $i) ready" 15 2 || fail "dpid $i did not come back"
done
show switches

if [ "${DEMO_HOLD:-0}" = 1 ]; then
    tb_say "The testbed is up: try  $MATFLOWCTL --api $TB_API switches"
    printf '    press Enter (or Ctrl-C) to tear it down '
    read -r _ || true
fi

tb_say "Stopping matflowd (SIGTERM) and removing the testbed"
tb_stop matflowd TERM 10; rc=$?
[ $rc -eq 0 ] || fail "matflowd exited with status $rc"
echo "    matflowd exited cleanly; namespaces, OVS and run directory removed"
echo
echo "demo: done"
