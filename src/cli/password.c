/*
 * password: getting the password from the user without it touching
 * anything but locked memory: a file given by --password-file (first line),
 * the DRIZZLE_PASSWORD variable (for scripts), or the terminal with echo
 * off. Never logged, never echoed, wiped by cli_password_free.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/cli.h"
#include "core/fsio.h"

#define PW_MAX 1024

void
cli_password_free(char *pw)
{
	sodium_free(pw); /* wipes before freeing */
}

/* Keep only the first line. */
static size_t
first_line(char *pw, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (pw[i] == '\n' || pw[i] == '\r')
			return i;
	return len;
}

static int
read_tty(const char *prompt, char *buf, size_t cap, size_t *len)
{
	struct termios old, quiet;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	size_t n = 0;
	int rc = 0;

	if (fd < 0) {
		cli_err("no terminal to ask the password on: use --password-file FILE or DRIZZLE_PASSWORD");
		return EXIT_USAGE;
	}
	if (tcgetattr(fd, &old) != 0) {
		close(fd);
		cli_err("cannot read the password from the terminal: %s", strerror(errno));
		return EXIT_FAIL;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL;
	/* echo off before the prompt: TCSAFLUSH drops input not yet read,
	 * so a password typed (or pasted) right after the prompt would be
	 * lost if the prompt came first */
	tcsetattr(fd, TCSAFLUSH, &quiet);
	(void)!write(fd, prompt, strlen(prompt));
	while (n < cap - 1) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || c == '\n')
			break;
		buf[n++] = c;
	}
	tcsetattr(fd, TCSAFLUSH, &old);
	close(fd);
	if (n == cap - 1) {
		cli_err("the password is longer than %d bytes", PW_MAX - 1);
		rc = EXIT_USAGE;
	}
	*len = n;
	return rc;
}

int
cli_password(const char *file, int confirm, const char *prompt, char **out,
    size_t *outlen)
{
	char *pw = sodium_malloc(PW_MAX), *again = NULL;
	const char *env = getenv("DRIZZLE_PASSWORD");
	size_t len = 0, len2 = 0;
	int rc = EXIT_OK;

	if (pw == NULL) {
		cli_err("out of memory");
		return EXIT_FAIL;
	}
	memset(pw, 0, PW_MAX);
	if (file != NULL) {
		struct dz_errmsg em = {{0}};
		int r = fsio_read_file(AT_FDCWD, file, (uint8_t *)pw, PW_MAX - 1, &len, &em);
		if (r != 0) {
			cli_err("cannot read the password file: %s", em.text);
			rc = EXIT_USAGE;
			goto out;
		}
		len = first_line(pw, len);
	} else if (env != NULL) {
		len = strlen(env);
		if (len >= PW_MAX) {
			cli_err("DRIZZLE_PASSWORD is longer than %d bytes", PW_MAX - 1);
			rc = EXIT_USAGE;
			goto out;
		}
		memcpy(pw, env, len);
		/* wipe the variable in place: that also blanks it in
		 * /proc/PID/environ, which reads this very memory */
		sodium_memzero((char *)env, len);
		unsetenv("DRIZZLE_PASSWORD");
	} else {
		if ((rc = read_tty(prompt, pw, PW_MAX, &len)) != 0)
			goto out;
		/* a new password is typed twice; a mismatch asks again, three
		 * times in all */
		for (int tries = 1; confirm; tries++) {
			if (again == NULL && (again = sodium_malloc(PW_MAX)) == NULL) {
				rc = EXIT_FAIL;
				goto out;
			}
			if ((rc = read_tty("Repeat the password: ", again, PW_MAX, &len2)) != 0)
				goto out;
			if (len2 == len && sodium_memcmp(pw, again, len) == 0)
				break;
			if (tries == 3) {
				cli_err("the two passwords differed three times; nothing was changed");
				rc = EXIT_FAIL;
				goto out;
			}
			cli_err("the two passwords differ; try again");
			if ((rc = read_tty(prompt, pw, PW_MAX, &len)) != 0)
				goto out;
		}
	}
	if (len == 0) {
		cli_err("the password is empty");
		rc = EXIT_USAGE;
		goto out;
	}
	pw[len] = '\0';
out:
	sodium_free(again);
	if (rc != EXIT_OK) {
		sodium_free(pw);
		return rc;
	}
	*out = pw;
	*outlen = len;
	return EXIT_OK;
}
