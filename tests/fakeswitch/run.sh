#!/bin/bash
# run.sh - the fake-switch suite: malformed OpenFlow input against a live matflowd.
#
# Starts matflowd on a free loopback port with a private --api socket in a temp
# dir and short timers, runs tests/fakeswitch/test_malformed.py (TAP), then
# stops the daemon by PID with SIGTERM and checks it exits 0, removed its api
# socket and printed no sanitizer report. Then runs
# tests/fakeswitch/test_hostile.py, which starts a matflowd of its own with
# three sites and 1,000 bindings (the same malformed cases during an update,
# dpid claims, a switch that never reads, floods; it stops its daemon by PID).
# Output is TAP; exit status 1 if any line is "not ok".
#
# Environment: MATFLOWD (default build-san/bin/matflowd if built, else
# build/bin/matflowd), MATFLOWCTL (default build/bin/matflowctl), SWARM_N
# (switches in the scale test, default 2000), CASES (substring: run only the
# matching cases), HOSTILE=0 (skip test_hostile.py), KEEP_TMP=1 (keep the temp
# dirs and the daemon logs).
set -u
cd "$(dirname "$0")/../.." || exit 1

if [ -z "${MATFLOWD:-}" ]; then
    if [ -x build-san/bin/matflowd ]; then MATFLOWD=build-san/bin/matflowd
    else MATFLOWD=build/bin/matflowd; fi
fi
MATFLOWCTL=${MATFLOWCTL:-build/bin/matflowctl}
PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1  # keep the source tree clean
ECHO_INTERVAL=0.5
ECHO_MISSES=3
HANDSHAKE_TIMEOUT=1

for b in "$MATFLOWD" "$MATFLOWCTL"; do
    if [ ! -x "$b" ]; then
        echo "not ok 1 - $b is not built"
        echo "1..1"
        exit 1
    fi
done

# Sanitizer builds: report and stop at the first error, check leaks at exit.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-}

TMP=$(mktemp -d /tmp/matflow-fakeswitch.XXXXXX)
API=$TMP/api.sock
LOG=$TMP/matflowd.log
TAP=$TMP/tap.out
PID=
n=0
failed=0

tap() { # tap OK|FAIL "description" [diagnostic...]
    n=$((n + 1))
    if [ "$1" = OK ]; then echo "ok $n - $2"
    else echo "not ok $n - $2"; failed=$((failed + 1)); fi
    shift 2
    for d in "$@"; do printf '%s\n' "$d" | sed 's/^/#   /'; done
}

# shellcheck disable=SC2317  # called from the EXIT trap
cleanup() {
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill -KILL "$PID" 2>/dev/null; fi
    if [ "${KEEP_TMP:-0}" = 1 ] || [ "$failed" -gt 0 ]; then
        echo "# daemon log and TAP kept in $TMP"
    else
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT

free_port() {
    $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Start the daemon; retry with another port if someone took ours meanwhile.
started=0
for _attempt in 1 2 3; do
    PORT=$(free_port)
    : >"$LOG"
    "$MATFLOWD" --listen "tcp:127.0.0.1:$PORT" --api "$API" --log-level info \
        --echo-interval "$ECHO_INTERVAL" --echo-misses "$ECHO_MISSES" \
        --handshake-timeout "$HANDSHAKE_TIMEOUT" >"$LOG" 2>&1 &
    PID=$!
    for _ in $(seq 100); do
        if grep -q "listening on tcp:" "$LOG" && grep -q "api on" "$LOG" && [ -S "$API" ]; then
            started=1; break
        fi
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.1
    done
    [ $started = 1 ] && break
    kill -KILL "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; PID=
done
if [ $started != 1 ]; then
    tap FAIL "matflowd starts on 127.0.0.1:$PORT with --api $API" "$(tail -20 "$LOG")"
    echo "1..$n"
    exit 1
fi
echo "# $MATFLOWD pid $PID on 127.0.0.1:$PORT"

MATFLOWD_ADDR=127.0.0.1:$PORT MATFLOWD_PID=$PID MATFLOW_API=$API MATFLOWCTL=$MATFLOWCTL \
MATFLOWD_LOG=$LOG ECHO_INTERVAL=$ECHO_INTERVAL ECHO_MISSES=$ECHO_MISSES \
HANDSHAKE_TIMEOUT=$HANDSHAKE_TIMEOUT \
    $PY tests/fakeswitch/test_malformed.py | tee "$TAP"
rc=${PIPESTATUS[0]}
n=$(grep -cE '^(not )?ok [0-9]+' "$TAP")
failed=$(grep -cE '^not ok [0-9]+' "$TAP")
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
    tap FAIL "test_malformed.py exits 0 (exit $rc)"
fi

# Shut the daemon down: SIGTERM, exit 0, api socket removed.
if kill -0 "$PID" 2>/dev/null; then
    tap OK "matflowd still running after the cases"
    kill -TERM "$PID"
    for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$PID" 2>/dev/null; then
        tap FAIL "matflowd exits within 10s of SIGTERM" "$(tail -5 "$LOG")"
        kill -KILL "$PID"; wait "$PID" 2>/dev/null
    else
        wait "$PID"; st=$?
        if [ $st -eq 0 ]; then tap OK "matflowd exits 0 on SIGTERM"
        else tap FAIL "matflowd exits 0 on SIGTERM (exit $st)" "$(tail -20 "$LOG")"; fi
    fi
    if [ -e "$API" ]; then tap FAIL "api socket removed at shutdown"
    else tap OK "api socket removed at shutdown"; fi
else
    wait "$PID"; st=$?
    tap FAIL "matflowd still running after the cases (exit status $st)" "$(tail -30 "$LOG")"
fi
PID=

san=$(grep -nE 'ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:|UndefinedBehaviorSanitizer|SUMMARY: [A-Za-z]+Sanitizer' "$LOG" | head -20)
if [ -n "$san" ]; then tap FAIL "no sanitizer report in the daemon's stderr" "$san"
else tap OK "no sanitizer report in the daemon's stderr"; fi

# The logs are rate-limited: the flood of 1000 HELLOs (and the other
# floods of the cases) must not give a line per message.
hello_lines=$(grep -c "HELLO after negotiation" "$LOG")
if [ "$hello_lines" -le 20 ] && grep -q "similar lines suppressed" "$LOG"; then
    tap OK "logs rate-limited: $hello_lines lines for 1000 unexpected HELLOs, with a suppressed count"
else
    tap FAIL "logs rate-limited ($hello_lines lines for 1000 unexpected HELLOs)" "$(grep "HELLO after" "$LOG" | tail -3)"
fi

# Hostile switches against a daemon with sites, 1,000 bindings and an update
# in flight: its own daemon, numbered after the lines above.
if [ "${HOSTILE:-1}" = 1 ]; then
    HTAP=$TMP/hostile.out
    MATFLOWD=$MATFLOWD MATFLOWCTL=$MATFLOWCTL TAP_FIRST=$((n + 1)) \
        $PY tests/fakeswitch/test_hostile.py | tee "$HTAP"
    rc=${PIPESTATUS[0]}
    n=$((n + $(grep -cE '^(not )?ok [0-9]+' "$HTAP")))
    hf=$(grep -cE '^not ok [0-9]+' "$HTAP")
    failed=$((failed + hf))
    if [ "$rc" -ne 0 ] && [ "$hf" -eq 0 ]; then
        tap FAIL "test_hostile.py exits 0 (exit $rc)"
    fi
fi

echo "1..$n"
if [ "$failed" -gt 0 ]; then
    echo "# $failed of $n failed"
    exit 1
fi
echo "# all $n passed"
exit 0
