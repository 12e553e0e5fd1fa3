#!/bin/sh
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# dovecot-lua.sh - the login matrix of dovecot-auth.sh through Dovecot's
# Lua passdb and userdb: the vudb Lua module and dovecot-auth.lua, with
# examples/dovecot-2.3-vudb.conf as README shows it.
: "${top_srcdir:=.}"
DV_DRIVER=lua
. "$top_srcdir/adapters/dovecot/tests/dovecot-auth.sh"
