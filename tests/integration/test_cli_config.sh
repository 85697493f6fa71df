#!/bin/bash
# matflowd and matflowctl as an operator meets them: --help, bad flags, the
# YAML configuration (errors with file:line:column), the control socket,
# clean shutdown. No switch involved. TAP output.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
D=${MATFLOWD:-$ROOT/build/bin/matflowd}
C=${MATFLOWCTL:-$ROOT/build/bin/matflowctl}
T=$(mktemp -d /tmp/mf-cli.XXXXXX)
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT
n=0; failed=0
ok() { n=$((n+1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed+1)); fi; }
check() { desc=$1; shift; if "$@"; then ok 0 "$desc"; else ok 1 "$desc"; fi; }
# rc_and_grep WANT_RC PATTERN FILE: the last exit status ($rc) and the message both.
rc_and_grep() { [ "$rc" = "$1" ] && grep -qE -- "$2" "$3"; }

out=$("$D" --help); rc=$?
check "matflowd --help exits 0" [ $rc = 0 ]
check "--help shows the default api socket path" grep -q -- "/run/matflow/matflowd.sock" <<<"$out"
check "--help shows the default listener" grep -q -- "tcp:0.0.0.0:6653" <<<"$out"

"$D" --bogus >/dev/null 2>"$T/e"; rc=$?
check "unknown flag exits 2" [ $rc = 2 ]
check "unknown flag prints usage" grep -q "usage: matflowd" "$T/e"
"$D" --listen udp:1 >/dev/null 2>"$T/e"; rc=$?
check "--listen without tcp: exits 2 with reason" rc_and_grep 2 "expected tcp:PORT" "$T/e"
"$D" --log-level loud >/dev/null 2>"$T/e"; rc=$?
check "--log-level loud exits 2" [ $rc = 2 ]
"$D" --echo-interval -1 >/dev/null 2>"$T/e"; rc=$?
check "--echo-interval -1 exits 2" [ $rc = 2 ]
"$D" --api relative.sock >/dev/null 2>"$T/e"; rc=$?
check "--api with a relative path exits 2" rc_and_grep 2 "expected an absolute path" "$T/e"
"$D" --listen tcp:99999 >/dev/null 2>"$T/e"; rc=$?
check "--listen tcp:99999 exits 2 with usage" rc_and_grep 2 "usage: matflowd" "$T/e"
printf 'controller:\n  echo_interval: 1\n  echo_interval: 2\n  listen: [tcp:1, tcp:1]\n' > "$T/dup.yaml"
"$D" --check-config "$T/dup.yaml" >/dev/null 2>"$T/e"; rc=$?
check "a key given twice is an error at its line" rc_and_grep 1 "dup.yaml:3:3: key 'echo_interval' given twice" "$T/e"
check "a listen address given twice is an error" grep -q "dup.yaml:4:19: listen address 'tcp:1' given twice" "$T/e"
"$D" stray >/dev/null 2>"$T/e"; rc=$?
check "stray argument exits 2" [ $rc = 2 ]

out=$("$D" --check-config "$ROOT/examples/matflowd.yaml" 2>&1); rc=$?
check "the shipped example config is valid" [ $rc = 0 ]

out=$("$D" --check-config "$ROOT/examples/testbed.yaml" 2>&1); rc=$?
check "the shipped testbed config (three sites) is valid" [ $rc = 0 ]

cat > "$T/sites.yaml" <<'Y'
sites:
  - name: a
    dpid: 1
    prefix: 10.1.0.0/24
    gateway: 10.9.0.1
    uplinks: [1]
    hypervisor_ports: [1, 0]
    moa_pool: 10.1.0.200-10.1.0.100
  - name: a
    dpid: 0000000000000001
    prefix: 10.1.0.128/25
    uplinks: [2]
    moa_pool: 10.1.0.130-10.1.0.140
mobile_nodes:
  - mac: ff:ff:ff:ff:ff:ff
    hoa: 10.7.0.1
Y
"$D" --check-config "$T/sites.yaml" >/dev/null 2>"$T/e"; rc=$?
check "bad sites: exit 1" [ $rc = 1 ]
check "bad sites: port 0 refused at 7:27" grep -q "sites.yaml:7:27: port number expected (1 to 4294967040), not '0'" "$T/e"
check "bad sites: missing gateway named at 9:5" grep -q "sites.yaml:9:5: site lacks the required key 'gateway'" "$T/e"
check "bad sites: multicast MAC refused at 15:10" grep -q "sites.yaml:15:10: mac must be a unicast MAC address, not 'ff:ff:ff:ff:ff:ff'" "$T/e"

cat > "$T/sites2.yaml" <<'Y'
sites:
  - name: a
    dpid: 1
    prefix: 10.1.0.0/24
    gateway: 10.9.0.1
    uplinks: [1]
    hypervisor_ports: [1]
    moa_pool: 10.1.0.200-10.1.0.100
  - name: a
    dpid: 0000000000000001
    prefix: 10.1.0.128/25
    gateway: 10.1.0.129
    uplinks: [2]
    moa_pool: 10.1.0.130-10.1.0.140
Y
"$D" --check-config "$T/sites2.yaml" >/dev/null 2>"$T/e"; rc=$?
check "inconsistent sites: exit 1" [ $rc = 1 ]
check "inconsistent sites: gateway outside prefix" grep -q "sites2.yaml:2: site a: gateway 10.9.0.1 is outside its prefix" "$T/e"
check "inconsistent sites: pool backwards" grep -q "sites2.yaml:2: site a: the MoA pool must be a range inside the prefix" "$T/e"
check "inconsistent sites: port both uplink and hypervisor" grep -q "sites2.yaml:2: site a: port 1 is both uplink and hypervisor port" "$T/e"
check "inconsistent sites: duplicate name" grep -q "sites2.yaml:9: site a has the name of site a (line 2)" "$T/e"

cat > "$T/fwd.yaml" <<'Y'
sites:
  - name: a
    dpid: 1
    prefix: 10.1.0.0/24
    gateway: 10.1.0.1
    uplinks: [1]
    moa_pool: 10.1.0.200-10.1.0.210
    forwarding: bridging
Y
"$D" --check-config "$T/fwd.yaml" >/dev/null 2>"$T/e"; rc=$?
check "bad site forwarding: exit 1" [ $rc = 1 ]
check "bad site forwarding: named at 8:17" grep -q "fwd.yaml:8:17: forwarding must be normal or learning, not 'bridging'" "$T/e"
sed -i 's/forwarding: bridging/forwarding: learning/' "$T/fwd.yaml"
"$D" --check-config "$T/fwd.yaml" >/dev/null 2>"$T/e"; rc=$?
check "site forwarding: learning accepted" [ $rc = 0 ]

printf 'controller:\n  durability: eventually\n' > "$T/dur.yaml"
"$D" --check-config "$T/dur.yaml" >/dev/null 2>"$T/e"; rc=$?
check "bad durability: exit 1" [ $rc = 1 ]
check "bad durability: named at 2:15" grep -q "dur.yaml:2:15: durability must be crash or power, not 'eventually'" "$T/e"
printf 'controller:\n  durability: power\n' > "$T/dur.yaml"
"$D" --check-config "$T/dur.yaml" >/dev/null 2>"$T/e"; rc=$?
check "durability: power accepted" [ $rc = 0 ]

cat > "$T/mob.yaml" <<'Y'
mobility:
  damping_moves: 65
  trigger_rate: -3
  old_location_check: soon
  retries: 2.5
  shields: up
Y
"$D" --check-config "$T/mob.yaml" >/dev/null 2>"$T/e"; rc=$?
check "bad mobility section: exit 1" [ $rc = 1 ]
check "bad mobility: damping_moves at 2:18" grep -q "mob.yaml:2:18: damping_moves must be an integer from 0 (off) to 64, not '65'" "$T/e"
check "bad mobility: trigger_rate at 3:17" grep -q "mob.yaml:3:17: trigger_rate must be packets per second from 0 (off) to 1000000, not '-3'" "$T/e"
check "bad mobility: old_location_check at 4:23" grep -q "mob.yaml:4:23: old_location_check must be seconds from 0 (off) to 10, not 'soon'" "$T/e"
check "bad mobility: retries at 5:12" grep -q "mob.yaml:5:12: retries must be an integer from 0 to 10, not '2.5'" "$T/e"
check "bad mobility: unknown key at 6:12" grep -q "mob.yaml:6:12: unknown key 'mobility.shields'" "$T/e"
printf 'mobility:\n  damping_moves: 0\n  damping_window: 60\n  trigger_rate: 50\n  trigger_burst: 100\n  old_location_check: 0.5\n  retries: 0\n  retry_backoff: 0.2\n' > "$T/mob.yaml"
"$D" --check-config "$T/mob.yaml" >/dev/null 2>"$T/e"; rc=$?
check "mobility section: every key accepted" [ $rc = 0 ]

cat > "$T/bad.yaml" <<'Y'
controller:
  listen:
    - udp:1.2.3.4:5
  echo_interval: soon
  colour: blue
colours: []
Y
"$D" --check-config "$T/bad.yaml" >/dev/null 2>"$T/e"; rc=$?
check "bad config: exit 1" [ $rc = 1 ]
check "bad config: listen error at 3:7" grep -q "bad.yaml:3:7: listen address 'udp:1.2.3.4:5' must start with tcp:" "$T/e"
check "bad config: echo_interval error at 4:18" grep -q "bad.yaml:4:18: echo_interval must be a positive number of seconds, not 'soon'" "$T/e"
check "bad config: unknown key at 5:11" grep -q "bad.yaml:5:11: unknown key 'controller.colour'" "$T/e"
check "bad config: unknown top-level key at 6:8" grep -q "bad.yaml:6:10: unknown top-level key 'colours'" "$T/e"

printf 'controller:\n  listen: [tcp:1\n' > "$T/syntax.yaml"
"$D" --check-config "$T/syntax.yaml" >/dev/null 2>"$T/e"; rc=$?
check "YAML syntax error: exit 1 with file:line:column" rc_and_grep 1 "syntax.yaml:[0-9]+:[0-9]+: " "$T/e"

"$D" --config "$T/bad.yaml" --api "$T/never.sock" >/dev/null 2>"$T/e"; rc=$?
check "--config with a bad file refuses to start" rc_and_grep 1 "configuration refused" "$T/e"
check "--config with a bad file leaves no socket" [ ! -e "$T/never.sock" ]

"$C" >/dev/null 2>"$T/e"; rc=$?
check "matflowctl without command exits 2 with usage" rc_and_grep 2 "usage: matflowctl" "$T/e"
"$C" flows >/dev/null 2>"$T/e"; rc=$?
check "matflowctl unknown command exits 2" [ $rc = 2 ]
"$C" ping >/dev/null 2>"$T/e"; rc=$?
check "matflowctl ping without a dpid exits 2" rc_and_grep 2 "ping needs a DPID" "$T/e"
"$C" --api "$T/nobody.sock" switches >/dev/null 2>"$T/e"; rc=$?
check "matflowctl with no daemon exits 1 with reason" rc_and_grep 1 "cannot reach matflowd" "$T/e"

# A daemon from a config file, on a free port, then stopped.
# free_port: a loopback TCP port nobody listens on right now.
free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port=$(free_port)
cat > "$T/good.yaml" <<Y
controller:
  listen: [tcp:127.0.0.1:$port]
  api: $T/api.sock
  log_level: debug
Y
"$D" --config "$T/good.yaml" 2>"$T/d.log" &
DPID=$!; PIDS="$DPID"
# The log line comes after listen(): the socket file alone appears at bind().
for _ in $(seq 100); do grep -q "api on" "$T/d.log" 2>/dev/null && break; sleep 0.1; done
if ! grep -q "api on" "$T/d.log"; then
    echo "# daemon did not start:"; sed 's/^/# /' "$T/d.log"
fi
check "daemon started from config listens where the file says" grep -q "listening on tcp:127.0.0.1:$port" "$T/d.log"
out=$("$C" --api "$T/api.sock" stats --json); rc=$?
check "matflowctl stats --json answers" [ $rc = 0 ]
check "stats JSON has counters by reason" /usr/bin/python3 -c '
import json,sys; d=json.load(sys.stdin)
assert d["switches_connected"]==0 and "bad_len" in d["rejected_messages"] and "eth_truncated" in d["rejected_frames"]' <<<"$out"
out=$("$C" --api "$T/api.sock" switches); rc=$?
echo "$out" > "$T/sw.txt"
check "matflowctl switches (text) with no switch" rc_and_grep 0 "^0 switch connection" "$T/sw.txt"
"$C" --api "$T/api.sock" ping 00000000000000ff >/dev/null 2>"$T/e"; rc=$?
check "matflowctl ping of an unknown dpid exits 1 with the reason" rc_and_grep 1 "no ready switch has that dpid" "$T/e"
"$C" --api "$T/api.sock" bindings >/dev/null 2>"$T/e"; rc=$?
check "matflowctl bindings without sites exits 1 with the reason" rc_and_grep 1 "no sites configured" "$T/e"
timeout 10 "$D" --api "$T/api.sock" --listen "tcp:127.0.0.1:$(free_port)" 2>"$T/e2"; rc=$?
check "a second daemon on the same socket is refused" rc_and_grep 1 "another daemon answers" "$T/e2"
kill -HUP $DPID; sleep 0.3
check "SIGHUP is ignored, with a log line" sh -c "kill -0 $DPID && grep -q 'SIGHUP ignored' '$T/d.log'"
kill -TERM $DPID; wait $DPID; rc=$?
check "SIGTERM: exit 0" [ $rc = 0 ]
check "SIGTERM: control socket removed" [ ! -e "$T/api.sock" ]
PIDS=""
"$D" --api "$T/int.sock" --listen "tcp:127.0.0.1:$(free_port)" --log-level warn 2>"$T/i.log" &
IPID=$!; PIDS="$IPID"
for _ in $(seq 100); do [ -S "$T/int.sock" ] && break; sleep 0.05; done
sleep 0.2
kill -INT $IPID; wait $IPID; rc=$?
check "SIGINT: exit 0" [ $rc = 0 ]
[ $rc = 0 ] || sed 's/^/# matflowd: /' "$T/i.log"
check "--log-level warn: no info lines" sh -c "! grep -q ' info ' '$T/i.log'"
PIDS=""
echo "1..$n"
[ $failed = 0 ]
