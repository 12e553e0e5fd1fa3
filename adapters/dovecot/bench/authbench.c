/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * authbench.c - the client of the Dovecot login benchmark (auth.sh, make
 * bench): logins straight through the sockets of running Dovecot
 * instances, as Dovecot's own processes make them, timed in interleaved
 * rounds so that the setups compared share the machine's noise.
 *
 *	authbench [-v] [-r rounds] [-c concurrency] USERS
 *	    NAME KIND[/LOGINS] DIR [NAME KIND[/LOGINS] DIR ...]
 *
 * USERS has one "address password" a line.  DIR is the base_dir of a
 * running Dovecot.  KIND "auth": AUTH requests on DIR/auth-client, the
 * socket Postfix's SMTP AUTH uses: the passdb alone.  KIND "login": what
 * an IMAP login costs Dovecot: AUTH on DIR/login/login, the socket of the
 * login processes, and after each OK the REQUEST (with the connection's
 * cookie) that the post-login process sends on DIR/auth-master, i.e. the
 * passdb and then the userdb.  Each setup keeps one connection of each
 * (a pid of its own in CPID, as a login process) and sends its requests
 * back to back.  Every request is AUTH PLAIN with service=imap, lip and
 * rip 127.0.0.1, "secured" and "no-penalty"; every reply must be OK
 * (without nologin) and USER: anything else stops that setup, which is
 * reported FAILED with the reply, and the others go on.
 *
 * Each setup first logs in every user once (warm-up and check).  Then
 * ROUNDS (default 7) rounds; in each, every setup in turn, rotating which
 * goes first, makes LOGINS (default 200) logins with at most CONCURRENCY
 * (default 1) outstanding, from the same place in the users' (shuffled,
 * fixed) order for every setup.  Prints a line for a reader per setup and
 * then, in the order of the arguments, one of
 *
 *	RESULT NAME <best> <median> <worst> <cpu>
 *	FAILED NAME <why>
 *
 * best, median and worst are the wall-clock ms per login of a round; cpu
 * (or "-" where /proc cannot say) the CPU time that the processes of the
 * instance (the master in DIR/master.pid, its children and their
 * children, the ones that ended included) took per login over all the
 * rounds, which the noise of a shared machine disturbs much less.  -v
 * prints every round's figure first, "ROUND <round> NAME <ms>".
 *
 *	authbench hash < "address password" lines
 *
 * prints "address {SHA512-CRYPT}hash" lines instead (crypt_gensalt_rn
 * with libxcrypt's default 5000 rounds, as vudb_password_hash() and
 * doveadm pw write it), for a store and a passwd-file that must hold the
 * same hash strings.  Exit status 0, 1 on an error of its own, 2 for
 * bad usage; a setup's failure is not an error of this program.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define LINE_MAX_LEN	16384	/* Dovecot's limit for an auth line */
#define MAX_CONC	64
#define TIMEOUT_MS	30000

enum kind { KIND_AUTH, KIND_LOGIN };

struct user {
	char	*name;
	char	*resp;		/* base64 of "\0name\0password" */
};

/* a connection and what it has read but not used */
struct conn {
	int	 fd;
	char	 buf[LINE_MAX_LEN * 2];
	size_t	 len;
	size_t	 off;
};

struct slot {
	unsigned int	 id;		/* 0: free */
	unsigned int	 mid;		/* waiting for USER: its id */
	int		 user;
};

struct setup {
	const char	*name;
	const char	*dir;
	enum kind	 kind;
	struct conn	 c;		/* auth-client or login/login */
	struct conn	 m;		/* auth-master (KIND_LOGIN) */
	char		 cookie[64];
	unsigned int	 cpid;
	unsigned int	 next_id;
	struct slot	 slots[MAX_CONC];
	int		 per;		/* logins a round */
	double		*ms;		/* per round */
	long		 master;	/* the Dovecot master's pid, or 0 */
	long long	 ticks;		/* CPU of its processes */
	long		 nticked;	/* logins in that time */
	int		 failed;
	char		 why[256];
};

static struct user *users;
static int nusers;

static void	die(const char *, ...)
		    __attribute__((__format__(__printf__, 1, 2), __noreturn__));
static void	fail(struct setup *, const char *, ...)
		    __attribute__((__format__(__printf__, 2, 3)));

static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "authbench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* fail - mark setup s failed (the first reason wins) */
static void
fail(struct setup *s, const char *fmt, ...)
{
	va_list ap;
	char *p;

	if (s->failed)
		return;
	s->failed = 1;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
	for (p = s->why; *p != '\0'; p++)
		if (*p == '\t' || *p == '\n' || *p == '\r')
			*p = ' ';
}

/* b64 - the base64 of n bytes of in, NUL-terminated (free it) */
static char *
b64(const unsigned char *in, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out, *o;
	size_t i;
	uint32_t v;

	if ((out = malloc((n + 2) / 3 * 4 + 1)) == NULL)
		die("out of memory");
	for (i = 0, o = out; i < n; i += 3) {
		v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		*o++ = tab[v >> 18 & 63];
		*o++ = tab[v >> 12 & 63];
		*o++ = i + 1 < n ? tab[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? tab[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

/* read_users - the users of path, in a fixed shuffled order */
static void
read_users(const char *path)
{
	char line[1024], *name, *pass, *save;
	unsigned char plain[1024];
	size_t nl, pl;
	struct user t;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	int cap = 0, i, j;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL)
		die("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), fp) != NULL) {
		if ((name = strtok_r(line, " \t\r\n", &save)) == NULL ||
		    name[0] == '#')
			continue;
		if ((pass = strtok_r(NULL, " \t\r\n", &save)) == NULL)
			die("%s: no password for %s", path, name);
		nl = strlen(name);
		pl = strlen(pass);
		if (nl + pl + 2 > sizeof(plain))
			die("%s: line too long", path);
		if (nusers == cap) {
			cap = cap == 0 ? 256 : cap * 2;
			if ((users = realloc(users, cap * sizeof(*users))) ==
			    NULL)
				die("out of memory");
		}
		plain[0] = '\0';
		memcpy(plain + 1, name, nl);
		plain[nl + 1] = '\0';
		memcpy(plain + nl + 2, pass, pl);
		if ((users[nusers].name = strdup(name)) == NULL)
			die("out of memory");
		users[nusers++].resp = b64(plain, nl + pl + 2);
	}
	fclose(fp);
	if (nusers == 0)
		die("%s: no users", path);
	for (i = nusers - 1; i > 0; i--) {
		j = (int)bench_pick(&seed, (unsigned long)i + 1);
		t = users[i];
		users[i] = users[j];
		users[j] = t;
	}
}

/* hash_users - authbench hash */
static int
hash_users(void)
{
	char line[1024], *name, *pass, *save, *h;
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;

	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		die("out of memory");
	while (fgets(line, sizeof(line), stdin) != NULL) {
		if ((name = strtok_r(line, " \t\r\n", &save)) == NULL ||
		    name[0] == '#')
			continue;
		if ((pass = strtok_r(NULL, " \t\r\n", &save)) == NULL)
			die("no password for %s", name);
		if (crypt_gensalt_rn("$6$", 0, NULL, 0, setting,
		    sizeof(setting)) == NULL)
			die("crypt_gensalt_rn: %s", strerror(errno));
		h = crypt_rn(pass, setting, cd, sizeof(*cd));
		if (h == NULL || h[0] == '*')
			die("crypt_rn failed for %s", name);
		printf("%s {SHA512-CRYPT}%s\n", name, h);
	}
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* conn_open - connect to the unix socket dir/name; -1 on failure */
static int
conn_open(struct conn *c, const char *dir, const char *name)
{
	struct sockaddr_un sun;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s",
	    dir, name) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	c->len = c->off = 0;
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

/* conn_write - all of the n bytes of p; -1 on failure */
static int
conn_write(struct conn *c, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(c->fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * conn_line - the next complete line already read (its LF cut), or NULL
 */
static char *
conn_line(struct conn *c)
{
	char *p, *nl;

	p = c->buf + c->off;
	if ((nl = memchr(p, '\n', c->len - c->off)) == NULL) {
		/* keep the partial line at the start of the buffer */
		memmove(c->buf, p, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
		return NULL;
	}
	*nl = '\0';
	c->off = (size_t)(nl - c->buf) + 1;
	return p;
}

/* conn_fill - read what is there (after poll said so): 0, or -1 on
 * failure or end of file */
static int
conn_fill(struct conn *c)
{
	ssize_t r;

	if (c->len == sizeof(c->buf) - 1) {
		errno = EMSGSIZE;
		return -1;
	}
	do
		r = read(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
	while (r == -1 && errno == EINTR);
	if (r <= 0) {
		if (r == 0)
			errno = ECONNRESET;
		return -1;
	}
	c->len += (size_t)r;
	c->buf[c->len] = '\0';
	return 0;
}

/* conn_wait_line - block (at most TIMEOUT_MS) for the next line */
static char *
conn_wait_line(struct conn *c)
{
	struct pollfd pfd;
	char *l;

	while ((l = conn_line(c)) == NULL) {
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, TIMEOUT_MS) <= 0) {
			errno = ETIMEDOUT;
			return NULL;
		}
		if (conn_fill(c) == -1)
			return NULL;
	}
	return l;
}

/*
 * proc_ticks - the CPU time of process pid and of its children that it
 * has reaped (utime, stime, cutime, cstime of /proc/PID/stat), in clock
 * ticks, plus that of its live children (recursively) if kids is set;
 * -1 if it cannot be read
 */
static long long
proc_ticks(long pid, int kids)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	long long ct, cs, sum, k;
	long child;
	ssize_t n;
	FILE *fp;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* after the command name: state ppid ... utime(14) stime cutime
	 * cstime, counting fields from 1 */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
	    "%llu %llu %lld %lld", &ut, &st, &ct, &cs) != 4)
		return -1;
	sum = (long long)(ut + st) + ct + cs;
	if (!kids)
		return sum;
	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children", pid, pid);
	if ((fp = fopen(path, "re")) == NULL)
		return -1;
	while (fscanf(fp, "%ld", &child) == 1)
		if ((k = proc_ticks(child, 1)) >= 0)
			sum += k;	/* one that just ended: in cutime */
	fclose(fp);
	return sum;
}

/* master_pid - the pid in dir/master.pid, or 0 */
static long
master_pid(const char *dir)
{
	char path[PATH_MAX];
	long pid = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/master.pid", dir);
	if ((fp = fopen(path, "re")) == NULL)
		return 0;
	if (fscanf(fp, "%ld", &pid) != 1 || pid <= 0)
		pid = 0;
	fclose(fp);
	return pid;
}

/* setup_open - connect s and shake hands; 0, or -1 with s failed */
static int
setup_open(struct setup *s, unsigned int cpid)
{
	const char *sock;
	char hello[64], *l;

	s->c.fd = s->m.fd = -1;
	s->cpid = cpid;
	s->master = master_pid(s->dir);
	s->next_id = 1;
	/* the socket of Postfix's SMTP AUTH, or that of login processes */
	sock = s->kind == KIND_LOGIN ? "login/login" : "auth-client";
	if (conn_open(&s->c, s->dir, sock) == -1) {
		fail(s, "%s/%s: %s", s->dir, sock, strerror(errno));
		return -1;
	}
	snprintf(hello, sizeof(hello), "VERSION\t1\t2\nCPID\t%u\n", cpid);
	if (conn_write(&s->c, hello, strlen(hello)) == -1) {
		fail(s, "%s: %s", sock, strerror(errno));
		return -1;
	}
	for (;;) {
		if ((l = conn_wait_line(&s->c)) == NULL) {
			fail(s, "%s handshake: %s", sock, strerror(errno));
			return -1;
		}
		if (strncmp(l, "COOKIE\t", 7) == 0)
			snprintf(s->cookie, sizeof(s->cookie), "%s", l + 7);
		else if (strcmp(l, "DONE") == 0)
			break;
	}
	if (s->kind != KIND_LOGIN)
		return 0;
	if (s->cookie[0] == '\0') {
		fail(s, "%s handshake: no COOKIE", sock);
		return -1;
	}
	if (conn_open(&s->m, s->dir, "auth-master") == -1) {
		fail(s, "%s/auth-master: %s", s->dir, strerror(errno));
		return -1;
	}
	if (conn_write(&s->m, "VERSION\t1\t0\n", 12) == -1) {
		fail(s, "auth-master: %s", strerror(errno));
		return -1;
	}
	/* the server's VERSION and SPID */
	for (;;) {
		if ((l = conn_wait_line(&s->m)) == NULL) {
			fail(s, "auth-master handshake: %s", strerror(errno));
			return -1;
		}
		if (strncmp(l, "SPID\t", 5) == 0)
			break;
	}
	return 0;
}

static void
setup_close(struct setup *s)
{
	if (s->c.fd != -1)
		close(s->c.fd);
	if (s->m.fd != -1)
		close(s->m.fd);
	s->c.fd = s->m.fd = -1;
}

/* send_auth - start a login of user u in slot sl */
static int
send_auth(struct setup *s, struct slot *sl, int u)
{
	char line[LINE_MAX_LEN];
	int n;

	sl->id = s->next_id++;
	if (s->next_id == 0)
		s->next_id = 1;
	sl->mid = 0;
	sl->user = u;
	n = snprintf(line, sizeof(line), "AUTH\t%u\tPLAIN\tservice=imap\t"
	    "lip=127.0.0.1\trip=127.0.0.1\tsecured\tno-penalty\tresp=%s\n",
	    sl->id, users[u].resp);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		fail(s, "AUTH line too long");
		return -1;
	}
	if (conn_write(&s->c, line, (size_t)n) == -1) {
		fail(s, "auth socket: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* find_slot - the slot waiting for id (in mid if master) */
static struct slot *
find_slot(struct setup *s, int conc, unsigned int id, int master)
{
	int i;

	for (i = 0; i < conc; i++)
		if (s->slots[i].id != 0 &&
		    (master ? s->slots[i].mid : s->slots[i].id) == id)
			return &s->slots[i];
	return NULL;
}

/*
 * client_reply - a line from the auth socket: 1 if a login ended, 0 if it
 * goes on (to the master), -1 on failure
 */
static int
client_reply(struct setup *s, int conc, char *l)
{
	char line[256], *id, *rest;
	struct slot *sl;
	int n;

	id = strchr(l, '\t');
	if (strncmp(l, "OK\t", 3) != 0 || id == NULL) {
		fail(s, "reply \"%.200s\"", l);
		return -1;
	}
	if ((sl = find_slot(s, conc, (unsigned int)strtoul(id + 1, &rest, 10),
	    0)) == NULL) {
		fail(s, "reply to an unknown request: \"%.200s\"", l);
		return -1;
	}
	if (strstr(rest, "\tnologin") != NULL) {
		fail(s, "reply \"%.200s\"", l);
		return -1;
	}
	if (s->kind == KIND_AUTH) {
		sl->id = 0;
		return 1;
	}
	sl->mid = sl->id;
	n = snprintf(line, sizeof(line), "REQUEST\t%u\t%u\t%u\t%s\n", sl->mid,
	    s->cpid, sl->id, s->cookie);
	if (conn_write(&s->m, line, (size_t)n) == -1) {
		fail(s, "auth-master: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* master_reply - a line from auth-master: 1 if a login ended, -1 on
 * failure */
static int
master_reply(struct setup *s, int conc, char *l)
{
	struct slot *sl;
	char *id;

	id = strchr(l, '\t');
	if (strncmp(l, "USER\t", 5) != 0 || id == NULL) {
		fail(s, "userdb reply \"%.200s\"", l);
		return -1;
	}
	if ((sl = find_slot(s, conc, (unsigned int)strtoul(id + 1, NULL, 10),
	    1)) == NULL) {
		fail(s, "userdb reply to an unknown request: \"%.200s\"", l);
		return -1;
	}
	sl->id = sl->mid = 0;
	return 1;
}

/*
 * batch - n logins on s, users from first on, at most conc outstanding;
 * seconds taken, or -1 with s failed
 */
static double
batch(struct setup *s, int first, int n, int conc)
{
	struct pollfd pfd[2];
	double t0;
	int issued = 0, done = 0, i, r;
	char *l;

	t0 = bench_now();
	while (done < n) {
		for (i = 0; i < conc && issued < n; i++)
			if (s->slots[i].id == 0) {
				if (send_auth(s, &s->slots[i],
				    (first + issued) % nusers) == -1)
					return -1;
				issued++;
			}
		/* lines already read first */
		while ((l = conn_line(&s->c)) != NULL) {
			if ((r = client_reply(s, conc, l)) == -1)
				return -1;
			done += r;
		}
		if (s->kind == KIND_LOGIN)
			while ((l = conn_line(&s->m)) != NULL) {
				if ((r = master_reply(s, conc, l)) == -1)
					return -1;
				done += r;
			}
		if (done >= n)
			break;
		for (i = 0; i < conc; i++)
			if (s->slots[i].id == 0 && issued < n)
				break;
		if (i < conc)
			continue;	/* a free slot: send first */
		pfd[0].fd = s->c.fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = s->m.fd;
		pfd[1].events = POLLIN;
		r = poll(pfd, s->kind == KIND_LOGIN ? 2 : 1, TIMEOUT_MS);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			fail(s, "no answer in %d s", TIMEOUT_MS / 1000);
			return -1;
		}
		if ((pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    conn_fill(&s->c) == -1) {
			fail(s, "auth socket: %s", strerror(errno));
			return -1;
		}
		if (s->kind == KIND_LOGIN &&
		    (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    conn_fill(&s->m) == -1) {
			fail(s, "auth-master: %s", strerror(errno));
			return -1;
		}
	}
	return bench_now() - t0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
usage(void)
{
	fprintf(stderr, "usage: authbench [-v] [-r rounds] [-c concurrency] "
	    "users name auth|login[/logins] dir ...\n"
	    "       authbench hash < users\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct setup *set;
	double t, *v;
	char *kind, *slash, cpu[32];
	long long c0, c1;
	long tck;
	int rounds = 7, conc = 1, verbose = 0, nset, ch, i, k, r;

	if (argc == 2 && strcmp(argv[1], "hash") == 0)
		return hash_users();
	while ((ch = getopt(argc, argv, "c:r:v")) != -1) {
		switch (ch) {
		case 'c':
			conc = atoi(optarg);
			break;
		case 'v':
			verbose = 1;
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 4 || (argc - 1) % 3 != 0 || rounds < 1 || conc < 1 ||
	    conc > MAX_CONC)
		usage();
	read_users(argv[0]);
	nset = (argc - 1) / 3;
	if ((set = calloc((size_t)nset, sizeof(*set))) == NULL)
		die("out of memory");
	for (i = 0; i < nset; i++) {
		set[i].name = argv[1 + 3 * i];
		kind = argv[2 + 3 * i];
		set[i].per = 200;
		if ((slash = strchr(kind, '/')) != NULL) {
			*slash = '\0';
			if ((set[i].per = atoi(slash + 1)) < 1)
				usage();
		}
		if (strcmp(kind, "auth") == 0)
			set[i].kind = KIND_AUTH;
		else if (strcmp(kind, "login") == 0)
			set[i].kind = KIND_LOGIN;
		else
			usage();
		set[i].dir = argv[3 + 3 * i];
		if ((set[i].ms = calloc((size_t)rounds, sizeof(double))) ==
		    NULL)
			die("out of memory");
		/* a pid of its own per connection, as login processes have */
		if (setup_open(&set[i], (unsigned int)getpid() * 64u +
		    (unsigned int)i) == 0)
			/* warm-up and check: every user once */
			(void)batch(&set[i], 0, nusers, conc);
	}
	for (r = 0; r < rounds; r++)
		for (k = 0; k < nset; k++) {
			i = (r + k) % nset;
			if (set[i].failed)
				continue;
			c0 = set[i].master ? proc_ticks(set[i].master, 1) : -1;
			t = batch(&set[i], r * set[i].per, set[i].per, conc);
			set[i].ms[r] = t * 1e3 / set[i].per;
			c1 = set[i].master ? proc_ticks(set[i].master, 1) : -1;
			if (c0 >= 0 && c1 >= c0) {
				set[i].ticks += c1 - c0;
				set[i].nticked += set[i].per;
			}
		}
	tck = sysconf(_SC_CLK_TCK);
	for (r = 0; verbose && r < rounds; r++)
		for (i = 0; i < nset; i++)
			if (!set[i].failed)
				printf("ROUND %d %s %.4f\n", r, set[i].name,
				    set[i].ms[r]);
	for (i = 0; i < nset; i++) {
		if (set[i].failed)
			continue;
		v = set[i].ms;
		qsort(v, (size_t)rounds, sizeof(*v), cmp_double);
		if (set[i].nticked > 0 && tck > 0)
			snprintf(cpu, sizeof(cpu), "%.3f",
			    (double)set[i].ticks * 1e3 / tck / set[i].nticked);
		else
			snprintf(cpu, sizeof(cpu), "-");
		printf("%s (%s, %d at a time): %d rounds of %d logins: best "
		    "%.3f, median %.3f, worst %.3f ms/login; CPU of Dovecot's "
		    "processes %s ms/login\n", set[i].name,
		    set[i].kind == KIND_LOGIN ? "passdb and userdb" :
		    "passdb only", conc, rounds, set[i].per, v[0],
		    v[rounds / 2], v[rounds - 1], cpu);
		snprintf(set[i].why, sizeof(set[i].why), "%s", cpu);
	}
	for (i = 0; i < nset; i++) {
		if (set[i].failed)
			printf("FAILED %s %s\n", set[i].name, set[i].why);
		else
			printf("RESULT %s %.4f %.4f %.4f %s\n", set[i].name,
			    set[i].ms[0], set[i].ms[rounds / 2],
			    set[i].ms[rounds - 1], set[i].why);
		setup_close(&set[i]);
		free(set[i].ms);
	}
	free(set);
	for (i = 0; i < nusers; i++) {
		explicit_bzero(users[i].resp, strlen(users[i].resp));
		free(users[i].resp);
		free(users[i].name);
	}
	free(users);
	return fflush(stdout) == 0 ? 0 : 1;
}
