/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * mkstore.c - build the stores the vudb-mapd tests and benchmark use,
 * through the public API only.  "mkstore -t STORE" makes the test store:
 * the demo's two domains that share the user name matsui, an alias, a
 * catch-all beside mailboxes, an alias domain, a relocated entry, a
 * send-as grant, an internationalized domain, keys with "%" and answers
 * with spaces, and an answer too long for tcp_table (4,096 bytes).
 * "mkstore -n N STORE" makes N users u0@bench.example ... for the
 * benchmark.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vudb.h"

#define HASH "{SHA512-CRYPT}$6$saltsaltsalt$PMWE8DTlam1JU37Piyk43bHcMxTJq6" \
	"sgu5DKB0/tGPjanN35jcY68QkpDfPFUGPWX5uCxIQkSPzMmqEiVNgts."

static struct vudb *db;

/* add - add an entry or die */
static void
add(int type, const char *name, const char *k1, const char *v1)
{
	const char *attrs[] = { k1, v1, NULL };
	int rc;

	rc = vudb_add(db, type, name, k1 != NULL ? attrs : NULL);
	if (rc != VUDB_OK) {
		fprintf(stderr, "mkstore: add %.60s: %s: %s\n", name,
		    vudb_strerror(rc), vudb_errmsg(db));
		exit(1);
	}
}

/* long_dest - a destination list of about len bytes */
static char *
long_dest(size_t len)
{
	char *s, *p;
	size_t i;

	if ((s = malloc(len + 64)) == NULL)
		exit(1);
	p = s;
	for (i = 0; (size_t)(p - s) < len; i++)
		p += sprintf(p, "%sx%06zu@other.example", i ? "," : "", i);
	return s;
}

static void
test_store(void)
{
	char *dest;

	add(VUDB_DOMAIN, "pc1.example", NULL, NULL);
	add(VUDB_DOMAIN, "pc2.example", NULL, NULL);
	add(VUDB_USER, "matsui@pc1.example", "password", HASH);
	add(VUDB_USER, "matsui@pc2.example", "uid", "7002");
	add(VUDB_USER, "postmaster@pc2.example", NULL, NULL);
	add(VUDB_USER, "per%cent@pc1.example", NULL, NULL);
	add(VUDB_ALIAS, "info@pc1.example", "dest", "matsui@pc1.example");
	add(VUDB_ALIAS, "@pc2.example", "dest", "postmaster@pc2.example");
	add(VUDB_ALIAS, "sales@pc2.example", "dest", "matsui@pc2.example");
	add(VUDB_RELOCATED, "old@pc1.example", "dest",
	    "moved to new@other.example");
	add(VUDB_SENDER, "boss@pc1.example", "logins", "matsui@pc1.example");
	add(VUDB_DOMAIN, "alias.example", "target", "pc1.example");
	add(VUDB_DOMAIN, "b\xc3\xbc" "cher.example", NULL, NULL);
	add(VUDB_USER, "matsui@xn--bcher-kva.example", NULL, NULL);
	/* 5,000 bytes: fine for socketmap, too long for tcp_table */
	dest = long_dest(5000);
	add(VUDB_ALIAS, "big@pc1.example", "dest", dest);
	free(dest);
}

static void
bench_store(unsigned long n)
{
	char addr[64];
	unsigned long i;
	int rc;

	add(VUDB_DOMAIN, "bench.example", NULL, NULL);
	for (i = 0; i < n; i++) {
		if (i % 1000 == 0 && (rc = vudb_begin(db, "bench.example")) !=
		    VUDB_OK)
			goto fail;
		snprintf(addr, sizeof(addr), "u%lu@bench.example", i);
		add(VUDB_USER, addr, "password", HASH);
		if ((i % 1000 == 999 || i == n - 1) &&
		    (rc = vudb_commit(db)) != VUDB_OK)
			goto fail;
	}
	return;
fail:
	fprintf(stderr, "mkstore: batch: %s: %s\n", vudb_strerror(rc),
	    vudb_errmsg(db));
	exit(1);
}

int
main(int argc, char *argv[])
{
	unsigned long n = 0;
	int ch, test = 0, rc;

	while ((ch = getopt(argc, argv, "n:t")) != -1) {
		switch (ch) {
		case 'n':
			n = strtoul(optarg, NULL, 10);
			break;
		case 't':
			test = 1;
			break;
		default:
			goto usage;
		}
	}
	if (optind + 1 != argc || (test == 0) == (n == 0))
		goto usage;
	if ((rc = vudb_open(argv[optind], VUDB_CREATE, &db)) != VUDB_OK) {
		fprintf(stderr, "mkstore: %s: %s: %s\n", argv[optind],
		    vudb_strerror(rc), vudb_open_errmsg());
		return 1;
	}
	if (test)
		test_store();
	else
		bench_store(n);
	vudb_close(db);
	return 0;
usage:
	fprintf(stderr, "usage: mkstore -t STORE | -n USERS STORE\n");
	return 64;
}
