# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# imap.py - IMAP logins against the private Dovecot of dovecot-auth.sh,
# with Python's imaplib, on 127.0.0.1:PORT:
#
#   python3 imap.py PORT ok USER PASS [MAILDIR]
#	LOGIN, SELECT INBOX, APPEND a message, SELECT again (one more
#	message); with MAILDIR, the message is a file in MAILDIR/new
#   python3 imap.py PORT cram USER PASS
#	AUTHENTICATE CRAM-MD5 (Dovecot asks the helper for the stored hash,
#	CREDENTIALS_LOOKUP), then SELECT INBOX
#   python3 imap.py PORT refused USER PASS
#	LOGIN fails with [AUTHENTICATIONFAILED]
#   python3 imap.py PORT tempfail USER PASS
#	LOGIN fails with [UNAVAILABLE]
#
# Prints one line and exits 0 when the expectation holds, 1 otherwise.
import imaplib
import os
import sys
import time

port, mode, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], \
    sys.argv[4]
maildir = sys.argv[5] if len(sys.argv) > 5 else None


def fail(why):
    print("imap %s %s: FAIL: %s" % (mode, user, why))
    sys.exit(1)


imap = imaplib.IMAP4("127.0.0.1", port, timeout=20)
try:
    if mode in ("refused", "tempfail"):
        try:
            imap.login(user, password)
        except imaplib.IMAP4.error as e:
            text = str(e)
            want = "AUTHENTICATIONFAILED" if mode == "refused" \
                else "UNAVAILABLE"
            if want not in text:
                fail("expected %s, got %s" % (want, text))
            print("imap %s %s: ok (%s)" % (mode, user, text))
            sys.exit(0)
        fail("login accepted")
    if mode == "cram":
        typ, _ = imap.login_cram_md5(user, password)
    else:
        typ, _ = imap.login(user, password)
    if typ != "OK":
        fail("login: %s" % typ)
    typ, data = imap.select("INBOX")
    if typ != "OK":
        fail("select: %s %s" % (typ, data))
    before = int(data[0])
    if mode == "ok":
        msg = ("From: test@example.org\r\nTo: %s\r\nSubject: for %s\r\n\r\n"
               "hello\r\n" % (user, user)).encode()
        typ, data = imap.append("INBOX", None, imaplib.Time2Internaldate(
            time.time()), msg)
        if typ != "OK":
            fail("append: %s %s" % (typ, data))
        typ, data = imap.select("INBOX")
        if typ != "OK" or int(data[0]) != before + 1:
            fail("select after append: %s %s" % (typ, data))
        if maildir is not None:
            found = [f for d in ("new", "cur")
                     for f in os.listdir(os.path.join(maildir, d))]
            if len(found) != before + 1:
                fail("%d files in %s" % (len(found), maildir))
    imap.logout()
    print("imap %s %s: ok (INBOX had %d)" % (mode, user, before))
finally:
    try:
        imap.shutdown()
    except OSError:
        pass
