/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * watch.c - the watchdog of the Dovecot adapters: see watch.h.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "vudb.h"
#include "watch.h"

struct watch {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	pthread_t	 thread;
	struct vudb	*db;
	void		(*die)(const char *);
	long long	 busy_since;	/* s (monotonic); 0: idle */
	int		 stop;
};

/* whole seconds: the coarse clock (no read of the clock source) will do */
static long long
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (long long)ts.tv_sec + 1;	/* never 0 */
}

static void *
watch_run(void *arg)
{
	struct watch *w = arg;
	struct timespec ts;
	long long since;

	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec++;
		(void)pthread_cond_timedwait(&w->cond, &w->lock, &ts);
		since = __atomic_load_n(&w->busy_since, __ATOMIC_ACQUIRE);
		if (w->stop || since == 0 || now_s() - since < WATCH_SECS)
			continue;
		pthread_mutex_unlock(&w->lock);
		if (vudb_check(w->db) == VUDB_ETEMP &&
		    __atomic_load_n(&w->busy_since, __ATOMIC_ACQUIRE) != 0)
			w->die(vudb_errmsg(w->db));
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct watch *
watch_start(const char *store, void (*die)(const char *))
{
	struct watch *w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->die = die;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	if (vudb_open(store, VUDB_RDONLY, &w->db) != VUDB_OK)
		goto fail;
	if (pthread_create(&w->thread, NULL, watch_run, w) != 0) {
		vudb_close(w->db);
		goto fail;
	}
	return w;
fail:
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
	return NULL;
}

void
watch_enter(struct watch *w)
{
	if (w != NULL)
		__atomic_store_n(&w->busy_since, now_s(), __ATOMIC_RELEASE);
}

void
watch_leave(struct watch *w)
{
	if (w != NULL)
		__atomic_store_n(&w->busy_since, 0, __ATOMIC_RELEASE);
}

void
watch_stop(struct watch *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	(void)pthread_join(w->thread, NULL);
	vudb_close(w->db);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
