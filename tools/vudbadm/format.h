/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * format.h - the pure helpers of format.c.
 */
#ifndef VUDBADM_FORMAT_H
#define VUDBADM_FORMAT_H

#include <stddef.h>

int		 fmt_size(const char *, char *, size_t);
const char	*attr_name(const char *, char *, size_t);
size_t		 edit_distance(const char *, const char *);

#endif /* VUDBADM_FORMAT_H */
