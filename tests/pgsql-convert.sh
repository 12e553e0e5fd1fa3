#!/bin/sh
# pgsql-convert.sh - a pgsql: store among the others, in a private cluster
# (tests/pg.sh):
#  - vudbadm convert bdb -> pgsql -> lmdb -> pgsql -> bdb: every export the
#    same bytes but for the backend each store records;
#  - one domain of a pgsql: store is one schema: pg_dump -n of it holds its
#    records and nothing of another domain's;
#  - the real Postfix's postmap asks vudb-mapd serving a pgsql: store, over
#    a unix socket and over TCP on loopback (a port chosen at run time).
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.

srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
. "$srcdir/tests/pg.sh"
pg_require
VUDBADM=$builddir/tools/vudbadm/vudbadm
MAPD=$builddir/adapters/postfix/vudb-mapd
MKSTORE=$builddir/adapters/postfix/tests/mkstore
PYTHON=${PYTHON:-python3}
pg_test pgconv

# export STORE FILE: the store's export, its backend line left out
export_nb() {
	"$VUDBADM" -d "$1" export --times >"$2.full" || fail "export $1"
	grep -v '^{"type":"setting","name":"backend",' "$2.full" >"$2"
	grep -q '^{"type":"setting","name":"backend",' "$2.full" ||
	    fail "$1: no backend in the export"
}

# ---- convert in every direction
"$MKSTORE" -t "$T/bdb" || exit 99
"$VUDBADM" -d "$T/bdb" user add --no-password long-local-part.with.dots@pc1.example &&
    "$VUDBADM" -d "$T/bdb" domain add "stra$(printf '\303\237')e.example" &&
    "$VUDBADM" -d "$T/bdb" set mail_base /srv/mail || fail "setup"
export_nb "$T/bdb" "$T/e0"
P1="pgsql:$PG_CONN dbname=conv1"
P2="pgsql:$PG_CONN dbname=conv2"
"$VUDBADM" convert "$T/bdb" "$P1" || fail "convert bdb -> pgsql"
export_nb "$P1" "$T/e1"
cmp -s "$T/e0" "$T/e1" || { fail "bdb -> pgsql differs"; diff "$T/e0" "$T/e1" | head; }
if grep -q '^#define WITH_LMDB 1' "$builddir/config.h"; then
	"$VUDBADM" convert "$P1" "lmdb:$T/lmdb" || fail "convert pgsql -> lmdb"
	export_nb "lmdb:$T/lmdb" "$T/e2"
	cmp -s "$T/e0" "$T/e2" || fail "pgsql -> lmdb differs"
	"$VUDBADM" convert "lmdb:$T/lmdb" "$P2" || fail "convert lmdb -> pgsql"
	export_nb "$P2" "$T/e3"
	cmp -s "$T/e0" "$T/e3" || fail "lmdb -> pgsql differs"
fi
"$VUDBADM" convert "$P1" "bdb:$T/bdb2" || fail "convert pgsql -> bdb"
export_nb "$T/bdb2" "$T/e4"
cmp -s "$T/e0" "$T/e4" || fail "pgsql -> bdb differs"
# into a store that exists: refused (73), nothing changed
"$VUDBADM" convert "$T/bdb" "$P1" >/dev/null 2>&1
[ $? -eq 73 ] || fail "convert into an existing pgsql store: not 73"
export_nb "$P1" "$T/e5"
cmp -s "$T/e0" "$T/e5" || fail "the existing store changed"
"$VUDBADM" -d "$P1" verify >/dev/null || fail "verify pgsql"

# ---- one domain, one schema: pg_dump -n
s1=$(PG_DB=conv1 pg_psql "SELECT schema FROM vudb.domains WHERE name = 'pc1.example'")
"$PG_BIN/pg_dump" -h "$PG_DIR" -U vudb -n "$s1" -d conv1 >"$T/dump.sql" ||
    fail "pg_dump -n $s1"
grep -q "CREATE TABLE $s1.records" "$T/dump.sql" || fail "the dump lacks $s1.records"
grep -q "pc2_example" "$T/dump.sql" && fail "the dump of $s1 holds another domain"

# ---- the real postmap against vudb-mapd on a pgsql: store
if command -v postmap >/dev/null 2>&1; then
	P=$($PYTHON -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])') || exit 99
	mkdir -p "$T/pf"
	cat >"$T/pf/main.cf" <<EOT
compatibility_level = 3.6
queue_directory = $T/spool
data_directory = $T/data
EOT
	"$MAPD" -f -d "$P1" -w 2 -l "socketmap:unix:$T/m.sock" \
	    -l "socketmap:inet:127.0.0.1:$P" >"$T/mapd.log" 2>&1 &
	MAPD_PID=$!
	i=0
	while ! [ -S "$T/m.sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	sleep 0.5
	for spec in "socketmap:unix:$T/m.sock" "socketmap:inet:127.0.0.1:$P"; do
		out=$(postmap -c "$T/pf" -q matsui@pc1.example "$spec:mailbox" 2>&1)
		[ "$out" = "pc1.example/matsui/Maildir/" ] ||
		    fail "postmap $spec: '$out'"
		out=$(postmap -c "$T/pf" -q nobody@nosuch.example "$spec:mailbox" 2>&1)
		[ $? -eq 1 ] && [ -z "$out" ] || fail "postmap $spec, unknown: '$out'"
	done
	# a user added by another program: the next query finds it
	"$VUDBADM" -d "$P1" user add --no-password fresh@pc1.example || fail "add"
	out=$(postmap -c "$T/pf" -q fresh@pc1.example "socketmap:unix:$T/m.sock:mailbox" 2>&1)
	[ "$out" = "pc1.example/fresh/Maildir/" ] || fail "postmap, new user: '$out'"
else
	echo "no postmap: its part skipped"
fi

echo "pgsql-convert: $FAILED failed"
[ "$FAILED" -eq 0 ]
