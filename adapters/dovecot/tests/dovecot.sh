# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# dovecot.sh - shell functions for tests that run a private Dovecot 2.3
# on a vudb store: source it (". dovecot.sh") from a test script.  The
# passdb and userdb are the vudb Lua module with dovecot-auth.lua, as
# examples/dovecot-2.3-vudb.conf has them, or (DV_DRIVER=checkpassword)
# vudb-checkpassword as examples/dovecot-2.3-checkpassword.conf has it.
# It makes a test store with the group and modes Dovecot's user needs, a
# "vmail" mail user, a free port in 21000-21999, a dovecot.conf from
# adapters/dovecot/tests/dovecot.conf.in and the example, and starts and
# stops the instance by pid with bounded waits.  Dovecot runs with its
# own default limits (default_vsz_limit 256M), so a sanitizer build,
# which reserves terabytes of address space, is not run here: the tests
# skip themselves and scripts/test.sh runs them in a plain build.
# Nothing is written outside the test's directory except the group vudb,
# the membership of user dovecot in it and the system user vmail, all
# created only if missing.  Every function returns non-zero on failure
# and says why on stderr; dv_cleanup stops whatever dv_start started.
#
# Variables read: DV_DRIVER (lua, the default, or checkpassword),
# DV_BACKEND (dv_store: the backend of a new store, default bdb),
# DV_LMTP_PORT (dv_conf: also serve LMTP on that port of 127.0.0.1, for
# delivery tests), DV_KEEP (dv_cleanup: keep DV_DIR).
# Variables (set by the functions, read by the caller):
#   DV_DIR	the test's directory (dv_init)
#   DV_CONF	the dovecot.conf in use (dv_conf)
#   DV_PID	the Dovecot master's pid (dv_start)
#   DV_UID, DV_GID	the ids of the vmail user (dv_vmail)

: "${top_srcdir:=.}" "${top_builddir:=.}"
DV_SRC=$top_srcdir/adapters/dovecot/tests
DV_HELPER=$(cd "$top_builddir" && pwd)/adapters/dovecot/vudb-checkpassword
DV_MKSTORE=$top_builddir/adapters/dovecot/tests/mkstore
DV_LUAMOD=$(cd "$top_builddir" && pwd)/adapters/dovecot/.libs/vudb.so
DV_DRIVER=${DV_DRIVER:-lua}
DV_DIR= DV_CONF= DV_PID=
# the Dovecot here: 2.3 (Debian 12) or 2.4 (Debian 13), whose settings
# are another syntax and which has no checkpassword driver
case $(dovecot --version 2>/dev/null) in
2.4*|2.5*)	DV_VERSION=2.4 ;;
*)		DV_VERSION=2.3 ;;
esac

# dv_skip_unless_ready - exit 77 (skip) unless this can run: root, the
# Dovecot binaries, python3.
dv_skip_unless_ready() {
	if [ "$(id -u)" != 0 ]; then
		echo "not root: the real-Dovecot test is skipped"; exit 77
	fi
	for p in dovecot doveadm python3 groupadd usermod useradd; do
		command -v "$p" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
		if ! command -v "$p" >/dev/null 2>&1; then
			echo "no $p: the real-Dovecot test is skipped"; exit 77
		fi
	done
	if ! getent passwd dovecot >/dev/null; then
		echo "no user dovecot: real-Dovecot test skipped"; exit 77
	fi
	if [ "$DV_DRIVER" = checkpassword ] && [ "$DV_VERSION" = 2.4 ]; then
		echo "Dovecot 2.4 has no checkpassword driver: skipped"
		exit 77
	fi
	if [ "$DV_DRIVER" = lua ] && [ ! -f "$DV_LUAMOD" ]; then
		echo "no Lua module built: the Lua test is skipped"; exit 77
	fi
	if [ "$DV_DRIVER" = lua ] &&
	    [ ! -f /usr/lib/dovecot/modules/auth/libauthdb_lua.so ] &&
	    ! ls /usr/lib/dovecot/modules/auth/*lua* >/dev/null 2>&1; then
		echo "no dovecot-auth-lua: the Lua test is skipped"; exit 77
	fi
	for _f in "$DV_HELPER" "$DV_LUAMOD"; do
		if [ -f "$_f" ] && ldd "$_f" 2>/dev/null | grep -q libasan; then
			echo "a sanitizer build: Dovecot's 256M address-space" \
			    "limit stops it; scripts/test.sh runs this test in" \
			    "its plain build"
			exit 77
		fi
	done
}

# dv_init [PREFIX] - make DV_DIR, a temporary directory that Dovecot's
# users may traverse (mode 0711)
dv_init() {
	DV_DIR=$(mktemp -d "${TMPDIR:-/tmp}/${1:-vudbdv}.XXXXXX") || return 1
	chmod 0711 "$DV_DIR"
}

# dv_retry CMD... - run CMD up to 5 times, 1 s apart: another test may
# hold the lock of /etc/passwd or /etc/group at this moment
dv_retry() {
	_t=0
	until "$@"; do
		_t=$((_t + 1))
		[ $_t -lt 5 ] || return 1
		sleep 1
	done
}

# dv_in_vudb - whether user dovecot is in the group vudb
dv_in_vudb() {
	id -nG dovecot | tr ' ' '\n' | grep -qx vudb
}

# dv_group - the group vudb, with user dovecot in it
dv_group() {
	getent group vudb >/dev/null ||
	    dv_retry sh -c 'getent group vudb >/dev/null || groupadd -f vudb' ||
	    return 1
	dv_in_vudb || dv_retry sh -c \
	    'id -nG dovecot | tr " " "\n" | grep -qx vudb ||
	    usermod -a -G vudb dovecot'
}

# dv_vmail - a system user vmail that owns the mail; sets DV_UID, DV_GID
dv_vmail() {
	getent passwd vmail >/dev/null || dv_retry sh -c \
	    'getent passwd vmail >/dev/null ||
	    useradd --system --user-group --no-create-home \
	    --home-dir /nonexistent --shell /usr/sbin/nologin vmail' ||
	    return 1
	DV_UID=$(id -u vmail) && DV_GID=$(id -g vmail)
}

# dv_store STORE [SCRIPT...] - make a store with mkstore from the
# settings mail_base (DV_DIR/mail), uid and gid (vmail) and the given
# script files, then give it to the group vudb: directories 2770, files
# 0660, as vudb-checkpassword(8) says.  The mail base belongs to vmail.
dv_store() {
	_st=$1; shift
	mkdir -p "$DV_DIR/mail" && chown vmail:vmail "$DV_DIR/mail" &&
	    chmod 0700 "$DV_DIR/mail" || return 1
	{
		echo "set mail_base $DV_DIR/mail"
		echo "set uid $DV_UID"
		echo "set gid $DV_GID"
		cat "$@"
	} | (umask 007 && "$DV_MKSTORE" "${DV_BACKEND:+$DV_BACKEND:}$_st") ||
	    return 1
	dv_store_perms "$_st"
}

# dv_store_perms STORE - group vudb, 2770 directories, 0660 files
dv_store_perms() {
	chgrp -R vudb "$1" &&
	    find "$1" -type d -exec chmod 2770 {} + &&
	    find "$1" -type f -exec chmod 0660 {} +
}

# dv_port [BASE] - print a port in BASE..BASE+999 (default 21000) that
# nothing listens on now
dv_port() {
	python3 - "${1:-21000}" <<'EOF'
import random, socket, sys
base = int(sys.argv[1])
ports = list(range(base, base + 1000))
random.shuffle(ports)
for p in ports:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    print(p)
    break
else:
    raise SystemExit(1)
EOF
}

# dv_conf OUT STORE IMAP_PORT [HELPER_OPTS] - write a dovecot.conf: the
# frame from dovecot.conf.in and the example of DV_DRIVER with the test's
# paths.  The checkpassword helper runs with "-v -d STORE" (HELPER_OPTS
# replaces "-v").  What Dovecot's processes run (the helper, or the Lua
# module and script) is copied into DV_DIR, where user dovecot can reach
# it whatever the modes of the build tree.
dv_conf() {
	mkdir -p "$DV_DIR/run" "$DV_DIR/state" "$DV_DIR/log" \
	    "$DV_DIR/bin" "$DV_DIR/lib" "$DV_DIR/spool/private" || return 1
	chmod 0755 "$DV_DIR/bin" "$DV_DIR/lib" || return 1
	if [ "$DV_DRIVER" = lua ]; then
		cp "$DV_LUAMOD" "$DV_DIR/lib/vudb.so" &&
		    cp "$top_srcdir/adapters/dovecot/dovecot-auth.lua" \
		    "$DV_DIR/lib/" &&
		    chmod 0644 "$DV_DIR/lib/vudb.so" \
		    "$DV_DIR/lib/dovecot-auth.lua" || return 1
		_ex=$top_srcdir/examples/dovecot-$DV_VERSION-vudb.conf
	else
		cp "$DV_HELPER" "$DV_DIR/bin/vudb-checkpassword" &&
		    chmod 0755 "$DV_DIR/bin/vudb-checkpassword" || return 1
		_ex=$top_srcdir/examples/dovecot-2.3-checkpassword.conf
	fi
	_frame=dovecot.conf.in
	[ "$DV_VERSION" = 2.4 ] && _frame=dovecot24.conf.in
	# the store as sed's replacement text: & | and \ taken literally (a
	# postgresql:// URI has & between its parameters)
	_sv=$(printf '%s' "$2" | sed 's/[&|\\]/\\&/g')
	{
		sed -e "s|@DIR@|$DV_DIR|g" \
		    -e "s|@STORE@|$_sv|g" -e "s|@IMAP_PORT@|$3|g" \
		    -e "s|@UID@|$DV_UID|g" \
		    -e "s|@LUA_CPATH@|$DV_DIR/lib/?.so|g" \
		    -e "s|@PROTOCOLS@|imap${DV_LMTP_PORT:+ lmtp}|g" \
		    -e "s|@LMTP_PORT@|${DV_LMTP_PORT:-0}|g" \
		    "$DV_SRC/$_frame" &&
		echo "# ---- $(basename "$_ex"), with the test's paths" &&
		sed -e "s|/usr/share/vudb/|$DV_DIR/lib/|g" \
		    -e "s|= /var/lib/vudb\$|= $_sv|" \
		    -e "s|/usr/libexec/vudb/vudb-checkpassword -d /var/lib/vudb|$DV_DIR/bin/vudb-checkpassword ${4:--v} -d $2|g" \
		    -e "s|/var/spool/postfix/|$DV_DIR/spool/|g" "$_ex"
	} > "$1" || return 1
	DV_CONF=$1
}

# dv_start - start Dovecot with DV_CONF; wait (at most 20 s) until its
# auth service answers
dv_start() {
	dovecot -c "$DV_CONF" || { dv_log; return 1; }
	_i=0
	while [ $_i -lt 200 ]; do
		if [ -s "$DV_DIR/run/master.pid" ] &&
		    [ -S "$DV_DIR/run/auth-userdb" ]; then
			DV_PID=$(cat "$DV_DIR/run/master.pid")
			return 0
		fi
		sleep 0.1; _i=$((_i + 1))
	done
	echo "dovecot did not start in 20 s" >&2; dv_log
	# stop it all the same, if it left a pid
	DV_PID=$(cat "$DV_DIR/run/master.pid" 2>/dev/null)
	dv_stop
	return 1
}

# dv_stop - stop the instance started by dv_start (at most 10 s, then
# SIGKILL to the master's pid)
dv_stop() {
	[ -n "$DV_PID" ] || return 0
	doveadm -c "$DV_CONF" stop >/dev/null 2>&1 ||
	    kill "$DV_PID" 2>/dev/null
	_i=0
	while kill -0 "$DV_PID" 2>/dev/null && [ $_i -lt 100 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	if kill -0 "$DV_PID" 2>/dev/null; then
		kill -9 "$DV_PID" 2>/dev/null
	fi
	DV_PID=
}

# dv_log - show the end of Dovecot's log
dv_log() {
	[ -f "$DV_DIR/log/dovecot.log" ] || return 0
	echo "---- tail of $DV_DIR/log/dovecot.log" >&2
	tail -30 "$DV_DIR/log/dovecot.log" >&2
}

# dv_cleanup - stop Dovecot and remove DV_DIR (unless DV_KEEP is set)
dv_cleanup() {
	dv_stop
	if [ -n "$DV_DIR" ] && [ -z "${DV_KEEP:-}" ]; then
		rm -rf "$DV_DIR"
	fi
}
