#!/bin/bash
# test_mobility_of10.sh - VM mobility on OpenFlow 1.0 switches: the reference
# testbed (tests/lib/topology.sh) with every bridge at protocols=OpenFlow10
# and matflowd offering 1.0 and 1.3, so each switch negotiates 1.0 and gets
# the one-table rule set (docs/MOBILITY.md, "OpenFlow 1.0").
#
# With a verified TCP stream CN <-> MN running all along, the MN moves site1
# -> site2, MN2 moves site2 -> site3 (two nodes away), the MN moves on to
# site3 (both at one site, and the first cleanup of an away epoch by
# DELETE_STRICT), matflowd restarts, and both come home. Checks, one TAP line
# each: the switches speak 1.0; every switch holds exactly the 1.0 flows the
# docs give for each step (canonicalized by Open vSwitch itself: a scratch
# 1.0 bridge); each binding complete where it moved; the TCP stream carries
# on; CN, legacy CN and HCN (the MN's home prefix: ARP answered by the
# controller) ping the node; MN <-> MN2 both away; the restart keeps every
# flow (reconciliation: 0 removed, 0 added); no OFPT_ERROR from any switch;
# matflowd exits 0. Needs root, openvswitch-switch, ethtool. About 30 s.
{
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export TB_ROOT="$ROOT"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:print_summary=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# shellcheck source=../lib/testbed.sh
. "$ROOT/tests/lib/testbed.sh"
# shellcheck source=../lib/topology.sh
. "$ROOT/tests/lib/topology.sh"
MATFLOWD=${MATFLOWD:-$(topo_matflowd_default)}
MATFLOWCTL=${MATFLOWCTL:-$ROOT/build/bin/matflowctl}
PY=/usr/bin/python3

n=0
failed=0
ok()     { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
diag() { sed 's/^/# /'; }
T_START=$(date +%s%3N)
elapsed() { awk -v ms=$(( $(date +%s%3N) - T_START )) 'BEGIN { printf "%.1f", ms / 1000 }'; }

for b in "$MATFLOWD" "$MATFLOWCTL" "$PY"; do
    if [ ! -x "$b" ]; then not_ok "$b exists (run make)"; echo "1..$n"; exit 1; fi
done
for c in ping ovs-vswitchd ethtool; do
    if ! command -v $c >/dev/null 2>&1; then not_ok "$c installed"; echo "1..$n"; exit 1; fi
done
echo "# matflowd: $MATFLOWD"

tb_init mob10
P=$TB_PREFIX
on_exit() {
    rc=$?
    trap '' INT TERM HUP
    if [ "$failed" -gt 0 ] || [ "$rc" -ne 0 ]; then
        for f in "$TB_RUN"/matflowd-*.log "$TB_RUN"/matflowd.log; do
            [ -s "$f" ] || continue
            echo "# ---- ${f##*/} (tail)"; tail -n 40 "$f" | diag
        done
    fi
    tb_teardown
    echo "# total $(elapsed) s"
    echo "1..$n"
    [ "$failed" -eq 0 ] && [ "$rc" -eq 0 ] && exit 0
    exit 1
}
trap on_exit EXIT

# ---------------------------------------------------------------- helper
# mob10.py: the expected 1.0 flows per switch, from the bindings matflowctl
# reports, written from docs/MOBILITY.md ("OpenFlow 1.0"); and the checks.
MOB=$TB_RUN/mob10.py
cat > "$MOB" <<'PYEOF'
import ipaddress, json, subprocess, sys, time

SITES = {n: {"prefix": "10.%d.0.0/24" % n, "gw": "10.%d.0.1" % n,
             "gw_mac": "02:00:00:00:%02x:01" % n,
             "pool": ("10.%d.0.200" % n, "10.%d.0.249" % n)} for n in (1, 2, 3)}
UPLINK = 1


def cookie(role, bid, epoch):
    return "0x%x" % (0x4d46 << 48 | role << 44 | bid << 20 | epoch)


def since(b):
    import calendar
    try:
        return calendar.timegm(time.strptime((b.get("since") or "")[:19], "%Y-%m-%dT%H:%M:%S"))
    except ValueError:
        return time.time()


def expected(sw, bindings):
    out = []

    def add(ck, prio, match, actions):
        out.append("cookie=%s,priority=%d%s,actions=%s" % (ck, prio, "," + match if match else "",
                                                            actions))

    b0 = cookie(1, 0, 0)
    add(b0, 40000, "rarp", "CONTROLLER:65535,NORMAL")
    add(b0, 30000, "arp", "CONTROLLER:65535,NORMAL")
    add(b0, 0, "", "NORMAL")
    for s in SITES.values():   # MoA pool sources, kept apart in the datapath cache
        for block in ipaddress.summarize_address_range(ipaddress.ip_address(s["pool"][0]),
                                                       ipaddress.ip_address(s["pool"][1])):
            add(b0, 1, "ip,nw_src=%s" % block, "NORMAL")
    here = SITES[sw]
    for b in bindings:
        h, c = int(b["home"][4:]), int(b["site"][4:])
        if b["state"] == "home":
            if sw == h and b.get("epoch", 0) > 0 and time.time() - since(b) < 120:
                for x, other in SITES.items():
                    if x != h:
                        add(cookie(4, b["id"], b["epoch"]), 26000,
                            "dl_src=%s,dl_dst=%s" % (b["mac"], other["gw_mac"]),
                            "mod_dl_dst:%s,NORMAL" % SITES[h]["gw_mac"])
            continue
        if b["state"] != "away":
            raise SystemExit("binding %s is %s: no expected set" % (b["hoa"], b["state"]))
        H, M, mac = b["hoa"], b["moa"], b["mac"]
        cr, cs = cookie(2, b["id"], b["epoch"]), cookie(3, b["id"], b["epoch"])
        add(cr, 32000, "ip,nw_src=" + M, "mod_nw_src:%s,NORMAL" % H)
        if sw == c:
            add(cr, 30000, "ip,nw_dst=" + M, "mod_nw_dst:%s,mod_dl_dst:%s,NORMAL" % (H, mac))
            add(cr, 35000, "arp,arp_op=1,arp_tpa=" + M, "CONTROLLER:65535")
            for s in SITES.values():
                add(cs, 29500, "ip,dl_src=%s,nw_src=%s,nw_dst=%s" % (mac, H, s["prefix"]),
                    "mod_nw_src:%s,mod_dl_dst:%s,NORMAL" % (M, here["gw_mac"]))
            add(cs, 29000, "ip,dl_src=%s,nw_src=%s" % (mac, H),
                "mod_dl_dst:%s,NORMAL" % here["gw_mac"])
            add(cs, 30000, "ip,nw_dst=" + H, "mod_dl_dst:%s,NORMAL" % mac)
            add(cs, 35000, "arp,dl_src=%s,arp_op=1,arp_tpa=%s" % (mac, SITES[h]["prefix"]),
                "CONTROLLER:65535")
        else:
            add(cs, 30000, "ip,nw_dst=" + H,
                "mod_nw_dst:%s,mod_dl_dst:%s,NORMAL" % (M, here["gw_mac"]))
        if sw == h:
            add(cs, 31000, "ip,in_port=%d,nw_dst=%s" % (UPLINK, H),
                "mod_nw_dst:%s,mod_dl_src:%s,mod_dl_dst:%s,IN_PORT" % (M, mac, SITES[h]["gw_mac"]))
            add(cs, 35000, "arp,arp_op=1,arp_tpa=" + H, "CONTROLLER:65535")
    return out


DROP = {"duration", "n_packets", "n_bytes", "idle_age", "hard_age", "idle_timeout",
        "hard_timeout", "send_flow_rem", "check_overlap", "out_port", "table"}


def norm_line(line):
    line = line.strip()
    if " actions=" not in line:
        return None
    left, _, actions = line.partition(" actions=")
    cookie_, prio, match = "0x0", "32768", []
    for tok in left.replace(", ", ",").split(","):
        k, _, v = tok.partition("=")
        if not tok or k in DROP:
            continue
        if k == "cookie":
            cookie_ = v
        elif k == "priority":
            prio = v
        else:
            match.append(tok)
    out, run = [], []
    for x in actions.split(","):   # the order of consecutive rewrites does not matter
        if x.startswith("mod_") or x.startswith("set_field:"):
            run.append(x)
            continue
        out += sorted(run) + [x]
        run = []
    out += sorted(run)
    return "cookie=%s priority=%s match=%s actions=%s" % (cookie_, prio, ",".join(sorted(match)),
                                                       ",".join(out))


def main(a):
    if a[0] == "expect":
        print("\n".join(expected(int(a[1]), json.load(open(a[2])).get("bindings", []))))
    elif a[0] == "norm":
        print("\n".join(sorted(x for x in (norm_line(l) for l in sys.stdin) if x)))
    elif a[0] == "diff":
        exp, act = (open(p).read().splitlines() for p in a[1:3])
        bad = [("missing: " + l) for l in exp if l not in act] + \
              [("extra:   " + l) for l in act if l not in exp]
        print("\n".join(bad))
        return 1 if bad else 0
    elif a[0] == "versions":   # every ready switch speaks 1.0
        sw = [s for s in json.load(open(a[1])).get("switches", []) if s.get("state") == "ready"]
        print(", ".join("%s %s" % (s.get("dpid"), s.get("version")) for s in sw))
        return 0 if len(sw) == 3 and all(s.get("version") == "1.0" for s in sw) else 1
    elif a[0] == "errors":
        sw = [s for s in json.load(open(a[1])).get("switches", []) if s.get("state") == "ready"]
        print(", ".join("%s errors_in=%s" % (s.get("dpid"), s.get("errors_in")) for s in sw))
        return 0 if len(sw) == 3 and all(s.get("errors_in") == 0 for s in sw) else 1
    elif a[0] == "binding":    # binding FILE MAC STATE SITE: why not, or nothing
        for b in json.load(open(a[1])).get("bindings", []):
            if b.get("mac", "").lower() == a[2].lower():
                if b.get("state") == a[3] and b.get("site") == a[4]:
                    print("moa %s epoch %s" % (b.get("moa"), b.get("epoch")))
                    return 0
                print("state %s site %s" % (b.get("state"), b.get("site")))
                return 1
        print("no binding")
        return 1
    return 0


sys.exit(main(sys.argv[1:]))
PYEOF
mob() { "$PY" "$MOB" "$@"; }
ofctl10() { ovs-ofctl -O OpenFlow10 "$@"; }

# ---------------------------------------------------------------- flows
SCRATCH=${P}x
# flows_expect STEP: the docs' 1.0 flow set per switch, canonical (installed
# into the scratch 1.0 bridge and dumped back).
flows_expect() {
    tb_matflowctl --json bindings > "$TB_RUN/bindings-$1.json" 2>&1
    for i in 1 2 3; do
        mob expect $i "$TB_RUN/bindings-$1.json" > "$TB_RUN/expect-$1-s$i.flows" 2>&1 || return 1
        ofctl10 replace-flows "unix:$TB_OVS/$SCRATCH.mgmt" "$TB_RUN/expect-$1-s$i.flows" \
            > "$TB_RUN/scratch.err" 2>&1 || { diag < "$TB_RUN/scratch.err"; return 1; }
        ofctl10 dump-flows "unix:$TB_OVS/$SCRATCH.mgmt" | mob norm > "$TB_RUN/expect-$1-s$i.txt"
    done
}
flows_dump() {
    for i in 1 2 3; do
        ofctl10 dump-flows "unix:$TB_OVS/$(topo_br "site$i").mgmt" > "$TB_RUN/flows-$1-s$i.txt" 2>&1
        mob norm < "$TB_RUN/flows-$1-s$i.txt" > "$TB_RUN/flows-$1-s$i.norm"
    done
}
flows_same() {
    flows_dump "$1"
    for i in 1 2 3; do
        cmp -s "$TB_RUN/expect-$1-s$i.txt" "$TB_RUN/flows-$1-s$i.norm" || return 1
    done
}
# flows_check STEP WHAT: each switch holds exactly the expected set (the
# cleanup of an old epoch finishes after "complete": up to 3 s).
flows_check() {
    if ! flows_expect "$1"; then
        not_ok "$2: expected 1.0 flow set"; diag < "$TB_RUN/expect-$1-s1.flows"; return
    fi
    tb_wait 3 flows_same "$1"
    for i in 1 2 3; do
        if mob diff "$TB_RUN/expect-$1-s$i.txt" "$TB_RUN/flows-$1-s$i.norm" > "$TB_RUN/diff-$1-s$i.txt"; then
            ok "$2: s$i holds exactly the $(wc -l < "$TB_RUN/flows-$1-s$i.norm") 1.0 flows of the docs"
        else
            not_ok "$2: s$i holds exactly the 1.0 flows of the docs"; diag < "$TB_RUN/diff-$1-s$i.txt"
        fi
    done
}

# ---------------------------------------------------------------- checks
wait_binding() { # WHAT NODE STATE SITE
    _wb() {
        tb_matflowctl --json bindings > "$TB_RUN/b.json" 2>/dev/null &&
            mob binding "$TB_RUN/b.json" "$(topo_node_mac "$2")" "$3" "$4" > "$TB_RUN/b.why"
    }
    if tb_wait 5 _wb "$@"; then
        ok "$1: $2 $3 at $4 ($(cat "$TB_RUN/b.why"))"
    else
        not_ok "$1: $2 $3 at $4 within 5 s ($(cat "$TB_RUN/b.why"))"
    fi
}
pings() { # WHAT SRC:DST...
    _pg_what=$1; shift
    for _pg in "$@"; do
        if topo_in "${_pg%%:*}" ping -c 1 -W 1 "${_pg#*:}" > "$TB_RUN/ping.txt" 2>&1; then
            ok "$_pg_what: ${_pg%%:*} pings ${_pg#*:}"
        else
            not_ok "$_pg_what: ${_pg%%:*} pings ${_pg#*:}"; diag < "$TB_RUN/ping.txt"
        fi
    done
}
tcp_mark() { MARK_C=$(topo_tcp_get cnmn client received) MARK_S=$(topo_tcp_get cnmn server received); }
tcp__more() {
    _c=$(topo_tcp_get cnmn client received) _s=$(topo_tcp_get cnmn server received)
    [ -n "$_c" ] && [ -n "$_s" ] && [ "$_c" -ge $((MARK_C + 40000)) ] && [ "$_s" -ge $((MARK_S + 40000)) ]
}
# A reset during this step fails this step, even when the bytes counted
# arrived before it (they usually do: the move takes 0.8 s).
tcp__failed() {
    [ "$(topo_tcp_get cnmn client state)" = failed ] || [ "$(topo_tcp_get cnmn server state)" = failed ]
}
tcp_check() {
    if tb_wait 10 tcp__more && ! tcp__failed; then
        ok "$1: TCP CN <-> MN carries on ($(topo_tcp_get cnmn client received) B verified)"
    else
        not_ok "$1: TCP CN <-> MN carries on"; diag < "$TB_RUN/cnmn-client.json"
    fi
}
# forget_arp: the router and the CNs resolve the nodes again, so every ARP
# answer 1.0 leaves to the controller is asked for.
forget_arp() {
    topo_in lr ip neigh flush all 2>/dev/null
    for h in cn hcn mn mn2; do topo_in "$h" ip neigh flush all 2>/dev/null; done
}
# move WHAT STEP NODE SITE STATE [PORT]: a move (to hypervisor port PORT,
# default 10), then its checks.
move() {
    tcp_mark
    topo_migrate "$3" "$4" "${6:-10}"
    wait_binding "$1" "$3" "$5" "$4"
    tcp_check "$1"
    forget_arp
    pings "$1" cn:10.1.0.10 lcn:10.1.0.10 mn:10.3.0.20 hcn:10.1.0.10 mn:10.1.0.20
    flows_check "$2" "$1"
}

# ================================================================ setup
# matflowd offers 1.0 and 1.3; the bridges speak 1.0 only. matflowd starts
# once they are 1.0, so no switch ever held the 1.3 pipeline.
TOPO_CONFIG=$TB_RUN/testbed10.yaml
sed 's/^controller:$/controller:\n  openflow_versions: ["1.0", "1.3"]/' "$ROOT/examples/testbed.yaml" \
    > "$TOPO_CONFIG"
# shellcheck disable=SC2034  # read by topo_up
TOPO_NO_MATFLOWD=1 TOPO_HCN=1
topo_up
for i in 1 2 3; do tb_vsctl set bridge "$(topo_br "site$i")" protocols=OpenFlow10; done
tb_vsctl add-br "$SCRATCH" -- set bridge "$SCRATCH" datapath_type=netdev fail-mode=secure \
    protocols=OpenFlow10 other-config:datapath-id="$(tb_dpid 99)" || tb_die "scratch bridge"
# shellcheck disable=SC2034
TOPO_MATFLOWD_ARGS="--log-level debug"
topo_matflowd_start
if topo_wait_ready 15; then
    ok "testbed up, dpids 1, 2, 3 ready ($(elapsed) s)"
else
    not_ok "dpids 1, 2, 3 ready"; tb_matflowctl switches 2>&1 | diag; exit 1
fi
tb_matflowctl --json switches > "$TB_RUN/switches.json" 2>&1
if mob versions "$TB_RUN/switches.json" > "$TB_RUN/v.txt"; then
    ok "every switch negotiated OpenFlow 1.0 ($(cat "$TB_RUN/v.txt"))"
else
    not_ok "every switch negotiated OpenFlow 1.0 ($(cat "$TB_RUN/v.txt"))"
fi
flows_check base "base rules"

for x in mn:10.1.0.1 mn2:10.2.0.1 cn:10.3.0.1 lcn:10.4.0.1 hcn:10.1.0.1; do
    topo_in "${x%%:*}" ping -c 1 -W 1 "${x#*:}" > /dev/null 2>&1 || not_ok "${x%%:*} pings ${x#*:}"
done
wait_binding "learning" mn home site1
wait_binding "learning" mn2 home site2

# The stream's segments and every ARP, headers only, at the CN's, the
# nodes' and the router's ports of each switch, for the artifacts: a reset
# is explained by where a segment first carried the wrong address.
if command -v dumpcap >/dev/null 2>&1; then
    tb_bg capture dumpcap -q -s 96 -f "tcp port 5001 or arp" \
        -i "$(tb_ifname cn)" -i "$(tb_ifname mn)" -i "$(tb_ifname mn2)" \
        -i "${P}u1" -i "${P}u2" -i "${P}u3" -w "$TB_RUN/of10.pcapng"
    tb_wait 10 tb__capturing capture || diag < "$TB_RUN/capture.log"
fi

topo_tcp_start cnmn mn 5001 cn
if topo_tcp_wait cnmn 40000 10; then
    ok "TCP stream CN <-> MN running"
else
    not_ok "TCP stream CN <-> MN running"; diag < "$TB_RUN/cnmn-client.json"
fi
# The datapath's cached flows for the stream, for the artifacts: which
# fields each one examined (a MoA source must not share one with the HoA).
tb_appctl dpctl/dump-flows > "$TB_RUN/dpflows-before-moves.txt" 2>&1

# ================================================================ moves
move "MN site1 -> site2" mn-site2 mn site2 away
move "MN2 site2 -> site3" mn2-site3 mn2 site3 away
pings "two away" mn:10.2.0.10 mn2:10.1.0.10 mn2:10.3.0.20
move "MN site2 -> site3" mn-site3 mn site3 away 12
pings "two away at one site" mn:10.2.0.10 mn2:10.1.0.10

# ---------------------------------------------------------------- restart
topo_matflowd_stop TERM; rc=$?
if [ $rc -eq 0 ]; then ok "restart: matflowd exits 0 on SIGTERM"; else not_ok "restart: matflowd exits 0 (got $rc)"; fi
topo_matflowd_start
topo_wait_ready 15 || not_ok "restart: dpids 1, 2, 3 ready again"
tb_wait 5 sh -c "[ \$(grep -c 'flows kept.*added\$' '$TB_RUN/matflowd.log') -ge 3 ]"
if grep 'flows kept' "$TB_RUN/matflowd.log" > "$TB_RUN/reconcile.txt" &&
    ! grep -v ' 0 removed, 0 added' "$TB_RUN/reconcile.txt" > /dev/null; then
    ok "restart: reconciliation keeps every 1.0 flow ($(grep -c 'added$' "$TB_RUN/reconcile.txt") full passes, 0 removed, 0 added)"
else
    not_ok "restart: reconciliation keeps every 1.0 flow"; diag < "$TB_RUN/reconcile.txt"
fi
flows_check mn-site3-restarted "after the restart"
pings "after the restart" cn:10.1.0.10 mn:10.2.0.10

move "MN site3 -> home" mn-home mn site1 home
move "MN2 site3 -> home" both-home mn2 site2 home 11

tb_matflowctl --json switches > "$TB_RUN/switches-end.json" 2>&1
if mob errors "$TB_RUN/switches-end.json" > "$TB_RUN/errors.txt"; then
    ok "no OFPT_ERROR from any switch ($(cat "$TB_RUN/errors.txt"))"
else
    not_ok "no OFPT_ERROR from any switch"; diag < "$TB_RUN/errors.txt"
fi
if topo_tcp_stop cnmn; then ok "TCP CN <-> MN ends without corruption or reset"; else
    not_ok "TCP CN <-> MN ends without corruption or reset"
    diag < "$TB_RUN/cnmn-client.json"; diag < "$TB_RUN/cnmn-server.json"
fi
topo_matflowd_stop TERM; rc=$?
if [ $rc -eq 0 ]; then ok "matflowd exits 0 on SIGTERM"; else not_ok "matflowd exits 0 on SIGTERM (got $rc)"; fi
if grep -q 'Sanitizer' "$TB_RUN"/matflowd*.log; then
    not_ok "no sanitizer report"; grep -A20 Sanitizer "$TB_RUN"/matflowd*.log | head -40 | diag
else
    ok "no sanitizer report"
fi
exit 0
}
