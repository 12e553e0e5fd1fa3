/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * json.c - JSON for vudbadm: a streaming writer (--json output and
 * export) and a reader for one document held in memory (import).  The
 * reader accepts RFC 8259 JSON: objects, arrays, strings with every
 * escape (surrogate pairs become UTF-8), numbers, true, false and null;
 * it refuses duplicate keys, a NUL in a string (values become C strings),
 * nesting deeper than JW_MAXDEPTH and anything after the document.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* ------------------------------------------------------------ writer */

void
jw_init(struct jw *w, FILE *fp)
{
	memset(w, 0, sizeof(*w));
	w->fp = fp;
	w->first[0] = 1;
}

/* jw_sep - a comma before every member but the first */
static void
jw_sep(struct jw *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (!w->first[w->depth])
		putc(',', w->fp);
	w->first[w->depth] = 0;
}

void
jw_escape(FILE *fp, const char *s)
{
	const unsigned char *p;

	putc('"', fp);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '"':	fputs("\\\"", fp); break;
		case '\\':	fputs("\\\\", fp); break;
		case '\b':	fputs("\\b", fp); break;
		case '\f':	fputs("\\f", fp); break;
		case '\n':	fputs("\\n", fp); break;
		case '\r':	fputs("\\r", fp); break;
		case '\t':	fputs("\\t", fp); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(fp, "\\u%04x", *p);
			else
				putc(*p, fp);
		}
	}
	putc('"', fp);
}

static void
jw_open(struct jw *w, int c)
{
	jw_sep(w);
	putc(c, w->fp);
	if (w->depth + 1 < JW_MAXDEPTH)
		w->depth++;
	w->first[w->depth] = 1;
}

static void
jw_close(struct jw *w, int c)
{
	putc(c, w->fp);
	if (w->depth > 0)
		w->depth--;
}

void
jw_obj_begin(struct jw *w)
{
	jw_open(w, '{');
}

void
jw_obj_end(struct jw *w)
{
	jw_close(w, '}');
}

void
jw_arr_begin(struct jw *w)
{
	jw_open(w, '[');
}

void
jw_arr_end(struct jw *w)
{
	jw_close(w, ']');
}

void
jw_key(struct jw *w, const char *k)
{
	jw_sep(w);
	jw_escape(w->fp, k);
	putc(':', w->fp);
	w->after_key = 1;
}

void
jw_str(struct jw *w, const char *s)
{
	jw_sep(w);
	if (s == NULL)
		fputs("null", w->fp);
	else
		jw_escape(w->fp, s);
}

void
jw_u64(struct jw *w, unsigned long long v)
{
	jw_sep(w);
	fprintf(w->fp, "%llu", v);
}

void
jw_bool(struct jw *w, int b)
{
	jw_sep(w);
	fputs(b ? "true" : "false", w->fp);
}

void
jw_null(struct jw *w)
{
	jw_sep(w);
	fputs("null", w->fp);
}

void
jw_kv(struct jw *w, const char *k, const char *v)
{
	jw_key(w, k);
	jw_str(w, v);
}

void
jw_kvu(struct jw *w, const char *k, unsigned long long v)
{
	jw_key(w, k);
	jw_u64(w, v);
}

void
jw_kvb(struct jw *w, const char *k, int b)
{
	jw_key(w, k);
	jw_bool(w, b);
}

/* jw_end - end a top-level document: a newline, ready for the next */
void
jw_end(struct jw *w)
{
	putc('\n', w->fp);
	w->depth = 0;
	w->after_key = 0;
	w->first[0] = 1;
}

/* ------------------------------------------------------------ reader */

struct jp {
	const char	*p, *start, *end;
	char		*err;
	size_t		 errlen;
	int		 depth;
};

static int
jp_error(struct jp *j, const char *what)
{
	if (j->err[0] == '\0')
		snprintf(j->err, j->errlen, "column %zu: %s",
		    (size_t)(j->p - j->start) + 1, what);
	return -1;
}

static void
jp_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
	    *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
jp_hex4(struct jp *j, unsigned int *v_r)
{
	unsigned int v = 0;
	int i, h;

	if (j->end - j->p < 4)
		return jp_error(j, "short \\u escape");
	for (i = 0; i < 4; i++) {
		if ((h = hexval((unsigned char)j->p[i])) < 0)
			return jp_error(j, "bad \\u escape");
		v = v << 4 | (unsigned int)h;
	}
	j->p += 4;
	*v_r = v;
	return 0;
}

static size_t
put_utf8(char *o, unsigned int c)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xc0 | c >> 6);
		o[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | c >> 12);
		o[1] = (char)(0x80 | (c >> 6 & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | c >> 18);
	o[1] = (char)(0x80 | (c >> 12 & 0x3f));
	o[2] = (char)(0x80 | (c >> 6 & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* jp_string - a string at j->p (at its opening quote) into *s_r */
static int
jp_string(struct jp *j, char **s_r)
{
	const char *q;
	char *out;
	size_t n = 0;
	unsigned int c, lo;

	*s_r = NULL;
	j->p++;
	/* the common case, a string without escapes: copy it at once */
	if ((q = memchr(j->p, '"', (size_t)(j->end - j->p))) != NULL &&
	    memchr(j->p, '\\', (size_t)(q - j->p)) == NULL) {
		const char *cp;

		for (cp = j->p; cp < q && (unsigned char)*cp >= 0x20; cp++)
			;
		if (cp == q) {
			if ((out = malloc((size_t)(q - j->p) + 1)) == NULL)
				return jp_error(j, "out of memory");
			memcpy(out, j->p, (size_t)(q - j->p));
			out[q - j->p] = '\0';
			j->p = q + 1;
			*s_r = out;
			return 0;
		}
	}
	/* an escape never grows: \uXXXX (6) gives at most 4 bytes */
	for (q = j->p; q < j->end && *q != '"'; q++)
		if (*q == '\\' && q + 1 < j->end)
			q++;
	if (q >= j->end)
		return jp_error(j, "unterminated string");
	if ((out = malloc((size_t)(q - j->p) + 1)) == NULL)
		return jp_error(j, "out of memory");
	while (*j->p != '"') {
		c = (unsigned char)*j->p;
		if (c < 0x20) {
			free(out);
			return jp_error(j, "control character in string");
		}
		if (c != '\\') {
			out[n++] = (char)c;
			j->p++;
			continue;
		}
		j->p++;
		switch (*j->p++) {
		case '"':	out[n++] = '"'; break;
		case '\\':	out[n++] = '\\'; break;
		case '/':	out[n++] = '/'; break;
		case 'b':	out[n++] = '\b'; break;
		case 'f':	out[n++] = '\f'; break;
		case 'n':	out[n++] = '\n'; break;
		case 'r':	out[n++] = '\r'; break;
		case 't':	out[n++] = '\t'; break;
		case 'u':
			if (jp_hex4(j, &c) != 0)
				goto bad;
			if (c >= 0xd800 && c < 0xdc00) {
				if (j->end - j->p < 6 || j->p[0] != '\\' ||
				    j->p[1] != 'u') {
					jp_error(j, "lone surrogate");
					goto bad;
				}
				j->p += 2;
				if (jp_hex4(j, &lo) != 0)
					goto bad;
				if (lo < 0xdc00 || lo > 0xdfff) {
					jp_error(j, "bad surrogate pair");
					goto bad;
				}
				c = 0x10000 + ((c - 0xd800) << 10) +
				    (lo - 0xdc00);
			} else if (c >= 0xdc00 && c <= 0xdfff) {
				jp_error(j, "lone surrogate");
				goto bad;
			}
			if (c == 0) {
				jp_error(j, "NUL in string");
				goto bad;
			}
			n += put_utf8(out + n, c);
			break;
		default:
			j->p--;
			jp_error(j, "bad escape");
			goto bad;
		}
	}
	j->p++;
	out[n] = '\0';
	*s_r = out;
	return 0;
bad:
	free(out);
	return -1;
}

static int jp_value(struct jp *, struct jv *);

static int
jp_push(struct jv *v, size_t *cap)
{
	size_t ncap;
	void *p;

	if (v->n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	if ((p = realloc(v->v, ncap * sizeof(*v->v))) == NULL)
		return -1;
	v->v = p;
	if (v->type == JV_OBJ) {
		if ((p = realloc(v->keys, ncap * sizeof(*v->keys))) == NULL)
			return -1;
		v->keys = p;
	}
	*cap = ncap;
	return 0;
}

static int
jp_container(struct jp *j, struct jv *v, int obj)
{
	size_t cap = 0, i;
	char *key;

	if (++j->depth > JW_MAXDEPTH)
		return jp_error(j, "nested too deeply");
	v->type = obj ? JV_OBJ : JV_ARR;
	j->p++;
	jp_ws(j);
	if (j->p < j->end && *j->p == (obj ? '}' : ']')) {
		j->p++;
		j->depth--;
		return 0;
	}
	for (;;) {
		key = NULL;
		jp_ws(j);
		if (obj) {
			if (j->p >= j->end || *j->p != '"')
				return jp_error(j, "expected a key");
			if (jp_string(j, &key) != 0)
				return -1;
			for (i = 0; i < v->n; i++)
				if (strcmp(v->keys[i], key) == 0) {
					free(key);
					return jp_error(j, "duplicate key");
				}
			jp_ws(j);
			if (j->p >= j->end || *j->p != ':') {
				free(key);
				return jp_error(j, "expected ':'");
			}
			j->p++;
		}
		if (jp_push(v, &cap) != 0) {
			free(key);
			return jp_error(j, "out of memory");
		}
		if (obj)
			v->keys[v->n] = key;
		memset(&v->v[v->n], 0, sizeof(v->v[v->n]));
		v->n++;
		if (jp_value(j, &v->v[v->n - 1]) != 0)
			return -1;
		jp_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == (obj ? '}' : ']')) {
			j->p++;
			j->depth--;
			return 0;
		}
		return jp_error(j, obj ? "expected ',' or '}'" :
		    "expected ',' or ']'");
	}
}

static int
jp_number(struct jp *j, struct jv *v)
{
	const char *s = j->p;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (j->p < j->end && *j->p >= '1' && *j->p <= '9')
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	else
		return jp_error(j, "bad number");
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return jp_error(j, "bad number");
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return jp_error(j, "bad number");
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	v->type = JV_NUM;
	if ((v->s = strndup(s, (size_t)(j->p - s))) == NULL)
		return jp_error(j, "out of memory");
	return 0;
}

static int
jp_word(struct jp *j, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
		return jp_error(j, "unexpected character");
	j->p += n;
	return 0;
}

static int
jp_value(struct jp *j, struct jv *v)
{
	jp_ws(j);
	if (j->p >= j->end)
		return jp_error(j, "unexpected end");
	switch (*j->p) {
	case '{':
		return jp_container(j, v, 1);
	case '[':
		return jp_container(j, v, 0);
	case '"':
		v->type = JV_STR;
		return jp_string(j, &v->s);
	case 't':
		v->type = JV_BOOL;
		v->b = 1;
		return jp_word(j, "true");
	case 'f':
		v->type = JV_BOOL;
		return jp_word(j, "false");
	case 'n':
		v->type = JV_NULL;
		return jp_word(j, "null");
	}
	return jp_number(j, v);
}

/*
 * jv_parse - parse buf[0..len) as one JSON document into *v, which the
 * caller releases with jv_free() (also after a failure).  Returns 0, or -1
 * with a message in err.
 */
int
jv_parse(const char *buf, size_t len, struct jv *v, char *err, size_t errlen)
{
	struct jp j;

	memset(v, 0, sizeof(*v));
	j.p = j.start = buf;
	j.end = buf + len;
	j.err = err;
	j.errlen = errlen;
	j.depth = 0;
	err[0] = '\0';
	if (jp_value(&j, v) != 0)
		return -1;
	jp_ws(&j);
	if (j.p != j.end)
		return jp_error(&j, "text after the document");
	return 0;
}

void
jv_free(struct jv *v)
{
	size_t i;

	if (v == NULL)
		return;
	free(v->s);
	for (i = 0; i < v->n; i++) {
		if (v->type == JV_OBJ)
			free(v->keys[i]);
		jv_free(&v->v[i]);
	}
	free(v->keys);
	free(v->v);
	memset(v, 0, sizeof(*v));
}

/* jv_get - the member key of an object, or NULL */
const struct jv *
jv_get(const struct jv *v, const char *key)
{
	size_t i;

	if (v == NULL || v->type != JV_OBJ)
		return NULL;
	for (i = 0; i < v->n; i++)
		if (strcmp(v->keys[i], key) == 0)
			return &v->v[i];
	return NULL;
}
