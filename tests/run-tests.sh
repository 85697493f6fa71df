#!/bin/bash
# run-tests.sh - run every matflow test; the last line is "N passed, N failed".
#
# What `make check` calls once everything is built. Runs, in this order:
#   unit/X       build/tests/test_*        (cmocka, CMOCKA_MESSAGE_OUTPUT=TAP)
#   san/X        build-san/tests/test_*    (the same under ASan + UBSan)
#   fuzz/X       build/fuzz/fuzz_X over tests/fuzz/corpus/X/ (libFuzzer -runs=0)
#                and over each tests/fuzz/findings/X/* (one run per file)
#   golden       tests/golden/run.sh        (if present)
#   fakeswitch   tests/fakeswitch/run.sh    (if present)
#   integration/X  tests/integration/test_*.sh
# Every test prints TAP-like lines "ok N - what" / "not ok N - what"; they are
# counted. "# SKIP" counts as a failure; so does a test that exits non-zero
# without any "not ok", prints no result at all, or runs past its time limit.
# Each test's output is kept in build/test-logs/<name>.log (integration tests
# also leave their daemon/OVS logs and captures in build/test-logs/<name>/).
#
# Sanitizer reports: every process a test starts inherits ASAN_OPTIONS and
# UBSAN_OPTIONS with log_path=build/test-logs/sanitizer/<name>/report, so
# that an ASan, LeakSanitizer or UBSan report of any sanitized binary (a
# unit test, the daemon, the CLI, a fuzz target), wherever its output went,
# leaves a file there; a test after which such a file exists counts one
# more failure ("sanitizer report"), and the report is shown.
#
# Sanitize mode (MATFLOW_SANITIZE=1, `make check-sanitize`): the plain unit
# tests are left out (their san/ twins run), and MATFLOWD, MATFLOWCTL and
# GOLDEN_GEN default to the ASan + UBSan builds in build-san/, which must
# exist; every test that starts the daemon or the CLI then runs those.
#
# usage: tests/run-tests.sh [SUBSTRING...]   run only tests whose name contains one
# Environment: TEST_TIMEOUT_UNIT (120), TEST_TIMEOUT_FUZZ (300),
#              TEST_TIMEOUT_INTEGRATION (600) seconds; VERBOSE=1 shows each log;
#              MATFLOW_SANITIZE=1 (above).

ROOT=$(cd "$(dirname "$0")/.." && pwd)

# ---------------------------------------------------------------- fuzz replay
# Internal: run-tests.sh --fuzz-replay BIN CORPUS_DIR FINDINGS_DIR ARTIFACT_DIR
# prints TAP for one libFuzzer target.
if [ "${1:-}" = --fuzz-replay ]; then
    bin=$2 corpus=$3 findings=$4 art=$5
    name=$(basename "$bin")
    mkdir -p "$art"
    n=0
    opts=(-runs=0 -timeout=25 -rss_limit_mb=2048 -print_final_stats=0 "-artifact_prefix=$art/")
    n=$((n + 1))
    if [ ! -d "$corpus" ]; then
        echo "not ok $n - $name: no seed corpus at ${corpus#"$ROOT"/}"
    else
        count=$(find "$corpus" -maxdepth 1 -type f | wc -l)
        if [ "$count" -eq 0 ]; then
            echo "not ok $n - $name: seed corpus ${corpus#"$ROOT"/} is empty"
        elif "$bin" "${opts[@]}" "$corpus" > "$art/corpus.log" 2>&1; then
            echo "ok $n - $name replays ${corpus#"$ROOT"/} ($count inputs)"
        else
            echo "not ok $n - $name replays ${corpus#"$ROOT"/} ($count inputs)"
            tail -n 40 "$art/corpus.log" | sed 's/^/# /'
        fi
    fi
    if [ -d "$findings" ]; then
        for f in "$findings"/*; do
            [ -f "$f" ] || continue
            n=$((n + 1))
            if "$bin" "${opts[@]}" "$f" > "$art/finding.log" 2>&1; then
                echo "ok $n - $name: finding ${f#"$ROOT"/} no longer fails"
            else
                echo "not ok $n - $name: finding ${f#"$ROOT"/} still fails"
                tail -n 40 "$art/finding.log" | sed 's/^/# /'
            fi
        done
    fi
    echo "1..$n"
    exit 0
fi

# ---------------------------------------------------------------- runner
case ${1:-} in
    -h|--help)
        sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
        exit 0 ;;
    -*) echo "run-tests.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
esac
LOGS=$ROOT/build/test-logs
# A full run starts from clean logs; a filtered run keeps the others' logs.
[ $# -eq 0 ] && rm -rf "$LOGS"
mkdir -p "$LOGS"
export CMOCKA_MESSAGE_OUTPUT=TAP
# Sanitizers: fail hard and say where (run_test adds log_path per test).
SAN_ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:print_summary=1:strict_string_checks=1}
SAN_UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
SANITIZE=${MATFLOW_SANITIZE:-0}
if [ "$SANITIZE" = 1 ]; then
    export MATFLOWD=${MATFLOWD:-$ROOT/build-san/bin/matflowd}
    export MATFLOWCTL=${MATFLOWCTL:-$ROOT/build-san/bin/matflowctl}
    export GOLDEN_GEN=${GOLDEN_GEN:-$ROOT/build-san/tests/golden_gen}
fi
# The python3 on PATH may be a slow shim; tests use /usr/bin/python3 anyway.

filters=("$@")
current=
# stop_current SIGNAL: end the running test (its teardown runs), then exit.
stop_current() {
    trap - INT TERM
    if [ -n "$current" ]; then
        echo "run-tests: interrupted; stopping the running test (teardown)..." >&2
        kill -TERM "$current" 2>/dev/null
        wait "$current" 2>/dev/null
    fi
    echo "run-tests: interrupted" >&2
    exit "$1"
}
trap 'stop_current 130' INT
trap 'stop_current 143' TERM
total_pass=0
total_fail=0
n_tests=0
failed_tests=()
started=$(date +%s.%N)

wanted() {
    [ ${#filters[@]} -eq 0 ] && return 0
    local f
    for f in "${filters[@]}"; do [[ $1 == *"$f"* ]] && return 0; done
    return 1
}

# record NAME PASS FAIL SECONDS NOTE: print the result line and add it up.
record() {
    local name=$1 p=$2 f=$3 secs=$4 note=$5 verdict=PASS
    [ "$f" -gt 0 ] && verdict=FAIL
    printf '%-4s  %-44s %4d ok %3d failed %8.2f s%s\n' "$verdict" "$name" "$p" "$f" "$secs" \
        "${note:+  ($note)}"
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
    n_tests=$((n_tests + 1))
    [ "$f" -gt 0 ] && failed_tests+=("$name")
}

# run_test NAME TIMEOUT CMD...: run CMD, log to $LOGS/NAME.log, count its TAP.
run_test() {
    local name=$1 limit=$2; shift 2
    wanted "$name" || return 0
    local log=$LOGS/$name.log
    mkdir -p "$(dirname "$log")"
    local t0 t1 rc
    local san_dir=$LOGS/sanitizer/$name
    rm -rf "$san_dir"
    mkdir -p "$san_dir"
    t0=$(date +%s.%N)
    # Integration tests copy their artifacts (daemon and OVS logs, captures) here.
    # In the background, so that a Ctrl-C or TERM to this runner reaches the
    # test (timeout puts it in a process group of its own) and its teardown runs.
    TB_ARTIFACTS=$LOGS/$name \
        ASAN_OPTIONS="$SAN_ASAN_OPTIONS:log_path=$san_dir/report" \
        UBSAN_OPTIONS="$SAN_UBSAN_OPTIONS:log_path=$san_dir/report" \
        timeout -k 20 "$limit" "$@" < /dev/null > "$log" 2>&1 &
    current=$!
    wait "$current"
    rc=$?
    current=
    t1=$(date +%s.%N)
    local p f skip note=""
    p=$(grep -cE '^ok [0-9]+' "$log")
    f=$(grep -cE '^not ok [0-9]+' "$log")
    skip=$(grep -E '^ok [0-9]+' "$log" | grep -ciE '#[[:space:]]*skip')
    # A skipped test is not a passed test.
    p=$((p - skip)); f=$((f + skip))
    [ "$skip" -gt 0 ] && note="$skip skipped"
    # Any sanitizer report of any process of the test is a failure.
    local reports
    reports=$(find "$san_dir" -type f -size +0 2>/dev/null | sort)
    if [ -n "$reports" ]; then
        f=$((f + 1)); note="sanitizer report: $(echo "$reports" | wc -l) file(s) in ${san_dir#"$ROOT"/}/"
        for r in $reports; do
            echo "not ok - sanitizer report ${r#"$ROOT"/}"
            grep -E 'ERROR: |runtime error:|SUMMARY:|^ +#[0-9]+ ' "$r" | head -n 25 | sed 's/^/# /'
        done >> "$log"
    else
        rm -rf "$san_dir"
    fi
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        f=$((f + 1)); note="${note:+$note; }timed out after ${limit} s"
    elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1; note="exit status $rc without a failed assertion"
    elif [ $((p + f)) -eq 0 ]; then
        f=1; note="no test results printed (exit status $rc)"
    fi
    record "$name" "$p" "$f" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$note"
    if [ "$f" -gt 0 ] || [ -n "${VERBOSE:-}" ]; then
        # Show what failed: the failing lines and the diagnostics after them.
        awk '/^not ok [0-9]+|^not ok - sanitizer|^ok [0-9]+.*# *[Ss][Kk][Ii][Pp]/ { show = 12 }
             show > 0 { print "      | " $0; show-- }' "$log" | head -n 60
        if [ "$rc" -ne 0 ] && ! grep -qE '^not ok' "$log"; then
            tail -n 15 "$log" | sed 's/^/      | /'
        fi
        echo "      (log: ${log#"$ROOT"/})"
    fi
}

# missing NAME WHY: a test that should exist and does not counts as a failure.
missing() {
    wanted "$1" || return 0
    record "$1" 0 1 0 "$2"
}

echo "matflow tests ($(date -u +%Y-%m-%dT%H:%M:%SZ), logs in ${LOGS#"$ROOT"/}/)"
if [ "$SANITIZE" = 1 ]; then
    echo "sanitize mode: ASan + UBSan everywhere: ${MATFLOWD#"$ROOT"/}, ${MATFLOWCTL#"$ROOT"/}, ${GOLDEN_GEN#"$ROOT"/}"
    for b in "$MATFLOWD" "$MATFLOWCTL" "$GOLDEN_GEN"; do
        [ -x "$b" ] || missing "sanitize/$(basename "$b")" "${b#"$ROOT"/} not built (make check-sanitize builds it)"
    done
fi

# Unit tests, plain and sanitized. Every tests/unit/test_X.c must have both
# (in sanitize mode, the sanitized one).
unit_kinds="build/tests:unit build-san/tests:san"
[ "$SANITIZE" = 1 ] && unit_kinds="build-san/tests:san"
for src in "$ROOT"/tests/unit/test_*.c; do
    [ -f "$src" ] || continue
    t=$(basename "$src" .c)
    [ "$SANITIZE" = 1 ] || [ -x "$ROOT/build/tests/$t" ] || missing "unit/$t" "build/tests/$t not built"
    [ -x "$ROOT/build-san/tests/$t" ] || missing "san/$t" "build-san/tests/$t not built"
done
for dir_kind in $unit_kinds; do
    dir=$ROOT/${dir_kind%%:*}
    kind=${dir_kind##*:}
    for bin in "$dir"/test_*; do
        [ -f "$bin" ] && [ -x "$bin" ] || continue
        run_test "$kind/$(basename "$bin")" "${TEST_TIMEOUT_UNIT:-120}" "$bin"
    done
done

# Fuzz corpus replay. Every tests/fuzz/fuzz_X.c must be built.
for src in "$ROOT"/tests/fuzz/fuzz_*.c; do
    [ -f "$src" ] || continue
    t=$(basename "$src" .c)
    [ -x "$ROOT/build/fuzz/$t" ] || missing "fuzz/$t" "build/fuzz/$t not built"
done
for bin in "$ROOT"/build/fuzz/fuzz_*; do
    [ -f "$bin" ] && [ -x "$bin" ] || continue
    t=$(basename "$bin")
    x=${t#fuzz_}
    run_test "fuzz/$t" "${TEST_TIMEOUT_FUZZ:-300}" "$0" --fuzz-replay "$bin" \
        "$ROOT/tests/fuzz/corpus/$x" "$ROOT/tests/fuzz/findings/$x" "$LOGS/fuzz/$t.artifacts"
done

# Golden codec tests and the scripted fake switch.
for suite in golden fakeswitch; do
    if [ -f "$ROOT/tests/$suite/run.sh" ]; then
        run_test "$suite" "${TEST_TIMEOUT_INTEGRATION:-600}" bash "$ROOT/tests/$suite/run.sh"
    fi
done

# Integration tests (real Open vSwitch; root).
for t in "$ROOT"/tests/integration/test_*.sh; do
    [ -f "$t" ] || continue
    run_test "integration/$(basename "$t" .sh)" "${TEST_TIMEOUT_INTEGRATION:-600}" bash "$t"
done

ended=$(date +%s.%N)
echo
if [ "$n_tests" -eq 0 ]; then
    echo "no tests found (is everything built? run make tests)"
    total_fail=$((total_fail + 1))
fi
printf 'ran %d tests in %.1f s; logs in %s/\n' "$n_tests" \
    "$(awk -v a="$started" -v b="$ended" 'BEGIN{print b-a}')" "${LOGS#"$ROOT"/}"
for t in "${failed_tests[@]}"; do echo "FAILED: $t"; done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
