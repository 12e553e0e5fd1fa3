#!/bin/sh
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# import.sh - export and import: an export imported into an empty store
# and exported again gives the same bytes; malformed lines stop the
# import before anything changes and are named by line number (exit 65);
# a domain is imported completely or not at all; --dry-run changes
# nothing; Dovecot passwd-files and Postfix virtual alias maps import.
. "${top_srcdir:-.}/tools/vudbadm/tests/common.sh"

# ---- a store with a bit of everything
mkstore >/dev/null
v set mail_base /srv/vmail
v set recipient_delimiter +-
v domain add pc1.example --quota 5G --description 'first "one"'
v domain add pc2.example --max-users 10 --services imap,pop3
v domain alias add alias.example pc1.example
printf 'secret1\n' | v user add matsui@pc1.example --password-stdin \
    --quota 1G --name "松井 太郎" --services imap
printf 'secret2\n' | v user add matsui@pc2.example --password-stdin --disabled
v user add --no-password nopass@pc2.example --uid 2000 --gid 2001 --home /home/np \
    --maildir np/Maildir/
v alias add info@pc1.example matsui@pc1.example,matsui@pc2.example
v alias add @pc2.example matsui@pc2.example
v relocated add old@pc1.example "moved to pc2"
v relocated add @alias.example "gone"
v sender grant matsui@pc1.example matsui@pc2.example

t 0 -d "$S" export
cp "$T/out" "$T/e1"
# a pgsql: store (tests/pgsql-programs.sh): the Berkeley DB stores below
# record their own backend, and export it; every other byte is the same
case $S in
pgsql:*) grep -c '^{"type":"setting","name":"backend","value":"pgsql"}$' \
	"$T/e1" >/dev/null || fail_check "no backend pgsql in the export"
	sed 's/^{"type":"setting","name":"backend","value":"pgsql"}$/{"type":"setting","name":"backend","value":"bdb"}/' \
	    "$T/out" >"$T/e1" ;;
esac
jsl 'd[0] == {"type": "setting", "name": "mail_base", "value": "/srv/vmail"}' \
    'any(x["type"] == "user" and x["attrs"]["password"].startswith("{SHA512-CRYPT}$6$") for x in d)' \
    'all("created" not in x.get("attrs", {}) for x in d)' \
    '[x["type"] for x in d if x["type"] != "setting"] == ["domain", "relocated", "domain", "user", "alias", "relocated", "sender", "domain", "user", "user", "alias"]' \
    'all(list(x)[:2] == ["type", "name"] for x in d)'
t 0 -d "$S" export --times
jsl 'all("created" in x["attrs"] and "updated" in x["attrs"] for x in d if x["type"] != "setting")'
t 0 -d "$S" export pc2.example
jsl 'len(d) == 4' 'd[0]["name"] == "pc2.example"' \
    'd[0]["attrs"] == {"services": ["imap", "pop3"], "max_users": 10}'
t 67 -d "$S" export nosuch.example

# ---- round trip into an empty store
S2=$T/store2
t 0 -d "$S2" init
t 0 -d "$S2" import "$T/e1"
out_has " settings, 3 domains, 3 users, 2 aliases, 2 relocated, 1 send-as grants"
t 0 -d "$S2" export
same "$T/e1" "$T/out"
printf 'secret1\n' >"$T/pw1"
IN=$T/pw1 t 0 -d "$S2" auth matsui@pc1.example
t 0 -d "$S2" lookup mailbox matsui@pc1.example
out_is "pc1.example/matsui/Maildir/"
t 0 -d "$S2" lookup alias x-y@pc2.example
out_is "matsui-y@pc2.example"
# from stdin, JSON summary
S3=$T/store3
v init >/dev/null
t 0 -d "$S3" init
IN=$T/e1 t 0 -d "$S3" --json import
js 'd["dry_run"] == False' 'd["settings"] >= 15' 'd["domains"] == 3' \
    'd["users"] == 3' 'd["aliases"] == 2' 'd["relocated"] == 2' \
    'd["senders"] == 1'
# import again: the first domain exists, nothing more changes
t 0 -d "$S3" export
cp "$T/out" "$T/before"
t 73 -d "$S3" import "$T/e1"
err_has "already exists"
t 0 -d "$S3" export
same "$T/before" "$T/out"

# ---- malformed lines: named, nothing changes, exit 65
S4=$T/store4
t 0 -d "$S4" init
t 0 -d "$S4" domain add keep.example
t 0 -d "$S4" export
cp "$T/out" "$T/empty"
good='{"type":"domain","name":"ok.example","attrs":{}}'
n=0
while IFS= read -r bad; do
	n=$((n + 1))
	{ echo "$good"; echo '{"type":"user","name":"a@ok.example","attrs":{}}'
	  echo; echo "$bad"; echo "$good"; } >"$T/bad$n"
	t 65 -d "$S4" import "$T/bad$n"
	err_has "$T/bad$n:4: "
	err_has "nothing imported"
	err_line
	t 0 -d "$S4" export
	same "$T/empty" "$T/out"
done <<'LINES'
{"type":"user","name":"b@ok.example"
not json at all
["type","user"]
"a string"
{"type":"mailbox","name":"b@ok.example"}
{"name":"b@ok.example"}
{"type":"user"}
{"type":"user","name":42}
{"type":"user","name":"no at sign"}
{"type":"user","name":"a b@ok.example"}
{"type":"domain","name":"bad..example"}
{"type":"user","name":"b@ok.example","attrs":[]}
{"type":"user","name":"b@ok.example","attrs":{"quota_bytes":true}}
{"type":"user","name":"b@ok.example","attrs":{"quota_bytes":-5}}
{"type":"user","name":"b@ok.example","attrs":{"quota_bytes":1.5}}
{"type":"user","name":"b@ok.example","attrs":{"enabled":1}}
{"type":"user","name":"b@ok.example","attrs":{"services":[1]}}
{"type":"user","name":"b@ok.example","attrs":{"services":["imap,pop3"]}}
{"type":"user","name":"b@ok.example","attrs":{"services":{"imap":true}}}
{"type":"user","name":"b@ok.example","attrs":{"name":5}}
{"type":"user","name":"b@ok.example","attrs":{"nosuch":5}}
{"type":"user","name":"b@ok.example","attrs":{"home":null}}
{"type":"setting","name":"uid","value":[5000]}
{"type":"setting","name":"mail_base","value":1}
{"type":"user","name":"b@ok.example","extra":1}
{"type":"alias","name":"c@ok.example","attrs":{}}
{"type":"sender","name":"c@ok.example","attrs":{"dest":"x@ok.example"}}
{"type":"setting","name":"nosuch","value":"1"}
{"type":"setting","name":"uid"}
{"type":"user","name":"b@ok.example","value":"x"}
{"type":"user","name":"b@ok.example","name":"c@ok.example"}
{"type":"user","name":"b\u0000@ok.example"}
LINES
t 64 -d "$S4" import --format nosuch "$T/e1"
t 66 -d "$S4" import "$T/nosuchfile"

# ---- a value the library refuses: that domain is not imported at all,
# the domains before it are
cat >"$T/partial" <<'JL'
{"type":"domain","name":"a.example","attrs":{}}
{"type":"user","name":"u@a.example","attrs":{}}
{"type":"domain","name":"b.example","attrs":{}}
{"type":"user","name":"u@b.example","attrs":{}}
{"type":"user","name":"v@b.example","attrs":{"quota_bytes":"lots"}}
{"type":"domain","name":"c.example","attrs":{}}
JL
t 65 -d "$S4" import "$T/partial"
err_has "$T/partial:5: quota_bytes"
err_has "nothing of b.example was imported"
t 0 -d "$S4" --json domain list
jsl 'len(d) == 2' 'd[0]["name"] == "a.example"' 'd[0]["effective"]["users"] == 1'
t 67 -d "$S4" user show u@b.example
# a limit
cat >"$T/limit" <<'JL'
{"type":"domain","name":"l.example","attrs":{"max_users":"1"}}
{"type":"user","name":"u@l.example","attrs":{}}
{"type":"user","name":"v@l.example","attrs":{}}
JL
t 77 -d "$S4" import "$T/limit"
err_has "$T/limit:3: "
t 67 -d "$S4" domain show l.example
# --dry-run checks everything and changes nothing
t 0 -d "$S4" export
cp "$T/out" "$T/before"
t 0 -d "$S4" import --dry-run "$T/e1"
out_has "would import "
out_has " settings, 3 domains, 3 users, 2 aliases, 2 relocated, 1 send-as grants"
sed 's/\([abc]\)\.example/\1\1.example/g' "$T/partial" >"$T/partial2"
t 65 -d "$S4" import --dry-run "$T/partial2"
err_has "$T/partial2:5: quota_bytes"
t 0 -d "$S4" export
same "$T/before" "$T/out"
# every bad line is named, not just the first; then nothing is done
printf '%s\n' '{"type":"domain","name":"m.example","attrs":{}}' 'not json' \
    '{"type":"user","name":"a b@m.example"}' \
    '{"type":"user","name":"ok@m.example","attrs":{}}' >"$T/manybad"
t 65 -d "$S4" import --dry-run "$T/manybad"
err_has "$T/manybad:2: "
err_has "$T/manybad:3: "
err_has "2 bad lines; nothing imported"
t 65 -d "$S4" import "$T/manybad"
err_has "$T/manybad:3: "
t 67 -d "$S4" domain show m.example
# and a dry run names every record the library would refuse
cat >"$T/refused" <<'JL'
{"type":"domain","name":"r.example","attrs":{}}
{"type":"user","name":"u@r.example","attrs":{"quota_bytes":"lots"}}
{"type":"user","name":"v@r.example","attrs":{}}
{"type":"user","name":"w@r.example","attrs":{"uid":"many"}}
JL
t 65 -d "$S4" import --dry-run "$T/refused"
err_has "$T/refused:2: quota_bytes"
err_has "$T/refused:4: uid"
err_has "2 records would be refused"
out_has "would import 0 settings, 1 domains, 1 users"
t 67 -d "$S4" domain show r.example
t 0 -d "$S4" export
same "$T/before" "$T/out"

# ---- an import run again: a conflict, unless --skip-existing (what
# exists is left as it is) or --update (it gets the line's attributes)
S9=$T/store9
t 0 -d "$S9" init
cat >"$T/again" <<'JL'
{"type":"domain","name":"again.example","attrs":{}}
{"type":"user","name":"u@again.example","attrs":{"quota_bytes":"1G"}}
{"type":"alias","name":"x@again.example","attrs":{"dest":"u@again.example"}}
JL
t 0 -d "$S9" import "$T/again"
{ sed 's/1G/2G/; s/"dest":"u@/"dest":"v@/' "$T/again"
  echo '{"type":"user","name":"v@again.example","attrs":{}}'; } >"$T/again2"
t 73 -d "$S9" import "$T/again2"
t 67 -d "$S9" user show v@again.example
t 64 -d "$S9" import --skip-existing --update "$T/again2"
t 0 -d "$S9" import --skip-existing "$T/again2"
out_has "imported 0 settings, 0 domains, 1 users, 0 aliases"
out_has "; 3 existing entries skipped"
t 0 -d "$S9" --json user show u@again.example
js 'd["attrs"]["quota_bytes"] == (1 << 30)'
t 0 -d "$S9" lookup alias x@again.example
out_is "u@again.example"
t 0 -d "$S9" import --update --dry-run "$T/again2"
out_has "2 existing entries would be updated"
t 0 -d "$S9" --json user show u@again.example
js 'd["attrs"]["quota_bytes"] == (1 << 30)'
t 0 -d "$S9" --json import --update "$T/again2"
js 'd["updated"] == 2' 'd["users"] == 0'
t 0 -d "$S9" --json user show u@again.example
js 'd["attrs"]["quota_bytes"] == (2 << 30)'
t 0 -d "$S9" lookup alias x@again.example
out_is "v@again.example"
# entries whose domain is missing create it
echo '{"type":"alias","name":"x@new.example","attrs":{"dest":"a@b.example"}}' >"$T/nodom"
t 0 -d "$S4" import "$T/nodom"
t 0 -d "$S4" lookup alias x@new.example
out_is "a@b.example"

# ---- convert: the same, store to store, to any backend compiled in
t 0 -d "$S" convert "$T/conv"
t 0 -d "$T/conv" export
same "$T/e1" "$T/out"
t 73 -d "$S" convert "$T/conv"
t 64 -d "$S" convert
t 64 -d "$S" convert a b c
# the two-store form: convert SOURCE DEST
t 0 convert "$S" "$T/conv2"
t 0 -d "$T/conv2" export
same "$T/e1" "$T/out"
if "$VUDBADM" -d "lmdb:$T/lmdb" init 2>/dev/null; then
	t 0 -d "$S" convert "lmdb:$T/lmdb"
	t 0 -d "lmdb:$T/lmdb" export
	grep -v '"name":"backend"' "$T/out" >"$T/e-lmdb"
	grep -v '"name":"backend"' "$T/e1" >"$T/e-bdb"
	same "$T/e-bdb" "$T/e-lmdb"
	t 0 -d "lmdb:$T/lmdb" lookup alias x-y@pc2.example
	out_is "matsui-y@pc2.example"
fi

# ---- Dovecot passwd-file
S5=$T/store5
t 0 -d "$S5" init
h1=$(doveadm pw -s SHA512-CRYPT -p one)
h2=$(doveadm pw -s BLF-CRYPT -r 4 -p two)
cat >"$T/passwd" <<PW
# Dovecot passwd-file
one@pf1.example:$h1:3000:3001::/home/one::userdb_quota_rule=*:storage=1G userdb_quota_rule2=*:messages=10

Two@PF2.example:$h2::::::userdb_quota_rule=*:messages=500 nologin
three@pf1.example:$h1
four@pf1.example:
PW
# a field vudb has no place for (nologin, allow_nets=) is an error: it
# may be a restriction; --ignore-unknown imports without it, warning
t 65 -d "$S5" import --format passwd-file "$T/passwd"
err_has "passwd:4: passwd-file field nologin has no place in vudb"
err_has "--ignore-unknown"
t 67 -d "$S5" domain show pf1.example
printf 'n@pf4.example:%s::::::allow_nets=10.0.0.0/8\n' "$h1" >"$T/pwnets"
t 65 -d "$S5" import --format passwd-file "$T/pwnets"
err_has "pwnets:1: passwd-file field allow_nets has no place in vudb"
t 67 -d "$S5" domain show pf4.example
t 0 -d "$S5" import --format passwd-file --ignore-unknown "$T/passwd"
PW_OUT=$(cat "$T/out")
case $PW_OUT in *"2 domains, 4 users"*) ;; *) fail_check "passwd-file: $PW_OUT" ;; esac
err_has "nologin ignored"
printf 'one\n' >"$T/pwone"
printf 'two\n' >"$T/pwtwo"
IN=$T/pwone t 0 -d "$S5" auth one@pf1.example
IN=$T/pwone t 0 -d "$S5" auth three@pf1.example
IN=$T/pwtwo t 0 -d "$S5" auth two@pf2.example
t 0 -d "$S5" --json user show one@pf1.example
js 'd["attrs"]["uid"] == 3000' 'd["attrs"]["gid"] == 3001' \
    'd["attrs"]["home"] == "/home/one"' \
    'd["attrs"]["quota_bytes"] == (1 << 30)' \
    'd["attrs"]["quota_messages"] == 10'
t 0 -d "$S5" --json user show two@pf2.example
js 'd["attrs"]["quota_messages"] == 500' '"uid" not in d["attrs"]'
t 0 -d "$S5" --json user show four@pf1.example
js 'd["has_password"] == False'
printf 'ok@pf3.example:%s\nbad@pf3.example:plaintext\n' "$h1" >"$T/pwbad"
t 65 -d "$S5" import --format passwd-file "$T/pwbad"
err_has "$T/pwbad:2: bad@pf3.example: the password has no {SCHEME} prefix"
t 67 -d "$S5" domain show pf3.example
printf 'nodomain:%s\n' "$h1" >"$T/pwbad2"
t 65 -d "$S5" import --format passwd-file "$T/pwbad2"
err_has ":1: nodomain"
printf 'x@pf3.example:%s:notanumber\n' "$h1" >"$T/pwbad3"
t 65 -d "$S5" import --format passwd-file "$T/pwbad3"
err_has ":1: uid"
t 67 -d "$S5" domain show pf3.example

# ---- Postfix virtual alias map
S6=$T/store6
t 0 -d "$S6" init
cat >"$T/virtual" <<'VM'
# virtual(5) alias map
vm1.example           anything
postmaster@vm1.example   admin@vm1.example
info@vm1.example      a@vm1.example,
    b@vm1.example
   # a comment inside a continuation
    c@vm1.example
sales@vm2.example     x@elsewhere.example y@elsewhere.example , z@elsewhere.example
@vm2.example          catch@vm2.example
VM
t 0 -d "$S6" import --format postfix-virtual "$T/virtual"
out_has "2 domains, 0 users, 4 aliases"
t 0 -d "$S6" lookup alias info@vm1.example
out_is "a@vm1.example,b@vm1.example,c@vm1.example"
t 0 -d "$S6" lookup alias sales@vm2.example
out_is "x@elsewhere.example,y@elsewhere.example,z@elsewhere.example"
t 0 -d "$S6" lookup alias who@vm2.example
out_is "catch@vm2.example"
t 0 -d "$S6" lookup alias postmaster@vm1.example
out_is "admin@vm1.example"
printf 'a@vm3.example b@vm3.example\nlonely@vm3.example\n' >"$T/vbad"
t 65 -d "$S6" import --format postfix-virtual "$T/vbad"
err_has "$T/vbad:2: lonely@vm3.example: no destination"
printf 'a@vm3.example b@vm3.example\nlocaluser x@vm3.example\n' >"$T/vbad2"
t 65 -d "$S6" import --format postfix-virtual "$T/vbad2"
err_has ":2: localuser: not an address or a domain"
printf 'a@vm3.example localonly\n' >"$T/vbad3"
t 65 -d "$S6" import --format postfix-virtual "$T/vbad3"
err_has ":1: "
t 67 -d "$S6" domain show vm3.example
# "@alias.example @target.example" is an alias domain (Postfix maps
# local@alias to local@target), with or without its "alias anything"
S6A=$T/store6a
t 0 -d "$S6A" init
printf '%s\n' 'vt.example anything' 'al.example anything' \
    '@al.example @vt.example' '@al2.example   @VT.example' \
    'info@vt.example a@elsewhere.example' >"$T/valias"
t 0 -d "$S6A" import --format postfix-virtual "$T/valias"
out_has "3 domains, 0 users, 1 aliases"
t 0 -d "$S6A" --json domain alias list vt.example
jsl 'len(d) == 2' 'd[0]["name"] == "al.example"' \
    'd[1]["name"] == "al2.example"' 'd[0]["attrs"]["target"] == "vt.example"'
t 0 -d "$S6A" lookup alias info@al.example
out_is "info@vt.example"
printf '@al3.example @a@b.example\n' >"$T/valias2"
t 65 -d "$S6A" import --format postfix-virtual "$T/valias2"
err_has "valias2:1: @a@b.example"
# the map, exported and imported again
t 0 -d "$S6" export
cp "$T/out" "$T/e6"
S7=$T/store7
t 0 -d "$S7" init
t 0 -d "$S7" import "$T/e6"
t 0 -d "$S7" export
same "$T/e6" "$T/out"

# ---- an import killed midway: every domain whole or absent, the store
# opens and verifies, and the next writer clears the unfinished build.
# (LMDB makes a new domain's file when its batch begins: a kill leaves
# an empty one, which verify notes as harmless, exit 0.)
S8=$T/store8
t 0 -d "$S8" init
python3 "$srcdir/tools/vudbadm/bench_gen.py" 400 40000 >"$T/big.jsonl"
for delay in 0.8 1.6 2.2; do
	"$VUDBADM" -d "$S8" import "$T/big.jsonl" >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	t 0 -d "$S8" verify
	nchecks=$((nchecks + 1))
	grep -v '^DOMAIN \|an empty file left by an unfinished add\|^no problems found' \
	    "$T/out" | grep -q . && fail_check "killed import: $(cat "$T/out")"
	t 0 -d "$S8" --json stats
	js 'all(f["users"] == 100 for f in d["domain_files"])' \
	    'd["users"] == 100 * d["domains"]'
	nchecks=$((nchecks + 1))
	ls -a "$S8/domains" | grep -q 'build\.' &&
	    fail_check "killed import: build files left after a writer"
	# the next kill on a new store
	rm -rf "$S8"
	t 0 -d "$S8" init
done

done_testing
