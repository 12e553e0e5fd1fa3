#!/bin/sh
# readme.sh - README.md shows the Postfix and Dovecot settings exactly as
# the files under examples/ hold them, the files the end-to-end and Dovecot
# tests run: what a user copies is what was tested.  And one layout: the
# Debian packages install what README names where it names it, README's
# vudb-mapd command, vudb-mapd(8) and the systemd units agree on the
# socket, its group and mode and the user, and no page points at
# /run/vudb, runs vudb-mapd as vmail, or names /usr/local but for what
# make install does.
srcdir=${top_srcdir:-.}
status=0
for f in main.cf dovecot-2.4-vudb.conf dovecot-2.3-vudb.conf \
    dovecot-2.3-checkpassword.conf; do
	if python3 - "$srcdir/README.md" "$srcdir/examples/$f" <<'PY'
import sys
readme = open(sys.argv[1]).read()
text = open(sys.argv[2]).read()
sys.exit(0 if ("```\n" + text + "```\n") in readme else 1)
PY
	then
		echo "ok   README.md shows examples/$f as it is"
	else
		echo "FAIL README.md does not show examples/$f as it is"
		status=1
	fi
done

# One layout (issue 15): README, the man pages, examples/, the systemd
# units and the Debian packages name the same paths and the same users.
python3 - "$srcdir" <<'PY' || status=1
import glob, os, re, sys
top = sys.argv[1]
def rd(p):
    return open(os.path.join(top, p)).read()
readme = rd("README.md")
svc = rd("systemd/vudb-mapd.service")
sock = rd("systemd/vudb-mapd.socket")
mapd8 = rd("man/vudb-mapd.8")
bad = 0
def check(what, cond):
    global bad
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        bad = 1
def unit(text, key):
    m = re.search(r"^" + key + r"=((?:.*\\\n)*.*)$", text, re.M)
    return " ".join(m.group(1).replace("\\\n", " ").split()) if m else None

# the packages install what README names, where it names it
installed = set()
for f in glob.glob(os.path.join(top, "debian", "*.install")):
    for line in open(f):
        w = line.split()
        if not w:
            continue
        if len(w) == 1:
            installed.add("/" + w[0])
        else:
            installed.add("/" + w[1].strip("/") + "/" + os.path.basename(w[0]))
for path in ("/usr/sbin/vudbadm", "/usr/sbin/vudb-mapd",
             "/usr/libexec/vudb/vudb-checkpassword",
             "/usr/share/vudb/dovecot-auth.lua",
             "/usr/lib/*/lua/5.4/vudb.so"):
    check("the packages install " + path, path in installed)
for path in ("/usr/libexec/vudb/vudb-checkpassword",
             "/usr/share/vudb/dovecot-auth.lua", "/var/lib/vudb",
             "/var/spool/postfix/private/vudb-mapd"):
    check("README names " + path, path in readme)

# the units: README's vudb-mapd command, the socket and the service agree
listen = unit(sock, "ListenStream")
start = unit(svc, "ExecStart")
check("the socket unit listens on /var/spool/postfix/private/vudb-mapd",
      listen == "/var/spool/postfix/private/vudb-mapd")
check("the service's -l is the socket's path",
      start is not None and "-l socketmap:unix:" + str(listen) in start)
check("the service runs as vudb (User=, Group=)",
      unit(svc, "User") == "vudb" and unit(svc, "Group") == "vudb")
m = re.search(r"^vudb-mapd ((?:.*\\\n)*.*)$", readme, re.M)
cmd = " ".join(m.group(1).replace("\\\n", " ").split()) if m else ""
check("README runs vudb-mapd as the unit does: -u vudb, the socket's "
      "path, group and mode",
      "-u vudb" in cmd and "-l socketmap:unix:" + str(listen) in cmd and
      "-g " + str(unit(sock, "SocketGroup")) in cmd and
      "-m " + str(unit(sock, "SocketMode")) in cmd)
m = re.search(r"^ExecStart=((?:.*\\e\n)*.*)$", mapd8, re.M)
page = " ".join(m.group(1).replace("\\e\n", " ").split()) if m else ""
check("vudb-mapd(8) shows the service's ExecStart= as it is",
      page == start)
check("the sysusers.d entry makes the user vudb with home /var/lib/vudb",
      re.search(r"^u vudb .* /var/lib/vudb$",
                rd("systemd/sysusers.d/vudb.conf"), re.M) is not None)

# nothing points elsewhere: no /run/vudb, no user vmail for vudb-mapd,
# /usr/local only where a page says what make install does
stray = 0
files = ["README.md"] + [os.path.relpath(f, top) for f in
    sorted(glob.glob(os.path.join(top, "man", "*.[0-9]"))) +
    sorted(glob.glob(os.path.join(top, "examples", "*")))] \
    + ["systemd/vudb-mapd.service", "systemd/vudb-mapd.socket"]
for f in files:
    p = f
    text = rd(p)
    for n, line in enumerate(text.splitlines(), 1):
        if "/run/vudb" in line:
            check("%s:%d: no /run/vudb" % (p, n), False); stray = 1
        if re.search(r"vudb-mapd.*-u vmail|-u vmail.*vudb-mapd", line):
            check("%s:%d: vudb-mapd runs as vudb, not vmail" % (p, n), False)
            stray = 1
        if "/usr/local" in line and "make install" not in line \
                and "default prefix" not in line:
            check("%s:%d: /usr/local only for make install" % (p, n), False)
            stray = 1
check("no /run/vudb, -u vmail or stray /usr/local in README, man/, "
      "examples/, systemd/", stray == 0)
sys.exit(bad)
PY
exit $status
