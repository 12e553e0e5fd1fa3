/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * backend_mem.c - a backend for tests whose store is not a directory
 * (like a server's): "mem:NAME" is a store kept in this process's memory
 * under NAME, with its settings text and its change counter, and no
 * domains.  It shows that a store without VUDB_CAP_DIR opens, takes
 * settings and moves its generation through the door (store.c) alone, as
 * the PostgreSQL backend will: no directory is made, no vudb.conf or
 * generation file is touched.  Two handles of one process on the same NAME
 * share the store, as two hosts share a server.  Nothing else should use
 * it.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "vudb_backend.h"

struct mem_store {
	struct mem_store	*next;
	char			*name;
	char			*conf;		/* settings text, or NULL */
	long long		 stamp;		/* moves with conf */
	unsigned long long	 gen;		/* the change counter */
};

/* Every store of the process; they live until it exits. */
static struct mem_store *stores;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* mem_store_open - the store named path; VUDB_CREATE makes it */
static int
mem_store_open(struct vudb_bectx *ctx, const char *path, int flags,
    void **st_r)
{
	struct mem_store *ms;
	int rc = VUDB_OK;

	*st_r = NULL;
	pthread_mutex_lock(&lock);
	for (ms = stores; ms != NULL; ms = ms->next)
		if (strcmp(ms->name, path) == 0)
			break;
	if (ms == NULL && !(flags & VUDB_CREATE))
		rc = vudb__ctx_seterr(ctx, VUDB_ENOSTORE, "mem:%s: no store "
		    "here (vudbadm init makes one)", path);
	else if (ms == NULL) {
		if ((ms = calloc(1, sizeof(*ms))) == NULL ||
		    (ms->name = strdup(path)) == NULL) {
			free(ms);
			ms = NULL;
			rc = VUDB_ENOMEM;
		} else {
			ms->next = stores;
			stores = ms;
		}
	}
	pthread_mutex_unlock(&lock);
	*st_r = ms;
	return rc;
}

static void
mem_store_close(struct vudb_bectx *ctx, void *st)
{
	(void)ctx;
	(void)st;		/* the store outlives its handles */
}

static int
mem_dom_open(struct vudb_bectx *ctx, void *st, const char *domain,
    int flags, void **h_r)
{
	(void)st;
	(void)flags;
	*h_r = NULL;
	return vudb__ctx_seterr(ctx, VUDB_ENOTSUP, "mem: %s: this store "
	    "keeps no domains", domain);
}

static void
mem_dom_close(struct vudb_bectx *ctx, void *st, void *h)
{
	(void)ctx;
	(void)st;
	(void)h;
}

static int
mem_dom_list(struct vudb_bectx *ctx, void *st, vudb_name_cb cb, void *arg)
{
	(void)ctx;
	(void)st;
	(void)cb;
	(void)arg;
	return VUDB_OK;		/* none */
}

/* mem_conf_read - the settings text and its stamp */
static int
mem_conf_read(struct vudb_bectx *ctx, void *st, char **text_r,
    long long *stamp_r)
{
	struct mem_store *ms = st;
	int rc = VUDB_OK;

	(void)ctx;
	pthread_mutex_lock(&lock);
	*stamp_r = ms->stamp;
	if (ms->conf == NULL)
		rc = VUDB_ENOTFOUND;
	else if (text_r != NULL && (*text_r = strdup(ms->conf)) == NULL)
		rc = VUDB_ENOMEM;
	pthread_mutex_unlock(&lock);
	return rc;
}

/* mem_conf_edit - the settings text replaced by what edit makes of it */
static int
mem_conf_edit(struct vudb_bectx *ctx, void *st, vudb_text_cb edit,
    void *arg)
{
	struct mem_store *ms = st;
	char *text;
	int rc;

	(void)ctx;
	pthread_mutex_lock(&lock);
	if ((rc = edit(arg, ms->conf, &text)) == VUDB_OK) {
		free(ms->conf);
		ms->conf = text;
		ms->stamp++;
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

static int
mem_changes(struct vudb_bectx *ctx, void *st, unsigned long long *gen_r)
{
	struct mem_store *ms = st;

	(void)ctx;
	*gen_r = __atomic_load_n(&ms->gen, __ATOMIC_ACQUIRE);
	return VUDB_OK;
}

static void
mem_changed(struct vudb_bectx *ctx, void *st)
{
	struct mem_store *ms = st;

	(void)ctx;
	__atomic_add_fetch(&ms->gen, 1, __ATOMIC_ACQ_REL);
}

const struct vudb_backend vudb__backend_mem = {
	.abi = VUDB_BACKEND_ABI,
	.name = "mem",
	.caps = VUDB_CAP_WRITE,
	.store_open = mem_store_open,
	.store_close = mem_store_close,
	.dom_open = mem_dom_open,
	.dom_close = mem_dom_close,
	.dom_list = mem_dom_list,
	.changes = mem_changes,
	.changed = mem_changed,
	.conf_read = mem_conf_read,
	.conf_edit = mem_conf_edit,
};
