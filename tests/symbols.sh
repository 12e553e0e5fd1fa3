#!/bin/sh
# symbols.sh - libvudb.so exports exactly the functions of vudb.h, each in
# the version node LIBVUDB_0 (lib/libvudb.map): no internal symbol
# (vudb__*, a helper of a backend, a symbol of a library linked in) leaks
# out, and no public function is missing.  The programs built against
# libvudb.so need nothing else from it.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
so=$top_builddir/lib/.libs/libvudb.so
command -v nm >/dev/null 2>&1 || { echo "SKIP: no nm"; exit 77; }
[ -f "$so" ] || { echo "SKIP: no $so (a static-only build)"; exit 77; }
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0
# the functions vudb.h declares (a declaration starts a line with its type)
sed -n 's/^[a-z].*[[:space:]*]\(vudb_[a-z][a-z0-9_]*\)(.*/\1/p' \
    "$top_srcdir/lib/vudb.h" | sort -u >"$tmp/public"
[ -s "$tmp/public" ] || { echo "FAIL: no function found in vudb.h"; exit 1; }
# what the library exports: NAME@@NODE (or NAME, unversioned), less the
# version node itself (an absolute symbol)
nm -D --defined-only "$so" | awk '$2 != "A" { print $3 }' |
    sort -u >"$tmp/exported"
sed 's/@.*//' "$tmp/exported" | sort -u >"$tmp/names"
n=$(wc -l <"$tmp/public")
comm -13 "$tmp/public" "$tmp/names" >"$tmp/extra"
comm -23 "$tmp/public" "$tmp/names" >"$tmp/missing"
if [ -s "$tmp/extra" ]; then
	echo "FAIL: exported but not a function of vudb.h:"
	sed 's/^/    /' "$tmp/extra"; fail=1
fi
if [ -s "$tmp/missing" ]; then
	echo "FAIL: functions of vudb.h that libvudb.so does not export:"
	sed 's/^/    /' "$tmp/missing"; fail=1
fi
grep -v '@@LIBVUDB_0$' "$tmp/exported" >"$tmp/unversioned"
if [ -s "$tmp/unversioned" ]; then
	echo "FAIL: exported outside the version node LIBVUDB_0:"
	sed 's/^/    /' "$tmp/unversioned"; fail=1
fi
# The programs Makefile.am links against libvudb.so (not libvudb_core.la):
# each must take something from it, and only what it exports (an
# internal vudb__ symbol among them would be named here).
for p in adapters/postfix/vudb-mapd tools/vudbadm/vudbadm \
    adapters/postfix/tests/mkstore examples/vudb-lookup; do
	bin=$top_builddir/$(dirname "$p")/.libs/$(basename "$p")
	[ -f "$bin" ] || bin=$top_builddir/$p
	[ -f "$bin" ] || { echo "FAIL: $p not built"; fail=1; continue; }
	nm -D --undefined-only "$bin" | awk '{ print $2 }' |
	    sed -n 's/@.*//; /^vudb_/p' | sort -u >"$tmp/needs"
	if ! [ -s "$tmp/needs" ]; then
		echo "FAIL: $p takes nothing from libvudb.so"; fail=1
	fi
	comm -23 "$tmp/needs" "$tmp/names" >"$tmp/unmet"
	if [ -s "$tmp/unmet" ]; then
		echo "FAIL: $p needs what libvudb.so does not export:"
		sed 's/^/    /' "$tmp/unmet"; fail=1
	fi
done
# The package's symbols file names the same functions (dpkg-gensymbols
# only warns when it does not).
syms=$top_srcdir/debian/libvudb0.symbols
if [ -f "$syms" ]; then
	sed -n 's/^ \(vudb_[a-z0-9_]*\)@LIBVUDB_0 .*/\1/p' "$syms" | sort -u \
	    >"$tmp/symfile"
	if ! cmp -s "$tmp/symfile" "$tmp/names"; then
		echo "FAIL: debian/libvudb0.symbols differs from the exports:"
		diff "$tmp/names" "$tmp/symfile" | sed 's/^/    /'; fail=1
	fi
fi
[ $fail -eq 0 ] && echo "ok: libvudb.so exports the $n functions of vudb.h, in LIBVUDB_0"
exit $fail
