#!/bin/sh
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# dovecot-auth.sh - the vudb passdb and userdb under the REAL Dovecot
# 2.3: a private instance (dovecot.sh, dovecot.conf.in and the example
# config) with vudb-checkpassword (DV_DRIVER=checkpassword, the default
# here) or the Lua module and dovecot-auth.lua (DV_DRIVER=lua, as
# dovecot-lua.sh runs it), run by Dovecot as user dovecot through the
# group vudb, with Dovecot's default limits.
# doveadm auth test (the login matrix), doveadm auth login (the userdb
# fields of a login), doveadm user (found, unknown, per service),
# doveadm quota get (Dovecot parses our quota rule), IMAP LOGIN, SELECT
# and APPEND with imaplib, LMTP RCPT and delivery, CRAM-MD5 (the
# credentials lookup), and a store failure (the fail: backend)
# answered as temporary everywhere.  Root only; skipped (77) without
# root, Dovecot or python3.
: "${top_srcdir:=.}" "${top_builddir:=.}"
DV_DRIVER=${DV_DRIVER:-checkpassword}
. "$top_srcdir/adapters/dovecot/tests/dovecot.sh"
dv_skip_unless_ready
trap 'dv_cleanup' EXIT
trap 'exit 1' INT TERM HUP
dv_init vudbdove || exit 99
dv_group && dv_vmail || exit 99
STORE=$DV_DIR/store
dv_store "$STORE" "$DV_SRC/store.txt" || exit 99
# free ports now may be taken before Dovecot binds them: try 3 times
for try in 1 2 3; do
	PORT=$(dv_port) && DV_LMTP_PORT=$(dv_port) || exit 99
	[ "$DV_LMTP_PORT" != "$PORT" ] || continue
	# fail: is the Berkeley DB store itself until STORE/fail says "all"
	dv_conf "$DV_DIR/dovecot.conf" "fail:$STORE" "$PORT" || exit 99
	dv_start && break
	dv_stop
done
[ -n "$DV_PID" ] || exit 99
C=$DV_CONF

n=0 bad=0
ok() { n=$((n + 1)); echo "ok   $*"; }
notok() { n=$((n + 1)); bad=$((bad + 1)); echo "FAIL $*"; }

# auth RC USER PASS [OPTIONS] - doveadm auth test gives RC; a refusal
# (77) must be a real one, not a temporary failure
auth() {
	_want=$1 _u=$2 _p=$3; shift 3
	_out=$(doveadm -c "$C" auth test "$@" "$_u" "$_p" 2>&1); _rc=$?
	if [ "$_rc" != "$_want" ]; then
		notok "auth test $* $_u: rc $_rc, want $_want"; echo "$_out"
	elif [ "$_want" = 77 ] && echo "$_out" | grep -q temp_fail; then
		notok "auth test $* $_u: a temporary failure, not a refusal"
		echo "$_out"
	else
		ok "auth test $* $_u: rc $_rc"
	fi
}

# user RC USER [OPTIONS] - doveadm user gives RC; its output in $out
user() {
	_want=$1 _u=$2; shift 2
	out=$(doveadm -c "$C" user "$@" "$_u" 2>&1); _rc=$?
	out=$(printf '%s\n' "$out" | tr '\t' =)
	if [ "$_rc" = "$_want" ]; then
		ok "user $* $_u: rc $_rc"
	else
		notok "user $* $_u: rc $_rc, want $_want"; echo "$out"
	fi
}

# has WHAT TEXT PATTERN - TEXT contains the fixed string PATTERN
has() {
	if printf '%s\n' "$2" | grep -qF -- "$3"; then
		ok "$1"
	else
		notok "$1: no '$3' in:"; printf '%s\n' "$2"
	fi
}

# ---- passdb: the login matrix (service doveadm unless -x service=)
auth 0 matsui@pc1.example pc1-secret
auth 0 matsui@pc2.example pc2-secret
auth 0 Matsui@PC1.example pc1-secret
auth 77 matsui@pc1.example wrong-pass
auth 77 matsui@pc1.example pc2-secret
auth 77 matsui@pc2.example pc1-secret
auth 77 nobody@pc1.example pc1-secret
auth 77 matsui@nowhere.example pc1-secret
auth 77 sato@pc1.example sato-secret
auth 77 kato@pc3.example kato-secret
auth 77 matsui pc1-secret
auth 77 imaponly@pc1.example imap-secret -x service=pop3
auth 0 imaponly@pc1.example imap-secret -x service=imap
auth 77 noimap@pc1.example noimap-secret -x service=imap
auth 0 noimap@pc1.example noimap-secret -x service=smtp
auth 0 argon@pc1.example argon-secret -x service=imap

# ---- a login's userdb fields (passdb reply, prefetch userdb)
out=$(doveadm -c "$C" auth login matsui@pc1.example pc1-secret 2>&1)
has "auth login: home" "$out" "home=$DV_DIR/mail/pc1.example/matsui"
has "auth login: uid" "$out" "uid=$DV_UID"
has "auth login: gid" "$out" "gid=$DV_GID"
# Dovecot 2.4 has no quota_rule (quota_storage_size and friends, which
# need its quota plugin configured): the rule is passed on 2.3 only
[ "$DV_VERSION" = 2.3 ] && has "auth login: quota" "$out" \
    "quota_rule=*:storage=1073741824B:messages=1000"
out=$(doveadm -c "$C" auth login Matsui@PC1.EXAMPLE pc1-secret 2>&1)
has "auth login: canonical user name" "$out" "user=matsui@pc1.example"

# ---- userdb: doveadm user (LMTP RCPT uses the same lookup)
user 0 matsui@pc1.example
has "user: home" "$out" "home=$DV_DIR/mail/pc1.example/matsui"
has "user: uid" "$out" "uid=$DV_UID"
has "user: gid" "$out" "gid=$DV_GID"
if [ "$DV_VERSION" = 2.3 ]; then
	has "user: quota" "$out" \
	    "quota_rule=*:storage=1073741824B:messages=1000"
elif [ "$DV_DRIVER" = lua ]; then
	has "user: the mail path" "$out" \
	    "mail_path=$DV_DIR/mail/pc1.example/matsui/Maildir"
fi
user 0 matsui@pc2.example
has "user: pc2's own home" "$out" "home=$DV_DIR/mail/pc2.example/matsui"
user 67 nobody@pc1.example
user 67 matsui@nowhere.example
user 67 matsui
user 67 sato@pc1.example -x service=lmtp
user 0 sato@pc1.example
user 67 norecv@pc1.example -x service=lmtp
user 0 matsui@pc1.example -x service=lmtp

# ---- passdb lookups: CREDENTIALS_LOOKUP through doveadm auth lookup
out=$(doveadm -c "$C" auth lookup matsui@pc1.example 2>&1); rc=$?
if [ $rc = 0 ]; then ok "auth lookup: rc 0"
else notok "auth lookup: rc $rc"; echo "$out"; fi
doveadm -c "$C" auth lookup nobody@pc1.example >/dev/null 2>&1; rc=$?
if [ $rc = 67 ]; then ok "auth lookup unknown: rc 67"
else notok "auth lookup unknown: rc $rc"; fi

# ---- IMAP on 127.0.0.1:$PORT
I="python3 $DV_SRC/imap.py $PORT"
$I ok matsui@pc1.example pc1-secret "$DV_DIR/mail/pc1.example/matsui/Maildir" &&
    ok "IMAP pc1" || notok "IMAP pc1"
$I ok matsui@pc2.example pc2-secret "$DV_DIR/mail/pc2.example/matsui/Maildir" &&
    ok "IMAP pc2" || notok "IMAP pc2"
$I ok matsui@pc1.example pc1-secret "$DV_DIR/mail/pc1.example/matsui/Maildir" &&
    ok "IMAP pc1 again, its own mailbox" || notok "IMAP pc1 again"
$I refused matsui@pc1.example pc2-secret && ok "IMAP cross-domain password" ||
    notok "IMAP cross-domain password"
$I refused imaponly@pc1.example wrong-pass && ok "IMAP wrong password" ||
    notok "IMAP wrong password"
$I refused noimap@pc1.example noimap-secret && ok "IMAP service not allowed" ||
    notok "IMAP service not allowed"
$I cram cram@pc1.example cram-secret && ok "IMAP CRAM-MD5" ||
    notok "IMAP CRAM-MD5"
$I refused matsui@pc1.example pc1-secret >/dev/null 2>&1 &&
    notok "IMAP: refusal check is not vacuous" ||
    ok "IMAP: refusal check is not vacuous"
st=$(stat -c %U "$DV_DIR/mail/pc1.example/matsui/Maildir")
[ "$st" = vmail ] && ok "mail stored as vmail" || notok "mail owned by $st"

# ---- LMTP delivery: RCPT looks the user up (SERVICE=lmtp)
L="python3 $DV_SRC/lmtp.py $DV_LMTP_PORT"
$L matsui@pc2.example 250 && ok "LMTP to pc2's matsui" || notok "LMTP pc2"
$L Matsui@PC1.example 250 && ok "LMTP, name in another case" ||
    notok "LMTP, name in another case"
$L nobody@pc1.example 550 && ok "LMTP to an unknown user: 550" ||
    notok "LMTP unknown user"
$L sato@pc1.example 550 && ok "LMTP to a disabled user: 550" ||
    notok "LMTP disabled user"
$L norecv@pc1.example 550 && ok "LMTP to a user with receive=no: 550" ||
    notok "LMTP receive=no"
m=$DV_DIR/mail/pc2.example/matsui/Maildir
n2=$(find "$m/new" "$m/cur" -type f | wc -l)
[ "$n2" = 2 ] && ok "pc2's matsui: 2 messages (IMAP, LMTP)" ||
    notok "pc2's matsui: $n2 messages, want 2"

# ---- Dovecot's quota plugin reads the rule (2.3)
if [ "$DV_VERSION" = 2.3 ]; then
	out=$(doveadm -c "$C" quota get -u matsui@pc1.example 2>&1)
	has "quota get: storage limit (KiB)" "$out" "1048576"
	has "quota get: message limit" "$out" "1000"
fi

# ---- a store failure is temporary: rc 75, temp_fail, [UNAVAILABLE]
(umask 007 && echo all > "$STORE/fail")
user 75 matsui@pc1.example
user 75 nobody@pc1.example
out=$(doveadm -c "$C" auth test matsui@pc1.example pc1-secret 2>&1)
has "auth test during a store failure: temporary" "$out" "code=temp_fail"
out=$(doveadm -c "$C" auth test matsui@pc1.example wrong-pass 2>&1)
has "auth test, wrong password, during a store failure: temporary" "$out" \
    "code=temp_fail"
$I tempfail matsui@pc1.example pc1-secret && ok "IMAP during a store failure" ||
    notok "IMAP during a store failure"
$L matsui@pc1.example 451 && ok "LMTP during a store failure: 451" ||
    notok "LMTP during a store failure"
rm -f "$STORE/fail"
user 0 matsui@pc1.example
auth 0 matsui@pc1.example pc1-secret

# ---- the auth processes see changes at once, without a restart
adm() { (umask 007 && "$top_builddir/tools/vudbadm/vudbadm" -d "$STORE" \
    "$@" >/dev/null 2>&1); }
workers() { pgrep -P "$DV_PID" | sort | tr '\n' ' '; }
before=$(workers)
printf 'changed-secret\n' | adm user passwd matsui@pc2.example --password-stdin
auth 77 matsui@pc2.example pc2-secret
auth 0 matsui@pc2.example changed-secret
printf 'new-secret\n' | adm user add newbie@pc1.example --password-stdin
auth 0 newbie@pc1.example new-secret
user 0 newbie@pc1.example
adm user disable newbie@pc1.example
auth 77 newbie@pc1.example new-secret
adm user del newbie@pc1.example
auth 77 newbie@pc1.example new-secret
user 67 newbie@pc1.example
adm domain disable pc2.example
auth 77 matsui@pc2.example changed-secret
adm domain del pc2.example --force || adm domain del pc2.example
user 67 matsui@pc2.example
auth 77 matsui@pc2.example changed-secret

# ---- names no client should send, straight to the auth-client socket:
# refused, and the auth processes stay up
A="python3 $DV_SRC/authc.py $DV_DIR/run/auth-client imap"
for name in '' "$(printf '%10000s' | tr ' ' a)@pc1.example" \
    '\xff\xfe@pc1.example' 'mat\x00sui@pc1.example' '../x@pc1.example' \
    'matsui@../pc1.example' 'matsui@pc1.example\x00'; do
	out=$($A "$name" pc1-secret 2>&1)
	case $out in
	FAIL*) ok "auth-client: $(printf '%.40s' "$name") refused" ;;
	*) notok "auth-client: $(printf '%.40s' "$name"): $out" ;;
	esac
done
out=$($A matsui@pc1.example pc1-secret 2>&1)
case $out in
OK*) ok "auth-client: a good login after them" ;;
*) notok "auth-client: a good login after them: $out" ;;
esac
[ "$(workers)" = "$before" ] && ok "no Dovecot process died or restarted" ||
    notok "Dovecot's processes changed: $before -> $(workers)"

# ---- a damaged domain file fails alone, as a temporary failure
for f in "$STORE"/domains/dmg.example.*; do
	case $f in *-lock) continue ;; esac
	head -c 65536 /dev/urandom > "$f.new" && chgrp vudb "$f.new" &&
	    chmod 0660 "$f.new" && mv "$f.new" "$f"
done
out=$(doveadm -c "$C" auth test u@dmg.example dmg-secret 2>&1)
has "damaged domain: login is a temporary failure" "$out" "code=temp_fail"
user 75 u@dmg.example
auth 0 matsui@pc1.example pc1-secret
user 0 matsui@pc1.example

# ---- nothing secret in Dovecot's log (the helper runs with -v)
leak=
for pw in pc1-secret pc2-secret sato-secret imap-secret noimap-secret \
    kato-secret argon-secret cram-secret wrong-pass changed-secret \
    new-secret dmg-secret; do
	grep -qF "$pw" "$DV_DIR/log/dovecot.log" && leak="$leak $pw"
done
[ -z "$leak" ] && ok "no password in Dovecot's log" ||
    notok "passwords in Dovecot's log:$leak"
if [ "$DV_DRIVER" = lua ]; then
	refusal="(matsui@pc1.example.*Password mismatch"
else
	refusal="vudb-checkpassword: matsui@pc1.example: login refused"
fi
grep -q "$refusal" "$DV_DIR/log/dovecot.log" &&
    ok "refusals logged with the user name" ||
    notok "no refusal in Dovecot's log"
grep -q "dmg.example" "$DV_DIR/log/dovecot.log" &&
    ok "the damaged domain is named in the log" ||
    notok "no word of the damaged domain in Dovecot's log"

[ $bad = 0 ] || dv_log
echo "dovecot-auth ($DV_DRIVER on Dovecot $DV_VERSION): $n checks, $bad failed"
[ $bad = 0 ]
