/* daemon_token.c — see daemon_token.h. */
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "daemon_token.h"
#include "paths.h"
#include "util.h"

int
token_file_read(const char *path, char **tok, char **err)
{
	struct stat st;
	struct buf b = { 0 };
	int fd;

	*tok = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		if (errno == ENOENT)
			return 0;
		*err = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		*err = xasprintf("%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		*err = xasprintf("%s: not a file of yours (remove it: rm %s)",
		    path, path);
		close(fd);
		return -1;
	}
	if (st.st_mode & 077) {
		*err = xasprintf("%s: mode %04o lets others read the token "
		    "(chmod 600 %s)", path, (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return -1;
	}
	if (read_fd(fd, 4096, &b) == -1) {
		*err = xasprintf("%s: %s", path, strerror(errno));
		close(fd);
		buf_free(&b);
		return -1;
	}
	close(fd);
	str_trim(b.s ? b.s : (char *)"");
	if (b.s == NULL || *b.s == '\0' || strpbrk(b.s, "\r\n \t")) {
		*err = xasprintf("%s: not a token", path);
		buf_free(&b);
		return -1;
	}
	*tok = xstrdup(b.s);
	explicit_bzero(b.s, b.len);
	buf_free(&b);
	return 0;
}

int
token_file_write(const char *path, const char *tok, char **err)
{
	char *tmp = xasprintf("%s.tmp%ld", path, (long)getpid());
	int fd, rc = -1;

	if (mkdir_parent(path, 0700) == -1) {
		*err = xasprintf("%s: %s", path, strerror(errno));
		free(tmp);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd != -1) {
		if (write_all(fd, tok, strlen(tok)) == 0 &&
		    write_all(fd, "\n", 1) == 0 && close(fd) == 0)
			rc = rename(tmp, path);
		else
			close(fd);
	}
	if (rc == -1) {
		*err = xasprintf("%s: %s", path, strerror(errno));
		(void)unlink(tmp);
	}
	free(tmp);
	return rc;
}

int
daemon_token_ensure(const char *path, char **tok, char **err)
{
	unsigned char r[DAEMON_TOKEN_HEX / 2];
	char hex[DAEMON_TOKEN_HEX + 2], *tmp;
	size_t got = 0, i;
	int fd, rc;

	if (token_file_read(path, tok, err) == -1)
		return -1;
	if (*tok)
		return 0;
	while (got < sizeof(r)) {
		ssize_t n = getrandom(r + got, sizeof(r) - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			*err = xasprintf("getrandom: %s", strerror(errno));
			return -1;
		}
		got += (size_t)n;
	}
	for (i = 0; i < sizeof(r); i++)
		snprintf(hex + 2 * i, 3, "%02x", r[i]);
	hex[DAEMON_TOKEN_HEX] = '\n';
	hex[DAEMON_TOKEN_HEX + 1] = '\0';
	explicit_bzero(r, sizeof(r));
	if (mkdir_parent(path, 0700) == -1) {
		*err = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	/* Written whole under a temporary name, then link(2)ed into place:
	 * a daemon starting at the same moment either wins or reads the
	 * winner's complete file. */
	tmp = xasprintf("%s.tmp%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		*err = xasprintf("%s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	rc = write_all(fd, hex, strlen(hex));
	if (close(fd) == -1)
		rc = -1;
	if (rc == 0 && link(tmp, path) == -1 && errno != EEXIST)
		rc = -1;
	if (rc == -1)
		*err = xasprintf("%s: %s", path, strerror(errno));
	(void)unlink(tmp);
	free(tmp);
	explicit_bzero(hex, sizeof(hex));
	if (rc == -1)
		return -1;
	return token_file_read(path, tok, err) == 0 && *tok ? 0 : -1;
}

/* The port in a one-line file, or 0. */
static int
port_in(const char *path)
{
	struct buf b = { 0 };
	long long v = 0;

	if (read_file(path, 64, &b) == 0 && b.s)
		(void)str_to_ll(str_trim(b.s), 1, 65535, &v);
	buf_free(&b);
	return (int)v;
}

static char *
token_or_warn(const char *path)
{
	char *tok = NULL, *e = NULL;

	if (token_file_read(path, &tok, &e) == -1) {
		warnx("%s (not sent)", e);
		free(e);
		return NULL;
	}
	return tok;
}

char *
daemon_token_for_port(int port)
{
	char *f = path_state("daemon.port"), *dir, *tok = NULL;
	DIR *d;
	struct dirent *de;

	if (port_in(f) == port) {
		free(f);
		f = path_state("daemon.token");
		tok = token_or_warn(f);
		free(f);
		return tok;
	}
	free(f);
	dir = path_state("tunnels");
	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return NULL;
	}
	while (tok == NULL && (de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		char *pf;

		if (n <= 5 || strcmp(de->d_name + n - 5, ".port") != 0 ||
		    de->d_name[0] == '.')
			continue;
		pf = xasprintf("%s/%s", dir, de->d_name);
		if (port_in(pf) == port) {
			char *tf = xasprintf("%s/%.*s.token", dir, (int)(n - 5),
			    de->d_name);

			tok = token_or_warn(tf);
			free(tf);
			free(pf);
			break;
		}
		free(pf);
	}
	closedir(d);
	free(dir);
	return tok;
}
