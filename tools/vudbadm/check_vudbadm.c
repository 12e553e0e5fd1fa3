/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * check_vudbadm.c - unit tests of the pure code of vudbadm: the JSON
 * writer (escapes, commas, nesting), what import needs of the JSON reader
 * (jansson behind jr_parse: escapes and surrogates, and every input it
 * must refuse, with a column), and the helpers of format.c.  The commands themselves are tested by the shell scripts
 * in tests/.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "format.h"
#include "tests/check_main.h"

/* ------------------------------------------------------------ writer */

/* written - what fn wrote through a writer on a memory stream */
static char *
written(void (*fn)(struct jw *))
{
	struct jw w;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	fp = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(fp);
	jw_init(&w, fp);
	fn(&w);
	fclose(fp);
	return buf;
}

static void
w_escapes(struct jw *w)
{
	jw_str(w, "a\"b\\c\n\t\x01\x7f/\xc3\xa9");
	jw_end(w);
}

START_TEST(test_jw_str_escapes)
{
	char *s = written(w_escapes);

	ck_assert_str_eq(s, "\"a\\\"b\\\\c\\n\\t\\u0001\\u007f/\xc3\xa9\"\n");
	free(s);
}
END_TEST

static void
w_nested(struct jw *w)
{
	jw_obj_begin(w);
	jw_kv(w, "type", "user");
	jw_key(w, "attrs");
	jw_obj_begin(w);
	jw_kv(w, "a", "1");
	jw_kv(w, "b", "2");
	jw_obj_end(w);
	jw_key(w, "list");
	jw_arr_begin(w);
	jw_u64(w, 1);
	jw_bool(w, 0);
	jw_null(w);
	jw_str(w, NULL);
	jw_arr_end(w);
	jw_kvb(w, "t", 1);
	jw_kvu(w, "n", 18446744073709551615ULL);
	jw_obj_end(w);
	jw_end(w);
	jw_obj_begin(w);
	jw_obj_end(w);
	jw_end(w);
}

START_TEST(test_jw_obj_commas_nested)
{
	char *s = written(w_nested);

	ck_assert_str_eq(s, "{\"type\":\"user\",\"attrs\":{\"a\":\"1\","
	    "\"b\":\"2\"},\"list\":[1,false,null,null],\"t\":true,"
	    "\"n\":18446744073709551615}\n{}\n");
	free(s);
}
END_TEST

/* ------------------------------------------------------------ reader */

static int
parse(const char *s, json_t **v_r, char *err, size_t errlen)
{
	return jr_parse(s, strlen(s), v_r, err, errlen);
}

START_TEST(test_jr_parse_object_order_and_values)
{
	const char *key, *want[] = { "s", "z", "a", "o" };
	char err[128];
	json_t *v, *val;
	size_t i = 0;

	ck_assert_int_eq(parse(" {\"s\":\"x\",\"z\":null,\"a\":[1,\"2\",{}],"
	    "\"o\":{\"k\":\"v\"}} ", &v, err, sizeof(err)), 0);
	ck_assert(json_is_object(v));
	json_object_foreach(v, key, val) {
		ck_assert_uint_lt(i, 4);
		ck_assert_str_eq(key, want[i++]);
	}
	ck_assert_uint_eq(i, 4);
	ck_assert_str_eq(json_string_value(json_object_get(v, "s")), "x");
	ck_assert_str_eq(json_string_value(json_object_get(
	    json_object_get(v, "o"), "k")), "v");
	json_decref(v);
}
END_TEST

START_TEST(test_jr_parse_string_escapes)
{
	char err[128];
	json_t *v;

	ck_assert_int_eq(parse("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u20ac"
	    "\\ud83d\\ude00\xc3\xa9\"", &v, err, sizeof(err)), 0);
	ck_assert_str_eq(json_string_value(v), "\"\\/\b\f\n\r\t\xc3\xa9"
	    "\xe2\x82\xac\xf0\x9f\x98\x80\xc3\xa9");
	json_decref(v);
}
END_TEST

START_TEST(test_jr_parse_roundtrip_writer)
{
	static const char in[] = "x\"\\\n\x01\x1f\x7f\xe2\x82\xac";
	char *buf = NULL, err[128];
	size_t len = 0;
	json_t *v;
	FILE *fp;

	fp = open_memstream(&buf, &len);
	jw_escape(fp, in);
	fclose(fp);
	ck_assert_int_eq(jr_parse(buf, len, &v, err, sizeof(err)), 0);
	ck_assert_str_eq(json_string_value(v), in);
	json_decref(v);
	free(buf);
}
END_TEST

/* what the old hand-made reader refused, and jansson must refuse too */
static const char *const bad[] = {
	"", "{", "{\"a\"}", "{\"a\":1,}", "{\"a\":1 \"b\":2}", "[1,2",
	"{\"a\":1,\"a\":2}",			/* duplicate key */
	"\"abc", "\"a\tb\"", "\"\\x\"", "\"\\u12g4\"",
	"\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"",
	"\"\\u0000\"",				/* NUL: values are C strings */
	"01", "-", "1.", "1e", "tru", "{} {}",
	"\"\xc3\x28\"", "\"\xc0\xaf\"", "\"\xff\"",	/* not UTF-8 */
	"{\"a\":1}\x01",
};

START_TEST(test_jr_parse_refused_with_column)
{
	char err[128];
	json_t *v = (json_t *)1;

	ck_assert_int_eq(parse(bad[_i], &v, err, sizeof(err)), -1);
	ck_assert_ptr_null(v);
	if (strncmp(err, "column ", 7) != 0)
		ck_abort_msg("%s: got \"%s\"", bad[_i], err);
}
END_TEST

START_TEST(test_jr_parse_error_column)
{
	char err[128];
	json_t *v;

	ck_assert_int_eq(parse("{\"a\": tru}", &v, err, sizeof(err)), -1);
	ck_assert(strncmp(err, "column ", 7) == 0);
	ck_assert_int_gt(atoi(err + 7), 5);
}
END_TEST

/* ------------------------------------------------------------ format */

static const struct {
	const char	*in;
	const char	*out;
	int		 rc;
} sizes[] = {
	{ "0", "unlimited", 0 },
	{ "1", "1", 0 },
	{ "1000", "1000", 0 },
	{ "1024", "1K", 0 },
	{ "1536", "1536", 0 },
	{ "10737418240", "10G", 0 },
	{ "524288000", "500M", 0 },
	{ "1099511627776", "1T", 0 },
	{ "1152921504606846976", "1E", 0 },
	{ "18446744073709551615", "18446744073709551615", 0 },
	{ "", "", -1 },
	{ "12x", "12x", -1 },
	{ "-5", "-5", -1 },
	{ "99999999999999999999999", "99999999999999999999999", -1 },
};

START_TEST(test_fmt_size_table)
{
	char buf[64];

	ck_assert_int_eq(fmt_size(sizes[_i].in, buf, sizeof(buf)),
	    sizes[_i].rc);
	ck_assert_str_eq(buf, sizes[_i].out);
}
END_TEST

START_TEST(test_fmt_size_small_buffer_truncates)
{
	char buf[4];

	ck_assert_int_eq(fmt_size("0", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "unl");
}
END_TEST

START_TEST(test_attr_name_hyphen_and_quota)
{
	char buf[64];

	ck_assert_str_eq(attr_name("max-users", buf, sizeof(buf)),
	    "max_users");
	ck_assert_str_eq(attr_name("quota", buf, sizeof(buf)), "quota_bytes");
	ck_assert_str_eq(attr_name("quota-messages", buf, sizeof(buf)),
	    "quota_messages");
	ck_assert_str_eq(attr_name("name", buf, sizeof(buf)), "name");
}
END_TEST

static const struct {
	const char	*a, *b;
	size_t		 d;
} dists[] = {
	{ "list", "list", 0 },
	{ "lst", "list", 1 },
	{ "lsit", "list", 2 },
	{ "", "add", 3 },
	{ "del", "", 3 },
	{ "usr", "user", 1 },
	{ "lokup", "lookup", 1 },
	{ "domian", "domain", 2 },
	{ "export", "import", 2 },
	{ "kitten", "sitting", 3 },
};

START_TEST(test_edit_distance_table)
{
	ck_assert_uint_eq(edit_distance(dists[_i].a, dists[_i].b),
	    dists[_i].d);
	ck_assert_uint_eq(edit_distance(dists[_i].b, dists[_i].a),
	    dists[_i].d);
}
END_TEST

START_TEST(test_edit_distance_long_word_is_far)
{
	char w[100];

	memset(w, 'a', sizeof(w) - 1);
	w[sizeof(w) - 1] = '\0';
	ck_assert_uint_eq(edit_distance(w, "add"), 64);
	ck_assert_uint_eq(edit_distance("add", w), 64);
}
END_TEST

Suite *
check_suite(void)
{
	Suite *s = suite_create("vudbadm");
	TCase *tc;

	tc = tcase_create("jw");
	tcase_add_test(tc, test_jw_str_escapes);
	tcase_add_test(tc, test_jw_obj_commas_nested);
	suite_add_tcase(s, tc);
	tc = tcase_create("jr_parse");
	tcase_add_test(tc, test_jr_parse_object_order_and_values);
	tcase_add_test(tc, test_jr_parse_string_escapes);
	tcase_add_test(tc, test_jr_parse_roundtrip_writer);
	tcase_add_loop_test(tc, test_jr_parse_refused_with_column, 0,
	    sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_jr_parse_error_column);
	suite_add_tcase(s, tc);
	tc = tcase_create("fmt_size");
	tcase_add_loop_test(tc, test_fmt_size_table, 0,
	    sizeof(sizes) / sizeof(sizes[0]));
	tcase_add_test(tc, test_fmt_size_small_buffer_truncates);
	suite_add_tcase(s, tc);
	tc = tcase_create("attr_name");
	tcase_add_test(tc, test_attr_name_hyphen_and_quota);
	suite_add_tcase(s, tc);
	tc = tcase_create("edit_distance");
	tcase_add_loop_test(tc, test_edit_distance_table, 0,
	    sizeof(dists) / sizeof(dists[0]));
	tcase_add_test(tc, test_edit_distance_long_word_is_far);
	suite_add_tcase(s, tc);
	return s;
}
