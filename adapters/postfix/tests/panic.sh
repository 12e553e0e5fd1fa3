#!/bin/sh
# panic.sh - vudb-mapd after the store's Berkeley DB environment panicked
# under it (a process died inside Berkeley DB and another recovered the
# store): every worker answers again at once, from a new environment.
#  - a fresh server, whose first lookup opens a domain: it answered TEMP
#    for every domain until restarted, SIGHUP or not;
#  - two workers, one persistent connection: the worker serving it
#    answered TEMP for as long as the other saw no request;
#  - the idle worker answers at its next request;
#  - SIGHUP after a panic opens a new environment, not the panicked one;
#  - "vudbadm user list | head" leaves no process in the register.
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.

. "${top_srcdir:-.}/adapters/postfix/tests/lib.sh"
need "$PYTHON"
FAULT=$builddir/tests/bdbfault
VUDBADM=$builddir/tools/vudbadm/vudbadm
[ -x "$FAULT" ] || { echo "no tests/bdbfault (Berkeley DB): skipped"; exit 77; }

# a port nobody listens on (a fixed block met other runs' servers)
P=$($PYTHON -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])') || exit 99
"$MKSTORE" -t "$T/store" || exit 99
S=$T/store

# ask COUNT SECONDS KEY...: on one connection, ask for each KEY in turn,
# COUNT times over SECONDS; prints "OK n TEMP n OTHER n FIRST-TEMP-AFTER
# LAST-TEMP-AT" (seconds since the start, -1 if none)
ask() {
	$PYTHON - "$P" "$@" <<'PY'
import sys, time
from sockmap import connect, ask
port, count, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
keys = sys.argv[4:]
s = connect(port)
ok = temp = other = 0
last = -1.0
start = time.time()
for i in range(count):
    k = keys[i % len(keys)]
    a = ask(s, "mailbox", k)
    if a.startswith("OK "):
        ok += 1
    elif a.startswith("TEMP"):
        temp += 1
        last = time.time() - start
    else:
        other += 1
    time.sleep(secs / count)
print("OK %d TEMP %d OTHER %d LAST %.2f" % (ok, temp, other, last))
PY
}

# expect WHAT RESULT: RESULT (of ask) answered everything
expect_ok() {
	case $2 in
	"OK "*" TEMP 0 OTHER 0 "*) ok ;;
	*) fail "$1: $2" ;;
	esac
}

# 1. a fresh server: its first lookup meets the panic opening a domain
start_mapd "$T/mapd1.log" -d "$S" -w 1 -l "socketmap:inet:127.0.0.1:$P"
"$FAULT" "$S" panic || exit 99
expect_ok "fresh server, after a panic" \
    "$(ask 10 0.5 matsui@pc1.example matsui@pc2.example)"
# 2. SIGHUP after a panic: the new handles do not take the dead one
"$FAULT" "$S" panic || exit 99
kill -HUP "$MAPD_PID"
sleep 0.5
expect_ok "SIGHUP after a panic" \
    "$(ask 10 0.5 matsui@pc1.example matsui@pc2.example)"
stop_pid "$MAPD_PID" || fail "server 1: exit status $?"
grep -q "environment reopened" "$T/mapd1.log" || fail "no reopen logged"

# 3. two workers, one busy connection; the other worker stays idle
start_mapd "$T/mapd2.log" -d "$S" -w 2 -l "socketmap:inet:127.0.0.1:$P"
# both workers open the domains first (connections are shared out)
for i in 1 2 3 4 5 6; do
	ask 2 0.01 matsui@pc1.example matsui@pc2.example >/dev/null
done
ask 60 3 matsui@pc1.example matsui@pc2.example >"$T/busy" &
busy=$!
PIDS="$PIDS $busy"
sleep 1
"$FAULT" "$S" panic || exit 99
wait "$busy"
expect_ok "two workers, one connection, across a panic" "$(cat "$T/busy")"
# the idle worker, at its next request (any connection may reach it)
for i in 1 2 3 4 5 6; do
	expect_ok "a new connection after the panic ($i)" \
	    "$(ask 2 0.01 matsui@pc1.example matsui@pc2.example)"
done
stop_pid "$MAPD_PID" || fail "server 2: exit status $?"

# 4. the problem as reported: a vudbadm dies of SIGPIPE, the next opener
#    runs recovery under the server
start_mapd "$T/mapd3.log" -d "$S" -l "socketmap:inet:127.0.0.1:$P"
"$VUDBADM" -d "$S" user list pc1.example | head -c 0
"$VUDBADM" -d "$S" domain list >/dev/null || fail "domain list"
expect_ok "after vudbadm | head" \
    "$(ask 10 0.5 matsui@pc1.example matsui@pc2.example)"
"$FAULT" "$S" register | grep -q dead && fail "a dead process registered"
stop_pid "$MAPD_PID" || fail "server 3: exit status $?"

finish
