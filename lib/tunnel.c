/* tunnel.c — the tunnel holder and its control protocol.  See tunnel.h. */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon_token.h"
#include "paths.h"
#include "shquote.h"
#include "tunnel.h"
#include "util.h"

#define FWD_BUF		(128 * 1024)	/* per direction per connection */
#define CTL_MAX_FRAME	(1 << 20)
#define CTL_BUF_MAX	(256 * 1024)	/* exec stdin / output backlog */
#define BACKOFF_MAX_S	30

/* ---------- small helpers ---------- */

void
tunnel_state_free(struct tunnel_state *st)
{
	free(st->peer);
	free(st->started);
	memset(st, 0, sizeof *st);
}

bool
tunnel_peer_name_ok(const char *peer)
{
	if (!peer || !*peer || *peer == '.' || strlen(peer) > 100)
		return false;
	for (const char *s = peer; *s; s++)
		if (*s == '/' || (unsigned char)*s < 0x20)
			return false;
	return true;
}

int
tunnel_exit_code(enum ssh_fail why)
{
	switch (why) {
	case SSH_FAIL_NONE: return 0;
	case SSH_FAIL_RESOLVE:
	case SSH_FAIL_CONNECT: return 3;
	case SSH_FAIL_HOSTKEY: return 4;
	case SSH_FAIL_AUTH: return 5;
	case SSH_FAIL_PROTO: return 6;
	}
	return 1;
}

/* lstat(2) path: a directory (or, want_sock, a socket) of this user, with
 * no permission bits for others in forbid.  0, or -1 with errno EPERM and
 * a line on stderr that says how to fix it. */
static int
check_private(const char *path, bool want_sock, mode_t forbid)
{
	struct stat st;

	if (lstat(path, &st) == -1)
		return errno == ENOENT && want_sock ? 0 : -1;
	if ((want_sock ? !S_ISSOCK(st.st_mode) : !S_ISDIR(st.st_mode)) ||
	    st.st_uid != geteuid()) {
		warnx("%s: not a %s of yours (uid %ld); refusing to use it "
		    "(remove it: rm -%s %s)", path, want_sock ? "socket" :
		    "directory", (long)st.st_uid, want_sock ? "f" : "rf", path);
		errno = EPERM;
		return -1;
	}
	if (st.st_mode & forbid) {
		warnx("%s: mode %04o lets other users in; refusing to use it "
		    "(chmod %s %s)", path, (unsigned)(st.st_mode & 07777),
		    want_sock ? "600" : forbid == 022 ? "go-w" : "700", path);
		errno = EPERM;
		return -1;
	}
	return 0;
}

/* ~/.codecast/tunnels, created 0700, checked: this user's, nothing for
 * others (~/.codecast: this user's, writable by nobody else).  Another
 * user who could write there could put a socket of theirs in place. */
static char *
tunnels_dir(void)
{
	char *dir = state_dir("tunnels"), *top;

	if (dir == NULL)
		return NULL;
	top = path_state(NULL);
	if (check_private(top, false, 022) == -1 ||
	    check_private(dir, false, 077) == -1) {
		free(top);
		free(dir);
		return NULL;
	}
	free(top);
	return dir;
}

static char *
state_file(const char *peer, const char *ext)
{
	char *dir = tunnels_dir();
	char *f;

	if (!dir)
		return NULL;
	f = xasprintf("%s/%s.%s", dir, peer, ext);
	free(dir);
	return f;
}

static int
write_state(const char *peer, const char *ext, const char *value)
{
	char *f = state_file(peer, ext), *tmp;
	int fd, rc = -1;

	if (!f)
		return -1;
	tmp = xasprintf("%s.tmp%ld", f, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd != -1) {
		if (write_all(fd, value, strlen(value)) == 0 &&
		    write_all(fd, "\n", 1) == 0 && close(fd) == 0)
			rc = rename(tmp, f);
		else
			close(fd);
	}
	if (rc == -1)
		unlink(tmp);
	free(tmp);
	free(f);
	return rc;
}

static char *
read_state(const char *peer, const char *ext)
{
	char *f = state_file(peer, ext);
	struct buf b = { 0 };

	if (!f)
		return NULL;
	if (read_file(f, 4096, &b) == -1) {
		free(f);
		buf_free(&b);
		return NULL;
	}
	free(f);
	str_trim(b.s);
	return buf_steal(&b);
}

static void
remove_state(const char *peer)
{
	static const char *exts[] = { "pid", "port", "started", "sock", "token",
	    "ensured" };

	for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
		char *f = state_file(peer, exts[i]);
		if (f)
			unlink(f);
		free(f);
	}
}

/* Is PEER.pid still this process?  A holder whose state was removed (by a
 * newer holder, or with the whole directory) has no business running. */
static bool
state_is_ours(const char *peer)
{
	char *s = read_state(peer, "pid");
	long long v;
	bool ours = s && str_to_ll(s, 1, LLONG_MAX, &v) && v == (long long)getpid();

	free(s);
	return ours;
}

/* ---------- frames ---------- */

static void
frame_append(struct buf *b, int type, const void *p, size_t n)
{
	unsigned char h[5];

	h[0] = (unsigned char)type;
	h[1] = (unsigned char)(n >> 24);
	h[2] = (unsigned char)(n >> 16);
	h[3] = (unsigned char)(n >> 8);
	h[4] = (unsigned char)n;
	buf_append(b, h, 5);
	if (n)
		buf_append(b, p, n);
}

/* A whole frame at the front of b?  1 yes (type, payload pointer, length),
 * 0 not yet, -1 malformed. */
static int
frame_parse(const struct buf *b, int *type, const char **p, size_t *n)
{
	const unsigned char *u = (const unsigned char *)b->s;
	size_t len;

	if (b->len < 5)
		return 0;
	len = (size_t)u[1] << 24 | (size_t)u[2] << 16 | (size_t)u[3] << 8 | u[4];
	if (len > CTL_MAX_FRAME)
		return -1;
	if (b->len < 5 + len)
		return 0;
	*type = u[0];
	*p = b->s + 5;
	*n = len;
	return 1;
}

/* The address of a peer's control socket (~/.codecast/tunnels/PEER.sock). */
static int
ctl_addr(const char *peer, struct sockaddr_un *sa)
{
	char *path = state_file(peer, "sock");

	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	if (!path)
		return -1;
	if (strlen(path) >= sizeof sa->sun_path) {
		free(path);
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa->sun_path, path);
	free(path);
	return 0;
}

static int
ctl_connect(const char *peer)
{
	struct sockaddr_un sa;
	int fd;

	struct ucred cr;
	socklen_t crlen = sizeof cr;

	if (ctl_addr(peer, &sa) == -1)
		return -1;
	if (check_private(sa.sun_path, true, 077) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == -1) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	/* The holder at the other end must be this user's too. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) == -1 ||
	    cr.uid != geteuid()) {
		warnx("%s: the process behind it is not yours (uid %ld); "
		    "refusing to use it", sa.sun_path, (long)cr.uid);
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

/* Send one frame and read one reply frame (blocking, bounded by timeout). */
static int
ctl_request(const char *peer, int type, const char *payload, int timeout_ms,
    int *rtype, char **reply)
{
	struct buf out = { 0 }, in = { 0 };
	long long deadline = monotonic_ms() + timeout_ms;
	int fd, rc = -1;

	if ((fd = ctl_connect(peer)) == -1)
		return -1;
	frame_append(&out, type, payload, payload ? strlen(payload) : 0);
	if (write_all(fd, out.s, out.len) == -1)
		goto done;
	for (;;) {
		int t;
		const char *p;
		size_t n;
		int r = frame_parse(&in, &t, &p, &n);
		if (r == -1)
			goto done;
		if (r == 1) {
			*rtype = t;
			*reply = xstrndup(p, n);
			rc = 0;
			goto done;
		}
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = deadline - monotonic_ms();
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			goto done;
		char tmp[512];
		ssize_t k = read(fd, tmp, sizeof tmp);
		if (k <= 0)
			goto done;
		buf_append(&in, tmp, (size_t)k);
	}
done:
	close(fd);
	buf_free(&out);
	buf_free(&in);
	return rc;
}

int
tunnel_ping(const char *peer, int timeout_ms, int *port, bool *up)
{
	int t;
	char *reply = NULL, state[32] = "";
	long long v;

	if (ctl_request(peer, 'P', NULL, timeout_ms, &t, &reply) == -1)
		return -1;
	int rc = -1;
	char portstr[16];
	if (t == 'p' && sscanf(reply, "%15s %31s", portstr, state) == 2 &&
	    str_to_ll(portstr, 1, 65535, &v)) {
		*port = (int)v;
		if (up)
			*up = strcmp(state, "up") == 0;
		rc = 0;
	}
	free(reply);
	return rc;
}

int
tunnel_set_remote_port(const char *peer, int remote_port, char **errmsg)
{
	char p[16];
	int t;
	char *reply = NULL;

	snprintf(p, sizeof p, "%d", remote_port);
	if (ctl_request(peer, 'D', p, 5000, &t, &reply) == -1 || t != 'p') {
		*errmsg = xasprintf("%s: the tunnel holder did not answer", peer);
		free(reply);
		return -1;
	}
	free(reply);
	return 0;
}

/* ---------- the holder ---------- */

enum conn_kind { CONN_FWD, CONN_CTL };

struct conn {
	enum conn_kind kind;
	int fd;
	LIBSSH2_CHANNEL *ch;
	bool want_open;		/* waiting for (or in) a channel open */
	bool dead;		/* remove at the end of this iteration */
	/* forward: up = client->channel, down = channel->client */
	struct buf up, down;
	bool fd_eof, ch_eof, eof_sent, shut_wr;
	/* control */
	struct buf in;		/* raw bytes from the client */
	struct buf out;		/* frames to the client */
	char *cmd;
	int phase;		/* 0 request, 1 open, 2 exec, 3 run, 4 close, 5 wait, 6 done */
	bool stdin_eof, out_eof, err_eof;
	bool close_after_flush;
	struct conn *next;
};

struct zombie {			/* a channel being freed */
	LIBSSH2_CHANNEL *ch;
	struct zombie *next;
};

struct holder {
	const struct config *cfg;
	const struct peer *p;
	int timeout_ms;
	struct ssh_conn *ssh;
	LIBSSH2_SESSION *s;
	int sock;
	int remote_port;
	int port;
	int lfd, cfd;		/* listener, control listener */
	int sigpipe[2];
	struct conn *conns;
	struct conn *opening;	/* libssh2 opens one channel at a time */
	struct zombie *zombies;
	bool idle_pending;	/* unread session data while no channel exists */
	bool quit;
	/* reconnect */
	bool reconnecting;
	pthread_t rthr;
	int rpipe[2];
	struct ssh_conn *rresult;
	int rresult_port;
	atomic_bool rstop;
	atomic_bool orphan;	/* our state files are gone: exit */
	unsigned long long served;
};

static void
hlog(const char *fmt, ...)
{
	va_list ap;
	char *ts = iso8601_now();

	fprintf(stderr, "%s ", ts);
	free(ts);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

static int sig_write_fd = -1;

static void
on_signal(int sig)
{
	int e = errno;
	unsigned char c = (unsigned char)sig;

	if (sig_write_fd != -1 && write(sig_write_fd, &c, 1) == -1) {
		/* nothing to do */
	}
	errno = e;
}

static bool
sess_fatal(LIBSSH2_SESSION *s, int rc)
{
	(void)s;
	switch (rc) {
	case LIBSSH2_ERROR_SOCKET_SEND:
	case LIBSSH2_ERROR_SOCKET_RECV:
	case LIBSSH2_ERROR_SOCKET_DISCONNECT:
	case LIBSSH2_ERROR_SOCKET_TIMEOUT:
	case LIBSSH2_ERROR_TIMEOUT:
	case LIBSSH2_ERROR_DECRYPT:
	case LIBSSH2_ERROR_KEX_FAILURE:
	case LIBSSH2_ERROR_BAD_USE:
	case LIBSSH2_ERROR_ALLOC:
		return true;
	default:
		return false;
	}
}

/* The daemon's real port on the peer: ~/.codecast/daemon.port, else the
 * configured daemon_port.  Blocking session. */
static int
discover_remote_port(struct ssh_conn *c, const struct peer *p)
{
	char *out = NULL, *err = NULL;
	int status = -1, port = p->daemon_port;
	long long v;

	if (ssh_run_capture(ssh_session(c), ssh_socket(c),
	    "cat \"$HOME/.codecast/daemon.port\" 2>/dev/null", 64, &out, &status,
	    &err) == 0 && status == 0 && str_to_ll(str_trim(out), 1, 65535, &v))
		port = (int)v;
	free(out);
	free(err);
	return port;
}

static void
zombie_add(struct holder *h, LIBSSH2_CHANNEL *ch)
{
	struct zombie *z;

	if (!ch)
		return;
	z = xcalloc(1, sizeof *z);
	z->ch = ch;
	z->next = h->zombies;
	h->zombies = z;
}

static void
conn_free(struct conn *c)
{
	if (c->fd != -1)
		close(c->fd);
	buf_free(&c->up);
	buf_free(&c->down);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c->cmd);
	free(c);
}

static void
ctl_fail(struct conn *c, const char *msg)
{
	frame_append(&c->out, 'F', msg, strlen(msg));
	c->close_after_flush = true;
	c->phase = 6;
}

/* Why the connection was lost, for the log: the socket's error soerr (or,
 * when 0, the one our last send met), else what.  Malloc'd. */
static char *
lost_reason(const struct holder *h, int soerr, const char *what)
{
	if (soerr == 0 && h->ssh)
		soerr = ssh_socket_error(h->ssh);
	if (soerr == ETIMEDOUT)
		return xasprintf("the peer stopped answering (no answer in %d s)",
		    h->p->alive_interval * h->p->alive_count);
	if (soerr != 0)
		return xstrdup(strerror(soerr));
	return xstrdup(what);
}

/* Drop everything tied to the dead session. */
static void
session_lost(struct holder *h, const char *why)
{
	struct conn *c;

	hlog("%s: connection lost: %s", h->p->id, why);
	for (c = h->conns; c; c = c->next) {
		c->ch = NULL;	/* freed with the session */
		if (c->kind == CONN_FWD) {
			c->dead = true;
		} else if (c->phase >= 1 && c->phase < 6) {
			ctl_fail(c, "connection to the peer lost");
		}
	}
	h->opening = NULL;
	while (h->zombies) {
		struct zombie *z = h->zombies;
		h->zombies = z->next;
		free(z);
	}
	ssh_disconnect(h->ssh);	/* frees channels with the session */
	h->ssh = NULL;
	h->s = NULL;
	h->sock = -1;
	h->idle_pending = false;
}

static void *
reconnect_main(void *arg)
{
	struct holder *h = arg;
	int delay = 0;

	for (;;) {
		long long until = monotonic_ms() + (long long)delay * 1000;
		while (monotonic_ms() < until && !atomic_load(&h->rstop))
			usleep(100000);
		if (atomic_load(&h->rstop))
			break;
		if (!state_is_ours(h->p->id)) {
			atomic_store(&h->orphan, true);
			break;
		}
		enum ssh_fail why;
		char *err = NULL;
		struct ssh_conn *c = ssh_connect(h->cfg, h->p, h->timeout_ms, &why, &err);
		if (c) {
			h->rresult_port = discover_remote_port(c, h->p);
			h->rresult = c;
			break;
		}
		hlog("%s: reconnect failed: %s", h->p->id, err);
		free(err);
		delay = delay ? delay * 2 : 1;
		if (delay > BACKOFF_MAX_S)
			delay = BACKOFF_MAX_S;
	}
	if (write(h->rpipe[1], "r", 1) == -1) {
		/* the main loop polls rresult anyway */
	}
	return NULL;
}

static void
start_reconnect(struct holder *h)
{
	int rc;

	h->reconnecting = true;
	h->rresult = NULL;
	atomic_store(&h->rstop, false);
	if ((rc = pthread_create(&h->rthr, NULL, reconnect_main, h)) != 0) {
		hlog("%s: pthread_create: %s", h->p->id, strerror(rc));
		h->quit = true;
	}
}

static void
session_ready(struct holder *h, struct ssh_conn *c, int remote_port)
{
	h->ssh = c;
	h->s = ssh_session(c);
	h->sock = ssh_socket(c);
	h->remote_port = remote_port;
	libssh2_session_set_blocking(h->s, 0);
	libssh2_keepalive_config(h->s, 0, (unsigned)h->p->alive_interval);
	hlog("%s: connected (%d hop%s), forwarding 127.0.0.1:%d to the peer's "
	    "127.0.0.1:%d", h->p->id, ssh_hops(c), ssh_hops(c) == 1 ? "" : "s",
	    h->port, remote_port);
}

static int
listen_port(int *port)
{
	for (int p = TUNNEL_PORT_MIN; p <= TUNNEL_PORT_MAX; p++) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
		    .sin_port = htons((uint16_t)p),
		    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		int one = 1;
		if (fd == -1)
			return -1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
		    listen(fd, 512) == 0) {
			*port = p;
			return fd;
		}
		close(fd);
	}
	errno = EADDRINUSE;
	return -1;
}

static int
listen_ctl(const char *peer)
{
	struct sockaddr_un sa;
	int fd;
	mode_t old;

	if (ctl_addr(peer, &sa) == -1)
		return -1;
	unlink(sa.sun_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	old = umask(077);
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (rc == -1 || chmod(sa.sun_path, 0600) == -1 || listen(fd, 64) == -1) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int
channels_open(struct holder *h)
{
	int n = 0;

	for (struct conn *c = h->conns; c; c = c->next)
		if (c->ch)
			n++;
	return n + (h->zombies ? 1 : 0) + (h->opening ? 1 : 0);
}

/* Try to open the channel for the connection at the head of the queue. */
static void
step_open(struct holder *h)
{
	struct conn *c;

	if (!h->s)
		return;
	if (!h->opening) {
		for (c = h->conns; c; c = c->next)
			if (c->want_open && !c->dead && !c->ch) {
				h->opening = c;
				break;
			}
	}
	if (!(c = h->opening))
		return;
	LIBSSH2_CHANNEL *ch;
	if (c->kind == CONN_FWD)
		ch = libssh2_channel_direct_tcpip_ex(h->s, "127.0.0.1",
		    h->remote_port, "127.0.0.1", h->port);
	else
		ch = libssh2_channel_open_session(h->s);
	if (ch) {
		c->want_open = false;
		h->opening = NULL;
		if (c->dead) {
			zombie_add(h, ch);
			return;
		}
		c->ch = ch;
		if (c->kind == CONN_CTL)
			c->phase = 2;
		return;
	}
	int rc = libssh2_session_last_errno(h->s);
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return;
	h->opening = NULL;
	c->want_open = false;
	char *msg = NULL;
	libssh2_session_last_error(h->s, &msg, NULL, 0);
	if (c->kind == CONN_FWD) {
		hlog("%s: channel to 127.0.0.1:%d: %s", h->p->id, h->remote_port,
		    msg ? msg : "failed");
		c->dead = true;
	} else {
		char *m = xasprintf("open session channel: %s", msg ? msg : "failed");
		ctl_fail(c, m);
		free(m);
	}
	if (sess_fatal(h->s, rc))
		session_lost(h, "channel open failed");
}

/* Returns false when the session died. */
static bool
step_fwd(struct holder *h, struct conn *c, bool *progress)
{
	ssize_t n;

	if (!c->ch)
		return true;
	/* channel -> client */
	if (!c->ch_eof && c->down.len < FWD_BUF) {
		buf_reserve(&c->down, FWD_BUF - c->down.len);
		n = libssh2_channel_read(c->ch, c->down.s + c->down.len,
		    FWD_BUF - c->down.len);
		if (n > 0) {
			c->down.len += (size_t)n;
			*progress = true;
		} else if (n == 0 || n == LIBSSH2_ERROR_EAGAIN) {
			if (libssh2_channel_eof(c->ch))
				c->ch_eof = true;
		} else {
			if (sess_fatal(h->s, (int)n))
				return false;
			c->ch_eof = true;
		}
	}
	if (c->down.len > 0 && c->fd != -1) {
		n = send(c->fd, c->down.s, c->down.len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			buf_consume(&c->down, (size_t)n);
			*progress = true;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			c->dead = true;
			return true;
		}
	}
	if (c->ch_eof && c->down.len == 0 && !c->shut_wr) {
		shutdown(c->fd, SHUT_WR);
		c->shut_wr = true;
	}
	/* client -> channel */
	if (!c->fd_eof && c->up.len < FWD_BUF) {
		buf_reserve(&c->up, FWD_BUF - c->up.len);
		n = recv(c->fd, c->up.s + c->up.len, FWD_BUF - c->up.len, MSG_DONTWAIT);
		if (n > 0) {
			c->up.len += (size_t)n;
			*progress = true;
		} else if (n == 0) {
			c->fd_eof = true;
		} else if (errno != EAGAIN && errno != EINTR) {
			c->dead = true;
			return true;
		}
	}
	if (c->up.len > 0) {
		n = libssh2_channel_write(c->ch, c->up.s, c->up.len);
		if (n > 0) {
			buf_consume(&c->up, (size_t)n);
			*progress = true;
		} else if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
			if (sess_fatal(h->s, (int)n))
				return false;
			c->dead = true;
			return true;
		}
	}
	if (c->fd_eof && c->up.len == 0 && !c->eof_sent) {
		int rc = libssh2_channel_send_eof(c->ch);
		if (rc == 0)
			c->eof_sent = true;
		else if (rc != LIBSSH2_ERROR_EAGAIN) {
			if (sess_fatal(h->s, rc))
				return false;
			c->eof_sent = true;
		}
	}
	if (c->shut_wr && c->eof_sent)
		c->dead = true;		/* both directions finished */
	return true;
}

static int
signal_number(const char *name)
{
	static const struct { const char *n; int s; } t[] = {
		{ "HUP", 1 }, { "INT", 2 }, { "QUIT", 3 }, { "ILL", 4 },
		{ "ABRT", 6 }, { "FPE", 8 }, { "KILL", 9 }, { "SEGV", 11 },
		{ "PIPE", 13 }, { "ALRM", 14 }, { "TERM", 15 }, { "USR1", 10 },
		{ "USR2", 12 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (strcmp(t[i].n, name) == 0)
			return t[i].s;
	return 0;
}

/* Control connections: requests, and exec over the session. */
static bool
step_ctl(struct holder *h, struct conn *c, bool *progress)
{
	ssize_t n;

	/* read from the client while there is room */
	if (!c->fd_eof && c->in.len < CTL_BUF_MAX && c->phase < 6) {
		char tmp[16384];
		n = recv(c->fd, tmp, sizeof tmp, MSG_DONTWAIT);
		if (n > 0) {
			buf_append(&c->in, tmp, (size_t)n);
			*progress = true;
		} else if (n == 0) {
			c->fd_eof = true;
		} else if (errno != EAGAIN && errno != EINTR) {
			c->fd_eof = true;
		}
	}
	/* parse frames */
	for (;;) {
		int t;
		const char *p;
		size_t len;
		int r = frame_parse(&c->in, &t, &p, &len);
		if (r == 0)
			break;
		if (r == -1) {
			ctl_fail(c, "control protocol: bad frame");
			break;
		}
		if (c->phase == 0) {
			if (t == 'P' || t == 'Q' || t == 'D') {
				char reply[64];
				if (t == 'D') {
					long long v;
					char *s = xstrndup(p, len);
					if (str_to_ll(s, 1, 65535, &v)) {
						h->remote_port = (int)v;
						hlog("%s: now forwarding to the peer's "
						    "127.0.0.1:%d", h->p->id, h->remote_port);
					}
					free(s);
				}
				snprintf(reply, sizeof reply, "%d %s", h->port,
				    h->reconnecting || !h->s ? "reconnecting" : "up");
				frame_append(&c->out, 'p', reply, strlen(reply));
				c->close_after_flush = true;
				c->phase = 6;
				if (t == 'Q')
					h->quit = true;
			} else if (t == 'X') {
				c->cmd = xstrndup(p, len);
				c->phase = 1;
				c->want_open = true;
			} else {
				ctl_fail(c, "control protocol: unexpected request");
			}
		} else if (c->phase >= 1 && c->phase < 6 && (t == 'I' || t == 'E')) {
			if (t == 'E' || c->stdin_eof) {
				c->stdin_eof = true;
			} else {
				/* keep it: appended behind unsent stdin in c->up */
				buf_append(&c->up, p, len);
			}
		} else if (c->phase < 6) {
			ctl_fail(c, "control protocol: unexpected frame");
		}
		buf_consume(&c->in, 5 + len);
		*progress = true;
		if (c->up.len >= CTL_BUF_MAX)
			break;
	}
	if (c->fd_eof && c->phase >= 1 && c->phase < 6) {
		/* the client went away: stop the command */
		c->dead = true;
		return true;
	}
	if (c->phase == 2 && c->ch) {
		int rc = libssh2_channel_exec(c->ch, c->cmd);
		if (rc == 0) {
			c->phase = 3;
			*progress = true;
		} else if (rc != LIBSSH2_ERROR_EAGAIN) {
			if (sess_fatal(h->s, rc))
				return false;
			ctl_fail(c, "exec request refused by the peer");
		}
	}
	if (c->phase == 3) {
		char tmp[16384];
		if (c->out.len < CTL_BUF_MAX && !c->out_eof) {
			n = libssh2_channel_read(c->ch, tmp, sizeof tmp);
			if (n > 0) {
				frame_append(&c->out, 'O', tmp, (size_t)n);
				*progress = true;
			} else if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
				if (sess_fatal(h->s, (int)n))
					return false;
				c->out_eof = true;
			}
		}
		if (c->out.len < CTL_BUF_MAX && !c->err_eof) {
			n = libssh2_channel_read_stderr(c->ch, tmp, sizeof tmp);
			if (n > 0) {
				frame_append(&c->out, 'R', tmp, (size_t)n);
				*progress = true;
			} else if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
				if (sess_fatal(h->s, (int)n))
					return false;
				c->err_eof = true;
			}
		}
		if (c->up.len > 0) {
			n = libssh2_channel_write(c->ch, c->up.s, c->up.len);
			if (n > 0) {
				buf_consume(&c->up, (size_t)n);
				*progress = true;
			} else if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
				if (sess_fatal(h->s, (int)n))
					return false;
				buf_free(&c->up);	/* the command closed its stdin */
			}
		}
		if (c->stdin_eof && c->up.len == 0 && !c->eof_sent) {
			int rc = libssh2_channel_send_eof(c->ch);
			if (rc != LIBSSH2_ERROR_EAGAIN) {
				if (rc && sess_fatal(h->s, rc))
					return false;
				c->eof_sent = true;
			}
		}
		if (libssh2_channel_eof(c->ch)) {
			/* drain whatever is buffered before closing */
			n = libssh2_channel_read(c->ch, tmp, sizeof tmp);
			if (n > 0) {
				frame_append(&c->out, 'O', tmp, (size_t)n);
				*progress = true;
			} else {
				ssize_t m = libssh2_channel_read_stderr(c->ch, tmp, sizeof tmp);
				if (m > 0) {
					frame_append(&c->out, 'R', tmp, (size_t)m);
					*progress = true;
				} else {
					c->phase = 4;
				}
			}
		}
	}
	if (c->phase == 4) {
		int rc = libssh2_channel_close(c->ch);
		if (rc == 0) {
			c->phase = 5;
		} else if (rc != LIBSSH2_ERROR_EAGAIN) {
			if (sess_fatal(h->s, rc))
				return false;
			c->phase = 5;
		}
	}
	if (c->phase == 5) {
		int rc = libssh2_channel_wait_closed(c->ch);
		if (rc != LIBSSH2_ERROR_EAGAIN) {
			char *sig = NULL;
			size_t siglen = 0;
			int status = libssh2_channel_get_exit_status(c->ch);
			if (libssh2_channel_get_exit_signal(c->ch, &sig, &siglen, NULL,
			    NULL, NULL, NULL) == 0 && sig) {
				int sn = signal_number(sig);
				status = 128 + (sn ? sn : 1);
				free(sig);
			}
			char st[16];
			snprintf(st, sizeof st, "%d", status);
			frame_append(&c->out, 'S', st, strlen(st));
			c->close_after_flush = true;
			zombie_add(h, c->ch);
			c->ch = NULL;
			c->phase = 6;
			*progress = true;
		}
	}
	/* write to the client */
	if (c->out.len > 0) {
		n = send(c->fd, c->out.s, c->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			buf_consume(&c->out, (size_t)n);
			*progress = true;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			c->dead = true;
		}
	}
	if (c->phase == 6 && c->out.len == 0 && c->close_after_flush)
		c->dead = true;
	if (c->phase == 0 && c->fd_eof)
		c->dead = true;
	return true;
}

static void
reap(struct holder *h)
{
	struct conn **pp = &h->conns;

	while (*pp) {
		struct conn *c = *pp;
		/* an open in flight must be finished (libssh2 keeps its state
		 * per session), so the opener stays until step_open is done */
		if (!c->dead || h->opening == c) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		if (c->ch)
			zombie_add(h, c->ch);
		conn_free(c);
	}
	for (struct zombie **zp = &h->zombies; *zp; ) {
		struct zombie *z = *zp;
		int rc = h->s ? libssh2_channel_free(z->ch) : 0;
		if (rc == LIBSSH2_ERROR_EAGAIN) {
			zp = &z->next;
			continue;
		}
		*zp = z->next;
		free(z);
	}
}

static void
accept_all(struct holder *h, int lfd, enum conn_kind kind)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1)
			return;
		struct conn *c = xcalloc(1, sizeof *c);
		c->kind = kind;
		c->fd = fd;
		if (kind == CONN_FWD) {
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
			c->want_open = true;
			h->served++;
		}
		c->next = h->conns;
		h->conns = c;
	}
}

static void
holder_cleanup(struct holder *h)
{
	while (h->conns) {
		struct conn *c = h->conns;
		h->conns = c->next;
		conn_free(c);
	}
	if (h->ssh) {
		libssh2_session_set_blocking(h->s, 1);
		libssh2_session_set_timeout(h->s, 2000);
		while (h->zombies) {
			struct zombie *z = h->zombies;
			h->zombies = z->next;
			libssh2_channel_free(z->ch);
			free(z);
		}
		ssh_disconnect(h->ssh);
		h->ssh = NULL;
	}
	if (h->lfd != -1)
		close(h->lfd);
	if (h->cfd != -1)
		close(h->cfd);
}

static void
ready_write(int *fd, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (*fd < 0)
		return;
	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	if (write_all(*fd, s, strlen(s)) == -1) {
		/* the starter gave up; carry on */
	}
	free(s);
	close(*fd);
	*fd = -1;
}

int
tunnel_hold(const struct config *cfg, const struct peer *p, int timeout_ms,
    int ready_fd)
{
	struct holder h = { .cfg = cfg, .p = p, .timeout_ms = timeout_ms,
	    .lfd = -1, .cfd = -1, .sock = -1, .sigpipe = { -1, -1 },
	    .rpipe = { -1, -1 } };
	enum ssh_fail why;
	char *err = NULL;
	struct ssh_conn *c;
	int rc = 0;

	signal(SIGPIPE, SIG_IGN);
	if (pipe2(h.sigpipe, O_CLOEXEC | O_NONBLOCK) == -1 ||
	    pipe2(h.rpipe, O_CLOEXEC | O_NONBLOCK) == -1) {
		ready_write(&ready_fd, "ERR 6 pipe: %s\n", strerror(errno));
		return 1;
	}
	sig_write_fd = h.sigpipe[1];
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	atomic_init(&h.rstop, false);
	atomic_init(&h.orphan, false);
	long long last_check = monotonic_ms();
	int alive_next_s = 0;	/* seconds to the next keepalive, 0: none */
	c = ssh_connect(cfg, p, timeout_ms, &why, &err);
	if (!c) {
		hlog("%s: %s", p->id, err);
		ready_write(&ready_fd, "ERR %d %s\n", (int)why, err);
		free(err);
		return tunnel_exit_code(why);
	}
	int rport = discover_remote_port(c, p);
	if ((h.lfd = listen_port(&h.port)) == -1) {
		ready_write(&ready_fd, "ERR 7 no free local port in %d..%d\n",
		    TUNNEL_PORT_MIN, TUNNEL_PORT_MAX);
		ssh_disconnect(c);
		return 1;
	}
	if ((h.cfd = listen_ctl(p->id)) == -1) {
		ready_write(&ready_fd, "ERR 7 control socket: %s\n", strerror(errno));
		ssh_disconnect(c);
		close(h.lfd);
		return 1;
	}
	{
		char v[32], *now = iso8601_now();
		snprintf(v, sizeof v, "%ld", (long)getpid());
		write_state(p->id, "pid", v);
		snprintf(v, sizeof v, "%d", h.port);
		write_state(p->id, "port", v);
		write_state(p->id, "started", now);
		free(now);
	}
	session_ready(&h, c, rport);
	ready_write(&ready_fd, "OK %d\n", h.port);

	while (!h.quit) {
		bool progress = false;

		if (h.s && !h.reconnecting) {
			bool lost = false;
			step_open(&h);
			if (!h.s)
				lost = true;
			for (struct conn *cn = h.conns; cn && !lost; cn = cn->next) {
				if (cn->dead)
					continue;
				bool ok = cn->kind == CONN_FWD ?
				    step_fwd(&h, cn, &progress) :
				    step_ctl(&h, cn, &progress);
				if (!ok)
					lost = true;
			}
			if (!lost && h.s) {
				int next = h.p->alive_interval;
				if (libssh2_keepalive_send(h.s, &next) != 0)
					lost = true;
				else
					alive_next_s = next;
			}
			if (!lost && h.ssh && !ssh_jumps_alive(h.ssh))
				lost = true;
			if (lost) {
				if (h.ssh) {
					char *lostwhy = lost_reason(&h, 0,
					    "ssh error");

					session_lost(&h, lostwhy);
					free(lostwhy);
				}
				start_reconnect(&h);
			}
		} else {
			for (struct conn *cn = h.conns; cn; cn = cn->next) {
				if (cn->dead || cn->kind != CONN_CTL)
					continue;
				step_ctl(&h, cn, &progress);
				/* no connection to run it on: say so now rather
				 * than leave the caller waiting for the peer */
				if (cn->phase == 1) {
					cn->want_open = false;
					ctl_fail(cn, "the connection to the peer is down; "
					    "reconnecting");
				}
			}
		}
		reap(&h);
		if (progress)
			continue;

		/* poll */
		size_t nconn = 0;
		for (struct conn *cn = h.conns; cn; cn = cn->next)
			nconn++;
		struct pollfd *pf = xcalloc(nconn + 5, sizeof *pf);
		size_t k = 0;
		pf[k++] = (struct pollfd){ .fd = h.sigpipe[0], .events = POLLIN };
		pf[k++] = (struct pollfd){ .fd = h.rpipe[0], .events = POLLIN };
		pf[k++] = (struct pollfd){ .fd = h.cfd, .events = POLLIN };
		size_t ilisten = k;
		pf[k++] = (struct pollfd){ .fd = h.s && !h.reconnecting ? h.lfd : -1,
		    .events = POLLIN };
		size_t isess = k;
		short sev = POLLRDHUP;
		if (!h.idle_pending || channels_open(&h) > 0)
			sev |= POLLIN;
		if (h.s && (libssh2_session_block_directions(h.s) &
		    LIBSSH2_SESSION_BLOCK_OUTBOUND))
			sev |= POLLOUT;
		pf[k++] = (struct pollfd){ .fd = h.s && !h.reconnecting ? h.sock : -1,
		    .events = sev };
		size_t first_conn = k;
		for (struct conn *cn = h.conns; cn; cn = cn->next) {
			short ev = 0;
			if (cn->kind == CONN_FWD) {
				if (cn->ch && !cn->fd_eof && cn->up.len < FWD_BUF)
					ev |= POLLIN;
				if (cn->down.len)
					ev |= POLLOUT;
			} else {
				if (!cn->fd_eof && cn->in.len < CTL_BUF_MAX)
					ev |= POLLIN;
				if (cn->out.len)
					ev |= POLLOUT;
			}
			pf[k++] = (struct pollfd){ .fd = cn->fd, .events = ev };
		}
		int tmo = 5000;		/* the state check below */
		if (alive_next_s > 0 && alive_next_s * 1000 < tmo)
			tmo = alive_next_s * 1000;	/* the next keepalive */
		if (h.zombies || h.opening)
			tmo = 50;	/* libssh2 may hold their replies already */
		int pr = poll(pf, k, tmo);
		if (pr < 0 && errno != EINTR) {
			hlog("%s: poll: %s", p->id, strerror(errno));
			free(pf);
			rc = 1;
			break;
		}
		(void)first_conn;
		if (pf[0].revents & POLLIN) {
			unsigned char sb[16];
			if (read(h.sigpipe[0], sb, sizeof sb) > 0) {
				hlog("%s: signal %d, closing", p->id, sb[0]);
				h.quit = true;
			}
		}
		if (pf[1].revents & POLLIN) {
			char rb[16];
			while (read(h.rpipe[0], rb, sizeof rb) > 0)
				;
		}
		if (monotonic_ms() - last_check >= 5000) {
			last_check = monotonic_ms();
			if (!state_is_ours(p->id))
				atomic_store(&h.orphan, true);
		}
		if (atomic_load(&h.orphan)) {
			hlog("%s: state files removed, closing", p->id);
			h.quit = true;
		}
		if (h.reconnecting && h.rresult) {
			pthread_join(h.rthr, NULL);
			h.reconnecting = false;
			session_ready(&h, h.rresult, h.rresult_port);
			h.rresult = NULL;
		}
		if (pf[2].revents & POLLIN)
			accept_all(&h, h.cfd, CONN_CTL);
		if (pf[ilisten].revents & POLLIN)
			accept_all(&h, h.lfd, CONN_FWD);
		if (h.s && !h.reconnecting && pf[isess].revents) {
			short re = pf[isess].revents;
			int soerr = 0;	/* the socket's error, read once */
			if ((re & POLLIN) && channels_open(&h) == 0) {
				char b;
				ssize_t pk = recv(h.sock, &b, 1, MSG_PEEK | MSG_DONTWAIT);
				if (pk < 0 && errno != EAGAIN) {
					soerr = errno;
					re |= POLLHUP;
				} else if (pk == 0)
					re |= POLLHUP;
				else
					h.idle_pending = true;
			}
			if (re & (POLLHUP | POLLERR | POLLRDHUP | POLLNVAL)) {
				socklen_t sl = sizeof soerr;
				char *lostwhy;

				if (soerr == 0 && (re & POLLERR) &&
				    getsockopt(h.sock, SOL_SOCKET, SO_ERROR, &soerr,
				    &sl) == -1)
					soerr = 0;
				lostwhy = lost_reason(&h, soerr,
				    "connection closed by the peer");
				session_lost(&h, lostwhy);
				free(lostwhy);
				start_reconnect(&h);
			}
		}
		free(pf);
		if (channels_open(&h) > 0)
			h.idle_pending = false;
	}
	if (h.reconnecting) {
		atomic_store(&h.rstop, true);
		pthread_join(h.rthr, NULL);
		if (h.rresult)
			ssh_disconnect(h.rresult);
	}
	holder_cleanup(&h);
	/* remove our state only if it is still ours */
	char *pidstr = read_state(p->id, "pid");
	long long v;
	if (pidstr && str_to_ll(pidstr, 1, LLONG_MAX, &v) && v == (long long)getpid())
		remove_state(p->id);
	free(pidstr);
	hlog("%s: holder exits", p->id);
	sig_write_fd = -1;
	close(h.sigpipe[0]);
	close(h.sigpipe[1]);
	close(h.rpipe[0]);
	close(h.rpipe[1]);
	return rc;
}

/* ---------- starting, closing, listing ---------- */

static int
lock_peer(const char *peer, int timeout_ms)
{
	char *f = state_file(peer, "lock");
	int fd;
	long long deadline = monotonic_ms() + timeout_ms;

	if (!f)
		return -1;
	fd = open(f, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(f);
	if (fd == -1)
		return -1;
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK || monotonic_ms() > deadline) {
			close(fd);
			errno = ETIMEDOUT;
			return -1;
		}
		usleep(20000);
	}
	return fd;
}

int
tunnel_ensure(const struct config *cfg, const struct peer *p, int timeout_ms,
    int *port, bool *started, enum ssh_fail *why, char **errmsg)
{
	int lockfd, pfd[2];
	pid_t pid;
	struct buf res = { 0 };

	*started = false;
	*why = SSH_FAIL_NONE;
	if (!tunnel_peer_name_ok(p->id)) {
		*why = SSH_FAIL_PROTO;
		*errmsg = xstrdup("peer id is not usable as a file name");
		return -1;
	}
	if (tunnel_ping(p->id, 2000, port, NULL) == 0)
		return 0;
	/* wait for another starter: a connect through a jump chain may take
	 * one timeout per hop */
	if ((lockfd = lock_peer(p->id, timeout_ms * 4 + 5000)) == -1) {
		*why = SSH_FAIL_PROTO;
		*errmsg = xasprintf("lock: %s", strerror(errno));
		return -1;
	}
	if (tunnel_ping(p->id, 2000, port, NULL) == 0) {
		close(lockfd);
		return 0;
	}
	remove_state(p->id);
	if (pipe2(pfd, O_CLOEXEC) == -1) {
		*why = SSH_FAIL_PROTO;
		*errmsg = xasprintf("pipe: %s", strerror(errno));
		close(lockfd);
		return -1;
	}
	fflush(NULL);
	if ((pid = fork()) == -1) {
		*why = SSH_FAIL_PROTO;
		*errmsg = xasprintf("fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		close(lockfd);
		return -1;
	}
	if (pid == 0) {
		/* intermediate: detach, fork the holder, leave */
		close(pfd[0]);
		setsid();
		pid_t g = fork();
		if (g != 0)
			_exit(g == -1 ? 1 : 0);
		char *logf = state_file(p->id, "log");
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		int lfd = logf ? open(logf, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		    0600) : -1;
		free(logf);
		if (nul != -1)
			dup2(nul, 0);
		if (lfd != -1) {
			dup2(lfd, 1);
			dup2(lfd, 2);
		} else if (nul != -1) {
			dup2(nul, 1);
			dup2(nul, 2);
		}
		/* keep only stdio and the ready pipe; the lock fd is
		 * CLOEXEC but not exec'd, so close it explicitly */
		int keep = pfd[1];
		for (int fd = 3; fd < 1024; fd++)
			if (fd != keep)
				close(fd);
		if (chdir("/") == -1) {
			/* not fatal */
		}
		/* exit(), not _exit(): stdio was flushed before the fork, and
		 * sanitizer builds check the holder for leaks here */
		exit(tunnel_hold(cfg, p, timeout_ms, keep));
	}
	close(pfd[1]);
	int st;
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	/* the holder writes one line within its connect timeout (per hop) */
	long long deadline = monotonic_ms() + (long long)timeout_ms * 4 + 5000;
	for (;;) {
		struct pollfd pf = { .fd = pfd[0], .events = POLLIN };
		long long left = deadline - monotonic_ms();
		if (left <= 0) {
			*why = SSH_FAIL_CONNECT;
			*errmsg = xstrdup("timed out waiting for the tunnel holder");
			goto fail;
		}
		int r = poll(&pf, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		char tmp[1024];
		ssize_t n = read(pfd[0], tmp, sizeof tmp);
		if (n > 0) {
			buf_append(&res, tmp, (size_t)n);
			if (memchr(res.s, '\n', res.len))
				break;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	close(pfd[0]);
	pfd[0] = -1;
	if (res.len && str_starts(res.s, "OK ")) {
		long long v;
		if (str_to_ll(str_trim(res.s + 3), 1, 65535, &v)) {
			*port = (int)v;
			*started = true;
			buf_free(&res);
			close(lockfd);
			return 0;
		}
	}
	if (res.len && str_starts(res.s, "ERR ")) {
		char *e = res.s + 4, *sp;
		long long w;
		str_trim(e);
		if ((sp = strchr(e, ' '))) {
			*sp = '\0';
			*why = str_to_ll(e, 0, 5, &w) ? (enum ssh_fail)w : SSH_FAIL_PROTO;
			*errmsg = xstrdup(sp + 1);
		} else {
			*why = SSH_FAIL_PROTO;
			*errmsg = xstrdup(e);
		}
	} else {
		*why = SSH_FAIL_PROTO;
		*errmsg = xstrdup("the tunnel holder died while starting (see "
		    "~/.codecast/tunnels/*.log)");
	}
fail:
	if (pfd[0] != -1)
		close(pfd[0]);
	buf_free(&res);
	close(lockfd);
	return -1;
}

int
tunnel_close(const char *peer, bool *was_running, char **errmsg)
{
	int t, port;
	char *reply = NULL, *pidstr;
	long long pid = 0;

	*was_running = false;
	if (!tunnel_peer_name_ok(peer)) {
		*errmsg = xstrdup("bad peer id");
		return -1;
	}
	pidstr = read_state(peer, "pid");
	if (pidstr)
		str_to_ll(pidstr, 1, INT_MAX, &pid);
	free(pidstr);
	if (tunnel_ping(peer, 2000, &port, NULL) == 0) {
		*was_running = true;
		if (ctl_request(peer, 'Q', NULL, 2000, &t, &reply) == 0)
			free(reply);
		/* wait for it to go */
		long long deadline = monotonic_ms() + 5000;
		while (pid > 0 && kill((pid_t)pid, 0) == 0 && monotonic_ms() < deadline)
			usleep(10000);
		if (pid > 0 && kill((pid_t)pid, 0) == 0) {
			kill((pid_t)pid, SIGTERM);
			usleep(200000);
		}
	}
	remove_state(peer);
	return 0;
}

static int
cmp_state(const void *a, const void *b)
{
	return strcmp(((const struct tunnel_state *)a)->peer,
	    ((const struct tunnel_state *)b)->peer);
}

int
tunnel_list(struct tunnel_state **v, size_t *n)
{
	char *dir = tunnels_dir();
	DIR *d;
	struct dirent *e;
	size_t cap = 0;

	*v = NULL;
	*n = 0;
	if (!dir || !(d = opendir(dir))) {
		free(dir);
		return -1;
	}
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len <= 4 || strcmp(e->d_name + len - 4, ".pid") != 0 ||
		    e->d_name[0] == '.')
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			*v = xreallocarray(*v, cap, sizeof **v);
		}
		struct tunnel_state *st = &(*v)[(*n)++];
		memset(st, 0, sizeof *st);
		st->peer = xstrndup(e->d_name, len - 4);
		char *s;
		long long x;
		if ((s = read_state(st->peer, "pid")) && str_to_ll(s, 1, INT_MAX, &x))
			st->pid = (long)x;
		free(s);
		if ((s = read_state(st->peer, "port")) && str_to_ll(s, 1, 65535, &x))
			st->port = (int)x;
		free(s);
		st->started = read_state(st->peer, "started");
		int port;
		st->alive = tunnel_ping(st->peer, 1000, &port, NULL) == 0;
		if (st->alive)
			st->port = port;
	}
	closedir(d);
	free(dir);
	if (*n > 1)
		qsort(*v, *n, sizeof **v, cmp_state);
	return 0;
}

/* ---------- exec client ---------- */

int
tunnel_exec(const char *peer, const char *cmd, const struct tunnel_exec_io *io,
    int *status, char **errmsg)
{
	struct buf out = { 0 }, in = { 0 };
	int fd, rc = -1;
	size_t in_off = 0;
	unsigned long long in_sent = 0;
	bool in_done = false, got_status = false;
	char *tmp = xmalloc(65536);

	if ((fd = ctl_connect(peer)) == -1) {
		*errmsg = xasprintf("no tunnel holder for %s: %s", peer, strerror(errno));
		free(tmp);
		return -1;
	}
	if (io->in_fd < 0 && (!io->in || io->inlen == 0)) {
		/* No input: the command's standard input stays open (no 'E')
		 * and a watcher ends the command when it closes, that is when
		 * this client or its holder goes away (shell_watched). */
		char *w = shell_watched(cmd);

		frame_append(&out, 'X', w, strlen(w));
		free(w);
		in_done = true;
	} else
		frame_append(&out, 'X', cmd, strlen(cmd));
	while (!got_status) {
		/* refill stdin frames while the outgoing backlog is small */
		while (!in_done && out.len < 65536) {
			if (io->in_fd >= 0) {
				struct pollfd ip = { .fd = io->in_fd, .events = POLLIN };
				if (poll(&ip, 1, 0) <= 0)
					break;
				ssize_t n = read(io->in_fd, tmp, 32768);
				if (n > 0) {
					frame_append(&out, 'I', tmp, (size_t)n);
					in_sent += (unsigned long long)n;
					if (io->on_in)
						io->on_in(io->arg, in_sent);
				} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
					frame_append(&out, 'E', NULL, 0);
					in_done = true;
				} else {
					break;
				}
			} else {
				size_t chunk = io->inlen - in_off;
				if (chunk > 32768)
					chunk = 32768;
				frame_append(&out, 'I', (const char *)io->in + in_off, chunk);
				in_off += chunk;
				if (in_off >= io->inlen) {
					frame_append(&out, 'E', NULL, 0);
					in_done = true;
				}
			}
		}
		struct pollfd pf[2] = {
			{ .fd = fd, .events = (short)(POLLIN | (out.len ? POLLOUT : 0)) },
			{ .fd = !in_done && io->in_fd >= 0 && out.len < 65536 ?
			    io->in_fd : -1, .events = POLLIN },
		};
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			*errmsg = xasprintf("poll: %s", strerror(errno));
			goto done;
		}
		if (out.len && (pf[0].revents & POLLOUT)) {
			ssize_t n = send(fd, out.s, out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n > 0)
				buf_consume(&out, (size_t)n);
			else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				*errmsg = xasprintf("control socket: %s", strerror(errno));
				goto done;
			}
		}
		if (pf[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = recv(fd, tmp, 65536, MSG_DONTWAIT);
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
				*errmsg = xasprintf("%s: the tunnel holder closed the "
				    "connection", peer);
				goto done;
			}
			if (n > 0)
				buf_append(&in, tmp, (size_t)n);
			for (;;) {
				int t;
				const char *p;
				size_t len;
				int r = frame_parse(&in, &t, &p, &len);
				if (r == 0)
					break;
				if (r == -1) {
					*errmsg = xstrdup("control protocol: bad frame");
					goto done;
				}
				if (t == 'O' || t == 'R') {
					if (io->on_out && io->on_out(io->arg, t == 'O' ? 1 : 2,
					    p, len) == -1) {
						*errmsg = xstrdup("output aborted");
						goto done;
					}
				} else if (t == 'S') {
					char *s = xstrndup(p, len);
					long long v;
					*status = str_to_ll(s, -1, 1000, &v) ? (int)v : 255;
					free(s);
					got_status = true;
				} else if (t == 'F') {
					*errmsg = xstrndup(p, len);
					goto done;
				}
				buf_consume(&in, 5 + len);
				if (got_status)
					break;
			}
		}
	}
	rc = 0;
done:
	close(fd);
	buf_free(&out);
	buf_free(&in);
	free(tmp);
	return rc;
}

/* ---- the daemon's owner token ------------------------------------------ */

static int
token_out(void *arg, int stream, const char *p, size_t n)
{
	struct buf *b = arg;

	if (stream != 1)
		return 0;
	if (b->len + n > 4096)
		return -1;
	buf_append(b, p, n);
	return 0;
}

int
tunnel_mark_ensured(const char *peer)
{
	char *pid = read_state(peer, "pid");
	int rc;

	if (pid == NULL)
		return -1;
	rc = write_state(peer, "ensured", pid);
	free(pid);
	return rc;
}

bool
tunnel_is_ensured(const char *peer)
{
	char *pid = read_state(peer, "pid"), *m = read_state(peer, "ensured");
	bool yes = pid && m && *pid && strcmp(pid, m) == 0;

	free(pid);
	free(m);
	return yes;
}

char *
tunnel_token_path(const char *peer)
{
	return state_file(peer, "token");
}

int
tunnel_fetch_token(const char *peer, char **errmsg)
{
	static const char cmd[] =
	    "cat \"$HOME/.codecast/daemon.token\" 2>/dev/null || true";
	struct buf out = { 0 };
	struct tunnel_exec_io io = { .in_fd = -1, .on_out = token_out,
	    .arg = &out };
	char *path = tunnel_token_path(peer), *tok;
	int status = 0, rc = -1;

	if (path == NULL) {
		*errmsg = xasprintf("~/.codecast/tunnels: %s", strerror(errno));
		return -1;
	}
	if (tunnel_exec(peer, cmd, &io, &status, errmsg) == -1)
		goto out;
	tok = str_trim(out.s ? out.s : (char *)"");
	if (*tok == '\0') {
		/* an upstream daemon, or one older than the token: none */
		if (unlink(path) == -1 && errno != ENOENT) {
			*errmsg = xasprintf("%s: %s", path, strerror(errno));
			goto out;
		}
		rc = 0;
		goto out;
	}
	if (strlen(tok) > 1024 || strpbrk(tok, " \t\r\n")) {
		*errmsg = xstrdup("the peer's ~/.codecast/daemon.token is not "
		    "a token");
		goto out;
	}
	rc = token_file_write(path, tok, errmsg);
out:
	if (out.s)
		explicit_bzero(out.s, out.len);
	buf_free(&out);
	free(path);
	return rc;
}
