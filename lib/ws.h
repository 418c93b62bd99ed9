/* ws.h — a WebSocket client for the bridges (Discord's gateway, Lark's long
 * connection) on libwebsockets, delivering to a libevent loop.
 *
 * Design: Debian's libwebsockets is built without its libevent event-lib
 * and without external-poll support, so it cannot share our loop.  Each
 * connection therefore runs in its own service thread with its own lws
 * context (created for that connection, TLS set up only for wss://); the
 * thread and the loop talk through two mutex-guarded queues: what arrives
 * (open, messages, close) is queued and the loop woken through a pipe;
 * what the loop sends (messages, a close) is queued and the thread woken
 * with lws_cancel_service(), lws's one thread-safe call.  Every callback
 * runs on the loop's thread, in order; nothing of lws leaks out.  A blocking
 * DNS lookup or TLS handshake never stalls the loop.
 *
 * A `struct ws` holds at most one live connection.  ws_connect starts one
 * (ws:// or wss://, TLS verified against the system CAs, SNI and the Host
 * header from the URL); on_open, then on_message for each complete message
 * (fragments reassembled, at most max_message bytes, else the connection is
 * closed with 1009), then exactly one on_close: the peer's close code and
 * reason, or WS_ABNORMAL (1006) with the cause when the connection failed
 * or dropped without a close frame.  ws_close starts the closing handshake
 * with the caller's code and ends the connection for the caller at once: no
 * further callbacks for it; the handshake finishes in the background
 * (bounded by lws's timeouts), so a new ws_connect may follow immediately —
 * that is how a client reconnects (backoff is the caller's; http.h's
 * http_backoff_ms gives a schedule).  An upgrade the server refuses (an
 * HTTP status other than 101) is reported with its status and chosen
 * response headers through on_refused before the on_close.  Pings from the server are answered by
 * lws; with ping_secs set, lws pings an idle connection itself and drops it
 * when nothing comes back (a close with WS_ABNORMAL).
 *
 * Owns: the lws contexts and threads, the queues, reassembly. */
#ifndef CC_WS_H
#define CC_WS_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct ws;

#define WS_NORMAL	1000
#define WS_GOING_AWAY	1001
#define WS_NO_STATUS	1005	/* a close frame without a code */
#define WS_ABNORMAL	1006	/* no close frame: connect failed, dropped */
#define WS_TOO_BIG	1009

struct ws_callbacks {
	void (*on_open)(void *arg);
	void (*on_message)(void *arg, const char *data, size_t len, bool binary);
	/* The connection is over: code as above, reason one line (may be ""). */
	void (*on_close)(void *arg, int code, const char *reason);
	/* Optional: the server answered the upgrade with another HTTP status
	 * (403, 514, ...); headers holds the refusal's response headers named
	 * in ws_opts.refusal_headers that it carried, as "name: value\n" lines
	 * (names as listed).  on_close (WS_ABNORMAL) follows. */
	void (*on_refused)(void *arg, int status, const char *headers);
};

struct ws_opts {
	size_t max_message;		/* default 16 MiB */
	unsigned connect_timeout;	/* s, default 20 */
	unsigned ping_secs;		/* 0: lws sends no pings of its own */
	const char *const *headers;	/* "Name: value" lines, NULL-terminated */
	/* Response headers of a refused upgrade to report (lower case,
	 * NULL-terminated; Lark's handshake-status, handshake-msg, ...). */
	const char *const *refusal_headers;
};

/* A client delivering to base.  opts may be NULL (defaults). */
struct ws *ws_new(struct event_base *base, const struct ws_callbacks *cb, void *arg,
    const struct ws_opts *opts);
/* Close what is open (1001), wait for the threads, free. */
void ws_free(struct ws *w);

/* Connect to url (ws:// or wss://).  A connection still open is closed
 * first (1001, no callback).  -1 with a message in *err (static) when the
 * URL is unusable or the thread cannot start; else 0 and the result comes
 * through the callbacks. */
int ws_connect(struct ws *w, const char *url, const char **err);
/* Queue a message (copied).  -1 when no connection is open. */
int ws_send(struct ws *w, const void *data, size_t len, bool binary);
int ws_send_text(struct ws *w, const char *s);
/* Close with code (1000, 1001 or 3000–4999) and reason; no more callbacks
 * for this connection.  Nothing happens when none is open. */
void ws_close(struct ws *w, int code, const char *reason);
/* Whether a connection was started and has not closed (it may still be
 * connecting). */
bool ws_active(const struct ws *w);
/* Whether it is open (on_open came, on_close has not). */
bool ws_is_open(const struct ws *w);

#endif
