#!/bin/sh
# systemd-units.sh - systemd/vudb-mapd.service and .socket, as far as a
# machine without systemd as PID 1 allows: systemd-analyze verify finds no
# fault in either (their ExecStart= pointed at this build's vudb-mapd),
# systemd-analyze security rates the service's hardening "OK" or better,
# the -l options of ExecStart= match the socket's ListenStream= lines,
# and the activation path works: systemd-socket-activate holds the
# socket, the real Postfix client (postmap -q) asks, vudb-mapd is started
# with the socket (LISTEN_FDS) and answers; and readiness: vudb-mapd
# sends READY=1 and STOPPING=1 to $NOTIFY_SOCKET (Type=notify).
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
PORT_BASE=0
. "$top_srcdir/adapters/postfix/tests/lib.sh"
need systemd-analyze systemd-socket-activate postmap "$PYTHON"
VUDBADM=$builddir/tools/vudbadm/vudbadm
mapd=$(cd "$(dirname "$MAPD")" && pwd)/$(basename "$MAPD")
svc=$srcdir/systemd/vudb-mapd.service
sock=$srcdir/systemd/vudb-mapd.socket

# -- verify, with ExecStart= pointing at this build
mkdir "$T/units"
sed "s|/usr/sbin/vudb-mapd|$mapd|" "$svc" >"$T/units/vudb-mapd.service"
cp "$sock" "$T/units/vudb-mapd.socket"
if (cd "$T/units" && systemd-analyze verify --man=no \
    ./vudb-mapd.socket ./vudb-mapd.service) >"$T/verify" 2>&1 &&
    ! [ -s "$T/verify" ]; then
	ok
else
	fail "systemd-analyze verify:"; cat "$T/verify"
fi
# -- hardening: systemd-analyze security's "OK" (exposure below 2.0)
if systemd-analyze security --help 2>/dev/null | grep -q -- --offline; then
	systemd-analyze security --offline=yes "$T/units/vudb-mapd.service" \
	    >"$T/security" 2>&1
	level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' \
	    "$T/security")
	case $level in
	0.*|1.*) ok ;;
	*) fail "systemd-analyze security: exposure '$level'"
	   tail -5 "$T/security" ;;
	esac
fi
# -- the socket's ListenStream= lines are the -l options, in order
listen=$(sed -n 's/^ListenStream=//p' "$sock")
opts=$(sed -n '/^ExecStart=/,/[^\\]$/p' "$svc" | tr -d '\\\n' |
    grep -o ' -l [^ ]*' | sed 's/.*://')
if [ -n "$listen" ] && [ "$listen" = "$opts" ]; then
	ok
else
	fail "ListenStream= ($listen) and -l ($opts) differ"
fi

# -- socket activation with the real Postfix client
"$VUDBADM" -d "$T/store" init >/dev/null || exit 99
"$VUDBADM" -d "$T/store" domain add pc1.example >/dev/null || exit 99
echo secret | "$VUDBADM" -d "$T/store" user add matsui@pc1.example \
    --password-stdin >/dev/null || exit 99
postfix_conf "$T/pf"
mkdir -p "$T/spool" "$T/data"
path=$T/mapd.sock
systemd-socket-activate -l "$path" "$mapd" -f -d "$T/store" \
    -l "socketmap:unix:$path" >"$T/activate.log" 2>&1 &
PIDS="$PIDS $!"
wait_for_socket() {
	i=0
	while ! [ -S "$path" ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
}
wait_for_socket
pgrep -f "^$mapd " >/dev/null && fail "vudb-mapd ran before the first lookup"
out=$(postmap -c "$T/pf" -q Matsui@PC1.example \
    "socketmap:unix:$path:mailbox" 2>"$T/err")
if [ "$out" = "pc1.example/matsui/Maildir/" ]; then
	ok
else
	fail "postmap through socket activation: '$out'"
	cat "$T/err" "$T/activate.log"
fi
out=$(postmap -c "$T/pf" -q nobody@pc1.example \
    "socketmap:unix:$path:mailbox" 2>"$T/err"); rc=$?
[ $rc -eq 1 ] && [ -z "$out" ] || fail "not found: rc $rc, '$out'"
[ $rc -eq 1 ] && ok
grep -q 'Execing' "$T/activate.log" ||
    fail "systemd-socket-activate did not start vudb-mapd"

# -- readiness (Type=notify): READY=1 on $NOTIFY_SOCKET once it serves,
# STOPPING=1 on SIGTERM
"$PYTHON" - "$T/notify" >"$T/notified" 2>&1 <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
try:
    for _ in range(2):
        print(s.recv(4096).decode())
        sys.stdout.flush()
except socket.timeout:
    print("timeout")
PY
lpid=$!
i=0
while ! [ -S "$T/notify" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
NOTIFY_SOCKET=$T/notify "$MAPD" -f -d "$T/store" \
    -l "socketmap:unix:$T/notify-mapd.sock" 2>"$T/notify-mapd.log" &
npid=$!
PIDS="$PIDS $npid"
i=0
while ! grep -q READY=1 "$T/notified" && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
if grep -qx READY=1 "$T/notified" && [ -S "$T/notify-mapd.sock" ]; then
	ok
else
	fail "no READY=1 from vudb-mapd: $(cat "$T/notified")"
fi
stop_pid "$npid"
wait "$lpid"
if grep -qx STOPPING=1 "$T/notified"; then ok
else fail "no STOPPING=1 from vudb-mapd: $(cat "$T/notified")"; fi
finish
