-- Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
--
-- table-auth.lua - the floor of a Lua passdb/userdb in Dovecot, for the
-- login benchmark (auth.sh, setup "lua-table"): the users of a Dovecot
-- passwd-file read into a Lua table once, a passdb lookup that hands
-- Dovecot the stored hash to verify itself, and a userdb lookup from the
-- table.  It runs where our dovecot-auth.lua runs (the auth workers), so
-- that lua against lua-table is the cost of the vudb module and library,
-- and lua-table against passwd-file that of Dovecot's Lua machinery.
-- The file is named by lua_settings { passwd_file = ... } on Dovecot 2.4
-- and by the environment variable AUTH_BENCH_PASSWD on 2.3.

local users = {}

function script_init(args)
	local path
	if type(args) == "table" then
		path = args.passwd_file
	end
	path = path or os.getenv("AUTH_BENCH_PASSWD")
	for line in io.lines(path) do
		-- user:password:uid:gid:gecos:home:shell:extra
		local f = {}
		for field in (line .. ":"):gmatch("([^:]*):") do
			f[#f + 1] = field
		end
		users[f[1]] = { password = f[2], uid = f[3], gid = f[4],
		    home = f[6] }
	end
	return 0
end

function script_deinit()
end

local function username(req)
	return req.user or req:var_expand("%{user}")
end

local P = dovecot.auth

function auth_passdb_lookup(req)
	local name = username(req)
	local u = users[name]
	if u == nil then
		return P.PASSDB_RESULT_USER_UNKNOWN, "no such user"
	end
	return P.PASSDB_RESULT_OK, { user = name, password = u.password }
end

function auth_userdb_lookup(req)
	local u = users[username(req)]
	if u == nil then
		return P.USERDB_RESULT_USER_UNKNOWN, "no such user"
	end
	return P.USERDB_RESULT_OK, { uid = u.uid, gid = u.gid, home = u.home,
	    quota_rule = "*:storage=1G" }
end
