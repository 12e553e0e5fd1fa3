/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * mapd.h - what the parts of vudb-mapd share: the run-time configuration,
 * the listening sockets, the worker threads (worker.c) and the logger,
 * which writes Postfix-style lines ("vudb-mapd[PID]: warning: ...") to
 * syslog (facility mail) or, in the foreground, to stderr.
 */
#ifndef MAPD_H
#define MAPD_H

#include <sys/types.h>

#include <stdint.h>

#include <pthread.h>
#include <stdarg.h>
#include <sysexits.h>
#include <syslog.h>

#include "vudb.h"

#define PROG		"vudb-mapd"

#define PROTO_SOCKETMAP	1
#define PROTO_TCP	2

struct listener {
	int		 fd;
	int		 proto;		/* PROTO_* */
	const char	*map;		/* tcp: the one map served */
	const char	*spec;		/* the -l argument, for logs */
	char		*unlink_path;	/* a unix socket we created */
	int		 is_unix;
};

struct config {
	const char	*store;		/* absolute where it is a path */
	int		 foreground;
	int		 verbose;
	int		 workers;
	int		 maxconn;	/* per process */
	int		 idle_timeout;	/* seconds */
	int		 read_timeout;	/* seconds, for a partial request */
	struct listener	*ls;
	size_t		 nls;
};

extern struct config	 conf;

/* Shared between the workers and the main thread. */
extern int		 conn_count;	/* open connections (atomic) */
extern int		 conn_limit_hit; /* logged once per episode (atomic) */
extern unsigned int	 reopen_gen;	/* bumped on SIGHUP (atomic) */

void	 mapd_log(int prio, const char *fmt, ...)
	    __attribute__((__format__(__printf__, 2, 3)));
void	 mapd_vlog(int prio, const char *fmt, va_list ap)
	    __attribute__((__format__(__printf__, 2, 0)));
void	 mapd_lib_log(void *arg, int prio, const char *msg);
void	 mapd_log_tick(int all);	/* report rate-limited counts */

struct worker;
struct worker *worker_new(int id, struct vudb *db, int *err_r);
int	 worker_start(struct worker *w);
void	 worker_notify(struct worker *w);	/* stop or reopen: look */
int	 worker_join(struct worker *w, int ms);
void	 worker_free(struct worker *w);
uint64_t worker_busy(struct worker *w);		/* ms at its work, or 0 */
int	 worker_id(const struct worker *w);
unsigned long long worker_lookups(struct worker *w);
void	 worker_abandon(struct worker *w);
extern int	 mapd_stopping;			/* atomic */

/* open the store as the workers do; logs failures */
int	 mapd_store_open(struct vudb **db_r);

#endif /* MAPD_H */
