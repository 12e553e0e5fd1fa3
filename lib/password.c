/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * password.c - password hashing and verification in Dovecot's stored
 * form, "{SCHEME}hash", so that a hash works unchanged in a Dovecot
 * passwd-file.  New hashes are ARGON2ID (libargon2), BLF-CRYPT and
 * SHA512-CRYPT (libxcrypt).  Verification also takes the legacy schemes
 * found in imported data: ARGON2I, the other crypt(3) formats, salted and
 * unsalted SHA digests (nettle), and PLAIN, with Dovecot's ".HEX" and
 * ".B64" encoding suffixes (nettle's base16 and base64 decoders, held to
 * RFC 4648's canonical form); a hash with no "{SCHEME}" prefix is CRYPT,
 * Dovecot's default.  Digests and crypt outputs are compared in constant
 * time, every buffer that held a password or a digest is wiped before it
 * is released, and vudb__pw_dummy() makes an unknown user cost what a
 * wrong password costs.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/random.h>

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <argon2.h>
#include <crypt.h>
#include <nettle/base16.h>
#include <nettle/base64.h>
#include <nettle/nettle-meta.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>

#include "vudb_private.h"

/* What new hashes are made of. */
#define PW_ARGON2_SALT	16	/* bytes, as Dovecot (libsodium) */
#define PW_ARGON2_HASH	32
#define PW_CRYPT_RANDOM	16	/* bytes for crypt_gensalt_rn */
#define PW_BLF_MIN	4
#define PW_BLF_MAX	31
#define PW_SHA_MIN	1000	/* rounds, as crypt(5) */
#define PW_SHA_MAX	999999999
#define PW_SHA_DEFAULT	5000	/* written without "rounds=" */

enum pw_kind {
	PW_ARGON2,		/* encoded Argon2 string */
	PW_CRYPT,		/* crypt(3) string */
	PW_SALTED,		/* digest(password || salt) || salt */
	PW_DIGEST,		/* digest(password) */
	PW_PLAIN		/* the password itself */
};

enum pw_enc {
	ENC_DEFAULT,		/* no suffix: the scheme's own */
	ENC_NONE,
	ENC_HEX,
	ENC_B64
};

struct pw_scheme {
	const char	*name;
	enum pw_kind	 kind;
	int		 arg;		/* argon2_type */
	const struct nettle_hash *md;	/* PW_SALTED, PW_DIGEST */
	const char	*prefix;	/* a crypt string must start so */
	enum pw_enc	 enc;		/* encoding without a suffix */
	int		 hashable;	/* vudb__pw_hash makes these */
};

/* The digests of the {SHA*} and {SSHA*} schemes (nettle). */
#define PW_SHA1		(&nettle_sha1)
#define PW_SHA256	(&nettle_sha256)
#define PW_SHA512	(&nettle_sha512)

static const struct pw_scheme pw_schemes[] = {
	/* name          kind       arg        digest     prefix encoding new */
	{ "ARGON2ID",     PW_ARGON2, Argon2_id, NULL,      NULL,  ENC_NONE, 1 },
	{ "ARGON2I",      PW_ARGON2, Argon2_i,  NULL,      NULL,  ENC_NONE, 0 },
	{ "BLF-CRYPT",    PW_CRYPT,  0,         NULL,      "$2",  ENC_NONE, 1 },
	{ "SHA512-CRYPT", PW_CRYPT,  0,         NULL,      "$6$", ENC_NONE, 1 },
	{ "SHA256-CRYPT", PW_CRYPT,  0,         NULL,      "$5$", ENC_NONE, 0 },
	{ "MD5-CRYPT",    PW_CRYPT,  0,         NULL,      "$1$", ENC_NONE, 0 },
	{ "MD5",          PW_CRYPT,  0,         NULL,      "$1$", ENC_NONE, 0 },
	{ "CRYPT",        PW_CRYPT,  0,         NULL,      NULL,  ENC_NONE, 0 },
	{ "DES-CRYPT",    PW_CRYPT,  0,         NULL,      NULL,  ENC_NONE, 0 },
	{ "SSHA",         PW_SALTED, 0,         PW_SHA1,   NULL,  ENC_B64,  0 },
	{ "SSHA256",      PW_SALTED, 0,         PW_SHA256, NULL,  ENC_B64,  0 },
	{ "SSHA512",      PW_SALTED, 0,         PW_SHA512, NULL,  ENC_B64,  0 },
	{ "SHA",          PW_DIGEST, 0,         PW_SHA1,   NULL,  ENC_B64,  0 },
	{ "SHA1",         PW_DIGEST, 0,         PW_SHA1,   NULL,  ENC_B64,  0 },
	{ "SHA256",       PW_DIGEST, 0,         PW_SHA256, NULL,  ENC_B64,  0 },
	{ "SHA512",       PW_DIGEST, 0,         PW_SHA512, NULL,  ENC_B64,  0 },
	{ "PLAIN",        PW_PLAIN,  0,         NULL,      NULL,  ENC_NONE, 0 },
	{ "CLEAR",        PW_PLAIN,  0,         NULL,      NULL,  ENC_NONE, 0 },
	{ "CLEARTEXT",    PW_PLAIN,  0,         NULL,      NULL,  ENC_NONE, 0 }
};
#define PW_NSCHEMES	(sizeof(pw_schemes) / sizeof(pw_schemes[0]))

/*
 * What vudb__pw_dummy() verifies against: syntactically valid salts and
 * hash values for each scheme, never the result of hashing anything.
 */
static const char pw_dummy_argon2_salt[] = "dnVkYmR1bW15c2FsdDEyMw";
static const char pw_dummy_argon2_hash[] =
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
static const char pw_dummy_blf[] =
    "vudbdummysaltvudbdummu"			/* 22-character salt */
    "...............................";		/* 31-character hash */
static const char pw_dummy_sha_salt[] = "vudbdummysalt123";
static const char pw_dummy_sha_hash[] =
    "......................................................................"
    "................";				/* 86 characters */

/* pw_lookup - the scheme named name[0..len), case-insensitive, or NULL */
static const struct pw_scheme *
pw_lookup(const char *name, size_t len)
{
	size_t	 i;

	for (i = 0; i < PW_NSCHEMES; i++)
		if (strlen(pw_schemes[i].name) == len &&
		    strncasecmp(pw_schemes[i].name, name, len) == 0)
			return (&pw_schemes[i]);
	return (NULL);
}

/* pw_lookup_hashable - the scheme vudb__pw_hash makes under name */
static const struct pw_scheme *
pw_lookup_hashable(const char *name)
{
	const struct pw_scheme	*s;

	if (name == NULL || (s = pw_lookup(name, strlen(name))) == NULL ||
	    !s->hashable)
		return (NULL);
	return (s);
}

/* pw_parse - split hash into scheme, encoding and payload */
static int
pw_parse(const char *hash, const struct pw_scheme **s_r, enum pw_enc *enc_r,
    const char **payload_r)
{
	const char	*end, *dot, *enc;
	size_t		 namelen, enclen;

	if (hash[0] != '{' || (end = strchr(hash, '}')) == NULL) {
		/* No prefix: Dovecot's default_pass_scheme, CRYPT. */
		*s_r = pw_lookup("CRYPT", 5);
		*enc_r = ENC_DEFAULT;
		*payload_r = hash;
		return (VUDB_OK);
	}
	*payload_r = end + 1;
	namelen = (size_t)(end - (hash + 1));
	*enc_r = ENC_DEFAULT;
	if ((dot = memchr(hash + 1, '.', namelen)) != NULL) {
		/* "{SCHEME.ENCODING}" */
		enc = dot + 1;
		enclen = (size_t)(end - enc);
		namelen = (size_t)(dot - (hash + 1));
		if (enclen == 3 && strncasecmp(enc, "HEX", 3) == 0)
			*enc_r = ENC_HEX;
		else if ((enclen == 3 && strncasecmp(enc, "B64", 3) == 0) ||
		    (enclen == 6 && strncasecmp(enc, "BASE64", 6) == 0))
			*enc_r = ENC_B64;
		else
			return (VUDB_ENOTSUP);
	}
	if ((*s_r = pw_lookup(hash + 1, namelen)) == NULL)
		return (VUDB_ENOTSUP);
	return (VUDB_OK);
}

/* pw_random - fill buf with len bytes from getrandom(2) */
static int
pw_random(void *buf, size_t len)
{
	unsigned char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = getrandom(p, len, 0)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

/* pw_argon2_status - map a libargon2 result to a VUDB_* status */
static int
pw_argon2_status(int rc)
{
	switch (rc) {
	case ARGON2_OK:
		return (VUDB_OK);
	case ARGON2_VERIFY_MISMATCH:
		return (VUDB_EAUTH);
	case ARGON2_MEMORY_ALLOCATION_ERROR:
		return (VUDB_ENOMEM);
	case ARGON2_THREAD_FAIL:
		return (VUDB_ESYS);
	default:
		return (VUDB_EINVAL);
	}
}

/* pw_argon2_hash - a new {ARGON2ID} hash */
static int
pw_argon2_hash(const struct vudb__pwparams *pp, const char *password,
    char **hash_r)
{
	static const char	 prefix[] = "{ARGON2ID}";
	unsigned char		 salt[PW_ARGON2_SALT];
	size_t			 enclen, size;
	char			*buf;
	int			 rc;

	if (pw_random(salt, sizeof(salt)) == -1)
		return (VUDB_ESYS);
	enclen = argon2_encodedlen(pp->argon2_time, pp->argon2_memory,
	    pp->argon2_threads, PW_ARGON2_SALT, PW_ARGON2_HASH, Argon2_id);
	size = sizeof(prefix) - 1 + enclen;
	if ((buf = malloc(size)) == NULL) {
		vudb__wipe(salt, sizeof(salt));
		return (VUDB_ENOMEM);
	}
	memcpy(buf, prefix, sizeof(prefix) - 1);
	rc = pw_argon2_status(argon2id_hash_encoded(pp->argon2_time,
	    pp->argon2_memory, pp->argon2_threads, password, strlen(password),
	    salt, sizeof(salt), PW_ARGON2_HASH, buf + sizeof(prefix) - 1,
	    enclen));
	vudb__wipe(salt, sizeof(salt));
	if (rc != VUDB_OK) {
		vudb__wipe(buf, size);
		free(buf);
		return (rc);
	}
	*hash_r = buf;
	return (VUDB_OK);
}

/* pw_crypt_hash - a new crypt(3) hash: "{name}" + crypt output */
static int
pw_crypt_hash(const char *name, const char *method, unsigned long count,
    const char *password, char **hash_r)
{
	struct crypt_data	*cd;
	unsigned char		 rnd[PW_CRYPT_RANDOM];
	char			 setting[CRYPT_GENSALT_OUTPUT_SIZE];
	const char		*out;
	char			*buf = NULL;
	size_t			 size;
	int			 rc;

	/* crypt(3) takes at most CRYPT_MAX_PASSPHRASE_SIZE - 1 bytes. */
	if (strlen(password) >= CRYPT_MAX_PASSPHRASE_SIZE)
		return (VUDB_EINVAL);
	if (pw_random(rnd, sizeof(rnd)) == -1)
		return (VUDB_ESYS);
	errno = 0;
	out = crypt_gensalt_rn(method, count, (const char *)rnd, sizeof(rnd),
	    setting, sizeof(setting));
	rc = errno == ENOMEM ? VUDB_ENOMEM : VUDB_EINVAL;
	vudb__wipe(rnd, sizeof(rnd));
	if (out == NULL)
		return (rc);
	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return (VUDB_ENOMEM);
	errno = 0;
	out = crypt_r(password, setting, cd);
	if (out == NULL || out[0] == '*') {
		rc = errno == ENOMEM ? VUDB_ENOMEM : VUDB_EINVAL;
		goto fail;
	}
	size = 1 + strlen(name) + 1 + strlen(out) + 1;
	if ((buf = malloc(size)) == NULL) {
		rc = VUDB_ENOMEM;
		goto fail;
	}
	(void)snprintf(buf, size, "{%s}%s", name, out);
	*hash_r = buf;
	rc = VUDB_OK;
fail:
	vudb__wipe(cd, sizeof(*cd));
	free(cd);
	return (rc);
}

/*
 * pw_argon2_verify - check password against an encoded Argon2 string;
 * libargon2 compares the recomputed hash in constant time itself.
 */
static int
pw_argon2_verify(const struct pw_scheme *s, const char *encoded,
    const char *password)
{
	return (pw_argon2_status(argon2_verify(encoded, password,
	    strlen(password), (argon2_type)s->arg)));
}

/* pw_crypt_verify - check password against a crypt(3) string */
static int
pw_crypt_verify(const struct pw_scheme *s, const char *setting, size_t len,
    const char *password)
{
	struct crypt_data	*cd;
	const char		*out;
	int			 rc;

	if (s->prefix != NULL &&
	    strncmp(setting, s->prefix, strlen(s->prefix)) != 0)
		return (VUDB_EINVAL);
	if (strlen(password) >= CRYPT_MAX_PASSPHRASE_SIZE) {
		/* crypt(3) cannot have made setting from this password. */
		return (crypt_checksalt(setting) == CRYPT_SALT_INVALID ?
		    VUDB_EINVAL : VUDB_EAUTH);
	}
	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return (VUDB_ENOMEM);
	errno = 0;
	out = crypt_r(password, setting, cd);
	if (out == NULL || out[0] == '*') {
		/* A failure token, never a hash: setting is malformed. */
		if (errno == ERANGE)
			rc = VUDB_EAUTH;
		else if (errno == ENOMEM)
			rc = VUDB_ENOMEM;
		else
			rc = VUDB_EINVAL;
	} else if (strlen(out) == len && vudb__ct_equal(out, setting, len))
		rc = VUDB_OK;
	else
		rc = VUDB_EAUTH;
	vudb__wipe(cd, sizeof(*cd));
	free(cd);
	return (rc);
}

/*
 * pw_digest - md(a || b) into out (md->digest_size bytes); the context,
 * which held the password, is wiped.
 */
static void
pw_digest(const struct nettle_hash *md, const void *a, size_t alen,
    const void *b, size_t blen, uint8_t *out)
{
	union {
		struct sha1_ctx		 sha1;
		struct sha256_ctx	 sha256;
		struct sha512_ctx	 sha512;
	}	 ctx;

	assert(md->context_size <= sizeof(ctx));
	md->init(&ctx);
	md->update(&ctx, alen, a);
	if (blen > 0)
		md->update(&ctx, blen, b);
	md->digest(&ctx, md->digest_size, out);
	vudb__wipe(&ctx, sizeof(ctx));
}

/* pw_digest_verify - check password against a salted or plain digest */
static int
pw_digest_verify(const struct pw_scheme *s, const unsigned char *raw,
    size_t len, const char *password)
{
	uint8_t		 digest[SHA512_DIGEST_SIZE];
	size_t		 dlen = s->md->digest_size;
	int		 rc;

	if (s->kind == PW_SALTED ? len <= dlen : len != dlen)
		return (VUDB_EINVAL);
	pw_digest(s->md, password, strlen(password), raw + dlen, len - dlen,
	    digest);
	rc = vudb__ct_equal(digest, raw, dlen) ? VUDB_OK : VUDB_EAUTH;
	vudb__wipe(digest, sizeof(digest));
	return (rc);
}

/*
 * pw_plain_verify - compare password with a stored plain text.  Both are
 * hashed first, so that the comparison takes the same time whatever
 * their lengths and wherever they differ.
 */
static int
pw_plain_verify(const unsigned char *raw, size_t len, const char *password)
{
	uint8_t		 a[SHA256_DIGEST_SIZE], b[SHA256_DIGEST_SIZE];
	size_t		 plen = strlen(password);
	int		 same;

	pw_digest(&nettle_sha256, password, plen, NULL, 0, a);
	pw_digest(&nettle_sha256, raw, len, NULL, 0, b);
	same = vudb__ct_equal(a, b, sizeof(a)) & (plen == len);
	vudb__wipe(a, sizeof(a));
	vudb__wipe(b, sizeof(b));
	return (same ? VUDB_OK : VUDB_EAUTH);
}

/* pw_has_space - 1 if in[0..len) holds a byte nettle's decoders skip */
static int
pw_has_space(const char *in, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (in[i] == ' ' || (in[i] >= '\t' && in[i] <= '\r'))
			return (1);
	return (0);
}

/*
 * vudb__b64_decode - nettle's base64 decoder, held to the canonical form
 * of RFC 4648 section 4 as a conforming encoder writes it: nettle skips
 * white space and takes "A===" for nothing, so the length, the padding
 * and the absence of white space are checked here; nettle checks the
 * alphabet, where '=' may stand, and that the bits beyond the last byte
 * are zero (section 3.5).  nettle wants room for 3 bytes a quantum: the
 * last quantum, which may be padded, is decoded apart, so that out needs
 * only what the input decodes to.
 */
int
vudb__b64_decode(const char *in, size_t len, unsigned char *out,
    size_t outsz, size_t *outlen_r)
{
	struct base64_decode_ctx	 ctx;
	uint8_t				 last[3];
	size_t				 pad = 0, want, n, m;
	int				 ok;

	*outlen_r = 0;
	if (len == 0)
		return (0);
	if (len % 4 != 0 || pw_has_space(in, len))
		return (-1);
	while (pad < 3 && in[len - 1 - pad] == '=')
		pad++;
	if (pad > 2 || (want = len / 4 * 3 - pad) > outsz)
		return (-1);
	base64_decode_init(&ctx);
	ok = base64_decode_update(&ctx, &n, out, len - 4, in) &&
	    base64_decode_update(&ctx, &m, last, 4, in + len - 4) &&
	    base64_decode_final(&ctx) && n + m == want;
	if (ok)
		memcpy(out + n, last, m);
	vudb__wipe(last, sizeof(last));
	if (!ok)
		return (-1);
	*outlen_r = want;
	return (0);
}

/*
 * vudb__hex_decode - nettle's base16 decoder, of either case, without the
 * white space nettle would skip and with an even number of digits.
 */
int
vudb__hex_decode(const char *in, size_t len, unsigned char *out,
    size_t outsz, size_t *outlen_r)
{
	struct base16_decode_ctx	 ctx;
	size_t				 n;

	*outlen_r = 0;
	if (len % 2 != 0 || len / 2 > outsz || pw_has_space(in, len))
		return (-1);
	base16_decode_init(&ctx);
	if (!base16_decode_update(&ctx, &n, out, len, in) ||
	    !base16_decode_final(&ctx) || n != len / 2)
		return (-1);
	*outlen_r = n;
	return (0);
}

void
vudb__pwparams_default(struct vudb__pwparams *pp)
{
	pp->argon2_memory = 65536;
	pp->argon2_time = 3;
	pp->argon2_threads = 1;
	pp->blf_cost = 5;
	pp->sha_rounds = PW_SHA_DEFAULT;
}

/*
 * vudb__pw_hash - a new hash in *hash_r (vudb__free_secret), NULL on
 * failure.  pp NULL means the defaults.  VUDB_EINVAL also covers
 * parameters out of range and, for the crypt(3) schemes, a password of
 * CRYPT_MAX_PASSPHRASE_SIZE (512) bytes or more; VUDB_ESYS is a
 * getrandom(2) or thread failure.
 */
int
vudb__pw_hash(const struct vudb__pwparams *pp, const char *scheme,
    const char *password, char **hash_r)
{
	struct vudb__pwparams	 def;
	const struct pw_scheme	*s;

	if (hash_r == NULL)
		return (VUDB_EINVAL);
	*hash_r = NULL;
	if (scheme == NULL || password == NULL)
		return (VUDB_EINVAL);
	if ((s = pw_lookup_hashable(scheme)) == NULL)
		return (VUDB_ENOTSUP);
	if (pp == NULL) {
		vudb__pwparams_default(&def);
		pp = &def;
	}
	if (s->kind == PW_ARGON2)
		return (pw_argon2_hash(pp, password, hash_r));
	if (strcmp(s->name, "BLF-CRYPT") == 0) {
		if (pp->blf_cost < PW_BLF_MIN || pp->blf_cost > PW_BLF_MAX)
			return (VUDB_EINVAL);
		return (pw_crypt_hash(s->name, "$2y$", pp->blf_cost, password,
		    hash_r));
	}
	if (pp->sha_rounds < PW_SHA_MIN || pp->sha_rounds > PW_SHA_MAX)
		return (VUDB_EINVAL);
	return (pw_crypt_hash(s->name, "$6$", pp->sha_rounds, password,
	    hash_r));
}

/*
 * vudb__pw_verify - VUDB_OK, VUDB_EAUTH, VUDB_ENOTSUP (unknown scheme or
 * encoding), VUDB_EINVAL (malformed hash, a crypt string of another
 * family than its scheme names, NULL argument), and VUDB_ENOMEM or
 * VUDB_ESYS when the work itself fails.
 */
int
vudb__pw_verify(const char *hash, const char *password)
{
	const struct pw_scheme	*s;
	enum pw_enc		 enc;
	const char		*payload;
	unsigned char		*raw = NULL;
	size_t			 len, rawlen;
	int			 rc;

	if (hash == NULL || password == NULL)
		return (VUDB_EINVAL);
	if ((rc = pw_parse(hash, &s, &enc, &payload)) != VUDB_OK)
		return (rc);
	len = strlen(payload);
	if (enc == ENC_DEFAULT) {
		/* As Dovecot: a fixed-length digest twice its size is hex. */
		if (s->kind == PW_DIGEST && len == 2 * s->md->digest_size)
			enc = ENC_HEX;
		else
			enc = s->enc;
	}

	if (enc == ENC_NONE) {
		rawlen = len;
	} else {
		/* Decoding never lengthens: len bytes and a NUL suffice. */
		if ((raw = malloc(len + 1)) == NULL)
			return (VUDB_ENOMEM);
		if ((enc == ENC_HEX ? vudb__hex_decode(payload, len, raw,
		    len, &rawlen) : vudb__b64_decode(payload, len, raw, len,
		    &rawlen)) == -1) {
			rc = VUDB_EINVAL;
			goto fail;
		}
		raw[rawlen] = '\0';
		/* A crypt or Argon2 string is text. */
		if ((s->kind == PW_ARGON2 || s->kind == PW_CRYPT) &&
		    memchr(raw, '\0', rawlen) != NULL) {
			rc = VUDB_EINVAL;
			goto fail;
		}
		payload = (const char *)raw;
	}

	switch (s->kind) {
	case PW_ARGON2:
		rc = pw_argon2_verify(s, payload, password);
		break;
	case PW_CRYPT:
		rc = pw_crypt_verify(s, payload, rawlen, password);
		break;
	case PW_SALTED:
	case PW_DIGEST:
		rc = pw_digest_verify(s, (const unsigned char *)payload,
		    rawlen, password);
		break;
	default:
		rc = pw_plain_verify((const unsigned char *)payload, rawlen,
		    password);
		break;
	}
fail:
	if (raw != NULL) {
		vudb__wipe(raw, len + 1);
		free(raw);
	}
	return (rc);
}

/*
 * vudb__pw_dummy - verify password against a made-up hash of scheme with
 * the cost parameters pp (NULL: the defaults), and forget the result.
 * The hash is built from constant salt and hash strings, so the work is
 * one verification, not a hashing and a verification.  A scheme that
 * vudb__pw_hash cannot make costs what ARGON2ID costs.
 */
void
vudb__pw_dummy(const struct vudb__pwparams *pp, const char *scheme,
    const char *password)
{
	struct vudb__pwparams	 def;
	const struct pw_scheme	*s;
	char			 hash[256];

	if (pp == NULL) {
		vudb__pwparams_default(&def);
		pp = &def;
	}
	if (password == NULL)
		password = "";
	if ((s = pw_lookup_hashable(scheme)) == NULL)
		s = pw_lookup_hashable("ARGON2ID");

	if (s->kind == PW_ARGON2)
		(void)snprintf(hash, sizeof(hash),
		    "{ARGON2ID}$argon2id$v=19$m=%u,t=%u,p=%u$%s$%s",
		    pp->argon2_memory, pp->argon2_time, pp->argon2_threads,
		    pw_dummy_argon2_salt, pw_dummy_argon2_hash);
	else if (strcmp(s->name, "BLF-CRYPT") == 0)
		(void)snprintf(hash, sizeof(hash), "{BLF-CRYPT}$2y$%02u$%s",
		    pp->blf_cost, pw_dummy_blf);
	else if (pp->sha_rounds == PW_SHA_DEFAULT)
		(void)snprintf(hash, sizeof(hash), "{SHA512-CRYPT}$6$%s$%s",
		    pw_dummy_sha_salt, pw_dummy_sha_hash);
	else
		(void)snprintf(hash, sizeof(hash),
		    "{SHA512-CRYPT}$6$rounds=%u$%s$%s", pp->sha_rounds,
		    pw_dummy_sha_salt, pw_dummy_sha_hash);
	(void)vudb__pw_verify(hash, password);
	vudb__wipe(hash, sizeof(hash));
}

int
vudb__pw_scheme_valid(const char *scheme)
{
	return (pw_lookup_hashable(scheme) != NULL);
}

/*
 * vudb__pw_usable - VUDB_OK if vudb__pw_verify knows the scheme and the
 * encoding of hash (its payload is not judged), VUDB_ENOTSUP if not,
 * VUDB_EINVAL for NULL; *clear_r: the scheme keeps the password itself.
 */
int
vudb__pw_usable(const char *hash, int *clear_r)
{
	const struct pw_scheme	*s;
	enum pw_enc		 enc;
	const char		*payload;
	int			 rc;

	*clear_r = 0;
	if (hash == NULL)
		return (VUDB_EINVAL);
	if ((rc = pw_parse(hash, &s, &enc, &payload)) != VUDB_OK)
		return (rc);
	*clear_r = s->kind == PW_PLAIN;
	return (VUDB_OK);
}

int
vudb__ct_equal(const void *a, const void *b, size_t n)
{
	const volatile unsigned char	*pa = a, *pb = b;
	unsigned int			 d = 0;
	size_t				 i;

	for (i = 0; i < n; i++)
		d |= pa[i] ^ pb[i];
	/* 1 if d is 0, else 0, without a branch on d. */
	return ((int)(1 & ((d - 1) >> 8)));
}

void
vudb__wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}

void
vudb__free_secret(char *s)
{
	if (s == NULL)
		return;
	vudb__wipe(s, strlen(s));
	free(s);
}
