# shellcheck shell=sh
# shellcheck disable=SC2034  # QM_* results are read by the caller
# qemu.sh - start, live-migrate and stop the tiny test guest with QEMU.
#
# Source it from a POSIX sh (or bash) script running as root, after building
# the guest (outside any isolated namespace: the build downloads):
#
#   G=$(tests/lib/guest.sh) || exit 1
#   . tests/lib/qemu.sh
#   qm_init "$RUN" "$NS" "$G"          # run dir, namespace for QEMU (or ""), guest
#   qm_start src tapA virtio-net-pci 52:54:00:12:34:56 10.1.0.10/24 10.1.0.1 \
#       mfecho=7 mfping=10.1.0.1       # workload: kernel args, see guest.sh
#   qm_wait_ready src 60               # "GUEST-READY" on the serial console
#   qm_start_incoming dst src tapB     # same machine, -incoming tcp:127.0.0.1:PORT
#   qm_migrate src dst                 # waits; QM_DOWNTIME_MS QM_TOTAL_MS ...
#   qm_quit src                        # the source stays paused: end it
#   qm_teardown                        # every QEMU started here, by PID
#
# QEMU runs under TCG (no /dev/kvm needed), 128 MiB, one vCPU, the NIC on a
# persistent tap (`ip tuntap add dev X mode tap`, a plain OVS port, not an OVS
# type=tap port), `vnet_hdr=off` (the userspace datapath does not finish
# partial checksums). Migration goes over tcp:127.0.0.1 in the QEMU namespace,
# so source and destination must run in the same one.
#
# Files, all in the run dir: qemu-NAME.log (QEMU's stdout and stderr),
# qemu-NAME.serial.log (the guest's console; after a migration the guest
# writes to the destination's), qemu-NAME.qmp (QMP socket), qemu-NAME.pid,
# qemu-NAME.conf (what qm_start_incoming copies).
#
# Also here, as the demo needs it too: qm_stream_*, a TCP byte stream from a
# correspondent through the guest's echo server (mfecho=PORT), verified byte
# by byte, with the stalls it saw.
#
# Variables a caller may set before qm_init: QM_QEMU (qemu-system-x86_64),
# QM_MEM (128), QM_PY (/usr/bin/python3), QM_MIGRATE_PORT (4444),
# QM_APPEND_EXTRA (more kernel arguments for every guest).

# This file's directory: BASH_SOURCE under bash; under another sh, set QM_LIB
# or TB_ROOT before sourcing.
# shellcheck disable=SC3028
QM_LIB=${QM_LIB:-$(cd "$(dirname "${BASH_SOURCE:-$0}")" 2>/dev/null && pwd)}
[ -f "$QM_LIB/qmp.py" ] || QM_LIB=${TB_ROOT:+$TB_ROOT/tests/lib}

qm_log() { printf '%s\n' "qemu.sh: $*" >&2; }
qm_ms() { date +%s%3N; }

# qm_init RUN [NS] [GUESTDIR]: where QEMU's files go (RUN must exist; short:
# a unix socket path is at most 107 bytes), the network namespace QEMU runs in
# ("" = this one) and the guest build (default: ask guest.sh).
qm_init() {
    QM_RUN=$1
    QM_NS=${2:-}
    QM_GUEST=${3:-}
    QM_QEMU=${QM_QEMU:-qemu-system-x86_64}
    QM_MEM=${QM_MEM:-128}
    QM_PY=${QM_PY:-/usr/bin/python3}
    QM_MIGRATE_PORT=${QM_MIGRATE_PORT:-4444}
    [ -d "$QM_RUN" ] || { qm_log "no run dir $QM_RUN"; return 1; }
    if [ -z "$QM_GUEST" ]; then
        QM_GUEST=$("$QM_LIB/guest.sh") || { qm_log "guest build failed"; return 1; }
    fi
    for _qi_f in vmlinuz initrd.gz; do
        [ -f "$QM_GUEST/$_qi_f" ] || { qm_log "no $_qi_f in $QM_GUEST"; return 1; }
    done
    command -v "$QM_QEMU" >/dev/null 2>&1 || { qm_log "$QM_QEMU not found"; return 1; }
    [ ${#QM_RUN} -le 80 ] || { qm_log "run dir path too long for QMP sockets: $QM_RUN"; return 1; }
    : > "$QM_RUN/qemu.started"
}

# qm_in CMD...: run CMD in the QEMU namespace.
qm_in() {
    if [ -n "$QM_NS" ]; then ip netns exec "$QM_NS" "$@"; else "$@"; fi
}

qm_qmp() { _qq_n=$1; shift; "$QM_PY" "$QM_LIB/qmp.py" "$QM_RUN/qemu-$_qq_n.qmp" "$@"; }
qm_pid() { cat "$QM_RUN/qemu-$1.pid" 2>/dev/null; }
qm_serial() { echo "$QM_RUN/qemu-$1.serial.log"; }
# qm_running NAME: its QEMU process exists and is not a zombie.
qm_running() {
    _qr_p=$(qm_pid "$1") && [ -n "$_qr_p" ] && kill -0 "$_qr_p" 2>/dev/null &&
        [ "$(awk '{print $3}' "/proc/$_qr_p/stat" 2>/dev/null)" != Z ]
}
# qm_status NAME: QEMU's run state (running, inmigrate, postmigrate, paused...).
qm_status() { qm_qmp "$1" query-status | sed -n 's/.*"status": "\([^"]*\)".*/\1/p'; }

# qm__launch NAME TAP NIC MAC APPEND [QEMU-ARGS...]: QEMU in the background,
# in the QEMU namespace; the pid ($!) is QEMU's own (ip netns exec and env
# exec it).
qm__launch() {
    _ql_n=$1 _ql_tap=$2 _ql_nic=$3 _ql_mac=$4 _ql_app=$5
    shift 5
    rm -f "$QM_RUN/qemu-$_ql_n.qmp" "$QM_RUN/qemu-$_ql_n.serial.log"
    printf '%s\n' "$_ql_nic" "$_ql_mac" "$_ql_app" > "$QM_RUN/qemu-$_ql_n.conf"
    # Not through qm_in: a backgrounded function is a subshell, and $! its pid.
    if [ -n "$QM_NS" ]; then _ql_in="ip netns exec $QM_NS"; else _ql_in='env'; fi
    # shellcheck disable=SC2086  # _ql_in is split on purpose
    $_ql_in "$QM_QEMU" -name "$_ql_n" -machine pc,accel=tcg -cpu qemu64 -m "$QM_MEM" -smp 1 \
        -nodefaults -no-user-config -display none -vga none -no-reboot \
        -kernel "$QM_GUEST/vmlinuz" -initrd "$QM_GUEST/initrd.gz" -append "$_ql_app" \
        -netdev "tap,id=n0,ifname=$_ql_tap,script=no,downscript=no,vnet_hdr=off" \
        -device "$_ql_nic,netdev=n0,mac=$_ql_mac,romfile=" \
        -serial "file:$QM_RUN/qemu-$_ql_n.serial.log" \
        -qmp "unix:$QM_RUN/qemu-$_ql_n.qmp,server=on,wait=off" \
        "$@" < /dev/null > "$QM_RUN/qemu-$_ql_n.log" 2>&1 &
    echo $! > "$QM_RUN/qemu-$_ql_n.pid"
    echo "$_ql_n" >> "$QM_RUN/qemu.started"
    # Up when QMP answers (QEMU made its sockets and entered its main loop).
    _ql_i=0
    while [ ! -S "$QM_RUN/qemu-$_ql_n.qmp" ] && [ $_ql_i -lt 100 ]; do
        qm_running "$_ql_n" || break
        sleep 0.05; _ql_i=$((_ql_i + 1))
    done
    if ! qm_running "$_ql_n" || ! qm_qmp "$_ql_n" query-status > /dev/null; then
        qm_log "QEMU $_ql_n did not start:"; sed 's/^/  /' "$QM_RUN/qemu-$_ql_n.log" >&2
        return 1
    fi
}

# qm_start NAME TAP NIC MAC ADDR/PLEN GATEWAY [KERNEL-ARG...]: boot the guest
# with NIC (virtio-net-pci, e1000, ...) on TAP; the kernel args add its
# workload (mfecho=PORT, mfping=ADDR, mfpingi=SEC: see guest.sh). Returns
# when QEMU runs; qm_wait_ready waits for the guest.
qm_start() {
    _qs_n=$1 _qs_tap=$2 _qs_nic=$3 _qs_mac=$4 _qs_ip=$5 _qs_gw=$6
    shift 6
    qm__launch "$_qs_n" "$_qs_tap" "$_qs_nic" "$_qs_mac" \
        "console=ttyS0 quiet panic=-1 mfip=$_qs_ip mfgw=$_qs_gw $* ${QM_APPEND_EXTRA:-}"
}

# qm_start_incoming NAME FROM TAP [PORT]: a destination for FROM's guest (same
# NIC, MAC, kernel and arguments) on TAP, waiting with -incoming
# tcp:127.0.0.1:PORT (default $QM_MIGRATE_PORT) in state "inmigrate".
qm_start_incoming() {
    _qi_n=$1 _qi_from=$2 _qi_tap=$3 _qi_port=${4:-$QM_MIGRATE_PORT}
    [ -f "$QM_RUN/qemu-$_qi_from.conf" ] || { qm_log "no VM $_qi_from"; return 1; }
    qm__launch "$_qi_n" "$_qi_tap" "$(sed -n 1p "$QM_RUN/qemu-$_qi_from.conf")" \
        "$(sed -n 2p "$QM_RUN/qemu-$_qi_from.conf")" "$(sed -n 3p "$QM_RUN/qemu-$_qi_from.conf")" \
        -incoming "tcp:127.0.0.1:$_qi_port" || return 1
    echo "$_qi_port" > "$QM_RUN/qemu-$_qi_n.port"
    [ "$(qm_status "$_qi_n")" = inmigrate ] || { qm_log "$_qi_n is not in inmigrate"; return 1; }
}

# qm_wait_serial NAME PATTERN TIMEOUT: wait until grep -E PATTERN matches
# NAME's console log; 1 on timeout or when QEMU ended.
qm_wait_serial() {
    _qw_end=$(( $(qm_ms) + $3 * 1000 ))
    while :; do
        grep -qE -- "$2" "$QM_RUN/qemu-$1.serial.log" 2>/dev/null && return 0
        qm_running "$1" || { qm_log "QEMU $1 ended"; return 1; }
        [ "$(qm_ms)" -ge "$_qw_end" ] && return 1
        sleep 0.1
    done
}
# qm_wait_ready NAME TIMEOUT: wait for GUEST-READY; sets QM_BOOT_MS (since
# qm_wait_ready was called, so call it right after qm_start).
qm_wait_ready() {
    _qwr_t0=$(qm_ms)
    qm_wait_serial "$1" '^GUEST-READY' "$2" || return 1
    QM_BOOT_MS=$(( $(qm_ms) - _qwr_t0 ))
}

# qm__field JSON KEY: the number after "KEY": in JSON text (first match).
qm__field() { printf '%s' "$1" | sed -n "s/.*\"$2\": \\([0-9.]*\\).*/\\1/p"; }

# qm_migrate FROM TO [TIMEOUT]: live-migrate FROM's guest into TO (made by
# qm_start_incoming) and wait until QEMU reports completed (or failed, or
# TIMEOUT s, default 60, then the migration is cancelled). Sets
# QM_MIG_STATUS, QM_DOWNTIME_MS, QM_TOTAL_MS, QM_SETUP_MS (QEMU's figures),
# QM_WALL_MS (migrate command sent -> completed seen), QM_MIG_MBPS (integer),
# QM_MIG_BYTES, QM_MIG_SYNCS, QM_MIG_T0 / QM_MIG_T1 (epoch ms) and
# QM_MIG_JSON (the last query-migrate). 0 when completed and TO runs.
qm_migrate() {
    _qm_from=$1 _qm_to=$2 _qm_tmo=${3:-60}
    _qm_port=$(cat "$QM_RUN/qemu-$_qm_to.port" 2>/dev/null) || { qm_log "$_qm_to is no destination"; return 1; }
    QM_MIG_STATUS='' QM_DOWNTIME_MS='' QM_TOTAL_MS='' QM_SETUP_MS='' QM_WALL_MS='' QM_MIG_JSON=''
    QM_MIG_MBPS='' QM_MIG_BYTES='' QM_MIG_SYNCS='' 
    QM_MIG_T0=$(qm_ms)
    qm_qmp "$_qm_from" migrate "{\"uri\":\"tcp:127.0.0.1:$_qm_port\"}" > /dev/null || return 1
    _qm_qmp_failures=0
    while :; do
        # A failed query (the monitor busy for a moment) is retried, not fatal.
        if ! QM_MIG_JSON=$(qm_qmp "$_qm_from" query-migrate); then
            _qm_qmp_failures=$((_qm_qmp_failures + 1))
            [ "$_qm_qmp_failures" -ge 10 ] && return 1
            sleep 0.1
            continue
        fi
        QM_MIG_STATUS=$(printf '%s' "$QM_MIG_JSON" | sed -n 's/.*"status": "\([^"]*\)".*/\1/p')
        case $QM_MIG_STATUS in
            completed|failed|cancelled) break ;;
        esac
        if [ $(( $(qm_ms) - QM_MIG_T0 )) -ge $(( _qm_tmo * 1000 )) ]; then
            qm_log "migration $_qm_from -> $_qm_to still $QM_MIG_STATUS after $_qm_tmo s: cancelling"
            qm_qmp "$_qm_from" migrate_cancel > /dev/null
            return 1
        fi
        sleep 0.02
    done
    QM_MIG_T1=$(qm_ms)
    QM_WALL_MS=$((QM_MIG_T1 - QM_MIG_T0))
    QM_DOWNTIME_MS=$(qm__field "$QM_MIG_JSON" downtime)
    QM_TOTAL_MS=$(qm__field "$QM_MIG_JSON" total-time)
    QM_SETUP_MS=$(qm__field "$QM_MIG_JSON" setup-time)
    QM_MIG_MBPS=$(qm__field "$QM_MIG_JSON" mbps); QM_MIG_MBPS=${QM_MIG_MBPS%.*}
    QM_MIG_BYTES=$(qm__field "$QM_MIG_JSON" transferred)
    QM_MIG_SYNCS=$(qm__field "$QM_MIG_JSON" dirty-sync-count)
    if [ "$QM_MIG_STATUS" != completed ]; then
        qm_log "migration $_qm_from -> $_qm_to $QM_MIG_STATUS: $QM_MIG_JSON"
        return 1
    fi
    # The destination resumes on its own (no -S); give it a moment.
    _qm_i=0
    while [ "$(qm_status "$_qm_to")" != running ]; do
        _qm_i=$((_qm_i + 1))
        [ $_qm_i -ge 50 ] && { qm_log "$_qm_to does not run after the migration"; return 1; }
        sleep 0.1
    done
}

# qm_announce NAME [ROUNDS [INITIAL MAX STEP]]: make QEMU send its RARP
# announcements now, without migrating (defaults: QEMU's 5, 50, 550, 100 ms).
qm_announce() {
    qm_qmp "$1" announce-self \
        "{\"rounds\":${2:-5},\"initial\":${3:-50},\"max\":${4:-550},\"step\":${5:-100}}" > /dev/null
}

# qm_quit NAME [TIMEOUT]: QMP quit, wait for the process to end (TERM, then
# KILL after TIMEOUT s, default 5). A paused migration source must be ended
# this way, never continued (two copies of the guest would run).
qm_quit() {
    _qq_pid=$(qm_pid "$1") || return 0
    [ -n "$_qq_pid" ] || return 0
    # A wedged QEMU must not hold us for qmp.py's 30 s socket timeout.
    qm_running "$1" && timeout 3 "$QM_PY" "$QM_LIB/qmp.py" "$QM_RUN/qemu-$1.qmp" quit > /dev/null 2>&1
    _qq_end=$(( $(qm_ms) + ${2:-5} * 1000 ))
    _qq_sig=TERM
    while qm_running "$1"; do
        if [ "$(qm_ms)" -ge "$_qq_end" ]; then
            qm_log "QEMU $1 (pid $_qq_pid) did not quit: $_qq_sig"
            kill -"$_qq_sig" "$_qq_pid" 2>/dev/null
            [ $_qq_sig = KILL ] && break
            _qq_sig=KILL; _qq_end=$(( $(qm_ms) + 2000 ))
        fi
        sleep 0.05
    done
    wait "$_qq_pid" 2>/dev/null
    rm -f "$QM_RUN/qemu-$1.pid"
    return 0
}

# qm_teardown: end every QEMU and stream started through this file, by PID.
qm_teardown() {
    [ -n "${QM_RUN:-}" ] && [ -f "$QM_RUN/qemu.started" ] || return 0
    for _qt_n in "$QM_RUN"/stream-*.pid; do
        [ -f "$_qt_n" ] || continue
        _qt_n=${_qt_n##*/stream-}; qm_stream_kill "${_qt_n%.pid}"
    done
    # shellcheck disable=SC2013  # one name a line, no spaces
    for _qt_n in $(cat "$QM_RUN/qemu.started"); do
        [ -f "$QM_RUN/qemu-$_qt_n.pid" ] && qm_quit "$_qt_n" 3
    done
    return 0
}

# ---------------------------------------------------------------- TCP stream
# qm_stream_start NAME NS HOST PORT [BYTES-PER-S]: from namespace NS ("" =
# QEMU's), connect to HOST:PORT (the guest's mfecho server) and send an endless
# stream of "%010d\n" lines (default 32768 bytes/s, 512-byte writes), checking
# every echoed byte against what was sent. Status in $QM_RUN/stream-NAME.json,
# rewritten every 0.2 s: state (connecting, running, draining, done, error),
# sent, received (= verified: a wrong byte ends the stream with an error),
# corrupt, max_gap_ms (longest time with bytes outstanding and none coming
# back), max_gap_at (epoch ms when that stall began), gaps ([epoch ms, ms]
# for each stall over 100 ms), error.
qm_stream_start() {
    _ss_n=$1 _ss_ns=${2:-$QM_NS}
    _qm_stream_py > "$QM_RUN/tcpstream.py"
    rm -f "$QM_RUN/stream-$_ss_n.json"
    if [ -n "$_ss_ns" ]; then
        ip netns exec "$_ss_ns" "$QM_PY" "$QM_RUN/tcpstream.py" "$3" "$4" \
            "$QM_RUN/stream-$_ss_n.json" "${5:-32768}" > "$QM_RUN/stream-$_ss_n.log" 2>&1 &
    else
        "$QM_PY" "$QM_RUN/tcpstream.py" "$3" "$4" "$QM_RUN/stream-$_ss_n.json" "${5:-32768}" \
            > "$QM_RUN/stream-$_ss_n.log" 2>&1 &
    fi
    echo $! > "$QM_RUN/stream-$_ss_n.pid"
}
# qm_stream_get NAME FIELD: one field of the stream's status (numbers, state).
qm_stream_get() {
    _sg_j=$(cat "$QM_RUN/stream-$1.json" 2>/dev/null) || return 1
    case $2 in
        state|error) printf '%s' "$_sg_j" | sed -n "s/.*\"$2\": \"\\([^\"]*\\)\".*/\\1/p" ;;
        *) qm__field "$_sg_j" "$2" ;;
    esac
}
# qm_stream_wait NAME FIELD MIN TIMEOUT: wait until FIELD >= MIN; 1 on timeout
# or when the stream failed.
qm_stream_wait() {
    _sw_end=$(( $(qm_ms) + $4 * 1000 ))
    while :; do
        _sw_v=$(qm_stream_get "$1" "$2")
        [ -n "$_sw_v" ] && [ "${_sw_v%.*}" -ge "$3" ] && return 0
        [ "$(qm_stream_get "$1" state)" = error ] && return 1
        [ "$(qm_ms)" -ge "$_sw_end" ] && return 1
        sleep 0.1
    done
}
# qm_stream_stop NAME: stop sending, wait until every byte sent came back
# (up to 15 s) and the stream closed. Sets QM_STREAM_RESULT to its final line
# ("tcpstream: result=ok sent=N received=N corrupt=0 outstanding=0
# max_gap_ms=N max_gap_at=EPOCH-MS gaps=[[epoch-ms,ms],...] error=-"); 0 when
# result=ok, that is the whole stream came back intact. Works from a subshell
# too, but then do not use $(...): read QM_STREAM_RESULT.
qm_stream_stop() {
    QM_STREAM_RESULT=
    _st_p=$(cat "$QM_RUN/stream-$1.pid" 2>/dev/null) || return 1
    kill -TERM "$_st_p" 2>/dev/null
    _st_end=$(( $(qm_ms) + 20000 ))
    while kill -0 "$_st_p" 2>/dev/null &&
        [ "$(awk '{print $3}' "/proc/$_st_p/stat" 2>/dev/null)" != Z ]; do
        [ "$(qm_ms)" -ge "$_st_end" ] && { kill -KILL "$_st_p" 2>/dev/null; break; }
        sleep 0.05
    done
    wait "$_st_p" 2>/dev/null
    rm -f "$QM_RUN/stream-$1.pid"
    QM_STREAM_RESULT=$(grep '^tcpstream:' "$QM_RUN/stream-$1.log" | tail -n 1)
    case $QM_STREAM_RESULT in *" result=ok "*) return 0 ;; esac
    return 1
}
qm_stream_kill() {
    _sk_p=$(cat "$QM_RUN/stream-$1.pid" 2>/dev/null) || return 0
    kill -KILL "$_sk_p" 2>/dev/null
    wait "$_sk_p" 2>/dev/null
    rm -f "$QM_RUN/stream-$1.pid"
}

_qm_stream_py() {
    cat <<'EOF'
# tcpstream.py HOST PORT STATUS-FILE BYTES-PER-S  (written by tests/lib/qemu.sh)
import json, os, select, signal, socket, sys, time
host, port, status_path, rate = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
CHUNK, WINDOW = 512, 256 * 1024
st = {"state": "connecting", "sent": 0, "received": 0, "corrupt": 0, "max_gap_ms": 0,
      "max_gap_at": 0, "gaps": [], "error": ""}
stop = [False]
signal.signal(signal.SIGTERM, lambda *a: stop.__setitem__(0, True))
signal.signal(signal.SIGINT, lambda *a: stop.__setitem__(0, True))
def now(): return time.monotonic()
def save():
    tmp = status_path + ".tmp"
    with open(tmp, "w") as f: json.dump(st, f)
    os.replace(tmp, status_path)
def finish(err=""):
    if err: st["state"], st["error"] = "error", err
    else: st["state"] = "done"
    save()
    print("tcpstream: result=%s sent=%d received=%d corrupt=%d outstanding=%d max_gap_ms=%d "
          "max_gap_at=%d gaps=%s error=%s" % ("ok" if not err else "FAIL", st["sent"],
          st["received"], st["corrupt"], st["sent"] - st["received"], st["max_gap_ms"],
          st["max_gap_at"],
          json.dumps(st["gaps"]).replace(" ", ""), err or "-"), flush=True)
    sys.exit(1 if err else 0)
k = 0
def gen(n):                     # the next n bytes of the stream, "%010d\n" lines
    global k, genbuf
    while len(genbuf) < n:
        genbuf += b"%010d\n" % k; k += 1
    out = bytes(genbuf[:n]); del genbuf[:n]; return out
genbuf = bytearray()
deadline = now() + 20
while True:
    try:
        s = socket.create_connection((host, port), timeout=2); break
    except OSError as e:
        if now() > deadline or stop[0]: finish("connect: %s" % e)
        time.sleep(0.2)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1); s.setblocking(False)
st["state"] = "running"; save()
pending = bytearray()           # sent, not yet echoed
out = b""                       # generated, not yet accepted by the socket
waiting = None                  # since when bytes are outstanding with none back
next_send = now(); next_save = now() + 0.2; drain_end = None; shut = False
while True:
    t = now()
    if stop[0] and drain_end is None:
        drain_end = t + 15; st["state"] = "draining"
    if drain_end is None and t >= next_send and len(pending) < WINDOW:
        if not out: out = gen(CHUNK)
        next_send = max(next_send + CHUNK / rate, t - 1)
    if out:
        try: n = s.send(out)
        except BlockingIOError: n = 0
        except OSError as e: finish("send: %s" % e)
        if n:
            if not pending and waiting is None: waiting = t
            pending += out[:n]; st["sent"] += n; out = out[n:]
    if drain_end is not None and not pending and not out and not shut:
        s.shutdown(socket.SHUT_WR); shut = True
    if drain_end is not None and t > drain_end:
        finish("%d bytes never came back" % (st["sent"] - st["received"]))
    timeout = max(0.0, min(next_send - t, next_save - t, 0.05)) if drain_end is None else 0.05
    r, w, _ = select.select([s], [s] if out else [], [], timeout)
    if r:
        try: data = s.recv(65536)
        except BlockingIOError: data = None
        except OSError as e: finish("recv: %s" % e)
        if data == b"":
            if shut and not pending: finish()
            finish("connection closed by the peer with %d bytes outstanding" % len(pending))
        if data:
            t = now()
            if waiting is not None:
                gap = (t - waiting) * 1000
                if int(gap) > st["max_gap_ms"] or not st["max_gap_at"]:
                    st["max_gap_ms"] = int(gap)
                    st["max_gap_at"] = int(time.time() * 1000 - gap)
                if gap > 100: st["gaps"].append([int(time.time() * 1000 - gap), int(gap)])
            if pending[:len(data)] != data:
                i = next(i for i in range(len(data)) if i >= len(pending) or pending[i] != data[i])
                st["corrupt"] += 1
                finish("byte %d of the stream differs" % (st["received"] + i))
            del pending[:len(data)]; st["received"] += len(data)
            waiting = t if pending else None
    if now() >= next_save:
        save(); next_save = now() + 0.2
EOF
}
