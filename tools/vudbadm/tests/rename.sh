#!/bin/sh
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# rename.sh - "user rename" within a domain and as a move to another
# domain, and "domain rename": afterwards the lookups answer for the new
# name (the mail stays where it was), the aliases and send-as grants that
# named the user follow it, and the password still works.
. "${top_srcdir:-.}/tools/vudbadm/tests/common.sh"

mkstore >/dev/null
v domain add pc1.example
v domain add pc2.example
printf 'secret1\n' >"$T/pw1"
printf 'secret2\n' >"$T/pw2"
v user add matsui@pc1.example --password-stdin --quota 2G <"$T/pw1"
v user add matsui@pc2.example --password-stdin <"$T/pw2"
v alias add info@pc1.example matsui@pc1.example
v alias add team@pc1.example matsui@pc1.example,matsui@pc2.example
v alias add pm@pc2.example matsui@pc2.example
v sender grant matsui@pc1.example other@pc2.example
v sender grant info@pc1.example matsui@pc1.example

# ---- within a domain
t 0 -d "$S" user rename matsui@pc1.example taro@pc1.example
t 67 -d "$S" user show matsui@pc1.example
t 0 -d "$S" --json user show taro@pc1.example
js 'd["attrs"]["quota_bytes"] == (2 << 30)' \
    'd["effective"]["maildir"] == "pc1.example/matsui/Maildir/"' \
    'd["effective"]["home"] == "/var/vmail/pc1.example/matsui"'
t 0 -d "$S" lookup mailbox taro@pc1.example
out_is "pc1.example/matsui/Maildir/"
t 1 -d "$S" lookup mailbox matsui@pc1.example
t 0 -d "$S" lookup alias info@pc1.example
out_is "taro@pc1.example"
t 0 -d "$S" lookup alias team@pc1.example
out_is "taro@pc1.example,matsui@pc2.example"
t 0 -d "$S" lookup sender taro@pc1.example
out_is "taro@pc1.example,other@pc2.example"
t 0 -d "$S" lookup sender info@pc1.example
out_is "taro@pc1.example"
IN=$T/pw1 t 0 -d "$S" auth taro@pc1.example
IN=$T/pw1 t 1 -d "$S" auth matsui@pc1.example

# ---- a move to another domain
t 0 -d "$S" domain add pc3.example
t 0 -d "$S" user rename taro@pc1.example taro@pc3.example
t 0 -d "$S" lookup mailbox taro@pc3.example
out_is "pc1.example/matsui/Maildir/"
t 1 -d "$S" lookup mailbox taro@pc1.example
t 0 -d "$S" lookup alias info@pc1.example
out_is "taro@pc3.example"
t 0 -d "$S" lookup alias team@pc1.example
out_is "taro@pc3.example,matsui@pc2.example"
t 0 -d "$S" lookup sender taro@pc3.example
out_is "taro@pc3.example,other@pc2.example"
IN=$T/pw1 t 0 -d "$S" auth taro@pc3.example
IN=$T/pw2 t 1 -d "$S" auth taro@pc3.example
t 0 -d "$S" --json domain show pc1.example
js 'd["effective"]["users"] == 0'
t 0 -d "$S" --json domain show pc3.example
js 'd["effective"]["users"] == 1'

# refusals
t 73 -d "$S" user rename taro@pc3.example matsui@pc2.example
t 67 -d "$S" user rename nobody@pc3.example x@pc3.example
t 67 -d "$S" user rename taro@pc3.example taro@nosuch.example
t 65 -d "$S" user rename taro@pc3.example "bad name@pc3.example"
t 64 -d "$S" user rename taro@pc3.example
t 0 -d "$S" domain set pc2.example max_users 1
t 77 -d "$S" user rename taro@pc3.example taro@pc2.example
IN=$T/pw1 t 0 -d "$S" auth taro@pc3.example

# ---- domain rename keeps users, aliases, passwords, lookups
t 0 -d "$S" domain rename pc2.example pc4.example
t 1 -d "$S" lookup domain pc2.example
t 0 -d "$S" lookup domain pc4.example
IN=$T/pw2 t 0 -d "$S" auth matsui@pc4.example
IN=$T/pw2 t 1 -d "$S" auth matsui@pc2.example
t 0 -d "$S" lookup mailbox matsui@pc4.example
out_is "pc2.example/matsui/Maildir/"
t 0 -d "$S" lookup alias pm@pc4.example
out_is "matsui@pc4.example"
t 0 -d "$S" --json domain show pc4.example
js 'd["attrs"]["max_users"] == 1' 'd["effective"]["users"] == 1'

done_testing
