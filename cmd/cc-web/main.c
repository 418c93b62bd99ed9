/* cc-web — the web UI: a dashboard and a browser chat, a bridge like the
 * others.  See cc-web(1).  Behaviour lives in lib/web*.c. */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "util.h"
#include "web.h"

#define EX_USAGE_ 2

static void
usage(FILE *f)
{
	fputs(
"usage: cc-web [-c CONFIG] [-p PORT] [-b ADDR] [options]\n"
"       cc-web [--password-file FILE] passwd\n"
"\n"
"Serve the web UI: a live dashboard of the peers and sessions, and a chat\n"
"per session in the browser, with a cc-engine of its own behind it.\n"
"Defaults: the config's webui section, else 127.0.0.1 port 31949.  Off\n"
"loopback it needs a password (cc-web passwd) and speaks HTTPS.\n"
"\n"
"options:\n"
"  -c, --config FILE        the config (default ~/.codecast/config.yaml)\n"
"  -p, --port PORT          the port (0: any free one)\n"
"  -b, --bind ADDR          the address to listen on\n"
"  --tls                    HTTPS on loopback too\n"
"  --tls-cert FILE, --tls-key FILE   the pair (default ~/.codecast/web-*.pem,\n"
"                           generated when missing)\n"
"  --allow-host NAME        accept this Host name too (a reverse proxy's)\n"
"  --password-file FILE     default ~/.codecast/web-password\n"
"  --port-file FILE         write the port there once listening\n"
"  --refresh SECS           check the peers every SECS (default 10)\n"
"  -h, --help               this help;  -V, --version  the version\n"
"\n"
"exit: 0 on SIGTERM or SIGINT, 1 failure, 2 usage, 5 config or password\n"
"unusable (or no password for an address off loopback)\n", f);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "port", required_argument, NULL, 'p' },
		{ "bind", required_argument, NULL, 'b' },
		{ "tls", no_argument, NULL, 'T' },
		{ "tls-cert", required_argument, NULL, 'C' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ "allow-host", required_argument, NULL, 'A' },
		{ "password-file", required_argument, NULL, 'P' },
		{ "port-file", required_argument, NULL, 'F' },
		{ "refresh", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct web_opts o = { 0 };
	const char *cpath = NULL;
	char **allow = NULL;
	struct config *cfg;
	char *path, *msg = NULL;
	long long n;
	int ch, rc;

	o.port = -1;
	while ((ch = getopt_long(argc, argv, "+c:p:b:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cpath = optarg;
			break;
		case 'p':
			if (!str_to_ll(optarg, 0, 65535, &n)) {
				warnx("--port: %s: expected 0 to 65535", optarg);
				return EX_USAGE_;
			}
			o.port = (int)n;
			break;
		case 'b':
			o.bind = optarg;
			break;
		case 'T':
			o.tls = true;
			break;
		case 'C':
			o.tls_cert = optarg;
			break;
		case 'K':
			o.tls_key = optarg;
			break;
		case 'A':
			allow = xreallocarray(allow, o.nallow + 1, sizeof(*allow));
			allow[o.nallow++] = optarg;
			o.allow_hosts = allow;
			break;
		case 'P':
			o.passwd_path = optarg;
			break;
		case 'F':
			o.port_file = optarg;
			break;
		case 'R':
			if (!str_to_ll(optarg, 1, 3600, &n)) {
				warnx("--refresh: %s: expected 1 to 3600 seconds", optarg);
				return EX_USAGE_;
			}
			o.refresh = (double)n;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("cc-web %s\n", CC_VERSION);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE_;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 1 && strcmp(argv[0], "passwd") == 0)
		return web_passwd(o.passwd_path);
	if (argc > 0) {
		warnx("%s: unknown command", argv[0]);
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
	rc = web_run(cfg, &o);
	config_free(cfg);
	free(allow);
	return rc;
}
