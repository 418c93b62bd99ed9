/* proxycmd.c — see proxycmd.h. */
#include "proxycmd.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shquote.h"
#include "spawnattr.h"
#include "util.h"

extern char **environ;

/* Walk tmpl; with b, build the command (values for p and user). */
static char *
walk(const char *tmpl, struct buf *b, const struct peer *p, const char *user)
{
	char port[16];

	if (p)
		snprintf(port, sizeof(port), "%d", p->port);
	for (const char *s = tmpl; *s; s++) {
		const char *v;

		if (*s != '%') {
			if (b)
				buf_putc(b, *s);
			continue;
		}
		switch (s[1]) {
		case '%':
			if (b)
				buf_putc(b, '%');
			s++;
			continue;
		case 'h':
			v = p ? p->host : NULL;
			break;
		case 'p':
			v = port;
			break;
		case 'r':
			v = user;
			break;
		case 'n':
			v = p ? p->id : NULL;
			break;
		case '\0':
			return xstrdup("a lone % at the end (write %% for a "
			    "percent sign)");
		default:
			return xasprintf("unknown token %%%c (known: %%h %%p "
			    "%%r %%n %%%%)", s[1]);
		}
		s++;
		if (b)
			buf_shell_quote(b, v ? v : "");
	}
	return NULL;
}

char *
proxycmd_check(const char *tmpl)
{
	return walk(tmpl, NULL, NULL, NULL);
}

char *
proxycmd_expand(const char *tmpl, const struct peer *p, const char *user,
    char **err)
{
	struct buf b = { 0 };

	if ((*err = walk(tmpl, &b, p, user)) != NULL) {
		buf_free(&b);
		return NULL;
	}
	if (b.s == NULL)
		buf_puts(&b, "");
	return buf_steal(&b);
}

int
proxycmd_start(const char *cmd, pid_t *pid, char **err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	int sp[2], rc;

	*pid = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		*err = xasprintf("proxy_command: socketpair: %s",
		    strerror(errno));
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sp[1], STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, sp[1], STDOUT_FILENO);
	spawn_attr_init(&at);
	rc = posix_spawn(pid, "/bin/sh", &fa, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	close(sp[1]);
	if (rc != 0) {
		*pid = -1;
		close(sp[0]);
		*err = xasprintf("proxy_command: /bin/sh: %s", strerror(rc));
		return -1;
	}
	return sp[0];
}

static char *
describe(int st)
{
	if (WIFEXITED(st))
		return xasprintf("exited with status %d", WEXITSTATUS(st));
	if (WIFSIGNALED(st))
		return xasprintf("killed by signal %d", WTERMSIG(st));
	return xstrdup("ended");
}

char *
proxycmd_ended(pid_t *pid)
{
	int st;
	pid_t r;

	if (*pid <= 0)
		return NULL;
	while ((r = waitpid(*pid, &st, WNOHANG)) == -1 && errno == EINTR)
		;
	if (r != *pid)
		return NULL;
	*pid = -1;
	return describe(st);
}

void
proxycmd_stop(pid_t *pid, int grace_ms)
{
	int st;

	if (*pid <= 0)
		return;
	kill(-*pid, SIGTERM);
	for (int waited = 0; waited < grace_ms; waited += 10) {
		pid_t r = waitpid(*pid, &st, WNOHANG);

		if (r == *pid || (r == -1 && errno != EINTR)) {
			*pid = -1;
			return;
		}
		sleep_ms(10);
	}
	kill(-*pid, SIGKILL);
	while (waitpid(*pid, &st, 0) == -1 && errno == EINTR)
		;
	*pid = -1;
}
