/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * cpw.c - the store-free parts of vudb-checkpassword.  The request on
 * descriptor 3 follows the checkpassword interface (qmail, Dovecot 2.3):
 * a login name, a password and a timestamp, each terminated by NUL,
 * possibly followed by more NUL-terminated fields, at most 512 bytes in
 * all, until end of file.  Anything else is a misuse of the interface.
 * Here too: Dovecot's quota_rule text and the escaping of names for log
 * lines.  Which services a user may use is the library's rule
 * (vudb_auth, vudb_authorize).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cpw.h"

int
cpw_read(int fd, char *buf, size_t size, size_t *len_r)
{
	size_t len = 0;
	ssize_t n;

	*len_r = 0;
	if (size < CPW_MAX + 1) {
		errno = EINVAL;
		return -1;
	}
	/* one byte more than allowed tells a request that is too long */
	while (len < CPW_MAX + 1) {
		n = read(fd, buf + len, CPW_MAX + 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*len_r = len;
	return len > CPW_MAX ? -2 : 0;
}

int
cpw_parse(const char *buf, size_t len, struct cpw_req *req,
    const char **why_r)
{
	const char *f[3], *p, *end;
	size_t n = 0;

	memset(req, 0, sizeof(*req));
	*why_r = NULL;
	if (len == 0) {
		*why_r = "empty request";
		return -1;
	}
	if (len > CPW_MAX) {
		*why_r = "request longer than 512 bytes";
		return -1;
	}
	if (buf[len - 1] != '\0') {
		*why_r = "request does not end with NUL";
		return -1;
	}
	end = buf + len;
	for (p = buf; p < end; p += strlen(p) + 1) {
		if (n < 3)
			f[n] = p;
		n++;
	}
	if (n < 3) {
		*why_r = "fewer than three fields";
		return -1;
	}
	req->user = f[0];
	req->pass = f[1];
	req->stamp = f[2];
	req->nfields = n;
	return 0;
}

/* decimal - whether s is a non-empty run of digits without a sign */
static int
decimal(const char *s)
{
	return s[0] != '\0' && strspn(s, "0123456789") == strlen(s);
}

/* unlimited - whether a quota value means no limit */
static int
unlimited(const char *s)
{
	return s == NULL || s[0] == '\0' || strspn(s, "0") == strlen(s);
}

int
cpw_quota_rule(const char *bytes, const char *messages, char *buf,
    size_t size)
{
	int nb = !unlimited(bytes), nm = !unlimited(messages), n;

	if (size > 0)
		buf[0] = '\0';
	if ((nb && !decimal(bytes)) || (nm && !decimal(messages)))
		return -1;
	if (!nb && !nm)
		return 0;
	/* storage= counts KiB unless given a unit: say bytes */
	n = snprintf(buf, size, "*%s%s%s%s%s", nb ? ":storage=" : "",
	    nb ? bytes : "", nb ? "B" : "", nm ? ":messages=" : "",
	    nm ? messages : "");
	if (n < 0 || (size_t)n >= size) {
		if (size > 0)
			buf[0] = '\0';
		return -1;
	}
	return n;
}

char *
cpw_logsafe(const char *s, char *buf, size_t size)
{
	const unsigned char *p;
	size_t len = 0;

	if (size < 4) {
		if (size > 0)
			buf[0] = '\0';
		return buf;
	}
	if (s == NULL)
		s = "(null)";
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '\\') {
			if (len + 1 > size - 4)
				goto cut;
			buf[len++] = (char)*p;
		} else {
			if (len + 4 > size - 4)
				goto cut;
			snprintf(buf + len, 5, "\\%03o", *p);
			len += 4;
		}
	}
	buf[len] = '\0';
	return buf;
cut:
	memcpy(buf + len, "...", 4);
	return buf;
}
