/* cc-daemon — the remote daemon: runs the coding CLI once per message and
 * speaks the upstream Codecast daemon protocol (JSON-RPC over HTTP, SSE).
 * See cc-daemon(1). */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_auth.h"
#include "daemon_server.h"
#include "daemon_tls.h"
#include "paths.h"
#include "util.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: cc-daemon [-v] [-p PORT] [-b ADDR] [--tokens FILE] "
	    "[--port-file FILE]\n"
	    "                 [--request-timeout SECS] [--idle-timeout SECS]\n"
	    "                 [--max-connections N] [--replay-max BYTES]\n"
	    "                 [--tls] [--tls-cert FILE --tls-key FILE]\n"
	    "       cc-daemon --fingerprint [-b ADDR] "
	    "[--tls-cert FILE --tls-key FILE]\n"
	    "       cc-daemon --version | --help\n"
	    "\n"
	    "Run the coding CLI once per message and serve the Codecast daemon\n"
	    "protocol (POST /rpc, JSON-RPC, SSE) on ADDR:PORT.\n"
	    "\n"
	    "  -p, --port PORT      first port to try (DAEMON_PORT, daemon.yaml; 9100);\n"
	    "                       the next free one up to PORT+100 is used; 0: any\n"
	    "  -b, --bind ADDR      address (DAEMON_BIND, daemon.yaml; 127.0.0.1);\n"
	    "                       anything but loopback requires tokens and\n"
	    "                       serves HTTPS\n"
	    "      --tokens FILE    Bearer tokens (~/.codecast/tokens.yaml)\n"
	    "      --port-file FILE where to write the port (~/.codecast/daemon.port)\n"
	    "      --tls            serve HTTPS on loopback too (daemon.yaml tls: true)\n"
	    "      --tls-cert FILE  certificate, PEM (~/.codecast/tls-cert.pem;\n"
	    "                       generated, self-signed, with the key if both\n"
	    "                       are missing)\n"
	    "      --tls-key FILE   its private key, PEM (~/.codecast/tls-key.pem)\n"
	    "      --fingerprint    print the certificate's sha256:HEX (creating the\n"
	    "                       pair if needed) and exit\n"
	    "      --request-timeout SECS  a whole request must arrive within (10)\n"
	    "      --idle-timeout SECS     a keep-alive connection is closed after\n"
	    "                       this long without a request (30)\n"
	    "      --max-connections N     connection cap (512; lower when the\n"
	    "                       descriptor limit needs it)\n"
	    "      --replay-max BYTES      events kept per session for\n"
	    "                       session.reconnect (33554432)\n"
	    "  -v, --verbose        log requests and the CLIs' stderr to stderr\n"
	    "  -c, --config FILE    accepted and ignored (upstream compatibility)\n"
	    "  -V, --version        print \"cc-daemon " CC_VERSION "\"\n"
	    "  -h, --help           this text\n");
}

static long long
parse_num(const char *s, const char *what, long long min, long long max)
{
	long long v;

	if (!str_to_ll(s, min, max, &v))
		errx(2, "%s: not a number from %lld to %lld: %s", what, min, max,
		    s);
	return v;
}

static int
parse_port(const char *s, const char *what)
{
	long long v;

	if (!str_to_ll(s, 0, 65535, &v))
		errx(2, "%s: not a port number: %s", what, s);
	return (int)v;
}

/* --fingerprint: the pair daemon_serve would use, made if missing; its
 * fingerprint on stdout. */
static int
print_fingerprint(const struct daemon_opts *o)
{
	char *cert = o->tls_cert ? xstrdup(o->tls_cert) :
	    daemon_tls_default_cert();
	char *key = o->tls_key ? xstrdup(o->tls_key) : daemon_tls_default_key();
	char *err = NULL, fp[DAEMON_TLS_FP_LEN];
	bool created;
	int rc = 1;

	if (daemon_tls_ensure_pair(cert, key, o->bind, &created, &err) == -1 ||
	    daemon_tls_fingerprint_file(cert, fp, &err) == -1) {
		warnx("tls: %s", err);
		goto out;
	}
	if (created)
		warnx("tls: generated a self-signed certificate: %s", cert);
	printf("%s\n", fp);
	rc = fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
	if (rc)
		warn("stdout");
out:
	free(err);
	free(cert);
	free(key);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "bind", required_argument, NULL, 'b' },
		{ "tokens", required_argument, NULL, 't' },
		{ "port-file", required_argument, NULL, 'P' },
		{ "tls", no_argument, NULL, 'T' },
		{ "tls-cert", required_argument, NULL, 'C' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ "fingerprint", no_argument, NULL, 'F' },
		{ "request-timeout", required_argument, NULL, 'R' },
		{ "idle-timeout", required_argument, NULL, 'I' },
		{ "max-connections", required_argument, NULL, 'M' },
		{ "replay-max", required_argument, NULL, 'X' },
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon_opts o;
	struct daemon_conf conf;
	const char *port_arg = NULL, *bind_arg = NULL, *env;
	const char *cert_arg = NULL, *key_arg = NULL;
	char *conf_path, *errmsg = NULL, *tokens = NULL, *bind = NULL;
	char *cert = NULL, *key = NULL;
	bool tls_opt = false, fp_mode = false;
	long long req_to = 0, idle_to = 0, maxconn = 0, replay = -1;
	int ch, rc;

	memset(&o, 0, sizeof(o));
	while ((ch = getopt_long(argc, argv, "p:b:c:vVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			port_arg = optarg;
			break;
		case 'b':
			bind_arg = optarg;
			break;
		case 't':
			tokens = xstrdup(optarg);
			break;
		case 'P':
			o.port_file = optarg;
			break;
		case 'T':
			tls_opt = true;
			break;
		case 'C':
			cert_arg = optarg;
			break;
		case 'K':
			key_arg = optarg;
			break;
		case 'F':
			fp_mode = true;
			break;
		case 'R':
			req_to = parse_num(optarg, "--request-timeout", 1, 3600);
			break;
		case 'I':
			idle_to = parse_num(optarg, "--idle-timeout", 1, 3600);
			break;
		case 'M':
			maxconn = parse_num(optarg, "--max-connections", 1, 65536);
			break;
		case 'X':
			replay = parse_num(optarg, "--replay-max", 0, 1LL << 40);
			break;
		case 'c':
			break;
		case 'v':
			o.verbose = 1;
			break;
		case 'V':
			printf("cc-daemon %s\n", CC_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if ((cert_arg == NULL) != (key_arg == NULL)) {
		warnx("--tls-cert and --tls-key go together");
		usage(stderr);
		return 2;
	}

	/* Defaults < daemon.yaml < environment < options. */
	conf_path = path_state("daemon.yaml");
	if (daemon_conf_load(conf_path, &conf, &errmsg) == -1) {
		warnx("%s (using defaults)", errmsg);
		free(errmsg);
		errmsg = NULL;
		daemon_conf_free(&conf);
	} else if (conf.invalid) {
		/* Not "using defaults": a daemon told to encrypt must not
		 * quietly serve plain text. */
		warnx("%s", conf.invalid);
		daemon_conf_free(&conf);
		free(conf_path);
		free(tokens);
		return 1;
	}
	free(conf_path);
	if (cert_arg) {
		cert = xstrdup(cert_arg);
		key = xstrdup(key_arg);
	} else if (conf.tls_cert) {
		cert = xstrdup(conf.tls_cert);
		key = xstrdup(conf.tls_key);
	}
	o.tls = tls_opt || conf.tls == 1;
	o.tls_cert = cert;
	o.tls_key = key;
	o.port = conf.port ? conf.port : 9100;
	if ((env = getenv("DAEMON_PORT")) != NULL && *env) {
		long long v;

		if (str_to_ll(env, 0, 65535, &v))
			o.port = (int)v;
		else
			warnx("DAEMON_PORT: not a port number: %s (ignored)", env);
	}
	if (port_arg)
		o.port = parse_port(port_arg, "--port");
	if (bind_arg == NULL && (env = getenv("DAEMON_BIND")) != NULL && *env)
		bind_arg = env;
	if (bind_arg == NULL)
		bind_arg = conf.bind ? conf.bind : "127.0.0.1";
	bind = xstrdup(bind_arg);
	o.bind = bind;
	if (fp_mode) {
		rc = print_fingerprint(&o);
		goto out;
	}
	if (tokens == NULL)
		tokens = conf.tokens_file ? path_expand_tilde(conf.tokens_file) :
		    path_state("tokens.yaml");
	o.tokens_file = tokens;
	o.port_tries = 100;
	o.ping_secs = 30;
	o.kill_secs = 5;
	o.request_timeout = req_to ? (int)req_to : conf.request_timeout ?
	    conf.request_timeout : 10;
	o.idle_timeout = idle_to ? (int)idle_to : conf.idle_timeout ?
	    conf.idle_timeout : 30;
	o.max_connections = maxconn ? (int)maxconn : conf.max_connections ?
	    conf.max_connections : 512;
	o.replay_max = (size_t)(replay >= 0 ? replay : conf.replay_max >= 0 ?
	    conf.replay_max : 32LL << 20);
	/* Stricter only: make loopback clients show a token too (tests). */
	if ((env = getenv("CC_DAEMON_STRICT_AUTH")) != NULL && strcmp(env, "1") == 0)
		o.strict_auth = true;
	if ((env = getenv("CC_DAEMON_PING_SECS")) != NULL && *env) {
		long long v;

		if (str_to_ll(env, 1, 3600, &v))
			o.ping_secs = (int)v;
	}

	rc = daemon_serve(&o);
out:
	daemon_conf_free(&conf);
	free(tokens);
	free(bind);
	free(cert);
	free(key);
	return rc;
}
