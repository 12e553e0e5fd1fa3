/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * cmd_export.c - "export [--times] [DOMAIN]": everything in the store as
 * JSON Lines on stdout, in an order that import(8) reads back: the store
 * settings (only when the whole store is exported), then for each domain
 * in name order its domain record, users, aliases, relocated entries and
 * send-as grants.  Every line is {"type":..., "name":..., "attrs":{...}}
 * ("setting" lines: {"type","name","value"}) with the stored attributes
 * in the library's fixed order, password hashes as stored.  The derived
 * "kind" is left out, and so are the created and updated times unless
 * --times is given, so that an export, imported into an empty store and
 * exported again, gives the same bytes.  "convert [SRC] DST" copies a
 * store into another (of another backend, say) with vudb_convert: byte
 * for byte, each domain compared with its source.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vudbadm.h"

/* export_obj - one entry as an export line */
static void
export_obj(struct ctx *c, const struct vudb_obj *o, int times)
{
	obj_json(c, o, OBJ_EXPORT | (times ? OBJ_TIMES : 0));
}

/* export_domain - a domain and all of its entries */
static int
export_domain(struct ctx *c, const char *domain, int times)
{
	static const int types[] = {
		VUDB_USER, VUDB_ALIAS, VUDB_RELOCATED, VUDB_SENDER
	};
	struct vudb_iter *it;
	struct vudb_obj *o;
	size_t k;
	int rc;

	if ((rc = vudb_get(c->db, VUDB_DOMAIN, domain, &o)) != VUDB_OK)
		return fail(c, rc, domain);
	export_obj(c, o, times);
	vudb_obj_free(o);
	for (k = 0; k < NELEM(types); k++) {
		if ((rc = vudb_list(c->db, types[k], domain, &it)) != VUDB_OK)
			return fail(c, rc, domain);
		while ((rc = iter_next(it, &o)) == VUDB_OK)
			export_obj(c, o, times);
		vudb_iter_free(it);
		if (rc != VUDB_ENOTFOUND)
			return fail(c, rc, domain);
	}
	return EX_OK;
}

/* export_all - the settings, then every domain */
static int
export_all(struct ctx *c, int times)
{
	const char *name, *value;
	char **names;
	size_t i, n;
	int rc, ex;

	for (i = 0; (name = vudb_setting_name(i)) != NULL; i++) {
		if ((rc = vudb_setting_get(c->db, name, &value)) != VUDB_OK)
			return fail(c, rc, name);
		jw_obj_begin(&c->jw);
		jw_kv(&c->jw, "type", "setting");
		jw_kv(&c->jw, "name", name);
		json_kv(&c->jw, "value", vudb_value_kind(VUDB_SETTING, name),
		    value);
		jw_obj_end(&c->jw);
		jw_end(&c->jw);
	}
	if ((ex = list_domains(c, &names, &n, 0)) != EX_OK)
		return ex;
	for (i = 0; i < n && ex == EX_OK; i++)
		ex = export_domain(c, names[i], times);
	names_free(names, n);
	return ex;
}

static int
cmd_export(struct ctx *c, int argc, char **argv)
{
	char *pos[1];
	int np, rc, times = 0;
	struct opt opts[] = {
		{ "--times", 0, NULL, &times },
		{ NULL, 0, NULL, NULL }
	};

	if ((np = parse_opts(c, argc, argv, opts, pos, 1)) < 0)
		return EX_USAGE;
	if ((rc = open_store(c, 0)) != EX_OK)
		return rc;
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (np == 1)
		return export_domain(c, pos[0], times);
	return export_all(c, times);
}

/* convert_progress - one line per domain copied, on a terminal */
static void
convert_progress(void *arg, const char *domain, unsigned long long n)
{
	struct ctx *c = arg;

	if (c->json) {
		jw_obj_begin(&c->jw);
		jw_kv(&c->jw, "domain", domain);
		jw_kvu(&c->jw, "records", n);
		jw_obj_end(&c->jw);
		jw_end(&c->jw);
	} else if (isatty(STDOUT_FILENO))
		printf("%s: %llu records copied and compared\n", domain, n);
}

/*
 * convert [SOURCE] DEST: copy every domain of the store SOURCE (else the
 * -d store) into the store DEST (made when missing; "lmdb:PATH" for an
 * LMDB store), with the settings: records as stored, byte for byte, one
 * transaction per domain, each domain read back and compared with its
 * source (vudb_convert).  SOURCE is only read.
 */
static int
cmd_convert(struct ctx *c, int argc, char **argv)
{
	struct vudb *dst;
	char *pos[2];
	const char *to;
	int n, rc;

	if ((n = parse_opts(c, argc, argv, NULL, pos, 2)) < 0)
		return EX_USAGE;
	if (n == 0)
		return usage_error(c, "destination store missing");
	if (n == 2) {
		c->store = pos[0];
		to = pos[1];
	} else
		to = pos[0];
	if ((rc = open_store(c, VUDB_RDONLY)) != EX_OK)
		return rc;
	if ((rc = vudb_open(to, VUDB_CREATE, &dst)) != VUDB_OK)
		return fail_rc(c, rc, "%s: %s", to,
		    vudb_open_errmsg()[0] != '\0' ? vudb_open_errmsg() :
		    vudb_strerror(rc));
	rc = vudb_convert(c->db, dst, NULL, convert_progress, c);
	if (rc != VUDB_OK) {
		n = fail_rc(c, rc, "%s", vudb_errmsg(dst)[0] ?
		    vudb_errmsg(dst) : vudb_strerror(rc));
		vudb_close(dst);
		return n;
	}
	vudb_close(dst);
	return EX_OK;
}

const struct cmd cmds_export[] = {
	{ NULL, "export", cmd_export, "[--times] [domain]" },
	{ NULL, "convert", cmd_convert, "[source-store] destination-store" },
	{ NULL, NULL, NULL, NULL }
};
