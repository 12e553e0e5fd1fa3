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
 * (a server backend, or a generation file that cannot be mapped) are not
 * cached.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vudb_private.h"

#define WAYS		4
/* what the allocation of an entry's bytes costs besides them */
#define MALLOC_COST	16
#define ENTRY_ROOM	128

struct centry {
	uint64_t	 hash;		/* 0: empty */
	uint64_t	 gen;		/* the store's generation */
	uint64_t	 sval;		/* the slot's value */
	char		*data;		/* key, then answer (no NULs) */
	uint32_t	 klen, alen;
	uint32_t	 used;		/* tick of the last hit */
	int32_t		 born;		/* second it was filled */
	int16_t		 slot;		/* -1: the generation only */
	uint8_t		 map;
	uint8_t		 found;
};

struct vudb__acache {
	struct centry	*e;
	size_t		 nsets;		/* a power of two */
	size_t		 bytes, limit;
	uint64_t	 seed;
	uint32_t	 tick;
	unsigned long long hits, misses;
};

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

/* slot_ptr - the shared counter of slot, or NULL without the page */
static uint64_t *
slot_ptr(struct vudb *db, int slot)
{
	if (db->genp == NULL || slot < 0 ||
	    db->genlen < (VUDB__SLOT0 + VUDB__SLOTS) * sizeof(uint64_t))
		return NULL;
	return db->genp + VUDB__SLOT0 + slot;
}

/* vudb__slot_bump - after a commit that changed domain's records (or
 * may have): readers' entries of that slot are answered no more */
void
vudb__slot_bump(struct vudb *db, const char *domain)
{
	uint64_t *p;

	if (db->flags & VUDB_RDONLY)
		return;
	if ((p = slot_ptr(db, vudb__slot(domain))) != NULL)
		__atomic_add_fetch(p, 1, __ATOMIC_ACQ_REL);
}

/* vudb__lookup_dep - a lookup is about to read domain's records: note the
 * slot's value first (before any read), for the entry it may fill */
void
vudb__lookup_dep(struct vudb *db, const char *domain)
{
	uint64_t *p;
	int slot;

	if (db->acache == NULL)
		return;
	if (db->c_slot != -1) {
		/* a second domain (an alias domain's target): not kept */
		db->c_nocache = 1;
		return;
	}
	slot = vudb__slot(domain);
	if ((p = slot_ptr(db, slot)) == NULL) {
		db->c_nocache = 1;
		return;
	}
	db->c_slot = slot;
	db->c_sval = __atomic_load_n(p, __ATOMIC_ACQUIRE);
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

static void
entry_drop(struct vudb__acache *c, struct centry *e)
{
	if (e->hash == 0)
		return;
	c->bytes -= e->klen + e->alen + MALLOC_COST;
	free(e->data);
	memset(e, 0, sizeof(*e));
}

/*
 * vudb__cache_setup - the handle's cache, sized by lookup_cache_size, for
 * a handle opened with VUDB_CACHE on a store with shared counters; made
 * anew (empty) when the size changed.  Entries are allocated as they come.
 */
void
vudb__cache_setup(struct vudb *db)
{
	struct vudb__acache *c;
	unsigned long long limit;
	size_t nsets;

	if (!(db->flags & VUDB_CACHE))
		return;
	limit = vudb__setting_u64(db, VUDB__S_LOOKUP_CACHE_SIZE);
	if (slot_ptr(db, 0) == NULL)
		limit = 0;
	if (db->acache != NULL && db->acache->limit == limit)
		return;
	vudb__cache_free(db);
	/* an entry for every ENTRY_ROOM bytes: its slot in the table and
	 * the bytes of a key and answer of the usual length */
	if (limit < 64 * 1024)
		return;
	for (nsets = 1; (nsets * 2) * WAYS * ENTRY_ROOM <= limit; nsets *= 2)
		;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return;
	/* the table comes with the first answer kept: a handle that never
	 * looks up (Dovecot's logins through the Lua module) pays nothing */
	c->nsets = nsets;
	c->limit = (size_t)limit;
	c->seed = mix(((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)c ^
	    (uint64_t)time(NULL));
	db->acache = c;
}

void
vudb__cache_free(struct vudb *db)
{
	struct vudb__acache *c = db->acache;
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; c->e != NULL && i < c->nsets * WAYS; i++)
		free(c->e[i].data);
	free(c->e);
	free(c);
	db->acache = NULL;
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
	struct centry *set, *e;
	uint64_t h, *sp;
	size_t i;
	char *a;

	if (c == NULL || c->e == NULL)
		return 0;
	h = key_hash(c, map, key, len);
	set = c->e + (h & (c->nsets - 1)) * WAYS;
	for (i = 0; i < WAYS; i++) {
		e = set + i;
		if (e->hash != h || e->map != map || e->klen != len ||
		    memcmp(e->data, key, len) != 0)
			continue;
		if (e->gen != db->gen || now_sec() - e->born >
		    VUDB__CACHE_AGE || (e->slot >= 0 &&
		    ((sp = slot_ptr(db, e->slot)) == NULL ||
		    __atomic_load_n(sp, __ATOMIC_ACQUIRE) != e->sval))) {
			entry_drop(c, e);
			break;
		}
		e->used = ++c->tick;
		c->hits++;
		if (!e->found) {
			*rc_r = VUDB_ENOTFOUND;
			return 1;
		}
		if ((a = malloc(e->alen + 1)) == NULL)
			return 0;
		memcpy(a, e->data + len, e->alen);
		a[e->alen] = '\0';
		*answer_r = a;
		*rc_r = VUDB_OK;
		return 1;
	}
	c->misses++;
	return 0;
}

/*
 * vudb__cache_put - keep the outcome rc (VUDB_OK with answer, or
 * VUDB_ENOTFOUND) of a lookup that started at generation gen, with the
 * slot noted by vudb__lookup_dep
 */
void
vudb__cache_put(struct vudb *db, int map, const char *key, size_t len,
    uint64_t gen, int rc, const char *answer)
{
	struct vudb__acache *c = db->acache;
	struct centry *set, *e, *victim;
	size_t alen, i;
	uint64_t h;
	char *data;

	if (c == NULL || db->c_nocache || (rc != VUDB_OK &&
	    rc != VUDB_ENOTFOUND) || gen != db->gen)
		return;
	if (c->e == NULL) {
		if ((c->e = calloc(c->nsets * WAYS, sizeof(*c->e))) == NULL)
			return;
		c->bytes = c->nsets * WAYS * sizeof(struct centry);
	}
	alen = rc == VUDB_OK ? strlen(answer) : 0;
	if (len > 1024 || alen > 65536)
		return;
	h = key_hash(c, map, key, len);
	set = c->e + (h & (c->nsets - 1)) * WAYS;
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
	if (c->bytes + len + alen + MALLOC_COST > c->limit)
		return;		/* full: drops make room as entries age */
	if ((data = malloc(len + alen + 1)) == NULL)
		return;
	memcpy(data, key, len);
	if (alen > 0)
		memcpy(data + len, answer, alen);
	victim->hash = h;
	victim->gen = gen;
	victim->sval = db->c_sval;
	victim->slot = (int16_t)db->c_slot;
	victim->data = data;
	victim->klen = (uint32_t)len;
	victim->alen = (uint32_t)alen;
	victim->map = (uint8_t)map;
	victim->found = rc == VUDB_OK;
	victim->used = ++c->tick;
	victim->born = (int32_t)now_sec();
	c->bytes += len + alen + MALLOC_COST;
}

/* vudb__cache_stats - hits, misses and bytes of the handle's cache */
void
vudb__cache_stats(const struct vudb *db, unsigned long long *hits,
    unsigned long long *misses, size_t *bytes)
{
	const struct vudb__acache *c = db->acache;

	*hits = c != NULL ? c->hits : 0;
	*misses = c != NULL ? c->misses : 0;
	*bytes = c != NULL ? c->bytes : 0;
}
