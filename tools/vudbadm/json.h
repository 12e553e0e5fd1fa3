/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * json.h - JSON for vudbadm: a small writer of our own, which streams one
 * document (or one JSON Lines record) to a FILE, taking care of commas
 * and escapes (bytes of 0x80 and above pass through unchanged, so UTF-8
 * stays UTF-8), and the reader, jansson behind jr_parse().  vudbadm
 * reaches jansson only through jr_parse(), which installs the allocator
 * that wipes what jansson frees.  Neither depends on the library.
 */
#ifndef VUDBADM_JSON_H
#define VUDBADM_JSON_H

#include <stdio.h>

#include <jansson.h>

#define JW_MAXDEPTH	32

struct jw {
	FILE	*fp;
	int	 depth;
	int	 after_key;
	int	 first[JW_MAXDEPTH];
};

void	jw_init(struct jw *, FILE *);
void	jw_obj_begin(struct jw *);
void	jw_obj_end(struct jw *);
void	jw_arr_begin(struct jw *);
void	jw_arr_end(struct jw *);
void	jw_key(struct jw *, const char *);
void	jw_str(struct jw *, const char *);
void	jw_strn(struct jw *, const char *, size_t);
void	jw_u64(struct jw *, unsigned long long);
void	jw_bool(struct jw *, int);
void	jw_null(struct jw *);
void	jw_kv(struct jw *, const char *, const char *);
void	jw_kvu(struct jw *, const char *, unsigned long long);
void	jw_kvb(struct jw *, const char *, int);
void	jw_end(struct jw *);
void	jw_escape(FILE *, const char *);
void	jw_escapen(FILE *, const char *, size_t);

int	 jr_parse(const char *, size_t, json_t **, char *, size_t);

#endif /* VUDBADM_JSON_H */
