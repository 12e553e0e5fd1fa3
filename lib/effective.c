/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * effective.c - vudb_effective_name: the names of the values in force
 * that vudb_obj_effective() knows for each entry type, in the order a
 * program shows them.  Programs iterate this list instead of keeping a
 * copy of their own, so that a value the library learns to resolve shows
 * up everywhere at once.  And vudb_value_kind: what the text of a value
 * stands for (a number, a flag, a list), taken from the attribute and
 * setting tables (record.c, settings.c) and the maps (lookup.c), so that
 * a program shows values typed without a list of its own.  The order is the one in which make_obj()
 * (entry.c) resolves them; check_api.c checks that the two agree.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "vudb_private.h"

static const char *const user_names[] = {
	"enabled", "receive", "services", "quota_bytes", "quota_messages",
	"uid", "gid", "home", "maildir", "password_scheme"
};

static const char *const domain_names[] = {
	"enabled", "catchall", "services", "quota_bytes", "quota_messages",
	"uid", "gid", "recipient_delimiter", "password_scheme", "users",
	"aliases"
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

const char *
vudb_effective_name(int type, size_t i)
{
	switch (type) {
	case VUDB_USER:
		return i < NELEM(user_names) ? user_names[i] : NULL;
	case VUDB_DOMAIN:
		return i < NELEM(domain_names) ? domain_names[i] : NULL;
	}
	return NULL;
}

/* public_kind - how programs show a value of an internal kind */
static int
public_kind(int kind)
{
	switch (kind) {
	case VUDB__K_BOOL:
		return VUDB_KIND_BOOL;
	case VUDB__K_ID:
	case VUDB__K_COUNT:
	case VUDB__K_SIZE:
	case VUDB__K_TIME:
		return VUDB_KIND_NUMBER;
	case VUDB__K_SERVICES:
	case VUDB__K_ADDRLIST:
		return VUDB_KIND_LIST;
	case -1:
		return 0;
	}
	return VUDB_KIND_TEXT;
}

/*
 * vudb_value_kind - the kind of an attribute's value, stored or in force
 * (entry types), of a setting (VUDB_SETTING) or of a map's answer
 * (VUDB_MAP).  A value in force that entries of the type do not store is
 * their domain's (password_scheme of a user) or a count (users, aliases).
 */
int
vudb_value_kind(int type, const char *name)
{
	const struct vudb__attr *a;
	size_t i;
	const char *e;

	if (name == NULL)
		return 0;
	if (type == VUDB_SETTING)
		return public_kind(vudb__setting_kind(
		    vudb__setting_index(name)));
	if (type == VUDB_MAP)
		return public_kind(vudb__map_kind(name));
	if ((a = vudb__attr_byname(type, name)) != NULL)
		return (a->flags & VUDB__A_HIDDEN) ? 0 : public_kind(a->kind);
	for (i = 0; (e = vudb_effective_name(type, i)) != NULL; i++)
		if (strcmp(e, name) == 0)
			break;
	if (e == NULL)
		return 0;
	if ((a = vudb__attr_byname(VUDB_DOMAIN, name)) != NULL ||
	    (a = vudb__attr_byname(VUDB__REC_COUNTERS, name)) != NULL)
		return public_kind(a->kind);
	return 0;
}
