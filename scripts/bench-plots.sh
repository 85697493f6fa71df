#!/bin/sh
# bench-plots.sh - PNG plots of the benchmark results (issue 4, point 5;
# see docs/BENCHMARKS.md). Reads what the benchmarks wrote, runs nothing:
#   build/bench/results.json              (`make bench`)
#     bench-update-latency.png   binding-update latency against N, per M
#     bench-mass-migration.png   mass migration against N, per K
#   build/bench/disruption/disruption.json (`make bench-disruption`)
#     bench-disruption.png       disruption p50/p99 against D, per M, with
#                                the 2.5 R + 2 ms target (R = 2D)
#     bench-disruption-moves.png every move at D = 0, by move index
#   build/bench/disruption/wan/disruption.json (its BENCH_WAN=1 pass)
#     bench-disruption-wan.png   disruption p50/p99 against the delay W
#                                between sites
#   build/bench/peers.json                (`make bench-peers`)
#     bench-peers.png            learning-switch responses/s per controller
#   and from results.json also
#     bench-update-latency-m.png binding-update latency against M, per N
# A missing input skips its plots (an error only if both are missing).
# /usr/bin/python3 turns the JSON into .dat files in build/bench/plots/,
# gnuplot (Debian: apt-get install gnuplot-nox) draws the PNGs.
#
# Variables: BENCH_DIR (build/bench), BENCH_PLOTS_OUT (docs/img: the PNGs),
# BENCH_MACHINE (the machine named in the titles; default from this host:
# cores, Debian release, Open vSwitch version).

set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-$ROOT/build/bench}
IMG=${BENCH_PLOTS_OUT:-$ROOT/docs/img}
DAT=$BENCH_DIR/plots
PY=/usr/bin/python3
RESULTS=$BENCH_DIR/results.json
DISRUPTION=$BENCH_DIR/disruption/disruption.json
WAN=$BENCH_DIR/disruption/wan/disruption.json
PEERS=$BENCH_DIR/peers.json

if ! command -v gnuplot > /dev/null 2>&1; then
    echo "bench-plots: gnuplot not found; install it: apt-get install gnuplot-nox" >&2
    exit 1
fi
[ -x "$PY" ] || { echo "bench-plots: $PY not found (apt-get install python3)" >&2; exit 1; }
if [ ! -f "$RESULTS" ] && [ ! -f "$DISRUPTION" ] && [ ! -f "$PEERS" ]; then
    echo "bench-plots: neither $RESULTS (make bench) nor $DISRUPTION (make bench-disruption)" >&2
    exit 1
fi

# The machine, for the titles.
if [ -z "${BENCH_MACHINE:-}" ]; then
    cores=$(nproc 2> /dev/null || echo "?")
    os="Linux"
    [ -r /etc/debian_version ] && os="Debian $(cut -d. -f1 /etc/debian_version)"
    BENCH_MACHINE="$cores cores, $os"
    ovs=$(ovs-vswitchd --version 2> /dev/null | sed -n '1s/.* \([0-9]*\.[0-9]*\)\.[0-9]*$/\1/p')
    OVS_DESC="OVS ${ovs:-?} userspace datapath"
    DIS_MACHINE="$BENCH_MACHINE, $OVS_DESC"
else
    DIS_MACHINE=$BENCH_MACHINE
fi

# The PNG terminal: cairo if this gnuplot has it, else libgd.
if gnuplot -e 'set terminal pngcairo' > /dev/null 2>&1; then
    TERM_PNG='set terminal pngcairo size 800,500 enhanced font "Sans,10" linewidth 1.5'
else
    TERM_PNG='set terminal png size 800,500 enhanced font "Sans,10"'
fi

mkdir -p "$DAT" "$IMG"
rm -f "$DAT"/*.dat "$DAT"/meta.gp

# JSON -> .dat (one gnuplot data block per M or K, two blank lines apart)
# and meta.gp (the block labels as gnuplot strings).
"$PY" - "$RESULTS" "$DISRUPTION" "$DAT" "$WAN" "$PEERS" << 'EOF'
import json, os, sys
results, disruption, dat, wan, peers = sys.argv[1:6]
meta = []

def num(v):
    return "%.6g" % v if isinstance(v, (int, float)) else "NaN"

def blocks(path, groups, header):
    with open(os.path.join(dat, path), "w") as fh:
        for j, (key, rows) in enumerate(groups):
            if j:
                fh.write("\n\n")
            fh.write("# %s\n# %s\n" % (key, header))
            for r in rows:
                fh.write(" ".join(num(v) for v in r) + "\n")

if os.path.exists(results):
    runs = json.load(open(results))
    # (1) binding update against N, per M; runs without switch delay only.
    upd = {}
    for name, r in runs.items():
        p, mv = r.get("params", {}), r.get("moves")
        if not mv or p.get("delay_ms") or not p.get("moves"):
            continue
        gen, ctl = mv.get("generator_ms", {}), mv.get("controller_ms", {})
        ok = "invalid" not in ctl
        upd.setdefault(p["bindings"], []).append(
            (p["switches"], gen.get("p50"), gen.get("p99"),
             ctl.get("p50") if ok else None, ctl.get("p99") if ok else None))
    groups = [(m, sorted(upd[m])) for m in sorted(upd)]
    blocks("update.dat", groups, "N gen_p50 gen_p99 ctl_p50 ctl_p99 (ms)")
    # (1b) the same runs against M, per N (M = 0 drawn at 100: log axis).
    by_n = {}
    for m, rows in groups:
        for r in rows:
            by_n.setdefault(r[0], []).append((m if m else 100,) + r[1:])
    gn = [(n, sorted(by_n[n])) for n in sorted(by_n)]
    blocks("update-m.dat", gn, "M gen_p50 gen_p99 ctl_p50 ctl_p99 (ms)")
    meta.append('UPDM_N = "%s"' % " ".join(str(n) for n, _ in gn))
    meta.append('UPD_M = "%s"' % " ".join(str(m) for m, _ in groups))
    n = sorted({r["params"]["moves"] for r in runs.values()
                if r.get("moves") and not r["params"].get("delay_ms") and r["params"].get("moves")})
    meta.append('UPD_MOVES = "%s"' % "/".join(str(x) for x in n))
    # (2) mass migration against N, per K.
    mass = {}
    for name, r in runs.items():
        ms = r.get("mass")
        if not ms:
            continue
        mass.setdefault(ms["nodes"], []).append(
            (r["params"]["switches"], ms.get("all_complete_ms"), ms.get("flow_mods_per_s"),
             ms.get("flow_mods")))
    groups = [(k, sorted(mass[k])) for k in sorted(mass)]
    blocks("mass.dat", groups, "N all_complete_ms flow_mods_per_s flow_mods")
    meta.append('MASS_K = "%s"' % " ".join(str(k) for k, _ in groups))
    print("bench-plots: %s: %d update series, %d mass series" % (
        results, len(upd), len(mass)))

if os.path.exists(disruption):
    doc = json.load(open(disruption))
    # (3) disruption against D, per M.
    dis = {}
    for row in doc["summary"]:
        if row.get("announced"):
            continue
        def g(k, p):
            s = row.get(k)
            return s.get(p) if s else None
        dis.setdefault(row["bindings"], []).append(
            (row["delay_ms"], g("cn_to_mn", "p50"), g("cn_to_mn", "p99"),
             g("mn_to_cn", "p50"), g("mn_to_cn", "p99"), g("update_complete", "p50")))
    groups = [(m, sorted(dis[m])) for m in sorted(dis)]
    blocks("disruption.dat", groups, "D cn_mn_p50 cn_mn_p99 mn_cn_p50 mn_cn_p99 update_p50 (ms)")
    meta.append('DIS_M = "%s"' % " ".join(str(m) for m, _ in groups))
    n = sorted({row["moves"] for row in doc["summary"]})
    meta.append('DIS_MOVES = "%s"' % "/".join(str(x) for x in n))
    meta.append("DIS_DMAX = %g" % max([r[0] for _, rows in groups for r in rows] + [1]))
    # (4) every move at D = 0, by move index within its (M, D) row;
    # column 4: 1 for a return home (site1, the MN's home site).
    mv0 = {}
    for mv in doc["moves"]:
        if mv["delay_ms"] != 0 or mv.get("announced"):
            continue
        lst = mv0.setdefault(mv["bindings"], [])
        def d(k):
            return mv[k]["disruption_ms"] if mv.get(k) else None
        lst.append((mv["move"], d("cn_to_mn"), d("mn_to_cn"), 1 if mv["to"] == "site1" else 0))
    groups = []
    for m in sorted(mv0):
        rows = sorted(mv0[m])
        groups.append((m, [(i + 1,) + r[1:] for i, r in enumerate(rows)]))
    blocks("moves-d0.dat", groups, "move cn_mn_ms mn_cn_ms return_home")
    meta.append('MV_M = "%s"' % " ".join(str(m) for m, _ in groups))
    meta.append("MV_N = %d" % max([len(rows) for _, rows in groups] + [1]))
    print("bench-plots: %s: %d rows, %d moves at D = 0" % (
        disruption, len(doc["summary"]), sum(len(r) for _, r in groups)))

if os.path.exists(wan):
    doc = json.load(open(wan))
    rows = []
    for row in doc["summary"]:
        def g(k, p):
            s = row.get(k)
            return s.get(p) if s else None
        rows.append((row["wan_delay_ms"], g("cn_to_mn", "p50"), g("cn_to_mn", "p99"),
                     g("mn_to_cn", "p50"), g("mn_to_cn", "p99"), g("update_complete", "p50")))
    blocks("wan.dat", [("wan", sorted(rows))], "W cn_mn_p50 cn_mn_p99 mn_cn_p50 mn_cn_p99 update_p50 (ms)")
    meta.append("WAN_WMAX = %g" % max([r[0] for r in rows] + [1]))
    print("bench-plots: %s: %d rows" % (wan, len(rows)))

if os.path.exists(peers):
    doc = json.load(open(peers))
    rows = [(i, s.get("responses_per_s"), "%s, OF %s" % (s.get("controller"), s.get("version", "?")))
            for i, s in enumerate([x for x in doc.get("summary") or [] if x.get("mode") == "throughput"])]
    with open(os.path.join(dat, "peers.dat"), "w") as fh:
        fh.write("# index responses_per_s label\n")
        for i, v, label in rows:
            fh.write('%d %s "%s"\n' % (i, num(v), label))
    print("bench-plots: %s: %d throughput rows" % (peers, len(rows)))

with open(os.path.join(dat, "meta.gp"), "w") as fh:
    fh.write("\n".join(meta) + "\n")
EOF

# Common settings for every plot.
common() {
    cat << EOF
$TERM_PNG
load "$DAT/meta.gp"
set grid lc rgb "#dddddd"
set key top left box opaque
set style line 1 lc rgb "#1f77b4" pt 7 ps 1.2
set style line 2 lc rgb "#d62728" pt 5 ps 1.2
set style line 3 lc rgb "#2ca02c" pt 9 ps 1.2
set style line 4 lc rgb "#9467bd" pt 11 ps 1.2
EOF
}

plots=""
if [ -f "$DAT/update.dat" ]; then
    out=$IMG/bench-update-latency.png
    { common; cat << EOF
set output "$out"
set title sprintf("Binding-update latency, matflow-bench (emulated OpenFlow 1.3 switches), %s moves per point\n{/*0.9 $BENCH_MACHINE}", UPD_MOVES)
set xlabel "switches N (log scale)"
set ylabel "latency (ms)"
set logscale x
set xrange [0.7:1500]
set xtics (1, 3, 10, 30, 100, 300, 1000)
set yrange [0:*]
plot for [i=1:words(UPD_M)] "$DAT/update.dat" index (i-1) using 1:2 with linespoints ls i dt 1 \
        title sprintf("generator p50, M = %s", word(UPD_M, i)), \
     for [i=1:words(UPD_M)] "$DAT/update.dat" index (i-1) using 1:3 with linespoints ls i dt 2 \
        title sprintf("generator p99, M = %s", word(UPD_M, i)), \
     for [i=1:words(UPD_M)] "$DAT/update.dat" index (i-1) using 1:4 with linespoints ls i dt 3 pt 6 \
        title sprintf("controller p50, M = %s", word(UPD_M, i))
EOF
    } | gnuplot
    plots="$plots $out"
fi

if [ -f "$DAT/update-m.dat" ]; then
    out=$IMG/bench-update-latency-m.png
    { common; cat << EOF
set output "$out"
set title sprintf("Binding-update latency against the bindings away M, matflow-bench, %s moves per point\n{/*0.9 $BENCH_MACHINE}", UPD_MOVES)
set xlabel "bindings away M, their rules on every switch (log scale; M = 0 drawn at 100)"
set ylabel "generator latency (ms, log scale)"
set logscale xy
set xrange [50:200000]
set xtics ("0" 100, "1k" 1000, "10k" 10000, "100k" 100000)
plot for [i=1:words(UPDM_N)] "$DAT/update-m.dat" index (i-1) using 1:2 with linespoints ls ((i-1)%4+1) dt 1 \
        title sprintf("p50, N = %s", word(UPDM_N, i)), \
     for [i=1:words(UPDM_N)] "$DAT/update-m.dat" index (i-1) using 1:3 with linespoints ls ((i-1)%4+1) dt 2 pt 6 \
        title sprintf("p99, N = %s", word(UPDM_N, i))
EOF
    } | gnuplot
    plots="$plots $out"
fi

if [ -f "$DAT/wan.dat" ]; then
    out=$IMG/bench-disruption-wan.png
    { common; cat << EOF
set output "$out"
set title "Disruption against the one-way delay W between sites (delaying forwarders on the uplinks; D = 0, M = 0)\n{/*0.9 $DIS_MACHINE}"
set xlabel "one-way delay between two sites W (ms)"
set ylabel "disruption (ms)"
set xrange [-2:WAN_WMAX+2]
set yrange [0:*]
plot "$DAT/wan.dat" using 1:2 with linespoints ls 1 dt 1 title "CN -> MN p50", \
     "$DAT/wan.dat" using 1:3 with linespoints ls 1 dt 2 pt 6 title "CN -> MN p99", \
     "$DAT/wan.dat" using 1:4 with linespoints ls 2 dt 1 title "MN -> CN p50", \
     "$DAT/wan.dat" using 1:5 with linespoints ls 2 dt 2 pt 6 title "MN -> CN p99", \
     "$DAT/wan.dat" using 1:6 with linespoints ls 3 dt 3 title "matflowd update p50"
EOF
    } | gnuplot
    plots="$plots $out"
fi

if [ -s "$DAT/peers.dat" ] && [ "$(grep -vc '^#' "$DAT/peers.dat")" -gt 0 ]; then
    out=$IMG/bench-peers.png
    { common; cat << EOF
set output "$out"
set title "Learning-switch throughput (cbench-style Packet-Ins, pipe kept full), median of the runs\n{/*0.9 $BENCH_MACHINE}"
set ylabel "responses/s (log scale)"
set logscale y
set style fill solid 0.6
set boxwidth 0.6
set xtics rotate by -20 font ",9"
set xrange [-0.7:*]
set key off
plot "$DAT/peers.dat" using 1:2:xtic(3) with boxes lc rgb "#1f77b4", \
     "$DAT/peers.dat" using 1:2:(sprintf("%.0f/s", \$2)) with labels offset 0,1 font ",9"
EOF
    } | gnuplot
    plots="$plots $out"
fi

if [ -f "$DAT/mass.dat" ]; then
    out=$IMG/bench-mass-migration.png
    { common; cat << EOF
set output "$out"
set title "Mass migration: K nodes moving at once, matflow-bench (emulated switches)\n{/*0.9 $BENCH_MACHINE}"
set xlabel "switches N (log scale)"
set ylabel "time until all K updates complete (ms)"
set y2label "flow-mods/s received by the switches"
set logscale x
set xrange [5:200]
set xtics (10, 30, 100)
set yrange [0:*]
set y2range [0:*]
set ytics nomirror
set y2tics
set format y2 "%.0s%c"
set offsets 0, 0, graph 0.15, 0
plot for [i=1:words(MASS_K)] "$DAT/mass.dat" index (i-1) using 1:2 axes x1y1 with linespoints ls i dt 1 \
        title sprintf("all complete, K = %s (left axis)", word(MASS_K, i)), \
     for [i=1:words(MASS_K)] "$DAT/mass.dat" index (i-1) using 1:2:(sprintf("%.1f ms", \$2)) axes x1y1 \
        with labels left offset 1.2,-0.9 notitle, \
     for [i=1:words(MASS_K)] "$DAT/mass.dat" index (i-1) using 1:3 axes x1y2 with linespoints ls (i+1) dt 2 \
        title sprintf("flow-mods/s, K = %s (right axis)", word(MASS_K, i)), \
     for [i=1:words(MASS_K)] "$DAT/mass.dat" index (i-1) using 1:3:(sprintf("%.0fk/s, %.0fk flow-mods", \$3/1000, \$4/1000)) \
        axes x1y2 with labels offset 0,1.2 notitle
EOF
    } | gnuplot
    plots="$plots $out"
fi

if [ -f "$DAT/disruption.dat" ]; then
    out=$IMG/bench-disruption.png
    { common; cat << EOF
set output "$out"
set multiplot layout 1,2 title sprintf("Data-path disruption (first RARP -> first probe on the new path), %s moves per point\n{/*0.9 $DIS_MACHINE}", DIS_MOVES)
set xlabel "controller-switch one-way delay D (ms)"
set ylabel "disruption (ms, log scale)"
set logscale y
set xrange [-2:DIS_DMAX+2]
set yrange [1:3000]
set key top right box opaque font ",9"
set samples 501
target(d) = 2.5 * (2 * d) + 2
set title "CN -> MN"
plot sample [x=0:DIS_DMAX] "+" using (x):(target(x)) with lines lc rgb "black" dt 4 lw 1.5 title "target 2.5 R + 2 ms (R = 2D)", \
     for [i=1:words(DIS_M)] "$DAT/disruption.dat" index (i-1) using 1:2 with linespoints ls i dt 1 \
        title sprintf("p50, M = %s", word(DIS_M, i)), \
     for [i=1:words(DIS_M)] "$DAT/disruption.dat" index (i-1) using 1:3 with linespoints ls i dt 2 pt 6 \
        title sprintf("p99, M = %s", word(DIS_M, i))
set title "MN -> CN"
set ylabel " "
plot sample [x=0:DIS_DMAX] "+" using (x):(target(x)) with lines lc rgb "black" dt 4 lw 1.5 title "target 2.5 R + 2 ms (R = 2D)", \
     for [i=1:words(DIS_M)] "$DAT/disruption.dat" index (i-1) using 1:4 with linespoints ls i dt 1 \
        title sprintf("p50, M = %s", word(DIS_M, i)), \
     for [i=1:words(DIS_M)] "$DAT/disruption.dat" index (i-1) using 1:5 with linespoints ls i dt 2 pt 6 \
        title sprintf("p99, M = %s", word(DIS_M, i))
unset multiplot
EOF
    } | gnuplot
    plots="$plots $out"
fi

if [ -f "$DAT/moves-d0.dat" ]; then
    out=$IMG/bench-disruption-moves.png
    { common; cat << EOF
set output "$out"
set title "Disruption of every move at D = 0 (site1 -> site2 -> site3 -> site1 ...; site1 is home)\n{/*0.9 $DIS_MACHINE}"
set xlabel "move index"
set ylabel "disruption, first RARP -> first probe on the new path (ms)"
set xrange [0:MV_N+1]
set xtics 1
set yrange [-1:*]
set key top left box opaque font ",9"
plot 5 with lines lc rgb "black" dt 4 lw 1.5 title "p99 target 5 ms", \
     for [i=1:words(MV_M)] "$DAT/moves-d0.dat" index (i-1) using 1:2 with points ls i pt 7 \
        title sprintf("CN -> MN, M = %s", word(MV_M, i)), \
     for [i=1:words(MV_M)] "$DAT/moves-d0.dat" index (i-1) using 1:3 with points ls i pt 9 \
        title sprintf("MN -> CN, M = %s", word(MV_M, i)), \
     for [i=1:words(MV_M)] "$DAT/moves-d0.dat" index (i-1) using 1:(\$4 > 0 ? \$2 : NaN) with points \
        lc rgb "black" pt 6 ps 2.4 title (i == 1 ? "return home (to site1)" : ""), \
     for [i=1:words(MV_M)] "$DAT/moves-d0.dat" index (i-1) using 1:(\$4 > 0 ? \$3 : NaN) with points \
        lc rgb "black" pt 6 ps 2.4 notitle
EOF
    } | gnuplot
    plots="$plots $out"
fi

for p in $plots; do
    echo "bench-plots: $p"
done
echo "bench-plots: data: $DAT"
