/* cc-telegram — the Telegram bridge.  See cc-telegram(1).  The bridge
 * protocol and outbox live in lib/bridge.c, the Bot API in lib/tgbot.c;
 * this file parses the command line. */
#include <err.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "tgbot.h"
#include "util.h"

#define EX_USAGE_ 2

static void
usage(FILE *f)
{
	fputs(
"usage: cc-telegram [-c CONFIG] [options]\n"
"       cc-telegram [-c CONFIG] send CHAT [TEXT|-]\n"
"       cc-telegram [-c CONFIG] send-file CHAT PATH [CAPTION]\n"
"       cc-telegram [-c CONFIG] check\n"
"\n"
"Bridge Telegram to cc-engine: Bot API updates become bridge events on\n"
"standard output, bridge actions on standard input become Bot API calls\n"
"(cc-bridge(7)).  `send` and `send-file` post one message or file and exit;\n"
"TEXT is Markdown, read from standard input when it is - or missing.\n"
"CHAT is a chat id, CHAT:THREAD for a forum topic, or telegram:CHAT[:THREAD].\n"
"`check` makes one getMe call and prints the bot's @username.\n"
"\n"
"options:\n"
"  -c, --config FILE     the config (default ~/.codecast/config.yaml)\n"
"  --poll-timeout SECS   getUpdates long-poll timeout (default 25)\n"
"  --chat-interval SECS  least time between calls to one chat (default 1)\n"
"  --global-rate N       calls per second overall at most (default 30)\n"
"  -h, --help            this help;  -V, --version  the version\n"
"\n"
"exit: 0 end of input or SIGTERM, 1 failure, 2 usage, 5 bad token or\n"
"config, 6 another poller or a webhook (409)\n", f);
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
		{ "poll-timeout", required_argument, NULL, 'P' },
		{ "chat-interval", required_argument, NULL, 'I' },
		{ "global-rate", required_argument, NULL, 'G' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct tgbot_opts o = { 0 };
	const char *cpath = NULL;
	struct config *cfg;
	char *path, *msg = NULL;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "+c:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cpath = optarg;
			break;
		case 'P':
			o.poll_timeout = (int)number("--poll-timeout", optarg, 1, 50);
			break;
		case 'I':
			o.chat_interval = number("--chat-interval", optarg, 0.001, 60);
			break;
		case 'G':
			o.global_rate = number("--global-rate", optarg, 0.1, 1000);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("cc-telegram %s\n", CC_VERSION);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE_;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 0 && strcmp(argv[0], "send") != 0 && strcmp(argv[0], "send-file") != 0 &&
	    strcmp(argv[0], "check") != 0) {
		warnx("%s: unknown command", argv[0]);
		usage(stderr);
		return EX_USAGE_;
	}
	if (argc > 0 && argv[0][0] == 'c' && argc != 1) {
		usage(stderr);
		return EX_USAGE_;
	}
	if (argc > 0 && argv[0][0] == 's' && ((argv[0][4] == '\0' && (argc < 2 || argc > 3)) ||
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
		rc = tgbot_run(cfg, &o);
	else if (strcmp(argv[0], "check") == 0)
		rc = tgbot_check(cfg);
	else if (strcmp(argv[0], "send") == 0) {
		struct buf b = { 0 };
		const char *text = argc == 3 ? argv[2] : "-";

		if (strcmp(text, "-") == 0) {
			if (read_fd(STDIN_FILENO, 1 << 24, &b) == -1)
				err(1, "standard input");
			text = b.s ? b.s : "";
		}
		rc = tgbot_send(cfg, argv[1], text);
		buf_free(&b);
	} else
		rc = tgbot_send_file(cfg, argv[1], argv[2], argc == 4 ? argv[3] : NULL);
	config_free(cfg);
	return rc;
}
