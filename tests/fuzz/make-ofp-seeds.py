#!/usr/bin/python3
"""Writes the seed corpus of fuzz_ofp_stream: one file per message a switch
sends, built from the OpenFlow 1.3.5 layouts, plus a whole handshake stream.
Rerun to regenerate: tests/fuzz/make-ofp-seeds.py tests/fuzz/corpus/ofp_stream"""
import os
import struct
import sys

def msg(t, body=b"", xid=1, version=4):
    return struct.pack("!BBHI", version, t, 8 + len(body), xid) + body

def oxm(field, value, mask=None):
    payload = value + (mask or b"")
    return struct.pack("!HBB", 0x8000, field << 1 | (1 if mask else 0), len(payload)) + payload

def match(*oxms):
    body = b"".join(oxms)
    m = struct.pack("!HH", 1, 4 + len(body)) + body
    return m + b"\0" * (-len(m) % 8)

def action_output(port, max_len=0xffff):
    return struct.pack("!HHIH6x", 0, 16, port, max_len)

def action_set_field(o):
    a = struct.pack("!HH", 25, 0) + o
    a += b"\0" * (-len(a) % 8)
    return a[:2] + struct.pack("!H", len(a)) + a[4:]

def inst_actions(t, actions):
    body = b"".join(actions)
    return struct.pack("!HH4x", t, 8 + len(body)) + body

MAC = bytes.fromhex("525400123456")
RARP = (b"\xff" * 6 + MAC + b"\x80\x35" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 3)
        + MAC + b"\0" * 4 + MAC + b"\0" * 4).ljust(60, b"\0")
ARP = (b"\xff" * 6 + MAC + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1)
       + MAC + bytes([10, 1, 0, 10]) + b"\0" * 6 + bytes([10, 1, 0, 1])).ljust(60, b"\0")

def port(no, name):
    return struct.pack("!I4x6s2x16sIIIIIIII", no, MAC, name.encode(), 0, 4, 0, 0, 0, 0, 0, 0)

seeds = {
    "hello": msg(0, struct.pack("!HHI", 1, 8, 0x10)),
    "hello_plain": msg(0),
    "echo_request": msg(2, b"ping"),
    "echo_reply": msg(3, b"pong"),
    "error": msg(1, struct.pack("!HH", 4, 1) + msg(14)[:8]),
    "error_experimenter": msg(1, struct.pack("!HHI", 0xffff, 7, 0x2320) + b"x"),
    "experimenter": msg(4, struct.pack("!II", 0x2320, 3) + b"data"),
    "features_reply": msg(6, struct.pack("!QIBB2xII", 1, 0, 254, 0, 0x4f, 0)),
    "get_config_reply": msg(8, struct.pack("!HH", 0, 0xffff)),
    "packet_in_rarp": msg(10, struct.pack("!IHBBQ", 0xffffffff, 60, 1, 0, 0)
                          + match(oxm(0, struct.pack("!I", 10))) + b"\0\0" + RARP),
    "packet_in_arp": msg(10, struct.pack("!IHBBQ", 0xffffffff, 60, 0, 0, 7)
                         + match(oxm(0, struct.pack("!I", 1)), oxm(2, struct.pack("!Q", 5)))
                         + b"\0\0" + ARP),
    "flow_removed": msg(11, struct.pack("!QHBBIIHHQQ", 0xabc, 100, 0, 0, 5, 0, 0, 0, 10, 600)
                        + match(oxm(5, b"\x08\x00"), oxm(11, bytes([10, 1, 0, 0]),
                                                         bytes([255, 255, 255, 0])))),
    "port_status": msg(12, struct.pack("!B7x", 0) + port(3, "p3")),
    "barrier_reply": msg(21),
    "role_reply": msg(25, struct.pack("!I4xQ", 2, 9)),
    "mp_desc": msg(19, struct.pack("!HH4x", 0, 0) + b"Nicira".ljust(256, b"\0")
                   + b"hw".ljust(256, b"\0") + b"3.1.0".ljust(256, b"\0")
                   + b"sn".ljust(32, b"\0") + b"br1".ljust(256, b"\0")),
    "mp_port_desc": msg(19, struct.pack("!HH4x", 13, 0) + port(1, "p1") + port(0xfffffffe, "br1")),
}
flow_match = match(oxm(5, b"\x08\x00"), oxm(12, bytes([10, 2, 0, 7])))
flow_insts = (inst_actions(4, [action_set_field(oxm(12, bytes([10, 1, 0, 7]))),
                               action_output(0xfffffffa)])
              + struct.pack("!HHB3x", 1, 8, 1)
              + struct.pack("!HH4xQQ", 2, 24, 1, 1))
entry = struct.pack("!HBxIIHHHH4xQQQ", 0, 0, 3, 0, 300, 0, 0, 0, 0x1234, 7, 700) + flow_match + flow_insts
entry = struct.pack("!H", len(entry)) + entry[2:]
seeds["mp_flow"] = msg(19, struct.pack("!HH4x", 1, 0) + entry + entry)
table = struct.pack("!HB5x32sQQII", 64 + 8, 0, b"classifier", 0, 0, 0, 1000000) + struct.pack("!HH4x", 8, 4)
seeds["mp_table_features"] = msg(19, struct.pack("!HH4x", 12, 0) + table)
seeds["handshake_stream"] = (seeds["hello"] + seeds["features_reply"] + seeds["mp_desc"]
                             + seeds["mp_port_desc"] + seeds["packet_in_rarp"]
                             + seeds["echo_request"])

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, "seed_" + name), "wb") as f:
        f.write(data)
print(f"{len(seeds)} seeds written to {out}")
