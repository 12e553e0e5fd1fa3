/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * cmd_user.c - "user add|del|list|show|set|unset|enable|disable|passwd|
 * rename": mailbox users.  A new password comes from the terminal (asked
 * twice), from standard input, as a prepared hash, or is generated and
 * printed once; the library hashes a clear-text one (vudb_add_user,
 * vudb_set_password) with the scheme in force for the user's domain, in
 * the same change that adds the user.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vudbadm.h"

static const struct aopt user_aopts[] = {
	{ "--quota", "quota_bytes", NULL },
	{ "--quota-messages", "quota_messages", NULL },
	{ "--services", "services", NULL },
	{ "--name", "name", NULL },
	{ "--uid", "uid", NULL },
	{ "--gid", "gid", NULL },
	{ "--home", "home", NULL },
	{ "--maildir", "maildir", NULL },
	{ "--disabled", "enabled", "no" },
	{ "--no-receive", "receive", "no" },
	{ NULL, NULL, NULL }
};

/*
 * pw_how - which password option was given: 0 none, 's', 'r', 'h', or
 * 'n' (--no-password, user add only)
 */
static int
pw_how(struct ctx *c, int in, int rnd, const char *hash, int none)
{
	if (in + rnd + (hash != NULL) + none > 1)
		return usage_error(c, "--password-stdin, --password-hash, "
		    "--random-password and --no-password exclude each "
		    "other"), -1;
	return in ? 's' : rnd ? 'r' : hash != NULL ? 'h' : none ? 'n' : 0;
}

/* check_name - a usage-level check of a name before the store is used */
static int
check_name(struct ctx *c, int type, const char *name)
{
	const char *why;

	if ((why = vudb_name_error(type, name)) != NULL)
		return fail_msg(c, EX_DATAERR, "%s: %s", name, why);
	return EX_OK;
}

/*
 * check_hash - a prepared hash (--password-hash) must be one a login can
 * use: the library is asked whether it can verify the scheme.  A clear-
 * text scheme is stored, with a warning.  Only the scheme is named in
 * messages, never the hash.
 */
static int
check_hash(struct ctx *c, const char *addr, const char *hash)
{
	int clear, n;

	n = hash[0] == '{' ? (int)strcspn(hash + 1, "}") : 0;
	if (n > 40)
		n = 40;
	if (vudb_password_usable(hash, &clear) != VUDB_OK)
		return fail_msg(c, EX_DATAERR, "%s: password scheme {%.*s} "
		    "cannot be checked at login: use a scheme of "
		    "vudb_password_hash(3), such as {ARGON2ID}, "
		    "{SHA512-CRYPT} or {BLF-CRYPT}", addr, n, hash + 1);
	if (clear)
		warn_msg(c, "warning: %s: password scheme {%.*s} stores the "
		    "password in clear text, readable by anyone who can read "
		    "the store", addr, n, hash + 1);
	return EX_OK;
}

/* print_random - show a generated password, once */
static void
print_random(struct ctx *c, const char *addr, const char *pw)
{
	if (c->json) {
		jw_obj_begin(&c->jw);
		jw_kv(&c->jw, "name", addr);
		jw_kv(&c->jw, "password", pw);
		jw_obj_end(&c->jw);
		jw_end(&c->jw);
	} else
		printf("%s\n", pw);
	fflush(stdout);
}

static int
cmd_add(struct ctx *c, int argc, char **argv)
{
	const char *attrs[2 * NELEM(user_aopts) + 3], *hash_arg = NULL;
	struct vudb_obj *o;
	char pw[PW_MAX + 1], *pos[1];
	int n, rc, in = 0, rnd = 0, none = 0, how;
	size_t k;
	struct opt extra[] = {
		{ "--password-stdin", 0, NULL, &in },
		{ "--password-hash", 1, &hash_arg, NULL },
		{ "--random-password", 0, NULL, &rnd },
		{ "--no-password", 0, NULL, &none },
		{ NULL, 0, NULL, NULL }
	};

	if ((n = parse_attr_opts(c, argc, argv, user_aopts, extra, pos, 1,
	    attrs)) < 0)
		return EX_USAGE;
	if (n != 1)
		return usage_error(c, "address missing");
	if ((how = pw_how(c, in, rnd, hash_arg, none)) < 0)
		return EX_USAGE;
	if ((rc = check_name(c, VUDB_USER, pos[0])) != EX_OK)
		return rc;
	/*
	 * No option and no terminal (a script, cron): a user that nobody
	 * can log in as is made only when asked for by name.
	 */
	if (how == 0 && !isatty(STDIN_FILENO))
		return usage_error(c, "no password given and standard input "
		    "is not a terminal: use --password-stdin, --password-hash, "
		    "--random-password or --no-password");
	if (how == 0)
		how = 't';
	if (how == 'h' && (rc = check_hash(c, pos[0], hash_arg)) != EX_OK)
		return rc;
	if ((rc = open_store(c, 0)) != EX_OK)
		return rc;
	if (how == 'h') {
		/* a prepared hash is an attribute like any other */
		for (k = 0; attrs[k] != NULL; k += 2)
			;
		attrs[k++] = "password";
		attrs[k++] = hash_arg;
		attrs[k] = NULL;
	}
	if (how == 'n' || how == 'h') {
		if ((rc = vudb_add(c->db, VUDB_USER, pos[0], attrs)) !=
		    VUDB_OK)
			return fail(c, rc, pos[0]);
		return EX_OK;
	}
	/* nobody is asked for a password that would be refused */
	if (how == 't') {
		if (vudb_get(c->db, VUDB_USER, pos[0], &o) == VUDB_OK) {
			vudb_obj_free(o);
			return fail_msg(c, EX_CANTCREAT, "%s: already exists",
			    pos[0]);
		}
		if ((rc = vudb_get(c->db, VUDB_DOMAIN, strrchr(pos[0], '@') +
		    1, &o)) != VUDB_OK)
			return fail(c, rc, pos[0]);
		vudb_obj_free(o);
	}
	if ((rc = pw_get(c, how, pw, sizeof(pw))) != EX_OK) {
		pw_wipe(pw, sizeof(pw));
		return rc;
	}
	/* the library hashes it with the scheme in force for the domain */
	rc = vudb_add_user(c->db, pos[0], pw, attrs);
	if (rc == VUDB_OK && how == 'r')
		print_random(c, pos[0], pw);
	pw_wipe(pw, sizeof(pw));
	if (rc != VUDB_OK)
		return fail(c, rc, pos[0]);
	return EX_OK;
}

static int
cmd_passwd(struct ctx *c, int argc, char **argv)
{
	const char *hash_arg = NULL, *attrs[3];
	struct vudb_obj *u;
	char pw[PW_MAX + 1], *pos[1];
	int n, rc, in = 0, rnd = 0, how;
	struct opt opts[] = {
		{ "--password-stdin", 0, NULL, &in },
		{ "--password-hash", 1, &hash_arg, NULL },
		{ "--random-password", 0, NULL, &rnd },
		{ NULL, 0, NULL, NULL }
	};

	if ((n = parse_opts(c, argc, argv, opts, pos, 1)) < 0)
		return EX_USAGE;
	if (n != 1)
		return usage_error(c, "address missing");
	if ((how = pw_how(c, in, rnd, hash_arg, 0)) < 0)
		return EX_USAGE;
	if ((rc = check_name(c, VUDB_USER, pos[0])) != EX_OK)
		return rc;
	if (how == 'h' && (rc = check_hash(c, pos[0], hash_arg)) != EX_OK)
		return rc;
	if ((rc = open_store(c, 0)) != EX_OK)
		return rc;
	/* no password is asked for a user that does not exist */
	if ((rc = vudb_get(c->db, VUDB_USER, pos[0], &u)) != VUDB_OK)
		return fail(c, rc, pos[0]);
	vudb_obj_free(u);
	if (how == 'h') {
		attrs[0] = "password";
		attrs[1] = hash_arg;
		attrs[2] = NULL;
		if ((rc = vudb_update(c->db, VUDB_USER, pos[0], attrs)) !=
		    VUDB_OK)
			return fail(c, rc, pos[0]);
		return EX_OK;
	}
	if ((rc = pw_get(c, how == 0 ? 't' : how, pw, sizeof(pw))) !=
	    EX_OK) {
		pw_wipe(pw, sizeof(pw));
		return rc;
	}
	/* the library hashes it with the scheme in force for the domain */
	rc = vudb_set_password(c->db, pos[0], pw);
	if (rc == VUDB_OK && how == 'r')
		print_random(c, pos[0], pw);
	pw_wipe(pw, sizeof(pw));
	if (rc != VUDB_OK)
		return fail(c, rc, pos[0]);
	return EX_OK;
}

static int
cmd_del(struct ctx *c, int argc, char **argv)
{
	return entry_del(c, VUDB_USER, argc, argv);
}

static int
cmd_show(struct ctx *c, int argc, char **argv)
{
	return entry_show(c, VUDB_USER, argc, argv);
}

static int
cmd_enable(struct ctx *c, int argc, char **argv)
{
	return enable_cmd(c, VUDB_USER, argc, argv, "yes");
}

static int
cmd_disable(struct ctx *c, int argc, char **argv)
{
	return enable_cmd(c, VUDB_USER, argc, argv, "no");
}

static int
cmd_set(struct ctx *c, int argc, char **argv)
{
	return set_cmd(c, VUDB_USER, argc, argv, 0);
}

static int
cmd_unset(struct ctx *c, int argc, char **argv)
{
	return set_cmd(c, VUDB_USER, argc, argv, 1);
}

static int
cmd_rename(struct ctx *c, int argc, char **argv)
{
	return rename_cmd(c, VUDB_USER, argc, argv);
}

static int
cmd_list(struct ctx *c, int argc, char **argv)
{
	return list_cmd(c, VUDB_USER, argc, argv);
}

const struct cmd cmds_user[] = {
	{ "user", "add", cmd_add, "[--password-stdin | --password-hash hash "
	    "| --random-password | --no-password] [--quota size] "
	    "[--quota-messages n] [--services list] [--name text] "
	    "[--uid id] [--gid id] "
	    "[--home path] [--maildir path] [--disabled] [--no-receive] "
	    "address" },
	{ "user", "del", cmd_del, "address" },
	{ "user", "list", cmd_list, "[domain]" },
	{ "user", "show", cmd_show, "address" },
	{ "user", "set", cmd_set, "address attribute [value]" },
	{ "user", "unset", cmd_unset, "address attribute" },
	{ "user", "enable", cmd_enable, "address" },
	{ "user", "disable", cmd_disable, "address" },
	{ "user", "passwd", cmd_passwd, "[--password-stdin | --password-hash "
	    "hash | --random-password] address" },
	{ "user", "rename", cmd_rename, "old new" },
	{ NULL, NULL, NULL, NULL }
};
