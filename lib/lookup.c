/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * lookup.c - vudb_lookup(), Postfix's search order done by the library.
 * Postfix sends a socketmap or tcp_table server only the full key, once,
 * in its original case, so this file folds case, strips an address
 * extension at the first recipient delimiter and tries local+ext@domain,
 * then local@domain, then @domain where the map allows a catch-all.  A
 * catch-all answers only when no mailbox, alias or relocated entry exists
 * for the address.  An empty or malformed key is "not found"; a storage
 * failure is returned as the failure it is, never as "not found", so that
 * the adapters defer mail instead of bouncing it.  A local part holding
 * UTF-8 whose folded key is not found is tried again in the form stores
 * written before local parts were folded hold (keys.c), so that no
 * address of such a store bounces after an upgrade.
 *
 * This is the hot path: no allocation but the answer, one backend get in
 * the common case, records scanned in place; a handle opened with
 * VUDB_CACHE answers a key asked before from its answer cache (cache.c)
 * while nothing it depends on has changed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vudb_private.h"

enum map {
	M_DOMAIN, M_MAILBOX, M_ALIAS, M_SENDER, M_UID, M_GID, M_RELOCATED
};

static const char *const map_names[] = {
	[M_DOMAIN] = "domain", [M_MAILBOX] = "mailbox", [M_ALIAS] = "alias",
	[M_SENDER] = "sender", [M_UID] = "uid", [M_GID] = "gid",
	[M_RELOCATED] = "relocated",
};

#define NMAPS	(sizeof(map_names) / sizeof(map_names[0]))
#define MAXTAG	16

/* A parsed key: the folded local part, its extension, the domain; and
 * the old key form of the local part when it differs. */
struct key {
	char		 local[VUDB__LOCAL_MAX + 1];
	size_t		 len;		/* of local */
	size_t		 base;		/* length without the extension */
	char		 domain[VUDB__DOMAIN_MAX + 1];
	char		 legacy[VUDB__LOCAL_MAX + 1];
	size_t		 llen;		/* of legacy; 0: none */
	size_t		 lbase;
};

/* The entry a key matched: its local part as stored. */
struct match {
	const char	*local;
	size_t		 len;		/* of the stored name */
	size_t		 full;		/* of the key tried (with extension) */
	int		 stripped;	/* found without the extension */
};

static int
map_id(const char *map)
{
	size_t i;

	if (map == NULL)
		return -1;
	for (i = 0; i < NMAPS; i++)
		if (strcmp(map_names[i], map) == 0)
			return (int)i;
	return -1;
}

int
vudb_map_valid(const char *map)
{
	return map_id(map) >= 0;
}

/* vudb__map_kind - the kind of value a map answers; -1 for no map */
int
vudb__map_kind(const char *map)
{
	static const enum vudb__kind kinds[] = {
		[M_DOMAIN] = VUDB__K_DOMAIN, [M_MAILBOX] = VUDB__K_RELPATH,
		[M_ALIAS] = VUDB__K_ADDRLIST, [M_SENDER] = VUDB__K_ADDRLIST,
		[M_UID] = VUDB__K_ID, [M_GID] = VUDB__K_ID,
		[M_RELOCATED] = VUDB__K_DEST,
	};
	int m = map_id(map);

	return m >= 0 ? (int)kinds[m] : -1;
}

/* find_domain - an existing domain's database, else VUDB_ENOTFOUND */
static int
find_domain(struct vudb *db, const char *domain, struct vudb__dom **d_r)
{
	return vudb__dom_find(db, domain, d_r);
}

/* get - fetch the record of type for local[0..len) into db->buf */
static int
get(struct vudb *db, struct vudb__dom *d, int type, const char *local,
    size_t len)
{
	char key[VUDB__LOCAL_MAX + 2];
	size_t klen;

	klen = vudb__key(type, local, len, key);
	return vudb__store_get(db, d, NULL, key, klen, &db->buf);
}

/* find_form - try local+ext, then local (if there is an extension) */
static int
find_form(struct vudb *db, struct vudb__dom *d, int type, const char *local,
    size_t len, size_t base, struct match *m)
{
	int rc;

	m->local = local;
	m->full = len;
	m->len = len;
	m->stripped = 0;
	rc = get(db, d, type, local, len);
	if (rc != VUDB_ENOTFOUND || base == len)
		return rc;
	m->len = base;
	m->stripped = 1;
	return get(db, d, type, local, base);
}

/*
 * find_entry - the folded key with and without its extension, then the
 * old key form of the local part the same way; m says what matched.
 */
static int
find_entry(struct vudb *db, struct vudb__dom *d, int type,
    const struct key *k, struct match *m)
{
	int rc;

	rc = find_form(db, d, type, k->local, k->len, k->base, m);
	if (rc != VUDB_ENOTFOUND || k->llen == 0)
		return rc;
	return find_form(db, d, type, k->legacy, k->llen, k->lbase, m);
}

static int
scan(struct vudb *db, int type, const char **vals, size_t *lens)
{
	int rc;

	rc = vudb__rec_scan(db->buf.data, db->buf.len, type, vals, lens,
	    MAXTAG);
	if (rc != VUDB_OK)
		vudb__seterr(db, rc, "damaged record");
	return rc;
}

static int
is_no(const char *v, size_t len)
{
	return v != NULL && len == 2 && memcmp(v, "no", 2) == 0;
}

static int
answer_str(char **answer_r, const char *s, size_t len)
{
	if ((*answer_r = malloc(len + 1)) == NULL)
		return VUDB_ENOMEM;
	memcpy(*answer_r, s, len);
	(*answer_r)[len] = '\0';
	return VUDB_OK;
}

/*
 * answer_list - a comma-separated address list, with the extension ext
 * (with its delimiter) inserted before each '@' when extlen > 0.
 */
static int
answer_list(char **answer_r, const char *list, size_t len, const char *ext,
    size_t extlen)
{
	const char *p, *e, *end = list + len, *at;
	size_t n = 0, cap;
	char *out;

	if (extlen == 0)
		return answer_str(answer_r, list, len);
	cap = len + 1;
	for (p = list; p < end; p++)
		if (*p == ',')
			cap += extlen;
	cap += extlen;
	if ((out = malloc(cap)) == NULL)
		return VUDB_ENOMEM;
	for (p = list; p < end; p = e + 1) {
		if ((e = memchr(p, ',', (size_t)(end - p))) == NULL)
			e = end;
		if (n > 0)
			out[n++] = ',';
		if ((at = memrchr(p, '@', (size_t)(e - p))) == NULL)
			at = e;
		memcpy(out + n, p, (size_t)(at - p));
		n += (size_t)(at - p);
		memcpy(out + n, ext, extlen);
		n += extlen;
		memcpy(out + n, at, (size_t)(e - at));
		n += (size_t)(e - at);
		if (e == end)
			break;
	}
	out[n] = '\0';
	*answer_r = out;
	return VUDB_OK;
}

/* lookup_user - the mailbox, uid and gid maps */
static int
lookup_user(struct vudb *db, enum map m, struct vudb__dom *d,
    const struct key *k, char **answer_r)
{
	const char *v[MAXTAG];
	size_t l[MAXTAG];
	char buf[VUDB__ADDR_MAX + 32];
	struct match mt;
	unsigned int utag, dtag;
	int rc, sidx, n;

	if (d->is_alias)
		return VUDB_ENOTFOUND;
	if ((rc = find_entry(db, d, VUDB_USER, k, &mt)) != VUDB_OK)
		return rc;
	if ((rc = scan(db, VUDB_USER, v, l)) != VUDB_OK)
		return rc;
	if (m == M_MAILBOX) {
		if (is_no(v[VUDB__U_ENABLED], l[VUDB__U_ENABLED]) ||
		    is_no(v[VUDB__U_RECEIVE], l[VUDB__U_RECEIVE]))
			return VUDB_ENOTFOUND;
		if (v[VUDB__U_MAILDIR] != NULL)
			return answer_str(answer_r, v[VUDB__U_MAILDIR],
			    l[VUDB__U_MAILDIR]);
		/* domain/local/Maildir/, without printf on the hot path */
		n = (int)d->namelen;
		memcpy(buf, d->name, (size_t)n);
		buf[n++] = '/';
		memcpy(buf + n, mt.local, mt.len);
		n += (int)mt.len;
		memcpy(buf + n, "/Maildir/", 9);
		n += 9;
		return answer_str(answer_r, buf, (size_t)n);
	}
	utag = m == M_UID ? VUDB__U_UID : VUDB__U_GID;
	dtag = m == M_UID ? VUDB__D_UID : VUDB__D_GID;
	sidx = m == M_UID ? VUDB__S_UID : VUDB__S_GID;
	if (v[utag] != NULL)
		return answer_str(answer_r, v[utag], l[utag]);
	return answer_str(answer_r, vudb__dom_value(db, d, dtag, sidx),
	    strlen(vudb__dom_value(db, d, dtag, sidx)));
}

/* exists - whether an entry of type answers the key, in either form */
static int
exists(struct vudb *db, struct vudb__dom *d, int type, const struct key *k)
{
	struct match mt;
	int rc;

	rc = find_entry(db, d, type, k, &mt);
	return rc == VUDB_OK ? 1 : rc == VUDB_ENOTFOUND ? 0 : rc;
}

/* lookup_alias - the alias map for an address */
static int
lookup_alias(struct vudb *db, struct vudb__dom *d, const struct key *k,
    char **answer_r)
{
	const char *v[MAXTAG], *ext = k->local + k->base;
	size_t l[MAXTAG], extlen = k->len - k->base;
	char buf[VUDB__ADDR_MAX + 1];
	struct match mt;
	int rc, stripped, n;

	if (d->is_alias) {
		if (d->target == NULL)
			return VUDB_ENOTFOUND;
		n = snprintf(buf, sizeof(buf), "%s@%s", k->local, d->target);
		if (n < 0 || (size_t)n >= sizeof(buf))
			return VUDB_ENOTFOUND;
		return answer_str(answer_r, buf, (size_t)n);
	}
	rc = find_entry(db, d, VUDB_ALIAS, k, &mt);
	stripped = mt.stripped;
	if (rc == VUDB_OK && mt.local != k->local) {
		/* the extension as the matched form spells it */
		ext = mt.local + mt.len;
		extlen = mt.full - mt.len;
	}
	if (rc == VUDB_ENOTFOUND) {
		/* The catch-all, only for addresses nothing else claims. */
		if (!d->catchall)
			return VUDB_ENOTFOUND;
		if ((rc = exists(db, d, VUDB_USER, k)) != 0 ||
		    (rc = exists(db, d, VUDB_RELOCATED, k)) != 0)
			return rc < 0 ? rc : VUDB_ENOTFOUND;
		if ((rc = get(db, d, VUDB_ALIAS, "", 0)) != VUDB_OK)
			return rc;
		stripped = 1;
	}
	if (rc != VUDB_OK)
		return rc;
	if ((rc = scan(db, VUDB_ALIAS, v, l)) != VUDB_OK)
		return rc;
	if (v[VUDB__L_VALUE] == NULL)
		return vudb__seterr(db, VUDB_ECORRUPT, "%s: alias without "
		    "destination", d->name);
	return answer_list(answer_r, v[VUDB__L_VALUE], l[VUDB__L_VALUE], ext,
	    stripped ? extlen : 0);
}

/* lookup_relocated - local+ext, local, then the whole domain */
static int
lookup_relocated(struct vudb *db, struct vudb__dom *d, const struct key *k,
    char **answer_r)
{
	const char *v[MAXTAG];
	size_t l[MAXTAG];
	struct match mt;
	int rc;

	rc = find_entry(db, d, VUDB_RELOCATED, k, &mt);
	if (rc == VUDB_ENOTFOUND)
		rc = get(db, d, VUDB_RELOCATED, "", 0);
	if (rc != VUDB_OK)
		return rc;
	if ((rc = scan(db, VUDB_RELOCATED, v, l)) != VUDB_OK)
		return rc;
	if (v[VUDB__L_VALUE] == NULL)
		return VUDB_ENOTFOUND;
	return answer_str(answer_r, v[VUDB__L_VALUE], l[VUDB__L_VALUE]);
}

/* list_add - append the names of a comma list to out, without repeats */
static int
list_add(char **out, size_t *len, size_t *cap, const char *s, size_t slen)
{
	const char *p, *e, *end = s + slen, *q;
	size_t n;
	char *nb;

	for (p = s; p < end; p = e + 1) {
		if ((e = memchr(p, ',', (size_t)(end - p))) == NULL)
			e = end;
		n = (size_t)(e - p);
		for (q = *out; n > 0 && q != NULL && q < *out + *len;
		    q += strcspn(q, ",") + 1)
			if (strcspn(q, ",") == n && memcmp(q, p, n) == 0)
				break;
		if (n > 0 && (q == NULL || q >= *out + *len)) {
			if (*len + n + 2 > *cap) {
				*cap = (*len + n + 2) * 2;
				if ((nb = realloc(*out, *cap)) == NULL)
					return VUDB_ENOMEM;
				*out = nb;
			}
			if (*len > 0)
				(*out)[(*len)++] = ',';
			memcpy(*out + *len, p, n);
			*len += n;
			(*out)[*len] = '\0';
		}
		if (e == end)
			break;
	}
	return VUDB_OK;
}

/* lookup_sender - who may send as the address */
static int
lookup_sender(struct vudb *db, struct vudb__dom *d, const struct key *k,
    char **answer_r)
{
	static const int types[] = { VUDB_USER, VUDB_ALIAS, VUDB_SENDER };
	const char *v[MAXTAG];
	size_t l[MAXTAG], i, len = 0, cap = 0;
	char owner[VUDB__ADDR_MAX + 1], *out = NULL;
	struct key tk;
	struct match mt;
	struct vudb__dom *td;
	int rc = VUDB_OK, n;

	if (d->is_alias) {
		/* local@alias is local@target's address too */
		if (d->target == NULL ||
		    (rc = find_domain(db, d->target, &td)) != VUDB_OK)
			return d->target == NULL ? VUDB_ENOTFOUND : rc;
		if (td->is_alias || !td->enabled)
			return VUDB_ENOTFOUND;
		vudb__lookup_dep(db, td->name);
		tk = *k;
		snprintf(tk.domain, sizeof(tk.domain), "%s", td->name);
		return lookup_sender(db, td, &tk, answer_r);
	}
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		rc = find_entry(db, d, types[i], k, &mt);
		if (rc == VUDB_ENOTFOUND)
			continue;
		if (rc != VUDB_OK)
			goto fail;
		if (types[i] == VUDB_USER) {
			n = snprintf(owner, sizeof(owner), "%.*s@%s",
			    (int)mt.len, mt.local, d->name);
			rc = list_add(&out, &len, &cap, owner, (size_t)n);
		} else {
			if ((rc = scan(db, types[i], v, l)) != VUDB_OK)
				goto fail;
			if (v[VUDB__L_VALUE] != NULL)
				rc = list_add(&out, &len, &cap,
				    v[VUDB__L_VALUE], l[VUDB__L_VALUE]);
		}
		if (rc != VUDB_OK)
			goto fail;
	}
	if (len == 0) {
		free(out);
		return VUDB_ENOTFOUND;
	}
	*answer_r = out;
	return VUDB_OK;
fail:
	free(out);
	return rc;
}

/*
 * key_domain - the domain of an address key.  A run of lookups in one
 * domain (the common case on a busy server) skips the normalization and
 * the cache search: the last domain is remembered by the key's own bytes.
 */
static int
key_domain(struct vudb *db, const char *raw, size_t rawlen,
    struct vudb__dom **d_r)
{
	char domain[VUDB__DOMAIN_MAX + 1];
	struct vudb__dom *d;
	int rc;

	if ((d = db->last_dom) != NULL && rawlen == db->last_rawlen &&
	    memcmp(raw, db->last_raw, rawlen) == 0) {
		if ((rc = vudb__dom_meta(db, d)) != VUDB_OK)
			return rc;
		if (d->meta_state == VUDB__META_OK) {
			*d_r = d;
			return VUDB_OK;
		}
	}
	if (vudb__domain_norm(raw, rawlen, domain) != NULL)
		return VUDB_ENOTFOUND;
	if ((rc = find_domain(db, domain, &d)) != VUDB_OK)
		return rc;
	if (rawlen <= VUDB__DOMAIN_MAX) {
		db->last_dom = d;
		db->last_rawlen = rawlen;
		memcpy(db->last_raw, raw, rawlen);
	}
	*d_r = d;
	return VUDB_OK;
}

/* parse_key - split and normalize an address key; -1 if malformed */
static int
parse_key(struct vudb *db, struct vudb__dom *d, const char *key, size_t len,
    const char *at, struct key *k)
{
	const char *delim, *why;
	size_t i;

	(void)len;
	if (at == key)
		return -1;
	if ((why = vudb__local_norm(key, (size_t)(at - key), k->local)) !=
	    NULL)
		return why == vudb__name_nomem ? VUDB_ENOMEM : -1;
	k->len = strlen(k->local);
	k->base = k->len;
	delim = d->delim != NULL ? d->delim : vudb__setting(db, VUDB__S_DELIM);
	/* the first delimiter, not at the start */
	if (delim[0] != '\0' && k->len > 1 &&
	    (i = 1 + strcspn(k->local + 1, delim)) < k->len)
		k->base = i;
	/* the old key form, for UTF-8 that folding changed */
	k->llen = 0;
	if (vudb__local_legacy(key, (size_t)(at - key), k->legacy) == NULL &&
	    strcmp(k->legacy, k->local) != 0) {
		k->llen = strlen(k->legacy);
		k->lbase = k->llen;
		if (delim[0] != '\0' && k->llen > 1 &&
		    (i = 1 + strcspn(k->legacy + 1, delim)) < k->llen)
			k->lbase = i;
	}
	return 0;
}

/* lookup - vudb_lookup of map m, once the store is current */
static int
lookup(struct vudb *db, int m, const char *key, char **answer_r)
{
	char domain[VUDB__DOMAIN_MAX + 1];
	struct vudb__dom *d;
	const char *at;
	struct key k;
	size_t len;
	int rc;

	if (key == NULL)
		return VUDB_ENOTFOUND;
	len = strnlen(key, VUDB__ADDR_MAX + 1);
	if (len == 0 || len > VUDB__ADDR_MAX)
		return VUDB_ENOTFOUND;
	at = memrchr(key, '@', len);
	if (at == NULL) {
		/* a bare domain */
		if (m != M_DOMAIN && m != M_MAILBOX && m != M_ALIAS)
			return VUDB_ENOTFOUND;
		if (vudb__domain_norm(key, len, domain) != NULL)
			return VUDB_ENOTFOUND;
		if ((rc = find_domain(db, domain, &d)) != VUDB_OK)
			return rc;
		if (!d->enabled || d->is_alias != (m == M_ALIAS))
			return VUDB_ENOTFOUND;
		return answer_str(answer_r, d->name, strlen(d->name));
	}
	if (m == M_DOMAIN)
		return VUDB_ENOTFOUND;
	if ((rc = key_domain(db, at + 1, len - (size_t)(at - key) - 1,
	    &d)) != VUDB_OK)
		return rc;
	if (!d->enabled)
		return VUDB_ENOTFOUND;
	/* the answer depends on d's records from here on */
	vudb__lookup_dep(db, d->name);
	if ((rc = parse_key(db, d, key, len, at, &k)) != 0)
		return rc == VUDB_ENOMEM ? rc : VUDB_ENOTFOUND;
	memcpy(k.domain, d->name, d->namelen + 1);
	switch (m) {
	case M_MAILBOX:
	case M_UID:
	case M_GID:
		return lookup_user(db, (enum map)m, d, &k, answer_r);
	case M_ALIAS:
		return lookup_alias(db, d, &k, answer_r);
	case M_SENDER:
		return lookup_sender(db, d, &k, answer_r);
	case M_RELOCATED:
		return lookup_relocated(db, d, &k, answer_r);
	}
	return VUDB_ENOTFOUND;
}

/* lookup_again - lookup, once more if the store was recovered under it */
static int
lookup_again(struct vudb *db, int m, const char *key, char **answer_r)
{
	int rc;

	rc = lookup(db, m, key, answer_r);
	/* the store was recovered under this lookup: ask the new one */
	if (vudb__again(db, rc)) {
		vudb__clearerr(db);
		db->c_nocache = 1;
		rc = lookup(db, m, key, answer_r);
	}
	return rc;
}

int
vudb_lookup(struct vudb *db, const char *map, const char *key,
    char **answer_r)
{
	uint64_t gen;
	size_t len;
	int m, rc;

	if (answer_r != NULL)
		*answer_r = NULL;
	if (db == NULL || answer_r == NULL)
		return VUDB_EINVAL;
	if (db->errmsg[0] != '\0')
		vudb__clearerr(db);
	if ((m = map_id(map)) < 0)
		return vudb__seterr(db, VUDB_ENOMAP, "no such map: %s",
		    map != NULL ? map : "(null)");
	if ((rc = vudb__refresh(db)) != VUDB_OK)
		return rc;
	if (db->acache == NULL || key == NULL ||
	    (len = strnlen(key, VUDB__ADDR_MAX + 1)) > VUDB__ADDR_MAX)
		return lookup_again(db, m, key, answer_r);
	/* an answer kept from a lookup that nothing changed since */
	if (vudb__cache_get(db, m, key, len, answer_r, &rc))
		return rc;
	gen = db->sgen;		/* the store's, the same for all handles */
	db->c_slot = -1;
	db->c_nocache = 0;
	rc = lookup_again(db, m, key, answer_r);
	vudb__cache_put(db, m, key, len, gen, rc, *answer_r);
	db->c_slot = -1;
	return rc;
}
