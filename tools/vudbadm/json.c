/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * json.c - JSON for vudbadm.  Reading is jansson's (json_load()): strict
 * RFC 8259, UTF-8 checked, duplicate keys and NUL in strings refused.
 * Writing stays a small streaming writer of our own: every byte of
 * vudbadm's output is fixed by tests and by "export, import, export gives
 * the same bytes", and jansson's serializer writes other bytes for some
 * of it (\u001F where we write \u001f, DEL unescaped where we write
 * \u007f) and cannot write an integer above 2^63-1 (json_int_t is long
 * long; our counts are unsigned long long).  The writer also streams: an
 * export of a million entries never builds a tree.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

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
	jw_escapen(fp, s, strlen(s));
}

/* jw_escapen - the n bytes at s as a JSON string */
void
jw_escapen(FILE *fp, const char *s, size_t n)
{
	const unsigned char *p, *end = (const unsigned char *)s + n;

	putc('"', fp);
	for (p = (const unsigned char *)s; p < end; p++) {
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
jw_strn(struct jw *w, const char *s, size_t n)
{
	jw_sep(w);
	jw_escapen(w->fp, s, n);
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

/*
 * What jansson allocates while reading holds password hashes too (its
 * string buffers, the values): every block is wiped when it is freed.
 * The size goes in front of the block; max_align_t keeps the alignment.
 */
union wipe_head {
	size_t		size;
	max_align_t	align;
};

static void *
wipe_malloc(size_t n)
{
	union wipe_head *h;

	if (n > SIZE_MAX - sizeof(*h) || (h = malloc(sizeof(*h) + n)) == NULL)
		return NULL;
	h->size = n;
	return h + 1;
}

static void
wipe_free(void *p)
{
	union wipe_head *h;

	if (p == NULL)
		return;
	h = (union wipe_head *)p - 1;
	explicit_bzero(p, h->size);
	free(h);
}

/*
 * jr_parse - parse buf[0..len) as one JSON document; *v_r is the caller's
 * to json_decref().  Returns 0, or -1 with *v_r NULL and "column N: what"
 * in err.
 */
int
jr_parse(const char *buf, size_t len, json_t **v_r, char *err, size_t errlen)
{
	static int wiping;
	json_error_t e;

	if (!wiping) {
		json_set_alloc_funcs(wipe_malloc, wipe_free);
		wiping = 1;
	}
	/* any value: the caller says "not a JSON object" itself */
	*v_r = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
	    &e);
	if (*v_r == NULL) {
		snprintf(err, errlen, "column %d: %s", e.column > 0 ?
		    e.column : 1, e.text);
		return -1;
	}
	return 0;
}
