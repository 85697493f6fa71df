# shellcheck shell=sh
# testbed.sh - a throwaway Open vSwitch testbed for matflow tests and demos.
#
# Source it from a POSIX sh (or bash) script running as root:
#
#   . tests/lib/testbed.sh
#   tb_init ovs                      # run dir, private namespace, teardown trap
#   tb_matflowd_start                # the controller first (OVS backs off up to 8 s)
#   tb_ovs_start                     # private ovsdb-server + ovs-vswitchd
#   tb_bridge_add s1 1               # netdev, fail-mode=secure, OpenFlow13, dpid 1
#   tb_host_add h1 s1 1 10.1.0.10/24 10.1.0.1   # a host namespace on s1 port 1
#   tb_matflowctl switches
#
# Everything runs inside one network namespace of the run's own ($TB_NS):
# matflowd, OVS, its bridges' taps and the controller channel on that
# namespace's 127.0.0.1. Hosts and routers are further namespaces, linked to
# bridges with veth pairs (tx checksum offload off on both ends). Every name
# visible outside the run (namespaces) carries the per-run prefix $TB_PREFIX,
# and so do bridges and ports. tb_teardown (installed as an EXIT trap) ends
# every process the run started, by PID, deletes the namespaces and removes
# the run directory; with TB_ARTIFACTS=DIR it first copies the logs (matflowd,
# OVS, captures, and the run dir's *.txt / *.json) there; with TB_KEEP=1 it
# leaves the run directory in place.
#
# Variables a caller may set before tb_init:
#   MATFLOWD, MATFLOWCTL   the binaries (default: build/bin/ of this tree)
#   TB_RUNBASE             where run dirs are made (default ${TMPDIR:-/tmp})
#   TB_ARTIFACTS           directory to copy the run's logs into at teardown
#   TB_KEEP=1              keep the run directory
#   TB_VERBOSE=1           echo every namespace command
# Variables tb_init sets: TB_ROOT TB_PREFIX TB_NS TB_RUN TB_OVS TB_OF_PORT TB_API

# The source tree: callers set TB_ROOT; else guess from the calling script's
# place (tests/<dir>/x.sh or scripts/x.sh).
if [ -z "${TB_ROOT:-}" ]; then
    for _tb_d in "$(dirname "$0")/../.." "$(dirname "$0")/.."; do
        [ -f "$_tb_d/tests/lib/testbed.sh" ] && TB_ROOT=$(cd "$_tb_d" && pwd) && break
    done
fi

TB_OF_PORT=${TB_OF_PORT:-6653}

# ---------------------------------------------------------------- messages
tb_log() { printf '%s\n' "testbed: $*" >&2; }
tb_die() { printf '%s\n' "testbed: error: $*" >&2; exit 1; }
# tb_say TEXT: a narration line for a person watching (demo), on stdout.
tb_say() { printf '\n==> %s\n' "$*"; }

# tb_now: seconds since the epoch with milliseconds.
tb_now() { date +%s.%3N; }

# tb_wait TIMEOUT CMD...: run CMD every 0.1 s until it succeeds; 1 on timeout.
tb_wait() {
    _tw_end=$(( $(date +%s%N) / 1000000 + $(tb_ms "$1") )); shift
    while :; do
        "$@" >/dev/null 2>&1 && return 0
        [ $(( $(date +%s%N) / 1000000 )) -ge "$_tw_end" ] && return 1
        sleep 0.1
    done
}
# tb_ms SECONDS (may be fractional) -> milliseconds
tb_ms() { awk -v s="$1" 'BEGIN { printf "%d", s * 1000 }'; }

# tb_wait_log FILE PATTERN TIMEOUT [COUNT]: wait until grep -F PATTERN occurs
# COUNT times (default 1) in FILE.
tb_wait_log() {
    _twl_n=${4:-1}
    tb_wait "$3" tb__log_has "$1" "$2" "$_twl_n"
}
tb__log_has() { [ "$(grep -cF -- "$2" "$1" 2>/dev/null)" -ge "$3" ]; }

# ---------------------------------------------------------------- the run
# tb_init TAG: make the run directory and the run's namespace, install the
# teardown trap. TAG (a few letters) only shows in the run dir's name.
tb_init() {
    [ "$(id -u)" = 0 ] || tb_die "must run as root (network namespaces, OVS)"
    for _c in ip ovsdb-server ovs-vswitchd ovs-vsctl ovs-ofctl ovsdb-tool ethtool; do
        command -v "$_c" >/dev/null 2>&1 || tb_die "$_c not found (run scripts/install-deps.sh)"
    done
    tb_reap_stale
    TB_PREFIX=$(printf 'mf%x' $$)
    # (a held testbed of a shell that had our pid keeps its names)
    cat "${TB_RUNBASE:-${TMPDIR:-/tmp}}"/matflow-*/held 2>/dev/null | grep -qx "$TB_PREFIX" &&
        tb_die "a held testbed uses the prefix $TB_PREFIX: remove it first (tests/lib/topology.sh down)"
    TB_NS="$TB_PREFIX-main"
    mkdir -p "${TB_RUNBASE:-${TMPDIR:-/tmp}}"
    TB_RUN=$(mktemp -d "${TB_RUNBASE:-${TMPDIR:-/tmp}}/matflow-${1:-run}-XXXXXX") || tb_die "mktemp"
    mkdir -p "$TB_RUN/pids"
    echo $$ > "$TB_RUN/owner.pid"
    TB_OVS="$TB_RUN/ovs"
    TB_API="$TB_RUN/matflowd.sock"
    TB_NAMESPACES=""
    MATFLOWD=${MATFLOWD:-$TB_ROOT/build/bin/matflowd}
    MATFLOWCTL=${MATFLOWCTL:-$TB_ROOT/build/bin/matflowctl}
    trap 'tb_teardown' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
    tb_netns_add "$TB_NS"
    tb_log "run $TB_RUN, namespace $TB_NS"
}

# tb_netns_add NAME: a namespace with lo up, removed at teardown.
tb_netns_add() {
    ip netns add "$1" || tb_die "ip netns add $1"
    TB_NAMESPACES="$TB_NAMESPACES $1"
    printf '%s\n' "$1" >> "$TB_RUN/namespaces"
    ip netns exec "$1" ip link set lo up
}

# tb_ns CMD...: run CMD in the run's namespace.
tb_ns() {
    [ -n "${TB_VERBOSE:-}" ] && tb_log "+ $*"
    ip netns exec "$TB_NS" "$@"
}
# tb_in NS CMD...: run CMD in namespace NS (a name given to tb_host_add etc.).
tb_in() {
    _ti_ns=$(tb_nsname "$1"); shift
    ip netns exec "$_ti_ns" "$@"
}
tb_nsname() { case $1 in "$TB_PREFIX"-*) echo "$1" ;; *) echo "$TB_PREFIX-$1" ;; esac; }

# tb_bg NAME CMD...: start CMD in the run's namespace in the background, output
# to $TB_RUN/NAME.log; its pid goes to $TB_RUN/pids/NAME and $TB_PID.
# ("ip netns exec" execs CMD, so the pid is CMD's own.)
tb_bg() {
    _tb_name=$1; shift
    ip netns exec "$TB_NS" "$@" > "$TB_RUN/$_tb_name.log" 2>&1 &
    TB_PID=$!
    echo "$TB_PID" > "$TB_RUN/pids/$_tb_name"
    echo "$_tb_name" >> "$TB_RUN/started"
}
# tb_bg_in NS NAME CMD...: like tb_bg, in namespace NS (a name given to
# tb_host_add / tb_router_add, or a full namespace name).
tb_bg_in() {
    _bi_ns=$(tb_nsname "$1"); _tb_name=$2; shift 2
    ip netns exec "$_bi_ns" "$@" > "$TB_RUN/$_tb_name.log" 2>&1 &
    TB_PID=$!
    echo "$TB_PID" > "$TB_RUN/pids/$_tb_name"
    echo "$_tb_name" >> "$TB_RUN/started"
}
tb_pid() { cat "$TB_RUN/pids/$1" 2>/dev/null; }
tb_alive() { _p=$(tb_pid "$1") && [ -n "$_p" ] && kill -0 "$_p" 2>/dev/null; }

# tb_stop NAME [SIGNAL] [TIMEOUT]: send SIGNAL (TERM) to the process started by
# tb_bg NAME, wait up to TIMEOUT (5) s, then KILL it. Returns its exit status
# (128+n for a signal), or 124 if it had to be killed.
tb_stop() {
    _ts_pid=$(tb_pid "$1") || return 0
    [ -n "$_ts_pid" ] || return 0
    rm -f "$TB_RUN/pids/$1"
    kill -"${2:-TERM}" "$_ts_pid" 2>/dev/null || { wait "$_ts_pid" 2>/dev/null; return $?; }
    _ts_end=$(( $(date +%s) + ${3:-5} ))
    while kill -0 "$_ts_pid" 2>/dev/null; do
        # A child that exited is a zombie until waited for: check its state.
        _ts_st=$(awk '{print $3}' "/proc/$_ts_pid/stat" 2>/dev/null)
        [ "$_ts_st" = Z ] && break
        if [ "$(date +%s)" -ge "$_ts_end" ]; then
            tb_log "$1 (pid $_ts_pid) did not stop; killing it"
            kill -KILL "$_ts_pid" 2>/dev/null
            wait "$_ts_pid" 2>/dev/null
            return 124
        fi
        sleep 0.05
    done
    wait "$_ts_pid" 2>/dev/null
}

# ---------------------------------------------------------------- OVS
tb_vsctl() { ovs-vsctl --db="unix:$TB_OVS/db.sock" --timeout=10 "$@"; }
tb_ofctl() { ovs-ofctl -O OpenFlow13 "$@"; }
tb_appctl() { ovs-appctl -t "$TB_OVS/ovs-vswitchd.ctl" "$@"; }

# tb_ovs_start: a private ovsdb-server + ovs-vswitchd in the run's namespace.
tb_ovs_start() {
    mkdir -p "$TB_OVS"
    ovsdb-tool create "$TB_OVS/conf.db" /usr/share/openvswitch/vswitch.ovsschema ||
        tb_die "ovsdb-tool create"
    OVS_RUNDIR=$TB_OVS OVS_LOGDIR=$TB_OVS OVS_DBDIR=$TB_OVS tb_ns ovsdb-server "$TB_OVS/conf.db" \
        --remote="punix:$TB_OVS/db.sock" --pidfile="$TB_OVS/ovsdb-server.pid" \
        --unixctl="$TB_OVS/ovsdb-server.ctl" --log-file="$TB_OVS/ovsdb-server.log" \
        --detach >> "$TB_OVS/start.log" 2>&1 || { cat "$TB_OVS/start.log" >&2; tb_die "ovsdb-server did not start"; }
    tb_vsctl --no-wait init || tb_die "ovs-vsctl init"
    tb_vswitchd_start
}

# tb_vswitchd_start: (re)start ovs-vswitchd on the run's database.
tb_vswitchd_start() {
    OVS_RUNDIR=$TB_OVS OVS_LOGDIR=$TB_OVS OVS_DBDIR=$TB_OVS tb_ns ovs-vswitchd "unix:$TB_OVS/db.sock" \
        --pidfile="$TB_OVS/ovs-vswitchd.pid" --unixctl="$TB_OVS/ovs-vswitchd.ctl" \
        --log-file="$TB_OVS/ovs-vswitchd.log" --detach >> "$TB_OVS/start.log" 2>&1 ||
        { cat "$TB_OVS/start.log" >&2; tb_die "ovs-vswitchd did not start"; }
}

# tb__running PID: PID exists and is not a zombie.
tb__running() {
    kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# tb_ovs_daemon_pid NAME: pid of our ovsdb-server / ovs-vswitchd, from its
# pidfile, only if that process still is what we started.
tb_ovs_daemon_pid() {
    _od_pid=$(cat "$TB_OVS/$1.pid" 2>/dev/null) || return 1
    [ -n "$_od_pid" ] && tr '\0' ' ' < "/proc/$_od_pid/cmdline" 2>/dev/null |
        grep -qF -- "$TB_OVS/" || return 1
    echo "$_od_pid"
}

# tb_ovs_daemon_stop NAME [SIGNAL]: stop one OVS daemon by its pid.
tb_ovs_daemon_stop() {
    _od=$(tb_ovs_daemon_pid "$1") || return 0
    kill -"${2:-TERM}" "$_od" 2>/dev/null
    _od_i=0
    while tb__running "$_od" && [ $_od_i -lt 100 ]; do sleep 0.05; _od_i=$((_od_i + 1)); done
    tb__running "$_od" && kill -KILL "$_od" 2>/dev/null
    rm -f "$TB_OVS/$1.pid"
    return 0
}
tb_vswitchd_kill() { tb_ovs_daemon_stop ovs-vswitchd "${1:-KILL}"; }
tb_ovs_stop() { tb_ovs_daemon_stop ovs-vswitchd; tb_ovs_daemon_stop ovsdb-server; }

# tb_dpid N: N (decimal or 0x hex) as 16 hex digits.
tb_dpid() { printf '%016x' "$1"; }

# tb_bridge_add NAME DPID [TARGET]: a netdev bridge, fail-mode=secure,
# OpenFlow13 only, connected out-of-band to TARGET (default matflowd's
# tcp:127.0.0.1:$TB_OF_PORT). The controller is set in the same transaction,
# before any flow (the first set-controller flushes the flow table).
tb_bridge_add() {
    tb_vsctl add-br "$1" -- set bridge "$1" datapath_type=netdev fail-mode=secure \
        protocols=OpenFlow13 other-config:datapath-id="$(tb_dpid "$2")" \
        other-config:disable-in-band=true \
        -- set-controller "$1" "${3:-tcp:127.0.0.1:$TB_OF_PORT}" \
        -- set controller "$1" connection-mode=out-of-band max_backoff=1000 \
        || tb_die "add-br $1"
}

# tb_port_add_internal BR PORT OFPORT: an OVS internal port (a tap in $TB_NS).
tb_port_add_internal() {
    tb_vsctl add-port "$1" "$2" -- set interface "$2" type=internal ofport_request="$3" ||
        tb_die "add-port $1 $2"
}
# tb_port_add_tap BR PORT OFPORT: a persistent tap (as QEMU uses), a plain port.
tb_port_add_tap() {
    tb_ns ip tuntap add dev "$2" mode tap || tb_die "tuntap $2"
    tb_ns ip link set "$2" up
    tb_vsctl add-port "$1" "$2" -- set interface "$2" ofport_request="$3" ||
        tb_die "add-port $1 $2"
}
tb_port_del() { tb_vsctl del-port "$1" "$2"; }

# tb_ofport BR PORT: the OpenFlow port number OVS gave PORT.
tb_ofport() { tb_vsctl get interface "$2" ofport; }

# ---------------------------------------------------------------- hosts
# tb_link_add NS IFNAME BR PORT OFPORT [ADDR/PLEN] [MAC]: a veth pair: IFNAME
# in namespace NS (made by tb_host_add / tb_router_add), PORT on bridge BR as
# OpenFlow port OFPORT. Transmit checksum offload off on both ends (else TCP
# and UDP through the userspace datapath fail).
tb_link_add() {
    _la_ns=$(tb_nsname "$1")
    tb_ns ip link add "$4" type veth peer name "$2" netns "$_la_ns" || tb_die "veth $4"
    tb_ns ip link set "$4" up
    tb_ns ethtool -K "$4" tx off >/dev/null 2>&1 || tb_log "ethtool -K $4 tx off failed"
    [ -n "${7:-}" ] && ip netns exec "$_la_ns" ip link set "$2" address "$7"
    ip netns exec "$_la_ns" ethtool -K "$2" tx off >/dev/null 2>&1 ||
        tb_log "ethtool -K $2 tx off failed"
    [ -n "${6:-}" ] && ip netns exec "$_la_ns" ip addr add "$6" dev "$2"
    ip netns exec "$_la_ns" ip link set "$2" up
    tb_vsctl add-port "$3" "$4" -- set interface "$4" ofport_request="$5" ||
        tb_die "add-port $3 $4"
}

# tb_veth_ns NS1 IF1 NS2 IF2 [MAC1] [MAC2]: a veth pair straight between two
# namespaces (no switch in between), both ends up, tx checksum offload off.
tb_veth_ns() {
    _vn_a=$(tb_nsname "$1"); _vn_b=$(tb_nsname "$3")
    ip netns exec "$_vn_a" ip link add "$2" type veth peer name "$4" netns "$_vn_b" ||
        tb_die "veth $1/$2 - $3/$4"
    [ -n "${5:-}" ] && ip netns exec "$_vn_a" ip link set "$2" address "$5"
    [ -n "${6:-}" ] && ip netns exec "$_vn_b" ip link set "$4" address "$6"
    for _vn in "$_vn_a:$2" "$_vn_b:$4"; do
        ip netns exec "${_vn%%:*}" ethtool -K "${_vn#*:}" tx off >/dev/null 2>&1 ||
            tb_log "ethtool -K ${_vn#*:} tx off failed"
        ip netns exec "${_vn%%:*}" ip link set "${_vn#*:}" up
    done
}

# tb_host_add NAME BR OFPORT ADDR/PLEN [GATEWAY] [MAC]: a host namespace
# ($TB_PREFIX-NAME) whose eth0 is port OFPORT of bridge BR (OVS side named
# $TB_PREFIX-NAME too, cut to 15 characters).
tb_host_add() {
    _h_ns=$(tb_nsname "$1")
    tb_netns_add "$_h_ns"
    tb_link_add "$_h_ns" eth0 "$2" "$(tb_ifname "$1")" "$3" "$4" "${6:-}"
    [ -n "${5:-}" ] && ip netns exec "$_h_ns" ip route add default via "$5"
    return 0
}
tb_ifname() { printf '%s' "$TB_PREFIX$1" | cut -c1-15; }

# tb_router_add NAME: a router namespace (ip_forward=1, rp_filter=0: see
# DESIGN.md); give it links with tb_link_add NAME IFNAME BR PORT OFPORT ADDR.
tb_router_add() {
    _r_ns=$(tb_nsname "$1")
    tb_netns_add "$_r_ns"
    ip netns exec "$_r_ns" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
        net.ipv4.conf.default.rp_filter=0
}

# ---------------------------------------------------------------- matflow
# tb_matflowd_start [ARGS...]: start $MATFLOWD in the run's namespace,
# listening on 127.0.0.1:$TB_OF_PORT with its API at $TB_API; log in
# $TB_RUN/matflowd.log; waits until it listens.
tb_matflowd_start() {
    [ -x "$MATFLOWD" ] || tb_die "no matflowd at $MATFLOWD (run make)"
    tb_bg matflowd "$MATFLOWD" --listen "tcp:127.0.0.1:$TB_OF_PORT" --api "$TB_API" \
        --log-level debug "$@"
    tb_wait 10 tb__listening || { cat "$TB_RUN/matflowd.log" >&2; tb_die "matflowd did not start"; }
}
tb__listening() {
    tb_alive matflowd || return 1
    grep -qF "listening on" "$TB_RUN/matflowd.log" && [ -S "$TB_API" ]
}
tb_matflowctl() { "$MATFLOWCTL" --api "$TB_API" "$@"; }

# tb_wait_ready TIMEOUT DPID...: wait until matflowd logged "switch DPID
# ready" for each (DPID as a number).
tb_wait_ready() {
    _wr_t=$1; shift
    for _wr_d in "$@"; do
        tb_wait_log "$TB_RUN/matflowd.log" "switch $(tb_dpid "$_wr_d") ready" "$_wr_t" || return 1
    done
}

# ---------------------------------------------------------------- capture
# tb_capture_start NAME IFACE FILTER: capture on IFACE in the run's namespace
# into $TB_RUN/NAME.pcapng (dumpcap, from tshark's package).
tb_capture_start() {
    command -v dumpcap >/dev/null 2>&1 || tb_die "dumpcap not found (tshark)"
    tb_bg "$1" dumpcap -q -i "$2" -f "$3" -w "$TB_RUN/$1.pcapng"
    tb_wait 10 tb__capturing "$1" || { cat "$TB_RUN/$1.log" >&2; tb_die "capture $1 did not start"; }
}
tb__capturing() { tb_alive "$1" && grep -q "Capturing on" "$TB_RUN/$1.log" && [ -s "$TB_RUN/$1.pcapng" ]; }
tb_capture_stop() { tb_stop "$1" INT 5 || true; }

# ---------------------------------------------------------------- teardown
# tb_teardown: end every process of the run (by PID), remove its namespaces
# and its run directory. Safe to call twice.
tb_teardown() {
    _td_rc=$?
    # Finish the teardown even if more signals come (timeout(1) sends TERM to
    # the whole process group, a person may press Ctrl-C twice).
    trap '' INT TERM HUP
    trap - EXIT
    [ -n "${TB_RUN:-}" ] && [ -d "$TB_RUN" ] || return $_td_rc
    # Processes we started with tb_bg (matflowd, captures, ...), newest first.
    for _td_f in $(tac "$TB_RUN/started" 2>/dev/null); do
        [ -f "$TB_RUN/pids/$_td_f" ] || continue
        if grep -q dumpcap "/proc/$(tb_pid "$_td_f")/cmdline" 2>/dev/null; then
            tb_stop "$_td_f" INT 3      # dumpcap finishes its file on SIGINT
        else
            tb_stop "$_td_f" TERM 3
        fi
    done
    [ -d "$TB_OVS" ] && tb_ovs_stop
    # Anything still running inside our namespaces was started by this run.
    for _td_ns in $(cat "$TB_RUN/namespaces" 2>/dev/null); do
        for _td_p in $(ip netns pids "$_td_ns" 2>/dev/null); do
            tb_log "killing pid $_td_p left in $_td_ns"
            kill -KILL "$_td_p" 2>/dev/null
        done
    done
    for _td_ns in $(cat "$TB_RUN/namespaces" 2>/dev/null); do
        ip netns del "$_td_ns" 2>/dev/null
    done
    if [ -n "${TB_ARTIFACTS:-}" ]; then
        mkdir -p "$TB_ARTIFACTS"
        for _td_f in "$TB_RUN"/*.log "$TB_RUN"/*.pcapng "$TB_RUN"/*.txt "$TB_RUN"/*.json \
                "$TB_OVS"/*.log; do
            [ -f "$_td_f" ] && cp "$_td_f" "$TB_ARTIFACTS/" 2>/dev/null
        done
    fi
    if [ "${TB_KEEP:-0}" = 1 ]; then
        tb_log "kept $TB_RUN"
    else
        rm -rf "$TB_RUN"
    fi
    TB_RUN=
    return $_td_rc
}

# ---------------------------------------------------------------- by hand
# A testbed a person builds with one command and removes with another
# (tests/lib/topology.sh up / down) outlives the shell that made it.
# tb_hold: keep the run: no teardown when this shell exits; its variables go
# to $TB_RUN/env; tb_reap_stale leaves a held run alone.
# shellcheck disable=SC2119  # no extra variables here
tb_hold() {
    tb_save_env
    echo "$TB_PREFIX" > "$TB_RUN/held"
    trap - EXIT INT TERM HUP
}
# tb_save_env: the run's variables, as sh assignments, in $TB_RUN/env (plus
# any extra variable names given as arguments).
# shellcheck disable=SC2120,SC2154  # optional arguments; _se_x is set by eval
tb_save_env() {
    for _se_v in TB_ROOT TB_PREFIX TB_NS TB_RUN TB_OVS TB_API TB_OF_PORT MATFLOWD MATFLOWCTL "$@"; do
        eval "_se_x=\${$_se_v:-}"
        printf "%s='%s'\n" "$_se_v" "$_se_x"
    done > "$TB_RUN/env"
}
# tb_attach RUNDIR: use a held run from another shell (its variables; call
# tb_teardown to remove it).
tb_attach() {
    [ -f "$1/env" ] || tb_die "no testbed at $1 (no env file)"
    # shellcheck disable=SC1091
    . "$1/env"
    TB_NAMESPACES=$(cat "$TB_RUN/namespaces" 2>/dev/null)
}
# tb_held_runs: run directories of held testbeds, newest first.
tb_held_runs() {
    ls -dt "${TB_RUNBASE:-${TMPDIR:-/tmp}}"/matflow-*/ 2>/dev/null | while read -r _hr_d; do
        [ -f "$_hr_d/held" ] && echo "${_hr_d%/}"
    done
}

# tb_reap_stale: remove what an earlier run killed with SIGKILL left behind:
# namespaces named mf<pid>-* and run directories whose run's shell <pid> is
# gone. Processes still
# inside such a namespace were started by that run; they are ended by PID.
tb_reap_stale() {
    _rs_held=$(cat "${TB_RUNBASE:-${TMPDIR:-/tmp}}"/matflow-*/held 2>/dev/null)
    for _rs_ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^mf[0-9a-f]+-'); do
        _rs_pid=$(printf '%d' "0x$(echo "$_rs_ns" | sed 's/^mf\([0-9a-f]*\)-.*/\1/')")
        kill -0 "$_rs_pid" 2>/dev/null && continue
        # A held testbed (tb_hold) outlives its shell on purpose.
        printf '%s\n' "$_rs_held" | grep -qx "${_rs_ns%%-*}" && continue
        tb_log "removing stale namespace $_rs_ns"
        for _rs_p in $(ip netns pids "$_rs_ns" 2>/dev/null); do kill -KILL "$_rs_p" 2>/dev/null; done
        ip netns del "$_rs_ns" 2>/dev/null
    done
    # Run directories whose owner is gone (the pid file says who made it).
    for _rs_f in "${TB_RUNBASE:-${TMPDIR:-/tmp}}"/matflow-*/owner.pid; do
        [ -f "$_rs_f" ] || continue
        _rs_pid=$(cat "$_rs_f" 2>/dev/null)
        [ -n "$_rs_pid" ] && kill -0 "$_rs_pid" 2>/dev/null && continue
        [ -f "${_rs_f%/owner.pid}/held" ] && continue
        tb_log "removing stale run directory ${_rs_f%/owner.pid}"
        rm -rf "${_rs_f%/owner.pid}"
    done
}
