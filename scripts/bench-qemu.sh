#!/bin/sh
# bench-qemu.sh - the network's share of a real QEMU live migration (issue 4,
# point 2; run by `make bench-disruption`). Run as root.
#
# Runs tests/integration/test_qemu_mobility.sh (a tiny TCG guest migrated by
# QEMU itself from site1 to site2 of the reference testbed, once per NIC
# model) with the optimised matflowd, not the sanitizer build, and keeps
# each migration's timeline: QEMU's own downtime (query-migrate), first
# RARP -> binding complete (matflowd's update, the network's share: the
# guest runs at the destination from about the first RARP on), the TCP
# stream's longest stall (which includes TCP's own retransmission backoff).
# Output: BENCH_OUT (build/bench/qemu)/qemu.json and qemu.txt; the test's
# TAP output in BENCH_OUT/test.log.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${BENCH_OUT:-$ROOT/build/bench/qemu}
rm -rf "$OUT"
mkdir -p "$OUT"
# The testbed's config with the old location's window off, as in the other
# benchmarks: it holds back "complete" (never the data plane) by 0.3 s.
{ cat "$ROOT/examples/testbed.yaml"; printf 'mobility:\n  old_location_check: 0\n'; } \
    > "$OUT/testbed.yaml"
TOPO_CONFIG=$OUT/testbed.yaml MATFLOWD=${MATFLOWD:-$ROOT/build/bin/matflowd} \
    QMOB_TIMELINE_OUT=$OUT \
    "$ROOT/tests/integration/test_qemu_mobility.sh" > "$OUT/test.log" 2>&1
rc=$?
if [ $rc -ne 0 ] || grep -q '^not ok' "$OUT/test.log"; then
    echo "bench-qemu: the QEMU migration run failed (rc $rc); see $OUT/test.log" >&2
    grep '^not ok' "$OUT/test.log" >&2
    exit 1
fi
/usr/bin/python3 - "$OUT" <<'PYEOF'
import glob, json, os, sys
out = sys.argv[1]
runs = []
for path in sorted(glob.glob(os.path.join(out, "timeline-*.json"))):
    t = json.load(open(path))
    t["nic"] = os.path.basename(path)[len("timeline-"):-len(".json")]
    runs.append(t)
if not runs:
    sys.exit("bench-qemu: no timeline was written")
json.dump({"runs": runs}, open(os.path.join(out, "qemu.json"), "w"), indent=1)
lines = ["Real QEMU live migration (TCG guest), site1 -> site2, ms",
         "%-16s %10s %14s %12s %12s" % ("NIC", "downtime", "RARP->complete", "TCP stall", "stream back")]
for r in runs:
    lines.append("%-16s %10s %14s %12s %12s" % (r["nic"], r.get("downtime_ms"), r.get("rarp_to_complete_ms"),
                                               r.get("stall_ms"), r.get("after_complete_ms")))
text = "\n".join(lines)
open(os.path.join(out, "qemu.txt"), "w").write(text + "\n")
print(text)
PYEOF
