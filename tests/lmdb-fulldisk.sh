#!/bin/sh
# lmdb-fulldisk.sh - an LMDB store on a full file system (a tmpfs mounted
# for the test, filled up): adding a domain, and so opening a domain file
# whose lock file is new, failed with a SIGBUS inside mdb_env_open (LMDB
# writes the lock file's header through a map of a file it made sparse);
# every failure must be a temporary one (exit 75) saying that the file
# system is full, reads must go on, and everything works once there is
# room again.  And a half-made domain file (a writer killed while making
# it) is neither a domain nor damage.  Skipped (77) without LMDB or where mounting is not allowed.
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
set -u
builddir=${top_builddir:-.}
VUDBADM=$builddir/tools/vudbadm/vudbadm
grep -q '^#define WITH_LMDB 1' "$builddir/config.h" 2>/dev/null ||
    { echo "LMDB backend not compiled in"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/vudb-lmdbfull.XXXXXX") || exit 99
FS=$T/fs
S=$FS/store
mounted=no
trap '[ $mounted = yes ] && umount "$FS"; rm -rf "$T"' EXIT
trap 'exit 99' INT TERM
mkdir "$FS" || exit 99
mount -t tmpfs -o size=8m tmpfs "$FS" 2>/dev/null ||
    { echo "cannot mount a tmpfs: skipped"; exit 77; }
mounted=yes
checks=0 failed=0
v() { timeout 60 "$VUDBADM" -d "$S" "$@"; }
# t WANT TEXT ARGS - vudbadm ARGS exits WANT, its stderr holding TEXT
t() {
	want=$1 text=$2
	shift 2
	checks=$((checks + 1))
	timeout 60 "$VUDBADM" -d "$S" "$@" <"$T/in" >"$T/out" 2>"$T/err"
	got=$?
	if [ $got -ne "$want" ] ||
	    { [ -n "$text" ] && ! grep -qF -- "$text" "$T/err"; }; then
		failed=$((failed + 1))
		echo "FAIL: vudbadm $*: exit $got, want $want with \"$text\""
		head -c 800 "$T/err"
	fi
}
: >"$T/in"
VUDB_BACKEND=lmdb v init || exit 99
v set password_scheme SHA512-CRYPT && v set sha_rounds 1000 || exit 99
v domain add a.example || exit 99
printf 'pw\n' | v user add u@a.example --password-stdin || exit 99
dd if=/dev/zero of="$FS/fill" bs=64k 2>/dev/null
t 75 "file system of the store is full" domain add b.example
t 75 "file system of the store is full" domain add c.example
printf 'v@a.example:{PLAIN}pw:5000:5000::/home/v::\n' >"$T/in"
t 75 "full" import --format passwd-file
: >"$T/in"
t 0 "" lookup mailbox u@a.example
checks=$((checks + 1))
if [ -e "$S/domains/b.example.mdb-lock" ] || [ -e "$S/domains/b.example.mdb" ]; then
	failed=$((failed + 1)); echo "FAIL: a failed domain add left files"
	ls -l "$S/domains"
fi
rm -f "$FS/fill"
t 0 "" domain add b.example
printf 'v@b.example:{PLAIN}pw:5000:5000::/home/v::\n' >"$T/in"
t 0 "" import --format passwd-file
: >"$T/in"
t 0 "" lookup mailbox v@b.example
t 0 "" verify
# a domain file is made under another name and linked into place: what a
# writer killed while making one leaves is no domain, and no damage
printf 'half' >"$S/domains/c.example.mdb.new.99999"
t 0 "" verify
t 0 "" domain list
checks=$((checks + 1))
if grep -q c.example "$T/out"; then
	failed=$((failed + 1)); echo "FAIL: a half-made file listed as a domain"
fi
t 0 "" domain add c.example
checks=$((checks + 1))
if ls "$S/domains" | grep -v '^c\.example\.mdb\.new\.99999$' | grep -q '\.new\.'; then
	failed=$((failed + 1)); echo "FAIL: domain add left a .new file"
	ls -l "$S/domains"
fi
echo "lmdb-fulldisk: $checks checks, $failed failed"
[ $failed -eq 0 ]
