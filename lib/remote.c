/* remote.c — see remote.h.  The local transport lives here; transport ssh
 * is handed to remote_ssh.c. */
#include "remote.h"
#include "shquote.h"
#include "remote_ssh.h"
#include "paths.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

struct remote {
	enum transport transport;
	struct remote_ssh *ssh;
};

struct remote *
remote_open(const struct config *cfg, const struct peer *p, char **errmsg)
{
	struct remote *r;

	*errmsg = NULL;
	switch (p->transport) {
	case TRANSPORT_LOCAL:
		r = xcalloc(1, sizeof(*r));
		r->transport = TRANSPORT_LOCAL;
		return r;
	case TRANSPORT_SSH:
		r = xcalloc(1, sizeof(*r));
		r->transport = TRANSPORT_SSH;
		if ((r->ssh = remote_ssh_open(cfg, p, errmsg)) == NULL) {
			free(r);
			if (*errmsg == NULL)
				*errmsg = xstrdup("ssh: cannot open");
			return NULL;
		}
		return r;
	case TRANSPORT_HTTP:
	default:
		*errmsg = xstrdup("transport http: no shell access to this peer");
		return NULL;
	}
}

void
remote_close(struct remote *r)
{
	if (r == NULL)
		return;
	if (r->ssh)
		remote_ssh_close(r->ssh);
	free(r);
}

/* ---- local commands ---------------------------------------------------- */

static void
close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static int
local_exec(const char *cmd, const void *in, size_t inlen, struct buf *out,
    struct buf *errout, int *status, char **errmsg)
{
	int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1};
	int ws, saved, held = -1;
	bool watched = in == NULL || inlen == 0;
	char *script = watched ? shell_watched(cmd) : NULL;
	pid_t pid;
	size_t off = 0;
	struct sigaction ign, old;
	char chunk[65536];

	if (pipe2(pin, O_CLOEXEC) != 0 || pipe2(pout, O_CLOEXEC) != 0 ||
	    pipe2(perr, O_CLOEXEC) != 0) {
		saved = errno;
		close_fd(&pin[0]); close_fd(&pin[1]);
		close_fd(&pout[0]); close_fd(&pout[1]);
		*errmsg = xasprintf("pipe: %s", strerror(saved));
		free(script);
		return -1;
	}
	if ((pid = fork()) == -1) {
		saved = errno;
		close_fd(&pin[0]); close_fd(&pin[1]);
		close_fd(&pout[0]); close_fd(&pout[1]);
		close_fd(&perr[0]); close_fd(&perr[1]);
		*errmsg = xasprintf("fork: %s", strerror(saved));
		free(script);
		return -1;
	}
	if (pid == 0) {
		if (dup2(pin[0], 0) == -1 || dup2(pout[1], 1) == -1 ||
		    dup2(perr[1], 2) == -1)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		/* Nothing else of ours leaks into the command (or a daemon it
		 * starts, which would hold our callers' pipes open). */
		close_range(3, ~0U, 0);
		/* A session of its own: the watcher ends the command's
		 * process group, never ours (shell_watched). */
		if (watched && setsid() == -1)
			_exit(127);
		execl("/bin/sh", "sh", "-c", watched ? script : cmd, (char *)NULL);
		_exit(127);
	}
	free(script);
	close_fd(&pin[0]);
	close_fd(&pout[1]);
	close_fd(&perr[1]);
	if (watched) {
		/* held open, never written: it ends when we do */
		held = pin[1];
		pin[1] = -1;
	} else if (fcntl(pin[1], F_SETFL, O_NONBLOCK) == -1) {
		/* fall back to blocking writes; poll still tells us when */
	}

	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old);

	while (pin[1] >= 0 || pout[0] >= 0 || perr[0] >= 0) {
		struct pollfd pfd[3];
		int n = 0, iin = -1, iout = -1, ierr = -1, i;

		if (pin[1] >= 0) {
			pfd[n].fd = pin[1]; pfd[n].events = POLLOUT; iin = n++;
		}
		if (pout[0] >= 0) {
			pfd[n].fd = pout[0]; pfd[n].events = POLLIN; iout = n++;
		}
		if (perr[0] >= 0) {
			pfd[n].fd = perr[0]; pfd[n].events = POLLIN; ierr = n++;
		}
		if (poll(pfd, n, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (iin >= 0 && pfd[iin].revents) {
			ssize_t w = write(pin[1], (const char *)in + off,
			    inlen - off);
			if (w > 0)
				off += (size_t)w;
			if ((w < 0 && errno != EAGAIN && errno != EINTR) ||
			    off == inlen)
				close_fd(&pin[1]);
		}
		for (i = 0; i < 2; i++) {
			int idx = i == 0 ? iout : ierr;
			int *fd = i == 0 ? &pout[0] : &perr[0];
			struct buf *dst = i == 0 ? out : errout;
			ssize_t rd;

			if (idx < 0 || pfd[idx].revents == 0)
				continue;
			rd = read(*fd, chunk, sizeof(chunk));
			if (rd > 0) {
				if (dst)
					buf_append(dst, chunk, (size_t)rd);
			} else if (rd == 0 || (errno != EINTR && errno != EAGAIN))
				close_fd(fd);
		}
	}
	close_fd(&pin[1]);
	close_fd(&held);
	close_fd(&pout[0]);
	close_fd(&perr[0]);
	sigaction(SIGPIPE, &old, NULL);

	while (waitpid(pid, &ws, 0) == -1) {
		if (errno != EINTR) {
			*errmsg = xasprintf("waitpid: %s", strerror(errno));
			return -1;
		}
	}
	if (WIFEXITED(ws))
		*status = WEXITSTATUS(ws);
	else if (WIFSIGNALED(ws))
		*status = 128 + WTERMSIG(ws);
	else
		*status = -1;
	if (out)
		buf_append(out, "", 0);
	if (errout)
		buf_append(errout, "", 0);
	return 0;
}

/* ---- local file copies ------------------------------------------------- */

/* Copy src to dst through a temporary file beside dst, then rename. */
static int
local_copy(const char *src, const char *dst, mode_t mode, bool keep_src_mode,
    unsigned long long max_size, remote_progress_fn progress, void *arg,
    char **errmsg)
{
	char *sx = path_expand_tilde(src), *dx = path_expand_tilde(dst);
	char *tmp = NULL, *slash;
	int in = -1, out = -1, rc = -1;
	struct stat st;
	unsigned long long done = 0, total;
	size_t bufsz = 1 << 20;
	char *chunk = NULL;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	if ((in = open(sx, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		*errmsg = xasprintf("%s: %s", src, strerror(errno));
		goto out;
	}
	if (fstat(in, &st) == -1) {
		*errmsg = xasprintf("%s: %s", src, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		*errmsg = xasprintf("%s: %s", src, strerror(EISDIR));
		goto out;
	}
	/* Only regular files: a device or a FIFO never ends (/dev/zero). */
	if (!S_ISREG(st.st_mode)) {
		*errmsg = xasprintf("%s: not a regular file", src);
		goto out;
	}
	if (fcntl(in, F_SETFL, 0) == -1) {
		*errmsg = xasprintf("%s: %s", src, strerror(errno));
		goto out;
	}
	total = S_ISREG(st.st_mode) ? (unsigned long long)st.st_size : 0;
	if (max_size > 0 && total > max_size) {
		*errmsg = xasprintf("%s: file too large (%llu bytes, limit %llu)",
		    src, total, max_size);
		goto out;
	}
	if (keep_src_mode)
		mode = st.st_mode & 0777;
	slash = strrchr(dx, '/');
	if (slash)
		tmp = xasprintf("%.*s/.%s.part.XXXXXX", (int)(slash - dx), dx,
		    slash + 1);
	else
		tmp = xasprintf(".%s.part.XXXXXX", dx);
	if ((out = mkostemp(tmp, O_CLOEXEC)) == -1) {
		*errmsg = xasprintf("%s: %s", dst, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	chunk = xmalloc(bufsz);
	for (;;) {
		ssize_t n = read(in, chunk, bufsz);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			*errmsg = xasprintf("%s: %s", src, strerror(errno));
			goto out;
		}
		if (max_size > 0 && done + (unsigned long long)n > max_size) {
			*errmsg = xasprintf("%s: file too large (limit %llu bytes)",
			    src, max_size);
			goto out;
		}
		if (write_all(out, chunk, (size_t)n) != 0) {
			*errmsg = xasprintf("%s: %s", dst, strerror(errno));
			goto out;
		}
		done += (unsigned long long)n;
		if (progress)
			progress(arg, done, total);
	}
	if (fchmod(out, mode) == -1 || fsync(out) == -1) {
		*errmsg = xasprintf("%s: %s", dst, strerror(errno));
		goto out;
	}
	if (close(out) == -1) {
		out = -1;
		*errmsg = xasprintf("%s: %s", dst, strerror(errno));
		goto out;
	}
	out = -1;
	if (rename(tmp, dx) == -1) {
		*errmsg = xasprintf("%s: %s", dst, strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	rc = 0;
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(chunk);
	free(sx);
	free(dx);
	return rc;
}

/* ---- dispatch ----------------------------------------------------------- */

int
remote_exec(struct remote *r, const char *cmd, const void *in, size_t inlen,
    struct buf *out, struct buf *errout, int *status, char **errmsg)
{
	*errmsg = NULL;
	if (r->transport == TRANSPORT_SSH)
		return remote_ssh_exec(r->ssh, cmd, in, inlen, out, errout,
		    status, errmsg);
	return local_exec(cmd, in, inlen, out, errout, status, errmsg);
}

int
remote_put(struct remote *r, const char *local_path, const char *remote_path,
    mode_t mode, remote_progress_fn progress, void *arg, char **errmsg)
{
	*errmsg = NULL;
	if (r->transport == TRANSPORT_SSH)
		return remote_ssh_put(r->ssh, local_path, remote_path, mode,
		    progress, arg, errmsg);
	return local_copy(local_path, remote_path, mode, false, 0, progress,
	    arg, errmsg);
}

int
remote_get(struct remote *r, const char *remote_path, const char *local_path,
    unsigned long long max_size, remote_progress_fn progress, void *arg,
    char **errmsg)
{
	*errmsg = NULL;
	if (r->transport == TRANSPORT_SSH)
		return remote_ssh_get(r->ssh, remote_path, local_path, max_size,
		    progress, arg, errmsg);
	return local_copy(remote_path, local_path, 0600, false, max_size,
	    progress, arg, errmsg);
}
