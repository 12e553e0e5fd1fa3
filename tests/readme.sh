#!/bin/sh
# readme.sh - README.md shows the Postfix and Dovecot settings exactly as
# the files under examples/ hold them, the files the end-to-end and Dovecot
# tests run: what a user copies is what was tested.
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
exit $status
