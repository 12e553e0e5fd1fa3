/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * password.c - where vudbadm gets passwords: one line of standard input
 * (--password-stdin), the terminal with echo turned off (asked twice when
 * it is a new password), or random bytes (--random-password).  Never from
 * the command line or the environment.  Buffers are the caller's and are
 * wiped with explicit_bzero() by pw_wipe(); the terminal's settings are
 * restored even when the user interrupts the prompt.
 */
#include "config.h"

#include <sys/random.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "vudbadm.h"

static volatile sig_atomic_t tty_signo;

void
pw_wipe(char *buf, size_t size)
{
	explicit_bzero(buf, size);
}

/* pw_chomp - drop a trailing "\n" or "\r\n"; the length */
static size_t
pw_chomp(char *buf)
{
	size_t n = strlen(buf);

	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return n;
}

/*
 * pw_read_fd - one line from fd into buf, byte by byte so that nothing
 * after the line is consumed or buffered in stdio.  Returns the length,
 * -1 on error, -2 when the line is too long.
 */
static ssize_t
pw_read_fd(int fd, char *buf, size_t size)
{
	size_t n = 0;
	ssize_t r;
	char c;

	for (;;) {
		r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR) {
			if (tty_signo != 0 || interrupted() != 0)
				return -1;
			continue;
		}
		if (r < 0)
			return -1;
		if (r == 0 || c == '\n')
			break;
		if (n + 1 >= size) {
			explicit_bzero(&c, sizeof(c));
			return -2;
		}
		buf[n++] = c;
	}
	buf[n] = '\0';
	explicit_bzero(&c, sizeof(c));
	return (ssize_t)pw_chomp(buf);
}

/* pw_read_stdin - the first line of standard input */
int
pw_read_stdin(struct ctx *c, char *buf, size_t size)
{
	ssize_t n;

	n = pw_read_fd(STDIN_FILENO, buf, size);
	if (n == -2)
		return fail_msg(c, EX_DATAERR, "password too long");
	if (n < 0)
		return fail_msg(c, EX_IOERR, "reading the password: %s",
		    strerror(errno));
	if (n == 0)
		return fail_msg(c, EX_DATAERR, "empty password");
	return EX_OK;
}

static void
tty_catch(int signo)
{
	tty_signo = signo;
}

/* tty_prompt - prompt on the terminal fd and read a line without echo */
static int
tty_prompt(int fd, const char *prompt, char *buf, size_t size)
{
	struct sigaction sa, old[4];
	static const int sigs[4] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct termios t, save;
	ssize_t n;
	int i, saved_errno;

	if (tcgetattr(fd, &save) != 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tty_catch;
	sigemptyset(&sa.sa_mask);
	tty_signo = 0;
	for (i = 0; i < 4; i++)
		(void)sigaction(sigs[i], &sa, &old[i]);
	t = save;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	t.c_lflag |= ICANON;
	if (write(fd, prompt, strlen(prompt)) < 0)
		saved_errno = errno;	/* the read below tells */
	(void)tcsetattr(fd, TCSAFLUSH, &t);
	n = pw_read_fd(fd, buf, size);
	saved_errno = errno;
	(void)tcsetattr(fd, TCSAFLUSH, &save);
	if (write(fd, "\n", 1) < 0) {
		/* the password was read: only the echo is lost */
	}
	for (i = 0; i < 4; i++)
		(void)sigaction(sigs[i], &old[i], NULL);
	if (tty_signo != 0) {
		explicit_bzero(buf, size);
		raise(tty_signo);
		return -1;
	}
	errno = saved_errno;
	return n < 0 ? (int)n : 0;
}

/*
 * pw_read_tty - ask on the controlling terminal without echo; twice (and
 * compare) when twice is set.
 */
int
pw_read_tty(struct ctx *c, char *buf, size_t size, int twice)
{
	char again[PW_MAX + 1];
	int fd, rc = EX_OK;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) == -1)
		return fail_msg(c, EX_USAGE, "no terminal to ask for the "
		    "password: use --password-stdin");
	if (tty_prompt(fd, "Password: ", buf, size) != 0) {
		rc = fail_msg(c, EX_IOERR, "reading the password failed");
		goto out;
	}
	if (buf[0] == '\0') {
		rc = fail_msg(c, EX_DATAERR, "empty password");
		goto out;
	}
	if (twice) {
		if (tty_prompt(fd, "Retype password: ", again,
		    sizeof(again)) != 0)
			rc = fail_msg(c, EX_IOERR, "reading the password "
			    "failed");
		else if (strcmp(buf, again) != 0)
			rc = fail_msg(c, EX_DATAERR, "passwords do not match");
		explicit_bzero(again, sizeof(again));
	}
out:
	close(fd);
	if (rc != EX_OK)
		explicit_bzero(buf, size);
	return rc;
}

/*
 * pw_random - a random password of size - 1 characters from an alphabet
 * without look-alikes (no 0/O, 1/l/I): 56 symbols, 5.8 bits each.
 */
int
pw_random(char *buf, size_t size)
{
	static const char alpha[] = "abcdefghijkmnopqrstuvwxyz"
	    "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	unsigned char r[64];
	size_t n = 0, i, alen = sizeof(alpha) - 1;
	unsigned int limit = 256 - 256 % (unsigned int)alen;

	while (n + 1 < size) {
		if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
			explicit_bzero(r, sizeof(r));
			return -1;
		}
		for (i = 0; i < sizeof(r) && n + 1 < size; i++)
			if (r[i] < limit)	/* no modulo bias */
				buf[n++] = alpha[r[i] % alen];
	}
	buf[n] = '\0';
	explicit_bzero(r, sizeof(r));
	return 0;
}

/*
 * pw_get - a new password by the method chosen: 's' stdin, 't' the
 * terminal (asked twice), 'r' random (printed once on stdout).
 */
int
pw_get(struct ctx *c, int how, char *buf, size_t size)
{
	switch (how) {
	case 's':
		return pw_read_stdin(c, buf, size);
	case 'r':
		if (pw_random(buf, 21) != 0)
			return fail_msg(c, EX_TEMPFAIL, "no random bytes: %s",
			    strerror(errno));
		return EX_OK;
	}
	if (!isatty(STDIN_FILENO))
		return fail_msg(c, EX_USAGE, "standard input is not a "
		    "terminal: use --password-stdin, --password-hash or "
		    "--random-password");
	return pw_read_tty(c, buf, size, 1);
}
