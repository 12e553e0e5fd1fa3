/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * trivial_checkpw.c - the baseline of the checkpassword benchmark: the
 * least a checkpassword helper can do for one user whose hash it is
 * given, "trivial_checkpw HASH REPLY [ARGS...]" with HASH a crypt(3)
 * string: read descriptor 3, verify the password with crypt_r(3) and a
 * constant-time comparison, wipe it, export the same variables as
 * vudb-checkpassword, and execute REPLY.  No store, no lookup.
 */
#include "config.h"

#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	static struct crypt_data cd;
	char buf[513];
	const char *user, *pass, *out;
	size_t len = 0, i, n;
	unsigned char diff = 0;
	ssize_t r;

	if (argc < 3)
		return 2;
	while (len < sizeof(buf) &&
	    (r = read(3, buf + len, sizeof(buf) - len)) > 0)
		len += (size_t)r;
	close(3);
	if (len == 0 || len > 512 || buf[len - 1] != '\0')
		return 2;
	user = buf;
	n = strlen(user) + 1;
	if (n >= len)
		return 2;
	pass = buf + n;
	out = crypt_r(pass, argv[1], &cd);
	explicit_bzero(buf + n, len - n);
	if (out == NULL || strlen(out) != strlen(argv[1]))
		return 1;
	for (i = 0; out[i] != '\0'; i++)
		diff |= (unsigned char)(out[i] ^ argv[1][i]);
	explicit_bzero(&cd, sizeof(cd));
	if (diff != 0)
		return 1;
	if (setenv("USER", user, 1) != 0 ||
	    setenv("HOME", "/var/vmail/bench.example/sha", 1) != 0 ||
	    setenv("userdb_uid", "5000", 1) != 0 ||
	    setenv("userdb_gid", "5000", 1) != 0 ||
	    setenv("EXTRA", "userdb_uid userdb_gid", 1) != 0)
		return 111;
	execv(argv[2], argv + 2);
	return 111;
}
