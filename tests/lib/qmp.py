#!/usr/bin/python3
"""qmp.py SOCK CMD [JSON-ARGS]: send one QMP command to QEMU, print its result.

Reads the greeting, negotiates (qmp_capabilities), sends CMD with the JSON
object JSON-ARGS as its arguments, skips asynchronous events and prints the
"return" value as one line of JSON. Exit 0 on a return, 1 on a QMP error
(printed on stderr), 2 on a socket or usage problem. Run with /usr/bin/python3
(a pyenv shim on PATH can take a second to start). Standard library only.
"""
import json, socket, sys

def main(argv):
    if len(argv) not in (3, 4):
        print("usage: " + __doc__.strip().splitlines()[0], file=sys.stderr); return 2
    s = socket.socket(socket.AF_UNIX); s.settimeout(30)
    try:
        s.connect(argv[1]); f = s.makefile("rwb")
        def call(cmd, args=None):
            msg = {"execute": cmd, **({"arguments": args} if args else {})}
            f.write(json.dumps(msg).encode() + b"\n"); f.flush()
            while True:
                line = f.readline()
                if not line:
                    raise OSError("QEMU closed the socket")
                r = json.loads(line)
                if "return" in r or "error" in r:
                    return r
        while True:                                     # the greeting (events may come first)
            line = f.readline()
            if not line:
                raise OSError("QEMU closed the socket before its greeting")
            if "QMP" in json.loads(line):
                break
        call("qmp_capabilities")
        r = call(argv[2], json.loads(argv[3]) if len(argv) == 4 else None)
    except (OSError, ValueError, KeyError) as e:
        print("qmp.py: %s: %s" % (argv[1], e), file=sys.stderr); return 2
    if "error" in r:
        print("qmp.py: %s: %s" % (argv[2], json.dumps(r["error"])), file=sys.stderr); return 1
    print(json.dumps(r["return"])); return 0

if __name__ == "__main__":
    sys.exit(main(sys.argv))
