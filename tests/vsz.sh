#!/bin/sh
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# vsz.sh - a store answers within Dovecot's default_vsz_limit (256M), which
# Dovecot's auth processes, and the vudb-checkpassword they run, inherit:
# a Berkeley DB store made by vudbadm with default settings answers a
# lookup, a vudb-checkpassword login (its ARGON2ID hash included) and, when
# it was built and lua5.4 is there, a login through the Lua module under
# ulimit -v 262144.  Opening a store once mapped 532 MB of Berkeley DB
# regions in every process, and both failed.  Skipped (77) in a build with
# sanitizers, which reserve terabytes of address space, or where the
# limit cannot be set.
builddir=${top_builddir:-.}
LIMIT=262144	# KiB: default_vsz_limit = 256M
vudbadm=$builddir/tools/vudbadm/vudbadm
helper=$builddir/adapters/dovecot/vudb-checkpassword

if [ "${VUDB_SANITIZERS:-no}" = yes ]; then
	echo "built with sanitizers, whose shadow memory no address space" \
	    "limit allows: skipped"
	exit 77
fi
if ! (ulimit -v $LIMIT) 2>/dev/null; then
	echo "ulimit -v $LIMIT: not allowed here: skipped"
	exit 77
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/vudb-vsz.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
S=$T/store
checks=0 failed=0

# limited CMD ARG...: CMD under the limit, its output in $T/out and $T/err
limited() {
	(ulimit -v $LIMIT && exec "$@") >"$T/out" 2>"$T/err"
}

# check WHAT STATUS EXPECTED-STATUS [EXPECTED-OUTPUT]
check() {
	checks=$((checks + 1))
	if [ "$2" = "$3" ] && { [ $# -lt 4 ] || [ "$(cat "$T/out")" = "$4" ]; }
	then
		echo "ok   $1"
	else
		failed=$((failed + 1))
		echo "FAIL $1: exit $2 (want $3)"
		[ $# -lt 4 ] || echo "     want out: $4"
		sed 's/^/     out: /' "$T/out"
		sed 's/^/     err: /' "$T/err"
	fi
}

"$vudbadm" -d "bdb:$S" init >/dev/null &&
    "$vudbadm" -d "$S" domain add a.example &&
    printf 'pw\n' | "$vudbadm" -d "$S" user add u@a.example --password-stdin ||
    exit 99
# a sanitizer build that configure did not flag fails before main()
if ! limited "$vudbadm" -d "$S" domain list && grep -q Sanitizer "$T/err"
then
	echo "built with sanitizers: skipped"
	exit 77
fi

limited "$vudbadm" -d "$S" lookup mailbox u@a.example
check "vudbadm lookup under ulimit -v $LIMIT" $? 0 "a.example/u/Maildir/"

# vudb-checkpassword as Dovecot runs it: the request on descriptor 3
printf 'u@a.example\0pw\0\0' >"$T/req"
SERVICE=imap limited "$helper" -d "$S" /bin/sh -c 'echo "$USER"' 3<"$T/req"
check "vudb-checkpassword login under ulimit -v $LIMIT" $? 0 "u@a.example"
printf 'u@a.example\0wrong\0\0' >"$T/req"
SERVICE=imap limited "$helper" -d "$S" /bin/sh -c 'echo "$USER"' 3<"$T/req"
check "vudb-checkpassword refusal under ulimit -v $LIMIT" $? 1 ""

# the Lua module, as Dovecot's auth worker loads it
MOD=$builddir/adapters/dovecot/.libs/vudb.so
if [ -f "$MOD" ] && command -v lua5.4 >/dev/null 2>&1; then
	cat >"$T/login.lua" <<'EOT'
local vudb = require "vudb"
local db = vudb.open(arg[1])
local s, f = db:auth("u@a.example", "pw", "imap")
print(s, f and f.user)
EOT
	LUA_CPATH_5_4="$(dirname "$MOD")/?.so" \
	    limited lua5.4 "$T/login.lua" "$S"
	check "Lua module login under ulimit -v $LIMIT" $? 0 \
	    "$(printf 'ok\tu@a.example')"
else
	echo "no Lua module or no lua5.4: its login not tried"
fi

echo "vsz: $checks checks, $failed failed"
[ $failed -eq 0 ]
