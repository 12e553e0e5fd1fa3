/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * current.c - keeping a handle current.  At the start of every call
 * vudb__refresh reopens a store the backend lost (a Berkeley DB panic
 * after a crash, a damaged page; a server's dropped connection) and, when
 * the store changed, re-reads the settings; cached domain records are
 * re-read as they are next used.
 *
 * The generation is a 64-bit counter in the shared file STORE/generation,
 * mapped by every opener of a directory store (files.c), unless the backend keeps the store's change
 * counter itself (its changes method).  A writer bumps it after changing a
 * domain record or a setting; a reader compares it with the value it last
 * saw at the start of each call (one memory load) and, when it moved,
 * re-reads the settings (vudb.conf, through the door) and the domain
 * records it cached.  Ordinary user and
 * alias changes need no bump: they are read from the database on every
 * lookup.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vudb_private.h"

/* ------------------------------------------------------------ generation */

/* vudb__gen_map - the shared change counter, for a directory store whose
 * backend keeps none (files.c maps STORE/generation) */
void
vudb__gen_map(struct vudb *db)
{
	void *p;
	size_t len;

	if ((p = vudb__store_gen_map(db, &len, db->gen_id)) == NULL)
		return;
	db->genp = p;
	db->genlen = len;
	db->gen = __atomic_load_n(db->genp, __ATOMIC_ACQUIRE);
	db->sgen = db->gen;
}

/* vudb__host_map - a server store's page of this host, once the store is
 * open (the backend names it), unless STORE/generation serves */
void
vudb__host_map(struct vudb *db)
{
	void *p;
	size_t len;
	int rw;

	if (db->genp != NULL || db->hostp != NULL ||
	    (p = vudb__store_host_map(db, &len, db->gen_id, &rw)) == NULL)
		return;
	db->hostp = p;
	db->hostlen = len;
	db->host_rw = rw;
}

/* vudb__gen_unmap - let go of the generation file at close */
void
vudb__gen_unmap(struct vudb *db)
{
	vudb__store_gen_unmap(db->genp, db->genlen);
	db->genp = NULL;
	vudb__store_gen_unmap(db->hostp, db->hostlen);
	db->hostp = NULL;
}

void
vudb__bump_gen(struct vudb *db)
{
	if (db->genp != NULL && !(db->flags & VUDB_RDONLY))
		__atomic_add_fetch(db->genp, 1, __ATOMIC_ACQ_REL);
	else if (!(db->flags & VUDB_RDONLY)) {
		vudb__store_changed(db);	/* a backend's own counter */
		/* and this host's readers, before the notification */
		if (db->hostp != NULL && db->host_rw)
			__atomic_add_fetch(db->hostp, 1, __ATOMIC_ACQ_REL);
	}
	db->localgen++;
}

/*
 * vudb__refresh - at the start of a call: if the backend lost its store
 * (a Berkeley DB panic after a crash or a damaged page), reopen it; if the
 * store changed since the last call, re-read the settings (cached domain
 * records are re-read as they are next used).  Returns VUDB_OK or the
 * failure of a reopen.
 */
int
vudb__refresh(struct vudb *db)
{
	struct timespec ts;
	long long stamp;
	unsigned long long sg = 0;
	uint64_t g;
	int rc, again = 0;

reopen:
	if (!vudb__store_alive(db)) {
		if (db->txn != NULL) {
			(void)vudb__txn_finish(db, 0);
			db->txn = NULL;
			db->txn_dom = NULL;
		}
		while (db->lru_head != NULL)
			vudb__dom_drop(db, db->lru_head);
		if ((rc = vudb__store_reopen(db)) != VUDB_OK)
			return rc;
		db->localgen++;
		/* what was kept may be from before what the loss hid */
		vudb__cache_flush(db);
	}
	/* another handle of the process flushed the answer cache it shares
	 * with this one (it saw a hand edit, or reopened): read again too */
	if (vudb__cache_moved(db))
		db->localgen++;
	if (db->genp != NULL || vudb__store_changes(db, &sg) == VUDB_OK) {
		if (db->genp != NULL)
			sg = __atomic_load_n(db->genp, __ATOMIC_ACQUIRE);
		else if (db->hostp != NULL)
			/* this host's writers: both counters only grow */
			sg += __atomic_load_n(db->hostp, __ATOMIC_ACQUIRE);
		g = sg + db->localgen;
		if (g == db->gen) {
			/* a hand edit of vudb.conf moves no counter: look
			 * at the file once a second */
			if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) != 0 ||
			    ts.tv_sec == db->conf_checked)
				return VUDB_OK;
			db->conf_checked = ts.tv_sec;
			if (vudb__store_conf_read(db, NULL, &stamp) !=
			    VUDB_OK || stamp == db->conf_mtime) {
				vudb__clearerr(db);
				return VUDB_OK;
			}
			db->localgen++;	/* cached domain records too */
			db->gen++;
			/* and the answers every handle of the process
			 * kept */
			vudb__cache_flush(db);
			return vudb__settings_load(db, 0);
		}
		db->gen = g;
		db->sgen = sg;
	} else if (!again && db->txn == NULL && !vudb__store_alive(db)) {
		/* a server's connection found dead only now (it died while
		 * idle): connect again at once rather than fail this call */
		again = 1;
		vudb__clearerr(db);
		goto reopen;
	} else
		db->gen++;
	rc = vudb__store_conf_read(db, NULL, &stamp);
	vudb__clearerr(db);
	if (rc == VUDB_OK && stamp != 0 && stamp == db->conf_mtime)
		return VUDB_OK;
	return vudb__settings_load(db, 0);
}

/*
 * vudb__again - after rc, the failure of a call that only reads: whether
 * the store was lost under it (another process recovered it, or a page
 * was damaged) and is open again now, so that the call may be made once
 * more.  Never inside a batch, which the loss ended.
 */
int
vudb__again(struct vudb *db, int rc)
{
	if (rc == VUDB_OK || rc == VUDB_ENOTFOUND || db->txn != NULL ||
	    vudb__store_alive(db))
		return 0;
	return vudb__refresh(db) == VUDB_OK;
}

/*
 * vudb__again_write - after rc, the failure of a change made outside a
 * batch: whether the store was lost under it (a Berkeley DB panic: a
 * damaged page of another domain, or a recovery by another process)
 * before its commit, so that nothing of it was made, and is open again
 * now: then the change may be made once more, from the start.  A change
 * whose commit failed is not: it may have been made.
 */
int
vudb__again_write(struct vudb *db, int rc)
{
	if (rc != VUDB_ETEMP || db->txn != NULL || db->commit_failed ||
	    vudb__store_alive(db))
		return 0;
	return vudb__refresh(db) == VUDB_OK;
}

int
vudb_check(struct vudb *db)
{
	if (db == NULL)
		return VUDB_EINVAL;
	vudb__clearerr(db);
	/* the store as it is: no reopen first, which would leave the
	 * threads that wait in the lost one out of sight */
	return vudb__store_check(db);
}

int
vudb_sync(struct vudb *db)
{
	int rc;

	if (db == NULL)
		return VUDB_EINVAL;
	vudb__clearerr(db);
	if (!(db->flags & VUDB_BULK))
		return VUDB_OK;
	rc = vudb__store_sync(db);
	/* published domains: long-lived readers look again */
	vudb__bump_gen(db);
	return rc;
}
