#!/bin/sh
# deadholder.sh - vudbadm when a process dies inside Berkeley DB holding
# what vudbadm then waits for: it waited for ever (the fault campaign's
# "hung writer", waiting on a futex of a removed region file).  Now its
# watchdog asks the store, and vudbadm ends with exit status 75 within
# seconds, saying why, having committed nothing; the store works again
# afterwards.  Also, with a signal caught meanwhile, it dies of that
# signal.
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.

. "${top_srcdir:-.}/tools/vudbadm/tests/common.sh"
FAULT=$builddir/tests/bdbfault
[ -x "$FAULT" ] || { echo "no tests/bdbfault (Berkeley DB): skipped"; exit 77; }

mkstore || exit 99
v domain add a.example || exit 99

# stalled HOW: an import waiting for its input while a process dies
# holding the first page of a.example, then given a record of a.example
# (and, HOW "term", SIGTERM a second later, which it cannot act on while
# it waits; HOW "recovered", another program recovers the store under
# it); prints the exit status as a shell reports it, and stderr
stalled() {
	# regions made anew: no page of a.example in the cache
	rm -f "$S"/__db.0*
	python3 - "$VUDBADM" "$S" "$FAULT" "$1" <<'PY'
import os, signal, subprocess, sys, time
vudbadm, store, fault, how = sys.argv[1:5]
p = subprocess.Popen([vudbadm, "-d", store, "import"], stdin=subprocess.PIPE,
    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    preexec_fn=lambda: signal.signal(signal.SIGPIPE, signal.SIG_DFL))
time.sleep(1)
subprocess.call([fault, store, "die-holding", "a.example"],
    stderr=subprocess.DEVNULL)
p.stdin.write(b'{"type":"user","name":"new@a.example","attrs":{}}\n')
p.stdin.close()
if how == "recovered":
    # another program recovers the store meanwhile: the import waits in
    # an environment whose region files are removed
    time.sleep(0.5)
    subprocess.call([vudbadm, "-d", store, "domain", "list"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
if how == "term":
    time.sleep(1)
    p.send_signal(signal.SIGTERM)
try:
    rc = p.wait(timeout=60)
except subprocess.TimeoutExpired:
    p.kill()
    p.wait()
    print("hung")
    sys.exit(0)
print(128 - rc if rc < 0 else rc, p.stderr.read().decode().strip())
PY
}

nchecks=$((nchecks + 1))
got=$(stalled eof)
case $got in
"75 "*"the store was lost"*) ;;
*) fail_check "import behind a dead process: $got" ;;
esac
nchecks=$((nchecks + 1))
got=$(stalled recovered)
case $got in
"75 "*"the store was lost"*) ;;
*) fail_check "import behind a dead process, store recovered: $got" ;;
esac
nchecks=$((nchecks + 1))
got=$(stalled term)
case $got in
"143"*) ;;
*) fail_check "import behind a dead process, SIGTERM: $got" ;;
esac
# nothing of it was committed, and the store works
t 0 -d "$S" user list a.example
nchecks=$((nchecks + 1))
grep -q new@a.example "$T/out" && fail_check "the stalled import committed"
t 0 -d "$S" user add --no-password after@a.example
t 0 -d "$S" verify

done_testing
