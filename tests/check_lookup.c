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
#include <time.h>
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

#define LOOK(h, map, key, want) do {					\
	char *g_ = tu_lookup(h, map, key);				\
	ck_assert_str_eq(g_, want);					\
	free(g_);							\
} while (0)

static struct vudb_cache_stats
stats(struct vudb *h)
{
	struct vudb_cache_stats st;

	ck_assert_int_eq(vudb_cache_stats(h, &st), VUDB_OK);
	return st;
}

static long
coarse_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (long)ts.tv_sec;
}

/*
 * Two cached handles of a store in one process share one answer cache
 * (issue 17, item 2): a key one filled is answered to the other, a change
 * is seen by both at once, and what only one handle noticed (a hand edit
 * of vudb.conf, a flush) is not answered from before by the other.
 */
START_TEST(test_lookup_shared_cache)
{
	struct vudb *a, *b, *db, *plain;
	struct vudb_cache_stats sa, sb;
	unsigned long long h0, m0;
	char orig[8192], *path;
	FILE *fp;
	int tries;

	if (!tu_is_dir())
		return;		/* a server's store keeps no answers */
	a = tu_open(store, VUDB_RDONLY | VUDB_CACHE);
	b = tu_open(store, VUDB_RDONLY | VUDB_CACHE);
	plain = tu_open(store, VUDB_RDONLY);
	db = tu_open(store, 0);
	sa = stats(a);
	ck_assert_uint_eq(sa.handles, 2);
	ck_assert_uint_eq(sa.limit, 33554432);
	ck_assert_uint_eq(stats(plain).limit, 0);
	ck_assert_int_eq(vudb_cache_stats(NULL, &sa), VUDB_EINVAL);
	/* filled by a, answered to b */
	h0 = sa.hits;
	m0 = sa.misses;
	LOOK(a, "mailbox", "matsui@pc1.example", "pc1.example/matsui/Maildir/");
	LOOK(a, "mailbox", "shared@pc1.example", "");
	sa = stats(a);
	ck_assert_uint_eq(sa.misses, m0 + 2);
	ck_assert_uint_eq(sa.hits, h0);
	LOOK(b, "mailbox", "matsui@pc1.example", "pc1.example/matsui/Maildir/");
	LOOK(b, "mailbox", "shared@pc1.example", "");
	sb = stats(b);
	ck_assert_uint_eq(sb.hits, h0 + 2);
	ck_assert_uint_eq(sb.misses, m0 + 2);
	ck_assert_uint_eq(sb.bytes, sa.bytes);
	/* a change is seen by both, the negative answer too */
	ADD(VUDB_USER, "shared@pc1.example", NULL);
	LOOK(b, "mailbox", "shared@pc1.example",
	    "pc1.example/shared/Maildir/");
	LOOK(a, "mailbox", "shared@pc1.example",
	    "pc1.example/shared/Maildir/");
	ck_assert_uint_eq(stats(a).hits, h0 + 3);
	ck_assert_int_eq(vudb_del(db, VUDB_USER, "shared@pc1.example"),
	    VUDB_OK);
	LOOK(a, "mailbox", "shared@pc1.example", "");
	LOOK(b, "mailbox", "shared@pc1.example", "");
	/* a flush by one handle: the other answers nothing kept before */
	sb = stats(b);
	vudb__cache_flush(a);
	LOOK(b, "mailbox", "matsui@pc1.example", "pc1.example/matsui/Maildir/");
	ck_assert_uint_eq(stats(b).misses, sb.misses + 1);
	ck_assert_uint_eq(stats(b).hits, sb.hits);
	/* a hand edit of vudb.conf that a noticed (its once-a-second
	 * look) and b would not look for until the next second: b's
	 * next answer is not from before it */
	path = tu_path(store, "vudb.conf");
	ck_assert_ptr_nonnull(fp = fopen(path, "r"));
	orig[fread(orig, 1, sizeof(orig) - 1, fp)] = '\0';
	fclose(fp);
	for (tries = 0; tries < 5; tries++) {
		long s;

		s = coarse_sec();
		while (coarse_sec() == s)
			usleep(1000);
		s = coarse_sec();
		/* both look at the file in second s, then keep uid */
		LOOK(b, "uid", "matsui@pc1.example", tries % 2 ? "4646" :
		    "5000");
		LOOK(a, "uid", "matsui@pc1.example", tries % 2 ? "4646" :
		    "5000");
		LOOK(b, "uid", "matsui@pc1.example", tries % 2 ? "4646" :
		    "5000");
		LOOK(b, "uid", "postmaster@pc2.example", tries % 2 ? "4646" :
		    "5000");
		ck_assert_ptr_nonnull(fp = fopen(path, "w"));
		fputs(orig, fp);
		if (tries % 2 == 0)
			fputs("uid = 4646\n", fp);
		fclose(fp);
		/* a is asked first in the next second: it notices */
		while (coarse_sec() == s)
			usleep(1000);
		s = coarse_sec();
		LOOK(a, "uid", "matsui@pc1.example", tries % 2 ? "5000" :
		    "4646");
		LOOK(b, "uid", "matsui@pc1.example", tries % 2 ? "5000" :
		    "4646");
		/* a key a did not fill since: b's own settings */
		LOOK(b, "uid", "postmaster@pc2.example", tries % 2 ? "5000" :
		    "4646");
		if (coarse_sec() == s)
			break;	/* b did not look itself: the test held */
	}
	ck_assert_int_lt(tries, 5);
	ck_assert_int_eq(vudb_setting_set(db, "uid", NULL), VUDB_OK);
	free(path);
	vudb_close(a);
	ck_assert_uint_eq(stats(b).handles, 1);
	vudb_close(b);
	vudb_close(plain);
	vudb_close(db);
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
	tcase_add_test(tc, test_lookup_shared_cache);
	suite_add_tcase(s, tc);
	return s;
}
