#!/bin/sh
# fuzz-cpw.sh - build the libFuzzer target of vudb-checkpassword's fd-3
# parser (adapters/dovecot/fuzz_cpw.c) with clang and run it for
# FUZZ_SECONDS seconds (default 25), from a seed corpus of real requests.
# Skipped (77) without clang or libFuzzer.  FUZZ_KEEP=1 keeps the work
# directory (and any crash-* file) for a look.
srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
secs=${FUZZ_SECONDS:-25}
cc=${FUZZ_CC:-clang}
command -v "$cc" >/dev/null 2>&1 || { echo "no $cc: fuzzing skipped"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/cpwfuzz.XXXXXX") || exit 99
[ -n "${FUZZ_KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' \
    > "$work/probe.c"
if ! $cc -fsanitize=fuzzer "$work/probe.c" -o "$work/probe" 2>/dev/null
then
	echo "$cc has no libFuzzer (libclang-rt-14-dev): fuzzing skipped"
	exit 77
fi
d=$srcdir/adapters/dovecot
if ! $cc -g -O1 -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined -I"$builddir" -I"$d" \
    "$d/fuzz_cpw.c" "$d/cpw.c" -o "$work/fuzz_cpw"; then
	echo "fuzz_cpw: build failed"; exit 1
fi
mkdir "$work/corpus"
printf 'matsui@pc1.example\0secret\0\0' > "$work/corpus/login"
printf 'matsui@pc1.example\0\0\0' > "$work/corpus/lookup"
printf 'u\0p\0<1.2@h>\0more\0' > "$work/corpus/apop"
printf 'u\0p\0\0junk' > "$work/corpus/junk"
if (cd "$work" && ./fuzz_cpw -max_total_time="$secs" -max_len=600 \
    -print_final_stats=1 corpus > fuzz.log 2>&1); then
	echo "fuzz_cpw: $(grep -o 'stat::number_of_executed_units: *[0-9]*' \
	    "$work/fuzz.log" | grep -o '[0-9]*$') runs, no failure in ${secs}s"
else
	tail -40 "$work/fuzz.log"; echo "fuzz_cpw: FAILED"; exit 1
fi
exit 0
