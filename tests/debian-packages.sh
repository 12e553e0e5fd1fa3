#!/bin/sh
# debian-packages.sh - the Debian packages (issue 15): build them with
# dpkg-buildpackage -us -uc -b from a copy of the source tree, run lintian
# (no error, no warning), check what they hold, then install them on this
# host, install them again over themselves, remove and purge them, and
# check each step: the vudb and vmail users and the store directory made
# once, user dovecot put in group vudb (and taken out on purge only if
# the package put it there), nothing started or enabled, the programs
# working from their installed paths, purge leaving no file of ours.
# While they are installed, tests/debian-wiring.sh does README's "Wiring
# a mail host" with them: a store in /var/lib/vudb, vudb-mapd started by
# socket activation as its units say, a private Postfix with Debian's
# stock master.cf and a private Dovecot with the installed Lua module.
# Then an upgrade: the packages repacked with a lower version
# (VERSION~old1) are installed, hold a store, and the current ones are
# installed over them: the store, its users and the administrator's
# changes are kept, nothing is started.
#
# As root on Debian 12 or 13 with debhelper and lintian (install-deps.sh).
# It installs packages on the host: run by scripts/test.sh (CI), not by
# make check.  Users it creates (vudb, vmail) are deleted again at the
# end if they did not exist before, so the host is left as it was.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "SKIP: not root"; exit 77; }
for t in dpkg-buildpackage dh lintian apt-get; do
	command -v $t >/dev/null 2>&1 || { echo "SKIP: no $t"; exit 77; }
done
if dpkg-query -W -f='${Status}' vudb-common 2>/dev/null | grep -q installed; then
	echo "SKIP: vudb packages are installed on this host already"; exit 77
fi
tmp=$(mktemp -d /var/tmp/vudb-pkg.XXXXXX) || exit 99
# VUDB_PKG_FRESH=yes (tests/debian13.sh, in a root of its own, under its
# lock): the users and groups the packages make (vudb, vmail, and with
# the group vudb user dovecot's membership of it) are taken away first,
# so that the packages make them as on a fresh host: vmail gets whatever
# system uid adduser gives (often below Dovecot's default first_valid_uid),
# vudb-dovecot puts dovecot in vudb and purge takes it out.  They are made
# again at the end with their old ids and members.
saved=
if [ "${VUDB_PKG_FRESH:-no}" = yes ]; then
	saved=$(getent passwd vudb vmail; getent group vudb vmail)
	for u in vudb vmail; do
		! getent passwd $u >/dev/null || userdel $u || exit 99
	done
	for g in vudb vmail; do
		! getent group $g >/dev/null || groupdel $g || exit 99
	done
fi
restore_ids() {	# the users and groups VUDB_PKG_FRESH took away
	[ -n "$saved" ] || return 0
	echo "$saved" | awk -F: 'NF == 4' | while IFS=: read -r n _ id _; do
		getent group "$n" >/dev/null || groupadd -g "$id" "$n"
	done
	echo "$saved" | awk -F: 'NF == 7' |
	    while IFS=: read -r n _ id gid _ home shell; do
		getent passwd "$n" >/dev/null ||
		    useradd --system -M -u "$id" -g "$gid" -d "$home" \
		    -s "$shell" "$n"
	done
	echo "$saved" | awk -F: 'NF == 4 && $4 != ""' |
	    while IFS=: read -r n _ _ members; do
		gpasswd -M "$members" "$n" >/dev/null
	done
}
had_vudb=no; getent passwd vudb >/dev/null && had_vudb=yes
had_vmail=no; getent passwd vmail >/dev/null && had_vmail=yes
had_group=no; getent group vudb >/dev/null && had_group=yes
had_vmailg=no; getent group vmail >/dev/null && had_vmailg=yes
had_store=no; [ -e /var/lib/vudb ] && had_store=yes
in_vudb() { id -nG "$1" 2>/dev/null | tr ' ' '\n' | grep -qx vudb; }
had_dovecot_vudb=no; in_vudb dovecot && had_dovecot_vudb=yes
had_vmaildir=no; [ -e /var/vmail ] && had_vmaildir=yes
pkgs="libvudb0 libvudb-dev vudb-common vudb-tools vudb-mapd vudb-dovecot"
cleanup() {
	dpkg --purge $pkgs >/dev/null 2>&1
	[ $had_vmail = yes ] || deluser --quiet vmail >/dev/null 2>&1
	[ $had_vudb = yes ] || deluser --quiet vudb >/dev/null 2>&1
	[ $had_vmailg = yes ] || delgroup --quiet vmail >/dev/null 2>&1
	[ $had_group = yes ] || delgroup --quiet vudb >/dev/null 2>&1
	[ $had_store = yes ] || rm -rf /var/lib/vudb
	[ $had_vmaildir = yes ] || rm -rf /var/vmail
	restore_ids
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
t0=$(date +%s)
since() { echo "$(( $(date +%s) - t0 )) s"; }

# -- build, from the files git knows (and new ones), not the build trees
mkdir "$tmp/libvudb"
(cd "$top" && git ls-files -co --exclude-standard 2>/dev/null ||
    find . -path ./.git -prune -o \( -type f -o -type l \) -print) |
    grep -v -E '^(\./)?build[^/]*/' |
    (cd "$top" && tar -cf - -T -) | tar -xf - -C "$tmp/libvudb" || exit 99
if (cd "$tmp/libvudb" && dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1
then
	ok "dpkg-buildpackage -us -uc -b ($(since))"
else
	bad "dpkg-buildpackage"; tail -40 "$tmp/build.log"; exit 1
fi
debs=
for p in $pkgs; do
	d=$(ls "$tmp"/${p}_*.deb 2>/dev/null) || { bad "no package $p"; continue; }
	debs="$debs $d"
done
[ $fail -eq 0 ] || exit 1

# -- the same packages with a lower version (VERSION~old1), for the
# upgrade below: what an upgrade goes through is the version dpkg sees
# (configure with the old version, the = dependencies between the
# packages) and the maintainer scripts, so repacking them is as good as
# building the tree again, and takes a second instead of a minute or two
version=$(cd "$tmp/libvudb" && dpkg-parsechangelog -S Version)
old=$version~old1
mkdir "$tmp/old"
for d in $debs; do
	r=$tmp/old/root
	rm -rf "$r" && dpkg-deb -R "$d" "$r" &&
	sed -i -e "s/^Version: $version\$/Version: $old/" \
	    -e "/^\(Pre-\)\{0,1\}Depends:/s/(\(=\|>=\) $version)/(\1 $old)/g" \
	    "$r/DEBIAN/control" &&
	dpkg-deb -b "$r" "$tmp/old/" >/dev/null || { bad "repack $d as $old"; exit 1; }
done
rm -rf "$tmp/old/root"
ok "the packages repacked as $old"

# -- lintian: no error, no warning
lintian "$tmp"/libvudb_*.changes >"$tmp/lintian.out" 2>&1
if grep -E '^(E|W):' "$tmp/lintian.out"; then
	bad "lintian"
else
	ok "lintian: no error, no warning ($(since))"
fi

# -- contents
has() {	# has PACKAGE PATH...
	p=$1; shift
	dpkg-deb -c "$tmp"/${p}_*.deb | awk '{ print $6 }' >"$tmp/list"
	for f; do
		grep -qx "\./$f" "$tmp/list" || bad "$p lacks $f"
	done
}
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
has libvudb0 "usr/lib/$ma/libvudb.so.0"
has libvudb-dev usr/include/vudb.h "usr/lib/$ma/libvudb.so" \
    "usr/lib/$ma/pkgconfig/libvudb.pc"
has vudb-common usr/lib/sysusers.d/vudb.conf usr/lib/tmpfiles.d/vudb.conf
has vudb-tools usr/sbin/vudbadm
units=lib/systemd/system
dpkg-deb -c "$tmp"/vudb-mapd_*.deb | grep ' \./usr/lib/systemd/system/' >/dev/null &&
    units=usr/lib/systemd/system
has vudb-mapd usr/sbin/vudb-mapd $units/vudb-mapd.service \
    $units/vudb-mapd.socket
has vudb-dovecot usr/libexec/vudb/vudb-checkpassword \
    "usr/lib/$ma/lua/5.4/vudb.so" usr/share/vudb/dovecot-auth.lua
for d in $debs; do
	dpkg-deb -c "$d" | grep -E '\.la$|\.a$' && bad "$d holds a .la or .a"
done
# the helper uses the distribution's libraries, not static copies
dpkg-deb -x "$tmp"/vudb-dovecot_*.deb "$tmp/x"
if ldd "$tmp/x/usr/libexec/vudb/vudb-checkpassword" | grep -q libdb-5; then
	ok "vudb-checkpassword links libdb dynamically"
else
	bad "vudb-checkpassword embeds a static libdb"
fi

# -- install, twice, then remove and purge
inst() {
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    --no-install-recommends $debs >>"$tmp/apt.log" 2>&1
}
check_installed() {	# check_installed WHEN
	getent group vudb >/dev/null || bad "$1: no group vudb"
	getent passwd vudb >/dev/null || bad "$1: no user vudb"
	getent passwd vmail >/dev/null || bad "$1: no user vmail"
	id -nG vmail 2>/dev/null | tr ' ' '\n' | grep -qx vudb ||
	    bad "$1: vmail is not in group vudb"
	if getent passwd dovecot >/dev/null; then
		id -nG dovecot | tr ' ' '\n' | grep -qx vudb ||
		    bad "$1: dovecot is not in group vudb"
	fi
	[ "$(stat -c '%U:%G %a' /var/lib/vudb 2>/dev/null)" = "vudb:vudb 2770" ] ||
	    bad "$1: /var/lib/vudb is $(stat -c '%U:%G %a' /var/lib/vudb 2>&1)"
	for p in $pkgs; do
		dpkg-query -W -f='${Status}\n' $p | grep -q 'install ok installed' ||
		    bad "$1: $p not installed"
	done
	pgrep -f '^/usr/sbin/vudb-mapd' >/dev/null && bad "$1: vudb-mapd was started"
	[ -e /etc/systemd/system/sockets.target.wants/vudb-mapd.socket ] &&
	    bad "$1: vudb-mapd.socket was enabled"
	/usr/sbin/vudbadm -d "$tmp/store" init >/dev/null 2>&1 ||
	    bad "$1: vudbadm init from /usr/sbin"
	/usr/sbin/vudb-mapd -h 2>&1 | grep -q -i usage ||
	    bad "$1: vudb-mapd from /usr/sbin"
	rm -rf "$tmp/store"
}
if inst; then ok "install ($(since))"; else bad "install"; tail -30 "$tmp/apt.log"; exit 1; fi
check_installed install
echo "users: vudb $(id vudb 2>&1); vmail $(id vmail 2>&1)"
if sh "$top/tests/debian-wiring.sh" >"$tmp/wiring.log" 2>&1; then
	ok "README's wiring with the installed packages: $(tail -1 "$tmp/wiring.log") ($(since))"
else
	rc=$?
	[ $rc -eq 77 ] || bad "README's wiring with the installed packages"
	cat "$tmp/wiring.log"
fi
chmod 2750 /var/lib/vudb	# an administrator's change survives
if DEBIAN_FRONTEND=noninteractive apt-get install -y -q --reinstall \
    --no-install-recommends $debs >>"$tmp/apt.log" 2>&1; then
	ok "install again over itself ($(since))"
else
	bad "reinstall"; tail -30 "$tmp/apt.log"
fi
[ "$(stat -c %a /var/lib/vudb)" = 2750 ] ||
    bad "reinstall changed the mode of /var/lib/vudb"
chmod 2770 /var/lib/vudb
check_installed reinstall
if dpkg --remove $pkgs >>"$tmp/apt.log" 2>&1; then ok "remove"
else bad "remove"; tail -30 "$tmp/apt.log"; fi
[ -e /usr/sbin/vudbadm ] && bad "remove left /usr/sbin/vudbadm"
if dpkg --purge $pkgs >>"$tmp/apt.log" 2>&1; then ok "purge ($(since))"
else bad "purge"; tail -30 "$tmp/apt.log"; fi
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' $p 2>/dev/null | grep -q 'ok installed' &&
	    bad "purge: $p still installed"
done
[ $had_store = yes ] || [ ! -e /var/lib/vudb ] ||
    bad "purge left an empty /var/lib/vudb"
if getent passwd dovecot >/dev/null; then
	if [ $had_dovecot_vudb = yes ]; then
		if in_vudb dovecot; then
			ok "dovecot was in group vudb before: purge kept it there"
		else
			bad "purge took dovecot out of vudb, which it was in before"
		fi
	else
		if in_vudb dovecot; then
			bad "purge left dovecot in group vudb"
		else
			ok "the packages put dovecot in group vudb; purge took it out"
		fi
	fi
fi
[ -e /var/lib/vudb-dovecot ] && bad "purge left /var/lib/vudb-dovecot"

# -- upgrade from an older version: the store and its users kept
olddebs=
for p in $pkgs; do olddebs="$olddebs $(ls "$tmp"/old/${p}_*.deb)"; done
if DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends $olddebs >>"$tmp/apt.log" 2>&1; then
	ok "install $old"
else
	bad "install $old"; tail -30 "$tmp/apt.log"
fi
adm() { (umask 007 && /usr/sbin/vudbadm "$@"); }
adm init >/dev/null && adm domain add pc1.example >/dev/null &&
    printf 'password-one\n' | adm user add matsui@pc1.example \
    --password-stdin >/dev/null || bad "$old: a store in /var/lib/vudb"
chmod 2750 /var/lib/vudb	# an administrator's change survives
if DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends $debs >>"$tmp/apt.log" 2>&1; then
	ok "upgrade $old -> $version ($(since))"
else
	bad "upgrade $old -> $version"; tail -30 "$tmp/apt.log"
fi
for p in $pkgs; do
	[ "$(dpkg-query -W -f='${Version}' $p)" = "$version" ] ||
	    bad "upgrade: $p is $(dpkg-query -W -f='${Version}' $p)"
done
[ "$(stat -c %a /var/lib/vudb)" = 2750 ] ||
    bad "the upgrade changed the mode of /var/lib/vudb"
chmod 2770 /var/lib/vudb
printf 'password-one\n' | adm auth matsui@pc1.example >/dev/null 2>&1 ||
    bad "upgrade: matsui@pc1.example cannot log in"
[ "$(adm lookup mailbox matsui@pc1.example)" = pc1.example/matsui/Maildir/ ] ||
    bad "upgrade: the store lost matsui@pc1.example"
check_installed upgrade
find /var/lib/vudb -mindepth 1 -delete
if dpkg --purge $pkgs >>"$tmp/apt.log" 2>&1; then ok "purge after the upgrade"
else bad "purge after the upgrade"; tail -30 "$tmp/apt.log"; fi
[ $fail -eq 0 ] && echo "debian-packages: all passed ($(since))"
exit $fail
