#!/bin/sh
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# faults-bdb.sh - the fault campaign (tests/faults.sh) on the Berkeley DB
# backend; run by "make check-faults", not by "make check".
: "${top_srcdir:=.}"
exec "${SHELL:-/bin/sh}" "$top_srcdir/tests/faults.sh" bdb
