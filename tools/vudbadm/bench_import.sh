#!/bin/sh
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# bench_import.sh - how fast "vudbadm import" loads a store: 1,000,000
# users with prepared hashes across 1,000 domains, from a JSON Lines file
# made by bench_gen.py, into a new store in $TMPDIR.  The time is the
# whole command: reading and checking the file, then one batch
# (transaction) per domain.  Afterwards the counts are checked.  Prints
#	BENCH import.rate R users/s
# BENCH_IMPORT_USERS and BENCH_IMPORT_DOMAINS change the sizes.
set -e
srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
vudbadm=$builddir/tools/vudbadm/vudbadm
users=${BENCH_IMPORT_USERS:-1000000}
domains=${BENCH_IMPORT_DOMAINS:-1000}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vudb-bench-import.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

python3 "$srcdir/tools/vudbadm/bench_gen.py" "$domains" "$users" \
    >"$tmp/in.jsonl"
"$vudbadm" -d "$tmp/store" init
start=$(date +%s.%N)
"$vudbadm" -d "$tmp/store" import "$tmp/in.jsonl" >/dev/null
end=$(date +%s.%N)
got=$("$vudbadm" -d "$tmp/store" --json stats |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["users"], d["domains"], d["store_bytes"])')
set -- $got
if [ "$1" != "$users" ] || [ "$2" != "$domains" ]; then
	echo "bench_import: store holds $1 users in $2 domains," \
	    "expected $users in $domains" >&2
	exit 1
fi
awk -v s="$start" -v e="$end" -v u="$users" -v d="$domains" -v b="$3" \
    'BEGIN {
	t = e - s
	printf "import: %d users in %d domains in %.2f s, store %.0f MiB\n",
	    u, d, t, b / 1048576
	printf "BENCH import.rate %.0f users/s\n", u / t
    }'
