#!/bin/sh
# install-deps.sh - install what libvudb needs to build and test on
# Debian 12 (bookworm) or 13 (trixie), as root.  Safe to run again.
# Installs packages and changes nothing else; starts no daemons.
set -eu
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: run as root (apt-get)" >&2; exit 1
fi
# The same names serve both releases: where a package carries the
# compiler's version (libclang-rt-14-dev on 12, -19-dev on 13), the
# llvm-defaults package that follows the default clang is named instead.
# Another release gets a warning and the same list.
release=$(. /etc/os-release 2>/dev/null && echo "${ID:-}-${VERSION_ID:-}")
case $release in
debian-12|debian-13) ;;
*)	echo "install-deps.sh: made for Debian 12 and 13, not" \
	    "'$release': trying the same packages" >&2 ;;
esac
export DEBIAN_FRONTEND=noninteractive
pkgs="build-essential autoconf automake libtool pkg-config
      libdb5.3-dev db5.3-util liblmdb-dev lmdb-utils libargon2-dev
      libcrypt-dev nettle-dev libidn2-dev libunistring-dev libjansson-dev
      check mandoc clang libclang-rt-dev
      liblua5.4-dev lua5.4 libpq-dev postgresql
      postfix postfix-lmdb dovecot-core dovecot-imapd dovecot-lmtpd
      dovecot-auth-lua swaks python3 procps debootstrap
      debhelper lintian systemd"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install-deps.sh: every package is installed already; nothing to do"
	exit 0
fi
echo "install-deps.sh: will install (and what they depend on, no recommends):"
echo "$missing" | fmt -w 72 | sed 's/^ */    /'
# Postfix and Dovecot are only run as private instances by the tests: a
# Postfix installed now stays unconfigured.  (Only then: the answer of a
# host whose Postfix is installed is left alone.)
case " $missing " in
*" postfix "*)
	echo "postfix postfix/main_mailer_type select No configuration" |
	    debconf-set-selections ;;
esac
# Only while installing, and only if the host has none of its own: a
# policy-rc.d that keeps the new packages' postinst from starting daemons.
# It must never stay behind (no later upgrade would restart sshd, postfix
# or dovecot): the trap is set before the file exists, it removes only
# the file this run made (noclobber creates it, or fails if the host has
# one; and it must carry this run's marker line), and a signal ends the
# run after the clean-up.  A host's own policy-rc.d is neither changed
# nor removed: it decides, as it always does.  (A package installed now
# may still enable its service for the next boot, as Debian packages do;
# nothing is started now.)  POLICY_RC_D is for tests/install-deps.sh.
policy=${POLICY_RC_D:-/usr/sbin/policy-rc.d}
marker="# install-deps.sh (libvudb) pid $$, removed when it ends"
ours=
cleanup() {
	if [ -n "$ours" ] && grep -qxF "$marker" "$policy" 2>/dev/null; then
		rm -f "$policy"
	fi
	ours=
}
trap cleanup EXIT
trap 'cleanup; trap - EXIT; exit 129' HUP
trap 'cleanup; trap - EXIT; exit 130' INT
trap 'cleanup; trap - EXIT; exit 143' TERM
if [ -e "$policy" ] || [ -L "$policy" ]; then
	echo "install-deps.sh: $policy of this host is kept as it is;" \
	    "new packages' services start as it says" >&2
else
	ours=yes
	(set -C; printf '#!/bin/sh\n%s\nexit 101\n' "$marker" >"$policy") \
	    2>/dev/null && chmod 755 "$policy" || ours=
fi
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
cleanup
echo "install-deps.sh: installed:$missing"
