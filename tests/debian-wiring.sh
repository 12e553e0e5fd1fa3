#!/bin/sh
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# debian-wiring.sh - README's "Wiring a mail host", done with the
# installed Debian packages and their paths only (issue 15): called by
# tests/debian-packages.sh while the packages are installed.
#
# 1. The store: /var/lib/vudb as the package made it (vudb:vudb 2770),
#    filled with the installed /usr/sbin/vudbadm as README says (umask
#    007; init, uid and gid of vmail, a domain, a user, an alias, a
#    catch-all), nothing chgrp'ed by hand.
# 2. vudb-mapd as the installed units run it: systemd-socket-activate
#    (systemd is not PID 1 here) holds the socket unit's ListenStream=
#    path with its SocketGroup= and SocketMode=, and starts the service's
#    ExecStart= as its User= and Group= with its UMask= (setpriv: the
#    same process, so LISTEN_PID holds) on the first lookup.
# 3. A private Postfix with Debian's stock master.cf (smtpd chrooted into
#    the queue directory) and examples/main.cf as README shows it: postmap
#    -q from the queue directory and mail through smtpd with swaks,
#    delivered to the Maildir under /var/vmail or refused with 550.
#    The one thing moved is the queue directory, into the test's
#    directory, so that the host's Postfix is never touched: the socket
#    is the unit's ListenStream= with /var/spool/postfix replaced, and
#    main.cf's relative name private/vudb-mapd is unchanged.
# 4. A private Dovecot with examples/dovecot-2.3-vudb.conf (2.4 on
#    Debian 13) as it is, but for the Postfix queue directory: the
#    installed /usr/share/vudb/dovecot-auth.lua, the installed Lua module
#    found by Lua's own search path, the store /var/lib/vudb;
#    doveadm auth test, SMTP AUTH through it, LMTP delivery.
# 5. vudb-mapd stopped: Postfix defers mail (4xx), never refuses it.
#
# Everything it makes is removed at the end: the store's contents and
# the mail under /var/vmail (the directories themselves are the
# packages'), the test's directory; what it started is stopped by pid.
# Skipped (77) unless root, the packages installed, and /var/lib/vudb
# empty (never an administrator's store).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
top_srcdir=$(cd "$top_srcdir" && pwd) || exit 99
PATH=/usr/sbin:/usr/bin:/sbin:/bin
STORE=/var/lib/vudb
VMAIL=/var/vmail
UNITS=/lib/systemd/system
[ -d /usr/lib/systemd/system ] && [ -f /usr/lib/systemd/system/vudb-mapd.socket ] &&
    UNITS=/usr/lib/systemd/system

[ "$(id -u)" -eq 0 ] || { echo "debian-wiring: not root: skipped"; exit 77; }
for p in vudb-common vudb-tools vudb-mapd vudb-dovecot; do
	dpkg-query -W -f='${Status}' $p 2>/dev/null | grep -q 'ok installed' ||
	    { echo "debian-wiring: $p is not installed: skipped"; exit 77; }
done
for c in systemd-socket-activate setpriv postfix postmap postqueue swaks \
    dovecot doveadm python3; do
	command -v $c >/dev/null 2>&1 ||
	    { echo "debian-wiring: no $c: skipped"; exit 77; }
done
if [ -n "$(ls -A "$STORE" 2>/dev/null)" ]; then
	echo "debian-wiring: $STORE is not empty (a store of this host?): skipped"
	exit 77
fi
. "$top_srcdir/tests/frame24.sh"

PASSED=0 FAILED=0 T= MAPD_PID= PF= DV_PID= DV_CONF=
ok() { PASSED=$((PASSED + 1)); echo "ok   $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $*"; }
check() { what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; return 1; fi; }

stop_pid() {	# stop_pid PID: SIGTERM, at most 10 s, then SIGKILL
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null
	_i=0
	while kill -0 "$1" 2>/dev/null && [ $_i -lt 100 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
dv_stop() {
	[ -n "$DV_PID" ] || return 0
	doveadm -c "$DV_CONF" stop >/dev/null 2>&1
	_i=0
	while kill -0 "$DV_PID" 2>/dev/null && [ $_i -lt 100 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	kill -9 "$DV_PID" 2>/dev/null
	DV_PID=
}
cleanup() {
	[ -n "$PF" ] && f24_postfix_stop "$PF"
	dv_stop
	stop_pid "$MAPD_PID"
	# what this test made in the packages' directories, not them
	find "$STORE" -mindepth 1 -delete 2>/dev/null
	rm -rf "$VMAIL/pc1.example" "$VMAIL/pc2.example"
	[ -n "$T" ] && rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

T=$(mktemp -d /var/tmp/vudb-wiring.XXXXXX) && chmod 0711 "$T" || exit 99

# ---- 1. the store, as README says, with the installed vudbadm
check "the package made $STORE vudb:vudb 2770" \
    test "$(stat -c '%U:%G %a' $STORE)" = "vudb:vudb 2770"
adm() { (umask 007 && /usr/sbin/vudbadm "$@"); }
{
	adm init &&
	adm set uid "$(id -u vmail)" && adm set gid "$(id -g vmail)" &&
	adm domain add pc1.example && adm domain add pc2.example &&
	printf 'password-one\n' |
	    adm user add matsui@pc1.example --password-stdin &&
	printf 'password-two\n' |
	    adm user add matsui@pc2.example --password-stdin &&
	adm alias add info@pc1.example matsui@pc1.example &&
	adm alias add @pc2.example matsui@pc2.example
} >"$T/adm.log" 2>&1
check "vudbadm makes the store in $STORE (default path)" test $? = 0 ||
    cat "$T/adm.log"
check "vudbadm's default store is $STORE" \
    test "$(adm lookup mailbox matsui@pc1.example)" = pc1.example/matsui/Maildir/
check "the store's files belong to group vudb" \
    test -z "$(find $STORE ! -group vudb)"

# ---- 2. vudb-mapd, socket-activated as the installed units say
sockunit=$UNITS/vudb-mapd.socket svcunit=$UNITS/vudb-mapd.service
unitval() {	# unitval FILE KEY: the value of KEY= (continued lines joined)
	awk -v k="$2" '
	    on { v = v " " $0 }
	    !on && index($0, k "=") == 1 { on = 1; v = substr($0, length(k) + 2) }
	    on && !/\\$/ { on = 0; if (v != "") print v; v = "" }' "$1" |
	    tr -d '\\' | tr -s ' '
}
listen=$(unitval "$sockunit" ListenStream)
s_group=$(unitval "$sockunit" SocketGroup)
s_mode=$(unitval "$sockunit" SocketMode)
exec_start=$(unitval "$svcunit" ExecStart)
s_user=$(unitval "$svcunit" User)
s_sgroup=$(unitval "$svcunit" Group)
s_umask=$(unitval "$svcunit" UMask)
qdir=$(postconf -dh queue_directory)
check "the socket unit listens in Postfix's queue directory ($listen)" \
    test "$listen" = "$qdir/private/vudb-mapd"
check "the service runs as vudb:vudb with umask 0007" \
    test "$s_user:$s_sgroup:$s_umask" = vudb:vudb:0007
PF=$T/postfix
sock=$PF/spool/private/vudb-mapd
mkdir -p "$PF/spool/private" && chown postfix "$PF/spool/private" &&
    chmod 0700 "$PF/spool/private" || exit 99
# shellcheck disable=SC2086
set -- $(echo "$exec_start" | sed "s|$qdir/|$PF/spool/|g")
check "ExecStart= runs the installed /usr/sbin/vudb-mapd" \
    test "$1" = /usr/sbin/vudb-mapd
systemd-socket-activate -l "$sock" \
    setpriv --reuid="$s_user" --regid="$s_sgroup" --init-groups \
    sh -c 'umask "$0" && exec "$@"' "$s_umask" "$@" >"$T/mapd.log" 2>&1 &
MAPD_PID=$!
i=0
while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$sock" ] || { fail "no socket $sock"; cat "$T/mapd.log"; exit 1; }
# what systemd does with SocketGroup= and SocketMode=
chgrp "$s_group" "$sock" && chmod "$s_mode" "$sock" || exit 99

# ---- 3. a private Postfix: Debian's stock master.cf, examples/main.cf
SMTP=$(f24_port 25000) IMAP=$(f24_port 25500)
f24_postfix_frame "$PF" "$SMTP" wiring || exit 99
cat "$top_srcdir/examples/main.cf" >> "$PF/etc/main.cf"
f24_postfix_check "$PF" || { fail "postfix check"; exit 1; }
check "smtpd is chrooted, as Debian's master.cf has it" \
    grep -q "^127\.0\.0\.1:$SMTP *inet *n *- *y " "$PF/etc/master.cf"
pq() {	# pq KEY MAP: postmap -q from the queue directory, as README says
	(cd "$PF/spool" && postmap -c "$PF/etc" -q "$1" \
	    "socketmap:unix:private/vudb-mapd:$2")
}
check "postmap -q Matsui+tag@PC2.example (mailbox), socket-activated" \
    test "$(pq Matsui+tag@PC2.example mailbox)" = pc2.example/matsui/Maildir/
check "vudb-mapd runs as $s_user" \
    test "$(ps -o user= -p "$MAPD_PID" 2>/dev/null | tr -d ' ')" = "$s_user"
check "... as the process systemd-socket-activate started" \
    grep -q "Execing setpriv" "$T/mapd.log"
check "postmap -q random@pc2.example (alias, the catch-all)" \
    test "$(pq random@pc2.example alias)" = matsui@pc2.example
pq nobody@pc1.example mailbox >/dev/null 2>&1
check "postmap -q nobody@pc1.example: not found (1)" test $? = 1

# ---- 4. a private Dovecot with the example for it, installed paths
mkdir -p "$T/dovecot/run" "$T/dovecot/state" "$T/dovecot/log" || exit 99
case $(dovecot --version) in 2.3*) dv=2.3 ;; *) dv=2.4 ;; esac
sed "s|/var/spool/postfix/|$PF/spool/|g" \
    "$top_srcdir/examples/dovecot-$dv-vudb.conf" > "$T/dovecot/vudb.conf"
DV_CONF=$T/dovecot/dovecot.conf
if [ $dv = 2.4 ]; then
	addr=listen
	cat > "$DV_CONF" <<EOF
dovecot_config_version = 2.4.0
dovecot_storage_version = 2.4.0
auth_allow_cleartext = yes
EOF
else
	addr=address
	cat > "$DV_CONF" <<EOF
disable_plaintext_auth = no
service stats {
  inet_listener http {
    port = 0
  }
}
EOF
fi
cat >> "$DV_CONF" <<EOF
instance_name = vudbwiring
base_dir = $T/dovecot/run
state_dir = $T/dovecot/state
log_path = $T/dovecot/log/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
auth_mechanisms = plain login
auth_failure_delay = 0
# README: "Set first_valid_uid to the vmail uid or lower" (a system user
# made by the package may have a uid below Dovecot's default, 500)
first_valid_uid = $(id -u vmail)
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service imap-login {
  inet_listener imap {
    $addr = 127.0.0.1
    port = $IMAP
  }
  inet_listener imaps {
    port = 0
  }
}
!include $T/dovecot/vudb.conf
EOF
if dovecot -c "$DV_CONF" 2>"$T/dovecot/start.err"; then
	i=0
	until [ -s "$T/dovecot/run/master.pid" ] &&
	    [ -S "$T/dovecot/run/auth-userdb" ] || [ $i -ge 200 ]; do
		sleep 0.1; i=$((i + 1))
	done
	DV_PID=$(cat "$T/dovecot/run/master.pid" 2>/dev/null)
fi
check "Dovecot $dv starts with examples/dovecot-$dv-vudb.conf" test -n "$DV_PID" ||
    { cat "$T/dovecot/start.err"; tail -20 "$T/dovecot/log/dovecot.log"; }
# doveadm auth test takes the password as an argument; this one is a
# test password, not a secret
dvauth() { doveadm -c "$DV_CONF" auth test -x service=imap "$1" "$2" \
    >"$T/auth.out" 2>&1; }
check "doveadm auth test matsui@pc1.example (installed vudb.so, dovecot-auth.lua)" \
    dvauth matsui@pc1.example password-one ||
    { cat "$T/auth.out"; tail -20 "$T/dovecot/log/dovecot.log"; }
# the module Dovecot's auth worker loaded is the installed one
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
mod=/usr/lib/$ma/lua/5.4/vudb.so
loaded=
for p in $(pgrep -P "$DV_PID"); do
	grep -q '/lua/5\.4/vudb\.so' "/proc/$p/maps" 2>/dev/null &&
	    loaded="$loaded $(grep -o '/[^ ]*/lua/5\.4/vudb\.so' "/proc/$p/maps" |
	    sort -u)"
done
check "Dovecot's auth worker loaded $mod, from Lua's own search path" \
    test "$(echo $loaded | tr ' ' '\n' | sort -u)" = "$mod" ||
    echo "loaded: '$loaded'"
doveadm -c "$DV_CONF" auth login matsui@pc2.example password-two \
    >"$T/login.out" 2>&1
check "doveadm auth login matsui@pc2.example: home under $VMAIL, vmail's uid" \
    sh -c "grep -q 'home=$VMAIL/pc2.example/matsui\$' '$T/login.out' &&
    grep -q 'uid=$(id -u vmail)\$' '$T/login.out'" || cat "$T/login.out"
dvauth matsui@pc1.example password-two
check "doveadm auth test with the other matsui's password fails" test $? != 0

# ---- mail in through the chrooted smtpd, LMTP to Dovecot
f24_postfix_start "$PF" "$SMTP" || { fail "postfix start"; exit 1; }
send() {	# send RCPT SUBJECT [swaks options]: prints swaks' rc
	_to=$1 _subj=$2; shift 2
	swaks --server "127.0.0.1:$SMTP" --to "$_to" \
	    --header "Subject: $_subj" --body "test $_subj" \
	    --timeout 30 "$@" >"$T/swaks.out" 2>&1
	echo $?
}
check "mail to Matsui+tag@PC1.example is accepted by smtpd" \
    test "$(send Matsui+tag@PC1.example direct --from someone@remote.example)" = 0
check "mail to the catch-all of pc2.example is accepted" \
    test "$(send random@pc2.example catchall --from someone@remote.example)" = 0
check "mail to nobody@pc1.example is refused" \
    test "$(send nobody@pc1.example none --from someone@remote.example)" = 24
check "... with 550" grep -q '<\*\* *550' "$T/swaks.out"
check "SMTP AUTH (through Dovecot) sends as itself" \
    test "$(send matsui@pc2.example auth --from matsui@pc1.example \
    --auth PLAIN --auth-user matsui@pc1.example --auth-password password-one)" = 0
count() { find "$VMAIL/$1/matsui/Maildir/new" "$VMAIL/$1/matsui/Maildir/cur" \
    -type f 2>/dev/null | wc -l; }
i=0
while [ "$(count pc1.example)" -lt 1 ] || [ "$(count pc2.example)" -lt 2 ]; do
	i=$((i + 1)); [ $i -lt 60 ] || break
	postqueue -c "$PF/etc" -f >/dev/null 2>&1; sleep 1
done
check "delivered into $VMAIL/pc1.example/matsui/Maildir" \
    test "$(count pc1.example)" = 1
check "delivered into $VMAIL/pc2.example/matsui/Maildir (2)" \
    test "$(count pc2.example)" = 2
[ "$(count pc1.example)" = 1 ] && [ "$(count pc2.example)" = 2 ] || {
	tail -20 "$PF/maillog"; tail -20 "$T/dovecot/log/dovecot.log"; }
check "the mail belongs to vmail" \
    test "$(stat -c %U "$VMAIL/pc1.example/matsui/Maildir")" = vmail
check "no password in Dovecot's log" \
    sh -c "! grep -q 'password-one\|password-two' '$T/dovecot/log/dovecot.log'"
check "vudb-mapd logged no error" \
    sh -c "! grep -i 'error\|fatal' '$T/mapd.log'"

# ---- vudb-mapd gone (the service stopped, the socket unit's file left):
# Postfix defers the mail (4xx), it never bounces it
stop_pid "$MAPD_PID"; MAPD_PID=
send matsui@pc1.example down --from someone@remote.example >/dev/null
check "with vudb-mapd stopped, mail is deferred with 4xx, not refused" \
    grep -q '<\*\* *4[0-9][0-9]' "$T/swaks.out" || tail -5 "$T/swaks.out"

echo "debian-wiring (Dovecot $dv): $((PASSED + FAILED)) checks, $FAILED failed"
[ "$FAILED" -eq 0 ]
