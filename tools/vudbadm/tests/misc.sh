#!/bin/sh
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# misc.sh - verify and stats (with --json), the store chosen by -d or
# $VUDB_STORE, the form of error messages, Berkeley DB's regions sized for
# the store's domains, and temporary failures: a store whose reads fail
# (the library's fail: backend) gives exit 75 for lookups, auth and
# changes, never "not found".
. "${top_srcdir:-.}/tools/vudbadm/tests/common.sh"

mkstore >/dev/null
v domain add pc1.example
v domain add pc2.example
v domain alias add alias.example pc1.example
printf 'secret1\n' | v user add matsui@pc1.example --password-stdin
v user add --no-password matsui@pc2.example
v alias add info@pc1.example matsui@pc1.example
v alias add @pc2.example matsui@pc2.example

# ---- verify
t 0 -d "$S" verify
out_is "no problems found"
t 0 -d "$S" verify pc1.example
t 0 -d "$S" --json verify
js 'd == {"problems": [], "ok": True}'
t 67 -d "$S" verify nosuch.example
t 65 -d "$S" verify "bad..name"

# ---- stats
t 0 -d "$S" stats
out_has "domains:       3 (1 alias domains)"
out_has "users:         2"
out_has "aliases:       2"
t 0 -d "$S" --json stats
js 'd["domains"] == 3' 'd["alias_domains"] == 1' 'd["users"] == 2' \
    'd["aliases"] == 2' 'd["domain_bytes"] > 0' \
    'd["store_bytes"] >= d["domain_bytes"]' 'len(d["domain_files"]) == 3' \
    'd["domain_files"][1] == {"domain": "pc1.example", "users": 1, "aliases": 1, "bytes": d["domain_files"][1]["bytes"]}' \
    'all(f["bytes"] > 0 for f in d["domain_files"])'
t 64 -d "$S" stats extra

# ---- the store: -d, -dPATH, $VUDB_STORE, a bdb: URL
VUDB_STORE=$S t 0 lookup mailbox matsui@pc1.example
out_is "pc1.example/matsui/Maildir/"
t 0 "-d$S" lookup mailbox matsui@pc1.example
case $S in
pgsql:*) t 0 -d "$S" lookup mailbox matsui@pc1.example ;;
*) t 0 -d "${VUDB_BACKEND:-bdb}:$S" lookup mailbox matsui@pc1.example ;;
esac
t 0 --json -d "$S" lookup mailbox matsui@pc1.example
js 'd["found"] == True'
t 0 -d "$S" lookup mailbox matsui@pc1.example --json
js 'd["found"] == True'
t 66 -d "$T/nostore" user list
err_has "vudbadm: user list: "
err_has "vudbadm init"
t 75 -d "$T/nostore" lookup mailbox matsui@pc1.example
t 65 -d "nosuchscheme:$S" user list
t 64 -d
t 64 --bogus user list

# ---- one-line errors, sysexits
t 73 -d "$S" user add --no-password matsui@pc1.example
out_is ""
err_line
err_has "vudbadm: user add: matsui@pc1.example: already exists"
t 67 -d "$S" user del nobody@pc1.example
err_line
err_has "vudbadm: user del: nobody@pc1.example: not found"
t 65 -d "$S" user add --no-password "x y@pc1.example"
err_line
err_has "vudbadm: user add: x y@pc1.example: "
t 65 -d "$S" user add --no-password x@pc1.example --quota 12Q
err_line
err_has "vudbadm: user add: quota_bytes: "
t 65 -d "$S" alias add x@alias.example y@pc1.example
err_has "alias domain"

# ---- Berkeley DB's shared regions, sized for the domains the store holds:
# writers keep the count; the last writer to leave a store that outgrew
# its regions removes them, and the next opener makes them for the store
if [ "$(v get -h backend)" = bdb ]; then
	# count DESC WANT: STORE/domain-count holds WANT
	count() {
		nchecks=$((nchecks + 1))
		[ "$(cat "$S/domain-count" 2>&1)" = "$2" ] ||
		    fail_check "$1: domain-count is $(cat "$S/domain-count" \
		    2>&1), want $2"
	}
	# lockers WANT: the regions were made for WANT lockers
	lockers() {
		command -v db5.3_stat >/dev/null 2>&1 || return 0
		nchecks=$((nchecks + 1))
		got=$(db5.3_stat -c -h "$S" |
		    awk '/Maximum number of lockers possible/ { print $1 }')
		[ "$got" = "$1" ] ||
		    fail_check "regions made for $got lockers, want $1"
	}
	count "3 domains" 3
	lockers 3072		# 2 * 512 domains at least + 1024, + 1024
	python3 "$srcdir/tools/vudbadm/bench_gen.py" 1100 1100 >"$T/many"
	t 0 -d "$S" import "$T/many"
	count "import of 1,100 domains" 1103
	nchecks=$((nchecks + 1))
	[ ! -e "$S/__db.001" ] ||
	    fail_check "regions made for 3 domains kept for 1,103"
	t 0 -d "$S" lookup mailbox user0@d1099.bench.example
	out_is "d1099.bench.example/user0/Maildir/"
	lockers 4254		# 2 * 1103 + 1024, + 1024
	t 0 -d "$S" domain del --force d1099.bench.example
	count "a domain removed" 1102
	t 0 -d "$S" domain add d1099.bench.example
	count "a domain added" 1103
	# regions that suit the store stay
	nchecks=$((nchecks + 1))
	[ -e "$S/__db.001" ] || fail_check "regions that suit were removed"
fi

# ---- temporary failures: exit 75, never "not found" (the fail: backend
# wraps a directory store; a pgsql: store's are tests/pgsql-bad.sh's)
if [ -z "${VUDB_TEST_PG:-}" ]; then
printf 'secret1\n' >"$T/pw1"
VUDB_FAIL=get t 75 -d "fail:$S" lookup mailbox matsui@pc1.example
VUDB_FAIL=get t 75 -d "fail:$S" lookup alias nobody@pc2.example
VUDB_FAIL=get IN=$T/pw1 t 75 -d "fail:$S" auth matsui@pc1.example
VUDB_FAIL=all t 75 -d "fail:$S" user add --no-password new@pc1.example
VUDB_FAIL=all t 75 -d "fail:$S" user show matsui@pc1.example
VUDB_FAIL=put t 75 -d "fail:$S" alias add new@pc1.example matsui@pc1.example
echo '{"type":"user","name":"imp@pc1.example","attrs":{}}' >"$T/imp"
VUDB_FAIL=commit t 75 -d "fail:$S" import "$T/imp"
t 67 -d "$S" user show imp@pc1.example
t 0 -d "$S" lookup mailbox matsui@pc1.example
fi

# ---- a damaged record: verify names it and exits 65
db_load=$(command -v db5.3_load || command -v db_load || true)
if [ -n "$db_load" ] && [ "${VUDB_BACKEND:-bdb}" = bdb ] &&
    [ -z "${VUDB_TEST_PG:-}" ]; then
printf 'ubad\ngarbage\n' |
    "$db_load" -T -t btree -h "$S" domains/pc2.example.db
t 65 -d "$S" verify
out_has "pc2.example"
err_has "problem"
t 65 -d "$S" --json verify
js 'd["ok"] == False' 'len(d["problems"]) >= 1' \
    'all(set(p) == {"domain", "problem"} for p in d["problems"])' \
    'any(p["domain"] == "pc2.example" for p in d["problems"])'
t 0 -d "$S" verify pc1.example
t 65 -d "$S" verify pc2.example
fi

done_testing
