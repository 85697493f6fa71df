#!/bin/bash
# test_crash_restart.sh - kill -9 of matflowd inside a binding update, in the
# middle of a series of migrations of several mobile nodes, and what the
# restarted daemon keeps (issue 5, point 1).
#
# The reference testbed (tests/lib/topology.sh: three Open vSwitch sites on
# the userspace datapath, fail-mode=secure, a legacy router, a CN on site3)
# with four mobile nodes: MN (10.1.0.10, home site1, hypervisor port 10),
# MN2 (10.2.0.10, site2, port 11), MN3 (10.3.0.10, site3, port 12) move all
# along; PK (10.1.0.11, site1, port 13) moves once to site2 before the
# series and is parked there, with a verified TCP stream CN -> PK running
# through the whole test (every byte of both directions checked, see
# tests/lib/traffic.py). Site3's OpenFlow channel goes through
# build/tests/ofrelay, whose delay is 0 except around a kill.
#
# CRASH_MOVES (default 20) moves, round robin over MN, MN2, MN3, each to a
# random other site (CRASH_SEED replays a run: the seed is printed). Every
# CRASH_KILL_EVERY moves (default 10; the first at half of it) two nodes
# move at once (to sites other than their homes) while site3's channel is
# delayed CRASH_DELAY_MS (300) each way, so that its barriers come late;
# the test polls `matflowctl --json events` until both updates have some
# barrier replies of their phase in but not all (the receiving phase at odd
# kills, the sending phase at even ones) and sends SIGKILL to matflowd's
# PID. The third node went away four moves before and came home just
# before, so its return-home rules (cookie role 4, hard_timeout 120 s) are
# in its home switch at every kill. The controller stays away CRASH_DOWN_S
# (1) s, then starts again on the same database and config.
# Checks, one TAP line each (per kill):
#   the kill landed inside both updates (from the saved events JSON: some
#   barriers in, not all, not complete; the killed daemon's log has no
#   completion of them); matflowd ended by SIGKILL; the switches keep every
#   flow and PK's TCP keeps flowing while the controller is away;
#   restarted: 3 switches ready, each reconciled ("N flows kept, M removed,
#   K added"); every binding that was complete before the kill, other than
#   the two in flight, is there with the same site, port, MoA, epoch, since
#   and state; every flow the switches held before the kill with a base
#   cookie or the cookie of one of those bindings at its committed epoch is
#   still there, not re-added (duration and n_packets not lower, same
#   creation time): roles 1-3 in one line, the return-home rules (role 4)
#   in another; after a kill in the receiving phase, a rolled-back node's
#   committed rules (roles 2, 3) too; each update in flight finished
#   (binding at its destination) or rolled back (binding where it was
#   committed, then a fresh RARP from the node moves it) - which one is
#   printed - and the CN pings the node; no flow of matflow's cookie tag
#   duplicated or of a stale epoch; PK's TCP flows after the restart; the
#   CN pings every node; a second, quiet restart (SIGTERM) reconciles with
#   0 removed and 0 added, keeps every binding and every flow.
# Per move: the binding complete at its destination. At the end: PK's TCP
# stream ends without reset or corrupt byte; no OFPT_ERROR from any switch;
# matflowd exits 0 on SIGTERM; no sanitizer report in its logs.
# Needs root, openvswitch-switch, ethtool, iputils-ping. About 35 s with the
# defaults; CRASH_MOVES=100 (the soak) about 2-3 min.

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
OFRELAY=${OFRELAY:-$ROOT/build/tests/ofrelay}
PY=/usr/bin/python3
CR=$ROOT/tests/lib/crash.py

MOVES=${CRASH_MOVES:-20}
KILL_EVERY=${CRASH_KILL_EVERY:-10}
DELAY_MS=${CRASH_DELAY_MS:-300}
DOWN_S=${CRASH_DOWN_S:-1}
SEED=${CRASH_SEED:-$(( $(date +%s) % 100000 ))}
RELAY_PORT=6654

n=0
failed=0
ok()     { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
diag() { sed 's/^/# /'; }
T_START=$(date +%s%3N)
elapsed() { awk -v ms=$(( $(date +%s%3N) - T_START )) 'BEGIN { printf "%.1f", ms / 1000 }'; }
cr() { "$PY" "$CR" "$@"; }

for b in "$MATFLOWD" "$MATFLOWCTL" "$OFRELAY" "$PY"; do
    if [ ! -x "$b" ]; then not_ok "$b exists (run make tests)"; echo "1..$n"; exit 1; fi
done
for c in ping ovs-vswitchd ethtool; do
    if ! command -v $c >/dev/null 2>&1; then not_ok "$c installed"; echo "1..$n"; exit 1; fi
done
if [ "$MOVES" -lt 2 ] || [ "$KILL_EVERY" -lt 2 ]; then
    not_ok "CRASH_MOVES ($MOVES) and CRASH_KILL_EVERY ($KILL_EVERY) are at least 2"; echo "1..$n"; exit 1
fi
echo "# matflowd: $MATFLOWD"
echo "# $MOVES moves, a kill every $KILL_EVERY, site3's channel delayed $DELAY_MS ms around a kill, seed $SEED (CRASH_SEED=$SEED replays these moves)"

tb_init crash
P=$TB_PREFIX
SUMMARY=""
on_exit() {
    rc=$?
    trap '' INT TERM HUP
    if [ "$failed" -gt 0 ] || [ "$rc" -ne 0 ]; then
        for f in "$TB_RUN"/matflowd-*.log "$TB_RUN"/matflowd.log; do
            [ -s "$f" ] || continue
            echo "# ---- ${f##*/} (tail)"; tail -n 25 "$f" | diag
        done
    fi
    tb_teardown
    echo "# total $(elapsed) s"
    [ "$failed" -eq 0 ] && [ "$rc" -eq 0 ] && exit 0
    exit 1
}
trap on_exit EXIT

# ---------------------------------------------------------------- nodes
MOVERS="mn mn2 mn3"
declare -A IP MAC PORT HOME GW SITE EPOCH ID LAST_RARP
IP[mn]=10.1.0.10;  MAC[mn]=$TOPO_MN_MAC;      PORT[mn]=10;  HOME[mn]=site1
IP[mn2]=10.2.0.10; MAC[mn2]=$TOPO_MN2_MAC;    PORT[mn2]=11; HOME[mn2]=site2
IP[mn3]=10.3.0.10; MAC[mn3]=52:54:00:00:00:03; PORT[mn3]=12; HOME[mn3]=site3
IP[pk]=10.1.0.11;  MAC[pk]=52:54:00:00:00:04;  PORT[pk]=13;  HOME[pk]=site1
for x in mn mn2 mn3 pk; do GW[$x]=${IP[$x]%.*}.1; done

# ---------------------------------------------------------------- helpers
# bindings FILE: matflowctl --json bindings into FILE.
bindings() { tb_matflowctl --json bindings > "$1" 2>&1; }
# snap NAME: every switch's flows, timed, in $TB_RUN/NAME.json.
snap() {
    cr snapshot "$TB_RUN/$1.json" "s1=unix:$TB_OVS/${P}s1.mgmt" "s2=unix:$TB_OVS/${P}s2.mgmt" \
        "s3=unix:$TB_OVS/${P}s3.mgmt"
}
# wait_binding NODE SITE MIN_EPOCH OUT: the binding settled at SITE.
wait_binding() {
    cr wait-binding "$MATFLOWCTL" "$TB_API" "${MAC[$1]}" "$2" "$3" "${5:-5}" > "$4"
}
jfield() { "$PY" -c 'import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print("" if v is None else v)' "$1" "$2" 2>/dev/null; }
# remember NODE FILE: the node's site, epoch and id from a wait_binding file.
remember() {
    SITE[$1]=$(jfield "$2" binding.site); EPOCH[$1]=$(jfield "$2" binding.epoch)
    ID[$1]=$(jfield "$2" binding.id)
}
# resync NODE: the node's site and epoch as the daemon has them.
resync() {
    bindings "$TB_RUN/resync.json"
    SITE[$1]=$(cr field "$TB_RUN/resync.json" "${MAC[$1]}" site)
    EPOCH[$1]=$(cr field "$TB_RUN/resync.json" "${MAC[$1]}" epoch)
}
# rarp_done NODE: the RARPs of the node's last move are all out; its
# sender ended.
rarp_done() {
    local _rd=${LAST_RARP[$1]:-}
    [ -n "$_rd" ] || return 0
    topo_rarp_wait "$_rd" 5 3 || tb_log "$1: not all RARPs sent ($_rd)"
    tb_stop "$(basename "$_rd" .log)" TERM 1
    LAST_RARP[$1]=
    return 0
}
# note_rarp NODE: the log of the node's newest rarp.py (from $TB_RUN/moves).
note_rarp() { LAST_RARP[$1]=$(grep "^$1 " "$TB_RUN/moves" | tail -n 1 | awk '{print $6}'); }
# fresh_rarp NODE TAG: 5 RARPs from the node where it is (no port move).
fresh_rarp() {
    rarp_done "$1"
    tb_bg_in "$1" "rarp-fresh-$1-$2" "$PY" "$TOPO_LIB/rarp.py" --iface eth0
    LAST_RARP[$1]=$TB_RUN/rarp-fresh-$1-$2.log
}
reach() { topo_in cn ping -q -c 3 -i 0.2 -W 1 "${IP[$1]}" > "$TB_RUN/ping-$1.txt" 2>&1; }

# ---------------------------------------------------------------- TCP
# The CN connects to PK's HoA; traffic.py checks every byte (a position
# counter: byte i of each direction is a function of i) and any reset.
tcp_start() {
    tb_bg_in pk tcp-server "$PY" "$TOPO_LIB/traffic.py" tcp-server --listen "${IP[pk]}:5001" \
        --status "$TB_RUN/tcp-server.json" --rate 100000
    tb_wait 5 test -f "$TB_RUN/tcp-server.json" || tb_die "traffic server did not start"
    tb_bg_in cn tcp-client "$PY" "$TOPO_LIB/traffic.py" tcp-client --connect "${IP[pk]}:5001" \
        --status "$TB_RUN/tcp-client.json" --rate 100000
}
tcp_mark() { MARK_C=$(topo_tcp_get tcp client received) MARK_S=$(topo_tcp_get tcp server received); }
tcp__more() {
    _c=$(topo_tcp_get tcp client received) _s=$(topo_tcp_get tcp server received)
    [ -n "$_c" ] && [ -n "$_s" ] && [ "$_c" -ge $((MARK_C + $1)) ] && [ "$_s" -ge $((MARK_S + $1)) ] &&
        [ "$(topo_tcp_get tcp client ok)" = true ] && [ "$(topo_tcp_get tcp server ok)" = true ]
}
tcp_state() {
    echo "client $(topo_tcp_get tcp client received) B (+$(( $(topo_tcp_get tcp client received) - MARK_C ))), server $(topo_tcp_get tcp server received) B (+$(( $(topo_tcp_get tcp server received) - MARK_S ))), longest stall $(topo_tcp_get tcp client max_stall_ms)/$(topo_tcp_get tcp server max_stall_ms) ms"
}

# ---------------------------------------------------------------- relay
# relay_delay MS: site3's channel delayed MS each way from now on (ofrelay
# re-reads its delay file on SIGHUP and says "delay MS ms").
relay__said() { [ "$(grep -c "^delay " "$TB_RUN/ofrelay.log")" -gt "$1" ]; }
relay_delay() {
    local _n
    _n=$(grep -c "^delay " "$TB_RUN/ofrelay.log")
    echo "$1" > "$TB_RUN/relay-delay"
    kill -HUP "$(tb_pid ofrelay)"
    tb_wait 3 relay__said "$_n" || tb_log "ofrelay did not confirm the delay $1"
}

# ================================================================ setup
sed 's/hypervisor_ports: \[10, 11, 12\]/hypervisor_ports: [10, 11, 12, 13]/' \
    "$ROOT/examples/testbed.yaml" > "$TB_RUN/matflow.yaml"
# Each node moves every few seconds here, far more often than damping
# allows (its own tests: unit/test_mob_update, integration/test_hostile_packets).
printf 'mobility:\n  damping_moves: 0\n' >> "$TB_RUN/matflow.yaml"
# shellcheck disable=SC2034  # read by topo_up / topo_matflowd_start
TOPO_CONFIG=$TB_RUN/matflow.yaml TOPO_HCN=0
echo 0 > "$TB_RUN/relay-delay"
tb_bg ofrelay "$OFRELAY" relay --listen "127.0.0.1:$RELAY_PORT" --upstream "127.0.0.1:$TB_OF_PORT" \
    --delay-ms 0 --delay-file "$TB_RUN/relay-delay"
tb_wait 5 tb__log_has "$TB_RUN/ofrelay.log" "listening on" 1 || tb_die "ofrelay did not start"
topo_up
# Site3 through the relay. A new target for a bridge that has a controller
# flushes nothing (only the first set-controller does); matflowd reconciles it.
tb_vsctl set-controller "${P}s3" "tcp:127.0.0.1:$RELAY_PORT" \
    -- set controller "${P}s3" connection-mode=out-of-band max_backoff=1000 || tb_die "s3 controller"
tb_host_add mn3 "${P}s3" 12 10.3.0.10/24 10.3.0.1 "${MAC[mn3]}"
tb_host_add pk "${P}s1" 13 10.1.0.11/24 10.1.0.1 "${MAC[pk]}"
ok "testbed up: matflowd, OVS, LR, s1/s2/s3 (s3 through ofrelay), CN, legacy CN, MN, MN2, MN3, PK ($(elapsed) s)"
modes=$(for i in 1 2 3; do tb_vsctl get bridge "${P}s$i" fail_mode; done | tr '\n' ' ')
if [ "$modes" = "secure secure secure " ]; then
    ok "fail-mode=secure on every bridge"
else
    not_ok "fail-mode=secure on every bridge (got: $modes)"
fi
if topo_wait_ready 15; then
    ok "matflowctl switches: dpids 1, 2, 3 ready ($(elapsed) s)"
else
    not_ok "matflowctl switches: dpids 1, 2, 3 ready"; tb_matflowctl switches 2>&1 | diag
    exit 1
fi
if grep -q "is dpid 0000000000000003" "$TB_RUN/ofrelay.log"; then
    ok "site3's switch connects through ofrelay"
else
    not_ok "site3's switch connects through ofrelay"; diag < "$TB_RUN/ofrelay.log"
fi
tb_wait 10 topo_gateways_known || not_ok "every gateway MAC learned"

# Learning at home: every node asks for its gateway.
for x in mn mn2 mn3 pk; do topo_in $x ping -c 1 -W 1 "${GW[$x]}" > /dev/null 2>&1; done
topo_in cn ping -c 1 -W 1 10.3.0.1 > /dev/null 2>&1
for x in mn mn2 mn3 pk; do
    if wait_binding $x "${HOME[$x]}" 0 "$TB_RUN/learn-$x.json"; then
        remember $x "$TB_RUN/learn-$x.json"
        ok "learning: $x (${IP[$x]}) home at ${HOME[$x]}"
    else
        not_ok "learning: $x (${IP[$x]}) home at ${HOME[$x]} ($(jfield "$TB_RUN/learn-$x.json" why))"
        exit 1
    fi
done

# PK goes to site2 and stays there.
topo_migrate pk site2 13
if wait_binding pk site2 1 "$TB_RUN/park.json"; then
    remember pk "$TB_RUN/park.json"
    ok "PK parked at site2 (moa $(jfield "$TB_RUN/park.json" binding.moa), epoch ${EPOCH[pk]})"
else
    not_ok "PK parked at site2 ($(jfield "$TB_RUN/park.json" why))"
fi
tcp_start
MARK_C=0 MARK_S=0
if tb_wait 10 tcp__more 20000; then
    ok "TCP CN -> PK (at site2) running: $(tcp_state)"
else
    not_ok "TCP CN -> PK running"; cat "$TB_RUN"/tcp-*.json | diag
fi

# ================================================================ moves
RANDOM=$SEED
# pick_dest NODE [nohome]: PICK = a random site other than the node's (and,
# with nohome, other than its home). Not in a $(...) subshell: $RANDOM must
# advance in this shell for CRASH_SEED to replay a run.
pick_dest() {
    local _pd=() _s
    for _s in site1 site2 site3; do
        [ "$_s" = "${SITE[$1]}" ] && continue
        [ "${2:-}" = nohome ] && [ "$_s" = "${HOME[$1]}" ] && continue
        _pd+=("$_s")
    done
    PICK=${_pd[$((RANDOM % ${#_pd[@]}))]}
}

# role4_present NODE: its return-home rules (cookie role 4 of its binding and
# epoch) are in its home switch.
role4_present() {
    topo_dump_flows "${HOME[$1]}" | grep -q "cookie=$(printf '0x4d464%06x%05x' "${ID[$1]}" "${EPOCH[$1]}"),"
}

# move_one I NODE DEST
move_one() {
    local _m_from=${SITE[$2]} _m_t0
    rarp_done "$2"
    _m_t0=$(date +%s%3N)
    topo_migrate -b "$2" "$3" "${PORT[$2]}"
    note_rarp "$2"
    if wait_binding "$2" "$3" $((EPOCH[$2] + 1)) "$TB_RUN/move-$1.json"; then
        remember "$2" "$TB_RUN/move-$1.json"
        ok "move $1: $2 $_m_from -> $3 complete (moa $(jfield "$TB_RUN/move-$1.json" binding.moa), epoch ${EPOCH[$2]}, $(( $(date +%s%3N) - _m_t0 )) ms)"
        # Home just before a kill: its return-home rules are in place then.
        if [ "${FORCE[$1]:-}" = home ] && ! tb_wait 3 role4_present "$2"; then
            echo "# $2 is home, but no return-home rule (role 4) appeared in ${HOME[$2]}'s switch"
        fi
    else
        not_ok "move $1: $2 $_m_from -> $3 complete within 5 s ($(jfield "$TB_RUN/move-$1.json" why))"
        resync "$2"
    fi
}

# settled SNAPNAME BINDINGS: a quiet point: every binding settled, every
# flow of ours at its binding's committed epoch (cleanups done).
settled() { bindings "$2" && snap "$1" && cr tagcheck "$TB_RUN/$1.json" "$2" --quiet > "$TB_RUN/$1.why"; }

# inflight_outcome K NODE DEST OLD_SITE OLD_EPOCH OLD_MOA
inflight_outcome() {
    local _k=$1 _x=$2 _d=$3 _os=$4 _oe=$5 _om=$6
    local _f=$TB_RUN/k$_k-after-bindings.json
    local _s _e _m _st
    _s=$(cr field "$_f" "${MAC[$_x]}" site) _e=$(cr field "$_f" "${MAC[$_x]}" epoch)
    _m=$(cr field "$_f" "${MAC[$_x]}" moa) _st=$(cr field "$_f" "${MAC[$_x]}" state)
    if [ "$_s" = "$_d" ] && [ "$_e" -gt "$_oe" ]; then
        OUTCOMES="$OUTCOMES $_x:finished"
        ok "kill $_k: the update in flight for $_x ($_os -> $_d) FINISHED after the restart: binding at $_d (moa $_m, epoch $_e, $_st)"
        SITE[$_x]=$_s EPOCH[$_x]=$_e
    elif [ "$_s" = "$_os" ] && [ "$_e" = "$_oe" ] && [ "$_m" = "$_om" ]; then
        OUTCOMES="$OUTCOMES $_x:rolled-back"
        ok "kill $_k: the update in flight for $_x ($_os -> $_d) ROLLED BACK: binding at its committed site $_os (moa $_m, epoch $_e, $_st)"
        fresh_rarp "$_x" "$_k"
        if wait_binding "$_x" "$_d" $((_oe + 1)) "$TB_RUN/k$_k-fresh-$_x.json"; then
            remember "$_x" "$TB_RUN/k$_k-fresh-$_x.json"
            ok "kill $_k: a fresh RARP from $_x moves it to $_d (moa $(jfield "$TB_RUN/k$_k-fresh-$_x.json" binding.moa), epoch ${EPOCH[$_x]})"
        else
            not_ok "kill $_k: a fresh RARP from $_x moves it to $_d ($(jfield "$TB_RUN/k$_k-fresh-$_x.json" why))"
            resync "$_x"
        fi
    else
        not_ok "kill $_k: the update in flight for $_x ($_os epoch $_oe moa $_om -> $_d) finished or rolled back (binding: $_s, epoch $_e, moa $_m, $_st)"
        resync "$_x"
    fi
    if reach "$_x"; then
        ok "kill $_k: the CN pings $_x at ${SITE[$_x]}"
    else
        not_ok "kill $_k: the CN pings $_x at ${SITE[$_x]}"; diag < "$TB_RUN/ping-$_x.txt"
    fi
}

# kill_cycle K PHASE I A B: moves I and I+1 (nodes A and B) at once, kill -9
# inside them, restart, check.
kill_cycle() {
    local _k=$1 _ph=$2 _i=$3 _a=$4 _b=$5
    local _da _db _bb _ida _idb _sa _sb _ea _eb _ma _mb _pid _krc _wrc _recon _unreach _x _qrc _o _s _e
    pick_dest "$_a" nohome; _da=$PICK
    pick_dest "$_b" nohome; _db=$PICK
    rarp_done "$_a"; rarp_done "$_b"
    # -- the quiet point before: bindings reported complete, every flow.
    if tb_wait 5 settled "k$_k-before" "$TB_RUN/k$_k-before-bindings.json"; then
        ok "kill $_k: before: every binding complete, every flow at its binding's epoch ($(head -n 1 "$TB_RUN/k$_k-before.why"))"
    else
        not_ok "kill $_k: before: every binding complete, every flow at its binding's epoch"
        diag < "$TB_RUN/k$_k-before.why"
    fi
    _bb=$TB_RUN/k$_k-before-bindings.json
    _ida=$(cr field "$_bb" "${MAC[$_a]}" id) _idb=$(cr field "$_bb" "${MAC[$_b]}" id)
    _sa=${SITE[$_a]} _sb=${SITE[$_b]} _ea=${EPOCH[$_a]} _eb=${EPOCH[$_b]}
    _ma=$(cr field "$_bb" "${MAC[$_a]}" moa) _mb=$(cr field "$_bb" "${MAC[$_b]}" moa)
    # -- site3's barriers come late; both nodes move.
    relay_delay "$DELAY_MS"
    _pid=$(tb_pid matflowd)
    tr '\0' ' ' < "/proc/$_pid/cmdline" 2>/dev/null | grep -qF "$MATFLOWD" ||
        tb_die "pid $_pid is not our matflowd"
    topo_migrate_many -b "$_a:$_da:${PORT[$_a]}" "$_b:$_db:${PORT[$_b]}"
    note_rarp "$_a"; note_rarp "$_b"
    cr kill-inside "$MATFLOWCTL" "$TB_API" "$_pid" "$_ph" $(( 4 * DELAY_MS / 1000 + 5 )) \
        "$TB_RUN/k$_k-kill.json" "${IP[$_a]}:$((_ea + 1))" "${IP[$_b]}:$((_eb + 1))" > "$TB_RUN/k$_k-kill.txt"
    _krc=$?
    [ $_krc -eq 0 ] || kill -KILL "$_pid" 2>/dev/null   # go on with the cycle all the same
    T_KILL=$(date +%s.%N)
    { wait "$_pid"; } 2>/dev/null; _wrc=$?     # (no "Killed" notice in the log)
    rm -f "$TB_RUN/pids/matflowd"
    if [ $_krc -eq 0 ] && [ $_wrc -eq 137 ]; then
        ok "kill $_k (moves $_i, $((_i + 1))): kill -9 of matflowd (pid $_pid) while $_a $_sa -> $_da and $_b $_sb -> $_db were in their $_ph phase; it ended by SIGKILL"
    else
        not_ok "kill $_k: kill -9 of matflowd (pid $_pid) inside the $_ph phase of $_a -> $_da and $_b -> $_db (poller exit $_krc: $(cat "$TB_RUN/k$_k-kill.txt"); matflowd exit $_wrc)"
    fi
    if cr timeline "$TB_RUN/k$_k-kill.json" > "$TB_RUN/k$_k-timeline.txt"; then
        ok "kill $_k: the saved events show both updates inside: some barriers in, not all, not complete"
    else
        not_ok "kill $_k: the saved events show both updates inside: some barriers in, not all, not complete"
    fi
    diag < "$TB_RUN/k$_k-timeline.txt"
    if grep -E "binding ${IP[$_a]} at $_da as .*, epoch $((_ea + 1)), complete|binding ${IP[$_b]} at $_db as .*, epoch $((_eb + 1)), complete" \
            "$TB_RUN/matflowd.log" > "$TB_RUN/k$_k-completed.txt"; then
        not_ok "kill $_k: the killed daemon's log reports neither update complete"; diag < "$TB_RUN/k$_k-completed.txt"
    else
        ok "kill $_k: the killed daemon's log reports neither update complete"
    fi
    # -- the controller away.
    tcp_mark
    snap "k$_k-dead"
    sleep "$DOWN_S"
    if cr kept "$TB_RUN/k$_k-before.json" "$TB_RUN/k$_k-dead.json" "$_bb" --exclude "$_ida,$_idb" > "$TB_RUN/k$_k-dead.txt"; then
        ok "kill $_k: with matflowd away the switches keep every flow ($(head -n 1 "$TB_RUN/k$_k-dead.txt"))"
    else
        not_ok "kill $_k: with matflowd away the switches keep every flow"; diag < "$TB_RUN/k$_k-dead.txt"
    fi
    if tcp__more 20000; then
        ok "kill $_k: with matflowd away ${DOWN_S} s, PK's TCP keeps flowing ($(tcp_state))"
    else
        not_ok "kill $_k: with matflowd away ${DOWN_S} s, PK's TCP keeps flowing ($(tcp_state))"
    fi
    # -- restart on the same database and config.
    relay_delay 0
    topo_matflowd_start
    if topo_wait_ready 15 && tb_wait 10 cr reconcile "$TB_RUN/matflowd.log"; then
        _recon=$(cr reconcile "$TB_RUN/matflowd.log")
        ok "kill $_k: restarted ($(awk -v a="$T_KILL" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s after the kill); switches ready and reconciled: $_recon"
    else
        _recon=$(cr reconcile "$TB_RUN/matflowd.log")
        not_ok "kill $_k: restarted: switches ready and reconciled ($_recon)"
        tb_matflowctl switches 2>&1 | diag
    fi
    grep -E "reconcile: |loaded from" "$TB_RUN/matflowd.log" | sed 's/^[^ ]* //' | diag
    tcp_mark
    # The nodes of the killed updates settle (where they were, or finished).
    _settle() {
        bindings "$TB_RUN/k$_k-after-bindings.json" &&
            "$PY" -c 'import json, sys
sys.exit(0 if all(not b["update"] and b["state"] in ("home", "away") for b in json.load(open(sys.argv[1]))["bindings"]) else 1)' \
                "$TB_RUN/k$_k-after-bindings.json"
    }
    tb_wait 5 _settle || tb_log "bindings not settled after the restart"
    if cr same-bindings "$_bb" "$TB_RUN/k$_k-after-bindings.json" --exclude "$_ida,$_idb" > "$TB_RUN/k$_k-same.txt"; then
        ok "kill $_k: every binding complete before the kill (but the two in flight) is there, same site/port/MoA/epoch/since/state ($(head -n 1 "$TB_RUN/k$_k-same.txt"))"
    else
        not_ok "kill $_k: every binding complete before the kill (but the two in flight) is there unchanged"
        diag < "$TB_RUN/k$_k-same.txt"
    fi
    snap "k$_k-after"
    if cr kept "$TB_RUN/k$_k-before.json" "$TB_RUN/k$_k-after.json" "$_bb" --exclude "$_ida,$_idb" \
            --roles 1,2,3 > "$TB_RUN/k$_k-kept.txt"; then
        ok "kill $_k: after reconciliation every flow of the base rules and of the bindings not in flight (roles 1-3) is kept, not re-added ($(head -n 1 "$TB_RUN/k$_k-kept.txt"))"
    else
        not_ok "kill $_k: after reconciliation every flow of the base rules and of the bindings not in flight (roles 1-3) is kept, not re-added"
        diag < "$TB_RUN/k$_k-kept.txt"
    fi
    # The return-home rules (role 4, hard_timeout 120 s) of nodes that came
    # home before the kill are flows of bindings that did not move too.
    if cr kept "$TB_RUN/k$_k-before.json" "$TB_RUN/k$_k-after.json" "$_bb" --exclude "$_ida,$_idb" \
            --roles 4 --allow-empty > "$TB_RUN/k$_k-kept4.txt"; then
        ok "kill $_k: after reconciliation the return-home rules (role 4) of bindings not in flight are kept ($(head -n 1 "$TB_RUN/k$_k-kept4.txt"))"
    else
        not_ok "kill $_k: after reconciliation the return-home rules (role 4, hard_timeout 120 s) of bindings not in flight are kept"
        diag < "$TB_RUN/k$_k-kept4.txt"
    fi
    # A rolled-back update of the receiving phase had only added rules of
    # its new MoA: the node's committed flows are all still there (roles 2
    # and 3; return-home rules have the check above).
    if [ "$_ph" = receiving ]; then
        for _x in "$_a:$_ida:$_sa:$_ea" "$_b:$_idb:$_sb:$_eb"; do
            IFS=: read -r _x _o _s _e <<< "$_x"
            [ "$(cr field "$TB_RUN/k$_k-after-bindings.json" "${MAC[$_x]}" site)" = "$_s" ] &&
                [ "$(cr field "$TB_RUN/k$_k-after-bindings.json" "${MAC[$_x]}" epoch)" = "$_e" ] || continue
            if cr kept "$TB_RUN/k$_k-before.json" "$TB_RUN/k$_k-after.json" "$_bb" --only "$_o" \
                    --roles 2,3 --allow-empty > "$TB_RUN/k$_k-kept-$_x.txt"; then
                ok "kill $_k: $_x rolled back in its receiving phase: its committed flows are all kept ($(head -n 1 "$TB_RUN/k$_k-kept-$_x.txt"))"
            else
                not_ok "kill $_k: $_x rolled back in its receiving phase: its committed flows are all kept"
                diag < "$TB_RUN/k$_k-kept-$_x.txt"
            fi
        done
    fi
    OUTCOMES=""
    inflight_outcome "$_k" "$_a" "$_da" "$_sa" "$_ea" "$_ma"
    inflight_outcome "$_k" "$_b" "$_db" "$_sb" "$_eb" "$_mb"
    rarp_done "$_a"; rarp_done "$_b"
    if tb_wait 5 settled "k$_k-settled" "$TB_RUN/k$_k-settled-bindings.json"; then
        ok "kill $_k: no flow of matflow's cookie tag duplicated or of a stale epoch; each binding's at its committed epoch ($(head -n 1 "$TB_RUN/k$_k-settled.why"))"
    else
        not_ok "kill $_k: no flow of matflow's cookie tag duplicated or of a stale epoch"
        diag < "$TB_RUN/k$_k-settled.why"
    fi
    if tb_wait 5 tcp__more 20000; then
        ok "kill $_k: PK's TCP flows after the restart ($(tcp_state))"
    else
        not_ok "kill $_k: PK's TCP flows after the restart ($(tcp_state))"
        cat "$TB_RUN"/tcp-*.json | diag
    fi
    _unreach=""
    for _x in mn mn2 mn3 pk; do reach "$_x" || _unreach="$_unreach $_x"; done
    if [ -z "$_unreach" ]; then
        ok "kill $_k: the CN pings every node (mn ${SITE[mn]}, mn2 ${SITE[mn2]}, mn3 ${SITE[mn3]}, pk ${SITE[pk]})"
    else
        not_ok "kill $_k: the CN pings every node (not:$_unreach)"
        for _x in $_unreach; do
            echo "$_x at ${SITE[$_x]}, its neighbours: $(topo_in "$_x" ip neigh show dev eth0 | tr '\n' ';')"
        done | diag
    fi
    # -- a second comparison: a quiet restart finds nothing to change.
    bindings "$TB_RUN/k$_k-q-before-bindings.json"
    snap "k$_k-q-before"
    topo_matflowd_stop TERM; _qrc=$?
    topo_matflowd_start
    if [ $_qrc -eq 0 ] && topo_wait_ready 15 && tb_wait 10 cr reconcile "$TB_RUN/matflowd.log" &&
        cr reconcile "$TB_RUN/matflowd.log" --zero > "$TB_RUN/k$_k-q.txt"; then
        ok "kill $_k: a second, quiet restart reconciles with 0 removed, 0 added: $(cat "$TB_RUN/k$_k-q.txt")"
    else
        not_ok "kill $_k: a second, quiet restart (SIGTERM exit $_qrc) reconciles with 0 removed, 0 added"
        { cr reconcile "$TB_RUN/matflowd.log" --zero; grep -E "reconcile: " "$TB_RUN/matflowd.log"; } | diag
    fi
    bindings "$TB_RUN/k$_k-q-after-bindings.json"
    snap "k$_k-q-after"
    if cr same-bindings "$TB_RUN/k$_k-q-before-bindings.json" "$TB_RUN/k$_k-q-after-bindings.json" > "$TB_RUN/k$_k-qb.txt" &&
        cr kept "$TB_RUN/k$_k-q-before.json" "$TB_RUN/k$_k-q-after.json" "$TB_RUN/k$_k-q-before-bindings.json" > "$TB_RUN/k$_k-qk.txt"; then
        ok "kill $_k: the quiet restart keeps every binding and every flow ($(head -n 1 "$TB_RUN/k$_k-qk.txt"))"
    else
        not_ok "kill $_k: the quiet restart keeps every binding and every flow"
        cat "$TB_RUN/k$_k-qb.txt" "$TB_RUN/k$_k-qk.txt" | diag
    fi
    SUMMARY="$SUMMARY
# kill $_k ($_ph phase, moves $_i-$((_i + 1))):$OUTCOMES; $_recon"
}

# The plan: move I is node I mod 3's; a kill takes two moves (the two next
# nodes at once). The third node goes away four moves before a kill and
# home just before it, so that every kill finds return-home rules (role 4)
# in a switch.
declare -A KIND FORCE
i=1
while [ "$i" -le "$MOVES" ]; do
    if [ $(( i % KILL_EVERY )) -eq $(( KILL_EVERY / 2 )) ] && [ "$i" -lt "$MOVES" ]; then
        KIND[$i]=kill KIND[$((i + 1))]=pair
        i=$((i + 2))
    else
        KIND[$i]=move
        i=$((i + 1))
    fi
done
for i in "${!KIND[@]}"; do
    [ "${KIND[$i]}" = kill ] || continue
    [ "${KIND[$((i - 1))]:-}" = move ] && FORCE[$((i - 1))]=home
    [ "${KIND[$((i - 4))]:-}" = move ] && FORCE[$((i - 4))]=away
done
KILLS=0
set -- $MOVERS
NODES=("$@")
for i in $(seq "$MOVES"); do
    a=${NODES[$(( (i - 1) % 3 ))]}
    case ${KIND[$i]} in
        kill)
            KILLS=$((KILLS + 1))
            phase=receiving; [ $((KILLS % 2)) -eq 0 ] && phase=sending
            kill_cycle "$KILLS" "$phase" "$i" "$a" "${NODES[$(( i % 3 ))]}" ;;
        move)
            if [ "${FORCE[$i]:-}" = home ] && [ "${SITE[$a]}" != "${HOME[$a]}" ]; then
                PICK=${HOME[$a]}
            elif [ "${FORCE[$i]:-}" = away ]; then
                pick_dest "$a" nohome
            else
                pick_dest "$a"
            fi
            move_one "$i" "$a" "$PICK" ;;
    esac
done
if [ "$KILLS" -ge 1 ]; then
    ok "$MOVES moves with $KILLS kill -9 inside an update ($(elapsed) s)"
else
    not_ok "at least one kill -9 in $MOVES moves (CRASH_KILL_EVERY=$KILL_EVERY)"
fi

# ================================================================ the end
for x in $MOVERS; do rarp_done "$x"; done
tb_matflowctl --json switches > "$TB_RUN/switches-end.json" 2>&1
errs=$("$PY" -c 'import json, sys
s = [x for x in json.load(open(sys.argv[1]))["switches"] if x.get("state") == "ready"]
print(len(s), sum(x.get("errors_in", 0) for x in s))' "$TB_RUN/switches-end.json" 2>/dev/null)
if [ "$errs" = "3 0" ]; then
    ok "no OFPT_ERROR from any switch since the last restart"
else
    not_ok "no OFPT_ERROR from any switch (ready switches, errors: $errs)"; diag < "$TB_RUN/switches-end.json"
fi
if topo_tcp_stop tcp; then
    ok "TCP CN -> PK ended cleanly: $(topo_tcp_get tcp client received) B to the CN, $(topo_tcp_get tcp server received) B to PK, every byte in sequence, no reset (longest stall $(topo_tcp_get tcp client max_stall_ms)/$(topo_tcp_get tcp server max_stall_ms) ms)"
else
    not_ok "TCP CN -> PK ended cleanly (no reset, no corrupt byte)"; cat "$TB_RUN"/tcp-*.json | diag
fi
if [ "$(topo_tcp_get tcp client received)" = "$(topo_tcp_get tcp server sent)" ] &&
    [ "$(topo_tcp_get tcp server received)" = "$(topo_tcp_get tcp client sent)" ] &&
    [ "$(topo_tcp_get tcp client received)" -gt 0 ]; then
    ok "TCP CN -> PK lost nothing: every byte each side sent was received and verified"
else
    not_ok "TCP CN -> PK lost nothing (CN sent $(topo_tcp_get tcp client sent), PK received $(topo_tcp_get tcp server received); PK sent $(topo_tcp_get tcp server sent), CN received $(topo_tcp_get tcp client received))"
fi
topo_matflowd_stop TERM; rc=$?
if [ $rc -eq 0 ]; then ok "matflowd exits 0 on SIGTERM"; else not_ok "matflowd exits 0 on SIGTERM (got $rc)"; fi
if grep -nE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' \
        "$TB_RUN"/matflowd*.log > "$TB_RUN/san.txt"; then
    not_ok "no sanitizer report in matflowd's logs"; head -n 40 "$TB_RUN/san.txt" | diag
else
    ok "no sanitizer report in matflowd's logs"
fi
echo "# kills (in-flight outcome per node; reconciliation after the kill):$SUMMARY"
echo "1..$n"
exit
}
