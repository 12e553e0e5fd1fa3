/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * record.c - the versioned record format and the attribute tables.  A
 * record is 'V', a format version, the record type, then fields of
 * (tag varint, length varint, value), and (version 2) a CRC-32C of its key
 * and of those bytes.  Decoding checks every length against the buffer,
 * so a truncated or damaged record is VUDB_ECORRUPT, never a crash and
 * never "not found"; the checksum catches what lengths cannot (a changed
 * byte of a value, a record under the wrong key).  Unknown tags are kept, so fields added by
 * a newer writer survive a rewrite by this one.  The attribute tables map
 * the public attribute names to tags and say how each value is checked and
 * brought to canonical form.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vudb_private.h"

static const struct vudb__attr domain_attrs[] = {
	{ "kind",		VUDB__D_KIND,		VUDB__K_KIND,	VUDB__A_RDONLY },
	{ "target",		VUDB__D_TARGET,		VUDB__K_DOMAIN,	0 },
	{ "enabled",		VUDB__D_ENABLED,	VUDB__K_BOOL,	0 },
	{ "description",	VUDB__D_DESCRIPTION,	VUDB__K_TEXT,	0 },
	{ "uid",		VUDB__D_UID,		VUDB__K_ID,	0 },
	{ "gid",		VUDB__D_GID,		VUDB__K_ID,	0 },
	{ "quota_bytes",	VUDB__D_QUOTA_BYTES,	VUDB__K_SIZE,	0 },
	{ "quota_messages",	VUDB__D_QUOTA_MESSAGES,	VUDB__K_COUNT,	0 },
	{ "services",		VUDB__D_SERVICES,	VUDB__K_SERVICES, 0 },
	{ "recipient_delimiter", VUDB__D_DELIM,		VUDB__K_DELIM,	0 },
	{ "password_scheme",	VUDB__D_SCHEME,		VUDB__K_SCHEME,	0 },
	{ "max_users",		VUDB__D_MAX_USERS,	VUDB__K_COUNT,	0 },
	{ "max_aliases",	VUDB__D_MAX_ALIASES,	VUDB__K_COUNT,	0 },
	{ "catchall",		VUDB__D_CATCHALL,	VUDB__K_BOOL,	0 },
	{ "created",		VUDB__D_CREATED,	VUDB__K_TIME,	VUDB__A_RDONLY },
	{ "updated",		VUDB__D_UPDATED,	VUDB__K_TIME,	VUDB__A_RDONLY },
	{ "deleted",		VUDB__D_DELETED,	VUDB__K_BOOL,	VUDB__A_RDONLY | VUDB__A_HIDDEN },
};

static const struct vudb__attr user_attrs[] = {
	{ "password",		VUDB__U_PASSWORD,	VUDB__K_HASH,	VUDB__A_SECRET },
	{ "enabled",		VUDB__U_ENABLED,	VUDB__K_BOOL,	0 },
	{ "receive",		VUDB__U_RECEIVE,	VUDB__K_BOOL,	0 },
	{ "services",		VUDB__U_SERVICES,	VUDB__K_SERVICES, 0 },
	{ "quota_bytes",	VUDB__U_QUOTA_BYTES,	VUDB__K_SIZE,	0 },
	{ "quota_messages",	VUDB__U_QUOTA_MESSAGES,	VUDB__K_COUNT,	0 },
	{ "uid",		VUDB__U_UID,		VUDB__K_ID,	0 },
	{ "gid",		VUDB__U_GID,		VUDB__K_ID,	0 },
	{ "home",		VUDB__U_HOME,		VUDB__K_PATH,	0 },
	{ "maildir",		VUDB__U_MAILDIR,	VUDB__K_RELPATH, 0 },
	{ "name",		VUDB__U_NAME,		VUDB__K_TEXT,	0 },
	{ "created",		VUDB__U_CREATED,	VUDB__K_TIME,	VUDB__A_RDONLY },
	{ "updated",		VUDB__U_UPDATED,	VUDB__K_TIME,	VUDB__A_RDONLY },
};

static const struct vudb__attr alias_attrs[] = {
	{ "dest",		VUDB__L_VALUE,		VUDB__K_ADDRLIST, 0 },
	{ "created",		VUDB__L_CREATED,	VUDB__K_TIME,	VUDB__A_RDONLY },
	{ "updated",		VUDB__L_UPDATED,	VUDB__K_TIME,	VUDB__A_RDONLY },
};

static const struct vudb__attr relocated_attrs[] = {
	{ "dest",		VUDB__L_VALUE,		VUDB__K_DEST,	0 },
	{ "created",		VUDB__L_CREATED,	VUDB__K_TIME,	VUDB__A_RDONLY },
	{ "updated",		VUDB__L_UPDATED,	VUDB__K_TIME,	VUDB__A_RDONLY },
};

static const struct vudb__attr sender_attrs[] = {
	{ "logins",		VUDB__L_VALUE,		VUDB__K_ADDRLIST, 0 },
	{ "created",		VUDB__L_CREATED,	VUDB__K_TIME,	VUDB__A_RDONLY },
	{ "updated",		VUDB__L_UPDATED,	VUDB__K_TIME,	VUDB__A_RDONLY },
};

static const struct vudb__attr counter_attrs[] = {
	{ "users",		VUDB__C_USERS,		VUDB__K_COUNT,	VUDB__A_HIDDEN },
	{ "aliases",		VUDB__C_ALIASES,	VUDB__K_COUNT,	VUDB__A_HIDDEN },
	{ "schemes",		VUDB__C_SCHEMES,	VUDB__K_TEXT,	VUDB__A_HIDDEN },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const service_names[] = {
	"imap", "pop3", "sieve", "submission", "lmtp"
};

/* vudb__attrs - the attribute table of a record type */
const struct vudb__attr *
vudb__attrs(int type, size_t *n_r)
{
	switch (type) {
	case VUDB_DOMAIN:
		*n_r = NELEM(domain_attrs);
		return domain_attrs;
	case VUDB_USER:
		*n_r = NELEM(user_attrs);
		return user_attrs;
	case VUDB_ALIAS:
		*n_r = NELEM(alias_attrs);
		return alias_attrs;
	case VUDB_RELOCATED:
		*n_r = NELEM(relocated_attrs);
		return relocated_attrs;
	case VUDB_SENDER:
		*n_r = NELEM(sender_attrs);
		return sender_attrs;
	case VUDB__REC_COUNTERS:
		*n_r = NELEM(counter_attrs);
		return counter_attrs;
	}
	*n_r = 0;
	return NULL;
}

const struct vudb__attr *
vudb__attr_byname(int type, const char *name)
{
	const struct vudb__attr *a;
	size_t i, n;

	if (name == NULL || (a = vudb__attrs(type, &n)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (strcmp(a[i].name, name) == 0)
			return &a[i];
	return NULL;
}

const struct vudb__attr *
vudb__attr_bytag(int type, unsigned int tag)
{
	const struct vudb__attr *a;
	size_t i, n;

	if ((a = vudb__attrs(type, &n)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (a[i].tag == tag)
			return &a[i];
	return NULL;
}

/* ------------------------------------------------------------ encoding */

/* get_varint - read an unsigned LEB128 of at most 4 bytes */
static int
get_varint(const unsigned char **pp, const unsigned char *end, size_t *v_r)
{
	const unsigned char *p = *pp;
	size_t v = 0;
	int shift;

	for (shift = 0; shift < 28; shift += 7) {
		if (p >= end)
			return -1;
		v |= (size_t)(*p & 0x7f) << shift;
		if ((*p++ & 0x80) == 0) {
			*pp = p;
			*v_r = v;
			return 0;
		}
	}
	return -1;
}

static unsigned char *
put_varint(unsigned char *p, size_t v)
{
	while (v >= 0x80) {
		*p++ = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	*p++ = (unsigned char)v;
	return p;
}

#define REC_SUMLEN	4	/* the checksum of a version 2 record */

/*
 * check_header - the header of a record of type; *end_r is where its
 * fields end (before the checksum of version 2, which the decoders do not
 * check: they have no key, and the core checked it as the record was read)
 */
static int
check_header(const unsigned char *p, size_t len, int type,
    const unsigned char **end_r)
{
	if (len < 3 || p[0] != VUDB__REC_MAGIC)
		return VUDB_ECORRUPT;
	if (p[1] != 1 && p[1] != VUDB__REC_VERSION)
		return p[1] > VUDB__REC_VERSION ? VUDB_EVERSION :
		    VUDB_ECORRUPT;
	if (p[2] != type)
		return VUDB_ECORRUPT;
	if (p[1] == VUDB__REC_VERSION) {
		if (len < 3 + REC_SUMLEN)
			return VUDB_ECORRUPT;
		len -= REC_SUMLEN;
	}
	*end_r = p + len;
	return VUDB_OK;
}

void
vudb__rec_init(struct vudb__rec *rec, int type)
{
	rec->type = type;
	rec->n = 0;
}

void
vudb__rec_clear(struct vudb__rec *rec)
{
	size_t i;

	for (i = 0; i < rec->n; i++)
		vudb__free_secret(rec->f[i].val);
	rec->n = 0;
}

/*
 * vudb__rec_decode - decode into rec (which the caller clears).  Returns
 * VUDB_OK, VUDB_ECORRUPT, VUDB_EVERSION or VUDB_ENOMEM.
 */
int
vudb__rec_decode(const void *buf, size_t len, int type, struct vudb__rec *rec)
{
	const unsigned char *p = buf, *end = p + len;
	size_t tag, flen, i;
	int rc;

	vudb__rec_init(rec, type);
	if ((rc = check_header(p, len, type, &end)) != VUDB_OK)
		return rc;
	for (p += 3; p < end; p += flen) {
		if (get_varint(&p, end, &tag) != 0 || tag == 0 ||
		    get_varint(&p, end, &flen) != 0 ||
		    flen > (size_t)(end - p) || rec->n == VUDB__REC_MAXF ||
		    memchr(p, '\0', flen) != NULL)
			goto corrupt;
		for (i = 0; i < rec->n; i++)
			if (rec->f[i].tag == tag)
				goto corrupt;
		if ((rec->f[rec->n].val = malloc(flen + 1)) == NULL) {
			vudb__rec_clear(rec);
			return VUDB_ENOMEM;
		}
		memcpy(rec->f[rec->n].val, p, flen);
		rec->f[rec->n].val[flen] = '\0';
		rec->f[rec->n].tag = (unsigned int)tag;
		rec->f[rec->n].len = flen;
		rec->n++;
	}
	return VUDB_OK;
corrupt:
	vudb__rec_clear(rec);
	return VUDB_ECORRUPT;
}

/*
 * vudb__rec_scan - the hot-path decoder: check the whole record and point
 * vals[tag] (tag < maxtag) into buf, without allocating.  Absent fields
 * are NULL.  Values are not NUL-terminated: use lens.
 */
int
vudb__rec_scan(const void *buf, size_t len, int type, const char **vals,
    size_t *lens, unsigned int maxtag)
{
	const unsigned char *p = buf, *end = p + len;
	size_t tag, flen, other[VUDB__REC_MAXF], nother = 0, n = 0, j;
	unsigned int i;
	int rc;

	for (i = 0; i < maxtag; i++)
		vals[i] = NULL;
	if ((rc = check_header(p, len, type, &end)) != VUDB_OK)
		return rc;
	/* the same checks as vudb__rec_decode, so both agree on damage */
	for (p += 3; p < end; p += flen) {
		if (get_varint(&p, end, &tag) != 0 || tag == 0 ||
		    get_varint(&p, end, &flen) != 0 ||
		    flen > (size_t)(end - p) || n++ == VUDB__REC_MAXF ||
		    memchr(p, '\0', flen) != NULL)
			return VUDB_ECORRUPT;
		if (tag < maxtag) {
			if (vals[tag] != NULL)
				return VUDB_ECORRUPT;
			vals[tag] = (const char *)p;
			lens[tag] = flen;
		} else {
			/* tags of a newer writer: rare, checked the slow way */
			for (j = 0; j < nother; j++)
				if (other[j] == tag)
					return VUDB_ECORRUPT;
			other[nother++] = tag;
		}
	}
	return VUDB_OK;
}

/* ------------------------------------------------------------ checksum */

/*
 * Records of format version 2 end in a CRC-32C (Castagnoli, as iSCSI and
 * ext4 use it) of the record's key and of every byte before it, stored
 * little-endian.  It covers the key so that a record that is intact but
 * found under another key (a damaged page of the database) is caught too.
 * The CPU's crc32 instruction where there is one, else slicing by 8.
 */
#define CRC_POLY	0x82f63b78u	/* reflected Castagnoli */

static uint32_t		 crc_tab[8][256];
static pthread_once_t	 crc_once = PTHREAD_ONCE_INIT;
static int		 crc_hw;

static void
crc_init(void)
{
	uint32_t c;
	unsigned int i, j;

	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = (c >> 1) ^ (CRC_POLY & (0u - (c & 1)));
		crc_tab[0][i] = c;
	}
	for (i = 0; i < 256; i++)
		for (j = 1; j < 8; j++)
			crc_tab[j][i] = (crc_tab[j - 1][i] >> 8) ^
			    crc_tab[0][crc_tab[j - 1][i] & 0xff];
#if defined(__x86_64__) && defined(__GNUC__)
	crc_hw = __builtin_cpu_supports("sse4.2");
#endif
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("sse4.2")))
static uint32_t
crc_sse42(uint32_t c, const unsigned char *p, size_t len)
{
	uint64_t c64 = c, w;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		c64 = __builtin_ia32_crc32di(c64, w);
	}
	c = (uint32_t)c64;
	for (; len > 0; p++, len--)
		c = __builtin_ia32_crc32qi(c, *p);
	return c;
}
#endif

static uint32_t
crc_soft(uint32_t c, const unsigned char *p, size_t len)
{
	for (; len >= 8; p += 8, len -= 8) {
		c ^= (uint32_t)p[0] | (uint32_t)p[1] << 8 |
		    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
		c = crc_tab[7][c & 0xff] ^ crc_tab[6][(c >> 8) & 0xff] ^
		    crc_tab[5][(c >> 16) & 0xff] ^ crc_tab[4][c >> 24] ^
		    crc_tab[3][p[4]] ^ crc_tab[2][p[5]] ^ crc_tab[1][p[6]] ^
		    crc_tab[0][p[7]];
	}
	for (; len > 0; p++, len--)
		c = (c >> 8) ^ crc_tab[0][(c ^ *p) & 0xff];
	return c;
}

/* vudb__crc32c - extend crc (0 to start) by len bytes at p */
uint32_t
vudb__crc32c(uint32_t crc, const void *p, size_t len)
{
	uint32_t c = ~crc;

	(void)pthread_once(&crc_once, crc_init);
#if defined(__x86_64__) && defined(__GNUC__)
	if (crc_hw)
		return ~crc_sse42(c, p, len);
#endif
	return ~crc_soft(c, p, len);
}

/* rec_sum - the checksum of a version 2 record's key and body */
static uint32_t
rec_sum(const void *key, size_t klen, const unsigned char *val, size_t blen)
{
	unsigned char kl[2];
	uint32_t c;

	kl[0] = (unsigned char)(klen & 0xff);
	kl[1] = (unsigned char)(klen >> 8);
	c = vudb__crc32c(0, kl, 2);
	c = vudb__crc32c(c, key, klen);
	return vudb__crc32c(c, val, blen);
}

/* vudb__rec_seal - write the checksum of a record encoded for key */
void
vudb__rec_seal(unsigned char *buf, size_t len, const void *key, size_t klen)
{
	uint32_t c;

	if (len < 3 + REC_SUMLEN || buf[1] != VUDB__REC_VERSION)
		return;
	c = rec_sum(key, klen, buf, len - REC_SUMLEN);
	buf[len - 4] = (unsigned char)c;
	buf[len - 3] = (unsigned char)(c >> 8);
	buf[len - 2] = (unsigned char)(c >> 16);
	buf[len - 1] = (unsigned char)(c >> 24);
}

/*
 * vudb__rec_check - whether the record val stored under key is intact:
 * VUDB_OK, VUDB__REC_NOSUM for a record of version 1 (written before
 * records had checksums: its fields are still checked as it is decoded),
 * VUDB__REC_BAD for bytes that are no record at all (the decoder says
 * VUDB_ECORRUPT), or VUDB_ECORRUPT (a checksum that does not match).
 * A version this library does not know is left to the decoder
 * (VUDB_EVERSION there).
 */
int
vudb__rec_check(const void *key, size_t klen, const void *val, size_t vlen)
{
	const unsigned char *p = val;
	uint32_t c;

	if (vlen < 3 || p[0] != VUDB__REC_MAGIC)
		return VUDB__REC_BAD;
	if (p[1] == 1)
		return VUDB__REC_NOSUM;
	if (p[1] != VUDB__REC_VERSION)
		return p[1] > VUDB__REC_VERSION ? VUDB_OK : VUDB_ECORRUPT;
	if (vlen < 3 + REC_SUMLEN)
		return VUDB_ECORRUPT;
	c = (uint32_t)p[vlen - 4] | (uint32_t)p[vlen - 3] << 8 |
	    (uint32_t)p[vlen - 2] << 16 | (uint32_t)p[vlen - 1] << 24;
	return c == rec_sum(key, klen, p, vlen - REC_SUMLEN) ? VUDB_OK :
	    VUDB_ECORRUPT;
}

/*
 * vudb__rec_upgrade - a version 1 record as version 2, sealed for key
 * (a new buffer, free()): the same fields, so the same entry.
 */
int
vudb__rec_upgrade(const void *key, size_t klen, const void *val, size_t vlen,
    unsigned char **buf_r, size_t *len_r)
{
	unsigned char *buf;

	*buf_r = NULL;
	if (vlen < 3 || ((const unsigned char *)val)[1] != 1)
		return VUDB_EINVAL;
	if (vlen + REC_SUMLEN > VUDB__REC_MAXLEN)
		return VUDB_EINVAL;
	if ((buf = malloc(vlen + REC_SUMLEN)) == NULL)
		return VUDB_ENOMEM;
	memcpy(buf, val, vlen);
	buf[1] = VUDB__REC_VERSION;
	vudb__rec_seal(buf, vlen + REC_SUMLEN, key, klen);
	*buf_r = buf;
	*len_r = vlen + REC_SUMLEN;
	return VUDB_OK;
}

/* vudb__rec_encode - encode rec into a new buffer (free()), to be sealed
 * with vudb__rec_seal() for the key it is stored under */
int
vudb__rec_encode(const struct vudb__rec *rec, unsigned char **buf_r,
    size_t *len_r)
{
	unsigned char *buf, *p;
	size_t i, need = 3 + REC_SUMLEN;

	*buf_r = NULL;
	for (i = 0; i < rec->n; i++)
		need += 10 + rec->f[i].len;
	if (need > VUDB__REC_MAXLEN)
		return VUDB_EINVAL;
	if ((buf = malloc(need)) == NULL)
		return VUDB_ENOMEM;
	p = buf;
	*p++ = VUDB__REC_MAGIC;
	*p++ = VUDB__REC_VERSION;
	*p++ = (unsigned char)rec->type;
	for (i = 0; i < rec->n; i++) {
		p = put_varint(p, rec->f[i].tag);
		p = put_varint(p, rec->f[i].len);
		memcpy(p, rec->f[i].val, rec->f[i].len);
		p += rec->f[i].len;
	}
	memset(p, 0, REC_SUMLEN);	/* vudb__rec_seal() writes it */
	p += REC_SUMLEN;
	*buf_r = buf;
	*len_r = (size_t)(p - buf);
	return VUDB_OK;
}

const char *
vudb__rec_get(const struct vudb__rec *rec, unsigned int tag)
{
	size_t i;

	for (i = 0; i < rec->n; i++)
		if (rec->f[i].tag == tag)
			return rec->f[i].val;
	return NULL;
}

/* vudb__rec_set - set (val != NULL) or remove (val NULL) a field */
int
vudb__rec_set(struct vudb__rec *rec, unsigned int tag, const char *val)
{
	char *copy = NULL;
	size_t i;

	if (val != NULL && (copy = strdup(val)) == NULL)
		return VUDB_ENOMEM;
	for (i = 0; i < rec->n; i++)
		if (rec->f[i].tag == tag)
			break;
	if (i < rec->n) {
		vudb__free_secret(rec->f[i].val);
		if (copy == NULL) {
			rec->f[i] = rec->f[--rec->n];
			return VUDB_OK;
		}
	} else {
		if (copy == NULL)
			return VUDB_OK;
		if (rec->n == VUDB__REC_MAXF) {
			free(copy);
			return VUDB_EINVAL;
		}
		rec->n++;
	}
	rec->f[i].tag = tag;
	rec->f[i].val = copy;
	rec->f[i].len = strlen(copy);
	return VUDB_OK;
}

/* ------------------------------------------------------------ values */

int
vudb__parse_u64(const char *s, unsigned long long max, unsigned long long *v_r)
{
	unsigned long long v = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (max - (unsigned long long)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned long long)(*s - '0');
	}
	*v_r = v;
	return 0;
}

/* vudb__services_parse - "imap,pop3" or "none" -> bits */
unsigned int
vudb__services_parse(const char *s, int *ok_r)
{
	unsigned int bits = 0;
	const char *e;
	size_t i, len;

	*ok_r = 0;
	if (strcmp(s, "none") == 0) {
		*ok_r = 1;
		return 0;
	}
	if (strcmp(s, "all") == 0) {
		*ok_r = 1;
		return VUDB__SVC_ALL;
	}
	for (; *s != '\0'; s = *e ? e + 1 : e) {
		e = s + strcspn(s, ",");
		len = (size_t)(e - s);
		for (i = 0; i < NELEM(service_names); i++)
			if (strlen(service_names[i]) == len &&
			    strncasecmp(service_names[i], s, len) == 0)
				break;
		if (i == NELEM(service_names))
			return 0;
		bits |= 1u << i;
		if (*e == ',' && e[1] == '\0')
			return 0;
	}
	*ok_r = bits != 0;
	return bits;
}

static char *
services_format(unsigned int bits)
{
	char buf[64];
	size_t i;

	if (bits == 0)
		return strdup("none");
	buf[0] = '\0';
	for (i = 0; i < NELEM(service_names); i++) {
		if ((bits & (1u << i)) == 0)
			continue;
		if (buf[0] != '\0')
			strcat(buf, ",");
		strcat(buf, service_names[i]);
	}
	return strdup(buf);
}

static int
text_ok(const char *s, size_t max)
{
	const unsigned char *p;

	if (strlen(s) > max)
		return 0;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

static int
parse_size(const char *s, unsigned long long *v_r)
{
	char num[32];
	size_t len = strlen(s);
	unsigned long long mult = 1, v;

	if (strcmp(s, "unlimited") == 0) {
		*v_r = 0;
		return 0;
	}
	if (len == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, s, len + 1);
	if (len > 1 && (num[len - 1] == 'B' || num[len - 1] == 'b'))
		num[--len] = '\0';
	switch (num[len - 1]) {
	case 'k': case 'K': mult = 1ULL << 10; break;
	case 'm': case 'M': mult = 1ULL << 20; break;
	case 'g': case 'G': mult = 1ULL << 30; break;
	case 't': case 'T': mult = 1ULL << 40; break;
	}
	if (mult != 1)
		num[--len] = '\0';
	if (vudb__parse_u64(num, ~0ULL / mult, &v) != 0)
		return -1;
	*v_r = v * mult;
	return 0;
}

/* addr_norm - one address "local@domain" to canonical form */
static int
addr_norm(const char *s, size_t len, char *out)
{
	const char *at;
	char local[VUDB__LOCAL_MAX + 1], domain[VUDB__DOMAIN_MAX + 1];

	if ((at = memrchr(s, '@', len)) == NULL)
		return -1;
	if (vudb__local_norm(s, (size_t)(at - s), local) != NULL ||
	    vudb__domain_norm(at + 1, len - (size_t)(at - s) - 1,
	    domain) != NULL)
		return -1;
	snprintf(out, VUDB__ADDR_MAX + 1, "%s@%s", local, domain);
	return 0;
}

/* addrlist_norm - "a@x, b@y" -> "a@x,b@y": trimmed, canonical, deduped */
static char *
addrlist_norm(const char *in, const char **why_r)
{
	char one[VUDB__ADDR_MAX + 1], *out, *p;
	const char *s, *e, *t;
	size_t cap = strlen(in) * 2 + 1, olen = 0, n, l;

	if ((out = malloc(cap)) == NULL)
		return NULL;
	out[0] = '\0';
	for (s = in; ; s = e + 1) {
		e = s + strcspn(s, ",");
		t = e;
		while (s < t && (*s == ' ' || *s == '\t'))
			s++;
		while (t > s && (t[-1] == ' ' || t[-1] == '\t'))
			t--;
		if (addr_norm(s, (size_t)(t - s), one) != 0) {
			*why_r = "invalid address in list";
			free(out);
			return NULL;
		}
		l = strlen(one);
		/* skip duplicates */
		for (p = out, n = 0; p < out + olen; p += n + 1) {
			n = strcspn(p, ",");
			if (n == l && memcmp(p, one, l) == 0)
				break;
		}
		if (p >= out + olen) {
			if (olen + l + 2 > cap) {
				char *nb;

				cap = (olen + l + 2) * 2;
				if ((nb = realloc(out, cap)) == NULL) {
					free(out);
					return NULL;
				}
				out = nb;
			}
			if (olen > 0)
				out[olen++] = ',';
			memcpy(out + olen, one, l + 1);
			olen += l;
		}
		if (*e == '\0')
			break;
	}
	return out;
}

/*
 * vudb__value_norm - check a value of a kind and make its canonical form
 * (*out_r, malloc'd).  Returns VUDB_OK, VUDB_EINVAL (*why_r says why) or
 * VUDB_ENOMEM.
 */
int
vudb__value_norm(enum vudb__kind kind, const char *in, char **out_r,
    const char **why_r)
{
	unsigned long long v;
	char buf[VUDB__DOMAIN_MAX + 1], *out = NULL;
	unsigned int bits;
	int ok;

	*out_r = NULL;
	*why_r = "invalid value";
	switch (kind) {
	case VUDB__K_TEXT:
		if (!text_ok(in, 1024)) {
			*why_r = "control characters or too long";
			return VUDB_EINVAL;
		}
		out = strdup(in);
		break;
	case VUDB__K_BOOL:
		if (strcasecmp(in, "yes") == 0 || strcasecmp(in, "true") == 0 ||
		    strcmp(in, "1") == 0 || strcasecmp(in, "on") == 0)
			out = strdup("yes");
		else if (strcasecmp(in, "no") == 0 ||
		    strcasecmp(in, "false") == 0 || strcmp(in, "0") == 0 ||
		    strcasecmp(in, "off") == 0)
			out = strdup("no");
		else {
			*why_r = "expected yes or no";
			return VUDB_EINVAL;
		}
		break;
	case VUDB__K_ID:
	case VUDB__K_COUNT:
	case VUDB__K_TIME:
		if (vudb__parse_u64(in, kind == VUDB__K_ID ? 0xfffffffeULL :
		    ~0ULL, &v) != 0) {
			*why_r = "expected a decimal number";
			return VUDB_EINVAL;
		}
		if (kind == VUDB__K_ID && v == 0) {
			/* Dovecot and Postfix would deliver as root */
			*why_r = "0 is root's: mail would be delivered as root";
			return VUDB_EINVAL;
		}
		if (asprintf(&out, "%llu", v) < 0)
			out = NULL;
		break;
	case VUDB__K_SIZE:
		if (parse_size(in, &v) != 0) {
			*why_r = "expected a size such as 500M or 10G";
			return VUDB_EINVAL;
		}
		if (asprintf(&out, "%llu", v) < 0)
			out = NULL;
		break;
	case VUDB__K_SERVICES:
		bits = vudb__services_parse(in, &ok);
		if (!ok && strcmp(in, "none") != 0) {
			*why_r = "expected services from imap, pop3, sieve, "
			    "submission, lmtp (or all, none)";
			return VUDB_EINVAL;
		}
		out = services_format(bits);
		break;
	case VUDB__K_PATH:
		if (in[0] != '/' || !text_ok(in, 1024) ||
		    strstr(in, "/../") != NULL ||
		    (strlen(in) >= 3 && strcmp(in + strlen(in) - 3,
		    "/..") == 0)) {
			*why_r = "expected an absolute path without ..";
			return VUDB_EINVAL;
		}
		out = strdup(in);
		break;
	case VUDB__K_RELPATH:
		if (in[0] == '/' || in[0] == '\0' || !text_ok(in, 1024) ||
		    strncmp(in, "../", 3) == 0 || strstr(in, "/../") ||
		    strcmp(in, "..") == 0 || (strlen(in) >= 3 &&
		    strcmp(in + strlen(in) - 3, "/..") == 0)) {
			*why_r = "expected a relative path without ..";
			return VUDB_EINVAL;
		}
		out = strdup(in);
		break;
	case VUDB__K_ADDRLIST:
		if (in[0] == '\0' || strlen(in) > 60000) {
			*why_r = "expected one or more addresses";
			return VUDB_EINVAL;
		}
		if ((out = addrlist_norm(in, why_r)) == NULL)
			return *why_r[0] == 'i' ? VUDB_EINVAL : VUDB_ENOMEM;
		break;
	case VUDB__K_DEST:
		if (in[0] == '\0' || !text_ok(in, 1024)) {
			*why_r = "expected an address or text";
			return VUDB_EINVAL;
		}
		if (strchr(in, ' ') == NULL && strchr(in, '@') != NULL) {
			char one[VUDB__ADDR_MAX + 1];

			if (addr_norm(in, strlen(in), one) == 0)
				out = strdup(one);
			else
				out = strdup(in);
		} else
			out = strdup(in);
		break;
	case VUDB__K_SCHEME:
		if (!vudb__pw_scheme_valid(in)) {
			*why_r = "expected ARGON2ID, BLF-CRYPT or SHA512-CRYPT";
			return VUDB_EINVAL;
		}
		if ((out = strdup(in)) != NULL)
			for (char *p = out; *p; p++)
				*p = (char)toupper((unsigned char)*p);
		break;
	case VUDB__K_DELIM:
		if (strcmp(in, "none") == 0)
			in = "";
		for (const char *p = in; *p != '\0'; p++)
			if (isalnum((unsigned char)*p) || *p == '@' ||
			    *p == '.' || *p < 0x21 || *p > 0x7e) {
				*why_r = "expected delimiter characters such "
				    "as + or -";
				return VUDB_EINVAL;
			}
		if (strlen(in) > 8) {
			*why_r = "too many delimiters";
			return VUDB_EINVAL;
		}
		out = strdup(in);
		break;
	case VUDB__K_DOMAIN:
		if ((*why_r = vudb__domain_norm(in, strlen(in), buf)) != NULL)
			return VUDB_EINVAL;
		out = strdup(buf);
		break;
	case VUDB__K_HASH:
		if (in[0] != '{' || strchr(in, '}') == NULL ||
		    !text_ok(in, 1024)) {
			*why_r = "expected a password hash as {SCHEME}hash";
			return VUDB_EINVAL;
		}
		out = strdup(in);
		break;
	case VUDB__K_KIND:
		if (strcmp(in, "mailbox") != 0 && strcmp(in, "alias") != 0) {
			*why_r = "expected mailbox or alias";
			return VUDB_EINVAL;
		}
		out = strdup(in);
		break;
	}
	if (out == NULL)
		return VUDB_ENOMEM;
	*out_r = out;
	*why_r = NULL;
	return VUDB_OK;
}
