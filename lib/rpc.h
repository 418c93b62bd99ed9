/* rpc.h — JSON-RPC client for a codecast daemon (`POST /rpc`, libcurl).
 *
 * Wire format (upstream-infra §3.1): request {"method":M,"params":{...}}
 * (params omitted when NULL, no "id"), Content-Type: application/json,
 * optional Authorization: Bearer TOKEN.  Reply {"result":V} or
 * {"error":{"code":N,"message":S}}, or an SSE stream (text/event-stream,
 * session.send) read with rpc_stream().
 *
 * Typical synchronous use (a health check):
 *
 *	struct rpc_target t;
 *	struct rpc_error e;
 *	json_t *res;
 *	char *msg;
 *	if (rpc_target_parse(&t, "38211", NULL, NULL, &msg) == -1)
 *		errx(2, "%s", msg);
 *	if (rpc_call(&t, "health.check", NULL, 5000, &res, &e) != RPC_OK)
 *		warnx("health.check: %s", e.message);	// then rpc_error_free(&e)
 *	else
 *		... json_decref(res);
 *	rpc_target_free(&t);
 *
 * Thread-safety: call rpc_global_init() once early in a threaded program
 * (it runs curl_global_init); single-threaded programs need not. */
#ifndef CC_RPC_H
#define CC_RPC_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "sse.h"

/* Where a daemon is.  Build it with rpc_target_parse(). */
struct rpc_target {
	char *url;		/* full endpoint, e.g. http://127.0.0.1:9100/rpc */
	char *token;		/* bearer token or NULL */
	char *fingerprint;	/* "sha256:HEX" pin for https, or NULL */
	char *cacert;		/* CA file for https instead of the system's,
				 * or NULL; set it after rpc_target_parse */
	bool insecure;		/* allow the token over http:// to a host
				 * that is not loopback (--insecure) */
};

/* The port when the target is a daemon on this machine (http or https on
 * 127.0.0.1, localhost or [::1]), else 0: where a cached owner token is
 * looked up (daemon_token.h). */
int rpc_target_local_port(const struct rpc_target *t);
/* True when the target would get the token in clear text: a token, an
 * http:// URL, a host that is not loopback, and no insecure. */
bool rpc_target_cleartext(const struct rpc_target *t);

/* Parse what cc-tunnel prints: a port ("9100" → http://127.0.0.1:9100),
 * "HOST:PORT" or "[V6]:PORT" (→ http://HOST:PORT), or an http:// or
 * https:// URL (a path other than "/" or "/rpc" is kept and "/rpc"
 * appended; no scheme is ever doubled).  token and fingerprint may be NULL
 * (copied when not).  fingerprint is "sha256:" followed by 64 hex digits
 * (colons allowed, any case); it is the SHA-256 of the server certificate,
 * DER or PEM text (the daemon logs the PEM form), and when given replaces CA
 * and host name verification for https.  Returns 0, or -1 with *errmsg a
 * malloc'd one-line reason. */
int rpc_target_parse(struct rpc_target *t, const char *spec, const char *token,
    const char *fingerprint, char **errmsg);
void rpc_target_free(struct rpc_target *t);

/* Every call refuses (RPC_ERR_TRANSPORT, nothing sent) a target for which
 * rpc_target_cleartext() is true. */
enum rpc_status {
	RPC_OK = 0,
	RPC_ERR_RPC,		/* JSON-RPC error object: code, message */
	RPC_ERR_HTTP,		/* HTTP status >= 400: code = status,
				 * message = "HTTP 401: <body, first 200 bytes>" */
	RPC_ERR_TRANSPORT,	/* connect/TLS/reset/malformed reply: code -1 */
	RPC_ERR_TIMEOUT,	/* total or idle timeout: code -1 */
	RPC_ERR_ABORTED,	/* the stream callback asked to stop */
};

struct rpc_error {
	enum rpc_status status;
	long code;		/* JSON-RPC code, HTTP status, or -1 */
	char *message;		/* malloc'd, one line; NULL when RPC_OK */
	bool idle;		/* RPC_ERR_TIMEOUT: the idle limit, not the total */
	bool maybe_sent;	/* RPC_ERR_TRANSPORT: the request may have
				 * reached the server (false: connecting,
				 * resolving or TLS failed, nothing was sent) */
	bool protocol;		/* RPC_ERR_TRANSPORT: the reply itself is
				 * unusable (an overlong event or body);
				 * asking again will not help */
};
void rpc_error_free(struct rpc_error *e);

/* Plain call.  params: a JSON object or NULL (not stolen).  timeout_ms: total
 * time limit, 0 = none.  On RPC_OK *result holds a new reference to the
 * reply's "result" (an empty object when the reply had none); otherwise
 * *result is NULL and *err is filled (err may be NULL).  A text/event-stream
 * reply to rpc_call is read to its end and *result is a JSON array of the
 * events' data values (pings included). */
enum rpc_status rpc_call(const struct rpc_target *t, const char *method,
    json_t *params, long timeout_ms, json_t **result, struct rpc_error *err);

/* Streaming call.  on_event is called for every SSE event as it arrives
 * (data joined, not parsed); returning non-zero stops the transfer
 * (RPC_ERR_ABORTED).  When the reply is not an event stream, *result gets
 * the "result" as for rpc_call (result may be NULL when the caller only
 * expects streams, in which case a non-stream result is dropped).
 * Timeouts: total_ms (0 = none); idle_ms: no bytes for that long (0 = none).
 * max_event bounds one SSE line and one event's data (0: 64 MiB); a longer
 * one fails the call with RPC_ERR_TRANSPORT.  An SSE stream that ends
 * without error returns RPC_OK whether or not it carried [DONE]: the caller
 * decides what a complete reply is. */
struct rpc_stream_opts {
	long total_ms;
	long idle_ms;
	size_t max_event;
	int (*on_event)(void *arg, const struct sse_event *ev);
	/* Optional: called after each block of bytes read from the network
	 * has been parsed (after its events), before waiting for more; the
	 * place to flush output.  Non-zero stops like on_event. */
	int (*on_chunk)(void *arg);
	void *arg;
};
enum rpc_status rpc_stream(const struct rpc_target *t, const char *method,
    json_t *params, const struct rpc_stream_opts *o, json_t **result,
    struct rpc_error *err);

void rpc_global_init(void);

/* What cc-rpc does after parsing its arguments: one call, its output on
 * out_fd (one compact JSON value per line), diagnostics on stderr with
 * warnx ("METHOD: ..."), completion of broken streams with
 * session.reconnect.  Returns the exit status (see cc-rpc(1)). */
struct rpc_run_opts {
	int out_fd;
	bool pings;		/* print ping events */
	bool follow;		/* a queued reply waits for its own reply */
	bool stream;		/* the reply is expected to be a stream
				 * (session.send): errors also print a
				 * synthetic error event on out_fd */
	const char *session_id;	/* for session.reconnect; NULL: none */
	long total_ms;		/* 0: none */
	long idle_ms;		/* 0: none */
	long retry_ms;		/* completion budget without progress */
	size_t max_event;
};
int rpc_run(const struct rpc_target *t, const char *method, json_t *params,
    const struct rpc_run_opts *o);

/* The rule cc-rpc uses on each event's raw data, without building a JSON
 * tree in the common case: "[DONE]" ends the stream; otherwise the text
 * must be valid JSON (RFC 8259, UTF-8) or the event is skipped.  A valid
 * text is printed as it is when it is compact, and without its white space
 * (strings untouched) when not: its numbers and escapes are never
 * rewritten.  Only a text nested too deeply for the scan is parsed and
 * re-serialised.  The kind comes from the string value of the top-level
 * "type" key; when that is in doubt (a repeated "type", an escaped value,
 * an escaped top-level key) the text is parsed to be sure.  The scan is
 * lib/jsonscan.h's. */
enum rpc_event_kind {
	EV_INVALID = -1, EV_OTHER = 0, EV_DONE, EV_PING, EV_RESULT, EV_ERROR,
	EV_QUEUED
};
enum rpc_event_form {
	RPC_FORM_SKIP,		/* not JSON, or [DONE]: nothing to print */
	RPC_FORM_AS_IS,		/* valid and compact: the bytes as they are */
	RPC_FORM_STRIP,		/* valid: the bytes without their white space
				 * (jsonscan_strip) */
	RPC_FORM_PARSE,		/* too deep to scan: parse and re-serialise */
};
enum rpc_event_kind rpc_event_classify(const char *data, size_t len,
    enum rpc_event_form *form);
/* Exit status cc-rpc uses for a status: 0 ok, 1 rpc/http error, 3
 * transport, 4 timeout. */
int rpc_exit_code(enum rpc_status s);

#endif
