#!/bin/sh
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# alias.sh - aliases (several destinations, the @domain catch-all),
# relocated entries, send-as grants, and "lookup" on every map, which must
# print what vudb-mapd answers: the two-domain, same-user-name setup of
# the manual's EXAMPLES.
. "${top_srcdir:-.}/tools/vudbadm/tests/common.sh"

mkstore >/dev/null
v domain add pc1.example
v domain add pc2.example
printf 'secret1\n' | v user add matsui@pc1.example --password-stdin
printf 'secret2\n' | v user add matsui@pc2.example --password-stdin
v user add --no-password postmaster@pc2.example

# ---- aliases
t 0 -d "$S" alias add info@pc1.example matsui@pc1.example,Matsui@PC2.example
t 0 -d "$S" alias add sales@pc1.example matsui@pc1.example postmaster@pc2.example
t 0 -d "$S" alias add @pc2.example postmaster@pc2.example
t 73 -d "$S" alias add info@pc1.example x@pc1.example
err_line
err_has "vudbadm: alias add: info@pc1.example: already exists"
t 65 -d "$S" alias add bad@pc1.example "not an address"
t 65 -d "$S" alias add bad@pc1.example nodomain
t 65 -d "$S" alias add "a b@pc1.example" x@pc1.example
t 67 -d "$S" alias add x@nosuch.example x@pc1.example
t 64 -d "$S" alias add lonely@pc1.example
t 0 -d "$S" alias show info@pc1.example
out_has "matsui@pc1.example,matsui@pc2.example"
t 0 -d "$S" --json alias show info@pc1.example
js 'd["type"] == "alias"' 'd["attrs"]["dest"] == ["matsui@pc1.example", "matsui@pc2.example"]'
t 0 -d "$S" alias list pc1.example
out_has "SOURCE"
out_has "sales@pc1.example  matsui@pc1.example,postmaster@pc2.example"
t 0 -d "$S" --json alias list
jsl 'len(d) == 3' 'd[2]["name"] == "@pc2.example"'
t 0 -d "$S" alias set info@pc1.example matsui@pc1.example
t 67 -d "$S" alias set nobody@pc1.example matsui@pc1.example
t 0 -d "$S" lookup alias info@pc1.example
out_is "matsui@pc1.example"

# ---- lookups: two domains, one user name
t 0 -d "$S" lookup domain pc1.example
out_is "pc1.example"
t 1 -d "$S" lookup domain nosuch.example
out_is ""
t 0 -d "$S" lookup mailbox matsui@pc1.example
out_is "pc1.example/matsui/Maildir/"
t 0 -d "$S" lookup mailbox Matsui+tag@PC2.example
out_is "pc2.example/matsui/Maildir/"
t 0 -d "$S" lookup alias anything@pc2.example
out_is "postmaster@pc2.example"
t 1 -d "$S" lookup alias matsui@pc2.example
t 0 -d "$S" lookup alias info+x@pc1.example
out_is "matsui+x@pc1.example"
t 0 -d "$S" lookup uid matsui@pc1.example
out_is "5000"
t 0 -d "$S" lookup gid matsui@pc2.example
out_is "5000"
t 1 -d "$S" lookup mailbox ""
t 1 -d "$S" lookup mailbox "@@@"
t 64 -d "$S" lookup nosuchmap x
err_has "unknown map"
t 64 -d "$S" lookup mailbox
t 0 -d "$S" --json lookup mailbox matsui@pc1.example
js 'd == {"map": "mailbox", "key": "matsui@pc1.example", "found": True, "answer": "pc1.example/matsui/Maildir/"}'
t 1 -d "$S" --json lookup mailbox nobody@pc1.example
js 'd["found"] == False' 'd["answer"] is None'
# the catch-all turned off for the domain
t 0 -d "$S" domain set pc2.example catchall no
t 1 -d "$S" lookup alias anything@pc2.example
t 0 -d "$S" domain set pc2.example catchall yes

# ---- relocated
t 0 -d "$S" relocated add old@pc1.example matsui@pc2.example
t 0 -d "$S" relocated add gone@pc1.example "left the company"
t 0 -d "$S" relocated add @pc2.example "see pc1.example"
t 73 -d "$S" relocated add old@pc1.example x@pc1.example
t 65 -d "$S" relocated add bad@pc1.example "$(printf 'a\tb')"
t 67 -d "$S" relocated add old@nosuch.example x@pc1.example
t 0 -d "$S" lookup relocated old@pc1.example
out_is "matsui@pc2.example"
t 0 -d "$S" lookup relocated gone@pc1.example
out_is "left the company"
t 0 -d "$S" lookup relocated who@pc2.example
out_is "see pc1.example"
t 0 -d "$S" relocated list
out_has "gone@pc1.example  left the company"
t 0 -d "$S" --json relocated list pc1.example
jsl 'len(d) == 2' 'd[0]["type"] == "relocated"' 'd[1]["attrs"]["dest"] == "matsui@pc2.example"'
t 0 -d "$S" relocated set gone@pc1.example "retired"
t 0 -d "$S" --json relocated show gone@pc1.example
js 'd["attrs"]["dest"] == "retired"'
t 0 -d "$S" relocated del gone@pc1.example
t 67 -d "$S" relocated del gone@pc1.example
t 1 -d "$S" lookup relocated gone@pc1.example

# ---- send-as grants
t 0 -d "$S" sender grant info@pc1.example matsui@pc2.example
t 0 -d "$S" sender grant info@pc1.example Postmaster@pc2.example,matsui@pc2.example
t 0 -d "$S" lookup sender info@pc1.example
out_is "matsui@pc1.example,matsui@pc2.example,postmaster@pc2.example"
t 0 -d "$S" sender grant matsui@pc1.example matsui@pc2.example
t 0 -d "$S" lookup sender matsui@pc1.example
out_is "matsui@pc1.example,matsui@pc2.example"
t 0 -d "$S" sender list
out_has "info@pc1.example    matsui@pc2.example,postmaster@pc2.example"
t 0 -d "$S" --json sender list pc1.example
jsl 'len(d) == 2' 'd[0]["type"] == "sender"' \
    'd[0]["attrs"]["logins"] == ["matsui@pc2.example", "postmaster@pc2.example"]'
t 0 -d "$S" --json sender list info@pc1.example
js 'd["name"] == "info@pc1.example"'
t 65 -d "$S" sender grant info@pc1.example "bad login"
t 67 -d "$S" sender grant info@nosuch.example x@pc1.example
t 64 -d "$S" sender grant info@pc1.example
t 0 -d "$S" sender revoke info@pc1.example MATSUI@pc2.example
t 0 -d "$S" lookup sender info@pc1.example
out_is "matsui@pc1.example,postmaster@pc2.example"
t 67 -d "$S" sender revoke info@pc1.example matsui@pc2.example
err_has "not granted"
t 65 -d "$S" sender revoke info@pc1.example "bad login"
t 0 -d "$S" sender revoke info@pc1.example postmaster@pc2.example
t 67 -d "$S" sender list info@pc1.example
t 67 -d "$S" sender revoke info@pc1.example postmaster@pc2.example

# ---- deletes
t 0 -d "$S" alias del info@pc1.example
t 67 -d "$S" alias del info@pc1.example
t 0 -d "$S" alias del @pc2.example
t 1 -d "$S" lookup alias anything@pc2.example
t 65 -d "$S" alias del "bad name"
t 64 -d "$S" alias del

# deleting a user takes its grants along
t 0 -d "$S" user del matsui@pc1.example
t 67 -d "$S" sender list matsui@pc1.example

done_testing
