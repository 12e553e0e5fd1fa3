/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * check_cpw.c - unit tests of the store-free parts of vudb-checkpassword
 * (cpw.c): reading and parsing the checkpassword request of descriptor
 * 3, the quota rule given to Dovecot and the escaping of names for
 * logs.  Suite "cpw", one TCase per function,
 * tests named test_<func>_<condition>.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "cpw.h"
#include "tests/check_main.h"

/* ------------------------------------------------------------ cpw_parse */

#define REQ(s)	s, sizeof(s) - 1

START_TEST(test_cpw_parse_dovecot_login)
{
	struct cpw_req r;
	const char *why;

	ck_assert_int_eq(cpw_parse(REQ("matsui@pc1.example\0secret\0\0"),
	    &r, &why), 0);
	ck_assert_str_eq(r.user, "matsui@pc1.example");
	ck_assert_str_eq(r.pass, "secret");
	ck_assert_str_eq(r.stamp, "");
	ck_assert_uint_eq(r.nfields, 3);
	ck_assert_ptr_null(why);
}
END_TEST

START_TEST(test_cpw_parse_dovecot_lookup)
{
	struct cpw_req r;
	const char *why;

	ck_assert_int_eq(cpw_parse(REQ("matsui@pc1.example\0\0\0"), &r, &why),
	    0);
	ck_assert_str_eq(r.user, "matsui@pc1.example");
	ck_assert_str_eq(r.pass, "");
}
END_TEST

START_TEST(test_cpw_parse_extra_fields_accepted)
{
	struct cpw_req r;
	const char *why;

	ck_assert_int_eq(cpw_parse(REQ("u\0p\0<1.2@h>\0more\0\0"), &r, &why),
	    0);
	ck_assert_str_eq(r.stamp, "<1.2@h>");
	ck_assert_uint_eq(r.nfields, 5);
}
END_TEST

START_TEST(test_cpw_parse_empty_user_accepted)
{
	struct cpw_req r;
	const char *why;

	/* well-formed: an unknown user, not a misuse */
	ck_assert_int_eq(cpw_parse(REQ("\0p\0\0"), &r, &why), 0);
	ck_assert_str_eq(r.user, "");
}
END_TEST

static const struct {
	const char	*buf;
	size_t		 len;
} bad[] = {
	{ REQ("") },				/* empty */
	{ REQ("matsui@pc1.example") },		/* no NUL at all */
	{ REQ("matsui@pc1.example\0") },	/* one field */
	{ REQ("matsui@pc1.example\0secret\0") },	/* two fields */
	{ REQ("matsui@pc1.example\0secret") },	/* no NUL after it */
	{ REQ("u\0p\0\0junk") },		/* trailing junk */
	{ REQ("u\0p\0stamp") },		/* no NUL after it */
	{ REQ("\0") },				/* one empty field */
	{ REQ("\0\0") },			/* two empty fields */
};

START_TEST(test_cpw_parse_malformed_refused)
{
	struct cpw_req r;
	const char *why;

	ck_assert_int_eq(cpw_parse(bad[_i].buf, bad[_i].len, &r, &why), -1);
	ck_assert_ptr_nonnull(why);
	ck_assert_ptr_null(r.user);
}
END_TEST

START_TEST(test_cpw_parse_too_long_refused)
{
	char buf[CPW_MAX + 1];
	struct cpw_req r;
	const char *why;

	memset(buf, 'a', sizeof(buf));
	buf[CPW_MAX - 3] = buf[CPW_MAX - 2] = buf[CPW_MAX - 1] = '\0';
	/* exactly 512 bytes is fine */
	ck_assert_int_eq(cpw_parse(buf, CPW_MAX, &r, &why), 0);
	ck_assert_uint_eq(strlen(r.user), CPW_MAX - 3);
	buf[CPW_MAX] = '\0';
	ck_assert_int_eq(cpw_parse(buf, CPW_MAX + 1, &r, &why), -1);
}
END_TEST

/* ------------------------------------------------------------ cpw_read */

/* feed - a pipe holding n bytes of data, write end closed */
static int
feed(const char *data, size_t n)
{
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], data, n), (ssize_t)n);
	close(p[1]);
	return p[0];
}

START_TEST(test_cpw_read_whole_request)
{
	char buf[CPW_MAX + 1];
	size_t len;
	int fd = feed(REQ("u\0p\0\0"));

	ck_assert_int_eq(cpw_read(fd, buf, sizeof(buf), &len), 0);
	ck_assert_uint_eq(len, 5);
	ck_assert_int_eq(memcmp(buf, "u\0p\0\0", 5), 0);
	close(fd);
}
END_TEST

START_TEST(test_cpw_read_empty_input)
{
	char buf[CPW_MAX + 1];
	size_t len = 99;
	int fd = feed("", 0);

	ck_assert_int_eq(cpw_read(fd, buf, sizeof(buf), &len), 0);
	ck_assert_uint_eq(len, 0);
	close(fd);
}
END_TEST

START_TEST(test_cpw_read_over_512_refused)
{
	char data[600], buf[CPW_MAX + 1];
	size_t len;
	int fd;

	memset(data, 0, sizeof(data));
	fd = feed(data, sizeof(data));
	ck_assert_int_eq(cpw_read(fd, buf, sizeof(buf), &len), -2);
	close(fd);
	fd = feed(data, CPW_MAX);
	ck_assert_int_eq(cpw_read(fd, buf, sizeof(buf), &len), 0);
	ck_assert_uint_eq(len, CPW_MAX);
	close(fd);
}
END_TEST

START_TEST(test_cpw_read_closed_fd_fails)
{
	char buf[CPW_MAX + 1];
	size_t len;

	ck_assert_int_eq(cpw_read(-1, buf, sizeof(buf), &len), -1);
	ck_assert_int_eq(errno, EBADF);
}
END_TEST

START_TEST(test_cpw_read_small_buffer_refused)
{
	char buf[16];
	size_t len;

	ck_assert_int_eq(cpw_read(0, buf, sizeof(buf), &len), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* ------------------------------------------------------ cpw_quota_rule */

static const struct {
	const char	*bytes, *messages, *rule;
	int		 rc;
} quota[] = {
	{ "1073741824", "1000", "*:storage=1073741824B:messages=1000", 1 },
	{ "1024", NULL, "*:storage=1024B", 1 },
	{ "1024", "0", "*:storage=1024B", 1 },
	{ NULL, "5", "*:messages=5", 1 },
	{ "0", "", "", 0 },
	{ NULL, NULL, "", 0 },
	{ "00", "0", "", 0 },
	{ "-1", NULL, "", -1 },
	{ "10G", NULL, "", -1 },
	{ "1", "x", "", -1 },
};

START_TEST(test_cpw_quota_rule_table)
{
	char buf[128];
	int n;

	n = cpw_quota_rule(quota[_i].bytes, quota[_i].messages, buf,
	    sizeof(buf));
	if (quota[_i].rc > 0)
		ck_assert_int_eq(n, (int)strlen(quota[_i].rule));
	else
		ck_assert_int_eq(n, quota[_i].rc);
	ck_assert_str_eq(buf, quota[_i].rule);
}
END_TEST

START_TEST(test_cpw_quota_rule_small_buffer_fails)
{
	char buf[10];

	ck_assert_int_eq(cpw_quota_rule("1073741824", NULL, buf, sizeof(buf)),
	    -1);
	ck_assert_str_eq(buf, "");
}
END_TEST

/* --------------------------------------------------------- cpw_logsafe */

START_TEST(test_cpw_logsafe_escapes_controls)
{
	char buf[64];

	ck_assert_str_eq(cpw_logsafe("a\tb\n\\c\xc3", buf, sizeof(buf)),
	    "a\\011b\\012\\134c\\303");
	ck_assert_str_eq(cpw_logsafe(NULL, buf, sizeof(buf)), "(null)");
}
END_TEST

START_TEST(test_cpw_logsafe_long_name_cut)
{
	char in[300], buf[32];

	memset(in, 'x', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	cpw_logsafe(in, buf, sizeof(buf));
	ck_assert_uint_lt(strlen(buf), sizeof(buf));
	ck_assert_str_eq(buf + strlen(buf) - 3, "...");
	memset(in, '\001', sizeof(in) - 1);
	cpw_logsafe(in, buf, sizeof(buf));
	ck_assert_uint_lt(strlen(buf), sizeof(buf));
	ck_assert_str_eq(buf + strlen(buf) - 3, "...");
	ck_assert_str_eq(cpw_logsafe("abc", buf, 3), "");
}
END_TEST

Suite *
check_suite(void)
{
	Suite *s = suite_create("cpw");
	TCase *tc;

	tc = tcase_create("cpw_parse");
	tcase_add_test(tc, test_cpw_parse_dovecot_login);
	tcase_add_test(tc, test_cpw_parse_dovecot_lookup);
	tcase_add_test(tc, test_cpw_parse_extra_fields_accepted);
	tcase_add_test(tc, test_cpw_parse_empty_user_accepted);
	tcase_add_loop_test(tc, test_cpw_parse_malformed_refused, 0,
	    sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_cpw_parse_too_long_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("cpw_read");
	tcase_add_test(tc, test_cpw_read_whole_request);
	tcase_add_test(tc, test_cpw_read_empty_input);
	tcase_add_test(tc, test_cpw_read_over_512_refused);
	tcase_add_test(tc, test_cpw_read_closed_fd_fails);
	tcase_add_test(tc, test_cpw_read_small_buffer_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("cpw_quota_rule");
	tcase_add_loop_test(tc, test_cpw_quota_rule_table, 0,
	    sizeof(quota) / sizeof(quota[0]));
	tcase_add_test(tc, test_cpw_quota_rule_small_buffer_fails);
	suite_add_tcase(s, tc);


	tc = tcase_create("cpw_logsafe");
	tcase_add_test(tc, test_cpw_logsafe_escapes_controls);
	tcase_add_test(tc, test_cpw_logsafe_long_name_cut);
	suite_add_tcase(s, tc);
	return s;
}
