/* daemon_server.h — cc-daemon: the upstream Codecast daemon protocol
 * (POST /rpc, JSON-RPC envelope, SSE for session.send) on libevent's evhttp,
 * one CLI process per message, queues and disconnect buffering.  One event
 * loop, no threads.  See cc-daemon(1). */
#ifndef CC_DAEMON_SERVER_H
#define CC_DAEMON_SERVER_H

#include <stdbool.h>

struct daemon_opts {
	const char *bind;	/* "127.0.0.1" */
	int port;		/* first port to try; 0: any free port */
	int port_tries;		/* ports tried after `port` when taken (100) */
	const char *tokens_file;	/* used when bind is not loopback */
	const char *token_file;	/* the owner's token; NULL:
				 * ~/.codecast/daemon.token (daemon_token.h) */
	const char *port_file;	/* NULL: ~/.codecast/daemon.port */
	int verbose;		/* 1: requests and CLI stderr to stderr */
	int ping_secs;		/* SSE keepalive period (30) */
	int kill_secs;		/* SIGTERM → SIGKILL grace (5) */
	int request_timeout;	/* seconds for a whole request to arrive (10) */
	int idle_timeout;	/* seconds a keep-alive connection may wait for
				 * its next request (30) */
	int max_connections;	/* connection cap (512; lower when the
				 * descriptor limit needs it) */
	size_t replay_max;	/* bytes of events kept per session for
				 * session.reconnect (32 MiB) */
	bool strict_auth;	/* tokens from loopback clients too (tests) */
	bool tls;		/* HTTPS even on loopback (always when not) */
	const char *tls_cert;	/* NULL: ~/.codecast/tls-cert.pem */
	const char *tls_key;	/* NULL: ~/.codecast/tls-key.pem */
	const char *fingerprint_file;	/* NULL: ~/.codecast/daemon.fingerprint */
};

/* Run the daemon until SIGTERM/SIGINT.  With TLS (tls set, or bind not
 * loopback) the certificate pair is loaded or generated (lib/daemon_tls.h)
 * first, its fingerprint printed on stderr ("cc-daemon: tls: sha256:HEX")
 * and written to the fingerprint file.  Prints DAEMON_PORT=N on stdout once
 * listening.  Returns the process exit status (0 after a clean shutdown,
 * 1 when it cannot start); diagnostics go to stderr. */
int daemon_serve(const struct daemon_opts *o);

#endif
