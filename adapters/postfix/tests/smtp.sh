#!/bin/sh
# smtp.sh - a private Postfix instance whose virtual_mailbox_domains,
# virtual_mailbox_maps, virtual_alias_maps and smtpd_sender_login_maps are
# answered by vudb-mapd, first over socketmap, then over tcp_table.  swaks
# must get 250 at RCPT for both matsui users, aliases, the catch-all and
# an alias domain; 550 for an unknown user; 553 for a sender address used
# by a client not logged in as one of its owners (SASL through a private
# Dovecot whose static passdb accepts any user with the password
# "secret": the ownership comes from vudb-mapd); and 451 (deferred, never
# bounced) while the store fails.  No mail is ever queued (swaks quits
# after RCPT; the virtual transport is LMTP to a port where nothing
# listens, so a message would be deferred).
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.

. "${top_srcdir:-.}/adapters/postfix/tests/lib.sh"
need postfix postconf swaks dovecot "$PYTHON"
if [ "$(id -u)" -ne 0 ]; then
	echo "not root: no private Postfix, skipped"; exit 77
fi

P=$((20300 + ${VUDB_TEST_PORT_OFFSET:-0}))
SMTP=$P; SM=$((P + 1)); TDOM=$((P + 2)); TMBOX=$((P + 3)); TALIAS=$((P + 4))
TSENDER=$((P + 5)); SASL=$((P + 6)); NOLMTP=$((P + 7))
SOCK=$T/mapd.sock
PF=$T/etc

"$MKSTORE" -t "$T/store" || exit 99
# the failures injected below (STORE/fail) must reach the store: no
# answer cache, which answers a key asked before without the store
echo "lookup_cache_size = 0" >>"$T/store/vudb.conf" || exit 99
start_mapd "$T/mapd.log" -d "fail:$T/store" -m 0660 -g postfix \
    -l "socketmap:unix:$SOCK" \
    -l "socketmap:inet:127.0.0.1:$SM" \
    -l "tcp:domain:inet:127.0.0.1:$TDOM" \
    -l "tcp:mailbox:inet:127.0.0.1:$TMBOX" \
    -l "tcp:alias:inet:127.0.0.1:$TALIAS" \
    -l "tcp:sender:inet:127.0.0.1:$TSENDER"

# The private instance (after ../shared/realclient): nothing leaves the box,
# nothing is delivered.
chmod 755 "$T" && pf_frame "$T" "$SMTP" mapd || exit 99
cat >> "$PF/main.cf" <<EOT
virtual_transport = lmtp:inet:127.0.0.1:$NOLMTP
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:127.0.0.1:$SASL
recipient_delimiter = +
smtpd_relay_restrictions = reject_unauth_destination
smtpd_sender_restrictions = reject_sender_login_mismatch
EOT

# SASL for smtpd: a private Dovecot auth service, nothing else
mkdir -p "$T/dovecot/run" "$T/dovecot/state"
cat > "$T/dovecot/dovecot.conf" <<EOT
instance_name = vudb-mapd-test
base_dir = $T/dovecot/run
state_dir = $T/dovecot/state
log_path = $T/dovecot/dovecot.log
protocols =
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service auth {
  inet_listener sasl {
    address = 127.0.0.1
    port = $SASL
  }
}
passdb {
  driver = static
  args = password=secret
}
userdb {
  driver = static
  args = uid=5000 gid=5000 home=/nonexistent
}
EOT
dovecot -c "$T/dovecot/dovecot.conf" || exit 99
i=0
until [ -s "$T/dovecot/run/master.pid" ] || [ $i -ge 100 ]; do
	sleep 0.1; i=$((i + 1))
done
PIDS="$PIDS $(cat "$T/dovecot/run/master.pid")"
wait_for inet 127.0.0.1 $SASL || { cat "$T/dovecot/dovecot.log"; exit 99; }

# maps VARIANT: point the four parameters at vudb-mapd
maps() {
	case $1 in
	socketmap)
		postconf -c "$PF" -e \
		    "virtual_mailbox_domains = socketmap:unix:$SOCK:domain" \
		    "virtual_mailbox_maps = socketmap:unix:$SOCK:mailbox" \
		    "virtual_alias_maps = socketmap:inet:127.0.0.1:$SM:alias" \
		    "smtpd_sender_login_maps = socketmap:unix:$SOCK:sender" ;;
	tcp)
		postconf -c "$PF" -e \
		    "virtual_mailbox_domains = tcp:127.0.0.1:$TDOM" \
		    "virtual_mailbox_maps = tcp:127.0.0.1:$TMBOX" \
		    "virtual_alias_maps = tcp:127.0.0.1:$TALIAS" \
		    "smtpd_sender_login_maps = tcp:127.0.0.1:$TSENDER" ;;
	esac
}

# reload: make every Postfix process use the new settings and data
reload() {
	postfix -c "$PF" reload >/dev/null 2>&1
	sleep 1
	wait_for inet 127.0.0.1 $SMTP || fail "smtpd gone after reload"
}

# rcpt WANT FROM TO [LOGIN]: WANT is 250 or the SMTP reply code expected
# at RCPT; with LOGIN, the client logs in (SASL PLAIN) first
rcpt() {
	set --  "$@" ""
	if [ -n "$4" ]; then
		set -- "$1" "$2" "$3" --auth PLAIN --auth-user "$4" \
		    --auth-password secret
	else
		set -- "$1" "$2" "$3"
	fi
	w=$1 from=$2 to=$3
	shift 3
	timeout 60 swaks --server 127.0.0.1:$SMTP --quit-after RCPT \
	    --helo client.test --from "$from" --to "$to" "$@" >"$T/swaks" 2>&1
	rc=$?
	set -- "$w" "$from" "$to"
	if [ "$1" = 250 ]; then
		if [ $rc -eq 0 ]; then ok
		else fail "$VARIANT RCPT $3 (from $2): want 250, rc $rc:" \
		    "$(grep '<\*\*\|<~\*' "$T/swaks")"
		fi
	elif [ $rc -eq 24 ] && grep -q "<\*\* *$1 " "$T/swaks"; then
		ok
	else
		fail "$VARIANT RCPT $3 (from $2): want $1, rc $rc:" \
		    "$(grep '<\*\*\|<-  250' "$T/swaks" | tail -2)"
	fi
}

maps socketmap
postfix -c "$PF" check >"$T/check" 2>&1 || { cat "$T/check"; exit 99; }
postfix -c "$PF" start >/dev/null 2>&1 || { cat "$T/maillog"; exit 99; }
POSTFIX_DIRS=$PF
wait_for inet 127.0.0.1 $SMTP || { cat "$T/maillog"; exit 99; }

OUT=someone@outside.example
for VARIANT in socketmap tcp; do
	if [ $VARIANT = tcp ]; then
		maps tcp
		reload
	fi
	rcpt 250 $OUT matsui@pc1.example
	rcpt 250 $OUT matsui@pc2.example
	rcpt 250 $OUT Matsui+tag@PC2.example
	rcpt 250 $OUT info@pc1.example
	rcpt 250 $OUT random@pc2.example
	rcpt 250 $OUT matsui@alias.example
	rcpt 550 $OUT nobody@pc1.example
	rcpt 550 $OUT sales+x@pc1.example
	rcpt 554 $OUT someone@elsewhere.example
	# sender addresses and their owners (smtpd_sender_login_maps)
	rcpt 553 matsui@pc1.example matsui@pc2.example
	rcpt 553 boss@pc1.example matsui@pc2.example
	rcpt 250 matsui@pc1.example matsui@pc2.example matsui@pc1.example
	rcpt 250 Matsui+x@PC1.example matsui@pc2.example matsui@pc1.example
	rcpt 250 info@pc1.example matsui@pc2.example matsui@pc1.example
	rcpt 250 boss@pc1.example matsui@pc2.example matsui@pc1.example
	rcpt 553 matsui@pc1.example matsui@pc2.example matsui@pc2.example
	rcpt 553 postmaster@pc2.example matsui@pc1.example matsui@pc2.example
	rcpt 553 $OUT matsui@pc1.example matsui@pc2.example

	# the store fails: 451, deferred; nothing bounced, nothing queued
	echo all > "$T/store/fail"
	reload
	rcpt 451 $OUT matsui@pc1.example
	rcpt 451 $OUT matsui@pc2.example
	rcpt 451 $OUT nobody@pc1.example
	rcpt 451 matsui@pc1.example matsui@pc2.example matsui@pc1.example
	grep -q ' 451 4\.3\.0 ' "$T/swaks" && ok ||
	    fail "$VARIANT: no 4.3.0 status: $(grep '<\*\*' "$T/swaks")"
	rm -f "$T/store/fail"
	reload
	rcpt 250 $OUT matsui@pc1.example
	rcpt 550 $OUT nobody@pc1.example
done
n=$(find "$T/spool/deferred" "$T/spool/active" "$T/spool/incoming" \
    "$T/spool/maildrop" -type f 2>/dev/null | wc -l)
[ "$n" -eq 0 ] && ok || fail "$n messages queued"
grep -q 'status=bounced' "$T/maillog" && fail "something bounced" || ok
kill -0 "$MAPD_PID" && ok || fail "vudb-mapd died"
grep -q 'warning: lookup in map .*injected failure' "$T/mapd.log" && ok ||
    fail "no warning for the failed store"
[ $FAILED -eq 0 ] && ok || { tail -20 "$T/maillog"; tail "$T/mapd.log"; }
postfix -c "$PF" stop >/dev/null 2>&1
POSTFIX_DIRS=
stop_pid "$MAPD_PID" && ok || fail "vudb-mapd exit status $?"
finish
