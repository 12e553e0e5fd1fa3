/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * entries.c - what the entry commands share (domain, user, alias,
 * relocated, sender): showing, deleting, listing (a table per type, or
 * JSON Lines), setting and unsetting one attribute, renaming, and adding
 * an entry with its one value.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vudbadm.h"

/* join - args joined with sep into a new string */
char *
join_args(char **args, int n, const char *sep)
{
	size_t len = 1;
	char *s;
	int i;

	for (i = 0; i < n; i++)
		len += strlen(args[i]) + strlen(sep);
	if ((s = malloc(len)) == NULL)
		return NULL;
	s[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(s, sep);
		strcat(s, args[i]);
	}
	return s;
}

/* put_value - add (or update) an entry with its one value */
int
put_value(struct ctx *c, int type, int update, int argc, char **argv,
    const char *sep)
{
	const char *attrs[3];
	char *pos[64], *v;
	int n, rc;

	if ((n = parse_opts(c, argc, argv, NULL, pos, 64)) < 0)
		return EX_USAGE;
	if (n < 2)
		return usage_error(c, "%s needed", type == VUDB_ALIAS ?
		    "source and destinations" : "address and destination");
	if ((rc = open_store(c, 0)) != EX_OK)
		return rc;
	if ((v = join_args(pos + 1, n - 1, sep)) == NULL)
		return fail_msg(c, EX_TEMPFAIL, "out of memory");
	attrs[0] = "dest";
	attrs[1] = v;
	attrs[2] = NULL;
	rc = update ? vudb_update(c->db, type, pos[0], attrs) :
	    vudb_add(c->db, type, pos[0], attrs);
	free(v);
	if (rc != VUDB_OK)
		return fail(c, rc, pos[0]);
	return EX_OK;
}

/* list_cmd - "X list [DOMAIN]" */
int
list_cmd(struct ctx *c, int type, int argc, char **argv)
{
	char *pos[1];
	int n, rc;

	if ((n = parse_opts(c, argc, argv, NULL, pos, 1)) < 0)
		return EX_USAGE;
	if ((rc = open_store(c, 0)) != EX_OK)
		return rc;
	return list_entries(c, type, n == 1 ? pos[0] : NULL);
}

/*
 * one_arg - parse a command of type's entries that takes exactly one
 * argument (its name), and open the store
 */
static int
one_arg(struct ctx *c, int type, int argc, char **argv, char **arg)
{
	int n;

	if ((n = parse_opts(c, argc, argv, NULL, arg, 1)) < 0)
		return EX_USAGE;
	if (n != 1)
		return usage_error(c, "%s missing", type == VUDB_DOMAIN ?
		    "domain" : type == VUDB_USER ? "address" : "name");
	return open_store(c, 0);
}

/* entry_cmd - "X del|show NAME" */
static int
entry_cmd(struct ctx *c, int type, int argc, char **argv, int show)
{
	struct vudb_obj *o;
	char *pos[1];
	int rc;

	if ((rc = one_arg(c, type, argc, argv, pos)) != EX_OK)
		return rc;
	if (!show) {
		if ((rc = vudb_del(c->db, type, pos[0])) != VUDB_OK)
			return fail(c, rc, pos[0]);
		return EX_OK;
	}
	if ((rc = vudb_get(c->db, type, pos[0], &o)) != VUDB_OK)
		return fail(c, rc, pos[0]);
	if (c->json)
		obj_json(c, o, OBJ_SHOW);
	else
		obj_show(c, o);
	vudb_obj_free(o);
	return EX_OK;
}

int
entry_del(struct ctx *c, int type, int argc, char **argv)
{
	return entry_cmd(c, type, argc, argv, 0);
}

int
entry_show(struct ctx *c, int type, int argc, char **argv)
{
	return entry_cmd(c, type, argc, argv, 1);
}

/* enable_cmd - "X enable|disable NAME": enabled set to yesno */
int
enable_cmd(struct ctx *c, int type, int argc, char **argv, const char *yesno)
{
	char *pos[1];
	int rc;

	if ((rc = one_arg(c, type, argc, argv, pos)) != EX_OK)
		return rc;
	return set_attr(c, type, pos[0], "enabled", yesno);
}

/* table_row - one entry as a row of its type's table */
static void
table_row(struct table *t, const struct vudb_obj *o)
{
	char q[64];

	switch (vudb_obj_type(o)) {
	case VUDB_USER:
		fmt_size(vudb_obj_effective(o, "quota_bytes"), q, sizeof(q));
		table_add(t, vudb_obj_name(o), vudb_obj_effective(o, "enabled"),
		    q, vudb_obj_effective(o, "services"),
		    vudb_obj_get(o, "name"));
		break;
	case VUDB_SENDER:
		table_add(t, vudb_obj_name(o), vudb_obj_get(o, "logins"));
		break;
	default:
		table_add(t, vudb_obj_name(o), vudb_obj_get(o, "dest"));
	}
}

static struct table *
table_for(int type)
{
	switch (type) {
	case VUDB_USER:
		return table_new(5, "ADDRESS", "ENABLED", "QUOTA", "SERVICES",
		    "NAME");
	case VUDB_ALIAS:
		return table_new(2, "SOURCE", "DESTINATIONS");
	case VUDB_RELOCATED:
		return table_new(2, "ADDRESS", "NEW ADDRESS OR TEXT");
	}
	return table_new(2, "ADDRESS", "LOGINS");
}

/*
 * list_entries - the entries of a type in one domain, or (domain NULL) in
 * every domain: a table, or JSON Lines with --json.
 */
int
list_entries(struct ctx *c, int type, const char *domain)
{
	struct vudb_iter *it;
	struct vudb_obj *o;
	struct table *t = NULL;
	char **names = NULL, *one[1];
	size_t n, i;
	int rc, ex = EX_OK;

	if (domain == NULL) {
		/* alias domains hold relocated entries only */
		if ((ex = list_domains(c, &names, &n,
		    type == VUDB_RELOCATED ? 0 : 1)) != EX_OK)
			return ex;
	} else {
		one[0] = (char *)domain;
		n = 1;
	}
	if (!c->json && (t = table_for(type)) == NULL) {
		names_free(names, domain == NULL ? n : 0);
		return fail_msg(c, EX_TEMPFAIL, "out of memory");
	}
	for (i = 0; i < n && ex == EX_OK; i++) {
		const char *d = domain == NULL ? names[i] : one[0];

		if ((rc = vudb_list(c->db, type, d, &it)) != VUDB_OK) {
			ex = fail(c, rc, d);
			break;
		}
		while ((rc = iter_next(it, &o)) == VUDB_OK) {
			if (c->json)
				obj_json(c, o, OBJ_SHOW);
			else
				table_row(t, o);
		}
		vudb_iter_free(it);
		if (rc != VUDB_ENOTFOUND)
			ex = fail(c, rc, d);
	}
	if (t != NULL) {
		if (ex == EX_OK)
			table_print(t, stdout);
		table_free(t);
	}
	if (domain == NULL)
		names_free(names, n);
	return ex;
}

/* set_attr - update one attribute of an entry (value NULL: unset) */
int
set_attr(struct ctx *c, int type, const char *name, const char *key,
    const char *value)
{
	const char *attrs[3];
	char buf[64];
	int rc;

	attrs[0] = attr_name(key, buf, sizeof(buf));
	attrs[1] = value != NULL && value[0] != '\0' ? value : NULL;
	attrs[2] = NULL;
	if (strcmp(attrs[0], "password") == 0 && type == VUDB_USER)
		return usage_error(c, "use \"user passwd\" to set a password");
	if ((rc = vudb_update(c->db, type, name, attrs)) != VUDB_OK)
		return fail(c, rc, name);
	return EX_OK;
}

/* set_cmd - "X set NAME KEY [VALUE]" and "X unset NAME KEY" */
int
set_cmd(struct ctx *c, int type, int argc, char **argv, int unset)
{
	char *pos[3];
	int n, rc;

	if ((n = parse_opts(c, argc, argv, NULL, pos, unset ? 2 : 3)) < 0)
		return EX_USAGE;
	if (n < 2)
		return usage_error(c, "%s and attribute name needed",
		    type_name(type));
	if ((rc = open_store(c, 0)) != EX_OK)
		return rc;
	return set_attr(c, type, pos[0], pos[1], n == 3 ? pos[2] : NULL);
}

/* rename_cmd - "X rename OLD NEW" for any entry type */
int
rename_cmd(struct ctx *c, int type, int argc, char **argv)
{
	char *pos[2];
	int n, rc;

	if ((n = parse_opts(c, argc, argv, NULL, pos, 2)) < 0)
		return EX_USAGE;
	if (n != 2)
		return usage_error(c, "old and new name needed");
	if ((rc = open_store(c, 0)) != EX_OK)
		return rc;
	if ((rc = vudb_rename(c->db, type, pos[0], pos[1])) != VUDB_OK)
		return fail(c, rc, pos[0]);
	return EX_OK;
}
