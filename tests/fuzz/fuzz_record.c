/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * fuzz_record.c - libFuzzer target for the record decoder and the value
 * checks.  Any input, decoded as each record type, must give OK, corrupt
 * or version mismatch, never a crash; a record that decodes must encode
 * and decode again to the same fields; the in-place scanner must agree
 * with the decoder; a value accepted by vudb__value_norm must be accepted
 * again unchanged.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vudb_private.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
roundtrip(const uint8_t *data, size_t size, int type)
{
	struct vudb__rec r, r2;
	const char *vals[16];
	size_t lens[16], i, len;
	unsigned char *buf;
	int rc, rc2;

	rc = vudb__rec_decode(data, size, type, &r);
	rc2 = vudb__rec_scan(data, size, type, vals, lens, 16);
	if (rc != VUDB_ENOMEM && rc != rc2)
		abort();
	if (rc != VUDB_OK) {
		if (rc != VUDB_ECORRUPT && rc != VUDB_EVERSION &&
		    rc != VUDB_ENOMEM)
			abort();
		return;
	}
	for (i = 0; i < r.n; i++) {
		if (r.f[i].tag < 16 && (vals[r.f[i].tag] == NULL ||
		    lens[r.f[i].tag] != r.f[i].len ||
		    memcmp(vals[r.f[i].tag], r.f[i].val, r.f[i].len) != 0))
			abort();
		if (strlen(r.f[i].val) != r.f[i].len)
			abort();
	}
	if (vudb__rec_encode(&r, &buf, &len) == VUDB_OK) {
		if (vudb__rec_decode(buf, len, type, &r2) != VUDB_OK ||
		    r2.n != r.n)
			abort();
		for (i = 0; i < r.n; i++)
			if (r2.f[i].tag != r.f[i].tag ||
			    strcmp(r2.f[i].val, r.f[i].val) != 0)
				abort();
		vudb__rec_clear(&r2);
		free(buf);
	}
	vudb__rec_clear(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum vudb__kind kind;
	const char *why;
	char *s, *out, *out2;
	int type;

	for (type = VUDB_DOMAIN; type <= VUDB__REC_COUNTERS; type++)
		roundtrip(data, size, type);
	if (size < 1 || size > 4096)
		return 0;
	kind = (enum vudb__kind)(data[0] % (VUDB__K_TIME + 1));
	if ((s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	if (vudb__value_norm(kind, s, &out, &why) == VUDB_OK) {
		if (vudb__value_norm(kind, out, &out2, &why) != VUDB_OK ||
		    strcmp(out, out2) != 0)
			abort();
		free(out2);
		free(out);
	}
	free(s);
	return 0;
}
