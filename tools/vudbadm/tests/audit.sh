#!/bin/sh
# audit.sh - the audit log (issue 15, item 7).  Every change through the
# library appends one line to STORE/audit.log: time, uid and user,
# program, operation, object; never a password or a hash.  vudbadm log
# shows it (--since, a domain, --json); it moves to audit.log.1 past the
# store setting audit_max (0: never); a log that cannot be written fails
# no change.  init and convert write theirs too.
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.

. "${top_srcdir:-.}/tools/vudbadm/tests/common.sh"

PW=Audit-secret-4711
PW2=Other-secret-0815
L=$S/audit.log
me=$(id -un)
uid=$(id -u)

# has OP TYPE NAME - audit.log has the line of that change, by this user
# and program
has() {
	nchecks=$((nchecks + 1))
	awk -F '\t' -v op="$1" -v ty="$2" -v n="$3" -v u="$uid" -v un="$me" \
	    '$5 == op && $6 == ty && $7 == n && $2 == u && $3 == un &&
	    $4 == "vudbadm" && $1 ~ /^[0-9-]+T[0-9:]+Z$/ { f = 1 }
	    END { exit !f }' "$L" || fail_check "audit.log lacks $1 $2 $3"
}

mkstore
v domain add pc1.example
v domain add pc2.example
printf '%s\n' "$PW" | v user add matsui@pc1.example --password-stdin
printf '%s\n' "$PW" | v user add kato@pc2.example --password-stdin
v user disable matsui@pc1.example
printf '%s\n' "$PW2" | v user passwd matsui@pc1.example --password-stdin
v alias add info@pc1.example matsui@pc1.example
v sender grant info@pc1.example kato@pc2.example
v sender revoke info@pc1.example kato@pc2.example
v user rename matsui@pc1.example tanaka@pc1.example
v alias del info@pc1.example
v set uid 6000
v domain add pc3.example
v domain rename pc3.example pc4.example
v domain del pc4.example
HASH=$(printf '%s\n' "$PW" | v pw -s SHA512-CRYPT)
printf '%s\n' '{"type":"domain","name":"pc5.example","attrs":{}}' \
    "{\"type\":\"user\",\"name\":\"a@pc5.example\",\"attrs\":{\"password\":\"$HASH\"}}" \
    >"$T/in.jsonl"
v import "$T/in.jsonl" >/dev/null

has init store "$S"
has set setting password_scheme
has add domain pc1.example
has add user matsui@pc1.example
has add user kato@pc2.example
has update user matsui@pc1.example
has password user matsui@pc1.example
has add alias info@pc1.example
has grant sender info@pc1.example
has revoke sender info@pc1.example
has rename user matsui@pc1.example
has del alias info@pc1.example
has set setting uid
has rename domain pc3.example
has del domain pc4.example
has add domain pc5.example
has add user a@pc5.example

# never a secret: no password, no hash (of any user), not even a part
nchecks=$((nchecks + 1))
v export >"$T/export"
grep -o '"password":"[^"]*"' "$T/export" | sed 's/"password":"//; s/"$//' \
    >"$T/hashes"
echo "$HASH" >>"$T/hashes"
[ "$(wc -l <"$T/hashes")" -ge 4 ] || fail_check "export: no hashes found"
while read -r h; do
	[ -n "$h" ] && grep -qF -- "$h" "$L" && fail_check "audit.log: hash $h"
	salt=$(printf '%s' "$h" | cut -d'$' -f4)
	[ -n "$salt" ] && grep -qF -- "$salt" "$L" && fail_check "audit.log: salt"
done <"$T/hashes"
grep -qF -e "$PW" -e "$PW2" "$L" && fail_check "audit.log: a password"
nchecks=$((nchecks + 1))
[ "$(stat -c %a "$L")" = 660 ] || fail_check "audit.log mode $(stat -c %a "$L")"

# vudbadm log: every line, oldest first; a domain; --since; --json
t 0 -d "$S" log
nchecks=$((nchecks + 1))
[ "$(wc -l <"$T/out")" -eq "$(wc -l <"$L")" ] || fail_check "log: line count"
out_has "$me($uid) vudbadm password user matsui@pc1.example password"
out_has "vudbadm set setting uid 6000"
t 0 -d "$S" log pc2.example
out_has "add user kato@pc2.example"
nchecks=$((nchecks + 1))
grep -q -e pc1.example -e setting "$T/out" && fail_check "log pc2.example: other lines"
# a rename is in both domains' logs
t 0 -d "$S" log pc4.example
out_has "rename domain pc3.example pc4.example"
t 0 -d "$S" log --since 2000-01-01
nchecks=$((nchecks + 1))
[ "$(wc -l <"$T/out")" -eq "$(wc -l <"$L")" ] || fail_check "log --since 2000"
t 0 -d "$S" log --since 2999-01-01
out_is ""
t 0 -d "$S" --json log pc1.example
jsl 'len(d) >= 8' \
    'all(set(x) == {"time","uid","user","program","op","type","name","detail"} for x in d)' \
    "all(x['uid'] == $uid and x['user'] == '$me' and x['program'] == 'vudbadm' for x in d)" \
    "any(x['op'] == 'password' and x['name'] == 'matsui@pc1.example' for x in d)" \
    "any(x['op'] == 'grant' and x['detail'] == 'kato@pc2.example' for x in d)"
t 65 -d "$S" log no..domain
# reading the log writes nothing
cp "$L" "$T/before"
v log >/dev/null
v lookup mailbox kato@pc2.example >/dev/null
same "$L" "$T/before"

# a batch's lines are written at its commit; past 1000, one line counts
# the rest
{
	echo '{"type":"domain","name":"pc6.example","attrs":{}}'
	i=0
	while [ "$i" -lt 1004 ]; do
		echo "{\"type\":\"alias\",\"name\":\"b$i@pc6.example\",\"attrs\":{\"dest\":\"kato@pc2.example\"}}"
		i=$((i + 1))
	done
} >"$T/big.jsonl"
v import "$T/big.jsonl" >/dev/null
t 0 -d "$S" log pc6.example
nchecks=$((nchecks + 1))
[ "$(wc -l <"$T/out")" -eq 1001 ] || fail_check "log pc6.example: $(wc -l <"$T/out") lines"
out_has "batch domain pc6.example 5 more changes not listed"
out_has "add alias b998@pc6.example dest=kato@pc2.example"

# rotation: past audit_max the log moves to audit.log.1
t 0 -d "$S" set audit_max 1000
i=0
while [ "$i" -lt 30 ]; do
	v alias add "r$i@pc1.example" kato@pc2.example
	i=$((i + 1))
done
nchecks=$((nchecks + 1))
[ -f "$S/audit.log.1" ] || fail_check "no audit.log.1"
nchecks=$((nchecks + 1))
[ "$(stat -c %s "$L")" -lt 1300 ] && [ "$(stat -c %s "$S/audit.log.1")" -lt 1300 ] ||
    fail_check "rotated logs too large: $(stat -c %s "$L" "$S/audit.log.1")"
t 0 -d "$S" log pc1.example
out_has "add alias r29@pc1.example"
nchecks=$((nchecks + 1))
[ "$(wc -l <"$T/out")" -eq "$(cat "$S/audit.log.1" "$L" | grep -c pc1.example)" ] ||
    fail_check "log reads audit.log.1 and audit.log"
# audit_max 0: the log is never moved (rotated by other means)
t 0 -d "$S" set audit_max 0
ino=$(stat -c %i "$L")
i=0
while [ "$i" -lt 10 ]; do
	v alias add "z$i@pc1.example" kato@pc2.example
	i=$((i + 1))
done
nchecks=$((nchecks + 1))
[ "$(stat -c %i "$L")" = "$ino" ] && [ "$(stat -c %s "$L")" -gt 1300 ] ||
    fail_check "audit_max 0: the log was moved"
t 65 -d "$S" set audit_max lots
t 0 -d "$S" unset audit_max
t 0 -d "$S" get -h audit_max
out_is 8388608

# init and convert: each writes its lines, in the store it changes
# (VUDB_BACKEND may make the stores LMDB ones: tests/lmdb-programs.sh)
be=$(v get -h backend)
other=lmdb
[ "$be" = lmdb ] && other=bdb
S2=$T/store2
t 0 -d "$S2" init
L2=$S2/audit.log
nchecks=$((nchecks + 1))
[ "$(wc -l <"$L2")" -eq 1 ] || fail_check "init: $(cat "$L2")"
awk -F '\t' -v s="$S2" -v be="$be" '$5 == "init" && $6 == "store" && $7 == s &&
    $8 == "backend=" be && $4 == "vudbadm" { f = 1 } END { exit !f }' "$L2" ||
    fail_check "init line: $(cat "$L2")"
# init again: the store exists, nothing changes, no line
t 0 -d "$S2" init
nchecks=$((nchecks + 1))
[ "$(wc -l <"$L2")" -eq 1 ] || fail_check "init again wrote a line"
S3=$T/store3
t 0 -d "$S" convert "$other:$S3"
L=$S3/audit.log
has init store "$S3"
has convert domain pc1.example
has convert domain pc2.example
has set setting uid
awk -F '\t' -v s="$be:$S" '$5 == "convert" && $7 == "pc2.example" &&
    index($8, "from " s ", ") == 1 && $8 ~ /, [0-9]+ records$/ { f = 1 }
    END { exit !f }' "$L" ||
    fail_check "convert line: $(grep convert "$L" | head -2)"
t 0 -d "$other:$S3" log pc1.example
out_has "convert domain pc1.example from $be:$S"
L=$S/audit.log

# a log that cannot be written fails no change: a warning, exit 0
rm -f "$L"
mkdir "$L"
t 0 -d "$S" alias add ro@pc1.example kato@pc2.example
err_has "audit log"
t 0 -d "$S" alias show ro@pc1.example
rmdir "$L"
if [ "$uid" -ne 0 ]; then
	: >"$L"
	chmod 0444 "$L"
	t 0 -d "$S" alias add ro2@pc1.example kato@pc2.example
	err_has "audit log"
	chmod 0660 "$L"
fi
# a symbolic link is not followed (a member of group vudb must not make
# root append to another file), and the change is made all the same
ln -s "$T/elsewhere" "$L"
t 0 -d "$S" alias add link@pc1.example kato@pc2.example
err_has "audit log"
nchecks=$((nchecks + 1))
[ ! -e "$T/elsewhere" ] || fail_check "audit.log: a symbolic link followed"
rm -f "$L"

done_testing
