/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * loadc.c - the load client of the vudb-mapd benchmark.  It keeps N
 * connections busy, each with one request in flight at a time (pipelining
 * depth 1, as Postfix does), for a fixed time after a short warm-up;
 * the keys are random users uK@bench.example, K < USERS.  It checks every
 * reply's status (200 or "OK"; with "any", any well-formed reply), and
 * prints one line:
 *
 *	RESULT requests_per_s p50_us p99_us errors
 *
 *	loadc [-D DOMAINS [-W]] tcp|socketmap inet:HOST:PORT|unix:PATH CONNS
 *	    SECONDS USERS [any]
 *
 * With -D, the keys are those of a store made by bench_gen.py (make
 * bench-scale): random users user<K>@d<N>.bench.example, N < DOMAINS and
 * K < USERS (users per domain).  -W first sends one request per domain,
 * in order (user1, or user0 if USERS is 1), on the first connection and
 * waits for each reply, so that the server has touched every domain
 * before the load; it then prints, before the RESULT line,
 *
 *	WARMUP requests seconds errors
 *
 * The socketmap requests name the mailbox map.
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HIST_US		200000	/* 1 us buckets up to 200 ms */
#define WARMUP_S	0.5

struct conn {
	int		 fd;
	size_t		 len;
	double		 sent;
	char		 buf[8192];
};

static int sockmap;
static int any;
static unsigned long users;
static unsigned long domains;	/* -D: keys user<K>@d<N>.bench.example */
static unsigned long nkeys;	/* users, or domains * users */
static uint64_t rng = 88172645463325252ULL;
static unsigned long hist[HIST_US + 1];

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void __attribute__((__noreturn__))
die(const char *what)
{
	fprintf(stderr, "loadc: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int
dial(const char *ep)
{
	struct sockaddr_un sun;
	struct sockaddr_in sin;
	const char *colon;
	char host[64];
	int fd, one = 1;

	if (strncmp(ep, "unix:", 5) == 0) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", ep + 5);
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
		    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
			die(ep);
		return fd;
	}
	if (strncmp(ep, "inet:", 5) != 0 ||
	    (colon = strrchr(ep + 5, ':')) == NULL) {
		errno = EINVAL;
		die(ep);
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - ep - 5), ep + 5);
	inet_pton(AF_INET, host, &sin.sin_addr);
	sin.sin_port = htons((unsigned short)atoi(colon + 1));
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		die(ep);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* next_key - xorshift64*, a user index */
static unsigned long
next_key(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (unsigned long)((rng * 2685821657736338717ULL) >> 11) % nkeys;
}

/* send_key - send the request for key on c */
static void
send_key(struct conn *c, const char *key, int k)
{
	char req[128];
	int n;

	if (sockmap)
		n = snprintf(req, sizeof(req), "%d:mailbox %s,", k + 8, key);
	else
		n = snprintf(req, sizeof(req), "get %s\n", key);
	c->sent = now();
	if (send(c->fd, req, (size_t)n, MSG_NOSIGNAL) != n)
		die("send");
}

/* send_req - send a request for a random user on c */
static void
send_req(struct conn *c)
{
	unsigned long i;
	char key[96];
	int k;

	if (domains == 0)
		k = snprintf(key, sizeof(key), "u%lu@bench.example",
		    next_key());
	else {
		i = next_key();
		k = snprintf(key, sizeof(key), "user%lu@d%lu.bench.example",
		    i % users, i / users);
	}
	send_key(c, key, k);
}

/* reply_len - size of a complete reply at the start of buf, or 0 */
static size_t
reply_len(const char *buf, size_t len)
{
	const char *p;
	unsigned long n;
	char *end;

	if (!sockmap) {
		p = memchr(buf, '\n', len);
		return p ? (size_t)(p - buf) + 1 : 0;
	}
	if ((p = memchr(buf, ':', len)) == NULL)
		return 0;
	n = strtoul(buf, &end, 10);
	if (len < (size_t)(p - buf) + n + 2)
		return 0;
	return (size_t)(p - buf) + n + 2;
}

static int
reply_ok(const char *buf)
{
	const char *p;

	if (any)
		return 1;
	if (!sockmap)
		return strncmp(buf, "200 ", 4) == 0;
	p = strchr(buf, ':');
	return p != NULL && strncmp(p + 1, "OK ", 3) == 0;
}

/*
 * warmup - one request per domain, in order, on c, each reply awaited;
 * prints the WARMUP line and returns the number of bad replies
 */
static unsigned long
warmup(struct conn *c)
{
	unsigned long d, errors = 0;
	double t0;
	char key[96];
	size_t rl;
	ssize_t r;
	int k;

	t0 = now();
	for (d = 0; d < domains; d++) {
		k = snprintf(key, sizeof(key), "user%lu@d%lu.bench.example",
		    users > 1 ? 1UL : 0UL, d);
		send_key(c, key, k);
		while ((rl = reply_len(c->buf, c->len)) == 0) {
			if (c->len == sizeof(c->buf) - 1) {
				errno = EMSGSIZE;
				die("warm-up reply");
			}
			r = recv(c->fd, c->buf + c->len,
			    sizeof(c->buf) - 1 - c->len, 0);
			if (r <= 0) {
				if (r < 0 && errno == EINTR)
					continue;
				errno = r == 0 ? ECONNRESET : errno;
				die("recv");
			}
			c->len += (size_t)r;
			c->buf[c->len] = '\0';
		}
		if (!reply_ok(c->buf))
			errors++;
		memmove(c->buf, c->buf + rl, c->len - rl);
		c->len -= rl;
		c->buf[c->len] = '\0';
	}
	printf("WARMUP %lu %.3f %lu\n", domains, now() - t0, errors);
	return errors;
}

static double
percentile(unsigned long total, double q)
{
	unsigned long want = (unsigned long)(q * (double)total), seen = 0;
	size_t i;

	for (i = 0; i <= HIST_US; i++) {
		seen += hist[i];
		if (seen > want)
			return (double)i;
	}
	return HIST_US;
}

int
main(int argc, char *argv[])
{
	struct epoll_event ev, evs[256];
	struct conn *cs;
	unsigned long total = 0, errors = 0;
	double start, measure, end, t, secs;
	int ep, nconn, i, n, ch, warm = 0;
	size_t rl;
	ssize_t r;

	/* "+": options only before the first operand, as always */
	while ((ch = getopt(argc, argv, "+D:W")) != -1) {
		switch (ch) {
		case 'D':
			domains = strtoul(optarg, NULL, 10);
			if (domains == 0)
				return 64;
			break;
		case 'W':
			warm = 1;
			break;
		default:
			return 64;
		}
	}
	argc -= optind - 1;
	argv += optind - 1;
	if (argc == 7 && strcmp(argv[6], "any") == 0) {
		any = 1;
		argc--;
	}
	if (argc != 6 || (warm && domains == 0)) {
		fprintf(stderr, "usage: loadc [-D DOMAINS [-W]] tcp|socketmap "
		    "inet:HOST:PORT|unix:PATH CONNS SECONDS USERS [any]\n");
		return 64;
	}
	sockmap = strcmp(argv[1], "socketmap") == 0;
	nconn = atoi(argv[3]);
	secs = atof(argv[4]);
	users = strtoul(argv[5], NULL, 10);
	if (nconn < 1 || secs <= 0 || users == 0)
		return 64;
	if (domains > 0 && domains > ULONG_MAX / users)
		return 64;
	nkeys = domains > 0 ? domains * users : users;
	if ((cs = calloc((size_t)nconn, sizeof(*cs))) == NULL ||
	    (ep = epoll_create1(0)) < 0)
		die("setup");
	for (i = 0; i < nconn; i++) {
		cs[i].fd = dial(argv[2]);
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.ptr = &cs[i];
		epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
	}
	if (warm)
		errors += warmup(&cs[0]);
	start = now();
	measure = start + WARMUP_S;
	end = measure + secs;
	for (i = 0; i < nconn; i++)
		send_req(&cs[i]);
	for (;;) {
		n = epoll_wait(ep, evs, 256, 1000);
		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		t = now();
		if (t >= end)
			break;
		for (i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			r = recv(c->fd, c->buf + c->len,
			    sizeof(c->buf) - 1 - c->len, 0);
			if (r <= 0) {
				errno = r == 0 ? ECONNRESET : errno;
				die("recv");
			}
			c->len += (size_t)r;
			c->buf[c->len] = '\0';
			if ((rl = reply_len(c->buf, c->len)) == 0)
				continue;
			if (!reply_ok(c->buf))
				errors++;
			memmove(c->buf, c->buf + rl, c->len - rl);
			c->len -= rl;
			if (t >= measure) {
				double us = (t - c->sent) * 1e6;

				hist[us < HIST_US ? (size_t)us : HIST_US]++;
				total++;
			}
			send_req(c);
		}
	}
	printf("RESULT %.0f %.0f %.0f %lu\n", (double)total / secs,
	    percentile(total, 0.50), percentile(total, 0.99), errors);
	for (i = 0; i < nconn; i++)
		close(cs[i].fd);
	free(cs);
	return errors ? 1 : 0;
}
