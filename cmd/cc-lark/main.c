/* cc-lark — the Lark/Feishu bridge.  See cc-lark(1).  The bridge protocol
 * and outbox live in lib/bridge.c, the long connection, callbacks and REST
 * API in lib/lark.c; this file parses the command line. */
#include <getopt.h>
#include <stdio.h>

#include "bridge_args.h"
#include "config.h"
#include "lark.h"

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
	const char *cpath = NULL;
	struct bridge_args a;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "+c:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cpath = optarg;
			break;
		case 'E':
			o.edit_interval = bridge_args_number("--edit-interval", optarg,
			    0.05, 60, usage);
			break;
		case 'G':
			o.global_rate = bridge_args_number("--global-rate", optarg,
			    0.1, 1000, usage);
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
	if ((rc = bridge_args_parse(argc - optind, argv + optind, cpath, true, usage,
	    &a)) != 0)
		return rc;
	switch (a.cmd) {
	case BRIDGE_CMD_RUN:
		rc = lark_run(a.cfg, &o);
		break;
	case BRIDGE_CMD_SEND:
	case BRIDGE_CMD_SEND_FILE:
		rc = lark_oneshot(a.cfg, &a);
		break;
	case BRIDGE_CMD_CHECK:
		rc = lark_check(a.cfg);
		break;
	}
	bridge_args_free(&a);
	return rc;
}
