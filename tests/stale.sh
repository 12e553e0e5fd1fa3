#!/bin/sh
# stale.sh - no reader answers from before an acknowledged write
# (tests/stale.c), on every embedded backend compiled in: 1,000,000
# lookups by two cached readers while a writer commits; then again with
# two threads in each reader process, each with its handle, sharing the
# process's answer cache (as vudb-mapd -w 2).
builddir=${top_builddir:-.}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vudbstale.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
status=0 ran=0
for be in bdb lmdb; do
	grep -q "^#define WITH_$(echo $be | tr a-z A-Z) 1" \
	    "$builddir/config.h" 2>/dev/null || continue
	for threads in 1 2; do
		echo "== $be, $threads thread(s) a reader"
		rm -rf "$tmp/$be"
		"$builddir/tests/stale" "$be:$tmp/$be" \
		    "${STALE_LOOKUPS:-1000000}" $threads || status=1
	done
	ran=1
done
[ $ran -eq 1 ] || exit 77
exit $status
