# shellcheck shell=sh
# topology.sh - the reference testbed (the MAT paper's Figure 1, made real), as
# examples/testbed.yaml describes it. See docs/TESTBED.md.
#
#            CN 10.3.0.20 (s3 port 2)          legacy CN 10.4.0.20 (no OFS)
#                 |                                   |
#              [s3 dpid 3] site3 10.3.0.0/24          | 10.4.0.0/24
#                 | port 1                            |
#   ------------- LR (10.1.0.1 10.2.0.1 10.3.0.1 10.4.0.1) -------------
#                 | port 1                            | port 1
#              [s1 dpid 1] site1 10.1.0.0/24       [s2 dpid 2] site2 10.2.0.0/24
#                 | port 10                           | port 11
#              MN 10.1.0.10 52:54:00:12:34:56      MN2 10.2.0.10 52:54:00:00:00:02
#
# Hypervisor ports 10, 11, 12 on every site (where a VM may appear).
#
# As a library (POSIX sh or bash, root), after sourcing tests/lib/testbed.sh:
#   . tests/lib/topology.sh
#   topo_up                   # tb_init, matflowd, OVS, LR, bridges, hosts
#   topo_wait_ready 15        # the 3 switches ready (matflowctl switches --json)
#   topo_in mn ping -c1 10.1.0.1
#   topo_migrate mn site2     # move the MN's port to s2 port 10, send RARPs
#   ...                       # everything goes at exit (tb_teardown)
# By hand:
#   tests/lib/topology.sh up          # build it and leave it running
#   tests/lib/topology.sh status      # switches, sites, bindings, flows
#   tests/lib/topology.sh migrate mn site2 [PORT]
#   tests/lib/topology.sh exec mn ping 10.3.0.20
#   tests/lib/topology.sh ctl bindings     # matflowctl --api ... bindings
#   tests/lib/topology.sh flows [site1]    # ovs-ofctl dump-flows
#   tests/lib/topology.sh down        # remove it (processes, namespaces, run dir)
#
# Variables (set before topo_up):
#   MATFLOWD      default build-san/bin/matflowd if present (and not older than
#                 build/bin/matflowd), else build/bin/matflowd
#   MATFLOWCTL    default build/bin/matflowctl
#   TOPO_CONFIG   default examples/testbed.yaml
#   TOPO_MN2=0    leave out the second mobile node
#   TOPO_HCN=1    add a host on the MN's home site: HCN 10.1.0.20/24 on s1
#                 port 2 (not a hypervisor port), MAC 02:00:00:00:01:14
#   TOPO_NO_MATFLOWD=1   no controller (the bridges get no flows; see
#                 topo_flows_normal for a plain L2 check of the wiring)
#   TOPO_MATFLOWD_ARGS   extra arguments for matflowd (e.g. "--log-level debug")
#   TOPO_WAN_DELAY_MS    one-way delay between any two sites: each site's
#                 uplink to LR passes a delaying forwarder (build/tests/pktdelay)
# Sets: TOPO_DB (the binding database), TB_API (the control socket), and the
# testbed.sh variables (TB_RUN, TB_PREFIX, ...).

if [ -z "${TB_ROOT:-}" ]; then
    for _tp_d in "$(dirname "$0")/../.." "$(dirname "$0")/.."; do
        [ -f "$_tp_d/tests/lib/topology.sh" ] && TB_ROOT=$(cd "$_tp_d" && pwd) && break
    done
fi
# shellcheck source=testbed.sh
command -v tb_init >/dev/null 2>&1 || . "$TB_ROOT/tests/lib/testbed.sh"

TOPO_PY=/usr/bin/python3
TOPO_LIB=$TB_ROOT/tests/lib
TOPO_CONFIG=${TOPO_CONFIG:-$TB_ROOT/examples/testbed.yaml}

# ---------------------------------------------------------------- the plan
# Addresses, as in examples/testbed.yaml (sites) and docs/TESTBED.md (hosts).
# LR's interface to site N has MAC 02:00:00:00:0N:01 (N = 4: legacy link).
TOPO_MN_MAC=52:54:00:12:34:56
TOPO_MN2_MAC=52:54:00:00:00:02
TOPO_CN_MAC=02:00:00:00:03:14
TOPO_LCN_MAC=02:00:00:00:04:14
TOPO_HCN_MAC=02:00:00:00:01:14

# topo_gw_mac N: the router's MAC on site N's link (N = 4: legacy link)
topo_gw_mac() { printf '02:00:00:00:%02x:01' "$(topo_site_no "$1")"; }
# topo_site_no SITE: 1..3 from site1 / s1 / 1
topo_site_no() { echo "$1" | sed 's/^site//; s/^s//'; }
topo_br() { echo "${TB_PREFIX}s$(topo_site_no "$1")"; }
# topo_node_ip NODE: a node's address (without prefix length)
topo_node_ip() {
    case $1 in
        mn) echo 10.1.0.10 ;; mn2) echo 10.2.0.10 ;; cn) echo 10.3.0.20 ;;
        lcn) echo 10.4.0.20 ;; hcn) echo 10.1.0.20 ;; lr) echo 10.1.0.1 ;; *) return 1 ;;
    esac
}
topo_node_mac() {
    case $1 in
        mn) echo $TOPO_MN_MAC ;; mn2) echo $TOPO_MN2_MAC ;; cn) echo $TOPO_CN_MAC ;;
        lcn) echo $TOPO_LCN_MAC ;; hcn) echo $TOPO_HCN_MAC ;; *) return 1 ;;
    esac
}

# topo_matflowd_default: pick the daemon as described above.
topo_matflowd_default() {
    _md_s=$TB_ROOT/build-san/bin/matflowd _md_b=$TB_ROOT/build/bin/matflowd
    if [ -x "$_md_s" ] && { [ ! -e "$_md_b" ] || [ -z "$(find "$_md_b" -newer "$_md_s")" ]; }; then
        echo "$_md_s"
    else
        [ -x "$_md_s" ] && tb_log "build-san/bin/matflowd is older than build/bin/matflowd: using the latter"
        echo "$_md_b"
    fi
}

# ---------------------------------------------------------------- build
# topo_up: the whole testbed. matflowd first (OVS backs off for up to 8 s
# when its controller is not there yet), then OVS, the router, the bridges,
# the hosts. Does not wait for the switches (topo_wait_ready).
topo_up() {
    MATFLOWD=${MATFLOWD:-$(topo_matflowd_default)}
    MATFLOWCTL=${MATFLOWCTL:-$TB_ROOT/build/bin/matflowctl}
    [ -n "${TB_RUN:-}" ] || tb_init topo
    TB_API=$TB_RUN/api.sock
    TOPO_DB=$TB_RUN/state.db
    P=$TB_PREFIX
    [ "${TOPO_NO_MATFLOWD:-0}" = 1 ] || topo_matflowd_start
    tb_ovs_start

    # The legacy router: plain Linux, loose reverse-path filter (the hairpin to
    # a legacy CN and the MN's replies with source HoA come in on another link
    # than a strict check expects), no redirects either way.
    tb_router_add lr
    topo_lr_sysctl all
    topo_lr_sysctl default
    for _tu_i in 1 2 3; do
        tb_bridge_add "${P}s$_tu_i" "$_tu_i"
        if [ -n "${TOPO_WAN_DELAY_MS:-}" ]; then
            topo_wan_link_add "$_tu_i"
        else
            tb_link_add lr "site$_tu_i" "${P}s$_tu_i" "${P}u$_tu_i" 1 "10.$_tu_i.0.1/24" \
                "$(topo_gw_mac $_tu_i)"
        fi
    done
    tb_netns_add "$(tb_nsname lcn)"
    tb_veth_ns lr legacy lcn eth0 "$(topo_gw_mac 4)" "$TOPO_LCN_MAC"
    tb_in lr ip addr add 10.4.0.1/24 dev legacy
    tb_in lcn ip addr add 10.4.0.20/24 dev eth0
    tb_in lcn ip route add default via 10.4.0.1
    for _tu_if in site1 site2 site3 legacy; do topo_lr_sysctl "$_tu_if"; done

    tb_host_add cn "${P}s3" 2 10.3.0.20/24 10.3.0.1 "$TOPO_CN_MAC"
    tb_host_add mn "${P}s1" 10 10.1.0.10/24 10.1.0.1 "$TOPO_MN_MAC"
    if [ "${TOPO_MN2:-1}" = 1 ]; then
        tb_host_add mn2 "${P}s2" 11 10.2.0.10/24 10.2.0.1 "$TOPO_MN2_MAC"
    fi
    if [ "${TOPO_HCN:-0}" = 1 ]; then
        tb_host_add hcn "${P}s1" 2 10.1.0.20/24 10.1.0.1 "$TOPO_HCN_MAC"
    fi
    tb_save_env TOPO_DB TOPO_CONFIG
}

# topo_wan_link_add N: site N's uplink through a wide-area stand-in: the
# bridge's port 1 is a veth into namespace wanN, where build/tests/pktdelay
# forwards every frame to a second veth into LR, TOPO_WAN_DELAY_MS / 2 later
# each way; two sites are TOPO_WAN_DELAY_MS apart (one way).
topo_wan_link_add() {
    _tw_ns=$(tb_nsname "wan$1")
    tb_netns_add "$_tw_ns"
    tb_link_add "wan$1" in "${P}s$1" "${P}u$1" 1
    tb_veth_ns "wan$1" out lr "site$1" "" "$(topo_gw_mac "$1")"
    tb_in lr ip addr add "10.$1.0.1/24" dev "site$1"
    for _tw_if in in out; do
        tb_in "wan$1" ethtool -K "$_tw_if" gro off gso off tso off >/dev/null 2>&1 || true
    done
    _tw_half=$(awk -v d="$TOPO_WAN_DELAY_MS" 'BEGIN { printf "%.3f", d / 2 }')
    echo "$_tw_half" > "$TB_RUN/wan-delay"
    tb_bg_in "wan$1" "pktdelay-wan$1" "$TB_ROOT/build/tests/pktdelay" in out "$_tw_half" \
        "$TB_RUN/wan-delay"
    tb_wait 5 tb__log_has "$TB_RUN/pktdelay-wan$1.log" "pktdelay:" 1 ||
        tb_die "pktdelay on site $1's uplink did not start (see $TB_RUN/pktdelay-wan$1.log)"
}

# topo_wan_delay MS: change the one-way delay between sites (a testbed built
# with TOPO_WAN_DELAY_MS); frames already on the way keep theirs.
topo_wan_delay() {
    awk -v d="$1" 'BEGIN { printf "%.3f\n", d / 2 }' > "$TB_RUN/wan-delay"
    for _tw_i in 1 2 3; do
        kill -HUP "$(tb_pid "pktdelay-wan$_tw_i")" || tb_die "pktdelay-wan$_tw_i is not running"
    done
}

# topo_lr_sysctl IFACE|all|default
topo_lr_sysctl() {
    tb_in lr sysctl -qw net.ipv4.ip_forward=1 "net.ipv4.conf.$1.rp_filter=0" \
        "net.ipv4.conf.$1.send_redirects=0" "net.ipv4.conf.$1.accept_redirects=0" ||
        tb_die "sysctl on LR ($1)"
}

# topo_in NODE CMD...: run CMD in a node's namespace (mn, mn2, cn, lcn, lr, hcn).
topo_in() { tb_in "$@"; }

# topo_flows_normal: plain L2 forwarding on every bridge (priority 0 NORMAL),
# to check the wiring without matflow's rules.
topo_flows_normal() {
    for _fn_i in 1 2 3; do
        echo 'priority=0,actions=NORMAL' | tb_ofctl add-flows "unix:$TB_OVS/${TB_PREFIX}s$_fn_i.mgmt" - ||
            return 1
    done
}

# topo_dump_flows SITE: the switch's flows (ovs-ofctl -O OpenFlow13 dump-flows).
topo_dump_flows() { tb_ofctl dump-flows "unix:$TB_OVS/$(topo_br "$1").mgmt"; }

# ---------------------------------------------------------------- matflowd
# topo_matflowd_start: matflowd with the testbed's config, its own database
# and control socket, in the run's namespace; waits until it listens. An
# earlier log is kept as matflowd-N.log (a restart).
topo_matflowd_start() {
    [ -x "$MATFLOWD" ] || tb_die "no matflowd at $MATFLOWD (run make)"
    if [ -f "$TB_RUN/matflowd.log" ]; then
        _ms_n=1
        while [ -f "$TB_RUN/matflowd-$_ms_n.log" ]; do _ms_n=$((_ms_n + 1)); done
        mv "$TB_RUN/matflowd.log" "$TB_RUN/matflowd-$_ms_n.log"
    fi
    # shellcheck disable=SC2086  # TOPO_MATFLOWD_ARGS: words on purpose
    tb_bg matflowd "$MATFLOWD" --config "$TOPO_CONFIG" --database "$TOPO_DB" --api "$TB_API" \
        ${TOPO_MATFLOWD_ARGS:-}
    tb_wait 10 tb__listening || { cat "$TB_RUN/matflowd.log" >&2; tb_die "matflowd did not start"; }
}
# topo_matflowd_stop [SIGNAL]: stop it (TERM); returns its exit status.
topo_matflowd_stop() { tb_stop matflowd "${1:-TERM}" 10; }

# topo_switches_ready: matflowctl switches --json lists dpids 1, 2, 3 ready.
topo_switches_ready() {
    tb_matflowctl switches --json 2>/dev/null | "$TOPO_PY" -c '
import json, sys
d = json.load(sys.stdin)
ready = {int(s["dpid"], 16) for s in d.get("switches", []) if s.get("state") == "ready" and s.get("dpid")}
sys.exit(0 if {1, 2, 3} <= ready else 1)'
}
# topo_wait_ready TIMEOUT: wait for the three switches.
topo_wait_ready() { tb_wait "${1:-15}" topo_switches_ready; }
# topo_gateways_known: matflowd learned every site's gateway MAC (a move
# before that is refused: the rules need them).
topo_gateways_known() {
    tb_matflowctl sites --json 2>/dev/null | "$TOPO_PY" -c '
import json, sys
sys.exit(0 if all(s["gateway_mac"] for s in json.load(sys.stdin)["sites"]) else 1)'
}

# ---------------------------------------------------------------- migration
# topo_migrate [-b] NODE SITE [PORT]: move NODE's link to SITE's bridge as
# hypervisor port PORT (default 10) in one OVS transaction (del-port,
# add-port, ofport_request), then send QEMU's 5 RARPs from inside NODE's
# namespace (tests/lib/rarp.py, already started and waiting, so the first
# RARP leaves about a millisecond after the move). Without -b it returns after
# the last RARP (0.8 s); with -b at once, the RARPs still going out.
# Sets TOPO_MOVE_T0 / TOPO_MOVE_T1 (before / after the OVS transaction, UNIX
# seconds) and TOPO_RARP_LOG (rarp.py's output: a JSON line per RARP; see
# topo_rarp_time). Each move is appended to $TB_RUN/moves:
#   NODE SITE PORT T0 T1 RARP_LOG
topo_migrate() {
    _mg_bg=
    [ "$1" = -b ] && { _mg_bg=-b; shift; }
    topo_migrate_many $_mg_bg "$1:$2:${3:-10}"
}

# topo_migrate_many [-b] NODE:SITE[:PORT]...: several nodes at the same moment
# (one OVS transaction, then every node's RARPs at once).
topo_migrate_many() {
    _mm_bg=0
    [ "$1" = -b ] && { _mm_bg=1; shift; }
    _mm_vs="" _mm_nodes=""
    _mm_k=$( (wc -l < "$TB_RUN/moves") 2>/dev/null || echo 0)
    for _mm_spec in "$@"; do
        _mm_node=${_mm_spec%%:*}; _mm_rest=${_mm_spec#*:}
        _mm_site=${_mm_rest%%:*}; _mm_port=${_mm_rest#*:}
        case $_mm_site in
            site1|site2|site3|s1|s2|s3) ;;
            *) tb_log "no such site: $_mm_site (site1, site2 or site3)"; return 2 ;;
        esac
        [ "$_mm_port" = "$_mm_rest" ] && _mm_port=10
        _mm_if=$(tb_ifname "$_mm_node")
        _mm_old=$(tb_vsctl port-to-br "$_mm_if") || tb_die "$_mm_if is on no bridge"
        _mm_vs="$_mm_vs -- del-port $_mm_old $_mm_if -- add-port $(topo_br "$_mm_site") $_mm_if -- set interface $_mm_if ofport_request=$_mm_port"
        _mm_k=$((_mm_k + 1))
        _mm_name=rarp-$_mm_node-$_mm_k
        rm -f "$TB_RUN/$_mm_name.fifo"; mkfifo "$TB_RUN/$_mm_name.fifo"
        tb_bg_in "$_mm_node" "$_mm_name" "$TOPO_PY" "$TOPO_LIB/rarp.py" --iface eth0 \
            --trigger "$TB_RUN/$_mm_name.fifo"
        _mm_nodes="$_mm_nodes $_mm_node:$_mm_site:$_mm_port:$_mm_name"
    done
    for _mm_x in $_mm_nodes; do
        _mm_name=${_mm_x##*:}
        tb_wait 5 grep -qx ready "$TB_RUN/$_mm_name.log" ||
            { cat "$TB_RUN/$_mm_name.log" >&2; tb_die "rarp.py did not start"; }
    done
    TOPO_MOVE_T0=$(date +%s.%6N)
    # shellcheck disable=SC2086  # the transaction: words on purpose
    tb_vsctl ${_mm_vs# -- } || tb_die "moving ports:$_mm_vs"
    TOPO_MOVE_T1=$(date +%s.%6N)
    for _mm_x in $_mm_nodes; do echo go > "$TB_RUN/${_mm_x##*:}.fifo"; done
    for _mm_x in $_mm_nodes; do
        _mm_name=${_mm_x##*:}
        TOPO_RARP_LOG=$TB_RUN/$_mm_name.log
        echo "$(echo "$_mm_x" | cut -d: -f1-3 | tr : ' ') $TOPO_MOVE_T0 $TOPO_MOVE_T1 $TOPO_RARP_LOG" >> "$TB_RUN/moves"
        if [ "$_mm_bg" = 0 ]; then
            topo_rarp_wait "$TOPO_RARP_LOG" 5 3 || tb_log "$_mm_name: not all RARPs sent"
            tb_stop "$_mm_name" TERM 1
        fi
    done
    return 0
}

# topo_rarp_wait LOG [N] [TIMEOUT]: wait until rarp.py logged its Nth (5th) RARP.
topo_rarp_wait() {
    tb_wait "${3:-3}" sh -c "grep -c '\"rarp\"' '$1' | grep -qx '${2:-5}'"
}
# topo_rarp_time LOG [N]: UNIX time of the Nth (first) RARP in a rarp.py log.
topo_rarp_time() {
    sed -n "s/.*\"rarp\": ${2:-1}, \"t\": \([0-9.]*\).*/\1/p" "$1"
}

# ---------------------------------------------------------------- traffic
# topo_tcp_start NAME SERVER_NODE PORT CLIENT_NODE [RATE]: a verified TCP
# stream (tests/lib/traffic.py) between two nodes; status in $TB_RUN/NAME-*.json.
topo_tcp_start() {
    _ts_ip=$(topo_node_ip "$2")
    tb_bg_in "$2" "$1-server" "$TOPO_PY" "$TOPO_LIB/traffic.py" tcp-server \
        --listen "$_ts_ip:$3" --status "$TB_RUN/$1-server.json" --rate "${5:-200000}"
    tb_wait 5 test -f "$TB_RUN/$1-server.json" || tb_die "traffic server $1 did not start"
    tb_bg_in "$4" "$1-client" "$TOPO_PY" "$TOPO_LIB/traffic.py" tcp-client \
        --connect "$_ts_ip:$3" --status "$TB_RUN/$1-client.json" --rate "${5:-200000}"
}
# topo_tcp_get NAME SIDE KEY: a number or word from a stream's status.
topo_tcp_get() {
    sed -n "s/.*\"$3\": \"\{0,1\}\([^,\"}]*\).*/\1/p" "$TB_RUN/$1-$2.json" 2>/dev/null
}
# topo_tcp_wait NAME MIN_BYTES TIMEOUT: both sides have received MIN_BYTES.
topo_tcp_wait() {
    tb_wait "$3" topo__tcp_has "$1" "$2"
}
topo__tcp_has() {
    _th_c=$(topo_tcp_get "$1" client received) _th_s=$(topo_tcp_get "$1" server received)
    [ -n "$_th_c" ] && [ -n "$_th_s" ] && [ "$_th_c" -ge "$2" ] && [ "$_th_s" -ge "$2" ]
}
# topo_tcp_stop NAME: stop the client, then the server; 0 if both ended ok.
topo_tcp_stop() {
    tb_stop "$1-client" TERM 6; _tp_c=$?
    tb_stop "$1-server" TERM 6; _tp_s=$?
    [ $_tp_c -eq 0 ] && [ $_tp_s -eq 0 ]
}

# topo_udp_start NAME NODE_A NODE_B PORT: UDP probes every ms both ways;
# arrivals in $TB_RUN/NAME-A.bin (what A received, i.e. B -> A) and -B.bin.
topo_udp_start() {
    _us_a=$(topo_node_ip "$2") _us_b=$(topo_node_ip "$3")
    tb_bg_in "$2" "$1-$2" "$TOPO_PY" "$TOPO_LIB/traffic.py" udp --bind "$_us_a:$4" \
        --peer "$_us_b:$4" --out "$TB_RUN/$1-$2.bin" --status "$TB_RUN/$1-$2.json"
    tb_bg_in "$3" "$1-$3" "$TOPO_PY" "$TOPO_LIB/traffic.py" udp --bind "$_us_b:$4" \
        --peer "$_us_a:$4" --out "$TB_RUN/$1-$3.bin" --status "$TB_RUN/$1-$3.json"
}
topo_udp_stop() { tb_stop "$1-$2" TERM 3; tb_stop "$1-$3" TERM 3; }
# topo_udp_report NAME RECEIVER_NODE MOVE_T0 MOVE_T1 RARP_T: JSON (traffic.py udp-report)
topo_udp_report() {
    "$TOPO_PY" "$TOPO_LIB/traffic.py" udp-report --arrivals "$TB_RUN/$1-$2.bin" \
        --move-start "$3" --move-end "$4" --rarp "$5"
}

# ---------------------------------------------------------------- by hand
topo_usage() {
    cat <<'EOF'
usage: tests/lib/topology.sh COMMAND    (as root)
  up                      build the reference testbed and leave it running
  down [RUNDIR]           remove it (every process by PID, namespaces, run dir)
  status                  switches, sites, bindings (matflowctl) and flows
  env                     the testbed's variables (sh assignments)
  ctl ARGS...             matflowctl --api <the testbed's socket> ARGS...
  exec NODE CMD...        run CMD in mn, mn2, cn, lcn or lr
  migrate NODE SITE [PORT]   move NODE's port to SITE (site1..3), send RARPs
  flows [SITE]            ovs-ofctl -O OpenFlow13 dump-flows (every switch)
EOF
}

topo_main() {
    _tm_cmd=${1:-}; [ $# -gt 0 ] && shift
    case $_tm_cmd in
        up)
            # shellcheck disable=SC2034  # read by tb_teardown
            TB_ARTIFACTS=
            topo_up
            topo_wait_ready 15 || tb_log "warning: the switches are not all ready yet"
            tb_wait 10 topo_gateways_known || tb_log "warning: gateway MACs not all learned yet"
            tb_hold
            echo "testbed up: run dir $TB_RUN, prefix $TB_PREFIX"
            echo "  matflowctl: $MATFLOWCTL --api $TB_API switches"
            echo "  remove it:  $0 down"
            ;;
        down)
            _tm_run=${1:-$(tb_held_runs | head -n 1)}
            [ -n "$_tm_run" ] || tb_die "no held testbed found"
            tb_attach "$_tm_run"
            rm -f "$TB_RUN/held"
            tb_teardown
            echo "testbed $_tm_run removed"
            ;;
        status|env|ctl|exec|migrate|flows)
            _tm_run=${TOPO_RUN:-$(tb_held_runs | head -n 1)}
            [ -n "$_tm_run" ] || tb_die "no held testbed found (tests/lib/topology.sh up)"
            tb_attach "$_tm_run"
            case $_tm_cmd in
                env) cat "$TB_RUN/env" ;;
                ctl) tb_matflowctl "$@" ;;
                exec) tb_in "$@" ;;
                migrate) topo_migrate "$@" && cat "$TOPO_RARP_LOG" ;;
                flows)
                    for _tm_s in ${1:-site1 site2 site3}; do
                        echo "== $_tm_s ($(topo_br "$_tm_s"))"; topo_dump_flows "$_tm_s"
                    done ;;
                status)
                    for _tm_c in switches sites bindings; do
                        echo "== matflowctl $_tm_c"; tb_matflowctl "$_tm_c" 2>&1
                    done
                    for _tm_s in site1 site2 site3; do
                        echo "== flows $_tm_s"; topo_dump_flows "$_tm_s"
                    done ;;
            esac
            ;;
        *) topo_usage; [ -z "$_tm_cmd" ] || [ "$_tm_cmd" = -h ] || [ "$_tm_cmd" = --help ] || exit 2 ;;
    esac
}

# Run as a command (not sourced):
case ${0##*/} in
    topology.sh) topo_main "$@" ;;
esac
