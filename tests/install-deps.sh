#!/bin/sh
# install-deps.sh - scripts/install-deps.sh changes nothing on a host but
# its packages: the policy-rc.d it writes while installing (so that no
# daemon starts) is gone after a success, a failure of apt-get, and a
# signal; a host's own policy-rc.d is used as it is and never touched.
# apt-get, dpkg-query, debconf-set-selections and id are stand-ins here
# (PATH), so this runs as any user and installs nothing.
set -u
top_srcdir=${top_srcdir:-.}
script=$top_srcdir/scripts/install-deps.sh
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/bin"
policy=$tmp/policy-rc.d
export POLICY_RC_D="$policy"
cat >"$tmp/bin/id" <<'X'
#!/bin/sh
echo 0
X
cat >"$tmp/bin/dpkg-query" <<'X'
#!/bin/sh
exit 1
X
cat >"$tmp/bin/debconf-set-selections" <<'X'
#!/bin/sh
cat >/dev/null
X
# apt-get: records what policy-rc.d said while it ran, then does as
# FAKE_APT says: ok, fail, or term (a TERM to install-deps.sh meanwhile).
cat >"$tmp/bin/apt-get" <<'X'
#!/bin/sh
case $1 in update) exit 0 ;; esac
if [ -x "$POLICY_RC_D" ]; then "$POLICY_RC_D"; echo $? >"$FAKE_LOG"
else echo none >"$FAKE_LOG"; fi
case $FAKE_APT in
ok) exit 0 ;;
fail) exit 100 ;;
term) kill -TERM "$PPID"; exit 0 ;;
esac
X
chmod +x "$tmp/bin/"*
export PATH="$tmp/bin:$PATH" FAKE_LOG="$tmp/apt.log"
fail=0
check() {	# check WHAT EXPECTED-RC EXPECTED-DURING-APT RC
	during=$(cat "$FAKE_LOG" 2>/dev/null)
	if [ "$4" -ne "$2" ]; then
		echo "FAIL: $1: exit $4, expected $2"; fail=1
	elif [ "$during" != "$3" ]; then
		echo "FAIL: $1: policy-rc.d during apt-get: '$during', expected '$3'"
		fail=1
	else
		echo "ok: $1"
	fi
	rm -f "$FAKE_LOG"
}
for how in ok:0 fail:100 term:143; do
	FAKE_APT=${how%%:*} sh "$script" >"$tmp/out" 2>&1
	check "apt-get $how" "${how#*:}" 101 $?
	if [ -e "$policy" ]; then
		echo "FAIL: apt-get $how: policy-rc.d left behind"; fail=1
	fi
done
grep -q 'will install' "$tmp/out" ||
    { echo "FAIL: the script does not say what it installs"; fail=1; }
# The host's own policy-rc.d: used as it is, kept byte for byte.
printf '#!/bin/sh\n# the host'"'"'s\nexit 0\n' >"$policy"; chmod 755 "$policy"
cp "$policy" "$tmp/host"
for how in ok:0 fail:100 term:143; do
	FAKE_APT=${how%%:*} sh "$script" >"$tmp/out" 2>&1
	check "host policy-rc.d, apt-get $how" "${how#*:}" 0 $?
	cmp -s "$policy" "$tmp/host" ||
	    { echo "FAIL: apt-get $how: the host's policy-rc.d changed"; fail=1; }
done
exit $fail
