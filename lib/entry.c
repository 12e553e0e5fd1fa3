/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * entry.c - domains, users, aliases, relocated entries and send-as grants:
 * adding, changing, deleting, reading and listing them, batches, and the
 * password calls that read or write a user.  Every change runs in one
 * backend transaction (retried on a lock conflict) or joins the open batch;
 * names are checked and made canonical before any key or path is formed;
 * domain limits are enforced here, so every program obeys them.
 *
 * Keys in a domain database: "D" the domain record, "#" counters,
 * "u" LOCAL a user, "a" LOCAL an alias ("a" alone: the catch-all),
 * "r" LOCAL a relocated entry ("r" alone: the whole domain), "s" LOCAL the
 * send-as grants of LOCAL@domain.  A deleted domain keeps a tombstone
 * domain record until no process holds its file open any more.
 *
 * LOCAL is folded (name.c).  A store written before local parts were
 * folded may hold a LOCAL with UTF-8 as it was given: every call that
 * finds an entry by name tries that old form of the name it was given
 * when the folded key is not there, and adding or renaming to a name
 * that folds like an old-form key is refused as existing.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vudb_private.h"

#define MAX_TRIES	5
#define MAX_EFFECTIVE	16
/* the longest answer a tcp_table reply carries: 4096 less "200 " and NL */
#define TCP_TABLE_ANSWER_MAX	4091

struct vudb_obj {
	int		 type;
	char		*name;
	size_t		 n;
	struct {
		const char	*name;
		char		*value;
	}		 a[VUDB__REC_MAXF];
	size_t		 ne;
	struct {
		const char	*name;
		char		*value;
	}		 e[MAX_EFFECTIVE];
};

struct vudb_iter {
	struct vudb		*db;
	int			 type;
	char			 domain[VUDB__DOMAIN_MAX + 1];
	size_t			 next;
	struct vudb__names	 names;		/* domains */
	struct vudb__recs	 recs;		/* entries: "u" LOCAL, record */
	struct vudb_obj		*cur;
};

/* ------------------------------------------------------------ names */

static char
type_prefix(int type)
{
	switch (type) {
	case VUDB_USER:		return 'u';
	case VUDB_ALIAS:	return 'a';
	case VUDB_RELOCATED:	return 'r';
	case VUDB_SENDER:	return 's';
	case VUDB__REC_COUNTERS: return '#';
	}
	return 'D';
}

/* vudb__key - the database key of an entry */
size_t
vudb__key(int type, const char *local, size_t llen,
    char key[VUDB__LOCAL_MAX + 2])
{
	key[0] = type_prefix(type);
	if (type == VUDB_DOMAIN || type == VUDB__REC_COUNTERS)
		return 1;
	memcpy(key + 1, local, llen);
	return 1 + llen;
}

/*
 * vudb__oldform - whether the key local part local[0..len) is in the form
 * of a store written before local parts were folded: 1 with its folded
 * form in folded, else 0.  ASCII keys never are.
 */
int
vudb__oldform(const char *local, size_t len, char folded[VUDB__LOCAL_MAX + 1])
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)local[i] >= 0x80)
			break;
	if (i == len || vudb__local_norm(local, len, folded) != NULL)
		return 0;
	return strlen(folded) != len || memcmp(folded, local, len) != 0;
}

/*
 * legacy_local - the old key form of name's local part (ASCII letters
 * lower-cased, UTF-8 as given), when it differs from the folded local:
 * 1 and written to out, else 0.
 */
static int
legacy_local(const char *name, const char *local,
    char out[VUDB__LOCAL_MAX + 1])
{
	const char *at;

	if (name == NULL || local[0] == '\0' ||
	    (at = strrchr(name, '@')) == NULL ||
	    vudb__local_legacy(name, (size_t)(at - name), out) != NULL)
		return 0;
	return strcmp(out, local) != 0;
}

/* split_name - check a name of a type; NULL or why it is invalid */
static const char *
split_name(int type, const char *name, char local[VUDB__LOCAL_MAX + 1],
    char domain[VUDB__DOMAIN_MAX + 1], int *catchall_r)
{
	const char *at, *why;
	size_t len;

	*catchall_r = 0;
	local[0] = '\0';
	if (name == NULL)
		return "no name";
	len = strlen(name);
	if (len > VUDB__ADDR_MAX)
		return "name too long";
	if (type == VUDB_DOMAIN)
		return vudb__domain_norm(name, len, domain);
	if (type < VUDB_USER || type > VUDB_SENDER)
		return "invalid entry type";
	if ((at = strrchr(name, '@')) == NULL)
		return "expected local@domain";
	if ((why = vudb__domain_norm(at + 1, len - (size_t)(at - name) - 1,
	    domain)) != NULL)
		return why;
	if (at == name) {
		if (type == VUDB_ALIAS || type == VUDB_RELOCATED) {
			*catchall_r = 1;
			return NULL;
		}
		return "empty local part";
	}
	return vudb__local_norm(name, (size_t)(at - name), local);
}

int
vudb__split(struct vudb *db, int type, const char *name,
    char local[VUDB__LOCAL_MAX + 1], char domain[VUDB__DOMAIN_MAX + 1],
    int *catchall_r)
{
	const char *why;

	if ((why = split_name(type, name, local, domain, catchall_r)) != NULL)
		return vudb__seterr(db, why == vudb__name_nomem ? VUDB_ENOMEM :
		    VUDB_EINVAL, "%s: %s",
		    name != NULL ? name : "(null)", why);
	return VUDB_OK;
}

const char *
vudb_name_error(int type, const char *name)
{
	char local[VUDB__LOCAL_MAX + 1], domain[VUDB__DOMAIN_MAX + 1];
	int catchall;

	return split_name(type, name, local, domain, &catchall);
}

int
vudb_normalize(int type, const char *name, char **norm_r)
{
	char local[VUDB__LOCAL_MAX + 1], domain[VUDB__DOMAIN_MAX + 1];
	int catchall;

	if (norm_r == NULL)
		return VUDB_EINVAL;
	*norm_r = NULL;
	if (split_name(type, name, local, domain, &catchall) != NULL)
		return VUDB_EINVAL;
	if (type == VUDB_DOMAIN)
		*norm_r = strdup(domain);
	else if (asprintf(norm_r, "%s@%s", local, domain) < 0)
		*norm_r = NULL;
	return *norm_r == NULL ? VUDB_ENOMEM : VUDB_OK;
}

/* ------------------------------------------------------------ helpers */

/* vudb__get_rec - fetch an entry's encoded record into buf */
int
vudb__get_rec(struct vudb *db, struct vudb__dom *d, int type,
    const char *local, struct vudb_buf *buf)
{
	char key[VUDB__LOCAL_MAX + 2];
	size_t klen;

	klen = vudb__key(type, local, strlen(local), key);
	return vudb__store_get(db, d, db->txn_dom == d ? db->txn : NULL, key,
	    klen, buf);
}

/* vudb__dom_value - a domain's value of dtag, else the store's setting */
const char *
vudb__dom_value(const struct vudb *db, const struct vudb__dom *d,
    unsigned int dtag, int sidx)
{
	const char *v = NULL;

	if (d != NULL && dtag != 0)
		v = vudb__rec_get(d->meta, dtag);
	return v != NULL ? v : vudb__setting(db, sidx);
}

/* open_domain - the cached database of an existing domain */
static int
open_domain(struct vudb *db, const char *domain, struct vudb__dom **d_r)
{
	int rc;

	rc = vudb__dom_find(db, domain, d_r);
	if (rc == VUDB_ENOTFOUND)
		return vudb__seterr(db, rc, "%s: no such domain", domain);
	return rc;
}

static void
set_now(struct vudb__rec *rec, unsigned int tag)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", (long long)time(NULL));
	(void)vudb__rec_set(rec, tag, buf);
}

static unsigned int
tag_created(int type)
{
	return type == VUDB_DOMAIN ? VUDB__D_CREATED :
	    type == VUDB_USER ? VUDB__U_CREATED : VUDB__L_CREATED;
}

static unsigned int
tag_updated(int type)
{
	return type == VUDB_DOMAIN ? VUDB__D_UPDATED :
	    type == VUDB_USER ? VUDB__U_UPDATED : VUDB__L_UPDATED;
}

/*
 * apply_attrs - check and set name/value pairs on rec.  remove: an empty
 * or NULL value removes the attribute.
 */
static int
apply_attrs(struct vudb *db, struct vudb__rec *rec, const char *const *attrs,
    int remove)
{
	const struct vudb__attr *a;
	const char *why;
	char *norm;
	size_t i;
	int rc;

	for (i = 0; attrs != NULL && attrs[i] != NULL; i += 2) {
		a = vudb__attr_byname(rec->type, attrs[i]);
		/* time stamps may be given when adding (an import keeps
		 * them); otherwise the library sets them */
		if (a == NULL || (a->flags & VUDB__A_HIDDEN) ||
		    ((a->flags & VUDB__A_RDONLY) &&
		    (remove || a->kind != VUDB__K_TIME)))
			return vudb__seterr(db, VUDB_EINVAL, "%s: %s",
			    attrs[i], a == NULL ? "unknown attribute" :
			    "read-only attribute");
		if (attrs[i + 1] == NULL || attrs[i + 1][0] == '\0') {
			if (!remove)
				return vudb__seterr(db, VUDB_EINVAL,
				    "%s: empty value", attrs[i]);
			if ((rc = vudb__rec_set(rec, a->tag, NULL)) != VUDB_OK)
				return rc;
			continue;
		}
		rc = vudb__value_norm(a->kind, attrs[i + 1], &norm, &why);
		if (rc != VUDB_OK)
			return vudb__seterr(db, rc, "%s: %s", attrs[i],
			    why != NULL ? why : "out of memory");
		rc = vudb__rec_set(rec, a->tag, norm);
		vudb__free_secret(norm);
		if (rc != VUDB_OK)
			return vudb__seterr(db, rc, "%s: cannot set",
			    attrs[i]);
	}
	return VUDB_OK;
}

static int
put_rec_flags(struct vudb *db, struct vudb__dom *d, void *txn,
    const char *key, size_t klen, const struct vudb__rec *rec, int flags)
{
	unsigned char *buf;
	size_t len;
	int rc;

	if ((rc = vudb__rec_encode(rec, &buf, &len)) != VUDB_OK)
		return vudb__seterr(db, rc, "record too large");
	vudb__rec_seal(buf, len, key, klen);
	rc = vudb__store_put(db, d, txn, key, klen, buf, len, flags);
	vudb__wipe(buf, len);
	free(buf);
	return rc;
}

static int
put_rec(struct vudb *db, struct vudb__dom *d, void *txn, const char *key,
    size_t klen, const struct vudb__rec *rec)
{
	return put_rec_flags(db, d, txn, key, klen, rec, 0);
}

/* rec_fits - whether rec can be stored (before anything is written) */
static int
rec_fits(struct vudb *db, const struct vudb__rec *rec)
{
	unsigned char *buf;
	size_t len;
	int rc;

	if ((rc = vudb__rec_encode(rec, &buf, &len)) != VUDB_OK)
		return vudb__seterr(db, rc, "record too large");
	vudb__wipe(buf, len);
	free(buf);
	return VUDB_OK;
}

/* get_rec_txn - read and decode one record inside txn */
static int
get_rec_txn(struct vudb *db, struct vudb__dom *d, void *txn, int type,
    const char *key, size_t klen, struct vudb__rec *rec)
{
	int rc;

	vudb__rec_init(rec, type);
	rc = vudb__store_get(db, d, txn, key, klen, &db->buf);
	if (rc != VUDB_OK)
		return rc;
	rc = vudb__rec_decode(db->buf.data, db->buf.len, type, rec);
	if (rc != VUDB_OK)
		return vudb__seterr(db, rc, "%s: damaged record", d->name);
	return VUDB_OK;
}

/* counters_write - set the "#" record's counts, keeping other fields */
static int
counters_write(struct vudb *db, struct vudb__dom *d, void *txn,
    unsigned long long users, unsigned long long aliases)
{
	struct vudb__rec rec;
	char buf[32];
	int rc;

	rc = get_rec_txn(db, d, txn, VUDB__REC_COUNTERS, "#", 1, &rec);
	if (rc != VUDB_OK && rc != VUDB_ENOTFOUND)
		return rc;
	snprintf(buf, sizeof(buf), "%llu", users);
	rc = vudb__rec_set(&rec, VUDB__C_USERS, buf);
	snprintf(buf, sizeof(buf), "%llu", aliases);
	if (rc == VUDB_OK)
		rc = vudb__rec_set(&rec, VUDB__C_ALIASES, buf);
	if (rc == VUDB_OK)
		rc = put_rec(db, d, txn, "#", 1, &rec);
	vudb__rec_clear(&rec);
	return rc;
}

/* counters_read - the "#" record's counts */
static int
counters_read(struct vudb *db, struct vudb__dom *d, void *txn,
    unsigned long long *users, unsigned long long *aliases)
{
	struct vudb__rec rec;
	const char *v;
	int rc;

	*users = *aliases = 0;
	rc = get_rec_txn(db, d, txn, VUDB__REC_COUNTERS, "#", 1, &rec);
	if (rc == VUDB_ENOTFOUND)
		return VUDB_OK;
	if (rc != VUDB_OK)
		return rc;
	if ((v = vudb__rec_get(&rec, VUDB__C_USERS)) != NULL)
		(void)vudb__parse_u64(v, ~0ULL, users);
	if ((v = vudb__rec_get(&rec, VUDB__C_ALIASES)) != NULL)
		(void)vudb__parse_u64(v, ~0ULL, aliases);
	vudb__rec_clear(&rec);
	return VUDB_OK;
}

/*
 * The hash schemes in use in a domain ("#" record, "schemes"): every
 * scheme a stored password of the domain has ever had, as a set of names.
 * A failed login does the work of each of them (dummy_schemes), so that
 * it costs the same whatever the stored hash's scheme, and an unknown user
 * the same as a known one.  The set only grows; a scheme that no password
 * uses any more costs failed logins a little more, never less.
 */

/* hash_scheme - the scheme name of a "{SCHEME}..." hash into buf, or NULL */
static const char *
hash_scheme(const char *hash, char *buf, size_t size)
{
	const char *end;

	if (hash == NULL || hash[0] != '{' ||
	    (end = strchr(hash, '}')) == NULL || end == hash + 1 ||
	    (size_t)(end - hash) > size)
		return NULL;
	memcpy(buf, hash + 1, (size_t)(end - hash - 1));
	buf[end - hash - 1] = '\0';
	return buf;
}

/* in_list - whether the comma-separated list holds name (any case) */
static int
in_list(const char *list, const char *name)
{
	size_t n = strlen(name);

	while (list != NULL && *list != '\0') {
		if (strncasecmp(list, name, n) == 0 &&
		    (list[n] == ',' || list[n] == '\0'))
			return 1;
		if ((list = strchr(list, ',')) != NULL)
			list++;
	}
	return 0;
}

/* schemes_note - add the scheme of a stored hash to d's set, in txn */
static int
schemes_note(struct vudb *db, struct vudb__dom *d, void *txn,
    const char *hash)
{
	struct vudb__rec rec;
	char name[32], *list;
	const char *v;
	int rc;

	/* schemes we cannot make cost microseconds: nothing to match */
	if (hash_scheme(hash, name, sizeof(name)) == NULL ||
	    !vudb__pw_scheme_valid(name))
		return VUDB_OK;
	rc = get_rec_txn(db, d, txn, VUDB__REC_COUNTERS, "#", 1, &rec);
	if (rc != VUDB_OK && rc != VUDB_ENOTFOUND)
		return rc;
	v = vudb__rec_get(&rec, VUDB__C_SCHEMES);
	if (in_list(v, name)) {
		vudb__rec_clear(&rec);
		return VUDB_OK;
	}
	if (asprintf(&list, "%s%s%s", v != NULL ? v : "", v != NULL ? "," :
	    "", name) < 0) {
		vudb__rec_clear(&rec);
		return VUDB_ENOMEM;
	}
	rc = vudb__rec_set(&rec, VUDB__C_SCHEMES, list);
	free(list);
	if (rc == VUDB_OK)
		rc = put_rec(db, d, txn, "#", 1, &rec);
	vudb__rec_clear(&rec);
	return rc;
}

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
	if (d == NULL || get_rec_txn(db, d, NULL, VUDB__REC_COUNTERS, "#", 1,
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

/*
 * count_add - change the user or alias count of d by delta (+1 or -1),
 * refusing to pass the domain's limit when check is set.  Inside a batch
 * the counts are kept in memory and written once, at commit.
 */
static int
count_add(struct vudb *db, struct vudb__dom *d, void *txn, unsigned int tag,
    int delta, unsigned int maxtag, int check)
{
	unsigned long long users, aliases, *n, max = 0;
	const char *v;
	int rc, batch = db->txn != NULL && txn == db->txn &&
	    d == db->txn_dom;

	if (batch) {
		if (!db->txn_cnt_loaded) {
			rc = counters_read(db, d, txn, &db->txn_users,
			    &db->txn_aliases);
			if (rc != VUDB_OK)
				return rc;
			db->txn_cnt_loaded = 1;
		}
		users = db->txn_users;
		aliases = db->txn_aliases;
	} else if ((rc = counters_read(db, d, txn, &users, &aliases)) !=
	    VUDB_OK)
		return rc;
	n = tag == VUDB__C_USERS ? &users : &aliases;
	if (check && delta > 0 && maxtag != 0 &&
	    (v = vudb__rec_get(d->meta, maxtag)) != NULL &&
	    vudb__parse_u64(v, ~0ULL, &max) == 0 && max > 0 && *n >= max)
		return vudb__seterr(db, VUDB_ELIMIT, "%s: limit of %llu %s "
		    "reached", d->name, max, tag == VUDB__C_USERS ? "users" :
		    "aliases");
	*n = delta < 0 ? (*n > 0 ? *n - 1 : 0) : *n + 1;
	if (batch) {
		db->txn_users = users;
		db->txn_aliases = aliases;
		db->txn_cnt_dirty = 1;
		return VUDB_OK;
	}
	return counters_write(db, d, txn, users, aliases);
}

/* ------------------------------------------------------------ old keys */

struct oldscan {
	char	*buf;
	size_t	 len, cap;
	int	 rc;
};

/* oldkeys_collect - iter callback: note each old-form entry key */
static int
oldkeys_collect(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	struct oldscan *o = arg;
	const char *k = key;
	char folded[VUDB__LOCAL_MAX + 1], *nb;
	size_t fl, need;

	(void)val;
	(void)vlen;
	if (klen < 2 || klen - 1 > VUDB__LOCAL_MAX ||
	    (k[0] != 'u' && k[0] != 'a' && k[0] != 'r' && k[0] != 's') ||
	    memchr(k, '\0', klen) != NULL ||
	    !vudb__oldform(k + 1, klen - 1, folded))
		return 0;
	fl = strlen(folded);
	need = 1 + fl + 1 + klen + 1;
	if (o->len + need > o->cap) {
		if ((nb = realloc(o->buf, (o->len + need) * 2)) == NULL) {
			o->rc = VUDB_ENOMEM;
			return 1;
		}
		o->buf = nb;
		o->cap = (o->len + need) * 2;
	}
	o->buf[o->len++] = k[0];
	memcpy(o->buf + o->len, folded, fl + 1);
	o->len += fl + 1;
	memcpy(o->buf + o->len, k, klen);
	o->len += klen;
	o->buf[o->len++] = '\0';
	return 0;
}

/*
 * vudb__oldkeys_load - (re)read d's old-form entry keys into d->oldkeys:
 * "T" folded-local NUL old-key NUL, one after the other.
 */
int
vudb__oldkeys_load(struct vudb *db, struct vudb__dom *d, void *txn)
{
	struct oldscan o = { NULL, 0, 0, VUDB_OK };
	int rc;

	rc = vudb__store_iter(db, d, txn, "", 0, oldkeys_collect, &o);
	if (rc == VUDB_OK)
		rc = o.rc;
	if (rc != VUDB_OK) {
		free(o.buf);
		return rc;
	}
	free(d->oldkeys);
	d->oldkeys = o.buf;
	d->oldkeys_len = o.len;
	d->oldkeys_loaded = 1;
	return VUDB_OK;
}

/*
 * oldkey_taken - whether an old-form key of type in d folds to local:
 * 1 (with the stored local part in old), 0, or a failure.  A writer
 * reads the domain's old-form keys once (one pass over its keys); each
 * hit is read again in txn, for it may have been renamed since.
 */
static int
oldkey_taken(struct vudb *db, struct vudb__dom *d, void *txn, int type,
    const char *local, char old[VUDB__LOCAL_MAX + 1])
{
	const char *p, *end, *f, *k;
	int rc;

	if (!d->oldkeys_loaded &&
	    (rc = vudb__oldkeys_load(db, d, txn)) != VUDB_OK)
		return rc;
	end = d->oldkeys + d->oldkeys_len;
	for (p = d->oldkeys; p != NULL && p < end; p = k + strlen(k) + 1) {
		f = p + 1;
		k = f + strlen(f) + 1;
		if (p[0] != type_prefix(type) || strcmp(f, local) != 0)
			continue;
		rc = vudb__store_get(db, d, txn, k, strlen(k), &db->buf);
		if (rc == VUDB_ENOTFOUND)
			continue;
		if (rc != VUDB_OK)
			return rc;
		snprintf(old, VUDB__LOCAL_MAX + 1, "%s", k + 1);
		return 1;
	}
	return 0;
}

/* ------------------------------------------------------------ changes */

enum op_kind { OP_ADD, OP_UPDATE, OP_DEL };

struct op {
	enum op_kind		 kind;
	int			 type;
	const char		*local;
	const char		*legacy;	/* old key form, or NULL */
	const char *const	*attrs;
	const char		*name;		/* as given, for messages */
};

/* op_entry - one change to a non-domain entry inside txn */
/*
 * alias_fits - warn when an alias's answer is longer than a tcp_table
 * reply can carry (4096 bytes with "200 " and the newline; Postfix's
 * client %XX-decodes, and vudb-mapd encodes only %, CR, LF and controls):
 * vudb-mapd then answers 400 for it on tcp_table, and Postfix defers the
 * mail.  socketmap carries 100000 bytes, more than a destination list
 * may hold (vudb__attr_canon refuses those), so it always serves it.
 */
static void
alias_fits(struct vudb *db, const struct op *op, const struct vudb__rec *rec)
{
	const char *v;

	if (op->type != VUDB_ALIAS ||
	    (v = vudb__rec_get(rec, VUDB__L_VALUE)) == NULL ||
	    strlen(v) <= TCP_TABLE_ANSWER_MAX)
		return;
	vudb__log(db, VUDB_LOG_WARNING, "%s: its %zu bytes of destinations "
	    "are more than a Postfix tcp_table answer carries (%d): ask "
	    "through socketmap for this map, or split the list", op->name,
	    strlen(v), TCP_TABLE_ANSWER_MAX);
}

static int
op_entry(struct vudb *db, struct vudb__dom *d, void *txn, const struct op *op)
{
	char key[VUDB__LOCAL_MAX + 2], old[VUDB__LOCAL_MAX + 1];
	const char *local = op->local;
	struct vudb__rec rec;
	unsigned int ctag = 0, maxtag = 0;
	size_t klen;
	int rc = VUDB_OK;

	klen = vudb__key(op->type, local, strlen(local), key);
	if (op->type == VUDB_USER) {
		ctag = VUDB__C_USERS;
		maxtag = VUDB__D_MAX_USERS;
	} else if (op->type == VUDB_ALIAS) {
		ctag = VUDB__C_ALIASES;
		maxtag = VUDB__D_MAX_ALIASES;
	}
	if (op->kind == OP_ADD)
		vudb__rec_init(&rec, op->type);
	else {
		rc = get_rec_txn(db, d, txn, op->type, key, klen, &rec);
		if (rc == VUDB_ENOTFOUND && op->legacy != NULL) {
			/* an entry of a store written before folding */
			local = op->legacy;
			klen = vudb__key(op->type, local, strlen(local), key);
			rc = get_rec_txn(db, d, txn, op->type, key, klen,
			    &rec);
		}
		if (rc != VUDB_OK && rc != VUDB_ENOTFOUND)
			return rc;
	}
	switch (op->kind) {
	case OP_ADD:
		/* one put that refuses an existing key: no read first */
		if ((rc = apply_attrs(db, &rec, op->attrs, 0)) != VUDB_OK)
			break;
		if ((op->type == VUDB_ALIAS || op->type == VUDB_SENDER ||
		    op->type == VUDB_RELOCATED) &&
		    vudb__rec_get(&rec, VUDB__L_VALUE) == NULL) {
			rc = vudb__seterr(db, VUDB_EINVAL, "%s: %s required",
			    op->name, op->type == VUDB_SENDER ? "logins" :
			    "dest");
			break;
		}
		alias_fits(db, op, &rec);
		if (op->type == VUDB_USER && (rc = schemes_note(db, d, txn,
		    vudb__rec_get(&rec, VUDB__U_PASSWORD))) != VUDB_OK)
			break;
		if (vudb__rec_get(&rec, tag_created(op->type)) == NULL)
			set_now(&rec, tag_created(op->type));
		if (vudb__rec_get(&rec, tag_updated(op->type)) == NULL)
			set_now(&rec, tag_updated(op->type));
		if ((rc = rec_fits(db, &rec)) != VUDB_OK)
			break;
		/* the same name, stored before local parts were folded */
		if (local[0] != '\0' && (rc = oldkey_taken(db, d, txn,
		    op->type, local, old)) != 0) {
			if (rc == 1)
				rc = vudb__seterr(db, VUDB_EEXIST, "%s: already "
				    "exists as %s@%s", op->name, old, d->name);
			break;
		}
		if (ctag != 0 && (rc = count_add(db, d, txn, ctag, 1, maxtag,
		    1)) != VUDB_OK)
			break;
		rc = put_rec_flags(db, d, txn, key, klen, &rec, VUDB_PUT_NEW);
		if (rc == VUDB_EEXIST) {
			/* undo the count (a batch keeps it in memory) */
			if (ctag != 0)
				(void)count_add(db, d, txn, ctag, -1, 0, 0);
			rc = vudb__seterr(db, VUDB_EEXIST, "%s: already "
			    "exists", op->name);
		}
		break;
	case OP_UPDATE:
		if (rc != VUDB_OK)
			return vudb__seterr(db, rc, "%s: not found", op->name);
		if ((rc = apply_attrs(db, &rec, op->attrs, 1)) != VUDB_OK)
			break;
		if ((op->type == VUDB_ALIAS || op->type == VUDB_SENDER ||
		    op->type == VUDB_RELOCATED) &&
		    vudb__rec_get(&rec, VUDB__L_VALUE) == NULL) {
			rc = vudb__seterr(db, VUDB_EINVAL, "%s: cannot remove "
			    "the only value; delete the entry", op->name);
			break;
		}
		alias_fits(db, op, &rec);
		if (op->type == VUDB_USER && (rc = schemes_note(db, d, txn,
		    vudb__rec_get(&rec, VUDB__U_PASSWORD))) != VUDB_OK)
			break;
		set_now(&rec, tag_updated(op->type));
		rc = put_rec(db, d, txn, key, klen, &rec);
		break;
	case OP_DEL:
		if (rc != VUDB_OK)
			return vudb__seterr(db, rc, "%s: not found", op->name);
		if ((rc = vudb__store_del(db, d, txn, key, klen)) != VUDB_OK)
			break;
		if (ctag != 0 && (rc = count_add(db, d, txn, ctag, -1, 0,
		    0)) != VUDB_OK)
			break;
		if (op->type == VUDB_USER) {
			/* the user's send-as grants go with it */
			klen = vudb__key(VUDB_SENDER, local, strlen(local),
			    key);
			rc = vudb__store_del(db, d, txn, key, klen);
			if (rc == VUDB_ENOTFOUND)
				rc = VUDB_OK;
		}
		break;
	}
	vudb__rec_clear(&rec);
	return rc;
}

/* wipe_domain - delete every record of a domain inside txn */
static int
wipe_domain(struct vudb *db, struct vudb__dom *d, void *txn)
{
	struct vudb__recs r = { 0 };
	size_t i;
	int rc;

	rc = vudb__store_iter(db, d, txn, "", 0, vudb__recs_collect, &r);
	for (i = 0; rc == VUDB_OK && i < r.n; i++)
		rc = vudb__store_del(db, d, txn, r.keys[i], r.klens[i]);
	vudb__recs_free(&r);
	return rc;
}

/* op_domain - add or change a domain record inside txn */
static int
op_domain(struct vudb *db, struct vudb__dom *d, void *txn, const struct op *op)
{
	struct vudb__rec rec;
	const char *v, *target;
	int rc, tomb = 0;

	rc = get_rec_txn(db, d, txn, VUDB_DOMAIN, "D", 1, &rec);
	if (rc != VUDB_OK && rc != VUDB_ENOTFOUND)
		return rc;
	if (rc == VUDB_OK) {
		v = vudb__rec_get(&rec, VUDB__D_DELETED);
		tomb = v != NULL && strcmp(v, "yes") == 0;
	}
	if (op->kind == OP_ADD) {
		if (rc == VUDB_OK && !tomb) {
			vudb__rec_clear(&rec);
			return vudb__seterr(db, VUDB_EEXIST, "%s: already "
			    "exists", d->name);
		}
		vudb__rec_clear(&rec);
		if (rc == VUDB_OK && (rc = wipe_domain(db, d, txn)) != VUDB_OK)
			return rc;
		vudb__rec_init(&rec, VUDB_DOMAIN);
		if ((rc = apply_attrs(db, &rec, op->attrs, 0)) != VUDB_OK)
			goto out;
		target = vudb__rec_get(&rec, VUDB__D_TARGET);
		(void)vudb__rec_set(&rec, VUDB__D_KIND, target != NULL ?
		    "alias" : "mailbox");
		if (vudb__rec_get(&rec, VUDB__D_CREATED) == NULL)
			set_now(&rec, VUDB__D_CREATED);
	} else {
		if (rc != VUDB_OK || tomb) {
			vudb__rec_clear(&rec);
			return vudb__seterr(db, VUDB_ENOTFOUND, "%s: no such "
			    "domain", d->name);
		}
		if ((rc = apply_attrs(db, &rec, op->attrs, 1)) != VUDB_OK)
			goto out;
		v = vudb__rec_get(&rec, VUDB__D_KIND);
		target = vudb__rec_get(&rec, VUDB__D_TARGET);
		if ((v != NULL && strcmp(v, "alias") == 0) != (target != NULL)) {
			rc = vudb__seterr(db, VUDB_EINVAL, "%s: target can "
			    "only be changed on an alias domain", d->name);
			goto out;
		}
	}
	if (target != NULL && strcmp(target, d->name) == 0) {
		rc = vudb__seterr(db, VUDB_EINVAL, "%s: an alias domain cannot "
		    "point to itself", d->name);
		goto out;
	}
	if (op->kind != OP_ADD || vudb__rec_get(&rec, VUDB__D_UPDATED) == NULL)
		set_now(&rec, VUDB__D_UPDATED);
	rc = put_rec(db, d, txn, "D", 1, &rec);
out:
	vudb__rec_clear(&rec);
	return rc;
}

static int
run_op(struct vudb *db, struct vudb__dom *d, void *txn, const struct op *op)
{
	if (op->type == VUDB_DOMAIN)
		return op_domain(db, d, txn, op);
	return op_entry(db, d, txn, op);
}

/*
 * in_txn - run op in the open batch, or in a transaction of its own that
 * is retried when a lock conflict (VUDB_ETEMP) aborts it.
 */
static int
in_txn(struct vudb *db, struct vudb__dom *d, const struct op *op)
{
	void *txn;
	int rc, tries;

	if (db->txn != NULL) {
		if (db->txn_dom != d)
			return vudb__seterr(db, VUDB_EINVAL, "a batch on %s "
			    "is open", db->txn_dom->name);
		if (db->txn_failed)
			return vudb__seterr(db, VUDB_ETEMP, "the batch failed; "
			    "abort it");
		rc = run_op(db, d, db->txn, op);
		if (rc != VUDB_OK && rc != VUDB_EEXIST &&
		    rc != VUDB_ENOTFOUND && rc != VUDB_EINVAL &&
		    rc != VUDB_ELIMIT)
			db->txn_failed = 1;
		if (rc == VUDB_OK && op->type == VUDB_DOMAIN)
			db->txn_gen = 1;
		return rc;
	}
	for (tries = 0; ; tries++) {
		if ((rc = vudb__store_begin(db, &txn)) != VUDB_OK)
			return rc;
		rc = run_op(db, d, txn, op);
		if (rc == VUDB_OK) {
			rc = vudb__store_commit(db, txn);
			if (rc == VUDB_OK && op->type == VUDB_DOMAIN)
				vudb__bump_gen(db);
		} else
			vudb__store_abort(db, txn);
		if (rc != VUDB_ETEMP || tries + 1 == MAX_TRIES)
			return rc;
	}
}

/*
 * start_write - the start of every change: a handle, fresh settings, a
 * store opened for writing and, unless batch_ok, no open batch (then
 * refused with the reason why_batch).
 */
static int
start_write(struct vudb *db, const char *why_batch)
{
	int rc;

	if (db == NULL)
		return VUDB_EINVAL;
	vudb__clearerr(db);
	if ((rc = vudb__refresh(db)) != VUDB_OK)
		return rc;
	if (db->flags & VUDB_RDONLY)
		return vudb__seterr(db, VUDB_ERDONLY, "store opened read-only");
	if (why_batch != NULL && db->txn != NULL)
		return vudb__seterr(db, VUDB_EINVAL, "%s", why_batch);
	return VUDB_OK;
}

/* change - the common part of vudb_add, vudb_update and vudb_del */
static int
change(struct vudb *db, enum op_kind kind, int type, const char *name,
    const char *const *attrs)
{
	char local[VUDB__LOCAL_MAX + 1], domain[VUDB__DOMAIN_MAX + 1];
	char legacy[VUDB__LOCAL_MAX + 1];
	struct vudb__dom *d;
	struct op op;
	int rc, catchall;

	if ((rc = start_write(db, NULL)) != VUDB_OK)
		return rc;
	if ((rc = vudb__split(db, type, name, local, domain, &catchall)) !=
	    VUDB_OK)
		return rc;
	op.kind = kind;
	op.type = type;
	op.local = local;
	op.legacy = type != VUDB_DOMAIN && legacy_local(name, local, legacy) ?
	    legacy : NULL;
	op.attrs = attrs;
	op.name = name;
	if (type == VUDB_DOMAIN) {
		if (kind == OP_ADD) {
			/* check the attributes before a file is made */
			struct vudb__rec scratch;

			vudb__rec_init(&scratch, VUDB_DOMAIN);
			rc = apply_attrs(db, &scratch, attrs, 0);
			vudb__rec_clear(&scratch);
			if (rc != VUDB_OK)
				return rc;
		}
		rc = vudb__dom_get(db, domain, kind == OP_ADD, &d);
		if (rc == VUDB_ENOTFOUND)
			return vudb__seterr(db, rc, "%s: no such domain",
			    domain);
		if (rc != VUDB_OK)
			return rc;
		rc = in_txn(db, d, &op);
		d->meta_state = VUDB__META_UNKNOWN;
		return rc;
	}
	if ((rc = open_domain(db, domain, &d)) != VUDB_OK)
		return rc;
	if (d->is_alias && type != VUDB_RELOCATED)
		return vudb__seterr(db, VUDB_EINVAL, "%s is an alias domain "
		    "of %s: add entries there", domain,
		    d->target != NULL ? d->target : "?");
	if (catchall && type == VUDB_ALIAS && kind == OP_ADD && !d->catchall)
		return vudb__seterr(db, VUDB_EINVAL, "%s: catch-all aliases "
		    "are turned off for this domain", domain);
	return in_txn(db, d, &op);
}

int
vudb_add(struct vudb *db, int type, const char *name,
    const char *const *attrs)
{
	return change(db, OP_ADD, type, name, attrs);
}

int
vudb_update(struct vudb *db, int type, const char *name,
    const char *const *attrs)
{
	return change(db, OP_UPDATE, type, name, attrs);
}

/* del_domain - empty a domain, leave a tombstone, then try to remove it */
static int
del_domain(struct vudb *db, const char *domain)
{
	struct vudb__dom *d;
	struct vudb__rec rec;
	void *txn;
	int rc, tries;

	if ((rc = open_domain(db, domain, &d)) != VUDB_OK)
		return rc;
	for (tries = 0; ; tries++) {
		if ((rc = vudb__store_begin(db, &txn)) != VUDB_OK)
			return rc;
		rc = get_rec_txn(db, d, txn, VUDB_DOMAIN, "D", 1, &rec);
		if (rc == VUDB_OK)
			rc = wipe_domain(db, d, txn);
		if (rc == VUDB_OK) {
			(void)vudb__rec_set(&rec, VUDB__D_DELETED, "yes");
			set_now(&rec, VUDB__D_UPDATED);
			rc = put_rec(db, d, txn, "D", 1, &rec);
		}
		vudb__rec_clear(&rec);
		if (rc == VUDB_OK)
			rc = vudb__store_commit(db, txn);
		else
			vudb__store_abort(db, txn);
		if (rc != VUDB_ETEMP || tries + 1 == MAX_TRIES)
			break;
	}
	if (rc != VUDB_OK)
		return rc;
	vudb__bump_gen(db);
	vudb__dom_drop(db, d);
	if (vudb__store_dom_remove(db, domain) != VUDB_OK) {
		vudb__log(db, VUDB_LOG_INFO, "%s: deleted; its file stays "
		    "until every reader has closed it (%s)", domain,
		    db->errmsg);
		vudb__clearerr(db);
	}
	return VUDB_OK;
}

int
vudb_del(struct vudb *db, int type, const char *name)
{
	char local[VUDB__LOCAL_MAX + 1], domain[VUDB__DOMAIN_MAX + 1];
	int rc, catchall;

	if (db == NULL)
		return VUDB_EINVAL;
	if (type != VUDB_DOMAIN)
		return change(db, OP_DEL, type, name, NULL);
	if ((rc = start_write(db, "cannot delete a domain inside a batch")) !=
	    VUDB_OK)
		return rc;
	if ((rc = vudb__split(db, type, name, local, domain, &catchall)) !=
	    VUDB_OK)
		return rc;
	return del_domain(db, domain);
}

/* ------------------------------------------------------------ batches */

int
vudb_begin(struct vudb *db, const char *domain)
{
	char local[VUDB__LOCAL_MAX + 1], dom[VUDB__DOMAIN_MAX + 1];
	struct vudb__dom *d;
	void *txn;
	int rc, catchall;

	if ((rc = start_write(db, "a batch is already open")) != VUDB_OK)
		return rc;
	if ((rc = vudb__split(db, VUDB_DOMAIN, domain, local, dom,
	    &catchall)) != VUDB_OK)
		return rc;
	rc = vudb__dom_get(db, dom, 0, &d);
	if (rc == VUDB_ENOTFOUND) {
		/* a new domain: built aside, published whole at commit */
		rc = vudb__dom_build(db, dom, &d, &txn);
		if (rc == VUDB_OK) {
			db->txn = txn;
			db->txn_build = 1;
			goto started;
		}
		if (rc == VUDB_ENOTSUP || rc == VUDB_EEXIST) {
			vudb__clearerr(db);
			rc = vudb__dom_get(db, dom, 1, &d);
		}
	}
	if (rc != VUDB_OK)
		return rc;
	if ((rc = vudb__store_begin(db, &db->txn)) != VUDB_OK)
		return rc;
started:
	db->txn_dom = d;
	db->txn_failed = 0;
	db->txn_gen = 0;
	return VUDB_OK;
}

static void
batch_end(struct vudb *db)
{
	db->txn_cnt_loaded = db->txn_cnt_dirty = 0;
	db->txn_users = db->txn_aliases = 0;
	if (db->txn_dom != NULL)
		db->txn_dom->meta_state = VUDB__META_UNKNOWN;
	db->txn = NULL;
	db->txn_dom = NULL;
	db->txn_build = 0;
	db->txn_failed = 0;
	db->txn_gen = 0;
}

int
vudb_commit(struct vudb *db)
{
	int rc;

	if (db == NULL)
		return VUDB_EINVAL;
	vudb__clearerr(db);
	if (db->txn == NULL)
		return vudb__seterr(db, VUDB_EINVAL, "no batch is open");
	if (db->txn_failed) {
		(void)vudb__txn_finish(db, 0);
		batch_end(db);
		return vudb__seterr(db, VUDB_ETEMP, "a change in the batch "
		    "failed: nothing was committed");
	}
	rc = VUDB_OK;
	if (db->txn_cnt_dirty)
		rc = counters_write(db, db->txn_dom, db->txn, db->txn_users,
		    db->txn_aliases);
	if (rc == VUDB_OK && db->txn_build) {
		/* a new domain's batch that made no domain record leaves
		 * nothing behind */
		rc = vudb__store_get(db, db->txn_dom, db->txn, "D", 1,
		    &db->buf);
		if (rc == VUDB_ENOTFOUND) {
			(void)vudb__txn_finish(db, 0);
			batch_end(db);
			return VUDB_OK;
		}
	}
	if (rc == VUDB_OK)
		rc = vudb__txn_finish(db, 1);
	else
		(void)vudb__txn_finish(db, 0);
	if (rc == VUDB_OK && db->txn_gen)
		vudb__bump_gen(db);
	batch_end(db);
	return rc;
}

int
vudb_abort(struct vudb *db)
{
	if (db == NULL)
		return VUDB_EINVAL;
	vudb__clearerr(db);
	if (db->txn == NULL)
		return vudb__seterr(db, VUDB_EINVAL, "no batch is open");
	(void)vudb__txn_finish(db, 0);
	batch_end(db);
	return VUDB_OK;
}

/* ------------------------------------------------------------ objects */

static int
obj_add(struct vudb_obj *o, const char *name, const char *value,
    int effective)
{
	char *copy;

	if ((copy = strdup(value)) == NULL)
		return VUDB_ENOMEM;
	if (effective) {
		if (o->ne == MAX_EFFECTIVE) {
			free(copy);
			return VUDB_ENOMEM;
		}
		o->e[o->ne].name = name;
		o->e[o->ne++].value = copy;
	} else {
		o->a[o->n].name = name;
		o->a[o->n++].value = copy;
	}
	return VUDB_OK;
}

/* eff - value in force: entry's, domain's, store's */
static const char *
eff(const struct vudb *db, const struct vudb__dom *d, const char *mine,
    unsigned int dtag, int sidx)
{
	return mine != NULL ? mine : vudb__dom_value(db, d, dtag, sidx);
}

/* counters_add - a domain's user and alias counts, as "users", "aliases" */
static int
counters_add(struct vudb *db, struct vudb__dom *d, struct vudb_obj *o)
{
	struct vudb_buf buf = { NULL, 0, 0 };
	const char *v[4] = { NULL };
	size_t l[4] = { 0 };
	char n[32];
	int rc;

	rc = vudb__store_get(db, d, db->txn_dom == d ? db->txn : NULL, "#", 1,
	    &buf);
	if (rc == VUDB_OK)
		rc = vudb__rec_scan(buf.data, buf.len, VUDB__REC_COUNTERS, v,
		    l, 4);
	if (rc != VUDB_OK && rc != VUDB_ENOTFOUND) {
		free(buf.data);
		return VUDB_OK;		/* counts are informative only */
	}
	snprintf(n, sizeof(n), "%.*s", v[VUDB__C_USERS] ? (int)l[VUDB__C_USERS]
	    : 1, v[VUDB__C_USERS] ? v[VUDB__C_USERS] : "0");
	rc = obj_add(o, "users", n, 1);
	snprintf(n, sizeof(n), "%.*s", v[VUDB__C_ALIASES] ?
	    (int)l[VUDB__C_ALIASES] : 1, v[VUDB__C_ALIASES] ?
	    v[VUDB__C_ALIASES] : "0");
	free(buf.data);
	return rc | obj_add(o, "aliases", n, 1);
}

/* make_obj - an object from a decoded record (and its domain) */
static int
make_obj(struct vudb *db, struct vudb__dom *d, const struct vudb__rec *rec,
    const char *name, struct vudb_obj **obj_r)
{
	const struct vudb__attr *tab;
	struct vudb_obj *o;
	const char *v, *local = name;
	char buf[4200];
	size_t i, j, n;
	int rc = VUDB_OK;

	*obj_r = NULL;
	if ((o = calloc(1, sizeof(*o))) == NULL ||
	    (o->name = strdup(name)) == NULL) {
		free(o);
		return VUDB_ENOMEM;
	}
	o->type = rec->type;
	tab = vudb__attrs(rec->type, &n);
	for (i = 0; i < n && rc == VUDB_OK; i++) {
		if (tab[i].flags & VUDB__A_HIDDEN)
			continue;
		for (j = 0; j < rec->n; j++)
			if (rec->f[j].tag == tab[i].tag)
				rc = obj_add(o, tab[i].name, rec->f[j].val, 0);
	}
	if (rc == VUDB_OK && rec->type == VUDB_USER) {
		const char *at = strrchr(name, '@');
		size_t llen = at != NULL ? (size_t)(at - local) : 0;

		v = vudb__rec_get(rec, VUDB__U_ENABLED);
		rc |= obj_add(o, "enabled", (v == NULL || strcmp(v, "yes") == 0)
		    && d->enabled ? "yes" : "no", 1);
		v = vudb__rec_get(rec, VUDB__U_RECEIVE);
		rc |= obj_add(o, "receive", v != NULL ? v : "yes", 1);
		rc |= obj_add(o, "services", eff(db, d, vudb__rec_get(rec,
		    VUDB__U_SERVICES), VUDB__D_SERVICES, VUDB__S_SERVICES), 1);
		rc |= obj_add(o, "quota_bytes", eff(db, d, vudb__rec_get(rec,
		    VUDB__U_QUOTA_BYTES), VUDB__D_QUOTA_BYTES,
		    VUDB__S_QUOTA_BYTES), 1);
		rc |= obj_add(o, "quota_messages", eff(db, d, vudb__rec_get(rec,
		    VUDB__U_QUOTA_MESSAGES), VUDB__D_QUOTA_MESSAGES,
		    VUDB__S_QUOTA_MESSAGES), 1);
		rc |= obj_add(o, "uid", eff(db, d, vudb__rec_get(rec,
		    VUDB__U_UID), VUDB__D_UID, VUDB__S_UID), 1);
		rc |= obj_add(o, "gid", eff(db, d, vudb__rec_get(rec,
		    VUDB__U_GID), VUDB__D_GID, VUDB__S_GID), 1);
		if ((v = vudb__rec_get(rec, VUDB__U_HOME)) == NULL) {
			snprintf(buf, sizeof(buf), "%s/%s/%.*s",
			    vudb__setting(db, VUDB__S_MAIL_BASE), d->name,
			    (int)llen, local);
			v = buf;
		}
		rc |= obj_add(o, "home", v, 1);
		if ((v = vudb__rec_get(rec, VUDB__U_MAILDIR)) == NULL) {
			snprintf(buf, sizeof(buf), "%s/%.*s/Maildir/",
			    d->name, (int)llen, local);
			v = buf;
		}
		rc |= obj_add(o, "maildir", v, 1);
		rc |= obj_add(o, "password_scheme", eff(db, d, NULL,
		    VUDB__D_SCHEME, VUDB__S_SCHEME), 1);
	} else if (rc == VUDB_OK && rec->type == VUDB_DOMAIN) {
		v = vudb__rec_get(rec, VUDB__D_ENABLED);
		rc |= obj_add(o, "enabled", v != NULL ? v : "yes", 1);
		v = vudb__rec_get(rec, VUDB__D_CATCHALL);
		rc |= obj_add(o, "catchall", v != NULL ? v : "yes", 1);
		rc |= obj_add(o, "services", eff(db, d, NULL, VUDB__D_SERVICES,
		    VUDB__S_SERVICES), 1);
		rc |= obj_add(o, "quota_bytes", eff(db, d, NULL,
		    VUDB__D_QUOTA_BYTES, VUDB__S_QUOTA_BYTES), 1);
		rc |= obj_add(o, "quota_messages", eff(db, d, NULL,
		    VUDB__D_QUOTA_MESSAGES, VUDB__S_QUOTA_MESSAGES), 1);
		rc |= obj_add(o, "uid", eff(db, d, NULL, VUDB__D_UID,
		    VUDB__S_UID), 1);
		rc |= obj_add(o, "gid", eff(db, d, NULL, VUDB__D_GID,
		    VUDB__S_GID), 1);
		rc |= obj_add(o, "recipient_delimiter", eff(db, d, NULL,
		    VUDB__D_DELIM, VUDB__S_DELIM), 1);
		rc |= obj_add(o, "password_scheme", eff(db, d, NULL,
		    VUDB__D_SCHEME, VUDB__S_SCHEME), 1);
		rc |= counters_add(db, d, o);
	}
	if (rc != VUDB_OK) {
		vudb_obj_free(o);
		return VUDB_ENOMEM;
	}
	*obj_r = o;
	return VUDB_OK;
}

/* entry_name - canonical name of an entry */
static void
entry_name(char *buf, size_t size, int type, const char *local,
    const char *domain)
{
	if (type == VUDB_DOMAIN)
		snprintf(buf, size, "%s", domain);
	else
		snprintf(buf, size, "%s@%s", local, domain);
}

/* get_entry - vudb_get, once the store is current */
static int
get_entry(struct vudb *db, int type, const char *local, const char *legacy,
    const char *domain, struct vudb_obj **obj_r)
{
	char canon[VUDB__ADDR_MAX + 1];
	struct vudb__rec rec;
	struct vudb__dom *d;
	int rc;

	if ((rc = open_domain(db, domain, &d)) != VUDB_OK)
		return rc;
	entry_name(canon, sizeof(canon), type, local, domain);
	if (type == VUDB_DOMAIN)
		return make_obj(db, d, d->meta, canon, obj_r);
	rc = vudb__get_rec(db, d, type, local, &db->buf);
	if (rc == VUDB_ENOTFOUND && legacy != NULL) {
		/* stored before folding: its name is the stored one */
		rc = vudb__get_rec(db, d, type, legacy, &db->buf);
		if (rc == VUDB_OK)
			entry_name(canon, sizeof(canon), type, legacy, domain);
	}
	if (rc == VUDB_ENOTFOUND)
		return vudb__seterr(db, rc, "%s: not found", canon);
	if (rc != VUDB_OK)
		return rc;
	rc = vudb__rec_decode(db->buf.data, db->buf.len, type, &rec);
	if (rc != VUDB_OK)
		return vudb__seterr(db, rc, "%s: damaged record", canon);
	rc = make_obj(db, d, &rec, canon, obj_r);
	vudb__rec_clear(&rec);
	return rc;
}

int
vudb_get(struct vudb *db, int type, const char *name, struct vudb_obj **obj_r)
{
	char local[VUDB__LOCAL_MAX + 1], domain[VUDB__DOMAIN_MAX + 1];
	char legacy[VUDB__LOCAL_MAX + 1];
	const char *lp;
	int rc, catchall;

	if (obj_r != NULL)
		*obj_r = NULL;
	if (db == NULL || obj_r == NULL)
		return VUDB_EINVAL;
	vudb__clearerr(db);
	if ((rc = vudb__refresh(db)) != VUDB_OK)
		return rc;
	if ((rc = vudb__split(db, type, name, local, domain, &catchall)) !=
	    VUDB_OK)
		return rc;
	lp = type != VUDB_DOMAIN && legacy_local(name, local, legacy) ?
	    legacy : NULL;
	rc = get_entry(db, type, local, lp, domain, obj_r);
	/* the store was recovered under this call: ask the new one */
	if (vudb__again(db, rc)) {
		vudb__clearerr(db);
		rc = get_entry(db, type, local, lp, domain, obj_r);
	}
	return rc;
}

int
vudb_obj_type(const struct vudb_obj *o)
{
	return o != NULL ? o->type : 0;
}

const char *
vudb_obj_name(const struct vudb_obj *o)
{
	return o != NULL ? o->name : NULL;
}

const char *
vudb_obj_get(const struct vudb_obj *o, const char *attr)
{
	size_t i;

	if (o == NULL || attr == NULL)
		return NULL;
	for (i = 0; i < o->n; i++)
		if (strcmp(o->a[i].name, attr) == 0)
			return o->a[i].value;
	return NULL;
}

const char *
vudb_obj_effective(const struct vudb_obj *o, const char *attr)
{
	size_t i;

	if (o == NULL || attr == NULL)
		return NULL;
	for (i = 0; i < o->ne; i++)
		if (strcmp(o->e[i].name, attr) == 0)
			return o->e[i].value;
	return vudb_obj_get(o, attr);
}

int
vudb_obj_attr(const struct vudb_obj *o, size_t i, const char **name_r,
    const char **value_r)
{
	if (name_r != NULL)
		*name_r = NULL;
	if (value_r != NULL)
		*value_r = NULL;
	if (o == NULL)
		return VUDB_EINVAL;
	if (i >= o->n)
		return VUDB_ENOTFOUND;
	if (name_r != NULL)
		*name_r = o->a[i].name;
	if (value_r != NULL)
		*value_r = o->a[i].value;
	return VUDB_OK;
}

void
vudb_obj_free(struct vudb_obj *o)
{
	size_t i;

	if (o == NULL)
		return;
	for (i = 0; i < o->n; i++)
		vudb__free_secret(o->a[i].value);
	for (i = 0; i < o->ne; i++)
		vudb__free_secret(o->e[i].value);
	free(o->name);
	free(o);
}

/* ------------------------------------------------------------ lists */

int
vudb_list(struct vudb *db, int type, const char *domain,
    struct vudb_iter **it_r)
{
	char local[VUDB__LOCAL_MAX + 1], dom[VUDB__DOMAIN_MAX + 1];
	struct vudb_iter *it;
	struct vudb__dom *d;
	char prefix;
	int rc, catchall;

	if (it_r != NULL)
		*it_r = NULL;
	if (db == NULL || it_r == NULL || type < VUDB_DOMAIN ||
	    type > VUDB_SENDER)
		return VUDB_EINVAL;
	vudb__clearerr(db);
	if ((rc = vudb__refresh(db)) != VUDB_OK)
		return rc;
	if ((it = calloc(1, sizeof(*it))) == NULL)
		return VUDB_ENOMEM;
	it->db = db;
	it->type = type;
	if (type == VUDB_DOMAIN)
		rc = vudb__domain_names(db, &it->names);
	else {
		rc = vudb__split(db, VUDB_DOMAIN, domain, local, dom,
		    &catchall);
		if (rc == VUDB_OK)
			rc = open_domain(db, dom, &d);
		if (rc == VUDB_OK) {
			snprintf(it->domain, sizeof(it->domain), "%s", dom);
			prefix = type_prefix(type);
			rc = vudb__store_iter(db, d, NULL, &prefix, 1,
			    vudb__recs_collect, &it->recs);
		}
	}
	if (rc != VUDB_OK) {
		vudb_iter_free(it);
		return rc;
	}
	*it_r = it;
	return VUDB_OK;
}

int
vudb_iter_next(struct vudb_iter *it, struct vudb_obj **obj_r)
{
	char name[VUDB__ADDR_MAX + 1];
	struct vudb__rec rec;
	struct vudb__dom *d;
	struct vudb *db;
	int rc;

	if (obj_r != NULL)
		*obj_r = NULL;
	if (it == NULL || obj_r == NULL)
		return VUDB_EINVAL;
	db = it->db;
	vudb_obj_free(it->cur);
	it->cur = NULL;
	while (it->type == VUDB_DOMAIN && it->next < it->names.n) {
		const char *dname = it->names.v[it->next++];

		rc = vudb__dom_get(db, dname, 0, &d);
		if (rc == VUDB_ENOTFOUND)
			continue;
		if (rc == VUDB_OK)
			rc = vudb__dom_meta(db, d);
		if (rc != VUDB_OK)
			return rc;
		if (d->meta_state != VUDB__META_OK)
			continue;
		if ((rc = make_obj(db, d, d->meta, d->name, &it->cur)) ==
		    VUDB_OK)
			*obj_r = it->cur;
		return rc;
	}
	if (it->type != VUDB_DOMAIN && it->next < it->recs.n) {
		size_t i = it->next++;
		const char *local = it->recs.keys[i] + 1;

		if ((rc = open_domain(db, it->domain, &d)) != VUDB_OK)
			return rc;
		rc = vudb__rec_decode(it->recs.vals[i], it->recs.vlens[i],
		    it->type, &rec);
		if (rc != VUDB_OK)
			return vudb__seterr(db, rc, "%s@%s: damaged record",
			    local, it->domain);
		entry_name(name, sizeof(name), it->type, local, it->domain);
		rc = make_obj(db, d, &rec, name, &it->cur);
		vudb__rec_clear(&rec);
		if (rc == VUDB_OK)
			*obj_r = it->cur;
		return rc;
	}
	return VUDB_ENOTFOUND;
}

void
vudb_iter_free(struct vudb_iter *it)
{
	if (it == NULL)
		return;
	vudb__names_free(&it->names);
	vudb__recs_free(&it->recs);
	vudb_obj_free(it->cur);
	free(it);
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
	if ((rc = open_domain(db, domain, &d)) != VUDB_OK)
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
	if (split_name(VUDB_USER, address, local, domain, &catchall) != NULL) {
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

		if (domain[0] != '\0' && open_domain(db, domain, &d) !=
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
		if (open_domain(db, domain, &d) != VUDB_OK)
			d = NULL;
		dummy_schemes(db, d, rc == VUDB_EAUTH ? hash_scheme(hash, name,
		    sizeof(name)) : NULL, password);
		vudb_obj_free(user);
		return vudb__seterr(db, VUDB_EAUTH, "%s: wrong password",
		    address);
	}
	/* only a right password learns that the account is disabled */
	if ((rc = allowed(db, user, service, 0)) != VUDB_OK) {
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
	if ((rc = allowed(db, user, service, 1)) != VUDB_OK) {
		vudb_obj_free(user);
		return rc;
	}
	if (user_r != NULL)
		*user_r = user;
	else
		vudb_obj_free(user);
	return VUDB_OK;
}

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

/* vudb__recs_collect - an iteration callback keeping every record */
int
vudb__recs_collect(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	struct vudb__recs *r = arg;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		void *p;

		if ((p = realloc(r->keys, cap * sizeof(*r->keys))) == NULL)
			return VUDB_ENOMEM;
		r->keys = p;
		if ((p = realloc(r->klens, cap * sizeof(*r->klens))) == NULL)
			return VUDB_ENOMEM;
		r->klens = p;
		if ((p = realloc(r->vals, cap * sizeof(*r->vals))) == NULL)
			return VUDB_ENOMEM;
		r->vals = p;
		if ((p = realloc(r->vlens, cap * sizeof(*r->vlens))) == NULL)
			return VUDB_ENOMEM;
		r->vlens = p;
		r->cap = cap;
	}
	if ((r->keys[r->n] = malloc(klen + 1)) == NULL)
		return VUDB_ENOMEM;
	if ((r->vals[r->n] = malloc(vlen ? vlen : 1)) == NULL) {
		free(r->keys[r->n]);
		return VUDB_ENOMEM;
	}
	memcpy(r->keys[r->n], key, klen);
	r->keys[r->n][klen] = '\0';
	r->klens[r->n] = klen;
	memcpy(r->vals[r->n], val, vlen);
	r->vlens[r->n++] = vlen;
	return 0;
}

void
vudb__recs_free(struct vudb__recs *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->keys[i]);
		vudb__wipe(r->vals[i], r->vlens[i]);
		free(r->vals[i]);
	}
	free(r->keys);
	free(r->klens);
	free(r->vals);
	free(r->vlens);
	memset(r, 0, sizeof(*r));
}

static int
type_of_key(char c)
{
	switch (c) {
	case 'D':	return VUDB_DOMAIN;
	case 'u':	return VUDB_USER;
	case 'a':	return VUDB_ALIAS;
	case 'r':	return VUDB_RELOCATED;
	case 's':	return VUDB_SENDER;
	case '#':	return VUDB__REC_COUNTERS;
	}
	return 0;
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
			    type_of_key(prefixes[k]), &rec);
			if (rc != VUDB_OK)
				break;
			if ((v = vudb__rec_get(&rec, VUDB__L_VALUE)) != NULL &&
			    (nv = list_replace(v, from, to, 0, &rc)) != NULL) {
				rc = vudb__rec_set(&rec, VUDB__L_VALUE, nv);
				free(nv);
				if (rc == VUDB_OK)
					rc = put_rec(db, d, txn, r.keys[i],
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
	rc = get_rec_txn(db, ds, txn, type, fkey, fk, &rec);
	if (rc == VUDB_ENOTFOUND && flegacy != NULL) {
		vudb__rec_clear(&rec);
		fl = flegacy;
		fk = vudb__key(type, fl, strlen(fl), fkey);
		rc = get_rec_txn(db, ds, txn, type, fkey, fk, &rec);
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
	rc = oldkey_taken(db, dd, txn, type, tl, old);
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
	set_now(&rec, tag_updated(type));
	if (ctag != 0 && ds != dd) {
		if ((rc = count_add(db, dd, txn, ctag, 1, maxtag, 1)) != 0 ||
		    (rc = count_add(db, ds, txn, ctag, -1, 0, 0)) != 0)
			goto out;
	}
	if ((rc = put_rec(db, dd, txn, tkey, tk, &rec)) != VUDB_OK ||
	    (rc = vudb__store_del(db, ds, txn, fkey, fk)) != VUDB_OK)
		goto out;
	if (type != VUDB_USER)
		goto out;
	/* the user's send-as grants move with it */
	fk = vudb__key(VUDB_SENDER, fl, strlen(fl), fkey);
	tk = vudb__key(VUDB_SENDER, tl, strlen(tl), tkey);
	rc = get_rec_txn(db, ds, txn, VUDB_SENDER, fkey, fk, &grants);
	if (rc == VUDB_OK) {
		rc = put_rec(db, dd, txn, tkey, tk, &grants);
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

	rc = get_rec_txn(db, dd, txn, VUDB_DOMAIN, "D", 1, &tomb);
	if (rc == VUDB_OK) {
		v = vudb__rec_get(&tomb, VUDB__D_DELETED);
		if (v == NULL || strcmp(v, "yes") != 0)
			rc = vudb__seterr(db, VUDB_EEXIST, "%s: already "
			    "exists", dd->name);
		else
			rc = wipe_domain(db, dd, txn);
		vudb__rec_clear(&tomb);
		if (rc != VUDB_OK)
			return rc;
	} else if (rc != VUDB_ENOTFOUND)
		return rc;
	rc = vudb__store_iter(db, ds, txn, "", 0, vudb__recs_collect, &r);
	if (rc != VUDB_OK)
		goto out;
	for (i = 0; rc == VUDB_OK && i < r.n; i++) {
		if ((type = type_of_key(r.keys[i][0])) == 0)
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
			set_now(&rec, VUDB__D_UPDATED);
		if (rc == VUDB_OK)
			rc = put_rec(db, dd, txn, r.keys[i], r.klens[i], &rec);
		vudb__rec_clear(&rec);
	}
	if (rc != VUDB_OK)
		goto out;
	/* the old name becomes a tombstone */
	if ((rc = get_rec_txn(db, ds, txn, VUDB_DOMAIN, "D", 1, &tomb)) != 0)
		goto out;
	if ((rc = wipe_domain(db, ds, txn)) == VUDB_OK) {
		(void)vudb__rec_set(&tomb, VUDB__D_DELETED, "yes");
		set_now(&tomb, VUDB__D_UPDATED);
		rc = put_rec(db, ds, txn, "D", 1, &tomb);
	}
	vudb__rec_clear(&tomb);
out:
	vudb__recs_free(&r);
	return rc;
}

int
vudb_rename(struct vudb *db, int type, const char *from, const char *to)
{
	char fl[VUDB__LOCAL_MAX + 1], fd[VUDB__DOMAIN_MAX + 1];
	char tl[VUDB__LOCAL_MAX + 1], td[VUDB__DOMAIN_MAX + 1];
	char flegacy[VUDB__LOCAL_MAX + 1];
	const char *flp;
	struct vudb__dom *ds, *dd;
	void *txn;
	int rc, c1, c2, tries;

	if ((rc = start_write(db, "cannot rename inside a batch")) != VUDB_OK)
		return rc;
	if ((rc = vudb__split(db, type, from, fl, fd, &c1)) != VUDB_OK ||
	    (rc = vudb__split(db, type, to, tl, td, &c2)) != VUDB_OK)
		return rc;
	if (c1 != c2)
		return vudb__seterr(db, VUDB_EINVAL, "a catch-all can only be "
		    "renamed to a catch-all");
	flp = type != VUDB_DOMAIN && legacy_local(from, fl, flegacy) ?
	    flegacy : NULL;
	/* the same name: only an old-form entry moves, to its folded key */
	if (strcmp(fl, tl) == 0 && strcmp(fd, td) == 0 && flp == NULL)
		return vudb__seterr(db, VUDB_EEXIST, "%s: same name", to);
	if ((rc = open_domain(db, fd, &ds)) != VUDB_OK)
		return rc;
	if (type == VUDB_DOMAIN) {
		if ((rc = vudb__dom_get(db, td, 1, &dd)) != VUDB_OK)
			return rc;
	} else if ((rc = open_domain(db, td, &dd)) != VUDB_OK)
		return rc;
	if (type != VUDB_DOMAIN && type != VUDB_RELOCATED &&
	    (ds->is_alias || dd->is_alias))
		return vudb__seterr(db, VUDB_EINVAL, "no such entries in an "
		    "alias domain");
	/* both databases stay open: neither is the LRU victim below */
	db->txn_dom = dd;
	for (tries = 0; ; tries++) {
		if ((rc = vudb__store_begin(db, &txn)) != VUDB_OK)
			break;
		if (type == VUDB_DOMAIN)
			rc = copy_domain(db, txn, ds, dd);
		else
			rc = move_entry(db, txn, type, ds, fl, flp, dd, tl);
		if (rc == VUDB_OK)
			rc = vudb__store_commit(db, txn);
		else
			vudb__store_abort(db, txn);
		if (rc != VUDB_ETEMP || tries + 1 == MAX_TRIES)
			break;
	}
	db->txn_dom = NULL;
	ds->meta_state = dd->meta_state = VUDB__META_UNKNOWN;
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
