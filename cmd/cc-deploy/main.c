/* cc-deploy — the codecast daemon's life on each peer, skills and files.
 * See cc-deploy(1). */
#include <err.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "pathname.h"
#include "peerstatus.h"
#include "progress.h"
#include "projectdir.h"
#include "remote.h"
#include "skills.h"
#include "table.h"
#include "transfer.h"
#include "util.h"

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

/* ---- common ----------------------------------------------------------- */

/* The progress bar goes to stderr only when someone watches it there. */
static remote_progress_fn
progress_fn(void)
{
	return isatty(STDERR_FILENO) ? progress_update : NULL;
}

static void
progress_start(struct progress *pg, const struct peer *p, const char *name)
{
	progress_init(pg, stderr, "cc-deploy", p->id, name);
}

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

/* "cc-deploy: PEER: MESSAGE" and exit. */
static void __attribute__((noreturn))
die_peer(int code, const struct peer *p, const char *msg)
{
	errx(code, "%s: %s", p->id, msg ? msg : "failed");
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
	struct progress pg;
	char *e = NULL;
	int port = 0, rc;

	progress_start(&pg, p, DAEMON_REMOTE_NAME);
	rc = daemon_ensure_ex(cfg, p, r, progress_fn(), &pg, &did, &port, &e);
	progress_end(&pg);
	remote_close(r);
	if (rc != 0)
		die_peer(EX_DAEMON, p, e);
	note_actions(p, &did);
	printf("%d\n", port);
	return EX_OK;
}

static int
cmd_deploy(const struct config *cfg, const struct peer *p)
{
	struct remote *r = open_or_die(cfg, p);
	struct daemon_actions did = {0};
	struct progress pg;
	char *e = NULL;
	int rc;
	json_t *o;

	progress_start(&pg, p, DAEMON_REMOTE_NAME);
	rc = daemon_deploy(cfg, p, r, progress_fn(), &pg, &did, &e);
	progress_end(&pg);
	remote_close(r);
	if (rc != 0)
		die_peer(EX_DAEMON, p, e);
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
			die_peer(EX_DAEMON, p, e);
		if (verbose && was)
			fprintf(stderr, "cc-deploy: %s: stopped the daemon\n", p->id);
	}
	if (daemon_start(cfg, p, r, &port, &e) != 0)
		die_peer(EX_DAEMON, p, e);
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
		die_peer(EX_DAEMON, p, e);
	remote_close(r);
	if (verbose)
		fprintf(stderr, "cc-deploy: %s: %s\n", p->id,
		    was ? "stopped the daemon" : "no daemon was running");
	return EX_OK;
}

/* ---- status ------------------------------------------------------------- */

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
	const struct peer **peers;
	json_t **rows;
	char *e = NULL;
	size_t n = 0, i;
	int rc = EX_OK;

	peers = xcalloc(cfg->npeers + (size_t)nnames + 1, sizeof(*peers));
	if (nnames > 0)
		for (i = 0; i < (size_t)nnames; i++)
			peers[n++] = peer_or_die(cfg, names[i]);
	else
		n = peerstatus_default_peers(cfg, peers);
	rows = xcalloc(n + 1, sizeof(*rows));
	if (peerstatus_check_all(cfg, peers, n, PEERSTATUS_TIMEOUT_MS,
	    !verbose, rows, &e) != 0)
		errx(EX_FAIL, "%s", e);
	for (i = 0; i < n; i++)
		if (nnames > 0 && !peerstatus_up(rows[i]))
			rc = EX_FAIL;
	if (table)
		print_table(rows, n);
	else
		for (i = 0; i < n; i++) {
			json_dumpf(rows[i], stdout, JSON_COMPACT);
			putchar('\n');
		}
	for (i = 0; i < n; i++)
		json_decref(rows[i]);
	free(rows);
	free(peers);
	return rc;
}

/* ---- skills ------------------------------------------------------------- */

static void
note_skill(void *arg, const char *remote_path, bool copied)
{
	const struct peer *p = arg;

	if (copied)
		printf("%s\n", remote_path);
	else if (verbose)
		fprintf(stderr, "cc-deploy: %s: %s exists; kept\n", p->id,
		    remote_path);
}

static int
cmd_skills(const struct config *cfg, const struct peer *p, const char *path)
{
	struct skills_source src;
	struct remote *r;
	char *e = NULL;
	int rc;

	if ((rc = skills_source_load(cfg, &src, &e)) != 0) {
		if (rc < 0)
			errx(EX_FAIL, "%s", e);
		warnx("%s: %s; nothing to copy", p->id, e);
		free(e);
		return EX_OK;
	}
	r = open_or_die(cfg, p);
	if (skills_sync(&src, r, path, note_skill, (void *)p, &e) != 0)
		die_peer(EX_FAIL, p, e);
	remote_close(r);
	skills_source_free(&src);
	return EX_OK;
}

/* ---- push, pull ------------------------------------------------------------ */

static int
cmd_push(const struct config *cfg, const struct peer *p, char **files,
    int nfiles)
{
	struct remote *r;
	char *dir, *e = NULL;
	int i;

	r = open_or_die(cfg, p);
	if (transfer_check_files(files, (size_t)nfiles, &e) != 0)
		errx(EX_FAIL, "%s", e);
	if (transfer_pool_dir(cfg, r, &dir, &e) != 0)
		die_peer(EX_FAIL, p, e);
	for (i = 0; i < nfiles; i++) {
		struct progress pg;
		char *name = pathname_base(files[i]), *dest;
		int rc;

		progress_start(&pg, p, name);
		rc = transfer_push(r, dir, files[i], progress_fn(), &pg, &dest,
		    &e);
		progress_end(&pg);
		free(name);
		if (rc != 0)
			die_peer(EX_FAIL, p, e);
		printf("%s\n", dest);
		fflush(stdout);
		free(dest);
	}
	remote_close(r);
	free(dir);
	return EX_OK;
}

static int
cmd_pull(const struct config *cfg, const struct peer *p, const char *rpath,
    unsigned long long max_size)
{
	struct remote *r;
	struct progress pg;
	char *name, *local, *e = NULL;
	int rc;

	if ((name = transfer_pull_name(rpath)) == NULL)
		errx(EX_USAGE, "%s: %s: not a file name", p->id, rpath);
	if (transfer_download_path(cfg, name, &local, &e) != 0)
		errx(EX_FAIL, "%s", e);
	r = open_or_die(cfg, p);
	progress_start(&pg, p, name);
	rc = transfer_pull(r, rpath, local, max_size, progress_fn(), &pg, &e);
	progress_end(&pg);
	if (rc != 0)
		die_peer(EX_FAIL, p, e);
	remote_close(r);
	printf("%s\n", local);
	free(name);
	free(local);
	return EX_OK;
}

/* ---- prepare ------------------------------------------------------------------ */

static int
cmd_prepare(const struct config *cfg, const struct peer *p, const char *arg)
{
	struct projectdir pd;
	struct remote *r;
	char *path, *e = NULL;

	if (projectdir_resolve(p->project_path, arg, &pd, &e) != 0)
		errx(EX_USAGE, "prepare: %s", e);
	r = open_or_die(cfg, p);
	if (projectdir_create(r, &pd, &path, &e) != 0)
		die_peer(EX_FAIL, p, e);
	remote_close(r);
	printf("%s\n", path);
	free(path);
	projectdir_free(&pd);
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
