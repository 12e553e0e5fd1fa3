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
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <db.h>

#include "vudb_private.h"

/*
 * Berkeley DB allows one environment handle per process with DB_REGISTER,
 * so every store handle of a process on the same directory shares one
 * environment, opened DB_THREAD and counted here.  This table and its lock
 * are the library's only process-wide state.
 */
struct bdb_env {
	char		*path;		/* realpath of the home */
	DB_ENV		*env;
	int		 refs;
	int		 dead;		/* panicked: reopen before use */
	struct bdb_env	*next;
};

static struct bdb_env	*envs;
static pthread_mutex_t	 envs_lock = PTHREAD_MUTEX_INITIALIZER;

/* BDB's own message of the error being reported, per thread. */
static _Thread_local char lastmsg[512];

struct bdb_store {
	struct bdb_env	*shared;
	DB_ENV		*env;
	char		*root;
	int		 flags;
};

#define DAMAGED_SUFFIX	".damaged"

#define FILE_MODE	0660
#define DIR_MODE	02770

/* bdb_errcall - keep BDB's own message for the next translated error */
static void
bdb_errcall(const DB_ENV *env, const char *pfx, const char *msg)
{
	(void)env;
	(void)pfx;
	snprintf(lastmsg, sizeof(lastmsg), "%s", msg);
}

/* bdb_status - translate a native code into a status, with detail */
static int
bdb_status(struct vudb *db, int ret, const char *what)
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
	if (lastmsg[0] != '\0') {
		vudb__seterr(db, rc, "bdb: %s: %s (%s)", what, db_strerror(ret),
		    lastmsg);
		lastmsg[0] = '\0';
	} else
		vudb__seterr(db, rc, "bdb: %s: %s", what, db_strerror(ret));
	return rc;
}

/*
 * bdb_fail - bdb_status for record operations, which may find the
 * environment panicked.  A panic caused by a damaged page of this domain's
 * file (a checksum or page-in failure) quarantines the file with a marker
 * beside it, so that the next opener gets VUDB_ECORRUPT for this domain
 * instead of panicking the environment again for every domain.  Either
 * way the environment is marked dead, and the core reopens it (running
 * recovery) on its next call.
 */
static int
bdb_fail(struct vudb *db, DB *dbp, int ret, const char *what)
{
	struct bdb_env *e;
	char path[4096], why[512];
	const char *fname = NULL, *dname = NULL;
	int fd, damaged;

	if (ret != DB_RUNRECOVERY || dbp == NULL)
		return bdb_status(db, ret, what);
	e = dbp->dbenv->app_private;
	damaged = strstr(lastmsg, "pgin") != NULL ||
	    strstr(lastmsg, "checksum") != NULL;
	if (e != NULL)
		__atomic_store_n(&e->dead, 1, __ATOMIC_RELEASE);
	if (damaged && e != NULL &&
	    dbp->get_dbname(dbp, &fname, &dname) == 0 && fname != NULL) {
		snprintf(path, sizeof(path), "%s/%s%s", e->path, fname,
		    DAMAGED_SUFFIX);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC,
		    FILE_MODE)) != -1)
			close(fd);
		snprintf(why, sizeof(why), "%s", lastmsg);
		lastmsg[0] = '\0';
		return vudb__seterr(db, VUDB_ECORRUPT, "bdb: %s: %s: %s; the "
		    "file is quarantined: restore it and remove %s", fname,
		    what, why, path);
	}
	return bdb_status(db, ret, what);
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

/* env_create - a configured, unopened environment handle */
static int
env_create(struct vudb *db, DB_ENV **env_r)
{
	unsigned long long cache;
	DB_ENV *env;
	int ret;

	if ((ret = db_env_create(&env, 0)) != 0)
		return bdb_status(db, ret, "db_env_create");
	env->set_errcall(env, bdb_errcall);
	cache = vudb__setting_u64(db, VUDB__S_CACHE_SIZE);
	if (cache < 1024 * 1024)
		cache = 1024 * 1024;
	(void)env->set_cachesize(env, (u_int32_t)(cache >> 30),
	    (u_int32_t)(cache & ((1ULL << 30) - 1)), 1);
	(void)env->set_lk_detect(env, DB_LOCK_DEFAULT);
	(void)env->set_lk_max_locks(env, 100000);
	(void)env->set_lk_max_objects(env, 100000);
	(void)env->set_lk_max_lockers(env, 20000);
	(void)env->set_tx_max(env, 500);
	(void)env->set_lg_filemode(env, FILE_MODE);
	(void)env->set_lg_max(env, 16 * 1024 * 1024);
	(void)env->set_lg_bsize(env, 1024 * 1024);
	(void)env->log_set_config(env, DB_LOG_AUTO_REMOVE, 1);
	(void)env->set_flags(env, DB_TXN_SNAPSHOT, 1);
	*env_r = env;
	return VUDB_OK;
}

/* env_open - open (or share) the environment of a store directory */
static int
env_open(struct vudb *db, const char *path, int flags, struct bdb_env **e_r)
{
	struct bdb_env *e;
	char *real;
	u_int32_t oflags;
	int ret, rc;

	*e_r = NULL;
	if ((real = realpath(path, NULL)) == NULL)
		return vudb__seterr(db, VUDB_ENOSTORE, "%s: %s", path,
		    strerror(errno));
	pthread_mutex_lock(&envs_lock);
	for (e = envs; e != NULL; e = e->next)
		if (strcmp(e->path, real) == 0) {
			if (e->dead) {
				/* other handles of this process still hold
				 * the panicked environment */
				pthread_mutex_unlock(&envs_lock);
				free(real);
				return vudb__seterr(db, VUDB_ETEMP, "bdb: "
				    "%s: environment being reopened", path);
			}
			e->refs++;
			pthread_mutex_unlock(&envs_lock);
			free(real);
			*e_r = e;
			return VUDB_OK;
		}
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		rc = VUDB_ENOMEM;
		goto fail;
	}
	e->path = real;
	real = NULL;
	if ((rc = env_create(db, &e->env)) != VUDB_OK)
		goto fail;
	oflags = DB_CREATE | DB_INIT_TXN | DB_INIT_LOCK | DB_INIT_LOG |
	    DB_INIT_MPOOL | DB_REGISTER | DB_THREAD;
	if (!(flags & VUDB_RDONLY))
		oflags |= DB_RECOVER;
	ret = e->env->open(e->env, e->path, oflags, FILE_MODE);
	if (ret == DB_RUNRECOVERY && (flags & VUDB_RDONLY)) {
		/* A process died with the store open: recovery cannot wait. */
		e->env->close(e->env, 0);
		e->env = NULL;
		if ((rc = env_create(db, &e->env)) != VUDB_OK)
			goto fail;
		ret = e->env->open(e->env, e->path, oflags | DB_RECOVER,
		    FILE_MODE);
	}
	if (ret != 0) {
		rc = bdb_status(db, ret, "open environment");
		goto fail;
	}
	e->env->app_private = e;
	e->refs = 1;
	e->next = envs;
	envs = e;
	pthread_mutex_unlock(&envs_lock);
	*e_r = e;
	return VUDB_OK;
fail:
	pthread_mutex_unlock(&envs_lock);
	if (e != NULL) {
		if (e->env != NULL)
			e->env->close(e->env, 0);
		free(e->path);
		free(e);
	}
	free(real);
	return rc;
}

static void
env_release(struct bdb_env *e)
{
	struct bdb_env **pp;

	pthread_mutex_lock(&envs_lock);
	if (--e->refs > 0) {
		pthread_mutex_unlock(&envs_lock);
		return;
	}
	for (pp = &envs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	pthread_mutex_unlock(&envs_lock);
	e->env->close(e->env, 0);
	free(e->path);
	free(e);
}

static int
bdb_store_open(struct vudb *db, const char *path, int flags, void **st_r)
{
	struct bdb_store *st;
	char dpath[4096];
	int major, minor, rc;

	*st_r = NULL;
	lastmsg[0] = '\0';
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
	st->flags = flags;
	snprintf(dpath, sizeof(dpath), "%s/domains", path);
	if ((flags & VUDB_CREATE) && mkdir(dpath, DIR_MODE) == 0)
		(void)chmod(dpath, DIR_MODE);
	if ((rc = env_open(db, path, flags, &st->shared)) != VUDB_OK) {
		free(st->root);
		free(st);
		return rc;
	}
	st->env = st->shared->env;
	if (!(flags & VUDB_RDONLY))
		fix_modes(path);
	*st_r = st;
	return VUDB_OK;
}

static void
bdb_store_close(struct vudb *db, void *vst)
{
	struct bdb_store *st = vst;

	(void)db;
	if (st == NULL)
		return;
	if (st->shared != NULL) {
		if (!(st->flags & VUDB_RDONLY) && !st->shared->dead)
			(void)st->env->txn_checkpoint(st->env, 0, 0, 0);
		env_release(st->shared);
	}
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
	char file[VUDB__DOMAIN_MAX + 16], path[4096], marker[4200];
	u_int32_t oflags;
	DB_TXN *txn;
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
	if (st->shared == NULL)
		return vudb__seterr(db, VUDB_ETEMP, "bdb: no environment");
	snprintf(marker, sizeof(marker), "%s%s", path, DAMAGED_SUFFIX);
	if (stat(marker, &sb) == 0)
		return vudb__seterr(db, VUDB_ECORRUPT, "bdb: %s: the file is "
		    "quarantined as damaged: restore it and remove %s", file,
		    marker);
	if ((ret = db_create(&dbp, st->env, 0)) != 0)
		return bdb_status(db, ret, "db_create");
	(void)dbp->set_flags(dbp, DB_CHKSUM);
	oflags = DB_MULTIVERSION;
	if (st->flags & VUDB_RDONLY)
		oflags |= DB_RDONLY;
	if (flags & VUDB_CREATE) {
		/*
		 * Make the file in a transaction that does not wait for the
		 * disk: nothing refers to it until a later commit, which
		 * writes the log of both (an import makes 1,000 domains).
		 */
		if ((ret = st->env->txn_begin(st->env, NULL, &txn,
		    DB_TXN_NOSYNC)) != 0) {
			dbp->close(dbp, DB_NOSYNC);
			return bdb_status(db, ret, "txn_begin");
		}
		ret = dbp->open(dbp, txn, file, NULL, DB_BTREE,
		    oflags | DB_CREATE, FILE_MODE);
		if (ret == 0)
			ret = txn->commit(txn, 0);
		else
			(void)txn->abort(txn);
	} else
		ret = dbp->open(dbp, NULL, file, NULL, DB_BTREE,
		    oflags | DB_AUTO_COMMIT, FILE_MODE);
	if (ret != 0) {
		dbp->close(dbp, DB_NOSYNC);
		if (ret == ENOENT)
			return VUDB_ENOTFOUND;
		if (ret == EINVAL) {
			/* not a database, or not ours */
			vudb__seterr(db, VUDB_ECORRUPT,
			    "bdb: %s: not a valid database file (%s)", file,
			    lastmsg);
			lastmsg[0] = '\0';
			return VUDB_ECORRUPT;
		}
		return bdb_status(db, ret, file);
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
	/* the log makes every commit durable: no need to flush the file */
	if (dbp != NULL)
		dbp->close(dbp, DB_NOSYNC);
}

static int
bdb_dom_remove(struct vudb *db, void *vst, const char *domain)
{
	struct bdb_store *st = vst;
	char file[VUDB__DOMAIN_MAX + 16];
	DB_TXN *txn;
	int ret;

	dom_file(file, sizeof(file), domain);
	/* Another handle that holds the file open makes this fail at once. */
	if ((ret = st->env->txn_begin(st->env, NULL, &txn,
	    DB_TXN_NOWAIT)) != 0)
		return bdb_status(db, ret, "txn_begin");
	ret = st->env->dbremove(st->env, txn, file, NULL, 0);
	if (ret != 0) {
		txn->abort(txn);
		return bdb_status(db, ret, file);
	}
	if ((ret = txn->commit(txn, 0)) != 0)
		return bdb_status(db, ret, "commit");
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
		return bdb_fail(db, dbp, ret, "get");
	val->len = v.size;
	return VUDB_OK;
}

static int
bdb_put(struct vudb *db, void *h, void *txn, const void *key, size_t klen,
    const void *val, size_t vlen, int flags)
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
	ret = dbp->put(dbp, txn, &k, &v, (flags & VUDB_PUT_NEW) ?
	    DB_NOOVERWRITE : 0);
	if (ret == DB_KEYEXIST)
		return VUDB_EEXIST;
	if (ret != 0)
		return bdb_fail(db, dbp, ret, "put");
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
		return bdb_fail(db, dbp, ret, "del");
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
		return bdb_fail(db, dbp, ret, "cursor");
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
			rc = bdb_fail(db, dbp, ret, "cursor get");
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
		return bdb_status(db, ret, "txn_begin");
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
		return bdb_status(db, ret, "commit");
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

/* bdb_alive - whether the environment is still usable */
static int
bdb_alive(struct vudb *db, void *vst)
{
	struct bdb_store *st = vst;
	int dead;

	(void)db;
	if (st->shared == NULL)
		return 0;
	/* on every call: a plain atomic load, no lock */
	dead = __atomic_load_n(&st->shared->dead, __ATOMIC_ACQUIRE);
	return !dead;
}

/*
 * bdb_reopen - after a panic (a damaged page, or recovery run by another
 * process): let go of the dead environment and open it again, with
 * recovery.  The core has closed this handle's databases.  While other
 * handles of this process still hold the dead one, VUDB_ETEMP.
 */
static int
bdb_reopen(struct vudb *db, void *vst)
{
	struct bdb_store *st = vst;
	int rc;

	if (st->shared != NULL) {
		env_release(st->shared);
		st->shared = NULL;
		st->env = NULL;
	}
	rc = env_open(db, st->root, st->flags & ~VUDB_RDONLY, &st->shared);
	if (rc != VUDB_OK)
		return rc;
	st->env = st->shared->env;
	vudb__log(db, VUDB_LOG_WARNING, "bdb: %s: environment reopened after "
	    "a failure", st->root);
	return VUDB_OK;
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
		return bdb_status(db, ret, "db_create");
	/* DB->verify always destroys the handle. */
	ret = dbp->verify(dbp, file, NULL, NULL, 0);
	if (ret == ENOENT)
		return VUDB_ENOTFOUND;
	return ret == 0 ? VUDB_OK : bdb_status(db, ret == EINVAL ?
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
	.alive = bdb_alive,
	.reopen = bdb_reopen,
};
