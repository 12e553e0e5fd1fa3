/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * testutil.h - helpers shared by the Check suites: a private store in a
 * fresh temporary directory for each test, and tree removal.
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include "vudb.h"

/* A cheap, fixed SHA512-CRYPT hash of "secret" for test users. */
#define TEST_HASH_SECRET \
	"{SHA512-CRYPT}$6$saltsaltsalt$PMWE8DTlam1JU37Piyk43bHcMxTJq6sgu5DKB0/" \
	"tGPjanN35jcY68QkpDfPFUGPWX5uCxIQkSPzMmqEiVNgts."

char	*tu_mkstore(void);		/* mkdtemp; free() the path */
/* tu_store - a new store's place for the backend under test: tu_mkstore's
 * directory, or a pgsql: URL (VUDB_TEST_PG); tu_rmtree takes either */
char	*tu_store(void);
char	*tu_pgsql_url(const char *dir);	/* NULL without VUDB_TEST_PG */
int	 tu_is_dir(void);		/* the backend's stores are files */
void	 tu_rmtree(const char *);
char	*tu_path(const char *dir, const char *sub);	/* free() */
struct vudb *tu_open(const char *store, int flags);	/* fails the test */
const char *tu_backend(void);			/* $VUDB_TEST_BACKEND or bdb */
char	*tu_domfile(const char *dir, const char *domain);	/* free() */
/* tu_lookup - answer as a new string, "" for not found, "!code" else */
char	*tu_lookup(struct vudb *, const char *map, const char *key);
/* tu_panic - panic a bdb store's environment from another process;
 * -1 for another backend */
int	 tu_panic(const char *store);

#endif
