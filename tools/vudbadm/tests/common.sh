# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# common.sh - sourced by the vudbadm command tests.  Each test gets a new
# store in its own mktemp directory (removed at the end), runs vudbadm
# with a time limit, and checks exit status, stdout, stderr and JSON.
#	v ARGS              vudbadm -d $S ARGS
#	t WANT ARGS         run vudbadm ARGS (stdin from $IN if set);
#	                    check the exit status; output in $T/out, $T/err
#	out_is TEXT         stdout is exactly TEXT
#	out_has TEXT / err_has TEXT   stdout / stderr contains TEXT
#	js EXPR ... / jsl EXPR ...    stdout as JSON / JSON Lines: EXPRs true
#	done_testing        summary; exit status
srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
VUDBADM=$builddir/tools/vudbadm/vudbadm
T=$(mktemp -d "${TMPDIR:-/tmp}/vudbadm-test.XXXXXX") || exit 99
S=$T/store
# tests/pgsql-programs.sh: every store a database of its private cluster
if [ -n "${VUDB_TEST_PG:-}" ]; then
	S="pgsql:$VUDB_TEST_PG dbname=${T##*/}"
fi
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
unset VUDB_STORE VUDB_FAIL
nchecks=0
nfailed=0
IN=/dev/null

fail_check() {
	nfailed=$((nfailed + 1))
	echo "FAIL: $*"
	echo "  stdout: $(head -c 600 "$T/out" 2>/dev/null)"
	echo "  stderr: $(head -c 600 "$T/err" 2>/dev/null)"
}

v() {
	timeout 120 "$VUDBADM" -d "$S" "$@"
}

t() {
	want=$1
	shift
	nchecks=$((nchecks + 1))
	timeout 120 "$VUDBADM" "$@" <"$IN" >"$T/out" 2>"$T/err"
	got=$?
	last="$*"
	[ "$got" -eq "$want" ] || fail_check "vudbadm $*: exit $got, want $want"
}

out_is() {
	nchecks=$((nchecks + 1))
	if [ -z "$1" ]; then : >"$T/want"; else printf '%s\n' "$1" >"$T/want"; fi
	cmp -s "$T/out" "$T/want" || fail_check "$last: stdout is not \"$1\""
}

out_has() {
	nchecks=$((nchecks + 1))
	grep -qF -- "$1" "$T/out" || fail_check "$last: stdout lacks \"$1\""
}

err_has() {
	nchecks=$((nchecks + 1))
	grep -qF -- "$1" "$T/err" || fail_check "$last: stderr lacks \"$1\""
}

# err_line - stderr is exactly one line
err_line() {
	nchecks=$((nchecks + 1))
	[ "$(wc -l <"$T/err")" -eq 1 ] || fail_check "$last: stderr is not one line"
}

js() {
	nchecks=$((nchecks + 1))
	python3 "$srcdir/tools/vudbadm/tests/checkjson.py" "$@" <"$T/out" ||
	    fail_check "$last: JSON check"
}

jsl() {
	js -l "$@"
}

# same FILE1 FILE2 - identical files
same() {
	nchecks=$((nchecks + 1))
	cmp -s "$1" "$2" || { fail_check "$1 and $2 differ"; diff "$1" "$2" | head -20; }
}

done_testing() {
	echo "$(basename "$0"): $nchecks checks, $nfailed failed"
	[ "$nfailed" -eq 0 ]
	exit $?
}

# a store with fast hashes
mkstore() {
	v init && v set password_scheme SHA512-CRYPT && v set sha_rounds 1000
}
