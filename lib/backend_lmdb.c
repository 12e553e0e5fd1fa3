/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * backend_lmdb.c - the LMDB backend.  One LMDB file per domain,
 * STORE/domains/<domain>.mdb, opened MDB_NOSUBDIR (its lock file is
 * <domain>.mdb-lock beside it), so a domain is as isolated as with Berkeley
 * DB.  LMDB needs no recovery: a commit is durable and a crash leaves the
 * last committed state.  Readers never wait: each domain handle keeps one
 * read transaction that is renewed for a lookup and reset after it.
 *
 * LMDB forbids opening the same file twice in one process, so every store
 * handle of a process shares one environment per domain file, counted in a
 * process-wide table (the backend's only shared state, under a lock).
 * The map grows on demand: a writer doubles it when a write transaction
 * starts with the file more than half full, and again after MDB_MAP_FULL
 * (the core then retries the change); readers adopt a size grown by another
 * process when LMDB says MDB_MAP_RESIZED.  A file first opened by a
 * read-only store handle is mapped no larger than its data and a quarter
 * more (map_fit), not the writers' map: a reader of many domains inside
 * a process with an address-space limit (Dovecot's auth processes, 256M)
 * would otherwise map 64 MiB per domain.  Stale reader slots of crashed
 * processes are cleared when a file is opened.  Read-only openers
 * (vudb-checkpassword) still need write access to the lock file.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lmdb.h>

#include "vudb_private.h"

#define FILE_MODE	0660
#define DIR_MODE	02770
#define MAP_INITIAL	((size_t)64 << 20)
#define MAX_PARTS	4

struct lm_env {
	char		*path;		/* the domain file */
	dev_t		 dev;		/* and which one */
	ino_t		 ino;
	MDB_env		*env;
	MDB_dbi		 dbi;
	int		 refs;
	int		 rdonly;
	int		 grow;		/* map full: grow when no txn is on */
	int		 fit;		/* map only the data (a reader's) */
	int		 listed;	/* in lm_envs */
	struct lm_env	*next;
};

static struct lm_env	*lm_envs;
static pthread_mutex_t	 lm_lock = PTHREAD_MUTEX_INITIALIZER;

struct lm_store {
	char		*root;
	int		 flags;
};

struct lm_dom {
	struct lm_env	*e;
	MDB_txn		*rtxn;		/* reusable read transaction */
};

/* A write transaction: one LMDB transaction per domain file it touches. */
struct lm_txn {
	int		 n;
	struct {
		struct lm_env	*e;
		MDB_txn		*txn;
	}		 parts[MAX_PARTS];
};

/* lm_status - translate an LMDB code into a status, with detail */
static int
lm_status(struct vudb *db, int ret, const char *what)
{
	int rc;

	switch (ret) {
	case 0:
		return VUDB_OK;
	case MDB_NOTFOUND:
		return VUDB_ENOTFOUND;
	case MDB_KEYEXIST:
		return VUDB_EEXIST;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INVALID:
		rc = VUDB_ECORRUPT;
		break;
	case MDB_VERSION_MISMATCH:
		rc = VUDB_EVERSION;
		break;
	case ENOMEM:
		rc = VUDB_ENOMEM;
		break;
	case EROFS:
		return vudb__seterr(db, VUDB_ERDONLY, "lmdb: %s: the store is "
		    "on a read-only file system", what);
	default:	/* MAP_FULL, MAP_RESIZED, READERS_FULL, EIO, EACCES */
		rc = VUDB_ETEMP;
		break;
	}
	return vudb__seterr(db, rc, "lmdb: %s: %s", what, mdb_strerror(ret));
}

/* map_fit - a reader's map: the data and a quarter more, whole MiB;
 * the writers' size (as LMDB would adopt) if the data cannot be told */
static void
map_fit(struct lm_env *e)
{
	MDB_envinfo info;
	MDB_stat st;
	size_t used;

	if (mdb_env_info(e->env, &info) != 0 ||
	    mdb_env_stat(e->env, &st) != 0) {
		(void)mdb_env_set_mapsize(e->env, 0);
		return;
	}
	used = (info.me_last_pgno + 1) * (size_t)st.ms_psize;
	used += used / 4;
	used = (used + (1 << 20) - 1) & ~(size_t)((1 << 20) - 1);
	(void)mdb_env_set_mapsize(e->env, used);
}

/* map_adopt - after MDB_MAP_RESIZED: another process grew the file */
static void
map_adopt(struct lm_env *e)
{
	if (e->fit)
		map_fit(e);
	else
		(void)mdb_env_set_mapsize(e->env, 0);
}

/* env_grow - double the map when the file is more than half full */
static void
env_grow(struct lm_env *e, int force)
{
	MDB_envinfo info;
	MDB_stat st;

	if (mdb_env_info(e->env, &info) != 0 || mdb_env_stat(e->env, &st) != 0)
		return;
	if (force || (info.me_last_pgno + 1) * (size_t)st.ms_psize >
	    info.me_mapsize / 2)
		(void)mdb_env_set_mapsize(e->env, info.me_mapsize * 2);
}

static int
lm_store_open(struct vudb *db, const char *path, int flags, void **st_r)
{
	struct lm_store *st;
	char dpath[4096];
	int major, minor;

	*st_r = NULL;
	(void)mdb_version(&major, &minor, NULL);
	if (major != MDB_VERSION_MAJOR || minor != MDB_VERSION_MINOR)
		return vudb__seterr(db, VUDB_EVERSION,
		    "lmdb: built with %d.%d, running %d.%d", MDB_VERSION_MAJOR,
		    MDB_VERSION_MINOR, major, minor);
	snprintf(dpath, sizeof(dpath), "%s/domains", path);
	if ((flags & VUDB_CREATE) && mkdir(dpath, DIR_MODE) == 0)
		(void)chmod(dpath, DIR_MODE);
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->root = strdup(path)) == NULL) {
		free(st);
		return VUDB_ENOMEM;
	}
	st->flags = flags;
	*st_r = st;
	return VUDB_OK;
}

static void
lm_store_close(struct vudb *db, void *vst)
{
	struct lm_store *st = vst;

	(void)db;
	if (st == NULL)
		return;
	free(st->root);
	free(st);
}

/* unlist - take e out of the table (lm_lock held) */
static void
unlist(struct lm_env *e)
{
	struct lm_env **pp;

	for (pp = &lm_envs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	e->listed = 0;
}

/* env_get - the shared environment of a domain file, opened if need be */
static int
env_get(struct vudb *db, struct lm_store *st, const char *domain, int create,
    struct lm_env **e_r)
{
	struct lm_env *e;
	struct stat sb;
	char path[4096], lock[4200];
	MDB_txn *txn;
	unsigned int eflags;
	int ret, dead;

	*e_r = NULL;
	snprintf(path, sizeof(path), "%s/domains/%s.mdb", st->root, domain);
	snprintf(lock, sizeof(lock), "%s-lock", path);
	pthread_mutex_lock(&lm_lock);
	for (e = lm_envs; e != NULL; e = e->next)
		if (strcmp(e->path, path) == 0)
			break;
	if (e != NULL) {
		if (stat(path, &sb) == 0 && sb.st_dev == e->dev &&
		    sb.st_ino == e->ino) {
			e->refs++;
			pthread_mutex_unlock(&lm_lock);
			*e_r = e;
			return VUDB_OK;
		}
		/* The file was removed (a domain deleted, perhaps added
		 * again): holders keep the old one, new users get the new. */
		unlist(e);
	}
	if (!create && stat(path, &sb) != 0) {
		pthread_mutex_unlock(&lm_lock);
		if (errno == ENOENT)
			return VUDB_ENOTFOUND;
		return vudb__seterr(db, VUDB_ETEMP, "%s: %s", path,
		    strerror(errno));
	}
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->path = strdup(path)) == NULL) {
		pthread_mutex_unlock(&lm_lock);
		free(e);
		return VUDB_ENOMEM;
	}
	/* Read-write whenever the file allows it, even for a read-only
	 * store handle: a writer handle of this process may share it. */
	e->rdonly = !create && access(path, W_OK) != 0;
	e->fit = !create && (st->flags & VUDB_RDONLY) != 0;
	eflags = MDB_NOSUBDIR | MDB_NOTLS;
	if (e->rdonly)
		eflags |= MDB_RDONLY;
	if ((ret = mdb_env_create(&e->env)) != 0)
		goto fail;
	/* a reader: one page, which LMDB raises to the data's size */
	(void)mdb_env_set_mapsize(e->env, e->fit ? 4096 : MAP_INITIAL);
	(void)mdb_env_set_maxreaders(e->env, 1022);
	if ((ret = mdb_env_open(e->env, path, eflags, FILE_MODE)) != 0)
		goto fail;
	(void)mdb_reader_check(e->env, &dead);
	if (create) {
		if (stat(path, &sb) == 0 && sb.st_uid == geteuid())
			(void)chmod(path, FILE_MODE);
		if (stat(lock, &sb) == 0 && sb.st_uid == geteuid())
			(void)chmod(lock, FILE_MODE);
	}
	/* the unnamed database: a read transaction opens it without
	 * waiting for a writer */
	if (e->fit)
		map_fit(e);
	ret = mdb_txn_begin(e->env, NULL, MDB_RDONLY, &txn);
	if (ret == MDB_MAP_RESIZED) {
		map_adopt(e);
		ret = mdb_txn_begin(e->env, NULL, MDB_RDONLY, &txn);
	}
	if (ret != 0)
		goto fail;
	if ((ret = mdb_dbi_open(txn, NULL, 0, &e->dbi)) != 0) {
		mdb_txn_abort(txn);
		goto fail;
	}
	if ((ret = mdb_txn_commit(txn)) != 0)
		goto fail;
	if (stat(path, &sb) == 0) {
		e->dev = sb.st_dev;
		e->ino = sb.st_ino;
	}
	e->refs = 1;
	e->next = lm_envs;
	e->listed = 1;
	lm_envs = e;
	pthread_mutex_unlock(&lm_lock);
	*e_r = e;
	return VUDB_OK;
fail:
	pthread_mutex_unlock(&lm_lock);
	if (e->env != NULL)
		mdb_env_close(e->env);
	free(e->path);
	free(e);
	if (ret == ENOENT)
		return VUDB_ENOTFOUND;
	if (ret == MDB_INVALID || ret == MDB_VERSION_MISMATCH)
		return vudb__seterr(db, VUDB_ECORRUPT, "lmdb: %s: not a valid "
		    "database file (%s)", path, mdb_strerror(ret));
	return lm_status(db, ret, path);
}

static void
env_put(struct lm_env *e)
{
	pthread_mutex_lock(&lm_lock);
	if (--e->refs > 0) {
		pthread_mutex_unlock(&lm_lock);
		return;
	}
	if (e->listed)
		unlist(e);
	pthread_mutex_unlock(&lm_lock);
	mdb_env_close(e->env);
	free(e->path);
	free(e);
}

static int
lm_dom_open(struct vudb *db, void *vst, const char *domain, int flags,
    void **h_r)
{
	struct lm_dom *d;
	int rc;

	*h_r = NULL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return VUDB_ENOMEM;
	rc = env_get(db, vst, domain, (flags & VUDB_CREATE) != 0 &&
	    !(((struct lm_store *)vst)->flags & VUDB_RDONLY), &d->e);
	if (rc != VUDB_OK) {
		free(d);
		return rc;
	}
	*h_r = d;
	return VUDB_OK;
}

static void
lm_dom_close(struct vudb *db, void *vst, void *h)
{
	struct lm_dom *d = h;

	(void)db;
	(void)vst;
	if (d == NULL)
		return;
	if (d->rtxn != NULL)
		mdb_txn_abort(d->rtxn);
	env_put(d->e);
	free(d);
}

static int
lm_dom_remove(struct vudb *db, void *vst, const char *domain)
{
	struct lm_store *st = vst;
	char path[4096];

	/* Readers that still map the file keep the old inode; they see the
	 * domain's tombstone and let go of it. */
	snprintf(path, sizeof(path), "%s/domains/%s.mdb", st->root, domain);
	if (unlink(path) != 0 && errno != ENOENT)
		return vudb__seterr(db, VUDB_ETEMP, "%s: %s", path,
		    strerror(errno));
	snprintf(path, sizeof(path), "%s/domains/%s.mdb-lock", st->root,
	    domain);
	(void)unlink(path);
	return VUDB_OK;
}

static int
lm_dom_list(struct vudb *db, void *vst, int (*cb)(void *, const char *),
    void *arg)
{
	struct lm_store *st = vst;
	struct dirent *de;
	char path[4096], name[VUDB__DOMAIN_MAX + 1];
	size_t len;
	DIR *dir;
	int rc = VUDB_OK;

	snprintf(path, sizeof(path), "%s/domains", st->root);
	if ((dir = opendir(path)) == NULL)
		return vudb__seterr(db, VUDB_ETEMP, "%s: %s", path,
		    strerror(errno));
	while ((de = readdir(dir)) != NULL) {
		len = strlen(de->d_name);
		if (len < 5 || len - 4 > VUDB__DOMAIN_MAX ||
		    strcmp(de->d_name + len - 4, ".mdb") != 0)
			continue;
		memcpy(name, de->d_name, len - 4);
		name[len - 4] = '\0';
		if ((rc = cb(arg, name)) != 0)
			break;
	}
	closedir(dir);
	return rc;
}

/* part - the LMDB write transaction of txn on domain d */
static int
part(struct vudb *db, struct lm_txn *t, struct lm_dom *d, MDB_txn **txn_r)
{
	int i, ret;

	for (i = 0; i < t->n; i++)
		if (t->parts[i].e == d->e) {
			*txn_r = t->parts[i].txn;
			return VUDB_OK;
		}
	if (t->n == MAX_PARTS)
		return vudb__seterr(db, VUDB_EINVAL, "lmdb: too many domains "
		    "in one transaction");
	if (d->e->rdonly)
		return vudb__seterr(db, VUDB_ERDONLY, "lmdb: %s: the domain "
		    "file cannot be written (a read-only file system, or no "
		    "write permission)", d->e->path);
	env_grow(d->e, 0);
	ret = mdb_txn_begin(d->e->env, NULL, 0, txn_r);
	if (ret == MDB_MAP_RESIZED) {
		map_adopt(d->e);
		ret = mdb_txn_begin(d->e->env, NULL, 0, txn_r);
	}
	if (ret != 0)
		return lm_status(db, ret, "begin");
	t->parts[t->n].e = d->e;
	t->parts[t->n++].txn = *txn_r;
	return VUDB_OK;
}

/* read_txn - a renewed read transaction of d */
static int
read_txn(struct vudb *db, struct lm_dom *d, MDB_txn **txn_r)
{
	int ret;

	if (d->rtxn != NULL)
		ret = mdb_txn_renew(d->rtxn);
	else
		ret = mdb_txn_begin(d->e->env, NULL, MDB_RDONLY, &d->rtxn);
	if (ret == MDB_MAP_RESIZED) {
		/* another process grew the file */
		if (d->rtxn != NULL) {
			mdb_txn_abort(d->rtxn);
			d->rtxn = NULL;
		}
		map_adopt(d->e);
		ret = mdb_txn_begin(d->e->env, NULL, MDB_RDONLY, &d->rtxn);
	}
	if (ret != 0) {
		if (d->rtxn != NULL) {
			mdb_txn_abort(d->rtxn);
			d->rtxn = NULL;
		}
		return lm_status(db, ret, "read");
	}
	*txn_r = d->rtxn;
	return VUDB_OK;
}

static int
lm_get(struct vudb *db, void *h, void *vtxn, const void *key, size_t klen,
    struct vudb_buf *val)
{
	struct lm_dom *d = h;
	MDB_txn *txn;
	MDB_val k, v;
	int rc, ret;

	if (vtxn != NULL)
		rc = part(db, vtxn, d, &txn);
	else
		rc = read_txn(db, d, &txn);
	if (rc != VUDB_OK)
		return rc;
	k.mv_data = (void *)key;
	k.mv_size = klen;
	ret = mdb_get(txn, d->e->dbi, &k, &v);
	if (ret == 0) {
		if ((rc = vudb__buf_reserve(val, v.mv_size)) == VUDB_OK) {
			memcpy(val->data, v.mv_data, v.mv_size);
			val->len = v.mv_size;
		}
	} else
		rc = lm_status(db, ret, "get");
	if (vtxn == NULL)
		mdb_txn_reset(txn);
	return rc;
}

/* autocommit - run a write without a transaction of the caller */
static int lm_commit(struct vudb *, void *, void *);
static void lm_abort(struct vudb *, void *, void *);

static int
lm_put(struct vudb *db, void *h, void *vtxn, const void *key, size_t klen,
    const void *val, size_t vlen, int flags)
{
	struct lm_txn own = { 0 };
	struct lm_dom *d = h;
	MDB_txn *txn;
	MDB_val k, v;
	int rc, ret;

	if ((rc = part(db, vtxn != NULL ? vtxn : &own, d, &txn)) != VUDB_OK)
		return rc;
	k.mv_data = (void *)key;
	k.mv_size = klen;
	v.mv_data = (void *)val;
	v.mv_size = vlen;
	ret = mdb_put(txn, d->e->dbi, &k, &v, (flags & VUDB_PUT_NEW) ?
	    MDB_NOOVERWRITE : 0);
	if (ret == MDB_MAP_FULL)
		d->e->grow = 1;		/* at abort, once no txn is on */
	rc = ret == MDB_KEYEXIST ? VUDB_EEXIST : lm_status(db, ret, "put");
	if (vtxn == NULL) {
		if (rc == VUDB_OK)
			return lm_commit(db, NULL, &own);
		lm_abort(db, NULL, &own);
	}
	return rc;
}

static int
lm_del(struct vudb *db, void *h, void *vtxn, const void *key, size_t klen)
{
	struct lm_txn own = { 0 };
	struct lm_dom *d = h;
	MDB_txn *txn;
	MDB_val k;
	int rc, ret;

	if ((rc = part(db, vtxn != NULL ? vtxn : &own, d, &txn)) != VUDB_OK)
		return rc;
	k.mv_data = (void *)key;
	k.mv_size = klen;
	ret = mdb_del(txn, d->e->dbi, &k, NULL);
	rc = lm_status(db, ret, "del");
	if (vtxn == NULL) {
		if (rc == VUDB_OK)
			return lm_commit(db, NULL, &own);
		lm_abort(db, NULL, &own);
	}
	return rc;
}

static int
lm_iter(struct vudb *db, void *h, void *vtxn, const void *prefix,
    size_t plen, vudb_iter_cb cb, void *arg)
{
	struct lm_dom *d = h;
	MDB_cursor *c;
	MDB_txn *txn;
	MDB_val k, v;
	MDB_cursor_op op = plen ? MDB_SET_RANGE : MDB_FIRST;
	int rc, ret;

	if (vtxn != NULL)
		rc = part(db, vtxn, d, &txn);
	else
		rc = read_txn(db, d, &txn);
	if (rc != VUDB_OK)
		return rc;
	if ((ret = mdb_cursor_open(txn, d->e->dbi, &c)) != 0) {
		rc = lm_status(db, ret, "cursor");
		goto out;
	}
	k.mv_data = (void *)prefix;
	k.mv_size = plen;
	for (;;) {
		ret = mdb_cursor_get(c, &k, &v, op);
		op = MDB_NEXT;
		if (ret == MDB_NOTFOUND)
			break;
		if (ret != 0) {
			rc = lm_status(db, ret, "cursor get");
			break;
		}
		if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)
			break;
		if ((rc = cb(arg, k.mv_data, k.mv_size, v.mv_data,
		    v.mv_size)) != 0)
			break;
	}
	mdb_cursor_close(c);
out:
	if (vtxn == NULL)
		mdb_txn_reset(txn);
	return rc;
}

static int
lm_begin(struct vudb *db, void *vst, void **txn_r)
{
	struct lm_txn *t;

	(void)db;
	(void)vst;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return VUDB_ENOMEM;
	*txn_r = t;
	return VUDB_OK;
}

/*
 * lm_commit - commit every file's part, the last touched first: in a move
 * between two domains the new place is written before the old one is
 * emptied, so a crash between the two leaves a copy, never nothing.
 */
static int
lm_commit(struct vudb *db, void *vst, void *vtxn)
{
	struct lm_txn *t = vtxn;
	int i, ret, rc = VUDB_OK;

	(void)vst;
	for (i = t->n - 1; i >= 0; i--) {
		if (rc != VUDB_OK) {
			mdb_txn_abort(t->parts[i].txn);
			continue;
		}
		if ((ret = mdb_txn_commit(t->parts[i].txn)) != 0)
			rc = lm_status(db, ret, "commit");
	}
	t->n = 0;
	if (vst != NULL)
		free(t);
	return rc;
}

static void
lm_abort(struct vudb *db, void *vst, void *vtxn)
{
	struct lm_txn *t = vtxn;
	int i;

	(void)db;
	for (i = 0; i < t->n; i++)
		mdb_txn_abort(t->parts[i].txn);
	for (i = 0; i < t->n; i++)
		if (t->parts[i].e->grow) {
			t->parts[i].e->grow = 0;
			env_grow(t->parts[i].e, 1);
		}
	t->n = 0;
	if (vst != NULL)
		free(t);
}

/* lm_verify - LMDB keeps no checksums: walk every record once */
static int
count_rec(void *arg, const void *k, size_t kl, const void *v, size_t vl)
{
	(void)k;
	(void)kl;
	(void)v;
	(void)vl;
	(*(size_t *)arg)++;
	return 0;
}

static int
lm_verify(struct vudb *db, void *vst, const char *domain)
{
	void *h;
	size_t n = 0;
	int rc;

	if ((rc = lm_dom_open(db, vst, domain, 0, &h)) != VUDB_OK)
		return rc;
	rc = lm_iter(db, h, NULL, "", 0, count_rec, &n);
	lm_dom_close(db, vst, h);
	return rc;
}

const struct vudb_backend vudb__backend_lmdb = {
	.abi = VUDB_BACKEND_ABI,
	.fds_per_domain = 3,	/* data (read, and write), lock */
	.name = "lmdb",
	.caps = VUDB_CAP_WRITE | VUDB_CAP_TXN,
	.store_open = lm_store_open,
	.store_close = lm_store_close,
	.dom_open = lm_dom_open,
	.dom_close = lm_dom_close,
	.dom_remove = lm_dom_remove,
	.dom_list = lm_dom_list,
	.get = lm_get,
	.put = lm_put,
	.del = lm_del,
	.iter = lm_iter,
	.begin = lm_begin,
	.commit = lm_commit,
	.abort = lm_abort,
	.verify = lm_verify,
};
