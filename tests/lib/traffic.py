#!/usr/bin/python3
"""traffic.py - test traffic for the matflow testbed (standard library only).

Run with /usr/bin/python3, each end inside its namespace (ip netns exec NS ...).
Every long-running mode runs until SIGTERM or SIGINT, keeps a status file up
to date (one JSON object, rewritten atomically every 0.2 s) and, when it ends,
writes the final status there and prints it on stdout as the last line.
Exit status 0 if nothing went wrong, 1 otherwise.

TCP stream (one connection, both directions at once):
  tcp-server --listen IP:PORT --status FILE [--rate BYTES/S] [--chunk N]
  tcp-client --connect IP:PORT --status FILE [--rate BYTES/S] [--chunk N]
             [--connect-timeout S]
  Each side sends a deterministic byte pattern of its own (byte i of the
  client's stream differs from byte i of the server's) at --rate bytes/s and
  checks every byte it receives against the peer's pattern. Any mismatch, a
  reset or any other socket error ends the run with "ok": false and the
  reason in "error". On SIGTERM a side stops sending (FIN) and reads the
  rest until the peer's FIN (3 s at most); a server that sees the client's FIN
  does the same. A client that sees EOF before its own SIGTERM has failed.
  Status keys: role, state (connecting|running|draining|done|failed), ok,
  error, sent, received (= verified bytes), max_stall_ms (longest time
  without receiving anything once data flowed), stalls ([[t, ms], ...] for
  every pause over 100 ms), t (time of the status), connected_at, last_rx.

UDP probes (every --interval-ms each way):
  udp --bind IP:PORT --peer IP:PORT --out FILE --status FILE [--interval-ms 1]
      [--size 64]
  Sends sequence-numbered probes (payload: b"MFUP", seq, send time) to the
  peer and records every probe it receives in FILE as 20-byte records
  (seq u32, send time f64, arrival time f64; big-endian; arrival from the
  kernel's SO_TIMESTAMPNS), appended every 0.1 s. Status keys: sent,
  received, send_errors, bad.
  udp-report --arrivals FILE --move-start T --move-end T --rarp T
             [--before S] [--after S]
  One direction's view of one move (times in UNIX seconds, as rarp.py prints):
  the first probe sent after the port move that arrived ("new path"),
  disruption_ms = its arrival - the first RARP (negative: the new path worked
  before any update), max_gap_ms = the longest time between two successive
  arrivals, of those pairs that overlap [move-start - before, first new-path
  arrival + after] (so the gap across the move counts), lost = probes
  missing between the last arrival before the move and the first after it.

  udp-window --arrivals FILE --start T --end T
  The longest time between two successive arrivals of those pairs that
  overlap [start, end], and the probes sent in that window that never came.

  status FILE [KEY]   print a status file (or one key of it)
"""
import argparse
import errno
import json
import os
import select
import signal
import socket
import struct
import sys
import time

STATUS_EVERY = 0.2
STALL_NOTE_MS = 100
PERIOD = 65521          # pattern period: a prime, so offsets do not alias


# ---------------------------------------------------------------- common
class Stop:
    requested = False


def on_signal(signum, frame):
    Stop.requested = True


def install_signals():
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)


def write_status(path, doc):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f)
    os.replace(tmp, path)


def addr(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


# ---------------------------------------------------------------- TCP
def pattern(seed):
    # byte i = (i * 7 + seed + i // 256) mod 256, period PERIOD; doubled so that
    # any slice of up to PERIOD bytes is one slice.
    p = bytes(((i * 7 + seed + i // 256) & 0xFF) for i in range(PERIOD))
    return p + p


class TcpSide:
    def __init__(self, role, sock, status_path, rate, chunk):
        self.role = role
        self.sock = sock
        self.status_path = status_path
        self.rate = rate
        self.chunk = chunk
        my_seed, peer_seed = (11, 101) if role == "client" else (101, 11)
        self.tx_pat = pattern(my_seed)
        self.rx_pat = pattern(peer_seed)
        self.sent = 0
        self.received = 0
        self.error = None
        self.state = "running"
        self.max_stall = 0.0
        self.stalls = []
        self.last_rx = None
        self.connected_at = time.time()
        self.tx_buf = b""
        self.tokens = 0.0
        self.t_tokens = time.monotonic()
        self.write_closed = False
        self.peer_eof = False

    def status(self):
        return {
            "role": self.role, "state": self.state, "ok": self.error is None,
            "error": self.error, "sent": self.sent, "received": self.received,
            "max_stall_ms": round(self.max_stall * 1000, 1), "stalls": self.stalls[-100:],
            "connected_at": self.connected_at, "last_rx": self.last_rx, "t": time.time(),
        }

    def on_rx(self, data):
        now = time.time()
        if self.last_rx is not None:
            gap = now - self.last_rx
            if gap > self.max_stall:
                self.max_stall = gap
            if gap * 1000 > STALL_NOTE_MS:
                self.stalls.append([round(self.last_rx, 3), round(gap * 1000, 1)])
        self.last_rx = now
        off = self.received % PERIOD
        n = len(data)
        pos = 0
        while pos < n:
            k = min(n - pos, PERIOD)
            want = self.rx_pat[off:off + k]
            got = data[pos:pos + k]
            if got != want:
                i = next(j for j in range(k) if got[j] != want[j])
                self.error = "corrupt byte at stream offset %d: got 0x%02x, want 0x%02x" % (
                    self.received + pos + i, got[i], want[i])
                return
            pos += k
            off = (off + k) % PERIOD
        self.received += n

    def refill(self):
        now = time.monotonic()
        self.tokens = min(self.tokens + (now - self.t_tokens) * self.rate, 4 * self.chunk)
        self.t_tokens = now

    def next_tx(self):
        if self.tx_buf or self.write_closed:
            return
        self.refill()
        if self.tokens >= self.chunk:
            off = self.sent % PERIOD
            self.tx_buf = self.tx_pat[off:off + self.chunk]
            self.tokens -= self.chunk

    def close_write(self):
        if not self.write_closed:
            self.write_closed = True
            self.tx_buf = b""
            try:
                self.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def run(self):
        self.sock.setblocking(False)
        next_status = 0.0
        drain_until = None
        while self.error is None:
            now = time.monotonic()
            if Stop.requested and drain_until is None:
                self.state = "draining"
                self.close_write()
                drain_until = now + 3.0
            if drain_until is not None and now > drain_until:
                self.error = "peer did not finish within 3 s of stop"
                break
            if now >= next_status:
                write_status(self.status_path, self.status())
                next_status = now + STATUS_EVERY
            self.next_tx()
            wl = [self.sock] if self.tx_buf else []
            timeout = 0.005 if not self.tx_buf and not self.write_closed else 0.05
            try:
                r, w, _ = select.select([self.sock], wl, [], timeout)
            except InterruptedError:
                continue
            if r:
                try:
                    data = self.sock.recv(32768)
                except (BlockingIOError, InterruptedError):
                    data = None
                except OSError as e:
                    self.error = "recv: %s" % (errno.errorcode.get(e.errno, e.errno),)
                    break
                if data == b"":
                    self.peer_eof = True
                    if self.role == "client" and not Stop.requested:
                        self.error = "connection closed by the server before stop"
                        break
                    self.close_write()
                    break
                if data:
                    self.on_rx(data)
            if w and self.tx_buf:
                try:
                    k = self.sock.send(self.tx_buf)
                    self.sent += k
                    self.tx_buf = self.tx_buf[k:]
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError as e:
                    self.error = "send: %s" % (errno.errorcode.get(e.errno, e.errno),)
                    break
        self.state = "done" if self.error is None else "failed"
        doc = self.status()
        write_status(self.status_path, doc)
        print(json.dumps(doc), flush=True)
        try:
            self.sock.close()
        except OSError:
            pass
        return 0 if self.error is None else 1


def tcp_fail(role, status_path, why):
    doc = {"role": role, "state": "failed", "ok": False, "error": why, "sent": 0,
           "received": 0, "max_stall_ms": 0, "stalls": [], "t": time.time()}
    write_status(status_path, doc)
    print(json.dumps(doc), flush=True)
    return 1


def cmd_tcp_server(a):
    install_signals()
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(addr(a.listen))
    ls.listen(1)
    write_status(a.status, {"role": "server", "state": "listening", "ok": True, "error": None,
                            "sent": 0, "received": 0, "t": time.time()})
    while not Stop.requested:
        r, _, _ = select.select([ls], [], [], 0.1) if not Stop.requested else ([], [], [])
        if r:
            conn, _ = ls.accept()
            ls.close()
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return TcpSide("server", conn, a.status, a.rate, a.chunk).run()
    return tcp_fail("server", a.status, "stopped before any connection")


def cmd_tcp_client(a):
    install_signals()
    end = time.monotonic() + a.connect_timeout
    last = None
    write_status(a.status, {"role": "client", "state": "connecting", "ok": True, "error": None,
                            "sent": 0, "received": 0, "t": time.time()})
    while not Stop.requested and time.monotonic() < end:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(max(0.1, min(2.0, end - time.monotonic())))
        try:
            s.connect(addr(a.connect))
        except OSError as e:
            last = str(e)
            s.close()
            time.sleep(0.1)
            continue
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return TcpSide("client", s, a.status, a.rate, a.chunk).run()
    return tcp_fail("client", a.status, "connect %s: %s" % (a.connect, last or "stopped"))


# ---------------------------------------------------------------- UDP
PROBE = struct.Struct("!4sId")
REC = struct.Struct("!Idd")
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


def cmd_udp(a):
    install_signals()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    s.bind(addr(a.bind))
    s.setblocking(False)
    peer = addr(a.peer)
    pad = b"\0" * max(0, a.size - PROBE.size)
    interval = a.interval_ms / 1000.0
    out = open(a.out, "ab")
    recs = []
    sent = received = errors = bad = 0
    last_error = None
    seq = 0
    start = time.monotonic()
    next_send = start
    next_flush = start + 0.1
    next_status = start
    cmsg_space = socket.CMSG_SPACE(16)

    def status(state):
        return {"state": state, "ok": True, "sent": sent, "received": received,
                "send_errors": errors, "last_send_error": last_error, "bad": bad,
                "t": time.time()}

    while not Stop.requested:
        now = time.monotonic()
        if now >= next_send:
            try:
                s.sendto(PROBE.pack(b"MFUP", seq, time.time()) + pad, peer)
                sent += 1
            except OSError as e:
                errors += 1
                last_error = errno.errorcode.get(e.errno, str(e.errno))
            seq += 1
            next_send += interval
            if next_send < now - 0.05:          # starved: do not burst to catch up
                next_send = now + interval
        if now >= next_flush:
            if recs:
                out.write(b"".join(recs))
                out.flush()
                recs = []
            next_flush = now + 0.1
        if now >= next_status:
            write_status(a.status, status("running"))
            next_status = now + STATUS_EVERY
        timeout = max(0.0, next_send - time.monotonic())
        try:
            r, _, _ = select.select([s], [], [], timeout)
        except InterruptedError:
            continue
        while r:
            try:
                data, anc, _, _ = s.recvmsg(2048, cmsg_space)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as e:         # ICMP errors surface here; count, go on
                errors += 1
                last_error = errno.errorcode.get(e.errno, str(e.errno))
                break
            t_rx = None
            for level, kind, val in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(val) >= 16:
                    sec, nsec = struct.unpack("qq", val[:16])
                    t_rx = sec + nsec / 1e9
            if t_rx is None:
                t_rx = time.time()
            if len(data) < PROBE.size or data[:4] != b"MFUP":
                bad += 1
                continue
            _, pseq, t_tx = PROBE.unpack_from(data)
            recs.append(REC.pack(pseq, t_tx, t_rx))
            received += 1
    if recs:
        out.write(b"".join(recs))
    out.close()
    doc = status("done")
    write_status(a.status, doc)
    print(json.dumps(doc), flush=True)
    return 0


def read_arrivals(path):
    with open(path, "rb") as f:
        data = f.read()
    n = len(data) // REC.size
    return [REC.unpack_from(data, i * REC.size) for i in range(n)]


def cmd_udp_report(a):
    recs = read_arrivals(a.arrivals)
    recs.sort(key=lambda r: r[2])
    doc = {"arrivals": len(recs), "move_start": a.move_start, "move_end": a.move_end,
           "rarp": a.rarp}
    before = [r for r in recs if r[2] < a.move_start]
    new = [r for r in recs if r[1] >= a.move_end]
    if not new:
        doc.update(first_new=None, disruption_ms=None, max_gap_ms=None, lost=None,
                   why="no probe sent after the move has arrived")
        print(json.dumps(doc))
        return 1
    first = min(new, key=lambda r: r[2])
    lo = a.move_start - a.before
    hi = first[2] + a.after
    times = [r[2] for r in recs]
    gap, gap_at = 0.0, None
    for x, y in zip(times, times[1:]):   # every pair that overlaps [lo, hi]
        if y >= lo and x <= hi and y - x > gap:
            gap, gap_at = y - x, x
    seen = {r[0] for r in recs}
    last_seq = before[-1][0] if before else None
    lost = None
    if last_seq is not None:
        lost = sum(1 for q in range(last_seq + 1, first[0]) if q not in seen)
    doc.update(first_new={"seq": first[0], "sent": first[1], "arrived": first[2]},
               disruption_ms=round((first[2] - a.rarp) * 1000, 1),
               after_move_ms=round((first[2] - a.move_end) * 1000, 1),
               max_gap_ms=round(gap * 1000, 1),
               max_gap_at=gap_at, last_before_move=last_seq, lost=lost)
    print(json.dumps(doc))
    return 0


def cmd_udp_window(a):
    recs = read_arrivals(a.arrivals)
    recs.sort(key=lambda r: r[2])
    times = [r[2] for r in recs]
    gap, gap_at = 0.0, None
    for x, y in zip(times, times[1:]):
        if y >= a.start and x <= a.end and y - x > gap:
            gap, gap_at = y - x, x
    sent_in = sorted(r[0] for r in recs if a.start <= r[1] <= a.end)
    lost = (sent_in[-1] - sent_in[0] + 1 - len(set(sent_in))) if sent_in else None
    doc = {"start": a.start, "end": a.end, "arrivals": sum(1 for t in times if a.start <= t <= a.end),
           "max_gap_ms": round(gap * 1000, 1), "max_gap_at": gap_at, "lost": lost}
    print(json.dumps(doc))
    return 0


def cmd_status(a):
    with open(a.file) as f:
        doc = json.load(f)
    if a.key:
        v = doc.get(a.key)
        print(json.dumps(v) if isinstance(v, (dict, list)) or v is None else v)
    else:
        print(json.dumps(doc))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("tcp-server")
    p.add_argument("--listen", required=True)
    p.add_argument("--status", required=True)
    p.add_argument("--rate", type=float, default=200000)
    p.add_argument("--chunk", type=int, default=1024)
    p.set_defaults(fn=cmd_tcp_server)
    p = sub.add_parser("tcp-client")
    p.add_argument("--connect", required=True)
    p.add_argument("--status", required=True)
    p.add_argument("--rate", type=float, default=200000)
    p.add_argument("--chunk", type=int, default=1024)
    p.add_argument("--connect-timeout", type=float, default=10)
    p.set_defaults(fn=cmd_tcp_client)
    p = sub.add_parser("udp")
    p.add_argument("--bind", required=True)
    p.add_argument("--peer", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--status", required=True)
    p.add_argument("--interval-ms", type=float, default=1.0)
    p.add_argument("--size", type=int, default=64)
    p.set_defaults(fn=cmd_udp)
    p = sub.add_parser("udp-report")
    p.add_argument("--arrivals", required=True)
    p.add_argument("--move-start", type=float, required=True)
    p.add_argument("--move-end", type=float, required=True)
    p.add_argument("--rarp", type=float, required=True)
    p.add_argument("--before", type=float, default=1.0)
    p.add_argument("--after", type=float, default=1.0)
    p.set_defaults(fn=cmd_udp_report)
    p = sub.add_parser("udp-window")
    p.add_argument("--arrivals", required=True)
    p.add_argument("--start", type=float, required=True)
    p.add_argument("--end", type=float, required=True)
    p.set_defaults(fn=cmd_udp_window)
    p = sub.add_parser("status")
    p.add_argument("file")
    p.add_argument("key", nargs="?")
    p.set_defaults(fn=cmd_status)
    a = ap.parse_args()
    if getattr(a, "chunk", 1) > PERIOD:
        ap.error("--chunk must be at most %d" % PERIOD)
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
