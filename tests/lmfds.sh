#!/bin/sh
# lmfds.sh - the descriptors LMDB readers hold (issue 17, item 3): a
# reader whose every handle is read-only holds at most LMFDS_MAX (2)
# descriptors per open domain (the data file and its lock file; no
# descriptor for writing the meta pages); vudb-mapd with -w 2 holds no
# more descriptors of the store than with -w 1 (its workers share each
# domain file); a writer handle opened beside a reader that has read a
# domain reopens the file for writing, one open at a time, also under the
# lookups of a reader thread (tests/lmfds.c).
# Not timed.  Skipped (77) without the LMDB backend or /proc.
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
builddir=${top_builddir:-.}
if ! grep -q '^#define WITH_LMDB 1' "$builddir/config.h" 2>/dev/null; then
	echo "LMDB backend not compiled in"; exit 77
fi
[ -d /proc/self/fd ] || { echo "no /proc: skipped"; exit 77; }
. "${top_srcdir:-.}/adapters/postfix/tests/lib.sh"
need "$PYTHON"
N=${LMFDS_DOMAINS:-200}
LMFDS=$builddir/tests/lmfds

"$LMFDS" make "lmdb:$T/store" "$N" || exit 99
if "$LMFDS" read "$T/store" "$N" "${LMFDS_MAX:-2}"; then ok; else
	fail "a read-only LMDB reader holds too many descriptors"
fi

# store_fds PID: the descriptors of PID on files of the store
store_fds() {
	n=0
	for f in /proc/"$1"/fd/*; do
		case $(readlink "$f" 2>/dev/null) in
		"$T"/store/*) n=$((n + 1)) ;;
		esac
	done
	echo $n
}

# ask_all SOCKET: every domain's user, over 8 connections at once, so
# that every worker answers some
ask_all() {
	"$PYTHON" "$srcdir/tests/sockmap.py" domains "$1" "$N" 8
}

for w in 1 2; do
	start_mapd "$T/mapd$w.log" -d "$T/store" -w $w \
	    -l socketmap:unix:"$T/mapd$w.sock"
	if ask_all "$T/mapd$w.sock"; then ok; else
		fail "vudb-mapd -w $w: lookups failed"; cat "$T/mapd$w.log"
	fi
	eval "fds$w=\$(store_fds \$MAPD_PID)"
	eval "echo \"vudb-mapd -w $w: \$fds$w descriptors of the store" \
	    "($N domains)\""
	stop_pid "$MAPD_PID"
done
max=$((N * ${LMFDS_MAX:-2}))
[ "$fds1" -le "$max" ] && ok ||
    fail "vudb-mapd -w 1 holds $fds1 descriptors of the store, at most $max"
[ "$fds2" -le "$fds1" ] && ok ||
    fail "vudb-mapd -w 2 holds $fds2 descriptors of the store, -w 1 $fds1"

# a writer beside a reader, in one process; and beside a reader thread
# that reads the domain all the time
if "$LMFDS" mixed "$T/store"; then ok; else
	fail "a writer beside a reader in one process"
fi
if "$LMFDS" threads "$T/store"; then ok; else
	fail "a writer beside a reader thread in one process"
fi
finish
