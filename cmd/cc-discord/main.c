/* cc-discord — the Discord bridge.  See cc-discord(1).  The bridge protocol
 * and outbox live in lib/bridge.c, the gateway and REST API in
 * lib/discord.c; this file parses the command line. */
#include <err.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "discord.h"
#include "util.h"

#define EX_USAGE_ 2

static void
usage(FILE *f)
{
	fputs(
"usage: cc-discord [-c CONFIG] [options]\n"
"       cc-discord [-c CONFIG] send CHANNEL [TEXT|-]\n"
"       cc-discord [-c CONFIG] send-file CHANNEL PATH [CAPTION]\n"
"\n"
"Bridge Discord to cc-engine: gateway events become bridge events on\n"
"standard output, bridge actions on standard input become REST calls\n"
"(cc-bridge(7)).  `send` and `send-file` post one message or file and exit\n"
"(REST only, no gateway); TEXT is Markdown, read from standard input when it\n"
"is - or missing.  CHANNEL is a channel id or discord:ID.\n"
"\n"
"options:\n"
"  -c, --config FILE       the config (default ~/.codecast/config.yaml)\n"
"  --typing-interval SECS  between typing calls while typing is on (default 8)\n"
"  --global-rate N         REST calls per second overall at most (default 48)\n"
"  --edit-interval SECS    the edit_interval told to the engine (default 1)\n"
"  -h, --help              this help;  -V, --version  the version\n"
"\n"
"exit: 0 end of input or SIGTERM, 1 failure, 2 usage, 5 bad token, intents\n"
"not enabled, or a bad config\n", f);
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
		{ "typing-interval", required_argument, NULL, 'T' },
		{ "global-rate", required_argument, NULL, 'G' },
		{ "edit-interval", required_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct discord_opts o = { 0 };
	const char *cpath = NULL;
	struct config *cfg;
	char *path, *msg = NULL;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "+c:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cpath = optarg;
			break;
		case 'T':
			o.typing_interval = number("--typing-interval", optarg, 0.05, 60);
			break;
		case 'G':
			o.global_rate = number("--global-rate", optarg, 0.1, 1000);
			break;
		case 'E':
			o.edit_interval = number("--edit-interval", optarg, 0.05, 60);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("cc-discord %s\n", CC_VERSION);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE_;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 0 && strcmp(argv[0], "send") != 0 && strcmp(argv[0], "send-file") != 0) {
		warnx("%s: unknown command", argv[0]);
		usage(stderr);
		return EX_USAGE_;
	}
	if (argc > 0 && ((argv[0][4] == '\0' && (argc < 2 || argc > 3)) ||
	    (argv[0][4] == '-' && (argc < 3 || argc > 4)))) {
		usage(stderr);
		return EX_USAGE_;
	}
	path = config_path(cpath);
	cfg = config_load(path, &msg);
	free(path);
	if (cfg == NULL) {
		warnx("%s", msg);
		free(msg);
		return 5;
	}
	if (argc == 0)
		rc = discord_run(cfg, &o);
	else if (strcmp(argv[0], "send") == 0) {
		struct buf b = { 0 };
		const char *text = argc == 3 ? argv[2] : "-";

		if (strcmp(text, "-") == 0) {
			if (read_fd(STDIN_FILENO, 1 << 24, &b) == -1)
				err(1, "standard input");
			text = b.s ? b.s : "";
		}
		rc = discord_send(cfg, argv[1], text);
		buf_free(&b);
	} else
		rc = discord_send_file(cfg, argv[1], argv[2], argc == 4 ? argv[3] : NULL);
	config_free(cfg);
	return rc;
}
