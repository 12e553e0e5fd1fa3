#!/bin/sh
# crash.sh - the crash test: a child adds users in a loop and is killed
# with SIGKILL at random moments, 25 times; after each kill the store must
# open (running recovery), every user whose add had been committed must be
# there, and Berkeley DB's db_verify must pass on the domain file.
set -u
builddir=${top_builddir:-.}
child=$builddir/tests/crash_child
store=$(mktemp -d "${TMPDIR:-/tmp}/vudbcrash.XXXXXX") || exit 99
trap 'rm -rf "$store"' EXIT
backend=${VUDB_TEST_BACKEND:-bdb}
url=$backend:$store
verify=
[ "$backend" = bdb ] && verify=$(command -v db5.3_verify || command -v db_verify || true)
rounds=${CRASH_ROUNDS:-25}
pass=0 fail=0

for round in $(seq 1 "$rounds"); do
	prefix=r$round
	batch=1
	[ $((round % 3)) -eq 0 ] && batch=10
	"$child" "$url" add "$prefix" "$batch" >"$store.acks" 2>"$store.err" &
	pid=$!
	# let it run 50..550 ms, then kill it wherever it is
	ms=$(( (($(od -An -N2 -tu2 /dev/urandom) % 500)) + 50 ))
	sleep "$(printf '0.%03d' "$ms")"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	if [ -s "$store.err" ]; then
		echo "round $round: child failed before the kill:"; cat "$store.err"
		fail=$((fail + 1)); continue
	fi
	# the last complete line is the last committed add
	# (grep -c prints 0 and fails on an empty file: no "|| echo 0")
	acked=$(grep -c '' "$store.acks" 2>/dev/null)
	acked=${acked:-0}
	last=$(tail -n 1 "$store.acks")
	case $last in *[!0-9]*|'') acked=$((acked - 1)) ;; esac
	[ "$acked" -lt 0 ] && acked=0
	if ! "$child" "$url" check "$prefix" "$acked"; then
		echo "round $round: committed users lost (acked $acked)"
		fail=$((fail + 1)); continue
	fi
	# a child killed before it made the domain (a slow start: a
	# sanitizer build on a loaded machine) leaves no file to verify
	if [ "$acked" -eq 0 ] && [ ! -e "$store/domains/crash.example.db" ]; then
		echo "round $round: killed after ${ms} ms, before the domain was made"
		pass=$((pass + 1)); continue
	fi
	if [ -n "$verify" ] && ! "$verify" -q -h "$store" domains/crash.example.db; then
		echo "round $round: db_verify failed"
		fail=$((fail + 1)); continue
	fi
	echo "round $round: killed after ${ms} ms, $acked committed adds intact (batch $batch)"
	pass=$((pass + 1))
done
rm -f "$store.acks" "$store.err"
echo "crash test ($backend): $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -ge 20 ]
