#!/bin/sh
# deadholder.sh - vudb-mapd when a process dies inside Berkeley DB holding
# a latch and a lock that a worker then waits for: the worker stopped
# answering and the server ignored SIGHUP and SIGTERM for good.  Now the
# watchdog finds the dead holder (vudb_check), the store is recovered and
# the worker replaced: the lookup is answered within seconds (on the
# waiting connection, or on a new one after it was let go), the next ones
# at once, and SIGTERM stops the server.
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.

. "${top_srcdir:-.}/adapters/postfix/tests/lib.sh"
need "$PYTHON"
FAULT=$builddir/tests/bdbfault
[ -x "$FAULT" ] || { echo "no tests/bdbfault (Berkeley DB): skipped"; exit 77; }

# a port nobody listens on (a fixed block met other runs' servers)
P=$($PYTHON -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])') || exit 99
"$MKSTORE" -t "$T/store" || exit 99
S=$T/store

# ask DEADLINE KEY: one socketmap lookup, asked again on a new connection
# if the server closes the one it is on; prints the answer, or "none"
ask() {
	$PYTHON - "$P" "$@" <<'PY'
import socket, sys, time
port, deadline, key = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
end = time.time() + deadline
req = b"mailbox " + key.encode()
req = str(len(req)).encode() + b":" + req + b","
while time.time() < end:
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=1)
        s.settimeout(max(0.1, end - time.time()))
        s.sendall(req)
        buf = b""
        while True:
            c = s.recv(4096)
            if not c:
                break
            buf += c
            if b":" in buf:
                n, rest = buf.split(b":", 1)
                if len(rest) >= int(n) + 1:
                    print(rest[:int(n)].decode())
                    sys.exit(0)
    except (OSError, ValueError):
        time.sleep(0.1)
print("none")
PY
}

for w in 1 2; do
	# regions made anew: the domain's pages are in no cache
	rm -f "$S"/__db.0*
	start_mapd "$T/mapd$w.log" -d "$S" -w $w \
	    -l "socketmap:inet:127.0.0.1:$P"
	"$FAULT" "$S" die-holding pc1.example 2>"$T/fault.err"
	st=$?
	[ $st -eq 137 ] || { echo "bdbfault: status $st"; cat "$T/fault.err"
	    exit 99; }
	got=$(ask 20 matsui@pc1.example)
	[ "$got" = "OK pc1.example/matsui/Maildir/" ] && ok ||
	    fail "-w $w: the lookup behind the dead process: $got"
	got=$(ask 2 matsui@pc2.example)
	[ "$got" = "OK pc2.example/matsui/Maildir/" ] && ok ||
	    fail "-w $w: a lookup after: $got"
	grep -q "replacing the worker" "$T/mapd$w.log" && ok ||
	    fail "-w $w: no worker replaced"
	kill "$MAPD_PID"
	i=0
	while kill -0 "$MAPD_PID" 2>/dev/null && [ $i -lt 150 ]; do
		sleep 0.1; i=$((i + 1))
	done
	if kill -0 "$MAPD_PID" 2>/dev/null; then
		fail "-w $w: SIGTERM ignored"
		kill -9 "$MAPD_PID"
	fi
	wait "$MAPD_PID"
	st=$?
	[ $st -eq 0 ] && ok || fail "-w $w: exit status $st"
done

finish
