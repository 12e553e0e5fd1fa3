/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * fuzz_cpw.c - libFuzzer target for the descriptor-3 request parser of
 * vudb-checkpassword (cpw_parse) and the log escaping of what it yields
 * (cpw_logsafe).  Besides finding crashes under ASan/UBSan it checks the
 * parser's promises: an accepted request ends with NUL, has at least
 * three fields, and its fields lie inside the input.  Built and run by
 * adapters/dovecot/tests/fuzz-cpw.sh.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpw.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cpw_req req;
	const char *why, *buf;
	char *copy, log[128], rule[64];

	/* an exact-size copy, so that ASan sees any read past the end */
	if ((copy = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	buf = copy;
	if (cpw_parse(buf, size, &req, &why) == 0) {
		if (size == 0 || size > CPW_MAX || buf[size - 1] != '\0' ||
		    req.nfields < 3 || req.user != buf ||
		    req.pass <= req.user || req.stamp <= req.pass ||
		    req.stamp + strlen(req.stamp) >= buf + size)
			abort();
		cpw_logsafe(req.user, log, sizeof(log));
		if (strlen(log) >= sizeof(log))
			abort();
		(void)cpw_quota_rule(req.pass, req.stamp, rule, sizeof(rule));
	} else if (why == NULL)
		abort();
	free(copy);
	return 0;
}
