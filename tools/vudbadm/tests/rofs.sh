#!/bin/sh
# rofs.sh - a store on a read-only file system (a file system remounted
# read-only after errors, a read-only mount): a change fails with exit
# status 77 (read-only, as vudbadm(8) says) and a message naming the file
# system, never 75; lookup and auth answer as every lookup failure does
# (75) on Berkeley DB, which writes its region files to read, and answer
# on LMDB, which can read there.  Both backends; needs root (it mounts a
# tmpfs of its own and unmounts it), else skipped.
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.

. "${top_srcdir:-.}/tools/vudbadm/tests/common.sh"

[ "$(id -u)" -eq 0 ] || { echo "not root: skipped"; exit 77; }
M=$T/mnt
mkdir "$M" || exit 99
mount -t tmpfs -o size=256m,mode=0755 tmpfs "$M" 2>/dev/null ||
    { echo "cannot mount a tmpfs: skipped"; exit 77; }
trap 'umount "$M" 2>/dev/null || umount -l "$M"; rm -rf "$T"' EXIT

backends=bdb
grep -q '^#define WITH_LMDB 1' "$builddir/config.h" 2>/dev/null &&
    backends="$backends lmdb"
for be in $backends; do
	S=$M/$be
	VUDB_BACKEND=$be mkstore || exit 99
	v domain add ro.example || exit 99
	printf 'pw\n' | v user add u@ro.example --password-stdin || exit 99
done
mount -o remount,ro "$M" || exit 99

for be in $backends; do
	S=$M/$be
	IN=$T/pw
	printf 'pw2\n' >"$IN"
	t 77 -d "$S" user add v@ro.example --password-stdin
	err_has "read-only file system"
	IN=/dev/null
	t 77 -d "$S" domain add other.example
	err_has "read-only file system"
	if [ "$be" = bdb ]; then
		t 75 -d "$S" lookup mailbox u@ro.example
		err_has "read-only file system"
		IN=$T/pw0
		printf 'pw\n' >"$IN"
		t 75 -d "$S" auth u@ro.example
		IN=/dev/null
	else
		t 0 -d "$S" lookup mailbox u@ro.example
		out_is "ro.example/u/Maildir/"
		IN=$T/pw0
		printf 'pw\n' >"$IN"
		t 0 -d "$S" auth u@ro.example
		IN=/dev/null
	fi
done

# writable again: everything works, nothing was half made
mount -o remount,rw "$M" || exit 99
for be in $backends; do
	S=$M/$be
	IN=$T/pw
	t 0 -d "$S" user add v@ro.example --password-stdin
	IN=/dev/null
	t 0 -d "$S" lookup mailbox v@ro.example
	t 0 -d "$S" verify
done
done_testing
