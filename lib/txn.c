/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * txn.c - transactions and batches.  Every change runs in one backend
 * transaction, retried on a lock conflict (vudb__txn_run), or joins the
 * open batch (vudb__in_txn); vudb_begin, vudb_commit and vudb_abort open
 * and end a batch on one domain, which for a domain that has no database
 * yet is built out of sight and published whole at commit.
 * vudb__start_write is the start of every change: fresh settings, a store
 * opened for writing.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>

#include "vudb_private.h"

#define MAX_TRIES	5

/*
 * vudb__txn_run - fn in a transaction of its own, committed when fn
 * returns VUDB_OK and aborted otherwise; a lock conflict (VUDB_ETEMP)
 * runs it again, up to MAX_TRIES times.  Outside any batch.
 */
int
vudb__txn_run(struct vudb *db, vudb__txn_fn fn, void *arg)
{
	void *txn;
	int rc, tries;

	db->commit_failed = 0;
	for (tries = 0; ; tries++) {
		if ((rc = vudb__store_begin(db, &txn)) != VUDB_OK)
			return rc;
		rc = fn(db, txn, arg);
		if (rc == VUDB_OK) {
			rc = vudb__store_commit(db, txn);
			db->commit_failed = rc != VUDB_OK;
		} else
			vudb__store_abort(db, txn);
		/* a lost store (vudb__again_write) is not retried here:
		 * the domain handles of the call went with it */
		if (rc != VUDB_ETEMP || tries + 1 == MAX_TRIES ||
		    !vudb__store_alive(db))
			return rc;
	}
}

/*
 * vudb__in_txn - one change to d: in the open batch, or in a transaction
 * of its own (vudb__txn_run).  meta: the change touches the domain
 * record, which long-lived readers cache, so the generation moves at
 * commit.
 */
int
vudb__in_txn(struct vudb *db, struct vudb__dom *d, vudb__txn_fn fn,
    void *arg, int meta)
{
	int rc;

	if (db->txn != NULL) {
		if (db->txn_dom != d)
			return vudb__seterr(db, VUDB_EINVAL, "a batch on %s "
			    "is open", db->txn_dom->name);
		if (db->txn_failed)
			return vudb__seterr(db, VUDB_ETEMP, "the batch failed; "
			    "abort it");
		rc = fn(db, db->txn, arg);
		if (rc != VUDB_OK && rc != VUDB_EEXIST &&
		    rc != VUDB_ENOTFOUND && rc != VUDB_EINVAL &&
		    rc != VUDB_ELIMIT)
			db->txn_failed = 1;
		if (rc == VUDB_OK && meta)
			db->txn_gen = 1;
		return rc;
	}
	rc = vudb__txn_run(db, fn, arg);
	/* before the change is acknowledged: readers' kept answers of d
	 * go (also after a failed commit, which may have been made) */
	if (rc == VUDB_OK || db->commit_failed)
		vudb__slot_bump(db, d->name);
	if (rc == VUDB_OK && meta)
		vudb__bump_gen(db);
	return rc;
}

/*
 * vudb__start_write - the start of every change: a handle, fresh settings, a
 * store opened for writing and, unless batch_ok, no open batch (then
 * refused with the reason why_batch).
 */
int
vudb__start_write(struct vudb *db, const char *why_batch)
{
	int rc;

	if (db == NULL)
		return VUDB_EINVAL;
	vudb__clearerr(db);
	db->commit_failed = 0;
	if ((rc = vudb__refresh(db)) != VUDB_OK)
		return rc;
	if (db->flags & VUDB_RDONLY)
		return vudb__seterr(db, VUDB_ERDONLY, "store opened read-only");
	if (why_batch != NULL && db->txn != NULL)
		return vudb__seterr(db, VUDB_EINVAL, "%s", why_batch);
	return VUDB_OK;
}

/* ------------------------------------------------------------ batches */

int
vudb_begin(struct vudb *db, const char *domain)
{
	char local[VUDB__LOCAL_MAX + 1], dom[VUDB__DOMAIN_MAX + 1];
	struct vudb__dom *d;
	void *txn;
	int rc, catchall;

	if ((rc = vudb__start_write(db, "a batch is already open")) != VUDB_OK)
		return rc;
	if ((rc = vudb__split(db, VUDB_DOMAIN, domain, local, dom,
	    &catchall)) != VUDB_OK)
		return rc;
	rc = vudb__dom_get(db, dom, 0, &d);
	if (rc == VUDB_ENOTFOUND) {
		/* a new domain: built aside, published whole at commit */
		rc = vudb__dom_build(db, dom, &d, &txn);
		if (rc == VUDB_OK) {
			db->txn = txn;
			db->txn_build = 1;
			goto started;
		}
		if (rc == VUDB_ENOTSUP || rc == VUDB_EEXIST) {
			vudb__clearerr(db);
			rc = vudb__dom_get(db, dom, 1, &d);
		}
	}
	if (rc != VUDB_OK)
		return rc;
	if ((rc = vudb__store_begin(db, &db->txn)) != VUDB_OK)
		return rc;
started:
	db->txn_dom = d;
	db->txn_failed = 0;
	db->txn_gen = 0;
	return VUDB_OK;
}

static void
batch_end(struct vudb *db)
{
	db->txn_cnt_loaded = db->txn_cnt_dirty = 0;
	db->txn_users = db->txn_aliases = 0;
	if (db->txn_dom != NULL)
		db->txn_dom->meta_state = VUDB__META_UNKNOWN;
	db->txn = NULL;
	db->txn_dom = NULL;
	db->txn_build = 0;
	db->txn_failed = 0;
	db->txn_gen = 0;
	db->audit_quiet = 0;
	vudb__audit_drop(db);	/* written at a commit, else dropped */
}

int
vudb_commit(struct vudb *db)
{
	char dom[VUDB__DOMAIN_MAX + 1];
	int rc;

	if (db == NULL)
		return VUDB_EINVAL;
	vudb__clearerr(db);
	if (db->txn == NULL)
		return vudb__seterr(db, VUDB_EINVAL, "no batch is open");
	if (db->txn_failed) {
		(void)vudb__txn_finish(db, 0);
		batch_end(db);
		return vudb__seterr(db, VUDB_ETEMP, "a change in the batch "
		    "failed: nothing was committed");
	}
	/* the finish of a new domain's build lets go of txn_dom */
	snprintf(dom, sizeof(dom), "%s", db->txn_dom->name);
	rc = VUDB_OK;
	if (db->txn_cnt_dirty)
		rc = vudb__counters_write(db, db->txn_dom, db->txn,
		    db->txn_users,
		    db->txn_aliases);
	if (rc == VUDB_OK && db->txn_build) {
		/* a new domain's batch that made no domain record leaves
		 * nothing behind */
		rc = vudb__store_get(db, db->txn_dom, db->txn, "D", 1,
		    &db->buf);
		if (rc == VUDB_ENOTFOUND) {
			(void)vudb__txn_finish(db, 0);
			batch_end(db);
			return VUDB_OK;
		}
	}
	if (rc == VUDB_OK) {
		rc = vudb__txn_finish(db, 1);
		/* made, or maybe made: readers' kept answers of it go */
		vudb__slot_bump(db, dom);
	} else
		(void)vudb__txn_finish(db, 0);
	if (rc == VUDB_OK)
		vudb__audit_flush(db, dom);
	if (rc == VUDB_OK && db->txn_gen)
		vudb__bump_gen(db);
	batch_end(db);
	return rc;
}

int
vudb_abort(struct vudb *db)
{
	if (db == NULL)
		return VUDB_EINVAL;
	vudb__clearerr(db);
	if (db->txn == NULL)
		return vudb__seterr(db, VUDB_EINVAL, "no batch is open");
	(void)vudb__txn_finish(db, 0);
	batch_end(db);
	return VUDB_OK;
}
