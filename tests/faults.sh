#!/bin/sh
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# faults.sh BACKEND - the fault campaign of issue 16 on one backend (bdb or
# lmdb): finds the programs of the build tree and runs faults.py (see there
# for what it does and checks) in a private temporary directory, which it
# removes at the end, unmounting whatever is still mounted under it.  Run
# by tests/faults-bdb.sh and tests/faults-lmdb.sh from "make check-faults";
# never part of "make check".
#
# Environment: FAULTS_BACKEND=bdb|lmdb runs only that backend (the other
# script skips); FAULTS_ONLY=kills,disk,truncate some scenarios; FAULTS_SEED
# the seed (printed by every run); FAULTS_FS=ext4|tmpfs|none the store's
# file system; FAULTS_KILLS the kills required (32); FAULTS_TIMEOUT the
# limit of a run in seconds (330); KEEP=1 keeps the directory (logs).
# Exit status 0 all checks passed, 1 some failed, 77 skipped, 99 error.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
backend=${1:?usage: faults.sh bdb|lmdb}
if [ -n "${FAULTS_BACKEND:-}" ] && [ "$FAULTS_BACKEND" != "$backend" ]; then
	echo "FAULTS_BACKEND=$FAULTS_BACKEND: $backend skipped"
	exit 77
fi
command -v python3 >/dev/null 2>&1 || { echo "no python3: skipped"; exit 77; }
b=$(cd "$top_builddir" && pwd) || exit 99
s=$(cd "$top_srcdir" && pwd) || exit 99
FAULTS_VUDBADM=$b/tools/vudbadm/vudbadm
FAULTS_MAPD=$b/adapters/postfix/vudb-mapd
FAULTS_CPW=$b/adapters/dovecot/vudb-checkpassword
for p in "$FAULTS_VUDBADM" "$FAULTS_MAPD" "$FAULTS_CPW"; do
	[ -x "$p" ] || { echo "$p not built"; exit 99; }
done
# The Lua module in a long-lived lua5.4, as lua-module.sh runs it: a
# sanitizer build of the module needs the sanitizer runtime preloaded, and
# with it libcrypt (ASan looks up the crypt_r it intercepts when it starts).
FAULTS_LUA= FAULTS_LUA_CPATH= FAULTS_LUA_PRELOAD=
mod=$b/adapters/dovecot/.libs/vudb.so
if [ -f "$mod" ] && command -v lua5.4 >/dev/null 2>&1; then
	FAULTS_LUA=$(command -v lua5.4)
	FAULTS_LUA_CPATH="$(dirname "$mod")/?.so"
	if ldd "$mod" | grep -q libasan; then
		FAULTS_LUA_PRELOAD="$(${CC:-cc} -print-file-name=libasan.so)"
		FAULTS_LUA_PRELOAD="$FAULTS_LUA_PRELOAD $(ldd "$mod" |
		    awk '$1 ~ /^libcrypt\./ { print $3 }')"
	fi
fi
FAULTS_LUA_SCRIPT=$s/tests/faults.lua
export FAULTS_VUDBADM FAULTS_MAPD FAULTS_CPW FAULTS_LUA FAULTS_LUA_CPATH \
    FAULTS_LUA_PRELOAD FAULTS_LUA_SCRIPT

T=$(mktemp -d "${TMPDIR:-/tmp}/vudbfaults.XXXXXX") || exit 99
cleanup() {
	# faults.py unmounts; this is for when it could not
	grep -F " $T/" /proc/mounts 2>/dev/null | while read -r dev mnt rest; do
		umount "$mnt" 2>/dev/null || umount -l "$mnt"
	done
	if [ -n "${KEEP:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 99' INT TERM HUP
# faults.py stops itself at FAULTS_TIMEOUT; timeout(1) is the last resort
limit=${FAULTS_TIMEOUT:-330}
timeout -k 30 $((limit + 60)) python3 "$s/tests/faults.py" "$backend" "$T"
