/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * write.c - the pieces every change is made of, inside one transaction:
 * reading and writing records (sealed with their checksum), setting
 * attributes from name/value pairs (checked against record.c's tables),
 * the time stamps, and the domain's "#" record: its user and alias counts
 * (kept in memory during a batch and written once, at commit) and the set
 * of password hash schemes in use, which makes every failed login cost
 * the same (auth.c).  Domain limits are enforced here (vudb__count_add), so
 * every program obeys them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "vudb_private.h"

/* ------------------------------------------------------------ helpers */

/* vudb__get_rec - fetch an entry's encoded record into buf */
int
vudb__get_rec(struct vudb *db, struct vudb__dom *d, int type,
    const char *local, struct vudb_buf *buf)
{
	char key[VUDB__LOCAL_MAX + 2];
	size_t klen;

	klen = vudb__key(type, local, strlen(local), key);
	return vudb__store_get(db, d, db->txn_dom == d ? db->txn : NULL, key,
	    klen, buf);
}

/* vudb__dom_value - a domain's value of dtag, else the store's setting */
const char *
vudb__dom_value(const struct vudb *db, const struct vudb__dom *d,
    unsigned int dtag, int sidx)
{
	const char *v = NULL;

	if (d != NULL && dtag != 0)
		v = vudb__rec_get(d->meta, dtag);
	return v != NULL ? v : vudb__setting(db, sidx);
}

void
vudb__set_now(struct vudb__rec *rec, unsigned int tag)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", (long long)time(NULL));
	(void)vudb__rec_set(rec, tag, buf);
}

unsigned int
vudb__tag_created(int type)
{
	return type == VUDB_DOMAIN ? VUDB__D_CREATED :
	    type == VUDB_USER ? VUDB__U_CREATED : VUDB__L_CREATED;
}

unsigned int
vudb__tag_updated(int type)
{
	return type == VUDB_DOMAIN ? VUDB__D_UPDATED :
	    type == VUDB_USER ? VUDB__U_UPDATED : VUDB__L_UPDATED;
}

/*
 * vudb__apply_attrs - check and set name/value pairs on rec.  remove: an empty
 * or NULL value removes the attribute.
 */
int
vudb__apply_attrs(struct vudb *db, struct vudb__rec *rec,
    const char *const *attrs,
    int remove)
{
	const struct vudb__attr *a;
	const char *why;
	char *norm;
	size_t i;
	int rc;

	for (i = 0; attrs != NULL && attrs[i] != NULL; i += 2) {
		a = vudb__attr_byname(rec->type, attrs[i]);
		/* time stamps may be given when adding (an import keeps
		 * them); otherwise the library sets them */
		if (a == NULL || (a->flags & VUDB__A_HIDDEN) ||
		    ((a->flags & VUDB__A_RDONLY) &&
		    (remove || a->kind != VUDB__K_TIME)))
			return vudb__seterr(db, VUDB_EINVAL, "%s: %s",
			    attrs[i], a == NULL ? "unknown attribute" :
			    "read-only attribute");
		if (attrs[i + 1] == NULL || attrs[i + 1][0] == '\0') {
			if (!remove)
				return vudb__seterr(db, VUDB_EINVAL,
				    "%s: empty value", attrs[i]);
			if ((rc = vudb__rec_set(rec, a->tag, NULL)) != VUDB_OK)
				return rc;
			continue;
		}
		rc = vudb__value_norm(a->kind, attrs[i + 1], &norm, &why);
		if (rc != VUDB_OK)
			return vudb__seterr(db, rc, "%s: %s", attrs[i],
			    why != NULL ? why : "out of memory");
		rc = vudb__rec_set(rec, a->tag, norm);
		vudb__free_secret(norm);
		if (rc != VUDB_OK)
			return vudb__seterr(db, rc, "%s: cannot set",
			    attrs[i]);
	}
	return VUDB_OK;
}

int
vudb__put_rec_flags(struct vudb *db, struct vudb__dom *d, void *txn,
    const char *key, size_t klen, const struct vudb__rec *rec, int flags)
{
	unsigned char *buf;
	size_t len;
	int rc;

	if ((rc = vudb__rec_encode(rec, &buf, &len)) != VUDB_OK)
		return vudb__seterr(db, rc, "record too large");
	vudb__rec_seal(buf, len, key, klen);
	rc = vudb__store_put(db, d, txn, key, klen, buf, len, flags);
	vudb__wipe(buf, len);
	free(buf);
	return rc;
}

int
vudb__put_rec(struct vudb *db, struct vudb__dom *d, void *txn, const char *key,
    size_t klen, const struct vudb__rec *rec)
{
	return vudb__put_rec_flags(db, d, txn, key, klen, rec, 0);
}

/* vudb__rec_fits - whether rec can be stored (before anything is written) */
int
vudb__rec_fits(struct vudb *db, const struct vudb__rec *rec)
{
	unsigned char *buf;
	size_t len;
	int rc;

	if ((rc = vudb__rec_encode(rec, &buf, &len)) != VUDB_OK)
		return vudb__seterr(db, rc, "record too large");
	vudb__wipe(buf, len);
	free(buf);
	return VUDB_OK;
}

/* vudb__get_rec_txn - read and decode one record inside txn */
int
vudb__get_rec_txn(struct vudb *db, struct vudb__dom *d, void *txn, int type,
    const char *key, size_t klen, struct vudb__rec *rec)
{
	int rc;

	vudb__rec_init(rec, type);
	rc = vudb__store_get(db, d, txn, key, klen, &db->buf);
	if (rc != VUDB_OK)
		return rc;
	rc = vudb__rec_decode(db->buf.data, db->buf.len, type, rec);
	if (rc != VUDB_OK)
		return vudb__seterr(db, rc, "%s: damaged record", d->name);
	return VUDB_OK;
}

/* vudb__counters_write - set the "#" record's counts, keeping other fields */
int
vudb__counters_write(struct vudb *db, struct vudb__dom *d, void *txn,
    unsigned long long users, unsigned long long aliases)
{
	struct vudb__rec rec;
	char buf[32];
	int rc;

	rc = vudb__get_rec_txn(db, d, txn, VUDB__REC_COUNTERS, "#", 1, &rec);
	if (rc != VUDB_OK && rc != VUDB_ENOTFOUND)
		return rc;
	snprintf(buf, sizeof(buf), "%llu", users);
	rc = vudb__rec_set(&rec, VUDB__C_USERS, buf);
	snprintf(buf, sizeof(buf), "%llu", aliases);
	if (rc == VUDB_OK)
		rc = vudb__rec_set(&rec, VUDB__C_ALIASES, buf);
	if (rc == VUDB_OK)
		rc = vudb__put_rec(db, d, txn, "#", 1, &rec);
	vudb__rec_clear(&rec);
	return rc;
}

/* vudb__counters_read - the "#" record's counts */
int
vudb__counters_read(struct vudb *db, struct vudb__dom *d, void *txn,
    unsigned long long *users, unsigned long long *aliases)
{
	struct vudb__rec rec;
	const char *v;
	int rc;

	*users = *aliases = 0;
	rc = vudb__get_rec_txn(db, d, txn, VUDB__REC_COUNTERS, "#", 1, &rec);
	if (rc == VUDB_ENOTFOUND)
		return VUDB_OK;
	if (rc != VUDB_OK)
		return rc;
	if ((v = vudb__rec_get(&rec, VUDB__C_USERS)) != NULL)
		(void)vudb__parse_u64(v, ~0ULL, users);
	if ((v = vudb__rec_get(&rec, VUDB__C_ALIASES)) != NULL)
		(void)vudb__parse_u64(v, ~0ULL, aliases);
	vudb__rec_clear(&rec);
	return VUDB_OK;
}

/*
 * vudb__count_add - change the user or alias count of d by delta (+1 or -1),
 * refusing to pass the domain's limit when check is set.  Inside a batch
 * the counts are kept in memory and written once, at commit.
 */
int
vudb__count_add(struct vudb *db, struct vudb__dom *d, void *txn,
    unsigned int tag,
    int delta, unsigned int maxtag, int check)
{
	unsigned long long users, aliases, *n, max = 0;
	const char *v;
	int rc, batch = db->txn != NULL && txn == db->txn &&
	    d == db->txn_dom;

	if (batch) {
		if (!db->txn_cnt_loaded) {
			rc = vudb__counters_read(db, d, txn, &db->txn_users,
			    &db->txn_aliases);
			if (rc != VUDB_OK)
				return rc;
			db->txn_cnt_loaded = 1;
		}
		users = db->txn_users;
		aliases = db->txn_aliases;
	} else if ((rc = vudb__counters_read(db, d, txn, &users, &aliases)) !=
	    VUDB_OK)
		return rc;
	n = tag == VUDB__C_USERS ? &users : &aliases;
	if (check && delta > 0 && maxtag != 0 &&
	    (v = vudb__rec_get(d->meta, maxtag)) != NULL &&
	    vudb__parse_u64(v, ~0ULL, &max) == 0 && max > 0 && *n >= max)
		return vudb__seterr(db, VUDB_ELIMIT, "%s: limit of %llu %s "
		    "reached", d->name, max, tag == VUDB__C_USERS ? "users" :
		    "aliases");
	*n = delta < 0 ? (*n > 0 ? *n - 1 : 0) : *n + 1;
	if (batch) {
		db->txn_users = users;
		db->txn_aliases = aliases;
		db->txn_cnt_dirty = 1;
		return VUDB_OK;
	}
	return vudb__counters_write(db, d, txn, users, aliases);
}

/*
 * The hash schemes in use in a domain ("#" record, "schemes"): every
 * scheme a stored password of the domain has ever had, as a set of names.
 * A failed login does the work of each of them (dummy_schemes), so that
 * it costs the same whatever the stored hash's scheme, and an unknown user
 * the same as a known one.  The set only grows; a scheme that no password
 * uses any more costs failed logins a little more, never less.
 */

/* vudb__hash_scheme - the scheme name of a "{SCHEME}..." hash into buf,
    or NULL */
const char *
vudb__hash_scheme(const char *hash, char *buf, size_t size)
{
	const char *end;

	if (hash == NULL || hash[0] != '{' ||
	    (end = strchr(hash, '}')) == NULL || end == hash + 1 ||
	    (size_t)(end - hash) > size)
		return NULL;
	memcpy(buf, hash + 1, (size_t)(end - hash - 1));
	buf[end - hash - 1] = '\0';
	return buf;
}

/* in_list - whether the comma-separated list holds name (any case) */
static int
in_list(const char *list, const char *name)
{
	size_t n = strlen(name);

	while (list != NULL && *list != '\0') {
		if (strncasecmp(list, name, n) == 0 &&
		    (list[n] == ',' || list[n] == '\0'))
			return 1;
		if ((list = strchr(list, ',')) != NULL)
			list++;
	}
	return 0;
}

/* vudb__schemes_note - add the scheme of a stored hash to d's set, in txn */
int
vudb__schemes_note(struct vudb *db, struct vudb__dom *d, void *txn,
    const char *hash)
{
	struct vudb__rec rec;
	char name[32], *list;
	const char *v;
	int rc;

	/* schemes we cannot make cost microseconds: nothing to match */
	if (vudb__hash_scheme(hash, name, sizeof(name)) == NULL ||
	    !vudb__pw_scheme_valid(name))
		return VUDB_OK;
	rc = vudb__get_rec_txn(db, d, txn, VUDB__REC_COUNTERS, "#", 1, &rec);
	if (rc != VUDB_OK && rc != VUDB_ENOTFOUND)
		return rc;
	v = vudb__rec_get(&rec, VUDB__C_SCHEMES);
	if (in_list(v, name)) {
		vudb__rec_clear(&rec);
		return VUDB_OK;
	}
	if (asprintf(&list, "%s%s%s", v != NULL ? v : "", v != NULL ? "," :
	    "", name) < 0) {
		vudb__rec_clear(&rec);
		return VUDB_ENOMEM;
	}
	rc = vudb__rec_set(&rec, VUDB__C_SCHEMES, list);
	free(list);
	if (rc == VUDB_OK)
		rc = vudb__put_rec(db, d, txn, "#", 1, &rec);
	vudb__rec_clear(&rec);
	return rc;
}

/* vudb__wipe_domain - delete every record of a domain inside txn */
int
vudb__wipe_domain(struct vudb *db, struct vudb__dom *d, void *txn)
{
	struct vudb__recs r = { 0 };
	size_t i;
	int rc;

	rc = vudb__store_iter(db, d, txn, "", 0, vudb__recs_collect, &r);
	for (i = 0; rc == VUDB_OK && i < r.n; i++)
		rc = vudb__store_del(db, d, txn, r.keys[i], r.klens[i]);
	vudb__recs_free(&r);
	return rc;
}

/* vudb__recs_collect - an iteration callback keeping every record */
int
vudb__recs_collect(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	struct vudb__recs *r = arg;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		void *p;

		if ((p = realloc(r->keys, cap * sizeof(*r->keys))) == NULL)
			return VUDB_ENOMEM;
		r->keys = p;
		if ((p = realloc(r->klens, cap * sizeof(*r->klens))) == NULL)
			return VUDB_ENOMEM;
		r->klens = p;
		if ((p = realloc(r->vals, cap * sizeof(*r->vals))) == NULL)
			return VUDB_ENOMEM;
		r->vals = p;
		if ((p = realloc(r->vlens, cap * sizeof(*r->vlens))) == NULL)
			return VUDB_ENOMEM;
		r->vlens = p;
		r->cap = cap;
	}
	if ((r->keys[r->n] = malloc(klen + 1)) == NULL)
		return VUDB_ENOMEM;
	if ((r->vals[r->n] = malloc(vlen ? vlen : 1)) == NULL) {
		free(r->keys[r->n]);
		return VUDB_ENOMEM;
	}
	memcpy(r->keys[r->n], key, klen);
	r->keys[r->n][klen] = '\0';
	r->klens[r->n] = klen;
	memcpy(r->vals[r->n], val, vlen);
	r->vlens[r->n++] = vlen;
	return 0;
}

void
vudb__recs_free(struct vudb__recs *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->keys[i]);
		vudb__wipe(r->vals[i], r->vlens[i]);
		free(r->vals[i]);
	}
	free(r->keys);
	free(r->klens);
	free(r->vals);
	free(r->vlens);
	memset(r, 0, sizeof(*r));
}
