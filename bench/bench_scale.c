/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * bench_scale.c - the in-process lookup rate of one store made by
 * tools/vudbadm/bench_gen.py, for make bench-scale (bench/scale.sh), which
 * runs it on a store of 10,000 domains of 100 users and on one of a single
 * domain of 1,000 users and compares the two.  The store holds DOMAINS
 * domains d<N>.bench.example with USERS users user<K>@d<N>.bench.example
 * each.  It is opened read-only, as vudb-mapd opens it; every domain is
 * then touched once (one "mailbox" lookup of user1, or user0 when there is
 * only one user, per domain, in order), so that the timed part sees open
 * domains, as a long-running server does.  Then N lookups of random
 * existing users across all domains (xorshift64*, a fixed seed; the key is
 * formatted with snprintf inside the timed loop, the same work for every
 * store) are timed.  Every status is checked: a "not found" is counted as
 * a miss, any other failure stops the program; every 1024th answer is
 * compared with the one expected.  Prints a line for a reader and
 *
 *	RESULT lookups_per_s misses warmup_s
 *
 * and exits 1 if there was any miss.  -t stops the timed part after about
 * that many seconds, so that a pathologically slow store cannot hold up a
 * benchmark run: the rate is then that of the lookups done, and the line
 * for a reader says so.
 *
 *	bench_scale [-t SECONDS] STORE DOMAINS USERS_PER_DOMAIN N
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vudb.h"
#include "bench.h"

#define MAX_DOMAINS	10000000UL
#define MAX_USERS	10000000UL
#define MAX_TOTAL	4000000000UL	/* indices fit 32 bits */
#define MAX_OPS		1000000000UL
#define SAMPLE_MASK	1023		/* compare every 1024th answer */
#define CLOCK_MASK	4095		/* -t: look at the clock this often */
#define SEED		0x9e3779b97f4a7c15ULL

static uint64_t	 rng = SEED;

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("bench_scale: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

#define now()		bench_now()
#define pick(total)	bench_pick(&rng, (total))

/* number - a decimal argument in [min, max] */
static unsigned long
number(const char *s, unsigned long min, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || s[0] == '-' ||
	    v < min || v > max)
		die("%s: expected a number from %lu to %lu", s, min, max);
	return v;
}

/* check_answer - die unless ans is the mailbox answer of user k of dom */
static void
check_answer(unsigned long dom, unsigned long k, const char *key,
    const char *ans)
{
	char want[96];

	snprintf(want, sizeof(want), "d%lu.bench.example/user%lu/Maildir/",
	    dom, k);
	if (strcmp(ans, want) != 0)
		die("lookup %s: answer \"%s\", expected \"%s\"", key, ans,
		    want);
}

/*
 * lookup - one mailbox lookup of user k in domain dom: 1 for a hit, 0
 * for a miss; any other status is fatal
 */
static inline int
lookup(struct vudb *db, unsigned long dom, unsigned long k, int check)
{
	char key[96], *ans;
	int rc;

	snprintf(key, sizeof(key), "user%lu@d%lu.bench.example", k, dom);
	rc = vudb_lookup(db, "mailbox", key, &ans);
	if (rc == VUDB_ENOTFOUND)
		return 0;
	if (rc != VUDB_OK)
		die("lookup %s: %s: %s", key, vudb_strerror(rc),
		    vudb_errmsg(db));
	if (check)
		check_answer(dom, k, key, ans);
	vudb_free(ans);
	return 1;
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: bench_scale [-t seconds] store domains "
	    "users_per_domain lookups\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct vudb *db;
	unsigned long ndom, nuser, total, nops, d, i, n, misses = 0;
	double t0, t1, warm, cap = 0;
	int ch, rc, capped = 0;

	while ((ch = getopt(argc, argv, "t:")) != -1) {
		switch (ch) {
		case 't':
			cap = (double)number(optarg, 1, 86400);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 4)
		usage();
	ndom = number(argv[1], 1, MAX_DOMAINS);
	nuser = number(argv[2], 1, MAX_USERS);
	nops = number(argv[3], 1, MAX_OPS);
	if (ndom > MAX_TOTAL / nuser)
		die("%lu domains of %lu users: too many", ndom, nuser);
	total = ndom * nuser;
	setvbuf(stdout, NULL, _IOLBF, 0);

	if ((rc = vudb_open(argv[0], VUDB_RDONLY, &db)) != VUDB_OK)
		die("vudb_open %s: %s: %s", argv[0], vudb_strerror(rc),
		    vudb_open_errmsg());

	/* Warm-up: every domain once, in order. */
	t0 = now();
	for (d = 0; d < ndom; d++)
		if (!lookup(db, d, nuser > 1 ? 1 : 0, 1))
			die("warm-up: user%lu@d%lu.bench.example: not found",
			    nuser > 1 ? 1UL : 0UL, d);
	warm = now() - t0;

	t0 = now();
	for (n = 0; n < nops; n++) {
		i = pick(total);
		if (!lookup(db, i / nuser, i % nuser,
		    (n & SAMPLE_MASK) == 0))
			misses++;
		if (cap > 0 && (n & CLOCK_MASK) == CLOCK_MASK &&
		    now() - t0 > cap) {
			n++;
			capped = 1;
			break;
		}
	}
	t1 = now();
	vudb_close(db);

	printf("bench_scale: %s: %lu domains x %lu users: warm-up %.3f s, "
	    "%lu random lookups in %.3f s%s: %.0f lookups/s, %.3f us/op, "
	    "%lu misses\n", argv[0], ndom, nuser, warm, n, t1 - t0,
	    capped ? " (stopped by -t)" : "", n / (t1 - t0),
	    (t1 - t0) * 1e6 / n, misses);
	printf("RESULT %.0f %lu %.3f\n", n / (t1 - t0), misses, warm);
	if (misses > 0) {
		fprintf(stderr, "bench_scale: %s: %lu of %lu lookups missed\n",
		    argv[0], misses, n);
		return 1;
	}
	return 0;
}
