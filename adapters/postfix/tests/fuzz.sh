#!/bin/sh
# fuzz.sh - build vudb-mapd's libFuzzer targets (fuzz_netstring.c,
# fuzz_tcp.c, over proto.c) with clang, ASan and UBSan, and run both at
# once for FUZZ_SECONDS seconds each (default 30).  Skipped (77) without
# clang or libFuzzer.  Longer runs by hand: adapters/postfix/README.
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
secs=${FUZZ_SECONDS:-30}
cc=${FUZZ_CC:-clang}
command -v "$cc" >/dev/null 2>&1 || { echo "no $cc: fuzzing skipped"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/mapdfuzz.XXXXXX") || exit 99
[ -n "${FUZZ_KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' \
    > "$work/probe.c"
if ! $cc -fsanitize=fuzzer "$work/probe.c" -o "$work/probe" 2>/dev/null; then
	echo "$cc has no libFuzzer (install libclang-rt-dev): skipped"
	exit 77
fi
pf=$srcdir/adapters/postfix
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
flags="$flags -I$builddir -I$pf"
status=0
for t in fuzz_netstring fuzz_tcp; do
	# shellcheck disable=SC2086
	if ! $cc $flags "$pf/$t.c" "$pf/proto.c" -o "$work/$t"; then
		echo "$t: build failed"; status=1
	fi
done
[ $status -eq 0 ] || exit 1
# seeds: what real clients send
mkdir -p "$work/corpus-fuzz_netstring" "$work/corpus-fuzz_tcp"
printf '26:mailbox matsui@pc1.example,18:domain pc2.example,' \
    > "$work/corpus-fuzz_netstring/seed1"
printf '6:alias ,0:,' > "$work/corpus-fuzz_netstring/seed2"
printf 'get matsui%%2Btag@PC2.example\nget %%C3%%BC\r\nput a b\n' \
    > "$work/corpus-fuzz_tcp/seed1"
pids=
for t in fuzz_netstring fuzz_tcp; do
	(cd "$work" && "./$t" -max_total_time="$secs" -max_len=20000 \
	    -print_final_stats=0 "corpus-$t" >"$t.log" 2>&1
	echo $? > "$t.rc") &
	pids="$pids $!"
done
for p in $pids; do
	wait "$p"
done
for t in fuzz_netstring fuzz_tcp; do
	if [ "$(cat "$work/$t.rc")" = 0 ]; then
		echo "$t: $(grep -c '' "$work/$t.log") log lines," \
		    "$(ls "$work/corpus-$t" | wc -l) corpus files," \
		    "no failure in ${secs}s"
	else
		tail -40 "$work/$t.log"; echo "$t: FAILED"; status=1
	fi
done
exit $status
