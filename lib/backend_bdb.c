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

#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>

#ifdef __linux__
#include <linux/membarrier.h>
#endif

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <db.h>

#include "vudb_backend.h"

/*
 * Berkeley DB allows one environment handle per process with DB_REGISTER,
 * so every store handle of a process on the same directory shares one
 * environment, opened DB_THREAD and counted here.  This list and its lock
 * are the library's only process-wide state.
 *
 * An environment that panicked (a process died inside Berkeley DB and
 * another ran recovery, a damaged page, ...) is dead for good: every call
 * on it fails.  Its handles must move to a new one, and Berkeley DB's
 * register allows the new one only once the dead one is closed.  Waiting
 * for every handle to let go made a thread whose handle was idle hold all
 * the others back (vudb-mapd with two workers answered TEMP for as long as
 * one of them saw no request).  So the first handle to reopen closes the
 * dead environment for all of them, provided no thread is inside it:
 * each handle counts its calls into the environment in seq (odd while
 * inside), and a call checks the environment's dead flag after making seq
 * odd, so that either the call sees the flag and touches nothing, or the
 * closer sees the call and waits for it (microseconds: every call on a
 * dead environment fails at once).  The closer takes the dead one off
 * the list, opens a new one, and the idle handles find the new one at
 * their next call.  A dead environment's handle is closed by Berkeley
 * DB's panic path, which releases its register slot and descriptors but
 * frees no memory, so that database handles still cached by idle handles
 * stay valid memory; those are never touched again (dom_close forgets
 * them).  A thread that stays inside a dead environment for STUCK_MS waits
 * on a lock of a process that died holding it, and will never come back:
 * it does not hold the others back any longer.
 */
struct bdb_store;

#define REGIONS_MAX	16

struct bdb_env {
	char		*path;		/* realpath of the home */
	DB_ENV		*env;
	int		 refs;		/* store handles on it */
	int		 dead;		/* panicked: move to a new one (atomic) */
	int		 closed;	/* env closed; the memory is kept */
	int		 listed;	/* on envs: new handles share it */
	int		 failchk;	/* opened with a thread table */
	/* its region files, to unmap when it is retired */
	struct {
		dev_t	 dev;
		ino_t	 ino;
	}		 regs[REGIONS_MAX];
	size_t		 nregs;
	unsigned long long handles;	/* what its regions were made for */
	/* a writer that left found its regions unfit for this many domains:
	 * the last to leave removes them (under envs_lock) */
	int		 misfit;
	unsigned long long misfit_domains;
	struct bdb_store *stores;	/* the handles on it */
	struct bdb_env	*next;
};

static struct bdb_env	*envs;
static pthread_mutex_t	 envs_lock = PTHREAD_MUTEX_INITIALIZER;

/* a thread inside a dead environment this long is stuck there */
#define STUCK_MS	2000
/* a failed reopen is tried again after this long */
#define RETRY_MS	200
/* envs_lock held this long: its holder waits for a dead process */
#define LOCK_MS		10000

/*
 * envs_lock_for - take envs_lock, giving up after LOCK_MS: 0, or -1.  A
 * thread that holds it while it opens or closes an environment may wait
 * inside Berkeley DB for what a process that died there held, for ever;
 * the others must not wait for it with it (vudb-mapd's watchdog, and a
 * replacement worker, did).
 */
static int
envs_lock_for(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += LOCK_MS / 1000;
	ts.tv_nsec += (long)(LOCK_MS % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return pthread_mutex_timedlock(&envs_lock, &ts) == 0 ? 0 : -1;
}

/* LOCK_STUCK - the message when envs_lock_for fails */
#define LOCK_STUCK	"another thread has been opening or closing the " \
			"environment for 10 s: it waits for a process that " \
			"died inside Berkeley DB"

/*
 * A database handle as the core holds it: the database and where it was
 * opened.  A build's database has no store: it is outside the
 * environment, and its transaction is the build.
 */
struct bdb_db {
	DB		*dbp;
	struct bdb_store *st;		/* NULL: a build */
	struct bdb_env	*e;
};

/* BDB's own message of the error being reported, per thread. */
static _Thread_local char lastmsg[512];
/* a message since the last report said that the file system is full
 * (the error reported may be a panic or join failure it caused) */
static _Thread_local int nospace;
/* BDB's informational messages since the last look, per thread: failchk
 * says what it cleaned up */
static _Thread_local char infomsg[512];
static _Thread_local unsigned int ninfo;

/*
 * A new domain's database, built outside the environment under a hidden
 * name in domains/ and published by a link to its own name: no log, no
 * shared cache, and other processes see the domain whole or not at all.
 * A file made without a log carries no log positions, so the environment
 * can take it as it is.
 */
struct bdb_build {
	DB		*dbp;
	struct bdb_db	 w;		/* the handle the core holds */
	char		 tmp[4096];	/* domains/.build.PID.N.DOMAIN */
	char		 final[4096];	/* domains/DOMAIN.db */
	char		 domain[VUDB_BE_DOMAIN_MAX + 1];
};

/* Hidden names of builds: BUILD_PREFIX PID.N.DOMAIN, N counting in the
 * process (two handles may build the same domain; one wins).  The
 * temporary name of COUNT_FILE takes its N from the same counter. */
#define BUILD_PREFIX	".build."
static unsigned int	 build_seq;

/* Builds waiting for publication under VUDB_BULK: one disk flush for all. */
#define PENDING_MAX	256

struct bdb_store {
	struct bdb_env	*shared;	/* envs_lock; its owner reads it */
	DB_ENV		*env;
	char		*root;
	int		 flags;
	int		 doms_changed;	/* made or removed a domain file */
	struct bdb_build *build;	/* the open build, if any */
	struct bdb_build *pending[PENDING_MAX];
	size_t		 npending;
	/* calls into shared: odd while one runs (atomic; only the owner
	 * writes it) */
	unsigned long	 seq;
	/* what a closer saw of seq, and when: a call inside for long */
	unsigned long	 seen_seq;
	uint64_t	 seen_ms;
	struct bdb_store *snext;	/* on shared->stores */
	uint64_t	 retry_ms;	/* no reopen before */
	/* the store's writer lock while a transaction of bdb_begin is open
	 * (see bdb_begin); its locker belongs to wenv */
	DB_ENV		*wenv;
	u_int32_t	 wlocker;
	DB_LOCK		 wlock;
	int		 wheld;
};

/* the BDB transaction of txn on w: none for a build's database */
#define TXN(w, txn)	((w)->st == NULL ? NULL : (DB_TXN *)(txn))

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
	if (strstr(msg, strerror(ENOSPC)) != NULL ||
	    strstr(msg, strerror(EDQUOT)) != NULL)
		nospace = 1;
}

/* bdb_msgcall - keep BDB's informational messages (never to stdout) */
static void
bdb_msgcall(const DB_ENV *env, const char *msg)
{
	(void)env;
	if (ninfo++ == 0)
		snprintf(infomsg, sizeof(infomsg), "%s", msg);
}

/* bdb_status - translate a native code into a status, with detail */
static int
bdb_status(struct vudb_bectx *ctx, int ret, const char *what)
{
	int rc, full;

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
	full = nospace || ret == ENOSPC || ret == EDQUOT;
	nospace = 0;
	if (lastmsg[0] != '\0') {
		vudb__ctx_seterr(ctx, rc, "bdb: %s: %s%s (%s)", what,
		    db_strerror(ret), full ? ": the file system of the store "
		    "is full" : "", lastmsg);
		lastmsg[0] = '\0';
	} else
		vudb__ctx_seterr(ctx, rc, "bdb: %s: %s%s", what,
		    db_strerror(ret),
		    full ? ": the file system of the store is full" : "");
	return rc;
}

/*
 * bdb_fail - bdb_status for record operations, which may find the
 * environment panicked.  A panic caused by a damaged page of this domain's
 * file (a checksum or page-in failure) quarantines the file with a marker
 * beside it, so that the next opener gets VUDB_ECORRUPT for this domain
 * instead of panicking the environment again for every domain.  Either
 * way the environment is dead (bdb_event marked it), and the core reopens
 * it on its next call.
 */
/*
 * A quarantine marker holds the identity of the file it quarantines:
 * device, inode, size and modification time.  A file that is no longer
 * that one was restored (renamed over, or written by cp): its quarantine
 * ends by itself, and a restored file that is still damaged is caught
 * again at its first bad page.  A marker without an identity (made by
 * hand) stays until it is removed.
 */
/*
 * mark_damaged - quarantine file; seen: the file as it was when it was
 * found damaged (NULL: as it is now).  Its identity must be the one seen:
 * a file cut short by cp and written again between the finding and the
 * marker would otherwise be quarantined whole, for good.
 */
static void
mark_damaged(const char *file, const char *marker, const struct stat *seen)
{
	struct stat sb;
	char line[160];
	int fd, n = 0;

	if ((fd = open(marker, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    FILE_MODE)) == -1)
		return;
	if (seen != NULL)
		sb = *seen;
	if (seen != NULL || stat(file, &sb) == 0)
		n = snprintf(line, sizeof(line), "%llu %llu %lld %lld %ld\n",
		    (unsigned long long)sb.st_dev,
		    (unsigned long long)sb.st_ino, (long long)sb.st_size,
		    (long long)sb.st_mtim.tv_sec, (long)sb.st_mtim.tv_nsec);
	/* half a line would be an identity that matches nothing: none */
	if (n > 0 && write(fd, line, (size_t)n) != n && ftruncate(fd, 0) != 0)
		n = 0;
	close(fd);
}

/* still_damaged - whether marker still quarantines file: 1, or 0 when
 * file was replaced since (the marker is then removed) */
static int
still_damaged(const char *file, const char *marker)
{
	unsigned long long dev, ino;
	long long size, sec;
	long nsec;
	struct stat sb;
	FILE *fp;
	int known;

	if ((fp = fopen(marker, "re")) == NULL)
		return errno != ENOENT;
	known = fscanf(fp, "%llu %llu %lld %lld %ld", &dev, &ino, &size,
	    &sec, &nsec) == 5;
	fclose(fp);
	if (!known || stat(file, &sb) != 0)
		return 1;
	if ((unsigned long long)sb.st_dev == dev &&
	    (unsigned long long)sb.st_ino == ino &&
	    (long long)sb.st_size == size &&
	    (long long)sb.st_mtim.tv_sec == sec && sb.st_mtim.tv_nsec == nsec)
		return 1;
	return unlink(marker) != 0 && errno != ENOENT;
}

/*
 * file_changed - whether the file of w's database, named file, is no
 * longer the one the database has open (replaced: renamed over) or was
 * cut short under it (a btree has a meta page and a root page at least);
 * *short_r: the file now there is cut short.  Berkeley DB's handle keeps
 * the file it opened, and answered "Invalid argument" or DB_PAGE_NOTFOUND
 * for it until something else made the environment open anew.
 */
static int
file_changed(struct bdb_db *w, char *file, size_t size, int *short_r,
    struct stat *now_r)
{
	const char *fname = NULL, *dname = NULL;
	struct stat open_sb, now_sb;
	int fd;

	*short_r = 0;
	if (w->e == NULL || w->dbp->get_dbname(w->dbp, &fname, &dname) != 0 ||
	    fname == NULL || w->dbp->fd(w->dbp, &fd) != 0 ||
	    fstat(fd, &open_sb) != 0)
		return 0;
	snprintf(file, size, "%s/%s", w->e->path, fname);
	if (stat(file, &now_sb) != 0)
		return 0;
	*short_r = now_sb.st_size < 2 * 4096;
	*now_r = now_sb;
	return open_sb.st_dev != now_sb.st_dev ||
	    open_sb.st_ino != now_sb.st_ino || open_sb.st_size < 2 * 4096;
}

static int
bdb_fail(struct vudb_bectx *ctx, struct bdb_db *w, int ret, const char *what)
{
	struct bdb_env *e = w->e;
	char file[4096], path[4200], why[512];
	const char *fname = NULL, *dname = NULL;
	struct stat seen;
	int damaged, cut;

	/* a file truncated or replaced under the open database (what
	 * Berkeley DB says of it: EINVAL or DB_PAGE_NOTFOUND): every handle
	 * takes the environment anew, and the file as it is now, as after
	 * a damaged page; a file cut short is quarantined */
	if ((ret == EINVAL || ret == DB_PAGE_NOTFOUND) && e != NULL &&
	    file_changed(w, file, sizeof(file), &cut, &seen)) {
		__atomic_store_n(&e->dead, 1, __ATOMIC_SEQ_CST);
		snprintf(why, sizeof(why), "%s", lastmsg);
		lastmsg[0] = '\0';
		if (!cut)
			return vudb__ctx_seterr(ctx, VUDB_ETEMP, "bdb: %s: %s: "
			    "the file was replaced under its open database "
			    "(%s); the environment is opened anew", file,
			    what, db_strerror(ret));
		snprintf(path, sizeof(path), "%s%s", file, DAMAGED_SUFFIX);
		mark_damaged(file, path, &seen);
		return vudb__ctx_seterr(ctx, VUDB_ECORRUPT, "bdb: %s: %s: the "
		    "file was cut short under its open database (%s%s%s); "
		    "it is quarantined: restore it (or remove %s)", file,
		    what, db_strerror(ret), why[0] != '\0' ? ": " : "", why,
		    path);
	}
	if (ret != DB_RUNRECOVERY || e == NULL)
		return bdb_status(ctx, ret, what);
	__atomic_store_n(&e->dead, 1, __ATOMIC_SEQ_CST);
	damaged = strstr(lastmsg, "pgin") != NULL ||
	    strstr(lastmsg, "checksum") != NULL;
	if (damaged && w->dbp->get_dbname(w->dbp, &fname, &dname) == 0 &&
	    fname != NULL) {
		snprintf(file, sizeof(file), "%s/%s", e->path, fname);
		snprintf(path, sizeof(path), "%s%s", file, DAMAGED_SUFFIX);
		mark_damaged(file, path, NULL);
		snprintf(why, sizeof(why), "%s", lastmsg);
		lastmsg[0] = '\0';
		return vudb__ctx_seterr(ctx, VUDB_ECORRUPT,
		    "bdb: %s: %s: %s; the "
		    "file is quarantined: restore it (or remove %s)", fname,
		    what, why, path);
	}
	return bdb_status(ctx, ret, what);
}

/*
 * bdb_event - Berkeley DB's events.  A panic is reported by whichever
 * call first meets it, on any path (a domain open included): the
 * environment is dead from then on, for every handle on it.
 */
static void
bdb_event(DB_ENV *env, u_int32_t event, void *info)
{
	struct bdb_env *e = env->app_private;

	(void)info;
	if ((event == DB_EVENT_PANIC || event == DB_EVENT_REG_PANIC) &&
	    e != NULL)
		__atomic_store_n(&e->dead, 1, __ATOMIC_SEQ_CST);
}

/* now_ms - monotonic milliseconds */
static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * The fence that orders a call's seq before its look at dead (and a
 * closer's dead before its look at seq) is paid by the closer, which is
 * rare, rather than by every call: membarrier(2) makes every running
 * thread of the process pass a full barrier, so a call only needs to
 * keep the compiler from reordering the two.  Where membarrier is
 * missing or refused (a seccomp filter), every call fences itself.
 */
static int		 light_fence;	/* membarrier registered */
static pthread_once_t	 fence_once = PTHREAD_ONCE_INIT;

static void
fence_init(void)
{
#if defined(__linux__) && defined(SYS_membarrier)
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
	    0, 0) == 0)
		__atomic_store_n(&light_fence, 1, __ATOMIC_SEQ_CST);
#endif
}

/* heavy_fence - the closer's half of the fence */
static void
heavy_fence(void)
{
#if defined(__linux__) && defined(SYS_membarrier)
	if (__atomic_load_n(&light_fence, __ATOMIC_SEQ_CST) &&
	    syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0,
	    0) != 0) {
		/* never after a registration; were it to happen, let the
		 * calls' stores drain before seq is read */
		struct timespec ms = { 0, 1000000 };

		nanosleep(&ms, NULL);
	}
#endif
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* st_leave - a call into the store's environment has ended */
static inline void
st_leave(struct bdb_store *st)
{
	__atomic_store_n(&st->seq, st->seq + 1, __ATOMIC_RELEASE);
}

/*
 * st_in - a call into e, the store's environment, begins: 1 (then
 * st_leave), or 0 when e is dead: nothing of it may be touched any more
 * (another thread may close it).
 */
static inline int
st_in(struct bdb_store *st, struct bdb_env *e)
{
	int dead;

	if (e == NULL)
		return 0;
	/* seq before dead, dead before a closer reads seq: one of the two
	 * sees the other (heavy_fence is the closer's half) */
	if (__builtin_expect(light_fence, 1)) {
		__atomic_store_n(&st->seq, st->seq + 1, __ATOMIC_RELAXED);
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		dead = __atomic_load_n(&e->dead, __ATOMIC_RELAXED);
	} else {
		__atomic_store_n(&st->seq, st->seq + 1, __ATOMIC_SEQ_CST);
		dead = __atomic_load_n(&e->dead, __ATOMIC_SEQ_CST);
	}
	if (dead) {
		st_leave(st);
		return 0;
	}
	return 1;
}

/* st_enter - st_in, VUDB_OK or VUDB_ETEMP with the reason */
static inline int
st_enter(struct vudb_bectx *ctx, struct bdb_store *st, struct bdb_env *e)
{
	if (st_in(st, e))
		return VUDB_OK;
	return vudb__ctx_seterr(ctx, VUDB_ETEMP, "bdb: %s: %s", st->root,
	    e == NULL ? "no environment" : "the environment panicked; it is "
	    "opened anew at the next call");
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

/* group_region - whether the first region file is not ours to mend: the
 * regions are made together, so it speaks for all of them */
static int
group_region(const char *dir)
{
	char path[4096];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/__db.001", dir);
	return stat(path, &sb) != 0 || sb.st_uid != geteuid() ||
	    (sb.st_mode & 0660) == 0660;
}

/*
 * Sizing the shared regions.  Berkeley DB 5.3 maps each of its regions at
 * the region's maximum size in every process that opens the environment,
 * and fixes that maximum when the region is made: a region fills on demand
 * (its file grows as it is used) but never beyond that mapping.  So what a
 * process pays in address space is the sum of the maxima, whatever it
 * uses, and under Dovecot's default_vsz_limit of 256M that sum has to stay
 * small.  (DB_ENV->set_memory_init and mutex_set_init choose only how much
 * of a maximum is filled at first; set_memory_max caps the primary
 * region, and the cap is mapped whole.)  Measured with 5.3.28 on x86-64,
 * in bytes of mapping each:
 *
 *	mutex			136	mutex region
 *	locker			288	primary region (with BDB's own 25%),
 *				 + 136	and a mutex each
 *	lock			160	primary region
 *	lock object		338	primary region
 *	open file's name	~110	primary region (log part)
 *	cache			cache_size + 25% below 500 MB: the mpool region
 *
 * What uses them: a database handle open in a process holds a locker, a
 * lock, a file name and three mutexes (its own, its file descriptor's, its
 * locker's), and a lock object per file (shared); a file keeps two mutexes
 * while any of its pages is cached, even with no handle open, so up to two
 * per cache page; a transaction locks each page it changes (a batch of
 * 100,000 users in an existing domain: about 10,000 locks and objects).
 *
 * Sizing for max_open_domains (100,000 by default) mapped 532 MB whatever
 * the store held.  The regions are now sized for what the store holds: for
 * D domains, handles = 2 * max(D, DOMAINS_MIN) + HANDLES_SPARE (every
 * domain open in two processes at once, vudb-mapd and an auth process,
 * and HANDLES_SPARE for logins and tools), locks for those handles and
 * objects for their files, LOCKS_SPARE more of both, and two mutexes per
 * cache page.  A store of one domain now maps 102 MB, 84 of them the
 * cache, and one of 10,000 domains 124 MB.  D is the count writers keep in
 * COUNT_FILE, so every process that makes the regions (the first to open
 * the store, or the one that runs recovery after a crash or a reboot,
 * often a reader) sizes them alike without reading the domain directory.
 *
 * Berkeley DB cannot grow a region past its maximum, so the regions are
 * made anew when they no longer suit the store: a writer that leaves a
 * store that outgrew them (more than twice the domains they were made
 * for) or that they oversize (four times), and is the last process to
 * leave, removes them, and the next opener makes them for the store as it
 * is (the cache starts cold).  Until then a process that finds them full
 * keeps fewer domains open (vudb.c): slower, still right.
 */
#define COUNT_FILE	"domain-count"
#define DOMAINS_MIN	512
#define HANDLES_SPARE	1024
#define LOCKERS_SPARE	1024	/* environments, cursors, transactions */
#define LOCKS_SPARE	10000	/* page locks of write transactions */
#define MUTEXES_SPARE	1024	/* transactions' MVCC mutexes and more */
#define DOMAINS_MAX	1000000ULL

/* handles_for - the database handles regions are made for, for domains */
static unsigned long long
handles_for(unsigned long long domains)
{
	if (domains < DOMAINS_MIN)
		domains = DOMAINS_MIN;
	if (domains > DOMAINS_MAX)
		domains = DOMAINS_MAX;
	return 2 * domains + HANDLES_SPARE;
}

/* regions_fit - whether regions made for handles suit a store of domains:
 * each domain open once with room to spare, and not four times too big */
static int
regions_fit(unsigned long long handles, unsigned long long domains)
{
	return domains + HANDLES_SPARE <= handles &&
	    handles <= 4 * handles_for(domains);
}

#define DOMAIN_SUFFIX	".db"	/* STORE/domains/DOMAIN.db */

static int
count_one(void *arg, const char *domain)
{
	(void)domain;
	(*(unsigned long long *)arg)++;
	return 0;
}

/* count_domains - the domain files of a store: a scan of domains/ */
static unsigned long long
count_domains(const char *root)
{
	unsigned long long n = 0;

	(void)vudb__files_list(NULL, root, DOMAIN_SUFFIX, count_one, &n);
	return n;
}

/* count_read - the domain count a writer left in COUNT_FILE, or -1 */
static long long
count_read(const char *root)
{
	char path[4096], buf[32], *end;
	unsigned long long v;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/" COUNT_FILE, root);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno != 0 || end == buf || (*end != '\n' && *end != '\0') ||
	    v > DOMAINS_MAX * 1000)
		return -1;
	return (long long)v;
}

/* count_write - replace COUNT_FILE (a hint: failures are ignored) */
static void
count_write(const char *root, unsigned long long n)
{
	char path[4096], tmp[4096], buf[32];
	int fd, len, ok;

	snprintf(path, sizeof(path), "%s/" COUNT_FILE, root);
	snprintf(tmp, sizeof(tmp), "%s/." COUNT_FILE ".%ld.%u", root,
	    (long)getpid(), __atomic_add_fetch(&build_seq, 1,
	    __ATOMIC_RELAXED));
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    FILE_MODE)) == -1)
		return;
	len = snprintf(buf, sizeof(buf), "%llu\n", n);
	ok = write(fd, buf, (size_t)len) == len;
	(void)fchmod(fd, FILE_MODE);
	close(fd);
	if (!ok || rename(tmp, path) != 0)
		(void)unlink(tmp);
}

/* store_domains - a writer's count of the store's domains, kept in
 * COUNT_FILE when it changed */
static unsigned long long
store_domains(struct bdb_store *st)
{
	long long hint;
	unsigned long long n;

	hint = count_read(st->root);
	if (hint >= 0 && !st->doms_changed)
		return (unsigned long long)hint;
	n = count_domains(st->root);
	if (hint < 0 || (unsigned long long)hint != n)
		count_write(st->root, n);
	return n;
}

/*
 * Processes that die with the store open.  Every opener registers in
 * Berkeley DB's register (DB_REGISTER); one that finds a dead process
 * there runs recovery, which panics the environment under every other
 * process (they open it anew: bdb_reopen).  Berkeley DB 5.3 can do less,
 * DB_FAILCHK: failchk instead of recovery when the dead process held
 * nothing.  But it attaches to the regions first, and that waits for good
 * on a mutex the dead process held (crash.sh hung there: __envreg_register
 * -> __memp_open), so it is not used; vudbadm leaves the register cleanly
 * on the signals that end it instead.
 *
 * The regions are made with a thread table (set_thread_count) and
 * bdb_isalive, for vudb_check(): its failchk finds a process that died
 * inside Berkeley DB, perhaps holding a mutex that a thread of ours waits
 * for and will wait for for ever (vudb-mapd then replaces that worker),
 * before it touches any mutex; and it releases the locks and aborts the
 * transactions of one that died outside.
 */
#define THREADS		1024	/* threads of control expected at once */

/*
 * bdb_isalive - whether a thread that Berkeley DB recorded (as a holder
 * of a lock or mutex, or as inside the library) is alive.  This process's
 * threads are: one of them cannot die inside the library without the
 * process.  Another process is alive if it exists.  (A new process that
 * took a dead one's ID would pass for it, and its locks stay held until
 * it exits; with Linux's pid_max of 4194304 that does not happen within
 * the seconds it takes the next opener to look.)
 */
static int
bdb_isalive(DB_ENV *env, pid_t pid, db_threadid_t tid, u_int32_t flags)
{
	(void)env;
	(void)tid;
	(void)flags;
	if (pid == getpid())
		return 1;
	return kill(pid, 0) == 0 || errno != ESRCH;
}

/*
 * A full file system.  Berkeley DB maps its region files at their largest
 * size and grows them, and its log files, by writing their last byte: the
 * files are sparse, and the first touch of a page in a hole on a full
 * file system is a SIGBUS, not an error (vudb-mapd and vudbadm died of it;
 * a verify that filled the cache did, too, and left half-made regions
 * nobody could join).  Berkeley DB lets a process replace its write;
 * ours allocates every block up to the end of such a one-byte write
 * first, so the write fails with ENOSPC and Berkeley DB reports it (a
 * region that cannot grow is one that is full: the cache evicts, a new
 * environment fails to open).  Other writes are plain writes.
 *
 * An allocation that runs out of blocks half way leaves the file grown
 * to what it got (ext4 does; tmpfs gives it all back), zero-filled.  A
 * region file left so, never written, misled every later opener: the
 * first region, __db.001, read as a region of size 0 (mmap: EINVAL), and
 * no process could open the store after the disk had room again until a
 * recovery removed the regions.  So a failed allocation gives the file
 * its old size back.
 */
static ssize_t
bdb_write(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	struct stat before, after;
	size_t done = 0;
	ssize_t n;
	off_t off;
	int ret;

	if (len == 1 && (off = lseek(fd, 0, SEEK_CUR)) > 0 &&
	    fstat(fd, &before) == 0) {
		do
			ret = posix_fallocate(fd, 0, off + 1);
		while (ret == EINTR);
		/* a file system that cannot allocate ahead: as before */
		if (ret != 0 && ret != EOPNOTSUPP && ret != EINVAL) {
			if (fstat(fd, &after) == 0 &&
			    after.st_size > before.st_size)
				(void)ftruncate(fd, before.st_size);
			errno = ret;
			return -1;
		}
	}
	while (done < len) {
		if ((n = write(fd, p + done, len - done)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static pthread_once_t	 write_once = PTHREAD_ONCE_INIT;

static void
install_write(void)
{
	(void)db_env_set_func_write(bdb_write);
}

/* env_create - a configured, unopened environment handle, its regions
 * sized for a store of domains; failchk: with a thread table and
 * bdb_isalive */
static int
env_create(struct vudb_bectx *ctx, unsigned long long domains, int failchk,
    DB_ENV **env_r)
{
	unsigned long long cache, pages, handles;
	u_int32_t gb, b;
	DB_ENV *env;
	int ncache, ret;

	(void)pthread_once(&write_once, install_write);
	(void)pthread_once(&fence_once, fence_init);
	if ((ret = db_env_create(&env, 0)) != 0)
		return bdb_status(ctx, ret, "db_env_create");
	env->set_errcall(env, bdb_errcall);
	env->set_msgcall(env, bdb_msgcall);
	cache = vudb__ctx_setting_u64(ctx, "cache_size");
	if (cache < 1024 * 1024)
		cache = 1024 * 1024;
	(void)env->set_cachesize(env, (u_int32_t)(cache >> 30),
	    (u_int32_t)(cache & ((1ULL << 30) - 1)), 1);
	/* the cache as Berkeley DB makes it, in 4 KiB pages */
	if (env->get_cachesize(env, &gb, &b, &ncache) == 0)
		cache = ((unsigned long long)gb << 30) + b;
	if ((pages = cache / 4096) > 1000000)
		pages = 1000000;
	handles = handles_for(domains);
	(void)env->set_lk_max_lockers(env,
	    (u_int32_t)(handles + LOCKERS_SPARE));
	(void)env->set_lk_max_locks(env, (u_int32_t)(handles + LOCKS_SPARE));
	/* a lock object per file, whoever has it open */
	(void)env->set_lk_max_objects(env,
	    (u_int32_t)(handles / 2 + LOCKS_SPARE));
	(void)env->set_lg_regionmax(env, (u_int32_t)(256 * 1024 +
	    128 * handles));
	/* lockers' mutexes Berkeley DB counts itself, cache pages' too */
	(void)env->mutex_set_increment(env, (u_int32_t)(2 * handles +
	    2 * pages + MUTEXES_SPARE));
	(void)env->set_lk_detect(env, DB_LOCK_DEFAULT);
	(void)env->set_tx_max(env, 500);
	(void)env->set_lg_filemode(env, FILE_MODE);
	(void)env->set_lg_max(env, 16 * 1024 * 1024);
	(void)env->set_lg_bsize(env, 1024 * 1024);
	(void)env->log_set_config(env, DB_LOG_AUTO_REMOVE, 1);
	(void)env->set_flags(env, DB_TXN_SNAPSHOT, 1);
	if (failchk) {
		(void)env->set_thread_count(env, THREADS);
		(void)env->set_isalive(env, bdb_isalive);
	}
	*env_r = env;
	return VUDB_OK;
}

/*
 * Regions left half made.  The maker of a region finishes it within
 * milliseconds, so one that nobody could join for STALE_S is not being
 * made, and nobody can be using it.  Berkeley DB's own clean-up after a
 * make that failed for a full file system leaves an empty __db.001, which
 * every later opener failed to join after 18 s of retries ("unable to
 * join the environment"), vudbadm recover included, until it was removed
 * by hand.
 */
#define STALE_S		2
#define REGION_MIN	4096	/* a primary region is much larger */

/* regions_stale - whether __db.001 is left half made (small: empty, or
 * made and not finished) since STALE_S */
static int
regions_stale(const char *path, int small)
{
	char p[4096];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/__db.001", path);
	return stat(p, &sb) == 0 && time(NULL) - sb.st_mtime >= STALE_S &&
	    (!small || sb.st_size < REGION_MIN);
}

/* regions_empty - whether __db.001 is there and empty */
static int
regions_empty(const char *path)
{
	char p[4096];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/__db.001", path);
	return stat(p, &sb) == 0 && sb.st_size == 0;
}

/*
 * Opening the environment one process at a time.  Berkeley DB orders the
 * making of the regions only by O_EXCL on __db.001: a process that finds
 * a first region not finished (its maker is at work, failed, or was
 * killed half way) waits and looks again, after 3, 6 and 9 seconds,
 * before it gives up ("unable to join the environment").  A login, or a
 * vudb-mapd worker and every connection it serves, was silent for up to
 * 18 s so: the fault campaign saw readers silent for 5 s while the disk
 * was full and writers were being killed.  So our processes open the
 * environment under an exclusive lock of OPEN_LOCK, which a process that
 * dies lets go of.  Under it, no process of ours is making regions, and a
 * first region that lacks the mark its maker sets last was left half made
 * by one that is gone: it is removed at once, with the regions after it.
 *
 * An open takes milliseconds.  A holder that has been at it for
 * OPEN_SLOW_MS (its time stamp on the lock file says when it began) runs
 * a long recovery, or waits inside Berkeley DB for a mutex that a dead
 * process held, perhaps for ever: nobody waits for it, and the open goes
 * on without the lock, as it did before there was one (Berkeley DB's
 * register lets one process recover at a time).  Such an opener may make
 * regions while no holder looks, so it stamps OPEN_BYPASS first, and for
 * OPEN_BYPASS_MS after that, holders remove no regions.  An opener that
 * cannot open the lock file (a directory we may not write to) goes on
 * without it too, and leaves regions alone.  (Berkeley DB's own utilities
 * take no lock: they are for a store that no program uses.)
 */
#define OPEN_LOCK	".vudb-open.lock"
#define OPEN_BYPASS	".vudb-open.bypass"
#define OPEN_SLOW_MS	1000
#define OPEN_BYPASS_MS	10000
#define REGION_MAGIC	0x120897U	/* Berkeley DB 5.3's REGENV magic, at
					 * offset 0: the regions are made */

/* age_ms - how long ago sb's file was modified, in milliseconds */
static long long
age_ms(const struct stat *sb)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (long long)(ts.tv_sec - sb->st_mtim.tv_sec) * 1000 +
	    (ts.tv_nsec - sb->st_mtim.tv_nsec) / 1000000;
}

/* stamp - set path's modification time to now (made if need be) */
static void
stamp(const char *path)
{
	struct stat sb;
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, FILE_MODE)) ==
	    -1)
		return;
	if (fstat(fd, &sb) == 0 && sb.st_uid == geteuid() &&
	    (sb.st_mode & 0660) != 0660)
		(void)fchmod(fd, FILE_MODE);
	(void)futimens(fd, NULL);
	close(fd);
}

/*
 * open_lock - the lock of the store's openers, as a descriptor to close
 * after the open, or -1: none to be had (go on without).  *tidy_r: the
 * holder may remove regions left half made (no opener went without the
 * lock lately).
 */
static int
open_lock(const char *path, int *tidy_r)
{
	struct timespec pause = { 0, 2000000 };
	struct stat sb;
	char p[4096], bp[4096];
	uint64_t end;
	int fd, slow = 0;

	*tidy_r = 0;
	snprintf(p, sizeof(p), "%s/" OPEN_LOCK, path);
	snprintf(bp, sizeof(bp), "%s/" OPEN_BYPASS, path);
	if ((fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, FILE_MODE)) == -1)
		return -1;
	/* for the group's other users too, whatever the umask */
	if (fstat(fd, &sb) == 0 && sb.st_uid == geteuid() &&
	    (sb.st_mode & 0660) != 0660)
		(void)fchmod(fd, FILE_MODE);
	end = now_ms() + OPEN_SLOW_MS;
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			/* when this open began */
			if (futimens(fd, NULL) != 0)
				break;
			*tidy_r = !slow && (stat(bp, &sb) != 0 ||
			    age_ms(&sb) >= OPEN_BYPASS_MS);
			return fd;
		}
		if ((errno != EWOULDBLOCK && errno != EINTR) ||
		    fstat(fd, &sb) != 0)
			break;
		/* its holder began long ago: say so before going on
		 * without it, while it still holds the lock */
		if (age_ms(&sb) >= OPEN_SLOW_MS || now_ms() >= end) {
			if (slow)
				break;
			slow = 1;
			stamp(bp);
			continue;
		}
		slow = 0;
		nanosleep(&pause, NULL);
	}
	close(fd);
	return -1;
}

/* regions_unfinished - whether __db.001 is there without the mark of
 * finished regions (to be asked under open_lock) */
static int
regions_unfinished(const char *path)
{
	u_int32_t magic = 0;
	struct stat sb;
	char p[4096];
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "%s/__db.001", path);
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = pread(fd, &magic, sizeof(magic), 0);
	if (fstat(fd, &sb) != 0)
		sb.st_size = 0;
	close(fd);
	return sb.st_size < REGION_MIN || n != (ssize_t)sizeof(magic) ||
	    magic != REGION_MAGIC;
}

/* regions_unlink - remove the region files __db.0NN (nobody uses them) */
static void
regions_unlink(const char *path)
{
	struct dirent *de;
	char p[4096];
	DIR *d;

	if ((d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "__db.0", 6) != 0 ||
		    strspn(de->d_name + 6, "0123456789") !=
		    strlen(de->d_name + 6))
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
		(void)unlink(p);
	}
	closedir(d);
}

/*
 * regions_clear - remove regions left half made; whether they are gone.
 * Only regions that were never finished: nobody could join them, so
 * nobody had anything in them.  Finished ones that a process fails to
 * join stay: they were removed here once with DB_ENV->remove(DB_FORCE),
 * under every process that had them (whose uncommitted pages, flushed to
 * the domain files, no recovery then undid, for the next opener found
 * nobody dead in the register).  That is how a domain file could be left
 * with pages missing (DB_PAGE_NOTFOUND) while the disk was full.  They
 * are removed by name: Berkeley DB's removal would try to join them
 * first, for 18 s.
 */
static int
regions_clear(const char *path)
{
	char p[4096];
	struct stat sb;

	if (!regions_unfinished(path))
		return 0;
	regions_unlink(path);
	snprintf(p, sizeof(p), "%s/__db.001", path);
	return stat(p, &sb) != 0;
}

/* env_regions - note which files e's regions are (just opened) */
static void
env_regions(struct bdb_env *e)
{
	struct dirent *de;
	struct stat sb;
	char path[4096];
	DIR *d;

	e->nregs = 0;
	if ((d = opendir(e->path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL && e->nregs < REGIONS_MAX) {
		if (strncmp(de->d_name, "__db.0", 6) != 0 ||
		    strspn(de->d_name + 6, "0123456789") !=
		    strlen(de->d_name + 6))
			continue;
		snprintf(path, sizeof(path), "%s/%s", e->path, de->d_name);
		if (stat(path, &sb) == 0) {
			e->regs[e->nregs].dev = sb.st_dev;
			e->regs[e->nregs].ino = sb.st_ino;
			e->nregs++;
		}
	}
	closedir(d);
}

/*
 * env_unmap - give back the address space, memory and disk blocks of a
 * closed, dead environment: Berkeley DB's panic path keeps its regions
 * mapped, about 100 MB a panic, for as long as the process lives (and
 * the disk blocks of their files, removed by the recovery).  Only once
 * no thread can touch them: no handle calls into a dead environment, and
 * none is stuck inside it.
 */
static void
env_unmap(struct bdb_env *e)
{
	unsigned long start, end, ino;
	unsigned int maj, mnr;
	char line[4096];
	size_t i;
	FILE *fp;

	if (e->nregs == 0 || (fp = fopen("/proc/self/maps", "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (sscanf(line, "%lx-%lx %*s %*s %x:%x %lu", &start, &end,
		    &maj, &mnr, &ino) != 5 || ino == 0)
			continue;
		for (i = 0; i < e->nregs; i++)
			if (e->regs[i].ino == (ino_t)ino &&
			    major(e->regs[i].dev) == maj &&
			    minor(e->regs[i].dev) == mnr)
				(void)munmap((void *)start, end - start);
	}
	fclose(fp);
	e->nregs = 0;
}

/* env_unlist - new handles no longer share e (envs_lock held) */
static void
env_unlist(struct bdb_env *e)
{
	struct bdb_env **pp;

	for (pp = &envs; e->listed && *pp != NULL; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	e->listed = 0;
}

/*
 * env_busy - whether a thread other than self's is inside e; one inside
 * the same call for STUCK_MS is not counted, but noted in *stuck_r
 * (envs_lock held)
 */
static int
env_busy(struct bdb_env *e, struct bdb_store *self, int *stuck_r)
{
	struct bdb_store *s;
	unsigned long seq;
	uint64_t now = now_ms();
	int busy = 0;

	*stuck_r = 0;
	/* dead is set: every call from now on sees it, or shows in seq */
	heavy_fence();
	for (s = e->stores; s != NULL; s = s->snext) {
		if (s == self ||
		    ((seq = __atomic_load_n(&s->seq, __ATOMIC_SEQ_CST)) & 1) ==
		    0)
			continue;
		if (seq != s->seen_seq) {
			s->seen_seq = seq;
			s->seen_ms = now;
			busy = 1;
		} else if (now - s->seen_ms < STUCK_MS)
			busy = 1;
		else
			/* it waits for a process that died holding a lock,
			 * and will never come back */
			*stuck_r = 1;
	}
	return busy;
}

/*
 * env_retire - close the dead environment e for all of its handles, once
 * no other thread is inside it.  A call on a dead environment fails at
 * once, so that is a matter of microseconds, unless the thread inside was
 * preempted: it is waited for, rather than answering the caller's call
 * with a failure.  self, the caller's own handle, is not inside.
 * Berkeley DB's panic path closes it: it leaves the register and closes
 * its descriptors, but frees nothing that handles still point to; the
 * regions are unmapped here unless a thread is stuck inside.
 * (envs_lock held)
 */
static void
env_retire(struct bdb_env *e, struct bdb_store *self)
{
	struct timespec pause = { 0, 200000 };
	int stuck;

	if (e->closed)
		return;
	while (env_busy(e, self, &stuck))
		nanosleep(&pause, NULL);
	env_unlist(e);
	/* a dead environment that is not marked panicked (failchk found a
	 * process that died inside Berkeley DB) is now: every process
	 * leaves it, and the next opener recovers.  (No question asked
	 * first: asking takes a mutex, perhaps the dead process's.) */
	(void)e->env->set_flags(e->env, DB_PANIC_ENVIRONMENT, 1);
	(void)e->env->close(e->env, 0);
	lastmsg[0] = '\0';
	e->closed = 1;
	if (!stuck)
		env_unmap(e);
}

/*
 * env_get - the environment of a store directory: the one this process
 * has open, or a new one.  A panic that no call here has met yet (another
 * process ran recovery) makes a new one rather than sharing a dead one.
 * (envs_lock held)
 */
static int
env_get(struct vudb_bectx *ctx, const char *path, struct bdb_env **e_r)
{
	struct bdb_env *e;
	char *real;
	long long domains;
	u_int32_t oflags, lockers, fl;
	int ret, rc, failchk, stale = 0, lockfd, tidy;

	*e_r = NULL;
	if ((real = realpath(path, NULL)) == NULL)
		return vudb__ctx_seterr(ctx, VUDB_ENOSTORE, "%s: %s", path,
		    strerror(errno));
	for (e = envs; e != NULL; e = e->next)
		if (strcmp(e->path, real) == 0)
			break;
	if (e != NULL) {
		fl = 0;
		if (!__atomic_load_n(&e->dead, __ATOMIC_SEQ_CST) &&
		    (e->env->get_flags(e->env, &fl) == DB_RUNRECOVERY ||
		    (fl & DB_PANIC_ENVIRONMENT)))
			__atomic_store_n(&e->dead, 1, __ATOMIC_SEQ_CST);
		lastmsg[0] = '\0';
		if (!__atomic_load_n(&e->dead, __ATOMIC_SEQ_CST)) {
			free(real);
			*e_r = e;
			return VUDB_OK;
		}
		env_retire(e, NULL);
	}
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		free(real);
		return VUDB_ENOMEM;
	}
	e->path = real;
	/* a store from before COUNT_FILE, until a writer leaves one */
	if ((domains = count_read(e->path)) < 0)
		domains = (long long)count_domains(e->path);
	/*
	 * With DB_REGISTER, DB_RECOVER recovers only when a process died
	 * with the store open, or the environment panicked, and readers
	 * need it too: recovery cannot wait for the next writer.
	 */
	oflags = DB_CREATE | DB_INIT_TXN | DB_INIT_LOCK | DB_INIT_LOG |
	    DB_INIT_MPOOL | DB_REGISTER | DB_THREAD | DB_RECOVER;
	lockfd = open_lock(e->path, &tidy);
	/* regions left half made, which Berkeley DB would wait 18 s for */
	if (tidy || regions_stale(e->path, 1))
		(void)regions_clear(e->path);
	nospace = 0;
	for (failchk = 1;;) {
		if ((rc = env_create(ctx, (unsigned long long)domains, failchk,
		    &e->env)) != VUDB_OK)
			goto fail;
		e->env->app_private = e;
		(void)e->env->set_event_notify(e->env, bdb_event);
		ret = e->env->open(e->env, e->path, oflags, FILE_MODE);
		if (ret == 0) {
			e->failchk = failchk;
			break;
		}
		/* regions made by an earlier version have no thread table,
		 * and Berkeley DB adds none to regions in use: without one
		 * (and vudb_check) until they are made again */
		if (failchk && ret == EINVAL &&
		    strstr(lastmsg, "thread table") != NULL) {
			lastmsg[0] = '\0';
			(void)e->env->close(e->env, 0);
			e->env = NULL;
			failchk = 0;
			continue;
		}
		/* regions left half made: once more, after their removal
		 * (under the lock at once, else once they are STALE_S old;
		 * finished ones are never removed here: regions_clear) */
		if ((ret == EAGAIN || ret == DB_RUNRECOVERY) && !stale &&
		    strstr(lastmsg, "unable to join") != NULL &&
		    (tidy || regions_stale(e->path, 0)) &&
		    regions_clear(e->path)) {
			stale = 1;
			(void)e->env->close(e->env, 0);
			e->env = NULL;
			continue;
		}
		/* this open made __db.001 (O_EXCL) and failed to grow it
		 * for want of space: it leaves it empty, for the next opener
		 * to wait for */
		if (nospace && regions_empty(e->path))
			(void)regions_clear(e->path);
		if (ret == EROFS) {
			lastmsg[0] = '\0';
			rc = vudb__ctx_seterr(ctx, VUDB_ERDONLY,
			    "bdb: %s: the store "
			    "is on a read-only file system: Berkeley DB writes "
			    "its region files (__db.*) to read as well, so "
			    "neither lookups nor changes work until it is "
			    "writable again", e->path);
		} else
			rc = bdb_status(ctx, ret, "open environment");
		goto fail;
	}
	/* a panic met while opening is not this one's */
	__atomic_store_n(&e->dead, 0, __ATOMIC_SEQ_CST);
	env_regions(e);
	/* the regions' size: ours if this open made them, else the maker's
	 * (Berkeley DB reads the limits back from the regions once open) */
	if (e->env->get_lk_max_lockers(e->env, &lockers) == 0 &&
	    lockers > LOCKERS_SPARE)
		e->handles = lockers - LOCKERS_SPARE;
	else
		e->handles = ~0ULL;	/* no limit: not made by us */
	if (lockfd != -1)
		close(lockfd);
	e->listed = 1;
	e->next = envs;
	envs = e;
	*e_r = e;
	return VUDB_OK;
fail:
	if (e->env != NULL)
		e->env->close(e->env, 0);
	if (lockfd != -1)
		close(lockfd);
	free(e->path);
	free(e);
	return rc;
}

/* store_link - st uses e (envs_lock held) */
static void
store_link(struct bdb_store *st, struct bdb_env *e)
{
	st->shared = e;
	st->env = e->env;
	st->snext = e->stores;
	e->stores = st;
	e->refs++;
}

/*
 * store_unlink - st lets go of its environment; returns the environment
 * if st was the last handle on it, for the caller to close and free with
 * env_free (envs_lock held)
 */
static struct bdb_env *
store_unlink(struct bdb_store *st)
{
	struct bdb_env *e = st->shared;
	struct bdb_store **pp;

	if (e == NULL)
		return NULL;
	for (pp = &e->stores; *pp != NULL; pp = &(*pp)->snext)
		if (*pp == st) {
			*pp = st->snext;
			break;
		}
	st->shared = NULL;
	st->env = NULL;
	st->snext = NULL;
	if (--e->refs > 0)
		return NULL;
	env_unlist(e);
	return e;
}

/* env_free - close (unless retired) and free an environment no handle
 * uses (envs_lock held: a new open waits for the close) */
static void
env_free(struct bdb_env *e)
{
	if (!e->closed) {
		(void)e->env->close(e->env, 0);
		/* a dead one's regions stay mapped (no thread is inside) */
		if (__atomic_load_n(&e->dead, __ATOMIC_SEQ_CST))
			env_unmap(e);
	}
	lastmsg[0] = '\0';
	free(e->path);
	free(e);
}

/*
 * regions_remove - remove the environment's regions, which no process of
 * ours has open any more, unless another process has them open: Berkeley
 * DB then refuses (EBUSY), and a process joining meanwhile finds them
 * poisoned and reopens.  The next opener makes them anew.  Returns the
 * native code.
 */
static int
regions_remove(const char *path)
{
	DB_ENV *env;
	int ret;

	if ((ret = db_env_create(&env, 0)) != 0)
		return ret;
	env->set_errcall(env, bdb_errcall);
	env->set_msgcall(env, bdb_msgcall);
	/* DB_ENV->remove destroys the handle */
	ret = env->remove(env, path, 0);
	lastmsg[0] = '\0';
	return ret;
}

/* ------------------------------------------------------------ builds */

/* sync_path - make a file's contents (a directory's entries) durable */
static int
sync_path(struct vudb_bectx *ctx, const char *path, int oflags)
{
	int fd, rc = VUDB_OK;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | oflags)) == -1 ||
	    fsync(fd) != 0)
		rc = vudb__ctx_seterr(ctx, VUDB_ETEMP, "%s: %s", path,
		    strerror(errno));
	if (fd != -1)
		close(fd);
	return rc;
}

/*
 * publish - give finished builds their names, after their contents are on
 * disk (one flush of the file system for all of them where the system has
 * one): a domain never appears with pages missing.  A name taken meanwhile
 * (another process made the domain) is an error, and that build is
 * dropped.  Returns the first failure.
 */
static int
publish(struct vudb_bectx *ctx, struct bdb_store *st, struct bdb_build **b,
    size_t n)
{
	char dir[4096], first[VUDB_BE_ERRMAX];
	size_t i, failed = 0;
	int fd, r, rc = VUDB_OK, synced = 0;

	if (n == 0)
		return VUDB_OK;
	snprintf(dir, sizeof(dir), "%s/domains", st->root);
#ifdef HAVE_SYNCFS
	if (n > 1 && (fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) !=
	    -1) {
		synced = syncfs(fd) == 0;
		close(fd);
	}
#else
	(void)fd;
#endif
	/* each build on its own: one failure does not drop the others */
	for (i = 0; i < n; i++) {
		r = synced ? VUDB_OK : sync_path(ctx, b[i]->tmp, 0);
		if (r == VUDB_OK && link(b[i]->tmp, b[i]->final) == 0)
			st->doms_changed = 1;
		else if (r == VUDB_OK)
			r = vudb__ctx_seterr(ctx, errno
			    == EEXIST ? VUDB_EEXIST :
			    VUDB_ETEMP, "%s: %s", b[i]->domain,
			    errno == EEXIST ? "made by another process "
			    "meanwhile; this one was dropped" :
			    strerror(errno));
		if (r != VUDB_OK && failed++ == 0) {
			rc = r;
			snprintf(first, sizeof(first), "%s",
			    vudb__ctx_errmsg(ctx));
		}
		(void)unlink(b[i]->tmp);
		free(b[i]);
	}
	r = sync_path(ctx, dir, O_DIRECTORY);
	if (failed > 1)
		return vudb__ctx_seterr(ctx, rc, "%zu of %zu new domains not "
		    "published; the first: %s", failed, n, first);
	if (failed == 1)
		return vudb__ctx_seterr(ctx, rc, "%s", first);
	return r;
}

/* publish_pending - publish every build waiting for VUDB_BULK's sync */
static int
publish_pending(struct vudb_bectx *ctx, struct bdb_store *st)
{
	size_t n = st->npending;

	st->npending = 0;
	return publish(ctx, st, st->pending, n);
}

/*
 * Berkeley DB flushes a new file twice while making it.  A build's file
 * is out of sight until publish() has flushed it, so those flushes only
 * cost time (they were half of an import).  Berkeley DB lets a process
 * replace its fsync; ours skips it only for the thread inside a build
 * and otherwise does what Berkeley DB would.
 */
static _Thread_local int	 in_build;
static pthread_once_t		 fsync_once = PTHREAD_ONCE_INIT;

static int
build_fsync(int fd)
{
	if (in_build)
		return 0;
#ifdef HAVE_FDATASYNC
	return fdatasync(fd);
#else
	return fsync(fd);
#endif
}

static void
install_fsync(void)
{
	(void)db_env_set_func_fsync(build_fsync);
}

static int
bdb_build_begin(struct vudb_bectx *ctx, void *vst, const char *domain,
    void **h_r,
    void **txn_r)
{
	struct bdb_store *st = vst;
	struct bdb_build *b;
	struct stat sb;
	DB *dbp;
	int ret;

	*h_r = *txn_r = NULL;
	if (st->build != NULL)
		return vudb__ctx_seterr(ctx, VUDB_EINVAL, "a build is open");
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return VUDB_ENOMEM;
	snprintf(b->domain, sizeof(b->domain), "%s", domain);
	snprintf(b->final, sizeof(b->final), "%s/domains/%s.db", st->root,
	    domain);
	snprintf(b->tmp, sizeof(b->tmp), "%s/domains/" BUILD_PREFIX "%ld.%u.%s",
	    st->root, (long)getpid(), __atomic_add_fetch(&build_seq, 1,
	    __ATOMIC_RELAXED), domain);
	if (stat(b->final, &sb) == 0) {
		free(b);
		return VUDB_EEXIST;
	}
	(void)unlink(b->tmp);
	(void)pthread_once(&fsync_once, install_fsync);
	if ((ret = db_create(&dbp, NULL, 0)) != 0) {
		free(b);
		return bdb_status(ctx, ret, "db_create");
	}
	dbp->set_errcall(dbp, bdb_errcall);
	(void)dbp->set_flags(dbp, DB_CHKSUM);
	(void)dbp->set_cachesize(dbp, 0, 8 * 1024 * 1024, 1);
	in_build = 1;
	ret = dbp->open(dbp, NULL, b->tmp, NULL, DB_BTREE, DB_CREATE | DB_EXCL,
	    FILE_MODE);
	in_build = 0;
	if (ret != 0) {
		dbp->close(dbp, DB_NOSYNC);
		(void)unlink(b->tmp);
		free(b);
		return bdb_status(ctx, ret, domain);
	}
	if (stat(b->tmp, &sb) == 0 && sb.st_uid == geteuid() &&
	    (sb.st_mode & 0660) != 0660)
		(void)chmod(b->tmp, FILE_MODE);
	b->dbp = dbp;
	b->w.dbp = dbp;
	b->w.st = NULL;
	b->w.e = NULL;
	st->build = b;
	*h_r = &b->w;
	*txn_r = b;
	return VUDB_OK;
}

static int
bdb_build_end(struct vudb_bectx *ctx, void *vst, void *txn, int commit)
{
	struct bdb_store *st = vst;
	struct bdb_build *b = txn;
	DB_ENV *penv;
	int ret, wrote, rc;

	st->build = NULL;
	if (!commit) {
		in_build = 1;
		b->dbp->close(b->dbp, DB_NOSYNC);
		in_build = 0;
		(void)unlink(b->tmp);
		free(b);
		return VUDB_OK;
	}
	/* write the pages without waiting for the disk: publish flushes
	 * the file (under VUDB_BULK, many files at once) */
	penv = b->dbp->get_env(b->dbp);
	in_build = 1;
	ret = penv->memp_trickle(penv, 100, &wrote);
	if (ret == 0)
		ret = b->dbp->close(b->dbp, DB_NOSYNC);
	else
		(void)b->dbp->close(b->dbp, DB_NOSYNC);
	in_build = 0;
	b->dbp = NULL;
	if (ret != 0) {
		rc = bdb_status(ctx, ret, b->domain);
		(void)unlink(b->tmp);
		free(b);
		return rc;
	}
	if (!(st->flags & VUDB_BULK))
		return publish(ctx, st, &b, 1);
	st->pending[st->npending++] = b;
	return st->npending == PENDING_MAX ? publish_pending(ctx, st) : VUDB_OK;
}

/* bdb_sync - under VUDB_BULK: the log on disk, every build published */
static int
bdb_sync(struct vudb_bectx *ctx, void *vst)
{
	struct bdb_store *st = vst;
	int ret, rc;

	rc = publish_pending(ctx, st);
	if (!st_in(st, st->shared))
		return rc != VUDB_OK ? rc : st_enter(ctx, st, st->shared);
	ret = st->env->log_flush(st->env, NULL);
	st_leave(st);
	if (ret != 0 && rc == VUDB_OK)
		rc = bdb_status(ctx, ret, "log flush");
	return rc;
}

/* clean_builds - remove what dead processes' unfinished builds left */
static void
clean_builds(const char *root)
{
	struct dirent *de;
	char path[4096], *end;
	const char *name;
	long pid;
	DIR *d;

	snprintf(path, sizeof(path), "%s/domains", root);
	if ((d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		/* Berkeley DB makes a file as __db.NAME, then renames it */
		name = de->d_name;
		if (strncmp(name, "__db.", 5) == 0)
			name += 5;
		if (strncmp(name, BUILD_PREFIX, strlen(BUILD_PREFIX)) != 0)
			continue;
		pid = strtol(name + strlen(BUILD_PREFIX), &end, 10);
		if (pid <= 0 || *end != '.' ||
		    (kill((pid_t)pid, 0) != 0 && errno == ESRCH)) {
			snprintf(path, sizeof(path), "%s/domains/%s", root,
			    de->d_name);
			(void)unlink(path);
		}
	}
	closedir(d);
}

/*
 * env_anew - VUDB_RECOVER: run recovery if a process died, then remove
 * the environment's regions, so that the next open makes them with the
 * current settings and domain count (Berkeley DB sizes its cache,
 * mutexes and locks only when it makes them).  Refused while any other
 * handle or process has the environment open.
 */
static int
env_anew(struct vudb_bectx *ctx, const char *path)
{
	struct bdb_env *e;
	int ret, rc;

	pthread_mutex_lock(&envs_lock);
	if ((rc = env_get(ctx, path, &e)) != VUDB_OK) {
		pthread_mutex_unlock(&envs_lock);
		return rc;
	}
	if (e->refs > 0) {
		pthread_mutex_unlock(&envs_lock);
		return vudb__ctx_seterr(ctx, VUDB_ETEMP,
		    "%s: the store is open in "
		    "this process", path);
	}
	env_unlist(e);
	env_free(e);
	/* the regions to come are sized for the domains there are now */
	count_write(path, count_domains(path));
	ret = regions_remove(path);
	pthread_mutex_unlock(&envs_lock);
	if (ret == EBUSY)
		return vudb__ctx_seterr(ctx, VUDB_ETEMP,
		    "%s: the store is in use: "
		    "stop every program that uses it, then try again", path);
	if (ret != 0)
		return bdb_status(ctx, ret, "remove the environment");
	return VUDB_OK;
}

static int
bdb_store_open(struct vudb_bectx *ctx, const char *path, int flags, void **st_r)
{
	struct bdb_store *st;
	struct bdb_env *e;
	char dpath[4096];
	int major, minor, rc;

	*st_r = NULL;
	lastmsg[0] = '\0';
	(void)db_version(&major, &minor, NULL);
	if (major != DB_VERSION_MAJOR || minor != DB_VERSION_MINOR)
		return vudb__ctx_seterr(ctx, VUDB_EVERSION,
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
	if ((flags & VUDB_RECOVER) && (rc = env_anew(ctx, path)) != VUDB_OK) {
		free(st->root);
		free(st);
		return rc;
	}
	if (envs_lock_for() != 0)
		rc = vudb__ctx_seterr(ctx, VUDB_ETEMP, "bdb: %s: %s", path,
		    LOCK_STUCK);
	else {
		if ((rc = env_get(ctx, path, &e)) == VUDB_OK)
			store_link(st, e);
		pthread_mutex_unlock(&envs_lock);
	}
	/* a reader asked for no change: for it, a read-only file system is
	 * a failure to read (TEMP, as every failure of a lookup) */
	if (rc == VUDB_ERDONLY && (flags & VUDB_RDONLY)) {
		char why[512];

		snprintf(why, sizeof(why), "%s", vudb__ctx_errmsg(ctx));
		rc = vudb__ctx_seterr(ctx, VUDB_ETEMP, "%s", why);
	}
	if (rc != VUDB_OK) {
		free(st->root);
		free(st);
		return rc;
	}
	if (!(flags & VUDB_RDONLY)) {
		fix_modes(path);
		clean_builds(path);
	} else if (!group_region(path))
		/* this reader ran recovery, which made the regions anew:
		 * one look per open, a login included, then the whole fix */
		fix_modes(path);
	*st_r = st;
	return VUDB_OK;
}

static void
bdb_store_close(struct vudb_bectx *ctx, void *vst)
{
	struct bdb_store *st = vst;
	struct bdb_env *e;
	unsigned long long domains = 0;
	int misfit;

	(void)ctx;
	if (st == NULL)
		return;
	if (st->npending > 0 && publish_pending(ctx, st) != VUDB_OK)
		vudb__ctx_log(ctx, VUDB_LOG_ERR, "%s", vudb__ctx_errmsg(ctx));
	misfit = 0;
	/* outside envs_lock: Berkeley DB may keep a thread here for ever */
	if ((e = st->shared) != NULL && !(st->flags & VUDB_RDONLY) &&
	    st_in(st, e)) {
		(void)st->env->txn_checkpoint(st->env, 0, 0, 0);
		if (st->wenv == st->env)
			(void)st->env->lock_id_free(st->env, st->wlocker);
		st_leave(st);
		domains = store_domains(st);
		misfit = !regions_fit(e->handles, domains);
	}
	pthread_mutex_lock(&envs_lock);
	if ((e = st->shared) != NULL) {
		if (misfit) {
			e->misfit = 1;
			e->misfit_domains = domains;
		}
		misfit = e->misfit;
		domains = e->misfit_domains;
		/* the last to leave (a writer, or a reader such as vudbadm's
		 * watchdog that stayed longer) makes way for regions that
		 * suit */
		if ((e = store_unlink(st)) != NULL) {
			env_free(e);
			if (misfit && regions_remove(st->root) == 0)
				vudb__ctx_log(ctx, VUDB_LOG_INFO,
				    "bdb: %s: the "
				    "shared regions were removed: the next "
				    "opener makes them for %llu domains",
				    st->root, domains);
		}
	}
	pthread_mutex_unlock(&envs_lock);
	free(st->root);
	free(st);
}

static int
is_pending(const struct bdb_store *st, const char *domain)
{
	size_t i;

	for (i = 0; i < st->npending; i++)
		if (strcmp(st->pending[i]->domain, domain) == 0)
			return 1;
	return 0;
}

static void
dom_file(char *buf, size_t size, const char *domain)
{
	snprintf(buf, size, "domains/%s.db", domain);
}

/* dom_db - the core's handle of an environment's database */
static int
dom_db(struct bdb_store *st, DB *dbp, void **h_r)
{
	struct bdb_db *w;

	if ((w = malloc(sizeof(*w))) == NULL)
		return VUDB_ENOMEM;
	w->dbp = dbp;
	w->st = st;
	w->e = st->shared;
	*h_r = w;
	return VUDB_OK;
}

/* dom_open_in - bdb_dom_open inside the environment */
static int
dom_open_in(struct vudb_bectx *ctx, struct bdb_store *st, const char *file,
    int flags, DB **dbp_r)
{
	u_int32_t oflags;
	DB_TXN *txn;
	DB *dbp;
	int ret;

	*dbp_r = NULL;
	if ((ret = db_create(&dbp, st->env, 0)) != 0)
		return bdb_status(ctx, ret, "db_create");
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
			return bdb_status(ctx, ret, "txn_begin");
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
			vudb__ctx_seterr(ctx, VUDB_ECORRUPT,
			    "bdb: %s: not a valid database file (%s)", file,
			    lastmsg);
			lastmsg[0] = '\0';
			return VUDB_ECORRUPT;
		}
		return bdb_status(ctx, ret, file);
	}
	*dbp_r = dbp;
	return VUDB_OK;
}

static int
bdb_dom_open(struct vudb_bectx *ctx, void *vst, const char *domain, int flags,
    void **h_r)
{
	struct bdb_store *st = vst;
	struct stat sb;
	char file[VUDB_BE_DOMAIN_MAX + 16], path[4096], marker[4200];
	DB *dbp;
	int rc;

	*h_r = NULL;
	dom_file(file, sizeof(file), domain);
	snprintf(path, sizeof(path), "%s/%s", st->root, file);
	if (!(flags & VUDB_CREATE) && stat(path, &sb) != 0) {
		if (errno == ENOENT && st->npending > 0 &&
		    is_pending(st, domain)) {
			/* built by this handle, not published yet */
			if ((rc = publish_pending(ctx, st)) != VUDB_OK)
				return rc;
			return bdb_dom_open(ctx, vst, domain, flags, h_r);
		}
		if (errno == ENOENT)
			return VUDB_ENOTFOUND;
		return vudb__ctx_seterr(ctx, VUDB_ETEMP, "%s: %s", path,
		    strerror(errno));
	}
	snprintf(marker, sizeof(marker), "%s%s", path, DAMAGED_SUFFIX);
	if (still_damaged(path, marker))
		return vudb__ctx_seterr(ctx, VUDB_ECORRUPT,
		    "bdb: %s: the file is "
		    "quarantined as damaged: restore it (or remove %s)", file,
		    marker);
	if ((rc = st_enter(ctx, st, st->shared)) != VUDB_OK)
		return rc;
	rc = dom_open_in(ctx, st, file, flags, &dbp);
	if (rc == VUDB_OK && (rc = dom_db(st, dbp, h_r)) != VUDB_OK)
		dbp->close(dbp, DB_NOSYNC);
	st_leave(st);
	if (rc != VUDB_OK)
		return rc;
	if (flags & VUDB_CREATE)
		st->doms_changed = 1;
	if ((flags & VUDB_CREATE) && stat(path, &sb) == 0 &&
	    sb.st_uid == geteuid() && (sb.st_mode & 0660) != 0660)
		(void)chmod(path, FILE_MODE);
	return VUDB_OK;
}

/*
 * bdb_dom_close - close a database; one of a dead environment is left as
 * it is (another thread may have closed the environment under it)
 */
static void
bdb_dom_close(struct vudb_bectx *ctx, void *vst, void *h)
{
	struct bdb_db *w = h;

	(void)ctx;
	(void)vst;
	if (w == NULL)
		return;
	/* the log makes every commit durable: no need to flush the file */
	if (st_in(w->st, w->e)) {
		w->dbp->close(w->dbp, DB_NOSYNC);
		st_leave(w->st);
	}
	free(w);
}

static int
bdb_dom_remove(struct vudb_bectx *ctx, void *vst, const char *domain)
{
	struct bdb_store *st = vst;
	char file[VUDB_BE_DOMAIN_MAX + 16];
	DB_TXN *txn;
	int ret, rc;

	dom_file(file, sizeof(file), domain);
	if ((rc = st_enter(ctx, st, st->shared)) != VUDB_OK)
		return rc;
	/* Another handle that holds the file open makes this fail at once. */
	if ((ret = st->env->txn_begin(st->env, NULL, &txn,
	    DB_TXN_NOWAIT)) != 0) {
		st_leave(st);
		return bdb_status(ctx, ret, "txn_begin");
	}
	ret = st->env->dbremove(st->env, txn, file, NULL, 0);
	if (ret != 0) {
		txn->abort(txn);
		st_leave(st);
		return bdb_status(ctx, ret, file);
	}
	ret = txn->commit(txn, 0);
	st_leave(st);
	if (ret != 0)
		return bdb_status(ctx, ret, "commit");
	st->doms_changed = 1;
	return VUDB_OK;
}

static int
bdb_dom_list(struct vudb_bectx *ctx, void *vst, vudb_name_cb cb, void *arg)
{
	struct bdb_store *st = vst;

	return vudb__files_list(ctx, st->root, DOMAIN_SUFFIX, cb, arg);
}

/* bdb_probe - whether a store directory holds Berkeley DB domains */
static int
bdb_probe(const char *path)
{
	return vudb__files_probe(path, DOMAIN_SUFFIX);
}

static int
bdb_dom_size(struct vudb_bectx *ctx, void *vst, const char *domain,
    unsigned long long *bytes_r)
{
	struct bdb_store *st = vst;

	return vudb__files_dom_size(ctx, st->root, domain, DOMAIN_SUFFIX,
	    bytes_r);
}

/* bdb_store_size - the domain files, the environment's regions and its
 * transaction logs */
static int
bdb_store_size(struct vudb_bectx *ctx, void *vst, unsigned long long *bytes_r)
{
	struct bdb_store *st = vst;

	return vudb__files_store_size(ctx, st->root, bytes_r);
}

/*
 * bdb_setting_note - Berkeley DB sizes its shared regions (the cache
 * among them) when the environment is made, and every process joins them
 * as they are.
 */
static const char *
bdb_setting_note(const char *name)
{
	if (strcmp(name, "cache_size") == 0)
		return "Berkeley DB takes the new size when its environment is "
		    "made anew: stop the programs that use the store and run "
		    "\"vudbadm recover\"";
	return NULL;
}

/* db_enter - a record operation on w begins (a build's: nothing to do) */
static inline int
db_enter(struct vudb_bectx *ctx, struct bdb_db *w)
{
	return w->st == NULL ? VUDB_OK : st_enter(ctx, w->st, w->e);
}

static inline void
db_leave(struct bdb_db *w)
{
	if (w->st != NULL)
		st_leave(w->st);
}

static int
bdb_get(struct vudb_bectx *ctx, void *h, void *txn, const void *key,
    size_t klen,
    struct vudb_buf *val)
{
	struct bdb_db *w = h;
	DB *dbp = w->dbp;
	DBT k, v;
	int ret, rc;

	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)key;
	k.size = (u_int32_t)klen;
	if (val->cap == 0 && vudb__buf_reserve(val, 512) != VUDB_OK)
		return VUDB_ENOMEM;
	v.flags = DB_DBT_USERMEM;
	v.data = val->data;
	v.ulen = (u_int32_t)val->cap;
	if ((rc = db_enter(ctx, w)) != VUDB_OK)
		return rc;
	ret = dbp->get(dbp, TXN(w, txn), &k, &v, 0);
	if (ret == DB_BUFFER_SMALL) {
		if (vudb__buf_reserve(val, v.size) != VUDB_OK) {
			db_leave(w);
			return VUDB_ENOMEM;
		}
		v.data = val->data;
		v.ulen = (u_int32_t)val->cap;
		ret = dbp->get(dbp, TXN(w, txn), &k, &v, 0);
	}
	if (ret != 0) {
		rc = bdb_fail(ctx, w, ret, "get");
		db_leave(w);
		return rc;
	}
	db_leave(w);
	val->len = v.size;
	return VUDB_OK;
}

static int
bdb_put(struct vudb_bectx *ctx, void *h, void *txn, const void *key,
    size_t klen,
    const void *val, size_t vlen, int flags)
{
	struct bdb_db *w = h;
	DB *dbp = w->dbp;
	DBT k, v;
	int ret, rc;

	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)key;
	k.size = (u_int32_t)klen;
	v.data = (void *)val;
	v.size = (u_int32_t)vlen;
	if ((rc = db_enter(ctx, w)) != VUDB_OK)
		return rc;
	ret = dbp->put(dbp, TXN(w, txn), &k, &v, (flags & VUDB_PUT_NEW) ?
	    DB_NOOVERWRITE : 0);
	if (ret == DB_KEYEXIST)
		rc = VUDB_EEXIST;
	else if (ret != 0)
		rc = bdb_fail(ctx, w, ret, "put");
	db_leave(w);
	return rc;
}

static int
bdb_del(struct vudb_bectx *ctx, void *h, void *txn, const void *key,
    size_t klen)
{
	struct bdb_db *w = h;
	DB *dbp = w->dbp;
	DBT k;
	int ret, rc;

	memset(&k, 0, sizeof(k));
	k.data = (void *)key;
	k.size = (u_int32_t)klen;
	if ((rc = db_enter(ctx, w)) != VUDB_OK)
		return rc;
	if ((ret = dbp->del(dbp, TXN(w, txn), &k, 0)) != 0)
		rc = bdb_fail(ctx, w, ret, "del");
	db_leave(w);
	return rc;
}

static int
bdb_iter(struct vudb_bectx *ctx, void *h, void *txn, const void *prefix,
    size_t plen, vudb_iter_cb cb, void *arg)
{
	struct bdb_db *w = h;
	DB *dbp = w->dbp;
	DBC *c;
	DBT k, v;
	u_int32_t op = DB_SET_RANGE;
	int ret, rc = VUDB_OK;

	if ((rc = db_enter(ctx, w)) != VUDB_OK)
		return rc;
	if ((ret = dbp->cursor(dbp, TXN(w, txn), &c, 0)) != 0) {
		rc = bdb_fail(ctx, w, ret, "cursor");
		db_leave(w);
		return rc;
	}
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
			rc = bdb_fail(ctx, w, ret, "cursor get");
			break;
		}
		if (k.size < plen || memcmp(k.data, prefix, plen) != 0)
			break;
		if ((rc = cb(arg, k.data, k.size, v.data, v.size)) != 0)
			break;
	}
	c->close(c);
	db_leave(w);
	return rc;
}

/*
 * The writer lock.  Transactions are snapshot transactions (the
 * environment's DB_TXN_SNAPSHOT, so that readers never wait), and two of
 * them that change the same page crash Berkeley DB 5.3: the second one's
 * put fails its update-conflict check in __bam_get_root, which then
 * passes a NULL page to __memp_fput (SIGSEGV; the other writers then wait
 * for ever on what it held).  So writers take turns, as LMDB's do: each
 * transaction of bdb_begin holds a lock of the store's lock table, on one
 * name, from before its snapshot is taken until it ends, and no two
 * snapshot transactions ever change a page concurrently.  Readers take no
 * part.  A writer that dies holding it is one that died with a
 * transaction open, which failchk or recovery clears (vudb_check).
 */
static const char WRITER_LOCK[] = "vudb-writer";

/* writer_lock - take the writer lock for st, waiting for its holder */
static int
writer_lock(struct vudb_bectx *ctx, struct bdb_store *st)
{
	DBT obj;
	int ret;

	if (st->wenv != st->env) {
		/* a new environment: the old locker went with the old one */
		if ((ret = st->env->lock_id(st->env, &st->wlocker)) != 0)
			return bdb_status(ctx, ret, "lock_id");
		st->wenv = st->env;
	}
	memset(&obj, 0, sizeof(obj));
	obj.data = (void *)WRITER_LOCK;
	obj.size = sizeof(WRITER_LOCK) - 1;
	if ((ret = st->env->lock_get(st->env, st->wlocker, 0, &obj,
	    DB_LOCK_WRITE, &st->wlock)) != 0)
		return bdb_status(ctx, ret, "lock_get");
	st->wheld = 1;
	return VUDB_OK;
}

/* writer_unlock - let the next writer go (inside st_enter) */
static void
writer_unlock(struct bdb_store *st)
{
	if (!st->wheld)
		return;
	st->wheld = 0;
	if (st->wenv == st->env)
		(void)st->env->lock_put(st->env, &st->wlock);
}

static int
bdb_begin(struct vudb_bectx *ctx, void *vst, void **txn_r)
{
	struct bdb_store *st = vst;
	DB_TXN *txn;
	int ret, rc;

	*txn_r = NULL;
	if ((rc = st_enter(ctx, st, st->shared)) != VUDB_OK)
		return rc;
	if ((rc = writer_lock(ctx, st)) != VUDB_OK) {
		st_leave(st);
		return rc;
	}
	if ((ret = st->env->txn_begin(st->env, NULL, &txn, 0)) != 0)
		writer_unlock(st);
	st_leave(st);
	if (ret != 0)
		return bdb_status(ctx, ret, "txn_begin");
	*txn_r = txn;
	return VUDB_OK;
}

static int
bdb_commit(struct vudb_bectx *ctx, void *vst, void *vtxn)
{
	struct bdb_store *st = vst;
	DB_TXN *txn = vtxn;
	int ret, rc;

	/* a dead environment's transaction is left as it is */
	if ((rc = st_enter(ctx, st, st->shared)) != VUDB_OK) {
		st->wheld = 0;
		return rc;
	}
	/* VUDB_BULK: the log reaches the disk at bdb_sync */
	ret = txn->commit(txn, (st->flags & VUDB_BULK) ? DB_TXN_NOSYNC : 0);
	writer_unlock(st);
	if (ret != 0) {
		st_leave(st);
		return bdb_status(ctx, ret, "commit");
	}
	/* Cheap unless 4 MiB of log or 5 minutes have passed. */
	(void)st->env->txn_checkpoint(st->env, 4096, 5, 0);
	st_leave(st);
	return VUDB_OK;
}

static void
bdb_abort(struct vudb_bectx *ctx, void *vst, void *vtxn)
{
	struct bdb_store *st = vst;
	DB_TXN *txn = vtxn;

	(void)ctx;
	/* a dead environment's transaction is left as it is */
	if (!st_in(st, st->shared)) {
		st->wheld = 0;
		return;
	}
	(void)txn->abort(txn);
	writer_unlock(st);
	st_leave(st);
}

/* bdb_alive - whether the environment is still usable */
static int
bdb_alive(struct vudb_bectx *ctx, void *vst)
{
	struct bdb_store *st = vst;
	int dead;

	(void)ctx;
	if (st->shared == NULL)
		return 0;
	/* on every call: a plain atomic load, no lock */
	dead = __atomic_load_n(&st->shared->dead, __ATOMIC_ACQUIRE);
	return !dead;
}

/*
 * bdb_reopen - after a panic (a damaged page, or recovery run by another
 * process): leave the dead environment, closing it for every handle of
 * the process if no other thread is inside it, and take the new one (made
 * by the first handle here to get to it, with recovery if needed).  The
 * core has closed this handle's databases.  After a failure, the next
 * try waits RETRY_MS.
 */
static int
bdb_reopen(struct vudb_bectx *ctx, void *vst)
{
	struct bdb_store *st = vst;
	struct bdb_env *e;
	uint64_t now = now_ms();
	int rc;

	if (now < st->retry_ms)
		return vudb__ctx_seterr(ctx, VUDB_ETEMP,
		    "bdb: %s: the environment "
		    "could not be opened; trying again shortly", st->root);
	if (envs_lock_for() != 0)
		return vudb__ctx_seterr(ctx, VUDB_ETEMP, "bdb: %s: %s",
		    st->root,
		    LOCK_STUCK);
	if ((e = st->shared) != NULL) {
		env_retire(e, st);
		if ((e = store_unlink(st)) != NULL)
			env_free(e);
	}
	if ((rc = env_get(ctx, st->root, &e)) == VUDB_OK)
		store_link(st, e);
	pthread_mutex_unlock(&envs_lock);
	if (rc != VUDB_OK) {
		st->retry_ms = now + RETRY_MS;
		return rc;
	}
	st->retry_ms = 0;
	vudb__ctx_log(ctx, VUDB_LOG_WARNING,
	    "bdb: %s: environment reopened after "
	    "a failure", st->root);
	return VUDB_OK;
}

/*
 * bdb_check - whether a thread of this process waits inside Berkeley DB
 * for ever.  On a live environment, failchk first: a process that died
 * outside Berkeley DB has its locks released, its transactions aborted
 * and its handles closed; one that died inside, perhaps holding a mutex,
 * leaves the environment dead, and every handle opens it anew, with
 * recovery.  On a dead environment (that one, or one that another process
 * recovered), a thread of this process inside it in the same call for
 * STUCK_MS waits for what a dead process held: VUDB_ETEMP.  A thread that
 * is only slow, or waiting for its reopen, is not one.  So a caller that
 * asks once a second learns of a stuck thread about STUCK_MS after the
 * environment died.
 */
static int
bdb_check(struct vudb_bectx *ctx, void *vst)
{
	struct bdb_store *st = vst;
	struct bdb_env *e = st->shared;
	int ret, stuck = 0;

	if (e == NULL)
		return VUDB_OK;
	if (st_in(st, e)) {
		ninfo = 0;
		/* regions made without a thread table record nothing */
		ret = e->failchk ? e->env->failchk(e->env, 0) : 0;
		st_leave(st);
		/* Berkeley DB 5.3 cannot free the per-process mutexes of a
		 * dead process (each locker's stays locked by design): the
		 * last step fails, after everything that mattered was
		 * released */
		if (ret == EBUSY && strstr(lastmsg, "destroy mutex") != NULL)
			ret = 0;
		if (ret == 0 && ninfo > 0)
			vudb__ctx_log(ctx, VUDB_LOG_WARNING,
			    "bdb: %s: a process "
			    "died with the store open; what it held is "
			    "released (%s, and %u more)", st->root, infomsg,
			    ninfo - 1);
		ninfo = 0;
		if (ret == DB_RUNRECOVERY) {
			__atomic_store_n(&e->dead, 1, __ATOMIC_SEQ_CST);
			vudb__ctx_log(ctx, VUDB_LOG_WARNING,
			    "bdb: %s: a process "
			    "died inside Berkeley DB (%s): the store is "
			    "recovered", st->root, lastmsg);
		} else if (ret != 0)
			return bdb_status(ctx, ret, "failchk");
		lastmsg[0] = '\0';
	}
	if (!__atomic_load_n(&e->dead, __ATOMIC_SEQ_CST))
		return VUDB_OK;
	if (envs_lock_for() != 0)
		return vudb__ctx_seterr(ctx, VUDB_ETEMP, "bdb: %s: %s",
		    st->root,
		    LOCK_STUCK);
	(void)env_busy(e, st, &stuck);
	pthread_mutex_unlock(&envs_lock);
	if (!stuck)
		return VUDB_OK;
	return vudb__ctx_seterr(ctx, VUDB_ETEMP,
	    "bdb: %s: a thread waits inside "
	    "Berkeley DB for what a process that died there held, and will "
	    "not come back", st->root);
}

static int
bdb_verify(struct vudb_bectx *ctx, void *vst, const char *domain)
{
	struct bdb_store *st = vst;
	char file[VUDB_BE_DOMAIN_MAX + 16];
	DB *dbp;
	int ret, rc;

	dom_file(file, sizeof(file), domain);
	if ((rc = st_enter(ctx, st, st->shared)) != VUDB_OK)
		return rc;
	if ((ret = db_create(&dbp, st->env, 0)) == 0)
		/* DB->verify always destroys the handle. */
		ret = dbp->verify(dbp, file, NULL, NULL, 0);
	st_leave(st);
	if (ret == ENOENT)
		return VUDB_ENOTFOUND;
	return ret == 0 ? VUDB_OK : bdb_status(ctx, ret == EINVAL ?
	    DB_VERIFY_BAD : ret, file);
}

const struct vudb_backend vudb__backend_bdb = {
	.abi = VUDB_BACKEND_ABI,
	.name = "bdb",
	.caps = VUDB_CAP_WRITE | VUDB_CAP_TXN | VUDB_CAP_DIR,
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
	.build_begin = bdb_build_begin,
	.build_end = bdb_build_end,
	.sync = bdb_sync,
	.check = bdb_check,
	.probe = bdb_probe,
	.dom_size = bdb_dom_size,
	.store_size = bdb_store_size,
	.setting_note = bdb_setting_note,
};
