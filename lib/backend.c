/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * backend.c - the static registry of storage backends: the one list a new
 * backend joins (one row, under its configure conditional, beside the
 * declaration of its vtable).  A backend that
 * was compiled out keeps its name here, so that a store URL naming it gets
 * "not compiled in" rather than "unknown backend".  The registry also asks
 * the backends which of them a store directory belongs to (probe).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vudb_backend.h"

/* Each backend's vtable, defined in its backend_NAME.c. */
#ifdef WITH_BDB
extern const struct vudb_backend vudb__backend_bdb;
#endif
#ifdef WITH_LMDB
extern const struct vudb_backend vudb__backend_lmdb;
#endif
/* vudb-checkpassword is built without it (VUDB_NO_PGSQL): a login's
 * exec should not map libpq and what it links */
#if defined(WITH_PGSQL) && defined(VUDB_NO_PGSQL)
#undef WITH_PGSQL
#endif
#ifdef WITH_PGSQL
extern const struct vudb_backend vudb__backend_pgsql;
#endif
extern const struct vudb_backend vudb__backend_fail;
extern const struct vudb_backend vudb__backend_mem;

static const struct {
	const char			*name;
	const struct vudb_backend	*be;
} registry[] = {
#ifdef WITH_BDB
	{ "bdb",	&vudb__backend_bdb },
#else
	{ "bdb",	NULL },
#endif
#ifdef WITH_LMDB
	{ "lmdb",	&vudb__backend_lmdb },
#else
	{ "lmdb",	NULL },
#endif
#ifdef WITH_PGSQL
	{ "pgsql",	&vudb__backend_pgsql },
#else
	{ "pgsql",	NULL },
#endif
	{ "fail",	&vudb__backend_fail },
	{ "mem",	&vudb__backend_mem },
};

/* vudb__backend_find - backend by URL scheme; NULL if unknown or absent */
const struct vudb_backend *
vudb__backend_find(const char *name, size_t len, int *compiled_r)
{
	size_t i;

	*compiled_r = 0;
	for (i = 0; i < sizeof(registry) / sizeof(registry[0]); i++) {
		if (strlen(registry[i].name) != len ||
		    memcmp(registry[i].name, name, len) != 0)
			continue;
		if (registry[i].be == NULL)
			return NULL;
		if (registry[i].be->abi != VUDB_BACKEND_ABI)
			return NULL;
		*compiled_r = 1;
		return registry[i].be;
	}
	*compiled_r = -1;
	return NULL;
}

/* vudb__backend_default - the backend of a plain path */
const struct vudb_backend *
vudb__backend_default(void)
{
#if defined(WITH_BDB)
	return &vudb__backend_bdb;
#elif defined(WITH_LMDB)
	return &vudb__backend_lmdb;
#else
	return NULL;
#endif
}


/* vudb__backend_named - a compiled-in backend by name, or a failure */
int
vudb__backend_named(struct vudb_bectx *ctx, const char *name,
    const struct vudb_backend **be_r)
{
	int compiled;

	if (name == NULL)
		name = "";
	if ((*be_r = vudb__backend_find(name, strlen(name), &compiled)) !=
	    NULL)
		return VUDB_OK;
	return vudb__ctx_seterr(ctx, compiled < 0 ? VUDB_EINVAL :
	    VUDB_ENOTSUP, "%s: %s", name, compiled < 0 ? "unknown backend" :
	    "backend not compiled in");
}

/*
 * vudb__backend_probe - the compiled-in backend whose domains the store
 * directory path holds, for a store that records none; NULL if none does
 */
const struct vudb_backend *
vudb__backend_probe(const char *path)
{
	size_t i;

	for (i = 0; i < sizeof(registry) / sizeof(registry[0]); i++)
		if (registry[i].be != NULL && registry[i].be->probe != NULL &&
		    registry[i].be->abi == VUDB_BACKEND_ABI &&
		    registry[i].be->probe(path))
			return registry[i].be;
	return NULL;
}
