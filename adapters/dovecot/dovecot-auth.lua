-- Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
--
-- dovecot-auth.lua - Dovecot's Lua passdb and userdb on a vudb store, the
-- same file for Dovecot 2.3 and 2.4 (lua-vudb(7)).  It only translates:
-- the module "vudb" asks the library, which alone knows the rules (names,
-- passwords, enabled users and domains, allowed services).
--
-- The store is /var/lib/vudb unless told: on 2.4 by
--   lua_settings { store = /path }
-- on 2.3 (which passes scripts no arguments) by the environment variable
-- VUDB_STORE, given to the auth processes with
--   import_environment = $import_environment VUDB_STORE=/path
--
-- Results: a wrong password and an unknown user are the same mismatch; a
-- disabled user or domain, or a service the user may not use, is a
-- refusal; a failure of the store is INTERNAL_FAILURE (Dovecot answers a
-- temporary failure), never a mismatch and never an unknown user.

local vudb = require "vudb"

local db
-- Dovecot 2.4 passes script_init() a table (lua_settings); 2.3 nothing.
local dovecot24 = false

local function log(level, msg)
	if level == "error" then
		dovecot.i_error("vudb: " .. msg)
	elseif level == "warning" then
		dovecot.i_warning("vudb: " .. msg)
	else
		dovecot.i_info("vudb: " .. msg)
	end
end

function script_init(args)
	local store
	if type(args) == "table" then
		dovecot24 = true
		store = args.store
	end
	if store == nil or store == "" then
		store = os.getenv("VUDB_STORE")
	end
	if store == nil or store == "" then
		store = "/var/lib/vudb"
	end
	-- opened on first use: a store that is missing or unreadable now
	-- fails logins with a temporary failure until it is there
	db = vudb.open(store, log)
	return 0
end

function script_deinit()
	if db ~= nil then
		db:close()
		db = nil
	end
end

-- the login name (2.3 and 2.4 both know %{user}), and the service
local function username(req)
	local user = req.user
	if user == nil then
		user = req:var_expand("%{user}")
	end
	return user or ""
end

local function service(req)
	return req.service or req.protocol
end

-- userdb fields in the syntax of the running Dovecot
local function userdb_fields(f)
	local t = { home = f.home, uid = f.uid, gid = f.gid }
	if f.user ~= nil then
		t.user = f.user
	end
	if dovecot24 then
		if f.maildir ~= nil then
			t.mail_driver = "maildir"
			t.mail_path = f.maildir
		end
	else
		if f.maildir ~= nil then
			t.mail = "maildir:" .. f.maildir
		end
		if f.quota_rule ~= nil then
			t.quota_rule = f.quota_rule
		end
	end
	return t
end

-- a passdb reply: the canonical name and, for Dovecot's prefetch userdb,
-- the userdb fields (an IMAP login then needs no second lookup)
local function passdb_fields(f)
	local t = { user = f.user }
	for k, v in pairs(userdb_fields(f)) do
		if k ~= "user" then
			t["userdb_" .. k] = v
		end
	end
	return t
end

local P = dovecot.auth

function auth_password_verify(req, password)
	local status, r = db:auth(username(req), password, service(req))
	if status == "ok" then
		return P.PASSDB_RESULT_OK, passdb_fields(r)
	elseif status == "refused" then
		return P.PASSDB_RESULT_PASSWORD_MISMATCH, r
	elseif status == "disabled" then
		return P.PASSDB_RESULT_USER_DISABLED, r
	end
	return P.PASSDB_RESULT_INTERNAL_FAILURE, r or "vudb: no answer"
end

-- a passdb lookup without a password (non-plaintext mechanisms, doveadm):
-- the stored hash, for Dovecot to verify
function auth_passdb_lookup(req)
	local status, r = db:passdb(username(req), service(req))
	if status == "ok" then
		local t = passdb_fields(r)
		t.password = r.password
		return P.PASSDB_RESULT_OK, t
	elseif status == "unknown" then
		return P.PASSDB_RESULT_USER_UNKNOWN, r
	elseif status == "disabled" then
		return P.PASSDB_RESULT_USER_DISABLED, r
	end
	return P.PASSDB_RESULT_INTERNAL_FAILURE, r or "vudb: no answer"
end

function auth_userdb_lookup(req)
	local status, r = db:user(username(req), service(req))
	if status == "ok" then
		return P.USERDB_RESULT_OK, userdb_fields(r)
	elseif status == "unknown" or status == "disabled" then
		return P.USERDB_RESULT_USER_UNKNOWN, r
	end
	return P.USERDB_RESULT_INTERNAL_FAILURE, r or "vudb: no answer"
end

function auth_userdb_iterate()
	local names, err = db:users()
	if names == nil then
		-- Dovecot logs the error and reports the iteration failed
		error("vudb: " .. (err or "cannot list the users"))
	end
	return names
end
