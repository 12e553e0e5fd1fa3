/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * rename.c - vudb_rename: an entry or a whole domain under a new name, in
 * one transaction.  A user keeps its mailbox where it is (home and maildir
 * pinned), and its send-as grants and the aliases and grants that name it
 * follow; a renamed domain is copied record by record and its old name
 * becomes a tombstone.  Renaming an entry stored before folding to its own
 * name moves it to its folded key.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vudb_private.h"

/* ------------------------------------------------------------ renames */

/*
 * list_replace - a comma list with every item equal to from (or, with
 * domain_only, every address of domain from) rewritten to to; NULL when
 * nothing changed or on failure (*rc_r says which).
 */
static char *
list_replace(const char *list, const char *from, const char *to,
    int domain_only, int *rc_r)
{
	const char *p, *e, *at;
	size_t n, flen = strlen(from), cap, len = 0;
	char *out;
	int changed = 0;

	*rc_r = VUDB_OK;
	cap = strlen(list) + 1;
	for (p = list; *p != '\0'; p = *e ? e + 1 : e) {
		e = p + strcspn(p, ",");
		cap += strlen(to) + 2;
	}
	if ((out = malloc(cap)) == NULL) {
		*rc_r = VUDB_ENOMEM;
		return NULL;
	}
	for (p = list; ; p = e + 1) {
		e = p + strcspn(p, ",");
		n = (size_t)(e - p);
		if (len > 0)
			out[len++] = ',';
		at = memrchr(p, '@', n);
		if (!domain_only && n == flen && memcmp(p, from, n) == 0) {
			memcpy(out + len, to, strlen(to));
			len += strlen(to);
			changed = 1;
		} else if (domain_only && at != NULL &&
		    (size_t)(e - at - 1) == flen &&
		    memcmp(at + 1, from, flen) == 0) {
			memcpy(out + len, p, (size_t)(at - p) + 1);
			len += (size_t)(at - p) + 1;
			memcpy(out + len, to, strlen(to));
			len += strlen(to);
			changed = 1;
		} else {
			memcpy(out + len, p, n);
			len += n;
		}
		if (*e == '\0')
			break;
	}
	out[len] = '\0';
	if (!changed) {
		free(out);
		return NULL;
	}
	return out;
}

/*
 * keep_mailbox - a user whose name changes keeps its mail where it is:
 * pin home and maildir to the values in force before the change.
 */
static int
keep_mailbox(struct vudb *db, struct vudb__rec *rec, const char *local,
    const char *domain)
{
	char buf[4200];
	int rc = VUDB_OK;

	if (vudb__rec_get(rec, VUDB__U_HOME) == NULL) {
		snprintf(buf, sizeof(buf), "%s/%s/%s",
		    vudb__setting(db, VUDB__S_MAIL_BASE), domain, local);
		rc = vudb__rec_set(rec, VUDB__U_HOME, buf);
	}
	if (rc == VUDB_OK && vudb__rec_get(rec, VUDB__U_MAILDIR) == NULL) {
		snprintf(buf, sizeof(buf), "%s/%s/Maildir/", domain, local);
		rc = vudb__rec_set(rec, VUDB__U_MAILDIR, buf);
	}
	return rc;
}

/* rewrite_lists - in d, point alias destinations and send-as logins that
 * name from at to instead */
static int
rewrite_lists(struct vudb *db, struct vudb__dom *d, void *txn,
    const char *from, const char *to)
{
	static const char prefixes[] = { 'a', 's' };
	struct vudb__recs r = { 0 };
	struct vudb__rec rec;
	const char *v;
	char *nv;
	size_t i, k;
	int rc = VUDB_OK;

	for (k = 0; k < sizeof(prefixes) && rc == VUDB_OK; k++) {
		rc = vudb__store_iter(db, d, txn, &prefixes[k], 1,
		    vudb__recs_collect, &r);
		for (i = 0; rc == VUDB_OK && i < r.n; i++) {
			rc = vudb__rec_decode(r.vals[i], r.vlens[i],
			    vudb__type_of_key(prefixes[k]), &rec);
			if (rc != VUDB_OK)
				break;
			if ((v = vudb__rec_get(&rec, VUDB__L_VALUE)) != NULL &&
			    (nv = list_replace(v, from, to, 0, &rc)) != NULL) {
				rc = vudb__rec_set(&rec, VUDB__L_VALUE, nv);
				free(nv);
				if (rc == VUDB_OK)
					rc = vudb__put_rec(db, d, txn,
					    r.keys[i],
					    r.klens[i], &rec);
			}
			vudb__rec_clear(&rec);
		}
		vudb__recs_free(&r);
	}
	return rc;
}

/*
 * move_entry - the transaction of a rename of a non-domain entry; flegacy
 * (or NULL) is the old key form of the source's name, tried when fl is
 * not found.  Renaming an old-form entry to its own name moves it to its
 * folded key.
 */
static int
move_entry(struct vudb *db, void *txn, int type, struct vudb__dom *ds,
    const char *fl, const char *flegacy, struct vudb__dom *dd,
    const char *tl)
{
	char fkey[VUDB__LOCAL_MAX + 2], tkey[VUDB__LOCAL_MAX + 2];
	char from[VUDB__ADDR_MAX + 1], to[VUDB__ADDR_MAX + 1];
	char old[VUDB__LOCAL_MAX + 1];
	struct vudb__rec rec, grants;
	size_t fk, tk;
	unsigned int ctag = 0, maxtag = 0;
	int rc;

	fk = vudb__key(type, fl, strlen(fl), fkey);
	tk = vudb__key(type, tl, strlen(tl), tkey);
	rc = vudb__get_rec_txn(db, ds, txn, type, fkey, fk, &rec);
	if (rc == VUDB_ENOTFOUND && flegacy != NULL) {
		vudb__rec_clear(&rec);
		fl = flegacy;
		fk = vudb__key(type, fl, strlen(fl), fkey);
		rc = vudb__get_rec_txn(db, ds, txn, type, fkey, fk, &rec);
	}
	if (rc != VUDB_OK) {
		vudb__rec_clear(&rec);
		return rc == VUDB_ENOTFOUND ? vudb__seterr(db, rc, "%s@%s: not "
		    "found", fl, ds->name) : rc;
	}
	if (ds == dd && fk == tk && memcmp(fkey, tkey, fk) == 0) {
		rc = vudb__seterr(db, VUDB_EEXIST, "%s@%s: same name", tl,
		    dd->name);
		goto out;
	}
	rc = vudb__store_get(db, dd, txn, tkey, tk, &db->buf);
	if (rc == VUDB_OK)
		rc = vudb__seterr(db, VUDB_EEXIST, "%s@%s: already exists",
		    tl, dd->name);
	if (rc != VUDB_ENOTFOUND)
		goto out;
	/* the target's name stored before folding, unless it is the source */
	rc = vudb__oldkey_taken(db, dd, txn, type, tl, old);
	if (rc == 1 && !(ds == dd && strcmp(old, fl) == 0))
		rc = vudb__seterr(db, VUDB_EEXIST, "%s@%s: already exists as "
		    "%s@%s", tl, dd->name, old, dd->name);
	else if (rc == 1)
		rc = VUDB_OK;
	if (rc != VUDB_OK)
		goto out;
	if (type == VUDB_USER) {
		ctag = VUDB__C_USERS;
		maxtag = VUDB__D_MAX_USERS;
		if ((rc = keep_mailbox(db, &rec, fl, ds->name)) != VUDB_OK)
			goto out;
	} else if (type == VUDB_ALIAS) {
		ctag = VUDB__C_ALIASES;
		maxtag = VUDB__D_MAX_ALIASES;
	}
	vudb__set_now(&rec, vudb__tag_updated(type));
	if (ctag != 0 && ds != dd) {
		if ((rc = vudb__count_add(db, dd, txn, ctag, 1, maxtag, 1)) != 0
		    ||
		    (rc = vudb__count_add(db, ds, txn, ctag, -1, 0, 0)) != 0)
			goto out;
	}
	if ((rc = vudb__put_rec(db, dd, txn, tkey, tk, &rec)) != VUDB_OK ||
	    (rc = vudb__store_del(db, ds, txn, fkey, fk)) != VUDB_OK)
		goto out;
	if (type != VUDB_USER)
		goto out;
	/* the user's send-as grants move with it */
	fk = vudb__key(VUDB_SENDER, fl, strlen(fl), fkey);
	tk = vudb__key(VUDB_SENDER, tl, strlen(tl), tkey);
	rc = vudb__get_rec_txn(db, ds, txn, VUDB_SENDER, fkey, fk, &grants);
	if (rc == VUDB_OK) {
		rc = vudb__put_rec(db, dd, txn, tkey, tk, &grants);
		if (rc == VUDB_OK)
			rc = vudb__store_del(db, ds, txn, fkey, fk);
		vudb__rec_clear(&grants);
	} else if (rc == VUDB_ENOTFOUND)
		rc = VUDB_OK;
	/* and aliases and grants that name it follow */
	snprintf(from, sizeof(from), "%s@%s", fl, ds->name);
	snprintf(to, sizeof(to), "%s@%s", tl, dd->name);
	if (rc == VUDB_OK)
		rc = rewrite_lists(db, ds, txn, from, to);
	if (rc == VUDB_OK && dd != ds)
		rc = rewrite_lists(db, dd, txn, from, to);
out:
	vudb__rec_clear(&rec);
	return rc;
}

/* copy_domain - the transaction of a domain rename */
static int
copy_domain(struct vudb *db, void *txn, struct vudb__dom *ds,
    struct vudb__dom *dd)
{
	struct vudb__recs r = { 0 };
	struct vudb__rec rec, tomb;
	const char *v, *local;
	char *nv;
	size_t i;
	int rc, type;

	rc = vudb__get_rec_txn(db, dd, txn, VUDB_DOMAIN, "D", 1, &tomb);
	if (rc == VUDB_OK) {
		v = vudb__rec_get(&tomb, VUDB__D_DELETED);
		if (v == NULL || strcmp(v, "yes") != 0)
			rc = vudb__seterr(db, VUDB_EEXIST, "%s: already "
			    "exists", dd->name);
		else
			rc = vudb__wipe_domain(db, dd, txn);
		vudb__rec_clear(&tomb);
		if (rc != VUDB_OK)
			return rc;
	} else if (rc != VUDB_ENOTFOUND)
		return rc;
	rc = vudb__store_iter(db, ds, txn, "", 0, vudb__recs_collect, &r);
	if (rc != VUDB_OK)
		goto out;
	for (i = 0; rc == VUDB_OK && i < r.n; i++) {
		if ((type = vudb__type_of_key(r.keys[i][0])) == 0)
			continue;
		if ((rc = vudb__rec_decode(r.vals[i], r.vlens[i], type,
		    &rec)) != VUDB_OK) {
			rc = vudb__seterr(db, rc, "%s: damaged record",
			    ds->name);
			break;
		}
		local = r.keys[i] + 1;
		if (type == VUDB_USER)
			rc = keep_mailbox(db, &rec, local, ds->name);
		if (rc == VUDB_OK && (type == VUDB_ALIAS ||
		    type == VUDB_SENDER) &&
		    (v = vudb__rec_get(&rec, VUDB__L_VALUE)) != NULL &&
		    (nv = list_replace(v, ds->name, dd->name, 1, &rc)) != NULL) {
			rc = vudb__rec_set(&rec, VUDB__L_VALUE, nv);
			free(nv);
		}
		if (rc == VUDB_OK && type == VUDB_DOMAIN)
			vudb__set_now(&rec, VUDB__D_UPDATED);
		if (rc == VUDB_OK)
			rc = vudb__put_rec(db, dd, txn, r.keys[i], r.klens[i],
			    &rec);
		vudb__rec_clear(&rec);
	}
	if (rc != VUDB_OK)
		goto out;
	/* the old name becomes a tombstone */
	if ((rc = vudb__get_rec_txn(db, ds, txn, VUDB_DOMAIN, "D", 1,
	    &tomb)) != 0)
		goto out;
	if ((rc = vudb__wipe_domain(db, ds, txn)) == VUDB_OK) {
		(void)vudb__rec_set(&tomb, VUDB__D_DELETED, "yes");
		vudb__set_now(&tomb, VUDB__D_UPDATED);
		rc = vudb__put_rec(db, ds, txn, "D", 1, &tomb);
	}
	vudb__rec_clear(&tomb);
out:
	vudb__recs_free(&r);
	return rc;
}

/* The transaction of a rename. */
struct move {
	int			 type;
	struct vudb__dom	*ds, *dd;
	const char		*fl, *flp, *tl;
};

static int
move(struct vudb *db, void *txn, void *arg)
{
	const struct move *mv = arg;

	if (mv->type == VUDB_DOMAIN)
		return copy_domain(db, txn, mv->ds, mv->dd);
	return move_entry(db, txn, mv->type, mv->ds, mv->fl, mv->flp, mv->dd,
	    mv->tl);
}

/* audit - the audit line of a rename: the old name, the new one */
static void
audit(struct vudb *db, int type, const char *fl, const char *fd,
    const char *tl, const char *td)
{
	char from[VUDB__ADDR_MAX + 2], to[VUDB__ADDR_MAX + 2];

	if (type == VUDB_DOMAIN) {
		snprintf(from, sizeof(from), "%s", fd);
		snprintf(to, sizeof(to), "%s", td);
	} else {
		vudb__entry_name(from, sizeof(from), type, fl, fd);
		vudb__entry_name(to, sizeof(to), type, tl, td);
	}
	vudb__audit(db, "rename", type, NULL, from, NULL, to);
}

static int
rename_once(struct vudb *db, int type, const char *from, const char *to)
{
	char fl[VUDB__LOCAL_MAX + 1], fd[VUDB__DOMAIN_MAX + 1];
	char tl[VUDB__LOCAL_MAX + 1], td[VUDB__DOMAIN_MAX + 1];
	char flegacy[VUDB__LOCAL_MAX + 1];
	const char *flp;
	struct vudb__dom *ds, *dd;
	struct move mv;
	int rc, c1, c2;

	if ((rc = vudb__start_write(db,
	    "cannot rename inside a batch")) != VUDB_OK)
		return rc;
	if ((rc = vudb__split(db, type, from, fl, fd, &c1)) != VUDB_OK ||
	    (rc = vudb__split(db, type, to, tl, td, &c2)) != VUDB_OK)
		return rc;
	if (c1 != c2)
		return vudb__seterr(db, VUDB_EINVAL, "a catch-all can only be "
		    "renamed to a catch-all");
	flp = type != VUDB_DOMAIN && vudb__legacy_local(from, fl, flegacy) ?
	    flegacy : NULL;
	/* the same name: only an old-form entry moves, to its folded key */
	if (strcmp(fl, tl) == 0 && strcmp(fd, td) == 0 && flp == NULL)
		return vudb__seterr(db, VUDB_EEXIST, "%s: same name", to);
	if ((rc = vudb__open_domain(db, fd, &ds)) != VUDB_OK)
		return rc;
	if (type == VUDB_DOMAIN) {
		if ((rc = vudb__dom_get(db, td, 1, &dd)) != VUDB_OK)
			return rc;
	} else if ((rc = vudb__open_domain(db, td, &dd)) != VUDB_OK)
		return rc;
	if (type != VUDB_DOMAIN && type != VUDB_RELOCATED &&
	    (ds->is_alias || dd->is_alias))
		return vudb__seterr(db, VUDB_EINVAL, "no such entries in an "
		    "alias domain");
	mv.type = type;
	mv.ds = ds;
	mv.fl = fl;
	mv.flp = flp;
	mv.dd = dd;
	mv.tl = tl;
	/* both databases stay open: neither is the LRU victim below */
	db->txn_dom = dd;
	rc = vudb__txn_run(db, move, &mv);
	db->txn_dom = NULL;
	ds->meta_state = dd->meta_state = VUDB__META_UNKNOWN;
	if (rc == VUDB_OK)
		audit(db, type, fl, fd, tl, td);
	if (rc != VUDB_OK || type != VUDB_DOMAIN)
		return rc;
	vudb__bump_gen(db);
	vudb__dom_drop(db, ds);
	if (vudb__store_dom_remove(db, fd) != VUDB_OK) {
		vudb__log(db, VUDB_LOG_INFO, "%s: renamed; the old file stays "
		    "until every reader has closed it (%s)", fd, db->errmsg);
		vudb__clearerr(db);
	}
	return VUDB_OK;
}

int
vudb_rename(struct vudb *db, int type, const char *from, const char *to)
{
	int rc;

	rc = rename_once(db, type, from, to);
	if (db != NULL && vudb__again_write(db, rc))
		rc = rename_once(db, type, from, to);
	return rc;
}
