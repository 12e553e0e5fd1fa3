-- Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
--
-- lua-module.lua STORE - the Lua module "vudb" on its own, in a plain Lua
-- 5.4 interpreter (lua-module.sh makes the store and runs this): results
-- for every kind of login and lookup, bad arguments as Lua errors, bad
-- names as refusals, a missing store as a temporary failure that recovers
-- once the store is there, and changes seen by a long-lived handle.
-- Prints "ok"/"FAIL" lines and "lua-module: N checks, M failed".
local store, adm = arg[1], arg[2]
local vudb = require "vudb"
local passed, failed = 0, 0

local function check(what, cond)
	if cond then
		passed = passed + 1
		print("ok   " .. what)
	else
		failed = failed + 1
		print("FAIL " .. what)
	end
end

local function sh(cmd)
	local ok = os.execute(cmd)
	return ok == true
end

local logs = {}
local db = vudb.open(store, function(level, msg)
	logs[#logs + 1] = level .. ": " .. msg
end)
check("vudb.version is a string", type(vudb.version) == "string")

local s, f = db:auth("matsui@pc1.example", "password-one", "imap")
check("own password: ok", s == "ok" and type(f) == "table")
check("... canonical user", f and f.user == "matsui@pc1.example")
check("... home, uid, gid", f and f.home ~= nil and f.uid == "5000" and
    f.gid == "5000")
check("... absolute maildir", f and f.maildir ~= nil and
    f.maildir:sub(1, 1) == "/" and f.maildir:match("pc1.example/matsui/Maildir/$") ~= nil)
check("... quota rule", f and f.quota_rule == "*:storage=1048576B")
check("... no password in the fields", f and f.password == nil)
s, f = db:auth("Matsui@PC1.Example", "password-one", "imap")
check("mixed case: ok as matsui@pc1.example", s == "ok" and f.user == "matsui@pc1.example")
s = db:auth("matsui@pc1.example", "password-two", "imap")
check("the other domain's password: refused", s == "refused")
s = db:auth("matsui@pc2.example", "password-two", "imap")
check("the other matsui with its own: ok", s == "ok")
local s1, m1 = db:auth("nobody@pc1.example", "x", "imap")
local s2, m2 = db:auth("matsui@pc1.example", "x", "imap")
check("unknown user and wrong password: the same answer",
    s1 == "refused" and s1 == s2 and m1 == m2)
check("user without domain: refused", db:auth("matsui", "password-one") == "refused")
check("disabled user: disabled", db:auth("off@pc1.example", "password-off") == "disabled")
check("disabled user, wrong password: refused",
    db:auth("off@pc1.example", "wrong") == "refused")
check("disabled domain: disabled", db:auth("matsui@off.example", "password-d") == "disabled")
check("service not allowed: disabled",
    db:auth("imaponly@pc1.example", "password-i", "pop3") == "disabled")
check("allowed service: ok", db:auth("imaponly@pc1.example", "password-i", "imap") == "ok")
check("empty name: refused", db:auth("", "x") == "refused")
check("10,000-byte name: refused", db:auth(string.rep("a", 10000) .. "@pc1.example", "x") == "refused")
check("NUL inside: refused", db:auth("matsui\0@pc1.example", "password-one") == "refused")
check("NUL in the password: refused", db:auth("matsui@pc1.example", "password-one\0x") == "refused")
check("invalid UTF-8: refused", db:auth("\xff\xfe@pc1.example", "x") == "refused")
check("../ in the name: refused", db:auth("../../etc@pc1.example", "x") == "refused")
check("../ as the domain: refused", db:auth("matsui@../pc1.example", "x") == "refused")

s, f = db:user("matsui@pc2.example", "lmtp")
check("userdb: ok", s == "ok" and f.home:match("pc2.example/matsui$") ~= nil)
check("userdb: unknown", db:user("nobody@pc2.example") == "unknown")
check("userdb: disabled user", db:user("off@pc1.example", "imap") == "disabled")
check("userdb: doveadm reaches a disabled user", db:user("off@pc1.example", "doveadm") == "ok")
s, f = db:passdb("matsui@pc1.example", "imap")
check("passdb lookup: the stored hash", s == "ok" and f.password:match("^{SHA512%-CRYPT}") ~= nil)
check("lookup: mailbox", select(2, db:lookup("mailbox", "Matsui+x@PC1.example")) ==
    "pc1.example/matsui/Maildir/")
check("lookup: not found", db:lookup("mailbox", "nobody@pc1.example") == "notfound")
local names = db:users()
check("users: every user", type(names) == "table" and #names == 7)
check("users of one domain", #db:users("pc2.example") == 1)

-- wrong types and misuse are Lua errors, never a crash
check("auth(5, {}) is an error", not pcall(db.auth, db, 5, {}))
check("auth without a password is an error", not pcall(db.auth, db, "a@b.example"))
check("a method on a string is an error", not pcall(db.auth, "x", "y", "z"))
check("an unknown map is an error", not pcall(db.lookup, db, "nomap", "x"))
check("open with a non-function logger is an error", not pcall(vudb.open, store, 5))

-- a long-lived handle sees changes on the next call
sh(string.format("printf 'new-pw\\n' | %s -d %s user passwd matsui@pc1.example --password-stdin", adm, store))
check("password change: the old one is refused", db:auth("matsui@pc1.example", "password-one") == "refused")
check("... the new one accepted", db:auth("matsui@pc1.example", "new-pw") == "ok")
sh(string.format("printf 'pw-new\\n' | %s -d %s user add fresh@pc1.example --password-stdin", adm, store))
check("a new user logs in", db:auth("fresh@pc1.example", "pw-new") == "ok")
sh(string.format("%s -d %s user disable fresh@pc1.example", adm, store))
check("... disabled: refused", db:auth("fresh@pc1.example", "pw-new") == "disabled")
sh(string.format("%s -d %s user del fresh@pc1.example", adm, store))
check("... deleted: refused", db:auth("fresh@pc1.example", "pw-new") == "refused")
check("... and unknown to the userdb", db:user("fresh@pc1.example") == "unknown")

-- a store that is not there yet: a temporary failure, then it works
local later = store .. "-later"
local db2 = vudb.open(later)
s, m1 = db2:auth("matsui@pc1.example", "x")
check("missing store: tempfail with a message", s == "tempfail" and type(m1) == "string" and #m1 > 0)
check("... userdb too", db2:user("matsui@pc1.example") == "tempfail")
check("... users() is nil and a message", db2:users() == nil)
sh(string.format("%s -d %s init && %s -d %s domain add pc1.example && printf 'pw\\n' | %s -d %s user add late@pc1.example --password-stdin",
    adm, later, adm, later, adm, later))
check("... and logs in once it exists", db2:auth("late@pc1.example", "pw") == "ok")
db2:close()
check("a closed handle is an error", not pcall(db2.auth, db2, "a", "b"))
db:close()

print(string.format("lua-module: %d checks, %d failed", passed + failed, failed))
os.exit(failed == 0 and 0 or 1)
