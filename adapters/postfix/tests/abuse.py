#!/usr/bin/env python3
# abuse.py - hostile and careless clients against a running vudb-mapd:
# malformed and oversized netstrings, over-long tcp_table lines, unknown
# verbs, half-sent requests (the read deadline must close them), 1,000
# idle connections, abrupt resets mid-request and mid-reply, clients that
# do not read their replies, byte-by-byte requests, the connection limit.
# After each, a good client must still get correct answers.
#
#   abuse.py SM_PORT TCP_MAILBOX_PORT UNIX_PATH READ_TIMEOUT [LIMIT_PORT N]
#
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.

import socket
import struct
import sys
import time

import sockmap

SM, TCP, UNIX, RTMO = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], \
    int(sys.argv[4])
HOST = "127.0.0.1"
failed = 0
T0 = time.time()
passed = 0


def check(name, cond, detail=""):
    global failed, passed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL: %s %s" % (name, detail))


def conn(port=SM, timeout=10):
    s = socket.create_connection((HOST, port), timeout=timeout)
    return s


def ns(payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return b"%d:%s," % (len(payload), payload)


def recv_ns(s):
    """One netstring from s, or None at EOF."""
    try:
        return sockmap.read_netstring(s, raw=True)
    except EOFError:
        return None


def recv_line(s, f=None):
    line = b""
    while not line.endswith(b"\n"):
        d = s.recv(1)
        if not d:
            return None
        line += d
    return line


def closed_by_server(s, within):
    """True if the server closes s within `within` seconds."""
    s.settimeout(within)
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return True
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True


def good(name):
    sys.stderr.write("%.1f %s\n" % (time.time() - T0, name))
    """A well-behaved client over socketmap (TCP, unix) and tcp_table."""
    try:
        s = conn()
        s.sendall(ns("mailbox Matsui+x@PC1.example") + ns("alias nobody@x"))
        a, b = recv_ns(s), recv_ns(s)
        s.close()
        u = socket.socket(socket.AF_UNIX)
        u.settimeout(10)
        u.connect(UNIX)
        u.sendall(ns("alias info@pc1.example"))
        c = recv_ns(u)
        u.close()
        t = conn(TCP)
        t.sendall(b"get matsui@pc2.example\n")
        d = recv_line(t)
        t.close()
        ok = (a == b"OK pc1.example/matsui/Maildir/" and b == b"NOTFOUND "
              and c == b"OK matsui@pc1.example"
              and d == b"200 pc2.example/matsui/Maildir/\n")
        check("good client after " + name, ok, repr((a, b, c, d)))
    except OSError as e:
        check("good client after " + name, False, repr(e))


def rst_close(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


# ---- malformed netstrings: each closes its own connection only
for bad in [b"abc,", b":x,", b"5:hello;", b"3:a bX", b"-1:x,", b"2:a b,",
            b"1a:b,", b" 3:a b,", b"\x00\x00:", b"00000000003:a b,",
            b"3:a b\xff"]:
    s = conn()
    # a good request first: it must be answered before the close
    s.sendall(ns("mailbox matsui@pc1.example") + bad)
    first = recv_ns(s)
    check("answer before malformed %r" % bad,
          first == b"OK pc1.example/matsui/Maildir/", repr(first))
    check("malformed %r closes" % bad, closed_by_server(s, 5))
    s.close()
good("malformed netstrings")

# ---- oversized netstrings
for big in [b"10001:", b"99999999999:", b"1000000:" + b"x" * 5000]:
    s = conn()
    s.sendall(big)
    check("oversized %r closes" % big[:12], closed_by_server(s, 5))
    s.close()
s = conn()
s.sendall(b"10001:" + b"m" * 10001 + b",")
check("oversized 10001 closes", closed_by_server(s, 5))
s.close()
# the largest request allowed is answered
s = conn()
key = "x" * (10000 - len("mailbox "))
s.sendall(ns("mailbox " + key))
check("10000-byte request answered", recv_ns(s) == b"NOTFOUND ")
s.close()
good("oversized netstrings")

# ---- requests that are not NAME SP KEY, NUL in keys, unknown maps
s = conn()
s.sendall(ns("mailbox") + ns("") + ns("mailbox matsui@pc1.example\0x") +
          ns("nosuch key") + ns("mailbox matsui@pc1.example"))
r = [recv_ns(s) for _ in range(5)]
check("odd requests", r[0].startswith(b"PERM ") and r[1].startswith(b"PERM ")
      and r[2] == b"NOTFOUND " and r[3].startswith(b"PERM unknown map")
      and r[4] == b"OK pc1.example/matsui/Maildir/", repr(r))
s.close()

# ---- tcp_table: unknown verbs and bad quoting answer 400, the line after
# is still answered; pipelined requests come back in order
t = conn(TCP)
t.sendall(b"put a b\nGET%20x\nget a%zz\nget matsui%40pc1.example\n"
          b"get Matsui%2Bx@PC2.example\r\nget nobody@pc1.example\n"
          b"get \n")
r = [recv_line(t) for _ in range(7)]
check("tcp verbs", r[0].startswith(b"400 ") and r[1].startswith(b"400 ")
      and r[2].startswith(b"400 ")
      and r[3] == b"200 pc1.example/matsui/Maildir/\n"
      and r[4] == b"200 pc2.example/matsui/Maildir/\n"
      and r[5].startswith(b"500 ") and r[6].startswith(b"500 "), repr(r))
t.sendall(b"".join(b"get u%d@pc1.example\nget matsui@pc1.example\n" % i
                   for i in range(500)))
ok = True
for i in range(500):
    ok = ok and recv_line(t).startswith(b"500 ")
    ok = ok and recv_line(t) == b"200 pc1.example/matsui/Maildir/\n"
check("tcp pipelined 1000 in order", ok)
t.close()
t = conn(TCP)
t.sendall(b"get " + b"a" * 10000)
check("tcp over-long line closes", closed_by_server(t, 5))
t.close()
good("tcp_table abuse")

# ---- pipelined socketmap requests over several maps, in order
s = conn()
reqs = []
for i in range(300):
    reqs += [ns("mailbox matsui@pc2.example"), ns("alias random@pc2.example"),
             ns("uid matsui@pc2.example")]
s.sendall(b"".join(reqs))
ok = True
for i in range(300):
    ok = ok and recv_ns(s) == b"OK pc2.example/matsui/Maildir/"
    ok = ok and recv_ns(s) == b"OK postmaster@pc2.example"
    ok = ok and recv_ns(s) == b"OK 7002"
check("socketmap pipelined 900 in order, three maps", ok)
s.close()

# ---- byte by byte, slower than a packet but within the deadline
s = conn()
req = ns("mailbox matsui@pc1.example")
for i in range(len(req)):
    s.send(req[i:i + 1])
    time.sleep(min(0.02, RTMO / 4.0 / len(req)))
check("byte-by-byte request", recv_ns(s) == b"OK pc1.example/matsui/Maildir/")
s.close()

# ---- half-sent requests: closed after the read deadline; others unaffected
halves = []
for p in (SM, TCP):
    s = conn(p)
    s.sendall(b"26:mailbox matsui@" if p == SM else b"get matsui@pc1")
    halves.append(s)
t0 = time.time()
good("half-sent requests (during the deadline)")
for s in halves:
    check("half-sent request closed by the deadline",
          closed_by_server(s, RTMO + 10))
    s.close()
el = time.time() - t0
check("read deadline honoured (%.1fs)" % el, RTMO - 0.5 <= el <= RTMO + 10)
good("half-sent requests")

# ---- abrupt disconnects mid-request and mid-reply
for i in range(20):
    s = conn()
    s.sendall(b"26:mailbox matsui")
    rst_close(s)
    s = conn(TCP)
    s.sendall(b"get matsui@p")
    rst_close(s)
for i in range(10):
    s = conn()
    # replies of ~5 KB each, a MB in all: never read, then reset
    s.sendall(ns("alias big@pc1.example") * 200)
    time.sleep(0.05)
    rst_close(s)
    s = conn()
    s.sendall(ns("alias big@pc1.example") * 50)
    s.recv(100)
    s.close()
good("abrupt disconnects")

# ---- a client that does not read: the server stops reading it, and it
# gets every answer, in order, once it does read
s = conn()
n = 3000
s.settimeout(0.5)
sent = 0
data = ns("alias big@pc1.example") * n
try:
    while sent < len(data):
        sent += s.send(data[sent:])
except socket.timeout:
    pass
good("a client that does not read (while it waits)")
s.settimeout(30)
while sent < len(data):
    sent += s.send(data[sent:])
ok = True
for i in range(n):
    r = recv_ns(s)
    if r is None or not r.startswith(b"OK x000000@other.example,"):
        ok = False
        break
check("back-pressured client gets all %d answers" % n, ok)
s.close()

# ---- 1,000 idle connections at once (TCP and unix)
idle = []
try:
    for i in range(1000):
        if i % 4 == 3:
            u = socket.socket(socket.AF_UNIX)
            u.settimeout(10)
            u.connect(UNIX)
            idle.append(u)
        else:
            idle.append(conn(SM if i % 2 else TCP))
    check("1000 idle connections opened", True)
except OSError as e:
    check("1000 idle connections opened", False, repr(e))
time.sleep(0.5)
good("1000 idle connections")
# they are still served
s = idle[1]
s.sendall(ns("domain pc1.example"))
check("an idle connection is still served", recv_ns(s) == b"OK pc1.example")
for s in idle:
    s.close()
good("closing 1000 connections")

print("abuse.py: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
