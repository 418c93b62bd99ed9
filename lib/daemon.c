/* daemon.c — see daemon.h.
 *
 * Everything runs as shell commands on the peer (struct remote), so local and
 * ssh peers take the same path; only the health check differs: a local peer
 * is asked directly (rpc_call), an ssh peer from its own side (curl, else
 * wget, else python3 on the peer, talking to 127.0.0.1). */
#include "daemon.h"
#include "paths.h"
#include "rpc.h"
#include "sha256.h"
#include "shquote.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#define START_TIMEOUT_MS	30000
#define POLL_MAX_MS	2000
#define STOP_WAIT_MS	5000

void
daemon_info_free(struct daemon_info *d)
{
	free(d->version);
	memset(d, 0, sizeof(*d));
}

/* The first line of s, trimmed, for one-line messages (malloc'd). */
static char *
first_line(const char *s)
{
	size_t n;
	char *t;

	while (*s == '\n' || *s == ' ' || *s == '\t' || *s == '\r')
		s++;
	n = strcspn(s, "\r\n");
	t = xstrndup(s, n);
	str_trim(t);
	return t;
}

/* Run cmd; 0 with *status, -1 with *err on transport failure. */
static int
run(struct remote *r, const char *cmd, struct buf *out, int *status, char **err)
{
	struct buf eb = {0};
	char *msg = NULL;
	int rc;

	rc = remote_exec(r, cmd, NULL, 0, out, &eb, status, &msg);
	if (rc != 0) {
		*err = msg ? msg : xstrdup("remote command failed");
		buf_free(&eb);
		return -1;
	}
	free(msg);
	buf_free(&eb);
	if (out)
		buf_append(out, "", 0);
	return 0;
}

/* Run cmd and require exit status 0; the error quotes stderr's first line. */
static int
run_ok(struct remote *r, const char *what, const char *cmd, struct buf *out,
    char **err)
{
	struct buf eb = {0};
	char *msg = NULL, *line;
	int rc, status = -1;

	rc = remote_exec(r, cmd, NULL, 0, out, &eb, &status, &msg);
	if (rc != 0) {
		*err = xasprintf("%s: %s", what, msg ? msg : "remote command failed");
		free(msg);
		buf_free(&eb);
		return -1;
	}
	free(msg);
	if (status != 0) {
		buf_append(&eb, "", 0);
		line = first_line(eb.s);
		if (*line)
			*err = xasprintf("%s: %s", what, line);
		else
			*err = xasprintf("%s: exit status %d", what, status);
		free(line);
		buf_free(&eb);
		return -1;
	}
	buf_free(&eb);
	if (out)
		buf_append(out, "", 0);
	return 0;
}

/* A peer-side path as a shell word: "~/" becomes "$HOME"/. */
static char *
qpath(const char *path)
{
	return shell_quote_path(path);
}

static char *
join(const char *dir, const char *name)
{
	size_t n = strlen(dir);

	if (n > 0 && dir[n - 1] == '/')
		return xasprintf("%s%s", dir, name);
	return xasprintf("%s/%s", dir, name);
}

static const char *
install_dir(const struct config *cfg)
{
	return cfg->daemon.install_dir && *cfg->daemon.install_dir ?
	    cfg->daemon.install_dir : "~/.codecast/daemon";
}

static const char *
log_file(const struct config *cfg)
{
	return cfg->daemon.log_file && *cfg->daemon.log_file ?
	    cfg->daemon.log_file : "~/.codecast/daemon.log";
}

static int
base_port(const struct peer *p)
{
	return p->daemon_port > 0 ? p->daemon_port : 9100;
}

/* ---- versions and health replies ---------------------------------------- */

char *
daemon_parse_version(const char *text)
{
	const char *s = text, *best = NULL;
	size_t bestlen = 0;

	if (text == NULL)
		return NULL;
	while (*s) {
		size_t n;

		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			s++;
		n = strcspn(s, " \t\r\n");
		if (n > 0 && *s >= '0' && *s <= '9' && memchr(s, '.', n)) {
			best = s;
			bestlen = n;
		}
		s += n;
	}
	return best ? xstrndup(best, bestlen) : NULL;
}

static int
health_from_json(json_t *o, char **version, long *pid)
{
	json_t *res, *okv, *v;

	if (!json_is_object(o))
		return 0;
	res = json_object_get(o, "result");
	if (json_is_object(res))
		o = res;
	okv = json_object_get(o, "ok");
	if (!json_is_true(okv))
		return 0;
	v = json_object_get(o, "version");
	if (version && json_is_string(v) && *json_string_value(v))
		*version = xstrdup(json_string_value(v));
	v = json_object_get(o, "pid");
	if (pid && json_is_integer(v))
		*pid = (long)json_integer_value(v);
	return 1;
}

int
daemon_parse_health(const char *body, char **version, long *pid)
{
	json_t *o;
	json_error_t je;
	int ok;

	if (version)
		*version = NULL;
	if (pid)
		*pid = 0;
	if (body == NULL)
		return 0;
	if ((o = json_loads(body, JSON_DISABLE_EOF_CHECK, &je)) == NULL)
		return 0;
	ok = health_from_json(o, version, pid);
	json_decref(o);
	return ok;
}

/* health.check on the peer's 127.0.0.1:port, 2 s.  1 healthy, 0 not, -1
 * transport failure (*err set). */
static int
health(const struct peer *p, struct remote *r, int port, char **version,
    long *pid, char **err)
{
	struct buf cmd = {0}, out = {0};
	int status = -1, ok;
	const char *body;

	*version = NULL;
	*pid = 0;
	if (p->transport == TRANSPORT_LOCAL) {
		struct rpc_target t;
		struct rpc_error e = {0};
		json_t *res = NULL;
		char spec[16], *msg = NULL;

		snprintf(spec, sizeof(spec), "%d", port);
		if (rpc_target_parse(&t, spec, NULL, NULL, &msg) != 0) {
			free(msg);
			return 0;
		}
		ok = 0;
		if (rpc_call(&t, "health.check", NULL, 2000, &res, &e) == RPC_OK) {
			ok = health_from_json(res, version, pid);
			json_decref(res);
		}
		rpc_error_free(&e);
		rpc_target_free(&t);
		return ok;
	}
	/* From the peer's side: whichever HTTP client it has. */
	buf_printf(&cmd,
	    "u=http://127.0.0.1:%d/rpc; b='{\"method\":\"health.check\"}'\n"
	    "if command -v curl >/dev/null 2>&1; then\n"
	    "  exec curl -sS --max-time 2 -H 'Content-Type: application/json' --data-binary \"$b\" \"$u\"\n"
	    "elif command -v wget >/dev/null 2>&1; then\n"
	    "  exec wget -q -O - -T 2 --header='Content-Type: application/json' --post-data=\"$b\" \"$u\"\n"
	    "elif command -v python3 >/dev/null 2>&1; then\n"
	    "  exec python3 -c 'import sys,urllib.request as u; r=u.Request(sys.argv[1],data=sys.argv[2].encode(),headers={\"Content-Type\":\"application/json\"}); sys.stdout.write(u.urlopen(r,timeout=2).read().decode())' \"$u\" \"$b\"\n"
	    "elif command -v bash >/dev/null 2>&1; then\n"
	    "  exec timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$0 || exit 1; printf \"POST /rpc HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\nContent-Type: application/json\\r\\nContent-Length: %%s\\r\\n\\r\\n%%s\" ${#1} \"$1\" >&3; cat <&3' %d \"$b\"\n"
	    "else echo 'no curl, wget, python3 or bash on the peer' >&2; exit 127; fi\n",
	    port, port);
	if (run(r, cmd.s, &out, &status, err) != 0) {
		buf_free(&cmd);
		buf_free(&out);
		return -1;
	}
	if (status == 127) {
		*err = xstrdup("health.check: no curl, wget, python3 or bash on the peer");
		buf_free(&cmd);
		buf_free(&out);
		return -1;
	}
	body = out.s;
	if (str_starts(body, "HTTP/")) {	/* the raw reply from bash */
		char *e = strstr(body, "\r\n\r\n");
		body = e ? e + 4 : body + out.len;
	}
	ok = status == 0 && daemon_parse_health(body, version, pid);
	buf_free(&cmd);
	buf_free(&out);
	return ok;
}

/* ---- finding the daemon -------------------------------------------------- */

struct listener {
	int port;
	long uid;
};

struct probe {
	long uid;		/* the peer user's uid; -1 unknown */
	int portfile;		/* 0 when none */
	bool have_table;	/* listeners below are the full list */
	struct listener *l;
	size_t nl;
};

static void
probe_free(struct probe *pr)
{
	free(pr->l);
	memset(pr, 0, sizeof(*pr));
}

static void
add_listener(struct probe *pr, int port, long uid)
{
	pr->l = xreallocarray(pr->l, pr->nl + 1, sizeof(*pr->l));
	pr->l[pr->nl].port = port;
	pr->l[pr->nl].uid = uid;
	pr->nl++;
}

/* A /proc/net/tcp{,6} row: "sl local rem st txrx trtm retr uid ...". */
static void
parse_proc_line(struct probe *pr, char *line)
{
	char *f[8], *save = NULL, *t;
	int n = 0;
	char *colon;
	long port, uid;

	for (t = strtok_r(line, " \t", &save); t && n < 8;
	    t = strtok_r(NULL, " \t", &save))
		f[n++] = t;
	if (n < 8 || strcmp(f[3], "0A") != 0)
		return;
	if ((colon = strrchr(f[1], ':')) == NULL)
		return;
	port = strtol(colon + 1, NULL, 16);
	uid = strtol(f[7], NULL, 10);
	if (port > 0 && port < 65536)
		add_listener(pr, (int)port, uid);
}

/* An `ss -ltnHe` row: "LISTEN 0 128 127.0.0.1:9100 0.0.0.0:* [uid:N] ...". */
static void
parse_ss_line(struct probe *pr, char *line)
{
	char *f[5], *save = NULL, *t, *colon, *u;
	int n = 0;
	long port, uid = 0;

	if ((u = strstr(line, " uid:")) != NULL)
		uid = strtol(u + 5, NULL, 10);
	for (t = strtok_r(line, " \t", &save); t && n < 5;
	    t = strtok_r(NULL, " \t", &save))
		f[n++] = t;
	if (n < 5 || (colon = strrchr(f[3], ':')) == NULL)
		return;
	port = strtol(colon + 1, NULL, 10);
	if (port > 0 && port < 65536)
		add_listener(pr, (int)port, uid);
}

/* One round trip: uid, port file, listening sockets with their owners. */
static int
probe_peer(struct remote *r, struct probe *pr, char **err)
{
	static const char cmd[] =
	    "echo \"uid $(id -u)\"\n"
	    "echo \"portfile $(cat \"$HOME/.codecast/daemon.port\" 2>/dev/null | head -n 1)\"\n"
	    "if [ -r /proc/net/tcp ]; then echo table proc; cat /proc/net/tcp /proc/net/tcp6 2>/dev/null\n"
	    "elif command -v ss >/dev/null 2>&1; then echo table ss; ss -ltnHe 2>/dev/null\n"
	    "else echo table none; fi\n";
	struct buf out = {0};
	char *line, *save = NULL;
	int status = -1, mode = 0;
	long long v;

	memset(pr, 0, sizeof(*pr));
	pr->uid = -1;
	if (run(r, cmd, &out, &status, err) != 0) {
		buf_free(&out);
		return -1;
	}
	for (line = strtok_r(out.s, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		if (str_starts(line, "uid ")) {
			if (str_to_ll(str_trim(line + 4), 0, LONG_MAX, &v))
				pr->uid = (long)v;
		} else if (str_starts(line, "portfile ")) {
			if (str_to_ll(str_trim(line + 9), 1, 65535, &v))
				pr->portfile = (int)v;
		} else if (strcmp(line, "table proc") == 0) {
			mode = 1;
			pr->have_table = true;
		} else if (strcmp(line, "table ss") == 0) {
			mode = 2;
			pr->have_table = true;
		} else if (mode == 1)
			parse_proc_line(pr, line);
		else if (mode == 2)
			parse_ss_line(pr, line);
	}
	buf_free(&out);
	return 0;
}

/* 1: a listener on port owned by the user; 0: none or someone else's;
 * -1: unknown (no table). */
static int
owned_listener(const struct probe *pr, int port)
{
	size_t i;
	int seen = 0;

	if (!pr->have_table || pr->uid < 0)
		return -1;
	for (i = 0; i < pr->nl; i++) {
		if (pr->l[i].port != port)
			continue;
		if (pr->l[i].uid == pr->uid)
			return 1;
		seen = 1;
	}
	(void)seen;
	return 0;
}

static int
try_port(const struct peer *p, struct remote *r, const struct probe *pr,
    int port, struct daemon_info *d, char **err)
{
	char *version = NULL;
	long pid = 0;
	int h;

	if (owned_listener(pr, port) == 0)
		return 0;
	if ((h = health(p, r, port, &version, &pid, err)) < 0)
		return -1;
	if (h == 0) {
		free(version);
		return 0;
	}
	d->running = true;
	d->port = port;
	d->pid = pid;
	d->version = version;
	return 1;
}

int
daemon_find(const struct config *cfg, const struct peer *p, struct remote *r,
    struct daemon_info *d, char **err)
{
	struct probe pr;
	int base = base_port(p), rc = 0, found = 0;

	(void)cfg;
	memset(d, 0, sizeof(*d));
	if (probe_peer(r, &pr, err) != 0)
		return -1;
	/* The port file names the daemon's port.  Without one (an old daemon
	 * that writes none), only the configured port: scanning the range
	 * would find other daemons of the same uid (other HOMEs). */
	if (pr.portfile > 0)
		found = try_port(p, r, &pr, pr.portfile, d, err);
	else
		found = try_port(p, r, &pr, base, d, err);
	if (found < 0)
		rc = -1;
	probe_free(&pr);
	return rc;
}

/* ---- the binary ----------------------------------------------------------- */

char *
daemon_local_binary(const struct config *cfg, char **err)
{
	static const char *names[] = { "cc-daemon-static", "cc-daemon" };
	char self[PATH_MAX];
	ssize_t n;
	char *slash, *path;
	size_t i;

	if (cfg && cfg->daemon.binary && *cfg->daemon.binary) {
		path = path_expand_tilde(cfg->daemon.binary);
		if (access(path, R_OK) != 0) {
			*err = xasprintf("daemon.binary %s: %s", path,
			    strerror(errno));
			free(path);
			return NULL;
		}
		return path;
	}
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) < 0) {
		*err = xasprintf("/proc/self/exe: %s", strerror(errno));
		return NULL;
	}
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) != NULL)
		*slash = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		path = join(self, names[i]);
		if (access(path, X_OK) == 0)
			return path;
		free(path);
	}
	*err = xasprintf("no cc-daemon-static or cc-daemon in %s (set daemon.binary)",
	    self);
	return NULL;
}

/* `<binary> --version` run here; NULL when it cannot tell. */
static char *
local_version(const char *binary)
{
	struct peer lp;
	struct remote *lr;
	struct buf cmd = {0}, out = {0};
	char *msg = NULL, *v = NULL;
	int status = -1;

	memset(&lp, 0, sizeof(lp));
	lp.id = "local";
	lp.transport = TRANSPORT_LOCAL;
	if ((lr = remote_open(NULL, &lp, &msg)) == NULL) {
		free(msg);
		return NULL;
	}
	buf_shell_quote(&cmd, binary);
	buf_puts(&cmd, " --version </dev/null 2>/dev/null");
	if (remote_exec(lr, cmd.s, NULL, 0, &out, NULL, &status, &msg) == 0 &&
	    status == 0) {
		buf_append(&out, "", 0);
		v = daemon_parse_version(out.s);
	}
	free(msg);
	buf_free(&cmd);
	buf_free(&out);
	remote_close(lr);
	return v;
}

/* Where the peer's binary is: install_dir/cc-daemon, install_dir/codecast-
 * daemon, else either on PATH.  *path NULL when none (returns 0). */
static int
remote_binary(const struct config *cfg, struct remote *r, char **path,
    char **err)
{
	struct buf cmd = {0}, out = {0};
	char *dir = qpath(install_dir(cfg));
	int status = -1;

	*path = NULL;
	buf_printf(&cmd,
	    "d=%s\n"
	    "for b in \"$d/" DAEMON_REMOTE_NAME "\" \"$d/codecast-daemon\"; do\n"
	    "  if [ -f \"$b\" ] && [ -x \"$b\" ]; then printf '%%s\\n' \"$b\"; exit 0; fi\n"
	    "done\n"
	    "command -v " DAEMON_REMOTE_NAME " 2>/dev/null || command -v codecast-daemon 2>/dev/null || true\n",
	    dir);
	free(dir);
	if (run(r, cmd.s, &out, &status, err) != 0) {
		buf_free(&cmd);
		buf_free(&out);
		return -1;
	}
	str_trim(out.s);
	if (*out.s == '/')
		*path = xstrndup(out.s, strcspn(out.s, "\n"));
	buf_free(&cmd);
	buf_free(&out);
	return 0;
}

/* ---- start and stop --------------------------------------------------- */

/* PIDs of the user's processes running the installed binary (also a deleted
 * one, after a replace), from /proc; none where /proc has no exe links. */
static int
stale_pids(const struct config *cfg, struct remote *r, struct buf *pids,
    char **err)
{
	struct buf cmd = {0};
	char *dir = qpath(install_dir(cfg));
	int status = -1, rc;

	buf_printf(&cmd,
	    "d=%s; me=$(id -u)\n"
	    "for p in /proc/[0-9]*; do\n"
	    "  e=$(readlink \"$p/exe\" 2>/dev/null) || continue\n"
	    "  case $e in \"$d/" DAEMON_REMOTE_NAME "\"|\"$d/" DAEMON_REMOTE_NAME " (deleted)\"|\"$d/codecast-daemon\"|\"$d/codecast-daemon (deleted)\") ;; *) continue ;; esac\n"
	    "  [ \"$(stat -c %%u \"$p\" 2>/dev/null)\" = \"$me\" ] && echo \"${p#/proc/}\"\n"
	    "done\n"
	    "true\n", dir);
	free(dir);
	rc = run(r, cmd.s, pids, &status, err);
	buf_free(&cmd);
	return rc;
}

/* SIGTERM the pids (space separated, digits only), SIGKILL after 5 s. */
static int
kill_pids(struct remote *r, const char *pids, char **err)
{
	struct buf cmd = {0};
	int rc, i;

	for (i = 0; pids[i]; i++)
		if (!(pids[i] >= '0' && pids[i] <= '9') && pids[i] != ' ' &&
		    pids[i] != '\n') {
			*err = xstrdup("stop: bad pid list");
			return -1;
		}
	buf_printf(&cmd,
	    "set -- %s\n"
	    "kill \"$@\" 2>/dev/null\n"
	    "i=0; while [ $i -lt %d ]; do\n"
	    "  alive=; for p; do kill -0 \"$p\" 2>/dev/null && alive=\"$alive $p\"; done\n"
	    "  [ -z \"$alive\" ] && exit 0\n"
	    "  sleep 0.1 2>/dev/null || sleep 1\n"
	    "  i=$((i + 1))\n"
	    "done\n"
	    "kill -9 $alive 2>/dev/null; sleep 0.2 2>/dev/null; exit 0\n",
	    pids, STOP_WAIT_MS / 100);
	rc = run_ok(r, "stop", cmd.s, NULL, err);
	buf_free(&cmd);
	return rc;
}

int
daemon_stop(const struct config *cfg, const struct peer *p, struct remote *r,
    bool *was_running, char **err)
{
	struct daemon_info d;
	struct buf pids = {0};
	int rc = 0;

	if (was_running)
		*was_running = false;
	if (daemon_find(cfg, p, r, &d, err) != 0)
		return -1;
	if (d.running && d.pid > 0)
		buf_printf(&pids, "%ld ", d.pid);
	if (stale_pids(cfg, r, &pids, err) != 0) {
		daemon_info_free(&d);
		buf_free(&pids);
		return -1;
	}
	buf_append(&pids, "", 0);
	if (d.running && d.pid <= 0 && strspn(pids.s, " \n") == pids.len) {
		*err = xasprintf("stop: the daemon on port %d did not report its pid",
		    d.port);
		rc = -1;
	} else if (strspn(pids.s, " \n") != pids.len) {
		rc = kill_pids(r, pids.s, err);
		if (rc == 0 && was_running)
			*was_running = true;
	}
	daemon_info_free(&d);
	buf_free(&pids);
	return rc;
}

/* Launch the binary detached; returns its pid (0 unknown). */
static int
launch(const struct config *cfg, const struct peer *p, struct remote *r,
    const char *binary, long *pid, char **err)
{
	struct buf cmd = {0}, out = {0};
	char *qb = shell_quote(binary), *qd = qpath(install_dir(cfg));
	char *ql = qpath(log_file(cfg));
	long long v;
	int rc;

	*pid = 0;
	buf_printf(&cmd,
	    "rm -f \"$HOME/.codecast/daemon.port\"\n"
	    "l=%s; (umask 077; mkdir -p \"$(dirname \"$l\")\" && : >>\"$l\") || exit 1\n"
	    "cd %s 2>/dev/null || cd || exit 1\n"
	    "DAEMON_PORT=%d; PATH=\"$HOME/.local/bin:$PATH\"; export DAEMON_PORT PATH\n"
	    "if command -v setsid >/dev/null 2>&1; then\n"
	    "  setsid nohup %s </dev/null >>\"$l\" 2>&1 &\n"
	    "else\n"
	    "  nohup %s </dev/null >>\"$l\" 2>&1 &\n"
	    "fi\n"
	    "echo $!\n",
	    ql, qd, base_port(p), qb, qb);
	rc = run_ok(r, "start", cmd.s, &out, err);
	if (rc == 0 && str_to_ll(str_trim(out.s), 1, LONG_MAX, &v))
		*pid = (long)v;
	free(qb);
	free(qd);
	free(ql);
	buf_free(&cmd);
	buf_free(&out);
	return rc;
}

/* The last non-empty line of the daemon's log, for a start failure. */
static char *
log_tail(const struct config *cfg, struct remote *r)
{
	struct buf cmd = {0}, out = {0};
	char *ql = qpath(log_file(cfg)), *line = NULL;
	int status = -1;
	char *e = NULL;

	buf_printf(&cmd, "grep -v '^[[:space:]]*$' %s 2>/dev/null | tail -n 1", ql);
	if (run(r, cmd.s, &out, &status, &e) == 0 && out.len > 0)
		line = first_line(out.s);
	free(e);
	free(ql);
	buf_free(&cmd);
	buf_free(&out);
	return line;
}

static int
start_and_wait(const struct config *cfg, const struct peer *p,
    struct remote *r, const char *binary, int *port, char **err)
{
	struct daemon_info d;
	long pid = 0, delay = 100;
	long long deadline;
	struct buf cmd = {0};
	int status;

	if (launch(cfg, p, r, binary, &pid, err) != 0)
		return -1;
	deadline = monotonic_ms() + START_TIMEOUT_MS;
	for (;;) {
		sleep_ms(delay);
		if (daemon_find(cfg, p, r, &d, err) != 0)
			return -1;
		if (d.running) {
			if (port)
				*port = d.port;
			daemon_info_free(&d);
			return 0;
		}
		daemon_info_free(&d);
		/* Fail early when the daemon has already died. */
		if (pid > 0) {
			char *e = NULL;
			buf_printf(&cmd, "kill -0 %ld 2>/dev/null", pid);
			if (run(r, cmd.s, NULL, &status, &e) == 0 && status != 0) {
				/* Give a last look: it may have forked. */
				if (daemon_find(cfg, p, r, &d, err) == 0 &&
				    d.running) {
					if (port)
						*port = d.port;
					daemon_info_free(&d);
					buf_free(&cmd);
					return 0;
				}
				char *tail = log_tail(cfg, r);
				*err = xasprintf("daemon exited at start%s%s",
				    tail && *tail ? ": " : "", tail ? tail : "");
				free(tail);
				buf_free(&cmd);
				return -1;
			}
			free(e);
			buf_clear(&cmd);
		}
		if (monotonic_ms() >= deadline)
			break;
		delay = delay * 2 > POLL_MAX_MS ? POLL_MAX_MS : delay * 2;
	}
	buf_free(&cmd);
	*err = xasprintf("daemon failed to start after %ds", START_TIMEOUT_MS / 1000);
	return -1;
}

int
daemon_start(const struct config *cfg, const struct peer *p, struct remote *r,
    int *port, char **err)
{
	struct daemon_info d;
	char *binary = NULL;
	int rc;

	if (daemon_find(cfg, p, r, &d, err) != 0)
		return -1;
	if (d.running) {
		if (port)
			*port = d.port;
		daemon_info_free(&d);
		return 0;
	}
	if (remote_binary(cfg, r, &binary, err) != 0)
		return -1;
	if (binary == NULL) {
		*err = xasprintf("daemon not installed on %s at %s (cc-deploy deploy %s)",
		    p->id, install_dir(cfg), p->id);
		return -1;
	}
	rc = start_and_wait(cfg, p, r, binary, port, err);
	free(binary);
	return rc;
}

/* ---- deploy ------------------------------------------------------------ */

static int
remote_sha256(struct remote *r, const char *qfile, char hex[65], char **err)
{
	struct buf cmd = {0}, out = {0};
	int status = -1;

	hex[0] = '\0';
	buf_printf(&cmd,
	    "f=%s; [ -f \"$f\" ] || exit 0\n"
	    "{ sha256sum \"$f\" 2>/dev/null || shasum -a 256 \"$f\" 2>/dev/null || "
	    "openssl dgst -sha256 -r \"$f\" 2>/dev/null; } | cut -c1-64\n",
	    qfile);
	if (run(r, cmd.s, &out, &status, err) != 0) {
		buf_free(&cmd);
		buf_free(&out);
		return -1;
	}
	str_trim(out.s);
	if (strlen(out.s) == 64)
		memcpy(hex, out.s, 65);
	buf_free(&cmd);
	buf_free(&out);
	return 0;
}

/* Resolve a peer path beginning with ~ against the peer's $HOME. */
static int
remote_abs(struct remote *r, const char *path, char **abs, char **err)
{
	struct buf out = {0};
	int status = -1;

	if (!(path[0] == '~' && (path[1] == '\0' || path[1] == '/'))) {
		*abs = xstrdup(path);
		return 0;
	}
	if (run_ok(r, "$HOME", "printf '%s' \"$HOME\"", &out, err) != 0) {
		buf_free(&out);
		return -1;
	}
	(void)status;
	*abs = xasprintf("%s%s", out.s, path + 1);
	buf_free(&out);
	return 0;
}

int
daemon_deploy(const struct config *cfg, const struct peer *p, struct remote *r,
    remote_progress_fn progress, void *arg, struct daemon_actions *did,
    char **err)
{
	char *binary = NULL, *lver = NULL, *dir = NULL, *dest = NULL, *qd = NULL;
	char lhex[65], rhex[65], *msg = NULL;
	struct buf cmd = {0};
	struct daemon_info d = {0};
	struct stat st;
	bool uploaded = false;
	int rc = -1;

	if ((binary = daemon_local_binary(cfg, err)) == NULL)
		return -1;
	if (sha256_file(binary, lhex) != 0) {
		*err = xasprintf("%s: %s", binary, strerror(errno));
		goto out;
	}
	if (stat(binary, &st) != 0) {
		*err = xasprintf("%s: %s", binary, strerror(errno));
		goto out;
	}
	lver = local_version(binary);
	if (remote_abs(r, install_dir(cfg), &dir, err) != 0)
		goto out;
	dest = join(dir, DAEMON_REMOTE_NAME);
	qd = shell_quote(dir);
	buf_printf(&cmd, "umask 077; mkdir -p %s", qd);
	if (run_ok(r, "mkdir", cmd.s, NULL, err) != 0)
		goto out;
	buf_free(&cmd);
	buf_shell_quote(&cmd, dest);
	if (remote_sha256(r, cmd.s, rhex, err) != 0)
		goto out;
	if (strcmp(lhex, rhex) != 0) {
		if (remote_put(r, binary, dest, 0755, progress, arg, &msg) != 0) {
			*err = xasprintf("upload %s: %s", dest,
			    msg ? msg : "failed");
			free(msg);
			goto out;
		}
		uploaded = true;
		if (did) {
			did->uploaded = true;
			did->bytes += (unsigned long long)st.st_size;
		}
	}
	/* A running daemon of another version is restarted on the new one. */
	if (daemon_find(cfg, p, r, &d, err) != 0)
		goto out;
	if (d.running && ((lver && d.version && strcmp(d.version, lver) != 0) ||
	    (d.version == NULL && uploaded))) {
		bool was;
		if (daemon_stop(cfg, p, r, &was, err) != 0)
			goto out;
		if (did)
			did->stopped = true;
		if (start_and_wait(cfg, p, r, dest, NULL, err) != 0)
			goto out;
		if (did)
			did->started = true;
	}
	rc = 0;
out:
	daemon_info_free(&d);
	buf_free(&cmd);
	free(binary);
	free(lver);
	free(dir);
	free(dest);
	free(qd);
	return rc;
}

/* ---- ensure --------------------------------------------------------------- */

int
daemon_ensure_ex(const struct config *cfg, const struct peer *p,
    struct remote *r, remote_progress_fn progress, void *arg,
    struct daemon_actions *did, int *port, char **err)
{
	struct daemon_info d;
	struct daemon_actions local = {0};
	char *binary = NULL, *lbin = NULL, *lver = NULL, *e = NULL;
	int rc = -1;

	if (did == NULL)
		did = &local;
	memset(did, 0, sizeof(*did));
	if (daemon_find(cfg, p, r, &d, err) != 0)
		return -1;
	if (d.running) {
		/* Running: upgrade only when it says it is another version. */
		if (cfg->daemon.auto_deploy && d.version &&
		    (lbin = daemon_local_binary(cfg, &e)) != NULL &&
		    (lver = local_version(lbin)) != NULL &&
		    strcmp(lver, d.version) != 0) {
			daemon_info_free(&d);
			if (daemon_deploy(cfg, p, r, progress, arg, did, err) != 0)
				goto out;
			if (daemon_find(cfg, p, r, &d, err) != 0)
				goto out;
			if (!d.running) {
				*err = xstrdup("daemon not running after the upgrade");
				daemon_info_free(&d);
				goto out;
			}
		}
		*port = d.port;
		daemon_info_free(&d);
		rc = 0;
		goto out;
	}
	if (cfg->daemon.auto_deploy) {
		if (daemon_deploy(cfg, p, r, progress, arg, did, err) != 0)
			goto out;
	}
	if (remote_binary(cfg, r, &binary, err) != 0)
		goto out;
	if (binary == NULL) {
		*err = xasprintf("daemon not installed on %s at %s; set "
		    "daemon.auto_deploy: true or run cc-deploy deploy %s",
		    p->id, install_dir(cfg), p->id);
		goto out;
	}
	if (start_and_wait(cfg, p, r, binary, port, err) != 0)
		goto out;
	did->started = true;
	rc = 0;
out:
	free(e);
	free(binary);
	free(lbin);
	free(lver);
	return rc;
}

int
daemon_ensure(const struct config *cfg, const struct peer *p, struct remote *r,
    int *port, char **err)
{
	return daemon_ensure_ex(cfg, p, r, NULL, NULL, NULL, port, err);
}
