/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * list.c - vudb_list and its iterator: the domains of the store in name
 * order, or the entries of one type in a domain in key order, each given
 * as an object (obj.c).  Entries are read in one pass when the list
 * starts; domains are opened one at a time as the iterator reaches them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vudb_private.h"

struct vudb_iter {
	struct vudb		*db;
	int			 type;
	char			 domain[VUDB__DOMAIN_MAX + 1];
	size_t			 next;
	struct vudb__names	 names;		/* domains */
	struct vudb__recs	 recs;		/* entries: "u" LOCAL, record */
	struct vudb_obj		*cur;
};

/* ------------------------------------------------------------ lists */

int
vudb_list(struct vudb *db, int type, const char *domain,
    struct vudb_iter **it_r)
{
	char local[VUDB__LOCAL_MAX + 1], dom[VUDB__DOMAIN_MAX + 1];
	struct vudb_iter *it;
	struct vudb__dom *d;
	char prefix;
	int rc, catchall;

	if (it_r != NULL)
		*it_r = NULL;
	if (db == NULL || it_r == NULL || type < VUDB_DOMAIN ||
	    type > VUDB_SENDER)
		return VUDB_EINVAL;
	vudb__clearerr(db);
	if ((rc = vudb__refresh(db)) != VUDB_OK)
		return rc;
	if ((it = calloc(1, sizeof(*it))) == NULL)
		return VUDB_ENOMEM;
	it->db = db;
	it->type = type;
	if (type == VUDB_DOMAIN)
		rc = vudb__domain_names(db, &it->names);
	else {
		rc = vudb__split(db, VUDB_DOMAIN, domain, local, dom,
		    &catchall);
		if (rc == VUDB_OK)
			rc = vudb__open_domain(db, dom, &d);
		if (rc == VUDB_OK) {
			snprintf(it->domain, sizeof(it->domain), "%s", dom);
			prefix = vudb__type_prefix(type);
			rc = vudb__store_iter(db, d, NULL, &prefix, 1,
			    vudb__recs_collect, &it->recs);
		}
	}
	if (rc != VUDB_OK) {
		vudb_iter_free(it);
		return rc;
	}
	*it_r = it;
	return VUDB_OK;
}

int
vudb_iter_next(struct vudb_iter *it, struct vudb_obj **obj_r)
{
	char name[VUDB__ADDR_MAX + 1];
	struct vudb__rec rec;
	struct vudb__dom *d;
	struct vudb *db;
	int rc;

	if (obj_r != NULL)
		*obj_r = NULL;
	if (it == NULL || obj_r == NULL)
		return VUDB_EINVAL;
	db = it->db;
	vudb_obj_free(it->cur);
	it->cur = NULL;
	while (it->type == VUDB_DOMAIN && it->next < it->names.n) {
		const char *dname = it->names.v[it->next++];

		rc = vudb__dom_get(db, dname, 0, &d);
		if (rc == VUDB_ENOTFOUND)
			continue;
		if (rc == VUDB_OK)
			rc = vudb__dom_meta(db, d);
		if (rc != VUDB_OK)
			return rc;
		if (d->meta_state != VUDB__META_OK)
			continue;
		if ((rc = vudb__make_obj(db, d, d->meta, d->name, &it->cur)) ==
		    VUDB_OK)
			*obj_r = it->cur;
		return rc;
	}
	if (it->type != VUDB_DOMAIN && it->next < it->recs.n) {
		size_t i = it->next++;
		const char *local = it->recs.keys[i] + 1;

		if ((rc = vudb__open_domain(db, it->domain, &d)) != VUDB_OK)
			return rc;
		rc = vudb__rec_decode(it->recs.vals[i], it->recs.vlens[i],
		    it->type, &rec);
		if (rc != VUDB_OK)
			return vudb__seterr(db, rc, "%s@%s: damaged record",
			    local, it->domain);
		vudb__entry_name(name, sizeof(name), it->type, local,
		    it->domain);
		rc = vudb__make_obj(db, d, &rec, name, &it->cur);
		vudb__rec_clear(&rec);
		if (rc == VUDB_OK)
			*obj_r = it->cur;
		return rc;
	}
	return VUDB_ENOTFOUND;
}

void
vudb_iter_free(struct vudb_iter *it)
{
	if (it == NULL)
		return;
	vudb__names_free(&it->names);
	vudb__recs_free(&it->recs);
	vudb_obj_free(it->cur);
	free(it);
}
