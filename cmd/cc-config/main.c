/* cc-config — load, validate and print the codecast config as JSON. */
#include <err.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "table.h"
#include "util.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: cc-config [-c FILE] [--check] [--secrets] [--peer ID] [--path]\n"
	    "       cc-config [-c FILE] --peers [-t]\n"
	    "  -c, --config FILE  the config (default: $CODECAST_CONFIG,\n"
	    "                     ~/.codecast/config.yaml, ./config.yaml)\n"
	    "      --check        validate only; print nothing on success\n"
	    "      --secrets      print passwords, tokens and app secrets\n"
	    "  -p, --peer ID      print only that peer's normalised entry\n"
	    "      --peers        print the peers' ids, one per line (-t: a table\n"
	    "                     of id, transport, where and via)\n"
	    "      --path         print which file would be read, and exit\n"
	    "  -h, --help         this help\n"
	    "Exit: 0 valid, 1 invalid or missing config (or unknown peer), 2 usage.\n");
}

/* Where a peer is: host:port, the http address, or "local". */
static char *
peer_where(const struct peer *p)
{
	switch (p->transport) {
	case TRANSPORT_HTTP:
		return xstrdup(p->address ? p->address : "-");
	case TRANSPORT_LOCAL:
		return xstrdup("local");
	default:
		return xasprintf("%s:%d", p->host ? p->host : "-", p->port);
	}
}

/* --peers: the ids one per line (for shells and completion), or -t. */
static int
list_peers(const struct config *c, bool table)
{
	static const char *const cols[] = { "id", "transport", "where", "via",
	    NULL };
	json_t *rows = json_array();
	int rc = 0;

	for (size_t i = 0; i < c->npeers; i++) {
		const struct peer *p = &c->peers[i];
		json_t *j = config_peer_to_json(c, p, false);
		char *where = peer_where(p);

		if (!table && printf("%s\n", p->id) < 0)
			rc = 1;
		json_array_append_new(rows, json_pack("{s:s,s:O,s:s,s:s?}", "id",
		    p->id, "transport", json_object_get(j, "transport"), "where",
		    where, "via", p->proxy_jump ? p->proxy_jump :
		    p->proxy_command ? "proxy_command" : NULL));
		free(where);
		json_decref(j);
	}
	if (table && table_print(stdout, rows, cols) != 0)
		rc = 1;
	json_decref(rows);
	if (fflush(stdout) != 0)
		rc = 1;
	if (rc)
		warn("stdout");
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'C' },
		{ "secrets", no_argument, NULL, 'S' },
		{ "peer", required_argument, NULL, 'p' },
		{ "path", no_argument, NULL, 'P' },
		{ "peers", no_argument, NULL, 'L' },
		{ "table", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *file = NULL, *peer = NULL;
	bool check = false, secrets = false, only_path = false, list = false;
	bool table = false;
	struct config *c;
	char *path, *emsg;
	json_t *j;
	int ch;

	while ((ch = getopt_long(argc, argv, "c:p:th", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': file = optarg; break;
		case 'C': check = true; break;
		case 'S': secrets = true; break;
		case 'p': peer = optarg; break;
		case 'P': only_path = true; break;
		case 'L': list = true; break;
		case 't': table = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || (table && !list) || (list && (peer || check))) {
		usage(stderr);
		return 2;
	}
	path = config_path(file);
	if (only_path) {
		puts(path);
		free(path);
		return 0;
	}
	if ((c = config_load(path, &emsg)) == NULL) {
		warnx("%s", emsg);
		free(emsg);
		free(path);
		return 1;
	}
	free(path);
	if (list) {
		int rc = list_peers(c, table);

		config_free(c);
		return rc;
	}
	if (peer) {
		const struct peer *p = config_peer(c, peer);
		if (p == NULL) {
			warnx("%s: no such peer in %s", peer, c->path);
			config_free(c);
			return 1;
		}
		j = config_peer_to_json(c, p, secrets);
		json_object_set_new(j, "id", json_string(p->id));
	} else {
		j = config_to_json(c, secrets);
	}
	config_free(c);
	if (!check) {
		if (json_dumpf(j, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER) != 0 ||
		    putchar('\n') == EOF || fflush(stdout) != 0) {
			json_decref(j);
			err(1, "stdout");
		}
	}
	json_decref(j);
	return 0;
}
