#!/bin/sh
# test.sh - Quick start, command 2 (and CI): install, build with
# AddressSanitizer and UndefinedBehaviorSanitizer and -Werror, run the whole
# test suite; then, in a plain build, the tests that run inside a real
# Dovecot with its default limits (a sanitizer build cannot: it reserves
# terabytes of address space), and the fault campaign (make check-faults:
# writers killed under load, a full disk, damaged domain files; it mounts
# a file system, so it runs as root; about 3 minutes a backend;
# VUDB_CHECK_FAULTS=bdb or =lmdb runs one backend, =no none); then make
# distcheck, and the Debian
# packages (tests/debian-packages.sh; VUDB_CHECK_PACKAGES=no skips it).
# Prints how long each part took, the campaign's counts, and ends with one
# line "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
t0=$(date +%s)
part() {	# part NAME: print the time since the last part
	_now=$(date +%s)
	echo "time: $1: $((_now - t0)) s"
	t0=$_now
}
"$top/scripts/install-deps.sh" || exit 1
(cd "$top" && autoreconf -fi >/dev/null 2>&1) || { echo "autoreconf failed"; exit 1; }
part "install and autoreconf"
build=$top/build-check
plain=$top/build-plain
rm -rf "$build" "$plain"
status=0
if ! "$top/scripts/build.sh" "$build" --enable-sanitizers --enable-werror; then
	echo "build failed"; echo "0 passed, 1 failed"; exit 1
fi
part "build (ASan/UBSan)"
export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp:print_suppressions=0"
(cd "$build" && make -j"$(nproc)" check >make-check.out 2>&1) || status=1
part "make check (ASan/UBSan)"
if ! "$top/scripts/build.sh" "$plain" --enable-werror; then
	echo "plain build failed"; echo "0 passed, 1 failed"; exit 1
fi
(cd "$plain" && make check-dovecot >make-check.out 2>&1) || status=1
part "make check-dovecot (plain build)"
# The fault campaign of issue 16 (writers killed under load, a full disk,
# damaged domain files and cp restores), on both backends by default;
# VUDB_CHECK_FAULTS=bdb or =lmdb runs one, =no none (a machine where this
# script may not mount a file system).
case ${VUDB_CHECK_FAULTS:-yes} in
no)	faults_env=skip ;;
bdb|lmdb) faults_env="FAULTS_BACKEND=$VUDB_CHECK_FAULTS" ;;
*)	faults_env= ;;
esac
if [ "$faults_env" != skip ]; then
	(cd "$plain" && env $faults_env make check-faults \
	    >make-check-faults.out 2>&1) || status=1
	part "make check-faults (plain build)"
fi
# the logs of every test (TESTS) of both builds, wherever its program lives
logs=$(cd "$top" && find build-check build-plain -name '*.trs' |
    sed "s|^|$top/|; s/\.trs\$/.log/" | sort)
# Check's own summary lines, then the automake summaries
for log in $logs; do
	grep -H -E '^[0-9]+%: Checks:' "$log" || true
	grep -H -E '^(crash test|lint-man|fuzz|[A-Za-z0-9_. ()-]+: [0-9]+ (checks|passed), [0-9]+ failed)' "$log" | tail -n 3 || true
done
for b in "$build" "$plain"; do
	sed -n '/^=====/,/^=====/p' "$b/make-check.out" | grep -E '^# ' || true
done
sed -n '/^=====/,/^=====/p' "$plain/make-check-faults.out" 2>/dev/null |
    grep -E '^# ' || true
# the fault campaign's counts and checks, per backend
for log in "$plain"/tests/faults-*.log; do
	[ -f "$log" ] || continue
	echo "---- $log"
	grep -E '^\[ *[0-9.]+\] faults: (backend|reproduce)' "$log"
	sed -n '/^== counts/,/^faults: /p' "$log"
done
if [ $status -ne 0 ]; then
	for b in "$build" "$plain"; do
		tail -100 "$b/tests/test-suite.log" 2>/dev/null
		grep -l ':test-result: FAIL' $(find "$b" -name '*.trs') 2>/dev/null |
		    sed 's/\.trs$/.log/' | while read -r f; do
			case $f in */tests/faults-*.log) continue ;; esac  # above
			echo "---- $f"; tail -40 "$f"; done
	done
fi
# distcheck: a tarball that builds, installs (DESTDIR) and passes alone
dist=$top/build-dist
rm -rf "$dist"
if "$top/scripts/build.sh" "$dist" >/dev/null 2>&1 &&
    (cd "$dist" && make distcheck >make-distcheck.out 2>&1); then
	echo "distcheck: ok"
	dist_ok=1
else
	echo "distcheck: FAILED"; tail -60 "$dist/make-distcheck.out" 2>/dev/null
	# what the failing tests of the tarball's build printed
	grep -l ':test-result: FAIL' $(find "$dist" -path '*/_build/*' \
	    -name '*.trs' 2>/dev/null) /dev/null 2>/dev/null |
	    sed 's/\.trs$/.log/' | while read -r f; do
		echo "---- $f"; tail -40 "$f"; done
	dist_ok=0
	status=1
fi
part "make distcheck"
# The Debian packages: build, lintian, install, README's wiring with the
# installed packages (tests/debian-wiring.sh: socket-activated vudb-mapd,
# a private Postfix and Dovecot), reinstall, remove, purge, upgrade from
# a lower version (2 to 4 minutes; VUDB_CHECK_PACKAGES=no skips it).
pkg_ok=1
if [ "${VUDB_CHECK_PACKAGES:-yes}" = yes ]; then
	if sh "$top/tests/debian-packages.sh" >"$dist/debian-packages.out" 2>&1
	then
		echo "debian packages: ok"
		sed 's/^/    /' "$dist/debian-packages.out"
	else
		rc=$?
		if [ $rc -eq 77 ]; then
			echo "debian packages: skipped"; cat "$dist/debian-packages.out"
		else
			echo "debian packages: FAILED"; cat "$dist/debian-packages.out"
			pkg_ok=0; status=1
		fi
	fi
	part "debian packages"
fi
# one line: Check cases plus script tests, passed and failed
passed=0 failed=0
for log in $logs; do
	lines=$(grep -E '^[0-9]+%: Checks:' "$log")
	if [ -n "$lines" ]; then
		# a log may hold several suites' summaries (tests/lmdb.sh)
		for line in $(echo "$lines" | sed -E 's/.*Checks: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+).*/\1:\2:\3/'); do
			c=${line%%:*}; r=${line#*:}; f=${r%%:*}; e=${r#*:}
			passed=$((passed + c - f - e)); failed=$((failed + f + e))
		done
		# a script test may also fail outside its Check suites
		trs=${log%.log}.trs
		grep -q ':test-result: FAIL' "$trs" 2>/dev/null && failed=$((failed + 1))
	else
		trs=${log%.log}.trs
		# a script's own count: "name: N checks, M failed" (or passed)
		line=$(grep -E '^([A-Za-z0-9_. ()-]+: )?[0-9]+ (checks|passed), [0-9]+ failed' "$log" | tail -n 1)
		if [ -n "$line" ] && ! grep -q ':test-result: SKIP' "$trs" 2>/dev/null; then
			c=$(echo "$line" | sed -E 's/^(.*: )?([0-9]+) (checks|passed), ([0-9]+) failed.*/\2/')
			f=$(echo "$line" | sed -E 's/^(.*: )?([0-9]+) (checks|passed), ([0-9]+) failed.*/\4/')
			case $line in *passed*) passed=$((passed + c)) ;;
			*) passed=$((passed + c - f)) ;; esac
			failed=$((failed + f))
			grep -q ':test-result: FAIL' "$trs" 2>/dev/null &&
			    [ "$f" -eq 0 ] && failed=$((failed + 1))
		elif grep -q ':test-result: PASS' "$trs" 2>/dev/null; then
			passed=$((passed + 1))
		elif grep -q ':test-result: SKIP' "$trs" 2>/dev/null; then
			:
		else
			failed=$((failed + 1))
		fi
	fi
done
[ "$dist_ok" -eq 1 ] && passed=$((passed + 1)) || failed=$((failed + 1))
[ "$pkg_ok" -eq 1 ] && passed=$((passed + 1)) || failed=$((failed + 1))
[ $status -ne 0 ] && [ $failed -eq 0 ] && failed=1
echo "$passed passed, $failed failed"
exit $status
