/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * backend_bdb.c - the Berkeley DB backend.  One transactional environment
 * per store (the store directory is its home) and one btree file per
 * domain, STORE/domains/<domain>.db.  Every write is a transaction that is
 * durable at commit; the environment is joined with DB_REGISTER so that a
 * process that dies with it open makes the next opener run recovery.
 * Databases are opened DB_MULTIVERSION and the environment DB_TXN_SNAPSHOT,
 * so a reader's get sees the last committed state and never waits behind a
 * writer.  Logs are removed automatically once a checkpoint no longer
 * needs them; writers checkpoint after commits.  Native error codes are
 * translated in bdb_status() alone.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <db.h>

#include "vudb_private.h"

struct bdb_store {
	DB_ENV		*env;
	struct vudb	*db;
	char		*root;
	int		 flags;
	char		 lastmsg[512];	/* from the error callback */
};

#define FILE_MODE	0660
#define DIR_MODE	02770

/* bdb_errcall - keep BDB's own message for the next translated error */
static void
bdb_errcall(const DB_ENV *env, const char *pfx, const char *msg)
{
	struct bdb_store *st = env->app_private;

	(void)pfx;
	if (st != NULL)
		snprintf(st->lastmsg, sizeof(st->lastmsg), "%s", msg);
}

/* bdb_status - translate a native code into a status, with detail */
static int
bdb_status(struct vudb *db, struct bdb_store *st, int ret, const char *what)
{
	int rc;

	switch (ret) {
	case 0:
		return VUDB_OK;
	case DB_NOTFOUND:
	case DB_KEYEMPTY:
		return VUDB_ENOTFOUND;
	case DB_LOCK_DEADLOCK:
	case DB_LOCK_NOTGRANTED:
	case DB_RUNRECOVERY:
	case DB_REP_HANDLE_DEAD:
	case EAGAIN:
	case EIO:
	case ENOSPC:
	case EDQUOT:
	case EACCES:
	case EPERM:
		rc = VUDB_ETEMP;
		break;
	case DB_VERIFY_BAD:
	case DB_PAGE_NOTFOUND:
	case DB_SECONDARY_BAD:
		rc = VUDB_ECORRUPT;
		break;
	case DB_VERSION_MISMATCH:
	case DB_OLD_VERSION:
		rc = VUDB_EVERSION;
		break;
	case ENOMEM:
		rc = VUDB_ENOMEM;
		break;
	default:
		rc = VUDB_ETEMP;
		break;
	}
	if (st != NULL && st->lastmsg[0] != '\0') {
		vudb__seterr(db, rc, "bdb: %s: %s (%s)", what, db_strerror(ret),
		    st->lastmsg);
		st->lastmsg[0] = '\0';
	} else
		vudb__seterr(db, rc, "bdb: %s: %s", what, db_strerror(ret));
	return rc;
}

/* fix_modes - give the store's files to the group (umask may take it) */
static void
fix_modes(const char *dir)
{
	struct dirent *de;
	struct stat sb;
	char path[4096];
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "__db.", 5) != 0 &&
		    strncmp(de->d_name, "log.", 4) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &sb) == 0 && sb.st_uid == geteuid() &&
		    (sb.st_mode & 0660) != 0660)
			(void)chmod(path, (sb.st_mode & 07777) | 0660);
	}
	closedir(d);
}

static int
bdb_store_open(struct vudb *db, const char *path, int flags, void **st_r)
{
	struct bdb_store *st;
	unsigned long long cache;
	u_int32_t oflags;
	char dpath[4096];
	int major, minor, ret;

	*st_r = NULL;
	(void)db_version(&major, &minor, NULL);
	if (major != DB_VERSION_MAJOR || minor != DB_VERSION_MINOR)
		return vudb__seterr(db, VUDB_EVERSION,
		    "bdb: built with %d.%d, running %d.%d", DB_VERSION_MAJOR,
		    DB_VERSION_MINOR, major, minor);
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->root = strdup(path)) == NULL) {
		free(st);
		return VUDB_ENOMEM;
	}
	st->db = db;
	st->flags = flags;
	snprintf(dpath, sizeof(dpath), "%s/domains", path);
	if ((flags & VUDB_CREATE) && mkdir(dpath, DIR_MODE) == 0)
		(void)chmod(dpath, DIR_MODE);
	if ((ret = db_env_create(&st->env, 0)) != 0) {
		bdb_status(db, st, ret, "db_env_create");
		goto fail;
	}
	st->env->app_private = st;
	st->env->set_errcall(st->env, bdb_errcall);
	cache = vudb__setting_u64(db, VUDB__S_CACHE_SIZE);
	if (cache < 1024 * 1024)
		cache = 1024 * 1024;
	(void)st->env->set_cachesize(st->env, (u_int32_t)(cache >> 30),
	    (u_int32_t)(cache & ((1ULL << 30) - 1)), 1);
	(void)st->env->set_lk_detect(st->env, DB_LOCK_DEFAULT);
	(void)st->env->set_lk_max_locks(st->env, 100000);
	(void)st->env->set_lk_max_objects(st->env, 100000);
	(void)st->env->set_lk_max_lockers(st->env, 20000);
	(void)st->env->set_tx_max(st->env, 500);
	(void)st->env->set_lg_filemode(st->env, FILE_MODE);
	(void)st->env->set_lg_max(st->env, 16 * 1024 * 1024);
	(void)st->env->set_lg_bsize(st->env, 1024 * 1024);
	(void)st->env->log_set_config(st->env, DB_LOG_AUTO_REMOVE, 1);
	(void)st->env->set_flags(st->env, DB_TXN_SNAPSHOT, 1);
	(void)st->env->set_data_dir(st->env, ".");

	oflags = DB_CREATE | DB_INIT_TXN | DB_INIT_LOCK | DB_INIT_LOG |
	    DB_INIT_MPOOL | DB_REGISTER;
	if (!(flags & VUDB_RDONLY))
		oflags |= DB_RECOVER;
	ret = st->env->open(st->env, path, oflags, FILE_MODE);
	if (ret == DB_RUNRECOVERY && (flags & VUDB_RDONLY)) {
		/* A process died with the store open: recovery cannot wait. */
		st->env->close(st->env, 0);
		st->env = NULL;
		if ((ret = db_env_create(&st->env, 0)) != 0) {
			bdb_status(db, st, ret, "db_env_create");
			goto fail;
		}
		st->env->app_private = st;
		st->env->set_errcall(st->env, bdb_errcall);
		(void)st->env->set_cachesize(st->env,
		    (u_int32_t)(cache >> 30),
		    (u_int32_t)(cache & ((1ULL << 30) - 1)), 1);
		(void)st->env->set_lk_detect(st->env, DB_LOCK_DEFAULT);
		(void)st->env->log_set_config(st->env, DB_LOG_AUTO_REMOVE, 1);
		(void)st->env->set_flags(st->env, DB_TXN_SNAPSHOT, 1);
		ret = st->env->open(st->env, path, oflags | DB_RECOVER,
		    FILE_MODE);
	}
	if (ret != 0) {
		bdb_status(db, st, ret, "open environment");
		goto fail;
	}
	if (!(flags & VUDB_RDONLY))
		fix_modes(path);
	*st_r = st;
	return VUDB_OK;
fail:
	if (st->env != NULL)
		st->env->close(st->env, 0);
	free(st->root);
	free(st);
	return db->err != VUDB_OK ? db->err : VUDB_ETEMP;
}

static void
bdb_store_close(struct vudb *db, void *vst)
{
	struct bdb_store *st = vst;

	(void)db;
	if (st == NULL)
		return;
	if (!(st->flags & VUDB_RDONLY))
		(void)st->env->txn_checkpoint(st->env, 0, 0, 0);
	st->env->close(st->env, 0);
	free(st->root);
	free(st);
}

static void
dom_file(char *buf, size_t size, const char *domain)
{
	snprintf(buf, size, "domains/%s.db", domain);
}

static int
bdb_dom_open(struct vudb *db, void *vst, const char *domain, int flags,
    void **h_r)
{
	struct bdb_store *st = vst;
	struct stat sb;
	char file[VUDB__DOMAIN_MAX + 16], path[4096];
	u_int32_t oflags;
	DB *dbp;
	int ret;

	*h_r = NULL;
	dom_file(file, sizeof(file), domain);
	snprintf(path, sizeof(path), "%s/%s", st->root, file);
	if (!(flags & VUDB_CREATE) && stat(path, &sb) != 0) {
		if (errno == ENOENT)
			return VUDB_ENOTFOUND;
		return vudb__seterr(db, VUDB_ETEMP, "%s: %s", path,
		    strerror(errno));
	}
	if ((ret = db_create(&dbp, st->env, 0)) != 0)
		return bdb_status(db, st, ret, "db_create");
	(void)dbp->set_flags(dbp, DB_CHKSUM);
	oflags = DB_AUTO_COMMIT | DB_MULTIVERSION;
	if (flags & VUDB_CREATE)
		oflags |= DB_CREATE;
	if (st->flags & VUDB_RDONLY)
		oflags |= DB_RDONLY;
	ret = dbp->open(dbp, NULL, file, NULL, DB_BTREE, oflags, FILE_MODE);
	if (ret != 0) {
		dbp->close(dbp, 0);
		if (ret == ENOENT)
			return VUDB_ENOTFOUND;
		if (ret == EINVAL) {
			/* not a database, or not ours */
			vudb__seterr(db, VUDB_ECORRUPT,
			    "bdb: %s: not a valid database file (%s)", file,
			    st->lastmsg);
			st->lastmsg[0] = '\0';
			return VUDB_ECORRUPT;
		}
		return bdb_status(db, st, ret, file);
	}
	if ((flags & VUDB_CREATE) && stat(path, &sb) == 0 &&
	    sb.st_uid == geteuid() && (sb.st_mode & 0660) != 0660)
		(void)chmod(path, FILE_MODE);
	*h_r = dbp;
	return VUDB_OK;
}

static void
bdb_dom_close(struct vudb *db, void *vst, void *h)
{
	DB *dbp = h;

	(void)db;
	(void)vst;
	if (dbp != NULL)
		dbp->close(dbp, 0);
}

static int
bdb_dom_remove(struct vudb *db, void *vst, const char *domain)
{
	struct bdb_store *st = vst;
	char file[VUDB__DOMAIN_MAX + 16];
	DB_TXN *txn;
	int ret;

	dom_file(file, sizeof(file), domain);
	if ((ret = st->env->txn_begin(st->env, NULL, &txn, 0)) != 0)
		return bdb_status(db, st, ret, "txn_begin");
	/* Another process's open handle holds the file: do not wait. */
	(void)txn->set_timeout(txn, 200000, DB_SET_LOCK_TIMEOUT);
	ret = st->env->dbremove(st->env, txn, file, NULL, 0);
	if (ret != 0) {
		txn->abort(txn);
		return bdb_status(db, st, ret, file);
	}
	if ((ret = txn->commit(txn, 0)) != 0)
		return bdb_status(db, st, ret, "commit");
	return VUDB_OK;
}

static int
bdb_dom_list(struct vudb *db, void *vst, int (*cb)(void *, const char *),
    void *arg)
{
	struct bdb_store *st = vst;
	struct dirent *de;
	char path[4096], name[VUDB__DOMAIN_MAX + 1];
	size_t len;
	DIR *d;
	int rc = VUDB_OK;

	snprintf(path, sizeof(path), "%s/domains", st->root);
	if ((d = opendir(path)) == NULL)
		return vudb__seterr(db, VUDB_ETEMP, "%s: %s", path,
		    strerror(errno));
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 4 || len - 3 > VUDB__DOMAIN_MAX ||
		    strcmp(de->d_name + len - 3, ".db") != 0)
			continue;
		memcpy(name, de->d_name, len - 3);
		name[len - 3] = '\0';
		if ((rc = cb(arg, name)) != 0)
			break;
	}
	closedir(d);
	return rc;
}

static int
bdb_get(struct vudb *db, void *h, void *txn, const void *key, size_t klen,
    struct vudb_buf *val)
{
	DB *dbp = h;
	DBT k, v;
	int ret;

	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)key;
	k.size = (u_int32_t)klen;
	if (val->cap == 0 && vudb__buf_reserve(val, 512) != VUDB_OK)
		return VUDB_ENOMEM;
	v.flags = DB_DBT_USERMEM;
	v.data = val->data;
	v.ulen = (u_int32_t)val->cap;
	ret = dbp->get(dbp, txn, &k, &v, 0);
	if (ret == DB_BUFFER_SMALL) {
		if (vudb__buf_reserve(val, v.size) != VUDB_OK)
			return VUDB_ENOMEM;
		v.data = val->data;
		v.ulen = (u_int32_t)val->cap;
		ret = dbp->get(dbp, txn, &k, &v, 0);
	}
	if (ret != 0)
		return bdb_status(db, dbp->dbenv->app_private, ret, "get");
	val->len = v.size;
	return VUDB_OK;
}

static int
bdb_put(struct vudb *db, void *h, void *txn, const void *key, size_t klen,
    const void *val, size_t vlen)
{
	DB *dbp = h;
	DBT k, v;
	int ret;

	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)key;
	k.size = (u_int32_t)klen;
	v.data = (void *)val;
	v.size = (u_int32_t)vlen;
	if ((ret = dbp->put(dbp, txn, &k, &v, 0)) != 0)
		return bdb_status(db, dbp->dbenv->app_private, ret, "put");
	return VUDB_OK;
}

static int
bdb_del(struct vudb *db, void *h, void *txn, const void *key, size_t klen)
{
	DB *dbp = h;
	DBT k;
	int ret;

	memset(&k, 0, sizeof(k));
	k.data = (void *)key;
	k.size = (u_int32_t)klen;
	if ((ret = dbp->del(dbp, txn, &k, 0)) != 0)
		return bdb_status(db, dbp->dbenv->app_private, ret, "del");
	return VUDB_OK;
}

static int
bdb_iter(struct vudb *db, void *h, void *txn, const void *prefix,
    size_t plen, vudb_iter_cb cb, void *arg)
{
	DB *dbp = h;
	DBC *c;
	DBT k, v;
	u_int32_t op = DB_SET_RANGE;
	int ret, rc = VUDB_OK;

	if ((ret = dbp->cursor(dbp, txn, &c, 0)) != 0)
		return bdb_status(db, dbp->dbenv->app_private, ret, "cursor");
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)prefix;
	k.size = (u_int32_t)plen;
	if (plen == 0)
		op = DB_FIRST;
	for (;;) {
		ret = c->get(c, &k, &v, op);
		op = DB_NEXT;
		if (ret == DB_NOTFOUND)
			break;
		if (ret != 0) {
			rc = bdb_status(db, dbp->dbenv->app_private, ret,
			    "cursor get");
			break;
		}
		if (k.size < plen || memcmp(k.data, prefix, plen) != 0)
			break;
		if ((rc = cb(arg, k.data, k.size, v.data, v.size)) != 0)
			break;
	}
	c->close(c);
	return rc;
}

static int
bdb_begin(struct vudb *db, void *vst, void **txn_r)
{
	struct bdb_store *st = vst;
	DB_TXN *txn;
	int ret;

	*txn_r = NULL;
	if ((ret = st->env->txn_begin(st->env, NULL, &txn, 0)) != 0)
		return bdb_status(db, st, ret, "txn_begin");
	*txn_r = txn;
	return VUDB_OK;
}

static int
bdb_commit(struct vudb *db, void *vst, void *vtxn)
{
	struct bdb_store *st = vst;
	DB_TXN *txn = vtxn;
	int ret;

	if ((ret = txn->commit(txn, 0)) != 0)
		return bdb_status(db, st, ret, "commit");
	/* Cheap unless 4 MiB of log or 5 minutes have passed. */
	(void)st->env->txn_checkpoint(st->env, 4096, 5, 0);
	return VUDB_OK;
}

static void
bdb_abort(struct vudb *db, void *vst, void *vtxn)
{
	DB_TXN *txn = vtxn;

	(void)db;
	(void)vst;
	(void)txn->abort(txn);
}

static int
bdb_verify(struct vudb *db, void *vst, const char *domain)
{
	struct bdb_store *st = vst;
	char file[VUDB__DOMAIN_MAX + 16];
	DB *dbp;
	int ret;

	dom_file(file, sizeof(file), domain);
	if ((ret = db_create(&dbp, st->env, 0)) != 0)
		return bdb_status(db, st, ret, "db_create");
	/* DB->verify always destroys the handle. */
	ret = dbp->verify(dbp, file, NULL, NULL, 0);
	if (ret == ENOENT)
		return VUDB_ENOTFOUND;
	return ret == 0 ? VUDB_OK : bdb_status(db, st, ret == EINVAL ?
	    DB_VERIFY_BAD : ret, file);
}

const struct vudb_backend vudb__backend_bdb = {
	.abi = VUDB_BACKEND_ABI,
	.name = "bdb",
	.caps = VUDB_CAP_WRITE | VUDB_CAP_TXN,
	.store_open = bdb_store_open,
	.store_close = bdb_store_close,
	.dom_open = bdb_dom_open,
	.dom_close = bdb_dom_close,
	.dom_remove = bdb_dom_remove,
	.dom_list = bdb_dom_list,
	.get = bdb_get,
	.put = bdb_put,
	.del = bdb_del,
	.iter = bdb_iter,
	.begin = bdb_begin,
	.commit = bdb_commit,
	.abort = bdb_abort,
	.verify = bdb_verify,
};
