#!/bin/sh
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# json.sh - the shape of --json (vudbadm(8), JSON OUTPUT): values typed
# by the library's kinds (numbers, true/false, arrays of strings) in show,
# list, get, lookup, log, stats and export; export's JSON Lines imported
# back in both the typed form and the older all-strings form; and errors
# under --json: one {"error":...} object on stderr with the status word,
# the message and the exit status (unchanged), for usage errors too,
# warnings as {"warning":...} objects, nothing else on stderr.
. "${top_srcdir:-.}/tools/vudbadm/tests/common.sh"

# jerr EXPR ... - stderr is one JSON object per line: EXPRs true of the
# list d of them
jerr() {
	nchecks=$((nchecks + 1))
	python3 "$srcdir/tools/vudbadm/tests/checkjson.py" -l "$@" <"$T/err" ||
	    fail_check "$last: JSON check of stderr"
}

mkstore >/dev/null
v domain add pc1.example --max-users 10 --quota 2G
v domain add pc2.example --services imap,pop3 --catchall no
printf 'secret1\n' | v user add matsui@pc1.example --password-stdin \
    --quota 1G --quota-messages 1000 --uid 3000 --name "Matsui Taro"
v user add --no-password --disabled taro@pc1.example
v alias add info@pc1.example matsui@pc1.example,taro@pc1.example
v relocated add old@pc1.example new@pc2.example
v sender grant info@pc1.example matsui@pc1.example

# ---- typed values: show, list
t 0 -d "$S" --json user show matsui@pc1.example
js 'd["attrs"]["quota_bytes"] == 1 << 30' \
    'd["attrs"]["quota_messages"] == 1000' 'd["attrs"]["uid"] == 3000' \
    'type(d["attrs"]["created"]) is int' 'd["attrs"]["name"] == "Matsui Taro"' \
    'd["effective"]["enabled"] is True' 'd["effective"]["receive"] is True' \
    'd["effective"]["gid"] == 5000' \
    'd["effective"]["services"] == ["imap", "pop3", "sieve", "submission", "lmtp"]' \
    'd["effective"]["home"] == "/var/vmail/pc1.example/matsui"' \
    'd["effective"]["password_scheme"] == "SHA512-CRYPT"' \
    'd["has_password"] is True'
t 0 -d "$S" --json user show taro@pc1.example
js 'd["attrs"]["enabled"] is False' 'd["effective"]["enabled"] is False' \
    'd["has_password"] is False'
t 0 -d "$S" --json domain show pc2.example
js 'd["attrs"]["services"] == ["imap", "pop3"]' \
    'd["attrs"]["catchall"] is False' 'd["effective"]["users"] == 0' \
    'd["effective"]["recipient_delimiter"] == "+"' \
    'd["attrs"]["kind"] == "mailbox"'
t 0 -d "$S" --json domain list
jsl 'len(d) == 2' 'd[0]["attrs"]["max_users"] == 10' \
    'd[0]["effective"]["quota_bytes"] == 2 << 30' \
    'd[0]["effective"]["users"] == 2' 'd[0]["effective"]["aliases"] == 1'
t 0 -d "$S" --json alias list pc1.example
jsl 'd[0]["attrs"]["dest"] == ["matsui@pc1.example", "taro@pc1.example"]'
t 0 -d "$S" --json relocated show old@pc1.example
js 'd["attrs"]["dest"] == "new@pc2.example"'
t 0 -d "$S" --json sender list info@pc1.example
jsl 'd[0]["attrs"]["logins"] == ["matsui@pc1.example"]'
# services none: an empty list
v user set taro@pc1.example services none
t 0 -d "$S" --json user show taro@pc1.example
js 'd["attrs"]["services"] == []'

# ---- get, lookup, log, stats
t 0 -d "$S" --json get
js 'd["uid"] == 5000' 'd["sha_rounds"] == 1000' \
    'd["mail_base"] == "/var/vmail"' 'd["quota_bytes"] == 0' \
    'len(d["services"]) == 5' 'd["backend"] == "bdb"'
t 0 -d "$S" --json lookup uid matsui@pc1.example
js 'd == {"map": "uid", "key": "matsui@pc1.example", "found": True, "answer": 3000}'
t 0 -d "$S" --json lookup alias info@pc1.example
js 'd["answer"] == ["matsui@pc1.example", "taro@pc1.example"]'
t 0 -d "$S" --json lookup mailbox matsui@pc1.example
js 'd["answer"] == "pc1.example/matsui/Maildir/"'
t 1 -d "$S" --json lookup mailbox nobody@pc1.example
js 'd["found"] is False' 'd["answer"] is None'
out_is '{"map":"mailbox","key":"nobody@pc1.example","found":false,"answer":null}'
nchecks=$((nchecks + 1))
[ -s "$T/err" ] && fail_check "lookup not found: stderr not empty"
t 0 -d "$S" --json log pc1.example
jsl 'len(d) >= 6' 'all(type(x["uid"]) is int for x in d)' \
    'all(type(x["detail"]) is str for x in d)'
t 0 -d "$S" --json stats
js 'd["users"] == 2' 'd["aliases"] == 1' 'type(d["store_bytes"]) is int'

# ---- a number past 2^53 - 1 is a string (RFC 8259: readers of doubles)
v user set taro@pc1.example quota_bytes 9007199254740992
t 0 -d "$S" --json user show taro@pc1.example
js 'd["attrs"]["quota_bytes"] == "9007199254740992"'
v user set taro@pc1.example quota_bytes 9007199254740991
t 0 -d "$S" --json user show taro@pc1.example
js 'd["attrs"]["quota_bytes"] == 9007199254740991'

# ---- export typed, imported back: the same bytes
t 0 -d "$S" export --times
jsl 'all(type(x["attrs"]["created"]) is int for x in d if "attrs" in x)'
t 0 -d "$S" export
cp "$T/out" "$T/typed"
jsl 'all(type(x["value"]) is int for x in d if x["type"] == "setting" and x["name"] == "uid")' \
    'any(x["name"] == "matsui@pc1.example" and x["attrs"]["uid"] == 3000 for x in d)'
S2=$T/store2
t 0 -d "$S2" init
t 0 -d "$S2" import "$T/typed"
t 0 -d "$S2" export
same "$T/typed" "$T/out"

# ---- the older form, every value a string, imports to the same store
python3 - "$T/typed" >"$T/strings" <<'PY'
import json, sys
def text(v):
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list):
        return ",".join(v) if v else "none"
    return v
for line in open(sys.argv[1]):
    d = json.loads(line)
    if "value" in d:
        d["value"] = text(d["value"])
    for k in d.get("attrs", {}):
        d["attrs"][k] = text(d["attrs"][k])
    print(json.dumps(d, separators=(",", ":"), ensure_ascii=False))
PY
nchecks=$((nchecks + 1))
grep -q '"uid":"3000"' "$T/strings" && grep -q '"enabled":"no"' "$T/strings" ||
    fail_check "the all-strings export was not made: $(head -c 300 "$T/strings")"
S3=$T/store3
t 0 -d "$S3" init
t 0 -d "$S3" import "$T/strings"
t 0 -d "$S3" export
same "$T/typed" "$T/out"
# a typed value of the wrong JSON type is named; nothing imported
S4=$T/store4
t 0 -d "$S4" init
printf '%s\n' '{"type":"domain","name":"x.example","attrs":{"max_users":"ten"}}' \
    '{"type":"domain","name":"y.example","attrs":{"catchall":"maybe"}}' \
    '{"type":"domain","name":"z.example","attrs":{"services":"imap,pop3"}}' \
    '{"type":"domain","name":"w.example","attrs":{"catchall":1}}' >"$T/wrong"
t 65 -d "$S4" import "$T/wrong"
err_has "wrong:4: attrs.catchall: expected true or false (or a string)"
t 0 -d "$S4" --json domain list
out_is ""

# ---- errors under --json: one object on stderr, exit status unchanged
t 67 -d "$S" --json user show nobody@pc1.example
out_is ""
jerr 'len(d) == 1' \
    'd[0] == {"error": {"status": "notfound", "message": "nobody@pc1.example: not found", "exit": 67, "command": "user show"}}'
t 73 -d "$S" --json domain add pc1.example
jerr 'len(d) == 1' 'd[0]["error"]["status"] == "exists"' \
    'd[0]["error"]["exit"] == 73' 'd[0]["error"]["command"] == "domain add"'
t 65 -d "$S" --json user set matsui@pc1.example quota_bytes lots
jerr 'len(d) == 1' 'd[0]["error"]["status"] == "invalid"' \
    '"quota_bytes" in d[0]["error"]["message"]'
t 66 -d "$T/nostore" --json domain list
jerr 'len(d) == 1' 'd[0]["error"]["status"] == "nostore"' \
    'd[0]["error"]["exit"] == 66'
# usage errors: the usage lines, a suggestion; --json anywhere before --
t 64 -d "$S" --json lookup
jerr 'len(d) == 1' 'd[0]["error"]["status"] == "usage"' \
    'd[0]["error"]["message"] == "map and key needed"' \
    'd[0]["error"]["usage"] == ["vudbadm [-d store] [--json] lookup map key"]'
t 64 -d "$S" domain lst --json
jerr 'len(d) == 1' 'd[0]["error"]["suggestion"] == "domain list"' \
    'd[0]["error"]["message"] == "domain lst: unknown subcommand"' \
    'any(u.endswith("domain list") for u in d[0]["error"]["usage"])'
t 64 --json nosuchcmd
jerr 'len(d) == 1' 'd[0]["error"]["message"] == "nosuchcmd: unknown command"' \
    'd[0]["error"]["exit"] == 64'
t 64 --json --bogus
jerr 'len(d) == 1' 'd[0]["error"]["message"] == "unknown option --bogus"'
t 64 --json
jerr 'len(d) == 1' 'd[0]["error"]["message"] == "command missing"'
t 64 -d "$S" --json user show --quota=1G matsui@pc1.example
jerr 'len(d) == 1' 'd[0]["error"]["message"] == "unknown option --quota"'
t 64 -d "$S" --json user add new@pc1.example
jerr 'len(d) == 1' '"--no-password" in d[0]["error"]["message"]'
# several messages of one failure: details, then the summary
printf '%s\n' '{"type":"domain"' 'x' >"$T/twobad"
IN=$T/twobad t 65 -d "$S" --json import
jerr 'len(d) == 1' 'd[0]["error"]["message"] == "2 bad lines; nothing imported"' \
    'len(d[0]["error"]["details"]) == 2' \
    'd[0]["error"]["details"][0].startswith("stdin:1: invalid JSON")'
# many: the first ones, a count of the rest, and the summary
python3 -c 'for i in range(100): print("{\"type\":\"nosuch\"}")' >"$T/manybad"
IN=$T/manybad t 65 -d "$S" --json import
jerr 'len(d) == 1' 'd[0]["error"]["message"] == "100 bad lines; nothing imported"' \
    'len(d[0]["error"]["details"]) == 63' \
    'd[0]["error"]["details_left_out"] == 37' \
    'd[0]["error"]["details"][62].startswith("stdin:63: ")'
# a warning of a command that succeeds: an object of its own
t 0 -d "$S" --json set cache_size 32M
jerr 'len(d) == 1' 'd[0]["warning"]["command"] == "set"' \
    '"cache_size" in d[0]["warning"]["message"]'
# pw -t: a mismatch is a refusal, exit 1
printf 'wrong\n' >"$T/pw"
IN=$T/pw t 1 --json pw -t '{PLAIN}right'
jerr 'len(d) == 1' 'd[0]["error"]["status"] == "refused"' \
    'd[0]["error"]["exit"] == 1'
# without --json: the plain line, as before
t 67 -d "$S" user show nobody@pc1.example
err_line
err_has "vudbadm: user show: nobody@pc1.example: not found"
t 65 -d "$S" user show -- --json
nchecks=$((nchecks + 1))
grep -q '^{' "$T/err" && fail_check "--json after -- made JSON errors"

done_testing
