/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * settings.c - the store-wide settings of STORE/vudb.conf (vudb.conf(5)):
 * their names, kinds and defaults, reading the file (strict at open,
 * forgiving later) and rewriting one line of it atomically under a lock.
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
	[VUDB__S_BACKEND] =		{ "backend", VUDB__K_TEXT, "bdb" },
};

/* ------------------------------------------------------------ settings */

const char *
vudb_setting_name(size_t i)
{
	return i < VUDB__S_COUNT ? settings[i].name : NULL;
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

/*
 * vudb__settings_load - (re)read vudb.conf.  strict: a bad value fails
 * (at open); otherwise it is logged and the previous values stay.
 */
int
vudb__settings_load(struct vudb *db, int strict)
{
	char *newset[VUDB__S_COUNT] = { NULL };
	char path[4096], *line = NULL, *name, *value, *norm;
	const char *why;
	size_t cap = 0;
	struct stat sb;
	int i, lineno = 0, rc = VUDB_OK;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", db->root, VUDB__CONF_FILE);
	if ((fp = fopen(path, "r")) == NULL) {
		if (errno != ENOENT)
			return vudb__seterr(db, VUDB_ESYS, "%s: %s", path,
			    strerror(errno));
		db->conf_mtime = 0;
		goto install;
	}
	if (fstat(fileno(fp), &sb) == 0)
		db->conf_mtime = (long long)sb.st_mtim.tv_sec * 1000000000LL +
		    sb.st_mtim.tv_nsec;
	while (getline(&line, &cap, fp) != -1) {
		lineno++;
		if (parse_line(line, &name, &value) != 0)
			continue;
		if ((i = vudb__setting_index(name)) < 0) {
			vudb__log(db, VUDB_LOG_WARNING,
			    "%s:%d: unknown setting %s ignored", path, lineno,
			    name);
			continue;
		}
		rc = vudb__value_norm(settings[i].kind, value, &norm, &why);
		if (rc != VUDB_OK) {
			rc = vudb__seterr(db, rc, "%s:%d: %s: %s", path,
			    lineno, name, why != NULL ? why : "out of memory");
			break;
		}
		free(newset[i]);
		newset[i] = norm;
	}
	free(line);
	fclose(fp);
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
	return VUDB_OK;
}

/* vudb__conf_write - replace or remove the line of name in vudb.conf */
int
vudb__conf_write(struct vudb *db, const char *name, const char *value)
{
	char path[4096], tmp[4096], *line = NULL, *copy, *n, *v;
	size_t cap = 0;
	int fd = -1, lockfd, done = 0, rc = VUDB_OK;
	FILE *in, *out;

	snprintf(path, sizeof(path), "%s/%s", db->root, VUDB__CONF_FILE);
	snprintf(tmp, sizeof(tmp), "%s/.%s.lock", db->root, VUDB__CONF_FILE);
	/* one writer at a time: read, change and replace under a lock */
	if ((lockfd = open(tmp, O_RDWR | O_CREAT | O_CLOEXEC, 0660)) == -1 ||
	    flock(lockfd, LOCK_EX) == -1) {
		rc = vudb__seterr(db, VUDB_ESYS, "%s: %s", tmp,
		    strerror(errno));
		if (lockfd != -1)
			close(lockfd);
		return rc;
	}
	snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", db->root, VUDB__CONF_FILE);
	if ((fd = mkstemp(tmp)) == -1 || (out = fdopen(fd, "w")) == NULL) {
		rc = vudb__seterr(db, VUDB_ESYS, "%s: %s", tmp,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		close(lockfd);
		return rc;
	}
	if ((in = fopen(path, "r")) != NULL) {
		while (getline(&line, &cap, in) != -1) {
			if ((copy = strdup(line)) == NULL) {
				rc = VUDB_ENOMEM;
				break;
			}
			if (parse_line(copy, &n, &v) == 0 &&
			    strcmp(n, name) == 0) {
				if (value != NULL && !done)
					fprintf(out, "%s = %s\n", name, value);
				done = 1;
			} else
				fputs(line, out);
			free(copy);
		}
		free(line);
		fclose(in);
	} else
		fputs("# vudb.conf - store-wide settings; see vudb.conf(5).\n"
		    "# Change with: vudbadm set NAME VALUE\n", out);
	if (!done && value != NULL)
		fprintf(out, "%s = %s\n", name, value);
	if (fflush(out) != 0 || fsync(fileno(out)) != 0) {
		if (rc == VUDB_OK)
			rc = vudb__seterr(db, VUDB_ESYS, "%s: %s", tmp,
			    strerror(errno));
	}
	(void)fchmod(fileno(out), 0660);
	fclose(out);
	if (rc == VUDB_OK && rename(tmp, path) != 0)
		rc = vudb__seterr(db, VUDB_ESYS, "%s: %s", path,
		    strerror(errno));
	if (rc != VUDB_OK)
		(void)unlink(tmp);
	else if ((fd = open(db->root, O_RDONLY | O_DIRECTORY)) != -1) {
		(void)fsync(fd);
		close(fd);
	}
	close(lockfd);
	return rc;
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
