/* cc-tunnel — make sure a local port forwards to a peer's daemon, print it.
 * See cc-tunnel(1).  The holder lives in lib/tunnel.c, SSH in lib/ssh.c. */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "paths.h"
#include "urlhost.h"
#include "table.h"
#include "tunnel.h"
#include "util.h"

#define EX_OK_		0
#define EX_ERR		1
#define EX_USAGE_	2
#define EX_DAEMON	7
#define EX_EXEC_FAIL	255

static void
usage(FILE *f)
{
	fputs(
"usage: cc-tunnel [options] PEER           ensure a tunnel, print its port\n"
"       cc-tunnel [options] -f PEER        hold the tunnel in the foreground\n"
"       cc-tunnel [options] exec PEER -- CMD ...\n"
"       cc-tunnel [options] --list [-t]\n"
"       cc-tunnel [options] --close PEER | --close-all\n"
"\n"
"Makes sure a detached holder process keeps an SSH connection to PEER and\n"
"forwards a local port (127.0.0.1, 19100..19299) to the peer's daemon, then\n"
"prints that port.  transport: local prints the daemon's port, transport:\n"
"http its https:// URL.  exec runs CMD on the peer over the held connection\n"
"(stdin, stdout, stderr and the exit status pass through).\n"
"\n"
"options:\n"
"  -c, --config FILE   config file (default $CODECAST_CONFIG, ~/.codecast/config.yaml)\n"
"      --timeout SECS  connect timeout per hop (default 10)\n"
"      --no-ensure     do not check (and start) the peer's daemon\n"
"      --check         check the daemon even when this tunnel saw it answer\n"
"  -f, --foreground    hold the tunnel in this process, log on stderr\n"
"      --list          one JSON object per tunnel: peer, port, pid, started, alive\n"
"  -t                  with --list: a table\n"
"      --close PEER    stop PEER's holder\n"
"      --close-all     stop every holder\n"
"  -h, --help          this text\n"
"\n"
"exit: 0 ok, 1 error, 2 usage, 3 unreachable (name, refused, timeout),\n"
"4 host key refused, 5 authentication failed, 6 ssh protocol error,\n"
"7 the daemon does not answer; exec: the command's status, 255 on failure.\n",
	    f);
}

static struct config *
load_config(const char *path_opt)
{
	char *path = config_path(path_opt), *e = NULL;
	struct config *cfg = config_load(path, &e);

	if (!cfg)
		errx(EX_ERR, "%s", e);
	free(path);
	return cfg;
}

static const struct peer *
find_peer(const struct config *cfg, const char *id)
{
	const struct peer *p = config_peer(cfg, id);

	if (!p)
		errx(EX_ERR, "%s: no such peer in %s", id, cfg->path);
	return p;
}

static int
local_daemon_port(const struct peer *p)
{
	char *f = path_state("daemon.port");
	struct buf b = { 0 };
	long long v;
	int port = p->daemon_port;

	if (read_file(f, 64, &b) == 0 && str_to_ll(str_trim(b.s), 1, 65535, &v))
		port = (int)v;
	buf_free(&b);
	free(f);
	return port;
}

static void
print_http(const struct peer *p)
{
	char *url = config_peer_url(p);

	if (url == NULL)
		errx(EX_ERR, "%s: transport http needs an address", p->id);
	/* The token would travel in clear text to whoever asks this URL. */
	if (p->token && *p->token && !p->insecure && url_cleartext(url))
		errx(EX_ERR, "%s: %s: refusing an http:// address for a peer "
		    "with a token (it would travel in clear text); use "
		    "https://, or set insecure: true", p->id, url);
	printf("%s\n", url);
	free(url);
}

/* health.check on 127.0.0.1:port with a plain HTTP/1.0 POST.  Deliberately
 * not libcurl: linking it costs several milliseconds on every run, and the
 * warm path (a holder is up) must stay under 5 ms per process. */
static bool
healthy(int port, int timeout_ms)
{
	static const char req_body[] = "{\"method\":\"health.check\"}";
	struct sockaddr_in sa = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)port),
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct buf req = { 0 }, resp = { 0 };
	bool ok = false;
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return false;
	struct timeval tv = { .tv_sec = timeout_ms / 1000,
	    .tv_usec = (timeout_ms % 1000) * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == -1)
		goto out;
	buf_printf(&req, "POST /rpc HTTP/1.0\r\nHost: 127.0.0.1:%d\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	    port, sizeof req_body - 1, req_body);
	if (write_all(fd, req.s, req.len) == -1)
		goto out;
	if (read_fd(fd, 1 << 20, &resp) == -1 && resp.len == 0)
		goto out;
	if (resp.len == 0 || !str_starts(resp.s, "HTTP/1.") ||
	    !strstr(resp.s, " 200"))
		goto out;
	char *body = strstr(resp.s, "\r\n\r\n");
	if (!body)
		goto out;
	json_error_t je;
	json_t *o = json_loads(body + 4, JSON_DISABLE_EOF_CHECK, &je), *r;
	if (o) {
		r = json_object_get(o, "result");
		if (!json_is_object(r))
			r = o;
		ok = json_is_true(json_object_get(r, "ok"));
		json_decref(o);
	}
out:
	close(fd);
	buf_free(&req);
	buf_free(&resp);
	return ok;
}

/* The program next to this one (bin/cc-deploy beside bin/cc-tunnel), else
 * the name for a PATH search. */
static char *
sibling(const char *name)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			char *p = xasprintf("%s/%s", self, name);
			if (access(p, X_OK) == 0)
				return p;
			free(p);
		}
	}
	return xstrdup(name);
}

/* The daemon-ensure step: when nothing answers health.check through the
 * tunnel, make the peer's daemon run and point the holder at the port it
 * really listens on.  The logic is daemon_ensure() in lib/daemon.c, shared
 * with cc-deploy; it runs in a `cc-deploy ensure` child (over this holder's
 * connection, through lib/remote_ssh.c) so that cc-tunnel itself does not
 * link libcurl (see healthy()). */
static int
deploy_ensure(const struct config *cfg, const struct peer *p, long long *portp)
{
	int pfd[2], st;
	pid_t pid;
	struct buf out = { 0 };
	long long rport;

	if (pipe2(pfd, O_CLOEXEC) == -1)
		err(EX_ERR, "pipe");
	char *prog = sibling("cc-deploy");
	fflush(NULL);
	if ((pid = fork()) == -1)
		err(EX_ERR, "fork");
	if (pid == 0) {
		dup2(pfd[1], 1);
		/* ---- the single daemon_ensure call site ---- */
		execlp(prog, "cc-deploy", "-c", cfg->path, "ensure", p->id, (char *)NULL);
		warn("%s", prog);
		_exit(127);
	}
	close(pfd[1]);
	free(prog);
	if (read_fd(pfd[0], 4096, &out) == -1)
		warn("cc-deploy ensure: read");
	close(pfd[0]);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		buf_free(&out);
		/* cc-deploy has said why on stderr */
		warnx("%s: the daemon on the peer could not be made to answer", p->id);
		return EX_DAEMON;
	}
	if (!out.s || !str_to_ll(str_trim(out.s), 1, 65535, &rport)) {
		warnx("%s: cc-deploy ensure printed no port", p->id);
		buf_free(&out);
		return EX_DAEMON;
	}
	buf_free(&out);
	*portp = rport;
	return 0;
}

static int
ensure_daemon(const struct config *cfg, const struct peer *p, int port)
{
	long long rport;
	int rc;

	if (healthy(port, 5000))
		return 0;
	if ((rc = deploy_ensure(cfg, p, &rport)) != 0)
		return rc;
	char *e = NULL;
	if (tunnel_set_remote_port(p->id, (int)rport, &e) == -1) {
		warnx("%s", e);
		free(e);
		return EX_DAEMON;
	}
	for (int i = 0; i < 20; i++) {
		if (healthy(port, 2000))
			return 0;
		usleep(250000);
	}
	warnx("%s: the daemon on the peer's port %lld does not answer health.check",
	    p->id, rport);
	return EX_DAEMON;
}

static int
cmd_ensure(const struct config *cfg, const char *id, int timeout_ms,
    bool no_ensure, bool check)
{
	const struct peer *p = find_peer(cfg, id);
	int port;
	bool started;
	enum ssh_fail why;
	char *e = NULL;

	switch (p->transport) {
	case TRANSPORT_LOCAL: {
		/* No tunnel: the daemon's own port, made to answer first. */
		long long lport = local_daemon_port(p);
		if (!no_ensure && !healthy((int)lport, check ? 5000 : 2000)) {
			int rc = deploy_ensure(cfg, p, &lport);
			if (rc)
				return rc;
		}
		printf("%lld\n", lport);
		return EX_OK_;
	}
	case TRANSPORT_HTTP:
		print_http(p);
		return EX_OK_;
	case TRANSPORT_SSH:
		break;
	}
	if (tunnel_ensure(cfg, p, timeout_ms, &port, &started, &why, &e) == -1) {
		warnx("%s: %s", id, e);
		free(e);
		return tunnel_exit_code(why) ? tunnel_exit_code(why) : EX_ERR;
	}
	/* The daemon is made sure of when this holder is new, when another
	 * command started the holder, and with --check (a caller saw the
	 * daemon fail). */
	if (!no_ensure && (started || check || !tunnel_is_ensured(id))) {
		int rc = ensure_daemon(cfg, p, port);
		if (rc)
			return rc;
		if (tunnel_mark_ensured(id) == -1)
			warn("%s: ~/.codecast/tunnels/%s.ensured", id, id);
		started = true;		/* and its token fetched again */
	} else if (started && tunnel_mark_ensured(id) == -1)
		/* --no-ensure: the caller's choice stands for this holder */
		warn("%s: ~/.codecast/tunnels/%s.ensured", id, id);
	/* The daemon's owner token, for cc-rpc: fetched when the holder is
	 * new or nothing is cached yet. */
	char *tp = tunnel_token_path(id);
	if (tp && (started || access(tp, F_OK) == -1) &&
	    tunnel_fetch_token(id, &e) == -1) {
		warnx("%s: the daemon's token: %s", id, e);
		free(e);
		free(tp);
		return EX_ERR;
	}
	free(tp);
	printf("%d\n", port);
	return EX_OK_;
}

static int
cmd_foreground(const struct config *cfg, const char *id, int timeout_ms)
{
	const struct peer *p = find_peer(cfg, id);
	int port;

	if (p->transport != TRANSPORT_SSH)
		errx(EX_ERR, "%s: transport %s needs no tunnel", id,
		    transport_name(p->transport));
	if (!tunnel_peer_name_ok(id))
		errx(EX_ERR, "%s: peer id is not usable as a file name", id);
	if (tunnel_ping(id, 2000, &port, NULL) == 0)
		errx(EX_ERR, "%s: a holder is already running (port %d)", id, port);
	setvbuf(stdout, NULL, _IOLBF, 0);
	return tunnel_hold(cfg, p, timeout_ms, -1);
}

static int
out_fd(void *arg, int stream, const char *p, size_t n)
{
	(void)arg;
	if (write_all(stream == 1 ? 1 : 2, p, n) == -1 && errno != EPIPE)
		return -1;
	return 0;
}

static int
cmd_exec(const struct config *cfg, const char *id, int argc, char **argv,
    int timeout_ms)
{
	const struct peer *p = find_peer(cfg, id);
	struct buf cmd = { 0 };
	struct tunnel_exec_io io = { .in_fd = 0, .on_out = out_fd };
	int port, status = 0;
	bool started;
	enum ssh_fail why;
	char *e = NULL;

	if (p->transport != TRANSPORT_SSH)
		errx(EX_EXEC_FAIL, "%s: exec needs transport ssh", id);
	/* like ssh(1): the words are joined with spaces for the peer's shell */
	for (int i = 0; i < argc; i++) {
		if (i)
			buf_putc(&cmd, ' ');
		buf_puts(&cmd, argv[i]);
	}
	if (tunnel_ensure(cfg, p, timeout_ms, &port, &started, &why, &e) == -1) {
		warnx("%s: %s", id, e);
		free(e);
		return EX_EXEC_FAIL;
	}
	if (tunnel_exec(id, cmd.s, &io, &status, &e) == -1) {
		warnx("%s: exec: %s", id, e);
		free(e);
		buf_free(&cmd);
		return EX_EXEC_FAIL;
	}
	buf_free(&cmd);
	return status < 0 ? EX_EXEC_FAIL : status;
}

static int
cmd_list(bool table)
{
	struct tunnel_state *v;
	size_t n;
	json_t *rows = json_array();

	if (tunnel_list(&v, &n) == -1)
		err(EX_ERR, "~/.codecast/tunnels");
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_pack("{s:s, s:i, s:I, s:s?, s:b}", "peer", v[i].peer,
		    "port", v[i].port, "pid", (json_int_t)v[i].pid,
		    "started", v[i].started, "alive", v[i].alive);
		if (!o)
			errx(EX_ERR, "out of memory");
		json_array_append_new(rows, o);
		tunnel_state_free(&v[i]);
	}
	free(v);
	if (table) {
		static const char *const cols[] = { "peer", "port", "pid", "started",
		    "alive", NULL };
		if (table_print(stdout, rows, cols) == -1)
			err(EX_ERR, "stdout");
	} else {
		size_t i;
		json_t *o;
		json_array_foreach(rows, i, o) {
			char *s = json_dumps(o, JSON_COMPACT);
			if (!s)
				errx(EX_ERR, "out of memory");
			puts(s);
			free(s);
		}
	}
	json_decref(rows);
	if (fflush(stdout) == EOF)
		err(EX_ERR, "stdout");
	return EX_OK_;
}

static int
close_one(const char *id)
{
	bool was;
	char *e = NULL;

	if (tunnel_close(id, &was, &e) == -1) {
		warnx("%s: %s", id, e);
		free(e);
		return EX_ERR;
	}
	if (!was)
		warnx("%s: no tunnel was running", id);
	return EX_OK_;
}

static int
cmd_close_all(void)
{
	struct tunnel_state *v;
	size_t n;
	int rc = EX_OK_;

	if (tunnel_list(&v, &n) == -1)
		err(EX_ERR, "~/.codecast/tunnels");
	for (size_t i = 0; i < n; i++) {
		bool was;
		char *e = NULL;
		if (tunnel_close(v[i].peer, &was, &e) == -1) {
			warnx("%s: %s", v[i].peer, e);
			free(e);
			rc = EX_ERR;
		}
		tunnel_state_free(&v[i]);
	}
	free(v);
	return rc;
}

int
main(int argc, char **argv)
{
	enum { O_TIMEOUT = 256, O_NO_ENSURE, O_LIST, O_CLOSE, O_CLOSE_ALL, O_CHECK };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "no-ensure", no_argument, NULL, O_NO_ENSURE },
		{ "check", no_argument, NULL, O_CHECK },
		{ "foreground", no_argument, NULL, 'f' },
		{ "list", no_argument, NULL, O_LIST },
		{ "close", required_argument, NULL, O_CLOSE },
		{ "close-all", no_argument, NULL, O_CLOSE_ALL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_opt = NULL, *close_id = NULL;
	bool no_ensure = false, fg = false, list = false, table = false,
	    close_all = false, check = false;
	int timeout_ms = 10000, ch;
	long long v;

	while ((ch = getopt_long(argc, argv, "+c:fth", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': config_opt = optarg; break;
		case O_TIMEOUT:
			if (!str_to_ll(optarg, 1, 3600, &v))
				errx(EX_USAGE_, "--timeout: seconds between 1 and 3600");
			timeout_ms = (int)v * 1000;
			break;
		case O_NO_ENSURE: no_ensure = true; break;
		case O_CHECK: check = true; break;
		case 'f': fg = true; break;
		case O_LIST: list = true; break;
		case 't': table = true; break;
		case O_CLOSE: close_id = optarg; break;
		case O_CLOSE_ALL: close_all = true; break;
		case 'h': usage(stdout); return EX_OK_;
		default: usage(stderr); return EX_USAGE_;
		}
	}
	argc -= optind;
	argv += optind;

	if (list || close_all || close_id) {
		if (argc != 0 || (list + close_all + (close_id != NULL)) != 1) {
			usage(stderr);
			return EX_USAGE_;
		}
		if (list)
			return cmd_list(table);
		if (close_id)
			return close_one(close_id);
		return cmd_close_all();
	}
	if (argc >= 1 && strcmp(argv[0], "exec") == 0) {
		if (argc < 3) {
			usage(stderr);
			return EX_USAGE_;
		}
		int i = 2;
		if (strcmp(argv[2], "--") == 0)
			i = 3;
		if (i >= argc) {
			usage(stderr);
			return EX_USAGE_;
		}
		struct config *cfg = load_config(config_opt);
		int rc = cmd_exec(cfg, argv[1], argc - i, argv + i, timeout_ms);
		config_free(cfg);
		return rc;
	}
	if (argc != 1) {
		usage(stderr);
		return EX_USAGE_;
	}
	struct config *cfg = load_config(config_opt);
	int rc = fg ? cmd_foreground(cfg, argv[0], timeout_ms) :
	    cmd_ensure(cfg, argv[0], timeout_ms, no_ensure, check);
	config_free(cfg);
	return rc;
}
