#!/bin/sh
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# user.sh - the user commands (add with every password source, del, list,
# show, set, unset, enable, disable, passwd), auth with services, and pw,
# whose hashes "doveadm pw -t" must accept.  Passwords only ever come on
# standard input here; none appears in argv.
. "${top_srcdir:-.}/tools/vudbadm/tests/common.sh"

mkstore >/dev/null
v domain add pc1.example
v domain add pc2.example

# ---- add, with each way to give a password
printf 'secret1\n' >"$T/pw1"
printf 'secret2\n' >"$T/pw2"
IN=$T/pw1 t 0 -d "$S" user add matsui@pc1.example --password-stdin \
    --quota 10G --quota-messages 1000 --services imap,submission \
    --name "Matsui Taro"
out_is ""
IN=$T/pw2 t 0 -d "$S" user add Matsui@PC2.example --password-stdin
IN=$T/pw1 t 73 -d "$S" user add matsui@pc1.example --password-stdin
err_line
err_has "vudbadm: user add: matsui@pc1.example: already exists"
# no password option and no terminal (a script, cron): refused, not a
# user nobody can log in as; --no-password says it is meant
t 64 -d "$S" user add trap@pc1.example
err_has "--no-password"
t 1 -d "$S" lookup mailbox trap@pc1.example
t 64 -d "$S" user add trap@pc1.example --no-password --password-stdin
t 0 -d "$S" user add --no-password nopass@pc1.example
# --opt=value is an option with its value (the trap: "--quota=10G" was
# refused); a flag given a value is a usage error naming it
t 0 -d "$S" user add --no-password --quota=10G --quota-messages=500 \
    --services=imap,pop3 eq@pc1.example
t 0 -d "$S" --json user show eq@pc1.example
js 'd["attrs"]["quota_bytes"] == 10 << 30' \
    'd["attrs"]["quota_messages"] == 500' \
    'd["attrs"]["services"] == ["imap", "pop3"]'
t 64 -d "$S" user add --no-password=yes eq2@pc1.example
err_has "--no-password takes no argument"
t 65 -d "$S" user add --no-password --quota=lots eq2@pc1.example
err_has "quota"
t 67 -d "$S" user show eq2@pc1.example
v user del eq@pc1.example
t 0 -d "$S" --json user show nopass@pc1.example
js 'd["has_password"] == False'
t 0 -d "$S" user add rnd@pc1.example --random-password
pw=$(cat "$T/out")
[ ${#pw} -eq 20 ] || fail_check "random password of ${#pw} characters"
printf '%s\n' "$pw" >"$T/pwr"
IN=$T/pwr t 0 -d "$S" auth rnd@pc1.example
t 0 -d "$S" --json user add rnd2@pc1.example --random-password
js 'd["name"] == "rnd2@pc1.example"' 'len(d["password"]) == 20'
hash=$(doveadm pw -s SHA512-CRYPT -p hashed 2>/dev/null)
[ -n "$hash" ] || hash='{SHA512-CRYPT}$6$ZaoDL6mKTTOoXk9z$6mRnDhXm3/0mwHkDmsQcR3HP7YiD1WHX5sC.7fH/AFvBb6CQ3W8ZtXP7OeAqyYiYdZSqHK8rr5yO6IiG6S6xj1'
t 0 -d "$S" user add hashed@pc1.example --password-hash "$hash"
printf 'hashed\n' >"$T/pwh"
IN=$T/pwh t 0 -d "$S" auth hashed@pc1.example
t 65 -d "$S" user add bad@pc1.example --password-hash "nobraces"
# a hash no login can use is refused; clear text is stored with a warning
t 65 -d "$S" user add cram@pc1.example --password-hash '{CRAM-MD5}e02d374fde0dc75a17a557039a3a5338c7743304777dccd376f332bee68d2cf6'
err_has "{CRAM-MD5} cannot be checked at login"
t 1 -d "$S" lookup mailbox cram@pc1.example
t 65 -d "$S" user add cram@pc1.example --password-hash '{PLAIN-MD5}5ebe2294ecd0e0f08eab7690d2a6ee69'
t 65 -d "$S" user add cram@pc1.example --password-hash '{SHA256.ROT13}x'
t 0 -d "$S" user add plain@pc1.example --password-hash '{PLAIN}plainpw'
err_has "warning: plain@pc1.example: password scheme {PLAIN} stores the password in clear text"
printf 'plainpw\n' >"$T/pwp"
IN=$T/pwp t 0 -d "$S" auth plain@pc1.example
t 0 -d "$S" user add clear@pc1.example --password-hash '{CLEAR.B64}c2VjcmV0'
err_has "in clear text"
t 0 -d "$S" user del clear@pc1.example
t 0 -d "$S" user del plain@pc1.example
t 64 -d "$S" user add x@pc1.example --password-stdin --random-password
t 64 -d "$S" user add x@pc1.example --password-hash
IN=/dev/null t 65 -d "$S" user add x@pc1.example --password-stdin
err_has "empty password"
t 67 -d "$S" user add --no-password x@nosuch.example
err_has "nosuch.example: no such domain"
IN=$T/pw1 t 67 -d "$S" user add x@nosuch.example --password-stdin
t 65 -d "$S" user add --no-password "no-at-sign"
t 65 -d "$S" user add --no-password "@pc1.example"
t 65 -d "$S" user add --no-password "a b@pc1.example"
t 65 -d "$S" user add --no-password "a/b@pc1.example"
t 65 -d "$S" user add --no-password "a..b@pc1.example"
t 65 -d "$S" user add --no-password "$(printf 'x%.0s' $(seq 65))@pc1.example"
t 65 -d "$S" user add --no-password q@pc1.example --quota 1.5G
t 65 -d "$S" user add --no-password q@pc1.example --quota-messages many
t 65 -d "$S" user add --no-password q@pc1.example --services imap,ftp
t 65 -d "$S" user add --no-password q@pc1.example --uid 99999999999
t 65 -d "$S" user add --no-password q@pc1.example --home relative
t 65 -d "$S" user add --no-password q@pc1.example --maildir /abs
t 64 -d "$S" user add
t 64 -d "$S" user add a@pc1.example b@pc1.example
t 64 -d "$S" user add q@pc1.example --wat

# ---- show, list
t 0 -d "$S" user show matsui@pc1.example
out_has "Matsui Taro"
out_has "{SHA512-CRYPT} (set)"
out_has "10G"
t 0 -d "$S" --json user show MATSUI@pc1.example
js 'd["type"] == "user"' 'd["name"] == "matsui@pc1.example"' \
    'd["attrs"]["quota_bytes"] == (10 << 30)' \
    'd["attrs"]["quota_messages"] == 1000' \
    'd["attrs"]["services"] == ["imap", "submission"]' \
    'd["attrs"]["name"] == "Matsui Taro"' '"password" not in d["attrs"]' \
    'd["has_password"] == True' 'd["effective"]["uid"] == 5000' \
    'd["effective"]["home"] == "/var/vmail/pc1.example/matsui"' \
    'd["effective"]["maildir"] == "pc1.example/matsui/Maildir/"' \
    'd["effective"]["enabled"] is True' 'd["attrs"]["created"] > 0'
t 67 -d "$S" user show nobody@pc1.example
err_has "nobody@pc1.example: not found"
t 67 -d "$S" user show nobody@nosuch.example
t 65 -d "$S" user show "bad name@pc1.example"
t 0 -d "$S" user list pc1.example
out_has "ADDRESS"
out_has "matsui@pc1.example  yes      10G"
t 0 -d "$S" --json user list
jsl 'len(d) == 6' \
    'sorted(x["name"] for x in d)[0] == "hashed@pc1.example"' \
    '[x["name"] for x in d][-1] == "matsui@pc2.example"' \
    'all(x["type"] == "user" for x in d)' \
    'all("password" not in x["attrs"] for x in d)'
t 0 -d "$S" --json user list pc2.example
jsl 'len(d) == 1'
t 67 -d "$S" user list nosuch.example
t 65 -d "$S" user list "bad..example"

# ---- set, unset, enable, disable
t 0 -d "$S" user set matsui@pc1.example quota 20G
t 0 -d "$S" user set matsui@pc1.example uid 3000
t 0 -d "$S" user set matsui@pc1.example name "T. Matsui"
t 0 -d "$S" --json user show matsui@pc1.example
js 'd["attrs"]["quota_bytes"] == (20 << 30)' \
    'd["effective"]["uid"] == 3000' 'd["attrs"]["name"] == "T. Matsui"'
t 0 -d "$S" lookup uid matsui@pc1.example
out_is "3000"
t 0 -d "$S" user unset matsui@pc1.example uid
t 0 -d "$S" lookup uid matsui@pc1.example
out_is "5000"
t 64 -d "$S" user set matsui@pc1.example password x
t 65 -d "$S" user set matsui@pc1.example quota huge
t 65 -d "$S" user set matsui@pc1.example created 1
t 65 -d "$S" user set matsui@pc1.example color blue
t 67 -d "$S" user set nobody@pc1.example quota 1G
t 0 -d "$S" user disable matsui@pc1.example
IN=$T/pw1 t 1 -d "$S" auth matsui@pc1.example
err_has "disabled"
t 1 -d "$S" lookup mailbox matsui@pc1.example
t 0 -d "$S" user enable matsui@pc1.example
IN=$T/pw1 t 0 -d "$S" auth matsui@pc1.example
out_is "matsui@pc1.example: accepted"
t 67 -d "$S" user enable nobody@pc1.example

# ---- auth: same name, two domains, two passwords; services
IN=$T/pw2 t 1 -d "$S" auth matsui@pc1.example
err_has "wrong password"
IN=$T/pw2 t 0 -d "$S" auth matsui@pc2.example
IN=$T/pw1 t 1 -d "$S" auth matsui@pc2.example
IN=$T/pw1 t 1 -d "$S" auth nobody@pc1.example
IN=$T/pw1 t 1 -d "$S" auth nobody@nosuch.example
IN=$T/pw1 t 1 -d "$S" auth "not an address"
IN=$T/pw1 t 0 -d "$S" auth --service imap matsui@pc1.example
IN=$T/pw1 t 1 -d "$S" auth --service pop3 matsui@pc1.example
err_has "service pop3 not allowed"
IN=$T/pw1 t 0 -d "$S" --json auth -s submission matsui@pc1.example
js 'd["result"] == "accepted"'
IN=$T/pw2 t 1 -d "$S" --json auth matsui@pc1.example
js 'd["result"] == "refused"' 'd["name"] == "matsui@pc1.example"'
IN=$T/pw1 t 1 -d "$S" auth nopass@pc1.example
t 64 -d "$S" auth
IN=/dev/null t 65 -d "$S" auth matsui@pc1.example

# ---- passwd
printf 'newsecret\n' >"$T/pw3"
IN=$T/pw3 t 0 -d "$S" user passwd matsui@pc1.example --password-stdin
IN=$T/pw3 t 0 -d "$S" auth matsui@pc1.example
IN=$T/pw1 t 1 -d "$S" auth matsui@pc1.example
IN=$T/pw2 t 0 -d "$S" auth matsui@pc2.example
IN=$T/pw3 t 67 -d "$S" user passwd nobody@pc1.example --password-stdin
t 0 -d "$S" user passwd matsui@pc1.example --random-password
printf '%s\n' "$(cat "$T/out")" >"$T/pwr2"
IN=$T/pwr2 t 0 -d "$S" auth matsui@pc1.example
t 0 -d "$S" user passwd matsui@pc1.example --password-hash "$hash"
IN=$T/pwh t 0 -d "$S" auth matsui@pc1.example
t 65 -d "$S" user passwd matsui@pc1.example --password-hash "{X"
t 65 -d "$S" user passwd matsui@pc1.example --password-hash '{CRAM-MD5}00'
err_has "{CRAM-MD5} cannot be checked at login"
t 0 -d "$S" user add plain@pc1.example --no-password
t 0 -d "$S" user passwd plain@pc1.example --password-hash '{CLEARTEXT}x2'
err_has "in clear text"
printf 'x2\n' >"$T/pwp"
IN=$T/pwp t 0 -d "$S" auth plain@pc1.example
t 0 -d "$S" user del plain@pc1.example
t 64 -d "$S" user passwd matsui@pc1.example </dev/null
err_has "not a terminal"
t 0 -d "$S" domain set pc1.example password_scheme BLF-CRYPT
IN=$T/pw3 t 0 -d "$S" user passwd nopass@pc1.example --password-stdin
t 0 -d "$S" export pc1.example
out_has '"name":"nopass@pc1.example","attrs":{"password":"{BLF-CRYPT}'
IN=$T/pw3 t 0 -d "$S" auth nopass@pc1.example

# ---- del
t 0 -d "$S" user del rnd@pc1.example
t 67 -d "$S" user del rnd@pc1.example
t 67 -d "$S" user del rnd@nosuch.example
t 65 -d "$S" user del "x y"
t 64 -d "$S" user del

# ---- the terminal: asked twice, without echo (needs script(1))
if command -v script >/dev/null 2>&1; then
	tty_run() {	# tty_run FIRST SECOND ARGS: answer two prompts
		a=$1 b=$2
		shift 2
		nchecks=$((nchecks + 1))
		(sleep 2; printf '%s\n' "$a"; sleep 1; printf '%s\n' "$b";
		    sleep 1) | timeout 60 script -qec \
		    "$VUDBADM -d '$S' $*" /dev/null >"$T/out" 2>"$T/err"
		got=$?
		last="(terminal) $*"
		if grep -q "$a" "$T/out" "$T/err"; then
			fail_check "$last: the password was echoed"
		fi
	}
	tty_run ttysecret ttysecret user add tty@pc1.example
	[ "$got" -eq 0 ] || fail_check "$last: exit $got"
	out_has "Retype password:"
	printf 'ttysecret\n' >"$T/pwtty"
	IN=$T/pwtty t 0 -d "$S" auth tty@pc1.example
	tty_run ttysecret2 different user passwd tty@pc1.example
	[ "$got" -eq 65 ] || fail_check "$last: exit $got, want 65"
	out_has "passwords do not match"
	IN=$T/pwtty t 0 -d "$S" auth tty@pc1.example
	tty_run ttysecret3 ttysecret3 pw -s SHA512-CRYPT
	[ "$got" -eq 0 ] || fail_check "$last: exit $got"
	out_has "{SHA512-CRYPT}"
fi

# ---- pw: doveadm pw -t accepts what vudbadm pw makes
printf 'pw test\n' >"$T/pwt"
for scheme in SHA512-CRYPT BLF-CRYPT ARGON2ID; do
	IN=$T/pwt t 0 pw -s $scheme
	h=$(cat "$T/out")
	case $h in "{$scheme}"*) ;; *) fail_check "pw -s $scheme: $h" ;; esac
	nchecks=$((nchecks + 1))
	doveadm pw -t "$h" -p 'pw test' >/dev/null 2>&1 ||
	    fail_check "doveadm pw -t refuses $h"
	nchecks=$((nchecks + 1))
	doveadm pw -t "$h" -p 'other' >/dev/null 2>&1 &&
	    fail_check "doveadm pw -t accepts a wrong password for $h"
	IN=$T/pwt t 0 pw -t "$h"
	IN=$T/pw1 t 1 pw -t "$h"
done
IN=$T/pwt t 0 -d "$S" pw
out_has "{SHA512-CRYPT}"
IN=$T/pwt t 0 --json pw -s sha512-crypt
js 'd["hash"].startswith("{SHA512-CRYPT}$6$")'
IN=$T/pwt t 0 pw -t "$(doveadm pw -s SHA512-CRYPT -p 'pw test')"
IN=$T/pwt t 65 pw -s MD5
IN=$T/pwt t 64 pw -s
IN=$T/pwt t 64 pw -s SHA512-CRYPT -t x
IN=/dev/null t 65 pw

done_testing
