/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * fuzz_name.c - libFuzzer target for the name rules of lib/name.c.  The
 * input goes whole to vudb__domain_norm() and vudb__local_norm(); when a
 * name is accepted, its canonical form must be NUL-terminated inside the
 * output buffer, within the length limits, made only of the octets the
 * rules allow, and must be its own canonical form.  A broken invariant
 * aborts.  Build: see tests/fuzz/README.
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vudb_private.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* fuzz_domain - check the invariants of vudb__domain_norm() on one input */
static void
fuzz_domain(const char *in, size_t len)
{
	char	 out[VUDB__DOMAIN_MAX + 1], again[VUDB__DOMAIN_MAX + 1];
	size_t	 i, n;

	memset(out, 0xa5, sizeof(out));
	if (vudb__domain_norm(in, len, out) != NULL)
		return;
	if (memchr(out, '\0', sizeof(out)) == NULL)
		abort();
	n = strlen(out);
	if (n == 0 || n > VUDB__DOMAIN_MAX)
		abort();
	for (i = 0; i < n; i++)
		if (!((out[i] >= 'a' && out[i] <= 'z') ||
		    (out[i] >= '0' && out[i] <= '9') ||
		    out[i] == '-' || out[i] == '.'))
			abort();
	if (out[0] == '.' || out[n - 1] == '.' || strstr(out, "..") != NULL)
		abort();
	if (vudb__domain_norm(out, n, again) != NULL ||
	    strcmp(out, again) != 0)
		abort();
}

/* fuzz_local - check the invariants of vudb__local_norm() on one input */
static void
fuzz_local(const char *in, size_t len)
{
	char	 out[VUDB__LOCAL_MAX + 1], again[VUDB__LOCAL_MAX + 1];
	size_t	 i, n;

	memset(out, 0xa5, sizeof(out));
	if (vudb__local_norm(in, len, out) != NULL)
		return;
	if (memchr(out, '\0', sizeof(out)) == NULL)
		abort();
	n = strlen(out);
	if (n == 0 || n > VUDB__LOCAL_MAX)
		abort();
	/* only folding UTF-8 changes the length */
	for (i = 0; i < len && (unsigned char)in[i] < 0x80; i++)
		;
	if (i == len && n != len)
		abort();
	for (i = 0; i < n; i++)
		if ((out[i] >= 'A' && out[i] <= 'Z') ||
		    (unsigned char)out[i] <= ' ' || out[i] == 0x7f ||
		    strchr("/@,\":\\", out[i]) != NULL)
			abort();
	if (out[0] == '.' || out[n - 1] == '.' || strstr(out, "..") != NULL)
		abort();
	if (vudb__local_norm(out, n, again) != NULL ||
	    strcmp(out, again) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_domain((const char *)data, size);
	fuzz_local((const char *)data, size);
	return 0;
}
