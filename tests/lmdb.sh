#!/bin/sh
# lmdb.sh - the backend-independent suites again, on LMDB stores: the
# lookup semantics, the public API and the crash test.  Skipped (77) when
# the LMDB backend is not compiled in.
builddir=${top_builddir:-.}
if ! grep -q '^#define WITH_LMDB 1' "$builddir/config.h" 2>/dev/null; then
	echo "LMDB backend not compiled in"; exit 77
fi
VUDB_TEST_BACKEND=lmdb; export VUDB_TEST_BACKEND
status=0
for t in check_lookup check_api; do
	"$builddir/tests/$t" || status=1
done
CRASH_ROUNDS=${CRASH_ROUNDS:-20} sh "${top_srcdir:-.}/tests/crash.sh" || status=1
exit $status
