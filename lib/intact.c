/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * intact.c - reads that check what they read.  Every record the core
 * reads through a backend goes through vudb__be_get() or vudb__be_iter(),
 * which check its checksum against its key (records of format version 2,
 * record.c): a record that fails is a damaged domain file, a temporary
 * failure (VUDB_ETEMP), never an answer made from damaged bytes.  A key
 * that is not found is checked too, where the backend can show what is
 * around it (its near method): the entries before and after the place the
 * key would be must be intact and in order, else the page that should
 * have held the key is damaged, and "not found" would bounce mail for a
 * user who exists.
 */
#include "config.h"

#include <string.h>

#include "vudb_private.h"

/* keycmp - the order of keys in every backend: bytes, then length */
static int
keycmp(const void *a, size_t alen, const void *b, size_t blen)
{
	int c;

	c = memcmp(a, b, alen < blen ? alen : blen);
	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/* damaged - the failure of a read of d that met damaged data */
static int
damaged(struct vudb *db, const struct vudb__dom *d, const char *what)
{
	/* no key in the text: one line per domain, which logs rate-limit */
	return vudb__seterr(db, VUDB_ETEMP, "%s: domain file damaged: %s; "
	    "its lookups fail temporarily until it is restored (vudbadm "
	    "verify %s)", d->name, what, d->name);
}

struct near {
	const void	*key;
	size_t		 klen;
	int		 n;		/* entries seen: 0 before, 1 after */
	const char	*bad;
};

static int
near_cb(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	struct near *nr = arg;
	int after = nr->n++, rc;

	if (key == NULL || nr->bad != NULL)
		return 0;
	rc = vudb__rec_check(key, klen, val, vlen);
	if (rc == VUDB_ECORRUPT || rc == VUDB__REC_BAD)
		nr->bad = "a record beside a key not found fails its checksum";
	else if (after ? keycmp(key, klen, nr->key, nr->klen) <= 0 :
	    keycmp(key, klen, nr->key, nr->klen) >= 0)
		nr->bad = "keys out of order where a key was not found";
	return 0;
}

int
vudb__be_get(struct vudb *db, struct vudb__dom *d, void *txn,
    const void *key, size_t klen, struct vudb_buf *val)
{
	struct near nr;
	int rc;

	rc = db->be->get(db, d->h, txn, key, klen, val);
	if (rc == VUDB_OK) {
		if (vudb__rec_check(key, klen, val->data, val->len) ==
		    VUDB_ECORRUPT)
			return damaged(db, d, "a record fails its checksum");
		return VUDB_OK;
	}
	if (rc != VUDB_ENOTFOUND || db->be->near == NULL)
		return rc;
	nr.key = key;
	nr.klen = klen;
	nr.n = 0;
	nr.bad = NULL;
	rc = db->be->near(db, d->h, txn, key, klen, near_cb, &nr);
	if (rc != VUDB_OK)
		return rc;
	if (nr.bad != NULL)
		return damaged(db, d, nr.bad);
	return VUDB_ENOTFOUND;
}

struct checked {
	vudb_iter_cb	 cb;
	void		*arg;
	int		 bad;
};

static int
checked_cb(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	struct checked *ck = arg;

	if (vudb__rec_check(key, klen, val, vlen) == VUDB_ECORRUPT) {
		ck->bad = 1;
		return VUDB_ETEMP;
	}
	return ck->cb(ck->arg, key, klen, val, vlen);
}

int
vudb__be_iter(struct vudb *db, struct vudb__dom *d, void *txn,
    const void *prefix, size_t plen, vudb_iter_cb cb, void *arg)
{
	struct checked ck;
	int rc;

	ck.cb = cb;
	ck.arg = arg;
	ck.bad = 0;
	rc = db->be->iter(db, d->h, txn, prefix, plen, checked_cb, &ck);
	if (ck.bad)
		return damaged(db, d, "a record fails its checksum");
	return rc;
}
