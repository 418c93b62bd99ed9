/* cc-discord — the Discord bridge.  See cc-discord(1).  The bridge protocol
 * and outbox live in lib/bridge.c, the gateway and REST API in
 * lib/discord.c; this file parses the command line. */
#include <getopt.h>
#include <stdio.h>

#include "bridge_args.h"
#include "config.h"
#include "discord.h"

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
	struct bridge_args a;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "+c:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cpath = optarg;
			break;
		case 'T':
			o.typing_interval = bridge_args_number("--typing-interval", optarg,
			    0.05, 60, usage);
			break;
		case 'G':
			o.global_rate = bridge_args_number("--global-rate", optarg,
			    0.1, 1000, usage);
			break;
		case 'E':
			o.edit_interval = bridge_args_number("--edit-interval", optarg,
			    0.05, 60, usage);
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
	if ((rc = bridge_args_parse(argc - optind, argv + optind, cpath, false, usage,
	    &a)) != 0)
		return rc;
	switch (a.cmd) {
	case BRIDGE_CMD_RUN:
		rc = discord_run(a.cfg, &o);
		break;
	case BRIDGE_CMD_SEND:
	case BRIDGE_CMD_SEND_FILE:
		rc = discord_oneshot(a.cfg, &a);
		break;
	case BRIDGE_CMD_CHECK:
		rc = 2;
		break;
	}
	bridge_args_free(&a);
	return rc;
}
