/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * vudb_backend.h - the storage backend interface (private until the ABI
 * freezes).  A backend is a plain key -> bytes store with one database per
 * domain and transactions across one domain.  It knows nothing of names,
 * records or lookup semantics: the core validates arguments, normalizes
 * names and encodes records before a backend sees them, and turns a NULL
 * method into VUDB_ENOTSUP.  Methods return VUDB_OK, VUDB_ENOTFOUND or a
 * failure code, with detail set through vudb__seterr(); a native error is
 * translated in one place per backend.  New methods are only appended, and
 * every change bumps VUDB_BACKEND_ABI.
 */
#ifndef VUDB_BACKEND_H
#define VUDB_BACKEND_H

#include <stddef.h>

struct vudb;

#define VUDB_BACKEND_ABI	4

#define VUDB_CAP_WRITE		0x1
#define VUDB_CAP_TXN		0x2

#define VUDB_PUT_NEW		0x1

/* A growable byte buffer owned by the caller; a backend's get fills it. */
struct vudb_buf {
	unsigned char	*data;
	size_t		 len;
	size_t		 cap;
};

typedef int (*vudb_iter_cb)(void *arg, const void *key, size_t klen,
    const void *val, size_t vlen);

struct vudb_backend {
	unsigned int	 abi;		/* first member, always */
	const char	*name;		/* URL scheme: "bdb" */
	unsigned int	 caps;
	/* Store: open (VUDB_CREATE: make what is missing) and close. */
	int	(*store_open)(struct vudb *, const char *path, int flags,
		    void **st_r);
	void	(*store_close)(struct vudb *, void *st);
	/* Domain databases: open (VUDB_CREATE creates; VUDB_ENOTFOUND if
	 * missing), close, remove (VUDB_ETEMP while another process uses
	 * it), list (calls cb with each domain name, in no order). */
	int	(*dom_open)(struct vudb *, void *st, const char *domain,
		    int flags, void **h_r);
	void	(*dom_close)(struct vudb *, void *st, void *h);
	int	(*dom_remove)(struct vudb *, void *st, const char *domain);
	int	(*dom_list)(struct vudb *, void *st,
		    int (*cb)(void *arg, const char *domain), void *arg);
	/* Records; txn NULL reads the last committed state without
	 * waiting for writers. */
	int	(*get)(struct vudb *, void *h, void *txn, const void *key,
		    size_t klen, struct vudb_buf *val);
	/* VUDB_PUT_NEW: VUDB_EEXIST if the key exists, nothing written */
	int	(*put)(struct vudb *, void *h, void *txn, const void *key,
		    size_t klen, const void *val, size_t vlen, int flags);
	int	(*del)(struct vudb *, void *h, void *txn, const void *key,
		    size_t klen);
	/* Every record whose key starts with prefix, in key order; a
	 * non-zero return of cb stops and is returned. */
	int	(*iter)(struct vudb *, void *h, void *txn, const void *prefix,
		    size_t plen, vudb_iter_cb cb, void *arg);
	/* Transactions (one domain at a time). */
	int	(*begin)(struct vudb *, void *st, void **txn_r);
	int	(*commit)(struct vudb *, void *st, void *txn);
	void	(*abort)(struct vudb *, void *st, void *txn);
	/* Structural check of one domain database. */
	int	(*verify)(struct vudb *, void *st, const char *domain);
	/* Whether the store is usable; if not, the core closes its domain
	 * databases and calls reopen (both may be NULL). */
	int	(*alive)(struct vudb *, void *st);
	int	(*reopen)(struct vudb *, void *st);
	/* ABI 2.  A new domain built out of sight of other processes and
	 * published whole (both may be NULL: the core then creates the
	 * domain with dom_open).  build_begin gives a database handle and
	 * a transaction for get/put/del/iter (VUDB_EEXIST if the domain
	 * exists); build_end publishes it (commit set) or throws it away,
	 * and closes the handle either way.  Under VUDB_BULK publication
	 * may wait for sync; a later dom_open of the domain publishes. */
	int	(*build_begin)(struct vudb *, void *st, const char *domain,
		    void **h_r, void **txn_r);
	int	(*build_end)(struct vudb *, void *st, void *txn, int commit);
	/* VUDB_BULK: make every commit durable and every build visible
	 * (NULL: nothing to do). */
	int	(*sync)(struct vudb *, void *st);
	/* descriptors one open domain database holds (0 means 1) */
	unsigned int	 fds_per_domain;
	/* ABI 3.  Look for processes that died with the store open and
	 * release what they held: VUDB_OK, or VUDB_ETEMP when one died
	 * holding what cannot be released and the store is lost (alive
	 * then says so, and reopen recovers it).  NULL: nothing to do. */
	int	(*check)(struct vudb *, void *st);
	/* ABI 4.  What is around the place of a key that get did not find:
	 * cb exactly twice, with the last entry before key and then the
	 * first after it (key NULL where there is none), so that the core
	 * can tell a damaged page from a key that is not there.  Returns
	 * VUDB_OK or a failure.  NULL: the backend finds damaged pages
	 * itself (Berkeley DB's page checksums). */
	int	(*near)(struct vudb *, void *h, void *txn, const void *key,
		    size_t klen, vudb_iter_cb cb, void *arg);
};

#ifdef WITH_BDB
extern const struct vudb_backend vudb__backend_bdb;
#endif
#ifdef WITH_LMDB
extern const struct vudb_backend vudb__backend_lmdb;
#endif
extern const struct vudb_backend vudb__backend_fail;

/* backend.c */
const struct vudb_backend *vudb__backend_find(const char *name, size_t len,
	    int *compiled_r);
const struct vudb_backend *vudb__backend_default(void);
const struct vudb_backend *vudb__backend_named(struct vudb *,
	    const char *name);

int	vudb__buf_reserve(struct vudb_buf *, size_t);

#endif /* VUDB_BACKEND_H */
