/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * settings.c - the store-wide settings of vudb.conf(5): their names, kinds
 * and defaults, parsing their text (strict at open, forgiving later) and
 * rewriting one line of it.  The text is kept where the backend keeps it
 * (the door, store.c): the file STORE/vudb.conf of a directory store,
 * replaced atomically under a lock (files.c), or a server's table.
 * The public calls (vudb_setting_get, _set) are in vudb.c, since a change
 * moves the store's generation (current.c).
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vudb_private.h"

static const struct {
	const char	*name;
	enum vudb__kind	 kind;
	const char	*def;
} settings[VUDB__S_COUNT] = {
	[VUDB__S_MAIL_BASE] =		{ "mail_base", VUDB__K_PATH, "/var/vmail" },
	[VUDB__S_UID] =			{ "uid", VUDB__K_ID, "5000" },
	[VUDB__S_GID] =			{ "gid", VUDB__K_ID, "5000" },
	[VUDB__S_SCHEME] =		{ "password_scheme", VUDB__K_SCHEME, "ARGON2ID" },
	[VUDB__S_DELIM] =		{ "recipient_delimiter", VUDB__K_DELIM, "+" },
	[VUDB__S_SERVICES] =		{ "services", VUDB__K_SERVICES,
					    "imap,pop3,sieve,submission,lmtp" },
	[VUDB__S_QUOTA_BYTES] =		{ "quota_bytes", VUDB__K_SIZE, "0" },
	[VUDB__S_QUOTA_MESSAGES] =	{ "quota_messages", VUDB__K_COUNT, "0" },
	[VUDB__S_ARGON2_MEMORY] =	{ "argon2_memory", VUDB__K_COUNT, "65536" },
	[VUDB__S_ARGON2_TIME] =		{ "argon2_time", VUDB__K_COUNT, "3" },
	[VUDB__S_ARGON2_THREADS] =	{ "argon2_threads", VUDB__K_COUNT, "1" },
	[VUDB__S_BLF_COST] =		{ "blf_cost", VUDB__K_COUNT, "5" },
	[VUDB__S_SHA_ROUNDS] =		{ "sha_rounds", VUDB__K_COUNT, "5000" },
	[VUDB__S_CACHE_SIZE] =		{ "cache_size", VUDB__K_SIZE, "67108864" },
	[VUDB__S_MAX_OPEN_DOMAINS] =	{ "max_open_domains", VUDB__K_COUNT, "100000" },
	[VUDB__S_AUDIT_MAX] =		{ "audit_max", VUDB__K_SIZE, "8388608" },
	[VUDB__S_LOOKUP_CACHE_SIZE] =	{ "lookup_cache_size", VUDB__K_SIZE, "33554432" },
	[VUDB__S_BACKEND] =		{ "backend", VUDB__K_TEXT, "bdb" },
};

/* ------------------------------------------------------------ settings */

const char *
vudb_setting_name(size_t i)
{
	return i < VUDB__S_COUNT ? settings[i].name : NULL;
}

/* vudb__setting_kind - the kind of value of setting idx */
int
vudb__setting_kind(int idx)
{
	return idx >= 0 && idx < VUDB__S_COUNT ? (int)settings[idx].kind : -1;
}

int
vudb__setting_index(const char *name)
{
	int i;

	for (i = 0; name != NULL && i < VUDB__S_COUNT; i++)
		if (strcmp(settings[i].name, name) == 0)
			return i;
	return -1;
}

const char *
vudb__setting(const struct vudb *db, int idx)
{
	return db->set[idx] != NULL ? db->set[idx] : settings[idx].def;
}

unsigned long long
vudb__setting_u64(const struct vudb *db, int idx)
{
	unsigned long long v;

	if (vudb__parse_u64(vudb__setting(db, idx), ~0ULL, &v) != 0 &&
	    vudb__parse_u64(settings[idx].def, ~0ULL, &v) != 0)
		v = 0;
	return v;
}

void
vudb__pwparams_update(struct vudb *db)
{
	vudb__pwparams_default(&db->pw);
	db->pw.argon2_memory =
	    (unsigned int)vudb__setting_u64(db, VUDB__S_ARGON2_MEMORY);
	db->pw.argon2_time =
	    (unsigned int)vudb__setting_u64(db, VUDB__S_ARGON2_TIME);
	db->pw.argon2_threads =
	    (unsigned int)vudb__setting_u64(db, VUDB__S_ARGON2_THREADS);
	db->pw.blf_cost = (unsigned int)vudb__setting_u64(db, VUDB__S_BLF_COST);
	db->pw.sha_rounds =
	    (unsigned int)vudb__setting_u64(db, VUDB__S_SHA_ROUNDS);
}

/* parse_line - split "name = value"; 0 for a setting line, -1 otherwise */
static int
parse_line(char *line, char **name_r, char **value_r)
{
	char *p, *e;

	p = line + strspn(line, " \t");
	if (*p == '#' || *p == '\0' || *p == '\n')
		return -1;
	e = p + strcspn(p, " \t=");
	if (*e == '\0')
		return -1;
	*name_r = p;
	p = e + strspn(e, " \t");
	if (*p != '=')
		return -1;
	*e = '\0';
	p++;
	p += strspn(p, " \t");
	e = p + strlen(p);
	while (e > p && isspace((unsigned char)e[-1]))
		e--;
	*e = '\0';
	*value_r = p;
	return 0;
}

/* text_line - the next line of text at *pos, newline kept, into *line
 * (grown as getline does); -1 at the end, -2 out of memory */
static ssize_t
text_line(char **line, size_t *cap, const char **pos)
{
	const char *p = *pos, *e;
	size_t len;
	char *n;

	if (*p == '\0')
		return -1;
	e = strchr(p, '\n');
	len = e != NULL ? (size_t)(e - p) + 1 : strlen(p);
	if (len + 1 > *cap) {
		if ((n = realloc(*line, len + 1)) == NULL)
			return -2;
		*line = n;
		*cap = len + 1;
	}
	memcpy(*line, p, len);
	(*line)[len] = '\0';
	*pos = p + len;
	return (ssize_t)len;
}

/*
 * vudb__settings_load - (re)read vudb.conf.  strict: a bad value fails
 * (at open); otherwise it is logged and the previous values stay.
 */
int
vudb__settings_load(struct vudb *db, int strict)
{
	char *newset[VUDB__S_COUNT] = { NULL };
	char where[4096], *text = NULL, *line = NULL, *name, *value, *norm;
	const char *why, *pos;
	size_t cap = 0;
	long long stamp;
	ssize_t n;
	int i, lineno = 0, rc = VUDB_OK;

	if (vudb__store_is_dir(db))
		snprintf(where, sizeof(where), "%s/%s", db->root,
		    VUDB__CONF_FILE);
	else
		snprintf(where, sizeof(where), "%s settings",
		    vudb__store_name(db));
	rc = vudb__store_conf_read(db, &text, &stamp);
	if (rc == VUDB_ENOTFOUND) {
		db->conf_mtime = 0;
		goto install;
	}
	if (rc != VUDB_OK)
		return rc;
	db->conf_mtime = stamp;
	pos = text;
	while ((n = text_line(&line, &cap, &pos)) != -1) {
		if (n == -2) {
			rc = vudb__seterr(db, VUDB_ENOMEM, "%s: out of memory",
			    where);
			break;
		}
		lineno++;
		if (parse_line(line, &name, &value) != 0)
			continue;
		if ((i = vudb__setting_index(name)) < 0) {
			vudb__log(db, VUDB_LOG_WARNING,
			    "%s:%d: unknown setting %s ignored", where, lineno,
			    name);
			continue;
		}
		rc = vudb__value_norm(settings[i].kind, value, &norm, &why);
		if (rc != VUDB_OK) {
			rc = vudb__seterr(db, rc, "%s:%d: %s: %s", where,
			    lineno, name, why != NULL ? why : "out of memory");
			break;
		}
		free(newset[i]);
		newset[i] = norm;
	}
	free(line);
	free(text);
	if (rc != VUDB_OK) {
		for (i = 0; i < VUDB__S_COUNT; i++)
			free(newset[i]);
		if (!strict) {
			vudb__log(db, VUDB_LOG_ERR, "%s (previous settings "
			    "kept)", db->errmsg);
			vudb__clearerr(db);
			return VUDB_OK;
		}
		return rc;
	}
install:
	for (i = 0; i < VUDB__S_COUNT; i++) {
		free(db->set[i]);
		db->set[i] = newset[i];
	}
	vudb__pwparams_update(db);
	vudb__cache_setup(db);
	return VUDB_OK;
}

struct conf_change {
	const char	*name;
	const char	*value;		/* NULL: the line goes */
};

/* conf_edit - the settings text with the line of one name replaced or
 * removed (the first kept, later ones dropped), other lines as they are */
static int
conf_edit(void *arg, const char *old, char **new_r)
{
	const struct conf_change *ch = arg;
	char *line = NULL, *copy, *n, *v, *text = NULL;
	const char *pos = old;
	size_t cap = 0, len = 0;
	ssize_t got;
	int done = 0, rc = VUDB_OK;
	FILE *out;

	*new_r = NULL;
	if ((out = open_memstream(&text, &len)) == NULL)
		return VUDB_ENOMEM;
	if (old != NULL) {
		while ((got = text_line(&line, &cap, &pos)) != -1) {
			if (got == -2 || (copy = strdup(line)) == NULL) {
				rc = VUDB_ENOMEM;
				break;
			}
			if (parse_line(copy, &n, &v) == 0 &&
			    strcmp(n, ch->name) == 0) {
				if (ch->value != NULL && !done)
					fprintf(out, "%s = %s\n", ch->name,
					    ch->value);
				done = 1;
			} else
				fputs(line, out);
			free(copy);
		}
		free(line);
	} else
		fputs("# vudb.conf - store-wide settings; see vudb.conf(5).\n"
		    "# Change with: vudbadm set NAME VALUE\n", out);
	if (!done && ch->value != NULL)
		fprintf(out, "%s = %s\n", ch->name, ch->value);
	if (fclose(out) != 0 && rc == VUDB_OK)
		rc = VUDB_ENOMEM;
	if (rc != VUDB_OK) {
		free(text);
		return rc;
	}
	*new_r = text;
	return VUDB_OK;
}

/* vudb__conf_write - replace or remove the line of name in the store's
 * settings (STORE/vudb.conf, or the backend's own place) */
int
vudb__conf_write(struct vudb *db, const char *name, const char *value)
{
	struct conf_change ch;

	ch.name = name;
	ch.value = value;
	return vudb__store_conf_edit(db, conf_edit, &ch);
}

/*
 * vudb__setting_write - check value (NULL: the default) of the idx-th
 * setting, write it to vudb.conf and put it in force on db
 */
int
vudb__setting_write(struct vudb *db, int idx, const char *value)
{
	char *norm = NULL;
	const char *why;
	int rc;

	if (value != NULL) {
		rc = vudb__value_norm(settings[idx].kind, value, &norm, &why);
		if (rc != VUDB_OK)
			return vudb__seterr(db, rc, "%s: %s",
			    settings[idx].name,
			    why != NULL ? why : "out of memory");
	}
	if ((rc = vudb__conf_write(db, settings[idx].name, norm)) != VUDB_OK) {
		free(norm);
		return rc;
	}
	free(db->set[idx]);
	db->set[idx] = norm;
	vudb__pwparams_update(db);
	return VUDB_OK;
}
