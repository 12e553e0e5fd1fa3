/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * worker.c - one vudb-mapd worker thread: its own store handle, its own
 * epoll set holding every listening socket (EPOLLEXCLUSIVE, so that one
 * worker wakes per new connection) and the connections it accepted.
 *
 * Each connection has a fixed input buffer just large enough for the
 * longest request a protocol allows, and an output buffer that grows to
 * hold at most one longest reply beyond OUT_HIGH bytes of unsent replies.
 * Requests are answered in order; while replies are waiting to be sent
 * beyond OUT_HIGH, the connection is not read (write back-pressure), so a
 * client that does not read its replies cannot make the server grow.  A
 * malformed or over-long request is logged and closes that connection once
 * the replies before it are sent.  A sweep once a second closes the
 * connections that stayed idle too long (idle timeout) and those whose
 * partial request did not complete in time (read deadline).  Lookups are
 * synchronous: the store is local and answers in microseconds.  The
 * connections one epoll_wait() reports ready are served in three passes
 * (receive all, look up all, send all), which keeps the store's pages and
 * the kernel's paths warm in the CPU caches.
 *
 * A worker publishes when its current round of work began (busy_ms), so
 * that the main thread can tell one that waits inside the library for a
 * lock or mutex of a process that died holding it: that one is abandoned
 * (worker_abandon) and replaced, and should it ever come back, it only
 * cleans up after itself and ends.
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mapd.h"
#include "proto.h"

#define IN_SIZE		(SM_MAX_REQUEST + 16)	/* >= TCP_MAX_REQUEST */
#define OUT_HIGH	16384	/* stop reading beyond this backlog */
#define OUT_INIT	4096
#define OUT_KEEP	65536	/* shrink an idle output buffer above this */
#define MAX_EVENTS	64
#define ACCEPT_BURST	32	/* accepts per wakeup and listener */
#define REQ_BURST	64	/* requests per connection and wakeup */
#define STOP_GRACE_MS	5000	/* to finish sending replies on SIGTERM */
#define ACCEPT_PAUSE_MS	250	/* out of descriptors: stop accepting */
#define MAP_MAX		32

enum { SRC_LISTENER = 1, SRC_CONN, SRC_EVENT };

struct src {
	int		 kind;
};

struct lsrc {
	struct src	 src;
	struct listener	*l;
};

struct conn {
	struct src	 src;
	int		 fd;
	int		 proto;
	const char	*map;		/* tcp: the listener's map */
	struct conn	*prev, *next;
	char		*in;		/* IN_SIZE bytes */
	size_t		 inlen;
	char		*out;
	size_t		 outoff, outlen, outcap;
	uint64_t	 last;		/* ms: last byte received or sent */
	uint64_t	 partial;	/* ms: when a partial request began */
	uint32_t	 events;	/* registered with epoll */
	int		 closing;	/* no more reading; close once sent */
	int		 eof;		/* the peer sent all it will send */
};

struct worker {
	struct src	 evsrc;
	int		 id;
	pthread_t	 tid;
	int		 started;
	int		 done;		/* the thread has ended (atomic) */
	int		 abandoned;	/* replaced: end, free self (atomic) */
	uint64_t	 busy_ms;	/* round of work began; 0 idle (atomic) */
	unsigned long long lookups;	/* answered by it (atomic) */
	int		 epfd;
	int		 evfd;
	struct vudb	*db;
	unsigned int	 gen;		/* reopen_gen last acted on */
	uint64_t	 retry_open;	/* ms: next reopen attempt */
	struct lsrc	*lsrcs;
	int		 listening;
	uint64_t	 resume_at;	/* ms: accept again (after EMFILE) */
	uint64_t	 emfile_logged;	/* ms: last such warning */
	struct conn	*conns;		/* all connections, newest first */
	size_t		 nconns;
	char		 key[SM_MAX_REQUEST + 1];
	char		 map[MAP_MAX + 1];
};

int conn_count;
int conn_limit_hit;
unsigned int reopen_gen;
int mapd_stopping;

/* now_ms - monotonic milliseconds */
static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* peer_name - "127.0.0.1:4711", "[::1]:4711" or "unix" for logs */
static const char *
peer_name(int fd, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN];

	if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
		snprintf(buf, size, "unknown");
	else if (ss.ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(buf, size, "%s:%u", host, ntohs(sin->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(buf, size, "[%s]:%u", host, ntohs(sin6->sin6_port));
	} else
		snprintf(buf, size, "unix socket");
	return buf;
}

/* printable - a copy of s[0..len) safe to log: controls become "?" */
static const char *
printable(const char *s, size_t len, char *buf, size_t size)
{
	size_t i;

	for (i = 0; i < len && i < size - 1; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' :
		    s[i];
	buf[i] = '\0';
	return buf;
}

/* conn_warn - log a warning about a connection, naming its peer */
static void
conn_warn(struct conn *c, const char *what)
{
	char peer[INET6_ADDRSTRLEN + 16];

	mapd_log(LOG_WARNING, "%s client %s: %s",
	    c->proto == PROTO_TCP ? "tcp_table" : "socketmap",
	    peer_name(c->fd, peer, sizeof(peer)), what);
}

/* conn_close - forget a connection */
static void
conn_close(struct worker *w, struct conn *c)
{
	int n;

	epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	w->nconns--;
	free(c->in);
	free(c->out);
	free(c);
	n = __atomic_sub_fetch(&conn_count, 1, __ATOMIC_SEQ_CST);
	if (n < conf.maxconn &&
	    __atomic_exchange_n(&conn_limit_hit, 0, __ATOMIC_SEQ_CST))
		mapd_log(LOG_INFO, "connection count below the limit of %d "
		    "again", conf.maxconn);
}

/* conn_update - register the events the connection's state calls for */
static void
conn_update(struct worker *w, struct conn *c)
{
	struct epoll_event ev;
	uint32_t want = 0;

	if (!c->closing && !c->eof && c->outlen - c->outoff < OUT_HIGH)
		want |= EPOLLIN;
	if (c->outlen > c->outoff)
		want |= EPOLLOUT;
	if (want == c->events)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = want;
	ev.data.ptr = c;
	if (epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->events = want;
}

/* out_reserve - room for need more bytes of output, or NULL */
static char *
out_reserve(struct conn *c, size_t need)
{
	size_t cap;
	char *p;

	if (c->outoff > 0 && c->outcap - c->outlen < need) {
		memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
		c->outlen -= c->outoff;
		c->outoff = 0;
	}
	if (c->outcap - c->outlen < need) {
		cap = c->outcap ? c->outcap : OUT_INIT;
		while (cap - c->outlen < need)
			cap *= 2;
		if (cap > OUT_HIGH + SM_MAX_FRAME + 64)
			cap = OUT_HIGH + SM_MAX_FRAME + 64;
		if (cap - c->outlen < need ||
		    (p = realloc(c->out, cap)) == NULL)
			return NULL;
		c->out = p;
		c->outcap = cap;
	}
	return c->out + c->outlen;
}

/*
 * store_reopen - open a new store handle and replace the worker's with it
 * (SIGHUP); if that fails, keep the old one.  With no handle at all, try
 * at most once a second.  Returns 0, or -1 if the worker has no handle.
 */
static int
store_reopen(struct worker *w)
{
	struct vudb *db;
	uint64_t now = now_ms();

	if (w->db == NULL && now < w->retry_open)
		return -1;
	if (mapd_store_open(&db) != 0) {
		w->retry_open = now + 1000;
		if (w->db != NULL)
			mapd_log(LOG_WARNING, "worker %d: reopen failed: "
			    "keeping the store handle open before", w->id);
		return w->db != NULL ? 0 : -1;
	}
	vudb_close(w->db);
	w->db = db;
	mapd_log(LOG_INFO, "worker %d: store reopened", w->id);
	return 0;
}

/*
 * lookup - answer map/key from the store.  Failures are logged here, with
 * the key only in verbose mode.
 */
static int
lookup(struct worker *w, const char *map, const char *key, size_t keylen,
    char **answer_r)
{
	char safe[256];
	int rc;

	*answer_r = NULL;
	if (conf.verbose)
		printable(key, keylen, safe, sizeof(safe));
	if (memchr(key, '\0', keylen) != NULL) {
		/* a NUL inside a key: no such name can exist */
		rc = vudb_map_valid(map) ? VUDB_ENOTFOUND : VUDB_ENOMAP;
	} else if (w->db == NULL && store_reopen(w) != 0)
		rc = VUDB_ETEMP;
	else
		rc = vudb_lookup(w->db, map, key, answer_r);
	__atomic_store_n(&w->lookups, w->lookups + 1, __ATOMIC_RELAXED);
	if (rc != VUDB_OK && rc != VUDB_ENOTFOUND && rc != VUDB_ENOMAP) {
		if (conf.verbose)
			mapd_log(LOG_WARNING, "lookup %s %s: %s: %s", map,
			    safe, vudb_strerror(rc), vudb_errmsg(w->db));
		else
			mapd_log(LOG_WARNING, "lookup in map %s: %s: %s", map,
			    vudb_strerror(rc), vudb_errmsg(w->db));
	} else if (conf.verbose)
		mapd_log(LOG_DEBUG, "lookup %s %s: %s", map, safe,
		    rc == VUDB_OK ? *answer_r : vudb_strerror(rc));
	return rc;
}

/* answer_sm - answer one socketmap request payload */
static int
answer_sm(struct worker *w, struct conn *c, const char *data, size_t dlen)
{
	const char *map, *key, *status, *text;
	size_t maplen, keylen, textlen, n;
	char *answer = NULL, *out, why[128], name[MAP_MAX + 1];
	int rc;

	if (sm_request(data, dlen, &map, &maplen, &key, &keylen) != 0) {
		status = "PERM";
		text = "malformed request: expected NAME SPACE KEY";
	} else if (maplen > MAP_MAX) {
		status = "PERM";
		text = "unknown map";
		conn_warn(c, "request for an unknown map");
	} else {
		memcpy(w->map, map, maplen);
		w->map[maplen] = '\0';
		memcpy(w->key, key, keylen);
		w->key[keylen] = '\0';
		rc = lookup(w, w->map, w->key, keylen, &answer);
		switch (rc) {
		case VUDB_OK:
			status = "OK";
			text = answer;
			if (strlen(answer) > SM_MAX_REPLY - 3) {
				status = "TEMP";
				text = "answer longer than the socketmap "
				    "limit of 100000 bytes";
				mapd_log(LOG_WARNING, "map %s: %s", w->map,
				    text);
			}
			break;
		case VUDB_ENOTFOUND:
			status = "NOTFOUND";
			text = "";
			break;
		case VUDB_ENOMAP:
			status = "PERM";
			printable(w->map, maplen, name, sizeof(name));
			snprintf(why, sizeof(why), "unknown map \"%s\"", name);
			text = why;
			conn_warn(c, why);
			break;
		default:
			status = "TEMP";
			snprintf(why, sizeof(why), "lookup failed: %s",
			    vudb_strerror(rc));
			text = why;
			break;
		}
	}
	textlen = strlen(text);
	if ((out = out_reserve(c, textlen + 24)) == NULL ||
	    (n = sm_reply(out, textlen + 24, status, text, textlen)) == 0) {
		vudb_free(answer);
		conn_warn(c, "out of memory for a reply: closing");
		return -1;
	}
	c->outlen += n;
	vudb_free(answer);
	return 0;
}

/* answer_tcp - answer one tcp_table request line */
static int
answer_tcp(struct worker *w, struct conn *c, const char *line, size_t len)
{
	size_t keylen, textlen, n;
	const char *text;
	char *answer = NULL, *out, why[128];
	int code, rc;

	switch (tcp_request(line, len, w->key, &keylen)) {
	case TCP_GET:
		w->key[keylen] = '\0';
		rc = lookup(w, c->map, w->key, keylen, &answer);
		if (rc == VUDB_OK) {
			code = 200;
			text = answer;
		} else if (rc == VUDB_ENOTFOUND) {
			code = 500;
			text = "not found";
		} else {
			code = 400;
			snprintf(why, sizeof(why), "lookup failed: %s",
			    vudb_strerror(rc));
			text = why;
		}
		break;
	case TCP_BADKEY:
		code = 400;
		text = "malformed %XX sequence in the key";
		break;
	default:
		code = 400;
		text = "unknown request: only \"get KEY\" is served";
		break;
	}
	textlen = strlen(text);
	if ((out = out_reserve(c, TCP_MAX_REPLY)) == NULL) {
		vudb_free(answer);
		conn_warn(c, "out of memory for a reply: closing");
		return -1;
	}
	if ((n = tcp_reply(out, TCP_MAX_REPLY, code, text, textlen)) == 0) {
		char safe[256];

		/* a configuration error to mend: name the entry */
		printable(w->key, keylen, safe, sizeof(safe));
		mapd_log(LOG_WARNING, "map %s: the answer for %s is %zu bytes, "
		    "more than a tcp_table reply carries (4096): answered 400, "
		    "Postfix defers the mail; ask through socketmap for this "
		    "map", c->map, safe, textlen);
		text = "answer longer than the tcp_table limit of 4096 bytes";
		n = tcp_reply(out, TCP_MAX_REPLY, 400, text, strlen(text));
	}
	c->outlen += n;
	vudb_free(answer);
	return 0;
}

/* conn_complete - whether a complete request waits in the buffer */
static int
conn_complete(struct conn *c)
{
	const char *data;
	size_t used, dlen;

	if (c->inlen == 0)
		return 0;
	if (c->proto == PROTO_SOCKETMAP)
		return sm_parse(c->in, c->inlen, SM_MAX_REQUEST, &used,
		    &data, &dlen) != P_MORE;
	return tcp_line(c->in, c->inlen, TCP_MAX_REQUEST, &used, &dlen) !=
	    P_MORE;
}

/*
 * conn_process - answer the complete requests in the input buffer, at most
 * REQ_BURST and only while the output backlog allows; 0, or -1 to close.
 */
static int
conn_process(struct worker *w, struct conn *c)
{
	const char *data;
	size_t pos = 0, used, dlen;
	int i, rc = P_OK;

	for (i = 0; i < REQ_BURST && !c->closing &&
	    c->outlen - c->outoff < OUT_HIGH; i++) {
		if (c->proto == PROTO_SOCKETMAP) {
			rc = sm_parse(c->in + pos, c->inlen - pos,
			    SM_MAX_REQUEST, &used, &data, &dlen);
			if (rc == P_OK && answer_sm(w, c, data, dlen) != 0)
				return -1;
		} else {
			rc = tcp_line(c->in + pos, c->inlen - pos,
			    TCP_MAX_REQUEST, &used, &dlen);
			if (rc == P_OK && answer_tcp(w, c, c->in + pos,
			    dlen) != 0)
				return -1;
		}
		if (rc == P_MORE)
			break;
		if (rc == P_BAD || rc == P_TOOLONG) {
			conn_warn(c, c->proto == PROTO_TCP ?
			    "request longer than 10000 bytes: closing" :
			    rc == P_BAD ? "malformed netstring: closing" :
			    "netstring longer than 10000 bytes: closing");
			c->closing = 1;
			pos = c->inlen;
			break;
		}
		pos += used;
	}
	if (pos > 0) {
		memmove(c->in, c->in + pos, c->inlen - pos);
		c->inlen -= pos;
	}
	/* the read deadline runs while a request is incomplete */
	if (c->inlen > 0 && rc == P_MORE) {
		if (c->partial == 0)
			c->partial = now_ms();
	} else
		c->partial = 0;
	return 0;
}

/* conn_flush - send what is waiting; 0, or -1 to close now */
static int
conn_flush(struct conn *c)
{
	ssize_t n;

	while (c->outlen > c->outoff) {
		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		    MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		c->outoff += (size_t)n;
		c->last = now_ms();
	}
	c->outoff = c->outlen = 0;
	if (c->outcap > OUT_KEEP) {
		free(c->out);
		c->out = NULL;
		c->outcap = 0;
	}
	return 0;
}

/* conn_read - receive what a ready connection sent; 0, or -1 if closed */
static int
conn_read(struct worker *w, struct conn *c, uint32_t events)
{
	ssize_t n;

	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !c->closing &&
	    !c->eof && c->inlen < IN_SIZE) {
		n = recv(c->fd, c->in + c->inlen, IN_SIZE - c->inlen, 0);
		if (n > 0) {
			c->inlen += (size_t)n;
			c->last = now_ms();
		} else if (n == 0)
			c->eof = 1;
		else if (errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR) {
			conn_close(w, c);
			return -1;
		}
	}
	return 0;
}

/*
 * conn_event - answer what a connection asked and send the replies
 * (conn_read came first, or this answers requests left over from an
 * earlier round).  Returns 1 if complete requests are still waiting,
 * else 0.
 */
static int
conn_event(struct worker *w, struct conn *c)
{
	int round;

	for (round = 0; round < 4; round++) {
		if (conn_process(w, c) != 0 || conn_flush(c) != 0) {
			conn_close(w, c);
			return 0;
		}
		if (c->closing || c->outlen > c->outoff || !conn_complete(c))
			break;
	}
	/* the peer is done sending: an incomplete rest is dropped */
	if (c->eof && !c->closing && !conn_complete(c))
		c->closing = 1;
	if (c->closing && c->outlen == c->outoff) {
		conn_close(w, c);
		return 0;
	}
	conn_update(w, c);
	return !c->closing && c->outlen == c->outoff && conn_complete(c);
}

/* listeners_off - stop accepting in this worker */
static void
listeners_off(struct worker *w)
{
	size_t i;

	if (!w->listening)
		return;
	for (i = 0; i < conf.nls; i++)
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, conf.ls[i].fd, NULL);
	w->listening = 0;
}

/* listeners_on - accept in this worker; 0, or -1 with errno */
static int
listeners_on(struct worker *w)
{
	struct epoll_event ev;
	size_t i;

	if (w->listening)
		return 0;
	for (i = 0; i < conf.nls; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN | EPOLLEXCLUSIVE;
		ev.data.ptr = &w->lsrcs[i];
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, conf.ls[i].fd, &ev) !=
		    0 && errno != EEXIST)
			return -1;
	}
	w->listening = 1;
	w->resume_at = 0;
	return 0;
}

/*
 * evict_idle - at the connection limit, close this worker's connection
 * that has been idle longest (nothing to read or send), so that idle
 * clients cannot lock out a working one (Postfix reconnects when it needs
 * to); 1 if one was closed
 */
static int
evict_idle(struct worker *w)
{
	struct conn *c, *old = NULL;

	for (c = w->conns; c != NULL; c = c->next)
		if (c->partial == 0 && c->outlen == c->outoff && !c->closing &&
		    (old == NULL || c->last < old->last))
			old = c;
	if (old == NULL)
		return 0;
	if (!__atomic_exchange_n(&conn_limit_hit, 1, __ATOMIC_SEQ_CST))
		mapd_log(LOG_WARNING, "connection limit of %d reached: "
		    "closing the longest idle connections", conf.maxconn);
	conn_close(w, old);
	return 1;
}

/* accept_some - accept new connections from a listener */
static void
accept_some(struct worker *w, struct listener *l)
{
	struct epoll_event ev;
	struct conn *c;
	uint64_t now;
	int fd, i, n, one = 1;

	for (i = 0; i < ACCEPT_BURST; i++) {
		fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			/* out of descriptors or memory: pause, log rarely */
			now = now_ms();
			if (now - w->emfile_logged >= 60000 ||
			    w->emfile_logged == 0) {
				mapd_log(LOG_WARNING, "accept on %s: %s: not "
				    "accepting for a while", l->spec,
				    strerror(errno));
				w->emfile_logged = now;
			}
			listeners_off(w);
			w->resume_at = now + ACCEPT_PAUSE_MS;
			return;
		}
		n = __atomic_add_fetch(&conn_count, 1, __ATOMIC_SEQ_CST);
		if (n > conf.maxconn && evict_idle(w))
			n = conf.maxconn;
		if (n > conf.maxconn) {
			__atomic_sub_fetch(&conn_count, 1, __ATOMIC_SEQ_CST);
			close(fd);
			if (!__atomic_exchange_n(&conn_limit_hit, 1,
			    __ATOMIC_SEQ_CST))
				mapd_log(LOG_WARNING, "connection limit of %d "
				    "reached: closing new connections",
				    conf.maxconn);
			continue;
		}
		if ((c = calloc(1, sizeof(*c))) == NULL ||
		    (c->in = malloc(IN_SIZE)) == NULL) {
			free(c);
			close(fd);
			__atomic_sub_fetch(&conn_count, 1, __ATOMIC_SEQ_CST);
			mapd_log(LOG_WARNING, "accept on %s: out of memory",
			    l->spec);
			return;
		}
		if (!l->is_unix)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
		c->src.kind = SRC_CONN;
		c->fd = fd;
		c->proto = l->proto;
		c->map = l->map;
		c->last = now_ms();
		c->events = EPOLLIN;
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			mapd_log(LOG_WARNING, "epoll_ctl: %s", strerror(errno));
			free(c->in);
			free(c);
			close(fd);
			__atomic_sub_fetch(&conn_count, 1, __ATOMIC_SEQ_CST);
			return;
		}
		c->next = w->conns;
		if (w->conns != NULL)
			w->conns->prev = c;
		w->conns = c;
		w->nconns++;
	}
}

/* sweep - close connections past their idle timeout or read deadline */
static void
sweep(struct worker *w, uint64_t now)
{
	struct conn *c, *next;
	uint64_t idle = (uint64_t)conf.idle_timeout * 1000;
	uint64_t rd = (uint64_t)conf.read_timeout * 1000;

	for (c = w->conns; c != NULL; c = next) {
		next = c->next;
		if (c->partial != 0 && now - c->partial >= rd) {
			conn_warn(c, "request not completed within the read "
			    "deadline: closing");
			conn_close(w, c);
		} else if (now - c->last >= idle) {
			if (conf.verbose)
				conn_warn(c, "idle timeout: closing");
			conn_close(w, c);
		}
	}
}


/* begin_stop - finish what was asked, read no more */
static void
begin_stop(struct worker *w)
{
	struct conn *c, *next;

	listeners_off(w);
	for (c = w->conns; c != NULL; c = next) {
		next = c->next;
		c->closing = 1;
		if (c->outlen == c->outoff)
			conn_close(w, c);
		else
			conn_update(w, c);
	}
}

/* worker_main - the event loop */
static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[MAX_EVENTS];
	struct conn *c, *next, *ready[MAX_EVENTS];
	uint64_t now, next_sweep, stop_at = 0;
	uint64_t val;
	unsigned int gen;
	int i, n, nready, busy = 0;

	next_sweep = now_ms() + 1000;
	for (;;) {
		if (__atomic_load_n(&mapd_stopping, __ATOMIC_SEQ_CST) &&
		    stop_at == 0) {
			begin_stop(w);
			stop_at = now_ms() + STOP_GRACE_MS;
		}
		if (stop_at != 0 && (w->conns == NULL || now_ms() >= stop_at))
			break;
		__atomic_store_n(&w->busy_ms, 0, __ATOMIC_RELEASE);
		n = epoll_wait(w->epfd, evs, MAX_EVENTS, busy ? 0 :
		    w->resume_at ? ACCEPT_PAUSE_MS : 1000);
		__atomic_store_n(&w->busy_ms, now_ms(), __ATOMIC_RELEASE);
		if (__atomic_load_n(&w->abandoned, __ATOMIC_ACQUIRE))
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			mapd_log(LOG_ERR, "worker %d: epoll_wait: %s", w->id,
			    strerror(errno));
			break;
		}
		/*
		 * Three passes over the ready connections: receive, look up,
		 * send.  Lookups in a row find the store's pages and locks
		 * warm in the CPU caches; so do the system calls.
		 */
		nready = 0;
		for (i = 0; i < n; i++) {
			struct src *s = evs[i].data.ptr;

			if (s->kind == SRC_LISTENER) {
				if (stop_at == 0)
					accept_some(w, ((struct lsrc *)s)->l);
			} else if (s->kind == SRC_EVENT) {
				if (read(w->evfd, &val, sizeof(val)) < 0) {
					/* a wakeup; the count is moot */
				}
				gen = __atomic_load_n(&reopen_gen,
				    __ATOMIC_SEQ_CST);
				if (gen != w->gen) {
					w->gen = gen;
					w->retry_open = 0;
					(void)store_reopen(w);
				}
			} else if (conn_read(w, (struct conn *)s,
			    evs[i].events) == 0)
				ready[nready++] = (struct conn *)s;
		}
		for (i = 0; i < nready; i++) {
			if (conn_process(w, ready[i]) != 0) {
				conn_close(w, ready[i]);
				ready[i] = NULL;
			}
		}
		for (i = 0; i < nready; i++)
			if (ready[i] != NULL && conn_event(w, ready[i]))
				busy = 1;
		/* requests left over by the per-round bounds */
		if (busy) {
			busy = 0;
			for (c = w->conns; c != NULL; c = next) {
				next = c->next;
				if (conn_event(w, c))
					busy = 1;
			}
		}
		now = now_ms();
		if (w->resume_at != 0 && now >= w->resume_at && stop_at == 0 &&
		    listeners_on(w) != 0)
			mapd_log(LOG_WARNING, "worker %d: epoll_ctl: %s", w->id,
			    strerror(errno));
		if (now >= next_sweep) {
			sweep(w, now);
			if (w->id == 0)
				mapd_log_tick(0);
			next_sweep = now + 1000;
		}
	}
	/* close what is left: unsent replies past the grace period */
	while (w->conns != NULL)
		conn_close(w, w->conns);
	listeners_off(w);
	__atomic_store_n(&w->busy_ms, 0, __ATOMIC_RELEASE);
	if (__atomic_load_n(&w->abandoned, __ATOMIC_ACQUIRE)) {
		/* replaced meanwhile, and detached: nobody joins or frees */
		mapd_log(LOG_INFO, "worker %d: came back after it was "
		    "replaced: ending", w->id);
		worker_free(w);
		return NULL;
	}
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

struct worker *
worker_new(int id, struct vudb *db, int *err_r)
{
	struct worker *w;
	struct epoll_event ev;
	size_t i;

	*err_r = 0;
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		*err_r = ENOMEM;
		return NULL;
	}
	w->id = id;
	w->db = db;
	w->epfd = w->evfd = -1;
	w->evsrc.kind = SRC_EVENT;
	w->gen = __atomic_load_n(&reopen_gen, __ATOMIC_SEQ_CST);
	if ((w->lsrcs = calloc(conf.nls, sizeof(*w->lsrcs))) == NULL ||
	    (w->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (w->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		goto fail;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = &w->evsrc;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->evfd, &ev) != 0)
		goto fail;
	for (i = 0; i < conf.nls; i++) {
		w->lsrcs[i].src.kind = SRC_LISTENER;
		w->lsrcs[i].l = &conf.ls[i];
	}
	if (listeners_on(w) != 0)
		goto fail;
	return w;
fail:
	*err_r = errno;
	w->db = NULL;		/* the caller keeps it */
	worker_free(w);
	return NULL;
}

int
worker_start(struct worker *w)
{
	int rc;

	if ((rc = pthread_create(&w->tid, NULL, worker_main, w)) != 0)
		return rc;
	w->started = 1;
	return 0;
}

void
worker_notify(struct worker *w)
{
	uint64_t one = 1;

	if (write(w->evfd, &one, sizeof(one)) < 0) {
		/* the counter is full: a wakeup is pending anyway */
	}
}

/*
 * worker_join - wait for a worker that was told to stop, at most ms
 * milliseconds; 0, or -1 if it did not end (it is then left as it is)
 */
int
worker_join(struct worker *w, int ms)
{
	struct timespec ts;

	if (!w->started)
		return 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	if (pthread_timedjoin_np(w->tid, NULL, &ts) != 0)
		return -1;
	w->started = 0;
	return 0;
}

/* worker_busy - milliseconds the worker has been at its current round of
 * work, 0 when it waits for work */
uint64_t
worker_busy(struct worker *w)
{
	uint64_t b = __atomic_load_n(&w->busy_ms, __ATOMIC_ACQUIRE);
	uint64_t now = now_ms();

	return b != 0 && now > b ? now - b : 0;
}

/* worker_lookups - the lookups the worker made */
unsigned long long
worker_lookups(struct worker *w)
{
	return __atomic_load_n(&w->lookups, __ATOMIC_RELAXED);
}

/* worker_id - the worker's number */
int
worker_id(const struct worker *w)
{
	return w->id;
}

/*
 * shut_conns - shut down the connections in the epoll set of a worker
 * that will not serve them, found in /proc/self/fdinfo (its own lists are
 * not ours to read): their clients see the end and connect again.  Only
 * shutdown(2): the descriptors stay the worker's.
 */
static void
shut_conns(struct worker *w)
{
	char path[64], line[256];
	size_t i;
	FILE *fp;
	int fd, skip;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", w->epfd);
	if ((fp = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (sscanf(line, "tfd: %d", &fd) != 1 || fd == w->evfd)
			continue;
		for (i = 0, skip = 0; i < conf.nls; i++)
			if (conf.ls[i].fd == fd)
				skip = 1;
		if (!skip)
			(void)shutdown(fd, SHUT_RDWR);
	}
	fclose(fp);
}

/*
 * worker_abandon - give up a worker that waits inside the library for
 * what a dead process held, and will never come back: it takes no more
 * connections, its clients are let go, and the thread is detached.  The
 * worker is the thread's from now on: the caller forgets it.
 */
void
worker_abandon(struct worker *w)
{
	size_t i;

	for (i = 0; i < conf.nls; i++)
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, conf.ls[i].fd, NULL);
	shut_conns(w);
	if (w->started)
		(void)pthread_detach(w->tid);
	/* last: a worker that comes back frees itself once it sees this
	 * (within a second: its epoll_wait times out) */
	__atomic_store_n(&w->abandoned, 1, __ATOMIC_RELEASE);
}

void
worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	while (w->conns != NULL)
		conn_close(w, w->conns);
	if (w->epfd >= 0)
		close(w->epfd);
	if (w->evfd >= 0)
		close(w->evfd);
	vudb_close(w->db);
	free(w->lsrcs);
	free(w);
}
