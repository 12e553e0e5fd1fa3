/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * vudb-checkpassword.c - Dovecot's checkpassword helper (Dovecot 2.3):
 * "vudb-checkpassword [-v] [-d STORE] REPLY [ARGS...]".  It reads
 * "user\0password\0timestamp\0" from descriptor 3, checks the login
 * through vudb_auth() (or, with AUTHORIZED=1, looks the user up through
 * vudb_get()), exports USER, HOME, userdb_uid, userdb_gid,
 * userdb_quota_rule and EXTRA, and executes REPLY, which reports to
 * Dovecot on descriptor 4.  Exit status: 1 refused (a wrong password
 * and an unknown user alike), 2 misuse, 3 unknown user (lookups only),
 * 111 temporary failure (any store failure).  The per-login cost is one
 * read-only open, one lookup and one hash check.  The password is wiped
 * before the exec and never reaches the environment or a log line.
 * The manual is vudb-checkpassword(8).
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "vudb.h"
#include "cpw.h"
#include "watch.h"

#define EX_REFUSED	1	/* wrong password, unknown user, disabled */
#define EX_MISUSE	2	/* bad arguments or request */
#define EX_UNKNOWN	3	/* lookups: no such user */
#define EX_TEMP		111	/* temporary failure */

extern char **environ;

static int verbose;

/* logmsg - a line to syslog (mail facility) and, with -v, to stderr */
static void __attribute__((format(printf, 2, 3)))
logmsg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog(prio, fmt, ap);
	va_end(ap);
	if (verbose) {
		fputs("vudb-checkpassword: ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
}

/* liblog - the library's log hook */
static void
liblog(void *arg, int prio, const char *msg)
{
	(void)arg;
	logmsg(prio, "%s", msg);
}

static void __attribute__((noreturn))
usage(void)
{
	logmsg(LOG_ERR, "usage: vudb-checkpassword [-v] [-d store] "
	    "reply [args ...]");
	exit(EX_MISUSE);
}

/* envflag - whether the environment variable name has the value "1" */
static int
envflag(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && strcmp(v, "1") == 0;
}

/*
 * scrub_env - remove anything password-like that reached us, so that
 * nothing secret is passed on to REPLY except what we set ourselves.
 */
static void
scrub_env(void)
{
	char name[256];
	const char *hit;
	size_t i, n;

	for (i = 0; environ[i] != NULL; ) {
		n = strcspn(environ[i], "=");
		hit = strcasestr(environ[i], "pass");
		if (hit != NULL && hit < environ[i] + n && n < sizeof(name)) {
			memcpy(name, environ[i], n);
			name[n] = '\0';
			if (unsetenv(name) == 0)
				continue;	/* environ[i] is another now */
		}
		i++;
	}
}

/* setvar - setenv, and add the name to the EXTRA list (size bytes) */
static int
setvar(char *extra, size_t size, const char *name, const char *value)
{
	size_t used;
	int n;

	if (value == NULL || setenv(name, value, 1) != 0)
		return -1;
	if (extra == NULL)
		return 0;
	used = strlen(extra);
	n = snprintf(extra + used, size - used, "%s%s",
	    used > 0 ? " " : "", name);
	return n < 0 || (size_t)n >= size - used ? -1 : 0;
}

/* export - the reply environment for the user; -1 on failure */
static int
export(const struct vudb_obj *u, int lookup, int creds)
{
	char extra[256] = "", quota[128];
	const char *hash;
	int n;

	if (setvar(NULL, 0, "USER", vudb_obj_name(u)) != 0 ||
	    setvar(NULL, 0, "HOME", vudb_obj_effective(u, "home")) != 0 ||
	    setvar(extra, sizeof(extra), "userdb_uid",
	    vudb_obj_effective(u, "uid")) != 0 ||
	    setvar(extra, sizeof(extra), "userdb_gid",
	    vudb_obj_effective(u, "gid")) != 0)
		return -1;
	n = cpw_quota_rule(vudb_obj_effective(u, "quota_bytes"),
	    vudb_obj_effective(u, "quota_messages"), quota, sizeof(quota));
	if (n < 0)
		return -1;
	unsetenv("userdb_quota_rule");
	if (n > 0 && setvar(extra, sizeof(extra), "userdb_quota_rule",
	    quota) != 0)
		return -1;
	if (creds) {
		/* Dovecot wants the stored {SCHEME}hash as "password" */
		if ((hash = vudb_obj_get(u, "password")) == NULL ||
		    setvar(extra, sizeof(extra), "password", hash) != 0)
			return -1;
	}
	if (setenv("EXTRA", extra, 1) != 0)
		return -1;
	if (lookup && setenv("AUTHORIZED", "2", 1) != 0)
		return -1;
	return 0;
}

/*
 * The watchdog (watch.h): a login that waits for what a process that died
 * inside Berkeley DB held ends there, as a temporary failure (111).
 */
static struct watch	*wd;

static void
wd_die(const char *why)
{
	logmsg(LOG_ERR, "the store was lost while this login waited for "
	    "what a process that died held: %s", why);
	_exit(EX_TEMP);
}

/* start_watchdog - with the login's store just opened (so that its
 * handle shares the same environment) */
static void
start_watchdog(const char *store)
{
	if ((wd = watch_start(store, wd_die)) != NULL)
		watch_enter(wd);
}

/* stop_watchdog - before the store is closed; idempotent */
static void
stop_watchdog(void)
{
	watch_stop(wd);
	wd = NULL;
}

static const struct option long_opts[] = {
	{ "store",	required_argument,	NULL, 'd' },
	{ "verbose",	no_argument,		NULL, 'v' },
	{ NULL,		0,			NULL, 0 }
};

int
main(int argc, char *argv[])
{
	char buf[CPW_MAX + 1], name[128];
	const char *store = NULL, *why, *service;
	struct vudb_obj *u = NULL;
	struct vudb *db = NULL;
	struct cpw_req req;
	size_t len = 0;
	int ch, lookup, creds, rc, status = EX_TEMP;

	/* the password is in this process: no core file may keep it */
	(void)setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* no LOG_NDELAY: a login that logs nothing opens no socket */
	openlog("vudb-checkpassword", LOG_PID, LOG_MAIL);
	opterr = 0;		/* usage() says it, to syslog */
	/* '+': options end at REPLY, whose own options are its own */
	while ((ch = getopt_long(argc, argv, "+:d:v", long_opts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'd':
			store = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case ':':
			logmsg(LOG_ERR, "%s needs an argument",
			    argv[optind - 1]);
			usage();
		default:
			if (optopt != 0)
				logmsg(LOG_ERR, "unknown option -%c", optopt);
			else
				logmsg(LOG_ERR, "unknown option %s",
				    argv[optind - 1]);
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();

	rc = cpw_read(3, buf, sizeof(buf), &len);
	(void)close(3);
	if (rc == -1) {
		logmsg(LOG_ERR, "descriptor 3: %s", strerror(errno));
		status = EX_MISUSE;
		goto done;
	}
	if (rc == -2 || cpw_parse(buf, len, &req, &why) != 0) {
		logmsg(LOG_ERR, "descriptor 3: %s", rc == -2 ?
		    "request longer than 512 bytes" : why);
		status = EX_MISUSE;
		goto done;
	}
	lookup = envflag("AUTHORIZED");
	creds = lookup && envflag("CREDENTIALS_LOOKUP");
	service = getenv("SERVICE");
	cpw_logsafe(req.user, name, sizeof(name));

	if ((rc = vudb_open(store, VUDB_RDONLY, &db)) != VUDB_OK) {
		logmsg(LOG_ERR, "%s: cannot open the store: %s: %s", name,
		    vudb_strerror(rc), vudb_open_errmsg());
		goto done;
	}
	vudb_set_log(db, liblog, NULL);
	start_watchdog(store);

	if (!lookup) {
		rc = vudb_auth(db, req.user, req.pass, service, &u);
		explicit_bzero(buf, sizeof(buf));
		switch (rc) {
		case VUDB_OK:
			break;
		case VUDB_EAUTH:
		case VUDB_EDISABLED:
			logmsg(LOG_INFO, "%s: login refused (%s)", name,
			    rc == VUDB_EAUTH ? "wrong password or unknown user"
			    : "disabled");
			status = EX_REFUSED;
			goto done;
		default:
			logmsg(LOG_ERR, "%s: %s: %s", name, vudb_strerror(rc),
			    vudb_errmsg(db));
			goto done;
		}
	} else {
		explicit_bzero(buf + (req.pass - buf), strlen(req.pass));
		/* the library's rules: disabled, service, receive, doveadm */
		rc = vudb_authorize(db, req.user, service, &u);
		if (rc == VUDB_EDISABLED || (rc == VUDB_OK && creds &&
		    vudb_obj_get(u, "password") == NULL)) {
			vudb_obj_free(u);
			u = NULL;
			rc = VUDB_ENOTFOUND;
		}
		if (rc == VUDB_ENOTFOUND) {
			logmsg(LOG_INFO, "%s: lookup: no such user", name);
			status = EX_UNKNOWN;
			goto done;
		}
		if (rc != VUDB_OK) {
			logmsg(LOG_ERR, "%s: lookup: %s: %s", name,
			    vudb_strerror(rc), vudb_errmsg(db));
			goto done;
		}
	}

	scrub_env();
	if (export(u, lookup, creds) != 0) {
		logmsg(LOG_ERR, "%s: cannot set the environment", name);
		goto done;
	}
	vudb_obj_free(u);
	stop_watchdog();
	vudb_close(db);
	explicit_bzero(buf, sizeof(buf));
	closelog();
	execv(argv[0], argv);
	rc = errno;
	openlog("vudb-checkpassword", LOG_PID, LOG_MAIL);
	cpw_logsafe(argv[0], name, sizeof(name));
	logmsg(LOG_ERR, "cannot execute %s: %s", name, strerror(rc));
	return EX_TEMP;
done:
	explicit_bzero(buf, sizeof(buf));
	vudb_obj_free(u);
	stop_watchdog();
	vudb_close(db);
	closelog();
	return status;
}
