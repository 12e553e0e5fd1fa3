#!/bin/sh
# build.sh DIR [CONFIGURE-ARGS...] - configure and build out of tree in DIR.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$1; shift
[ -x "$top/configure" ] || (cd "$top" && autoreconf -fi >/dev/null 2>&1)
mkdir -p "$dir"
cd "$dir"
"$top/configure" --quiet "$@"
make -j"$(nproc)" >/dev/null
