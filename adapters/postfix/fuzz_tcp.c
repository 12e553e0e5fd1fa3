/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * fuzz_tcp.c - libFuzzer target for vudb-mapd's tcp_table side: the input
 * is a byte stream cut into lines (tcp_line), each parsed as a request
 * (tcp_request, with its %XX decoding); the decoded key is then sent back
 * as a reply (tcp_reply), which must be one line of printable bytes that
 * decodes to the key again, never over 4,096 bytes.  Build and run:
 * adapters/postfix/tests/fuzz.sh, or by hand (adapters/postfix/README).
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
	static char key[TCP_MAX_REQUEST], out[TCP_MAX_REPLY];
	static char back[TCP_MAX_REPLY];
	const char *buf = (const char *)data;
	size_t pos = 0, used, len, klen, n, blen, i;
	int rc;

	while (pos < size) {
		rc = tcp_line(buf + pos, size - pos, TCP_MAX_REQUEST, &used,
		    &len);
		if (rc != P_OK)
			break;
		if (used > size - pos || len >= used ||
		    used > TCP_MAX_REQUEST ||
		    memchr(buf + pos, '\n', len) != NULL)
			abort();
		if (tcp_request(buf + pos, len, key, &klen) == TCP_GET) {
			if (klen > len)
				abort();
			n = tcp_reply(out, sizeof(out), 200, key, klen);
			if (n != 0) {
				if (n > TCP_MAX_REPLY || out[n - 1] != '\n' ||
				    memcmp(out, "200 ", 4) != 0)
					abort();
				for (i = 0; i + 1 < n; i++)
					if ((unsigned char)out[i] < 0x21 &&
					    i != 3)
						abort();
				if (tcp_decode(out + 4, n - 5, back, &blen) !=
				    0 || blen != klen ||
				    memcmp(back, key, klen) != 0)
					abort();
			}
		}
		pos += used;
	}
	return 0;
}
