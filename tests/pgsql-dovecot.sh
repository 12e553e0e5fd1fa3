#!/bin/sh
# pgsql-dovecot.sh - "two hosts" with Dovecot (issue 14): a primary and a
# hot standby (pg_basebackup -R), and two private Dovecot instances with
# the vudb Lua module, "host A" reading the primary and "host B" the
# standby, each as README's "Several hosts" wires it (a postgresql:// URI
# in the store's place).  Checked with doveadm auth test:
#  - a user added on the primary logs in on both hosts within one second,
#    with the right password only;
#  - a password changed on the primary: the old one refused and the new
#    one taken on both within one second;
#  - the primary stopped: host B (the standby) keeps logging the user in,
#    host A answers a temporary failure, never "unknown user" or a wrong
#    password.
# Runs in the plain build (make check-dovecot): Dovecot's default
# address-space limit stops a sanitizer build's module.
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.

: "${top_srcdir:=.}" "${top_builddir:=.}"
DV_DRIVER=lua
. "$top_srcdir/adapters/dovecot/tests/dovecot.sh"
dv_skip_unless_ready
. "$top_srcdir/tests/pg.sh"
pg_require
VUDBADM=$top_builddir/tools/vudbadm/vudbadm

n=0 bad=0
ok() { n=$((n + 1)); echo "ok   $*"; }
notok() { n=$((n + 1)); bad=$((bad + 1)); echo "FAIL $*"; }

A_DIR= A_CONF= A_PID= B_DIR= B_CONF= B_PID=
cleanup() {
	for h in A B; do
		eval "DV_DIR=\$${h}_DIR DV_CONF=\$${h}_CONF DV_PID=\$${h}_PID"
		[ -n "$DV_DIR" ] && dv_cleanup
	done
	pg_stop
}
dv_group && dv_vmail || exit 99
pg_start || exit 99
trap cleanup EXIT
trap 'cleanup; trap - EXIT; exit 130' INT
trap 'cleanup; trap - EXIT; exit 143' TERM

# the store on the primary; the mail base is host A's directory (the
# logins checked here do not write mail)
dv_init vudbpgdva || exit 99
A_DIR=$DV_DIR
mkdir -p "$A_DIR/mail" && chown vmail:vmail "$A_DIR/mail" || exit 99
WA="pgsql:$PG_CONN dbname=dvh"
hash1=$(printf 'first-secret' | "$VUDBADM" pw -s SHA512-CRYPT) &&
    hash2=$(printf 'second-secret' | "$VUDBADM" pw -s SHA512-CRYPT) &&
    "$VUDBADM" -d "$WA" init >/dev/null &&
    "$VUDBADM" -d "$WA" set mail_base "$A_DIR/mail" &&
    "$VUDBADM" -d "$WA" set uid "$DV_UID" &&
    "$VUDBADM" -d "$WA" set gid "$DV_GID" &&
    "$VUDBADM" -d "$WA" domain add h.example &&
    "$VUDBADM" -d "$WA" user add --password-hash "$hash1" \
	old@h.example || { echo "store set-up failed"; exit 99; }
pg_standby || exit 99
# what Dovecot is given: a URI (no blank: 2.3 passes the store through
# import_environment, a list separated by blanks)
URI_A="pgsql:postgresql:///dvh?host=$PG_DIR&user=vudb"
URI_B="pgsql:postgresql:///dvh?host=$PG_SB_DIR&user=vudb"

# host A, then host B: a Dovecot each, its own directory and port
start_host() {	# start_host NAME URI
	if [ "$1" = B ]; then dv_init vudbpgdvb || return 1; fi
	_p=$(dv_port) && dv_conf "$DV_DIR/dovecot.conf" "$2" "$_p" &&
	    dv_start || return 1
	eval "$1_DIR=\$DV_DIR $1_CONF=\$DV_CONF $1_PID=\$DV_PID"
}
DV_DIR=$A_DIR
start_host A "$URI_A" || { echo "host A's Dovecot did not start"; exit 99; }
start_host B "$URI_B" || { echo "host B's Dovecot did not start"; exit 99; }

# auth HOST USER PASSWORD - doveadm auth test on HOST: ok, refused,
# tempfail (or other: what doveadm said)
auth() {
	eval "_c=\$$1_CONF"
	_out=$(doveadm -c "$_c" auth test "$2" "$3" 2>&1)
	# Dovecot 2.3 and 2.4 both add code=temp_fail to a failure that is
	# temporary (the Lua passdb's INTERNAL_FAILURE)
	case $_out in
	*"auth succeeded"*) echo ok ;;
	*"code=temp_fail"*) echo tempfail ;;
	*"auth failed"*) echo refused ;;
	*) echo "other: $_out" | head -3 | tr '\n' ' ' ;;
	esac
}

# within HOST USER PASSWORD WANT - WANT within one second (asked every
# 50 ms); prints the answer and the time it took
within() {
	_t0=$(date +%s.%N)
	while :; do
		_got=$(auth "$1" "$2" "$3")
		_dt=$(awk -v a="$_t0" -v b="$(date +%s.%N)" \
		    'BEGIN { printf "%.2f", b - a }')
		[ "$_got" = "$4" ] && break
		awk -v d="$_dt" 'BEGIN { exit !(d > 1.0) }' && break
		sleep 0.05
	done
	echo "$_got $_dt"
}

for h in A B; do
	[ "$(auth $h old@h.example first-secret)" = ok ] &&
	    ok "host $h: a user of the store logs in" ||
	    notok "host $h: old@h.example: $(auth $h old@h.example first-secret)"
done

# a user added on the primary, logged in on both within a second
"$VUDBADM" -d "$WA" user add --password-hash "$hash1" new@h.example ||
    notok "user add on the primary"
for h in A B; do
	set -- $(within $h new@h.example first-secret ok)
	if [ "$1" = ok ]; then ok "host $h: a new user logs in after $2 s"
	else notok "host $h: a new user: $* (want ok within 1 s)"; fi
	got=$(auth $h new@h.example wrong-secret)
	[ "$got" = refused ] && ok "host $h: a wrong password refused" ||
	    notok "host $h: a wrong password: $got"
done

# a password changed on the primary
"$VUDBADM" -d "$WA" user passwd --password-hash "$hash2" new@h.example ||
    notok "user passwd on the primary"
for h in A B; do
	set -- $(within $h new@h.example second-secret ok)
	if [ "$1" = ok ]; then ok "host $h: the new password after $2 s"
	else notok "host $h: the new password: $* (want ok within 1 s)"; fi
	got=$(auth $h new@h.example first-secret)
	[ "$got" = refused ] && ok "host $h: the old password refused" ||
	    notok "host $h: the old password: $got"
done

# the primary stopped: host B answers from the standby, host A fails
# temporarily, never "unknown user" or "wrong password"
pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 ||
    notok "stopping the primary"
got=$(auth B new@h.example second-secret)
[ "$got" = ok ] && ok "host B: logins go on with the primary stopped" ||
    notok "host B with the primary stopped: $got"
got=$(auth A new@h.example second-secret)
[ "$got" = tempfail ] &&
    ok "host A: a temporary failure with its server stopped" ||
    notok "host A with its server stopped: $got (want tempfail)"

echo "pgsql-dovecot: $n checks, $bad failed"
[ $bad -eq 0 ]
