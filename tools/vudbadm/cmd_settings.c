/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * cmd_settings.c - the store itself: "init" makes a store (and is
 * harmless on one that exists), "set", "unset" and "get" change and show
 * the store-wide settings of vudb.conf(5), postconf-style: "get" prints
 * "name = value" for every setting in force, "get -h NAME" the bare value.
 * "recover" makes the Berkeley DB environment anew, so that cache_size takes
 * effect and its regions are sized for the domains the store holds.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vudbadm.h"

static int
cmd_init(struct ctx *c, int argc, char **argv)
{
	char *pos[1];
	int rc;

	if (parse_opts(c, argc, argv, NULL, pos, 0) < 0)
		return EX_USAGE;
	if ((rc = open_store(c, VUDB_CREATE)) != EX_OK)
		return rc;
	if (c->json) {
		jw_obj_begin(&c->jw);
		jw_kv(&c->jw, "store", vudb_store_location(c->db));
		jw_kv(&c->jw, "version", vudb_version(NULL, NULL, NULL));
		jw_obj_end(&c->jw);
		jw_end(&c->jw);
	}
	return EX_OK;
}

/* known_setting - whether name is a store setting (import checks too) */
int
known_setting(const char *name)
{
	const char *n;
	size_t i;

	for (i = 0; (n = vudb_setting_name(i)) != NULL; i++)
		if (strcmp(n, name) == 0)
			return 1;
	return 0;
}

/* set KEY VALUE; set KEY (no value) restores the default */
static int
cmd_set(struct ctx *c, int argc, char **argv)
{
	char *pos[2];
	const char *note;
	int n, rc;

	if ((n = parse_opts(c, argc, argv, NULL, pos, 2)) < 0)
		return EX_USAGE;
	if (n < 1)
		return usage_error(c, "setting name missing");
	if (!known_setting(pos[0]))
		return usage_error(c, "%s: unknown setting", pos[0]);
	if ((rc = open_store(c, 0)) != EX_OK)
		return rc;
	rc = vudb_setting_set(c->db, pos[0], n == 2 && pos[1][0] != '\0' ?
	    pos[1] : NULL);
	if (rc != VUDB_OK)
		return fail(c, rc, pos[0]);
	/* what the store's engine needs before it obeys (cache_size: a
	 * Berkeley DB environment made anew) */
	if ((note = vudb_setting_note(c->db, pos[0])) != NULL)
		warn_msg(c, "%s: %s", pos[0], note);
	return EX_OK;
}

/* recover: the environment made anew, with the settings in force */
static int
cmd_recover(struct ctx *c, int argc, char **argv)
{
	char *pos[1];
	const char *v;
	int rc;

	if (parse_opts(c, argc, argv, NULL, pos, 0) < 0)
		return EX_USAGE;
	if ((rc = open_store(c, VUDB_RECOVER)) != EX_OK)
		return rc;
	if (c->json) {
		jw_obj_begin(&c->jw);
		if (vudb_setting_get(c->db, "cache_size", &v) == VUDB_OK)
			json_kv(&c->jw, "cache_size", vudb_value_kind(
			    VUDB_SETTING, "cache_size"), v);
		if (vudb_setting_get(c->db, "max_open_domains", &v) ==
		    VUDB_OK)
			json_kv(&c->jw, "max_open_domains",
			    vudb_value_kind(VUDB_SETTING, "max_open_domains"),
			    v);
		jw_obj_end(&c->jw);
		jw_end(&c->jw);
	}
	return EX_OK;
}

static int
cmd_unset(struct ctx *c, int argc, char **argv)
{
	char *pos[1];
	int n;

	if ((n = parse_opts(c, argc, argv, NULL, pos, 1)) < 0)
		return EX_USAGE;
	if (n < 1)
		return usage_error(c, "setting name missing");
	return cmd_set(c, 1, pos);
}

static int
cmd_get(struct ctx *c, int argc, char **argv)
{
	const struct opt opts[] = {
		{ "-h", 0, NULL, NULL },
		{ NULL, 0, NULL, NULL }
	};
	struct opt o[2];
	const char *name, *value;
	char *pos[64];
	int n, i, rc, bare = 0;
	size_t k;

	memcpy(o, opts, sizeof(o));
	o[0].flag_r = &bare;
	if ((n = parse_opts(c, argc, argv, o, pos, 64)) < 0)
		return EX_USAGE;
	for (i = 0; i < n; i++)
		if (!known_setting(pos[i]))
			return usage_error(c, "%s: unknown setting", pos[i]);
	if ((rc = open_store(c, 0)) != EX_OK)
		return rc;
	if (c->json)
		jw_obj_begin(&c->jw);
	for (k = 0, i = 0; ; k++, i++) {
		if (n > 0) {
			if (i >= n)
				break;
			name = pos[i];
		} else if ((name = vudb_setting_name(k)) == NULL)
			break;
		if ((rc = vudb_setting_get(c->db, name, &value)) != VUDB_OK)
			return fail(c, rc, name);
		if (c->json)
			json_kv(&c->jw, name, vudb_value_kind(VUDB_SETTING,
			    name), value);
		else if (bare)
			printf("%s\n", value);
		else
			printf("%s = %s\n", name, value);
	}
	if (c->json) {
		jw_obj_end(&c->jw);
		jw_end(&c->jw);
	}
	return EX_OK;
}

const struct cmd cmds_settings[] = {
	{ NULL, "init", cmd_init, "" },
	{ NULL, "recover", cmd_recover, "" },
	{ NULL, "set", cmd_set, "name [value]" },
	{ NULL, "unset", cmd_unset, "name" },
	{ NULL, "get", cmd_get, "[-h] [name ...]" },
	{ NULL, NULL, NULL, NULL }
};
