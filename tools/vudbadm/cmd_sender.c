/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * cmd_sender.c - "sender grant|revoke|list": send-as grants, the logins
 * that may use an address as sender besides its owner (and the
 * destinations of an alias of that name).  A grant adds to the logins
 * already granted; a revoke removes logins, and the last one removes the
 * entry.  Both are one call into the library, which reads and writes the
 * grants in one transaction: grants made at the same time are all kept.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vudbadm.h"

/* sender_change - grant or revoke ADDRESS LOGIN[,LOGIN...] */
static int
sender_change(struct ctx *c, int argc, char **argv,
    int (*fn)(struct vudb *, const char *, const char *))
{
	char *pos[64], *v;
	int n, rc;

	if ((n = parse_opts(c, argc, argv, NULL, pos, 64)) < 0)
		return EX_USAGE;
	if (n < 2)
		return usage_error(c, "address and logins needed");
	if ((rc = open_store(c, 0)) != EX_OK)
		return rc;
	if ((v = join_args(pos + 1, n - 1, ",")) == NULL)
		return fail_msg(c, EX_TEMPFAIL, "out of memory");
	rc = fn(c->db, pos[0], v);
	free(v);
	if (rc != VUDB_OK)
		return fail(c, rc, pos[0]);
	return EX_OK;
}

/* sender grant ADDRESS LOGIN[,LOGIN...]: adds to the existing grants */
static int
sender_grant(struct ctx *c, int argc, char **argv)
{
	return sender_change(c, argc, argv, vudb_grant);
}

/* sender revoke ADDRESS LOGIN[,LOGIN...]: every one must be granted */
static int
sender_revoke(struct ctx *c, int argc, char **argv)
{
	return sender_change(c, argc, argv, vudb_revoke);
}

/* sender list [ADDRESS | DOMAIN] */
static int
sender_list(struct ctx *c, int argc, char **argv)
{
	char *pos[1];
	int n, rc;

	if ((n = parse_opts(c, argc, argv, NULL, pos, 1)) < 0)
		return EX_USAGE;
	if (n == 1 && strchr(pos[0], '@') != NULL)
		return entry_show(c, VUDB_SENDER, argc, argv);
	if ((rc = open_store(c, 0)) != EX_OK)
		return rc;
	return list_entries(c, VUDB_SENDER, n == 1 ? pos[0] : NULL);
}

const struct cmd cmds_sender[] = {
	{ "sender", "grant", sender_grant, "address login[,login...]" },
	{ "sender", "revoke", sender_revoke, "address login[,login...]" },
	{ "sender", "list", sender_list, "[address | domain]" },
	{ NULL, NULL, NULL, NULL }
};
