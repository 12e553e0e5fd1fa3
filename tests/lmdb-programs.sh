#!/bin/sh
# lmdb-programs.sh - the vudbadm and vudb-mapd tests again, on LMDB stores
# (VUDB_BACKEND makes every store they create an LMDB one).  Skipped (77)
# when the LMDB backend is not compiled in.
srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
if ! grep -q '^#define WITH_LMDB 1' "$builddir/config.h" 2>/dev/null; then
	echo "LMDB backend not compiled in"; exit 77
fi
VUDB_BACKEND=lmdb; export VUDB_BACKEND
# the same scripts run at the same time on Berkeley DB: other ports
VUDB_TEST_PORT_OFFSET=500; export VUDB_TEST_PORT_OFFSET
out=$(mktemp "${TMPDIR:-/tmp}/vudb-lmdbprog.XXXXXX") || exit 99
trap 'rm -f "$out"' EXIT
checks=0 failed=0 status=0
for t in tools/vudbadm/tests/basic.sh tools/vudbadm/tests/user.sh \
    tools/vudbadm/tests/alias.sh tools/vudbadm/tests/rename.sh \
    tools/vudbadm/tests/import.sh tools/vudbadm/tests/misc.sh \
    tools/vudbadm/tests/audit.sh \
    adapters/postfix/tests/postmap.sh adapters/postfix/tests/smtp.sh \
    adapters/postfix/tests/abuse.sh; do
	sh "$srcdir/$t" >"$out" 2>&1
	rc=$?
	line=$(grep -E '^([A-Za-z0-9_. ()-]+: )?[0-9]+ (checks|passed), [0-9]+ failed' "$out" | tail -n 1)
	c=$(echo "$line" | sed -E 's/^(.*: )?([0-9]+) (checks|passed), ([0-9]+) failed.*/\2/')
	f=$(echo "$line" | sed -E 's/^(.*: )?([0-9]+) (checks|passed), ([0-9]+) failed.*/\4/')
	[ -n "$c" ] || { c=1; [ $rc -eq 0 ] && f=0 || f=1; }
	case $line in *passed*) c=$((c + f)) ;; esac
	[ $rc -eq 0 ] || { [ "$f" -gt 0 ] || f=1; status=1; cat "$out"; }
	echo "$t (lmdb): $c checks, $f failed"
	checks=$((checks + c)); failed=$((failed + f))
done
echo "lmdb-programs: $checks checks, $failed failed"
exit $status
