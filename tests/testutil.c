/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * testutil.c - helpers shared by the Check suites.
 */
#include "config.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "testutil.h"

char *
tu_mkstore(void)
{
	const char *tmp = getenv("TMPDIR");
	char *path;

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	ck_assert(asprintf(&path, "%s/vudbtest.XXXXXX", tmp) > 0);
	ck_assert_ptr_nonnull(mkdtemp(path));
	return path;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
tu_rmtree(const char *path)
{
	if (path != NULL)
		(void)nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *
tu_path(const char *dir, const char *sub)
{
	char *p;

	ck_assert(asprintf(&p, "%s/%s", dir, sub) > 0);
	return p;
}

/* tu_backend - the backend under test: $VUDB_TEST_BACKEND, else bdb */
const char *
tu_backend(void)
{
	const char *b = getenv("VUDB_TEST_BACKEND");

	return b != NULL && *b != '\0' ? b : "bdb";
}

/* tu_domfile - a domain's file name under the backend under test */
char *
tu_domfile(const char *dir, const char *domain)
{
	char *p;

	ck_assert(asprintf(&p, "%s/domains/%s.%s", dir, domain,
	    strcmp(tu_backend(), "lmdb") == 0 ? "mdb" : "db") > 0);
	return p;
}

struct vudb *
tu_open(const char *store, int flags)
{
	struct vudb *db;
	char *url = NULL;
	int rc;

	/* a new store is made with the backend under test */
	if ((flags & VUDB_CREATE) && strchr(store, ':') == NULL)
		ck_assert(asprintf(&url, "%s:%s", tu_backend(), store) > 0);
	rc = vudb_open(url != NULL ? url : store, flags, &db);
	free(url);
	ck_assert_msg(rc == VUDB_OK, "vudb_open %s: %s: %s", store,
	    vudb_strerror(rc), vudb_open_errmsg());
	return db;
}

char *
tu_lookup(struct vudb *db, const char *map, const char *key)
{
	char *answer, *out;
	int rc;

	rc = vudb_lookup(db, map, key, &answer);
	if (rc == VUDB_OK) {
		ck_assert_ptr_nonnull(answer);
		return answer;
	}
	ck_assert_ptr_null(answer);
	if (rc == VUDB_ENOTFOUND)
		return strdup("");
	ck_assert(asprintf(&out, "!%d", rc) > 0);
	return out;
}
