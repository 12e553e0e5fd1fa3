#!/bin/sh
# pgsql-audit.sh - the audit log of a pgsql: store (the table vudb.audit),
# in a private cluster (tests/pg.sh):
#  - every acknowledged change of vudbadm leaves its line, read back by
#    vudbadm log with its filters (a domain, --since), a batch (import)
#    its lines once committed, two writers at once all of theirs;
#  - a password in the conninfo is never written;
#  - a store made before the table (dropped here): log says nothing, the
#    next change makes the table and its line is there;
#  - the table refusing lines (a trigger): the change still succeeds, with
#    a warning; the server stopped: log exits 75.
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.

srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
. "$srcdir/tests/pg.sh"
pg_require
VUDBADM=$builddir/tools/vudbadm/vudbadm
pg_test pgaudit

S="pgsql:$PG_CONN dbname=au"
adm() { "$VUDBADM" -d "$S" "$@"; }
# has PATTERN [LOG-ARGS...]: vudbadm log (with LOG-ARGS) has a line
# matching the extended regular expression PATTERN
has() {
	pat=$1; shift
	adm log "$@" >"$T/log" 2>"$T/err" || fail "log $*: $(cat "$T/err")"
	grep -E -q -- "$pat" "$T/log" || fail "log $*: no '$pat' in: $(cat "$T/log")"
}

adm init && adm domain add a.example && adm domain add b.example &&
    adm user add --no-password u@a.example &&
    adm alias add info@a.example u@a.example &&
    adm user rename u@a.example v@a.example &&
    adm user add --password-hash '{PLAIN}x' w@b.example &&
    adm set uid 4321 && adm user del w@b.example || fail "changes"
has ' init store host=.* backend=pgsql$'
has ' add domain a\.example$'
has ' add user u@a\.example$'
has ' add alias info@a\.example dest=u@a\.example$'
has ' rename user u@a\.example v@a\.example$'
has ' add user w@b\.example password$'
has ' set setting uid 4321$'
has ' del user w@b\.example$'
grep -q 'PLAIN' "$T/log" && fail "a hash in the log: $(cat "$T/log")"
# the filters
adm log a.example >"$T/a" || fail "log a.example"
grep -q 'b\.example' "$T/a" && fail "log a.example shows b.example: $(cat "$T/a")"
[ "$(grep -c '' "$T/a")" -eq 4 ] || fail "log a.example: $(cat "$T/a")"
adm log --since 2999 >"$T/none" && [ ! -s "$T/none" ] ||
    fail "log --since 2999: $(cat "$T/none")"
[ "$(adm log --since 2000 | grep -c '')" -eq "$(adm log | grep -c '')" ] ||
    fail "log --since 2000"
# the same through the JSON form
adm --json log a.example | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
assert rows[0]["op"] == "add" and rows[0]["name"] == "a.example", rows
' || fail "log --json"

# a batch: its lines once committed
i=0
while [ $i -lt 20 ]; do
	echo "{\"type\":\"user\",\"name\":\"i$i@a.example\",\"attrs\":{}}"
	i=$((i + 1))
done >"$T/in.jsonl"
adm import "$T/in.jsonl" >/dev/null || fail "import"
[ "$(adm log a.example | grep -c ' add user i[0-9]*@a\.example$')" -eq 20 ] ||
    fail "import: $(adm log a.example | tail -n 3)"

# two writers at once: every acknowledged change has its line
for w in 1 2; do
	( j=0
	  while [ $j -lt 10 ]; do
		adm user add --no-password "c$w-$j@b.example" &&
		    echo "c$w-$j@b.example"
		j=$((j + 1))
	  done >"$T/acked$w" 2>/dev/null ) &
	eval "wp$w=\$!"
done
wait "$wp1"; wait "$wp2"
cat "$T/acked1" "$T/acked2" | sort >"$T/acked"
adm log b.example | awk '$4 == "add" && $5 == "user" && $6 ~ /^c/ { print $6 }' | sort >"$T/logged"
[ "$(grep -c '' "$T/acked")" -eq 20 ] || fail "writers: $(grep -c '' "$T/acked") of 20"
cmp -s "$T/acked" "$T/logged" || fail "writers: acknowledged and logged differ:
$(diff "$T/acked" "$T/logged")"

# a password in the conninfo: never written
pg_psql "CREATE ROLE carol_pw LOGIN SUPERUSER PASSWORD 'TopSecret1' IN ROLE pwusers" ||
    fail "role"
"$VUDBADM" -d "pgsql:host=$PG_DIR user=carol_pw password=TopSecret1 dbname=au2" init ||
    fail "init with a password"
"$VUDBADM" -d "pgsql:postgresql://carol_pw:TopSecret1@/au3?host=$PG_DIR" init ||
    fail "init with a password in a URI"
PG_DB=au2 pg_psql "SELECT line FROM vudb.audit" >"$T/l2"
PG_DB=au3 pg_psql "SELECT line FROM vudb.audit" >"$T/l3"
grep -q 'password=\*\*\*' "$T/l2" && grep -q 'carol_pw:\*\*\*@' "$T/l3" ||
    fail "the location's password: $(cat "$T/l2" "$T/l3")"
grep -q TopSecret1 "$T/l2" "$T/l3" && fail "a password in the log"

# a store made before the table
PG_DB=au pg_psql "DROP TABLE vudb.audit" || fail "drop"
adm log >"$T/log" 2>"$T/err" && [ ! -s "$T/log" ] ||
    fail "log without the table: $(cat "$T/log" "$T/err")"
adm user add --no-password late@a.example || fail "add without the table"
has ' add user late@a\.example$'

# the table refusing lines: the change is made all the same, with a warning
PG_DB=au pg_psql "CREATE FUNCTION no_audit() RETURNS trigger LANGUAGE plpgsql
    AS \$\$ BEGIN RAISE EXCEPTION 'no audit today'; END \$\$;
    CREATE TRIGGER no_audit BEFORE INSERT ON vudb.audit
    FOR EACH ROW EXECUTE FUNCTION no_audit()" || fail "trigger"
adm user add --no-password refused@a.example 2>"$T/err" ||
    fail "a change failed with its audit line: $(cat "$T/err")"
grep -q 'no audit today' "$T/err" || fail "no warning: $(cat "$T/err")"
[ "$(adm lookup mailbox refused@a.example)" = "a.example/refused/Maildir/" ] ||
    fail "the change is not there"
PG_DB=au pg_psql "DROP TRIGGER no_audit ON vudb.audit" || fail "drop trigger"

# the server stopped: log fails temporarily
pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null || fail "stop"
adm log >/dev/null 2>"$T/err"
rc=$?
[ $rc -eq 75 ] || fail "log, server stopped: exit $rc: $(cat "$T/err")"

echo "pgsql-audit: $FAILED failed"
[ "$FAILED" -eq 0 ]
