/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * keys.c - the names of entries and their keys in a domain database.  A
 * name is checked and made canonical here (split_name: local part and
 * domain, name.c's rules) before any key or path is formed; vudb_normalize
 * and vudb_name_error are this rule for programs.
 *
 * Keys in a domain database: "D" the domain record, "#" counters,
 * "u" LOCAL a user, "a" LOCAL an alias ("a" alone: the catch-all),
 * "r" LOCAL a relocated entry ("r" alone: the whole domain), "s" LOCAL the
 * send-as grants of LOCAL@domain.
 *
 * LOCAL is folded (name.c).  A store written before local parts were
 * folded may hold a LOCAL with UTF-8 as it was given: every call that
 * finds an entry by name tries that old form of the name it was given
 * when the folded key is not there (vudb__legacy_local), and adding or
 * renaming to a name that folds like an old-form key is refused as
 * existing (vudb__oldkey_taken, over the scan of a domain's old-form keys
 * that vudb__oldkeys_load makes once per writer).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vudb_private.h"

/* ------------------------------------------------------------ names */

char
vudb__type_prefix(int type)
{
	switch (type) {
	case VUDB_USER:		return 'u';
	case VUDB_ALIAS:	return 'a';
	case VUDB_RELOCATED:	return 'r';
	case VUDB_SENDER:	return 's';
	case VUDB__REC_COUNTERS: return '#';
	}
	return 'D';
}

/* vudb__key - the database key of an entry */
size_t
vudb__key(int type, const char *local, size_t llen,
    char key[VUDB__LOCAL_MAX + 2])
{
	key[0] = vudb__type_prefix(type);
	if (type == VUDB_DOMAIN || type == VUDB__REC_COUNTERS)
		return 1;
	memcpy(key + 1, local, llen);
	return 1 + llen;
}

int
vudb__type_of_key(char c)
{
	switch (c) {
	case 'D':	return VUDB_DOMAIN;
	case 'u':	return VUDB_USER;
	case 'a':	return VUDB_ALIAS;
	case 'r':	return VUDB_RELOCATED;
	case 's':	return VUDB_SENDER;
	case '#':	return VUDB__REC_COUNTERS;
	}
	return 0;
}

/*
 * vudb__oldform - whether the key local part local[0..len) is in the form
 * of a store written before local parts were folded: 1 with its folded
 * form in folded, else 0.  ASCII keys never are.
 */
int
vudb__oldform(const char *local, size_t len, char folded[VUDB__LOCAL_MAX + 1])
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)local[i] >= 0x80)
			break;
	if (i == len || vudb__local_norm(local, len, folded) != NULL)
		return 0;
	return strlen(folded) != len || memcmp(folded, local, len) != 0;
}

/*
 * vudb__legacy_local - the old key form of name's local part (ASCII letters
 * lower-cased, UTF-8 as given), when it differs from the folded local:
 * 1 and written to out, else 0.
 */
int
vudb__legacy_local(const char *name, const char *local,
    char out[VUDB__LOCAL_MAX + 1])
{
	const char *at;

	if (name == NULL || local[0] == '\0' ||
	    (at = strrchr(name, '@')) == NULL ||
	    vudb__local_legacy(name, (size_t)(at - name), out) != NULL)
		return 0;
	return strcmp(out, local) != 0;
}

/* vudb__split_name - check a name of a type; NULL or why it is invalid */
const char *
vudb__split_name(int type, const char *name, char local[VUDB__LOCAL_MAX + 1],
    char domain[VUDB__DOMAIN_MAX + 1], int *catchall_r)
{
	const char *at, *why;
	size_t len;

	*catchall_r = 0;
	local[0] = '\0';
	if (name == NULL)
		return "no name";
	len = strlen(name);
	if (len > VUDB__ADDR_MAX)
		return "name too long";
	if (type == VUDB_DOMAIN)
		return vudb__domain_norm(name, len, domain);
	if (type < VUDB_USER || type > VUDB_SENDER)
		return "invalid entry type";
	if ((at = strrchr(name, '@')) == NULL)
		return "expected local@domain";
	if ((why = vudb__domain_norm(at + 1, len - (size_t)(at - name) - 1,
	    domain)) != NULL)
		return why;
	if (at == name) {
		if (type == VUDB_ALIAS || type == VUDB_RELOCATED) {
			*catchall_r = 1;
			return NULL;
		}
		return "empty local part";
	}
	return vudb__local_norm(name, (size_t)(at - name), local);
}

int
vudb__split(struct vudb *db, int type, const char *name,
    char local[VUDB__LOCAL_MAX + 1], char domain[VUDB__DOMAIN_MAX + 1],
    int *catchall_r)
{
	const char *why;

	if ((why = vudb__split_name(type, name, local, domain,
	    catchall_r)) != NULL)
		return vudb__seterr(db, why == vudb__name_nomem ? VUDB_ENOMEM :
		    VUDB_EINVAL, "%s: %s",
		    name != NULL ? name : "(null)", why);
	return VUDB_OK;
}

const char *
vudb_name_error(int type, const char *name)
{
	char local[VUDB__LOCAL_MAX + 1], domain[VUDB__DOMAIN_MAX + 1];
	int catchall;

	return vudb__split_name(type, name, local, domain, &catchall);
}

int
vudb_normalize(int type, const char *name, char **norm_r)
{
	char local[VUDB__LOCAL_MAX + 1], domain[VUDB__DOMAIN_MAX + 1];
	int catchall;

	if (norm_r == NULL)
		return VUDB_EINVAL;
	*norm_r = NULL;
	if (vudb__split_name(type, name, local, domain, &catchall) != NULL)
		return VUDB_EINVAL;
	if (type == VUDB_DOMAIN)
		*norm_r = strdup(domain);
	else if (asprintf(norm_r, "%s@%s", local, domain) < 0)
		*norm_r = NULL;
	return *norm_r == NULL ? VUDB_ENOMEM : VUDB_OK;
}

/* vudb__entry_name - canonical name of an entry */
void
vudb__entry_name(char *buf, size_t size, int type, const char *local,
    const char *domain)
{
	if (type == VUDB_DOMAIN)
		snprintf(buf, size, "%s", domain);
	else
		snprintf(buf, size, "%s@%s", local, domain);
}

/* ------------------------------------------------------------ old keys */

struct oldscan {
	char	*buf;
	size_t	 len, cap;
	int	 rc;
};

/* oldkeys_collect - iter callback: note each old-form entry key */
static int
oldkeys_collect(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	struct oldscan *o = arg;
	const char *k = key;
	char folded[VUDB__LOCAL_MAX + 1], *nb;
	size_t fl, need;

	(void)val;
	(void)vlen;
	if (klen < 2 || klen - 1 > VUDB__LOCAL_MAX ||
	    (k[0] != 'u' && k[0] != 'a' && k[0] != 'r' && k[0] != 's') ||
	    memchr(k, '\0', klen) != NULL ||
	    !vudb__oldform(k + 1, klen - 1, folded))
		return 0;
	fl = strlen(folded);
	need = 1 + fl + 1 + klen + 1;
	if (o->len + need > o->cap) {
		if ((nb = realloc(o->buf, (o->len + need) * 2)) == NULL) {
			o->rc = VUDB_ENOMEM;
			return 1;
		}
		o->buf = nb;
		o->cap = (o->len + need) * 2;
	}
	o->buf[o->len++] = k[0];
	memcpy(o->buf + o->len, folded, fl + 1);
	o->len += fl + 1;
	memcpy(o->buf + o->len, k, klen);
	o->len += klen;
	o->buf[o->len++] = '\0';
	return 0;
}

/*
 * vudb__oldkeys_load - (re)read d's old-form entry keys into d->oldkeys:
 * "T" folded-local NUL old-key NUL, one after the other.
 */
int
vudb__oldkeys_load(struct vudb *db, struct vudb__dom *d, void *txn)
{
	struct oldscan o = { NULL, 0, 0, VUDB_OK };
	int rc;

	rc = vudb__store_iter(db, d, txn, "", 0, oldkeys_collect, &o);
	if (rc == VUDB_OK)
		rc = o.rc;
	if (rc != VUDB_OK) {
		free(o.buf);
		return rc;
	}
	free(d->oldkeys);
	d->oldkeys = o.buf;
	d->oldkeys_len = o.len;
	d->oldkeys_loaded = 1;
	return VUDB_OK;
}

/*
 * vudb__oldkey_taken - whether an old-form key of type in d folds to local:
 * 1 (with the stored local part in old), 0, or a failure.  A writer
 * reads the domain's old-form keys once (one pass over its keys); each
 * hit is read again in txn, for it may have been renamed since.
 */
int
vudb__oldkey_taken(struct vudb *db, struct vudb__dom *d, void *txn, int type,
    const char *local, char old[VUDB__LOCAL_MAX + 1])
{
	const char *p, *end, *f, *k;
	int rc;

	if (!d->oldkeys_loaded &&
	    (rc = vudb__oldkeys_load(db, d, txn)) != VUDB_OK)
		return rc;
	end = d->oldkeys + d->oldkeys_len;
	for (p = d->oldkeys; p != NULL && p < end; p = k + strlen(k) + 1) {
		f = p + 1;
		k = f + strlen(f) + 1;
		if (p[0] != vudb__type_prefix(type) || strcmp(f, local) != 0)
			continue;
		rc = vudb__store_get(db, d, txn, k, strlen(k), &db->buf);
		if (rc == VUDB_ENOTFOUND)
			continue;
		if (rc != VUDB_OK)
			return rc;
		snprintf(old, VUDB__LOCAL_MAX + 1, "%s", k + 1);
		return 1;
	}
	return 0;
}
