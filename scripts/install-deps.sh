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
      liblua5.4-dev lua5.4
      postfix postfix-lmdb dovecot-core dovecot-imapd dovecot-lmtpd
      dovecot-auth-lua swaks python3 procps debootstrap"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "install-deps.sh: installing:$missing"
	# Postfix and Dovecot are only run as private instances by the
	# tests: a Postfix installed now stays unconfigured.  (Only then:
	# the answer of a host whose Postfix is installed is left alone.)
	case " $missing " in
	*" postfix "*)
		echo "postfix postfix/main_mailer_type select No configuration" |
		    debconf-set-selections ;;
	esac
	# Only while installing, and only if the host has none of its own:
	# keep the new packages' postinst from starting daemons.  Removed
	# again on the way out, so later upgrades restart services as usual.
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT INT TERM HUP
	fi
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
