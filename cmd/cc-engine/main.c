/* cc-engine — the chat engine: bridge events on stdin, bridge actions on
 * stdout (cc-bridge(7)). */
#include <err.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "engine.h"
#include "util.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: cc-engine [-c CONFIG] [--db DB]\n"
	    "\n"
	    "The chat engine behind every bridge: reads bridge events (one JSON\n"
	    "object per line) on standard input, writes bridge actions on standard\n"
	    "output (cc-bridge(7)); runs every chat command and streams the\n"
	    "replies of the coding CLIs on the peers.  Diagnostics on stderr.\n"
	    "\n"
	    "  -c, --config FILE  config file (default $CODECAST_CONFIG,\n"
	    "                     ~/.codecast/config.yaml)\n"
	    "      --db FILE      session DB (default $CODECAST_DB,\n"
	    "                     ~/.codecast/sessions.db)\n"
	    "  -h, --help         this text;  -V, --version  the version\n"
	    "\n"
	    "exit: 0 end of input or SIGTERM, 75 /restart or /update (restart me),\n"
	    "1 config or DB unusable, 2 usage.\n");
}

static void
stop_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	engine_stop(arg);
}

/* Children (cc-rpc, cc-tunnel, cc-deploy) are looked up next to us first. */
static void
path_prepend_self(void)
{
	char self[PATH_MAX], *slash, *path;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *old = getenv("PATH");

	if (n <= 0)
		return;
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) == NULL)
		return;
	*slash = '\0';
	path = xasprintf("%s:%s", self, old ? old : "/usr/bin:/bin");
	if (setenv("PATH", path, 1) != 0)
		warn("setenv");
	free(path);
}

int
main(int argc, char **argv)
{
	enum { O_DB = 256 };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, O_DB },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct engine_opts o = { 0 };
	struct event_base *base;
	struct event *ev_term, *ev_int;
	struct engine *e;
	char *err = NULL;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': o.config_path = optarg; break;
		case O_DB: o.db_path = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("cc-engine %s\n", CC_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	path_prepend_self();
	o.in_fd = 0;
	o.out_fd = 1;
	if ((base = event_base_new()) == NULL)
		errx(1, "cannot create the event loop");
	if ((e = engine_new(base, &o, &err)) == NULL) {
		warnx("%s", err);
		free(err);
		event_base_free(base);
		return 1;
	}
	ev_term = evsignal_new(base, SIGTERM, stop_cb, e);
	ev_int = evsignal_new(base, SIGINT, stop_cb, e);
	if (ev_term == NULL || ev_int == NULL || event_add(ev_term, NULL) ||
	    event_add(ev_int, NULL) || engine_start(e) != 0)
		errx(1, "cannot start the event loop");
	if (event_base_dispatch(base) == -1)
		warnx("event loop failed");
	rc = engine_exit_status(e);
	engine_free(e);
	event_free(ev_term);
	event_free(ev_int);
	event_base_free(base);
	return rc;
}
