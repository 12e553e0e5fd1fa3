/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * files.c - what the backends that keep one file per domain share: a store
 * is a directory, and domain D's database is STORE/domains/D SUFFIX (".db"
 * for Berkeley DB, ".mdb" for LMDB), perhaps with companion files named
 * D SUFFIX-something (LMDB's lock file).  The one listing of a store's
 * domains, the probe that tells which backend a directory belongs to, and
 * the sizes vudbadm stats shows.  And what every store that is a
 * directory of this host has, which the core reaches through the door
 * (store.c) for a VUDB_CAP_DIR backend: the directory itself, the settings
 * file STORE/vudb.conf, and the change counter STORE/generation.  A
 * backend that keeps its domains elsewhere (a server's schemas) does not
 * use this file: its own methods (store_open, conf_read, conf_edit,
 * changes, changed) answer for it.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* ------------------------------------------------------------ the place */

/*
 * vudb__files_place - the store directory: made under VUDB_CREATE (group
 * vudb shares it: mode 2770), else found with its domains/ directory
 */
int
vudb__files_place(struct vudb_bectx *ctx, const char *root, int flags)
{
	char sub[4096];
	struct stat sb;

	if (flags & VUDB_CREATE) {
		if (mkdir(root, 02770) == 0)
			(void)chmod(root, 02770);
		else if (errno != EEXIST)
			return vudb__ctx_seterr(ctx, errno == ENOENT ?
			    VUDB_ENOSTORE : VUDB_ESYS, "%s: %s", root,
			    strerror(errno));
		return VUDB_OK;
	}
	snprintf(sub, sizeof(sub), "%s/domains", root);
	if (stat(sub, &sb) != 0)
		return vudb__ctx_seterr(ctx, errno == ENOENT ? VUDB_ENOSTORE :
		    VUDB_ESYS, "%s: %s", root, errno == ENOENT ?
		    "no store here (vudbadm init makes one)" :
		    strerror(errno));
	return VUDB_OK;
}

/* ------------------------------------------------------------ vudb.conf */

#define CONF_FILE	"vudb.conf"

/*
 * conf_stamp - what tells one vudb.conf from the next (never 0).  Its
 * modification time alone did not: two edits within one tick of the
 * file system's clock (a few milliseconds on ext4) gave the same time,
 * and a reader kept the first edit's settings (check_api's
 * test_settings, seen in the Debian 13 root).  Every edit replaces the
 * file by rename, so its inode number changes too.
 */
static long long
conf_stamp(const struct stat *sb)
{
	unsigned long long h;

	h = (unsigned long long)sb->st_mtim.tv_sec * 1000000000ULL +
	    (unsigned long long)sb->st_mtim.tv_nsec;
	h ^= (unsigned long long)sb->st_ino * 0x9e3779b97f4a7c15ULL;
	h ^= (unsigned long long)sb->st_size << 40;
	h &= 0x7fffffffffffffffULL;
	return h != 0 ? (long long)h : 1;
}

/* read_all - the whole of fp, NUL-terminated, into *text_r */
static int
read_all(FILE *fp, char **text_r)
{
	char *text = NULL, *p;
	size_t len = 0, cap = 0, n;

	do {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			if ((p = realloc(text, cap)) == NULL) {
				free(text);
				return VUDB_ENOMEM;
			}
			text = p;
		}
		n = fread(text + len, 1, cap - len - 1, fp);
		len += n;
	} while (n > 0);
	if (ferror(fp)) {
		free(text);
		return VUDB_ESYS;
	}
	text[len] = '\0';
	*text_r = text;
	return VUDB_OK;
}

/* vudb__files_conf_read - STORE/vudb.conf's text and its stamp */
int
vudb__files_conf_read(struct vudb_bectx *ctx, const char *root,
    char **text_r, long long *stamp_r)
{
	char path[4096];
	struct stat sb;
	FILE *fp;
	int rc;

	*stamp_r = 0;
	snprintf(path, sizeof(path), "%s/%s", root, CONF_FILE);
	if (text_r == NULL) {
		if (stat(path, &sb) != 0)
			return errno == ENOENT ? VUDB_ENOTFOUND :
			    vudb__ctx_seterr(ctx, VUDB_ESYS, "%s: %s", path,
			    strerror(errno));
		*stamp_r = conf_stamp(&sb);
		return VUDB_OK;
	}
	*text_r = NULL;
	if ((fp = fopen(path, "r")) == NULL)
		return errno == ENOENT ? VUDB_ENOTFOUND :
		    vudb__ctx_seterr(ctx, VUDB_ESYS, "%s: %s", path,
		    strerror(errno));
	if (fstat(fileno(fp), &sb) == 0)
		*stamp_r = conf_stamp(&sb);
	if ((rc = read_all(fp, text_r)) == VUDB_ESYS)
		rc = vudb__ctx_seterr(ctx, rc, "%s: %s", path,
		    strerror(errno));
	fclose(fp);
	return rc;
}

/*
 * vudb__files_conf_edit - STORE/vudb.conf replaced by what edit makes of
 * it: under a lock (one writer at a time), through a temporary file
 * renamed over it, both synced
 */
int
vudb__files_conf_edit(struct vudb_bectx *ctx, const char *root,
    vudb_text_cb edit, void *arg)
{
	char path[4096], tmp[4096], *old = NULL, *text = NULL;
	int fd = -1, lockfd, rc = VUDB_OK;
	size_t len;
	FILE *in;

	snprintf(path, sizeof(path), "%s/%s", root, CONF_FILE);
	snprintf(tmp, sizeof(tmp), "%s/.%s.lock", root, CONF_FILE);
	if ((lockfd = open(tmp, O_RDWR | O_CREAT | O_CLOEXEC, 0660)) == -1 ||
	    flock(lockfd, LOCK_EX) == -1) {
		rc = vudb__ctx_seterr(ctx, VUDB_ESYS, "%s: %s", tmp,
		    strerror(errno));
		if (lockfd != -1)
			close(lockfd);
		return rc;
	}
	if ((in = fopen(path, "r")) != NULL) {
		rc = read_all(in, &old);
		if (rc == VUDB_ESYS)
			rc = vudb__ctx_seterr(ctx, rc, "%s: %s", path,
			    strerror(errno));
		fclose(in);
	}
	if (rc == VUDB_OK)
		rc = edit(arg, old, &text);
	free(old);
	if (rc != VUDB_OK) {
		close(lockfd);
		return rc;
	}
	snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", root, CONF_FILE);
	if ((fd = mkstemp(tmp)) == -1) {
		rc = vudb__ctx_seterr(ctx, VUDB_ESYS, "%s: %s", tmp,
		    strerror(errno));
		free(text);
		close(lockfd);
		return rc;
	}
	len = strlen(text);
	if ((size_t)write(fd, text, len) != len || fsync(fd) != 0)
		rc = vudb__ctx_seterr(ctx, VUDB_ESYS, "%s: %s", tmp,
		    strerror(errno));
	free(text);
	(void)fchmod(fd, 0660);
	close(fd);
	if (rc == VUDB_OK && rename(tmp, path) != 0)
		rc = vudb__ctx_seterr(ctx, VUDB_ESYS, "%s: %s", path,
		    strerror(errno));
	if (rc != VUDB_OK)
		(void)unlink(tmp);
	else if ((fd = open(root, O_RDONLY | O_DIRECTORY)) != -1) {
		(void)fsync(fd);
		close(fd);
	}
	close(lockfd);
	return rc;
}

/* ------------------------------------------------------------ generation */

#define GEN_FILE	"generation"
#define GEN_SIZE	4096

/*
 * gen_usable - whether the generation file can be mapped without a fault:
 * a page without a block on a full file system is a SIGBUS at the first
 * touch, not an error (tmpfs allocates even for a read).  A writer
 * allocates the page; a reader takes a sparse file only while the file
 * system has room.
 */
static int
gen_usable(int fd, int writer)
{
	struct statvfs vfs;
	struct stat sb;
	int ret;

	if (writer) {
		do
			ret = posix_fallocate(fd, 0, GEN_SIZE);
		while (ret == EINTR);
		/* a file system that cannot allocate ahead: as before */
		return ret == 0 || ret == EOPNOTSUPP || ret == EINVAL;
	}
	if (fstat(fd, &sb) != 0 || sb.st_size < GEN_SIZE)
		return 0;
	return (unsigned long long)sb.st_blocks * 512 >= GEN_SIZE ||
	    (fstatvfs(fd, &vfs) == 0 &&
	    (unsigned long long)vfs.f_bavail * vfs.f_frsize >= 1024 * 1024);
}

/*
 * vudb__files_gen_map - STORE/generation mapped shared (writable for a
 * writer that may create it), or NULL with a warning logged; id_r gets
 * the file's device and inode
 */
void *
vudb__files_gen_map(struct vudb_bectx *ctx, const char *root, int writer,
    size_t *len_r, unsigned long long id_r[2])
{
	char path[4096];
	struct stat sb;
	void *p;
	int fd = -1, prot = PROT_READ;

	*len_r = 0;
	snprintf(path, sizeof(path), "%s/%s", root, GEN_FILE);
	if (writer && (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC,
	    0660)) != -1) {
		if (fstat(fd, &sb) == 0 && sb.st_size < GEN_SIZE) {
			/* a file still short is refused by gen_usable */
			if (ftruncate(fd, GEN_SIZE) != 0)
				sb.st_size = 0;
			(void)fchmod(fd, 0660);
		}
		prot |= PROT_WRITE;
	}
	if (fd == -1 && (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		vudb__ctx_log(ctx, VUDB_LOG_WARNING, "%s: %s: every call "
		    "re-reads domain records", path, strerror(errno));
		return NULL;
	}
	if (!gen_usable(fd, prot & PROT_WRITE)) {
		close(fd);
		vudb__ctx_log(ctx, VUDB_LOG_WARNING, "%s: the file system is "
		    "full: every call re-reads domain records", path);
		return NULL;
	}
	if (fstat(fd, &sb) != 0) {
		close(fd);
		return NULL;
	}
	p = mmap(NULL, GEN_SIZE, prot, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return NULL;
	*len_r = GEN_SIZE;
	id_r[0] = (unsigned long long)sb.st_dev;
	id_r[1] = (unsigned long long)sb.st_ino;
	return p;
}

/*
 * vudb__files_host_map - the page of a store that is not a directory
 * (host_page of a server backend): the shared memory object /NAME of
 * this host, made by the first process that uses the store here (mode
 * 0644, whatever its umask: every user's readers map it, only its owner's
 * and root's processes advance it).  Mapped writable when it can be; a
 * writer that cannot is told in the log, as its changes then reach this
 * host's readers only with the server's notification.  NULL when it
 * cannot be mapped at all (no answer cache then); id_r as gen_map's.
 */
void *
vudb__files_host_map(struct vudb_bectx *ctx, const char *name, int writer,
    size_t *len_r, unsigned long long id_r[2], int *writable_r)
{
	char path[300];
	struct stat sb;
	void *p;
	int fd, prot = PROT_READ | PROT_WRITE;

	*len_r = 0;
	snprintf(path, sizeof(path), "/%s", name);
	if ((fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0644)) != -1)
		(void)fchmod(fd, 0644);
	else if (errno != EEXIST ||
	    (fd = shm_open(path, O_RDWR, 0)) == -1) {
		prot = PROT_READ;
		if ((fd = shm_open(path, O_RDONLY, 0)) == -1) {
			vudb__ctx_log(ctx, VUDB_LOG_WARNING, "/dev/shm%s: %s: "
			    "no answer cache", path, strerror(errno));
			return NULL;
		}
	}
	if ((prot & PROT_WRITE) && fstat(fd, &sb) == 0 &&
	    sb.st_size < GEN_SIZE && ftruncate(fd, GEN_SIZE) != 0) {
		close(fd);
		return NULL;
	}
	if (!gen_usable(fd, (prot & PROT_WRITE) != 0) || fstat(fd, &sb) != 0) {
		close(fd);
		vudb__ctx_log(ctx, VUDB_LOG_WARNING, "/dev/shm%s: cannot be "
		    "used (full?): no answer cache", path);
		return NULL;
	}
	p = mmap(NULL, GEN_SIZE, prot, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return NULL;
	if (writer && !(prot & PROT_WRITE))
		vudb__ctx_log(ctx, VUDB_LOG_WARNING, "/dev/shm%s is not "
		    "writable by this user: long-lived readers of this host see "
		    "this process's changes when the server's notification "
		    "reaches them, not before they are acknowledged", path);
	*len_r = GEN_SIZE;
	*writable_r = (prot & PROT_WRITE) != 0;
	id_r[0] = (unsigned long long)sb.st_dev;
	id_r[1] = (unsigned long long)sb.st_ino;
	return p;
}

/* vudb__files_gen_unmap - let go of the generation file */
void
vudb__files_gen_unmap(void *p, size_t len)
{
	if (p != NULL)
		munmap(p, len);
}
