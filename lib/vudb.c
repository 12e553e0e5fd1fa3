/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * vudb.c - the store handle: parsing store URLs (the one parser), choosing
 * the backend (the URL's scheme, the one the store records, or the one
 * whose files the store directory holds), opening and closing, the public
 * settings calls, and what a store takes in its backend.  This file is the
 * top of the core: it calls the rooms below it, and none of them calls it.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vudb_private.h"

#define DEFAULT_STORE	"/var/lib/vudb"

const char *
vudb_version(int *major, int *minor, int *patch)
{
	if (major != NULL)
		*major = VUDB_VERSION_MAJOR;
	if (minor != NULL)
		*minor = VUDB_VERSION_MINOR;
	if (patch != NULL)
		*patch = VUDB_VERSION_PATCH;
	return VUDB_VERSION_STRING;
}

int
vudb_setting_get(struct vudb *db, const char *name, const char **value_r)
{
	int i, rc;

	if (value_r != NULL)
		*value_r = NULL;
	if (db == NULL || value_r == NULL)
		return VUDB_EINVAL;
	vudb__clearerr(db);
	if ((i = vudb__setting_index(name)) < 0)
		return vudb__seterr(db, VUDB_EINVAL, "unknown setting: %s",
		    name != NULL ? name : "(null)");
	if ((rc = vudb__refresh(db)) != VUDB_OK)
		return rc;
	*value_r = vudb__setting(db, i);
	return VUDB_OK;
}

int
vudb_setting_set(struct vudb *db, const char *name, const char *value)
{
	int i, rc;

	if (db == NULL)
		return VUDB_EINVAL;
	vudb__clearerr(db);
	if ((i = vudb__setting_index(name)) < 0)
		return vudb__seterr(db, VUDB_EINVAL, "unknown setting: %s",
		    name != NULL ? name : "(null)");
	if (db->flags & VUDB_RDONLY)
		return vudb__seterr(db, VUDB_ERDONLY, "store opened read-only");
	if (i == VUDB__S_BACKEND)
		return vudb__seterr(db, VUDB_EINVAL, "backend: fixed when the "
		    "store is made (vudbadm convert copies a store to another "
		    "backend)");
	if ((rc = vudb__setting_write(db, i, value)) != VUDB_OK)
		return rc;
	vudb__audit(db, value != NULL ? "set" : "unset", 0, "setting", name,
	    NULL, value);
	vudb__bump_gen(db);
	return VUDB_OK;
}

const char *
vudb_setting_note(struct vudb *db, const char *name)
{
	if (db == NULL || vudb__setting_index(name) < 0)
		return NULL;
	return vudb__store_note(db, name);
}

/* ------------------------------------------------------------ open, close */

static const char bad_path[] = "invalid store path";

/*
 * url_parse - the one parser of store URLs: "scheme:location" (a scheme is
 * lower-case letters) or a plain path, whose scheme is "".  NULL means
 * $VUDB_STORE, else the default store.  Returns VUDB_OK, or VUDB_EINVAL /
 * VUDB_ENOTSUP with why.
 */
static int
url_parse(const char *url, char scheme[16], const char **loc_r,
    const char **why_r)
{
	const char *colon, *p;
	int compiled;

	if (url == NULL && (url = getenv("VUDB_STORE")) == NULL)
		url = DEFAULT_STORE;
	scheme[0] = '\0';
	*loc_r = url;
	*why_r = NULL;
	colon = strchr(url, ':');
	for (p = url; colon != NULL && p < colon; p++)
		if (!islower((unsigned char)*p))
			colon = NULL;
	if (colon != NULL && colon != url && colon - url < 16) {
		memcpy(scheme, url, (size_t)(colon - url));
		scheme[colon - url] = '\0';
		*loc_r = colon + 1;
		if (vudb__backend_find(scheme, strlen(scheme), &compiled) ==
		    NULL) {
			*why_r = compiled < 0 ? "unknown backend" :
			    "backend not compiled in";
			return compiled < 0 ? VUDB_EINVAL : VUDB_ENOTSUP;
		}
	}
	if ((*loc_r)[0] == '\0' || strlen(*loc_r) > 3000) {
		*why_r = bad_path;
		return VUDB_EINVAL;
	}
	return VUDB_OK;
}

int
vudb_store_split(const char *store, char **scheme_r, char **location_r)
{
	const char *loc, *why;
	char scheme[16];
	int rc;

	if (scheme_r != NULL)
		*scheme_r = NULL;
	if (location_r != NULL)
		*location_r = NULL;
	if ((rc = url_parse(store, scheme, &loc, &why)) != VUDB_OK)
		return rc;
	if (scheme_r != NULL && (*scheme_r = strdup(scheme)) == NULL)
		return VUDB_ENOMEM;
	if (location_r != NULL && (*location_r = strdup(loc)) == NULL) {
		if (scheme_r != NULL) {
			free(*scheme_r);
			*scheme_r = NULL;
		}
		return VUDB_ENOMEM;
	}
	return VUDB_OK;
}

int
vudb_store_url(const char *store, char **url_r)
{
	const struct vudb_backend *be = NULL;
	const char *loc, *why;
	char scheme[16], cwd[4096];
	int rc, compiled;

	if (url_r == NULL)
		return VUDB_EINVAL;
	*url_r = NULL;
	if ((rc = url_parse(store, scheme, &loc, &why)) != VUDB_OK) {
		/* as given: vudb_open() says what is wrong with it */
		if (store == NULL && (store = getenv("VUDB_STORE")) == NULL)
			store = DEFAULT_STORE;
		*url_r = strdup(store);
		return *url_r == NULL ? VUDB_ENOMEM : VUDB_OK;
	}
	if (scheme[0] != '\0')
		be = vudb__backend_find(scheme, strlen(scheme), &compiled);
	/* a directory of this host, named relative to where we are */
	if (loc[0] != '/' && (be == NULL || (be->caps & VUDB_CAP_DIR)) &&
	    getcwd(cwd, sizeof(cwd)) != NULL)
		rc = asprintf(url_r, "%s%s%s/%s", scheme, scheme[0] ? ":" : "",
		    cwd, loc);
	else
		rc = asprintf(url_r, "%s%s%s", scheme, scheme[0] ? ":" : "",
		    loc);
	if (rc < 0) {
		*url_r = NULL;
		return VUDB_ENOMEM;
	}
	return VUDB_OK;
}

const char *
vudb_store_location(const struct vudb *db)
{
	return db != NULL ? db->root : NULL;
}

const char *
vudb_store_backend(const struct vudb *db)
{
	return db != NULL ? vudb__store_name(db) : NULL;
}

int
vudb_store_size(struct vudb *db, unsigned long long *bytes_r)
{
	int rc;

	if (bytes_r != NULL)
		*bytes_r = 0;
	if (db == NULL || bytes_r == NULL)
		return VUDB_EINVAL;
	vudb__clearerr(db);
	if ((rc = vudb__refresh(db)) != VUDB_OK)
		return rc;
	return vudb__store_size(db, bytes_r);
}

int
vudb_domain_size(struct vudb *db, const char *domain,
    unsigned long long *bytes_r)
{
	char local[VUDB__LOCAL_MAX + 1], dom[VUDB__DOMAIN_MAX + 1];
	int rc, catchall;

	if (bytes_r != NULL)
		*bytes_r = 0;
	if (db == NULL || bytes_r == NULL)
		return VUDB_EINVAL;
	vudb__clearerr(db);
	if ((rc = vudb__refresh(db)) != VUDB_OK)
		return rc;
	if ((rc = vudb__split(db, VUDB_DOMAIN, domain, local, dom,
	    &catchall)) != VUDB_OK)
		return rc;
	rc = vudb__store_dom_size(db, dom, bytes_r);
	if (rc == VUDB_ENOTFOUND)
		vudb__seterr(db, rc, "%s: no such domain", dom);
	return rc;
}

/*
 * choose_backend - a plain path takes the backend recorded in the store's
 * vudb.conf (bdb for stores that record none); a URL's scheme must agree
 * with it.  "fail" wraps the store's own backend.
 */
static int
choose_backend(struct vudb *db, const char *scheme)
{
	const char *stored = db->set[VUDB__S_BACKEND], *env;
	const struct vudb_backend *be;
	const char *name = scheme[0] != '\0' ? scheme : stored;

	if (strcmp(scheme, "fail") != 0 && scheme[0] != '\0' &&
	    stored != NULL && strcmp(stored, scheme) != 0)
		return vudb__seterr(db, VUDB_EINVAL, "%s: a %s store, not %s",
		    db->root, stored, scheme);
	if (name == NULL && (be = vudb__backend_probe(db->root)) != NULL)
		name = be->name;
	/* a new store without a scheme: $VUDB_BACKEND, else the default */
	if (name == NULL && (db->flags & VUDB_CREATE) &&
	    (env = getenv("VUDB_BACKEND")) != NULL && env[0] != '\0')
		name = env;
	if (name == NULL)
		name = vudb__setting(db, VUDB__S_BACKEND);	/* default */
	return vudb__backend_named(&db->ctx, name, &db->be);
}

int
vudb_open(const char *store, int flags, struct vudb **db_r)
{
	struct vudb *db = NULL;
	const char *path, *why;
	char scheme[16];
	struct rlimit rl;
	unsigned int fds;
	int rc, compiled, made = 0;

	vudb__open_seterr("%s", "");
	if (db_r == NULL)
		return VUDB_EINVAL;
	*db_r = NULL;
	if ((flags & ~(VUDB_RDONLY | VUDB_CREATE | VUDB_BULK |
	    VUDB_RECOVER | VUDB_CACHE)) != 0 || ((flags & VUDB_RDONLY) &&
	    (flags & (VUDB_CREATE | VUDB_BULK | VUDB_RECOVER)))) {
		vudb__open_seterr("invalid flags");
		return VUDB_EINVAL;
	}
	if ((rc = url_parse(store, scheme, &path, &why)) != VUDB_OK) {
		if (why == bad_path)
			vudb__open_seterr("%s", why);
		else
			vudb__open_seterr("%s: %s", scheme, why);
		return rc;
	}
	if ((db = calloc(1, sizeof(*db))) == NULL ||
	    (db->root = strdup(path)) == NULL) {
		free(db);
		return VUDB_ENOMEM;
	}
	db->flags = flags;
	db->ctx.db = db;
	db->c_slot = -1;
	if (scheme[0] != '\0')
		db->be = vudb__backend_find(scheme, strlen(scheme), &compiled);
	if (!vudb__store_is_dir(db)) {
		/* a server's store: its settings are in it, so connect
		 * first (with the default settings) and read them then */
		if ((rc = vudb__store_open(db, path, flags)) != VUDB_OK ||
		    (rc = vudb__settings_load(db, 1)) != VUDB_OK ||
		    (rc = choose_backend(db, scheme)) != VUDB_OK) {
			vudb__open_seterr("%s", db->errmsg[0] ? db->errmsg :
			    vudb_strerror(rc));
			goto fail;
		}
	} else {
		/* a directory: made or found, its vudb.conf read, and the
		 * backend chosen from both before the store is opened */
		db->be = NULL;
		if ((rc = vudb__store_place(db, path, flags)) != VUDB_OK ||
		    (rc = vudb__settings_load(db, 1)) != VUDB_OK ||
		    (rc = choose_backend(db, scheme)) != VUDB_OK) {
			vudb__open_seterr("%s", db->errmsg);
			goto fail;
		}
	}
	/* a new store records its backend */
	if ((flags & VUDB_CREATE) && db->set[VUDB__S_BACKEND] == NULL &&
	    strcmp(vudb__store_name(db), "fail") != 0) {
		made = 1;
		if ((rc = vudb__conf_write(db, "backend",
		    vudb__store_name(db))) !=
		    VUDB_OK || (db->set[VUDB__S_BACKEND] =
		    strdup(vudb__store_name(db))) == NULL) {
			vudb__open_seterr("%s", db->errmsg);
			rc = rc != VUDB_OK ? rc : VUDB_ENOMEM;
			goto fail;
		}
	}
	db->maxdoms = vudb__setting_u64(db, VUDB__S_MAX_OPEN_DOMAINS);
	/* open domains hold descriptors (three with LMDB, two in a
	 * read-only handle): leave at least half of the process's limit
	 * to the program */
	fds = vudb__store_fds(db);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		if (db->maxdoms > rl.rlim_cur / (2 * fds))
			db->maxdoms = rl.rlim_cur / (2 * fds);
		vudb__dom_budget((size_t)(rl.rlim_cur / (2 * fds)));
	}
	if (db->maxdoms < 1)
		db->maxdoms = 1;
	db->hsize = 64;		/* grows with the open domains */
	if ((db->htab = calloc(db->hsize, sizeof(*db->htab))) == NULL) {
		rc = VUDB_ENOMEM;
		goto fail;
	}
	vudb__gen_map(db);
	if (db->st == NULL && (rc = vudb__store_open(db, path, flags)) !=
	    VUDB_OK) {
		vudb__open_seterr("%s", db->errmsg[0] ? db->errmsg :
		    vudb_strerror(rc));
		goto fail;
	}
	if (made) {
		/* the store's first line: who made it, with which backend */
		char det[64];

		snprintf(det, sizeof(det), "backend=%s",
		    vudb__store_name(db));
		vudb__audit(db, "init", 0, "store", db->root, NULL, det);
	}
	vudb__host_map(db);
	vudb__cache_setup(db);
	*db_r = db;
	return VUDB_OK;
fail:
	if (db->be != NULL)
		vudb__store_close(db);
	db->be = NULL;
	vudb_close(db);
	return rc;
}

void
vudb_close(struct vudb *db)
{
	int i;

	if (db == NULL)
		return;
	if (db->txn != NULL)
		(void)vudb_abort(db);
	while (db->lru_head != NULL)
		vudb__dom_drop(db, db->lru_head);
	if (db->be != NULL && db->st != NULL) {
		if ((db->flags & VUDB_BULK) && vudb__store_sync(db) != VUDB_OK)
			vudb__log(db, VUDB_LOG_ERR, "closing: %s", db->errmsg);
		if (db->flags & VUDB_BULK)
			vudb__bump_gen(db);
		vudb__store_close(db);
	}
	vudb__gen_unmap(db);
	vudb__cache_free(db);
	for (i = 0; i < VUDB__S_COUNT; i++)
		free(db->set[i]);
	free(db->htab);
	free(db->buf.data);
	free(db->setval);
	free(db->root);
	for (i = 0; i < VUDB__EARLY; i++)
		free(db->early[i]);
	free(db);
}
