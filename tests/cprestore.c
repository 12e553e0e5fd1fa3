/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * cprestore.c - a domain file restored by cp over itself, under readers,
 * never answers "not found" for a user who exists, and is not written by
 * a reader (issue 16, the fault campaign's wrong answers on LMDB).
 *
 *	cprestore STORE-URL DOMAINFILE ROUNDS
 *
 * The store holds s.example with users u00..u29@s.example (made by
 * cprestore.sh).  Two reader processes ask for every user over and over:
 * one on a long-lived handle (as vudb-mapd and the Lua module do), one on a
 * new handle each round (as vudb-checkpassword does).  Meanwhile this
 * process copies DOMAINFILE's bytes over it ROUNDS times, as cp does: the
 * file cut to 0 bytes, then written again.  A reader that opened the
 * domain while the file was empty took it for a new one (LMDB then writes
 * two fresh meta pages into it: an empty domain, every user "not found",
 * on disk as well if the write lands after cp's).  Any NOTFOUND fails;
 * TEMP is right while the file is short.  At the end the file must hold
 * the bytes copied, and the readers must have answered after the last
 * copy (within 2 s).  Prints "cprestore: N lookups, M not found, T temporary".
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vudb.h"

#define NUSERS	30

struct shared {
	int			stop;
	unsigned long long	lookups[2], notfound[2], temp[2], after[2];
	char			why[2][128];
	char			twhy[2][256];	/* after the last copy */
};

static struct shared *sh;

static void
reader(const char *url, int r)
{
	struct vudb *db = NULL;
	char key[64], *ans;
	int i, rc, last = 0, tries = 0;

	/* after the stop, rounds go on until one answers every user (or
	 * 100 rounds): a domain seen short is opened again within 250 ms */
	while (!last || (sh->after[r] < NUSERS && tries++ < 100)) {
		if (!last && __atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE))
			last = 1;
		if (db == NULL && vudb_open(url, VUDB_RDONLY, &db) != VUDB_OK) {
			db = NULL;
			sh->temp[r]++;
			if (last)
				snprintf(sh->twhy[r], sizeof(sh->twhy[r]),
				    "open: %s", vudb_open_errmsg());
			usleep(last ? 20000 : 0);
			continue;
		}
		if (last)
			sh->after[r] = 0;
		for (i = 0; i < NUSERS; i++) {
			snprintf(key, sizeof(key), "u%02d@s.example", i);
			ans = NULL;
			rc = vudb_lookup(db, "mailbox", key, &ans);
			sh->lookups[r]++;
			if (rc == VUDB_ENOTFOUND) {
				if (sh->notfound[r]++ == 0)
					snprintf(sh->why[r], sizeof(sh->why[r]),
					    "%s", key);
			} else if (rc != VUDB_OK) {
				sh->temp[r]++;
				if (last)
					snprintf(sh->twhy[r],
					    sizeof(sh->twhy[r]), "%s",
					    vudb_errmsg(db));
			} else if (last)
				sh->after[r]++;
			vudb_free(ans);
		}
		if (last && sh->after[r] < NUSERS)
			usleep(20000);
		if (r == 1) {
			vudb_close(db);
			db = NULL;
		}
	}
	vudb_close(db);
	_exit(0);
}

/* cp - the file cut to nothing and written again, as cp(1) does */
static int
cp(const char *path, const char *data, size_t len)
{
	int fd;
	ssize_t n;

	if ((fd = open(path, O_WRONLY | O_TRUNC)) == -1)
		return -1;
	n = write(fd, data, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

int
main(int argc, char **argv)
{
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	struct stat sb;
	char *data, *now;
	pid_t pid[2];
	int fd, i, rounds, status = 0;
	unsigned long long nf = 0, lk = 0, tp = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: cprestore STORE-URL DOMAINFILE "
		    "ROUNDS\n");
		return 2;
	}
	rounds = atoi(argv[3]);
	if ((fd = open(argv[2], O_RDONLY)) == -1 || fstat(fd, &sb) != 0 ||
	    (data = malloc(sb.st_size)) == NULL ||
	    (now = malloc(sb.st_size)) == NULL ||
	    read(fd, data, sb.st_size) != sb.st_size) {
		perror(argv[2]);
		return 2;
	}
	close(fd);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 2;
	memset(sh, 0, sizeof(*sh));
	for (i = 0; i < 2; i++)
		if ((pid[i] = fork()) == 0)
			reader(argv[1], i);
	nanosleep(&pause, NULL);
	for (i = 0; i < rounds; i++) {
		if (cp(argv[2], data, sb.st_size) != 0) {
			perror("cp");
			status = 1;
			break;
		}
		nanosleep(&pause, NULL);
	}
	/* the last copy is whole: a reader that saw it short answers
	 * again once its domain is opened again (at most every 250 ms) */
	for (i = 0; i < 30; i++)
		nanosleep(&pause, NULL);
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 2; i++) {
		int ws = 0;

		(void)waitpid(pid[i], &ws, 0);
		if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
			fprintf(stderr, "reader %d died: %s %d\n", i,
			    WIFSIGNALED(ws) ? "signal" : "exit",
			    WIFSIGNALED(ws) ? WTERMSIG(ws) : WEXITSTATUS(ws));
			status = 1;
		}
	}
	for (i = 0; i < 2; i++) {
		lk += sh->lookups[i];
		nf += sh->notfound[i];
		tp += sh->temp[i];
		if (sh->notfound[i] > 0)
			fprintf(stderr, "reader %d (%s handle): %llu not found,"
			    " the first %s\n", i, i == 0 ? "long-lived" :
			    "new", sh->notfound[i], sh->why[i]);
		if (sh->after[i] < NUSERS) {
			fprintf(stderr, "reader %d: not every user answered "
			    "2 s after the last copy (%llu): %s\n", i, sh->after[i], sh->twhy[i]);
			status = 1;
		}
	}
	printf("cprestore: %llu lookups, %llu not found, %llu temporary\n",
	    lk, nf, tp);
	if (nf > 0)
		status = 1;
	if ((fd = open(argv[2], O_RDONLY)) == -1 ||
	    read(fd, now, sb.st_size) != sb.st_size ||
	    memcmp(now, data, sb.st_size) != 0) {
		fprintf(stderr, "%s: not the bytes copied: a reader wrote "
		    "into it\n", argv[2]);
		status = 1;
	}
	if (fd != -1)
		close(fd);
	free(data);
	free(now);
	return status;
}
