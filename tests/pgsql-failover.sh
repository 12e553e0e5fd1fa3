#!/bin/sh
# pgsql-failover.sh - a failover under lookup load (issue 14), on one
# machine: a primary and a hot standby (tests/pg.sh), a vudb-mapd reading
# the standby, under continuous lookups (socketmap clients, and Postfix's
# postmap -q through socketmap when Postfix is installed), while the
# primary is stopped and the standby promoted:
#  - every answer counted: zero NOTFOUND for an existing user, zero wrong
#    answers, NOTFOUND for the unknown ones; TEMP allowed only in a bounded
#    window around the promotion;
#  - a writer with the multi-host conninfo "host=PRIMARY,STANDBY
#    target_session_attrs=read-write" exits 75 while there is no primary
#    and succeeds after the promotion with the same conninfo; the reader
#    finds its user within one second.
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.

srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
. "$srcdir/tests/pg.sh"
pg_require
VUDBADM=$builddir/tools/vudbadm/vudbadm
MAPD=$builddir/adapters/postfix/vudb-mapd
PYTHON=${PYTHON:-python3}
command -v "$PYTHON" >/dev/null 2>&1 || { echo "no python3: skipped"; exit 77; }
pg_test pgfail
now() { $PYTHON -c 'import time; print("%.3f" % time.time())'; }

A="pgsql:$PG_CONN dbname=fo"
NUSERS=40
"$VUDBADM" -d "$A" init && "$VUDBADM" -d "$A" domain add f.example || {
	fail "setup"; exit 1; }
i=0
while [ $i -lt $NUSERS ]; do
	echo "{\"type\":\"user\",\"name\":\"u$i@f.example\",\"attrs\":{}}"
	i=$((i + 1))
done >"$T/users.jsonl"
"$VUDBADM" -d "$A" import "$T/users.jsonl" >/dev/null 2>"$T/err" ||
    { fail "import: $(cat "$T/err")"; exit 1; }
pg_standby || exit 99
B="pgsql:$PG_SB_CONN dbname=fo"
W="pgsql:host=$PG_DIR,$PG_SB_DIR user=vudb dbname=fo target_session_attrs=read-write"

"$MAPD" -f -d "$B" -w 4 -l "socketmap:unix:$T/b.sock" >"$T/b.log" 2>&1 &
PIDS="$PIDS $!"
# the load starts once the server listens (a slower machine, the Debian 13
# root, counted its first connections as lost)
for _ in $(seq 1 200); do
	[ -S "$T/b.sock" ] && break
	sleep 0.1
done
[ -S "$T/b.sock" ] || { fail "vudb-mapd does not listen: $(cat "$T/b.log")"; exit 1; }

# the load: CLIENTS socketmap connections asking the users (and unknown
# ones) round and round until $T/stop exists (at most 90 s); each answer
# is counted with its time; the counts go to $T/load.json
$PYTHON - "$T/b.sock" "$T/stop" "$T/load.json" "$NUSERS" <<'PY' &
import json, os, sys, threading, time
from sockmap import connect, ask
path, stopf, out, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
CLIENTS = 4
counts = {"right": 0, "wrong": 0, "notfound_existing": 0, "temp": 0,
          "noconn": 0}
temps, wrongs = [], []
lock = threading.Lock()
def client(c):
    s, i, end, once = None, c, time.time() + 90, False
    while not os.path.exists(stopf) and time.time() < end:
        i += 1
        known = i % 5 != 0
        key = "u%d@f.example" % (i % n) if known else "x%d@f.example" % i
        want = "OK f.example/u%d/Maildir/" % (i % n) if known else "NOTFOUND"
        try:
            if s is None:
                s = connect(path)
            a = ask(s, "mailbox", key).strip()
        except (OSError, EOFError, ValueError):
            s = None
            # a connection the server took and then lost (before the
            # first, the server may not listen yet)
            if once:
                with lock:
                    counts["noconn"] += 1
            time.sleep(0.05)
            continue
        once = True
        with lock:
            if a == want:
                counts["right"] += 1
            elif a.startswith("TEMP"):
                counts["temp"] += 1
                temps.append(time.time())
            elif a == "NOTFOUND":
                counts["notfound_existing"] += 1
                wrongs.append((time.time(), key, a))
            else:
                counts["wrong"] += 1
                wrongs.append((time.time(), key, a))
threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
counts["first_temp"] = min(temps) if temps else 0
counts["last_temp"] = max(temps) if temps else 0
counts["wrongs"] = wrongs[:10]
with open(out, "w") as f:
    json.dump(counts, f)
PY
LOAD=$!
PIDS="$PIDS $LOAD"

# postmap -q through socketmap, one process per query, the same way
PM=$(command -v postmap || true)
if [ -n "$PM" ]; then
	mkdir -p "$T/pf"
	printf '%s\n' "compatibility_level = 3.6" \
	    "queue_directory = $T/spool" "data_directory = $T/data" \
	    "maillog_file = $T/maillog" \
	    "maillog_file_prefixes = /var, /dev/stdout, $T" >"$T/pf/main.cf"
	( right=0 nf=0 wrong=0 temp=0 i=0
	  while [ ! -e "$T/stop" ] && [ $i -lt 3000 ]; do
		k=$((i % NUSERS)); i=$((i + 1))
		out=$("$PM" -c "$T/pf" -q "u$k@f.example" \
		    "socketmap:unix:$T/b.sock:mailbox" 2>"$T/pm.err")
		if [ "$out" = "f.example/u$k/Maildir/" ]; then right=$((right + 1))
		elif [ -n "$out" ]; then wrong=$((wrong + 1))
		elif [ -s "$T/pm.err" ]; then temp=$((temp + 1))
		else nf=$((nf + 1))
		fi
	  done
	  echo "$right $wrong $nf $temp" >"$T/pm.counts" ) &
	PM_PID=$!
	PIDS="$PIDS $PM_PID"
fi

# the standby has replayed the setup and the load is answered
for _ in $(seq 1 100); do
	[ -s "$T/b.log" ] && grep -q "starting" "$T/b.log" && break
	sleep 0.1
done
"$VUDBADM" -d "$B" lookup mailbox "u$((NUSERS - 1))@f.example" >/dev/null 2>&1 ||
    sleep 2
sleep 1

# ---- the primary stopped
pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null ||
    fail "stop the primary"
t_stop=$(now)
sleep 1
"$VUDBADM" -d "$W" user add --no-password during@f.example >/dev/null 2>"$T/err"
rc=$?
[ $rc -eq 75 ] || fail "a writer with no primary: exit $rc: $(cat "$T/err")"
echo "pgsql-failover: a writer with no primary: exit $rc: $(head -n 1 "$T/err")"
sleep 1

# ---- the standby promoted: the same writer succeeds
pg_as "$PG_BIN/pg_ctl" -D "$PG_SB_DIR/data" -w promote >/dev/null ||
    fail "promote"
t_prom=$(now)
"$VUDBADM" -d "$W" user add --no-password after@f.example 2>"$T/err" ||
    fail "a writer after the promotion: $(cat "$T/err")"
r=$("$VUDBADM" -d "$B" lookup mailbox during@f.example 2>&1)
[ -z "$r" ] || fail "a write refused while there was no primary is there: $r"
# the reader on the (former) standby finds it within one second
found=
for _ in $(seq 1 10); do
	r=$($PYTHON - "$T/b.sock" <<'PY'
import sys
from sockmap import connect, ask
print(ask(connect(sys.argv[1]), "mailbox", "after@f.example"))
PY
)
	[ "$r" = "OK f.example/after/Maildir/" ] && { found=1; break; }
	sleep 0.1
done
[ -n "$found" ] || fail "the reader does not find a user added after the promotion: $r"
sleep 2
touch "$T/stop"
wait "$LOAD"
[ -n "$PM" ] && wait "$PM_PID"
PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -v -x -e "$LOAD" -e "${PM_PID:-x}" | tr '\n' ' ')

# ---- the counts
$PYTHON - "$T/load.json" "$t_stop" "$t_prom" <<'PY' || FAILED=$((FAILED + 1))
import json, sys
c = json.load(open(sys.argv[1]))
t_stop, t_prom = float(sys.argv[2]), float(sys.argv[3])
bad = 0
print("pgsql-failover: socketmap answers: %d right, %d wrong, %d NOTFOUND for "
      "an existing user, %d TEMP, %d connections lost"
      % (c["right"], c["wrong"], c["notfound_existing"], c["temp"], c["noconn"]))
if c["temp"]:
    print("pgsql-failover: TEMP from %+.2f s to %+.2f s after the primary stopped "
          "(promoted at %+.2f s)" % (c["first_temp"] - t_stop,
                                     c["last_temp"] - t_stop, t_prom - t_stop))
for w in c["wrongs"]:
    print("FAIL: %+.2f s: %s: %s" % (w[0] - t_stop, w[1], w[2]))
if c["wrong"] or c["notfound_existing"] or c["noconn"]:
    bad = 1
if c["right"] < 200:
    print("FAIL: only %d right answers: no load" % c["right"]); bad = 1
# TEMP only while the roles change: from the stop to 5 s (the reconnect
# backoff's ceiling) after the promotion
if c["temp"] and (c["first_temp"] < t_stop - 0.5 or c["last_temp"] > t_prom + 5):
    print("FAIL: TEMP outside the failover's window"); bad = 1
sys.exit(bad)
PY
if [ -n "$PM" ]; then
	read -r right wrong nf temp <"$T/pm.counts"
	echo "pgsql-failover: postmap -q: $right right, $wrong wrong, $nf not found, $temp failed"
	[ "$wrong" -eq 0 ] && [ "$nf" -eq 0 ] || fail "postmap: wrong answers"
	[ "$right" -gt 5 ] || fail "postmap: only $right right answers"
fi
for p in $PIDS; do
	kill -0 "$p" 2>/dev/null || fail "vudb-mapd died"
done
echo "pgsql-failover: $FAILED failed"
[ "$FAILED" -eq 0 ]
