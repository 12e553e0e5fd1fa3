/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * vudb-lookup.c - a small example program of the library: answer lookups
 * as vudb-mapd would, and (with -i) fill a demo store with two domains
 * that share a user name.  It includes only <vudb.h>, like any program
 * outside the project.
 *
 *	vudb-lookup [-d STORE] -i
 *	vudb-lookup [-d STORE] MAP KEY [KEY ...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vudb.h>

static int
check(struct vudb *db, int rc, const char *what)
{
	if (rc != VUDB_OK && rc != VUDB_EEXIST) {
		fprintf(stderr, "vudb-lookup: %s: %s: %s\n", what,
		    vudb_strerror(rc), vudb_errmsg(db));
		return -1;
	}
	return 0;
}

/* demo - two domains, each with its own matsui, an alias, a catch-all */
static int
demo(struct vudb *db)
{
	static const char *const sha[] = { "password_scheme", "SHA512-CRYPT",
	    NULL };
	const char *pc1[] = { "password", NULL, NULL };
	const char *alias[] = { "dest", "matsui@pc1.example", NULL };
	const char *catchall[] = { "dest", "postmaster@pc2.example", NULL };
	char *hash;

	if (check(db, vudb_add(db, VUDB_DOMAIN, "pc1.example", sha),
	    "pc1.example") || check(db, vudb_add(db, VUDB_DOMAIN,
	    "pc2.example", sha), "pc2.example"))
		return -1;
	if (check(db, vudb_password_hash(db, "SHA512-CRYPT", "secret-one",
	    &hash), "hash"))
		return -1;
	pc1[1] = hash;
	if (check(db, vudb_add(db, VUDB_USER, "matsui@pc1.example", pc1),
	    "matsui@pc1.example")) {
		vudb_free(hash);
		return -1;
	}
	vudb_free(hash);
	if (check(db, vudb_add(db, VUDB_USER, "matsui@pc2.example", NULL),
	    "matsui@pc2.example") ||
	    check(db, vudb_set_password(db, "matsui@pc2.example",
	    "secret-two"), "password") ||
	    check(db, vudb_add(db, VUDB_USER, "postmaster@pc2.example", NULL),
	    "postmaster@pc2.example") ||
	    check(db, vudb_add(db, VUDB_ALIAS, "info@pc1.example", alias),
	    "info@pc1.example") ||
	    check(db, vudb_add(db, VUDB_ALIAS, "@pc2.example", catchall),
	    "@pc2.example"))
		return -1;
	return 0;
}

int
main(int argc, char *argv[])
{
	const char *store = NULL;
	struct vudb *db;
	char *answer;
	int ch, init = 0, rc, status = 0, i;

	while ((ch = getopt(argc, argv, "d:i")) != -1) {
		switch (ch) {
		case 'd':
			store = optarg;
			break;
		case 'i':
			init = 1;
			break;
		default:
			goto usage;
		}
	}
	argc -= optind;
	argv += optind;
	if (init ? argc != 0 : argc < 2)
		goto usage;
	rc = vudb_open(store, init ? VUDB_CREATE : VUDB_RDONLY, &db);
	if (rc != VUDB_OK) {
		fprintf(stderr, "vudb-lookup: %s: %s\n", vudb_strerror(rc),
		    vudb_open_errmsg());
		return 75;
	}
	if (init) {
		status = demo(db) == 0 ? 0 : 75;
		vudb_close(db);
		return status;
	}
	for (i = 1; i < argc; i++) {
		rc = vudb_lookup(db, argv[0], argv[i], &answer);
		if (rc == VUDB_OK) {
			printf("%s %s -> %s\n", argv[0], argv[i], answer);
			vudb_free(answer);
		} else if (rc == VUDB_ENOTFOUND) {
			printf("%s %s -> (not found)\n", argv[0], argv[i]);
			if (status == 0)
				status = 1;
		} else {
			fprintf(stderr, "vudb-lookup: %s %s: %s: %s\n",
			    argv[0], argv[i], vudb_strerror(rc),
			    vudb_errmsg(db));
			status = rc == VUDB_ENOMAP ? 64 : 75;
		}
	}
	vudb_close(db);
	return status;
usage:
	fprintf(stderr, "usage: vudb-lookup [-d STORE] -i\n"
	    "       vudb-lookup [-d STORE] MAP KEY ...\n");
	return 64;
}
