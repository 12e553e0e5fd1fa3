#!/bin/sh
# bench.sh - the vudb-mapd benchmark (make bench).  Against a store of
# USERS users (default 100,000), vudb-mapd answers mailbox lookups of random
# existing users, and echod, a fixed-reply epoll server (the baseline),
# answers "200 x"; the same load client (loadc: N connections, one request
# in flight on each) drives both in the same run, alternately, ROUNDS times
# (default 3), keeping the best of each: 1, 16 and 64 connections over TCP
# and over a unix socket, tcp_table and socketmap.  Then the real Postfix
# client, postmap -q - with 100,000 keys on one connection, against both;
# the figures of vudb-mapd are with its answer cache warm (keys asked
# again), and the postmap one also cold (every key once, just started).
#
# The machine may have only 2 cores: by default the servers run on CPU 1
# and the clients on CPU 0 (taskset; MAPD_BENCH_PIN=0 turns that off), and
# vudb-mapd runs with -w 1 for the ratios; -w 2 (unpinned, so it shares the
# cores with the client) is measured as well.
#
# Output: BENCH and RATIO lines (DESIGN.md), throughput ours/echo.
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.

srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
USERS=${MAPD_BENCH_USERS:-100000}
SECS=${MAPD_BENCH_SECONDS:-2}
ROUNDS=${MAPD_BENCH_ROUNDS:-3}
KEYS=${MAPD_BENCH_KEYS:-100000}
P=20900
B=$builddir/adapters/postfix/bench
MAPD=$builddir/adapters/postfix/vudb-mapd

T=$(mktemp -d "${TMPDIR:-/tmp}/vudb-mapd-bench.XXXXXX") || exit 1
PIDS=
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

SRV= CLI=
if [ "${MAPD_BENCH_PIN:-1}" != 0 ] && command -v taskset >/dev/null &&
    [ "$(nproc)" -ge 2 ]; then
	SRV="taskset -c 1" CLI="taskset -c 0"
	echo "pinned: servers on CPU 1, clients on CPU 0 ($(nproc) CPUs)"
fi

wait_port() {
	i=0
	until python3 -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$1" \
	    2>/dev/null || [ $i -ge 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
}

echo "building a store of $USERS users"
"$builddir/adapters/postfix/tests/mkstore" -n "$USERS" "$T/store" || exit 1

# start_servers WORKERS PIN [STORE]: vudb-mapd and echod, tcp_table and
# socketmap, on TCP and unix sockets
start_servers() {
	pin=$2
	# shellcheck disable=SC2086
	$pin "$MAPD" -f -w "$1" -c 10000 -d "${3:-$T/store}" \
	    -l tcp:mailbox:inet:127.0.0.1:$P -l "tcp:mailbox:unix:$T/m.sock" \
	    -l socketmap:inet:127.0.0.1:$((P + 1)) 2>>"$T/mapd.log" &
	MPID=$!
	# shellcheck disable=SC2086
	$pin "$B/echod" tcp inet:127.0.0.1:$((P + 2)) &
	E1=$!
	# shellcheck disable=SC2086
	$pin "$B/echod" tcp "unix:$T/e.sock" &
	E2=$!
	# shellcheck disable=SC2086
	$pin "$B/echod" socketmap inet:127.0.0.1:$((P + 3)) &
	E3=$!
	PIDS="$MPID $E1 $E2 $E3"
	for p in $P $((P + 1)) $((P + 2)) $((P + 3)); do wait_port $p; done
}
stop_servers() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	PIDS=
}

# load PROTO EP CONNS: best of ROUNDS is kept by the caller
load() {
	# shellcheck disable=SC2086
	$CLI "$B/loadc" "$1" "$2" "$3" "$SECS" "$USERS" $ANY ||
	    echo "RESULT 0 0 0 1"
}
ANY=

# duel NAME PROTO MAPD_EP ECHO_EP CONNS [LABEL [ECHO_LABEL]]: alternate
# rounds, keep the best throughput of each, print BENCH and RATIO lines
duel() {
	name=$1 proto=$2 mep=$3 eep=$4 c=$5 label=${6:-mapd} elabel=${7:-echo}
	bm=0 be=0
	r=0
	while [ $r -lt "$ROUNDS" ]; do
		set -- $(load "$proto" "$mep" "$c")
		if [ "$2" -gt "$bm" ]; then bm=$2 mp50=$3 mp99=$4; fi
		[ "$5" = 0 ] || echo "warning: $5 bad replies from vudb-mapd"
		set -- $(load "$proto" "$eep" "$c")
		if [ "$2" -gt "$be" ]; then be=$2 ep50=$3 ep99=$4; fi
		r=$((r + 1))
	done
	echo "BENCH $label.$name $bm req/s"
	echo "BENCH $label.$name.p50 $mp50 us"
	echo "BENCH $label.$name.p99 $mp99 us"
	echo "BENCH $elabel.$name $be req/s"
	echo "BENCH $elabel.$name.p50 $ep50 us"
	echo "BENCH $elabel.$name.p99 $ep99 us"
	awk -v a="$bm" -v b="$be" -v n="$label/$elabel.$name" \
	    'BEGIN { printf "RATIO %s %.2f\n", n, (b > 0 ? a / b : 0) }'
	LAST=$bm
}

start_servers 1 "$SRV"
for c in 1 16 64; do
	duel tcp.c$c tcp inet:127.0.0.1:$P inet:127.0.0.1:$((P + 2)) $c
	if [ $c = 16 ]; then BDB_C16=$LAST; fi
done
for c in 1 16 64; do
	duel unix.c$c tcp "unix:$T/m.sock" "unix:$T/e.sock" $c
done
duel socketmap.tcp.c16 socketmap inet:127.0.0.1:$((P + 1)) \
    inet:127.0.0.1:$((P + 3)) 16

# the real Postfix client: postmap -q - over one connection, bulk
mkdir -p "$T/pf"
printf 'compatibility_level = 3.6\n' > "$T/pf/main.cf"
awk -v n="$KEYS" -v u="$USERS" 'BEGIN { srand(42);
    for (i = 0; i < n; i++) printf "u%d@bench.example\n", int(rand() * u) }' \
    > "$T/keys"
found=$(postmap -c "$T/pf" -q - tcp:127.0.0.1:$P < "$T/keys" | wc -l)
[ "$found" -eq "$KEYS" ] ||
    echo "warning: postmap got $found answers for $KEYS keys"
# pm PORT: seconds for the bulk query
pm() {
	s=$(date +%s.%N)
	# shellcheck disable=SC2086
	$CLI postmap -c "$T/pf" -q - tcp:127.0.0.1:$1 < "$T/keys" >/dev/null
	e=$(date +%s.%N)
	echo "$s $e" | awk '{ printf "%.3f", $2 - $1 }'
}
PMROUNDS=$((ROUNDS < 5 ? 5 : ROUNDS))
# postmap_duel LABEL: alternate bulk runs against vudb-mapd and the echo
# server, keep the best of each, print BENCH and RATIO lines
postmap_duel() {
	bm=999999 be=999999
	r=0
	while [ $r -lt "$PMROUNDS" ]; do
		t=$(pm $P)
		bm=$(echo "$t $bm" | awk '{ print ($1 < $2) ? $1 : $2 }')
		t=$(pm $((P + 2)))
		be=$(echo "$t $be" | awk '{ print ($1 < $2) ? $1 : $2 }')
		r=$((r + 1))
	done
	awk -v m="$bm" -v e="$be" -v k="$KEYS" -v l="$1" 'BEGIN {
	    printf "BENCH %s.postmap %.0f lookups/s\n", l, k / m
	    printf "BENCH echo.postmap %.0f lookups/s\n", k / e
	    printf "RATIO %s/echo.postmap %.2f\n", l, e / m }'
}
postmap_duel mapd
stop_servers

# cold: a vudb-mapd just started, its answer cache empty, asked every key
# once (the warm figures above ask keys again, as a mail server does)
awk -v u="$USERS" 'BEGIN { srand(7); for (i = 0; i < u; i++) k[i] = i
    for (i = u - 1; i > 0; i--) { j = int(rand() * (i + 1)); t = k[i]
	k[i] = k[j]; k[j] = t }
    for (i = 0; i < u; i++) printf "u%d@bench.example\n", k[i] }' \
    > "$T/keys.once"
start_servers 1 "$SRV"
s=$(date +%s.%N)
# shellcheck disable=SC2086
$CLI postmap -c "$T/pf" -q - tcp:127.0.0.1:$P < "$T/keys.once" >/dev/null
e=$(date +%s.%N)
bm=$(echo "$s $e" | awk '{ printf "%.3f", $2 - $1 }')
be=999999
for r in 1 2 3; do
	s=$(date +%s.%N)
	# shellcheck disable=SC2086
	$CLI postmap -c "$T/pf" -q - tcp:127.0.0.1:$((P + 2)) \
	    < "$T/keys.once" >/dev/null
	e=$(date +%s.%N)
	be=$(echo "$s $e $be" | awk '{ t = $2 - $1; print (t < $3) ? t : $3 }')
done
awk -v m="$bm" -v e="$be" -v k="$USERS" 'BEGIN {
    printf "BENCH mapd.postmap.cold %.0f lookups/s\n", k / m
    printf "RATIO mapd/echo.postmap.cold %.2f\n", e / m }'
stop_servers

# -w 2, unpinned: two workers share the 2 cores with the client
start_servers 2 ""
SAVE=$CLI; CLI=
for c in 16 64; do
	duel tcp.c$c tcp inet:127.0.0.1:$P inet:127.0.0.1:$((P + 2)) $c \
	    mapd_w2 echo_unpinned
done
CLI=$SAVE
stop_servers

# the server's own cost: the same keys against a store without their
# domain, so that every lookup is a quick "not found"
"$builddir/adapters/postfix/tests/mkstore" -t "$T/empty" || exit 1
start_servers 1 "$SRV" "$T/empty"
ANY=any
duel tcp.c16 tcp inet:127.0.0.1:$P inet:127.0.0.1:$((P + 2)) 16 \
    mapd_notfound
ANY=
stop_servers

# the same with the LMDB backend, when it is compiled in
if "$builddir/adapters/postfix/tests/mkstore" -n "$USERS" "lmdb:$T/lmdb" \
    2>/dev/null; then
	start_servers 1 "$SRV" "lmdb:$T/lmdb"
	duel tcp.c16 tcp inet:127.0.0.1:$P inet:127.0.0.1:$((P + 2)) 16 \
	    mapd_lmdb
	# the two backends behind the same server, same load
	awk -v a="$LAST" -v b="$BDB_C16" 'BEGIN {
	    printf "RATIO mapd.lmdb/mapd.bdb %.2f\n", (b > 0 ? a / b : 0) }'
	postmap_duel mapd_lmdb
	stop_servers
fi
if grep -q 'warning\|fatal' "$T/mapd.log"; then
	echo "vudb-mapd log:"; cat "$T/mapd.log"
fi
exit 0
