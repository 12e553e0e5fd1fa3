# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# faults.py BACKEND DIR - the standing fault campaign of issue 16 on one
# backend ("nothing an administrator does, and no fault of the disk, stops
# the mail").  faults.sh runs it (make check-faults); DIR is a private
# temporary directory that faults.sh removes, unmounting what is left.
#
# Readers under load, all the time: two vudb-mapd servers on one store,
# one with -w 1 and one with -w 2, each asked by persistent socketmap and
# tcp_table connections and by a prober that opens a new connection per
# request; vudb-checkpassword run as Dovecot runs it (the request on
# descriptor 3); and the Lua module vudb.so in one long-lived lua5.4
# process (faults.lua).  They look up users that exist (must be found, with
# the right answer), addresses that do not (must be not found), and log in
# with right and wrong passwords.
#
# Scenarios (FAULTS_ONLY=kills,disk,truncate; all by default):
#   kills     vudbadm writers (user add/passwd/del, import of a batch) are
#             killed at random moments with SIGKILL, SIGPIPE, SIGINT and
#             SIGHUP, and "vudbadm export" or "user list" dies of SIGPIPE
#             when its reader closes the pipe (vudbadm user list | head -0,
#             or after N bytes); in bursts, each followed by a quiet time
#             in which everything must answer again.
#   disk      the file system of the store is filled with a file (to the
#             last block, then to 256 KiB short of it), writers and readers
#             run, then the file is removed.
#   truncate  a domain file is truncated to 0 bytes (or damaged with random
#             bytes) under the readers, then restored from a copy, by
#             rename into place or by cp over the live file, and the
#             quarantine marker removed as vudbadm(8) says.
#
# The store lives on a file system mounted for the test (FAULTS_FS):
# "ext4" (default), a loop-mounted ext4 image made with -m 0, because it is
# what a mail host runs: blocks are allocated as data is written, a write()
# or an fsync() can fail with ENOSPC, and the sparse files the engines map
# (Berkeley DB's region files __db.00N, LMDB's lock files) get their blocks
# on first touch through the map, which on a full disk is a SIGBUS; "tmpfs"
# (size-limited; where loop devices are missing) has the same SIGBUS but no
# real fsync; "none" (also when not root) puts the store in DIR and skips
# the disk scenario.
#
# What counts as right:
#  - no reader or server process dies of a signal or reports a sanitizer
#    error; a dead vudb-mapd or lua5.4 is counted and started again;
#  - no wrong answer: above all no NOTFOUND (or "unknown user") for a user
#    that exists -- a bounce -- and no refusal of a right password;
#  - every request answered: no connection refused or closed, no request
#    without an answer for 5 s (a hung server);
#  - TEMP only while the store is unusable -- from the moment the disk is
#    full until the file is removed and synced; for the damaged domain alone
#    from the moment it is damaged until it is restored; and at the instant
#    a writer is killed -- and, after each of those, at most 2 s more
#    (the recovery time, measured per fault and printed);
#  - writers: every write acknowledged (exit 0) is there at the end, an
#    import is all or nothing, no writer fails (exit 75) while the store is
#    usable, none dies of a signal it was not sent or hangs; vudbadm verify
#    is clean at the end; the servers stop cleanly.
#
# Deterministic as far as timing allows: every choice (operations, kill
# moments and signals, damage, query order) comes from FAULTS_SEED, which
# is printed.  Prints its counts and ends with "faults: N checks, M failed";
# exit status 0 when nothing failed, 1 otherwise, 77 when nothing could run.
import errno
import fcntl
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

BACKEND, DIR = sys.argv[1], sys.argv[2]
ENV = os.environ
VUDBADM = ENV["FAULTS_VUDBADM"]
MAPD = ENV["FAULTS_MAPD"]
CPW = ENV["FAULTS_CPW"]
LUA = ENV.get("FAULTS_LUA", "")           # lua5.4 with vudb.so, or ""
LUA_SCRIPT = ENV.get("FAULTS_LUA_SCRIPT", "")
LUA_CPATH = ENV.get("FAULTS_LUA_CPATH", "")
LUA_PRELOAD = ENV.get("FAULTS_LUA_PRELOAD", "")
SEED = int(ENV.get("FAULTS_SEED") or int.from_bytes(os.urandom(4), "big"))
ONLY = [s for s in ENV.get("FAULTS_ONLY", "kills,disk,truncate").split(",")
        if s]
FS = ENV.get("FAULTS_FS", "ext4")
KILLS = int(ENV.get("FAULTS_KILLS", "32"))
LIMIT = float(ENV.get("FAULTS_TIMEOUT", "330"))  # the whole run, seconds
GRACE = 2.0             # answers again within this after a fault ends
ANSWER_TIMEOUT = 5.0    # no answer in this long: the server hung
FS_SIZE = 512 << 20     # room for several generations of regions

for s in ONLY:
    if s not in ("kills", "disk", "truncate"):
        print("FAULTS_ONLY: unknown scenario %r (kills, disk, truncate)" % s)
        sys.exit(99)

T0 = time.monotonic()


def now():
    return time.monotonic() - T0


OUT_LOCK = threading.Lock()


def say(msg):
    with OUT_LOCK:
        print("[%6.1f] %s" % (now(), msg), flush=True)


# ------------------------------------------------------------ processes

PROCS = []              # every process started, stopped at the end by PID
PROCS_LOCK = threading.Lock()


def spawn(args, **kw):
    p = subprocess.Popen(args, **kw)
    with PROCS_LOCK:
        PROCS.append(p)
        PROCS[:] = [q for q in PROCS if q.poll() is None or q is p]
    return p


def reap_all():
    with PROCS_LOCK:
        procs = list(PROCS)
    for p in procs:
        if p.poll() is None:
            try:
                p.terminate()
            except OSError:
                pass
    end = time.monotonic() + 5
    for p in procs:
        try:
            p.wait(max(0.1, end - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                pass


SAN_RE = re.compile(rb"(ERROR: [A-Za-z]*Sanitizer|runtime error:|"
                    rb"SUMMARY: [A-Za-z]*Sanitizer)")


def sanitizer_report(data):
    if isinstance(data, str):
        data = data.encode(errors="replace")
    m = SAN_RE.search(data or b"")
    if not m:
        return None
    line_start = data.rfind(b"\n", 0, m.start()) + 1
    line_end = data.find(b"\n", m.end())
    return data[line_start:line_end if line_end >= 0 else None].decode(
        errors="replace")


def child_env(extra=None):
    e = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    for k in ("ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS", "TMPDIR"):
        if k in ENV:
            e[k] = ENV[k]
    e.update(extra or {})
    return e


# ------------------------------------------------------------ the store

MNT = os.path.join(DIR, "mnt")
FS_USED = "none"
STORE = None
URL = None


def run(args, inp=None, timeout=60):
    """a helper command to completion: (rc, stdout, stderr)"""
    p = spawn(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
              stderr=subprocess.PIPE, env=child_env())
    try:
        out, err = p.communicate(inp, timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        return 124, out, err
    return p.returncode, out, err


def adm(*args, inp=None, timeout=60):
    return run([VUDBADM, "-d", URL] + list(args), inp, timeout)


def mount_fs():
    global FS_USED
    os.makedirs(MNT)
    if FS == "none":
        return
    if os.geteuid() != 0:
        say("not root: no file system of its own, disk scenario skipped")
        return
    if FS == "ext4":
        img = os.path.join(DIR, "disk.img")
        with open(img, "wb") as f:
            f.truncate(FS_SIZE)
        rc, out, err = run(["mkfs.ext4", "-q", "-F", "-m", "0", "-b", "4096",
                            "-L", "vudbfaults", img])
        if rc == 0:
            rc, out, err = run(["mount", "-o", "loop", img, MNT])
        if rc == 0:
            FS_USED = "ext4 (loop-mounted %d MiB image, -m 0)" % (
                FS_SIZE >> 20)
            return
        say("ext4 on a loop device failed (%s): tmpfs instead"
            % (err.decode(errors="replace").strip() or rc))
        try:
            os.unlink(img)
        except OSError:
            pass
    if FS in ("ext4", "tmpfs"):
        rc, out, err = run(["mount", "-t", "tmpfs", "-o",
                            "size=%d,mode=0700" % FS_SIZE, "tmpfs", MNT])
        if rc == 0:
            FS_USED = "tmpfs (size %d MiB)" % (FS_SIZE >> 20)
            return
        say("tmpfs failed (%s): no file system of its own"
            % err.decode(errors="replace").strip())


def umount_fs():
    if FS_USED == "none":
        return True
    for i in range(20):
        rc, out, err = run(["umount", MNT], timeout=30)
        if rc == 0:
            return True
        time.sleep(0.5)
    say("umount %s failed: %s; lazy umount" % (MNT, err.decode().strip()))
    run(["umount", "-l", MNT], timeout=30)
    return False


def fs_free():
    st = os.statvfs(MNT)
    return st.f_bavail * st.f_frsize


# Names.  Readers ask for the stable users of every domain of READ_DOMAINS;
# writers change their own keys in the W domains and import into them and
# into new domains; the X domains are damaged and restored and nobody
# writes to them.
S_DOMAINS = ["s0.example", "s1.example", "s2.example"]
W_DOMAINS = ["w0.example", "w1.example"]
X_DOMAINS = ["x0.example", "x1.example"]
READ_DOMAINS = S_DOMAINS + W_DOMAINS + X_DOMAINS
NUSERS = 30
NALIASES = 10
RNG = random.Random(SEED)
PASSWORDS = ["Pw%d-%08x" % (i, RNG.getrandbits(32)) for i in range(4)]
HASHES = []
IMPORT_PW = "Imp-%08x" % RNG.getrandbits(32)
IMPORT_HASH = None


def user_pw(n):
    return PASSWORDS[n % len(PASSWORDS)]


def make_store():
    global STORE, URL, IMPORT_HASH
    STORE = os.path.join(MNT, "store")
    URL = "%s:%s" % (BACKEND, STORE)
    rc, out, err = adm("init")
    if rc != 0:
        msg = err.decode(errors="replace").strip()
        if "not compiled" in msg or "compiled in" in msg:
            print("backend %s not compiled in: skipped" % BACKEND)
            sys.exit(77)
        raise RuntimeError("vudbadm init: %s" % msg)
    for k, v in (("password_scheme", "SHA512-CRYPT"), ("sha_rounds", "1000"),
                 ("mail_base", "/var/vmail")):
        rc, out, err = adm("set", k, v)
        if rc != 0:
            raise RuntimeError("vudbadm set %s: %s" % (k, err.decode()))
    for pw in PASSWORDS + [IMPORT_PW]:
        rc, out, err = adm("pw", "-s", "SHA512-CRYPT",
                           inp=(pw + "\n").encode())
        if rc != 0:
            raise RuntimeError("vudbadm pw: %s" % err.decode())
        HASHES.append(out.decode().strip())
    IMPORT_HASH = HASHES.pop()
    lines = []
    for d in READ_DOMAINS:
        for n in range(NUSERS):
            lines.append("u%02d@%s:%s::::::" % (n, d, HASHES[n % len(HASHES)]))
    path = os.path.join(DIR, "users.passwd")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    rc, out, err = adm("import", "--format", "passwd-file", path)
    if rc != 0:
        raise RuntimeError("import users: %s" % err.decode())
    lines = ["a%02d@%s u%02d@%s" % (n, d, n, d)
             for d in READ_DOMAINS for n in range(NALIASES)]
    path = os.path.join(DIR, "aliases.virtual")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    rc, out, err = adm("import", "--format", "postfix-virtual", path)
    if rc != 0:
        raise RuntimeError("import aliases: %s" % err.decode())
    rc, out, err = adm("lookup", "mailbox", "u01@s0.example")
    if rc != 0 or out.decode().strip() != "s0.example/u01/Maildir/":
        raise RuntimeError("store check: lookup gave %d %r" % (rc, out))


def domain_file(dom):
    return os.path.join(STORE, "domains",
                        dom + (".db" if BACKEND == "bdb" else ".mdb"))


# ------------------------------------------------------------ bookkeeping

GOOD, TEMP, BOUNCE, BADPW, WRONG, HANG, CONNERR = (
    "good", "TEMP", "bounce", "right password refused", "wrong answer",
    "no answer in 5 s", "connection refused or closed")
PHASE = "setup"
COUNT = {}              # (phase, channel class, code) -> n
EVENTS = []             # (t, channel, domain, code, detail) but good ones
WINDOWS = []            # fault windows: dict start end scope kind label
CRASHES = []            # (t, what, how)
WRONGS = {}             # (channel or phase, code) -> first wrong answer
REC_LOCK = threading.Lock()


def chan_class(chan):
    return chan.split(" ", 1)[1] if chan.startswith("mapd") else chan


def record(chan, dom, code, detail=""):
    t = now()
    with REC_LOCK:
        k = (PHASE, chan_class(chan), code)
        COUNT[k] = COUNT.get(k, 0) + 1
        if code != GOOD:
            EVENTS.append((t, chan, dom, code, detail))
            if code in (BOUNCE, BADPW, WRONG):
                for k in ((chan, code), (PHASE, code)):
                    if k not in WRONGS:
                        WRONGS[k] = (t, "%.1f %s: %s: %s: %s" % (
                            t, PHASE, chan, code, detail))


def crash(what, how):
    with REC_LOCK:
        CRASHES.append((now(), what, how))
    say("CRASH %s: %s" % (what, how))


def fault(kind, start, end, scope=None, label=""):
    with REC_LOCK:
        WINDOWS.append({"start": start, "end": end, "scope": scope,
                        "kind": kind, "label": label})


def set_phase(p):
    global PHASE
    PHASE = p


# ------------------------------------------------------------ queries

def queries(rng, maps=("mailbox", "alias", "domain")):
    """(map, key, expected answer or None, domain) in a seeded order"""
    q = []
    for d in READ_DOMAINS:
        for n in range(NUSERS):
            if "mailbox" in maps:
                q.append(("mailbox", "u%02d@%s" % (n, d),
                          "%s/u%02d/Maildir/" % (d, n), d))
                if n % 5 == 0:
                    q.append(("mailbox", "U%02d+ext@%s" % (n, d.upper()),
                              "%s/u%02d/Maildir/" % (d, n), d))
                q.append(("mailbox", "nx%02d@%s" % (n, d), None, d))
        for n in range(NALIASES):
            if "alias" in maps:
                q.append(("alias", "a%02d@%s" % (n, d), "u%02d@%s" % (n, d),
                          d))
                q.append(("alias", "ax%02d@%s" % (n, d), None, d))
        if "domain" in maps:
            q.append(("domain", d, d, d))
    for n in range(8):
        if "mailbox" in maps:
            q.append(("mailbox", "u01@nohost%d.example" % n, None, None))
        if "domain" in maps:
            q.append(("domain", "nohost%d.example" % n, None, None))
    rng.shuffle(q)
    return q


def judge(expect, found, answer):
    if found == "temp":
        return TEMP
    if found == "notfound":
        return GOOD if expect is None else BOUNCE
    if found == "ok":
        return GOOD if expect == answer else WRONG
    return WRONG


class Conn:
    """one client connection to vudb-mapd: socketmap or tcp_table"""

    def __init__(self, server, proto):
        self.server, self.proto = server, proto
        self.sock, self.buf = None, b""

    def close(self):
        if self.sock is not None:
            self.sock.close()
        self.sock, self.buf = None, b""

    def connect(self):
        if self.proto == "socketmap":
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            addr = self.server.sock_path
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            addr = ("127.0.0.1", self.server.port)
        s.settimeout(ANSWER_TIMEOUT)
        try:
            s.connect(addr)
        except OSError:
            s.close()
            raise
        self.sock, self.buf = s, b""

    def _more(self):
        d = self.sock.recv(65536)
        if not d:
            raise ConnectionResetError("closed by the server")
        self.buf += d

    def ask(self, mapname, key):
        """returns (found, answer): found ok, notfound, temp or other"""
        if self.sock is None:
            self.connect()
        if self.proto == "socketmap":
            req = ("%s %s" % (mapname, key)).encode()
            self.sock.sendall(b"%d:%s," % (len(req), req))
            while b":" not in self.buf:
                self._more()
            n, rest = self.buf.split(b":", 1)
            n = int(n)
            while len(rest) < n + 1:
                self._more()
                n_, rest = self.buf.split(b":", 1)
            reply, self.buf = rest[:n], rest[n + 1:]
            reply = reply.decode(errors="replace")
            if reply.startswith("OK "):
                return "ok", reply[3:]
            if reply.startswith("NOTFOUND"):
                return "notfound", ""
            if reply.startswith("TEMP") or reply.startswith("TIMEOUT"):
                return "temp", reply
            return "other", reply
        self.sock.sendall(b"get %s\n" % key.encode())
        while b"\n" not in self.buf:
            self._more()
        line, self.buf = self.buf.split(b"\n", 1)
        line = line.decode(errors="replace")
        if line.startswith("200 "):
            return "ok", line[4:]
        if line.startswith("500"):
            return "notfound", ""
        if line.startswith("400"):
            self.close()        # as Postfix: it disconnects after a 400
            return "temp", line
        return "other", line


def reader_loop(server, proto, fresh, seed):
    rng = random.Random(seed)
    chan = "%s %s" % (server.name, "fresh connections" if fresh else proto)
    qs = queries(rng, ("mailbox",) if proto == "tcp_table" else
                 ("mailbox", "alias", "domain"))
    conn = Conn(server, proto)
    i = 0
    while not STOP.is_set():
        mapname, key, expect, dom = qs[i % len(qs)]
        i += 1
        p = proto
        if fresh:
            p = "socketmap" if i % 2 else "tcp_table"
            if p == "tcp_table" and mapname != "mailbox":
                continue
            conn = Conn(server, p)
        try:
            found, answer = conn.ask(mapname, key)
            code = judge(expect, found, answer)
            record(chan, dom, code, "%s %s -> %s %s" % (
                mapname, key, found, answer[:60]))
        except socket.timeout:
            record(chan, dom, HANG, "%s %s (%s)" % (
                mapname, key, server.waits()))
            conn.close()
        except (OSError, ValueError) as e:
            record(chan, dom, CONNERR, "%s %s: %s" % (mapname, key, e))
            conn.close()
            STOP.wait(0.1)
        if fresh:
            conn.close()
            STOP.wait(0.02)
    conn.close()


# ------------------------------------------------------------ vudb-mapd

class Mapd:
    def __init__(self, name, workers):
        self.name, self.workers = name, workers
        self.sock_path = os.path.join(DIR, name + ".sock")
        self.log = os.path.join(DIR, name + ".log")
        self.port = None
        self.proc = None
        self.starts = 0
        self.lock = threading.Lock()

    def start(self):
        for attempt in range(5):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
            s.close()
            with open(self.log, "ab") as log:
                self.log_from = log.tell()
                self.proc = spawn(
                    [MAPD, "-f", "-d", URL, "-w", str(self.workers),
                     "-l", "socketmap:unix:" + self.sock_path,
                     "-l", "tcp:mailbox:inet:127.0.0.1:%d" % self.port],
                    stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, env=child_env())
            self.starts += 1
            if self.ready():
                return True
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        return False

    def ready(self):
        end = time.monotonic() + 10
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                return False
            try:
                c = Conn(self, "socketmap")
                c.connect()
                c.close()
                c = Conn(self, "tcp_table")
                c.connect()
                c.close()
                return True
            except OSError:
                time.sleep(0.05)
        return False

    def waits(self):
        """where the threads of the server wait, for a report"""
        p = self.proc
        if p is None or p.poll() is not None:
            return "not running"
        try:
            tasks = sorted(int(t) for t in os.listdir(
                "/proc/%d/task" % p.pid))
        except OSError:
            return "gone"
        return "; ".join("thread %d %s" % (t, waits_in(t)) for t in tasks)

    def watch(self):
        """restart after an unexpected exit, which is counted"""
        with self.lock:
            if self.proc is None or self.proc.poll() is None:
                return
            rc = self.proc.returncode
            how = ("killed by %s" % signal.Signals(-rc).name if rc < 0
                   else "exited %d" % rc)
            with open(self.log, "rb") as f:
                f.seek(self.log_from)
                rep = sanitizer_report(f.read())
            if rep:
                how += ", " + rep
            crash(self.name, how + " (started again)")
            if not self.start():
                say("%s did not start again" % self.name)

    def stop(self):
        """SIGTERM; returns a problem or None"""
        with self.lock:
            p = self.proc
            self.proc = None
        if p is None or p.poll() is not None:
            return None
        p.terminate()
        try:
            rc = p.wait(10)
        except subprocess.TimeoutExpired:
            try:
                tasks = sorted(int(t) for t in os.listdir(
                    "/proc/%d/task" % p.pid))
            except OSError:
                tasks = []
            where = "; ".join("thread %d %s" % (t, waits_in(t))
                              for t in tasks)
            p.kill()
            p.wait()
            return "did not stop within 10 s of SIGTERM (%s)" % where
        if rc != 0:
            return "stopped with status %d" % rc
        return None


def supervise(servers):
    while not STOP.is_set():
        for s in servers:
            s.watch()
        STOP.wait(0.1)


# ------------------------------------------------------------ logins

def login_cases(rng):
    """(kind, user, password, domain); kind: right, wrong, nouser,
    lookup (userdb, user exists), nolookup (userdb, no such user)"""
    c = []
    for d in READ_DOMAINS:
        for n in range(0, NUSERS, 3):
            u = "u%02d@%s" % (n, d)
            c.append(("right", u, user_pw(n), d))
            c.append(("right", u, user_pw(n), d))
            c.append(("wrong", u, user_pw(n + 1), d))
            c.append(("nouser", "nx%02d@%s" % (n, d), user_pw(n), d))
            c.append(("lookup", u, "", d))
            c.append(("nolookup", "nx%02d@%s" % (n, d), "", d))
    rng.shuffle(c)
    return c


CPW_SH = 'exec 3<&0 </dev/null; exec "$0" "$@"'


def cpw_loop(seed):
    rng = random.Random(seed)
    cases = login_cases(rng)
    i = 0
    chan = "checkpassword"
    while not STOP.is_set():
        kind, user, pw, dom = cases[i % len(cases)]
        i += 1
        extra = {"SERVICE": "imap" if kind != "lookup" else "lmtp"}
        if kind in ("lookup", "nolookup"):
            extra["AUTHORIZED"] = "1"
        req = ("%s\0%s\0\0" % (user, pw)).encode()
        try:
            p = spawn(["/bin/sh", "-c", CPW_SH, CPW, "-d", URL,
                       "/usr/bin/env"], stdin=subprocess.PIPE,
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                      env=child_env(extra))
        except OSError as e:
            say("cannot run vudb-checkpassword: %s" % e)
            STOP.wait(1)
            continue
        try:
            out, err = p.communicate(req, timeout=ANSWER_TIMEOUT)
        except subprocess.TimeoutExpired:
            where = waits_in(p.pid)     # where it hangs, for the report
            p.kill()
            p.communicate()
            record(chan, dom, HANG, "%s %s (%s)" % (kind, user, where))
            continue
        rc = p.returncode
        rep = sanitizer_report(err)
        if rep:
            crash(chan, "%s %s: exit %d, sanitizer: %s" % (kind, user, rc,
                                                           rep))
            record(chan, dom, CONNERR, "%s %s: sanitizer" % (kind, user))
            continue
        if rc < 0:
            crash(chan, "%s %s: killed by %s" % (kind, user,
                                                 signal.Signals(-rc).name))
            record(chan, dom, CONNERR, "%s %s: signal" % (kind, user))
            continue
        got = None
        if rc == 0:
            for kv in out.split(b"\n"):
                if kv.startswith(b"USER="):
                    got = kv[5:].decode(errors="replace")
        if rc == 111:
            code = TEMP
        elif kind in ("right", "lookup"):
            if rc == 0:
                code = GOOD if got == user else WRONG
            elif rc == 1:
                code = BADPW
            elif rc == 3:
                code = BOUNCE
            else:
                code = WRONG
        elif kind in ("wrong", "nouser"):
            code = GOOD if rc == 1 else WRONG
        else:
            code = GOOD if rc == 3 else WRONG
        record(chan, dom, code, "%s %s: exit %d %s" % (
            kind, user, rc, err.decode(errors="replace").strip()[:80]))


class LuaReader:
    def __init__(self):
        self.proc = None
        self.n = 0

    def start(self):
        self.n += 1
        env = child_env({"LUA_CPATH_5_4": LUA_CPATH})
        if LUA_PRELOAD:
            env["LD_PRELOAD"] = LUA_PRELOAD
        self.err = os.path.join(DIR, "lua.%d.err" % self.n)
        with open(self.err, "wb") as err:
            self.proc = spawn([LUA, LUA_SCRIPT, URL], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=err, env=env)
        self.buf = b""

    def ask(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()
        end = time.monotonic() + ANSWER_TIMEOUT
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0:
                raise socket.timeout()
            r, w, x = select.select([fd], [], [], left)
            if r:
                d = os.read(fd, 65536)
                if not d:
                    raise EOFError()
                self.buf += d
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode(errors="replace").split("\t", 1) + [""]

    def stop(self):
        if self.proc is None:
            return None
        p, self.proc = self.proc, None
        try:
            p.stdin.close()
        except OSError:
            pass
        try:
            rc = p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            return "lua5.4 did not end within 10 s of end of input"
        if rc != 0:
            return "lua5.4 ended with status %d" % rc
        return None


def lua_loop(seed):
    rng = random.Random(seed)
    cases = login_cases(rng)
    lookups = queries(rng, ("mailbox",))
    lr = LuaReader()
    lr.start()
    chan = "lua"
    i = 0
    while not STOP.is_set():
        i += 1
        if i % 3 == 0:
            mapname, key, expect, dom = lookups[(i // 3) % len(lookups)]
            line, kind = "lookup\t%s\t%s" % (mapname, key), "map"
        else:
            kind, user, pw, dom = cases[i % len(cases)]
            if kind in ("lookup", "nolookup"):
                line = "user\t%s\tlmtp" % user
            else:
                line = "auth\t%s\t%s\timap" % (user, pw)
        try:
            st, ans, _ = lr.ask(line)
        except socket.timeout:
            record(chan, dom, HANG, "%s (%s)" % (
                line.replace("\t", " ")[:80], waits_in(lr.proc.pid)))
            lr.proc.kill()
            lr.proc.wait()
            lr.start()
            continue
        except (EOFError, OSError):
            rc = lr.proc.wait()
            with open(lr.err, "rb") as f:
                err = f.read()
            rep = sanitizer_report(err)
            how = ("killed by %s" % signal.Signals(-rc).name if rc < 0
                   else "exited %d: %s" % (rc, rep or err.decode(
                       errors="replace").strip()[-200:]))
            crash("lua5.4 with vudb.so", how + " (started again)")
            record(chan, dom, CONNERR, line)
            STOP.wait(0.1)      # as Dovecot would start a new worker
            lr.start()
            continue
        if st == "tempfail":
            code = TEMP
        elif kind == "map":
            code = judge(expect, {"ok": "ok", "notfound": "notfound"}.get(
                st, "other"), ans)
        elif kind in ("right", "lookup"):
            if st == "ok":
                code = GOOD if ans == user else WRONG
            elif st == "refused":
                code = BADPW
            elif st == "unknown":
                code = BOUNCE
            else:
                code = WRONG
        elif kind in ("wrong", "nouser"):
            code = GOOD if st == "refused" else WRONG
        else:
            code = GOOD if st == "unknown" else WRONG
        record(chan, dom, code, "%s -> %s %s" % (line.replace(
            "\t", " ").rsplit(" ", 2)[0] if kind != "map" else line,
            st, ans[:60]))
    problem = lr.stop()
    LUA_END.append(problem)
    with open(lr.err, "rb") as f:
        rep = sanitizer_report(f.read())
    if rep:
        crash("lua5.4 with vudb.so", "sanitizer: " + rep)


# ------------------------------------------------------------ writers

ABSENT = None
UNKNOWN_PW = "?"        # present, password not known


def apply_op(op, pw, s):
    if op == "add":
        return (0, pw) if s is ABSENT else (73, s)
    if op == "passwd":
        return (0, pw) if s is not ABSENT else (67, s)
    return (0, ABSENT) if s is not ABSENT else (67, s)


class Key:
    def __init__(self, name, group=None):
        self.name, self.group = name, group
        self.possible = {ABSENT}
        self.acked = 0
        self.broken = None

    def note(self, op, pw, outcome, rc):
        """outcome: ack, refused (rc 67 or 73), unsure"""
        if self.broken:
            return
        if outcome == "ack":
            nxt = {apply_op(op, pw, s)[1] for s in self.possible
                   if apply_op(op, pw, s)[0] == 0}
            if not nxt:
                self.broken = ("%s acknowledged, but the key was %s: a "
                               "write acknowledged earlier is lost" %
                               (op, self.describe()))
            self.acked += 1
            self.possible = nxt or {apply_op(op, pw, UNKNOWN_PW)[1]
                                    if op != "add" else pw}
        elif outcome == "refused":
            keep = {s for s in self.possible if apply_op(op, pw, s)[0] == rc}
            if not keep:
                self.broken = ("%s refused with %d, but the key was %s: a "
                               "write acknowledged earlier is lost" %
                               (op, rc, self.describe()))
                keep = {ABSENT} if rc == 67 else {UNKNOWN_PW}
            self.possible = keep
        else:
            self.possible = self.possible | {
                apply_op(op, pw, s)[1] for s in self.possible
                if apply_op(op, pw, s)[0] == 0}

    def describe(self):
        return " or ".join(sorted("absent" if s is ABSENT else
                                  "present (password %s)" % s
                                  for s in self.possible))


SIGNALS = [signal.SIGKILL, signal.SIGPIPE, signal.SIGINT, signal.SIGHUP]


def waits_in(pid):
    """where a hung process waits: its kernel wait channel, and the file
    of the lock it waits for when it is a futex in a mapped file"""
    try:
        with open("/proc/%d/wchan" % pid) as f:
            w = f.read().strip() or "running"
    except OSError:
        return "gone"
    try:
        with open("/proc/%d/syscall" % pid) as f:
            sc = f.read().split()
        if sc and sc[0] == "202":           # futex, x86-64
            addr = int(sc[1], 16)
            with open("/proc/%d/maps" % pid) as maps:
                for line in maps:
                    m = line.rstrip("\n").split(None, 5)
                    lo, hi = (int(x, 16) for x in m[0].split("-"))
                    if lo <= addr < hi:
                        w += " on a futex in " + (
                            m[5] if len(m) > 5 else "anonymous memory")
                        break
    except (OSError, ValueError, IndexError):
        pass
    return "waiting in " + w


class Writers:
    """two writer slots; kill_p is the chance that an operation is killed"""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.kill_p = 0.0
        self.on = threading.Event()
        self.stop = threading.Event()
        self.kills = {}         # signal name -> n (all scenarios)
        self.scen_kills = 0     # kills in this scenario
        self.acks = {}          # op -> n
        self.ops = 0
        self.fails = []         # (t0, t1, what, rc, err): exit 75 and kin
        self.odd = []           # unexpected: crash, hang, odd status
        self.keys = {}
        self.groups = []        # (name, [keys], outcome)
        self.est = {}
        self.sigcycle = []
        self.nimport = 0
        self.threads = []

    def next_signal(self, rng):
        with self.lock:
            if not self.sigcycle:
                self.sigcycle = SIGNALS + ["pipe"]
                rng.shuffle(self.sigcycle)
            return self.sigcycle.pop()

    def start(self):
        for slot in range(2):
            t = threading.Thread(target=self.loop, args=(
                slot, self.rng.getrandbits(32)), daemon=True)
            t.start()
            self.threads.append(t)

    def join(self):
        self.stop.set()
        self.on.set()
        for t in self.threads:
            t.join(60)

    def loop(self, slot, seed):
        rng = random.Random(seed)
        keys = [Key("k%d-%02d@%s" % (slot, i, W_DOMAINS[i % 2]))
                for i in range(24)]
        with self.lock:
            for k in keys:
                self.keys[k.name] = k
        n = 0
        while not self.stop.is_set():
            if not self.on.is_set():
                self.on.wait(0.2)
                continue
            n += 1
            kill = None
            if rng.random() < self.kill_p:
                kill = self.next_signal(rng)
            r = rng.random()
            if kill == "pipe":
                self.reader_pipe(rng)
            elif r < 0.06:
                self.do_import(slot, n, rng, kill)
            else:
                self.key_op(rng.choice(keys), n, rng, kill)

    def delay(self, kind, rng):
        return rng.uniform(0, 1.2 * self.est.get(kind, 0.05))

    def learn(self, kind, secs):
        with self.lock:
            old = self.est.get(kind, secs)
            self.est[kind] = 0.8 * old + 0.2 * secs

    def execute(self, kind, args, inp, kill, rng):
        """run one vudbadm, maybe sending it kill at a random moment;
        returns (outcome, rc, t0, t1) with outcome ack, refused, unsure"""
        t0 = now()
        p = spawn([VUDBADM, "-d", URL] + args, stdin=subprocess.PIPE,
                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                  env=child_env())
        try:
            p.stdin.write(inp)
            p.stdin.close()
        except OSError:
            pass
        p.stdin = None          # closed: communicate() leaves it alone
        sent = None
        if kill is not None:
            time.sleep(self.delay(kind, rng))
            if p.poll() is None:
                try:
                    p.send_signal(kill)
                    sent = kill
                    tk = now()
                except OSError:
                    pass
        try:
            out, err = p.communicate(timeout=20)
            rc = p.returncode
        except subprocess.TimeoutExpired:
            where = waits_in(p.pid)
            p.kill()
            p.communicate()
            self.odd.append("%.1f vudbadm %s hung: no end in 20 s (%s)" % (
                now(), " ".join(args), where))
            fault("kill", now(), now(), label="hung writer killed")
            return "unsure", p.returncode, t0, now()
        t1 = now()
        rep = sanitizer_report(err)
        if rep:
            self.odd.append("%.1f vudbadm %s: sanitizer: %s" % (
                t1, " ".join(args), rep))
        with self.lock:
            self.ops += 1
        if rc < 0:
            if sent is not None and -rc == sent:
                self.count_kill(signal.Signals(sent).name)
                fault("kill", tk, tk, label="%s %s" % (
                    signal.Signals(sent).name, kind))
            else:
                self.odd.append("%.1f vudbadm %s: killed by %s, not sent" % (
                    t1, " ".join(args), signal.Signals(-rc).name))
            return "unsure", rc, t0, t1
        if sent is None:
            self.learn(kind, t1 - t0)
        elif sent in (signal.SIGINT, signal.SIGHUP) and rc == 128 + sent:
            self.count_kill(signal.Signals(sent).name)
            fault("kill", tk, tk, label="%s %s" % (
                signal.Signals(sent).name, kind))
            return "unsure", rc, t0, t1
        if rc == 0:
            with self.lock:
                self.acks[kind] = self.acks.get(kind, 0) + 1
            return "ack", rc, t0, t1
        if rc in (67, 73):
            return "refused", rc, t0, t1
        msg = err.decode(errors="replace").strip()
        if rc == 75:
            with self.lock:
                self.fails.append((t0, t1, "vudbadm " + " ".join(args), rc,
                                   msg[:160]))
        else:
            self.odd.append("%.1f vudbadm %s: exit %d: %s" % (
                t1, " ".join(args), rc, msg[:200]))
        return "unsure", rc, t0, t1

    def count_kill(self, name):
        with self.lock:
            self.kills[name] = self.kills.get(name, 0) + 1
            self.scen_kills += 1

    def key_op(self, key, n, rng, kill):
        with self.lock:
            poss = set(key.possible)
        if key.broken:
            return
        if poss == {ABSENT}:
            op = "add"
        elif ABSENT not in poss:
            op = "passwd" if rng.random() < 0.6 else "del"
        else:
            op = rng.choice(["add", "del"])
        pw = "W%d-%s-%08x" % (n, op, rng.getrandbits(32))
        if op == "add":
            args = ["user", "add", key.name, "--password-stdin"]
        elif op == "passwd":
            args = ["user", "passwd", key.name, "--password-stdin"]
        else:
            args = ["user", "del", key.name]
        outcome, rc, t0, t1 = self.execute(
            op, args, (pw + "\n").encode() if op != "del" else b"",
            kill, rng)
        with self.lock:
            key.note(op, pw, outcome, rc)

    def do_import(self, slot, n, rng, kill):
        with self.lock:
            self.nimport += 1
            m = self.nimport
        if rng.random() < 0.5:
            dom, name = "i%d-%03d.example" % (slot, m), "new domain"
        else:
            dom, name = rng.choice(W_DOMAINS), "existing domain"
        keys = [Key("b%d-%03d-%02d@%s" % (slot, m, j, dom), m)
                for j in range(10)]
        path = os.path.join(DIR, "batch.%d.%d" % (slot, m))
        with open(path, "w") as f:
            for k in keys:
                f.write("%s:%s::::::\n" % (k.name, IMPORT_HASH))
        outcome, rc, t0, t1 = self.execute(
            "import", ["import", "--format", "passwd-file", path], b"",
            kill, rng)
        os.unlink(path)
        with self.lock:
            for k in keys:
                k.note("add", IMPORT_PW, outcome, rc)
                self.keys[k.name] = k
            self.groups.append(("%s (%s)" % (dom, name), keys, outcome))

    def reader_pipe(self, rng):
        """vudbadm export | head -c N, vudbadm user list | head -0: the
        reader of its output goes, at once or after N bytes"""
        cmd = rng.choice([["export"], ["user", "list"]])
        what = "vudbadm " + " ".join(cmd)
        r, w = os.pipe()
        try:
            fcntl.fcntl(w, 1031, 4096)          # F_SETPIPE_SZ
        except OSError:
            pass
        p = spawn([VUDBADM, "-d", URL] + cmd, stdin=subprocess.DEVNULL,
                  stdout=w, stderr=subprocess.PIPE, env=child_env())
        os.close(w)
        want = 0 if rng.random() < 0.3 else rng.randrange(0, 12288)
        got = 0
        end = time.monotonic() + 10
        while got < want and time.monotonic() < end:
            x, _, _ = select.select([r], [], [], 0.5)
            if x:
                d = os.read(r, min(4096, want - got))
                if not d:
                    break
                got += len(d)
        tk = now()
        os.close(r)
        try:
            out, err = p.communicate(timeout=20)
            rc = p.returncode
        except subprocess.TimeoutExpired:
            where = waits_in(p.pid)
            p.kill()
            p.communicate()
            self.odd.append("%.1f %s hung after its reader went (%s)" % (
                now(), what, where))
            return
        with self.lock:
            self.ops += 1
        rep = sanitizer_report(err)
        if rep:
            self.odd.append("%.1f %s: sanitizer: %s" % (now(), what, rep))
        if rc == -signal.SIGPIPE:
            self.count_kill("SIGPIPE (closed pipe)")
            fault("kill", tk, tk, label="SIGPIPE %s | head" % what)
        elif rc < 0:
            self.odd.append("%.1f %s: killed by %s" % (
                now(), what, signal.Signals(-rc).name))
        elif rc not in (0, 75):
            self.odd.append("%.1f %s: exit %d: %s" % (
                now(), what, rc, err.decode(errors="replace").strip()[:200]))
        elif rc == 75:
            self.fails.append((tk, now(), what, rc,
                               err.decode(errors="replace").strip()[:160]))


# ------------------------------------------------------------ scenarios

STOP = threading.Event()
LUA_END = []


def settle(secs, label):
    set_phase(label)
    end = time.monotonic() + secs
    while time.monotonic() < end and not timed_out():
        time.sleep(0.1)
        if not PHASE.startswith("disk"):
            low_space()


LOWEST = [None]


def low_space():
    """the least free space seen outside the disk scenario"""
    if FS_USED != "none":
        f = fs_free()
        if LOWEST[0] is None or f < LOWEST[0]:
            LOWEST[0] = f


def timed_out():
    return now() > LIMIT - 45


def progress(what, wr):
    with REC_LOCK:
        n = sum(v for k, v in COUNT.items())
        temp = sum(v for k, v in COUNT.items() if k[2] == TEMP)
        bad = sum(v for k, v in COUNT.items()
                  if k[2] in (BOUNCE, BADPW, WRONG))
    say("%s: %d answers (%d TEMP, %d wrong), %d kills, %d writes acked%s"
        % (what, n, temp, bad, sum(wr.kills.values()), sum(wr.acks.values()),
           ", %.0f MiB free" % (fs_free() / 1048576.0)
           if FS_USED != "none" else ""))


def scenario_kills(wr):
    say("== kills: writers killed at random moments (at least %d)" % KILLS)
    wr.scen_kills = 0
    before_all = dict(wr.kills)
    wr.on.set()
    rnd = 0
    end = now() + 110
    while wr.scen_kills < KILLS and now() < end and not timed_out():
        rnd += 1
        set_phase("kills: bursts")
        before = wr.scen_kills
        wr.kill_p = 0.75
        burst_end = now() + 8
        while (wr.scen_kills - before < 5 and now() < burst_end and
               not timed_out()):
            time.sleep(0.05)
            low_space()
        wr.kill_p = 0.0
        progress("kills round %d" % rnd, wr)
        settle(3.0, "kills: quiet after a burst")
    if wr.scen_kills < KILLS:
        say("only %d kills in the time given" % wr.scen_kills)
    return wr.scen_kills, {k: v - before_all.get(k, 0)
                           for k, v in wr.kills.items()
                           if v - before_all.get(k, 0)}


def fill_disk(slack):
    """fill the store's file system with one file, to slack bytes short
    of full (0: until a write fails); returns the bytes left"""
    path = os.path.join(MNT, "fill")
    for i in range(50):
        try:
            f = open(path, "wb", buffering=0)
            break
        except OSError as e:
            if e.errno != errno.ENOSPC:
                raise
            time.sleep(0.1)     # already full: wait for a block
    else:
        say("the file system is full already: no file to fill it with")
        return fs_free()
    with f:
        free = fs_free()
        if free > slack + (1 << 20):
            try:
                os.posix_fallocate(f.fileno(), 0, free - slack - (512 << 10))
            except OSError:
                pass
        f.seek(0, 2)            # after the allocated part
        block = b"\0" * 4096
        for i in range(100000):
            if slack and fs_free() <= slack:
                break
            try:
                f.write(block)
            except OSError as e:
                if e.errno not in (errno.ENOSPC, errno.EDQUOT):
                    raise
                break
        try:
            os.fsync(f.fileno())
        except OSError:
            pass
    return fs_free()


def scenario_disk(wr):
    if FS_USED == "none":
        say("== disk: skipped (no file system of its own)")
        return False
    say("== disk: the store's file system fills, then empties (%s)" % FS_USED)
    wr.on.set()
    for label, slack in (("full", 0), ("256 KiB short of full", 256 << 10)):
        if timed_out():
            break
        set_phase("disk: full")
        wr.kill_p = 0.25
        t0 = now()
        left = fill_disk(slack)
        say("disk %s: %d bytes left" % (label, left))
        time.sleep(8)
        wr.kill_p = 0.0
        try:
            os.unlink(os.path.join(MNT, "fill"))
        except FileNotFoundError:
            pass
        os.sync()
        t1 = now()
        fault("disk", t0, t1, label="disk " + label)
        say("disk %s: freed after %.1f s, %d bytes free" % (
            label, t1 - t0, fs_free()))
        progress("disk " + label, wr)
        settle(4.0, "disk: after it was freed")
    return True


def damage(path, rng, how):
    size = os.path.getsize(path)
    if how == "truncate":
        os.truncate(path, 0)
        return "truncated (was %d bytes)" % size
    # random bytes over 512 bytes in each page from the third on
    # (the first two are the engines' meta pages)
    n = 0
    with open(path, "r+b") as f:
        for page in range(2, size // 4096):
            off = page * 4096 + rng.randrange(0, 4096 - 512)
            f.seek(off)
            f.write(bytes(rng.getrandbits(8) for i in range(512)))
            n += 1
    return "%d pages of %d damaged" % (n, size // 4096)


def restore(path, copy, how):
    if how == "rename":
        tmp = os.path.join(os.path.dirname(STORE), "restore.tmp")
        shutil.copyfile(copy, tmp)
        os.chmod(tmp, 0o660)
        os.rename(tmp, path)
    else:
        rc, out, err = run(["cp", copy, path])
        if rc != 0:
            say("cp over the live file failed: %s" % err.decode())
    marker = path + ".damaged"
    try:
        os.unlink(marker)
        return " and quarantine marker removed"
    except FileNotFoundError:
        # none, or the library saw the restored file and removed it
        return ""


def scenario_truncate(wr, seed):
    rng = random.Random(seed)
    say("== truncate: a domain file damaged under the readers, restored")
    bdir = os.path.join(DIR, "backup")
    os.makedirs(bdir, exist_ok=True)
    copies = {}
    for d in X_DOMAINS:
        copies[d] = os.path.join(bdir, os.path.basename(domain_file(d)))
        shutil.copyfile(domain_file(d), copies[d])
    wr.on.set()
    wr.kill_p = 0.0
    rounds = [("x0.example", "truncate", "rename"),
              ("x1.example", "truncate", "cp"),
              ("x0.example", "damage", "cp"),
              ("x1.example", "truncate", "cp"),
              ("x0.example", "truncate", "rename")]
    for dom, how, back in rounds:
        if timed_out():
            break
        path = domain_file(dom)
        set_phase("truncate: damaged")
        t0 = now()
        what = damage(path, rng, how)
        time.sleep(3)
        more = restore(path, copies[dom], back)
        t1 = now()
        fault("truncate", t0, t1, scope=dom, label="%s %s" % (dom, how))
        say("%s %s; restored after %.1f s by %s%s" % (
            dom, what, t1 - t0, "rename of a copy" if back == "rename"
            else "cp over the live file", more))
        settle(3.0, "truncate: after the restore")
    progress("truncate", wr)
    return True


# ------------------------------------------------------------ evaluation

CHECKS = []


def check(ok, what, detail=""):
    CHECKS.append(ok)
    print("%s %s%s" % ("ok  " if ok else "FAIL", what,
                       (": " + detail) if detail else ""), flush=True)


def excused(t0, t1, dom, kinds=None):
    """whether [t0, t1] meets a fault window of dom, or its grace"""
    for w in WINDOWS:
        if kinds and w["kind"] not in kinds:
            continue
        if w["scope"] is not None and w["scope"] != dom:
            continue
        if t0 <= w["end"] + GRACE and t1 >= w["start"]:
            return True
    return False


def recovery_times():
    """per window: (window, seconds from the moment the store is usable
    again after it to the last TEMP or missing answer of its scope before
    the next fault starts, not counting those while another fault of the
    scope lasts; the room there was).  The store is usable again when the
    window and every fault of its scope that overlaps it have ended: a
    writer killed while the disk is full is answered for from the moment
    the disk has room, not from the kill."""
    res = []
    ws = sorted(WINDOWS, key=lambda w: w["start"])
    for w in ws:
        others = [v for v in ws if v is not w and v["end"] > v["start"] and
                  (v["scope"] is None or w["scope"] is None or
                   v["scope"] == w["scope"])]
        end = w["end"]
        grew = True
        while grew:
            grew = False
            for v in others:
                if v["start"] <= end < v["end"]:
                    end, grew = v["end"], True
        # until the next fault of any kind that starts after that: a
        # crash it causes shows everywhere
        limit = min([v["start"] for v in ws if v["start"] > end] +
                    [float("inf")])
        last = None
        for (t, chan, dom, code, det) in EVENTS:
            if code not in (TEMP, HANG, CONNERR):
                continue
            if w["scope"] is not None and dom != w["scope"]:
                continue
            if not end < t < limit:
                continue
            if any(v["start"] <= t <= v["end"] for v in others):
                continue
            last = t if last is None else max(last, t)
        res.append((w, 0.0 if last is None else last - end, limit - end))
    return res


def summarize(wr, ran, baseline, ledger):
    print("== counts (%s)" % BACKEND, flush=True)
    classes = ["socketmap", "tcp_table", "fresh connections",
               "checkpassword", "lua"]
    tot = {}
    for (ph, cl, code), n in COUNT.items():
        tot.setdefault(cl, {}).setdefault(code, 0)
        tot[cl][code] += n
    for cl in classes:
        c = tot.get(cl, {})
        print("%-28s %7d answered: %s" % (
            {"socketmap": "lookups socketmap (persist.)",
             "tcp_table": "lookups tcp_table (persist.)",
             "fresh connections": "lookups, new connection each",
             "checkpassword": "vudb-checkpassword runs",
             "lua": "Lua module calls"}[cl], sum(c.values()),
            ", ".join("%s %d" % (k, v) for k, v in sorted(c.items())) or
            "none"), flush=True)
    phases = []
    for (ph, cl, code) in COUNT:
        if ph not in phases:
            phases.append(ph)
    print("answers by phase:", flush=True)
    for ph in phases:
        c = {}
        for (p, cl, code), n in COUNT.items():
            if p == ph:
                c[code] = c.get(code, 0) + n
        print("  %-30s %7d: %s" % (ph, sum(c.values()), ", ".join(
            "%s %d" % (code, c[code]) for code in (
                GOOD, TEMP, BOUNCE, BADPW, WRONG, HANG, CONNERR)
            if c.get(code))), flush=True)
    print("kills by signal, all scenarios: %s (total %d)" % (", ".join(
        "%s %d" % kv for kv in sorted(wr.kills.items())) or "none",
        sum(wr.kills.values())), flush=True)
    print("writer runs: %d; acknowledged writes: %d (%s); import batches: "
          "%d" % (wr.ops, sum(wr.acks.values()), ", ".join(
              "%s %d" % kv for kv in sorted(wr.acks.items())),
              len(wr.groups)), flush=True)
    if LOWEST[0] is not None:
        print("least free space on the store's file system outside the disk "
              "scenario: %.0f MiB of %d" % (LOWEST[0] / 1048576.0,
                                            FS_SIZE >> 20), flush=True)
    rts = recovery_times()
    for kind in ("kill", "disk", "truncate"):
        r = [x for x in rts if x[0]["kind"] == kind]
        if not r:
            continue
        secs = sorted(x[1] for x in r)
        print("recovery times after %s faults (%d): max %.2f s, median "
              "%.2f s, %d over %.0f s" % (
                  kind, len(r), secs[-1], secs[len(secs) // 2],
                  sum(1 for s in secs if s > GRACE), GRACE), flush=True)
        for w, s, room in r:
            if s > GRACE:
                print("  %s at %.1f: TEMP or no answer until %.2f s after "
                      "%s%s" % (w["label"], w["start"], s,
                                "the store was usable again (the fault "
                                "and those overlapping it over)",
                                " (and still at the next fault)"
                                if room - s < 0.5 else ""), flush=True)

    print("== checks (%s)" % BACKEND, flush=True)
    check(baseline[0] == 0, "before any fault every answer is right",
          "%d of %d answers were not" % baseline)
    if "kills" in ran:
        n, by = ran["kills"]
        check(n >= KILLS, "at least %d writers killed at random moments" %
              KILLS, "%d killed in the kills scenario: %s" % (n, ", ".join(
                  "%s %d" % kv for kv in sorted(by.items()))))
    # crashes
    what = {}
    for t, w, how in CRASHES:
        what.setdefault(w, []).append("%.1f %s" % (t, how))
    check(not CRASHES, "no reader or server crashed (signal, sanitizer)",
          "%d crashes: %s" % (len(CRASHES), "; ".join(
              "%s %d (first: %s)" % (w, len(v), v[0])
              for w, v in what.items())) if CRASHES else "0 crashes")

    def by_chan(evs):
        c = {}
        for e in evs:
            c[e[1]] = c.get(e[1], 0) + 1
        return ", ".join("%s %d" % kv for kv in sorted(c.items()))

    evs = [e for e in EVENTS if e[3] == BOUNCE]
    check(not evs, "no NOTFOUND or unknown user for an existing user "
          "(bounce)", "%d: %s" % (len(evs), by_chan(evs)) if evs else "0")
    evs = [e for e in EVENTS if e[3] == BADPW]
    check(not evs, "no right password refused",
          "%d: %s" % (len(evs), by_chan(evs)) if evs else "0")
    evs = [e for e in EVENTS if e[3] == WRONG]
    check(not evs, "no other wrong answer",
          "%d: %s" % (len(evs), by_chan(evs)) if evs else "0")
    for t, w in sorted(set(WRONGS.values()))[:20]:
        print("     first " + w.replace("\t", " "))
    evs = [e for e in EVENTS if e[3] in (HANG, CONNERR)]
    check(not evs, "every request answered (no connection refused or "
          "closed, no server silent for 5 s)",
          "%d: %s" % (len(evs), by_chan(evs)) if evs else "0")
    for e in evs[:4]:
        print("     %.1f %s: %s %s" % (e[0], e[1], e[3], e[4]))
    temps = [e for e in EVENTS if e[3] == TEMP]
    late = [e for e in temps if not excused(e[0], e[0], e[2])]
    check(not late, "TEMP only while the store is unusable, or within "
          "%.0f s after" % GRACE, "%d of %d TEMP answers outside: %s" % (
              len(late), len(temps), by_chan(late)) if late else
          "%d TEMP answers, all during faults" % len(temps))
    for e in late[:6]:
        print("     %.1f %s: %s" % (e[0], e[1], e[4]))
    slow = [x for x in rts if x[1] > GRACE]
    check(not slow, "answers again within %.0f s after the store is usable"
          % GRACE, "%d of %d faults: %s" % (len(slow), len(rts), ", ".join(
              "%s %.1f s" % (x[0]["label"], x[1]) for x in slow[:8])) if slow
          else "%d faults, max %.2f s" % (
              len(rts), max([x[1] for x in rts] or [0])))
    fails = [f for f in wr.fails if not excused(f[0], f[1], None)]
    check(not fails, "no writer failed (exit 75) while the store was usable",
          "%d of %d exit-75 runs outside faults; first: %s" % (
              len(fails), len(wr.fails), "; ".join(
                  "%.1f %s: %s" % (f[0], f[2], f[4]) for f in fails[:3]))
          if fails else "%d exit-75 runs, all during faults" % len(wr.fails))
    check(not wr.odd, "no writer crashed, hung or gave an odd status",
          "%d: %s" % (len(wr.odd), "; ".join(wr.odd[:4])) if wr.odd else "0")
    lost, partial, checked, problems = ledger
    check(not lost, "every acknowledged write present at the end",
          "%d of %d keys wrong: %s" % (len(lost), checked, "; ".join(
              lost[:4])) if lost else "%d keys, %d writes acknowledged" % (
              checked, sum(wr.acks.values())))
    check(not partial, "an import is all or nothing",
          "%d partial: %s" % (len(partial), "; ".join(partial[:3]))
          if partial else "%d batches" % len(wr.groups))
    check(not problems["verify"], "vudbadm verify clean at the end",
          problems["verify"] or "exit 0")
    check(not problems["stop"], "servers and readers stopped cleanly",
          "; ".join(problems["stop"]) if problems["stop"] else "ok")
    n, f = len(CHECKS), CHECKS.count(False)
    print("faults: %d checks, %d failed" % (n, f), flush=True)
    return f


def ledger_check(wr):
    """compare the store with what the writers were told"""
    lost, partial = [], []
    rc, out, err = adm("export", timeout=120)
    if rc != 0:
        return (["export failed (%d): %s" % (rc, err.decode().strip())],
                [], 0)
    present = {}
    for line in out.decode().splitlines():
        o = json.loads(line)
        if o.get("type") == "user":
            present[o["name"]] = o.get("attrs", {}).get("password")
    for d in READ_DOMAINS:
        for n in range(NUSERS):
            u = "u%02d@%s" % (n, d)
            if u not in present:
                lost.append("stable user %s missing" % u)
    keys = list(wr.keys.values())
    for k in keys:
        if k.broken:
            lost.append("%s: %s" % (k.name, k.broken))
            continue
        here = k.name in present
        cands = [s for s in k.possible if (s is not ABSENT) == here]
        if not cands:
            lost.append("%s: %s, should be %s (%d acknowledged writes)" % (
                k.name, "present" if here else "absent", k.describe(),
                k.acked))
            continue
        if not here or UNKNOWN_PW in cands:
            continue
        if k.group is not None:
            # imported with a prepared hash: stored as it was given
            if present[k.name] != IMPORT_HASH:
                lost.append("%s: imported hash not stored as given" %
                            k.name)
            continue
        for pw in cands:
            rc, out, err = adm("auth", k.name, inp=(pw + "\n").encode())
            if rc == 0:
                break
        else:
            lost.append("%s: none of its possible passwords is accepted "
                        "(should be %s)" % (k.name, k.describe()))
    for name, ks, outcome in wr.groups:
        n = sum(1 for k in ks if k.name in present)
        if n not in (0, len(ks)):
            partial.append("%s: %d of %d users (%s)" % (
                name, n, len(ks), outcome))
    return lost, partial, len(keys)


def main():
    say("faults: backend %s, seed %d, scenarios %s" % (
        BACKEND, SEED, ",".join(ONLY)))
    say("faults: reproduce with FAULTS_SEED=%d FAULTS_BACKEND=%s "
        "FAULTS_ONLY=%s make check-faults" % (SEED, BACKEND, ",".join(ONLY)))
    mount_fs()
    say("file system: %s" % FS_USED)
    problems = {"verify": None, "stop": []}
    wr = Writers(RNG.getrandbits(32))
    servers = [Mapd("mapd-w1", 1), Mapd("mapd-w2", 2)]
    threads = []
    try:
        make_store()
        say("store %s: %d domains of %d users, %d aliases each" % (
            URL, len(READ_DOMAINS), NUSERS, NALIASES))
        for s in servers:
            if not s.start():
                raise RuntimeError("%s did not start: %s" % (
                    s.name, open(s.log).read()[-500:]))
        for s in servers:
            for proto in ("socketmap", "socketmap", "tcp_table",
                          "tcp_table"):
                threads.append(threading.Thread(target=reader_loop, args=(
                    s, proto, False, RNG.getrandbits(32)), daemon=True))
            threads.append(threading.Thread(target=reader_loop, args=(
                s, "socketmap", True, RNG.getrandbits(32)), daemon=True))
        threads.append(threading.Thread(target=cpw_loop, args=(
            RNG.getrandbits(32),), daemon=True))
        if LUA:
            threads.append(threading.Thread(target=lua_loop, args=(
                RNG.getrandbits(32),), daemon=True))
        else:
            say("no lua5.4 or no vudb.so: the Lua reader is left out")
        threads.append(threading.Thread(target=supervise, args=(servers,),
                                        daemon=True))
        set_phase("baseline")
        for t in threads:
            t.start()
        wr.start()
        set_phase("baseline")
        wr.on.set()
        time.sleep(3)
        with REC_LOCK:
            base = (sum(v for k, v in COUNT.items() if k[0] == "baseline" and
                        k[2] != GOOD),
                    sum(v for k, v in COUNT.items() if k[0] == "baseline"))
        progress("baseline", wr)
        ran = {}
        seeds = [RNG.getrandbits(32) for i in range(3)]
        if "kills" in ONLY:
            ran["kills"] = scenario_kills(wr)
        if "disk" in ONLY:
            if scenario_disk(wr):
                ran["disk"] = True
        if "truncate" in ONLY:
            ran["truncate"] = scenario_truncate(wr, seeds[2])
        wr.kill_p = 0.0
        settle(3.0, "settle at the end")
        wr.on.clear()
        progress("end", wr)
        if timed_out():
            say("the campaign ran out of time (FAULTS_TIMEOUT=%d)" % LIMIT)
            problems["stop"].append("ran out of time")
        STOP.set()
        wr.join()
        for t in threads:
            t.join(30)
            if t.is_alive():
                problems["stop"].append("a reader thread did not end")
        for s in servers:
            p = s.stop()
            if p:
                problems["stop"].append("%s %s" % (s.name, p))
            with open(s.log, "rb") as f:
                rep = sanitizer_report(f.read())
            if rep:
                crash(s.name, "sanitizer: " + rep)
        for p in LUA_END:
            if p:
                problems["stop"].append(p)
        rc, out, err = adm("verify", timeout=120)
        if rc != 0:
            problems["verify"] = "exit %d: %s" % (rc, (out + err).decode(
                errors="replace").strip()[:400])
        ledger = ledger_check(wr)
        say("final checks done")
        failed = summarize(wr, ran, base, ledger + (problems,))
        return 1 if failed else 0
    finally:
        STOP.set()
        wr.stop.set()
        wr.on.set()
        reap_all()
        if not umount_fs():
            print("FAIL could not unmount %s" % MNT)


def on_term(sig, frame):
    raise SystemExit("signal %d" % sig)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    try:
        sys.exit(main())
    except RuntimeError as e:
        print("faults: setup failed: %s" % e)
        print("faults: 1 checks, 1 failed")
        sys.exit(1)
    except Exception:
        import traceback
        traceback.print_exc()
        print("faults: the campaign itself failed")
        print("faults: 1 checks, 1 failed")
        sys.exit(1)
