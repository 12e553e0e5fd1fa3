#!/bin/sh
# fulldisk.sh - a Berkeley DB store on a full file system (a tmpfs mounted
# for the test, filled up): every failure is a temporary one (exit 75, TEMP)
# with a message that says so, never a crash.  Berkeley DB maps its region
# files and grows them sparse, and the first touch of a page that has no
# block on a full file system was a SIGBUS: "vudbadm verify", which fills
# the cache, died of it (exit 135), as did vudb-mapd and a writer whose
# generation file was new.  Once there is space again, "vudbadm recover"
# works and so does everything else.  Then, on a small ext4 image (where
# loop devices are there), regions made with too little room leave
# nothing that stops the next opener once there is room.  Skipped (77)
# where mounting is not allowed.
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
set -u
builddir=${top_builddir:-.}
VUDBADM=$builddir/tools/vudbadm/vudbadm
MAPD=$builddir/adapters/postfix/vudb-mapd
PYTHON=${PYTHON:-python3}
T=$(mktemp -d "${TMPDIR:-/tmp}/vudb-fulldisk.XXXXXX") || exit 99
FS=$T/fs
S=$FS/store
MAPD_PID=
mounted=no ext4=no
cleanup() {
	[ -n "$MAPD_PID" ] && kill "$MAPD_PID" 2>/dev/null && wait "$MAPD_PID"
	[ $mounted = yes ] && umount "$FS"
	[ $ext4 = yes ] && umount "$T/ext4"
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 99' INT TERM
mkdir "$FS" || exit 99
# room for the regions (Debian 13's Berkeley DB makes its cache region,
# 84 MB, whole at once) and the store; the rest is filled
if ! mount -t tmpfs -o size=192m,mode=0700 tmpfs "$FS" 2>/dev/null; then
	echo "cannot mount a tmpfs here: skipped"
	exit 77
fi
mounted=yes
checks=0 failed=0

fail() { failed=$((failed + 1)); echo "FAIL: $*"; }

# run WHAT WANT ARGS...: vudbadm ARGS exits with one of WANT ("0 75"), and
# a 75 says why
run() {
	what=$1 want=$2
	shift 2
	checks=$((checks + 1))
	t0=$(date +%s)
	timeout 120 "$VUDBADM" -d "$S" "$@" >"$T/out" 2>"$T/err"
	st=$?
	echo "$what: exit $st, $(($(date +%s) - t0)) s"
	case " $want " in
	*" $st "*) ;;
	*) fail "$what: exit $st, want $want: $(head -c 300 "$T/err")"
	   return ;;
	esac
	if [ $st -eq 75 ] && ! grep -qi "space\|full" "$T/err"; then
		fail "$what: exit 75 without saying why: $(head -c 300 \
		    "$T/err")"
	fi
}

# fill KIB: leave about KIB kilobytes free on the file system
fill() {
	rm -f "$FS/filler"
	avail=$(df --output=avail -k "$FS" | tail -1)
	if [ "$avail" -gt "$1" ]; then
		dd if=/dev/zero of="$FS/filler" bs=1k count=$((avail - $1)) \
		    2>/dev/null
	fi
	# and whatever is left, to the last block
	[ "$1" -eq 0 ] && cat /dev/zero >>"$FS/filler" 2>/dev/null
	return 0
}

# lookups N: N socketmap lookups of random users from vudb-mapd; prints
# "OK n TEMP n OTHER n" or "DEAD" if the connection went away
lookups() {
	$PYTHON - "$P" "$1" <<'PY'
import random, socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
res = {"OK": 0, "TEMP": 0, "OTHER": 0}
try:
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    f = s.makefile("rb")
    for i in range(n):
        k = b"mailbox user%05d@a.example" % random.randrange(30000)
        s.sendall(str(len(k)).encode() + b":" + k + b",")
        ln = b""
        while not ln.endswith(b":"):
            c = f.read(1)
            if not c:
                raise EOFError
            ln += c
        a = f.read(int(ln[:-1]) + 1)[:-1].decode()
        w = a.split(" ", 1)[0]
        res[w if w in res else "OTHER"] += 1
    print("OK %(OK)d TEMP %(TEMP)d OTHER %(OTHER)d" % res)
except (OSError, EOFError, ValueError):
    print("DEAD")
PY
}

# a store with a domain file of about 8 MB, which the cache (64 MB by
# default) would hold whole
"$VUDBADM" -d "$S" init >/dev/null || exit 99
$PYTHON - >"$T/users.jsonl" <<'PY'
import json
print(json.dumps({"type": "domain", "name": "a.example", "attrs": {}}))
h = ("{SHA512-CRYPT}$6$saltsaltsalt$PMWE8DTlam1JU37Piyk43bHcMxTJq6sgu5DKB0"
    "/tGPjanN35jcY68QkpDfPFUGPWX5uCxIQkSPzMmqEiVNgts.")
for i in range(30000):
    print(json.dumps({"type": "user", "name": "user%05d@a.example" % i,
        "attrs": {"password": h, "name": "user %d, with a name that "
        "takes some room" % i}}))
PY
"$VUDBADM" -d "$S" import "$T/users.jsonl" >/dev/null || exit 99
sed 's/a\.example/b.example/g' "$T/users.jsonl" >"$T/b.jsonl" || exit 99
# as after a reboot: regions to be made, the cache empty
rm -f "$S"/__db.0*

# 1. vudb-mapd, started on it (before the disk fills: on a store it
#    cannot open at all, it does not start, with exit status 75)
P=$($PYTHON -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])') || exit 99
"$MAPD" -f -d "$S" -l "socketmap:inet:127.0.0.1:$P" >"$T/mapd.log" 2>&1 &
MAPD_PID=$!
i=0
while ! $PYTHON -c "import socket
socket.create_connection(('127.0.0.1', $P), timeout=1)" 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 100 ] && { fail "vudb-mapd did not start: $(cat \
	    "$T/mapd.log")"; MAPD_PID=; break; }
	sleep 0.1
done

# 2. reading with the file system all but full: vudbadm, and vudb-mapd,
#    which answers or defers, and stays
fill 256
if [ -n "$MAPD_PID" ]; then
	checks=$((checks + 1))
	got=$(lookups 6000)
	case $got in
	"OK "*" OTHER 0") ;;
	*) fail "vudb-mapd on a full file system: $got" ;;
	esac
	checks=$((checks + 1))
	kill -0 "$MAPD_PID" 2>/dev/null || fail "vudb-mapd died"
fi
run "verify, full" "0 75" verify
run "domain list, full" "0 75" domain list

# 3. writing with no block left; a writer that makes the generation file
rm -f "$S/generation"
fill 0
run "user add, full" "0 75" user add --no-password new@a.example --quota 1G
run "domain set, full" "0 75" domain set a.example description full
run "import of a new domain, full" "75" import "$T/b.jsonl"
run "verify, full" "0 75" verify
if [ -n "$MAPD_PID" ]; then
	checks=$((checks + 1))
	got=$(lookups 200)
	case $got in
	"OK "*" OTHER 0") ;;
	*) fail "vudb-mapd, no block left: $got" ;;
	esac
	kill "$MAPD_PID"
	wait "$MAPD_PID"
	st=$?
	MAPD_PID=
	checks=$((checks + 1))
	[ $st -eq 0 ] || fail "vudb-mapd exit status $st: $(tail -3 \
	    "$T/mapd.log")"
fi

# 4. regions to make again with no block left: a clear temporary failure
#    (vudb-mapd would not start: exit status 75); vudbadm recover too
rm -f "$S"/__db.0* "$FS/filler"
fill 0
run "domain list, no regions" "75" domain list
run "recover, no regions" "75" recover
run "domain list, no regions again" "75" domain list

# 5. space again: recover, and everything is there
rm -f "$FS/filler"
run "recover, space again" "0" recover
run "domain list, space again" "0" --json domain show a.example
checks=$((checks + 1))
grep -Eq '"users": *3000[01][,}]' "$T/out" ||
    fail "the domain after: $(head -c 300 "$T/out")"
run "verify, space again" "0" verify
run "user add, space again" "0 73" user add --no-password after@a.example --quota 1G

# 6. regions made on ext4 with some room, less than they need: ext4 (not
#    tmpfs) keeps the blocks a failed allocation got, and a first region
#    file left grown but never written read as a region of size 0 to
#    every later opener ("mmap: Invalid argument") after the disk had room
#    again, until a recovery.  A reader opens the store as soon as there
#    is room, without "vudbadm recover".
umount "$FS" && mounted=no
mkdir "$T/ext4" || exit 99
if truncate -s 64m "$T/ext4.img" &&
    mkfs.ext4 -q -F -m 0 -b 4096 "$T/ext4.img" >/dev/null 2>&1 &&
    mount -o loop "$T/ext4.img" "$T/ext4" 2>/dev/null; then
	ext4=yes FS=$T/ext4 S=$T/ext4/store
	"$VUDBADM" -d "$S" init >/dev/null || exit 99
	head -3 "$T/users.jsonl" >"$T/small.jsonl"
	"$VUDBADM" -d "$S" import "$T/small.jsonl" >/dev/null || exit 99
	for kib in 100 1000; do
		rm -f "$S"/__db.0*
		fill $kib
		run "domain list, ext4, $kib KiB free, no regions" "75" \
		    domain list
		rm -f "$FS/filler"
		run "lookup, ext4, space again after $kib KiB" "0" \
		    lookup mailbox user00001@a.example
	done
else
	echo "no ext4 on a loop device here: part 6 skipped"
fi

echo "fulldisk.sh: $checks checks, $failed failed"
[ "$failed" -eq 0 ]
