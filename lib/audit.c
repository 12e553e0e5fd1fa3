/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * audit.c - the audit log: one line for every committed change, whoever
 * made it (vudbadm or any program linking the library), and
 * vudb_audit_list to read it.  Changes call vudb__audit once they are
 * committed; inside a batch the lines wait on the handle and vudb_commit
 * writes them (vudb__audit_flush), an abort drops them.  Lines never hold
 * a secret: attributes of the secret kind (password hashes) are named,
 * never valued.  The log is STORE/audit.log, next to vudb.conf, so it is
 * backed up with the store; each line is one write(2) to a file opened
 * O_APPEND, so writers in several processes never mix lines; past the
 * store setting audit_max (default 8 MiB; 0: never) it moves to
 * audit.log.1 under a lock.  Writing the log never fails a change: a
 * failure is a warning through the log hook.  A backend that keeps no
 * files (a server database) keeps the same lines in a table of its own
 * (audit_append, audit_read: ABI 7), read back by the same filters; it
 * moves nothing aside (audit_max is the files').
 *
 * A line: fields separated by tabs, \t \n \\ and control bytes escaped:
 *   TIME UID USER PROGRAM OP TYPE NAME DETAIL
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "vudb_private.h"

#define AUDIT_FILE	"audit.log"
#define AUDIT_OLD	"audit.log.1"
#define AUDIT_LINE	2048	/* longest line written; details are cut */
#define QUEUE_MAX	1000	/* lines a batch keeps; the rest are counted */

static const char *const type_names[] = {
	[VUDB_DOMAIN] = "domain", [VUDB_USER] = "user",
	[VUDB_ALIAS] = "alias", [VUDB_RELOCATED] = "relocated",
	[VUDB_SENDER] = "sender",
};

/* put - append s, escaped, to buf (size size) at *off; cut when full */
static void
put(char *buf, size_t size, size_t *off, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c;

	for (; s != NULL && *s != '\0'; s++) {
		if (*off + 5 >= size)
			return;
		c = (unsigned char)*s;
		if (c == '\t' || c == '\n' || c == '\\') {
			buf[(*off)++] = '\\';
			buf[(*off)++] = c == '\t' ? 't' : c == '\n' ? 'n' :
			    '\\';
		} else if (c < 0x20 || c == 0x7f) {
			buf[(*off)++] = '\\';
			buf[(*off)++] = 'x';
			buf[(*off)++] = hex[c >> 4];
			buf[(*off)++] = hex[c & 0xf];
		} else
			buf[(*off)++] = (char)c;
	}
}

static void
field(char *buf, size_t size, size_t *off, const char *s)
{
	if (*off + 1 < size)
		buf[(*off)++] = '\t';
	put(buf, size, off, s);
}

/* program - the name of the running program */
static void
program(char *out, size_t size)
{
	FILE *f;
	size_t n;

#ifdef __GLIBC__
	if (program_invocation_short_name != NULL &&
	    *program_invocation_short_name != '\0') {
		snprintf(out, size, "%s", program_invocation_short_name);
		return;
	}
#endif
	snprintf(out, size, "?");
	if ((f = fopen("/proc/self/comm", "r")) == NULL)
		return;
	if (fgets(out, (int)size, f) == NULL)
		snprintf(out, size, "?");
	fclose(f);
	n = strlen(out);
	if (n > 0 && out[n - 1] == '\n')
		out[n - 1] = '\0';
}

/* detail - the attributes of a change: names and values, never a secret's
 * value (the attribute table marks secrets; names it does not know are
 * given without a value too) */
static void
detail(char *buf, size_t size, int type, const char *const *attrs)
{
	const struct vudb__attr *a;
	size_t off = 0, i;

	buf[0] = '\0';
	for (i = 0; attrs != NULL && attrs[i] != NULL; i += 2) {
		if (off > 0 && off + 1 < size)
			buf[off++] = ',';
		put(buf, size, &off, attrs[i]);
		a = vudb__attr_byname(type, attrs[i]);
		if (a != NULL && !(a->flags & VUDB__A_SECRET) &&
		    a->kind != VUDB__K_HASH && attrs[i + 1] != NULL &&
		    strcmp(attrs[i], "password") != 0) {
			if (off + 1 < size)
				buf[off++] = '=';
			put(buf, size, &off, attrs[i + 1]);
		}
		if (attrs[i + 1] == NULL)
			break;
	}
	buf[off < size ? off : size - 1] = '\0';
}

/*
 * unsecret - s into out (size size) with a password a store's location
 * may hold hidden: "password=VALUE" of a libpq conninfo (quoted or up to
 * a blank; in a URI's query too) and the "user:SECRET@" of a URI, so that
 * no line keeps what ~/.pgpass should have held
 */
static void
unsecret(char *out, size_t size, const char *s)
{
	size_t o = 0;
	const char *p, *at, *sl;

	if (size == 0)
		return;
	for (p = s; p != NULL && *p != '\0' && o + 4 < size; ) {
		if (strncasecmp(p, "password", 8) == 0 &&
		    (p == s || p[-1] == ' ' || p[-1] == '?' || p[-1] == '&')) {
			const char *q = p + 8;

			while (*q == ' ')
				q++;
			if (*q == '=') {
				q++;
				while (*q == ' ')
					q++;
				if (*q == '\'') {
					for (q++; *q != '\0' && *q != '\''; q++)
						if (*q == '\\' && q[1] != '\0')
							q++;
					if (*q == '\'')
						q++;
				} else
					while (*q != '\0' && *q != ' ' &&
					    *q != '&')
						q++;
				if (o + 13 < size) {
					memcpy(out + o, "password=***", 12);
					o += 12;
				}
				p = q;
				continue;
			}
		}
		if (strncmp(p, "://", 3) == 0 &&
		    (at = strchr(p + 3, '@')) != NULL &&
		    ((sl = strchr(p + 3, '/')) == NULL || at < sl) &&
		    memchr(p + 3, ':', (size_t)(at - p - 3)) != NULL) {
			const char *c = memchr(p + 3, ':', (size_t)(at - p - 3));

			if ((size_t)(c - p) + 5 < size - o) {
				memcpy(out + o, p, (size_t)(c - p) + 1);
				o += (size_t)(c - p) + 1;
				memcpy(out + o, "***", 3);
				o += 3;
				p = at;
				continue;
			}
		}
		out[o++] = *p++;
	}
	out[o] = '\0';
}

/* audit_path - where the log of db is kept, or -1: nowhere (no files;
 * a server's store, whose location is no directory of this host, keeps
 * none yet) */
static int
audit_path(const struct vudb *db, const char *file, char *out, size_t size)
{
	if (db->root == NULL || *db->root == '\0' || !vudb__store_is_dir(db))
		return -1;
	if ((size_t)snprintf(out, size, "%s/%s", db->root, file) >= size)
		return -1;
	return 0;
}

/* audit_max - the size past which the log moves aside; 0: never */
static unsigned long long
audit_max(const struct vudb *db)
{
	return vudb__setting_u64(db, VUDB__S_AUDIT_MAX);
}

/* audit_open - the log, opened for appending; moved aside to audit.log.1
 * first when it has grown past its limit (under a lock, so that of
 * several writers only one moves it) */
static int
audit_open(struct vudb *db, const char *path)
{
	char old[4096];
	struct stat sb, sp;
	int fd, i;

	for (i = 0; i < 2; i++) {
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
		    O_NOCTTY | O_NOFOLLOW, 0660);
		if (fd == -1)
			return -1;
		if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode))
			return fd;	/* not ours to change (/dev/full) */
		if (sb.st_size == 0 && sb.st_uid == geteuid() &&
		    (sb.st_mode & 0660) != 0660)
			(void)fchmod(fd, 0660);	/* through umask */
		if (audit_max(db) == 0 ||
		    (unsigned long long)sb.st_size < audit_max(db))
			return fd;
		if (flock(fd, LOCK_EX) == -1 ||
		    audit_path(db, AUDIT_OLD, old, sizeof(old)) == -1)
			return fd;
		/* still the same file: no other writer moved it meanwhile */
		if (stat(path, &sp) == 0 && sp.st_ino == sb.st_ino &&
		    sp.st_dev == sb.st_dev && rename(path, old) == -1) {
			vudb__log(db, VUDB_LOG_WARNING, "audit log: %s: %s",
			    old, strerror(errno));
			return fd;	/* the line goes on anyway */
		}
		close(fd);
	}
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOCTTY | O_NOFOLLOW, 0660);
}

/* audit_write - one line into the log; a failure is a warning only */
static void
audit_write(struct vudb *db, const char *line, size_t len)
{
	char path[4096];
	ssize_t n;
	int fd, saved = errno;

	if (vudb__store_keeps_audit(db)) {
		if (vudb__store_audit_append(db, line, len) != VUDB_OK) {
			vudb__log(db, VUDB_LOG_WARNING, "audit log: %s",
			    vudb_errmsg(db));
			vudb__clearerr(db);
		}
		errno = saved;
		return;
	}
	if (audit_path(db, AUDIT_FILE, path, sizeof(path)) == -1)
		return;
	if ((fd = audit_open(db, path)) == -1) {
		vudb__log(db, VUDB_LOG_WARNING, "audit log: %s: %s", path,
		    strerror(errno));
		errno = saved;
		return;
	}
	n = write(fd, line, len);
	if (n != (ssize_t)len)
		vudb__log(db, VUDB_LOG_WARNING, "audit log: %s: %s", path,
		    n == -1 ? strerror(errno) : "short write");
	close(fd);
	errno = saved;
}

/* format - the line of one change into buf; returns its length */
static size_t
format(char *buf, size_t size, const char *op, const char *type,
    const char *name, const char *det)
{
	char tbuf[32], ubuf[32], prog[64], pwbuf[1024];
	struct passwd pw, *pwp = NULL;
	struct tm tm;
	time_t now;
	size_t off = 0;
	uid_t uid;

	now = time(NULL);
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(tbuf, sizeof(tbuf), "?");
	uid = getuid();
	snprintf(ubuf, sizeof(ubuf), "%lu", (unsigned long)uid);
	if (getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &pwp) != 0)
		pwp = NULL;
	program(prog, sizeof(prog));
	put(buf, size, &off, tbuf);
	field(buf, size, &off, ubuf);
	field(buf, size, &off, pwp != NULL ? pwp->pw_name : "?");
	field(buf, size, &off, prog);
	field(buf, size, &off, op);
	field(buf, size, &off, type);
	field(buf, size, &off, name);
	field(buf, size, &off, det);
	buf[off++] = '\n';
	return off;
}

/* queue - keep a batch's line until its commit */
static void
queue(struct vudb *db, const char *line, size_t len)
{
	char **v, *copy;

	if (db->audit_n == QUEUE_MAX) {
		db->audit_more++;
		return;
	}
	if (db->audit_n == db->audit_cap) {
		v = reallocarray(db->audit_q, db->audit_cap ?
		    db->audit_cap * 2 : 16, sizeof(*v));
		if (v == NULL)
			goto lost;
		db->audit_q = v;
		db->audit_cap = db->audit_cap ? db->audit_cap * 2 : 16;
	}
	if ((copy = strndup(line, len)) == NULL)
		goto lost;
	db->audit_q[db->audit_n++] = copy;
	return;
lost:
	db->audit_more++;
}

/*
 * vudb__audit - record a committed change (or an entry's change in the
 * open batch, to be written at its commit; a setting's line is written
 * at once): op ("add", "update", "del", "rename", ...)
 * of the object name of the given type (a VUDB_* type, or 0 with tname),
 * with attrs (name, value pairs; may be NULL) or, if attrs is NULL, the
 * text extra.  Never fails.
 */
void
vudb__audit(struct vudb *db, const char *op, int type, const char *tname,
    const char *name, const char *const *attrs, const char *extra)
{
	char line[AUDIT_LINE], det[AUDIT_LINE / 2], nbuf[AUDIT_LINE / 2];
	size_t len;
	int batch;

	if (db == NULL || (db->flags & VUDB_RDONLY) || db->audit_quiet)
		return;
	/* settings (type 0) are files of their own, written at once even
	 * inside a batch: so is their line */
	batch = db->txn != NULL && type > 0;
	if (batch && db->audit_n == QUEUE_MAX) {
		db->audit_more++;	/* a large import: counted only */
		return;
	}
	if (type > 0 && (size_t)type < sizeof(type_names) /
	    sizeof(type_names[0]) && type_names[type] != NULL)
		tname = type_names[type];
	if (attrs != NULL)
		detail(det, sizeof(det), type, attrs);
	else
		unsecret(det, sizeof(det), extra != NULL ? extra : "");
	/* a store's location (init) may hold a password: never kept */
	unsecret(nbuf, sizeof(nbuf), name != NULL ? name : "");
	len = format(line, sizeof(line), op, tname != NULL ? tname : "?",
	    nbuf, det);
	if (batch)
		queue(db, line, len);
	else
		audit_write(db, line, len);
}

/* vudb__audit_flush - write the lines of the batch on domain just
 * committed */
void
vudb__audit_flush(struct vudb *db, const char *domain)
{
	char line[AUDIT_LINE], more[64];
	size_t i, len;

	for (i = 0; i < db->audit_n; i++)
		audit_write(db, db->audit_q[i], strlen(db->audit_q[i]));
	if (db->audit_more > 0) {
		snprintf(more, sizeof(more), "%lu more changes not listed",
		    db->audit_more);
		len = format(line, sizeof(line), "batch", "domain", domain,
		    more);
		audit_write(db, line, len);
	}
	vudb__audit_drop(db);
}

/* vudb__audit_drop - forget the lines of a batch (aborted, or written) */
void
vudb__audit_drop(struct vudb *db)
{
	size_t i;

	for (i = 0; i < db->audit_n; i++)
		free(db->audit_q[i]);
	free(db->audit_q);
	db->audit_q = NULL;
	db->audit_n = db->audit_cap = 0;
	db->audit_more = 0;
}

/* ------------------------------------------------------------ reading */

/* unescape - undo put() in place */
static void
unescape(char *s)
{
	char *w = s;
	unsigned int v;

	for (; *s != '\0'; s++) {
		if (*s != '\\' || s[1] == '\0') {
			*w++ = *s;
			continue;
		}
		s++;
		if (*s == 't')
			*w++ = '\t';
		else if (*s == 'n')
			*w++ = '\n';
		else if (*s == 'x' && s[1] != '\0' && s[2] != '\0' &&
		    sscanf(s + 1, "%2x", &v) == 1) {
			*w++ = (char)v;
			s += 2;
		} else
			*w++ = *s;
	}
	*w = '\0';
}

/* in_domain - whether name (an entry or a domain) is domain or in it */
static int
in_domain(const char *name, const char *domain)
{
	const char *at;

	if (name == NULL)
		return 0;
	at = strrchr(name, '@');
	return strcasecmp(at != NULL ? at + 1 : name, domain) == 0;
}

/* what vudb_audit_list reads for: its filters and its callback */
struct audit_reader {
	struct vudb	*db;
	const char	*since, *domain;
	vudb_audit_cb	 fn;
	void		*arg;
};

/* list_line - one line (no newline; changed in place), to the callback
 * if it passes the filters */
static int
list_line(struct audit_reader *r, char *line)
{
	char *f[8], *p;
	struct vudb_audit e;
	size_t n;

	for (n = 0, p = line; n < 8; n++) {
		f[n] = p;
		if (p != NULL && (p = strchr(p, '\t')) != NULL)
			*p++ = '\0';
	}
	if (f[7] == NULL)
		return VUDB_OK;		/* not a line of ours (cut?) */
	for (n = 0; n < 8; n++)
		unescape(f[n]);
	if (r->since != NULL && strcmp(f[0], r->since) < 0)
		return VUDB_OK;
	if (r->domain != NULL && !in_domain(f[6], r->domain) &&
	    !(strcmp(f[4], "rename") == 0 && in_domain(f[7], r->domain)))
		return VUDB_OK;
	e.time = f[0];
	e.uid = strtoul(f[1], NULL, 10);
	e.user = f[2];
	e.program = f[3];
	e.op = f[4];
	e.type = f[5];
	e.name = f[6];
	e.detail = f[7];
	return r->fn(r->arg, &e);
}

/* list_kept - a line the backend keeps (audit_read's reader) */
static int
list_kept(void *arg, const char *line)
{
	char *copy;
	size_t len;
	int rc;

	if ((copy = strdup(line)) == NULL)
		return VUDB_ENOMEM;
	len = strlen(copy);
	if (len > 0 && copy[len - 1] == '\n')
		copy[len - 1] = '\0';
	rc = list_line(arg, copy);
	free(copy);
	return rc;
}

/* list_file - the entries of one file that pass the filters */
static int
list_file(struct audit_reader *r, const char *path)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *in;
	int rc = VUDB_OK;

	if ((in = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return VUDB_OK;
		return vudb__seterr(r->db, VUDB_ESYS, "%s: %s", path,
		    strerror(errno));
	}
	while (rc == VUDB_OK && (len = getline(&line, &cap, in)) != -1) {
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		rc = list_line(r, line);
	}
	if (rc == VUDB_OK && ferror(in))
		rc = vudb__seterr(r->db, VUDB_ESYS, "%s: read error", path);
	free(line);
	fclose(in);
	return rc;
}

int
vudb_audit_list(struct vudb *db, const char *since, const char *domain,
    vudb_audit_cb fn, void *arg)
{
	char path[4096], dom[VUDB__DOMAIN_MAX + 1];
	struct audit_reader r;
	const char *why;
	int rc;

	if (db == NULL || fn == NULL)
		return VUDB_EINVAL;
	vudb__clearerr(db);
	if (domain != NULL) {
		if ((why = vudb__domain_norm(domain, strlen(domain), dom)) !=
		    NULL)
			return vudb__seterr(db, why == vudb__name_nomem ?
			    VUDB_ENOMEM : VUDB_EINVAL, "%s: %s", domain, why);
		domain = dom;
	}
	r.db = db;
	r.since = since;
	r.domain = domain;
	r.fn = fn;
	r.arg = arg;
	if (vudb__store_keeps_audit(db)) {
		if ((rc = vudb__refresh(db)) != VUDB_OK)
			return rc;
		return vudb__store_audit_read(db, list_kept, &r);
	}
	if (audit_path(db, AUDIT_OLD, path, sizeof(path)) == -1)
		return vudb__seterr(db, VUDB_ENOTSUP, "this store keeps no "
		    "audit log");
	if ((rc = list_file(&r, path)) != VUDB_OK)
		return rc;
	(void)audit_path(db, AUDIT_FILE, path, sizeof(path));
	return list_file(&r, path);
}
