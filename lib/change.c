/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * change.c - vudb_add, vudb_update and vudb_del: adding, changing and
 * deleting domains, users, aliases, relocated entries and send-as grants.
 * What a change checks (values present, alias domains, catch-all policy,
 * old-form names, limits) and what follows from it (a user's grants go
 * with it, a deleted domain leaves a tombstone until no process holds its
 * database open) is decided here.  To add a field to users: its tag in
 * vudb_private.h, its row in record.c's attribute table, and, if it has a
 * value in force from the domain or the store, obj.c's make_obj.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vudb_private.h"

/* the longest answer a tcp_table reply carries: 4096 less "200 " and NL */
#define TCP_TABLE_ANSWER_MAX	4091

enum op_kind { OP_ADD, OP_UPDATE, OP_DEL };

struct op {
	enum op_kind		 kind;
	int			 type;
	const char		*local;
	const char		*legacy;	/* old key form, or NULL */
	const char *const	*attrs;
	const char		*name;		/* as given, for messages */
	struct vudb__dom	*d;		/* the domain's database */
};

/* op_entry - one change to a non-domain entry inside txn */
/*
 * alias_fits - warn when an alias's answer is longer than a tcp_table
 * reply can carry (4096 bytes with "200 " and the newline; Postfix's
 * client %XX-decodes, and vudb-mapd encodes only %, CR, LF and controls):
 * vudb-mapd then answers 400 for it on tcp_table, and Postfix defers the
 * mail.  socketmap carries 100000 bytes, more than a destination list
 * may hold (vudb__attr_canon refuses those), so it always serves it.
 */
static void
alias_fits(struct vudb *db, const struct op *op, const struct vudb__rec *rec)
{
	const char *v;

	if (op->type != VUDB_ALIAS ||
	    (v = vudb__rec_get(rec, VUDB__L_VALUE)) == NULL ||
	    strlen(v) <= TCP_TABLE_ANSWER_MAX)
		return;
	vudb__log(db, VUDB_LOG_WARNING, "%s: its %zu bytes of destinations "
	    "are more than a Postfix tcp_table answer carries (%d): ask "
	    "through socketmap for this map, or split the list", op->name,
	    strlen(v), TCP_TABLE_ANSWER_MAX);
}

static int
op_entry(struct vudb *db, struct vudb__dom *d, void *txn, const struct op *op)
{
	char key[VUDB__LOCAL_MAX + 2], old[VUDB__LOCAL_MAX + 1];
	const char *local = op->local;
	struct vudb__rec rec;
	unsigned int ctag = 0, maxtag = 0;
	size_t klen;
	int rc = VUDB_OK;

	klen = vudb__key(op->type, local, strlen(local), key);
	if (op->type == VUDB_USER) {
		ctag = VUDB__C_USERS;
		maxtag = VUDB__D_MAX_USERS;
	} else if (op->type == VUDB_ALIAS) {
		ctag = VUDB__C_ALIASES;
		maxtag = VUDB__D_MAX_ALIASES;
	}
	if (op->kind == OP_ADD)
		vudb__rec_init(&rec, op->type);
	else {
		rc = vudb__get_rec_txn(db, d, txn, op->type, key, klen, &rec);
		if (rc == VUDB_ENOTFOUND && op->legacy != NULL) {
			/* an entry of a store written before folding */
			local = op->legacy;
			klen = vudb__key(op->type, local, strlen(local), key);
			rc = vudb__get_rec_txn(db, d, txn, op->type, key, klen,
			    &rec);
		}
		if (rc != VUDB_OK && rc != VUDB_ENOTFOUND)
			return rc;
	}
	switch (op->kind) {
	case OP_ADD:
		/* one put that refuses an existing key: no read first */
		if ((rc = vudb__apply_attrs(db, &rec, op->attrs, 0)) != VUDB_OK)
			break;
		if ((op->type == VUDB_ALIAS || op->type == VUDB_SENDER ||
		    op->type == VUDB_RELOCATED) &&
		    vudb__rec_get(&rec, VUDB__L_VALUE) == NULL) {
			rc = vudb__seterr(db, VUDB_EINVAL, "%s: %s required",
			    op->name, op->type == VUDB_SENDER ? "logins" :
			    "dest");
			break;
		}
		alias_fits(db, op, &rec);
		if (op->type == VUDB_USER && (rc = vudb__schemes_note(db, d,
		    txn,
		    vudb__rec_get(&rec, VUDB__U_PASSWORD))) != VUDB_OK)
			break;
		if (vudb__rec_get(&rec, vudb__tag_created(op->type)) == NULL)
			vudb__set_now(&rec, vudb__tag_created(op->type));
		if (vudb__rec_get(&rec, vudb__tag_updated(op->type)) == NULL)
			vudb__set_now(&rec, vudb__tag_updated(op->type));
		if ((rc = vudb__rec_fits(db, &rec)) != VUDB_OK)
			break;
		/* the same name, stored before local parts were folded */
		if (local[0] != '\0' && (rc = vudb__oldkey_taken(db, d, txn,
		    op->type, local, old)) != 0) {
			if (rc == 1)
				rc = vudb__seterr(db, VUDB_EEXIST,
				    "%s: already "
				    "exists as %s@%s", op->name, old, d->name);
			break;
		}
		if (ctag != 0 && (rc = vudb__count_add(db, d, txn, ctag, 1,
		    maxtag,
		    1)) != VUDB_OK)
			break;
		rc = vudb__put_rec_flags(db, d, txn, key, klen, &rec,
		    VUDB_PUT_NEW);
		if (rc == VUDB_EEXIST) {
			/* undo the count (a batch keeps it in memory) */
			if (ctag != 0)
				(void)vudb__count_add(db, d, txn, ctag, -1, 0,
				    0);
			rc = vudb__seterr(db, VUDB_EEXIST, "%s: already "
			    "exists", op->name);
		}
		break;
	case OP_UPDATE:
		if (rc != VUDB_OK)
			return vudb__seterr(db, rc, "%s: not found", op->name);
		if ((rc = vudb__apply_attrs(db, &rec, op->attrs, 1)) != VUDB_OK)
			break;
		if ((op->type == VUDB_ALIAS || op->type == VUDB_SENDER ||
		    op->type == VUDB_RELOCATED) &&
		    vudb__rec_get(&rec, VUDB__L_VALUE) == NULL) {
			rc = vudb__seterr(db, VUDB_EINVAL, "%s: cannot remove "
			    "the only value; delete the entry", op->name);
			break;
		}
		alias_fits(db, op, &rec);
		if (op->type == VUDB_USER && (rc = vudb__schemes_note(db, d,
		    txn,
		    vudb__rec_get(&rec, VUDB__U_PASSWORD))) != VUDB_OK)
			break;
		vudb__set_now(&rec, vudb__tag_updated(op->type));
		rc = vudb__put_rec(db, d, txn, key, klen, &rec);
		break;
	case OP_DEL:
		if (rc != VUDB_OK)
			return vudb__seterr(db, rc, "%s: not found", op->name);
		if ((rc = vudb__store_del(db, d, txn, key, klen)) != VUDB_OK)
			break;
		if (ctag != 0 && (rc = vudb__count_add(db, d, txn, ctag, -1, 0,
		    0)) != VUDB_OK)
			break;
		if (op->type == VUDB_USER) {
			/* the user's send-as grants go with it */
			klen = vudb__key(VUDB_SENDER, local, strlen(local),
			    key);
			rc = vudb__store_del(db, d, txn, key, klen);
			if (rc == VUDB_ENOTFOUND)
				rc = VUDB_OK;
		}
		break;
	}
	vudb__rec_clear(&rec);
	return rc;
}

/* op_domain - add or change a domain record inside txn */
static int
op_domain(struct vudb *db, struct vudb__dom *d, void *txn, const struct op *op)
{
	struct vudb__rec rec;
	const char *v, *target;
	int rc, tomb = 0;

	rc = vudb__get_rec_txn(db, d, txn, VUDB_DOMAIN, "D", 1, &rec);
	if (rc != VUDB_OK && rc != VUDB_ENOTFOUND)
		return rc;
	if (rc == VUDB_OK) {
		v = vudb__rec_get(&rec, VUDB__D_DELETED);
		tomb = v != NULL && strcmp(v, "yes") == 0;
	}
	if (op->kind == OP_ADD) {
		if (rc == VUDB_OK && !tomb) {
			vudb__rec_clear(&rec);
			return vudb__seterr(db, VUDB_EEXIST, "%s: already "
			    "exists", d->name);
		}
		vudb__rec_clear(&rec);
		if (rc == VUDB_OK && (rc = vudb__wipe_domain(db, d,
		    txn)) != VUDB_OK)
			return rc;
		vudb__rec_init(&rec, VUDB_DOMAIN);
		if ((rc = vudb__apply_attrs(db, &rec, op->attrs, 0)) != VUDB_OK)
			goto out;
		target = vudb__rec_get(&rec, VUDB__D_TARGET);
		(void)vudb__rec_set(&rec, VUDB__D_KIND, target != NULL ?
		    "alias" : "mailbox");
		if (vudb__rec_get(&rec, VUDB__D_CREATED) == NULL)
			vudb__set_now(&rec, VUDB__D_CREATED);
	} else {
		if (rc != VUDB_OK || tomb) {
			vudb__rec_clear(&rec);
			return vudb__seterr(db, VUDB_ENOTFOUND, "%s: no such "
			    "domain", d->name);
		}
		if ((rc = vudb__apply_attrs(db, &rec, op->attrs, 1)) != VUDB_OK)
			goto out;
		v = vudb__rec_get(&rec, VUDB__D_KIND);
		target = vudb__rec_get(&rec, VUDB__D_TARGET);
		if ((v != NULL && strcmp(v, "alias") == 0) != (target != NULL)) {
			rc = vudb__seterr(db, VUDB_EINVAL, "%s: target can "
			    "only be changed on an alias domain", d->name);
			goto out;
		}
	}
	if (target != NULL && strcmp(target, d->name) == 0) {
		rc = vudb__seterr(db, VUDB_EINVAL, "%s: an alias domain cannot "
		    "point to itself", d->name);
		goto out;
	}
	if (op->kind != OP_ADD || vudb__rec_get(&rec, VUDB__D_UPDATED) == NULL)
		vudb__set_now(&rec, VUDB__D_UPDATED);
	rc = vudb__put_rec(db, d, txn, "D", 1, &rec);
out:
	vudb__rec_clear(&rec);
	return rc;
}

/* op_run - one change inside txn (vudb__in_txn) */
static int
op_run(struct vudb *db, void *txn, void *arg)
{
	const struct op *op = arg;

	if (op->type == VUDB_DOMAIN)
		return op_domain(db, op->d, txn, op);
	return op_entry(db, op->d, txn, op);
}

/* audit - the audit line of a change made (or made in the open batch);
 * an update of the password alone is the operation "password" */
static void
audit(struct vudb *db, enum op_kind kind, int type, const char *local,
    const char *domain, const char *const *attrs)
{
	char name[VUDB__ADDR_MAX + 2];
	const char *op;

	if (type == VUDB_DOMAIN)
		snprintf(name, sizeof(name), "%s", domain);
	else
		vudb__entry_name(name, sizeof(name), type, local, domain);
	op = kind == OP_ADD ? "add" : kind == OP_DEL ? "del" : "update";
	if (kind == OP_UPDATE && attrs != NULL && attrs[0] != NULL &&
	    strcmp(attrs[0], "password") == 0 &&
	    (attrs[1] == NULL || attrs[2] == NULL))
		op = "password";
	vudb__audit(db, op, type, NULL, name, attrs, NULL);
}

/* change - the common part of vudb_add, vudb_update and vudb_del */
static int
change(struct vudb *db, enum op_kind kind, int type, const char *name,
    const char *const *attrs)
{
	char local[VUDB__LOCAL_MAX + 1], domain[VUDB__DOMAIN_MAX + 1];
	char legacy[VUDB__LOCAL_MAX + 1];
	struct vudb__dom *d;
	struct op op;
	int rc, catchall;

	if ((rc = vudb__start_write(db, NULL)) != VUDB_OK)
		return rc;
	if ((rc = vudb__split(db, type, name, local, domain, &catchall)) !=
	    VUDB_OK)
		return rc;
	op.kind = kind;
	op.type = type;
	op.local = local;
	op.legacy = type != VUDB_DOMAIN && vudb__legacy_local(name, local,
	    legacy) ?
	    legacy : NULL;
	op.attrs = attrs;
	op.name = name;
	if (type == VUDB_DOMAIN) {
		if (kind == OP_ADD) {
			/* check the attributes before a file is made */
			struct vudb__rec scratch;

			vudb__rec_init(&scratch, VUDB_DOMAIN);
			rc = vudb__apply_attrs(db, &scratch, attrs, 0);
			vudb__rec_clear(&scratch);
			if (rc != VUDB_OK)
				return rc;
		}
		rc = vudb__dom_get(db, domain, kind == OP_ADD, &d);
		if (rc == VUDB_ENOTFOUND)
			return vudb__seterr(db, rc, "%s: no such domain",
			    domain);
		if (rc != VUDB_OK)
			return rc;
		op.d = d;
		rc = vudb__in_txn(db, d, op_run, &op, 1);
		d->meta_state = VUDB__META_UNKNOWN;
		if (rc == VUDB_OK)
			audit(db, kind, type, local, domain, attrs);
		return rc;
	}
	if ((rc = vudb__open_domain(db, domain, &d)) != VUDB_OK)
		return rc;
	if (d->is_alias && type != VUDB_RELOCATED)
		return vudb__seterr(db, VUDB_EINVAL, "%s is an alias domain "
		    "of %s: add entries there", domain,
		    d->target != NULL ? d->target : "?");
	if (catchall && type == VUDB_ALIAS && kind == OP_ADD && !d->catchall)
		return vudb__seterr(db, VUDB_EINVAL, "%s: catch-all aliases "
		    "are turned off for this domain", domain);
	op.d = d;
	if ((rc = vudb__in_txn(db, d, op_run, &op, 0)) == VUDB_OK)
		audit(db, kind, type, local, domain, attrs);
	return rc;
}

/* change_again - change, made once more if the store was lost under it
 * before its commit (vudb__again_write) */
static int
change_again(struct vudb *db, enum op_kind kind, int type, const char *name,
    const char *const *attrs)
{
	int rc;

	rc = change(db, kind, type, name, attrs);
	if (db != NULL && vudb__again_write(db, rc))
		rc = change(db, kind, type, name, attrs);
	return rc;
}

int
vudb_add(struct vudb *db, int type, const char *name,
    const char *const *attrs)
{
	return change_again(db, OP_ADD, type, name, attrs);
}

int
vudb_update(struct vudb *db, int type, const char *name,
    const char *const *attrs)
{
	return change_again(db, OP_UPDATE, type, name, attrs);
}

/* tombstone - empty a domain and leave its tombstone, inside txn */
static int
tombstone(struct vudb *db, void *txn, void *arg)
{
	struct vudb__dom *d = arg;
	struct vudb__rec rec;
	int rc;

	rc = vudb__get_rec_txn(db, d, txn, VUDB_DOMAIN, "D", 1, &rec);
	if (rc == VUDB_OK)
		rc = vudb__wipe_domain(db, d, txn);
	if (rc == VUDB_OK) {
		(void)vudb__rec_set(&rec, VUDB__D_DELETED, "yes");
		vudb__set_now(&rec, VUDB__D_UPDATED);
		rc = vudb__put_rec(db, d, txn, "D", 1, &rec);
	}
	vudb__rec_clear(&rec);
	return rc;
}

/* del_domain - empty a domain, leave a tombstone, then try to remove it */
static int
del_domain(struct vudb *db, const char *domain)
{
	struct vudb__dom *d;
	int rc;

	if ((rc = vudb__open_domain(db, domain, &d)) != VUDB_OK)
		return rc;
	rc = vudb__txn_run(db, tombstone, d);
	if (rc != VUDB_OK)
		return rc;
	vudb__audit(db, "del", VUDB_DOMAIN, NULL, domain, NULL, NULL);
	vudb__bump_gen(db);
	vudb__dom_drop(db, d);
	if (vudb__store_dom_remove(db, domain) != VUDB_OK) {
		vudb__log(db, VUDB_LOG_INFO, "%s: deleted; its file stays "
		    "until every reader has closed it (%s)", domain,
		    db->errmsg);
		vudb__clearerr(db);
	}
	return VUDB_OK;
}

int
vudb_del(struct vudb *db, int type, const char *name)
{
	char local[VUDB__LOCAL_MAX + 1], domain[VUDB__DOMAIN_MAX + 1];
	int rc, catchall;

	if (db == NULL)
		return VUDB_EINVAL;
	if (type != VUDB_DOMAIN)
		return change_again(db, OP_DEL, type, name, NULL);
	if ((rc = vudb__start_write(db,
	    "cannot delete a domain inside a batch")) !=
	    VUDB_OK)
		return rc;
	if ((rc = vudb__split(db, type, name, local, domain, &catchall)) !=
	    VUDB_OK)
		return rc;
	return del_domain(db, domain);
}
