/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * bench_checkpw.c - per-login cost of vudb-checkpassword (make bench).
 * Makes a store with one {SHA512-CRYPT} user and one ARGON2ID user, then
 * spawns, through one posix_spawn driver with the request on descriptor
 * 3 and REPLY /bin/true, the helper and the trivial baseline
 * (trivial_checkpw: read fd 3, crypt_r the same hash, exec) in
 * interleaved rounds, rotating which goes first.  Prints
 *
 *	BENCH checkpw.sha512crypt <ms> ms/auth
 *	BENCH checkpw.trivial <ms> ms/auth
 *	RATIO checkpw/trivial <ours/baseline>	(time: lower is better)
 *	BENCH checkpw.argon2id <ms> ms/auth
 *
 * and, when the LMDB backend is compiled in, the same store copied to
 * an "lmdb:" store (BENCH checkpw.lmdb.sha512crypt, RATIO
 * checkpw.lmdb/trivial), which shows what the Berkeley DB environment
 * costs a one-shot reader.
 *
 * The programs are found beside this one (../vudb-checkpassword,
 * trivial_checkpw).  BENCH_ROUNDS (default 15) rounds of BENCH_PER (20)
 * logins each.
 *
 *	bench_checkpw -s STORE USER PASSWORD [STORE USER PASSWORD ...]
 *
 * times the helper alone on existing stores instead (make bench-scale):
 * for each store, logins of USER with PASSWORD, which must succeed; the
 * same rounds, interleaved between the stores, rotating which goes
 * first, after three logins each to warm up.  Prints one line for a
 * reader and then, in the order of the arguments, one line per store:
 *
 *	RESULT <mean ms/auth>
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vudb.h"

extern char **environ;

static char *envp[] = { "SERVICE=imap", "PATH=/usr/bin:/bin", NULL };

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* spawn_one - run argv with req on fd 3; its exit status */
static int
spawn_one(char *const argv[], const char *req, size_t len)
{
	posix_spawn_file_actions_t fa;
	int p[2], st, rc;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) != 0) {
		perror("pipe");
		exit(1);
	}
	if (write(p[1], req, len) != (ssize_t)len) {
		perror("write");
		exit(1);
	}
	close(p[1]);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[0], 3);
	rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	close(p[0]);
	if (rc != 0) {
		fprintf(stderr, "spawn %s: %s\n", argv[0], strerror(rc));
		exit(1);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			perror("waitpid");
			exit(1);
		}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* batch - n logins with argv; seconds taken */
static double
batch(char *const argv[], const char *req, size_t len, int n)
{
	double t0 = now();
	int i, rc;

	for (i = 0; i < n; i++)
		if ((rc = spawn_one(argv, req, len)) != 0) {
			fprintf(stderr, "%s: exit %d\n", argv[0], rc);
			exit(1);
		}
	return now() - t0;
}

static void
die(const char *what, int rc, struct vudb *db)
{
	fprintf(stderr, "bench_checkpw: %s: %s: %s\n", what,
	    vudb_strerror(rc), db != NULL ? vudb_errmsg(db) :
	    vudb_open_errmsg());
	exit(1);
}

/* request - the fd 3 request for user and password, as the default mode
 * sends it (with a final empty field); its length in *len_r */
static char *
request(const char *user, const char *pass, size_t *len_r)
{
	size_t ul = strlen(user), pl = strlen(pass);
	char *req;

	if ((req = calloc(1, ul + pl + 3)) == NULL) {
		perror("calloc");
		exit(1);
	}
	memcpy(req, user, ul);
	memcpy(req + ul + 1, pass, pl);
	*len_r = ul + pl + 3;
	return req;
}

/*
 * stores - -s: the helper on each STORE USER PASSWORD of args (n of
 * them), in interleaved rounds; prints the mean time of each
 */
static int
stores(char *helper, char *args[], int n, int rounds, int per)
{
	struct one {
		char	*argv[5];
		char	*req;
		size_t	 len;
		double	 secs;
	} *s;
	int i, r, k;

	if (n < 3 || n % 3 != 0) {
		fprintf(stderr, "usage: bench_checkpw -s store user password "
		    "[store user password ...]\n");
		return 2;
	}
	n /= 3;
	if ((s = calloc((size_t)n, sizeof(*s))) == NULL) {
		perror("calloc");
		return 1;
	}
	for (i = 0; i < n; i++) {
		s[i].argv[0] = helper;
		s[i].argv[1] = "-d";
		s[i].argv[2] = args[3 * i];
		s[i].argv[3] = "/bin/true";
		s[i].argv[4] = NULL;
		s[i].req = request(args[3 * i + 1], args[3 * i + 2],
		    &s[i].len);
		/* warm up: page cache, the store's files */
		batch(s[i].argv, s[i].req, s[i].len, 3);
	}
	for (r = 0; r < rounds; r++)
		for (k = 0; k < n; k++) {
			i = (r + k) % n;
			s[i].secs += batch(s[i].argv, s[i].req, s[i].len, per);
		}
	for (i = 0; i < n; i++)
		printf("checkpw %s %s: %d rounds of %d logins, REPLY /bin/true: "
		    "%.3f ms/auth\n", args[3 * i], args[3 * i + 1], rounds, per,
		    s[i].secs * 1e3 / (rounds * per));
	for (i = 0; i < n; i++) {
		printf("RESULT %.3f\n", s[i].secs * 1e3 / (rounds * per));
		explicit_bzero(s[i].req, s[i].len);
		free(s[i].req);
	}
	free(s);
	return 0;
}

/*
 * mkstore - a store at url with the two users; the crypt(3) string of
 * the {SHA512-CRYPT} user (free it), or NULL if the backend is missing
 * and may be (must is 0)
 */
static char *
mkstore(const char *url, int must)
{
	const char *attrs[] = { "password", NULL, NULL };
	struct vudb *db;
	char *hash, *crypthash;
	int rc;

	if ((rc = vudb_open(url, VUDB_CREATE, &db)) != VUDB_OK) {
		if (!must && rc == VUDB_ENOTSUP)
			return NULL;
		die("open", rc, NULL);
	}
	if ((rc = vudb_add(db, VUDB_DOMAIN, "bench.example", NULL)) != 0)
		die("add domain", rc, db);
	if ((rc = vudb_password_hash(db, "SHA512-CRYPT", "bench-secret",
	    &hash)) != VUDB_OK)
		die("hash", rc, db);
	attrs[1] = hash;
	if ((rc = vudb_add(db, VUDB_USER, "sha@bench.example", attrs)) != 0)
		die("add user", rc, db);
	if ((crypthash = strdup(strchr(hash, '}') + 1)) == NULL)
		die("strdup", VUDB_ENOMEM, db);
	vudb_free(hash);
	if ((rc = vudb_password_hash(db, "ARGON2ID", "bench-secret",
	    &hash)) != VUDB_OK)
		die("hash", rc, db);
	attrs[1] = hash;
	if ((rc = vudb_add(db, VUDB_USER, "argon@bench.example", attrs)) != 0)
		die("add user", rc, db);
	vudb_free(hash);
	vudb_close(db);
	return crypthash;
}

int
main(int argc, char *argv[])
{
	char dir[] = "/tmp/vudbbenchcpw.XXXXXX", store[PATH_MAX];
	char lstore[PATH_MAX], helper[PATH_MAX], trivial[PATH_MAX];
	char base[PATH_MAX - 64], *slash, *crypthash, *lcrypt;
	char cmd[PATH_MAX + 16];
	static const char sreq[] = "sha@bench.example\0bench-secret\0";
	static const char areq[] = "argon@bench.example\0bench-secret\0";
	double ours = 0, triv = 0, lm = 0, argon;
	int rounds = 15, per = 20, r, k;

	if (getenv("BENCH_ROUNDS") != NULL)
		rounds = atoi(getenv("BENCH_ROUNDS"));
	if (getenv("BENCH_PER") != NULL)
		per = atoi(getenv("BENCH_PER"));
	if (rounds < 1 || per < 1)
		return 2;
	snprintf(base, sizeof(base), "%s", argv[0]);
	if ((slash = strrchr(base, '/')) != NULL)
		*slash = '\0';
	else
		snprintf(base, sizeof(base), ".");
	snprintf(helper, sizeof(helper), "%s/../vudb-checkpassword", base);
	snprintf(trivial, sizeof(trivial), "%s/trivial_checkpw", base);
	if (argc > 1 && strcmp(argv[1], "-s") == 0)
		return stores(helper, argv + 2, argc - 2, rounds, per);

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(store, sizeof(store), "%s/store", dir);
	crypthash = mkstore(store, 1);
	snprintf(lstore, sizeof(lstore), "lmdb:%s/lstore", dir);
	lcrypt = mkstore(lstore, 0);

	{
		char *o[] = { helper, "-d", store, "/bin/true", NULL };
		char *t[] = { trivial, crypthash, "/bin/true", NULL };
		char *l[] = { helper, "-d", lstore, "/bin/true", NULL };

		/* warm up: page cache, the stores' files */
		batch(o, sreq, sizeof(sreq), 3);
		batch(t, sreq, sizeof(sreq), 3);
		if (lcrypt != NULL)
			batch(l, sreq, sizeof(sreq), 3);
		for (r = 0; r < rounds; r++) {
			for (k = 0; k < 3; k++) {
				switch ((r + k) % 3) {
				case 0:
					ours += batch(o, sreq, sizeof(sreq),
					    per);
					break;
				case 1:
					triv += batch(t, sreq, sizeof(sreq),
					    per);
					break;
				default:
					if (lcrypt != NULL)
						lm += batch(l, sreq,
						    sizeof(sreq), per);
				}
			}
		}
		argon = batch(o, areq, sizeof(areq), per);
	}
	printf("# %d rounds of %d logins each, REPLY /bin/true\n", rounds,
	    per);
	printf("BENCH checkpw.sha512crypt %.3f ms/auth\n",
	    ours * 1e3 / (rounds * per));
	printf("BENCH checkpw.trivial %.3f ms/auth\n",
	    triv * 1e3 / (rounds * per));
	printf("RATIO checkpw/trivial %.2f\n", ours / triv);
	printf("BENCH checkpw.argon2id %.3f ms/auth\n", argon * 1e3 / per);
	if (lcrypt != NULL) {
		printf("BENCH checkpw.lmdb.sha512crypt %.3f ms/auth\n",
		    lm * 1e3 / (rounds * per));
		printf("RATIO checkpw.lmdb/trivial %.2f\n", lm / triv);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_checkpw: could not remove %s\n", dir);
	free(crypthash);
	free(lcrypt);
	return 0;
}
