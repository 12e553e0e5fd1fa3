#!/bin/sh
# cprestore.sh - a domain file restored by cp over itself under readers
# (tests/cprestore.c): never "not found" for a user who exists, and no
# reader writes into the file.  On every embedded backend compiled in.
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
builddir=${top_builddir:-.}
ADM=$builddir/tools/vudbadm/vudbadm
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vudbcp.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
i=0
while [ $i -lt 30 ]; do
	printf 'u%02d@s.example:{PLAIN}pw%d::::::\n' $i $i
	i=$((i + 1))
done > "$tmp/users"
status=0 ran=0
for be in lmdb bdb; do
	grep -q "^#define WITH_$(echo $be | tr a-z A-Z) 1" \
	    "$builddir/config.h" 2>/dev/null || continue
	echo "== $be"
	S=$tmp/$be
	$ADM -d "$be:$S" init >/dev/null &&
	    $ADM -d "$S" import --format passwd-file "$tmp/users" >/dev/null ||
	    { echo "store set-up failed"; exit 99; }
	f=$(ls "$S"/domains/s.example.* | grep -v -e '-lock$' | head -1)
	"$builddir/tests/cprestore" "$be:$S" "$f" "${CPRESTORE_ROUNDS:-150}" ||
	    status=1
	$ADM -d "$S" verify >/dev/null || { echo "verify failed"; status=1; }
	ran=1
done
[ $ran -eq 1 ] || exit 77
exit $status
