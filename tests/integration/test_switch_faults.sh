#!/bin/bash
# test_switch_faults.sh - switch faults during binding updates, on real Open
# vSwitch (userspace datapath, the reference testbed of tests/lib/topology.sh,
# fail-mode=secure bridges). Site3's switch (the CN's) reaches matflowd
# through build/tests/ofrelay, so that its OpenFlow channel can be held
# (--delay-file + SIGHUP), cut (the relay stopped with SIGSTOP: no FIN, no
# RST, nothing passes) or broken (the relay killed).
#
#   1. disconnect mid-update: site3's channel held, the MN moves site1 ->
#      site2; with the update waiting for site3's barrier the relay is
#      killed: the update completes for the others, `matflowctl sites` shows
#      site3 down ("disconnected", updates missed); the relay back: site3
#      goes reconciling -> in_sync and holds the binding's rules of the new
#      epoch (cookie), the CN reaches the MN through it (ping, TCP).
#   2. ovs-vswitchd restarted (by its PID, same database and run dir):
#      bindings unchanged, every site in_sync, every switch's flows the same
#      as before (OVS comes back empty: the reconciliation adds them all),
#      the MN reachable.
#   Before items 3 and 4 matflowd is restarted (SIGTERM, same database) with
#   the configuration they need: exit status 0, bindings unchanged.
#   3. site3's channel cut for FAULT_CUT_S seconds (default 8: the echo
#      timeout takes 2-4 s, the move and its checks 1-2 s more; a soak run
#      uses FAULT_CUT_S=30), longer than the echo timeout (echo_interval 1 s,
#      echo_misses 2 here): matflowd drops the switch by echo timeout, MN2
#      moves site2 -> site1 during the cut (the other sites get it, site3
#      down with its updates_missed growing); site3 keeps its flows
#      (fail-mode=secure) and the unmoved MN's ping and TCP with the CN keep
#      working during the cut, until its end; after it, site3 is brought up
#      to date (in_sync, MN2's new epoch) and the TCP stream ends cleanly.
#   4. barrier replies that never come in time: barrier_timeout 0.5 s,
#      mobility retries 2, retry_backoff 0.1 s; site3's channel delayed 1 s
#      each way (ofrelay cannot hold back barrier replies alone; a barrier's
#      round trip is then 2 s); the MN returns home: the `retries` counter
#      grows by 2, the binding ends degraded, site3 lagging ("no barrier
#      reply") and then down (the 3rd missed barrier in a row closes the
#      connection), the log has "sending again" (0.1 s, 0.2 s) and
#      "degraded"; the delay lifted: OVS reconnects, site3 back in_sync.
#   5. OFPT_ERROR from a real OVS: site3's table 1 limited to the flows it
#      holds (Flow_Table flow_limit, overflow_policy=refuse); the MN moves
#      site1 -> site2: the switch refuses the new rule (TABLE_FULL), retries,
#      the binding ends degraded, site3 lagging; the limit lifted (which
#      alone changes nothing: a lagging switch is re-read only when it
#      reconnects) and the relay restarted: site3 in_sync, up to date, the
#      CN reaches the MN.
#   At the end: every site in_sync, no binding lost (ids, HoAs, MACs before
#   and after), matflowd alive, exits 0 on SIGTERM, no sanitizer report.
# Every process is ended by its PID, every namespace removed (tb_teardown),
# also on failure. Needs root, openvswitch-switch, ethtool, iputils-ping.
# About 30 s with the default cut (8 s).

# One { ... } group: bash reads the whole file before running any of it.
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
OFRELAY=${OFRELAY:-$ROOT/build/tests/ofrelay}
CUT_S=${FAULT_CUT_S:-8}
RELAY_PORT=6654
HOLD_MS=5000          # item 1: far beyond the time the test needs to kill the relay
SLOW_MS=1000          # item 4: a barrier's round trip 2 s, 4x barrier_timeout

PY=/usr/bin/python3
n=0
failed=0
ok()     { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { _d=$1; shift; if "$@"; then ok "$_d"; else not_ok "$_d"; fi; }
diag() { sed 's/^/# /'; }
T_START=$(date +%s%3N)
elapsed() { awk -v ms=$(( $(date +%s%3N) - T_START )) 'BEGIN { printf "%.1f", ms / 1000 }'; }

for b in "$MATFLOWD" "$MATFLOWCTL" "$OFRELAY" "$PY"; do
    if [ ! -x "$b" ]; then not_ok "$b exists (run make tests)"; echo "1..$n"; exit 1; fi
done
for c in ping ovs-vswitchd ethtool; do
    if ! command -v $c >/dev/null 2>&1; then not_ok "$c installed"; echo "1..$n"; exit 1; fi
done
case $CUT_S in ''|*[!0-9]*) not_ok "FAULT_CUT_S is a whole number of seconds (got '$CUT_S')"; echo "1..$n"; exit 1 ;; esac
echo "# matflowd: $MATFLOWD; channel cut: $CUT_S s"

tb_init faults
P=$TB_PREFIX
RELAY=
on_exit() {
    rc=$?
    trap '' INT TERM HUP
    # A relay stopped for the cut would not see tb_teardown's SIGTERM.
    [ -n "$RELAY" ] && [ -n "$(tb_pid "$RELAY")" ] && kill -CONT "$(tb_pid "$RELAY")" 2>/dev/null
    if [ "$failed" -gt 0 ] || [ "$rc" -ne 0 ]; then
        for f in "$TB_RUN"/matflowd-*.log "$TB_RUN"/matflowd.log; do
            [ -s "$f" ] || continue
            echo "# ---- ${f##*/} (tail)"; tail -n 50 "$f" | diag
        done
        for f in "$TB_RUN"/relay*.log; do
            [ -s "$f" ] && { echo "# ---- ${f##*/} (tail)"; tail -n 8 "$f" | diag; }
        done
    fi
    tb_teardown
    echo "# total $(elapsed) s"
    [ "$failed" -eq 0 ] && [ "$rc" -eq 0 ] && exit 0
    exit 1
}
trap on_exit EXIT

# ---------------------------------------------------------------- helper
FX=$TB_RUN/faults.py
cat > "$FX" <<'PYEOF'
import json, re, subprocess, sys, time

TAG = 0x4d46


def cookie(role, bid, epoch):
    return TAG << 48 | role << 44 | bid << 20 | epoch


def ctl(ctlbin, api, what):
    out = subprocess.run([ctlbin, "--api", api, "--json", what], capture_output=True, text=True,
                         timeout=5)
    if out.returncode != 0:
        raise RuntimeError("matflowctl %s: exit %d: %s" % (what, out.returncode, out.stderr.strip()))
    return json.loads(out.stdout)


def load(path):
    with open(path) as f:
        return json.load(f)


def find_binding(doc, mac):
    for b in doc.get("bindings", []):
        if b.get("mac", "").lower() == mac.lower():
            return b
    return None


def find_site(doc, name):
    for s in doc.get("sites", []):
        if s.get("name") == name:
            return s
    return None


def cmd_get(a):
    # get FILE KEY.KEY...
    v = load(a[0])
    for k in a[1].split("."):
        v = v[int(k)] if isinstance(v, list) else v.get(k)
    print(v if not isinstance(v, (dict, list)) else json.dumps(v))
    return 0


def cmd_binding(a):
    # binding FILE MAC KEY
    b = find_binding(load(a[0]), a[1])
    print("" if b is None else b.get(a[2]))
    return 0 if b else 1


def cmd_site(a):
    # site FILE NAME KEY
    s = find_site(load(a[0]), a[1])
    print("" if s is None else s.get(a[2]))
    return 0 if s else 1


def cmd_wait_binding(a):
    # wait-binding CTL API MAC STATES SITE MIN_EPOCH TIMEOUT: STATES a,b,...
    ctlbin, api, mac, states, site, min_epoch, timeout = a
    states = states.split(",")
    end = time.monotonic() + float(timeout)
    why, b = "?", None
    while True:
        try:
            b = find_binding(ctl(ctlbin, api, "bindings"), mac)
            if b is None:
                why = "no binding"
            elif b.get("state") not in states:
                why = "state %r" % b.get("state")
            elif b.get("site") != site:
                why = "site %r" % b.get("site")
            elif (b.get("epoch") or 0) < int(min_epoch):
                why = "epoch %r < %s" % (b.get("epoch"), min_epoch)
            else:
                why = None
        except Exception as e:
            why = str(e)
        if why is None or time.monotonic() > end:
            break
        time.sleep(0.03)
    print(json.dumps({"ok": why is None, "why": why, "binding": b}))
    return 0 if why is None else 1


def cmd_wait_sites(a):
    # wait-sites CTL API TIMEOUT NAME=STATE[,STATE]...: every named site in one of its states
    ctlbin, api, timeout = a[:3]
    want = {}
    for x in a[3:]:
        k, _, v = x.partition("=")
        want[k] = v.split(",")
    end = time.monotonic() + float(timeout)
    why, doc = "?", None
    while True:
        try:
            doc = ctl(ctlbin, api, "sites")
            bad = []
            for name, states in want.items():
                s = find_site(doc, name)
                if s is None or s.get("sync") not in states:
                    bad.append("%s %s" % (name, s and s.get("sync")))
            why = "; ".join(bad) or None
        except Exception as e:
            why = str(e)
        if why is None or time.monotonic() > end:
            break
        time.sleep(0.03)
    print(json.dumps({"ok": why is None, "why": why, "sites": doc and doc.get("sites")}))
    return 0 if why is None else 1


def cmd_update(a):
    # update EVENTS_FILE HOA EPOCH: the update that took HOA to EPOCH, summed up
    for u in reversed(load(a[0]).get("updates", [])):
        if u.get("hoa") == a[1] and str(u.get("epoch")) == a[2]:
            steps = [e["step"] + ("@" + e["dpid"][-1] if e.get("dpid") else "")
                     for e in u.get("events", [])]
            print(json.dumps({"id": u.get("id"), "to": u.get("to"), "complete": u.get("complete"),
                              "failed": u.get("failed"), "why": u.get("why"), "steps": steps}))
            return 0
    print("{}")
    return 1


def parse_flows(path):
    out = []
    for line in open(path):
        m = re.search(r"cookie=(0x[0-9a-f]+)", line)
        if m and " actions=" in line:
            out.append((int(m.group(1), 16), line.strip()))
    return out


def cmd_epoch_rules(a):
    # epoch-rules FLOWS ID EPOCH HOA MOA: the switch holds the binding's receiving
    # (role 2) and sending (role 3) rules of EPOCH, and none of another epoch
    path, bid, epoch, hoa, moa = a[0], int(a[1]), int(a[2]), a[3], a[4]
    flows = parse_flows(path)
    mine = [(c, l) for c, l in flows if c >> 48 == TAG and (c >> 44) & 0xF in (2, 3)
            and (c >> 20) & 0xFFFFFF == bid]
    r2 = [l for c, l in mine if c == cookie(2, bid, epoch)]
    r3 = [l for c, l in mine if c == cookie(3, bid, epoch)]
    other = [l for c, l in mine if c & 0xFFFFF != epoch]
    why = []
    if not any(moa in l for l in r2):
        why.append("no receiving rule (cookie 0x%x) naming the MoA %s" % (cookie(2, bid, epoch), moa))
    if not any(hoa in l and moa in l for l in r3):
        why.append("no sending rule (cookie 0x%x) rewriting %s <-> %s" % (cookie(3, bid, epoch), hoa, moa))
    if other:
        why.append("%d rule(s) of another epoch: %s" % (len(other), other[0]))
    print("; ".join(why) if why else "%d receiving + %d sending rules of epoch %d" % (len(r2), len(r3), epoch))
    return 1 if why else 0


def cmd_no_epoch(a):
    # no-epoch FLOWS ID EPOCH|any: no receiving or sending rule of the binding's EPOCH
    path, bid, epoch = a[0], int(a[1]), a[2]
    got = [l for c, l in parse_flows(path) if c >> 48 == TAG and (c >> 20) & 0xFFFFFF == bid
           and (epoch == "any" or c & 0xFFFFF == int(epoch)) and (c >> 44) & 0xF in (2, 3)]
    print("%d rule(s) of %s%s" % (len(got), "binding %d" % bid if epoch == "any" else "epoch " + epoch,
                                  (": " + got[0]) if got else ""))
    return 1 if got else 0


DYN = re.compile(r"\b(duration|n_packets|n_bytes|idle_age|hard_age)=[^,\s]*,?\s*")


def cmd_norm(a):
    # norm < dump-flows: the flows without their counters and ages, sorted
    lines = [DYN.sub("", l.strip()) for l in sys.stdin if " actions=" in l]
    print("\n".join(sorted(lines)))
    return 0


def cmd_same_bindings(a):
    x, y = (sorted(load(p).get("bindings", []), key=lambda b: b.get("id", 0)) for p in a[:2])
    if x == y:
        return 0
    for b in x:
        o = next((c for c in y if c.get("id") == b.get("id")), None)
        if o != b:
            print("before: %s\nafter:  %s" % (json.dumps(b, sort_keys=True), json.dumps(o, sort_keys=True)))
    return 1


def cmd_lost(a):
    # lost BEFORE AFTER: bindings (id, HoA, MAC) of BEFORE missing from AFTER
    x, y = (load(p).get("bindings", []) for p in a[:2])
    key = lambda b: (b.get("id"), b.get("hoa"), b.get("mac", "").lower())
    have = {key(b) for b in y}
    lost = [b for b in x if key(b) not in have]
    print(len(lost))
    for b in lost:
        print("lost: %s" % json.dumps(b, sort_keys=True))
    return 1 if lost or len(x) != len(y) else 0


sys.exit({"get": cmd_get, "binding": cmd_binding, "site": cmd_site,
          "wait-binding": cmd_wait_binding, "wait-sites": cmd_wait_sites, "update": cmd_update,
          "epoch-rules": cmd_epoch_rules, "no-epoch": cmd_no_epoch, "norm": cmd_norm,
          "same-bindings": cmd_same_bindings, "lost": cmd_lost}[sys.argv[1]](sys.argv[2:]))
PYEOF
fx() { "$PY" "$FX" "$@"; }
jget() { fx get "$@" 2>/dev/null; }
quiet() { "$@" > /dev/null 2>&1; }
ctl_json() { tb_matflowctl --json "$1" > "$2" 2>&1; }

# ---------------------------------------------------------------- configs
# A (items 1, 2): the defaults (barrier_timeout 10 s: item 1's held barrier
#    waits for the relay to be killed). B (item 3): a short echo timeout, so
#    that the cut outlasts it. C (items 4, 5): the barrier timeout and
#    retries of the issue; the default echo timeout (5 s x 3), far above
#    item 4's slowed channel, so only barriers time out.
CONF_A=$TB_RUN/faults-a.yaml CONF_B=$TB_RUN/faults-b.yaml CONF_C=$TB_RUN/faults-c.yaml
sed -n '/^sites:/,$p' "$TOPO_CONFIG" > "$TB_RUN/sites.yaml"
conf() {
    printf 'controller:\n  listen: [tcp:127.0.0.1:%s]\n  log_level: info\n' "$TB_OF_PORT"
    printf '%s\n' "$@"
    cat "$TB_RUN/sites.yaml"
}
conf > "$CONF_A"
conf "  echo_interval: 1" "  echo_misses: 2" > "$CONF_B"
conf "  barrier_timeout: 0.5" "mobility:" "  retries: 2" "  retry_backoff: 0.1" > "$CONF_C"
for c in "$CONF_A" "$CONF_B" "$CONF_C"; do
    if ! "$MATFLOWD" --check-config "$c" > "$TB_RUN/check-config.txt" 2>&1; then
        not_ok "matflowd --check-config ${c##*/}"; diag < "$TB_RUN/check-config.txt"; cat "$c" | diag; exit 1
    fi
done

# ---------------------------------------------------------------- helpers
# relay_start: a new ofrelay (relay1, relay2, ...; RELAY names it) between
# site3's switch and matflowd, delay 0 (see relay_delay), every message but
# echoes traced in $TB_RUN/$RELAY.trace.
RELAY_N=0
relay_start() {
    RELAY_N=$((RELAY_N + 1)); RELAY=relay$RELAY_N
    echo 0 > "$TB_RUN/relay-delay"
    tb_bg "$RELAY" "$OFRELAY" relay --listen "127.0.0.1:$RELAY_PORT" \
        --upstream "127.0.0.1:$TB_OF_PORT" --delay-ms 0 --delay-file "$TB_RUN/relay-delay" \
        --trace "$TB_RUN/$RELAY.trace"
    tb_wait 5 grep -q "^listening on" "$TB_RUN/$RELAY.log"
}
# relay_delay MS: every message of site3's channel from now on leaves MS later.
relay_delay() {
    _rd_n=$(grep -c '^delay ' "$TB_RUN/$RELAY.log")
    echo "$1" > "$TB_RUN/relay-delay"
    kill -HUP "$(tb_pid "$RELAY")" && tb_wait 3 tb__log_has "$TB_RUN/$RELAY.log" "delay " $((_rd_n + 1))
}
relay_has_s3() { grep -q "is dpid 0000000000000003" "$TB_RUN/$RELAY.log"; }

LOG=$TB_RUN/matflowd.log
log_mark() { LOG_MARK=$(wc -l < "$LOG"); }
log_since() { tail -n +$((LOG_MARK + 1)) "$LOG"; }
log_has() { log_since | grep -qF -- "$1"; }

# wait_binding WHAT NODE STATES SITE MIN_EPOCH [TIMEOUT]: one TAP line; sets
# B_EPOCH, B_MOA, B_STATE.
wait_binding() {
    _wb_f=$TB_RUN/binding-$2-$(date +%s%N).json
    fx wait-binding "$MATFLOWCTL" "$TB_API" "$(topo_node_mac "$2")" "$3" "$4" "$5" "${6:-5}" > "$_wb_f"
    _wb_rc=$?
    B_EPOCH=$(jget "$_wb_f" binding.epoch) B_MOA=$(jget "$_wb_f" binding.moa)
    B_STATE=$(jget "$_wb_f" binding.state)
    if [ $_wb_rc -eq 0 ]; then
        ok "$1: matflowctl bindings: $2 $B_STATE at $4 (moa $B_MOA, epoch $B_EPOCH)"
    else
        not_ok "$1: matflowctl bindings: $2 ${3//,/ or } at $4 ($(jget "$_wb_f" why))"; diag < "$_wb_f"
    fi
    return $_wb_rc
}
# wait_sites TIMEOUT NAME=STATE...: 0 when every site is in its state
wait_sites() { _ws_t=$1; shift; fx wait-sites "$MATFLOWCTL" "$TB_API" "$_ws_t" "$@" > "$TB_RUN/wait-sites.json"; }
ALL_IN_SYNC="site1=in_sync site2=in_sync site3=in_sync"
sites_diag() { tb_matflowctl sites 2>&1 | diag; }

flows_of() { topo_dump_flows "$1" > "$2" 2>&1; }

ping_check() {  # WHAT FROM DST
    if topo_in "$2" ping -c 2 -i 0.2 -W 1 "$3" > "$TB_RUN/ping.txt" 2>&1; then
        ok "$1: $2 pings $3 ($(sed -n 's/.*time=\([0-9.]* ms\).*/\1/p' "$TB_RUN/ping.txt" | tail -n 1))"
    else
        not_ok "$1: $2 pings $3"; diag < "$TB_RUN/ping.txt"
    fi
}
# tcp_check WHAT NAME SERVER PORT CLIENT: a fresh verified TCP stream moves
# 40 kB each way and ends without reset.
tcp_check() {
    topo_tcp_start "$2" "$3" "$4" "$5"
    if topo_tcp_wait "$2" 40000 5 && topo_tcp_stop "$2"; then
        ok "$1: TCP $5 <-> $3 ($(topo_tcp_get "$2" client received) B / $(topo_tcp_get "$2" server received) B verified, no reset)"
    else
        topo_tcp_stop "$2"
        not_ok "$1: TCP $5 <-> $3"; cat "$TB_RUN/$2-client.json" "$TB_RUN/$2-server.json" 2>/dev/null | diag
    fi
}
counter() { jget "$1" "mobility.$2"; }
# progress_mark NAME / progress__has NAME MIN: both ends of TCP stream NAME
# received MIN more bytes than at the mark.
progress_mark() {
    eval "MARK_$1_c=\$(topo_tcp_get $1 client received) MARK_$1_s=\$(topo_tcp_get $1 server received)"
}
# shellcheck disable=SC2154  # _pc, _ps: set by eval
progress__has() {
    eval "_pc=\$MARK_$1_c _ps=\$MARK_$1_s"
    _c=$(topo_tcp_get "$1" client received) _s=$(topo_tcp_get "$1" server received)
    [ -n "$_c" ] && [ -n "$_s" ] && [ -n "$_pc" ] && [ -n "$_ps" ] &&
        [ "$_c" -ge $((_pc + $2)) ] && [ "$_s" -ge $((_ps + $2)) ]
}
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# restart_with CONFIG WHAT: matflowd stopped (SIGTERM) and started again on
# the same database with CONFIG; the bindings must not change.
restart_with() {
    ctl_json bindings "$TB_RUN/bindings-restart-a.json"
    topo_matflowd_stop TERM; _rw_rc=$?
    if [ $_rw_rc -eq 0 ]; then ok "matflowd exits 0 on SIGTERM"; else not_ok "matflowd exits 0 on SIGTERM (got $_rw_rc)"; fi
    TOPO_CONFIG=$1
    topo_matflowd_start
    if topo_wait_ready 15 && wait_sites 10 $ALL_IN_SYNC; then
        ok "matflowd restarted with $2: every site in_sync"
    else
        not_ok "matflowd restarted with $2: every site in_sync"; sites_diag
    fi
    ctl_json bindings "$TB_RUN/bindings-restart-b.json"
    if fx same-bindings "$TB_RUN/bindings-restart-a.json" "$TB_RUN/bindings-restart-b.json" > "$TB_RUN/same-r.txt"; then
        ok "matflowd restart: matflowctl bindings --json unchanged"
    else
        not_ok "matflowd restart: matflowctl bindings --json unchanged"; diag < "$TB_RUN/same-r.txt"
    fi
}
# site_path WHAT: site3's way back, from the log since the mark: down ->
# reconciling -> in_sync, and the reconciliation's figures.
site_path() {
    log_since | grep -nE "site site3: |switch 0000000000000003 \(site3\): .* flows kept" > "$TB_RUN/path.txt"
    if awk -F: '/site site3: down: disconnected/ { d = $1 } /site site3: reconciling/ && d && !r { r = $1 }
                /site site3: in_sync/ && r && !s { s = $1 } END { exit !(d && r && s && d < r && r < s) }' "$TB_RUN/path.txt"; then
        ok "$1: the log shows site3 down -> reconciling -> in_sync ($(grep -o '[0-9]* flows kept, [0-9]* removed, [0-9]* added' "$TB_RUN/path.txt" | tail -n 1))"
    else
        not_ok "$1: the log shows site3 down -> reconciling -> in_sync"; diag < "$TB_RUN/path.txt"
    fi
}

missed() { jget "$1" sites.2.updates_missed; }

# ================================================================ setup
TOPO_CONFIG=$CONF_A
topo_up
relay_start
# site3's switch goes through the relay (OVS keeps its flows: the bridge had
# a controller already, fail-mode=secure).
tb_vsctl set-controller "${P}s3" "tcp:127.0.0.1:$RELAY_PORT" \
    -- set controller "${P}s3" connection-mode=out-of-band max_backoff=1000 ||
    tb_die "set-controller ${P}s3"
if topo_wait_ready 15 && tb_wait 5 relay_has_s3 && wait_sites 10 $ALL_IN_SYNC; then
    ok "testbed up: dpids 1, 2, 3 ready and in_sync, site3 through ofrelay ($(elapsed) s)"
else
    not_ok "testbed up: dpids 1, 2, 3 ready and in_sync, site3 through ofrelay"
    tb_matflowctl switches 2>&1 | diag; sites_diag; exit 1
fi
for x in mn:10.1.0.1 mn2:10.2.0.1 cn:10.3.0.1 lcn:10.4.0.1; do
    topo_in "${x%%:*}" ping -c 1 -W 1 "${x#*:}" > /dev/null 2>&1 || not_ok "${x%%:*} pings its gateway ${x#*:}"
done
if tb_wait 5 topo_gateways_known; then ok "gateway MACs learned"; else not_ok "gateway MACs learned"; sites_diag; fi
wait_binding "learning" mn home site1 0
wait_binding "learning" mn2 home site2 0
ctl_json bindings "$TB_RUN/bindings-start.json"
MN_ID=$(fx binding "$TB_RUN/bindings-start.json" "$TOPO_MN_MAC" id)
MN2_ID=$(fx binding "$TB_RUN/bindings-start.json" "$TOPO_MN2_MAC" id)
MN_EPOCH=$(fx binding "$TB_RUN/bindings-start.json" "$TOPO_MN_MAC" epoch)

# ================================================================ 1
# Disconnect mid-update.
ctl_json sites "$TB_RUN/sites-1a.json"
MISSED0=$(missed "$TB_RUN/sites-1a.json")
TRACE=$TB_RUN/$RELAY.trace
TRACE_N=$(wc -l < "$TRACE")     # an idle channel: echoes only, which are not traced
relay_delay $HOLD_MS
log_mark
topo_migrate -b mn site2
held_barrier() {
    tail -n +$((TRACE_N + 1)) "$TRACE" | awk '$2 == "d" && $3 == "0000000000000003" && $4 == 20 { f = 1 } END { exit !f }'
}
in_flight() {
    ctl_json events "$TB_RUN/events-1a.json" && ctl_json bindings "$TB_RUN/bindings-1a.json" || return 1
    fx update "$TB_RUN/events-1a.json" 10.1.0.10 $((MN_EPOCH + 1)) > "$TB_RUN/update-1a.json" || return 1
    [ "$(fx binding "$TB_RUN/bindings-1a.json" "$TOPO_MN_MAC" state)" = updating ] &&
        grep -q '"receiving_barrier@1"' "$TB_RUN/update-1a.json" &&
        grep -q '"receiving_barrier@2"' "$TB_RUN/update-1a.json"
}
if tb_wait 3 held_barrier && tb_wait 2 in_flight && ! grep -q '"receiving_barrier@3"' "$TB_RUN/update-1a.json" &&
    [ "$(jget "$TB_RUN/update-1a.json" complete)" = False ]; then
    ok "1 disconnect: update in flight: site1's and site2's receiving barriers in, site3's barrier held in the relay, binding 'updating'"
else
    not_ok "1 disconnect: update in flight with site3's barrier outstanding"
    { cat "$TB_RUN/update-1a.json"; tail -n 5 "$TRACE"; } 2>&1 | diag
fi
{ tb_stop "$RELAY" KILL 3; } 2>/dev/null   # the cut: by its PID (no "Killed" notice)
T_KILL=$(date +%s.%N)
wait_binding "1 disconnect: the update completes for the others" mn away,degraded site2 $((MN_EPOCH + 1))
MN_EPOCH=$B_EPOCH MN_MOA=$B_MOA
ctl_json events "$TB_RUN/events-1b.json"
if fx update "$TB_RUN/events-1b.json" 10.1.0.10 "$MN_EPOCH" > "$TB_RUN/update-1b.json" &&
    [ "$(jget "$TB_RUN/update-1b.json" complete)" = True ]; then
    ok "1 disconnect: matflowctl events: update $(jget "$TB_RUN/update-1b.json" id) complete ($(jget "$TB_RUN/update-1b.json" steps | tr -d '"[] '))"
else
    not_ok "1 disconnect: matflowctl events: the update complete"; diag < "$TB_RUN/update-1b.json"
fi
ctl_json sites "$TB_RUN/sites-1b.json"
tb_matflowctl sites > "$TB_RUN/sites-1b.txt" 2>&1
S3_SYNC=$(fx site "$TB_RUN/sites-1b.json" site3 sync) S3_WHY=$(fx site "$TB_RUN/sites-1b.json" site3 sync_why)
S3_MISSED=$(missed "$TB_RUN/sites-1b.json")
if [ "$S3_SYNC" = down ] && [ "$S3_WHY" = disconnected ] && [ "$S3_MISSED" -ge $((MISSED0 + 1)) ] &&
    grep -A1 '^site3 ' "$TB_RUN/sites-1b.txt" | grep -qE "down since .*: disconnected; [0-9]+ update\(s\) missed"; then
    ok "1 disconnect: matflowctl sites: site3 down, why 'disconnected', $S3_MISSED update(s) missed ($(grep -A1 '^site3 ' "$TB_RUN/sites-1b.txt" | tail -n 1 | sed 's/^ *//'))"
else
    not_ok "1 disconnect: matflowctl sites: site3 down, 'disconnected', updates missed >= $((MISSED0 + 1)) (got $S3_SYNC, '$S3_WHY', $S3_MISSED)"
    diag < "$TB_RUN/sites-1b.txt"
fi
flows_of site3 "$TB_RUN/flows-1-down-s3.txt"
check "1 disconnect: while down, site3 holds no rule of epoch $MN_EPOCH (the held flow-mods went with the relay): $(fx no-epoch "$TB_RUN/flows-1-down-s3.txt" "$MN_ID" "$MN_EPOCH")" \
    quiet fx no-epoch "$TB_RUN/flows-1-down-s3.txt" "$MN_ID" "$MN_EPOCH"
for i in 1 2; do
    flows_of "site$i" "$TB_RUN/flows-1-s$i.txt"
    r=$(fx epoch-rules "$TB_RUN/flows-1-s$i.txt" "$MN_ID" "$MN_EPOCH" 10.1.0.10 "$MN_MOA")
    check "1 disconnect: site$i has the new epoch: $r" quiet fx epoch-rules "$TB_RUN/flows-1-s$i.txt" "$MN_ID" "$MN_EPOCH" 10.1.0.10 "$MN_MOA"
done
relay_start
if tb_wait 10 relay_has_s3 && wait_sites 10 site3=in_sync; then
    ok "1 reconnect: OVS reconnects through a new relay; site3 in_sync $(awk -v a="$T_KILL" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s after the cut"
else
    not_ok "1 reconnect: site3 in_sync again"; sites_diag
fi
site_path "1 reconnect"
flows_of site3 "$TB_RUN/flows-1-up-s3.txt"
r=$(fx epoch-rules "$TB_RUN/flows-1-up-s3.txt" "$MN_ID" "$MN_EPOCH" 10.1.0.10 "$MN_MOA")
check "1 reconnect: site3 brought up to date: $r (cookie tag 0x4d46, binding $MN_ID)" \
    quiet fx epoch-rules "$TB_RUN/flows-1-up-s3.txt" "$MN_ID" "$MN_EPOCH" 10.1.0.10 "$MN_MOA"
ping_check "1 reconnect: through site3" cn 10.1.0.10
ping_check "1 reconnect: through site3" mn 10.3.0.20
tcp_check "1 reconnect: through site3" tcp1 mn 5001 cn

# ================================================================ 2
# ovs-vswitchd restarted.
ctl_json bindings "$TB_RUN/bindings-2a.json"
for i in 1 2 3; do topo_dump_flows "site$i" | fx norm > "$TB_RUN/flows-2a-s$i.norm"; done
log_mark
VS_PID=$(tb_ovs_daemon_pid ovs-vswitchd)
tb_vswitchd_kill TERM
if ! tb__running "$VS_PID" && wait_sites 10 site1=down site2=down site3=down; then
    ok "2 ovs-vswitchd (pid $VS_PID) stopped: matflowctl sites shows site1, site2, site3 down"
else
    not_ok "2 ovs-vswitchd (pid $VS_PID) stopped: every site down"; sites_diag
fi
T_VS=$(date +%s.%N)
tb_vswitchd_start
if wait_sites 20 $ALL_IN_SYNC; then
    ok "2 ovs-vswitchd started again (pid $(tb_ovs_daemon_pid ovs-vswitchd)): every site in_sync $(since "$T_VS") s after its start"
else
    not_ok "2 ovs-vswitchd started again: every site in_sync"; sites_diag
fi
ctl_json bindings "$TB_RUN/bindings-2b.json"
if fx same-bindings "$TB_RUN/bindings-2a.json" "$TB_RUN/bindings-2b.json" > "$TB_RUN/same-2.txt"; then
    ok "2 ovs-vswitchd restart: matflowctl bindings --json unchanged"
else
    not_ok "2 ovs-vswitchd restart: matflowctl bindings --json unchanged"; diag < "$TB_RUN/same-2.txt"
fi
flows_back() {
    for i in 1 2 3; do
        topo_dump_flows "site$i" | fx norm > "$TB_RUN/flows-2b-s$i.norm"
        cmp -s "$TB_RUN/flows-2a-s$i.norm" "$TB_RUN/flows-2b-s$i.norm" || return 1
    done
}
if tb_wait 3 flows_back; then
    ok "2 ovs-vswitchd restart: every switch holds the same flows as before ($(wc -l < "$TB_RUN/flows-2b-s1.norm")/$(wc -l < "$TB_RUN/flows-2b-s2.norm")/$(wc -l < "$TB_RUN/flows-2b-s3.norm"))"
else
    not_ok "2 ovs-vswitchd restart: every switch holds the same flows as before"
    for i in 1 2 3; do diff "$TB_RUN/flows-2a-s$i.norm" "$TB_RUN/flows-2b-s$i.norm" | head -n 6 | sed "s/^/s$i /" | diag; done
fi
# Does OVS keep flows over a restart? The reconciliation says what it found.
log_since | grep -E "switch 000000000000000[123] \(site[123]\): [0-9]+ flows kept" > "$TB_RUN/log-2.txt"
sed 's/.*switch \([0-9a-f]*\) (\(site[0-9]\)): /\2: /' "$TB_RUN/log-2.txt" | sed 's/^/reconciled after the restart: /' | diag
if grep -q "switch 0000000000000001 (site1)" "$TB_RUN/log-2.txt" && grep -q "switch 0000000000000002 (site2)" "$TB_RUN/log-2.txt" &&
    grep -q "switch 0000000000000003 (site3)" "$TB_RUN/log-2.txt"; then
    ok "2 ovs-vswitchd restart: each switch reconciled ($(grep -c ': 0 flows kept' "$TB_RUN/log-2.txt") of 3 came back without any flow)"
else
    not_ok "2 ovs-vswitchd restart: each switch reconciled (reconciliation lines in the log)"; log_since | tail -n 20 | diag
fi
ping_check "2 after the OVS restart" cn 10.1.0.10
ping_check "2 after the OVS restart" lcn 10.1.0.10
ping_check "2 after the OVS restart" cn 10.2.0.10


# ================================================================ 3
# The channel cut for CUT_S seconds, longer than the echo timeout.
restart_with "$CONF_B" "config B (echo_interval 1 s, echo_misses 2)"
topo_tcp_start cut mn 5003 cn
if topo_tcp_wait cut 40000 5; then
    ok "3 cut: TCP CN <-> MN (away at site2) running before the cut"
else
    not_ok "3 cut: TCP CN <-> MN running before the cut"; cat "$TB_RUN/cut-client.json" "$TB_RUN/cut-server.json" 2>/dev/null | diag
fi
flows_of site3 "$TB_RUN/flows-3a-s3.txt"
ctl_json sites "$TB_RUN/sites-3a.json"
MISSED0=$(missed "$TB_RUN/sites-3a.json")
log_mark
progress_mark cut
T_CUT=$(date +%s.%N)
kill -STOP "$(tb_pid "$RELAY")"        # nothing passes either way, no FIN, no RST
echo_drop() { log_has "switch 0000000000000003" && log_since | grep -qE "switch 0000000000000003 .*no answer to [0-9]+ echo requests, closing"; }
if tb_wait "$CUT_S" echo_drop; then
    ok "3 cut: matflowd drops site3's switch by echo timeout $(since "$T_CUT") s into the cut ($(log_since | grep -oE 'no answer to [0-9]+ echo requests' | head -n 1))"
else
    not_ok "3 cut: matflowd drops site3's switch by echo timeout within the $CUT_S s cut"; log_since | tail -n 10 | diag
fi
if wait_sites 3 site3=down && [ "$(jget "$TB_RUN/wait-sites.json" sites.2.sync_why)" = disconnected ]; then
    ok "3 cut: matflowctl sites: site3 down, 'disconnected'"
else
    not_ok "3 cut: matflowctl sites: site3 down, 'disconnected'"; sites_diag
fi
flows_of site3 "$TB_RUN/flows-3b-s3.txt"
N3A=$(grep -c ' actions=' "$TB_RUN/flows-3a-s3.txt") N3B=$(grep -c ' actions=' "$TB_RUN/flows-3b-s3.txt")
check "3 cut: site3 keeps its $N3B flows while cut off (fail-mode=secure; $N3A before)" test "$N3A" -gt 0 -a "$N3A" = "$N3B"
# A move during the cut.
topo_migrate -b mn2 site1 11
wait_binding "3 cut: MN2 moves site2 -> site1 during the cut; the update completes for the others" mn2 away site1 1
MN2_EPOCH=$B_EPOCH MN2_MOA=$B_MOA
ctl_json events "$TB_RUN/events-3.json"
if fx update "$TB_RUN/events-3.json" 10.2.0.10 "$MN2_EPOCH" > "$TB_RUN/update-3.json" &&
    [ "$(jget "$TB_RUN/update-3.json" complete)" = True ]; then
    ok "3 cut: matflowctl events: update $(jget "$TB_RUN/update-3.json" id) complete ($(jget "$TB_RUN/update-3.json" steps | tr -d '"[] '))"
else
    not_ok "3 cut: matflowctl events: the update complete"; diag < "$TB_RUN/update-3.json"
fi
for i in 1 2; do
    flows_of "site$i" "$TB_RUN/flows-3-s$i.txt"
    r=$(fx epoch-rules "$TB_RUN/flows-3-s$i.txt" "$MN2_ID" "$MN2_EPOCH" 10.2.0.10 "$MN2_MOA")
    check "3 cut: site$i has MN2's new epoch: $r" quiet fx epoch-rules "$TB_RUN/flows-3-s$i.txt" "$MN2_ID" "$MN2_EPOCH" 10.2.0.10 "$MN2_MOA"
done
ctl_json sites "$TB_RUN/sites-3b.json"
tb_matflowctl sites > "$TB_RUN/sites-3b.txt" 2>&1
S3_MISSED=$(missed "$TB_RUN/sites-3b.json")
if [ "$(fx site "$TB_RUN/sites-3b.json" site3 sync)" = down ] && [ "$S3_MISSED" -gt "$MISSED0" ]; then
    ok "3 cut: site3 down, updates missed $MISSED0 -> $S3_MISSED ($(grep -A1 '^site3 ' "$TB_RUN/sites-3b.txt" | tail -n 1 | sed 's/^ *//'))"
else
    not_ok "3 cut: site3 down, updates missed grows (got $MISSED0 -> $S3_MISSED)"; diag < "$TB_RUN/sites-3b.txt"
fi
# The unmoved MN keeps talking to the CN through site3's kept flows.
# shellcheck disable=SC2154  # MARK_cut_*: set by progress_mark
if tb_wait 3 progress__has cut 40000; then
    ok "3 cut: TCP CN <-> MN carries on during the cut (+$(( $(topo_tcp_get cut client received) - MARK_cut_c )) B / +$(( $(topo_tcp_get cut server received) - MARK_cut_s )) B since it began)"
else
    not_ok "3 cut: TCP CN <-> MN carries on during the cut"; cat "$TB_RUN/cut-client.json" "$TB_RUN/cut-server.json" 2>/dev/null | diag
fi
ping_check "3 cut: during the cut, through site3" cn 10.1.0.10
T_IN=$(since "$T_CUT")
if awk -v t="$T_IN" -v c="$CUT_S" 'BEGIN { exit !(t < c) }'; then
    ok "3 cut: the checks above ran during the cut ($T_IN s of $CUT_S s)"
else
    not_ok "3 cut: the checks above ran during the cut ($T_IN s, the cut is $CUT_S s: raise FAULT_CUT_S)"
fi
# Still working as the cut ends (a soak's cut outlasts OVS's own inactivity
# probe: it gives up the dead connection and keeps trying to reconnect).
progress_mark cut
sleep "$(awk -v t="$(since "$T_CUT")" -v c="$CUT_S" 'BEGIN { w = c - 1.5 - t; print (w > 0 ? w : 0) }')"
if tb_wait 1 progress__has cut 40000 && topo_in cn ping -c 2 -i 0.2 -W 1 10.1.0.10 > "$TB_RUN/ping.txt" 2>&1 &&
    awk -v t="$(since "$T_CUT")" -v c="$CUT_S" 'BEGIN { exit !(t < c) }'; then
    ok "3 cut: $(since "$T_CUT") s into the cut, TCP CN <-> MN still carries on and the CN pings the MN"
else
    not_ok "3 cut: near the end of the cut, TCP CN <-> MN carries on and the CN pings the MN ($(since "$T_CUT") s into it)"
    { cat "$TB_RUN/ping.txt" "$TB_RUN/cut-client.json"; } 2>/dev/null | diag
fi
sleep "$(awk -v t="$(since "$T_CUT")" -v c="$CUT_S" 'BEGIN { w = c - t; print (w > 0 ? w : 0) }')"
kill -CONT "$(tb_pid "$RELAY")"
T_END=$(date +%s.%N)
echo "# the cut lasted $(awk -v a="$T_CUT" -v b="$T_END" 'BEGIN { printf "%.1f", b - a }') s"
if wait_sites 20 site3=in_sync; then
    ok "3 after the cut: site3 in_sync $(since "$T_END") s after the channel is back"
else
    not_ok "3 after the cut: site3 in_sync"; sites_diag
fi
site_path "3 after the cut"
flows_of site3 "$TB_RUN/flows-3c-s3.txt"
r=$(fx epoch-rules "$TB_RUN/flows-3c-s3.txt" "$MN2_ID" "$MN2_EPOCH" 10.2.0.10 "$MN2_MOA")
check "3 after the cut: site3 brought up to date with MN2's move: $r" \
    quiet fx epoch-rules "$TB_RUN/flows-3c-s3.txt" "$MN2_ID" "$MN2_EPOCH" 10.2.0.10 "$MN2_MOA"
r=$(fx epoch-rules "$TB_RUN/flows-3c-s3.txt" "$MN_ID" "$MN_EPOCH" 10.1.0.10 "$MN_MOA")
check "3 after the cut: site3 still has the MN's: $r" \
    quiet fx epoch-rules "$TB_RUN/flows-3c-s3.txt" "$MN_ID" "$MN_EPOCH" 10.1.0.10 "$MN_MOA"
ping_check "3 after the cut" cn 10.2.0.10
ping_check "3 after the cut" mn2 10.3.0.20
progress_mark cut
if tb_wait 5 progress__has cut 40000 && topo_tcp_stop cut; then
    ok "3 after the cut: the TCP stream CN <-> MN ends cleanly ($(topo_tcp_get cut client received) B / $(topo_tcp_get cut server received) B verified, no reset, longest stall $(topo_tcp_get cut client max_stall_ms)/$(topo_tcp_get cut server max_stall_ms) ms)"
else
    topo_tcp_stop cut
    not_ok "3 after the cut: the TCP stream CN <-> MN ends cleanly"; cat "$TB_RUN/cut-client.json" "$TB_RUN/cut-server.json" 2>/dev/null | diag
fi

# ================================================================ 4
# Barrier replies that never come within barrier_timeout.
restart_with "$CONF_C" "config C (barrier_timeout 0.5 s, mobility retries 2, retry_backoff 0.1 s)"
ctl_json stats "$TB_RUN/stats-4a.json"
R0=$(counter "$TB_RUN/stats-4a.json" retries) D0=$(counter "$TB_RUN/stats-4a.json" updates_degraded)
log_mark
relay_delay $SLOW_MS
topo_migrate -b mn site1
wait_binding "4 barrier: the MN returns home; with site3's barriers late the binding ends degraded" mn degraded site1 $((MN_EPOCH + 1)) 10
MN_EPOCH=$B_EPOCH
ctl_json stats "$TB_RUN/stats-4b.json"
ctl_json sites "$TB_RUN/sites-4b.json"
tb_matflowctl sites > "$TB_RUN/sites-4b.txt" 2>&1
tb_matflowctl bindings > "$TB_RUN/bindings-4b.txt" 2>&1
R1=$(counter "$TB_RUN/stats-4b.json" retries) D1=$(counter "$TB_RUN/stats-4b.json" updates_degraded)
check "4 barrier: counter retries $R0 -> $R1 (2 retries configured)" [ "$R1" -eq $((R0 + 2)) ]
check "4 barrier: counter updates_degraded $D0 -> $D1" [ "$D1" -eq $((D0 + 1)) ]
if grep -E '^10\.1\.0\.10 ' "$TB_RUN/bindings-4b.txt" | grep -qw degraded; then
    ok "4 barrier: matflowctl bindings (text): $(grep -E '^10\.1\.0\.10 ' "$TB_RUN/bindings-4b.txt" | tr -s ' ')"
else
    not_ok "4 barrier: matflowctl bindings (text) shows the MN degraded"; diag < "$TB_RUN/bindings-4b.txt"
fi
log_since > "$TB_RUN/log-4.txt"
N_AGAIN=$(grep -cE "switch 0000000000000003 did not confirm the rules; sending again in 0\.[0-9]+ s \(retry [12] of 2\)" "$TB_RUN/log-4.txt")
if [ "$N_AGAIN" -eq 2 ] && grep -q "sending again in 0.10 s (retry 1 of 2)" "$TB_RUN/log-4.txt" &&
    grep -q "sending again in 0.20 s (retry 2 of 2)" "$TB_RUN/log-4.txt"; then
    ok "4 barrier: the log has 2 'sending again' lines, backoff 0.1 s then 0.2 s"
else
    not_ok "4 barrier: the log has 'sending again' for retry 1 of 2 (0.10 s) and 2 of 2 (0.20 s) ($N_AGAIN found)"
    grep -E "sending again|barrier" "$TB_RUN/log-4.txt" | diag
fi
if grep -qE "binding 10\.1\.0\.10 is degraded: .*1 switch\(es\) did not confirm" "$TB_RUN/log-4.txt"; then
    ok "4 barrier: the log says why: $(grep -oE 'binding 10\.1\.0\.10 is degraded: .*' "$TB_RUN/log-4.txt" | head -n 1)"
else
    not_ok "4 barrier: the log has 'binding 10.1.0.10 is degraded: ... did not confirm'"; grep -i degraded "$TB_RUN/log-4.txt" | diag
fi
S3_SYNC=$(fx site "$TB_RUN/sites-4b.json" site3 sync) S3_WHY=$(fx site "$TB_RUN/sites-4b.json" site3 sync_why)
if grep -qE "site site3: its switch lags: no barrier reply \(update [0-9]+\)" "$TB_RUN/log-4.txt" &&
    { { [ "$S3_SYNC" = lagging ] && echo "$S3_WHY" | grep -q "no barrier reply"; } ||
      { [ "$S3_SYNC" = down ] && grep -qE "switch 0000000000000003 .*no barrier reply in 0\.5 s \(3 in a row\), closing" "$TB_RUN/log-4.txt"; } ||
      [ "$S3_SYNC" = reconciling ]; }; then
    ok "4 barrier: site3 lagging 'no barrier reply (update N)' in the log; matflowctl sites now: $S3_SYNC${S3_WHY:+ ($S3_WHY)}"
else
    not_ok "4 barrier: site3 lagging with 'no barrier reply', or down after 3 missed barriers (now $S3_SYNC, '$S3_WHY')"
    grep -E "site3|0000000000000003" "$TB_RUN/log-4.txt" | diag
fi
grep -A1 '^site3 ' "$TB_RUN/sites-4b.txt" | diag
grep -E "no barrier reply in|site site3" "$TB_RUN/log-4.txt" | sed 's/^[^ ]* //' | diag
ctl_json events "$TB_RUN/events-4.json"
if fx update "$TB_RUN/events-4.json" 10.1.0.10 "$MN_EPOCH" > "$TB_RUN/update-4.json" &&
    [ "$(jget "$TB_RUN/update-4.json" complete)" = True ] && grep -q '"retry@3"' "$TB_RUN/update-4.json"; then
    ok "4 barrier: matflowctl events: the update complete, with its retries to site3 ($(jget "$TB_RUN/update-4.json" steps | tr -d '"[] '))"
else
    not_ok "4 barrier: matflowctl events: the update complete with retries to site3"; diag < "$TB_RUN/update-4.json"
fi
# Released: the channel as fast as before.
log_mark
relay_delay 0
T_REL=$(date +%s.%N)
if wait_sites 20 site3=in_sync; then
    ok "4 released: site3 in_sync $(since "$T_REL") s after the delay was lifted"
else
    not_ok "4 released: site3 in_sync again within 20 s of the delay lifted"
    sites_diag; log_since | grep -E "site3|0000000000000003" | tail -n 10 | diag
fi
flows_of site3 "$TB_RUN/flows-4-s3.txt"
check "4 released: site3 holds no rule of the MN, which is home: $(fx no-epoch "$TB_RUN/flows-4-s3.txt" "$MN_ID" any)" \
    quiet fx no-epoch "$TB_RUN/flows-4-s3.txt" "$MN_ID" any
ping_check "4 released" cn 10.1.0.10

# ================================================================ 5
# OFPT_ERROR from the switch itself: site3's table 1 full.
T1=$(tb_ofctl dump-flows "unix:$TB_OVS/${P}s3.mgmt" table=1 | grep -c ' actions=')
tb_vsctl -- --id=@ft create Flow_Table name=faults flow_limit="$T1" overflow_policy=refuse \
    -- set Bridge "${P}s3" flow_tables:1=@ft > /dev/null || not_ok "5 refuse: a Flow_Table limit on ${P}s3 table 1"
ctl_json stats "$TB_RUN/stats-5a.json"
R0=$(counter "$TB_RUN/stats-5a.json" retries) D0=$(counter "$TB_RUN/stats-5a.json" updates_degraded)
E0=$(counter "$TB_RUN/stats-5a.json" switch_errors)
log_mark
topo_migrate -b mn site2
wait_binding "5 refuse: the MN moves site1 -> site2 while site3's table 1 is full (flow_limit $T1, refuse): degraded" mn degraded site2 $((MN_EPOCH + 1)) 10
MN_EPOCH=$B_EPOCH MN_MOA=$B_MOA
ctl_json stats "$TB_RUN/stats-5b.json"
R1=$(counter "$TB_RUN/stats-5b.json" retries) D1=$(counter "$TB_RUN/stats-5b.json" updates_degraded)
E1=$(counter "$TB_RUN/stats-5b.json" switch_errors)
check "5 refuse: counter retries $R0 -> $R1 (2 retries configured)" [ "$R1" -eq $((R0 + 2)) ]
check "5 refuse: counter updates_degraded $D0 -> $D1" [ "$D1" -eq $((D0 + 1)) ]
check "5 refuse: counter switch_errors $E0 -> $E1" [ "$E1" -gt "$E0" ]
log_since > "$TB_RUN/log-5.txt"
N_AGAIN=$(grep -cE "switch 0000000000000003 refused rules; sending again in 0\.[0-9]+ s \(retry [12] of 2\)" "$TB_RUN/log-5.txt")
ERRLINE=$(grep -oE "switch 0000000000000003 refused [0-9]+ of [0-9]+ rules of update [0-9]+ \(first: type [0-9]+ code [0-9]+\)" "$TB_RUN/log-5.txt" | head -n 1)
if [ "$N_AGAIN" -eq 2 ] && [ -n "$ERRLINE" ] &&
    grep -qE "binding 10\.1\.0\.10 is degraded: [1-9][0-9]* rule\(s\) refused" "$TB_RUN/log-5.txt"; then
    ok "5 refuse: the log has 2 'refused rules; sending again', '$ERRLINE', 'binding 10.1.0.10 is degraded: ... refused'"
else
    not_ok "5 refuse: the log has 'refused rules; sending again' x2, the error and 'degraded' ($N_AGAIN retries)"
    grep -E "refused|degraded|sending again" "$TB_RUN/log-5.txt" | diag
fi
ctl_json sites "$TB_RUN/sites-5b.json"
S3_SYNC=$(fx site "$TB_RUN/sites-5b.json" site3 sync) S3_WHY=$(fx site "$TB_RUN/sites-5b.json" site3 sync_why)
if [ "$S3_SYNC" = lagging ] && echo "$S3_WHY" | grep -qE "refused"; then
    ok "5 refuse: matflowctl sites: site3 lagging ($S3_WHY)"
else
    not_ok "5 refuse: matflowctl sites: site3 lagging, why names the refusal (got $S3_SYNC, '$S3_WHY')"; sites_diag
fi
flows_of site3 "$TB_RUN/flows-5-s3.txt"
if ! fx epoch-rules "$TB_RUN/flows-5-s3.txt" "$MN_ID" "$MN_EPOCH" 10.1.0.10 "$MN_MOA" > "$TB_RUN/er.txt" &&
    grep -q "no receiving rule" "$TB_RUN/er.txt"; then
    ok "5 refuse: site3 lacks the new receiving rule ($(cat "$TB_RUN/er.txt"))"
else
    not_ok "5 refuse: site3 lacks the receiving rule its full table refused"; diag < "$TB_RUN/er.txt"
fi
# The limit lifted; the switch reconnected (a restart of the relay) is
# brought up to date.
tb_vsctl clear Bridge "${P}s3" flow_tables || not_ok "5 refuse: the Flow_Table limit lifted"
sleep 0.5
echo "# limit lifted, channel untouched: site3 $(tb_matflowctl --json sites | "$PY" -c 'import json,sys; s=json.load(sys.stdin)["sites"][2]; print(s["sync"], "-", s["sync_why"])')"
log_mark
tb_stop "$RELAY" TERM 3
relay_start
if tb_wait 10 relay_has_s3 && wait_sites 10 site3=in_sync; then
    ok "5 after the limit is lifted and the switch reconnects: site3 in_sync"
else
    not_ok "5 after the limit is lifted and the switch reconnects: site3 in_sync"; sites_diag
fi
site_path "5 reconnect"
flows_of site3 "$TB_RUN/flows-5c-s3.txt"
r=$(fx epoch-rules "$TB_RUN/flows-5c-s3.txt" "$MN_ID" "$MN_EPOCH" 10.1.0.10 "$MN_MOA")
check "5 reconnect: site3 brought up to date: $r" quiet fx epoch-rules "$TB_RUN/flows-5c-s3.txt" "$MN_ID" "$MN_EPOCH" 10.1.0.10 "$MN_MOA"
ping_check "5 reconnect: through site3" cn 10.1.0.10
tcp_check "5 reconnect: through site3" tcp5 mn 5005 cn

# ================================================================ the end
if wait_sites 5 $ALL_IN_SYNC; then
    ok "end: every site in_sync"
else
    not_ok "end: every site in_sync"; sites_diag
fi
ctl_json bindings "$TB_RUN/bindings-end.json"
LOST=$(fx lost "$TB_RUN/bindings-start.json" "$TB_RUN/bindings-end.json" | head -n 1)
if fx lost "$TB_RUN/bindings-start.json" "$TB_RUN/bindings-end.json" > "$TB_RUN/lost.txt"; then
    ok "bindings lost: $LOST ($(grep -c '"hoa"' "$TB_RUN/bindings-start.json") before, $(grep -c '"hoa"' "$TB_RUN/bindings-end.json") after: same ids, HoAs, MACs)"
else
    not_ok "bindings lost: $LOST"; diag < "$TB_RUN/lost.txt"; diag < "$TB_RUN/bindings-end.json"
fi
tb_matflowctl bindings 2>&1 | diag
check "matflowd still running at the end" tb_alive matflowd
topo_matflowd_stop TERM; rc=$?
if [ $rc -eq 0 ]; then ok "matflowd exits 0 on SIGTERM"; else not_ok "matflowd exits 0 on SIGTERM (got $rc)"; fi
if grep -nE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' \
        "$TB_RUN"/matflowd*.log > "$TB_RUN/san.txt"; then
    not_ok "no sanitizer report in matflowd's logs"; head -n 40 "$TB_RUN/san.txt" | diag
else
    ok "no sanitizer report in matflowd's logs"
fi
echo "1..$n"
exit
}
