#!/bin/sh
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# postfixadmin.sh - the migration from PostfixAdmin (issue 15, README
# "Migration"), as an administrator would make it: a real PostgreSQL
# (a private cluster, unix socket only) holding PostfixAdmin's tables
# with a few domains, mailboxes in PostfixAdmin's hash forms, aliases,
# forwarding, a vacation, an alias domain, a backup MX and inactive
# rows; tools/vudbadm/postfixadmin-export.sql run by psql and piped into
# vudbadm import; then the answers Postfix would get (vudbadm lookup)
# and logins through the REAL Dovecot with the Lua module (doveadm auth
# test).  Also: a re-run with --skip-existing changes nothing, and a
# mailbox whose hash no login can use (cleartext) is named by --dry-run
# and refused by the import, with nothing of its domain imported.  Root
# only (Dovecot runs as its users); skipped (77) without Dovecot,
# PostgreSQL (tests/pg.sh) or the Lua module.
: "${top_srcdir:=.}" "${top_builddir:=.}"
DV_DRIVER=lua
. "$top_srcdir/adapters/dovecot/tests/dovecot.sh"
dv_skip_unless_ready
. "$top_srcdir/tests/pg.sh"
pg_require
command -v openssl >/dev/null 2>&1 || { echo "no openssl: skipped"; exit 77; }
VUDBADM=$top_builddir/tools/vudbadm/vudbadm
SQL=$top_srcdir/tools/vudbadm/postfixadmin-export.sql

dv_init vudbpfa || exit 99
dv_group && dv_vmail || exit 99
# a private cluster (tests/pg.sh): its socket in PG_DIR, no TCP at all
pg_start || exit 99
trap 'pg_stop; dv_cleanup' EXIT
export PGHOST="$PG_DIR" PGUSER=vudb PGDATABASE=postfix
psql -XAtq -d postgres -c 'CREATE DATABASE postfix' || exit 99

hash6() { openssl passwd -6 -salt "$1" "$2"; }
hash5() { openssl passwd -5 -salt "$1" "$2"; }
hash1() { openssl passwd -1 -salt "$1" "$2"; }

# PostfixAdmin's tables on PostgreSQL (the columns of its schema that
# the export reads, and some it does not)
psql -XAtq -v ON_ERROR_STOP=1 <<EOF || exit 99
CREATE TABLE domain (
	domain varchar(255) PRIMARY KEY, description varchar(255) NOT NULL
	    DEFAULT '', aliases integer NOT NULL DEFAULT 0,
	mailboxes integer NOT NULL DEFAULT 0, maxquota bigint NOT NULL
	    DEFAULT 0, quota bigint NOT NULL DEFAULT 0,
	transport varchar(255), backupmx boolean NOT NULL DEFAULT false,
	created timestamptz DEFAULT now(), modified timestamptz DEFAULT now(),
	active boolean NOT NULL DEFAULT true);
CREATE TABLE mailbox (
	username varchar(255) PRIMARY KEY, password varchar(255) NOT NULL,
	name varchar(255) NOT NULL DEFAULT '', maildir varchar(255) NOT NULL
	    DEFAULT '', quota bigint NOT NULL DEFAULT 0,
	local_part varchar(255) NOT NULL,
	domain varchar(255) NOT NULL REFERENCES domain,
	created timestamptz DEFAULT now(), modified timestamptz DEFAULT now(),
	active boolean NOT NULL DEFAULT true, phone varchar(30) NOT NULL
	    DEFAULT '', email_other varchar(255) NOT NULL DEFAULT '');
CREATE TABLE alias (
	address varchar(255) PRIMARY KEY, goto text NOT NULL,
	domain varchar(255) NOT NULL REFERENCES domain,
	created timestamptz DEFAULT now(), modified timestamptz DEFAULT now(),
	active boolean NOT NULL DEFAULT true);
CREATE TABLE alias_domain (
	alias_domain varchar(255) PRIMARY KEY REFERENCES domain,
	target_domain varchar(255) NOT NULL REFERENCES domain,
	created timestamptz DEFAULT now(), modified timestamptz DEFAULT now(),
	active boolean NOT NULL DEFAULT true);
INSERT INTO domain (domain, description, aliases, mailboxes, active,
    backupmx) VALUES
	('ALL', '', 0, 0, true, false),
	('pc1.example', 'Project 1', 0, 10, true, false),
	('pc2.example', '', 0, 0, true, false),
	('off.example', '', 0, 0, false, false),
	('backup.example', '', 0, 0, true, true),
	('old.example', '', 0, 0, true, false);
INSERT INTO alias_domain (alias_domain, target_domain) VALUES
	('old.example', 'pc1.example');
INSERT INTO mailbox (username, password, name, maildir, quota,
    local_part, domain, active) VALUES
	('matsui@pc1.example', '$(hash6 pfa1salt pw-matsui1)', 'Matsui Ichiro',
	    'pc1.example/matsui/', 1073741824, 'matsui', 'pc1.example', true),
	('sato@pc1.example', '{SHA512-CRYPT}$(hash6 pfa2salt pw-sato)', '',
	    'pc1.example/sato/', 0, 'sato', 'pc1.example', true),
	('tanaka@pc1.example', '$(hash1 pfa3salt pw-tanaka)', '',
	    'pc1.example/tanaka/', 0, 'tanaka', 'pc1.example', true),
	('suzuki@pc1.example', '$(hash6 pfa4salt pw-suzuki)', '',
	    'pc1.example/suzuki/', 0, 'suzuki', 'pc1.example', false),
	('matsui@pc2.example', '$(hash5 pfa5salt pw-matsui2)', '',
	    'pc2.example/matsui/', 0, 'matsui', 'pc2.example', true),
	('kato@off.example', '$(hash6 pfa6salt pw-kato)', '',
	    'off.example/kato/', 0, 'kato', 'off.example', true);
INSERT INTO alias (address, goto, domain, active) VALUES
	('matsui@pc1.example', 'matsui@pc1.example', 'pc1.example', true),
	('sato@pc1.example', 'sato@pc1.example,sato@elsewhere.example',
	    'pc1.example', true),
	('tanaka@pc1.example',
	    'tanaka#pc1.example@autoreply.example.org,tanaka@pc1.example',
	    'pc1.example', true),
	('suzuki@pc1.example', 'suzuki@pc1.example', 'pc1.example', true),
	('matsui@pc2.example', 'matsui@pc2.example', 'pc2.example', true),
	('kato@off.example', 'kato@off.example', 'off.example', true),
	('info@pc1.example', 'Matsui@pc1.example, sato@pc1.example',
	    'pc1.example', true),
	('old@pc1.example', 'matsui@pc1.example', 'pc1.example', false),
	('@pc2.example', 'matsui@pc2.example', 'pc2.example', true);
EOF

n=0 bad=0
ok() { n=$((n + 1)); echo "ok   $*"; }
notok() { n=$((n + 1)); bad=$((bad + 1)); echo "FAIL $*"; }

# the export itself: lines, in an order import takes
psql -XAtq -v ON_ERROR_STOP=1 -f "$SQL" >"$DV_DIR/pfa.jsonl" 2>"$DV_DIR/psql.err"
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$DV_DIR/psql.err" ]; then
	ok "export: psql rc 0, $(wc -l <"$DV_DIR/pfa.jsonl") lines"
else
	notok "export: psql rc $rc"; cat "$DV_DIR/psql.err"
fi
cat "$DV_DIR/pfa.jsonl"

STORE=$DV_DIR/store
mkdir -p "$DV_DIR/mail" && chown vmail:vmail "$DV_DIR/mail" &&
    chmod 0700 "$DV_DIR/mail" || exit 99
"$VUDBADM" -d "$STORE" init >/dev/null &&
    "$VUDBADM" -d "$STORE" set mail_base "$DV_DIR/mail" &&
    "$VUDBADM" -d "$STORE" set uid "$DV_UID" &&
    "$VUDBADM" -d "$STORE" set gid "$DV_GID" || exit 99
out=$("$VUDBADM" -d "$STORE" import --dry-run <"$DV_DIR/pfa.jsonl"); rc=$?
want="would import 0 settings, 4 domains, 6 users, 3 aliases, 0 relocated, 0 send-as grants"
if [ $rc -eq 0 ] && [ "$out" = "$want" ]; then
	ok "import --dry-run: rc 0, counts each domain once"
else
	notok "import --dry-run: rc $rc: $out"
fi
if "$VUDBADM" -d "$STORE" import <"$DV_DIR/pfa.jsonl"; then
	ok "import: rc 0"
else
	notok "import failed"
fi
dv_store_perms "$STORE" || exit 99

# lookup MAP KEY WANT - the answer Postfix would get ("" = not found)
lookup() {
	_got=$("$VUDBADM" -d "$STORE" lookup "$1" "$2" 2>/dev/null)
	if [ "$_got" = "$3" ]; then
		ok "lookup $1 $2: '${3}'"
	else
		notok "lookup $1 $2: '$_got', want '$3'"
	fi
}
lookup mailbox matsui@pc1.example pc1.example/matsui/
lookup mailbox matsui@pc2.example pc2.example/matsui/
lookup mailbox sato@pc1.example pc1.example/sato/
lookup alias info@pc1.example matsui@pc1.example,sato@pc1.example
lookup alias sato@pc1.example sato@pc1.example,sato@elsewhere.example
lookup alias tanaka@pc1.example ""		# only the vacation: left out
lookup alias matsui@pc1.example ""		# PostfixAdmin's self row
lookup alias old@pc1.example ""			# inactive
lookup alias nobody@pc2.example matsui@pc2.example	# the catch-all
lookup alias matsui@old.example matsui@pc1.example	# the alias domain
lookup domain backup.example ""			# relayed, not hosted
lookup domain all ""
lookup domain pc1.example pc1.example
got=$("$VUDBADM" -d "$STORE" user show matsui@pc1.example 2>&1)
if echo "$got" | grep -q '1073741824\|1G' &&
    echo "$got" | grep -q 'Matsui Ichiro'; then
	ok "matsui@pc1.example keeps its quota and name"
else
	notok "matsui@pc1.example: quota or name lost"; echo "$got"
fi
got=$("$VUDBADM" -d "$STORE" domain show pc1.example 2>&1)
if echo "$got" | grep -q 'Project 1' && echo "$got" | grep -q 'max_users.*10'
then
	ok "pc1.example keeps its description and mailbox limit"
else
	notok "pc1.example: description or limit lost"; echo "$got"
fi

# logins through the real Dovecot (2.3 or 2.4, whichever is installed)
for try in 1 2 3; do
	PORT=$(dv_port) || exit 99
	dv_conf "$DV_DIR/dovecot.conf" "$STORE" "$PORT" || exit 99
	dv_start && break
	dv_stop
done
[ -n "$DV_PID" ] || exit 99
auth() {
	_want=$1 _u=$2 _p=$3
	_out=$(doveadm -c "$DV_CONF" auth test "$_u" "$_p" 2>&1); _rc=$?
	if [ "$_rc" != "$_want" ]; then
		notok "auth test $_u: rc $_rc, want $_want"; echo "$_out"
	elif [ "$_want" = 77 ] && echo "$_out" | grep -q temp_fail; then
		notok "auth test $_u: a temporary failure, not a refusal"
	else
		ok "auth test $_u: rc $_rc"
	fi
}
auth 0 matsui@pc1.example pw-matsui1		# $6$, no prefix
auth 0 sato@pc1.example pw-sato			# {SHA512-CRYPT}
auth 0 tanaka@pc1.example pw-tanaka		# md5crypt
auth 0 matsui@pc2.example pw-matsui2		# $5$
auth 77 matsui@pc1.example pw-matsui2		# the other domain's
auth 77 matsui@pc2.example pw-matsui1
auth 77 suzuki@pc1.example pw-suzuki		# inactive mailbox
auth 77 kato@off.example pw-kato		# inactive domain
auth 77 sato@pc1.example wrong

# a re-run skips what is there and changes nothing
before=$("$VUDBADM" -d "$STORE" export | grep -v '"setting"' | sort)
if "$VUDBADM" -d "$STORE" import --skip-existing <"$DV_DIR/pfa.jsonl" \
    >/dev/null 2>&1; then
	after=$("$VUDBADM" -d "$STORE" export | grep -v '"setting"' | sort)
	if [ "$before" = "$after" ]; then
		ok "import --skip-existing again: rc 0, nothing changed"
	else
		notok "import --skip-existing again changed the store"
	fi
else
	notok "import --skip-existing again failed"
fi

# bad input: a cleartext password; --dry-run names its line and imports
# nothing, the import refuses it and nothing of its domain is imported
psql -XAtq -v ON_ERROR_STOP=1 -c "INSERT INTO mailbox (username, password,
    local_part, domain) VALUES ('plain@pc2.example', 'secret', 'plain',
    'pc2.example')" || exit 99
psql -XAtq -v ON_ERROR_STOP=1 -f "$SQL" >"$DV_DIR/pfa2.jsonl" || exit 99
line=$(grep -n '"plain@pc2.example"' "$DV_DIR/pfa2.jsonl" | cut -d: -f1)
S2=$DV_DIR/store2
"$VUDBADM" -d "$S2" init >/dev/null || exit 99
out=$("$VUDBADM" -d "$S2" import --dry-run <"$DV_DIR/pfa2.jsonl" 2>&1); rc=$?
if [ $rc -ne 0 ] && echo "$out" | grep -q "stdin:$line: password" &&
    [ -z "$("$VUDBADM" -d "$S2" export | grep -v '"setting"')" ]; then
	ok "a cleartext password: --dry-run rc $rc names line $line, imports nothing"
else
	notok "a cleartext password: --dry-run rc $rc (line $line)"; echo "$out"
fi
out=$("$VUDBADM" -d "$S2" import <"$DV_DIR/pfa2.jsonl" 2>&1); rc=$?
if [ $rc -ne 0 ] && echo "$out" | grep -q "stdin:$line: password" &&
    echo "$out" | grep -q 'nothing of pc2.example was imported' &&
    ! "$VUDBADM" -d "$S2" user show plain@pc2.example >/dev/null 2>&1 &&
    ! "$VUDBADM" -d "$S2" user show matsui@pc2.example >/dev/null 2>&1; then
	ok "a cleartext password: import rc $rc, nothing of its domain imported"
else
	notok "a cleartext password: import rc $rc"; echo "$out"
fi

echo "postfixadmin: $n checks, $bad failed"
[ $bad -eq 0 ]
