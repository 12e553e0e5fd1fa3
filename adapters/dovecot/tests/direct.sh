#!/bin/sh
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# direct.sh - vudb-checkpassword run by hand with descriptor 3 (direct.py):
# every exit status, malformed requests, exported fields, secrets, timing
# and the group vudb, against a store made by mkstore from store.txt with
# the modes vudb-checkpassword(8) documents.  Needs python3; the parts
# that create the group vudb and run as user dovecot need root.
: "${top_srcdir:=.}" "${top_builddir:=.}"
. "$top_srcdir/adapters/dovecot/tests/dovecot.sh"
command -v python3 >/dev/null 2>&1 || { echo "no python3: skipped"; exit 77; }
trap 'dv_cleanup' EXIT
trap 'exit 1' INT TERM HUP
dv_init vudbcpw || exit 99
if [ "$(id -u)" = 0 ]; then
	dv_group && dv_vmail || exit 99
else
	DV_UID=$(id -u) DV_GID=$(id -g)
	dv_store_perms() { :; }
	chown() { :; }
fi
dv_store "$DV_DIR/store" "$DV_SRC/store.txt" || exit 99
# a copy user dovecot can reach whatever the modes of the build tree
mkdir "$DV_DIR/bin" && cp "$DV_HELPER" "$DV_DIR/bin/" &&
    chmod 0755 "$DV_DIR/bin" "$DV_DIR/bin/vudb-checkpassword" || exit 99
MAIL_BASE=$DV_DIR/mail MAIL_UID=$DV_UID MAIL_GID=$DV_GID \
    python3 "$DV_SRC/direct.py" "$DV_DIR/bin/vudb-checkpassword" \
    "$DV_DIR/store"
