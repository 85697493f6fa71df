#!/bin/sh
# Installs the Debian 12 packages matflow needs to build, test and run its demo.
# Idempotent: packages already present are left alone; runs apt-get only when
# something is missing. Must run as root (or with everything already installed).
#
#   install-deps.sh          what `make`, `./run check` and the demo need
#   install-deps.sh --bench  only the peer controllers `make bench-peers`
#                            compares matflowd with (scripts/bench-peers.sh
#                            calls this). They stay out of the default list:
#                            no test uses them, os-ken drags in a Python
#                            stack of some forty packages, and the
#                            testcontroller package ships a system service
#                            that would take port 6653 if a machine ever let
#                            it start.
set -eu

PKGS="make gcc clang libclang-rt-14-dev pkg-config
libevent-dev uthash-dev libyaml-dev libjansson-dev libsqlite3-dev libssl-dev
libcmocka-dev openvswitch-switch openvswitch-common iproute2 ethtool tshark
python3 procps ca-certificates openssl iputils-ping
qemu-system-x86 cpio tcpdump gnuplot-nox"
BENCH_PKGS="openvswitch-testcontroller python3-os-ken util-linux"

case "${1:-}" in
--bench) PKGS=$BENCH_PKGS ;;
"") ;;
*) echo "usage: install-deps.sh [--bench]" >&2; exit 2 ;;
esac

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    echo "install-deps: all packages present"
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages:$missing" >&2
    echo "install-deps: run as root to install them" >&2
    exit 1
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
# Package scripts must not start system daemons (OVS would take port 6653).
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    made_policy=1
fi
trap 'if [ "$made_policy" = 1 ]; then rm -f "$policy"; fi' EXIT
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing

still=""
for p in $missing; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        still="$still $p"
done
if [ -n "$still" ]; then
    echo "install-deps: still missing after apt-get:$still" >&2
    exit 1
fi
# The testcontroller's service must not run (it listens on 6653); with the
# guard above it never started, but a machine without one may have it.
if [ "$PKGS" = "$BENCH_PKGS" ] && command -v service >/dev/null 2>&1; then
    service openvswitch-testcontroller stop >/dev/null 2>&1 || true
fi
echo "install-deps: done"
