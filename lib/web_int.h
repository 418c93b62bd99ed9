/* web_int.h — what the parts of cc-web share (see web.h).  Not a public
 * interface. */
#ifndef CC_WEB_INT_H
#define CC_WEB_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "config.h"
#include "engine_child.h"
#include "util.h"
#include "web.h"

struct event_base;
struct event;
struct evhttp;
struct evhttp_request;
struct evhttp_connection;
struct bridge;
struct proc_set;
struct proc;
struct sessdb;
struct webauth;
struct websess;
struct ssl_ctx_st;

#define WEB_MAX_LEN		16000	/* hello max_len */
#define WEB_CHAN_ITEMS		300	/* recent events kept per channel */
#define WEB_CHAN_BYTES		(2u << 20)
#define WEB_MAX_CHANS		256
#define WEB_SSE_HIGH		(4u << 20)	/* a client further behind is dropped */
#define WEB_MAX_UPLOAD		(25LL << 20)
#define WEB_MAX_FORM		(1u << 20)

/* An EventSource stream. */
struct sse {
	struct web *w;
	struct evhttp_request *req;
	struct evhttp_connection *evcon;
	struct wchan *chan;		/* NULL: the dashboard's */
	unsigned long long sent;	/* the channel's last item it got */
	struct sse *next, **prevp;
};

/* One stored event of a channel; a message edited or answered keeps one
 * item (the newest). */
struct witem {
	unsigned long long seq;
	char *id;			/* message id, or NULL */
	json_t *ev;			/* {"k":..., "seq":..., ...} */
	size_t bytes;
	struct witem *prev, *next;
};

struct wchan {
	char *name;			/* web:ID */
	const char *id;			/* ID, inside name */
	unsigned long long seq;
	struct witem *head, *tail;
	size_t nitems, bytes;
	struct sse *clients;
	struct event *flush;		/* items go out together, 50 ms on */
	char *meta_html;		/* the heading its pages were last sent */
	long long used;
	struct wchan *next;
};

struct peerstate {
	const struct peer *peer;
	json_t *row;			/* cc-deploy status's, or NULL: never checked */
	long latency_ms;		/* how long the check took */
	long long checked;		/* monotonic ms of the last answer */
	long long started;		/* of the check running, 0: none */
	struct proc *p;
};

struct web {
	const struct config *cfg;
	const struct web_opts *o;
	struct event_base *base;
	struct evhttp *http;
	struct ssl_ctx_st *tls;
	bool https;
	char *bind;
	int port;
	char *cookie_name;
	struct webauth *auth;
	char *pwhash;			/* NULL: no password (loopback only) */
	char *files_dir, *upload_dir;
	char epoch[9];			/* this run's id: message ids, SSE ids */
	unsigned long long counter;
	long long started;

	/* the engine */
	char *engine_path;
	struct engine_child ec;
	struct bridge *b;
	int engine_starts;
	long long engine_since;
	long engine_backoff_ms;
	char *engine_last;		/* how it last ended, or NULL */
	struct event *engine_timer;
	bool engine_reaped;
	int engine_status;
	json_t *commands;

	struct wchan *chans;
	size_t nchans;
	struct sse *dash;		/* dashboard streams */
	size_t nsse;
	json_t *uploads;		/* id → {path, name, mime, size} */

	/* the dashboard */
	struct proc_set *procs;
	struct sessdb *db;
	char *deploy_path, *head_path;
	struct peerstate *peers;
	size_t npeers;
	struct proc *head_proc;
	json_t *head_rows, *head_new;
	char *head_err;
	long long head_checked;
	char *peers_html, *sessions_html, *head_html;
	long long sessions_at, meta_at;
	struct event *tick;

	struct event *sigterm, *sigint, *sigchld, *sigpipe_;
	int exit_code;
	bool stopping;
};

/* web.c */
void web_stop(struct web *w, int code);

/* web_chat.c */
bool web_chan_id_ok(const char *id);
struct wchan *web_chan(struct web *w, const char *id);	/* created */
struct wchan *web_chan_find(struct web *w, const char *id);
void web_chat_free(struct web *w);
/* A new message id, unique across runs. */
char *web_msg_id(struct web *w);
/* Store (store: the streams get it within 50 ms, only its newest version
 * when it changes meanwhile) or send at once (not stored); ev stolen. */
void web_chan_event(struct web *w, struct wchan *c, const char *id, json_t *ev,
    bool store);
/* The browser's side. */
void web_chat_user_message(struct web *w, struct wchan *c, const char *text,
    json_t *files);
int web_chat_button(struct web *w, struct wchan *c, const char *ref,
    const char *value);
/* The bridge platform for cc-engine. */
struct bridge *web_bridge_new(struct web *w);
/* Open an EventSource stream (since: "EPOCH.SEQ" or NULL). */
void web_sse_open(struct web *w, struct evhttp_request *req, struct wchan *c,
    const char *since);
/* 0, or -1 when the stream was closed (too far behind): s is gone. */
int web_sse_send(struct sse *s, const char *event, const char *id,
    const char *data);
void web_sse_broadcast_dash(struct web *w, const char *event, json_t *data);
void web_sse_ping_all(struct web *w);
void web_sse_close_all(struct web *w);
/* Files forwarded to the browser: ~/.codecast/web-files/HEX. */
bool web_file_id_ok(const char *id);

/* web_dash.c */
void web_dash_init(struct web *w);
void web_dash_free(struct web *w);
void web_dash_tick(struct web *w);
/* The three live parts of the dashboard (HTML, escaped); q filters
 * sessions (NULL: all). */
void web_dash_peers_html(struct web *w, struct buf *out);
void web_dash_sessions_html(struct web *w, const char *q, struct buf *out);
void web_dash_head_html(struct web *w, struct buf *out);
/* A session's row by name or id, or the channel's (new reference). */
json_t *web_dash_session(struct web *w, const char *name);
json_t *web_dash_channel_session(struct web *w, const char *channel);

/* web_page.c */
void web_page_login(struct buf *out, const char *error);
void web_page_dashboard(struct web *w, const struct websess *s, const char *q,
    struct buf *out);
/* event with data (stolen) to every page showing c. */
void web_chan_broadcast(struct wchan *c, const char *event, json_t *data);
/* A chat's heading: its session's name, peer, path, mode and status (row,
 * web_dash_channel_session's, or NULL: how to start one) and the Interrupt
 * form; s NULL leaves the form's CSRF field for the page's script to fill. */
void web_page_chat_meta(const json_t *row, const struct websess *s,
    const struct wchan *c, struct buf *out);
void web_page_chat(struct web *w, const struct websess *s, struct wchan *c,
    struct buf *out);
void web_page_error(struct buf *out, int code, const char *msg);
/* One stored event as HTML (the chat without JavaScript). */
void web_item_html(struct web *w, struct wchan *c, const json_t *ev,
    const char *csrf, struct buf *out);
/* time ago, "12s", "3m", "2h", "4d" */
void web_ago(struct buf *out, long long ms);

/* generated from web/ (cmd/cc-web/rules.mk) */
struct web_asset {
	const char *path, *type;
	const unsigned char *data;
	size_t len;
};
extern const struct web_asset web_assets[];

#endif
