/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * lmfds.c - the descriptors an LMDB reader holds per open domain (issue 17,
 * item 3), counted in /proc/self/fd, with what each one is.
 *
 *	lmfds make STORE N	a store of N domains d0.example ..., each
 *				with the user u@dI.example
 *	lmfds read STORE N MAX	a reader whose every handle is read-only
 *				(VUDB_RDONLY | VUDB_CACHE, as vudb-mapd and
 *				the Dovecot Lua module) looks up the user of
 *				each domain; fails if it then holds more than
 *				MAX descriptors per domain, or if a lookup
 *				fails
 *	lmfds mixed STORE	a process with a read-only handle that has
 *				read a domain, then a writer handle that
 *				changes it (the file opened read-only first
 *				is reopened for writing), then the reader
 *				again: it sees the change; a second reader
 *				opened beside the writer shares the file
 *	lmfds threads STORE	the same with the reader in a thread of its
 *				own that looks the user up all the time:
 *				the file is reopened for writing under its
 *				reads, every answer is the old or a new one
 *
 * Prints the descriptors of the store by kind ("data", "lock", other) and
 * "lmfds: N checks, M failed".  Exit 0, 1 (a check failed) or 99 (setup).
 */
#include "config.h"

#include <dirent.h>
#include <pthread.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vudb.h"

static int checks, failed;

static void
check(int cond, const char *what)
{
	checks++;
	if (!cond) {
		failed++;
		printf("FAIL: %s\n", what);
	}
}

struct fds {
	int	all, data, lock, other;
};

/* count - this process's descriptors, and those on files under root */
static void
count(const char *root, struct fds *f)
{
	char t[PATH_MAX];
	struct dirent *de;
	DIR *d;
	ssize_t n;
	size_t rl = strlen(root);

	memset(f, 0, sizeof(*f));
	if ((d = opendir("/proc/self/fd")) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(d))
			continue;
		f->all++;
		if ((n = readlinkat(dirfd(d), de->d_name, t,
		    sizeof(t) - 1)) < 0)
			continue;
		t[n] = '\0';
		if (strncmp(t, root, rl) != 0)
			continue;
		n = (ssize_t)strlen(t);
		if (n > 9 && strcmp(t + n - 9, ".mdb-lock") == 0)
			f->lock++;
		else if (n > 4 && strcmp(t + n - 4, ".mdb") == 0)
			f->data++;
		else
			f->other++;
	}
	closedir(d);
}

static void
show(const char *when, const struct fds *f)
{
	printf("%s: %d descriptors; of the store: %d data files, %d lock "
	    "files, %d other\n", when, f->all, f->data, f->lock, f->other);
}

static struct vudb *
open_or_die(const char *store, int flags)
{
	struct vudb *db;

	if (vudb_open(store, flags, &db) != VUDB_OK) {
		fprintf(stderr, "lmfds: %s: %s\n", store, vudb_open_errmsg());
		exit(99);
	}
	return db;
}

static int
make(const char *store, int n)
{
	const char *uattrs[] = { "password", "{PLAIN}x", NULL };
	struct vudb *db;
	char name[64];
	int i, rc;

	db = open_or_die(store, VUDB_CREATE);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "d%d.example", i);
		if ((rc = vudb_add(db, VUDB_DOMAIN, name, NULL)) != VUDB_OK)
			break;
		snprintf(name, sizeof(name), "u@d%d.example", i);
		if ((rc = vudb_add(db, VUDB_USER, name, uattrs)) != VUDB_OK)
			break;
	}
	if (i < n) {
		fprintf(stderr, "lmfds: %s: %s\n", name, vudb_errmsg(db));
		vudb_close(db);
		return 99;
	}
	vudb_close(db);
	return 0;
}

/* lookup - whether u@dI.example is found in db (its answer names dI) */
static int
found(struct vudb *db, int i)
{
	char key[64], want[64], *answer = NULL;
	int rc, ok;

	snprintf(key, sizeof(key), "u@d%d.example", i);
	snprintf(want, sizeof(want), "d%d.example/", i);
	rc = vudb_lookup(db, "mailbox", key, &answer);
	ok = rc == VUDB_OK && strncmp(answer, want, strlen(want)) == 0;
	if (rc != VUDB_OK && rc != VUDB_ENOTFOUND)
		printf("%s: %s: %s\n", key, vudb_strerror(rc), vudb_errmsg(db));
	vudb_free(answer);
	return ok;
}

static int
readers(const char *store, int n, double max)
{
	struct fds before, after;
	struct vudb *db;
	char root[PATH_MAX], what[128];
	int i, bad = 0;

	if (realpath(store, root) == NULL)
		return 99;
	count(root, &before);
	show("before", &before);
	db = open_or_die(store, VUDB_RDONLY | VUDB_CACHE);
	for (i = 0; i < n; i++)
		bad += !found(db, i);
	count(root, &after);
	show("after", &after);
	printf("per domain: %.2f descriptors (%d domains)\n",
	    (double)(after.all - before.all) / n, n);
	snprintf(what, sizeof(what), "%d lookups failed", bad);
	check(bad == 0, what);
	snprintf(what, sizeof(what), "%.2f descriptors per domain, at most "
	    "%.2f allowed", (double)(after.all - before.all) / n, max);
	check(after.all - before.all <= max * n, what);
	vudb_close(db);
	count(root, &after);
	show("closed", &after);
	check(after.data + after.lock + after.other == 0,
	    "descriptors of the store left open after vudb_close");
	return 0;
}

static int
mixed(const char *store)
{
	const char *attrs[] = { "maildir", "moved/", NULL };
	struct vudb *rd, *rd2, *wr;
	char root[PATH_MAX], *answer = NULL;
	struct fds f;
	int rc;

	if (realpath(store, root) == NULL)
		return 99;
	rd = open_or_die(store, VUDB_RDONLY);
	check(found(rd, 0), "the reader finds u@d0.example");
	count(root, &f);
	show("a reader", &f);
	wr = open_or_die(store, 0);
	rc = vudb_update(wr, VUDB_USER, "u@d0.example", attrs);
	if (rc != VUDB_OK)
		printf("update: %s: %s\n", vudb_strerror(rc), vudb_errmsg(wr));
	check(rc == VUDB_OK, "the writer changes the domain the reader read");
	count(root, &f);
	show("a reader and a writer", &f);
	check(f.data + f.lock <= 3, "two opens of one domain file");
	rc = vudb_lookup(rd, "mailbox", "u@d0.example", &answer);
	check(rc == VUDB_OK && strcmp(answer, "moved/") == 0,
	    "the reader sees the change");
	vudb_free(answer);
	answer = NULL;
	/* a reader opened beside the writer, on another domain too */
	rd2 = open_or_die(store, VUDB_RDONLY);
	check(found(rd2, 1), "a second reader finds u@d1.example");
	rc = vudb_update(wr, VUDB_USER, "u@d1.example", attrs);
	check(rc == VUDB_OK, "the writer changes the second reader's domain");
	rc = vudb_lookup(rd2, "mailbox", "u@d1.example", &answer);
	check(rc == VUDB_OK && strcmp(answer, "moved/") == 0,
	    "the second reader sees the change");
	vudb_free(answer);
	count(root, &f);
	show("two readers and a writer", &f);
	vudb_close(wr);
	check(found(rd, 2) && found(rd2, 3),
	    "the readers go on after the writer closed");
	vudb_close(rd);
	vudb_close(rd2);
	count(root, &f);
	check(f.data + f.lock + f.other == 0,
	    "descriptors of the store left open after vudb_close");
	return 0;
}

struct hammer {
	const char	*store;
	int		 started, stop;
	unsigned long	 lookups, bad;
	char		 why[256];
};

/* hammer - a read-only handle's lookups of u@d4.example until stopped */
static void *
hammer(void *arg)
{
	struct hammer *hm = arg;
	struct vudb *db;
	char *answer;
	int rc;

	db = open_or_die(hm->store, VUDB_RDONLY);
	while (!__atomic_load_n(&hm->stop, __ATOMIC_ACQUIRE)) {
		answer = NULL;
		rc = vudb_lookup(db, "mailbox", "u@d4.example", &answer);
		if (rc != VUDB_OK || (strcmp(answer, "d4.example/u/Maildir/")
		    != 0 && strncmp(answer, "v", 1) != 0)) {
			if (hm->bad++ == 0)
				snprintf(hm->why, sizeof(hm->why), "%s: %s",
				    vudb_strerror(rc), rc == VUDB_OK ? answer :
				    vudb_errmsg(db));
		}
		vudb_free(answer);
		hm->lookups++;
		__atomic_store_n(&hm->started, 1, __ATOMIC_RELEASE);
	}
	vudb_close(db);
	return NULL;
}

static int
threads(const char *store)
{
	struct hammer hm = { store, 0, 0, 0, 0, "" };
	char dir[32], what[512], root[PATH_MAX];
	struct fds f;
	const char *attrs[] = { "maildir", dir, NULL };
	struct vudb *wr;
	pthread_t t;
	int i, rc, ok = 1;

	if (realpath(store, root) == NULL ||
	    pthread_create(&t, NULL, hammer, &hm) != 0)
		return 99;
	while (!__atomic_load_n(&hm.started, __ATOMIC_ACQUIRE))
		(void)usleep(1000);
	count(root, &f);
	show("a reader thread", &f);
	check(f.data == 1 && f.lock == 1, "a reader thread holds the file "
	    "read-only (its data file once, its lock file once)");
	wr = open_or_die(store, 0);
	for (i = 0; i < 20; i++) {
		snprintf(dir, sizeof(dir), "v%d/", i);
		if ((rc = vudb_update(wr, VUDB_USER, "u@d4.example", attrs)) !=
		    VUDB_OK) {
			printf("update %d: %s: %s\n", i, vudb_strerror(rc),
			    vudb_errmsg(wr));
			ok = 0;
		}
		(void)usleep(2000);
	}
	count(root, &f);
	show("a reader thread and a writer", &f);
	check(f.data == 2 && f.lock == 1, "the file reopened for writing, "
	    "once (the data file twice, for writing, and its lock file once)");
	vudb_close(wr);
	__atomic_store_n(&hm.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	printf("reader: %lu lookups beside the writer\n", hm.lookups);
	check(ok, "the writer's changes under a reader's lookups");
	snprintf(what, sizeof(what), "%lu of the reader's lookups failed or "
	    "were wrong; the first: %s", hm.bad, hm.why);
	check(hm.bad == 0, what);
	return 0;
}

int
main(int argc, char **argv)
{
	int rc;

	if (argc == 4 && strcmp(argv[1], "make") == 0)
		return make(argv[2], atoi(argv[3]));
	if (argc == 5 && strcmp(argv[1], "read") == 0)
		rc = readers(argv[2], atoi(argv[3]), atof(argv[4]));
	else if (argc == 3 && strcmp(argv[1], "mixed") == 0)
		rc = mixed(argv[2]);
	else if (argc == 3 && strcmp(argv[1], "threads") == 0)
		rc = threads(argv[2]);
	else {
		fprintf(stderr, "usage: lmfds make STORE N | read STORE N MAX "
		    "| mixed STORE | threads STORE\n");
		return 99;
	}
	if (rc != 0)
		return rc;
	printf("lmfds: %d checks, %d failed\n", checks, failed);
	return failed > 0;
}
