#!/bin/sh
# test_mobility_learning.sh - the mobility rules in front of matflow's own
# L2-learning table, on real Open vSwitch (issue 4, point 3).
#
# The reference testbed (tests/lib/topology.sh) with `forwarding: learning`
# on site1 and site2 and site3 left at NORMAL (examples/testbed.yaml plus
# one line per site). Checks: the config is accepted; on site1 and site2 no
# rule of ours outputs to NORMAL and table 3 holds the learning app's
# table-miss; site3 keeps NORMAL and has no table 3; CN <-> MN pings at home,
# after a move to site2 and back home; the learning app learned flows
# (cookie 0x4c32...) in table 3 of site2 while the MN was there; matflowd
# alive and no OFPT_ERROR from any switch. About 15 s.
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

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { _c_what=$1; shift; if "$@"; then ok "$_c_what"; else not_ok "$_c_what"; fi; }
diag() { sed 's/^/# /'; }

tb_init mobl2
on_exit() {
    rc=$?
    trap '' INT TERM HUP
    if [ "$failed" -gt 0 ] || [ "$rc" -ne 0 ]; then
        echo "# ---- matflowd.log (tail)"; tail -n 30 "$TB_RUN/matflowd.log" 2>/dev/null | diag
    fi
    tb_teardown
    echo "1..$n"
    [ "$failed" -eq 0 ] && [ "$rc" -eq 0 ] && exit 0
    exit 1
}
trap on_exit EXIT

# examples/testbed.yaml with `forwarding: learning` on site1 and site2.
awk '{ print } /moa_pool: 10\.[12]\.0\./ { sub(/moa_pool.*/, "forwarding: learning"); print }' \
    "$ROOT/examples/testbed.yaml" > "$TB_RUN/learning.yaml"
check "two sites say forwarding: learning" [ "$(grep -c 'forwarding: learning' "$TB_RUN/learning.yaml")" = 2 ]
out=$("$MATFLOWD" --check-config "$TB_RUN/learning.yaml" 2>&1); rc=$?
check "matflowd --check-config accepts it" [ $rc = 0 ]
[ $rc = 0 ] || echo "$out" | diag

# shellcheck disable=SC2034  # read by topo_up
TOPO_CONFIG=$TB_RUN/learning.yaml TOPO_MN2=0
topo_up
if ! topo_wait_ready 20; then
    not_ok "the three switches are ready"; exit 1
fi
ok "the three switches are ready"
tb_wait 15 topo_gateways_known || not_ok "the gateways' MACs were learned"

flows() { topo_dump_flows "$1" 2>/dev/null; }
ours_to_normal() { flows "$1" | grep -E 'cookie=0x4d46' | grep -c 'NORMAL'; }
table3() { flows "$1" | grep -c 'table=3'; }
for s in site1 site2; do
    check "$s: no rule of the mobility app outputs to NORMAL" [ "$(ours_to_normal $s)" = 0 ]
    check "$s: table 3 holds the learning app's rules" [ "$(table3 $s)" -ge 1 ]
done
check "site3 (NORMAL): the mobility rules output to NORMAL" [ "$(ours_to_normal site3)" -ge 1 ]
check "site3 (NORMAL): nothing in table 3" [ "$(table3 site3)" = 0 ]

reach() { topo_in "$1" ping -c 3 -i 0.2 -W 1 "$2" > /dev/null 2>&1; }
check "at home: CN pings the MN" reach cn 10.1.0.10
check "at home: MN pings the CN" reach mn 10.3.0.20

at() {
    tb_matflowctl bindings --json 2>/dev/null | /usr/bin/python3 -c '
import json, sys
b = [x for x in json.load(sys.stdin)["bindings"] if x["hoa"] == "10.1.0.10"]
sys.exit(0 if b and b[0]["site"] == sys.argv[1] and not b[0]["update"] else 1)' "$1"
}
topo_migrate mn site2
check "the MN's binding is at site2" tb_wait 10 at site2
check "at site2: CN pings the MN" reach cn 10.1.0.10
check "at site2: MN pings the CN" reach mn 10.3.0.20
learned=$(flows site2 | grep 'table=3' | grep -c 'cookie=0x4c32')
check "site2: the learning app installed learned flows in table 3 ($learned)" [ "$learned" -ge 1 ]
topo_migrate mn site1
check "the MN's binding is home again" tb_wait 10 at site1
check "home again: CN pings the MN" reach cn 10.1.0.10

errs=$(tb_matflowctl --json switches 2>/dev/null | /usr/bin/python3 -c '
import json, sys
print(sum(s.get("errors_in", 0) for s in json.load(sys.stdin)["switches"]))')
check "no OFPT_ERROR from any switch ($errs)" [ "$errs" = 0 ]
check "matflowd still running" tb_alive matflowd
topo_matflowd_stop TERM; rc=$?
check "matflowd exits 0 on SIGTERM" [ $rc = 0 ]
if grep -qE 'AddressSanitizer|runtime error:' "$TB_RUN"/matflowd*.log; then
    not_ok "no sanitizer report"
else
    ok "no sanitizer report"
fi
