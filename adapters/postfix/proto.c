/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * proto.c - parsers and encoders for the two Postfix lookup protocols that
 * vudb-mapd speaks.  Socketmap (Postfix dict_sockmap.c, Sendmail's
 * socketmap): each request and reply is one netstring, "LEN:DATA,", with
 * LEN in decimal; a request is "NAME SP KEY", a reply "OK SP DATA",
 * "NOTFOUND SP", "TEMP SP REASON", "TIMEOUT SP REASON" or "PERM SP REASON".
 * tcp_table (Postfix dict_tcp.c): one line per request and reply, "get SP
 * KEY NL" and "200 SP DATA NL", "500 SP TEXT NL", "400 SP TEXT NL", with
 * "%", white space, control and non-ASCII bytes of KEY and DATA written as
 * %XX.  Nothing here does I/O or allocates: each function works on bytes
 * the caller holds, so any prefix of a stream may be offered and offered
 * again when more has arrived.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "proto.h"

#define SM_MAX_DIGITS	10	/* "0000000042": leading zeros are legal */

int
sm_parse(const char *buf, size_t len, size_t max, size_t *used_r,
    const char **data_r, size_t *dlen_r)
{
	size_t i, n = 0;

	*used_r = 0;
	*data_r = NULL;
	*dlen_r = 0;
	for (i = 0; i < len; i++) {
		if (buf[i] == ':')
			break;
		if (buf[i] < '0' || buf[i] > '9' || i >= SM_MAX_DIGITS)
			return P_BAD;
		n = n * 10 + (size_t)(buf[i] - '0');
		if (n > max)
			return P_TOOLONG;
	}
	if (i == len)
		return P_MORE;
	if (i == 0)
		return P_BAD;
	/* buf[i] is ':'; data follows, then ',' */
	if (len - i - 1 < n + 1)
		return P_MORE;
	if (buf[i + 1 + n] != ',')
		return P_BAD;
	*data_r = buf + i + 1;
	*dlen_r = n;
	*used_r = i + 1 + n + 1;
	return P_OK;
}

int
sm_request(const char *data, size_t dlen, const char **map_r,
    size_t *maplen_r, const char **key_r, size_t *keylen_r)
{
	const char *sp;

	*map_r = *key_r = NULL;
	*maplen_r = *keylen_r = 0;
	if ((sp = memchr(data, ' ', dlen)) == NULL || sp == data)
		return -1;
	*map_r = data;
	*maplen_r = (size_t)(sp - data);
	*key_r = sp + 1;
	*keylen_r = dlen - *maplen_r - 1;
	return 0;
}

/* put_decimal - write n in decimal at out, return its length */
static size_t
put_decimal(char *out, size_t n)
{
	char tmp[24];
	size_t i = 0, j;

	do {
		tmp[i++] = (char)('0' + n % 10);
		n /= 10;
	} while (n != 0);
	for (j = 0; j < i; j++)
		out[j] = tmp[i - 1 - j];
	return i;
}

size_t
sm_reply(char *out, size_t outsize, const char *status, const char *text,
    size_t textlen)
{
	size_t slen = strlen(status), plen, hlen;
	char head[24];

	if (textlen > SM_MAX_REPLY || slen + 1 > SM_MAX_REPLY - textlen)
		return 0;
	plen = slen + 1 + textlen;
	hlen = put_decimal(head, plen);
	head[hlen++] = ':';
	if (hlen + plen + 1 > outsize)
		return 0;
	memcpy(out, head, hlen);
	memcpy(out + hlen, status, slen);
	out[hlen + slen] = ' ';
	if (textlen > 0)
		memcpy(out + hlen + slen + 1, text, textlen);
	out[hlen + plen] = ',';
	return hlen + plen + 1;
}

int
tcp_line(const char *buf, size_t len, size_t max, size_t *used_r,
    size_t *linelen_r)
{
	const char *nl;
	size_t n;

	*used_r = *linelen_r = 0;
	n = len < max ? len : max;
	if ((nl = memchr(buf, '\n', n)) == NULL)
		return len >= max ? P_TOOLONG : P_MORE;
	*used_r = (size_t)(nl - buf) + 1;
	n = (size_t)(nl - buf);
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	*linelen_r = n;
	return P_OK;
}

/* hexval - value of a hex digit, or -1 */
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

int
tcp_decode(const char *in, size_t len, char *out, size_t *outlen_r)
{
	size_t i, o = 0;
	int hi, lo;

	*outlen_r = 0;
	for (i = 0; i < len; i++) {
		if (in[i] != '%') {
			out[o++] = in[i];
			continue;
		}
		if (len - i < 3 ||
		    (hi = hexval((unsigned char)in[i + 1])) < 0 ||
		    (lo = hexval((unsigned char)in[i + 2])) < 0)
			return -1;
		out[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	*outlen_r = o;
	return 0;
}

int
tcp_request(const char *line, size_t len, char *key, size_t *keylen_r)
{
	size_t i;

	*keylen_r = 0;
	if (len < 4 || strncasecmp(line, "get", 3) != 0 ||
	    (line[3] != ' ' && line[3] != '\t'))
		return TCP_BADVERB;
	for (i = 3; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	if (tcp_decode(line + i, len - i, key, keylen_r) != 0)
		return TCP_BADKEY;
	return TCP_GET;
}

/* must_quote - whether Postfix's hex_quote() would quote byte c */
static int
must_quote(unsigned char c)
{
	return c == '%' || c <= ' ' || c >= 0x7f;
}

size_t
tcp_reply(char *out, size_t outsize, int code, const char *text,
    size_t textlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, o, lim;
	unsigned char c;

	lim = outsize < TCP_MAX_REPLY ? outsize : TCP_MAX_REPLY;
	if (code < 100 || code > 999 || lim < 5)
		return 0;
	o = put_decimal(out, (size_t)code);
	out[o++] = ' ';
	for (i = 0; i < textlen; i++) {
		c = (unsigned char)text[i];
		if (!must_quote(c)) {
			if (o + 1 > lim - 1)
				return 0;
			out[o++] = (char)c;
		} else {
			if (o + 3 > lim - 1)
				return 0;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o++] = '\n';
	return o;
}
