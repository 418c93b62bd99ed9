/* remote_ssh.c — remote.h over the cc-tunnel holder's SSH connection.
 *
 * Opening makes sure the holder for the peer runs (starting it when there is
 * none); every command then goes over the holder's control socket and runs
 * on a new channel of its existing connection: no second handshake.  Files
 * move as `cat` streams: put writes to a temporary name beside the target
 * and renames it; get writes to a local temporary name and renames it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"
#include "remote_ssh.h"
#include "shquote.h"
#include "tunnel.h"
#include "util.h"

struct remote_ssh {
	char *peer;
};

struct remote_ssh *
remote_ssh_open(const struct config *cfg, const struct peer *p, char **errmsg)
{
	struct remote_ssh *r;
	enum ssh_fail why;
	bool started;
	int port;
	char *e = NULL;

	if (tunnel_ensure(cfg, p, 10000, &port, &started, &why, &e) == -1) {
		*errmsg = xasprintf("%s: %s", p->id, e);
		free(e);
		return NULL;
	}
	r = xcalloc(1, sizeof *r);
	r->peer = xstrdup(p->id);
	return r;
}

void
remote_ssh_close(struct remote_ssh *r)
{
	if (!r)
		return;
	free(r->peer);
	free(r);
}

struct collect {
	struct buf *out, *err;
};

static int
collect_out(void *arg, int stream, const char *p, size_t n)
{
	struct collect *c = arg;
	struct buf *b = stream == 1 ? c->out : c->err;

	if (b)
		buf_append(b, p, n);
	return 0;
}

int
remote_ssh_exec(struct remote_ssh *r, const char *cmd, const void *in,
    size_t inlen, struct buf *out, struct buf *errout, int *status, char **errmsg)
{
	struct collect c = { out, errout };
	struct tunnel_exec_io io = { .in_fd = -1, .in = in, .inlen = inlen,
	    .on_out = collect_out, .arg = &c };
	char *e = NULL;

	if (tunnel_exec(r->peer, cmd, &io, status, &e) == -1) {
		*errmsg = xasprintf("%s: exec: %s", r->peer, e);
		free(e);
		return -1;
	}
	return 0;
}

struct put_state {
	struct buf err;
	remote_progress_fn progress;
	void *arg;
	unsigned long long total;
};

static int
put_out(void *arg, int stream, const char *p, size_t n)
{
	struct put_state *ps = arg;

	if (stream == 2 && ps->err.len < 4096)
		buf_append(&ps->err, p, n);
	return 0;
}

static void
put_in(void *arg, unsigned long long sent)
{
	struct put_state *ps = arg;

	if (ps->progress)
		ps->progress(ps->arg, sent, ps->total);
}

static char *
first_line(struct buf *b)
{
	char *s = b->len ? xstrdup(b->s) : xstrdup("");
	char *nl = strchr(s, '\n');

	if (nl)
		*nl = '\0';
	return s;
}

int
remote_ssh_put(struct remote_ssh *r, const char *local_path,
    const char *remote_path, mode_t mode, remote_progress_fn progress, void *arg,
    char **errmsg)
{
	struct put_state ps = { .progress = progress, .arg = arg };
	struct stat st;
	int fd, status = 0, rc = -1;
	char *e = NULL;

	if ((fd = open(local_path, O_RDONLY | O_CLOEXEC)) == -1 || fstat(fd, &st) == -1) {
		*errmsg = xasprintf("%s: %s", local_path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	ps.total = (unsigned long long)st.st_size;
	char *dst = shell_quote_path(remote_path);
	char *tmpname = xasprintf("%s.cc-tmp.", remote_path);
	char *tmp = shell_quote_path(tmpname);
	/* The size is checked before the rename: when the client goes away
	 * mid-transfer, cat sees an early end of input and exits 0, and a
	 * truncated file must not replace the destination. */
	char *cmd = xasprintf("umask 077 && t=%s$$ && cat > \"$t\" && "
	    "[ $(($(wc -c < \"$t\"))) -eq %llu ] && chmod %o \"$t\" "
	    "&& mv -f \"$t\" %s || { rm -f \"$t\"; exit 1; }", tmp,
	    (unsigned long long)st.st_size, (unsigned)(mode & 07777), dst);
	struct tunnel_exec_io io = { .in_fd = fd, .on_out = put_out,
	    .on_in = put_in, .arg = &ps };
	if (tunnel_exec(r->peer, cmd, &io, &status, &e) == -1) {
		*errmsg = xasprintf("%s: put %s: %s", r->peer, remote_path, e);
		free(e);
	} else if (status != 0) {
		char *l = first_line(&ps.err);
		*errmsg = xasprintf("%s: put %s: exit %d%s%s", r->peer, remote_path,
		    status, *l ? ": " : "", l);
		free(l);
	} else {
		if (progress)
			progress(arg, ps.total, ps.total);
		rc = 0;
	}
	close(fd);
	free(dst);
	free(tmpname);
	free(tmp);
	free(cmd);
	buf_free(&ps.err);
	return rc;
}

struct get_state {
	int fd;
	struct buf err;
	unsigned long long got, total, max;
	remote_progress_fn progress;
	void *arg;
	bool too_big, write_failed;
};

static int
get_out(void *arg, int stream, const char *p, size_t n)
{
	struct get_state *gs = arg;

	if (stream == 2) {
		if (gs->err.len < 4096)
			buf_append(&gs->err, p, n);
		return 0;
	}
	gs->got += n;
	if (gs->max && gs->got > gs->max) {
		gs->too_big = true;
		return -1;
	}
	if (write_all(gs->fd, p, n) == -1) {
		gs->write_failed = true;
		return -1;
	}
	if (gs->progress)
		gs->progress(gs->arg, gs->got, gs->total);
	return 0;
}

int
remote_ssh_get(struct remote_ssh *r, const char *remote_path,
    const char *local_path, unsigned long long max_size,
    remote_progress_fn progress, void *arg, char **errmsg)
{
	struct get_state gs = { .fd = -1, .max = max_size, .progress = progress,
	    .arg = arg };
	struct buf out = { 0 }, err = { 0 };
	int status = 0, rc = -1;
	char *e = NULL, *q = shell_quote_path(remote_path), *cmd, *tmp = NULL;
	long long size;

	/* the size first: refuse before moving a byte */
	/* Only a regular file, checked before anything reads it: a device or
	 * a FIFO (/dev/zero) would keep wc and cat reading forever. */
	cmd = xasprintf("f=%s; if [ ! -e \"$f\" ]; then echo 'No such file or "
	    "directory' >&2; exit 1; elif [ ! -f \"$f\" ]; then echo 'not a "
	    "regular file' >&2; exit 1; fi; exec wc -c < \"$f\"", q);
	if (remote_ssh_exec(r, cmd, NULL, 0, &out, &err, &status, errmsg) == -1)
		goto done;
	buf_puts(&out, "");
	if (status != 0 || !str_to_ll(str_trim(out.s), 0,
	    (long long)(~0ULL >> 1), &size)) {
		char *l = first_line(&err);
		*errmsg = xasprintf("%s: get %s: %s", r->peer, remote_path,
		    *l ? l : "cannot read");
		free(l);
		goto done;
	}
	gs.total = (unsigned long long)size;
	if (max_size && gs.total > max_size) {
		*errmsg = xasprintf("%s: get %s: %lld bytes, more than the limit of "
		    "%llu", r->peer, remote_path, size, max_size);
		goto done;
	}
	tmp = xasprintf("%s.cc-tmp.%ld", local_path, (long)getpid());
	if ((gs.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1) {
		*errmsg = xasprintf("%s: %s", tmp, strerror(errno));
		goto done;
	}
	free(cmd);
	cmd = xasprintf("f=%s; [ -f \"$f\" ] || { echo 'not a regular file' "
	    ">&2; exit 1; }; exec cat < \"$f\"", q);
	struct tunnel_exec_io io = { .in_fd = -1, .on_out = get_out, .arg = &gs };
	if (tunnel_exec(r->peer, cmd, &io, &status, &e) == -1) {
		if (gs.too_big)
			*errmsg = xasprintf("%s: get %s: larger than the limit of %llu",
			    r->peer, remote_path, max_size);
		else if (gs.write_failed)
			*errmsg = xasprintf("%s: %s", tmp, strerror(errno));
		else
			*errmsg = xasprintf("%s: get %s: %s", r->peer, remote_path, e);
		free(e);
		goto done;
	}
	if (status != 0) {
		char *l = first_line(&gs.err);
		*errmsg = xasprintf("%s: get %s: exit %d%s%s", r->peer, remote_path,
		    status, *l ? ": " : "", l);
		free(l);
		goto done;
	}
	if (close(gs.fd) == -1) {
		gs.fd = -1;
		*errmsg = xasprintf("%s: %s", tmp, strerror(errno));
		goto done;
	}
	gs.fd = -1;
	if (rename(tmp, local_path) == -1) {
		*errmsg = xasprintf("%s: %s", local_path, strerror(errno));
		goto done;
	}
	free(tmp);
	tmp = NULL;
	rc = 0;
done:
	if (gs.fd != -1)
		close(gs.fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(q);
	free(cmd);
	buf_free(&out);
	buf_free(&err);
	buf_free(&gs.err);
	return rc;
}
