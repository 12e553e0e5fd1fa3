/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * cpw.h - the pieces of vudb-checkpassword that do not touch the store:
 * reading and parsing the checkpassword request on descriptor 3 (a login
 * name, a password and a timestamp, each terminated by NUL, at most 512
 * bytes), building Dovecot's quota rule, and making a name safe to log.
 * They are
 * kept apart so that the unit tests and the fuzzer can link them without
 * the library.
 */
#ifndef CPW_H
#define CPW_H

#include <stddef.h>

/* The most the checkpassword interface lets a client send. */
#define CPW_MAX		512

/* A parsed request; every pointer points into the caller's buffer. */
struct cpw_req {
	const char	*user;		/* login name, may be empty */
	const char	*pass;		/* password, "" for lookups */
	const char	*stamp;		/* timestamp (APOP), ignored */
	size_t		 nfields;	/* NUL-terminated fields, >= 3 */
};

/*
 * cpw_read - read a request from fd until end of file into buf (size
 * bytes, at least CPW_MAX + 1).  Returns 0 with the length in *len_r;
 * -1 on a read error (errno set); -2 if more than CPW_MAX bytes came.
 */
int	 cpw_read(int fd, char *buf, size_t size, size_t *len_r);

/*
 * cpw_parse - parse len bytes of buf: at most CPW_MAX bytes, at least
 * three fields, every field (also any beyond the third) terminated by
 * NUL, so the data ends with NUL.  Returns 0 and fills *req, or -1 with a
 * static reason in *why_r.
 */
int	 cpw_parse(const char *buf, size_t len, struct cpw_req *req,
	    const char **why_r);

/*
 * cpw_quota_rule - Dovecot's quota_rule for a byte and a message quota,
 * both decimal strings where NULL, "" and "0" mean no limit:
 * "*:storage=1024B:messages=10".  Returns the length written to buf
 * (size bytes), 0 if neither limit is set, or -1 if a value is not a
 * decimal number or buf is too small.
 */
int	 cpw_quota_rule(const char *bytes, const char *messages, char *buf,
	    size_t size);

/*
 * cpw_logsafe - copy s into buf (size bytes, at least 4) for a log line:
 * printable ASCII kept, every other byte as \ooo octal, cut with "..."
 * when too long.  Returns buf.
 */
char	*cpw_logsafe(const char *s, char *buf, size_t size);

#endif /* CPW_H */
