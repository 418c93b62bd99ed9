/* Unit tests for lib/peerstatus: the row's shape, which peers are checked
 * by default, and a parallel check of a local peer, a healthy http daemon
 * (a real HTTP server on loopback), a refused one and one that never
 * answers, rows in the order asked. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "peerstatus.h"
#include "shquote.h"
#include "tap.h"
#include "util.h"

/* A listening loopback socket; *port is its port. */
static int
listener(int *port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(s, 16) != 0 || getsockname(s, (struct sockaddr *)&a, &len) != 0)
		return -1;
	*port = ntohs(a.sin_port);
	return s;
}

/* A free port: bound, then closed. */
static int
free_port(void)
{
	int port = 0, s = listener(&port);

	close(s);
	return port;
}

/* A child answering every request with a healthy health.check. */
static pid_t
health_server(int s)
{
	static const char body[] =
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"ok\":true,"
	    "\"version\":\"7.7.7\",\"pid\":4242}}";
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	for (;;) {
		char req[8192], *resp;
		int c = accept(s, NULL, NULL);
		ssize_t n;

		if (c < 0)
			continue;
		/* the request is small: headers and body in a few reads */
		n = read(c, req, sizeof(req));
		if (n > 0 && memmem(req, (size_t)n, "\r\n\r\n", 4) != NULL &&
		    memchr(req, '{', (size_t)n) == NULL)
			(void)read(c, req, sizeof(req));
		resp = xasprintf("HTTP/1.1 200 OK\r\nContent-Type: "
		    "application/json\r\nContent-Length: %zu\r\n"
		    "Connection: close\r\n\r\n%s", strlen(body), body);
		(void)write_all(c, resp, strlen(resp));
		free(resp);
		close(c);
	}
}

static const char *
field(json_t *row, const char *k)
{
	return json_string_value(json_object_get(row, k));
}

int
main(void)
{
	char tmpl[] = "/tmp/cc-unit-peerstatus-XXXXXX";
	const struct peer *peers[8];
	struct config *cfg;
	json_t *rows[8], *row;
	char *path, *home, *e = NULL;
	int hport, bport, okport, ok_s, bh_s;
	pid_t server;
	size_t n, i;
	FILE *f;

	if (mkdtemp(tmpl) == NULL) {
		ok(0, "mkdtemp");
		return tap_done();
	}
	home = xasprintf("%s/home", tmpl);
	mkdir(home, 0700);
	setenv("HOME", home, 1);
	signal(SIGPIPE, SIG_IGN);

	ok_s = listener(&okport);
	bh_s = listener(&bport);	/* accepts (backlog), never answers */
	hport = free_port();
	ok(ok_s >= 0 && bh_s >= 0, "loopback listeners");
	server = health_server(ok_s);
	close(ok_s);

	path = xasprintf("%s/config.yaml", tmpl);
	if ((f = fopen(path, "w")) == NULL) {
		ok(0, "config");
		kill(server, SIGKILL);
		waitpid(server, NULL, 0);
		return tap_done();
	}
	fprintf(f,
	    "peers:\n"
	    "  local:\n"
	    "    transport: local\n"
	    "    daemon_port: %d\n"
	    "    default_paths: [\"/w\", \"/v\"]\n"
	    "  web:\n"
	    "    transport: http\n"
	    "    address: \"http://127.0.0.1:%d\"\n"
	    "  webdown:\n"
	    "    transport: http\n"
	    "    address: \"127.0.0.1:1\"\n"
	    "  webhang:\n"
	    "    transport: http\n"
	    "    address: \"http://127.0.0.1:%d\"\n"
	    "  jumpbox:\n"
	    "    ssh_host: 127.0.0.1\n"
	    "    ssh_port: 1\n"
	    "  behind:\n"
	    "    ssh_host: 127.0.0.1\n"
	    "    ssh_port: 1\n"
	    "    proxy_jump: jumpbox\n",
	    hport, okport, bport);
	fclose(f);
	if ((cfg = config_load(path, &e)) == NULL) {
		ok(0, "config_load");
		printf("# %s\n", e);
		kill(server, SIGKILL);
		waitpid(server, NULL, 0);
		return tap_done();
	}

	/* ---- rows ---- */
	row = peerstatus_row(config_peer(cfg, "local"), "online", "stopped", 0,
	    NULL);
	is_str(field(row, "peer"), "local", "row: peer");
	is_str(field(row, "transport"), "local", "row: transport");
	is_str(field(row, "status"), "online", "row: status");
	is_str(field(row, "daemon"), "stopped", "row: daemon");
	ok(json_is_null(json_object_get(row, "port")), "row: no port is null");
	ok(json_is_null(json_object_get(row, "version")),
	    "row: no version is null");
	ok(json_array_size(json_object_get(row, "default_paths")) == 2,
	    "row: default_paths");
	ok(json_object_get(row, "host") && json_object_get(row, "user"),
	    "row: host and user keys");
	ok(!peerstatus_up(row), "online but stopped is not up");
	json_decref(row);
	row = peerstatus_row(config_peer(cfg, "web"), "online", "running", 38211,
	    "1.2.3");
	{
		char *want = xasprintf("http://127.0.0.1:%d", okport);
		is_str(field(row, "host"), want, "row: an http peer's host is "
		    "its address");
		free(want);
	}
	is_int(json_integer_value(json_object_get(row, "port")), 38211,
	    "row: port");
	ok(peerstatus_up(row), "online and running is up");
	json_decref(row);
	row = peerstatus_row(config_peer(cfg, "web"), "offline", "unknown", 0,
	    NULL);
	ok(!peerstatus_up(row), "offline is not up");
	json_decref(row);

	/* ---- default peers ---- */
	{
		const struct peer **all = xcalloc(cfg->npeers + 1,
		    sizeof(*all));
		bool jump = false, behind = false;

		n = peerstatus_default_peers(cfg, all);
		is_int(n, cfg->npeers - 1, "default: all peers but one");
		for (i = 0; i < n; i++) {
			jump |= strcmp(all[i]->id, "jumpbox") == 0;
			behind |= strcmp(all[i]->id, "behind") == 0;
		}
		ok(!jump, "... the jump-only peer is skipped");
		ok(behind, "... the peer behind it is not");
		free(all);
	}

	/* ---- a parallel check ---- */
	peers[0] = config_peer(cfg, "webhang");
	peers[1] = config_peer(cfg, "local");
	peers[2] = config_peer(cfg, "web");
	peers[3] = config_peer(cfg, "webdown");
	ok(peerstatus_check_all(cfg, peers, 4, 2000, true, rows, &e) == 0,
	    "check four peers in parallel");
	for (i = 0; i < 4; i++)
		is_str(field(rows[i], "peer"), peers[i]->id,
		    "... rows in the order asked");
	is_str(field(rows[0], "status"), "offline",
	    "... a daemon that never answers is offline");
	is_str(field(rows[0], "daemon"), "unknown", "... daemon unknown");
	is_str(field(rows[1], "status"), "online", "... local is online");
	is_str(field(rows[1], "daemon"), "stopped",
	    "... with no daemon running");
	is_str(field(rows[2], "status"), "online",
	    "... the http daemon is online");
	is_str(field(rows[2], "daemon"), "running", "... and running");
	is_str(field(rows[2], "version"), "7.7.7", "... its version");
	is_str(field(rows[3], "status"), "offline",
	    "... a refused http peer is offline");
	for (i = 0; i < 4; i++)
		json_decref(rows[i]);
	ok(peerstatus_check_all(cfg, peers, 0, 2000, true, rows, &e) == 0,
	    "no peers: nothing to do");

	row = peerstatus_check(cfg, config_peer(cfg, "web"), 2000);
	ok(peerstatus_up(row), "one peer in this process");
	json_decref(row);

	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	close(bh_s);
	config_free(cfg);
	{
		char *q = shell_quote(tmpl), *cmd = xasprintf("rm -rf %s", q);
		(void)system(cmd);
		free(cmd);
		free(q);
	}
	free(path);
	free(home);
	return tap_done();
}
