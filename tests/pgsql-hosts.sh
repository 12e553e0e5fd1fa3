#!/bin/sh
# pgsql-hosts.sh - "two hosts" on one machine (issue 14): a primary and a
# hot standby fed by streaming replication (pg_basebackup -R), each on a
# unix socket of its own, with a vudb-mapd reading each:
#  - two writers adding users to one domain at once: every acknowledged
#    user there afterwards, the domain's counter right;
#  - a user added on the primary is found by both readers within one
#    second, a domain disabled there is refused by both within one second;
#  - a write on the standby fails temporarily (75, "read-only");
#  - the primary stopped: the standby's reader keeps answering (no
#    NOTFOUND for an existing user), writers fail with 75;
#  - the standby promoted: a writer with the multi-host conninfo
#    "host=PRIMARY,STANDBY target_session_attrs=read-write" continues
#    without a change of configuration, and the reader sees its writes.
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.

srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
. "$srcdir/tests/pg.sh"
pg_require
VUDBADM=$builddir/tools/vudbadm/vudbadm
MAPD=$builddir/adapters/postfix/vudb-mapd
PYTHON=${PYTHON:-python3}
command -v "$PYTHON" >/dev/null 2>&1 || { echo "no python3: skipped"; exit 77; }
pg_test pghosts

A="pgsql:$PG_CONN dbname=hosts"
W="pgsql:host=$PG_DIR,PLACEHOLDER user=vudb dbname=hosts target_session_attrs=read-write"
"$VUDBADM" -d "$A" init && "$VUDBADM" -d "$A" domain add h.example &&
    "$VUDBADM" -d "$A" user add --no-password u@h.example || {
	fail "setup"; exit 1; }
pg_standby || exit 99
B="pgsql:$PG_SB_CONN dbname=hosts"
W="pgsql:host=$PG_DIR,$PG_SB_DIR user=vudb dbname=hosts target_session_attrs=read-write"

# two readers, "host A" on the primary and "host B" on the standby
"$MAPD" -f -d "$A" -w 2 -l "socketmap:unix:$T/a.sock" >"$T/a.log" 2>&1 &
PIDS="$PIDS $!"
"$MAPD" -f -d "$B" -w 2 -l "socketmap:unix:$T/b.sock" >"$T/b.log" 2>&1 &
PIDS="$PIDS $!"

# ask SOCK KEY WANT SECONDS: ask "mailbox KEY" until the answer is WANT
# (at most SECONDS); prints the answer and the seconds it took
ask() {
	$PYTHON - "$@" <<'PY'
import sys, time
from sockmap import connect, ask
path, key, want, secs = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
start = time.time()
s = None
while True:
    try:
        if s is None:
            s = connect(path)
        a = ask(s, "mailbox", key).strip()
    except OSError:
        s = None
        a = "NOCONN"
    if a == want or time.time() - start >= secs:
        break
    time.sleep(0.02)
print("%s %.2f" % (a, time.time() - start))
PY
}
# within SOCK KEY WANT: WANT within one second
within() {
	r=$(ask "$1" "$2" "$3" 1)
	[ "${r% *}" = "$3" ] || fail "${1##*/} $2: '${r% *}' after ${r##* } s, not '$3'"
}
# the standby has replayed the setup, both readers answer
r=$(ask "$T/a.sock" u@h.example "OK h.example/u/Maildir/" 20)
[ "${r% *}" = "OK h.example/u/Maildir/" ] || fail "reader A: $r"
r=$(ask "$T/b.sock" u@h.example "OK h.example/u/Maildir/" 20)
[ "${r% *}" = "OK h.example/u/Maildir/" ] || fail "reader B: $r"

# ---- two writers at once, one domain
for w in 1 2; do
	( i=0
	  while [ $i -lt 15 ]; do
		"$VUDBADM" -d "$A" user add --no-password "w$w-$i@h.example" &&
		    echo "w$w-$i@h.example"
		i=$((i + 1))
	  done >"$T/acked$w" 2>"$T/werr$w" ) &
	eval "wp$w=\$!"
done
wait "$wp1"; wait "$wp2"
cat "$T/acked1" "$T/acked2" | sort >"$T/acked"
"$VUDBADM" -d "$A" user list h.example | awk 'NR > 1 { print $1 }' | sort >"$T/listed"
[ "$(wc -l <"$T/acked")" -eq 30 ] || fail "acknowledged: $(wc -l <"$T/acked") of 30: $(cat "$T/werr1" "$T/werr2")"
comm -23 "$T/acked" "$T/listed" >"$T/lost"
[ -s "$T/lost" ] && fail "acknowledged but missing: $(cat "$T/lost")"
n=$("$VUDBADM" -d "$A" --json domain show h.example |
    $PYTHON -c 'import json, sys; print(json.load(sys.stdin)["effective"]["users"])' 2>/dev/null)
[ "$n" = "$(($(wc -l <"$T/listed")))" ] ||
    fail "the domain counts $n users, lists $(wc -l <"$T/listed")"

# ---- a change on host A, seen on both within one second
"$VUDBADM" -d "$A" user add --no-password new@h.example || fail "add"
within "$T/a.sock" new@h.example "OK h.example/new/Maildir/"
within "$T/b.sock" new@h.example "OK h.example/new/Maildir/"
"$VUDBADM" -d "$A" domain disable h.example || fail "disable"
within "$T/a.sock" u@h.example "NOTFOUND"
within "$T/b.sock" u@h.example "NOTFOUND"
"$VUDBADM" -d "$A" domain enable h.example || fail "enable"
within "$T/a.sock" u@h.example "OK h.example/u/Maildir/"
within "$T/b.sock" u@h.example "OK h.example/u/Maildir/"

# ---- a write on the standby: temporary, with the reason
"$VUDBADM" -d "$B" user add --no-password sb@h.example >/dev/null 2>"$T/err"
[ $? -eq 75 ] && grep -q "read-only" "$T/err" ||
    fail "a write on the standby: $(cat "$T/err")"

# ---- the primary stopped: B answers, writers fail temporarily
pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null ||
    fail "stop the primary"
for k in u@h.example new@h.example w1-3@h.example; do
	r=$(ask "$T/b.sock" "$k" "OK h.example/${k%@*}/Maildir/" 0)
	[ "${r% *}" = "OK h.example/${k%@*}/Maildir/" ] || fail "B, primary down: $k: $r"
done
r=$(ask "$T/a.sock" u@h.example "-" 0)
case $r in TEMP*) ;; *) fail "A, primary down: $r" ;; esac
"$VUDBADM" -d "$W" user add --no-password during@h.example >/dev/null 2>"$T/err"
[ $? -eq 75 ] || fail "a writer, primary down: $(cat "$T/err")"

# ---- the standby promoted: the writer continues, unchanged
pg_as "$PG_BIN/pg_ctl" -D "$PG_SB_DIR/data" -w promote >/dev/null ||
    fail "promote"
"$VUDBADM" -d "$W" user add --no-password after@h.example || fail "a writer after the promotion"
within "$T/b.sock" after@h.example "OK h.example/after/Maildir/"
for p in $PIDS; do
	kill -0 "$p" 2>/dev/null || fail "a vudb-mapd died"
done

echo "pgsql-hosts: $FAILED failed"
[ "$FAILED" -eq 0 ]
