/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * check_proto.c - unit tests of vudb-mapd's wire formats (proto.c): the
 * socketmap netstring parser and reply encoder, and the tcp_table line
 * splitter, request parser, %XX decoder and reply encoder, with every
 * malformed or over-long input the server must refuse.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "proto.h"
#include "tests/check_main.h"

#define S(x)	x, sizeof(x) - 1

/* ---------------------------------------------------------- sm_parse */

START_TEST(test_sm_parse_complete)
{
	const char *d;
	size_t used, dlen;

	ck_assert_int_eq(sm_parse(S("16:mailbox matsui@x,"), SM_MAX_REQUEST,
	    &used, &d, &dlen), P_OK);
	ck_assert_uint_eq(used, 20);
	ck_assert_uint_eq(dlen, 16);
	ck_assert_int_eq(memcmp(d, "mailbox matsui@x", 16), 0);
}
END_TEST

START_TEST(test_sm_parse_pipelined)
{
	const char *d;
	size_t used, dlen;
	static const char two[] = "3:a b,5:c def,";

	ck_assert_int_eq(sm_parse(S(two), 100, &used, &d, &dlen), P_OK);
	ck_assert_uint_eq(used, 6);
	ck_assert_int_eq(sm_parse(two + used, sizeof(two) - 1 - used, 100,
	    &used, &d, &dlen), P_OK);
	ck_assert_uint_eq(dlen, 5);
	ck_assert_int_eq(memcmp(d, "c def", 5), 0);
}
END_TEST

START_TEST(test_sm_parse_empty_payload)
{
	const char *d;
	size_t used, dlen;

	ck_assert_int_eq(sm_parse(S("0:,"), 100, &used, &d, &dlen), P_OK);
	ck_assert_uint_eq(dlen, 0);
	ck_assert_uint_eq(used, 3);
}
END_TEST

START_TEST(test_sm_parse_leading_zeros)
{
	const char *d;
	size_t used, dlen;

	ck_assert_int_eq(sm_parse(S("003:a b,"), 100, &used, &d, &dlen),
	    P_OK);
	ck_assert_uint_eq(dlen, 3);
	ck_assert_int_eq(sm_parse(S("00000000003:a b,"), 100, &used, &d,
	    &dlen), P_BAD);
}
END_TEST

/* every proper prefix of a good netstring asks for more */
START_TEST(test_sm_parse_prefix_more)
{
	static const char ns[] = "12:alias info@x,";
	const char *d;
	size_t i, used, dlen;

	for (i = 0; i < sizeof(ns) - 1; i++)
		ck_assert_int_eq(sm_parse(ns, i, 100, &used, &d, &dlen),
		    P_MORE);
}
END_TEST

static const char *const sm_bad[] = {
	":a b,",		/* no digits */
	"x3:a b,",		/* not a digit */
	"3a:a b,",
	"-3:a b,",
	" 3:a b,",
	"3:a b;",		/* no comma */
	"3:a bc",
	"2:a b,",		/* wrong length */
};

START_TEST(test_sm_parse_malformed)
{
	const char *d;
	size_t used, dlen;

	ck_assert_int_eq(sm_parse(sm_bad[_i], strlen(sm_bad[_i]), 100, &used,
	    &d, &dlen), P_BAD);
	ck_assert_ptr_null(d);
}
END_TEST

START_TEST(test_sm_parse_too_long)
{
	const char *d;
	size_t used, dlen;

	ck_assert_int_eq(sm_parse(S("10001:"), SM_MAX_REQUEST, &used, &d,
	    &dlen), P_TOOLONG);
	/* judged from the digits alone, before the data arrives */
	ck_assert_int_eq(sm_parse(S("99999"), SM_MAX_REQUEST, &used, &d,
	    &dlen), P_TOOLONG);
	ck_assert_int_eq(sm_parse(S("10000:"), SM_MAX_REQUEST, &used, &d,
	    &dlen), P_MORE);
	ck_assert_int_eq(sm_parse(S("99999999999999999999999:"),
	    SM_MAX_REQUEST, &used, &d, &dlen), P_TOOLONG);
}
END_TEST

/* -------------------------------------------------------- sm_request */

START_TEST(test_sm_request_split)
{
	const char *m, *k;
	size_t ml, kl;

	ck_assert_int_eq(sm_request(S("mailbox Mat sui@x"), &m, &ml, &k, &kl),
	    0);
	ck_assert_uint_eq(ml, 7);
	ck_assert_int_eq(memcmp(m, "mailbox", 7), 0);
	ck_assert_uint_eq(kl, 9);
	ck_assert_int_eq(memcmp(k, "Mat sui@x", 9), 0);
}
END_TEST

START_TEST(test_sm_request_empty_key)
{
	const char *m, *k;
	size_t ml, kl;

	ck_assert_int_eq(sm_request(S("alias "), &m, &ml, &k, &kl), 0);
	ck_assert_uint_eq(kl, 0);
}
END_TEST

START_TEST(test_sm_request_no_space)
{
	const char *m, *k;
	size_t ml, kl;

	ck_assert_int_eq(sm_request(S("mailbox"), &m, &ml, &k, &kl), -1);
	ck_assert_int_eq(sm_request(S(" key"), &m, &ml, &k, &kl), -1);
	ck_assert_int_eq(sm_request("", 0, &m, &ml, &k, &kl), -1);
}
END_TEST

/* ---------------------------------------------------------- sm_reply */

START_TEST(test_sm_reply_ok)
{
	char out[64];
	size_t n;

	n = sm_reply(out, sizeof(out), "OK", S("pc1.example/matsui/Maildir/"));
	ck_assert_uint_eq(n, 34);
	ck_assert_int_eq(memcmp(out, "30:OK pc1.example/matsui/Maildir/,",
	    n), 0);
}
END_TEST

START_TEST(test_sm_reply_notfound_trailing_space)
{
	char out[64];
	size_t n;

	n = sm_reply(out, sizeof(out), "NOTFOUND", "", 0);
	ck_assert_uint_eq(n, 12);
	ck_assert_int_eq(memcmp(out, "9:NOTFOUND ,", n), 0);
}
END_TEST

START_TEST(test_sm_reply_too_long)
{
	char *out, *text;
	size_t n;

	out = malloc(SM_MAX_FRAME + 16);
	text = malloc(SM_MAX_REPLY);
	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_nonnull(text);
	memset(text, 'x', SM_MAX_REPLY);
	/* "OK " + 99,997 bytes is the largest reply */
	n = sm_reply(out, SM_MAX_FRAME + 16, "OK", text, SM_MAX_REPLY - 3);
	ck_assert_uint_eq(n, 7 + SM_MAX_REPLY + 1);
	ck_assert_int_eq(memcmp(out, "100000:OK x", 11), 0);
	ck_assert_int_eq(out[n - 1], ',');
	ck_assert_uint_eq(sm_reply(out, SM_MAX_FRAME + 16, "OK", text,
	    SM_MAX_REPLY - 2), 0);
	free(out);
	free(text);
}
END_TEST

START_TEST(test_sm_reply_small_buffer)
{
	char out[8];

	ck_assert_uint_eq(sm_reply(out, sizeof(out), "OK", S("abcdef")), 0);
	ck_assert_uint_eq(sm_reply(out, sizeof(out), "OK", S("abc")), 0);
	ck_assert_uint_eq(sm_reply(out, sizeof(out), "OK", S("ab")), 8);
}
END_TEST

/* ---------------------------------------------------------- tcp_line */

START_TEST(test_tcp_line_complete)
{
	size_t used, len;

	ck_assert_int_eq(tcp_line(S("get a\nget b\n"), 100, &used, &len),
	    P_OK);
	ck_assert_uint_eq(used, 6);
	ck_assert_uint_eq(len, 5);
}
END_TEST

START_TEST(test_tcp_line_crlf)
{
	size_t used, len;

	ck_assert_int_eq(tcp_line(S("get a\r\n"), 100, &used, &len), P_OK);
	ck_assert_uint_eq(used, 7);
	ck_assert_uint_eq(len, 5);
}
END_TEST

START_TEST(test_tcp_line_more)
{
	size_t used, len;

	ck_assert_int_eq(tcp_line(S("get a"), 100, &used, &len), P_MORE);
	ck_assert_int_eq(tcp_line("", 0, 100, &used, &len), P_MORE);
}
END_TEST

START_TEST(test_tcp_line_too_long)
{
	char buf[TCP_MAX_REQUEST + 1];
	size_t used, len;

	memset(buf, 'a', sizeof(buf));
	ck_assert_int_eq(tcp_line(buf, TCP_MAX_REQUEST, TCP_MAX_REQUEST,
	    &used, &len), P_TOOLONG);
	buf[TCP_MAX_REQUEST - 1] = '\n';
	ck_assert_int_eq(tcp_line(buf, TCP_MAX_REQUEST, TCP_MAX_REQUEST,
	    &used, &len), P_OK);
	/* a NL past the limit does not count */
	buf[TCP_MAX_REQUEST - 1] = 'a';
	buf[TCP_MAX_REQUEST] = '\n';
	ck_assert_int_eq(tcp_line(buf, sizeof(buf), TCP_MAX_REQUEST, &used,
	    &len), P_TOOLONG);
}
END_TEST

/* -------------------------------------------------------- tcp_decode */

START_TEST(test_tcp_decode_mixed_case)
{
	char out[32];
	size_t n;

	ck_assert_int_eq(tcp_decode(S("a%20b%2fc%2Fd%25%c3%BC"), out, &n), 0);
	ck_assert_uint_eq(n, 10);
	ck_assert_int_eq(memcmp(out, "a b/c/d%\xc3\xbc", n), 0);
}
END_TEST

START_TEST(test_tcp_decode_nul)
{
	char out[8];
	size_t n;

	ck_assert_int_eq(tcp_decode(S("a%00b"), out, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(out[1], '\0');
}
END_TEST

static const char *const dec_bad[] = { "%", "%2", "a%2", "%G0", "%0g",
	"%%", "% 20", "ab%-1" };

START_TEST(test_tcp_decode_malformed)
{
	char out[16];
	size_t n;

	ck_assert_int_eq(tcp_decode(dec_bad[_i], strlen(dec_bad[_i]), out,
	    &n), -1);
}
END_TEST

/* ------------------------------------------------------- tcp_request */

START_TEST(test_tcp_request_get)
{
	char key[64];
	size_t n;

	ck_assert_int_eq(tcp_request(S("get Matsui%2Btag@PC2.example"), key,
	    &n), TCP_GET);
	ck_assert_uint_eq(n, 22);
	ck_assert_int_eq(memcmp(key, "Matsui+tag@PC2.example", n), 0);
}
END_TEST

START_TEST(test_tcp_request_empty_key)
{
	char key[8];
	size_t n;

	ck_assert_int_eq(tcp_request(S("get "), key, &n), TCP_GET);
	ck_assert_uint_eq(n, 0);
}
END_TEST

static const char *const verb_bad[] = { "", "get", "put a b", "GETa",
	"getx a", "delete a", "\x80\x81 x", " get a" };

START_TEST(test_tcp_request_unknown_verb)
{
	char key[16];
	size_t n;

	ck_assert_int_eq(tcp_request(verb_bad[_i], strlen(verb_bad[_i]), key,
	    &n), TCP_BADVERB);
}
END_TEST

START_TEST(test_tcp_request_bad_key)
{
	char key[16];
	size_t n;

	ck_assert_int_eq(tcp_request(S("get a%zz"), key, &n), TCP_BADKEY);
}
END_TEST

/* --------------------------------------------------------- tcp_reply */

START_TEST(test_tcp_reply_quotes)
{
	char out[128];
	size_t n;
	static const char want[] = "200 moved%20to%20a%25b%0D%0A%09%7F%C3%BC+"
	    "x@y\n";

	n = tcp_reply(out, sizeof(out), 200, S("moved to a%b\r\n\t\x7f"
	    "\xc3\xbc+x@y"));
	ck_assert_uint_eq(n, sizeof(want) - 1);
	ck_assert_int_eq(memcmp(out, want, n), 0);
}
END_TEST

START_TEST(test_tcp_reply_limit)
{
	char out[TCP_MAX_REPLY + 16], text[TCP_MAX_REPLY];

	memset(text, 'x', sizeof(text));
	/* "200 " + 4091 + NL = 4096 */
	ck_assert_uint_eq(tcp_reply(out, sizeof(out), 200, text, 4091),
	    TCP_MAX_REPLY);
	ck_assert_int_eq(out[TCP_MAX_REPLY - 1], '\n');
	ck_assert_uint_eq(tcp_reply(out, sizeof(out), 200, text, 4092), 0);
	/* quoting counts: 1364 * 3 = 4092 */
	memset(text, ' ', sizeof(text));
	ck_assert_uint_eq(tcp_reply(out, sizeof(out), 200, text, 1363),
	    4 + 1363 * 3 + 1);
	ck_assert_uint_eq(tcp_reply(out, sizeof(out), 200, text, 1364), 0);
}
END_TEST

START_TEST(test_tcp_reply_bad_code)
{
	char out[16];

	ck_assert_uint_eq(tcp_reply(out, sizeof(out), 42, "x", 1), 0);
	ck_assert_uint_eq(tcp_reply(out, 4, 200, "", 0), 0);
	ck_assert_uint_eq(tcp_reply(out, 5, 500, "", 0), 5);
}
END_TEST

/* decode(reply text) gives back the original bytes, all 255 of them */
START_TEST(test_tcp_reply_roundtrip)
{
	char text[255], out[1024], back[1024];
	size_t i, n, m;

	for (i = 0; i < sizeof(text); i++)
		text[i] = (char)(i + 1);
	n = tcp_reply(out, sizeof(out), 200, text, sizeof(text));
	ck_assert_uint_gt(n, 0);
	ck_assert_int_eq(tcp_decode(out + 4, n - 5, back, &m), 0);
	ck_assert_uint_eq(m, sizeof(text));
	ck_assert_int_eq(memcmp(back, text, m), 0);
}
END_TEST

Suite *
check_suite(void)
{
	Suite *s = suite_create("proto");
	TCase *tc;

	tc = tcase_create("sm_parse");
	tcase_add_test(tc, test_sm_parse_complete);
	tcase_add_test(tc, test_sm_parse_pipelined);
	tcase_add_test(tc, test_sm_parse_empty_payload);
	tcase_add_test(tc, test_sm_parse_leading_zeros);
	tcase_add_test(tc, test_sm_parse_prefix_more);
	tcase_add_loop_test(tc, test_sm_parse_malformed, 0,
	    sizeof(sm_bad) / sizeof(sm_bad[0]));
	tcase_add_test(tc, test_sm_parse_too_long);
	suite_add_tcase(s, tc);
	tc = tcase_create("sm_request");
	tcase_add_test(tc, test_sm_request_split);
	tcase_add_test(tc, test_sm_request_empty_key);
	tcase_add_test(tc, test_sm_request_no_space);
	suite_add_tcase(s, tc);
	tc = tcase_create("sm_reply");
	tcase_add_test(tc, test_sm_reply_ok);
	tcase_add_test(tc, test_sm_reply_notfound_trailing_space);
	tcase_add_test(tc, test_sm_reply_too_long);
	tcase_add_test(tc, test_sm_reply_small_buffer);
	suite_add_tcase(s, tc);
	tc = tcase_create("tcp_line");
	tcase_add_test(tc, test_tcp_line_complete);
	tcase_add_test(tc, test_tcp_line_crlf);
	tcase_add_test(tc, test_tcp_line_more);
	tcase_add_test(tc, test_tcp_line_too_long);
	suite_add_tcase(s, tc);
	tc = tcase_create("tcp_decode");
	tcase_add_test(tc, test_tcp_decode_mixed_case);
	tcase_add_test(tc, test_tcp_decode_nul);
	tcase_add_loop_test(tc, test_tcp_decode_malformed, 0,
	    sizeof(dec_bad) / sizeof(dec_bad[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("tcp_request");
	tcase_add_test(tc, test_tcp_request_get);
	tcase_add_test(tc, test_tcp_request_empty_key);
	tcase_add_loop_test(tc, test_tcp_request_unknown_verb, 0,
	    sizeof(verb_bad) / sizeof(verb_bad[0]));
	tcase_add_test(tc, test_tcp_request_bad_key);
	suite_add_tcase(s, tc);
	tc = tcase_create("tcp_reply");
	tcase_add_test(tc, test_tcp_reply_quotes);
	tcase_add_test(tc, test_tcp_reply_limit);
	tcase_add_test(tc, test_tcp_reply_bad_code);
	tcase_add_test(tc, test_tcp_reply_roundtrip);
	suite_add_tcase(s, tc);
	return s;
}
