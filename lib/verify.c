/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * verify.c - vudb_verify(): check a store or one domain and report every
 * problem found.  The backend checks each database file's structure; then
 * every record must be intact (its checksum, for records of format version
 * 2; older ones are counted and reported once per domain, not as a
 * problem) and decode as the type its key names, every name in a key
 * must be canonical, the domain record must be there, and the user and
 * alias counters that enforce the limits must match what is stored.  A
 * name stored before local parts were folded is a warning (a report that
 * starts "warning: " and is no problem), unless another entry has its
 * folded name: then the two are one address, a problem.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vudb_private.h"

struct vctx {
	struct vudb	*db;
	const char	*domain;
	void		(*report)(void *, const char *, const char *);
	void		*arg;
	unsigned long	 problems;
	unsigned long long users, aliases;
	int		 has_d, has_c;
	unsigned long long nosum;	/* records without a checksum */
	unsigned long long recs;	/* records seen */
	unsigned long long c_users, c_aliases;
};

static void
problem(struct vctx *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
problem(struct vctx *v, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	v->problems++;
	if (v->report == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	v->report(v->arg, v->domain, msg);
}

/* old_forms - the warnings and problems of d's old-form names */
static void
old_forms(struct vctx *v, struct vudb__dom *d)
{
	static const char *const what[] = {
		['u'] = "user", ['a'] = "alias", ['r'] = "relocated",
		['s'] = "sender grant"
	};
	struct vudb *db = v->db;
	const char *p, *f, *k, *end;
	char key[VUDB__LOCAL_MAX + 2], msg[1024];
	int rc;

	if (vudb__oldkeys_load(db, d, NULL) != VUDB_OK) {
		problem(v, "cannot read every record: %s", db->errmsg);
		vudb__clearerr(db);
		return;
	}
	end = d->oldkeys + d->oldkeys_len;
	for (p = d->oldkeys; p != NULL && p < end; p = k + strlen(k) + 1) {
		f = p + 1;
		k = f + strlen(f) + 1;
		key[0] = p[0];
		memcpy(key + 1, f, strlen(f));
		rc = vudb__store_get_raw(db, d, key, 1 + strlen(f), &db->buf);
		if (rc == VUDB_OK)
			problem(v, "%s %s@%s: stored before local parts were "
			    "folded, and %s@%s exists too: both names are "
			    "%s@%s now; rename or delete one", what[(int)p[0]],
			    k + 1, d->name, f, d->name, f, d->name);
		else if (rc == VUDB_ENOTFOUND && v->report != NULL) {
			snprintf(msg, sizeof(msg), "warning: %s %s@%s: stored "
			    "before local parts were folded (found as %s@%s "
			    "through the old form only); %s", what[(int)p[0]],
			    k + 1, d->name, f, d->name, p[0] == 'u' ?
			    "rename it to itself to store it folded" :
			    "delete it and add it again");
			v->report(v->arg, v->domain, msg);
		} else if (rc != VUDB_ENOTFOUND) {
			problem(v, "cannot read every record: %s", db->errmsg);
			vudb__clearerr(db);
		}
	}
}

static int
check_record(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	struct vctx *v = arg;
	char local[VUDB__LOCAL_MAX + 1], name[VUDB__LOCAL_MAX + 2];
	struct vudb__rec rec;
	const char *k = key, *s;
	unsigned long long n;
	int type, rc;

	v->recs++;
	snprintf(name, sizeof(name), "%.*s", (int)(klen > 1 ? klen - 1 : 0),
	    k + 1);
	switch (klen > 0 ? k[0] : 0) {
	case 'D': type = VUDB_DOMAIN; break;
	case '#': type = VUDB__REC_COUNTERS; break;
	case 'u': type = VUDB_USER; break;
	case 'a': type = VUDB_ALIAS; break;
	case 'r': type = VUDB_RELOCATED; break;
	case 's': type = VUDB_SENDER; break;
	default:
		problem(v, "unknown key of %zu bytes", klen);
		return 0;
	}
	if ((type == VUDB_DOMAIN || type == VUDB__REC_COUNTERS) && klen != 1) {
		problem(v, "unknown key %c%s", k[0], name);
		return 0;
	}
	if (type != VUDB_DOMAIN && type != VUDB__REC_COUNTERS) {
		if (klen == 1 && type != VUDB_ALIAS && type != VUDB_RELOCATED)
			problem(v, "%c: entry without a name", k[0]);
		else if (klen > 1 && !(klen - 1 <= VUDB__LOCAL_MAX &&
		    vudb__oldform(k + 1, klen - 1, local)) &&
		    (klen - 1 > VUDB__LOCAL_MAX ||
		    vudb__local_norm(k + 1, klen - 1, local) != NULL ||
		    strlen(local) != klen - 1 ||
		    memcmp(local, k + 1, klen - 1) != 0))
			problem(v, "%s: not a canonical name", name);
	}
	rc = vudb__rec_check(key, klen, val, vlen);
	if (rc == VUDB_ECORRUPT) {
		problem(v, "%s%s: fails its checksum: the domain file is "
		    "damaged", type == VUDB_DOMAIN ? "domain record" :
		    type == VUDB__REC_COUNTERS ? "counters" : name,
		    type == VUDB_USER ? " (user)" : "");
		return 0;
	}
	if (rc == VUDB__REC_NOSUM)
		v->nosum++;
	rc = vudb__rec_decode(val, vlen, type, &rec);
	if (rc != VUDB_OK) {
		problem(v, "%s%s%s: record cannot be read: %s",
		    type == VUDB_DOMAIN ? "domain record" :
		    type == VUDB__REC_COUNTERS ? "counters" : name,
		    type == VUDB_USER ? " (user)" : "", "", vudb_strerror(rc));
		return 0;
	}
	switch (type) {
	case VUDB_DOMAIN:
		v->has_d = 1;
		s = vudb__rec_get(&rec, VUDB__D_DELETED);
		if (s != NULL && strcmp(s, "yes") == 0)
			v->has_d = 2;
		break;
	case VUDB__REC_COUNTERS:
		v->has_c = 1;
		if ((s = vudb__rec_get(&rec, VUDB__C_USERS)) != NULL &&
		    vudb__parse_u64(s, ~0ULL, &n) == 0)
			v->c_users = n;
		if ((s = vudb__rec_get(&rec, VUDB__C_ALIASES)) != NULL &&
		    vudb__parse_u64(s, ~0ULL, &n) == 0)
			v->c_aliases = n;
		break;
	case VUDB_USER:
		v->users++;
		break;
	case VUDB_ALIAS:
		v->aliases++;
		/* FALLTHROUGH */
	case VUDB_RELOCATED:
	case VUDB_SENDER:
		if (vudb__rec_get(&rec, VUDB__L_VALUE) == NULL)
			problem(v, "%s: no destination", name);
		break;
	}
	vudb__rec_clear(&rec);
	return 0;
}

static int
verify_domain(struct vctx *v, const char *domain)
{
	struct vudb *db = v->db;
	struct vudb__dom *d;
	int rc;

	v->domain = domain;
	v->users = v->aliases = v->c_users = v->c_aliases = 0;
	v->has_d = v->has_c = 0;
	v->nosum = v->recs = 0;
	/* the backend's structural check wants the file closed here */
	for (d = db->lru_head; d != NULL; d = d->next)
		if (strcmp(d->name, domain) == 0) {
			vudb__dom_drop(db, d);
			break;
		}
	rc = vudb__store_verify(db, domain);
	if (rc == VUDB_ENOTFOUND)
		return rc;
	if (rc != VUDB_OK) {
		problem(v, "database file: %s", db->errmsg);
		vudb__clearerr(db);
		return VUDB_OK;
	}
	rc = vudb__dom_get(db, domain, 0, &d);
	if (rc != VUDB_OK) {
		if (rc == VUDB_ENOTFOUND)
			return rc;
		problem(v, "cannot open: %s", db->errmsg);
		vudb__clearerr(db);
		return VUDB_OK;
	}
	rc = vudb__store_iter_raw(db, d, check_record, v);
	if (rc != VUDB_OK) {
		problem(v, "cannot read every record: %s", db->errmsg);
		vudb__clearerr(db);
		return VUDB_OK;
	}
	old_forms(v, d);
	if (v->nosum > 0 && v->report != NULL) {
		char msg[256];

		/* a note, not a problem: such a store is not damaged */
		snprintf(msg, sizeof(msg), "note: %llu record%s without a "
		    "checksum (written before record format 2); each gets one "
		    "when it is next changed, all of them by vudbadm convert",
		    v->nosum, v->nosum == 1 ? "" : "s");
		v->report(v->arg, v->domain, msg);
	}
	if (v->has_d == 0 && v->recs == 0) {
		/* an empty file, as a writer killed while it added the
		 * domain leaves it (LMDB makes the file before the first
		 * commit): nothing is wrong with the store */
		if (v->report != NULL)
			v->report(v->arg, v->domain, "note: an empty file "
			    "left by an unfinished add (harmless; vudbadm "
			    "domain add reuses it)");
	} else if (v->has_d == 0)
		problem(v, "no domain record: the file holds entries but "
		    "not the domain itself");
	else if (v->has_d == 2)
		problem(v, "a deleted domain whose file is still there "
		    "(removed once no process holds it open)");
	else if (v->users != v->c_users || v->aliases != v->c_aliases)
		problem(v, "counters say %llu users and %llu aliases, the "
		    "database holds %llu and %llu", v->c_users, v->c_aliases,
		    v->users, v->aliases);
	return VUDB_OK;
}

static int
verify_one(void *arg, const char *domain)
{
	struct vctx *v = arg;
	char copy[VUDB__DOMAIN_MAX + 1];

	snprintf(copy, sizeof(copy), "%s", domain);
	if (vudb__domain_norm(copy, strlen(copy), copy) != NULL ||
	    strcmp(copy, domain) != 0) {
		v->domain = domain;
		problem(v, "file name is not a canonical domain name");
		return 0;
	}
	(void)verify_domain(v, domain);
	return 0;
}

int
vudb_verify(struct vudb *db, const char *domain,
    void (*report)(void *, const char *, const char *), void *arg)
{
	char local[VUDB__LOCAL_MAX + 1], dom[VUDB__DOMAIN_MAX + 1];
	struct vudb__names nm = { NULL, 0, 0 };
	struct vctx v;
	size_t i;
	int rc, catchall;

	if (db == NULL)
		return VUDB_EINVAL;
	vudb__clearerr(db);
	if ((rc = vudb__refresh(db)) != VUDB_OK)
		return rc;
	if (db->txn != NULL)
		return vudb__seterr(db, VUDB_EINVAL, "a batch is open");
	memset(&v, 0, sizeof(v));
	v.db = db;
	v.report = report;
	v.arg = arg;
	if (domain != NULL) {
		if ((rc = vudb__split(db, VUDB_DOMAIN, domain, local, dom,
		    &catchall)) != VUDB_OK)
			return rc;
		if ((rc = verify_domain(&v, dom)) == VUDB_ENOTFOUND)
			return vudb__seterr(db, rc, "%s: no such domain", dom);
	} else {
		/* in name order, so that reports are stable */
		rc = vudb__domain_names(db, &nm);
		for (i = 0; rc == VUDB_OK && i < nm.n; i++)
			(void)verify_one(&v, nm.v[i]);
		vudb__names_free(&nm);
		if (rc != VUDB_OK)
			return rc;
	}
	if (v.problems > 0)
		return vudb__seterr(db, VUDB_ECORRUPT, "%lu problem%s found",
		    v.problems, v.problems == 1 ? "" : "s");
	return VUDB_OK;
}
