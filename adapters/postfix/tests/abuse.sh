#!/bin/sh
# abuse.sh - vudb-mapd against hostile and careless clients (abuse.py):
# the server must stay up, keep answering good clients, log a warning for
# each bad connection, and stop cleanly afterwards.
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.

. "${top_srcdir:-.}/adapters/postfix/tests/lib.sh"
need "$PYTHON"

P=$((20400 + ${VUDB_TEST_PORT_OFFSET:-0}))
ulimit -n 4096 2>/dev/null || ulimit -n 2048 2>/dev/null
[ "$(ulimit -n)" -ge 2048 ] || { echo "ulimit -n too low: skipped"; exit 77; }
"$MKSTORE" -t "$STORE" || exit 99
start_mapd "$T/mapd.log" -d "$STORE" -c 1100 -r 2 -t 60 -w 2 \
    -l socketmap:inet:127.0.0.1:$P -l tcp:mailbox:inet:127.0.0.1:$((P + 1)) \
    -l socketmap:unix:"$T/mapd.sock"
wait_for unix "$T/mapd.sock" || exit 99

"$PYTHON" "$srcdir/adapters/postfix/tests/abuse.py" $P $((P + 1)) \
    "$T/mapd.sock" 2 && ok || fail "abuse.py"
kill -0 "$MAPD_PID" 2>/dev/null && ok || fail "vudb-mapd died"
grep -q 'warning: socketmap client 127.0.0.1:[0-9]*: malformed netstring' \
    "$T/mapd.log" && ok || fail "no warning for a malformed netstring"
grep -q 'warning: socketmap client .*: netstring longer than 10000' \
    "$T/mapd.log" && ok || fail "no warning for an oversized netstring"
grep -q 'warning: tcp_table client .*: request longer than 10000' \
    "$T/mapd.log" && ok || fail "no warning for an over-long line"
grep -q 'read deadline: closing' "$T/mapd.log" && ok ||
    fail "no warning for a half-sent request"
stop_pid "$MAPD_PID"; rc=$?
[ $rc -eq 0 ] && ok || fail "exit status $rc after SIGTERM"
grep -q 'AddressSanitizer\|runtime error' "$T/mapd.log" &&
    fail "sanitizer report" || ok
[ $FAILED -eq 0 ] || tail -30 "$T/mapd.log"
finish
