-- Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
--
-- faults.lua STORE - the Lua module "vudb" as Dovecot uses it, in one
-- long-lived Lua 5.4 process with one handle opened once, for the fault
-- campaign (faults.py).  It answers requests read from standard input,
-- one a line, fields separated by tabs:
--
--   auth USER PASSWORD SERVICE   ->  the status of db:auth(), then the
--                                    canonical user name when "ok"
--   user USER SERVICE            ->  the status of db:user()
--   lookup MAP KEY               ->  the status of db:lookup(), then the
--                                    answer when "ok"
--
-- Each answer is one line, fields separated by tabs; the detail of a
-- "tempfail" is its message.  End of input ends the process (status 0).
local vudb = require "vudb"
local db = vudb.open(arg[1])

local function clean(s)
	return (tostring(s or ""):gsub("[\t\n]", " "))
end

for line in io.lines() do
	local f = {}
	for field in (line .. "\t"):gmatch("([^\t]*)\t") do
		f[#f + 1] = field
	end
	local s, r
	if f[1] == "auth" then
		s, r = db:auth(f[2], f[3], f[4])
		if s == "ok" and type(r) == "table" then
			r = r.user
		end
	elseif f[1] == "user" then
		s, r = db:user(f[2], f[3])
		if s == "ok" and type(r) == "table" then
			r = r.user
		end
	elseif f[1] == "lookup" then
		s, r = db:lookup(f[2], f[3])
	else
		s, r = "error", "unknown request"
	end
	if type(r) == "table" then
		r = ""
	end
	io.write(clean(s), "\t", clean(r), "\n")
	io.flush()
end
db:close()
