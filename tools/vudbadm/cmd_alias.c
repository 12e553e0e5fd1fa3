/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * cmd_alias.c - "alias add|set|del|show|list": forwarding of an address
 * to one or more destinations; the source @domain is the domain's
 * catch-all, which answers only for addresses without a user, alias or
 * relocated entry of their own.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vudbadm.h"

static int
alias_add(struct ctx *c, int argc, char **argv)
{
	return put_value(c, VUDB_ALIAS, 0, argc, argv, ",");
}

static int
alias_set(struct ctx *c, int argc, char **argv)
{
	return put_value(c, VUDB_ALIAS, 1, argc, argv, ",");
}

static int
alias_del(struct ctx *c, int argc, char **argv)
{
	return entry_del(c, VUDB_ALIAS, argc, argv);
}

static int
alias_show(struct ctx *c, int argc, char **argv)
{
	return entry_show(c, VUDB_ALIAS, argc, argv);
}

static int
alias_list(struct ctx *c, int argc, char **argv)
{
	return list_cmd(c, VUDB_ALIAS, argc, argv);
}

const struct cmd cmds_alias[] = {
	{ "alias", "add", alias_add, "source dest[,dest...] [dest ...]" },
	{ "alias", "set", alias_set, "source dest[,dest...] [dest ...]" },
	{ "alias", "del", alias_del, "source" },
	{ "alias", "show", alias_show, "source" },
	{ "alias", "list", alias_list, "[domain]" },
	{ NULL, NULL, NULL, NULL }
};
