#!/bin/bash
# test_tls_ovs.sh - TLS OpenFlow channels (ssl: listeners) against real Open vSwitch.
#
# The test makes its own PKI in the run directory with openssl(1): a CA,
# matflowd's certificate and a switch certificate signed by it, and a rogue
# CA with a certificate of its own. In a throwaway namespace: --check-config
# and start-up refusals; matflowd (the ASan+UBSan build when present) with an
# ssl: listener; a private OVS (userspace datapath) whose bridge connects
# over ssl:127.0.0.1 and becomes ready, and a second bridge over plain tcp:
# as the capture's positive control. Then, from a second namespace over a
# veth: a second OVS with a certificate from the rogue CA, a TLS client
# without a certificate, a plain-TCP client and a silent client on the ssl
# port: each is refused (logged with its address and reason, counted),
# while the good switch stays connected. The capture of the ssl port holds
# TLS records and no OpenFlow. matflowd exits 0 on SIGTERM.
# Needs root. Run alone or from tests/run-tests.sh.

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export TB_ROOT="$ROOT"
if [ -z "${MATFLOWD:-}" ]; then
    if [ -x "$ROOT/build-san/bin/matflowd" ]; then
        MATFLOWD=$ROOT/build-san/bin/matflowd
    else
        MATFLOWD=$ROOT/build/bin/matflowd
    fi
fi
MATFLOWCTL=${MATFLOWCTL:-$ROOT/build/bin/matflowctl}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:print_summary=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# shellcheck source=../lib/testbed.sh
. "$ROOT/tests/lib/testbed.sh"

PY=/usr/bin/python3
n=0
failed=0
ok()     { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { _d=$1; shift; if "$@"; then ok "$_d"; else not_ok "$_d"; fi; }
diag() { sed 's/^/# /'; }

for b in "$MATFLOWD" "$MATFLOWCTL"; do
    if [ ! -x "$b" ]; then
        not_ok "binary $b exists (run make)"
        exit 1
    fi
done
for c in openssl tshark dumpcap; do
    command -v "$c" >/dev/null 2>&1 || { not_ok "$c is installed"; exit 1; }
done
echo "# matflowd: $MATFLOWD"

tb_init tls
P=$TB_PREFIX
SSL_PORT=6654
PKI=$TB_RUN/pki
ROGUE=$TB_RUN/rogue-ovs           # the rogue switch's OVS
RNS=$P-rogue                      # ... and its namespace
LOG=$TB_RUN/matflowd.log

on_exit() {
    rc=$?
    trap '' INT TERM HUP
    if [ "$failed" -gt 0 ] || [ "$rc" -ne 0 ]; then
        echo "# ---- matflowd log (tail)"; tail -n 60 "$LOG" 2>/dev/null | diag
        echo "# ---- ovs-vswitchd log (tail)"; tail -n 20 "$TB_OVS/ovs-vswitchd.log" 2>/dev/null | diag
        echo "# ---- rogue ovs-vswitchd log (tail)"; tail -n 10 "$ROGUE/ovs-vswitchd.log" 2>/dev/null | diag
    fi
    # The rogue OVS, by the pids in its own pid files (tb_ovs_stop checks
    # that each is the process started on that directory).
    [ -d "$ROGUE" ] && (TB_OVS=$ROGUE; tb_ovs_stop)
    tb_teardown
    [ "$failed" -eq 0 ] && [ "$rc" -eq 0 ] && exit 0
    exit 1
}
trap on_exit EXIT

# ---------------------------------------------------------------- PKI
# ca NAME: a self-signed CA. leaf NAME CA: a key and a certificate signed by
# CA. EC P-256 keys: quick to make, and what OVS and OpenSSL 3 both take.
ca() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=matflow test $1" -keyout "$PKI/$1.key" -out "$PKI/$1.crt" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}
leaf() {
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -subj "/CN=$1" -keyout "$PKI/$1.key" -out "$PKI/$1.csr" &&
    openssl x509 -req -days 2 -in "$PKI/$1.csr" -CA "$PKI/$2.crt" -CAkey "$PKI/$2.key" \
        -set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" -out "$PKI/$1.crt"
}
mkdir -p "$PKI"
if { ca ca && ca rogueca && leaf controller ca && leaf switch ca && leaf rogue rogueca; } \
        > "$PKI/openssl.log" 2>&1 &&
    openssl verify -CAfile "$PKI/ca.crt" "$PKI/switch.crt" "$PKI/controller.crt" >/dev/null &&
    ! openssl verify -CAfile "$PKI/ca.crt" "$PKI/rogue.crt" >/dev/null 2>&1; then
    ok "test PKI: CA, controller and switch certificates; rogue CA and certificate"
else
    not_ok "test PKI: CA, controller and switch certificates; rogue CA and certificate"
    diag < "$PKI/openssl.log"
    exit 1
fi

# ---------------------------------------------------------------- configuration
CONF=$TB_RUN/matflowd.yaml
cat > "$CONF" <<EOF
controller:
  listen: ssl:$SSL_PORT
  tls:
    private_key: $PKI/controller.key
    certificate: $PKI/controller.crt
    ca_certificate: $PKI/ca.crt
EOF
out=$("$MATFLOWD" --check-config "$CONF" 2>&1); rc=$?
check "--check-config: ssl: listener with controller.tls is OK" [ "$rc" = 0 ]
sed "s|$PKI/controller.key|$PKI/switch.key|" "$CONF" > "$TB_RUN/mismatch.yaml"
"$MATFLOWD" --check-config "$TB_RUN/mismatch.yaml" > /dev/null 2> "$TB_RUN/e.txt"; rc=$?
if [ "$rc" = 1 ] && grep -q "mismatch.yaml:4:18: .*does not match certificate" "$TB_RUN/e.txt"; then
    ok "--check-config: a key that does not match the certificate is refused at its line"
else
    not_ok "--check-config: a key that does not match the certificate is refused at its line (rc $rc)"
    diag < "$TB_RUN/e.txt"
fi
printf 'controller:\n  listen: [tcp:1, ssl:2]\n' > "$TB_RUN/nokeys.yaml"
"$MATFLOWD" --check-config "$TB_RUN/nokeys.yaml" > /dev/null 2> "$TB_RUN/e.txt"; rc=$?
if [ "$rc" = 1 ] && grep -q "nokeys.yaml:2:19: listen address 'ssl:2' needs TLS settings" "$TB_RUN/e.txt"; then
    ok "--check-config: an ssl: listener without TLS settings is refused at its line"
else
    not_ok "--check-config: an ssl: listener without TLS settings is refused at its line (rc $rc)"
    diag < "$TB_RUN/e.txt"
fi
tb_ns "$MATFLOWD" --listen "tcp:127.0.0.1:$TB_OF_PORT" --listen "ssl:$SSL_PORT" \
    --api "$TB_RUN/refused.sock" > "$TB_RUN/refused.log" 2>&1; rc=$?
if [ "$rc" = 1 ] && grep -q "needs TLS settings; missing: --tls-key" "$TB_RUN/refused.log" &&
    ! grep -q "listening on" "$TB_RUN/refused.log" && [ ! -e "$TB_RUN/refused.sock" ]; then
    ok "--listen ssl: without --tls-*: exit 1, nothing opened"
else
    not_ok "--listen ssl: without --tls-*: exit 1, nothing opened (rc $rc)"; diag < "$TB_RUN/refused.log"
fi

# ---------------------------------------------------------------- the good switch
tb_capture_start capture lo "tcp port $SSL_PORT or tcp port $TB_OF_PORT"
# --listen flags replace the file's list: the ssl: one comes again.
tb_matflowd_start --config "$CONF" --listen "ssl:$SSL_PORT" --echo-interval 1 \
    --handshake-timeout 3
check "matflowd listens on ssl:$SSL_PORT" grep -q "listening on ssl:$SSL_PORT" "$LOG"
tb_ovs_start
tb_vsctl set-ssl "$PKI/switch.key" "$PKI/switch.crt" "$PKI/ca.crt" || not_ok "ovs-vsctl set-ssl"
tb_bridge_add "${P}s1" 1 "ssl:127.0.0.1:$SSL_PORT"
tb_bridge_add "${P}s2" 2 "tcp:127.0.0.1:$TB_OF_PORT"   # cleartext: the capture's control
t0=$(tb_now)
if tb_wait_ready 15 1 2; then
    ok "OVS bridges over ssl: (dpid 1) and tcp: (dpid 2) ready ($(awk -v a="$t0" -v b="$(tb_now)" 'BEGIN{printf "%.2f", b-a}') s)"
else
    not_ok "OVS bridges over ssl: (dpid 1) and tcp: (dpid 2) ready"
fi
if grep -qE "TLS handshake done: TLSv1\.[23] .*peer CN=switch" "$LOG"; then
    ok "matflowd logs the TLS handshake: $(grep -oE 'TLSv1\.[23] [^,]*, peer CN=switch' "$LOG" | head -1)"
else
    not_ok "matflowd logs the TLS handshake (TLSv1.2+, peer CN=switch)"
fi

# sw_json DPID FIELD: a field of the switch's entry in matflowctl switches --json.
sw_json() {
    tb_matflowctl switches --json 2>/dev/null | $PY -c '
import json, sys
for s in json.load(sys.stdin)["switches"]:
    if s["dpid"] and int(s["dpid"], 16) == int(sys.argv[1]):
        print(s[sys.argv[2]])' "$1" "$2"
}
stat_of() {
    tb_matflowctl stats --json 2>/dev/null | $PY -c '
import json, sys
print(json.load(sys.stdin)["rejected_messages"][sys.argv[1]])' "$1"
}
if [ "$(sw_json 1 state)" = ready ] && [ "$(sw_json 1 version)" = 1.3 ]; then
    ok "matflowctl switches --json: dpid 1 (TLS) ready, OpenFlow 1.3"
else
    not_ok "matflowctl switches --json: dpid 1 (TLS) ready, OpenFlow 1.3"
    tb_matflowctl switches --json 2>&1 | diag
fi
since=$(sw_json 1 connected_since)
msgs0=$(sw_json 1 msgs_in)
tls0=$(stat_of tls_handshake)
to0=$(stat_of handshake_timeout)

# ---------------------------------------------------------------- the intruders
# A second namespace over a veth: what comes from 10.253.0.2 is not the good
# switch, and none of it reaches the capture on lo.
tb_netns_add "$RNS"
tb_veth_ns main "${P}m" rogue "${P}r"
tb_ns ip addr add 10.253.0.1/30 dev "${P}m"
ip netns exec "$RNS" ip addr add 10.253.0.2/30 dev "${P}r"

# A switch with a certificate from the rogue CA: its own OVS (two netdev
# vswitchd cannot share a namespace). It trusts our CA: the refusal is ours.
(
    TB_OVS=$ROGUE; TB_NS=$RNS
    tb_ovs_start
    tb_vsctl set-ssl "$PKI/rogue.key" "$PKI/rogue.crt" "$PKI/ca.crt" &&
    tb_bridge_add "${P}x" 99 "ssl:10.253.0.1:$SSL_PORT"
) > "$TB_RUN/rogue-start.log" 2>&1 || { not_ok "rogue OVS started"; diag < "$TB_RUN/rogue-start.log"; }
if tb_wait_log "$LOG" "10.253.0.2:" 10 && tb_wait 5 grep -qE \
        "10\.253\.0\.2:[0-9]+: TLS handshake failed: .*certificate verify failed" "$LOG"; then
    ok "rogue-CA switch refused: $(grep -oE '10\.253\.0\.2:[0-9]+: TLS handshake failed: .*' "$LOG" | head -1)"
else
    not_ok "rogue-CA switch refused with 'certificate verify failed' and its address"
fi

# client MODE: a client from the rogue namespace (see the script below).
cat > "$TB_RUN/client.py" <<'EOF'
import socket, ssl, sys, time
mode, host, port, ca = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
hello = bytes([4, 0, 0, 8, 0, 0, 0, 1])          # OFPT_HELLO, OpenFlow 1.3
s = socket.create_connection((host, port), timeout=10)
if mode == "plain":                               # cleartext OpenFlow on the ssl port
    s.sendall(hello)
    try:
        data = s.recv(64)
    except OSError as e:
        data = b""
        print("reset:", e)
    # Whatever comes back must not be OpenFlow (a TLS alert or nothing).
    print("got", data.hex())
    sys.exit(1 if data[:1] in (b"\x01", b"\x04") else 0)
if mode == "silent":                              # connects, never says anything
    t = time.time()
    data = s.recv(64)
    print("closed after %.2f s, got %r" % (time.time() - t, data))
    sys.exit(0 if data == b"" else 1)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)     # "nocert": TLS without a certificate
ctx.check_hostname = False
ctx.load_verify_locations(ca)
try:
    t = ctx.wrap_socket(s)
    t.sendall(hello)
    data = t.recv(64)
    print("got", data.hex())
    sys.exit(1 if data else 0)
except (ssl.SSLError, OSError) as e:
    print("refused:", e)
    sys.exit(0)
EOF
client() { ip netns exec "$RNS" "$PY" "$TB_RUN/client.py" "$1" 10.253.0.1 "$SSL_PORT" "$PKI/ca.crt"; }

out=$(client nocert 2>&1); rc=$?
echo "$out" | diag
if [ "$rc" = 0 ] && tb_wait 5 grep -qE \
        "10\.253\.0\.2:[0-9]+: TLS handshake failed: .*peer did not return a certificate" "$LOG"; then
    ok "TLS client without a certificate refused ('peer did not return a certificate')"
else
    not_ok "TLS client without a certificate refused ('peer did not return a certificate')"
fi
out=$(client plain 2>&1); rc=$?
echo "$out" | diag
if [ "$rc" = 0 ] && tb_wait 5 grep -qE "10\.253\.0\.2:[0-9]+: TLS handshake failed: .*wrong version number" "$LOG"; then
    ok "plain-TCP OpenFlow client on the ssl port refused, no cleartext answer ('wrong version number')"
else
    not_ok "plain-TCP OpenFlow client on the ssl port refused, no cleartext answer"
fi
t0=$(tb_now)
out=$(client silent 2>&1); rc=$?
el=$(awk -v a="$t0" -v b="$(tb_now)" 'BEGIN{printf "%.1f", b-a}')
echo "$out" | diag
if [ "$rc" = 0 ] && awk -v e="$el" 'BEGIN { exit !(e >= 2.5 && e < 6) }'; then
    ok "a TLS handshake that never starts is closed by the handshake timeout (3 s; took $el s)"
else
    not_ok "a TLS handshake that never starts is closed by the handshake timeout (3 s; took $el s)"
fi

tls1=$(stat_of tls_handshake)
to1=$(stat_of handshake_timeout)
if [ -n "$tls1" ] && [ "$tls1" -ge $((tls0 + 3)) ] && [ "$to1" -ge $((to0 + 1)) ]; then
    ok "matflowctl stats: tls_handshake $tls0 -> $tls1 (rogue switch, no cert, plain), handshake_timeout $to0 -> $to1"
else
    not_ok "matflowctl stats: tls_handshake $tls0 -> $tls1 (want +3), handshake_timeout $to0 -> $to1 (want +1)"
fi
if [ -z "$(sw_json 99 state)" ]; then
    ok "the rogue switch (dpid 99) never shows in matflowctl switches"
else
    not_ok "the rogue switch (dpid 99) never shows in matflowctl switches"
fi

# ---------------------------------------------------------------- the good switch, still
# Echoes every idle second: msgs_in grows on the same connection.
grow() { [ "$(sw_json 1 msgs_in)" -gt "$msgs0" ]; }
if tb_wait 5 grow && [ "$(sw_json 1 state)" = ready ] && [ "$(sw_json 1 connected_since)" = "$since" ] &&
    [ "$(grep -c "switch 0000000000000001 ready" "$LOG")" = 1 ]; then
    ok "the TLS switch stayed connected throughout, echoes flowing (msgs_in $msgs0 -> $(sw_json 1 msgs_in))"
else
    not_ok "the TLS switch stayed connected throughout, echoes flowing"
fi

check "matflowd still running at the end" tb_alive matflowd
tb_stop matflowd TERM 10
rc=$?
if [ "$rc" -eq 0 ]; then ok "SIGTERM: matflowd exits 0"; else not_ok "SIGTERM: matflowd exits 0 (got $rc)"; fi
if grep -nE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' "$LOG" \
        > "$TB_RUN/san.txt"; then
    not_ok "no sanitizer report in matflowd's stderr"; head -n 40 "$TB_RUN/san.txt" | diag
else
    ok "no sanitizer report in matflowd's stderr"
fi

# ---------------------------------------------------------------- the wire
tb_capture_stop capture
CAP=$TB_RUN/capture.pcapng
# count DECODE FILTER: packets of the capture matching FILTER, the ports
# decoded as DECODE.
count() {
    tshark -n -r "$CAP" -d "tcp.port==$SSL_PORT,$1" -d "tcp.port==$TB_OF_PORT,openflow" \
        -Y "$2" 2> "$TB_RUN/tshark.err" | wc -l
}
ctl=$(count openflow "tcp.port==$TB_OF_PORT && openflow_v4")
if [ "$ctl" -gt 0 ]; then
    ok "capture: the tcp: switch's channel dissects as OpenFlow ($ctl packets; the control)"
else
    not_ok "capture: the tcp: switch's channel dissects as OpenFlow (the control)"; diag < "$TB_RUN/tshark.err"
fi
data=$(count openflow "tcp.port==$SSL_PORT && tcp.len > 0")
of=$(count openflow "tcp.port==$SSL_PORT && (openflow_v1 || openflow_v4 || openflow_v5 || openflow_v6)")
if [ "$data" -gt 0 ] && [ "$of" -eq 0 ]; then
    ok "capture: no OpenFlow PDU on ssl:$SSL_PORT when decoded as OpenFlow ($data data packets)"
else
    not_ok "capture: no OpenFlow PDU on ssl:$SSL_PORT when decoded as OpenFlow ($of of $data)"
fi
hs=$(count tls "tcp.port==$SSL_PORT && tls.handshake.type == 1")
# (TLS 1.3 records all say "application data" in their opaque type)
app=$(count tls "tcp.port==$SSL_PORT && (tls.record.content_type == 23 || tls.record.opaque_type == 23)")
if [ "$hs" -ge 1 ] && [ "$app" -gt 0 ]; then
    ok "capture: ssl:$SSL_PORT carries TLS ($hs ClientHello, $app packets with application data records)"
else
    not_ok "capture: ssl:$SSL_PORT carries TLS ($hs ClientHello, $app application data)"
fi

echo "1..$n"
