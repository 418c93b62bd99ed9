/* cc-config — load, validate and print the codecast config as JSON. */
#include <err.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: cc-config [-c FILE] [--check] [--secrets] [--peer ID] [--path]\n"
	    "  -c, --config FILE  the config (default: $CODECAST_CONFIG,\n"
	    "                     ~/.codecast/config.yaml, ./config.yaml)\n"
	    "      --check        validate only; print nothing on success\n"
	    "      --secrets      print passwords, tokens and app secrets\n"
	    "  -p, --peer ID      print only that peer's normalised entry\n"
	    "      --path         print which file would be read, and exit\n"
	    "  -h, --help         this help\n"
	    "Exit: 0 valid, 1 invalid or missing config (or unknown peer), 2 usage.\n");
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *file = NULL, *peer = NULL;
	bool check = false, secrets = false, only_path = false;
	struct config *c;
	char *path, *emsg;
	json_t *j;
	int ch;

	while ((ch = getopt_long(argc, argv, "c:p:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': file = optarg; break;
		case 'C': check = true; break;
		case 'S': secrets = true; break;
		case 'p': peer = optarg; break;
		case 'P': only_path = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
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
