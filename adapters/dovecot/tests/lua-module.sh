#!/bin/sh
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# lua-module.sh - the Lua module vudb.so in a plain Lua 5.4 interpreter:
# makes a store with mkstore and runs lua-module.lua on it.  A sanitizer
# build of the module needs the sanitizer runtime loaded first: it is
# preloaded into the interpreter, with libcrypt, so the binding is checked
# by ASan too.
# Skips (77) when the module was not built (no liblua5.4-dev) or there is
# no lua5.4 interpreter.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
MOD=$top_builddir/adapters/dovecot/.libs/vudb.so
[ -f "$MOD" ] || { echo "no Lua module built: skipped"; exit 77; }
command -v lua5.4 >/dev/null 2>&1 || { echo "no lua5.4: skipped"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/vudblua.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
cat > "$T/store.txt" <<'EOT'
set password_scheme SHA512-CRYPT
set uid 5000
set gid 5000
domain pc1.example
domain pc2.example
domain off.example enabled no
user matsui@pc1.example password-one SHA512-CRYPT quota_bytes 1048576
user matsui@pc2.example password-two SHA512-CRYPT
user off@pc1.example password-off SHA512-CRYPT enabled no
user imaponly@pc1.example password-i SHA512-CRYPT services imap
user nopw@pc1.example - SHA512-CRYPT
user argon@pc1.example argon-secret ARGON2ID
user matsui@off.example password-d SHA512-CRYPT
EOT
"$top_builddir/adapters/dovecot/tests/mkstore" "$T/store" < "$T/store.txt" ||
    { echo "mkstore failed"; exit 99; }
preload=
if ldd "$MOD" | grep -q libasan; then
	# ASan looks up the real crypt_r, which it intercepts, when it
	# starts: libcrypt must be loaded by then, not with the module
	preload="$(${CC:-cc} -print-file-name=libasan.so) $(ldd "$MOD" |
	    awk '$1 ~ /^libcrypt\./ { print $3 }')"
fi
LUA_CPATH_5_4="$(dirname "$MOD")/?.so" LD_PRELOAD=$preload \
    lua5.4 "$top_srcdir/adapters/dovecot/tests/lua-module.lua" "$T/store" \
    "$(cd "$top_builddir" && pwd)/tools/vudbadm/vudbadm"
