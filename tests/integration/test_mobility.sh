#!/bin/bash
# test_mobility.sh - VM mobility end to end: matflowd and the reference testbed
# (tests/lib/topology.sh: three Open vSwitch sites, a legacy router, a CN on
# site3, a legacy CN behind the router, mobile nodes MN and MN2).
#
# With a verified TCP stream CN <-> MN, another legacy CN <-> MN, and UDP
# probes every ms each way CN <-> MN and legacy CN <-> MN running all along,
# the MN moves site1 -> site2 -> site3 -> home, then MN and MN2 move at the
# same moment, then both return home; matflowd is restarted (SIGTERM, same
# database) while the MN is away. Checks, one TAP line each:
#   switches ready; the base pipeline in every switch; gateway MACs learned;
#   MN and MN2 learned at home;
#   per move: the binding complete at the new site (matflowctl bindings:
#   state, site, MoA from the site's pool, epoch); the UDP disruption per
#   direction (first RARP -> first probe on the new path) within
#   MOB_GAP_LIMIT_MS (default 100), with the longest gap and the losses; both
#   TCP streams carry on; the legacy CN pings the MN; every switch's flows
#   equal the set docs/MOBILITY.md ("Rules in the switches") describes
#   gives for that step (cookie, table, priority, match, actions);
#   at home no binding rule (cookie role 2 or 3) anywhere (the contract's
#   07:10 change: the home switch keeps role-4 rules for 120 s after a return);
#   the restart keeps every binding and every flow, and the probes see no gap
#   over MOB_GAP_LIMIT_MS while the controller is away; with the controller
#   away the router's ARP for the HoA and the MoA is answered by the switches;
#   the MN's ARP for its home gateway is answered in the switch with the
#   local gateway's MAC, and the MN still reaches its CN after the return home
#   with that MAC in its ARP cache, whose entry is corrected within 2 s (before
#   the role-4 rules expire);
#   no OFPT_ERROR from any switch (errors_in, and none in a capture of the
#   controller channel over the whole run); both TCP streams end without
#   corruption or reset; matflowd exits 0 on SIGTERM, no sanitizer report.
# Flow dumps, binding/event JSON, UDP reports and logs go to the artifacts
# directory (build/test-logs/integration/test_mobility/ under run-tests.sh).
# Needs root, openvswitch-switch, ethtool, iputils-ping, tshark. About 30 s.

# The whole script is one { ... } group: bash reads it completely before it
# runs any of it, so an edit of this file during a run cannot derail the run.
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
LIMIT_MS=${MOB_GAP_LIMIT_MS:-100}

PY=/usr/bin/python3
n=0
failed=0
ok()     { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { _d=$1; shift; if "$@"; then ok "$_d"; else not_ok "$_d"; fi; }
diag() { sed 's/^/# /'; }
T_START=$(date +%s%3N)
elapsed() { awk -v ms=$(( $(date +%s%3N) - T_START )) 'BEGIN { printf "%.1f", ms / 1000 }'; }

for b in "$MATFLOWD" "$MATFLOWCTL" "$PY"; do
    if [ ! -x "$b" ]; then not_ok "$b exists (run make)"; echo "1..$n"; exit 1; fi
done
for c in ping ovs-vswitchd ethtool dumpcap tshark; do
    if ! command -v $c >/dev/null 2>&1; then not_ok "$c installed"; echo "1..$n"; exit 1; fi
done
echo "# matflowd: $MATFLOWD"

tb_init mob
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
    [ "$failed" -eq 0 ] && [ "$rc" -eq 0 ] && exit 0
    exit 1
}
trap on_exit EXIT

# ---------------------------------------------------------------- helper
# mob.py: JSON checks and the expected flows, written from the contract.
MOB=$TB_RUN/mob.py
cat > "$MOB" <<'PYEOF'
import ipaddress, json, subprocess, sys, time

SITES = {n: {"name": "site%d" % n, "dpid": "%016x" % n, "prefix": "10.%d.0.0/24" % n,
             "gw": "10.%d.0.1" % n, "gw_mac": "02:00:00:00:%02x:01" % n,
             "pool": ["10.%d.0.%d" % (n, i) for i in range(200, 250)]} for n in (1, 2, 3)}
SITE_NO = {"site%d" % n: n for n in SITES}
UPLINK = 1
BASE = 0x4d46 << 48 | 1 << 44


def cookie(role, bid, epoch):
    return "0x%x" % (0x4d46 << 48 | role << 44 | bid << 20 | epoch)


def ctl(args):
    out = subprocess.run(args, capture_output=True, text=True, timeout=5)
    if out.returncode != 0:
        raise RuntimeError("matflowctl %s: exit %d: %s" % (args[-1], out.returncode, out.stderr.strip()))
    return json.loads(out.stdout)


def find(doc, mac):
    for b in doc.get("bindings", []):
        if b.get("mac", "").lower() == mac.lower():
            return b
    return None


def binding_ok(b, want, site, min_epoch, hoa=None, port=None):
    """why the binding is not (yet) what we want, or None"""
    if b is None:
        return "no binding"
    if hoa and b.get("hoa") != hoa:
        return "hoa %r" % b.get("hoa")
    if b.get("state") != want:
        return "state %r" % b.get("state")
    if b.get("site") != site:
        return "site %r" % b.get("site")
    if port is not None and b.get("port") != port:
        return "port %r" % b.get("port")
    if (b.get("epoch") or 0) < min_epoch:
        return "epoch %r < %d" % (b.get("epoch"), min_epoch)
    if want == "away" and b.get("moa") not in SITES[SITE_NO[site]]["pool"]:
        return "moa %r not in %s's pool" % (b.get("moa"), site)
    if want == "home" and b.get("moa") not in (b.get("hoa"), None):
        return "moa %r at home (want the HoA)" % b.get("moa")
    return None


def cmd_wait_binding(a):
    # wait-binding CTL API MAC STATE SITE MIN_EPOCH TIMEOUT [HOA PORT]
    ctlbin, api, mac, want, site, min_epoch, timeout = a[:7]
    hoa = a[7] if len(a) > 7 else None
    port = int(a[8]) if len(a) > 8 else None
    t0 = time.monotonic()
    end = t0 + float(timeout)
    why, b = "?", None
    while True:
        try:
            doc = ctl([ctlbin, "--api", api, "--json", "bindings"])
            b = find(doc, mac)
            why = binding_ok(b, want, site, int(min_epoch), hoa, port)
        except Exception as e:  # daemon restarting, bad JSON: keep trying
            why = str(e)
        if why is None or time.monotonic() > end:
            break
        time.sleep(0.02)
    print(json.dumps({"ok": why is None, "why": why, "waited_ms": round((time.monotonic() - t0) * 1000),
                      "binding": b}))
    return 0 if why is None else 1


def since(b):
    import calendar
    t = b.get("since") or ""
    try:
        return calendar.timegm(time.strptime(t[:19], "%Y-%m-%dT%H:%M:%S"))
    except ValueError:
        return time.time()


def arp_reply(asker_mac, asker_ip, ip, mac):
    return ("set_field:%s->eth_dst,set_field:%s->eth_src,set_field:2->arp_op,"
            "set_field:%s->arp_sha,set_field:%s->arp_spa,set_field:%s->arp_tha,"
            "set_field:%s->arp_tpa,IN_PORT" % (asker_mac, mac, mac, ip, asker_mac, asker_ip))


def expected(sw, bindings):
    """the flows of switch `sw` (1..3) per the contract, in ovs-ofctl syntax"""
    out = []

    def add(ck, table, prio, match, actions):
        m = ("," + match) if match else ""
        out.append("cookie=%s,table=%d,priority=%d%s,actions=%s" % (ck, table, prio, m, actions))

    b0 = "0x%x" % BASE
    add(b0, 0, 40000, "rarp", "CONTROLLER:65535,NORMAL")
    add(b0, 0, 30000, "arp", "CONTROLLER:65535,NORMAL")
    for s in SITES.values():
        add(b0, 0, 20000, "ip,nw_dst=" + s["prefix"], "write_metadata:0x1/0x1,goto_table:1")
    for s in SITES.values():   # MoA pool sources, kept apart in the datapath cache
        for block in ipaddress.summarize_address_range(ipaddress.ip_address(s["pool"][0]),
                                                       ipaddress.ip_address(s["pool"][-1])):
            add(b0, 1, 1, "ip,nw_src=%s" % block, "goto_table:2")
    add(b0, 0, 0, "", "goto_table:1")
    add(b0, 1, 0, "", "goto_table:2")
    add(b0, 2, 0, "", "NORMAL")
    here = SITES[sw]
    for b in bindings:
        if b["state"] == "home":
            # Contract change 07:10: after a return home (epoch > 0), for 120 s
            # (hard_timeout), the home switch re-addresses the node's frames
            # sent to any other site's gateway MAC to its own gateway (role 4).
            h = SITE_NO[b["home"]]
            if sw == h and b.get("epoch", 0) > 0 and time.time() - since(b) < 120:
                for x, other in SITES.items():
                    if x != h:
                        add(cookie(4, b["id"], b["epoch"]), 0, 26000,
                            "dl_src=%s,dl_dst=%s" % (b["mac"], other["gw_mac"]),
                            "set_field:%s->eth_dst,goto_table:1" % SITES[h]["gw_mac"])
            continue
        if b["state"] != "away":
            raise SystemExit("binding %s is %s: no expected set" % (b["hoa"], b["state"]))
        H, M, mac = b["hoa"], b["moa"], b["mac"]
        h, c = SITE_NO[b["home"]], SITE_NO[b["site"]]
        home, cur = SITES[h], SITES[c]
        cr, cs = cookie(2, b["id"], b["epoch"]), cookie(3, b["id"], b["epoch"])
        # receiving side
        add(cr, 1, 30000, "ip,nw_src=" + M, "set_field:%s->ip_src,goto_table:2" % H)
        if sw == c:
            add(cr, 2, 30000, "ip,nw_dst=" + M, "set_field:%s->ip_dst,set_field:%s->eth_dst,NORMAL" % (H, mac))
            add(cr, 0, 36000, "arp,in_port=%d,dl_src=%s,arp_op=1,arp_tpa=%s" % (UPLINK, cur["gw_mac"], M),
                arp_reply(cur["gw_mac"], cur["gw"], M, mac))
        # sending side
        if sw == c:
            # contract change 07:10: a node here is not "behind an OFS" here
            add(cs, 0, 25000, "ip,nw_dst=" + H, "goto_table:1")
            add(cs, 1, 29500, "ip,dl_src=%s,nw_src=%s,metadata=0x1/0x1" % (mac, H),
                "set_field:%s->ip_src,set_field:%s->eth_dst,goto_table:2" % (M, cur["gw_mac"]))
            add(cs, 1, 29000, "ip,dl_src=%s,nw_src=%s" % (mac, H),
                "set_field:%s->eth_dst,goto_table:2" % cur["gw_mac"])
            add(cs, 2, 30000, "ip,nw_dst=" + H, "set_field:%s->eth_dst,NORMAL" % mac)
            add(cs, 0, 36000, "arp,dl_src=%s,arp_op=1,arp_tpa=%s" % (mac, home["gw"]),
                arp_reply(mac, H, home["gw"], cur["gw_mac"]))
            add(cs, 0, 35000, "arp,dl_src=%s,arp_op=1,arp_tpa=%s" % (mac, home["prefix"]), "CONTROLLER:65535")
        else:
            add(cs, 2, 30000, "ip,nw_dst=" + H,
                "set_field:%s->ip_dst,set_field:%s->eth_dst,NORMAL" % (M, here["gw_mac"]))
        if sw == h:
            add(cs, 0, 36000, "arp,in_port=%d,dl_src=%s,arp_op=1,arp_tpa=%s" % (UPLINK, home["gw_mac"], H),
                arp_reply(home["gw_mac"], home["gw"], H, mac))
            add(cs, 2, 31000, "ip,in_port=%d,nw_dst=%s" % (UPLINK, H),
                "set_field:%s->ip_dst,set_field:%s->eth_src,set_field:%s->eth_dst,IN_PORT" % (M, mac, home["gw_mac"]))
            add(cs, 0, 35000, "arp,arp_op=1,arp_tpa=" + H, "CONTROLLER:65535")
    return out


def cmd_expect(a):
    sw, path = int(a[0]), a[1]
    with open(path) as f:
        doc = json.load(f)
    print("\n".join(expected(sw, doc.get("bindings", []))))
    return 0


DROP = {"duration", "n_packets", "n_bytes", "idle_age", "hard_age", "idle_timeout", "hard_timeout",
        "importance", "send_flow_rem", "check_overlap", "reset_counts", "no_packet_counts",
        "no_byte_counts", "out_port", "out_group"}


def split_top(s):
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


def norm_line(line):
    line = line.strip()
    if " actions=" not in line:          # reply headers, anything not a flow
        return None
    left, _, actions = line.partition(" actions=")
    cookie, table, prio, match = "0x0", "0", "32768", []
    for tok in split_top(left.replace(", ", ",")):
        k, _, v = tok.partition("=")
        if k in DROP:
            continue
        if k == "cookie":
            cookie = v
        elif k == "table":
            table = v
        elif k == "priority":
            prio = v
        else:
            match.append(tok)
    acts = split_top(actions)
    out, run = [], []
    for x in acts:                 # the order of consecutive set_fields does not matter
        if x.startswith("set_field:"):
            run.append(x)
            continue
        out += sorted(run) + [x]
        run = []
    out += sorted(run)
    return "cookie=%s table=%s priority=%s match=%s actions=%s" % (
        cookie, table, prio, ",".join(sorted(match)), ",".join(out))


def cmd_norm(a):
    lines = [x for x in (norm_line(l) for l in sys.stdin) if x]
    print("\n".join(sorted(lines)))
    return 0


def cmd_diff(a):
    exp = [l for l in open(a[0]).read().splitlines() if l]
    act = [l for l in open(a[1]).read().splitlines() if l]
    missing = [l for l in exp if l not in act]
    extra = [l for l in act if l not in exp]
    for l in missing:
        print("missing: " + l)
    for l in extra:
        print("extra:   " + l)
    return 1 if missing or extra else 0


def cmd_binding_rules(a):
    """binding-rules NORMFILE...: the rules with a role 2 or 3 cookie"""
    bad = 0
    for p in a:
        for l in open(p).read().splitlines():
            ck = int(l.split()[0].split("=")[1], 16)
            if ck >> 48 == 0x4d46 and (ck >> 44) & 0xF in (2, 3):
                print("%s: %s" % (p.rsplit("/", 1)[-1], l))
                bad += 1
    return 1 if bad else 0


def cmd_sites(a):
    with open(a[0]) as f:
        doc = json.load(f)
    got = {s.get("name"): s for s in doc.get("sites", [])}
    why = []
    for n, s in SITES.items():
        g = got.get(s["name"])
        if g is None:
            why.append("%s missing" % s["name"])
            continue
        for k, v in (("dpid", s["dpid"]), ("prefix", s["prefix"]), ("gateway", s["gw"]),
                     ("gateway_mac", s["gw_mac"]), ("connected", True), ("pool_size", 50)):
            if (g.get(k).lower() if isinstance(g.get(k), str) else g.get(k)) != v:
                why.append("%s %s=%r (want %r)" % (s["name"], k, g.get(k), v))
    print("; ".join(why))
    return 1 if why else 0


def cmd_errors(a):
    with open(a[0]) as f:
        doc = json.load(f)
    sw = [s for s in doc.get("switches", []) if s.get("state") == "ready"]
    print(", ".join("%s errors_in=%s" % (s.get("dpid"), s.get("errors_in")) for s in sw))
    return 0 if len(sw) == 3 and all(s.get("errors_in") == 0 for s in sw) else 1


def cmd_same_bindings(a):
    x, y = (json.load(open(p)).get("bindings") for p in a[:2])
    key = lambda b: b.get("id", 0)
    x, y = sorted(x, key=key), sorted(y, key=key)
    if x == y:
        return 0
    for bx in x:
        by = next((b for b in y if b.get("id") == bx.get("id")), None)
        if bx != by:
            print("before: %s\nafter:  %s" % (json.dumps(bx, sort_keys=True), json.dumps(by, sort_keys=True)))
    for by in y:
        if not any(b.get("id") == by.get("id") for b in x):
            print("new after restart: %s" % json.dumps(by, sort_keys=True))
    return 1


def cmd_field(a):
    # field FILE MAC KEY: a field of the binding of MAC
    with open(a[0]) as f:
        b = find(json.load(f), a[1])
    print(b.get(a[2]) if b else "")
    return 0 if b else 1


def cmd_get(a):
    # get FILE KEY.KEY...: a value from a JSON file
    with open(a[0]) as f:
        v = json.load(f)
    for k in a[1].split("."):
        v = v[int(k)] if isinstance(v, list) else v.get(k)
    print(v if not isinstance(v, (dict, list)) else json.dumps(v))
    return 0


sys.exit({"wait-binding": cmd_wait_binding, "expect": cmd_expect, "norm": cmd_norm,
          "diff": cmd_diff, "binding-rules": cmd_binding_rules, "sites": cmd_sites,
          "errors": cmd_errors, "same-bindings": cmd_same_bindings,
          "get": cmd_get, "field": cmd_field}[sys.argv[1]](sys.argv[2:]))
PYEOF
mob() { "$PY" "$MOB" "$@"; }
jget() { mob get "$@" 2>/dev/null; }

# ---------------------------------------------------------------- flows
# flows_expect STEP: the contract's flow set for every switch, from the
# bindings matflowctl reports now, made canonical by Open vSwitch itself
# (installed into a scratch bridge without a controller and dumped back).
SCRATCH=${P}x
flows_expect() {
    tb_matflowctl --json bindings > "$TB_RUN/bindings-$1.json" 2>&1
    for i in 1 2 3; do
        mob expect $i "$TB_RUN/bindings-$1.json" > "$TB_RUN/expect-$1-s$i.flows" 2>&1 || return 1
        tb_ofctl replace-flows "unix:$TB_OVS/$SCRATCH.mgmt" "$TB_RUN/expect-$1-s$i.flows" \
            > "$TB_RUN/scratch.err" 2>&1 || { cat "$TB_RUN/scratch.err" >> "$TB_RUN/expect-$1-s$i.flows"; return 1; }
        tb_ofctl dump-flows "unix:$TB_OVS/$SCRATCH.mgmt" | mob norm > "$TB_RUN/expect-$1-s$i.txt"
    done
}
# flows_dump STEP: every switch's flows now (raw and canonical).
flows_dump() {
    for i in 1 2 3; do
        topo_dump_flows "site$i" > "$TB_RUN/flows-$1-s$i.txt" 2>&1
        mob norm < "$TB_RUN/flows-$1-s$i.txt" > "$TB_RUN/flows-$1-s$i.norm"
    done
}
flows_same() {
    flows_dump "$1" || return 1
    for i in 1 2 3; do
        cmp -s "$TB_RUN/expect-$1-s$i.txt" "$TB_RUN/flows-$1-s$i.norm" || return 1
    done
}
# flows_check STEP WHAT: expected set, wait up to 3 s for the switches to
# hold exactly it (cleanup of the old epoch finishes after "complete"),
# one TAP line per switch.
flows_check() {
    if ! flows_expect "$1"; then
        not_ok "$2: expected flow set for step $1"; diag < "$TB_RUN/expect-$1-s1.flows"; return
    fi
    tb_wait 3 flows_same "$1"
    for i in 1 2 3; do
        _fc_n=$(wc -l < "$TB_RUN/flows-$1-s$i.norm")
        if mob diff "$TB_RUN/expect-$1-s$i.txt" "$TB_RUN/flows-$1-s$i.norm" > "$TB_RUN/diff-$1-s$i.txt"; then
            ok "$2: s$i holds exactly the contract's $_fc_n flows"
        else
            not_ok "$2: s$i holds exactly the contract's flows"; diag < "$TB_RUN/diff-$1-s$i.txt"
        fi
    done
}

# ---------------------------------------------------------------- traffic
# progress NAME MIN TIMEOUT: both ends of TCP stream NAME received MIN more
# bytes than when progress_mark NAME was called.
progress_mark() {
    eval "MARK_$1_c=\$(topo_tcp_get $1 client received) MARK_$1_s=\$(topo_tcp_get $1 server received)"
}
# shellcheck disable=SC2154  # _pc, _ps: set by eval
progress__has() {
    eval "_pc=\$MARK_$1_c _ps=\$MARK_$1_s"
    _c=$(topo_tcp_get "$1" client received) _s=$(topo_tcp_get "$1" server received)
    [ -n "$_c" ] && [ -n "$_s" ] && [ "$_c" -ge $((_pc + $2)) ] && [ "$_s" -ge $((_ps + $2)) ]
}
progress_check() {
    if tb_wait "$3" progress__has "$1" 40000; then
        ok "$2: TCP $1 carries on (client $(topo_tcp_get "$1" client received) B, server $(topo_tcp_get "$1" server received) B verified, longest stall $(topo_tcp_get "$1" client max_stall_ms)/$(topo_tcp_get "$1" server max_stall_ms) ms)"
    else
        not_ok "$2: TCP $1 carries on"; diag < "$TB_RUN/$1-client.json"; echo | diag; diag < "$TB_RUN/$1-server.json"
    fi
}

# udp_check WHAT STREAM RECEIVER DIR_TEXT T0 T1 RARP: one direction of a move.
SUMMARY=""
udp_check() {
    _uc_f=$TB_RUN/udp-$(echo "$1" | tr -c 'a-zA-Z0-9\n' '_')-$3.json
    topo_udp_report "$2" "$3" "$5" "$6" "$7" > "$_uc_f" 2>&1
    _uc_d=$(jget "$_uc_f" disruption_ms) _uc_g=$(jget "$_uc_f" max_gap_ms) _uc_l=$(jget "$_uc_f" lost)
    SUMMARY="$SUMMARY
# $1, $4: disruption ${_uc_d:-none} ms, longest gap ${_uc_g:-?} ms, lost ${_uc_l:-?}"
    if [ -n "$_uc_d" ] && [ "$_uc_d" != None ] &&
        awk -v d="$_uc_d" -v l="$LIMIT_MS" 'BEGIN { exit !(d <= l) }'; then
        ok "$1: UDP $4: first RARP -> first probe on the new path $_uc_d ms (<= $LIMIT_MS), longest gap $_uc_g ms, $_uc_l lost"
    else
        not_ok "$1: UDP $4 resumes within $LIMIT_MS ms of the first RARP (disruption ${_uc_d:-none} ms)"
        diag < "$_uc_f"
    fi
}
# move_udp_checks WHAT NODE: the UDP checks of NODE's last move (both probe streams).
move_udp_checks() {
    _mu=$(grep "^$2 " "$TB_RUN/moves" | tail -n 1)
    # shellcheck disable=SC2086  # the line's fields
    set -- "$1" "$2" $_mu
    _t0=$6 _t1=$7 _rl=$8
    _r=$(topo_rarp_time "$_rl")
    # analyse 1.2 s after the first RARP at the earliest (the report looks 1 s on)
    _wait=$(awk -v r="$_r" -v now="$(date +%s.%N)" 'BEGIN { w = r + 1.2 - now; print (w > 0 ? w : 0) }')
    sleep "$_wait"
    udp_check "$1" udp mn "CN -> MN" "$_t0" "$_t1" "$_r"
    udp_check "$1" udp cn "MN -> CN" "$_t0" "$_t1" "$_r"
    udp_check "$1" udpl mn "legacy CN -> MN" "$_t0" "$_t1" "$_r"
    udp_check "$1" udpl lcn "MN -> legacy CN" "$_t0" "$_t1" "$_r"
}

# wait_binding WHAT NODE STATE SITE [PORT]: the binding complete at SITE.
# shellcheck disable=SC2034  # read through eval
EPOCH_mn=-1 EPOCH_mn2=-1      # learning at home: any epoch; then each move: one more
# shellcheck disable=SC2154  # _wb_e: set by eval
wait_binding() {
    eval "_wb_e=\$EPOCH_$2"
    _wb_f=$TB_RUN/binding-$2-$4-$(date +%s%N).json
    mob wait-binding "$MATFLOWCTL" "$TB_API" "$(topo_node_mac "$2")" "$3" "$4" $((_wb_e + 1)) 5 \
        "$(topo_node_ip "$2")" "${5:-10}" > "$_wb_f"
    _wb_rc=$?
    if [ $_wb_rc -eq 0 ]; then
        eval "EPOCH_$2=$(jget "$_wb_f" binding.epoch)"
        ok "$1: bindings shows $2 $3 at $4 port ${5:-10} (moa $(jget "$_wb_f" binding.moa), epoch $(jget "$_wb_f" binding.epoch))"
    else
        not_ok "$1: bindings shows $2 $3 at $4 within 5 s ($(jget "$_wb_f" why))"; diag < "$_wb_f"
    fi
    return $_wb_rc
}

# home_cn_check WHAT: the MN (away) and HCN, a host of its home prefix, ask
# for each other's address (answered by the controller: the 35000 rules) and
# ping each other.
home_cn_check() {
    topo_in hcn ip neigh del 10.1.0.10 dev eth0 2>/dev/null
    topo_in mn ip neigh del 10.1.0.20 dev eth0 2>/dev/null
    if topo_in hcn ping -c 1 -W 1 10.1.0.10 > "$TB_RUN/ping.txt" 2>&1; then
        ok "$1: HCN (site1) asks for the MN's HoA and pings it ($(topo_in hcn ip neigh show 10.1.0.10 dev eth0 | awk '{print $3}') answered)"
    else
        not_ok "$1: HCN (site1) asks for the MN's HoA and pings it"
        { cat "$TB_RUN/ping.txt"; topo_in hcn ip neigh show; } | diag
    fi
    if topo_in mn ping -c 1 -W 1 10.1.0.20 > "$TB_RUN/ping.txt" 2>&1; then
        ok "$1: the MN asks for HCN (its home prefix) and pings it ($(topo_in mn ip neigh show 10.1.0.20 dev eth0 | awk '{print $3}') answered)"
    else
        not_ok "$1: the MN asks for HCN (its home prefix) and pings it"
        { cat "$TB_RUN/ping.txt"; topo_in mn ip neigh show; } | diag
    fi
}

legacy_ping() {
    if topo_in lcn ping -c 1 -W 1 10.1.0.10 > "$TB_RUN/ping.txt" 2>&1; then
        ok "$1: the legacy CN pings the MN ($(sed -n 's/.*time=\([0-9.]* ms\).*/\1/p' "$TB_RUN/ping.txt"))"
    else
        not_ok "$1: the legacy CN pings the MN"; diag < "$TB_RUN/ping.txt"
    fi
}

events_note() {
    tb_matflowctl --json events > "$TB_RUN/events-$1.json" 2>&1
    "$PY" - "$TB_RUN/events-$1.json" <<'EOF' | diag
import json, sys
doc = json.load(open(sys.argv[1]))
for u in doc.get("updates", [])[-2:]:
    steps = {e["step"]: e.get("t_us") for e in u.get("events", [])}
    print("update %s: %s -> %s epoch %s trigger %s complete=%s failed=%s in %s us (%s)" % (
        u.get("id"), u.get("hoa"), u.get("to"), u.get("epoch"), u.get("trigger"), u.get("complete"),
        u.get("failed"), steps.get("complete"), u.get("why") or "ok"))
EOF
}

# move WHAT STEP NODE:SITE[:PORT]...: the move(s), then the checks.
move() {
    _mv_what=$1 _mv_step=$2; shift 2
    progress_mark cnmn; progress_mark lcnmn
    topo_migrate_many -b "$@"
    for _mv_x in "$@"; do
        _mv_node=${_mv_x%%:*} _mv_r=${_mv_x#*:}
        _mv_site=${_mv_r%%:*} _mv_port=${_mv_r#*:}; [ "$_mv_port" = "$_mv_r" ] && _mv_port=10
        _mv_state=away
        { [ "$_mv_node" = mn ] && [ "$_mv_site" = site1 ]; } && _mv_state=home
        { [ "$_mv_node" = mn2 ] && [ "$_mv_site" = site2 ]; } && _mv_state=home
        wait_binding "$_mv_what" "$_mv_node" "$_mv_state" "$_mv_site" "$_mv_port"
    done
    for _mv_x in "$@"; do
        _mv_l=$(grep "^${_mv_x%%:*} " "$TB_RUN/moves" | tail -n 1 | awk '{print $6}')
        topo_rarp_wait "$_mv_l" 5 3 || not_ok "$_mv_what: rarp.py sent 5 RARPs"
    done
    events_note "$_mv_step"
    move_udp_checks "$_mv_what" mn
    progress_check cnmn "$_mv_what" 10
    progress_check lcnmn "$_mv_what" 10
    [ "$_mv_state" = away ] && [ "$_mv_what" != "${_mv_what#MN site}" ] && home_cn_check "$_mv_what"
    # The router forgets the HoA: its ARP on site1 must be answered (by the
    # MN at home, by s1 while the MN is away).
    topo_in lr ip neigh del 10.1.0.10 dev site1 2>/dev/null
    legacy_ping "$_mv_what"
    flows_check "$_mv_step" "$_mv_what"
}

# ================================================================ setup
# shellcheck disable=SC2034  # read by topo_matflowd_start / topo_up
TOPO_MATFLOWD_ARGS="--log-level debug" TOPO_HCN=1
# The controller channel, all along (an independent look for OFPT_ERROR).
tb_capture_start capture lo "tcp port $TB_OF_PORT"
topo_up
ok "testbed up: matflowd, OVS, LR, s1/s2/s3, CN, legacy CN, MN, MN2, HCN ($(elapsed) s)"
tb_vsctl add-br "$SCRATCH" -- set bridge "$SCRATCH" datapath_type=netdev fail-mode=secure \
    protocols=OpenFlow13 other-config:datapath-id="$(tb_dpid 99)" || tb_die "scratch bridge"

if topo_wait_ready 15; then
    ok "matflowctl switches: dpids 1, 2, 3 ready ($(elapsed) s)"
else
    not_ok "matflowctl switches: dpids 1, 2, 3 ready"; tb_matflowctl switches 2>&1 | diag
    exit 1
fi

# The base pipeline, before anything is learned.
echo '{"bindings": []}' > "$TB_RUN/bindings-none.json"
flows_check base "base pipeline"

# Hosts talk to their gateways: matflowd learns the gateways' MACs and, from
# their ARP at home, MN and MN2.
for x in mn:10.1.0.1 mn2:10.2.0.1 cn:10.3.0.1 lcn:10.4.0.1 hcn:10.1.0.1; do
    topo_in "${x%%:*}" ping -c 1 -W 1 "${x#*:}" > /dev/null 2>&1 ||
        not_ok "${x%%:*} pings its gateway ${x#*:}"
done
sites_ok() { tb_matflowctl --json sites > "$TB_RUN/sites.json" 2>&1 && mob sites "$TB_RUN/sites.json" > "$TB_RUN/sites.why"; }
if tb_wait 5 sites_ok; then
    ok "matflowctl sites: every gateway MAC learned (= the router's), dpid, prefix, gateway, pool as configured"
else
    not_ok "matflowctl sites: every gateway MAC learned"; diag < "$TB_RUN/sites.why"; diag < "$TB_RUN/sites.json"
fi
wait_binding "learning" mn home site1 10
wait_binding "learning" mn2 home site2 11
tb_matflowctl --json bindings > "$TB_RUN/bindings-learned.json" 2>&1
if [ "$(grep -o '"hoa": *"[0-9.]*"' "$TB_RUN/bindings-learned.json" | wc -l)" -eq 2 ]; then
    ok "learning: exactly two bindings (HCN, on a port that is no hypervisor port, is no mobile node)"
else
    not_ok "learning: exactly two bindings (MN, MN2)"; diag < "$TB_RUN/bindings-learned.json"
fi
flows_check home "at home"

# ================================================================ traffic
topo_tcp_start cnmn mn 5001 cn
topo_tcp_start lcnmn mn 5002 lcn
topo_udp_start udp cn mn 6001
topo_udp_start udpl lcn mn 6002
if topo_tcp_wait cnmn 40000 10 && topo_tcp_wait lcnmn 40000 10; then
    ok "TCP streams CN <-> MN and legacy CN <-> MN running ($(topo_tcp_get cnmn client received) / $(topo_tcp_get lcnmn client received) B verified)"
else
    not_ok "TCP streams CN <-> MN and legacy CN <-> MN running"
    for f in cnmn-client cnmn-server lcnmn-client lcnmn-server; do echo "$f: $(cat "$TB_RUN/$f.json" 2>/dev/null)" | diag; done
fi
legacy_ping "at home"
sleep 0.3
udp_recv() { jget "$TB_RUN/$1.json" received; }
if [ "$(udp_recv udp-cn)" -gt 100 ] && [ "$(udp_recv udp-mn)" -gt 100 ] &&
    [ "$(udp_recv udpl-lcn)" -gt 100 ] && [ "$(udp_recv udpl-mn)" -gt 100 ]; then
    ok "UDP probes flowing both ways CN <-> MN and legacy CN <-> MN"
else
    not_ok "UDP probes flowing both ways"; cat "$TB_RUN"/udp*.json | diag
fi

# ================================================================ moves
move "MN site1 -> site2" site2 mn:site2
move "MN site2 -> site3" site3 mn:site3

# ---------------------------------------------------------------- restart
tb_matflowctl --json switches > "$TB_RUN/switches-before-restart.json" 2>&1
if mob errors "$TB_RUN/switches-before-restart.json" > "$TB_RUN/errors.txt"; then
    ok "no OFPT_ERROR from any switch before the restart ($(cat "$TB_RUN/errors.txt"))"
else
    not_ok "no OFPT_ERROR from any switch before the restart"; diag < "$TB_RUN/errors.txt"
fi
tb_matflowctl --json bindings > "$TB_RUN/bindings-before-restart.json" 2>&1
R_T0=$(date +%s.%N)
topo_matflowd_stop TERM; rc=$?
if [ $rc -eq 0 ]; then ok "restart: matflowd exits 0 on SIGTERM"; else not_ok "restart: matflowd exits 0 on SIGTERM (got $rc)"; fi
sleep 1
if flows_same site3; then
    ok "restart: every switch keeps its flows while matflowd is away"
else
    not_ok "restart: every switch keeps its flows while matflowd is away"
    for i in 1 2 3; do mob diff "$TB_RUN/expect-site3-s$i.txt" "$TB_RUN/flows-site3-s$i.norm" | sed "s/^/s$i /" | diag; done
fi
# With the controller away the router re-resolves the HoA (site1) and the MoA
# (site3): the switches answer for themselves.
MOA3=$(mob field "$TB_RUN/bindings-before-restart.json" "$TOPO_MN_MAC" moa)
topo_in lr ip neigh del 10.1.0.10 dev site1 2>/dev/null
topo_in lr ip neigh del "$MOA3" dev site3 2>/dev/null
if topo_in lcn ping -c 2 -i 0.2 -W 1 10.1.0.10 > "$TB_RUN/ping.txt" 2>&1; then
    ok "controller away: the router's ARP for the HoA (site1) and for the MoA $MOA3 (site3) answered by the switches; the legacy CN pings the MN ($(topo_in lr ip neigh show | grep -cE "10.1.0.10 .*lladdr $TOPO_MN_MAC|$MOA3 .*lladdr $TOPO_MN_MAC") of 2 router entries = MN's MAC)"
else
    not_ok "controller away: the legacy CN pings the MN after the router forgot the HoA and the MoA"
    { cat "$TB_RUN/ping.txt"; topo_in lr ip neigh show; } | diag
fi
topo_matflowd_start
if topo_wait_ready 15; then
    ok "restart: matflowd again, dpids 1, 2, 3 ready ($(grep -c 'ready' "$TB_RUN/matflowd.log") ready lines)"
else
    not_ok "restart: dpids 1, 2, 3 ready again"
fi
sleep 1
tb_matflowctl --json bindings > "$TB_RUN/bindings-after-restart.json" 2>&1
if mob same-bindings "$TB_RUN/bindings-before-restart.json" "$TB_RUN/bindings-after-restart.json" > "$TB_RUN/same.txt"; then
    ok "restart: matflowctl bindings --json equal before and after"
else
    not_ok "restart: matflowctl bindings --json equal before and after"; diag < "$TB_RUN/same.txt"
fi
flows_check site3-restarted "after the restart"
R_T1=$(date +%s.%N)
sleep 0.3
for x in udp:mn:"CN -> MN" udp:cn:"MN -> CN" udpl:mn:"legacy CN -> MN" udpl:lcn:"MN -> legacy CN"; do
    s=${x%%:*} r=${x#*:}; r=${r%%:*} d=${x##*:}
    "$PY" "$TOPO_LIB/traffic.py" udp-window --arrivals "$TB_RUN/$s-$r.bin" --start "$R_T0" --end "$R_T1" \
        > "$TB_RUN/udp-restart-$s-$r.json"
    g=$(jget "$TB_RUN/udp-restart-$s-$r.json" max_gap_ms) l=$(jget "$TB_RUN/udp-restart-$s-$r.json" lost)
    SUMMARY="$SUMMARY
# restart ($(awk -v a="$R_T0" -v b="$R_T1" 'BEGIN{printf "%.1f", b-a}') s), $d: longest gap $g ms, lost $l"
    if awk -v g="$g" -v l="$LIMIT_MS" 'BEGIN { exit !(g != "" && g <= l) }'; then
        ok "restart: UDP $d flows all along (longest gap $g ms, $l lost)"
    else
        not_ok "restart: UDP $d flows all along (longest gap $g ms > $LIMIT_MS, $l lost)"
    fi
done

move "MN site3 -> home" home mn:site1
if flows_dump home-check && mob binding-rules "$TB_RUN"/flows-home-check-s?.norm > "$TB_RUN/left.txt"; then
    ok "MN home: no binding rule (cookie role 2 or 3) left in any switch"
else
    not_ok "MN home: no binding rule (cookie role 2 or 3) left in any switch"; diag < "$TB_RUN/left.txt"
fi
# ---------------------------------------------------------------- two at once
move "MN -> site2 while MN2 -> site3" both mn:site2:10 mn2:site3:10
for x in "cn:10.2.0.10:CN pings MN2 (at site3, its own site)" \
         "mn:10.2.0.10:MN (at site2) pings MN2 (at site3)" \
         "mn2:10.3.0.20:MN2 (at site3) pings the CN on its site" \
         "lcn:10.2.0.10:the legacy CN pings MN2"; do
    src=${x%%:*} r=${x#*:}; dst=${r%%:*} what=${r#*:}
    if topo_in "$src" ping -c 1 -W 1 "$dst" > "$TB_RUN/ping.txt" 2>&1; then
        ok "two away: $what"
    else
        not_ok "two away: $what"; diag < "$TB_RUN/ping.txt"
    fi
done
move "MN and MN2 back home" final mn:site1:10 mn2:site2:11
if flows_dump final-check && mob binding-rules "$TB_RUN"/flows-final-check-s?.norm > "$TB_RUN/left.txt"; then
    ok "both home: no binding rule (cookie role 2 or 3) left in any switch"
else
    not_ok "both home: no binding rule (cookie role 2 or 3) left in any switch"; diag < "$TB_RUN/left.txt"
fi

# ---------------------------------------------------------------- ARP cache
# A guest's ARP entry for its gateway expires (15-45 s without confirmation)
# and it asks again at the site it is on: the switch answers with the local
# gateway's MAC. Here the MN forgets the entry at site2 and pings; then it
# goes home with that MAC still cached.
topo_migrate mn site2
wait_binding "ARP cache" mn away site2 10
topo_in mn ip neigh del 10.1.0.1 dev eth0 2>/dev/null
topo_in mn ping -c 1 -W 1 10.3.0.20 > /dev/null 2>&1
GWMAC=$(topo_in mn ip neigh show 10.1.0.1 dev eth0 | awk '{print $3}')
if [ "$GWMAC" = "$(topo_gw_mac 2)" ]; then
    ok "ARP cache: the MN at site2 asks for its home gateway 10.1.0.1: answered with site2's gateway MAC $GWMAC"
else
    not_ok "ARP cache: the MN at site2 asks for 10.1.0.1: answered with site2's gateway MAC $(topo_gw_mac 2) (got '$GWMAC')"
fi
topo_migrate mn site1
wait_binding "ARP cache" mn home site1 10
sleep 0.3
GWMAC=$(topo_in mn ip neigh show 10.1.0.1 dev eth0 | awk '{print $3}')
if topo_in mn ping -c 3 -i 0.2 -W 1 10.3.0.20 > "$TB_RUN/ping.txt" 2>&1; then
    ok "ARP cache: the MN back home with $GWMAC (site2's gateway) cached for 10.1.0.1 reaches the CN"
else
    not_ok "ARP cache: the MN back home with $GWMAC (site2's gateway) cached for 10.1.0.1 reaches the CN"
    {
        echo "the MN's frames for its gateway go to $GWMAC, a MAC that is not on site1: s1's"
        echo "NORMAL floods them and the router's site1 interface drops them (not its MAC);"
        echo "no rule at home re-addresses them. MN: $(topo_in mn ip neigh show 10.1.0.1 dev eth0)"
    } | diag
fi
# Back home, the controller tells the MN its real gateway MAC (an ARP reply
# from gw(1)); the role-4 rules cover the meantime and expire after 120 s.
# By then the MN's entry must hold gw(1): Linux keeps a confirmed entry (TCP
# traffic confirms it) without ever asking again.
mn_gw_home() { [ "$(topo_in mn ip neigh show 10.1.0.1 dev eth0 | awk '{print $3}')" = "$(topo_gw_mac 1)" ]; }
if tb_wait 2 mn_gw_home; then
    ok "ARP cache: within 2 s of the return the MN's entry for 10.1.0.1 is the home gateway's MAC again"
else
    not_ok "ARP cache: within 2 s of the return the MN's entry for 10.1.0.1 is the home gateway's MAC again"
    {
        echo "MN: $(topo_in mn ip neigh show 10.1.0.1 dev eth0); it asked for 10.1.0.1 at site2 less than"
        echo "1 s before the move home, so Linux ignores the controller's ARP reply (it would change an"
        echo "entry updated less than locktime = 1 s ago; only a gratuitous ARP, spa == tpa and for a"
        echo "reply tha == sha, overrides that). Until some other ARP from 10.1.0.1 reaches the MN (e.g."
        echo "the router refreshing its own entry for the MN), only the role-4 rules carry its traffic;"
        echo "if nothing does within their 120 s, its frames go to $(topo_gw_mac 2) again."
    } | diag
fi
flows_dump arp-check
if grep -F 'cookie=0x4d464' "$TB_RUN/flows-arp-check-s1.txt" > "$TB_RUN/role4.txt" &&
    ! grep -vq 'hard_timeout=120' "$TB_RUN/role4.txt"; then
    ok "ARP cache: s1's $(wc -l < "$TB_RUN/role4.txt") role-4 rules for the returned MN carry hard_timeout=120"
else
    not_ok "ARP cache: s1 has role-4 rules for the returned MN, each with hard_timeout=120"; diag < "$TB_RUN/role4.txt"
fi
# Let the rest of the run go on whatever happened above.
topo_in mn ip neigh del 10.1.0.1 dev eth0 2>/dev/null
topo_in mn ping -c 1 -W 1 10.1.0.1 > /dev/null 2>&1
if mob binding-rules "$TB_RUN"/flows-arp-check-s?.norm > "$TB_RUN/left.txt"; then
    ok "ARP cache: no binding rule left after the MN's return"
else
    not_ok "ARP cache: no binding rule left after the MN's return"; diag < "$TB_RUN/left.txt"
fi

# ================================================================ the end
tb_matflowctl --json switches > "$TB_RUN/switches-end.json" 2>&1
if mob errors "$TB_RUN/switches-end.json" > "$TB_RUN/errors.txt"; then
    ok "no OFPT_ERROR from any switch since the restart ($(cat "$TB_RUN/errors.txt"))"
else
    not_ok "no OFPT_ERROR from any switch since the restart"; diag < "$TB_RUN/errors.txt"
fi
tb_matflowctl --json stats > "$TB_RUN/stats-end.json" 2>&1
echo "# mobility counters: $(jget "$TB_RUN/stats-end.json" mobility)"
for s in cnmn lcnmn; do
    if topo_tcp_stop $s; then
        ok "TCP $s ended cleanly: $(topo_tcp_get $s client received) B to the client, $(topo_tcp_get $s server received) B to the server, every byte verified, no reset (longest stall $(topo_tcp_get $s client max_stall_ms)/$(topo_tcp_get $s server max_stall_ms) ms)"
    else
        not_ok "TCP $s ended cleanly"; cat "$TB_RUN/$s-client.json" "$TB_RUN/$s-server.json" | diag
    fi
done
topo_udp_stop udp cn mn
topo_udp_stop udpl lcn mn
check "matflowd still running at the end" tb_alive matflowd
tb_capture_stop capture
if tshark -n -r "$TB_RUN/capture.pcapng" -d "tcp.port==$TB_OF_PORT,openflow" -Y openflow_v4 \
        -T fields -e openflow_v4.type > "$TB_RUN/of-types.raw" 2> "$TB_RUN/tshark.err"; then
    tr ',' '\n' < "$TB_RUN/of-types.raw" | sort -n | uniq -c > "$TB_RUN/of-types.txt"
    echo "# OpenFlow 1.3 messages on the controller channel (count type): $(awk '{printf "%s%d:%d", (NR > 1 ? " " : ""), $1, $2}' "$TB_RUN/of-types.txt")"
    nerr=$(awk '$2 == 1 { print $1 }' "$TB_RUN/of-types.txt")
    if [ -z "$nerr" ]; then
        ok "capture: no OFPT_ERROR on the controller channel in the whole run ($(awk '$2 == 14 { print $1 }' "$TB_RUN/of-types.txt") flow-mods, $(awk '$2 == 21 { print $1 }' "$TB_RUN/of-types.txt") barrier replies)"
    else
        not_ok "capture: no OFPT_ERROR on the controller channel ($nerr seen)"
        tshark -n -r "$TB_RUN/capture.pcapng" -d "tcp.port==$TB_OF_PORT,openflow" -Y 'openflow_v4.type == 1' -V 2>/dev/null |
            grep -iE 'type|code|xid' | head -n 30 | diag
    fi
else
    not_ok "capture: tshark reads the controller channel"; diag < "$TB_RUN/tshark.err"
fi
topo_matflowd_stop TERM; rc=$?
if [ $rc -eq 0 ]; then ok "matflowd exits 0 on SIGTERM"; else not_ok "matflowd exits 0 on SIGTERM (got $rc)"; fi
if grep -nE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' \
        "$TB_RUN"/matflowd*.log > "$TB_RUN/san.txt"; then
    not_ok "no sanitizer report in matflowd's logs"; head -n 40 "$TB_RUN/san.txt" | diag
else
    ok "no sanitizer report in matflowd's logs"
fi
echo "# UDP per move and direction (limit $LIMIT_MS ms):$SUMMARY"
echo "1..$n"
exit
}
