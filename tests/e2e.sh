#!/bin/sh
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# e2e.sh - the whole mail path, end to end, with the real programs: a
# store made with vudbadm (two domains, each with its own user matsui and
# its own password, an alias, a catch-all), vudb-mapd answering a private
# Postfix, which delivers by LMTP to a private Dovecot whose passdb and
# userdb are the vudb Lua module with dovecot-auth.lua.  Mail goes in with
# swaks (both matsuis, an extension in odd case, the alias, the
# catch-all; an unknown user is refused with 550; SMTP AUTH may send as
# itself, not as the other matsui) and is read back over IMAP: each INBOX
# holds exactly its own messages, and one matsui's password does not open
# the other's mailbox.
#
# The Postfix and Dovecot settings for vudb are examples/main.cf and
# examples/dovecot-2.3-vudb.conf (Dovecot 2.3, Debian 12) or
# examples/dovecot-2.4-vudb.conf (Dovecot 2.4, Debian 13: tests/debian13.sh
# runs this test in a Debian 13 root), the text README.md shows, with
# only the paths changed to the test's directory.  Postfix keeps Debian's
# stock master.cf, whose smtpd, lmtp client and cleanup are chrooted into
# the queue directory (tests/frame24.sh), and Dovecot its default limits.
# Ports 22000-22999 on 127.0.0.1.  VUDB_TEST_BACKEND=lmdb runs it on an
# LMDB store.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
. "$top_srcdir/adapters/dovecot/tests/dovecot.sh"
. "$top_srcdir/tests/frame24.sh"
dv_skip_unless_ready
for p in postfix postmap postqueue swaks; do
	command -v "$p" >/dev/null 2>&1 || { echo "no $p: skipped"; exit 77; }
done
getent passwd postfix >/dev/null || { echo "no user postfix: skipped"; exit 77; }

ADM=$top_builddir/tools/vudbadm/vudbadm
MAPD=$top_builddir/adapters/postfix/vudb-mapd
backend=${VUDB_TEST_BACKEND:-bdb}
PASSED=0 FAILED=0 MAPD_PID= PF=
ok() { PASSED=$((PASSED + 1)); echo "ok   $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $*"; }
check() { what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }

cleanup() {
	[ -n "$PF" ] && f24_postfix_stop "$PF"
	if [ -n "$MAPD_PID" ]; then
		kill "$MAPD_PID" 2>/dev/null
		wait "$MAPD_PID" 2>/dev/null
	fi
	dv_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM

dv_init vudbe2e || exit 99
T=$DV_DIR
dv_group && dv_vmail || { echo "cannot set up the users"; exit 99; }
store=$T/store
mkdir -p "$T/mail" && chown vmail:vmail "$T/mail" &&
    chmod 0700 "$T/mail" || exit 99

# ---- the store, made with vudbadm as an administrator would
adm() { (umask 007 && "$ADM" -d "$store" "$@"); }
(umask 007 && "$ADM" -d "$backend:$store" init) &&
adm set password_scheme SHA512-CRYPT &&
adm set mail_base "$T/mail" &&
adm set uid "$DV_UID" && adm set gid "$DV_GID" &&
adm domain add pc1.example && adm domain add pc2.example &&
printf 'password-one\n' | adm user add matsui@pc1.example --password-stdin &&
printf 'password-two\n' | adm user add matsui@pc2.example --password-stdin &&
adm alias add info@pc1.example matsui@pc1.example &&
adm alias add @pc2.example matsui@pc2.example ||
    { echo "vudbadm could not make the store"; exit 1; }
dv_store_perms "$store" || exit 99
check "vudbadm lookup sees the catch-all" \
    test "$(adm lookup alias random@pc2.example)" = matsui@pc2.example

# ---- vudb-mapd on a unix socket in Postfix's queue directory, where
# every Postfix daemon, chrooted or not, reaches it as private/vudb-mapd
PF=$T/postfix
mkdir -p "$PF/spool/private" && chown postfix "$PF/spool/private" &&
    chmod 0700 "$PF/spool/private" || exit 99
sock=$PF/spool/private/vudb-mapd
"$MAPD" -f -d "$store" -l "socketmap:unix:$sock" -m 0660 -g postfix \
    2>"$T/mapd.log" &
MAPD_PID=$!
i=0
while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$sock" ] || { echo "vudb-mapd did not start"; cat "$T/mapd.log"; exit 1; }

# ---- a private Postfix: Debian's stock master.cf, then examples/main.cf
SMTP=$(dv_port 22000)
f24_postfix_frame "$PF" "$SMTP" e2e || exit 99
cat "$top_srcdir/examples/main.cf" >> "$PF/etc/main.cf"
f24_postfix_check "$PF" || { echo "postfix check failed"; exit 1; }
check "smtpd is chrooted, as Debian's master.cf has it" \
    grep -q "^127\.0\.0\.1:$SMTP *inet *n *- *y " "$PF/etc/master.cf"

# ---- a private Dovecot: the test's frame, then the example for it
mkdir -p "$T/run" "$T/state" "$T/log" "$T/lib" || exit 99
cp "$DV_LUAMOD" "$top_srcdir/adapters/dovecot/dovecot-auth.lua" "$T/lib/" &&
    chmod 0755 "$T/lib" && chmod 0644 "$T/lib/vudb.so" \
    "$T/lib/dovecot-auth.lua" || exit 99
IMAP=$(dv_port 22000)
sed -e "s|/usr/share/vudb/|$T/lib/|g" \
    -e "s|/var/spool/postfix/|$PF/spool/|g" \
    -e "s|= /var/lib/vudb\$|= $store|" \
    "$top_srcdir/examples/dovecot-$DV_VERSION-vudb.conf" > "$T/dovecot-vudb.conf"
if [ "$DV_VERSION" = 2.4 ]; then
	cat > "$T/dovecot.conf" <<EOF
dovecot_config_version = 2.4.0
dovecot_storage_version = 2.4.0
instance_name = vudbe2e
base_dir = $T/run
state_dir = $T/state
log_path = $T/log/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
auth_allow_cleartext = yes
auth_mechanisms = plain login
auth_failure_delay = 0
auth_internal_failure_delay = 0
login_trusted_networks = 127.0.0.0/8
first_valid_uid = $DV_UID
# the Lua module of the build
import_environment {
  LUA_CPATH_5_4 = $T/lib/?.so
}
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service imap-login {
  inet_listener imap {
    listen = 127.0.0.1
    port = $IMAP
  }
  inet_listener imaps {
    port = 0
  }
}
!include $T/dovecot-vudb.conf
EOF
else
	cat > "$T/dovecot.conf" <<EOF
instance_name = vudbe2e
base_dir = $T/run
state_dir = $T/state
log_path = $T/log/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
login_trusted_networks = 127.0.0.0/8
first_valid_uid = $DV_UID
# the Lua module of the build and the test's store
import_environment = TZ LUA_CPATH_5_4=$T/lib/?.so VUDB_STORE=$store
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP
  }
  inet_listener imaps {
    port = 0
  }
}
service stats {
  inet_listener http {
    port = 0
  }
}
!include $T/dovecot-vudb.conf
EOF
fi
DV_CONF=$T/dovecot.conf
dv_start || { echo "dovecot did not start"; exit 1; }
f24_postfix_start "$PF" "$SMTP" || exit 1

# ---- mail in
send() {	# send RCPT SUBJECT [swaks options]: prints swaks' rc
	_to=$1 _subj=$2; shift 2
	swaks --server "127.0.0.1:$SMTP" --to "$_to" \
	    --header "Subject: $_subj" --body "test $_subj" \
	    --timeout 30 "$@" >"$T/swaks.out" 2>&1
	echo $?
}
from="--from someone@remote.example"
# shellcheck disable=SC2086
{
check "mail to matsui@pc1.example" test "$(send matsui@pc1.example pc1-direct $from)" = 0
check "mail to matsui@pc2.example" test "$(send matsui@pc2.example pc2-direct $from)" = 0
check "mail to Matsui+tag@PC2.example" test "$(send Matsui+tag@PC2.example pc2-tag $from)" = 0
check "mail to the alias info@pc1.example" test "$(send info@pc1.example pc1-alias $from)" = 0
check "mail to the catch-all of pc2.example" test "$(send random@pc2.example pc2-catchall $from)" = 0
check "an unknown user is refused" test "$(send nobody@pc1.example none $from)" = 24
check "... with 550" grep -q '<\*\* *550' "$T/swaks.out"
}
auth() {	# auth USER PASSWORD FROM SUBJECT
	send matsui@pc1.example "$4" --from "$3" --auth PLAIN \
	    --auth-user "$1" --auth-password "$2"
}
check "SMTP AUTH as matsui@pc1.example sends as itself" \
    test "$(auth matsui@pc1.example password-one matsui@pc1.example pc1-auth)" = 0
rc=$(auth matsui@pc1.example password-one matsui@pc2.example none)
# refused at RCPT (smtpd_delay_reject), so swaks says 24
check "... and is refused as matsui@pc2.example" test "$rc" = 24
check "... with 553" grep -q '<\*\* *553' "$T/swaks.out"
check "SMTP AUTH with the other domain's password fails" \
    test "$(auth matsui@pc1.example password-two matsui@pc1.example none)" = 28

# ---- delivered: three messages in each Maildir, within a minute
count() { find "$T/mail/$1/matsui/Maildir/new" "$T/mail/$1/matsui/Maildir/cur" \
    -type f 2>/dev/null | wc -l; }
i=0
while [ "$(count pc1.example)" -lt 3 ] || [ "$(count pc2.example)" -lt 3 ]; do
	i=$((i + 1)); [ $i -lt 60 ] || break
	postqueue -c "$PF/etc" -f >/dev/null 2>&1; sleep 1
done
check "three messages for matsui@pc1.example" test "$(count pc1.example)" = 3
check "three messages for matsui@pc2.example" test "$(count pc2.example)" = 3
[ "$(count pc1.example)" = 3 ] && [ "$(count pc2.example)" = 3 ] || {
	tail -30 "$PF/maillog"; postqueue -c "$PF/etc" -p; dv_log; }

# ---- read back over IMAP, each with its own password
imap() {	# imap USER PASSWORD: prints the sorted subjects, or LOGIN-FAILED
	python3 - "$IMAP" "$1" "$2" <<'EOF'
import imaplib, sys
port, user, pw = int(sys.argv[1]), sys.argv[2], sys.argv[3]
m = imaplib.IMAP4("127.0.0.1", port, timeout=30)
try:
    m.login(user, pw)
except imaplib.IMAP4.error:
    print("LOGIN-FAILED")
    sys.exit(0)
m.select("INBOX", readonly=True)
typ, data = m.search(None, "ALL")
subjects = []
for num in data[0].split():
    typ, msg = m.fetch(num, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    subjects.append(msg[0][1].decode().strip().split(":", 1)[1].strip())
print(" ".join(sorted(subjects)))
m.logout()
EOF
}
check "matsui@pc1.example reads exactly its own messages" \
    test "$(imap matsui@pc1.example password-one)" = "pc1-alias pc1-auth pc1-direct"
check "matsui@pc2.example reads exactly its own messages" \
    test "$(imap matsui@pc2.example password-two)" = "pc2-catchall pc2-direct pc2-tag"
check "pc2's password does not open matsui@pc1.example" \
    test "$(imap matsui@pc1.example password-two)" = LOGIN-FAILED
check "pc1's password does not open matsui@pc2.example" \
    test "$(imap matsui@pc2.example password-one)" = LOGIN-FAILED
check "no password in Dovecot's log" \
    sh -c "! grep -q 'password-one\|password-two' '$T/log/dovecot.log'"

echo "e2e ($backend on Dovecot $DV_VERSION): $((PASSED + FAILED)) checks, $FAILED failed"
[ "$FAILED" -eq 0 ]
