#!/bin/sh
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# auth.sh - make bench: what a login costs through a real Dovecot with
# our Lua passdb/userdb (the vudb module and dovecot-auth.lua, as
# examples/dovecot-2.3-vudb.conf has them), against the baseline, the
# same logins with Dovecot's own passwd-file passdb/userdb (the best
# simple thing an admin would use), and against vudb-checkpassword
# (examples/dovecot-2.3-checkpassword.conf: a process per login).
# Same Dovecot, same run, same users (NDOM domains of NUSER users, 3 x
# 100) and the same {SHA512-CRYPT} hash strings: the passwd-file is
# written first and the stores are imported from it (vudbadm import
# --format passwd-file).  Dovecot keeps its default limits (vsz_limit
# 256M, auth_cache_size 0); failure delays and the anvil penalty are off,
# as in the tests' frame (tests/dovecot.sh, dovecot.conf.in).
#
# Every setup is its own private Dovecot instance, all running at once;
# the C client authbench logs in through their sockets in interleaved
# rounds (best of BENCH_ROUNDS, default 15, rounds of AUTH_BENCH_LOGINS,
# default 100, logins each; vudb-checkpassword a quarter of that), one
# request at a time (AUTH_BENCH_CONC) on one connection:
#   auth.NAME	AUTH PLAIN on the auth-client socket (what Postfix's SMTP
#		AUTH does): the passdb alone.  These are the fixed names.
#   auth.NAME.imap	an IMAP login as Dovecot's processes make it: AUTH
#		on login/login, then the REQUEST of the post-login process
#		on auth-master, i.e. the passdb and then the userdb.
#   auth.NAME.c4	auth.NAME with AUTH_BENCH_CONC_HIGH (default 4; 0:
#		not measured) requests at a time, in a second pass, for
#		passwd-file and lua: throughput, where auth workers share
#		the CPUs and passwd-file's single auth process cannot.
# Setups: passwd-file (in the auth process: 2.3's passwd-file cannot use
# a worker), lua (blocking=yes, as the example: the script runs in the
# auth-worker processes), lua-inproc (blocking=no: in the auth process,
# like passwd-file), checkpw, and lua-table (table-auth.lua beside this
# file, where lua runs: the passwd-file in a Lua table, Dovecot verifies
# the hash; lua/lua-table is what the vudb module and library cost, and
# lua-table/passwd-file what Dovecot's Lua in a worker costs); on Dovecot
# 2.4 also passwd-file-worker (use_worker = yes, like lua), and no
# checkpw (2.4 removed it).  The Lua and
# checkpassword setups run on a store of each backend in
# AUTH_BENCH_BACKENDS (default "bdb lmdb"): the first one's figures carry
# the plain names, the others' a suffix (auth.lua.lmdb).  A setup that
# fails (every user logs in once first, and every reply must be OK) is
# reported as FAILED with Dovecot's reply and log, and the others still
# are measured.  For a reader it prints, per setup, the best, median and
# worst round and the CPU time that the instance's processes took per
# login (which a busy machine disturbs much less than the wall clock),
# with the ratios of the medians, of the CPU times and the median of the
# ratios of each round's pair (which cancels slow changes of the load),
# and in which processes vudb.so and the store are mapped; and the fixed
# lines
#
#	BENCH auth.SETUP[.BACKEND][.imap] <ms> ms/login	(best round)
#	RATIO auth.lua/passwd-file <x>	time, ours/baseline (best rounds)
#	RATIO auth.lua/checkpw <x>
#	RATIO auth.lua-inproc/passwd-file <x>	like with like: in-process
#	RATIO auth.lua/lua-table <x>		the vudb module and library
#	... the same for the other backends and for .imap
#	RATIO auth.lua/passwd-file.dovecot24 <x>, and the like, measured in
#		a Debian 13 root with Dovecot 2.4 (VUDB_TRIXIE_ROOT, default
#		/var/tmp/vudb-trixie-root, as tests/debian13.sh keeps it) when
#		a complete one exists: this tree is copied into it (make
#		distdir), built there, and this script runs there with
#		AUTH_BENCH_INNER=1, holding the root's lock (ROOT.lock, at most
#		AUTH_BENCH_LOCK_WAIT s, default 600) and mounting /proc there
#		if it is not.  Without a root, one line says so.
#
# Root only (Dovecot runs its services as dovecot); without root,
# Dovecot, its Lua plugin, the Lua module or python3 it says why and
# exits 0, so that make bench goes on.  Writes nothing outside its
# temporary directory but the group vudb, the user vmail (and dovecot's
# membership in vudb), as the tests do.  Everything it starts it stops by
# pid; every wait is bounded.  AUTH_BENCH_KEEP=1 keeps the directory.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
PATH=$PATH:/usr/sbin:/sbin
top_srcdir=$(cd "$top_srcdir" && pwd) || exit 1
top_builddir=$(cd "$top_builddir" && pwd) || exit 1
BACKENDS=${AUTH_BENCH_BACKENDS:-bdb lmdb}
ROUNDS=${BENCH_ROUNDS:-15}
LOGINS=${AUTH_BENCH_LOGINS:-100}
CONC=${AUTH_BENCH_CONC:-1}
CONC_HIGH=${AUTH_BENCH_CONC_HIGH:-4}
INNER=${AUTH_BENCH_INNER:-}
NDOM=3 NUSER=100
CLIENT=$top_builddir/adapters/dovecot/bench/authbench
VUDBADM=$top_builddir/tools/vudbadm/vudbadm
TABLE_LUA=$top_srcdir/adapters/dovecot/bench/table-auth.lua
TRIXIE=${VUDB_TRIXIE_ROOT:-/var/tmp/vudb-trixie-root}
W=

say() { echo "auth: $*"; }

# ---- can it run here?
skip() { say "skipped: $*"; exit 0; }
[ "$(id -u)" = 0 ] || skip "not root (Dovecot's services run as dovecot)"
for p in dovecot doveadm doveconf; do
	command -v $p >/dev/null 2>&1 || skip "no $p"
done
DOVECOT_VERSION=$(dovecot --version 2>/dev/null | awk '{ print $1 }')
case $DOVECOT_VERSION in
2.3.*)	DV24= ;;
2.4.*)	DV24=yes ;;
*)	skip "Dovecot $DOVECOT_VERSION: not 2.3 or 2.4" ;;
esac
[ -z "$DV24" ] && { command -v python3 >/dev/null 2>&1 || skip "no python3"; }
ls /usr/lib/dovecot/modules/auth/*lua* >/dev/null 2>&1 ||
    skip "no Lua plugin for Dovecot (dovecot-auth-lua)"
getent passwd dovecot >/dev/null || skip "no user dovecot"
for f in "$CLIENT" "$VUDBADM" "$top_builddir/adapters/dovecot/.libs/vudb.so"; do
	[ -x "$f" ] || [ -f "$f" ] || skip "$f is not built"
done
if ldd "$top_builddir/adapters/dovecot/.libs/vudb.so" 2>/dev/null |
    grep -q libasan; then
	skip "a sanitizer build: Dovecot's 256M address-space limit stops" \
	    "it; benchmark a plain build"
fi
. "$top_srcdir/adapters/dovecot/tests/dovecot.sh"

# ---- the instances: "NAME DIR PID" lines in $W/instances
cleanup() {
	if [ -n "$W" ] && [ -f "$W/instances" ]; then
		while read -r _n _d _p; do
			DV_DIR=$_d DV_CONF=$_d/dovecot.conf DV_PID=$_p dv_stop
		done < "$W/instances"
	fi
	if [ -n "$W" ] && [ -z "${AUTH_BENCH_KEEP:-}" ]; then
		rm -rf "$W"
	elif [ -n "$W" ]; then
		say "kept $W"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
# a reader that went away (make bench | head) must not leave Dovecots
trap 'exec >/dev/null 2>&1; exit 1' PIPE

W=$(mktemp -d "${TMPDIR:-/tmp}/vudbauth.XXXXXX") || exit 1
chmod 0711 "$W"
: > "$W/instances"
dv_group && dv_vmail ||
    { say "cannot make the group vudb or the user vmail"; exit 1; }

# ---- the users: addresses, passwords, one passwd-file, one store each
mkdir -p "$W/mail" && chown vmail:vmail "$W/mail" && chmod 0700 "$W/mail" ||
    exit 1
# passwords of 24 hex digits, from /dev/urandom
head -c $((NDOM * NUSER * 12)) /dev/urandom | od -An -v -tx1 |
    tr -d ' \n' | fold -w 24 | awk -v nu=$NUSER '{
	printf "u%03d@bench%d.example %s\n", (NR - 1) % nu + 1,
	    int((NR - 1) / nu) + 1, $0
}' > "$W/users.txt" && chmod 0600 "$W/users.txt" || exit 1
"$CLIENT" hash < "$W/users.txt" > "$W/hashes.txt" || exit 1
# user@domain:{SHA512-CRYPT}...:uid:gid::home::extra, as Dovecot's docs
PASSWD=$W/users.passwd
awk -v u="$DV_UID" -v g="$DV_GID" -v base="$W/mail" '{
	split($1, a, "@")
	printf "%s:%s:%s:%s::%s/%s/%s::userdb_quota_rule=*:storage=1G\n",
	    $1, $2, u, g, base, a[2], a[1]
}' "$W/hashes.txt" > "$PASSWD" && chgrp dovecot "$PASSWD" &&
    chmod 0640 "$PASSWD" || exit 1

STORES=
for b in $BACKENDS; do
	st=$W/store-$b
	if ! (umask 007 && "$VUDBADM" -d "$b:$st" init >/dev/null &&
	    "$VUDBADM" -d "$b:$st" import --format passwd-file \
	    "$PASSWD" >/dev/null &&
	    "$VUDBADM" -d "$b:$st" set mail_base "$W/mail" >/dev/null) \
	    2>"$W/store.err"; then
		say "no $b store: $(head -1 "$W/store.err")"
		continue
	fi
	dv_store_perms "$st" || exit 1
	STORES="$STORES $b"
done

# ---- Dovecot configurations

# conf23 KIND STORE - DV_CONF for Dovecot 2.3: the tests' frame and the
# example (dv_conf), or for passwd-file the frame alone and the stock
# passwd-file passdb/userdb (Debian's auth-passwdfile.conf.ext)
conf23() {
	_port=$(dv_port) || return 1
	case $1 in
	lua|lua-inproc)
		DV_DRIVER=lua dv_conf "$DV_DIR/dovecot.conf" "$2" "$_port" ;;
	lua-table)
		DV_DRIVER=lua dv_conf "$DV_DIR/dovecot.conf" none "$_port" &&
		    cp "$TABLE_LUA" "$DV_DIR/lib/" &&
		    chmod 0644 "$DV_DIR/lib/table-auth.lua" &&
		    sed -i -e 's|/dovecot-auth\.lua |/table-auth.lua |' -e \
		    "s|^import_environment = .*|& AUTH_BENCH_PASSWD=$PASSWD|" \
		    "$DV_CONF" ;;
	checkpw)
		DV_DRIVER=checkpassword dv_conf "$DV_DIR/dovecot.conf" "$2" \
		    "$_port" ;;
	passwd-file)
		DV_DRIVER=lua dv_conf "$DV_DIR/dovecot.conf" none "$_port" &&
		    sed -i '/^# ---- /,$d' "$DV_CONF" &&
		    cat >> "$DV_CONF" <<EOF
# ---- passwd-file (Debian's auth-passwdfile.conf.ext)
passdb {
  driver = passwd-file
  args = scheme=CRYPT username_format=%u $PASSWD
}
userdb {
  driver = passwd-file
  args = username_format=%u $PASSWD
}
mail_location = maildir:~/Maildir
EOF
		;;
	*)	return 1 ;;
	esac || return 1
	if [ "$1" = lua-inproc ]; then
		# the script in the auth process, which needs the group
		sed -i 's/ blocking=yes$/ blocking=no/' "$DV_CONF" &&
		    printf 'service auth {\n  extra_groups = vudb\n}\n' \
		    >> "$DV_CONF"
	fi
}

# conf24 KIND STORE - DV_CONF for Dovecot 2.4: a frame like the 2.3
# one (loopback, no TLS, no failure delay, no anvil penalty, default
# limits) and examples/dovecot-2.4-vudb.conf, or passwd-file
conf24() {
	mkdir -p "$DV_DIR/run" "$DV_DIR/state" "$DV_DIR/log" \
	    "$DV_DIR/lib" "$DV_DIR/spool/private" || return 1
	chmod 0755 "$DV_DIR/lib" || return 1
	DV_CONF=$DV_DIR/dovecot.conf
	cat > "$DV_CONF" <<EOF
# a private Dovecot 2.4 for adapters/dovecot/bench/auth.sh
dovecot_config_version = 2.4.0
dovecot_storage_version = 2.4.0
base_dir = $DV_DIR/run
state_dir = $DV_DIR/state
log_path = $DV_DIR/log/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
auth_allow_cleartext = yes
auth_mechanisms = plain login
auth_verbose = yes
auth_failure_delay = 0
first_valid_uid = $DV_UID
import_environment {
  TZ = %{env:TZ}
  LUA_CPATH_5_4 = $DV_DIR/lib/?.so
}
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    port = 0
  }
}
EOF
	_t=$DV_DIR/lib/table-auth.lua
	case $1 in
	lua|lua-inproc|lua-table)
		cp "$top_builddir/adapters/dovecot/.libs/vudb.so" \
		    "$top_srcdir/adapters/dovecot/dovecot-auth.lua" \
		    "$TABLE_LUA" "$DV_DIR/lib/" &&
		    chmod 0644 "$DV_DIR/lib/vudb.so" \
		    "$DV_DIR/lib/dovecot-auth.lua" \
		    "$DV_DIR/lib/table-auth.lua" || return 1
		echo "# ---- dovecot-2.4-vudb.conf, with the bench's paths"
		if [ "$1" = lua-table ]; then
			sed -e "s|/usr/share/vudb/dovecot-auth\.lua|$_t|" \
			    -e "s|store = /var/lib/vudb|passwd_file = $PASSWD|"
		else
			sed -e "s|/usr/share/vudb/|$DV_DIR/lib/|g" \
			    -e "s|store = /var/lib/vudb|store = $2|"
		fi < "$top_srcdir/examples/dovecot-2.4-vudb.conf" |
		    sed "s|/var/spool/postfix/|$DV_DIR/spool/|g"
		if [ "$1" = lua-inproc ]; then
			printf 'passdb lua {\n  use_worker = no\n}\n'
			printf 'userdb lua {\n  use_worker = no\n}\n'
			printf 'service auth {\n  extra_groups = vudb\n}\n'
		fi
		;;
	passwd-file|passwd-file-worker)
		_w=no
		[ "$1" = passwd-file-worker ] && _w=yes
		cat <<EOF
# ---- passwd-file
passdb passwd-file {
  passwd_file_path = $PASSWD
  use_worker = $_w
}
userdb passwd-file {
  passwd_file_path = $PASSWD
  use_worker = $_w
}
EOF
		;;
	*)	return 1 ;;
	esac >> "$DV_CONF"
}

# inst NAME KIND [STORE] - start the Dovecot of setup NAME (up to three
# tries: a free port may be taken before Dovecot binds it)
inst() {
	DV_DIR=$W/dv-$1 DV_PID=
	mkdir -p "$DV_DIR" && chmod 0711 "$DV_DIR" || return 1
	for _try in 1 2 3; do
		if [ -n "$DV24" ]; then
			conf24 "$2" "${3:-}"
		else
			conf23 "$2" "${3:-}"
		fi || { say "$1: cannot write its dovecot.conf"; return 1; }
		dv_start 2>"$DV_DIR/start.err" && break
		dv_stop
	done
	if [ -z "$DV_PID" ]; then
		say "$1: Dovecot did not start:"
		sed 's/^/auth:   /' "$DV_DIR/start.err" | tail -8
		return 1
	fi
	echo "$1 $DV_DIR $DV_PID" >> "$W/instances"
}

# where NAME WHAT - the processes of NAME's Dovecot that have a file
# whose path matches the regular expression WHAT mapped, and how many
where() {
	_p=$(awk -v n="$1" '$1 == n { print $3 }' "$W/instances")
	[ -n "$_p" ] || return 0
	for _c in $(pgrep -P "$_p"); do
		grep -q "$2" "/proc/$_c/maps" 2>/dev/null || continue
		tr '\0' ' ' < "/proc/$_c/cmdline"
		echo
	done | sed 's/ *$//' | sort | uniq -c |
	    awk '{ n = $1; $1 = ""; printf "%s%s x %s", s, n, substr($0, 2)
	    s = ", " }'
}

# ---- start them
SETUPS=
add() { SETUPS="$SETUPS $*"; }
inst passwd-file passwd-file && add passwd-file
inst lua-table lua-table && add lua-table
[ -n "$DV24" ] && inst passwd-file-worker passwd-file-worker &&
    add passwd-file-worker
PRIMARY=${BACKENDS%% *}
for b in $STORES; do
	sfx=.$b
	[ "$b" = "$PRIMARY" ] && sfx=
	inst "lua$sfx" lua "$b:$W/store-$b" && add "lua$sfx"
	inst "lua-inproc$sfx" lua-inproc "$b:$W/store-$b" &&
	    add "lua-inproc$sfx"
	[ -z "$DV24" ] && inst "checkpw$sfx" checkpw "$b:$W/store-$b" &&
	    add "checkpw$sfx"
done

# ---- measure
args=
for s in $SETUPS; do
	d=$(awk -v n="$s" '$1 == n { print $2 }' "$W/instances")
	case $s in
	checkpw*) n=$(( (LOGINS + 3) / 4 )) ;;
	*) n=$LOGINS ;;
	esac
	args="$args $s auth/$n $d/run $s.imap login/$n $d/run"
done
say "Dovecot $DOVECOT_VERSION, $(nproc) CPUs; $((NDOM * NUSER)) users in" \
    "$NDOM domains, {SHA512-CRYPT} (5000 rounds); setups:$SETUPS"
say "stores:${STORES:- none} (those on $PRIMARY have the plain names)"
if [ -n "$SETUPS" ]; then
	# shellcheck disable=SC2086
	"$CLIENT" -v -r "$ROUNDS" -c "$CONC" "$W/users.txt" $args > "$W/out" ||
	    { say "authbench failed"; exit 1; }
fi
touch "$W/out"
grep -v '^RESULT \|^FAILED \|^ROUND ' "$W/out" | sed 's/^/auth: /'
# the same with CONC_HIGH requests at a time (the auth-worker processes
# share the CPUs; passwd-file's single auth process cannot), for the
# baselines and lua on each store, those that did not fail
args=
for s in $SETUPS; do
	case $s in
	passwd-file*|lua|lua.*) ;;
	*) continue ;;
	esac
	grep -q "^RESULT $s " "$W/out" || continue
	d=$(awk -v n="$s" '$1 == n { print $2 }' "$W/instances")
	args="$args $s.c$CONC_HIGH auth/$LOGINS $d/run"
done
if [ "$CONC_HIGH" -gt 0 ] && [ -n "$args" ]; then
	# shellcheck disable=SC2086
	"$CLIENT" -v -r "$ROUNDS" -c "$CONC_HIGH" "$W/users.txt" $args \
	    > "$W/out.c" || { say "authbench failed"; exit 1; }
	grep -v '^RESULT \|^FAILED \|^ROUND ' "$W/out.c" | sed 's/^/auth: /'
	cat "$W/out.c" >> "$W/out"
fi

# ---- report
res() { awk -v n="$1" -v f="$2" '$1 == "RESULT" && $2 == n { print $f }' \
    "$W/out"; }
failed() { awk -v n="$1" '$1 == "FAILED" && $2 == n { $1 = $2 = ""
    print substr($0, 3) }' "$W/out"; }
FAILS=
for s in $SETUPS; do
	logged=
	for k in "" .imap; do
		b=$(res "$s$k" 3)
		if [ -n "$b" ]; then
			echo "BENCH auth.$s$k $b ms/login"
			continue
		fi
		FAILS="$FAILS $s$k"
		say "$s$k FAILED: $(failed "$s$k")"
		[ -z "$logged" ] || continue
		logged=yes
		d=$(awk -v n="$s" '$1 == n { print $2 }' "$W/instances")
		grep -E 'Error|Fatal|Panic' "$d/log/dovecot.log" 2>/dev/null |
		    tail -2 | sed 's/^/auth:   /'
	done
done
for s in $SETUPS; do
	b=$(res "$s.c$CONC_HIGH" 3)
	[ -z "$b" ] || echo "BENCH auth.$s.c$CONC_HIGH $b ms/login"
done
for s in $SETUPS; do
	case $s in
	lua-table) ;;
	lua*)	b=${s#lua}; b=${b#-inproc}; b=${b#.}; b=${b:-$PRIMARY}
		w1=$(where "$s" 'vudb\.so$') w2=$(where "$s" "/store-$b/")
		say "$s: vudb.so loaded in: ${w1:-none}; the store mapped in:" \
		    "${w2:-none}" ;;
	passwd-file*)
		p=$(awk -v n="$s" '$1 == n { print $3 }' "$W/instances")
		say "$s: $(pgrep -P "$p" -f 'auth -w' | wc -l) auth-worker" \
		    "processes" ;;
	esac
done
# paired OURS BASE - the median of the ratios of the two in each round
# (measured one right after the other: the machine's slow changes of
# load cancel out)
paired() {
	awk -v a="$1" -v b="$2" '$1 == "ROUND" && $3 == a { x[$2] = $4 }
	    $1 == "ROUND" && $3 == b { y[$2] = $4 }
	    END { for (r in x) if (r in y && y[r] > 0) v[n++] = x[r] / y[r]
		for (i = 1; i < n; i++)
			for (j = i; j > 0 && v[j - 1] > v[j]; j--) {
				t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
			}
		if (n % 2)
			m = v[int(n / 2)]
		else if (n > 0)
			m = (v[n / 2 - 1] + v[n / 2]) / 2
		if (n > 0)
			printf "%.2f", m }' "$W/out"
}

# ratio OURS BASE - the RATIO line of the best rounds; the ratios of
# the medians, of each round's pair and of the CPU time of Dovecot's
# processes for a reader
ratio() {
	_a=$(res "$1" 3) _b=$(res "$2" 3)
	if [ -z "$_a" ] || [ -z "$_b" ]; then
		_f=
		[ -n "$_a" ] || _f=$1
		[ -n "$_b" ] || _f="${_f:+$_f and }$2"
		say "RATIO auth.$1/$2 not measured: $_f FAILED"
		return
	fi
	awk -v n="$1/$2" -v a="$_a" -v b="$_b" -v am="$(res "$1" 4)" \
	    -v bm="$(res "$2" 4)" -v ac="$(res "$1" 6)" -v bc="$(res "$2" 6)" \
	    -v p="$(paired "$1" "$2")" \
	    'BEGIN { printf "RATIO auth.%s %.2f\n", n, a / b
	    printf "auth:   medians %.3f / %.3f ms = %.2f", am, bm, am / bm
	    if (p != "")
		printf "; pairs of rounds %.2f", p
	    if (ac > 0 && bc > 0)
		printf "; CPU %.3f / %.3f ms = %.2f", ac, bc, ac / bc
	    printf "\n" }'
}
if [ -n "$SETUPS" ]; then
	for b in $STORES; do
		[ "$b" = "$PRIMARY" ] && sfx= || sfx=.$b
		for k in "" .imap; do
			ratio "lua$sfx$k" "passwd-file$k"
			ratio "lua$sfx$k" "lua-table$k"
			if [ -n "$DV24" ]; then
				ratio "lua$sfx$k" "passwd-file-worker$k"
			else
				ratio "lua$sfx$k" "checkpw$sfx$k"
			fi
			ratio "lua-inproc$sfx$k" "passwd-file$k"
		done
		[ "$CONC_HIGH" -gt 0 ] || continue
		k=.c$CONC_HIGH
		ratio "lua$sfx$k" "passwd-file$k"
		[ -z "$DV24" ] || ratio "lua$sfx$k" "passwd-file-worker$k"
	done
	if [ -n "$DV24" ]; then
		say "like with like: lua and passwd-file-worker run in" \
		    "auth-worker processes (use_worker = yes), lua-inproc and" \
		    "passwd-file in the auth process"
	else
		say "like with like: lua (blocking=yes, the example) runs in" \
		    "auth-worker processes; 2.3's passwd-file cannot (it" \
		    "refuses blocking=yes) and runs in the auth process, as" \
		    "lua-inproc (blocking=no) does"
	fi
fi
case " $STORES " in
*" $PRIMARY "*)
	f=$(for s in $FAILS; do
		case $s in
		lua|lua.imap|lua-inproc|lua-inproc.imap|checkpw|checkpw.imap)
			printf ' %s' "$s" ;;
		esac
	done)
	[ -z "$f" ] || say "FAILED on the $PRIMARY store:$f (Dovecot's log" \
	    "above): their BENCH and RATIO lines are missing; the other" \
	    "backends' figures stand" ;;
*)	say "FAILED: no $PRIMARY store: its figures are missing" ;;
esac
[ -n "$INNER" ] && exit 0

# ---- Dovecot 2.4 in a Debian 13 root
cleanup
W=
d24_none() { say "RATIO auth.lua/passwd-file.dovecot24 not measured: $*"; }
[ -f "$TRIXIE/.vudb-trixie-root-complete" ] &&
    [ -x "$TRIXIE/usr/sbin/dovecot" ] || {
	d24_none "no Debian 13 root at $TRIXIE (tests/debian13.sh makes one)"
	exit 0
}
for p in chroot flock mount umount; do
	command -v $p >/dev/null 2>&1 || { d24_none "no $p"; exit 0; }
done
exec 9>"$TRIXIE.lock" || { d24_none "cannot open $TRIXIE.lock"; exit 0; }
if ! flock -n 9; then
	say "waiting for the Debian 13 root (another run holds $TRIXIE.lock)"
	flock -w "${AUTH_BENCH_LOCK_WAIT:-600}" 9 ||
	    { d24_none "$TRIXIE stayed locked"; exit 0; }
fi
[ -f "$TRIXIE/.vudb-trixie-root-complete" ] ||
    { d24_none "the root at $TRIXIE went away"; exit 0; }
R=$(mktemp -d "$TRIXIE/tmp/vudbauth24.XXXXXX") || exit 1
RI=${R#"$TRIXIE"}	# the same, inside
MOUNTED=
cleanup24() {
	[ -n "$MOUNTED" ] && umount "$TRIXIE/proc"
	[ -n "$R" ] && rm -rf --one-file-system "$R"
}
trap cleanup24 EXIT
in_root() {
	chroot "$TRIXIE" /usr/bin/env -i \
	    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	    HOME=/root LANG=C.UTF-8 TERM=dumb "$@"
}
if ! mountpoint -q "$TRIXIE/proc"; then
	mount -t proc proc "$TRIXIE/proc" ||
	    { d24_none "cannot mount /proc in the root"; exit 0; }
	MOUNTED=yes
fi
say "Dovecot $(in_root dovecot --version 2>/dev/null) in $TRIXIE:" \
    "building this tree there"
env -u MAKEFLAGS -u MFLAGS make -s -C "$top_builddir" distdir \
    distdir="$R/src" >"$R/distdir.log" 2>&1 ||
    { tail -5 "$R/distdir.log"; d24_none "make distdir failed"; exit 0; }
in_root sh -c "mkdir -p $RI/obj && cd $RI/obj && $RI/src/configure --quiet &&
    make -s -j2 tools/vudbadm/vudbadm adapters/dovecot/vudb.la &&
    make -s adapters/dovecot/bench/authbench" >"$R/build.log" 2>&1 || {
	grep -E 'error|warning' "$R/build.log" | head -10
	d24_none "the build in the root failed"; exit 0
}
in_root env top_srcdir="$RI/src" top_builddir="$RI/obj" AUTH_BENCH_INNER=1 \
    AUTH_BENCH_BACKENDS="$BACKENDS" BENCH_ROUNDS="$ROUNDS" \
    AUTH_BENCH_LOGINS="$LOGINS" AUTH_BENCH_CONC="$CONC" \
    AUTH_BENCH_CONC_HIGH="$CONC_HIGH" \
    sh "$RI/src/adapters/dovecot/bench/auth.sh" > "$R/out" 2>&1
rc=$?
# the names measured there get the suffix .dovecot24
sed -e 's/^\(BENCH\|RATIO\) \([^ ]*\)/\1 \2.dovecot24/' \
    -e 's/^auth: /auth(2.4): /' "$R/out"
[ $rc = 0 ] || say "the run in the Debian 13 root failed (exit $rc)"
exit 0
