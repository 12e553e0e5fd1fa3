/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * testutil.c - helpers shared by the Check suites.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#ifdef WITH_BDB
#include <db.h>
#endif

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

/*
 * tu_pgsql_url - the pgsql: store URL of a test whose temporary directory
 * is dir: a database of the private cluster $VUDB_TEST_PG (tests/pg.sh)
 * named after the directory; NULL when there is no cluster
 */
char *
tu_pgsql_url(const char *dir)
{
	const char *conn = getenv("VUDB_TEST_PG"), *base;
	char *url;

	if (conn == NULL || *conn == '\0')
		return NULL;
	base = strrchr(dir, '/') != NULL ? strrchr(dir, '/') + 1 : dir;
	ck_assert(asprintf(&url, "pgsql:%s dbname=%s", conn, base) > 0);
	return url;
}

/* tu_store - a new store's place under the backend under test: a fresh
 * temporary directory, or for pgsql the URL of a database named after
 * one (made by the first VUDB_CREATE open) */
char *
tu_store(void)
{
	char *dir = tu_mkstore(), *url;

	if (strcmp(tu_backend(), "pgsql") != 0)
		return dir;
	url = tu_pgsql_url(dir);
	ck_assert_msg(url != NULL, "VUDB_TEST_PG is not set (tests/pg.sh)");
	free(dir);
	return url;
}

/* tu_is_dir - whether the backend under test keeps a store in files */
int
tu_is_dir(void)
{
	return strcmp(tu_backend(), "pgsql") != 0;
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
	const char *tmp = getenv("TMPDIR"), *db;
	char *dir;

	if (path != NULL && strncmp(path, "pgsql:", 6) == 0) {
		/* the temporary directory the database is named after (the
		 * database goes with the test's cluster) */
		if ((db = strstr(path, "dbname=")) == NULL)
			return;
		if (tmp == NULL || *tmp == '\0')
			tmp = "/tmp";
		ck_assert(asprintf(&dir, "%s/%s", tmp, db + 7) > 0);
		(void)nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
		free(dir);
		return;
	}
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

/*
 * tu_panic - panic the Berkeley DB environment of a store from another
 * process, as a process that dies inside Berkeley DB and the recovery
 * that follows do: every handle on it then fails until it is opened anew.
 * Returns 0, or -1 when the store is not a Berkeley DB one.
 */
int
tu_panic(const char *store)
{
#ifdef WITH_BDB
	DB_ENV *env;
	int i, status = 0;
	pid_t pid;

	if (strcmp(tu_backend(), "bdb") != 0)
		return -1;
	/* a store being recovered cannot be joined for a moment */
	for (i = 0; i < 100; i++) {
		ck_assert_int_ge(pid = fork(), 0);
		if (pid == 0) {
			char lock[4096];
			int fd, j;

			/* Berkeley DB tells stderr about the panic */
			(void)freopen("/dev/null", "w", stderr);
			/* as the library's openers do: no regions half made
			 * under it, which Berkeley DB would wait for (3, 6
			 * and 9 s: the test's time ran out) */
			snprintf(lock, sizeof(lock), "%s/.vudb-open.lock",
			    store);
			/* (for 2 s at most: a thread of the parent may have
			 * held it when it forked, and so this child too) */
			if ((fd = open(lock, O_RDWR | O_CREAT, 0660)) != -1)
				for (j = 0; j < 200 &&
				    flock(fd, LOCK_EX | LOCK_NB) != 0; j++)
					usleep(10000);
			if (db_env_create(&env, 0) != 0 ||
			    env->open(env, store, DB_JOINENV, 0) != 0)
				_exit(1);
			(void)env->set_flags(env, DB_PANIC_ENVIRONMENT, 1);
			(void)env->close(env, 0);
			_exit(0);
		}
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			return 0;
		usleep(10000);
	}
	ck_abort_msg("could not panic the environment of %s", store);
	return -1;
#else
	(void)store;
	return -1;
#endif
}
