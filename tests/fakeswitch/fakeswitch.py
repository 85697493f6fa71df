"""fakeswitch.py - a scripted OpenFlow 1.3 (or 1.0) switch for testing matflowd on loopback.

Python 3 standard library only. Two parts:

  * builders: functions returning the wire bytes of OpenFlow 1.3 messages and of
    the structures inside them (OXM, match, action, instruction, port, flow
    stats entry...). Every length field can be overridden, which is how the
    malformed variants are made: build the well-formed thing, then bend one
    field.
  * FakeSwitch: one TCP connection acting as an OF1.3 switch with a given dpid
    and ports. A reader thread frames what the controller sends, keeps every
    message (with its arrival time) and answers on its own what a switch
    answers: HELLO (negotiation), FEATURES_REQUEST, GET_CONFIG_REQUEST,
    MULTIPART_REQUEST DESC / PORT_DESC / FLOW, ECHO_REQUEST, BARRIER_REQUEST
    (SET_CONFIG gets no reply). Tests send raw bytes with send() and wait for
    messages with wait_for() / wait_closed(); pause_reading() makes it a
    switch that stops reading its socket (connect(rcvbuf=, mss=) keeps the
    kernel's buffering for such a switch closer to a network's).
    FakeSwitch(version=1) plays an OpenFlow 1.0 switch instead: HELLO
    without bitmap, its ports in FEATURES_REPLY, DESC as a STATS request,
    1.0's message type numbers.
  * SwitchSwarm: thousands of minimal switches on non-blocking sockets served
    by one selectors loop (for the scale test).
"""

import itertools
import os
import selectors
import socket
import struct
import threading
import time

OFP_VERSION = 4
OFP_HEADER_LEN = 8

# ofp_type
HELLO = 0
ERROR = 1
ECHO_REQUEST = 2
ECHO_REPLY = 3
EXPERIMENTER = 4
FEATURES_REQUEST = 5
FEATURES_REPLY = 6
GET_CONFIG_REQUEST = 7
GET_CONFIG_REPLY = 8
SET_CONFIG = 9
PACKET_IN = 10
FLOW_REMOVED = 11
PORT_STATUS = 12
PACKET_OUT = 13
FLOW_MOD = 14
GROUP_MOD = 15
PORT_MOD = 16
TABLE_MOD = 17
MULTIPART_REQUEST = 18
MULTIPART_REPLY = 19
BARRIER_REQUEST = 20
BARRIER_REPLY = 21
ROLE_REQUEST = 24
ROLE_REPLY = 25

# OpenFlow 1.0: the types that differ from 1.3's (HELLO .. FLOW_MOD agree)
OFP10_VERSION = 1
OFPT10_STATS_REQUEST = 16
OFPT10_STATS_REPLY = 17
OFPT10_BARRIER_REQUEST = 18
OFPT10_BARRIER_REPLY = 19
OFPP10_LOCAL = 0xFFFE

TYPE_NAMES = {
    0: "HELLO", 1: "ERROR", 2: "ECHO_REQUEST", 3: "ECHO_REPLY", 4: "EXPERIMENTER",
    5: "FEATURES_REQUEST", 6: "FEATURES_REPLY", 7: "GET_CONFIG_REQUEST",
    8: "GET_CONFIG_REPLY", 9: "SET_CONFIG", 10: "PACKET_IN", 11: "FLOW_REMOVED",
    12: "PORT_STATUS", 13: "PACKET_OUT", 14: "FLOW_MOD", 15: "GROUP_MOD",
    16: "PORT_MOD", 17: "TABLE_MOD", 18: "MULTIPART_REQUEST", 19: "MULTIPART_REPLY",
    20: "BARRIER_REQUEST", 21: "BARRIER_REPLY", 22: "QUEUE_GET_CONFIG_REQUEST",
    23: "QUEUE_GET_CONFIG_REPLY", 24: "ROLE_REQUEST", 25: "ROLE_REPLY",
    26: "GET_ASYNC_REQUEST", 27: "GET_ASYNC_REPLY", 28: "SET_ASYNC", 29: "METER_MOD",
}

# multipart types
MP_DESC = 0
MP_FLOW = 1
MP_TABLE_FEATURES = 12
MP_PORT_DESC = 13

# match types
OFPMT_STANDARD = 0
OFPMT_OXM = 1
OFPXMC_OPENFLOW_BASIC = 0x8000

# OXM fields (openflow basic)
OXM_IN_PORT = 0
OXM_IN_PHY_PORT = 1
OXM_METADATA = 2
OXM_ETH_DST = 3
OXM_ETH_SRC = 4
OXM_ETH_TYPE = 5
OXM_VLAN_VID = 6
OXM_IP_PROTO = 10
OXM_IPV4_SRC = 11
OXM_IPV4_DST = 12
OXM_ARP_OP = 21

# instruction types
OFPIT_GOTO_TABLE = 1
OFPIT_WRITE_METADATA = 2
OFPIT_WRITE_ACTIONS = 3
OFPIT_APPLY_ACTIONS = 4
OFPIT_CLEAR_ACTIONS = 5

# action types
OFPAT_OUTPUT = 0
OFPAT_PUSH_VLAN = 17
OFPAT_POP_VLAN = 18
OFPAT_SET_FIELD = 25

OFPP_CONTROLLER = 0xFFFFFFFD
OFPP_LOCAL = 0xFFFFFFFE
OFP_NO_BUFFER = 0xFFFFFFFF

# error types and codes (OpenFlow 1.3)
OFPET_HELLO_FAILED = 0
OFPET_BAD_REQUEST = 1
OFPET_BAD_ACTION = 2
OFPET_BAD_INSTRUCTION = 3
OFPET_BAD_MATCH = 4

E_HELLO_INCOMPATIBLE = (0, 0)
E_BAD_VERSION = (1, 0)
E_BAD_TYPE = (1, 1)
E_BAD_MULTIPART = (1, 2)
E_BAD_LEN = (1, 6)
E_ACTION_BAD_TYPE = (2, 0)
E_ACTION_BAD_LEN = (2, 1)
E_ACTION_BAD_SET_LEN = (2, 14)
E_INST_UNKNOWN = (3, 0)
E_INST_BAD_LEN = (3, 7)
E_MATCH_BAD_TYPE = (4, 0)
E_MATCH_BAD_LEN = (4, 1)
E_MATCH_BAD_MASK = (4, 8)
E_MATCH_DUP_FIELD = (4, 10)

ERROR_NAMES = {
    (0, 0): "HELLO_FAILED/INCOMPATIBLE", (0, 1): "HELLO_FAILED/EPERM",
    (1, 0): "BAD_REQUEST/BAD_VERSION", (1, 1): "BAD_REQUEST/BAD_TYPE",
    (1, 2): "BAD_REQUEST/BAD_MULTIPART", (1, 3): "BAD_REQUEST/BAD_EXPERIMENTER",
    (1, 6): "BAD_REQUEST/BAD_LEN", (1, 8): "BAD_REQUEST/BUFFER_UNKNOWN",
    (1, 9): "BAD_REQUEST/BAD_TABLE_ID", (1, 11): "BAD_REQUEST/BAD_PORT",
    (1, 12): "BAD_REQUEST/BAD_PACKET",
    (2, 0): "BAD_ACTION/BAD_TYPE", (2, 1): "BAD_ACTION/BAD_LEN",
    (2, 4): "BAD_ACTION/BAD_OUT_PORT", (2, 5): "BAD_ACTION/BAD_ARGUMENT",
    (2, 13): "BAD_ACTION/BAD_SET_TYPE", (2, 14): "BAD_ACTION/BAD_SET_LEN",
    (2, 15): "BAD_ACTION/BAD_SET_ARGUMENT",
    (3, 0): "BAD_INSTRUCTION/UNKNOWN_INST", (3, 1): "BAD_INSTRUCTION/UNSUP_INST",
    (3, 7): "BAD_INSTRUCTION/BAD_LEN",
    (4, 0): "BAD_MATCH/BAD_TYPE", (4, 1): "BAD_MATCH/BAD_LEN",
    (4, 6): "BAD_MATCH/BAD_FIELD", (4, 7): "BAD_MATCH/BAD_VALUE",
    (4, 8): "BAD_MATCH/BAD_MASK", (4, 9): "BAD_MATCH/BAD_PREREQ",
    (4, 10): "BAD_MATCH/DUP_FIELD",
}


def error_name(etype, ecode):
    return ERROR_NAMES.get((etype, ecode), "type=%d code=%d" % (etype, ecode))


def type_name(t):
    return TYPE_NAMES.get(t, "type %d" % t)


_xids = itertools.count(0x5A000001)
_xid_lock = threading.Lock()


def next_xid():
    with _xid_lock:
        return next(_xids) & 0xFFFFFFFF


def pad8(b):
    """b followed by zero bytes up to a multiple of 8."""
    return b + b"\0" * (-len(b) % 8)


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


# ---- message builders ---------------------------------------------------

def header(mtype, length, xid, version=OFP_VERSION):
    return struct.pack("!BBHI", version, mtype, length, xid)


def message(mtype, body=b"", xid=None, version=OFP_VERSION, length=None):
    """One message: header + body. `length` overrides the header's length field
    (the bytes sent are still header + body)."""
    if xid is None:
        xid = next_xid()
    n = OFP_HEADER_LEN + len(body) if length is None else length
    return header(mtype, n, xid, version) + body


def xid_of(raw):
    return struct.unpack_from("!I", raw, 4)[0]


def hello(version=OFP_VERSION, bitmap=1 << OFP_VERSION, elements=None, xid=None):
    """HELLO; with a version-bitmap element unless bitmap is None. `elements`
    (raw bytes) replaces the element list entirely."""
    if elements is None:
        elements = b"" if bitmap is None else hello_elem(1, struct.pack("!I", bitmap))
    return message(HELLO, elements, xid=xid, version=version)


def hello_elem(etype, payload, length=None):
    n = 4 + len(payload) if length is None else length
    return pad8(struct.pack("!HH", etype, n) + payload)


def echo_request(payload=b"", xid=None, version=OFP_VERSION):
    return message(ECHO_REQUEST, payload, xid=xid, version=version)


def error_msg(etype, ecode, data=b"", xid=None):
    return message(ERROR, struct.pack("!HH", etype, ecode) + data, xid=xid)


def features_reply(dpid, xid=None, n_buffers=256, n_tables=254, auxiliary_id=0,
                   capabilities=0x4F, extra=b"", length=None):
    body = struct.pack("!QIBB2xII", dpid, n_buffers, n_tables, auxiliary_id,
                       capabilities, 0) + extra
    return message(FEATURES_REPLY, body, xid=xid, length=length)


def get_config_reply(flags=0, miss_send_len=0xFFFF, xid=None, extra=b""):
    return message(GET_CONFIG_REPLY, struct.pack("!HH", flags, miss_send_len) + extra, xid=xid)


def port(port_no, name, hw_addr, config=0, state=0, curr=0x2820, advertised=0,
         supported=0, peer=0, curr_speed=10000000, max_speed=10000000):
    """ofp_port, 64 bytes. state 0 = link up (OFPPS_LINK_DOWN is bit 0)."""
    if isinstance(hw_addr, str):
        hw_addr = mac(hw_addr)
    return struct.pack("!I4x6s2x16sIIIIIIII", port_no, hw_addr, name.encode()[:15],
                       config, state, curr, advertised, supported, peer,
                       curr_speed, max_speed)


def features_reply10(dpid, ports, xid=None, n_buffers=256, n_tables=1, capabilities=0x87,
                     actions=0xFFF):
    """OpenFlow 1.0 FEATURES_REPLY: 32 bytes then the ports (ofp_phy_port)."""
    body = struct.pack("!QIB3xII", dpid, n_buffers, n_tables, capabilities, actions)
    return message(FEATURES_REPLY, body + b"".join(ports), xid=xid, version=OFP10_VERSION)


def port10(port_no, name, hw_addr, config=0, state=0, curr=0x82):
    """ofp_phy_port (OpenFlow 1.0), 48 bytes."""
    if isinstance(hw_addr, str):
        hw_addr = mac(hw_addr)
    return struct.pack("!H6s16sIIIIII", port_no, hw_addr, name.encode()[:15], config, state,
                       curr, 0, 0, 0)


def stats_reply10(stats_type, body, xid=None, flags=0):
    return message(OFPT10_STATS_REPLY, struct.pack("!HH", stats_type, flags) + body, xid=xid,
                   version=OFP10_VERSION)


def port_status(reason, port_bytes, xid=None, length=None):
    return message(PORT_STATUS, struct.pack("!B7x", reason) + port_bytes, xid=xid,
                   length=length)


def oxm(field, value, mask=None, cls=OFPXMC_OPENFLOW_BASIC, length=None):
    """One OXM TLV. `length` overrides oxm_length (payload bytes stay as given)."""
    payload = value + (mask if mask is not None else b"")
    n = len(payload) if length is None else length
    return struct.pack("!HBB", cls, (field << 1) | (mask is not None), n) + payload


def oxm_in_port(p, mask=None):
    return oxm(OXM_IN_PORT, struct.pack("!I", p),
               None if mask is None else struct.pack("!I", mask))


def oxm_eth_type(t):
    return oxm(OXM_ETH_TYPE, struct.pack("!H", t))


def oxm_eth_src(a, mask=None):
    return oxm(OXM_ETH_SRC, mac(a), None if mask is None else mac(mask))


def oxm_eth_dst(a, mask=None):
    return oxm(OXM_ETH_DST, mac(a), None if mask is None else mac(mask))


def oxm_ipv4_dst(addr, mask=None):
    return oxm(OXM_IPV4_DST, socket.inet_aton(addr),
               None if mask is None else socket.inet_aton(mask))


def match(oxms=b"", mtype=OFPMT_OXM, length=None):
    """ofp_match: type, length (head + OXMs, no padding), OXMs, padding to 8.
    `length` overrides the length field; padding follows the bytes given."""
    n = 4 + len(oxms) if length is None else length
    return pad8(struct.pack("!HH", mtype, n) + oxms)


def packet_in(frame, match_bytes=None, xid=None, in_port=1, buffer_id=OFP_NO_BUFFER,
              total_len=None, reason=0, table_id=0, cookie=0, length=None):
    if match_bytes is None:
        match_bytes = match(oxm_in_port(in_port))
    if total_len is None:
        total_len = len(frame)
    body = (struct.pack("!IHBBQ", buffer_id, total_len, reason, table_id, cookie)
            + match_bytes + b"\0\0" + frame)
    return message(PACKET_IN, body, xid=xid, length=length)


def flow_removed(match_bytes=None, xid=None, cookie=0x1234, priority=100, reason=0,
                 table_id=0, duration_sec=5, duration_nsec=0, idle_timeout=0,
                 hard_timeout=0, packet_count=3, byte_count=300, length=None):
    if match_bytes is None:
        match_bytes = match(oxm_in_port(1))
    body = struct.pack("!QHBBIIHHQQ", cookie, priority, reason, table_id, duration_sec,
                       duration_nsec, idle_timeout, hard_timeout, packet_count,
                       byte_count) + match_bytes
    return message(FLOW_REMOVED, body, xid=xid, length=length)


def multipart_reply(mp_type, body, xid=None, flags=0, length=None):
    return message(MULTIPART_REPLY, struct.pack("!HH4x", mp_type, flags) + body, xid=xid,
                   length=length)


def desc_body(mfr="matflow-tests", hw="fakeswitch", sw="fakeswitch.py", serial="0",
              dp="fake datapath"):
    def s(x, n):
        return x.encode()[: n - 1].ljust(n, b"\0")
    return s(mfr, 256) + s(hw, 256) + s(sw, 256) + s(serial, 32) + s(dp, 256)


def action(atype, body=b"", length=None):
    n = 4 + len(body) if length is None else length
    return struct.pack("!HH", atype, n) + body


def action_output(port_no, max_len=0xFFFF, length=None):
    return action(OFPAT_OUTPUT, struct.pack("!IH6x", port_no, max_len), length)


def action_pop_vlan(length=None):
    return action(OFPAT_POP_VLAN, b"\0" * 4, length)


def action_push_vlan(ethertype=0x8100):
    return action(OFPAT_PUSH_VLAN, struct.pack("!H2x", ethertype))


def action_set_field(oxm_bytes, length=None):
    """set_field: type, len, one OXM, padded to 8."""
    body = oxm_bytes + b"\0" * (-(4 + len(oxm_bytes)) % 8)
    return action(OFPAT_SET_FIELD, body, length)


def instruction(itype, body, length=None):
    n = 4 + len(body) if length is None else length
    return struct.pack("!HH", itype, n) + body


def inst_actions(actions, itype=OFPIT_APPLY_ACTIONS, length=None):
    return instruction(itype, b"\0" * 4 + actions, length)


def inst_goto_table(table_id):
    return instruction(OFPIT_GOTO_TABLE, struct.pack("!B3x", table_id))


def flow_stats_entry(match_bytes=None, insts=b"", length=None, table_id=0, priority=100,
                     cookie=0x42, duration_sec=1, idle_timeout=0, hard_timeout=0,
                     flags=0, packet_count=0, byte_count=0):
    if match_bytes is None:
        match_bytes = match(oxm_in_port(1))
    n = 48 + len(match_bytes) + len(insts) if length is None else length
    head = struct.pack("!HBxIIHHHH4xQQQ", n, table_id, duration_sec, 0, priority,
                       idle_timeout, hard_timeout, flags, cookie, packet_count, byte_count)
    return head + match_bytes + insts


def eth_frame(dst, src, ethertype, payload):
    return mac(dst) + mac(src) + struct.pack("!H", ethertype) + payload


def _csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def udp_frame(src_mac="02:00:00:00:00:01", dst_mac="02:00:00:00:00:02",
              src_ip="10.9.0.1", dst_ip="10.9.0.2", sport=40000, dport=9, payload=b"hello"):
    """A complete, valid Ethernet/IPv4/UDP frame (checksums filled in)."""
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                     socket.inet_aton(src_ip), socket.inet_aton(dst_ip))
    ip = ip[:10] + struct.pack("!H", _csum(ip)) + ip[12:]
    return eth_frame(dst_mac, src_mac, 0x0800, ip + udp)


class Msg:
    """One message received from the controller."""

    __slots__ = ("raw", "version", "type", "length", "xid", "body", "t", "auto")

    def __init__(self, raw, t=None):
        self.raw = bytes(raw)
        self.version, self.type, self.length, self.xid = struct.unpack_from("!BBHI", raw)
        self.body = self.raw[8:]
        self.t = time.monotonic() if t is None else t
        self.auto = False

    @property
    def err(self):
        """(type, code) of an OFPT_ERROR."""
        return struct.unpack_from("!HH", self.body) if len(self.body) >= 4 else (None, None)

    @property
    def err_data(self):
        return self.body[4:]

    @property
    def mp_type(self):
        return struct.unpack_from("!H", self.body)[0] if len(self.body) >= 2 else None

    def __repr__(self):
        s = "%s(v%d xid=%#x len=%d" % (type_name(self.type), self.version, self.xid, self.length)
        if self.type == ERROR and len(self.body) >= 4:
            s += " " + error_name(*self.err) + " data=" + self.err_data[:16].hex()
        elif self.type in (MULTIPART_REQUEST, MULTIPART_REPLY):
            s += " mp=%s" % self.mp_type
        return s + ")"


def hello_bitmap(m):
    """The version bitmap of a HELLO (None if it carries none)."""
    b = m.body
    while len(b) >= 4:
        etype, elen = struct.unpack_from("!HH", b)
        if elen < 4 or elen > len(b):
            return None
        if etype == 1 and elen >= 8:
            return struct.unpack_from("!I", b, 4)[0]
        b = b[(elen + 7) // 8 * 8:]
    return None


class Closed(Exception):
    pass


class FakeSwitch:
    """One OF1.3 (version=1: OF1.0) switch on one TCP connection. See the
    module comment."""

    def __init__(self, addr, dpid, ports=None, name=None, version=OFP_VERSION):
        self.addr = addr
        self.dpid = dpid
        self.version = version
        self.name = name or "sw%016x" % dpid
        if ports is None:
            mk, local = (port10, OFPP10_LOCAL) if version == OFP10_VERSION else (port, OFPP_LOCAL)
            ports = [mk(1, "p1", "02:00:00:00:%02x:01" % (dpid & 0xFF)),
                     mk(2, "p2", "02:00:00:00:%02x:02" % (dpid & 0xFF)),
                     mk(local, "br%x" % dpid, "02:00:00:00:%02x:fe" % (dpid & 0xFF))]
        self.ports = ports
        self.sock = None
        self.local = None               # "127.0.0.1:PORT" as the daemon sees us
        self.msgs = []                  # every message received, in order
        self.cond = threading.Condition()
        self.eof = False
        self.eof_at = None
        self.eof_reason = None
        self.violations = []            # framing problems in what the daemon sent
        self.answer_echo = True         # answer the daemon's ECHO_REQUESTs
        self.silent = False             # answer nothing at all
        self.features_xid = None
        self.port_desc_answered = threading.Event()  # 1.0: the DESC reply, its last step
        self.set_config = None
        self.rx_bytes = 0               # bytes read from the daemon
        self.reading = threading.Event()  # cleared: the reader stops reading
        self.reading.set()
        self._send_lock = threading.Lock()
        self._thread = None

    # -- connection -----------------------------------------------------
    def connect(self, timeout=3.0, rcvbuf=None, mss=None):
        """Opens the connection. rcvbuf (bytes) shrinks the socket's receive
        buffer and mss the segment size announced to the daemon (loopback's
        is 64 KiB, with which the daemon's kernel send buffer grows to
        megabytes), both before connecting: a switch that then stops reading
        holds less of what the daemon writes in the kernels' buffers, so that
        more of it waits in the daemon's own output queue."""
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if mss is not None:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, mss)
        self.sock.settimeout(timeout)
        self.sock.connect(self.addr)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(None)
        h, p = self.sock.getsockname()[:2]
        self.local = "%s:%d" % (h, p)
        self._thread = threading.Thread(target=self._reader, name=self.name, daemon=True)
        self._thread.start()
        return self

    def close(self):
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()
        self.reading.set()  # a paused reader wakes up, finds the socket closed
        if self._thread is not None:
            self._thread.join(2.0)

    def shutdown_write(self):
        self.sock.shutdown(socket.SHUT_WR)

    def pause_reading(self):
        """The reader stops reading the socket (after the read in progress,
        if any): the daemon's output to us then piles up."""
        self.reading.clear()

    def resume_reading(self):
        self.reading.set()

    def send(self, data):
        with self._send_lock:
            self.sock.sendall(data)

    # -- receiving --------------------------------------------------------
    def _reader(self):
        buf = bytearray()
        while True:
            self.reading.wait()
            try:
                data = self.sock.recv(262144)
            except OSError as e:
                self.eof_reason = str(e)
                break
            if not data:
                self.eof_reason = "EOF"
                break
            self.rx_bytes += len(data)
            buf += data
            while len(buf) >= 8:
                n = struct.unpack_from("!H", buf, 2)[0]
                if n < 8:
                    self.violations.append("daemon sent length %d: %s" % (n, bytes(buf[:16]).hex()))
                    buf.clear()
                    break
                if len(buf) < n:
                    break
                m = Msg(buf[:n])
                del buf[:n]
                try:
                    self._auto(m)
                except OSError:
                    pass
                with self.cond:
                    self.msgs.append(m)
                    self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.eof_at = time.monotonic()
            self.cond.notify_all()

    def _auto(self, m):
        """Answers what a switch answers; marks m.auto when it did."""
        if m.version != self.version and m.type != HELLO:
            self.violations.append("daemon sent version %d: %r" % (m.version, m))
        if m.type == HELLO:
            m.auto = True
            return
        if self.silent:
            return
        if self.version == OFP10_VERSION:
            self._auto10(m)
            return
        if m.type == ECHO_REQUEST:
            if self.answer_echo:
                self.send(message(ECHO_REPLY, m.body, xid=m.xid))
                m.auto = True
        elif m.type == FEATURES_REQUEST:
            self.features_xid = m.xid
            self.send(features_reply(self.dpid, xid=m.xid))
            m.auto = True
        elif m.type == SET_CONFIG:
            self.set_config = struct.unpack_from("!HH", m.body) if len(m.body) >= 4 else None
            m.auto = True
        elif m.type == GET_CONFIG_REQUEST:
            flags, msl = self.set_config or (0, 128)
            self.send(get_config_reply(flags, msl, xid=m.xid))
            m.auto = True
        elif m.type == BARRIER_REQUEST:
            self.send(message(BARRIER_REPLY, xid=m.xid))
            m.auto = True
        elif m.type == MULTIPART_REQUEST:
            mp = m.mp_type
            if mp == MP_DESC:
                self.send(multipart_reply(MP_DESC, desc_body(dp=self.name), xid=m.xid))
                m.auto = True
            elif mp == MP_PORT_DESC:
                self.send(multipart_reply(MP_PORT_DESC, b"".join(self.ports), xid=m.xid))
                m.auto = True
                self.port_desc_answered.set()
            elif mp == MP_FLOW:
                self.send(multipart_reply(MP_FLOW, b"", xid=m.xid))
                m.auto = True

    def _auto10(self, m):
        """_auto for an OpenFlow 1.0 switch."""
        v = OFP10_VERSION
        if m.type == ECHO_REQUEST:
            if self.answer_echo:
                self.send(message(ECHO_REPLY, m.body, xid=m.xid, version=v))
                m.auto = True
        elif m.type == FEATURES_REQUEST:
            self.features_xid = m.xid
            self.send(features_reply10(self.dpid, self.ports, xid=m.xid))
            m.auto = True
        elif m.type == SET_CONFIG:
            self.set_config = struct.unpack_from("!HH", m.body) if len(m.body) >= 4 else None
            m.auto = True
        elif m.type == OFPT10_BARRIER_REQUEST:
            self.send(message(OFPT10_BARRIER_REPLY, xid=m.xid, version=v))
            m.auto = True
        elif m.type == OFPT10_STATS_REQUEST and m.mp_type == MP_DESC:
            self.send(stats_reply10(MP_DESC, desc_body(dp=self.name), xid=m.xid))
            m.auto = True
            self.port_desc_answered.set()

    def mark(self):
        """Position in the message log; pass to wait_for(start=...)."""
        with self.cond:
            return len(self.msgs)

    def since(self, start=0, pred=None):
        with self.cond:
            return [m for m in self.msgs[start:] if pred is None or pred(m)]

    def wait_for(self, pred, timeout, start=0):
        """First message from index `start` on for which pred(m) holds; None on
        timeout or when the connection closed without one."""
        deadline = time.monotonic() + timeout
        i = start
        with self.cond:
            while True:
                while i < len(self.msgs):
                    if pred(self.msgs[i]):
                        return self.msgs[i]
                    i += 1
                left = deadline - time.monotonic()
                if self.eof or left <= 0:
                    return None
                self.cond.wait(left)

    def wait_closed(self, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not self.eof:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
            return True

    def errors(self, start=0):
        return self.since(start, lambda m: m.type == ERROR)

    def describe(self, start=0):
        ms = self.since(start)
        s = ", ".join(repr(m) for m in ms[-8:]) or "nothing"
        if self.eof:
            s += "; connection closed (%s)" % self.eof_reason
        return s

    # -- conversations ----------------------------------------------------
    def wait_hello(self, timeout=3.0):
        """Waits for the daemon's HELLO and checks it: header version 1.3 and
        a bitmap offering exactly 1.0 and 1.3."""
        m = self.wait_for(lambda m: m.type == HELLO, timeout)
        if m is None:
            raise Closed("no HELLO from the daemon within %.1fs (%s)" % (timeout, self.describe()))
        bm = hello_bitmap(m)
        if m.version != OFP_VERSION or bm != (1 << OFP10_VERSION) | (1 << OFP_VERSION):
            raise AssertionError("daemon HELLO does not offer 1.0 and 1.3: %r body=%s"
                                 % (m, m.body.hex()))
        return m

    def handshake(self, timeout=3.0):
        """Connects (if needed), negotiates its version and answers until the
        daemon asked for PORT_DESC (1.0: DESC); then an echo round trip
        proves it processed the reply (so the switch is ready in the
        daemon)."""
        if self.sock is None:
            self.connect()
        if self.version == OFP10_VERSION:
            self.send(hello(version=OFP10_VERSION, bitmap=None))  # 1.0 HELLOs have no body
        else:
            self.send(hello())
        self.wait_hello(timeout)
        if not self.port_desc_answered.wait(timeout):
            raise AssertionError("handshake of dpid %016x did not reach PORT_DESC within %.1fs: %s"
                                 % (self.dpid, timeout, self.describe()))
        self.echo(timeout)
        return self

    def echo(self, timeout=2.0, payload=None):
        """ECHO_REQUEST -> ECHO_REPLY with the same xid and payload."""
        xid = next_xid()
        if payload is None:
            payload = os.urandom(12)
        start = self.mark()
        self.send(echo_request(payload, xid=xid, version=self.version))
        m = self.wait_for(lambda m: m.type == ECHO_REPLY and m.xid == xid, timeout, start)
        if m is None:
            raise AssertionError("no ECHO_REPLY xid %#x within %.1fs (%s)"
                                 % (xid, timeout, self.describe(start)))
        if m.body != payload or m.version != self.version:
            raise AssertionError("bad ECHO_REPLY %r payload %s, sent %s"
                                 % (m, m.body.hex(), payload.hex()))
        return m


# ---- many switches on one selectors loop ---------------------------------

class _Lite:
    __slots__ = ("sock", "dpid", "inbuf", "outbuf", "state", "ready_at", "errors", "closed",
                 "events")

    def __init__(self, sock, dpid):
        self.sock = sock
        self.dpid = dpid
        self.inbuf = bytearray()
        self.outbuf = bytearray()
        self.state = "connecting"   # connecting -> hello -> ready (PORT_DESC answered)
        self.ready_at = None
        self.errors = []
        self.closed = False
        self.events = 0


class SwitchSwarm:
    """N minimal switches on non-blocking sockets, one selectors loop. Each
    answers HELLO / FEATURES / DESC / PORT_DESC / ECHO / BARRIER / GET_CONFIG."""

    def __init__(self, addr, dpids, max_connecting=200):
        self.addr = addr
        self.todo = list(dpids)
        self.max_connecting = max_connecting
        self.sel = selectors.DefaultSelector()
        self.sw = []
        self.n_connecting = 0
        self.problems = []
        self._desc = desc_body(dp="swarm")

    def _open_more(self):
        while self.todo and self.n_connecting < self.max_connecting:
            dpid = self.todo.pop(0)
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            err = s.connect_ex(self.addr)
            if err not in (0, 115):  # EINPROGRESS
                self.problems.append("connect dpid %016x: %s" % (dpid, os.strerror(err)))
                s.close()
                continue
            lite = _Lite(s, dpid)
            self.sw.append(lite)
            self.n_connecting += 1
            self.sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, lite)

    def _queue(self, lite, data):
        lite.outbuf += data
        self._flush(lite)

    def _flush(self, lite):
        if lite.closed:
            return
        try:
            while lite.outbuf:
                n = lite.sock.send(lite.outbuf)
                del lite.outbuf[:n]
        except BlockingIOError:
            pass
        except OSError as e:
            self._dead(lite, "send: %s" % e)
            return
        want = selectors.EVENT_READ | (selectors.EVENT_WRITE if lite.outbuf else 0)
        self.sel.modify(lite.sock, want, lite)

    def _dead(self, lite, why):
        if lite.closed:
            return
        lite.closed = True
        if lite.state != "ready":
            self.n_connecting -= 1
        self.problems.append("dpid %016x (%s): %s" % (lite.dpid, lite.state, why))
        try:
            self.sel.unregister(lite.sock)
        except (KeyError, ValueError):
            pass
        lite.sock.close()

    def _handle(self, lite, m_raw):
        version, mtype, length, xid = struct.unpack_from("!BBHI", m_raw)
        body = bytes(m_raw[8:])
        if mtype == HELLO:
            return
        if mtype == ECHO_REQUEST:
            self._queue(lite, message(ECHO_REPLY, body, xid=xid))
        elif mtype == FEATURES_REQUEST:
            self._queue(lite, features_reply(lite.dpid, xid=xid))
        elif mtype == GET_CONFIG_REQUEST:
            self._queue(lite, get_config_reply(0, 0xFFFF, xid=xid))
        elif mtype == BARRIER_REQUEST:
            self._queue(lite, message(BARRIER_REPLY, xid=xid))
        elif mtype == MULTIPART_REQUEST:
            mp = struct.unpack_from("!H", body)[0]
            if mp == MP_DESC:
                self._queue(lite, multipart_reply(MP_DESC, self._desc, xid=xid))
            elif mp == MP_PORT_DESC:
                ports = port(1, "p1", "02:aa:00:00:00:01") + port(OFPP_LOCAL, "br", "02:aa:00:00:00:fe")
                self._queue(lite, multipart_reply(MP_PORT_DESC, ports, xid=xid))
                if lite.state != "ready":
                    lite.state = "ready"
                    lite.ready_at = time.monotonic()
                    self.n_connecting -= 1
            elif mp == MP_FLOW:
                self._queue(lite, multipart_reply(MP_FLOW, b"", xid=xid))
        elif mtype == ERROR:
            lite.errors.append(m_raw[:24].hex())
            self.problems.append("dpid %016x got OFPT_ERROR %s" % (lite.dpid, bytes(m_raw[:24]).hex()))

    def _on_event(self, lite, mask):
        if lite.closed:
            return
        if lite.state == "connecting":
            err = lite.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                self._dead(lite, "connect: %s" % os.strerror(err))
                return
            lite.state = "hello"
            self._queue(lite, hello())
        if mask & selectors.EVENT_WRITE:
            self._flush(lite)
        if mask & selectors.EVENT_READ:
            try:
                data = lite.sock.recv(65536)
            except BlockingIOError:
                return
            except OSError as e:
                self._dead(lite, "recv: %s" % e)
                return
            if not data:
                self._dead(lite, "closed by the daemon")
                return
            lite.inbuf += data
            while len(lite.inbuf) >= 8:
                n = struct.unpack_from("!H", lite.inbuf, 2)[0]
                if n < 8:
                    self._dead(lite, "daemon sent length %d" % n)
                    return
                if len(lite.inbuf) < n:
                    break
                raw = lite.inbuf[:n]
                del lite.inbuf[:n]
                self._handle(lite, raw)
                if lite.closed:
                    return

    def poll(self, timeout):
        """Serves events for `timeout` seconds, opening pending connections."""
        deadline = time.monotonic() + timeout
        while True:
            self._open_more()
            left = deadline - time.monotonic()
            if left <= 0:
                return
            for key, mask in self.sel.select(min(left, 0.05)):
                self._on_event(key.data, mask)

    def n_ready(self):
        return sum(1 for s in self.sw if s.state == "ready" and not s.closed)

    def all_started(self):
        return not self.todo

    def close_all(self):
        for s in self.sw:
            if not s.closed:
                s.closed = True
                try:
                    self.sel.unregister(s.sock)
                except (KeyError, ValueError):
                    pass
                s.sock.close()
        self.sel.close()
