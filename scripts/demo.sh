#!/bin/sh
# demo.sh - the paper's Figure 1 on real Open vSwitch (`make demo`).
#
# Builds the reference testbed (tests/lib/topology.sh): matflowd with
# examples/testbed.yaml, three OFS sites behind a legacy router, a CN on
# site3, a legacy CN behind the router only, and the MN at home on site1.
# Runs a TCP stream and 1 ms UDP probes between CN and MN, migrates the MN to
# site2, site3 and home, and prints for each move the controller's timeline
# and the disruption measured on the data path in each direction. Removes
# everything at the end (also on Ctrl-C). Run as root.
# DEMO_HOLD=1 keeps the testbed up at the end until Enter.

ROOT=$(cd "$(dirname "$0")/.." && pwd)
export TB_ROOT="$ROOT"
# shellcheck source=../tests/lib/testbed.sh
. "$ROOT/tests/lib/testbed.sh"
# shellcheck source=../tests/lib/topology.sh
. "$ROOT/tests/lib/topology.sh"

fail() {
    printf '\ndemo: FAILED: %s\n' "$*" >&2
    tail -n 20 "$TB_RUN/matflowd.log" >&2
    exit 1
}
# show ARGS...: print "matflowctl ARGS" as a person would type it, then run it.
show() { printf '  $ matflowctl %s\n' "$*"; tb_matflowctl "$@" 2>&1 | sed 's/^/    /'; }
py() { /usr/bin/python3 -c "$@"; }

# binding_at SITE: the MN's binding is complete at SITE.
binding_at() {
    tb_matflowctl bindings --json 2>/dev/null | py '
import json, sys
b = [x for x in json.load(sys.stdin)["bindings"] if x["hoa"] == "10.1.0.10"]
sys.exit(0 if b and b[0]["site"] == sys.argv[1] and b[0]["state"] in ("away", "home") and not b[0]["update"] else 1)' "$1"
}
gateways_known() {
    tb_matflowctl sites --json 2>/dev/null | py '
import json, sys
sys.exit(0 if all(s["gateway_mac"] for s in json.load(sys.stdin)["sites"]) else 1)'
}
mn_known() {
    tb_matflowctl bindings --json 2>/dev/null | grep -q '"10.1.0.10"'
}

# last_timeline: the newest complete update's steps, one line each.
last_timeline() {
    tb_matflowctl events --json | py '
import json, sys
ups = [u for u in json.load(sys.stdin)["updates"] if u["complete"]]
u = ups[-1]
print("    update %d: %s -> %s as %s (epoch %d, trigger %s)" % (u["id"], u["hoa"], u["to"], u["moa"], u["epoch"], u["trigger"]))
names = {"0000000000000001": "s1", "0000000000000002": "s2", "0000000000000003": "s3"}
for e in u["events"]:
    print("      %9.3f ms  %-18s %s" % (e["t_us"] / 1000, e["step"], names.get(e.get("dpid", ""), "")))'
}

# disruption RECEIVER: one direction's disruption of the last move.
disruption() {
    read -r _node _site _port _t0 _t1 _log < "$TB_RUN/moves.last"
    _rarp=$(topo_rarp_time "$_log")
    topo_udp_report probes "$1" "$_t0" "$_t1" "$_rarp" | py '
import json, sys
d = json.load(sys.stdin)
if d.get("disruption_ms") is None:
    print("no probe on the new path yet (%s)" % d.get("why")); sys.exit(1)
print("first probe on the new path %6.1f ms after the first RARP; longest gap %6.1f ms; %s probes lost" % (d["disruption_ms"], d["max_gap_ms"], d["lost"]))'
}

TOPO_MN2=0
tb_init demo
tb_say "Building the reference testbed (the MAT paper's Figure 1) in namespace $TB_NS"
cat <<'EOF'
            CN 10.3.0.20                        legacy CN 10.4.0.20 (no OFS)
              |                                     |
           [OFS s3]  site3 10.3.0.0/24              |  10.4.0.0/24
              |                                     |
   ---------- LR (plain Linux router, ip_forward=1) ----------
              |                                     |
           [OFS s1]  site1 10.1.0.0/24          [OFS s2]  site2 10.2.0.0/24
              |                                     |
        MN 10.1.0.10 (home)                    (hypervisor port 10)
EOF
topo_up
topo_wait_ready 20 || fail "the three switches did not connect"
tb_wait 10 gateways_known || fail "the gateways' MACs were not learned"
show switches
show sites

tb_say "The MN talks at home: matflowd learns MAC -> HoA from its ARP"
topo_in mn ping -c 2 -W 1 10.3.0.20 | sed -n 's/^/    /;2p;$p'
tb_wait 5 mn_known || fail "the MN was not learned"
show bindings

tb_say "Traffic: a verified TCP stream CN <-> MN, and UDP probes every 1 ms each way"
topo_tcp_start stream mn 5001 cn 200000
topo_tcp_start legacy mn 5002 lcn 50000
topo_udp_start probes cn mn 6000
topo_tcp_wait stream 20000 10 || fail "the TCP stream did not start"
topo_tcp_wait legacy 5000 10 || fail "the legacy CN's TCP stream did not start"
sleep 1

for site in site2 site3 site1; do
    tb_say "Migrating the MN to $site (port moves, then QEMU's 5 RARPs)"
    topo_migrate -b mn "$site"
    tail -n 1 "$TB_RUN/moves" > "$TB_RUN/moves.last"
    tb_wait 10 binding_at "$site" || fail "the binding did not complete at $site"
    sleep 1.2 # the RARPs and the probes around the move
    echo "  controller timeline (matflowctl events):"
    last_timeline
    echo "  data path:"
    printf '    CN -> MN: %s\n' "$(disruption mn)"
    printf '    MN -> CN: %s\n' "$(disruption cn)"
    show bindings
    if [ "$site" = site2 ]; then
        for s in site1 site2 site3; do
            echo "  flows of the MN's binding on $s (ovs-ofctl dump-flows, binding cookies only):"
            topo_dump_flows "$s" | grep -E 'cookie=0x4d46[23]' |
                sed -E 's/ duration=[^,]*,//; s/ n_packets=[^,]*,//; s/ n_bytes=[^,]*,//; s/ idle_age=[^,]*,//; s/^/    /'
        done
    fi
done

tb_say "Back home: no binding rules are left in any switch"
for s in site1 site2 site3; do
    n=$(topo_dump_flows "$s" | grep -cE 'cookie=0x4d46[23]')
    echo "    $s: $n binding rule(s)"
done

tb_say "Stopping the traffic"
topo_udp_stop probes cn mn
for name in stream legacy; do
    if topo_tcp_stop "$name"; then
        echo "    $name: $(topo_tcp_get "$name" client received) bytes each way verified, no reset, no corruption"
    else
        echo "    $name: FAILED ($(topo_tcp_get "$name" client error))"
    fi
done
show stats

if [ "${DEMO_HOLD:-0}" = 1 ]; then
    tb_hold_prompt
fi
tb_say "Removing the testbed"
echo "demo: done"
