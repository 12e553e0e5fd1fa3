#!/bin/sh
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# completion.sh - vudbadm's bash completion (tools/vudbadm/bash-completion/
# vudbadm), sourced in bash as bash-completion would, its function called
# with COMP_WORDS and COMP_CWORD for a few command lines, against a real
# store: commands, subcommands, options, option values, setting and map
# names, domains and addresses of the store named by -d or $VUDB_STORE.
. "${top_srcdir:-.}/tools/vudbadm/tests/common.sh"

command -v bash >/dev/null 2>&1 || { echo "SKIP: no bash"; exit 77; }
COMP=$srcdir/tools/vudbadm/bash-completion/vudbadm
PROG=$(cd "$(dirname "$VUDBADM")" && pwd)/vudbadm

mkstore >/dev/null
v domain add pc1.example
v domain add pc2.example
v user add --no-password matsui@pc1.example
v user add --no-password mori@pc1.example
v user add --no-password matsui@pc2.example
v alias add info@pc1.example matsui@pc1.example

# comp WANT WORD... - complete the last WORD of "vudbadm WORD..."; the
# replies, sorted and joined by spaces, are WANT
comp() {
	want=$1
	shift
	nchecks=$((nchecks + 1))
	got=$(timeout 60 bash -c '
		. "$1" || exit 99
		complete -p vudbadm >/dev/null || exit 98
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_vudbadm || exit 97
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "
	    ' comp "$COMP" "$PROG" "$@")
	got=${got% }
	[ "$got" = "$want" ] ||
	    fail_check "completion of [vudbadm $*]: got \"$got\", want \"$want\""
}

# commands and subcommands, as vudbadm help --commands lists them
comp "user" us
comp "recover relocated" re
comp "add del disable enable list passwd rename set show unset" user ""
comp "list" domain li
comp "passwd" help user pa
comp "--json" --js
# options of a command, from its usage line; values given there
comp "--quota --quota-messages" -d "$S" user add x@pc1.example --quo
comp "--dry-run" import --dr
comp "--help --json -s -t" pw -
comp "jsonl passwd-file postfix-virtual" import --format ""
comp "no yes" -d "$S" domain add x.example --catchall ""
comp "" -d "$S" user add x@pc1.example --quota ""
# setting and map names
comp "sha_rounds" -d "$S" get sha
comp "mail_base max_open_domains" -d "$S" set m
comp "mailbox" -d "$S" lookup ma
# domains and addresses of the store given by -d, -dSTORE, $VUDB_STORE
comp "pc1.example pc2.example" -d "$S" domain show ""
comp "pc1.example pc2.example" "-d$S" user list p
comp "matsui@pc1.example mori@pc1.example" -d "$S" user show m@pc1.example
comp "matsui@pc1.example" -d "$S" user del matsui@pc1.example
comp "m@pc1.example m@pc2.example" -d "$S" user show m@
comp "ma@pc1.example ma@pc2.example" -d "$S" user show ma
comp "ma@pc2.example" -d "$S" user show ma@pc2
comp "@pc1.example @pc2.example" -d "$S" alias add ""
comp "info@pc1.example" -d "$S" alias del i@pc1.example
comp "pc2.example" -d "$S" --json user list pc2
nchecks=$((nchecks + 1))
got=$(VUDB_STORE=$S bash -c '. "$1"; COMP_WORDS=("$2" domain show pc)
    COMP_CWORD=3; COMP_WORDS[3]=pc; _vudbadm; echo "${COMPREPLY[*]}"' \
    comp "$COMP" "$PROG")
[ "$got" = "pc1.example pc2.example" ] ||
    fail_check "completion with VUDB_STORE: got \"$got\""
# no store there: nothing to offer, and no error on the terminal
comp "" -d "$T/nostore" domain show ""
nchecks=$((nchecks + 1))
err=$(bash -c '. "$1"; COMP_WORDS=("$2" -d "$3" domain show "")
    COMP_CWORD=4; _vudbadm' comp "$COMP" "$PROG" "$T/nostore" 2>&1)
[ -z "$err" ] || fail_check "completion printed: $err"
# -d: directories
mkdir "$T/storedir"
comp "$T/store $T/storedir" -d "$T/stor"

done_testing
