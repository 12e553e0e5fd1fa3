#!/bin/sh
# demo.sh - Quick start, command 1: install, build, and run the main job:
# a store with two domains that share the user name matsui, made with
# vudbadm, served by vudb-mapd on loopback, and the answers the real
# Postfix client (postmap) gets from it over socketmap and tcp_table.
# vudb-mapd is stopped at the end; the store stays for you to explore.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
store=${VUDB_DEMO_STORE:-/tmp/vudb-demo}
port=${VUDB_DEMO_PORT:-10020}
"$top/scripts/install-deps.sh"
"$top/scripts/build.sh" "$top/build"
adm=$top/build/tools/vudbadm/vudbadm
mapd=$top/build/adapters/postfix/vudb-mapd

# ---- the store: two domains, each with its own matsui
rm -rf "$store"
"$adm" -d "$store" init
"$adm" -d "$store" set password_scheme SHA512-CRYPT
for d in pc1.example pc2.example; do
	"$adm" -d "$store" domain add "$d"
done
printf 'secret-one\n' | "$adm" -d "$store" user add matsui@pc1.example --password-stdin
printf 'secret-two\n' | "$adm" -d "$store" user add matsui@pc2.example --password-stdin
"$adm" -d "$store" user add --no-password postmaster@pc2.example --quota 1G </dev/null
"$adm" -d "$store" alias add info@pc1.example matsui@pc1.example
"$adm" -d "$store" alias add @pc2.example postmaster@pc2.example
echo "== store $store"
"$adm" -d "$store" user list

# ---- vudb-mapd on loopback, asked by Postfix's own client
conf=$(mktemp -d "${TMPDIR:-/tmp}/vudb-demo-postfix.XXXXXX")
trap 'kill "$pid" 2>/dev/null; rm -rf "$conf"' EXIT INT TERM
printf 'compatibility_level = 3.6\n' > "$conf/main.cf"
"$mapd" -f -d "$store" -l "socketmap:inet:127.0.0.1:$port" \
    -l "tcp:mailbox:inet:127.0.0.1:$((port + 1))" 2>"$conf/mapd.log" &
pid=$!
i=0
until postmap -c "$conf" -q pc1.example \
    "socketmap:inet:127.0.0.1:$port:domain" >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -ge 50 ]; then cat "$conf/mapd.log"; exit 1; fi
	sleep 0.1
done
echo "== vudb-mapd on 127.0.0.1:$port (socketmap) and :$((port + 1)) (tcp_table)"
q() {	# q MAP KEY: what Postfix gets
	if a=$(postmap -c "$conf" -q "$2" "socketmap:inet:127.0.0.1:$port:$1"); then
		printf '%-9s %-28s -> %s\n' "$1" "$2" "$a"
	else
		printf '%-9s %-28s -> (not found)\n' "$1" "$2"
	fi
}
q domain pc1.example
q domain other.example
q mailbox matsui@pc1.example
q mailbox Matsui+tag@PC2.example
q mailbox nobody@pc1.example
q alias info@pc1.example
q alias anything@pc2.example
q alias matsui@pc2.example
q sender matsui@pc1.example
q sender info@pc1.example
printf '%-9s %-28s -> %s\n' "tcp_table" "matsui@pc2.example" \
    "$(postmap -c "$conf" -q matsui@pc2.example "tcp:127.0.0.1:$((port + 1))")"
echo "== the same answers without a server: $adm -d $store lookup MAP KEY"
