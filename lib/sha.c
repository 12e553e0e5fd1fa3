/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * sha.c - the digests and encodings behind the legacy password schemes:
 * SHA-1, SHA-256 and SHA-512 as FIPS 180-4 specifies them, base64 with the
 * standard alphabet and padding (RFC 4648 section 4), and hex.  These are
 * used to verify imported {SHA*} and {SSHA*} hashes, never to make new
 * ones.  Contexts are wiped when a digest is finished; the decoders are
 * strict and reject anything a conforming encoder would not write.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "vudb_private.h"

#define ROR32(x, n)	(((x) >> (n)) | ((x) << (32 - (n))))
#define ROL32(x, n)	(((x) << (n)) | ((x) >> (32 - (n))))
#define ROR64(x, n)	(((x) >> (n)) | ((x) << (64 - (n))))

/* FIPS 180-4 4.2.2: cube roots of the first 64 primes. */
static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5,
	0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
	0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
	0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
	0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

/* FIPS 180-4 4.2.3: cube roots of the first 80 primes. */
static const uint64_t sha512_k[80] = {
	0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL,
	0xb5c0fbcfec4d3b2fULL, 0xe9b5dba58189dbbcULL,
	0x3956c25bf348b538ULL, 0x59f111f1b605d019ULL,
	0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL,
	0xd807aa98a3030242ULL, 0x12835b0145706fbeULL,
	0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL,
	0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL,
	0x9bdc06a725c71235ULL, 0xc19bf174cf692694ULL,
	0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL,
	0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL,
	0x2de92c6f592b0275ULL, 0x4a7484aa6ea6e483ULL,
	0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL,
	0x983e5152ee66dfabULL, 0xa831c66d2db43210ULL,
	0xb00327c898fb213fULL, 0xbf597fc7beef0ee4ULL,
	0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL,
	0x06ca6351e003826fULL, 0x142929670a0e6e70ULL,
	0x27b70a8546d22ffcULL, 0x2e1b21385c26c926ULL,
	0x4d2c6dfc5ac42aedULL, 0x53380d139d95b3dfULL,
	0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL,
	0x81c2c92e47edaee6ULL, 0x92722c851482353bULL,
	0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL,
	0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL,
	0xd192e819d6ef5218ULL, 0xd69906245565a910ULL,
	0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL,
	0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL,
	0x2748774cdf8eeb99ULL, 0x34b0bcb5e19b48a8ULL,
	0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL,
	0x5b9cca4f7763e373ULL, 0x682e6ff3d6b2b8a3ULL,
	0x748f82ee5defb2fcULL, 0x78a5636f43172f60ULL,
	0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL,
	0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL,
	0xbef9a3f7b2c67915ULL, 0xc67178f2e372532bULL,
	0xca273eceea26619cULL, 0xd186b8c721c0c207ULL,
	0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL,
	0x06f067aa72176fbaULL, 0x0a637dc5a2c898a6ULL,
	0x113f9804bef90daeULL, 0x1b710b35131c471bULL,
	0x28db77f523047d84ULL, 0x32caab7b40c72493ULL,
	0x3c9ebe0a15c9bebcULL, 0x431d67c49c100d4cULL,
	0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL,
	0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL
};

/* FIPS 180-4 5.3: initial hash values. */
static const uint32_t sha1_h0[5] = {
	0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0
};
static const uint32_t sha256_h0[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
};
static const uint64_t sha512_h0[8] = {
	0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL,
	0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
	0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL,
	0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL
};

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* get32 - read a big-endian 32-bit word */
static uint32_t
get32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3]);
}

/* get64 - read a big-endian 64-bit word */
static uint64_t
get64(const unsigned char *p)
{
	return ((uint64_t)get32(p) << 32 | get32(p + 4));
}

/* put32 - write a big-endian 32-bit word */
static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* put64 - write a big-endian 64-bit word */
static void
put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

/* sha1_block - process one 64-byte block (FIPS 180-4 6.1.2) */
static void
sha1_block(uint32_t h[5], const unsigned char *p)
{
	uint32_t	 w[80], a, b, c, d, e, f, k, t;
	int		 i;

	for (i = 0; i < 16; i++)
		w[i] = get32(p + 4 * i);
	for (; i < 80; i++)
		w[i] = ROL32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = h[0];
	b = h[1];
	c = h[2];
	d = h[3];
	e = h[4];
	for (i = 0; i < 80; i++) {
		if (i < 20) {
			f = (b & c) ^ (~b & d);
			k = 0x5a827999;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (b & c) ^ (b & d) ^ (c & d);
			k = 0x8f1bbcdc;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6;
		}
		t = ROL32(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = ROL32(b, 30);
		b = a;
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	vudb__wipe(w, sizeof(w));
}

/* sha256_block - process one 64-byte block (FIPS 180-4 6.2.2) */
static void
sha256_block(uint32_t h[8], const unsigned char *p)
{
	uint32_t	 w[64], s[8], t1, t2;
	int		 i;

	for (i = 0; i < 16; i++)
		w[i] = get32(p + 4 * i);
	for (; i < 64; i++)
		w[i] = (ROR32(w[i - 2], 17) ^ ROR32(w[i - 2], 19) ^
		    (w[i - 2] >> 10)) + w[i - 7] +
		    (ROR32(w[i - 15], 7) ^ ROR32(w[i - 15], 18) ^
		    (w[i - 15] >> 3)) + w[i - 16];
	memcpy(s, h, sizeof(s));
	for (i = 0; i < 64; i++) {
		t1 = s[7] + (ROR32(s[4], 6) ^ ROR32(s[4], 11) ^
		    ROR32(s[4], 25)) + ((s[4] & s[5]) ^ (~s[4] & s[6])) +
		    sha256_k[i] + w[i];
		t2 = (ROR32(s[0], 2) ^ ROR32(s[0], 13) ^ ROR32(s[0], 22)) +
		    ((s[0] & s[1]) ^ (s[0] & s[2]) ^ (s[1] & s[2]));
		s[7] = s[6];
		s[6] = s[5];
		s[5] = s[4];
		s[4] = s[3] + t1;
		s[3] = s[2];
		s[2] = s[1];
		s[1] = s[0];
		s[0] = t1 + t2;
	}
	for (i = 0; i < 8; i++)
		h[i] += s[i];
	vudb__wipe(w, sizeof(w));
	vudb__wipe(s, sizeof(s));
}

/* sha512_block - process one 128-byte block (FIPS 180-4 6.4.2) */
static void
sha512_block(uint64_t h[8], const unsigned char *p)
{
	uint64_t	 w[80], s[8], t1, t2;
	int		 i;

	for (i = 0; i < 16; i++)
		w[i] = get64(p + 8 * i);
	for (; i < 80; i++)
		w[i] = (ROR64(w[i - 2], 19) ^ ROR64(w[i - 2], 61) ^
		    (w[i - 2] >> 6)) + w[i - 7] +
		    (ROR64(w[i - 15], 1) ^ ROR64(w[i - 15], 8) ^
		    (w[i - 15] >> 7)) + w[i - 16];
	memcpy(s, h, sizeof(s));
	for (i = 0; i < 80; i++) {
		t1 = s[7] + (ROR64(s[4], 14) ^ ROR64(s[4], 18) ^
		    ROR64(s[4], 41)) + ((s[4] & s[5]) ^ (~s[4] & s[6])) +
		    sha512_k[i] + w[i];
		t2 = (ROR64(s[0], 28) ^ ROR64(s[0], 34) ^ ROR64(s[0], 39)) +
		    ((s[0] & s[1]) ^ (s[0] & s[2]) ^ (s[1] & s[2]));
		s[7] = s[6];
		s[6] = s[5];
		s[5] = s[4];
		s[4] = s[3] + t1;
		s[3] = s[2];
		s[2] = s[1];
		s[1] = s[0];
		s[0] = t1 + t2;
	}
	for (i = 0; i < 8; i++)
		h[i] += s[i];
	vudb__wipe(w, sizeof(w));
	vudb__wipe(s, sizeof(s));
}

/* sha_blocksize - the block size of the context's algorithm */
static size_t
sha_blocksize(const struct vudb__sha *ctx)
{
	return (ctx->alg == VUDB__SHA512 ? 128 : 64);
}

/* sha_compress - feed one block to the context's algorithm */
static void
sha_compress(struct vudb__sha *ctx, const unsigned char *p)
{
	switch (ctx->alg) {
	case VUDB__SHA1:
		sha1_block(ctx->h.w32, p);
		break;
	case VUDB__SHA256:
		sha256_block(ctx->h.w32, p);
		break;
	default:
		sha512_block(ctx->h.w64, p);
		break;
	}
}

size_t
vudb__sha_len(int alg)
{
	switch (alg) {
	case VUDB__SHA1:
		return (VUDB__SHA1_LEN);
	case VUDB__SHA256:
		return (VUDB__SHA256_LEN);
	case VUDB__SHA512:
		return (VUDB__SHA512_LEN);
	default:
		return (0);
	}
}

size_t
vudb__sha_init(struct vudb__sha *ctx, int alg)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->alg = alg;
	switch (alg) {
	case VUDB__SHA1:
		memcpy(ctx->h.w32, sha1_h0, sizeof(sha1_h0));
		break;
	case VUDB__SHA256:
		memcpy(ctx->h.w32, sha256_h0, sizeof(sha256_h0));
		break;
	case VUDB__SHA512:
		memcpy(ctx->h.w64, sha512_h0, sizeof(sha512_h0));
		break;
	default:
		ctx->alg = 0;
		return (0);
	}
	return (vudb__sha_len(alg));
}

void
vudb__sha_update(struct vudb__sha *ctx, const void *data, size_t len)
{
	const unsigned char	*p = data;
	size_t			 bs, used, n;

	if (ctx->alg == 0 || len == 0)
		return;
	bs = sha_blocksize(ctx);
	used = ctx->count % bs;
	ctx->count += len;
	if (used > 0) {
		n = bs - used;
		if (n > len)
			n = len;
		memcpy(ctx->buf + used, p, n);
		p += n;
		len -= n;
		if (used + n < bs)
			return;
		sha_compress(ctx, ctx->buf);
	}
	for (; len >= bs; p += bs, len -= bs)
		sha_compress(ctx, p);
	if (len > 0)
		memcpy(ctx->buf, p, len);
}

size_t
vudb__sha_final(struct vudb__sha *ctx, unsigned char *out)
{
	size_t	 bs, used, dlen, i;

	if ((dlen = vudb__sha_len(ctx->alg)) == 0)
		return (0);
	bs = sha_blocksize(ctx);
	used = ctx->count % bs;
	ctx->buf[used++] = 0x80;
	/* The length field is 8 bytes for 64-byte blocks, 16 for 128. */
	if (used > bs - (bs == 128 ? 16 : 8)) {
		memset(ctx->buf + used, 0, bs - used);
		sha_compress(ctx, ctx->buf);
		used = 0;
	}
	memset(ctx->buf + used, 0, bs - 8 - used);
	if (bs == 128)
		put64(ctx->buf + bs - 16, ctx->count >> 61);
	put64(ctx->buf + bs - 8, ctx->count << 3);
	sha_compress(ctx, ctx->buf);
	if (ctx->alg == VUDB__SHA512) {
		for (i = 0; i < dlen / 8; i++)
			put64(out + 8 * i, ctx->h.w64[i]);
	} else {
		for (i = 0; i < dlen / 4; i++)
			put32(out + 4 * i, ctx->h.w32[i]);
	}
	vudb__wipe(ctx, sizeof(*ctx));
	return (dlen);
}

size_t
vudb__sha(int alg, const void *a, size_t alen, const void *b, size_t blen,
    unsigned char *out)
{
	struct vudb__sha	 ctx;

	if (vudb__sha_init(&ctx, alg) == 0)
		return (0);
	vudb__sha_update(&ctx, a, alen);
	vudb__sha_update(&ctx, b, blen);
	return (vudb__sha_final(&ctx, out));
}

size_t
vudb__b64_encode(const void *in, size_t len, char *out)
{
	const unsigned char	*p = in;
	size_t			 i, n = 0;
	uint32_t		 v;

	for (i = 0; i + 3 <= len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[n++] = b64_alphabet[v >> 18];
		out[n++] = b64_alphabet[(v >> 12) & 63];
		out[n++] = b64_alphabet[(v >> 6) & 63];
		out[n++] = b64_alphabet[v & 63];
	}
	if (len - i == 1) {
		v = (uint32_t)p[i] << 16;
		out[n++] = b64_alphabet[v >> 18];
		out[n++] = b64_alphabet[(v >> 12) & 63];
		out[n++] = '=';
		out[n++] = '=';
	} else if (len - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		out[n++] = b64_alphabet[v >> 18];
		out[n++] = b64_alphabet[(v >> 12) & 63];
		out[n++] = b64_alphabet[(v >> 6) & 63];
		out[n++] = '=';
	}
	out[n] = '\0';
	return (n);
}

/* b64_value - the 6-bit value of a base64 character, or -1 */
static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return (c - 'A');
	if (c >= 'a' && c <= 'z')
		return (c - 'a' + 26);
	if (c >= '0' && c <= '9')
		return (c - '0' + 52);
	if (c == '+')
		return (62);
	if (c == '/')
		return (63);
	return (-1);
}

int
vudb__b64_decode(const char *in, size_t len, unsigned char *out,
    size_t outsz, size_t *outlen_r)
{
	size_t		 i, j, n = 0, pad;
	uint32_t	 v;
	int		 d;

	*outlen_r = 0;
	if (len % 4 != 0)
		return (-1);
	for (i = 0; i < len; i += 4) {
		v = 0;
		pad = 0;
		for (j = 0; j < 4; j++) {
			if (in[i + j] == '=') {
				/* Padding: only the last one or two places. */
				if (i + 4 != len || j < 2)
					return (-1);
				pad++;
				d = 0;
			} else if (pad > 0 ||
			    (d = b64_value((unsigned char)in[i + j])) < 0)
				return (-1);
			v = v << 6 | (uint32_t)d;
		}
		/* Bits beyond the last byte must be zero (RFC 4648 3.5). */
		if ((pad == 1 && (v & 0xff) != 0) ||
		    (pad == 2 && (v & 0xffff) != 0))
			return (-1);
		if (outsz - n < 3 - pad)
			return (-1);
		out[n++] = (unsigned char)(v >> 16);
		if (pad < 2)
			out[n++] = (unsigned char)(v >> 8);
		if (pad < 1)
			out[n++] = (unsigned char)v;
	}
	*outlen_r = n;
	return (0);
}

/* hex_value - the value of a hex digit of either case, or -1 */
static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

int
vudb__hex_decode(const char *in, size_t len, unsigned char *out,
    size_t outsz, size_t *outlen_r)
{
	size_t	 i;
	int	 hi, lo;

	*outlen_r = 0;
	if (len % 2 != 0 || len / 2 > outsz)
		return (-1);
	for (i = 0; i < len; i += 2) {
		if ((hi = hex_value((unsigned char)in[i])) < 0 ||
		    (lo = hex_value((unsigned char)in[i + 1])) < 0)
			return (-1);
		out[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	*outlen_r = len / 2;
	return (0);
}
