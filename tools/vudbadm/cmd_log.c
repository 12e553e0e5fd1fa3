/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * cmd_log.c - "log [--since TIME] [DOMAIN]": the store's audit log, the
 * line the library appends for every committed change (who, with which
 * program, what, on which object), oldest first; a table, or JSON Lines
 * with --json like every other list.  The library reads the log
 * (vudb_audit_list); this file only prints it.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vudbadm.h"

/* log_row - one entry of the audit log */
static int
log_row(void *arg, const struct vudb_audit *e)
{
	struct ctx *c = arg;
	char who[128];

	if (interrupted())
		return VUDB_ETEMP;
	if (c->json) {
		jw_obj_begin(&c->jw);
		jw_kv(&c->jw, "time", e->time);
		jw_kvu(&c->jw, "uid", e->uid);
		jw_kv(&c->jw, "user", e->user);
		jw_kv(&c->jw, "program", e->program);
		jw_kv(&c->jw, "op", e->op);
		jw_kv(&c->jw, "type", e->type);
		jw_kv(&c->jw, "name", e->name);
		jw_kv(&c->jw, "detail", e->detail);
		jw_obj_end(&c->jw);
		jw_end(&c->jw);
		return VUDB_OK;
	}
	snprintf(who, sizeof(who), "%s(%lu)", e->user, e->uid);
	printf("%s %s %s %s %s %s%s%s\n", e->time, who, e->program, e->op,
	    e->type, e->name, e->detail[0] != '\0' ? " " : "", e->detail);
	return VUDB_OK;
}

/* log [--since TIME] [DOMAIN] */
static int
cmd_log(struct ctx *c, int argc, char **argv)
{
	const char *since = NULL;
	const struct opt opts[] = {
		{ "--since", 1, &since, NULL },
		{ NULL, 0, NULL, NULL }
	};
	char *pos[1];
	int n, rc;

	if ((n = parse_opts(c, argc, argv, opts, pos, 1)) < 0)
		return EX_USAGE;
	if ((rc = open_store(c, VUDB_RDONLY)) != EX_OK)
		return rc;
	rc = vudb_audit_list(c->db, since, n == 1 ? pos[0] : NULL, log_row,
	    c);
	if (rc != VUDB_OK)
		return fail(c, rc, n == 1 ? pos[0] : "audit log");
	return EX_OK;
}

const struct cmd cmds_log[] = {
	{ NULL, "log", cmd_log, "[--since time] [domain]" },
	{ NULL, NULL, NULL, NULL }
};
