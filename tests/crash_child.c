/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * crash_child.c - the worker of the crash test (tests/crash.sh).
 *
 *	crash_child STORE add PREFIX [BATCH]
 *		add users PREFIX-0@crash.example, PREFIX-1, ... until killed,
 *		writing each number to stdout only after its add (or the
 *		batch of BATCH adds that holds it) was committed;
 *	crash_child STORE check PREFIX N
 *		check that users PREFIX-0 .. PREFIX-(N-1) all exist.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "vudb.h"

#define DOMAIN	"crash.example"

static int
add(struct vudb *db, const char *prefix, long batch)
{
	static const char *const attrs[] = { "password",
	    "{SHA512-CRYPT}$6$saltsaltsalt$PMWE8DTlam1JU37Piyk43bHcMxTJq6sgu5DK"
	    "B0/tGPjanN35jcY68QkpDfPFUGPWX5uCxIQkSPzMmqEiVNgts.",
	    "name", "crash test user", NULL };
	char name[128], line[32];
	long i, j;
	int rc;

	rc = vudb_add(db, VUDB_DOMAIN, DOMAIN, NULL);
	if (rc != VUDB_OK && rc != VUDB_EEXIST)
		goto fail;
	for (i = 0; i < 10000000; i += batch) {
		if (batch > 1 && (rc = vudb_begin(db, DOMAIN)) != VUDB_OK)
			goto fail;
		for (j = i; j < i + batch; j++) {
			snprintf(name, sizeof(name), "%s-%ld@" DOMAIN, prefix,
			    j);
			if ((rc = vudb_add(db, VUDB_USER, name, attrs)) != 0)
				goto fail;
		}
		if (batch > 1 && (rc = vudb_commit(db)) != VUDB_OK)
			goto fail;
		for (j = i; j < i + batch; j++) {
			snprintf(line, sizeof(line), "%ld\n", j);
			if (write(STDOUT_FILENO, line, strlen(line)) < 0)
				return 1;
		}
	}
	return 0;
fail:
	fprintf(stderr, "crash_child: add: %s: %s\n", vudb_strerror(rc),
	    vudb_errmsg(db));
	return 1;
}

static int
check(struct vudb *db, const char *prefix, long n)
{
	struct vudb_obj *o;
	char name[128];
	long i;
	int rc;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s-%ld@" DOMAIN, prefix, i);
		if ((rc = vudb_get(db, VUDB_USER, name, &o)) != VUDB_OK) {
			fprintf(stderr, "crash_child: %s: %s: %s\n", name,
			    vudb_strerror(rc), vudb_errmsg(db));
			return 1;
		}
		if (strcmp(vudb_obj_get(o, "name"), "crash test user") != 0) {
			fprintf(stderr, "crash_child: %s: wrong record\n",
			    name);
			vudb_obj_free(o);
			return 1;
		}
		vudb_obj_free(o);
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct vudb *db;
	int rc, status;

	if (argc < 4 || (strcmp(argv[2], "add") != 0 &&
	    strcmp(argv[2], "check") != 0)) {
		fprintf(stderr, "usage: crash_child STORE add|check PREFIX "
		    "[N]\n");
		return EX_USAGE;
	}
	rc = vudb_open(argv[1], VUDB_CREATE, &db);
	if (rc != VUDB_OK) {
		fprintf(stderr, "crash_child: open: %s: %s\n",
		    vudb_strerror(rc), vudb_open_errmsg());
		return 1;
	}
	if (strcmp(argv[2], "add") == 0)
		status = add(db, argv[3], argc > 4 ? atol(argv[4]) : 1);
	else
		status = check(db, argv[3], argc > 4 ? atol(argv[4]) : 0);
	vudb_close(db);
	return status;
}
