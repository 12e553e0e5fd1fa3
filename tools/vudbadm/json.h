/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * json.h - the small JSON writer and reader of vudbadm.  The writer
 * streams one document (or one JSON Lines record) to a FILE, taking care
 * of commas and escapes; bytes of 0x80 and above pass through unchanged,
 * so UTF-8 stays UTF-8.  The reader parses one complete document held in
 * memory into a tree of values, with a message naming the column of the
 * first error.  Neither depends on the library.
 */
#ifndef VUDBADM_JSON_H
#define VUDBADM_JSON_H

#include <stdio.h>

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
void	jw_u64(struct jw *, unsigned long long);
void	jw_bool(struct jw *, int);
void	jw_null(struct jw *);
void	jw_kv(struct jw *, const char *, const char *);
void	jw_kvu(struct jw *, const char *, unsigned long long);
void	jw_kvb(struct jw *, const char *, int);
void	jw_end(struct jw *);
void	jw_escape(FILE *, const char *);

enum jv_type { JV_NULL, JV_BOOL, JV_NUM, JV_STR, JV_ARR, JV_OBJ };

struct jv {
	enum jv_type	 type;
	char		*s;	/* JV_STR: the text; JV_NUM: as written */
	int		 b;	/* JV_BOOL */
	size_t		 n;	/* JV_ARR, JV_OBJ: members */
	char		**keys;	/* JV_OBJ */
	struct jv	*v;
};

int		 jv_parse(const char *, size_t, struct jv *, char *, size_t);
void		 jv_free(struct jv *);
const struct jv	*jv_get(const struct jv *, const char *);

#endif /* VUDBADM_JSON_H */
