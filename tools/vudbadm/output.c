/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * output.c - how vudbadm shows things: aligned tables for people, and one
 * JSON object per entry for programs, with stable field names: "type",
 * "name", "attrs" (the stored attributes, password hash left out),
 * "effective" (the values in force) and "has_password".  Also the human
 * form of sizes and times, and the list of domains that several commands
 * walk.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uniwidth.h>

#include "vudbadm.h"

struct table {
	size_t	  ncol, nrows, cap;
	char	**cells;	/* row-major; row 0 is the header */
};

/* table_new - a table of ncol columns; then ncol header strings */
struct table *
table_new(size_t ncol, ...)
{
	struct table *t;
	va_list ap;
	size_t i;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->ncol = ncol;
	t->cap = 64;
	if ((t->cells = calloc(t->cap * ncol, sizeof(*t->cells))) == NULL) {
		free(t);
		return NULL;
	}
	va_start(ap, ncol);
	for (i = 0; i < ncol; i++)
		t->cells[i] = strdup(va_arg(ap, const char *));
	va_end(ap);
	t->nrows = 1;
	return t;
}

/* table_add - a row of ncol strings (NULL shows as "-") */
int
table_add(struct table *t, ...)
{
	va_list ap;
	size_t i;
	void *p;

	if (t->nrows == t->cap) {
		if ((p = reallocarray(t->cells, t->cap * 2 * t->ncol,
		    sizeof(*t->cells))) == NULL)
			return -1;
		t->cells = p;
		t->cap *= 2;
	}
	va_start(ap, t);
	for (i = 0; i < t->ncol; i++) {
		const char *s = va_arg(ap, const char *);

		t->cells[t->nrows * t->ncol + i] = strdup(s != NULL &&
		    s[0] != '\0' ? s : "-");
	}
	va_end(ap);
	t->nrows++;
	return 0;
}

/* width - display columns of a UTF-8 string, whatever the locale (the
 * one UTF-8 routine of the tree: libunistring's, as lib/name.c uses) */
static size_t
width(const char *s)
{
	return s != NULL ? (size_t)u8_strwidth((const uint8_t *)s, "UTF-8") :
	    0;
}

void
table_print(struct table *t, FILE *fp)
{
	size_t *w, r, i, k;
	const char *s;

	if ((w = calloc(t->ncol, sizeof(*w))) == NULL)
		return;
	for (r = 0; r < t->nrows; r++)
		for (i = 0; i < t->ncol; i++)
			if (width(t->cells[r * t->ncol + i]) > w[i])
				w[i] = width(t->cells[r * t->ncol + i]);
	for (r = 0; r < t->nrows; r++) {
		for (i = 0; i < t->ncol; i++) {
			s = t->cells[r * t->ncol + i];
			fputs(s != NULL ? s : "", fp);
			if (i + 1 == t->ncol)
				break;
			for (k = width(s); k < w[i] + 2; k++)
				putc(' ', fp);
		}
		putc('\n', fp);
	}
	free(w);
}

void
table_free(struct table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nrows * t->ncol; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

const char *
type_name(int type)
{
	switch (type) {
	case VUDB_DOMAIN:	return "domain";
	case VUDB_USER:		return "user";
	case VUDB_ALIAS:	return "alias";
	case VUDB_RELOCATED:	return "relocated";
	case VUDB_SENDER:	return "sender";
	}
	return "unknown";
}

/*
 * Typed values.  The library says what each value's text stands for
 * (vudb_value_kind), and --json writes it so: a number as a JSON number,
 * a yes/no flag as true/false, a list ("a@x,b@y"; "none" for no item) as
 * an array of strings, the rest as strings.  A number beyond 2^53 - 1 is
 * written as a string: RFC 8259 (section 6) warns that readers keeping
 * numbers as doubles (JavaScript, jq) would round it.  A text that is not
 * what its kind says (a newer library's value) is written as a string.
 */
#define JSON_SAFE_MAX	9007199254740991ULL	/* 2^53 - 1 */

/* json_value - the value v of the given kind */
void
json_value(struct jw *w, int kind, const char *v)
{
	unsigned long long n;
	const char *p, *e;
	char *end;

	switch (kind) {
	case VUDB_KIND_NUMBER:
		if (v[0] >= '0' && v[0] <= '9' && (v[0] != '0' || v[1] ==
		    '\0')) {
			errno = 0;
			n = strtoull(v, &end, 10);
			if (*end == '\0' && errno == 0 && n <= JSON_SAFE_MAX) {
				jw_u64(w, n);
				return;
			}
		}
		break;
	case VUDB_KIND_BOOL:
		if (strcmp(v, "yes") == 0 || strcmp(v, "no") == 0) {
			jw_bool(w, v[0] == 'y');
			return;
		}
		break;
	case VUDB_KIND_LIST:
		jw_arr_begin(w);
		if (strcmp(v, "none") != 0 && v[0] != '\0')
			for (p = v; ; p = e + 1) {
				e = p + strcspn(p, ",");
				jw_strn(w, p, (size_t)(e - p));
				if (*e == '\0')
					break;
			}
		jw_arr_end(w);
		return;
	}
	jw_str(w, v);
}

/* json_kv - "key": value, typed by its kind */
void
json_kv(struct jw *w, const char *key, int kind, const char *v)
{
	jw_key(w, key);
	json_value(w, kind, v);
}

/* attr_shown - whether obj_json writes the stored attribute n */
static int
attr_shown(const struct vudb_obj *o, const char *n, int how)
{
	if (!(how & OBJ_EXPORT))
		/* the hash only in an export: "has_password" says it */
		return strcmp(n, "password") != 0 ||
		    vudb_obj_type(o) != VUDB_USER;
	/* derived, and left out so that export, import, export gives
	 * the same bytes */
	if (vudb_obj_type(o) == VUDB_DOMAIN && strcmp(n, "kind") == 0)
		return 0;
	return (how & OBJ_TIMES) || (strcmp(n, "created") != 0 &&
	    strcmp(n, "updated") != 0);
}

/*
 * obj_json - one entry as one JSON line, the one printer of entries for
 * show, list and export: {"type":...,"name":...,"attrs":{...}} with the
 * stored attributes in the library's order.  OBJ_SHOW adds "effective"
 * (the values in force) and, for a user, "has_password"; the password
 * hash is never shown there.  OBJ_EXPORT writes the hash and leaves out
 * a domain's derived kind and, without OBJ_TIMES, created and updated.
 */
void
obj_json(struct ctx *c, const struct vudb_obj *o, int how)
{
	const char *n, *v, *e;
	size_t i;

	jw_obj_begin(&c->jw);
	jw_kv(&c->jw, "type", type_name(vudb_obj_type(o)));
	jw_kv(&c->jw, "name", vudb_obj_name(o));
	jw_key(&c->jw, "attrs");
	jw_obj_begin(&c->jw);
	for (i = 0; vudb_obj_attr(o, i, &n, &v) == VUDB_OK; i++)
		if (attr_shown(o, n, how))
			json_kv(&c->jw, n, vudb_value_kind(vudb_obj_type(o),
			    n), v);
	jw_obj_end(&c->jw);
	if ((how & OBJ_SHOW) && vudb_obj_type(o) != VUDB_ALIAS &&
	    vudb_obj_type(o) != VUDB_RELOCATED &&
	    vudb_obj_type(o) != VUDB_SENDER) {
		jw_key(&c->jw, "effective");
		jw_obj_begin(&c->jw);
		for (i = 0; (e = vudb_effective_name(vudb_obj_type(o), i)) !=
		    NULL; i++)
			if ((v = vudb_obj_effective(o, e)) != NULL)
				json_kv(&c->jw, e, vudb_value_kind(
				    vudb_obj_type(o), e), v);
		jw_obj_end(&c->jw);
	}
	if ((how & OBJ_SHOW) && vudb_obj_type(o) == VUDB_USER)
		jw_kvb(&c->jw, "has_password",
		    vudb_obj_get(o, "password") != NULL);
	jw_obj_end(&c->jw);
	jw_end(&c->jw);
}

/* fmt_time - "2026-11-26 06:30:00 UTC" for a stored time */
static const char *
fmt_time(const char *v, char *buf, size_t size)
{
	struct tm tm;
	time_t t;
	char *end;

	t = (time_t)strtoll(v, &end, 10);
	if (*end != '\0' || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		return v;
	return buf;
}

/* obj_show - an entry for people: one "attribute  value" line each */
void
obj_show(struct ctx *c, const struct vudb_obj *o)
{
	const char *n, *v, *st, *e;
	char buf[256], line[1200];
	struct table *t;
	size_t i;

	(void)c;
	if ((t = table_new(2, type_name(vudb_obj_type(o)),
	    vudb_obj_name(o))) == NULL)
		return;
	for (i = 0; vudb_obj_attr(o, i, &n, &v) == VUDB_OK; i++) {
		if (strcmp(n, "password") == 0) {
			const char *end = strchr(v, '}');

			snprintf(line, sizeof(line), "%.*s (set)",
			    end != NULL ? (int)(end - v + 1) : 0, v);
			v = line;
		} else if (strcmp(n, "created") == 0 ||
		    strcmp(n, "updated") == 0)
			v = fmt_time(v, buf, sizeof(buf));
		else if (strcmp(n, "quota_bytes") == 0) {
			fmt_size(v, buf, sizeof(buf));
			v = buf;
		}
		table_add(t, n, v);
	}
	if (vudb_obj_type(o) == VUDB_USER && vudb_obj_get(o, "password") ==
	    NULL)
		table_add(t, "password", "none (no login)");
	for (i = 0; (e = vudb_effective_name(vudb_obj_type(o), i)) != NULL;
	    i++) {
		v = vudb_obj_effective(o, e);
		st = vudb_obj_get(o, e);
		if (v == NULL || (st != NULL && strcmp(st, v) == 0))
			continue;
		if (strcmp(e, "quota_bytes") == 0) {
			fmt_size(v, buf, sizeof(buf));
			v = buf;
		}
		snprintf(line, sizeof(line), "%s%s", v,
		    strcmp(e, "users") == 0 || strcmp(e, "aliases") == 0 ?
		    "" : st != NULL ? " (in force)" : " (default)");
		table_add(t, e, line);
	}
	table_print(t, stdout);
	table_free(t);
}

void
names_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/*
 * list_domains - the names of the domains of the store: kinds 0 all,
 * 1 mailbox domains only, 2 alias domains only.  Returns an exit status.
 */
int
list_domains(struct ctx *c, char ***names_r, size_t *n_r, int kinds)
{
	struct vudb_iter *it;
	struct vudb_obj *o;
	char **names = NULL;
	size_t n = 0, cap = 0;
	const char *k;
	void *p;
	int rc;

	*names_r = NULL;
	*n_r = 0;
	if ((rc = vudb_list(c->db, VUDB_DOMAIN, NULL, &it)) != VUDB_OK)
		return fail(c, rc, "listing domains");
	while ((rc = iter_next(it, &o)) == VUDB_OK) {
		k = vudb_obj_get(o, "kind");
		if (kinds != 0 && (k != NULL && strcmp(k, "alias") == 0) !=
		    (kinds == 2))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((p = reallocarray(names, cap, sizeof(*names))) ==
			    NULL) {
				rc = VUDB_ENOMEM;
				break;
			}
			names = p;
		}
		if ((names[n] = strdup(vudb_obj_name(o))) == NULL) {
			rc = VUDB_ENOMEM;
			break;
		}
		n++;
	}
	vudb_iter_free(it);
	if (rc != VUDB_ENOTFOUND) {
		names_free(names, n);
		return fail(c, rc, "listing domains");
	}
	*names_r = names;
	*n_r = n;
	return EX_OK;
}

