#!/bin/sh
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# debian13.sh - the project on Debian 13 (trixie: gcc 14, Postfix 3.10,
# Dovecot 2.4.1), from a Debian 12 machine, as root: a trixie root made
# with debootstrap (minbase), the project's own scripts/install-deps.sh
# run inside it, a clean copy of the tree (make distdir, or git ls-files
# without a build directory) regenerated with trixie's autotools, built
# with -Werror, and make check inside with every test that does not need
# Dovecot 2.3 (D13_NOT_HERE).  No sanitizers: the host's build has them,
# and Dovecot's default vsz_limit, which the end-to-end test keeps, does
# not leave ASan the address space it reserves in a module Dovecot loads.
# (VUDB_DEBIAN13_CONFIGURE adds configure arguments, e.g.
# --enable-sanitizers: it works for make check there, 25 s more.)
# Then the integration scripts in D13_INTEGRATION, each run inside the
# root by d13_run_integration as make check would run it; today the frame
# check of tests/frame24.sh (mail in through a chrooted smtpd, LMTP to
# Dovecot 2.4, out over IMAP), and tests/debian-packages.sh: the Debian
# packages built from the distributed files with trixie's debhelper,
# lintian clean there, installed, README's wiring done with them
# (tests/debian-wiring.sh: Postfix 3.10, Dovecot 2.4 with the installed
# Lua module), reinstalled, upgraded from a lower version, removed and
# purged inside the root (VUDB_DEBIAN13_PACKAGES=no leaves them out).
# Every part says how long it took.
#
# The root is kept for the next run at VUDB_TRIXIE_ROOT (default
# /var/tmp/vudb-trixie-root, about 1.5 GB), outside any source tree.  A
# marker file is written only once the root is complete (base system,
# policy-rc.d, install-deps.sh); a root without it, older than
# VUDB_TRIXIE_MAX_AGE days (default 14), or VUDB_TRIXIE_FRESH=1 makes a
# new one.  One run at a time uses a root (flock on ROOT.lock); other
# scripts that use it (adapters/dovecot/bench/auth.sh) take the same lock
# and look for the same marker: keep both names.  The root
# gets policy-rc.d (no daemons from package scripts); the host gets
# nothing but the root and its lock file.  /proc and a private devpts
# instance are mounted inside while the test runs and always unmounted
# on the way out; processes left inside the root are stopped by pid.
#
# Skipped (77) when not root, without debootstrap, where mounting is not
# allowed, on Debian 13 itself (make check there covers it), and when
# configured with --disable-debian13-test, as make distcheck does:
# this test already builds the distributed files on trixie.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
top_srcdir=$(cd "$top_srcdir" && pwd) || exit 99
top_builddir=$(cd "$top_builddir" && pwd) || exit 99
PATH=$PATH:/usr/sbin:/sbin

ROOT=${VUDB_TRIXIE_ROOT:-/var/tmp/vudb-trixie-root}
MIRROR=${VUDB_TRIXIE_MIRROR:-}		# empty: debootstrap's default
MAX_AGE=${VUDB_TRIXIE_MAX_AGE:-14}
JOBS=2
TAG=$ROOT/.vudb-trixie-root		# first: this directory is ours
MARK=$ROOT/.vudb-trixie-root-complete	# last: the root is complete
SRC=/build/src OBJ=/build/obj		# inside the root
# tests of make check that do not run inside the root: they need
# Dovecot 2.3 (checkpassword passdb, 2.3 syntax), or run elsewhere here
D13_NOT_HERE="
tests/lmdb-programs.sh		Dovecot 2.3: runs smtp.sh
adapters/postfix/tests/smtp.sh	Dovecot 2.3: SASL in 2.3 syntax
tests/frame24-check.sh		run below, by d13_run_integration
tests/debian13.sh		this test
"
# integration scripts run inside the root after make check (paths in
# the source tree).  The end-to-end test (tests/e2e.sh: Postfix 3.10 with
# its stock chrooted master.cf, vudb-mapd, Dovecot 2.4 with vudb.so and
# dovecot-auth.lua) and the Lua login matrix (dovecot-lua.sh) run in
# make check inside, like every test that knows Dovecot 2.4.
D13_INTEGRATION="tests/frame24-check.sh"
[ "${VUDB_DEBIAN13_PACKAGES:-yes}" = no ] ||
    D13_INTEGRATION="$D13_INTEGRATION tests/debian-packages.sh"
# the host runs the same tests at the same time: other ports inside
D13_ENV="VUDB_TEST_PORT_OFFSET=3000 F24_PORT_BASE=24500 FUZZ_SECONDS=3"

# ---- can it run here?
case ${VUDB_DEBIAN13_TEST:-yes} in
no)	echo "debian13: skipped (configured with --disable-debian13-test," \
	    "as make distcheck does)"; exit 77 ;;
esac
if [ "$(id -u)" != 0 ]; then
	echo "debian13: not root: skipped (debootstrap, chroot and mount need root)"
	exit 77
fi
for p in debootstrap chroot mount umount flock; do
	command -v "$p" >/dev/null 2>&1 ||
	    { echo "debian13: no $p: skipped (apt-get install $p)"; exit 77; }
done
if [ "$(. /etc/os-release 2>/dev/null && echo "${ID:-}-${VERSION_ID:-}")" = debian-13 ]; then
	echo "debian13: this machine is Debian 13: make check here covers it"
	exit 77
fi
case $ROOT in
/*/*) ;;
*)	echo "debian13: VUDB_TRIXIE_ROOT must be an absolute path below /"
	exit 99 ;;
esac
case $ROOT in
*[!A-Za-z0-9/._-]*|*/../*|*/..)
	echo "debian13: VUDB_TRIXIE_ROOT: only [A-Za-z0-9/._-], no ..";
	exit 99 ;;
esac

PASSED=0 FAILED=0 W= OWN=
ok() { PASSED=$((PASSED + 1)); echo "ok   $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $*"; }
check() { what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
T_START=$(date +%s) T_LAST=$T_START
took() {	# took PART: how long since the last took
	_now=$(date +%s)
	echo "time $1: $((_now - T_LAST)) s"
	T_LAST=$_now
}
finish() {
	echo "time total: $(($(date +%s) - T_START)) s"
	echo "debian13: $((PASSED + FAILED)) checks, $FAILED failed"
	[ "$FAILED" -eq 0 ]
	exit $?
}

# in_root CMD... - CMD inside the root, with a clean environment and
# without the lock's descriptor (a daemon must not keep the lock)
in_root() {
	chroot "$ROOT" /usr/bin/env -i \
	    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	    HOME=/root LANG=C.UTF-8 TERM=dumb "$@" 9>&-
}

# mounts_under - the mount points at or below ROOT, deepest first
mounts_under() {
	awk -v r="$ROOT" '$2 == r || index($2, r "/") == 1 { print $2 }' \
	    /proc/self/mounts | sort -r
}

# procs_inside - the pids of the processes whose root directory is in
# ROOT
procs_inside() {
	for _d in /proc/[0-9]*; do
		case $(readlink "$_d/root" 2>/dev/null) in
		"$ROOT"|"$ROOT"/*) echo "${_d#/proc/}" ;;
		esac
	done
}

# stop_inside - SIGTERM to the processes left in the root, SIGKILL to
# those still there after 5 s: only once OWN is set (the lock is held
# and no process was in the root when it was taken: all are this run's)
stop_inside() {
	_p=$(procs_inside)
	[ -n "$_p" ] || return 0
	echo "stopping processes left in the root:" $_p
	# shellcheck disable=SC2086
	kill $_p 2>/dev/null
	_i=0
	while [ -n "$(procs_inside)" ] && [ $_i -lt 50 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	_p=$(procs_inside)
	# shellcheck disable=SC2086
	[ -z "$_p" ] || { kill -9 $_p 2>/dev/null; sleep 0.5; }
}

# unmount_all - whatever is mounted in the root, this run's or a killed
# run's; lazily if a mount stays busy
unmount_all() {
	[ -n "$OWN" ] && stop_inside
	for _m in $(mounts_under); do
		umount "$_m" 2>/dev/null || umount -l "$_m" ||
		    echo "debian13: cannot unmount $_m" >&2
	done
}

cleanup() {
	[ -n "$OWN" ] && unmount_all
	[ -n "$W" ] && rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

W=$(mktemp -d "${TMPDIR:-/tmp}/vudbd13.XXXXXX") || exit 99

# ---- one run at a time per root
mkdir -p "$(dirname "$ROOT")" || exit 99
exec 9>"$ROOT.lock" || exit 99
if ! flock -n 9; then
	echo "waiting for another run that uses $ROOT (at most 30 minutes)"
	flock -w 1800 9 || { echo "debian13: $ROOT stayed locked"; exit 99; }
fi
took "lock"
# Another user of the root (adapters/dovecot/bench/auth.sh takes the same
# lock) is done with it when the lock is free: a process still inside is
# not this run's, and is left alone.  Mounts without processes are what
# a killed run left: they go.
left=$(procs_inside)
if [ -n "$left" ]; then
	echo "debian13: processes this run did not start are in $ROOT:" $left
	echo "debian13: leaving them, and the root, alone"
	exit 99
fi
OWN=yes
[ -z "$(mounts_under)" ] || unmount_all

# ---- the root: reuse a complete one, else make it anew
fresh=
if [ ! -f "$MARK" ]; then
	fresh="no complete root"
elif [ -n "${VUDB_TRIXIE_FRESH:-}" ]; then
	fresh="VUDB_TRIXIE_FRESH is set"
elif [ -n "$(find "$MARK" -mtime +"$MAX_AGE" 2>/dev/null)" ]; then
	fresh="the root is older than $MAX_AGE days"
fi
if [ -n "$fresh" ]; then
	echo "making a Debian 13 root in $ROOT ($fresh)"
	if [ -e "$ROOT" ]; then
		if [ ! -f "$TAG" ] && [ -n "$(ls -A "$ROOT" 2>/dev/null)" ]; then
			echo "debian13: $ROOT is not a root this test made:" \
			    "remove it, or set VUDB_TRIXIE_ROOT"
			exit 99
		fi
		[ -z "$(mounts_under)" ] ||
		    { echo "debian13: still mounted in $ROOT"; exit 99; }
		rm -rf --one-file-system "$ROOT" ||
		    { echo "debian13: cannot remove $ROOT"; exit 99; }
	fi
	mkdir -p "$ROOT" && : > "$TAG" || exit 99
	# shellcheck disable=SC2086
	if ! debootstrap --variant=minbase --include=ca-certificates trixie \
	    "$ROOT" $MIRROR >"$W/debootstrap.log" 2>&1 9>&-; then
		tail -20 "$W/debootstrap.log"
		fail "debootstrap trixie"; finish
	fi
	ok "debootstrap --variant=minbase trixie"
	took "debootstrap"
	# inside the root only: no daemons from the packages' scripts
	printf '#!/bin/sh\nexit 101\n' > "$ROOT/usr/sbin/policy-rc.d" &&
	    chmod 755 "$ROOT/usr/sbin/policy-rc.d" || exit 99
else
	echo "reusing the Debian 13 root in $ROOT (made $(cat "$MARK"))"
fi

# ---- mounts: /proc, and a devpts of the root's own (vudbadm's tests
# read passwords from a terminal: script(1) needs a pseudo-terminal)
if ! mount -t proc proc "$ROOT/proc"; then
	echo "debian13: cannot mount /proc in the root: skipped"; exit 77
fi
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts \
    "$ROOT/dev/pts" || { fail "mount devpts in the root"; finish; }

# ---- a clean copy of the tree: the distributed files
rm -rf --one-file-system "$ROOT/build" && mkdir -p "$ROOT/build" || exit 99
if [ -f "$top_builddir/Makefile" ]; then
	# MAKEFLAGS of an outer make check (TESTS=...) stay outside
	env -u MAKEFLAGS -u MFLAGS make -s -C "$top_builddir" distdir \
	    distdir="$ROOT$SRC" >"$W/distdir.log" 2>&1
else
	(cd "$top_srcdir" && git ls-files -z | tar --null -T - -cf - |
	    tar -xf - -C "$ROOT/build" --one-top-level=src) \
	    >"$W/distdir.log" 2>&1
fi
rc=$?
check "a clean copy of the tree in the root" test $rc = 0
[ $rc = 0 ] || { cat "$W/distdir.log"; finish; }
took "copy"

# ---- the project's own install-deps.sh (a reused root: only what is
# missing; dpkg --configure -a finishes an install a killed run left)
in_root dpkg --configure -a >"$W/deps.log" 2>&1
in_root sh "$SRC/scripts/install-deps.sh" >>"$W/deps.log" 2>&1
rc=$?
check "scripts/install-deps.sh inside the root" test $rc = 0
[ $rc = 0 ] || { tail -30 "$W/deps.log"; finish; }
grep 'installing:' "$W/deps.log"
took "install-deps"
if [ -n "$fresh" ]; then
	date -u '+%Y-%m-%d %H:%M UTC' > "$MARK" || exit 99
fi
in_root sh -c '. /etc/os-release && echo "$PRETTY_NAME: gcc" \
    "$(gcc -dumpfullversion), Postfix $(postconf -dh mail_version)," \
    "Dovecot $(dovecot --version)"'

# ---- build: trixie's autotools, gcc, -Werror
in_root sh -c "cd $SRC && autoreconf -fi" >"$W/autoreconf.log" 2>&1
rc=$?
check "autoreconf -fi (trixie's autoconf, automake, libtool)" test $rc = 0
[ $rc = 0 ] || { tail -20 "$W/autoreconf.log"; finish; }
conf="--enable-werror${VUDB_DEBIAN13_CONFIGURE:+ $VUDB_DEBIAN13_CONFIGURE}"
in_root sh -c "mkdir -p $OBJ && cd $OBJ && $SRC/configure $conf" \
    >"$W/configure.log" 2>&1
rc=$?
check "configure $conf" test $rc = 0
[ $rc = 0 ] || { tail -30 "$W/configure.log"; finish; }
took "autoreconf, configure"
in_root sh -c "cd $OBJ && make -j$JOBS" >"$W/make.log" 2>&1
rc=$?
check "make (gcc $(in_root gcc -dumpfullversion), -Werror)" test $rc = 0
[ $rc = 0 ] || { grep -E 'error|warning' "$W/make.log" | head -40; finish; }
took "build"

# ---- make check inside, but for D13_NOT_HERE
all=$(in_root sh -c "cd $OBJ && printf 'd13-tests:\n\t@echo \$(TESTS)\n' |
    make -s -f Makefile -f - d13-tests") || { fail "the list of TESTS"; finish; }
not_here=$(echo "$D13_NOT_HERE" | awk 'NF { print $1 }')
list=
for t in $all; do
	echo "$not_here" | grep -qxF "$t" || list="$list $t"
done
echo "$D13_NOT_HERE" | awk 'NF { t = $1; $1 = ""; print "not here: " t " (" substr($0, 2) ")" }'
# shellcheck disable=SC2086
in_root env $D13_ENV sh -c "cd $OBJ && make -j$JOBS check TESTS='$list'" \
    >"$W/check.log" 2>&1
for t in $list; do
	log=$ROOT$OBJ/${t%.sh}.log	# TEST_EXTENSIONS = .sh
	res=$(sed -n 's/^:test-result: //p' "${log%.log}.trs" 2>/dev/null | head -1)
	sum=$(grep -E '^[0-9]+%: Checks:|^([A-Za-z0-9_. ()-]+: )?[0-9]+ (checks|passed), [0-9]+ failed' \
	    "$log" 2>/dev/null | tail -1)
	case $res in
	PASS)	ok "trixie: $t${sum:+ -- $sum}" ;;
	SKIP)	echo "skip trixie: $t -- $(tail -1 "$log" 2>/dev/null)" ;;
	*)	fail "trixie: $t (${res:-no result})${sum:+ -- $sum}"
		tail -25 "$log" 2>/dev/null | sed 's/^/trixie| /' ;;
	esac
done
took "make check"

# ---- integration scripts inside the root

# d13_run_integration SCRIPT [NAME=VALUE...] - run SCRIPT (a path in the
# source tree) inside the root as make check runs a test: from the build
# directory, with top_srcdir and top_builddir set, D13_ENV and the given
# variables in the environment.  Its output is shown with "trixie| "
# before each line; returns its exit status (77: skipped).
d13_run_integration() {
	_s=$1; shift
	# shellcheck disable=SC2086
	in_root env top_srcdir="$SRC" top_builddir="$OBJ" $D13_ENV "$@" \
	    sh -c 'cd "$top_builddir" && exec sh "$top_srcdir/$0"' "$_s" \
	    >"$W/integration.log" 2>&1
	_rc=$?
	sed 's/^/trixie| /' "$W/integration.log"
	return $_rc
}

for t in $D13_INTEGRATION; do
	# shellcheck disable=SC2046
	d13_run_integration "$t" $(case $t in
	    # the packages make their users as on a fresh host (the
	    # root is ours; they are put back afterwards)
	    tests/debian-packages.sh) echo VUDB_PKG_FRESH=yes ;;
	    esac)
	rc=$?
	case $rc in
	0)	ok "trixie: $t" ;;
	77)	echo "skip trixie: $t" ;;
	*)	fail "trixie: $t (exit $rc)" ;;
	esac
	took "$t"
done

echo "logs: $ROOT$OBJ (until the next run)"
finish
