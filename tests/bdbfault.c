/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * bdbfault.c - faults of a Berkeley DB store, on demand, for the tests of
 * what readers do about them.  It uses Berkeley DB directly, as another
 * program on the same store would.
 *
 *	bdbfault STORE panic
 *		panic the store's environment, as a process that dies inside
 *		Berkeley DB and the recovery that follows do: every process on
 *		it fails until it opens it anew;
 *	bdbfault STORE die-holding DOMAIN
 *		join the environment as the library does, and die (SIGKILL)
 *		inside Berkeley DB while it holds the latch of the first page
 *		of DOMAIN's file that it reads: a reader that then needs that
 *		page waits for a process that will never let go (the first
 *		lookup of the domain by a fresh reader needs it);
 *	bdbfault STORE register
 *		print the processes Berkeley DB's register holds, "PID alive"
 *		or "PID dead", one a line.
 *
 * Exit status 0, 1 on failure, EX_USAGE (64) for a usage error.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <db.h>

static dev_t	 kill_dev;		/* the file whose first read kills */
static ino_t	 kill_ino;

/* kill_pread - Berkeley DB's reads: the first of the chosen file kills */
static ssize_t
kill_pread(int fd, void *buf, size_t len, off_t off)
{
	struct stat sb;
	ssize_t n;

	n = pread(fd, buf, len, off);
	if (fstat(fd, &sb) == 0 && sb.st_dev == kill_dev &&
	    sb.st_ino == kill_ino)
		/* with the page's latch held: its read is not complete */
		(void)kill(getpid(), SIGKILL);
	return n;
}

/* kill_read - the same for reads that Berkeley DB makes after a seek */
static ssize_t
kill_read(int fd, void *buf, size_t len)
{
	struct stat sb;
	ssize_t n;

	n = read(fd, buf, len);
	if (fstat(fd, &sb) == 0 && sb.st_dev == kill_dev &&
	    sb.st_ino == kill_ino)
		(void)kill(getpid(), SIGKILL);
	return n;
}

/* quiet - Berkeley DB's messages are not the test's output */
static void
quiet(const DB_ENV *env, const char *pfx, const char *msg)
{
	(void)env;
	(void)pfx;
	(void)msg;
}

static int
panic_env(const char *store)
{
	DB_ENV *env;
	int i, ret = 0;

	/* a store being recovered cannot be joined for a moment */
	for (i = 0; i < 100; i++) {
		if ((ret = db_env_create(&env, 0)) != 0)
			break;
		env->set_errcall(env, quiet);
		if ((ret = env->open(env, store, DB_JOINENV, 0)) == 0) {
			(void)env->set_flags(env, DB_PANIC_ENVIRONMENT, 1);
			(void)env->close(env, 0);
			return 0;
		}
		(void)env->close(env, 0);
		if (ret == DB_RUNRECOVERY)
			return 0;	/* panicked already */
		usleep(10000);
	}
	fprintf(stderr, "bdbfault: %s: %s\n", store, db_strerror(ret));
	return 1;
}

static int
die_holding(const char *store, const char *domain)
{
	char file[512], path[1024];
	struct stat sb;
	DB_ENV *env;
	DB *dbp;
	int ret;

	snprintf(file, sizeof(file), "domains/%s.db", domain);
	snprintf(path, sizeof(path), "%s/%s", store, file);
	if (stat(path, &sb) != 0) {
		fprintf(stderr, "bdbfault: %s: %s\n", path, strerror(errno));
		return 1;
	}
	kill_dev = sb.st_dev;
	kill_ino = sb.st_ino;
	if ((ret = db_env_create(&env, 0)) != 0 ||
	    (ret = env->open(env, store, DB_INIT_TXN | DB_INIT_LOCK |
	    DB_INIT_LOG | DB_INIT_MPOOL | DB_REGISTER | DB_THREAD |
	    DB_RECOVER | DB_CREATE, 0660)) != 0) {
		fprintf(stderr, "bdbfault: %s: %s\n", store, db_strerror(ret));
		return 1;
	}
	(void)db_env_set_func_pread(kill_pread);
	(void)db_env_set_func_read(kill_read);
	if ((ret = db_create(&dbp, env, 0)) != 0 ||
	    (ret = dbp->set_flags(dbp, DB_CHKSUM)) != 0 ||
	    (ret = dbp->open(dbp, NULL, file, NULL, DB_BTREE,
	    DB_MULTIVERSION | DB_RDONLY | DB_AUTO_COMMIT, 0)) != 0) {
		fprintf(stderr, "bdbfault: %s: %s\n", file, db_strerror(ret));
		return 1;
	}
	fprintf(stderr, "bdbfault: %s: read without a kill: the page was "
	    "cached already\n", file);
	return 1;
}

static int
show_register(const char *store)
{
	char path[1024], line[26];
	struct flock fl;
	long pid;
	ssize_t n;
	off_t off;
	int fd;

	snprintf(path, sizeof(path), "%s/__db.register", store);
	if ((fd = open(path, O_RDWR)) == -1) {
		if (errno == ENOENT)
			return 0;
		fprintf(stderr, "bdbfault: %s: %s\n", path, strerror(errno));
		return 1;
	}
	/* slots of 25 bytes; a used one is locked by its live process */
	for (off = 0; (n = pread(fd, line, 25, off)) == 25; off += 25) {
		line[25] = '\0';
		if (line[0] == 'X' || (pid = atol(line)) <= 0)
			continue;
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		fl.l_start = off;
		fl.l_len = 1;
		if (fcntl(fd, F_GETLK, &fl) == -1)
			fl.l_type = F_UNLCK;
		printf("%ld %s\n", pid, fl.l_type != F_UNLCK ? "alive" :
		    "dead");
	}
	close(fd);
	return 0;
}

int
main(int argc, char *argv[])
{
	if (argc == 3 && strcmp(argv[2], "panic") == 0)
		return panic_env(argv[1]);
	if (argc == 4 && strcmp(argv[2], "die-holding") == 0)
		return die_holding(argv[1], argv[3]);
	if (argc == 3 && strcmp(argv[2], "register") == 0)
		return show_register(argv[1]);
	fprintf(stderr, "usage: bdbfault STORE panic | die-holding DOMAIN | "
	    "register\n");
	return EX_USAGE;
}
