/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * vudb-mapd.c - the Postfix lookup server: start-up and shut-down.  It
 * parses the options and the -l listener specifications, creates (or takes
 * over from systemd) the listening sockets, leaves the terminal, opens one
 * store handle per worker, drops privileges, starts the workers
 * (worker.c) and then waits for signals: SIGTERM and SIGINT stop it
 * gracefully, SIGHUP makes every worker reopen its store, SIGUSR1 logs
 * the answer cache's figures (also logged at the stop).  Between
 * signals it watches the workers: one that has been at a round of work
 * for seconds may wait inside the library for a lock or mutex of a
 * process that died holding it, which it would wait for for ever (it
 * answered nothing and ignored every signal).  vudb_check() tells: the
 * store is recovered, every other handle opens it anew, and the worker
 * that waits is abandoned and replaced.  All lookup semantics are
 * the library's (vudb_lookup); the protocols are in proto.c.
 *
 * Order matters: the store is opened after the fork into the background
 * (Berkeley DB registers the process by its ID) and before privileges are
 * dropped; listeners are created first, so that a port in use is reported
 * on the terminal with a non-zero exit status.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <errno.h>
#include <getopt.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netdb.h>
#include <stddef.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mapd.h"

#define DEF_MAXCONN	1000
#define DEF_IDLE	300
#define DEF_READ	10
#define MAX_WORKERS	64
#define STUCK_MS	2000	/* a round of work this long: look why */
#define MAX_ABANDONED	16	/* replaced workers before giving up */
#define JOIN_MS		7000	/* a stopping worker's grace, and more */

struct config conf;

static int	 log_stderr = 1;	/* until the daemon is running */
static int	 log_syslog;
static int	 ready_fd = -1;		/* to the waiting parent */

/* ------------------------------------------------------------- logging */

/*
 * Repeated warnings are rate limited: a storage failure is logged once per
 * lookup, and a damaged domain under load wrote thousands of identical
 * lines a second.  The same text (by hash) is written at most LOG_BURST
 * times per LOG_WINDOW seconds; after that it is counted, and the count is
 * logged when the window ends ("... repeated N more times in 60 s").
 * Informational lines are never held back.
 */
#define LOG_SLOTS	32
#define LOG_BURST	5
#define LOG_WINDOW	60

struct log_slot {
	uint64_t	 hash;		/* of level and text; 0: free */
	time_t		 start;		/* window start */
	unsigned long	 seen;		/* in this window */
	char		 text[160];	/* the start of the line, to report */
	int		 prio;
};

static struct log_slot	 log_slots[LOG_SLOTS];
static pthread_mutex_t	 log_lock = PTHREAD_MUTEX_INITIALIZER;

/* log_hash - FNV-1a of the text */
static uint64_t
log_hash(int prio, const char *s)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)prio;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h != 0 ? h : 1;
}

/* log_write - one line to syslog and/or stderr */
static void
log_write(int prio, const char *msg)
{
	char line[1100];
	const char *level;
	int n;

	switch (prio) {
	case LOG_CRIT:
		level = "fatal: ";
		break;
	case LOG_ERR:
		level = "error: ";
		break;
	case LOG_WARNING:
		level = "warning: ";
		break;
	default:
		level = "";
		break;
	}
	if (log_syslog)
		syslog(prio == LOG_DEBUG ? LOG_INFO : prio, "%s%s", level, msg);
	if (log_stderr) {
		n = snprintf(line, sizeof(line), "%s[%ld]: %s%s\n", PROG,
		    (long)getpid(), level, msg);
		if (n > (int)sizeof(line) - 1)
			n = (int)sizeof(line) - 1;
		if (write(STDERR_FILENO, line, (size_t)n) < 0) {
			/* nowhere to report it */
		}
	}
}

/* log_report - the count of a slot's held-back lines (log_lock held) */
static void
log_report(struct log_slot *sl, time_t now)
{
	char msg[300];

	if (sl->seen > LOG_BURST) {
		snprintf(msg, sizeof(msg), "%s%s ... repeated %lu more times "
		    "in %lld s", sl->text, strlen(sl->text) + 1 >=
		    sizeof(sl->text) ? "..." : "", sl->seen - LOG_BURST,
		    (long long)(now - sl->start));
		log_write(sl->prio, msg);
	}
	sl->hash = 0;
}

/*
 * log_admit - whether a warning or error may be written now; counts it
 * otherwise
 */
static int
log_admit(int prio, const char *msg)
{
	struct log_slot *sl, *oldest = NULL;
	uint64_t h = log_hash(prio, msg);
	time_t now = time(NULL);
	size_t i;
	int ok = 1;

	pthread_mutex_lock(&log_lock);
	for (i = 0; i < LOG_SLOTS; i++) {
		sl = &log_slots[i];
		if (sl->hash != 0 && now - sl->start >= LOG_WINDOW)
			log_report(sl, now);
		if (sl->hash == h)
			break;
		if (oldest == NULL || sl->hash == 0 ||
		    (oldest->hash != 0 && sl->start < oldest->start))
			oldest = sl;
	}
	if (i == LOG_SLOTS) {
		sl = oldest;
		if (sl->hash != 0)
			log_report(sl, now);
		sl->hash = h;
		sl->start = now;
		sl->seen = 0;
		sl->prio = prio;
		snprintf(sl->text, sizeof(sl->text), "%.*s",
		    (int)sizeof(sl->text) - 1, msg);
	}
	if (++sl->seen > LOG_BURST)
		ok = 0;
	pthread_mutex_unlock(&log_lock);
	return ok;
}

/* mapd_log_tick - report the held-back counts of ended windows (a
 * worker calls this once a second), or of all (at exit) */
void
mapd_log_tick(int all)
{
	time_t now = time(NULL);
	size_t i;

	pthread_mutex_lock(&log_lock);
	for (i = 0; i < LOG_SLOTS; i++)
		if (log_slots[i].hash != 0 &&
		    (all || now - log_slots[i].start >= LOG_WINDOW))
			log_report(&log_slots[i], now);
	pthread_mutex_unlock(&log_lock);
}

void
mapd_vlog(int prio, const char *fmt, va_list ap)
{
	char msg[1024];

	if (prio == LOG_DEBUG && !conf.verbose)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if ((prio == LOG_WARNING || prio == LOG_ERR) && !log_admit(prio, msg))
		return;
	log_write(prio, msg);
}

void
mapd_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mapd_vlog(prio, fmt, ap);
	va_end(ap);
}

void
mapd_lib_log(void *arg, int prio, const char *msg)
{
	(void)arg;
	mapd_log(prio, "%s", msg);
}

/* fatal - log and exit with a sysexits status, telling a waiting parent */
static void __attribute__((__noreturn__, __format__(__printf__, 2, 3)))
fatal(int status, const char *fmt, ...)
{
	va_list ap;
	unsigned char st = (unsigned char)status;

	va_start(ap, fmt);
	mapd_vlog(LOG_CRIT, fmt, ap);
	va_end(ap);
	if (ready_fd >= 0 && write(ready_fd, &st, 1) < 0) {
		/* the parent then sees our exit status */
	}
	exit(status);
}

static void __attribute__((__noreturn__))
usage(void)
{
	fprintf(stderr, "usage: %s [-fv] [-c MAXCONN] [-d STORE] [-g GROUP] "
	    "[-m MODE] [-p PIDFILE]\n"
	    "       [-r READ_TIMEOUT] [-t IDLE_TIMEOUT] [-u USER] [-w WORKERS]"
	    "\n       -l LISTEN [-l LISTEN ...]\n"
	    "LISTEN: socketmap:inet:HOST:PORT | socketmap:unix:PATH |\n"
	    "        tcp:MAP:inet:HOST:PORT | tcp:MAP:unix:PATH\n", PROG);
	exit(EX_USAGE);
}

/* --------------------------------------------------------------- options */

/* number - parse a decimal option value in [min, max] */
static int
number(const char *opt, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "%s: bad %s value \"%s\": expected a number "
		    "from %ld to %ld\n", PROG, opt, s, min, max);
		exit(EX_USAGE);
	}
	return (int)v;
}

/* absolute - an absolute form of a path (malloc) */
static char *
absolute(const char *path)
{
	char cwd[PATH_MAX], *p;

	if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		p = strdup(path);
	else if (asprintf(&p, "%s/%s", cwd, path) < 0)
		p = NULL;
	if (p == NULL)
		fatal(EX_OSERR, "out of memory");
	return p;
}

/*
 * store_url - the store URL with a directory made absolute, since the
 * daemon changes to "/": "bdb:rel" -> "bdb:/cwd/rel", "rel" -> "/cwd/rel"
 * (the library parses it).  NULL: the library's default, chosen at open.
 */
static const char *
store_url(const char *s)
{
	char *url;

	if (s == NULL && getenv("VUDB_STORE") == NULL)
		return NULL;
	if (vudb_store_url(s, &url) != VUDB_OK)
		fatal(EX_OSERR, "out of memory");
	return url;
}

/* parse_inet - "HOST:PORT" or "[V6]:PORT" into an address */
static int
parse_inet(const char *ep, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints, *res;
	char host[256];
	const char *port, *h;
	size_t hlen;

	if (ep[0] == '[') {
		h = ep + 1;
		if ((port = strchr(h, ']')) == NULL || port[1] != ':')
			return -1;
		hlen = (size_t)(port - h);
		port += 2;
	} else {
		h = ep;
		if ((port = strrchr(ep, ':')) == NULL)
			return -1;
		hlen = (size_t)(port - h);
		port++;
	}
	if (hlen == 0 || hlen >= sizeof(host) || *port == '\0' ||
	    strspn(port, "0123456789") != strlen(port) || strlen(port) > 5 ||
	    atoi(port) < 1 || atoi(port) > 65535)
		return -1;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* parse_listen - check a -l argument and fill in the listener */
static void
parse_listen(const char *spec, struct listener *l)
{
	const char *ep, *colon;
	static char maps[MAX_WORKERS * 4][16];
	static int nmaps;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	l->spec = spec;
	if (strncmp(spec, "socketmap:", 10) == 0) {
		l->proto = PROTO_SOCKETMAP;
		ep = spec + 10;
	} else if (strncmp(spec, "tcp:", 4) == 0) {
		l->proto = PROTO_TCP;
		if ((colon = strchr(spec + 4, ':')) == NULL ||
		    (size_t)(colon - spec - 4) >= sizeof(maps[0]) ||
		    nmaps >= (int)(sizeof(maps) / sizeof(maps[0])))
			goto bad;
		memcpy(maps[nmaps], spec + 4, (size_t)(colon - spec - 4));
		maps[nmaps][colon - spec - 4] = '\0';
		if (!vudb_map_valid(maps[nmaps])) {
			fprintf(stderr, "%s: -l %s: unknown map \"%s\" (maps: "
			    "domain, mailbox, alias, sender, uid, gid, "
			    "relocated)\n", PROG, spec, maps[nmaps]);
			exit(EX_USAGE);
		}
		l->map = maps[nmaps++];
		ep = colon + 1;
	} else
		goto bad;
	if (strncmp(ep, "unix:", 5) == 0 && ep[5] != '\0')
		l->is_unix = 1;
	else if (strncmp(ep, "inet:", 5) != 0)
		goto bad;
	return;
bad:
	fprintf(stderr, "%s: bad listener \"%s\": expected "
	    "socketmap:inet:HOST:PORT, socketmap:unix:PATH, "
	    "tcp:MAP:inet:HOST:PORT or tcp:MAP:unix:PATH\n", PROG, spec);
	exit(EX_USAGE);
}

/* endpoint - the "inet:..." or "unix:..." part of a listener spec */
static const char *
endpoint(const struct listener *l)
{
	if (l->proto == PROTO_SOCKETMAP)
		return l->spec + 10;
	return strchr(l->spec + 4, ':') + 1;
}

/* ------------------------------------------------------------- listeners */

/* unix_listen - bind a unix socket, replacing a stale one */
static int
unix_listen(struct listener *l, mode_t mode, gid_t gid)
{
	const char *path = endpoint(l) + 5;
	struct sockaddr_un sun;
	struct stat st;
	int fd, probe;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		fatal(EX_USAGE, "-l %s: path too long", l->spec);
	strcpy(sun.sun_path, path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			fatal(EX_UNAVAILABLE, "-l %s: %s exists and is not a "
			    "socket", l->spec, path);
		/* a socket file: in use, or left over by a crash? */
		if ((probe = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
			fatal(EX_OSERR, "socket: %s", strerror(errno));
		if (connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			fatal(EX_UNAVAILABLE, "-l %s: another server is "
			    "listening there", l->spec);
		close(probe);
		if (unlink(path) != 0)
			fatal(EX_UNAVAILABLE, "-l %s: remove stale socket: %s",
			    l->spec, strerror(errno));
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0)
		fatal(EX_OSERR, "socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
		fatal(EX_UNAVAILABLE, "-l %s: bind: %s", l->spec,
		    strerror(errno));
	l->unlink_path = absolute(path);
	if (chmod(path, mode) != 0)
		fatal(EX_UNAVAILABLE, "-l %s: chmod: %s", l->spec,
		    strerror(errno));
	if (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) != 0)
		fatal(EX_UNAVAILABLE, "-l %s: chown: %s", l->spec,
		    strerror(errno));
	return fd;
}

/* inet_listen - bind a TCP socket */
static int
inet_listen(struct listener *l)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, on = 1;

	if (parse_inet(endpoint(l) + 5, &ss, &len) != 0)
		fatal(EX_USAGE, "-l %s: expected a numeric HOST:PORT or "
		    "[IPV6]:PORT", l->spec);
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0)
		fatal(EX_OSERR, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&ss, len) != 0)
		fatal(EX_UNAVAILABLE, "-l %s: bind: %s", l->spec,
		    strerror(errno));
	return fd;
}

/*
 * systemd_fds - socket activation: if LISTEN_PID is ours, LISTEN_FDS
 * descriptors from 3 on are the listeners, in the order of the -l options.
 * Returns 1 if they were taken, 0 if there are none.
 */
static int
systemd_fds(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	struct sockaddr_storage ss;
	socklen_t len;
	int n, type, acc, flags;
	size_t i;

	if (pid == NULL || fds == NULL || atol(pid) != (long)getpid())
		return 0;
	n = atoi(fds);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (n <= 0)
		return 0;
	if ((size_t)n != conf.nls)
		fatal(EX_USAGE, "LISTEN_FDS=%d, but %zu -l options: give one "
		    "-l per socket, in the same order", n, conf.nls);
	for (i = 0; i < conf.nls; i++) {
		struct listener *l = &conf.ls[i];
		int fd = 3 + (int)i;

		len = sizeof(type);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
		    type != SOCK_STREAM)
			fatal(EX_USAGE, "socket activation: descriptor %d "
			    "is not a stream socket", fd);
		len = sizeof(acc);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) !=
		    0 || !acc)
			fatal(EX_USAGE, "socket activation: descriptor %d "
			    "is not listening", fd);
		len = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0 ||
		    (ss.ss_family == AF_UNIX) != l->is_unix)
			fatal(EX_USAGE, "socket activation: descriptor %d "
			    "does not match -l %s", fd, l->spec);
		flags = fcntl(fd, F_GETFL);
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		l->fd = fd;
	}
	return 1;
}

/* ---------------------------------------------------------- the daemon */

/*
 * daemonize - go to the background; the parent waits until the child
 * reports that it runs (exit 0) or exits with the child's failure status.
 */
static void
daemonize(void)
{
	int pfd[2], status, fd;
	unsigned char st;
	pid_t pid;
	ssize_t n;

	if (pipe(pfd) != 0)
		fatal(EX_OSERR, "pipe: %s", strerror(errno));
	if ((pid = fork()) < 0)
		fatal(EX_OSERR, "fork: %s", strerror(errno));
	if (pid > 0) {
		close(pfd[1]);
		do
			n = read(pfd[0], &st, 1);
		while (n < 0 && errno == EINTR);
		if (n == 1)
			_exit(st);
		if (waitpid(pid, &status, 0) == pid && WIFEXITED(status))
			_exit(WEXITSTATUS(status));
		_exit(EX_OSERR);
	}
	close(pfd[0]);
	ready_fd = pfd[1];
	fcntl(ready_fd, F_SETFD, FD_CLOEXEC);
	if (setsid() < 0)
		fatal(EX_OSERR, "setsid: %s", strerror(errno));
	if (chdir("/") != 0)
		fatal(EX_OSERR, "chdir /: %s", strerror(errno));
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
}

/* ready - startup is over: release the parent, leave the terminal */
static void
ready(void)
{
	unsigned char st = 0;
	int fd;

	if (ready_fd < 0)
		return;
	if (write(ready_fd, &st, 1) < 0) {
		/* the parent then sees no answer and waits for us */
	}
	close(ready_fd);
	ready_fd = -1;
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	log_stderr = 0;
}

/*
 * notify_systemd - tell systemd (Type=notify) how startup and stopping
 * go: one datagram to $NOTIFY_SOCKET (a path, or @ for the abstract
 * namespace), as sd_notify(3) would send it.  Nothing without it.
 */
static void
notify_systemd(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	size_t len;
	int fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    (len = strlen(path)) < 2 || len >= sizeof(sa.sun_path))
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sa,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0) {
		/* systemd then waits for its start timeout, and says so */
	}
	close(fd);
}

int
mapd_store_open(struct vudb **db_r)
{
	int rc;

	if ((rc = vudb_open(conf.store, VUDB_RDONLY | VUDB_CACHE, db_r)) !=
	    VUDB_OK) {
		mapd_log(LOG_WARNING, "open store %s: %s: %s",
		    conf.store ? conf.store : "(default)", vudb_strerror(rc),
		    vudb_open_errmsg());
		*db_r = NULL;
		return rc;
	}
	vudb_set_log(*db_r, mapd_lib_log, NULL);
	return 0;
}

/*
 * fd_limit - take every descriptor the hard limit allows: connections
 * need their own, and the library keeps open domain databases in up to
 * half of the limit (with many domains, reopening them on every lookup
 * would be the cost).  Warn when the connection limit does not fit
 * (accept then pauses while descriptors run out).
 */
static void
fd_limit(void)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)conf.maxconn + 64 + 16 * (rlim_t)conf.workers;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < want)
		mapd_log(LOG_WARNING, "only %ld file descriptors for a "
		    "connection limit of %d: lower -c or raise the limit",
		    (long)rl.rlim_cur, conf.maxconn);
}

/*
 * watch - the workers' watchdog, once a second.  A worker at its round
 * of work for STUCK_MS is slow, waits for its store to be reopened, or
 * waits for a dead process; the store's check tells (chk is the main
 * thread's own handle; it knows a thread that waits for ever a few
 * seconds after the death), and a worker that waits for a dead process
 * is replaced: it will never answer again.  Returns -1 when too many
 * were replaced (the process had better be restarted), else 0.
 */
static int
watch(struct worker **ws, struct vudb **chk, int *abandoned)
{
	struct worker *nw;
	struct vudb *db;
	uint64_t ms;
	size_t i;
	int rc, err, id;

	for (i = 0; i < (size_t)conf.workers; i++) {
		if ((ms = worker_busy(ws[i])) < STUCK_MS)
			continue;
		if (*chk == NULL && mapd_store_open(chk) != 0)
			return 0;
		if ((rc = vudb_check(*chk)) == VUDB_OK) {
			if (ms < STUCK_MS + 1000)
				mapd_log(LOG_WARNING, "worker %d: at one round "
				    "of lookups for %llu ms", worker_id(ws[i]),
				    (unsigned long long)ms);
			continue;
		}
		id = worker_id(ws[i]);
		mapd_log(LOG_ERR, "worker %d: waiting for %llu ms: %s; "
		    "replacing the worker", id, (unsigned long long)ms,
		    vudb_errmsg(*chk));
		if (++*abandoned > MAX_ABANDONED)
			return -1;
		if (mapd_store_open(&db) != 0)
			db = NULL;	/* the new worker opens it later */
		if ((nw = worker_new(id, db, &err)) == NULL) {
			vudb_close(db);
			mapd_log(LOG_ERR, "worker %d: %s", id, strerror(err));
			continue;
		}
		worker_abandon(ws[i]);
		ws[i] = nw;
		if ((err = worker_start(nw)) != 0)
			mapd_log(LOG_ERR, "worker %d: %s", id, strerror(err));
	}
	return 0;
}

/*
 * log_cache - the answer cache the workers share (one per process: the
 * watchdog's handle shares it too) and the lookups of each worker
 */
static void
log_cache(struct worker **ws, struct vudb *chk)
{
	struct vudb_cache_stats st;
	char per[MAX_WORKERS * 32];
	size_t i, n = 0;
	int k;

	per[0] = '\0';
	for (i = 0; i < (size_t)conf.workers && n < sizeof(per); i++) {
		k = snprintf(per + n, sizeof(per) - n, "%s%d %llu",
		    i > 0 ? ", " : "", worker_id(ws[i]),
		    worker_lookups(ws[i]));
		n += k > 0 ? (size_t)k : 0;
	}
	if (chk == NULL || vudb_cache_stats(chk, &st) != VUDB_OK ||
	    st.limit == 0) {
		mapd_log(LOG_INFO, "answer cache: none; lookups by worker: %s",
		    per);
		return;
	}
	mapd_log(LOG_INFO, "answer cache: %llu hits, %llu misses, %llu bytes "
	    "of %llu, shared by %llu handles; lookups by worker: %s",
	    st.hits, st.misses, st.bytes, st.limit, st.handles, per);
}

/* drop_privileges - become USER for good */
static void
drop_privileges(const struct passwd *pw)
{
	if (initgroups(pw->pw_name, pw->pw_gid) != 0)
		fatal(EX_OSERR, "initgroups %s: %s", pw->pw_name,
		    strerror(errno));
	if (setgid(pw->pw_gid) != 0)
		fatal(EX_OSERR, "setgid %ld: %s", (long)pw->pw_gid,
		    strerror(errno));
	if (setuid(pw->pw_uid) != 0)
		fatal(EX_OSERR, "setuid %ld: %s", (long)pw->pw_uid,
		    strerror(errno));
	if (pw->pw_uid != 0 && setuid(0) == 0)
		fatal(EX_OSERR, "privileges could not be dropped");
}

/* every option has a long name too: "--listen=socketmap:unix:/x" */
static const struct option long_opts[] = {
	{ "maxconn",		required_argument,	NULL, 'c' },
	{ "store",		required_argument,	NULL, 'd' },
	{ "foreground",		no_argument,		NULL, 'f' },
	{ "group",		required_argument,	NULL, 'g' },
	{ "listen",		required_argument,	NULL, 'l' },
	{ "mode",		required_argument,	NULL, 'm' },
	{ "pidfile",		required_argument,	NULL, 'p' },
	{ "read-timeout",	required_argument,	NULL, 'r' },
	{ "idle-timeout",	required_argument,	NULL, 't' },
	{ "user",		required_argument,	NULL, 'u' },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "workers",		required_argument,	NULL, 'w' },
	{ NULL,			0,			NULL, 0 }
};

int
main(int argc, char *argv[])
{
	struct worker *ws[MAX_WORKERS];
	struct passwd *pw = NULL, pwcopy;
	struct group *gr;
	struct vudb *db, *chk = NULL;
	struct timespec tick = { 1, 0 };
	int abandoned = 0, status = 0;
	const char *user = NULL, *group = NULL, *store = NULL;
	char *pidfile = NULL;
	mode_t mode = 0660;
	gid_t gid = (gid_t)-1;
	sigset_t sigs;
	size_t i;
	int ch, sig, rc, err, activated;
	FILE *fp;

	conf.workers = 1;
	conf.maxconn = DEF_MAXCONN;
	conf.idle_timeout = DEF_IDLE;
	conf.read_timeout = DEF_READ;
	if ((conf.ls = calloc((size_t)argc, sizeof(*conf.ls))) == NULL)
		return EX_OSERR;
	while ((ch = getopt_long(argc, argv, "c:d:fg:l:m:p:r:t:u:vw:",
	    long_opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf.maxconn = number("-c", optarg, 1, 1000000);
			break;
		case 'd':
			store = optarg;
			break;
		case 'f':
			conf.foreground = 1;
			break;
		case 'g':
			group = optarg;
			break;
		case 'l':
			parse_listen(optarg, &conf.ls[conf.nls++]);
			break;
		case 'm':
			mode = (mode_t)strtol(optarg, NULL, 8);
			if (strspn(optarg, "01234567") != strlen(optarg) ||
			    *optarg == '\0' || mode > 0777) {
				fprintf(stderr, "%s: bad -m mode \"%s\": "
				    "expected octal, such as 0660\n", PROG,
				    optarg);
				exit(EX_USAGE);
			}
			break;
		case 'p':
			pidfile = optarg;
			break;
		case 'r':
			conf.read_timeout = number("-r", optarg, 1, 86400);
			break;
		case 't':
			conf.idle_timeout = number("-t", optarg, 1, 86400);
			break;
		case 'u':
			user = optarg;
			break;
		case 'v':
			conf.verbose = 1;
			break;
		case 'w':
			conf.workers = number("-w", optarg, 1, MAX_WORKERS);
			break;
		default:
			usage();
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\"\n", PROG,
		    argv[optind]);
		usage();
	}
	if (conf.nls == 0) {
		fprintf(stderr, "%s: no -l LISTEN option\n", PROG);
		usage();
	}
	if (!conf.foreground) {
		openlog(PROG, LOG_PID | LOG_NDELAY, LOG_MAIL);
		log_syslog = 1;
	}
	if (user != NULL) {
		if ((pw = getpwnam(user)) == NULL)
			fatal(EX_NOUSER, "-u %s: no such user", user);
		pwcopy = *pw;
		if ((pwcopy.pw_name = strdup(pw->pw_name)) == NULL)
			fatal(EX_OSERR, "out of memory");
		pw = &pwcopy;
	}
	if (group != NULL) {
		if ((gr = getgrnam(group)) == NULL)
			fatal(EX_NOUSER, "-g %s: no such group", group);
		gid = gr->gr_gid;
	}
	conf.store = store_url(store);
	fd_limit();
	if (pidfile != NULL)
		pidfile = absolute(pidfile);

	/* listeners: inherited from systemd, or our own */
	activated = systemd_fds();
	for (i = 0; !activated && i < conf.nls; i++) {
		struct listener *l = &conf.ls[i];

		l->fd = l->is_unix ? unix_listen(l, mode, gid) :
		    inet_listen(l);
		if (listen(l->fd, SOMAXCONN) != 0)
			fatal(EX_UNAVAILABLE, "-l %s: listen: %s", l->spec,
			    strerror(errno));
	}

	if (!conf.foreground)
		daemonize();
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	for (i = 0; i < (size_t)conf.workers; i++) {
		if ((rc = mapd_store_open(&db)) != 0)
			fatal(rc == VUDB_ETEMP ? EX_TEMPFAIL : EX_UNAVAILABLE,
			    "cannot open the store");
		if ((ws[i] = worker_new((int)i, db, &err)) == NULL) {
			vudb_close(db);
			fatal(EX_OSERR, "worker %zu: %s", i, strerror(err));
		}
	}
	/* the watchdog's own handle, opened with the privileges the
	 * workers had */
	if (mapd_store_open(&chk) != 0)
		chk = NULL;
	if (pidfile != NULL) {
		if ((fp = fopen(pidfile, "w")) == NULL ||
		    fprintf(fp, "%ld\n", (long)getpid()) < 0 ||
		    fclose(fp) != 0)
			fatal(EX_CANTCREAT, "pid file %s: %s", pidfile,
			    strerror(errno));
	}
	if (pw != NULL)
		drop_privileges(pw);
	for (i = 0; i < (size_t)conf.workers; i++)
		if ((rc = worker_start(ws[i])) != 0)
			fatal(EX_OSERR, "worker %zu: %s", i, strerror(rc));
	ready();
	notify_systemd("READY=1");
	mapd_log(LOG_INFO, "starting: %zu listener%s, %d worker%s, store %s",
	    conf.nls, conf.nls == 1 ? "" : "s", conf.workers,
	    conf.workers == 1 ? "" : "s",
	    conf.store ? conf.store : "(default)");

	for (;;) {
		if ((sig = sigtimedwait(&sigs, NULL, &tick)) < 0) {
			if (errno == EAGAIN &&
			    watch(ws, &chk, &abandoned) != 0) {
				mapd_log(LOG_CRIT, "%d workers were replaced: "
				    "stopping, to be started anew",
				    abandoned - 1);
				status = EX_TEMPFAIL;
				break;
			}
			continue;
		}
		if (sig == SIGUSR1) {
			log_cache(ws, chk);
			continue;
		}
		if (sig == SIGHUP) {
			mapd_log(LOG_INFO, "SIGHUP: reopening the store");
			__atomic_add_fetch(&reopen_gen, 1, __ATOMIC_SEQ_CST);
			for (i = 0; i < (size_t)conf.workers; i++)
				worker_notify(ws[i]);
			continue;
		}
		break;
	}
	if (status == 0)
		mapd_log(LOG_INFO, "%s: stopping", sig == SIGINT ? "SIGINT" :
		    "SIGTERM");
	notify_systemd("STOPPING=1");
	__atomic_store_n(&mapd_stopping, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < (size_t)conf.workers; i++)
		worker_notify(ws[i]);
	log_cache(ws, chk);
	for (i = 0; i < (size_t)conf.workers; i++) {
		/* one that waits for a dead process does not come back */
		if (worker_join(ws[i], JOIN_MS) != 0) {
			mapd_log(LOG_WARNING, "worker %d did not stop: left "
			    "as it is", worker_id(ws[i]));
			continue;
		}
		worker_free(ws[i]);
	}
	vudb_close(chk);
	for (i = 0; i < conf.nls; i++) {
		close(conf.ls[i].fd);
		if (conf.ls[i].unlink_path != NULL &&
		    unlink(conf.ls[i].unlink_path) != 0)
			mapd_log(LOG_WARNING, "remove %s: %s",
			    conf.ls[i].unlink_path, strerror(errno));
		free(conf.ls[i].unlink_path);
	}
	if (pidfile != NULL)
		unlink(pidfile);
	free(pidfile);
	if (pw != NULL)
		free(pw->pw_name);
	free(conf.ls);
	mapd_log_tick(1);
	mapd_log(LOG_INFO, "stopped");
	return status;
}
