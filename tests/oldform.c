/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * oldform.c - test helper: make a store look as if it was written before
 * local parts were folded.  "oldform STORE ADDRESS..." moves each entry
 * of ADDRESS (user, alias, relocated, send-as grant) from its folded key
 * to the key the earlier rule gave the address as written (ASCII letters
 * lower-cased, UTF-8 as given): the records are the same, only keys
 * moved, which is all that rule changed.  Exit 0, or 1 with a message.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vudb_private.h"

static int
move(struct vudb *db, struct vudb__dom *d, void *txn, int type,
    const char *local, const char *old)
{
	char fk[VUDB__LOCAL_MAX + 2], ok[VUDB__LOCAL_MAX + 2];
	size_t fl, ol;
	void *val;
	int rc;

	fl = vudb__key(type, local, strlen(local), fk);
	ol = vudb__key(type, old, strlen(old), ok);
	if ((rc = db->be->get(&db->ctx, d->h, txn, fk, fl,
	    &db->buf)) != VUDB_OK)
		return rc == VUDB_ENOTFOUND ? 0 : rc;
	if ((val = malloc(db->buf.len + 1)) == NULL)
		return VUDB_ENOMEM;
	memcpy(val, db->buf.data, db->buf.len);
	/* a record's checksum covers its key: sealed again for the old one */
	vudb__rec_seal(val, db->buf.len, ok, ol);
	rc = db->be->put(&db->ctx, d->h, txn, ok, ol, val, db->buf.len,
	    VUDB_PUT_NEW);
	free(val);
	if (rc == VUDB_OK)
		rc = db->be->del(&db->ctx, d->h, txn, fk, fl);
	return rc;
}

int
main(int argc, char **argv)
{
	static const int types[] = {
		VUDB_USER, VUDB_ALIAS, VUDB_RELOCATED, VUDB_SENDER
	};
	char local[VUDB__LOCAL_MAX + 1], old[VUDB__LOCAL_MAX + 1];
	char domain[VUDB__DOMAIN_MAX + 1];
	struct vudb__dom *d;
	struct vudb *db;
	const char *at;
	void *txn;
	size_t i;
	int a, rc, catchall;

	if (argc < 3) {
		fprintf(stderr, "usage: oldform STORE ADDRESS...\n");
		return 1;
	}
	if ((rc = vudb_open(argv[1], 0, &db)) != VUDB_OK) {
		fprintf(stderr, "oldform: %s: %s\n", argv[1],
		    vudb_strerror(rc));
		return 1;
	}
	for (a = 2; a < argc; a++) {
		if ((at = strrchr(argv[a], '@')) == NULL ||
		    vudb__split(db, VUDB_USER, argv[a], local, domain,
		    &catchall) != VUDB_OK ||
		    vudb__local_legacy(argv[a], (size_t)(at - argv[a]), old) !=
		    NULL || (rc = vudb__dom_find(db, domain, &d)) != VUDB_OK) {
			fprintf(stderr, "oldform: %s: bad address or no "
			    "domain\n", argv[a]);
			vudb_close(db);
			return 1;
		}
		if ((rc = db->be->begin(&db->ctx, db->st, &txn)) != VUDB_OK)
			break;
		for (i = 0; rc == VUDB_OK && i < sizeof(types) /
		    sizeof(types[0]); i++)
			rc = move(db, d, txn, types[i], local, old);
		if (rc == VUDB_OK)
			rc = db->be->commit(&db->ctx, db->st, txn);
		else
			db->be->abort(&db->ctx, db->st, txn);
		if (rc != VUDB_OK)
			break;
	}
	if (rc != VUDB_OK)
		fprintf(stderr, "oldform: %s\n", vudb_errmsg(db));
	vudb_close(db);
	return rc == VUDB_OK ? 0 : 1;
}
