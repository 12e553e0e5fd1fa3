# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# frame24.sh - frames of a private Dovecot 2.4 and of a private Postfix
# that keeps Debian's stock master.cf, for tests on Debian 13 (sourced,
# never run).  A test writes a frame, appends its own settings (the vudb
# passdb and userdb, the vudb maps), checks and starts the instances, and
# stops them by pid.  Everything lives under the test's directory and
# listens on 127.0.0.1 only; nothing in /etc is read or written.
#
# Dovecot 2.4 (f24_dovecot_*): base_dir, state_dir and the log under the
# directory, imap and lmtp on the given ports, no TLS, cleartext logins,
# no failure delay, no anvil auth penalty, dovecot_config_version and
# dovecot_storage_version 2.4.0 (Debian's own dovecot.conf says 2.4.0:
# later 2.4.x releases keep that meaning), mail in ~/Maildir.  Dovecot's
# default process limits are kept: never default_vsz_limit or vsz_limit.
# No passdb or userdb: the test appends them, in 2.4 syntax, e.g.
#	passdb lua { lua_file = ... }	userdb lua { lua_file = ... }
#
# Postfix (f24_postfix_*; 3.10 on Debian 13, 3.7 on Debian 12): master.cf
# is Debian's /usr/share/postfix/master.cf.dist with one change, smtpd
# listens on 127.0.0.1:PORT; it stays chrooted into the queue directory,
# as a packaged Postfix is ("smtp inet n - y - - smtpd").  The chroot is
# filled by Debian's own /usr/lib/postfix/configure-instance.sh: Postfix
# 3.10 runs it itself from "postfix check" and "postfix start" (and
# refuses to be run by hand: "E: This is internal script used by
# postfix"); on 3.7 f24_postfix_check runs it as the init script does,
# "MAIL_CONFIG=DIR configure-instance.sh -".  A chrooted smtpd reaches a
# lookup server only by socketmap:inet:127.0.0.1:PORT:MAP, a unix socket
# inside the queue directory named relatively (socketmap:unix:private/
# NAME:MAP), or through proxy: (see REAL-CLIENTS.md).
#
# Functions return non-zero on failure and say why on stderr.
# Variables set: F24_DV_DIR F24_DV_CONF F24_DV_PID (Dovecot),
# F24_PF_PID (Postfix), F24_UID F24_GID (f24_vmail).

F24_DV_DIR= F24_DV_CONF= F24_DV_PID= F24_PF_PID=
# pf_main_cf: the main.cf of a private Postfix
. "${top_srcdir:-.}/tests/postfix.sh"

# f24_port [BASE] - print a port in BASE..BASE+499 (default 24000) that
# nothing listens on now
f24_port() {
	python3 - "${1:-24000}" <<'EOF'
import random, socket, sys
base = int(sys.argv[1])
ports = list(range(base, base + 500))
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

# f24_wait_port PORT - wait (at most 20 s) until 127.0.0.1:PORT accepts
f24_wait_port() {
	python3 - "$1" <<'EOF'
import socket, sys, time
end = time.time() + 20
while time.time() < end:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
EOF
}

# f24_vmail - a system user vmail that owns the mail (made if missing);
# sets F24_UID, F24_GID
f24_vmail() {
	getent passwd vmail >/dev/null ||
	    useradd --system --user-group --no-create-home \
	    --home-dir /nonexistent --shell /usr/sbin/nologin vmail ||
	    getent passwd vmail >/dev/null || return 1
	F24_UID=$(id -u vmail) && F24_GID=$(id -g vmail)
}

# f24_dovecot_conf DIR IMAP_PORT LMTP_PORT [FIRST_VALID_UID] - write
# DIR/dovecot.conf, the frame, and make DIR/run, DIR/state, DIR/log;
# DIR becomes 0711 (Dovecot's users pass through it).  Sets F24_DV_DIR
# and F24_DV_CONF; append the passdb and userdb to F24_DV_CONF.
f24_dovecot_conf() {
	mkdir -p "$1/run" "$1/state" "$1/log" && chmod 0711 "$1" || return 1
	F24_DV_DIR=$1 F24_DV_CONF=$1/dovecot.conf
	cat > "$F24_DV_CONF" <<EOF
# a private Dovecot 2.4 for a test (tests/frame24.sh)
dovecot_config_version = 2.4.0
dovecot_storage_version = 2.4.0
base_dir = $1/run
state_dir = $1/state
log_path = $1/log/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
# loopback only: cleartext logins are fine (2.3: disable_plaintext_auth)
auth_allow_cleartext = yes
auth_mechanisms = plain login
# never auth_debug or auth_debug_passwords: they log secrets
auth_verbose = yes
auth_failure_delay = 0
first_valid_uid = ${4:-500}
mail_driver = maildir
mail_path = ~/Maildir
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service imap-login {
  inet_listener imap {
    listen = 127.0.0.1
    port = $2
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    listen = 127.0.0.1
    port = $3
  }
}
EOF
}

# f24_dovecot_start - start Dovecot with F24_DV_CONF; wait (at most 20 s)
# until its auth service is there; sets F24_DV_PID
f24_dovecot_start() {
	dovecot -c "$F24_DV_CONF" || { f24_dovecot_log; return 1; }
	_i=0
	while [ $_i -lt 200 ]; do
		if [ -s "$F24_DV_DIR/run/master.pid" ] &&
		    [ -S "$F24_DV_DIR/run/auth-userdb" ]; then
			F24_DV_PID=$(cat "$F24_DV_DIR/run/master.pid")
			return 0
		fi
		sleep 0.1; _i=$((_i + 1))
	done
	echo "dovecot did not start in 20 s" >&2; f24_dovecot_log
	F24_DV_PID=$(cat "$F24_DV_DIR/run/master.pid" 2>/dev/null)
	f24_dovecot_stop
	return 1
}

# f24_dovecot_stop - stop the Dovecot of f24_dovecot_start (at most 10 s,
# then SIGKILL to the master's pid)
f24_dovecot_stop() {
	[ -n "$F24_DV_PID" ] || return 0
	doveadm -c "$F24_DV_CONF" stop >/dev/null 2>&1 ||
	    kill "$F24_DV_PID" 2>/dev/null
	_i=0
	while kill -0 "$F24_DV_PID" 2>/dev/null && [ $_i -lt 100 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	kill -0 "$F24_DV_PID" 2>/dev/null && kill -9 "$F24_DV_PID" 2>/dev/null
	F24_DV_PID=
}

# f24_dovecot_log - the end of Dovecot's log, on stderr
f24_dovecot_log() {
	[ -f "$F24_DV_DIR/log/dovecot.log" ] || return 0
	echo "---- tail of $F24_DV_DIR/log/dovecot.log" >&2
	tail -30 "$F24_DV_DIR/log/dovecot.log" >&2
}

# f24_postfix_frame DIR PORT NAME - DIR/etc/main.cf and the stock
# master.cf with smtpd on 127.0.0.1:PORT; the queue (and smtpd's chroot)
# in DIR/spool; myhostname mx.NAME.test; nothing delivered locally and
# nothing relayed out.  Append the test's main.cf lines, then
# f24_postfix_check.
f24_postfix_frame() {
	_stock=/usr/share/postfix/master.cf.dist
	[ -r "$_stock" ] || { echo "no $_stock: not Debian's Postfix" >&2
	    return 1; }
	pf_main_cf "$1" "$3" || return 1
	# the one change: "smtp inet" becomes "127.0.0.1:PORT inet"
	sed -e "s/^smtp\([[:space:]]\{1,\}inet[[:space:]]\)/127.0.0.1:$2\1/" \
	    "$_stock" > "$1/etc/master.cf" || return 1
	grep -q "^127\.0\.0\.1:$2[[:space:]]\{1,\}inet[[:space:]]" \
	    "$1/etc/master.cf" ||
	    { echo "$_stock has no smtp inet line" >&2; return 1; }
}

# f24_postfix_check DIR - fill smtpd's chroot (Postfix 3.7: run Debian's
# configure-instance.sh; 3.10 does it itself) and run "postfix check"
f24_postfix_check() {
	_dd=$(postconf -c "$1/etc" -h daemon_directory) || return 1
	if ! grep -q configure-instance "$_dd/post-install" 2>/dev/null; then
		MAIL_CONFIG=$1/etc /usr/lib/postfix/configure-instance.sh - \
		    >"$1/configure-instance.log" 2>&1 || {
			echo "configure-instance.sh failed:" >&2
			cat "$1/configure-instance.log" >&2; return 1; }
	fi
	postfix -c "$1/etc" check >"$1/check.log" 2>&1 || {
		echo "postfix check failed:" >&2; cat "$1/check.log" >&2
		tail -20 "$1/maillog" >&2 2>/dev/null; return 1; }
}

# f24_postfix_start DIR PORT - start the instance, wait (at most 20 s)
# until smtpd's port accepts; sets F24_PF_PID
f24_postfix_start() {
	postfix -c "$1/etc" start >/dev/null 2>&1 || {
		echo "postfix did not start:" >&2
		tail -20 "$1/maillog" >&2 2>/dev/null; return 1; }
	F24_PF_PID=$(tr -d ' ' < "$1/spool/pid/master.pid" 2>/dev/null)
	f24_wait_port "$2" || { echo "no smtpd on port $2" >&2; return 1; }
}

# f24_postfix_stop DIR - stop the instance (at most 10 s, then SIGKILL
# to the master's pid)
f24_postfix_stop() {
	[ -n "$F24_PF_PID" ] ||
	    F24_PF_PID=$(tr -d ' ' < "$1/spool/pid/master.pid" 2>/dev/null)
	[ -n "$F24_PF_PID" ] || return 0
	postfix -c "$1/etc" stop >/dev/null 2>&1 ||
	    kill "$F24_PF_PID" 2>/dev/null
	_i=0
	while kill -0 "$F24_PF_PID" 2>/dev/null && [ $_i -lt 100 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	kill -0 "$F24_PF_PID" 2>/dev/null && kill -9 "$F24_PF_PID" 2>/dev/null
	F24_PF_PID=
}
