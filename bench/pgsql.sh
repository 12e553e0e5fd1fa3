#!/bin/sh
# pgsql.sh - the PostgreSQL benchmark (make bench), in a private cluster
# started as the tests start theirs (tests/pg.sh: unix sockets only, run
# as "nobody" when started by root).  A pgsql: store of USERS users
# (default 20,000, PG_BENCH_USERS) in one domain, made by mkstore, then:
#  - bench_pgsql: vudb_lookup() of the mailbox map against a bare libpq
#    PQexecPrepared of the same records (RATIO lookup.vudb-pgsql/pq_get);
#  - vudb-mapd on the store against echod, the fixed-reply server, with
#    the same load client and 16 connections over TCP (tcp_table), best
#    of ROUNDS each (RATIO mapd_pgsql/echo.tcp.c16, with the answer cache
#    warm; RATIO mapd_pgsql.nocache/echo.tcp.c16, with lookup_cache_size
#    0: a round trip a lookup), as adapters/postfix/bench/bench.sh
#    measures the embedded stores;
#  - a hot standby of the cluster (pg_basebackup): bench_pgsql again,
#    reading the standby (names ending in ".standby").
# Skipped, with a line that says why, when the backend is not compiled in
# or PostgreSQL's server programs are not installed.
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.

srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
USERS=${PG_BENCH_USERS:-20000}
SECS=${MAPD_BENCH_SECONDS:-2}
ROUNDS=${MAPD_BENCH_ROUNDS:-3}
B=$builddir/adapters/postfix/bench
MAPD=$builddir/adapters/postfix/vudb-mapd
BP=$builddir/bench/bench_pgsql

. "$srcdir/tests/pg.sh"
if ! grep -q '^#define WITH_PGSQL 1' "$builddir/config.h" 2>/dev/null; then
	echo "SKIP pgsql bench: the PostgreSQL backend is not compiled in"
	exit 0
fi
if ! PG_BIN=$(pg_bindir); then
	echo "SKIP pgsql bench: PostgreSQL's server programs are not installed"
	exit 0
fi
export PG_BIN

T=
PIDS=
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	pg_stop
	[ -n "$T" ] && rm -rf "$T"
}
pg_start || exit 1
trap cleanup EXIT
trap 'cleanup; trap - EXIT; exit 1' INT TERM
T=$(mktemp -d "${TMPDIR:-/tmp}/vudb-pgbench.XXXXXX") || exit 1
S="pgsql:$PG_CONN dbname=bench"

echo "pgsql: PostgreSQL $("$PG_BIN/postgres" -V | awk '{ print $3 }'), a store of $USERS users"
"$builddir/tools/vudbadm/vudbadm" -d "$S" init || exit 1
s=$(date +%s.%N)
"$builddir/adapters/postfix/tests/mkstore" -n "$USERS" "$S" || exit 1
e=$(date +%s.%N)
echo "$s $e" | awk -v n="$USERS" \
    '{ printf "BENCH build.rate.pgsql %.0f users/s\n", n / ($2 - $1) }'

"$BP" "$S" "$USERS" || exit 1

# vudb-mapd on the store against the fixed-reply server, 16 connections
SRV= CLI=
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	SRV="taskset -c 1" CLI="taskset -c 0"
fi
free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_port() {
	i=0
	until python3 -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$1" \
	    2>/dev/null || [ $i -ge 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
}
PE=$(free_port)
# shellcheck disable=SC2086
$SRV "$B/echod" tcp "inet:127.0.0.1:$PE" &
PIDS="$PIDS $!"
wait_port "$PE"
# mapd_rounds NAME: vudb-mapd on the store against echod, best of ROUNDS;
# with the answer cache, the first round fills it (every key once) and the
# best round is a warm one
mapd_rounds() {
	name=$1		# set -- below takes the positional parameters
	PM=$(free_port)
	# shellcheck disable=SC2086
	$SRV "$MAPD" -f -w 1 -c 10000 -d "$S" \
	    -l "tcp:mailbox:inet:127.0.0.1:$PM" 2>>"$T/mapd.log" &
	MPID=$!
	wait_port "$PM"
	bm=0 be=0 r=0
	while [ $r -lt "$ROUNDS" ]; do
		# shellcheck disable=SC2086
		set -- $($CLI "$B/loadc" tcp "inet:127.0.0.1:$PM" 16 "$SECS" \
		    "$USERS" || echo "RESULT 0 0 0 1")
		if [ "$2" -gt "$bm" ]; then bm=$2 mp50=$3 mp99=$4; fi
		[ "$5" = 0 ] || echo "warning: $5 bad replies from vudb-mapd"
		# shellcheck disable=SC2086
		set -- $($CLI "$B/loadc" tcp "inet:127.0.0.1:$PE" 16 "$SECS" \
		    "$USERS" || echo "RESULT 0 0 0 1")
		if [ "$2" -gt "$be" ]; then be=$2 ep50=$3 ep99=$4; fi
		r=$((r + 1))
	done
	kill "$MPID" 2>/dev/null
	wait "$MPID" 2>/dev/null
	echo "BENCH mapd_pgsql$name.tcp.c16 $bm req/s"
	echo "BENCH mapd_pgsql$name.tcp.c16.p50 $mp50 us"
	echo "BENCH mapd_pgsql$name.tcp.c16.p99 $mp99 us"
	echo "BENCH echo$name.tcp.c16 $be req/s"
	awk -v a="$bm" -v b="$be" -v n="$name" 'BEGIN {
	    printf "RATIO mapd_pgsql%s/echo.tcp.c16 %.2f\n", n,
	    (b > 0 ? a / b : 0) }'
}
# with the answer cache (the default), then every lookup a round trip
mapd_rounds ""
"$builddir/tools/vudbadm/vudbadm" -d "$S" set lookup_cache_size 0 >/dev/null &&
    mapd_rounds .nocache
for p in $PIDS; do kill "$p" 2>/dev/null; done
for p in $PIDS; do wait "$p" 2>/dev/null; done
PIDS=

# a reader of a hot standby
pg_standby || exit 1
SB="pgsql:$PG_SB_CONN dbname=bench"
i=0
until "$builddir/tools/vudbadm/vudbadm" -d "$SB" lookup mailbox \
    "u$((USERS - 1))@bench.example" >/dev/null 2>&1 || [ $i -ge 100 ]; do
	sleep 0.1; i=$((i + 1))
done
"$BP" -s .standby "$SB" "$USERS" || exit 1
if grep -q 'warning\|fatal' "$T/mapd.log"; then
	echo "vudb-mapd log:"; cat "$T/mapd.log"
fi
exit 0
