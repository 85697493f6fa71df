#!/bin/bash
# test_qemu_migration.sh - QEMU live migration between two Open vSwitch bridges,
# with nothing of matflow in the loop: the harness the migration tests and the
# demo build on (tests/lib/guest.sh, qemu.sh, qmp.py), checked on its own.
#
# In a throwaway namespace: a private OVS (userspace datapath) with bridges brA
# and brB, fail-mode=standalone (NORMAL, MAC learning), joined by a patch port
# pair, so the guest keeps its subnet; a correspondent namespace (10.1.0.1, the
# guest's gateway) on brA; a tap on each bridge. For each NIC model
# (virtio-net-pci, e1000; MIGRATION_NICS="..." to choose): boot the tiny guest
# on brA's tap (TCP echo server, ping loop to 10.1.0.1 on its console), run a
# verified TCP byte stream correspondent -> guest -> correspondent, live-migrate
# the guest into a QEMU on brB's tap, and check, one TAP line each:
#   migration completed (QEMU's downtime / total time reported), destination
#   running, source paused and quit; 5 RARPs from the guest's MAC on the
#   destination tap with QEMU's spacing; with virtio-net the guest's gratuitous
#   ARPs too (e1000: counted, none expected); the TCP stream carried on across
#   the migration with every byte back intact; the console ping goes on from
#   the destination.
# The guest is built (and cached) first, outside the namespace: it downloads.
# Needs root, qemu-system-x86, openvswitch-switch, tcpdump, ethtool, cpio.

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export TB_ROOT="$ROOT"
# shellcheck source=../lib/testbed.sh
. "$ROOT/tests/lib/testbed.sh"
# shellcheck source=../lib/qemu.sh
. "$ROOT/tests/lib/qemu.sh"

NICS=${MIGRATION_NICS:-virtio-net-pci e1000}
PY=/usr/bin/python3
n=0
failed=0
ok()     { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
diag() { sed 's/^/# /'; }
T_START=$(date +%s%3N)
secs() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }
elapsed() { secs $(( $(date +%s%3N) - T_START )); }

for c in qemu-system-x86_64 tcpdump cpio dpkg-deb apt-get "$PY"; do
    if ! command -v "$c" >/dev/null 2>&1; then
        not_ok "$c is installed (qemu-system-x86, tcpdump, cpio)"
        echo "1..$n"; exit 1
    fi
done

# The guest: outside the namespace (apt-get download needs the network).
if G=$("$ROOT/tests/lib/guest.sh" 2> "${TMPDIR:-/tmp}/guest-build.$$.log"); then
    ok "guest built or cached: $G ($(elapsed) s)"
    rm -f "${TMPDIR:-/tmp}/guest-build.$$.log"
else
    not_ok "guest build"; diag < "${TMPDIR:-/tmp}/guest-build.$$.log"
    rm -f "${TMPDIR:-/tmp}/guest-build.$$.log"
    echo "1..$n"; exit 1
fi

tb_init qemu
P=$TB_PREFIX
on_exit() {
    rc=$?
    trap '' INT TERM HUP     # a second signal must not cut the teardown short
    if [ "$failed" -gt 0 ] || [ "$rc" -ne 0 ]; then
        for f in "$TB_RUN"/qemu-*.log "$TB_RUN"/stream-*.log "$TB_RUN"/tcpdump-*.log; do
            [ -s "$f" ] || continue
            echo "# ---- ${f##*/} (tail)"; tail -n 25 "$f" | diag
        done
    fi
    qm_teardown
    tb_teardown
    echo "# total $(elapsed) s"
    [ "$failed" -eq 0 ] && [ "$rc" -eq 0 ] && exit 0
    exit 1
}
trap on_exit EXIT
qm_init "$TB_RUN" "$TB_NS" "$G" || { not_ok "qm_init"; exit 1; }

# ---------------------------------------------------------------- OVS, L2
BRA=${P}brA BRB=${P}brB TAPA=${P}tapA TAPB=${P}tapB
tb_ovs_start
for b in "$BRA" "$BRB"; do
    tb_vsctl add-br "$b" -- set bridge "$b" datapath_type=netdev fail-mode=standalone \
        other-config:disable-in-band=true || tb_die "add-br $b"
done
tb_vsctl add-port "$BRA" "${P}pA" -- set interface "${P}pA" type=patch options:peer="${P}pB" \
    ofport_request=2 -- add-port "$BRB" "${P}pB" -- set interface "${P}pB" type=patch \
    options:peer="${P}pA" ofport_request=2 || tb_die "patch ports"
tb_port_add_tap "$BRA" "$TAPA" 10
tb_port_add_tap "$BRB" "$TAPB" 10
tb_host_add cn "$BRA" 1 10.1.0.1/24
CN=$(tb_nsname cn)
flows_ok() { tb_ofctl dump-flows "unix:$TB_OVS/$1.mgmt" | grep -q 'actions=NORMAL'; }
if flows_ok "$BRA" && flows_ok "$BRB"; then
    ok "two standalone netdev bridges (NORMAL) joined by patch ports, correspondent on $BRA ($(elapsed) s)"
else
    not_ok "bridges forward with NORMAL"
fi

# count_rarps FILE MAC / count_garps FILE IP: announcements in a tcpdump -e text.
count_rarps() { grep -F "$2 > ff:ff:ff:ff:ff:ff" "$1" | grep -c "Reverse Request who-is $2 tell $2"; }
count_garps() { grep -c "Request who-has $2 tell $2," "$1"; }
# rarp_offsets FILE MAC: "+0 +50 +200 ..." ms after the first RARP.
rarp_offsets() {
    grep -F "Reverse Request who-is $2" "$1" |
        awk '{ t = $1 * 1000; if (NR == 1) t0 = t; printf "%s+%d", (NR > 1 ? " " : ""), t - t0 + 0.5 }'
}
# last_seq FILE: the last ping reply's seq number on a console log.
last_seq() { sed -n 's/.*seq=\([0-9]*\).*/\1/p' "$1" 2>/dev/null | tail -n 1; }

# ---------------------------------------------------------------- one NIC model
run_model() {
    local nic=$1 idx=$2 t0 mac ip src dst dump st before after stall lost seq_src seq_dst
    t0=$(date +%s%3N)
    mac=52:54:00:12:34:5$idx
    ip=10.1.0.1$idx
    src=src$idx dst=dst$idx
    dump=tcpdump-$nic
    echo "# ---- $nic: guest $mac $ip, $TAPA -> $TAPB"

    if ! qm_start "$src" "$TAPA" "$nic" "$mac" "$ip/24" 10.1.0.1 mfecho=7 mfping=10.1.0.1; then
        not_ok "$nic: QEMU starts on $TAPA"; return
    fi
    local drv
    drv=virtio_net; [ "$nic" = e1000 ] && drv=e1000
    if qm_wait_ready "$src" 90 && qm_wait_serial "$src" 'seq=' 20 &&
        grep -q "^MFGUEST nic=$drv " "$(qm_serial "$src")"; then
        ok "$nic: guest booted on $TAPA in $(secs "$QM_BOOT_MS") s ($(grep -m1 '^MFGUEST' "$(qm_serial "$src")" | cut -d' ' -f2-4)), pings 10.1.0.1"
    else
        not_ok "$nic: guest boots on $TAPA with driver $drv and pings its gateway"
        diag < "$(qm_serial "$src")"; qm_quit "$src"; return
    fi

    qm_stream_start "$nic" "$CN" "$ip" 7 32768
    if qm_stream_wait "$nic" received 16384 20; then
        ok "$nic: TCP stream correspondent <-> guest echo running ($(qm_stream_get "$nic" received) bytes verified)"
    else
        not_ok "$nic: TCP stream to the guest's echo server"; diag < "$TB_RUN/stream-$nic.log"
        qm_stream_kill "$nic"; qm_quit "$src"; return
    fi

    # tb_bg: output (and tcpdump's "listening on") in $TB_RUN/$dump.log.
    tb_bg "$dump" tcpdump -i "$TAPB" -nn -e -tt -l 'ether proto 0x8035 or arp'
    if ! tb_wait 5 grep -q "listening on" "$TB_RUN/$dump.log"; then
        not_ok "$nic: tcpdump listens on $TAPB"
    fi
    if ! qm_start_incoming "$dst" "$src" "$TAPB"; then
        not_ok "$nic: destination QEMU waits on $TAPB (-incoming)"
        qm_stream_kill "$nic"; qm_quit "$src"; return
    fi

    before=$(qm_stream_get "$nic" received)
    seq_src=$(last_seq "$(qm_serial "$src")")
    if qm_migrate "$src" "$dst" 60; then
        ok "$nic: migration completed: downtime $QM_DOWNTIME_MS ms, total $QM_TOTAL_MS ms, setup $QM_SETUP_MS ms (wall $QM_WALL_MS ms; $((QM_MIG_BYTES / 1048576)) MiB at $QM_MIG_MBPS Mbit/s, $QM_MIG_SYNCS dirty syncs)"
    else
        not_ok "$nic: migration completed (status ${QM_MIG_STATUS:-?})"
        echo "$QM_MIG_JSON" | diag
        qm_stream_kill "$nic"; qm_quit "$dst"; qm_quit "$src"; return
    fi
    st=$(qm_status "$src")
    qm_quit "$src"
    if [ "$st" = postmigrate ] && ! qm_running "$src" && qm_running "$dst"; then
        ok "$nic: destination running, source was $st and has quit"
    else
        not_ok "$nic: source postmigrate (was '$st') and quit, destination running"
    fi

    # QEMU's announcements: 5 rounds over ~0.8 s from the destination's resume.
    # shellcheck disable=SC2016  # expanded by eval, each try
    tb_wait 3 eval '[ "$(count_rarps "$TB_RUN/$dump.log" "$mac")" -ge 5 ]'
    sleep 0.2         # anything after the fifth (there should be nothing)
    tb_stop "$dump" INT 3
    local rarps garps
    rarps=$(count_rarps "$TB_RUN/$dump.log" "$mac")
    garps=$(count_garps "$TB_RUN/$dump.log" "$ip")
    if [ "$rarps" -eq 5 ]; then
        ok "$nic: 5 RARPs from $mac on $TAPB at $(rarp_offsets "$TB_RUN/$dump.log" "$mac") ms"
    else
        not_ok "$nic: 5 RARPs on $TAPB (saw $rarps)"; diag < "$TB_RUN/$dump.log"
    fi
    if [ "$nic" = e1000 ]; then
        ok "$nic: $garps gratuitous ARPs from the guest (e1000 has no guest announce)"
    elif [ "$garps" -ge 1 ]; then
        ok "$nic: $garps gratuitous ARPs (who-has $ip tell $ip) from the guest"
    else
        not_ok "$nic: gratuitous ARPs from the guest (saw none)"; diag < "$TB_RUN/$dump.log"
    fi

    # The stream goes on from the destination: 2 s worth more, then all back.
    if qm_stream_wait "$nic" received $((before + 65536)) 20; then
        if qm_stream_stop "$nic"; then
            after=$(printf '%s' "$QM_STREAM_RESULT" | sed -n 's/.* received=\([0-9]*\).*/\1/p')
            stall=$(printf '%s' "$QM_STREAM_RESULT" | sed -n 's/.*max_gap_ms=\([0-9]*\).*/\1/p')
            ok "$nic: TCP stream survived the migration: $after bytes echoed and verified ($((after - before)) after the migration began), none lost or corrupt; longest stall $stall ms"
        else
            not_ok "$nic: TCP stream intact across the migration"; echo "${QM_STREAM_RESULT:-no result}" | diag
        fi
        echo "# $QM_STREAM_RESULT"
    else
        not_ok "$nic: TCP stream carries on after the migration (stuck at $(qm_stream_get "$nic" received) bytes, state $(qm_stream_get "$nic" state) $(qm_stream_get "$nic" error))"
        qm_stream_kill "$nic"
    fi

    # The console ping continues in the destination's log.
    if qm_wait_serial "$dst" "seq=[0-9]+ " 10; then
        seq_dst=$(last_seq "$(qm_serial "$dst")")
        lost=$(cat "$(qm_serial "$src")" "$(qm_serial "$dst")" | sed -n 's/.*seq=\([0-9]*\).*/\1/p' |
            sort -n | uniq | awk 'NR == 1 { lo = $1 } { hi = $1; n++ } END { print (hi - lo + 1) - n }')
        ok "$nic: console ping continues on the destination (seq $seq_src before, $seq_dst now; replies missing: $lost)"
    else
        not_ok "$nic: console ping continues on the destination"; tail -n 5 "$(qm_serial "$dst")" | diag
    fi
    qm_quit "$dst"
    SUMMARY="$SUMMARY
# $nic: boot $(secs "$QM_BOOT_MS") s, downtime $QM_DOWNTIME_MS ms, total $QM_TOTAL_MS ms, wall $QM_WALL_MS ms, RARPs $rarps, GARPs $garps, TCP ${after:-?} bytes verified, stall ${stall:-?} ms"
    echo "# $nic: $(secs $(( $(date +%s%3N) - t0 ))) s"
}

SUMMARY=""
idx=0
for nic in $NICS; do
    idx=$((idx + 1))
    run_model "$nic" "$idx"
done
echo "# summary:$SUMMARY"
echo "1..$n"
