/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * grant.c - vudb_grant and vudb_revoke: send-as logins added to or taken
 * from an address's grants, atomically.  A grant is a read-modify-write
 * of one record (the logins already granted, plus or minus some), and
 * done as separate calls two administrators granting at once could each
 * write their own list over the other's.  Here the read and the write are
 * one transaction: a batch on the address's domain (vudb_begin), which
 * the backends isolate (Berkeley DB's snapshot transactions fail a write
 * over a record changed since they read it, LMDB has one writer at a
 * time).  A conflict aborts the batch, and the whole change is tried
 * again on what the other one committed.  Inside a batch the caller
 * opened, the change simply joins it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vudb_private.h"

/* MAX_TRIES - conflicts tolerated before VUDB_ETEMP is returned; each
 * one means that another writer committed, so this bounds only bad luck */
#define MAX_TRIES	30

/* backoff - sleep a little before trying again; more each time, never in
 * step with the process that won (a few milliseconds, jittered) */
static void
backoff(int tries)
{
	struct timespec ts;
	unsigned long r;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	r = ((unsigned long)ts.tv_nsec ^ (unsigned long)getpid() * 2654435761UL)
	    >> 4;
	ts.tv_sec = 0;
	ts.tv_nsec = (long)(200000UL + r % (500000UL << (tries < 5 ? tries :
	    5)));
	(void)nanosleep(&ts, NULL);
}

/* in_list - whether the comma-separated list holds item (n bytes) */
static int
in_list(const char *list, const char *item, size_t n)
{
	const char *p, *e;

	for (p = list; ; p = e + 1) {
		e = p + strcspn(p, ",");
		if ((size_t)(e - p) == n && memcmp(p, item, n) == 0)
			return 1;
		if (*e == '\0')
			return 0;
	}
}

/*
 * revoke_list - the canonical logins named in logins (empty items left
 * out, each once), as a comma-separated list in *canon_r (free), each
 * one checked: a valid address, and granted in old.  Being a part of
 * old, the list is never longer than old.
 */
static int
revoke_list(struct vudb *db, const char *address, const char *old,
    const char *logins, char **canon_r)
{
	char *canon, *norm, *one;
	const char *p, *e, *why;
	size_t len = 0;
	int rc = VUDB_OK;

	*canon_r = NULL;
	if ((canon = calloc(1, strlen(old) + 1)) == NULL)
		return vudb__seterr(db, VUDB_ENOMEM, "out of memory");
	for (p = logins; rc == VUDB_OK; p = e + 1) {
		e = p + strcspn(p, ",");
		if (e > p) {
			if ((one = strndup(p, (size_t)(e - p))) == NULL) {
				rc = vudb__seterr(db, VUDB_ENOMEM, "out of "
				    "memory");
				break;
			}
			if ((rc = vudb_normalize(VUDB_USER, one, &norm)) ==
			    VUDB_EINVAL) {
				why = vudb_name_error(VUDB_USER, one);
				rc = vudb__seterr(db, rc, "%s: %s", one,
				    why != NULL ? why : "invalid address");
			} else if (rc != VUDB_OK)
				rc = vudb__seterr(db, rc, "out of memory");
			else if (!in_list(old, norm, strlen(norm)))
				rc = vudb__seterr(db, VUDB_ENOTFOUND, "%s: %s: "
				    "not granted", address, norm);
			else if (!in_list(canon, norm, strlen(norm))) {
				if (len > 0)
					canon[len++] = ',';
				memcpy(canon + len, norm, strlen(norm) + 1);
				len += strlen(norm);
			}
			vudb_free(norm);
			free(one);
		}
		if (*e == '\0')
			break;
	}
	if (rc != VUDB_OK) {
		free(canon);
		return rc;
	}
	*canon_r = canon;
	return VUDB_OK;
}

/* revoke_once - take logins from the grants of address */
static int
revoke_once(struct vudb *db, const char *address, const char *logins)
{
	struct vudb_obj *o;
	const char *attrs[3], *old, *p, *e;
	char *gone, *left = NULL;
	size_t len = 0;
	int rc;

	if ((rc = vudb_get(db, VUDB_SENDER, address, &o)) != VUDB_OK)
		return rc;
	if ((old = vudb_obj_get(o, "logins")) == NULL)
		old = "";
	if ((rc = revoke_list(db, address, old, logins, &gone)) != VUDB_OK)
		goto out;
	if ((left = calloc(1, strlen(old) + 1)) == NULL) {
		rc = vudb__seterr(db, VUDB_ENOMEM, "out of memory");
		goto out;
	}
	/* the grants that stay, in their order */
	for (p = old; *p != '\0'; p = *e != '\0' ? e + 1 : e) {
		e = p + strcspn(p, ",");
		if (e == p || in_list(gone, p, (size_t)(e - p)))
			continue;
		if (len > 0)
			left[len++] = ',';
		memcpy(left + len, p, (size_t)(e - p));
		len += (size_t)(e - p);
	}
	left[len] = '\0';
	free(gone);
	if (left[0] == '\0')
		rc = vudb_del(db, VUDB_SENDER, address);
	else {
		attrs[0] = "logins";
		attrs[1] = left;
		attrs[2] = NULL;
		rc = vudb_update(db, VUDB_SENDER, address, attrs);
	}
out:
	free(left);
	vudb_obj_free(o);
	return rc;
}

/* grant_once - add logins to the grants of address */
static int
grant_once(struct vudb *db, const char *address, const char *logins)
{
	struct vudb_obj *o = NULL;
	const char *attrs[3], *old;
	char *all = NULL;
	int rc;

	rc = vudb_get(db, VUDB_SENDER, address, &o);
	if (rc != VUDB_OK && rc != VUDB_ENOTFOUND)
		return rc;
	vudb__clearerr(db);
	attrs[0] = "logins";
	attrs[2] = NULL;
	if (rc == VUDB_OK && (old = vudb_obj_get(o, "logins")) != NULL) {
		/* the value's rule drops logins granted twice */
		if (asprintf(&all, "%s,%s", old, logins) < 0) {
			vudb_obj_free(o);
			return vudb__seterr(db, VUDB_ENOMEM, "out of memory");
		}
		attrs[1] = all;
		rc = vudb_update(db, VUDB_SENDER, address, attrs);
	} else {
		attrs[1] = logins;
		rc = vudb_add(db, VUDB_SENDER, address, attrs);
	}
	free(all);
	vudb_obj_free(o);
	return rc;
}

static int
change_once(struct vudb *db, const char *address, const char *logins,
    int revoke)
{
	char local[VUDB__LOCAL_MAX + 1], domain[VUDB__DOMAIN_MAX + 1];
	char name[VUDB__ADDR_MAX + 2];
	int rc, catchall;

	/* one audit line, "grant" or "revoke", for the changes made */
	db->audit_quiet = 1;
	rc = revoke ? revoke_once(db, address, logins) :
	    grant_once(db, address, logins);
	db->audit_quiet = 0;
	if (rc == VUDB_OK && vudb__split(db, VUDB_SENDER, address, local,
	    domain, &catchall) == VUDB_OK) {
		vudb__entry_name(name, sizeof(name), VUDB_SENDER, local,
		    domain);
		vudb__audit(db, revoke ? "revoke" : "grant", VUDB_SENDER,
		    NULL, name, NULL, logins);
	}
	return rc;
}

/* grants_change - one grant or revoke, atomic, retried on conflicts */
static int
grants_change(struct vudb *db, const char *address, const char *logins,
    int revoke)
{
	char local[VUDB__LOCAL_MAX + 1], domain[VUDB__DOMAIN_MAX + 1];
	char msg[sizeof(db->errmsg)];
	struct vudb__dom *d;
	int rc, tries, catchall;

	if (db == NULL)
		return VUDB_EINVAL;
	vudb__clearerr(db);
	if (logins == NULL)
		return vudb__seterr(db, VUDB_EINVAL, "no logins given");
	/* in the caller's batch, whose commit makes it atomic */
	if (db->txn != NULL)
		return change_once(db, address, logins, revoke);
	if ((rc = vudb__refresh(db)) != VUDB_OK)
		return rc;
	if ((rc = vudb__split(db, VUDB_SENDER, address, local, domain,
	    &catchall)) != VUDB_OK)
		return rc;
	/* a batch on a domain that does not exist would start building it */
	if ((rc = vudb__dom_find(db, domain, &d)) == VUDB_ENOTFOUND)
		return vudb__seterr(db, rc, "%s: no such domain", domain);
	if (rc != VUDB_OK)
		return rc;
	for (tries = 1; ; tries++) {
		if ((rc = vudb_begin(db, domain)) != VUDB_OK)
			return rc;
		if ((rc = change_once(db, address, logins, revoke)) ==
		    VUDB_OK)
			rc = vudb_commit(db);
		else {
			/* vudb_abort clears the message of the failure */
			snprintf(msg, sizeof(msg), "%s", db->errmsg);
			(void)vudb_abort(db);
			(void)vudb__seterr(db, rc, "%s", msg);
		}
		/* VUDB_EEXIST: another grant made the entry first */
		if ((rc != VUDB_ETEMP && (rc != VUDB_EEXIST || revoke)) ||
		    tries == MAX_TRIES)
			return rc;
		backoff(tries);
		vudb__clearerr(db);
	}
}

int
vudb_grant(struct vudb *db, const char *address, const char *logins)
{
	return grants_change(db, address, logins, 0);
}

int
vudb_revoke(struct vudb *db, const char *address, const char *logins)
{
	return grants_change(db, address, logins, 1);
}
