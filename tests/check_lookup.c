/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * check_lookup.c - the lookup-semantics suite: one table of (map, key,
 * expected answer) cases over a store that holds the situations Postfix
 * meets: the same user name in two domains, address extensions, a
 * catch-all beside mailboxes, aliases and relocated entries, alias domains,
 * disabled users and domains, bare-domain keys, IDN, and malformed keys.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "testutil.h"
#include "vudb_private.h"
#include "tests/check_main.h"

static char *store;

#define ADD(type, name, ...) do {					\
	const char *a_[] = { __VA_ARGS__, NULL };			\
	int rc_ = vudb_add(db, type, name, a_[0] ? a_ : NULL);		\
	ck_assert_msg(rc_ == VUDB_OK, "add %s: %s", name, vudb_errmsg(db)); \
} while (0)
#define SET(type, name, ...) do {					\
	const char *a_[] = { __VA_ARGS__, NULL };			\
	int rc_ = vudb_update(db, type, name, a_);			\
	ck_assert_msg(rc_ == VUDB_OK, "set %s: %s", name, vudb_errmsg(db)); \
} while (0)

static void
build_store(void)
{
	struct vudb *db;

	store = tu_store();
	db = tu_open(store, VUDB_CREATE);
	/* two domains, one user name */
	ADD(VUDB_DOMAIN, "pc1.example", NULL);
	ADD(VUDB_DOMAIN, "PC2.Example", NULL);
	ADD(VUDB_USER, "matsui@pc1.example", "password", TEST_HASH_SECRET);
	ADD(VUDB_USER, "Matsui@PC2.example", "password", TEST_HASH_SECRET,
	    "uid", "7002", "gid", "8002");
	ADD(VUDB_USER, "sato@pc1.example", "enabled", "no");
	ADD(VUDB_USER, "nomail@pc1.example", "receive", "no");
	ADD(VUDB_USER, "custom@pc1.example", "maildir", "custom/dir/",
	    "uid", "1234");
	ADD(VUDB_USER, "postmaster@pc2.example", NULL);
	ADD(VUDB_USER, "x+y@pc1.example", NULL);
	/* aliases, one with an extension of its own */
	ADD(VUDB_ALIAS, "info@pc1.example", "dest", "matsui@pc1.example");
	ADD(VUDB_ALIAS, "team@pc1.example", "dest",
	    "matsui@pc1.example, sato@pc1.example,ext@other.example");
	ADD(VUDB_ALIAS, "matsui+lists@pc1.example", "dest",
	    "lists@other.example");
	ADD(VUDB_RELOCATED, "old@pc1.example", "dest", "new@other.example");
	ADD(VUDB_RELOCATED, "moved@pc2.example", "dest",
	    "moved to new@other.example");
	/* a catch-all beside a mailbox, an alias and a relocated entry */
	ADD(VUDB_ALIAS, "@pc2.example", "dest", "postmaster@pc2.example");
	ADD(VUDB_ALIAS, "sales@pc2.example", "dest", "matsui@pc2.example");
	/* send-as grants */
	ADD(VUDB_SENDER, "boss@pc1.example", "logins",
	    "matsui@pc1.example,sato@pc1.example");
	ADD(VUDB_SENDER, "info@pc1.example", "logins", "custom@pc1.example");
	/* an alias domain */
	ADD(VUDB_DOMAIN, "alias.example", "target", "pc1.example");
	/* a disabled domain */
	ADD(VUDB_DOMAIN, "off.example", NULL);
	ADD(VUDB_USER, "matsui@off.example", NULL);
	SET(VUDB_DOMAIN, "off.example", "enabled", "no");
	/* a domain that refuses catch-alls, and one with "-" delimiters */
	ADD(VUDB_DOMAIN, "nocatch.example", "uid", "6000");
	ADD(VUDB_USER, "a@nocatch.example", NULL);
	ADD(VUDB_ALIAS, "@nocatch.example", "dest", "a@nocatch.example");
	SET(VUDB_DOMAIN, "nocatch.example", "catchall", "no");
	ADD(VUDB_DOMAIN, "delim.example", "recipient_delimiter", "-+");
	ADD(VUDB_USER, "a@delim.example", NULL);
	ADD(VUDB_ALIAS, "b@delim.example", "dest", "a@delim.example");
	/* an internationalized domain */
	ADD(VUDB_DOMAIN, "b\xc3\xbc" "cher.example", NULL);
	ADD(VUDB_USER, "matsui@xn--bcher-kva.example", NULL);
	vudb_close(db);
}

static void
remove_store(void)
{
	tu_rmtree(store);
	free(store);
}

static const struct {
	const char	*map;
	const char	*key;
	const char	*want;		/* NULL: not found */
} cases[] = {
	/* the same name in two domains, mixed case, extensions */
	{ "mailbox", "matsui@pc1.example", "pc1.example/matsui/Maildir/" },
	{ "mailbox", "matsui@pc2.example", "pc2.example/matsui/Maildir/" },
	{ "mailbox", "Matsui+tag@PC2.example", "pc2.example/matsui/Maildir/" },
	{ "mailbox", "MATSUI@Pc1.Example", "pc1.example/matsui/Maildir/" },
	{ "mailbox", "matsui+a+b@pc1.example", "pc1.example/matsui/Maildir/" },
	{ "mailbox", "x+y@pc1.example", "pc1.example/x+y/Maildir/" },
	{ "mailbox", "x+z@pc1.example", NULL },
	{ "mailbox", "nobody@pc1.example", NULL },
	{ "mailbox", "matsui@pc3.example", NULL },
	{ "mailbox", "custom@pc1.example", "custom/dir/" },
	{ "mailbox", "sato@pc1.example", NULL },		/* disabled */
	{ "mailbox", "nomail@pc1.example", NULL },	/* receive no */
	{ "mailbox", "info@pc1.example", NULL },		/* an alias */
	{ "mailbox", "+tag@pc1.example", NULL },
	{ "mailbox", "matsui@alias.example", NULL },
	{ "mailbox", "matsui@off.example", NULL },
	{ "mailbox", "a-x@delim.example", "delim.example/a/Maildir/" },
	{ "mailbox", "a+x@delim.example", "delim.example/a/Maildir/" },
	{ "mailbox", "matsui@B\xc3\x9c" "CHER.example",
	    "xn--bcher-kva.example/matsui/Maildir/" },
	{ "mailbox", "matsui@xn--bcher-kva.example",
	    "xn--bcher-kva.example/matsui/Maildir/" },
	/* bare domains */
	{ "mailbox", "pc1.example", "pc1.example" },
	{ "mailbox", "PC2.EXAMPLE", "pc2.example" },
	{ "mailbox", "alias.example", NULL },
	{ "mailbox", "off.example", NULL },
	{ "mailbox", "unknown.example", NULL },
	{ "domain", "pc1.example", "pc1.example" },
	{ "domain", "Pc2.Example", "pc2.example" },
	{ "domain", "alias.example", NULL },
	{ "domain", "off.example", NULL },
	{ "domain", "matsui@pc1.example", NULL },
	{ "domain", "b\xc3\xbc" "cher.example", "xn--bcher-kva.example" },
	{ "alias", "alias.example", "alias.example" },
	{ "alias", "pc1.example", NULL },
	{ "alias", "pc2.example", NULL },
	/* aliases: extensions re-appended only to stripped matches */
	{ "alias", "info@pc1.example", "matsui@pc1.example" },
	{ "alias", "Info+Tag@PC1.example", "matsui+tag@pc1.example" },
	{ "alias", "team@pc1.example",
	    "matsui@pc1.example,sato@pc1.example,ext@other.example" },
	{ "alias", "team+x@pc1.example",
	    "matsui+x@pc1.example,sato+x@pc1.example,ext+x@other.example" },
	{ "alias", "matsui+lists@pc1.example", "lists@other.example" },
	{ "alias", "matsui+other@pc1.example", NULL },
	{ "alias", "matsui@pc1.example", NULL },
	{ "alias", "nobody@pc1.example", NULL },	/* no catch-all */
	/* the catch-all never shadows a mailbox, alias or relocated entry */
	{ "alias", "random@pc2.example", "postmaster@pc2.example" },
	{ "alias", "random+x@pc2.example", "postmaster+x@pc2.example" },
	{ "alias", "matsui@pc2.example", NULL },
	{ "alias", "Matsui+tag@PC2.example", NULL },
	{ "alias", "postmaster@pc2.example", NULL },
	{ "alias", "sales@pc2.example", "matsui@pc2.example" },
	{ "alias", "sales+q@pc2.example", "matsui+q@pc2.example" },
	{ "alias", "moved@pc2.example", NULL },
	{ "alias", "moved+x@pc2.example", NULL },
	{ "alias", "x@nocatch.example", NULL },		/* catchall = no */
	/* alias domains map local@alias to local@target */
	{ "alias", "matsui@alias.example", "matsui@pc1.example" },
	{ "alias", "Matsui+t@Alias.Example", "matsui+t@pc1.example" },
	{ "alias", "anyone@alias.example", "anyone@pc1.example" },
	{ "alias", "b-x@delim.example", "a-x@delim.example" },
	{ "alias", "matsui@off.example", NULL },
	/* relocated */
	{ "relocated", "old@pc1.example", "new@other.example" },
	{ "relocated", "Old+x@pc1.example", "new@other.example" },
	{ "relocated", "moved@pc2.example", "moved to new@other.example" },
	{ "relocated", "matsui@pc1.example", NULL },
	/* senders: the owner, alias owners, grants */
	{ "sender", "matsui@pc1.example", "matsui@pc1.example" },
	{ "sender", "matsui+tag@pc1.example", "matsui@pc1.example" },
	{ "sender", "Matsui@PC2.example", "matsui@pc2.example" },
	{ "sender", "info@pc1.example",
	    "matsui@pc1.example,custom@pc1.example" },
	{ "sender", "boss@pc1.example", "matsui@pc1.example,sato@pc1.example" },
	{ "sender", "matsui@alias.example", "matsui@pc1.example" },
	{ "sender", "random@pc2.example", NULL },	/* catch-all: no */
	{ "sender", "nobody@pc1.example", NULL },
	{ "sender", "pc1.example", NULL },
	/* uid and gid: the user's, the domain's, the store's */
	{ "uid", "matsui@pc2.example", "7002" },
	{ "gid", "matsui+x@pc2.example", "8002" },
	{ "uid", "matsui@pc1.example", "5000" },
	{ "gid", "matsui@pc1.example", "5000" },
	{ "uid", "custom@pc1.example", "1234" },
	{ "uid", "a@nocatch.example", "6000" },
	{ "uid", "nobody@pc1.example", NULL },
	{ "uid", "pc1.example", NULL },
	/* malformed and odd keys are "not found", never an error */
	{ "mailbox", "", NULL },
	{ "mailbox", "@", NULL },
	{ "mailbox", "@pc1.example", NULL },
	{ "mailbox", "matsui@", NULL },
	{ "mailbox", "matsui@@pc1.example", NULL },
	{ "mailbox", "mat sui@pc1.example", NULL },
	{ "mailbox", "matsui@pc1.example.", NULL },
	{ "mailbox", "matsui@[127.0.0.1]", NULL },
	{ "mailbox", "../../etc/passwd@pc1.example", NULL },
	{ "mailbox", "matsui@../pc1.example", NULL },
	{ "mailbox", "matsui@pc1.example/../x", NULL },
	{ "mailbox", "m\xff" "atsui@pc1.example", NULL },
	{ "mailbox", "matsui@pc\xc3" "1.example", NULL },
	{ "mailbox", "a..b@pc1.example", NULL },
	{ "mailbox", ".matsui@pc1.example", NULL },
	{ "mailbox", "matsui\r\n@pc1.example", NULL },
	{ "mailbox", "%6datsui@pc1.example", NULL },
	{ "alias", "\"quoted\"@pc1.example", NULL },
	{ "domain", "..", NULL },
	{ "domain", "-bad.example", NULL },
	{ "relocated", "@pc2.example", NULL },
};

START_TEST(test_lookup_table)
{
	struct vudb *db = tu_open(store, VUDB_RDONLY);
	char *got;

	got = tu_lookup(db, cases[_i].map, cases[_i].key);
	if (cases[_i].want == NULL)
		ck_assert_msg(got[0] == '\0', "%s %s: want not found, got %s",
		    cases[_i].map, cases[_i].key, got);
	else
		ck_assert_msg(strcmp(got, cases[_i].want) == 0,
		    "%s %s: want %s, got %s", cases[_i].map, cases[_i].key,
		    cases[_i].want, got[0] ? got : "(not found)");
	free(got);
	vudb_close(db);
}
END_TEST

START_TEST(test_lookup_oversized_keys)
{
	struct vudb *db = tu_open(store, VUDB_RDONLY);
	char key[2000], *got;

	/* a 65-octet local part, a 254-octet domain, a 1999-octet key */
	memset(key, 'a', 65);
	strcpy(key + 65, "@pc1.example");
	got = tu_lookup(db, "mailbox", key);
	ck_assert_str_eq(got, "");
	free(got);
	memset(key, 'a', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	key[10] = '@';
	got = tu_lookup(db, "mailbox", key);
	ck_assert_str_eq(got, "");
	free(got);
	got = tu_lookup(db, "domain", key + 11);
	ck_assert_str_eq(got, "");
	free(got);
	vudb_close(db);
}
END_TEST

START_TEST(test_lookup_unknown_map)
{
	struct vudb *db = tu_open(store, VUDB_RDONLY);
	char *answer = (char *)1;

	ck_assert_int_eq(vudb_lookup(db, "mailboxes", "matsui@pc1.example",
	    &answer), VUDB_ENOMAP);
	ck_assert_ptr_null(answer);
	ck_assert_int_eq(vudb_lookup(db, NULL, "x", &answer), VUDB_ENOMAP);
	ck_assert_int_eq(vudb_lookup(db, "mailbox", NULL, &answer),
	    VUDB_ENOTFOUND);
	ck_assert_int_eq(vudb_lookup(NULL, "mailbox", "x", &answer),
	    VUDB_EINVAL);
	ck_assert_int_eq(vudb_lookup(db, "mailbox", "x", NULL), VUDB_EINVAL);
	ck_assert_int_eq(vudb_map_valid("sender"), 1);
	ck_assert_int_eq(vudb_map_valid("Sender"), 0);
	vudb_close(db);
}
END_TEST

/* A change by a writer is answered on the next lookup, without reopening. */
START_TEST(test_lookup_sees_changes)
{
	struct vudb *rd = tu_open(store, VUDB_RDONLY);
	struct vudb *db = tu_open(store, 0);
	char *got;

	got = tu_lookup(rd, "mailbox", "new@pc1.example");
	ck_assert_str_eq(got, "");
	free(got);
	ADD(VUDB_USER, "new@pc1.example", NULL);
	got = tu_lookup(rd, "mailbox", "new@pc1.example");
	ck_assert_str_eq(got, "pc1.example/new/Maildir/");
	free(got);
	/* domain records are cached by readers: the generation tells them */
	SET(VUDB_DOMAIN, "pc1.example", "enabled", "no");
	got = tu_lookup(rd, "mailbox", "new@pc1.example");
	ck_assert_str_eq(got, "");
	free(got);
	SET(VUDB_DOMAIN, "pc1.example", "enabled", "yes");
	got = tu_lookup(rd, "mailbox", "new@pc1.example");
	ck_assert_str_eq(got, "pc1.example/new/Maildir/");
	free(got);
	/* store settings too */
	ck_assert_int_eq(vudb_setting_set(db, "uid", "4242"), VUDB_OK);
	got = tu_lookup(rd, "uid", "new@pc1.example");
	ck_assert_str_eq(got, "4242");
	free(got);
	ck_assert_int_eq(vudb_setting_set(db, "uid", NULL), VUDB_OK);
	ck_assert_int_eq(vudb_setting_set(db, "recipient_delimiter", "-"),
	    VUDB_OK);
	got = tu_lookup(rd, "mailbox", "new-x@pc1.example");
	ck_assert_str_eq(got, "pc1.example/new/Maildir/");
	free(got);
	got = tu_lookup(rd, "mailbox", "new+x@pc1.example");
	ck_assert_str_eq(got, "");
	free(got);
	ck_assert_int_eq(vudb_setting_set(db, "recipient_delimiter", NULL),
	    VUDB_OK);
	/* a hand edit of vudb.conf is seen within a second or so (a
	 * server's store: tests/pgsql-bad.sh) */
	if (tu_is_dir()) {
		char *path = tu_path(store, "vudb.conf");
		FILE *fp = fopen(path, "a");

		ck_assert_ptr_nonnull(fp);
		fputs("uid = 4343\n", fp);
		fclose(fp);
		usleep(2100000);
		got = tu_lookup(rd, "uid", "new@pc1.example");
		ck_assert_str_eq(got, "4343");
		free(got);
		ck_assert_int_eq(vudb_setting_set(db, "uid", NULL), VUDB_OK);
		free(path);
	}
	ck_assert_int_eq(vudb_del(db, VUDB_USER, "new@pc1.example"), VUDB_OK);
	got = tu_lookup(rd, "mailbox", "new@pc1.example");
	ck_assert_str_eq(got, "");
	free(got);
	vudb_close(db);
	vudb_close(rd);
}
END_TEST

Suite *
check_suite(void)
{
	Suite *s = suite_create("lookup");
	TCase *tc;

	tc = tcase_create("vudb_lookup");
	tcase_add_unchecked_fixture(tc, build_store, remove_store);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_lookup_table, 0,
	    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_lookup_oversized_keys);
	tcase_add_test(tc, test_lookup_unknown_map);
	tcase_add_test(tc, test_lookup_sees_changes);
	suite_add_tcase(s, tc);
	return s;
}
