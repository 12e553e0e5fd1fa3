/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * vudb_private.h - internal structures and vudb__* helpers shared by the
 * library's files.  Never installed; tests may include it.
 *
 * The rooms of lib/, from the top down; a file calls only files below it
 * (and the leaves), never one above (lib/README says the same):
 *   vudb.c       the store handle: URLs, backend choice, open, close,
 *                the public settings calls, store and domain sizes
 *   lookup.c     vudb_lookup: Postfix's maps and search order
 *   auth.c       logins and passwords: vudb_auth, vudb_authorize, hashing
 *                with the scheme in force, the equal cost of a failure
 *   rename.c     vudb_rename: entries and domains under new names
 *   copy.c       vudb_convert: a store copied to another backend
 *   verify.c     vudb_verify: every record and file checked
 *   useradd.c    vudb_add_user: a user and its hashed password, one change
 *   grant.c      vudb_grant, vudb_revoke: send-as grants in one transaction
 *   change.c     vudb_add, vudb_update, vudb_del: what a change checks
 *                and what follows from it
 *   list.c       vudb_list and its iterator
 *   obj.c        objects: stored and effective attributes, vudb_get;
 *                effective.c names the values in force (same order)
 *   txn.c        transactions (retried) and batches (vudb_begin ...)
 *   write.c      the pieces of a change: records, attributes, time
 *                stamps, counts and limits, hash schemes in use
 *   keys.c       entry names and database keys; pre-folding key forms
 *   current.c    keeping a handle current: generation, lost-store reopen
 *   cache.c      the answer cache of long-lived readers (VUDB_CACHE) and
 *                the per-domain change counters that keep it exact
 *   domcache.c   the cache of open domain databases and domain records
 *   settings.c   STORE/vudb.conf: names, kinds, defaults, read, write
 *   store.c      the one door to storage: every backend call, checked
 *                reads, one translation of statuses, the backend context
 *   backend.c    the registry of backends
 *   backend_*.c  the backends (bdb, lmdb; fail for tests), through
 *                vudb_backend.h only; files.c is what file backends share
 *   record.c     record encoding, attribute tables, value rules
 *   name.c       name rules: domains (IDNA), local parts (folding)
 *   password.c   hashing and verifying passwords (SHA, base64: nettle)
 *   error.c      status strings, per-handle messages, the log hook
 *   audit.c      the audit log: a line per committed change, its reader
 */
#ifndef VUDB_PRIVATE_H
#define VUDB_PRIVATE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "vudb.h"

/* Name limits (RFC 5321 4.5.3.1). */
#define VUDB__LOCAL_MAX		64
#define VUDB__DOMAIN_MAX	253
#define VUDB__ADDR_MAX		(VUDB__LOCAL_MAX + 1 + VUDB__DOMAIN_MAX)

/* name.c: name rules.  Each returns NULL when the name is valid and was
 * written, NUL-terminated, to out; else a static reason and out is
 * undefined.  in need not be NUL-terminated. */
const char	*vudb__domain_norm(const char *in, size_t len,
		    char out[VUDB__DOMAIN_MAX + 1]);
const char	*vudb__local_norm(const char *in, size_t len,
		    char out[VUDB__LOCAL_MAX + 1]);
/* The local-part rule of stores written before local parts were folded
 * (ASCII letters lower-cased, UTF-8 kept as given): the key form that
 * lookups try when the folded key is not found. */
const char	*vudb__local_legacy(const char *in, size_t len,
		    char out[VUDB__LOCAL_MAX + 1]);
/* The reason the name functions give when memory ran out: a temporary
 * failure, never an invalid name. */
extern const char vudb__name_nomem[];

/* password.c: hashing and verification. */
struct vudb__pwparams {
	unsigned int	 argon2_memory;		/* KiB */
	unsigned int	 argon2_time;		/* passes */
	unsigned int	 argon2_threads;	/* lanes */
	unsigned int	 blf_cost;		/* log2 rounds, 4..31 */
	unsigned int	 sha_rounds;		/* SHA*-CRYPT rounds */
};
void	 vudb__pwparams_default(struct vudb__pwparams *);
int	 vudb__pw_hash(const struct vudb__pwparams *, const char *scheme,
	    const char *password, char **hash_r);
int	 vudb__pw_verify(const char *hash, const char *password);
void	 vudb__pw_dummy(const struct vudb__pwparams *, const char *scheme,
	    const char *password);
int	 vudb__pw_scheme_valid(const char *scheme);
int	 vudb__pw_usable(const char *hash, int *clear_r);
int	 vudb__ct_equal(const void *, const void *, size_t);
void	 vudb__wipe(void *, size_t);
void	 vudb__free_secret(char *);

/* password.c: base64 (RFC 4648, canonical form only: padded, no white
 * space, zero bits beyond the last byte) and hex of either case, through
 * nettle, for the encodings of stored hashes.  Both return 0, or -1 for
 * bad input or when outsz is too small; they do not NUL-terminate. */
int	 vudb__b64_decode(const char *, size_t, unsigned char *out,
	    size_t outsz, size_t *outlen_r);
int	 vudb__hex_decode(const char *, size_t, unsigned char *out,
	    size_t outsz, size_t *outlen_r);

/* ------------------------------------------------------------ records */
/*
 * A record is a list of (tag, value) fields.  On disk (record.c):
 *   'V' VERSION TYPE { tag:varint len:varint value[len] } ... CRC32C
 * The checksum (version 2; records of version 1 have none and are still
 * read) covers the record's key and every byte before it, and is checked
 * on every read by vudb__store_get() and vudb__store_iter().
 * Tags are per record type; fields with tags this version does not know
 * are kept as they are, so an older writer's rewrite preserves a newer
 * writer's fields.
 */
#define VUDB__REC_MAGIC		0x56	/* 'V' */
#define VUDB__REC_VERSION	2
#define VUDB__REC_NOSUM		1	/* vudb__rec_check: version 1 */
#define VUDB__REC_BAD		2	/* vudb__rec_check: no record */
#define VUDB__REC_MAXF		48
#define VUDB__REC_MAXLEN	65536
#define VUDB__REC_COUNTERS	6	/* internal: per-domain counters */

struct vudb__field {
	unsigned int	 tag;
	size_t		 len;
	char		*val;		/* NUL-terminated copy */
};

struct vudb__rec {
	int			 type;
	size_t			 n;
	struct vudb__field	 f[VUDB__REC_MAXF];
};

/* Kinds of attribute value; they say how a value is checked. */
enum vudb__kind {
	VUDB__K_TEXT, VUDB__K_BOOL, VUDB__K_ID, VUDB__K_COUNT, VUDB__K_SIZE,
	VUDB__K_SERVICES, VUDB__K_PATH, VUDB__K_RELPATH, VUDB__K_ADDRLIST,
	VUDB__K_DEST, VUDB__K_SCHEME, VUDB__K_DELIM, VUDB__K_DOMAIN,
	VUDB__K_HASH, VUDB__K_KIND, VUDB__K_TIME
};
#define VUDB__A_RDONLY	0x1	/* set by the library only */
#define VUDB__A_SECRET	0x2	/* never logged */
#define VUDB__A_HIDDEN	0x4	/* internal, not listed */

struct vudb__attr {
	const char	*name;
	unsigned int	 tag;
	enum vudb__kind	 kind;
	unsigned int	 flags;
};

/* Domain tags. */
#define VUDB__D_KIND		1
#define VUDB__D_TARGET		2
#define VUDB__D_ENABLED		3
#define VUDB__D_DESCRIPTION	4
#define VUDB__D_UID		5
#define VUDB__D_GID		6
#define VUDB__D_QUOTA_BYTES	7
#define VUDB__D_QUOTA_MESSAGES	8
#define VUDB__D_SERVICES	9
#define VUDB__D_DELIM		10
#define VUDB__D_SCHEME		11
#define VUDB__D_MAX_USERS	12
#define VUDB__D_MAX_ALIASES	13
#define VUDB__D_CATCHALL	14
#define VUDB__D_CREATED		15
#define VUDB__D_UPDATED		16
#define VUDB__D_DELETED		100
/* User tags. */
#define VUDB__U_PASSWORD	1
#define VUDB__U_ENABLED		2
#define VUDB__U_RECEIVE		3
#define VUDB__U_SERVICES	4
#define VUDB__U_QUOTA_BYTES	5
#define VUDB__U_QUOTA_MESSAGES	6
#define VUDB__U_UID		7
#define VUDB__U_GID		8
#define VUDB__U_HOME		9
#define VUDB__U_MAILDIR		10
#define VUDB__U_NAME		11
#define VUDB__U_CREATED		12
#define VUDB__U_UPDATED		13
/* Alias, relocated and sender tags. */
#define VUDB__L_VALUE		1	/* dest / logins */
#define VUDB__L_CREATED		2
#define VUDB__L_UPDATED		3
/* Counter tags. */
#define VUDB__C_USERS		1
#define VUDB__C_ALIASES		2
#define VUDB__C_SCHEMES		3	/* hash schemes in use: "A,B" */

/* Services (bit per name, in this order). */
#define VUDB__SVC_ALL		0x1f
unsigned int	 vudb__services_parse(const char *, int *ok_r);

const struct vudb__attr	*vudb__attrs(int type, size_t *n_r);
const struct vudb__attr	*vudb__attr_byname(int type, const char *name);
const struct vudb__attr	*vudb__attr_bytag(int type, unsigned int tag);

int	 vudb__rec_decode(const void *buf, size_t len, int type,
	    struct vudb__rec *rec);
int	 vudb__rec_scan(const void *buf, size_t len, int type,
	    const char **vals, size_t *lens, unsigned int maxtag);
int	 vudb__rec_encode(const struct vudb__rec *rec, unsigned char **buf_r,
	    size_t *len_r);
void	 vudb__rec_seal(unsigned char *buf, size_t len, const void *key,
	    size_t klen);
int	 vudb__rec_check(const void *key, size_t klen, const void *val,
	    size_t vlen);
int	 vudb__rec_upgrade(const void *key, size_t klen, const void *val,
	    size_t vlen, unsigned char **buf_r, size_t *len_r);
uint32_t vudb__crc32c(uint32_t crc, const void *, size_t);
void	 vudb__rec_init(struct vudb__rec *, int type);
void	 vudb__rec_clear(struct vudb__rec *);
const char *vudb__rec_get(const struct vudb__rec *, unsigned int tag);
int	 vudb__rec_set(struct vudb__rec *, unsigned int tag, const char *val);
int	 vudb__value_norm(enum vudb__kind, const char *in, char **out_r,
	    const char **why_r);
int	 vudb__parse_u64(const char *, unsigned long long max,
	    unsigned long long *v_r);

/* ------------------------------------------------------------ handles */
#include "vudb_backend.h"

/* Store-wide settings, in vudb_setting_name() order (settings.c). */
enum {
	VUDB__S_MAIL_BASE, VUDB__S_UID, VUDB__S_GID, VUDB__S_SCHEME,
	VUDB__S_DELIM, VUDB__S_SERVICES, VUDB__S_QUOTA_BYTES,
	VUDB__S_QUOTA_MESSAGES, VUDB__S_ARGON2_MEMORY, VUDB__S_ARGON2_TIME,
	VUDB__S_ARGON2_THREADS, VUDB__S_BLF_COST, VUDB__S_SHA_ROUNDS,
	VUDB__S_CACHE_SIZE, VUDB__S_MAX_OPEN_DOMAINS, VUDB__S_AUDIT_MAX,
	VUDB__S_LOOKUP_CACHE_SIZE,
	VUDB__S_BACKEND,
	VUDB__S_COUNT
};

/* One open domain database, cached on the store handle (LRU). */
struct vudb__dom {
	/* What a lookup reads, together at the start (the first cache
	 * line and the name): a reader of 10,000 domains finds them out
	 * of the CPU's caches, a line at a time. */
	size_t			 hash;		/* of name */
	struct vudb__dom	*hnext;		/* hash chain */
	void			*h;		/* backend handle */
	uint64_t		 meta_gen;	/* db->gen when meta was read */
	int			 meta_state;	/* META_* */
	/* decoded from meta for the hot path */
	int			 enabled;
	int			 is_alias;
	int			 catchall;
	int			 used;		/* asked for since it last
						 * came to the LRU's tail */
	unsigned int		 namelen;
	char			 name[VUDB__DOMAIN_MAX + 1];
	struct vudb__dom	*prev, *next;	/* LRU, most recent first */
	struct vudb__rec	*meta;		/* the domain record: only its
						 * fields are allocated */
	const char		*target;	/* in meta */
	const char		*delim;		/* in meta, or NULL */
	/* writers: the keys of this domain in the pre-folding form, as
	 * "T" folded-local NUL old-key NUL ..., read once (keys.c) */
	char			*oldkeys;
	size_t			 oldkeys_len;
	int			 oldkeys_loaded;
};
#define VUDB__META_UNKNOWN	0
#define VUDB__META_OK		1
#define VUDB__META_NONE		2	/* no domain record: no such domain */

/* What a backend is handed (store.c): the handle, reached only through
 * the vudb__ctx_* calls. */
struct vudb_bectx {
	struct vudb		*db;
};

#define VUDB__EARLY	4

struct vudb {
	char			*root;		/* store directory */
	int			 flags;
	/* the backend: used by store.c only */
	const struct vudb_backend *be;
	void			*st;		/* backend store state */
	struct vudb_bectx	 ctx;
	char			*set[VUDB__S_COUNT];	/* NULL: default */
	struct vudb__pwparams	 pw;
	/* change generation, shared through STORE/generation */
	uint64_t		*genp;
	size_t			 genlen;
	uint64_t		 gen;
	uint64_t		 localgen;
	uint64_t		 sgen;		/* *genp as gen was taken */
	unsigned long long	 gen_id[2];	/* its file's dev, ino */
	/* a server store's page of this host (host_page): the writers
	 * here advance its first counter with the store's and the slots */
	uint64_t		*hostp;
	size_t			 hostlen;
	int			 host_rw;
	/* the answer cache (cache.c, VUDB_CACHE), shared by the handles of
	 * the store in the process; its epoch this handle last acted on;
	 * the domain slot a lookup under way noted */
	struct vudb__acache	*acache;
	uint64_t		 c_epoch;
	int			 c_slot;
	int			 c_nocache;
	uint64_t		 c_sval;
	long long		 conf_mtime;
	long long		 conf_checked;	/* second of the last look */
	/* domain handle cache */
	struct vudb__dom	**htab;
	size_t			 hsize;
	size_t			 ndoms;
	size_t			 maxdoms;
	struct vudb__dom	*lru_head, *lru_tail;
	/* the domain of the last lookup, by the key's bytes as given */
	struct vudb__dom	*last_dom;
	size_t			 last_rawlen;
	char			 last_raw[VUDB__DOMAIN_MAX + 1];
	/* scratch */
	struct vudb_buf		 buf;
	char			*setval;	/* vudb_setting_get result */
	/* open batch */
	void			*txn;
	struct vudb__dom	*txn_dom;
	int			 txn_build;	/* txn is a new domain's build */
	int			 txn_failed;
	/* the last transaction of vudb__txn_run failed at its commit: its
	 * outcome is not known, so the change is not made again */
	int			 commit_failed;
	int			 txn_gen;	/* batch changed domain meta */
	/* the batch's user and alias counts, written once at commit */
	int			 txn_cnt_loaded;
	int			 txn_cnt_dirty;
	unsigned long long	 txn_users;
	unsigned long long	 txn_aliases;
	/* audit lines of the open batch, written at its commit (audit.c) */
	char			**audit_q;
	size_t			 audit_n, audit_cap;
	unsigned long		 audit_more;	/* lines beyond the queue */
	int			 audit_quiet;	/* a call makes its own line */
	/* errors and log */
	int			 err;
	char			 errmsg[1024];
	void			(*logfn)(void *, int, const char *);
	void			*logarg;
	/* lines logged before there was a log function (during the
	 * open), passed to the first one set */
	char			*early[VUDB__EARLY];
	int			 early_prio[VUDB__EARLY];
};

/* error.c */
int	 vudb__seterr(struct vudb *, int rc, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
int	 vudb__vseterr(struct vudb *, int rc, const char *fmt, va_list);
void	 vudb__clearerr(struct vudb *);
void	 vudb__vlog(struct vudb *, int prio, const char *fmt, va_list);
void	 vudb__log(struct vudb *, int prio, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	 vudb__open_seterr(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/* settings.c */
#define VUDB__CONF_FILE		"vudb.conf"
const char *vudb__setting(const struct vudb *, int idx);
int	 vudb__setting_index(const char *name);
int	 vudb__setting_kind(int idx);	/* enum vudb__kind, or -1 */
int	 vudb__map_kind(const char *map);	/* enum vudb__kind, or -1 */
unsigned long long vudb__setting_u64(const struct vudb *, int idx);
int	 vudb__settings_load(struct vudb *, int strict);
int	 vudb__setting_write(struct vudb *, int idx, const char *value);
int	 vudb__conf_write(struct vudb *, const char *name, const char *value);
void	 vudb__pwparams_update(struct vudb *);

/* current.c */
void	 vudb__gen_map(struct vudb *);
void	 vudb__host_map(struct vudb *);
void	 vudb__gen_unmap(struct vudb *);
int	 vudb__refresh(struct vudb *);
int	 vudb__again(struct vudb *, int rc);
int	 vudb__again_write(struct vudb *, int rc);
void	 vudb__bump_gen(struct vudb *);

/* cache.c: the answer cache and the per-domain change counters, in the
 * shared page after the store's generation (uint64_t index SLOT0 on) */
#define VUDB__SLOT0		8
#define VUDB__SLOTS		VUDB_BE_SLOTS
#define VUDB__CACHE_AGE		60	/* seconds an entry is answered */
struct vudb__acache;
int	 vudb__slot(const char *domain);
void	 vudb__slot_bump(struct vudb *, const char *domain);
void	 vudb__lookup_dep(struct vudb *, const char *domain);
void	 vudb__cache_setup(struct vudb *);
void	 vudb__cache_free(struct vudb *);
void	 vudb__cache_flush(struct vudb *);
void	 vudb__cache_slot_moved(struct vudb *, int slot);
int	 vudb__cache_moved(struct vudb *);
int	 vudb__cache_get(struct vudb *, int map, const char *key, size_t len,
	    char **answer_r, int *rc_r);
void	 vudb__cache_put(struct vudb *, int map, const char *key, size_t len,
	    uint64_t gen, int rc, const char *answer);
void	 vudb__cache_stats(const struct vudb *, unsigned long long *hits,
	    unsigned long long *misses, size_t *bytes);

/* domcache.c */
void	 vudb__dom_budget(size_t max);
int	 vudb__dom_get(struct vudb *, const char *domain, int create,
	    struct vudb__dom **dom_r);
int	 vudb__dom_meta(struct vudb *, struct vudb__dom *);
int	 vudb__dom_build(struct vudb *, const char *domain,
	    struct vudb__dom **dom_r, void **txn_r);
void	 vudb__dom_unbuilt(struct vudb *, struct vudb__dom *);
int	 vudb__txn_finish(struct vudb *, int commit);
int	 vudb__dom_find(struct vudb *, const char *domain,
	    struct vudb__dom **dom_r);
int	 vudb__open_domain(struct vudb *, const char *domain,
	    struct vudb__dom **dom_r);
void	 vudb__dom_drop(struct vudb *, struct vudb__dom *);
/* the store's domain names, sorted */
struct vudb__names {
	char	**v;
	size_t	  n, cap;
};
int	 vudb__domain_names(struct vudb *, struct vudb__names *);
void	 vudb__names_free(struct vudb__names *);

/* store.c: the one door to storage.  Reads are checked (record
 * checksums, and what is around a key not found); _raw reads are not. */
int	 vudb__store_open(struct vudb *, const char *path, int flags);
void	 vudb__store_close(struct vudb *);
const char *vudb__store_name(const struct vudb *);
unsigned int vudb__store_fds(const struct vudb *);
int	 vudb__store_alive(struct vudb *);
int	 vudb__store_reopen(struct vudb *);
int	 vudb__store_check(struct vudb *);
int	 vudb__store_sync(struct vudb *);
int	 vudb__store_counts_changes(const struct vudb *);
int	 vudb__store_is_dir(const struct vudb *);
int	 vudb__store_place(struct vudb *, const char *path, int flags);
int	 vudb__store_conf_read(struct vudb *, char **text_r,
	    long long *stamp_r);
int	 vudb__store_conf_edit(struct vudb *, vudb_text_cb edit, void *arg);
int	 vudb__store_keeps_audit(const struct vudb *);
int	 vudb__store_audit_append(struct vudb *, const char *line, size_t len);
int	 vudb__store_audit_read(struct vudb *, vudb_line_cb cb, void *arg);
void	*vudb__store_gen_map(struct vudb *, size_t *len_r,
	    unsigned long long id_r[2]);
void	*vudb__store_host_map(struct vudb *, size_t *len_r,
	    unsigned long long id_r[2], int *writable_r);
void	 vudb__store_gen_unmap(void *, size_t len);
int	 vudb__store_changes(struct vudb *, unsigned long long *gen_r);
void	 vudb__store_changed(struct vudb *);
const char *vudb__store_note(const struct vudb *, const char *setting);
int	 vudb__store_dom_open(struct vudb *, const char *domain, int create,
	    void **h_r);
void	 vudb__store_dom_close(struct vudb *, void *h);
int	 vudb__store_dom_remove(struct vudb *, const char *domain);
int	 vudb__store_dom_list(struct vudb *, vudb_name_cb, void *arg);
int	 vudb__store_dom_size(struct vudb *, const char *domain,
	    unsigned long long *bytes_r);
int	 vudb__store_size(struct vudb *, unsigned long long *bytes_r);
int	 vudb__store_verify(struct vudb *, const char *domain);
int	 vudb__store_build_begin(struct vudb *, const char *domain,
	    void **h_r, void **txn_r);
int	 vudb__store_build_end(struct vudb *, void *txn, int commit);
int	 vudb__store_begin(struct vudb *, void **txn_r);
int	 vudb__store_commit(struct vudb *, void *txn);
void	 vudb__store_abort(struct vudb *, void *txn);
int	 vudb__store_get(struct vudb *, struct vudb__dom *, void *txn,
	    const void *key, size_t klen, struct vudb_buf *val);
int	 vudb__store_iter(struct vudb *, struct vudb__dom *, void *txn,
	    const void *prefix, size_t plen, vudb_iter_cb cb, void *arg);
int	 vudb__store_get_raw(struct vudb *, struct vudb__dom *,
	    const void *key, size_t klen, struct vudb_buf *val);
int	 vudb__store_iter_raw(struct vudb *, struct vudb__dom *,
	    vudb_iter_cb cb, void *arg);
int	 vudb__store_put(struct vudb *, struct vudb__dom *, void *txn,
	    const void *key, size_t klen, const void *val, size_t vlen,
	    int flags);
int	 vudb__store_del(struct vudb *, struct vudb__dom *, void *txn,
	    const void *key, size_t klen);

/* keys.c */
char	 vudb__type_prefix(int type);
int	 vudb__type_of_key(char c);
size_t	 vudb__key(int type, const char *local, size_t llen,
	    char key[VUDB__LOCAL_MAX + 2]);
const char *vudb__split_name(int type, const char *name,
	    char local[VUDB__LOCAL_MAX + 1], char domain[VUDB__DOMAIN_MAX + 1],
	    int *catchall_r);
int	 vudb__split(struct vudb *, int type, const char *name,
	    char local[VUDB__LOCAL_MAX + 1], char domain[VUDB__DOMAIN_MAX + 1],
	    int *catchall_r);
void	 vudb__entry_name(char *buf, size_t size, int type, const char *local,
	    const char *domain);
int	 vudb__oldform(const char *local, size_t len,
	    char folded[VUDB__LOCAL_MAX + 1]);
int	 vudb__legacy_local(const char *name, const char *local,
	    char out[VUDB__LOCAL_MAX + 1]);
int	 vudb__oldkeys_load(struct vudb *, struct vudb__dom *, void *txn);
int	 vudb__oldkey_taken(struct vudb *, struct vudb__dom *, void *txn,
	    int type, const char *local, char old[VUDB__LOCAL_MAX + 1]);

/* write.c */
struct vudb__recs {
	size_t		  n, cap;
	char		**keys;		/* NUL-terminated copies */
	size_t		 *klens;
	unsigned char	**vals;
	size_t		 *vlens;
};
int	 vudb__recs_collect(void *, const void *, size_t, const void *,
	    size_t);
void	 vudb__recs_free(struct vudb__recs *);
int	 vudb__get_rec(struct vudb *, struct vudb__dom *, int type,
	    const char *local, struct vudb_buf *buf);
int	 vudb__get_rec_txn(struct vudb *, struct vudb__dom *, void *txn,
	    int type, const char *key, size_t klen, struct vudb__rec *rec);
int	 vudb__put_rec(struct vudb *, struct vudb__dom *, void *txn,
	    const char *key, size_t klen, const struct vudb__rec *rec);
int	 vudb__put_rec_flags(struct vudb *, struct vudb__dom *, void *txn,
	    const char *key, size_t klen, const struct vudb__rec *rec,
	    int flags);
int	 vudb__rec_fits(struct vudb *, const struct vudb__rec *);
const char *vudb__dom_value(const struct vudb *, const struct vudb__dom *,
	    unsigned int dtag, int sidx);
void	 vudb__set_now(struct vudb__rec *, unsigned int tag);
unsigned int vudb__tag_created(int type);
unsigned int vudb__tag_updated(int type);
int	 vudb__apply_attrs(struct vudb *, struct vudb__rec *,
	    const char *const *attrs, int remove);
int	 vudb__counters_read(struct vudb *, struct vudb__dom *, void *txn,
	    unsigned long long *users, unsigned long long *aliases);
int	 vudb__counters_write(struct vudb *, struct vudb__dom *, void *txn,
	    unsigned long long users, unsigned long long aliases);
int	 vudb__count_add(struct vudb *, struct vudb__dom *, void *txn,
	    unsigned int tag, int delta, unsigned int maxtag, int check);
const char *vudb__hash_scheme(const char *hash, char *buf, size_t size);
int	 vudb__schemes_note(struct vudb *, struct vudb__dom *, void *txn,
	    const char *hash);
int	 vudb__wipe_domain(struct vudb *, struct vudb__dom *, void *txn);

/* txn.c */
typedef int (*vudb__txn_fn)(struct vudb *, void *txn, void *arg);
int	 vudb__start_write(struct vudb *, const char *why_batch);
int	 vudb__txn_run(struct vudb *, vudb__txn_fn, void *arg);
int	 vudb__in_txn(struct vudb *, struct vudb__dom *, vudb__txn_fn,
	    void *arg, int meta);

/* audit.c: the audit log (a line per committed change, never a secret) */
void	 vudb__audit(struct vudb *, const char *op, int type,
	    const char *tname, const char *name, const char *const *attrs,
	    const char *extra);
void	 vudb__audit_flush(struct vudb *, const char *domain);
void	 vudb__audit_drop(struct vudb *);

/* obj.c */
int	 vudb__make_obj(struct vudb *, struct vudb__dom *,
	    const struct vudb__rec *, const char *name,
	    struct vudb_obj **obj_r);

#endif /* VUDB_PRIVATE_H */
