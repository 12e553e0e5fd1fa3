/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * cmd_lookup.c - asking what the mail system will see: "lookup MAP KEY"
 * prints exactly what vudb-mapd answers Postfix (vudb_lookup), "auth
 * ADDRESS" checks a login as vudb-checkpassword does (vudb_auth), and "pw"
 * hashes a password the way "doveadm pw" does, or with -t checks one
 * against a hash.  Passwords come from standard input or the terminal.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vudbadm.h"

static int
cmd_lookup(struct ctx *c, int argc, char **argv)
{
	char *pos[2], *answer = NULL;
	int n, rc;

	if ((n = parse_opts(c, argc, argv, NULL, pos, 2)) < 0)
		return EX_USAGE;
	if (n != 2)
		return usage_error(c, "map and key needed");
	if (!vudb_map_valid(pos[0]))
		return usage_error(c, "%s: unknown map (domain, mailbox, "
		    "alias, sender, uid, gid, relocated)", pos[0]);
	if ((rc = open_store(c, VUDB_RDONLY)) != EX_OK)
		return rc == EX_NOINPUT ? EX_TEMPFAIL : rc;
	rc = vudb_lookup(c->db, pos[0], pos[1], &answer);
	if (rc != VUDB_OK && rc != VUDB_ENOTFOUND) {
		fail(c, rc, pos[1]);
		return rc == VUDB_ENOMAP ? EX_USAGE : EX_TEMPFAIL;
	}
	if (c->json) {
		jw_obj_begin(&c->jw);
		jw_kv(&c->jw, "map", pos[0]);
		jw_kv(&c->jw, "key", pos[1]);
		jw_kvb(&c->jw, "found", rc == VUDB_OK);
		/* the answer typed as its map's values are (uid: a number,
		 * alias: a list); null when not found */
		jw_key(&c->jw, "answer");
		if (answer != NULL)
			json_value(&c->jw, vudb_value_kind(VUDB_MAP, pos[0]),
			    answer);
		else
			jw_null(&c->jw);
		jw_obj_end(&c->jw);
		jw_end(&c->jw);
	} else if (rc == VUDB_OK)
		printf("%s\n", answer);
	vudb_free(answer);
	return rc == VUDB_OK ? EX_OK : EX_NOTFOUND;
}

/* read_pw - a password to check: stdin, or the terminal, asked once */
static int
read_pw(struct ctx *c, char *pw, size_t size)
{
	if (isatty(STDIN_FILENO))
		return pw_read_tty(c, pw, size, 0);
	return pw_read_stdin(c, pw, size);
}

static int
cmd_auth(struct ctx *c, int argc, char **argv)
{
	const char *service = NULL, *result;
	char pw[PW_MAX + 1], *pos[1];
	int n, rc, ex;
	struct opt opts[] = {
		{ "--service", 1, &service, NULL },
		{ "-s", 1, &service, NULL },
		{ NULL, 0, NULL, NULL }
	};

	if ((n = parse_opts(c, argc, argv, opts, pos, 1)) < 0)
		return EX_USAGE;
	if (n != 1)
		return usage_error(c, "address missing");
	if ((rc = open_store(c, VUDB_RDONLY)) != EX_OK)
		return rc == EX_NOINPUT ? EX_TEMPFAIL : rc;
	if ((ex = read_pw(c, pw, sizeof(pw))) != EX_OK)
		return ex;
	rc = vudb_auth(c->db, pos[0], pw, service, NULL);
	pw_wipe(pw, sizeof(pw));
	switch (rc) {
	case VUDB_OK:
		result = "accepted";
		ex = EX_OK;
		break;
	case VUDB_EAUTH:
		result = "refused";
		ex = EX_NOTFOUND;
		break;
	case VUDB_EDISABLED:
		result = "disabled";
		ex = EX_NOTFOUND;
		break;
	default:
		fail(c, rc, pos[0]);
		return EX_TEMPFAIL;
	}
	if (c->json) {
		jw_obj_begin(&c->jw);
		jw_kv(&c->jw, "name", pos[0]);
		jw_kv(&c->jw, "result", result);
		jw_kv(&c->jw, "reason", rc == VUDB_OK ? "" :
		    vudb_errmsg(c->db));
		jw_obj_end(&c->jw);
		jw_end(&c->jw);
	} else if (rc == VUDB_OK)
		printf("%s: %s\n", pos[0], result);
	else
		fail_msg(c, ex, "%s", vudb_errmsg(c->db));
	return ex;
}

static int
cmd_pw(struct ctx *c, int argc, char **argv)
{
	const char *scheme = NULL, *test = NULL;
	char pw[PW_MAX + 1], *pos[1], *hash = NULL;
	int n, rc, ex;
	struct opt opts[] = {
		{ "-s", 1, &scheme, NULL },
		{ "-t", 1, &test, NULL },
		{ NULL, 0, NULL, NULL }
	};

	if ((n = parse_opts(c, argc, argv, opts, pos, 0)) < 0)
		return EX_USAGE;
	if (scheme != NULL && test != NULL)
		return usage_error(c, "-s and -t exclude each other");
	if (scheme != NULL && !vudb_password_scheme_valid(scheme))
		return fail_msg(c, EX_DATAERR, "%s: unknown scheme "
		    "(ARGON2ID, BLF-CRYPT, SHA512-CRYPT)", scheme);
	/* a store given with -d or $VUDB_STORE supplies scheme and costs */
	if (test == NULL && (c->store != NULL || getenv("VUDB_STORE") !=
	    NULL) && (ex = open_store(c, 0)) != EX_OK)
		return ex;
	if (test != NULL || !isatty(STDIN_FILENO))
		ex = pw_read_stdin(c, pw, sizeof(pw));
	else
		ex = pw_read_tty(c, pw, sizeof(pw), 1);
	if (ex != EX_OK)
		return ex;
	if (test != NULL) {
		rc = vudb_password_verify(test, pw);
		pw_wipe(pw, sizeof(pw));
		if (rc == VUDB_OK) {
			printf("(verified)\n");
			return EX_OK;
		}
		if (rc == VUDB_EAUTH)
			return fail_msg(c, EX_NOTFOUND, "password mismatch");
		return fail_rc(c, rc, "%s", vudb_strerror(rc));
	}
	rc = vudb_password_hash(c->db, scheme, pw, &hash);
	pw_wipe(pw, sizeof(pw));
	if (rc != VUDB_OK)
		return fail(c, rc, scheme != NULL ? scheme : "hashing");
	if (c->json) {
		jw_obj_begin(&c->jw);
		jw_kv(&c->jw, "hash", hash);
		jw_obj_end(&c->jw);
		jw_end(&c->jw);
	} else
		printf("%s\n", hash);
	pw_wipe(hash, strlen(hash));
	vudb_free(hash);
	return EX_OK;
}

const struct cmd cmds_lookup[] = {
	{ NULL, "lookup", cmd_lookup, "map key" },
	{ NULL, "auth", cmd_auth, "[--service service] address" },
	{ NULL, "pw", cmd_pw, "[-s scheme | -t hash]" },
	{ NULL, NULL, NULL, NULL }
};
