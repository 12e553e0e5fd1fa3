/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * name.c - the name rules: check a domain or a local part and write its
 * canonical form.  A domain is a lower-case name of RFC 1035 LDH labels
 * (1..63 octets, no hyphen at either end, "--" in the third and fourth
 * octets only for an "xn--" A-label), at most 253 octets, with no empty
 * label and no trailing dot.  An all-ASCII domain, the usual case on every
 * lookup, is checked and lower-cased in one pass without libidn2, except
 * that an A-label must decode and encode back to itself.  A label holding
 * UTF-8 goes through idn2_lookup_u8() (UTS #46 nontransitional, then
 * transitional) and the result is checked again as ASCII, A-labels
 * included, so a canonical form is always its own canonical form.  A local
 * part is an RFC 5322 dot-atom without '/' in which UTF-8 is allowed; its
 * canonical form has ASCII letters lower-cased and, when it holds UTF-8,
 * full Unicode case folding then NFC (libunistring's u8_casefold), as
 * Postfix folds SMTPUTF8 addresses (ICU's full case folding), so that
 * "\u00dcN\u00cf", "\u00fcn\u00ef" and "U\u0308n\u00ef" are one name and
 * a key Postfix already folded folds to itself.  At most 64 octets after
 * folding.  vudb__local_legacy() is the earlier rule (ASCII letters only,
 * UTF-8 kept as given), kept to find the keys of stores written with it.
 */

#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>
#include <unicase.h>
#include <uninorm.h>
#include <unistr.h>

#include "vudb_private.h"

#define LABEL_MAX	63
/* Longest raw domain tried with libidn2: a UTF-8 label may shrink. */
#define DOMAIN_IN_MAX	(4 * VUDB__DOMAIN_MAX)
#define IDN_FLAGS_NT	(IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL)
#define IDN_FLAGS_T	(IDN2_NFC_INPUT | IDN2_TRANSITIONAL)
/* Longest raw local part folded: NFD input and ASCII-only folds shrink. */
#define LOCAL_IN_MAX	(4 * VUDB__LOCAL_MAX)
/* Room for a folded local part: ß and the like grow up to 3 times. */
#define LOCAL_FOLD_MAX	(3 * LOCAL_IN_MAX + 16)

/* Not a reason: domain_ldh() met a byte >= 0x80. */
static const char name_nonascii[] = "non-ASCII";

const char vudb__name_nomem[] = "out of memory";
#define r_nomem vudb__name_nomem
static const char r_dom_long[] = "domain too long";
static const char r_label_long[] = "domain label too long";
static const char r_alabel[] = "invalid xn-- label in domain";

/*
 * utf8_seq - the length of the well-formed UTF-8 character at s (n > 0),
 * its code point in *uc; 0 for an ill-formed or truncated sequence
 * (overlong forms, surrogates and values above U+10FFFF included), as
 * libunistring's u8_mbtoucr decides: the one UTF-8 decoder of the
 * library.
 */
static size_t
utf8_seq(const unsigned char *s, size_t n, ucs4_t *uc)
{
	int	 len;

	len = u8_mbtoucr(uc, s, n);
	return (len > 0 ? (size_t)len : 0);
}

/* domain_badchar - why the ASCII byte c, neither LDH nor '.', is refused */
static const char *
domain_badchar(unsigned char c, int first)
{
	if (c == '\0')
		return "embedded NUL in domain";
	if (c < 0x20 || c == 0x7f)
		return "control character in domain";
	if (c == ' ')
		return "space in domain";
	if (c == '[' && first)
		return "domain literal not allowed";
	return "invalid character in domain";
}

/* idn_reason - a reason for a libidn2 error code */
static const char *
idn_reason(int rc)
{
	switch (rc) {
	case IDN2_MALLOC:
		return r_nomem;
	case IDN2_ENCODING_ERROR:
	case IDN2_NFC:
		return "invalid UTF-8 in domain";
	case IDN2_TOO_BIG_DOMAIN:
		return r_dom_long;
	case IDN2_TOO_BIG_LABEL:
	case IDN2_PUNYCODE_BIG_OUTPUT:	/* what libidn2 2.3 returns */
		return r_label_long;
	case IDN2_PUNYCODE_BAD_INPUT:
	case IDN2_PUNYCODE_OVERFLOW:
	case IDN2_INVALID_ALABEL:
	case IDN2_UALABEL_MISMATCH:
	case IDN2_ALABEL_ROUNDTRIP_FAILED:
		return r_alabel;
	case IDN2_2HYPHEN:
		return "reserved hyphens in domain label";
	case IDN2_HYPHEN_STARTEND:
		return "hyphen at start or end of domain label";
	case IDN2_LEADING_COMBINING:
		return "domain label starts with a combining mark";
	case IDN2_DISALLOWED:
	case IDN2_UNASSIGNED:
		return "disallowed character in domain";
	case IDN2_CONTEXTJ:
	case IDN2_CONTEXTJ_NO_RULE:
	case IDN2_CONTEXTO:
	case IDN2_CONTEXTO_NO_RULE:
		return "character not allowed in context in domain";
	case IDN2_BIDI:
		return "invalid right-to-left domain label";
	default:
		return "invalid international domain name";
	}
}

/*
 * alabel_check - an A-label of n octets is valid if libidn2 decodes it and
 * encodes the result back to the same octets, nontransitionally only: the
 * U-label of an A-label is already mapped, and libidn2 2.3's transitional
 * mode skips the bidi rule (RFC 5893), so it would pass "1\u05d0".
 */
static const char *
alabel_check(const char *label, size_t n)
{
	char		 buf[LABEL_MAX + 1];
	char		*u = NULL;
	uint8_t		*a = NULL;
	const char	*r = r_alabel;
	int		 rc;

	memcpy(buf, label, n);
	buf[n] = '\0';
	rc = idn2_to_unicode_8z8z(buf, &u, 0);
	if (rc == IDN2_OK) {
		rc = idn2_lookup_u8((const uint8_t *)u, &a, IDN_FLAGS_NT);
		if (rc == IDN2_OK && strcmp((const char *)a, buf) == 0)
			r = NULL;
	}
	if (rc == IDN2_MALLOC || rc == IDN2_BIDI)
		r = idn_reason(rc);
	idn2_free(u);
	idn2_free(a);
	return r;
}

/* label_end - check the n-octet lower-case ASCII label at l */
static const char *
label_end(const char *l, size_t n, int *alabel)
{
	if (l[n - 1] == '-')
		return "trailing hyphen in domain label";
	if (n >= 4 && l[2] == '-' && l[3] == '-') {
		if (l[0] != 'x' || l[1] != 'n')
			return "reserved hyphens in domain label";
		*alabel = 1;
	}
	return NULL;
}

/*
 * domain_ldh - check and lower-case an ASCII domain in one pass; return
 * name_nonascii at the first byte >= 0x80.
 */
static const char *
domain_ldh(const unsigned char *s, size_t len, char *out)
{
	const char	*r;
	const char	*p, *dot;
	size_t		 i, n, start = 0;
	int		 alabel = 0;
	unsigned char	 c;

	if (len == 0)
		return "empty domain";
	for (i = 0; i < len; i++) {
		c = s[i];
		if (c >= 0x80)
			return name_nonascii;
		if (i == VUDB__DOMAIN_MAX) {
			/* Too long, unless UTF-8 follows: it may shrink. */
			for (; i < len; i++)
				if (s[i] >= 0x80)
					return name_nonascii;
			return r_dom_long;
		}
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (i - start == LABEL_MAX)
				return r_label_long;
		} else if (c == '-') {
			if (i == start)
				return "leading hyphen in domain label";
			if (i - start == LABEL_MAX)
				return r_label_long;
		} else if (c == '.') {
			if (i == 0)
				return "leading dot in domain";
			if (i == start)
				return "consecutive dots in domain";
			if ((r = label_end(out + start, i - start,
			    &alabel)) != NULL)
				return r;
			start = i + 1;
		} else
			return domain_badchar(c, i == 0);
		out[i] = c;
	}
	if (start == len)
		return "trailing dot in domain";
	if ((r = label_end(out + start, len - start, &alabel)) != NULL)
		return r;
	out[len] = '\0';

	if (!alabel)
		return NULL;
	for (p = out; ; p = dot + 1) {
		dot = strchr(p, '.');
		n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (n >= 4 && memcmp(p, "xn--", 4) == 0 &&
		    (r = alabel_check(p, n)) != NULL)
			return r;
		if (dot == NULL)
			return NULL;
	}
}

/*
 * domain_idn - check a domain holding UTF-8: map each label that is not
 * ASCII with libidn2, then check the joined result as ASCII.
 */
static const char *
domain_idn(const unsigned char *s, size_t len, char *out)
{
	char		 seg[DOMAIN_IN_MAX + 1];
	char		 work[VUDB__DOMAIN_MAX + 1];
	const char	*r;
	const char	*res;
	uint8_t		*a = NULL;
	size_t		 i, n, start, rlen, wlen = 0;
	int		 ascii, rc, first = 1;
	unsigned char	 c;
	ucs4_t		 uc;

	if (len > DOMAIN_IN_MAX)
		return r_dom_long;

	/* The bytes and the dots, with the reasons of the ASCII path. */
	for (i = 0; i < len; i += n) {
		c = s[i];
		n = 1;
		if (c >= 0x80) {
			if ((n = utf8_seq(s + i, len - i, &uc)) == 0)
				return "invalid UTF-8 in domain";
		} else if (c == '.') {
			if (i == 0)
				return "leading dot in domain";
			if (s[i - 1] == '.')
				return "consecutive dots in domain";
			if (i == len - 1)
				return "trailing dot in domain";
		} else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-'))
			return domain_badchar(c, i == 0);
	}

	/* Each label: ASCII as it is, else its A-label. */
	for (start = 0; start < len; start = i + 1) {
		ascii = 1;
		for (i = start; i < len && s[i] != '.'; i++)
			if (s[i] >= 0x80)
				ascii = 0;
		n = i - start;
		if (ascii) {
			res = (const char *)s + start;
			rlen = n;
		} else {
			memcpy(seg, s + start, n);
			seg[n] = '\0';
			rc = idn2_lookup_u8((const uint8_t *)seg, &a,
			    IDN_FLAGS_NT);
			if (rc != IDN2_OK) {
				idn2_free(a);
				a = NULL;
				if (idn2_lookup_u8((const uint8_t *)seg, &a,
				    IDN_FLAGS_T) != IDN2_OK) {
					idn2_free(a);
					return idn_reason(rc);
				}
			}
			res = (const char *)a;
			rlen = strlen(res);
		}
		if (wlen + !first + rlen > VUDB__DOMAIN_MAX) {
			idn2_free(a);
			return r_dom_long;
		}
		if (!first)
			work[wlen++] = '.';
		memcpy(work + wlen, res, rlen);
		wlen += rlen;
		first = 0;
		idn2_free(a);
		a = NULL;
	}

	r = domain_ldh((const unsigned char *)work, wlen, out);
	if (r == name_nonascii)
		return "invalid international domain name";
	return r;
}

const char *
vudb__domain_norm(const char *in, size_t len, char out[VUDB__DOMAIN_MAX + 1])
{
	const unsigned char	*s = (const unsigned char *)in;
	const char		*r;

	r = domain_ldh(s, len, out);
	if (r == name_nonascii)
		r = domain_idn(s, len, out);
	return r;
}

/* local_atext - 1 if c is RFC 5322 atext other than '/' and letters */
static int
local_atext(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return 1;
	switch (c) {
	case '!': case '#': case '$': case '%': case '&': case '\'':
	case '*': case '+': case '-': case '=': case '?': case '^':
	case '_': case '`': case '{': case '|': case '}': case '~':
		return 1;
	default:
		return 0;	/* '/' too: it would reach file names */
	}
}

/*
 * local_scan - check the syntax of a local part of len octets (1..
 * LOCAL_IN_MAX) and write it with ASCII letters lower-cased, UTF-8 as it
 * is, to out; *ascii_r says whether every octet was ASCII.
 */
static const char *
local_scan(const unsigned char *s, size_t len, char *out, int *ascii_r)
{
	size_t		 i, n;
	unsigned char	 c;
	ucs4_t		 uc;

	*ascii_r = 1;
	for (i = 0; i < len; i += n) {
		c = s[i];
		n = 1;
		if (c >= 0x80) {
			if ((n = utf8_seq(s + i, len - i, &uc)) == 0)
				return "invalid UTF-8 in local part";
			if (uc < 0xa0)		/* C1 */
				return "control character in local part";
			memcpy(out + i, s + i, n);
			*ascii_r = 0;
			continue;
		}
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		else if (c == '.') {
			if (i == 0)
				return "leading dot in local part";
			if (s[i - 1] == '.')
				return "consecutive dots in local part";
		} else if (!(c >= 'a' && c <= 'z') && !local_atext(c)) {
			if (c == '\0')
				return "embedded NUL in local part";
			if (c < 0x20 || c == 0x7f)
				return "control character in local part";
			if (c == ' ')
				return "space in local part";
			return "invalid character in local part";
		}
		out[i] = c;
	}
	if (s[len - 1] == '.')
		return "trailing dot in local part";
	out[len] = '\0';
	return NULL;
}

/*
 * local_fold - full Unicode case folding (CaseFolding.txt, statuses C
 * and F, no language: the Turkic rules are never applied), then NFC, of
 * the valid UTF-8 at s; the result goes to out (size outsz), its length
 * to *len_r.  Folding twice is folding once: a second pass catches the
 * rare string whose NFC form folds again.
 */
static const char *
local_fold(const unsigned char *s, size_t len, char *out, size_t outsz,
    size_t *len_r)
{
	uint8_t		 buf[2][LOCAL_FOLD_MAX];
	const uint8_t	*in = s;
	uint8_t		*r;
	size_t		 n = len, rlen;
	int		 pass;

	for (pass = 0; pass < 2; pass++) {
		rlen = sizeof(buf[pass]);
		r = u8_casefold(in, n, NULL, UNINORM_NFC, buf[pass], &rlen);
		if (r == NULL)
			return errno == ENOMEM ? vudb__name_nomem :
			    "invalid UTF-8 in local part";
		if (r != buf[pass]) {
			free(r);	/* longer than any valid result */
			return "local part too long";
		}
		if (pass == 1 && rlen == n && memcmp(r, in, n) == 0)
			break;
		in = r;
		n = rlen;
	}
	if (n >= outsz)
		return "local part too long";
	memcpy(out, in, n);
	out[n] = '\0';
	*len_r = n;
	return NULL;
}

const char *
vudb__local_norm(const char *in, size_t len, char out[VUDB__LOCAL_MAX + 1])
{
	const unsigned char	*s = (const unsigned char *)in;
	char			 low[LOCAL_IN_MAX + 1];
	char			 fold[LOCAL_FOLD_MAX + 1];
	const char		*r;
	size_t			 n;
	int			 ascii;

	if (len == 0)
		return "empty local part";
	if (len > LOCAL_IN_MAX)
		return "local part too long";
	if ((r = local_scan(s, len, low, &ascii)) != NULL)
		return r;
	if (ascii) {
		if (len > VUDB__LOCAL_MAX)
			return "local part too long";
		memcpy(out, low, len + 1);
		return NULL;
	}
	/* The limit applies to the folded form, which is checked again:
	 * folding never makes a valid name invalid, but say so if it did. */
	if ((r = local_fold(s, len, fold, sizeof(fold), &n)) != NULL)
		return r;
	if (n > VUDB__LOCAL_MAX)
		return "local part too long";
	if ((r = local_scan((const unsigned char *)fold, n, out, &ascii)) !=
	    NULL)
		return r;
	return NULL;
}

const char *
vudb__local_legacy(const char *in, size_t len, char out[VUDB__LOCAL_MAX + 1])
{
	int ascii;

	if (len == 0)
		return "empty local part";
	if (len > VUDB__LOCAL_MAX)
		return "local part too long";
	return local_scan((const unsigned char *)in, len, out, &ascii);
}
