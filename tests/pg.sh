# pg.sh - sourced by tests: a private PostgreSQL cluster for one test.
#
#   pg_require        exit 77 (skip) unless the pgsql backend is compiled
#                     in and PostgreSQL's server programs are installed
#   pg_start [NAME]   initdb and start a cluster in a new temporary
#                     directory; sets PG_DIR (the directory, also its unix
#                     socket's), PG_BIN, PG_CONN ("host=PG_DIR user=vudb",
#                     a superuser that needs no password) and PG_PID.
#                     Nothing listens on the network (listen_addresses='').
#   pg_stop           stop it (pg_ctl stop -m fast) and remove the directory
#                     (and the /dev/shm pages its stores named)
#   pg_test NAME      the frame of a test: pg_start, T, fail, cleanup (below)
#   pg_standby        a hot standby of it (pg_basebackup -R, streaming
#                     replication over the unix socket) in another
#                     temporary directory: PG_SB_DIR, PG_SB_CONN, PG_SB_PID
#   pg_as CMD...      CMD as the cluster's owner (psql, pg_ctl, ...)
#   pg_psql SQL       SQL run by psql on database postgres as vudb
#   PG_OPTS           the server options pg_start gives (for a restart)
#
# initdb refuses to run as root (CI runs as root): then the cluster belongs
# to the unprivileged user "nobody", which owns the temporary directory.
# pg_start sets a trap that stops the cluster when the test exits, also on
# a failure or a signal; a test with its own EXIT trap calls pg_stop in it.
# shellcheck shell=sh

# the socketmap client of the tests' Python parts (import sockmap)
PYTHONPATH=$(cd "${top_srcdir:-.}/tests" && pwd)${PYTHONPATH:+:$PYTHONPATH}
export PYTHONPATH

# the server's options (a standby needs its primary's max_connections)
PG_OPTS="-c listen_addresses='' -c fsync=off -c max_connections=200 \
-c shared_buffers=16MB"

pg_bindir() {
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
		if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
			echo "$d"; return 0
		fi
	done
	command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)" &&
	    return 0
	return 1
}

pg_require() {
	if ! grep -q '^#define WITH_PGSQL 1' "${top_builddir:-.}/config.h" \
	    2>/dev/null; then
		echo "PostgreSQL backend not compiled in"; exit 77
	fi
	if ! PG_BIN=$(pg_bindir); then
		echo "PostgreSQL server not installed (apt-get install postgresql)"
		exit 77
	fi
	export PG_BIN
}

pg_as() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u nobody -- "$@"
	else
		"$@"
	fi
}

pg_start() {
	pg_require
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/vudbpg.XXXXXX") || return 1
	chmod 755 "$PG_DIR"
	[ "$(id -u)" -eq 0 ] && chown nobody "$PG_DIR"
	pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U vudb -E UTF8 \
	    --locale=C --no-sync >"$PG_DIR/initdb.log" 2>&1 || {
		echo "pg.sh: initdb failed:"; cat "$PG_DIR/initdb.log"
		rm -rf "$PG_DIR"; return 1; }
	# a password-authenticated way in for the tests of bad passwords:
	# role names ending in _pw must give their password (local socket)
	{ echo "local all +pwusers scram-sha-256"
	  echo "local all all trust"
	  echo "local replication all trust"; } >"$PG_DIR/hba"
	pg_as sh -c "cat '$PG_DIR/hba' >'$PG_DIR/data/pg_hba.conf'"
	trap 'pg_stop' EXIT
	trap 'pg_stop; trap - EXIT; exit 129' HUP
	trap 'pg_stop; trap - EXIT; exit 130' INT
	trap 'pg_stop; trap - EXIT; exit 143' TERM
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
	    -t 30 -o "-k $PG_DIR $PG_OPTS" start >/dev/null 2>&1 || {
		echo "pg.sh: the server did not start:"
		cat "$PG_DIR/server.log"; return 1; }
	PG_PID=$(head -n 1 "$PG_DIR/data/postmaster.pid")
	PG_CONN="host=$PG_DIR user=vudb"
	export PG_DIR PG_CONN PG_PID
	pg_psql "CREATE ROLE pwusers NOLOGIN" >/dev/null
}

pg_standby() {
	PG_SB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/vudbpgsb.XXXXXX") || return 1
	chmod 755 "$PG_SB_DIR"
	[ "$(id -u)" -eq 0 ] && chown nobody "$PG_SB_DIR"
	pg_as "$PG_BIN/pg_basebackup" -h "$PG_DIR" -U vudb -D "$PG_SB_DIR/data" \
	    -R -X stream -c fast >"$PG_SB_DIR/basebackup.log" 2>&1 || {
		echo "pg.sh: pg_basebackup failed:"
		cat "$PG_SB_DIR/basebackup.log"; return 1; }
	pg_as "$PG_BIN/pg_ctl" -D "$PG_SB_DIR/data" -l "$PG_SB_DIR/server.log" \
	    -w -t 30 -o "-k $PG_SB_DIR $PG_OPTS" start >/dev/null 2>&1 || {
		echo "pg.sh: the standby did not start:"
		cat "$PG_SB_DIR/server.log"; return 1; }
	PG_SB_PID=$(head -n 1 "$PG_SB_DIR/data/postmaster.pid")
	PG_SB_CONN="host=$PG_SB_DIR user=vudb"
	export PG_SB_DIR PG_SB_CONN PG_SB_PID
}

pg_psql() {
	"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -At -h "$PG_DIR" -U vudb \
	    -d "${PG_DB:-postgres}" -c "$1"
}

# pg_test NAME: a test's frame: a cluster (pg_start), FAILED=0 and fail
# MSG (counts and prints a failure), and a new temporary directory T
# (vudb-NAME.XXXXXX); at the exit, also on INT or TERM, $T/stop is made
# (background loops of the test end on it), the processes in PIDS and
# MAPD_PID are stopped, the cluster is stopped and T removed.
pg_test() {
	FAILED=0
	PIDS=${PIDS:-}
	MAPD_PID=${MAPD_PID:-}
	T=
	pg_start || exit 99
	trap pg_test_cleanup EXIT
	trap 'pg_test_cleanup; trap - EXIT; exit 130' INT
	trap 'pg_test_cleanup; trap - EXIT; exit 143' TERM
	T=$(mktemp -d "${TMPDIR:-/tmp}/vudb-$1.XXXXXX") || exit 99
	fail() { echo "FAIL: $*"; FAILED=$((FAILED + 1)); }
}

pg_test_cleanup() {
	[ -n "$T" ] && touch "$T/stop"
	for p in $PIDS $MAPD_PID; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	pg_stop
	[ -n "$T" ] && rm -rf "$T"
}

# pg_shm_clean: the pages of this host that the cluster's stores named
# (/dev/shm/vudb-pg-STOREID, lib/files.c) removed, as the cluster goes
pg_shm_clean() {
	[ -f "$PG_DIR/data/postmaster.pid" ] || return 0
	for db in $(pg_as "$PG_BIN/psql" -h "$PG_DIR" -U vudb -d postgres -Atc \
	    "SELECT datname FROM pg_database WHERE NOT datistemplate" \
	    2>/dev/null); do
		id=$(pg_as "$PG_BIN/psql" -h "$PG_DIR" -U vudb -d "$db" -Atc \
		    "SELECT store_id FROM vudb.meta" 2>/dev/null) || continue
		case $id in
		*[!0-9a-f]*|"") ;;
		*) rm -f "/dev/shm/vudb-pg-$id" ;;
		esac
	done
}

pg_stop() {
	if [ -n "${PG_SB_DIR:-}" ]; then
		if [ -f "$PG_SB_DIR/data/postmaster.pid" ]; then
			pg_as "$PG_BIN/pg_ctl" -D "$PG_SB_DIR/data" -m fast -w \
			    -t 30 stop >/dev/null 2>&1 || {
				[ -n "${PG_SB_PID:-}" ] &&
				    kill -9 "$PG_SB_PID" 2>/dev/null
				sleep 1; }
		fi
		rm -rf "$PG_SB_DIR"
		PG_SB_DIR=
	fi
	[ -n "${PG_DIR:-}" ] || return 0
	pg_shm_clean
	if [ -f "$PG_DIR/data/postmaster.pid" ]; then
		pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 30 stop \
		    >/dev/null 2>&1 || {
			# it did not stop: the postmaster we started, by its PID
			[ -n "${PG_PID:-}" ] && kill -9 "$PG_PID" 2>/dev/null
			sleep 1; }
	fi
	rm -rf "$PG_DIR"
	PG_DIR=
}
