#!/bin/sh
# limits.sh - vudb-mapd's defences against crowds and floods: at the
# connection limit the longest idle connection makes room for a new
# client; unix sockets are 0660 by default; a failing store logs each
# warning at most 5 times a minute, with the count of the rest; an alias
# too long for a tcp_table reply is warned about when added and logged
# with its key when asked.
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.

. "${top_srcdir:-.}/adapters/postfix/tests/lib.sh"
need "$PYTHON"
ADM=$builddir/tools/vudbadm/vudbadm
P=$((20500 + ${VUDB_TEST_PORT_OFFSET:-0}))
"$MKSTORE" -t "$T/store" || exit 99
# the failures injected below (STORE/fail) must reach the store: no
# answer cache, which answers a key asked before without the store
echo "lookup_cache_size = 0" >>"$T/store/vudb.conf" || exit 99

# ---- the connection limit: 20, all idle, then a 21st client
start_mapd "$T/limit.log" -d "$T/store" -c 20 -w 1 \
    -l socketmap:unix:"$T/limit.sock"
mode=$(stat -c %a "$T/limit.sock")
[ "$mode" = 660 ] && ok || fail "default socket mode $mode, want 660"
"$PYTHON" - "$T/limit.sock" <<'PY' && ok || fail "the limit does not make room"
import socket, sys, time
def ask(s, q):
    s.sendall(b"%d:%s," % (len(q), q))
    return s.recv(4096)
conns = []
for i in range(20):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(sys.argv[1])
    assert ask(s, b"domain pc1.example").endswith(b"OK pc1.example,"), i
    conns.append(s)
    time.sleep(0.01)
time.sleep(0.3)
# the oldest answers again: it is no longer the longest idle
assert ask(conns[0], b"domain pc1.example").endswith(b"OK pc1.example,")
time.sleep(0.1)
new = socket.socket(socket.AF_UNIX)
new.settimeout(5)
new.connect(sys.argv[1])
r = ask(new, b"domain pc1.example")
assert r.endswith(b"OK pc1.example,"), r
# conns[1] was idle longest: closed; conns[0] still served
assert conns[1].recv(10) == b""
assert ask(conns[0], b"domain pc1.example").endswith(b"OK pc1.example,")
PY
grep -q 'connection limit of 20 reached: closing the longest idle' \
    "$T/limit.log" && ok || fail "the limit is not logged"
stop_pid "$MAPD_PID"

# ---- a failing store: 200 failed lookups, a few log lines and a count
start_mapd "$T/fail.log" -d "fail:$T/store" -w 1 \
    -l socketmap:inet:127.0.0.1:$P
echo all > "$T/store/fail"
"$PYTHON" - $P <<'PY' && ok || fail "failed lookups are not TEMP"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
f = s.makefile("rb")
for i in range(200):
    q = b"mailbox matsui@pc1.example"
    s.sendall(b"%d:%s," % (len(q), q))
    head = b""
    while not head.endswith(b":"):
        head += f.read(1)
    body = f.read(int(head[:-1]) + 1)
    assert body.startswith(b"TEMP"), body
PY
stop_pid "$MAPD_PID"
n=$(grep -c 'warning: lookup in map mailbox' "$T/fail.log")
[ "$n" -le 6 ] && ok || fail "$n warning lines for 200 failed lookups"
grep -q 'repeated 19[0-9] more times' "$T/fail.log" && ok ||
    fail "no count of the held-back warnings"
rm -f "$T/store/fail"

# ---- an alias longer than a tcp_table reply
dests=$("$PYTHON" -c 'print(",".join("u%03d@far-away.example" % i for i in range(250)))')
"$ADM" -d "$T/store" alias add huge@pc1.example "$dests" 2>"$T/adm.err" &&
    ok || fail "vudbadm alias add failed"
grep -q 'more than a Postfix tcp_table answer carries' "$T/adm.err" && ok ||
    fail "no warning when the alias is added"
start_mapd "$T/tcp.log" -d "$T/store" -w 1 \
    -l tcp:alias:inet:127.0.0.1:$((P + 1)) -l socketmap:inet:127.0.0.1:$((P + 2))
"$PYTHON" - $((P + 1)) $((P + 2)) <<'PY' && ok || fail "long alias answers"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"get huge@pc1.example\n")
r = s.makefile("rb").readline()
assert r.startswith(b"400 "), r
s = socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=10)
q = b"alias huge@pc1.example"
s.sendall(b"%d:%s," % (len(q), q))
r = s.recv(20)
assert b":OK u000@" in r, r
PY
grep -q 'the answer for huge@pc1.example is [0-9]* bytes, more than a tcp_table' \
    "$T/tcp.log" && ok || fail "the over-long answer is not logged with its key"
stop_pid "$MAPD_PID"
grep -q 'AddressSanitizer\|runtime error' "$T"/*.log &&
    fail "sanitizer report" || ok
finish
