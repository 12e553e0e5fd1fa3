/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * cmd_relocated.c - "relocated add|set|del|show|list": addresses that have
 * moved, for Postfix's relocated(5) bounces; the value is the new address
 * or a text, and @domain relocates a whole domain.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vudbadm.h"

static int
reloc_add(struct ctx *c, int argc, char **argv)
{
	return put_value(c, VUDB_RELOCATED, 0, argc, argv, " ");
}

static int
reloc_set(struct ctx *c, int argc, char **argv)
{
	return put_value(c, VUDB_RELOCATED, 1, argc, argv, " ");
}

static int
reloc_del(struct ctx *c, int argc, char **argv)
{
	return entry_del(c, VUDB_RELOCATED, argc, argv);
}

static int
reloc_show(struct ctx *c, int argc, char **argv)
{
	return entry_show(c, VUDB_RELOCATED, argc, argv);
}

static int
reloc_list(struct ctx *c, int argc, char **argv)
{
	return list_cmd(c, VUDB_RELOCATED, argc, argv);
}

const struct cmd cmds_relocated[] = {
	{ "relocated", "add", reloc_add, "address new-address-or-text" },
	{ "relocated", "set", reloc_set, "address new-address-or-text" },
	{ "relocated", "del", reloc_del, "address" },
	{ "relocated", "show", reloc_show, "address" },
	{ "relocated", "list", reloc_list, "[domain]" },
	{ NULL, NULL, NULL, NULL }
};
