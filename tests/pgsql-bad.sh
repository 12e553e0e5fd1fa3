#!/bin/sh
# pgsql-bad.sh - a pgsql: store given bad input and faults, in a private
# cluster (tests/pg.sh):
#  - an invalid conninfo: bad data (65), no connection tried;
#  - a wrong password (a password-authenticated role): exit 75, libpq's
#    words, never the password itself;
#  - a database that holds no store: "vudbadm init makes one";
#  - a layout of a newer version: refused with "newer";
#  - a domain the catalog lists whose schema is missing: TEMP for it,
#    the other domains answer;
#  - the settings text changed by hand (UPDATE vudb.meta) is seen by a
#    running reader within about a second;
#  - the server stopped under a running vudb-mapd: TEMP, never NOTFOUND;
#    vudbadm exits 75; the server started again: the reader answers
#    again by itself;
#  - a lock held by another session: TEMP after lock_timeout, not a wait;
#  - a connection dropped while idle without a word: the next lookup
#    reconnects, no TEMP;
#  - a change by another connection is seen by the running reader within
#    one second (the notification), a domain removed meanwhile is NOTFOUND.
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.

srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
. "$srcdir/tests/pg.sh"
pg_require
VUDBADM=$builddir/tools/vudbadm/vudbadm
MAPD=$builddir/adapters/postfix/vudb-mapd
PYTHON=${PYTHON:-python3}
command -v "$PYTHON" >/dev/null 2>&1 || { echo "no python3: skipped"; exit 77; }
pg_test pgbad

S="pgsql:$PG_CONN dbname=bad"
adm() { "$VUDBADM" -d "$S" "$@"; }
# expect STATUS WORDS CMD...: CMD exits STATUS and says WORDS on stderr
expect() {
	want=$1 words=$2; shift 2
	"$@" >"$T/out" 2>"$T/err"; got=$?
	[ "$got" -eq "$want" ] || fail "$*: exit $got, not $want: $(cat "$T/err")"
	[ -z "$words" ] || grep -q -- "$words" "$T/err" ||
	    fail "$*: no '$words' in: $(cat "$T/err")"
}

adm init || { fail "init"; exit 1; }
adm domain add a.example && adm domain add b.example &&
    adm user add --no-password u@a.example &&
    adm user add --no-password u@b.example || fail "setup"

# ---- an invalid conninfo
expect 65 "invalid conninfo" "$VUDBADM" -d "pgsql:nonsense" lookup mailbox u@a.example
expect 65 "invalid conninfo" "$VUDBADM" -d "pgsql:host=$PG_DIR dbname='bad" domain list
expect 65 "invalid conninfo" "$VUDBADM" -d "pgsql:postgresql://[::1" domain list
# a value libpq only checks when it connects: a temporary failure
expect 75 "port" "$VUDBADM" -d "pgsql:host=$PG_DIR port=x dbname=bad" domain list

# ---- a wrong password for the database
pg_psql "CREATE ROLE alice_pw LOGIN PASSWORD 'right' IN ROLE pwusers;
    GRANT ALL ON DATABASE bad TO alice_pw" || fail "role"
PG_DB=bad pg_psql "GRANT USAGE ON SCHEMA vudb TO alice_pw;
    GRANT SELECT ON ALL TABLES IN SCHEMA vudb TO alice_pw" || fail "grant"
expect 75 "password authentication failed" "$VUDBADM" -d \
    "pgsql:host=$PG_DIR user=alice_pw password=wrong dbname=bad" \
    lookup mailbox u@a.example
grep -q wrong "$T/err" && fail "the password is in the message: $(cat "$T/err")"
# the right one reads (and a role without the domain's schema: TEMP)
expect 75 "privilege" "$VUDBADM" -d \
    "pgsql:host=$PG_DIR user=alice_pw password=right dbname=bad" \
    lookup mailbox u@a.example

# ---- a database that holds no store, and one that does not exist
expect 66 "vudbadm init" "$VUDBADM" -d "pgsql:$PG_CONN dbname=nosuch" domain list
expect 75 "" "$VUDBADM" -d "pgsql:$PG_CONN dbname=nosuch" lookup mailbox u@a.example
pg_psql "CREATE DATABASE empty" || fail "createdb"
"$VUDBADM" -d "pgsql:$PG_CONN dbname=empty" domain list >/dev/null 2>"$T/err"
[ $? -ne 0 ] && grep -q "vudbadm init" "$T/err" ||
    fail "an empty database: $(cat "$T/err")"

# ---- a layout of a newer version
PG_DB=bad pg_psql "UPDATE vudb.meta SET version = 99" || fail "version"
"$VUDBADM" -d "$S" lookup mailbox u@a.example >/dev/null 2>"$T/err"
[ $? -ne 0 ] && grep -q "newer" "$T/err" || fail "newer layout: $(cat "$T/err")"
PG_DB=bad pg_psql "UPDATE vudb.meta SET version = 1" || fail "version"

# ---- a schema missing for a domain the catalog lists
sa=$(PG_DB=bad pg_psql "SELECT schema FROM vudb.domains WHERE name = 'a.example'")
PG_DB=bad pg_psql "ALTER SCHEMA $sa RENAME TO hidden" || fail "rename schema"
expect 75 "missing" adm lookup mailbox u@a.example
expect 0 "" adm lookup mailbox u@b.example
PG_DB=bad pg_psql "ALTER SCHEMA hidden RENAME TO $sa" || fail "rename back"
expect 0 "" adm lookup mailbox u@a.example

# ---- a running reader: vudb-mapd on a unix socket
SOCK=$T/mapd.sock
"$MAPD" -f -d "$S" -w 1 -l "socketmap:unix:$SOCK" >"$T/mapd.log" 2>&1 &
MAPD_PID=$!
# ask KEY [SECONDS]: the reply to "mailbox KEY" (a reconnect per call),
# repeated up to SECONDS until it is no TEMP
ask() {
	$PYTHON - "$SOCK" "$@" <<'PY'
import sys, time
from sockmap import connect, ask
path, key = sys.argv[1], sys.argv[2]
secs = float(sys.argv[3]) if len(sys.argv) > 3 else 0
map_ = sys.argv[4] if len(sys.argv) > 4 else "mailbox"
end = time.time() + secs
while True:
    s = connect(path, wait=5)
    a = ask(s, map_, key)
    s.close()
    if not a.startswith("TEMP") or time.time() >= end:
        break
    time.sleep(0.1)
print(a.strip())
PY
}
r=$(ask u@a.example 10)
case $r in OK*) ;; *) fail "mapd before: $r"; cat "$T/mapd.log" ;; esac

# the settings changed by hand: seen within about a second
PG_DB=bad pg_psql "UPDATE vudb.meta SET conf = conf || 'uid = 4343' || chr(10)" ||
    fail "hand edit"
sleep 1.5
r=$(ask u@a.example 0 uid)
[ "$r" = "OK 4343" ] || fail "a hand edit of the settings: $r"

# a change by another writer: a user, then a domain's record
adm user add --no-password new@a.example || fail "add"
r=$(ask new@a.example)
[ "$r" = "OK a.example/new/Maildir/" ] || fail "a new user: $r"
adm domain disable a.example || fail "disable"
sleep 1
r=$(ask new@a.example)
[ "$r" = "NOTFOUND" ] || fail "a disabled domain within a second: $r"
adm domain enable a.example || fail "enable"
adm domain del --force b.example || fail "domain del"
sleep 1
r=$(ask u@b.example)
[ "$r" = "NOTFOUND" ] || fail "a removed domain: $r"

# ---- a lock held elsewhere: the reader waits at most lock_timeout (2 s)
sa=$(PG_DB=bad pg_psql "SELECT schema FROM vudb.domains WHERE name = 'a.example'")
PG_DB=bad pg_psql "BEGIN; LOCK TABLE $sa.records IN ACCESS EXCLUSIVE MODE;
    SELECT pg_sleep(6); COMMIT" >/dev/null &
LOCKER=$!
sleep 1
t0=$(date +%s)
r=$(ask u@a.example)
t1=$(date +%s)
case $r in TEMP*) ;; *) fail "a locked domain: $r" ;; esac
[ $((t1 - t0)) -le 4 ] || fail "a locked domain: answered after $((t1 - t0)) s"
wait "$LOCKER"
r=$(ask u@a.example)
[ "$r" = "OK a.example/u/Maildir/" ] || fail "after the lock: $r"

# ---- the server stopped under the reader: TEMP, never NOTFOUND
pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null ||
    fail "pg_ctl stop"
for k in u@a.example new@a.example nobody@a.example u@b.example; do
	r=$(ask "$k")
	case $r in TEMP*) ;; *) fail "server stopped: $k: $r" ;; esac
done
expect 75 "" adm lookup mailbox u@a.example
expect 75 "" adm user add --no-password x@a.example
# ... and started again: the same reader answers again by itself
pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
    -o "-k $PG_DIR $PG_OPTS" start >/dev/null ||
    fail "pg_ctl start"
PG_PID=$(head -n 1 "$PG_DIR/data/postmaster.pid")
r=$(ask u@a.example 10)
[ "$r" = "OK a.example/u/Maildir/" ] || fail "after the restart: $r"
r=$(ask nobody@a.example)
[ "$r" = "NOTFOUND" ] || fail "after the restart, an unknown user: $r"
# a restart while the reader is idle: its next request reconnects
pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w restart \
    -o "-k $PG_DIR $PG_OPTS" >/dev/null 2>&1 ||
    fail "pg_ctl restart"
PG_PID=$(head -n 1 "$PG_DIR/data/postmaster.pid")
r=$(ask u@a.example)
[ "$r" = "OK a.example/u/Maildir/" ] || fail "after an idle restart: $r"
# a connection dropped while idle without a word (its backend SIGKILLed:
# the server also resets every other connection and recovers): once the
# server is back, the next lookup connects again at once and answers,
# no TEMP
r=$(ask u@a.example)
[ "$r" = "OK a.example/u/Maildir/" ] || fail "before the drop: $r"
pids=$(PG_DB=bad pg_psql "SELECT pid FROM pg_stat_activity
    WHERE datname = 'bad' AND pid <> pg_backend_pid()")
[ -n "$pids" ] || fail "no backend of vudb-mapd"
# shellcheck disable=SC2086
kill -9 $pids
sleep 1
i=0
until PG_DB=bad pg_psql "SELECT 1" >/dev/null 2>&1 || [ $i -ge 100 ]; do
	sleep 0.1; i=$((i + 1))
done
r=$(ask u@a.example)
[ "$r" = "OK a.example/u/Maildir/" ] || fail "after a silently dropped idle connection: $r"
kill -0 "$MAPD_PID" 2>/dev/null || fail "vudb-mapd died"

echo "pgsql-bad: $FAILED failed"
[ "$FAILED" -eq 0 ]
