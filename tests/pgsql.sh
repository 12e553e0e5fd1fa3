#!/bin/sh
# pgsql.sh - the backend-independent suites again, on pgsql: stores in a
# private PostgreSQL cluster (tests/pg.sh): the backend contract, the
# lookup semantics and the public API.  Skipped (77) when the backend is
# not compiled in or PostgreSQL is not installed.
builddir=${top_builddir:-.}
. "${top_srcdir:-.}/tests/pg.sh"
pg_require
pg_start || exit 1
VUDB_TEST_BACKEND=pgsql; export VUDB_TEST_BACKEND
VUDB_TEST_PG=$PG_CONN; export VUDB_TEST_PG
status=0
for t in check_backend check_lookup check_api; do
	"$builddir/tests/$t" || status=1
done
exit $status
