#!/bin/sh
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# basic.sh - vudbadm init, the store settings (set, unset, get) and the
# domain commands (add, del, list, show, set, unset, enable, disable,
# rename, alias add|del|list), with their JSON output, exit statuses and
# refusals of bad input: invalid names, missing and existing domains,
# limits.
. "${top_srcdir:-.}/tools/vudbadm/tests/common.sh"

# ---- no store yet; usage errors come before the store is needed
t 66 -d "$S" domain list
err_has "vudbadm: domain list: "
t 64 -d "$S" domain add
err_has "domain missing"
t 64 -d "$S" nosuchcommand
t 64 -d "$S" domain
err_has "subcommand missing"
t 64 -d "$S" domain frobnicate x
t 64
t 0 --help
out_has "vudbadm [-d store] [--json] user add"
t 0 --version
out_has "vudbadm "

# ---- help per command, and "did you mean" for a typo
t 0 help user add
out_has "user add [--password-stdin"
grep -q "user del" "$T/out" && fail_check "help user add: more than user add"
t 0 -d "$S" user add --help
out_has "user add [--password-stdin"
t 0 -d "$S" user --help
out_has "user passwd"
out_has "user rename"
grep -q "domain add" "$T/out" && fail_check "user --help: not only user"
t 0 help domain
out_has "domain del [--force] domain"
t 0 help lookup
out_has "vudbadm [-d store] [--json] lookup map key"
t 0 -d "$S" lookup --help
out_has "lookup map key"
t 64 -d "$S" domain lst
err_has "vudbadm: domain lst: unknown subcommand"
err_has "did you mean 'domain list'?"
t 64 -d "$S" domian list
err_has "vudbadm: domian: unknown command"
err_has "did you mean 'domain list'?"
t 64 -d "$S" lokup mailbox a@b.example
err_has "did you mean 'lookup'?"
t 64 -d "$S" usr
err_has "did you mean 'user'?"
t 64 help domain lst
err_has "did you mean 'domain list'?"
t 64 -d "$S" xyzzy
grep -q "did you mean" "$T/err" && fail_check "xyzzy: a suggestion"
err_has "'vudbadm help' lists the commands"

# ---- init, twice
t 0 -d "$S" init
t 0 -d "$S" --json init
case $S in
pgsql:*) js "d['store'].endswith(' dbname=${T##*/}')" ;;
*)	js 'd["store"].endswith("/store")'
	[ -d "$S/domains" ] || fail_check "no domains directory" ;;
esac
VUDB_STORE=$S t 0 get mail_base
out_is "mail_base = /var/vmail"

# ---- settings
t 0 -d "$S" set password_scheme sha512-crypt
t 0 -d "$S" get password_scheme
out_is "password_scheme = SHA512-CRYPT"
t 0 -d "$S" set sha_rounds 1000
t 0 -d "$S" set quota_bytes 10G
t 0 -d "$S" get -h quota_bytes
out_is "10737418240"
t 0 -d "$S" --json get
js 'd["quota_bytes"] == 10737418240' 'd["mail_base"] == "/var/vmail"' \
    'd["uid"] == 5000' 'd["password_scheme"] == "SHA512-CRYPT"'
t 0 -d "$S" set quota_bytes
t 0 -d "$S" get -h quota_bytes
out_is "0"
t 0 -d "$S" set uid 2000
t 0 -d "$S" unset uid
t 0 -d "$S" get uid gid
out_is "uid = 5000
gid = 5000"
t 64 -d "$S" set nosuch 1
err_has "nosuch: unknown setting"

# ---- recover: the Berkeley DB environment made anew, for a new cache size;
# refused while another program has the store open
if [ "$(v get -h backend)" = bdb ]; then
	t 0 -d "$S" set cache_size 32M
	err_has 'run "vudbadm recover"'
	(sleep 4 | timeout 20 "$VUDBADM" -d "$S" import - >/dev/null 2>&1) &
	holder=$!
	sleep 1
	t 75 -d "$S" recover
	err_has "the store is in use"
	wait "$holder"
	t 0 -d "$S" recover
	if command -v db5.3_stat >/dev/null 2>&1; then
		nchecks=$((nchecks + 1))
		db5.3_stat -m -h "$S" | head -1 | grep -q '^40MB' ||
		    fail_check "recover: cache is $(db5.3_stat -m -h "$S" |
		    head -1)"
	fi
	t 0 -d "$S" --json recover
	js 'd["cache_size"] == 33554432'
	t 0 -d "$S" set cache_size
fi
t 64 -d "$S" get nosuch
t 64 -d "$S" set
t 65 -d "$S" set uid -1
err_line
err_has "vudbadm: set: uid"
t 65 -d "$S" set uid 0
err_has "root"
t 65 -d "$S" set gid 0
t 65 -d "$S" set quota_bytes 10X
t 65 -d "$S" set password_scheme MD5
t 65 -d "$S" set mail_base relative/path
t 65 -d "$S" set backend lmdb

# ---- domains
t 0 -d "$S" domain add pc1.example
t 0 -d "$S" domain add PC2.Example --quota 1G --max-users 2 \
    --description "second domain"
t 73 -d "$S" domain add pc1.example
err_line
out_is ""
err_has "vudbadm: domain add: pc1.example: already exists"
t 73 -d "$S" domain add PC1.EXAMPLE
t 65 -d "$S" domain add "bad..example"
t 65 -d "$S" domain add "-bad.example"
t 65 -d "$S" domain add "../etc"
t 65 -d "$S" domain add "a/b.example"
t 65 -d "$S" domain add ""
t 65 -d "$S" domain add x.example --quota lots
t 65 -d "$S" domain add x.example --services imap,smtp
t 65 -d "$S" domain add x.example --max-users -3
t 65 -d "$S" domain add x.example --catchall maybe
t 64 -d "$S" domain add x.example --quota
t 64 -d "$S" domain add x.example --bogus
t 67 -d "$S" domain show x.example
err_has "x.example: no such domain"
t 0 -d "$S" domain list
out_has "DOMAIN"
out_has "pc1.example"
out_has "pc2.example  mailbox"
t 0 -d "$S" --json domain list
jsl 'len(d) == 2' 'd[0]["name"] == "pc1.example"' \
    'd[1]["attrs"]["quota_bytes"] == 1073741824' \
    'd[1]["attrs"]["max_users"] == 2' \
    'd[1]["attrs"]["description"] == "second domain"' \
    'd[0]["type"] == "domain"' 'd[0]["attrs"]["kind"] == "mailbox"' \
    'd[0]["effective"]["users"] == 0' \
    'd[0]["effective"]["password_scheme"] == "SHA512-CRYPT"'
t 0 -d "$S" domain show pc2.example
out_has "max_users"
out_has "1G"
t 0 -d "$S" domain list --json
jsl 'len(d) == 2'

# international names: IDNA A-labels, UTF-8 local parts
t 0 -d "$S" domain add "Bücher.example"
t 73 -d "$S" domain add "xn--bcher-kva.example"
t 0 -d "$S" user add --no-password "松井@bücher.example"
t 0 -d "$S" --json user show "松井@XN--BCHER-KVA.example"
js 'd["name"] == "松井@xn--bcher-kva.example"'
t 0 -d "$S" lookup mailbox "松井+x@BÜCHER.example"
out_is "xn--bcher-kva.example/松井/Maildir/"
t 0 -d "$S" user list xn--bcher-kva.example
out_has "松井@xn--bcher-kva.example  yes"
t 65 -d "$S" domain del bücher.example
err_has "bücher.example: holds 1 user: add --force"
t 0 -d "$S" domain del --force bücher.example

# set, unset, enable, disable
t 0 -d "$S" domain set pc1.example quota 5G
t 0 -d "$S" domain set pc1.example max-aliases 10
t 0 -d "$S" domain set pc1.example services imap,pop3
t 0 -d "$S" --json domain show pc1.example
js 'd["attrs"]["quota_bytes"] == (5 << 30)' \
    'd["attrs"]["max_aliases"] == 10' \
    'd["effective"]["services"] == ["imap", "pop3"]'
t 0 -d "$S" domain unset pc1.example quota_bytes
t 0 -d "$S" domain set pc1.example services
t 0 -d "$S" --json domain show pc1.example
js '"quota_bytes" not in d["attrs"]' '"services" not in d["attrs"]' \
    'd["effective"]["quota_bytes"] == 0'
t 65 -d "$S" domain set pc1.example nosuch 1
err_has "nosuch: unknown attribute"
t 65 -d "$S" domain set pc1.example kind alias
t 65 -d "$S" domain set pc1.example uid abc
t 67 -d "$S" domain set nosuch.example uid 1
t 64 -d "$S" domain set pc1.example
t 0 -d "$S" domain disable pc1.example
t 0 -d "$S" --json domain show pc1.example
js 'd["effective"]["enabled"] is False'
t 0 -d "$S" domain enable pc1.example
t 0 -d "$S" --json domain show pc1.example
js 'd["effective"]["enabled"] is True'
t 67 -d "$S" domain enable nosuch.example

# limits: max_users 2 on pc2.example
t 0 -d "$S" user add --no-password a@pc2.example
t 0 -d "$S" user add --no-password b@pc2.example
t 77 -d "$S" user add --no-password c@pc2.example
err_has "limit of 2 users reached"
t 0 -d "$S" domain set pc2.example max_aliases 1
t 0 -d "$S" alias add x@pc2.example a@pc2.example
t 77 -d "$S" alias add y@pc2.example a@pc2.example
t 0 -d "$S" domain set pc2.example max_users 3
t 0 -d "$S" user add --no-password c@pc2.example

# alias domains
t 0 -d "$S" domain alias add alias.example pc2.example
t 67 -d "$S" domain alias add alias2.example nosuch.example
t 65 -d "$S" domain alias add alias2.example alias.example
t 73 -d "$S" domain alias add alias.example pc1.example
t 64 -d "$S" domain alias add alias3.example
t 64 -d "$S" domain alias frob
t 0 -d "$S" lookup alias A@alias.example
out_is "a@pc2.example"
t 0 -d "$S" domain alias list
out_has "alias.example"
out_has "pc2.example"
t 0 -d "$S" --json domain alias list pc2.example
jsl 'len(d) == 1' 'd[0]["name"] == "alias.example"' \
    'd[0]["attrs"]["target"] == "pc2.example"' \
    'd[0]["attrs"]["kind"] == "alias"'
t 0 -d "$S" --json domain alias list pc1.example
out_is ""
t 65 -d "$S" domain alias del pc1.example
err_has "not an alias domain"
t 0 -d "$S" domain alias del alias.example
t 67 -d "$S" domain alias del alias.example
t 1 -d "$S" lookup alias a@alias.example

# rename a domain
t 0 -d "$S" domain rename pc2.example pc3.example
t 67 -d "$S" domain show pc2.example
t 0 -d "$S" --json domain show pc3.example
js 'd["effective"]["users"] == 3' 'd["effective"]["aliases"] == 1'
t 0 -d "$S" lookup alias x@pc3.example
out_is "a@pc3.example"
t 73 -d "$S" domain rename pc3.example pc1.example
t 67 -d "$S" domain rename pc2.example pc4.example
t 65 -d "$S" domain rename pc3.example "bad_name"
t 64 -d "$S" domain rename pc3.example

# delete: a domain with entries only with --force; an empty one as before
t 65 -d "$S" domain del pc3.example
err_has "pc3.example: holds "
err_has "3 users, 1 alias"
err_has "add --force to delete the domain with all of them"
t 0 -d "$S" lookup alias x@pc3.example
t 0 -d "$S" domain del pc3.example --force
t 0 -d "$S" domain add empty.example
t 0 -d "$S" domain del empty.example
t 67 -d "$S" domain del --force empty.example
t 67 -d "$S" domain del pc3.example
t 1 -d "$S" lookup mailbox a@pc3.example
t 0 -d "$S" --json domain list
jsl 'len(d) == 1' 'd[0]["name"] == "pc1.example"'
t 0 -d "$S" domain add pc3.example
t 0 -d "$S" --json user list pc3.example
out_is ""

done_testing
