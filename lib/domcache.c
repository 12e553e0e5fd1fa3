/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * domcache.c - the bounded, least-recently-used cache of open domain
 * databases on a store handle, and each one's domain record (meta),
 * decoded once for the hot path.  A domain is opened (or built out of
 * sight, for a batch on a new domain) through the store door and closed
 * when the cache is full, the descriptors of the process run short, or
 * the backend has no room for another; vudb__dom_find gives the database
 * of an existing domain.  Also the sorted list of the store's domains.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vudb_private.h"

/* ------------------------------------------------------------ domain cache */

static size_t
name_hash(const char *s)
{
	size_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void
lru_unlink(struct vudb *db, struct vudb__dom *d)
{
	if (d->prev != NULL)
		d->prev->next = d->next;
	else
		db->lru_head = d->next;
	if (d->next != NULL)
		d->next->prev = d->prev;
	else
		db->lru_tail = d->prev;
	d->prev = d->next = NULL;
}

static void
lru_push(struct vudb *db, struct vudb__dom *d)
{
	d->prev = NULL;
	d->next = db->lru_head;
	if (db->lru_head != NULL)
		db->lru_head->prev = d;
	db->lru_head = d;
	if (db->lru_tail == NULL)
		db->lru_tail = d;
}

/*
 * Open domain databases of all handles of the process, and how many the
 * descriptor limit allows them (half of it): a program with a handle per
 * thread shares one budget.
 */
static size_t	open_doms;

static size_t	open_doms_max = (size_t)-1;

/* vudb__dom_budget - how many domain databases the process may hold */
void
vudb__dom_budget(size_t max)
{
	__atomic_store_n(&open_doms_max, max, __ATOMIC_RELAXED);
}

/* An empty domain record: the meta of a domain not read yet. */
static const struct vudb__rec no_meta = { VUDB_DOMAIN, 0, { { 0, 0, NULL } } };

/* meta_free - let go of d's domain record */
static void
meta_free(struct vudb__dom *d)
{
	if (d->meta != &no_meta) {
		vudb__rec_clear(d->meta);
		free(d->meta);
	}
	d->meta = (struct vudb__rec *)&no_meta;
}

/*
 * meta_keep - make d's domain record a copy of rec with room for its
 * fields only: an open domain costs less than a full record (which has
 * room for every field), and a process may keep 100,000 open.  rec's
 * values move to the copy.
 */
static int
meta_keep(struct vudb__dom *d, struct vudb__rec *rec)
{
	struct vudb__rec *m;

	m = malloc(offsetof(struct vudb__rec, f) + (rec->n > 0 ? rec->n : 1) *
	    sizeof(rec->f[0]));
	if (m == NULL)
		return VUDB_ENOMEM;
	m->type = rec->type;
	m->n = rec->n;
	memcpy(m->f, rec->f, rec->n * sizeof(rec->f[0]));
	rec->n = 0;
	meta_free(d);
	d->meta = m;
	return VUDB_OK;
}

/* vudb__dom_drop - close one cached domain database */
void
vudb__dom_drop(struct vudb *db, struct vudb__dom *d)
{
	struct vudb__dom **pp;

	for (pp = &db->htab[d->hash & (db->hsize - 1)]; *pp != NULL;
	    pp = &(*pp)->hnext)
		if (*pp == d) {
			*pp = d->hnext;
			break;
		}
	lru_unlink(db, d);
	if (db->last_dom == d)
		db->last_dom = NULL;
	db->ndoms--;
	__atomic_sub_fetch(&open_doms, 1, __ATOMIC_RELAXED);
	vudb__store_dom_close(db, d->h);
	meta_free(d);
	free(d->oldkeys);
	free(d);
}

/*
 * dom_grow - double the domain hash table once it holds as many domains
 * as buckets: a program that opens one domain keeps a small table, and
 * one that opens 100,000 keeps its chains short.  Out of memory, the
 * table stays as it is (longer chains, still correct).
 */
static void
dom_grow(struct vudb *db)
{
	struct vudb__dom **nt, *d, *next;
	size_t i, b, n = db->hsize * 2;

	if (db->ndoms < db->hsize || n > (1u << 20) ||
	    (nt = calloc(n, sizeof(*nt))) == NULL)
		return;
	for (i = 0; i < db->hsize; i++)
		for (d = db->htab[i]; d != NULL; d = next) {
			next = d->hnext;
			b = d->hash & (n - 1);
			d->hnext = nt[b];
			nt[b] = d;
		}
	free(db->htab);
	db->htab = nt;
	db->hsize = n;
}

/* dom_insert - cache a newly opened domain database (h stays the
 * caller's on failure) */
static int
dom_insert(struct vudb *db, const char *domain, void *h,
    struct vudb__dom **dom_r)
{
	struct vudb__dom *d, *victim;
	size_t b, hash = name_hash(domain);

	dom_grow(db);
	b = hash & (db->hsize - 1);
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return VUDB_ENOMEM;
	d->hash = hash;
	d->namelen = (unsigned int)snprintf(d->name, sizeof(d->name), "%s",
	    domain);
	d->h = h;
	d->meta = (struct vudb__rec *)&no_meta;
	d->hnext = db->htab[b];
	db->htab[b] = d;
	lru_push(db, d);
	db->ndoms++;
	/* Keep the cache bounded: close the least recently used.  A hit
	 * only marks a domain used (moving it to the head would touch two
	 * more domains, out of the CPU's caches with 10,000 of them); the
	 * order is made here: a used one at the tail goes back to the
	 * head, once, and the first unused one goes. */
	for (victim = db->lru_tail; victim != NULL &&
	    (db->ndoms > db->maxdoms ||
	    __atomic_load_n(&open_doms, __ATOMIC_RELAXED) >=
	    __atomic_load_n(&open_doms_max, __ATOMIC_RELAXED));) {
		struct vudb__dom *prev = victim->prev;

		if (victim->used && victim != d) {
			victim->used = 0;
			lru_unlink(db, victim);
			lru_push(db, victim);
		} else if (victim != d && victim != db->txn_dom)
			vudb__dom_drop(db, victim);
		victim = prev;
	}
	__atomic_add_fetch(&open_doms, 1, __ATOMIC_RELAXED);
	*dom_r = d;
	return VUDB_OK;
}

/*
 * dom_shrink - the backend has no room for one more open database
 * (Berkeley DB's shared regions are sized when they are made, and every
 * process draws on them): close the least recently used quarter of this
 * handle's domains, and keep no more open from now on.  The most recently
 * used stays: a caller may hold it while it opens another.  Returns
 * whether any was closed.
 */
static int
dom_shrink(struct vudb *db)
{
	struct vudb__dom *d, *prev;
	size_t keep, before = db->ndoms;

	if (db->ndoms < 2)
		return 0;
	keep = db->ndoms - (db->ndoms / 4 > 0 ? db->ndoms / 4 : 1);
	for (d = db->lru_tail; d != NULL && d != db->lru_head &&
	    db->ndoms > keep; d = prev) {
		prev = d->prev;
		if (d != db->txn_dom)
			vudb__dom_drop(db, d);
	}
	if (db->ndoms == before)
		return 0;
	/* this many, and the one being opened */
	db->maxdoms = db->ndoms + 1;
	vudb__log(db, VUDB_LOG_WARNING, "no room for another open domain "
	    "(%s): keeping at most %zu open", db->errmsg, db->maxdoms);
	return 1;
}

/*
 * vudb__dom_get - the open database of a domain (canonical name), from the
 * cache or newly opened.  create: make the file if missing.  Returns
 * VUDB_OK, VUDB_ENOTFOUND (no file) or a failure.
 */
int
vudb__dom_get(struct vudb *db, const char *domain, int create,
    struct vudb__dom **dom_r)
{
	struct vudb__dom *d;
	size_t hash = name_hash(domain);
	void *h;
	int rc;

	*dom_r = NULL;
	for (d = db->htab[hash & (db->hsize - 1)]; d != NULL; d = d->hnext)
		if (d->hash == hash && strcmp(d->name, domain) == 0) {
			d->used = 1;
			*dom_r = d;
			return VUDB_OK;
		}
	do
		rc = vudb__store_dom_open(db, domain, create, &h);
	while (rc == VUDB_ENOMEM && dom_shrink(db));
	if (rc != VUDB_OK)
		return rc;
	if ((rc = dom_insert(db, domain, h, dom_r)) != VUDB_OK)
		vudb__store_dom_close(db, h);
	return rc;
}

/*
 * vudb__dom_build - start a batch that makes a domain which has no file
 * yet: the backend builds it out of sight and publishes it whole at
 * commit.  Returns VUDB_ENOTSUP when the backend cannot (the caller then
 * creates the file), VUDB_EEXIST when the file appeared meanwhile.
 */
int
vudb__dom_build(struct vudb *db, const char *domain, struct vudb__dom **dom_r,
    void **txn_r)
{
	void *h;
	int rc;

	*dom_r = NULL;
	*txn_r = NULL;
	if ((rc = vudb__store_build_begin(db, domain, &h, txn_r)) != VUDB_OK)
		return rc;
	if ((rc = dom_insert(db, domain, h, dom_r)) != VUDB_OK) {
		(void)vudb__store_build_end(db, *txn_r, 0);
		*txn_r = NULL;
	}
	return rc;
}

/*
 * vudb__dom_unbuilt - forget the cached handle of a finished build (the
 * backend has closed it): the next use opens the published file.
 */
void
vudb__dom_unbuilt(struct vudb *db, struct vudb__dom *d)
{
	d->h = NULL;
	vudb__dom_drop(db, d);
}

/*
 * vudb__txn_finish - commit (commit set) or abort the backend transaction
 * of the open batch.  A build's handle is closed by the backend either
 * way, and its domain leaves the cache (txn_dom becomes NULL).
 */
int
vudb__txn_finish(struct vudb *db, int commit)
{
	int rc = VUDB_OK;

	if (db->txn_build) {
		rc = vudb__store_build_end(db, db->txn, commit);
		if (db->txn_dom != NULL)
			vudb__dom_unbuilt(db, db->txn_dom);
		db->txn_dom = NULL;
		db->txn_build = 0;
	} else if (commit)
		rc = vudb__store_commit(db, db->txn);
	else
		vudb__store_abort(db, db->txn);
	return rc;
}

/*
 * vudb__dom_meta - make sure d's domain record is current.  Returns
 * VUDB_OK (meta_state says whether the domain exists) or a failure.
 */
int
vudb__dom_meta(struct vudb *db, struct vudb__dom *d)
{
	struct vudb__rec rec;
	const char *v;
	int rc;

	/* a batch that changes the domain record marks it unknown */
	if (d->meta_state != VUDB__META_UNKNOWN && d->meta_gen == db->gen)
		return VUDB_OK;
	meta_free(d);
	d->meta_state = VUDB__META_UNKNOWN;
	rc = vudb__store_get(db, d, db->txn_dom == d ? db->txn : NULL, "D", 1,
	    &db->buf);
	if (rc == VUDB_ENOTFOUND) {
		d->meta_state = VUDB__META_NONE;
		d->meta_gen = db->gen;
		return VUDB_OK;
	}
	if (rc != VUDB_OK)
		return rc;
	rc = vudb__rec_decode(db->buf.data, db->buf.len, VUDB_DOMAIN, &rec);
	if (rc != VUDB_OK)
		return vudb__seterr(db, rc, "%s: domain record: %s", d->name,
		    vudb_strerror(rc));
	if ((rc = meta_keep(d, &rec)) != VUDB_OK) {
		vudb__rec_clear(&rec);
		return rc;
	}
	v = vudb__rec_get(d->meta, VUDB__D_DELETED);
	d->meta_state = v != NULL && strcmp(v, "yes") == 0 ?
	    VUDB__META_NONE : VUDB__META_OK;
	v = vudb__rec_get(d->meta, VUDB__D_ENABLED);
	d->enabled = v == NULL || strcmp(v, "yes") == 0;
	v = vudb__rec_get(d->meta, VUDB__D_KIND);
	d->is_alias = v != NULL && strcmp(v, "alias") == 0;
	d->target = vudb__rec_get(d->meta, VUDB__D_TARGET);
	v = vudb__rec_get(d->meta, VUDB__D_CATCHALL);
	d->catchall = v == NULL || strcmp(v, "yes") == 0;
	d->delim = vudb__rec_get(d->meta, VUDB__D_DELIM);
	d->meta_gen = db->gen;
	return VUDB_OK;
}

/*
 * vudb__dom_find - the open database of an existing domain, its record
 * current.  A cached database whose domain is gone is closed and the
 * domain looked for once more: the file may have been replaced (a domain
 * deleted and added again).  Returns VUDB_OK, VUDB_ENOTFOUND or a failure.
 */
int
vudb__dom_find(struct vudb *db, const char *domain, struct vudb__dom **d_r)
{
	struct vudb__dom *d;
	int rc, tries;

	*d_r = NULL;
	for (tries = 0; tries < 2; tries++) {
		if ((rc = vudb__dom_get(db, domain, 0, &d)) != VUDB_OK)
			return rc;
		if ((rc = vudb__dom_meta(db, d)) != VUDB_OK)
			return rc;
		if (d->meta_state == VUDB__META_OK) {
			*d_r = d;
			return VUDB_OK;
		}
		if (db->txn_dom == d)
			break;
		/* let go of the file, so that it can be removed */
		vudb__dom_drop(db, d);
	}
	return VUDB_ENOTFOUND;
}

/* vudb__open_domain - the cached database of an existing domain */
int
vudb__open_domain(struct vudb *db, const char *domain, struct vudb__dom **d_r)
{
	int rc;

	rc = vudb__dom_find(db, domain, d_r);
	if (rc == VUDB_ENOTFOUND)
		return vudb__seterr(db, rc, "%s: no such domain", domain);
	return rc;
}

static int
add_name(void *arg, const char *domain)
{
	struct vudb__names *nm = arg;
	char **p;

	if (nm->n == nm->cap) {
		nm->cap = nm->cap ? nm->cap * 2 : 64;
		if ((p = realloc(nm->v, nm->cap * sizeof(*p))) == NULL)
			return VUDB_ENOMEM;
		nm->v = p;
	}
	if ((nm->v[nm->n] = strdup(domain)) == NULL)
		return VUDB_ENOMEM;
	nm->n++;
	return 0;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * vudb__domain_names - the names of the store's domain files, in name
 * order (files of deleted domains and unfinished adds included)
 */
int
vudb__domain_names(struct vudb *db, struct vudb__names *nm)
{
	int rc;

	if ((rc = vudb__store_dom_list(db, add_name, nm)) != VUDB_OK)
		return rc;
	if (nm->n > 1)
		qsort(nm->v, nm->n, sizeof(*nm->v), cmp_name);
	return VUDB_OK;
}

void
vudb__names_free(struct vudb__names *nm)
{
	size_t i;

	for (i = 0; i < nm->n; i++)
		free(nm->v[i]);
	free(nm->v);
	memset(nm, 0, sizeof(*nm));
}
