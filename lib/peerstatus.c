/* peerstatus.c — see peerstatus.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "peerstatus.h"
#include "remote.h"
#include "rpc.h"
#include "util.h"

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

json_t *
peerstatus_row(const struct peer *p, const char *status, const char *daemon,
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

/* An http peer: health.check at its address, leaving some of the time
 * for the reply to reach the parent. */
static json_t *
check_http(const struct peer *p, int timeout_ms)
{
	struct rpc_target t;
	struct rpc_error re = {0};
	json_t *res = NULL, *row;
	char *version = NULL, *e = NULL;
	long pid = 0;
	int ok = 0, ms = timeout_ms > 1000 ? timeout_ms - 500 : timeout_ms;

	char *url = config_peer_url(p);

	if (url && rpc_target_parse(&t, url, p->token, p->tls_fingerprint, &e) == 0) {
		t.insecure = p->insecure;
		if (rpc_call(&t, "health.check", NULL, ms, &res, &re) == RPC_OK) {
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
	free(url);
	row = peerstatus_row(p, ok ? "online" : "offline",
	    ok ? "running" : "unknown", 0, version);
	free(version);
	return row;
}

json_t *
peerstatus_check(const struct config *cfg, const struct peer *p,
    int timeout_ms)
{
	struct daemon_info d;
	struct remote *r;
	char *e = NULL;
	json_t *row;

	if (p->transport == TRANSPORT_HTTP)
		return check_http(p, timeout_ms);
	if ((r = remote_open(cfg, p, &e)) == NULL) {
		free(e);
		return peerstatus_row(p, "offline", "unknown", 0, NULL);
	}
	if (daemon_find(cfg, p, r, &d, &e) != 0) {
		free(e);
		remote_close(r);
		return peerstatus_row(p, "offline", "unknown", 0, NULL);
	}
	remote_close(r);
	row = peerstatus_row(p, "online", d.running ? "running" : "stopped",
	    d.port, d.version);
	daemon_info_free(&d);
	return row;
}

size_t
peerstatus_default_peers(const struct config *cfg, const struct peer **out)
{
	size_t i, n = 0;

	for (i = 0; i < cfg->npeers; i++)
		if (!config_peer_jump_only(cfg, &cfg->peers[i]))
			out[n++] = &cfg->peers[i];
	return n;
}

bool
peerstatus_up(const json_t *row)
{
	const char *st = json_string_value(json_object_get(row, "status"));
	const char *dm = json_string_value(json_object_get(row, "daemon"));

	return st && strcmp(st, "online") == 0 && dm &&
	    strcmp(dm, "running") == 0;
}

struct job {
	pid_t pid;		/* -1 before the fork */
	int fd;			/* read end, -1 once at EOF */
	struct buf out;		/* the child's row */
};

/* In the child: check the peer, write its row to fd, _exit. */
static void
child(const struct config *cfg, const struct peer *p, int timeout_ms,
    bool quiet, int fd)
{
	json_t *row;
	char *s;

	if (quiet) {
		int dn = open("/dev/null", O_WRONLY);

		if (dn >= 0) {
			dup2(dn, STDERR_FILENO);
			close(dn);
		}
	}
	row = peerstatus_check(cfg, p, timeout_ms);
	s = json_dumps(row, JSON_COMPACT);
	if (s == NULL || write_all(fd, s, strlen(s)) != 0)
		_exit(1);
	_exit(0);
}

/* Read what the children wrote until all are done or the deadline. */
static int
collect(struct job *jobs, size_t n, long long deadline, char **errmsg)
{
	struct pollfd *pf = xcalloc(n + 1, sizeof(*pf));
	size_t *map = xcalloc(n + 1, sizeof(*map));
	int rc = 0;

	for (;;) {
		long long wait;
		size_t np = 0, i;

		for (i = 0; i < n; i++)
			if (jobs[i].fd >= 0) {
				pf[np].fd = jobs[i].fd;
				pf[np].events = POLLIN;
				pf[np].revents = 0;
				map[np++] = i;
			}
		wait = deadline - monotonic_ms();
		if (np == 0 || wait <= 0)
			break;
		if (poll(pf, np, (int)wait) < 0 && errno != EINTR) {
			*errmsg = xasprintf("poll: %s", strerror(errno));
			rc = -1;
			break;
		}
		for (i = 0; i < np; i++) {
			struct job *j = &jobs[map[i]];
			char chunk[4096];
			ssize_t got;

			if (pf[i].revents == 0)
				continue;
			got = read(j->fd, chunk, sizeof(chunk));
			if (got > 0)
				buf_append(&j->out, chunk, (size_t)got);
			else if (got == 0 || errno != EINTR) {
				close(j->fd);
				j->fd = -1;
			}
		}
	}
	free(pf);
	free(map);
	return rc;
}

/* Kill the children still at work (too slow; all of them with kill_all),
 * reap every one. */
static void
reap(struct job *jobs, size_t n, bool kill_all)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (jobs[i].pid <= 0)
			continue;
		if (kill_all || jobs[i].fd >= 0)
			kill(jobs[i].pid, SIGKILL);
		while (waitpid(jobs[i].pid, NULL, 0) == -1 && errno == EINTR)
			;
		jobs[i].pid = -1;
	}
	for (i = 0; i < n; i++) {
		if (jobs[i].fd >= 0)
			close(jobs[i].fd);
		jobs[i].fd = -1;
	}
}

int
peerstatus_check_all(const struct config *cfg,
    const struct peer *const *peers, size_t n, int timeout_ms, bool quiet,
    json_t **rows, char **errmsg)
{
	struct job *jobs = xcalloc(n + 1, sizeof(*jobs));
	size_t i;
	int rc = 0;

	for (i = 0; i < n; i++) {
		jobs[i].pid = -1;
		jobs[i].fd = -1;
	}
	/* Nothing buffered may be written twice by a child. */
	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < n && rc == 0; i++) {
		int pfd[2];

		if (pipe2(pfd, O_CLOEXEC) != 0) {
			*errmsg = xasprintf("pipe: %s", strerror(errno));
			rc = -1;
			break;
		}
		if ((jobs[i].pid = fork()) == -1) {
			*errmsg = xasprintf("fork: %s", strerror(errno));
			close(pfd[0]);
			close(pfd[1]);
			rc = -1;
			break;
		}
		if (jobs[i].pid == 0) {
			close(pfd[0]);
			child(cfg, peers[i], timeout_ms, quiet, pfd[1]);
		}
		close(pfd[1]);
		jobs[i].fd = pfd[0];
	}
	if (rc == 0)
		rc = collect(jobs, n, monotonic_ms() + timeout_ms, errmsg);
	reap(jobs, n, rc != 0);
	for (i = 0; i < n && rc == 0; i++) {
		json_error_t je;

		rows[i] = NULL;
		if (jobs[i].out.len > 0) {
			buf_append(&jobs[i].out, "", 0);
			rows[i] = json_loads(jobs[i].out.s, 0, &je);
		}
		if (rows[i] == NULL)
			rows[i] = peerstatus_row(peers[i], "offline", "unknown",
			    0, NULL);
	}
	for (i = 0; i < n; i++)
		buf_free(&jobs[i].out);
	free(jobs);
	return rc;
}
