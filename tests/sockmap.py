# sockmap.py - the socketmap client of the tests' Python parts: Postfix's
# socketmap protocol, a netstring "MAP KEY" per query and a netstring
# "STATUS DATA" per answer, over a unix socket or TCP.  The scripts put
# $top_srcdir/tests on PYTHONPATH and import it.
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
import socket
import time


def netstring(b):
    """b (bytes) as a netstring"""
    return str(len(b)).encode() + b":" + b + b","


def read_netstring(s, raw=False):
    """the next netstring of socket s, decoded (raw: the bytes); EOFError
    if the server closed, ValueError if it is not a netstring"""
    head = b""
    while b":" not in head:
        c = s.recv(1)
        if not c:
            raise EOFError
        head += c
    n = int(head[:-1])
    data = b""
    while len(data) < n + 1:
        c = s.recv(n + 1 - len(data))
        if not c:
            raise EOFError
        data += c
    if data[-1:] != b",":
        raise ValueError("a netstring without its comma: %r" % data[-10:])
    return data[:-1] if raw else data[:-1].decode()


def connect(where, timeout=20, wait=0.0):
    """a connection to where: a port number (on 127.0.0.1), or the path of
    a unix socket (anything with a "/"); a refused connect is tried again
    every 50 ms for wait seconds, then its OSError is raised"""
    end = time.time() + wait
    while True:
        try:
            if isinstance(where, int) or "/" not in where:
                return socket.create_connection(("127.0.0.1", int(where)),
                                                timeout=timeout)
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(timeout)
            try:
                s.connect(where)
            except OSError:
                s.close()
                raise
            return s
        except OSError:
            if time.time() >= end:
                raise
            time.sleep(0.05)


def ask(s, map_, key):
    """the answer to "map_ key" on connection s: "OK data", "NOTFOUND ",
    "TEMP why", ... (EOFError if the server closed)"""
    s.sendall(netstring(("%s %s" % (map_, key)).encode()))
    return read_netstring(s)


def ask_domains(path, n, conns):
    """ask the user u@d<i>.example of each of n domains for its mailbox
    over conns connections to path at once (each starting at its own
    place, so that every worker of the server answers some); the answers
    that are not "OK d<i>.example/...", at most three, and how many"""
    import threading
    bad = []

    def run(k):
        s = connect(path)
        for j in range(n):
            i = (j + k * 7) % n
            try:
                a = ask(s, "mailbox", "u@d%d.example" % i)
            except EOFError:
                bad.append("closed")
                return
            if not a.startswith("OK d%d.example/" % i):
                bad.append(a)
        s.close()
    ts = [threading.Thread(target=run, args=(k,)) for k in range(conns)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return bad[:3], len(bad)


if __name__ == "__main__":
    # python3 sockmap.py domains SOCKET N CONNS: ask_domains, exit 1 on
    # any wrong answer
    import sys
    if len(sys.argv) == 5 and sys.argv[1] == "domains":
        first, nbad = ask_domains(sys.argv[2], int(sys.argv[3]),
                                  int(sys.argv[4]))
        if nbad:
            print("bad answers (%d):" % nbad, first)
            sys.exit(1)
        sys.exit(0)
    print("usage: sockmap.py domains SOCKET N CONNS", file=sys.stderr)
    sys.exit(2)
