#!/bin/sh
# postmap.sh - the real Postfix client (postmap -q) against vudb-mapd, for
# every map, over socketmap on TCP (IPv4 and, where available, IPv6),
# socketmap on a unix socket, and tcp_table: mixed case, +ext, catch-all
# beside mailboxes, alias domains, bare domains, not found, keys with
# spaces, "%" and UTF-8, bulk queries on one connection, long answers,
# unknown maps, store failures (TEMP/400) and recovery, SIGHUP.
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.

. "${top_srcdir:-.}/adapters/postfix/tests/lib.sh"
need postmap "$PYTHON"

P=$((20200 + ${VUDB_TEST_PORT_OFFSET:-0}))
SM=$P; UNIX=$T/mapd.sock
# tcp_table: one port per map
TDOMAIN=$((P + 1)); TMAILBOX=$((P + 2)); TALIAS=$((P + 3))
TSENDER=$((P + 4)); TUID=$((P + 5)); TGID=$((P + 6)); TRELOC=$((P + 7))
SM6=$((P + 8))

"$MKSTORE" -t "$T/store" || exit 99
# the failures injected below (STORE/fail) must reach the store: no
# answer cache, which answers a key asked before without the store
echo "lookup_cache_size = 0" >>"$T/store/vudb.conf" || exit 99
postfix_conf "$T/pf"
args="-d fail:$T/store -l socketmap:inet:127.0.0.1:$SM -l socketmap:unix:$UNIX
    -l tcp:domain:inet:127.0.0.1:$TDOMAIN
    -l tcp:mailbox:inet:127.0.0.1:$TMAILBOX
    -l tcp:alias:inet:127.0.0.1:$TALIAS -l tcp:sender:inet:127.0.0.1:$TSENDER
    -l tcp:uid:inet:127.0.0.1:$TUID -l tcp:gid:inet:127.0.0.1:$TGID
    -l tcp:relocated:inet:127.0.0.1:$TRELOC"
have6=no
if $PYTHON -c 'import socket
socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
	have6=yes
	args="$args -l socketmap:inet:[::1]:$SM6"
fi
# shellcheck disable=SC2086
start_mapd "$T/mapd.log" $args
wait_for unix "$UNIX" || exit 99

tcp_port() {
	case $1 in
	domain) echo $TDOMAIN ;; mailbox) echo $TMAILBOX ;;
	alias) echo $TALIAS ;; sender) echo $TSENDER ;; uid) echo $TUID ;;
	gid) echo $TGID ;; relocated) echo $TRELOC ;;
	esac
}

# specs MAP: the map specifications Postfix would use for MAP
specs() {
	echo "socketmap:inet:127.0.0.1:$SM:$1"
	echo "socketmap:unix:$UNIX:$1"
	echo "tcp:127.0.0.1:$(tcp_port "$1")"
	[ $have6 = yes ] && echo "socketmap:inet:[::1]:$SM6:$1"
}

# q MAP KEY WANT: WANT is the answer, or "-" for not found
q() {
	for spec in $(specs "$1"); do
		out=$(postmap -c "$T/pf" -q "$2" "$spec" 2>"$T/err")
		rc=$?
		if [ "$3" = - ]; then
			if [ $rc -eq 1 ] && [ -z "$out" ] && ! [ -s "$T/err" ]
			then ok
			else fail "$spec '$2': want not found, got rc $rc" \
			    "'$out' $(cat "$T/err")"
			fi
		elif [ $rc -eq 0 ] && [ "$out" = "$3" ]; then
			ok
		else
			fail "$spec '$2': want '$3', got rc $rc '$out'" \
			    "$(cat "$T/err")"
		fi
	done
}

# qerr MAP KEY PATTERN: a query error whose message matches PATTERN
qerr() {
	spec=$1; key=$2; pat=$3
	out=$(postmap -c "$T/pf" -q "$key" "$spec" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] && echo "$out" | grep -q "query error" &&
	    echo "$out" | grep -q -- "$pat"; then
		ok
	else
		fail "$spec '$key': want a query error ($pat), got rc $rc" \
		    "'$out'"
	fi
}

# mailboxes: the same user in two domains, mixed case, extensions
q mailbox matsui@pc1.example pc1.example/matsui/Maildir/
q mailbox matsui@pc2.example pc2.example/matsui/Maildir/
q mailbox Matsui+tag@PC2.example pc2.example/matsui/Maildir/
q mailbox MATSUI@Pc1.Example pc1.example/matsui/Maildir/
q mailbox nobody@pc1.example -
q mailbox info@pc1.example -
q mailbox matsui@unknown.example -
# bare domains
q mailbox pc1.example pc1.example
q mailbox PC2.example pc2.example
q mailbox unknown.example -
q mailbox alias.example -
# "%", spaces and UTF-8 in keys
q mailbox 'per%cent@pc1.example' pc1.example/per%cent/Maildir/
q mailbox 'Per%Cent+x@PC1.example' pc1.example/per%cent/Maildir/
q mailbox 'per%25cent@pc1.example' -
q mailbox 'mat sui@pc1.example' -
q mailbox ' matsui@pc1.example' -
q mailbox 'matsui@b'"$(printf '\303\274')"'cher.example' \
    xn--bcher-kva.example/matsui/Maildir/
q mailbox 'matsui@B'"$(printf '\303\234')"'CHER.example' \
    xn--bcher-kva.example/matsui/Maildir/
q mailbox "$(printf 'm\303\244tsui@pc1.example')" -
# domains
q domain pc1.example pc1.example
q domain PC2.EXAMPLE pc2.example
q domain alias.example -
q domain nowhere.example -
q domain "$(printf 'b\303\274cher.example')" xn--bcher-kva.example
q domain matsui@pc1.example -
# aliases: extensions, catch-all beside mailboxes, alias domains
q alias info@pc1.example matsui@pc1.example
q alias Info+Tag@PC1.example matsui+tag@pc1.example
q alias random@pc2.example postmaster@pc2.example
q alias random+x@pc2.example postmaster+x@pc2.example
q alias matsui@pc2.example -
q alias Matsui+tag@PC2.example -
q alias postmaster@pc2.example -
q alias sales@pc2.example matsui@pc2.example
q alias nobody@pc1.example -
q alias matsui@alias.example matsui@pc1.example
q alias Anyone+x@Alias.Example anyone+x@pc1.example
q alias alias.example alias.example
q alias pc1.example -
q alias pc2.example -
# senders
q sender matsui@pc1.example matsui@pc1.example
q sender Matsui+tag@PC1.example matsui@pc1.example
q sender boss@pc1.example matsui@pc1.example
q sender info@pc1.example matsui@pc1.example
q sender random@pc2.example -
q sender matsui@alias.example matsui@pc1.example
# ids
q uid matsui@pc2.example 7002
q gid matsui@pc2.example 5000
q uid matsui@pc1.example 5000
q uid nobody@pc1.example -
# relocated: an answer with spaces
q relocated old@pc1.example 'moved to new@other.example'
q relocated Old+x@PC1.example 'moved to new@other.example'
q relocated matsui@pc1.example -

# bulk: many keys on one connection, answered in order
printf '%s\n' matsui@pc1.example nobody@pc1.example matsui@pc2.example \
    Matsui+x@PC2.example > "$T/keys"
want='matsui@pc1.example	pc1.example/matsui/Maildir/
matsui@pc2.example	pc2.example/matsui/Maildir/
Matsui+x@PC2.example	pc2.example/matsui/Maildir/'
for spec in $(specs mailbox); do
	out=$(postmap -c "$T/pf" -q - "$spec" < "$T/keys" 2>&1)
	if [ "$out" = "$want" ]; then ok
	else fail "bulk $spec: got '$out'"
	fi
done

# a 5,000-byte answer: fine for socketmap, too long for tcp_table (400)
for spec in "socketmap:inet:127.0.0.1:$SM:alias" "socketmap:unix:$UNIX:alias"
do
	n=$(postmap -c "$T/pf" -q big@pc1.example "$spec" | wc -c)
	if [ "$n" -gt 5000 ]; then ok
	else fail "$spec big@pc1.example: $n bytes"
	fi
done
qerr "tcp:127.0.0.1:$TALIAS" big@pc1.example .
grep -q 'more than a tcp_table reply carries' "$T/mapd.log" && ok ||
    fail "no warning about the long answer"

# an unknown map name: PERM
qerr "socketmap:inet:127.0.0.1:$SM:nosuchmap" x 'permanent error: unknown map'
qerr "socketmap:unix:$UNIX:users" x 'permanent error'

# the store fails: TEMP and 400, never not-found; then it recovers
echo all > "$T/store/fail"
qerr "socketmap:inet:127.0.0.1:$SM:mailbox" matsui@pc1.example \
    'temporary error'
qerr "socketmap:unix:$UNIX:alias" info@pc1.example 'temporary error'
qerr "tcp:127.0.0.1:$TMAILBOX" matsui@pc1.example .
qerr "tcp:127.0.0.1:$TDOMAIN" nowhere.example .
grep -q 'warning: lookup in map mailbox: .*injected failure' "$T/mapd.log" &&
    ok || fail "no warning about the failed lookup"
grep -q 'matsui@pc1.example' "$T/mapd.log" &&
    fail "a key was logged without -v" || ok
rm -f "$T/store/fail"
q mailbox matsui@pc1.example pc1.example/matsui/Maildir/
q domain nowhere.example -

# SIGHUP reopens the store; answers continue
kill -HUP "$MAPD_PID"
i=0
until grep -q 'store reopened' "$T/mapd.log" || [ $i -ge 100 ]; do
	sleep 0.1; i=$((i + 1))
done
grep -q 'store reopened' "$T/mapd.log" && ok || fail "no reopen on SIGHUP"
q alias info@pc1.example matsui@pc1.example

# SIGHUP while the store cannot be opened: the old handle stays in use
echo open > "$T/store/fail"
kill -HUP "$MAPD_PID"
i=0
until grep -q 'keeping the store handle' "$T/mapd.log" || [ $i -ge 100 ]
do
	sleep 0.1; i=$((i + 1))
done
grep -q 'warning: open store' "$T/mapd.log" && ok || fail "no failed reopen"
q mailbox matsui@pc1.example pc1.example/matsui/Maildir/
rm -f "$T/store/fail"

# SIGTERM: exit 0, unix socket removed
stop_pid "$MAPD_PID"; rc=$?
[ $rc -eq 0 ] && ok || fail "exit status $rc after SIGTERM"
[ -e "$UNIX" ] && fail "unix socket left behind" || ok
grep -q 'stopped' "$T/mapd.log" && ok || fail "no stop message"
[ $FAILED -eq 0 ] || cat "$T/mapd.log"
finish
