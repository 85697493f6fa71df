#!/usr/bin/env bash
# run.sh - golden tests of matflow's OpenFlow encoder against ovs-ofctl.
#
# build/tests/golden_gen prints "NAME HEX" for a fixed list of encoded
# messages. Each HEX goes to `ovs-ofctl ofp-print HEX` (default verbosity,
# 2) and its output is compared with tests/golden/expected/NAME.txt, which
# was written by hand from the OpenFlow 1.3.5 specification and Open
# vSwitch's printing rules (never captured from matflow). Two TAP points
# per message:
#   ok N - golden NAME        ofp-print's text equals the expected text
#   ok N - wellformed NAME    ofp-print found nothing malformed: no
#                             "***decode error", "(***truncated",
#                             "(***only uses" in its output, and no WARN or
#                             ERR line on its stderr
# Comparison ignores trailing blanks at line ends and trailing empty lines
# (ofp-print does not always end its last line the same way). Exits non-zero
# if any point fails.
#
# Environment: GOLDEN_GEN (generator path), OVS_OFCTL (ovs-ofctl path).
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
gen=${GOLDEN_GEN:-$root/build/tests/golden_gen}
ofctl=${OVS_OFCTL:-ovs-ofctl}
expected_dir=$here/expected

if ! command -v "$ofctl" >/dev/null 2>&1; then
    echo "Bail out! $ofctl not found (apt-get install openvswitch-common)"
    exit 2
fi
if [ ! -x "$gen" ]; then
    echo "Bail out! $gen not built (make $gen)"
    exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

gen_status=0
"$gen" >"$tmp/gen.out" 2>"$tmp/gen.err" || gen_status=$?

# Names: every generated message and every expected file.
{
    awk '{print $1}' "$tmp/gen.out"
    for f in "$expected_dir"/*.txt; do
        [ -e "$f" ] && basename "$f" .txt
    done
} | sort -u >"$tmp/names"

n_names=$(wc -l <"$tmp/names")
echo "1..$((2 * n_names + 1))"

n=0
failed=0

ok() {
    n=$((n + 1))
    echo "ok $n - $1"
}

not_ok() {
    n=$((n + 1))
    failed=$((failed + 1))
    echo "not ok $n - $1"
}

# Drops trailing blanks on each line and trailing empty lines.
normalize() {
    sed -e 's/[[:space:]]*$//' "$1" | sed -e ':a' -e '/^\n*$/{$d;N;ba' -e '}'
}

comment() {
    sed -e 's/^/# /'
}

if [ "$gen_status" -eq 0 ]; then
    ok "golden_gen encodes every message"
else
    not_ok "golden_gen encodes every message (exit $gen_status)"
    comment <"$tmp/gen.err"
fi

while read -r name; do
    hex=$(awk -v n="$name" '$1 == n {print $2; exit}' "$tmp/gen.out")
    exp=$expected_dir/$name.txt
    if [ -z "$hex" ]; then
        not_ok "golden $name"
        echo "# golden_gen printed no message named $name"
        not_ok "wellformed $name"
        continue
    fi

    "$ofctl" ofp-print "$hex" >"$tmp/out" 2>"$tmp/err"
    rc=$?

    if [ ! -e "$exp" ]; then
        not_ok "golden $name"
        echo "# no expected text $exp; write it from the specification"
    else
        normalize "$exp" >"$tmp/exp.n"
        normalize "$tmp/out" >"$tmp/out.n"
        if [ "$rc" -eq 0 ] && cmp -s "$tmp/exp.n" "$tmp/out.n"; then
            ok "golden $name"
        else
            not_ok "golden $name"
            echo "# hex: $hex"
            [ "$rc" -ne 0 ] && echo "# ovs-ofctl exited $rc"
            diff -u --label "expected/$name.txt" --label "ovs-ofctl ofp-print" \
                "$tmp/exp.n" "$tmp/out.n" | comment
        fi
    fi

    if [ "$rc" -eq 0 ] &&
        ! grep -qF -e '***decode error' -e '(***truncated' -e '(***only uses' "$tmp/out" &&
        ! grep -qE '\|(WARN|ERR|EMER)\|' "$tmp/err"; then
        ok "wellformed $name"
    else
        not_ok "wellformed $name"
        echo "# hex: $hex"
        comment <"$tmp/out"
        comment <"$tmp/err"
    fi
done <"$tmp/names"

if [ "$failed" -ne 0 ]; then
    echo "# $failed of $n failed"
    exit 1
fi
echo "# all $n passed"
exit 0
