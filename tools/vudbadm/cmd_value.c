/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * cmd_value.c - the command groups of entries that hold one value, each
 * "add|set|del|show|list", from one table:
 *
 *	alias		forwarding of an address to one or more destinations
 *			(joined with ","); the source @domain is the domain's
 *			catch-all, which answers only for addresses without a
 *			user, alias or relocated entry of their own.
 *	relocated	addresses that have moved, for Postfix's relocated(5)
 *			bounces; the value is the new address or a text
 *			(words joined with " "), and @domain relocates a whole
 *			domain.
 *
 * A group's row in vgroups says its entry type and how the value's words
 * join; the functions are the same for every group (entries.c does the
 * work).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vudbadm.h"

static const struct vgroup {
	const char	*group;
	int		 type;
	const char	*sep;		/* joins the value's words */
} vgroups[] = {
	{ "alias",	VUDB_ALIAS,	"," },
	{ "relocated",	VUDB_RELOCATED,	" " },
};

/* vg - the row of the running command's group (cmds_value names only these) */
static const struct vgroup *
vg(const struct ctx *c)
{
	size_t i;

	for (i = 0; i < NELEM(vgroups) - 1; i++)
		if (strcmp(c->def->group, vgroups[i].group) == 0)
			break;
	return &vgroups[i];
}

static int
value_add(struct ctx *c, int argc, char **argv)
{
	return put_value(c, vg(c)->type, 0, argc, argv, vg(c)->sep);
}

static int
value_set(struct ctx *c, int argc, char **argv)
{
	return put_value(c, vg(c)->type, 1, argc, argv, vg(c)->sep);
}

static int
value_del(struct ctx *c, int argc, char **argv)
{
	return entry_del(c, vg(c)->type, argc, argv);
}

static int
value_show(struct ctx *c, int argc, char **argv)
{
	return entry_show(c, vg(c)->type, argc, argv);
}

static int
value_list(struct ctx *c, int argc, char **argv)
{
	return list_cmd(c, vg(c)->type, argc, argv);
}

/* VALUE_GROUP - a group's five commands; key and value for usage */
#define VALUE_GROUP(group, key, value)					\
	{ group, "add", value_add, key " " value },			\
	{ group, "set", value_set, key " " value },			\
	{ group, "del", value_del, key },				\
	{ group, "show", value_show, key },				\
	{ group, "list", value_list, "[domain]" }

const struct cmd cmds_value[] = {
	VALUE_GROUP("alias", "source", "dest[,dest...] [dest ...]"),
	VALUE_GROUP("relocated", "address", "new-address-or-text"),
	{ NULL, NULL, NULL, NULL }
};
