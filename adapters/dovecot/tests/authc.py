# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# authc.py - logins straight through Dovecot's auth-client socket (the
# protocol its login processes speak: VERSION, CPID, AUTH ... PLAIN), so
# that a test can send names no IMAP client would (empty, 10,000 bytes,
# invalid UTF-8, NUL inside) and see Dovecot's own answer:
#
#   python3 authc.py SOCKET SERVICE USER PASSWORD
#	prints OK, FAIL or TEMP (a temporary failure) and the reply line;
#	USER and PASSWORD may hold \xNN escapes (bytes), \x00 included.
import base64
import socket
import sys


def unescape(s):
    return s.encode("utf-8").decode("unicode_escape").encode("latin-1")


def login(path, service, user, password, timeout=30):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    f = s.makefile("rwb", buffering=0)
    f.write(b"VERSION\t1\t2\nCPID\t%d\n" % (1000000 + (hash(user) & 0xffff)))
    # the server's handshake ends with DONE
    while True:
        line = f.readline()
        if not line:
            raise SystemExit("auth-client: connection closed in handshake")
        if line.startswith(b"DONE"):
            break
    resp = base64.b64encode(b"\0" + user + b"\0" + password)
    f.write(b"AUTH\t1\tPLAIN\tservice=" + service.encode() +
            b"\tsecured\tno-penalty\tresp=" + resp + b"\n")
    line = f.readline().rstrip(b"\n")
    s.close()
    return line


def main():
    path, service, user, password = sys.argv[1:5]
    line = login(path, service, unescape(user), unescape(password))
    fields = line.split(b"\t")
    if fields[0] == b"OK":
        verdict = "OK"
    elif fields[0] == b"FAIL" and b"code=temp_fail" in fields or \
            fields[0] == b"FAIL" and b"temp" in fields:
        verdict = "TEMP"
    elif fields[0] == b"FAIL":
        verdict = "FAIL"
    else:
        verdict = "OTHER"
    print(verdict, line[:200].decode("utf-8", "replace"))


if __name__ == "__main__":
    main()
