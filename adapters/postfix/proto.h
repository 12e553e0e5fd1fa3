/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * proto.h - the wire formats of vudb-mapd, kept apart from all I/O so that
 * the unit tests and the fuzz targets run the very code the server runs:
 * Sendmail/Postfix socketmap netstrings and Postfix tcp_table lines with
 * %XX quoting.  The parsers work on a borrowed buffer of bytes received so
 * far and never allocate; the encoders write into a caller's buffer and
 * refuse (return 0) rather than truncate.
 */
#ifndef MAPD_PROTO_H
#define MAPD_PROTO_H

#include <stddef.h>

#define SM_MAX_REQUEST	10000	/* socketmap request payload */
#define SM_MAX_REPLY	100000	/* socketmap reply payload */
#define SM_MAX_FRAME	(SM_MAX_REPLY + 8)	/* "100000:" ... "," */
#define TCP_MAX_REQUEST	10000	/* tcp_table request line, NL included */
#define TCP_MAX_REPLY	4096	/* tcp_table reply line, NL included */

/* Parser results. */
#define P_MORE		0	/* incomplete: wait for more bytes */
#define P_OK		1	/* one complete item */
#define P_BAD		(-1)	/* malformed: close the connection */
#define P_TOOLONG	(-2)	/* over the limit: close the connection */

/*
 * sm_parse - find one netstring "LEN:DATA," at the start of buf[0..len).
 * P_OK: *data_r and *dlen_r give the payload inside buf, and *used_r the
 * size of the whole frame.
 * P_MORE, P_BAD (no digits, a bad character, no ","), P_TOOLONG (LEN over
 * max).  A length is judged as soon as its digits are seen.
 */
int	 sm_parse(const char *buf, size_t len, size_t max, size_t *used_r,
	    const char **data_r, size_t *dlen_r);

/*
 * sm_request - split a request payload "NAME SP KEY" at the first space.
 * Returns 0, or -1 when there is no space or the name is empty.
 */
int	 sm_request(const char *data, size_t dlen, const char **map_r,
	    size_t *maplen_r, const char **key_r, size_t *keylen_r);

/*
 * sm_reply - write the netstring "LEN:STATUS SP TEXT," into out.  Returns
 * its size, or 0 if the payload exceeds SM_MAX_REPLY or out is too small.
 */
size_t	 sm_reply(char *out, size_t outsize, const char *status,
	    const char *text, size_t textlen);

/*
 * tcp_line - find one line at the start of buf[0..len).  P_OK: the line is
 * buf[0..*linelen_r) without its NL (and without a CR before it), and
 * *used_r counts the NL; P_MORE; P_TOOLONG when max bytes hold no NL.
 */
int	 tcp_line(const char *buf, size_t len, size_t max, size_t *used_r,
	    size_t *linelen_r);

/* tcp_request results. */
#define TCP_GET		1	/* "get SP key": key decoded */
#define TCP_BADVERB	2	/* an unknown or missing verb */
#define TCP_BADKEY	3	/* a malformed %XX sequence */

/*
 * tcp_request - parse a request line: a verb, one or more spaces or tabs,
 * an %XX-quoted key.  For TCP_GET the decoded key (which may hold NUL
 * bytes) is written to key, which must have room for len bytes.
 */
int	 tcp_request(const char *line, size_t len, char *key,
	    size_t *keylen_r);

/*
 * tcp_decode - %XX-decode in[0..len) into out (room for len bytes);
 * hex digits in any case.  Returns 0, or -1 on a malformed sequence.
 */
int	 tcp_decode(const char *in, size_t len, char *out, size_t *outlen_r);

/*
 * tcp_reply - write "CODE SP TEXT NL" into out, TEXT %XX-quoted as Postfix's
 * hex_quote() does ("%", white space, control and non-ASCII bytes).
 * Returns its size, or 0 if it would exceed TCP_MAX_REPLY or outsize.
 */
size_t	 tcp_reply(char *out, size_t outsize, int code, const char *text,
	    size_t textlen);

#endif /* MAPD_PROTO_H */
