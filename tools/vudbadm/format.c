/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * format.c - small pure helpers of vudbadm, kept apart from the library
 * so that the unit tests reach them alone: the human form of a size in
 * bytes ("10G"), the attribute name behind what a user typed
 * ("max-users", "quota"), and how far a mistyped word is from a command
 * ("lst" from "list").
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "format.h"

/*
 * fmt_size - a size in bytes for people: "unlimited" for 0, "10G" for an
 * exact multiple of a binary unit, else the bytes.  Returns 0, or -1 if v
 * is not a decimal number (buf then holds v).
 */
int
fmt_size(const char *v, char *buf, size_t size)
{
	static const char units[] = "KMGTPE";
	unsigned long long n = 0, d;
	const char *p;
	int u = -1;

	for (p = v; *p >= '0' && *p <= '9'; p++) {
		d = (unsigned long long)(*p - '0');
		if (n > (~0ULL - d) / 10)
			break;
		n = n * 10 + d;
	}
	if (p == v || *p != '\0') {
		snprintf(buf, size, "%s", v);
		return -1;
	}
	if (n == 0) {
		snprintf(buf, size, "unlimited");
		return 0;
	}
	while (u < 5 && n % 1024 == 0) {
		n /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, size, "%llu", n);
	else
		snprintf(buf, size, "%llu%c", n, units[u]);
	return 0;
}

/*
 * attr_name - the attribute a user wrote: "max-users" is max_users and
 * "quota" is quota_bytes.
 */
const char *
attr_name(const char *k, char *buf, size_t size)
{
	char *p;

	if (strcmp(k, "quota") == 0)
		return "quota_bytes";
	snprintf(buf, size, "%s", k);
	for (p = buf; *p != '\0'; p++)
		if (*p == '-')
			*p = '_';
	return buf;
}

/*
 * edit_distance - the Levenshtein distance of a and b (insertions,
 * deletions, substitutions of bytes), for "did you mean"; words longer
 * than 63 bytes are never a command and count as far away (64).
 */
size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, prev, cur, row[64];

	if (la > 63 || lb > 63)
		return 64;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];		/* row[i - 1][j - 1] */
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			cur = row[j];
			row[j] = prev + (a[i - 1] != b[j - 1]);
			if (cur + 1 < row[j])
				row[j] = cur + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			prev = cur;
		}
	}
	return row[lb];
}
