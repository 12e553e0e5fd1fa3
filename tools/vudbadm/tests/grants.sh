#!/bin/sh
# grants.sh - send-as grants made at the same time are all kept.  A grant
# reads the logins already granted and writes them back with more; done
# by vudbadm in separate calls, two at once could each write over the
# other's (and on Berkeley DB the second writer crashed).  Two vudbadm
# processes grant different logins to one address many times, and then
# revoke them, on every compiled backend: none is lost, none is left.
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.

. "${top_srcdir:-.}/tools/vudbadm/tests/common.sh"
N=${GRANTS_N:-40}

# every compiled embedded backend; only the one under test when a suite
# runs the vudbadm tests on one (lmdb-programs.sh, pgsql-programs.sh)
if [ -n "${VUDB_TEST_PG:-}" ]; then
	backends=pgsql
elif [ -n "${VUDB_BACKEND:-}" ]; then
	backends=$VUDB_BACKEND
else
	backends=bdb
	grep -q '^#define WITH_LMDB 1' "$builddir/config.h" 2>/dev/null &&
	    backends="$backends lmdb"
fi

# granter WHO VERB - N "sender VERB" calls, one login each; a failure
# is written to $T/failed.WHO
granter() {
	i=0
	while [ "$i" -lt "$N" ]; do
		v sender "$2" info@pc1.example "$1-$i@pc2.example" \
		    >/dev/null 2>>"$T/failed.$1" || echo "exit $?" >>"$T/failed.$1"
		i=$((i + 1))
	done
}

# run VERB - both granters at once; both must have succeeded every time
run() {
	rm -f "$T/failed.a" "$T/failed.b"
	granter a "$1" &
	pa=$!
	granter b "$1" &
	pb=$!
	wait "$pa" "$pb"
	nchecks=$((nchecks + 1))
	if [ -s "$T/failed.a" ] || [ -s "$T/failed.b" ]; then
		fail_check "$be: sender $1 failed: $(cat "$T/failed.a" \
		    "$T/failed.b" 2>/dev/null | head -5)"
	fi
}

for be in $backends; do
	case $be in
	pgsql)	S="pgsql:$VUDB_TEST_PG dbname=${T##*/}" ;;
	*)	S=$T/$be ;;
	esac
	VUDB_BACKEND=$be mkstore >/dev/null || exit 99
	v domain add pc1.example || exit 99
	v domain add pc2.example || exit 99

	run grant
	t 0 -d "$S" --json sender list info@pc1.example
	js "len(d['attrs']['logins']) == 2 * $N" \
	    "all(('%s-%d@pc2.example' % (w, i)) in d['attrs']['logins'] for w in 'ab' for i in range($N))"

	run revoke
	t 67 -d "$S" sender list info@pc1.example
	t 0 -d "$S" verify
done
done_testing
