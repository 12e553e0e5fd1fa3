#!/bin/sh
# pgsql-cache.sh - the answer cache on a PostgreSQL store (issue 17), in a
# private cluster (tests/pg.sh):
#  - no stale answer: tests/stale (a writer committing all the time, two
#    cached readers, 1,000,000 lookups), with one and with two threads a
#    reader, on the primary: this host's writers advance the page
#    /dev/shm/vudb-pg-STOREID before a change is acknowledged;
#  - a writer elsewhere (here: one that maps another page, as a writer of
#    another host has none in common): a running vudb-mapd drops what it
#    kept of the domain when the server's notification arrives (< 1 s,
#    where without it the answer would stand for the cache's 60 s);
#  - an administrator's own statement (TRUNCATE of a domain's records) is
#    told the same way, by the table's trigger;
#  - a vudb-mapd reading a hot standby sees a change within its polls of
#    the domains' counters (< 2 s after the primary acknowledged it);
#  - a store of the first layout (no domain counters): read without an
#    answer cache, and made layout 2 by its first writer.
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.

srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
. "$srcdir/tests/pg.sh"
pg_require
VUDBADM=$builddir/tools/vudbadm/vudbadm
MAPD=$builddir/adapters/postfix/vudb-mapd
STALE=$builddir/tests/stale
PYTHON=${PYTHON:-python3}
command -v "$PYTHON" >/dev/null 2>&1 || { echo "no python3: skipped"; exit 77; }
pg_test pgcache
ok() { echo "ok: $*"; }
psql_db() { pg_as "$PG_BIN/psql" -h "$PG_DIR" -U vudb -d "$1" -v ON_ERROR_STOP=1 -Atc "$2"; }

# ask SOCK KEY - vudb-mapd's answer to the mailbox map
ask() {
	$PYTHON -c 'import sys
from sockmap import connect, ask
s = connect(sys.argv[1], wait=5)
print(ask(s, "mailbox", sys.argv[2]).strip())' "$1" "$2"
}
# until SECONDS SOCK KEY WANT - poll every 50 ms for the answer WANT; prints
# the seconds it took, or fails
until_answer() {
	$PYTHON -c 'import sys, time
from sockmap import connect, ask
lim, path, key, want = float(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
s = connect(path, wait=5)
t0 = time.time()
while True:
    a = ask(s, "mailbox", key).strip()
    if a == want:
        print("%.2f" % (time.time() - t0)); sys.exit(0)
    if time.time() - t0 > lim:
        print("still %r after %.1f s" % (a, lim)); sys.exit(1)
    time.sleep(0.05)' "$@"
}
start_mapd() {	# NAME STORE
	"$MAPD" -f -d "$2" -w 2 -l "socketmap:unix:$T/$1.sock" \
	    >"$T/$1.log" 2>&1 &
	PIDS="$PIDS $!"
	for _ in $(seq 1 100); do
		[ -S "$T/$1.sock" ] && return 0
		sleep 0.1
	done
	fail "vudb-mapd $1 does not listen: $(cat "$T/$1.log")"
	return 1
}
page_of() {	# DB: the page the store names
	echo "/dev/shm/vudb-pg-$(psql_db "$1" "SELECT store_id FROM vudb.meta")"
}

# ---- no stale answer, on the primary
for th in 1 2; do
	echo "== stale, $th thread(s) a reader"
	if "$STALE" "pgsql:$PG_CONN dbname=stale$th" \
	    "${STALE_LOOKUPS:-1000000}" $th >"$T/stale$th.out" 2>&1; then
		ok "stale, $th thread(s): $(tail -1 "$T/stale$th.out")"
	else
		fail "stale, $th thread(s):"; cat "$T/stale$th.out"
	fi
done

# ---- a writer that shares no page with the reader (another host's)
A="pgsql:$PG_CONN dbname=c"
"$VUDBADM" -d "$A" init >/dev/null && "$VUDBADM" -d "$A" domain add \
    c.example && "$VUDBADM" -d "$A" user add --no-password u1@c.example &&
    "$VUDBADM" -d "$A" user add --no-password u2@c.example ||
    { fail "setup"; exit 1; }
PAGE=$(page_of c)
[ -f "$PAGE" ] && ok "the store's page is $PAGE" || fail "no page $PAGE"
start_mapd a "$A" || exit 1
for _ in 1 2 3; do
	a=$(ask "$T/a.sock" u1@c.example)
done
[ "$a" = "OK c.example/u1/Maildir/" ] || fail "u1 before: $a"
# the reader keeps its mapping; the writer makes and advances a new page
rm -f "$PAGE"
"$VUDBADM" -d "$A" user del u1@c.example || fail "user del"
if r=$(until_answer 1 "$T/a.sock" u1@c.example NOTFOUND); then
	ok "a change told only by the server's notification: seen in $r s"
else
	fail "a change of another host's writer: $r"
fi
# an administrator's statement: the trigger tells of it
a=$(ask "$T/a.sock" u2@c.example)
[ "$a" = "OK c.example/u2/Maildir/" ] || fail "u2 before: $a"
SCHEMA=$(psql_db c "SELECT schema FROM vudb.domains WHERE name = 'c.example'")
psql_db c "TRUNCATE \"$SCHEMA\".records" >/dev/null || fail "TRUNCATE"
if r=$(until_answer 1 "$T/a.sock" u2@c.example NOTFOUND); then
	ok "an administrator's TRUNCATE: seen in $r s"
else
	fail "an administrator's TRUNCATE: $r"
fi
grep -q "answer cache: none" "$T/a.log" && fail "vudb-mapd kept no answers"

# ---- a reader of a hot standby
"$VUDBADM" -d "$A" domain add s.example &&
    "$VUDBADM" -d "$A" user add --no-password u3@s.example ||
    fail "setup (standby)"
pg_standby || exit 99
B="pgsql:$PG_SB_CONN dbname=c"
for _ in $(seq 1 50); do
	a=$("$VUDBADM" -d "$B" lookup mailbox u3@s.example 2>/dev/null) && break
	sleep 0.1
done
start_mapd b "$B" || exit 1
until_answer 5 "$T/b.sock" u3@s.example "OK s.example/u3/Maildir/" \
    >/dev/null || fail "the standby does not answer u3"
a=$(ask "$T/b.sock" u3@s.example)
rm -f "$(page_of c)"
"$VUDBADM" -d "$A" user del u3@s.example || fail "user del (standby)"
if r=$(until_answer 2 "$T/b.sock" u3@s.example NOTFOUND); then
	ok "a reader of the standby: the change seen in $r s"
else
	fail "a reader of the standby: $r"
fi

# ---- a store of layout 1: no cache for its readers; its first writer
# makes it layout 2
O="pgsql:$PG_CONN dbname=old"
"$VUDBADM" -d "$O" init >/dev/null && "$VUDBADM" -d "$O" domain add \
    o.example && "$VUDBADM" -d "$O" user add --no-password u4@o.example ||
    fail "setup (layout 1)"
rm -f "$(page_of old)"
psql_db old "DROP FUNCTION vudb.rec_changed() CASCADE;
ALTER TABLE vudb.domains DROP COLUMN gen;
ALTER TABLE vudb.meta DROP COLUMN store_id;
UPDATE vudb.meta SET version = 1" >/dev/null || fail "making layout 1"
start_mapd o "$O" || exit 1
a=$(ask "$T/o.sock" u4@o.example)
[ "$a" = "OK o.example/u4/Maildir/" ] || fail "layout 1, u4: $a"
kill -USR1 "${PIDS##* }"
sleep 0.5
grep -q "answer cache: none" "$T/o.log" &&
    ok "a reader of layout 1 keeps no answers" ||
    fail "a reader of layout 1: $(grep 'answer cache' "$T/o.log")"
[ "$(psql_db old "SELECT version FROM vudb.meta")" = 1 ] ||
    fail "a reader changed the layout"
# a role that may only read cannot upgrade it: it reads on, as layout 1
psql_db old "CREATE ROLE rd LOGIN; GRANT USAGE ON SCHEMA vudb TO rd;
GRANT SELECT ON ALL TABLES IN SCHEMA vudb TO rd;
GRANT USAGE ON SCHEMA vd1_o_example TO rd;
GRANT SELECT ON vd1_o_example.records TO rd" >/dev/null || fail "role rd"
RD="pgsql:host=$PG_DIR user=rd dbname=old"
a=$("$VUDBADM" -d "$RD" lookup mailbox u4@o.example 2>"$T/rd.err")
[ "$a" = "o.example/u4/Maildir/" ] || fail "rd, lookup: '$a' $(cat "$T/rd.err")"
"$VUDBADM" -d "$RD" user add --no-password x@o.example 2>"$T/rd.err"
rc=$?
[ $rc = 75 ] && grep -q "stays layout 1" "$T/rd.err" &&
    ok "a reader's role writing to layout 1: 75, says why it cannot upgrade" ||
    fail "a reader's role writing to layout 1: $rc $(cat "$T/rd.err")"
[ "$(psql_db old "SELECT version FROM vudb.meta")" = 1 ] ||
    fail "the reader's role changed the layout"
"$VUDBADM" -d "$O" user add --no-password u5@o.example 2>"$T/up.err" ||
    fail "the first writer: $(cat "$T/up.err")"
v=$(psql_db old "SELECT version FROM vudb.meta")
n=$(psql_db old "SELECT count(*) FROM pg_trigger WHERE tgname = 'changed'")
[ "$v" = 2 ] && [ "$n" = 1 ] && ok "the first writer made layout 2" ||
    fail "after the first writer: version $v, $n triggers"
a=$(ask "$T/o.sock" u5@o.example)
[ "$a" = "OK o.example/u5/Maildir/" ] || fail "layout 2, u5: $a"
rm -f "$(page_of old)"

echo "$FAILED failed"
[ "$FAILED" -eq 0 ]
