/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * cmd_import.c - "import [--format jsonl|passwd-file|postfix-virtual]
 * [--dry-run] [FILE]": bulk loading.  The whole input is read first and
 * every line checked (syntax, record types, names, required fields), so a
 * malformed line stops the import before anything changes, naming its
 * line number; the checked records are kept.  Then they are applied in
 * order, each run of records of one domain as one batch (vudb_begin ..
 * vudb_commit): a domain is imported completely or not at all.  A value the library
 * refuses aborts that domain's batch and stops the import; the domains
 * before it stay imported.  --dry-run applies every batch and aborts it.
 * Domains that entries need are created when missing.  On a terminal,
 * stderr shows progress with the rate and the time left.
 *
 * Formats: JSON Lines as export writes them; a Dovecot passwd-file
 * (user@domain:{SCHEME}hash:uid:gid:gecos:home:shell:extra); a Postfix
 * virtual(5) alias map ("source dest, dest", # comments, continuation
 * lines beginning with blanks, a bare domain on the left declares it,
 * "@alias.example @target.example" is an alias domain).
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vudbadm.h"

#define MAXATTR		48
#define MAXOWN		(MAXATTR + 4)

enum fmt { F_JSONL, F_PASSWD, F_VIRTUAL };

#define T_SKIP		(-1)	/* blank line or comment */
#define T_SETTING	0
#define T_DECL		100	/* a domain that must exist (virtual maps) */

/* One input record, ready for the library. */
struct irec {
	int		 type;		/* VUDB_*, T_SETTING, T_DECL, T_SKIP */
	const char	*name;
	const char	*value;		/* T_SETTING */
	const char	*attrs[2 * MAXATTR + 1];
	json_t		*jv;		/* F_JSONL: the parsed line */
	char		*own[MAXOWN];
	size_t		 nown;
};

struct imp {
	struct ctx	*c;
	enum fmt	 fmt;
	int		 dry;
	int		 ignore_unknown;	/* --ignore-unknown */
	int		 existing;	/* 0, 's' skip, 'u' update */
	int		 skipped_now;	/* apply() skipped its record */
	size_t		 nskipped, nupdated;
	size_t		 nbad;		/* dry run: refused records */
	char		**aliasdoms;	/* virtual: "@alias @target" sources */
	size_t		 naliasdoms;
	/* dry run: the domains made so far (each batch is rolled back, so
	 * a domain's later batches make it again: counted once) */
	char		**drydoms;
	size_t		 ndrydoms;
	const char	*file;
	char		*buf;
	size_t		 len;
	int		 mapped;
	char		 err[512];
	/* counts: pass 1 (to do) and pass 2 (done) */
	size_t		 total, done;
	size_t		 pos;		/* of pass 1, for its progress */
	size_t		 n[7];		/* by type; [0] settings, [6] created */
	/* the open batch */
	int		 in_batch, dom_ready;
	char		*cur;		/* its canonical domain */
	char		 rawcur[320];	/* the domain as last written */
	size_t		 committed;	/* batches committed */
	/* progress */
	int		 tty;
	struct timespec	 start, last;
	char		 warned[8][32];
};

/* ------------------------------------------------------------ records */

static void
irec_free(struct irec *r)
{
	size_t i;

	/* password hashes are wiped wherever they were kept */
	for (i = 0; r->attrs[i] != NULL; i += 2)
		if (strcmp(r->attrs[i], "password") == 0 &&
		    r->attrs[i + 1] != NULL)
			explicit_bzero((char *)(uintptr_t)r->attrs[i + 1],
			    strlen(r->attrs[i + 1]));
	json_decref(r->jv);
	for (i = 0; i < r->nown; i++) {
		explicit_bzero(r->own[i], strlen(r->own[i]));
		free(r->own[i]);
	}
	memset(r, 0, sizeof(*r));
}

/* own - keep a copy of s[0..n) with the record */
static char *
own(struct irec *r, const char *s, size_t n)
{
	char *p;

	if (r->nown == MAXOWN || (p = strndup(s, n)) == NULL)
		return NULL;
	r->own[r->nown++] = p;
	return p;
}

static int
bad(struct imp *im, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
bad(struct imp *im, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(im->err, sizeof(im->err), fmt, ap);
	va_end(ap);
	return -1;
}

static int
type_of(const char *s)
{
	static const struct { const char *name; int type; } t[] = {
		{ "setting", T_SETTING }, { "domain", VUDB_DOMAIN },
		{ "user", VUDB_USER }, { "alias", VUDB_ALIAS },
		{ "relocated", VUDB_RELOCATED }, { "sender", VUDB_SENDER }
	};
	size_t i;

	for (i = 0; i < NELEM(t); i++)
		if (strcmp(s, t[i].name) == 0)
			return t[i].type;
	return -2;
}

/* jstr - the member key of object o when it is a string, else NULL */
static const char *
jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/*
 * jtext - the text of a value of an export line: a string as it is (the
 * form of exports before values were typed), or the typed form that
 * vudbadm --json writes for the kind the library gives (a number, true or
 * false, an array of strings).  NULL after bad() when it is neither.
 */
static const char *
jtext(struct imp *im, struct irec *r, const json_t *v, int kind,
    const char *what)
{
	char buf[64], *list, *p;
	const json_t *item;
	size_t i, len = 0;
	const char *s;

	if (json_is_string(v))
		return json_string_value(v);
	switch (kind) {
	case VUDB_KIND_NUMBER:
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			break;
		snprintf(buf, sizeof(buf), "%lld",
		    (long long)json_integer_value(v));
		return own(r, buf, strlen(buf));
	case VUDB_KIND_BOOL:
		if (!json_is_boolean(v))
			break;
		return json_is_true(v) ? "yes" : "no";
	case VUDB_KIND_LIST:
		if (!json_is_array(v))
			break;
		json_array_foreach(v, i, item) {
			if ((s = json_string_value(item)) == NULL ||
			    s[0] == '\0' || strchr(s, ',') != NULL) {
				bad(im, "%s: item %zu: expected a string "
				    "without a comma", what, i);
				return NULL;
			}
			len += strlen(s) + 1;
		}
		if (json_array_size(v) == 0)
			return "none";
		if ((list = malloc(len)) == NULL) {
			bad(im, "out of memory");
			return NULL;
		}
		for (p = list, i = 0; i < json_array_size(v); i++) {
			s = json_string_value(json_array_get(v, i));
			p = stpcpy(p, s);
			*p++ = ',';
		}
		p[-1] = '\0';
		s = own(r, list, strlen(list));
		free(list);
		if (s == NULL)
			bad(im, "out of memory");
		return s;
	}
	bad(im, "%s: expected %s", what, kind == VUDB_KIND_NUMBER ?
	    "a number (or a string)" : kind == VUDB_KIND_BOOL ?
	    "true or false (or a string)" : kind == VUDB_KIND_LIST ?
	    "an array of strings (or a string)" : "a string");
	return NULL;
}

/* parse_jsonl - one line of an export */
static int
parse_jsonl(struct imp *im, const char *line, size_t len, struct irec *r)
{
	const char *key, *why, *t;
	json_t *v, *attrs, *val;
	size_t i, k = 0;
	char msg[256];

	for (i = 0; i < len && isspace((unsigned char)line[i]); i++)
		;
	if (i == len) {
		r->type = T_SKIP;
		return 0;
	}
	if (jr_parse(line, len, &r->jv, msg, sizeof(msg)) != 0)
		return bad(im, "invalid JSON: %s", msg);
	if (!json_is_object(r->jv))
		return bad(im, "not a JSON object");
	json_object_foreach(r->jv, key, val)
		if (strcmp(key, "type") != 0 && strcmp(key, "name") != 0 &&
		    strcmp(key, "value") != 0 && strcmp(key, "attrs") != 0)
			return bad(im, "unknown field \"%s\"", key);
	if ((t = jstr(r->jv, "type")) == NULL)
		return bad(im, "\"type\" missing or not a string");
	if ((r->type = type_of(t)) == -2)
		return bad(im, "unknown type \"%s\"", t);
	if ((r->name = jstr(r->jv, "name")) == NULL)
		return bad(im, "\"name\" missing or not a string");
	v = json_object_get(r->jv, "value");
	attrs = json_object_get(r->jv, "attrs");
	if (r->type == T_SETTING) {
		if (v == NULL)
			return bad(im, "\"value\" missing");
		if (attrs != NULL)
			return bad(im, "a setting has no \"attrs\"");
		if (!known_setting(r->name))
			return bad(im, "%s: unknown setting", r->name);
		if ((r->value = jtext(im, r, v, vudb_value_kind(VUDB_SETTING,
		    r->name), "value")) == NULL)
			return -1;
		return 0;
	}
	if (v != NULL)
		return bad(im, "only a setting has a \"value\"");
	if ((why = vudb_name_error(r->type, r->name)) != NULL)
		return bad(im, "%s: %s", r->name, why);
	if (attrs != NULL && !json_is_object(attrs))
		return bad(im, "\"attrs\" is not an object");
	/* jansson keeps an object's members in the order they came */
	json_object_foreach(attrs, key, val) {
		snprintf(msg, sizeof(msg), "attrs.%s", key);
		if ((t = jtext(im, r, val, vudb_value_kind(r->type, key),
		    msg)) == NULL)
			return -1;
		/* derived or set by the library itself */
		if (strcmp(key, "created") == 0 ||
		    strcmp(key, "updated") == 0 ||
		    (r->type == VUDB_DOMAIN && strcmp(key, "kind") == 0))
			continue;
		if (k / 2 == MAXATTR)
			return bad(im, "too many attributes");
		r->attrs[k++] = key;
		r->attrs[k++] = t;
	}
	r->attrs[k] = NULL;
	if ((r->type == VUDB_ALIAS || r->type == VUDB_RELOCATED) &&
	    json_object_get(attrs, "dest") == NULL)
		return bad(im, "%s: attrs.dest missing", r->name);
	if (r->type == VUDB_SENDER &&
	    json_object_get(attrs, "logins") == NULL)
		return bad(im, "%s: attrs.logins missing", r->name);
	return 0;
}

/* warn_once - a warning about an ignored passwd-file field, once each */
static void
warn_once(struct imp *im, size_t lineno, const char *key, size_t klen)
{
	size_t i;

	for (i = 0; i < NELEM(im->warned) && im->warned[i][0] != '\0'; i++)
		if (strlen(im->warned[i]) == klen &&
		    memcmp(im->warned[i], key, klen) == 0)
			return;
	if (i < NELEM(im->warned))
		snprintf(im->warned[i], sizeof(im->warned[i]), "%.*s",
		    (int)klen, key);
	warn_msg(im->c, "line %zu: field %.*s ignored (warned once)", lineno,
	    (int)klen, key);
}

/*
 * unknown_field - an extra field vudb has no place for.  Dovecot obeys
 * such fields (allow_nets=, nologin, ...), often as restrictions, so
 * dropping one silently could open what it closed: it is an error, and
 * only --ignore-unknown imports without it (with a warning).
 */
static int
unknown_field(struct imp *im, size_t lineno, const char *key, size_t klen)
{
	if (!im->ignore_unknown)
		return bad(im, "passwd-file field %.*s has no place in vudb "
		    "and would be lost (Dovecot may use it as a restriction): "
		    "remove it, or import without it with --ignore-unknown",
		    (int)(klen > 64 ? 64 : klen), key);
	warn_once(im, lineno, key, klen);
	return 0;
}

/* quota_rule_key - "quota_rule", "quota_rule2", ... (Dovecot's rules) */
static int
quota_rule_key(const char *key, size_t klen)
{
	size_t i;

	if (klen < 10 || strncmp(key, "quota_rule", 10) != 0)
		return 0;
	for (i = 10; i < klen; i++)
		if (!isdigit((unsigned char)key[i]))
			return 0;
	return 1;
}

/* extra_field - one key=value of a passwd-file's extra fields */
static int
extra_field(struct imp *im, struct irec *r, size_t *k, const char *f,
    size_t n, size_t lineno)
{
	const char *eq = memchr(f, '=', n), *key = f, *val, *attr = NULL;
	size_t klen, vlen;

	if (eq == NULL)
		return unknown_field(im, lineno, f, n);
	klen = (size_t)(eq - f);
	val = eq + 1;
	vlen = n - klen - 1;
	if (klen > 7 && strncmp(key, "userdb_", 7) == 0) {
		key += 7;
		klen -= 7;
	}
	if (quota_rule_key(key, klen)) {
		if (vlen > 10 && strncmp(val, "*:storage=", 10) == 0) {
			attr = "quota_bytes";
			val += 10;
			vlen -= 10;
		} else if (vlen > 11 && strncmp(val, "*:messages=", 11) == 0) {
			attr = "quota_messages";
			val += 11;
			vlen -= 11;
		} else
			return bad(im, "%.*s: only *:storage= and *:messages= "
			    "quota rules can be imported", (int)n, f);
	} else if (klen == 3 && strncmp(key, "uid", 3) == 0)
		attr = "uid";
	else if (klen == 3 && strncmp(key, "gid", 3) == 0)
		attr = "gid";
	else if (klen == 4 && strncmp(key, "home", 4) == 0)
		attr = "home";
	if (attr == NULL)
		return unknown_field(im, lineno, f, klen + (size_t)(key - f));
	if (*k / 2 == MAXATTR - 1)
		return bad(im, "too many fields");
	r->attrs[(*k)++] = attr;
	if ((r->attrs[(*k)++] = own(r, val, vlen)) == NULL)
		return bad(im, "out of memory");
	return 0;
}

/* parse_passwd - user@domain:{SCHEME}hash:uid:gid:gecos:home:shell:extra */
static int
parse_passwd(struct imp *im, const char *line, size_t len, struct irec *r,
    size_t lineno)
{
	static const char *const fattr[] = {
		NULL, "password", "uid", "gid", "name", "home", NULL
	};
	const char *f[8], *why, *p, *e;
	size_t fl[8], nf = 0, k = 0, i;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	for (i = 0; i < len && isspace((unsigned char)line[i]); i++)
		;
	if (i == len || line[i] == '#') {
		r->type = T_SKIP;
		return 0;
	}
	/* seven ':' fields, then the extra fields (which may hold ':') */
	for (p = line; nf < 8; p = e + 1) {
		e = nf < 7 ? memchr(p, ':', (size_t)(line + len - p)) : NULL;
		if (e == NULL)
			e = line + len;
		f[nf] = p;
		fl[nf++] = (size_t)(e - p);
		if (e == line + len)
			break;
	}
	r->type = VUDB_USER;
	if ((r->name = own(r, f[0], fl[0])) == NULL)
		return bad(im, "out of memory");
	if ((why = vudb_name_error(VUDB_USER, r->name)) != NULL)
		return bad(im, "%s: %s", r->name, why);
	if (nf < 2)
		return bad(im, "%s: password field missing", r->name);
	for (i = 1; i < nf && i < NELEM(fattr); i++) {
		if (fl[i] == 0 || fattr[i] == NULL)
			continue;
		if (i == 1 && (f[1][0] != '{' || memchr(f[1], '}', fl[1]) ==
		    NULL))
			return bad(im, "%s: the password has no {SCHEME} "
			    "prefix", r->name);
		r->attrs[k++] = fattr[i];
		if ((r->attrs[k++] = own(r, f[i], fl[i])) == NULL)
			return bad(im, "out of memory");
	}
	if (nf == 8) {
		for (p = f[7]; p < f[7] + fl[7]; p = e + 1) {
			e = p;
			while (e < f[7] + fl[7] && *e != ' ' && *e != '\t')
				e++;
			if (e > p && extra_field(im, r, &k, p,
			    (size_t)(e - p), lineno) != 0)
				return -1;
		}
	}
	r->attrs[k] = NULL;
	return 0;
}

/*
 * parse_virtual - "source dest, dest ..." (the logical line, with its
 * continuation lines already joined)
 */
static int
parse_virtual(struct imp *im, const char *line, size_t len, struct irec *r)
{
	const char *p = line, *end = line + len, *key, *why;
	char *dest, *o;
	size_t klen;

	while (p < end && isspace((unsigned char)*p))
		p++;
	if (p == end || *p == '#') {
		r->type = T_SKIP;
		return 0;
	}
	key = p;
	while (p < end && !isspace((unsigned char)*p))
		p++;
	klen = (size_t)(p - key);
	if ((r->name = own(r, key, klen)) == NULL)
		return bad(im, "out of memory");
	while (p < end && isspace((unsigned char)*p))
		p++;
	if (p == end)
		return bad(im, "%s: no destination", r->name);
	if (strchr(r->name, '@') == NULL && strchr(r->name, '.') == NULL)
		return bad(im, "%s: not an address or a domain (a bare local "
		    "part, Postfix's user@$myorigin form, cannot be imported)",
		    r->name);
	if (strchr(r->name, '@') == NULL) {
		/* "example.com anything": a virtual alias domain */
		if ((why = vudb_name_error(VUDB_DOMAIN, r->name)) != NULL)
			return bad(im, "%s: not an address or a domain (%s)",
			    r->name, why);
		r->type = T_DECL;
		return 0;
	}
	r->type = VUDB_ALIAS;
	if ((why = vudb_name_error(VUDB_ALIAS, r->name)) != NULL)
		return bad(im, "%s: %s", r->name, why);
	/* destinations separated by commas or blanks */
	if ((dest = own(r, p, (size_t)(end - p))) == NULL)
		return bad(im, "out of memory");
	for (o = dest; p < end; ) {
		if (*p == ',' || isspace((unsigned char)*p)) {
			while (p < end && (*p == ',' ||
			    isspace((unsigned char)*p)))
				p++;
			if (o > dest && p < end)
				*o++ = ',';
			continue;
		}
		*o++ = *p++;
	}
	*o = '\0';
	if (r->name[0] == '@' && dest[0] == '@' && strchr(dest, ',') ==
	    NULL) {
		/*
		 * "@alias.example @target.example": Postfix maps
		 * local@alias to local@target, an alias domain
		 */
		if ((why = vudb_name_error(VUDB_DOMAIN, dest + 1)) != NULL)
			return bad(im, "%s: %s", dest, why);
		r->type = VUDB_DOMAIN;
		r->name++;
		r->attrs[0] = "target";
		r->attrs[1] = dest + 1;
		r->attrs[2] = NULL;
		return 0;
	}
	r->attrs[0] = "dest";
	r->attrs[1] = dest;
	r->attrs[2] = NULL;
	return 0;
}

/* ------------------------------------------------------------ input */

static int
read_input(struct imp *im)
{
	struct stat sb;
	size_t cap = 0;
	ssize_t r;
	int fd;
	void *p;

	if (im->file == NULL || strcmp(im->file, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(im->file, O_RDONLY | O_CLOEXEC)) == -1)
		return fail_msg(im->c, EX_NOINPUT, "%s: %s", im->file,
		    strerror(errno));
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0) {
		p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd,
		    0);
		if (p != MAP_FAILED) {
			(void)madvise(p, (size_t)sb.st_size,
			    MADV_SEQUENTIAL);
			im->buf = p;
			im->len = (size_t)sb.st_size;
			im->mapped = 1;
			if (fd != STDIN_FILENO)
				close(fd);
			return EX_OK;
		}
	}
	for (;;) {
		if (im->len == cap) {
			cap = cap ? cap * 2 : 1 << 16;
			if ((p = realloc(im->buf, cap)) == NULL) {
				if (fd != STDIN_FILENO)
					close(fd);
				return fail_msg(im->c, EX_TEMPFAIL,
				    "out of memory");
			}
			im->buf = p;
		}
		r = read(fd, im->buf + im->len, cap - im->len);
		if (r < 0 && errno == EINTR && interrupted() == 0)
			continue;
		if (r < 0) {
			int e = errno;

			if (fd != STDIN_FILENO)
				close(fd);
			return fail_msg(im->c, EX_IOERR, "%s: %s",
			    im->file != NULL ? im->file : "stdin",
			    strerror(e));
		}
		if (r == 0)
			break;
		im->len += (size_t)r;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	return EX_OK;
}

/*
 * next_line - the next logical line from *pos: its start, length and
 * first line number (continuation lines of a virtual map are joined
 * into own storage).  Returns 0 at the end.
 */
static int
next_line(struct imp *im, size_t *pos, size_t *lineno, const char **line_r,
    size_t *len_r, char **joined)
{
	const char *s, *nl;
	size_t n;

	*joined = NULL;
	if (*pos >= im->len)
		return 0;
	s = im->buf + *pos;
	nl = memchr(s, '\n', im->len - *pos);
	n = nl != NULL ? (size_t)(nl - s) : im->len - *pos;
	*pos += n + (nl != NULL);
	(*lineno)++;
	*line_r = s;
	*len_r = n;
	if (im->fmt != F_VIRTUAL)
		return 1;
	/* continuation: following lines that begin with a blank */
	while (*pos < im->len && (im->buf[*pos] == ' ' ||
	    im->buf[*pos] == '\t')) {
		const char *c = im->buf + *pos, *cnl;
		size_t cn, k;
		char *j;

		cnl = memchr(c, '\n', im->len - *pos);
		cn = cnl != NULL ? (size_t)(cnl - c) : im->len - *pos;
		for (k = 0; k < cn && isspace((unsigned char)c[k]); k++)
			;
		if (k < cn && c[k] == '#')	/* a comment inside */
			;
		else if (k < cn) {
			if ((j = malloc(*len_r + cn + 2)) == NULL)
				return -1;
			memcpy(j, *line_r, *len_r);
			j[*len_r] = ' ';
			memcpy(j + *len_r + 1, c, cn);
			free(*joined);
			*joined = j;
			*line_r = j;
			*len_r += cn + 1;
		}
		*pos += cn + (cnl != NULL);
		(*lineno)++;
	}
	return 1;
}

static int
parse_line(struct imp *im, const char *line, size_t len, size_t lineno,
    struct irec *r)
{
	memset(r, 0, sizeof(*r));
	im->err[0] = '\0';
	switch (im->fmt) {
	case F_JSONL:
		return parse_jsonl(im, line, len, r);
	case F_PASSWD:
		return parse_passwd(im, line, len, r, lineno);
	case F_VIRTUAL:
		return parse_virtual(im, line, len, r);
	}
	return -1;
}

/* ------------------------------------------------------------ progress */

static double
elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	    (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void
progress(struct imp *im, int final)
{
	struct timespec now;
	double t, rate, eta;

	if (!im->tty || (!final && im->done % 1024 != 0))
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!final && elapsed(&im->last, &now) < 0.2)
		return;
	im->last = now;
	t = elapsed(&im->start, &now);
	rate = t > 0 ? (double)im->done / t : 0;
	eta = rate > 0 ? (double)(im->total - im->done) / rate : 0;
	fprintf(stderr, "\rimport: %zu/%zu records (%.0f%%) %.0f/s, %s "
	    "%d:%02d \033[K", im->done, im->total, im->total ?
	    100.0 * (double)im->done / (double)im->total : 100.0, rate,
	    final ? "took" : "ETA", (int)(final ? t : eta) / 60,
	    (int)(final ? t : eta) % 60);
	if (final)
		putc('\n', stderr);
}

/* clear_line - remove the progress line before a message */
static void
clear_line(struct imp *im)
{
	if (im->tty)
		fputs("\r\033[K", stderr);
}

/* checking - on a terminal, how far the check of the input has come */
static void
checking(struct imp *im, size_t lineno)
{
	struct timespec now;

	if (!im->tty || lineno % 4096 != 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (elapsed(&im->last, &now) < 0.2)
		return;
	im->last = now;
	fprintf(stderr, "\rimport: checking line %zu (%.0f%%)\033[K", lineno,
	    im->len ? 100.0 * (double)(im->pos) / (double)im->len : 100.0);
}

/* ------------------------------------------------------------ apply */

/* end_batch - commit (or, dry or failed, abort) the open batch */
static int
end_batch(struct imp *im, int ok)
{
	int rc = VUDB_OK;

	if (!im->in_batch)
		return VUDB_OK;
	im->in_batch = 0;
	vudb_free(im->cur);
	im->cur = NULL;
	if (!ok || im->dry) {
		(void)vudb_abort(im->c->db);
		return VUDB_OK;
	}
	if ((rc = vudb_commit(im->c->db)) == VUDB_OK)
		im->committed++;
	return rc;
}

/* domain_of - the domain of a record's name, as written */
static const char *
domain_of(const struct irec *r)
{
	const char *at;

	if (r->type == VUDB_DOMAIN || r->type == T_DECL)
		return r->name;
	at = strrchr(r->name, '@');
	return at != NULL ? at + 1 : r->name;
}

/* batch_for - make sure the open batch is the one of r's domain */
static int
batch_for(struct imp *im, const struct irec *r)
{
	const char *d = domain_of(r);
	char *norm;
	int rc;

	if (im->in_batch && strcasecmp(d, im->rawcur) == 0)
		return VUDB_OK;
	if ((rc = vudb_normalize(VUDB_DOMAIN, d, &norm)) != VUDB_OK)
		return rc;
	snprintf(im->rawcur, sizeof(im->rawcur), "%s", d);
	if (im->in_batch && strcmp(norm, im->cur) == 0) {
		vudb_free(norm);
		return VUDB_OK;
	}
	if ((rc = end_batch(im, 1)) != VUDB_OK) {
		vudb_free(norm);
		return rc;
	}
	if ((rc = vudb_begin(im->c->db, norm)) != VUDB_OK) {
		vudb_free(norm);
		return rc;
	}
	im->in_batch = 1;
	im->dom_ready = 0;
	im->cur = norm;
	return VUDB_OK;
}

/* dry_first - in a dry run, whether the domain is made for the first
 * time (remembered from now on); always 1 otherwise, or short of memory */
static int
dry_first(struct imp *im, const char *name)
{
	char **v;
	size_t i;

	if (!im->dry)
		return 1;
	for (i = 0; i < im->ndrydoms; i++)
		if (strcmp(im->drydoms[i], name) == 0)
			return 0;
	if ((v = realloc(im->drydoms, (im->ndrydoms + 1) * sizeof(*v))) ==
	    NULL)
		return 1;
	im->drydoms = v;
	if ((v[im->ndrydoms] = strdup(name)) != NULL)
		im->ndrydoms++;
	return 1;
}

/* ensure_domain - the batch's domain exists, or is created */
static int
ensure_domain(struct imp *im)
{
	struct vudb_obj *o;
	int rc;

	if (im->dom_ready)
		return VUDB_OK;
	rc = vudb_get(im->c->db, VUDB_DOMAIN, im->cur, &o);
	vudb_obj_free(o);
	if (rc == VUDB_ENOTFOUND) {
		rc = vudb_add(im->c->db, VUDB_DOMAIN, im->cur, NULL);
		if (rc == VUDB_OK && dry_first(im, im->cur))
			im->n[6]++;
	}
	if (rc == VUDB_OK)
		im->dom_ready = 1;
	return rc;
}

/* note_aliasdom - remember an alias domain of a virtual map; -1: memory */
static int
note_aliasdom(struct imp *im, const char *name)
{
	char **v, *norm;

	if (vudb_normalize(VUDB_DOMAIN, name, &norm) != VUDB_OK)
		return 0;	/* pass 2 names the problem */
	if ((v = realloc(im->aliasdoms, (im->naliasdoms + 1) *
	    sizeof(*v))) == NULL) {
		vudb_free(norm);
		return -1;
	}
	im->aliasdoms = v;
	v[im->naliasdoms++] = norm;
	return 0;
}

/* is_aliasdom - whether the normalized domain is an alias domain */
static int
is_aliasdom(const struct imp *im, const char *norm)
{
	size_t i;

	for (i = 0; i < im->naliasdoms; i++)
		if (strcmp(im->aliasdoms[i], norm) == 0)
			return 1;
	return 0;
}

/*
 * add_existing - add r; an entry that exists already is a conflict, or
 * with --skip-existing left as it is, or with --update given r's
 * attributes (the others it has are kept; the time stamps are the
 * library's)
 */
static int
add_existing(struct imp *im, const struct irec *r)
{
	const char *attrs[2 * MAXATTR + 1];
	size_t i, k = 0;
	int rc;

	rc = vudb_add(im->c->db, r->type, r->name, r->attrs);
	if (rc != VUDB_EEXIST || im->existing == 0)
		return rc;
	if (im->existing == 's') {
		im->skipped_now = 1;
		im->nskipped++;
		return VUDB_OK;
	}
	for (i = 0; r->attrs[i] != NULL; i += 2)
		if (strcmp(r->attrs[i], "created") != 0 &&
		    strcmp(r->attrs[i], "updated") != 0) {
			attrs[k++] = r->attrs[i];
			attrs[k++] = r->attrs[i + 1];
		}
	attrs[k] = NULL;
	if (k == 0) {
		im->skipped_now = 1;	/* nothing to change */
		im->nskipped++;
		return VUDB_OK;
	}
	if ((rc = vudb_update(im->c->db, r->type, r->name, attrs)) ==
	    VUDB_OK) {
		im->skipped_now = 1;	/* counted as updated */
		im->nupdated++;
	}
	return rc;
}

static int
apply(struct imp *im, const struct irec *r)
{
	char *norm;
	int rc;

	if (r->type == T_SETTING) {
		if ((rc = end_batch(im, 1)) != VUDB_OK)
			return rc;
		/* the backend is fixed when a store is made: an export of
		 * one backend's store imports into another's */
		if (im->dry || strcmp(r->name, "backend") == 0)
			return VUDB_OK;
		return vudb_setting_set(im->c->db, r->name, r->value);
	}
	/* "alias.example anything" of an alias domain: its "@alias.example
	 * @target.example" line makes it */
	if (r->type == T_DECL && im->naliasdoms > 0 &&
	    vudb_normalize(VUDB_DOMAIN, r->name, &norm) == VUDB_OK) {
		rc = is_aliasdom(im, norm);
		vudb_free(norm);
		if (rc)
			return VUDB_OK;
	}
	if ((rc = batch_for(im, r)) != VUDB_OK)
		return rc;
	if (r->type == T_DECL)
		return ensure_domain(im);
	if (r->type == VUDB_DOMAIN) {
		if ((rc = add_existing(im, r)) == VUDB_OK)
			im->dom_ready = 1;
		return rc;
	}
	if ((rc = ensure_domain(im)) != VUDB_OK)
		return rc;
	return add_existing(im, r);
}

static void
summary(struct imp *im)
{
	struct ctx *c = im->c;

	if (c->json) {
		jw_obj_begin(&c->jw);
		jw_kvb(&c->jw, "dry_run", im->dry);
		jw_kvu(&c->jw, "settings", im->n[T_SETTING]);
		jw_kvu(&c->jw, "domains", im->n[VUDB_DOMAIN] + im->n[6]);
		jw_kvu(&c->jw, "users", im->n[VUDB_USER]);
		jw_kvu(&c->jw, "aliases", im->n[VUDB_ALIAS]);
		jw_kvu(&c->jw, "relocated", im->n[VUDB_RELOCATED]);
		jw_kvu(&c->jw, "senders", im->n[VUDB_SENDER]);
		if (im->existing == 's')
			jw_kvu(&c->jw, "skipped", im->nskipped);
		if (im->existing == 'u')
			jw_kvu(&c->jw, "updated", im->nupdated);
		jw_obj_end(&c->jw);
		jw_end(&c->jw);
		return;
	}
	printf("%s %zu settings, %zu domains, %zu users, %zu aliases, "
	    "%zu relocated, %zu send-as grants", im->dry ? "would import" :
	    "imported", im->n[T_SETTING], im->n[VUDB_DOMAIN] + im->n[6],
	    im->n[VUDB_USER], im->n[VUDB_ALIAS], im->n[VUDB_RELOCATED],
	    im->n[VUDB_SENDER]);
	if (im->existing == 's')
		printf("; %zu existing entries skipped", im->nskipped);
	if (im->existing == 'u')
		printf("; %zu existing entries %supdated", im->nupdated,
		    im->dry ? "would be " : "");
	putchar('\n');
}

/*
 * The records that pass 1 checked are kept, in the form apply() needs,
 * in one growing buffer, so that pass 2 does not parse again: for each
 * record its line number, type, number of strings, then the strings
 * (name, value or attribute pairs), each ending in NUL.
 */
struct store {
	char	*buf;
	size_t	 len, cap;
};

static int
store_put(struct store *st, const void *p, size_t n)
{
	size_t cap;
	char *nb;

	if (st->len + n > st->cap) {
		for (cap = st->cap ? st->cap : 1 << 16; cap < st->len + n;
		    cap *= 2)
			;
		if ((nb = malloc(cap)) == NULL)
			return -1;
		if (st->buf != NULL) {
			/* no realloc: what is left behind is wiped */
			memcpy(nb, st->buf, st->len);
			explicit_bzero(st->buf, st->len);
			free(st->buf);
		}
		st->buf = nb;
		st->cap = cap;
	}
	memcpy(st->buf + st->len, p, n);
	st->len += n;
	return 0;
}

static int
store_str(struct store *st, const char *s)
{
	return store_put(st, s, strlen(s) + 1);
}

/* store_rec - keep a checked record */
static int
store_rec(struct store *st, const struct irec *r, size_t lineno)
{
	size_t nstr = 1, i;
	int type = r->type;

	if (r->type == T_SETTING)
		nstr = 2;
	for (i = 0; r->type != T_SETTING && r->attrs[i] != NULL; i++)
		nstr++;
	if (store_put(st, &lineno, sizeof(lineno)) != 0 ||
	    store_put(st, &type, sizeof(type)) != 0 ||
	    store_put(st, &nstr, sizeof(nstr)) != 0 ||
	    store_str(st, r->name) != 0 ||
	    (r->type == T_SETTING && store_str(st, r->value) != 0))
		return -1;
	for (i = 0; r->type != T_SETTING && r->attrs[i] != NULL; i++)
		if (store_str(st, r->attrs[i]) != 0)
			return -1;
	return 0;
}

/* store_get - the record at *off, its strings pointing into the store */
static void
store_get(const struct store *st, size_t *off, struct irec *r,
    size_t *lineno)
{
	const char *p = st->buf + *off;
	size_t nstr, i;

	memset(r, 0, sizeof(*r));
	memcpy(lineno, p, sizeof(*lineno));
	p += sizeof(*lineno);
	memcpy(&r->type, p, sizeof(r->type));
	p += sizeof(r->type);
	memcpy(&nstr, p, sizeof(nstr));
	p += sizeof(nstr);
	r->name = p;
	p += strlen(p) + 1;
	if (r->type == T_SETTING) {
		r->value = p;
		p += strlen(p) + 1;
	} else {
		for (i = 0; i + 1 < nstr && i < 2 * MAXATTR; i++) {
			r->attrs[i] = p;
			p += strlen(p) + 1;
		}
		r->attrs[i] = NULL;
	}
	*off = (size_t)(p - st->buf);
}

static int
run(struct imp *im)
{
	struct store st = { NULL, 0, 0 };
	struct irec r;
	const char *line;
	char *joined;
	size_t pos = 0, lineno = 0, len, off, nbad = 0;
	int rc, got = 0, ex = EX_OK;
	char pending[1024];

	/* pass 1: check every line before anything changes */
	clock_gettime(CLOCK_MONOTONIC, &im->last);
	/* records take about as much room as their lines: one allocation */
	st.cap = im->len + im->len / 4 + 4096;
	if ((st.buf = malloc(st.cap)) == NULL)
		st.cap = 0;
	while (interrupted() == 0 && (got = next_line(im, &pos, &lineno,
	    &line, &len, &joined)) > 0) {
		rc = parse_line(im, line, len, lineno, &r);
		free(joined);
		im->pos = pos;
		if (rc != 0) {
			/* every bad line is named, then nothing is done;
			 * one alone in one line, as it always was */
			irec_free(&r);
			clear_line(im);
			if (nbad++ > 0)
				fail_msg(im->c, EX_DATAERR, "%s", pending);
			snprintf(pending, sizeof(pending), "%s:%zu: %s",
			    im->file != NULL ? im->file : "stdin", lineno,
			    im->err);
			continue;
		}
		if (im->fmt == F_VIRTUAL && r.type == VUDB_DOMAIN &&
		    note_aliasdom(im, r.name) != 0)
			got = -1;
		if (r.type != T_SKIP) {
			im->total++;
			if (store_rec(&st, &r, lineno) != 0)
				got = -1;
		}
		irec_free(&r);
		if (got < 0)
			break;
		checking(im, lineno);
	}
	if (got < 0) {
		ex = fail_msg(im->c, EX_TEMPFAIL, "out of memory");
		goto out;
	}
	if (interrupted() != 0) {
		ex = EX_TEMPFAIL;
		goto out;
	}
	if (nbad == 1) {
		ex = fail_msg(im->c, EX_DATAERR, "%s; nothing imported",
		    pending);
		goto out;
	}
	if (nbad > 1) {
		fail_msg(im->c, EX_DATAERR, "%s", pending);
		ex = fail_msg(im->c, EX_DATAERR, "%zu bad lines; nothing "
		    "imported", nbad);
		goto out;
	}
	/* pass 2: apply, one batch per run of a domain's records */
	clock_gettime(CLOCK_MONOTONIC, &im->start);
	im->last = im->start;
	for (off = 0; off < st.len; ) {
		if (interrupted() != 0) {
			/* the batch open is aborted; closing the store
			 * makes the committed ones durable */
			if (im->in_batch)
				warn_msg(im->c, "interrupted: nothing of %s "
				    "was imported", im->cur);
			end_batch(im, 0);
			if (im->committed > 0)
				warn_msg(im->c, "interrupted: %zu batches "
				    "before line %zu were imported",
				    im->committed, lineno);
			ex = EX_TEMPFAIL;
			goto out;
		}
		store_get(&st, &off, &r, &lineno);
		im->skipped_now = 0;
		rc = apply(im, &r);
		if (rc != VUDB_OK && im->dry && im->in_batch &&
		    (rc == VUDB_EEXIST || rc == VUDB_ENOTFOUND ||
		    rc == VUDB_EINVAL || rc == VUDB_ELIMIT)) {
			/* a refusal leaves the batch usable: a dry run
			 * names it and goes on, to name every one */
			clear_line(im);
			ex = fail_rc(im->c, rc, "%s:%zu: %s",
			    im->file != NULL ? im->file : "stdin", lineno,
			    vudb_errmsg(im->c->db)[0] ?
			    vudb_errmsg(im->c->db) : vudb_strerror(rc));
			im->nbad++;
			im->done++;
			continue;
		}
		if (rc != VUDB_OK) {
			clear_line(im);
			ex = fail_rc(im->c, rc, "%s:%zu: %s",
			    im->file != NULL ? im->file : "stdin", lineno,
			    vudb_errmsg(im->c->db)[0] ?
			    vudb_errmsg(im->c->db) : vudb_strerror(rc));
			if (im->in_batch)
				warn_msg(im->c, "nothing of %s was imported",
				    im->cur);
			end_batch(im, 0);
			if (im->committed > 0 && vudb_sync(im->c->db) ==
			    VUDB_OK)
				warn_msg(im->c, "%zu batches before line %zu "
				    "were imported", im->committed, lineno);
			else if (im->committed > 0)
				warn_msg(im->c, "%zu batches before line %zu "
				    "were committed, but not all reached the "
				    "disk: %s", im->committed, lineno,
				    vudb_errmsg(im->c->db));
			goto out;
		}
		if (r.type == VUDB_DOMAIN && !im->skipped_now)
			(void)dry_first(im, im->cur);
		if (r.type != T_DECL && !im->skipped_now &&
		    (r.type != T_SETTING || strcmp(r.name, "backend") != 0))
			im->n[r.type]++;
		im->done++;
		progress(im, 0);
	}
	if ((rc = end_batch(im, 1)) != VUDB_OK) {
		ex = fail(im->c, rc, "commit");
		(void)vudb_sync(im->c->db);
		goto out;
	}
	if ((rc = vudb_sync(im->c->db)) != VUDB_OK) {
		ex = fail(im->c, rc, "sync");
		goto out;
	}
	if (im->tty && im->total > 0)
		progress(im, 1);
	summary(im);
	if (im->nbad > 0)
		ex = fail_msg(im->c, ex, "%zu record%s would be refused",
		    im->nbad, im->nbad == 1 ? "" : "s");
out:
	if (st.buf != NULL) {
		explicit_bzero(st.buf, st.len);
		free(st.buf);
	}
	return ex;
}

static int
cmd_import(struct ctx *c, int argc, char **argv)
{
	const char *format = "jsonl";
	struct imp im;
	char *pos[1];
	int n, rc, dry = 0, ign = 0, skip = 0, upd = 0;
	struct opt opts[] = {
		{ "--format", 1, &format, NULL },
		{ "-f", 1, &format, NULL },
		{ "--dry-run", 0, NULL, &dry },
		{ "-n", 0, NULL, &dry },
		{ "--ignore-unknown", 0, NULL, &ign },
		{ "--skip-existing", 0, NULL, &skip },
		{ "--update", 0, NULL, &upd },
		{ NULL, 0, NULL, NULL }
	};

	if ((n = parse_opts(c, argc, argv, opts, pos, 1)) < 0)
		return EX_USAGE;
	memset(&im, 0, sizeof(im));
	im.c = c;
	im.dry = dry;
	im.ignore_unknown = ign;
	if (skip && upd)
		return usage_error(c, "--skip-existing and --update exclude "
		    "each other");
	im.existing = skip ? 's' : upd ? 'u' : 0;
	im.file = n == 1 ? pos[0] : NULL;
	if (strcmp(format, "jsonl") == 0 || strcmp(format, "json") == 0)
		im.fmt = F_JSONL;
	else if (strcmp(format, "passwd-file") == 0)
		im.fmt = F_PASSWD;
	else if (strcmp(format, "postfix-virtual") == 0)
		im.fmt = F_VIRTUAL;
	else
		return usage_error(c, "%s: unknown format (jsonl, passwd-file, "
		    "postfix-virtual)", format);
	/* bulk: commits reach the disk together, at vudb_sync */
	if ((rc = open_store(c, VUDB_BULK)) != EX_OK)
		return rc;
	im.tty = isatty(STDERR_FILENO) && !c->json;
	if ((rc = read_input(&im)) == EX_OK)
		rc = run(&im);
	if (im.mapped)
		munmap(im.buf, im.len);
	else if (im.buf != NULL) {
		explicit_bzero(im.buf, im.len);
		free(im.buf);
	}
	vudb_free(im.cur);
	for (n = 0; n < (int)im.naliasdoms; n++)
		vudb_free(im.aliasdoms[n]);
	free(im.aliasdoms);
	for (n = 0; n < (int)im.ndrydoms; n++)
		free(im.drydoms[n]);
	free(im.drydoms);
	return rc;
}

const struct cmd cmds_import[] = {
	{ NULL, "import", cmd_import, "[--format jsonl|passwd-file|"
	    "postfix-virtual] [--dry-run] [--skip-existing | --update] "
	    "[--ignore-unknown] [file]" },
	{ NULL, NULL, NULL, NULL }
};
