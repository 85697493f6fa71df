#!/bin/sh
# run-fuzz.sh SECONDS - runs every libFuzzer target for SECONDS each, from its
# committed corpus, and merges the inputs that add coverage back into it.
# A crash stops the run and leaves its input in build/fuzz/artifacts/TARGET/:
# minimise it (-minimize_crash=1) and add it to tests/fuzz/findings/TARGET/.
set -eu
secs=${1:-60}
root=$(cd "$(dirname "$0")/../.." && pwd)
for bin in "$root"/build/fuzz/fuzz_*; do
    name=$(basename "$bin" | sed 's/^fuzz_//')
    corpus=$root/tests/fuzz/corpus/$name
    work=$root/build/fuzz/work/$name
    art=$root/build/fuzz/artifacts/$name
    mkdir -p "$corpus" "$work" "$art"
    echo "fuzz_$name: $secs s"
    "$bin" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$art/" \
        "$work" "$corpus" 2>&1 | grep -E "^(Done|stat::number_of_executed_units|==.*ERROR)" || true
    if ls "$art"/crash-* "$art"/leak-* "$art"/timeout-* >/dev/null 2>&1; then
        echo "fuzz_$name: finding in $art" >&2
        exit 1
    fi
    "$bin" -merge=1 "$corpus" "$work" 2>&1 | grep -E "MERGE-OUTER: [0-9]+ new files" || true
done
