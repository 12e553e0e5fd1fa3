/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * obj.c - what a read gives a program: a struct vudb_obj, the stored
 * attributes of an entry and the effective ones (a user's value, else its
 * domain's, else the store's: services, quotas, ids, home, maildir,
 * password scheme; a domain's user and alias counts), made by make_obj;
 * vudb_get and the vudb_obj_* accessors.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vudb_private.h"

#define MAX_EFFECTIVE	16

struct vudb_obj {
	int		 type;
	char		*name;
	size_t		 n;
	struct {
		const char	*name;
		char		*value;
	}		 a[VUDB__REC_MAXF];
	size_t		 ne;
	struct {
		const char	*name;
		char		*value;
	}		 e[MAX_EFFECTIVE];
};

/* ------------------------------------------------------------ objects */

static int
obj_add(struct vudb_obj *o, const char *name, const char *value,
    int effective)
{
	char *copy;

	if ((copy = strdup(value)) == NULL)
		return VUDB_ENOMEM;
	if (effective) {
		if (o->ne == MAX_EFFECTIVE) {
			free(copy);
			return VUDB_ENOMEM;
		}
		o->e[o->ne].name = name;
		o->e[o->ne++].value = copy;
	} else {
		o->a[o->n].name = name;
		o->a[o->n++].value = copy;
	}
	return VUDB_OK;
}

/* eff - value in force: entry's, domain's, store's */
static const char *
eff(const struct vudb *db, const struct vudb__dom *d, const char *mine,
    unsigned int dtag, int sidx)
{
	return mine != NULL ? mine : vudb__dom_value(db, d, dtag, sidx);
}

/* counters_add - a domain's user and alias counts, as "users", "aliases" */
static int
counters_add(struct vudb *db, struct vudb__dom *d, struct vudb_obj *o)
{
	struct vudb_buf buf = { NULL, 0, 0 };
	const char *v[4] = { NULL };
	size_t l[4] = { 0 };
	char n[32];
	int rc;

	rc = vudb__store_get(db, d, db->txn_dom == d ? db->txn : NULL, "#", 1,
	    &buf);
	if (rc == VUDB_OK)
		rc = vudb__rec_scan(buf.data, buf.len, VUDB__REC_COUNTERS, v,
		    l, 4);
	if (rc != VUDB_OK && rc != VUDB_ENOTFOUND) {
		free(buf.data);
		return VUDB_OK;		/* counts are informative only */
	}
	snprintf(n, sizeof(n), "%.*s", v[VUDB__C_USERS] ? (int)l[VUDB__C_USERS]
	    : 1, v[VUDB__C_USERS] ? v[VUDB__C_USERS] : "0");
	rc = obj_add(o, "users", n, 1);
	snprintf(n, sizeof(n), "%.*s", v[VUDB__C_ALIASES] ?
	    (int)l[VUDB__C_ALIASES] : 1, v[VUDB__C_ALIASES] ?
	    v[VUDB__C_ALIASES] : "0");
	free(buf.data);
	return rc | obj_add(o, "aliases", n, 1);
}

/* vudb__make_obj - an object from a decoded record (and its domain) */
int
vudb__make_obj(struct vudb *db, struct vudb__dom *d,
    const struct vudb__rec *rec,
    const char *name, struct vudb_obj **obj_r)
{
	const struct vudb__attr *tab;
	struct vudb_obj *o;
	const char *v, *local = name;
	char buf[4200];
	size_t i, j, n;
	int rc = VUDB_OK;

	*obj_r = NULL;
	if ((o = calloc(1, sizeof(*o))) == NULL ||
	    (o->name = strdup(name)) == NULL) {
		free(o);
		return VUDB_ENOMEM;
	}
	o->type = rec->type;
	tab = vudb__attrs(rec->type, &n);
	for (i = 0; i < n && rc == VUDB_OK; i++) {
		if (tab[i].flags & VUDB__A_HIDDEN)
			continue;
		for (j = 0; j < rec->n; j++)
			if (rec->f[j].tag == tab[i].tag)
				rc = obj_add(o, tab[i].name, rec->f[j].val, 0);
	}
	if (rc == VUDB_OK && rec->type == VUDB_USER) {
		const char *at = strrchr(name, '@');
		size_t llen = at != NULL ? (size_t)(at - local) : 0;

		v = vudb__rec_get(rec, VUDB__U_ENABLED);
		rc |= obj_add(o, "enabled", (v == NULL || strcmp(v, "yes") == 0)
		    && d->enabled ? "yes" : "no", 1);
		v = vudb__rec_get(rec, VUDB__U_RECEIVE);
		rc |= obj_add(o, "receive", v != NULL ? v : "yes", 1);
		rc |= obj_add(o, "services", eff(db, d, vudb__rec_get(rec,
		    VUDB__U_SERVICES), VUDB__D_SERVICES, VUDB__S_SERVICES), 1);
		rc |= obj_add(o, "quota_bytes", eff(db, d, vudb__rec_get(rec,
		    VUDB__U_QUOTA_BYTES), VUDB__D_QUOTA_BYTES,
		    VUDB__S_QUOTA_BYTES), 1);
		rc |= obj_add(o, "quota_messages", eff(db, d, vudb__rec_get(rec,
		    VUDB__U_QUOTA_MESSAGES), VUDB__D_QUOTA_MESSAGES,
		    VUDB__S_QUOTA_MESSAGES), 1);
		rc |= obj_add(o, "uid", eff(db, d, vudb__rec_get(rec,
		    VUDB__U_UID), VUDB__D_UID, VUDB__S_UID), 1);
		rc |= obj_add(o, "gid", eff(db, d, vudb__rec_get(rec,
		    VUDB__U_GID), VUDB__D_GID, VUDB__S_GID), 1);
		if ((v = vudb__rec_get(rec, VUDB__U_HOME)) == NULL) {
			snprintf(buf, sizeof(buf), "%s/%s/%.*s",
			    vudb__setting(db, VUDB__S_MAIL_BASE), d->name,
			    (int)llen, local);
			v = buf;
		}
		rc |= obj_add(o, "home", v, 1);
		if ((v = vudb__rec_get(rec, VUDB__U_MAILDIR)) == NULL) {
			snprintf(buf, sizeof(buf), "%s/%.*s/Maildir/",
			    d->name, (int)llen, local);
			v = buf;
		}
		rc |= obj_add(o, "maildir", v, 1);
		rc |= obj_add(o, "password_scheme", eff(db, d, NULL,
		    VUDB__D_SCHEME, VUDB__S_SCHEME), 1);
	} else if (rc == VUDB_OK && rec->type == VUDB_DOMAIN) {
		v = vudb__rec_get(rec, VUDB__D_ENABLED);
		rc |= obj_add(o, "enabled", v != NULL ? v : "yes", 1);
		v = vudb__rec_get(rec, VUDB__D_CATCHALL);
		rc |= obj_add(o, "catchall", v != NULL ? v : "yes", 1);
		rc |= obj_add(o, "services", eff(db, d, NULL, VUDB__D_SERVICES,
		    VUDB__S_SERVICES), 1);
		rc |= obj_add(o, "quota_bytes", eff(db, d, NULL,
		    VUDB__D_QUOTA_BYTES, VUDB__S_QUOTA_BYTES), 1);
		rc |= obj_add(o, "quota_messages", eff(db, d, NULL,
		    VUDB__D_QUOTA_MESSAGES, VUDB__S_QUOTA_MESSAGES), 1);
		rc |= obj_add(o, "uid", eff(db, d, NULL, VUDB__D_UID,
		    VUDB__S_UID), 1);
		rc |= obj_add(o, "gid", eff(db, d, NULL, VUDB__D_GID,
		    VUDB__S_GID), 1);
		rc |= obj_add(o, "recipient_delimiter", eff(db, d, NULL,
		    VUDB__D_DELIM, VUDB__S_DELIM), 1);
		rc |= obj_add(o, "password_scheme", eff(db, d, NULL,
		    VUDB__D_SCHEME, VUDB__S_SCHEME), 1);
		rc |= counters_add(db, d, o);
	}
	if (rc != VUDB_OK) {
		vudb_obj_free(o);
		return VUDB_ENOMEM;
	}
	*obj_r = o;
	return VUDB_OK;
}

/* get_entry - vudb_get, once the store is current */
static int
get_entry(struct vudb *db, int type, const char *local, const char *legacy,
    const char *domain, struct vudb_obj **obj_r)
{
	char canon[VUDB__ADDR_MAX + 1];
	struct vudb__rec rec;
	struct vudb__dom *d;
	int rc;

	if ((rc = vudb__open_domain(db, domain, &d)) != VUDB_OK)
		return rc;
	vudb__entry_name(canon, sizeof(canon), type, local, domain);
	if (type == VUDB_DOMAIN)
		return vudb__make_obj(db, d, d->meta, canon, obj_r);
	rc = vudb__get_rec(db, d, type, local, &db->buf);
	if (rc == VUDB_ENOTFOUND && legacy != NULL) {
		/* stored before folding: its name is the stored one */
		rc = vudb__get_rec(db, d, type, legacy, &db->buf);
		if (rc == VUDB_OK)
			vudb__entry_name(canon, sizeof(canon), type, legacy,
			    domain);
	}
	if (rc == VUDB_ENOTFOUND)
		return vudb__seterr(db, rc, "%s: not found", canon);
	if (rc != VUDB_OK)
		return rc;
	rc = vudb__rec_decode(db->buf.data, db->buf.len, type, &rec);
	if (rc != VUDB_OK)
		return vudb__seterr(db, rc, "%s: damaged record", canon);
	rc = vudb__make_obj(db, d, &rec, canon, obj_r);
	vudb__rec_clear(&rec);
	return rc;
}

int
vudb_get(struct vudb *db, int type, const char *name, struct vudb_obj **obj_r)
{
	char local[VUDB__LOCAL_MAX + 1], domain[VUDB__DOMAIN_MAX + 1];
	char legacy[VUDB__LOCAL_MAX + 1];
	const char *lp;
	int rc, catchall;

	if (obj_r != NULL)
		*obj_r = NULL;
	if (db == NULL || obj_r == NULL)
		return VUDB_EINVAL;
	vudb__clearerr(db);
	if ((rc = vudb__refresh(db)) != VUDB_OK)
		return rc;
	if ((rc = vudb__split(db, type, name, local, domain, &catchall)) !=
	    VUDB_OK)
		return rc;
	lp = type != VUDB_DOMAIN && vudb__legacy_local(name, local, legacy) ?
	    legacy : NULL;
	rc = get_entry(db, type, local, lp, domain, obj_r);
	/* the store was recovered under this call: ask the new one */
	if (vudb__again(db, rc)) {
		vudb__clearerr(db);
		rc = get_entry(db, type, local, lp, domain, obj_r);
	}
	return rc;
}

int
vudb_obj_type(const struct vudb_obj *o)
{
	return o != NULL ? o->type : 0;
}

const char *
vudb_obj_name(const struct vudb_obj *o)
{
	return o != NULL ? o->name : NULL;
}

const char *
vudb_obj_get(const struct vudb_obj *o, const char *attr)
{
	size_t i;

	if (o == NULL || attr == NULL)
		return NULL;
	for (i = 0; i < o->n; i++)
		if (strcmp(o->a[i].name, attr) == 0)
			return o->a[i].value;
	return NULL;
}

const char *
vudb_obj_effective(const struct vudb_obj *o, const char *attr)
{
	size_t i;

	if (o == NULL || attr == NULL)
		return NULL;
	for (i = 0; i < o->ne; i++)
		if (strcmp(o->e[i].name, attr) == 0)
			return o->e[i].value;
	return vudb_obj_get(o, attr);
}

int
vudb_obj_attr(const struct vudb_obj *o, size_t i, const char **name_r,
    const char **value_r)
{
	if (name_r != NULL)
		*name_r = NULL;
	if (value_r != NULL)
		*value_r = NULL;
	if (o == NULL)
		return VUDB_EINVAL;
	if (i >= o->n)
		return VUDB_ENOTFOUND;
	if (name_r != NULL)
		*name_r = o->a[i].name;
	if (value_r != NULL)
		*value_r = o->a[i].value;
	return VUDB_OK;
}

void
vudb_obj_free(struct vudb_obj *o)
{
	size_t i;

	if (o == NULL)
		return;
	for (i = 0; i < o->n; i++)
		vudb__free_secret(o->a[i].value);
	for (i = 0; i < o->ne; i++)
		vudb__free_secret(o->e[i].value);
	free(o->name);
	free(o);
}
