#!/bin/bash
# run.sh - matflowd under valgrind memcheck on the reference testbed
# (tests/lib/topology.sh): the plain build (build/bin/matflowd, -O2 -g, no
# sanitizer) through one scenario, then SIGTERM; "no errors and no leaks"
# is the pass mark. `make check-valgrind`. TAP output. Root, Open vSwitch,
# valgrind. About 1-2 minutes.
#
# The scenario: the three switches connect; matflowctl switches, sites,
# bindings, stats, ping of each switch; the MN moves site1 -> site2 ->
# site3, is announced (`migrate`) to site2 and arrives there, returns home;
# `events`; then, at shutdown, what a daemon must free on its way out: two
# API clients still connected (one idle, one half-way through its request
# line) and a `ping` whose barrier reply never comes (ovs-vswitchd stopped
# with SIGSTOP). matflowd gets SIGTERM and must exit 0.
#
# valgrind runs with --leak-check=full --errors-for-leak-kinds=definite,indirect
# --error-exitcode=99 --track-origins=yes; its log is kept in
# build/test-logs/valgrind/valgrind.log (or $TB_ARTIFACTS/). Checks:
#   ok - ERROR SUMMARY: 0 errors            (invalid reads/writes, uninitialised
#                                            values, bad frees, and leaks)
#   ok - no definite or indirect leak       ("definitely lost", "indirectly lost")
#   ok - matflowd exited 0 after SIGTERM
# Environment: VG_MATFLOWD (default build/bin/matflowd: try an older or a
# patched daemon), MATFLOWCTL, VALGRIND_ARGS (extra valgrind arguments).
{
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export TB_ROOT="$ROOT"
# shellcheck source=../lib/testbed.sh
. "$ROOT/tests/lib/testbed.sh"
# shellcheck source=../lib/topology.sh
. "$ROOT/tests/lib/topology.sh"
VG_MATFLOWD=${VG_MATFLOWD:-$ROOT/build/bin/matflowd}
MATFLOWCTL=${MATFLOWCTL:-$ROOT/build/bin/matflowctl}
TB_ARTIFACTS=${TB_ARTIFACTS:-$ROOT/build/test-logs/valgrind}
PY=/usr/bin/python3
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { _d=$1; shift; if "$@"; then ok "$_d"; else not_ok "$_d"; fi; }
diag() { sed 's/^/# /'; }
finish() { echo "1..$n"; echo "$((n - failed)) passed, $failed failed"; exit $((failed > 0)); }

for b in "$VG_MATFLOWD" "$MATFLOWCTL"; do
    [ -x "$b" ] || { not_ok "$b is built (make)"; finish; }
done
command -v valgrind >/dev/null 2>&1 || { not_ok "valgrind is installed (apt-get install valgrind)"; finish; }
echo "# matflowd: $VG_MATFLOWD under $(valgrind --version)"

mn_field() {
    tb_matflowctl bindings --json | "$PY" -c '
import json, sys
b = [x for x in json.load(sys.stdin)["bindings"] if x["hoa"] == "10.1.0.10"]
print(b[0][sys.argv[1]] if b else "")' "$1"
}
mn_settled_at() { [ "$(mn_field site)" = "$1" ] && [ "$(mn_field update)" = 0 ]; }
# ctl_ok CMD...: matflowctl answers (exit 0).
ctl_ok() { tb_matflowctl "$@" > "$TB_RUN/ctl.out" 2>&1; }

tb_init vg
VG_LOG=$TB_RUN/valgrind.log
cat > "$TB_RUN/matflowd-valgrind" <<EOF
#!/bin/sh
# matflowd under memcheck; ip netns exec execs this, this execs valgrind:
# the pid tb_bg records is valgrind's, which gets the SIGTERM.
exec valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect \\
    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --track-origins=yes \\
    --num-callers=30 --log-file="$VG_LOG" ${VALGRIND_ARGS:-} "$VG_MATFLOWD" "\$@"
EOF
chmod +x "$TB_RUN/matflowd-valgrind"
MATFLOWD=$TB_RUN/matflowd-valgrind

# The testbed without its controller, then matflowd under valgrind, given
# more time to start than topo_matflowd_start allows.
# shellcheck disable=SC2034  # read by topo_up
TOPO_NO_MATFLOWD=1
topo_up
tb_bg matflowd "$MATFLOWD" --config "$TOPO_CONFIG" --database "$TOPO_DB" --api "$TB_API" \
    --log-level debug
if tb_wait 60 tb__listening; then
    ok "matflowd listens under valgrind"
else
    not_ok "matflowd listens under valgrind"; tail -n 20 "$TB_RUN/matflowd.log" "$VG_LOG" | diag
    finish
fi
check "the three switches are ready" topo_wait_ready 60
check "every site's gateway MAC is learned" tb_wait 30 topo_gateways_known
for c in switches sites bindings stats "ping 1" "ping 2" "ping 3"; do
    # shellcheck disable=SC2086  # words on purpose
    check "matflowctl $c" ctl_ok $c
done
check "matflowctl ping of an unknown dpid is refused" eval '! ctl_ok ping 99'
topo_in mn ping -c 1 -W 2 10.1.0.1 > /dev/null
topo_in mn2 ping -c 1 -W 2 10.2.0.1 > /dev/null
check "the MN is learned at home" tb_wait 20 mn_settled_at site1

topo_migrate mn site2
check "move site1 -> site2 done" tb_wait 20 mn_settled_at site2
topo_migrate mn site3
check "move site2 -> site3 done" tb_wait 20 mn_settled_at site3
check "matflowctl migrate 10.1.0.10 site2 (announcement)" ctl_ok migrate 10.1.0.10 site2
topo_migrate mn site2
check "announced move site3 -> site2 done" tb_wait 20 mn_settled_at site2
topo_migrate mn site1
check "return home done" tb_wait 20 mn_settled_at site1
check "matflowctl events lists the updates" \
    eval 'ctl_ok events --json && grep -q "\"trigger\"" "$TB_RUN/ctl.out"'
check "matflowctl stats after the moves" ctl_ok stats

# What must be freed at shutdown: clients still connected, a pending ping.
tb_bg idle-client "$PY" -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); print("connected", flush=True)
time.sleep(120)' "$TB_API"
tb_bg partial-client "$PY" -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.send(b"swi"); print("connected", flush=True)
time.sleep(120)' "$TB_API"
VSWITCHD=$(tb_ovs_daemon_pid ovs-vswitchd)
kill -STOP "$VSWITCHD"
tb_bg pending-ping "$MATFLOWCTL" --api "$TB_API" ping 1
check "two idle API clients connected" tb_wait 5 eval \
    'grep -q connected "$TB_RUN/idle-client.log" && grep -q connected "$TB_RUN/partial-client.log"'
sleep 1
check "the ping waits for a barrier reply that does not come" tb_alive pending-ping

t0=$(date +%s)
tb_stop matflowd TERM 120; rc=$?
kill -CONT "$VSWITCHD"
check "matflowd exited 0 after SIGTERM (exit $rc, $(($(date +%s) - t0)) s with the leak check)" \
    [ "$rc" = 0 ]
tb_stop pending-ping TERM 3

summary=$(grep -E "ERROR SUMMARY:" "$VG_LOG" | tail -n 1 | sed 's/^==[0-9]*== //')
definite=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$VG_LOG" | tail -n 1 | tr -d ,)
indirect=$(sed -n 's/.*indirectly lost: \([0-9,]*\) bytes.*/\1/p' "$VG_LOG" | tail -n 1 | tr -d ,)
echo "# valgrind: $summary"
grep -E "(definitely|indirectly|possibly) lost:|still reachable:|All heap blocks were freed" "$VG_LOG" |
    sed 's/^==[0-9]*== *//' | diag
if echo "$summary" | grep -q "ERROR SUMMARY: 0 errors"; then
    ok "memcheck: $summary"
else
    not_ok "memcheck: ${summary:-no ERROR SUMMARY in the log}"
    # The first error reports, each with its stack.
    sed 's/^==[0-9]*== \{0,1\}//' "$VG_LOG" | awk '
        /^(Invalid|Conditional|Use of|Syscall param|Mismatched|[0-9,]+ (\([0-9,]+ direct, [0-9,]+ indirect\) )?bytes in)/ { show = 1; k++ }
        show && /^$/ { show = 0; print "" }
        show && k <= 8 { print }' | head -n 150 | diag
fi
check "no definite or indirect leak (definitely lost: ${definite:-0}, indirectly lost: ${indirect:-0} bytes)" \
    [ "${definite:-0}" = 0 ] && [ "${indirect:-0}" = 0 ]
echo "# valgrind log: ${TB_ARTIFACTS#"$ROOT"/}/valgrind.log"
finish
}
