/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * check_api.c - the public API end to end: every function's bad inputs
 * (NULL, empty, too long, path traversal, invalid UTF-8), store opening,
 * settings, domain life cycle, limits, batches, passwords, vudb_add_user
 * and vudb_auth, atomic send-as grants, objects, effective names and
 * lists, damaged records and files (a failure, never "not found", and
 * only in the damaged domain), and readers that do not wait behind a
 * writer.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "testutil.h"
#include "vudb_private.h"
#include "tests/check_main.h"

static char *dir;
static struct vudb *db;

/* AddressSanitizer: a failed allocation returns NULL, as it does in libc
 * (test_auth_without_memory_is_temporary) */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

static const char *const pw_attrs[] = { "password", TEST_HASH_SECRET, NULL };

static void
setup(void)
{
	dir = tu_store();
	db = tu_open(dir, VUDB_CREATE);
	ck_assert_int_eq(vudb_add(db, VUDB_DOMAIN, "pc1.example", NULL), 0);
	ck_assert_int_eq(vudb_add(db, VUDB_DOMAIN, "pc2.example", NULL), 0);
	ck_assert_int_eq(vudb_add(db, VUDB_USER, "matsui@pc1.example",
	    pw_attrs), 0);
	ck_assert_int_eq(vudb_add(db, VUDB_USER, "matsui@pc2.example", NULL),
	    0);
}

static void
teardown(void)
{
	vudb_close(db);
	tu_rmtree(dir);
	free(dir);
}

/* ------------------------------------------------------------ open */

START_TEST(test_open_bad_arguments)
{
	struct vudb *h = (struct vudb *)1;
	char *p;

	ck_assert_int_eq(vudb_open(dir, 0, NULL), VUDB_EINVAL);
	ck_assert_int_eq(vudb_open(dir, 0x80, &h), VUDB_EINVAL);
	ck_assert_ptr_null(h);
	ck_assert_int_eq(vudb_open(dir, VUDB_RDONLY | VUDB_CREATE, &h),
	    VUDB_EINVAL);
	ck_assert_int_eq(vudb_open("", 0, &h), VUDB_EINVAL);
	ck_assert_int_eq(vudb_open("bdb:", 0, &h), VUDB_EINVAL);
	ck_assert_int_eq(vudb_open("nosuch:/tmp/x", 0, &h), VUDB_EINVAL);
	ck_assert_ptr_nonnull(strstr(vudb_open_errmsg(), "unknown backend"));
#ifndef WITH_LMDB
	ck_assert_int_eq(vudb_open("lmdb:/tmp/x", 0, &h), VUDB_ENOTSUP);
	ck_assert_ptr_nonnull(strstr(vudb_open_errmsg(), "not compiled in"));
#endif
#if defined(WITH_LMDB) && defined(WITH_BDB)
	if (!tu_is_dir())
		goto server;
	/* a URL must name the store's own backend */
	ck_assert(asprintf(&p, "%s:%s", strcmp(tu_backend(), "bdb") == 0 ?
	    "lmdb" : "bdb", dir) > 0);
	ck_assert_int_eq(vudb_open(p, 0, &h), VUDB_EINVAL);
	ck_assert_ptr_nonnull(strstr(vudb_open_errmsg(), "store, not"));
	free(p);
	ck_assert(asprintf(&p, "%s:%s", tu_backend(), dir) > 0);
	ck_assert_int_eq(vudb_open(p, 0, &h), VUDB_OK);
	vudb_close(h);
	free(p);
	ck_assert_int_eq(vudb_setting_set(db, "backend", "lmdb"), VUDB_EINVAL);
#endif
	if (!tu_is_dir()) {
server:		/* a server's store: tests/pgsql-bad.sh has the others */
		ck_assert_int_eq(vudb_setting_set(db, "backend", "lmdb"),
		    VUDB_EINVAL);
		setenv("VUDB_STORE", dir, 1);
		ck_assert_int_eq(vudb_open(NULL, VUDB_RDONLY, &h), VUDB_OK);
		ck_assert_str_eq(vudb_store_backend(h), "pgsql");
		vudb_close(h);
		return;
	}
	p = tu_path(dir, "nostore");
	ck_assert_int_eq(vudb_open(p, 0, &h), VUDB_ENOSTORE);
	ck_assert_int_eq(vudb_open(p, VUDB_RDONLY, &h), VUDB_ENOSTORE);
	ck_assert_ptr_nonnull(strstr(vudb_open_errmsg(), "vudbadm init"));
	free(p);
	p = tu_path(dir, "no/such/parent");
	ck_assert_int_eq(vudb_open(p, VUDB_CREATE, &h), VUDB_ENOSTORE);
	free(p);
	ck_assert_ptr_null(h);
	/* $VUDB_STORE names the default store */
	setenv("VUDB_STORE", dir, 1);
	ck_assert_int_eq(vudb_open(NULL, VUDB_RDONLY, &h), VUDB_OK);
	vudb_close(h);
	ck_assert_str_eq(vudb_version(NULL, NULL, NULL), VUDB_VERSION_STRING);
}
END_TEST

START_TEST(test_open_bad_conf)
{
	struct vudb *h;
	char *p = tu_path(dir, "vudb.conf");
	FILE *fp;

	if (!tu_is_dir()) {
		free(p);	/* no file: tests/pgsql-bad.sh */
		return;
	}
	ck_assert_ptr_nonnull(fp = fopen(p, "a"));
	fputs("uid = lots\n", fp);
	fclose(fp);
	ck_assert_int_eq(vudb_open(dir, VUDB_RDONLY, &h), VUDB_EINVAL);
	ck_assert_ptr_nonnull(strstr(vudb_open_errmsg(), "uid"));
	ck_assert_ptr_nonnull(fp = fopen(p, "w"));
	fputs("# comment\nfuture_setting = 1\n  uid=7\n", fp);
	fclose(fp);
	ck_assert_int_eq(vudb_open(dir, VUDB_RDONLY, &h), VUDB_OK);
	vudb_close(h);
	free(p);
}
END_TEST

START_TEST(test_open_rdonly_refuses_writes)
{
	struct vudb *r = tu_open(dir, VUDB_RDONLY);

	ck_assert_int_eq(vudb_add(r, VUDB_USER, "x@pc1.example", NULL),
	    VUDB_ERDONLY);
	ck_assert_int_eq(vudb_update(r, VUDB_USER, "matsui@pc1.example",
	    pw_attrs), VUDB_ERDONLY);
	ck_assert_int_eq(vudb_del(r, VUDB_USER, "matsui@pc1.example"),
	    VUDB_ERDONLY);
	ck_assert_int_eq(vudb_del(r, VUDB_DOMAIN, "pc1.example"),
	    VUDB_ERDONLY);
	ck_assert_int_eq(vudb_setting_set(r, "uid", "1"), VUDB_ERDONLY);
	ck_assert_int_eq(vudb_begin(r, "pc1.example"), VUDB_ERDONLY);
	ck_assert_str_eq(vudb_errmsg(r), "store opened read-only");
	vudb_close(r);
}
END_TEST

/* ------------------------------------------------------------ names */

static const struct {
	int		 type;
	const char	*name;
} bad_names[] = {
	{ VUDB_DOMAIN, NULL },
	{ VUDB_DOMAIN, "" },
	{ VUDB_DOMAIN, "../etc" },
	{ VUDB_DOMAIN, "a/b.example" },
	{ VUDB_DOMAIN, ".." },
	{ VUDB_DOMAIN, "x\xff.example" },
	{ VUDB_DOMAIN, "-x.example" },
	{ VUDB_DOMAIN, "x..example" },
	{ VUDB_DOMAIN, "x.example." },
	{ VUDB_DOMAIN, "x_y.example" },
	{ VUDB_DOMAIN, "[127.0.0.1]" },
	{ VUDB_USER, "matsui" },
	{ VUDB_USER, "@pc1.example" },
	{ VUDB_USER, "matsui@" },
	{ VUDB_USER, "../x@pc1.example" },
	{ VUDB_USER, "a/b@pc1.example" },
	{ VUDB_USER, "a b@pc1.example" },
	{ VUDB_USER, "a\x01@pc1.example" },
	{ VUDB_USER, "\xc3\x28@pc1.example" },
	{ VUDB_USER, "a,b@pc1.example" },
	{ VUDB_USER, ".a@pc1.example" },
	{ VUDB_USER, "a.@pc1.example" },
	{ VUDB_USER, "matsui@../pc1.example" },
	{ VUDB_SENDER, "@pc1.example" },
	{ 0, "matsui@pc1.example" },
	{ 9, "matsui@pc1.example" },
};

START_TEST(test_names_refused_everywhere)
{
	struct vudb_iter *it;
	struct vudb_obj *o;
	char *norm, *p;
	struct stat sb;
	int t = bad_names[_i].type;
	const char *n = bad_names[_i].name;

	ck_assert_ptr_nonnull(vudb_name_error(t, n));
	ck_assert_int_eq(vudb_normalize(t, n, &norm), VUDB_EINVAL);
	ck_assert_ptr_null(norm);
	ck_assert_int_eq(vudb_add(db, t, n, NULL), VUDB_EINVAL);
	ck_assert_int_eq(vudb_update(db, t, n, NULL), VUDB_EINVAL);
	ck_assert_int_eq(vudb_del(db, t, n), VUDB_EINVAL);
	ck_assert_int_eq(vudb_get(db, t, n, &o), VUDB_EINVAL);
	ck_assert_ptr_null(o);
	ck_assert_str_ne(vudb_errmsg(db), "");
	if (t == VUDB_DOMAIN) {
		ck_assert_int_eq(vudb_begin(db, n), VUDB_EINVAL);
		ck_assert_int_eq(vudb_list(db, VUDB_USER, n, &it),
		    VUDB_EINVAL);
		ck_assert_ptr_null(it);
	}
	if (t == VUDB_USER) {
		ck_assert_int_eq(vudb_set_password(db, n, "x"), VUDB_EINVAL);
		ck_assert_int_eq(vudb_auth(db, n, "x", NULL, &o), VUDB_EAUTH);
	}
	/* nothing was made outside the store */
	p = tu_path(dir, "../etc.db");
	ck_assert_int_ne(stat(p, &sb), 0);
	free(p);
}
END_TEST

START_TEST(test_names_too_long)
{
	char name[600], *norm;
	struct vudb_obj *o;

	memset(name, 'a', 64);
	strcpy(name + 64, "@pc1.example");
	ck_assert_int_eq(vudb_add(db, VUDB_USER, name, NULL), VUDB_OK);
	ck_assert_int_eq(vudb_get(db, VUDB_USER, name, &o), VUDB_OK);
	vudb_obj_free(o);
	memset(name, 'a', 65);
	strcpy(name + 65, "@pc1.example");
	ck_assert_int_eq(vudb_add(db, VUDB_USER, name, NULL), VUDB_EINVAL);
	/* a 63-octet label is fine, 64 is not; 253 octets in all at most */
	memset(name, 'b', 63);
	strcpy(name + 63, ".example");
	ck_assert_int_eq(vudb_normalize(VUDB_DOMAIN, name, &norm), VUDB_OK);
	free(norm);
	memset(name, 'b', 64);
	strcpy(name + 64, ".example");
	ck_assert_int_eq(vudb_normalize(VUDB_DOMAIN, name, &norm),
	    VUDB_EINVAL);
	memset(name, 'c', 599);
	name[599] = '\0';
	for (int i = 50; i < 599; i += 51)
		name[i] = '.';
	ck_assert_int_eq(vudb_add(db, VUDB_DOMAIN, name, NULL), VUDB_EINVAL);
}
END_TEST

START_TEST(test_normalize)
{
	char *norm;

	ck_assert_int_eq(vudb_normalize(VUDB_USER, "Matsui@PC1.Example",
	    &norm), VUDB_OK);
	ck_assert_str_eq(norm, "matsui@pc1.example");
	vudb_free(norm);
	ck_assert_int_eq(vudb_normalize(VUDB_DOMAIN, "B\xc3\x9c" "cher.example",
	    &norm), VUDB_OK);
	ck_assert_str_eq(norm, "xn--bcher-kva.example");
	vudb_free(norm);
	ck_assert_int_eq(vudb_normalize(VUDB_ALIAS, "@Pc1.example", &norm),
	    VUDB_OK);
	ck_assert_str_eq(norm, "@pc1.example");
	vudb_free(norm);
	ck_assert_int_eq(vudb_normalize(VUDB_USER, "x@y", NULL), VUDB_EINVAL);
	ck_assert_ptr_null(vudb_name_error(VUDB_USER, "a+b@c.example"));
}
END_TEST

/* ------------------------------------------------------------ entries */

START_TEST(test_entry_bad_attributes)
{
	static const char *const bad[][3] = {
		{ "nosuch", "1", NULL },
		{ "created", "soon", NULL },
		{ "kind", "alias", NULL },
		{ "quota_bytes", "lots", NULL },
		{ "uid", "-1", NULL },
		{ "uid", "0", NULL },
		{ "gid", "0", NULL },
		{ "services", "ftp", NULL },
		{ "home", "relative/path", NULL },
		{ "maildir", "/abs/", NULL },
		{ "password", "plaintext", NULL },
		{ "enabled", "", NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(vudb_add(db, VUDB_USER, "n@pc1.example",
		    bad[i]), VUDB_EINVAL);
		ck_assert_ptr_nonnull(strstr(vudb_errmsg(db), bad[i][0]));
	}
	ck_assert_int_eq(vudb_update(db, VUDB_USER, "matsui@pc1.example",
	    (const char *[]){ "created", "1", NULL }), VUDB_EINVAL);
	ck_assert_int_eq(vudb_add(db, VUDB_ALIAS, "a@pc1.example", NULL),
	    VUDB_EINVAL);
	ck_assert_int_eq(vudb_add(db, VUDB_ALIAS, "a@pc1.example",
	    (const char *[]){ "dest", "not an address", NULL }), VUDB_EINVAL);
	ck_assert_int_eq(vudb_add(db, VUDB_USER, "x@nosuch.example", NULL),
	    VUDB_ENOTFOUND);
	ck_assert_int_eq(vudb_add(db, VUDB_DOMAIN, "self.example",
	    (const char *[]){ "target", "self.example", NULL }), VUDB_EINVAL);
	/* nothing of the refused adds exists */
	ck_assert_int_eq(vudb_del(db, VUDB_USER, "n@pc1.example"),
	    VUDB_ENOTFOUND);
}
END_TEST

START_TEST(test_entry_update_and_effective)
{
	const char *set[] = { "quota_bytes", "1G", "name", "Matsui Taro",
	    NULL };
	const char *unset[] = { "quota_bytes", NULL, "name", "", NULL };
	struct vudb_obj *o;
	const char *n, *v;
	size_t i;

	ck_assert_int_eq(vudb_update(db, VUDB_USER, "matsui@pc1.example",
	    set), VUDB_OK);
	ck_assert_int_eq(vudb_get(db, VUDB_USER, "MATSUI@pc1.example", &o),
	    VUDB_OK);
	ck_assert_str_eq(vudb_obj_name(o), "matsui@pc1.example");
	ck_assert_str_eq(vudb_obj_get(o, "quota_bytes"), "1073741824");
	ck_assert_str_eq(vudb_obj_get(o, "name"), "Matsui Taro");
	ck_assert_str_eq(vudb_obj_effective(o, "home"),
	    "/var/vmail/pc1.example/matsui");
	ck_assert_str_eq(vudb_obj_effective(o, "maildir"),
	    "pc1.example/matsui/Maildir/");
	ck_assert_str_eq(vudb_obj_effective(o, "uid"), "5000");
	ck_assert_str_eq(vudb_obj_effective(o, "enabled"), "yes");
	ck_assert_ptr_null(vudb_obj_get(o, "uid"));
	ck_assert_ptr_null(vudb_obj_get(o, NULL));
	for (i = 0; vudb_obj_attr(o, i, &n, &v) == VUDB_OK; i++)
		ck_assert(n != NULL && v != NULL);
	ck_assert_int_eq(vudb_obj_attr(o, i, &n, &v), VUDB_ENOTFOUND);
	ck_assert_ptr_null(n);
	vudb_obj_free(o);
	/* the domain's value, then the store's */
	ck_assert_int_eq(vudb_update(db, VUDB_DOMAIN, "pc1.example",
	    (const char *[]){ "uid", "6001", "quota_bytes", "2G", NULL }), 0);
	ck_assert_int_eq(vudb_setting_set(db, "mail_base", "/srv/mail"), 0);
	ck_assert_int_eq(vudb_update(db, VUDB_USER, "matsui@pc1.example",
	    unset), VUDB_OK);
	ck_assert_int_eq(vudb_get(db, VUDB_USER, "matsui@pc1.example", &o),
	    VUDB_OK);
	ck_assert_ptr_null(vudb_obj_get(o, "name"));
	ck_assert_str_eq(vudb_obj_effective(o, "uid"), "6001");
	ck_assert_str_eq(vudb_obj_effective(o, "quota_bytes"), "2147483648");
	ck_assert_str_eq(vudb_obj_effective(o, "home"),
	    "/srv/mail/pc1.example/matsui");
	vudb_obj_free(o);
	ck_assert_int_eq(vudb_obj_type(NULL), 0);
	ck_assert_ptr_null(vudb_obj_name(NULL));
	vudb_obj_free(NULL);
}
END_TEST

START_TEST(test_entry_user_deletion_takes_grants)
{
	struct vudb_obj *o;

	ck_assert_int_eq(vudb_add(db, VUDB_SENDER, "matsui@pc2.example",
	    (const char *[]){ "logins", "boss@pc2.example", NULL }), 0);
	ck_assert_int_eq(vudb_del(db, VUDB_USER, "matsui@pc2.example"), 0);
	ck_assert_int_eq(vudb_get(db, VUDB_SENDER, "matsui@pc2.example", &o),
	    VUDB_ENOTFOUND);
	/* the same name in the other domain is untouched */
	ck_assert_int_eq(vudb_get(db, VUDB_USER, "matsui@pc1.example", &o),
	    VUDB_OK);
	vudb_obj_free(o);
}
END_TEST

START_TEST(test_domain_lifecycle)
{
	struct vudb_obj *o;
	struct vudb *rd;
	char *answer, *p;
	struct stat sb;

	ck_assert_int_eq(vudb_add(db, VUDB_ALIAS, "@pc2.example",
	    (const char *[]){ "dest", "matsui@pc2.example", NULL }), 0);
	/* a reader holding the domain open does not stop the deletion */
	rd = tu_open(dir, VUDB_RDONLY);
	ck_assert_int_eq(vudb_lookup(rd, "mailbox", "matsui@pc2.example",
	    &answer), VUDB_OK);
	free(answer);
	ck_assert_int_eq(vudb_del(db, VUDB_DOMAIN, "pc2.example"), VUDB_OK);
	ck_assert_int_eq(vudb_lookup(rd, "mailbox", "matsui@pc2.example",
	    &answer), VUDB_ENOTFOUND);
	ck_assert_int_eq(vudb_lookup(rd, "domain", "pc2.example", &answer),
	    VUDB_ENOTFOUND);
	ck_assert_int_eq(vudb_get(db, VUDB_DOMAIN, "pc2.example", &o),
	    VUDB_ENOTFOUND);
	/* re-adding gives an empty domain */
	ck_assert_int_eq(vudb_add(db, VUDB_DOMAIN, "pc2.example", NULL), 0);
	ck_assert_int_eq(vudb_get(db, VUDB_USER, "matsui@pc2.example", &o),
	    VUDB_ENOTFOUND);
	ck_assert_int_eq(vudb_lookup(rd, "alias", "x@pc2.example", &answer),
	    VUDB_ENOTFOUND);
	ck_assert_int_eq(vudb_add(db, VUDB_USER, "matsui@pc2.example", NULL),
	    VUDB_OK);
	/* the reader that held the old file finds the new domain */
	ck_assert_int_eq(vudb_lookup(rd, "mailbox", "matsui@pc2.example",
	    &answer), VUDB_OK);
	free(answer);
	vudb_close(rd);
	/* with no reader left, the file goes */
	ck_assert_int_eq(vudb_del(db, VUDB_DOMAIN, "pc2.example"), VUDB_OK);
	p = tu_domfile(dir, "pc2.example");
	ck_assert_int_ne(stat(p, &sb), 0);
	free(p);
	/* the other domain of the same user name is untouched */
	ck_assert_int_eq(vudb_get(db, VUDB_USER, "matsui@pc1.example", &o),
	    VUDB_OK);
	vudb_obj_free(o);
	/* no users in an alias domain */
	ck_assert_int_eq(vudb_add(db, VUDB_DOMAIN, "al.example",
	    (const char *[]){ "target", "pc1.example", NULL }), 0);
	ck_assert_int_eq(vudb_add(db, VUDB_USER, "x@al.example", NULL),
	    VUDB_EINVAL);
	ck_assert_int_eq(vudb_get(db, VUDB_DOMAIN, "al.example", &o), 0);
	ck_assert_str_eq(vudb_obj_get(o, "kind"), "alias");
	ck_assert_str_eq(vudb_obj_get(o, "target"), "pc1.example");
	vudb_obj_free(o);
}
END_TEST

START_TEST(test_domain_limits)
{
	ck_assert_int_eq(vudb_update(db, VUDB_DOMAIN, "pc1.example",
	    (const char *[]){ "max_users", "2", "max_aliases", "1", NULL }),
	    0);
	ck_assert_int_eq(vudb_add(db, VUDB_USER, "two@pc1.example", NULL), 0);
	ck_assert_int_eq(vudb_add(db, VUDB_USER, "three@pc1.example", NULL),
	    VUDB_ELIMIT);
	ck_assert_ptr_nonnull(strstr(vudb_errmsg(db), "limit"));
	ck_assert_int_eq(vudb_del(db, VUDB_USER, "two@pc1.example"), 0);
	ck_assert_int_eq(vudb_add(db, VUDB_USER, "three@pc1.example", NULL),
	    0);
	ck_assert_int_eq(vudb_add(db, VUDB_ALIAS, "a@pc1.example",
	    (const char *[]){ "dest", "three@pc1.example", NULL }), 0);
	ck_assert_int_eq(vudb_add(db, VUDB_ALIAS, "b@pc1.example",
	    (const char *[]){ "dest", "three@pc1.example", NULL }),
	    VUDB_ELIMIT);
	/* the other domain has no limits */
	ck_assert_int_eq(vudb_add(db, VUDB_USER, "x@pc2.example", NULL), 0);
	ck_assert_int_eq(vudb_add(db, VUDB_USER, "y@pc2.example", NULL), 0);
}
END_TEST

START_TEST(test_list)
{
	struct vudb_iter *it;
	struct vudb_obj *o;
	char *names[4];
	size_t n = 0;

	ck_assert_int_eq(vudb_add(db, VUDB_USER, "aaa@pc1.example", NULL), 0);
	ck_assert_int_eq(vudb_list(db, VUDB_USER, "pc1.example", &it), 0);
	while (vudb_iter_next(it, &o) == VUDB_OK) {
		ck_assert(n < 4);
		names[n++] = strdup(vudb_obj_name(o));
		ck_assert_ptr_nonnull(vudb_obj_effective(o, "home"));
	}
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(names[0], "aaa@pc1.example");
	ck_assert_str_eq(names[1], "matsui@pc1.example");
	free(names[0]);
	free(names[1]);
	vudb_iter_free(it);
	ck_assert_int_eq(vudb_list(db, VUDB_DOMAIN, NULL, &it), 0);
	n = 0;
	while (vudb_iter_next(it, &o) == VUDB_OK)
		names[n++] = strdup(vudb_obj_name(o));
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(names[0], "pc1.example");
	ck_assert_str_eq(names[1], "pc2.example");
	free(names[0]);
	free(names[1]);
	ck_assert_int_eq(vudb_iter_next(it, &o), VUDB_ENOTFOUND);
	ck_assert_ptr_null(o);
	vudb_iter_free(it);
	vudb_iter_free(NULL);
	ck_assert_int_eq(vudb_list(db, VUDB_USER, "nosuch.example", &it),
	    VUDB_ENOTFOUND);
	ck_assert_int_eq(vudb_list(db, 42, NULL, &it), VUDB_EINVAL);
	ck_assert_int_eq(vudb_list(db, VUDB_ALIAS, "pc1.example", NULL),
	    VUDB_EINVAL);
	ck_assert_int_eq(vudb_iter_next(NULL, &o), VUDB_EINVAL);
}
END_TEST

START_TEST(test_list_empty_store)
{
	struct vudb_iter *it;
	struct vudb_obj *o;
	struct vudb *e;
	char *edir = tu_store();

	e = tu_open(edir, VUDB_CREATE);
	ck_assert_int_eq(vudb_list(e, VUDB_DOMAIN, NULL, &it), VUDB_OK);
	ck_assert_int_eq(vudb_iter_next(it, &o), VUDB_ENOTFOUND);
	vudb_iter_free(it);
	ck_assert_int_eq(vudb_verify(e, NULL, NULL, NULL), VUDB_OK);
	vudb_close(e);
	tu_rmtree(edir);
	free(edir);
}
END_TEST

/* ------------------------------------------------------------ batches */

START_TEST(test_batch_commit_and_abort)
{
	struct vudb_obj *o;

	ck_assert_int_eq(vudb_commit(db), VUDB_EINVAL);
	ck_assert_int_eq(vudb_abort(db), VUDB_EINVAL);
	ck_assert_int_eq(vudb_begin(db, "pc1.example"), 0);
	ck_assert_int_eq(vudb_begin(db, "pc1.example"), VUDB_EINVAL);
	ck_assert_int_eq(vudb_add(db, VUDB_USER, "b1@pc1.example", NULL), 0);
	ck_assert_int_eq(vudb_add(db, VUDB_USER, "b1@pc1.example", NULL),
	    VUDB_EEXIST);
	ck_assert_int_eq(vudb_add(db, VUDB_USER, "b1@pc2.example", NULL),
	    VUDB_EINVAL);
	ck_assert_int_eq(vudb_get(db, VUDB_USER, "b1@pc1.example", &o), 0);
	vudb_obj_free(o);
	ck_assert_int_eq(vudb_abort(db), 0);
	ck_assert_int_eq(vudb_get(db, VUDB_USER, "b1@pc1.example", &o),
	    VUDB_ENOTFOUND);
	/* limits hold inside a batch; counts are written at commit */
	ck_assert_int_eq(vudb_update(db, VUDB_DOMAIN, "pc2.example",
	    (const char *[]){ "max_users", "3", NULL }), 0);
	ck_assert_int_eq(vudb_begin(db, "pc2.example"), 0);
	ck_assert_int_eq(vudb_add(db, VUDB_USER, "c1@pc2.example",
	    (const char *[]){ "created", "1000", "updated", "2000", NULL }),
	    0);
	ck_assert_int_eq(vudb_add(db, VUDB_USER, "c2@pc2.example", NULL), 0);
	ck_assert_int_eq(vudb_add(db, VUDB_USER, "c3@pc2.example", NULL),
	    VUDB_ELIMIT);
	ck_assert_int_eq(vudb_del(db, VUDB_USER, "c2@pc2.example"), 0);
	ck_assert_int_eq(vudb_add(db, VUDB_USER, "c3@pc2.example", NULL), 0);
	ck_assert_int_eq(vudb_commit(db), 0);
	ck_assert_int_eq(vudb_get(db, VUDB_DOMAIN, "pc2.example", &o), 0);
	ck_assert_str_eq(vudb_obj_effective(o, "users"), "3");
	vudb_obj_free(o);
	ck_assert_int_eq(vudb_get(db, VUDB_USER, "c1@pc2.example", &o), 0);
	ck_assert_str_eq(vudb_obj_get(o, "created"), "1000");
	ck_assert_str_eq(vudb_obj_get(o, "updated"), "2000");
	vudb_obj_free(o);
	ck_assert_int_eq(vudb_verify(db, NULL, NULL, NULL), VUDB_OK);
	/* a batch may create its domain */
	ck_assert_int_eq(vudb_begin(db, "new.example"), 0);
	ck_assert_int_eq(vudb_add(db, VUDB_DOMAIN, "new.example", NULL), 0);
	ck_assert_int_eq(vudb_add(db, VUDB_USER, "u@new.example", NULL), 0);
	ck_assert_int_eq(vudb_del(db, VUDB_DOMAIN, "new.example"),
	    VUDB_EINVAL);
	ck_assert_int_eq(vudb_commit(db), 0);
	ck_assert_int_eq(vudb_get(db, VUDB_USER, "u@new.example", &o), 0);
	vudb_obj_free(o);
	/* an aborted batch that created its domain leaves no domain */
	ck_assert_int_eq(vudb_begin(db, "gone.example"), 0);
	ck_assert_int_eq(vudb_add(db, VUDB_DOMAIN, "gone.example", NULL), 0);
	ck_assert_int_eq(vudb_abort(db), 0);
	ck_assert_int_eq(vudb_get(db, VUDB_DOMAIN, "gone.example", &o),
	    VUDB_ENOTFOUND);
	/* a failure inside a batch makes the commit fail, whole */
	ck_assert_int_eq(vudb_begin(db, "pc1.example"), 0);
	ck_assert_int_eq(vudb_add(db, VUDB_USER, "b2@pc1.example", NULL), 0);
	setenv("VUDB_FAIL", "put", 1);
	vudb_close(db);		/* aborts the open batch */
	unsetenv("VUDB_FAIL");
	db = tu_open(dir, 0);
	ck_assert_int_eq(vudb_get(db, VUDB_USER, "b2@pc1.example", &o),
	    VUDB_ENOTFOUND);
}
END_TEST

/* ------------------------------------------------------------ settings */

/* count_hidden - files in STORE/domains/ whose names start with a dot */
static int
count_hidden(const char *store)
{
	char *p = tu_path(store, "domains");
	struct dirent *de;
	DIR *d;
	int n = 0;

	if (!tu_is_dir()) {
		free(p);	/* a server's store has no files to leave */
		return 0;
	}

	ck_assert_ptr_nonnull(d = opendir(p));
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] == '.' && strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	free(p);
	return n;
}

/*
 * A batch on a new domain is seen by others whole at its commit, never in
 * part; an abort, or a batch that made no domain, leaves no file.  Under
 * VUDB_BULK the commits become visible and durable at vudb_sync(), and
 * the loading handle itself sees them at once.
 */
START_TEST(test_new_domain_batches_and_bulk)
{
	struct vudb *other, *bulk;
	struct vudb_obj *o;
	char *f, name[64];
	struct stat sb;
	int i;

	other = tu_open(dir, VUDB_RDONLY);
	ck_assert_int_eq(vudb_begin(db, "whole.example"), 0);
	ck_assert_int_eq(vudb_add(db, VUDB_DOMAIN, "whole.example", NULL), 0);
	ck_assert_int_eq(vudb_add(db, VUDB_USER, "a@whole.example", pw_attrs),
	    0);
	ck_assert_int_eq(vudb_get(db, VUDB_USER, "a@whole.example", &o), 0);
	vudb_obj_free(o);
	ck_assert_int_eq(vudb_get(other, VUDB_DOMAIN, "whole.example", &o),
	    VUDB_ENOTFOUND);
	f = tu_domfile(dir, "whole.example");
	if (strcmp(tu_backend(), "bdb") == 0)
		ck_assert_int_ne(stat(f, &sb), 0);
	ck_assert_int_eq(vudb_commit(db), 0);
	if (tu_is_dir())
		ck_assert_int_eq(stat(f, &sb), 0);
	free(f);
	ck_assert_int_eq(vudb_get(other, VUDB_USER, "a@whole.example", &o), 0);
	vudb_obj_free(o);
	ck_assert_int_eq(vudb_auth(other, "a@whole.example", "secret", NULL,
	    NULL), 0);
	/* the commit wrote the counts */
	ck_assert_int_eq(vudb_get(other, VUDB_DOMAIN, "whole.example", &o), 0);
	ck_assert_str_eq(vudb_obj_effective(o, "users"), "1");
	vudb_obj_free(o);
	/* two builds of one domain: the first commit wins (with LMDB the
	 * second batch would wait for the first's writer lock) */
	if (strcmp(tu_backend(), "bdb") == 0) {
		bulk = tu_open(dir, 0);
		ck_assert_int_eq(vudb_begin(db, "twice.example"), 0);
		ck_assert_int_eq(vudb_add(db, VUDB_DOMAIN, "twice.example",
		    NULL), 0);
		ck_assert_int_eq(vudb_begin(bulk, "twice.example"), 0);
		ck_assert_int_eq(vudb_add(bulk, VUDB_DOMAIN, "twice.example",
		    (const char *[]){ "max_users", "7", NULL }), 0);
		ck_assert_int_eq(vudb_commit(db), 0);
		ck_assert_int_eq(vudb_commit(bulk), VUDB_EEXIST);
		ck_assert_ptr_nonnull(strstr(vudb_errmsg(bulk), "meanwhile"));
		vudb_close(bulk);
		ck_assert_int_eq(vudb_get(other, VUDB_DOMAIN, "twice.example",
		    &o), 0);
		ck_assert_ptr_null(vudb_obj_get(o, "max_users"));
		vudb_obj_free(o);
	}
	/* changes after the build go through the store as usual */
	ck_assert_int_eq(vudb_add(db, VUDB_USER, "b@whole.example", NULL), 0);
	ck_assert_int_eq(vudb_verify(db, NULL, NULL, NULL), VUDB_OK);
	/* a batch that made no domain record leaves nothing (LMDB makes
	 * the file at vudb_begin) */
	if (strcmp(tu_backend(), "bdb") == 0) {
		ck_assert_int_eq(vudb_begin(db, "empty.example"), 0);
		ck_assert_int_eq(vudb_add(db, VUDB_USER, "a@empty.example",
		    NULL), VUDB_ENOTFOUND);
		ck_assert_int_eq(vudb_commit(db), 0);
		f = tu_domfile(dir, "empty.example");
		ck_assert_int_ne(stat(f, &sb), 0);
		free(f);
		ck_assert_int_eq(count_hidden(dir), 0);
	}

	/* bulk: visible to its own handle at once, to others at sync */
	bulk = tu_open(dir, VUDB_BULK);
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "b%d.example", i);
		ck_assert_int_eq(vudb_begin(bulk, name), 0);
		ck_assert_int_eq(vudb_add(bulk, VUDB_DOMAIN, name, NULL), 0);
		snprintf(name, sizeof(name), "u@b%d.example", i);
		ck_assert_int_eq(vudb_add(bulk, VUDB_USER, name, NULL), 0);
		ck_assert_int_eq(vudb_commit(bulk), 0);
	}
	ck_assert_int_eq(vudb_get(bulk, VUDB_USER, "u@b299.example", &o), 0);
	vudb_obj_free(o);
	/* an existing domain's batch under bulk */
	ck_assert_int_eq(vudb_begin(bulk, "whole.example"), 0);
	ck_assert_int_eq(vudb_add(bulk, VUDB_USER, "c@whole.example", NULL),
	    0);
	ck_assert_int_eq(vudb_commit(bulk), 0);
	ck_assert_int_eq(vudb_sync(bulk), 0);
	ck_assert_int_eq(vudb_get(other, VUDB_USER, "u@b299.example", &o), 0);
	vudb_obj_free(o);
	ck_assert_int_eq(vudb_get(other, VUDB_USER, "u@b0.example", &o), 0);
	vudb_obj_free(o);
	ck_assert_int_eq(vudb_get(other, VUDB_USER, "c@whole.example", &o), 0);
	vudb_obj_free(o);
	/* what a close publishes */
	ck_assert_int_eq(vudb_begin(bulk, "last.example"), 0);
	ck_assert_int_eq(vudb_add(bulk, VUDB_DOMAIN, "last.example", NULL), 0);
	ck_assert_int_eq(vudb_commit(bulk), 0);
	vudb_close(bulk);
	ck_assert_int_eq(vudb_get(other, VUDB_DOMAIN, "last.example", &o), 0);
	vudb_obj_free(o);
	ck_assert_int_eq(count_hidden(dir), 0);
	ck_assert_int_eq(vudb_verify(db, NULL, NULL, NULL), VUDB_OK);
	/* bulk is for writers; sync without bulk has nothing to do */
	ck_assert_int_eq(vudb_open(dir, VUDB_RDONLY | VUDB_BULK, &bulk),
	    VUDB_EINVAL);
	ck_assert_int_eq(vudb_sync(db), 0);
	vudb_close(other);
}
END_TEST

/* count_fds - the descriptors this process holds */
static int
count_fds(void)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/*
 * Many domains never exhaust descriptors: the open domains of all handles
 * of a process stay within half of its limit, and every lookup works.
 */
START_TEST(test_open_domains_bounded)
{
	struct vudb *h[2];
	struct rlimit rl;
	char name[64], *answer;
	int i, j, base, status, most = 0;
	pid_t pid;

	for (i = 0; i < 80; i++) {
		snprintf(name, sizeof(name), "m%d.example", i);
		ck_assert_int_eq(vudb_add(db, VUDB_DOMAIN, name, NULL), 0);
		snprintf(name, sizeof(name), "u@m%d.example", i);
		ck_assert_int_eq(vudb_add(db, VUDB_USER, name, NULL), 0);
	}
	vudb_close(db);
	db = NULL;
	if ((pid = fork()) == 0) {
		rl.rlim_cur = 100;
		rl.rlim_max = 100;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			_exit(2);
		h[0] = tu_open(dir, VUDB_RDONLY);
		h[1] = tu_open(dir, VUDB_RDONLY);
		base = count_fds();
		for (j = 0; j < 3; j++)
			for (i = 0; i < 160; i++) {
				snprintf(name, sizeof(name), "u@m%d.example",
				    i % 80);
				if (vudb_lookup(h[i / 80], "mailbox", name,
				    &answer) != 0)
					_exit(3);
				free(answer);
				if (count_fds() - base > most)
					most = count_fds() - base;
			}
		/* half of the limit, within one domain (LMDB: three) */
		if (getenv("VUDB_TEST_DEBUG") != NULL)
			fprintf(stderr, "most %d\n", most);
		/* a server's domains hold none: the connections only */
		if (!tu_is_dir())
			_exit(most <= 0 ? 0 : 4);
		_exit(most <= 50 + 3 && most >= 10 ? 0 : 4);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	db = tu_open(dir, 0);
}
END_TEST

/* An unfinished build of a dead process is removed by the next writer. */
START_TEST(test_dead_build_removed)
{
	char *p;
	int fd;

	if (strcmp(tu_backend(), "bdb") != 0)
		return;
	p = tu_path(dir, "domains/.build.999999999.1.dead.example");
	ck_assert_int_ne(fd = open(p, O_WRONLY | O_CREAT, 0600), -1);
	close(fd);
	free(p);
	/* where Berkeley DB itself died making the file */
	p = tu_path(dir, "domains/__db..build.999999999.2.dead.example");
	ck_assert_int_ne(fd = open(p, O_WRONLY | O_CREAT, 0600), -1);
	close(fd);
	ck_assert_int_eq(count_hidden(dir), 1);
	ck_assert_int_eq(access(p, F_OK), 0);
	vudb_close(db);
	db = tu_open(dir, 0);
	ck_assert_int_eq(count_hidden(dir), 0);
	ck_assert_int_ne(access(p, F_OK), 0);
	free(p);
}
END_TEST

START_TEST(test_settings)
{
	const char *v;
	struct vudb *r;
	size_t i;

	for (i = 0; vudb_setting_name(i) != NULL; i++) {
		ck_assert_int_eq(vudb_setting_get(db, vudb_setting_name(i), &v),
		    VUDB_OK);
		ck_assert_ptr_nonnull(v);
	}
	ck_assert_uint_ge(i, 4);
	ck_assert_int_eq(vudb_setting_get(db, "mail_base", &v), 0);
	ck_assert_str_eq(v, "/var/vmail");
	ck_assert_int_eq(vudb_setting_get(db, "password_scheme", &v), 0);
	ck_assert_str_eq(v, "ARGON2ID");
	ck_assert_int_eq(vudb_setting_get(db, "nosuch", &v), VUDB_EINVAL);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(vudb_setting_get(db, NULL, &v), VUDB_EINVAL);
	ck_assert_int_eq(vudb_setting_set(db, "nosuch", "1"), VUDB_EINVAL);
	ck_assert_int_eq(vudb_setting_set(db, "uid", "x"), VUDB_EINVAL);
	/* root's ids: mail would be delivered as root */
	ck_assert_int_eq(vudb_setting_set(db, "uid", "0"), VUDB_EINVAL);
	ck_assert_int_eq(vudb_setting_set(db, "gid", "00"), VUDB_EINVAL);
	ck_assert_int_eq(vudb_update(db, VUDB_DOMAIN, "pc1.example",
	    (const char *[]){ "uid", "0", NULL }), VUDB_EINVAL);
	ck_assert_int_eq(vudb_setting_set(db, "mail_base", "relative"),
	    VUDB_EINVAL);
	ck_assert_int_eq(vudb_setting_set(db, "password_scheme", "PLAIN"),
	    VUDB_EINVAL);
	ck_assert_int_eq(vudb_setting_set(db, "password_scheme",
	    "sha512-crypt"), 0);
	ck_assert_int_eq(vudb_setting_set(db, "quota_bytes", "10G"), 0);
	/* kept across opens, seen by other handles */
	r = tu_open(dir, VUDB_RDONLY);
	ck_assert_int_eq(vudb_setting_get(r, "password_scheme", &v), 0);
	ck_assert_str_eq(v, "SHA512-CRYPT");
	ck_assert_int_eq(vudb_setting_get(r, "quota_bytes", &v), 0);
	ck_assert_str_eq(v, "10737418240");
	ck_assert_int_eq(vudb_setting_set(db, "quota_bytes", NULL), 0);
	ck_assert_int_eq(vudb_setting_get(r, "quota_bytes", &v), 0);
	ck_assert_str_eq(v, "0");
	vudb_close(r);
}
END_TEST

/* ------------------------------------------------------------ passwords */

START_TEST(test_password_api)
{
	char *hash;

	ck_assert_int_eq(vudb_password_hash(db, "SHA512-CRYPT", "pw", &hash),
	    0);
	ck_assert(strncmp(hash, "{SHA512-CRYPT}$6$", 17) == 0);
	ck_assert_int_eq(vudb_password_verify(hash, "pw"), VUDB_OK);
	ck_assert_int_eq(vudb_password_verify(hash, "pW"), VUDB_EAUTH);
	vudb_free(hash);
	ck_assert_int_eq(vudb_password_hash(NULL, "BLF-CRYPT", "pw", &hash),
	    0);
	ck_assert_int_eq(vudb_password_verify(hash, "pw"), VUDB_OK);
	vudb_free(hash);
	ck_assert_int_eq(vudb_password_hash(db, "MD5-CRYPT", "pw", &hash),
	    VUDB_ENOTSUP);
	ck_assert_ptr_null(hash);
	ck_assert_int_eq(vudb_password_hash(db, NULL, NULL, &hash),
	    VUDB_EINVAL);
	ck_assert_int_eq(vudb_password_hash(db, NULL, "x", NULL), VUDB_EINVAL);
	ck_assert_int_eq(vudb_password_verify(NULL, "x"), VUDB_EINVAL);
	ck_assert_int_eq(vudb_password_verify("{NOPE}x", "x"), VUDB_ENOTSUP);
	ck_assert_int_eq(vudb_password_scheme_valid("argon2id"), 1);
	ck_assert_int_eq(vudb_password_scheme_valid("PLAIN"), 0);
	ck_assert_int_eq(vudb_password_scheme_valid(NULL), 0);
}
END_TEST

/* what a login can use: the schemes and encodings verify knows */
START_TEST(test_password_usable_schemes)
{
	int clear = -1;

	ck_assert_int_eq(vudb_password_usable("{SHA512-CRYPT}$6$x$y", &clear),
	    VUDB_OK);
	ck_assert_int_eq(clear, 0);
	ck_assert_int_eq(vudb_password_usable("{ssha256.hex}00", NULL),
	    VUDB_OK);
	ck_assert_int_eq(vudb_password_usable("{PLAIN}secret", &clear),
	    VUDB_OK);
	ck_assert_int_eq(clear, 1);
	ck_assert_int_eq(vudb_password_usable("{CLEAR.B64}c2VjcmV0", &clear),
	    VUDB_OK);
	ck_assert_int_eq(clear, 1);
	ck_assert_int_eq(vudb_password_usable("{CRAM-MD5}00", &clear),
	    VUDB_ENOTSUP);
	ck_assert_int_eq(clear, 0);
	ck_assert_int_eq(vudb_password_usable("{PLAIN-MD5}00", NULL),
	    VUDB_ENOTSUP);
	ck_assert_int_eq(vudb_password_usable("{SHA256.ROT13}x", NULL),
	    VUDB_ENOTSUP);
	ck_assert_int_eq(vudb_password_usable(NULL, &clear), VUDB_EINVAL);
}
END_TEST

START_TEST(test_add_user_hashes_with_domain_scheme)
{
	const char *attrs[] = { "quota_bytes", "1G", NULL };
	struct vudb_obj *o;

	ck_assert_int_eq(vudb_update(db, VUDB_DOMAIN, "pc2.example",
	    (const char *[]){ "password_scheme", "SHA512-CRYPT", NULL }), 0);
	ck_assert_int_eq(vudb_add_user(db, "Taro@PC2.example", "pw", attrs),
	    VUDB_OK);
	ck_assert_int_eq(vudb_get(db, VUDB_USER, "taro@pc2.example", &o),
	    VUDB_OK);
	ck_assert(strncmp(vudb_obj_get(o, "password"), "{SHA512-CRYPT}$6$",
	    17) == 0);
	ck_assert_str_eq(vudb_obj_get(o, "quota_bytes"), "1073741824");
	vudb_obj_free(o);
	ck_assert_int_eq(vudb_auth(db, "taro@pc2.example", "pw", NULL, NULL),
	    VUDB_OK);
	ck_assert_int_eq(vudb_auth(db, "taro@pc2.example", "pW", NULL, NULL),
	    VUDB_EAUTH);
	/* the store's scheme where the domain has none */
	ck_assert_int_eq(vudb_setting_set(db, "password_scheme", "BLF-CRYPT"),
	    0);
	ck_assert_int_eq(vudb_add_user(db, "taro@pc1.example", "pw", NULL),
	    VUDB_OK);
	ck_assert_int_eq(vudb_get(db, VUDB_USER, "taro@pc1.example", &o),
	    VUDB_OK);
	ck_assert(strncmp(vudb_obj_get(o, "password"), "{BLF-CRYPT}", 11) ==
	    0);
	vudb_obj_free(o);
	/* no password: a user without login, as vudb_add makes it */
	ck_assert_int_eq(vudb_add_user(db, "nopw@pc1.example", NULL, NULL),
	    VUDB_OK);
	ck_assert_int_eq(vudb_get(db, VUDB_USER, "nopw@pc1.example", &o),
	    VUDB_OK);
	ck_assert_ptr_null(vudb_obj_get(o, "password"));
	vudb_obj_free(o);
}
END_TEST

START_TEST(test_add_user_refusals)
{
	struct vudb *r;
	struct vudb_obj *o;

	ck_assert_int_eq(vudb_add_user(db, "matsui@pc1.example", "pw", NULL),
	    VUDB_EEXIST);
	ck_assert_str_eq(vudb_errmsg(db), "matsui@pc1.example: already exists");
	ck_assert_int_eq(vudb_add_user(db, "x@nosuch.example", "pw", NULL),
	    VUDB_ENOTFOUND);
	ck_assert_str_eq(vudb_errmsg(db), "nosuch.example: no such domain");
	ck_assert_int_eq(vudb_add_user(db, "a b@pc1.example", "pw", NULL),
	    VUDB_EINVAL);
	ck_assert_int_eq(vudb_add_user(db, "x@pc1.example", "pw",
	    (const char *[]){ "quota_bytes", "12Q", NULL }), VUDB_EINVAL);
	ck_assert_int_eq(vudb_add_user(db, "x@pc1.example", "pw", pw_attrs),
	    VUDB_EINVAL);
	ck_assert_int_eq(vudb_add_user(NULL, "x@pc1.example", "pw", NULL),
	    VUDB_EINVAL);
	ck_assert_int_eq(vudb_get(db, VUDB_USER, "x@pc1.example", &o),
	    VUDB_ENOTFOUND);
	r = tu_open(dir, VUDB_RDONLY);
	ck_assert_int_eq(vudb_add_user(r, "x@pc1.example", "pw", NULL),
	    VUDB_ERDONLY);
	vudb_close(r);
	/* in a batch, with the batch */
	ck_assert_int_eq(vudb_begin(db, "pc1.example"), 0);
	ck_assert_int_eq(vudb_add_user(db, "x@pc1.example", "pw", NULL), 0);
	ck_assert_int_eq(vudb_abort(db), 0);
	ck_assert_int_eq(vudb_get(db, VUDB_USER, "x@pc1.example", &o),
	    VUDB_ENOTFOUND);
}
END_TEST

/* logins - the send-as logins of address, "" if it has none */
static char *
logins(const char *address)
{
	struct vudb_obj *o;
	char *v;
	int rc;

	rc = vudb_get(db, VUDB_SENDER, address, &o);
	if (rc == VUDB_ENOTFOUND)
		return strdup("");
	ck_assert_int_eq(rc, VUDB_OK);
	v = strdup(vudb_obj_get(o, "logins"));
	vudb_obj_free(o);
	return v;
}

#define ck_logins(address, want) do {					\
	char *got_ = logins(address);					\
	ck_assert_str_eq(got_, want);					\
	free(got_);							\
} while (0)

START_TEST(test_grant_and_revoke)
{
	const char *a = "info@pc1.example";
	struct vudb *r;

	ck_assert_int_eq(vudb_grant(db, a, "matsui@pc2.example"), VUDB_OK);
	ck_logins(a, "matsui@pc2.example");
	ck_assert_int_eq(vudb_grant(db, "INFO@pc1.example",
	    "Boss@pc2.example, matsui@pc2.example"), VUDB_OK);
	ck_logins(a, "matsui@pc2.example,boss@pc2.example");
	ck_assert_int_eq(vudb_grant(db, a, "bad login"), VUDB_EINVAL);
	ck_assert_int_eq(vudb_grant(db, a, ""), VUDB_EINVAL);
	ck_assert_int_eq(vudb_grant(db, a, NULL), VUDB_EINVAL);
	ck_assert_int_eq(vudb_grant(db, "bad", "x@pc1.example"), VUDB_EINVAL);
	ck_assert_int_eq(vudb_grant(db, "x@nosuch.example", "x@pc1.example"),
	    VUDB_ENOTFOUND);
	ck_assert_str_eq(vudb_errmsg(db), "nosuch.example: no such domain");
	ck_assert_int_eq(vudb_grant(NULL, a, "x@pc1.example"), VUDB_EINVAL);
	ck_logins(a, "matsui@pc2.example,boss@pc2.example");
	/* every login revoked must be granted, or nothing is revoked */
	ck_assert_int_eq(vudb_revoke(db, a, "BOSS@pc2.example,x@pc2.example"),
	    VUDB_ENOTFOUND);
	ck_assert_str_eq(vudb_errmsg(db),
	    "info@pc1.example: x@pc2.example: not granted");
	ck_assert_int_eq(vudb_revoke(db, a, "bad login"), VUDB_EINVAL);
	ck_logins(a, "matsui@pc2.example,boss@pc2.example");
	ck_assert_int_eq(vudb_revoke(db, a, "BOSS@pc2.example,"), VUDB_OK);
	ck_logins(a, "matsui@pc2.example");
	r = tu_open(dir, VUDB_RDONLY);
	ck_assert_int_eq(vudb_grant(r, a, "x@pc1.example"), VUDB_ERDONLY);
	ck_assert_int_eq(vudb_revoke(r, a, "matsui@pc2.example"),
	    VUDB_ERDONLY);
	vudb_close(r);
	/* the last one takes the entry */
	ck_assert_int_eq(vudb_revoke(db, a, "matsui@pc2.example"), VUDB_OK);
	ck_logins(a, "");
	ck_assert_int_eq(vudb_revoke(db, a, "matsui@pc2.example"),
	    VUDB_ENOTFOUND);
	/* in a batch, with the batch */
	ck_assert_int_eq(vudb_begin(db, "pc1.example"), 0);
	ck_assert_int_eq(vudb_grant(db, a, "one@pc2.example"), VUDB_OK);
	ck_assert_int_eq(vudb_grant(db, a, "two@pc2.example"), VUDB_OK);
	ck_assert_int_eq(vudb_revoke(db, a, "one@pc2.example"), VUDB_OK);
	ck_assert_int_eq(vudb_commit(db), 0);
	ck_logins(a, "two@pc2.example");
	ck_assert_int_eq(vudb_begin(db, "pc1.example"), 0);
	ck_assert_int_eq(vudb_grant(db, a, "three@pc2.example"), VUDB_OK);
	ck_assert_int_eq(vudb_abort(db), 0);
	ck_logins(a, "two@pc2.example");
}
END_TEST

#define GRANTERS	3
#define GRANTS		40

/*
 * Writers granting different logins to one address at the same time:
 * each grant reads the logins and writes them back with one more, and
 * none may write over another's.
 */
START_TEST(test_grant_concurrent_none_lost)
{
	char login[64], *got, *p;
	pid_t pid[GRANTERS];
	size_t n;
	int i, k, status;

	/* no handle crosses the fork */
	vudb_close(db);
	db = NULL;
	for (i = 0; i < GRANTERS; i++) {
		if ((pid[i] = fork()) == 0) {
			struct vudb *w;

			if (vudb_open(dir, 0, &w) != VUDB_OK)
				_exit(2);
			for (k = 0; k < GRANTS; k++) {
				snprintf(login, sizeof(login),
				    "g%d-%d@pc2.example", i, k);
				if (vudb_grant(w, "info@pc1.example", login) !=
				    VUDB_OK)
					_exit(3);
			}
			vudb_close(w);
			_exit(0);
		}
		ck_assert_int_gt(pid[i], 0);
	}
	for (i = 0; i < GRANTERS; i++) {
		ck_assert_int_eq(waitpid(pid[i], &status, 0), pid[i]);
		ck_assert(WIFEXITED(status));
		ck_assert_int_eq(WEXITSTATUS(status), 0);
	}
	db = tu_open(dir, 0);
	got = logins("info@pc1.example");
	for (n = 1, p = got; *p != '\0'; p++)
		n += *p == ',';
	ck_assert_uint_eq(n, GRANTERS * GRANTS);
	for (i = 0; i < GRANTERS; i++)
		for (k = 0; k < GRANTS; k++) {
			snprintf(login, sizeof(login), "g%d-%d@pc2.example",
			    i, k);
			ck_assert_ptr_nonnull(strstr(got, login));
		}
	free(got);
}
END_TEST

START_TEST(test_effective_names)
{
	static const int types[] = { VUDB_USER, VUDB_DOMAIN };
	static const char *const names[] = { "matsui@pc1.example",
	    "pc1.example" };
	struct vudb_obj *o;
	const char *e;
	size_t i, k;

	for (k = 0; k < 2; k++) {
		ck_assert_int_eq(vudb_get(db, types[k], names[k], &o),
		    VUDB_OK);
		/* each has a value in force, and none is listed twice */
		for (i = 0; (e = vudb_effective_name(types[k], i)) != NULL;
		    i++) {
			ck_assert_msg(vudb_obj_effective(o, e) != NULL, "%s",
			    e);
			for (size_t j = 0; j < i; j++)
				ck_assert_str_ne(vudb_effective_name(types[k],
				    j), e);
		}
		ck_assert_uint_eq(i, k == 0 ? 10 : 11);
		vudb_obj_free(o);
	}
	ck_assert_str_eq(vudb_effective_name(VUDB_USER, 0), "enabled");
	ck_assert_str_eq(vudb_effective_name(VUDB_DOMAIN, 10), "aliases");
	ck_assert_ptr_null(vudb_effective_name(VUDB_ALIAS, 0));
	ck_assert_ptr_null(vudb_effective_name(VUDB_RELOCATED, 0));
	ck_assert_ptr_null(vudb_effective_name(VUDB_SENDER, 0));
	ck_assert_ptr_null(vudb_effective_name(0, 0));
}
END_TEST

/* every attribute, value in force, setting and map has a kind */
START_TEST(test_value_kind)
{
	static const int types[] = { VUDB_DOMAIN, VUDB_USER, VUDB_ALIAS,
	    VUDB_RELOCATED, VUDB_SENDER };
	struct vudb_obj *o;
	const char *n, *v;
	size_t i, k;

	for (k = 0; k < 2; k++) {
		ck_assert_int_eq(vudb_get(db, types[1 - k], k == 0 ?
		    "matsui@pc1.example" : "pc1.example", &o), VUDB_OK);
		for (i = 0; vudb_obj_attr(o, i, &n, &v) == VUDB_OK; i++)
			ck_assert_msg(vudb_value_kind(types[1 - k], n) != 0,
			    "%s", n);
		for (i = 0; (n = vudb_effective_name(types[1 - k], i)) !=
		    NULL; i++)
			ck_assert_msg(vudb_value_kind(types[1 - k], n) != 0,
			    "%s", n);
		vudb_obj_free(o);
	}
	for (i = 0; (n = vudb_setting_name(i)) != NULL; i++)
		ck_assert_msg(vudb_value_kind(VUDB_SETTING, n) != 0, "%s", n);
	ck_assert_int_eq(vudb_value_kind(VUDB_USER, "uid"), VUDB_KIND_NUMBER);
	ck_assert_int_eq(vudb_value_kind(VUDB_USER, "quota_bytes"),
	    VUDB_KIND_NUMBER);
	ck_assert_int_eq(vudb_value_kind(VUDB_USER, "created"),
	    VUDB_KIND_NUMBER);
	ck_assert_int_eq(vudb_value_kind(VUDB_USER, "enabled"),
	    VUDB_KIND_BOOL);
	ck_assert_int_eq(vudb_value_kind(VUDB_USER, "services"),
	    VUDB_KIND_LIST);
	ck_assert_int_eq(vudb_value_kind(VUDB_USER, "home"), VUDB_KIND_TEXT);
	ck_assert_int_eq(vudb_value_kind(VUDB_USER, "password_scheme"),
	    VUDB_KIND_TEXT);
	ck_assert_int_eq(vudb_value_kind(VUDB_DOMAIN, "users"),
	    VUDB_KIND_NUMBER);
	ck_assert_int_eq(vudb_value_kind(VUDB_DOMAIN, "catchall"),
	    VUDB_KIND_BOOL);
	ck_assert_int_eq(vudb_value_kind(VUDB_ALIAS, "dest"), VUDB_KIND_LIST);
	ck_assert_int_eq(vudb_value_kind(VUDB_RELOCATED, "dest"),
	    VUDB_KIND_TEXT);
	ck_assert_int_eq(vudb_value_kind(VUDB_SENDER, "logins"),
	    VUDB_KIND_LIST);
	ck_assert_int_eq(vudb_value_kind(VUDB_SETTING, "gid"),
	    VUDB_KIND_NUMBER);
	ck_assert_int_eq(vudb_value_kind(VUDB_SETTING, "mail_base"),
	    VUDB_KIND_TEXT);
	ck_assert_int_eq(vudb_value_kind(VUDB_MAP, "uid"), VUDB_KIND_NUMBER);
	ck_assert_int_eq(vudb_value_kind(VUDB_MAP, "alias"), VUDB_KIND_LIST);
	ck_assert_int_eq(vudb_value_kind(VUDB_MAP, "mailbox"),
	    VUDB_KIND_TEXT);
	/* unknown, hidden, or no name */
	ck_assert_int_eq(vudb_value_kind(VUDB_USER, "nosuch"), 0);
	ck_assert_int_eq(vudb_value_kind(VUDB_DOMAIN, "deleted"), 0);
	ck_assert_int_eq(vudb_value_kind(VUDB_USER, "users"), 0);
	ck_assert_int_eq(vudb_value_kind(VUDB_MAP, "nosuch"), 0);
	ck_assert_int_eq(vudb_value_kind(VUDB_SETTING, "nosuch"), 0);
	ck_assert_int_eq(vudb_value_kind(0, "uid"), 0);
	ck_assert_int_eq(vudb_value_kind(VUDB_USER, NULL), 0);
}
END_TEST

START_TEST(test_auth)
{
	struct vudb_obj *o;

	/* cheap hashes in tests */
	ck_assert_int_eq(vudb_setting_set(db, "password_scheme",
	    "SHA512-CRYPT"), 0);
	ck_assert_int_eq(vudb_set_password(db, "matsui@pc2.example", "two"),
	    0);
	ck_assert_int_eq(vudb_auth(db, "matsui@pc1.example", "secret", "imap",
	    &o), VUDB_OK);
	ck_assert_str_eq(vudb_obj_name(o), "matsui@pc1.example");
	vudb_obj_free(o);
	ck_assert_int_eq(vudb_auth(db, "Matsui@PC2.example", "two", NULL,
	    NULL), VUDB_OK);
	/* the other domain's password does not open this one */
	ck_assert_int_eq(vudb_auth(db, "matsui@pc1.example", "two", NULL, &o),
	    VUDB_EAUTH);
	ck_assert_ptr_null(o);
	ck_assert_int_eq(vudb_auth(db, "matsui@pc2.example", "secret", NULL,
	    &o), VUDB_EAUTH);
	ck_assert_int_eq(vudb_auth(db, "nobody@pc1.example", "secret", NULL,
	    &o), VUDB_EAUTH);
	ck_assert_int_eq(vudb_auth(db, "matsui", "secret", NULL, &o),
	    VUDB_EAUTH);
	ck_assert_int_eq(vudb_auth(db, "matsui@nosuch.example", "secret",
	    NULL, &o), VUDB_EAUTH);
	ck_assert_int_eq(vudb_auth(db, "matsui@pc1.example", "", NULL, &o),
	    VUDB_EAUTH);
	ck_assert_int_eq(vudb_auth(db, "matsui@pc1.example", NULL, NULL, &o),
	    VUDB_EINVAL);
	/* services: smtp counts as submission; doveadm is not limited */
	ck_assert_int_eq(vudb_update(db, VUDB_USER, "matsui@pc1.example",
	    (const char *[]){ "services", "imap", NULL }), 0);
	ck_assert_int_eq(vudb_auth(db, "matsui@pc1.example", "secret", "pop3",
	    &o), VUDB_EDISABLED);
	ck_assert_int_eq(vudb_auth(db, "matsui@pc1.example", "secret", "smtp",
	    &o), VUDB_EDISABLED);
	ck_assert_int_eq(vudb_auth(db, "matsui@pc1.example", "secret",
	    "doveadm", NULL), VUDB_OK);
	/* a wrong password on a disabled user is still a wrong password */
	ck_assert_int_eq(vudb_update(db, VUDB_USER, "matsui@pc1.example",
	    (const char *[]){ "enabled", "no", NULL }), 0);
	ck_assert_int_eq(vudb_auth(db, "matsui@pc1.example", "wrong", "imap",
	    &o), VUDB_EAUTH);
	ck_assert_int_eq(vudb_auth(db, "matsui@pc1.example", "secret", "imap",
	    &o), VUDB_EDISABLED);
	/* a disabled domain */
	ck_assert_int_eq(vudb_update(db, VUDB_DOMAIN, "pc2.example",
	    (const char *[]){ "enabled", "no", NULL }), 0);
	ck_assert_int_eq(vudb_auth(db, "matsui@pc2.example", "two", NULL, &o),
	    VUDB_EDISABLED);
	/* lookups without a password follow the same rules */
	ck_assert_int_eq(vudb_authorize(db, "matsui@pc2.example", "imap",
	    &o), VUDB_EDISABLED);
	ck_assert_ptr_null(o);
	ck_assert_int_eq(vudb_authorize(db, "matsui@pc2.example", "doveadm",
	    &o), VUDB_OK);
	ck_assert_str_eq(vudb_obj_name(o), "matsui@pc2.example");
	vudb_obj_free(o);
	ck_assert_int_eq(vudb_update(db, VUDB_USER, "matsui@pc1.example",
	    (const char *[]){ "enabled", "yes", "services", "imap,lmtp",
	    "receive", "no", NULL }), 0);
	ck_assert_int_eq(vudb_authorize(db, "Matsui@PC1.example", "imap",
	    NULL), VUDB_OK);
	ck_assert_int_eq(vudb_authorize(db, "matsui@pc1.example", "lmtp",
	    NULL), VUDB_EDISABLED);
	ck_assert_int_eq(vudb_authorize(db, "matsui@pc1.example", "pop3",
	    NULL), VUDB_EDISABLED);
	ck_assert_int_eq(vudb_authorize(db, "nobody@pc1.example", "imap",
	    NULL), VUDB_ENOTFOUND);
	ck_assert_int_eq(vudb_authorize(db, "../x", NULL, NULL),
	    VUDB_ENOTFOUND);
	ck_assert_int_eq(vudb_authorize(db, NULL, NULL, NULL),
	    VUDB_ENOTFOUND);
	ck_assert_int_eq(vudb_authorize(NULL, "a@b.example", NULL, NULL),
	    VUDB_EINVAL);
}
END_TEST

/*
 * A hash whose check needs more memory than there is: Argon2 with a cost
 * of 2 TiB.  The allocation fails (a sanitizer build is told to return
 * NULL, as libc does, instead of stopping), and the login is a temporary
 * failure: the password was not checked, so it is neither right nor wrong.
 */
START_TEST(test_auth_without_memory_is_temporary)
{
	static const char *const huge[] = { "password", "{ARGON2ID}"
	    "$argon2id$v=19$m=2147483648,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL };
	struct vudb_obj *o;

	ck_assert_int_eq(vudb_update(db, VUDB_USER, "matsui@pc2.example",
	    huge), 0);
	ck_assert_int_eq(vudb_password_verify(huge[1], "secret"),
	    VUDB_ENOMEM);
	ck_assert_int_eq(vudb_auth(db, "matsui@pc2.example", "secret", NULL,
	    &o), VUDB_ETEMP);
	ck_assert_ptr_null(o);
	ck_assert_ptr_nonnull(strstr(vudb_errmsg(db), "cannot check"));
	/* the other users are not concerned */
	ck_assert_int_eq(vudb_auth(db, "matsui@pc1.example", "secret", NULL,
	    NULL), VUDB_OK);
}
END_TEST

/*
 * median_ms - the median CPU time of n (at most 15) vudb_auth calls that
 * must fail: the work done, which other processes on a busy machine
 * disturb far less than they do the wall clock
 */
static double
median_ms(const char *user, const char *password, int n)
{
	struct timespec a, b;
	double t[15], x;
	int i, j;

	for (i = 0; i < n; i++) {
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
		ck_assert_int_eq(vudb_auth(db, user, password, NULL, NULL),
		    VUDB_EAUTH);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
		t[i] = (b.tv_sec - a.tv_sec) * 1e3 +
		    (b.tv_nsec - a.tv_nsec) / 1e6;
		for (j = i; j > 0 && t[j - 1] > t[j]; j--) {
			x = t[j];
			t[j] = t[j - 1];
			t[j - 1] = x;
		}
	}
	return t[n / 2];
}

/*
 * A failed login costs the same whatever the user's stored scheme: here
 * the store makes cheap ARGON2ID hashes, and one user keeps an expensive
 * SHA512-CRYPT hash (300,000 rounds).  Its wrong password and an unknown
 * user must take about the same time (once they differed 50 times).
 */
START_TEST(test_auth_same_cost_any_scheme)
{
	char *hash;
	const char *attrs[] = { "password", NULL, NULL };
	double known = 0, unknown = 1, nopw = 0;
	int n;

	ck_assert_int_eq(vudb_setting_set(db, "argon2_memory", "1024"), 0);
	ck_assert_int_eq(vudb_setting_set(db, "argon2_time", "1"), 0);
	ck_assert_int_eq(vudb_setting_set(db, "sha_rounds", "300000"), 0);
	ck_assert_int_eq(vudb_password_hash(db, "SHA512-CRYPT", "right",
	    &hash), 0);
	attrs[1] = hash;
	ck_assert_int_eq(vudb_add(db, VUDB_USER, "slow@pc1.example", attrs),
	    0);
	vudb_free(hash);
	ck_assert_int_eq(vudb_add(db, VUDB_USER, "nopw@pc1.example", NULL),
	    0);
	ck_assert_int_eq(vudb_auth(db, "slow@pc1.example", "right", NULL,
	    NULL), VUDB_OK);
	for (n = 5; n <= 15; n += 10) {	/* a busy machine: look longer */
		known = median_ms("slow@pc1.example", "wrong", n);
		unknown = median_ms("nobody@pc1.example", "wrong", n);
		nopw = median_ms("nopw@pc1.example", "wrong", n);
		if (known / unknown > 0.5 && known / unknown < 2.0 &&
		    nopw / unknown > 0.5 && nopw / unknown < 2.0)
			break;
	}
	ck_assert_msg(known / unknown > 0.5 && known / unknown < 2.0,
	    "wrong password %.1f ms, unknown user %.1f ms", known, unknown);
	ck_assert_msg(nopw / unknown > 0.5 && nopw / unknown < 2.0,
	    "no password %.1f ms, unknown user %.1f ms", nopw, unknown);
}
END_TEST

/* ------------------------------------------------------------ damage */

START_TEST(test_damaged_record_is_a_failure)
{
	struct vudb_obj *o;
	struct vudb__dom *d;
	char *answer;

	ck_assert_int_eq(vudb__dom_get(db, "pc1.example", 0, &d), 0);
	ck_assert_int_eq(db->be->put(&db->ctx, d->h, NULL, "ubad", 4, "garbage",
	    7, 0),
	    0);
	ck_assert_int_eq(vudb_lookup(db, "mailbox", "bad@pc1.example",
	    &answer), VUDB_ECORRUPT);
	ck_assert_int_eq(vudb_get(db, VUDB_USER, "bad@pc1.example", &o),
	    VUDB_ECORRUPT);
	ck_assert_int_eq(vudb_auth(db, "bad@pc1.example", "x", NULL, &o),
	    VUDB_ECORRUPT);
	ck_assert_int_eq(vudb_lookup(db, "mailbox", "matsui@pc1.example",
	    &answer), VUDB_OK);
	free(answer);
	/* a damaged domain record */
	ck_assert_int_eq(db->be->put(&db->ctx, d->h, NULL, "D", 1, "V\x01", 2,
	    0), 0);
	vudb__bump_gen(db);
	ck_assert_int_eq(vudb_lookup(db, "mailbox", "matsui@pc1.example",
	    &answer), VUDB_ECORRUPT);
	ck_assert_int_eq(vudb_lookup(db, "domain", "pc1.example", &answer),
	    VUDB_ECORRUPT);
	ck_assert_int_eq(vudb_lookup(db, "mailbox", "matsui@pc2.example",
	    &answer), VUDB_OK);
	free(answer);
}
END_TEST

/*
 * A record that fails its checksum (a changed byte, or an intact record
 * under another key, as a damaged page shows it) is a temporary failure,
 * never an answer; a record of format 1, without a checksum, still reads.
 */
START_TEST(test_record_checksum_mismatch)
{
	struct vudb__dom *d;
	struct vudb__rec r;
	unsigned char *buf;
	size_t len;
	char *answer;

	ck_assert_int_eq(vudb__dom_get(db, "pc1.example", 0, &d), 0);
	vudb__rec_init(&r, VUDB_USER);
	ck_assert_int_eq(vudb__rec_set(&r, VUDB__U_NAME, "Flipped"), 0);
	ck_assert_int_eq(vudb__rec_encode(&r, &buf, &len), 0);
	vudb__rec_clear(&r);
	/* sealed for its own key: found */
	vudb__rec_seal(buf, len, "uflip", 5);
	ck_assert_int_eq(vudb__rec_check("uflip", 5, buf, len), VUDB_OK);
	ck_assert_int_eq(db->be->put(&db->ctx, d->h, NULL, "uflip", 5, buf, len,
	    0),
	    0);
	ck_assert_int_eq(vudb_lookup(db, "mailbox", "flip@pc1.example",
	    &answer), VUDB_OK);
	free(answer);
	/* one byte of a value changed */
	buf[5] ^= 0x01;
	ck_assert_int_eq(vudb__rec_check("uflip", 5, buf, len),
	    VUDB_ECORRUPT);
	ck_assert_int_eq(db->be->put(&db->ctx, d->h, NULL, "uflip", 5, buf, len,
	    0),
	    0);
	ck_assert_int_eq(vudb_lookup(db, "mailbox", "flip@pc1.example",
	    &answer), VUDB_ETEMP);
	ck_assert_ptr_nonnull(strstr(vudb_errmsg(db), "damaged"));
	buf[5] ^= 0x01;
	/* intact, but under another key */
	ck_assert_int_eq(db->be->put(&db->ctx, d->h, NULL, "umoved", 6, buf,
	    len,
	    0), 0);
	ck_assert_int_eq(vudb_lookup(db, "mailbox", "moved@pc1.example",
	    &answer), VUDB_ETEMP);
	/* every other user still answers */
	ck_assert_int_eq(vudb_lookup(db, "mailbox", "matsui@pc1.example",
	    &answer), VUDB_OK);
	free(answer);
	/* version 1 (before checksums): read as it was */
	ck_assert_int_eq(db->be->put(&db->ctx, d->h, NULL, "uold", 4,
	    "V\x01\x02",
	    3, 0), 0);
	ck_assert_int_eq(vudb__rec_check("uold", 4, "V\x01\x02", 3),
	    VUDB__REC_NOSUM);
	ck_assert_int_eq(vudb_lookup(db, "mailbox", "old@pc1.example",
	    &answer), VUDB_OK);
	free(answer);
	free(buf);
}
END_TEST

/* A domain file overwritten with garbage fails alone. */
START_TEST(test_damaged_file_is_isolated)
{
	struct vudb *r;
	char *answer, *p, junk[16384];
	int fd, rc;

	if (!tu_is_dir())
		return;	/* files only */

	vudb_close(db);
	p = tu_domfile(dir, "pc1.example");
	memset(junk, 0x5a, sizeof(junk));
	ck_assert_int_ge(fd = open(p, O_WRONLY | O_TRUNC), 0);
	ck_assert_int_eq(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	free(p);
	r = tu_open(dir, VUDB_RDONLY);
	rc = vudb_lookup(r, "mailbox", "matsui@pc1.example", &answer);
	ck_assert_msg(rc != VUDB_OK && rc != VUDB_ENOTFOUND, "rc %d", rc);
	ck_assert_str_ne(vudb_errmsg(r), "");
	ck_assert_int_eq(vudb_lookup(r, "mailbox", "matsui@pc2.example",
	    &answer), VUDB_OK);
	ck_assert_str_eq(answer, "pc2.example/matsui/Maildir/");
	free(answer);
	vudb_close(r);
	db = tu_open(dir, 0);
}
END_TEST

/* slurp - a whole file in memory (free()), its length in *len_r */
static char *
slurp(const char *path, size_t *len_r)
{
	struct stat sb;
	char *buf;
	int fd;

	ck_assert_int_ge(fd = open(path, O_RDONLY), 0);
	ck_assert_int_eq(fstat(fd, &sb), 0);
	ck_assert_ptr_nonnull(buf = malloc((size_t)sb.st_size + 1));
	ck_assert_int_eq(read(fd, buf, (size_t)sb.st_size),
	    (ssize_t)sb.st_size);
	close(fd);
	*len_r = (size_t)sb.st_size;
	return buf;
}

/*
 * A domain file truncated under a reader that has it open, then restored
 * by renaming a copy over it (or copying it back): the domain answers
 * again within a second, and never wrongly.  Berkeley DB's handle kept the
 * truncated file open, and answered "Invalid argument" (fop_read_meta) or
 * DB_PAGE_NOTFOUND for as long as nothing else reopened the environment.
 */
START_TEST(test_truncated_file_restored)
{
	static const int by_rename[] = { 1, 0, 1, 0 };
	struct timespec t0, t1;
	struct vudb *r;
	char *answer, *p, tmp[4200], *copy;
	size_t len;
	double secs;
	int fd, i, k, rc;

	if (strcmp(tu_backend(), "bdb") != 0)
		return;
	for (i = 0; i < 200; i++) {
		snprintf(tmp, sizeof(tmp), "user%d@pc1.example", i);
		ck_assert_int_eq(vudb_add(db, VUDB_USER, tmp, NULL), 0);
	}
	p = tu_domfile(dir, "pc1.example");
	snprintf(tmp, sizeof(tmp), "%s.copy", p);
	copy = slurp(p, &len);
	r = tu_open(dir, VUDB_RDONLY);
	for (k = 0; k < 4; k++) {
		/* as in the fault campaign: the environment was opened
		 * anew (after a recovery) before the file was truncated */
		if (k >= 2)
			ck_assert_int_eq(tu_panic(dir), 0);
		answer = tu_lookup(r, "mailbox", "matsui@pc1.example");
		ck_assert_str_eq(answer, "pc1.example/matsui/Maildir/");
		free(answer);
		ck_assert_int_eq(truncate(p, 0), 0);
		for (i = 0; i < 200; i++) {
			snprintf(tmp, sizeof(tmp), "user%d@pc1.example", i);
			rc = vudb_lookup(r, "mailbox", tmp, &answer);
			ck_assert_int_ne(rc, VUDB_ENOTFOUND);
			if (rc == VUDB_OK)
				free(answer);
		}
		/* restored */
		snprintf(tmp, sizeof(tmp), "%s.copy", p);
		if (by_rename[k]) {
			ck_assert_int_ge(fd = open(tmp, O_WRONLY | O_CREAT |
			    O_TRUNC, 0660), 0);
			ck_assert_int_eq(write(fd, copy, len), (ssize_t)len);
			close(fd);
			ck_assert_int_eq(rename(tmp, p), 0);
		} else {
			ck_assert_int_ge(fd = open(p, O_WRONLY | O_TRUNC), 0);
			ck_assert_int_eq(write(fd, copy, len), (ssize_t)len);
			close(fd);
		}
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (;;) {
			rc = vudb_lookup(r, "mailbox", "user150@pc1.example",
			    &answer);
			ck_assert_int_ne(rc, VUDB_ENOTFOUND);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			secs = (double)(t1.tv_sec - t0.tv_sec) +
			    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
			if (rc == VUDB_OK) {
				ck_assert_str_eq(answer,
				    "pc1.example/user150/Maildir/");
				free(answer);
				break;
			}
			ck_assert_msg(secs < 2.0, "restored by %s: still %s "
			    "after %.1f s: %s", by_rename[k] ? "rename" : "cp",
			    vudb_strerror(rc), secs, vudb_errmsg(r));
			usleep(50000);
		}
		answer = tu_lookup(r, "mailbox", "matsui@pc2.example");
		ck_assert_str_eq(answer, "pc2.example/matsui/Maildir/");
		free(answer);
	}
	vudb_close(r);
	free(copy);
	free(p);
}
END_TEST

/*
 * A damaged page panics Berkeley DB's environment: the damaged domain is
 * quarantined and fails alone; the others answer again after a reopen.
 */
START_TEST(test_damaged_page_is_isolated)
{
	struct vudb *r;
	char *answer, *p, name[64], page[64];
	int fd, i, rc;

	/* LMDB keeps no checksums: a damaged page is not detected there */
	if (strcmp(tu_backend(), "bdb") != 0)
		return;
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "user%d@pc1.example", i);
		ck_assert_int_eq(vudb_add(db, VUDB_USER, name, NULL), 0);
	}
	vudb_close(db);
	/* as after a reboot: no shared memory regions cache the pages */
	for (i = 1; i <= 6; i++) {
		snprintf(name, sizeof(name), "__db.%03d", i);
		p = tu_path(dir, name);
		(void)unlink(p);
		free(p);
	}
	p = tu_path(dir, "domains/pc1.example.db");
	ck_assert_int_ge(fd = open(p, O_RDWR), 0);
	ck_assert_int_eq(pread(fd, page, sizeof(page), 4096 + 300), 64);
	for (i = 0; i < 64; i++)
		page[i] ^= 0xff;
	ck_assert_int_eq(pwrite(fd, page, sizeof(page), 4096 + 300), 64);
	close(fd);
	free(p);
	r = tu_open(dir, VUDB_RDONLY);
	rc = vudb_lookup(r, "mailbox", "user1@pc1.example", &answer);
	ck_assert_int_eq(rc, VUDB_ECORRUPT);
	ck_assert_ptr_nonnull(strstr(vudb_errmsg(r), "quarantined"));
	ck_assert_int_eq(vudb_lookup(r, "mailbox", "matsui@pc2.example",
	    &answer), VUDB_OK);
	free(answer);
	ck_assert_int_eq(vudb_lookup(r, "mailbox", "user2@pc1.example",
	    &answer), VUDB_ECORRUPT);
	ck_assert_int_eq(vudb_lookup(r, "domain", "pc2.example", &answer),
	    VUDB_OK);
	free(answer);
	/* restored (here: the page written back): the quarantine ends by
	 * itself, for the reader that met it too */
	p = tu_path(dir, "domains/pc1.example.db");
	ck_assert_int_ge(fd = open(p, O_RDWR), 0);
	for (i = 0; i < 64; i++)
		page[i] ^= 0xff;
	ck_assert_int_eq(pwrite(fd, page, sizeof(page), 4096 + 300), 64);
	close(fd);
	free(p);
	ck_assert_int_eq(vudb_lookup(r, "mailbox", "user1@pc1.example",
	    &answer), VUDB_OK);
	free(answer);
	p = tu_path(dir, "domains/pc1.example.db.damaged");
	ck_assert_int_ne(access(p, F_OK), 0);
	free(p);
	vudb_close(r);
	db = tu_open(dir, 0);
	ck_assert_int_eq(vudb_get(db, VUDB_USER, "matsui@pc2.example", NULL),
	    VUDB_EINVAL);
}
END_TEST

/* ------------------------------------------------------------ readers */

/*
 * A process killed with the store open (a vudbadm piped into head) leaves
 * the store needing recovery: the next reader runs it, it does not fail
 * until a writer comes.
 */
START_TEST(test_reader_recovers_after_kill)
{
	struct vudb *r;
	char *answer;
	int status;
	pid_t pid;

	vudb_close(db);
	db = NULL;
	if ((pid = fork()) == 0) {
		r = tu_open(dir, VUDB_RDONLY);
		if (vudb_lookup(r, "mailbox", "matsui@pc1.example",
		    &answer) != 0)
			_exit(2);
		kill(getpid(), SIGKILL);
		_exit(3);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status));
	r = tu_open(dir, VUDB_RDONLY);
	ck_assert_int_eq(vudb_lookup(r, "mailbox", "matsui@pc1.example",
	    &answer), VUDB_OK);
	free(answer);
	vudb_close(r);
	db = tu_open(dir, 0);
}
END_TEST

/*
 * A panic met while a domain is being opened (the first lookup of a
 * reader after another process recovered the store) makes the reader open
 * the environment anew, there and then: it answered TEMP for every domain,
 * for good, when only record operations noticed panics.
 */
START_TEST(test_reader_reopens_after_panic)
{
	struct vudb *r;
	char *answer;
	int i;

	r = tu_open(dir, VUDB_RDONLY);
	if (tu_panic(dir) != 0) {
		vudb_close(r);
		return;
	}
	for (i = 0; i < 3; i++) {
		answer = tu_lookup(r, "mailbox", "matsui@pc1.example");
		ck_assert_str_eq(answer, "pc1.example/matsui/Maildir/");
		free(answer);
	}
	/* and once more, a lookup with its domains open */
	ck_assert_int_eq(tu_panic(dir), 0);
	answer = tu_lookup(r, "mailbox", "matsui@pc2.example");
	ck_assert_str_eq(answer, "pc2.example/matsui/Maildir/");
	free(answer);
	vudb_close(r);
}
END_TEST

/*
 * Handles of one process share the environment.  After a panic, one that
 * is idle (a vudb-mapd worker with no request) does not hold the others
 * back: the first to be used opens the environment anew at once, and the
 * idle one moves to it at its next call.  The first waited for the idle
 * one before, answering TEMP meanwhile.
 */
START_TEST(test_idle_handle_does_not_hold_others)
{
	struct vudb *a, *b;
	char *answer;
	int i;

	a = tu_open(dir, VUDB_RDONLY);
	b = tu_open(dir, VUDB_RDONLY);
	answer = tu_lookup(a, "mailbox", "matsui@pc1.example");
	free(answer);
	answer = tu_lookup(b, "mailbox", "matsui@pc2.example");
	free(answer);
	if (tu_panic(dir) != 0) {
		vudb_close(a);
		vudb_close(b);
		return;
	}
	for (i = 0; i < 3; i++) {
		answer = tu_lookup(a, "mailbox", "matsui@pc1.example");
		ck_assert_str_eq(answer, "pc1.example/matsui/Maildir/");
		free(answer);
	}
	answer = tu_lookup(b, "mailbox", "matsui@pc2.example");
	ck_assert_str_eq(answer, "pc2.example/matsui/Maildir/");
	free(answer);
	/* and the same the other way round */
	ck_assert_int_eq(tu_panic(dir), 0);
	answer = tu_lookup(b, "mailbox", "matsui@pc1.example");
	ck_assert_str_eq(answer, "pc1.example/matsui/Maildir/");
	free(answer);
	answer = tu_lookup(a, "mailbox", "matsui@pc2.example");
	ck_assert_str_eq(answer, "pc2.example/matsui/Maildir/");
	free(answer);
	vudb_close(b);
	vudb_close(a);
}
END_TEST

struct looker {
	const char	*dir;
	const char	*key;
	const char	*want;
	volatile int	*stop;
	int		 ok, temp, wrong;
	int		 last;		/* status of the last lookup */
};

static void *
looker_main(void *arg)
{
	struct looker *l = arg;
	struct vudb *r;
	char *answer;
	int rc;

	if (vudb_open(l->dir, VUDB_RDONLY, &r) != VUDB_OK) {
		l->wrong++;
		return NULL;
	}
	while (!__atomic_load_n(l->stop, __ATOMIC_SEQ_CST)) {
		rc = vudb_lookup(r, "mailbox", l->key, &answer);
		if (rc == VUDB_OK && strcmp(answer, l->want) == 0)
			l->ok++;
		else if (rc == VUDB_ETEMP)
			l->temp++;
		else
			l->wrong++;
		l->last = rc;
		free(answer);
	}
	vudb_close(r);
	return NULL;
}

/*
 * Threads with a handle each look up without pause while other processes
 * panic the environment again and again: no crash, no wrong answer, no
 * run of failures, and every thread answers again after the last panic.
 */
START_TEST(test_threads_survive_panics)
{
	struct looker l[2] = {
		{ dir, "matsui@pc1.example", "pc1.example/matsui/Maildir/",
		    NULL, 0, 0, 0, 0 },
		{ dir, "matsui@pc2.example", "pc2.example/matsui/Maildir/",
		    NULL, 0, 0, 0, 0 },
	};
	volatile int stop = 0;
	pthread_t t[2];
	int i, ok[2];

	if (strcmp(tu_backend(), "bdb") != 0)
		return;
	vudb_close(db);
	db = NULL;
	for (i = 0; i < 2; i++) {
		l[i].stop = &stop;
		ck_assert_int_eq(pthread_create(&t[i], NULL, looker_main,
		    &l[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		usleep(100000);
		ck_assert_int_eq(tu_panic(dir), 0);
	}
	usleep(100000);
	ok[0] = l[0].ok;
	ok[1] = l[1].ok;
	usleep(300000);
	__atomic_store_n(&stop, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		ck_assert_int_eq(l[i].wrong, 0);
		/* no storm of failures while the other thread's handle holds
		 * the panicked environment (none is expected at all) */
		ck_assert_msg(l[i].temp * 50 < l[i].ok, "%d failures, %d "
		    "answers", l[i].temp, l[i].ok);
		ck_assert_int_eq(l[i].last, VUDB_OK);
		/* answering again after the last panic */
		ck_assert_int_gt(l[i].ok, ok[i]);
	}
	db = tu_open(dir, 0);
}
END_TEST

/* region_maps - mappings of this process of region files (deleted: of
 * removed ones only) */
static int
region_maps(int deleted)
{
	char line[4096];
	FILE *fp;
	int n = 0;

	ck_assert_ptr_nonnull(fp = fopen("/proc/self/maps", "r"));
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strstr(line, "/__db.0") != NULL && (!deleted ||
		    strstr(line, "(deleted)") != NULL))
			n++;
	fclose(fp);
	return n;
}

/*
 * The environment a panic left behind is given back: Berkeley DB keeps
 * its regions mapped after closing it, and every panic cost a process
 * about 100 MB of address space (and the blocks of the removed region
 * files), until a Dovecot auth process under its 256 MB limit failed.
 */
START_TEST(test_panics_give_back_regions)
{
	struct vudb *r, *idle;
	char *answer;
	int i;

	if (strcmp(tu_backend(), "bdb") != 0)
		return;
	r = tu_open(dir, VUDB_RDONLY);
	idle = tu_open(dir, VUDB_RDONLY);
	answer = tu_lookup(idle, "mailbox", "matsui@pc2.example");
	free(answer);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(tu_panic(dir), 0);
		answer = tu_lookup(r, "mailbox", "matsui@pc1.example");
		ck_assert_str_eq(answer, "pc1.example/matsui/Maildir/");
		free(answer);
		ck_assert_int_eq(region_maps(1), 0);
	}
	answer = tu_lookup(idle, "mailbox", "matsui@pc2.example");
	ck_assert_str_eq(answer, "pc2.example/matsui/Maildir/");
	free(answer);
	vudb_close(idle);
	/* the last handle on a dead environment */
	ck_assert_int_eq(tu_panic(dir), 0);
	vudb_close(r);
	ck_assert_int_eq(region_maps(0), 0);
}
END_TEST

/*
 * Regions left half made (their maker failed for a full disk, or was
 * killed while making them) are made anew at once: Berkeley DB's own
 * joiner waits 3, 6 and 9 s for a maker that will never finish, and a
 * login (or vudb-mapd's worker) was silent for 18 s.  A fresh empty
 * __db.001, and a fresh one of zeroes, as those makers leave them.
 */
START_TEST(test_half_made_regions_do_not_wait)
{
	static const size_t sizes[] = { 0, 100000 };
	struct timespec t0, t1;
	struct vudb *r;
	char path[4200], *answer, zero[4096];
	size_t i, n;
	double secs;
	int fd;

	if (strcmp(tu_backend(), "bdb") != 0)
		return;
	vudb_close(db);
	db = NULL;
	memset(zero, 0, sizeof(zero));
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		/* no process has the store open: its regions go */
		for (n = 1; n <= 9; n++) {
			snprintf(path, sizeof(path), "%s/__db.00%zu", dir, n);
			(void)unlink(path);
		}
		snprintf(path, sizeof(path), "%s/__db.001", dir);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0660);
		ck_assert_int_ge(fd, 0);
		for (n = 0; n < sizes[i]; n += sizeof(zero))
			ck_assert_int_eq(write(fd, zero, sizeof(zero)),
			    (ssize_t)sizeof(zero));
		close(fd);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		r = tu_open(dir, VUDB_RDONLY);
		answer = tu_lookup(r, "mailbox", "matsui@pc1.example");
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ck_assert_str_eq(answer, "pc1.example/matsui/Maildir/");
		free(answer);
		vudb_close(r);
		secs = (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		ck_assert_msg(secs < 2.0, "a __db.001 of %zu bytes left half "
		    "made: the open took %.1f s", sizes[i], secs);
	}
	db = tu_open(dir, 0);
}
END_TEST

/*
 * A writer's handle is usable again after a panic too, and a change that
 * met the panic before its commit (nothing of it made) is made again on
 * the new environment: a damaged page of another domain, or a recovery by
 * another process, costs a writer nothing.
 */
START_TEST(test_writer_reopens_after_panic)
{
	if (tu_panic(dir) != 0)
		return;
	ck_assert_int_eq(vudb_add(db, VUDB_USER, "after@pc1.example", NULL),
	    VUDB_OK);
	ck_assert_int_eq(vudb_add(db, VUDB_USER, "after@pc1.example", NULL),
	    VUDB_EEXIST);
	ck_assert_int_eq(vudb_get(db, VUDB_USER, "after@pc1.example", NULL),
	    VUDB_EINVAL);
	ck_assert_int_eq(tu_panic(dir), 0);
	/* a read is made again on the new environment */
	{
		struct vudb_obj *o;

		ck_assert_int_eq(vudb_get(db, VUDB_USER, "after@pc1.example",
		    &o), VUDB_OK);
		vudb_obj_free(o);
	}
}
END_TEST

/*
 * A writer killed with a batch open, outside the storage library, leaves
 * its locks behind: vudb_check releases them (aborting its transaction)
 * and the store goes on without recovery, so that readers keep their
 * environment.  Without it the next writer on those records waited for
 * ever.
 */
START_TEST(test_check_releases_dead_writer)
{
	struct vudb *w;
	char *answer, c;
	int go[2], status;
	pid_t pid;

	if (strcmp(tu_backend(), "bdb") != 0)
		return;
	ck_assert_int_eq(pipe(go), 0);
	/* no handle crosses the fork */
	vudb_close(db);
	db = NULL;
	if ((pid = fork()) == 0) {
		struct vudb *cw = tu_open(dir, 0);

		if (vudb_begin(cw, "pc1.example") != 0 ||
		    vudb_update(cw, VUDB_USER, "matsui@pc1.example",
		    (const char *[]){ "name", "never", NULL }) != 0)
			_exit(2);
		(void)write(go[1], "g", 1);
		pause();
		_exit(3);
	}
	ck_assert_int_eq(read(go[0], &c, 1), 1);
	w = tu_open(dir, 0);
	db = tu_open(dir, VUDB_RDONLY);
	answer = tu_lookup(db, "mailbox", "matsui@pc1.example");
	free(answer);
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status));
	/* the dead writer's locks are released, its batch is undone */
	ck_assert_msg(vudb_check(w) == VUDB_OK, "%s", vudb_errmsg(w));
	alarm(20);
	ck_assert_int_eq(vudb_update(w, VUDB_USER, "matsui@pc1.example",
	    (const char *[]){ "name", "after", NULL }), VUDB_OK);
	alarm(0);
	/* the readers of this process kept their environment */
	ck_assert_int_eq(vudb_check(db), VUDB_OK);
	answer = tu_lookup(db, "mailbox", "matsui@pc1.example");
	ck_assert_str_eq(answer, "pc1.example/matsui/Maildir/");
	free(answer);
	vudb_close(w);
	close(go[0]);
	close(go[1]);
}
END_TEST

/* A reader is not held up by a writer's open transaction. */
START_TEST(test_reader_does_not_wait)
{
	int go[2], done[2];
	struct vudb *w, *r;
	char *answer, c;
	pid_t pid;

	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_eq(pipe(done), 0);
	vudb_close(db);
	db = NULL;
	if ((pid = fork()) == 0) {
		w = tu_open(dir, 0);
		if (vudb_begin(w, "pc1.example") != 0 ||
		    vudb_add(w, VUDB_USER, "pending@pc1.example", NULL) != 0 ||
		    vudb_update(w, VUDB_USER, "matsui@pc1.example",
		    (const char *[]){ "name", "changing", NULL }) != 0)
			_exit(2);
		(void)write(go[1], "g", 1);
		(void)read(done[0], &c, 1);
		vudb_abort(w);
		vudb_close(w);
		_exit(0);
	}
	ck_assert_int_eq(read(go[0], &c, 1), 1);
	alarm(10);
	r = tu_open(dir, VUDB_RDONLY);
	ck_assert_int_eq(vudb_lookup(r, "mailbox", "matsui@pc1.example",
	    &answer), VUDB_OK);
	free(answer);
	/* uncommitted work is not seen */
	ck_assert_int_eq(vudb_lookup(r, "mailbox", "pending@pc1.example",
	    &answer), VUDB_ENOTFOUND);
	alarm(0);
	vudb_close(r);
	(void)write(done[1], "d", 1);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	db = tu_open(dir, 0);
}
END_TEST


/* ------------------------------------------------------------ renames */

START_TEST(test_rename_user)
{
	struct vudb_obj *o;
	char *answer;

	ck_assert_int_eq(vudb_add(db, VUDB_ALIAS, "info@pc1.example",
	    (const char *[]){ "dest", "matsui@pc1.example,x@other.example",
	    NULL }), 0);
	ck_assert_int_eq(vudb_add(db, VUDB_SENDER, "matsui@pc1.example",
	    (const char *[]){ "logins", "boss@pc1.example", NULL }), 0);
	ck_assert_int_eq(vudb_rename(db, VUDB_USER, "matsui@pc1.example",
	    "Taro@pc1.example"), VUDB_OK);
	ck_assert_int_eq(vudb_get(db, VUDB_USER, "matsui@pc1.example", &o),
	    VUDB_ENOTFOUND);
	/* the password, the mailbox, the alias and the grants follow */
	ck_assert_int_eq(vudb_auth(db, "taro@pc1.example", "secret", NULL,
	    NULL), VUDB_OK);
	ck_assert_int_eq(vudb_lookup(db, "mailbox", "taro@pc1.example",
	    &answer), VUDB_OK);
	ck_assert_str_eq(answer, "pc1.example/matsui/Maildir/");
	free(answer);
	ck_assert_int_eq(vudb_lookup(db, "alias", "info@pc1.example",
	    &answer), VUDB_OK);
	ck_assert_str_eq(answer, "taro@pc1.example,x@other.example");
	free(answer);
	ck_assert_int_eq(vudb_lookup(db, "sender", "taro@pc1.example",
	    &answer), VUDB_OK);
	ck_assert_str_eq(answer, "taro@pc1.example,boss@pc1.example");
	free(answer);
	ck_assert_int_eq(vudb_get(db, VUDB_USER, "taro@pc1.example", &o), 0);
	ck_assert_str_eq(vudb_obj_get(o, "home"),
	    "/var/vmail/pc1.example/matsui");
	vudb_obj_free(o);
	/* refusals */
	ck_assert_int_eq(vudb_rename(db, VUDB_USER, "taro@pc1.example",
	    "matsui@pc2.example"), VUDB_EEXIST);
	ck_assert_int_eq(vudb_rename(db, VUDB_USER, "nobody@pc1.example",
	    "x@pc1.example"), VUDB_ENOTFOUND);
	ck_assert_int_eq(vudb_rename(db, VUDB_USER, "taro@pc1.example",
	    "x@nosuch.example"), VUDB_ENOTFOUND);
	ck_assert_int_eq(vudb_rename(db, VUDB_USER, "taro@pc1.example",
	    "../x@pc1.example"), VUDB_EINVAL);
	ck_assert_int_eq(vudb_rename(db, VUDB_ALIAS, "@pc1.example",
	    "x@pc1.example"), VUDB_EINVAL);
	/* a move to another domain obeys its limits */
	ck_assert_int_eq(vudb_update(db, VUDB_DOMAIN, "pc2.example",
	    (const char *[]){ "max_users", "1", NULL }), 0);
	ck_assert_int_eq(vudb_rename(db, VUDB_USER, "taro@pc1.example",
	    "taro@pc2.example"), VUDB_ELIMIT);
	ck_assert_int_eq(vudb_update(db, VUDB_DOMAIN, "pc2.example",
	    (const char *[]){ "max_users", "2", NULL }), 0);
	ck_assert_int_eq(vudb_rename(db, VUDB_USER, "taro@pc1.example",
	    "taro@pc2.example"), VUDB_OK);
	ck_assert_int_eq(vudb_auth(db, "taro@pc2.example", "secret", NULL,
	    NULL), VUDB_OK);
	ck_assert_int_eq(vudb_lookup(db, "alias", "info@pc1.example",
	    &answer), VUDB_OK);
	ck_assert_str_eq(answer, "taro@pc2.example,x@other.example");
	free(answer);
	ck_assert_int_eq(vudb_verify(db, NULL, NULL, NULL), VUDB_OK);
	ck_assert_int_eq(vudb_get(db, VUDB_DOMAIN, "pc1.example", &o), 0);
	ck_assert_str_eq(vudb_obj_effective(o, "users"), "0");
	vudb_obj_free(o);
}
END_TEST

START_TEST(test_rename_domain)
{
	struct vudb_obj *o;
	struct vudb *rd;
	char *answer;

	ck_assert_int_eq(vudb_add(db, VUDB_ALIAS, "@pc2.example",
	    (const char *[]){ "dest", "matsui@pc2.example", NULL }), 0);
	rd = tu_open(dir, VUDB_RDONLY);
	ck_assert_int_eq(vudb_lookup(rd, "mailbox", "matsui@pc2.example",
	    &answer), VUDB_OK);
	free(answer);
	ck_assert_int_eq(vudb_rename(db, VUDB_DOMAIN, "pc2.example",
	    "pc3.example"), VUDB_OK);
	ck_assert_int_eq(vudb_lookup(rd, "mailbox", "matsui@pc2.example",
	    &answer), VUDB_ENOTFOUND);
	ck_assert_int_eq(vudb_lookup(rd, "mailbox", "matsui@pc3.example",
	    &answer), VUDB_OK);
	ck_assert_str_eq(answer, "pc2.example/matsui/Maildir/");
	free(answer);
	ck_assert_int_eq(vudb_lookup(rd, "alias", "any@pc3.example",
	    &answer), VUDB_OK);
	ck_assert_str_eq(answer, "matsui@pc3.example");
	free(answer);
	vudb_close(rd);
	ck_assert_int_eq(vudb_get(db, VUDB_DOMAIN, "pc3.example", &o), 0);
	ck_assert_str_eq(vudb_obj_effective(o, "users"), "1");
	ck_assert_str_eq(vudb_obj_effective(o, "aliases"), "1");
	vudb_obj_free(o);
	ck_assert_int_eq(vudb_rename(db, VUDB_DOMAIN, "pc3.example",
	    "pc1.example"), VUDB_EEXIST);
	ck_assert_int_eq(vudb_rename(db, VUDB_DOMAIN, "pc2.example",
	    "pc4.example"), VUDB_ENOTFOUND);
	/* the old name can be used again */
	ck_assert_int_eq(vudb_add(db, VUDB_DOMAIN, "pc2.example", NULL), 0);
	ck_assert_int_eq(vudb_verify(db, NULL, NULL, NULL), VUDB_OK);
}
END_TEST

static void
count_problem(void *arg, const char *domain, const char *problem)
{
	(void)domain;
	ck_assert_ptr_nonnull(problem);
	(*(int *)arg)++;
}

START_TEST(test_verify_finds_problems)
{
	struct vudb__dom *d;
	int n = 0;

	ck_assert_int_eq(vudb_verify(db, NULL, count_problem, &n), VUDB_OK);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(vudb_verify(db, "pc1.example", NULL, NULL), VUDB_OK);
	ck_assert_int_eq(vudb_verify(db, "nosuch.example", NULL, NULL),
	    VUDB_ENOTFOUND);
	ck_assert_int_eq(vudb__dom_get(db, "pc1.example", 0, &d), 0);
	ck_assert_int_eq(db->be->put(&db->ctx, d->h, NULL, "ubad", 4, "garbage",
	    7, 0),
	    0);
	ck_assert_int_eq(db->be->put(&db->ctx, d->h, NULL, "uBAD", 4,
	    "V\x01\x02",
	    3, 0), 0);
	ck_assert_int_eq(db->be->put(&db->ctx, d->h, NULL, "?", 1, "x", 1, 0),
	    0);
	ck_assert_int_eq(vudb_verify(db, NULL, count_problem, &n),
	    VUDB_ECORRUPT);
	/* garbage, a non-canonical name, an unknown key, the counters;
	 * and a note (not a problem) of the record without a checksum */
	ck_assert_int_eq(n, 5);
	ck_assert_ptr_nonnull(strstr(vudb_errmsg(db), "4 problems"));
}
END_TEST

/* ------------------------------------------------------------ convert */

static void
count_domains(void *arg, const char *domain, unsigned long long n)
{
	(void)domain;
	ck_assert_uint_gt(n, 0);
	(*(int *)arg)++;
}

/* A store copied to the other backend answers the same, byte for byte. */
START_TEST(test_convert_to_other_backend)
{
	static const char *const keys[][2] = {
		{ "mailbox", "matsui@pc1.example" },
		{ "mailbox", "Matsui+x@PC2.example" },
		{ "alias", "any@pc2.example" },
		{ "alias", "info+t@pc1.example" },
		{ "uid", "matsui@pc1.example" },
		{ "domain", "pc1.example" },
		{ "alias", "al.example" },
		{ "sender", "info@pc1.example" },
	};
	const char *other;
	struct vudb *dst;
	struct vudb__dom *d;
	char *odir, *url, *a, *b;
	size_t i;
	int n = 0;

#if !defined(WITH_LMDB) || !defined(WITH_BDB)
	return;
#endif
	other = strcmp(tu_backend(), "bdb") == 0 ? "lmdb" : "bdb";
	ck_assert_int_eq(vudb_add(db, VUDB_ALIAS, "@pc2.example",
	    (const char *[]){ "dest", "matsui@pc2.example", NULL }), 0);
	ck_assert_int_eq(vudb_add(db, VUDB_ALIAS, "info@pc1.example",
	    (const char *[]){ "dest", "matsui@pc1.example", NULL }), 0);
	ck_assert_int_eq(vudb_add(db, VUDB_DOMAIN, "al.example",
	    (const char *[]){ "target", "pc1.example", NULL }), 0);
	ck_assert_int_eq(vudb_setting_set(db, "uid", "4321"), 0);
	/* a field of a newer version travels too */
	ck_assert_int_eq(vudb__dom_get(db, "pc1.example", 0, &d), 0);
	ck_assert_int_eq(db->be->put(&db->ctx, d->h, NULL, "unew", 4,
	    "V\x01\x02\x63\x03" "abc", 8, 0), 0);
	odir = tu_mkstore();
	ck_assert(asprintf(&url, "%s:%s", other, odir) > 0);
	dst = tu_open(url, VUDB_CREATE);
	ck_assert_int_eq(vudb_convert(db, dst, NULL, count_domains, &n), 0);
	ck_assert_int_eq(n, 3);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		a = tu_lookup(db, keys[i][0], keys[i][1]);
		b = tu_lookup(dst, keys[i][0], keys[i][1]);
		ck_assert_msg(strcmp(a, b) == 0, "%s %s: %s, copy %s",
		    keys[i][0], keys[i][1], a, b);
		ck_assert_str_ne(a, "");
		free(a);
		free(b);
	}
	ck_assert_int_eq(vudb_auth(dst, "matsui@pc1.example", "secret", NULL,
	    NULL), VUDB_OK);
	/* the hand-made record upsets the counters in both, alike; it has
	 * no checksum in the source (a note), and got one in the copy */
	ck_assert_int_eq(vudb_verify(db, NULL, count_problem, &n),
	    VUDB_ECORRUPT);
	ck_assert_int_eq(vudb_verify(dst, NULL, count_problem, &n),
	    VUDB_ECORRUPT);
	ck_assert_int_eq(n, 3 + 1 + 2);
	/* again: the domains are there now */
	ck_assert_int_eq(vudb_convert(db, dst, "pc1.example", NULL, NULL),
	    VUDB_EEXIST);
	ck_assert_int_eq(vudb_convert(db, dst, "nosuch.example", NULL, NULL),
	    VUDB_ENOTFOUND);
	ck_assert_int_eq(vudb_convert(db, db, NULL, NULL, NULL), VUDB_EINVAL);
	vudb_close(dst);
	/* a plain path opens the copy with its own backend */
	dst = tu_open(odir, VUDB_RDONLY);
	a = tu_lookup(dst, "uid", "matsui@pc2.example");
	ck_assert_str_eq(a, "4321");
	free(a);
	vudb_close(dst);
	free(url);
	tu_rmtree(odir);
	free(odir);
}
END_TEST

/* ------------------------------------------------------------ logs */

/* The transaction logs of a busy store are removed as they age. */
START_TEST(test_logs_do_not_grow)
{
	char name[64], text[1025], *p;
	const char *attrs[] = { "name", text, NULL };
	struct dirent *de;
	int i, n, logs;
	DIR *d;

	if (strcmp(tu_backend(), "bdb") != 0)
		return;		/* LMDB keeps no logs */
	memset(text, 'x', 1024);
	text[1024] = '\0';
	/* about 60 MiB of log: four 16 MiB log files written */
	for (n = 0; n < 60; n++) {
		ck_assert_int_eq(vudb_begin(db, "pc1.example"), 0);
		for (i = 0; i < 1000; i++) {
			snprintf(name, sizeof(name), "u%d-%d@pc1.example", n,
			    i);
			ck_assert_int_eq(vudb_add(db, VUDB_USER, name, attrs),
			    0);
		}
		ck_assert_int_eq(vudb_commit(db), 0);
	}
	ck_assert_ptr_nonnull(d = opendir(dir));
	logs = 0;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "log.", 4) == 0)
			logs++;
	closedir(d);
	ck_assert_msg(logs <= 2, "%d log files left", logs);
	p = tu_path(dir, "log.0000000001");
	ck_assert_int_ne(access(p, F_OK), 0);
	free(p);
}
END_TEST

/* ------------------------------------------------------------ audit log */

struct audit_seen {
	size_t	 n;
	char	 last[512];
	int	 secret;	/* a detail held the hash */
};

static int
audit_collect(void *arg, const struct vudb_audit *e)
{
	struct audit_seen *a = arg;

	a->n++;
	snprintf(a->last, sizeof(a->last), "%s %s %s %s", e->op, e->type,
	    e->name, e->detail);
	if (strstr(e->detail, TEST_HASH_SECRET) != NULL)
		a->secret = 1;
	ck_assert_uint_eq(e->uid, (unsigned long)getuid());
	ck_assert_str_ne(e->program, "");
	ck_assert_int_eq(e->time[19], 'Z');
	return VUDB_OK;
}

static size_t
audit_count(struct vudb *h, const char *since, const char *domain,
    struct audit_seen *a)
{
	memset(a, 0, sizeof(*a));
	ck_assert_int_eq(vudb_audit_list(h, since, domain, audit_collect, a),
	    VUDB_OK);
	return a->n;
}

START_TEST(test_audit_log)
{
	static const char *const q[] = { "quota_bytes", "1G", NULL };
	struct audit_seen a;
	struct vudb *ro;
	size_t n;

	/* the fixture's changes: two domains, two users; the hash never */
	n = audit_count(db, NULL, NULL, &a);
	ck_assert_uint_ge(n, 4);
	ck_assert_int_eq(a.secret, 0);
	ck_assert_str_eq(a.last, "add user matsui@pc2.example ");
	ck_assert_uint_eq(audit_count(db, NULL, "PC1.example", &a), 2);
	ck_assert_uint_eq(audit_count(db, "2999", NULL, &a), 0);
	ck_assert_int_eq(vudb_audit_list(db, NULL, "no..domain",
	    audit_collect, &a), VUDB_EINVAL);
	/* one line per change, with the attributes' values */
	ck_assert_int_eq(vudb_update(db, VUDB_USER, "Matsui@pc1.example", q),
	    VUDB_OK);
	ck_assert_uint_eq(audit_count(db, NULL, NULL, &a), n + 1);
	ck_assert_str_eq(a.last, "update user matsui@pc1.example "
	    "quota_bytes=1G");
	/* an aborted batch leaves no line; a committed one its lines */
	ck_assert_int_eq(vudb_begin(db, "pc1.example"), VUDB_OK);
	ck_assert_int_eq(vudb_add(db, VUDB_USER, "a@pc1.example", NULL),
	    VUDB_OK);
	ck_assert_int_eq(vudb_abort(db), VUDB_OK);
	ck_assert_uint_eq(audit_count(db, NULL, NULL, &a), n + 1);
	ck_assert_int_eq(vudb_begin(db, "pc1.example"), VUDB_OK);
	ck_assert_int_eq(vudb_add(db, VUDB_USER, "b@pc1.example", NULL),
	    VUDB_OK);
	ck_assert_uint_eq(audit_count(db, NULL, NULL, &a), n + 1);
	ck_assert_int_eq(vudb_commit(db), VUDB_OK);
	ck_assert_uint_eq(audit_count(db, NULL, NULL, &a), n + 2);
	ck_assert_str_eq(a.last, "add user b@pc1.example ");
	/* a failed change leaves none */
	ck_assert_int_eq(vudb_add(db, VUDB_USER, "b@pc1.example", NULL),
	    VUDB_EEXIST);
	ck_assert_uint_eq(audit_count(db, NULL, NULL, &a), n + 2);
	/* a read-only handle reads the log and never writes it */
	ck_assert_int_eq(vudb_open(dir, VUDB_RDONLY, &ro), VUDB_OK);
	ck_assert_uint_eq(audit_count(ro, NULL, NULL, &a), n + 2);
	vudb_close(ro);
	ck_assert_int_eq(vudb_audit_list(NULL, NULL, NULL, audit_collect,
	    &a), VUDB_EINVAL);
	ck_assert_int_eq(vudb_audit_list(db, NULL, NULL, NULL, NULL),
	    VUDB_EINVAL);
}
END_TEST

Suite *
check_suite(void)
{
	Suite *s = suite_create("api");
	TCase *tc;

	tc = tcase_create("vudb_open");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_open_bad_arguments);
	tcase_add_test(tc, test_open_bad_conf);
	tcase_add_test(tc, test_open_rdonly_refuses_writes);
	suite_add_tcase(s, tc);
	tc = tcase_create("names");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_names_refused_everywhere, 0,
	    (int)(sizeof(bad_names) / sizeof(bad_names[0])));
	tcase_add_test(tc, test_names_too_long);
	tcase_add_test(tc, test_normalize);
	suite_add_tcase(s, tc);
	tc = tcase_create("entries");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_entry_bad_attributes);
	tcase_add_test(tc, test_entry_update_and_effective);
	tcase_add_test(tc, test_entry_user_deletion_takes_grants);
	tcase_add_test(tc, test_domain_lifecycle);
	tcase_add_test(tc, test_domain_limits);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_list_empty_store);
	tcase_add_test(tc, test_batch_commit_and_abort);
	tcase_add_test(tc, test_new_domain_batches_and_bulk);
	tcase_add_test(tc, test_dead_build_removed);
	tcase_add_test(tc, test_open_domains_bounded);
	tcase_add_test(tc, test_settings);
	tcase_add_test(tc, test_effective_names);
	tcase_add_test(tc, test_value_kind);
	tcase_add_test(tc, test_audit_log);
	suite_add_tcase(s, tc);
	tc = tcase_create("grants");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_grant_and_revoke);
	tcase_add_test(tc, test_grant_concurrent_none_lost);
	suite_add_tcase(s, tc);
	tc = tcase_create("renames");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_rename_user);
	tcase_add_test(tc, test_rename_domain);
	tcase_add_test(tc, test_verify_finds_problems);
	tcase_add_test(tc, test_convert_to_other_backend);
	suite_add_tcase(s, tc);
	tc = tcase_create("passwords");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_password_api);
	tcase_add_test(tc, test_password_usable_schemes);
	tcase_add_test(tc, test_add_user_hashes_with_domain_scheme);
	tcase_add_test(tc, test_add_user_refusals);
	tcase_add_test(tc, test_auth);
	tcase_add_test(tc, test_auth_without_memory_is_temporary);
	tcase_add_test(tc, test_auth_same_cost_any_scheme);
	suite_add_tcase(s, tc);
	tc = tcase_create("damage");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_damaged_record_is_a_failure);
	tcase_add_test(tc, test_record_checksum_mismatch);
	tcase_add_test(tc, test_damaged_file_is_isolated);
	tcase_add_test(tc, test_damaged_page_is_isolated);
	tcase_add_test(tc, test_reader_does_not_wait);
	tcase_add_test(tc, test_reader_recovers_after_kill);
	tcase_add_test(tc, test_reader_reopens_after_panic);
	tcase_add_test(tc, test_idle_handle_does_not_hold_others);
	tcase_add_test(tc, test_writer_reopens_after_panic);
	tcase_add_test(tc, test_threads_survive_panics);
	tcase_add_test(tc, test_check_releases_dead_writer);
	tcase_add_test(tc, test_panics_give_back_regions);
	tcase_add_test(tc, test_half_made_regions_do_not_wait);
	tcase_add_test(tc, test_truncated_file_restored);
	suite_add_tcase(s, tc);
	tc = tcase_create("logs");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_logs_do_not_grow);
	suite_add_tcase(s, tc);
	return s;
}
