/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * fuzz_netstring.c - libFuzzer target for vudb-mapd's socketmap side: the
 * input is a byte stream as a client might send it, cut into netstrings
 * the way the server does (sm_parse over a growing prefix, then
 * sm_request), and every request gets its reply encoded (sm_reply).  Any
 * crash, sanitizer report, or a frame that does not decode back to its
 * payload is a bug.  Build and run: adapters/postfix/tests/fuzz.sh, or by
 * hand as adapters/postfix/README shows.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[SM_MAX_FRAME + 16];
	const char *buf = (const char *)data, *d, *m, *k, *d2;
	size_t pos = 0, used, dlen, ml, kl, n, used2, dlen2, cut;
	int rc;

	while (pos < size) {
		/* a prefix must never look complete when the whole is not */
		cut = (size - pos) / 2;
		rc = sm_parse(buf + pos, cut, SM_MAX_REQUEST, &used, &d, &dlen);
		if (rc == P_OK && used > cut)
			abort();
		rc = sm_parse(buf + pos, size - pos, SM_MAX_REQUEST, &used, &d,
		    &dlen);
		if (rc != P_OK)
			break;
		if (dlen > SM_MAX_REQUEST || used > size - pos ||
		    d < buf + pos || d + dlen > buf + pos + used)
			abort();
		if (sm_request(d, dlen, &m, &ml, &k, &kl) == 0) {
			if (ml == 0 || ml + 1 + kl != dlen)
				abort();
			/* echo the key as the answer: it must frame back */
			n = sm_reply(out, sizeof(out), "OK", k, kl);
			if (n == 0 || sm_parse(out, n, SM_MAX_REPLY, &used2,
			    &d2, &dlen2) != P_OK || used2 != n ||
			    dlen2 != kl + 3 || memcmp(d2 + 3, k, kl) != 0)
				abort();
		}
		pos += used;
	}
	return 0;
}
