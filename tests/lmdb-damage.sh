#!/bin/sh
# lmdb-damage.sh - issue 16, finding 5: a damaged LMDB domain fails alone.
# One vudb-mapd on an LMDB store of three domains; one domain file is
# truncated (to 0 bytes, then to half), restored by cp over the live file
# and by rename of a copy; pages of a 2,000-user domain get 2,000 random
# bytes each.  Checked: the server never dies; the damaged domain answers
# TEMP (never NOTFOUND for a user who exists) and says so in the log;
# the other domains keep answering; a restored file answers again within
# 2 s without a restart; vudbadm verify reports the damage (exit 65)
# instead of crashing; an older copy renamed over a file that two servers
# hold is answered as restored or TEMP, never wrongly, and loses nothing.
# Skipped (77) without the LMDB backend.
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.

. "${top_srcdir:-.}/adapters/postfix/tests/lib.sh"
need "$PYTHON" truncate
if ! grep -q '^#define WITH_LMDB 1' "$builddir/config.h" 2>/dev/null; then
	echo "LMDB backend not compiled in"; exit 77
fi
ADM=$builddir/tools/vudbadm/vudbadm
S=$T/store
BIG=2000

# a free port on loopback
P=$($PYTHON -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# the store: a.example and b.example (3 users each), big.example (2,000)
$ADM -d "lmdb:$S" init >/dev/null || exit 99
# the damage must meet vudb-mapd's reads: no answer cache, which answers
# a key asked before without reading (vudb.conf(5), lookup_cache_size)
$ADM -d "lmdb:$S" set lookup_cache_size 0 || exit 99
$PYTHON - "$BIG" > "$T/import.jsonl" <<'PY'
import sys
for d, n in (("a.example", 3), ("b.example", 3), ("big.example", int(sys.argv[1]))):
    print('{"type":"domain","name":"%s","attrs":{}}' % d)
    for i in range(n):
        print('{"type":"user","name":"user%04d@%s","attrs":{"password":"{PLAIN}x"}}' % (i, d))
PY
$ADM -d "$S" import "$T/import.jsonl" >/dev/null || { echo "import failed"; exit 99; }
D=$S/domains
cp "$D/a.example.mdb" "$T/a.copy"
cp "$D/big.example.mdb" "$T/big.copy"

# q.py KEY...: one socketmap query per key on one connection; prints
# "KEY STATUS" per key (OK, NOTFOUND, TEMP, ...; DEAD if the server closed)
cat > "$T/q.py" <<'PY'
import sys
import sockmap
port, mp = int(sys.argv[1]), sys.argv[2]
try:
    s = sockmap.connect(port, timeout=10)
except OSError:
    for k in sys.argv[3:] or sys.stdin.read().split():
        print(k, "DEAD")
    sys.exit(0)
for k in sys.argv[3:] or sys.stdin.read().split():
    try:
        st = sockmap.ask(s, mp, k).split(" ", 1)[0]
    except (OSError, EOFError):
        st = "DEAD"
    if st == "DEAD":
        try:
            s = sockmap.connect(port, timeout=10)
        except OSError:
            pass
    print(k, st)
PY
q() { $PYTHON "$T/q.py" "$P" mailbox "$@"; }
# status KEY: the status of one lookup
status() { q "$1" | awk '{ print $2 }'; }
alive() {
	if kill -0 "$MAPD_PID" 2>/dev/null; then ok
	else fail "vudb-mapd died ($1)"; cat "$T/mapd.log"; exit 1; fi
}
# want KEY STATUS WHAT
want() {
	got=$(status "$1")
	if [ "$got" = "$2" ]; then ok
	else fail "$3: $1 answered $got, want $2"; fi
}
# back_within KEY WHAT: the key answers OK again within 2 s (timed by one
# process asking every 50 ms, so that starting programs costs nothing)
back_within() {
	dt=$($PYTHON - "$P" "$1" <<'PY'
import sys, time
import sockmap
port, key = int(sys.argv[1]), sys.argv[2]
t0 = time.time()
def answers():
    try:
        s = sockmap.connect(port, timeout=5)
        ok = sockmap.ask(s, "mailbox", key).startswith("OK")
        s.close()
        return ok
    except (OSError, EOFError, ValueError):
        return False
while time.time() - t0 < 5:
    if answers():
        print("%.2f" % (time.time() - t0))
        sys.exit(0)
    time.sleep(0.05)
print("never")
PY
)
	if [ "$dt" != never ] &&
	    $PYTHON -c "import sys; sys.exit(0 if $dt <= 2.0 else 1)"; then
		ok; echo "$2: answering again after $dt s"
	else
		fail "$2: $1 not answering 2 s after the restore ($dt s)"
	fi
}

start_mapd "$T/mapd.log" -d "$S" -w 2 -l "socketmap:inet:127.0.0.1:$P"
want user0001@a.example OK "before"
want user0001@b.example OK "before"
want nobody@a.example NOTFOUND "before"

# ---- truncated to 0 bytes, restored by cp over the live file
truncate -s 0 "$D/a.example.mdb"
want user0001@a.example TEMP "a.example truncated to 0"
want nobody@a.example TEMP "a.example truncated to 0 (not found must not be said)"
alive "a domain file truncated to 0"
want user0001@b.example OK "b.example beside a truncated a.example"
want user0002@big.example OK "big.example beside a truncated a.example"
if grep -q "a.example.*domain file damaged" "$T/mapd.log"; then ok
else fail "no word of the damaged a.example in the log"; fi
cp "$T/a.copy" "$D/a.example.mdb"
back_within user0001@a.example "a.example restored by cp"
want nobody@a.example NOTFOUND "a.example restored by cp"

# ---- truncated to 0, restored by rename of a copy
truncate -s 0 "$D/a.example.mdb"
want user0002@a.example TEMP "a.example truncated to 0 again"
cp "$T/a.copy" "$S/restore.tmp" && mv "$S/restore.tmp" "$D/a.example.mdb"
back_within user0002@a.example "a.example restored by mv"

# ---- big.example truncated to half, restored by rename, then by cp
size=$(wc -c < "$D/big.example.mdb")
truncate -s $((size / 2)) "$D/big.example.mdb"
want user1999@big.example TEMP "big.example truncated to half"
alive "a domain file truncated to half"
want user0001@b.example OK "b.example beside a half big.example"
cp "$T/big.copy" "$S/restore.tmp" && mv "$S/restore.tmp" "$D/big.example.mdb"
back_within user1999@big.example "big.example restored by mv"
truncate -s $((size / 2)) "$D/big.example.mdb"
want user1999@big.example TEMP "big.example truncated to half again"
cp "$T/big.copy" "$D/big.example.mdb"
back_within user1999@big.example "big.example restored by cp"

# ---- 2,000 random bytes in one page of big.example, page after page
$PYTHON -c "
for i in range($BIG): print('user%04d@big.example' % i)" > "$T/users"
pages=$((size / 4096))
seed=1
page=2
nf=0 temp=0 rounds=0 verified=0
while [ $page -lt $pages ]; do
	$PYTHON - "$D/big.example.mdb" "$page" "$seed" <<'PY'
import random, sys
path, page, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
with open(path, "r+b") as f:
    f.seek(page * 4096 + rng.randrange(0, 4096 - 2000))
    f.write(bytes(rng.getrandbits(8) for i in range(2000)))
PY
	q < "$T/users" > "$T/answers"
	n=$(grep -c ' NOTFOUND$' "$T/answers")
	t=$(grep -c ' TEMP$' "$T/answers")
	d=$(grep -c ' DEAD$' "$T/answers")
	o=$(grep -c ' OK$' "$T/answers")
	nf=$((nf + n)); temp=$((temp + t)); rounds=$((rounds + 1))
	if [ "$n" -eq 0 ] && [ "$d" -eq 0 ] && [ $((o + t)) -eq $BIG ]; then ok
	else fail "page $page damaged: $o OK, $t TEMP, $n NOTFOUND," \
	    "$d without answer"; grep -m 3 ' NOTFOUND$' "$T/answers"; fi
	alive "page $page damaged"
	want user0001@b.example OK "b.example beside a damaged big.example"
	if [ $t -gt 0 ] || [ $rounds -le 3 ]; then
		# verify reports instead of crashing
		"$ADM" -d "$S" verify big.example > "$T/verify" 2>&1
		rc=$?
		if [ $t -gt 0 ] && { [ $rc -ne 65 ] ||
		    ! grep -q damaged "$T/verify"; }; then
			fail "verify of a damaged page $page: exit $rc"
			cat "$T/verify"
		elif [ $rc -ge 128 ] || { [ $rc -ne 0 ] && [ $rc -ne 65 ]; }
		then
			fail "verify of a damaged page $page: exit $rc"
			cat "$T/verify"
		else
			ok; verified=$((verified + 1))
		fi
	fi
	cp "$T/big.copy" "$D/big.example.mdb"
	back_within user1999@big.example "big.example page $page restored" \
	    >/dev/null
	page=$((page + 1)); seed=$((seed + 1))
done
echo "random damage: $rounds pages of $pages, $BIG users each:" \
    "$temp TEMP, $nf NOTFOUND; verify run $verified times"
[ $rounds -gt 0 ] && ok || fail "no page damaged"

# ---- verify of a truncated file reports and does not crash
truncate -s 0 "$D/a.example.mdb"
"$ADM" -d "$S" verify > "$T/verify" 2>&1
rc=$?
if [ $rc -eq 65 ] && grep -q "a.example.*damaged" "$T/verify"; then ok
else fail "verify of a truncated file: exit $rc"; cat "$T/verify"; fi
cp "$T/a.copy" "$D/a.example.mdb"
back_within user0001@a.example "a.example restored for the end"

# ---- an older copy renamed over the file while two servers hold it.
# LMDB's lock file keeps the newer transaction number, which picks the
# meta page readers and writers use (its lowest bit: one commit after the
# copy picks the copy's older meta page): out of step, a reader would read
# an older tree (users there "not found") and a writer build on it and
# write over the newest (changes lost).  A server that opens the file alone
# sets the lock file anew; one that opens it beside another that holds it
# finds it out of step and fails temporarily until then.  So: every
# answer is the restored file's or TEMP, a write succeeds or fails with
# 75, and nothing of the restored file is lost.
P2=$($PYTHON -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
MAPD1=$MAPD_PID
start_mapd "$T/mapd2.log" -d "$S" -w 1 -l "socketmap:inet:127.0.0.1:$P2"
MAPD2=$MAPD_PID
"$ADM" -d "$S" user add --no-password r1@a.example >/dev/null || fail "add r1"
cp "$D/a.example.mdb" "$T/a.older"
"$ADM" -d "$S" user add --no-password r2@a.example >/dev/null || fail "add r2"
want r2@a.example OK "before the older copy"
[ "$($PYTHON "$T/q.py" "$P2" mailbox r2@a.example | awk '{ print $2 }')" = OK ] &&
    ok || fail "the second server before the older copy"
cp "$T/a.older" "$D/a.example.mdb.new" && mv "$D/a.example.mdb.new" \
    "$D/a.example.mdb"
sleep 1.5	# vudb-mapd looks at the file's identity once a second
wrong=0 temps=0 asked=0
for round in 1 2 3 4 5 6 7 8 9 10; do
	for port in "$P" "$P2"; do
		$PYTHON "$T/q.py" "$port" mailbox r1@a.example \
		    user0001@a.example r2@a.example > "$T/ans"
		asked=$((asked + 3))
		temps=$((temps + $(grep -c ' TEMP$' "$T/ans")))
		wrong=$((wrong + $(grep -c -e '^r1@.* NOTFOUND' \
		    -e '^user0001@.* NOTFOUND' -e '^r2@.* OK' -e DEAD \
		    "$T/ans")))
	done
	sleep 0.1
done
echo "older copy renamed over a file two servers hold: $asked answers," \
    "$temps TEMP, $wrong wrong"
[ $wrong -eq 0 ] && ok || fail "wrong answers after an older copy: $wrong"
"$ADM" -d "$S" user add --no-password w@a.example >/dev/null 2>"$T/w.err"
rc=$?
if [ $rc -eq 0 ] || { [ $rc -eq 75 ] && grep -q "out of step" "$T/w.err"; }
then ok
else fail "a write beside an older copy: exit $rc"; cat "$T/w.err"; fi
wrote=$rc
alive "an older copy renamed over the file"
MAPD_PID=$MAPD1
for pid in "$MAPD1" "$MAPD2"; do
	stop_pid "$pid"
	rc=$?
	[ $rc -eq 0 ] && ok || fail "vudb-mapd stopped with status $rc"
done
grep -E "AddressSanitizer|runtime error|LeakSanitizer" "$T/mapd.log" \
    "$T/mapd2.log" && fail "sanitizer report in the log"
# nobody holds it now: the next opener sets the lock file anew
"$ADM" -d "$S" user add --no-password w2@a.example >/dev/null ||
    fail "a write once nobody held the file"
"$ADM" -d "$S" user list a.example | awk 'NR > 1 { print $1 }' > "$T/list"
want_in="r1@a.example w2@a.example user0001@a.example"
[ $wrote -eq 0 ] && want_in="$want_in w@a.example"
for u in $want_in; do
	grep -qx "$u" "$T/list" && ok || fail "$u missing after the restore"
done
grep -qx r2@a.example "$T/list" && fail "r2@a.example came back" || ok
"$ADM" -d "$S" verify a.example >/dev/null 2>&1 && ok ||
    fail "verify after the restore"

echo "lmdb-damage: $((PASSED + FAILED)) checks, $FAILED failed"
[ $FAILED -eq 0 ]
