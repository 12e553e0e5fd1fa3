/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * bench_lookup.c - how fast vudb_lookup() answers the "mailbox" map,
 * against the best simple code that reads the same records straight from
 * the database, for each backend compiled in.  For Berkeley DB it builds a
 * store of 100,000 users in one domain in a new directory under $TMPDIR
 * with the public API (batches of 10,000, a fixed {SHA512-CRYPT} hash so
 * that no hashing is timed), then, in turns, times random hits through a
 * store handle opened read-only, as vudb-mapd opens one, and through a
 * DB->get of the record "u" LOCAL with no transaction into a user buffer,
 * on an environment and database opened with the flags and cache size the
 * backend uses.  For LMDB it builds a second store of the same users with
 * the URL "lmdb:DIR" and times vudb_lookup() the same way against an
 * mdb_get of the same record from the domain file opened with the flags
 * and map size the backend uses, in one read transaction renewed before
 * and reset after every get (so that each get sees the latest commit, as
 * each lookup does), the value copied into a user buffer.  A handle and
 * its baseline never run at the same time (an environment joined with
 * DB_REGISTER takes one handle per process, and LMDB forbids opening a
 * file twice in one process): each turn opens its handle, warms it with
 * one pass over every key and times the same pseudo-random key sequence,
 * as long as makes about half a second of vudb_lookup() on that backend
 * (-n sets it); the best of five turns each counts, the four kinds of
 * turn taken in rotation.  Every answer's status is checked and a sample
 * of the answers is compared with the expected one.  The stores are
 * removed at the end.
 *
 *	bench_lookup [-b bdb | lmdb] [-d domains] [-n lookups] [-r rounds]
 *	    [-u users]
 *
 * -b runs one backend only.  Output (DESIGN.md, "Benchmarks"): a summary
 * line for a reader per backend, then
 *	BENCH build.rate R users/s			(Berkeley DB)
 *	BENCH lookup.vudb X us/op
 *	BENCH lookup.bdb_get Y us/op
 *	RATIO lookup.vudb/bdb_get Y/X			(throughput, ours/baseline)
 *	BENCH lookup.vudb-lmdb X' us/op
 *	BENCH lookup.mdb_get Y' us/op
 *	RATIO lookup.vudb-lmdb/mdb_get Y'/X'		(throughput)
 *	RATIO lookup.lmdb/bdb X/X'			(throughput, vudb_lookup)
 * With -d n (n > 1) the users are spread over n domains and every name
 * ends in ".<n>dom".
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef WITH_BDB
#include <db.h>
#endif
#ifdef WITH_LMDB
#include <lmdb.h>
#endif

#include "vudb.h"
#include "bench.h"

#define DEF_USERS	100000
#define MAX_USERS	1000000		/* "user%06u" */
#define PASS_SECONDS	0.5		/* a timed pass, unless -n */
#define MIN_OPS		100000
#define MAX_OPS		10000000
#define DEF_ROUNDS	5
#define MAX_DOMAINS	100
#define BATCH		10000
#define SAMPLE_MASK	1023		/* compare every 1024th answer */
#define SEED		0x9e3779b97f4a7c15ULL

/* As backend_bdb.c opens them (env_open, bdb_dom_open) read-only. */
#define ENV_FLAGS	(DB_CREATE | DB_INIT_TXN | DB_INIT_LOCK | \
			    DB_INIT_LOG | DB_INIT_MPOOL | DB_REGISTER | \
			    DB_THREAD)
#define DB_OFLAGS	(DB_AUTO_COMMIT | DB_MULTIVERSION | DB_RDONLY)
#define FILE_MODE	0660

/* As backend_lmdb.c opens a domain file (env_get). */
#define MDB_EFLAGS	(MDB_NOSUBDIR | MDB_NOTLS)
#define MDB_MAPSIZE	((size_t)64 << 20)
#define MDB_READERS	1022

#define B_BDB		0x1
#define B_LMDB		0x2

/* A fixed hash: adding users must not time the hashing. */
static const char hash[] = "{SHA512-CRYPT}$6$8rV2qj0aTn5Lw1cE$bGC6GslBjMjiV"
    "hJiiYHUzN64laCwY.iMn4PERn.deZx/zwUCy4Lrp832Hg/GOq7halDHuNaVO3rIrjmyAH8"
    "Kh.";

struct user {
	char		 addr[48];	/* "user000042@bench.example" */
	char		 key[16];	/* "uuser000042" */
	unsigned int	 klen;
	unsigned int	 dom;
};

static char		 tmpdir[PATH_MAX];
static char		 store[PATH_MAX + 8];
static char		 lstore[PATH_MAX + 8];	/* the LMDB store's directory */
static char		 lurl[PATH_MAX + 16];	/* and its URL */
static char		 domains[MAX_DOMAINS][32];
static unsigned int	 ndomains = 1;
static struct user	*users;
static unsigned int	 nusers = DEF_USERS;
static unsigned long	 nops;		/* 0: from the first warm-up */
static unsigned long	 nops_lmdb;	/* the same, for LMDB */
static unsigned long long cache_bytes;
static uint64_t		 rng;

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	if (remove(path) == -1 && errno != ENOENT)
		fprintf(stderr, "bench_lookup: remove %s: %s\n", path,
		    strerror(errno));
	return 0;
}

static void
cleanup(void)
{
	if (tmpdir[0] != '\0')
		(void)nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	tmpdir[0] = '\0';
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("bench_lookup: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cleanup();
	exit(1);
}

#define now()		bench_now()
/* pick - a user index in [0, nusers) */
#define pick()		((unsigned int)bench_pick(&rng, nusers))

static void
make_users(void)
{
	unsigned int i;

	for (i = 0; i < ndomains; i++) {
		if (ndomains == 1)
			snprintf(domains[i], sizeof(domains[i]),
			    "bench.example");
		else
			snprintf(domains[i], sizeof(domains[i]),
			    "bench%u.example", i);
	}
	if ((users = calloc(nusers, sizeof(*users))) == NULL)
		die("out of memory");
	for (i = 0; i < nusers; i++) {
		users[i].dom = i % ndomains;
		snprintf(users[i].addr, sizeof(users[i].addr), "user%06u@%s",
		    i, domains[users[i].dom]);
		users[i].klen = (unsigned int)snprintf(users[i].key,
		    sizeof(users[i].key), "uuser%06u", i);
	}
}

/* check_answer - die unless ans is what the mailbox map gives user i */
static void
check_answer(unsigned int i, const char *ans)
{
	char want[64];

	snprintf(want, sizeof(want), "%s/user%06u/Maildir/",
	    domains[users[i].dom], i);
	if (ans == NULL || strcmp(ans, want) != 0)
		die("lookup %s: answer \"%s\", expected \"%s\"",
		    users[i].addr, ans != NULL ? ans : "(null)", want);
}

static void
vcheck(struct vudb *db, int rc, const char *what, const char *name)
{
	if (rc != VUDB_OK)
		die("%s %s: %s: %s", what, name, vudb_strerror(rc),
		    vudb_errmsg(db));
}

/*
 * build - the store at url, with the public API; returns users per
 * second.  Sets cache_bytes from its settings if getcache.
 */
static double
build(const char *url, int getcache)
{
	static const char *const attrs[] = { "password", hash, NULL };
	const char *v;
	struct vudb *db;
	unsigned int d, i, n;
	double t0, t1;
	char *end;
	int rc;

	if ((rc = vudb_open(url, VUDB_CREATE, &db)) != VUDB_OK)
		die("vudb_open %s: %s: %s", url, vudb_strerror(rc),
		    vudb_open_errmsg());
	for (d = 0; d < ndomains; d++)
		vcheck(db, vudb_add(db, VUDB_DOMAIN, domains[d], NULL),
		    "add domain", domains[d]);
	if (getcache) {
		vcheck(db, vudb_setting_get(db, "cache_size", &v), "setting",
		    "cache_size");
		errno = 0;
		cache_bytes = strtoull(v, &end, 10);
		if (errno != 0 || *end != '\0')
			die("cache_size %s: not a number", v);
	}
	t0 = now();
	for (d = 0; d < ndomains; d++) {
		n = 0;
		for (i = d; i < nusers; i += ndomains) {
			if (n == 0)
				vcheck(db, vudb_begin(db, domains[d]),
				    "begin", domains[d]);
			vcheck(db, vudb_add(db, VUDB_USER, users[i].addr,
			    attrs), "add user", users[i].addr);
			if (++n == BATCH) {
				vcheck(db, vudb_commit(db), "commit",
				    domains[d]);
				n = 0;
			}
		}
		if (n > 0)
			vcheck(db, vudb_commit(db), "commit", domains[d]);
	}
	t1 = now();
	vudb_close(db);
	return nusers / (t1 - t0);
}

/*
 * run_vudb - one turn of vudb_lookup() on the store at url, *np lookups
 * (set from the warm-up if 0); returns seconds per lookup
 */
static double
run_vudb(const char *url, unsigned long *np)
{
	struct vudb *db;
	unsigned long n;
	unsigned int i;
	double t0, t1;
	char *ans;
	int rc;

	if ((rc = vudb_open(url, VUDB_RDONLY, &db)) != VUDB_OK)
		die("vudb_open %s: %s: %s", url, vudb_strerror(rc),
		    vudb_open_errmsg());
	/* Warm up: every key once, every answer checked. */
	t0 = now();
	for (i = 0; i < nusers; i++) {
		rc = vudb_lookup(db, "mailbox", users[i].addr, &ans);
		vcheck(db, rc, "lookup", users[i].addr);
		check_answer(i, ans);
		vudb_free(ans);
	}
	t1 = now();
	if (*np == 0) {
		/* About PASS_SECONDS a pass on this machine. */
		n = (unsigned long)(PASS_SECONDS * nusers / (t1 - t0));
		*np = n < MIN_OPS ? MIN_OPS : n > MAX_OPS ? MAX_OPS :
		    n / 1000 * 1000;
	}
	rng = SEED;
	t0 = now();
	for (n = 0; n < *np; n++) {
		i = pick();
		rc = vudb_lookup(db, "mailbox", users[i].addr, &ans);
		if (rc != VUDB_OK)
			vcheck(db, rc, "lookup", users[i].addr);
		if ((n & SAMPLE_MASK) == 0)
			check_answer(i, ans);
		vudb_free(ans);
	}
	t1 = now();
	vudb_close(db);
	return (t1 - t0) / *np;
}

#ifdef WITH_BDB
static void
bcheck(int ret, const char *what)
{
	if (ret != 0)
		die("bdb: %s: %s", what, db_strerror(ret));
}

/* env_open - the environment, configured as env_create() does */
static DB_ENV *
env_open(void)
{
	DB_ENV *env;

	bcheck(db_env_create(&env, 0), "db_env_create");
	(void)env->set_cachesize(env, (u_int32_t)(cache_bytes >> 30),
	    (u_int32_t)(cache_bytes & ((1ULL << 30) - 1)), 1);
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
	bcheck(env->open(env, store, ENV_FLAGS, FILE_MODE), "open environment");
	return env;
}

/* run_bdb - one turn of DB->get; returns seconds per get */
static double
run_bdb(void)
{
	DB *dbs[MAX_DOMAINS], *dbp;
	unsigned char buf[4096];
	char file[sizeof(domains[0]) + 16];
	DB_ENV *env;
	unsigned long n;
	unsigned int d, i;
	double t0, t1;
	DBT k, v;
	int ret;

	env = env_open();
	for (d = 0; d < ndomains; d++) {
		snprintf(file, sizeof(file), "domains/%.*s.db",
		    (int)sizeof(domains[0]) - 1, domains[d]);
		bcheck(db_create(&dbs[d], env, 0), "db_create");
		(void)dbs[d]->set_flags(dbs[d], DB_CHKSUM);
		bcheck(dbs[d]->open(dbs[d], NULL, file, NULL, DB_BTREE,
		    DB_OFLAGS, FILE_MODE), file);
	}
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	v.flags = DB_DBT_USERMEM;
	v.data = buf;
	v.ulen = sizeof(buf);
	for (i = 0; i < nusers; i++) {
		k.data = users[i].key;
		k.size = users[i].klen;
		dbp = dbs[users[i].dom];
		if ((ret = dbp->get(dbp, NULL, &k, &v, 0)) != 0)
			die("bdb: get %s: %s", users[i].addr,
			    db_strerror(ret));
		if (v.size == 0)
			die("bdb: get %s: empty record", users[i].addr);
	}
	rng = SEED;
	t0 = now();
	for (n = 0; n < nops; n++) {
		i = pick();
		k.data = users[i].key;
		k.size = users[i].klen;
		dbp = dbs[users[i].dom];
		if ((ret = dbp->get(dbp, NULL, &k, &v, 0)) != 0)
			die("bdb: get %s: %s", users[i].addr,
			    db_strerror(ret));
	}
	t1 = now();
	for (d = 0; d < ndomains; d++)
		bcheck(dbs[d]->close(dbs[d], 0), "close database");
	bcheck(env->close(env, 0), "close environment");
	return (t1 - t0) / nops;
}
#endif /* WITH_BDB */

#ifdef WITH_LMDB
static void
mcheck(int ret, const char *what)
{
	if (ret != 0)
		die("lmdb: %s: %s", what, mdb_strerror(ret));
}

/*
 * run_mdb - one turn of mdb_get, each in the domain's read transaction
 * renewed before and reset after it, as the backend reads; returns
 * seconds per get
 */
static double
run_mdb(void)
{
	MDB_env *envs[MAX_DOMAINS];
	MDB_txn *txns[MAX_DOMAINS], *txn;
	MDB_dbi dbis[MAX_DOMAINS];
	unsigned char buf[4096];
	char path[sizeof(lstore) + sizeof(domains[0]) + 16];
	unsigned long n;
	unsigned int d, i, eflags;
	double t0, t1;
	MDB_val k, v;
	int ret;

	for (d = 0; d < ndomains; d++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/domains/%s.mdb",
		    lstore, domains[d]) >= sizeof(path))
			die("%s: path too long", lstore);
		/* read-write when the file allows it, as the backend opens */
		eflags = MDB_EFLAGS;
		if (access(path, W_OK) != 0)
			eflags |= MDB_RDONLY;
		mcheck(mdb_env_create(&envs[d]), "mdb_env_create");
		(void)mdb_env_set_mapsize(envs[d], MDB_MAPSIZE);
		(void)mdb_env_set_maxreaders(envs[d], MDB_READERS);
		mcheck(mdb_env_open(envs[d], path, eflags, FILE_MODE), path);
		mcheck(mdb_txn_begin(envs[d], NULL, MDB_RDONLY, &txns[d]),
		    "begin");
		mcheck(mdb_dbi_open(txns[d], NULL, 0, &dbis[d]), "open "
		    "database");
		mdb_txn_reset(txns[d]);
	}
	for (i = 0; i < nusers; i++) {
		k.mv_data = users[i].key;
		k.mv_size = users[i].klen;
		d = users[i].dom;
		mcheck(mdb_txn_renew(txns[d]), "renew");
		if ((ret = mdb_get(txns[d], dbis[d], &k, &v)) != 0)
			die("lmdb: get %s: %s", users[i].addr,
			    mdb_strerror(ret));
		if (v.mv_size == 0 || v.mv_size > sizeof(buf))
			die("lmdb: get %s: record of %zu bytes", users[i].addr,
			    v.mv_size);
		memcpy(buf, v.mv_data, v.mv_size);
		mdb_txn_reset(txns[d]);
	}
	rng = SEED;
	t0 = now();
	for (n = 0; n < nops_lmdb; n++) {
		i = pick();
		k.mv_data = users[i].key;
		k.mv_size = users[i].klen;
		txn = txns[users[i].dom];
		if ((ret = mdb_txn_renew(txn)) != 0)
			mcheck(ret, "renew");
		ret = mdb_get(txn, dbis[users[i].dom], &k, &v);
		if (ret == 0 && v.mv_size <= sizeof(buf))
			memcpy(buf, v.mv_data, v.mv_size);
		mdb_txn_reset(txn);
		if (ret != 0)
			die("lmdb: get %s: %s", users[i].addr,
			    mdb_strerror(ret));
		/* the copy is used: the compiler must not drop it */
		__asm__ __volatile__("" : : "r"(buf) : "memory");
	}
	t1 = now();
	for (d = 0; d < ndomains; d++) {
		mdb_txn_abort(txns[d]);
		mdb_env_close(envs[d]);
	}
	return (t1 - t0) / nops_lmdb;
}
#endif /* WITH_LMDB */

static unsigned long
number(const char *s, unsigned long min, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v < min || v > max)
		die("%s: expected a number from %lu to %lu", s, min, max);
	return v;
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: bench_lookup [-b bdb | lmdb] [-d domains] "
	    "[-n lookups] [-r rounds] [-u users]\n");
	exit(2);
}

/* best - keep the least time of the turns */
static void
best(double *b, double t, int first)
{
	if (first || t < *b)
		*b = t;
}

int
main(int argc, char *argv[])
{
	const char *base;
	char sfx[16] = "";
	double rate, best_v = 0, best_b = 0, best_l = 0, best_m = 0;
	int ch, r, rounds = DEF_ROUNDS, built = 0, which;

#ifdef WITH_BDB
	built |= B_BDB;
#endif
#ifdef WITH_LMDB
	built |= B_LMDB;
#endif
	which = built;
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((ch = getopt(argc, argv, "b:d:n:r:u:")) != -1) {
		switch (ch) {
		case 'b':
			if (strcmp(optarg, "bdb") == 0)
				which = B_BDB;
			else if (strcmp(optarg, "lmdb") == 0)
				which = B_LMDB;
			else
				usage();
			if (!(which & built))
				die("%s: backend not compiled in", optarg);
			break;
		case 'd':
			ndomains = (unsigned int)number(optarg, 1,
			    MAX_DOMAINS);
			break;
		case 'n':
			nops = nops_lmdb = number(optarg, 1, ULONG_MAX);
			break;
		case 'r':
			rounds = (int)number(optarg, 1, 100);
			break;
		case 'u':
			nusers = (unsigned int)number(optarg, 1, MAX_USERS);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (ndomains > nusers)
		die("more domains than users");
	if (ndomains > 1)
		snprintf(sfx, sizeof(sfx), ".%udom", ndomains);

	if ((base = getenv("TMPDIR")) == NULL || base[0] == '\0')
		base = "/tmp";
	if ((size_t)snprintf(tmpdir, sizeof(tmpdir), "%s/vudb-bench.XXXXXX",
	    base) >= sizeof(tmpdir) - 16)
		die("TMPDIR too long");
	if (mkdtemp(tmpdir) == NULL) {
		tmpdir[0] = '\0';
		die("mkdtemp %s: %s", base, strerror(errno));
	}
	snprintf(store, sizeof(store), "%s/store", tmpdir);
	snprintf(lstore, sizeof(lstore), "%s/lmdb", tmpdir);
	snprintf(lurl, sizeof(lurl), "lmdb:%s", lstore);

	make_users();
	if (which & B_BDB) {
		rate = build(store, 1);
		printf("build: %u users in %u domain%s, batches of %u: "
		    "%.0f users/s\n", nusers, ndomains,
		    ndomains == 1 ? "" : "s", BATCH, rate);
		printf("BENCH build.rate%s %.0f users/s\n", sfx, rate);
	}
	if (which & B_LMDB) {
		rate = build(lurl, 0);
		printf("build (lmdb): %u users in %u domain%s, batches of %u: "
		    "%.0f users/s\n", nusers, ndomains,
		    ndomains == 1 ? "" : "s", BATCH, rate);
	}

	/*
	 * In turns, so that noise on a shared machine hits all alike; a
	 * handle is closed before the next one opens the same files.
	 */
	for (r = 0; r < rounds; r++) {
#ifdef WITH_BDB
		if (which & B_BDB) {
			best(&best_v, run_vudb(store, &nops), r == 0);
			best(&best_b, run_bdb(), r == 0);
		}
#endif
#ifdef WITH_LMDB
		if (which & B_LMDB) {
			best(&best_l, run_vudb(lurl, &nops_lmdb), r == 0);
			best(&best_m, run_mdb(), r == 0);
		}
#endif
	}
	if (which & B_BDB) {
		printf("lookup: %lu random hits of %u users in %u domain%s, "
		    "best of %d: vudb_lookup %.3f us/op (%.0f/s), DB->get "
		    "%.3f us/op (%.0f/s); throughput vudb/bdb_get %.2f "
		    "(1.00 = parity)\n", nops, nusers, ndomains,
		    ndomains == 1 ? "" : "s", rounds, best_v * 1e6,
		    1 / best_v, best_b * 1e6, 1 / best_b, best_b / best_v);
		printf("BENCH lookup.vudb%s %.3f us/op\n", sfx, best_v * 1e6);
		printf("BENCH lookup.bdb_get%s %.3f us/op\n", sfx,
		    best_b * 1e6);
		printf("RATIO lookup.vudb/bdb_get%s %.2f\n", sfx,
		    best_b / best_v);
	}
	if (which & B_LMDB) {
		printf("lookup (lmdb): %lu random hits of %u users in %u "
		    "domain%s, best of %d: vudb_lookup %.3f us/op (%.0f/s), "
		    "mdb_get %.3f us/op (%.0f/s); throughput "
		    "vudb-lmdb/mdb_get %.2f (1.00 = parity)\n", nops_lmdb,
		    nusers, ndomains, ndomains == 1 ? "" : "s", rounds,
		    best_l * 1e6, 1 / best_l, best_m * 1e6, 1 / best_m,
		    best_m / best_l);
		printf("BENCH lookup.vudb-lmdb%s %.3f us/op\n", sfx,
		    best_l * 1e6);
		printf("BENCH lookup.mdb_get%s %.3f us/op\n", sfx,
		    best_m * 1e6);
		printf("RATIO lookup.vudb-lmdb/mdb_get%s %.2f\n", sfx,
		    best_m / best_l);
	}
	if (which == (B_BDB | B_LMDB))
		printf("RATIO lookup.lmdb/bdb%s %.2f\n", sfx, best_v / best_l);

	free(users);
	cleanup();
	return 0;
}
