/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * cmd_sender.c - "sender grant|revoke|list": send-as grants, the logins
 * that may use an address as sender besides its owner (and the
 * destinations of an alias of that name).  A grant adds to the logins
 * already granted; a revoke removes logins, and the last one removes the
 * entry.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vudbadm.h"

/* sender grant ADDRESS LOGIN[,LOGIN...]: adds to the existing grants */
static int
sender_grant(struct ctx *c, int argc, char **argv)
{
	struct vudb_obj *o = NULL;
	const char *attrs[3], *old;
	char *pos[64], *v, *all = NULL;
	int n, rc;

	if ((n = parse_opts(c, argc, argv, NULL, pos, 64)) < 0)
		return EX_USAGE;
	if (n < 2)
		return usage_error(c, "address and logins needed");
	if ((rc = open_store(c, 0)) != EX_OK)
		return rc;
	if ((v = join_args(pos + 1, n - 1, ",")) == NULL)
		return fail_msg(c, EX_TEMPFAIL, "out of memory");
	rc = vudb_get(c->db, VUDB_SENDER, pos[0], &o);
	if (rc != VUDB_OK && rc != VUDB_ENOTFOUND) {
		free(v);
		return fail(c, rc, pos[0]);
	}
	attrs[0] = "logins";
	attrs[2] = NULL;
	if (rc == VUDB_OK && (old = vudb_obj_get(o, "logins")) != NULL) {
		/* the library drops repeats */
		if (asprintf(&all, "%s,%s", old, v) < 0) {
			free(v);
			vudb_obj_free(o);
			return fail_msg(c, EX_TEMPFAIL, "out of memory");
		}
		attrs[1] = all;
		rc = vudb_update(c->db, VUDB_SENDER, pos[0], attrs);
	} else {
		attrs[1] = v;
		rc = vudb_add(c->db, VUDB_SENDER, pos[0], attrs);
	}
	vudb_obj_free(o);
	free(all);
	free(v);
	if (rc != VUDB_OK)
		return fail(c, rc, pos[0]);
	return EX_OK;
}

/* in_list - whether the comma list holds item */
static int
in_list(const char *list, const char *item)
{
	size_t n = strlen(item);
	const char *p, *e;

	for (p = list; ; p = e + 1) {
		e = p + strcspn(p, ",");
		if ((size_t)(e - p) == n && memcmp(p, item, n) == 0)
			return 1;
		if (*e == '\0')
			return 0;
	}
}

/* sender revoke ADDRESS LOGIN[,LOGIN...] */
static int
sender_revoke(struct ctx *c, int argc, char **argv)
{
	struct vudb_obj *o;
	const char *attrs[3], *old, *p, *e;
	char *pos[64], *v, *norm, *left, one[1100];
	size_t len;
	int n, rc, ex = EX_OK;

	if ((n = parse_opts(c, argc, argv, NULL, pos, 64)) < 0)
		return EX_USAGE;
	if (n < 2)
		return usage_error(c, "address and logins needed");
	if ((rc = open_store(c, 0)) != EX_OK)
		return rc;
	if ((rc = vudb_get(c->db, VUDB_SENDER, pos[0], &o)) != VUDB_OK)
		return fail(c, rc, pos[0]);
	old = vudb_obj_get(o, "logins");
	if (old == NULL)
		old = "";
	len = strlen(old) + 1;
	if ((left = calloc(1, len)) == NULL) {
		vudb_obj_free(o);
		return fail_msg(c, EX_TEMPFAIL, "out of memory");
	}
	/* every login to revoke, canonical, must be granted */
	if ((v = join_args(pos + 1, n - 1, ",")) == NULL) {
		ex = fail_msg(c, EX_TEMPFAIL, "out of memory");
		goto out;
	}
	for (p = v; ex == EX_OK; p = e + 1) {
		e = p + strcspn(p, ",");
		snprintf(one, sizeof(one), "%.*s", (int)(e - p), p);
		if (one[0] != '\0') {
			if (vudb_normalize(VUDB_USER, one, &norm) != VUDB_OK)
				ex = fail_msg(c, EX_DATAERR, "%s: %s", one,
				    vudb_name_error(VUDB_USER, one));
			else {
				if (!in_list(old, norm))
					ex = fail_msg(c, EX_NOUSER, "%s: %s: "
					    "not granted", pos[0], norm);
				vudb_free(norm);
			}
		}
		if (*e == '\0')
			break;
	}
	/* the grants that stay */
	for (p = old; ex == EX_OK && *p != '\0'; p = *e ? e + 1 : e) {
		int keep = 1;
		const char *q, *qe;

		e = p + strcspn(p, ",");
		for (q = v; keep; q = qe + 1) {
			qe = q + strcspn(q, ",");
			snprintf(one, sizeof(one), "%.*s", (int)(qe - q), q);
			if (one[0] != '\0' && vudb_normalize(VUDB_USER, one,
			    &norm) == VUDB_OK) {
				if (strlen(norm) == (size_t)(e - p) &&
				    memcmp(norm, p, (size_t)(e - p)) == 0)
					keep = 0;
				vudb_free(norm);
			}
			if (*qe == '\0')
				break;
		}
		if (keep) {
			if (left[0] != '\0')
				strcat(left, ",");
			strncat(left, p, (size_t)(e - p));
		}
	}
	if (ex != EX_OK)
		goto out;
	if (left[0] == '\0')
		rc = vudb_del(c->db, VUDB_SENDER, pos[0]);
	else {
		attrs[0] = "logins";
		attrs[1] = left;
		attrs[2] = NULL;
		rc = vudb_update(c->db, VUDB_SENDER, pos[0], attrs);
	}
	if (rc != VUDB_OK)
		ex = fail(c, rc, pos[0]);
out:
	free(v);
	free(left);
	vudb_obj_free(o);
	return ex;
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
