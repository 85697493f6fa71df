#!/usr/bin/python3
"""test_hostile.py - hostile switches against a matflowd that holds 1,000
bindings and is in the middle of an update (issue 5, point 4).

Starts its own matflowd (MATFLOWD, default build-san/bin/matflowd if built)
with three sites whose edge switches are fake switches here (SiteSwitch:
dpids 1-3, uplink port 1, hypervisor ports 10-12, gateway MACs configured;
each keeps a flow table from the FLOW_MODs it gets and answers matflowd's
ARP probes for the nodes it hosts), max_queue_bytes 1 MiB, then:

  setup   1,000 nodes learned at home (site1) from ARP Packet-Ins, moved to
          site2 by RARP Packet-Ins.
  1       node 0 moves to site3 while site1 holds back its barrier: the
          update is in flight. Meanwhile every case of test_malformed.py
          (every malformed message kind; not the 2000-switch swarm) runs on
          other connections, site1 itself sends every malformed kind that
          leaves a connection up, and messages that try to finish the held
          batch without its barrier. Then: the daemon is alive, every binding
          is there and unchanged (`matflowctl bindings --json`, lost 0), the
          update completes once site1 answers, the rejects are counted by
          reason (`matflowctl stats --json`).
  3       dpid claims. matflowd's policy: the connection that holds a dpid
          keeps it while it answers an echo; one that does not is replaced.
          An impostor of site2 while site2 answers is refused, told why
          (HELLO_FAILED/EPERM), closed, logged, counted; site2 gone silent is
          replaced by a newer connection, which is listed conflict_wait until
          then and whose flows are read back (flow stats by cookie) and
          reconciled before any update reaches it. Bindings unchanged.
  2       a switch that never reads: site1 stops reading while 400 nodes move
          and its router keeps asking for HoAs; matflowd closes it at
          max_queue_bytes (queue_full, a log line), the moves complete, the
          other switches carry on, site1 is brought up to date when it
          connects again. A non-reader flooding 64 KiB echo requests: the
          daemon's peak RSS grows by little more than the bound.
  ports   a PORT_STATUS flood of distinct port numbers: the port table is
          capped (CORE_MAX_PORTS), the excess counted and logged (rate-
          limited), the connection kept.

Environment: MATFLOWD, MATFLOWCTL, HOSTILE_NODES (default 1000),
HOSTILE_MAX_QUEUE (max_queue_bytes, default 1 MiB), TAP_FIRST (number of the
first TAP line), KEEP_TMP=1. Output is TAP ("ok N - ..." / "not ok N - ..."),
no plan line; exit status 1 if any failed. Every process it starts is
stopped by PID (SIGTERM, then SIGKILL), also on SIGTERM.
"""

import json
import os
import resource
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import fakeswitch as fs  # noqa: E402
from fakeswitch import FakeSwitch  # noqa: E402
import test_malformed as tm  # noqa: E402


def default_daemon():
    san = os.path.join(ROOT, "build-san/bin/matflowd")
    return san if os.access(san, os.X_OK) else os.path.join(ROOT, "build/bin/matflowd")


MATFLOWD = os.environ.get("MATFLOWD") or default_daemon()
CTL = os.environ.get("MATFLOWCTL") or os.path.join(ROOT, "build/bin/matflowctl")
N_NODES = int(os.environ.get("HOSTILE_NODES", "1000"))
MAX_QUEUE = int(os.environ.get("HOSTILE_MAX_QUEUE", str(1 << 20)))
ECHO_INTERVAL = 0.5
ECHO_MISSES = 3
HANDSHAKE_TIMEOUT = 2.0
BARRIER_TIMEOUT = 60        # the held barrier must outlast the malformed suite
MAX_PORTS = 65536           # core's port table bound (core.h, CORE_MAX_PORTS)
WAIT = 30.0                 # ceiling of every wait-for-condition below

SITES = [("site1", 1), ("site2", 2), ("site3", 3)]
UPLINK = 1
HV_PORTS = (10, 11, 12)
COOKIE_TAG = 0x4D46 << 48          # matflow's cookies (mob_flows.h)
COOKIE_TAG_MASK = 0xFFFF << 48


class Fail(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def wait_until(pred, timeout=WAIT, step=0.05):
    """pred()'s first true value, or the last false one after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(step)


# ---- frames and nodes ------------------------------------------------------

def ip(s):
    return socket.inet_aton(s)


def pad60(frame):
    return frame + b"\0" * max(0, 60 - len(frame))


def arp_frame(op, sha, spa, tha, tpa, dst=b"\xff" * 6, src=None):
    body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, sha, spa, tha, tpa)
    return pad60(dst + (src or sha) + struct.pack("!H", 0x0806) + body)


def rarp_frame(mac):
    """What QEMU sends after a migration (RARP request, sha = tha = MAC)."""
    body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 3, mac, b"\0" * 4, mac, b"\0" * 4)
    return pad60(b"\xff" * 6 + mac + struct.pack("!H", 0x8035) + body)


class Node:
    __slots__ = ("i", "mac", "hoa", "hoa_s", "port")

    def __init__(self, i):
        self.i = i
        self.mac = bytes([0x52, 0x54, 0x00, 0xAA, i >> 8, i & 0xFF])
        self.hoa_s = "10.1.%d.%d" % (1 + i // 200, 10 + i % 200)
        self.hoa = ip(self.hoa_s)
        self.port = HV_PORTS[i % len(HV_PORTS)]


NODES = [Node(i) for i in range(N_NODES)]


def pin(frame, port):
    """A Packet-In as the site rules raise it (OFPR_ACTION, table 0)."""
    return fs.packet_in(frame, in_port=port, reason=1)


# ---- the site switches ------------------------------------------------------

def parse_flow_mod(body):
    """(cookie, cookie_mask, table, command, idle, hard, priority, flags,
    match bytes (padded), instruction bytes) of a 1.3 FLOW_MOD body."""
    (cookie, mask, table, cmd, idle, hard, prio, _buf, _oport, _ogroup,
     flags) = struct.unpack_from("!QQBBHHHIIIH", body)
    mlen = struct.unpack_from("!H", body, 42)[0]
    mend = 40 + (mlen + 7) // 8 * 8
    return cookie, mask, table, cmd, idle, hard, prio, flags, body[40:mend], body[mend:]


class SiteSwitch(FakeSwitch):
    """A site's edge switch: answers what FakeSwitch answers, and also
    keeps a flow table from the FLOW_MODs it gets (ADD, DELETE by cookie,
    DELETE_STRICT) and reports it in flow stats replies (filtered by cookie,
    split into parts of < 64 KiB); answers matflowd's ARP probes for the
    nodes it hosts (`here`); and holds back BARRIER_REQUESTs while `hold`
    is set (release() answers them)."""

    def __init__(self, addr, dpid, name):
        ports = [fs.port(p, "p%d" % p, "02:00:00:%02x:00:%02x" % (dpid, p))
                 for p in (UPLINK,) + HV_PORTS]
        ports.append(fs.port(fs.OFPP_LOCAL, name, "02:00:00:%02x:00:fe" % dpid))
        super().__init__(addr, dpid, ports=ports, name=name)
        self.here = {}          # HoA bytes -> Node: answer its probes
        self.hold = False
        self.held = []          # xids of barrier requests not answered yet
        self.flows = {}         # (table, priority, match) -> (cookie, idle, hard, flags, insts)
        self.by_cookie = {}     # cookie -> keys of self.flows
        self.flow_mods = 0
        self.probes = 0
        self.flow_requests = []  # (index in msgs, cookie, cookie_mask) of flow stats requests
        self.unsupported = []
        self.lock = threading.Lock()

    def _auto(self, m):
        if self.silent:
            return
        if m.type == fs.FLOW_MOD:
            self._flow_mod(m)
            m.auto = True
        elif m.type == fs.PACKET_OUT:
            self._packet_out(m)
        elif m.type == fs.BARRIER_REQUEST and self.hold:
            with self.lock:
                self.held.append(m.xid)
        elif m.type == fs.MULTIPART_REQUEST and m.mp_type == fs.MP_FLOW:
            self._flow_stats(m)
            m.auto = True
        else:
            super()._auto(m)

    def release(self):
        """Stops holding barriers and answers the held ones, in order."""
        with self.lock:
            self.hold = False
            held, self.held = self.held, []
        for xid in held:
            self.send(fs.message(fs.BARRIER_REPLY, xid=xid))
        return held

    def _flow_mod(self, m):
        cookie, mask, table, cmd, idle, hard, prio, flags, match, insts = parse_flow_mod(m.body)
        with self.lock:
            self.flow_mods += 1
            if cmd == 0:  # ADD (replaces a flow with the same table, priority, match)
                self._drop((table, prio, match))
                self.flows[(table, prio, match)] = (cookie, idle, hard, flags, insts)
                self.by_cookie.setdefault(cookie, set()).add((table, prio, match))
            elif cmd == 3 and match[2:4] == b"\0\x04":  # DELETE with an empty match
                if mask == 0xFFFFFFFFFFFFFFFF:  # matflow's: one exact cookie
                    keys = list(self.by_cookie.get(cookie, ()))
                else:
                    keys = [k for k, v in self.flows.items() if v[0] & mask == cookie & mask]
                for k in keys:
                    if table == 0xFF or k[0] == table:
                        self._drop(k)
            elif cmd == 4:  # DELETE_STRICT
                k = (table, prio, match)
                v = self.flows.get(k)
                if v is not None and v[0] & mask == cookie & mask:
                    self._drop(k)
            else:
                self.unsupported.append("FLOW_MOD command %d match %s" % (cmd, match.hex()))

    def _drop(self, k):
        v = self.flows.pop(k, None)
        if v is not None:
            ks = self.by_cookie[v[0]]
            ks.discard(k)
            if not ks:
                del self.by_cookie[v[0]]

    def set_flows(self, flows):
        with self.lock:
            self.flows = dict(flows)
            self.by_cookie = {}
            for k, v in self.flows.items():
                self.by_cookie.setdefault(v[0], set()).add(k)

    def flow_table(self):
        with self.lock:
            return dict(self.flows)

    def _flow_stats(self, m):
        # ofp_multipart_request (8) + ofp_flow_stats_request: table, pad,
        # out_port, out_group, pad, cookie, cookie_mask, match
        table = m.body[8]
        cookie, mask = struct.unpack_from("!QQ", m.body, 24)
        with self.cond:
            self.flow_requests.append((len(self.msgs), cookie, mask))
        entries = [fs.flow_stats_entry(k[2], v[4], table_id=k[0], priority=k[1], cookie=v[0],
                                       idle_timeout=v[1], hard_timeout=v[2], flags=v[3])
                   for k, v in self.flow_table().items()
                   if (table == 0xFF or k[0] == table) and v[0] & mask == cookie & mask]
        parts, cur = [], b""
        for e in entries:
            if len(cur) + len(e) > 60000:
                parts.append(cur)
                cur = b""
            cur += e
        parts.append(cur)
        for i, body in enumerate(parts):
            self.send(fs.multipart_reply(fs.MP_FLOW, body, xid=m.xid,
                                         flags=1 if i + 1 < len(parts) else 0))

    def _packet_out(self, m):
        """Answers an ARP probe (who has HoA, from 0.0.0.0) for a node here,
        from the port the probe went out of, as the guest would."""
        b = m.body
        if len(b) < 16:
            return
        alen = struct.unpack_from("!H", b, 8)[0]
        acts, data = b[16:16 + alen], b[16 + alen:]
        out = None
        while len(acts) >= 8:
            atype, al = struct.unpack_from("!HH", acts)
            if atype == fs.OFPAT_OUTPUT and al >= 8:
                out = struct.unpack_from("!I", acts, 4)[0]
            acts = acts[max(al, 8):]
        if len(data) < 42 or data[12:14] != b"\x08\x06":
            return
        op = struct.unpack_from("!H", data, 20)[0]
        sha, spa, tpa = data[22:28], data[28:32], data[38:42]
        node = self.here.get(tpa)
        if op != 1 or spa != b"\0" * 4 or node is None or out is None:
            return
        self.probes += 1
        reply = arp_frame(2, node.mac, node.hoa, sha, spa, dst=sha, src=node.mac)
        self.send(pin(reply, out))


# ---- the daemon ---------------------------------------------------------------

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Daemon:
    def __init__(self, tmp):
        self.tmp = tmp
        self.api = os.path.join(tmp, "api.sock")
        self.db = os.path.join(tmp, "state.db")
        self.cfg = os.path.join(tmp, "matflowd.yaml")
        self.log_path = os.path.join(tmp, "matflowd.log")
        self.proc = None
        self.port = None

    def write_config(self):
        lines = ["controller:",
                 "  listen: [tcp:127.0.0.1:%d]" % self.port,
                 "  api: %s" % self.api,
                 "  database: %s" % self.db,
                 "  log_level: info",
                 "  echo_interval: %s" % ECHO_INTERVAL,
                 "  echo_misses: %d" % ECHO_MISSES,
                 "  handshake_timeout: %s" % HANDSHAKE_TIMEOUT,
                 "  barrier_timeout: %d" % BARRIER_TIMEOUT,
                 "  max_queue_bytes: %d" % MAX_QUEUE,
                 # The fake switches answer every probe wherever it is sent
                 # (they model no location), and move nodes by the thousand
                 # from one port: the defences against that are tested in
                 # unit/test_mob_update and integration/test_hostile_packets.
                 "mobility:",
                 "  old_location_check: 0",
                 "  damping_moves: 0",
                 "  trigger_rate: 0",
                 "sites:"]
        for name, dpid in SITES:
            lines += ["  - name: %s" % name,
                      "    dpid: %d" % dpid,
                      "    prefix: 10.%d.0.0/16" % dpid,
                      "    gateway: 10.%d.0.1" % dpid,
                      '    gateway_mac: "02:47:57:00:00:%02x"' % dpid,
                      "    uplinks: [%d]" % UPLINK,
                      "    hypervisor_ports: [%s]" % ", ".join(str(p) for p in HV_PORTS),
                      "    moa_pool: 10.%d.128.1-10.%d.255.254" % (dpid, dpid)]
        with open(self.cfg, "w") as f:
            f.write("\n".join(lines) + "\n")

    def start(self):
        for _ in range(3):
            self.port = free_port()
            self.write_config()
            log = open(self.log_path, "w")
            self.proc = subprocess.Popen([MATFLOWD, "--config", self.cfg], stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            log.close()
            ok = wait_until(lambda: self.proc.poll() is not None or (
                "listening on tcp:" in self.log() and os.path.exists(self.api)), 10)
            if self.proc.poll() is None and ok:
                return
            self.kill()
        raise Fail("matflowd does not start: %s" % self.log()[-2000:])

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def status_kb(self, field):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return 0

    def reset_peak(self):
        """Resets VmHWM (the peak RSS); False where the kernel refuses."""
        try:
            with open("/proc/%d/clear_refs" % self.proc.pid, "w") as f:
                f.write("5")
            return True
        except OSError:
            return False

    def stop(self):
        """SIGTERM; the exit status (None if it had to be killed)."""
        if not self.alive():
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait()


D = None  # the daemon
ADDR = None


def ctl(*args):
    p = subprocess.run([CTL, "--api", D.api, "--json"] + list(args), capture_output=True,
                       timeout=30)
    if p.returncode != 0:
        raise Fail("matflowctl %s: exit %d: %s" % (" ".join(args), p.returncode,
                                                   p.stderr.decode(errors="replace").strip()))
    return json.loads(p.stdout)


def stats():
    return ctl("stats")


def bindings():
    """HoA -> binding, from `matflowctl bindings --json`."""
    return {b["hoa"]: b for b in ctl("bindings")["bindings"]}


def rejected(st, reason):
    return st["rejected_messages"].get(reason, 0)


def mob(st, name):
    return st["mobility"].get(name, 0)


def switch_entries(dpid):
    d = "%016x" % dpid
    return [s for s in ctl("switches")["switches"] if s.get("dpid") == d]


def wait_log(text, timeout=5.0):
    return wait_until(lambda: text in D.log(), timeout)


def compare_bindings(before, after, moved=()):
    """Lines describing every difference; bindings in `moved` (HoAs) may
    differ. Returns (lost, changed, problems)."""
    lost = [h for h in before if h not in after]
    changed = [h for h in before if h in after and h not in moved and after[h] != before[h]]
    extra = [h for h in after if h not in before]
    problems = []
    if lost:
        problems.append("%d bindings lost, e.g. %s" % (len(lost), lost[:3]))
    for h in changed[:3]:
        problems.append("binding %s changed: %r -> %r" % (h, before[h], after[h]))
    if extra:
        problems.append("%d bindings appeared, e.g. %s" % (len(extra), extra[:3]))
    return lost, changed, problems


# ---- the run -------------------------------------------------------------------

class Run:
    def __init__(self, first):
        self.n = first - 1
        self.failed = 0
        self.switches = []

    def tap(self, ok, desc, diag=()):
        self.n += 1
        print("%s %d - hostile: %s" % ("ok" if ok else "not ok", self.n, desc))
        for d in diag:
            for line in str(d).rstrip().splitlines():
                print("#   %s" % line)
        sys.stdout.flush()
        if not ok:
            self.failed += 1

    def step(self, desc, fn):
        """Runs fn() (which may return a string that replaces desc) as one
        TAP line; False if it failed."""
        t0 = time.monotonic()
        try:
            d = fn()
            self.tap(True, d or desc)
            ok = True
        except Exception as e:  # noqa: BLE001
            self.tap(False, desc, [str(e) if isinstance(e, AssertionError)
                                   else traceback.format_exc()])
            ok = False
        if time.monotonic() - t0 > 5:
            print("#   (took %.1fs)" % (time.monotonic() - t0))
        return ok

    def site_switch(self, name, dpid, rcvbuf=None, mss=None):
        sw = SiteSwitch(ADDR, dpid, name)
        self.switches.append(sw)
        sw.connect(rcvbuf=rcvbuf, mss=mss)
        sw.handshake(5.0)
        return sw

    def plain_switch(self, dpid, name=None):
        sw = FakeSwitch(ADDR, dpid, name=name)
        self.switches.append(sw)
        return sw


def reconciled(sw, start=0):
    """True once sw got the barrier that closes its reconciliation batch
    (a BARRIER_REQUEST after its flow stats request)."""
    with sw.cond:
        reqs = [i for i, _, _ in sw.flow_requests if i >= start]
        if not reqs:
            return False
        return any(m.type == fs.BARRIER_REQUEST for m in sw.msgs[reqs[-1]:])


def move_all(run, nodes, to_sw, site_name, timeout=WAIT):
    """RARPs of `nodes` at to_sw; waits until every one is bound there and
    no update of theirs is in flight."""
    for nd in nodes:
        to_sw.here[nd.hoa] = nd
    to_sw.send(b"".join(pin(rarp_frame(nd.mac), nd.port) for nd in nodes))
    want = {nd.hoa_s for nd in nodes}

    def done():
        bs = bindings()
        return all(bs.get(h, {}).get("site") == site_name and bs[h]["update"] == 0
                   for h in want)
    if not wait_until(done, timeout, 0.2):
        bs = bindings()
        late = [bs.get(h) for h in sorted(want)
                if bs.get(h, {}).get("site") != site_name or bs[h]["update"]]
        raise Fail("%d of %d nodes not at %s within %.0fs, e.g. %r"
                   % (len(late), len(nodes), site_name, timeout, late[:2]))


def setup(run, ctx):
    s1 = run.site_switch("site1", 1)
    s2 = run.site_switch("site2", 2)
    s3 = run.site_switch("site3", 3)
    ctx.sites = {"site1": s1, "site2": s2, "site3": s3}
    for sw in (s1, s2, s3):
        check(wait_until(lambda: reconciled(sw), 10), "%s not reconciled: %s"
              % (sw.name, sw.describe()))
    # Learn every node at home, from an ARP request for its gateway.
    s1.send(b"".join(pin(arp_frame(1, nd.mac, nd.hoa, b"\0" * 6, ip("10.1.0.1")), nd.port)
                     for nd in NODES))
    check(wait_until(lambda: mob(stats(), "bindings") >= N_NODES, WAIT, 0.1),
          "%d bindings after the ARPs of %d nodes" % (mob(stats(), "bindings"), N_NODES))
    bs = bindings()
    check(len(bs) == N_NODES and all(b["site"] == "site1" and b["state"] == "home"
                                      for b in bs.values()),
          "bindings after learning: %r" % list(bs.values())[:2])
    return "%d nodes learned at home (site1) from ARP Packet-Ins" % N_NODES


def setup_move(run, ctx):
    t0 = time.monotonic()
    st0 = stats()
    # In windows of 200: matflowd sends the rules of the moves that start
    # in one turn of its loop as one batch per switch (mob_tx.c), ~1.3 KB a
    # move at the destination, and a batch must fit max_queue_bytes.
    for i in range(0, N_NODES, 200):
        move_all(run, NODES[i:i + 200], ctx.sites["site2"], "site2", 30)
    st1 = stats()
    bs = bindings()
    away = [b for b in bs.values() if b["state"] == "away" and b["site"] == "site2"]
    check(len(away) == N_NODES, "%d of %d bindings away at site2" % (len(away), N_NODES))
    done = mob(st1, "updates_complete") - mob(st0, "updates_complete")
    check(done == N_NODES, "updates_complete +%d for %d moves" % (done, N_NODES))
    n_flows = {n: len(sw.flow_table()) for n, sw in ctx.sites.items()}
    return ("%d nodes moved to site2 (RARP, probe answered, %d updates complete in %.1fs); "
            "flows per switch %s" % (N_NODES, done, time.monotonic() - t0, n_flows))


# ---- 1: malformed input during an update, with 1,000 bindings -------------------

def start_held_update(run, ctx):
    s1, s3 = ctx.sites["site1"], ctx.sites["site3"]
    nd = NODES[0]
    s1.hold = True
    s3.here[nd.hoa] = nd
    s3.send(pin(rarp_frame(nd.mac), nd.port))

    def in_flight():
        b = bindings()[nd.hoa_s]
        ups = [u for u in ctl("events")["updates"] if u["id"] == b["update"]]
        steps = [e["step"] for e in ups[0]["events"]] if ups else []
        return s1.held and b["update"] and "probe_reply" in steps and (b, ups[0], steps)
    r = wait_until(in_flight, 10)
    check(r, "update of %s to site3 not in flight with site1's barrier held (held %r, "
          "binding %r)" % (nd.hoa_s, s1.held, bindings()[nd.hoa_s]))
    b, u, steps = r
    check(not u["complete"] and "sending_out" not in steps,
          "update went on without site1's barrier: %r" % steps)
    ctx.held_update = u["id"]
    ctx.held_xids = list(s1.held)
    return ("update %d (%s to site3) in flight: probe answered, site1 holds its receiving "
            "barrier (xid %#x)" % (u["id"], nd.hoa_s, ctx.held_xids[0]))


def update_still_held(ctx):
    nd = NODES[0]
    b = bindings()[nd.hoa_s]
    check(b["update"] == ctx.held_update and b["site"] == "site2",
          "the held update is no longer in flight: %r" % b)
    ups = [u for u in ctl("events")["updates"] if u["id"] == ctx.held_update]
    check(ups and not ups[0]["complete"] and not ups[0]["failed"],
          "held update: %r" % (ups[0] if ups else None))


def malformed_suite(run, ctx):
    """Every case of test_malformed.py but the swarm, against this daemon."""
    tm.ADDR, tm.PID, tm.API, tm.CTL, tm.LOG = ADDR, D.proc.pid, D.api, CTL, D.log_path
    tm.ECHO_INTERVAL, tm.ECHO_MISSES = ECHO_INTERVAL, ECHO_MISSES
    tm.HANDSHAKE_TIMEOUT = HANDSHAKE_TIMEOUT
    tctx = tm.Ctx()
    good = FakeSwitch(ADDR, tm.GOOD_DPID, name="good")
    run.switches.append(good)
    tctx.good = good.handshake(tm.REPLY_TIMEOUT)
    n = 0
    for desc, fn, reasons, frames in tm.CASES:
        if "concurrent switches" in desc:
            continue  # scale, not malformed input; run.sh runs it
        n += 1
        problems = tm.run_case(tctx, fn, reasons, frames)
        run.tap(not problems, "1,000 bindings, update in flight: " + desc, problems)
    good.close()
    return n


def site_switch_sends_malformed(run, ctx):
    """Every malformed kind that keeps a connection up, sent by site1 (which
    holds the update's barrier): the exact error each, the connection up,
    the update still waiting."""
    s1 = ctx.sites["site1"]
    kinds = [(d, fn) for d, fn, _, _ in tm.CASES if getattr(fn, "then", None) == "stay"]
    frames = [(d, fn) for d, fn, _, _ in tm.CASES if hasattr(fn, "frame")]
    problems = []
    st0 = stats()
    for desc, fn in kinds:
        start = s1.mark()
        sent = fn.build()
        try:
            s1.send(sent)
            tm.expect_error(s1, sent, fn.err, "stay", start)
        except Exception as e:  # noqa: BLE001
            problems.append("%s: %s" % (desc, e))
        if s1.eof:
            break
    for desc, fn in frames:  # bad frames on a hypervisor port: counted, no error
        start = s1.mark()
        s1.send(pin(fn.frame, HV_PORTS[0]))
        s1.echo(tm.REPLY_TIMEOUT)
        if s1.errors(start):
            problems.append("%s: answered %r" % (desc, s1.errors(start)))
    check(not problems, "\n".join(problems))
    st1 = stats()
    d = sum(st1["rejected_frames"].values()) - sum(st0["rejected_frames"].values())
    check(d == len(frames), "rejected_frames +%d for %d bad frames" % (d, len(frames)))
    check(list(s1.held) == ctx.held_xids, "site1's held barriers changed: %r" % s1.held)
    update_still_held(ctx)
    return ("site1 itself (holding the barrier) sends %d malformed kinds that keep a connection "
            "(each the exact OFPT_ERROR, connection kept) and %d bad frames (counted, no error); "
            "update still waiting" % (len(kinds), len(frames)))


def fake_barrier_replies(run, ctx):
    """Messages that try to finish the held batch without the barrier."""
    s1 = ctx.sites["site1"]
    xid = ctx.held_xids[0]
    # A malformed BARRIER_REPLY with the held xid: BAD_LEN, not a reply.
    start = s1.mark()
    sent = fs.message(fs.BARRIER_REPLY, b"\0" * 4, xid=xid)
    s1.send(sent)
    tm.expect_error(s1, sent, fs.E_BAD_LEN, "stay", start)
    # A short OFPT_ERROR naming the batch's messages: BAD_LEN, not tied.
    start = s1.mark()
    sent = fs.message(fs.ERROR, b"\0\x01", xid=xid - 1)
    s1.send(sent)
    tm.expect_error(s1, sent, fs.E_BAD_LEN, "stay", start)
    # A BARRIER_REPLY in OpenFlow 1.0 numbering (type 19) and version: refused.
    start = s1.mark()
    sent = fs.message(fs.OFPT10_BARRIER_REPLY, xid=xid, version=fs.OFP10_VERSION)
    s1.send(sent)
    tm.expect_error(s1, sent, fs.E_BAD_VERSION, "stay", start)
    # The right barrier reply from another connection (not site1).
    other = run.plain_switch(0xB1, "other")
    other.handshake(tm.REPLY_TIMEOUT)
    other.send(fs.message(fs.BARRIER_REPLY, xid=xid))
    other.echo(tm.REPLY_TIMEOUT)
    # A RARP for a bound node from a switch that is no site.
    st0 = stats()
    other.send(pin(rarp_frame(NODES[1].mac), HV_PORTS[0]))
    other.echo(tm.REPLY_TIMEOUT)
    st1 = stats()
    check(mob(st1, "updates_started") == mob(st0, "updates_started"),
          "a RARP from a switch of no site started an update")
    other.close()
    update_still_held(ctx)
    return ("a malformed BARRIER_REPLY with the held xid (BAD_LEN), a short ERROR naming the "
            "batch (BAD_LEN), a 1.0 BARRIER_REPLY (BAD_VERSION), the right reply from another "
            "connection, a RARP from a switch of no site: the update still waits")


def section1(run, ctx):
    if not run.step("start an update and hold its barrier", lambda: start_held_update(run, ctx)):
        return
    ctx.b_before = bindings()
    ctx.st_before = stats()
    ctx.t_suite = time.monotonic()
    n_cases = malformed_suite(run, ctx)
    run.step("site1 sends malformed messages", lambda: site_switch_sends_malformed(run, ctx))
    run.step("fake barrier replies", lambda: fake_barrier_replies(run, ctx))

    def unchanged():
        check(D.alive(), "matflowd is not running")
        after = bindings()
        lost, changed, problems = compare_bindings(ctx.b_before, after)
        check(not problems, "\n".join(problems))
        update_still_held(ctx)
        return ("after %d malformed cases on other connections and site1's own (%.1fs): "
                "daemon alive, %d of %d bindings present and unchanged, lost %d"
                % (n_cases, time.monotonic() - ctx.t_suite, len(after), len(ctx.b_before),
                   len(lost)))
    run.step("bindings unchanged after the malformed suite", unchanged)

    def completes():
        s1 = ctx.sites["site1"]
        nd = NODES[0]
        held = s1.release()
        check(held == ctx.held_xids, "site1 held %r, expected %r" % (held, ctx.held_xids))

        def done():
            b = bindings()[nd.hoa_s]
            return b["update"] == 0 and b
        b = wait_until(done, 10)
        check(b and b["site"] == "site3" and b["state"] == "away"
              and b["epoch"] == ctx.b_before[nd.hoa_s]["epoch"] + 1,
              "after the barrier reply: %r" % bindings()[nd.hoa_s])
        u = [u for u in ctl("events")["updates"] if u["id"] == ctx.held_update]
        check(u and u[0]["complete"] and not u[0]["failed"], "update: %r" % u)
        after = bindings()
        lost, changed, problems = compare_bindings(ctx.b_before, after, moved={nd.hoa_s})
        check(not problems, "\n".join(problems))
        ctx.b_after1 = after
        return ("the held update completes once site1 answers its barrier (%s at site3, epoch "
                "%d); the other %d bindings unchanged; bindings lost: %d"
                % (nd.hoa_s, b["epoch"], len(after) - 1, len(lost)))
    run.step("held update completes", completes)

    def counted():
        st = stats()
        d = {r: rejected(st, r) - rejected(ctx.st_before, r) for r in st["rejected_messages"]}
        nz = {r: v for r, v in d.items() if v}
        want = ["frame_length", "hello_failed", "unexpected_hello", "handshake_timeout",
                "echo_timeout", "dpid_conflict", "bad_len", "bad_type", "bad_version",
                "bad_multipart", "match_bad_len", "match_bad_type", "match_dup_field",
                "match_bad_mask", "action_bad_len", "action_bad_type", "inst_bad_len",
                "inst_unknown"]
        missing = [r for r in want if r not in st["rejected_messages"] or d.get(r, 0) <= 0]
        frames = sum(st["rejected_frames"].values()) - sum(ctx.st_before["rejected_frames"]
                                                           .values())
        check(not missing, "reasons not counted: %r (counted: %r)" % (missing, nz))
        check(frames >= 4, "rejected_frames +%d" % frames)
        return "rejects counted by reason: %s; frames +%d" % (
            ", ".join("%s +%d" % kv for kv in sorted(nz.items())), frames)
    run.step("rejects counted by reason", counted)


# ---- 3: a second connection claiming a ready site switch's dpid -------------------

def impostor_refused(run, ctx):
    s2 = ctx.sites["site2"]
    before = bindings()
    st0 = stats()
    start2 = s2.mark()
    imp = run.plain_switch(2, "impostor")
    imp.connect()
    imp.send(fs.hello())
    imp.wait_hello(tm.REPLY_TIMEOUT)
    # While matflowd checks the holder, the impostor announces a node.
    check(wait_until(lambda: imp.features_xid is not None or imp.eof, 3),
          "no FEATURES_REQUEST to the impostor: %s" % imp.describe())
    imp.send(pin(rarp_frame(NODES[5].mac), NODES[5].port))
    check(imp.wait_closed(ECHO_INTERVAL + 3), "impostor still connected: %s" % imp.describe())
    errs = imp.errors()
    check(len(errs) == 1 and tuple(errs[0].err) == (0, 1)
          and b"in use" in errs[0].err_data,
          "impostor told %r, expected HELLO_FAILED/EPERM with a reason" % errs)
    check(not s2.eof, "site2 was dropped")
    probes = s2.since(start2, lambda m: m.type == fs.ECHO_REQUEST)
    check(probes, "site2 was not asked whether it is alive")
    s2.echo()
    e = switch_entries(2)
    check(len(e) == 1 and e[0]["state"] == "ready" and e[0]["address"] == s2.local,
          "dpid 2 listed %r" % e)
    line = "refused connection from %s claiming dpid %016x" % (imp.local, 2)
    check(wait_log(line), "no log line %r" % line)
    st1 = stats()
    check(rejected(st1, "dpid_conflict") == rejected(st0, "dpid_conflict") + 1,
          "dpid_conflict %d -> %d" % (rejected(st0, "dpid_conflict"),
                                      rejected(st1, "dpid_conflict")))
    check(mob(st1, "updates_started") == mob(st0, "updates_started"),
          "the impostor's RARP started an update")
    lost, _, problems = compare_bindings(before, bindings())
    check(not problems, "\n".join(problems))
    pong = ctl("ping", "%016x" % 2)
    check(pong.get("result") == "barrier reply", "ping site2: %r" % pong)
    return ("impostor of site2 while site2 answers: refused after one echo to site2, told "
            "HELLO_FAILED/EPERM %r and closed, logged, dpid_conflict +1, its RARP ignored; "
            "site2 kept; bindings lost: %d" % (errs[0].err_data.decode(), len(lost)))


def holder_replaced(run, ctx):
    s2 = ctx.sites["site2"]
    before = bindings()
    st0 = stats()
    table = s2.flow_table()
    check(len(table) > N_NODES, "site2 holds only %d flows" % len(table))
    s2.silent = True  # its host froze: no answer to anything any more
    newc = SiteSwitch(ADDR, 2, "site2")
    run.switches.append(newc)
    # The same switch come back: it still has the flows matflow installed,
    # but one of them is lost and one stale flow with matflow's cookie is new.
    lost_key = sorted(table)[len(table) // 2]
    table2 = dict(table)
    del table2[lost_key]
    stale_key = (2, 12345, fs.match(fs.oxm_eth_type(0x0800) + fs.oxm_ipv4_dst("10.9.9.9")))
    table2[stale_key] = (COOKIE_TAG | 3 << 44 | 0xABCDE << 20 | 7, 0, 0, 0,
                         fs.inst_actions(fs.action_output(1)))
    newc.set_flows(table2)
    newc.here = dict(s2.here)
    newc.connect()
    newc.send(fs.hello())
    newc.wait_hello(tm.REPLY_TIMEOUT)
    check(wait_until(lambda: newc.features_xid is not None, 3), "no FEATURES_REQUEST")
    # Until the old one is judged dead, the newcomer is not ready.
    e = wait_until(lambda: [x for x in switch_entries(2) if x["address"] == newc.local], 2)
    check(e and e[0]["state"] == "conflict_wait", "newcomer listed %r" % e)
    check(newc.port_desc_answered.wait(ECHO_INTERVAL + 3), "newcomer's handshake stalled: %s"
          % newc.describe())
    check(s2.wait_closed(3), "the silent site2 connection was not closed")
    check(wait_until(lambda: reconciled(newc), 10), "newcomer not reconciled: %s"
          % newc.describe())
    # Its flows were read back by cookie before anything was written.
    idx, cookie, mask = newc.flow_requests[0]
    check(cookie == COOKIE_TAG and mask == COOKIE_TAG_MASK,
          "flow stats request cookie %#x mask %#x" % (cookie, mask))
    early = [m for m in newc.msgs[:idx] if m.type == fs.FLOW_MOD]
    check(not early, "%d FLOW_MODs before the flow stats request" % len(early))
    line = "dpid %016x taken over by %s" % (2, newc.local)
    check(wait_log(line), "no log line %r" % line)
    rline = "switch %016x (site2): %d flows kept, 1 removed, 1 added" % (2, len(table) - 1)
    check(wait_log(rline), "no log line %r; reconcile said: %r" % (
        rline, [x for x in D.log().splitlines() if "0000000000000002 (site2)" in x][-2:]))
    check(wait_until(lambda: newc.flow_table() == table, 5),
          "newcomer's flows differ from the old connection's after reconciliation")
    e = switch_entries(2)
    check(len(e) == 1 and e[0]["state"] == "ready" and e[0]["address"] == newc.local,
          "dpid 2 listed %r" % e)
    st1 = stats()
    for r in ("dpid_conflict", "echo_timeout"):
        check(rejected(st1, r) == rejected(st0, r) + 1, "%s %d -> %d" % (
            r, rejected(st0, r), rejected(st1, r)))
    lost, _, problems = compare_bindings(before, bindings())
    check(not problems, "\n".join(problems))
    ctx.sites["site2"] = newc
    return ("site2 silent, a newer connection claims dpid 2: the old one closed after one "
            "unanswered echo, logged, dpid_conflict +1 and echo_timeout +1; the newer one "
            "listed conflict_wait until then, then its flows read back by cookie (%d: %d kept, "
            "the stale one removed, the lost one added) before it got any FLOW_MOD; bindings "
            "lost: %d" % (len(table2), len(table) - 1, len(lost)))


# ---- 2: a switch that never reads ---------------------------------------------------

def stuck_site_switch(run, ctx):
    """site1, the home of every node, stops reading while 400 nodes move
    from site2 to site3 (paced, 20 every 50 ms, as guests arrive). It keeps
    writing what a site switch sends: an echo request of its own every
    0.1 s (as Open vSwitch's inactivity probe would, so the echo keep-alive
    does not apply), and the ARP requests of the legacy router for the
    moved nodes' HoAs, which matflowd answers with Packet-Outs. matflowd
    keeps sending it rules (every move's phases) and answers it never
    reads. Each move waits for site1's barriers (at most a bounded number
    of moves send rules at once, so rules alone stay small); the answers
    fill the queue."""
    s1, s2, s3 = ctx.sites["site1"], ctx.sites["site2"], ctx.sites["site3"]
    movers = [nd for nd in NODES if ctx.b_after1[nd.hoa_s]["site"] == "site2"][:400]
    asked = [nd for nd in NODES if ctx.b_after1[nd.hoa_s]["site"] != "site1"]
    before = bindings()
    st0 = stats()
    rss0 = D.status_kb("VmRSS")
    for nd in movers:
        s3.here[nd.hoa] = nd
    gw_mac = bytes.fromhex("024757000001")
    arp_reqs = b"".join(pin(arp_frame(1, gw_mac, ip("10.1.0.1"), b"\0" * 6, nd.hoa), UPLINK)
                        for nd in asked)
    s1.pause_reading()
    t0 = time.monotonic()
    stop = threading.Event()
    sent = {"waves": 0, "arp": 0}

    def writer():
        k = 0
        while not stop.is_set():
            try:
                wave = movers[20 * k:20 * k + 20]
                if wave:
                    s3.send(b"".join(pin(rarp_frame(nd.mac), nd.port) for nd in wave))
                    sent["waves"] += 1
                s1.send(arp_reqs)
                sent["arp"] += len(asked)
                if k % 2 == 0:
                    s1.send(fs.echo_request(b"still here"))
            except OSError:
                return
            k += 1
            stop.wait(0.05)
    th = threading.Thread(target=writer, daemon=True)
    th.start()

    def closed():
        return (not switch_entries(1) and "(%s): output queue over %d bytes, closing"
                % (s1.local, MAX_QUEUE) in D.log())
    ok = wait_until(closed, 15, 0.1)
    took = time.monotonic() - t0
    rss1 = D.status_kb("VmRSS")
    # The remaining announcements go out; then the writer stops.
    wait_until(lambda: sent["waves"] * 20 >= len(movers) or not th.is_alive(), 5)
    stop.set()
    th.join()
    if not ok:
        s1.resume_reading()
        raise Fail("site1, not reading, not closed for its queue after %.1fs (listed: %r)"
                   % (took, [(e["state"], e["msgs_out"]) for e in switch_entries(1)]))
    st1 = stats()
    check(rejected(st1, "queue_full") == rejected(st0, "queue_full") + 1,
          "queue_full %d -> %d" % (rejected(st0, "queue_full"), rejected(st1, "queue_full")))
    for r in ("barrier_timeout", "echo_timeout"):
        check(rejected(st1, r) == rejected(st0, r), "%s %d -> %d: a switch was closed for "
              "that" % (r, rejected(st0, r), rejected(st1, r)))
    # The moves waited for site1; without it they complete. The others
    # carry on, nothing is lost.
    want = {nd.hoa_s for nd in movers}

    def moved():
        bs = bindings()
        return all(bs[h]["site"] == "site3" and not bs[h]["update"] for h in want) and bs
    bs = wait_until(moved, 15, 0.2)
    check(bs, "not every mover at site3 after site1 was closed: %r" % [
        b for h, b in bindings().items() if h in want and (b["site"] != "site3" or b["update"])
    ][:2])
    lost, changed, problems = compare_bindings(before, bs, moved=want)
    check(not problems, "\n".join(problems))
    for name, sw in (("site2", s2), ("site3", s3)):
        check(not sw.eof, "%s dropped" % name)
        pong = ctl("ping", "%016x" % sw.dpid)
        check(pong.get("result") == "barrier reply", "ping %s: %r" % (name, pong))
    s1.resume_reading()
    check(s1.wait_closed(5), "site1 sees no close")
    return ("site1 stops reading while %d nodes move and its router asks for HoAs (%d ARP "
            "requests): closed after %.1fs (queue_full +1, logged 'output queue over %d bytes'; "
            "no echo or barrier timeout); then every move completes; bindings lost %d, %d "
            "unchanged + %d moved; site2 and site3 answer pings; daemon RSS %+.1f MiB" % (
                len(movers), sent["arp"], took, MAX_QUEUE, len(lost),
                len(before) - len(changed) - len(want), len(want), (rss1 - rss0) / 1024.0))


def stuck_site_returns(run, ctx):
    """site1 connects again with the flows it had applied: reconciled."""
    old = ctx.sites["site1"]
    s1 = SiteSwitch(ADDR, 1, "site1")
    s1.set_flows(old.flow_table())
    run.switches.append(s1)
    s1.connect()
    s1.handshake(5.0)
    check(wait_until(lambda: reconciled(s1), 10), "site1 not reconciled: %s" % s1.describe())
    ctx.sites["site1"] = s1
    lines = [x for x in D.log().splitlines() if "switch 0000000000000001 (site1):" in x]
    pong = ctl("ping", "%016x" % 1)
    check(pong.get("result") == "barrier reply", "ping site1: %r" % pong)
    return "site1 connects again and is brought up to date: %s" % lines[-1].split(": ", 2)[-1]


def echo_flood_rss(run, ctx):
    """A non-reader that writes: 64 KiB echo requests, which the daemon
    answers into its output queue."""
    st0 = stats()
    fl = run.plain_switch(0xE1, "flooder")
    fl.connect(rcvbuf=8192, mss=1460)
    fl.handshake(tm.REPLY_TIMEOUT)
    fl.pause_reading()
    time.sleep(0)  # let the reader reach its wait
    peak_reset = D.reset_peak()
    rss0 = D.status_kb("VmRSS")
    samples = [rss0]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            try:
                samples.append(D.status_kb("VmRSS"))
            except OSError:
                return
            stop.wait(0.01)
    th = threading.Thread(target=sample, daemon=True)
    th.start()
    big = fs.echo_request(b"\xee" * (65535 - 8), xid=0x5EED)
    total = 128 << 20  # what a daemon without the bound would have to hold
    sent = 0
    fl.sock.settimeout(10)
    try:
        while sent < total:
            fl.sock.sendall(big)
            sent += len(big)
    except OSError:
        pass  # closed by the daemon
    closed = wait_until(lambda: not switch_entries(0xE1), 5)
    stop.set()
    th.join()
    peak = D.status_kb("VmHWM") if peak_reset else max(samples)
    grew_mb = (max(peak, max(samples)) - rss0) / 1024.0
    st1 = stats()
    problems = []  # all of them: a run without the bound shows each
    if not closed:
        problems.append("the flooder is still connected after %.1f MiB of echo requests"
                        % (sent / 1048576.0))
    if rejected(st1, "queue_full") != rejected(st0, "queue_full") + 1:
        problems.append("queue_full %d -> %d" % (rejected(st0, "queue_full"),
                                                 rejected(st1, "queue_full")))
    if not wait_log("(%s): output queue over %d bytes, closing" % (fl.local, MAX_QUEUE), 1):
        problems.append("no log line for the flooder")
    # Slack for what the daemon allocates anyway (the messages it reads;
    # under ASan its quarantine keeps them): well below what it was sent.
    limit_mb = MAX_QUEUE / 1048576.0 + 24
    if grew_mb >= limit_mb:
        problems.append("peak RSS grew by %.1f MiB (bound %.1f MiB, limit %.1f MiB) while the "
                        "flooder sent %.1f MiB" % (grew_mb, MAX_QUEUE / 1048576.0, limit_mb,
                                                   sent / 1048576.0))
    fl.close()
    check(not problems, "\n".join(problems))
    for name in ("site1", "site2", "site3"):
        pong = ctl("ping", "%016x" % ctx.sites[name].dpid)
        check(pong.get("result") == "barrier reply", "ping %s: %r" % (name, pong))
    return ("a non-reader sending 64 KiB echo requests: closed after %.1f MiB sent (queue_full "
            "+1, logged); the daemon's peak RSS grew %.1f MiB (bound %.1f MiB%s); the sites "
            "answer pings" % (sent / 1048576.0, grew_mb, MAX_QUEUE / 1048576.0,
                              "" if peak_reset else ", sampled"))


# ---- ports: a PORT_STATUS flood of distinct port numbers ---------------------------

def port_flood(run, ctx):
    st0 = stats()
    sw = run.plain_switch(0xC1, "portflood")
    sw.handshake(tm.REPLY_TIMEOUT)
    n = MAX_PORTS + 4000
    chunk = []
    for p in range(100, 100 + n):
        chunk.append(fs.port_status(0, fs.port(p, "f%d" % p, "02:00:00:c1:%02x:%02x"
                                               % ((p >> 8) & 0xFF, p & 0xFF))))
        if len(chunk) == 2000:
            sw.send(b"".join(chunk))
            chunk = []
    sw.send(b"".join(chunk))
    sw.echo(20.0)
    check(not sw.eof and not sw.errors(), "port flood: %s" % sw.describe())
    e = switch_entries(0xC1)
    check(len(e) == 1 and e[0]["n_ports"] == MAX_PORTS,
          "n_ports %r after %d distinct ports" % (e[0]["n_ports"] if e else None, n + 3))
    st1 = stats()
    d = rejected(st1, "port_table_full") - rejected(st0, "port_table_full")
    check(d == n + 3 - MAX_PORTS, "port_table_full +%d, expected +%d" % (d, n + 3 - MAX_PORTS))
    check(wait_log("switch %016x: port table full" % 0xC1), "no log line for the full table")
    lines = D.log().count("switch %016x port " % 0xC1)
    check(lines < 100, "%d log lines for %d port status messages" % (lines, n))
    # A port already known is still updated, and one deleted makes room.
    sw.send(fs.port_status(1, fs.port(100, "f100", "02:00:00:c1:00:64")))
    sw.send(fs.port_status(0, fs.port(999999, "new", "02:00:00:c1:ff:ff")))
    sw.echo()
    e = switch_entries(0xC1)[0]
    nos = {p["port_no"] for p in e["ports"]}
    check(e["n_ports"] == MAX_PORTS and 100 not in nos and 999999 in nos,
          "after a delete and an add: n_ports %d, 100 %s, 999999 %s"
          % (e["n_ports"], 100 in nos, 999999 in nos))
    sw.close()
    return ("PORT_STATUS flood of %d distinct ports: table capped at %d, port_table_full +%d, "
            "%d log lines, connection kept; a delete makes room" % (n, MAX_PORTS, d, lines))


# ---- main ------------------------------------------------------------------------

class Ctx:
    pass


def on_term(signum, frame):
    raise SystemExit("signal %d" % signum)  # runs the finally: below, which stops the daemon


def main():
    global D, ADDR
    signal.signal(signal.SIGTERM, on_term)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4096:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(4096, hard), hard))
    run = Run(int(os.environ.get("TAP_FIRST", "1")))
    tmp = tempfile.mkdtemp(prefix="matflow-hostile.")
    D = Daemon(tmp)
    ctx = Ctx()
    t0 = time.monotonic()
    try:
        if not run.step("matflowd starts with 3 sites", lambda: D.start() or
                        "matflowd (%s) starts with 3 sites, max_queue_bytes %d"
                        % (os.path.relpath(MATFLOWD, ROOT), MAX_QUEUE)):
            return 1
        ADDR = ("127.0.0.1", D.port)
        if not run.step("learn", lambda: setup(run, ctx)):
            return 1
        if not run.step("move", lambda: setup_move(run, ctx)):
            return 1
        section1(run, ctx)
        run.step("dpid impostor refused", lambda: impostor_refused(run, ctx))
        run.step("dpid holder replaced", lambda: holder_replaced(run, ctx))
        if run.step("switch that never reads", lambda: stuck_site_switch(run, ctx)):
            run.step("it connects again", lambda: stuck_site_returns(run, ctx))
        run.step("echo flood, RSS", lambda: echo_flood_rss(run, ctx))
        run.step("port flood", lambda: port_flood(run, ctx))

        def final():
            check(D.alive(), "matflowd is not running")
            bs = bindings()
            check(len(bs) == N_NODES, "%d bindings at the end" % len(bs))
            odd = ["%s: %s" % (sw.name, x) for sw in run.switches
                   for x in sw.violations + getattr(sw, "unsupported", [])]
            check(not odd, "what the daemon sent: %s" % odd[:5])
            return ("matflowd alive at the end with %d bindings; every message it sent the "
                    "fake switches well framed, in their version, every FLOW_MOD one they "
                    "model" % len(bs))
        run.step("alive", final)
    finally:
        for sw in run.switches:
            sw.close()
        st = D.stop() if D.proc else None
        if D.proc is not None:
            run.tap(st == 0, "matflowd exits 0 on SIGTERM (exit %r)" % st,
                    [] if st == 0 else [D.log()[-1500:]])
            san = [x for x in D.log().splitlines()
                   if "Sanitizer" in x or "runtime error:" in x][:10]
            run.tap(not san, "no sanitizer report in the daemon's output", san)
        print("# hostile: %d failed, %.1fs" % (run.failed, time.monotonic() - t0))
        if run.failed or os.environ.get("KEEP_TMP") == "1":
            print("# hostile: daemon log and database kept in %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
