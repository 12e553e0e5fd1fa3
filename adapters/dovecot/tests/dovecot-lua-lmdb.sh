#!/bin/sh
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# dovecot-lua-lmdb.sh - dovecot-lua.sh on an LMDB store: every reader
# maps its domain files inside Dovecot's auth worker, under its limits.
: "${top_srcdir:=.}"
DV_DRIVER=lua DV_BACKEND=lmdb
. "$top_srcdir/adapters/dovecot/tests/dovecot-auth.sh"
