#!/usr/bin/env python3
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# bench_gen.py - write the input of the import benchmark to stdout: a
# vudbadm export (JSON Lines) of DOMAINS domains d<N>.bench.example and
# USERS users spread evenly over them, each with the same prepared
# {SHA512-CRYPT} hash (so that no hashing is timed), a quota and a name.
#
#	bench_gen.py DOMAINS USERS
import sys

HASH = ("{SHA512-CRYPT}$6$benchsaltbenchsa$5tqPo5b3bJ2Mx6c0mtUCyL0f3jFt6gC"
        "K1s5/7l3W9NnZ0d2Bq6Bq6kz0mG8d3lqj5Pp8yqV0X2m0n4p8Jx0Qp.")

def main():
    ndom, nusers = int(sys.argv[1]), int(sys.argv[2])
    out = sys.stdout
    per, extra = divmod(nusers, ndom)
    w = out.write
    for d in range(ndom):
        dom = "d%d.bench.example" % d
        w('{"type":"domain","name":"%s","attrs":{"max_users":"%d"}}\n'
          % (dom, nusers))
        lines = []
        for u in range(per + (1 if d < extra else 0)):
            lines.append('{"type":"user","name":"user%d@%s","attrs":'
                         '{"password":"%s","quota_bytes":"1073741824",'
                         '"name":"User %d"}}\n' % (u, dom, HASH, u))
        w("".join(lines))

if __name__ == "__main__":
    main()
