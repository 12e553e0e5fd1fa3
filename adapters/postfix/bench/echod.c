/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * echod.c - the baseline of the vudb-mapd benchmark: the simplest fast
 * lookup server a skilled engineer would write, answering every request
 * with a fixed reply and looking nothing up.  One thread, level-triggered
 * epoll, non-blocking sockets, TCP_NODELAY, a fixed buffer per connection;
 * in tcp_table mode every line gets "200 x", in socketmap mode every
 * netstring gets "4:OK x,".  Built with the same flags as vudb-mapd.
 *
 *	echod tcp|socketmap inet:HOST:PORT|unix:PATH
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUFSZ	16384

struct conn {
	int	 fd;
	size_t	 len;
	char	 in[BUFSZ];
	char	 out[BUFSZ];
};

static int sockmap;
static volatile sig_atomic_t stop;

static void
onsig(int sig)
{
	(void)sig;
	stop = 1;
}

static int
listen_on(const char *ep)
{
	struct sockaddr_un sun;
	struct sockaddr_in sin;
	const char *colon;
	int fd, on = 1;

	if (strncmp(ep, "unix:", 5) == 0) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", ep + 5);
		unlink(sun.sun_path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sun,
		    sizeof(sun)) != 0)
			return -1;
	} else if (strncmp(ep, "inet:", 5) == 0 &&
	    (colon = strrchr(ep + 5, ':')) != NULL) {
		char host[64];

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - ep - 5),
		    ep + 5);
		if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
			return -1;
		sin.sin_port = htons((unsigned short)atoi(colon + 1));
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fd < 0)
			return -1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
			return -1;
	} else
		return -1;
	if (listen(fd, SOMAXCONN) != 0)
		return -1;
	return fd;
}

/* serve - answer the complete requests in c->in; -1 to close */
static int
serve(struct conn *c)
{
	size_t pos = 0, o = 0, n;
	char *nl, *colon, *end;

	for (;;) {
		if (!sockmap) {
			if ((nl = memchr(c->in + pos, '\n', c->len - pos)) ==
			    NULL)
				break;
			pos = (size_t)(nl - c->in) + 1;
			memcpy(c->out + o, "200 x\n", 6);
			o += 6;
		} else {
			if ((colon = memchr(c->in + pos, ':', c->len - pos)) ==
			    NULL)
				break;
			n = strtoul(c->in + pos, &end, 10);
			if (end != colon || n > 10000)
				return -1;
			if (c->len - pos < (size_t)(colon - c->in) - pos + n +
			    2)
				break;
			pos = (size_t)(colon - c->in) + n + 2;
			memcpy(c->out + o, "4:OK x,", 7);
			o += 7;
		}
		if (o > sizeof(c->out) - 8)
			break;
	}
	memmove(c->in, c->in + pos, c->len - pos);
	c->len -= pos;
	if (o > 0 && send(c->fd, c->out, o, MSG_NOSIGNAL) != (ssize_t)o)
		return -1;	/* a benchmark client always reads */
	return 0;
}

int
main(int argc, char *argv[])
{
	struct epoll_event ev, evs[64];
	struct conn *c;
	int lfd, ep, fd, i, n, one = 1;
	ssize_t r;

	if (argc != 3 || (strcmp(argv[1], "tcp") != 0 &&
	    strcmp(argv[1], "socketmap") != 0)) {
		fprintf(stderr, "usage: echod tcp|socketmap inet:HOST:PORT|"
		    "unix:PATH\n");
		return 64;
	}
	sockmap = strcmp(argv[1], "socketmap") == 0;
	signal(SIGTERM, onsig);
	signal(SIGINT, onsig);
	signal(SIGPIPE, SIG_IGN);
	if ((lfd = listen_on(argv[2])) < 0) {
		fprintf(stderr, "echod: %s: %s\n", argv[2], strerror(errno));
		return 69;
	}
	ep = epoll_create1(0);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	while (!stop) {
		if ((n = epoll_wait(ep, evs, 64, 500)) < 0 && errno != EINTR)
			break;
		for (i = 0; i < n; i++) {
			if ((c = evs[i].data.ptr) == NULL) {
				while ((fd = accept4(lfd, NULL, NULL,
				    SOCK_NONBLOCK)) >= 0) {
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY,
					    &one, sizeof(one));
					if ((c = malloc(sizeof(*c))) == NULL) {
						close(fd);
						continue;
					}
					c->fd = fd;
					c->len = 0;
					ev.events = EPOLLIN;
					ev.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
				continue;
			}
			r = recv(c->fd, c->in + c->len, sizeof(c->in) - c->len,
			    0);
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r <= 0 || (c->len += (size_t)r, serve(c) != 0) ||
			    c->len == sizeof(c->in)) {
				close(c->fd);
				free(c);
			}
		}
	}
	if (strncmp(argv[2], "unix:", 5) == 0)
		unlink(argv[2] + 5);
	return 0;
}
