/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * vudb.c - the store handle: URL parsing and backend choice, store-wide
 * settings (STORE/vudb.conf), the change generation that tells long-lived
 * readers to drop what they cached, and the bounded, least-recently-used
 * cache of open domain databases.
 *
 * The generation is a 64-bit counter in the shared file STORE/generation,
 * mapped by every opener.  A writer bumps it after changing a domain record
 * or a setting; a reader compares it with the value it last saw at the start
 * of each call (one memory load) and, when it moved, re-reads vudb.conf and
 * the domain records it cached.  Ordinary user and alias changes need no
 * bump: they are read from the database on every lookup.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vudb_private.h"

#define DEFAULT_STORE	"/var/lib/vudb"
#define CONF_FILE	"vudb.conf"
#define GEN_FILE	"generation"
#define GEN_SIZE	4096

static const struct {
	const char	*name;
	enum vudb__kind	 kind;
	const char	*def;
} settings[VUDB__S_COUNT] = {
	[VUDB__S_MAIL_BASE] =		{ "mail_base", VUDB__K_PATH, "/var/vmail" },
	[VUDB__S_UID] =			{ "uid", VUDB__K_ID, "5000" },
	[VUDB__S_GID] =			{ "gid", VUDB__K_ID, "5000" },
	[VUDB__S_SCHEME] =		{ "password_scheme", VUDB__K_SCHEME, "ARGON2ID" },
	[VUDB__S_DELIM] =		{ "recipient_delimiter", VUDB__K_DELIM, "+" },
	[VUDB__S_SERVICES] =		{ "services", VUDB__K_SERVICES,
					    "imap,pop3,sieve,submission,lmtp" },
	[VUDB__S_QUOTA_BYTES] =		{ "quota_bytes", VUDB__K_SIZE, "0" },
	[VUDB__S_QUOTA_MESSAGES] =	{ "quota_messages", VUDB__K_COUNT, "0" },
	[VUDB__S_ARGON2_MEMORY] =	{ "argon2_memory", VUDB__K_COUNT, "65536" },
	[VUDB__S_ARGON2_TIME] =		{ "argon2_time", VUDB__K_COUNT, "3" },
	[VUDB__S_ARGON2_THREADS] =	{ "argon2_threads", VUDB__K_COUNT, "1" },
	[VUDB__S_BLF_COST] =		{ "blf_cost", VUDB__K_COUNT, "5" },
	[VUDB__S_SHA_ROUNDS] =		{ "sha_rounds", VUDB__K_COUNT, "5000" },
	[VUDB__S_CACHE_SIZE] =		{ "cache_size", VUDB__K_SIZE, "67108864" },
	[VUDB__S_MAX_OPEN_DOMAINS] =	{ "max_open_domains", VUDB__K_COUNT, "100000" },
	[VUDB__S_BACKEND] =		{ "backend", VUDB__K_TEXT, "bdb" },
};

const char *
vudb_version(int *major, int *minor, int *patch)
{
	if (major != NULL)
		*major = VUDB_VERSION_MAJOR;
	if (minor != NULL)
		*minor = VUDB_VERSION_MINOR;
	if (patch != NULL)
		*patch = VUDB_VERSION_PATCH;
	return VUDB_VERSION_STRING;
}

/* ------------------------------------------------------------ settings */

const char *
vudb_setting_name(size_t i)
{
	return i < VUDB__S_COUNT ? settings[i].name : NULL;
}

int
vudb__setting_index(const char *name)
{
	int i;

	for (i = 0; name != NULL && i < VUDB__S_COUNT; i++)
		if (strcmp(settings[i].name, name) == 0)
			return i;
	return -1;
}

const char *
vudb__setting(const struct vudb *db, int idx)
{
	return db->set[idx] != NULL ? db->set[idx] : settings[idx].def;
}

unsigned long long
vudb__setting_u64(const struct vudb *db, int idx)
{
	unsigned long long v;

	if (vudb__parse_u64(vudb__setting(db, idx), ~0ULL, &v) != 0 &&
	    vudb__parse_u64(settings[idx].def, ~0ULL, &v) != 0)
		v = 0;
	return v;
}

static void
pwparams_update(struct vudb *db)
{
	vudb__pwparams_default(&db->pw);
	db->pw.argon2_memory =
	    (unsigned int)vudb__setting_u64(db, VUDB__S_ARGON2_MEMORY);
	db->pw.argon2_time =
	    (unsigned int)vudb__setting_u64(db, VUDB__S_ARGON2_TIME);
	db->pw.argon2_threads =
	    (unsigned int)vudb__setting_u64(db, VUDB__S_ARGON2_THREADS);
	db->pw.blf_cost = (unsigned int)vudb__setting_u64(db, VUDB__S_BLF_COST);
	db->pw.sha_rounds =
	    (unsigned int)vudb__setting_u64(db, VUDB__S_SHA_ROUNDS);
}

/* parse_line - split "name = value"; 0 for a setting line, -1 otherwise */
static int
parse_line(char *line, char **name_r, char **value_r)
{
	char *p, *e;

	p = line + strspn(line, " \t");
	if (*p == '#' || *p == '\0' || *p == '\n')
		return -1;
	e = p + strcspn(p, " \t=");
	if (*e == '\0')
		return -1;
	*name_r = p;
	p = e + strspn(e, " \t");
	if (*p != '=')
		return -1;
	*e = '\0';
	p++;
	p += strspn(p, " \t");
	e = p + strlen(p);
	while (e > p && isspace((unsigned char)e[-1]))
		e--;
	*e = '\0';
	*value_r = p;
	return 0;
}

/*
 * vudb__settings_load - (re)read vudb.conf.  strict: a bad value fails
 * (at open); otherwise it is logged and the previous values stay.
 */
int
vudb__settings_load(struct vudb *db, int strict)
{
	char *newset[VUDB__S_COUNT] = { NULL };
	char path[4096], *line = NULL, *name, *value, *norm;
	const char *why;
	size_t cap = 0;
	struct stat sb;
	int i, lineno = 0, rc = VUDB_OK;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", db->root, CONF_FILE);
	if ((fp = fopen(path, "r")) == NULL) {
		if (errno != ENOENT)
			return vudb__seterr(db, VUDB_ESYS, "%s: %s", path,
			    strerror(errno));
		db->conf_mtime = 0;
		goto install;
	}
	if (fstat(fileno(fp), &sb) == 0)
		db->conf_mtime = (long long)sb.st_mtim.tv_sec * 1000000000LL +
		    sb.st_mtim.tv_nsec;
	while (getline(&line, &cap, fp) != -1) {
		lineno++;
		if (parse_line(line, &name, &value) != 0)
			continue;
		if ((i = vudb__setting_index(name)) < 0) {
			vudb__log(db, VUDB_LOG_WARNING,
			    "%s:%d: unknown setting %s ignored", path, lineno,
			    name);
			continue;
		}
		rc = vudb__value_norm(settings[i].kind, value, &norm, &why);
		if (rc != VUDB_OK) {
			rc = vudb__seterr(db, rc, "%s:%d: %s: %s", path,
			    lineno, name, why != NULL ? why : "out of memory");
			break;
		}
		free(newset[i]);
		newset[i] = norm;
	}
	free(line);
	fclose(fp);
	if (rc != VUDB_OK) {
		for (i = 0; i < VUDB__S_COUNT; i++)
			free(newset[i]);
		if (!strict) {
			vudb__log(db, VUDB_LOG_ERR, "%s (previous settings "
			    "kept)", db->errmsg);
			vudb__clearerr(db);
			return VUDB_OK;
		}
		return rc;
	}
install:
	for (i = 0; i < VUDB__S_COUNT; i++) {
		free(db->set[i]);
		db->set[i] = newset[i];
	}
	pwparams_update(db);
	return VUDB_OK;
}

/* conf_write - replace or remove the line of name in vudb.conf */
static int
conf_write(struct vudb *db, const char *name, const char *value)
{
	char path[4096], tmp[4096], *line = NULL, *copy, *n, *v;
	size_t cap = 0;
	int fd = -1, lockfd, done = 0, rc = VUDB_OK;
	FILE *in, *out;

	snprintf(path, sizeof(path), "%s/%s", db->root, CONF_FILE);
	snprintf(tmp, sizeof(tmp), "%s/.%s.lock", db->root, CONF_FILE);
	/* one writer at a time: read, change and replace under a lock */
	if ((lockfd = open(tmp, O_RDWR | O_CREAT | O_CLOEXEC, 0660)) == -1 ||
	    flock(lockfd, LOCK_EX) == -1) {
		rc = vudb__seterr(db, VUDB_ESYS, "%s: %s", tmp,
		    strerror(errno));
		if (lockfd != -1)
			close(lockfd);
		return rc;
	}
	snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", db->root, CONF_FILE);
	if ((fd = mkstemp(tmp)) == -1 || (out = fdopen(fd, "w")) == NULL) {
		rc = vudb__seterr(db, VUDB_ESYS, "%s: %s", tmp,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		close(lockfd);
		return rc;
	}
	if ((in = fopen(path, "r")) != NULL) {
		while (getline(&line, &cap, in) != -1) {
			if ((copy = strdup(line)) == NULL) {
				rc = VUDB_ENOMEM;
				break;
			}
			if (parse_line(copy, &n, &v) == 0 &&
			    strcmp(n, name) == 0) {
				if (value != NULL && !done)
					fprintf(out, "%s = %s\n", name, value);
				done = 1;
			} else
				fputs(line, out);
			free(copy);
		}
		free(line);
		fclose(in);
	} else
		fputs("# vudb.conf - store-wide settings; see vudb.conf(5).\n"
		    "# Change with: vudbadm set NAME VALUE\n", out);
	if (!done && value != NULL)
		fprintf(out, "%s = %s\n", name, value);
	if (fflush(out) != 0 || fsync(fileno(out)) != 0) {
		if (rc == VUDB_OK)
			rc = vudb__seterr(db, VUDB_ESYS, "%s: %s", tmp,
			    strerror(errno));
	}
	(void)fchmod(fileno(out), 0660);
	fclose(out);
	if (rc == VUDB_OK && rename(tmp, path) != 0)
		rc = vudb__seterr(db, VUDB_ESYS, "%s: %s", path,
		    strerror(errno));
	if (rc != VUDB_OK)
		(void)unlink(tmp);
	else if ((fd = open(db->root, O_RDONLY | O_DIRECTORY)) != -1) {
		(void)fsync(fd);
		close(fd);
	}
	close(lockfd);
	return rc;
}

int
vudb_setting_get(struct vudb *db, const char *name, const char **value_r)
{
	int i, rc;

	if (value_r != NULL)
		*value_r = NULL;
	if (db == NULL || value_r == NULL)
		return VUDB_EINVAL;
	vudb__clearerr(db);
	if ((i = vudb__setting_index(name)) < 0)
		return vudb__seterr(db, VUDB_EINVAL, "unknown setting: %s",
		    name != NULL ? name : "(null)");
	if ((rc = vudb__refresh(db)) != VUDB_OK)
		return rc;
	*value_r = vudb__setting(db, i);
	return VUDB_OK;
}

int
vudb_setting_set(struct vudb *db, const char *name, const char *value)
{
	char *norm = NULL;
	const char *why;
	int i, rc;

	if (db == NULL)
		return VUDB_EINVAL;
	vudb__clearerr(db);
	if ((i = vudb__setting_index(name)) < 0)
		return vudb__seterr(db, VUDB_EINVAL, "unknown setting: %s",
		    name != NULL ? name : "(null)");
	if (db->flags & VUDB_RDONLY)
		return vudb__seterr(db, VUDB_ERDONLY, "store opened read-only");
	if (i == VUDB__S_BACKEND)
		return vudb__seterr(db, VUDB_EINVAL, "backend: fixed when the "
		    "store is made (vudbadm convert copies a store to another "
		    "backend)");
	if (value != NULL) {
		rc = vudb__value_norm(settings[i].kind, value, &norm, &why);
		if (rc != VUDB_OK)
			return vudb__seterr(db, rc, "%s: %s", name,
			    why != NULL ? why : "out of memory");
	}
	if ((rc = conf_write(db, name, norm)) != VUDB_OK) {
		free(norm);
		return rc;
	}
	free(db->set[i]);
	db->set[i] = norm;
	pwparams_update(db);
	vudb__bump_gen(db);
	return VUDB_OK;
}

const char *
vudb_setting_note(struct vudb *db, const char *name)
{
	if (db == NULL || vudb__setting_index(name) < 0)
		return NULL;
	return vudb__store_note(db, name);
}

/* ------------------------------------------------------------ generation */

/*
 * gen_usable - whether the generation file can be mapped without a fault:
 * a page without a block on a full file system is a SIGBUS at the first
 * touch, not an error (tmpfs allocates even for a read).  A writer
 * allocates the page; a reader takes a sparse file only while the file
 * system has room.
 */
static int
gen_usable(int fd, int writer)
{
	struct statvfs vfs;
	struct stat sb;
	int ret;

	if (writer) {
		do
			ret = posix_fallocate(fd, 0, GEN_SIZE);
		while (ret == EINTR);
		/* a file system that cannot allocate ahead: as before */
		return ret == 0 || ret == EOPNOTSUPP || ret == EINVAL;
	}
	if (fstat(fd, &sb) != 0 || sb.st_size < GEN_SIZE)
		return 0;
	return (unsigned long long)sb.st_blocks * 512 >= GEN_SIZE ||
	    (fstatvfs(fd, &vfs) == 0 &&
	    (unsigned long long)vfs.f_bavail * vfs.f_frsize >= 1024 * 1024);
}

static void
gen_map(struct vudb *db)
{
	char path[4096];
	void *p;
	int fd, prot = PROT_READ;

	snprintf(path, sizeof(path), "%s/%s", db->root, GEN_FILE);
	fd = -1;
	if (!(db->flags & VUDB_RDONLY)) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0660);
		if (fd != -1) {
			struct stat sb;

			if (fstat(fd, &sb) == 0 && sb.st_size < GEN_SIZE) {
				(void)ftruncate(fd, GEN_SIZE);
				(void)fchmod(fd, 0660);
			}
			prot |= PROT_WRITE;
		}
	}
	if (fd == -1 && (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		vudb__log(db, VUDB_LOG_WARNING, "%s: %s: every call re-reads "
		    "domain records", path, strerror(errno));
		return;
	}
	if (!gen_usable(fd, prot & PROT_WRITE)) {
		close(fd);
		vudb__log(db, VUDB_LOG_WARNING, "%s: the file system is full: "
		    "every call re-reads domain records", path);
		return;
	}
	p = mmap(NULL, GEN_SIZE, prot, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return;
	db->genp = p;
	db->genlen = GEN_SIZE;
	db->gen = __atomic_load_n(db->genp, __ATOMIC_ACQUIRE);
}

void
vudb__bump_gen(struct vudb *db)
{
	if (db->genp != NULL && !(db->flags & VUDB_RDONLY))
		__atomic_add_fetch(db->genp, 1, __ATOMIC_ACQ_REL);
	db->localgen++;
}

/*
 * vudb__refresh - at the start of a call: if the backend lost its store
 * (a Berkeley DB panic after a crash or a damaged page), reopen it; if the
 * store changed since the last call, re-read the settings (cached domain
 * records are re-read as they are next used).  Returns VUDB_OK or the
 * failure of a reopen.
 */
int
vudb__refresh(struct vudb *db)
{
	struct timespec ts;
	struct stat sb;
	char path[4096];
	uint64_t g;
	int rc;

	if (!vudb__store_alive(db)) {
		if (db->txn != NULL) {
			(void)vudb__txn_finish(db, 0);
			db->txn = NULL;
			db->txn_dom = NULL;
		}
		while (db->lru_head != NULL)
			vudb__dom_drop(db, db->lru_head);
		if ((rc = vudb__store_reopen(db)) != VUDB_OK)
			return rc;
		db->localgen++;
	}
	if (db->genp != NULL) {
		g = __atomic_load_n(db->genp, __ATOMIC_ACQUIRE) +
		    db->localgen;
		if (g == db->gen) {
			/* a hand edit of vudb.conf moves no counter: look
			 * at the file once a second */
			if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) != 0 ||
			    ts.tv_sec == db->conf_checked)
				return VUDB_OK;
			db->conf_checked = ts.tv_sec;
			snprintf(path, sizeof(path), "%s/%s", db->root,
			    CONF_FILE);
			if (stat(path, &sb) != 0 ||
			    (long long)sb.st_mtim.tv_sec * 1000000000LL +
			    sb.st_mtim.tv_nsec == db->conf_mtime)
				return VUDB_OK;
			db->localgen++;	/* cached domain records too */
			db->gen++;
			return vudb__settings_load(db, 0);
		}
		db->gen = g;
	} else
		db->gen++;
	snprintf(path, sizeof(path), "%s/%s", db->root, CONF_FILE);
	if (stat(path, &sb) == 0 && (long long)sb.st_mtim.tv_sec *
	    1000000000LL + sb.st_mtim.tv_nsec == db->conf_mtime)
		return VUDB_OK;
	return vudb__settings_load(db, 0);
}

/*
 * vudb__again - after rc, the failure of a call that only reads: whether
 * the store was lost under it (another process recovered it, or a page
 * was damaged) and is open again now, so that the call may be made once
 * more.  Never inside a batch, which the loss ended.
 */
int
vudb__again(struct vudb *db, int rc)
{
	if (rc == VUDB_OK || rc == VUDB_ENOTFOUND || db->txn != NULL ||
	    vudb__store_alive(db))
		return 0;
	return vudb__refresh(db) == VUDB_OK;
}

int
vudb_check(struct vudb *db)
{
	if (db == NULL)
		return VUDB_EINVAL;
	vudb__clearerr(db);
	/* the store as it is: no reopen first, which would leave the
	 * threads that wait in the lost one out of sight */
	return vudb__store_check(db);
}

/* ------------------------------------------------------------ domain cache */

static size_t
name_hash(const char *s)
{
	size_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void
lru_unlink(struct vudb *db, struct vudb__dom *d)
{
	if (d->prev != NULL)
		d->prev->next = d->next;
	else
		db->lru_head = d->next;
	if (d->next != NULL)
		d->next->prev = d->prev;
	else
		db->lru_tail = d->prev;
	d->prev = d->next = NULL;
}

static void
lru_push(struct vudb *db, struct vudb__dom *d)
{
	d->prev = NULL;
	d->next = db->lru_head;
	if (db->lru_head != NULL)
		db->lru_head->prev = d;
	db->lru_head = d;
	if (db->lru_tail == NULL)
		db->lru_tail = d;
}

/*
 * Open domain databases of all handles of the process, and how many the
 * descriptor limit allows them (half of it): a program with a handle per
 * thread shares one budget.
 */
static size_t	open_doms;
static size_t	open_doms_max = (size_t)-1;

/* An empty domain record: the meta of a domain not read yet. */
static const struct vudb__rec no_meta = { VUDB_DOMAIN, 0, { { 0, 0, NULL } } };

/* meta_free - let go of d's domain record */
static void
meta_free(struct vudb__dom *d)
{
	if (d->meta != &no_meta) {
		vudb__rec_clear(d->meta);
		free(d->meta);
	}
	d->meta = (struct vudb__rec *)&no_meta;
}

/*
 * meta_keep - make d's domain record a copy of rec with room for its
 * fields only: an open domain costs less than a full record (which has
 * room for every field), and a process may keep 100,000 open.  rec's
 * values move to the copy.
 */
static int
meta_keep(struct vudb__dom *d, struct vudb__rec *rec)
{
	struct vudb__rec *m;

	m = malloc(offsetof(struct vudb__rec, f) + (rec->n > 0 ? rec->n : 1) *
	    sizeof(rec->f[0]));
	if (m == NULL)
		return VUDB_ENOMEM;
	m->type = rec->type;
	m->n = rec->n;
	memcpy(m->f, rec->f, rec->n * sizeof(rec->f[0]));
	rec->n = 0;
	meta_free(d);
	d->meta = m;
	return VUDB_OK;
}

/* vudb__dom_drop - close one cached domain database */
void
vudb__dom_drop(struct vudb *db, struct vudb__dom *d)
{
	struct vudb__dom **pp;

	for (pp = &db->htab[name_hash(d->name) & (db->hsize - 1)]; *pp != NULL;
	    pp = &(*pp)->hnext)
		if (*pp == d) {
			*pp = d->hnext;
			break;
		}
	lru_unlink(db, d);
	if (db->last_dom == d)
		db->last_dom = NULL;
	db->ndoms--;
	__atomic_sub_fetch(&open_doms, 1, __ATOMIC_RELAXED);
	vudb__store_dom_close(db, d->h);
	meta_free(d);
	free(d->oldkeys);
	free(d);
}

/*
 * dom_grow - double the domain hash table once it holds as many domains
 * as buckets: a program that opens one domain keeps a small table, and
 * one that opens 100,000 keeps its chains short.  Out of memory, the
 * table stays as it is (longer chains, still correct).
 */
static void
dom_grow(struct vudb *db)
{
	struct vudb__dom **nt, *d, *next;
	size_t i, b, n = db->hsize * 2;

	if (db->ndoms < db->hsize || n > (1u << 20) ||
	    (nt = calloc(n, sizeof(*nt))) == NULL)
		return;
	for (i = 0; i < db->hsize; i++)
		for (d = db->htab[i]; d != NULL; d = next) {
			next = d->hnext;
			b = name_hash(d->name) & (n - 1);
			d->hnext = nt[b];
			nt[b] = d;
		}
	free(db->htab);
	db->htab = nt;
	db->hsize = n;
}

/* dom_insert - cache a newly opened domain database (h stays the
 * caller's on failure) */
static int
dom_insert(struct vudb *db, const char *domain, void *h,
    struct vudb__dom **dom_r)
{
	struct vudb__dom *d, *victim;
	size_t b;

	dom_grow(db);
	b = name_hash(domain) & (db->hsize - 1);
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return VUDB_ENOMEM;
	d->namelen = (size_t)snprintf(d->name, sizeof(d->name), "%s", domain);
	d->h = h;
	d->meta = (struct vudb__rec *)&no_meta;
	d->hnext = db->htab[b];
	db->htab[b] = d;
	lru_push(db, d);
	db->ndoms++;
	/* Keep the cache bounded: close the least recently used. */
	for (victim = db->lru_tail; victim != NULL &&
	    (db->ndoms > db->maxdoms ||
	    __atomic_load_n(&open_doms, __ATOMIC_RELAXED) >=
	    __atomic_load_n(&open_doms_max, __ATOMIC_RELAXED));) {
		struct vudb__dom *prev = victim->prev;

		if (victim != d && victim != db->txn_dom)
			vudb__dom_drop(db, victim);
		victim = prev;
	}
	__atomic_add_fetch(&open_doms, 1, __ATOMIC_RELAXED);
	*dom_r = d;
	return VUDB_OK;
}

/*
 * dom_shrink - the backend has no room for one more open database
 * (Berkeley DB's shared regions are sized when they are made, and every
 * process draws on them): close the least recently used quarter of this
 * handle's domains, and keep no more open from now on.  The most recently
 * used stays: a caller may hold it while it opens another.  Returns
 * whether any was closed.
 */
static int
dom_shrink(struct vudb *db)
{
	struct vudb__dom *d, *prev;
	size_t keep, before = db->ndoms;

	if (db->ndoms < 2)
		return 0;
	keep = db->ndoms - (db->ndoms / 4 > 0 ? db->ndoms / 4 : 1);
	for (d = db->lru_tail; d != NULL && d != db->lru_head &&
	    db->ndoms > keep; d = prev) {
		prev = d->prev;
		if (d != db->txn_dom)
			vudb__dom_drop(db, d);
	}
	if (db->ndoms == before)
		return 0;
	/* this many, and the one being opened */
	db->maxdoms = db->ndoms + 1;
	vudb__log(db, VUDB_LOG_WARNING, "no room for another open domain "
	    "(%s): keeping at most %zu open", db->errmsg, db->maxdoms);
	return 1;
}

/*
 * vudb__dom_get - the open database of a domain (canonical name), from the
 * cache or newly opened.  create: make the file if missing.  Returns
 * VUDB_OK, VUDB_ENOTFOUND (no file) or a failure.
 */
int
vudb__dom_get(struct vudb *db, const char *domain, int create,
    struct vudb__dom **dom_r)
{
	struct vudb__dom *d;
	size_t b;
	void *h;
	int rc;

	*dom_r = NULL;
	b = name_hash(domain) & (db->hsize - 1);
	for (d = db->htab[b]; d != NULL; d = d->hnext)
		if (strcmp(d->name, domain) == 0) {
			if (d != db->lru_head) {
				lru_unlink(db, d);
				lru_push(db, d);
			}
			*dom_r = d;
			return VUDB_OK;
		}
	do
		rc = vudb__store_dom_open(db, domain, create, &h);
	while (rc == VUDB_ENOMEM && dom_shrink(db));
	if (rc != VUDB_OK)
		return rc;
	if ((rc = dom_insert(db, domain, h, dom_r)) != VUDB_OK)
		vudb__store_dom_close(db, h);
	return rc;
}

/*
 * vudb__dom_build - start a batch that makes a domain which has no file
 * yet: the backend builds it out of sight and publishes it whole at
 * commit.  Returns VUDB_ENOTSUP when the backend cannot (the caller then
 * creates the file), VUDB_EEXIST when the file appeared meanwhile.
 */
int
vudb__dom_build(struct vudb *db, const char *domain, struct vudb__dom **dom_r,
    void **txn_r)
{
	void *h;
	int rc;

	*dom_r = NULL;
	*txn_r = NULL;
	if ((rc = vudb__store_build_begin(db, domain, &h, txn_r)) != VUDB_OK)
		return rc;
	if ((rc = dom_insert(db, domain, h, dom_r)) != VUDB_OK) {
		(void)vudb__store_build_end(db, *txn_r, 0);
		*txn_r = NULL;
	}
	return rc;
}

/*
 * vudb__dom_unbuilt - forget the cached handle of a finished build (the
 * backend has closed it): the next use opens the published file.
 */
void
vudb__dom_unbuilt(struct vudb *db, struct vudb__dom *d)
{
	d->h = NULL;
	vudb__dom_drop(db, d);
}

/*
 * vudb__txn_finish - commit (commit set) or abort the backend transaction
 * of the open batch.  A build's handle is closed by the backend either
 * way, and its domain leaves the cache (txn_dom becomes NULL).
 */
int
vudb__txn_finish(struct vudb *db, int commit)
{
	int rc = VUDB_OK;

	if (db->txn_build) {
		rc = vudb__store_build_end(db, db->txn, commit);
		if (db->txn_dom != NULL)
			vudb__dom_unbuilt(db, db->txn_dom);
		db->txn_dom = NULL;
		db->txn_build = 0;
	} else if (commit)
		rc = vudb__store_commit(db, db->txn);
	else
		vudb__store_abort(db, db->txn);
	return rc;
}

int
vudb_sync(struct vudb *db)
{
	int rc;

	if (db == NULL)
		return VUDB_EINVAL;
	vudb__clearerr(db);
	if (!(db->flags & VUDB_BULK))
		return VUDB_OK;
	rc = vudb__store_sync(db);
	/* published domains: long-lived readers look again */
	vudb__bump_gen(db);
	return rc;
}

/*
 * vudb__dom_meta - make sure d's domain record is current.  Returns
 * VUDB_OK (meta_state says whether the domain exists) or a failure.
 */
int
vudb__dom_meta(struct vudb *db, struct vudb__dom *d)
{
	struct vudb__rec rec;
	const char *v;
	int rc;

	/* a batch that changes the domain record marks it unknown */
	if (d->meta_state != VUDB__META_UNKNOWN && d->meta_gen == db->gen)
		return VUDB_OK;
	meta_free(d);
	d->meta_state = VUDB__META_UNKNOWN;
	rc = vudb__store_get(db, d, db->txn_dom == d ? db->txn : NULL, "D", 1,
	    &db->buf);
	if (rc == VUDB_ENOTFOUND) {
		d->meta_state = VUDB__META_NONE;
		d->meta_gen = db->gen;
		return VUDB_OK;
	}
	if (rc != VUDB_OK)
		return rc;
	rc = vudb__rec_decode(db->buf.data, db->buf.len, VUDB_DOMAIN, &rec);
	if (rc != VUDB_OK)
		return vudb__seterr(db, rc, "%s: domain record: %s", d->name,
		    vudb_strerror(rc));
	if ((rc = meta_keep(d, &rec)) != VUDB_OK) {
		vudb__rec_clear(&rec);
		return rc;
	}
	v = vudb__rec_get(d->meta, VUDB__D_DELETED);
	d->meta_state = v != NULL && strcmp(v, "yes") == 0 ?
	    VUDB__META_NONE : VUDB__META_OK;
	v = vudb__rec_get(d->meta, VUDB__D_ENABLED);
	d->enabled = v == NULL || strcmp(v, "yes") == 0;
	v = vudb__rec_get(d->meta, VUDB__D_KIND);
	d->is_alias = v != NULL && strcmp(v, "alias") == 0;
	d->target = vudb__rec_get(d->meta, VUDB__D_TARGET);
	v = vudb__rec_get(d->meta, VUDB__D_CATCHALL);
	d->catchall = v == NULL || strcmp(v, "yes") == 0;
	d->delim = vudb__rec_get(d->meta, VUDB__D_DELIM);
	d->meta_gen = db->gen;
	return VUDB_OK;
}

/*
 * vudb__dom_find - the open database of an existing domain, its record
 * current.  A cached database whose domain is gone is closed and the
 * domain looked for once more: the file may have been replaced (a domain
 * deleted and added again).  Returns VUDB_OK, VUDB_ENOTFOUND or a failure.
 */
int
vudb__dom_find(struct vudb *db, const char *domain, struct vudb__dom **d_r)
{
	struct vudb__dom *d;
	int rc, tries;

	*d_r = NULL;
	for (tries = 0; tries < 2; tries++) {
		if ((rc = vudb__dom_get(db, domain, 0, &d)) != VUDB_OK)
			return rc;
		if ((rc = vudb__dom_meta(db, d)) != VUDB_OK)
			return rc;
		if (d->meta_state == VUDB__META_OK) {
			*d_r = d;
			return VUDB_OK;
		}
		if (db->txn_dom == d)
			break;
		/* let go of the file, so that it can be removed */
		vudb__dom_drop(db, d);
	}
	return VUDB_ENOTFOUND;
}

static int
add_name(void *arg, const char *domain)
{
	struct vudb__names *nm = arg;
	char **p;

	if (nm->n == nm->cap) {
		nm->cap = nm->cap ? nm->cap * 2 : 64;
		if ((p = realloc(nm->v, nm->cap * sizeof(*p))) == NULL)
			return VUDB_ENOMEM;
		nm->v = p;
	}
	if ((nm->v[nm->n] = strdup(domain)) == NULL)
		return VUDB_ENOMEM;
	nm->n++;
	return 0;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * vudb__domain_names - the names of the store's domain files, in name
 * order (files of deleted domains and unfinished adds included)
 */
int
vudb__domain_names(struct vudb *db, struct vudb__names *nm)
{
	int rc;

	if ((rc = vudb__store_dom_list(db, add_name, nm)) != VUDB_OK)
		return rc;
	if (nm->n > 1)
		qsort(nm->v, nm->n, sizeof(*nm->v), cmp_name);
	return VUDB_OK;
}

void
vudb__names_free(struct vudb__names *nm)
{
	size_t i;

	for (i = 0; i < nm->n; i++)
		free(nm->v[i]);
	free(nm->v);
	memset(nm, 0, sizeof(*nm));
}

/* ------------------------------------------------------------ open, close */

static const char bad_path[] = "invalid store path";

/*
 * url_parse - the one parser of store URLs: "scheme:location" (a scheme is
 * lower-case letters) or a plain path, whose scheme is "".  NULL means
 * $VUDB_STORE, else the default store.  Returns VUDB_OK, or VUDB_EINVAL /
 * VUDB_ENOTSUP with why.
 */
static int
url_parse(const char *url, char scheme[16], const char **loc_r,
    const char **why_r)
{
	const char *colon, *p;
	int compiled;

	if (url == NULL && (url = getenv("VUDB_STORE")) == NULL)
		url = DEFAULT_STORE;
	scheme[0] = '\0';
	*loc_r = url;
	*why_r = NULL;
	colon = strchr(url, ':');
	for (p = url; colon != NULL && p < colon; p++)
		if (!islower((unsigned char)*p))
			colon = NULL;
	if (colon != NULL && colon != url && colon - url < 16) {
		memcpy(scheme, url, (size_t)(colon - url));
		scheme[colon - url] = '\0';
		*loc_r = colon + 1;
		if (vudb__backend_find(scheme, strlen(scheme), &compiled) ==
		    NULL) {
			*why_r = compiled < 0 ? "unknown backend" :
			    "backend not compiled in";
			return compiled < 0 ? VUDB_EINVAL : VUDB_ENOTSUP;
		}
	}
	if ((*loc_r)[0] == '\0' || strlen(*loc_r) > 3000) {
		*why_r = bad_path;
		return VUDB_EINVAL;
	}
	return VUDB_OK;
}

int
vudb_store_split(const char *store, char **scheme_r, char **location_r)
{
	const char *loc, *why;
	char scheme[16];
	int rc;

	if (scheme_r != NULL)
		*scheme_r = NULL;
	if (location_r != NULL)
		*location_r = NULL;
	if ((rc = url_parse(store, scheme, &loc, &why)) != VUDB_OK)
		return rc;
	if (scheme_r != NULL && (*scheme_r = strdup(scheme)) == NULL)
		return VUDB_ENOMEM;
	if (location_r != NULL && (*location_r = strdup(loc)) == NULL) {
		if (scheme_r != NULL) {
			free(*scheme_r);
			*scheme_r = NULL;
		}
		return VUDB_ENOMEM;
	}
	return VUDB_OK;
}

int
vudb_store_url(const char *store, char **url_r)
{
	const struct vudb_backend *be = NULL;
	const char *loc, *why;
	char scheme[16], cwd[4096];
	int rc, compiled;

	if (url_r == NULL)
		return VUDB_EINVAL;
	*url_r = NULL;
	if ((rc = url_parse(store, scheme, &loc, &why)) != VUDB_OK) {
		/* as given: vudb_open() says what is wrong with it */
		if (store == NULL && (store = getenv("VUDB_STORE")) == NULL)
			store = DEFAULT_STORE;
		*url_r = strdup(store);
		return *url_r == NULL ? VUDB_ENOMEM : VUDB_OK;
	}
	if (scheme[0] != '\0')
		be = vudb__backend_find(scheme, strlen(scheme), &compiled);
	/* a directory of this host, named relative to where we are */
	if (loc[0] != '/' && (be == NULL || (be->caps & VUDB_CAP_DIR)) &&
	    getcwd(cwd, sizeof(cwd)) != NULL)
		rc = asprintf(url_r, "%s%s%s/%s", scheme, scheme[0] ? ":" : "",
		    cwd, loc);
	else
		rc = asprintf(url_r, "%s%s%s", scheme, scheme[0] ? ":" : "",
		    loc);
	if (rc < 0) {
		*url_r = NULL;
		return VUDB_ENOMEM;
	}
	return VUDB_OK;
}

const char *
vudb_store_location(const struct vudb *db)
{
	return db != NULL ? db->root : NULL;
}

const char *
vudb_store_backend(const struct vudb *db)
{
	return db != NULL ? vudb__store_name(db) : NULL;
}

int
vudb_store_size(struct vudb *db, unsigned long long *bytes_r)
{
	int rc;

	if (bytes_r != NULL)
		*bytes_r = 0;
	if (db == NULL || bytes_r == NULL)
		return VUDB_EINVAL;
	vudb__clearerr(db);
	if ((rc = vudb__refresh(db)) != VUDB_OK)
		return rc;
	return vudb__store_size(db, bytes_r);
}

int
vudb_domain_size(struct vudb *db, const char *domain,
    unsigned long long *bytes_r)
{
	char local[VUDB__LOCAL_MAX + 1], dom[VUDB__DOMAIN_MAX + 1];
	int rc, catchall;

	if (bytes_r != NULL)
		*bytes_r = 0;
	if (db == NULL || bytes_r == NULL)
		return VUDB_EINVAL;
	vudb__clearerr(db);
	if ((rc = vudb__refresh(db)) != VUDB_OK)
		return rc;
	if ((rc = vudb__split(db, VUDB_DOMAIN, domain, local, dom,
	    &catchall)) != VUDB_OK)
		return rc;
	rc = vudb__store_dom_size(db, dom, bytes_r);
	if (rc == VUDB_ENOTFOUND)
		vudb__seterr(db, rc, "%s: no such domain", dom);
	return rc;
}

/*
 * choose_backend - a plain path takes the backend recorded in the store's
 * vudb.conf (bdb for stores that record none); a URL's scheme must agree
 * with it.  "fail" wraps the store's own backend.
 */
static int
choose_backend(struct vudb *db, const char *scheme)
{
	const char *stored = db->set[VUDB__S_BACKEND], *env;
	const struct vudb_backend *be;
	const char *name = scheme[0] != '\0' ? scheme : stored;

	if (strcmp(scheme, "fail") != 0 && scheme[0] != '\0' &&
	    stored != NULL && strcmp(stored, scheme) != 0)
		return vudb__seterr(db, VUDB_EINVAL, "%s: a %s store, not %s",
		    db->root, stored, scheme);
	if (name == NULL && (be = vudb__backend_probe(db->root)) != NULL)
		name = be->name;
	/* a new store without a scheme: $VUDB_BACKEND, else the default */
	if (name == NULL && (db->flags & VUDB_CREATE) &&
	    (env = getenv("VUDB_BACKEND")) != NULL && env[0] != '\0')
		name = env;
	if (name == NULL)
		name = settings[VUDB__S_BACKEND].def;
	return vudb__backend_named(&db->ctx, name, &db->be);
}

int
vudb_open(const char *store, int flags, struct vudb **db_r)
{
	struct vudb *db = NULL;
	const char *path, *why;
	char sub[4096], scheme[16];
	struct rlimit rl;
	struct stat sb;
	unsigned int fds;
	int rc;

	vudb__open_seterr("%s", "");
	if (db_r == NULL)
		return VUDB_EINVAL;
	*db_r = NULL;
	if ((flags & ~(VUDB_RDONLY | VUDB_CREATE | VUDB_BULK |
	    VUDB_RECOVER)) != 0 || ((flags & VUDB_RDONLY) &&
	    (flags & (VUDB_CREATE | VUDB_BULK | VUDB_RECOVER)))) {
		vudb__open_seterr("invalid flags");
		return VUDB_EINVAL;
	}
	if ((rc = url_parse(store, scheme, &path, &why)) != VUDB_OK) {
		if (why == bad_path)
			vudb__open_seterr("%s", why);
		else
			vudb__open_seterr("%s: %s", scheme, why);
		return rc;
	}
	if ((db = calloc(1, sizeof(*db))) == NULL ||
	    (db->root = strdup(path)) == NULL) {
		free(db);
		return VUDB_ENOMEM;
	}
	db->flags = flags;
	db->ctx.db = db;
	/* The store: a directory with a domains/ directory. */
	if (flags & VUDB_CREATE) {
		if (mkdir(path, 02770) == 0)
			(void)chmod(path, 02770);
		else if (errno != EEXIST) {
			vudb__open_seterr("%s: %s", path, strerror(errno));
			rc = errno == ENOENT ? VUDB_ENOSTORE : VUDB_ESYS;
			goto fail;
		}
	}
	snprintf(sub, sizeof(sub), "%s/domains", path);
	if (!(flags & VUDB_CREATE) && stat(sub, &sb) != 0) {
		vudb__open_seterr("%s: %s", path, errno == ENOENT ?
		    "no store here (vudbadm init makes one)" :
		    strerror(errno));
		rc = errno == ENOENT ? VUDB_ENOSTORE : VUDB_ESYS;
		goto fail;
	}
	if ((rc = vudb__settings_load(db, 1)) != VUDB_OK) {
		vudb__open_seterr("%s", db->errmsg);
		goto fail;
	}
	if ((rc = choose_backend(db, scheme)) != VUDB_OK) {
		vudb__open_seterr("%s", db->errmsg);
		goto fail;
	}
	/* a new store records its backend */
	if ((flags & VUDB_CREATE) && db->set[VUDB__S_BACKEND] == NULL &&
	    strcmp(vudb__store_name(db), "fail") != 0) {
		if ((rc = conf_write(db, "backend", vudb__store_name(db))) !=
		    VUDB_OK || (db->set[VUDB__S_BACKEND] =
		    strdup(vudb__store_name(db))) == NULL) {
			vudb__open_seterr("%s", db->errmsg);
			rc = rc != VUDB_OK ? rc : VUDB_ENOMEM;
			goto fail;
		}
	}
	db->maxdoms = vudb__setting_u64(db, VUDB__S_MAX_OPEN_DOMAINS);
	/* open domains hold descriptors (three with LMDB): leave at least
	 * half of the process's limit to the program */
	fds = vudb__store_fds(db);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		if (db->maxdoms > rl.rlim_cur / (2 * fds))
			db->maxdoms = rl.rlim_cur / (2 * fds);
		__atomic_store_n(&open_doms_max, (size_t)(rl.rlim_cur /
		    (2 * fds)), __ATOMIC_RELAXED);
	}
	if (db->maxdoms < 1)
		db->maxdoms = 1;
	db->hsize = 64;		/* grows with the open domains */
	if ((db->htab = calloc(db->hsize, sizeof(*db->htab))) == NULL) {
		rc = VUDB_ENOMEM;
		goto fail;
	}
	gen_map(db);
	if ((rc = vudb__store_open(db, path, flags)) != VUDB_OK) {
		vudb__open_seterr("%s", db->errmsg[0] ? db->errmsg :
		    vudb_strerror(rc));
		goto fail;
	}
	*db_r = db;
	return VUDB_OK;
fail:
	db->be = NULL;
	vudb_close(db);
	return rc;
}

void
vudb_close(struct vudb *db)
{
	int i;

	if (db == NULL)
		return;
	if (db->txn != NULL)
		(void)vudb_abort(db);
	while (db->lru_head != NULL)
		vudb__dom_drop(db, db->lru_head);
	if (db->be != NULL && db->st != NULL) {
		if ((db->flags & VUDB_BULK) && vudb__store_sync(db) != VUDB_OK)
			vudb__log(db, VUDB_LOG_ERR, "closing: %s", db->errmsg);
		if (db->flags & VUDB_BULK)
			vudb__bump_gen(db);
		vudb__store_close(db);
	}
	if (db->genp != NULL)
		munmap(db->genp, db->genlen);
	for (i = 0; i < VUDB__S_COUNT; i++)
		free(db->set[i]);
	free(db->htab);
	free(db->buf.data);
	free(db->setval);
	free(db->root);
	free(db);
}
