/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * cmd_verify.c - checking and sizing the store: "verify [DOMAIN]" runs
 * vudb_verify() over every domain file and record and lists each problem
 * (exit 65 when there is any); "stats" counts domains, users and aliases
 * and adds up the sizes of the domain databases and of the whole store
 * (environment regions and transaction logs included), as the store's
 * backend tells them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vudbadm.h"

struct vreport {
	struct ctx	*c;
	struct table	*t;
	unsigned long	 n;		/* problems */
	unsigned long	 rows;		/* problems, notes and warnings */
	unsigned long	 warnings;	/* names stored before folding */
};

static void
report(void *arg, const char *domain, const char *problem)
{
	struct vreport *v = arg;

	/* notes ("note: ...") and warnings ("warning: ...", a name stored
	 * before folding) of vudb_verify are not problems */
	if (strncmp(problem, "warning: ", 9) == 0)
		v->warnings++;
	else if (strncmp(problem, "note: ", 6) != 0)
		v->n++;
	v->rows++;
	if (v->c->json) {
		jw_obj_begin(&v->c->jw);
		jw_key(&v->c->jw, "domain");
		jw_str(&v->c->jw, domain);
		jw_kv(&v->c->jw, "problem", problem);
		jw_obj_end(&v->c->jw);
	} else
		table_add(v->t, domain != NULL ? domain : "(store)", problem);
}

static int
cmd_verify(struct ctx *c, int argc, char **argv)
{
	struct vreport v;
	char *pos[1];
	int n, rc;

	if ((n = parse_opts(c, argc, argv, NULL, pos, 1)) < 0)
		return EX_USAGE;
	if ((rc = open_store(c, 0)) != EX_OK)
		return rc;
	memset(&v, 0, sizeof(v));
	v.c = c;
	if (c->json) {
		jw_obj_begin(&c->jw);
		jw_key(&c->jw, "problems");
		jw_arr_begin(&c->jw);
	} else if ((v.t = table_new(2, "DOMAIN", "PROBLEM")) == NULL)
		return fail_msg(c, EX_TEMPFAIL, "out of memory");
	rc = vudb_verify(c->db, n == 1 ? pos[0] : NULL, report, &v);
	if (c->json) {
		jw_arr_end(&c->jw);
		jw_kvb(&c->jw, "ok", rc == VUDB_OK);
		jw_obj_end(&c->jw);
		jw_end(&c->jw);
	} else {
		if (v.rows > 0)
			table_print(v.t, stdout);
		table_free(v.t);
	}
	if (rc == VUDB_ECORRUPT || (rc == VUDB_OK && v.n > 0)) {
		fail_msg(c, EX_DATAERR, "%lu problem%s found", v.n,
		    v.n == 1 ? "" : "s");
		return EX_DATAERR;
	}
	if (rc != VUDB_OK)
		return fail(c, rc, n == 1 ? pos[0] : "verify");
	if (!c->json)
		printf("no problems found%s\n", v.warnings > 0 ?
		    " (only warnings)" : "");
	return EX_OK;
}

static int
cmd_stats(struct ctx *c, int argc, char **argv)
{
	struct vudb_iter *it;
	struct vudb_obj *o;
	struct table *t = NULL;
	unsigned long long ndom = 0, nalias_dom = 0, users = 0, aliases = 0;
	unsigned long long files = 0, store, sz;
	const char *v;
	char nbuf[3][32], *pos[1];
	int rc;

	if (parse_opts(c, argc, argv, NULL, pos, 0) < 0)
		return EX_USAGE;
	if ((rc = open_store(c, 0)) != EX_OK)
		return rc;
	if ((rc = vudb_list(c->db, VUDB_DOMAIN, NULL, &it)) != VUDB_OK)
		return fail(c, rc, "listing domains");
	if (!c->json)
		t = table_new(4, "DOMAIN", "USERS", "ALIASES", "BYTES");
	else {
		jw_obj_begin(&c->jw);
		jw_key(&c->jw, "domain_files");
		jw_arr_begin(&c->jw);
	}
	while ((rc = iter_next(it, &o)) == VUDB_OK) {
		unsigned long long u = 0, a = 0;

		ndom++;
		if (vudb_obj_get(o, "target") != NULL)
			nalias_dom++;
		if ((v = vudb_obj_effective(o, "users")) != NULL)
			u = strtoull(v, NULL, 10);
		if ((v = vudb_obj_effective(o, "aliases")) != NULL)
			a = strtoull(v, NULL, 10);
		users += u;
		aliases += a;
		/* what the backend keeps for it (0 if it cannot tell) */
		if (vudb_domain_size(c->db, vudb_obj_name(o), &sz) != VUDB_OK)
			sz = 0;
		files += sz;
		if (c->json) {
			jw_obj_begin(&c->jw);
			jw_kv(&c->jw, "domain", vudb_obj_name(o));
			jw_kvu(&c->jw, "users", u);
			jw_kvu(&c->jw, "aliases", a);
			jw_kvu(&c->jw, "bytes", sz);
			jw_obj_end(&c->jw);
		} else if (t != NULL) {
			snprintf(nbuf[0], sizeof(nbuf[0]), "%llu", u);
			snprintf(nbuf[1], sizeof(nbuf[1]), "%llu", a);
			snprintf(nbuf[2], sizeof(nbuf[2]), "%llu", sz);
			table_add(t, vudb_obj_name(o), nbuf[0], nbuf[1],
			    nbuf[2]);
		}
	}
	vudb_iter_free(it);
	if (rc != VUDB_ENOTFOUND) {
		table_free(t);
		return fail(c, rc, "listing domains");
	}
	if (vudb_store_size(c->db, &store) != VUDB_OK)
		store = 0;
	if (c->json) {
		jw_arr_end(&c->jw);
		jw_kvu(&c->jw, "domains", ndom);
		jw_kvu(&c->jw, "alias_domains", nalias_dom);
		jw_kvu(&c->jw, "users", users);
		jw_kvu(&c->jw, "aliases", aliases);
		jw_kvu(&c->jw, "domain_bytes", files);
		jw_kvu(&c->jw, "store_bytes", store);
		jw_obj_end(&c->jw);
		jw_end(&c->jw);
		return EX_OK;
	}
	printf("domains:       %llu (%llu alias domains)\n", ndom, nalias_dom);
	printf("users:         %llu\n", users);
	printf("aliases:       %llu\n", aliases);
	printf("domain files:  %llu bytes\n", files);
	printf("store total:   %llu bytes\n", store);
	if (t != NULL && ndom > 0) {
		putchar('\n');
		table_print(t, stdout);
	}
	table_free(t);
	return EX_OK;
}

const struct cmd cmds_verify[] = {
	{ NULL, "verify", cmd_verify, "[domain]" },
	{ NULL, "stats", cmd_stats, "" },
	{ NULL, NULL, NULL, NULL }
};
