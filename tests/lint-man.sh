#!/bin/sh
# lint-man.sh - every manual page must pass mandoc -Tlint -Wwarning.
srcdir=${top_srcdir:-.}
mandoc=${MANDOC:-$(command -v mandoc)}
if [ -z "$mandoc" ]; then
	echo "mandoc not found: install mandoc"; exit 77
fi
status=0 n=0
for page in "$srcdir"/man/*.[0-9]; do
	n=$((n + 1))
	out=$("$mandoc" -Tlint -Wwarning "$page" 2>&1)
	if [ -n "$out" ]; then
		echo "$out"; status=1
	fi
done
echo "lint-man: $n pages checked"
exit $status
