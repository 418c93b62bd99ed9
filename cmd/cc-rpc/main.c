/* cc-rpc — one JSON-RPC call to a codecast daemon; streams as NDJSON.
 * See cc-rpc(1).  The behaviour lives in lib/rpc.c (rpc_run); this file
 * parses the command line and builds the params. */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "daemon_token.h"
#include "rpc.h"
#include "util.h"

#define EX_USAGE_ 2

static void
usage(FILE *f)
{
	fputs(
"usage: cc-rpc [options] TARGET METHOD [PARAM ...]\n"
"\n"
"One JSON-RPC call to a codecast daemon (POST TARGET/rpc).  A result is\n"
"printed as one compact JSON line; an event stream (session.send) as one\n"
"compact JSON line per event, flushed as it arrives.\n"
"\n"
"TARGET   PORT (http://127.0.0.1:PORT), HOST:PORT, or an http(s):// URL\n"
"PARAM    key=value        a string\n"
"         key:=JSON        any JSON value (number, bool, array, object)\n"
"         key=@FILE        a string read from FILE\n"
"         key=@-           a string read from standard input\n"
"         {JSON object}    all params at once (the only PARAM)\n"
"\n"
"options:\n"
"  --token T           send Authorization: Bearer T (default $CODECAST_TOKEN,\n"
"                      else the cached owner token of a daemon on this\n"
"                      machine's PORT: its own, or a tunnel's)\n"
"  --token-file FILE   read the token from FILE\n"
"  --fingerprint sha256:HEX  pin the https server certificate's SHA-256\n"
"  --cacert FILE       verify https against the CAs in FILE\n"
"  --insecure          allow sending the token over http:// to a host that\n"
"                      is not loopback (refused otherwise)\n"
"  --peer ID [-c CONFIG]  take the token and tls_fingerprint of that peer\n"
"                      from the config (when not given as options)\n"
"  --timeout SECS      total time limit (default 30; none for session.send)\n"
"  --idle-timeout SECS no bytes for this long ends a stream (default 300)\n"
"  --retry SECS        how long to keep completing a broken stream with\n"
"                      session.reconnect without progress (default 60)\n"
"  --follow            after a queued reply, wait for and print its reply\n"
"  --pings             print ping events too\n"
"  --max-event BYTES   longest SSE line/event accepted (default 64 MiB)\n"
"  -h, --help          this help;  -V, --version  the version\n"
"\n"
"exit: 0 result or normal end, 1 error event or JSON-RPC/HTTP error,\n"
"2 usage, 3 connection or transport failure, 4 timeout\n", f);
}

static long
parse_secs(const char *opt, const char *s)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(d) || d < 0 || d > 1e7) {
		warnx("%s: %s: not a number of seconds", opt, s);
		usage(stderr);
		exit(EX_USAGE_);
	}
	return (long)(d * 1000 + 0.5);
}

/* A string value from FILE or "-" (stdin, once). */
static json_t *
string_from(const char *key, const char *path, int *stdin_used)
{
	struct buf b = { 0 };
	json_t *v;
	int r;

	if (strcmp(path, "-") == 0) {
		if ((*stdin_used)++) {
			warnx("%s=@-: standard input used twice", key);
			exit(EX_USAGE_);
		}
		r = read_fd(STDIN_FILENO, 0, &b);
	} else
		r = read_file(path, 0, &b);
	if (r == -1)
		err(EX_USAGE_, "%s: %s", key, path);
	v = json_stringn(b.s ? b.s : "", b.len);
	if (v == NULL)
		errx(EX_USAGE_, "%s: %s: not valid UTF-8 text", key, path);
	buf_free(&b);
	return v;
}

static json_t *
build_params(int argc, char **argv)
{
	json_t *params = json_object();
	int stdin_used = 0;

	if (argc == 1 && argv[0][0] == '{') {
		json_error_t je;
		json_t *v = json_loads(argv[0], 0, &je);

		if (v == NULL || !json_is_object(v))
			errx(EX_USAGE_, "params: %s", v ? "not an object" : je.text);
		json_decref(params);
		return v;
	}
	for (int i = 0; i < argc; i++) {
		char *a = argv[i], *eq = strchr(a, '='), *key;
		json_t *v;
		bool raw;

		if (a[0] == '{')
			errx(EX_USAGE_, "a JSON object must be the only PARAM");
		if (eq == NULL || eq == a || (eq == a + 1 && a[0] == ':')) {
			warnx("%s: PARAM is not key=value, key:=JSON, "
			    "key=@FILE or a JSON object", a);
			exit(EX_USAGE_);
		}
		raw = eq[-1] == ':';
		key = xstrndup(a, (size_t)(eq - a) - (raw ? 1 : 0));
		if (raw) {
			json_error_t je;

			v = json_loads(eq + 1, JSON_DECODE_ANY, &je);
			if (v == NULL)
				errx(EX_USAGE_, "%s: not JSON: %s", key, je.text);
		} else if (eq[1] == '@')
			v = string_from(key, eq + 2, &stdin_used);
		else {
			v = json_string(eq + 1);
			if (v == NULL)
				errx(EX_USAGE_, "%s: not valid UTF-8", key);
		}
		json_object_set_new(params, key, v);
		free(key);
	}
	return params;
}

int
main(int argc, char **argv)
{
	enum { O_TOKEN = 256, O_TOKENFILE, O_FP, O_TIMEOUT, O_IDLE, O_RETRY,
	    O_FOLLOW, O_PINGS, O_MAXEV, O_PEER, O_CACERT, O_INSECURE };
	static const struct option opts[] = {
		{ "token", required_argument, NULL, O_TOKEN },
		{ "token-file", required_argument, NULL, O_TOKENFILE },
		{ "fingerprint", required_argument, NULL, O_FP },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "idle-timeout", required_argument, NULL, O_IDLE },
		{ "retry", required_argument, NULL, O_RETRY },
		{ "follow", no_argument, NULL, O_FOLLOW },
		{ "pings", no_argument, NULL, O_PINGS },
		{ "max-event", required_argument, NULL, O_MAXEV },
		{ "peer", required_argument, NULL, O_PEER },
		{ "cacert", required_argument, NULL, O_CACERT },
		{ "insecure", no_argument, NULL, O_INSECURE },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct rpc_run_opts o = { 0 };
	struct rpc_target t;
	char *token = NULL, *fp = NULL, *emsg;
	const char *peer_id = NULL, *config_file = NULL, *cacert = NULL;
	const char *method;
	long total = -1;
	bool insecure = false;
	json_t *params, *sid;
	int c, rc;

	/* A broken pipe shows as EPIPE, from TLS writes too (libcurl cannot
	 * always keep OpenSSL from raising SIGPIPE); see flush_out in rpc.c
	 * for standard output. */
	signal(SIGPIPE, SIG_IGN);
	o.out_fd = STDOUT_FILENO;
	o.idle_ms = 300000;
	o.retry_ms = 60000;
	while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (c) {
		case O_TOKEN:
			free(token);
			token = xstrdup(optarg);
			break;
		case O_TOKENFILE: {
			struct buf b = { 0 };

			if (read_file(optarg, 65536, &b) == -1)
				err(EX_USAGE_, "--token-file: %s", optarg);
			free(token);
			token = xstrdup(str_trim(b.s ? b.s : (char *)""));
			explicit_bzero(b.s, b.len);
			buf_free(&b);
			break;
		}
		case O_FP:
			free(fp);
			fp = xstrdup(optarg);
			break;
		case O_PEER:
			peer_id = optarg;
			break;
		case O_CACERT:
			cacert = optarg;
			break;
		case O_INSECURE:
			insecure = true;
			break;
		case 'c':
			config_file = optarg;
			break;
		case O_TIMEOUT:
			total = parse_secs("--timeout", optarg);
			break;
		case O_IDLE:
			o.idle_ms = parse_secs("--idle-timeout", optarg);
			break;
		case O_RETRY:
			o.retry_ms = parse_secs("--retry", optarg);
			break;
		case O_FOLLOW:
			o.follow = true;
			break;
		case O_PINGS:
			o.pings = true;
			break;
		case O_MAXEV: {
			long long v;

			if (!str_to_ll(optarg, 1024, 1LL << 32, &v))
				errx(EX_USAGE_, "--max-event: %s: not a size "
				    "(1024 to 4294967296)", optarg);
			o.max_event = (size_t)v;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("cc-rpc %s\n", CC_VERSION);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE_;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2) {
		usage(stderr);
		return EX_USAGE_;
	}
	if (peer_id) {
		char *path = config_path(config_file), *cerr = NULL;
		struct config *cf = config_load(path, &cerr);
		const struct peer *p;

		if (cf == NULL)
			errx(EX_USAGE_, "%s", cerr);
		if ((p = config_peer(cf, peer_id)) == NULL)
			errx(EX_USAGE_, "%s: no peer %s", path, peer_id);
		if (token == NULL && p->token && *p->token)
			token = xstrdup(p->token);
		if (fp == NULL && p->tls_fingerprint && *p->tls_fingerprint)
			fp = xstrdup(p->tls_fingerprint);
		if (p->insecure)
			insecure = true;
		config_free(cf);
		free(path);
	}
	if (token == NULL && getenv("CODECAST_TOKEN"))
		token = xstrdup(getenv("CODECAST_TOKEN"));
	if (rpc_target_parse(&t, argv[0], token, fp, &emsg) == -1)
		errx(EX_USAGE_, "%s", emsg);
	t.insecure = insecure;
	/* A daemon on this machine (its own port, or a tunnel's): the owner
	 * token cached for that port, when there is one. */
	if (t.token == NULL && rpc_target_local_port(&t) > 0)
		t.token = daemon_token_for_port(rpc_target_local_port(&t));
	if (cacert) {
		if (access(cacert, R_OK) == -1)
			err(EX_USAGE_, "--cacert: %s", cacert);
		t.cacert = xstrdup(cacert);
	}
	if (token) {
		explicit_bzero(token, strlen(token));
		free(token);
	}
	free(fp);
	method = argv[1];
	if (*method == '\0')
		errx(EX_USAGE_, "empty METHOD");
	params = build_params(argc - 2, argv + 2);

	o.stream = strcmp(method, "session.send") == 0;
	sid = json_object_get(params, "sessionId");
	if (o.stream && json_is_string(sid))
		o.session_id = json_string_value(sid);
	o.total_ms = total >= 0 ? total : o.stream ? 0 : 30000;

	rpc_global_init();
	rc = rpc_run(&t, method, params, &o);
	json_decref(params);
	rpc_target_free(&t);
	return rc;
}
