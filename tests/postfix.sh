# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# postfix.sh - the frame of a private Postfix 3.7 for tests (sourced):
# everything under one directory, loopback only, nothing delivered
# locally and nothing relayed out; the test appends its own main.cf lines
# (the vudb settings) and starts it with "postfix -c DIR/etc start".
#
# pf_main_cf DIR NAME - DIR/etc/main.cf of a private instance: the queue
# in DIR/spool, myhostname mx.NAME.test, loopback only, nothing delivered
# locally and nothing relayed out (tests/frame24.sh uses it too)
pf_main_cf() {
	mkdir -p "$1/etc" "$1/spool" "$1/data" && chown postfix "$1/data" ||
	    return 1
	cat > "$1/etc/main.cf" <<EOT
compatibility_level = 3.6
queue_directory = $1/spool
data_directory = $1/data
maillog_file = $1/maillog
maillog_file_prefixes = /var, /dev/stdout, $1
myhostname = mx.$2.test
mydomain = $2.test
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost =
local_transport = error:local delivery disabled
default_transport = error:outbound mail disabled in test
relay_transport = error:outbound mail disabled in test
alias_maps =
alias_database =
biff = no
smtpd_banner = \$myhostname ESMTP test
EOT
}

# pf_frame DIR PORT NAME - pf_main_cf, and a master.cf with nothing
# chrooted and smtpd on 127.0.0.1:PORT
pf_frame() {
	pf_main_cf "$1" "$3" || return 1
	cat > "$1/etc/master.cf" <<EOT
127.0.0.1:$2 inet n - n - - smtpd
pickup    unix n - n 60 1 pickup
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
smtp      unix - - n - - smtp
relay     unix - - n - - smtp
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
lmtp      unix - - n - - lmtp
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
EOT
}
