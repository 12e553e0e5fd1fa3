/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * error.c - status texts, the per-handle error message and the log hook.
 * Detail of a failure lives on the handle that failed (vudb_errmsg); only
 * a failed vudb_open(), which has no handle to give, leaves its message in
 * thread-local storage (vudb_open_errmsg).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vudb_private.h"

static _Thread_local char open_errmsg[1024];

const char *
vudb_strerror(int code)
{
	switch (code) {
	case VUDB_OK:		return "success";
	case VUDB_ENOTFOUND:	return "not found";
	case VUDB_ETEMP:	return "temporary failure";
	case VUDB_EINVAL:	return "invalid argument";
	case VUDB_EEXIST:	return "already exists";
	case VUDB_ENOMEM:	return "out of memory";
	case VUDB_ECORRUPT:	return "damaged data";
	case VUDB_ENOTSUP:	return "not supported";
	case VUDB_EVERSION:	return "version mismatch";
	case VUDB_ESYS:		return "system error";
	case VUDB_EAUTH:	return "authentication failed";
	case VUDB_EDISABLED:	return "disabled";
	case VUDB_ELIMIT:	return "limit exceeded";
	case VUDB_ENOMAP:	return "no such map";
	case VUDB_ERDONLY:	return "store is read-only";
	case VUDB_ENOSTORE:	return "no store";
	}
	return "unknown error";
}

const char *
vudb_errmsg(const struct vudb *db)
{
	return db == NULL ? "" : db->errmsg;
}

const char *
vudb_open_errmsg(void)
{
	return open_errmsg;
}

void
vudb__open_seterr(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(open_errmsg, sizeof(open_errmsg), fmt, ap);
	va_end(ap);
}

/*
 * vudb__seterr - record rc and its detail on db; returns rc.  The first
 * detail of a failure is kept when a caller further up adds its own.
 */
int
vudb__seterr(struct vudb *db, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rc = vudb__vseterr(db, rc, fmt, ap);
	va_end(ap);
	return rc;
}

/* vudb__vseterr - vudb__seterr with a va_list (store.c's backend context) */
int
vudb__vseterr(struct vudb *db, int rc, const char *fmt, va_list ap)
{
	if (db == NULL)
		return rc;
	db->err = rc;
	vsnprintf(db->errmsg, sizeof(db->errmsg), fmt, ap);
	return rc;
}

void
vudb__clearerr(struct vudb *db)
{
	db->err = VUDB_OK;
	db->errmsg[0] = '\0';
}

void
vudb_set_log(struct vudb *db, void (*fn)(void *, int, const char *),
    void *arg)
{
	int i;

	if (db == NULL)
		return;
	db->logfn = fn;
	db->logarg = arg;
	/* what the open had to say (a store it could not map, a layout it
	 * could not upgrade), in order */
	for (i = 0; i < VUDB__EARLY && db->early[i] != NULL; i++) {
		if (fn != NULL)
			fn(arg, db->early_prio[i], db->early[i]);
		free(db->early[i]);
		db->early[i] = NULL;
	}
}

void
vudb__log(struct vudb *db, int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vudb__vlog(db, prio, fmt, ap);
	va_end(ap);
}

void
vudb__vlog(struct vudb *db, int prio, const char *fmt, va_list ap)
{
	char msg[1024];
	int i;

	if (db == NULL)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (db->logfn != NULL) {
		db->logfn(db->logarg, prio, msg);
		return;
	}
	/* no log function yet: kept for the first (a few lines) */
	for (i = 0; i < VUDB__EARLY; i++)
		if (db->early[i] == NULL) {
			db->early[i] = strdup(msg);
			db->early_prio[i] = prio;
			break;
		}
}

void
vudb_free(void *p)
{
	free(p);
}
