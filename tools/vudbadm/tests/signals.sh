#!/bin/sh
# signals.sh - vudbadm leaves the store cleanly when a signal ends it: a
# list piped into a reader that is gone (SIGPIPE, "| head"), and SIGINT,
# SIGTERM and SIGHUP while an import waits for its input, with the store
# open.  Each time vudbadm dies of that signal (the status a shell
# expects), nothing of the interrupted import is there, and it leaves no
# process behind in Berkeley DB's register (__db.register, whose used
# slots hold a process ID): a dead one there makes the next opener recover
# the store under every reader (vudb-mapd answered TEMP until restarted).
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.

. "${top_srcdir:-.}/tools/vudbadm/tests/common.sh"

mkstore || exit 99
v domain add a.example || exit 99
for i in 1 2 3 4 5; do
	printf 'pw\n' | v user add "u$i@a.example" --password-stdin || exit 99
done

# register_clean WHAT - no slot of __db.register names a process
register_clean() {
	nchecks=$((nchecks + 1))
	used=$(grep -v '^X' "$S/__db.register" 2>/dev/null | tr -d ' ')
	[ -z "$used" ] || fail_check "$1: processes left in the register:" \
	    "$used"
}

# run_signalled HOW SIGNAL ARGS...: vudbadm ARGS, ended by SIGNAL; HOW is
# "pipe" (stdout is a pipe nobody reads) or "stdin" (an import's input
# stays open: the signal comes while it waits); prints the exit status
# as a shell reports it
run_signalled() {
	python3 - "$VUDBADM" "$S" "$@" <<'PY'
import os, signal, subprocess, sys, time
vudbadm, store, how, sig = sys.argv[1:5]
args = [vudbadm, "-d", store] + sys.argv[5:]
def dfl():
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE):
        signal.signal(s, signal.SIG_DFL)
if how == "pipe":
    r, w = os.pipe()
    os.close(r)
    p = subprocess.Popen(args, stdout=w, stderr=subprocess.DEVNULL,
        preexec_fn=dfl)
    os.close(w)
else:
    p = subprocess.Popen(args, stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        preexec_fn=dfl)
    p.stdin.write(b'{"type":"domain","name":"b.example"}\n')
    p.stdin.flush()
    # the store is opened before the input is read
    time.sleep(1)
    p.send_signal(getattr(signal, "SIG" + sig))
try:
    rc = p.wait(timeout=60)
except subprocess.TimeoutExpired:
    p.kill()
    print("hung")
    sys.exit(0)
print(128 - rc if rc < 0 else rc)
PY
}

got=$(run_signalled pipe PIPE user list a.example)
nchecks=$((nchecks + 1))
[ "$got" = 141 ] || fail_check "user list | (gone): status $got, want 141"
register_clean "user list | (gone)"
got=$(run_signalled pipe PIPE --json export)
nchecks=$((nchecks + 1))
[ "$got" = 141 ] || fail_check "export | (gone): status $got, want 141"
register_clean "export | (gone)"

for sn in INT:2 TERM:15 HUP:1; do
	sig=${sn%:*}
	want=$((128 + ${sn#*:}))
	got=$(run_signalled stdin $sig import)
	nchecks=$((nchecks + 1))
	[ "$got" = "$want" ] ||
	    fail_check "import, SIG$sig: status $got, want $want"
	register_clean "import, SIG$sig"
done

# nothing was imported, and the store opens without recovery
t 0 -d "$S" domain list
out_has a.example
nchecks=$((nchecks + 1))
grep -q b.example "$T/out" && fail_check "an interrupted import committed"
register_clean "domain list"

# the store not open yet: the signal ends vudbadm at once, as before
got=$(run_signalled pipe PIPE --version)
nchecks=$((nchecks + 1))
[ "$got" = 141 ] || [ "$got" = 0 ] ||
    fail_check "--version | (gone): status $got"

done_testing
