#!/bin/sh
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# lua-deadholder.sh - the Lua module when a process dies inside Berkeley
# DB holding what a call of the module then waits for: the call waited for
# ever, and with it the Dovecot auth process it runs in.  Now the module's
# watchdog (adapters/dovecot/watch.c) asks the store, and the process ends
# with status 75 within seconds, saying why on standard error (Dovecot
# logs it and starts a new auth process); a healthy run of the same script
# is not ended.  In a plain Lua 5.4 interpreter.
# Skips (77) without the module, lua5.4 or Berkeley DB (tests/bdbfault).
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
MOD=$top_builddir/adapters/dovecot/.libs/vudb.so
ADM=$top_builddir/tools/vudbadm/vudbadm
FAULT=$top_builddir/tests/bdbfault
[ -f "$MOD" ] || { echo "no Lua module built: skipped"; exit 77; }
command -v lua5.4 >/dev/null 2>&1 || { echo "no lua5.4: skipped"; exit 77; }
[ -x "$FAULT" ] || { echo "no tests/bdbfault (Berkeley DB): skipped"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/vudbluadh.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
S=$T/store
"$ADM" -d "bdb:$S" init >/dev/null &&
    "$ADM" -d "$S" domain add a.example &&
    "$ADM" -d "$S" domain add b.example &&
    "$ADM" -d "$S" user add --no-password u@a.example ||
    { echo "store set-up failed"; exit 99; }
preload=
if ldd "$MOD" | grep -q libasan; then
	preload="$(${CC:-cc} -print-file-name=libasan.so) $(ldd "$MOD" |
	    awk '$1 ~ /^libcrypt\./ { print $3 }')"
fi
# the script: the store opened (a lookup in b.example), "ready", then at a
# line on its input a lookup of a user of a.example, and "done STATUS"
cat > "$T/s.lua" <<'EOL'
local vudb = require "vudb"
local db = vudb.open(arg[1])
local st = db:lookup("domain", "b.example")
io.write("ready ", st, "\n"); io.flush()
io.read("l")
st = db:user("u@a.example")
io.write("done ", st, "\n"); io.flush()
db:close()
EOL
# run HOW: the script, with a process dying inside Berkeley DB (HOW
# "dead") or not ("healthy") before the second lookup; prints
# "STATUS SECONDS LAST-LINE STDERR"
run() {
	rm -f "$S"/__db.0*	# regions anew: no page of a.example cached
	LUA_CPATH_5_4="$(dirname "$MOD")/?.so" LD_PRELOAD=$preload \
	    python3 - "$1" "$FAULT" "$S" "$T/s.lua" <<'PY'
import subprocess, sys, time
how, fault, store, script = sys.argv[1:5]
p = subprocess.Popen(["lua5.4", script, store], stdin=subprocess.PIPE,
    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
first = p.stdout.readline().decode().strip()
if first != "ready ok":
    p.kill()
    print("none 0 %r %r" % (first, p.stderr.read().decode().strip()))
    sys.exit(0)
if how == "dead":
    subprocess.call([fault, store, "die-holding", "a.example"],
        stderr=subprocess.DEVNULL)
t0 = time.time()
p.stdin.write(b"go\n")
p.stdin.close()
try:
    p.wait(timeout=30)
except subprocess.TimeoutExpired:
    p.kill()
    p.wait()
    print("hung 30 - -")
    sys.exit(0)
out = p.stdout.read().decode().strip().replace("\n", "|")
err = p.stderr.read().decode().strip().replace("\n", "|")
print("%d %.1f %s %s" % (p.returncode, time.time() - t0, out or "-", err))
PY
}
nchecks=0 nfail=0
check() {	# check WHAT GOT PATTERN
	nchecks=$((nchecks + 1))
	case $2 in
	$3) echo "ok   $1: $2" ;;
	*) echo "FAIL $1: $2"; nfail=$((nfail + 1)) ;;
	esac
}
got=$(run healthy)
check "a healthy run is not ended" "$got" "0 * done ok*"
got=$(run dead)
check "a call behind a dead holder ends the process (75) within 10 s" \
    "$got" "75 [0-9].* - *the store was lost*"
secs=$(echo "$got" | cut -d' ' -f2)
case $secs in [0-9].*) ;; *) secs=99 ;; esac
check "... in under 10 s" "$secs" "[0-9].[0-9]"
# the store works afterwards
got=$(run healthy)
check "the store answers again" "$got" "0 * done ok*"
"$ADM" -d "$S" verify >/dev/null
check "vudbadm verify clean" "$?" "0"
echo "lua-deadholder: $nchecks checks, $nfail failed"
[ $nfail -eq 0 ]
