#!/bin/sh
# pgsql-roles.sh - the PostgreSQL permissions README's "Several hosts"
# shows, run as README gives them (its two sql blocks, taken from it), in
# a private cluster (tests/pg.sh):
#  - the owner role makes the store (vudbadm init) and writes;
#  - the reader role reads: vudbadm lookups, the audit log, a vudb-mapd,
#    a domain made after the grants too (default privileges);
#  - the reader cannot write: vudbadm exits 75 and says "permission
#    denied", and nothing changed.
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.

srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
. "$srcdir/tests/pg.sh"
pg_require
VUDBADM=$builddir/tools/vudbadm/vudbadm
MAPD=$builddir/adapters/postfix/vudb-mapd
PYTHON=${PYTHON:-python3}
command -v "$PYTHON" >/dev/null 2>&1 || { echo "no python3: skipped"; exit 77; }
pg_test pgroles
chmod 755 "$T"

# README's sql blocks in "Several hosts", in order
$PYTHON - "$srcdir/README.md" "$T" <<'PY' || { fail "README: no sql blocks"; exit 1; }
import re, sys
text = open(sys.argv[1]).read()
sec = text.split("\n## Several hosts\n", 1)[1].split("\n## ", 1)[0]
blocks = re.findall(r"```sql\n(.*?)```\n", sec, re.S)
if len(blocks) != 2:
    sys.exit(1)
for i, b in enumerate(blocks):
    open("%s/grants%d.sql" % (sys.argv[2], i + 1), "w").write(b)
PY
psql_as() {	# ROLE DB FILE
	"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR" -U "$1" -d "$2" \
	    -f "$3"
}
psql_as vudb postgres "$T/grants1.sql" || fail "README's first block"
OWNER="pgsql:host=$PG_DIR dbname=vudb user=vudb_owner"
READER="pgsql:host=$PG_DIR dbname=vudb user=vudb_reader"
"$VUDBADM" -d "$OWNER" init || fail "init as the owner"
psql_as vudb_owner vudb "$T/grants2.sql" || fail "README's second block"

"$VUDBADM" -d "$OWNER" domain add a.example &&
    "$VUDBADM" -d "$OWNER" user add --no-password u@a.example &&
    "$VUDBADM" -d "$OWNER" alias add info@a.example u@a.example ||
    fail "the owner writes"

# expect STATUS WORDS CMD...: CMD exits STATUS and says WORDS on stderr
expect() {
	want=$1 words=$2; shift 2
	"$@" >"$T/out" 2>"$T/err"; got=$?
	[ "$got" -eq "$want" ] || fail "$*: exit $got, not $want: $(cat "$T/err")"
	[ -z "$words" ] || grep -q -- "$words" "$T/err" ||
	    fail "$*: no '$words' in: $(cat "$T/err")"
}
# the reader reads
expect 0 "" "$VUDBADM" -d "$READER" lookup mailbox u@a.example
[ "$(cat "$T/out")" = "a.example/u/Maildir/" ] || fail "reader: $(cat "$T/out")"
expect 0 "" "$VUDBADM" -d "$READER" lookup alias info@a.example
expect 0 "" "$VUDBADM" -d "$READER" domain list
expect 0 "" "$VUDBADM" -d "$READER" export
expect 0 "" "$VUDBADM" -d "$READER" log
grep -q ' add user u@a\.example$' "$T/out" || fail "reader: log: $(cat "$T/out")"
# ... and cannot write: 75, the reason, nothing changed
before=$("$VUDBADM" -d "$OWNER" export)
for cmd in "user add --no-password x@a.example" "user del u@a.example" \
    "alias add y@a.example u@a.example" "domain add b.example" \
    "domain disable a.example" "set uid 4242"; do
	# shellcheck disable=SC2086
	expect 75 "permission denied" "$VUDBADM" -d "$READER" $cmd
	echo "reader: vudbadm $cmd: exit $got: $(head -n 1 "$T/err")"
done
[ "$("$VUDBADM" -d "$OWNER" export)" = "$before" ] ||
    fail "a refused write changed the store"

# a domain made after the grants: the reader reads it, also through a
# vudb-mapd started before it was made
"$MAPD" -f -d "$READER" -w 1 -l "socketmap:unix:$T/m.sock" >"$T/mapd.log" 2>&1 &
MAPD_PID=$!
"$VUDBADM" -d "$OWNER" domain add c.example &&
    "$VUDBADM" -d "$OWNER" user add --no-password v@c.example ||
    fail "the owner adds a domain"
expect 0 "" "$VUDBADM" -d "$READER" lookup mailbox v@c.example
r=$($PYTHON - "$T/m.sock" <<'PY'
import socket, sys, time
for key in ("u@a.example", "v@c.example"):
    for _ in range(100):
        try:
            s = socket.socket(socket.AF_UNIX); s.settimeout(20)
            s.connect(sys.argv[1]); break
        except OSError:
            time.sleep(0.05)
    q = ("mailbox " + key).encode()
    s.sendall(str(len(q)).encode() + b":" + q + b",")
    print(s.recv(200).decode().split(":", 1)[1][:-1].strip())
    s.close()
PY
)
[ "$r" = "OK a.example/u/Maildir/
OK c.example/v/Maildir/" ] || fail "vudb-mapd as the reader: $r $(cat "$T/mapd.log")"

echo "pgsql-roles: $FAILED failed"
[ "$FAILED" -eq 0 ]
