/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * store.c - the one door to storage (in the manner of OpenSMTPD's
 * table_lookup()).  Every call the core makes of a backend is made here,
 * and nowhere else: the door checks that the backend has the method (a
 * missing one is VUDB_ENOTSUP, or the default its contract states), hands
 * the backend its narrow context (struct vudb_bectx: the handle's error
 * detail, log hook and settings, nothing more of struct vudb), and makes
 * every status one of vudb.h's, with a detail, in one place (result()).
 * The backend's own objects (store, domain database, transaction) stay
 * opaque here.
 *
 * Reads check what they read.  Every record read through vudb__store_get()
 * or vudb__store_iter() has its checksum checked against its key (records
 * of format version 2, record.c): a record that fails is a damaged domain
 * file, a temporary failure (VUDB_ETEMP), never an answer made from
 * damaged bytes.  A key that is not found is checked too, where the
 * backend can show what is around it (its near method): the entries before
 * and after the place the key would be must be intact and in order, else
 * the page that should have held the key is damaged, and "not found"
 * would bounce mail for a user who exists.  Only vudb_verify() reads
 * unchecked (vudb__store_get_raw, vudb__store_iter_raw), to report what
 * it finds.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vudb_private.h"

/* ------------------------------------------------------------ context */

/* The handle a backend's context belongs to. */
#define CTX_DB(ctx)	((ctx)->db)

int
vudb__ctx_seterr(struct vudb_bectx *ctx, int rc, const char *fmt, ...)
{
	va_list ap;

	if (ctx == NULL)
		return rc;
	va_start(ap, fmt);
	rc = vudb__vseterr(CTX_DB(ctx), rc, fmt, ap);
	va_end(ap);
	return rc;
}

const char *
vudb__ctx_errmsg(const struct vudb_bectx *ctx)
{
	return ctx == NULL || CTX_DB(ctx) == NULL ? "" : CTX_DB(ctx)->errmsg;
}

void
vudb__ctx_log(struct vudb_bectx *ctx, int prio, const char *fmt, ...)
{
	va_list ap;

	if (ctx == NULL)
		return;
	va_start(ap, fmt);
	vudb__vlog(CTX_DB(ctx), prio, fmt, ap);
	va_end(ap);
}

const char *
vudb__ctx_setting(const struct vudb_bectx *ctx, const char *name)
{
	int i;

	if (ctx == NULL || CTX_DB(ctx) == NULL ||
	    (i = vudb__setting_index(name)) < 0)
		return NULL;
	return vudb__setting(CTX_DB(ctx), i);
}

unsigned long long
vudb__ctx_setting_u64(const struct vudb_bectx *ctx, const char *name)
{
	int i;

	if (ctx == NULL || CTX_DB(ctx) == NULL ||
	    (i = vudb__setting_index(name)) < 0)
		return 0;
	return vudb__setting_u64(CTX_DB(ctx), i);
}

int
vudb__ctx_slot(const char *domain)
{
	return vudb__slot(domain);
}

void
vudb__ctx_slot_moved(struct vudb_bectx *ctx, int slot)
{
	if (ctx != NULL && CTX_DB(ctx) != NULL)
		vudb__cache_slot_moved(CTX_DB(ctx), slot);
}

/* vudb__buf_reserve - room for need bytes in a backend's buffer */
int
vudb__buf_reserve(struct vudb_buf *b, size_t need)
{
	unsigned char *p;
	size_t cap;

	if (need <= b->cap)
		return VUDB_OK;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	if ((p = realloc(b->data, cap)) == NULL)
		return VUDB_ENOMEM;
	b->data = p;
	b->cap = cap;
	return VUDB_OK;
}

/* ------------------------------------------------------------ results */

/*
 * result - the status of backend method op as the core gives it on: one
 * of vudb.h's codes (anything else a backend returns is a temporary
 * failure), and a failure always with a detail.
 */
static int
result(struct vudb *db, int rc, const char *op)
{
	if (rc == VUDB_OK || rc == VUDB_ENOTFOUND)
		return rc;
	if (rc > 0 || rc < VUDB_ENOSTORE)
		return vudb__seterr(db, VUDB_ETEMP, "%s: %s: unexpected "
		    "status %d", db->be->name, op, rc);
	if (db->errmsg[0] == '\0')
		vudb__seterr(db, rc, "%s: %s: %s", db->be->name, op,
		    vudb_strerror(rc));
	return rc;
}

/* missing - the failure of a call of a method the backend has not */
static int
missing(struct vudb *db, const char *op)
{
	return vudb__seterr(db, VUDB_ENOTSUP, "%s: %s: not supported by this "
	    "backend", db->be->name, op);
}

/* keycmp - the order of keys in every backend: bytes, then length */
static int
keycmp(const void *a, size_t alen, const void *b, size_t blen)
{
	int c;

	c = memcmp(a, b, alen < blen ? alen : blen);
	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/* damaged - the failure of a read of d that met damaged data */
static int
damaged(struct vudb *db, const struct vudb__dom *d, const char *what)
{
	/* no key in the text: one line per domain, which logs rate-limit */
	return vudb__seterr(db, VUDB_ETEMP, "%s: domain file damaged: %s; "
	    "its lookups fail temporarily until it is restored (vudbadm "
	    "verify %s)", d->name, what, d->name);
}

struct near {
	const void	*key;
	size_t		 klen;
	int		 n;		/* entries seen: 0 before, 1 after */
	int		 itself;	/* the key is there now */
	const char	*bad;
};

static int
near_cb(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	struct near *nr = arg;
	int after = nr->n++, rc;

	if (key == NULL || nr->bad != NULL)
		return 0;
	rc = vudb__rec_check(key, klen, val, vlen);
	if (rc == VUDB_ECORRUPT || rc == VUDB__REC_BAD)
		nr->bad = "a record beside a key not found fails its checksum";
	else if (after && keycmp(key, klen, nr->key, nr->klen) == 0)
		nr->itself = 1;	/* added since the get, by a writer */
	else if (after ? keycmp(key, klen, nr->key, nr->klen) <= 0 :
	    keycmp(key, klen, nr->key, nr->klen) >= 0)
		nr->bad = "keys out of order where a key was not found";
	return 0;
}

int
vudb__store_get(struct vudb *db, struct vudb__dom *d, void *txn,
    const void *key, size_t klen, struct vudb_buf *val)
{
	struct near nr;
	int rc, tries;

	/* A reader's get and near see the data each as it is then: a key
	 * added between them is found by near, which is no damage; the
	 * get is made again.  Found by near twice and never by get: a
	 * damaged path to it. */
	for (tries = 0; ; tries++) {
		rc = result(db, db->be->get(&db->ctx, d->h, txn, key, klen,
		    val), "get");
		if (rc == VUDB_OK) {
			if (vudb__rec_check(key, klen, val->data, val->len) ==
			    VUDB_ECORRUPT)
				return damaged(db, d,
				    "a record fails its checksum");
			return VUDB_OK;
		}
		if (rc != VUDB_ENOTFOUND || db->be->near == NULL)
			return rc;
		nr.key = key;
		nr.klen = klen;
		nr.n = 0;
		nr.itself = 0;
		nr.bad = NULL;
		rc = result(db, db->be->near(&db->ctx, d->h, txn, key, klen,
		    near_cb, &nr), "near");
		if (rc != VUDB_OK)
			return rc;
		if (nr.bad != NULL)
			return damaged(db, d, nr.bad);
		if (!nr.itself)
			return VUDB_ENOTFOUND;
		if (txn != NULL || tries == 1)
			return damaged(db, d, "a key not found is found "
			    "beside itself");
	}
}

struct checked {
	vudb_iter_cb	 cb;
	void		*arg;
	int		 bad;
};

static int
checked_cb(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	struct checked *ck = arg;

	if (vudb__rec_check(key, klen, val, vlen) == VUDB_ECORRUPT) {
		ck->bad = 1;
		return VUDB_ETEMP;
	}
	return ck->cb(ck->arg, key, klen, val, vlen);
}

int
vudb__store_iter(struct vudb *db, struct vudb__dom *d, void *txn,
    const void *prefix, size_t plen, vudb_iter_cb cb, void *arg)
{
	struct checked ck;
	int rc;

	ck.cb = cb;
	ck.arg = arg;
	ck.bad = 0;
	rc = db->be->iter(&db->ctx, d->h, txn, prefix, plen, checked_cb,
	    &ck);
	if (ck.bad)
		return damaged(db, d, "a record fails its checksum");
	return rc > 0 ? rc : result(db, rc, "iter");
}

/* ------------------------------------------------------------ reads */

/* vudb__store_get_raw - a record as stored, its checksum unchecked */
int
vudb__store_get_raw(struct vudb *db, struct vudb__dom *d, const void *key,
    size_t klen, struct vudb_buf *val)
{
	return result(db, db->be->get(&db->ctx, d->h, NULL, key, klen, val),
	    "get");
}

/* vudb__store_iter_raw - records as stored, their checksums unchecked */
int
vudb__store_iter_raw(struct vudb *db, struct vudb__dom *d,
    vudb_iter_cb cb, void *arg)
{
	int rc;

	rc = db->be->iter(&db->ctx, d->h, NULL, "", 0, cb, arg);
	return rc > 0 ? rc : result(db, rc, "iter");
}

/* ------------------------------------------------------------ writes */

int
vudb__store_put(struct vudb *db, struct vudb__dom *d, void *txn,
    const void *key, size_t klen, const void *val, size_t vlen, int flags)
{
	if (db->be->put == NULL)
		return missing(db, "put");
	return result(db, db->be->put(&db->ctx, d->h, txn, key, klen, val,
	    vlen, flags), "put");
}

int
vudb__store_del(struct vudb *db, struct vudb__dom *d, void *txn,
    const void *key, size_t klen)
{
	if (db->be->del == NULL)
		return missing(db, "del");
	return result(db, db->be->del(&db->ctx, d->h, txn, key, klen), "del");
}

int
vudb__store_begin(struct vudb *db, void **txn_r)
{
	*txn_r = NULL;
	if (db->be->begin == NULL)
		return missing(db, "begin");
	return result(db, db->be->begin(&db->ctx, db->st, txn_r), "begin");
}

int
vudb__store_commit(struct vudb *db, void *txn)
{
	return result(db, db->be->commit(&db->ctx, db->st, txn), "commit");
}

void
vudb__store_abort(struct vudb *db, void *txn)
{
	db->be->abort(&db->ctx, db->st, txn);
}

/* vudb__store_build_begin - VUDB_ENOTSUP when the backend builds no new
 * domains out of sight */
int
vudb__store_build_begin(struct vudb *db, const char *domain, void **h_r,
    void **txn_r)
{
	*h_r = *txn_r = NULL;
	if (db->be->build_begin == NULL)
		return VUDB_ENOTSUP;
	return result(db, db->be->build_begin(&db->ctx, db->st, domain, h_r,
	    txn_r), "build_begin");
}

int
vudb__store_build_end(struct vudb *db, void *txn, int commit)
{
	return result(db, db->be->build_end(&db->ctx, db->st, txn, commit),
	    "build_end");
}

/* ------------------------------------------------------------ domains */

int
vudb__store_dom_open(struct vudb *db, const char *domain, int create,
    void **h_r)
{
	*h_r = NULL;
	return result(db, db->be->dom_open(&db->ctx, db->st, domain,
	    create ? VUDB_CREATE : 0, h_r), "dom_open");
}

void
vudb__store_dom_close(struct vudb *db, void *h)
{
	db->be->dom_close(&db->ctx, db->st, h);
}

/* vudb__store_dom_remove - VUDB_OK also when the backend removes nothing
 * (the domain's tombstone then stays) */
int
vudb__store_dom_remove(struct vudb *db, const char *domain)
{
	if (db->be->dom_remove == NULL)
		return VUDB_OK;
	return result(db, db->be->dom_remove(&db->ctx, db->st, domain),
	    "dom_remove");
}

int
vudb__store_dom_list(struct vudb *db, vudb_name_cb cb, void *arg)
{
	int rc;

	if (db->be->dom_list == NULL)
		return missing(db, "dom_list");
	rc = db->be->dom_list(&db->ctx, db->st, cb, arg);
	return rc > 0 ? rc : result(db, rc, "dom_list");
}

/* vudb__store_verify - the backend's structural check of one domain;
 * VUDB_OK when it has none */
int
vudb__store_verify(struct vudb *db, const char *domain)
{
	if (db->be->verify == NULL)
		return VUDB_OK;
	return result(db, db->be->verify(&db->ctx, db->st, domain), "verify");
}

int
vudb__store_dom_size(struct vudb *db, const char *domain,
    unsigned long long *bytes_r)
{
	*bytes_r = 0;
	if (db->be->dom_size == NULL)
		return missing(db, "dom_size");
	return result(db, db->be->dom_size(&db->ctx, db->st, domain, bytes_r),
	    "dom_size");
}

int
vudb__store_size(struct vudb *db, unsigned long long *bytes_r)
{
	*bytes_r = 0;
	if (db->be->store_size == NULL)
		return missing(db, "store_size");
	return result(db, db->be->store_size(&db->ctx, db->st, bytes_r),
	    "store_size");
}

/* ------------------------------------------------------------ the store */

int
vudb__store_open(struct vudb *db, const char *path, int flags)
{
	db->ctx.db = db;
	return result(db, db->be->store_open(&db->ctx, path, flags, &db->st),
	    "store_open");
}

void
vudb__store_close(struct vudb *db)
{
	if (db->be != NULL && db->st != NULL)
		db->be->store_close(&db->ctx, db->st);
	db->st = NULL;
}

/* vudb__store_alive - whether the store is usable (1) or lost (0) */
int
vudb__store_alive(struct vudb *db)
{
	return db->be->alive == NULL || db->be->alive(&db->ctx, db->st);
}

/* vudb__store_reopen - a lost store opened again */
int
vudb__store_reopen(struct vudb *db)
{
	if (db->be->reopen == NULL)
		return vudb__seterr(db, VUDB_ETEMP, "store lost");
	return result(db, db->be->reopen(&db->ctx, db->st), "reopen");
}

/* vudb__store_check - processes that died with the store open */
int
vudb__store_check(struct vudb *db)
{
	if (db->be->check == NULL)
		return VUDB_OK;
	return result(db, db->be->check(&db->ctx, db->st), "check");
}

/* vudb__store_sync - a VUDB_BULK store's commits made durable */
int
vudb__store_sync(struct vudb *db)
{
	if (db->be->sync == NULL)
		return VUDB_OK;
	return result(db, db->be->sync(&db->ctx, db->st), "sync");
}

/* vudb__store_note - what a change of setting name needs, or NULL */
const char *
vudb__store_note(const struct vudb *db, const char *name)
{
	if (db->be->setting_note == NULL)
		return NULL;
	return db->be->setting_note(name);
}

/*
 * vudb__store_changes - the store's change counter, when the backend
 * keeps it (VUDB_ENOTSUP: the core keeps it in STORE/generation)
 */
int
vudb__store_changes(struct vudb *db, unsigned long long *gen_r)
{
	if (db->be->changes == NULL)
		return VUDB_ENOTSUP;
	return result(db, db->be->changes(&db->ctx, db->st, gen_r),
	    "changes");
}

/* vudb__store_counts_changes - whether the backend keeps the counter */
int
vudb__store_counts_changes(const struct vudb *db)
{
	return db->be->changes != NULL;
}

/* vudb__store_changed - a writer's change, told to the backend's counter */
void
vudb__store_changed(struct vudb *db)
{
	if (db->be->changed != NULL)
		db->be->changed(&db->ctx, db->st);
}

/* ------------------------------------------------------------ its place */

/*
 * vudb__store_is_dir - whether the store is a directory of this host: a
 * VUDB_CAP_DIR backend's, or one whose backend is not chosen yet (a plain
 * path, or a URL whose scheme names no server backend)
 */
int
vudb__store_is_dir(const struct vudb *db)
{
	return db->be == NULL || (db->be->caps & VUDB_CAP_DIR);
}

/* vudb__store_place - a directory store made (VUDB_CREATE) or found */
int
vudb__store_place(struct vudb *db, const char *path, int flags)
{
	if (!vudb__store_is_dir(db))
		return VUDB_OK;		/* store_open's business */
	return vudb__files_place(&db->ctx, path, flags);
}

/*
 * vudb__store_conf_read - the text of the store's settings (text_r NULL:
 * only its stamp); VUDB_ENOTFOUND when it has none.  A directory store's
 * are STORE/vudb.conf, also before the store is open.
 */
int
vudb__store_conf_read(struct vudb *db, char **text_r, long long *stamp_r)
{
	if (text_r != NULL)
		*text_r = NULL;
	*stamp_r = 0;
	if (db->be != NULL && db->be->conf_read != NULL && db->st != NULL)
		return result(db, db->be->conf_read(&db->ctx, db->st, text_r,
		    stamp_r), "conf_read");
	if (!vudb__store_is_dir(db))
		return db->be->conf_read == NULL ? missing(db, "conf_read") :
		    vudb__seterr(db, VUDB_ETEMP, "store not open");
	return vudb__files_conf_read(&db->ctx, db->root, text_r, stamp_r);
}

/* vudb__store_conf_edit - the text of the store's settings replaced by
 * what edit makes of it, one writer at a time */
int
vudb__store_conf_edit(struct vudb *db, vudb_text_cb edit, void *arg)
{
	if (db->be != NULL && db->be->conf_edit != NULL && db->st != NULL)
		return result(db, db->be->conf_edit(&db->ctx, db->st, edit,
		    arg), "conf_edit");
	if (!vudb__store_is_dir(db))
		return db->be->conf_edit == NULL ? missing(db, "conf_edit") :
		    vudb__seterr(db, VUDB_ETEMP, "store not open");
	return vudb__files_conf_edit(&db->ctx, db->root, edit, arg);
}

/* vudb__store_keeps_audit - whether the backend keeps the audit log
 * itself (a server's table) */
int
vudb__store_keeps_audit(const struct vudb *db)
{
	return db->be != NULL && db->be->audit_append != NULL &&
	    db->be->audit_read != NULL && db->st != NULL;
}

/* vudb__store_audit_append - one line into the backend's audit log */
int
vudb__store_audit_append(struct vudb *db, const char *line, size_t len)
{
	if (!vudb__store_keeps_audit(db))
		return vudb__seterr(db, VUDB_ENOTSUP, "no audit log here");
	return result(db, db->be->audit_append(&db->ctx, db->st, line, len),
	    "audit_append");
}

/* vudb__store_audit_read - every line of the backend's audit log */
int
vudb__store_audit_read(struct vudb *db, vudb_line_cb cb, void *arg)
{
	if (!vudb__store_keeps_audit(db))
		return vudb__seterr(db, VUDB_ENOTSUP, "no audit log here");
	return result(db, db->be->audit_read(&db->ctx, db->st, cb, arg),
	    "audit_read");
}

/*
 * vudb__store_gen_map - the shared change counter STORE/generation of a
 * directory store whose backend keeps none itself (changes); NULL when
 * the backend keeps it, or the file cannot be mapped; id_r: the file's
 * identity (device, inode)
 */
void *
vudb__store_gen_map(struct vudb *db, size_t *len_r,
    unsigned long long id_r[2])
{
	*len_r = 0;
	if (vudb__store_counts_changes(db) || !vudb__store_is_dir(db))
		return NULL;
	return vudb__files_gen_map(&db->ctx, db->root,
	    !(db->flags & VUDB_RDONLY), len_r, id_r);
}

/*
 * vudb__store_host_map - the page of this host that a server backend names
 * (host_page), mapped; NULL when the backend names none.  *writable_r:
 * whether this process may advance it.
 */
void *
vudb__store_host_map(struct vudb *db, size_t *len_r,
    unsigned long long id_r[2], int *writable_r)
{
	char name[256];
	void *p;

	*len_r = 0;
	*writable_r = 0;
	if (db->be->host_page == NULL || db->st == NULL ||
	    db->be->host_page(&db->ctx, db->st, name, sizeof(name)) != VUDB_OK) {
		vudb__clearerr(db);
		return NULL;
	}
	p = vudb__files_host_map(&db->ctx, name, !(db->flags & VUDB_RDONLY),
	    len_r, id_r, writable_r);
	return p;
}

void
vudb__store_gen_unmap(void *p, size_t len)
{
	vudb__files_gen_unmap(p, len);
}

/* vudb__store_name - the backend's name, its URL scheme */
const char *
vudb__store_name(const struct vudb *db)
{
	return db->be->name;
}

/* vudb__store_fds - the descriptors one open domain database holds */
unsigned int
vudb__store_fds(const struct vudb *db)
{
	if ((db->flags & VUDB_RDONLY) && db->be->fds_per_domain_ro > 0)
		return db->be->fds_per_domain_ro;
	return db->be->fds_per_domain > 0 ? db->be->fds_per_domain : 1;
}
