/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * check_password.c - the "password" suite: lib/password.c (hashing,
 * verification, the dummy check for unknown users, the constant-time and
 * wiping helpers, the strict base64 and hex decoders over nettle).  Known
 * answers come from FIPS 180-4 and RFC 4648, from real Dovecot 2.3.19
 * hashes ("doveadm pw -s SCHEME"), from Python's hashlib and OpenSSL, and
 * from libxcrypt for the legacy crypt(3) formats.  New hashes are
 * round-tripped with cheap parameters; only the test of the defaults pays
 * for the default Argon2 cost.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <nettle/base64.h>

#include "vudb_private.h"
#include "tests/check_main.h"

#define PW		"Tr0ub4dor&3"
#define LONG_PW_LEN	10000

struct pw_vector {
	const char	*hash;
	const char	*password;
};

struct pw_status {
	const char	*hash;
	int		 status;
};

/*
 * Made by Dovecot 2.3.19.1 (Debian 12): doveadm pw -s SCHEME -p PASSWORD,
 * and -r 4 / -r 1000 / -r 6 for the last four.
 */
static const struct pw_vector dovecot_vectors[] = {
	{ "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$8aO73IQjF42sJSY0n0o"
	    "a5w$Mcb+gQsBmV8lZZIgEYDS6Mozyh4TRsiqqMdg9LkL72s",
	    PW },
	{ "{ARGON2I}$argon2i$v=19$m=32768,t=4,p=1$MgDp6SNOe2LfHZ1HUEW3m"
	    "g$DhmHcezCMDKMKTfTEqIE5MAEe1hvsNSO2CzEKKDZtro",
	    PW },
	{ "{BLF-CRYPT}$2y$05$x6J9kDt.aFeCONGZXBjMbeOdX2ytc5cjWg7VHvzpVK"
	    "gmfsdSIYIea",
	    PW },
	{ "{SHA512-CRYPT}$6$P3beist4Jyqc8Eos$6ltwKSRiylukj3W81v56YVVrej"
	    "QlYADy/R4uz0CE0DJLobApx6OeVeE2N0bOKP.Svy6/JEIIokz42cxYTUkq41",
	    PW },
	{ "{SHA256-CRYPT}$5$Sn8AHTWMCM2AOUvc$KD1le4VUh7UUCwiOHhUQullb5A"
	    "VuUBmHJaEg8Mb9Gf5",
	    PW },
	{ "{MD5-CRYPT}$1$ZpccbVOa$0Er5iAsV6dcnJMb76Z9z6.", PW },
	{ "{MD5}$1$sU9mMDjq$m9jHuB/4e9FzxyIasIpWJ.", PW },
	{ "{CRYPT}$2y$05$s4etBVvZaTDAzIgRS7Qv/OFIlUy8wWYVaOst72r2S4BwH3"
	    "2lH93dG",
	    PW },
	{ "{DES-CRYPT}hoxogQct20bU2", PW },
	{ "{SSHA}YxlEtXMTLrtrIiUcxYcIZxzhS0ivr4RU", PW },
	{ "{SSHA256}PcWv1lZ1OAL5p9hlPB4AF6iPzfF4LiEM5Q3g0UD5SLuYbKZ8", PW },
	{ "{SSHA512}AqeMwD0VlTymTuiQhuEentOM6Ekk1bewWmua5QRxFLM2G6Dg5QQ"
	    "jRaY1ehFqnQQHzbw/eXOEQdUT05IwZ5yHKf+0SGw=",
	    PW },
	{ "{SHA}h0Vy56WuaklGamrFeLmK26eMaqY=", PW },
	{ "{SHA1}h0Vy56WuaklGamrFeLmK26eMaqY=", PW },
	{ "{SHA256}SEhuFRToQjRv9AWx5F9EBZroJhnyMG+Z0JQNyzhukfc=", PW },
	{ "{SHA512}xyu2IccEDPS2R0BjqaeXJpDiUvNa2+fPr/Wx7iMW7+c4LnI9QeAT"
	    "or+8M8MAfFDFhH0hqInM6DhTbqxyeAjeQA==",
	    PW },
	{ "{PLAIN}Tr0ub4dor&3", PW },
	{ "{CLEAR}Tr0ub4dor&3", PW },
	{ "{CLEARTEXT}Tr0ub4dor&3", PW },
	{ "{SSHA.HEX}ca1552ceff66506ee03cd3ca6a8b641c3193010ac1f3c4b2", PW },
	{ "{SSHA256.HEX}11e5208d2e802b6f5f8c0460273ac4b63e3a2325c5ed916"
	    "8bc5b457d35f9de0d5a530b44",
	    PW },
	{ "{SSHA512.HEX}38444595b12ef091a448413900415906e0da0a4f316fc20"
	    "1fd8ed452547f46f5a876e98c514808bd7e5fc223687dccc5a8043e6375b"
	    "c7bf5b5657819e31d1ea643342e42",
	    PW },
	{ "{SHA.HEX}874572e7a5ae6a49466a6ac578b98adba78c6aa6", PW },
	{ "{SHA256.HEX}48486e1514e842346ff405b1e45f44059ae82619f2306f99"
	    "d0940dcb386e91f7",
	    PW },
	{ "{SHA512.HEX}c72bb621c7040cf4b6474063a9a7972690e252f35adbe7cf"
	    "aff5b1ee2316efe7382e723d41e013a2bfbc33c3007c50c5847d21a889cc"
	    "e838536eac727808de40",
	    PW },
	{ "{SSHA.B64}tk3YlV0E/5hDYdajtowc6DJVLmOMWj7S", PW },
	{ "{PLAIN.B64}VHIwdWI0ZG9yJjM=", PW },
	{ "{PLAIN.HEX}547230756234646f722633", PW },
	{ "{SHA512-CRYPT.HEX}2436243479565538506b7043484b536d524977244b"
	    "69796b7a4e5554394230654639436a78756842437275434c36784263614e"
	    "424237495867556272627a737879736b72677366636c78424e3871304861"
	    "5a7a576462697a45422f4b4b2e364770737171436867647030",
	    PW },
	{ "{BLF-CRYPT.B64}JDJ5JDA1JFJaZDVrdXlsdFcyZ1hlNmYzZVZzNmViYVNEa"
	    "mtkOGJFZHo1Yk9CaVlVZzdvbU41YXZ0MXhL",
	    PW },
	{ "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$9P8L85ORHUMCl1pNHLe"
	    "m3w$D+nvb/+rmsbdzN4RqtPYq3mO7TAR9cQWP2qsS9idKuY",
	    "p\303\244ssw\303\266rd \342\230\203" },
	{ "{BLF-CRYPT}$2y$05$ZYbVZcpv6KZGu9sEt6P/q.IE/t61mnLYyt0yEcSLlR"
	    "P4GsXxU1O5m",
	    "p\303\244ssw\303\266rd \342\230\203" },
	{ "{SHA512-CRYPT}$6$iwy8uD7iKK4t9twN$IalfxVtcaORWo6nK8cM6T9UD.b"
	    "B/Tw1wqU7I6Z7MOtRym.sdEJ/vs3./xUhzM2msJMdjMfKKlzVhQ1kkMdf5W1",
	    "p\303\244ssw\303\266rd \342\230\203" },
	{ "{SSHA512}b3WXwPFq7JXOyuqhc8mQpqcidWxVRX9cqd6GjLCVcWk34FkiI/1"
	    "yYFgqPn+g713BXNmhIwymm1E95cejLaW5I+AxPY4=",
	    "p\303\244ssw\303\266rd \342\230\203" },
	{ "{SHA256}fhK8X0dpIEmgEujRFCL6OgrdA3YsSddfZ9Sw+5USx6Y=",
	    "p\303\244ssw\303\266rd \342\230\203" },
	{ "{PLAIN}p\303\244ssw\303\266rd \342\230\203",
	    "p\303\244ssw\303\266rd \342\230\203" },
	{ "{BLF-CRYPT}$2y$05$/wVtj9OI3m7BSFLmVVV4U.qhHKDcfy6QBAeqR/taKW"
	    "9vRlWvbyagO",
	    "" },
	{ "{SHA512-CRYPT}$6$ziyb8Kg0MzACg8W7$zrZ5PblAFfLR.b7iy82ECi8yKG"
	    "B2B4rh//r/k4XhI4FEz49eUR.MZBWNYiJWb76ckISUfF8mg6gUcf87ulznu.",
	    "" },
	{ "{SSHA}J5HoHCEyzNeZ3YVQ+t/Gjiaeb3COmJEh", "" },
	{ "{SHA}2jmj7l5rSw0yVb/vlWAYkK/YBwk=", "" },
	{ "{PLAIN}", "" },
	{ "{BLF-CRYPT}$2y$04$FXYo4JNk.sEOx8akEpGQw.vPPe9M6tFRihEy9R5rzL"
	    "tR73sbyYXO.",
	    PW },
	{ "{SHA512-CRYPT}$6$rounds=1000$OQBLdCsVOJEQw38D$vt/MTxb.BCw/PW"
	    "SDx12Gv2L2FR6F4YSgyMrktUzDNsvfzNKXdNusde58GuLbyt9tmtSArRBZFj"
	    "D3VYXBkuT.Y.",
	    PW },
	{ "{SHA256-CRYPT}$5$rounds=1000$9lEbdZvwOcy/3kZT$gHAA7WZfJuLDJM"
	    "wnXIyQntMzlKs4cOp/xDCZK9zZ.p3",
	    PW },
	{ "{BLF-CRYPT}$2y$06$Xx8P9biwLfxPwxhP4VkNEOERh30ID1IkQQP7G1nUKt"
	    "fzPjrMTnSAC",
	    PW },
};

/*
 * Not from Dovecot: SSHA* with 1-, 8- and 64-byte salts made with Python's
 * hashlib, crypt strings from "openssl passwd -1/-5/-6", and hashes
 * without a {SCHEME} prefix, which are CRYPT.
 */
static const struct pw_vector other_vectors[] = {
	{ "{SSHA}uLB1HEqawruVFZ297qfqi0RgfIAA", PW },
	{ "{SSHA}12mJ6etYCpM1oXTRaCHR4ffDmnBzYWx0c2FsdA==", PW },
	{ "{SSHA}n3TPLjXySQw08o6yyt1UOKgXyzkAAQIDBAUGBwgJCgsMDQ4PEBESEx"
	    "QVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/",
	    PW },
	{ "{SSHA256}RlJDtlnluubDF8QdZo3toIrE1coWWvA+el1gKDZhbBMA", PW },
	{ "{SSHA256}qtqMejIPPAZYzUX47mVaUiDSARnHyGd750Cx1MBsAdVzYWx0c2F"
	    "sdA==",
	    PW },
	{ "{SSHA256}/bF1Te4A6VYEh2D6SPB0oqlWNfqJVRX08F/4jVMoTooAAQIDBAU"
	    "GBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8wMTI"
	    "zNDU2Nzg5Ojs8PT4/",
	    PW },
	{ "{SSHA512}T3VtsphBh2JYzi6MaA/K5Z6uE2bTiynBjmQgaTCqM0mzz+CkeZ4"
	    "FhTNP1cyZYtqZtrJejSfmOmDDL+413RLnnAA=",
	    PW },
	{ "{SSHA512}Nba3v6CXeIpi9sOduvMdiYev9ew13XRVpzfctkSMELyY9Gw2KP6"
	    "5wLUfZu7L+7HBDfN1+ykKvBRV/obscmG1FXNhbHRzYWx0",
	    PW },
	{ "{SSHA512}vZKS56SLilKvasKol92CfNTFWcvbSRa294m5/uNzSkI10SRi94m"
	    "EVImXngLzAxFlmuLM21+zwO72YLkWjvmv3gABAgMEBQYHCAkKCwwNDg8QERI"
	    "TFBUWFxgZGhscHR4fICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8"
	    "=",
	    PW },
	{ "{CRYPT}$1$yBQQ2SMf$/98fZ.NN2E8I4KeTRMzzt/", PW },
	{ "{MD5-CRYPT}$1$yBQQ2SMf$/98fZ.NN2E8I4KeTRMzzt/", PW },
	{ "{CRYPT}$5$.m8g65KDjOY7D.B5$Gi9KjZhqPJs559Y04qrPOvC.RwblNS6z5"
	    "Nu0fmWKxc0",
	    PW },
	{ "{SHA256-CRYPT}$5$.m8g65KDjOY7D.B5$Gi9KjZhqPJs559Y04qrPOvC.Rw"
	    "blNS6z5Nu0fmWKxc0",
	    PW },
	{ "{CRYPT}$6$r4/dvLnsfOvQDhNx$ErxAkQ3OjctyokICsJKwrqaHcEwcXM7gn"
	    "PrM3kYdUPzohkOYF4XpuWWVhRxcgoxF84Z4hHI72aVK3JOzJm63i1",
	    PW },
	{ "{SHA512-CRYPT}$6$r4/dvLnsfOvQDhNx$ErxAkQ3OjctyokICsJKwrqaHcE"
	    "wcXM7gnPrM3kYdUPzohkOYF4XpuWWVhRxcgoxF84Z4hHI72aVK3JOzJm63i1",
	    PW },
	{ "$6$r4/dvLnsfOvQDhNx$ErxAkQ3OjctyokICsJKwrqaHcEwcXM7gnPrM3kYd"
	    "UPzohkOYF4XpuWWVhRxcgoxF84Z4hHI72aVK3JOzJm63i1",
	    PW },
	{ "$1$yBQQ2SMf$/98fZ.NN2E8I4KeTRMzzt/", PW },
	{ "$2y$05$x6J9kDt.aFeCONGZXBjMbeOdX2ytc5cjWg7VHvzpVKgmfsdSIYIea", PW },
	{ "hoxogQct20bU2", PW },
};

/*
 * crypt(3) formats Dovecot does not name, as CRYPT: yescrypt,
 * gost-yescrypt, scrypt, sha1crypt, SunMD5, bsdicrypt, descrypt, NT and
 * bcrypt $2b$/$2a$, made by libxcrypt's crypt_gensalt_rn + crypt_r with
 * cheap costs, and bcrypt $2x$ (Dovecot's $2y$ vector relabelled: the
 * same for an ASCII password).  Password PW.  A libxcrypt built without
 * some of these methods refuses them (VUDB_EINVAL).
 */
static const char *const legacy_crypt[] = {
	"{CRYPT}$y$j75$9.HJux7ldvkAMpbc5nS2q.$ttCmOhyLDsaTU8KgrqOFmfB"
	    "x48n3q4YFuRz4bBo2Eh/",
	"{CRYPT}$gy$j75$9.HJux7ldvkAMpbc5nS2q.$b9VJTsvr0b9LVod1swZGjw"
	    "X60NjAq4Ek0lGIXfgTquD",
	"{CRYPT}$7$BU..../....9.HJux7ldvkAMpbc5nS2q.$NCH6RJ5jz10zkKOh"
	    "5SGPuxCqVzFIBlj0v5u8Hr7o3R9",
	"{CRYPT}$sha1$3789$dHwbMBX159OT$DMjTJy.h7Lj1Tb8Ag.WPQZ6Cy7Fj",
	"{CRYPT}$md5,rounds=35632$Jdrb2bi1$$gUW7B0ZmI7FOzARDBwLXS0",
	"{CRYPT}_J9..9.HJ4qkypCsJvKk",
	"{CRYPT}9kWfa4r5uSx0g",
	"{CRYPT}$3$$24d9c99595080b241b3b4eb0cba8d8f4",
	"{CRYPT}$2b$04$Ax/Tcn9C4O2xUF0gv8uPLejlSjtaCWaO/QIsBrF.lhnKeo"
	    "joxzl.C",
	"{CRYPT}$2a$04$Ax/Tcn9C4O2xUF0gv8uPLejlSjtaCWaO/QIsBrF.lhnKeo"
	    "joxzl.C",
	"{CRYPT}$2x$05$x6J9kDt.aFeCONGZXBjMbeOdX2ytc5cjWg7VHvzpVKgmfs"
	    "dSIYIea",
};

/* Malformed or unknown hashes, checked with password PW. */
static const struct pw_status bad_hashes[] = {
	{ "{SHA512-CRYPT}", VUDB_EINVAL },
	{ "{SSHA}!!!", VUDB_EINVAL },
	{ "{ARGON2ID}$argon2id$garbage", VUDB_EINVAL },
	{ "{ARGON2ID}", VUDB_EINVAL },
	{ "{ARGON2I}$argon2id$v=19$m=65536,t=3,p=1$8aO73IQjF42sJSY0n0oa"
	    "5w$Mcb+gQsBmV8lZZIgEYDS6Mozyh4TRsiqqMdg9LkL72s",
	    VUDB_EINVAL },
	{ "{ARGON2ID}$argon2id$v=19$m=1,t=1,p=1$8aO73IQjF42sJSY0n0oa5w$"
	    "Mcb+gQsBmV8lZZIgEYDS6Mozyh4TRsiqqMdg9LkL72s",
	    VUDB_EINVAL },
	{ "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$8aO73IQjF42sJSY0n0o"
	    "a5w",
	    VUDB_EINVAL },
	{ "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$8aO73IQjF42sJSY0n0o"
	    "a5w$Mcb+gQsBmV8l!ZIgEYDS6Mozyh4TRsiqqMdg9LkL72s",
	    VUDB_EINVAL },
	{ "{FOO}x", VUDB_ENOTSUP },
	{ "{}x", VUDB_ENOTSUP },
	{ "{.HEX}00", VUDB_ENOTSUP },
	{ "{FOO.HEX}00", VUDB_ENOTSUP },
	{ "{SHA.XYZ}h0Vy56WuaklGamrFeLmK26eMaqY=", VUDB_ENOTSUP },
	{ "{SHA.}h0Vy56WuaklGamrFeLmK26eMaqY=", VUDB_ENOTSUP },
	{ "{CRAM-MD5}913331d8782236a8ecba7764a63aa27b26437fd40ca878d887"
	    "f11d81245c2c6b",
	    VUDB_ENOTSUP },
	{ "{SHA}h0Vy56WuaklGamrFeLmK26eMaq", VUDB_EINVAL },
	{ "{SHA}h0Vy56WuaklGamrFeLmK26eMaqY", VUDB_EINVAL },
	{ "{SHA}h0Vy56WuaklGamrFeLmK26eM", VUDB_EINVAL },
	{ "{SHA}", VUDB_EINVAL },
	{ "{SHA512}xyu2IccEDPS2R0BjqaeXJpDiUvNa2+fPr/Wx7iMW7+c4LnI9QeAT"
	    "or+8M8MAfFDFhH0hqInM6DhTbqxyeAjeQA=",
	    VUDB_EINVAL },
	{ "{SSHA}+ZtnLoMDhWocUp5dqROGqHdoSqHXSmk", VUDB_EINVAL },
	{ "{SSHA}h0Vy56WuaklGamrFeLmK26eMaqY=", VUDB_EINVAL },
	{ "{SSHA512}", VUDB_EINVAL },
	{ "{SSHA.HEX}ca1552ceff66506ee03cd3ca6a8b641c3193010ac1f3c4b",
	    VUDB_EINVAL },
	{ "{SHA256.HEX}48486e15", VUDB_EINVAL },
	{ "{SHA256.HEX}zz486e1514e842346ff405b1e45f44059ae82619f2306f99"
	    "d0940dcb386e91f7",
	    VUDB_EINVAL },
	{ "{PLAIN.B64}VHIwdWI0ZG9yJjM", VUDB_EINVAL },
	{ "{PLAIN.HEX}54723", VUDB_EINVAL },
	{ "{SHA512-CRYPT}$1$ZpccbVOa$0Er5iAsV6dcnJMb76Z9z6.", VUDB_EINVAL },
	{ "{BLF-CRYPT}$6$P3beist4Jyqc8Eos$6ltwKSRiylukj3W81v56YVVrejQlY"
	    "ADy/R4uz0CE0DJLobApx6OeVeE2N0bOKP.Svy6/JEIIokz42cxYTUkq41",
	    VUDB_EINVAL },
	{ "{MD5-CRYPT}$5$Sn8AHTWMCM2AOUvc$KD1le4VUh7UUCwiOHhUQullb5AVuU"
	    "BmHJaEg8Mb9Gf5",
	    VUDB_EINVAL },
	{ "{BLF-CRYPT}$2y$99$x6J9kDt.aFeCONGZXBjMbeOdX2ytc5cjWg7VHvzpVK"
	    "gmfsdSIYIea",
	    VUDB_EINVAL },
	{ "{BLF-CRYPT}$2y$05$x6J9k", VUDB_EINVAL },
	{ "{MD5-CRYPT}", VUDB_EINVAL },
	{ "{CRYPT}", VUDB_EINVAL },
	{ "{CRYPT}!", VUDB_EINVAL },
	{ "{CRYPT}*", VUDB_EINVAL },
	{ "", VUDB_EINVAL },
	{ "*", VUDB_EINVAL },
	{ "!!", VUDB_EINVAL },
	{ "{SHA512-CRYPT", VUDB_EINVAL },
	{ "$9$nosuchmethod", VUDB_EINVAL },
	{ "{SHA512-CRYPT.HEX}2436", VUDB_EINVAL },
	{ "{SHA512-CRYPT.HEX}24360024", VUDB_EINVAL },
	{ "{SHA512-CRYPT.HEX}xx", VUDB_EINVAL },
	{ "{ARGON2ID.B64}JGFyZ29uMmlkJA==", VUDB_EINVAL },
};

/* ------------------------------------------------------------ helpers */

/* cheap_params - parameters that keep a test fast */
static void
cheap_params(struct vudb__pwparams *pp)
{
	vudb__pwparams_default(pp);
	pp->argon2_memory = 1024;
	pp->argon2_time = 1;
	pp->blf_cost = 4;
	pp->sha_rounds = 1000;
}

/* long_password - a NUL-terminated run of len 'a's */
static char *
long_password(size_t len)
{
	char	*p;

	p = malloc(len + 1);
	ck_assert_ptr_nonnull(p);
	memset(p, 'a', len);
	p[len] = '\0';
	return (p);
}

/* unhex - decode a hex string made by the test itself */
static size_t
unhex(const char *hex, unsigned char *out)
{
	size_t	 i, n = strlen(hex) / 2;
	unsigned int v;

	for (i = 0; i < n; i++) {
		ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (unsigned char)v;
	}
	return (n);
}

/* all_in - 1 if the n bytes at s are all in set */
static int
all_in(const char *s, size_t n, const char *set)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (s[i] == '\0' || strchr(set, s[i]) == NULL)
			return (0);
	return (1);
}

static const char b64_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char crypt_chars[] =
    "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* cpu_seconds - CPU time used by this process */
static double
cpu_seconds(void)
{
	struct timespec	 ts;

	ck_assert_int_eq(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts), 0);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/* ---------------------------------------------------- pwparams_default */

START_TEST(test_pwparams_default_values)
{
	struct vudb__pwparams	 pp;

	memset(&pp, 0xff, sizeof(pp));
	vudb__pwparams_default(&pp);
	ck_assert_uint_eq(pp.argon2_memory, 65536);
	ck_assert_uint_eq(pp.argon2_time, 3);
	ck_assert_uint_eq(pp.argon2_threads, 1);
	ck_assert_uint_eq(pp.blf_cost, 5);
	ck_assert_uint_eq(pp.sha_rounds, 5000);
}
END_TEST

/* ----------------------------------------------------------- pw_verify */

START_TEST(test_pw_verify_dovecot_right)
{
	const struct pw_vector	*v = &dovecot_vectors[_i];

	ck_assert_msg(vudb__pw_verify(v->hash, v->password) == VUDB_OK,
	    "%s", v->hash);
}
END_TEST

START_TEST(test_pw_verify_dovecot_wrong)
{
	const struct pw_vector	*v = &dovecot_vectors[_i];
	char			 buf[64];

	/* The first byte changed, then one byte more. */
	if (v->password[0] == '\0')
		ck_assert_int_eq(vudb__pw_verify(v->hash, " "), VUDB_EAUTH);
	else {
		(void)snprintf(buf, sizeof(buf), "%s", v->password);
		buf[0] ^= 0x01;
		ck_assert_msg(vudb__pw_verify(v->hash, buf) == VUDB_EAUTH,
		    "%s", v->hash);
	}
	/*
	 * Traditional DES crypt reads only the first 8 bytes; Argon2 reads
	 * them all and is slow, so one wrong password is enough for it.
	 */
	if (strncmp(v->hash, "{DES-CRYPT}", 11) == 0 ||
	    strncmp(v->hash, "{ARGON2", 7) == 0)
		return;
	(void)snprintf(buf, sizeof(buf), "%sx", v->password);
	ck_assert_msg(vudb__pw_verify(v->hash, buf) == VUDB_EAUTH, "%s",
	    v->hash);
}
END_TEST

START_TEST(test_pw_verify_dovecot_overlong)
{
	const struct pw_vector	*v = &dovecot_vectors[_i];
	char			*p;

	/* Argon2 has no length limit: test_pw_hash_overlong_password. */
	if (strncmp(v->hash, "{ARGON2", 7) == 0)
		return;
	p = long_password(LONG_PW_LEN);
	ck_assert_msg(vudb__pw_verify(v->hash, p) == VUDB_EAUTH, "%s",
	    v->hash);
	free(p);
}
END_TEST

START_TEST(test_pw_verify_other_right)
{
	const struct pw_vector	*v = &other_vectors[_i];

	ck_assert_msg(vudb__pw_verify(v->hash, v->password) == VUDB_OK,
	    "%s", v->hash);
	ck_assert_msg(vudb__pw_verify(v->hash, "tr0ub4dor&3") == VUDB_EAUTH,
	    "%s", v->hash);
}
END_TEST

START_TEST(test_pw_verify_crypt_legacy)
{
	const char	*h = legacy_crypt[_i];
	int		 rc;

	rc = vudb__pw_verify(h, PW);
	ck_assert_msg(rc == VUDB_OK || rc == VUDB_EINVAL, "%s: %d", h, rc);
	if (rc == VUDB_OK)
		ck_assert_msg(vudb__pw_verify(h, "!" PW) == VUDB_EAUTH, "%s",
		    h);
	else
		ck_assert_int_eq(vudb__pw_verify(h, "!" PW), VUDB_EINVAL);
}
END_TEST

START_TEST(test_pw_verify_malformed)
{
	const struct pw_status	*b = &bad_hashes[_i];

	ck_assert_msg(vudb__pw_verify(b->hash, PW) == b->status,
	    "\"%s\": %d, want %d", b->hash, vudb__pw_verify(b->hash, PW),
	    b->status);
}
END_TEST

START_TEST(test_pw_verify_null)
{
	ck_assert_int_eq(vudb__pw_verify(NULL, PW), VUDB_EINVAL);
	ck_assert_int_eq(vudb__pw_verify("{PLAIN}" PW, NULL), VUDB_EINVAL);
	ck_assert_int_eq(vudb__pw_verify(NULL, NULL), VUDB_EINVAL);
}
END_TEST

START_TEST(test_pw_verify_scheme_case)
{
	static const char *const h[] = {
		"{sha512-crypt}$6$rounds=1000$OQBLdCsVOJEQw38D$vt/MTxb.BCw/"
		    "PWSDx12Gv2L2FR6F4YSgyMrktUzDNsvfzNKXdNusde58GuLbyt9tmt"
		    "SArRBZFjD3VYXBkuT.Y.",
		"{Blf-Crypt}$2y$04$FXYo4JNk.sEOx8akEpGQw.vPPe9M6tFRihEy9R5rz"
		    "LtR73sbyYXO.",
		"{ssha}YxlEtXMTLrtrIiUcxYcIZxzhS0ivr4RU",
		"{Ssha.b64}tk3YlV0E/5hDYdajtowc6DJVLmOMWj7S",
		"{SSHA.base64}tk3YlV0E/5hDYdajtowc6DJVLmOMWj7S",
		"{sha.hex}874572E7A5AE6A49466A6AC578B98ADBA78C6AA6",
		"{plain.B64}VHIwdWI0ZG9yJjM=",
		"{clear}" PW
	};
	size_t	 i;

	for (i = 0; i < sizeof(h) / sizeof(h[0]); i++) {
		ck_assert_msg(vudb__pw_verify(h[i], PW) == VUDB_OK, "%s",
		    h[i]);
		ck_assert_msg(vudb__pw_verify(h[i], "x") == VUDB_EAUTH, "%s",
		    h[i]);
	}
}
END_TEST

START_TEST(test_pw_verify_digest_hex_guess)
{
	/* As Dovecot: a {SHA*} value twice the digest size is hex. */
	ck_assert_int_eq(vudb__pw_verify(
	    "{SHA256}48486e1514e842346ff405b1e45f44059ae82619f2306f99d0940dcb"
	    "386e91f7", PW), VUDB_OK);
	ck_assert_int_eq(vudb__pw_verify(
	    "{SHA}874572e7a5ae6a49466a6ac578b98adba78c6aa6", PW), VUDB_OK);
	ck_assert_int_eq(vudb__pw_verify(
	    "{SHA}874572e7a5ae6a49466a6ac578b98adba78c6aa7", PW),
	    VUDB_EAUTH);
}
END_TEST

START_TEST(test_pw_verify_overlong_right)
{
	char	*p = long_password(LONG_PW_LEN), *h;

	h = malloc(LONG_PW_LEN + 8);
	ck_assert_ptr_nonnull(h);
	memcpy(h, "{PLAIN}", 7);
	memcpy(h + 7, p, LONG_PW_LEN + 1);
	ck_assert_int_eq(vudb__pw_verify(h, p), VUDB_OK);
	p[LONG_PW_LEN - 1] = 'b';
	ck_assert_int_eq(vudb__pw_verify(h, p), VUDB_EAUTH);
	free(h);
	free(p);
}
END_TEST

/* ------------------------------------------------------------- pw_hash */

/* The three schemes that make new hashes, with cheap parameters. */
static const char *const new_schemes[] = {
	"ARGON2ID", "BLF-CRYPT", "SHA512-CRYPT"
};
#define NEW_SCHEMES	(sizeof(new_schemes) / sizeof(new_schemes[0]))

START_TEST(test_pw_hash_roundtrip)
{
	struct vudb__pwparams	 pp;
	char			*h;

	cheap_params(&pp);
	ck_assert_int_eq(vudb__pw_hash(&pp, new_schemes[_i], PW, &h),
	    VUDB_OK);
	ck_assert_int_eq(vudb__pw_verify(h, PW), VUDB_OK);
	ck_assert_int_eq(vudb__pw_verify(h, PW "x"), VUDB_EAUTH);
	ck_assert_int_eq(vudb__pw_verify(h, "Tr0ub4dor&"), VUDB_EAUTH);
	ck_assert_int_eq(vudb__pw_verify(h, ""), VUDB_EAUTH);
	vudb__free_secret(h);
}
END_TEST

/* Stored forms: prefix, then salt and hash of fixed lengths. */
static const struct {
	const char	*scheme;
	unsigned int	 sha_rounds;
	const char	*prefix;
	size_t		 salt, hash;
	const char	*chars;
} hash_formats[] = {
	{ "ARGON2ID", 1000, "{ARGON2ID}$argon2id$v=19$m=1024,t=1,p=1$",
	    22, 43, b64_chars },
	{ "BLF-CRYPT", 1000, "{BLF-CRYPT}$2y$04$", 22, 31, crypt_chars },
	{ "SHA512-CRYPT", 1000, "{SHA512-CRYPT}$6$rounds=1000$", 16, 86,
	    crypt_chars },
	{ "SHA512-CRYPT", 5000, "{SHA512-CRYPT}$6$", 16, 86, crypt_chars },
	{ "SHA512-CRYPT", 20000, "{SHA512-CRYPT}$6$rounds=20000$", 16, 86,
	    crypt_chars }
};

START_TEST(test_pw_hash_format)
{
	struct vudb__pwparams	 pp;
	const char		*rest;
	char			*h;
	size_t			 plen, sep;

	cheap_params(&pp);
	pp.sha_rounds = hash_formats[_i].sha_rounds;
	ck_assert_int_eq(vudb__pw_hash(&pp, hash_formats[_i].scheme, PW, &h),
	    VUDB_OK);
	plen = strlen(hash_formats[_i].prefix);
	ck_assert_msg(strncmp(h, hash_formats[_i].prefix, plen) == 0, "%s", h);
	rest = h + plen;
	/* bcrypt has no separator between salt and hash. */
	sep = strcmp(hash_formats[_i].scheme, "BLF-CRYPT") != 0;
	ck_assert_uint_eq(strlen(rest),
	    hash_formats[_i].salt + sep + hash_formats[_i].hash);
	ck_assert(all_in(rest, hash_formats[_i].salt, hash_formats[_i].chars));
	if (sep)
		ck_assert_int_eq(rest[hash_formats[_i].salt], '$');
	ck_assert(all_in(rest + hash_formats[_i].salt + sep,
	    hash_formats[_i].hash, hash_formats[_i].chars));
	vudb__free_secret(h);
}
END_TEST

START_TEST(test_pw_hash_salt_unique)
{
	struct vudb__pwparams	 pp;
	char			*a, *b;

	cheap_params(&pp);
	ck_assert_int_eq(vudb__pw_hash(&pp, new_schemes[_i], PW, &a), VUDB_OK);
	ck_assert_int_eq(vudb__pw_hash(&pp, new_schemes[_i], PW, &b), VUDB_OK);
	ck_assert_str_ne(a, b);
	vudb__free_secret(a);
	vudb__free_secret(b);
}
END_TEST

START_TEST(test_pw_hash_scheme_case)
{
	static const struct {
		const char	*in, *out;
	} c[] = {
		{ "argon2id", "{ARGON2ID}$argon2id$" },
		{ "Blf-Crypt", "{BLF-CRYPT}$2y$" },
		{ "sha512-CRYPT", "{SHA512-CRYPT}$6$" }
	};
	struct vudb__pwparams	 pp;
	char			*h;
	size_t			 i;

	cheap_params(&pp);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		ck_assert_int_eq(vudb__pw_hash(&pp, c[i].in, PW, &h), VUDB_OK);
		ck_assert_msg(strncmp(h, c[i].out, strlen(c[i].out)) == 0,
		    "%s", h);
		ck_assert_int_eq(vudb__pw_verify(h, PW), VUDB_OK);
		vudb__free_secret(h);
	}
}
END_TEST

static const char *const verify_only_schemes[] = {
	"ARGON2I", "SHA256-CRYPT", "MD5-CRYPT", "MD5", "CRYPT", "DES-CRYPT",
	"SSHA", "SSHA256", "SSHA512", "SHA", "SHA256", "SHA512", "PLAIN",
	"CLEAR", "FOO", "", "{ARGON2ID}", "ARGON2ID.HEX", " ARGON2ID",
	"ARGON2ID ", "ARGON2"
};

START_TEST(test_pw_hash_unsupported)
{
	struct vudb__pwparams	 pp;
	char			*h = (char *)"sentinel";

	cheap_params(&pp);
	ck_assert_int_eq(vudb__pw_hash(&pp, verify_only_schemes[_i], PW, &h),
	    VUDB_ENOTSUP);
	ck_assert_ptr_null(h);
}
END_TEST

START_TEST(test_pw_hash_null)
{
	struct vudb__pwparams	 pp;
	char			*h = (char *)"sentinel";

	cheap_params(&pp);
	ck_assert_int_eq(vudb__pw_hash(&pp, "ARGON2ID", NULL, &h),
	    VUDB_EINVAL);
	ck_assert_ptr_null(h);
	h = (char *)"sentinel";
	ck_assert_int_eq(vudb__pw_hash(&pp, NULL, PW, &h), VUDB_EINVAL);
	ck_assert_ptr_null(h);
	ck_assert_int_eq(vudb__pw_hash(&pp, "ARGON2ID", PW, NULL),
	    VUDB_EINVAL);
}
END_TEST

START_TEST(test_pw_hash_empty_password)
{
	struct vudb__pwparams	 pp;
	char			*h;

	cheap_params(&pp);
	ck_assert_int_eq(vudb__pw_hash(&pp, new_schemes[_i], "", &h), VUDB_OK);
	ck_assert_int_eq(vudb__pw_verify(h, ""), VUDB_OK);
	ck_assert_int_eq(vudb__pw_verify(h, " "), VUDB_EAUTH);
	vudb__free_secret(h);
}
END_TEST

/* Parameters out of range: each row changes one field of cheap_params. */
enum { P_MEMORY, P_TIME, P_THREADS, P_BLF, P_ROUNDS };
static const struct {
	const char	*scheme;
	int		 field;
	unsigned int	 value;
} bad_params[] = {
	{ "BLF-CRYPT", P_BLF, 3 },
	{ "BLF-CRYPT", P_BLF, 32 },
	{ "SHA512-CRYPT", P_ROUNDS, 999 },
	{ "SHA512-CRYPT", P_ROUNDS, 1000000000 },
	{ "ARGON2ID", P_MEMORY, 4 },
	{ "ARGON2ID", P_TIME, 0 },
	{ "ARGON2ID", P_THREADS, 0 },
	{ "ARGON2ID", P_THREADS, 200 }		/* under 8 KiB a lane */
};

START_TEST(test_pw_hash_bad_params)
{
	struct vudb__pwparams	 pp;
	char			*h = (char *)"sentinel";
	unsigned int		*f[] = {
		&pp.argon2_memory, &pp.argon2_time, &pp.argon2_threads,
		&pp.blf_cost, &pp.sha_rounds
	};

	cheap_params(&pp);
	*f[bad_params[_i].field] = bad_params[_i].value;
	ck_assert_int_eq(vudb__pw_hash(&pp, bad_params[_i].scheme, PW, &h),
	    VUDB_EINVAL);
	ck_assert_ptr_null(h);
}
END_TEST

START_TEST(test_pw_hash_overlong_password)
{
	struct vudb__pwparams	 pp;
	char			*p = long_password(LONG_PW_LEN), *h;

	cheap_params(&pp);
	/* Argon2 takes any length. */
	ck_assert_int_eq(vudb__pw_hash(&pp, "ARGON2ID", p, &h), VUDB_OK);
	ck_assert_int_eq(vudb__pw_verify(h, p), VUDB_OK);
	p[LONG_PW_LEN - 1] = '\0';
	ck_assert_int_eq(vudb__pw_verify(h, p), VUDB_EAUTH);
	vudb__free_secret(h);
	p[LONG_PW_LEN - 1] = 'a';
	/* crypt(3) takes at most 511 bytes. */
	h = (char *)"sentinel";
	ck_assert_int_eq(vudb__pw_hash(&pp, "BLF-CRYPT", p, &h), VUDB_EINVAL);
	ck_assert_ptr_null(h);
	h = (char *)"sentinel";
	ck_assert_int_eq(vudb__pw_hash(&pp, "SHA512-CRYPT", p, &h),
	    VUDB_EINVAL);
	ck_assert_ptr_null(h);
	free(p);
}
END_TEST

START_TEST(test_pw_hash_crypt_max_length)
{
	struct vudb__pwparams	 pp;
	char			*p = long_password(512), *h;

	cheap_params(&pp);
	ck_assert_int_eq(vudb__pw_hash(&pp, "SHA512-CRYPT", p, &h),
	    VUDB_EINVAL);
	p[511] = '\0';
	ck_assert_int_eq(vudb__pw_hash(&pp, "SHA512-CRYPT", p, &h), VUDB_OK);
	ck_assert_int_eq(vudb__pw_verify(h, p), VUDB_OK);
	p[510] = 'b';
	ck_assert_int_eq(vudb__pw_verify(h, p), VUDB_EAUTH);
	p[510] = 'a';
	p[511] = 'a';
	ck_assert_int_eq(vudb__pw_verify(h, p), VUDB_EAUTH);
	vudb__free_secret(h);
	free(p);
}
END_TEST

START_TEST(test_pw_hash_default_params)
{
	static const char *const want[] = {
		"{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$",
		"{BLF-CRYPT}$2y$05$",
		"{SHA512-CRYPT}$6$"
	};
	char	*h;

	ck_assert_int_eq(vudb__pw_hash(NULL, new_schemes[_i], PW, &h),
	    VUDB_OK);
	ck_assert_msg(strncmp(h, want[_i], strlen(want[_i])) == 0, "%s", h);
	if (strcmp(new_schemes[_i], "SHA512-CRYPT") == 0)
		ck_assert_ptr_null(strstr(h, "rounds="));
	ck_assert_int_eq(vudb__pw_verify(h, PW), VUDB_OK);
	vudb__free_secret(h);
}
END_TEST

START_TEST(test_pw_hash_argon2_threads)
{
	struct vudb__pwparams	 pp;
	char			*h;

	cheap_params(&pp);
	pp.argon2_threads = 2;
	pp.argon2_time = 2;
	ck_assert_int_eq(vudb__pw_hash(&pp, "ARGON2ID", PW, &h), VUDB_OK);
	ck_assert_ptr_nonnull(strstr(h, "$m=1024,t=2,p=2$"));
	ck_assert_int_eq(vudb__pw_verify(h, PW), VUDB_OK);
	vudb__free_secret(h);
}
END_TEST

/* ------------------------------------------------------------ pw_dummy */

static const char *const dummy_schemes[] = {
	"ARGON2ID", "argon2id", "BLF-CRYPT", "SHA512-CRYPT", "sha512-crypt",
	"SSHA", "FOO", "", NULL
};

START_TEST(test_pw_dummy_schemes)
{
	struct vudb__pwparams	 pp;

	cheap_params(&pp);
	vudb__pw_dummy(&pp, dummy_schemes[_i], PW);
	vudb__pw_dummy(&pp, dummy_schemes[_i], "");
	pp.sha_rounds = 5000;
	vudb__pw_dummy(&pp, dummy_schemes[_i], PW);
}
END_TEST

START_TEST(test_pw_dummy_null_args)
{
	/* Default parameters: one full-cost Argon2 run. */
	vudb__pw_dummy(NULL, NULL, NULL);
}
END_TEST

START_TEST(test_pw_dummy_odd_input)
{
	struct vudb__pwparams	 pp;
	char			*p = long_password(LONG_PW_LEN);
	size_t			 i;

	cheap_params(&pp);
	for (i = 0; i < NEW_SCHEMES; i++)
		vudb__pw_dummy(&pp, new_schemes[i], p);
	pp.blf_cost = 99;
	pp.sha_rounds = 1;
	pp.argon2_memory = 1;
	for (i = 0; i < NEW_SCHEMES; i++)
		vudb__pw_dummy(&pp, new_schemes[i], PW);
	free(p);
}
END_TEST

/*
 * The dummy check costs what verifying a wrong password costs: CPU time
 * of the cheaper of three runs each, within a factor of two.
 */
START_TEST(test_pw_dummy_cost)
{
	struct vudb__pwparams	 pp;
	double			 t, tv = 1e9, td = 1e9;
	char			*h;
	int			 i;

	cheap_params(&pp);
	pp.argon2_memory = 8192;
	pp.blf_cost = 7;
	pp.sha_rounds = 40000;
	ck_assert_int_eq(vudb__pw_hash(&pp, new_schemes[_i], PW, &h), VUDB_OK);
	for (i = 0; i < 3; i++) {
		t = cpu_seconds();
		ck_assert_int_eq(vudb__pw_verify(h, "wrong"), VUDB_EAUTH);
		t = cpu_seconds() - t;
		if (t < tv)
			tv = t;
		t = cpu_seconds();
		vudb__pw_dummy(&pp, new_schemes[_i], "wrong");
		t = cpu_seconds() - t;
		if (t < td)
			td = t;
	}
	ck_assert_msg(td > tv / 2 && td < tv * 2, "%s: verify %.4fs, dummy "
	    "%.4fs", new_schemes[_i], tv, td);
	vudb__free_secret(h);
}
END_TEST

/* ---------------------------------------------------- pw_scheme_valid */

static const struct {
	const char	*scheme;
	int		 valid;
} scheme_valid[] = {
	{ "ARGON2ID", 1 }, { "argon2id", 1 }, { "Argon2Id", 1 },
	{ "BLF-CRYPT", 1 }, { "blf-crypt", 1 }, { "SHA512-CRYPT", 1 },
	{ "sha512-crypt", 1 }, { "ARGON2I", 0 }, { "SHA256-CRYPT", 0 },
	{ "MD5-CRYPT", 0 }, { "CRYPT", 0 }, { "SSHA512", 0 }, { "SHA512", 0 },
	{ "PLAIN", 0 }, { "", 0 }, { "{ARGON2ID}", 0 }, { "ARGON2ID ", 0 },
	{ "ARGON2ID.HEX", 0 }, { "BLF", 0 }, { "SHA512-CRYPTX", 0 }
};

START_TEST(test_pw_scheme_valid_table)
{
	ck_assert_msg(vudb__pw_scheme_valid(scheme_valid[_i].scheme) ==
	    scheme_valid[_i].valid, "%s", scheme_valid[_i].scheme);
}
END_TEST

START_TEST(test_pw_scheme_valid_null)
{
	ck_assert_int_eq(vudb__pw_scheme_valid(NULL), 0);
}
END_TEST

/* ------------------------------------------------------------ ct_equal */

static const struct {
	const char	*a, *b;
	size_t		 n;
	int		 equal;
} ct_cases[] = {
	{ "", "", 0, 1 },
	{ "a", "b", 0, 1 },
	{ "a", "a", 1, 1 },
	{ "a", "b", 1, 0 },
	{ "abcdef", "abcdef", 6, 1 },
	{ "abcdef", "abcdeg", 6, 0 },
	{ "abcdef", "bbcdef", 6, 0 },
	{ "abcdef", "abcdeX", 5, 1 },
	{ "\x80\xff", "\x80\xff", 2, 1 },
	{ "\x80\xff", "\x00\xff", 2, 0 },
	{ "\x01", "\x00", 1, 0 }
};

START_TEST(test_ct_equal_table)
{
	ck_assert_int_eq(vudb__ct_equal(ct_cases[_i].a, ct_cases[_i].b,
	    ct_cases[_i].n), ct_cases[_i].equal);
}
END_TEST

START_TEST(test_ct_equal_every_bit)
{
	unsigned char	 a[64], b[64];
	size_t		 i;
	int		 bit;

	for (i = 0; i < sizeof(a); i++)
		a[i] = (unsigned char)(i * 7 + 3);
	memcpy(b, a, sizeof(b));
	ck_assert_int_eq(vudb__ct_equal(a, b, sizeof(a)), 1);
	for (i = 0; i < sizeof(a); i++)
		for (bit = 0; bit < 8; bit++) {
			b[i] ^= 1 << bit;
			ck_assert_int_eq(vudb__ct_equal(a, b, sizeof(a)), 0);
			b[i] ^= 1 << bit;
		}
}
END_TEST

/* --------------------------------------------------- wipe, free_secret */

START_TEST(test_wipe_zeroes)
{
	unsigned char	 buf[33];
	size_t		 i;

	memset(buf, 0xa5, sizeof(buf));
	vudb__wipe(buf, 32);
	for (i = 0; i < 32; i++)
		ck_assert_int_eq(buf[i], 0);
	ck_assert_int_eq(buf[32], 0xa5);
	vudb__wipe(NULL, 0);
	vudb__wipe(buf, 0);
}
END_TEST

START_TEST(test_free_secret_null)
{
	vudb__free_secret(NULL);
}
END_TEST

START_TEST(test_free_secret_string)
{
	char	*s;

	s = strdup("{PLAIN}" PW);
	ck_assert_ptr_nonnull(s);
	vudb__free_secret(s);
	s = strdup("");
	ck_assert_ptr_nonnull(s);
	vudb__free_secret(s);
}
END_TEST

/* ----------------------------------------------------------------- sha */

/*
 * The {SHA*} and {SSHA*} schemes against the digests of FIPS 180-4's
 * examples: the digest of a message is the unsalted hash of that message
 * as a password, and the salted hash of every split of it into password
 * and salt.
 */
enum { ALG_SHA1, ALG_SHA256, ALG_SHA512 };
static const char *const alg_plain[] = { "SHA", "SHA256", "SHA512" };
static const char *const alg_salted[] = { "SSHA", "SSHA256", "SSHA512" };

/* hexcat - append the hex form of n bytes at p to the string s */
static void
hexcat(char *s, const void *p, size_t n)
{
	const unsigned char	*b = p;
	size_t			 i, len = strlen(s);

	for (i = 0; i < n; i++)
		len += (size_t)sprintf(s + len, "%02x", b[i]);
}

/*
 * sha_check - verify msg (its first plen bytes the password, the rest
 * the salt) against {SCHEME.HEX} and {SCHEME} (base64) forms of the
 * known digest want, and a wrong password against them.
 */
static void
sha_check(int alg, const unsigned char *msg, size_t len, size_t plen,
    const unsigned char *want, size_t dlen)
{
	const char	*scheme;
	unsigned char	*raw;
	char		*pw, *h;
	size_t		 rawlen = dlen + len - plen, n;

	scheme = plen == len ? alg_plain[alg] : alg_salted[alg];
	pw = malloc(plen + 2);
	raw = malloc(rawlen);
	h = malloc(2 * rawlen + 32);
	ck_assert(pw != NULL && raw != NULL && h != NULL);
	memcpy(pw, msg, plen);
	pw[plen] = '\0';
	memcpy(raw, want, dlen);
	memcpy(raw + dlen, msg + plen, len - plen);

	(void)snprintf(h, 32, "{%s.HEX}", scheme);
	hexcat(h, raw, rawlen);
	ck_assert_msg(vudb__pw_verify(h, pw) == VUDB_OK, "%s", h);
	n = (size_t)snprintf(h, 32, "{%s}", scheme);
	base64_encode_raw(h + n, rawlen, raw);
	h[n + BASE64_ENCODE_RAW_LENGTH(rawlen)] = '\0';
	ck_assert_msg(vudb__pw_verify(h, pw) == VUDB_OK, "%s", h);
	pw[plen] = 'x';
	pw[plen + 1] = '\0';
	ck_assert_msg(vudb__pw_verify(h, pw) == VUDB_EAUTH, "%s", h);
	free(h);
	free(raw);
	free(pw);
}

/* FIPS 180-4 examples (NIST CSRC "Example Values"). */
static const struct {
	int		 alg;
	const char	*msg;
	const char	*hex;
} sha_fips[] = {
	{ ALG_SHA1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d" },
	{ ALG_SHA1, "", "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
	{ ALG_SHA1,
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
	{ ALG_SHA256, "abc",
	    "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad" },
	{ ALG_SHA256, "",
	    "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855" },
	{ ALG_SHA256,
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    "248d6a61d20638b8e5c026930c3e6039"
	    "a33ce45964ff2167f6ecedd419db06c1" },
	{ ALG_SHA512, "abc",
	    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	    "2192992a274fc1a836ba3c23a3feebbd"
	    "454d4423643ce80e2a9ac94fa54ca49f" },
	{ ALG_SHA512, "",
	    "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
	    "47d0d13c5d85f2b0ff8318d2877eec2f"
	    "63b931bd47417a81a538327af927da3e" },
	{ ALG_SHA512,
	    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
	    "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
	    "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
	    "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909" }
};

START_TEST(test_sha_fips)
{
	const unsigned char	*msg = (const unsigned char *)sha_fips[_i].msg;
	unsigned char		 want[64];
	size_t			 i, n, len = strlen(sha_fips[_i].msg);

	n = unhex(sha_fips[_i].hex, want);
	for (i = 0; i <= len; i++)
		sha_check(sha_fips[_i].alg, msg, len, i, want, n);
}
END_TEST

/* FIPS 180-4 long example: one million 'a'. */
static const struct {
	int		 alg;
	const char	*hex;
} sha_million[] = {
	{ ALG_SHA1, "34aa973cd4c4daa4f61eeb2bdbad27316534016f" },
	{ ALG_SHA256,
	    "cdc76e5c9914fb9281a1c7e284d73e67"
	    "f1809a48a497200e046d39ccc7112cd0" },
	{ ALG_SHA512,
	    "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
	    "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b" }
};

START_TEST(test_sha_million_a)
{
	char		*msg = long_password(1000000);
	unsigned char	 want[64];
	size_t		 n;

	n = unhex(sha_million[_i].hex, want);
	sha_check(sha_million[_i].alg, (unsigned char *)msg, 1000000,
	    1000000, want, n);
	sha_check(sha_million[_i].alg, (unsigned char *)msg, 1000000,
	    999997, want, n);
	free(msg);
}
END_TEST

/*
 * Padding boundaries; message byte i is i mod 256 (Python hashlib).  The
 * first byte is NUL, which no password holds: the whole message is the
 * salt of the empty password.
 */
static const struct {
	int		 alg;
	size_t		 len;
	const char	*hex;
} sha_bound[] = {
	{ ALG_SHA1,
	    55,
	    "8ae2d46729cfe68ff927af5eec9c7d1b66d65ac2" },
	{ ALG_SHA256,
	    55,
	    "463eb28e72f82e0a96c0a4cc53690c57"
	    "1281131f672aa229e0d45ae59b598b59" },
	{ ALG_SHA512,
	    55,
	    "6856647f269c2ee3d8128f0b25427659d880641ef343300dd3cd4679168f58d6"
	    "527fda70b4ebc854e2065e172b7d58c1"
	    "536992c0810599259ba84a2b40c65414" },
	{ ALG_SHA1,
	    56,
	    "636e2ec698dac903498e648bd2f3af641d3c88cb" },
	{ ALG_SHA256,
	    56,
	    "da2ae4d6b36748f2a318f23e7ab1dfdf"
	    "45acdc9d049bd80e59de82a60895f562" },
	{ ALG_SHA512,
	    56,
	    "8b12b2f6fe400a51d29656e2b8c42a1bbfe6fcf3e425da430db05d1a2dda1479"
	    "0dee20fa8b22d8762afffe4988a5c98a"
	    "4430d22a17e41e23d90fa61ab75671a9" },
	{ ALG_SHA1,
	    63,
	    "6d942da0c4392b123528f2905c713a3ce28364bd" },
	{ ALG_SHA256,
	    63,
	    "29af2686fd53374a36b0846694cc3421"
	    "77e428d1647515f078784d69cdb9e488" },
	{ ALG_SHA512,
	    63,
	    "9dc9c5598e55dc42955695320839788e353f1d7f6ba74df74c80a8a52f463c06"
	    "97f57f68835d1418f4ce9b6530cd79bd"
	    "0f4c6f7e13c93feb1218c0b65c2c0561" },
	{ ALG_SHA1,
	    64,
	    "c6138d514ffa2135bfce0ed0b8fac65669917ec7" },
	{ ALG_SHA256,
	    64,
	    "fdeab9acf3710362bd2658cdc9a29e8f"
	    "9c757fcf9811603a8c447cd1d9151108" },
	{ ALG_SHA512,
	    64,
	    "ee4320ebaf3fdb4f2c832b137200c08e235e0fa7bbd0eb1740c7063ba8a0d151"
	    "da77e003398e1714a955d475b05e3e95"
	    "0b639503b452ec185de4229bc4873949" },
	{ ALG_SHA1,
	    65,
	    "69bd728ad6e13cd76ff19751fde427b00e395746" },
	{ ALG_SHA256,
	    65,
	    "4bfd2c8b6f1eec7a2afeb48b934ee4b2"
	    "694182027e6d0fc075074f2fabb31781" },
	{ ALG_SHA512,
	    65,
	    "02856cef735f9acec6b9e33f0fbc8f9804d2aa54187f382b8ae842e5d3696c07"
	    "459aad2a5aed25ea5e117eb1c7ba35da"
	    "6a7a8adce9e6afe3ad79e9fa42d5bba8" },
	{ ALG_SHA1,
	    111,
	    "bc544e24573d592290fdaff8ecf3f7f2b00cd483" },
	{ ALG_SHA256,
	    111,
	    "60780e9451bdc43cf4530ffc95cbb0c4"
	    "eb24dae2c39f55f334d679e076c08065" },
	{ ALG_SHA512,
	    111,
	    "a1a111449b198d9b1f538bad7f3fc1022b3a5b1a5e90a0bc860de8512746cbc3"
	    "1599e6c834de3a3235327af0b51ff57b"
	    "f7acf1974a73014d9c3953812edc7c8d" },
	{ ALG_SHA1,
	    112,
	    "e4ce142d09a84a8645338dd6535cbfaaf800d320" },
	{ ALG_SHA256,
	    112,
	    "09373f127d34e61dbbaa8bc4499c8707"
	    "4f2ddb10e1b465f506d7d70a15011979" },
	{ ALG_SHA512,
	    112,
	    "c5fbd731d19d2ae1180f001be72c2c1aaba1d7b094b3748880e24593b8e117a7"
	    "50e11c1bd867cc2f96dace8c8b74abd2"
	    "d5c4f236be444e77d30d1916174070b9" },
	{ ALG_SHA1,
	    119,
	    "41c89d06001bab4ab78736b44efe7ce18ce6ae08" },
	{ ALG_SHA256,
	    119,
	    "da18797ed7c3a777f0847f429724a2d8"
	    "cd5138e6ed2895c3fa1a6d39d18f7ec6" },
	{ ALG_SHA512,
	    119,
	    "43e497279c2ce805903a33b54b746ea92d607f7c4807986c849823b81097a909"
	    "9b5896ac7cc66df3a93edc8a91b6f397"
	    "1d6c7f5688daf635737760bd080e27b3" },
	{ ALG_SHA1,
	    120,
	    "d3dbd653bd8597b7475321b60a36891278e6a04a" },
	{ ALG_SHA256,
	    120,
	    "f52b23db1fbb6ded89ef42a23ce0c892"
	    "2c45f25c50b568a93bf1c075420bbb7c" },
	{ ALG_SHA512,
	    120,
	    "9636708964c5ff6600510319e07bf3fcfcb1f4058fec278efb677964ba1e140c"
	    "1632505452f802e99bcf09da3d456dc3"
	    "868d149a0788a730e49d239ce7415145" },
	{ ALG_SHA1,
	    127,
	    "89d7312a903f65cd2b3e34a975e55dbea9033353" },
	{ ALG_SHA256,
	    127,
	    "92ca0fa6651ee2f97b884b7246a562fa"
	    "71250fedefe5ebf270d31c546bfea976" },
	{ ALG_SHA512,
	    127,
	    "eab89674feaa34e27aebeeff3c0a4d70070bb872d5e9f186cf1dbbdee517b6e3"
	    "5724d629ff025a5b07185e911ada7e3c"
	    "8acf830aa0e4f71777bd2d44f504f7f0" },
	{ ALG_SHA1,
	    128,
	    "e6434bc401f98603d7eda504790c98c67385d535" },
	{ ALG_SHA256,
	    128,
	    "471fb943aa23c511f6f72f8d1652d9c8"
	    "80cfa392ad80503120547703e56a2be5" },
	{ ALG_SHA512,
	    128,
	    "1dffd5e3adb71d45d2245939665521ae001a317a03720a45732ba1900ca3b835"
	    "1fc5c9b4ca513eba6f80bc7b1d1fdad4"
	    "abd13491cb824d61b08d8c0e1561b3f7" },
	{ ALG_SHA1,
	    129,
	    "3352e41cc30b40ae80108970492b21014049e625" },
	{ ALG_SHA256,
	    129,
	    "5099c6a56203f9687f7d33f4bfdf576d"
	    "31dc91f6b695ecea38b2770c87631135" },
	{ ALG_SHA512,
	    129,
	    "1d9da57fbbdab09afb3506ab2d223d06109d65c1c8ad197f50138f714bc4c3f2"
	    "fe5787922639c680acad1c651f955990"
	    "425954ce2cba0c5cc83f2667d878eb0f" },
	{ ALG_SHA1,
	    255,
	    "fa2c27c443e60a0bcd8a1eb82d20fec20759c03e" },
	{ ALG_SHA256,
	    255,
	    "3f8591112c6bbe5c963965954e293108"
	    "b7208ed2af893e500d859368c654eabe" },
	{ ALG_SHA512,
	    255,
	    "15025c9d135861ff5a549df0bfd6c398fd126613496d4e97627651e68b7b1f80"
	    "407f187d7978464f0f78bfeea787600f"
	    "aaebbe991eddb60671cd0ce874f0a744" },
	{ ALG_SHA1,
	    256,
	    "4916d6bdb7f78e6803698cab32d1586ea457dfc8" },
	{ ALG_SHA256,
	    256,
	    "40aff2e9d2d8922e47afd4648e696749"
	    "7158785fbd1da870e7110266bf944880" },
	{ ALG_SHA512,
	    256,
	    "1e7b80bc8edc552c8feeb2780e111477e5bc70465fac1a77b29b35980c3f0ce4"
	    "a036a6c9462036824bd56801e62af7e9"
	    "feba5c22ed8a5af877bf7de117dcac6d" },
};

START_TEST(test_sha_boundaries)
{
	unsigned char	 msg[256], want[64];
	size_t		 i, n;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)i;
	n = unhex(sha_bound[_i].hex, want);
	sha_check(sha_bound[_i].alg, msg, sha_bound[_i].len, 0, want, n);
}
END_TEST

/* -------------------------------------------------------------- base64 */

/* RFC 4648 section 10. */
static const struct {
	const char	*raw, *enc;
} b64_rfc[] = {
	{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" }
};

START_TEST(test_b64_rfc4648)
{
	unsigned char	 dec[16];
	size_t		 n;

	ck_assert_int_eq(vudb__b64_decode(b64_rfc[_i].enc,
	    strlen(b64_rfc[_i].enc), dec, sizeof(dec), &n), 0);
	ck_assert_uint_eq(n, strlen(b64_rfc[_i].raw));
	ck_assert_mem_eq(dec, b64_rfc[_i].raw, n);
}
END_TEST

/* What a conforming encoder (nettle's) writes decodes back. */
START_TEST(test_b64_all_bytes)
{
	unsigned char	 raw[256], dec[256];
	char		 enc[BASE64_ENCODE_RAW_LENGTH(sizeof(raw))];
	size_t		 i, len, n;

	for (i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(255 - i);
	for (len = 0; len <= sizeof(raw); len++) {
		base64_encode_raw(enc, len, raw);
		n = BASE64_ENCODE_RAW_LENGTH(len);
		ck_assert_int_eq(vudb__b64_decode(enc, n, dec, len, &n), 0);
		ck_assert_uint_eq(n, len);
		ck_assert_mem_eq(dec, raw, len);
	}
}
END_TEST

static const char *const b64_bad[] = {
	"Z", "Zg", "Zg=", "Zm9vY", "Z===", "====", "=Zg=", "Zg=A", "Zg==Zg==",
	"Zh==", "Zm9=", "Zm!v", "Zm9v\n", " Zm9", "Zm-v", "Zm_v", "Zm9v====",
	/* what nettle alone would take: white space, all-zero over-padding */
	"A===", "Zm9\tZm9v", "Zm9v\r\nZg==", "Zm\f9v", "Zm9vYmFy\v\v\v\v"
};

START_TEST(test_b64_decode_bad)
{
	unsigned char	 dec[16];
	size_t		 n = 99;

	ck_assert_msg(vudb__b64_decode(b64_bad[_i], strlen(b64_bad[_i]), dec,
	    sizeof(dec), &n) == -1, "\"%s\"", b64_bad[_i]);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(test_b64_decode_short_output)
{
	unsigned char	 dec[8];
	size_t		 n;

	ck_assert_int_eq(vudb__b64_decode("Zm9vYmFy", 8, dec, 5, &n), -1);
	ck_assert_int_eq(vudb__b64_decode("Zm9vYmFy", 8, dec, 6, &n), 0);
	ck_assert_uint_eq(n, 6);
	ck_assert_int_eq(vudb__b64_decode("Zm9vYg==", 8, dec, 4, &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(vudb__b64_decode("Zm9vYg==", 8, dec, 3, &n), -1);
}
END_TEST

START_TEST(test_hex_decode)
{
	unsigned char	 out[8];
	size_t		 n;

	ck_assert_int_eq(vudb__hex_decode("00ff7FaB", 8, out, sizeof(out),
	    &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_mem_eq(out, "\x00\xff\x7f\xab", 4);
	ck_assert_int_eq(vudb__hex_decode("", 0, out, sizeof(out), &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(vudb__hex_decode("0", 1, out, sizeof(out), &n), -1);
	ck_assert_int_eq(vudb__hex_decode("0g", 2, out, sizeof(out), &n), -1);
	ck_assert_int_eq(vudb__hex_decode(" 0", 2, out, sizeof(out), &n), -1);
	ck_assert_int_eq(vudb__hex_decode("0 \n1", 4, out, sizeof(out), &n),
	    -1);
	ck_assert_int_eq(vudb__hex_decode("0011", 4, out, 1, &n), -1);
}
END_TEST

/* --------------------------------------------------------------- suite */

#define NELEM(a)	((int)(sizeof(a) / sizeof((a)[0])))

Suite *
check_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("password");

	tc = tcase_create("pwparams_default");
	tcase_add_test(tc, test_pwparams_default_values);
	suite_add_tcase(s, tc);

	tc = tcase_create("pw_verify");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_pw_verify_dovecot_right, 0,
	    NELEM(dovecot_vectors));
	tcase_add_loop_test(tc, test_pw_verify_dovecot_wrong, 0,
	    NELEM(dovecot_vectors));
	tcase_add_loop_test(tc, test_pw_verify_dovecot_overlong, 0,
	    NELEM(dovecot_vectors));
	tcase_add_loop_test(tc, test_pw_verify_other_right, 0,
	    NELEM(other_vectors));
	tcase_add_loop_test(tc, test_pw_verify_crypt_legacy, 0,
	    NELEM(legacy_crypt));
	tcase_add_loop_test(tc, test_pw_verify_malformed, 0,
	    NELEM(bad_hashes));
	tcase_add_test(tc, test_pw_verify_null);
	tcase_add_test(tc, test_pw_verify_scheme_case);
	tcase_add_test(tc, test_pw_verify_digest_hex_guess);
	tcase_add_test(tc, test_pw_verify_overlong_right);
	suite_add_tcase(s, tc);

	tc = tcase_create("pw_hash");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_pw_hash_roundtrip, 0, NEW_SCHEMES);
	tcase_add_loop_test(tc, test_pw_hash_format, 0, NELEM(hash_formats));
	tcase_add_loop_test(tc, test_pw_hash_salt_unique, 0, NEW_SCHEMES);
	tcase_add_test(tc, test_pw_hash_scheme_case);
	tcase_add_loop_test(tc, test_pw_hash_unsupported, 0,
	    NELEM(verify_only_schemes));
	tcase_add_test(tc, test_pw_hash_null);
	tcase_add_loop_test(tc, test_pw_hash_empty_password, 0, NEW_SCHEMES);
	tcase_add_loop_test(tc, test_pw_hash_bad_params, 0,
	    NELEM(bad_params));
	tcase_add_test(tc, test_pw_hash_overlong_password);
	tcase_add_test(tc, test_pw_hash_crypt_max_length);
	tcase_add_loop_test(tc, test_pw_hash_default_params, 0, NEW_SCHEMES);
	tcase_add_test(tc, test_pw_hash_argon2_threads);
	suite_add_tcase(s, tc);

	tc = tcase_create("pw_dummy");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_pw_dummy_schemes, 0,
	    NELEM(dummy_schemes));
	tcase_add_test(tc, test_pw_dummy_null_args);
	tcase_add_test(tc, test_pw_dummy_odd_input);
	tcase_add_loop_test(tc, test_pw_dummy_cost, 0, NEW_SCHEMES);
	suite_add_tcase(s, tc);

	tc = tcase_create("pw_scheme_valid");
	tcase_add_loop_test(tc, test_pw_scheme_valid_table, 0,
	    NELEM(scheme_valid));
	tcase_add_test(tc, test_pw_scheme_valid_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("ct_equal");
	tcase_add_loop_test(tc, test_ct_equal_table, 0, NELEM(ct_cases));
	tcase_add_test(tc, test_ct_equal_every_bit);
	suite_add_tcase(s, tc);

	tc = tcase_create("wipe");
	tcase_add_test(tc, test_wipe_zeroes);
	tcase_add_test(tc, test_free_secret_null);
	tcase_add_test(tc, test_free_secret_string);
	suite_add_tcase(s, tc);

	tc = tcase_create("sha");
	tcase_add_loop_test(tc, test_sha_fips, 0, NELEM(sha_fips));
	tcase_add_loop_test(tc, test_sha_million_a, 0, NELEM(sha_million));
	tcase_add_loop_test(tc, test_sha_boundaries, 0, NELEM(sha_bound));
	suite_add_tcase(s, tc);

	tc = tcase_create("base64");
	tcase_add_loop_test(tc, test_b64_rfc4648, 0, NELEM(b64_rfc));
	tcase_add_test(tc, test_b64_all_bytes);
	tcase_add_loop_test(tc, test_b64_decode_bad, 0, NELEM(b64_bad));
	tcase_add_test(tc, test_b64_decode_short_output);
	tcase_add_test(tc, test_hex_decode);
	suite_add_tcase(s, tc);

	return (s);
}
