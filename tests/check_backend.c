/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * check_backend.c - the backend contract suite.  The same cases run
 * against every compiled backend, through the private vtable and through
 * the public API: not-found, exists, overwrite, delete, prefix iteration in
 * key order, transactions that commit or vanish, reopening, listing and
 * removing domains, and close(NULL).  Then the test-only "fail" backend
 * injects failures, and every caller must report them as failures, never
 * as "not found" or "wrong password".  Last, a store that is not a
 * directory (the test-only "mem" backend) reaches its settings and its
 * change counter through the door alone.
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

static const char *const backends[] = {
#ifdef WITH_BDB
	"bdb",
#endif
#ifdef WITH_LMDB
	"lmdb",
#endif
#ifdef WITH_PGSQL
	"pgsql",	/* on the cluster of $VUDB_TEST_PG (tests/pgsql.sh) */
#endif
	"fail",
};
#define NBACKENDS	((int)(sizeof(backends) / sizeof(backends[0])))

static char *dir;

static void
setup(void)
{
	dir = tu_mkstore();
	unsetenv("VUDB_FAIL");
}

static void
teardown(void)
{
	tu_rmtree(dir);
	free(dir);
}

/* url - the store URL of backend i; NULL for pgsql without a cluster */
static char *
url(int i)
{
	char *u;

	if (strcmp(backends[i], "pgsql") == 0)
		return tu_pgsql_url(dir);
	ck_assert(asprintf(&u, "%s:%s", backends[i], dir) > 0);
	return u;
}

struct seen {
	char	keys[16][16];
	size_t	n;
	size_t	stop;
};

static int
record_key(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	struct seen *s = arg;

	(void)val;
	(void)vlen;
	ck_assert(klen < 16 && s->n < 16);
	memcpy(s->keys[s->n], key, klen);
	s->keys[s->n][klen] = '\0';
	if (++s->n == s->stop)
		return 42;
	return 0;
}

static int
count_domain(void *arg, const char *domain)
{
	(void)domain;
	(*(int *)arg)++;
	return 0;
}

START_TEST(test_backend_contract)
{
	struct vudb_buf buf = { NULL, 0, 0 };
	const struct vudb_backend *be;
	struct vudb *db;
	struct seen seen;
	void *h, *h2, *txn;
	char *u = url(_i), *big;
	int n;

	if (u == NULL)
		return;		/* pgsql: run by tests/pgsql.sh */
	db = tu_open(u, VUDB_CREATE);
	be = db->be;
	ck_assert_str_eq(be->name, backends[_i]);
	ck_assert_uint_eq(be->abi, VUDB_BACKEND_ABI);
	ck_assert_int_eq(be->dom_open(&db->ctx, db->st, "a.example", 0, &h),
	    VUDB_ENOTFOUND);
	ck_assert_ptr_null(h);
	ck_assert_int_eq(be->dom_open(&db->ctx, db->st, "a.example",
	    VUDB_CREATE,
	    &h), VUDB_OK);
	ck_assert_int_eq(be->dom_open(&db->ctx, db->st, "a.example", 0, &h2),
	    VUDB_OK);
	be->dom_close(&db->ctx, db->st, h2);
	/* get, put, overwrite, del */
	ck_assert_int_eq(be->get(&db->ctx, h, NULL, "ua", 2, &buf),
	    VUDB_ENOTFOUND);
	ck_assert_int_eq(be->put(&db->ctx, h, NULL, "ua", 2, "one", 3, 0),
	    VUDB_OK);
	ck_assert_int_eq(be->get(&db->ctx, h, NULL, "ua", 2, &buf), VUDB_OK);
	ck_assert(buf.len == 3 && memcmp(buf.data, "one", 3) == 0);
	ck_assert_int_eq(be->put(&db->ctx, h, NULL, "ua", 2, "three", 5, 0),
	    VUDB_OK);
	ck_assert_int_eq(be->get(&db->ctx, h, NULL, "ua", 2, &buf), VUDB_OK);
	ck_assert(buf.len == 5 && memcmp(buf.data, "three", 5) == 0);
	ck_assert_int_eq(be->put(&db->ctx, h, NULL, "ua", 2, "new", 3,
	    VUDB_PUT_NEW), VUDB_EEXIST);
	ck_assert_int_eq(be->get(&db->ctx, h, NULL, "ua", 2, &buf), VUDB_OK);
	ck_assert(buf.len == 5 && memcmp(buf.data, "three", 5) == 0);
	ck_assert_int_eq(be->del(&db->ctx, h, NULL, "ua", 2), VUDB_OK);
	ck_assert_int_eq(be->del(&db->ctx, h, NULL, "ua", 2), VUDB_ENOTFOUND);
	ck_assert_int_eq(be->put(&db->ctx, h, NULL, "ua", 2, "new", 3,
	    VUDB_PUT_NEW), VUDB_OK);
	ck_assert_int_eq(be->del(&db->ctx, h, NULL, "ua", 2), VUDB_OK);
	ck_assert_int_eq(be->get(&db->ctx, h, NULL, "ua", 2, &buf),
	    VUDB_ENOTFOUND);
	/* a value larger than the buffer */
	big = malloc(60000);
	memset(big, 'b', 60000);
	ck_assert_int_eq(be->put(&db->ctx, h, NULL, "big", 3, big, 60000, 0),
	    VUDB_OK);
	ck_assert_int_eq(be->get(&db->ctx, h, NULL, "big", 3, &buf), VUDB_OK);
	ck_assert(buf.len == 60000 && memcmp(buf.data, big, 60000) == 0);
	free(big);
	/* prefix iteration in key order, and stopping */
	ck_assert_int_eq(be->put(&db->ctx, h, NULL, "uc", 2, "", 0, 0),
	    VUDB_OK);
	ck_assert_int_eq(be->put(&db->ctx, h, NULL, "ua", 2, "x", 1, 0),
	    VUDB_OK);
	ck_assert_int_eq(be->put(&db->ctx, h, NULL, "a1", 2, "x", 1, 0),
	    VUDB_OK);
	ck_assert_int_eq(be->put(&db->ctx, h, NULL, "ub", 2, "x", 1, 0),
	    VUDB_OK);
	ck_assert_int_eq(be->put(&db->ctx, h, NULL, "v", 1, "x", 1, 0),
	    VUDB_OK);
	memset(&seen, 0, sizeof(seen));
	ck_assert_int_eq(be->iter(&db->ctx, h, NULL, "u", 1, record_key, &seen),
	    VUDB_OK);
	ck_assert_uint_eq(seen.n, 3);
	ck_assert_str_eq(seen.keys[0], "ua");
	ck_assert_str_eq(seen.keys[1], "ub");
	ck_assert_str_eq(seen.keys[2], "uc");
	memset(&seen, 0, sizeof(seen));
	seen.stop = 2;
	ck_assert_int_eq(be->iter(&db->ctx, h, NULL, "u", 1, record_key, &seen),
	    42);
	memset(&seen, 0, sizeof(seen));
	ck_assert_int_eq(be->iter(&db->ctx, h, NULL, "", 0, record_key, &seen),
	    VUDB_OK);
	ck_assert_uint_eq(seen.n, 6);
	ck_assert_str_eq(seen.keys[0], "a1");
	/* transactions: abort leaves nothing, commit keeps everything */
	ck_assert_int_eq(be->begin(&db->ctx, db->st, &txn), VUDB_OK);
	ck_assert_int_eq(be->put(&db->ctx, h, txn, "ux", 2, "t", 1, 0),
	    VUDB_OK);
	ck_assert_int_eq(be->get(&db->ctx, h, txn, "ux", 2, &buf), VUDB_OK);
	be->abort(&db->ctx, db->st, txn);
	ck_assert_int_eq(be->get(&db->ctx, h, NULL, "ux", 2, &buf),
	    VUDB_ENOTFOUND);
	ck_assert_int_eq(be->begin(&db->ctx, db->st, &txn), VUDB_OK);
	ck_assert_int_eq(be->put(&db->ctx, h, txn, "ux", 2, "t", 1, 0),
	    VUDB_OK);
	ck_assert_int_eq(be->del(&db->ctx, h, txn, "a1", 2), VUDB_OK);
	ck_assert_int_eq(be->commit(&db->ctx, db->st, txn), VUDB_OK);
	be->dom_close(&db->ctx, db->st, h);
	vudb_close(db);
	/* reopening keeps what was committed */
	db = tu_open(u, 0);
	be = db->be;
	ck_assert_int_eq(be->dom_open(&db->ctx, db->st, "a.example", 0, &h),
	    VUDB_OK);
	ck_assert_int_eq(be->get(&db->ctx, h, NULL, "ux", 2, &buf), VUDB_OK);
	ck_assert_int_eq(be->get(&db->ctx, h, NULL, "a1", 2, &buf),
	    VUDB_ENOTFOUND);
	ck_assert_int_eq(be->get(&db->ctx, h, NULL, "ub", 2, &buf), VUDB_OK);
	be->dom_close(&db->ctx, db->st, h);
	/* listing and removing domains */
	ck_assert_int_eq(be->dom_open(&db->ctx, db->st, "b.example",
	    VUDB_CREATE,
	    &h), VUDB_OK);
	be->dom_close(&db->ctx, db->st, h);
	n = 0;
	ck_assert_int_eq(be->dom_list(&db->ctx, db->st, count_domain, &n),
	    VUDB_OK);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(be->verify(&db->ctx, db->st, "a.example"), VUDB_OK);
	ck_assert_int_eq(be->dom_remove(&db->ctx, db->st, "b.example"),
	    VUDB_OK);
	ck_assert_int_eq(be->dom_open(&db->ctx, db->st, "b.example", 0, &h),
	    VUDB_ENOTFOUND);
	n = 0;
	ck_assert_int_eq(be->dom_list(&db->ctx, db->st, count_domain, &n),
	    VUDB_OK);
	ck_assert_int_eq(n, 1);
	vudb_close(db);
	vudb_close(NULL);
	free(buf.data);
	free(u);
}
END_TEST

/* The same answers through the public API, for every entry type. */
START_TEST(test_backend_api_contract)
{
	static const struct {
		int		 type;
		const char	*name;
		const char	*attr, *value;
	} entries[] = {
		{ VUDB_USER, "u@c.example", "name", "U" },
		{ VUDB_ALIAS, "a@c.example", "dest", "u@c.example" },
		{ VUDB_ALIAS, "@c.example", "dest", "u@c.example" },
		{ VUDB_RELOCATED, "r@c.example", "dest", "x@y.example" },
		{ VUDB_SENDER, "s@c.example", "logins", "z@c.example" },
	};
	struct vudb_obj *o;
	struct vudb *db;
	const char *attrs[3];
	char *u = url(_i);
	size_t k;

	if (u == NULL)
		return;		/* pgsql: run by tests/pgsql.sh */
	db = tu_open(u, VUDB_CREATE);
	ck_assert_int_eq(vudb_add(db, VUDB_DOMAIN, "c.example", NULL),
	    VUDB_OK);
	ck_assert_int_eq(vudb_add(db, VUDB_DOMAIN, "C.EXAMPLE", NULL),
	    VUDB_EEXIST);
	for (k = 0; k < sizeof(entries) / sizeof(entries[0]); k++) {
		attrs[0] = entries[k].attr;
		attrs[1] = entries[k].value;
		attrs[2] = NULL;
		ck_assert_int_eq(vudb_get(db, entries[k].type, entries[k].name,
		    &o), VUDB_ENOTFOUND);
		ck_assert_ptr_null(o);
		ck_assert_int_eq(vudb_update(db, entries[k].type,
		    entries[k].name, attrs), VUDB_ENOTFOUND);
		ck_assert_int_eq(vudb_add(db, entries[k].type, entries[k].name,
		    attrs), VUDB_OK);
		ck_assert_int_eq(vudb_add(db, entries[k].type, entries[k].name,
		    attrs), VUDB_EEXIST);
		ck_assert_int_eq(vudb_get(db, entries[k].type, entries[k].name,
		    &o), VUDB_OK);
		ck_assert_str_eq(vudb_obj_get(o, entries[k].attr),
		    entries[k].value);
		ck_assert_str_eq(vudb_obj_name(o), entries[k].name);
		ck_assert_int_eq(vudb_obj_type(o), entries[k].type);
		ck_assert_ptr_nonnull(vudb_obj_get(o, "created"));
		vudb_obj_free(o);
	}
	vudb_close(db);
	/* after reopening: all there; deleting twice */
	db = tu_open(u, 0);
	for (k = 0; k < sizeof(entries) / sizeof(entries[0]); k++) {
		ck_assert_int_eq(vudb_get(db, entries[k].type, entries[k].name,
		    &o), VUDB_OK);
		vudb_obj_free(o);
		ck_assert_int_eq(vudb_del(db, entries[k].type,
		    entries[k].name), VUDB_OK);
		ck_assert_int_eq(vudb_del(db, entries[k].type,
		    entries[k].name), VUDB_ENOTFOUND);
	}
	ck_assert_int_eq(vudb_del(db, VUDB_DOMAIN, "c.example"), VUDB_OK);
	ck_assert_int_eq(vudb_del(db, VUDB_DOMAIN, "c.example"),
	    VUDB_ENOTFOUND);
	vudb_close(db);
	free(u);
}
END_TEST

/* ------------------------------------------------------------ failures */

static struct vudb *
fail_store(void)
{
	struct vudb *db;
	char *u;
	const char *pw[] = { "password", TEST_HASH_SECRET, NULL };

	ck_assert(asprintf(&u, "fail:%s", dir) > 0);
	db = tu_open(u, VUDB_CREATE);
	free(u);
	ck_assert_int_eq(vudb_add(db, VUDB_DOMAIN, "f.example", NULL), 0);
	ck_assert_int_eq(vudb_add(db, VUDB_USER, "u@f.example", pw), 0);
	ck_assert_int_eq(vudb_add(db, VUDB_ALIAS, "@f.example",
	    (const char *[]){ "dest", "u@f.example", NULL }), 0);
	return db;
}

static const char *const failing_ops[] = { "get", "dom_open" };

START_TEST(test_fail_reads_are_failures)
{
	struct vudb_obj *o;
	struct vudb *db = fail_store();
	char *answer, *u;
	static const char *const maps[] = { "domain", "mailbox", "alias",
	    "sender", "uid", "gid", "relocated" };
	static const char *const keys[] = { "f.example", "u@f.example",
	    "other@f.example", "u+x@f.example" };
	size_t m, k;
	int rc;

	/* a fresh reader, with nothing cached */
	vudb_close(db);
	setenv("VUDB_FAIL", failing_ops[_i], 1);
	ck_assert(asprintf(&u, "fail:%s", dir) > 0);
	db = tu_open(u, VUDB_RDONLY);
	free(u);
	for (m = 0; m < sizeof(maps) / sizeof(maps[0]); m++)
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			rc = vudb_lookup(db, maps[m], keys[k], &answer);
			/* keys a map never looks up may be "not found" */
			if ((m == 0 && k != 0) || (m > 2 && k == 0))
				ck_assert_int_eq(rc, VUDB_ENOTFOUND);
			else
				ck_assert_msg(rc == VUDB_ETEMP, "%s %s: %d",
				    maps[m], keys[k], rc);
			ck_assert_ptr_null(answer);
		}
	ck_assert_int_eq(vudb_auth(db, "u@f.example", "secret", NULL, &o),
	    VUDB_ETEMP);
	ck_assert_int_eq(vudb_auth(db, "nobody@f.example", "x", NULL, &o),
	    VUDB_ETEMP);
	ck_assert_int_eq(vudb_get(db, VUDB_USER, "u@f.example", &o),
	    VUDB_ETEMP);
	ck_assert_str_ne(vudb_errmsg(db), "");
	unsetenv("VUDB_FAIL");
	ck_assert_int_eq(vudb_auth(db, "u@f.example", "secret", "imap", &o),
	    VUDB_OK);
	vudb_obj_free(o);
	vudb_close(db);
}
END_TEST

static const char *const write_ops[] = { "put", "commit", "begin", "del" };

START_TEST(test_fail_writes_leave_nothing)
{
	struct vudb_obj *o;
	struct vudb *db = fail_store();
	int rc;

	setenv("VUDB_FAIL", write_ops[_i], 1);
	rc = vudb_add(db, VUDB_USER, "new@f.example", NULL);
	if (strcmp(write_ops[_i], "del") == 0)
		ck_assert_int_eq(rc, VUDB_OK);
	else
		ck_assert_int_eq(rc, VUDB_ETEMP);
	rc = vudb_del(db, VUDB_USER, "u@f.example");
	ck_assert_int_eq(rc, VUDB_ETEMP);
	unsetenv("VUDB_FAIL");
	rc = vudb_get(db, VUDB_USER, "new@f.example", &o);
	ck_assert_int_eq(rc, strcmp(write_ops[_i], "del") == 0 ? VUDB_OK :
	    VUDB_ENOTFOUND);
	vudb_obj_free(o);
	ck_assert_int_eq(vudb_get(db, VUDB_USER, "u@f.example", &o), VUDB_OK);
	vudb_obj_free(o);
	vudb_close(db);
}
END_TEST

/* A file in the store turns failures on and off under a running reader. */
START_TEST(test_fail_file_toggles)
{
	struct vudb *db = fail_store();
	char *answer, *path;
	FILE *fp;

	path = tu_path(dir, "fail");
	ck_assert_int_eq(vudb_lookup(db, "mailbox", "u@f.example", &answer),
	    VUDB_OK);
	free(answer);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs("get\n", fp);
	fclose(fp);
	ck_assert_int_eq(vudb_lookup(db, "mailbox", "u@f.example", &answer),
	    VUDB_ETEMP);
	unlink(path);
	ck_assert_int_eq(vudb_lookup(db, "mailbox", "u@f.example", &answer),
	    VUDB_OK);
	free(answer);
	free(path);
	vudb_close(db);
	setenv("VUDB_FAIL", "open", 1);
	ck_assert(asprintf(&path, "fail:%s", dir) > 0);
	ck_assert_int_eq(vudb_open(path, 0, &db), VUDB_ETEMP);
	ck_assert_ptr_null(db);
	free(path);
}
END_TEST

/* ------------------------------------------------------------ the door */

/*
 * A store that is not a directory (the test-only "mem" backend, as a
 * server's will be) opens, takes settings and moves its generation
 * through the door alone: no directory, no vudb.conf, no generation file,
 * and a second handle (another host) sees a change at its next call.
 */
START_TEST(test_door_store_not_a_directory)
{
	struct vudb *a, *b;
	const char *v;
	char *cwd, *name;

	cwd = getcwd(NULL, 0);
	ck_assert_ptr_nonnull(cwd);
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert(asprintf(&name, "mem:door%ld", (long)getpid()) > 0);
	ck_assert_int_eq(vudb_open(name, 0, &a), VUDB_ENOSTORE);
	ck_assert_ptr_null(a);
	ck_assert_int_eq(vudb_open(name, VUDB_CREATE, &a), VUDB_OK);
	ck_assert_str_eq(vudb_store_backend(a), "mem");
	ck_assert_int_eq(vudb_setting_get(a, "backend", &v), VUDB_OK);
	ck_assert_str_eq(v, "mem");
	ck_assert_int_eq(vudb_setting_set(a, "mail_base", "/srv/mail"),
	    VUDB_OK);
	/* nothing of a directory store was made, here or anywhere */
	ck_assert_int_ne(access(name + 4, F_OK), 0);
	ck_assert_int_ne(access("vudb.conf", F_OK), 0);
	ck_assert_int_ne(access("generation", F_OK), 0);

	ck_assert_int_eq(vudb_open(name, VUDB_RDONLY, &b), VUDB_OK);
	ck_assert_int_eq(vudb_setting_get(b, "mail_base", &v), VUDB_OK);
	ck_assert_str_eq(v, "/srv/mail");
	/* a's change moves the backend's counter: b's next call sees it */
	ck_assert_int_eq(vudb_setting_set(a, "mail_base", "/srv/vmail"),
	    VUDB_OK);
	ck_assert_int_eq(vudb_setting_get(b, "mail_base", &v), VUDB_OK);
	ck_assert_str_eq(v, "/srv/vmail");
	ck_assert_int_eq(vudb_setting_set(a, "mail_base", NULL), VUDB_OK);
	ck_assert_int_eq(vudb_setting_get(b, "mail_base", &v), VUDB_OK);
	ck_assert_str_eq(v, "/var/vmail");
	vudb_close(b);
	vudb_close(a);
	ck_assert_int_eq(chdir(cwd), 0);
	free(cwd);
	free(name);
}
END_TEST

Suite *
check_suite(void)
{
	Suite *s = suite_create("backend");
	TCase *tc;

	tc = tcase_create("contract");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_backend_contract, 0, NBACKENDS);
	tcase_add_loop_test(tc, test_backend_api_contract, 0, NBACKENDS);
	suite_add_tcase(s, tc);
	tc = tcase_create("fail");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_fail_reads_are_failures, 0,
	    (int)(sizeof(failing_ops) / sizeof(failing_ops[0])));
	tcase_add_loop_test(tc, test_fail_writes_leave_nothing, 0,
	    (int)(sizeof(write_ops) / sizeof(write_ops[0])));
	tcase_add_test(tc, test_fail_file_toggles);
	suite_add_tcase(s, tc);
	tc = tcase_create("door");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_door_store_not_a_directory);
	suite_add_tcase(s, tc);
	return s;
}
