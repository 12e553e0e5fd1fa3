/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * cache.c - the answer cache of long-lived readers (vudb_open's
 * VUDB_CACHE: vudb-mapd, the Lua module), and the per-domain change
 * counters that keep it exact.
 *
 * The counters live in the shared page STORE/generation after the store's
 * own generation: VUDB__SLOTS 64-bit slots, a domain's slot chosen by a
 * fixed hash of its name (several domains share a slot: a change in one
 * then only costs the others a miss).  Every committing writer advances
 * the slot of the domain it changed after the commit and before the call
 * returns, so before the change is acknowledged; a change of a domain
 * record or of a setting advances the store's generation, which every
 * entry also carries.
 *
 * A lookup reads the slot of its domain (an acquire load) before it reads
 * any record, and the entry it fills carries that value.  A hit is
 * answered only while the store's generation and the slot still hold the
 * values the entry carries: a commit after that load advanced the slot,
 * and a commit before it is in what the lookup read.  So a reader never
 * answers from before a change acknowledged to its writer.  A writer
 * killed between its commit and the advance leaves a change that was never
 * acknowledged; entries are answered for at most VUDB__CACHE_AGE seconds,
 * which also bounds what a domain file restored by hand may be answered
 * from.  Negative answers are kept the same way; failures never are.
 *
 * The cache is a set-associative table (4 ways) keyed by a per-process
 * seeded hash of the map and the key as given, so that keys chosen by
 * remote senders cannot pile up: a full set drops its oldest entry.  Its
 * memory (the table and every entry's bytes) stays within the setting
 * lookup_cache_size; 0 turns it off.  Stores without the shared counters
 * (a generation file that cannot be mapped, a server backend that names
 * no page of the host) are not cached.
 *
 * A server store (PostgreSQL) keeps its change counter and names a page of
 * this host in /dev/shm (host_page) with the same layout: this host's
 * writers advance its slots and its first counter as above, so readers
 * here are exact as with a directory store; the changes of other hosts'
 * writers reach the cache through the backend (vudb__ctx_slot_moved, from
 * the server's notifications, or a standby's polls), into per-slot counts
 * added to the page's, so they are seen as soon as the notification is.
 *
 * One cache serves every VUDB_CACHE handle of a store in the process (the
 * workers of vudb-mapd, each with its handle): found by the identity of
 * STORE/generation (device, inode) and the size, counted by reference,
 * freed with its last handle; so the bound holds once per process, and a
 * key one handle filled is answered to the others.  Sets are guarded by
 * striped mutexes (set number modulo STRIPES), each on its own cache
 * line with its hit and miss counts, so that two threads rarely meet.
 * The exactness above holds across handles because what an entry is
 * checked against is the store's, not a handle's: the slots and the
 * store's generation are in the shared page, and an entry carries the
 * generation the filling handle saw at the start of its call (not its
 * own view, which also counts its reopens).  What only one handle sees -
 * a hand edit of vudb.conf noticed by its once-a-second look, a store
 * reopened after a loss - advances the cache's epoch: every entry filled
 * before is answered no more, and every other handle, seeing the epoch
 * moved at the start of its next call, re-reads its settings and domain
 * records before it fills any entry that will be answered.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vudb_private.h"

#define WAYS		4
#define STRIPES		64	/* a power of two */
/* what the allocation of an entry's bytes costs besides them */
#define MALLOC_COST	16
#define ENTRY_ROOM	128

struct centry {
	uint64_t	 hash;		/* 0: empty */
	uint64_t	 gen;		/* the store's (shared) generation */
	uint64_t	 sval;		/* the slot's value */
	char		*data;		/* key, then answer (no NULs) */
	uint32_t	 klen, alen;
	uint32_t	 epoch;		/* the cache's epoch (low bits) */
	uint32_t	 used;		/* tick of the last hit */
	int32_t		 born;		/* second it was filled */
	int16_t		 slot;		/* -1: the generation only */
	uint8_t		 map;
	uint8_t		 found;
};

/* the lock of a group of sets, their clock and counts: a line of its own */
struct stripe {
	pthread_mutex_t	 lock;
	uint32_t	 tick;
	unsigned long long hits, misses;
} __attribute__((aligned(64)));

struct vudb__acache {
	struct stripe	 s[STRIPES];
	/* the table, made with the first answer kept (atomic) */
	struct centry	*e;
	size_t		 nsets;		/* a power of two */
	size_t		 bytes;		/* atomic */
	size_t		 limit;
	uint64_t	 seed;
	uint64_t	 epoch;		/* atomic */
	/* the process's caches: under reg_lock */
	struct vudb__acache *next;
	unsigned long long id[2];	/* STORE/generation's dev, ino */
	unsigned int	 refs;
	/* a server store's: the changes of other processes that its
	 * notifications told, by slot (atomic) */
	uint64_t	 moved[VUDB__SLOTS];
};

static pthread_mutex_t	 reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vudb__acache *caches;

/* ------------------------------------------------------------ slots */

/* vudb__slot - the change counter slot of a canonical domain name: the
 * same in every process (FNV-1a) */
int
vudb__slot(const char *domain)
{
	uint32_t h = 2166136261u;
	const unsigned char *p;

	for (p = (const unsigned char *)domain; *p != '\0'; p++)
		h = (h ^ *p) * 16777619u;
	return (int)(h % VUDB__SLOTS);
}

/* slot_ptr - the shared counter of slot (STORE/generation's, or a server
 * store's page of this host), or NULL without the page */
static uint64_t *
slot_ptr(struct vudb *db, int slot)
{
	uint64_t *page = db->genp != NULL ? db->genp : db->hostp;
	size_t len = db->genp != NULL ? db->genlen : db->hostlen;

	if (page == NULL || slot < 0 || slot >= VUDB__SLOTS ||
	    len < (VUDB__SLOT0 + VUDB__SLOTS) * sizeof(uint64_t))
		return NULL;
	return page + VUDB__SLOT0 + slot;
}

/*
 * slot_value - the value an entry of slot is checked against: the shared
 * counter, plus, for a server store, the changes of other hosts'
 * processes its notifications told (both only grow, so their sum moves
 * whenever either does); 0 without the page
 */
static int
slot_value(struct vudb *db, int slot, uint64_t *v_r)
{
	uint64_t *p;

	if ((p = slot_ptr(db, slot)) == NULL)
		return 0;
	*v_r = __atomic_load_n(p, __ATOMIC_ACQUIRE);
	if (db->genp == NULL && db->acache != NULL)
		*v_r += __atomic_load_n(&db->acache->moved[slot],
		    __ATOMIC_ACQUIRE);
	return 1;
}

/* vudb__slot_bump - after a commit that changed domain's records (or
 * may have): readers' entries of that slot are answered no more */
void
vudb__slot_bump(struct vudb *db, const char *domain)
{
	uint64_t *p;

	if ((db->flags & VUDB_RDONLY) || (db->genp == NULL && !db->host_rw))
		return;
	if ((p = slot_ptr(db, vudb__slot(domain))) != NULL)
		__atomic_add_fetch(p, 1, __ATOMIC_ACQ_REL);
}

/* vudb__cache_slot_moved - a server store's backend was told that another
 * process changed records of the domains of slot */
void
vudb__cache_slot_moved(struct vudb *db, int slot)
{
	if (db->acache != NULL && slot >= 0 && slot < VUDB__SLOTS)
		__atomic_add_fetch(&db->acache->moved[slot], 1,
		    __ATOMIC_ACQ_REL);
}

/* vudb__lookup_dep - a lookup is about to read domain's records: note the
 * slot's value first (before any read), for the entry it may fill */
void
vudb__lookup_dep(struct vudb *db, const char *domain)
{
	uint64_t v;
	int slot;

	if (db->acache == NULL)
		return;
	if (db->c_slot != -1) {
		/* a second domain (an alias domain's target): not kept */
		db->c_nocache = 1;
		return;
	}
	slot = vudb__slot(domain);
	if (!slot_value(db, slot, &v)) {
		db->c_nocache = 1;
		return;
	}
	db->c_slot = slot;
	db->c_sval = v;
}

/* ------------------------------------------------------------ the cache */

static uint64_t
mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint64_t
key_hash(const struct vudb__acache *c, int map, const char *key, size_t len)
{
	uint64_t h = c->seed ^ ((uint64_t)map << 56) ^ len;
	uint64_t w;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, key + i, 8);
		h = mix(h ^ w) + 0x9e3779b97f4a7c15ULL;
	}
	w = 0;
	memcpy(&w, key + i, len - i);
	h = mix(h ^ w ^ 0x5bd1e9955bd1e995ULL);
	return h != 0 ? h : 1;
}

static long
now_sec(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) != 0)
		return 0;
	return (long)ts.tv_sec;
}

/* entry_drop - e emptied, its bytes given back (under its stripe's lock) */
static void
entry_drop(struct vudb__acache *c, struct centry *e)
{
	if (e->hash == 0)
		return;
	__atomic_sub_fetch(&c->bytes, e->klen + e->alen + MALLOC_COST,
	    __ATOMIC_RELAXED);
	free(e->data);
	memset(e, 0, sizeof(*e));
}

static void
cache_destroy(struct vudb__acache *c)
{
	size_t i;

	for (i = 0; c->e != NULL && i < c->nsets * WAYS; i++)
		free(c->e[i].data);
	for (i = 0; i < STRIPES; i++)
		pthread_mutex_destroy(&c->s[i].lock);
	free(c->e);
	free(c);
}

/* cache_new - an empty cache of limit bytes for the store id */
static struct vudb__acache *
cache_new(const unsigned long long id[2], size_t limit)
{
	struct vudb__acache *c;
	size_t nsets, i;

	/* an entry for every ENTRY_ROOM bytes: its slot in the table and
	 * the bytes of a key and answer of the usual length */
	for (nsets = 1; (nsets * 2) * WAYS * ENTRY_ROOM <= limit; nsets *= 2)
		;
	if (posix_memalign((void **)&c, 64, sizeof(*c)) != 0)
		return NULL;
	memset(c, 0, sizeof(*c));
	for (i = 0; i < STRIPES; i++) {
		if (pthread_mutex_init(&c->s[i].lock, NULL) != 0) {
			while (i-- > 0)
				pthread_mutex_destroy(&c->s[i].lock);
			free(c);
			return NULL;
		}
	}
	/* the table comes with the first answer kept: a handle that never
	 * looks up (Dovecot's logins through the Lua module) pays nothing */
	c->nsets = nsets;
	c->limit = limit;
	c->seed = mix(((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)c ^
	    (uint64_t)time(NULL));
	c->id[0] = id[0];
	c->id[1] = id[1];
	c->epoch = 1;
	return c;
}

/*
 * vudb__cache_setup - the handle's cache, sized by lookup_cache_size, for
 * a handle opened with VUDB_CACHE on a store with shared counters: the
 * process's cache of the store and size, or a new one (empty); joining
 * one flushes it, as a handle's own cache was empty at its open.  A handle
 * whose size changed leaves its cache for the one of the new size (the
 * old one goes with its last handle).
 */
void
vudb__cache_setup(struct vudb *db)
{
	struct vudb__acache *c;
	unsigned long long limit;

	if (!(db->flags & VUDB_CACHE))
		return;
	limit = vudb__setting_u64(db, VUDB__S_LOOKUP_CACHE_SIZE);
	if (slot_ptr(db, 0) == NULL)
		limit = 0;
	if (limit > SIZE_MAX / 2)
		limit = SIZE_MAX / 2;
	if (db->acache != NULL && db->acache->limit == limit)
		return;
	vudb__cache_free(db);
	if (limit < 64 * 1024)
		return;
	pthread_mutex_lock(&reg_lock);
	for (c = caches; c != NULL; c = c->next)
		if (c->id[0] == db->gen_id[0] && c->id[1] == db->gen_id[1] &&
		    c->limit == limit)
			break;
	if (c == NULL && (c = cache_new(db->gen_id, (size_t)limit)) != NULL) {
		c->next = caches;
		caches = c;
	}
	if (c != NULL) {
		/* a handle opened anew answers nothing kept before (a
		 * store restored by hand, then vudb-mapd's SIGHUP) */
		if (c->refs++ > 0)
			(void)__atomic_add_fetch(&c->epoch, 1,
			    __ATOMIC_ACQ_REL);
		db->acache = c;
		db->c_epoch = __atomic_load_n(&c->epoch, __ATOMIC_ACQUIRE);
	}
	pthread_mutex_unlock(&reg_lock);
}

/* vudb__cache_free - the handle lets go of its cache; the last one frees
 * it */
void
vudb__cache_free(struct vudb *db)
{
	struct vudb__acache *c = db->acache, **pp;

	if (c == NULL)
		return;
	db->acache = NULL;
	pthread_mutex_lock(&reg_lock);
	if (--c->refs > 0) {
		pthread_mutex_unlock(&reg_lock);
		return;
	}
	for (pp = &caches; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	pthread_mutex_unlock(&reg_lock);
	cache_destroy(c);
}

/*
 * vudb__cache_flush - what only this handle saw (a hand edit of vudb.conf,
 * its store reopened) may change answers: every entry kept so far is
 * answered no more, and the other handles re-read (vudb__cache_moved)
 */
void
vudb__cache_flush(struct vudb *db)
{
	if (db->acache != NULL)
		db->c_epoch = __atomic_add_fetch(&db->acache->epoch, 1,
		    __ATOMIC_ACQ_REL);
}

/*
 * vudb__cache_moved - at the start of a call: 1 if another handle flushed
 * the cache since this one last looked (this one then re-reads its
 * settings and domain records), else 0
 */
int
vudb__cache_moved(struct vudb *db)
{
	uint64_t e;

	if (db->acache == NULL ||
	    (e = __atomic_load_n(&db->acache->epoch, __ATOMIC_ACQUIRE)) ==
	    db->c_epoch)
		return 0;
	db->c_epoch = e;
	return 1;
}

/*
 * vudb__cache_get - the kept answer of map and key, if it is still exact:
 * 1 with *rc_r VUDB_OK (*answer_r malloc'd) or VUDB_ENOTFOUND; 0 if there
 * is none (or memory for the copy is short).
 */
int
vudb__cache_get(struct vudb *db, int map, const char *key, size_t len,
    char **answer_r, int *rc_r)
{
	struct vudb__acache *c = db->acache;
	struct centry *tab, *set, *e;
	struct stripe *st;
	uint64_t h, sv;
	size_t i, n;
	char *a;
	int ret = 0;

	if (c == NULL)
		return 0;
	h = key_hash(c, map, key, len);
	n = h & (c->nsets - 1);
	st = &c->s[n & (STRIPES - 1)];
	pthread_mutex_lock(&st->lock);
	/* no table before the first answer kept: a miss */
	if ((tab = __atomic_load_n(&c->e, __ATOMIC_ACQUIRE)) == NULL)
		i = WAYS;
	else {
		set = tab + n * WAYS;
		i = 0;
	}
	for (; i < WAYS; i++) {
		e = set + i;
		if (e->hash != h || e->map != map || e->klen != len ||
		    memcmp(e->data, key, len) != 0)
			continue;
		/* the store's generation at the start of this call, the
		 * cache's epoch, the age, the domain's slot */
		if (e->gen != db->sgen || e->epoch != (uint32_t)
		    __atomic_load_n(&c->epoch, __ATOMIC_ACQUIRE) ||
		    now_sec() - e->born >
		    VUDB__CACHE_AGE || (e->slot >= 0 &&
		    (!slot_value(db, e->slot, &sv) || sv != e->sval))) {
			entry_drop(c, e);
			break;
		}
		if (!e->found) {
			*rc_r = VUDB_ENOTFOUND;
		} else {
			if ((a = malloc(e->alen + 1)) == NULL)
				goto out;
			memcpy(a, e->data + len, e->alen);
			a[e->alen] = '\0';
			*answer_r = a;
			*rc_r = VUDB_OK;
		}
		e->used = ++st->tick;
		st->hits++;
		ret = 1;
		goto out;
	}
	st->misses++;
out:
	pthread_mutex_unlock(&st->lock);
	return ret;
}

/* table - the cache's table, made with the first answer kept */
static struct centry *
table(struct vudb__acache *c)
{
	struct centry *t, *old = NULL;

	if ((t = __atomic_load_n(&c->e, __ATOMIC_ACQUIRE)) != NULL)
		return t;
	if ((t = calloc(c->nsets * WAYS, sizeof(*t))) == NULL)
		return NULL;
	if (!__atomic_compare_exchange_n(&c->e, &old, t, 0, __ATOMIC_ACQ_REL,
	    __ATOMIC_ACQUIRE)) {
		free(t);	/* another thread's came first */
		return old;
	}
	__atomic_add_fetch(&c->bytes, c->nsets * WAYS * sizeof(*t),
	    __ATOMIC_RELAXED);
	return t;
}

/*
 * vudb__cache_put - keep the outcome rc (VUDB_OK with answer, or
 * VUDB_ENOTFOUND) of a lookup that started at the store's generation gen
 * (db->sgen then), with the slot noted by vudb__lookup_dep
 */
void
vudb__cache_put(struct vudb *db, int map, const char *key, size_t len,
    uint64_t gen, int rc, const char *answer)
{
	struct vudb__acache *c = db->acache;
	struct centry *tab, *set, *e, *victim;
	struct stripe *st;
	size_t alen, i, n, need;
	uint64_t h;
	char *data;

	if (c == NULL || db->c_nocache || (rc != VUDB_OK &&
	    rc != VUDB_ENOTFOUND) || gen != db->sgen)
		return;
	alen = rc == VUDB_OK ? strlen(answer) : 0;
	if (len > 1024 || alen > 65536)
		return;
	if ((tab = table(c)) == NULL)
		return;
	need = len + alen + MALLOC_COST;
	if ((data = malloc(len + alen + 1)) == NULL)
		return;
	memcpy(data, key, len);
	if (alen > 0)
		memcpy(data + len, answer, alen);
	h = key_hash(c, map, key, len);
	n = h & (c->nsets - 1);
	set = tab + n * WAYS;
	st = &c->s[n & (STRIPES - 1)];
	pthread_mutex_lock(&st->lock);
	victim = set;
	for (i = 0; i < WAYS; i++) {
		e = set + i;
		if (e->hash == h && e->map == map && e->klen == len &&
		    memcmp(e->data, key, len) == 0) {
			victim = e;
			break;
		}
		if (e->hash == 0 || (victim->hash != 0 &&
		    e->used < victim->used))
			victim = e;
	}
	entry_drop(c, victim);
	if (__atomic_add_fetch(&c->bytes, need, __ATOMIC_RELAXED) >
	    c->limit) {
		/* full: drops make room as entries age */
		__atomic_sub_fetch(&c->bytes, need, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&st->lock);
		free(data);
		return;
	}
	victim->hash = h;
	victim->gen = gen;
	victim->sval = db->c_sval;
	victim->epoch = (uint32_t)db->c_epoch;
	victim->slot = (int16_t)db->c_slot;
	victim->data = data;
	victim->klen = (uint32_t)len;
	victim->alen = (uint32_t)alen;
	victim->map = (uint8_t)map;
	victim->found = rc == VUDB_OK;
	victim->used = ++st->tick;
	victim->born = (int32_t)now_sec();
	pthread_mutex_unlock(&st->lock);
}

/* cache_count - the figures of cache c: hits, misses, bytes */
static void
cache_count(struct vudb__acache *c, unsigned long long *hits,
    unsigned long long *misses, size_t *bytes)
{
	size_t i;

	*hits = *misses = 0;
	*bytes = 0;
	if (c == NULL)
		return;
	for (i = 0; i < STRIPES; i++) {
		pthread_mutex_lock(&c->s[i].lock);
		*hits += c->s[i].hits;
		*misses += c->s[i].misses;
		pthread_mutex_unlock(&c->s[i].lock);
	}
	*bytes = __atomic_load_n(&c->bytes, __ATOMIC_RELAXED);
}

/* vudb__cache_stats - hits, misses and bytes of the handle's cache (the
 * process's, shared with the other handles of the store) */
void
vudb__cache_stats(const struct vudb *db, unsigned long long *hits,
    unsigned long long *misses, size_t *bytes)
{
	cache_count(db->acache, hits, misses, bytes);
}

int
vudb_cache_stats(struct vudb *db, struct vudb_cache_stats *st)
{
	size_t bytes;

	if (st != NULL)
		memset(st, 0, sizeof(*st));
	if (db == NULL || st == NULL)
		return VUDB_EINVAL;
	cache_count(db->acache, &st->hits, &st->misses, &bytes);
	st->bytes = bytes;
	if (db->acache != NULL) {
		st->limit = db->acache->limit;
		pthread_mutex_lock(&reg_lock);
		st->handles = db->acache->refs;
		pthread_mutex_unlock(&reg_lock);
	}
	return VUDB_OK;
}
