#!/bin/sh
# options.sh - vudb-mapd's command line and life cycle: every bad option
# or listener is refused with exit status 64 and a message; an unknown user
# 67; a port in use, a path that is not a socket, a second server on a
# socket or a missing store 69; then the daemon mode (pid file, exit 0 once
# ready), -u (privileges dropped), -m/-g (socket mode and group), -w,
# -c (connection limit), -t (idle timeout), -v (keys logged), systemd
# socket activation (LISTEN_FDS), SIGTERM with a connection open.
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.

. "${top_srcdir:-.}/adapters/postfix/tests/lib.sh"
need "$PYTHON"

P=$((20100 + ${VUDB_TEST_PORT_OFFSET:-0}))
"$MKSTORE" -t "$T/store" || exit 99

# expect STATUS PATTERN ARGS...: vudb-mapd -f ARGS exits STATUS, saying
# something that matches PATTERN
expect() {
	st=$1; pat=$2; shift 2
	timeout 20 "$MAPD" -f "$@" >"$T/out" 2>&1
	rc=$?
	if [ $rc -eq "$st" ] && grep -q -- "$pat" "$T/out"; then
		ok
	else
		fail "vudb-mapd $*: want $st /$pat/, got $rc: $(cat "$T/out")"
	fi
}

L="-l socketmap:inet:127.0.0.1:$P"
expect 64 usage
expect 64 'no -l' -d "$T/store"
expect 64 usage -Z $L
expect 64 'unexpected argument' $L extra
expect 64 'bad listener' -l 'socketmap:127.0.0.1:1'
expect 64 'unknown map "inet"' -l 'tcp:inet:127.0.0.1:1'
expect 64 'bad listener' -l 'udp:inet:127.0.0.1:1'
expect 64 'bad listener' -l 'socketmap:unix:'
expect 64 'bad listener' -l ''
expect 64 'unknown map "users"' -l 'tcp:users:inet:127.0.0.1:1'
expect 64 'numeric HOST:PORT' -l 'socketmap:inet:localhost:20101'
expect 64 'numeric HOST:PORT' -l 'socketmap:inet:127.0.0.1'
expect 64 'numeric HOST:PORT' -l 'socketmap:inet:127.0.0.1:'
expect 64 'numeric HOST:PORT' -l 'socketmap:inet:[::1:20101'
expect 64 'numeric HOST:PORT' -l 'socketmap:inet:127.0.0.1:99999'
expect 64 'bad -w' -w 0 $L
expect 64 'bad -w' -w 65 $L
expect 64 'bad -w' -w two $L
expect 64 'bad -c' -c -1 $L
expect 64 'bad -t' -t 0 $L
expect 64 'bad -r' -r 1x $L
expect 64 'bad -m' -m 999 $L
expect 64 'bad -m' -m rw $L
expect 64 'path too long' -d "$T/store" \
    -l "socketmap:unix:/tmp/$(printf '%0120d' 0)"
expect 67 'no such user' -u no-such-user-here $L
expect 67 'no such group' -g no-such-group-here $L
expect 69 'cannot open the store' -d "$T/nostore" $L
: > "$T/file"
expect 69 'not a socket' -d "$T/store" -l "socketmap:unix:$T/file"
# a port in use
start_mapd "$T/first.log" -d "$T/store" $L -l "socketmap:unix:$T/s1"
expect 69 'bind' -d "$T/store" $L
expect 69 'another server is listening' -d "$T/store" \
    -l "socketmap:unix:$T/s1"
stop_pid "$MAPD_PID" && ok || fail "first server: exit status $?"

# a stale socket file (no server) is replaced
$PYTHON -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])' "$T/stale"
start_mapd "$T/stale.log" -d "$T/store" -l "socketmap:unix:$T/stale"
stop_pid "$MAPD_PID" && ok || fail "stale socket: exit status $?"
[ -e "$T/stale" ] && fail "socket left behind" || ok

# q SPEC KEY WANT: one socketmap or tcp_table query, with Python
q() {
	$PYTHON - "$@" <<'PY'
import socket, sys
spec, key, want = sys.argv[1:4]
kind, rest = spec.split(":", 1)
if rest.startswith("unix:"):
    s = socket.socket(socket.AF_UNIX); s.settimeout(10)
    path, name = (rest[5:].rsplit(":", 1) if kind == "socketmap"
                  else (rest[5:], ""))
    s.connect(path)
else:
    hp, name = (rest[5:].rsplit(":", 1) if kind == "socketmap"
                else (rest[5:], ""))
    h, p = hp.rsplit(":", 1)
    s = socket.create_connection((h.strip("[]"), int(p)), timeout=10)
if kind == "socketmap":
    r = ("%s %s" % (name, key)).encode()
    s.sendall(b"%d:%s," % (len(r), r))
else:
    s.sendall(b"get %s\n" % key.encode())
got = s.recv(65536).decode()
sys.exit(0 if got == want else (print(repr(got)) or 1))
PY
}

# daemon mode: the parent exits 0 once ready, the pid file names the child
"$MAPD" -d "$T/store" -p "$T/mapd.pid" -w 2 \
    -l "socketmap:unix:$T/d.sock" -l "tcp:uid:inet:127.0.0.1:$((P + 2))"
rc=$?
[ $rc -eq 0 ] && ok || fail "daemon start: exit status $rc"
if [ -s "$T/mapd.pid" ]; then
	dpid=$(cat "$T/mapd.pid")
	PIDS="$PIDS $dpid"
	ok
	q "socketmap:unix:$T/d.sock:mailbox" matsui@pc1.example \
	    '30:OK pc1.example/matsui/Maildir/,' && ok || fail "daemon query"
	q "tcp:inet:127.0.0.1:$((P + 2))" matsui@pc2.example '200 7002
' && ok || fail "daemon tcp query"
	[ "$(ps -o sid= -p "$dpid" | tr -d ' ')" = "$dpid" ] && ok ||
	    fail "daemon is not a session leader"
	[ "$(readlink "/proc/$dpid/cwd")" = / ] && ok || fail "daemon cwd"
	kill "$dpid"
	i=0
	while kill -0 "$dpid" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	kill -0 "$dpid" 2>/dev/null && fail "daemon did not stop" || ok
	[ -e "$T/mapd.pid" ] && fail "pid file left behind" || ok
	[ -e "$T/d.sock" ] && fail "socket left behind" || ok
else
	fail "no pid file"
fi
# a daemon that cannot start reports it through its parent's status
"$MAPD" -d "$T/nostore" -l "socketmap:unix:$T/e.sock" 2>/dev/null
rc=$?
[ $rc -eq 69 ] && ok || fail "daemon with no store: exit status $rc"

# -u: privileges dropped after binding; -m/-g on the unix socket
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	chmod 755 "$T"
	chmod -R a+rwX "$T/store"
	mkdir "$T/run" && chown nobody "$T/run"
	grp=$(id -gn nobody)
	start_mapd "$T/u.log" -d "$T/store" -u nobody -m 0660 -g "$grp" \
	    -l "socketmap:unix:$T/run/u.sock" \
	    -l "tcp:mailbox:inet:127.0.0.1:$((P + 3))"
	uid=$(awk '/^Uid:/ { print $2 $3 $4 $5 }' "/proc/$MAPD_PID/status")
	want=$(id -u nobody)
	[ "$uid" = "$want$want$want$want" ] && ok ||
	    fail "uids after -u nobody: $uid"
	groups=$(awk '/^Groups:/ { $1 = ""; print }' "/proc/$MAPD_PID/status")
	case " $groups " in
	*" 0 "*) fail "root group kept: $groups" ;;
	*) ok ;;
	esac
	[ "$(stat -c %a "$T/run/u.sock")" = 660 ] && ok || fail "socket mode"
	[ "$(stat -c %G "$T/run/u.sock")" = "$grp" ] && ok ||
	    fail "socket group"
	q "tcp:inet:127.0.0.1:$((P + 3))" Matsui@PC1.example \
	    '200 pc1.example/matsui/Maildir/
' && ok || fail "query as nobody"
	stop_pid "$MAPD_PID" && ok || fail "-u nobody: exit status $?"
	[ -e "$T/run/u.sock" ] && fail "socket left behind by nobody" || ok
else
	echo "not root: -u not tested"
fi

# -c: at the limit, the longest idle connection makes room for a new
# client; logged once
start_mapd "$T/c.log" -d "$T/store" -c 3 -t 2 -v \
    -l "socketmap:inet:127.0.0.1:$((P + 4))"
$PYTHON - $((P + 4)) <<'PY' && ok || fail "connection limit"
import socket, sys, time
port = int(sys.argv[1])
c = []
for i in range(3):
    c.append(socket.create_connection(("127.0.0.1", port), timeout=5))
    time.sleep(0.05)
time.sleep(0.3)
d = socket.create_connection(("127.0.0.1", port), timeout=5)
d.sendall(b"26:mailbox matsui@pc1.example,")
if d.recv(100) != b"30:OK pc1.example/matsui/Maildir/,":
    sys.exit("a new connection at the limit not served")
if c[0].recv(10) != b"":
    sys.exit("the longest idle connection not closed")
c[1].sendall(b"18:domain pc2.example,")
if c[1].recv(100) != b"14:OK pc2.example,":
    sys.exit("a connection within the limit not served")
# -t 2: idle connections are closed after about 2 s (the sweep runs
# once a second)
t0 = time.time()
if d.recv(10) != b"" or not 1.5 < time.time() - t0 < 15:
    sys.exit("idle timeout")
PY
[ "$(grep -c 'connection limit of 3 reached' "$T/c.log")" -eq 1 ] && ok ||
    fail "limit not logged exactly once"
grep -q 'below the limit' "$T/c.log" && ok || fail "no recovery message"
grep -q 'lookup mailbox matsui@pc1.example: pc1.example' "$T/c.log" && ok ||
    fail "-v did not log the lookup"
grep -q 'idle timeout' "$T/c.log" && ok || fail "-v did not log the idle close"
stop_pid "$MAPD_PID" && ok || fail "-c: exit status $?"

# out of descriptors: a warning at start, accept pauses, nothing breaks
(ulimit -n 48 && exec "$MAPD" -f -d "$T/store" -c 100 \
    -l "socketmap:inet:127.0.0.1:$((P + 7))") >"$T/fd.log" 2>&1 &
MAPD_PID=$!
PIDS="$PIDS $MAPD_PID"
wait_for inet 127.0.0.1 $((P + 7)) || fail "-c 100 with 48 descriptors"
$PYTHON - $((P + 7)) <<'PY' && ok || fail "out of descriptors"
import socket, sys, time
port = int(sys.argv[1])
many = []
for i in range(80):
    many.append(socket.create_connection(("127.0.0.1", port), timeout=5))
time.sleep(0.5)
for s in many:
    s.close()
time.sleep(0.6)
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(b"18:domain pc1.example,")
sys.exit(0 if s.recv(100) == b"14:OK pc1.example," else 1)
PY
grep -q 'only 48 file descriptors for a connection limit of 100' \
    "$T/fd.log" && ok || fail "no warning about the descriptor limit"
grep -q 'not accepting for a while' "$T/fd.log" && ok ||
    fail "no warning when descriptors ran out"
stop_pid "$MAPD_PID" && ok || fail "out of descriptors: exit status $?"

# systemd socket activation: the listeners come in as fds 3, 4
$PYTHON - "$MAPD" "$T" $((P + 5)) <<'PY' && ok || fail "socket activation"
import os, socket, sys, time
mapd, T, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
a = socket.socket(); a.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
a.bind(("127.0.0.1", port)); a.listen(16)
u = socket.socket(socket.AF_UNIX); u.bind(T + "/act.sock"); u.listen(16)
pid = os.fork()
if pid == 0:
    os.dup2(a.fileno(), 3); os.dup2(u.fileno(), 4)
    os.set_inheritable(3, True); os.set_inheritable(4, True)
    env = dict(os.environ, LISTEN_FDS="2", LISTEN_PID=str(os.getpid()))
    fd = os.open(T + "/act.log", os.O_WRONLY | os.O_CREAT)
    os.dup2(fd, 2)
    os.execve(mapd, [mapd, "-f", "-d", T + "/store",
              "-l", "tcp:gid:inet:127.0.0.1:%d" % port,
              "-l", "socketmap:unix:" + T + "/act.sock"], env)
a.close(); u.close()
ok = False
try:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"get matsui@pc2.example\n")
    r1 = s.recv(100)
    v = socket.socket(socket.AF_UNIX); v.settimeout(10)
    v.connect(T + "/act.sock")
    v.sendall(b"18:domain pc1.example,")
    r2 = v.recv(100)
    ok = r1 == b"200 5000\n" and r2 == b"14:OK pc1.example,"
    if not ok:
        print(r1, r2)
finally:
    os.kill(pid, 15)
    _, st = os.waitpid(pid, 0)
# the socket belongs to systemd: it stays
sys.exit(0 if ok and st == 0 and os.path.exists(T + "/act.sock") else 1)
PY
# socket activation with the wrong number of -l options is refused
$PYTHON - "$MAPD" "$T" <<'PY' && ok || fail "LISTEN_FDS mismatch"
import os, socket, sys
mapd, T = sys.argv[1], sys.argv[2]
u = socket.socket(socket.AF_UNIX); u.bind(T + "/act2.sock"); u.listen(1)
pid = os.fork()
if pid == 0:
    os.dup2(u.fileno(), 3); os.set_inheritable(3, True)
    os.dup2(os.open("/dev/null", os.O_WRONLY), 2)
    env = dict(os.environ, LISTEN_FDS="1", LISTEN_PID=str(os.getpid()))
    os.execve(mapd, [mapd, "-f", "-d", T + "/store",
              "-l", "socketmap:unix:" + T + "/x",
              "-l", "tcp:uid:unix:" + T + "/y"], env)
_, st = os.waitpid(pid, 0)
sys.exit(0 if os.WEXITSTATUS(st) == 64 else 1)
PY

# SIGTERM with a half-sent request, an idle connection and a client that
# has not read its replies: exit 0; the replies in progress are sent whole
start_mapd "$T/t.log" -d "$T/store" -l "socketmap:inet:127.0.0.1:$((P + 6))"
$PYTHON - $((P + 6)) "$MAPD_PID" <<'PY' && ok || fail "SIGTERM with clients"
import os, socket, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
a = socket.create_connection(("127.0.0.1", port), timeout=10)
b = socket.create_connection(("127.0.0.1", port), timeout=10)
c = socket.create_connection(("127.0.0.1", port), timeout=10)
b.sendall(b"25:mailbox mat")
c.sendall(b"21:alias big@pc1.example," * 400)
time.sleep(0.5)
os.kill(pid, 15)
if a.recv(10) != b"" or b.recv(10) != b"":
    sys.exit("not closed")
data = b""
while True:
    d = c.recv(65536)
    if not d:
        break
    data += d
n = 0
while data:
    head, rest = data.split(b":", 1)
    ln = int(head)
    if len(rest) < ln + 1 or rest[ln:ln + 1] != b"," or \
            not rest.startswith(b"OK x000000@other.example,"):
        sys.exit("a truncated reply after %d" % n)
    data = rest[ln + 1:]
    n += 1
sys.exit(0 if n > 0 else "no reply")
PY
stop_pid "$MAPD_PID"; rc=$?
[ $rc -eq 0 ] && ok || fail "SIGTERM with clients: exit status $rc"
finish
