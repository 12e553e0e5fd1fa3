#!/usr/bin/env python3
# Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
#
# checkjson.py - check vudbadm's JSON output in the tests.  Reads stdin as
# one JSON document (or, with -l, JSON Lines: every line must be one
# object), binds it to d and evaluates each EXPR in turn; exits 1 naming
# the first that is false, or 2 when the input is not valid JSON.
#
#	checkjson.py [-l] EXPR ...
import json
import sys

def main():
    args = sys.argv[1:]
    lines = False
    if args and args[0] == "-l":
        lines = True
        args = args[1:]
    text = sys.stdin.read()
    try:
        if lines:
            d = [json.loads(l) for l in text.splitlines()]
            for x in d:
                if not isinstance(x, dict):
                    raise ValueError("a line is not an object")
        else:
            d = json.loads(text)
    except ValueError as e:
        print("checkjson: invalid JSON: %s\n%s" % (e, text[:500]))
        sys.exit(2)
    for expr in args:
        try:
            ok = eval(expr, {"d": d, "len": len, "set": set,
                             "sorted": sorted, "all": all, "any": any})
        except Exception as e:
            ok = False
            print("checkjson: %s: %s" % (expr, e))
        if not ok:
            print("checkjson: false: %s\n%s" % (expr, text[:1000]))
            sys.exit(1)

if __name__ == "__main__":
    main()
