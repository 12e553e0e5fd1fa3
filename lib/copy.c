/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * copy.c - vudb_convert(): copy a store's domains into another store,
 * usually of the other backend (the way off Berkeley DB).  Records are
 * copied as they are stored, byte for byte, fields of newer versions
 * included; each domain is written in one transaction and then read back
 * and compared with the source record by record.  The store-wide settings
 * come along, except the backend.  The source is only read.  Records of
 * format version 1 (without a checksum) are the one exception to "byte for
 * byte": they are copied as version 2, sealed with their checksum, the
 * same fields otherwise, so a convert is also the way to give an old
 * store's records their checksums.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vudb_private.h"

/* The records of the source, to compare the copy with. */
struct compare {
	const struct vudb__recs	*src;
	size_t			 i;
	int			 differ;
};

static int
compare_rec(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	struct compare *c = arg;
	const struct vudb__recs *r = c->src;

	if (c->i >= r->n || r->klens[c->i] != klen ||
	    memcmp(r->keys[c->i], key, klen) != 0 ||
	    r->vlens[c->i] != vlen || memcmp(r->vals[c->i], val, vlen) != 0) {
		c->differ = 1;
		return 1;
	}
	c->i++;
	return 0;
}

/* upgrade - records of version 1 to version 2, with their checksum */
static int
upgrade(struct vudb__recs *r)
{
	unsigned char *buf;
	size_t i, len;
	int rc;

	for (i = 0; i < r->n; i++) {
		if (vudb__rec_check(r->keys[i], r->klens[i], r->vals[i],
		    r->vlens[i]) != VUDB__REC_NOSUM)
			continue;
		rc = vudb__rec_upgrade(r->keys[i], r->klens[i], r->vals[i],
		    r->vlens[i], &buf, &len);
		if (rc != VUDB_OK)
			return rc;
		vudb__wipe(r->vals[i], r->vlens[i]);
		free(r->vals[i]);
		r->vals[i] = buf;
		r->vlens[i] = len;
	}
	return VUDB_OK;
}

/* copy_domain - one domain: copy in a transaction, then compare */
static int
copy_domain(struct vudb *src, struct vudb *dst, const char *domain,
    unsigned long long *n_r)
{
	struct vudb__recs r = { 0 };
	struct compare cmp;
	struct vudb__dom *sd, *dd;
	void *txn;
	size_t i;
	int rc;

	*n_r = 0;
	if ((rc = vudb__dom_find(src, domain, &sd)) != VUDB_OK)
		return rc;	/* VUDB_ENOTFOUND: a leftover file, skipped */
	rc = vudb__store_iter(src, sd, NULL, "", 0, vudb__recs_collect, &r);
	if (rc != VUDB_OK)
		goto out;
	if ((rc = upgrade(&r)) != VUDB_OK)
		goto out;
	if ((rc = vudb__dom_get(dst, domain, 1, &dd)) != VUDB_OK ||
	    (rc = vudb__dom_meta(dst, dd)) != VUDB_OK)
		goto out;
	if (dd->meta_state == VUDB__META_OK) {
		rc = vudb__seterr(dst, VUDB_EEXIST, "%s: already in the "
		    "destination store", domain);
		goto out;
	}
	if ((rc = vudb__store_begin(dst, &txn)) != VUDB_OK)
		goto out;
	dst->txn_dom = dd;
	/* a deleted domain's tombstone in the destination goes first */
	rc = vudb__store_del(dst, dd, txn, "D", 1);
	if (rc == VUDB_ENOTFOUND)
		rc = VUDB_OK;
	for (i = 0; rc == VUDB_OK && i < r.n; i++)
		rc = vudb__store_put(dst, dd, txn, r.keys[i], r.klens[i],
		    r.vals[i], r.vlens[i], 0);
	if (rc == VUDB_OK)
		rc = vudb__store_commit(dst, txn);
	else
		vudb__store_abort(dst, txn);
	dst->txn_dom = NULL;
	dd->meta_state = VUDB__META_UNKNOWN;
	if (rc != VUDB_OK)
		goto out;
	/* read the copy back: every record, in order, byte for byte */
	cmp.src = &r;
	cmp.i = 0;
	cmp.differ = 0;
	rc = vudb__store_iter(dst, dd, NULL, "", 0, compare_rec, &cmp);
	if (rc == 1 || cmp.differ || cmp.i != r.n)
		rc = vudb__seterr(dst, VUDB_ECORRUPT, "%s: the copy differs "
		    "from the source (record %zu of %zu)", domain, cmp.i, r.n);
	if (rc == VUDB_OK)
		*n_r = r.n;
out:
	vudb__recs_free(&r);
	return rc;
}

int
vudb_convert(struct vudb *src, struct vudb *dst, const char *domain,
    void (*progress)(void *, const char *, unsigned long long), void *arg)
{
	char local[VUDB__LOCAL_MAX + 1], dom[VUDB__DOMAIN_MAX + 1];
	struct vudb__names nm = { NULL, 0, 0 };
	unsigned long long n;
	const char *v;
	size_t i;
	int rc, catchall, s;

	if (src == NULL || dst == NULL || src == dst)
		return VUDB_EINVAL;
	vudb__clearerr(src);
	vudb__clearerr(dst);
	if ((rc = vudb__refresh(src)) != VUDB_OK)
		return rc;
	if ((rc = vudb__refresh(dst)) != VUDB_OK)
		return rc;
	if (dst->flags & VUDB_RDONLY)
		return vudb__seterr(dst, VUDB_ERDONLY, "destination store "
		    "opened read-only");
	if (src->txn != NULL || dst->txn != NULL)
		return vudb__seterr(dst, VUDB_EINVAL, "a batch is open");
	if (strcmp(src->root, dst->root) == 0)
		return vudb__seterr(dst, VUDB_EINVAL, "source and destination "
		    "are the same store");
	if (domain != NULL) {
		if ((rc = vudb__split(dst, VUDB_DOMAIN, domain, local, dom,
		    &catchall)) != VUDB_OK)
			return rc;
		if ((nm.v = malloc(sizeof(*nm.v))) == NULL ||
		    (nm.v[0] = strdup(dom)) == NULL)
			rc = VUDB_ENOMEM;
		else
			nm.n = nm.cap = 1;
	} else {
		/* the settings first, so that the domains meet them */
		for (s = 0; s < VUDB__S_COUNT; s++) {
			if (s == VUDB__S_BACKEND || src->set[s] == NULL)
				continue;
			v = vudb_setting_name((size_t)s);
			if ((rc = vudb_setting_set(dst, v, src->set[s])) !=
			    VUDB_OK)
				return rc;
		}
		rc = vudb__domain_names(src, &nm);
		if (rc != VUDB_OK)
			vudb__seterr(dst, rc, "%s", src->errmsg);
	}
	for (i = 0; rc == VUDB_OK && i < nm.n; i++) {
		rc = copy_domain(src, dst, nm.v[i], &n);
		if (rc == VUDB_ENOTFOUND && domain == NULL) {
			rc = VUDB_OK;		/* not a live domain */
			continue;
		}
		if (rc == VUDB_ENOTFOUND)
			vudb__seterr(dst, rc, "%s: no such domain", nm.v[i]);
		else if (rc != VUDB_OK && src->err == rc && dst->errmsg[0] ==
		    '\0')
			vudb__seterr(dst, rc, "%s", src->errmsg);
		if (rc == VUDB_OK) {
			char det[4200];

			/* the copy is a change of dst: its audit line */
			snprintf(det, sizeof(det), "from %s:%s, %llu records",
			    vudb__store_name(src), src->root, n);
			vudb__audit(dst, "convert", VUDB_DOMAIN, NULL, nm.v[i],
			    NULL, det);
		}
		if (rc == VUDB_OK && progress != NULL)
			progress(arg, nm.v[i], n);
	}
	vudb__names_free(&nm);
	vudb__bump_gen(dst);
	return rc;
}
