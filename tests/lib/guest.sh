#!/bin/sh
# guest.sh - build (once) the tiny Linux guest that tests and the demo boot in
# QEMU, and print the directory that holds it.
#
#   G=$(tests/lib/guest.sh) || exit 1     # $G/vmlinuz  $G/initrd.gz  $G/info
#
# The guest is Debian's own kernel, unpacked, never installed (installing the
# linux-image package spends minutes building an initramfs), with an initramfs
# of busybox-static plus the virtio-net and e1000 driver modules. Both .debs
# come from `apt-get download`, so this must run where Debian's mirror is
# reachable (outside a test's isolated namespace). A build is cached under
#   $MATFLOW_GUEST_CACHE (default /var/cache/matflow-guest as root, else
#   build/guest of this tree)/<kernel package>_<version>-<hash of this file>/
# and a second run reuses it without the network. When the mirror is not
# reachable, the newest cached build made by this same file is used.
#
# Options: --rebuild   build again even when a cached build exists
#          --print-key print the cache key (needs apt-cache) and exit
# Environment: MATFLOW_GUEST_CACHE (see above), MATFLOW_GUEST_KPKG (a
#   linux-image-*-amd64 package name instead of linux-image-amd64's dependency).
# Needs: apt-get, dpkg-deb, cpio, gzip, flock. Messages go to stderr; the only
# line on stdout is the directory.
#
# What the guest does: /init loads the NIC drivers, brings eth0 up and reads
# its workload from the kernel command line (all optional):
#   mfip=ADDR/PLEN    address of eth0           mfgw=ADDR   default gateway
#   mfecho=PORT       TCP echo server on PORT (busybox `nc -ll -p PORT -e cat`:
#                     one cat per connection, any number of connections)
#   mfping=ADDR       ping ADDR forever on the serial console (seq numbers
#                     continue across a migration)     mfpingi=SEC (0.2)
# It prints on the console, in this order:
#   "MFGUEST nic=<driver> mac=<MAC> ip=<ADDR/PLEN> gw=<ADDR> uptime=<s>"
#   "MFGUEST echo port=<PORT>"  (when mfecho is given)
#   "GUEST-READY uptime=<s>"
# then the ping lines. Needs 128 MiB of guest RAM (64 MiB never gets there).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SELF="$HERE/$(basename "$0")"

say() { printf 'guest.sh: %s\n' "$*" >&2; }
die() { printf 'guest.sh: error: %s\n' "$*" >&2; exit 1; }

REBUILD=0
PRINT_KEY=0
for a in "$@"; do
    case $a in
        --rebuild) REBUILD=1 ;;
        --print-key) PRINT_KEY=1 ;;
        -h|--help) sed -n '2,/^set -eu/p' "$SELF" | sed '$d; s/^# \{0,1\}//' >&2; exit 0 ;;
        *) die "unknown option $a" ;;
    esac
done

if [ -n "${MATFLOW_GUEST_CACHE:-}" ]; then
    CACHE=$MATFLOW_GUEST_CACHE
elif [ "$(id -u)" = 0 ]; then
    CACHE=/var/cache/matflow-guest
else
    CACHE=$ROOT/build/guest
fi
mkdir -p "$CACHE" || die "cannot make $CACHE"

# The modules, in load order (virtio_ring before virtio, failover before
# net_failover before virtio_net). A module the kernel has built in is skipped.
MODULES="drivers/virtio/virtio_ring drivers/virtio/virtio
drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci_modern_dev
drivers/virtio/virtio_pci net/core/failover drivers/net/net_failover
drivers/net/virtio_net drivers/net/ethernet/intel/e1000/e1000"

# Part of the key: a change to this file's code (init, modules, recipe; not
# its comment lines) makes a new build.
HASH=$(grep -v '^[[:space:]]*#' "$SELF" | sha256sum | cut -c1-10)

# The kernel package and its version: what linux-image-amd64 depends on now
# ("linux-image-6.1.0-56-amd64 6.1.192-2"). One apt-cache call (~0.4 s).
resolve_kpkg() {
    if [ -n "${MATFLOW_GUEST_KPKG:-}" ]; then
        echo "$MATFLOW_GUEST_KPKG $(apt-cache show --no-all-versions "$MATFLOW_GUEST_KPKG" 2>/dev/null |
            sed -n 's/^Version: //p' | head -n 1)"
        return
    fi
    apt-cache show --no-all-versions linux-image-amd64 2>/dev/null |
        sed -n 's/^Depends:.*\(linux-image-[0-9][^ ,]*-amd64\) (= \([^)]*\)).*/\1 \2/p' | head -n 1
}
KV=$(resolve_kpkg || true)
if [ -z "${KV#* }" ] && [ "$(id -u)" = 0 ]; then
    say "apt-cache does not know linux-image-amd64; running apt-get update"
    apt-get update -q >&2 || true
    KV=$(resolve_kpkg || true)
fi
KPKG=${KV% *}
KVERSION=${KV#* }
[ "$KVERSION" = "$KV" ] && KVERSION=""
KEY=""
[ -n "$KPKG" ] && [ -n "$KVERSION" ] && KEY="${KPKG#linux-image-}_${KVERSION}-$HASH"

if [ "$PRINT_KEY" = 1 ]; then
    [ -n "$KEY" ] || die "cannot resolve the kernel package (apt-get update?)"
    echo "$KEY"
    exit 0
fi

# One builder at a time per cache (two tests started together wait here).
exec 9> "$CACHE/.lock"
flock -w 600 9 || die "cannot lock $CACHE/.lock"

# newest_cached: the newest complete build made by this same file.
newest_cached() {
    # shellcheck disable=SC2012  # names made here: no odd characters
    ls -1td "$CACHE"/*-"$HASH" 2>/dev/null | while read -r d; do
        [ -f "$d/ok" ] && { echo "$d"; break; }
    done
}

if [ -n "$KEY" ] && [ -f "$CACHE/$KEY/ok" ] && [ "$REBUILD" = 0 ]; then
    echo "$CACHE/$KEY"
    exit 0
fi
if [ -z "$KEY" ]; then
    d=$(newest_cached)
    [ -n "$d" ] || die "cannot resolve the kernel package and no cached guest in $CACHE"
    say "kernel package unknown (no apt lists?): using cached $d"
    echo "$d"
    exit 0
fi

for c in apt-get dpkg-deb cpio gzip; do
    command -v "$c" >/dev/null 2>&1 || die "$c not found"
done

T0=$(date +%s.%N)
TMP=$(mktemp -d "$CACHE/.build-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# apt-get download runs as user _apt where it can: let it write here.
chmod 755 "$TMP"
mkdir -p "$TMP/dl" "$TMP/x"
chmod 777 "$TMP/dl"
say "downloading $KPKG ($KVERSION) and busybox-static"
if ! (cd "$TMP/dl" && apt-get download -q "$KPKG" busybox-static >&2); then
    d=$(newest_cached)
    [ -n "$d" ] || die "apt-get download failed and no cached guest in $CACHE"
    say "apt-get download failed: using cached $d"
    echo "$d"
    exit 0
fi
for f in "$TMP"/dl/*.deb; do
    dpkg-deb -x "$f" "$TMP/x" || die "dpkg-deb -x $f"
done

R=$TMP/rootfs
mkdir -p "$R/bin" "$R/proc" "$R/sys" "$R/dev" "$R/tmp" "$R/lib/modules"
cp "$TMP"/x/boot/vmlinuz-* "$TMP/vmlinuz" || die "no vmlinuz in $KPKG"
cp "$TMP/x/bin/busybox" "$R/bin/busybox" || die "no busybox in busybox-static"
KREL=$(basename "$(echo "$TMP"/x/lib/modules/*)")
M=$TMP/x/lib/modules/$KREL
LOAD=""
for m in $MODULES; do
    b=$(basename "$m")
    if [ -f "$M/kernel/$m.ko" ]; then
        cp "$M/kernel/$m.ko" "$R/lib/modules/$b.ko"
    elif [ -f "$M/kernel/$m.ko.xz" ]; then
        xz -dc "$M/kernel/$m.ko.xz" > "$R/lib/modules/$b.ko" || die "xz $m"
    elif grep -q "^kernel/$m.ko" "$M/modules.builtin" 2>/dev/null; then
        continue
    else
        die "module $m is in neither $KPKG's modules nor modules.builtin"
    fi
    LOAD="$LOAD $b"
done
# A console node for init's first open, in case the kernel's built-in
# initramfs lacks one (needs root; the kernel's default list has it anyway).
mknod "$R/dev/console" c 5 1 2>/dev/null || true

cat > "$R/init" <<EOF
#!/bin/busybox sh
# matflow test guest (tests/lib/guest.sh)
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in$LOAD; do insmod /lib/modules/\$m.ko; done
EOF
cat >> "$R/init" <<'EOF'
IP= GW= ECHO= PING= PINGI=0.2
for w in $(cat /proc/cmdline); do
    case $w in
        mfip=*) IP=${w#*=} ;;
        mfgw=*) GW=${w#*=} ;;
        mfecho=*) ECHO=${w#*=} ;;
        mfping=*) PING=${w#*=} ;;
        mfpingi=*) PINGI=${w#*=} ;;
    esac
done
ip link set lo up
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -e /sys/class/net/eth0 ] || echo "MFGUEST error: no eth0"
ip link set eth0 up
[ -n "$IP" ] && ip addr add "$IP" dev eth0
[ -n "$GW" ] && ip route add default via "$GW"
# e1000 raises carrier ~2-3 s after "up": wait, so that GUEST-READY means
# the link is up (frames sent before are held by the guest, not lost).
i=0
while [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" != 1 ] && [ $i -lt 100 ]; do
    sleep 0.1; i=$((i + 1))
done
NIC=$(basename "$(readlink /sys/class/net/eth0/device/driver)")
echo "MFGUEST nic=$NIC mac=$(cat /sys/class/net/eth0/address) ip=$IP gw=$GW carrier=$(cat /sys/class/net/eth0/carrier 2>/dev/null) uptime=$(cut -d' ' -f1 /proc/uptime)"
if [ -n "$ECHO" ]; then
    # -ll: persistent server; every connection gets its own cat.
    ( while :; do nc -ll -p "$ECHO" -e cat; sleep 1; done ) </dev/null >/dev/null 2>&1 &
    echo "MFGUEST echo port=$ECHO"
fi
echo "GUEST-READY uptime=$(cut -d' ' -f1 /proc/uptime)"
if [ -n "$PING" ]; then
    ( while :; do ping -i "$PINGI" "$PING"; sleep 1; done ) &
fi
# init must never exit (the kernel would panic).
while :; do sleep 3600; done
EOF
chmod 755 "$R/init"
(cd "$R" && find . | cpio -o -H newc --quiet | gzip -6) > "$TMP/initrd.gz" || die "cpio"

{
    echo "KPKG=$KPKG"
    echo "KVERSION=$KVERSION"
    echo "KREL=$KREL"
    echo "BUSYBOX=$(dpkg-deb -f "$TMP"/dl/busybox-static_*.deb Version)"
    echo "MODULES=\"$LOAD\""
    echo "BUILT=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} > "$TMP/info"
rm -rf "$TMP/dl" "$TMP/x" "$TMP/rootfs"
touch "$TMP/ok"
chmod 755 "$TMP"
rm -rf "${CACHE:?}/$KEY"
mv "$TMP" "$CACHE/$KEY" || die "mv $TMP $CACHE/$KEY"
trap - EXIT
say "built $CACHE/$KEY in $(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s" \
    "(kernel $KREL, initrd $(wc -c < "$CACHE/$KEY/initrd.gz") bytes)"
echo "$CACHE/$KEY"
