# lib.sh - shared by the vudb-mapd test scripts (sourced, never run).
# Each test gets its own directory, its own store, its own vudb-mapd and,
# where needed, its own private Postfix instance; everything started is
# stopped by PID on exit.  Ports: 20000-20999 on loopback only, a block
# of 100 per script (PORT_BASE).
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.

srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
MAPD=$builddir/adapters/postfix/vudb-mapd
MKSTORE=$builddir/adapters/postfix/tests/mkstore
PYTHON=${PYTHON:-python3}
# the socketmap client of the Python parts (import sockmap)
PYTHONPATH=$(cd "$srcdir/tests" && pwd)${PYTHONPATH:+:$PYTHONPATH}
export PYTHONPATH
. "$srcdir/tests/postfix.sh"

T=$(mktemp -d "${TMPDIR:-/tmp}/vudb-mapd-test.XXXXXX") || exit 99
# the store of a test that is not about files: a pgsql: one in the
# private cluster of tests/pgsql-programs.sh, else a directory
STORE=$T/store
if [ -n "${VUDB_TEST_PG:-}" ]; then
	STORE="pgsql:$VUDB_TEST_PG dbname=${T##*/}"
fi
PIDS=
POSTFIX_DIRS=
FAILED=0
PASSED=0
KEEP=${KEEP:-}

cleanup() {
	for d in $POSTFIX_DIRS; do
		postfix -c "$d" stop >/dev/null 2>&1
		if [ -f "$T/spool/pid/master.pid" ]; then
			kill "$(tr -d ' ' < "$T/spool/pid/master.pid")" \
			    2>/dev/null
		fi
	done
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $PIDS; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1; i=$((i + 1))
		done
		kill -9 "$p" 2>/dev/null
	done
	if [ -n "$KEEP" ]; then
		echo "kept $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 99' INT TERM

need() {
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || { echo "$c not found:" \
		    "skipped"; exit 77; }
	done
}

ok() { PASSED=$((PASSED + 1)); }
fail() { echo "FAIL: $*"; FAILED=$((FAILED + 1)); }

# wait_for inet HOST PORT | unix PATH: poll until it accepts (<= 20 s)
wait_for() {
	$PYTHON - "$@" <<'PY'
import socket, sys, time
end = time.time() + 20
while time.time() < end:
    try:
        if sys.argv[1] == "unix":
            s = socket.socket(socket.AF_UNIX)
            s.connect(sys.argv[2])
        else:
            h = sys.argv[2].strip("[]")
            fam = socket.AF_INET6 if ":" in h else socket.AF_INET
            s = socket.socket(fam)
            s.connect((h, int(sys.argv[3])))
        s.close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY
}

# start_mapd LOG ARGS...: vudb-mapd in the foreground; sets MAPD_PID and
# waits for its first listener
start_mapd() {
	log=$1; shift
	"$MAPD" -f "$@" >>"$log" 2>&1 &
	MAPD_PID=$!
	PIDS="$PIDS $MAPD_PID"
	first=
	for a in "$@"; do
		case $a in
		socketmap:*|tcp:*) first=$a; break ;;
		esac
	done
	ep=${first#socketmap:}
	[ "$ep" = "$first" ] && ep=${first#tcp:*:}
	case $ep in
	unix:*) wait_for unix "${ep#unix:}" ;;
	inet:*) hp=${ep#inet:}; wait_for inet "${hp%:*}" "${hp##*:}" ;;
	esac || { echo "vudb-mapd did not start:"; cat "$log"; exit 99; }
}

# stop_pid PID: SIGTERM, wait (<= 10 s); returns its exit status
stop_pid() {
	kill "$1" 2>/dev/null
	wait "$1"
}

# postfix_conf DIR: a private configuration for postmap (no daemons)
postfix_conf() {
	mkdir -p "$1"
	cat > "$1/main.cf" <<EOT
compatibility_level = 3.6
queue_directory = $T/spool
data_directory = $T/data
maillog_file = $T/maillog
maillog_file_prefixes = /var, /dev/stdout, $T
EOT
}

finish() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
	exit $?
}
