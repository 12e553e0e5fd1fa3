#!/bin/sh
# stale.sh - no reader answers from before an acknowledged write
# (tests/stale.c), on every embedded backend compiled in: 1,000,000
# lookups each by two cached readers while a writer commits.
builddir=${top_builddir:-.}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vudbstale.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
status=0 ran=0
for be in bdb lmdb; do
	grep -q "^#define WITH_$(echo $be | tr a-z A-Z) 1" \
	    "$builddir/config.h" 2>/dev/null || continue
	echo "== $be"
	"$builddir/tests/stale" "$be:$tmp/$be" "${STALE_LOOKUPS:-1000000}" ||
	    status=1
	ran=1
done
[ $ran -eq 1 ] || exit 77
exit $status
