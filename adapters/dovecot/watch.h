/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * watch.h - the watchdog of the Dovecot adapters (vudb-checkpassword and
 * the Lua module).  A process that dies inside Berkeley DB may hold a
 * mutex that a call of ours then waits for, for ever: the fault campaign
 * found logins waiting on a futex of a region that another process's
 * recovery had removed.  Nothing can take such a thread out of its wait,
 * so the process ends: Dovecot answers that login as a temporary failure
 * and starts a new auth worker (or vudb-checkpassword) for the next.
 *
 * A watch is a thread and a store handle of its own, which shares the
 * environment of the process's other handles of the store.  While a call
 * is marked busy (watch_enter .. watch_leave) for WATCH_SECS seconds or
 * more, the thread asks the store once a second (vudb_check(3)); when the
 * store tells that this process waits for what a dead process held (a
 * temporary failure), it calls die(), which must not return.  Idle, the
 * thread only wakes once a second.
 */
#ifndef WATCH_H
#define WATCH_H

#define WATCH_SECS	2

struct watch;

/*
 * watch_start - a watch of store (NULL: the library's default), or NULL
 * if it cannot be had (no thread, no handle: then nothing is watched).
 * die(why) is called from the watch's thread with the store's message.
 */
struct watch	*watch_start(const char *store, void (*die)(const char *why));
/* watch_enter, watch_leave - a call into the library begins, ends */
void		 watch_enter(struct watch *w);
void		 watch_leave(struct watch *w);
/* watch_stop - the thread ended and the handle closed; NULL is fine */
void		 watch_stop(struct watch *w);

#endif /* WATCH_H */
