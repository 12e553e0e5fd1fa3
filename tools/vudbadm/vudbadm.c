/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * vudbadm.c - the entry point of vudbadm(8): global options (-d STORE,
 * --json), finding the command in the tables of the command groups,
 * opening the store, and the rules every command follows for errors: one
 * line on stderr, "vudbadm: user add: matsui@pc1.example: already exists",
 * and a sysexits(3) exit status mapped from the library's status code.
 * Under --json, stderr holds JSON instead: each warning one object as it
 * comes, and a failure's messages gathered into one object written as
 * vudbadm ends, {"error":{"status":...,"message":...,"exit":...}} (the
 * shape is in vudbadm(8), JSON OUTPUT).
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vudbadm.h"

/*
 * A signal that ends vudbadm (SIGINT, SIGTERM, SIGHUP, SIGPIPE) is not
 * allowed to kill it while the store is open: Berkeley DB's register
 * would keep the dead process, and the next opener would recover the
 * store under every reader.  The handler only notes the signal; loops
 * stop at the next entry or line (interrupted()), main() aborts what is
 * open, closes the store and then dies of the signal, so that the shell
 * sees the status it expects (130 for ^C, 141 for "| head").  With the
 * store not open yet, the signal kills at once, as it always did.
 */
static volatile sig_atomic_t caught;	/* the signal to die of, or 0 */
static volatile sig_atomic_t store_busy;	/* open, or being opened */
static const int exit_sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };

static const struct cmd *const groups[] = {
	cmds_settings, cmds_domain, cmds_user, cmds_value,
	cmds_sender, cmds_lookup, cmds_export, cmds_import, cmds_verify,
	cmds_log
};

/*
 * exit_code - the exit status of a library status code.  Documented in
 * vudbadm(8), EXIT STATUS.
 */
int
exit_code(int rc)
{
	switch (rc) {
	case VUDB_OK:		return EX_OK;
	case VUDB_ENOTFOUND:	return EX_NOUSER;
	case VUDB_EINVAL:	return EX_DATAERR;
	case VUDB_EEXIST:	return EX_CANTCREAT;
	case VUDB_ELIMIT:	return EX_NOPERM;
	case VUDB_ERDONLY:	return EX_NOPERM;
	case VUDB_EAUTH:
	case VUDB_EDISABLED:	return EX_NOTFOUND;
	case VUDB_ENOMAP:	return EX_USAGE;
	case VUDB_ENOTSUP:	return EX_UNAVAILABLE;
	case VUDB_ENOSTORE:	return EX_NOINPUT;
	}
	return EX_TEMPFAIL;
}

/*
 * JSON errors.  json_errors is set when --json is among the words before
 * "--" (so that a usage error, found before the command parses its
 * options, is JSON too).  Messages of a failure wait in errs (the last
 * one is the "message", the ones before it "details"), the usage lines in
 * usage_lines, and err_finish() writes the one object once the exit status
 * is known.  The status word is the library's status when a library call
 * failed (fail, fail_rc), else the word of the exit status.
 */
#define MAXERRS		64
static int	 json_errors;
static char	*errs[MAXERRS];
static size_t	 nerrs, lost_errs;
static char	*usage_lines[128];
static size_t	 nusage;
static int	 err_rc;	/* library status of the failure, or 0 */
static char	 err_cmd[64];
static char	*suggestion;

/* status_word - the word of a library status (JSON errors) */
static const char *
status_word(int rc)
{
	switch (rc) {
	case VUDB_ENOTFOUND:	return "notfound";
	case VUDB_ETEMP:	return "temp";
	case VUDB_EINVAL:	return "invalid";
	case VUDB_EEXIST:	return "exists";
	case VUDB_ENOMEM:	return "nomem";
	case VUDB_ECORRUPT:	return "corrupt";
	case VUDB_ENOTSUP:	return "notsup";
	case VUDB_EVERSION:	return "version";
	case VUDB_ESYS:		return "system";
	case VUDB_EAUTH:	return "auth";
	case VUDB_EDISABLED:	return "disabled";
	case VUDB_ELIMIT:	return "limit";
	case VUDB_ENOMAP:	return "nomap";
	case VUDB_ERDONLY:	return "readonly";
	case VUDB_ENOSTORE:	return "nostore";
	}
	return NULL;
}

/* exit_word - the word of an exit status (JSON errors) */
static const char *
exit_word(int ex)
{
	switch (ex) {
	case EX_NOTFOUND:	return "refused";
	case EX_USAGE:		return "usage";
	case EX_DATAERR:	return "invalid";
	case EX_NOINPUT:	return "noinput";
	case EX_NOUSER:		return "notfound";
	case EX_UNAVAILABLE:	return "notsup";
	case EX_SOFTWARE:	return "software";
	case EX_OSERR:		return "system";
	case EX_CANTCREAT:	return "exists";
	case EX_IOERR:		return "io";
	case EX_TEMPFAIL:	return "temp";
	case EX_NOPERM:		return "denied";
	}
	return "error";
}

/*
 * keep - a copy of a message line in v (of max); when errs is full, the
 * one before s is dropped and counted, so that the last message (a
 * summary, say) is always kept
 */
static void
keep(char **v, size_t *n, size_t max, const char *s)
{
	char *copy;

	if (v == errs && *n == max) {
		free(v[--(*n)]);
		lost_errs++;
	}
	if (*n < max && (copy = strdup(s)) != NULL)
		v[(*n)++] = copy;
	else if (v == errs)
		lost_errs++;
}

/* jmsg - one {"warning":{...}} object on stderr */
static void
jmsg(const char *kind, const char *msg)
{
	struct jw w;

	jw_init(&w, stderr);
	jw_obj_begin(&w);
	jw_key(&w, kind);
	jw_obj_begin(&w);
	if (err_cmd[0] != '\0')
		jw_kv(&w, "command", err_cmd);
	jw_kv(&w, "message", msg);
	jw_obj_end(&w);
	jw_obj_end(&w);
	jw_end(&w);
}

/*
 * err_finish - under --json, the one error object of a failure (exit
 * status ex, not 0), or the messages as warnings when the command ended
 * well after all; returns ex
 */
static int
err_finish(int ex)
{
	struct jw w;
	const char *st;
	size_t i;

	if (!json_errors || (nerrs == 0 && nusage == 0))
		goto out;
	fflush(stdout);
	if (ex == EX_OK) {
		for (i = 0; i < nerrs; i++)
			jmsg("warning", errs[i]);
		goto out;
	}
	st = err_rc != 0 && status_word(err_rc) != NULL ?
	    status_word(err_rc) : exit_word(ex);
	jw_init(&w, stderr);
	jw_obj_begin(&w);
	jw_key(&w, "error");
	jw_obj_begin(&w);
	jw_kv(&w, "status", st);
	jw_kv(&w, "message", nerrs > 0 ? errs[nerrs - 1] :
	    "usage");
	jw_kvu(&w, "exit", (unsigned long long)ex);
	if (err_cmd[0] != '\0')
		jw_kv(&w, "command", err_cmd);
	if (nerrs > 1 || lost_errs > 0) {
		jw_key(&w, "details");
		jw_arr_begin(&w);
		for (i = 0; i + 1 < nerrs; i++)
			jw_str(&w, errs[i]);
		jw_arr_end(&w);
		if (lost_errs > 0)
			jw_kvu(&w, "details_left_out", lost_errs);
	}
	if (suggestion != NULL)
		jw_kv(&w, "suggestion", suggestion);
	if (nusage > 0) {
		jw_key(&w, "usage");
		jw_arr_begin(&w);
		for (i = 0; i < nusage; i++)
			jw_str(&w, usage_lines[i]);
		jw_arr_end(&w);
	}
	jw_obj_end(&w);
	jw_obj_end(&w);
	jw_end(&w);
out:
	for (i = 0; i < nerrs; i++)
		free(errs[i]);
	for (i = 0; i < nusage; i++)
		free(usage_lines[i]);
	free(suggestion);
	nerrs = nusage = 0;
	suggestion = NULL;
	return ex;
}

static void
vmsg(struct ctx *, int, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

/* vmsg - a message line: an error (err) or a warning */
static void
vmsg(struct ctx *c, int err, const char *fmt, va_list ap)
{
	char buf[2048];

	if (json_errors || (c != NULL && c->json)) {
		json_errors = 1;
		vsnprintf(buf, sizeof(buf), fmt, ap);
		if (c != NULL && c->cmd != NULL)
			snprintf(err_cmd, sizeof(err_cmd), "%s", c->cmd);
		if (err)
			keep(errs, &nerrs, MAXERRS, buf);
		else
			jmsg("warning", buf);
		return;
	}
	fflush(stdout);
	fputs("vudbadm: ", stderr);
	if (c != NULL && c->cmd != NULL)
		fprintf(stderr, "%s: ", c->cmd);
	vfprintf(stderr, fmt, ap);
	putc('\n', stderr);
}

/* emsg - an error line outside a command (words, global options) */
static void
emsg(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static void
emsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(NULL, 1, fmt, ap);
	va_end(ap);
}

void
warn_msg(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(c, 0, fmt, ap);
	va_end(ap);
}

/* fail_msg - print an error line; returns code, the exit status */
int
fail_msg(struct ctx *c, int code, const char *fmt, ...)
{
	va_list ap;

	/* stopping for a signal: what that stopped is no failure */
	if (caught != 0)
		return code;
	err_rc = 0;
	va_start(ap, fmt);
	vmsg(c, 1, fmt, ap);
	va_end(ap);
	return code;
}

/* fail_rc - fail_msg for the library status rc: its exit status */
int
fail_rc(struct ctx *c, int rc, const char *fmt, ...)
{
	va_list ap;

	if (caught != 0)
		return exit_code(rc);
	err_rc = rc;
	va_start(ap, fmt);
	vmsg(c, 1, fmt, ap);
	va_end(ap);
	return exit_code(rc);
}

/*
 * fail - report a library failure rc, with the handle's message (or, with
 * none, what, then the status text); returns the exit status.
 */
int
fail(struct ctx *c, int rc, const char *what)
{
	const char *m = vudb_errmsg(c->db);

	if (m[0] != '\0')
		return fail_rc(c, rc, "%s", m);
	if (what != NULL)
		return fail_rc(c, rc, "%s: %s", what, vudb_strerror(rc));
	return fail_rc(c, rc, "%s", vudb_strerror(rc));
}

/* usage_line - one command's usage; on stderr under --json, kept for
 * the error object */
static void
usage_line(FILE *fp, const struct cmd *t)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "vudbadm [-d store] [--json] %s%s%s%s%s",
	    t->group != NULL ? t->group : "", t->group != NULL ? " " : "",
	    t->name, t->usage[0] != '\0' ? " " : "", t->usage);
	if (fp == stderr && json_errors)
		keep(usage_lines, &nusage, NELEM(usage_lines), buf);
	else
		fprintf(fp, "       %s\n", buf);
}

/* usage_start - the first words of a usage text on fp */
static void
usage_start(FILE *fp)
{
	if (fp != stderr || !json_errors)
		fputs("usage:", fp);
}

static void
usage_all(FILE *fp)
{
	const struct cmd *t;
	size_t g;

	if (fp == stderr && json_errors)
		keep(usage_lines, &nusage, NELEM(usage_lines),
		    "vudbadm [-d store] [--json] command [arguments]");
	else
		fputs("usage: vudbadm [-d store] [--json] command "
		    "[arguments]\n", fp);
	for (g = 0; g < NELEM(groups); g++)
		for (t = groups[g]; t->name != NULL; t++)
			usage_line(fp, t);
}

static const struct cmd *current;

/* usage_error - a usage message for the current command; returns 64 */
int
usage_error(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	err_rc = 0;
	va_start(ap, fmt);
	vmsg(c, 1, fmt, ap);
	va_end(ap);
	if (current != NULL) {
		usage_start(stderr);
		usage_line(stderr, current);
	}
	return EX_USAGE;
}

/*
 * Options are parsed by getopt_long(3) (GNU): "--quota 10G" and
 * "--quota=10G", "-s SCHEME" and "-sSCHEME", options before, between and
 * after the positional arguments (the optstring's leading '-' hands the
 * latter back in order), "--" ending the options.  Two rules of vudbadm
 * stay ours.  A word such as "-1" or "-x.example" whose letter is no
 * short option of the command is a value for the library to judge, not
 * a mistake: opt_prescan() hides it from getopt.  And a long option is
 * taken only as spelled: getopt's abbreviations ("--quo") would make a
 * script's spelling ambiguous once another option is added.
 */
#define MAXOPTS		64
#define OPT_JSON	0x400	/* getopt value of --json */
#define OPT_LONG	0x200	/* getopt value of opts[i] spelled "--": + i */

/* opt_short - the option of opts spelled "-" ch, or NULL */
static const struct opt *
opt_short(const struct opt *opts, int ch)
{
	for (; opts != NULL && opts->name != NULL; opts++)
		if (opts->name[0] == '-' && opts->name[1] == ch &&
		    opts->name[2] == '\0')
			return opts;
	return NULL;
}

/* opt_long - the option of opts spelled "--" name (up to '='), or NULL */
static const struct opt *
opt_long(const struct opt *opts, const char *a)
{
	size_t n = strcspn(a, "=");

	for (; opts != NULL && opts->name != NULL; opts++)
		if (strncmp(opts->name, a, n) == 0 &&
		    opts->name[n] == '\0')
			return opts;
	return NULL;
}

/*
 * opt_prescan - copy argv[0..argc) to av[1..], with av[0] a program name
 * for getopt; a word that getopt would misread as an option (see above)
 * becomes a stand-in it takes for a positional argument, to be read back
 * from argv.  Stops at "--": returns the number of words getopt gets.
 */
static int
opt_prescan(int argc, char **argv, const struct opt *opts, char **av,
    char *standin)
{
	const struct opt *o;
	const char *a, *p;
	int i;

	av[0] = standin;
	for (i = 0; i < argc; i++) {
		a = argv[i];
		av[i + 1] = argv[i];
		if (strcmp(a, "--") == 0)
			break;
		if (a[0] != '-' || a[1] == '\0')
			continue;
		if (a[1] == '-') {
			/* "--name VALUE": VALUE is no option */
			if ((o = opt_long(opts, a)) != NULL && o->has_arg &&
			    strchr(a, '=') == NULL && i + 1 < argc) {
				i++;
				av[i + 1] = argv[i];
			}
			continue;
		}
		if (opt_short(opts, a[1]) == NULL) {
			av[i + 1] = standin;
			continue;
		}
		/* "-ab" flags, "-sVALUE", or "-s VALUE" */
		for (p = a + 1; *p != '\0'; p++)
			if ((o = opt_short(opts, *p)) != NULL && o->has_arg)
				break;
		if (*p != '\0' && p[1] == '\0' && i + 1 < argc) {
			i++;
			av[i + 1] = argv[i];
		}
	}
	av[i + 1] = NULL;
	return i + 1;
}

/*
 * parse_opts - split args into options (from opts, plus --json anywhere)
 * and positional arguments (into pos, at most maxpos; "--" ends options).
 * Returns the number of positional arguments, or -1 after a usage error.
 */
int
parse_opts(struct ctx *c, int argc, char **argv, const struct opt *opts,
    char **pos, int maxpos)
{
	struct option lo[MAXOPTS + 2];
	char sopts[3 * MAXOPTS + 3], standin[] = "vudbadm", **av;
	const struct opt *o;
	const char *a;
	size_t nl = 0, ns = 0, i;
	int ac, ch, at, n = 0, ret = -1;

	sopts[ns++] = '-';	/* positional arguments in order, as 1 */
	sopts[ns++] = ':';	/* a missing argument as ':' */
	for (i = 0; opts != NULL && opts[i].name != NULL; i++) {
		if (i == MAXOPTS)
			return usage_error(c, "too many options"), -1;
		if (opts[i].name[1] == '-') {
			lo[nl].name = opts[i].name + 2;
			lo[nl].has_arg = opts[i].has_arg ? required_argument :
			    no_argument;
			lo[nl].flag = NULL;
			lo[nl++].val = OPT_LONG + (int)i;
		} else {
			sopts[ns++] = opts[i].name[1];
			if (opts[i].has_arg)
				sopts[ns++] = ':';
		}
	}
	lo[nl++] = (struct option){ "json", no_argument, NULL, OPT_JSON };
	memset(&lo[nl], 0, sizeof(lo[nl]));
	sopts[ns] = '\0';
	if ((av = calloc((size_t)argc + 2, sizeof(*av))) == NULL)
		return usage_error(c, "out of memory"), -1;
	ac = opt_prescan(argc, argv, opts, av, standin);
	opterr = 0;
	optind = 0;		/* glibc: start afresh */
	for (;;) {
		at = optind == 0 ? 1 : optind;
		if ((ch = getopt_long(ac, av, sopts, lo, NULL)) == -1)
			break;
		a = av[at];
		if (ch == 1) {
			/* a positional argument (or a stand-in) */
			if (n >= maxpos) {
				usage_error(c, "too many arguments");
				goto out;
			}
			pos[n++] = argv[optind - 2];
			continue;
		}
		if (ch == OPT_JSON && strcmp(a, "--json") == 0) {
			c->json = 1;
			continue;
		}
		if (ch >= OPT_LONG && ch < OPT_JSON &&
		    opt_long(opts, a) == &opts[ch - OPT_LONG])
			o = &opts[ch - OPT_LONG];
		else if (ch != '?' && ch != ':' && ch < OPT_LONG)
			o = opt_short(opts, ch);
		else if (ch == ':') {
			usage_error(c, "%s needs an argument", a[1] == '-' ?
			    a : (char []){ '-', (char)optopt, '\0' });
			goto out;
		} else if (a[1] == '-' && (o = opt_long(opts, a)) != NULL &&
		    !o->has_arg) {
			usage_error(c, "%s takes no argument", o->name);
			goto out;
		} else {
			if (a[1] == '-')
				usage_error(c, "unknown option %.*s",
				    (int)strcspn(a, "="), a);
			else
				usage_error(c, "unknown option -%c", optopt);
			goto out;
		}
		if (o->has_arg)
			*o->arg_r = optarg;
		else
			*o->flag_r = 1;
	}
	/* what follows "--" is positional */
	for (i = (size_t)ac; i < (size_t)argc; i++) {
		if (n >= maxpos) {
			usage_error(c, "too many arguments");
			goto out;
		}
		pos[n++] = argv[i];
	}
	ret = n;
out:
	free(av);
	return ret;
}

/*
 * parse_attr_opts - parse_opts() with, besides extra, options that set
 * attributes (aopts: "--quota SIZE" sets quota_bytes; a flag with a fixed
 * value such as "--disabled" sets enabled to no).  The attributes go to
 * attrs as name, value pairs ending in NULL; attrs has room for
 * 2 * (number of aopts) + 1 pointers.
 */
int
parse_attr_opts(struct ctx *c, int argc, char **argv, const struct aopt *aopts,
    const struct opt *extra, char **pos, int maxpos, const char **attrs)
{
	struct opt o[64];
	const char *vals[32];
	int flags[32];
	size_t na, ne, i, k = 0;
	int n;

	for (na = 0; aopts != NULL && aopts[na].opt != NULL; na++)
		;
	for (ne = 0; extra != NULL && extra[ne].name != NULL; ne++)
		;
	if (na > NELEM(vals) || na + ne + 1 > NELEM(o))
		return usage_error(c, "too many options"), -1;
	for (i = 0; i < na; i++) {
		vals[i] = NULL;
		flags[i] = 0;
		o[i].name = aopts[i].opt;
		o[i].has_arg = aopts[i].fixed == NULL;
		o[i].arg_r = &vals[i];
		o[i].flag_r = &flags[i];
	}
	for (i = 0; i < ne; i++)
		o[na + i] = extra[i];
	memset(&o[na + ne], 0, sizeof(o[0]));
	if ((n = parse_opts(c, argc, argv, o, pos, maxpos)) < 0)
		return -1;
	for (i = 0; i < na; i++) {
		if (vals[i] == NULL && !flags[i])
			continue;
		attrs[k++] = aopts[i].attr;
		attrs[k++] = flags[i] ? aopts[i].fixed : vals[i];
	}
	attrs[k] = NULL;
	return n;
}

/* lib_log - the library's warnings, to the administrator */
static void
lib_log(void *arg, int prio, const char *msg)
{
	if (prio <= VUDB_LOG_WARNING)
		warn_msg(arg, "warning: %s", msg);
}

/* on_signal - note a signal to die of once the store is closed */
static void
on_signal(int sig)
{
	int saved_errno = errno;

	if (!store_busy) {
		/* nothing to leave cleanly: die as if not caught */
		(void)signal(sig, SIG_DFL);
		(void)raise(sig);
	}
	if (caught == 0)
		caught = sig;
	errno = saved_errno;
}

/*
 * catch_signals - take the signals that end vudbadm; one ignored when
 * vudbadm started (nohup, a shell's background job) stays ignored.  No
 * SA_RESTART: a read of standard input returns, and the import stops.
 */
static void
catch_signals(void)
{
	struct sigaction sa, old;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < NELEM(exit_sigs); i++)
		sigaddset(&sa.sa_mask, exit_sigs[i]);
	for (i = 0; i < NELEM(exit_sigs); i++)
		if (sigaction(exit_sigs[i], NULL, &old) == 0 &&
		    old.sa_handler != SIG_IGN)
			(void)sigaction(exit_sigs[i], &sa, NULL);
}

/* interrupted - the signal that ends vudbadm, once caught; else 0 */
int
interrupted(void)
{
	return caught;
}

/* iter_next - vudb_iter_next, which stops the loop once a signal came */
int
iter_next(struct vudb_iter *it, struct vudb_obj **obj_r)
{
	if (caught != 0) {
		*obj_r = NULL;
		return VUDB_ETEMP;
	}
	return vudb_iter_next(it, obj_r);
}

/* die_of_signal - after the store is closed: end as the signal ends */
static void __attribute__((noreturn))
die_of_signal(int sig)
{
	sigset_t set;

	(void)err_finish(128 + sig);
	fflush(stderr);
	(void)signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	(void)sigprocmask(SIG_UNBLOCK, &set, NULL);
	(void)raise(sig);
	_exit(128 + sig);
}

/*
 * The watchdog.  A process that dies inside Berkeley DB may hold a mutex
 * that vudbadm then waits for, for ever (the fault campaign found
 * writers, and a "user list | head", waiting on a futex of a removed
 * region file).  A thread of its own looks once a second at the main
 * thread: when it has used no CPU for WATCH_S seconds and waits on a
 * futex (not on its input: an import from a slow pipe), it asks the
 * store (vudb_check, on a handle of its own).  A process that died
 * outside the library has its locks released, and the main thread goes
 * on; one that died inside it leaves the store lost, and vudbadm ends
 * with exit status 75 (or the signal it was ending for), saying so:
 * what it had not committed is not done.
 */
#define WATCH_S		3

static pthread_t	 main_thread;
static pid_t		 main_tid;
/* the watchdog: its thread, its handle, and how the main thread stops it */
static pthread_t	 wd_thread;
static struct vudb	*wd_db;
static int		 wd_running, wd_stop;
static pthread_mutex_t	 wd_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 wd_cond = PTHREAD_COND_INITIALIZER;

/* main_waits - whether the main thread is blocked on a futex */
static int
main_waits(void)
{
	char path[64];
	long nr;
	FILE *fp;
	int ok;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/syscall",
	    (long)main_tid);
	if ((fp = fopen(path, "re")) == NULL)
		return 0;
	ok = fscanf(fp, "%ld", &nr) == 1 && nr == SYS_futex;
	fclose(fp);
	return ok;
}

/* wd_sleep - wait a second, or until stop_watchdog: 1 to go on, 0 to end */
static int
wd_sleep(void)
{
	struct timespec ts;
	int stop;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec++;
	pthread_mutex_lock(&wd_lock);
	while (!wd_stop &&
	    pthread_cond_timedwait(&wd_cond, &wd_lock, &ts) == 0)
		;
	stop = wd_stop;
	pthread_mutex_unlock(&wd_lock);
	return !stop;
}

static void *
watchdog(void *arg)
{
	struct ctx *c = arg;
	struct timespec cpu, last = { 0, 0 };
	clockid_t cid;
	int still = 0;

	if (pthread_getcpuclockid(main_thread, &cid) != 0)
		return NULL;
	while (wd_sleep()) {
		if (clock_gettime(cid, &cpu) != 0)
			return NULL;
		if (cpu.tv_sec != last.tv_sec || cpu.tv_nsec != last.tv_nsec) {
			last = cpu;
			still = 0;
			continue;
		}
		if (++still < WATCH_S || !main_waits())
			continue;
		if (vudb_check(wd_db) == VUDB_OK)
			continue;
		fflush(stdout);
		if (json_errors) {
			/* the main thread is stuck: its messages are lost */
			char m[1024];
			struct jw w;

			snprintf(m, sizeof(m), "the store was lost while this "
			    "command waited for a process that died holding "
			    "what it waited for (%s); what it had not "
			    "committed is not done: run it again",
			    vudb_errmsg(wd_db));
			jw_init(&w, stderr);
			jw_obj_begin(&w);
			jw_key(&w, "error");
			jw_obj_begin(&w);
			jw_kv(&w, "status", "temp");
			jw_kv(&w, "message", m);
			jw_kvu(&w, "exit", caught != 0 ?
			    128 + (unsigned)caught : EX_TEMPFAIL);
			jw_kv(&w, "command", c->cmd != NULL ? c->cmd : "");
			jw_obj_end(&w);
			jw_obj_end(&w);
			jw_end(&w);
		} else
			fprintf(stderr, "vudbadm: %s: the store was lost "
			    "while this command waited for a process that "
			    "died holding what it waited for (%s); what it "
			    "had not committed is not done: run it again\n",
			    c->cmd != NULL ? c->cmd : "", vudb_errmsg(wd_db));
		if (caught != 0)
			die_of_signal(caught);
		_exit(EX_TEMPFAIL);
	}
	return NULL;
}

/*
 * start_watchdog - its handle is opened here, with the main thread's:
 * so it shares the main thread's environment (one opened later, after a
 * recovery, would find a new, healthy one).
 */
static void
start_watchdog(struct ctx *c)
{
	if (vudb_open(c->store, VUDB_RDONLY, &wd_db) != VUDB_OK) {
		wd_db = NULL;
		return;
	}
	main_thread = pthread_self();
	main_tid = (pid_t)syscall(SYS_gettid);
	wd_stop = 0;
	if (pthread_create(&wd_thread, NULL, watchdog, c) == 0)
		wd_running = 1;
	else {
		vudb_close(wd_db);
		wd_db = NULL;
	}
}

/*
 * stop_watchdog - once the store is closed: the watchdog's handle is
 * closed too, so that the process leaves Berkeley DB's register (a handle
 * left open at exit reads as a process that died in the store: the next
 * opener would recover it under every reader).
 */
static void
stop_watchdog(void)
{
	if (wd_running) {
		pthread_mutex_lock(&wd_lock);
		wd_stop = 1;
		pthread_cond_signal(&wd_cond);
		pthread_mutex_unlock(&wd_lock);
		(void)pthread_join(wd_thread, NULL);
		wd_running = 0;
	}
	vudb_close(wd_db);
	wd_db = NULL;
}

int
open_store(struct ctx *c, int flags)
{
	int rc;

	if (c->db != NULL)
		return EX_OK;
	/* recovery may run inside vudb_open: no dying there either */
	store_busy = 1;
	if ((rc = vudb_open(c->store, flags, &c->db)) != VUDB_OK) {
		const char *m = vudb_open_errmsg();

		rc = fail_rc(c, rc, "%s", m[0] != '\0' ? m :
		    vudb_strerror(rc));
		if (caught != 0)
			die_of_signal(caught);
		store_busy = 0;
		return rc;
	}
	vudb_set_log(c->db, lib_log, c);
	start_watchdog(c);
	return EX_OK;
}

/* find - the command named by args, or NULL; *used is how many words */
static const struct cmd *
find(int argc, char **argv, int *used)
{
	const struct cmd *t;
	size_t g;

	for (g = 0; g < NELEM(groups); g++)
		for (t = groups[g]; t->name != NULL; t++) {
			if (t->group == NULL) {
				if (strcmp(argv[0], t->name) == 0) {
					*used = 1;
					return t;
				}
			} else if (argc >= 2 &&
			    strcmp(argv[0], t->group) == 0 &&
			    strcmp(argv[1], t->name) == 0) {
				*used = 2;
				return t;
			}
		}
	return NULL;
}

/* group_known - whether word names a command group */
static int
group_known(const char *word)
{
	const struct cmd *t;
	size_t g;

	for (g = 0; g < NELEM(groups); g++)
		for (t = groups[g]; t->name != NULL; t++)
			if (t->group != NULL && strcmp(t->group, word) == 0)
				return 1;
	return 0;
}

/*
 * Help and "did you mean".  "vudbadm help [WORD [WORD]]", "vudbadm GROUP
 * --help" and "vudbadm GROUP NAME --help" print the usage of the commands
 * named on stdout; words that name no command are named in the error, with
 * the nearest command when one is at most 2 edits away.
 */

/* usage_of - print the usage of the commands w1 [w2] name; how many */
static int
usage_of(FILE *fp, const char *w1, const char *w2)
{
	const struct cmd *t;
	size_t g;
	int n = 0;

	for (g = 0; g < NELEM(groups); g++)
		for (t = groups[g]; t->name != NULL; t++) {
			if (t->group == NULL ? strcmp(w1, t->name) != 0 ||
			    w2 != NULL : strcmp(w1, t->group) != 0 ||
			    (w2 != NULL && strcmp(w2, t->name) != 0))
				continue;
			if (n++ == 0)
				usage_start(fp);
			usage_line(fp, t);
		}
	return n;
}

/* suggest - the command nearest to what w1 [w2] spell, or NULL */
static const struct cmd *
suggest(const char *w1, const char *w2)
{
	const struct cmd *t, *best = NULL;
	size_t g, d, bestd = 3;

	for (g = 0; g < NELEM(groups); g++)
		for (t = groups[g]; t->name != NULL; t++) {
			if (t->group == NULL)
				d = edit_distance(w1, t->name);
			else if (w2 == NULL)
				d = edit_distance(w1, t->group);
			else
				d = edit_distance(w1, t->group) +
				    edit_distance(w2, t->name);
			if (d < bestd) {
				bestd = d;
				best = t;
			}
		}
	return best;
}

/*
 * unknown - the error for words that name no command: the words, the
 * nearest command, and the usage of the group when the group is known;
 * returns 64
 */
static int
unknown(const char *w1, const char *w2)
{
	const struct cmd *s;
	int known = group_known(w1);

	char sug[128];

	if (known && w2 == NULL)
		emsg("%s: subcommand missing", w1);
	else if (known)
		emsg("%s %s: unknown subcommand", w1, w2);
	else
		emsg("%s: unknown command", w1);
	s = known && w2 == NULL ? NULL : suggest(w1, w2);
	if (s == NULL && !known && w2 != NULL)
		s = suggest(w1, w2 = NULL);	/* at least the group */
	sug[0] = '\0';
	if (s != NULL && s->group == NULL)
		snprintf(sug, sizeof(sug), "%s", s->name);
	else if (s != NULL && w2 == NULL)
		snprintf(sug, sizeof(sug), "%s", s->group);
	else if (s != NULL)
		snprintf(sug, sizeof(sug), "%s %s", s->group, s->name);
	if (sug[0] != '\0' && json_errors)
		suggestion = strdup(sug);
	else if (sug[0] != '\0')
		fprintf(stderr, "vudbadm: did you mean '%s'?\n", sug);
	if ((!known || usage_of(stderr, w1, NULL) == 0) && !json_errors)
		fputs("vudbadm: 'vudbadm help' lists the commands\n", stderr);
	return EX_USAGE;
}

/* list_commands - "help --commands": every command, one a line, as its
 * words ("user add", "lookup"), for completion scripts */
static int
list_commands(void)
{
	const struct cmd *t;
	size_t g;

	for (g = 0; g < NELEM(groups); g++)
		for (t = groups[g]; t->name != NULL; t++)
			printf("%s%s%s\n", t->group != NULL ? t->group : "",
			    t->group != NULL ? " " : "", t->name);
	return EX_OK;
}

/* help_asked - whether args, up to "--", hold --help */
static int
help_asked(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0)
			return 1;
	return 0;
}

static const struct option global_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

/* run - vudbadm; returns the exit status */
static int
run(int argc, char **argv)
{
	struct ctx c;
	const struct cmd *t;
	char cmdname[64];
	int i, ch, used, rc;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--json") == 0)
			json_errors = 1;
	/* passwords pass through this process: no core file may keep one */
	(void)setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	memset(&c, 0, sizeof(c));
	jw_init(&c.jw, stdout);
	catch_signals();
	/* global options, up to the command ('+': getopt stops there) */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:d:hj", global_opts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'd':
			c.store = optarg;
			break;
		case 'j':
			c.json = 1;
			break;
		case 'h':
			usage_all(stdout);
			return EX_OK;
		case 'V':
			printf("vudbadm %s\n", vudb_version(NULL, NULL, NULL));
			return EX_OK;
		case ':':
			emsg("%s needs an argument", argv[optind - 1]);
			usage_all(stderr);
			return EX_USAGE;
		default:
			if (optopt != 0 && optopt != 'V')
				emsg("unknown option -%c", optopt);
			else
				emsg("unknown option %.*s",
				    (int)strcspn(argv[optind - 1], "="),
				    argv[optind - 1]);
			usage_all(stderr);
			return EX_USAGE;
		}
	}
	i = optind;
	if (i < argc && strcmp(argv[i], "help") == 0) {
		if (i + 2 == argc && strcmp(argv[i + 1], "--commands") == 0)
			return list_commands();
		if (i + 1 >= argc) {
			usage_all(stdout);
			return EX_OK;
		}
		if (i + 3 < argc) {
			emsg("help: too many arguments");
			return usage_all(stderr), EX_USAGE;
		}
		if (usage_of(stdout, argv[i + 1], i + 2 < argc ?
		    argv[i + 2] : NULL) > 0)
			return EX_OK;
		return unknown(argv[i + 1], i + 2 < argc ? argv[i + 2] :
		    NULL);
	}
	if (i >= argc) {
		emsg("command missing");
		usage_all(stderr);
		return EX_USAGE;
	}
	if ((t = find(argc - i, argv + i, &used)) == NULL) {
		/* "vudbadm user --help" */
		if (group_known(argv[i]) && help_asked(argc - i - 1,
		    argv + i + 1) && usage_of(stdout, argv[i], NULL) > 0)
			return EX_OK;
		return unknown(argv[i], i + 1 < argc ? argv[i + 1] : NULL);
	}
	if (help_asked(argc - i - used, argv + i + used)) {
		fputs("usage:", stdout);
		usage_line(stdout, t);
		return EX_OK;
	}
	current = t;
	snprintf(cmdname, sizeof(cmdname), "%s%s%s",
	    t->group != NULL ? t->group : "", t->group != NULL ? " " : "",
	    t->name);
	c.cmd = cmdname;
	c.def = t;
	rc = t->fn(&c, argc - i - used, argv + i + used);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (rc == EX_OK)
			rc = fail_msg(&c, EX_IOERR, "writing the output "
			    "failed");
	}
	/* a batch still open is aborted; the watchdog watches the close
	 * too (it flushes the log: a dead process may hold its mutex) */
	vudb_close(c.db);
	stop_watchdog();
	c.db = NULL;
	if (caught != 0)
		die_of_signal(caught);
	store_busy = 0;
	return rc;
}

int
main(int argc, char **argv)
{
	return err_finish(run(argc, argv));
}
