/* daemon_server.c — cc-daemon's event loop: HTTP/JSON-RPC on evhttp, SSE
 * streams with keepalive pings and backpressure, one CLI child per message
 * read non-blockingly, per-session queues and disconnect buffering.  See
 * daemon_server.h and cc-daemon(1). */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <jansson.h>

#include "daemon_auth.h"
#include "daemon_cli.h"
#include "daemon_server.h"
#include "listen.h"
#include "daemon_tls.h"
#include "daemon_token.h"
#include "paths.h"
#include "spawnattr.h"
#include "util.h"

extern char **environ;

/* Stop reading a CLI while its client's socket buffer holds this much. */
#define OUT_HIGH_WATER	(256 * 1024)
/* Bytes read from one CLI per loop iteration (fairness between sessions). */
#define READ_CHUNK	(256 * 1024)
#define READS_PER_WAKE	4
/* A request body larger than this is refused (413). */
#define MAX_BODY	(64 * 1024 * 1024)
/* Request headers larger than this end the connection. */
#define MAX_HEADERS	(64 * 1024)
/* File descriptors never given to connections: stdio, the event loop, the
 * listener, files opened on the way; the rest is halved between connections
 * and CLI runs (two pipes each). */
#define FD_RESERVE	32
/* When every connection is busy, a newcomer is closed and the listener
 * rests this long. */
#define ACCEPT_BACKOFF_MS	250
/* After accept(2) failed (out of descriptors): the listener rests this
 * long, and the failure is logged once per pause. */
#define ACCEPT_ERROR_PAUSE_MS	1000

/* A FIFO of malloc'd strings. */
struct strq_node {
	struct strq_node *next;
	char *s;
};
struct strq {
	struct strq_node *head, *tail;
	size_t n;
};

struct server;
struct session;
struct run;
struct stream;

/* One accepted connection, from evhttp's bufferevent callback to its close
 * callback: the timer that bounds how long a request may take to arrive,
 * and the SSE stream on it, if any. */
struct conn {
	struct server *srv;
	struct conn *prev, *next;	/* the server's list, oldest first */
	struct bufferevent *bev;
	struct evhttp_connection *evcon;	/* NULL until adopted */
	struct event *deadline;
	struct stream *stream;
	bool busy;			/* a request is being answered */
};

/* One SSE reply in progress. */
struct stream {
	struct server *srv;
	struct evhttp_request *req;	/* NULL once libevent freed it */
	struct evhttp_connection *evcon;	/* NULL once closed */
	struct event *ping;
	struct evbuffer *acc;		/* the chunk being handed to evhttp */
	struct buf out;			/* SSE text since the client's socket
					 * buffer was last drained */
	size_t handed;			/* bytes of out handed to evhttp */
	struct run *run;
	bool closed;
};

/* One CLI process. */
struct run {
	struct server *srv;
	struct session *sess;		/* NULL once the session is destroyed */
	struct run *next;		/* the server's list of live runs */
	pid_t pid;			/* -1: never started */
	int out_fd, err_fd;
	struct event *out_ev, *err_ev, *kill_timer, *grace_timer;
	struct buf line, errline;
	struct cli_parser parser;
	struct stream *stream;		/* NULL: events go to the session buffer */
	char *prog;
	int status;
	bool out_eof, err_eof, reaped, paused, sid_seen, signalled;
	bool numbered;			/* the run's first event carried its seq */
};

/* A message waiting for the session's run, and the stream of the client
 * that sent it: its reply goes there when it runs (NULL: none). */
struct pend {
	struct pend *next;
	char *msg;
	struct stream *st;
};

struct session {
	struct session *next;
	char id[37];
	char *path, *mode, *cli_type, *model, *sdk_id;
	char *created_at, *last_activity;
	struct run *run;		/* current run: busy while non-NULL */
	struct pend *pend, **pend_tail;	/* messages waiting for the run */
	size_t npend;
	unsigned long long seq;		/* the last event's number */
	struct buf hist;		/* the recent events: records of an
					 * 8-byte seq, a 4-byte length, text */
	struct strq responses;		/* events kept for session.reconnect */
	size_t responses_bytes;		/* their size, as counted by keep() */
	unsigned long long dropped;	/* events dropped since the last
					 * session.reconnect (replay_max) */
	bool client_connected;
};

struct server {
	const struct daemon_opts *o;
	struct event_base *base;
	struct evhttp *http;
	struct session *sessions;
	size_t nsessions;
	struct run *runs;
	struct tokens tokens;
	bool auth;
	SSL_CTX *tls;			/* NULL: plain HTTP */
	struct timespec started;
	struct event *ev_chld, *ev_term, *ev_int, *ev_stop_timer;
	bool stopping;
	char *port_file;
	/* connections */
	struct evconnlistener *listener;
	struct conn *conns, *conns_tail;
	size_t nconns;
	size_t max_conns;		/* the effective cap */
	struct event *ev_adopt;		/* adopts connections after accept */
	struct event *ev_resume;	/* re-enables the listener */
	bool listener_off;
};

/* ---------------------------------------------------------------- strq */

static void
strq_push(struct strq *q, char *s)
{
	struct strq_node *n = xmalloc(sizeof(*n));

	n->next = NULL;
	n->s = s;
	if (q->tail)
		q->tail->next = n;
	else
		q->head = n;
	q->tail = n;
	q->n++;
}

static char *
strq_pop(struct strq *q)
{
	struct strq_node *n = q->head;
	char *s;

	if (n == NULL)
		return NULL;
	q->head = n->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->n--;
	s = n->s;
	free(n);
	return s;
}

static void
strq_clear(struct strq *q)
{
	char *s;

	while ((s = strq_pop(q)) != NULL)
		free(s);
}

/* Bytes an event costs in the disconnect buffer: its text and its node. */
#define KEEP_COST(len)	((len) + sizeof(struct strq_node) + 16)

/* ------------------------------------------------------------- helpers */

static void
vlog(struct server *srv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
vlog(struct server *srv, const char *fmt, ...)
{
	va_list ap;

	if (!srv->o->verbose)
		return;
	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
}

static void
uuid4(char out[37])
{
	unsigned char b[16];
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t r = getrandom(b + got, sizeof(b) - got, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			err(1, "getrandom");
		}
		got += (size_t)r;
	}
	b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
	snprintf(out, 37,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
	    b[11], b[12], b[13], b[14], b[15]);
}

static long long
uptime_secs(struct server *srv)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)(now.tv_sec - srv->started.tv_sec);
}

static void
touch(struct session *s)
{
	free(s->last_activity);
	s->last_activity = iso8601_now();
}

static void
set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = v ? xstrdup(v) : NULL;
}

static struct session *
session_find(struct server *srv, const char *id)
{
	struct session *s;

	if (id == NULL)
		return NULL;
	for (s = srv->sessions; s; s = s->next)
		if (strcmp(s->id, id) == 0)
			return s;
	return NULL;
}

static const char *
session_status(const struct session *s)
{
	return s->run ? "busy" : "idle";
}

static void
kill_run(struct run *r, int sig)
{
	if (r->pid <= 0 || r->reaped)
		return;
	/* The CLI leads its own process group: its tools die with it. */
	if (kill(-r->pid, sig) == -1)
		(void)kill(r->pid, sig);
}

/* Keep one event (malloc'd compact JSON, taken) for session.reconnect.
 * Past replay_max bytes the oldest events are dropped and counted; the
 * next session.reconnect starts with one `truncated` event. */
static void
session_keep(struct server *srv, struct session *s, char *ev)
{
	size_t max = srv->o->replay_max;

	s->responses_bytes += KEEP_COST(strlen(ev));
	strq_push(&s->responses, ev);
	while (s->responses_bytes > max && s->responses.n > 0) {
		char *old = strq_pop(&s->responses);

		s->responses_bytes -= KEEP_COST(strlen(old));
		if (s->dropped++ == 0)
			vlog(srv, "%s: more than %zu bytes of events kept for "
			    "session.reconnect; dropping the oldest", s->id, max);
		free(old);
	}
}

static void
session_keep_clear(struct session *s)
{
	strq_clear(&s->responses);
	s->responses_bytes = 0;
	s->dropped = 0;
}

/* Number an event and remember it in the session's history, which keeps
 * the last HISTORY_MAX bytes (replay_max when smaller) (whether the events were delivered or not), so
 * a client that lost its reader (an engine killed mid-reply) gets the whole
 * reply again with session.reconnect since=N.  One byte FIFO per session:
 * no allocation per event on the streaming path. */
#define HISTORY_MAX	((size_t)1 << 20)
#define HIST_HDR	(sizeof(uint64_t) + sizeof(uint32_t))

static unsigned long long
session_number(struct server *srv, struct session *s, const char *text,
    size_t len)
{
	uint64_t seq = ++s->seq;
	uint32_t n = (uint32_t)len;
	size_t max = srv->o->replay_max < HISTORY_MAX ? srv->o->replay_max :
	    HISTORY_MAX;

	if (len > max / 2)
		return seq;		/* one huge event is not kept */
	buf_reserve(&s->hist, HIST_HDR + len);
	memcpy(s->hist.s + s->hist.len, &seq, sizeof(seq));
	memcpy(s->hist.s + s->hist.len + sizeof(seq), &n, sizeof(n));
	memcpy(s->hist.s + s->hist.len + HIST_HDR, text, len);
	s->hist.len += HIST_HDR + len;
	s->hist.s[s->hist.len] = '\0';
	if (s->hist.len > max + max / 8) {
		/* trimmed in bulk, down to max: not on every event */
		size_t cut = 0;

		while (s->hist.len - cut > max) {
			uint32_t first;

			memcpy(&first, s->hist.s + cut + sizeof(uint64_t),
			    sizeof(first));
			cut += HIST_HDR + first;
		}
		buf_consume(&s->hist, cut);
	}
	return seq;
}

/* The first record of the history and the next: *seq, *text, *len; false
 * at the end.  *off walks the FIFO. */
static bool
history_next(const struct session *s, size_t *off, uint64_t *seq,
    const char **text, uint32_t *len)
{
	if (*off + HIST_HDR > s->hist.len)
		return false;
	memcpy(seq, s->hist.s + *off, sizeof(*seq));
	memcpy(len, s->hist.s + *off + sizeof(*seq), sizeof(*len));
	*text = s->hist.s + *off + HIST_HDR;
	*off += HIST_HDR + *len;
	return true;
}

static void
session_history_clear(struct session *s)
{
	buf_free(&s->hist);
}

/* -------------------------------------------------------------- stream */

static void stream_flush(struct stream *st);
static struct conn *conn_find(struct server *srv,
    struct evhttp_connection *evcon);
static void stream_closed_cb(struct evhttp_connection *evcon, void *arg);

/* Move the events of SSE text ("data: JSON" lines) to a queue, without
 * pings and [DONE]. */
static void
sse_to_queue(struct server *srv, struct buf *b, struct session *s)
{
	static const char ping[] = "{\"type\":\"ping\"}";
	size_t i = 0;

	while (i < b->len) {
		char *nl = memchr(b->s + i, '\n', b->len - i);
		size_t e = nl ? (size_t)(nl - b->s) : b->len;
		const char *d = b->s + i + 6;
		size_t n = e - i - 6;

		if (e - i > 6 && memcmp(b->s + i, "data: ", 6) == 0 &&
		    !(n == sizeof(ping) - 1 && memcmp(d, ping, n) == 0) &&
		    !(n == 6 && memcmp(d, "[DONE]", 6) == 0))
			session_keep(srv, s, xstrndup(d, n));
		i = e + 1;
	}
	buf_clear(b);
}

static void
stream_closed_cb(struct evhttp_connection *evcon, void *arg)
{
	struct stream *st = arg;
	struct run *r = st->run;

	(void)evcon;
	if (st->closed)
		return;
	st->closed = true;
	st->evcon = NULL;
	/* When libevent did not detach the request, it frees it next. */
	if (st->req && evhttp_request_get_connection(st->req) != NULL)
		st->req = NULL;
	if (st->ping)
		event_del(st->ping);
	if (r && r->sess) {
		vlog(r->srv, "%s: client went away; buffering the rest",
		    r->sess->id);
		r->sess->client_connected = false;
		/* What was not confirmed written is kept: at least once. */
		sse_to_queue(r->srv, &st->out, r->sess);
	}
	buf_free(&st->out);
	st->handed = 0;
	if (r && r->paused) {
		r->paused = false;
		event_add(r->out_ev, NULL);
	}
}

static void
stream_drained_cb(struct evhttp_connection *evcon, void *arg)
{
	struct stream *st = arg;
	struct run *r = st->run;

	(void)evcon;
	buf_consume(&st->out, st->handed);
	st->handed = 0;
	if (st->out.len == 0 && st->out.cap > (1u << 20))
		buf_free(&st->out);
	if (r && r->paused && !r->out_eof) {
		r->paused = false;
		event_add(r->out_ev, NULL);
	}
}

static size_t
stream_outbuf_len(struct stream *st)
{
	struct bufferevent *bev;

	if (st->evcon == NULL)
		return 0;
	bev = evhttp_connection_get_bufferevent(st->evcon);
	return bev ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
}

static void
stream_flush(struct stream *st)
{
	if (st->closed || st->req == NULL || st->out.len == st->handed)
		return;
	evbuffer_add(st->acc, st->out.s + st->handed, st->out.len - st->handed);
	st->handed = st->out.len;
	evhttp_send_reply_chunk_with_cb(st->req, st->acc, stream_drained_cb, st);
	if (st->run && !st->run->paused && !st->run->out_eof &&
	    stream_outbuf_len(st) > OUT_HIGH_WATER) {
		st->run->paused = true;
		event_del(st->run->out_ev);
	}
}

/* Queue one SSE event; json is the compact event text. */
static void
stream_add(struct stream *st, const char *json, size_t len)
{
	buf_reserve(&st->out, len + 8);
	memcpy(st->out.s + st->out.len, "data: ", 6);
	memcpy(st->out.s + st->out.len + 6, json, len);
	memcpy(st->out.s + st->out.len + 6 + len, "\n\n", 3);
	st->out.len += len + 8;
}

static void
stream_ping_cb(evutil_socket_t fd, short what, void *arg)
{
	struct stream *st = arg;
	static const char ping[] = "{\"type\":\"ping\"}";

	(void)fd;
	(void)what;
	if (st->closed)
		return;
	stream_add(st, ping, sizeof(ping) - 1);
	stream_flush(st);
}

static struct stream *
stream_open(struct server *srv, struct evhttp_request *req, bool ping)
{
	struct stream *st = xcalloc(1, sizeof(*st));
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct bufferevent *bev;

	st->srv = srv;
	st->req = req;
	st->evcon = evhttp_request_get_connection(req);
	st->acc = evbuffer_new();
	if (st->acc == NULL)
		errx(1, "evbuffer_new failed");
	evhttp_add_header(h, "Content-Type", "text/event-stream");
	evhttp_add_header(h, "Cache-Control", "no-cache");
	evhttp_add_header(h, "Connection", "keep-alive");
	evhttp_add_header(h, "X-Accel-Buffering", "no");
	evhttp_send_reply_start(req, HTTP_OK, "OK");
	if (st->evcon) {
		struct conn *cn = conn_find(srv, st->evcon);

		if (cn)
			cn->stream = st;
		else
			evhttp_connection_set_closecb(st->evcon,
			    stream_closed_cb, st);
		/* A stream may be quiet for long: no read/write timeouts. */
		bev = evhttp_connection_get_bufferevent(st->evcon);
		if (bev) {
			bufferevent_set_timeouts(bev, NULL, NULL);
			/* libevent writes 16 KiB at a time by default. */
			(void)bufferevent_set_max_single_write(bev, OUT_HIGH_WATER);
		}
	}
	if (ping) {
		struct timeval tv = { srv->o->ping_secs, 0 };

		st->ping = event_new(srv->base, -1, EV_PERSIST, stream_ping_cb, st);
		if (st->ping == NULL)
			errx(1, "event_new failed");
		event_add(st->ping, &tv);
		stream_ping_cb(-1, 0, st);
	}
	return st;
}

/* Send [DONE], end the reply and free the stream. */
static void
stream_finish(struct stream *st)
{
	if (!st->closed && st->req) {
		static const char done[] = "[DONE]";

		stream_add(st, done, sizeof(done) - 1);
		stream_flush(st);
		if (st->evcon) {
			struct conn *cn = conn_find(st->srv, st->evcon);

			if (cn)
				cn->stream = NULL;
			else
				evhttp_connection_set_closecb(st->evcon, NULL,
				    NULL);
		}
		evhttp_send_reply_end(st->req);
	} else if (st->req) {
		/* Detached by libevent: ending it frees it. */
		evhttp_send_reply_end(st->req);
	}
	if (st->ping)
		event_free(st->ping);
	evbuffer_free(st->acc);
	buf_free(&st->out);
	free(st);
}

/* A whole SSE reply of fixed events (error, or queued). */
static void
stream_events_only(struct server *srv, struct evhttp_request *req, bool ping,
    json_t *events)
{
	struct stream *st = stream_open(srv, req, false);
	size_t i;
	json_t *e;

	if (ping) {
		static const char p[] = "{\"type\":\"ping\"}";

		stream_add(st, p, sizeof(p) - 1);
	}
	json_array_foreach(events, i, e) {
		char *s = json_dumps(e, JSON_COMPACT | JSON_REAL_PRECISION(15));

		if (s) {
			stream_add(st, s, strlen(s));
			free(s);
		}
	}
	stream_finish(st);
}

/* ----------------------------------------------------------------- run */

static void run_start(struct server *srv, struct session *s, const char *msg,
    struct stream *st);

/* Deliver one event of a run: to its client, else to the session buffer. */
static void
run_emit(struct run *r, json_t *ev)
{
	struct session *s = r->sess;
	const char *type = cli_event_type(ev);
	char *text;
	size_t len;

	if (s && type) {
		const char *sid = cli_event_session_id(ev);
		bool is_system = strcmp(type, "system") == 0;

		/* Only ids and models of their real shape are kept for the
		 * next run's argv (daemon_cli.h). */
		if (sid && !cli_session_id_valid(cli_kind_of(s->cli_type), sid))
			sid = NULL;

		if (sid && is_system && !r->sid_seen) {
			set_str(&s->sdk_id, sid);
			r->sid_seen = true;
		} else if (sid && (is_system || strcmp(type, "result") == 0) &&
		    (s->sdk_id == NULL || *s->sdk_id == '\0'))
			set_str(&s->sdk_id, sid);
		if (is_system && cli_event_model(ev) &&
		    cli_model_valid(cli_event_model(ev)))
			set_str(&s->model, cli_event_model(ev));
	}
	if (s && !r->numbered) {
		/* The run's first event says where it starts in the session's
		 * numbering (the last member): a client that loses the rest
		 * asks session.reconnect since=seq-1. */
		json_object_set_new(ev, "seq", json_integer((json_int_t)(s->seq + 1)));
		r->numbered = true;
	}
	text = json_dumps(ev, JSON_COMPACT | JSON_REAL_PRECISION(15));
	if (text == NULL)
		return;
	len = strlen(text);
	if (s)
		session_number(r->srv, s, text, len);
	if (r->stream && !r->stream->closed) {
		stream_add(r->stream, text, len);
		free(text);
	} else if (s) {
		session_keep(r->srv, s, text);
	} else
		free(text);
}

/* A text delta from the fast path: tok is its JSON string token. */
static void
run_emit_partial(struct run *r, const char *tok, size_t toklen)
{
	static const char pre[] = "{\"type\":\"partial\",\"content\":";
	struct stream *st = r->stream;
	char num[32] = "";
	size_t numlen = 0, evlen;
	char *ev;

	if (r->sess && !r->numbered) {
		/* ,"seq":N without printf: this is the hot path */
		unsigned long long v = r->sess->seq + 1;
		char digits[24];
		size_t nd = 0;

		do {
			digits[nd++] = (char)('0' + v % 10);
			v /= 10;
		} while (v);
		memcpy(num, ",\"seq\":", 7);
		numlen = 7;
		while (nd)
			num[numlen++] = digits[--nd];
		num[numlen] = '\0';
		r->numbered = true;
	}
	evlen = sizeof(pre) - 1 + toklen + numlen + 1;
	if (st && !st->closed) {
		char *o;

		buf_reserve(&st->out, 6 + evlen + 3);
		o = st->out.s + st->out.len;
		memcpy(o, "data: ", 6);
		ev = o + 6;
		memcpy(ev, pre, sizeof(pre) - 1);
		memcpy(ev + sizeof(pre) - 1, tok, toklen);
		memcpy(ev + sizeof(pre) - 1 + toklen, num, numlen);
		memcpy(ev + sizeof(pre) - 1 + toklen + numlen, "}\n\n", 4);
		st->out.len += 6 + evlen + 2;
		if (r->sess)
			session_number(r->srv, r->sess, ev, evlen);
	} else if (r->sess) {
		ev = xasprintf("%s%.*s%s}", pre, (int)toklen, tok, num);
		session_number(r->srv, r->sess, ev, evlen);
		session_keep(r->srv, r->sess, ev);
	}
}

static void
run_emit_error(struct run *r, const char *msg)
{
	json_t *e = json_object();

	json_object_set_new(e, "type", json_string("error"));
	json_object_set_new(e, "message", json_string(msg));
	run_emit(r, e);
	json_decref(e);
}

static void
run_line(struct run *r, const char *p, size_t n)
{
	const char *tok;
	size_t toklen;
	json_t *events;
	size_t i;
	json_t *e;

	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n == 0)
		return;
	switch (cli_fast_line(&r->parser, p, n, &tok, &toklen)) {
	case CLI_FAST_DROP:
		return;
	case CLI_FAST_PARTIAL:
		run_emit_partial(r, tok, toklen);
		return;
	case CLI_FAST_NO:
		break;
	}
	events = json_array();
	if (cli_parse_line(&r->parser, p, n, events) == -1)
		vlog(r->srv, "%s: %s printed a line that is not JSON (%zu bytes); "
		    "dropped", r->sess ? r->sess->id : "-", r->prog, n);
	json_array_foreach(events, i, e)
		run_emit(r, e);
	json_decref(events);
}

static void
run_free(struct run *r)
{
	struct run **pp;

	for (pp = &r->srv->runs; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	if (r->out_ev)
		event_free(r->out_ev);
	if (r->err_ev)
		event_free(r->err_ev);
	if (r->kill_timer)
		event_free(r->kill_timer);
	if (r->grace_timer)
		event_free(r->grace_timer);
	if (r->out_fd >= 0)
		close(r->out_fd);
	if (r->err_fd >= 0)
		close(r->err_fd);
	buf_free(&r->line);
	buf_free(&r->errline);
	cli_parser_free(&r->parser);
	free(r->prog);
	free(r);
}

static void
maybe_stop(struct server *srv)
{
	/* A moment for the last replies to reach their clients. */
	struct timeval tv = { 0, 200000 };

	if (srv->stopping && srv->runs == NULL)
		event_base_loopexit(srv->base, &tv);
}

/* The run is over when its stdout is at EOF and the child was reaped. */
static void
run_maybe_finish(struct run *r)
{
	struct server *srv = r->srv;
	struct session *s = r->sess;
	char *next;

	if (!(r->out_eof && (r->reaped || r->pid <= 0)))
		return;
	if (r->pid > 0 && WIFEXITED(r->status) && WEXITSTATUS(r->status) != 0) {
		char *m, *name = xstrdup(r->prog);

		if (name[0] >= 'a' && name[0] <= 'z')
			name[0] = (char)(name[0] - 'a' + 'A');
		m = xasprintf("%s process exited abnormally (code=%d, "
		    "signal=null)", name, WEXITSTATUS(r->status));
		run_emit_error(r, m);
		free(m);
		free(name);
	}
	if (r->stream) {
		r->stream->run = NULL;
		stream_finish(r->stream);
		r->stream = NULL;
	}
	if (s) {
		s->run = NULL;
		touch(s);
		vlog(srv, "%s: run ended", s->id);
		if (!srv->stopping && s->pend != NULL) {
			struct pend *p = s->pend;
			struct stream *pst = p->st;

			if ((s->pend = p->next) == NULL)
				s->pend_tail = &s->pend;
			s->npend--;
			next = p->msg;
			free(p);
			/* The client that sent it gets its reply, when it is
			 * still there (else the events are kept). */
			run_start(srv, s, next, pst);
			free(next);
		}
	}
	run_free(r);
	maybe_stop(srv);
}

static void
run_grace_cb(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;

	(void)fd;
	(void)what;
	/* The child is gone but something it started holds the pipe. */
	if (!r->out_eof) {
		r->out_eof = true;
		event_del(r->out_ev);
		if (r->line.len)
			run_line(r, r->line.s, r->line.len);
		buf_clear(&r->line);
		if (r->stream)
			stream_flush(r->stream);
	}
	run_maybe_finish(r);
}

static void
run_kill_cb(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;

	(void)fd;
	(void)what;
	vlog(r->srv, "%s: %s ignored SIGTERM; SIGKILL", r->sess ? r->sess->id :
	    "-", r->prog);
	kill_run(r, SIGKILL);
}

/* SIGTERM now, SIGKILL after kill_secs unless it is gone. */
static void
run_terminate(struct run *r)
{
	struct timeval tv = { r->srv->o->kill_secs, 0 };

	if (r->pid <= 0 || r->reaped || r->signalled)
		return;
	r->signalled = true;
	kill_run(r, SIGTERM);
	r->kill_timer = event_new(r->srv->base, -1, 0, run_kill_cb, r);
	if (r->kill_timer)
		event_add(r->kill_timer, &tv);
}

static void
run_stdout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;
	int reads;

	(void)what;
	for (reads = 0; reads < READS_PER_WAKE && !r->paused; reads++) {
		ssize_t n;
		size_t start, i;

		buf_reserve(&r->line, READ_CHUNK);
		n = read(fd, r->line.s + r->line.len, READ_CHUNK);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			warn("%s: read from %s", r->sess ? r->sess->id : "-",
			    r->prog);
			n = 0;
		}
		if (n == 0) {
			r->out_eof = true;
			event_del(r->out_ev);
			if (r->line.len)
				run_line(r, r->line.s, r->line.len);
			buf_clear(&r->line);
			break;
		}
		/* Lines are split where they end; a partial line waits. */
		start = 0;
		i = r->line.len;
		r->line.len += (size_t)n;
		for (;;) {
			char *nl = memchr(r->line.s + i, '\n', r->line.len - i);

			if (nl == NULL)
				break;
			run_line(r, r->line.s + start, (size_t)(nl - r->line.s) - start);
			start = i = (size_t)(nl - r->line.s) + 1;
		}
		r->line.s[r->line.len] = '\0';
		if (start)
			buf_consume(&r->line, start);
		if (r->stream)
			stream_flush(r->stream);
	}
	if (r->stream)
		stream_flush(r->stream);
	run_maybe_finish(r);
}

/* One line of a CLI's standard error (s NUL-terminated at len), escaped
 * and cut at 2000 bytes. */
static void
log_stderr(struct run *r, const char *s, size_t len)
{
	char *e;

	(void)len;
	if (!r->srv->o->verbose)
		return;
	e = str_escape(s, 2000);
	vlog(r->srv, "%s: %s stderr: %s", r->sess ? r->sess->id : "-",
	    r->prog, e);
	free(e);
}

static void
run_stderr_cb(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;
	char tmp[8192];
	ssize_t n;

	(void)what;
	n = read(fd, tmp, sizeof(tmp));
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		n = 0;
	}
	if (n == 0) {
		r->err_eof = true;
		event_del(r->err_ev);
		if (r->errline.len)
			log_stderr(r, r->errline.s, r->errline.len);
		buf_clear(&r->errline);
		return;
	}
	if (!r->srv->o->verbose)
		return;
	buf_append(&r->errline, tmp, (size_t)n);
	for (;;) {
		char *nl = memchr(r->errline.s, '\n', r->errline.len);
		size_t len;

		if (nl == NULL)
			break;
		len = (size_t)(nl - r->errline.s);
		*nl = '\0';
		log_stderr(r, r->errline.s, len);
		buf_consume(&r->errline, len + 1);
	}
	/* Bound an endless line: log what we have. */
	if (r->errline.len > 65536) {
		log_stderr(r, r->errline.s, r->errline.len);
		buf_clear(&r->errline);
	}
}

static char **
child_env(void)
{
	size_t n = 0, i, j = 0;
	char **env;

	while (environ[n])
		n++;
	env = xcalloc(n + 2, sizeof(*env));
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "TERM=", 5) != 0)
			env[j++] = environ[i];
	env[j++] = "TERM=dumb";
	env[j] = NULL;
	return env;
}

/* Spawn the CLI; on failure returns an errno value. */
static int
run_spawn(struct run *r, char **argv, const char *cwd)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, rc;
	char **env;

	if (pipe2(out, O_CLOEXEC) == -1)
		return errno;
	if (pipe2(errp, O_CLOEXEC) == -1) {
		rc = errno;
		close(out[0]);
		close(out[1]);
		return rc;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
	posix_spawn_file_actions_addchdir_np(&fa, cwd);
	spawn_attr_init(&at);
	env = child_env();
	rc = posix_spawnp(&r->pid, argv[0], &fa, &at, argv, env);
	free(env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(out[1]);
	close(errp[1]);
	if (rc != 0) {
		r->pid = -1;
		close(out[0]);
		close(errp[0]);
		return rc;
	}
	r->out_fd = out[0];
	r->err_fd = errp[0];
	/* Fewer wakeups for a fast CLI; the default size is fine otherwise. */
	(void)fcntl(r->out_fd, F_SETPIPE_SZ, 1024 * 1024);
	evutil_make_socket_nonblocking(r->out_fd);
	evutil_make_socket_nonblocking(r->err_fd);
	return 0;
}

static void
run_start(struct server *srv, struct session *s, const char *msg,
    struct stream *st)
{
	struct run *r = xcalloc(1, sizeof(*r));
	enum cli_kind k = cli_kind_of(s->cli_type);
	char **argv;
	int rc;

	r->srv = srv;
	r->sess = s;
	r->stream = st;
	r->pid = -1;
	r->out_fd = r->err_fd = -1;
	r->prog = xstrdup(cli_program(k));
	cli_parser_init(&r->parser, k);
	if (st)
		st->run = r;
	r->next = srv->runs;
	srv->runs = r;
	s->run = r;
	touch(s);

	argv = cli_argv(k, s->mode, s->model, s->sdk_id, msg, s->path);
	rc = run_spawn(r, argv, s->path);
	cli_argv_free(argv);
	if (rc != 0) {
		char *m = xasprintf("Failed to spawn %s: %s", r->prog,
		    strerror(rc));

		warnx("%s: %s", s->id, m);
		run_emit_error(r, m);
		free(m);
		r->out_eof = r->err_eof = true;
		if (st)
			stream_flush(st);
		run_maybe_finish(r);
		return;
	}
	vlog(srv, "%s: started %s, pid %d", s->id, r->prog, (int)r->pid);
	r->out_ev = event_new(srv->base, r->out_fd, EV_READ | EV_PERSIST,
	    run_stdout_cb, r);
	r->err_ev = event_new(srv->base, r->err_fd, EV_READ | EV_PERSIST,
	    run_stderr_cb, r);
	if (r->out_ev == NULL || r->err_ev == NULL)
		errx(1, "event_new failed");
	event_add(r->out_ev, NULL);
	event_add(r->err_ev, NULL);
	if (st)
		stream_flush(st);
}

static void
sigchld_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	pid_t pid;
	int status;

	(void)fd;
	(void)what;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct run *r;

		for (r = srv->runs; r; r = r->next)
			if (r->pid == pid && !r->reaped)
				break;
		if (r == NULL)
			continue;
		r->reaped = true;
		r->status = status;
		if (r->kill_timer)
			event_del(r->kill_timer);
		if (!r->out_eof) {
			struct timeval tv = { 5, 0 };

			r->grace_timer = event_new(srv->base, -1, 0,
			    run_grace_cb, r);
			if (r->grace_timer)
				event_add(r->grace_timer, &tv);
		}
		run_maybe_finish(r);
	}
}

/* ------------------------------------------------------------ sessions */

/* Drop the waiting messages; each one's client is told with an error
 * event (its reply will not come) and its stream ended. */
static void
session_drop_pending(struct server *srv, struct session *s, const char *why)
{
	while (s->pend) {
		struct pend *p = s->pend;

		s->pend = p->next;
		if (p->st) {
			json_t *e = json_pack("{s:s, s:s, s:I}", "type", "error",
			    "message", why, "seq", (json_int_t)(s->seq + 1));
			char *t = json_dumps(e, JSON_COMPACT);

			json_decref(e);
			if (t) {
				session_number(srv, s, t, strlen(t));
				if (!p->st->closed)
					stream_add(p->st, t, strlen(t));
				free(t);
			}
			stream_finish(p->st);
		}
		free(p->msg);
		free(p);
	}
	s->pend_tail = &s->pend;
	s->npend = 0;
}

static void
session_free(struct server *srv, struct session *s)
{
	free(s->path);
	free(s->mode);
	free(s->cli_type);
	free(s->model);
	free(s->sdk_id);
	free(s->created_at);
	free(s->last_activity);
	session_drop_pending(srv, s, "The session was destroyed before this message ran");
	session_keep_clear(s);
	session_history_clear(s);
	free(s);
}

/* Remove the session; its CLI (if any) is told to stop and left to die
 * on its own, without holding up the loop. */
static void
session_destroy(struct server *srv, struct session *s)
{
	struct session **pp;

	for (pp = &srv->sessions; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	srv->nsessions--;
	if (s->run) {
		s->run->sess = NULL;
		run_terminate(s->run);
	}
	session_free(srv, s);
}

static json_t *
jstr_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *
session_info(const struct session *s)
{
	json_t *o = json_object();

	json_object_set_new(o, "sessionId", json_string(s->id));
	json_object_set_new(o, "path", json_string(s->path));
	json_object_set_new(o, "status", json_string(session_status(s)));
	json_object_set_new(o, "mode", json_string(s->mode));
	json_object_set_new(o, "cliType", json_string(s->cli_type ?
	    s->cli_type : "claude"));
	json_object_set_new(o, "sdkSessionId", jstr_or_null(s->sdk_id));
	json_object_set_new(o, "model", jstr_or_null(s->model));
	json_object_set_new(o, "createdAt", json_string(s->created_at));
	json_object_set_new(o, "lastActivityAt", json_string(s->last_activity));
	return o;
}

static json_t *
queue_stats(const struct session *s)
{
	json_t *o = json_object();

	json_object_set_new(o, "userPending", json_integer((json_int_t)s->npend));
	json_object_set_new(o, "responsePending",
	    json_integer((json_int_t)s->responses.n));
	json_object_set_new(o, "clientConnected",
	    json_boolean(s->client_connected));
	return o;
}


/* --------------------------------------------------------- connections */

/* Connections are seen through evhttp's bufferevent callback (called for
 * every accepted socket, before evhttp has made its connection object) and
 * adopted right after, in the same pass of the event loop: the connection
 * object is the argument of the bufferevent's callbacks.  The close
 * callback ends the tracking.  Each connection must deliver a whole
 * request within request_timeout of its start, and its next one within
 * idle_timeout of the previous reply's end; otherwise it is closed.  Past
 * max_conns the oldest connection that is not being answered gives way;
 * when every one is busy the newcomer is closed and the listener rests. */

static struct conn *
conn_find(struct server *srv, struct evhttp_connection *evcon)
{
	struct conn *c;

	if (evcon == NULL)
		return NULL;
	for (c = srv->conns; c; c = c->next)
		if (c->evcon == evcon)
			return c;
	return NULL;
}

static void
conn_unlink(struct server *srv, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		srv->conns_tail = c->prev;
	srv->nconns--;
	if (c->deadline)
		event_free(c->deadline);
	free(c);
}

static void
listener_pause(struct server *srv, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (srv->listener == NULL)
		return;
	if (!srv->listener_off) {
		(void)evconnlistener_disable(srv->listener);
		srv->listener_off = true;
	}
	event_add(srv->ev_resume, &tv);
}

static void
listener_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;

	(void)fd;
	(void)what;
	if (srv->listener_off && !srv->stopping) {
		srv->listener_off = false;
		(void)evconnlistener_enable(srv->listener);
	}
}

static void
conn_closed_cb(struct evhttp_connection *evcon, void *arg)
{
	struct conn *c = arg;
	struct server *srv = c->srv;

	if (c->stream)
		stream_closed_cb(evcon, c->stream);
	conn_unlink(srv, c);
}

/* Close a connection (not from inside one of its own callbacks). */
static void
conn_close(struct conn *c)
{
	struct evhttp_connection *evcon = c->evcon;

	/* evhttp calls conn_closed_cb, which frees c. */
	evhttp_connection_free(evcon);
}

static void
conn_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	if (c->busy)
		return;
	vlog(c->srv, "connection: no complete request in time; closed");
	conn_close(c);
}

static void
conn_arm(struct conn *c, int secs)
{
	struct timeval tv = { secs, 0 };

	event_add(c->deadline, &tv);
}

/* The oldest connection not being answered, or NULL. */
static struct conn *
conn_idle_oldest(struct server *srv, struct conn *except)
{
	struct conn *c;

	for (c = srv->conns; c; c = c->next)
		if (c != except && c->evcon && !c->busy && c->stream == NULL)
			return c;
	return NULL;
}

static void
conn_adopt_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	struct conn *c, *next;

	(void)fd;
	(void)what;
	for (c = srv->conns; c; c = next) {
		void *evcon = NULL;
		evutil_socket_t sfd;
		int one = 1;

		next = c->next;
		if (c->evcon)
			continue;
		bufferevent_getcb(c->bev, NULL, NULL, NULL, &evcon);
		if (evcon == NULL) {	/* not taken by evhttp: cannot be */
			conn_unlink(srv, c);
			continue;
		}
		c->evcon = evcon;
		evhttp_connection_set_closecb(c->evcon, conn_closed_cb, c);
		/* Replies leave at once (TLS records and keep-alive requests
		 * would otherwise wait for the peer's delayed ACK). */
		if ((sfd = bufferevent_getfd(c->bev)) >= 0)
			(void)setsockopt(sfd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
		c->deadline = event_new(srv->base, -1, 0, conn_deadline_cb, c);
		if (c->deadline == NULL)
			errx(1, "event_new failed");
		conn_arm(c, srv->o->request_timeout);
		if (srv->nconns > srv->max_conns) {
			struct conn *old = conn_idle_oldest(srv, c);

			if (old) {
				if (old == next)
					next = old->next;
				vlog(srv, "connection: %zu open; the oldest idle "
				    "one is closed", srv->nconns);
				conn_close(old);
			} else {
				vlog(srv, "connection: %zu open, all busy; "
				    "refused", srv->nconns);
				conn_close(c);
				listener_pause(srv, ACCEPT_BACKOFF_MS);
			}
		}
	}
}

/* evhttp's bufferevent callback: every accepted socket passes here. */
static struct bufferevent *
conn_bevcb(struct event_base *base, void *arg)
{
	struct server *srv = arg;
	struct bufferevent *bev;
	struct conn *c;

	if (srv->tls) {
		SSL *ssl;

		if ((ssl = SSL_new(srv->tls)) == NULL)
			errx(1, "tls: SSL_new failed");
		bev = bufferevent_openssl_socket_new(base, -1, ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
		if (bev == NULL)
			errx(1, "tls: bufferevent_openssl_socket_new failed");
		/* A client that closes without close_notify ends its
		 * connection like any other EOF. */
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	} else if ((bev = bufferevent_socket_new(base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		errx(1, "bufferevent_socket_new failed");
	c = xcalloc(1, sizeof(*c));
	c->srv = srv;
	c->bev = bev;
	c->prev = srv->conns_tail;
	if (srv->conns_tail)
		srv->conns_tail->next = c;
	else
		srv->conns = c;
	srv->conns_tail = c;
	srv->nconns++;
	/* Adopted in this same pass of the loop, before any I/O on it. */
	event_active(srv->ev_adopt, EV_TIMEOUT, 0);
	return bev;
}

static void
accept_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)evconnlistener_enable(arg);
}

/* accept(2) failed for a reason other than a retriable one (EMFILE,
 * ENFILE, ENOBUFS): libevent would try again at once, forever, with a
 * warning each time.  The listener rests ACCEPT_ERROR_PAUSE_MS instead, so
 * the line below comes at most once a second.  (libevent passes evhttp as
 * the argument: only the listener is at hand.) */
static void
accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct timeval tv = { ACCEPT_ERROR_PAUSE_MS / 1000,
	    (ACCEPT_ERROR_PAUSE_MS % 1000) * 1000 };
	int e = EVUTIL_SOCKET_ERROR();

	(void)arg;
	warnx("accept: %s; no new connections for %d ms", strerror(e),
	    ACCEPT_ERROR_PAUSE_MS);
	(void)evconnlistener_disable(lev);
	if (event_base_once(evconnlistener_get_base(lev), -1, EV_TIMEOUT,
	    accept_resume_cb, lev, &tv) == -1)
		(void)evconnlistener_enable(lev);
}

/* A request has arrived whole: no deadline while it is answered; the next
 * one has idle_timeout from the end of this reply. */
static void
req_done_cb(struct evhttp_request *req, void *arg)
{
	struct server *srv = arg;
	struct conn *c = conn_find(srv, evhttp_request_get_connection(req));

	if (c) {
		c->busy = false;
		conn_arm(c, srv->o->idle_timeout);
	}
}

static void
req_begin(struct server *srv, struct evhttp_request *req)
{
	struct conn *c = conn_find(srv, evhttp_request_get_connection(req));

	if (c) {
		c->busy = true;
		event_del(c->deadline);
	}
	evhttp_request_set_on_complete_cb(req, req_done_cb, srv);
}

/* The connection cap: max_connections, and never more than half of what
 * the descriptor limit leaves after FD_RESERVE (CLI runs need two each). */
static size_t
conn_cap(int max_connections)
{
	struct rlimit rl;
	size_t cap = (size_t)max_connections;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		size_t fdcap = rl.rlim_cur > 2 * FD_RESERVE ?
		    (size_t)(rl.rlim_cur - FD_RESERVE) / 2 : 8;

		if (fdcap < cap)
			cap = fdcap;
	}
	return cap;
}

/* ------------------------------------------------------------- replies */

static void
reply_text(struct evhttp_request *req, int code, const char *reason,
    const char *text)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL)
		errx(1, "evbuffer_new failed");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; charset=utf-8");
	evbuffer_add(b, text, strlen(text));
	evhttp_send_reply(req, code, reason, b);
	evbuffer_free(b);
}

/* {"result": result, "id": id} or {"error": {...}, "id": id}; steals. */
static void
reply_rpc(struct evhttp_request *req, json_t *id, json_t *result, int code,
    const char *message)
{
	json_t *o = json_object();
	struct evbuffer *b;
	char *s;

	if (result)
		json_object_set_new(o, "result", result);
	else {
		json_t *e = json_object();

		json_object_set_new(e, "code", json_integer(code));
		json_object_set_new(e, "message", json_string(message));
		json_object_set_new(o, "error", e);
	}
	if (id && json_is_string(id))
		json_object_set(o, "id", id);
	s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15));
	json_decref(o);
	if (s == NULL)
		errx(1, "json_dumps failed");
	b = evbuffer_new();
	if (b == NULL)
		errx(1, "evbuffer_new failed");
	evbuffer_add(b, s, strlen(s));
	free(s);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evhttp_send_reply(req, HTTP_OK, "OK", b);
	evbuffer_free(b);
}

static void
reply_err(struct evhttp_request *req, json_t *id, int code, const char *msg)
{
	reply_rpc(req, id, NULL, code, msg);
}

static void
reply_ok(struct evhttp_request *req, json_t *id, bool ok)
{
	json_t *r = json_object();

	json_object_set_new(r, "ok", json_boolean(ok));
	reply_rpc(req, id, r, 0, NULL);
}

/* ------------------------------------------------------------- methods */

struct call {
	struct server *srv;
	struct evhttp_request *req;
	json_t *id;
	json_t *params;		/* NULL when absent or null */
};

static const char *
pstr(struct call *c, const char *key)
{
	return json_string_value(json_object_get(c->params, key));
}

/* The session named by sessionId; replies and returns NULL when the
 * parameter is missing (with missing_msg) — not when it is unknown. */
static bool
need_sid(struct call *c, const char *missing_msg, const char **sid)
{
	if (c->params == NULL) {
		reply_err(c->req, c->id, -32000, "Missing params");
		return false;
	}
	*sid = pstr(c, "sessionId");
	if (*sid == NULL) {
		reply_err(c->req, c->id, -32000, missing_msg);
		return false;
	}
	return true;
}

static char *
resolve_path(const char *given)
{
	if (strcmp(given, "~") == 0 || str_starts(given, "~/"))
		return path_expand_tilde(given);
	if (*given != '\0' && strchr(given, '/') == NULL)
		return xasprintf("%s/Projects/%s", path_home(), given);
	return xstrdup(given);
}

static void
m_create(struct call *c)
{
	const char *given, *mode, *model, *cli;
	struct session *s;
	struct stat st;
	char *path, *m;
	json_t *r, *mv;

	if (c->params == NULL) {
		reply_err(c->req, c->id, -32000, "Missing params");
		return;
	}
	if ((given = pstr(c, "path")) == NULL) {
		reply_err(c->req, c->id, -32000, "Missing required param: path");
		return;
	}
	path = resolve_path(given);
	if (stat(path, &st) == -1) {
		m = xasprintf("Path does not exist on remote machine: %s "
		    "(resolved from: %s)", path, given);
		reply_err(c->req, c->id, -32000, m);
		free(m);
		free(path);
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		m = xasprintf("Path is not a directory on remote machine: %s "
		    "(resolved from: %s)", path, given);
		reply_err(c->req, c->id, -32000, m);
		free(m);
		free(path);
		return;
	}
	/* An invalid mode or model is an error, never a fallback to auto. */
	mv = json_object_get(c->params, "mode");
	mode = json_string_value(mv);
	if (mv && !json_is_null(mv) && !cli_mode_valid(mode)) {
		reply_err(c->req, c->id, -32000, "Invalid mode");
		free(path);
		return;
	}
	mv = json_object_get(c->params, "model");
	model = json_string_value(mv);
	if (mv && !json_is_null(mv) && !(model && (*model == '\0' ||
	    cli_model_valid(model)))) {
		reply_err(c->req, c->id, -32000, "Invalid model");
		free(path);
		return;
	}
	cli = pstr(c, "cli_type");
	s = xcalloc(1, sizeof(*s));
	uuid4(s->id);
	s->path = path;
	s->mode = xstrdup(mode ? mode : "auto");
	s->model = model && *model ? xstrdup(model) : NULL;
	s->cli_type = cli ? xstrdup(cli) : NULL;
	s->created_at = iso8601_now();
	s->last_activity = xstrdup(s->created_at);
	s->client_connected = true;
	s->pend_tail = &s->pend;
	s->next = c->srv->sessions;
	c->srv->sessions = s;
	c->srv->nsessions++;
	if (c->srv->o->verbose) {
		char *e = str_escape(s->cli_type ? s->cli_type : "claude", 100);

		vlog(c->srv, "%s: created (%s)", s->id, e);
		free(e);
	}
	r = json_object();
	json_object_set_new(r, "sessionId", json_string(s->id));
	reply_rpc(c->req, c->id, r, 0, NULL);
}

static void
m_send(struct call *c)
{
	const char *sid = pstr(c, "sessionId"), *msg = pstr(c, "message");
	struct session *s;
	json_t *evs;

	if (c->params == NULL || sid == NULL || msg == NULL) {
		reply_err(c->req, c->id, -32602,
		    "Missing required params: sessionId, message");
		return;
	}
	s = session_find(c->srv, sid);
	if (s == NULL || c->srv->stopping) {
		char *m = xasprintf("Session not found: %s", sid);
		json_t *e = json_object();

		json_object_set_new(e, "type", json_string("error"));
		json_object_set_new(e, "message", json_string(m));
		evs = json_array();
		json_array_append_new(evs, e);
		stream_events_only(c->srv, c->req, false, evs);
		json_decref(evs);
		free(m);
		return;
	}
	touch(s);
	if (s->run) {
		/* The client keeps its stream: the queued event now, pings
		 * while it waits, and its reply when the message runs. */
		struct pend *p = xcalloc(1, sizeof(*p));
		json_t *q;
		char *t;

		p->msg = xstrdup(msg);
		p->st = stream_open(c->srv, c->req, true);
		if (s->pend_tail == NULL)
			s->pend_tail = &s->pend;
		*s->pend_tail = p;
		s->pend_tail = &p->next;
		s->npend++;
		q = json_pack("{s:s, s:I, s:I}", "type", "queued", "position",
		    (json_int_t)s->npend, "seq", (json_int_t)(s->seq + 1));
		t = json_dumps(q, JSON_COMPACT);
		json_decref(q);
		if (t) {
			session_number(c->srv, s, t, strlen(t));
			stream_add(p->st, t, strlen(t));
			free(t);
		}
		stream_flush(p->st);
		vlog(c->srv, "%s: busy; message queued at %zu", s->id, s->npend);
		return;
	}
	run_start(c->srv, s, msg, stream_open(c->srv, c->req, true));
}

static void
m_resume(struct call *c)
{
	const char *sid, *sdk;
	struct session *s;
	json_t *r = json_object();

	if (!need_sid(c, "Missing required param: sessionId", &sid)) {
		json_decref(r);
		return;
	}
	s = session_find(c->srv, sid);
	sdk = pstr(c, "sdkSessionId");
	if (s && sdk && !cli_session_id_valid(cli_kind_of(s->cli_type), sdk)) {
		json_decref(r);
		reply_err(c->req, c->id, -32000, "Invalid sdkSessionId");
		return;
	}
	if (s) {
		if (sdk != NULL)
			set_str(&s->sdk_id, sdk);
		/* Reconnected; unlike upstream the buffer is kept until a
		 * session.reconnect fetches it (nothing is dropped). */
		s->client_connected = true;
		touch(s);
	}
	json_object_set_new(r, "ok", json_boolean(s != NULL));
	json_object_set_new(r, "fallback", json_false());
	reply_rpc(c->req, c->id, r, 0, NULL);
}

static void
m_destroy(struct call *c)
{
	const char *sid;
	struct session *s;

	if (!need_sid(c, "Missing required param: sessionId", &sid))
		return;
	s = session_find(c->srv, sid);
	if (s) {
		vlog(c->srv, "%s: destroyed", s->id);
		session_destroy(c->srv, s);
	}
	reply_ok(c->req, c->id, s != NULL);
}

static void
m_list(struct call *c)
{
	json_t *r = json_object(), *a = json_array();
	struct session *s;

	for (s = c->srv->sessions; s; s = s->next)
		json_array_append_new(a, session_info(s));
	json_object_set_new(r, "sessions", a);
	reply_rpc(c->req, c->id, r, 0, NULL);
}

static void
m_set_mode(struct call *c)
{
	const char *sid, *mode;
	struct session *s;
	char *m;

	if (!need_sid(c, "Missing required params: sessionId, mode", &sid))
		return;
	if (json_object_get(c->params, "mode") == NULL) {
		reply_err(c->req, c->id, -32000,
		    "Missing required params: sessionId, mode");
		return;
	}
	mode = pstr(c, "mode");
	if (!cli_mode_valid(mode)) {
		reply_err(c->req, c->id, -32000, "Invalid mode");
		return;
	}
	if ((s = session_find(c->srv, sid)) == NULL) {
		m = xasprintf("Session not found: %s", sid);
		reply_err(c->req, c->id, -32000, m);
		free(m);
		return;
	}
	set_str(&s->mode, mode);
	reply_ok(c->req, c->id, true);
}

static void
m_set_model(struct call *c)
{
	const char *sid, *model;
	struct session *s;
	json_t *mv;
	char *m;

	if (!need_sid(c, "Missing required params: sessionId", &sid))
		return;
	mv = json_object_get(c->params, "model");
	model = json_string_value(mv);
	if (mv && !json_is_null(mv) && !(model && (*model == '\0' ||
	    cli_model_valid(model)))) {
		reply_err(c->req, c->id, -32000, "Invalid model");
		return;
	}
	if ((s = session_find(c->srv, sid)) == NULL) {
		m = xasprintf("Session not found: %s", sid);
		reply_err(c->req, c->id, -32000, m);
		free(m);
		return;
	}
	set_str(&s->model, model);
	reply_ok(c->req, c->id, true);
}

static void
m_interrupt(struct call *c)
{
	const char *sid;
	struct session *s;
	json_t *r;
	bool interrupted = false;
	char *m;

	if (!need_sid(c, "Missing required param: sessionId", &sid))
		return;
	if ((s = session_find(c->srv, sid)) == NULL) {
		m = xasprintf("Session not found: %s", sid);
		reply_err(c->req, c->id, -32000, m);
		free(m);
		return;
	}
	if (s->run) {
		interrupted = true;
		session_drop_pending(c->srv, s, "Interrupted before this message ran");
		session_keep_clear(s);
		run_terminate(s->run);
		vlog(c->srv, "%s: interrupted", s->id);
	}
	r = json_object();
	json_object_set_new(r, "ok", json_true());
	json_object_set_new(r, "interrupted", json_boolean(interrupted));
	reply_rpc(c->req, c->id, r, 0, NULL);
}

static void
m_queue_stats(struct call *c)
{
	const char *sid;
	struct session *s;

	if (!need_sid(c, "Missing required param: sessionId", &sid))
		return;
	if ((s = session_find(c->srv, sid)) == NULL) {
		reply_err(c->req, c->id, -32000, "Session not found");
		return;
	}
	reply_rpc(c->req, c->id, queue_stats(s), 0, NULL);
}

static void
m_reconnect(struct call *c)
{
	const char *sid;
	struct session *s;
	json_t *r = json_object(), *a = json_array();
	char *e;

	if (!need_sid(c, "Missing required param: sessionId", &sid)) {
		json_decref(r);
		json_decref(a);
		return;
	}
	if ((s = session_find(c->srv, sid)) != NULL) {
		json_t *since = json_object_get(c->params, "since");

		s->client_connected = true;
		if (json_is_integer(since) && json_integer_value(since) >= 0) {
			/* Ours: every event after `since` from the history,
			 * delivered or not; the buffer is then spent. */
			unsigned long long n = (unsigned long long)
			    json_integer_value(since);
			size_t off = 0;
			uint64_t seq;
			const char *text;
			uint32_t len;
			bool first = true;

			while (history_next(s, &off, &seq, &text, &len)) {
				json_t *ev;

				if (first && seq > n + 1) {
					char *m = xasprintf("events %llu to %llu "
					    "are no longer kept", n + 1,
					    (unsigned long long)seq - 1);

					json_array_append_new(a, json_pack(
					    "{s:s, s:I, s:s}", "type", "truncated",
					    "dropped", (json_int_t)(seq - 1 - n),
					    "message", m));
					free(m);
				}
				first = false;
				if (seq <= n)
					continue;
				if ((ev = json_loadb(text, len, JSON_DECODE_ANY,
				    NULL)) != NULL)
					json_array_append_new(a, ev);
			}
			session_keep_clear(s);
		} else {
			if (s->dropped) {
				json_t *t = json_object();
				char *m = xasprintf("%llu earlier events were "
				    "dropped: more than %zu bytes were kept "
				    "for this session", s->dropped,
				    c->srv->o->replay_max);

				json_object_set_new(t, "type",
				    json_string("truncated"));
				json_object_set_new(t, "dropped",
				    json_integer((json_int_t)s->dropped));
				json_object_set_new(t, "message", json_string(m));
				json_array_append_new(a, t);
				free(m);
			}
			s->dropped = 0;
			s->responses_bytes = 0;
			while ((e = strq_pop(&s->responses)) != NULL) {
				json_t *ev = json_loads(e, JSON_DECODE_ANY, NULL);

				if (ev)
					json_array_append_new(a, ev);
				free(e);
			}
		}
	}
	json_object_set_new(r, "bufferedEvents", a);
	reply_rpc(c->req, c->id, r, 0, NULL);
}

static long long
rss_mb(void)
{
	struct buf b = { 0 };
	long long pages = 0;

	if (read_file("/proc/self/statm", 4096, &b) == 0 && b.s) {
		char *p = strchr(b.s, ' ');

		if (p)
			pages = strtoll(p + 1, NULL, 10);
	}
	buf_free(&b);
	return pages * 4096 / (1024 * 1024);
}

static void
m_health(struct call *c)
{
	json_t *r = json_object(), *by = json_object(), *mem = json_object();
	struct session *s;
	long long rss = rss_mb();

	for (s = c->srv->sessions; s; s = s->next) {
		const char *st = session_status(s);
		json_int_t n = json_integer_value(json_object_get(by, st));

		json_object_set_new(by, st, json_integer(n + 1));
	}
	json_object_set_new(r, "ok", json_true());
	json_object_set_new(r, "sessions",
	    json_integer((json_int_t)c->srv->nsessions));
	json_object_set_new(r, "sessionsByStatus", by);
	json_object_set_new(r, "uptime", json_integer(uptime_secs(c->srv)));
	json_object_set_new(mem, "rss", json_integer(rss));
	json_object_set_new(mem, "heapUsed", json_integer(rss / 2));
	json_object_set_new(mem, "heapTotal", json_integer(rss));
	json_object_set_new(r, "memory", mem);
	json_object_set_new(r, "version", json_string(CC_VERSION));
	json_object_set_new(r, "pid", json_integer((json_int_t)getpid()));
	reply_rpc(c->req, c->id, r, 0, NULL);
}

static void
m_monitor(struct call *c)
{
	json_t *r = json_object(), *a = json_array();
	struct session *s;

	for (s = c->srv->sessions; s; s = s->next) {
		json_t *o = json_object();

		json_object_set_new(o, "sessionId", json_string(s->id));
		json_object_set_new(o, "path", json_string(s->path));
		json_object_set_new(o, "status", json_string(session_status(s)));
		json_object_set_new(o, "mode", json_string(s->mode));
		json_object_set_new(o, "model", jstr_or_null(s->model));
		json_object_set_new(o, "sdkSessionId", jstr_or_null(s->sdk_id));
		json_object_set_new(o, "createdAt", json_string(s->created_at));
		json_object_set_new(o, "lastActivityAt",
		    json_string(s->last_activity));
		json_object_set_new(o, "queue", queue_stats(s));
		json_array_append_new(a, o);
	}
	json_object_set_new(r, "sessions", a);
	json_object_set_new(r, "totalSessions",
	    json_integer((json_int_t)c->srv->nsessions));
	json_object_set_new(r, "uptime", json_integer(uptime_secs(c->srv)));
	reply_rpc(c->req, c->id, r, 0, NULL);
}

static const struct {
	const char *name;
	void (*fn)(struct call *);
} methods[] = {
	{ "session.create", m_create },
	{ "session.send", m_send },
	{ "session.resume", m_resume },
	{ "session.destroy", m_destroy },
	{ "session.list", m_list },
	{ "session.set_mode", m_set_mode },
	{ "session.set_model", m_set_model },
	{ "session.interrupt", m_interrupt },
	{ "session.queue_stats", m_queue_stats },
	{ "session.reconnect", m_reconnect },
	{ "health.check", m_health },
	{ "monitor.sessions", m_monitor },
};

/* ---------------------------------------------------------------- http */

/* Who may call: every client needs a token (the owner's, or one of
 * tokens.yaml), except that a loopback client may call health.check
 * without one (liveness probes; it changes nothing).  A loopback client
 * must name a loopback host or the bind address in Host (DNS rebinding).
 * Returns 1 authorized, 0 only health.check allowed, -1 refused (the
 * reply is sent). */
static int
authorize(struct server *srv, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	const struct sockaddr *sa = evcon ? evhttp_connection_get_addr(evcon) :
	    NULL;
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	bool loop = sockaddr_is_loopback(sa) && !srv->o->strict_auth;
	const char *h;

	if (loop && !host_header_ok(evhttp_find_header(in, "Host"),
	    srv->o->bind)) {
		reply_text(req, 403, "Forbidden",
		    "Forbidden: Host is not a loopback name or the bind address");
		return -1;
	}
	h = evhttp_find_header(in, "Authorization");
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0) {
		if (loop)
			return 0;
		reply_text(req, 401, "Unauthorized",
		    "Unauthorized: missing Bearer token");
		return -1;
	}
	h += 7;
	if (!tokens_check(&srv->tokens, h, strlen(h))) {
		reply_text(req, 401, "Unauthorized",
		    "Unauthorized: invalid token");
		return -1;
	}
	return 1;
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct server *srv = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL, *ct, *mname;
	struct evbuffer *in;
	struct call c;
	json_t *body, *mv;
	json_error_t jerr;
	size_t len, i;
	char *msg;
	int auth;

	req_begin(srv, req);
	if (path == NULL || strcmp(path, "/rpc") != 0) {
		reply_text(req, HTTP_NOTFOUND, "Not Found", "Not Found");
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		reply_text(req, 405, "Method Not Allowed", "Method Not Allowed");
		return;
	}
	if ((auth = authorize(srv, req)) == -1)
		return;
	ct = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Content-Type");
	if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0 ||
	    (ct[16] != '\0' && ct[16] != ';' && ct[16] != ' ')) {
		reply_text(req, 415, "Unsupported Media Type",
		    "Expected request with `Content-Type: application/json`");
		return;
	}
	in = evhttp_request_get_input_buffer(req);
	len = evbuffer_get_length(in);
	body = json_loadb((const char *)evbuffer_pullup(in, -1), len, 0, &jerr);
	if (body == NULL) {
		msg = xasprintf("Failed to parse the request body as JSON: %s "
		    "at line %d column %d", jerr.text, jerr.line, jerr.column);
		reply_text(req, HTTP_BADREQUEST, "Bad Request", msg);
		free(msg);
		return;
	}
	memset(&c, 0, sizeof(c));
	c.srv = srv;
	c.req = req;
	c.id = json_object_get(body, "id");
	mv = json_object_get(body, "method");
	c.params = json_object_get(body, "params");
	if (c.params && json_is_null(c.params))
		c.params = NULL;
	if (!json_is_object(body) || (c.id && !json_is_string(c.id) &&
	    !json_is_null(c.id)) || (mv && !json_is_string(mv) &&
	    !json_is_null(mv))) {
		reply_text(req, 422, "Unprocessable Entity",
		    "Failed to deserialize the JSON body into the target type: "
		    "method and id must be strings");
		json_decref(body);
		return;
	}
	mname = json_string_value(mv);
	if (mname == NULL) {
		reply_err(req, c.id, -32600, "Invalid request: missing method");
		json_decref(body);
		return;
	}
	if (auth == 0 && strcmp(mname, "health.check") != 0) {
		reply_text(req, 401, "Unauthorized",
		    "Unauthorized: missing Bearer token");
		json_decref(body);
		return;
	}
	if (srv->o->verbose) {
		char *e = str_escape(mname, 200);

		vlog(srv, "rpc %s", e);
		free(e);
	}
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(methods[i].name, mname) == 0) {
			methods[i].fn(&c);
			json_decref(body);
			return;
		}
	msg = xasprintf("Method not found: %s", mname);
	reply_err(req, c.id, -32601, msg);
	free(msg);
	json_decref(body);
}

/* ----------------------------------------------------------------- tls */

/* Load or generate the pair, build the context, announce the fingerprint.
 * 0 or -1 (diagnostic printed). */
static int
tls_setup(struct server *srv)
{
	const struct daemon_opts *o = srv->o;
	char *cert = o->tls_cert ? xstrdup(o->tls_cert) :
	    daemon_tls_default_cert();
	char *key = o->tls_key ? xstrdup(o->tls_key) : daemon_tls_default_key();
	char *fpfile = NULL, *err = NULL, fp[DAEMON_TLS_FP_LEN];
	bool created;
	int rc = -1;

	if (daemon_tls_ensure_pair(cert, key, o->bind, &created, &err) == -1 ||
	    (srv->tls = daemon_tls_ctx_new(cert, key, fp, &err)) == NULL) {
		warnx("tls: %s", err);
		goto out;
	}
	if (created)
		warnx("tls: generated a self-signed certificate: %s", cert);
	warnx("tls: %s", fp);
	if (o->fingerprint_file == NULL) {
		char *d = state_dir(NULL);

		if (d == NULL)
			warn("~/.codecast");
		free(d);
	}
	fpfile = o->fingerprint_file ? xstrdup(o->fingerprint_file) :
	    path_state("daemon.fingerprint");
	if (daemon_tls_write_fingerprint(fpfile, fp, &err) == -1) {
		warnx("tls: %s", err);
		goto out;
	}
	rc = 0;
out:
	free(err);
	free(fpfile);
	free(cert);
	free(key);
	return rc;
}

/* ------------------------------------------------------------ lifecycle */

static void
stop_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	struct run *r;

	(void)fd;
	(void)what;
	for (r = srv->runs; r; r = r->next)
		kill_run(r, SIGKILL);
}

static void
stop_cb(evutil_socket_t sig, short what, void *arg)
{
	struct server *srv = arg;
	struct timeval tv = { srv->o->kill_secs, 0 };

	(void)what;
	if (srv->stopping)
		return;
	vlog(srv, "signal %d: stopping", (int)sig);
	srv->stopping = true;
	while (srv->sessions)
		session_destroy(srv, srv->sessions);
	srv->ev_stop_timer = event_new(srv->base, -1, 0, stop_timer_cb, srv);
	if (srv->ev_stop_timer)
		event_add(srv->ev_stop_timer, &tv);
	maybe_stop(srv);
}

int
daemon_serve(const struct daemon_opts *o)
{
	struct server srv;
	struct evhttp_bound_socket *h = NULL;
	int port = -1, p, last, rc = 0;
	char *errmsg = NULL;

	memset(&srv, 0, sizeof(srv));
	srv.o = o;
	clock_gettime(CLOCK_MONOTONIC, &srv.started);
	srv.auth = !bind_is_loopback(o->bind);
	{
		char *tf = o->token_file ? xstrdup(o->token_file) :
		    path_state("daemon.token"), *tok = NULL;

		if (daemon_token_ensure(tf, &tok, &errmsg) == -1) {
			warnx("%s", errmsg);
			free(errmsg);
			free(tf);
			return 1;
		}
		free(tf);
		tokens_add(&srv.tokens, tok);
		explicit_bzero(tok, strlen(tok));
		free(tok);
	}
	if (srv.auth) {
		struct tokens yt;
		if (tokens_load(o->tokens_file, &yt, &errmsg) == -1) {
			warnx("%s", errmsg);
			free(errmsg);
			tokens_free(&srv.tokens);
			return 1;
		}
		if (yt.n == 0) {
			warnx("%s: no tokens; a daemon bound to %s needs at least "
			    "one (refusing to start)", o->tokens_file, o->bind);
			tokens_free(&yt);
			tokens_free(&srv.tokens);
			return 1;
		}
		for (size_t i = 0; i < yt.n; i++)
			tokens_add(&srv.tokens, yt.v[i]);
		tokens_free(&yt);
		{
			struct stat tst;

			if (stat(o->tokens_file, &tst) == 0 && (tst.st_mode & 077))
				warnx("%s: mode %04o lets other users read the "
				    "tokens (chmod 600 %s)", o->tokens_file,
				    (unsigned)(tst.st_mode & 07777), o->tokens_file);
		}
		warnx("bound to %s: HTTPS, Bearer tokens required from "
		    "non-loopback clients", o->bind);
	}
	if ((srv.auth || o->tls) && tls_setup(&srv) == -1) {
		tokens_free(&srv.tokens);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	srv.base = event_base_new();
	srv.http = srv.base ? evhttp_new(srv.base) : NULL;
	if (srv.http == NULL) {
		warnx("cannot create the event loop");
		if (srv.base)
			event_base_free(srv.base);
		SSL_CTX_free(srv.tls);
		tokens_free(&srv.tokens);
		return 1;
	}
	evhttp_set_max_body_size(srv.http, MAX_BODY);
	evhttp_set_allowed_methods(srv.http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS);
	evhttp_set_max_headers_size(srv.http, MAX_HEADERS);
	/* No progress reading or writing for this long ends a connection
	 * (streams lift it); conn_deadline_cb bounds the whole request. */
	evhttp_set_timeout(srv.http, o->idle_timeout);
	evhttp_set_gencb(srv.http, on_request, &srv);
	evhttp_set_bevcb(srv.http, conn_bevcb, &srv);
	srv.max_conns = conn_cap(o->max_connections);
	srv.ev_adopt = event_new(srv.base, -1, 0, conn_adopt_cb, &srv);
	srv.ev_resume = event_new(srv.base, -1, 0, listener_resume_cb, &srv);
	if (srv.ev_adopt == NULL || srv.ev_resume == NULL)
		errx(1, "event_new failed");

	last = o->port == 0 ? 0 : o->port + o->port_tries;
	if (last > 65535)
		last = 65535;
	for (p = o->port; p <= last; p++) {
		/* A numeric address: no NSS lookup (the static build). */
		h = evhttp_bind_socket_with_handle(srv.http,
		    strcmp(o->bind, "localhost") == 0 ? "127.0.0.1" : o->bind,
		    (ev_uint16_t)p);
		if (h != NULL)
			break;
		vlog(&srv, "%s:%d: cannot bind; trying the next port", o->bind, p);
	}
	if (h == NULL || (port = listen_port(h)) <= 0) {
		warnx("%s: no free port in %d-%d", o->bind, o->port, last);
		rc = 1;
		goto out;
	}
	if (o->port != 0 && port != o->port)
		warnx("port %d is taken; listening on %d", o->port, port);
	srv.listener = evhttp_bound_socket_get_listener(h);
	evconnlistener_set_error_cb(srv.listener, accept_error_cb);
	vlog(&srv, "at most %zu connections", srv.max_conns);
	srv.port_file = o->port_file ? xstrdup(o->port_file) :
	    path_state("daemon.port");
	if (o->port_file == NULL) {
		char *dir = state_dir(NULL);

		if (dir == NULL)
			warn("~/.codecast");
		free(dir);
	}
	if (port_file_write(srv.port_file, port) == -1)
		warn("%s", srv.port_file);
	printf("DAEMON_PORT=%d\n", port);
	fflush(stdout);

	srv.ev_chld = evsignal_new(srv.base, SIGCHLD, sigchld_cb, &srv);
	srv.ev_term = evsignal_new(srv.base, SIGTERM, stop_cb, &srv);
	srv.ev_int = evsignal_new(srv.base, SIGINT, stop_cb, &srv);
	if (!srv.ev_chld || !srv.ev_term || !srv.ev_int ||
	    event_add(srv.ev_chld, NULL) || event_add(srv.ev_term, NULL) ||
	    event_add(srv.ev_int, NULL)) {
		warnx("cannot install signal handlers");
		rc = 1;
		goto out;
	}
	/* Children that ended before the handler existed. */
	sigchld_cb(-1, 0, &srv);
	if (event_base_dispatch(srv.base) == -1) {
		warnx("event loop failed");
		rc = 1;
	}
	vlog(&srv, "stopped");
out:
	if (srv.port_file) {
		if (port > 0 && unlink(srv.port_file) == -1 && errno != ENOENT)
			warn("%s", srv.port_file);
		free(srv.port_file);
	}
	while (srv.sessions)
		session_destroy(&srv, srv.sessions);
	if (srv.ev_chld)
		event_free(srv.ev_chld);
	if (srv.ev_term)
		event_free(srv.ev_term);
	if (srv.ev_int)
		event_free(srv.ev_int);
	if (srv.ev_stop_timer)
		event_free(srv.ev_stop_timer);
	while (srv.runs) {
		struct run *r = srv.runs;

		kill_run(r, SIGKILL);
		if (r->stream) {
			r->stream->run = NULL;
			stream_finish(r->stream);
			r->stream = NULL;
		}
		run_free(r);
	}
	evhttp_free(srv.http);
	while (srv.conns)	/* evhttp_free closed them without callbacks */
		conn_unlink(&srv, srv.conns);
	if (srv.ev_adopt)
		event_free(srv.ev_adopt);
	if (srv.ev_resume)
		event_free(srv.ev_resume);
	event_base_free(srv.base);
	SSL_CTX_free(srv.tls);
	tokens_free(&srv.tokens);
	return rc;
}
