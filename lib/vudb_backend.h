/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * vudb_backend.h - the storage backend interface (private until the ABI
 * freezes).  A backend is a plain key -> bytes store with one isolated
 * database per domain (a file, or a schema of a server) and transactions
 * across one domain.  It knows nothing of names, records or lookup
 * semantics: the core validates arguments, normalizes names and encodes
 * records before a backend sees them.  The core reaches a backend only
 * through store.c (the one door), which turns a NULL method into
 * VUDB_ENOTSUP or its documented default, checks every record read, and
 * makes every status one of vudb.h's.
 *
 * A backend sees the core only through the context it is handed, struct
 * vudb_bectx, and the vudb__ctx_* calls below: where a failure's detail
 * and log lines go, and the store-wide settings it may read.  It never
 * includes vudb_private.h.  Its own objects (a store, an open domain
 * database, a transaction) are opaque pointers to the core.
 *
 * Methods return VUDB_OK, VUDB_ENOTFOUND or a failure code, with detail set
 * through vudb__ctx_seterr(); a native error is translated in one place per
 * backend.  New methods are only appended, and every change bumps
 * VUDB_BACKEND_ABI.
 *
 * The backend alone knows where and how its data lives: the files of its
 * domains (probe, dom_list, dom_size, store_size), how its engine is sized
 * (setting_note), what a lost connection or a dead process means (alive,
 * reopen, check).  A server backend (PostgreSQL) fits the same contract:
 * store_open connects (a failure is VUDB_ETEMP), alive says whether the
 * connection is usable and reopen connects again, dom_open maps a domain
 * to its own schema, changes/changed (ABI 5) keep the change counter
 * in the server, where the long-lived readers of every host can see it,
 * conf_read/conf_edit (ABI 6) keep the settings text there too, and
 * audit_append/audit_read (ABI 7) the audit log's lines, and host_page
 * (ABI 8) names the page of this host that keeps the answer cache exact
 * between the notifications of the server.  The
 * core makes no directory step for a backend without VUDB_CAP_DIR: what a
 * directory store has (STORE itself, vudb.conf, generation) is files.c's,
 * used by the door only for VUDB_CAP_DIR backends.
 */
#ifndef VUDB_BACKEND_H
#define VUDB_BACKEND_H

#include <stddef.h>

#include "vudb.h"

/* The core's side of every backend call (opaque to backends). */
struct vudb_bectx;

#define VUDB_BACKEND_ABI	8

#define VUDB_CAP_WRITE		0x1
#define VUDB_CAP_TXN		0x2
/* the location of the store URL is a directory of this host (a relative
 * one is made absolute for daemons that change directory) */
#define VUDB_CAP_DIR		0x4

#define VUDB_PUT_NEW		0x1

/* The longest canonical domain name a backend is given (RFC 5321). */
#define VUDB_BE_DOMAIN_MAX	253
/* The longest detail vudb__ctx_seterr keeps, NUL included. */
#define VUDB_BE_ERRMAX		1024

/* A growable byte buffer owned by the caller; a backend's get fills it. */
struct vudb_buf {
	unsigned char	*data;
	size_t		 len;
	size_t		 cap;
};

typedef int (*vudb_iter_cb)(void *arg, const void *key, size_t klen,
    const void *val, size_t vlen);
typedef int (*vudb_name_cb)(void *arg, const char *domain);
/* conf_edit's editor: the new settings text (malloc'd) from the old one
 * (NULL when the store has none yet); VUDB_OK or a failure. */
typedef int (*vudb_text_cb)(void *arg, const char *old, char **new_r);
/* audit_read's reader: one line (no newline); VUDB_OK to go on. */
typedef int (*vudb_line_cb)(void *arg, const char *line);

struct vudb_backend {
	unsigned int	 abi;		/* first member, always */
	const char	*name;		/* URL scheme: "bdb" */
	unsigned int	 caps;
	/* Store: open (VUDB_CREATE: make what is missing) and close.  path
	 * is the location of the store URL (after "scheme:"). */
	int	(*store_open)(struct vudb_bectx *, const char *path,
		    int flags, void **st_r);
	void	(*store_close)(struct vudb_bectx *, void *st);
	/* Domain databases: open (VUDB_CREATE creates; VUDB_ENOTFOUND if
	 * missing), close, remove (VUDB_ETEMP while another process uses
	 * it), list (calls cb with each domain name, in no order). */
	int	(*dom_open)(struct vudb_bectx *, void *st,
		    const char *domain, int flags, void **h_r);
	void	(*dom_close)(struct vudb_bectx *, void *st, void *h);
	int	(*dom_remove)(struct vudb_bectx *, void *st,
		    const char *domain);
	int	(*dom_list)(struct vudb_bectx *, void *st, vudb_name_cb cb,
		    void *arg);
	/* Records; txn NULL reads the last committed state without
	 * waiting for writers. */
	int	(*get)(struct vudb_bectx *, void *h, void *txn,
		    const void *key, size_t klen, struct vudb_buf *val);
	/* VUDB_PUT_NEW: VUDB_EEXIST if the key exists, nothing written */
	int	(*put)(struct vudb_bectx *, void *h, void *txn,
		    const void *key, size_t klen, const void *val, size_t vlen,
		    int flags);
	int	(*del)(struct vudb_bectx *, void *h, void *txn,
		    const void *key, size_t klen);
	/* Every record whose key starts with prefix, in key order; a
	 * non-zero return of cb stops and is returned. */
	int	(*iter)(struct vudb_bectx *, void *h, void *txn,
		    const void *prefix, size_t plen, vudb_iter_cb cb,
		    void *arg);
	/* Transactions (one domain at a time). */
	int	(*begin)(struct vudb_bectx *, void *st, void **txn_r);
	int	(*commit)(struct vudb_bectx *, void *st, void *txn);
	void	(*abort)(struct vudb_bectx *, void *st, void *txn);
	/* Structural check of one domain database. */
	int	(*verify)(struct vudb_bectx *, void *st, const char *domain);
	/* Whether the store is usable; if not, the core closes its domain
	 * databases and calls reopen (both may be NULL).  A server
	 * backend's lost connection is such a loss. */
	int	(*alive)(struct vudb_bectx *, void *st);
	int	(*reopen)(struct vudb_bectx *, void *st);
	/* ABI 2.  A new domain built out of sight of other processes and
	 * published whole (both may be NULL: the core then creates the
	 * domain with dom_open).  build_begin gives a database handle and
	 * a transaction for get/put/del/iter (VUDB_EEXIST if the domain
	 * exists); build_end publishes it (commit set) or throws it away,
	 * and closes the handle either way.  Under VUDB_BULK publication
	 * may wait for sync; a later dom_open of the domain publishes. */
	int	(*build_begin)(struct vudb_bectx *, void *st,
		    const char *domain, void **h_r, void **txn_r);
	int	(*build_end)(struct vudb_bectx *, void *st, void *txn,
		    int commit);
	/* VUDB_BULK: make every commit durable and every build visible
	 * (NULL: nothing to do). */
	int	(*sync)(struct vudb_bectx *, void *st);
	/* descriptors one open domain database holds (0 means 1), and
	 * in a handle opened VUDB_RDONLY (0: as fds_per_domain) */
	unsigned int	 fds_per_domain;
	unsigned int	 fds_per_domain_ro;
	/* ABI 3.  Look for processes that died with the store open and
	 * release what they held: VUDB_OK, or VUDB_ETEMP when one died
	 * holding what cannot be released and the store is lost (alive
	 * then says so, and reopen recovers it).  NULL: nothing to do. */
	int	(*check)(struct vudb_bectx *, void *st);
	/* ABI 4.  What is around the place of a key that get did not find:
	 * cb exactly twice, with the last entry before key and then the
	 * first after it (key NULL where there is none), so that the core
	 * can tell a damaged page from a key that is not there.  Returns
	 * VUDB_OK or a failure.  NULL: the backend finds damaged pages
	 * itself (Berkeley DB's page checksums). */
	int	(*near)(struct vudb_bectx *, void *h, void *txn,
		    const void *key, size_t klen, vudb_iter_cb cb, void *arg);
	/* ABI 5.  What only the backend knows of its place.
	 * probe: whether the directory path (a store URL without a scheme
	 * whose vudb.conf names no backend) holds this backend's domains:
	 * 1 or 0.  NULL: never.  No context: it runs before a store is
	 * open. */
	int	(*probe)(const char *path);
	/* dom_size, store_size: the bytes a domain's database and the
	 * whole store take (files, or a server's relations), for
	 * vudbadm stats.  NULL: VUDB_ENOTSUP. */
	int	(*dom_size)(struct vudb_bectx *, void *st,
		    const char *domain, unsigned long long *bytes_r);
	int	(*store_size)(struct vudb_bectx *, void *st,
		    unsigned long long *bytes_r);
	/* setting_note: what a change of the store setting name needs
	 * before the engine obeys it (a static sentence), or NULL when it
	 * takes effect by itself.  NULL method: every setting does. */
	const char *(*setting_note)(const char *name);
	/* changes, changed: the store's change counter, which long-lived
	 * readers compare at the start of every call (so changes must be
	 * cheap: a counter kept current by notifications, not a query);
	 * changed is called by a writer after it changed a domain record
	 * or a setting.  NULL: the core keeps the counter in the shared
	 * file STORE/generation, which serves every backend whose store is
	 * a directory on this host. */
	int	(*changes)(struct vudb_bectx *, void *st,
		    unsigned long long *gen_r);
	void	(*changed)(struct vudb_bectx *, void *st);
	/* ABI 6.  Where the store keeps its settings, for a store that is
	 * not a directory of this host (a server's table).  The core parses
	 * and checks them (settings.c); the backend keeps their text, in
	 * vudb.conf(5)'s form.  Both are called only on an open store; a
	 * server backend's store_open runs with the default settings.
	 * conf_read: the text (*text_r, malloc'd; text_r may be NULL to ask
	 * only for the stamp) and a stamp that changes whenever the text
	 * does (0: unknown); VUDB_ENOTFOUND when the store has none yet.
	 * conf_edit: replace the text with what edit makes of it, one
	 * writer at a time, atomically and durably.
	 * NULL: a VUDB_CAP_DIR backend keeps them in the file
	 * STORE/vudb.conf (files.c); any other has none (VUDB_ENOTSUP). */
	int	(*conf_read)(struct vudb_bectx *, void *st, char **text_r,
		    long long *stamp_r);
	int	(*conf_edit)(struct vudb_bectx *, void *st, vudb_text_cb edit,
		    void *arg);
	/* ABI 7.  Where the store keeps its audit log, for a store that is
	 * not a directory of this host.  The core formats the lines
	 * (audit.c) and calls audit_append once the change a line records
	 * is committed (inside a batch only for a setting's line, which
	 * then commits with the batch); a failure costs the line, never
	 * the change.  audit_read gives cb every line kept, oldest first.
	 * NULL: a VUDB_CAP_DIR backend keeps them in STORE/audit.log
	 * (audit.c); any other keeps none. */
	int	(*audit_append)(struct vudb_bectx *, void *st, const char *line,
		    size_t len);
	int	(*audit_read)(struct vudb_bectx *, void *st, vudb_line_cb cb,
		    void *arg);
	/* ABI 8.  The per-domain counters of the answer cache (cache.c),
	 * for a backend that keeps its change counter (changes).  It tells
	 * the core of every change of a domain's records made by another
	 * process (vudb__ctx_slot_moved, at the latest in the changes call
	 * after the change is visible to this store handle), and names
	 * here a page shared by the processes of this host that use the
	 * store (name, at most len bytes with its NUL: [A-Za-z0-9._-],
	 * the same for every connection to the store, a standby's too),
	 * which the core maps and which this host's writers advance before
	 * a change is acknowledged, so that readers here never answer from
	 * before it.  VUDB_ENOTSUP: the store tells of no domain's changes,
	 * and its readers keep no answers.  NULL: the same, unless the
	 * backend keeps no counter itself (STORE/generation holds both). */
	int	(*host_page)(struct vudb_bectx *, void *st, char *name,
		    size_t len);
};

/*
 * What a backend may ask of the core (store.c).  vudb__ctx_seterr records
 * a failure's detail and returns rc; vudb__ctx_errmsg is the detail
 * recorded last (borrowed, valid until the next call on the context);
 * vudb__ctx_log passes a line to the program's log hook; vudb__ctx_setting
 * is the value in force of a store setting (vudb.conf(5)) by name, NULL
 * for an unknown name, and vudb__ctx_setting_u64 the same as a number (0
 * if it is none).
 */
int	 vudb__ctx_seterr(struct vudb_bectx *, int rc, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
const char *vudb__ctx_errmsg(const struct vudb_bectx *);
void	 vudb__ctx_log(struct vudb_bectx *, int prio, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
const char *vudb__ctx_setting(const struct vudb_bectx *, const char *name);
unsigned long long vudb__ctx_setting_u64(const struct vudb_bectx *,
	    const char *name);
/* The answer cache's slot of a canonical domain name (the same in every
 * process), and a slot whose domains' records another process changed:
 * answers kept from them are answered no more (ABI 8's host_page). */
#define VUDB_BE_SLOTS		504	/* vudb__ctx_slot is below it */
int	 vudb__ctx_slot(const char *domain);
void	 vudb__ctx_slot_moved(struct vudb_bectx *, int slot);

/* files.c: for backends that keep one file per domain in STORE/domains
 * (suffix ".db", ".mdb"): the domains of the files there (VUDB_ETEMP if
 * the directory cannot be read), whether any is there, and the bytes of
 * one domain's file (VUDB_ENOTFOUND if it has none) and of the store's
 * files (those of STORE and of STORE/domains). */
int	 vudb__files_list(struct vudb_bectx *, const char *root,
	    const char *suffix, vudb_name_cb cb, void *arg);
int	 vudb__files_probe(const char *root, const char *suffix);
int	 vudb__files_dom_size(struct vudb_bectx *, const char *root,
	    const char *domain, const char *suffix,
	    unsigned long long *bytes_r);
int	 vudb__files_store_size(struct vudb_bectx *, const char *root,
	    unsigned long long *bytes_r);
/* The directory steps every VUDB_CAP_DIR store shares (the core makes
 * them; a backend need not): the store directory made (VUDB_CREATE) or
 * found (VUDB_ENOSTORE if it holds no store); the settings file
 * STORE/vudb.conf read and edited (the conf_read/conf_edit contract); the
 * change counter STORE/generation mapped (NULL: it cannot be, and every
 * call then re-reads), with the file's identity (device, inode: what
 * handles of one store in a process share), and let go. */
int	 vudb__files_place(struct vudb_bectx *, const char *root, int flags);
int	 vudb__files_conf_read(struct vudb_bectx *, const char *root,
	    char **text_r, long long *stamp_r);
int	 vudb__files_conf_edit(struct vudb_bectx *, const char *root,
	    vudb_text_cb edit, void *arg);
void	*vudb__files_gen_map(struct vudb_bectx *, const char *root,
	    int writer, size_t *len_r, unsigned long long id_r[2]);
/* The same page for a store that is not a directory: a shared memory
 * object of this host by the name a backend's host_page gives. */
void	*vudb__files_host_map(struct vudb_bectx *, const char *name,
	    int writer, size_t *len_r, unsigned long long id_r[2],
	    int *writable_r);
void	 vudb__files_gen_unmap(void *, size_t len);

/* backend.c: the registry */
const struct vudb_backend *vudb__backend_find(const char *name, size_t len,
	    int *compiled_r);
const struct vudb_backend *vudb__backend_default(void);
int	 vudb__backend_named(struct vudb_bectx *, const char *name,
	    const struct vudb_backend **be_r);
const struct vudb_backend *vudb__backend_probe(const char *path);

int	vudb__buf_reserve(struct vudb_buf *, size_t);

#endif /* VUDB_BACKEND_H */
