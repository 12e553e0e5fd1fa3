/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * files.c - what the backends that keep one file per domain share: a store
 * is a directory, and domain D's database is STORE/domains/D SUFFIX (".db"
 * for Berkeley DB, ".mdb" for LMDB), perhaps with companion files named
 * D SUFFIX-something (LMDB's lock file).  The one listing of a store's
 * domains, the probe that tells which backend a directory belongs to, and
 * the sizes vudbadm stats shows.  A backend that keeps its domains
 * elsewhere (a server's schemas) does not use this file.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vudb_backend.h"

/* domain_of - the domain of a file name with suffix into out, or 0 */
static int
domain_of(const char *name, const char *suffix, char *out)
{
	size_t len = strlen(name), slen = strlen(suffix);

	if (len <= slen || len - slen > VUDB_BE_DOMAIN_MAX ||
	    strcmp(name + len - slen, suffix) != 0)
		return 0;
	memcpy(out, name, len - slen);
	out[len - slen] = '\0';
	return 1;
}

/* vudb__files_list - cb with the domain of every STORE/domains file */
int
vudb__files_list(struct vudb_bectx *ctx, const char *root,
    const char *suffix, vudb_name_cb cb, void *arg)
{
	char path[4096], name[VUDB_BE_DOMAIN_MAX + 1];
	struct dirent *de;
	DIR *dir;
	int rc = VUDB_OK;

	snprintf(path, sizeof(path), "%s/domains", root);
	if ((dir = opendir(path)) == NULL)
		return vudb__ctx_seterr(ctx, VUDB_ETEMP, "%s: %s", path,
		    strerror(errno));
	while ((de = readdir(dir)) != NULL)
		if (domain_of(de->d_name, suffix, name) &&
		    (rc = cb(arg, name)) != 0)
			break;
	closedir(dir);
	return rc;
}

static int
found(void *arg, const char *domain)
{
	(void)arg;
	(void)domain;
	return 1;
}

/* vudb__files_probe - whether STORE/domains holds a file with suffix */
int
vudb__files_probe(const char *root, const char *suffix)
{
	return vudb__files_list(NULL, root, suffix, found, NULL) == 1;
}

/* dir_bytes - the bytes of the regular files directly in dir */
static int
dir_bytes(struct vudb_bectx *ctx, const char *dir,
    unsigned long long *bytes_r)
{
	char path[4400];
	struct dirent *de;
	struct stat sb;
	DIR *d;

	*bytes_r = 0;
	if ((d = opendir(dir)) == NULL)
		return vudb__ctx_seterr(ctx, VUDB_ETEMP, "%s: %s", dir,
		    strerror(errno));
	while ((de = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode))
			*bytes_r += (unsigned long long)sb.st_size;
	}
	closedir(d);
	return VUDB_OK;
}

/* vudb__files_dom_size - the bytes of domain's database file */
int
vudb__files_dom_size(struct vudb_bectx *ctx, const char *root,
    const char *domain, const char *suffix, unsigned long long *bytes_r)
{
	char path[4400];
	struct stat sb;

	*bytes_r = 0;
	snprintf(path, sizeof(path), "%s/domains/%s%s", root, domain, suffix);
	if (stat(path, &sb) != 0)
		return errno == ENOENT ? VUDB_ENOTFOUND :
		    vudb__ctx_seterr(ctx, VUDB_ETEMP, "%s: %s", path,
		    strerror(errno));
	*bytes_r = (unsigned long long)sb.st_size;
	return VUDB_OK;
}

/* vudb__files_store_size - the bytes of the store directory's files and
 * of its domain files */
int
vudb__files_store_size(struct vudb_bectx *ctx, const char *root,
    unsigned long long *bytes_r)
{
	char path[4096];
	unsigned long long n;
	int rc;

	*bytes_r = 0;
	if ((rc = dir_bytes(ctx, root, bytes_r)) != VUDB_OK)
		return rc;
	snprintf(path, sizeof(path), "%s/domains", root);
	if ((rc = dir_bytes(ctx, path, &n)) != VUDB_OK)
		return rc;
	*bytes_r += n;
	return VUDB_OK;
}
