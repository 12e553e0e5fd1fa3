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
 *
 * Descriptors: LMDB holds the data file and the lock file open, and a
 * third descriptor (the data file again, O_DSYNC, for the meta pages of
 * a commit) in an environment that may write.  A process whose LMDB store
 * handles are all read-only (vudb-mapd, the Dovecot modules) opens its
 * environments MDB_RDONLY: two descriptors per domain.  Neither can go:
 * the lock file's carries the process's fcntl locks (the reader table's
 * liveness, mdb_reader_check; closing any descriptor of the file drops
 * them), and the data file's is mapped again when the map grows.  A
 * writer handle opened later in the same process reopens such an
 * environment for writing at its first write to the domain (env_upgrade):
 * closed first, never two opens of one file at once.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#include "vudb_backend.h"

#define FILE_MODE	0660
#define DIR_MODE	02770
#define MAP_INITIAL	((size_t)64 << 20)
#define MAX_PARTS	4

#define RETRY_MS	250	/* a damaged domain's reopen, at most every */
#define LOOK_MS		1000	/* whether the file was replaced, every */
/*
 * whether the file was cut short, every SIZE_MS (an fstat: it cost a
 * third of a lookup when made for each one).  Between two looks a read of
 * a file cut short faults, and the guard catches it; a read of pages a cp
 * is rewriting meets checksums that fail.
 */
#define SIZE_MS		50

struct lm_env {
	char		*path;		/* the domain file */
	dev_t		 dev;		/* and which one */
	ino_t		 ino;
	dev_t		 ldev;		/* its lock file */
	ino_t		 lino;
	MDB_env		*env;
	MDB_dbi		 dbi;
	int		 fd;		/* of the data file */
	size_t		 psize;
	int		 refs;
	int		 rdonly;	/* opened MDB_RDONLY */
	int		 writable;	/* the file may be written: an
					   MDB_RDONLY one may be reopened */
	struct lm_dom	*holders;	/* the domain handles using it */
	int		 grow;		/* map full: grow when no txn is on */
	int		 fit;		/* map only the data (a reader's) */
	int		 old;		/* broken or replaced: no new users */
	int		 broken;	/* damaged: every holder lets go */
	long long	 look_at;	/* next look at the path (ms) */
	long long	 size_at;	/* next look at the file's size (ms) */
	struct lm_env	*next;
};

static struct lm_env	*lm_envs;
static int		 lm_writers;	/* open store handles that may write */
static pthread_mutex_t	 lm_lock = PTHREAD_MUTEX_INITIALIZER;

struct lm_store {
	char		*root;
	int		 flags;
};

struct lm_dom {
	struct lm_env	*e;		/* NULL: damaged, to be reopened */
	struct lm_dom	*hnext;		/* the next holder of e */
	/* held by a read for its time (with rtxn and cur in use): an
	 * environment is reopened only with all its holders' held */
	pthread_mutex_t	 mu;
	MDB_txn		*rtxn;		/* reusable read transaction */
	MDB_cursor	*cur;		/* of a read, closed after a fault */
	struct lm_store	*st;
	char		 domain[VUDB_BE_DOMAIN_MAX + 1];
	long long	 retry_at;	/* ms; next reopen of a damaged one */
	char		 why[512];	/* why it is damaged */
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
lm_status(struct vudb_bectx *ctx, int ret, const char *what)
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
		return vudb__ctx_seterr(ctx, VUDB_ERDONLY, "lmdb: %s: the "
		    "store is on a read-only file system", what);
	case ENOSPC:
	case EDQUOT:
		return vudb__ctx_seterr(ctx, VUDB_ETEMP, "lmdb: %s: %s: the "
		    "file system of the store is full", what,
		    mdb_strerror(ret));
	default:	/* MAP_FULL, MAP_RESIZED, READERS_FULL, EIO, EACCES */
		rc = VUDB_ETEMP;
		break;
	}
	return vudb__ctx_seterr(ctx, rc, "lmdb: %s: %s", what,
	    mdb_strerror(ret));
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
lm_store_open(struct vudb_bectx *ctx, const char *path, int flags, void **st_r)
{
	struct lm_store *st;
	char dpath[4096];
	int major, minor;

	*st_r = NULL;
	(void)mdb_version(&major, &minor, NULL);
	if (major != MDB_VERSION_MAJOR || minor != MDB_VERSION_MINOR)
		return vudb__ctx_seterr(ctx, VUDB_EVERSION,
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
	if (!(flags & VUDB_RDONLY)) {
		pthread_mutex_lock(&lm_lock);
		lm_writers++;
		pthread_mutex_unlock(&lm_lock);
	}
	*st_r = st;
	return VUDB_OK;
}

static void
lm_store_close(struct vudb_bectx *ctx, void *vst)
{
	struct lm_store *st = vst;

	(void)ctx;
	if (st == NULL)
		return;
	if (!(st->flags & VUDB_RDONLY)) {
		pthread_mutex_lock(&lm_lock);
		lm_writers--;
		pthread_mutex_unlock(&lm_lock);
	}
	free(st->root);
	free(st);
}

/* ------------------------------------------------------------ the guard */

/*
 * A damaged or truncated domain file must fail alone.  LMDB reads the file
 * through its map: a page past the end of a truncated file is a SIGBUS, a
 * wild page number or offset in a damaged page a SIGSEGV, and either would
 * kill the process with every domain in it.  So every LMDB call of ours
 * that reads the map runs under a guard: a per-thread jump buffer set
 * only while the thread is inside such a call (guarded()), and handlers
 * for SIGBUS and SIGSEGV that jump back to it.  A fault anywhere else is
 * not ours: the handler passes it on to the handler that was there before
 * (a host's, or a sanitizer's), or puts back the default disposition and
 * lets the fault happen again, so that the process dies of it as it would
 * have, with its core.  The library installs the handlers itself, once,
 * when the first LMDB store is opened: every program that reads LMDB
 * needs them (vudb-mapd, vudbadm, vudb-checkpassword, the Lua module in
 * Dovecot's auth process), and a guard a program must remember to ask
 * for is one that is missing when it matters.  SA_NODEFER lets the
 * thread jump out of the handler without saving and restoring its signal
 * mask at every read (sigsetjmp(..., 0) costs no system call).
 */
static __thread sigjmp_buf	*lm_jmp;
static struct sigaction		 lm_old_bus, lm_old_segv;
static pthread_once_t		 lm_guard_once = PTHREAD_ONCE_INIT;

static void
lm_fault(int sig, siginfo_t *si, void *uc)
{
	struct sigaction *old = sig == SIGBUS ? &lm_old_bus : &lm_old_segv;
	sigjmp_buf *j = lm_jmp;

	if (j != NULL) {
		lm_jmp = NULL;
		siglongjmp(*j, sig);
	}
	if (old->sa_flags & SA_SIGINFO) {
		if (old->sa_sigaction != NULL) {
			old->sa_sigaction(sig, si, uc);
			return;
		}
	} else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
		old->sa_handler(sig);
		return;
	}
	/* not ours, no handler before: die of it as without us */
	(void)sigaction(sig, &(struct sigaction){ .sa_handler = SIG_DFL },
	    NULL);
	if (si == NULL || si->si_code <= 0)
		(void)raise(sig);	/* sent, not a fault: send it again */
}

static void
guard_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = lm_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, NULL, &lm_old_bus) == 0)
		(void)sigaction(SIGBUS, &sa, NULL);
	if (sigaction(SIGSEGV, NULL, &lm_old_segv) == 0)
		(void)sigaction(SIGSEGV, &sa, NULL);
}

/*
 * guarded - fn(arg) under the guard: its value, or the signal number (as
 * a negative-free positive value) in *sig_r and VUDB_ETEMP after a fault.
 * fn must leave nothing behind that a jump out of it would leak, except
 * what the caller cleans up (the domain's read transaction and cursor).
 */
static int
guarded(int (*fn)(void *), void *arg, int *sig_r)
{
	sigjmp_buf jb;
	sigjmp_buf *volatile prev = lm_jmp;
	int sig, rc;

	*sig_r = 0;
	if ((sig = sigsetjmp(jb, 0)) != 0) {
		lm_jmp = prev;
		*sig_r = sig;
		return VUDB_ETEMP;
	}
	lm_jmp = &jb;
	rc = fn(arg);
	lm_jmp = prev;
	return rc;
}

static long long
now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) != 0)
		return 0;
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * env_short - whether e's file is too short for the pages its newest meta
 * page counts as used (a truncated file; a cp over it still running):
 * every read would be a SIGBUS past its end.  An fstat and the meta
 * pages, which are in the map: called under the guard.  size_r and
 * need_r say how short.
 */
static int
env_short(struct lm_env *e, long long *size_r, long long *need_r)
{
	MDB_envinfo info;
	struct stat sb;

	*size_r = *need_r = 0;
	if (fstat(e->fd, &sb) != 0)
		return 1;
	*size_r = (long long)sb.st_size;
	*need_r = 2 * (long long)e->psize;
	if (*size_r < *need_r)
		return 1;
	if (mdb_env_info(e->env, &info) != 0)
		return 1;
	*need_r = ((long long)info.me_last_pgno + 1) * (long long)e->psize;
	if (*size_r >= *need_r)
		return 0;
	/* A writer writes its new pages, growing the file, before the meta
	 * page that counts them: a size taken before the meta was read may
	 * be from before that commit.  Only the size after it tells. */
	if (fstat(e->fd, &sb) != 0)
		return 1;
	*size_r = (long long)sb.st_size;
	return *size_r < *need_r;
}

struct short_arg {
	struct lm_env	*e;
	long long	 size, need;
	int		 is_short;
};

static int
short_fn(void *arg)
{
	struct short_arg *a = arg;

	a->is_short = env_short(a->e, &a->size, &a->need);
	return VUDB_OK;
}

/* env_short_guarded - env_short, a fault counting as short */
static int
env_short_guarded(struct lm_env *e, long long *size_r, long long *need_r)
{
	struct short_arg a = { e, 0, 0, 1 };
	int sig;

	(void)guarded(short_fn, &a, &sig);
	*size_r = a.size;
	*need_r = a.need;
	return sig != 0 || a.is_short;
}

/* stat_fn, dbi_fn - the first reads of a newly opened file, under the
 * guard (env_get): mdb_env_stat, and the unnamed database opened in a
 * read transaction (without waiting for a writer) */
struct stat_arg {
	MDB_env		*env;
	MDB_stat	 ms;
	int		 ret;
};

static int
stat_fn(void *arg)
{
	struct stat_arg *a = arg;

	a->ret = mdb_env_stat(a->env, &a->ms);
	return VUDB_OK;
}

/* info_fn - mdb_env_info, which reads the meta pages through the map */
struct info_arg {
	MDB_env		*env;
	MDB_envinfo	 ei;
	int		 ret;
};

static int
info_fn(void *arg)
{
	struct info_arg *a = arg;

	a->ret = mdb_env_info(a->env, &a->ei);
	return VUDB_OK;
}

/* open_fn - mdb_env_open, which reads the meta pages through the map
 * when this process is the first to open the lock file: a file cut short
 * meanwhile (a cp over it) is a fault, which the guard turns into a
 * failure */
struct open_arg {
	MDB_env		*env;
	const char	*path;
	unsigned int	 flags;
	int		 ret;
};

static int
open_fn(void *arg)
{
	struct open_arg *a = arg;

	a->ret = mdb_env_open(a->env, a->path, a->flags, FILE_MODE);
	return VUDB_OK;
}

struct dbi_arg {
	struct lm_env	*e;
	int		 ret;
};

static int
dbi_fn(void *arg)
{
	struct dbi_arg *a = arg;
	struct lm_env *e = a->e;
	MDB_txn *txn;
	int ret;

	if (e->fit)
		map_fit(e);
	ret = mdb_txn_begin(e->env, NULL, MDB_RDONLY, &txn);
	if (ret == MDB_MAP_RESIZED) {
		map_adopt(e);
		ret = mdb_txn_begin(e->env, NULL, MDB_RDONLY, &txn);
	}
	if (ret == 0 && (ret = mdb_dbi_open(txn, NULL, 0, &e->dbi)) != 0)
		mdb_txn_abort(txn);
	else if (ret == 0)
		ret = mdb_txn_commit(txn);
	a->ret = ret;
	return VUDB_OK;
}

/* ------------------------------------------------------------ environments */

static void	env_let_go(struct lm_dom *);

/*
 * LMDB keeps one fcntl lock per process on a domain's lock file, and a
 * process that closes any descriptor of the file loses it: then another
 * process may take itself for the only user and reset the reader table
 * under our readers.  So an environment that was replaced (its file
 * damaged, or renamed over) is not closed while another environment of
 * this process on the same lock file is open: it waits in the table,
 * unused, and is closed with the last of them.
 */
static void
reap(dev_t ldev, ino_t lino)
{
	struct lm_env **pp, *e;

	for (e = lm_envs; e != NULL; e = e->next)
		if (e->ldev == ldev && e->lino == lino && e->refs > 0)
			return;
	for (pp = &lm_envs; *pp != NULL; ) {
		e = *pp;
		if (e->ldev == ldev && e->lino == lino) {
			*pp = e->next;
			mdb_env_close(e->env);
			free(e->path);
			free(e);
		} else
			pp = &e->next;
	}
}

/*
 * LMDB maps its lock file (<domain>.mdb-lock, 1,022 reader slots: 64 KiB)
 * and makes it with ftruncate, so its blocks are not allocated: the first
 * opener writes its header through the map, and on a full file system that
 * write is a SIGBUS (the fault campaign killed vudbadm so, in
 * mdb_env_open).  lock_alloc allocates them before LMDB maps the file: a
 * full file system is then ENOSPC, a temporary failure.  A lock file that
 * cannot be opened for writing is left to LMDB (a read-only file system).
 */
#define LOCK_BYTES	65536

static int
lock_alloc(const char *lock)
{
	struct stat sb;
	off_t want;
	int fd, ret;

	if ((fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, FILE_MODE)) == -1)
		return 0;
	if (fstat(fd, &sb) != 0) {
		ret = errno;
		close(fd);
		return ret;
	}
	want = sb.st_size > LOCK_BYTES ? sb.st_size : LOCK_BYTES;
	ret = posix_fallocate(fd, 0, want);
	close(fd);
	if (ret == ENOSPC || ret == EDQUOT) {
		/* one this call made is no use to anyone */
		if (sb.st_size == 0)
			(void)unlink(lock);
		return ret;
	}
	return 0;	/* EOPNOTSUPP and kin: as LMDB alone */
}

/*
 * file_make - a new domain file, made whole or not at all: LMDB writes a
 * new file's two meta pages after it has made it, and a writer killed in
 * between left an empty file that every later opener took for a domain
 * file cut short (damaged: verify failed, stats failed, domain add could
 * not reuse it).  The file is made under a name no listing takes
 * (PATH.new.PID, without a lock file: MDB_NOLOCK, nobody else sees it),
 * then linked into place; a file already there (another writer's) wins.
 * 0 or an errno value.
 */
static int
file_make(const char *path)
{
	char tmp[4200];
	MDB_env *t;
	int ret;

	snprintf(tmp, sizeof(tmp), "%s.new.%ld", path, (long)getpid());
	(void)unlink(tmp);
	if ((ret = mdb_env_create(&t)) != 0)
		return ret;
	ret = mdb_env_open(t, tmp, MDB_NOSUBDIR | MDB_NOLOCK, FILE_MODE);
	mdb_env_close(t);
	if (ret == 0 && link(tmp, path) != 0 && errno != EEXIST)
		ret = errno;
	(void)unlink(tmp);
	return ret;
}

/*
 * env_open - open e->env on e->path, MDB_RDONLY if e->rdonly: 0 or an
 * LMDB code (e->env NULL then).  Under lm_lock.
 */
static int
env_open(struct lm_env *e, const char *lock)
{
	unsigned int eflags = MDB_NOSUBDIR | MDB_NOTLS;
	int ret;

	if (e->rdonly)
		eflags |= MDB_RDONLY;
	if ((ret = mdb_env_create(&e->env)) != 0) {
		e->env = NULL;
		return ret;
	}
	/* a reader: one page, which LMDB raises to the data's size */
	(void)mdb_env_set_mapsize(e->env, e->fit ? 4096 : MAP_INITIAL);
	(void)mdb_env_set_maxreaders(e->env, 1022);
	if (e->writable && (ret = lock_alloc(lock)) != 0) {
		mdb_env_close(e->env);
		e->env = NULL;
		return ret;
	}
	{
		struct open_arg oa = { e->env, e->path, eflags, 0 };
		int sig;

		(void)guarded(open_fn, &oa, &sig);
		if ((ret = sig != 0 ? EIO : oa.ret) != 0) {
			mdb_env_close(e->env);
			e->env = NULL;
			return ret;
		}
	}
	return 0;
}

/*
 * env_first - the first steps on a newly opened e->env: stale readers
 * cleared, its descriptor and page size, a file cut short told (when
 * check_short: -1, with *size_r and *need_r), the unnamed database.  0,
 * -1 or an LMDB code; the caller closes e->env on failure.  Under lm_lock.
 */
static int
env_first(struct lm_env *e, int check_short, long long *size_r,
    long long *need_r)
{
	struct stat sb;
	int dead;

	(void)mdb_reader_check(e->env, &dead);
	if (mdb_env_get_fd(e->env, &e->fd) != 0)
		return EIO;
	/* the meta pages are read through the map: a file cut short
	 * meanwhile is a fault, which the guard turns into a failure */
	{
		struct stat_arg sa = { e->env, { 0 }, 0 };
		int sig;

		(void)guarded(stat_fn, &sa, &sig);
		if (sig != 0 || sa.ret != 0)
			return sig != 0 ? EIO : sa.ret;
		e->psize = sa.ms.ms_psize;
	}
	if (check_short && env_short_guarded(e, size_r, need_r))
		return -1;
	/* the unnamed database: a read transaction opens it without
	 * waiting for a writer */
	{
		struct dbi_arg da = { e, 0 };
		int sig;

		(void)guarded(dbi_fn, &da, &sig);
		if (sig != 0 || da.ret != 0)
			return sig != 0 ? EIO : da.ret;
	}
	if (fstat(e->fd, &sb) == 0) {
		e->dev = sb.st_dev;
		e->ino = sb.st_ino;
	}
	return 0;
}

/* hold - d holds e from now (under lm_lock) */
static void
hold(struct lm_dom *d, struct lm_env *e)
{
	d->e = e;
	d->hnext = e->holders;
	e->holders = d;
}

/*
 * env_get - the shared environment of a domain file, opened if need be,
 * held by d.  A new one is opened MDB_RDONLY when d's store handle is
 * read-only and no handle of this process may write (two descriptors,
 * not three), or when the file cannot be written.
 */
static int
env_get(struct vudb_bectx *ctx, struct lm_store *st, const char *domain,
    int create, struct lm_dom *d)
{
	struct lm_env *e;
	struct stat sb;
	char path[4096], lock[4200];
	long long size = 0, need = 0;
	int ret, tries = 0;

	d->e = NULL;
	snprintf(path, sizeof(path), "%s/domains/%s.mdb", st->root, domain);
	snprintf(lock, sizeof(lock), "%s-lock", path);
again:
	pthread_mutex_lock(&lm_lock);
	for (e = lm_envs; e != NULL; e = e->next)
		if (!e->old && strcmp(e->path, path) == 0)
			break;
	if (e != NULL) {
		if (stat(path, &sb) == 0 && sb.st_dev == e->dev &&
		    sb.st_ino == e->ino && !e->broken) {
			e->refs++;
			hold(d, e);
			pthread_mutex_unlock(&lm_lock);
			return VUDB_OK;
		}
		/* The file was removed (a domain deleted, perhaps added
		 * again), renamed over, or is damaged: holders keep the
		 * old one, new users get the new. */
		e->old = 1;
	}
	if (!create && stat(path, &sb) != 0) {
		pthread_mutex_unlock(&lm_lock);
		if (errno == ENOENT)
			return VUDB_ENOTFOUND;
		return vudb__ctx_seterr(ctx, VUDB_ETEMP, "%s: %s", path,
		    strerror(errno));
	}
	/* LMDB takes a file too short for its two meta pages for a new
	 * one and writes them: an empty domain, every user "not found".
	 * A truncated file is damaged, not new. */
	if (!create && sb.st_size < 2 * (off_t)sysconf(_SC_PAGESIZE)) {
		pthread_mutex_unlock(&lm_lock);
		return vudb__ctx_seterr(ctx, VUDB_ETEMP,
		    "lmdb: %s: domain file "
		    "damaged: truncated to %lld bytes; its lookups fail "
		    "temporarily until it is restored", path,
		    (long long)sb.st_size);
	}
	if (create && stat(path, &sb) != 0 && errno == ENOENT &&
	    (ret = file_make(path)) != 0) {
		pthread_mutex_unlock(&lm_lock);
		return lm_status(ctx, ret, path);
	}
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->path = strdup(path)) == NULL) {
		pthread_mutex_unlock(&lm_lock);
		free(e);
		return VUDB_ENOMEM;
	}
	e->writable = create || access(path, W_OK) == 0;
	e->rdonly = !e->writable || ((st->flags & VUDB_RDONLY) &&
	    lm_writers == 0);
	e->fit = !create && (st->flags & VUDB_RDONLY) != 0;
	if ((ret = env_open(e, lock)) != 0) {
		pthread_mutex_unlock(&lm_lock);
		free(e->path);
		free(e);
		goto status;
	}
	if (stat(lock, &sb) == 0) {
		e->ldev = sb.st_dev;
		e->lino = sb.st_ino;
	}
	e->refs = 1;	/* listed from here: closed through reap() */
	e->next = lm_envs;
	lm_envs = e;
	hold(d, e);
	if (create) {
		if (stat(path, &sb) == 0 && sb.st_uid == geteuid())
			(void)chmod(path, FILE_MODE);
		if (stat(lock, &sb) == 0 && sb.st_uid == geteuid())
			(void)chmod(lock, FILE_MODE);
	}
	if ((ret = env_first(e, !create, &size, &need)) != 0) {
		pthread_mutex_unlock(&lm_lock);
		env_let_go(d);
		if (ret == -1)
			return vudb__ctx_seterr(ctx, VUDB_ETEMP,
			    "lmdb: %s: domain file "
			    "damaged: %lld bytes, its pages need %lld; its "
			    "lookups fail temporarily until it is restored",
			    path, size, need);
		goto status;
	}
	e->look_at = now_ms() + LOOK_MS;
	pthread_mutex_unlock(&lm_lock);
	return VUDB_OK;
status:
	/*
	 * EINVAL from an open of a file that is there, seen in the Debian
	 * 13 root (liblmdb 0.9.31) with two vudbadm writers opening one
	 * domain at once (tools/vudbadm/tests/grants.sh), three times in
	 * about forty runs: a race of LMDB's lock file set-up between
	 * processes, not understood yet.  The open is made again, twice at
	 * most, 20 ms apart, before it counts as a failure.
	 */
	if (ret == EINVAL && tries++ < 2) {
		vudb__ctx_log(ctx, VUDB_LOG_INFO, "lmdb: %s: %s; opening "
		    "it again", path, mdb_strerror(ret));
		(void)usleep(20000);
		goto again;
	}
	/* A file gone since the stat is a domain removed.  One there but
	 * empty when LMDB read it (cut short since: a cp over it) is
	 * ENOENT read-write (LMDB then makes it anew: not for readers,
	 * which open it read-only) and EBADF read-only (LMDB's write of
	 * new meta pages fails): damage for now. */
	if (ret == ENOENT && (create || stat(path, &sb) != 0))
		return VUDB_ENOTFOUND;
	if (ret == ENOENT || ret == EBADF)
		return vudb__ctx_seterr(ctx, VUDB_ETEMP, "lmdb: %s: domain "
		    "file damaged: empty when it was opened; its lookups fail "
		    "temporarily until it is restored", path);
	if (ret == MDB_INVALID || ret == MDB_VERSION_MISMATCH)
		return vudb__ctx_seterr(ctx, VUDB_ECORRUPT,
		    "lmdb: %s: not a valid "
		    "database file (%s)", path, mdb_strerror(ret));
	return lm_status(ctx, ret, path);
}

/* env_let_go - d no longer holds its environment; the last holder
 * closes it (through reap()) */
static void
env_let_go(struct lm_dom *d)
{
	struct lm_env *e = d->e;
	struct lm_dom **pp;

	if (e == NULL)
		return;
	pthread_mutex_lock(&lm_lock);
	for (pp = &e->holders; *pp != NULL; pp = &(*pp)->hnext)
		if (*pp == d) {
			*pp = d->hnext;
			break;
		}
	d->hnext = NULL;
	d->e = NULL;
	if (--e->refs <= 0) {
		e->old = 1;
		reap(e->ldev, e->lino);
	}
	pthread_mutex_unlock(&lm_lock);
}

/* dom_drop_read - close d's cursor and abort its read transaction */
static void
dom_drop_read(struct lm_dom *d)
{
	if (d->cur != NULL) {
		mdb_cursor_close(d->cur);
		d->cur = NULL;
	}
	if (d->rtxn != NULL) {
		mdb_txn_abort(d->rtxn);
		d->rtxn = NULL;
	}
}

/*
 * env_upgrade - d's environment, opened MDB_RDONLY (only read-only handles
 * of this process had used the file), reopened for writing, for d's
 * store handle's first write to the domain.  One open of a file at a
 * time: the environment is closed first, with every holder's lock held
 * (none is in a read), their read transactions ended, and then opened
 * again in place, so that holders go on with it.  Not while another
 * environment of this process on the same lock file waits to be closed
 * (its locks would go with ours).  Holders are waited for, a second at
 * most, by trying their locks: a holder in a read never waits for
 * lm_lock.
 */
static int
env_upgrade(struct vudb_bectx *ctx, struct lm_dom *d)
{
	struct lm_env *e = d->e, *o;
	struct lm_dom *h, *busy;
	struct stat sb;
	char lock[4200];
	long long size, need;
	int ret, tries, broken;

	snprintf(lock, sizeof(lock), "%s-lock", e->path);
	for (tries = 0;; tries++) {
		pthread_mutex_lock(&lm_lock);
		if (!e->rdonly) {
			pthread_mutex_unlock(&lm_lock);
			return VUDB_OK;		/* another writer did */
		}
		for (o = lm_envs; o != NULL; o = o->next)
			if (o != e && o->ldev == e->ldev && o->lino == e->lino)
				break;
		busy = NULL;
		broken = e->broken;
		if (o == NULL && !broken) {
			for (h = e->holders; h != NULL; h = h->hnext)
				if (pthread_mutex_trylock(&h->mu) != 0)
					break;
			if (h == NULL)
				break;			/* all held */
			busy = h;
			for (h = e->holders; h != busy; h = h->hnext)
				pthread_mutex_unlock(&h->mu);
		}
		pthread_mutex_unlock(&lm_lock);
		if (busy == NULL || tries >= 1000)
			return vudb__ctx_seterr(ctx, VUDB_ETEMP, "lmdb: %s: "
			    "the domain file, open read-only in this process, "
			    "cannot be reopened for writing now (%s)",
			    d->domain, busy != NULL ? "a reader keeps using "
			    "it" : broken ? "it is damaged" : "a replaced file "
			    "of the domain is still open");
		(void)usleep(1000);
	}
	for (h = e->holders; h != NULL; h = h->hnext)
		dom_drop_read(h);
	mdb_env_close(e->env);
	e->env = NULL;
	e->rdonly = 0;
	e->fit = 0;
	if ((ret = env_open(e, lock)) == 0 &&
	    (ret = env_first(e, 1, &size, &need)) != 0) {
		mdb_env_close(e->env);
		e->env = NULL;
	}
	if (ret != 0) {
		/* every holder lets go of it at its next call */
		e->broken = 1;
		e->old = 1;
	} else if (stat(lock, &sb) == 0) {
		e->ldev = sb.st_dev;
		e->lino = sb.st_ino;
	}
	for (h = e->holders; h != NULL; h = h->hnext)
		pthread_mutex_unlock(&h->mu);
	pthread_mutex_unlock(&lm_lock);
	if (ret == -1)
		return vudb__ctx_seterr(ctx, VUDB_ETEMP, "lmdb: %s: domain "
		    "file damaged: %lld bytes, its pages need %lld; it cannot "
		    "be changed until it is restored", d->domain, size, need);
	return ret != 0 ? lm_status(ctx, ret, e->path) : VUDB_OK;
}

static int
lm_dom_open(struct vudb_bectx *ctx, void *vst, const char *domain, int flags,
    void **h_r)
{
	pthread_mutexattr_t ma;
	struct lm_dom *d;
	int rc;

	*h_r = NULL;
	(void)pthread_once(&lm_guard_once, guard_install);
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return VUDB_ENOMEM;
	/* error-checking: a read's callback may read the same domain
	 * (dom_lock), and env_upgrade never takes one its thread holds */
	if (pthread_mutexattr_init(&ma) != 0) {
		free(d);
		return VUDB_ENOMEM;
	}
	(void)pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
	rc = pthread_mutex_init(&d->mu, &ma);
	(void)pthread_mutexattr_destroy(&ma);
	if (rc != 0) {
		free(d);
		return VUDB_ENOMEM;
	}
	d->st = vst;
	snprintf(d->domain, sizeof(d->domain), "%s", domain);
	rc = env_get(ctx, vst, domain, (flags & VUDB_CREATE) != 0 &&
	    !(((struct lm_store *)vst)->flags & VUDB_RDONLY), d);
	if (rc != VUDB_OK) {
		pthread_mutex_destroy(&d->mu);
		free(d);
		return rc;
	}
	*h_r = d;
	return VUDB_OK;
}

/* dom_lock - take d's lock: 1, or 0 when this thread holds it already
 * (a read inside a read's callback); dom_unlock gives back what it took */
static int
dom_lock(struct lm_dom *d)
{
	return pthread_mutex_lock(&d->mu) == 0;
}

static void
dom_unlock(struct lm_dom *d, int locked)
{
	if (locked)
		pthread_mutex_unlock(&d->mu);
}

/* dom_release - let go of d's environment (and its read transaction) */
static void
dom_release(struct lm_dom *d)
{
	int locked = dom_lock(d);

	dom_drop_read(d);
	dom_unlock(d, locked);
	env_let_go(d);
}

static void
lm_dom_close(struct vudb_bectx *ctx, void *vst, void *h)
{
	struct lm_dom *d = h;

	(void)ctx;
	(void)vst;
	if (d == NULL)
		return;
	dom_release(d);
	pthread_mutex_destroy(&d->mu);
	free(d);
}

/*
 * dom_broken - after a fault or a short file under a read of d: the
 * environment is given up by every holder (each at its next call), and d
 * reopens the file at most every RETRY_MS, so that a restored file is
 * answered from at once.  Returns VUDB_ETEMP with detail.
 */
static int
dom_broken(struct vudb_bectx *ctx, struct lm_dom *d, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
dom_broken(struct vudb_bectx *ctx, struct lm_dom *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->why, sizeof(d->why), fmt, ap);
	va_end(ap);
	if (d->e != NULL) {
		pthread_mutex_lock(&lm_lock);
		d->e->broken = 1;
		d->e->old = 1;
		pthread_mutex_unlock(&lm_lock);
	}
	dom_release(d);
	d->retry_at = now_ms() + RETRY_MS;
	return vudb__ctx_seterr(ctx, VUDB_ETEMP, "%s", d->why);
}

/*
 * dom_ready - d's environment, usable: reopened if it was damaged, and
 * replaced when another file was renamed over it (a restore; looked at
 * once a second).  A removed file is kept: a deleted domain's readers see
 * its tombstone.
 */
static int
dom_ready(struct vudb_bectx *ctx, struct lm_dom *d)
{
	struct lm_env *e = d->e;
	struct stat sb;
	long long now;
	int rc;

	if (e != NULL && !__atomic_load_n(&e->broken, __ATOMIC_RELAXED)) {
		now = now_ms();
		if (now < __atomic_load_n(&e->look_at, __ATOMIC_RELAXED))
			return VUDB_OK;
		__atomic_store_n(&e->look_at, now + LOOK_MS,
		    __ATOMIC_RELAXED);
		if (stat(e->path, &sb) != 0 || (sb.st_dev == e->dev &&
		    sb.st_ino == e->ino))
			return VUDB_OK;
	} else if (e == NULL && now_ms() < d->retry_at)
		return vudb__ctx_seterr(ctx, VUDB_ETEMP, "%s", d->why);
	dom_release(d);
	rc = env_get(ctx, d->st, d->domain, 0, d);
	if (rc == VUDB_OK)
		return VUDB_OK;
	d->retry_at = now_ms() + RETRY_MS;
	if (rc == VUDB_ENOTFOUND)
		rc = vudb__ctx_seterr(ctx, VUDB_ETEMP, "lmdb: %s: domain file "
		    "missing; its lookups fail temporarily until it is "
		    "restored", d->domain);
	snprintf(d->why, sizeof(d->why), "%s", vudb__ctx_errmsg(ctx));
	return rc == VUDB_ENOMEM ? rc : VUDB_ETEMP;
}

static int
lm_dom_remove(struct vudb_bectx *ctx, void *vst, const char *domain)
{
	struct lm_store *st = vst;
	char path[4096];

	/* Readers that still map the file keep the old inode; they see the
	 * domain's tombstone and let go of it. */
	snprintf(path, sizeof(path), "%s/domains/%s.mdb", st->root, domain);
	if (unlink(path) != 0 && errno != ENOENT)
		return vudb__ctx_seterr(ctx, VUDB_ETEMP, "%s: %s", path,
		    strerror(errno));
	snprintf(path, sizeof(path), "%s/domains/%s.mdb-lock", st->root,
	    domain);
	(void)unlink(path);
	return VUDB_OK;
}

static int
lm_dom_list(struct vudb_bectx *ctx, void *vst, vudb_name_cb cb, void *arg)
{
	struct lm_store *st = vst;

	return vudb__files_list(ctx, st->root, ".mdb", cb, arg);
}

/* lm_probe - whether a store directory holds LMDB domains */
static int
lm_probe(const char *path)
{
	return vudb__files_probe(path, ".mdb");
}

static int
lm_dom_size(struct vudb_bectx *ctx, void *vst, const char *domain,
    unsigned long long *bytes_r)
{
	struct lm_store *st = vst;

	return vudb__files_dom_size(ctx, st->root, domain, ".mdb", bytes_r);
}

static int
lm_store_size(struct vudb_bectx *ctx, void *vst, unsigned long long *bytes_r)
{
	struct lm_store *st = vst;

	return vudb__files_store_size(ctx, st->root, bytes_r);
}

/* part - the LMDB write transaction of txn on domain d */
static int
part(struct vudb_bectx *ctx, struct lm_txn *t, struct lm_dom *d,
    MDB_txn **txn_r)
{
	long long size, need;
	int i, ret, rc;

	for (i = 0; i < t->n; i++)
		if (t->parts[i].e == d->e) {
			*txn_r = t->parts[i].txn;
			return VUDB_OK;
		}
	if (t->n == MAX_PARTS)
		return vudb__ctx_seterr(ctx, VUDB_EINVAL,
		    "lmdb: too many domains "
		    "in one transaction");
	if ((rc = dom_ready(ctx, d)) != VUDB_OK)
		return rc;
	if (d->e->rdonly && d->e->writable &&
	    (rc = env_upgrade(ctx, d)) != VUDB_OK)
		return rc;
	if (d->e->rdonly)
		return vudb__ctx_seterr(ctx, VUDB_ERDONLY,
		    "lmdb: %s: the domain "
		    "file cannot be written (a read-only file system, or no "
		    "write permission)", d->e->path);
	/* a commit onto a truncated file would write its pages into a
	 * file that lost the rest: damage made permanent */
	if (env_short_guarded(d->e, &size, &need))
		return dom_broken(ctx, d, "lmdb: %s: domain file damaged: %lld "
		    "bytes, its pages need %lld; it cannot be changed until "
		    "it is restored", d->domain, size, need);
	env_grow(d->e, 0);
	ret = mdb_txn_begin(d->e->env, NULL, 0, txn_r);
	if (ret == MDB_MAP_RESIZED) {
		map_adopt(d->e);
		ret = mdb_txn_begin(d->e->env, NULL, 0, txn_r);
	}
	if (ret != 0)
		return lm_status(ctx, ret, "begin");
	/* A writer builds on the meta page the lock file's transaction
	 * number picks, as readers read (read_fn): out of step with the
	 * file, it would build on an older state and write over the
	 * newest, the changes since lost.  It is one ahead of the file's
	 * newest (or level with it after a writer died between the two). */
	{
		struct info_arg ia = { d->e->env, { 0 }, 0 };
		size_t id = mdb_txn_id(*txn_r);
		int sig;

		(void)guarded(info_fn, &ia, &sig);
		if (sig != 0 || ia.ret != 0 || id > ia.ei.me_last_txnid + 1 ||
		    id < ia.ei.me_last_txnid) {
			mdb_txn_abort(*txn_r);
			*txn_r = NULL;
			return dom_broken(ctx, d, "lmdb: %s: the lock file is out "
			    "of step with the domain file (transaction %zu, "
			    "the file's newest %zu: a file restored over it, "
			    "or an opener that failed on a file cut short); it "
			    "cannot be changed until every process using it "
			    "has opened it anew", d->domain, id,
			    (size_t)ia.ei.me_last_txnid);
		}
	}
	t->parts[t->n].e = d->e;
	t->parts[t->n++].txn = *txn_r;
	return VUDB_OK;
}

/* read_txn - a renewed read transaction of d (under the guard) */
static int
read_txn(struct vudb_bectx *ctx, struct lm_dom *d, MDB_txn **txn_r)
{
	int ret;

	if (d->rtxn != NULL)
		ret = mdb_txn_renew(d->rtxn);
	else
		ret = mdb_txn_begin(d->e->env, NULL, MDB_RDONLY, &d->rtxn);
	if (ret == MDB_MAP_RESIZED) {
		/* another process grew the file */
		dom_drop_read(d);
		map_adopt(d->e);
		ret = mdb_txn_begin(d->e->env, NULL, MDB_RDONLY, &d->rtxn);
	}
	if (ret != 0) {
		dom_drop_read(d);
		return lm_status(ctx, ret, "read");
	}
	*txn_r = d->rtxn;
	return VUDB_OK;
}

/*
 * A read of ours: what it needs, run by run_read() under the guard.  The
 * file is checked first for the pages its meta page counts (env_short:
 * an fstat), so that a truncated file is told as such, not only by a
 * fault; a fault (a file truncated during the read, or a damaged page) is
 * the same failure.  Either way the domain answers VUDB_ETEMP and is
 * reopened at a later call; other domains are not touched.
 */
struct lm_read {
	struct vudb_bectx	*ctx;
	struct lm_dom	*d;
	void		*vtxn;		/* a write transaction, or NULL */
	int		 (*op)(struct lm_read *, MDB_txn *);
	const void	*key;
	size_t		 klen;
	struct vudb_buf	*val;
	vudb_iter_cb	 cb;
	void		*arg;
	MDB_txn		*txn;		/* the write transaction's part */
	int		 noover;	/* put: MDB_NOOVERWRITE */
	int		 is_short;
	long long	 size, need;
	size_t		 txn_id, last_id;	/* out of step when set */
};

/* size_due - whether a read of e looks at its file's size first */
static int
size_due(struct lm_env *e)
{
	long long now = now_ms();

	if (now < __atomic_load_n(&e->size_at, __ATOMIC_RELAXED))
		return 0;
	__atomic_store_n(&e->size_at, now + SIZE_MS, __ATOMIC_RELAXED);
	return 1;
}

static int
read_fn(void *arg)
{
	struct lm_read *r = arg;
	MDB_txn *txn = NULL;
	int rc;

	if (r->vtxn != NULL)
		return r->op(r, r->txn);
	if (size_due(r->d->e) && env_short(r->d->e, &r->size, &r->need)) {
		r->is_short = 1;
		return VUDB_ETEMP;
	}
	if ((rc = read_txn(r->ctx, r->d, &txn)) != VUDB_OK)
		return rc;
	/*
	 * LMDB picks the meta page a reader reads by the transaction
	 * number in the lock file (its lowest bit), which lags the file's
	 * newest meta page by one at most, while a writer commits.  More
	 * behind, or ahead, and the lock file is out of step with the
	 * data: set anew by an opener that failed half-way (a cp over the
	 * file showed it empty), or kept from a file restored over this
	 * one.  The older meta page's tree would then be read, an old
	 * state of the domain: users added since "not found" (the fault
	 * campaign's cp restores, tests/cprestore.c).
	 */
	{
		MDB_envinfo ei;
		size_t id = mdb_txn_id(txn);

		if (mdb_env_info(r->d->e->env, &ei) == 0 &&
		    (id > ei.me_last_txnid || id + 1 < ei.me_last_txnid)) {
			r->txn_id = id;
			r->last_id = ei.me_last_txnid;
			mdb_txn_reset(txn);
			return VUDB_ETEMP;
		}
	}
	rc = r->op(r, txn);
	if (r->d->cur != NULL) {
		mdb_cursor_close(r->d->cur);
		r->d->cur = NULL;
	}
	mdb_txn_reset(txn);
	return rc;
}

/* run_read - r->op in a read transaction of r->d, or in r->vtxn */
static int
run_read(struct lm_read *r)
{
	struct lm_dom *d = r->d;
	int rc, sig, short_now, locked = 0;

	if (r->vtxn != NULL)
		rc = part(r->ctx, r->vtxn, d, &r->txn);
	else
		rc = dom_ready(r->ctx, d);
	if (rc != VUDB_OK)
		return rc;
	if (r->vtxn == NULL) {
		/* d's read transaction and the environment stay as they
		 * are until the read is over (env_upgrade) */
		locked = dom_lock(d);
		if (d->e->env == NULL) {
			dom_unlock(d, locked);
			return dom_broken(r->ctx, d, "lmdb: %s: the domain "
			    "file could not be reopened for writing; its "
			    "lookups fail temporarily until it is", d->domain);
		}
	}
	rc = guarded(read_fn, r, &sig);
	if (sig != 0 && r->vtxn != NULL) {
		/* the caller aborts its transaction; every holder lets go
		 * of the file at its next call */
		pthread_mutex_lock(&lm_lock);
		d->e->broken = 1;
		d->e->old = 1;
		pthread_mutex_unlock(&lm_lock);
		return vudb__ctx_seterr(r->ctx, VUDB_ETEMP, "lmdb: %s: domain "
		    "file damaged or truncated: %s in a write; it cannot be "
		    "changed until it is restored", d->domain,
		    sig == SIGBUS ? "SIGBUS" : "SIGSEGV");
	}
	if (sig != 0) {
		/* a file cut short is given up and reopened; a damaged page
		 * in a whole file fails the reads that meet it, no more */
		dom_drop_read(d);
		short_now = env_short_guarded(d->e, &r->size, &r->need);
		dom_unlock(d, locked);
		if (!short_now)
			return vudb__ctx_seterr(r->ctx, VUDB_ETEMP, "lmdb: %s: "
			    "domain file damaged: %s in a read; lookups that "
			    "meet the damage fail temporarily until it is "
			    "restored", d->domain, sig == SIGBUS ? "SIGBUS" :
			    "SIGSEGV");
		return dom_broken(r->ctx, d, "lmdb: %s: domain file damaged or "
		    "truncated: %s in a read, %lld bytes, its pages need "
		    "%lld; its lookups fail temporarily until it is restored",
		    d->domain, sig == SIGBUS ? "SIGBUS" : "SIGSEGV", r->size,
		    r->need);
	}
	dom_unlock(d, locked);
	if (r->is_short)
		return dom_broken(r->ctx, d, "lmdb: %s: domain file damaged: "
		    "%lld bytes, its pages need %lld (truncated?); its "
		    "lookups fail temporarily until it is restored",
		    d->domain, r->size, r->need);
	/* reopened at a later call: the first process to open the file
	 * alone sets the lock file anew, and so does the next write */
	if (r->last_id != 0)
		return dom_broken(r->ctx, d, "lmdb: %s: the lock file is out "
		    "of step with the domain file (transaction %zu, the "
		    "file's newest %zu: a file restored over it, or an "
		    "opener that failed on a file cut short); its lookups "
		    "fail temporarily until it is opened anew or written",
		    d->domain, r->txn_id, r->last_id);
	return rc;
}

/* damaged_status - a read's LMDB failure: a damaged page is temporary */
static int
read_status(struct lm_read *r, int ret, const char *what)
{
	if (ret == MDB_CORRUPTED || ret == MDB_PAGE_NOTFOUND)
		return vudb__ctx_seterr(r->ctx, VUDB_ETEMP,
		    "lmdb: %s: domain file "
		    "damaged (%s: %s); its lookups fail temporarily until it "
		    "is restored", r->d->domain, what, mdb_strerror(ret));
	return lm_status(r->ctx, ret, what);
}

static int
get_op(struct lm_read *r, MDB_txn *txn)
{
	MDB_val k, v;
	int rc, ret;

	k.mv_data = (void *)r->key;
	k.mv_size = r->klen;
	ret = mdb_get(txn, r->d->e->dbi, &k, &v);
	if (ret != 0)
		return read_status(r, ret, "get");
	if ((rc = vudb__buf_reserve(r->val, v.mv_size)) == VUDB_OK) {
		memcpy(r->val->data, v.mv_data, v.mv_size);
		r->val->len = v.mv_size;
	}
	return rc;
}

static int
lm_get(struct vudb_bectx *ctx, void *h, void *vtxn, const void *key,
    size_t klen,
    struct vudb_buf *val)
{
	struct lm_read r = { .ctx = ctx, .d = h, .vtxn = vtxn, .op = get_op,
	    .key = key, .klen = klen, .val = val };

	return run_read(&r);
}

/* lm_near - the entries before and after where key would be */
static int
near_op(struct lm_read *r, MDB_txn *txn)
{
	MDB_cursor *c;
	MDB_val k, v, pk, pv;
	int ret, rc;

	if ((ret = mdb_cursor_open(txn, r->d->e->dbi, &c)) != 0)
		return lm_status(r->ctx, ret, "cursor");
	if (r->vtxn == NULL)
		r->d->cur = c;
	k.mv_data = (void *)r->key;
	k.mv_size = r->klen;
	ret = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	if (ret == 0)
		ret = mdb_cursor_get(c, &pk, &pv, MDB_PREV);
	else if (ret == MDB_NOTFOUND) {
		k.mv_data = NULL;
		k.mv_size = 0;
		ret = mdb_cursor_get(c, &pk, &pv, MDB_LAST);
	}
	if (ret == MDB_NOTFOUND) {
		pk.mv_data = NULL;
		pk.mv_size = 0;
		pv = pk;
		ret = 0;
	}
	if (ret != 0)
		rc = read_status(r, ret, "cursor get");
	else {
		rc = r->cb(r->arg, pk.mv_data, pk.mv_size, pv.mv_data,
		    pv.mv_size);
		if (rc == 0)
			rc = r->cb(r->arg, k.mv_data, k.mv_size,
			    k.mv_data != NULL ? v.mv_data : NULL,
			    k.mv_data != NULL ? v.mv_size : 0);
	}
	if (r->vtxn == NULL)
		r->d->cur = NULL;
	mdb_cursor_close(c);
	return rc;
}

static int
lm_near(struct vudb_bectx *ctx, void *h, void *vtxn, const void *key,
    size_t klen,
    vudb_iter_cb cb, void *arg)
{
	struct lm_read r = { .ctx = ctx, .d = h, .vtxn = vtxn, .op = near_op,
	    .key = key, .klen = klen, .cb = cb, .arg = arg };

	return run_read(&r);
}

/* autocommit - run a write without a transaction of the caller */
static int lm_commit(struct vudb_bectx *, void *, void *);
static void lm_abort(struct vudb_bectx *, void *, void *);

static int
put_op(struct lm_read *r, MDB_txn *txn)
{
	MDB_val k, v;
	int ret;

	k.mv_data = (void *)r->key;
	k.mv_size = r->klen;
	if (r->val == NULL) {
		ret = mdb_del(txn, r->d->e->dbi, &k, NULL);
		return lm_status(r->ctx, ret, "del");
	}
	v.mv_data = r->val->data;
	v.mv_size = r->val->len;
	ret = mdb_put(txn, r->d->e->dbi, &k, &v, r->noover ?
	    MDB_NOOVERWRITE : 0);
	if (ret == MDB_MAP_FULL)
		r->d->e->grow = 1;	/* at abort, once no txn is on */
	return ret == MDB_KEYEXIST ? VUDB_EEXIST : lm_status(r->ctx, ret,
	    "put");
}

/* lm_write - a put (val) or a delete (val NULL), under the guard */
static int
lm_write(struct vudb_bectx *ctx, struct lm_dom *d, void *vtxn, const void *key,
    size_t klen, struct vudb_buf *val, int noover)
{
	struct lm_txn own = { 0 };
	struct lm_read r = { .ctx = ctx, .d = d, .op = put_op, .key = key,
	    .klen = klen, .val = val };
	int rc, sig;

	r.vtxn = vtxn != NULL ? vtxn : &own;
	if ((rc = part(ctx, r.vtxn, d, &r.txn)) != VUDB_OK)
		return rc;
	r.noover = noover;
	rc = guarded(read_fn, &r, &sig);
	if (sig != 0) {
		pthread_mutex_lock(&lm_lock);
		d->e->broken = 1;
		d->e->old = 1;
		pthread_mutex_unlock(&lm_lock);
		rc = vudb__ctx_seterr(ctx, VUDB_ETEMP, "lmdb: %s: domain file "
		    "damaged or truncated: %s in a write; it cannot be "
		    "changed until it is restored", d->domain,
		    sig == SIGBUS ? "SIGBUS" : "SIGSEGV");
	}
	if (vtxn == NULL) {
		if (rc == VUDB_OK)
			return lm_commit(ctx, NULL, &own);
		lm_abort(ctx, NULL, &own);
	}
	return rc;
}

static int
lm_put(struct vudb_bectx *ctx, void *h, void *vtxn, const void *key,
    size_t klen,
    const void *val, size_t vlen, int flags)
{
	struct vudb_buf b;

	b.data = (unsigned char *)val;
	b.len = b.cap = vlen;
	return lm_write(ctx, h, vtxn, key, klen, &b,
	    (flags & VUDB_PUT_NEW) != 0);
}

static int
lm_del(struct vudb_bectx *ctx, void *h, void *vtxn, const void *key,
    size_t klen)
{
	return lm_write(ctx, h, vtxn, key, klen, NULL, 0);
}

static int
iter_op(struct lm_read *r, MDB_txn *txn)
{
	MDB_cursor *c;
	MDB_val k, v;
	MDB_cursor_op op = r->klen ? MDB_SET_RANGE : MDB_FIRST;
	int rc = VUDB_OK, ret;

	if ((ret = mdb_cursor_open(txn, r->d->e->dbi, &c)) != 0)
		return lm_status(r->ctx, ret, "cursor");
	if (r->vtxn == NULL)
		r->d->cur = c;
	k.mv_data = (void *)r->key;
	k.mv_size = r->klen;
	for (;;) {
		ret = mdb_cursor_get(c, &k, &v, op);
		op = MDB_NEXT;
		if (ret == MDB_NOTFOUND)
			break;
		if (ret != 0) {
			rc = read_status(r, ret, "cursor get");
			break;
		}
		if (k.mv_size < r->klen ||
		    memcmp(k.mv_data, r->key, r->klen) != 0)
			break;
		if ((rc = r->cb(r->arg, k.mv_data, k.mv_size, v.mv_data,
		    v.mv_size)) != 0)
			break;
	}
	if (r->vtxn == NULL)
		r->d->cur = NULL;
	mdb_cursor_close(c);
	return rc;
}

/* lm_iter - the callback runs under the guard too: it reads the map */
static int
lm_iter(struct vudb_bectx *ctx, void *h, void *vtxn, const void *prefix,
    size_t plen, vudb_iter_cb cb, void *arg)
{
	struct lm_read r = { .ctx = ctx, .d = h, .vtxn = vtxn, .op = iter_op,
	    .key = prefix, .klen = plen, .cb = cb, .arg = arg };

	return run_read(&r);
}

static int
lm_begin(struct vudb_bectx *ctx, void *vst, void **txn_r)
{
	struct lm_txn *t;

	(void)ctx;
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
lm_commit(struct vudb_bectx *ctx, void *vst, void *vtxn)
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
			rc = lm_status(ctx, ret, "commit");
	}
	t->n = 0;
	if (vst != NULL)
		free(t);
	return rc;
}

static void
lm_abort(struct vudb_bectx *ctx, void *vst, void *vtxn)
{
	struct lm_txn *t = vtxn;
	int i;

	(void)ctx;
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

/*
 * lm_verify - LMDB keeps no checksums of its pages: walk every record once,
 * under the guard (a damaged page is a failure reported, not a crash), and
 * check that the keys come in order.  The core then checks each record's
 * own checksum.
 */
struct walk {
	struct vudb_bectx	*ctx;
	const char	*domain;
	unsigned char	 prev[512];
	size_t		 plen;
	size_t		 n;
};

static int
walk_rec(void *arg, const void *k, size_t kl, const void *v, size_t vl)
{
	struct walk *w = arg;
	size_t m = kl < w->plen ? kl : w->plen;
	int c;

	(void)v;
	(void)vl;
	if (w->n > 0) {
		c = memcmp(w->prev, k, m);
		if (c > 0 || (c == 0 && w->plen >= kl))
			return vudb__ctx_seterr(w->ctx, VUDB_ECORRUPT,
			    "lmdb: %s: "
			    "domain file damaged: keys out of order after "
			    "record %zu", w->domain, w->n);
	}
	if (kl > sizeof(w->prev))
		return vudb__ctx_seterr(w->ctx, VUDB_ECORRUPT,
		    "lmdb: %s: domain "
		    "file damaged: a key of %zu bytes after record %zu",
		    w->domain, kl, w->n);
	memcpy(w->prev, k, kl);
	w->plen = kl;
	w->n++;
	return 0;
}

static int
lm_verify(struct vudb_bectx *ctx, void *vst, const char *domain)
{
	struct walk w;
	void *h;
	int rc;

	if ((rc = lm_dom_open(ctx, vst, domain, 0, &h)) != VUDB_OK)
		return rc;
	memset(&w, 0, sizeof(w));
	w.ctx = ctx;
	w.domain = domain;
	rc = lm_iter(ctx, h, NULL, "", 0, walk_rec, &w);
	lm_dom_close(ctx, vst, h);
	return rc;
}

const struct vudb_backend vudb__backend_lmdb = {
	.abi = VUDB_BACKEND_ABI,
	.fds_per_domain = 3,	/* data (read, and write), lock */
	.fds_per_domain_ro = 2,	/* data, lock: MDB_RDONLY (env_get) */
	.name = "lmdb",
	.caps = VUDB_CAP_WRITE | VUDB_CAP_TXN | VUDB_CAP_DIR,
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
	.near = lm_near,
	.probe = lm_probe,
	.dom_size = lm_dom_size,
	.store_size = lm_store_size,
};
