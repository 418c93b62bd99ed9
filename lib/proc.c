/* proc.c — see proc.h. */
#include "proc.h"
#include "util.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#define ERR_KEEP	4096
#define MAX_LINE_DEFAULT ((size_t)64 << 20)

struct proc {
	struct proc_set *ps;
	struct proc *next, **prevp;
	pid_t pid;
	struct proc_opts o;
	char *input;			/* what is left to write */
	size_t input_len, input_off;
	int in_fd, out_fd, err_fd;
	struct event *ev_in, *ev_out, *ev_err, *ev_timeout, *ev_grace;
	struct evbuffer *out;
	struct buf err;
	bool skipping;			/* inside an overlong line */
	bool out_eof, reaped, abandoned, killed, exited;
	int status;
};

struct proc_set {
	struct event_base *base;
	struct event *ev_chld;
	struct proc *list;
	size_t n;
};

static void proc_maybe_finish(struct proc *p);

static void
close_fd(int *fd, struct event **ev)
{
	if (*ev) {
		event_free(*ev);
		*ev = NULL;
	}
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static void
proc_free(struct proc *p)
{
	if (!p->exited && p->o.on_free)
		p->o.on_free(p->o.arg);
	close_fd(&p->in_fd, &p->ev_in);
	close_fd(&p->out_fd, &p->ev_out);
	close_fd(&p->err_fd, &p->ev_err);
	if (p->ev_timeout)
		event_free(p->ev_timeout);
	if (p->ev_grace)
		event_free(p->ev_grace);
	if (p->out)
		evbuffer_free(p->out);
	buf_free(&p->err);
	free(p->input);
	if (p->prevp) {
		*p->prevp = p->next;
		if (p->next)
			p->next->prevp = p->prevp;
		p->ps->n--;
	}
	free(p);
}

char *
proc_status_text(int status)
{
	if (WIFEXITED(status))
		return xasprintf("exit %d", WEXITSTATUS(status));
	if (WIFSIGNALED(status))
		return xasprintf("signal %d", WTERMSIG(status));
	return xasprintf("status %d", status);
}

/* Deliver the complete lines in p->out. */
static void
deliver_lines(struct proc *p)
{
	size_t max = p->o.max_line ? p->o.max_line : MAX_LINE_DEFAULT;

	for (;;) {
		struct evbuffer_ptr nl;
		size_t len;
		char *line;

		nl = evbuffer_search(p->out, "\n", 1, NULL);
		if (nl.pos < 0) {
			if (evbuffer_get_length(p->out) > max) {
				if (!p->skipping)
					warnx("%s: line longer than %zu bytes "
					    "skipped", p->o.argv[0], max);
				p->skipping = true;
				evbuffer_drain(p->out, evbuffer_get_length(p->out));
			}
			return;
		}
		len = (size_t)nl.pos;
		if (p->skipping || len > max) {
			if (!p->skipping)
				warnx("%s: line longer than %zu bytes "
				    "skipped", p->o.argv[0], max);
			p->skipping = false;
			evbuffer_drain(p->out, len + 1);
			continue;
		}
		line = (char *)evbuffer_pullup(p->out, (ev_ssize_t)len + 1);
		if (line == NULL)
			return;
		line[len] = '\0';
		if (!p->abandoned && p->o.on_line)
			p->o.on_line(p, line, len, p->o.arg);
		evbuffer_drain(p->out, len + 1);
		if (p->abandoned)
			return;
	}
}

static void
out_cb(evutil_socket_t fd, short what, void *arg)
{
	struct proc *p = arg;
	int n;

	(void)what;
	n = evbuffer_read(p->out, fd, 65536);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		deliver_lines(p);
		return;
	}
	/* EOF or error: a last line without its newline still counts. */
	if (evbuffer_get_length(p->out) > 0 && !p->skipping)
		evbuffer_add(p->out, "\n", 1);
	deliver_lines(p);
	close_fd(&p->out_fd, &p->ev_out);
	p->out_eof = true;
	proc_maybe_finish(p);
}

static void
err_cb(evutil_socket_t fd, short what, void *arg)
{
	struct proc *p = arg;
	char tmp[4096];
	ssize_t n;

	(void)what;
	n = read(fd, tmp, sizeof(tmp));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		close_fd(&p->err_fd, &p->ev_err);
		return;
	}
	buf_append(&p->err, tmp, (size_t)n);
	if (p->err.len > 2 * ERR_KEEP)	/* keep the last ERR_KEEP bytes */
		buf_consume(&p->err, p->err.len - ERR_KEEP);
}

static void
in_cb(evutil_socket_t fd, short what, void *arg)
{
	struct proc *p = arg;
	ssize_t n;

	(void)what;
	while (p->input_off < p->input_len) {
		n = write(fd, p->input + p->input_off, p->input_len - p->input_off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			break;		/* EPIPE: the child does not read */
		}
		p->input_off += (size_t)n;
	}
	close_fd(&p->in_fd, &p->ev_in);
	free(p->input);
	p->input = NULL;
}

static void
kill_cb(evutil_socket_t fd, short what, void *arg)
{
	struct proc *p = arg;

	(void)fd;
	(void)what;
	if (!p->reaped)
		kill(-p->pid, p->killed ? SIGKILL : SIGTERM);
	if (!p->killed) {
		struct timeval tv = { 1, 0 };

		p->killed = true;
		evtimer_add(p->ev_timeout, &tv);
	}
}

/* A child reaped whose stdout is still open (a grandchild holds it): wait a
 * moment, then stop reading. */
static void
grace_cb(evutil_socket_t fd, short what, void *arg)
{
	struct proc *p = arg;

	(void)fd;
	(void)what;
	if (!p->out_eof) {
		if (p->out_fd >= 0)
			out_cb(p->out_fd, EV_READ, p);
		if (!p->out_eof) {
			if (evbuffer_get_length(p->out) > 0 && !p->skipping)
				evbuffer_add(p->out, "\n", 1);
			deliver_lines(p);
			close_fd(&p->out_fd, &p->ev_out);
			p->out_eof = true;
		}
	}
	proc_maybe_finish(p);
}

static void
proc_maybe_finish(struct proc *p)
{
	if (!p->reaped)
		return;
	if (!p->out_eof) {
		if (p->ev_grace == NULL) {
			struct timeval tv = { 0, 300000 };

			p->ev_grace = evtimer_new(p->ps->base, grace_cb, p);
			if (p->ev_grace)
				evtimer_add(p->ev_grace, &tv);
		}
		return;
	}
	if (p->err_fd >= 0)
		err_cb(p->err_fd, EV_READ, p);	/* what is there now */
	if (!p->abandoned && p->o.on_exit) {
		const char *e = p->err.s ? p->err.s : "";

		p->exited = true;
		p->o.on_exit(p, p->status, e, p->o.arg);
	}
	proc_free(p);
}

static void
chld_cb(evutil_socket_t fd, short what, void *arg)
{
	struct proc_set *ps = arg;
	struct proc *p, *next;

	(void)fd;
	(void)what;
	for (p = ps->list; p; p = next) {
		int st;
		pid_t r;

		next = p->next;
		if (p->reaped)
			continue;
		r = waitpid(p->pid, &st, WNOHANG);
		if (r != p->pid)
			continue;
		p->reaped = true;
		p->status = st;
		if (p->ev_timeout)
			event_del(p->ev_timeout);
		/* p may be freed here; next was taken before. */
		proc_maybe_finish(p);
	}
}

struct proc_set *
proc_set_new(struct event_base *base)
{
	struct proc_set *ps = xcalloc(1, sizeof(*ps));

	ps->base = base;
	ps->ev_chld = evsignal_new(base, SIGCHLD, chld_cb, ps);
	if (ps->ev_chld == NULL || event_add(ps->ev_chld, NULL) != 0) {
		if (ps->ev_chld)
			event_free(ps->ev_chld);
		free(ps);
		return NULL;
	}
	return ps;
}

void
proc_set_free(struct proc_set *ps)
{
	if (ps == NULL)
		return;
	while (ps->list) {
		struct proc *p = ps->list;

		if (!p->reaped) {
			kill(-p->pid, SIGKILL);
			kill(p->pid, SIGKILL);
			while (waitpid(p->pid, NULL, 0) == -1 && errno == EINTR)
				;
		}
		proc_free(p);
	}
	event_free(ps->ev_chld);
	free(ps);
}

size_t
proc_set_count(const struct proc_set *ps)
{
	return ps->n;
}

pid_t
proc_pid(const struct proc *p)
{
	return p->pid;
}

void
proc_kill(struct proc *p, int sig)
{
	if (!p->reaped) {
		kill(-p->pid, sig);
		kill(p->pid, sig);
	}
}

void
proc_abandon(struct proc *p)
{
	p->abandoned = true;
	proc_kill(p, SIGTERM);
}

static int
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return -1;
	return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void
child_exec(const struct proc_opts *o, pid_t parent, int in[2], int out[2],
    int err[2])
{
	sigset_t none;
	int s;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	for (s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (in[0] >= 0) {
		if (dup2(in[0], 0) == -1)
			_exit(127);
	} else {
		int nul = open("/dev/null", O_RDONLY);

		if (nul < 0 || dup2(nul, 0) == -1)
			_exit(127);
	}
	if (dup2(out[1], 1) == -1 || dup2(err[1], 2) == -1)
		_exit(127);
	/* Nothing of ours leaks into the child: not the other ends of its
	 * pipes (its stdin would never see EOF), not the DB, not the loop. */
	close_range(3, ~0U, 0);
	execvp(o->argv[0], o->argv);
	{
		static const char msg[] = "cannot execute\n";

		(void)!write(2, msg, sizeof(msg) - 1);
	}
	_exit(127);
}

struct proc *
proc_start(struct proc_set *ps, const struct proc_opts *o, char **errmsg)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	struct proc *p;
	pid_t parent = getpid(), pid;

	*errmsg = NULL;
	if ((o->input && pipe2(in, O_CLOEXEC) == -1) ||
	    pipe2(out, O_CLOEXEC) == -1 || pipe2(err, O_CLOEXEC) == -1) {
		*errmsg = xasprintf("pipe: %s", strerror(errno));
		goto fail;
	}
	pid = fork();
	if (pid == -1) {
		*errmsg = xasprintf("fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0)
		child_exec(o, parent, in, out, err);
	setpgid(pid, pid);	/* both sides, against the race */
	p = xcalloc(1, sizeof(*p));
	p->ps = ps;
	p->pid = pid;
	p->o = *o;
	p->in_fd = in[1];
	p->out_fd = out[0];
	p->err_fd = err[0];
	if (in[0] >= 0)
		close(in[0]);
	close(out[1]);
	close(err[1]);
	p->out = evbuffer_new();
	if (set_nonblock(p->out_fd) || set_nonblock(p->err_fd) ||
	    (p->in_fd >= 0 && set_nonblock(p->in_fd)) || p->out == NULL)
		goto fail_started;
	p->ev_out = event_new(ps->base, p->out_fd, EV_READ | EV_PERSIST,
	    out_cb, p);
	p->ev_err = event_new(ps->base, p->err_fd, EV_READ | EV_PERSIST,
	    err_cb, p);
	if (!p->ev_out || !p->ev_err || event_add(p->ev_out, NULL) ||
	    event_add(p->ev_err, NULL))
		goto fail_started;
	if (p->in_fd >= 0) {
		p->input = xmalloc(o->input_len ? o->input_len : 1);
		memcpy(p->input, o->input, o->input_len);
		p->input_len = o->input_len;
		p->ev_in = event_new(ps->base, p->in_fd, EV_WRITE | EV_PERSIST,
		    in_cb, p);
		if (!p->ev_in || event_add(p->ev_in, NULL))
			goto fail_started;
	}
	p->o.input = NULL;
	if (o->timeout_ms > 0) {
		struct timeval tv = { o->timeout_ms / 1000,
		    (o->timeout_ms % 1000) * 1000 };

		p->ev_timeout = evtimer_new(ps->base, kill_cb, p);
		if (!p->ev_timeout || evtimer_add(p->ev_timeout, &tv))
			goto fail_started;
	}
	p->next = ps->list;
	if (ps->list)
		ps->list->prevp = &p->next;
	p->prevp = &ps->list;
	ps->list = p;
	ps->n++;
	return p;

fail_started:
	*errmsg = xasprintf("cannot watch %s: %s", o->argv[0], strerror(errno));
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		;
	p->exited = true;	/* the caller still owns arg */
	proc_free(p);
	return NULL;
fail:
	if (in[0] >= 0)
		close(in[0]);
	if (in[1] >= 0)
		close(in[1]);
	if (out[0] >= 0)
		close(out[0]);
	if (out[1] >= 0)
		close(out[1]);
	if (err[0] >= 0)
		close(err[0]);
	if (err[1] >= 0)
		close(err[1]);
	return NULL;
}
