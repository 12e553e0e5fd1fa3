/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * stale.c - no reader answers from before an acknowledged write (issue 17):
 * the answer cache (VUDB_CACHE) of long-lived readers under a writer that
 * commits all the time.
 *
 *	stale STORE-URL LOOKUPS [THREADS]
 *
 * A writer process commits versions v = 2, 3, ... of one domain, each in
 * one batch: the alias t@s.example exists with destination "v<v>@x.example"
 * unless v is a multiple of 3, and the user n@s.example exists when v is
 * odd.  After a commit returns it publishes v ("acknowledged") in shared
 * memory.  Two reader processes, each with its own cached handle, ask for
 * both keys (and for a few that never change) LOOKUPS times in all, and
 * on until MIN_VERSIONS versions were acknowledged.  With THREADS > 1,
 * each reader process asks from THREADS threads, each with its own
 * cached handle, as vudb-mapd's workers do: they share one answer cache,
 * filled and answered by all of them.  A
 * reader reads the acknowledged version a1 before a lookup and a2 after
 * it: the store held some version in [a1, a2 + 1] meanwhile (a2 + 1 may be
 * committed and not yet acknowledged), so an answer that fits no version
 * there is stale.  A temporary failure is a failure too.  Prints the
 * counts as "stale: N checks, M failed" and exits 1 on any failure, or if
 * the cache answered too few lookups to have been tested.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/wait.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vudb_private.h"

struct shared {
	uint64_t	ack;		/* the last acknowledged version */
	int		stop;
	int		wdone;		/* the writer is gone */
	unsigned long long lookups[2], stale[2], temp[2], hits[2];
	unsigned long long commits, wfail;
	char		why[2][256];	/* the first stale answer */
	char		twhy[2][256];	/* the last temporary failure */
};

static struct shared *sh;

/* a fixed SHA512-CRYPT hash of "secret" */
#define TEST_HASH \
	"{SHA512-CRYPT}$6$saltsaltsalt$PMWE8DTlam1JU37Piyk43bHcMxTJq6sgu5DKB0/" \
	"tGPjanN35jcY68QkpDfPFUGPWX5uCxIQkSPzMmqEiVNgts."

/* versions the readers see go by, at least */
#define MIN_VERSIONS	500

/* state of version v */
static int alias_at(uint64_t v) { return v % 3 != 0; }
static int user_at(uint64_t v) { return v % 2 == 1; }

static int
write_version(struct vudb *db, uint64_t v)
{
	char dest[64];
	const char *attrs[] = { "dest", dest, NULL };
	const char *uattrs[] = { "password", TEST_HASH, NULL };
	int rc;

	snprintf(dest, sizeof(dest), "v%llu@x.example", (unsigned long long)v);
	if ((rc = vudb_begin(db, "s.example")) != VUDB_OK)
		return rc;
	if (!alias_at(v))
		rc = vudb_del(db, VUDB_ALIAS, "t@s.example");
	else if (!alias_at(v - 1))
		rc = vudb_add(db, VUDB_ALIAS, "t@s.example", attrs);
	else
		rc = vudb_update(db, VUDB_ALIAS, "t@s.example", attrs);
	if (rc == VUDB_OK && user_at(v) != user_at(v - 1))
		rc = user_at(v) ? vudb_add(db, VUDB_USER, "n@s.example",
		    uattrs) : vudb_del(db, VUDB_USER, "n@s.example");
	if (rc != VUDB_OK) {
		vudb_abort(db);
		return rc;
	}
	return vudb_commit(db);
}

static void
writer(const char *url)
{
	struct vudb *db;
	uint64_t v;
	int rc;

	if (vudb_open(url, 0, &db) != VUDB_OK) {
		__atomic_store_n(&sh->wdone, 1, __ATOMIC_RELEASE);
		_exit(2);
	}
	for (v = 2; !__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE); v++) {
		if ((rc = write_version(db, v)) != VUDB_OK) {
			/* not acknowledged: the same version again */
			sh->wfail++;
			v--;
			if (sh->wfail > 1000)
				break;
			continue;
		}
		__atomic_store_n(&sh->ack, v, __ATOMIC_RELEASE);
		sh->commits++;
	}
	vudb_close(db);
	__atomic_store_n(&sh->wdone, 1, __ATOMIC_RELEASE);
	_exit(0);
}

/* fits - whether some version in [lo, hi] gives the answer */
static int
fits(int alias, uint64_t lo, uint64_t hi, int rc, const char *answer)
{
	unsigned long long got;
	uint64_t v;

	if (rc == VUDB_OK && alias) {
		if (sscanf(answer, "v%llu@x.example", &got) != 1)
			return 0;
		return got >= lo && got <= hi && alias_at(got);
	}
	for (v = lo; v <= hi; v++) {
		if (alias && rc == VUDB_ENOTFOUND && !alias_at(v))
			return 1;
		if (!alias && (rc == VUDB_OK) == user_at(v))
			return 1;
	}
	return 0;
}

/* what one reader thread counts, added to its process's at the end */
struct rstate {
	const char		*url;
	int			 id;
	unsigned long long	 n;
	unsigned long long	 lookups, stale, temp;
	char			 why[256], twhy[256];
	int			 failed;	/* could not open */
};

static pthread_mutex_t	 rlock = PTHREAD_MUTEX_INITIALIZER;

static void *
reader_thread(void *arg)
{
	static const char *const fixed[] = { "u1@s.example", "u2@s.example",
	    "nobody@s.example", "u1@nowhere.example" };
	struct rstate *r = arg;
	unsigned long long i;
	struct vudb *db;
	char *answer;
	uint64_t a1, a2;
	int rc, alias;

	if (vudb_open(r->url, VUDB_RDONLY | VUDB_CACHE, &db) != VUDB_OK) {
		r->failed = 1;
		return NULL;
	}
	/* n lookups, and on until the writer made MIN_VERSIONS */
	for (i = 0; i < r->n || (__atomic_load_n(&sh->ack, __ATOMIC_ACQUIRE) <
	    MIN_VERSIONS && !__atomic_load_n(&sh->wdone, __ATOMIC_ACQUIRE));
	    i++) {
		alias = i % 2 == 0;
		a1 = __atomic_load_n(&sh->ack, __ATOMIC_ACQUIRE);
		rc = vudb_lookup(db, alias ? "alias" : "mailbox",
		    alias ? "t@s.example" : "n@s.example", &answer);
		a2 = __atomic_load_n(&sh->ack, __ATOMIC_ACQUIRE);
		r->lookups++;
		if (rc != VUDB_OK && rc != VUDB_ENOTFOUND) {
			r->temp++;
			snprintf(r->twhy, sizeof(r->twhy), "%s: %s",
			    vudb_strerror(rc), vudb_errmsg(db));
		} else if (!fits(alias, a1, a2 + 1, rc, answer) &&
		    r->stale++ == 0) {
			snprintf(r->why, sizeof(r->why),
			    "%s: %s with versions %llu..%llu acknowledged",
			    alias ? "t@s.example" : "n@s.example",
			    rc == VUDB_OK ? answer : "not found",
			    (unsigned long long)a1, (unsigned long long)a2);
		}
		vudb_free(answer);
		/* keys that never change: always the same answer */
		if (i % 8 == 0) {
			rc = vudb_lookup(db, "mailbox", fixed[(i / 8) % 4],
			    &answer);
			r->lookups++;
			if (rc != VUDB_OK && rc != VUDB_ENOTFOUND) {
				r->temp++;
				snprintf(r->twhy, sizeof(r->twhy), "%s: %s",
				    vudb_strerror(rc), vudb_errmsg(db));
			} else if ((rc == VUDB_OK) != ((i / 8) % 4 < 2) &&
			    r->stale++ == 0)
				snprintf(r->why, sizeof(r->why), "%s: %s",
				    fixed[(i / 8) % 4],
				    rc == VUDB_OK ? answer : "not found");
			vudb_free(answer);
		}
	}
	vudb_close(db);
	return NULL;
}

/* reader - reader process id: n lookups over threads handles */
static void
reader(const char *url, int id, unsigned long long n, int threads)
{
	struct rstate r[8];
	pthread_t tid[8];
	unsigned long long misses;
	struct vudb *keep;
	size_t bytes;
	int t, started = 0, bad = 0;

	/* a handle kept to the end: the cache (shared by the threads'
	 * handles) and its figures live on after the last thread's */
	if (vudb_open(url, VUDB_RDONLY | VUDB_CACHE, &keep) != VUDB_OK)
		_exit(2);
	memset(r, 0, sizeof(r));
	for (t = 0; t < threads; t++) {
		r[t].url = url;
		r[t].id = id;
		r[t].n = n / (unsigned long long)threads;
		if (threads == 1) {
			reader_thread(&r[t]);
			continue;
		}
		if (pthread_create(&tid[t], NULL, reader_thread, &r[t]) != 0)
			break;
		started++;
	}
	for (t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	if (threads > 1 && started < threads)
		bad = 1;
	pthread_mutex_lock(&rlock);
	for (t = 0; t < threads; t++) {
		sh->lookups[id] += r[t].lookups;
		sh->stale[id] += r[t].stale;
		sh->temp[id] += r[t].temp;
		if (r[t].why[0] != '\0' && sh->why[id][0] == '\0')
			memcpy(sh->why[id], r[t].why, sizeof(r[t].why));
		if (r[t].twhy[0] != '\0')
			memcpy(sh->twhy[id], r[t].twhy, sizeof(r[t].twhy));
		bad |= r[t].failed;
	}
	pthread_mutex_unlock(&rlock);
	/* the process's cache: every thread's hits */
	vudb__cache_stats(keep, &sh->hits[id], &misses, &bytes);
	vudb_close(keep);
	_exit(bad ? 2 : 0);
}

int
main(int argc, char **argv)
{
	const char *uattrs[] = { "password", TEST_HASH, NULL };
	unsigned long long n, lookups = 0, failed = 0, hits = 0;
	int checks = 0, nbad = 0;
	pid_t w, r[2];
	struct vudb *db;
	int i, st, bad = 0, threads = 1;

	if (argc != 3 && argc != 4)
		return 99;
	n = strtoull(argv[2], NULL, 10);
	if (argc == 4 && ((threads = atoi(argv[3])) < 1 || threads > 8))
		return 99;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 99;
	memset(sh, 0, sizeof(*sh));
	if (vudb_open(argv[1], VUDB_CREATE, &db) != VUDB_OK ||
	    vudb_add(db, VUDB_DOMAIN, "s.example", NULL) != VUDB_OK ||
	    vudb_add(db, VUDB_USER, "u1@s.example", uattrs) != VUDB_OK ||
	    vudb_add(db, VUDB_USER, "u2@s.example", uattrs) != VUDB_OK ||
	    vudb_add(db, VUDB_USER, "n@s.example", uattrs) != VUDB_OK ||
	    vudb_add(db, VUDB_ALIAS, "t@s.example",
	    (const char *[]){ "dest", "v1@x.example", NULL }) != VUDB_OK) {
		fprintf(stderr, "stale: cannot make the store %s: %s\n",
		    argv[1], db != NULL ? vudb_errmsg(db) : vudb_open_errmsg());
		return 99;
	}
	vudb_close(db);
	sh->ack = 1;
	if ((w = fork()) == 0)
		writer(argv[1]);
	for (i = 0; i < 2; i++)
		if ((r[i] = fork()) == 0)
			reader(argv[1], i, n / 2, threads);
	for (i = 0; i < 2; i++) {
		if (waitpid(r[i], &st, 0) != r[i] || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0) {
			fprintf(stderr, "stale: reader %d failed (%d)\n", i, st);
			bad = 1;
		}
	}
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
	if (waitpid(w, &st, 0) != w || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0) {
		fprintf(stderr, "stale: the writer failed (%d)\n", st);
		bad = 1;
	}
	for (i = 0; i < 2; i++) {
		lookups += sh->lookups[i];
		failed += sh->stale[i] + sh->temp[i];
		checks += 2;	/* no stale answer; no failure */
		nbad += (sh->stale[i] > 0) + (sh->temp[i] > 0);
		hits += sh->hits[i];
		printf("reader %d (%d thread%s): %llu lookups, %llu from the "
		    "cache, %llu stale, %llu temporary failures%s%s%s%s\n", i,
		    threads, threads == 1 ? "" : "s",
		    sh->lookups[i], sh->hits[i], sh->stale[i], sh->temp[i],
		    sh->why[i][0] ? "; first stale: " : "", sh->why[i],
		    sh->twhy[i][0] ? "; last failure: " : "", sh->twhy[i]);
	}
	printf("writer: %llu versions committed and acknowledged, %llu "
	    "failed commits\n", sh->commits, sh->wfail);
	checks += 2;	/* enough versions; the cache answered */
	if (sh->commits < MIN_VERSIONS) {
		printf("too few commits (%llu) to test anything\n",
		    sh->commits);
		bad = 1;
	}
	if (hits < lookups / 4) {
		printf("the cache answered %llu of %llu lookups: it was not "
		    "tested\n", hits, lookups);
		bad = 1;
	}
	printf("%llu lookups, %llu stale or failed\n", lookups, failed);
	printf("stale: %d checks, %d failed\n", checks, nbad + bad);
	return failed > 0 || bad ? 1 : 0;
}
