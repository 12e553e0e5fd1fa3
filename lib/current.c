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
 * mapped by every opener, unless the backend keeps the store's change
 * counter itself (its changes method).  A writer bumps it after changing a
 * domain record or a setting; a reader compares it with the value it last
 * saw at the start of each call (one memory load) and, when it moved,
 * re-reads vudb.conf and the domain records it cached.  Ordinary user and
 * alias changes need no bump: they are read from the database on every
 * lookup.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vudb_private.h"

#define GEN_FILE	"generation"

#define GEN_SIZE	4096

/* ------------------------------------------------------------ generation */

/*
 * gen_usable - whether the generation file can be mapped without a fault:
 * a page without a block on a full file system is a SIGBUS at the first
 * touch, not an error (tmpfs allocates even for a read).  A writer
 * allocates the page; a reader takes a sparse file only while the file
 * system has room.
 */
static int
gen_usable(int fd, int writer)
{
	struct statvfs vfs;
	struct stat sb;
	int ret;

	if (writer) {
		do
			ret = posix_fallocate(fd, 0, GEN_SIZE);
		while (ret == EINTR);
		/* a file system that cannot allocate ahead: as before */
		return ret == 0 || ret == EOPNOTSUPP || ret == EINVAL;
	}
	if (fstat(fd, &sb) != 0 || sb.st_size < GEN_SIZE)
		return 0;
	return (unsigned long long)sb.st_blocks * 512 >= GEN_SIZE ||
	    (fstatvfs(fd, &vfs) == 0 &&
	    (unsigned long long)vfs.f_bavail * vfs.f_frsize >= 1024 * 1024);
}

void
vudb__gen_map(struct vudb *db)
{
	char path[4096];
	void *p;
	int fd, prot = PROT_READ;

	if (vudb__store_counts_changes(db))
		return;
	snprintf(path, sizeof(path), "%s/%s", db->root, GEN_FILE);
	fd = -1;
	if (!(db->flags & VUDB_RDONLY)) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0660);
		if (fd != -1) {
			struct stat sb;

			if (fstat(fd, &sb) == 0 && sb.st_size < GEN_SIZE) {
				/* a file still short is refused by
				 * gen_usable below */
				if (ftruncate(fd, GEN_SIZE) != 0)
					sb.st_size = 0;
				(void)fchmod(fd, 0660);
			}
			prot |= PROT_WRITE;
		}
	}
	if (fd == -1 && (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		vudb__log(db, VUDB_LOG_WARNING, "%s: %s: every call re-reads "
		    "domain records", path, strerror(errno));
		return;
	}
	if (!gen_usable(fd, prot & PROT_WRITE)) {
		close(fd);
		vudb__log(db, VUDB_LOG_WARNING, "%s: the file system is full: "
		    "every call re-reads domain records", path);
		return;
	}
	p = mmap(NULL, GEN_SIZE, prot, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return;
	db->genp = p;
	db->genlen = GEN_SIZE;
	db->gen = __atomic_load_n(db->genp, __ATOMIC_ACQUIRE);
}

/* vudb__gen_unmap - let go of the generation file at close */
void
vudb__gen_unmap(struct vudb *db)
{
	if (db->genp != NULL)
		munmap(db->genp, db->genlen);
	db->genp = NULL;
}

void
vudb__bump_gen(struct vudb *db)
{
	if (db->genp != NULL && !(db->flags & VUDB_RDONLY))
		__atomic_add_fetch(db->genp, 1, __ATOMIC_ACQ_REL);
	else if (!(db->flags & VUDB_RDONLY))
		vudb__store_changed(db);	/* a backend's own counter */
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
	struct stat sb;
	char path[4096];
	unsigned long long sg = 0;
	uint64_t g;
	int rc;

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
	}
	if (db->genp != NULL || vudb__store_changes(db, &sg) == VUDB_OK) {
		g = (db->genp != NULL ? __atomic_load_n(db->genp,
		    __ATOMIC_ACQUIRE) : sg) + db->localgen;
		if (g == db->gen) {
			/* a hand edit of vudb.conf moves no counter: look
			 * at the file once a second */
			if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) != 0 ||
			    ts.tv_sec == db->conf_checked)
				return VUDB_OK;
			db->conf_checked = ts.tv_sec;
			snprintf(path, sizeof(path), "%s/%s", db->root,
			    VUDB__CONF_FILE);
			if (stat(path, &sb) != 0 ||
			    (long long)sb.st_mtim.tv_sec * 1000000000LL +
			    sb.st_mtim.tv_nsec == db->conf_mtime)
				return VUDB_OK;
			db->localgen++;	/* cached domain records too */
			db->gen++;
			return vudb__settings_load(db, 0);
		}
		db->gen = g;
	} else
		db->gen++;
	snprintf(path, sizeof(path), "%s/%s", db->root, VUDB__CONF_FILE);
	if (stat(path, &sb) == 0 && (long long)sb.st_mtim.tv_sec *
	    1000000000LL + sb.st_mtim.tv_nsec == db->conf_mtime)
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
