/* daemon_auth.h — cc-daemon's settings file (~/.codecast/daemon.yaml) and
 * Bearer tokens (~/.codecast/tokens.yaml, upstream format
 * `tokens: [{token, label, created}]`), constant-time token checks, and the
 * loopback rules that decide when tokens are needed. */
#ifndef CC_DAEMON_AUTH_H
#define CC_DAEMON_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct daemon_conf {
	int port;		/* 0: unset */
	char *bind;		/* NULL: unset */
	char *tokens_file;	/* NULL: unset */
	int tls;		/* tls: -1 unset, 0 false, 1 true */
	char *tls_cert;		/* NULL: unset (~ expanded) */
	char *tls_key;		/* NULL: unset (~ expanded) */
	int request_timeout;	/* 0: unset */
	int idle_timeout;	/* 0: unset */
	int max_connections;	/* 0: unset */
	long long replay_max;	/* -1: unset; bytes */
	char *invalid;		/* a TLS setting that is wrong and must not be
				 * ignored (a daemon told to encrypt must not
				 * serve plain text): the message, else NULL */
};

/* Read daemon.yaml.  A missing file is not an error (all unset); a file
 * that is not valid YAML gives -1 and *errmsg (upstream then uses the
 * defaults; so does cc-daemon, after a warning).  A `tls:` that is not a
 * YAML boolean, or tls_cert without tls_key (or the other way round), sets
 * c->invalid; so does a request_timeout, idle_timeout (1-3600 s),
 * max_connections (1-65536) or replay_max (bytes, 0-2^40) that is not a
 * number in range. */
int daemon_conf_load(const char *path, struct daemon_conf *c, char **errmsg);
void daemon_conf_free(struct daemon_conf *c);

struct tokens {
	char **v;
	size_t n;
};

/* Load every non-empty `token` of tokens.yaml.  Returns 0 (maybe with no
 * tokens), or -1 and a malloc'd *errmsg "PATH: cause". */
int tokens_load(const char *path, struct tokens *t, char **errmsg);
void tokens_free(struct tokens *t);
/* Add one token (copied). */
void tokens_add(struct tokens *t, const char *tok);
/* True when tok equals one of the tokens; the comparison's time does not
 * depend on where the first difference is. */
bool tokens_check(const struct tokens *t, const char *tok, size_t len);

/* True for the names that keep the daemon in loopback (no-auth) mode:
 * 127.0.0.1, localhost, ::1. */
bool bind_is_loopback(const char *bind);
/* True when the peer address is 127.0.0.0/8, ::1 or ::ffff:127.x.y.z. */
bool sockaddr_is_loopback(const struct sockaddr *sa);
/* A Host header a loopback client may send (DNS rebinding: a web page's
 * name that resolves to 127.0.0.1 is not one): localhost, 127.x.y.z,
 * [::1] or the bind address, each with an optional :port.  NULL (an
 * HTTP/1.0 request without Host) is accepted. */
bool host_header_ok(const char *host, const char *bind);

#endif
