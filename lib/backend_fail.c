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

#include "vudb_backend.h"

struct fail_store {
	const struct vudb_backend	*real;
	void				*st;
	char				*failfile;
};

/* failing - whether op is to fail now */
static int
failing(struct vudb_bectx *ctx, struct fail_store *fs, const char *op)
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
			vudb__ctx_seterr(ctx, VUDB_ETEMP,
			    "fail: injected failure of %s", op);
			return 1;
		}
	}
	return 0;
}

static int
fail_store_open(struct vudb_bectx *ctx, const char *path, int flags,
    void **st_r)
{
	struct fail_store *fs;
	int rc;

	*st_r = NULL;
	if ((fs = calloc(1, sizeof(*fs))) == NULL)
		return VUDB_ENOMEM;
	/* the store's own backend underneath */
	if ((rc = vudb__backend_named(ctx, vudb__ctx_setting(ctx, "backend"),
	    &fs->real)) != VUDB_OK) {
		free(fs);
		return rc;
	}
	if (asprintf(&fs->failfile, "%s/fail", path) < 0)
		fs->failfile = NULL;
	if (failing(ctx, fs, "open")) {
		free(fs->failfile);
		free(fs);
		return VUDB_ETEMP;
	}
	if ((rc = fs->real->store_open(ctx, path, flags, &fs->st)) != VUDB_OK) {
		free(fs->failfile);
		free(fs);
		return rc;
	}
	*st_r = fs;
	return VUDB_OK;
}

static void
fail_store_close(struct vudb_bectx *ctx, void *st)
{
	struct fail_store *fs = st;

	if (fs == NULL)
		return;
	fs->real->store_close(ctx, fs->st);
	free(fs->failfile);
	free(fs);
}

#define FS(st)	((struct fail_store *)(st))

/* An open domain: the real backend's handle, and the store it is in (the
 * record methods get no store pointer). */
struct fail_dom {
	struct fail_store	*fs;
	void			*h;
};
#define FD(h)	((struct fail_dom *)(h))

static int
fail_dom_open(struct vudb_bectx *ctx, void *st, const char *domain,
    int flags, void **h_r)
{
	struct fail_dom *fd;
	int rc;

	*h_r = NULL;
	if (failing(ctx, FS(st), "dom_open"))
		return VUDB_ETEMP;
	if ((fd = calloc(1, sizeof(*fd))) == NULL)
		return VUDB_ENOMEM;
	fd->fs = FS(st);
	rc = FS(st)->real->dom_open(ctx, FS(st)->st, domain, flags, &fd->h);
	if (rc != VUDB_OK) {
		free(fd);
		return rc;
	}
	*h_r = fd;
	return VUDB_OK;
}

static void
fail_dom_close(struct vudb_bectx *ctx, void *st, void *h)
{
	FS(st)->real->dom_close(ctx, FS(st)->st, FD(h)->h);
	free(h);
}

static int
fail_dom_remove(struct vudb_bectx *ctx, void *st, const char *domain)
{
	if (failing(ctx, FS(st), "dom_remove"))
		return VUDB_ETEMP;
	return FS(st)->real->dom_remove(ctx, FS(st)->st, domain);
}

static int
fail_dom_list(struct vudb_bectx *ctx, void *st, vudb_name_cb cb, void *arg)
{
	if (failing(ctx, FS(st), "dom_list"))
		return VUDB_ETEMP;
	return FS(st)->real->dom_list(ctx, FS(st)->st, cb, arg);
}

static int
fail_get(struct vudb_bectx *ctx, void *h, void *txn, const void *key,
    size_t klen, struct vudb_buf *val)
{
	if (failing(ctx, FD(h)->fs, "get"))
		return VUDB_ETEMP;
	return FD(h)->fs->real->get(ctx, FD(h)->h, txn, key, klen, val);
}

static int
fail_put(struct vudb_bectx *ctx, void *h, void *txn, const void *key,
    size_t klen, const void *val, size_t vlen, int flags)
{
	if (failing(ctx, FD(h)->fs, "put"))
		return VUDB_ETEMP;
	return FD(h)->fs->real->put(ctx, FD(h)->h, txn, key, klen, val, vlen,
	    flags);
}

static int
fail_del(struct vudb_bectx *ctx, void *h, void *txn, const void *key,
    size_t klen)
{
	if (failing(ctx, FD(h)->fs, "del"))
		return VUDB_ETEMP;
	return FD(h)->fs->real->del(ctx, FD(h)->h, txn, key, klen);
}

static int
fail_iter(struct vudb_bectx *ctx, void *h, void *txn, const void *prefix,
    size_t plen, vudb_iter_cb cb, void *arg)
{
	if (failing(ctx, FD(h)->fs, "iter"))
		return VUDB_ETEMP;
	return FD(h)->fs->real->iter(ctx, FD(h)->h, txn, prefix, plen, cb,
	    arg);
}

static int
fail_begin(struct vudb_bectx *ctx, void *st, void **txn_r)
{
	*txn_r = NULL;
	if (failing(ctx, FS(st), "begin"))
		return VUDB_ETEMP;
	return FS(st)->real->begin(ctx, FS(st)->st, txn_r);
}

static int
fail_commit(struct vudb_bectx *ctx, void *st, void *txn)
{
	if (failing(ctx, FS(st), "commit")) {
		FS(st)->real->abort(ctx, FS(st)->st, txn);
		return VUDB_ETEMP;
	}
	return FS(st)->real->commit(ctx, FS(st)->st, txn);
}

static void
fail_abort(struct vudb_bectx *ctx, void *st, void *txn)
{
	FS(st)->real->abort(ctx, FS(st)->st, txn);
}

static int
fail_verify(struct vudb_bectx *ctx, void *st, const char *domain)
{
	if (failing(ctx, FS(st), "verify"))
		return VUDB_ETEMP;
	return FS(st)->real->verify(ctx, FS(st)->st, domain);
}

static int
fail_alive(struct vudb_bectx *ctx, void *st)
{
	if (FS(st)->real->alive == NULL)
		return 1;
	return FS(st)->real->alive(ctx, FS(st)->st);
}

static int
fail_reopen(struct vudb_bectx *ctx, void *st)
{
	if (FS(st)->real->reopen == NULL)
		return VUDB_ENOTSUP;
	return FS(st)->real->reopen(ctx, FS(st)->st);
}

static int
fail_check(struct vudb_bectx *ctx, void *st)
{
	if (failing(ctx, FS(st), "check"))
		return VUDB_ETEMP;
	if (FS(st)->real->check == NULL)
		return VUDB_OK;
	return FS(st)->real->check(ctx, FS(st)->st);
}

static int
fail_near(struct vudb_bectx *ctx, void *h, void *txn, const void *key,
    size_t klen, vudb_iter_cb cb, void *arg)
{
	if (failing(ctx, FD(h)->fs, "near"))
		return VUDB_ETEMP;
	if (FD(h)->fs->real->near == NULL)
		return VUDB_OK;
	return FD(h)->fs->real->near(ctx, FD(h)->h, txn, key, klen, cb, arg);
}

/* What only the real backend knows. */
static int
fail_dom_size(struct vudb_bectx *ctx, void *st, const char *domain,
    unsigned long long *bytes_r)
{
	if (FS(st)->real->dom_size == NULL)
		return VUDB_ENOTSUP;
	return FS(st)->real->dom_size(ctx, FS(st)->st, domain, bytes_r);
}

static int
fail_store_size(struct vudb_bectx *ctx, void *st, unsigned long long *bytes_r)
{
	if (FS(st)->real->store_size == NULL)
		return VUDB_ENOTSUP;
	return FS(st)->real->store_size(ctx, FS(st)->st, bytes_r);
}

const struct vudb_backend vudb__backend_fail = {
	.abi = VUDB_BACKEND_ABI,
	.name = "fail",
	.caps = VUDB_CAP_WRITE | VUDB_CAP_TXN | VUDB_CAP_DIR,
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
	.dom_size = fail_dom_size,
	.store_size = fail_store_size,
};
