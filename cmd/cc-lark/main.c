/* cc-lark — the Lark/Feishu bridge.  See cc-lark(1).  The bridge protocol
 * and outbox live in lib/bridge.c, the long connection, callbacks and REST
 * API in lib/lark.c; this file parses the command line. */
#include <err.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "lark.h"
#include "util.h"

#define EX_USAGE_ 2

static void
usage(FILE *f)
{
	fputs(
"usage: cc-lark [-c CONFIG] [options]\n"
"       cc-lark [-c CONFIG] send CHAT [TEXT|-]\n"
"       cc-lark [-c CONFIG] send-file CHAT PATH [CAPTION]\n"
"       cc-lark [-c CONFIG] check\n"
"\n"
"Bridge Lark/Feishu to cc-engine: events from the long connection (or HTTP\n"
"callbacks, bot.lark.mode: callback) become bridge events on standard output,\n"
"bridge actions on standard input become open-platform calls (cc-bridge(7)).\n"
"`send` and `send-file` post one message or file and exit (REST only); TEXT is\n"
"Markdown, read from standard input when it is - or missing.  CHAT is a chat\n"
"id (oc_...) or lark:oc_....  `check` fetches a tenant token and says whether\n"
"the app's credentials work.\n"
"\n"
"options:\n"
"  -c, --config FILE       the config (default ~/.codecast/config.yaml)\n"
"  --edit-interval SECS    the edit_interval told to the engine (default 1)\n"
"  --global-rate N         API calls per second overall at most (default 40)\n"
"  --port-file FILE        callback mode: write the port listened on to FILE\n"
"  -h, --help              this help;  -V, --version  the version\n"
"\n"
"exit: 0 end of input or SIGTERM, 1 failure, 2 usage, 5 credentials refused\n"
"or a bad config, 6 too many connections for the app\n", f);
}

static double
number(const char *opt, const char *s, double min, double max)
{
	char *end;
	double d = strtod(s, &end);

	if (end == s || *end || !isfinite(d) || d < min || d > max) {
		warnx("%s: %s: expected a number from %g to %g", opt, s, min, max);
		usage(stderr);
		exit(EX_USAGE_);
	}
	return d;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "edit-interval", required_argument, NULL, 'E' },
		{ "global-rate", required_argument, NULL, 'G' },
		{ "port-file", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct lark_opts o = { 0 };
	const char *cpath = NULL, *cmd;
	struct config *cfg;
	char *path, *msg = NULL;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "+c:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cpath = optarg;
			break;
		case 'E':
			o.edit_interval = number("--edit-interval", optarg, 0.05, 60);
			break;
		case 'G':
			o.global_rate = number("--global-rate", optarg, 0.1, 1000);
			break;
		case 'P':
			o.port_file = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("cc-lark %s\n", CC_VERSION);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE_;
		}
	}
	argc -= optind;
	argv += optind;
	cmd = argc > 0 ? argv[0] : NULL;
	if (cmd && strcmp(cmd, "send") != 0 && strcmp(cmd, "send-file") != 0 &&
	    strcmp(cmd, "check") != 0) {
		warnx("%s: unknown command", cmd);
		usage(stderr);
		return EX_USAGE_;
	}
	if (cmd && ((strcmp(cmd, "send") == 0 && (argc < 2 || argc > 3)) ||
	    (strcmp(cmd, "send-file") == 0 && (argc < 3 || argc > 4)) ||
	    (strcmp(cmd, "check") == 0 && argc != 1))) {
		usage(stderr);
		return EX_USAGE_;
	}
	path = config_path(cpath);
	cfg = config_load(path, &msg);
	free(path);
	if (cfg == NULL) {
		warnx("%s", msg);
		free(msg);
		return LARK_EXIT_CONFIG;
	}
	if (cmd == NULL)
		rc = lark_run(cfg, &o);
	else if (strcmp(cmd, "check") == 0)
		rc = lark_check(cfg);
	else if (strcmp(cmd, "send") == 0) {
		struct buf b = { 0 };
		const char *text = argc == 3 ? argv[2] : "-";

		if (strcmp(text, "-") == 0) {
			if (read_fd(STDIN_FILENO, 1 << 24, &b) == -1)
				err(1, "standard input");
			text = b.s ? b.s : "";
		}
		rc = lark_send(cfg, argv[1], text);
		buf_free(&b);
	} else
		rc = lark_send_file(cfg, argv[1], argv[2], argc == 4 ? argv[3] : NULL);
	config_free(cfg);
	return rc;
}
