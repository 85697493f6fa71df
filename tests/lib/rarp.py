#!/usr/bin/python3
"""rarp.py - send RARP announcements exactly as QEMU does after a live migration.

Standard library only; run with /usr/bin/python3 inside the VM's namespace
(ip netns exec NS /usr/bin/python3 rarp.py ...). Needs CAP_NET_RAW.

The frame (60 bytes, as QEMU's qemu_announce_self builds it): broadcast
destination, source = the VM's MAC, ethertype 0x8035, htype 1, ptype 0x0800,
hlen 6, plen 4, opcode 3 (reverse request), sender and target hardware
address = the VM's MAC, both protocol addresses 0.0.0.0, zero padding.
Timing (QEMU's announce defaults): 5 rounds; after the first, wait `initial`
ms, then `step` ms more each time, at most `max` ms: +0, +50, +200, +450,
+800 ms.

usage: rarp.py [--iface eth0] [--mac MAC] [--rounds 5] [--initial 50]
               [--step 100] [--max 550] [--trigger FIFO]
With --trigger the socket is opened first, "ready" is printed, and the first
RARP goes out as soon as a line is written to FIFO (so that a test can move
the VM's port and announce it with no process start-up in between).
Prints one JSON line per RARP sent: {"rarp": N, "t": UNIX-SECONDS, "mac": ...}.
Exit status 0 if every RARP was sent.
"""
import argparse
import json
import os
import socket
import struct
import sys
import time


def frame(mac: bytes) -> bytes:
    arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 3, mac, b"\0" * 4, mac, b"\0" * 4)
    f = b"\xff" * 6 + mac + struct.pack("!H", 0x8035) + arp
    return f + b"\0" * (60 - len(f))


def parse_mac(text: str) -> bytes:
    parts = text.strip().split(":")
    if len(parts) != 6:
        raise ValueError("bad MAC %r" % text)
    return bytes(int(p, 16) for p in parts)


def main() -> int:
    ap = argparse.ArgumentParser(description="QEMU-style RARP announcements")
    ap.add_argument("--iface", default="eth0")
    ap.add_argument("--mac", help="default: the interface's own MAC")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--initial", type=int, default=50, help="ms")
    ap.add_argument("--step", type=int, default=100, help="ms")
    ap.add_argument("--max", type=int, default=550, help="ms")
    ap.add_argument("--trigger", help="FIFO: send when a line arrives on it")
    a = ap.parse_args()

    if a.mac:
        mac = parse_mac(a.mac)
    else:
        with open("/sys/class/net/%s/address" % a.iface) as f:
            mac = parse_mac(f.read())
    pkt = frame(mac)
    mac_text = ":".join("%02x" % b for b in mac)

    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))

    if a.trigger:
        # O_RDWR: never blocks on open, never sees EOF while we hold it.
        fd = os.open(a.trigger, os.O_RDWR)
        print("ready", flush=True)
        with os.fdopen(fd, "rb", buffering=0) as fifo:
            fifo.readline()

    delay = a.initial
    start = time.monotonic()
    due = 0.0
    for n in range(1, a.rounds + 1):
        wait = start + due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        t = time.time()
        s.send(pkt)
        print(json.dumps({"rarp": n, "t": round(t, 6), "mac": mac_text}), flush=True)
        due += delay / 1000.0
        delay = min(delay + a.step, a.max)
    return 0


if __name__ == "__main__":
    sys.exit(main())
