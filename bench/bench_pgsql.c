/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * bench_pgsql.c - how fast vudb_lookup() answers the "mailbox" map on a
 * pgsql: store, against the floor: a bare libpq prepared SELECT of the
 * same record through one connection of the same kind.  The store must
 * hold users uK@bench.example, K < USERS (adapters/postfix/tests/mkstore
 * -n USERS makes them).  The store handle is opened read-only without
 * VUDB_CACHE, so that every lookup asks the server as the baseline does
 * (vudb-mapd's answer cache is measured by bench/pgsql.sh's
 * mapd_pgsql figures).  The baseline connects with the store's
 * conninfo, finds the domain's schema in vudb.domains, prepares
 * "SELECT v FROM schema.records WHERE k = $1" and runs it with the
 * record's key as a binary parameter, binary results, the value copied
 * into a user buffer: what the backend's get does, without the library.
 * In turns (the two never run at the same time), each warmed with a pass
 * over every key, the same pseudo-random key sequence is timed, OPS
 * lookups a turn; the best of ROUNDS turns each counts.  Every status is
 * checked and a sample of the answers compared with the expected one.
 *
 *	bench_pgsql [-n ops] [-r rounds] [-s suffix] URL USERS
 *
 * Output (DESIGN.md, "Benchmarks"), SUFFIX appended to each name:
 *	BENCH lookup.vudb-pgsql X us/op
 *	BENCH lookup.pq_get Y us/op
 *	RATIO lookup.vudb-pgsql/pq_get Y/X		(throughput, ours/floor)
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "vudb.h"
#include "bench.h"

static unsigned long nusers;
static unsigned long nops = 20000;
static uint64_t rng;

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("bench_pgsql: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* turn_vudb - seconds for ops lookups through the library */
static double
turn_vudb(const char *url, unsigned long ops, int check)
{
	struct vudb *db;
	char addr[64], want[64], *answer;
	unsigned long i, k;
	double t0, t;
	int rc;

	if ((rc = vudb_open(url, VUDB_RDONLY, &db)) != VUDB_OK)
		die("vudb_open: %s: %s", vudb_strerror(rc),
		    vudb_open_errmsg());
	rng = 0x9e3779b97f4a7c15ULL;
	t0 = bench_now();
	for (i = 0; i < ops; i++) {
		k = check ? i % nusers : bench_pick(&rng, nusers);
		snprintf(addr, sizeof(addr), "u%lu@bench.example", k);
		if ((rc = vudb_lookup(db, "mailbox", addr, &answer)) !=
		    VUDB_OK)
			die("vudb_lookup %s: %s: %s", addr, vudb_strerror(rc),
			    vudb_errmsg(db));
		if (check || i % 997 == 0) {
			snprintf(want, sizeof(want),
			    "bench.example/u%lu/Maildir/", k);
			if (strcmp(answer, want) != 0)
				die("vudb_lookup %s: '%s', not '%s'", addr,
				    answer, want);
		}
		free(answer);
	}
	t = bench_now() - t0;
	vudb_close(db);
	return t;
}

/* turn_pq - seconds for ops prepared SELECTs of the same records */
static double
turn_pq(const char *conninfo, unsigned long ops, int check)
{
	PGconn *conn;
	PGresult *res;
	const char *param[1] = { "bench.example" };
	const char *values[1];
	int lengths[1], formats[1] = { 1 };
	char key[64], sql[256], buf[4096], *schema;
	unsigned long i, k;
	double t0, t;
	int len;

	conn = PQconnectdb(conninfo);
	if (PQstatus(conn) != CONNECTION_OK)
		die("connect: %s", PQerrorMessage(conn));
	res = PQexecParams(conn, "SELECT schema FROM vudb.domains WHERE "
	    "name = $1", 1, NULL, param, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		die("no bench.example in vudb.domains: %s",
		    PQerrorMessage(conn));
	schema = PQescapeIdentifier(conn, PQgetvalue(res, 0, 0),
	    strlen(PQgetvalue(res, 0, 0)));
	PQclear(res);
	snprintf(sql, sizeof(sql), "SELECT v FROM %s.records WHERE k = $1",
	    schema);
	PQfreemem(schema);
	res = PQprepare(conn, "get", sql, 1, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		die("prepare: %s", PQerrorMessage(conn));
	PQclear(res);
	rng = 0x9e3779b97f4a7c15ULL;
	t0 = bench_now();
	for (i = 0; i < ops; i++) {
		k = check ? i % nusers : bench_pick(&rng, nusers);
		/* the record's key: "u" and the local part */
		len = snprintf(key, sizeof(key), "uu%lu", k);
		values[0] = key;
		lengths[0] = len;
		res = PQexecPrepared(conn, "get", 1, values, lengths, formats,
		    1);
		if (PQresultStatus(res) != PGRES_TUPLES_OK ||
		    PQntuples(res) != 1)
			die("get %s: %s", key, PQresultStatus(res) ==
			    PGRES_TUPLES_OK ? "no such record" :
			    PQerrorMessage(conn));
		if ((size_t)PQgetlength(res, 0, 0) < sizeof(buf))
			memcpy(buf, PQgetvalue(res, 0, 0),
			    (size_t)PQgetlength(res, 0, 0));
		PQclear(res);
	}
	t = bench_now() - t0;
	PQfinish(conn);
	return t;
}

int
main(int argc, char *argv[])
{
	const char *url, *sfx = "";
	double best_v = 1e9, best_p = 1e9, t;
	int ch, rounds = 5, r;

	while ((ch = getopt(argc, argv, "n:r:s:")) != -1) {
		switch (ch) {
		case 'n':
			nops = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 's':
			sfx = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind + 2 != argc || nops == 0 || rounds < 1)
		goto usage;
	url = argv[optind];
	if (strncmp(url, "pgsql:", 6) != 0)
		goto usage;
	if ((nusers = strtoul(argv[optind + 1], NULL, 10)) == 0)
		goto usage;
	/* warm both: every key once, every answer checked */
	(void)turn_vudb(url, nusers, 1);
	(void)turn_pq(url + 6, nusers, 1);
	for (r = 0; r < rounds; r++) {
		if ((t = turn_vudb(url, nops, 0)) < best_v)
			best_v = t;
		if ((t = turn_pq(url + 6, nops, 0)) < best_p)
			best_p = t;
	}
	best_v /= (double)nops;
	best_p /= (double)nops;
	printf("pgsql%s: %lu users, best of %d turns of %lu lookups: "
	    "vudb_lookup %.1f us, PQexecPrepared %.1f us\n", sfx, nusers,
	    rounds, nops, best_v * 1e6, best_p * 1e6);
	printf("BENCH lookup.vudb-pgsql%s %.3f us/op\n", sfx, best_v * 1e6);
	printf("BENCH lookup.pq_get%s %.3f us/op\n", sfx, best_p * 1e6);
	printf("RATIO lookup.vudb-pgsql/pq_get%s %.2f\n", sfx, best_p / best_v);
	return 0;
usage:
	fprintf(stderr, "usage: bench_pgsql [-n ops] [-r rounds] [-s suffix] "
	    "pgsql:CONNINFO USERS\n");
	return 2;
}
