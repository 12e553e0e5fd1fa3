#!/bin/sh
# mapd-share.sh - vudb-mapd's workers share one answer cache (issue 17,
# item 2): with -w 2 the server holds no more descriptors of the store and
# no more cache memory than with -w 1, and keys that one worker looked up
# are answered from the cache by the other.  On every embedded backend
# compiled in; not timed.
#
# Round 1 asks each of N domains' user once over one connection (so one
# worker fills the cache); round 2 asks them all again over 8 connections
# at once, repeated until SIGUSR1's log line shows that both workers
# answered lookups.  Every round-2 lookup must be a hit (the misses stay
# N): those of the worker that did not serve round 1 are hits on keys the
# other worker filled.
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
builddir=${top_builddir:-.}
[ -d /proc/self/fd ] || { echo "no /proc: skipped"; exit 77; }
. "${top_srcdir:-.}/adapters/postfix/tests/lib.sh"
need "$PYTHON"
N=${SHARE_DOMAINS:-200}
LMFDS=$builddir/tests/lmfds

# store_fds PID DIR: the descriptors of PID on files of the store in DIR
store_fds() {
	n=0
	for f in /proc/"$1"/fd/*; do
		case $(readlink "$f" 2>/dev/null) in
		"$2"/*) n=$((n + 1)) ;;
		esac
	done
	echo $n
}

# ask SOCKET CONNS: every domain's user over CONNS connections at once
ask() {
	"$PYTHON" "$srcdir/tests/sockmap.py" domains "$1" "$N" "$2"
}

# stats PID LOG: SIGUSR1, then the new "answer cache:" line of LOG as
# "hits misses bytes handles lookups-of-worker-0 [lookups-of-worker-1]"
stats() {
	before=$(grep -c 'answer cache:' "$2")
	kill -USR1 "$1"
	i=0
	while [ "$(grep -c 'answer cache:' "$2")" -le "$before" ] &&
	    [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	grep 'answer cache:' "$2" | tail -1 | sed -n 's/.*answer cache: \([0-9]*\) hits, \([0-9]*\) misses, \([0-9]*\) bytes of [0-9]*, shared by \([0-9]*\) handles; lookups by worker: 0 \([0-9]*\)\(, 1 \([0-9]*\)\)*$/\1 \2 \3 \4 \5 \7/p'
}

ran=0
for be in bdb lmdb; do
	grep -q "^#define WITH_$(echo $be | tr a-z A-Z) 1" \
	    "$builddir/config.h" 2>/dev/null || continue
	ran=1
	echo "== $be"
	"$LMFDS" make "$be:$T/$be" "$N" >/dev/null || exit 99
	for w in 1 2; do
		log=$T/$be$w.log
		start_mapd "$log" -d "$be:$T/$be" -w $w \
		    -l socketmap:unix:"$T/$be$w.sock"
		ask "$T/$be$w.sock" 1 || fail "$be -w $w: round 1"
		tries=0
		while :; do
			ask "$T/$be$w.sock" 8 || fail "$be -w $w: round 2"
			set -- $(stats "$MAPD_PID" "$log")
			tries=$((tries + 1))
			[ $# -ge 5 ] || { fail "$be -w $w: no stats line";
			    cat "$log"; break; }
			[ $w -eq 1 ] && break
			[ "$5" -gt 0 ] && [ "${6:-0}" -gt 0 ] && break
			[ $tries -lt 20 ] || break
		done
		fds=$(store_fds "$MAPD_PID" "$T/$be")
		echo "-w $w: $fds descriptors of the store; cache: $1 hits," \
		    "$2 misses, $3 bytes, $4 handles; lookups by worker:" \
		    "$5 ${6:-}"
		eval "fds$w=$fds bytes$w=$3"
		total=$(( $5 + ${6:-0} ))
		[ "$2" -eq "$N" ] && ok ||
		    fail "$be -w $w: $2 misses, expected $N (one a key)"
		[ "$1" -eq $((total - N)) ] && ok ||
		    fail "$be -w $w: $1 hits of $total lookups"
		[ "$4" -eq $((w + 1)) ] && ok ||
		    fail "$be -w $w: the cache shared by $4 handles"
		if [ $w -eq 2 ]; then
			[ "$5" -gt 0 ] && [ "${6:-0}" -gt 0 ] && ok ||
			    fail "$be -w 2: one worker answered everything" \
			    "($tries rounds)"
		fi
		stop_pid "$MAPD_PID"
		grep -q 'answer cache: .* hits' "$log" && ok ||
		    fail "$be -w $w: no answer cache line at the stop"
	done
	[ "$fds2" -le "$fds1" ] && ok ||
	    fail "$be: -w 2 holds $fds2 descriptors of the store, -w 1 $fds1"
	[ "$bytes2" -le "$bytes1" ] && ok ||
	    fail "$be: -w 2's answer cache holds $bytes2 bytes, -w 1's $bytes1"
done
[ $ran -eq 1 ] || exit 77
finish
