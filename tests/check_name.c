/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * check_name.c - the Check suite "name": the name rules of lib/name.c,
 * vudb__domain_norm() and vudb__local_norm(), driven by tables of inputs
 * with their canonical form or, for a refusal, the expected reason.  Each
 * input is passed in a heap copy of exactly its length, without a NUL, and
 * each output buffer has exactly its declared size, so that ASan sees any
 * read or write past either.  libidn2's idn2_lookup_u8() is wrapped to
 * count its calls, to check that an all-ASCII domain never reaches it.
 */

#include "config.h"

#include <ctype.h>
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <idn2.h>

#include "vudb_private.h"
#include "tests/check_main.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
/* A string literal and its length, NUL bytes included. */
#define S(s)		s, sizeof(s) - 1

#define A10	"aaaaaaaaaa"
#define A60	A10 A10 A10 A10 A10 A10
#define L63	A60 "aaa"			/* longest label */
#define L64	A60 "aaaa"
#define L61	A60 "a"
#define D253	L63 "." L63 "." L63 "." L61	/* longest domain */
#define D254	L63 "." L63 "." L63 "." A60 "aa"
#define L55	A10 A10 A10 A10 A10 "aaaaa"
#define L56	L55 "a"
#define SHY	"\xc2\xad"			/* U+00AD, mapped to nothing */
#define SHY10	SHY SHY SHY SHY SHY SHY SHY SHY SHY SHY
#define SHY100	SHY10 SHY10 SHY10 SHY10 SHY10 SHY10 SHY10 SHY10 SHY10 SHY10
#define E2	"\xc3\xa9"			/* é, two octets */
#define E2X8	E2 E2 E2 E2 E2 E2 E2 E2
#define E2X32	E2X8 E2X8 E2X8 E2X8
#define NFD_E2	"e\xcc\x81"			/* é decomposed, three octets */
#define NFD_E2X8	NFD_E2 NFD_E2 NFD_E2 NFD_E2 NFD_E2 NFD_E2 NFD_E2 NFD_E2
#define NFD_E2X32	NFD_E2X8 NFD_E2X8 NFD_E2X8 NFD_E2X8
#define NA	"\xc5\x89"			/* U+0149, folds to U+02BC n */
#define NAX7	NA NA NA NA NA NA NA
#define NAX21	NAX7 NAX7 NAX7
#define NAF	"\xca\xbcn"
#define NAFX7	NAF NAF NAF NAF NAF NAF NAF
#define NAFX21	NAFX7 NAFX7 NAFX7

struct name_case {
	const char	*in;
	size_t		 len;
	const char	*out;	/* canonical form, or NULL: refused */
	const char	*why;	/* reason of a refusal, NULL: any */
};

typedef const char *(*norm_fn)(const char *, size_t, char *);

static unsigned int idn_calls;

/* idn2_lookup_u8 - count the calls, then call libidn2's function */
int
idn2_lookup_u8(const uint8_t *src, uint8_t **lookupname, int flags)
{
	static int	(*real)(const uint8_t *, uint8_t **, int);

	idn_calls++;
	if (real == NULL)
		real = (int (*)(const uint8_t *, uint8_t **, int))
		    dlsym(RTLD_NEXT, "idn2_lookup_u8");
	ck_assert_ptr_nonnull(real);
	return real(src, lookupname, flags);
}

/* show - a printable copy of a test input, for messages */
static const char *
show(const char *s, size_t len)
{
	static char	 buf[1024];
	size_t		 i, o = 0;

	for (i = 0; i < len && o + 5 < sizeof(buf); i++) {
		if (s[i] >= 0x21 && s[i] < 0x7f)
			buf[o++] = s[i];
		else
			o += snprintf(buf + o, sizeof(buf) - o, "\\x%02x",
			    (unsigned char)s[i]);
	}
	buf[o] = '\0';
	return buf;
}

/* reason_ok - a reason is short, lower-case text */
static void
reason_ok(const char *r)
{
	size_t	i;

	ck_assert_uint_gt(strlen(r), 0);
	ck_assert_uint_lt(strlen(r), 64);
	ck_assert_msg(!isupper((unsigned char)r[0]) && r[strlen(r) - 1] != '.',
	    "reason not lower-case text: \"%s\"", r);
	for (i = 0; r[i] != '\0'; i++)
		ck_assert(isprint((unsigned char)r[i]));
}

/* run_case - run one table entry through fn with an out of outsz octets */
static void
run_case(norm_fn fn, size_t outsz, const struct name_case *tc)
{
	const char	*r;
	char		*in, *out, *again;

	in = malloc(tc->len > 0 ? tc->len : 1);
	out = malloc(outsz);
	again = malloc(outsz);
	ck_assert(in != NULL && out != NULL && again != NULL);
	memcpy(in, tc->in, tc->len);
	memset(out, 0x5a, outsz);

	r = fn(in, tc->len, out);
	if (tc->out != NULL) {
		ck_assert_msg(r == NULL, "\"%s\" refused: %s",
		    show(tc->in, tc->len), r);
		ck_assert_msg(memchr(out, '\0', outsz) != NULL,
		    "\"%s\": out not terminated", show(tc->in, tc->len));
		ck_assert_str_eq(out, tc->out);
		/* A canonical form is its own canonical form. */
		r = fn(out, strlen(out), again);
		ck_assert_msg(r == NULL, "\"%s\" refused again: %s", out, r);
		ck_assert_str_eq(again, out);
	} else {
		ck_assert_msg(r != NULL, "\"%s\" accepted as \"%.*s\"",
		    show(tc->in, tc->len), (int)strnlen(out, outsz), out);
		reason_ok(r);
		if (tc->why != NULL)
			ck_assert_msg(strcmp(r, tc->why) == 0,
			    "\"%s\": reason \"%s\", expected \"%s\"",
			    show(tc->in, tc->len), r, tc->why);
	}
	free(in);
	free(out);
	free(again);
}

static void
domain_case(const struct name_case *tc)
{
	run_case(vudb__domain_norm, VUDB__DOMAIN_MAX + 1, tc);
}

static void
local_case(const struct name_case *tc)
{
	run_case(vudb__local_norm, VUDB__LOCAL_MAX + 1, tc);
}

/* ------------------------------------------------------ vudb__domain_norm */

static const struct name_case domain_ascii[] = {
	{ S("example.com"), "example.com", NULL },
	{ S("EXAMPLE.COM"), "example.com", NULL },
	{ S("Mail.Example.ORG"), "mail.example.org", NULL },
	{ S("pc1.example"), "pc1.example", NULL },
	{ S("a"), "a", NULL },
	{ S("Z"), "z", NULL },
	{ S("a-b.c-d.e"), "a-b.c-d.e", NULL },
	{ S("a--b.example"), "a--b.example", NULL },
	{ S("0.9.example"), "0.9.example", NULL },
	{ S("123abc.example"), "123abc.example", NULL },
	{ S("q-0123456789-abcdefghijklmnopqrstuvwxyz.example"),
	    "q-0123456789-abcdefghijklmnopqrstuvwxyz.example", NULL },
	{ S("ABCDEFGHIJKLMNOPQRSTUVWXYZ.example"),
	    "abcdefghijklmnopqrstuvwxyz.example", NULL },
};

static const struct name_case domain_idn[] = {
	{ S("Bücher.example"), "xn--bcher-kva.example", NULL },
	{ S("BÜCHER.EXAMPLE"), "xn--bcher-kva.example", NULL },
	{ S("bücher.example"), "xn--bcher-kva.example", NULL },
	{ S("ÉXAMPLE.com"), "xn--xample-9ua.com", NULL },
	{ S("éxample.com"), "xn--xample-9ua.com", NULL },
	/* NFD input: e + U+0301 is composed first. */
	{ S("e\xcc\x81xample.com"), "xn--xample-9ua.com", NULL },
	{ S("münchen.de"), "xn--mnchen-3ya.de", NULL },
	{ S("例え.テスト"), "xn--r8jz45g.xn--zckzah", NULL },
	/* Nontransitional: ß and final sigma are kept. */
	{ S("faß.de"), "xn--fa-hia.de", NULL },
	{ S("ς.example"), "xn--3xa.example", NULL },
	/* ZWJ fails CONTEXTJ; transitional processing drops it. */
	{ S("a\xe2\x80\x8d" "b.example"), "ab.example", NULL },
	/* Mapping: fullwidth letters, ideographic full stop, U+00AD. */
	{ S("ｅｘａｍｐｌｅ.com"), "example.com", NULL },
	{ S("a\xe3\x80\x82" "b.example"), "a.b.example", NULL },
	{ S("ex" SHY "ample.com"), "example.com", NULL },
	/* ASCII and A-labels next to a U-label. */
	{ S("MAIL.bücher.example"), "mail.xn--bcher-kva.example", NULL },
	{ S("XN--BCHER-KVA.bücher.example"),
	    "xn--bcher-kva.xn--bcher-kva.example", NULL },
	/* ASCII labels keep the ASCII rules. */
	{ S("ab--cd.bücher.example"), NULL,
	    "reserved hyphens in domain label" },
	{ S("a_b.bücher.example"), NULL, "invalid character in domain" },
	{ S("xn--bcher-kvb.bücher.example"), NULL,
	    "invalid xn-- label in domain" },
	/* Right to left (RFC 5893). */
	{ S("עברית.example"), "xn--5dbqzzl.example", NULL },
	{ S("العربية.example"), "xn--mgbcd4a2b0d2b.example", NULL },
	{ S("א1.example"), "xn--1-zhc.example", NULL },
	/* Bidi rule broken: libidn2's transitional mode would pass these. */
	{ S("1א.example"), NULL, "invalid right-to-left domain label" },
	{ S("אa.example"), NULL, "invalid right-to-left domain label" },
	{ S("aא.example"), NULL, "invalid right-to-left domain label" },
	{ S("a\xe2\x80\x8d" "א.example"), NULL, NULL },
	/* Refused by IDNA. */
	{ S("-bücher.example"), NULL, "leading hyphen in domain label" },
	{ S("bücher-.example"), NULL,
	    "hyphen at start or end of domain label" },
	{ S("bü--cher.example"), NULL, "reserved hyphens in domain label" },
	{ S("\xe2\x92\x88.com"), NULL, "disallowed character in domain" },
	{ S("\xcc\x81" "a.example"), NULL, NULL },
	/* Maps to an ASCII name that the ASCII rules refuse. */
	{ S("ab\xef\xbc\x8f" "c.example"), NULL,
	    "invalid character in domain" },
	{ S("a\xe3\x80\x82"), NULL, "trailing dot in domain" },
	{ S(SHY ".example"), NULL, NULL },
	/* Syntax of the raw UTF-8. */
	{ S("bücher.example."), NULL, "trailing dot in domain" },
	{ S(".bücher.example"), NULL, "leading dot in domain" },
	{ S("bücher..example"), NULL, "consecutive dots in domain" },
	{ S("bü cher.example"), NULL, "space in domain" },
	{ S("bü/cher.example"), NULL, "invalid character in domain" },
	{ S("bü_cher.example"), NULL, "invalid character in domain" },
	{ S("bü\tcher.example"), NULL, "control character in domain" },
	{ S("[bücher]"), NULL, "domain literal not allowed" },
	{ S("bücher@example"), NULL, "invalid character in domain" },
	/* C1 control U+0085. */
	{ S("b\xc2\x85.example"), NULL, NULL },
};

static const struct name_case domain_alabel[] = {
	{ S("xn--bcher-kva.example"), "xn--bcher-kva.example", NULL },
	{ S("Xn--Bcher-Kva.Example"), "xn--bcher-kva.example", NULL },
	{ S("xn--fa-hia.de"), "xn--fa-hia.de", NULL },
	{ S("xn--zca.example"), "xn--zca.example", NULL },
	{ S("xn--xample-9ua.com"), "xn--xample-9ua.com", NULL },
	{ S("xn--r8jz45g.xn--zckzah"), "xn--r8jz45g.xn--zckzah", NULL },
	{ S("mail.xn--mnchen-3ya.de"), "mail.xn--mnchen-3ya.de", NULL },
	/* Decodes to U+01C8, which UTS #46 maps: not canonical. */
	{ S("xn--bcher-kvb.example"), NULL, "invalid xn-- label in domain" },
	{ S("xn--5dbqzzl.example"), "xn--5dbqzzl.example", NULL },
	/* Decodes to "1\u05d0", which breaks the bidi rule. */
	{ S("xn--1-0hc.example"), NULL, "invalid right-to-left domain label" },
	/* Decodes to upper-case É. */
	{ S("xn--xample-voa.com"), NULL, "invalid xn-- label in domain" },
	/* Decodes to NFD e + U+0301. */
	{ S("xn--example-tge.com"), NULL, "invalid xn-- label in domain" },
	/* Bad Punycode. */
	{ S("xn--zz.example"), NULL, "invalid xn-- label in domain" },
	{ S("xn--abc.example"), NULL, "invalid xn-- label in domain" },
	{ S("xn--a.example"), NULL, "invalid xn-- label in domain" },
	{ S("xn--999999999999999.example"), NULL,
	    "invalid xn-- label in domain" },
	/* Decodes to plain ASCII "ab". */
	{ S("xn--ab-.example"), NULL, "trailing hyphen in domain label" },
	{ S("xn--ab-a.example"), NULL, "invalid xn-- label in domain" },
	{ S("xn--.example"), NULL, "trailing hyphen in domain label" },
	{ S("xn---.example"), NULL, "trailing hyphen in domain label" },
	{ S("example.xn--"), NULL, "trailing hyphen in domain label" },
	/* Other "--" labels are reserved (RFC 5890 2.3.1). */
	{ S("ab--cd.example"), NULL, "reserved hyphens in domain label" },
	{ S("XY--bcher-kva.example"), NULL,
	    "reserved hyphens in domain label" },
	{ S("r3---sn.example"), NULL, "reserved hyphens in domain label" },
};

static const struct name_case domain_length[] = {
	{ S(L63 ".example"), L63 ".example", NULL },
	{ S(L64 ".example"), NULL, "domain label too long" },
	{ S("example." L63), "example." L63, NULL },
	{ S("example." L64), NULL, "domain label too long" },
	{ S(L64), NULL, "domain label too long" },
	{ S(D253), D253, NULL },
	{ S(D254), NULL, "domain too long" },
	{ S(D253 "a"), NULL, "domain too long" },
	{ S(D253 "ü"), NULL, "domain label too long" },
	/* A-label of 63 and 64 octets. */
	{ S(L55 "ü.example"),
	    "xn--" L55 "-8yf.example", NULL },
	{ S(L56 "ü.example"), NULL, "domain label too long" },
	/* A UTF-8 domain longer than 253 octets may shrink when mapped... */
	{ S("ex" SHY100 SHY10 SHY10 "ample.com"), "example.com", NULL },
	/* ... but not without bound. */
	{ S("ex" SHY100 SHY100 SHY100 SHY100 SHY100 SHY10 "ample.com"),
	    NULL, "domain too long" },
	/* Too long once mapped. */
	{ S(L63 "." L63 "." L63 "." L55 "ü"), NULL, "domain too long" },
};

static const struct name_case domain_syntax[] = {
	{ S(""), NULL, "empty domain" },
	{ S("."), NULL, "leading dot in domain" },
	{ S(".."), NULL, "leading dot in domain" },
	{ S("../etc"), NULL, "leading dot in domain" },
	{ S("../../etc/passwd"), NULL, "leading dot in domain" },
	{ S(".example.com"), NULL, "leading dot in domain" },
	{ S("example.com."), NULL, "trailing dot in domain" },
	{ S("example..com"), NULL, "consecutive dots in domain" },
	{ S("a/b"), NULL, "invalid character in domain" },
	{ S("example.com/.."), NULL, "invalid character in domain" },
	{ S("a\\b"), NULL, "invalid character in domain" },
	{ S("_dmarc.example.com"), NULL, "invalid character in domain" },
	{ S("a_b.example"), NULL, "invalid character in domain" },
	{ S("[1.2.3.4]"), NULL, "domain literal not allowed" },
	{ S("[IPv6:::1]"), NULL, "domain literal not allowed" },
	{ S("a[1]"), NULL, "invalid character in domain" },
	{ S("user@example.com"), NULL, "invalid character in domain" },
	{ S("example.com:25"), NULL, "invalid character in domain" },
	{ S("exa*mple.com"), NULL, "invalid character in domain" },
	{ S("exa mple.com"), NULL, "space in domain" },
	{ S(" example.com"), NULL, "space in domain" },
	{ S("example.com "), NULL, "space in domain" },
	{ S("example.com\n"), NULL, "control character in domain" },
	{ S("exa\tmple.com"), NULL, "control character in domain" },
	{ S("\r"), NULL, "control character in domain" },
	{ S("\x1b[0m.example"), NULL, "control character in domain" },
	{ S("exa\x7fmple.com"), NULL, "control character in domain" },
	{ S("-example.com"), NULL, "leading hyphen in domain label" },
	{ S("example.-com"), NULL, "leading hyphen in domain label" },
	{ S("example-.com"), NULL, "trailing hyphen in domain label" },
	{ S("example.com-"), NULL, "trailing hyphen in domain label" },
	{ S("-"), NULL, "leading hyphen in domain label" },
};

static const struct name_case domain_nul[] = {
	{ S("\0"), NULL, "embedded NUL in domain" },
	{ S("exa\0mple.com"), NULL, "embedded NUL in domain" },
	{ S("example.com\0"), NULL, "embedded NUL in domain" },
	{ S("example.com\0.evil"), NULL, "embedded NUL in domain" },
	{ S("bücher\0.example"), NULL, "embedded NUL in domain" },
	{ S("example.com\0ü"), NULL, "embedded NUL in domain" },
};

static const struct name_case domain_utf8[] = {
	{ S("\xc0\x80.example"), NULL, "invalid UTF-8 in domain" },
	{ S("a\xc1\xbf.example"), NULL, "invalid UTF-8 in domain" },
	{ S("a\xe0\x80\xaf.example"), NULL, "invalid UTF-8 in domain" },
	{ S("a\xf0\x80\x80\xaf.example"), NULL, "invalid UTF-8 in domain" },
	{ S("\x80.example"), NULL, "invalid UTF-8 in domain" },
	{ S("a\xbf" "b.example"), NULL, "invalid UTF-8 in domain" },
	{ S("b\xc3"), NULL, "invalid UTF-8 in domain" },
	{ S("b\xc3.example"), NULL, "invalid UTF-8 in domain" },
	{ S("b\xe2\x82"), NULL, "invalid UTF-8 in domain" },
	{ S("b\xf0\x9f\x98"), NULL, "invalid UTF-8 in domain" },
	{ S("\xed\xa0\x80.example"), NULL, "invalid UTF-8 in domain" },
	{ S("a\xed\xbf\xbf.example"), NULL, "invalid UTF-8 in domain" },
	{ S("a\xf4\x90\x80\x80.example"), NULL, "invalid UTF-8 in domain" },
	{ S("a\xf5\x80\x80\x80.example"), NULL, "invalid UTF-8 in domain" },
	{ S("a\xf8\x88\x80\x80\x80.example"), NULL,
	    "invalid UTF-8 in domain" },
	{ S("a\xfe.example"), NULL, "invalid UTF-8 in domain" },
	{ S("a\xff.example"), NULL, "invalid UTF-8 in domain" },
	/* Latin-1, not UTF-8. */
	{ S("b\xfc" "cher.example"), NULL, "invalid UTF-8 in domain" },
};

START_TEST(test_domain_norm_ascii)
{
	domain_case(&domain_ascii[_i]);
}
END_TEST

START_TEST(test_domain_norm_idn)
{
	domain_case(&domain_idn[_i]);
}
END_TEST

START_TEST(test_domain_norm_alabel)
{
	domain_case(&domain_alabel[_i]);
}
END_TEST

START_TEST(test_domain_norm_length)
{
	domain_case(&domain_length[_i]);
}
END_TEST

START_TEST(test_domain_norm_syntax)
{
	domain_case(&domain_syntax[_i]);
}
END_TEST

START_TEST(test_domain_norm_nul)
{
	domain_case(&domain_nul[_i]);
}
END_TEST

START_TEST(test_domain_norm_utf8)
{
	domain_case(&domain_utf8[_i]);
}
END_TEST

/* An ASCII domain without A-labels is checked without libidn2. */
START_TEST(test_domain_norm_fast_path)
{
	char	out[VUDB__DOMAIN_MAX + 1];

	idn_calls = 0;
	ck_assert_ptr_null(vudb__domain_norm(S("Bücher.example"), out));
	if (idn_calls == 0)
		return;		/* cannot wrap libidn2 here */
	idn_calls = 0;
	ck_assert_ptr_null(vudb__domain_norm(S("Mail.Example.COM"), out));
	ck_assert_ptr_nonnull(vudb__domain_norm(S("a_b.example"), out));
	ck_assert_ptr_nonnull(vudb__domain_norm(S(D254), out));
	ck_assert_uint_eq(idn_calls, 0);
	ck_assert_ptr_null(vudb__domain_norm(S("xn--bcher-kva.example"), out));
	ck_assert_uint_gt(idn_calls, 0);
}
END_TEST

/* ------------------------------------------------------- vudb__local_norm */

static const struct name_case local_valid[] = {
	{ S("user"), "user", NULL },
	{ S("MATSUI"), "matsui", NULL },
	{ S("First.Last"), "first.last", NULL },
	{ S("a"), "a", NULL },
	{ S("0"), "0", NULL },
	{ S("user+Tag"), "user+tag", NULL },
	{ S("o'brien"), "o'brien", NULL },
	{ S("a.b.c.d"), "a.b.c.d", NULL },
	{ S("!#$%&'*+-=?^_`{|}~"), "!#$%&'*+-=?^_`{|}~", NULL },
	{ S("-"), "-", NULL },
	/* UTF-8: full Unicode case folding, then NFC. */
	{ S("JÖRG"), "jörg", NULL },
	{ S("Ünïcode"), "ünïcode", NULL },
	{ S("δοκιμή"), "δοκιμή", NULL },
	{ S("用户.Name"), "用户.name", NULL },
	{ S("e\xcc\x81"), "\xc3\xa9", NULL },		/* NFD é: NFC */
	{ S("smile\xf0\x9f\x98\x80"), "smile\xf0\x9f\x98\x80", NULL },
	{ S("\xf4\x8f\xbf\xbf"), "\xf4\x8f\xbf\xbf", NULL },
	{ S("\xee\x80\x80"), "\xee\x80\x80", NULL },
	{ S("\xc2\xa0"), "\xc2\xa0", NULL },
};

/*
 * Folding: one name for every case and normalization form.  Expected
 * forms are Unicode's full case folding (CaseFolding.txt C+F, as ICU's
 * default fold that Postfix uses for SMTPUTF8) followed by NFC.
 */
static const struct name_case local_fold[] = {
	/* Ünï in three cases, and decomposed (U+0055 U+0308 ...) */
	{ S("\xc3\x9cn\xc3\xaf"), "\xc3\xbcn\xc3\xaf", NULL },
	{ S("\xc3\xbcn\xc3\xaf"), "\xc3\xbcn\xc3\xaf", NULL },
	{ S("\xc3\x9cN\xc3\x8f"), "\xc3\xbcn\xc3\xaf", NULL },
	{ S("U\xcc\x88ni\xcc\x88"), "\xc3\xbcn\xc3\xaf", NULL },
	{ S("u\xcc\x88N\xc3\x8f"), "\xc3\xbcn\xc3\xaf", NULL },
	/* German sharp s folds to "ss", capital sharp s too: one name */
	{ S("stra\xc3\x9f" "e"), "strasse", NULL },
	{ S("STRASSE"), "strasse", NULL },
	{ S("STRA\xe1\xba\x9e" "E"), "strasse", NULL },
	/* Turkish: no locale; dotless i stays, I is i, dotted I is i U+0307 */
	{ S("\xc4\xb1"), "\xc4\xb1", NULL },
	{ S("\xc4\xb1I"), "\xc4\xb1i", NULL },
	{ S("\xc4\xb0"), "i\xcc\x87", NULL },
	/* Greek: final sigma, capital and small sigma are one letter */
	{ S("\xce\x9f\xce\x94\xce\x9f\xce\xa3"),
	    "\xce\xbf\xce\xb4\xce\xbf\xcf\x83", NULL },
	{ S("\xce\xbf\xce\xb4\xce\xbf\xcf\x82"),
	    "\xce\xbf\xce\xb4\xce\xbf\xcf\x83", NULL },
	/* what Postfix sends after its own fold folds to itself */
	{ S("\xce\xbf\xce\xb4\xce\xbf\xcf\x83"),
	    "\xce\xbf\xce\xb4\xce\xbf\xcf\x83", NULL },
	/* KELVIN SIGN is k; compatibility forms are not folded (no NFKC) */
	{ S("\xe2\x84\xaa"), "k", NULL },
	{ S("\xef\xac\x81"), "fi", NULL },		/* ligature fi: F fold */
	{ S("\xef\xbd\x81"), "\xef\xbd\x81", NULL },	/* fullwidth a */
	/* the folded form must still be a valid name: U+037E is ';' in NFC */
	{ S("a\xcd\xbe"), NULL, "invalid character in local part" },
	/* invalid UTF-8 is still refused, before any folding */
	{ S("\xc3\x9cn\xc3"), NULL, "invalid UTF-8 in local part" },
	{ S("\xc3\x9c\xed\xa0\x80"), NULL, "invalid UTF-8 in local part" },
};

/*
 * Limits hold for the folded form: 64 octets after folding, whatever the
 * input's length (NFD input shrinks; sharp s grows).
 */
static const struct name_case local_fold_length[] = {
	/* 32 x NFD é (96 octets) is 32 x é (64): valid */
	{ S(NFD_E2X32), E2X32, NULL },
	/* 21 x U+0149 (42 octets) folds to 63 octets: valid; 22 x
	 * (44 octets) folds to 66: too long, though the input is short */
	{ S(NAX21), NAFX21, NULL },
	{ S(NAX21 NA), NULL, "local part too long" },
	{ S(A60 "\xc3\x9f\xc3\x9f"), A60 "ssss", NULL },
	/* ASCII is never longer than 64 octets */
	{ S(L64 "a"), NULL, "local part too long" },
};

static const struct name_case local_length[] = {
	{ S(L63 "a"), L63 "a", NULL },
	{ S(L63 "A"), L63 "a", NULL },
	{ S(L64 "a"), NULL, "local part too long" },
	{ S(E2X32), E2X32, NULL },
	{ S(E2X32 "a"), NULL, "local part too long" },
	{ S(L63 E2), NULL, "local part too long" },
	{ S(""), NULL, "empty local part" },
};

static const struct name_case local_syntax[] = {
	{ S("."), NULL, "leading dot in local part" },
	{ S(".."), NULL, "leading dot in local part" },
	{ S("../etc"), NULL, "leading dot in local part" },
	{ S(".user"), NULL, "leading dot in local part" },
	{ S("user."), NULL, "trailing dot in local part" },
	{ S("us..er"), NULL, "consecutive dots in local part" },
	{ S("user.."), NULL, "consecutive dots in local part" },
	{ S("a/b"), NULL, "invalid character in local part" },
	{ S("/"), NULL, "invalid character in local part" },
	{ S("user@example.com"), NULL, "invalid character in local part" },
	{ S("a,b"), NULL, "invalid character in local part" },
	{ S("\"quoted\""), NULL, "invalid character in local part" },
	{ S("a\\b"), NULL, "invalid character in local part" },
	{ S("a:b"), NULL, "invalid character in local part" },
	{ S("a;b"), NULL, "invalid character in local part" },
	{ S("(comment)a"), NULL, "invalid character in local part" },
	{ S("<a>"), NULL, "invalid character in local part" },
	{ S("[a]"), NULL, "invalid character in local part" },
	{ S("a b"), NULL, "space in local part" },
	{ S(" a"), NULL, "space in local part" },
	{ S("a "), NULL, "space in local part" },
	{ S("a\tb"), NULL, "control character in local part" },
	{ S("a\nb"), NULL, "control character in local part" },
	{ S("a\r"), NULL, "control character in local part" },
	{ S("\x1b"), NULL, "control character in local part" },
	{ S("a\x7f"), NULL, "control character in local part" },
	/* C1 controls U+0080 and U+009F. */
	{ S("a\xc2\x80"), NULL, "control character in local part" },
	{ S("a\xc2\x9f"), NULL, "control character in local part" },
};

static const struct name_case local_nul[] = {
	{ S("\0"), NULL, "embedded NUL in local part" },
	{ S("us\0er"), NULL, "embedded NUL in local part" },
	{ S("user\0"), NULL, "embedded NUL in local part" },
	{ S("user\0/../x"), NULL, "embedded NUL in local part" },
	{ S("ü\0"), NULL, "embedded NUL in local part" },
};

static const struct name_case local_utf8[] = {
	{ S("\xc0\x80"), NULL, "invalid UTF-8 in local part" },
	{ S("a\xc1\x81"), NULL, "invalid UTF-8 in local part" },
	{ S("a\xe0\x9f\xbf"), NULL, "invalid UTF-8 in local part" },
	{ S("a\xf0\x8f\xbf\xbf"), NULL, "invalid UTF-8 in local part" },
	{ S("\x80"), NULL, "invalid UTF-8 in local part" },
	{ S("a\xbf" "b"), NULL, "invalid UTF-8 in local part" },
	{ S("\xc3\xbc\xbc"), NULL, "invalid UTF-8 in local part" },
	{ S("a\xc3"), NULL, "invalid UTF-8 in local part" },
	{ S("a\xc3" "b"), NULL, "invalid UTF-8 in local part" },
	{ S("a\xe2\x82"), NULL, "invalid UTF-8 in local part" },
	{ S("a\xf0\x9f\x98"), NULL, "invalid UTF-8 in local part" },
	{ S("\xed\xa0\x80"), NULL, "invalid UTF-8 in local part" },
	{ S("a\xed\xbf\xbf"), NULL, "invalid UTF-8 in local part" },
	{ S("\xf4\x90\x80\x80"), NULL, "invalid UTF-8 in local part" },
	{ S("\xf5\x80\x80\x80"), NULL, "invalid UTF-8 in local part" },
	{ S("\xf8\x88\x80\x80\x80"), NULL, "invalid UTF-8 in local part" },
	{ S("\xfe"), NULL, "invalid UTF-8 in local part" },
	{ S("\xff"), NULL, "invalid UTF-8 in local part" },
	{ S("j\xf6rg"), NULL, "invalid UTF-8 in local part" },
};

START_TEST(test_local_norm_valid)
{
	local_case(&local_valid[_i]);
}
END_TEST

START_TEST(test_local_norm_fold)
{
	local_case(&local_fold[_i]);
}
END_TEST

START_TEST(test_local_norm_fold_length)
{
	local_case(&local_fold_length[_i]);
}
END_TEST

START_TEST(test_local_norm_length)
{
	local_case(&local_length[_i]);
}
END_TEST

START_TEST(test_local_norm_syntax)
{
	local_case(&local_syntax[_i]);
}
END_TEST

START_TEST(test_local_norm_nul)
{
	local_case(&local_nul[_i]);
}
END_TEST

START_TEST(test_local_norm_utf8)
{
	local_case(&local_utf8[_i]);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("name");

	tc = tcase_create("domain_norm");
	tcase_add_loop_test(tc, test_domain_norm_ascii, 0,
	    NITEMS(domain_ascii));
	tcase_add_loop_test(tc, test_domain_norm_idn, 0, NITEMS(domain_idn));
	tcase_add_loop_test(tc, test_domain_norm_alabel, 0,
	    NITEMS(domain_alabel));
	tcase_add_loop_test(tc, test_domain_norm_length, 0,
	    NITEMS(domain_length));
	tcase_add_loop_test(tc, test_domain_norm_syntax, 0,
	    NITEMS(domain_syntax));
	tcase_add_loop_test(tc, test_domain_norm_nul, 0, NITEMS(domain_nul));
	tcase_add_loop_test(tc, test_domain_norm_utf8, 0,
	    NITEMS(domain_utf8));
	tcase_add_test(tc, test_domain_norm_fast_path);
	suite_add_tcase(s, tc);

	tc = tcase_create("local_norm");
	tcase_add_loop_test(tc, test_local_norm_valid, 0, NITEMS(local_valid));
	tcase_add_loop_test(tc, test_local_norm_length, 0,
	    NITEMS(local_length));
	tcase_add_loop_test(tc, test_local_norm_syntax, 0,
	    NITEMS(local_syntax));
	tcase_add_loop_test(tc, test_local_norm_nul, 0, NITEMS(local_nul));
	tcase_add_loop_test(tc, test_local_norm_utf8, 0, NITEMS(local_utf8));
	tcase_add_loop_test(tc, test_local_norm_fold, 0, NITEMS(local_fold));
	tcase_add_loop_test(tc, test_local_norm_fold_length, 0,
	    NITEMS(local_fold_length));
	suite_add_tcase(s, tc);

	return s;
}
