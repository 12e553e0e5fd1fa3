#!/bin/sh
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# frame24-check.sh - the frames of tests/frame24.sh at work, without
# vudb: a private Postfix with Debian's stock master.cf takes mail through
# its chrooted smtpd on 127.0.0.1 (an address of its texthash mailbox
# table is accepted, another refused with 550) and, where Dovecot is 2.4
# (Debian 13), hands it by LMTP to a private Dovecot 2.4 whose passdb is
# a passwd-file and whose userdb is static; the message is then read back
# over IMAP.  Where Dovecot is not 2.4 (Debian 12: Postfix 3.7, Dovecot
# 2.3) only the Postfix side runs and accepted mail is discarded.  Run by
# make check on the host and by tests/debian13.sh inside its Debian 13
# root.  Ports: F24_PORT_BASE (default 24000) .. +499 on 127.0.0.1.
set -u
: "${top_srcdir:=.}"
. "$top_srcdir/tests/frame24.sh"
if [ "$(id -u)" != 0 ]; then
	echo "not root: the frame test is skipped"; exit 77
fi
PATH=$PATH:/usr/sbin:/sbin
for p in postfix postconf swaks python3 useradd; do
	command -v "$p" >/dev/null 2>&1 || { echo "no $p: skipped"; exit 77; }
done
getent passwd postfix >/dev/null || { echo "no user postfix: skipped"; exit 77; }
dv24=
if command -v dovecot >/dev/null 2>&1 && getent passwd dovecot >/dev/null; then
	case $(dovecot --version 2>/dev/null) in 2.4.*) dv24=yes ;; esac
fi

PASSED=0 FAILED=0 PF= T=
ok() { PASSED=$((PASSED + 1)); echo "ok   $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $*"; }
check() { what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
cleanup() {
	[ -n "$PF" ] && f24_postfix_stop "$PF"
	f24_dovecot_stop
	[ -n "$T" ] && [ -z "${F24_KEEP:-}" ] && rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

T=$(mktemp -d "${TMPDIR:-/tmp}/vudbf24.XXXXXX") && chmod 0711 "$T" || exit 99
base=${F24_PORT_BASE:-24000}
SMTP=$(f24_port "$base") && LMTP=$(f24_port "$base") &&
    IMAP=$(f24_port "$base") || { echo "no free port"; exit 99; }
# f24_port answers a free port, not a reserved one: three distinct ones
while [ "$LMTP" = "$SMTP" ]; do LMTP=$(f24_port "$base"); done
while [ "$IMAP" = "$SMTP" ] || [ "$IMAP" = "$LMTP" ]; do
	IMAP=$(f24_port "$base")
done
if [ -n "$dv24" ]; then
	echo "Postfix $(postconf -dh mail_version), Dovecot $(dovecot --version)"
else
	echo "Postfix $(postconf -dh mail_version); Dovecot is not 2.4:" \
	    "the Postfix side only"
fi

# ---- Dovecot 2.4: the frame, a passwd-file passdb and a static userdb
if [ -n "$dv24" ]; then
	f24_vmail || { echo "cannot make user vmail"; exit 99; }
	mkdir -p "$T/mail" && chown vmail:vmail "$T/mail" &&
	    chmod 0700 "$T/mail" || exit 99
	echo "matsui@frame.test:{PLAIN}frame-secret" > "$T/passwd"
	f24_dovecot_conf "$T/dovecot" "$IMAP" "$LMTP" "$F24_UID" || exit 99
	cat >> "$F24_DV_CONF" <<EOF
passdb passwd-file {
  passwd_file_path = $T/passwd
}
userdb static {
  fields {
    uid = vmail
    gid = vmail
    home = $T/mail/%{user | domain}/%{user | username}
  }
}
EOF
	doveconf -c "$F24_DV_CONF" -n >"$T/doveconf.out" 2>&1
	rc=$?
	check "doveconf -n accepts the Dovecot 2.4 frame (rc $rc)" test $rc = 0
	[ $rc = 0 ] || cat "$T/doveconf.out"
	check "dovecot starts" f24_dovecot_start
	check "doveadm auth test: the passwd-file password" sh -c \
	    'doveadm -c "$1" auth test matsui@frame.test frame-secret >/dev/null' \
	    - "$F24_DV_CONF"
	doveadm -c "$F24_DV_CONF" auth test matsui@frame.test wrong \
	    >/dev/null 2>&1
	check "doveadm auth test: a wrong password is refused (77)" test $? = 77
	transport=lmtp:inet:127.0.0.1:$LMTP
else
	transport="discard:frame test"
fi

# ---- Postfix: the stock master.cf, smtpd chrooted
PF=$T/postfix
f24_postfix_frame "$PF" "$SMTP" frame || exit 99
echo "matsui@frame.test OK" > "$PF/etc/vmailbox"
cat >> "$PF/etc/main.cf" <<EOF
virtual_mailbox_domains = frame.test
virtual_mailbox_maps = texthash:$PF/etc/vmailbox
virtual_transport = $transport
EOF
n=$(diff /usr/share/postfix/master.cf.dist "$PF/etc/master.cf" | grep -c '^>')
check "master.cf is the stock one but for the listen address ($n line)" \
    test "$n" = 1
check "smtpd stays chrooted (inet n - y - - smtpd)" \
    grep -Eq "^127\.0\.0\.1:$SMTP +inet +n +- +y +- +- +smtpd\$" "$PF/etc/master.cf"
check "postfix check" f24_postfix_check "$PF"
check "the chroot holds etc/services (configure-instance.sh ran)" \
    test -s "$PF/spool/etc/services"
check "postfix starts" f24_postfix_start "$PF" "$SMTP"
[ -n "$F24_PF_PID" ] || { echo "no Postfix master"; exit 1; }

subj="frame-$$-$(date +%s)"
swaks --server "127.0.0.1:$SMTP" --to matsui@frame.test \
    --header "Subject: $subj" --body "through the chrooted smtpd" \
    --timeout 30 >"$T/swaks.out" 2>&1
rc=$?
check "swaks to matsui@frame.test: accepted (rc $rc)" test $rc = 0
[ $rc = 0 ] || cat "$T/swaks.out"
swaks --server "127.0.0.1:$SMTP" --to nosuch@frame.test --timeout 30 \
    >"$T/swaks2.out" 2>&1
rc=$?
check "swaks to nosuch@frame.test: refused with 550 (rc $rc)" \
    sh -c '[ $1 = 24 ] && grep -q "<\*\* *550 " "$2"' - $rc "$T/swaks2.out"

# the smtpd that took the mail is a child of this master, and its root
# directory is the queue directory
chrooted() {
	for s in /proc/[0-9]*/stat; do
		read -r _pid _comm _st _ppid _rest < "$s" 2>/dev/null || continue
		[ "$_ppid" = "$F24_PF_PID" ] && [ "$_comm" = "(smtpd)" ] || continue
		[ "$(readlink "/proc/$_pid/root")" = "$PF/spool" ] && return 0
	done
	return 1
}
check "smtpd runs chrooted in $PF/spool" chrooted

if [ -n "$dv24" ]; then
	check "the message comes back over IMAP (LMTP to Dovecot 2.4)" \
	    python3 - "$IMAP" "$subj" <<'EOF'
import imaplib, sys, time
port, subj = int(sys.argv[1]), sys.argv[2]
end = time.time() + 20
while time.time() < end:
    m = imaplib.IMAP4("127.0.0.1", port)
    m.login("matsui@frame.test", "frame-secret")
    m.select("INBOX")
    typ, data = m.search(None, "SUBJECT", subj)
    m.logout()
    if data[0].split():
        sys.exit(0)
    time.sleep(0.2)
print("not in INBOX after 20 s")
sys.exit(1)
EOF
	check "IMAP refuses a wrong password" python3 - "$IMAP" <<'EOF'
import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
try:
    m.login("matsui@frame.test", "wrong")
except imaplib.IMAP4.error:
    sys.exit(0)
sys.exit(1)
EOF
	if [ $FAILED -ne 0 ]; then
		tail -20 "$PF/maillog"; f24_dovecot_log 2>&1
	fi
fi
pf_pid=$F24_PF_PID dv_pid=$F24_DV_PID
f24_postfix_stop "$PF"
f24_dovecot_stop
check "both stopped" sh -c '! kill -0 $1 2>/dev/null &&
    { [ -z "$2" ] || ! kill -0 $2 2>/dev/null; }' - "$pf_pid" "$dv_pid"
echo "frame24: $((PASSED + FAILED)) checks, $FAILED failed"
[ $FAILED -eq 0 ]
