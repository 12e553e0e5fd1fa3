/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * useradd.c - vudb_add_user: a user added with a clear-text password in
 * one call.  The library, not each program, knows which scheme and costs
 * a new hash takes (the password_scheme in force for the user's domain,
 * the store's cost settings): the password is hashed here, before any
 * transaction starts (Argon2 takes its time and holds no lock), and the
 * hash is stored in the same change that adds the user, so a user never
 * exists without the password it was given.  The clear text is never
 * copied; the hash is wiped before it is freed.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vudb_private.h"

/* ATTRS_MAX - more pairs than a user has attributes: room for the hash */
#define ATTRS_MAX	(2 * VUDB__REC_MAXF + 3)

/* domain_scheme - the password_scheme in force for domain */
static int
domain_scheme(struct vudb *db, const char *domain, const char **scheme_r)
{
	struct vudb__dom *d;
	int rc;

	*scheme_r = NULL;
	rc = vudb__dom_find(db, domain, &d);
	if (rc == VUDB_ENOTFOUND)
		return vudb__seterr(db, rc, "%s: no such domain", domain);
	if (rc != VUDB_OK)
		return rc;
	*scheme_r = vudb__dom_value(db, d, VUDB__D_SCHEME, VUDB__S_SCHEME);
	return VUDB_OK;
}

int
vudb_add_user(struct vudb *db, const char *address, const char *password,
    const char *const *attrs)
{
	char local[VUDB__LOCAL_MAX + 1], domain[VUDB__DOMAIN_MAX + 1];
	const char *all[ATTRS_MAX], *scheme;
	char *hash = NULL;
	size_t n;
	int rc, catchall;

	if (password == NULL)
		return vudb_add(db, VUDB_USER, address, attrs);
	if (db == NULL)
		return VUDB_EINVAL;
	vudb__clearerr(db);
	for (n = 0; attrs != NULL && attrs[n] != NULL; n += 2) {
		if (strcmp(attrs[n], "password") == 0)
			return vudb__seterr(db, VUDB_EINVAL, "password: given "
			    "both as a hash and in clear text");
		if (n + 4 >= ATTRS_MAX)
			return vudb__seterr(db, VUDB_EINVAL, "too many "
			    "attributes");
		all[n] = attrs[n];
		all[n + 1] = attrs[n + 1];
	}
	if ((rc = vudb__refresh(db)) != VUDB_OK)
		return rc;
	if ((rc = vudb__split(db, VUDB_USER, address, local, domain,
	    &catchall)) != VUDB_OK)
		return rc;
	if ((rc = domain_scheme(db, domain, &scheme)) != VUDB_OK)
		return rc;
	/* the scheme is borrowed from the domain cache: hash before any
	 * other call may refresh it */
	if ((rc = vudb__pw_hash(&db->pw, scheme, password, &hash)) != VUDB_OK)
		return vudb__seterr(db, rc, "cannot hash the password");
	all[n] = "password";
	all[n + 1] = hash;
	all[n + 2] = NULL;
	rc = vudb_add(db, VUDB_USER, address, all);
	vudb__free_secret(hash);
	return rc;
}
