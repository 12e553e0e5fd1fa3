#!/bin/sh
# fold.sh - local parts holding UTF-8 are one name in every case and
# normalization form (issue 16, finding 7), through vudbadm, vudb-mapd
# and the real Postfix client (postmap -q, socketmap, smtputf8_enable =
# yes), on Berkeley DB and LMDB stores:
#  - Ünï@ex.example added, ÜNÏ@, ünï@ and the decomposed form are found;
#  - adding ünï@ex.example is refused as existing (73);
#  - a store written before local parts were folded (tests/oldform moves
#    the keys back to the earlier form) still answers for the address as
#    it was added, catch-all or not; a new name that folds like an
#    old-form one is refused; vudbadm verify warns and exits 0;
#    "user rename NAME NAME" stores it folded, its mailbox where it was.
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.

. "${top_srcdir:-.}/adapters/postfix/tests/lib.sh"
need postmap "$PYTHON"
VUDBADM=$builddir/tools/vudbadm/vudbadm
OLDFORM=$builddir/tests/oldform

postfix_conf "$T/pf"
echo "smtputf8_enable = yes" >> "$T/pf/main.cf"

# Ünï in NFC capitals, NFC small, all capitals, decomposed
UNI=$(printf '\303\234n\303\257')			# Ünï
UNI_SMALL=$(printf '\303\274n\303\257')		# ünï
UNI_CAPS=$(printf '\303\234N\303\217')		# ÜNÏ
UNI_NFD=$(printf 'U\314\210ni\314\210')		# U+0055 U+0308 n i U+0308
MAXI=$(printf 'M\303\204XI')			# MÄXI (old form kept as given)
SZ=$(printf 'stra\303\237e')			# straße

# v ARGS...: vudbadm on the store, output in $T/out
v() { "$VUDBADM" -d "$S" "$@" >"$T/out" 2>&1; }

# t WANT-RC DESC ARGS...: vudbadm's exit status
t() {
	want=$1 desc=$2; shift 2
	v "$@"; rc=$?
	if [ $rc -eq "$want" ]; then ok
	else fail "$B: $desc: vudbadm $*: rc $rc, want $want: $(cat "$T/out")"
	fi
}

# q MAP KEY WANT: postmap -q over socketmap; WANT "-" is not found
q() {
	out=$(postmap -c "$T/pf" -q "$2" "socketmap:inet:127.0.0.1:$P:$1" \
	    2>"$T/err")
	rc=$?
	if [ "$3" = - ]; then
		if [ $rc -eq 1 ] && [ -z "$out" ]; then ok
		else fail "$B: $1 '$2': want not found, rc $rc '$out'" \
		    "$(cat "$T/err")"
		fi
	elif [ $rc -eq 0 ] && [ "$out" = "$3" ]; then ok
	else fail "$B: $1 '$2': want '$3', rc $rc '$out' $(cat "$T/err")"
	fi
}

free_port() {
	$PYTHON -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

for B in bdb lmdb; do
	if [ $B = lmdb ] && ! grep -q '^#define WITH_LMDB 1' \
	    "$builddir/config.h" 2>/dev/null; then
		echo "lmdb: not compiled in, skipped"; continue
	fi
	if [ $B = bdb ] && ! grep -q '^#define WITH_BDB 1' \
	    "$builddir/config.h" 2>/dev/null; then
		echo "bdb: not compiled in, skipped"; continue
	fi
	S=$B:$T/store-$B
	t 0 init init
	t 0 domain domain add ex.example
	t 0 add user add --no-password "$UNI@ex.example"
	t 73 "same name, small letters" user add --no-password "$UNI_SMALL@ex.example"
	t 73 "same name, capitals" user add --no-password "$UNI_CAPS@ex.example"
	t 73 "same name, decomposed" user add --no-password "$UNI_NFD@ex.example"
	t 0 alias alias add "$SZ@ex.example" "$UNI_CAPS@ex.example"
	t 73 "ß is ss" alias add "STRASSE@ex.example" x@ex.example
	t 0 "sender grant" sender grant "$UNI_CAPS@ex.example" \
	    other@ex.example
	t 0 "catch-all" alias add "@ex.example" catch@ex.example
	t 0 "auth by capitals: show" user show "$UNI_CAPS@ex.example"
	grep -q "$UNI_SMALL@ex.example" "$T/out" ||
	    fail "$B: show names the folded form: $(cat "$T/out")"

	P=$(free_port) || exit 99
	start_mapd "$T/mapd-$B.log" -d "$S" -l "socketmap:inet:127.0.0.1:$P"
	for k in "$UNI" "$UNI_SMALL" "$UNI_CAPS" "$UNI_NFD"; do
		q mailbox "$k@ex.example" "ex.example/$UNI_SMALL/Maildir/"
		q mailbox "$k+tag@EX.example" "ex.example/$UNI_SMALL/Maildir/"
		# a user: the catch-all does not take it
		q alias "$k@ex.example" -
	done
	q alias "STRASSE@ex.example" "$UNI_SMALL@ex.example"
	q sender "$UNI_NFD@ex.example" "$UNI_SMALL@ex.example,other@ex.example"
	kill "$MAPD_PID"; wait "$MAPD_PID" 2>/dev/null

	# ---- a store of the earlier rule: keys as the names were added
	t 0 "user MÄXI" user add --no-password "$MAXI@ex.example"
	t 0 "grant for MÄXI" sender grant "$MAXI@ex.example" other@ex.example
	t 0 "alias straße del" alias del "$SZ@ex.example"
	t 0 "alias straße" alias add "$SZ@ex.example" "$MAXI@ex.example"
	"$OLDFORM" "$S" "$UNI@ex.example" "$MAXI@ex.example" \
	    "$SZ@ex.example" >"$T/out" 2>&1 ||
	    fail "$B: oldform: $(cat "$T/out")"
	t 0 "verify warns only" verify
	grep -q "warning: user m$(printf '\303\204')xi@ex.example" "$T/out" ||
	    fail "$B: verify: no warning for the old-form user: $(cat "$T/out")"
	t 0 "old form found by its name" user show "$UNI@ex.example"
	grep -q "$UNI@ex.example" "$T/out" ||
	    fail "$B: old-form user is named as stored: $(cat "$T/out")"
	t 73 "new name folding like an old one" user add --no-password \
	    "$UNI_SMALL@ex.example"
	t 73 "ss like an old ß" alias add "strasse@ex.example" x@ex.example

	P=$(free_port) || exit 99
	start_mapd "$T/mapd-$B-old.log" -d "$S" -l "socketmap:inet:127.0.0.1:$P"
	# found as added, the mail where it always was; not the catch-all
	q mailbox "$UNI@ex.example" "ex.example/$UNI/Maildir/"
	q mailbox "$UNI+x@ex.example" "ex.example/$UNI/Maildir/"
	q alias "$UNI@ex.example" -
	q mailbox "$MAXI@ex.example" "ex.example/m$(printf '\303\204')xi/Maildir/"
	q alias "$SZ@ex.example" "m$(printf '\303\244')xi@ex.example"
	q sender "$MAXI@ex.example" "m$(printf '\303\204')xi@ex.example,other@ex.example"
	kill "$MAPD_PID"; wait "$MAPD_PID" 2>/dev/null
	t 0 "auth (lookup) through the old form" user show "$MAXI@ex.example"

	# ---- the repair: rename to itself
	t 0 "rename old form to itself" user rename "$UNI@ex.example" \
	    "$UNI@ex.example"
	t 73 "rename again: same name" user rename "$UNI@ex.example" \
	    "$UNI@ex.example"
	t 0 "rename MÄXI" user rename "$MAXI@ex.example" "$MAXI@ex.example"
	t 0 "alias del old form" alias del "$SZ@ex.example"
	t 0 "alias add folded" alias add "$SZ@ex.example" "$MAXI@ex.example"
	t 0 "verify after repair" verify
	grep -q warning "$T/out" && fail "$B: warnings after repair: $(cat "$T/out")"
	P=$(free_port) || exit 99
	start_mapd "$T/mapd-$B-new.log" -d "$S" -l "socketmap:inet:127.0.0.1:$P"
	# every form now, the mailbox pinned where the mail is
	q mailbox "$UNI_CAPS@ex.example" "ex.example/$UNI/Maildir/"
	q mailbox "$UNI_NFD@ex.example" "ex.example/$UNI/Maildir/"
	q mailbox "m$(printf '\303\244')xi@ex.example" "ex.example/m$(printf '\303\204')xi/Maildir/"
	q sender "m$(printf '\303\244')xi@ex.example" "m$(printf '\303\244')xi@ex.example,other@ex.example"
	q alias "STRASSE@ex.example" "m$(printf '\303\244')xi@ex.example"
	kill "$MAPD_PID"; wait "$MAPD_PID" 2>/dev/null
done
finish
