#!/bin/sh
# e2e-lmdb.sh - the end-to-end test (e2e.sh) on an LMDB store.  Skipped
# (77) when the LMDB backend is not compiled in.
if ! grep -q '^#define WITH_LMDB 1' "${top_builddir:-.}/config.h" 2>/dev/null; then
	echo "LMDB backend not compiled in"; exit 77
fi
VUDB_TEST_BACKEND=lmdb exec sh "${top_srcdir:-.}/tests/e2e.sh"
