/* cc-session — query and update the session registry (sessions.db). */
#include <err.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sessdb.h"
#include "table.h"
#include "util.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: cc-session [--db FILE] [-t] COMMAND [ARG...]\n"
	    "  register CHANNEL PEER PATH DAEMON_SID [--mode M] [--cli T] [--name N] [--sdk ID]\n"
	    "  resolve CHANNEL            the channel's active session\n"
	    "  detach CHANNEL             move it to the log\n"
	    "  destroy NAME|DAEMON_SID    mark a daemon session destroyed\n"
	    "  destroy --channel CHANNEL  mark the channel's row destroyed\n"
	    "  set CHANNEL KEY=VALUE...   sdk_session_id, mode, tool_display, cli_type\n"
	    "  rename CHANNEL NEW_NAME\n"
	    "  list [--peer P] [--status S] [--log]\n"
	    "  find NAME|DAEMON_SID       sessions first, then the log\n"
	    "  find-path PEER PATH\n"
	    "  init                       create or migrate the database\n"
	    "Options: --db FILE (default $CODECAST_DB, ~/.codecast/sessions.db), -t table,\n"
	    "-h help.  Output: one JSON object per line, keys are the DB columns.\n"
	    "Exit: 0 done, 1 nothing matched or an error, 2 usage.\n");
}

static const char *const table_cols[] = { "name", "channel_id", "machine_id", "path",
	"status", "mode", "cli_type", "updated_at", NULL };

static int
emit(json_t *v, bool table)
{
	json_t *rows = json_is_array(v) ? json_incref(v) : json_pack("[O]", v);
	int rc = 0;

	if (table) {
		rc = table_print(stdout, rows, table_cols);
	} else {
		for (size_t i = 0; i < json_array_size(rows) && rc == 0; i++) {
			if (json_dumpf(json_array_get(rows, i), stdout,
			    JSON_COMPACT | JSON_PRESERVE_ORDER) != 0 || putchar('\n') == EOF)
				rc = -1;
		}
	}
	json_decref(rows);
	if (fflush(stdout) != 0 || rc != 0)
		err(1, "stdout");
	return 0;
}

static int
need_args(int have, int want, const char *cmd)
{
	if (have != want) {
		warnx("%s: expected %d argument%s, got %d (see --help)", cmd, want,
		    want == 1 ? "" : "s", have);
		return 0;
	}
	return 1;
}

int
main(int argc, char **argv)
{
	enum { O_DB = 256, O_MODE, O_CLI, O_NAME, O_SDK, O_PEER, O_STATUS, O_CHANNEL, O_LOG };
	static const struct option opts[] = {
		{ "db", required_argument, NULL, O_DB },
		{ "mode", required_argument, NULL, O_MODE },
		{ "cli", required_argument, NULL, O_CLI },
		{ "name", required_argument, NULL, O_NAME },
		{ "sdk", required_argument, NULL, O_SDK },
		{ "peer", required_argument, NULL, O_PEER },
		{ "status", required_argument, NULL, O_STATUS },
		{ "channel", required_argument, NULL, O_CHANNEL },
		{ "log", no_argument, NULL, O_LOG },
		{ "table", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dbpath = NULL, *mode = NULL, *cli = NULL, *name = NULL, *sdk = NULL;
	const char *peer = NULL, *status = NULL, *channel = NULL;
	bool table = false, log = false;
	struct sessdb *db;
	char *path, *emsg = NULL;
	json_t *out = NULL;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "th", opts, NULL)) != -1) {
		switch (ch) {
		case O_DB: dbpath = optarg; break;
		case O_MODE: mode = optarg; break;
		case O_CLI: cli = optarg; break;
		case O_NAME: name = optarg; break;
		case O_SDK: sdk = optarg; break;
		case O_PEER: peer = optarg; break;
		case O_STATUS: status = optarg; break;
		case O_CHANNEL: channel = optarg; break;
		case O_LOG: log = true; break;
		case 't': table = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	argv += optind;
	argc -= optind;
	if (argc < 1) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[0];
	argv++;
	argc--;

	/* Validate the words before touching the database. */
	if (!strcmp(cmd, "register")) {
		if (!need_args(argc, 4, cmd))
			return 2;
	} else if (!strcmp(cmd, "resolve") || !strcmp(cmd, "detach") || !strcmp(cmd, "find")) {
		if (!need_args(argc, 1, cmd))
			return 2;
	} else if (!strcmp(cmd, "destroy")) {
		if (!need_args(argc, channel ? 0 : 1, cmd))
			return 2;
	} else if (!strcmp(cmd, "set")) {
		if (argc < 2) {
			warnx("set: expected CHANNEL KEY=VALUE...");
			return 2;
		}
		for (int i = 1; i < argc; i++)
			if (strchr(argv[i], '=') == NULL) {
				warnx("set: %s: expected KEY=VALUE", argv[i]);
				return 2;
			}
	} else if (!strcmp(cmd, "rename") || !strcmp(cmd, "find-path")) {
		if (!need_args(argc, 2, cmd))
			return 2;
	} else if (!strcmp(cmd, "list") || !strcmp(cmd, "init")) {
		if (!need_args(argc, 0, cmd))
			return 2;
	} else {
		warnx("%s: unknown command (see --help)", cmd);
		return 2;
	}

	path = dbpath ? xstrdup(dbpath) : sessdb_default_path();
	if (sessdb_open(path, &db, &emsg) != 0) {
		warnx("%s", emsg);
		free(emsg);
		free(path);
		return 1;
	}
	free(path);

	if (!strcmp(cmd, "register")) {
		struct sess_new n = { argv[0], argv[1], argv[2], argv[3], mode, cli, name, sdk };
		rc = sessdb_register(db, &n, &out, &emsg);
	} else if (!strcmp(cmd, "resolve")) {
		rc = sessdb_resolve(db, argv[0], &out, &emsg);
	} else if (!strcmp(cmd, "detach")) {
		rc = sessdb_detach(db, argv[0], &out, &emsg);
	} else if (!strcmp(cmd, "destroy")) {
		rc = channel ? sessdb_destroy_channel(db, channel, &out, &emsg) :
		    sessdb_destroy(db, argv[0], &out, &emsg);
	} else if (!strcmp(cmd, "set")) {
		rc = 0;
		for (int i = 1; i < argc && rc == 0; i++) {
			char *kv = xstrdup(argv[i]), *eq = strchr(kv, '=');
			*eq = '\0';
			json_decref(out);
			out = NULL;
			rc = sessdb_set(db, argv[0], kv, eq + 1, &out, &emsg);
			free(kv);
		}
	} else if (!strcmp(cmd, "rename")) {
		rc = sessdb_rename(db, argv[0], argv[1], &out, &emsg);
	} else if (!strcmp(cmd, "list")) {
		rc = sessdb_list(db, log, peer, status, &out, &emsg);
	} else if (!strcmp(cmd, "find")) {
		rc = sessdb_find(db, argv[0], &out, &emsg);
	} else if (!strcmp(cmd, "find-path")) {
		rc = sessdb_find_path(db, argv[0], argv[1], &out, &emsg);
	} else {
		rc = 0;		/* init: opening did it */
	}
	sessdb_close(db);

	if (rc < 0) {
		warnx("%s: %s", cmd, emsg);
		free(emsg);
		return 1;
	}
	if (rc > 0) {
		json_decref(out);
		/* Nothing matched: silent for lookups, a line for changes. */
		if (strcmp(cmd, "resolve") && strcmp(cmd, "find") && strcmp(cmd, "find-path"))
			warnx("%s: %s: no %s", cmd, channel ? channel : argv[0],
			    !strcmp(cmd, "destroy") && !channel ? "such session" : "active session");
		return 1;
	}
	if (out)
		emit(out, table);
	json_decref(out);
	return 0;
}
