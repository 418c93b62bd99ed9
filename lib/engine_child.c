/* engine_child.c — start and stop a bridge's own cc-engine.  See
 * engine_child.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "engine_child.h"
#include "util.h"

char *
engine_child_path(void)
{
	const char *env = getenv("CC_ENGINE");
	char self[PATH_MAX];
	ssize_t n;

	if (env && *env)
		return xstrdup(env);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		char *slash, *cand;

		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			cand = xasprintf("%s/cc-engine", self);
			if (access(cand, X_OK) == 0)
				return cand;
			free(cand);
		}
	}
	return xstrdup("cc-engine");
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void
child_exec(const char *path, char *const argv[], pid_t parent, int in_fd,
    int out_fd)
{
	sigset_t none;
	int s;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(127);
	for (s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(in_fd, 0) == -1 || dup2(out_fd, 1) == -1)
		_exit(127);
	close_range(3, ~0U, 0);
	if (strchr(path, '/'))
		execv(path, argv);
	else
		execvp(path, argv);
	{
		static const char msg[] = "cc-engine: cannot execute\n";

		(void)!write(2, msg, sizeof(msg) - 1);
	}
	_exit(127);
}

int
engine_child_start(const char *path, char *const args[],
    struct engine_child *ec, char **errmsg)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 };
	size_t n = 0, i;
	char **argv;
	pid_t parent = getpid(), pid;

	ec->pid = -1;
	ec->to_engine = ec->from_engine = -1;
	*errmsg = NULL;
	while (args && args[n])
		n++;
	argv = xcalloc(n + 2, sizeof(*argv));
	argv[0] = (char *)path;
	for (i = 0; i < n; i++)
		argv[i + 1] = args[i];
	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1) {
		*errmsg = xasprintf("pipe: %s", strerror(errno));
		goto fail;
	}
	fflush(NULL);
	pid = fork();
	if (pid == -1) {
		*errmsg = xasprintf("fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0)
		child_exec(path, argv, parent, in[0], out[1]);
	setpgid(pid, pid);	/* both sides, against the race */
	free(argv);
	close(in[0]);
	close(out[1]);
	ec->pid = pid;
	ec->to_engine = in[1];
	ec->from_engine = out[0];
	if (fcntl(in[1], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(out[0], F_SETFL, O_NONBLOCK) == -1) {
		*errmsg = xasprintf("fcntl: %s", strerror(errno));
		(void)engine_child_stop(ec, 0);
		return -1;
	}
	return 0;
fail:
	free(argv);
	for (i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	return -1;
}

bool
engine_child_reap(struct engine_child *ec, int *status)
{
	int st;
	pid_t r;

	if (ec->pid <= 0) {
		*status = 0;
		return true;
	}
	do
		r = waitpid(ec->pid, &st, WNOHANG);
	while (r == -1 && errno == EINTR);
	if (r == 0)
		return false;
	*status = r == ec->pid ? st : 0;
	ec->pid = -1;
	return true;
}

void
engine_child_close_fds(struct engine_child *ec)
{
	if (ec->to_engine >= 0)
		close(ec->to_engine);
	if (ec->from_engine >= 0)
		close(ec->from_engine);
	ec->to_engine = ec->from_engine = -1;
}

/* Wait up to ms for the child; true when reaped. */
static bool
wait_ms(struct engine_child *ec, long ms, int *status)
{
	long long end = monotonic_ms() + ms;

	for (;;) {
		if (engine_child_reap(ec, status))
			return true;
		if (monotonic_ms() >= end)
			return false;
		sleep_ms(20);
	}
}

int
engine_child_stop(struct engine_child *ec, long grace_ms)
{
	int st = 0;

	engine_child_close_fds(ec);
	if (ec->pid <= 0)
		return 0;
	if (wait_ms(ec, grace_ms, &st))
		return st;
	kill(-ec->pid, SIGTERM);
	kill(ec->pid, SIGTERM);
	if (wait_ms(ec, 1000, &st))
		return st;
	kill(-ec->pid, SIGKILL);
	kill(ec->pid, SIGKILL);
	while (waitpid(ec->pid, &st, 0) == -1 && errno == EINTR)
		;
	ec->pid = -1;
	return st;
}
