#!/bin/sh
# pgsql-programs.sh - the vudbadm tests and vudb-mapd's abuse test again,
# on pgsql: stores (each
# test's store a database of one private cluster, tests/pg.sh).  Skipped
# (77) when the backend is not compiled in or PostgreSQL is not installed.
srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
. "$srcdir/tests/pg.sh"
pg_require
pg_start || exit 99
VUDB_TEST_PG=$PG_CONN; export VUDB_TEST_PG
# the same scripts run at the same time on Berkeley DB and LMDB: other ports
VUDB_TEST_PORT_OFFSET=700; export VUDB_TEST_PORT_OFFSET
out=$(mktemp "${TMPDIR:-/tmp}/vudb-pgprog.XXXXXX") || exit 99
trap 'rm -f "$out"; pg_stop' EXIT
checks=0 failed=0 status=0
for t in ${PGSQL_PROGRAMS:-tools/vudbadm/tests/basic.sh tools/vudbadm/tests/user.sh \
    tools/vudbadm/tests/alias.sh tools/vudbadm/tests/rename.sh \
    tools/vudbadm/tests/import.sh tools/vudbadm/tests/misc.sh \
    tools/vudbadm/tests/grants.sh adapters/postfix/tests/abuse.sh}; do
	sh "$srcdir/$t" >"$out" 2>&1
	rc=$?
	line=$(grep -E '^([A-Za-z0-9_. ()-]+: )?[0-9]+ (checks|passed), [0-9]+ failed' "$out" | tail -n 1)
	c=$(echo "$line" | sed -E 's/^(.*: )?([0-9]+) (checks|passed), ([0-9]+) failed.*/\2/')
	f=$(echo "$line" | sed -E 's/^(.*: )?([0-9]+) (checks|passed), ([0-9]+) failed.*/\4/')
	[ -n "$c" ] || { c=1; [ $rc -eq 0 ] && f=0 || f=1; }
	case $line in *passed*) c=$((c + f)) ;; esac
	[ $rc -eq 0 ] || { [ "$f" -gt 0 ] || f=1; status=1; cat "$out"; }
	echo "$t (pgsql): $c checks, $f failed"
	checks=$((checks + c)); failed=$((failed + f))
done
echo "pgsql-programs: $checks checks, $failed failed"
exit $status
