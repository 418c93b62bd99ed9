/* ws.c — WebSocket client threads behind a libevent loop.  See ws.h. */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <libwebsockets.h>

#include "util.h"
#include "ws.h"

enum item_kind { I_OPEN, I_MSG, I_CLOSE, I_REFUSED, I_DONE };

struct item {
	struct item *next;
	enum item_kind kind;
	int code;		/* I_CLOSE; I_REFUSED: the HTTP status */
	bool binary;
	size_t len;
	char data[];		/* I_MSG: the message; I_CLOSE: the reason;
				 * I_REFUSED: the headers */
};

struct queue {
	struct item *head, *tail;
};

/* One connection: shared by the loop and its service thread.  Fields
 * marked (mu) are guarded by mu; (thr) belong to the thread, (loop) to the
 * loop; the rest are set before the thread starts and only read. */
struct conn {
	struct ws *w;
	pthread_t th;
	pthread_mutex_t mu;
	int pipe_r, pipe_w;
	struct event *pipe_ev;			/* (loop) */
	char *host, *path, *host_hdr;
	int port;
	bool tls;
	size_t max_message;
	unsigned connect_timeout, ping_secs;
	char **headers;
	char **refusal_headers;
	lws_retry_bo_t retry;

	struct queue in;			/* (mu) thread → loop */
	struct queue out;			/* (mu) loop → thread */
	struct lws_context *ctx;		/* (mu) NULL before and after */
	bool close_req, stop_req;		/* (mu) */
	int close_code;				/* (mu) */
	char *close_reason;			/* (mu) */

	struct lws *wsi;			/* (thr) */
	bool open, finished, close_pushed;	/* (thr) */
	int peer_code;				/* (thr) */
	char *peer_reason;			/* (thr) */
	struct buf rx;				/* (thr) */
	bool rx_binary, rx_skip;		/* (thr) */

	bool abandoned, opened;			/* (loop) */
	struct conn *next;			/* (loop) w->conns */
};

struct ws {
	struct event_base *base;
	struct ws_callbacks cb;
	void *arg;
	size_t max_message;
	unsigned connect_timeout, ping_secs;
	char **headers;
	char **refusal_headers;
	struct conn *cur;	/* the live connection, or NULL */
	struct conn *conns;	/* every connection whose thread runs */
};

/* ---- the service thread ----------------------------------------------------- */

static void
queue_push(struct queue *q, struct item *it)
{
	it->next = NULL;
	if (q->tail)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
}

static struct item *
item_new(enum item_kind k, const void *data, size_t len)
{
	struct item *it = xmalloc(sizeof(*it) + len + 1);

	memset(it, 0, sizeof(*it));
	it->kind = k;
	it->len = len;
	if (len)
		memcpy(it->data, data, len);
	it->data[len] = '\0';
	return it;
}

/* Hand an item to the loop and wake it. */
static void
post(struct conn *c, struct item *it)
{
	char one = 1;
	ssize_t n;

	pthread_mutex_lock(&c->mu);
	queue_push(&c->in, it);
	pthread_mutex_unlock(&c->mu);
	do
		n = write(c->pipe_w, &one, 1);
	while (n == -1 && errno == EINTR);
	/* EAGAIN: the pipe is full, so the loop is awake anyway. */
}

static void
post_close(struct conn *c, int code, const char *reason)
{
	struct item *it;

	if (c->close_pushed)
		return;
	c->close_pushed = true;
	reason = reason ? reason : "";
	it = item_new(I_CLOSE, reason, strlen(reason));
	it->code = code;
	post(c, it);
}

/* A refused upgrade: its HTTP status and the headers asked for, to the
 * loop.  Nothing when no response arrived (a network failure). */
static void
post_refusal(struct conn *c, struct lws *wsi)
{
	char st[16], *v;
	struct buf hs = { 0 };
	struct item *it;
	int len;

	if (wsi == NULL || lws_hdr_copy(wsi, st, sizeof(st), WSI_TOKEN_HTTP) <= 0)
		return;
	for (char **h = c->refusal_headers; h && *h; h++) {
		char *name = xasprintf("%s:", *h);

		len = lws_hdr_custom_length(wsi, name, (int)strlen(name));
		if (len > 0 && len < 4096) {
			v = xmalloc((size_t)len + 1);
			if (lws_hdr_custom_copy(wsi, v, len + 1, name, (int)strlen(name)) > 0) {
				v[strcspn(v, "\r\n")] = '\0';
				buf_printf(&hs, "%s: %s\n", *h, v);
			}
			free(v);
		}
		free(name);
	}
	it = item_new(I_REFUSED, hs.s ? hs.s : "", hs.len);
	it->code = atoi(st);
	buf_free(&hs);
	post(c, it);
}

static int
on_lws(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
    size_t len)
{
	struct lws_context *lc = lws_get_context(wsi);
	struct conn *c = lc ? lws_context_user(lc) : NULL;

	(void)user;
	if (c == NULL)
		return 0;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
		char *why = xasprintf("connection failed: %s",
		    in ? (const char *)in : "unknown cause");

		why[strcspn(why, "\r\n")] = '\0';
		post_refusal(c, wsi);
		post_close(c, WS_ABNORMAL, why);
		free(why);
		c->finished = true;
		c->wsi = NULL;
		break;
	}
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
		unsigned char **p = in, *end = *p + len;

		for (char **h = c->headers; h && *h; h++) {
			const char *colon = strchr(*h, ':');
			char *name;
			const char *v;

			if (colon == NULL)
				continue;
			name = xasprintf("%.*s:", (int)(colon - *h), *h);
			v = colon + 1 + strspn(colon + 1, " ");
			if (lws_add_http_header_by_name(wsi, (unsigned char *)name,
			    (const unsigned char *)v, (int)strlen(v), p, end)) {
				free(name);
				return -1;
			}
			free(name);
		}
		break;
	}
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		c->open = true;
		post(c, item_new(I_OPEN, NULL, 0));
		pthread_mutex_lock(&c->mu);
		if (c->out.head || c->close_req)
			lws_callback_on_writable(wsi);
		pthread_mutex_unlock(&c->mu);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (lws_is_first_fragment(wsi)) {
			buf_clear(&c->rx);
			c->rx_binary = lws_frame_is_binary(wsi);
			c->rx_skip = false;
		}
		if (c->rx_skip)
			break;
		if (c->rx.len + len > c->max_message) {
			static const char why[] = "message too big";

			lws_close_reason(wsi, WS_TOO_BIG, (unsigned char *)why,
			    sizeof(why) - 1);
			post_close(c, WS_TOO_BIG, "a message over the size limit");
			return -1;
		}
		buf_append(&c->rx, in, len);
		if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
			struct item *it = item_new(I_MSG, c->rx.s ? c->rx.s : "", c->rx.len);

			it->binary = c->rx_binary;
			post(c, it);
			buf_clear(&c->rx);
		}
		break;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
		const unsigned char *b = in;

		c->peer_code = len >= 2 ? (b[0] << 8 | b[1]) : WS_NO_STATUS;
		free(c->peer_reason);
		c->peer_reason = len > 2 ? xstrndup((const char *)b + 2, len - 2) : NULL;
		break;
	}
	case LWS_CALLBACK_CLIENT_WRITEABLE: {
		struct item *it;
		unsigned char *frame;
		int n;

		pthread_mutex_lock(&c->mu);
		if (c->close_req) {
			const char *r = c->close_reason ? c->close_reason : "";

			lws_close_reason(wsi, (enum lws_close_status)c->close_code,
			    (unsigned char *)r, strlen(r) > 120 ? 120 : strlen(r));
			pthread_mutex_unlock(&c->mu);
			post_close(c, c->close_code, "closed by us");
			return -1;
		}
		it = c->out.head;
		if (it) {
			c->out.head = it->next;
			if (c->out.head == NULL)
				c->out.tail = NULL;
		}
		pthread_mutex_unlock(&c->mu);
		if (it == NULL)
			break;
		frame = xmalloc(LWS_PRE + it->len + 1);
		memcpy(frame + LWS_PRE, it->data, it->len);
		n = lws_write(wsi, frame + LWS_PRE, it->len,
		    it->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
		free(frame);
		free(it);
		if (n < 0) {
			post_close(c, WS_ABNORMAL, "write failed");
			return -1;
		}
		pthread_mutex_lock(&c->mu);
		if (c->out.head)
			lws_callback_on_writable(wsi);
		pthread_mutex_unlock(&c->mu);
		break;
	}
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (c->peer_code)
			post_close(c, c->peer_code, c->peer_reason ? c->peer_reason : "");
		else
			post_close(c, WS_ABNORMAL, "the connection dropped");
		c->finished = true;
		c->wsi = NULL;
		c->open = false;
		break;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED: {
		bool stop, want;

		pthread_mutex_lock(&c->mu);
		stop = c->stop_req || (c->close_req && !c->open);
		want = c->out.head || c->close_req;
		pthread_mutex_unlock(&c->mu);
		if (stop)
			c->finished = true;
		else if (want && c->wsi && c->open)
			lws_callback_on_writable(c->wsi);
		break;
	}
	default:
		break;
	}
	return 0;
}

static void
lws_log(int level, const char *line)
{
	size_t n = strlen(line);

	(void)level;
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	/* lws starts its lines with a timestamp; keep what follows it. */
	if (line[0] == '[' && strchr(line, ']')) {
		const char *e = strchr(line, ']') + 1;

		e += strspn(e, " ");
		n -= (size_t)(e - line);
		line = e;
	}
	warnx("ws: %.*s", (int)n, line);
}

static void
log_once(void)
{
	lws_set_log_level(LLL_ERR, lws_log);
}

static void *
conn_main(void *arg)
{
	struct conn *c = arg;
	struct lws_protocols protos[2];
	struct lws_context_creation_info info;
	struct lws_client_connect_info ci;
	struct lws_context *lc;
	bool stop;

	memset(protos, 0, sizeof(protos));
	protos[0].name = "cc-ws";
	protos[0].callback = on_lws;
	protos[0].rx_buffer_size = 65536;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protos;
	info.gid = (gid_t)-1;
	info.uid = (uid_t)-1;
	info.user = c;
	info.count_threads = 1;
	info.fd_limit_per_thread = 16;
	info.timeout_secs = c->connect_timeout;
	info.connect_timeout_secs = c->connect_timeout;
	if (c->tls)
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	lc = lws_create_context(&info);
	if (lc == NULL) {
		post_close(c, WS_ABNORMAL, "cannot create a libwebsockets context");
		post(c, item_new(I_DONE, NULL, 0));
		return NULL;
	}
	pthread_mutex_lock(&c->mu);
	c->ctx = lc;
	stop = c->stop_req || c->close_req;
	pthread_mutex_unlock(&c->mu);
	if (!stop) {
		memset(&ci, 0, sizeof(ci));
		ci.context = lc;
		ci.address = c->host;
		ci.port = c->port;
		ci.path = c->path;
		ci.host = c->host_hdr;
		ci.origin = NULL;
		ci.ssl_connection = c->tls ? LCCSCF_USE_SSL : 0;
		ci.local_protocol_name = "cc-ws";
		ci.ietf_version_or_minus_one = -1;
		ci.pwsi = &c->wsi;
		if (c->ping_secs) {
			c->retry.secs_since_valid_ping = (uint16_t)c->ping_secs;
			c->retry.secs_since_valid_hangup = (uint16_t)(c->ping_secs * 2 + 5);
			ci.retry_and_idle_policy = &c->retry;
		}
		if (lws_client_connect_via_info(&ci) == NULL && !c->close_pushed)
			post_close(c, WS_ABNORMAL, "connection failed");
		else
			while (!c->finished && lws_service(lc, 0) >= 0)
				;
	}
	pthread_mutex_lock(&c->mu);
	c->ctx = NULL;
	pthread_mutex_unlock(&c->mu);
	lws_context_destroy(lc);
	if (!c->close_pushed)
		post_close(c, WS_ABNORMAL, "stopped");
	post(c, item_new(I_DONE, NULL, 0));
	return NULL;
}

/* ---- the loop's side -------------------------------------------------------- */

static void
queue_free(struct queue *q)
{
	struct item *it, *next;

	for (it = q->head; it; it = next) {
		next = it->next;
		free(it);
	}
	q->head = q->tail = NULL;
}

static void
conn_free(struct conn *c)
{
	queue_free(&c->in);
	queue_free(&c->out);
	if (c->pipe_ev)
		event_free(c->pipe_ev);
	close(c->pipe_r);
	close(c->pipe_w);
	pthread_mutex_destroy(&c->mu);
	free(c->host);
	free(c->path);
	free(c->host_hdr);
	free(c->close_reason);
	free(c->peer_reason);
	buf_free(&c->rx);
	free(c);
}

/* Ask the thread to look at its requests. */
static void
conn_kick(struct conn *c)
{
	pthread_mutex_lock(&c->mu);
	if (c->ctx)
		lws_cancel_service(c->ctx);
	pthread_mutex_unlock(&c->mu);
}

static void
conn_request_close(struct conn *c, int code, const char *reason)
{
	pthread_mutex_lock(&c->mu);
	if (!c->close_req) {
		c->close_req = true;
		c->close_code = code;
		c->close_reason = xstrdup(reason ? reason : "");
	}
	pthread_mutex_unlock(&c->mu);
	conn_kick(c);
}

static void
conn_reap(struct ws *w, struct conn *c)
{
	struct conn **pp;

	pthread_join(c->th, NULL);
	for (pp = &w->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	if (w->cur == c)
		w->cur = NULL;
	conn_free(c);
}

static void
on_pipe(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct ws *w = c->w;
	struct item *it, *next;
	char tmp[256];

	(void)what;
	while (read(fd, tmp, sizeof(tmp)) > 0)
		;
	pthread_mutex_lock(&c->mu);
	it = c->in.head;
	c->in.head = c->in.tail = NULL;
	pthread_mutex_unlock(&c->mu);
	for (; it; it = next) {
		next = it->next;
		switch (it->kind) {
		case I_OPEN:
			if (!c->abandoned) {
				c->opened = true;
				if (w->cb.on_open)
					w->cb.on_open(w->arg);
			}
			break;
		case I_MSG:
			if (!c->abandoned && w->cb.on_message)
				w->cb.on_message(w->arg, it->data, it->len, it->binary);
			break;
		case I_REFUSED:
			if (!c->abandoned && w->cb.on_refused)
				w->cb.on_refused(w->arg, it->code, it->data);
			break;
		case I_CLOSE:
			if (!c->abandoned) {
				c->abandoned = true;
				c->opened = false;
				if (w->cur == c)
					w->cur = NULL;
				if (w->cb.on_close)
					w->cb.on_close(w->arg, it->code, it->data);
			}
			break;
		case I_DONE:
			/* The thread is on its way out: nothing follows. */
			for (struct item *rest = next; rest; rest = next) {
				next = rest->next;
				free(rest);
			}
			free(it);
			conn_reap(w, c);
			return;
		}
		free(it);
	}
}

struct ws *
ws_new(struct event_base *base, const struct ws_callbacks *cb, void *arg,
    const struct ws_opts *o)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct ws *w = xcalloc(1, sizeof(*w));
	size_t n = 0;

	pthread_once(&once, log_once);
	w->base = base;
	w->cb = *cb;
	w->arg = arg;
	w->max_message = o && o->max_message ? o->max_message : 16u << 20;
	w->connect_timeout = o && o->connect_timeout ? o->connect_timeout : 20;
	w->ping_secs = o ? o->ping_secs : 0;
	if (o && o->headers)
		while (o->headers[n])
			n++;
	w->headers = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		w->headers[i] = xstrdup(o->headers[i]);
	n = 0;
	if (o && o->refusal_headers)
		while (o->refusal_headers[n])
			n++;
	w->refusal_headers = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		w->refusal_headers[i] = xstrdup(o->refusal_headers[i]);
	return w;
}

/* ws[s]://host[:port][/path] → the parts; false when it is not one. */
static bool
parse_url(const char *url, bool *tls, char **host, int *port, char **path)
{
	const char *p, *hend, *pstart;
	long long v;

	if (strncasecmp(url, "wss://", 6) == 0) {
		*tls = true;
		p = url + 6;
		*port = 443;
	} else if (strncasecmp(url, "ws://", 5) == 0) {
		*tls = false;
		p = url + 5;
		*port = 80;
	} else
		return false;
	pstart = p + strcspn(p, "/?#");
	if (*p == '[') {	/* [v6]:port */
		hend = strchr(p, ']');
		if (hend == NULL || hend > pstart)
			return false;
		*host = xstrndup(p + 1, (size_t)(hend - p - 1));
		hend++;
	} else {
		hend = p + strcspn(p, ":/?#");
		*host = xstrndup(p, (size_t)(hend - p));
	}
	if (**host == '\0' || strpbrk(*host, "@ \t\r\n")) {
		free(*host);
		return false;
	}
	if (*hend == ':') {
		char *ps = xstrndup(hend + 1, (size_t)(pstart - hend - 1));
		bool ok = str_to_ll(ps, 1, 65535, &v);

		free(ps);
		if (!ok) {
			free(*host);
			return false;
		}
		*port = (int)v;
	} else if (hend != pstart) {
		free(*host);
		return false;
	}
	if (*pstart == '/' || *pstart == '?')
		*path = xasprintf("%s%.*s", *pstart == '?' ? "/" : "",
		    (int)strcspn(pstart, "#"), pstart);
	else
		*path = xstrdup("/");
	if (strpbrk(*path, " \t\r\n")) {
		free(*host);
		free(*path);
		return false;
	}
	return true;
}

int
ws_connect(struct ws *w, const char *url, const char **err)
{
	struct conn *c = xcalloc(1, sizeof(*c));
	int fds[2];

	if (w->cur)
		ws_close(w, WS_GOING_AWAY, "reconnecting");
	if (!parse_url(url, &c->tls, &c->host, &c->port, &c->path)) {
		free(c);
		*err = "not a ws:// or wss:// URL";
		return -1;
	}
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) == -1) {
		free(c->host);
		free(c->path);
		free(c);
		*err = "pipe failed";
		return -1;
	}
	c->w = w;
	c->pipe_r = fds[0];
	c->pipe_w = fds[1];
	pthread_mutex_init(&c->mu, NULL);
	if ((c->tls && c->port == 443) || (!c->tls && c->port == 80) || c->tls)
		c->host_hdr = xstrdup(c->host);
	else
		c->host_hdr = xasprintf("%s:%d", c->host, c->port);
	c->max_message = w->max_message;
	c->connect_timeout = w->connect_timeout;
	c->ping_secs = w->ping_secs;
	c->headers = w->headers;
	c->refusal_headers = w->refusal_headers;
	c->pipe_ev = event_new(w->base, c->pipe_r, EV_READ | EV_PERSIST, on_pipe, c);
	if (c->pipe_ev == NULL || event_add(c->pipe_ev, NULL) == -1) {
		conn_free(c);
		*err = "event_new failed";
		return -1;
	}
	if (pthread_create(&c->th, NULL, conn_main, c) != 0) {
		conn_free(c);
		*err = "cannot start a thread";
		return -1;
	}
	c->next = w->conns;
	w->conns = c;
	w->cur = c;
	return 0;
}

int
ws_send(struct ws *w, const void *data, size_t len, bool binary)
{
	struct conn *c = w->cur;
	struct item *it;

	if (c == NULL || c->abandoned)
		return -1;
	it = item_new(I_MSG, data, len);
	it->binary = binary;
	pthread_mutex_lock(&c->mu);
	queue_push(&c->out, it);
	pthread_mutex_unlock(&c->mu);
	conn_kick(c);
	return 0;
}

int
ws_send_text(struct ws *w, const char *s)
{
	return ws_send(w, s, strlen(s), false);
}

void
ws_close(struct ws *w, int code, const char *reason)
{
	struct conn *c = w->cur;

	if (c == NULL)
		return;
	c->abandoned = true;
	c->opened = false;
	w->cur = NULL;
	conn_request_close(c, code, reason);
}

bool
ws_active(const struct ws *w)
{
	return w->cur != NULL;
}

bool
ws_is_open(const struct ws *w)
{
	return w->cur != NULL && w->cur->opened;
}

void
ws_free(struct ws *w)
{
	if (w == NULL)
		return;
	if (w->cur)
		ws_close(w, WS_GOING_AWAY, "going away");
	while (w->conns) {
		struct conn *c = w->conns;
		struct timespec ts;

		/* A second for the closing handshake, then stop it. */
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		if (pthread_timedjoin_np(c->th, NULL, &ts) != 0) {
			pthread_mutex_lock(&c->mu);
			c->stop_req = true;
			if (c->ctx)
				lws_cancel_service(c->ctx);
			pthread_mutex_unlock(&c->mu);
			pthread_join(c->th, NULL);
		}
		w->conns = c->next;
		conn_free(c);
	}
	w->cur = NULL;
	for (char **h = w->headers; h && *h; h++)
		free(*h);
	free(w->headers);
	for (char **h = w->refusal_headers; h && *h; h++)
		free(*h);
	free(w->refusal_headers);
	free(w);
}
