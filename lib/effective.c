/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * effective.c - vudb_effective_name: the names of the values in force
 * that vudb_obj_effective() knows for each entry type, in the order a
 * program shows them.  Programs iterate this list instead of keeping a
 * copy of their own, so that a value the library learns to resolve shows
 * up everywhere at once.  The order is the one in which make_obj()
 * (entry.c) resolves them; check_api.c checks that the two agree.
 */
#include "config.h"

#include <stddef.h>

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
