/* http.h — asynchronous HTTP for the bridges: libcurl's multi interface
 * driven by a libevent loop (curl_multi_socket_action and event timers),
 * so a bridge waits on its platform, its engine and its timers in one
 * loop with no threads.
 *
 * A `struct http` is one client with its own connection cache: kept-alive
 * connections are reused, at most max_conns at once (requests beyond that
 * wait inside libcurl).  A bridge makes one for its API calls and another
 * for its long poll, so a poll that hangs for 30 s never holds up a send.
 *
 * A request is built (URL, headers, a JSON, form or multipart body, or a
 * download into a file), started, and completes exactly once through its
 * callback — from the event loop, never from inside http_start — with the
 * status, the body and the response headers (Discord's X-RateLimit-*,
 * Lark's x-ogw-ratelimit-reset).  Nothing is retried here; http_backoff_ms
 * gives callers the usual schedule.
 *
 * Owns: the curl multi ↔ libevent glue, request building, the response. */
#ifndef CC_HTTP_H
#define CC_HTTP_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct json_t;
struct http;
struct http_req;

struct http_resp {
	long status;		/* HTTP status; 0 when none arrived */
	int curl_code;		/* 0, or libcurl's CURLcode (network failure) */
	const char *error;	/* curl_code's message ("" when none) */
	const char *body;	/* the body, NUL-terminated ("" for downloads) */
	size_t body_len;
	bool truncated;		/* the body was over the limit and cut */
	struct http_req *req;	/* for http_resp_header */
};

typedef void (*http_cb)(void *arg, const struct http_resp *r);

/* A client on base with at most max_conns connections (>= 1). */
struct http *http_new(struct event_base *base, long max_conns);
/* Cancel what is in flight (their callbacks are not called) and free. */
void http_free(struct http *h);

/* A request for url: GET unless a body is given.  Never NULL. */
struct http_req *http_req_new(const char *url);
void http_req_free(struct http_req *q);	/* only for one never started */
void http_req_method(struct http_req *q, const char *method);	/* "DELETE", … */
void http_req_header(struct http_req *q, const char *line);	/* "Name: value" */
/* POST body: the JSON value (compact), Content-Type application/json. */
void http_req_json(struct http_req *q, const struct json_t *body);
/* POST body: raw bytes with a content type. */
void http_req_body(struct http_req *q, const char *type, const void *p, size_t n);
/* multipart/form-data parts (POST). */
void http_req_part(struct http_req *q, const char *name, const char *value);
void http_req_part_file(struct http_req *q, const char *name, const char *path,
    const char *filename, const char *mime);
/* Whole-transfer time limit (0: none; the default is 60 s). */
void http_req_timeout(struct http_req *q, long ms);
/* Largest body kept in memory (default 16 MiB). */
void http_req_max_body(struct http_req *q, size_t max);
/* Write a 2xx body to path instead of memory: a temporary file in the same
 * directory, mode 0600, renamed into place once complete; removed on any
 * failure or when it grows past max bytes (0: no limit; curl_code is then
 * CURLE_WRITE_ERROR and error says so). */
void http_req_download(struct http_req *q, const char *path, long long max);

/* Start q on h (h takes it over).  cb(arg, resp) runs once, later, from
 * the event loop; q is freed after cb returns.  Returns q, for
 * http_cancel. */
struct http_req *http_start(struct http *h, struct http_req *q, http_cb cb, void *arg);
/* Stop a started request; its callback is not called. */
void http_cancel(struct http *h, struct http_req *q);

/* A response header's value (the last one by that name, case-insensitive,
 * of the final response), or NULL.  Valid during the callback. */
const char *http_resp_header(const struct http_resp *r, const char *name);

/* http_backoff_ms: backoff.h (its own object, so that a bridge without
 * HTTP of its own does not link libcurl for it). */
#include "backoff.h"

#endif
