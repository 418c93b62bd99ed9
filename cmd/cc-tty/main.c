/* cc-tty — chat with a session from the terminal.  See cc-tty(1); the
 * bridge lives in lib/tty.c, this file parses the command line. */
#include <getopt.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tty.h"
#include "util.h"

static void
usage(FILE *f)
{
	fputs(
"usage: cc-tty [-c CONFIG] [--send TEXT]... [--idle SECS]\n"
"       cc-tty [-c CONFIG] --bridge-only\n"
"\n"
"Chat with a coding session from the terminal: cc-tty starts cc-engine and\n"
"is its bridge, channel tty:$USER.  Type /start PEER PATH, then questions;\n"
"/help lists the commands.  Ctrl-C interrupts a reply (twice: leave),\n"
"Ctrl-D leaves.  Through a pipe (echo /status | cc-tty) each input line is\n"
"sent when the previous one is done, the replies are printed as plain text,\n"
"and cc-tty exits after the last.\n"
"\n"
"options:\n"
"  -c, --config FILE  the config (default ~/.codecast/config.yaml)\n"
"  -s, --send TEXT    send TEXT first (repeatable; each after the last is done)\n"
"  --idle SECS        quiet time that ends a reply in a pipe (default 2)\n"
"  --bridge-only      speak the bridge protocol on stdin/stdout instead of\n"
"                     starting cc-engine; the person is on /dev/tty\n"
"  --engine PROG      the engine to start (default cc-engine next to cc-tty)\n"
"  -h, --help         this help;  -V, --version  the version\n"
"\n"
"exit: 0 done, 1 failure (the engine could not start or died), 2 usage\n", f);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "send", required_argument, NULL, 's' },
		{ "idle", required_argument, NULL, 'I' },
		{ "bridge-only", no_argument, NULL, 'B' },
		{ "engine", required_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct tty_opts o = { 0 };
	int ch, rc;

	setlocale(LC_CTYPE, "");
	while ((ch = getopt_long(argc, argv, "c:s:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o.config_path = optarg;
			break;
		case 's':
			o.send = xreallocarray(o.send, o.nsend + 1, sizeof(char *));
			o.send[o.nsend++] = optarg;
			break;
		case 'I': {
			char *end;

			o.idle = strtod(optarg, &end);
			if (end == optarg || *end || !isfinite(o.idle) || o.idle < 0.1 ||
			    o.idle > 3600) {
				fprintf(stderr, "cc-tty: --idle: %s: expected seconds "
				    "from 0.1 to 3600\n", optarg);
				return 2;
			}
			break;
		}
		case 'B':
			o.bridge_only = true;
			break;
		case 'E':
			o.engine = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("cc-tty %s\n", CC_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cc-tty: %s: unexpected argument\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	rc = tty_run(&o);
	free(o.send);
	return rc;
}
