/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * vudb.h - the public interface of libvudb, a virtual-user database for
 * mail hosting.  A store holds one isolated database per hosted domain
 * (its settings, users, aliases, relocated entries and send-as grants) and
 * answers Postfix-style lookups (vudb_lookup) with Postfix's own search
 * order.  This is the only header programs include; it pulls in nothing of
 * the backends.  The manual is libvudb(3).
 *
 * Rules that hold for every call:
 * - A status is an int: VUDB_OK (0) or a negative VUDB_E* code.
 *   VUDB_ENOTFOUND is a result, never a failure; every other negative code
 *   is a failure, whose detail vudb_errmsg() gives until the next call on
 *   the same handle.
 * - Out-parameters come last, end in _r, and are set to NULL on failure.
 * - What a vudb_* call allocates is released with vudb_free() or the
 *   matching *_free or *_close; a returned const char * is borrowed and its
 *   lifetime is stated per call.
 * - A handle is used by one thread at a time.  The library never prints,
 *   exits or aborts; log lines go to the hook set with vudb_set_log().
 */
#ifndef VUDB_H
#define VUDB_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VUDB_VERSION_MAJOR	0
#define VUDB_VERSION_MINOR	1
#define VUDB_VERSION_PATCH	0
#define VUDB_VERSION_STRING	"0.1.0"

/* Status codes. */
#define VUDB_OK		  0
#define VUDB_ENOTFOUND	(-1)	/* a result: no such entry */
#define VUDB_ETEMP	(-2)	/* try again later: lock busy, I/O */
#define VUDB_EINVAL	(-3)	/* invalid argument or name */
#define VUDB_EEXIST	(-4)	/* already exists */
#define VUDB_ENOMEM	(-5)	/* out of memory */
#define VUDB_ECORRUPT	(-6)	/* a record or file is damaged */
#define VUDB_ENOTSUP	(-7)	/* not supported or not compiled in */
#define VUDB_EVERSION	(-8)	/* library or file version mismatch */
#define VUDB_ESYS	(-9)	/* system error; errno in vudb_errmsg() */
#define VUDB_EAUTH	(-10)	/* wrong password or unknown user */
#define VUDB_EDISABLED	(-11)	/* user, domain or service disabled */
#define VUDB_ELIMIT	(-12)	/* a domain limit would be exceeded */
#define VUDB_ENOMAP	(-13)	/* no such map name (a configuration error) */
#define VUDB_ERDONLY	(-14)	/* store opened read-only */
#define VUDB_ENOSTORE	(-15)	/* no store at that place, or not initialized */

/* vudb_open() flags. */
#define VUDB_RDONLY	0x1	/* read only: no recovery writes, no checkpoints */
#define VUDB_CREATE	0x2	/* create (initialize) the store if missing */
#define VUDB_BULK	0x4	/* loading: commits made durable by vudb_sync() */
#define VUDB_RECOVER	0x8	/* make the environment anew; no other user */
#define VUDB_CACHE	0x10	/* keep lookup answers (long-lived readers) */

/* Entry types. */
#define VUDB_DOMAIN	1	/* "pc1.example" */
#define VUDB_USER	2	/* "matsui@pc1.example" */
#define VUDB_ALIAS	3	/* "info@pc1.example", "@pc1.example" = catch-all */
#define VUDB_RELOCATED	4	/* "old@pc1.example", "@pc1.example" */
#define VUDB_SENDER	5	/* send-as grants: "info@pc1.example" */

/* Log priorities for the vudb_set_log() hook (syslog's values). */
#define VUDB_LOG_ERR	3
#define VUDB_LOG_WARNING 4
#define VUDB_LOG_INFO	6

struct vudb;
struct vudb_obj;
struct vudb_iter;

/*
 * vudb_version - the run-time library version, "MAJOR.MINOR.PATCH";
 * each pointer may be NULL.
 */
const char	*vudb_version(int *major, int *minor, int *patch);

/*
 * vudb_open - open a store.  store is a URL: "bdb:/var/lib/vudb", or a
 * plain path meaning bdb:; NULL means $VUDB_STORE, else /var/lib/vudb.
 * VUDB_CREATE initializes a missing store.  Returns VUDB_OK, VUDB_ENOSTORE,
 * VUDB_ENOTSUP (backend not compiled in), VUDB_EVERSION, VUDB_ETEMP,
 * VUDB_ESYS, VUDB_EINVAL, VUDB_ENOMEM.  On failure *db_r is NULL, and a
 * message is available from vudb_open_errmsg() of the same thread.
 */
int		 vudb_open(const char *store, int flags, struct vudb **db_r);
const char	*vudb_open_errmsg(void);
/* vudb_close - close a store; NULL is fine. */
void		 vudb_close(struct vudb *db);
/*
 * Store URLs, parsed by the library alone (vudb_store(3)).
 * vudb_store_split: the scheme ("" for a plain path) and the location of
 * store (NULL: $VUDB_STORE, else /var/lib/vudb), in *scheme_r and
 * *location_r (either may be NULL; release with vudb_free).  VUDB_OK,
 * VUDB_EINVAL (unknown backend, no location), VUDB_ENOTSUP (backend not
 * compiled in), VUDB_ENOMEM.
 * vudb_store_url: store as a program keeps and shows it: a relative
 * directory made absolute, so that a daemon that changes directory still
 * finds it; a URL the library cannot parse is kept as given (vudb_open
 * then says why).  *url_r (vudb_free); VUDB_OK, VUDB_EINVAL, VUDB_ENOMEM.
 * vudb_store_location, vudb_store_backend: the location and the backend's
 * name of an open store (borrowed until vudb_close).
 */
int		 vudb_store_split(const char *store, char **scheme_r,
		    char **location_r);
int		 vudb_store_url(const char *store, char **url_r);
const char	*vudb_store_location(const struct vudb *db);
const char	*vudb_store_backend(const struct vudb *db);
/*
 * vudb_store_size, vudb_domain_size - the bytes the store, or one domain's
 * database, takes in its backend (files, regions and logs).  VUDB_OK with
 * *bytes_r; VUDB_ENOTFOUND (vudb_domain_size: the domain has no
 * database), VUDB_ENOTSUP (the backend cannot tell), or a failure.
 */
int		 vudb_store_size(struct vudb *db, unsigned long long *bytes_r);
int		 vudb_domain_size(struct vudb *db, const char *domain,
		    unsigned long long *bytes_r);
/*
 * vudb_check - look for processes that died with the store open.  One
 * that died outside the storage library has its locks and transactions
 * released; one that died inside it may have held what a thread now
 * waits for, for ever, and the store is then recovered: every handle of
 * the process opens it anew at its next call.  Returns VUDB_ETEMP when a
 * thread of this process does wait for ever inside the library (known
 * from a call a few seconds after the death: call it once a second),
 * else VUDB_OK.  Safe to call from a thread of its own, on a handle of
 * its own, while other threads use theirs or are blocked in calls.
 */
int		 vudb_check(struct vudb *db);

/*
 * vudb_lookup - answer a Postfix lookup exactly as vudb-mapd does.  map is
 * one of "domain", "mailbox", "alias", "sender", "uid", "gid",
 * "relocated".  Returns VUDB_OK with a new string in *answer_r (release
 * with vudb_free()), VUDB_ENOTFOUND (also for an empty or malformed key),
 * VUDB_ENOMAP for an unknown map, or a failure.
 */
int		 vudb_lookup(struct vudb *db, const char *map, const char *key,
		    char **answer_r);
/*
 * vudb_cache_stats - the figures of the answer cache db uses (VUDB_CACHE;
 * one per store and process, shared by its handles): lookups answered
 * from it, lookups that were not, its memory (table and entries), its
 * limit (lookup_cache_size) and the handles that share it.  All zero for
 * a handle without one.  Returns VUDB_OK, or VUDB_EINVAL.
 */
struct vudb_cache_stats {
	unsigned long long	 hits;
	unsigned long long	 misses;
	unsigned long long	 bytes;
	unsigned long long	 limit;
	unsigned long long	 handles;
};
int		 vudb_cache_stats(struct vudb *db,
		    struct vudb_cache_stats *st);
/* vudb_map_valid - 1 if map is a known map name, else 0. */
int		 vudb_map_valid(const char *map);

/* vudb_free - release what a vudb_* call returned as plain memory. */
void		 vudb_free(void *p);
/* vudb_strerror - static text of a status code; never NULL. */
const char	*vudb_strerror(int code);
/*
 * vudb_errmsg - detail of the last failure on db, valid until the next
 * call on db; "" if none; never NULL (also for a NULL db).
 */
const char	*vudb_errmsg(const struct vudb *db);
/* vudb_set_log - route the library's log lines to fn (NULL: discard). */
void		 vudb_set_log(struct vudb *db,
		    void (*fn)(void *arg, int prio, const char *msg), void *arg);

/*
 * The audit log: every committed change appends one entry (libvudb(3)).
 * vudb_audit_list - call fn for each entry, oldest first, whose time is
 * not before since (UTC, ISO 8601 "2026-12-07T10:00:00Z" or a prefix such
 * as "2026-12-07"; NULL: all) and whose object is domain or in it (NULL:
 * every entry; store-wide settings only then).  The entry's strings are
 * borrowed for the call.  fn returns VUDB_OK to go on, anything else to
 * stop, which vudb_audit_list then returns.  Returns VUDB_OK (also when
 * there is no log yet), VUDB_EINVAL, VUDB_ENOTSUP (a store that keeps no
 * log), VUDB_ESYS, or fn's value.
 */
struct vudb_audit {
	const char	*time;		/* "2026-12-07T10:15:00Z" */
	unsigned long	 uid;		/* the real uid of the program */
	const char	*user;		/* its name, or "?" */
	const char	*program;	/* "vudbadm" */
	const char	*op;		/* add, update, password, del, ... */
	const char	*type;		/* domain, user, ..., setting */
	const char	*name;		/* the object */
	const char	*detail;	/* attributes changed (never a secret's
					 * value), a rename's new name, ... */
};
typedef int (*vudb_audit_cb)(void *arg, const struct vudb_audit *entry);
int		 vudb_audit_list(struct vudb *db, const char *since,
		    const char *domain, vudb_audit_cb fn, void *arg);

/*
 * vudb_normalize - check a name of the given type and return its
 * canonical form (lower case, IDNA A-label domain) in *norm_r (vudb_free).
 * Returns VUDB_OK, VUDB_EINVAL or VUDB_ENOMEM.
 * vudb_name_error - why name is not a valid name of that type: a static
 * string, or NULL if it is valid.
 */
int		 vudb_normalize(int type, const char *name, char **norm_r);
const char	*vudb_name_error(int type, const char *name);

/*
 * Entries.  Every entry has a type, a canonical name and attributes: text
 * values under fixed names (libvudb(3) lists them).  attrs arguments are
 * NULL-terminated lists of name, value pairs: {"quota_bytes", "10G", NULL}.
 * Values are checked and stored in canonical form ("10G" -> "10737418240").
 * In vudb_update() a NULL or empty value removes the attribute, so that
 * the domain or store default applies again.  The time stamps "created"
 * and "updated" are set by the library, but vudb_add accepts them too, so
 * that an import keeps them.
 *
 * vudb_add: VUDB_OK, VUDB_EEXIST, VUDB_ENOTFOUND (no such domain),
 *     VUDB_EINVAL, VUDB_ELIMIT, VUDB_ERDONLY or a failure.
 *     A VUDB_DOMAIN with attribute "target" is an alias domain.
 * vudb_update: VUDB_OK, VUDB_ENOTFOUND, VUDB_EINVAL or a failure.
 * vudb_del: VUDB_OK, VUDB_ENOTFOUND or a failure.  Deleting a domain
 *     deletes everything in it.
 * vudb_get: VUDB_OK with *obj_r (vudb_obj_free), VUDB_ENOTFOUND, ...
 */
int		 vudb_add(struct vudb *db, int type, const char *name,
		    const char *const *attrs);
int		 vudb_update(struct vudb *db, int type, const char *name,
		    const char *const *attrs);
int		 vudb_del(struct vudb *db, int type, const char *name);
int		 vudb_get(struct vudb *db, int type, const char *name,
		    struct vudb_obj **obj_r);

/*
 * vudb_rename - give an entry a new name, atomically.  A user may move to
 * another domain; it keeps its password and its mail (home and maildir are
 * pinned to where they were), and its send-as grants, the aliases and the
 * grants of both domains that name it follow it.  A domain keeps all its
 * entries; addresses of the domain inside it follow the new name.
 * Returns VUDB_OK, VUDB_ENOTFOUND, VUDB_EEXIST, VUDB_EINVAL, VUDB_ELIMIT,
 * VUDB_ERDONLY or a failure.
 */
int		 vudb_rename(struct vudb *db, int type, const char *from,
		    const char *to);

/*
 * Send-as grants, each change atomic: the logins already granted are
 * read and written back in one transaction (or in the caller's open
 * batch), so that grants made at the same time are all kept.  logins is
 * a comma-separated list of addresses.
 * vudb_grant: add logins to the grants of address (made if it has none).
 *     VUDB_OK, VUDB_EINVAL (an invalid address or login), VUDB_ENOTFOUND
 *     (no such domain), VUDB_ERDONLY or a failure.
 * vudb_revoke: take logins from them; the last one removes the entry.
 *     Every login must be granted: VUDB_OK, VUDB_ENOTFOUND (no grants,
 *     or a login that is not granted), VUDB_EINVAL, or a failure.
 */
int		 vudb_grant(struct vudb *db, const char *address,
		    const char *logins);
int		 vudb_revoke(struct vudb *db, const char *address,
		    const char *logins);

/*
 * vudb_verify - check the store (domain NULL) or one domain: every
 * database file structurally, every record decodes, names are canonical,
 * counters match.  Each problem is passed to report (may be NULL).
 * Returns VUDB_OK when none was found, VUDB_ECORRUPT when some were,
 * VUDB_ENOTFOUND for an unknown domain, or a failure.
 */
int		 vudb_verify(struct vudb *db, const char *domain,
		    void (*report)(void *arg, const char *domain,
		    const char *problem), void *arg);

/*
 * vudb_convert - copy every domain of src (or only domain) into dst,
 * usually a store of the other backend, with the store-wide settings when
 * all domains are copied.  Records are copied as stored, byte for byte,
 * one transaction per domain, and each domain's copy is read back and
 * compared with the source; src is only read.  progress (may be NULL) is
 * called after each domain with its number of records.  Returns VUDB_OK,
 * VUDB_EEXIST (a domain is already in dst), VUDB_ENOTFOUND, VUDB_ECORRUPT
 * (a copy differs), or a failure; details on dst.
 */
int		 vudb_convert(struct vudb *src, struct vudb *dst,
		    const char *domain, void (*progress)(void *arg,
		    const char *domain, unsigned long long records), void *arg);

/*
 * vudb_list - iterate over the entries of one type: VUDB_DOMAIN (domain
 * NULL) or the users, aliases, relocated entries or grants of one domain,
 * in name order.  vudb_iter_next() gives VUDB_OK and a borrowed *obj_r,
 * valid until the next call on the iterator; VUDB_ENOTFOUND at the end.
 */
int		 vudb_list(struct vudb *db, int type, const char *domain,
		    struct vudb_iter **it_r);
int		 vudb_iter_next(struct vudb_iter *it, struct vudb_obj **obj_r);
void		 vudb_iter_free(struct vudb_iter *it);

/* vudb_obj_type, vudb_obj_name - type and canonical name (borrowed). */
int		 vudb_obj_type(const struct vudb_obj *obj);
const char	*vudb_obj_name(const struct vudb_obj *obj);
/* vudb_obj_get - the stored value of attr, or NULL (borrowed). */
const char	*vudb_obj_get(const struct vudb_obj *obj, const char *attr);
/*
 * vudb_obj_effective - the value in force for attr: stored on the entry,
 * else its domain's, else the store's setting, else the built-in default
 * ("home", "maildir", "uid", "gid", "quota_bytes", "quota_messages",
 * "services", "enabled" for users).  NULL if none.  Borrowed.
 */
const char	*vudb_obj_effective(const struct vudb_obj *obj,
		    const char *attr);
/*
 * vudb_effective_name - the i-th (0, 1, ...) attribute name that
 * vudb_obj_effective() resolves for entries of type (VUDB_USER,
 * VUDB_DOMAIN), in the order to show them; NULL past the end and for
 * the other types.  Static.
 */
const char	*vudb_effective_name(int type, size_t i);
/*
 * vudb_value_kind - what the text of a value stands for, so that a program
 * can show it typed (vudbadm --json) without a list of its own: the value
 * of attribute name of entries of type (stored, or in force as
 * vudb_obj_effective() gives it), of the store setting name (type
 * VUDB_SETTING), or the answer of the map name (type VUDB_MAP).  Returns
 * a VUDB_KIND_* value, or 0 for a name it does not know.
 */
#define VUDB_SETTING	16	/* vudb_value_kind: a store setting */
#define VUDB_MAP	17	/* vudb_value_kind: a map's answer */
#define VUDB_KIND_TEXT	1	/* a string */
#define VUDB_KIND_NUMBER 2	/* a decimal integer: id, bytes, count, or
				 * time (seconds since 1970, UTC) */
#define VUDB_KIND_BOOL	3	/* "yes" or "no" */
#define VUDB_KIND_LIST	4	/* items between ","; "none": no item */
int		 vudb_value_kind(int type, const char *name);
/*
 * vudb_obj_attr - the i-th stored attribute (0, 1, ...) in a fixed order;
 * VUDB_OK with borrowed name and value, VUDB_ENOTFOUND past the end.
 */
int		 vudb_obj_attr(const struct vudb_obj *obj, size_t i,
		    const char **name_r, const char **value_r);
void		 vudb_obj_free(struct vudb_obj *obj);

/*
 * vudb_begin - start a batch on one domain: every change to that domain
 * until vudb_commit() is one transaction, committed all together or (after
 * vudb_abort() or a failure) not at all.  Changes to other domains are
 * refused with VUDB_EINVAL while the batch is open.
 */
int		 vudb_begin(struct vudb *db, const char *domain);
int		 vudb_commit(struct vudb *db);
int		 vudb_abort(struct vudb *db);

/*
 * vudb_sync - for a store opened with VUDB_BULK: make every commit so far
 * durable and every domain it created visible to other processes.  Bulk
 * loading groups that work: a commit stays atomic, but until vudb_sync()
 * (or vudb_close()) returns it may be lost in a crash, and a new domain
 * may not yet be seen by others.  Without VUDB_BULK every commit already
 * is durable, and vudb_sync() returns VUDB_OK at once.
 */
int		 vudb_sync(struct vudb *db);

/*
 * Store-wide settings ("mail_base", "uid", "gid", "password_scheme",
 * "recipient_delimiter", ...; vudb.conf(5)).  vudb_setting_get gives the
 * value in force (the default if unset), borrowed until the next call on
 * db; VUDB_EINVAL for an unknown name.  vudb_setting_set with value NULL
 * restores the default.  vudb_setting_name(i) names the i-th setting, NULL
 * past the end.
 */
int		 vudb_setting_get(struct vudb *db, const char *name,
		    const char **value_r);
int		 vudb_setting_set(struct vudb *db, const char *name,
		    const char *value);
const char	*vudb_setting_name(size_t i);
/*
 * vudb_setting_note - what a change of setting name needs before the
 * store's backend obeys it (a static sentence, such as "Berkeley DB takes
 * the new size when its environment is made anew: ..."), or NULL when it
 * takes effect by itself or name is unknown.
 */
const char	*vudb_setting_note(struct vudb *db, const char *name);

/*
 * Passwords, stored as Dovecot writes them: "{SCHEME}hash".
 * vudb_password_hash: hash with scheme (NULL: the store's
 *     password_scheme; db may be NULL for built-in parameters) into
 *     *hash_r (vudb_free).  VUDB_OK, VUDB_ENOTSUP, VUDB_EINVAL, VUDB_ENOMEM.
 * vudb_password_verify: VUDB_OK if password matches hash, VUDB_EAUTH if
 *     not, VUDB_ENOTSUP for an unknown scheme, VUDB_EINVAL for a malformed
 *     hash.  Constant time in the password.
 * vudb_password_scheme_valid: 1 if scheme can make new hashes.
 * vudb_password_usable: VUDB_OK if vudb_password_verify knows the scheme
 *     and encoding of the prepared hash (a login can use it), VUDB_ENOTSUP
 *     if not ("{CRAM-MD5}..."), VUDB_EINVAL for NULL.  *clear_r (clear_r
 *     may be NULL) is set to 1 for a scheme that keeps the password itself
 *     (PLAIN, CLEAR, CLEARTEXT), else 0.  The payload is not checked.
 * vudb_set_password: hash with the scheme in force for the user's domain
 *     (else the store's) and the store's costs, and store it.
 * vudb_auth: check a login.  VUDB_OK (and the user in *user_r, which may
 *     be NULL), VUDB_EAUTH for a wrong password or an unknown user (same
 *     work either way), VUDB_EDISABLED for a right password on a disabled
 *     user or domain or a service (may be NULL) the user may not use, or
 *     a failure.  The password is never kept.
 */
int		 vudb_password_hash(struct vudb *db, const char *scheme,
		    const char *password, char **hash_r);
int		 vudb_password_verify(const char *hash, const char *password);
int		 vudb_password_scheme_valid(const char *scheme);
int		 vudb_password_usable(const char *hash, int *clear_r);
int		 vudb_set_password(struct vudb *db, const char *address,
		    const char *password);
/*
 * vudb_add_user - vudb_add() of a user with a clear-text password (NULL:
 * none), which the library hashes as vudb_set_password() does and stores
 * in the same change.  attrs must not hold "password" too.  Returns as
 * vudb_add(), and VUDB_ENOTSUP if the scheme in force cannot make new
 * hashes.  The password is never kept.
 */
int		 vudb_add_user(struct vudb *db, const char *address,
		    const char *password, const char *const *attrs);
int		 vudb_auth(struct vudb *db, const char *address,
		    const char *password, const char *service,
		    struct vudb_obj **user_r);
/*
 * vudb_authorize - a user lookup without a password (Dovecot's userdb,
 * LMTP delivery): VUDB_OK and the user in *user_r (may be NULL);
 * VUDB_ENOTFOUND for an unknown or invalid name; VUDB_EDISABLED for a
 * disabled user or domain, a service the user may not use, or "lmtp" for
 * a user that receives no mail; "doveadm" reaches every existing user.
 * Or a failure.
 */
int		 vudb_authorize(struct vudb *db, const char *address,
		    const char *service, struct vudb_obj **user_r);

#ifdef __cplusplus
}
#endif

#endif /* VUDB_H */
