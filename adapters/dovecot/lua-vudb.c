/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * lua-vudb.c - the Lua 5.4 module "vudb": what an authentication script
 * needs of a store, for Dovecot's Lua passdb and userdb (2.3 and 2.4),
 * which run it in a long-lived auth process.  It is a binding and no
 * more: every rule (names, passwords, enabled users and domains, allowed
 * services, lookups) is the library's, reached through vudb.h.  The
 * manual is lua-vudb(7).
 *
 *	local vudb = require "vudb"
 *	local db = vudb.open([store [, logfn]])	-- read-only, lazily
 *	status, fields|msg = db:auth(user, password [, service])
 *	status, fields|msg = db:user(user [, service])
 *	status, fields|msg = db:passdb(user [, service])	-- with the hash
 *	status, answer|msg = db:lookup(map, key)
 *	names|nil, msg     = db:users([domain])
 *	db:close()
 *
 * Statuses are strings: "ok", "refused" (wrong password or unknown user,
 * the same work either way), "unknown" (db:user), "disabled", "notfound"
 * (db:lookup), "tempfail" (any failure of the store: retry later).  A
 * wrong argument type is a Lua error; a name that cannot be a user (NUL
 * inside, too long, invalid) is "refused", "unknown" or "notfound".
 *
 * The store is opened on first use and again after a failure to open, so
 * that an auth process started before the store exists, or while it was
 * unreadable, recovers without a restart.  A call that waits for what a
 * process that died inside Berkeley DB held would wait for ever: the
 * watchdog (watch.h) then ends the auth process, which Dovecot answers as
 * a temporary failure and replaces.  The library's own log lines
 * are handed to logfn(level, message) after each call returns (never
 * from inside the library), at most LOG_KEEP per call.  Passwords are
 * wiped from the module's copies and never logged.
 */
#include "config.h"

#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <lua.h>
#include <lauxlib.h>

#include "vudb.h"
#include "cpw.h"
#include "watch.h"

#define HANDLE		"vudb.store"
#define LOG_KEEP	8
#define LOG_LINE	512
/* longer than any name the library takes (it refuses them itself) */
#define NAME_MAX_LEN	1024

struct lstore {
	struct vudb	*db;
	struct watch	*wd;		/* NULL: none could be started */
	char		*store;		/* NULL: the library's default */
	int		 logref;	/* LUA_NOREF: no log function */
	int		 closed;	/* db:close() was called */
	/* library log lines of the current call */
	char		 logs[LOG_KEEP][LOG_LINE];
	int		 logprio[LOG_KEEP];
	size_t		 nlogs;
	size_t		 dropped;
};

int	luaopen_vudb(lua_State *);

/* lua_die - the watchdog's end of a process stuck in the store: a line
 * on standard error (Dovecot logs it as its auth process's error) */
static void
lua_die(const char *why)
{
	static const char head[] = "vudb: the store was lost while a call "
	    "waited for what a process that died held; this auth process "
	    "ends: ";
	char line[1024];
	int n;

	n = snprintf(line, sizeof(line), "%s%s\n", head, why);
	if (n > 0)
		(void)!write(STDERR_FILENO, line, (size_t)n < sizeof(line) ?
		    (size_t)n : sizeof(line) - 1);
	_exit(75);
}

/* keep_log - the library's log hook: keep the line for after the call */
static void
keep_log(void *arg, int prio, const char *msg)
{
	struct lstore *s = arg;

	if (s->nlogs >= LOG_KEEP) {
		s->dropped++;
		return;
	}
	snprintf(s->logs[s->nlogs], LOG_LINE, "%s", msg);
	s->logprio[s->nlogs++] = prio;
}

/* level - the name of a syslog priority for the log function */
static const char *
level(int prio)
{
	if (prio <= VUDB_LOG_ERR)
		return "error";
	if (prio <= VUDB_LOG_WARNING)
		return "warning";
	return "info";
}

/* flush_logs - hand the kept lines to the script's log function; an
 * error there is not ours to raise in the middle of a login */
static void
flush_logs(lua_State *L, struct lstore *s)
{
	size_t i;

	if (s->logref != LUA_NOREF) {
		for (i = 0; i < s->nlogs; i++) {
			lua_rawgeti(L, LUA_REGISTRYINDEX, s->logref);
			lua_pushstring(L, level(s->logprio[i]));
			lua_pushstring(L, s->logs[i]);
			if (lua_pcall(L, 2, 0, 0) != LUA_OK)
				lua_pop(L, 1);
		}
		if (s->dropped > 0) {
			lua_rawgeti(L, LUA_REGISTRYINDEX, s->logref);
			lua_pushstring(L, "warning");
			lua_pushfstring(L, "vudb: %d more log lines of this "
			    "call not shown", (int)s->dropped);
			if (lua_pcall(L, 2, 0, 0) != LUA_OK)
				lua_pop(L, 1);
		}
	}
	s->nlogs = 0;
	s->dropped = 0;
}

/* check_store - the handle argument; a closed handle is a Lua error */
static struct lstore *
check_store(lua_State *L)
{
	struct lstore *s = luaL_checkudata(L, 1, HANDLE);

	if (s->closed)
		luaL_error(L, "vudb: the store handle is closed");
	return s;
}

/*
 * name_arg - a string argument that must be a name: NULL if it holds a
 * NUL byte or is longer than any name can be (no such entry, whatever
 * the call); a Lua error if it is not a string.
 */
static const char *
name_arg(lua_State *L, int i)
{
	size_t len;
	const char *s = luaL_checklstring(L, i, &len);

	if (strlen(s) != len || len > NAME_MAX_LEN)
		return NULL;
	return s;
}

/* opt_service - the optional service argument (nil: any) */
static const char *
opt_service(lua_State *L, int i)
{
	const char *s = luaL_optstring(L, i, NULL);

	return s != NULL && s[0] == '\0' ? NULL : s;
}

/*
 * ensure_open - open the store now if it is not open: VUDB_OK, or a
 * failure with the message pushed (and 1 returned through *pushed)
 */
static int
ensure_open(lua_State *L, struct lstore *s)
{
	int rc;

	if (s->db != NULL)
		return VUDB_OK;
	rc = vudb_open(s->store, VUDB_RDONLY | VUDB_CACHE, &s->db);
	if (rc != VUDB_OK) {
		s->db = NULL;
		lua_pushstring(L, "tempfail");
		lua_pushfstring(L, "cannot open the store %s: %s: %s",
		    s->store != NULL ? s->store : "(default)",
		    vudb_strerror(rc), vudb_open_errmsg());
		return rc;
	}
	vudb_set_log(s->db, keep_log, s);
	if (s->wd == NULL)
		s->wd = watch_start(s->store, lua_die);
	return VUDB_OK;
}

/* push_fail - "tempfail" and the library's message of rc */
static int
push_fail(lua_State *L, struct lstore *s, int rc)
{
	const char *msg = vudb_errmsg(s->db);

	lua_pushstring(L, "tempfail");
	if (msg[0] != '\0')
		lua_pushfstring(L, "%s: %s", vudb_strerror(rc), msg);
	else
		lua_pushstring(L, vudb_strerror(rc));
	return 2;
}

/* setfield - t[key] = value, for a non-NULL value */
static void
setfield(lua_State *L, const char *key, const char *value)
{
	if (value == NULL)
		return;
	lua_pushstring(L, value);
	lua_setfield(L, -2, key);
}

/*
 * push_fields - the userdb fields of user u as a table: user (the
 * canonical name), home, uid, gid, quota_rule (if any limit), maildir
 * (absolute: the store's mailbox answer under its mail_base)
 */
static void
push_fields(lua_State *L, struct lstore *s, const struct vudb_obj *u)
{
	char quota[128], *path;
	const char *maildir, *base;

	lua_createtable(L, 0, 6);
	setfield(L, "user", vudb_obj_name(u));
	setfield(L, "home", vudb_obj_effective(u, "home"));
	setfield(L, "uid", vudb_obj_effective(u, "uid"));
	setfield(L, "gid", vudb_obj_effective(u, "gid"));
	if (cpw_quota_rule(vudb_obj_effective(u, "quota_bytes"),
	    vudb_obj_effective(u, "quota_messages"), quota,
	    sizeof(quota)) > 0)
		setfield(L, "quota_rule", quota);
	maildir = vudb_obj_effective(u, "maildir");
	if (maildir != NULL && maildir[0] == '/')
		setfield(L, "maildir", maildir);
	else if (maildir != NULL &&
	    vudb_setting_get(s->db, "mail_base", &base) == VUDB_OK &&
	    (path = malloc(strlen(base) + strlen(maildir) + 2)) != NULL) {
		sprintf(path, "%s/%s", base, maildir);
		setfield(L, "maildir", path);
		free(path);
	}
}

/*
 * push_answer - a login's or a lookup's result: "ok" and u's fields (with
 * hash as "password" if not NULL); miss and why for a wrong password or
 * an unknown user (VUDB_EAUTH, VUDB_ENOTFOUND, VUDB_EINVAL); "disabled";
 * else "tempfail".  Returns the number of values pushed.
 */
static int
push_answer(lua_State *L, struct lstore *s, int rc, const struct vudb_obj *u,
    const char *hash, const char *miss, const char *why)
{
	switch (rc) {
	case VUDB_OK:
		lua_pushstring(L, "ok");
		push_fields(L, s, u);
		setfield(L, "password", hash);
		return 2;
	case VUDB_EAUTH:
	case VUDB_ENOTFOUND:
	case VUDB_EINVAL:
		lua_pushstring(L, miss);
		lua_pushstring(L, why);
		return 2;
	case VUDB_EDISABLED:
		lua_pushstring(L, "disabled");
		lua_pushstring(L, vudb_errmsg(s->db));
		return 2;
	default:
		return push_fail(L, s, rc);
	}
}

/* l_open - vudb.open([store [, logfn]]): a handle; the store is opened
 * on first use */
static int
l_open(lua_State *L)
{
	const char *store = luaL_optstring(L, 1, NULL);
	struct lstore *s;

	if (!lua_isnoneornil(L, 2))
		luaL_checktype(L, 2, LUA_TFUNCTION);
	s = lua_newuserdatauv(L, sizeof(*s), 0);
	memset(s, 0, sizeof(*s));
	s->logref = LUA_NOREF;
	luaL_setmetatable(L, HANDLE);
	if (store != NULL && store[0] != '\0' &&
	    (s->store = strdup(store)) == NULL)
		return luaL_error(L, "vudb.open: out of memory");
	if (!lua_isnoneornil(L, 2)) {
		lua_pushvalue(L, 2);
		s->logref = luaL_ref(L, LUA_REGISTRYINDEX);
	}
	return 1;
}

/* l_auth - db:auth(user, password [, service]): check a login */
static int
l_auth(lua_State *L)
{
	struct lstore *s = check_store(L);
	const char *user = name_arg(L, 2), *service = opt_service(L, 4);
	struct vudb_obj *u = NULL;
	size_t plen;
	const char *pw = luaL_checklstring(L, 3, &plen);
	char *pass;
	int rc, n;

	if (ensure_open(L, s) != VUDB_OK)
		return 2;
	/* a copy the library may read up to its NUL, wiped after */
	if ((pass = malloc(plen + 1)) == NULL)
		return luaL_error(L, "vudb: out of memory");
	memcpy(pass, pw, plen);
	pass[plen] = '\0';
	/*
	 * An unusable name, or a password with a NUL inside (which no
	 * stored hash can match), gets the same work as an unknown user.
	 */
	if (strlen(pw) != plen)
		user = NULL;
	watch_enter(s->wd);
	rc = vudb_auth(s->db, user != NULL ? user : "", pass, service, &u);
	watch_leave(s->wd);
	explicit_bzero(pass, plen);
	free(pass);
	n = push_answer(L, s, rc, u, NULL, "refused",
	    "wrong password or unknown user");
	vudb_obj_free(u);
	flush_logs(L, s);
	return n;
}

/*
 * user_lookup - db:user() and db:passdb(): a lookup without a password
 * through vudb_authorize(); db:passdb() adds the stored hash as
 * "password" and knows no user without one
 */
static int
user_lookup(lua_State *L, int with_password)
{
	struct lstore *s = check_store(L);
	const char *user = name_arg(L, 2), *service = opt_service(L, 3);
	const char *hash = NULL;
	struct vudb_obj *u = NULL;
	int rc, n;

	if (ensure_open(L, s) != VUDB_OK)
		return 2;
	watch_enter(s->wd);
	rc = user == NULL ? VUDB_ENOTFOUND :
	    vudb_authorize(s->db, user, service, &u);
	watch_leave(s->wd);
	if (rc == VUDB_OK && with_password &&
	    (hash = vudb_obj_get(u, "password")) == NULL)
		rc = VUDB_ENOTFOUND;
	n = push_answer(L, s, rc, u, hash, "unknown", "no such user");
	vudb_obj_free(u);
	flush_logs(L, s);
	return n;
}

/* l_user - db:user(user [, service]): the userdb lookup */
static int
l_user(lua_State *L)
{
	return user_lookup(L, 0);
}

/* l_passdb - db:passdb(user [, service]): the same with the stored hash,
 * for Dovecot's own verification (non-plaintext mechanisms) */
static int
l_passdb(lua_State *L)
{
	return user_lookup(L, 1);
}

/* l_lookup - db:lookup(map, key): what vudb-mapd answers */
static int
l_lookup(lua_State *L)
{
	struct lstore *s = check_store(L);
	const char *map = luaL_checkstring(L, 2), *key = name_arg(L, 3);
	char *answer = NULL;
	int rc, n = 2;

	if (!vudb_map_valid(map))
		return luaL_error(L, "vudb: no map named \"%s\"", map);
	if (ensure_open(L, s) != VUDB_OK)
		return 2;
	watch_enter(s->wd);
	rc = key == NULL ? VUDB_ENOTFOUND :
	    vudb_lookup(s->db, map, key, &answer);
	watch_leave(s->wd);
	if (rc == VUDB_OK) {
		lua_pushstring(L, "ok");
		lua_pushstring(L, answer);
	} else if (rc == VUDB_ENOTFOUND) {
		lua_pushstring(L, "notfound");
		lua_pushnil(L);
	} else
		n = push_fail(L, s, rc);
	vudb_free(answer);
	flush_logs(L, s);
	return n;
}

/* list_users - append the users of domain to the table on top; VUDB_OK
 * or a failure */
static int
list_users(lua_State *L, struct lstore *s, const char *domain,
    lua_Integer *n)
{
	struct vudb_iter *it;
	struct vudb_obj *o;
	int rc;

	if ((rc = vudb_list(s->db, VUDB_USER, domain, &it)) != VUDB_OK)
		return rc;
	while ((rc = vudb_iter_next(it, &o)) == VUDB_OK) {
		lua_pushstring(L, vudb_obj_name(o));
		lua_rawseti(L, -2, ++*n);
	}
	vudb_iter_free(it);
	return rc == VUDB_ENOTFOUND ? VUDB_OK : rc;
}

/* l_users - db:users([domain]): the names of all users (of one domain) */
static int
l_users(lua_State *L)
{
	struct lstore *s = check_store(L);
	const char *domain = luaL_optstring(L, 2, NULL);
	struct vudb_iter *it;
	struct vudb_obj *o;
	lua_Integer n = 0;
	int rc;

	if (ensure_open(L, s) != VUDB_OK) {
		lua_remove(L, -2);	/* nil instead of "tempfail" */
		lua_pushnil(L);
		lua_insert(L, -2);
		return 2;
	}
	lua_newtable(L);
	watch_enter(s->wd);
	if (domain != NULL)
		rc = list_users(L, s, domain, &n);
	else if ((rc = vudb_list(s->db, VUDB_DOMAIN, NULL, &it)) == VUDB_OK) {
		while ((rc = vudb_iter_next(it, &o)) == VUDB_OK &&
		    (rc = list_users(L, s, vudb_obj_name(o), &n)) == VUDB_OK)
			;
		vudb_iter_free(it);
		if (rc == VUDB_ENOTFOUND)
			rc = VUDB_OK;
	}
	watch_leave(s->wd);
	flush_logs(L, s);
	if (rc != VUDB_OK) {
		lua_pop(L, 1);
		push_fail(L, s, rc);
		lua_remove(L, -2);
		lua_pushnil(L);
		lua_insert(L, -2);
		return 2;
	}
	return 1;
}

/* l_close - db:close() and the garbage collector: close the store */
static int
l_close(lua_State *L)
{
	struct lstore *s = luaL_checkudata(L, 1, HANDLE);

	watch_stop(s->wd);
	s->wd = NULL;
	vudb_close(s->db);
	s->db = NULL;
	free(s->store);
	s->store = NULL;
	if (s->logref != LUA_NOREF) {
		luaL_unref(L, LUA_REGISTRYINDEX, s->logref);
		s->logref = LUA_NOREF;
	}
	s->closed = 1;
	return 0;
}

static const luaL_Reg store_methods[] = {
	{ "auth", l_auth },
	{ "user", l_user },
	{ "passdb", l_passdb },
	{ "lookup", l_lookup },
	{ "users", l_users },
	{ "close", l_close },
	{ NULL, NULL }
};

static const luaL_Reg functions[] = {
	{ "open", l_open },
	{ NULL, NULL }
};

int
luaopen_vudb(lua_State *L)
{
	luaL_newmetatable(L, HANDLE);
	luaL_newlib(L, store_methods);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, l_close);
	lua_setfield(L, -2, "__gc");
	lua_pushcfunction(L, l_close);
	lua_setfield(L, -2, "__close");
	lua_pop(L, 1);
	luaL_newlib(L, functions);
	lua_pushstring(L, vudb_version(NULL, NULL, NULL));
	lua_setfield(L, -2, "version");
	return 1;
}
