#!/bin/sh
# run-fuzz.sh - run the libFuzzer targets (build/fuzz/fuzz_*), each from its
# committed corpus, and merge the inputs that add coverage back into it.
#
# usage: tests/fuzz/run-fuzz.sh [SECONDS | -runs=N] [TARGET...]
#   SECONDS   time per target (default 60); -runs=N: N executions instead
#   TARGET    e.g. ofp_stream pkt (default: every built target)
# Each target runs under nice (FUZZ_NICE, default 19) from a copy of its
# binary (a rebuild meanwhile does not disturb it), with its new inputs in
# build/fuzz/work/TARGET; prints the exact command and libFuzzer's
# "#N DONE ... exec/s" line. Then `-merge=1 -use_counters=0` copies into
# tests/fuzz/corpus/TARGET only those new inputs that reach new edges (not
# merely new hit counts: the committed corpus stays small).
# A crash, leak or timeout leaves its input in build/fuzz/artifacts/TARGET/
# and makes the script exit 1 once every target has run: minimise it
# (BIN -minimize_crash=1 -runs=100000 INPUT) and add it to
# tests/fuzz/findings/TARGET/, which `make check` replays.
# Stderr of the code under test is closed (-close_fd_mask=2): the
# configuration loader prints an error for nearly every input.
# ASAN_OPTIONS defaults to clear_shadow_mmap_threshold=1000000000: ASan
# then clears the shadow of a large block with memset instead of remapping
# it (fewer page faults, the same detection; the targets that load a
# configuration allocate a 2.4 MB struct mob_config).
set -eu
export ASAN_OPTIONS=${ASAN_OPTIONS:-clear_shadow_mmap_threshold=1000000000}
budget=-max_total_time=60
case ${1:-} in
    -runs=*) budget=$1; shift ;;
    [0-9]*) budget=-max_total_time=$1; shift ;;
esac
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ $# -eq 0 ]; then
    set -- $(cd "$root/build/fuzz" && ls fuzz_* 2>/dev/null | sed 's/^fuzz_//')
fi
[ $# -gt 0 ] || { echo "run-fuzz.sh: no target built (make fuzz-build)" >&2; exit 2; }
found=0
for name in "$@"; do
    bin=$root/build/fuzz/fuzz_$name
    [ -x "$bin" ] || { echo "run-fuzz.sh: $bin not built" >&2; exit 2; }
    corpus=$root/tests/fuzz/corpus/$name
    work=$root/build/fuzz/work/$name
    art=$root/build/fuzz/artifacts/$name
    rm -rf "$work"
    mkdir -p "$corpus" "$work" "$art"
    cp "$bin" "$work.bin"
    # (the loop's list was expanded once: the positional parameters are free)
    set -- -close_fd_mask=2 -print_final_stats=1 -artifact_prefix="$art/" "$budget" \
        "$work" "$corpus"
    echo "fuzz_$name: ASAN_OPTIONS=$ASAN_OPTIONS nice -n ${FUZZ_NICE:-19} build/fuzz/fuzz_$name $*" | sed "s|$root/||g"
    nice -n "${FUZZ_NICE:-19}" "$work.bin" "$@" > "$work.log" 2>&1 || true
    grep -E "^#[0-9]+[[:space:]]+DONE|^stat::number_of_executed_units|ERROR|SUMMARY" \
        "$work.log" | sed "s/^/fuzz_$name: /" || true
    if ls "$art"/crash-* "$art"/leak-* "$art"/timeout-* "$art"/oom-* >/dev/null 2>&1; then
        echo "fuzz_$name: FINDING in ${art#"$root"/}/ (log: ${work#"$root"/}.log)" >&2
        found=1
        continue
    fi
    before=$(ls "$corpus" | wc -l)
    nice -n "${FUZZ_NICE:-19}" "$work.bin" -close_fd_mask=2 -merge=1 -use_counters=0 "$corpus" "$work" \
        > "$work.merge.log" 2>&1 || { echo "fuzz_$name: merge failed" >&2; found=1; }
    echo "fuzz_$name: corpus ${corpus#"$root"/}: $before -> $(ls "$corpus" | wc -l) inputs"
    rm -rf "$work" "$work.bin"
done
exit $found
