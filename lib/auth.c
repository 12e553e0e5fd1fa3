/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * auth.c - logins and passwords: how a login is checked (vudb_auth: the
 * stored hash, then whether the user, its domain and the service are
 * enabled), a userdb lookup without a password (vudb_authorize), hashing
 * with the scheme in force (vudb_password_hash, vudb_set_password).  A
 * failure is never a wrong password, and a failed login does the work of
 * every hash scheme in use in the domain (dummy_schemes), so that it costs
 * the same for every user and for an unknown one.  The hashing itself is
 * in password.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vudb_private.h"

/*
 * dummy_schemes - the work of checking password against each scheme in
 * use in d and the domain's current one, but skip (the one a real check
 * already did): a failed login then costs the same for every user and
 * for an unknown one.  A failure to read the set leaves the current
 * scheme alone.
 */
static void
dummy_schemes(struct vudb *db, struct vudb__dom *d, const char *skip,
    const char *password)
{
	struct vudb__rec rec;
	const char *cur, *v, *p, *e;
	char name[32];
	size_t n;

	cur = vudb__dom_value(db, d, VUDB__D_SCHEME, VUDB__S_SCHEME);
	if (skip == NULL || strcasecmp(skip, cur) != 0)
		vudb__pw_dummy(&db->pw, cur, password);
	if (d == NULL || vudb__get_rec_txn(db, d, NULL, VUDB__REC_COUNTERS, "#",
	    1,
	    &rec) != VUDB_OK)
		return;
	v = vudb__rec_get(&rec, VUDB__C_SCHEMES);
	for (p = v; p != NULL && *p != '\0'; p = *e != '\0' ? e + 1 : e) {
		if ((e = strchr(p, ',')) == NULL)
			e = p + strlen(p);
		if ((n = (size_t)(e - p)) == 0 || n >= sizeof(name))
			continue;
		memcpy(name, p, n);
		name[n] = '\0';
		if (strcasecmp(name, cur) != 0 &&
		    (skip == NULL || strcasecmp(name, skip) != 0))
			vudb__pw_dummy(&db->pw, name, password);
	}
	vudb__rec_clear(&rec);
}

/* ------------------------------------------------------------ passwords */

int
vudb_password_hash(struct vudb *db, const char *scheme, const char *password,
    char **hash_r)
{
	struct vudb__pwparams def;
	int rc;

	if (hash_r != NULL)
		*hash_r = NULL;
	if (hash_r == NULL || password == NULL)
		return VUDB_EINVAL;
	if (db != NULL) {
		vudb__clearerr(db);
		if ((rc = vudb__refresh(db)) != VUDB_OK)
			return rc;
	} else
		vudb__pwparams_default(&def);
	if (scheme == NULL)
		scheme = db != NULL ? vudb__setting(db, VUDB__S_SCHEME) :
		    "ARGON2ID";
	rc = vudb__pw_hash(db != NULL ? &db->pw : &def, scheme, password,
	    hash_r);
	if (rc != VUDB_OK && db != NULL)
		vudb__seterr(db, rc, "%s: %s", scheme, rc == VUDB_ENOTSUP ?
		    "cannot make new hashes of this scheme" :
		    vudb_strerror(rc));
	return rc;
}

int
vudb_password_verify(const char *hash, const char *password)
{
	return vudb__pw_verify(hash, password);
}

int
vudb_password_scheme_valid(const char *scheme)
{
	return scheme != NULL && vudb__pw_scheme_valid(scheme);
}

int
vudb_password_usable(const char *hash, int *clear_r)
{
	int clear, rc;

	rc = vudb__pw_usable(hash, &clear);
	if (clear_r != NULL)
		*clear_r = clear;
	return rc;
}

int
vudb_set_password(struct vudb *db, const char *address, const char *password)
{
	char local[VUDB__LOCAL_MAX + 1], domain[VUDB__DOMAIN_MAX + 1];
	const char *attrs[3];
	struct vudb__dom *d;
	char *hash;
	int rc, catchall;

	if (db == NULL || password == NULL)
		return VUDB_EINVAL;
	vudb__clearerr(db);
	if ((rc = vudb__refresh(db)) != VUDB_OK)
		return rc;
	if ((rc = vudb__split(db, VUDB_USER, address, local, domain,
	    &catchall)) != VUDB_OK)
		return rc;
	if ((rc = vudb__open_domain(db, domain, &d)) != VUDB_OK)
		return rc;
	rc = vudb__pw_hash(&db->pw, vudb__dom_value(db, d, VUDB__D_SCHEME,
	    VUDB__S_SCHEME), password, &hash);
	if (rc != VUDB_OK)
		return vudb__seterr(db, rc, "cannot hash the password");
	attrs[0] = "password";
	attrs[1] = hash;
	attrs[2] = NULL;
	rc = vudb_update(db, VUDB_USER, address, attrs);
	vudb__free_secret(hash);
	return rc;
}

/*
 * allowed - whether user may use service: VUDB_OK or VUDB_EDISABLED.  A
 * login needs the user and its domain enabled and the service among the
 * user's; a userdb lookup (lookup set) also needs "receive" for lmtp, and
 * administration (doveadm) reaches every user.
 */
static int
allowed(struct vudb *db, const struct vudb_obj *user, const char *service,
    int lookup)
{
	static const char *const svc[] = {
		"imap", "pop3", "sieve", "submission", "lmtp"
	};
	const char *v, *name = vudb_obj_name(user);
	unsigned int bits;
	size_t i;
	int ok;

	if (service != NULL && service[0] == '\0')
		service = NULL;
	if (lookup && service != NULL && strcasecmp(service, "doveadm") == 0)
		return VUDB_OK;
	v = vudb_obj_effective(user, "enabled");
	if (v == NULL || strcmp(v, "yes") != 0)
		return vudb__seterr(db, VUDB_EDISABLED, "%s: disabled", name);
	if (service == NULL)
		return VUDB_OK;
	/* Dovecot names SMTP AUTH (submission) "smtp" */
	if (strcasecmp(service, "smtp") == 0)
		service = "submission";
	if (lookup && strcasecmp(service, "lmtp") == 0 &&
	    (v = vudb_obj_effective(user, "receive")) != NULL &&
	    strcmp(v, "yes") != 0)
		return vudb__seterr(db, VUDB_EDISABLED, "%s: receives no mail",
		    name);
	bits = vudb__services_parse(vudb_obj_effective(user, "services"), &ok);
	for (i = 0; i < sizeof(svc) / sizeof(svc[0]); i++)
		if (strcasecmp(service, svc[i]) == 0)
			break;
	/* services we do not track (doveadm, ...) are not restricted */
	if (i < sizeof(svc) / sizeof(svc[0]) && (bits & (1u << i)) == 0)
		return vudb__seterr(db, VUDB_EDISABLED, "%s: service %s not "
		    "allowed", name, service);
	return VUDB_OK;
}

/* hand_over - user, if allowed for service (allowed), to *user_r (or
 * freed); freed and the refusal otherwise */
static int
hand_over(struct vudb *db, struct vudb_obj *user, const char *service,
    int lookup, struct vudb_obj **user_r)
{
	int rc;

	if ((rc = allowed(db, user, service, lookup)) != VUDB_OK) {
		vudb_obj_free(user);
		return rc;
	}
	if (user_r != NULL)
		*user_r = user;
	else
		vudb_obj_free(user);
	return VUDB_OK;
}

int
vudb_auth(struct vudb *db, const char *address, const char *password,
    const char *service, struct vudb_obj **user_r)
{
	char local[VUDB__LOCAL_MAX + 1], domain[VUDB__DOMAIN_MAX + 1];
	struct vudb_obj *user = NULL;
	const char *hash;
	int rc, catchall;

	if (user_r != NULL)
		*user_r = NULL;
	if (db == NULL || password == NULL)
		return VUDB_EINVAL;
	vudb__clearerr(db);
	if ((rc = vudb__refresh(db)) != VUDB_OK)
		return rc;
	if (vudb__split_name(VUDB_USER, address, local, domain,
	    &catchall) != NULL) {
		domain[0] = '\0';
		rc = VUDB_ENOTFOUND;
	} else
		rc = vudb_get(db, VUDB_USER, address, &user);
	if (rc != VUDB_OK && rc != VUDB_ENOTFOUND)
		return rc;		/* a failure is not a wrong password */
	hash = user != NULL ? vudb_obj_get(user, "password") : NULL;
	if (hash == NULL) {
		/* unknown user, or no password: the same work as a check of
		 * a hash this user would have */
		struct vudb__dom *d = NULL;

		if (domain[0] != '\0' && vudb__open_domain(db, domain, &d) !=
		    VUDB_OK)
			d = NULL;
		dummy_schemes(db, d, NULL, password);
		vudb_obj_free(user);
		return vudb__seterr(db, VUDB_EAUTH, "%s: %s",
		    address != NULL ? address : "(null)",
		    rc == VUDB_ENOTFOUND ? "unknown user" : "no password set");
	}
	rc = vudb__pw_verify(hash, password);
	if (rc == VUDB_ENOMEM || rc == VUDB_ESYS) {
		/* no memory or threads for the check (Argon2 needs tens of
		 * MiB): the password was not checked, so neither right nor
		 * wrong; a temporary failure, never a mismatch */
		vudb_obj_free(user);
		return vudb__seterr(db, VUDB_ETEMP, "%s: cannot check the "
		    "password now: %s", address, vudb_strerror(rc));
	}
	if (rc != VUDB_OK) {
		struct vudb__dom *d;
		char name[32];

		if (rc != VUDB_EAUTH)
			vudb__log(db, VUDB_LOG_WARNING, "%s: stored password "
			    "hash cannot be used: %s", vudb_obj_name(user),
			    vudb_strerror(rc));
		/* the other schemes' work: the same cost for everyone */
		if (vudb__open_domain(db, domain, &d) != VUDB_OK)
			d = NULL;
		dummy_schemes(db, d, rc == VUDB_EAUTH ? vudb__hash_scheme(hash,
		    name,
		    sizeof(name)) : NULL, password);
		vudb_obj_free(user);
		return vudb__seterr(db, VUDB_EAUTH, "%s: wrong password",
		    address);
	}
	/* only a right password learns that the account is disabled */
	return hand_over(db, user, service, 0, user_r);
}

int
vudb_authorize(struct vudb *db, const char *address, const char *service,
    struct vudb_obj **user_r)
{
	struct vudb_obj *user;
	int rc;

	if (user_r != NULL)
		*user_r = NULL;
	if (db == NULL)
		return VUDB_EINVAL;
	vudb__clearerr(db);
	if (address == NULL || vudb_name_error(VUDB_USER, address) != NULL)
		return vudb__seterr(db, VUDB_ENOTFOUND, "%s: no such user",
		    address != NULL ? address : "(null)");
	if ((rc = vudb_get(db, VUDB_USER, address, &user)) != VUDB_OK)
		return rc;
	return hand_over(db, user, service, 1, user_r);
}
