/* cc-telegram — the Telegram bridge.  See cc-telegram(1).  The bridge
 * protocol and outbox live in lib/bridge.c, the Bot API in lib/tgbot.c;
 * this file parses the command line. */
#include <getopt.h>
#include <stdio.h>

#include "bridge_args.h"
#include "config.h"
#include "tgbot.h"

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
	struct bridge_args a;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "+c:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cpath = optarg;
			break;
		case 'P':
			o.poll_timeout = (int)bridge_args_number("--poll-timeout", optarg,
			    1, 50, usage);
			break;
		case 'I':
			o.chat_interval = bridge_args_number("--chat-interval", optarg,
			    0.001, 60, usage);
			break;
		case 'G':
			o.global_rate = bridge_args_number("--global-rate", optarg,
			    0.1, 1000, usage);
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
	if ((rc = bridge_args_parse(argc - optind, argv + optind, cpath, true, usage,
	    &a)) != 0)
		return rc;
	switch (a.cmd) {
	case BRIDGE_CMD_RUN:
		rc = tgbot_run(a.cfg, &o);
		break;
	case BRIDGE_CMD_SEND:
	case BRIDGE_CMD_SEND_FILE:
		rc = tgbot_oneshot(a.cfg, &a);
		break;
	case BRIDGE_CMD_CHECK:
		rc = tgbot_check(a.cfg);
		break;
	}
	bridge_args_free(&a);
	return rc;
}
