#!/bin/sh
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# scale.sh - make bench-scale: does libvudb keep its pace with many
# domains?  Builds, in one run, a "scale" store of 10,000 domains of 100
# users (d<N>.bench.example, user<K>@d<N>.bench.example), a "onefile"
# store of one domain holding as many users (1,000,000: the same data in
# one file, so that scale/onefile is the cost of the number of domains
# alone) and a "small" store of one domain of 1,000 users, all imported by
# vudbadm from JSON Lines made by tools/vudbadm/bench_gen.py (prepared
# hashes), with the same settings, and compares them:
#
#	BENCH scale.import R users/s		vudbadm import alone, timed
#	BENCH scale.store B bytes/user		du -sb of STORE/domains
#	BENCH scale.verify S s			vudbadm verify of the store
#	BENCH scale.lookup R lookups/s		bench_scale: vudb_lookup() in
#	BENCH scale.lookup.small R lookups/s	one process, random hits,
#	RATIO scale.lookup/small X		best of ROUNDS, interleaved
#	BENCH scale.lookup.onefile R lookups/s
#	RATIO scale.lookup/onefile X
#	BENCH scale.mapd R req/s		vudb-mapd, tcp_table mailbox
#	BENCH scale.mapd.small R req/s		map, loadc at 16 connections,
#	RATIO scale.mapd/small X		best of ROUNDS, interleaved
#	BENCH scale.mapd.onefile R req/s
#	RATIO scale.mapd/onefile X
#	BENCH scale.mapd.rss M MiB		the scale server afterwards:
#	BENCH scale.mapd.rss_anon M MiB		VmRSS, RssAnon, RssFile +
#	BENCH scale.mapd.rss_file M MiB		RssShmem (Berkeley DB's
#	BENCH scale.mapd.fds N fds		regions), open descriptors
#	BENCH scale.mapd.fd_limit N fds		and their soft limit
#	BENCH scale.checkpw T ms/auth		vudb-checkpassword, one known
#	BENCH scale.checkpw.small T ms/auth	{SHA512-CRYPT} user per store,
#	RATIO scale.checkpw/small X		interleaved rounds (time)
#
# then a summary: those lines again, the machine and the elapsed time.
# Throughput ratios are scale/small (higher is better), the time ratio
# scale/small (lower is better).
#
# Both stores are configured as README's Capacity section tells an
# administrator: after vudbadm init, cache_size is set near the size of
# the scale store's domain files (BENCH_SCALE_CACHE, default 768M) and
# vudbadm recover brings it into force.  max_open_domains keeps its
# default (100,000), so a long-lived reader (vudb-mapd) keeps every domain
# open; the library keeps no more open than half the process's descriptor
# limit: the limit is printed, and a warning when it is too low for every
# domain.  Everything else is left at its default.
#
# vudb-mapd runs with one worker on CPU 1 and the clients on CPU 0
# (taskset, when there are 2 CPUs or more; BENCH_SCALE_PIN=0 turns that
# off), as in adapters/postfix/bench/bench.sh.  Before each timed run
# loadc -W sends one request per domain, in order, so that the server has
# touched every domain.  All data lies in one directory under $TMPDIR
# (about 1.5 GB at the peak), removed at the end; BENCH_SCALE_ONEFILE=no
# leaves the onefile store out.  Sizes and durations
# (defaults in brackets): BENCH_SCALE_DOMAINS [10000],
# BENCH_SCALE_USERS per domain [100], BENCH_SCALE_SMALL_USERS [1000],
# BENCH_SCALE_LOOKUPS per run [500000], BENCH_SCALE_SECONDS per loadc
# run [5], BENCH_SCALE_ROUNDS [3], BENCH_SCALE_CPW_ROUNDS [10] rounds of
# BENCH_SCALE_CPW_PER [20] logins.

srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
DOMAINS=${BENCH_SCALE_DOMAINS:-10000}
PER=${BENCH_SCALE_USERS:-100}
SMALL=${BENCH_SCALE_SMALL_USERS:-1000}
LOOKUPS=${BENCH_SCALE_LOOKUPS:-500000}
SECS=${BENCH_SCALE_SECONDS:-5}
ROUNDS=${BENCH_SCALE_ROUNDS:-3}
CPW_ROUNDS=${BENCH_SCALE_CPW_ROUNDS:-10}
CPW_PER=${BENCH_SCALE_CPW_PER:-20}
CONNS=16
CACHE=${BENCH_SCALE_CACHE:-768M}
LOOKUP_CAP=120		# seconds: stop a pathologically slow lookup run
PASSWORD=bench-scale-secret

vudbadm=$builddir/tools/vudbadm/vudbadm
mapd=$builddir/adapters/postfix/vudb-mapd
helper=$builddir/adapters/dovecot/vudb-checkpassword
bench_scale=$builddir/bench/bench_scale
loadc=$builddir/adapters/postfix/bench/loadc
bench_checkpw=$builddir/adapters/dovecot/bench/bench_checkpw
gen=$srcdir/tools/vudbadm/bench_gen.py

fail() {
	echo "bench-scale: $*" >&2
	exit 1
}

for n in "$DOMAINS" "$PER" "$SMALL" "$LOOKUPS" "$SECS" "$ROUNDS" \
    "$CPW_ROUNDS" "$CPW_PER"; do
	case $n in
	'' | *[!0-9]* | 0) fail "sizes and durations must be positive" \
	    "integers (got \"$n\")" ;;
	esac
done
for p in "$vudbadm" "$mapd" "$helper" "$bench_scale" "$loadc" \
    "$bench_checkpw"; do
	[ -x "$p" ] || fail "$p: not built (make bench-scale builds it)"
done
command -v python3 >/dev/null || fail "python3 is needed"

T0=$(date +%s.%N)
T=$(mktemp -d "${TMPDIR:-/tmp}/vudb-bench-scale.XXXXXX") ||
    fail "cannot make a directory in ${TMPDIR:-/tmp}"
PIDS=
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	PIDS=
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

SCALE=$T/scale
SMALLS=$T/small
ONE=$T/onefile
ONEFILE=${BENCH_SCALE_ONEFILE:-yes}
SUMMARY=$T/summary
: >"$SUMMARY"
USERS=$((DOMAINS * PER))
# the user whose password is timed: user7 of domain 4242 of the scale
# store (or of its middle domain, if smaller), user7 of the small one
CPW_DOM=4242
[ "$DOMAINS" -gt "$CPW_DOM" ] || CPW_DOM=$((DOMAINS / 2))
CPW_K=7
[ "$PER" -gt "$CPW_K" ] || CPW_K=0
CPW_SCALE=user$CPW_K@d$CPW_DOM.bench.example
CPW_K=7
[ "$SMALL" -gt "$CPW_K" ] || CPW_K=0
CPW_SMALL=user$CPW_K@d0.bench.example

# out LINE: print a BENCH or RATIO line and keep it for the summary
out() {
	echo "$*"
	echo "$*" >>"$SUMMARY"
}

# calc AWK-EXPRESSION [VAR=VALUE ...]: print the value
calc() {
	e=$1
	shift
	awk "$@" "BEGIN { print $e }"
}

now() {
	date +%s.%N
}

# max A B: the greater of two numbers
max() {
	calc '(a + 0 > b + 0) ? a : b' -v a="$1" -v b="$2"
}

# free_port: a TCP port of 127.0.0.1 that is free now
free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# wait_port PORT PID: until a server listens on PORT (at most 20 s)
wait_port() {
	i=0
	until python3 -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' \
	    "$1" 2>/dev/null; do
		kill -0 "$2" 2>/dev/null ||
		    fail "vudb-mapd (pid $2) exited: see the log above"
		i=$((i + 1))
		[ $i -lt 200 ] || fail "vudb-mapd does not listen on port $1"
		sleep 0.1
	done
}

# stop PID: stop a server started by this script and check its status
stop() {
	kill "$1" 2>/dev/null
	wait "$1"
	st=$?
	PIDS=$(echo " $PIDS " | sed "s/ $1 / /; s/^ *//; s/ *$//")
	[ $st -eq 0 ] || fail "vudb-mapd (pid $1) exited with status $st"
}

echo "bench-scale: scale store $DOMAINS domains x $PER users," \
    "small store 1 domain x $SMALL users, in $T"
free=$(df -Pk "$T" | awk 'NR == 2 { print $4 }')
need=$((USERS * 11 / 10 + 100000))	# KiB: input file + store
[ "$ONEFILE" = no ] || need=$((need + USERS * 6 / 10))
if [ -n "$free" ] && [ "$free" -lt "$need" ]; then
	fail "$T: $free KiB free, about $need KiB needed"
fi

# --------------------------------------------------------------- import
# build NAME STORE DOMAINS USERS: make a store, import DOMAINS domains of
# USERS users in all, check the counts; sets RATE (users/s)
build() {
	name=$1 store=$2 nd=$3 nu=$4
	python3 "$gen" "$nd" "$nu" >"$T/in.jsonl" ||
	    fail "$name: bench_gen.py failed"
	"$vudbadm" -d "$store" init >/dev/null || fail "$name: init failed"
	"$vudbadm" -d "$store" set cache_size "$CACHE" 2>/dev/null ||
	    fail "$name: set cache_size failed"
	"$vudbadm" -d "$store" recover || fail "$name: recover failed"
	s=$(now)
	"$vudbadm" -d "$store" import "$T/in.jsonl" >"$T/import.out" ||
	    { cat "$T/import.out"; fail "$name: import failed"; }
	e=$(now)
	rm -f "$T/in.jsonl"
	got=$("$vudbadm" -d "$store" --json stats | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["users"], d["domains"])') || fail "$name: stats failed"
	# shellcheck disable=SC2086
	set -- $got
	[ "$1" = "$nu" ] && [ "$2" = "$nd" ] ||
	    fail "$name: the store holds $1 users in $2 domains," \
		"expected $nu in $nd"
	RATE=$(calc 'sprintf("%.6f", u / (e - s))' -v u="$nu" -v s="$s" \
	    -v e="$e")
	calc 'sprintf("import %s: %d users in %d domain%s in %.2f s: %.0f users/s", n, u, d, d == 1 ? "" : "s", e - s, u / (e - s))' \
	    -v n="$name" -v u="$nu" -v d="$nd" -v s="$s" -v e="$e"
}

build scale "$SCALE" "$DOMAINS" "$USERS"
out "$(calc 'sprintf("BENCH scale.import %.0f users/s", r)' -v r="$RATE")"
build small "$SMALLS" 1 "$SMALL"
if [ "$ONEFILE" != no ]; then
	build onefile "$ONE" 1 "$USERS"
fi
echo "settings of both stores: $("$vudbadm" -d "$SCALE" get cache_size \
    max_open_domains | paste -s -d ' ' -)"

bytes=$(du -sb "$SCALE/domains" | cut -f1) || fail "du failed"
echo "store sizes: scale domains/ $bytes bytes; whole directory with logs" \
    "and Berkeley DB regions (the cache): $(du -sb "$SCALE" | cut -f1)" \
    "bytes; small $(du -sb "$SMALLS" | cut -f1) bytes"
out "$(calc 'sprintf("BENCH scale.store %.0f bytes/user", b / u)' \
    -v b="$bytes" -v u="$USERS")"

s=$(now)
"$vudbadm" -d "$SCALE" verify >"$T/verify.out" 2>&1 ||
    { head -20 "$T/verify.out"; fail "scale: verify failed"; }
e=$(now)
echo "verify scale: $(tail -1 "$T/verify.out")"
out "$(calc 'sprintf("BENCH scale.verify %.2f s", e - s)' -v s="$s" \
    -v e="$e")"

# one known password per store, the same hash for both
hash=$(printf '%s' "$PASSWORD" | "$vudbadm" pw -s SHA512-CRYPT) ||
    fail "vudbadm pw failed"
for sp in "$SCALE $CPW_SCALE" "$SMALLS $CPW_SMALL"; do
	# shellcheck disable=SC2086
	set -- $sp
	"$vudbadm" -d "$1" user passwd --password-hash "$hash" "$2" ||
	    fail "$2: user passwd failed"
	printf '%s' "$PASSWORD" | "$vudbadm" -d "$1" auth "$2" >/dev/null ||
	    fail "$2: the new password is refused"
done

# --------------------------------------------------------------- lookup
# lookup STORE DOMAINS USERS: one bench_scale run; sets RES (its rate)
lookup() {
	"$bench_scale" -t "$LOOKUP_CAP" "$1" "$2" "$3" "$LOOKUPS" \
	    >"$T/lookup.out" ||
	    { cat "$T/lookup.out"; fail "bench_scale $1 failed"; }
	grep -v '^RESULT' "$T/lookup.out"
	RES=$(awk '$1 == "RESULT" { print $2 }' "$T/lookup.out")
	[ -n "$RES" ] || fail "bench_scale $1: no result"
}

echo "lookups: $LOOKUPS random hits per run, best of $ROUNDS"
bl=0 bs=0 bo=0 r=0
while [ $r -lt "$ROUNDS" ]; do
	lookup "$SCALE" "$DOMAINS" "$PER"
	bl=$(max "$RES" "$bl")
	lookup "$SMALLS" 1 "$SMALL"
	bs=$(max "$RES" "$bs")
	if [ "$ONEFILE" != no ]; then
		lookup "$ONE" 1 "$USERS"
		bo=$(max "$RES" "$bo")
	fi
	r=$((r + 1))
done
out "BENCH scale.lookup $bl lookups/s"
out "BENCH scale.lookup.small $bs lookups/s"
out "$(calc 'sprintf("RATIO scale.lookup/small %.2f", a / b)' -v a="$bl" \
    -v b="$bs")"
if [ "$ONEFILE" != no ]; then
	out "BENCH scale.lookup.onefile $bo lookups/s"
	out "$(calc 'sprintf("RATIO scale.lookup/onefile %.2f", a / b)' \
	    -v a="$bl" -v b="$bo")"
fi

# ----------------------------------------------------------- vudb-mapd
SRV='' CLI=''
if [ "${BENCH_SCALE_PIN:-1}" != 0 ] && command -v taskset >/dev/null &&
    [ "$(nproc)" -ge 2 ]; then
	SRV="taskset -c 1" CLI="taskset -c 0"
	echo "pinned: vudb-mapd on CPU 1, loadc on CPU 0"
fi
# the library keeps at most half the descriptor limit in open domains
fdl=$(awk '/^Max open files/ { print $4 }' /proc/$$/limits)
if [ "$fdl" != unlimited ] && [ "$fdl" -lt $((2 * DOMAINS)) ]; then
	echo "warning: descriptor limit $fdl: vudb-mapd cannot keep" \
	    "$DOMAINS domains open (raise ulimit -n)"
fi

# start STORE: a vudb-mapd on a free port of 127.0.0.1; sets PID, PORT
start() {
	PORT=$(free_port) || fail "no free port"
	# shellcheck disable=SC2086
	$SRV "$mapd" -f -w 1 -c 1000 -d "$1" \
	    -l "tcp:mailbox:inet:127.0.0.1:$PORT" 2>>"$T/mapd.log" &
	PID=$!
	PIDS="$PIDS $PID"
	wait_port "$PORT" "$PID"
}

# load PORT DOMAINS USERS PID: one loadc run, after a pass over every
# domain; sets RES (its rate)
load() {
	# shellcheck disable=SC2086
	$CLI "$loadc" -D "$2" -W tcp "inet:127.0.0.1:$1" "$CONNS" "$SECS" \
	    "$3" >"$T/load.out" ||
	    { cat "$T/load.out"; fail "loadc against port $1 failed"; }
	kill -0 "$4" 2>/dev/null || fail "vudb-mapd (pid $4) is gone"
	awk -v d="$2" '
	    $1 == "WARMUP" { w = sprintf("warm-up %d requests in %.2f s", $2, $3) }
	    $1 == "RESULT" { printf "loadc: %d domains: %s, then %s req/s, p50 %s us, p99 %s us\n", d, w, $2, $3, $4 }' \
	    "$T/load.out"
	RES=$(awk '$1 == "RESULT" { print $2 }' "$T/load.out")
	[ -n "$RES" ] || fail "loadc against port $1: no result"
}

start "$SCALE"
MPID=$PID MPORT=$PORT
start "$SMALLS"
SPID=$PID SPORT=$PORT
OPID='' OPORT=''
if [ "$ONEFILE" != no ]; then
	start "$ONE"
	OPID=$PID OPORT=$PORT
fi
echo "vudb-mapd: scale pid $MPID port $MPORT, small pid $SPID port" \
    "$SPORT; $CONNS connections, $SECS s per run, best of $ROUNDS"
bm=0 bsm=0 bom=0 r=0
while [ $r -lt "$ROUNDS" ]; do
	load "$MPORT" "$DOMAINS" "$PER" "$MPID"
	bm=$(max "$RES" "$bm")
	load "$SPORT" 1 "$SMALL" "$SPID"
	bsm=$(max "$RES" "$bsm")
	if [ -n "$OPID" ]; then
		load "$OPORT" 1 "$USERS" "$OPID"
		bom=$(max "$RES" "$bom")
	fi
	r=$((r + 1))
done
# the scale server, after its runs
st=/proc/$MPID/status
kb() {
	awk -v k="$1:" '$1 == k { print $2 }' "$st"
}
rss=$(kb VmRSS) anon=$(kb RssAnon) file=$(kb RssFile) shm=$(kb RssShmem)
[ -n "$rss" ] && [ -n "$anon" ] && [ -n "$file" ] ||
    fail "cannot read $st"
fds=$(find "/proc/$MPID/fd" -mindepth 1 -maxdepth 1 | wc -l)
fdlim=$(awk '/^Max open files/ { print $4 }' "/proc/$MPID/limits")
stop "$MPID"
stop "$SPID"
[ -z "$OPID" ] || stop "$OPID"
out "BENCH scale.mapd $bm req/s"
out "BENCH scale.mapd.small $bsm req/s"
out "$(calc 'sprintf("RATIO scale.mapd/small %.2f", a / b)' -v a="$bm" \
    -v b="$bsm")"
if [ -n "$OPID" ]; then
	out "BENCH scale.mapd.onefile $bom req/s"
	out "$(calc 'sprintf("RATIO scale.mapd/onefile %.2f", a / b)' \
	    -v a="$bm" -v b="$bom")"
fi
out "$(calc 'sprintf("BENCH scale.mapd.rss %.1f MiB", k / 1024)' \
    -v k="$rss")"
out "$(calc 'sprintf("BENCH scale.mapd.rss_anon %.1f MiB", k / 1024)' \
    -v k="$anon")"
out "$(calc 'sprintf("BENCH scale.mapd.rss_file %.1f MiB", (f + s) / 1024)' \
    -v f="$file" -v s="${shm:-0}")"
out "BENCH scale.mapd.fds $fds fds"
out "BENCH scale.mapd.fd_limit $fdlim fds"
if grep -q 'warning\|fatal\|error' "$T/mapd.log"; then
	echo "vudb-mapd log:"
	cat "$T/mapd.log"
fi

# -------------------------------------------------- vudb-checkpassword
echo "vudb-checkpassword: $CPW_SCALE and $CPW_SMALL, $CPW_ROUNDS" \
    "interleaved rounds of $CPW_PER logins"
BENCH_ROUNDS=$CPW_ROUNDS BENCH_PER=$CPW_PER "$bench_checkpw" -s \
    "$SCALE" "$CPW_SCALE" "$PASSWORD" "$SMALLS" "$CPW_SMALL" "$PASSWORD" \
    >"$T/cpw.out" || { cat "$T/cpw.out"; fail "bench_checkpw failed"; }
grep -v '^RESULT' "$T/cpw.out"
# shellcheck disable=SC2046
set -- $(awk '$1 == "RESULT" { print $2 }' "$T/cpw.out")
[ $# -eq 2 ] || fail "bench_checkpw: unexpected output"
out "BENCH scale.checkpw $1 ms/auth"
out "BENCH scale.checkpw.small $2 ms/auth"
out "$(calc 'sprintf("RATIO scale.checkpw/small %.2f", a / b)' -v a="$1" \
    -v b="$2")"

# -------------------------------------------------------------- summary
T1=$(now)
echo
echo "== bench-scale summary"
echo "machine: $(nproc) CPUs," \
    "$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)," \
    "MemTotal $(awk '/^MemTotal:/ { print $2, $3 }' /proc/meminfo)"
calc 'sprintf("elapsed: %.0f s", e - s)' -v s="$T0" -v e="$T1"
cat "$SUMMARY"
exit 0
