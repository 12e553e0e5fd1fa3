#!/bin/sh
# pgsql-crash.sh - the crash test on a pgsql: store (issue 14), in a
# private cluster (tests/pg.sh):
#  - two writers, one per domain, run vudbadm (user add, alias add, user
#    rename, user del) one command after the other; each command is
#    SIGKILLed at a random moment of its run, until at least 24 of them
#    were killed while running; a command whose exit 0 the driver saw is
#    an acknowledged write, recorded;
#  - then, while both writers run, the PostgreSQL postmaster and its
#    backends are SIGKILLed once (a crash of the server): a vudb-mapd
#    started before answers TEMP for existing users while the server is
#    down (never NOTFOUND), vudbadm exits 75; the cluster is started again
#    (crash recovery) and the same vudb-mapd answers right, by itself;
#  - at the end: every acknowledged write is in the export, a rename that
#    was killed left exactly one of its two names, nothing is there that
#    no writer made, each domain's user and alias counters equal what the
#    export lists, and vudbadm verify finds no problem.
# The random seed is printed (PGSQL_CRASH_SEED=N repeats a run's choices).
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.

srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
. "$srcdir/tests/pg.sh"
pg_require
VUDBADM=$builddir/tools/vudbadm/vudbadm
MAPD=$builddir/adapters/postfix/vudb-mapd
PYTHON=${PYTHON:-python3}
command -v "$PYTHON" >/dev/null 2>&1 || { echo "no python3: skipped"; exit 77; }
MAPD_PID=
T=
cleanup() {
	if [ -n "$MAPD_PID" ]; then
		kill "$MAPD_PID" 2>/dev/null
		wait "$MAPD_PID" 2>/dev/null
	fi
	pg_stop
	[ -n "$T" ] && rm -rf "$T"
}
pg_start || exit 99
trap cleanup EXIT
trap 'cleanup; trap - EXIT; exit 130' INT
trap 'cleanup; trap - EXIT; exit 143' TERM
T=$(mktemp -d "${TMPDIR:-/tmp}/vudb-pgcrash.XXXXXX") || exit 99

S="pgsql:$PG_CONN dbname=crash"
"$VUDBADM" -d "$S" init && "$VUDBADM" -d "$S" domain add a.example &&
    "$VUDBADM" -d "$S" domain add b.example &&
    "$VUDBADM" -d "$S" user add --no-password base@a.example &&
    "$VUDBADM" -d "$S" user add --no-password base@b.example || {
	echo "FAIL: setup"; exit 1; }

"$MAPD" -f -d "$S" -w 2 -l "socketmap:unix:$T/mapd.sock" >"$T/mapd.log" 2>&1 &
MAPD_PID=$!

# the commands the driver runs on the server (as the cluster's owner)
if [ "$(id -u)" -eq 0 ]; then AS="runuser -u nobody --"; else AS=; fi
PG_START_CMD="$AS '$PG_BIN/pg_ctl' -D '$PG_DIR/data' -l '$PG_DIR/server.log' \
-w -t 60 -o \"-k $PG_DIR $PG_OPTS\" start"
export PG_START_CMD

"$PYTHON" - "$VUDBADM" "$S" "$T/mapd.sock" "$PG_DIR" \
    "${PGSQL_CRASH_SEED:-}" <<'PY'
import json, os, random, signal, socket, subprocess, sys, threading, time

vudbadm, store, sock, pgdir, seed = sys.argv[1:6]
seed = int(seed) if seed else random.randrange(1 << 30)
print("pgsql-crash: seed %d" % seed, flush=True)
failed = []
def fail(msg):
    print("FAIL: " + msg, flush=True)
    failed.append(msg)

def ns(b):
    return str(len(b)).encode() + b":" + b + b","
def mapd(key):
    """one mailbox lookup through vudb-mapd, a connection of its own"""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(20)
    try:
        s.connect(sock)
        s.sendall(ns(("mailbox " + key).encode()))
        buf = b""
        while True:
            c = s.recv(4096)
            if not c:
                break
            buf += c
            if b":" in buf:
                n = int(buf.split(b":", 1)[0])
                if len(buf.split(b":", 1)[1]) >= n + 1:
                    break
        return buf.split(b":", 1)[1][:-1].decode().strip()
    except (OSError, ValueError, IndexError) as e:
        return "NOCONN %s" % e
    finally:
        s.close()

class Writer:
    """one domain's writer and the model of what it acknowledged:
    state[name] = ("user",) | ("alias", dest) | ("absent",) for names
    whose state is known; maybe = names a killed command may have made;
    pairs = (old, new) of renames with no answer: exactly one exists"""
    def __init__(self, dom, rng):
        self.dom, self.rng = dom, rng
        self.state = {"base@" + dom: ("user",)}
        self.maybe = set()
        self.pairs = []
        self.n = 0
        self.kills = self.acked = self.temp = self.other = 0
        self.durations = []

    def users(self):
        return [k for k, v in self.state.items() if v == ("user",)
                and not k.startswith("base@")]

    def next_op(self):
        self.n += 1
        i, d = self.n, self.dom
        users = self.users()
        r = self.rng.random()
        if r < 0.2 and users:
            old = self.rng.choice(users)
            return ("rename", old, "r%d@%s" % (i, d))
        if r < 0.35 and users:
            return ("del", self.rng.choice(users))
        if r < 0.55:
            return ("alias", "a%d@%s" % (i, d), "x%d@elsewhere.example" % i)
        return ("add", "u%d@%s" % (i, d))

    def argv(self, op):
        if op[0] == "add":
            return ["user", "add", "--no-password", op[1]]
        if op[0] == "alias":
            return ["alias", "add", op[1], op[2]]
        if op[0] == "rename":
            return ["user", "rename", op[1], op[2]]
        return ["user", "del", op[1]]

    def record(self, op, acked):
        kind = op[0]
        if acked:
            self.acked += 1
            if kind == "add":
                self.state[op[1]] = ("user",)
            elif kind == "alias":
                self.state[op[1]] = ("alias", op[2])
            elif kind == "rename":
                self.state[op[1]] = ("absent",)
                self.state[op[2]] = ("user",)
            else:
                self.state[op[1]] = ("absent",)
            return
        # no acknowledgement: the write may or may not have happened
        if kind in ("add", "alias"):
            self.maybe.add(op[1])
        elif kind == "rename":
            del self.state[op[1]]
            self.pairs.append((op[1], op[2]))
        else:
            del self.state[op[1]]
            self.maybe.add(op[1])

    def run_one(self, kill_after=None):
        """run one command; kill it after kill_after seconds if given.
        Returns (rc, killed-while-running)"""
        op = self.next_op()
        t0 = time.time()
        p = subprocess.Popen([vudbadm, "-d", store] + self.argv(op),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        killed = False
        if kill_after is not None:
            try:
                p.wait(timeout=kill_after)
            except subprocess.TimeoutExpired:
                p.kill()
                killed = True
        try:
            out, err = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            fail("%s: %s: no answer in 30 s" % (self.dom, op))
        rc = p.returncode
        killed = killed and rc == -signal.SIGKILL
        # acknowledged: the driver saw exit 0 (vudbadm says nothing on
        # success); a command killed after its exit is no kill
        acked = rc == 0 and not killed
        if not killed:
            self.durations.append(time.time() - t0)
            if rc == 75:
                self.temp += 1
            elif rc != 0:
                self.other += 1
                fail("%s: %s: exit %d: %s" % (self.dom, op, rc,
                     err.decode(errors="replace").strip()))
        else:
            self.kills += 1
        self.record(op, acked)
        return rc, killed

# ---- phase 1: writers killed at random moments
rng = random.Random(seed)
writers = [Writer(d, random.Random(rng.random())) for d in ("a.example", "b.example")]
for w in writers:            # how long a command takes here
    for _ in range(4):
        w.run_one()
    w.temp = 0
typical = sorted(writers[0].durations + writers[1].durations)[4]
print("pgsql-crash: a command takes about %.0f ms" % (typical * 1000), flush=True)

def killer(w, want):
    for _ in range(400):            # bounded
        if w.kills >= want:
            break
        w.run_one(kill_after=w.rng.uniform(0, 1.2 * typical))
threads = [threading.Thread(target=killer, args=(w, 12)) for w in writers]
for t in threads:
    t.start()
for t in threads:
    t.join()
kills = sum(w.kills for w in writers)
print("pgsql-crash: %d writers killed while running, %d writes acknowledged"
      % (kills, sum(w.acked for w in writers)), flush=True)
if kills < 24:
    fail("only %d kills" % kills)

# ---- phase 2: the server killed while both writers run
stop = threading.Event()
def steady(w):
    for _ in range(5000):           # bounded
        if stop.is_set():
            break
        rc, _ = w.run_one()
        if rc != 0:
            time.sleep(0.05)
for w in writers:
    w.temp = 0
threads = [threading.Thread(target=steady, args=(w,)) for w in writers]
for t in threads:
    t.start()
time.sleep(1.0)
with open(os.path.join(pgdir, "data", "postmaster.pid")) as f:
    pm = int(f.readline())
# stopped first, so that it forks no backend meanwhile; then the postmaster
# and every process of the cluster (each works in the data directory), at
# once, until none is left (bounded)
datadir = os.path.realpath(os.path.join(pgdir, "data"))
def cluster_pids():
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if os.readlink("/proc/%s/cwd" % d) == datadir:
                    pids.append(int(d))
            except OSError:
                pass
    return pids
os.kill(pm, signal.SIGSTOP)
killed = set()
for _ in range(100):
    pids = cluster_pids()
    if not pids:
        break
    for k in pids:
        try:
            os.kill(k, signal.SIGKILL)
            killed.add(k)
        except ProcessLookupError:
            pass
    time.sleep(0.05)
# a killed postmaster whose parent has not reaped it yet (a zombie) looks
# like a running one to the next postmaster: its lock files go (the data
# directory's and the socket's), as an administrator removes them once no
# process of the cluster is left
if os.path.exists("/proc/%d" % pm) and not cluster_pids():
    os.remove(os.path.join(datadir, "postmaster.pid"))
    for f in os.listdir(pgdir):
        if f.startswith(".s.PGSQL.") and f.endswith(".lock"):
            os.remove(os.path.join(pgdir, f))
kids = killed - {pm}
print("pgsql-crash: killed the postmaster %d and its %d processes" % (pm, len(kids)),
      flush=True)
time.sleep(0.3)
# the server down: TEMP for everything, never NOTFOUND
known = [k for w in writers for k, v in w.state.items() if v == ("user",)]
for k in ["base@a.example", "base@b.example"] + known[:6]:
    a = mapd(k)
    if not a.startswith("TEMP"):
        fail("server down: %s: %r" % (k, a))
r = subprocess.run([vudbadm, "-d", store, "lookup", "mailbox", "base@a.example"],
                   capture_output=True)
if r.returncode != 75:
    fail("server down: vudbadm lookup exits %d" % r.returncode)
time.sleep(1.0)
r = subprocess.run(["sh", "-c", os.environ["PG_START_CMD"]], capture_output=True)
if r.returncode != 0:
    fail("the cluster did not start again: %s" % r.stdout.decode(errors="replace"))
    with open(os.path.join(pgdir, "server.log"), errors="replace") as f:
        print("".join(f.readlines()[-15:]))
    sys.exit(1)
up = time.time()
# the writers go on a little after the restart, then stop
acked_before = sum(w.acked for w in writers)
for _ in range(200):
    if sum(w.acked for w in writers) >= acked_before + 6 or time.time() - up > 20:
        break
    time.sleep(0.1)
stop.set()
for t in threads:
    t.join()
print("pgsql-crash: %d writes acknowledged in all, %d temporary failures "
      "around the server's crash" % (sum(w.acked for w in writers),
                                    sum(w.temp for w in writers)), flush=True)
if sum(w.acked for w in writers) < acked_before + 6:
    fail("the writers did not go on after the restart")

# ---- the same vudb-mapd answers again by itself: each worker reconnects
# when its backoff (at most 5 s) allows, TEMP until then, never NOTFOUND
def settle(key):
    a = ""
    for _ in range(150):            # at most about 15 s
        a = mapd(key)
        if not a.startswith("TEMP"):
            break
        time.sleep(0.1)
    return a
for _ in range(4):                  # each worker, whichever answers
    a = settle("base@a.example")
    if a != "OK a.example/base/Maildir/":
        fail("vudb-mapd after the restart: %r" % a)
    a = settle("base@b.example")
    if a != "OK b.example/base/Maildir/":
        fail("vudb-mapd after the restart: %r" % a)
    a = settle("nosuch@a.example")
    if a != "NOTFOUND":
        fail("vudb-mapd after the restart, an unknown user: %r" % a)

# ---- every acknowledged write there, counters right, verify clean
r = subprocess.run([vudbadm, "-d", store, "export"], capture_output=True, text=True)
if r.returncode != 0:
    fail("export: exit %d %s" % (r.returncode, r.stderr))
have = {}
for line in r.stdout.splitlines():
    o = json.loads(line)
    if o["type"] in ("user", "alias"):
        have[o["name"]] = (o["type"],) if o["type"] == "user" \
            else ("alias", ",".join(o["attrs"]["dest"]))
checked = 0
for w in writers:
    for k, v in w.state.items():
        checked += 1
        got = have.get(k, ("absent",))
        if got != v:
            fail("%s: acknowledged %s, found %s" % (k, v, got))
    for old, new in w.pairs:
        if (old in have) == (new in have):
            fail("a killed rename %s -> %s: %s" % (old, new,
                 "both" if old in have else "neither"))
    known = set(w.state) | w.maybe | {x for p in w.pairs for x in p}
    for k in have:
        if k.endswith("@" + w.dom) and k not in known:
            fail("%s is there, no writer made it" % k)
    r = subprocess.run([vudbadm, "-d", store, "--json", "domain", "show", w.dom],
                       capture_output=True, text=True)
    eff = json.loads(r.stdout)["effective"]
    nu = sum(1 for k, v in have.items() if k.endswith("@" + w.dom) and v[0] == "user")
    na = sum(1 for k, v in have.items() if k.endswith("@" + w.dom) and v[0] == "alias")
    if (eff["users"], eff["aliases"]) != (nu, na):
        fail("%s counts %d users %d aliases, the export lists %d and %d"
             % (w.dom, eff["users"], eff["aliases"], nu, na))
    print("pgsql-crash: %s: %d users, %d aliases; %d kills, %d acknowledged"
          % (w.dom, nu, na, w.kills, w.acked), flush=True)
r = subprocess.run([vudbadm, "-d", store, "verify"], capture_output=True, text=True)
if r.returncode != 0:
    fail("verify: exit %d: %s %s" % (r.returncode, r.stdout, r.stderr))
print("pgsql-crash: %d acknowledged states checked, %d failed"
      % (checked, len(failed)), flush=True)
sys.exit(1 if failed else 0)
PY
rc=$?
[ -f "$PG_DIR/data/postmaster.pid" ] && PG_PID=$(head -n 1 "$PG_DIR/data/postmaster.pid")
kill -0 "$MAPD_PID" 2>/dev/null || { echo "FAIL: vudb-mapd died"; rc=1; }
[ $rc -eq 0 ] || { echo "vudb-mapd's log:"; tail -n 20 "$T/mapd.log"; }
exit $rc
