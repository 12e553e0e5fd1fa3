/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * cmd_domain.c - "domain add|del|list|show|set|unset|enable|disable|
 * rename" and "domain alias add|del|list": hosted domains, their defaults
 * and limits (which the library enforces), and alias domains, which map
 * local@alias to local@target.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vudbadm.h"

static const struct aopt domain_aopts[] = {
	{ "--description", "description", NULL },
	{ "--quota", "quota_bytes", NULL },
	{ "--quota-messages", "quota_messages", NULL },
	{ "--services", "services", NULL },
	{ "--uid", "uid", NULL },
	{ "--gid", "gid", NULL },
	{ "--max-users", "max_users", NULL },
	{ "--max-aliases", "max_aliases", NULL },
	{ "--password-scheme", "password_scheme", NULL },
	{ "--recipient-delimiter", "recipient_delimiter", NULL },
	{ "--catchall", "catchall", NULL },
	{ "--disabled", "enabled", "no" },
	{ NULL, NULL, NULL }
};

static int
cmd_add(struct ctx *c, int argc, char **argv)
{
	const char *attrs[2 * NELEM(domain_aopts) + 1];
	char *pos[1];
	int n, rc;

	if ((n = parse_attr_opts(c, argc, argv, domain_aopts, NULL, pos, 1,
	    attrs)) < 0)
		return EX_USAGE;
	if (n != 1)
		return usage_error(c, "domain missing");
	if ((rc = open_store(c, 0)) != EX_OK)
		return rc;
	if ((rc = vudb_add(c->db, VUDB_DOMAIN, pos[0], attrs)) != VUDB_OK)
		return fail(c, rc, pos[0]);
	return EX_OK;
}

/*
 * count_entries - how many entries of type the domain holds, into *n;
 * VUDB_ENOTFOUND (no such domain) counts none
 */
static int
count_entries(struct ctx *c, const char *domain, int type, size_t *n)
{
	struct vudb_iter *it;
	struct vudb_obj *o;
	int rc;

	*n = 0;
	if ((rc = vudb_list(c->db, type, domain, &it)) != VUDB_OK)
		return rc == VUDB_ENOTFOUND ? VUDB_OK : rc;
	while ((rc = iter_next(it, &o)) == VUDB_OK)
		(*n)++;
	vudb_iter_free(it);
	return rc == VUDB_ENOTFOUND ? VUDB_OK : rc;
}

/*
 * cmd_del - "domain del [--force] DOMAIN": a domain that holds users,
 * aliases, relocated entries or send-as grants goes only with --force;
 * one typo must not take a thousand mailboxes' settings with it.  (An
 * entry added between the count and the deletion goes with the domain,
 * as with --force.)
 */
static int
cmd_del(struct ctx *c, int argc, char **argv)
{
	static const int types[] = { VUDB_USER, VUDB_ALIAS, VUDB_RELOCATED,
	    VUDB_SENDER };
	static const char *const what[][2] = { { "user", "users" },
	    { "alias", "aliases" }, { "relocated entry", "relocated entries" },
	    { "send-as grant", "send-as grants" } };
	char *pos[1], held[256];
	size_t i, n, total = 0, len = 0;
	int k, force = 0, rc;
	struct opt opts[] = {
		{ "--force", 0, NULL, &force },
		{ NULL, 0, NULL, NULL }
	};

	if ((k = parse_opts(c, argc, argv, opts, pos, 1)) < 0)
		return EX_USAGE;
	if (k != 1)
		return usage_error(c, "domain missing");
	if ((rc = open_store(c, 0)) != EX_OK)
		return rc;
	held[0] = '\0';
	for (i = 0; !force && i < NELEM(types); i++) {
		if ((rc = count_entries(c, pos[0], types[i], &n)) != VUDB_OK)
			return fail(c, rc, pos[0]);
		if (n == 0)
			continue;
		total += n;
		if (len < sizeof(held))
			len += (size_t)snprintf(held + len, sizeof(held) - len,
			    "%s%zu %s", len > 0 ? ", " : "", n,
			    what[i][n != 1]);
	}
	if (total > 0)
		return fail_msg(c, EX_DATAERR, "%s: holds %s: add --force to "
		    "delete the domain with all of them", pos[0], held);
	if ((rc = vudb_del(c->db, VUDB_DOMAIN, pos[0])) != VUDB_OK)
		return fail(c, rc, pos[0]);
	return EX_OK;
}

static int
cmd_show(struct ctx *c, int argc, char **argv)
{
	return entry_show(c, VUDB_DOMAIN, argc, argv);
}

/* list_kind - domain list, or (kinds 2) the alias domains of target */
static int
list_kind(struct ctx *c, int kinds, const char *target)
{
	struct vudb_iter *it;
	struct vudb_obj *o;
	struct table *t = NULL;
	const char *k, *tg;
	char q[64];
	int rc;

	if ((rc = vudb_list(c->db, VUDB_DOMAIN, NULL, &it)) != VUDB_OK)
		return fail(c, rc, "listing domains");
	if (!c->json)
		t = table_new(7, "DOMAIN", "KIND", "TARGET", "ENABLED",
		    "USERS", "ALIASES", "QUOTA");
	while ((rc = iter_next(it, &o)) == VUDB_OK) {
		k = vudb_obj_get(o, "kind");
		tg = vudb_obj_get(o, "target");
		if (kinds == 2 && (tg == NULL || (target != NULL &&
		    strcmp(tg, target) != 0)))
			continue;
		if (c->json) {
			obj_json(c, o, OBJ_SHOW);
			continue;
		}
		fmt_size(vudb_obj_effective(o, "quota_bytes"), q, sizeof(q));
		if (t != NULL)
			table_add(t, vudb_obj_name(o), k, tg,
			    vudb_obj_effective(o, "enabled"),
			    vudb_obj_effective(o, "users"),
			    vudb_obj_effective(o, "aliases"), q);
	}
	vudb_iter_free(it);
	if (t != NULL) {
		if (rc == VUDB_ENOTFOUND)
			table_print(t, stdout);
		table_free(t);
	}
	if (rc != VUDB_ENOTFOUND)
		return fail(c, rc, "listing domains");
	return EX_OK;
}

static int
cmd_list(struct ctx *c, int argc, char **argv)
{
	char *pos[1];
	int rc;

	if (parse_opts(c, argc, argv, NULL, pos, 0) < 0)
		return EX_USAGE;
	if ((rc = open_store(c, 0)) != EX_OK)
		return rc;
	return list_kind(c, 0, NULL);
}

static int
cmd_set(struct ctx *c, int argc, char **argv)
{
	return set_cmd(c, VUDB_DOMAIN, argc, argv, 0);
}

static int
cmd_unset(struct ctx *c, int argc, char **argv)
{
	return set_cmd(c, VUDB_DOMAIN, argc, argv, 1);
}

static int
cmd_enable(struct ctx *c, int argc, char **argv)
{
	return enable_cmd(c, VUDB_DOMAIN, argc, argv, "yes");
}

static int
cmd_disable(struct ctx *c, int argc, char **argv)
{
	return enable_cmd(c, VUDB_DOMAIN, argc, argv, "no");
}

static int
cmd_rename(struct ctx *c, int argc, char **argv)
{
	return rename_cmd(c, VUDB_DOMAIN, argc, argv);
}

/* domain alias add ALIAS TARGET | del ALIAS | list [TARGET] */
static int
cmd_alias(struct ctx *c, int argc, char **argv)
{
	static char name[64];
	struct vudb_obj *o;
	const char *attrs[3];
	char *pos[2], *norm = NULL;
	int n, rc;

	if (argc < 1 || (strcmp(argv[0], "add") != 0 &&
	    strcmp(argv[0], "del") != 0 && strcmp(argv[0], "list") != 0))
		return usage_error(c, "add, del or list expected");
	snprintf(name, sizeof(name), "domain alias %s", argv[0]);
	c->cmd = name;
	if ((n = parse_opts(c, argc - 1, argv + 1, NULL, pos, 2)) < 0)
		return EX_USAGE;
	if (strcmp(argv[0], "list") == 0) {
		if (n > 1)
			return usage_error(c, "too many arguments");
		if ((rc = open_store(c, 0)) != EX_OK)
			return rc;
		if (n == 1 && vudb_normalize(VUDB_DOMAIN, pos[0], &norm) !=
		    VUDB_OK)
			return fail_msg(c, EX_DATAERR, "%s: %s", pos[0],
			    vudb_name_error(VUDB_DOMAIN, pos[0]));
		rc = list_kind(c, 2, norm);
		vudb_free(norm);
		return rc;
	}
	if (strcmp(argv[0], "add") == 0 && n != 2)
		return usage_error(c, "alias domain and target needed");
	if (strcmp(argv[0], "del") == 0 && n != 1)
		return usage_error(c, "alias domain needed");
	if ((rc = open_store(c, 0)) != EX_OK)
		return rc;
	if (strcmp(argv[0], "add") == 0) {
		/* the target must be a mailbox domain of this store */
		if ((rc = vudb_get(c->db, VUDB_DOMAIN, pos[1], &o)) != VUDB_OK)
			return fail(c, rc, pos[1]);
		if (vudb_obj_get(o, "target") != NULL) {
			vudb_obj_free(o);
			return fail_msg(c, EX_DATAERR, "%s: is an alias domain "
			    "itself", pos[1]);
		}
		vudb_obj_free(o);
		attrs[0] = "target";
		attrs[1] = pos[1];
		attrs[2] = NULL;
		if ((rc = vudb_add(c->db, VUDB_DOMAIN, pos[0], attrs)) !=
		    VUDB_OK)
			return fail(c, rc, pos[0]);
		return EX_OK;
	}
	if ((rc = vudb_get(c->db, VUDB_DOMAIN, pos[0], &o)) != VUDB_OK)
		return fail(c, rc, pos[0]);
	if (vudb_obj_get(o, "target") == NULL) {
		vudb_obj_free(o);
		return fail_msg(c, EX_DATAERR, "%s: not an alias domain (use "
		    "\"domain del\")", pos[0]);
	}
	vudb_obj_free(o);
	if ((rc = vudb_del(c->db, VUDB_DOMAIN, pos[0])) != VUDB_OK)
		return fail(c, rc, pos[0]);
	return EX_OK;
}

const struct cmd cmds_domain[] = {
	{ "domain", "add", cmd_add, "[--quota size] [--quota-messages n] "
	    "[--services list] [--uid id] [--gid id] [--max-users n] "
	    "[--max-aliases n] [--password-scheme scheme] "
	    "[--recipient-delimiter chars] [--catchall yes|no] "
	    "[--description text] [--disabled] domain" },
	{ "domain", "del", cmd_del, "[--force] domain" },
	{ "domain", "list", cmd_list, "" },
	{ "domain", "show", cmd_show, "domain" },
	{ "domain", "set", cmd_set, "domain attribute [value]" },
	{ "domain", "unset", cmd_unset, "domain attribute" },
	{ "domain", "enable", cmd_enable, "domain" },
	{ "domain", "disable", cmd_disable, "domain" },
	{ "domain", "rename", cmd_rename, "old new" },
	{ "domain", "alias", cmd_alias, "add alias target | del alias | "
	    "list [target]" },
	{ NULL, NULL, NULL, NULL }
};
