/* cc-deploy — the codecast daemon's life on each peer, skills and files.
 * See cc-deploy(1). */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "paths.h"
#include "remote.h"
#include "rpc.h"
#include "shquote.h"
#include "table.h"
#include "util.h"

#define STATUS_TIMEOUT_MS	5000

/* Exit codes, as cc-tunnel's: 3 the peer cannot be reached, 7 its daemon
 * cannot be deployed, started or stopped. */
enum { EX_OK = 0, EX_FAIL = 1, EX_USAGE = 2, EX_UNREACH = 3, EX_DAEMON = 7 };

static int verbose;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: cc-deploy [-c config] [-v] ensure PEER\n"
	    "       cc-deploy [-c config] [-v] deploy PEER\n"
	    "       cc-deploy [-c config] [-v] start|stop|restart PEER\n"
	    "       cc-deploy [-c config] [-t] status [PEER ...]\n"
	    "       cc-deploy [-c config] skills PEER PATH\n"
	    "       cc-deploy [-c config] push PEER FILE ...\n"
	    "       cc-deploy [-c config] pull [--max-size N] PEER REMOTE_PATH\n"
	    "       cc-deploy [-c config] prepare PEER ARG\n"
	    "\n"
	    "  ensure    make sure PEER's daemon runs (deploying it when needed);\n"
	    "            print its port on the peer\n"
	    "  deploy    upload the daemon unless the peer has the same bytes\n"
	    "  start, stop, restart   the peer's daemon\n"
	    "  status    one JSON object per peer (-t: a table); exit 1 when a\n"
	    "            named peer is offline or its daemon is down\n"
	    "  skills    copy skills.shared_dir into a project on PEER\n"
	    "  push      upload files to file_pool.remote_dir; print their paths\n"
	    "  pull      download a file to file_forward.download_dir; print its path\n"
	    "  prepare   resolve a /start path argument (cloning a git URL), create\n"
	    "            it, print it\n"
	    "\n"
	    "  -c FILE        config file (default: $CODECAST_CONFIG, ~/.codecast/config.yaml)\n"
	    "  -t, --table    status as a table\n"
	    "  -v, --verbose  say what was done on stderr\n"
	    "  --max-size N   pull: refuse files larger than N bytes\n"
	    "  -h, --help     this text;  -V, --version  the version\n"
	    "\n"
	    "exit: 0 ok, 1 failure (status: a named peer offline or its daemon down),\n"
	    "2 usage or config, 3 peer unreachable, 7 daemon not deployed/started\n");
}

/* ---- progress bar ------------------------------------------------------ */

struct progress {
	const char *peer, *name;
	long long last_ms;
	bool drawn;
};

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
human(char *s, size_t n, unsigned long long v)
{
	if (v >= 1024ULL * 1024 * 1024)
		snprintf(s, n, "%.1f GiB", (double)v / (1024.0 * 1024 * 1024));
	else if (v >= 1024 * 1024)
		snprintf(s, n, "%.1f MiB", (double)v / (1024.0 * 1024));
	else if (v >= 1024)
		snprintf(s, n, "%.1f KiB", (double)v / 1024.0);
	else
		snprintf(s, n, "%llu B", v);
}

static void
progress_cb(void *arg, unsigned long long done, unsigned long long total)
{
	struct progress *pg = arg;
	long long now = mono_ms();
	char a[32], b[32], bar[31];
	int pct, i, fill;

	if (now - pg->last_ms < 100 && done != total)
		return;
	pg->last_ms = now;
	human(a, sizeof(a), done);
	if (total > 0) {
		pct = (int)(done * 100 / total);
		fill = pct * 30 / 100;
		for (i = 0; i < 30; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[30] = '\0';
		human(b, sizeof(b), total);
		fprintf(stderr, "\r\033[Kcc-deploy: %s: %.30s [%s] %3d%% %s/%s",
		    pg->peer, pg->name, bar, pct, a, b);
	} else
		fprintf(stderr, "\r\033[Kcc-deploy: %s: %.30s %s", pg->peer,
		    pg->name, a);
	pg->drawn = true;
}

static void
progress_end(struct progress *pg)
{
	if (pg->drawn)
		fputs("\r\033[K", stderr);
	pg->drawn = false;
}

static remote_progress_fn
progress_fn(void)
{
	return isatty(STDERR_FILENO) ? progress_cb : NULL;
}

/* ---- common ----------------------------------------------------------- */

static const struct peer *
peer_or_die(const struct config *cfg, const char *id)
{
	const struct peer *p = config_peer(cfg, id);

	if (p == NULL)
		errx(EX_USAGE, "%s: no such peer in %s", id, cfg->path);
	return p;
}

static struct remote *
open_or_die(const struct config *cfg, const struct peer *p)
{
	char *e = NULL;
	struct remote *r = remote_open(cfg, p, &e);

	if (r == NULL) {
		const char *m = e ? e : "cannot connect";
		size_t n = strlen(p->id);

		/* remote_ssh's messages may already start with the peer id */
		while (strncmp(m, p->id, n) == 0 && m[n] == ':' && m[n + 1] == ' ')
			m += n + 2;
		errx(EX_UNREACH, "%s: %s", p->id, m);
	}
	return r;
}

/* Run a command on the peer, status 0 required; stdout into out (may be
 * NULL).  Dies with the first line of stderr. */
static void
run_or_die(struct remote *r, const struct peer *p, const char *what,
    const char *cmd, struct buf *out)
{
	struct buf eb = {0};
	char *e = NULL;
	int status = -1;

	if (remote_exec(r, cmd, NULL, 0, out, &eb, &status, &e) != 0)
		errx(EX_FAIL, "%s: %s: %s", p->id, what, e ? e : "failed");
	if (status != 0) {
		buf_append(&eb, "", 0);
		eb.s[strcspn(eb.s, "\n")] = '\0';
		if (*eb.s)
			errx(EX_FAIL, "%s: %s: %s", p->id, what, eb.s);
		errx(EX_FAIL, "%s: %s: exit status %d", p->id, what, status);
	}
	buf_free(&eb);
	if (out)
		buf_append(out, "", 0);
}

/* A peer path with a leading ~ made absolute with the peer's $HOME. */
static char *
peer_abs(struct remote *r, const struct peer *p, const char *path)
{
	struct buf out = {0};
	char *s;

	if (!(path[0] == '~' && (path[1] == '\0' || path[1] == '/')))
		return xstrdup(path);
	run_or_die(r, p, "$HOME", "printf '%s' \"$HOME\"", &out);
	if (out.len == 0 || out.s[0] != '/')
		errx(EX_FAIL, "%s: $HOME is not set on the peer", p->id);
	s = xasprintf("%s%s", out.s, path + 1);
	buf_free(&out);
	return s;
}

static char *
path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir);

	return xasprintf("%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
}

/* The last component of a path ("a/b/" -> "b"); malloc'd. */
static char *
base_name(const char *path)
{
	size_t n = strlen(path);
	const char *s;

	while (n > 1 && path[n - 1] == '/')
		n--;
	for (s = path + n; s > path && s[-1] != '/'; s--)
		;
	return xstrndup(s, (size_t)(path + n - s));
}

/* ---- ensure, deploy, start, stop, restart -------------------------------- */

static void
note_actions(const struct peer *p, const struct daemon_actions *a)
{
	if (!verbose)
		return;
	if (a->uploaded)
		fprintf(stderr, "cc-deploy: %s: uploaded %s (%llu bytes)\n",
		    p->id, DAEMON_REMOTE_NAME, a->bytes);
	if (a->stopped)
		fprintf(stderr, "cc-deploy: %s: stopped the old daemon\n", p->id);
	if (a->started)
		fprintf(stderr, "cc-deploy: %s: started the daemon\n", p->id);
	if (!a->uploaded && !a->stopped && !a->started)
		fprintf(stderr, "cc-deploy: %s: nothing to do\n", p->id);
}

static int
cmd_ensure(const struct config *cfg, const struct peer *p)
{
	struct remote *r = open_or_die(cfg, p);
	struct daemon_actions did;
	struct progress pg = { p->id, DAEMON_REMOTE_NAME, 0, false };
	char *e = NULL;
	int port = 0, rc;

	rc = daemon_ensure_ex(cfg, p, r, progress_fn(), &pg, &did, &port, &e);
	progress_end(&pg);
	remote_close(r);
	if (rc != 0)
		errx(EX_DAEMON, "%s: %s", p->id, e);
	note_actions(p, &did);
	printf("%d\n", port);
	return EX_OK;
}

static int
cmd_deploy(const struct config *cfg, const struct peer *p)
{
	struct remote *r = open_or_die(cfg, p);
	struct daemon_actions did = {0};
	struct progress pg = { p->id, DAEMON_REMOTE_NAME, 0, false };
	char *e = NULL;
	int rc;
	json_t *o;

	rc = daemon_deploy(cfg, p, r, progress_fn(), &pg, &did, &e);
	progress_end(&pg);
	remote_close(r);
	if (rc != 0)
		errx(EX_DAEMON, "%s: %s", p->id, e);
	note_actions(p, &did);
	o = json_pack("{s:s, s:b, s:I, s:b}", "peer", p->id, "uploaded",
	    did.uploaded, "bytes", (json_int_t)did.bytes, "restarted",
	    did.stopped && did.started);
	json_dumpf(o, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(o);
	return EX_OK;
}

static int
cmd_start(const struct config *cfg, const struct peer *p, bool restart)
{
	struct remote *r = open_or_die(cfg, p);
	char *e = NULL;
	bool was = false;
	int port = 0;

	if (restart) {
		if (daemon_stop(cfg, p, r, &was, &e) != 0)
			errx(EX_DAEMON, "%s: %s", p->id, e);
		if (verbose && was)
			fprintf(stderr, "cc-deploy: %s: stopped the daemon\n", p->id);
	}
	if (daemon_start(cfg, p, r, &port, &e) != 0)
		errx(EX_DAEMON, "%s: %s", p->id, e);
	remote_close(r);
	printf("%d\n", port);
	return EX_OK;
}

static int
cmd_stop(const struct config *cfg, const struct peer *p)
{
	struct remote *r = open_or_die(cfg, p);
	char *e = NULL;
	bool was = false;

	if (daemon_stop(cfg, p, r, &was, &e) != 0)
		errx(EX_DAEMON, "%s: %s", p->id, e);
	remote_close(r);
	if (verbose)
		fprintf(stderr, "cc-deploy: %s: %s\n", p->id,
		    was ? "stopped the daemon" : "no daemon was running");
	return EX_OK;
}

/* ---- status ------------------------------------------------------------- */

static json_t *
strlist_json(const struct strlist *l)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < l->n; i++)
		json_array_append_new(a, json_string(l->v[i]));
	return a;
}

static json_t *
str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *
status_row(const struct peer *p, const char *status, const char *daemon,
    int port, const char *version)
{
	json_t *o = json_object();

	json_object_set_new(o, "peer", json_string(p->id));
	json_object_set_new(o, "host", str_or_null(p->transport == TRANSPORT_HTTP ?
	    p->address : p->host));
	json_object_set_new(o, "user", str_or_null(p->user));
	json_object_set_new(o, "transport", json_string(transport_name(p->transport)));
	json_object_set_new(o, "status", json_string(status));
	json_object_set_new(o, "daemon", json_string(daemon));
	json_object_set_new(o, "port", port > 0 ? json_integer(port) : json_null());
	json_object_set_new(o, "version", str_or_null(version));
	json_object_set_new(o, "default_paths", strlist_json(&p->default_paths));
	return o;
}

/* Runs in a child: check one peer and return its row. */
static json_t *
check_peer(const struct config *cfg, const struct peer *p)
{
	struct daemon_info d;
	struct remote *r;
	char *e = NULL;
	json_t *row;

	if (p->transport == TRANSPORT_HTTP) {
		struct rpc_target t;
		struct rpc_error re = {0};
		json_t *res = NULL;
		char *version = NULL;
		long pid = 0;
		int ok = 0;

		if (p->address && rpc_target_parse(&t, p->address, p->token,
		    p->tls_fingerprint, &e) == 0) {
			if (rpc_call(&t, "health.check", NULL, STATUS_TIMEOUT_MS - 500,
			    &res, &re) == RPC_OK) {
				json_t *wrap = json_pack("{s:O}", "result", res);
				char *body = json_dumps(wrap, JSON_COMPACT);
				ok = daemon_parse_health(body, &version, &pid);
				free(body);
				json_decref(wrap);
				json_decref(res);
			}
			rpc_error_free(&re);
			rpc_target_free(&t);
		}
		free(e);
		row = status_row(p, ok ? "online" : "offline",
		    ok ? "running" : "unknown", 0, version);
		free(version);
		return row;
	}
	if ((r = remote_open(cfg, p, &e)) == NULL) {
		free(e);
		return status_row(p, "offline", "unknown", 0, NULL);
	}
	if (daemon_find(cfg, p, r, &d, &e) != 0) {
		free(e);
		remote_close(r);
		return status_row(p, "offline", "unknown", 0, NULL);
	}
	remote_close(r);
	row = status_row(p, "online", d.running ? "running" : "stopped", d.port,
	    d.version);
	daemon_info_free(&d);
	return row;
}

struct job {
	const struct peer *p;
	pid_t pid;
	int fd;
	struct buf out;
	json_t *row;
};

static void
print_table(json_t **rows, size_t n)
{
	static const char *const cols[] = { "peer", "transport", "host", "user",
	    "status", "daemon", "port", "version", NULL };
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append(a, rows[i]);
	if (table_print(stdout, a, cols) != 0)
		err(EX_FAIL, "stdout");
	json_decref(a);
}

static int
cmd_status(const struct config *cfg, char **names, int nnames, bool table)
{
	struct job *jobs;
	json_t **rows;
	size_t nj = 0, i, left;
	long long deadline;
	int rc = EX_OK;

	jobs = xcalloc(cfg->npeers + (size_t)nnames + 1, sizeof(*jobs));
	if (nnames > 0) {
		for (i = 0; i < (size_t)nnames; i++)
			jobs[nj++].p = peer_or_die(cfg, names[i]);
	} else {
		for (i = 0; i < cfg->npeers; i++)
			if (!config_peer_jump_only(cfg, &cfg->peers[i]))
				jobs[nj++].p = &cfg->peers[i];
	}
	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < nj; i++) {
		int pfd[2];

		jobs[i].fd = -1;
		if (pipe2(pfd, O_CLOEXEC) != 0)
			err(EX_FAIL, "pipe");
		if ((jobs[i].pid = fork()) == -1)
			err(EX_FAIL, "fork");
		if (jobs[i].pid == 0) {
			json_t *row;
			char *s;

			close(pfd[0]);
			/* No chatter from the children: the row says it all. */
			if (!verbose) {
				int dn = open("/dev/null", O_WRONLY);
				if (dn >= 0) {
					dup2(dn, STDERR_FILENO);
					close(dn);
				}
			}
			row = check_peer(cfg, jobs[i].p);
			s = json_dumps(row, JSON_COMPACT);
			if (s == NULL || write_all(pfd[1], s, strlen(s)) != 0)
				_exit(1);
			_exit(0);
		}
		close(pfd[1]);
		jobs[i].fd = pfd[0];
	}
	deadline = mono_ms() + STATUS_TIMEOUT_MS;
	for (;;) {
		struct pollfd *pf = xcalloc(nj + 1, sizeof(*pf));
		size_t *map = xcalloc(nj + 1, sizeof(*map));
		long long wait;
		size_t np = 0;

		for (i = 0; i < nj; i++)
			if (jobs[i].fd >= 0) {
				pf[np].fd = jobs[i].fd;
				pf[np].events = POLLIN;
				map[np++] = i;
			}
		wait = deadline - mono_ms();
		if (np == 0 || wait <= 0) {
			free(pf);
			free(map);
			break;
		}
		if (poll(pf, np, (int)wait) < 0 && errno != EINTR)
			err(EX_FAIL, "poll");
		for (left = 0; left < np; left++) {
			struct job *j = &jobs[map[left]];
			char chunk[4096];
			ssize_t n;

			if (pf[left].revents == 0)
				continue;
			n = read(j->fd, chunk, sizeof(chunk));
			if (n > 0)
				buf_append(&j->out, chunk, (size_t)n);
			else if (n == 0 || errno != EINTR) {
				close(j->fd);
				j->fd = -1;
			}
		}
		free(pf);
		free(map);
	}
	rows = xcalloc(nj + 1, sizeof(*rows));
	for (i = 0; i < nj; i++) {
		struct job *j = &jobs[i];
		json_error_t je;
		const char *st, *dm;

		if (j->fd >= 0) {	/* too slow: offline */
			kill(j->pid, SIGKILL);
			close(j->fd);
			j->fd = -1;
		} else
			buf_append(&j->out, "", 0);
		while (waitpid(j->pid, NULL, 0) == -1 && errno == EINTR)
			;
		if (j->out.len > 0)
			j->row = json_loads(j->out.s, 0, &je);
		if (j->row == NULL)
			j->row = status_row(j->p, "offline", "unknown", 0, NULL);
		rows[i] = j->row;
		st = json_string_value(json_object_get(j->row, "status"));
		dm = json_string_value(json_object_get(j->row, "daemon"));
		if (nnames > 0 && (st == NULL || strcmp(st, "online") != 0 ||
		    dm == NULL || strcmp(dm, "running") != 0))
			rc = EX_FAIL;
	}
	if (table)
		print_table(rows, nj);
	else
		for (i = 0; i < nj; i++) {
			json_dumpf(rows[i], stdout, JSON_COMPACT);
			putchar('\n');
		}
	for (i = 0; i < nj; i++) {
		json_decref(jobs[i].row);
		buf_free(&jobs[i].out);
	}
	free(rows);
	free(jobs);
	return rc;
}

/* ---- skills ------------------------------------------------------------- */

struct tree {
	char **dirs, **files;
	size_t ndirs, nfiles;
};

static struct tree *walk_tree;
static size_t walk_root_len;

static int
walk_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	const char *rel = path + walk_root_len;

	(void)st;
	(void)ftw;
	while (*rel == '/')
		rel++;
	if (type == FTW_D && *rel) {
		walk_tree->dirs = xreallocarray(walk_tree->dirs,
		    walk_tree->ndirs + 1, sizeof(char *));
		walk_tree->dirs[walk_tree->ndirs++] = xstrdup(rel);
	} else if (type == FTW_F && S_ISREG(st->st_mode)) {
		walk_tree->files = xreallocarray(walk_tree->files,
		    walk_tree->nfiles + 1, sizeof(char *));
		walk_tree->files[walk_tree->nfiles++] = xstrdup(rel);
	}
	return 0;
}

static int
cmd_skills(const struct config *cfg, const struct peer *p, const char *path)
{
	char *shared = path_expand_tilde(cfg->skills.shared_dir ?
	    cfg->skills.shared_dir : "./skills");
	char *claude_md = path_join(shared, "CLAUDE.md");
	char *skills = path_join(shared, ".claude/skills");
	struct remote *r;
	struct buf cmd = {0}, out = {0};
	struct tree t = {0};
	struct stat st;
	char *root, *e = NULL;
	size_t i;

	if (stat(shared, &st) != 0 || !S_ISDIR(st.st_mode)) {
		warnx("%s: skills.shared_dir %s: %s; nothing to copy", p->id,
		    shared, strerror(errno ? errno : ENOTDIR));
		return EX_OK;
	}
	r = open_or_die(cfg, p);
	root = peer_abs(r, p, path);
	if (stat(claude_md, &st) == 0 && S_ISREG(st.st_mode)) {
		char *dest = path_join(root, "CLAUDE.md");

		buf_printf(&cmd, "mkdir -p ");
		buf_shell_quote(&cmd, root);
		buf_puts(&cmd, " && if [ -e ");
		buf_shell_quote(&cmd, dest);
		buf_puts(&cmd, " ]; then echo exists; fi");
		run_or_die(r, p, "skills", cmd.s, &out);
		if (strstr(out.s, "exists") == NULL) {
			if (remote_put(r, claude_md, dest, 0644, NULL, NULL, &e) != 0)
				errx(EX_FAIL, "%s: %s: %s", p->id, dest, e);
			printf("%s\n", dest);
		} else if (verbose)
			fprintf(stderr, "cc-deploy: %s: %s exists; kept\n", p->id,
			    dest);
		free(dest);
		buf_free(&cmd);
		buf_free(&out);
	}
	if (stat(skills, &st) == 0 && S_ISDIR(st.st_mode)) {
		char *droot = path_join(root, ".claude/skills");

		walk_tree = &t;
		walk_root_len = strlen(skills);
		if (nftw(skills, walk_cb, 16, 0) != 0)
			err(EX_FAIL, "%s", skills);
		/* All directories in one round trip, then file by file. */
		buf_puts(&cmd, "mkdir -p ");
		buf_shell_quote(&cmd, droot);
		for (i = 0; i < t.ndirs; i++) {
			char *d = path_join(droot, t.dirs[i]);
			buf_putc(&cmd, ' ');
			buf_shell_quote(&cmd, d);
			free(d);
		}
		run_or_die(r, p, "skills", cmd.s, NULL);
		for (i = 0; i < t.nfiles; i++) {
			char *src = path_join(skills, t.files[i]);
			char *dst = path_join(droot, t.files[i]);
			mode_t mode = 0644;

			if (stat(src, &st) == 0 && (st.st_mode & 0111))
				mode = 0755;
			if (remote_put(r, src, dst, mode, NULL, NULL, &e) != 0)
				errx(EX_FAIL, "%s: %s: %s", p->id, dst, e);
			printf("%s\n", dst);
			free(src);
			free(dst);
		}
		free(droot);
	}
	for (i = 0; i < t.ndirs; i++)
		free(t.dirs[i]);
	for (i = 0; i < t.nfiles; i++)
		free(t.files[i]);
	free(t.dirs);
	free(t.files);
	remote_close(r);
	buf_free(&cmd);
	free(root);
	free(shared);
	free(claude_md);
	free(skills);
	return EX_OK;
}

/* ---- push, pull ------------------------------------------------------------ */

static int
cmd_push(const struct config *cfg, const struct peer *p, char **files,
    int nfiles)
{
	struct remote *r = open_or_die(cfg, p);
	const char *rd = cfg->file_pool.remote_dir && *cfg->file_pool.remote_dir ?
	    cfg->file_pool.remote_dir : "/tmp/codecast/files";
	char *dir = peer_abs(r, p, rd), *e = NULL;
	struct buf cmd = {0};
	int i;

	for (i = 0; i < nfiles; i++) {
		struct stat st;
		if (stat(files[i], &st) != 0)
			err(EX_FAIL, "%s", files[i]);
		if (!S_ISREG(st.st_mode))
			errx(EX_FAIL, "%s: not a regular file", files[i]);
	}
	buf_puts(&cmd, "umask 077; mkdir -p ");
	buf_shell_quote(&cmd, dir);
	run_or_die(r, p, "mkdir", cmd.s, NULL);
	for (i = 0; i < nfiles; i++) {
		unsigned char rnd[4];
		char *name = base_name(files[i]), *dest, *c;
		struct progress pg = { p->id, name, 0, false };

		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			err(EX_FAIL, "getrandom");
		/* One path per output line: no line breaks in the name. */
		for (c = name; *c; c++)
			if (*c == '\n' || *c == '\r')
				*c = '_';
		dest = xasprintf("%s%s%02x%02x%02x%02x_%s", dir,
		    dir[strlen(dir) - 1] == '/' ? "" : "/", rnd[0], rnd[1],
		    rnd[2], rnd[3], name);
		if (remote_put(r, files[i], dest, 0600, progress_fn(), &pg,
		    &e) != 0) {
			progress_end(&pg);
			errx(EX_FAIL, "%s: %s: %s", p->id, files[i], e);
		}
		progress_end(&pg);
		printf("%s\n", dest);
		fflush(stdout);
		free(dest);
		free(name);
	}
	remote_close(r);
	buf_free(&cmd);
	free(dir);
	return EX_OK;
}

static int
cmd_pull(const struct config *cfg, const struct peer *p, const char *rpath,
    unsigned long long max_size)
{
	struct remote *r;
	char *dir, *name, *local, *src, *e = NULL;
	struct progress pg = { p->id, NULL, 0, false };

	name = base_name(rpath);
	if (*name == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    strcmp(name, "/") == 0)
		errx(EX_USAGE, "%s: %s: not a file name", p->id, rpath);
	dir = path_expand_tilde(cfg->file_forward.download_dir ?
	    cfg->file_forward.download_dir : "~/.codecast/downloads");
	if (mkdir_p(dir, 0700) != 0)
		err(EX_FAIL, "%s", dir);
	local = path_join(dir, name);
	r = open_or_die(cfg, p);
	src = peer_abs(r, p, rpath);
	pg.name = name;
	if (remote_get(r, src, local, max_size, progress_fn(), &pg, &e) != 0) {
		progress_end(&pg);
		errx(EX_FAIL, "%s: %s: %s", p->id, rpath, e);
	}
	progress_end(&pg);
	remote_close(r);
	printf("%s\n", local);
	free(dir);
	free(name);
	free(local);
	free(src);
	return EX_OK;
}

/* ---- prepare ------------------------------------------------------------------ */

/* The repository name when arg is a git URL, else NULL (malloc'd). */
static char *
git_repo_name(const char *arg)
{
	size_t n = strlen(arg);
	char *t, *name;
	bool url = false;

	while (n > 1 && arg[n - 1] == '/')
		n--;
	t = xstrndup(arg, n);
	if (str_starts(t, "http://") || str_starts(t, "https://") ||
	    str_starts(t, "ssh://") || str_starts(t, "git://") ||
	    str_starts(t, "file://"))
		url = strchr(strchr(t, ':') + 3, '/') != NULL;
	else if (str_starts(t, "git@") && strchr(t, ':') != NULL)
		url = true;
	else if ((t[0] == '/' || t[0] == '~') && str_ends(t, ".git"))
		url = true;	/* a local (bare) repository */
	if (!url) {
		free(t);
		return NULL;
	}
	{
		const char *s = strrchr(t, '/'), *c = strrchr(t, ':');
		if (c && (s == NULL || c > s))
			s = c;
		name = xstrdup(s ? s + 1 : t);
	}
	free(t);
	if (str_ends(name, ".git"))
		name[strlen(name) - 4] = '\0';
	if (*name == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		free(name);
		return NULL;
	}
	return name;
}

static int
cmd_prepare(const struct config *cfg, const struct peer *p, const char *arg)
{
	const char *proj = p->project_path && *p->project_path ?
	    p->project_path : "~/Projects";
	struct remote *r;
	struct buf cmd = {0}, out = {0};
	char *repo = git_repo_name(arg);
	char *target;

	if (*arg == '\0')
		errx(EX_USAGE, "prepare: empty path");
	if (repo)
		target = path_join(proj, repo);
	else if (arg[0] == '/' || arg[0] == '~')
		target = xstrdup(arg);
	else
		target = path_join(proj, arg);
	buf_puts(&cmd, "t=");
	buf_shell_quote_path(&cmd, target);
	buf_putc(&cmd, '\n');
	if (repo) {
		buf_puts(&cmd, "u=");
		buf_shell_quote_path(&cmd, arg);
		buf_puts(&cmd, "\n"
		    "if [ ! -d \"$t\" ]; then\n"
		    "  mkdir -p \"$(dirname \"$t\")\" || exit 1\n"
		    "  git clone -q -- \"$u\" \"$t\" </dev/null >&2 || exit 1\n"
		    "fi\n");
	} else
		buf_puts(&cmd, "mkdir -p -- \"$t\" || exit 1\n");
	buf_puts(&cmd, "printf '%s\\n' \"$t\"\n");
	r = open_or_die(cfg, p);
	run_or_die(r, p, repo ? "clone" : "mkdir", cmd.s, &out);
	remote_close(r);
	fputs(out.s, stdout);
	buf_free(&cmd);
	buf_free(&out);
	free(repo);
	free(target);
	return EX_OK;
}

/* ---- main ------------------------------------------------------------------- */

static void
need(int argc, int min, int max, const char *cmd)
{
	if (argc < min || (max >= 0 && argc > max)) {
		warnx("%s: wrong number of arguments", cmd);
		usage(stderr);
		exit(EX_USAGE);
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "table", no_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "max-size", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cfgarg = NULL, *cmd;
	unsigned long long max_size = 0;
	struct config *cfg;
	char *path, *e = NULL;
	bool table = false;
	long long v;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "c:tvhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cfgarg = optarg;
			break;
		case 't':
			table = true;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'm':
			if (!str_to_ll(optarg, 0, LLONG_MAX, &v))
				errx(EX_USAGE, "--max-size: not a byte count: %s",
				    optarg);
			max_size = (unsigned long long)v;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		case 'V':
			printf("cc-deploy %s\n", CC_VERSION);
			return EX_OK;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return EX_USAGE;
	}
	cmd = argv[0];
	argc--;
	argv++;
	signal(SIGPIPE, SIG_IGN);

	path = config_path(cfgarg);
	if ((cfg = config_load(path, &e)) == NULL)
		errx(EX_USAGE, "%s", e);
	free(path);

	if (strcmp(cmd, "ensure") == 0) {
		need(argc, 1, 1, cmd);
		rc = cmd_ensure(cfg, peer_or_die(cfg, argv[0]));
	} else if (strcmp(cmd, "deploy") == 0) {
		need(argc, 1, 1, cmd);
		rc = cmd_deploy(cfg, peer_or_die(cfg, argv[0]));
	} else if (strcmp(cmd, "start") == 0 || strcmp(cmd, "restart") == 0) {
		need(argc, 1, 1, cmd);
		rc = cmd_start(cfg, peer_or_die(cfg, argv[0]),
		    strcmp(cmd, "restart") == 0);
	} else if (strcmp(cmd, "stop") == 0) {
		need(argc, 1, 1, cmd);
		rc = cmd_stop(cfg, peer_or_die(cfg, argv[0]));
	} else if (strcmp(cmd, "status") == 0) {
		rc = cmd_status(cfg, argv, argc, table);
	} else if (strcmp(cmd, "skills") == 0) {
		need(argc, 2, 2, cmd);
		rc = cmd_skills(cfg, peer_or_die(cfg, argv[0]), argv[1]);
	} else if (strcmp(cmd, "push") == 0) {
		need(argc, 2, -1, cmd);
		rc = cmd_push(cfg, peer_or_die(cfg, argv[0]), argv + 1, argc - 1);
	} else if (strcmp(cmd, "pull") == 0) {
		need(argc, 2, 2, cmd);
		rc = cmd_pull(cfg, peer_or_die(cfg, argv[0]), argv[1], max_size);
	} else if (strcmp(cmd, "prepare") == 0) {
		need(argc, 2, 2, cmd);
		rc = cmd_prepare(cfg, peer_or_die(cfg, argv[0]), argv[1]);
	} else {
		warnx("%s: unknown command", cmd);
		usage(stderr);
		rc = EX_USAGE;
	}
	config_free(cfg);
	if (fflush(stdout) != 0 || ferror(stdout))
		err(EX_FAIL, "stdout");
	return rc;
}
