/* ssh.c — libssh2 sessions to peers, jump chains, host keys, auth.
 * See ssh.h. */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "paths.h"
#include "proxycmd.h"
#include "ssh.h"
#include "util.h"

#define MAX_HOPS	16
#define PUMP_BUF	(64 * 1024)
#define SEND_STALL_MS	30000	/* a peer that takes no bytes this long is dead */

struct hop {
	const struct peer *p;
	int sock;		/* the session's socket: TCP, or a socketpair end */
	LIBSSH2_SESSION *s;
	LIBSSH2_CHANNEL *ch;	/* direct-tcpip to the next hop */
	int pump_fd;		/* the other socketpair end, pumped to ch */
	pid_t proxy_pid;	/* the proxy_command carrying sock, or -1 */
	int sock_err;		/* errno of the last failed send, 0: none */
	pthread_t thr;
	bool thr_started;
	atomic_bool dead;
	char *password;		/* for keyboard-interactive */
};

struct ssh_conn {
	struct hop *hops;
	int n;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void
do_init(void)
{
	libssh2_init(0);
}

void
ssh_global_init(void)
{
	pthread_once(&init_once, do_init);
}

/* libssh2 keeps at most one partly sent packet and, in non-blocking mode,
 * completes it on behalf of whichever call comes next — which then believes
 * its own packet went out.  Sending everything before returning (bounded by
 * SEND_STALL_MS) means a packet is never left half sent, so many channels on
 * one non-blocking session are safe. */
static LIBSSH2_SEND_FUNC(send_all)
{
	const char *p = buffer;
	size_t off = 0;
	long long deadline = monotonic_ms() + SEND_STALL_MS;
	struct hop *h = *abstract;

	while (off < length) {
		ssize_t n = send(socket, p + off, length - off, flags | MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			long long left = deadline - monotonic_ms();
			struct pollfd pfd = { .fd = socket, .events = POLLOUT };
			if (left <= 0)
				return off ? (ssize_t)off : -ETIMEDOUT;
			if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
				return -errno;
			continue;
		}
		if (n < 0)
			h->sock_err = errno;	/* for ssh_socket_error() */
		return off ? (ssize_t)off : (n < 0 ? -errno : -EPIPE);
	}
	return (ssize_t)off;
}

static char *
sess_error(LIBSSH2_SESSION *s)
{
	char *msg = NULL;
	int len = 0;

	libssh2_session_last_error(s, &msg, &len, 0);
	return xstrdup(msg && *msg ? msg : "unknown libssh2 error");
}

char *
ssh_known_host_name(const char *host, int port)
{
	if (port == 22)
		return xstrdup(host);
	return xasprintf("[%s]:%d", host, port);
}

/* A peer that vanishes without a word (a suspended laptop, a cut link, a
 * host that froze) is noticed by the kernel rather than after TCP's
 * fifteen minutes of retries: probes after interval seconds of quiet, and
 * bytes unacknowledged for interval × count seconds (our SSH keepalives,
 * sent every interval) end the connection with ETIMEDOUT. */
static void
tcp_liveness(int fd, int interval, int count)
{
	int one = 1, tmo;

	if (interval <= 0)
		return;
	tmo = interval * count * 1000;
	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one) == -1 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &interval,
	    sizeof interval) == -1 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval,
	    sizeof interval) == -1 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count) == -1 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &tmo, sizeof tmo) == -1)
		warn("tcp keepalive");
}

/* TCP connect to host:port within timeout_ms. */
static int
tcp_connect(const char *host, int port, int timeout_ms, enum ssh_fail *why,
    char **err)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
	    .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	char portstr[16];
	int rc, fd = -1, lasterr = 0;
	long long deadline = monotonic_ms() + timeout_ms;

	snprintf(portstr, sizeof portstr, "%d", port);
	if ((rc = getaddrinfo(host, portstr, &hints, &res)) != 0) {
		*why = SSH_FAIL_RESOLVE;
		*err = xasprintf("resolve %s: %s", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1) {
			lasterr = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			long long left = deadline - monotonic_ms();
			int soerr = 0;
			socklen_t sl = sizeof soerr;
			do {
				rc = poll(&pfd, 1, left > 0 ? (int)left : 0);
			} while (rc < 0 && errno == EINTR);
			if (rc == 0) {
				lasterr = ETIMEDOUT;
			} else if (rc > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR,
			    &soerr, &sl) == 0 && soerr == 0) {
				break;
			} else {
				lasterr = soerr ? soerr : errno;
			}
		} else {
			lasterr = errno;
		}
		close(fd);
		fd = -1;
		if (monotonic_ms() >= deadline)
			break;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		*why = SSH_FAIL_CONNECT;
		*err = xasprintf("connect %s:%d: %s", host, port,
		    lasterr == ETIMEDOUT ? "timed out" : strerror(lasterr));
		return -1;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

static int
key_bit(int hostkey_type)
{
	switch (hostkey_type) {
	case LIBSSH2_HOSTKEY_TYPE_RSA: return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
	case LIBSSH2_HOSTKEY_TYPE_DSS: return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
	case LIBSSH2_HOSTKEY_TYPE_ED25519: return LIBSSH2_KNOWNHOST_KEY_ED25519;
	default: return 0;
	}
}

/* Check each known_hosts line on its own so a mismatch can be reported
 * with its line number; lines libssh2 cannot parse are skipped, as OpenSSH
 * skips lines it does not understand. */
static int
check_known(LIBSSH2_SESSION *s, const char *path, const char *host, int port,
    const char *key, size_t keylen, int typemask, int *mismatch_line)
{
	struct buf file = { 0 };
	char *line, *save = NULL;
	int lineno = 0, result = LIBSSH2_KNOWNHOST_CHECK_NOTFOUND;

	*mismatch_line = 0;
	if (read_file(path, 16 << 20, &file) == -1)
		return errno == ENOENT ? LIBSSH2_KNOWNHOST_CHECK_NOTFOUND : -1;
	for (line = file.s; line; line = save) {
		char *nl = strchr(line, '\n');
		save = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		lineno++;
		char *t = line;
		while (*t == ' ' || *t == '\t')
			t++;
		if (*t == '\0' || *t == '#' || *t == '@')
			continue;
		LIBSSH2_KNOWNHOSTS *kh = libssh2_knownhost_init(s);
		if (!kh)
			continue;
		if (libssh2_knownhost_readline(kh, t, strlen(t),
		    LIBSSH2_KNOWNHOST_FILE_OPENSSH) == 0) {
			int r = libssh2_knownhost_checkp(kh, host, port, key, keylen,
			    typemask, NULL);
			if (r == LIBSSH2_KNOWNHOST_CHECK_MATCH) {
				result = r;
				libssh2_knownhost_free(kh);
				break;
			}
			if (r == LIBSSH2_KNOWNHOST_CHECK_MISMATCH && !*mismatch_line) {
				*mismatch_line = lineno;
				result = r;
			}
		}
		libssh2_knownhost_free(kh);
	}
	buf_free(&file);
	return result;
}

static int
record_known(LIBSSH2_SESSION *s, const char *path, const char *name,
    const char *key, size_t keylen, int typemask, char **err)
{
	LIBSSH2_KNOWNHOSTS *kh = libssh2_knownhost_init(s);
	struct libssh2_knownhost *store;
	char line[16384];
	size_t outlen = 0;
	int fd, rc = -1;

	if (!kh) {
		*err = xstrdup("known_hosts: out of memory");
		return -1;
	}
	if (libssh2_knownhost_addc(kh, name, NULL, key, keylen, NULL, 0,
	    typemask, &store) != 0 ||
	    libssh2_knownhost_writeline(kh, store, line, sizeof line, &outlen,
	    LIBSSH2_KNOWNHOST_FILE_OPENSSH) != 0) {
		*err = xasprintf("%s: cannot format entry for %s", path, name);
		goto out;
	}
	if (mkdir_parent(path, 0700) == -1 ||
	    (fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		*err = xasprintf("%s: %s", path, strerror(errno));
		goto out;
	}
	flock(fd, LOCK_EX);
	struct stat st;
	if (fstat(fd, &st) == 0 && st.st_size > 0) {
		/* do not glue our line onto a last line without newline */
		char last = '\n';
		int rfd = open(path, O_RDONLY | O_CLOEXEC);
		if (rfd != -1) {
			if (pread(rfd, &last, 1, st.st_size - 1) != 1)
				last = '\n';
			close(rfd);
		}
		if (last != '\n' && write_all(fd, "\n", 1) == -1)
			goto werr;
	}
	if (write_all(fd, line, outlen) == -1)
		goto werr;
	close(fd);
	rc = 0;
	goto out;
werr:
	*err = xasprintf("%s: %s", path, strerror(errno));
	close(fd);
out:
	libssh2_knownhost_free(kh);
	return rc;
}

static int
check_hostkey(struct hop *h, enum ssh_fail *why, char **err)
{
	const struct peer *p = h->p;
	size_t len;
	int type, bit, mline, r;
	const char *key;
	char *home_ssh, *name;

	if (p->host_key_check == HKC_OFF)
		return 0;
	key = libssh2_session_hostkey(h->s, &len, &type);
	if (!key) {
		*why = SSH_FAIL_PROTO;
		*err = xstrdup("no host key from server");
		return -1;
	}
	bit = key_bit(type);
	if (!bit) {
		*why = SSH_FAIL_HOSTKEY;
		*err = xstrdup("host key of an unsupported type");
		return -1;
	}
	home_ssh = xasprintf("%s/.ssh/known_hosts", path_home());
	name = ssh_known_host_name(p->host, p->port);
	int mask = LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | bit;
	r = check_known(h->s, home_ssh, p->host, p->port, key, len, mask, &mline);
	if (r == LIBSSH2_KNOWNHOST_CHECK_MATCH) {
		free(home_ssh);
		free(name);
		return 0;
	}
	*why = SSH_FAIL_HOSTKEY;
	if (r == -1) {
		*err = xasprintf("%s: %s", home_ssh, strerror(errno));
	} else if (r == LIBSSH2_KNOWNHOST_CHECK_MISMATCH) {
		*err = xasprintf("host key for %s has changed (%s:%d); refusing to "
		    "connect (remove that line if the change is expected)",
		    name, home_ssh, mline);
	} else if (p->host_key_check == HKC_STRICT) {
		*err = xasprintf("host key for %s is not in %s (host_key_check: "
		    "strict)", name, home_ssh);
	} else if (record_known(h->s, home_ssh, name, key, len, mask, err) == 0) {
		free(home_ssh);
		free(name);
		return 0;
	}
	free(home_ssh);
	free(name);
	return -1;
}

static LIBSSH2_USERAUTH_KBDINT_RESPONSE_FUNC(kbd_answer)
{
	struct hop *h = *abstract;
	int i;

	(void)name; (void)name_len; (void)instruction; (void)instruction_len;
	(void)prompts;
	for (i = 0; i < num_prompts; i++) {
		const char *pw = h && h->password ? h->password : "";
		responses[i].text = strdup(pw);
		responses[i].length = responses[i].text ? (unsigned int)strlen(pw) : 0;
	}
}

static bool
has_method(const char *list, const char *m)
{
	size_t n = strlen(m);
	const char *s = list;

	while (s && *s) {
		if (strncmp(s, m, n) == 0 && (s[n] == ',' || s[n] == '\0'))
			return true;
		s = strchr(s, ',');
		if (s)
			s++;
	}
	return false;
}

static void
tried_add(struct buf *t, const char *what)
{
	if (t->len)
		buf_puts(t, ", ");
	buf_puts(t, what);
}

static int
try_agent(LIBSSH2_SESSION *s, const char *user)
{
	LIBSSH2_AGENT *a;
	struct libssh2_agent_publickey *id = NULL, *prev = NULL;
	int ok = -1;

	if (!getenv("SSH_AUTH_SOCK") || !(a = libssh2_agent_init(s)))
		return -1;
	if (libssh2_agent_connect(a) == 0 && libssh2_agent_list_identities(a) == 0) {
		while (libssh2_agent_get_identity(a, &id, prev) == 0) {
			if (libssh2_agent_userauth(a, user, id) == 0) {
				ok = 0;
				break;
			}
			prev = id;
		}
	}
	libssh2_agent_disconnect(a);
	libssh2_agent_free(a);
	return ok;
}

/* The remote user: the peer's, else ours. */
static const char *
peer_user(const struct peer *p)
{
	struct passwd *pw;

	if (p->user)
		return p->user;
	pw = getpwuid(getuid());
	return pw ? pw->pw_name : "root";
}

static int
authenticate(struct hop *h, enum ssh_fail *why, char **err)
{
	const struct peer *p = h->p;
	const char *user = peer_user(p);
	struct buf tried = { 0 };
	char *methods, *pwerr = NULL;

	methods = libssh2_userauth_list(h->s, user, (unsigned)strlen(user));
	if (!methods) {
		if (libssh2_userauth_authenticated(h->s))
			return 0;
		char *m = sess_error(h->s);
		*why = SSH_FAIL_PROTO;
		*err = xasprintf("auth: %s", m);
		free(m);
		return -1;
	}
	methods = xstrdup(methods);
	if (has_method(methods, "publickey")) {
		if (p->ssh_key) {
			char *t = xasprintf("publickey %s", p->ssh_key);
			tried_add(&tried, t);
			free(t);
			if (libssh2_userauth_publickey_fromfile(h->s, user, NULL,
			    p->ssh_key, NULL) == 0)
				goto ok;
		} else {
			static const char *ids[] = { "id_ed25519", "id_ecdsa", "id_rsa" };
			for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
				char *f = xasprintf("%s/.ssh/%s", path_home(), ids[i]);
				if (access(f, R_OK) == 0) {
					char *t = xasprintf("publickey ~/.ssh/%s", ids[i]);
					tried_add(&tried, t);
					free(t);
					if (libssh2_userauth_publickey_fromfile(h->s, user,
					    NULL, f, NULL) == 0) {
						free(f);
						goto ok;
					}
				}
				free(f);
			}
		}
		if (getenv("SSH_AUTH_SOCK")) {
			tried_add(&tried, "agent");
			if (try_agent(h->s, user) == 0)
				goto ok;
		}
	}
	h->password = config_peer_password(p, &pwerr);
	if (h->password && has_method(methods, "password")) {
		tried_add(&tried, "password");
		if (libssh2_userauth_password(h->s, user, h->password) == 0)
			goto ok;
	}
	if (h->password && has_method(methods, "keyboard-interactive")) {
		tried_add(&tried, "keyboard-interactive");
		if (libssh2_userauth_keyboard_interactive(h->s, user, kbd_answer) == 0)
			goto ok;
	}
	*why = SSH_FAIL_AUTH;
	*err = xasprintf("authentication as %s failed (tried: %s; server offers: "
	    "%s)%s%s", user, tried.len ? tried.s : "nothing", methods,
	    pwerr ? "; " : "", pwerr ? pwerr : "");
	free(pwerr);
	free(methods);
	buf_free(&tried);
	return -1;
ok:
	free(pwerr);
	free(methods);
	buf_free(&tried);
	return 0;
}

/* Pump bytes between the next hop's socketpair end and this hop's
 * direct-tcpip channel.  Owns h->s from here on. */
static void *
pump_main(void *arg)
{
	struct hop *h = arg;
	char *up = xmalloc(PUMP_BUF), *down = xmalloc(PUMP_BUF);
	size_t uplen = 0, downlen = 0;
	bool fd_eof = false, ch_eof = false, shut = false, eof_sent = false;

	libssh2_session_set_blocking(h->s, 0);
	libssh2_keepalive_config(h->s, 0, (unsigned)h->p->alive_interval);
	for (;;) {
		bool progress = false;
		ssize_t n;

		if (!ch_eof && downlen < PUMP_BUF) {
			n = libssh2_channel_read(h->ch, down + downlen, PUMP_BUF - downlen);
			if (n > 0) {
				downlen += (size_t)n;
				progress = true;
			} else if (n == 0 || n == LIBSSH2_ERROR_EAGAIN) {
				if (libssh2_channel_eof(h->ch))
					ch_eof = true;
			} else {
				break;
			}
		}
		if (downlen > 0) {
			n = send(h->pump_fd, down, downlen, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n > 0) {
				memmove(down, down + n, downlen - (size_t)n);
				downlen -= (size_t)n;
				progress = true;
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				break;	/* next hop gone */
			}
		}
		if (ch_eof && downlen == 0 && !shut) {
			shutdown(h->pump_fd, SHUT_WR);
			shut = true;
		}
		if (!fd_eof && uplen < PUMP_BUF) {
			n = recv(h->pump_fd, up + uplen, PUMP_BUF - uplen, MSG_DONTWAIT);
			if (n > 0) {
				uplen += (size_t)n;
				progress = true;
			} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
				fd_eof = true;
			}
		}
		if (uplen > 0) {
			n = libssh2_channel_write(h->ch, up, uplen);
			if (n > 0) {
				memmove(up, up + n, uplen - (size_t)n);
				uplen -= (size_t)n;
				progress = true;
			} else if (n != LIBSSH2_ERROR_EAGAIN && n != 0) {
				break;
			}
		}
		if (fd_eof && uplen == 0) {
			if (!eof_sent) {
				libssh2_channel_send_eof(h->ch);
				eof_sent = true;
			}
			break;	/* the next hop is finished with us */
		}
		if (shut && fd_eof)
			break;
		if (ch_eof && downlen == 0)
			break;	/* the jump host closed the channel */
		int next = h->p->alive_interval;
		if (libssh2_keepalive_send(h->s, &next) != 0)
			break;
		if (progress)
			continue;
		struct pollfd pfd[2] = {
			{ .fd = h->sock, .events = POLLIN },
			{ .fd = h->pump_fd, .events = (short)((!fd_eof && uplen < PUMP_BUF ?
			    POLLIN : 0) | (downlen ? POLLOUT : 0)) },
		};
		if (poll(pfd, 2, next > 0 ? next * 1000 : 1000) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents & (POLLERR | POLLNVAL))
			break;
	}
	atomic_store(&h->dead, true);
	/* Make the next hop see the end now, then tear this hop down. */
	shutdown(h->pump_fd, SHUT_RDWR);
	libssh2_session_set_blocking(h->s, 1);
	libssh2_session_set_timeout(h->s, 2000);
	libssh2_channel_free(h->ch);
	h->ch = NULL;
	libssh2_session_disconnect(h->s, "bye");
	libssh2_session_free(h->s);
	h->s = NULL;
	free(up);
	free(down);
	return NULL;
}

static void
hop_teardown(struct hop *h)
{
	if (h->thr_started) {
		/* the pump owns the session; it ends when its pump_fd's peer
		 * (the next hop's socket, already closed) is gone */
		pthread_join(h->thr, NULL);
		h->thr_started = false;
	} else if (h->s) {
		if (h->ch)
			libssh2_channel_free(h->ch);
		libssh2_session_set_timeout(h->s, 2000);
		libssh2_session_disconnect(h->s, "bye");
		libssh2_session_free(h->s);
	}
	h->s = NULL;
	h->ch = NULL;
	if (h->pump_fd != -1)
		close(h->pump_fd);
	h->pump_fd = -1;
	if (h->sock != -1)
		close(h->sock);
	h->sock = -1;
	proxycmd_stop(&h->proxy_pid, 1000);
	if (h->password) {
		explicit_bzero(h->password, strlen(h->password));
		free(h->password);
		h->password = NULL;
	}
}

void
ssh_disconnect(struct ssh_conn *c)
{
	if (!c)
		return;
	for (int i = c->n - 1; i >= 0; i--)
		hop_teardown(&c->hops[i]);
	free(c->hops);
	free(c);
}

static char *
hop_prefix(const struct ssh_conn *c, int i)
{
	const struct peer *p = c->hops[i].p;

	if (i == c->n - 1)
		return xstrdup("");
	return xasprintf("jump host %s: ", p->id);
}

struct ssh_conn *
ssh_connect(const struct config *cfg, const struct peer *p, int timeout_ms,
    enum ssh_fail *why, char **errmsg)
{
	const struct peer *chain[MAX_HOPS];
	struct ssh_conn *c;
	char *e = NULL;
	int n = 0, i;

	ssh_global_init();
	*why = SSH_FAIL_NONE;
	/* target first, then its jump hosts; reversed below */
	for (const struct peer *q = p; q; ) {
		for (i = 0; i < n; i++)
			if (chain[i] == q) {
				*why = SSH_FAIL_PROTO;
				*errmsg = xasprintf("proxy_jump loop at %s", q->id);
				return NULL;
			}
		if (n == MAX_HOPS) {
			*why = SSH_FAIL_PROTO;
			*errmsg = xasprintf("more than %d hops", MAX_HOPS);
			return NULL;
		}
		if (!q->host) {
			*why = SSH_FAIL_PROTO;
			*errmsg = xasprintf("%s%s: no ssh_host", q == p ? "" :
			    "jump host ", q->id);
			return NULL;
		}
		if (q->proxy_jump && q->proxy_command) {
			*why = SSH_FAIL_PROTO;
			*errmsg = xasprintf("%s%s: proxy_jump and proxy_command "
			    "exclude each other", q == p ? "" : "jump host ",
			    q->id);
			return NULL;
		}
		chain[n++] = q;
		if (!q->proxy_jump)
			break;
		const struct peer *j = config_peer(cfg, q->proxy_jump);
		if (!j) {
			*why = SSH_FAIL_PROTO;
			*errmsg = xasprintf("proxy_jump %s: no such peer", q->proxy_jump);
			return NULL;
		}
		q = j;
	}
	c = xcalloc(1, sizeof *c);
	c->hops = xcalloc((size_t)n, sizeof *c->hops);
	c->n = n;
	for (i = 0; i < n; i++) {
		c->hops[i].p = chain[n - 1 - i];
		c->hops[i].sock = c->hops[i].pump_fd = -1;
		c->hops[i].proxy_pid = -1;
		atomic_init(&c->hops[i].dead, false);
	}
	for (i = 0; i < n; i++) {
		struct hop *h = &c->hops[i];
		int rc;

		if (i == 0 && h->p->proxy_command) {
			char *cmd = proxycmd_expand(h->p->proxy_command, h->p,
			    peer_user(h->p), &e);

			if (cmd == NULL) {
				char *m = e;

				*why = SSH_FAIL_PROTO;
				e = xasprintf("proxy_command: %s", m);
				free(m);
				goto fail;
			}
			h->sock = proxycmd_start(cmd, &h->proxy_pid, &e);
			free(cmd);
			if (h->sock == -1) {
				*why = SSH_FAIL_CONNECT;
				goto fail;
			}
		} else if (i == 0) {
			h->sock = tcp_connect(h->p->host, h->p->port, timeout_ms, why, &e);
			if (h->sock == -1)
				goto fail;
			tcp_liveness(h->sock, h->p->alive_interval,
			    h->p->alive_count);
		}
		h->s = libssh2_session_init_ex(NULL, NULL, NULL, h);
		if (!h->s) {
			*why = SSH_FAIL_PROTO;
			e = xstrdup("cannot create an ssh session");
			goto fail;
		}
		libssh2_session_callback_set(h->s, LIBSSH2_CALLBACK_SEND, (void *)send_all);
		libssh2_session_set_blocking(h->s, 1);
		libssh2_session_set_timeout(h->s, timeout_ms);
		if ((rc = libssh2_session_handshake(h->s, h->sock)) != 0) {
			char *m = sess_error(h->s), *how = NULL;

			*why = rc == LIBSSH2_ERROR_TIMEOUT ? SSH_FAIL_CONNECT : SSH_FAIL_PROTO;
			/* A proxy that gave up says more than the
			 * handshake's read error (give it 200 ms to end). */
			if (h->proxy_pid != -1 && rc != LIBSSH2_ERROR_TIMEOUT)
				for (int k = 0; k < 20 && (how =
				    proxycmd_ended(&h->proxy_pid)) == NULL; k++)
					sleep_ms(10);
			if (how) {
				*why = SSH_FAIL_CONNECT;
				e = xasprintf("proxy_command %s before the ssh "
				    "handshake with %s:%d", how, h->p->host,
				    h->p->port);
			} else
				e = xasprintf("ssh handshake with %s:%d%s: %s",
				    h->p->host, h->p->port, h->proxy_pid != -1 ?
				    " over proxy_command" : "",
				    rc == LIBSSH2_ERROR_TIMEOUT ? "timed out" : m);
			free(how);
			free(m);
			goto fail;
		}
		if (check_hostkey(h, why, &e) == -1)
			goto fail;
		if (authenticate(h, why, &e) == -1)
			goto fail;
		if (i == n - 1)
			break;
		/* open the way to the next hop and hand this session to a pump */
		const struct peer *nx = c->hops[i + 1].p;
		h->ch = libssh2_channel_direct_tcpip_ex(h->s, nx->host, nx->port,
		    "127.0.0.1", 22);
		if (!h->ch) {
			char *m = sess_error(h->s);
			*why = libssh2_session_last_errno(h->s) == LIBSSH2_ERROR_TIMEOUT ?
			    SSH_FAIL_CONNECT : SSH_FAIL_CONNECT;
			e = xasprintf("channel to %s:%d: %s", nx->host, nx->port, m);
			free(m);
			goto fail;
		}
		int sp[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
			*why = SSH_FAIL_PROTO;
			e = xasprintf("socketpair: %s", strerror(errno));
			goto fail;
		}
		h->pump_fd = sp[1];
		c->hops[i + 1].sock = sp[0];
		if ((rc = pthread_create(&h->thr, NULL, pump_main, h)) != 0) {
			*why = SSH_FAIL_PROTO;
			e = xasprintf("pthread_create: %s", strerror(rc));
			goto fail;
		}
		h->thr_started = true;
	}
	return c;
fail:
	{
		char *pre = hop_prefix(c, i);
		*errmsg = xasprintf("%s%s", pre, e);
		free(pre);
		free(e);
	}
	ssh_disconnect(c);
	return NULL;
}

int
ssh_socket_error(const struct ssh_conn *c)
{
	return c->hops[c->n - 1].sock_err;
}

LIBSSH2_SESSION *
ssh_session(const struct ssh_conn *c)
{
	return c->hops[c->n - 1].s;
}

int
ssh_socket(const struct ssh_conn *c)
{
	return c->hops[c->n - 1].sock;
}

int
ssh_hops(const struct ssh_conn *c)
{
	return c->n;
}

bool
ssh_jumps_alive(const struct ssh_conn *c)
{
	for (int i = 0; i < c->n - 1; i++)
		if (atomic_load(&c->hops[i].dead))
			return false;
	return true;
}

int
ssh_run_capture(LIBSSH2_SESSION *s, int sock, const char *cmd, size_t max,
    char **out, int *status, char **errmsg)
{
	LIBSSH2_CHANNEL *ch;
	struct buf b = { 0 };
	char tmp[4096];
	long timeout = libssh2_session_get_timeout(s);
	long long deadline = monotonic_ms() + (timeout > 0 ? timeout : 10000);
	int rc = -1;

	*out = NULL;
	if (!(ch = libssh2_channel_open_session(s))) {
		char *m = sess_error(s);
		*errmsg = xasprintf("open session channel: %s", m);
		free(m);
		return -1;
	}
	if (libssh2_channel_exec(ch, cmd) != 0) {
		char *m = sess_error(s);
		*errmsg = xasprintf("exec: %s", m);
		free(m);
		libssh2_channel_free(ch);
		return -1;
	}
	/* read both streams without blocking on either: blocking reads of one
	 * stream spin or stall while the other has data */
	libssh2_session_set_blocking(s, 0);
	for (;;) {
		ssize_t n = libssh2_channel_read(ch, tmp, sizeof tmp);
		if (n > 0) {
			if (b.len + (size_t)n <= max)
				buf_append(&b, tmp, (size_t)n);
			continue;
		}
		char junk[1024];
		ssize_t e = libssh2_channel_read_stderr(ch, junk, sizeof junk);
		if (e > 0)
			continue;
		if ((n < 0 && n != LIBSSH2_ERROR_EAGAIN) ||
		    (e < 0 && e != LIBSSH2_ERROR_EAGAIN)) {
			char *msg = sess_error(s);
			*errmsg = xasprintf("read: %s", msg);
			free(msg);
			goto out;
		}
		if (libssh2_channel_eof(ch))
			break;
		long long left = deadline - monotonic_ms();
		if (left <= 0) {
			*errmsg = xstrdup("read: timed out");
			goto out;
		}
		struct pollfd pfd = { .fd = sock, .events = POLLIN };
		if (libssh2_session_block_directions(s) & LIBSSH2_SESSION_BLOCK_OUTBOUND)
			pfd.events |= POLLOUT;
		poll(&pfd, 1, left > 1000 ? 1000 : (int)left);
	}
	rc = 0;
out:
	libssh2_session_set_blocking(s, 1);
	if (rc == 0) {
		libssh2_channel_close(ch);
		libssh2_channel_wait_closed(ch);
		*status = libssh2_channel_get_exit_status(ch);
		*out = buf_steal(&b);
	}
	libssh2_channel_free(ch);
	buf_free(&b);
	return rc;
}
