/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * mkstore.c - build a test store through the public API only, for the
 * vudb-checkpassword tests (and any other test that needs users with
 * passwords before vudbadm exists): "mkstore STORE < SCRIPT".  The store
 * is created if missing, with umask 007.  SCRIPT has one command a line,
 * words separated by blanks, '#' starting a comment:
 *
 *	set NAME VALUE			a store-wide setting
 *	domain NAME [ATTR VALUE ...]	add a domain
 *	user ADDRESS PASSWORD SCHEME [ATTR VALUE ...]
 *					add a user; its password hashed with
 *					SCHEME (SHA512-CRYPT, ARGON2ID, ...),
 *					or stored as given with SCHEME
 *					"STORED"; PASSWORD "-" means none
 *	update domain|user NAME ATTR VALUE [ATTR VALUE ...]
 *					change attributes; VALUE "-" removes
 *
 * Exit status 0, or 1 with the failing line on stderr.
 */
#include "config.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vudb.h"

#define MAXWORDS	64

/* split - cut line into at most max blank-separated words */
static int
split(char *line, char **w, int max)
{
	char *p;
	int n = 0;

	if ((p = strchr(line, '#')) != NULL)
		*p = '\0';
	for (p = strtok(line, " \t\r\n"); p != NULL && n < max - 1;
	    p = strtok(NULL, " \t\r\n"))
		w[n++] = p;
	w[n] = NULL;
	return n;
}

/* dashes - turn "-" values into "" (remove) in a name/value list */
static void
dashes(char **w)
{
	int i;

	for (i = 0; w[i] != NULL && w[i + 1] != NULL; i += 2)
		if (strcmp(w[i + 1], "-") == 0)
			w[i + 1] = (char *)"";
}

static int
run(struct vudb *db, char **w, int n)
{
	const char *attrs[MAXWORDS + 4];
	char *hash = NULL;
	int i, k, rc, type;

	if (strcmp(w[0], "set") == 0 && n == 3)
		return vudb_setting_set(db, w[1], w[2]);
	if (strcmp(w[0], "domain") == 0 && n >= 2 && n % 2 == 0)
		return vudb_add(db, VUDB_DOMAIN, w[1],
		    (const char *const *)w + 2);
	if (strcmp(w[0], "user") == 0 && n >= 4 && n % 2 == 0) {
		k = 0;
		if (strcmp(w[2], "-") != 0 && strcmp(w[3], "STORED") == 0) {
			attrs[k++] = "password";
			attrs[k++] = w[2];
		} else if (strcmp(w[2], "-") != 0) {
			rc = vudb_password_hash(db, w[3], w[2], &hash);
			if (rc != VUDB_OK)
				return rc;
			attrs[k++] = "password";
			attrs[k++] = hash;
		}
		for (i = 4; i < n; i++)
			attrs[k++] = w[i];
		attrs[k] = NULL;
		rc = vudb_add(db, VUDB_USER, w[1], attrs);
		vudb_free(hash);
		return rc;
	}
	if (strcmp(w[0], "update") == 0 && n >= 5 && n % 2 == 1) {
		type = strcmp(w[1], "domain") == 0 ? VUDB_DOMAIN :
		    strcmp(w[1], "user") == 0 ? VUDB_USER : 0;
		if (type == 0)
			return VUDB_EINVAL;
		dashes(w + 3);
		return vudb_update(db, type, w[2],
		    (const char *const *)w + 3);
	}
	return VUDB_EINVAL;
}

int
main(int argc, char *argv[])
{
	char line[4096], *w[MAXWORDS];
	struct vudb *db;
	int n, lineno = 0, rc;

	if (argc != 2) {
		fprintf(stderr, "usage: mkstore store < script\n");
		return 2;
	}
	umask(007);
	if ((rc = vudb_open(argv[1], VUDB_CREATE, &db)) != VUDB_OK) {
		fprintf(stderr, "mkstore: %s: %s: %s\n", argv[1],
		    vudb_strerror(rc), vudb_open_errmsg());
		return 1;
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		lineno++;
		if ((n = split(line, w, MAXWORDS)) == 0)
			continue;
		if ((rc = run(db, w, n)) != VUDB_OK) {
			fprintf(stderr, "mkstore: line %d (%s): %s: %s\n",
			    lineno, w[0], vudb_strerror(rc), vudb_errmsg(db));
			vudb_close(db);
			return 1;
		}
	}
	vudb_close(db);
	return 0;
}
