/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * check_record.c - the record format and the attribute tables: round
 * trips, forward compatibility (a newer writer's unknown fields survive a
 * rewrite), every truncation and damaged length reported as corrupt, and
 * the checking of attribute values.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "vudb_private.h"
#include "tests/check_main.h"

static void
make_user(struct vudb__rec *r)
{
	vudb__rec_init(r, VUDB_USER);
	ck_assert_int_eq(vudb__rec_set(r, VUDB__U_PASSWORD, "{PLAIN}x"), 0);
	ck_assert_int_eq(vudb__rec_set(r, VUDB__U_NAME, "Matsui"), 0);
	ck_assert_int_eq(vudb__rec_set(r, VUDB__U_QUOTA_BYTES, "1024"), 0);
}

START_TEST(test_rec_roundtrip)
{
	struct vudb__rec r, d;
	unsigned char *buf;
	size_t len;

	make_user(&r);
	ck_assert_int_eq(vudb__rec_encode(&r, &buf, &len), VUDB_OK);
	ck_assert_int_eq(vudb__rec_decode(buf, len, VUDB_USER, &d), VUDB_OK);
	ck_assert_uint_eq(d.n, 3);
	ck_assert_str_eq(vudb__rec_get(&d, VUDB__U_NAME), "Matsui");
	ck_assert_str_eq(vudb__rec_get(&d, VUDB__U_QUOTA_BYTES), "1024");
	ck_assert_ptr_null(vudb__rec_get(&d, VUDB__U_HOME));
	/* the type is checked */
	vudb__rec_clear(&d);
	ck_assert_int_eq(vudb__rec_decode(buf, len, VUDB_ALIAS, &d),
	    VUDB_ECORRUPT);
	free(buf);
	vudb__rec_clear(&r);
}
END_TEST

/* A field of a newer writer survives decode, change and encode. */
START_TEST(test_rec_unknown_fields_survive)
{
	struct vudb__rec r, d, e;
	unsigned char *buf, *buf2;
	size_t len, len2;

	make_user(&r);
	ck_assert_int_eq(vudb__rec_set(&r, 77, "from the future"), 0);
	ck_assert_int_eq(vudb__rec_set(&r, 300, "a two-byte tag"), 0);
	ck_assert_int_eq(vudb__rec_encode(&r, &buf, &len), VUDB_OK);
	ck_assert_int_eq(vudb__rec_decode(buf, len, VUDB_USER, &d), VUDB_OK);
	ck_assert_int_eq(vudb__rec_set(&d, VUDB__U_NAME, "Changed"), 0);
	ck_assert_int_eq(vudb__rec_set(&d, VUDB__U_QUOTA_BYTES, NULL), 0);
	ck_assert_int_eq(vudb__rec_encode(&d, &buf2, &len2), VUDB_OK);
	ck_assert_int_eq(vudb__rec_decode(buf2, len2, VUDB_USER, &e),
	    VUDB_OK);
	ck_assert_str_eq(vudb__rec_get(&e, 77), "from the future");
	ck_assert_str_eq(vudb__rec_get(&e, 300), "a two-byte tag");
	ck_assert_str_eq(vudb__rec_get(&e, VUDB__U_NAME), "Changed");
	ck_assert_ptr_null(vudb__rec_get(&e, VUDB__U_QUOTA_BYTES));
	free(buf);
	free(buf2);
	vudb__rec_clear(&r);
	vudb__rec_clear(&d);
	vudb__rec_clear(&e);
}
END_TEST

/* Every proper prefix of a record is corrupt (or a shorter valid one). */
START_TEST(test_rec_truncated)
{
	const char *vals[16];
	size_t lens[16], len, cut;
	struct vudb__rec r, d;
	unsigned char *buf;
	int rc;

	make_user(&r);
	ck_assert_int_eq(vudb__rec_encode(&r, &buf, &len), VUDB_OK);
	for (cut = 0; cut < len; cut++) {
		rc = vudb__rec_decode(buf, cut, VUDB_USER, &d);
		/* a cut exactly between fields is a valid, shorter record */
		ck_assert(rc == VUDB_ECORRUPT || (rc == VUDB_OK && d.n < 3));
		vudb__rec_clear(&d);
		ck_assert_int_eq(vudb__rec_scan(buf, cut, VUDB_USER, vals,
		    lens, 16), rc);
	}
	free(buf);
	vudb__rec_clear(&r);
}
END_TEST

static const struct {
	const char	*bytes;
	size_t		 len;
	int		 rc;
} damaged[] = {
	{ "", 0, VUDB_ECORRUPT },
	{ "V", 1, VUDB_ECORRUPT },
	{ "X\x01\x02", 3, VUDB_ECORRUPT },
	{ "V\x03\x02", 3, VUDB_EVERSION },
	{ "V\x02\x02", 3, VUDB_ECORRUPT },	/* version 2 without its checksum */
	{ "V\x00\x02", 3, VUDB_ECORRUPT },
	{ "V\x01\x02", 3, VUDB_OK },
	{ "V\x01\x02\x01\x05" "ab", 7, VUDB_ECORRUPT },	/* overlong len */
	{ "V\x01\x02\x00\x01" "a", 6, VUDB_ECORRUPT },	/* tag 0 */
	{ "V\x01\x02\x01\x01" "a\x01\x01" "b", 9, VUDB_ECORRUPT }, /* dup */
	{ "V\x01\x02\x01\x02" "a\0", 7, VUDB_ECORRUPT },	/* NUL */
	{ "V\x01\x02\x81\x81\x81\x81\x81\x01", 10, VUDB_ECORRUPT },
	{ "V\x01\x02\x01\xff\xff\xff\xff\x0f", 10, VUDB_ECORRUPT },
	{ "V\x01\x02\x0b\x03" "abc", 8, VUDB_OK },
	{ "V\x01\x02\x49\x00\x49\x00", 7, VUDB_ECORRUPT },	/* dup, new tag */
	{ "V\x01\x02\xbc\x00\x00", 6, VUDB_OK },		/* overlong tag */
};

START_TEST(test_rec_damaged)
{
	const char *vals[16];
	size_t lens[16];
	struct vudb__rec d;

	ck_assert_int_eq(vudb__rec_decode(damaged[_i].bytes, damaged[_i].len,
	    VUDB_USER, &d), damaged[_i].rc);
	vudb__rec_clear(&d);
	ck_assert_int_eq(vudb__rec_scan(damaged[_i].bytes, damaged[_i].len,
	    VUDB_USER, vals, lens, 16), damaged[_i].rc);
}
END_TEST

START_TEST(test_rec_limits)
{
	struct vudb__rec r;
	unsigned char *buf;
	char *big;
	size_t len;
	unsigned int t;

	vudb__rec_init(&r, VUDB_ALIAS);
	for (t = 1; t <= VUDB__REC_MAXF; t++)
		ck_assert_int_eq(vudb__rec_set(&r, t, "x"), VUDB_OK);
	ck_assert_int_eq(vudb__rec_set(&r, t, "x"), VUDB_EINVAL);
	vudb__rec_clear(&r);
	big = malloc(VUDB__REC_MAXLEN + 1);
	memset(big, 'a', VUDB__REC_MAXLEN);
	big[VUDB__REC_MAXLEN] = '\0';
	ck_assert_int_eq(vudb__rec_set(&r, 1, big), VUDB_OK);
	ck_assert_int_eq(vudb__rec_encode(&r, &buf, &len), VUDB_EINVAL);
	vudb__rec_clear(&r);
	free(big);
}
END_TEST

START_TEST(test_attrs_tables_unique)
{
	static const int types[] = { VUDB_DOMAIN, VUDB_USER, VUDB_ALIAS,
	    VUDB_RELOCATED, VUDB_SENDER, VUDB__REC_COUNTERS };
	const struct vudb__attr *a;
	size_t i, j, k, n;

	for (k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
		a = vudb__attrs(types[k], &n);
		ck_assert_ptr_nonnull(a);
		for (i = 0; i < n; i++) {
			ck_assert_ptr_eq(vudb__attr_byname(types[k], a[i].name),
			    &a[i]);
			ck_assert_ptr_eq(vudb__attr_bytag(types[k], a[i].tag),
			    &a[i]);
			for (j = i + 1; j < n; j++)
				ck_assert(a[i].tag != a[j].tag &&
				    strcmp(a[i].name, a[j].name) != 0);
		}
	}
	ck_assert_ptr_null(vudb__attrs(99, &n));
	ck_assert_ptr_null(vudb__attr_byname(VUDB_USER, "nosuch"));
}
END_TEST

static const struct {
	enum vudb__kind	 kind;
	const char	*in;
	const char	*want;		/* NULL: refused */
} values[] = {
	{ VUDB__K_SIZE, "10G", "10737418240" },
	{ VUDB__K_SIZE, "500M", "524288000" },
	{ VUDB__K_SIZE, "500MB", "524288000" },
	{ VUDB__K_SIZE, "1k", "1024" },
	{ VUDB__K_SIZE, "123", "123" },
	{ VUDB__K_SIZE, "unlimited", "0" },
	{ VUDB__K_SIZE, "-1", NULL },
	{ VUDB__K_SIZE, "1.5G", NULL },
	{ VUDB__K_SIZE, "99999999999999999999", NULL },
	{ VUDB__K_SIZE, "17000000T", NULL },
	{ VUDB__K_SIZE, "", NULL },
	{ VUDB__K_SIZE, "G", NULL },
	{ VUDB__K_BOOL, "Yes", "yes" },
	{ VUDB__K_BOOL, "off", "no" },
	{ VUDB__K_BOOL, "maybe", NULL },
	{ VUDB__K_ID, "5000", "5000" },
	{ VUDB__K_ID, "0005", "5" },
	{ VUDB__K_ID, "4294967295", NULL },
	{ VUDB__K_ID, "x", NULL },
	{ VUDB__K_SERVICES, "IMAP,pop3", "imap,pop3" },
	{ VUDB__K_SERVICES, "lmtp,imap", "imap,lmtp" },
	{ VUDB__K_SERVICES, "all", "imap,pop3,sieve,submission,lmtp" },
	{ VUDB__K_SERVICES, "none", "none" },
	{ VUDB__K_SERVICES, "imap,", NULL },
	{ VUDB__K_SERVICES, "ftp", NULL },
	{ VUDB__K_SERVICES, "", NULL },
	{ VUDB__K_PATH, "/var/vmail", "/var/vmail" },
	{ VUDB__K_PATH, "var/vmail", NULL },
	{ VUDB__K_PATH, "/var/../etc", NULL },
	{ VUDB__K_PATH, "/var/..", NULL },
	{ VUDB__K_PATH, "/var/\nx", NULL },
	{ VUDB__K_RELPATH, "a/b/", "a/b/" },
	{ VUDB__K_RELPATH, "/a", NULL },
	{ VUDB__K_RELPATH, "../a", NULL },
	{ VUDB__K_RELPATH, "x/..", NULL },
	{ VUDB__K_ADDRLIST, " A@X.example ,b@y.example,a@x.example",
	    "a@x.example,b@y.example" },
	{ VUDB__K_ADDRLIST, "a@x.example,", NULL },
	{ VUDB__K_ADDRLIST, "a", NULL },
	{ VUDB__K_ADDRLIST, "a@", NULL },
	{ VUDB__K_ADDRLIST, "a@b@c", NULL },
	{ VUDB__K_DEST, "New@Other.example", "new@other.example" },
	{ VUDB__K_DEST, "moved, ask the office", "moved, ask the office" },
	{ VUDB__K_SCHEME, "sha512-crypt", "SHA512-CRYPT" },
	{ VUDB__K_SCHEME, "MD5-CRYPT", NULL },
	{ VUDB__K_DELIM, "+-", "+-" },
	{ VUDB__K_DELIM, "a", NULL },
	{ VUDB__K_DELIM, "@", NULL },
	{ VUDB__K_DELIM, "none", "" },
	{ VUDB__K_DOMAIN, "Pc1.Example", "pc1.example" },
	{ VUDB__K_DOMAIN, "../etc", NULL },
	{ VUDB__K_HASH, "{SHA512-CRYPT}$6$x$y", "{SHA512-CRYPT}$6$x$y" },
	{ VUDB__K_HASH, "plaintext", NULL },
	{ VUDB__K_TEXT, "Matsui Taro", "Matsui Taro" },
	{ VUDB__K_TEXT, "a\tb", NULL },
	{ VUDB__K_KIND, "alias", "alias" },
	{ VUDB__K_KIND, "other", NULL },
};

START_TEST(test_value_norm)
{
	const char *why;
	char *out;
	int rc;

	rc = vudb__value_norm(values[_i].kind, values[_i].in, &out, &why);
	if (values[_i].want == NULL) {
		ck_assert_msg(rc == VUDB_EINVAL, "%s accepted as %s",
		    values[_i].in, out);
		ck_assert_ptr_null(out);
		ck_assert_ptr_nonnull(why);
	} else {
		ck_assert_msg(rc == VUDB_OK, "%s refused: %s", values[_i].in,
		    why);
		ck_assert_str_eq(out, values[_i].want);
		free(out);
	}
}
END_TEST

Suite *
check_suite(void)
{
	Suite *s = suite_create("record");
	TCase *tc;

	tc = tcase_create("vudb__rec");
	tcase_add_test(tc, test_rec_roundtrip);
	tcase_add_test(tc, test_rec_unknown_fields_survive);
	tcase_add_test(tc, test_rec_truncated);
	tcase_add_loop_test(tc, test_rec_damaged, 0,
	    (int)(sizeof(damaged) / sizeof(damaged[0])));
	tcase_add_test(tc, test_rec_limits);
	suite_add_tcase(s, tc);
	tc = tcase_create("vudb__value_norm");
	tcase_add_test(tc, test_attrs_tables_unique);
	tcase_add_loop_test(tc, test_value_norm, 0,
	    (int)(sizeof(values) / sizeof(values[0])));
	suite_add_tcase(s, tc);
	return s;
}
