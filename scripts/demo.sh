#!/bin/sh
# demo.sh - Quick start, command 1: install, build, and run the main job:
# a store with two domains that share the user name matsui, and the
# answers Postfix would get for them.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
store=${VUDB_DEMO_STORE:-/tmp/vudb-demo}
"$top/scripts/install-deps.sh"
"$top/scripts/build.sh" "$top/build"
lookup=$top/build/examples/vudb-lookup
rm -rf "$store"
"$lookup" -d "$store" -i
echo "demo store: $store"
for q in "domain pc1.example pc2.example other.example" \
    "mailbox matsui@pc1.example Matsui+tag@PC2.example nobody@pc1.example" \
    "alias info@pc1.example anything@pc2.example matsui@pc2.example" \
    "sender matsui@pc1.example info@pc1.example" \
    "uid matsui@pc2.example"; do
	# shellcheck disable=SC2086
	"$lookup" -d "$store" $q || true
done
