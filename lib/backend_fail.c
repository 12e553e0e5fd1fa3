/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * backend_fail.c - a backend for tests that fails on demand (after
 * Postfix's dict_fail).  "fail:PATH" is the default backend's store at PATH,
 * except that each operation named in the environment variable VUDB_FAIL
 * or in the file PATH/fail (words such as "get put commit", or "all")
 * returns VUDB_ETEMP.  Tests use it to drive every caller's
 * temporary-failure path, including those of a running daemon (write or
 * remove PATH/fail while it runs).  Nothing else should use it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vudb_private.h"

struct fail_store {
	const struct vudb_backend	*real;
	void				*st;
	char				*failfile;
};

/* failing - whether op is to fail now */
static int
failing(struct vudb *db, struct fail_store *fs, const char *op)
{
	char words[512];
	const char *env;
	size_t n = 0, oplen = strlen(op);
	const char *p;
	FILE *fp;

	words[0] = '\0';
	if ((env = getenv("VUDB_FAIL")) != NULL)
		snprintf(words, sizeof(words), "%s ", env);
	if (fs->failfile != NULL && (fp = fopen(fs->failfile, "r")) != NULL) {
		n = strlen(words);
		n += fread(words + n, 1, sizeof(words) - n - 1, fp);
		words[n] = '\0';
		fclose(fp);
	}
	for (p = words; *p != '\0'; p += strcspn(p, " \t\n,")) {
		p += strspn(p, " \t\n,");
		if ((strncmp(p, op, oplen) == 0 &&
		    strchr(" \t\n,", p[oplen]) != NULL) ||
		    strncmp(p, "all", 3) == 0) {
			vudb__seterr(db, VUDB_ETEMP,
			    "fail: injected failure of %s", op);
			return 1;
		}
	}
	return 0;
}

static int
fail_store_open(struct vudb *db, const char *path, int flags, void **st_r)
{
	struct fail_store *fs;
	int rc;

	*st_r = NULL;
	if ((fs = calloc(1, sizeof(*fs))) == NULL)
		return VUDB_ENOMEM;
	/* the store's own backend underneath */
	if ((fs->real = vudb__backend_named(db,
	    vudb__setting(db, VUDB__S_BACKEND))) == NULL) {
		free(fs);
		return db->err;
	}
	if (asprintf(&fs->failfile, "%s/fail", path) < 0)
		fs->failfile = NULL;
	if (failing(db, fs, "open")) {
		free(fs->failfile);
		free(fs);
		return VUDB_ETEMP;
	}
	if ((rc = fs->real->store_open(db, path, flags, &fs->st)) != VUDB_OK) {
		free(fs->failfile);
		free(fs);
		return rc;
	}
	*st_r = fs;
	return VUDB_OK;
}

static void
fail_store_close(struct vudb *db, void *st)
{
	struct fail_store *fs = st;

	if (fs == NULL)
		return;
	fs->real->store_close(db, fs->st);
	free(fs->failfile);
	free(fs);
}

#define FS(st)	((struct fail_store *)(st))

static int
fail_dom_open(struct vudb *db, void *st, const char *domain, int flags,
    void **h_r)
{
	*h_r = NULL;
	if (failing(db, FS(st), "dom_open"))
		return VUDB_ETEMP;
	return FS(st)->real->dom_open(db, FS(st)->st, domain, flags, h_r);
}

static void
fail_dom_close(struct vudb *db, void *st, void *h)
{
	FS(st)->real->dom_close(db, FS(st)->st, h);
}

static int
fail_dom_remove(struct vudb *db, void *st, const char *domain)
{
	if (failing(db, FS(st), "dom_remove"))
		return VUDB_ETEMP;
	return FS(st)->real->dom_remove(db, FS(st)->st, domain);
}

static int
fail_dom_list(struct vudb *db, void *st, int (*cb)(void *, const char *),
    void *arg)
{
	if (failing(db, FS(st), "dom_list"))
		return VUDB_ETEMP;
	return FS(st)->real->dom_list(db, FS(st)->st, cb, arg);
}

/*
 * Record methods get no store pointer; the store is found through db,
 * which is what the core passes.
 */
static int
fail_get(struct vudb *db, void *h, void *txn, const void *key, size_t klen,
    struct vudb_buf *val)
{
	if (failing(db, FS(db->st), "get"))
		return VUDB_ETEMP;
	return FS(db->st)->real->get(db, h, txn, key, klen, val);
}

static int
fail_put(struct vudb *db, void *h, void *txn, const void *key, size_t klen,
    const void *val, size_t vlen, int flags)
{
	if (failing(db, FS(db->st), "put"))
		return VUDB_ETEMP;
	return FS(db->st)->real->put(db, h, txn, key, klen, val, vlen, flags);
}

static int
fail_del(struct vudb *db, void *h, void *txn, const void *key, size_t klen)
{
	if (failing(db, FS(db->st), "del"))
		return VUDB_ETEMP;
	return FS(db->st)->real->del(db, h, txn, key, klen);
}

static int
fail_iter(struct vudb *db, void *h, void *txn, const void *prefix,
    size_t plen, vudb_iter_cb cb, void *arg)
{
	if (failing(db, FS(db->st), "iter"))
		return VUDB_ETEMP;
	return FS(db->st)->real->iter(db, h, txn, prefix, plen, cb, arg);
}

static int
fail_begin(struct vudb *db, void *st, void **txn_r)
{
	*txn_r = NULL;
	if (failing(db, FS(st), "begin"))
		return VUDB_ETEMP;
	return FS(st)->real->begin(db, FS(st)->st, txn_r);
}

static int
fail_commit(struct vudb *db, void *st, void *txn)
{
	if (failing(db, FS(st), "commit")) {
		FS(st)->real->abort(db, FS(st)->st, txn);
		return VUDB_ETEMP;
	}
	return FS(st)->real->commit(db, FS(st)->st, txn);
}

static void
fail_abort(struct vudb *db, void *st, void *txn)
{
	FS(st)->real->abort(db, FS(st)->st, txn);
}

static int
fail_verify(struct vudb *db, void *st, const char *domain)
{
	if (failing(db, FS(st), "verify"))
		return VUDB_ETEMP;
	return FS(st)->real->verify(db, FS(st)->st, domain);
}

static int
fail_alive(struct vudb *db, void *st)
{
	if (FS(st)->real->alive == NULL)
		return 1;
	return FS(st)->real->alive(db, FS(st)->st);
}

static int
fail_reopen(struct vudb *db, void *st)
{
	if (FS(st)->real->reopen == NULL)
		return VUDB_ENOTSUP;
	return FS(st)->real->reopen(db, FS(st)->st);
}

static int
fail_check(struct vudb *db, void *st)
{
	if (failing(db, FS(st), "check"))
		return VUDB_ETEMP;
	if (FS(st)->real->check == NULL)
		return VUDB_OK;
	return FS(st)->real->check(db, FS(st)->st);
}

static int
fail_near(struct vudb *db, void *h, void *txn, const void *key, size_t klen,
    vudb_iter_cb cb, void *arg)
{
	if (failing(db, FS(db->st), "near"))
		return VUDB_ETEMP;
	if (FS(db->st)->real->near == NULL)
		return VUDB_OK;
	return FS(db->st)->real->near(db, h, txn, key, klen, cb, arg);
}

const struct vudb_backend vudb__backend_fail = {
	.abi = VUDB_BACKEND_ABI,
	.name = "fail",
	.caps = VUDB_CAP_WRITE | VUDB_CAP_TXN,
	.store_open = fail_store_open,
	.store_close = fail_store_close,
	.dom_open = fail_dom_open,
	.dom_close = fail_dom_close,
	.dom_remove = fail_dom_remove,
	.dom_list = fail_dom_list,
	.get = fail_get,
	.put = fail_put,
	.del = fail_del,
	.iter = fail_iter,
	.begin = fail_begin,
	.commit = fail_commit,
	.abort = fail_abort,
	.verify = fail_verify,
	.alive = fail_alive,
	.reopen = fail_reopen,
	.check = fail_check,
	.near = fail_near,
};
