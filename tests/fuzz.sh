#!/bin/sh
# fuzz.sh - build the libFuzzer targets with clang and run each for
# FUZZ_SECONDS seconds (default 10).  Skipped (77) without clang/libFuzzer.
srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
secs=${FUZZ_SECONDS:-10}
cc=${FUZZ_CC:-clang}
command -v "$cc" >/dev/null 2>&1 || { echo "no $cc: fuzzing skipped"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/vudbfuzz.XXXXXX") || exit 99
[ -n "${FUZZ_KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
libs="$(pkg-config --libs libidn2 libargon2 libxcrypt nettle 2>/dev/null) -lunistring"
flags="-g -O1 -fsanitize=fuzzer,address,undefined -I$builddir -I$srcdir/lib"
lib="$srcdir/lib/record.c $srcdir/lib/name.c $srcdir/lib/password.c"
echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' > "$work/probe.c"
if ! $cc -fsanitize=fuzzer "$work/probe.c" -o "$work/probe" 2>/dev/null; then
	echo "$cc has no libFuzzer (install libclang-rt-dev): fuzzing skipped"
	exit 77
fi
status=0
for t in fuzz_record fuzz_name; do
	# shellcheck disable=SC2086
	if ! $cc $flags "$srcdir/tests/fuzz/$t.c" $lib $libs -o "$work/$t"; then
		echo "$t: build failed"; status=1; continue
	fi
	mkdir -p "$work/corpus-$t"
	if (cd "$work" && "./$t" -max_total_time="$secs" -print_final_stats=0 \
	    "corpus-$t" >"$t.log" 2>&1); then
		echo "$t: $(grep -c '' "$work/$t.log") log lines, no failure in ${secs}s"
	else
		tail -40 "$work/$t.log"; echo "$t: FAILED"; status=1
	fi
done
exit $status
