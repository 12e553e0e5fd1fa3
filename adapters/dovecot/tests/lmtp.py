# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# lmtp.py - one LMTP delivery to the private Dovecot of dovecot-auth.sh,
# whose RCPT goes through the checkpassword userdb (AUTHORIZED=1,
# SERVICE=lmtp):
#
#   python3 lmtp.py PORT RCPT CODE
#
# CODE is the RCPT reply code expected: 250 (then the message is sent
# and must be accepted), 550 (user unknown) or 451 (temporary failure).
# Prints one line; exits 0 when the expectation holds, 1 otherwise.
import smtplib
import sys

port, rcpt, want = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
lmtp = smtplib.LMTP("127.0.0.1", port, timeout=20)
try:
    lmtp.ehlo_or_helo_if_needed()
    lmtp.mail("sender@example.org")
    code, text = lmtp.rcpt(rcpt)
    if code != want:
        print("lmtp %s: FAIL: RCPT %d %s, want %d" % (rcpt, code, text, want))
        sys.exit(1)
    if code == 250:
        code, text = lmtp.data(("From: sender@example.org\r\nTo: %s\r\n"
                                "Subject: lmtp\r\n\r\nhi\r\n" % rcpt).encode())
        if code != 250:
            print("lmtp %s: FAIL: DATA %d %s" % (rcpt, code, text))
            sys.exit(1)
    print("lmtp %s: ok (RCPT %d %s)" % (rcpt, want, text.decode()))
finally:
    try:
        lmtp.quit()
    except smtplib.SMTPException:
        pass
