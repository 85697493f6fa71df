#!/usr/bin/python3
"""crash.py - helpers for tests that kill matflowd in the middle of binding
updates and check what the restarted daemon kept (tests/integration/
test_crash_restart.sh). Standard library only; run with /usr/bin/python3.

Flows (ovs-ofctl -O OpenFlow13 dump-flows, read back as JSON):
  snapshot OUT NAME=SOCK...
      dump every bridge (SOCK: its management socket, unix:...), noting the
      wall time before and after each dump, into OUT.
  tagcheck SNAP BINDINGS [--quiet]
      every flow with matflow's cookie tag (0x4d46) belongs to the base
      rules (role 1, binding 0, epoch 0) or to a binding of BINDINGS
      (matflowctl --json bindings) at its committed epoch: roles 2 and 3
      only for a node away, role 4 only for a node at home and only in its
      home switch; no two flows of a bridge share table, priority and match
      (or cookie, table, priority and match). --quiet also wants every
      binding settled (no update open, state home or away).
  kept BEFORE AFTER BINDINGS [--exclude ID,...] [--only ID,...] [--roles R,...]
       [--allow-empty]
      every flow of BEFORE with a base cookie or the cookie of a binding of
      BINDINGS at its committed epoch (bindings of --exclude left out; with
      --only, only those bindings and no base rule; only the cookie roles
      of --roles, default all) is in AFTER, with the same
      cookie, table, priority, match and actions, not re-added: duration
      and n_packets not lower, and the creation time the two dumps imply
      (dump time - duration) the same. Flows whose hard_timeout ran out
      between the dumps are left out. Exit 1 if nothing was compared,
      unless --allow-empty.

Bindings (matflowctl --json bindings):
  same-bindings BEFORE AFTER [--exclude ID,...]
      every binding of BEFORE is in AFTER with the same id, HoA, MAC, home,
      site, port, MoA, epoch, since and state.
  wait-binding CTL API MAC SITE MIN_EPOCH TIMEOUT
      wait until MAC's binding is at SITE, settled (home or away, no update
      open), with epoch >= MIN_EPOCH; prints the binding as JSON.
  field FILE MAC KEY        one field of MAC's binding in a bindings file.

Updates (matflowctl --json events):
  kill-inside CTL API PID PHASE TIMEOUT OUT HOA:EPOCH...
      poll the timelines of the updates HOA -> epoch EPOCH until each of
      them is inside PHASE (receiving | sending | any): at least one
      barrier reply of that phase in, not all of the N_SWITCHES (3), the
      update neither complete, failed nor superseded; then SIGKILL PID at
      once. OUT gets the last events document, the updates and the time
      of the kill. Exit 0 after the kill, 1 on timeout, 2 if an update got
      past the point (complete, failed, superseded) first; no kill then.
  timeline KILLJSON
      from OUT of kill-inside: each update's steps, and exit 0 only if
      every one had some barrier replies of its phase in, not all, and
      was not complete.

Daemon log:
  reconcile LOG [--zero]
      the reconciliation lines ("switch D (site): K flows kept, R removed,
      A added") of LOG; exit 0 once every switch (dpids 1-3) has had a
      full pass (not "base rules only"); with --zero, also only if every
      reconciliation line has 0 removed and 0 added. Prints the lines.
"""
import json
import os
import re
import signal
import subprocess
import sys
import time

TAG = 0x4d46
N_SWITCHES = 3


# ---------------------------------------------------------------- flows
def split_top(s):
    """split at commas outside parentheses and brackets"""
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


META_NUM = {"duration", "table", "n_packets", "n_bytes", "priority", "idle_timeout",
            "hard_timeout", "idle_age", "hard_age", "importance"}
FLAGS = {"send_flow_rem", "check_overlap", "reset_counts", "no_packet_counts",
         "no_byte_counts"}


def parse_flow(line):
    line = line.strip()
    if " actions=" not in line and not line.startswith("actions="):
        return None
    left, _, actions = line.partition("actions=")
    f = {"cookie": 0, "table": 0, "priority": 32768, "duration": 0.0, "n_packets": 0,
         "n_bytes": 0, "hard_timeout": 0, "idle_timeout": 0, "match": [], "flags": [],
         "actions": actions.strip(), "raw": line}
    for tok in split_top(left.replace(", ", ",")):
        k, eq, v = tok.partition("=")
        if k == "cookie":
            f["cookie"] = int(v, 16)
        elif k in META_NUM and eq:
            f[k] = float(v.rstrip("s")) if k == "duration" else int(v)
        elif k in FLAGS and not eq:
            f["flags"].append(k)
        else:
            f["match"].append(tok)
    f["match"].sort()
    return f


def key(f):
    """a flow's identity in a bridge: table, priority, match"""
    return "table=%d,priority=%d,%s" % (f["table"], f["priority"], ",".join(f["match"]))


def cookie_parts(c):
    return c >> 48, (c >> 44) & 0xF, (c >> 20) & 0xFFFFFF, c & 0xFFFFF


def cmd_snapshot(a):
    out, bridges = a[0], a[1:]
    doc = {"bridges": {}}
    for spec in bridges:
        name, _, sock = spec.partition("=")
        t0 = time.time()
        r = subprocess.run(["ovs-ofctl", "-O", "OpenFlow13", "dump-flows", sock],
                           capture_output=True, text=True, timeout=20)
        t1 = time.time()
        if r.returncode != 0:
            print("dump-flows %s: %s" % (name, r.stderr.strip()))
            return 1
        flows = [f for f in (parse_flow(l) for l in r.stdout.splitlines()) if f]
        doc["bridges"][name] = {"t0": t0, "t1": t1, "flows": flows}
    tmp = out + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(doc, fh)
    os.replace(tmp, out)
    return 0


def load(path):
    with open(path) as fh:
        return json.load(fh)


def site_no(name):
    return int(name.replace("site", ""))


def bridge_site(name):
    """s1 / <prefix>s1 -> 1"""
    m = re.search(r"(\d+)$", name)
    return int(m.group(1)) if m else 0


def committed(bindings):
    """binding id -> binding"""
    return {b["id"]: b for b in bindings.get("bindings", [])}


def cmd_tagcheck(a):
    snap, bdoc = load(a[0]), load(a[1])
    quiet = "--quiet" in a[2:]
    by_id = committed(bdoc)
    why = []
    if quiet:
        for b in by_id.values():
            if b.get("update") or b.get("state") not in ("home", "away"):
                why.append("binding %s (%s) not settled: state %s, update %s" % (
                    b["id"], b["hoa"], b.get("state"), b.get("update")))
    counts = []
    for name, br in sorted(snap["bridges"].items()):
        seen_key, seen_ck, n_base, n_bind = {}, {}, 0, 0
        for f in br["flows"]:
            tag, role, bid, epoch = cookie_parts(f["cookie"])
            if tag != TAG:
                continue
            k = key(f)
            if k in seen_key:
                why.append("%s: two flows %s (cookies %#x, %#x)" % (name, k, seen_key[k], f["cookie"]))
            seen_key[k] = f["cookie"]
            ck = "%#x %s" % (f["cookie"], k)
            if ck in seen_ck:
                why.append("%s: flow twice: %s" % (name, ck))
            seen_ck[ck] = 1
            if role == 1:
                if bid or epoch:
                    why.append("%s: base rule with binding %d epoch %d: %s" % (name, bid, epoch, f["raw"]))
                n_base += 1
                continue
            b = by_id.get(bid)
            if b is None:
                why.append("%s: flow of no binding (id %d, role %d, epoch %d): %s" % (
                    name, bid, role, epoch, f["raw"]))
                continue
            n_bind += 1
            if epoch != b["epoch"]:
                why.append("%s: flow of binding %d (%s) with epoch %d, committed epoch %d (role %d): %s" % (
                    name, bid, b["hoa"], epoch, b["epoch"], role, f["raw"]))
            elif role in (2, 3) and b["state"] == "home":
                why.append("%s: role %d flow of binding %d (%s), which is home: %s" % (
                    name, role, bid, b["hoa"], f["raw"]))
            elif role == 4 and (b["state"] != "home" or bridge_site(name) != site_no(b["home"])):
                why.append("%s: role 4 flow of binding %d (%s, %s, home %s): %s" % (
                    name, bid, b["hoa"], b["state"], b["home"], f["raw"]))
            elif role not in (2, 3, 4):
                why.append("%s: unknown role %d: %s" % (name, role, f["raw"]))
        counts.append("%s %d base + %d binding" % (name, n_base, n_bind))
    print("; ".join(counts))
    for w in why[:40]:
        print(w)
    return 1 if why else 0


def int_set(a, opt, default=None):
    for i, x in enumerate(a):
        if x == opt and i + 1 < len(a):
            return {int(v) for v in a[i + 1].split(",") if v}
    return default


def excluded(a):
    return int_set(a, "--exclude", set())


def cmd_kept(a):
    before, after, bdoc = load(a[0]), load(a[1]), load(a[2])
    skip = excluded(a[3:])
    roles = int_set(a[3:], "--roles")
    only = int_set(a[3:], "--only")
    by_id = committed(bdoc)
    why, notes, summary = [], [], []
    total = 0
    for name, bb in sorted(before["bridges"].items()):
        ab = after["bridges"].get(name)
        if ab is None:
            why.append("%s: not in the second dump" % name)
            continue
        idx = {key(f): f for f in ab["flows"]}
        n_base = n_bind = n_expired = n_other = 0
        pk_gain = 0
        for f in bb["flows"]:
            tag, role, bid, epoch = cookie_parts(f["cookie"])
            if tag != TAG:
                n_other += 1
                continue
            if roles is not None and role not in roles:
                continue
            if only is not None and (role == 1 or bid not in only):
                continue
            if role != 1:
                b = by_id.get(bid)
                if bid in skip or b is None or b["epoch"] != epoch:
                    if b is None or b["epoch"] != epoch:
                        notes.append("%s: not compared (no committed binding %d epoch %d): %s" % (
                            name, bid, epoch, f["raw"]))
                    continue
            # created: somewhere in [t0 - duration, t1 - duration] of each dump
            c_lo, c_hi = bb["t0"] - f["duration"], bb["t1"] - f["duration"]
            if f["hard_timeout"] and c_hi + f["hard_timeout"] <= ab["t1"] + 1.0:
                n_expired += 1          # its hard timeout ran out (or nearly) between the dumps
                continue
            g = idx.get(key(f))
            what = "%s %s cookie=%#x" % (name, key(f), f["cookie"])
            if g is None:
                why.append("gone: %s (duration %.3f s, n_packets %d before)" % (what, f["duration"], f["n_packets"]))
                continue
            if g["cookie"] != f["cookie"] or g["actions"] != f["actions"]:
                why.append("changed: %s: cookie %#x -> %#x, actions %s -> %s" % (
                    what, f["cookie"], g["cookie"], f["actions"], g["actions"]))
                continue
            a_lo, a_hi = ab["t0"] - g["duration"], ab["t1"] - g["duration"]
            if g["duration"] < f["duration"] or g["n_packets"] < f["n_packets"] or \
                    a_lo > c_hi + 0.01 or a_hi < c_lo - 0.01:
                why.append("re-added: %s: duration %.3f -> %.3f s over %.3f s, n_packets %d -> %d" % (
                    what, f["duration"], g["duration"], ab["t0"] - bb["t1"], f["n_packets"], g["n_packets"]))
                continue
            if role == 1:
                n_base += 1
            else:
                n_bind += 1
                pk_gain += g["n_packets"] - f["n_packets"]
            total += 1
        summary.append("%s: %d base + %d binding flows kept (binding flows +%d packets)%s%s" % (
            name, n_base, n_bind, pk_gain, ", %d expired" % n_expired if n_expired else "",
            ", %d not ours" % n_other if n_other else ""))
    print("; ".join(summary))
    for w in why[:40]:
        print(w)
    for w in notes[:10]:
        print("note: " + w)
    if total == 0 and not why:
        print("nothing compared")
        return 0 if "--allow-empty" in a[3:] else 1
    return 1 if why else 0


# ---------------------------------------------------------------- bindings
FIELDS = ("id", "hoa", "mac", "home", "site", "port", "moa", "epoch", "since", "state")


def cmd_same_bindings(a):
    x, y = load(a[0]), load(a[1])
    skip = excluded(a[2:])
    yb = committed(y)
    why, n = [], 0
    for b in x.get("bindings", []):
        if b["id"] in skip:
            continue
        n += 1
        c = yb.get(b["id"])
        if c is None:
            why.append("binding %s (%s) is gone" % (b["id"], b["hoa"]))
            continue
        diff = ["%s %r -> %r" % (k, b.get(k), c.get(k)) for k in FIELDS if b.get(k) != c.get(k)]
        if diff:
            why.append("binding %s (%s): %s" % (b["id"], b["hoa"], ", ".join(diff)))
    print("%d bindings compared" % n)
    for w in why:
        print(w)
    return 1 if why or n == 0 else 0


def ctl(ctlbin, api, what):
    r = subprocess.run([ctlbin, "--api", api, "--json", what], capture_output=True, text=True,
                       timeout=5)
    if r.returncode != 0:
        raise RuntimeError("matflowctl %s: exit %d: %s" % (what, r.returncode, r.stderr.strip()))
    return json.loads(r.stdout)


def find_mac(doc, mac):
    for b in doc.get("bindings", []):
        if b.get("mac", "").lower() == mac.lower():
            return b
    return None


def cmd_wait_binding(a):
    ctlbin, api, mac, site, min_epoch, timeout = a[:6]
    t0 = time.monotonic()
    end = t0 + float(timeout)
    why, b = "?", None
    while True:
        try:
            b = find_mac(ctl(ctlbin, api, "bindings"), mac)
            if b is None:
                why = "no binding"
            elif b.get("site") != site:
                why = "at %s" % b.get("site")
            elif b.get("state") not in ("home", "away") or b.get("update"):
                why = "state %s, update %s" % (b.get("state"), b.get("update"))
            elif b.get("epoch", 0) < int(min_epoch):
                why = "epoch %s < %s" % (b.get("epoch"), min_epoch)
            else:
                why = None
        except Exception as e:  # the daemon restarting, a bad answer: keep trying
            why = str(e)
        if why is None or time.monotonic() > end:
            break
        time.sleep(0.02)
    print(json.dumps({"ok": why is None, "why": why, "waited_ms": round((time.monotonic() - t0) * 1000),
                      "binding": b}))
    return 0 if why is None else 1


def cmd_field(a):
    b = find_mac(load(a[0]), a[1])
    print("" if b is None else b.get(a[2]))
    return 0 if b else 1


# ---------------------------------------------------------------- updates
def steps_of(u):
    return [e["step"] for e in u.get("events", [])]


def inside(u, phase):
    """(inside?, phase, barriers of that phase, why not)"""
    steps = steps_of(u)
    if u.get("complete") or u.get("failed") or u.get("superseded"):
        return False, None, 0, "past: complete=%s failed=%s superseded=%s" % (
            u.get("complete"), u.get("failed"), u.get("superseded"))
    ph = "sending" if "sending_out" in steps else "receiving"
    dpids = {e.get("dpid") for e in u.get("events", []) if e["step"] == ph + "_barrier"}
    n = len(dpids)
    if phase != "any" and ph != phase:
        return False, ph, n, "in phase %s" % ph
    if n < 1:
        return False, ph, n, "no %s barrier yet" % ph
    if n >= N_SWITCHES:
        return False, ph, n, "every %s barrier in" % ph
    return True, ph, n, None


def pick(doc, targets):
    found = {}
    for u in doc.get("updates", []):
        k = "%s:%s" % (u.get("hoa"), u.get("epoch"))
        if k in targets and (k not in found or u["id"] > found[k]["id"]):
            found[k] = u
    return found


def cmd_kill_inside(a):
    ctlbin, api, pid, phase, timeout, out = a[:6]
    targets = a[6:]
    pid, end = int(pid), time.monotonic() + float(timeout)
    doc, found, state, rc = {}, {}, {}, 1
    while time.monotonic() < end:
        try:
            doc = ctl(ctlbin, api, "events")
        except Exception as e:
            state = {"error": str(e)}
            time.sleep(0.01)
            continue
        found = pick(doc, targets)
        state = {}
        ready = len(found) == len(targets)
        past = False
        for k in targets:
            u = found.get(k)
            if u is None:
                state[k] = "not started"
                continue
            ok, ph, n, why = inside(u, phase)
            state[k] = why or "inside %s, %d/%d barriers" % (ph, n, N_SWITCHES)
            ready = ready and ok
            past = past or why is not None and why.startswith("past")
        if ready:
            os.kill(pid, signal.SIGKILL)
            rc = 0
            break
        if past:
            rc = 2
            break
        time.sleep(0.005)
    with open(out, "w") as fh:
        json.dump({"killed": rc == 0, "t_kill": time.time() if rc == 0 else None, "pid": pid,
                   "phase": phase, "targets": targets, "state": state,
                   "updates": [found.get(k) for k in targets], "events": doc}, fh)
    print(json.dumps(state))
    return rc


def fmt_timeline(u):
    out = []
    for e in u.get("events", []):
        s = "%s@%.1f" % (e["step"], e.get("t_us", 0) / 1000.0)
        if e.get("dpid"):
            s += "(s%d)" % int(e["dpid"], 16)
        out.append(s)
    return " ".join(out)


def cmd_timeline(a):
    doc = load(a[0])
    bad = 0
    for k, u in zip(doc.get("targets", []), doc.get("updates", [])):
        if u is None:
            print("%s: no such update" % k)
            bad += 1
            continue
        ok, ph, n, why = inside(u, "any")
        steps = steps_of(u)
        print("update %s %s -> %s epoch %s moa %s: %d/%d %s barriers in, %s; %s" % (
            u["id"], u["hoa"], u["to"], u["epoch"], u["moa"], n, N_SWITCHES, ph,
            "complete" if u.get("complete") else "not complete", fmt_timeline(u)))
        if not ok or "complete" in steps or "persisted" in steps:
            print("  not inside an update: %s" % (why or "complete"))
            bad += 1
    if not doc.get("killed"):
        print("no kill was sent")
        bad += 1
    return 1 if bad else 0


# ---------------------------------------------------------------- log
RECON = re.compile(r"switch ([0-9a-f]{16}) \(([^)]*)\): (\d+) flows kept, (\d+) removed, (\d+) added(.*)$")


def cmd_reconcile(a):
    zero = "--zero" in a[1:]
    full, bad = {}, []
    with open(a[0], errors="replace") as fh:
        for line in fh:
            m = RECON.search(line)
            if not m:
                continue
            dpid, site, kept, rem, add, rest = m.groups()
            base_only = "base rules only" in rest
            if not base_only:
                full[int(dpid, 16)] = "%s: %s kept, %s removed, %s added" % (site, kept, rem, add)
            if zero and (int(rem) or int(add)):
                bad.append(line.strip())
    print("; ".join(full[d] for d in sorted(full)))
    for b in bad:
        print("not zero: " + b)
    return 0 if all(d in full for d in range(1, N_SWITCHES + 1)) and not bad else 1


CMDS = {"snapshot": cmd_snapshot, "tagcheck": cmd_tagcheck, "kept": cmd_kept,
        "same-bindings": cmd_same_bindings, "wait-binding": cmd_wait_binding,
        "field": cmd_field, "kill-inside": cmd_kill_inside, "timeline": cmd_timeline,
        "reconcile": cmd_reconcile}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in CMDS:
        sys.stderr.write(__doc__)
        sys.exit(2)
    sys.exit(CMDS[sys.argv[1]](sys.argv[2:]))
