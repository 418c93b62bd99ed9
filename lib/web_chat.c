/* web_chat.c — cc-web's chat: the channels (web:ID) and their recent
 * events, the EventSource streams, and the bridge platform through which
 * cc-engine's actions reach them.  See web.h. */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <sodium.h>

#include "attach.h"
#include "bridge.h"
#include "md_html.h"
#include "paths.h"
#include "web_int.h"

/* ---- channels ---------------------------------------------------------- */

bool
web_chan_id_ok(const char *id)
{
	size_t n = 0;

	if (id == NULL)
		return false;
	for (; id[n]; n++)
		if (!((id[n] >= 'a' && id[n] <= 'z') || (id[n] >= '0' && id[n] <= '9') ||
		    id[n] == '-' || id[n] == '_'))
			return false;
	return n >= 1 && n <= 64;
}

bool
web_file_id_ok(const char *id)
{
	size_t n;

	if (id == NULL || strlen(id) != 32)
		return false;
	for (n = 0; n < 32; n++)
		if (!((id[n] >= '0' && id[n] <= '9') || (id[n] >= 'a' && id[n] <= 'f')))
			return false;
	return true;
}

static void
item_free(struct witem *it)
{
	json_decref(it->ev);
	free(it->id);
	free(it);
}

static void
item_unlink(struct wchan *c, struct witem *it)
{
	if (it->prev)
		it->prev->next = it->next;
	else
		c->head = it->next;
	if (it->next)
		it->next->prev = it->prev;
	else
		c->tail = it->prev;
	c->nitems--;
	c->bytes -= it->bytes;
}

static void sse_close(struct sse *s);

static void
chan_free(struct wchan *c)
{
	while (c->head) {
		struct witem *it = c->head;

		item_unlink(c, it);
		item_free(it);
	}
	while (c->clients)
		sse_close(c->clients);
	if (c->flush)
		event_free(c->flush);
	free(c->meta_html);
	free(c->name);
	free(c);
}

struct wchan *
web_chan_find(struct web *w, const char *id)
{
	struct wchan *c;

	for (c = w->chans; c; c = c->next)
		if (strcmp(c->id, id) == 0)
			return c;
	return NULL;
}

struct wchan *
web_chan(struct web *w, const char *id)
{
	struct wchan *c = web_chan_find(w, id), **pp, **victim = NULL;

	if (c) {
		c->used = monotonic_ms();
		return c;
	}
	if (w->nchans >= WEB_MAX_CHANS) {
		/* The least recently used channel nobody watches goes. */
		for (pp = &w->chans; *pp; pp = &(*pp)->next)
			if ((*pp)->clients == NULL &&
			    (victim == NULL || (*pp)->used < (*victim)->used))
				victim = pp;
		if (victim) {
			struct wchan *v = *victim;

			*victim = v->next;
			chan_free(v);
			w->nchans--;
		}
	}
	c = xcalloc(1, sizeof(*c));
	c->name = xasprintf("web:%s", id);
	c->id = c->name + 4;
	c->used = monotonic_ms();
	c->next = w->chans;
	w->chans = c;
	w->nchans++;
	return c;
}

void
web_chat_free(struct web *w)
{
	while (w->chans) {
		struct wchan *c = w->chans;

		w->chans = c->next;
		chan_free(c);
	}
	while (w->dash)
		sse_close(w->dash);
	json_decref(w->uploads);
	json_decref(w->commands);
}

char *
web_msg_id(struct web *w)
{
	return xasprintf("%s-%llu", w->epoch, ++w->counter);
}

static struct witem *
item_find(struct wchan *c, const char *id)
{
	struct witem *it;

	for (it = c->tail; it; it = it->prev)
		if (it->id && strcmp(it->id, id) == 0)
			return it;
	return NULL;
}

static int
sse_send_item(struct sse *s, json_t *ev)
{
	char *data = json_dumps(ev, JSON_COMPACT);
	char id[64];
	int rc;

	if (data == NULL)
		return 0;
	snprintf(id, sizeof(id), "%s.%llu", s->w->epoch,
	    (unsigned long long)json_integer_value(json_object_get(ev, "seq")));
	rc = web_sse_send(s, NULL, id, data);
	free(data);
	return rc;
}

/* Send s the stored items it has not had. */
static void
catch_up(struct sse *s, struct wchan *c)
{
	struct witem *it;

	for (it = c->head; it; it = it->next)
		if (it->seq > s->sent) {
			s->sent = it->seq;
			if (sse_send_item(s, it->ev) == -1)
				return;
		}
}

static void
flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct wchan *c = arg;
	struct sse *s, *next;

	(void)fd;
	(void)what;
	for (s = c->clients; s; s = next) {
		next = s->next;		/* a slow client may be dropped */
		catch_up(s, c);
	}
}

void
web_chan_event(struct web *w, struct wchan *c, const char *id, json_t *ev,
    bool store)
{
	struct sse *s, *next;

	c->used = monotonic_ms();
	if (!store) {
		/* Passing news (typing): no sequence number, no SSE id, so it
		 * moves no stream's place. */
		char *data = json_dumps(ev, JSON_COMPACT);

		for (s = c->clients; data && s; s = next) {
			next = s->next;		/* a slow client may be dropped */
			(void)web_sse_send(s, NULL, NULL, data);
		}
		free(data);
		json_decref(ev);
		return;
	}
	json_object_set_new(ev, "seq", json_integer((json_int_t)++c->seq));
	if (c->flush == NULL)
		c->flush = evtimer_new(w->base, flush_cb, c);
	if (c->flush && !evtimer_pending(c->flush, NULL)) {
		struct timeval tv = { 0, 50000 };

		evtimer_add(c->flush, &tv);
	}
	{
		struct witem *it = id ? item_find(c, id) : NULL;
		/* Copied first: id may be the old item's own. */
		char *txt, *copy = id ? xstrdup(id) : NULL;

		if (it) {
			item_unlink(c, it);
			item_free(it);
		}
		it = xcalloc(1, sizeof(*it));
		it->seq = c->seq;
		it->id = copy;
		it->ev = ev;
		txt = json_dumps(ev, JSON_COMPACT);
		it->bytes = txt ? strlen(txt) : 0;
		free(txt);
		it->prev = c->tail;
		if (c->tail)
			c->tail->next = it;
		else
			c->head = it;
		c->tail = it;
		c->nitems++;
		c->bytes += it->bytes;
		while (c->head != c->tail &&
		    (c->nitems > WEB_CHAN_ITEMS || c->bytes > WEB_CHAN_BYTES)) {
			struct witem *old = c->head;

			item_unlink(c, old);
			item_free(old);
		}
	}
}

/* ---- the browser's side -------------------------------------------------- */

void
web_chat_user_message(struct web *w, struct wchan *c, const char *text,
    json_t *files)
{
	struct buf h = { 0 };
	char *id = web_msg_id(w);
	json_t *ev, *names = json_array();
	size_t i;
	json_t *f;

	html_escape_str(&h, text);
	json_array_foreach(files, i, f)
		json_array_append(names, json_object_get(f, "name"));
	ev = json_pack("{s:s, s:s, s:s, s:o}", "k", "user", "id", id, "html",
	    h.s ? h.s : "", "files", names);
	web_chan_event(w, c, id, ev, true);
	free(id);
	buf_free(&h);
	ev = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "type", "message",
	    "channel", c->name, "user", "web", "name", "web", "admin", 1,
	    "text", text);
	if (json_array_size(files) > 0)
		json_object_set(ev, "files", files);
	if (w->b)
		bridge_emit(w->b, ev);
	else
		json_decref(ev);
}

int
web_chat_button(struct web *w, struct wchan *c, const char *ref,
    const char *value)
{
	struct witem *it;
	json_t *ev;

	for (it = c->tail; it; it = it->prev) {
		const char *r = json_string_value(json_object_get(it->ev, "ref"));
		const char *k = json_string_value(json_object_get(it->ev, "k"));

		if (k && strcmp(k, "ask") == 0 && r && strcmp(r, ref) == 0)
			break;
	}
	if (it == NULL)
		return -1;
	if (json_object_get(it->ev, "answered"))
		return 1;
	ev = json_deep_copy(it->ev);
	{
		/* Shown by label: "0,2" → "1. Fast, 3. Both". */
		struct buf shown = { 0 };
		json_t *o;
		size_t i;

		json_array_foreach(json_object_get(ev, "options"), i, o) {
			const char *v = json_string_value(json_object_get(o, "value"));
			const char *p = value;
			size_t n = v ? strlen(v) : 0;

			while (v && p && *p) {
				if (strncmp(p, v, n) == 0 && (p[n] == ',' || p[n] == '\0')) {
					if (shown.len)
						buf_puts(&shown, ", ");
					buf_puts(&shown, json_string_value(json_object_get(o, "label")));
					break;
				}
				p = strchr(p, ',');
				if (p)
					p++;
			}
		}
		json_object_set_new(ev, "answered", json_string(shown.len ? shown.s : value));
		buf_free(&shown);
	}
	web_chan_event(w, c, it->id, ev, true);
	ev = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "button", "channel",
	    c->name, "user", "web", "ref", ref, "value", value);
	if (w->b)
		bridge_emit(w->b, ev);
	else
		json_decref(ev);
	return 0;
}

/* ---- EventSource streams ------------------------------------------------ */

static void
sse_unlink(struct sse *s)
{
	if (s->prevp == NULL)
		return;
	*s->prevp = s->next;
	if (s->next)
		s->next->prevp = s->prevp;
	s->prevp = NULL;
	s->w->nsse--;
}

/* libevent closes the connection (the browser went away): it frees the
 * request itself unless it was detached. */
static void
sse_closed_cb(struct evhttp_connection *evcon, void *arg)
{
	struct sse *s = arg;

	(void)evcon;
	sse_unlink(s);
	if (s->req && evhttp_request_get_connection(s->req) == NULL)
		evhttp_send_reply_end(s->req);
	free(s);
}

/* We end it (shutdown, a client too far behind). */
static void
sse_close(struct sse *s)
{
	sse_unlink(s);
	if (s->evcon) {
		evhttp_connection_set_closecb(s->evcon, NULL, NULL);
		evhttp_send_reply_end(s->req);
		/* Free the connection: a stream never ends on its own. */
		evhttp_connection_free(s->evcon);
	}
	free(s);
}

int
web_sse_send(struct sse *s, const char *event, const char *id,
    const char *data)
{
	struct evbuffer *b = evbuffer_new();
	struct bufferevent *bev;
	const char *p, *nl;

	if (b == NULL)
		return 0;
	if (event)
		evbuffer_add_printf(b, "event: %s\n", event);
	if (id)
		evbuffer_add_printf(b, "id: %s\n", id);
	if (data) {
		for (p = data; ; p = nl + 1) {
			nl = strchr(p, '\n');
			evbuffer_add(b, "data: ", 6);
			evbuffer_add(b, p, nl ? (size_t)(nl - p) : strlen(p));
			evbuffer_add(b, "\n", 1);
			if (nl == NULL)
				break;
		}
	} else
		evbuffer_add(b, ": ping\n", 7);
	evbuffer_add(b, "\n", 1);
	evhttp_send_reply_chunk(s->req, b);
	evbuffer_free(b);
	bev = s->evcon ? evhttp_connection_get_bufferevent(s->evcon) : NULL;
	if (bev && evbuffer_get_length(bufferevent_get_output(bev)) > WEB_SSE_HIGH) {
		warnx("a stream fell %u MiB behind: closed", WEB_SSE_HIGH >> 20);
		sse_close(s);
		return -1;
	}
	return 0;
}

void
web_sse_open(struct web *w, struct evhttp_request *req, struct wchan *c,
    const char *since)
{
	struct sse *s = xcalloc(1, sizeof(*s));
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct bufferevent *bev;
	char hello[128];

	s->w = w;
	s->req = req;
	s->evcon = evhttp_request_get_connection(req);
	s->chan = c;
	evhttp_add_header(h, "Content-Type", "text/event-stream; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Accel-Buffering", "no");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_send_reply_start(req, HTTP_OK, "OK");
	if (s->evcon) {
		evhttp_connection_set_closecb(s->evcon, sse_closed_cb, s);
		bev = evhttp_connection_get_bufferevent(s->evcon);
		if (bev)
			bufferevent_set_timeouts(bev, NULL, NULL);
	}
	if (c) {
		s->next = c->clients;
		s->prevp = &c->clients;
	} else {
		s->next = w->dash;
		s->prevp = &w->dash;
	}
	if (s->next)
		s->next->prevp = &s->next;
	*s->prevp = s;
	w->nsse++;
	snprintf(hello, sizeof(hello), "{\"epoch\":\"%s\"}", w->epoch);
	if (web_sse_send(s, "hello", NULL, hello) == -1 || c == NULL)
		return;
	/* Replay what the browser has not seen: all of it when it last saw
	 * another run of cc-web. */
	{
		size_t el = strlen(w->epoch);

		if (since && strncmp(since, w->epoch, el) == 0 && since[el] == '.')
			s->sent = strtoull(since + el + 1, NULL, 10);
	}
	catch_up(s, c);
}

/* event with data (stolen) to every stream of list. */
static void
broadcast(struct sse *list, const char *event, json_t *data)
{
	char *txt = json_dumps(data, JSON_COMPACT);
	struct sse *s, *next;

	json_decref(data);
	if (txt == NULL)
		return;
	for (s = list; s; s = next) {
		next = s->next;
		web_sse_send(s, event, NULL, txt);
	}
	free(txt);
}

void
web_sse_broadcast_dash(struct web *w, const char *event, json_t *data)
{
	broadcast(w->dash, event, data);
}

void
web_chan_broadcast(struct wchan *c, const char *event, json_t *data)
{
	broadcast(c->clients, event, data);
}

void
web_sse_ping_all(struct web *w)
{
	struct sse *s, *next;
	struct wchan *c;

	for (s = w->dash; s; s = next) {
		next = s->next;
		web_sse_send(s, NULL, NULL, NULL);
	}
	for (c = w->chans; c; c = c->next)
		for (s = c->clients; s; s = next) {
			next = s->next;
			web_sse_send(s, NULL, NULL, NULL);
		}
}

void
web_sse_close_all(struct web *w)
{
	struct wchan *c;

	while (w->dash)
		sse_close(w->dash);
	for (c = w->chans; c; c = c->next)
		while (c->clients)
			sse_close(c->clients);
}

/* ---- the bridge platform ---------------------------------------------------- */

static size_t
web_render(void *ctx, const char *md, char ***chunks)
{
	struct buf b = { 0 };

	(void)ctx;
	md_html(md, strlen(md), &b);
	if (b.len == 0) {
		buf_free(&b);
		*chunks = NULL;
		return 0;
	}
	*chunks = xmalloc(sizeof(char *));
	(*chunks)[0] = buf_steal(&b);
	return 1;
}

/* Keep a forwarded file where only we serve it: a hard link (the engine
 * may remove its own name), else a copy.  The id names it. */
static int
keep_file(struct web *w, const char *path, char id[33], char **why)
{
	unsigned char r[16];
	char *dst;
	int in = -1, out = -1, rc = -1;

	randombytes_buf(r, sizeof(r));
	sodium_bin2hex(id, 33, r, sizeof(r));
	if (mkdir_p(w->files_dir, 0700) == -1) {
		*why = xasprintf("%s: %s", w->files_dir, strerror(errno));
		return -1;
	}
	dst = xasprintf("%s/%s", w->files_dir, id);
	if (link(path, dst) == 0) {
		(void)chmod(dst, 0600);
		free(dst);
		return 0;
	}
	in = open(path, O_RDONLY | O_CLOEXEC);
	out = in == -1 ? -1 : open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (in == -1 || out == -1) {
		*why = xasprintf("%s: %s", in == -1 ? path : dst, strerror(errno));
		goto out;
	}
	for (;;) {
		char tmp[65536];
		ssize_t n = read(in, tmp, sizeof(tmp));

		if (n == -1 && errno == EINTR)
			continue;
		if (n < 0 || (n > 0 && write_all(out, tmp, (size_t)n) == -1)) {
			*why = xasprintf("%s: %s", dst, strerror(errno));
			(void)unlink(dst);
			goto out;
		}
		if (n == 0)
			break;
	}
	rc = 0;
out:
	if (in != -1)
		close(in);
	if (out != -1 && close(out) == -1 && rc == 0) {
		*why = xasprintf("%s: %s", dst, strerror(errno));
		(void)unlink(dst);
		rc = -1;
	}
	free(dst);
	return rc;
}

/* application/octet-stream names in URLs: percent-encode all but
 * unreserved characters. */
static void
url_encode(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~')
			buf_putc(out, (char)c);
		else {
			buf_putc(out, '%');
			buf_putc(out, hex[c >> 4]);
			buf_putc(out, hex[c & 15]);
		}
	}
}

static void
web_call(void *ctx, const struct bridge_call *c)
{
	struct web *w = ctx;
	struct bridge_result res = { BRIDGE_OK, NULL, 0, false, NULL };
	struct wchan *ch = NULL;
	char *id = NULL, *why = NULL;
	json_t *ev;

	if (c->kind == BRIDGE_COMMANDS) {
		json_decref(w->commands);
		w->commands = json_incref(json_object_get(c->action, "list"));
		bridge_call_done(w->b, c, &res);
		return;
	}
	if (c->kind == BRIDGE_CUSTOM) {
		bridge_call_done(w->b, c, &res);
		return;
	}
	if (c->channel == NULL || strncmp(c->channel, "web:", 4) != 0 ||
	    !web_chan_id_ok(c->channel + 4)) {
		res.status = BRIDGE_FAIL;
		res.error = "not a web channel";
		bridge_call_done(w->b, c, &res);
		return;
	}
	ch = web_chan(w, c->channel + 4);
	switch (c->kind) {
	case BRIDGE_SEND:
		id = web_msg_id(w);
		ev = json_pack("{s:s, s:s, s:s}", "k", "msg", "id", id, "html", c->text);
		web_chan_event(w, ch, id, ev, true);
		res.msg_id = id;
		break;
	case BRIDGE_EDIT: {
		struct witem *it = item_find(ch, c->msg_id);

		ev = json_pack("{s:s, s:s, s:s}", "k", "msg", "id", c->msg_id,
		    "html", c->text);
		if (it && json_object_get(it->ev, "k") &&
		    strcmp(json_string_value(json_object_get(it->ev, "k")), "msg") != 0) {
			json_decref(ev);
			res.status = BRIDGE_FAIL;
			res.error = "not a message";
			break;
		}
		web_chan_event(w, ch, c->msg_id, ev, true);
		break;
	}
	case BRIDGE_DELETE: {
		struct witem *it = item_find(ch, c->msg_id);

		if (it) {
			item_unlink(ch, it);
			item_free(it);
		}
		ev = json_pack("{s:s, s:s}", "k", "del", "id", c->msg_id);
		web_chan_event(w, ch, NULL, ev, true);
		break;
	}
	case BRIDGE_TYPING:
		web_chan_event(w, ch, NULL, json_pack("{s:s}", "k", "typing"), false);
		break;
	case BRIDGE_ASK: {
		const char *text = json_string_value(json_object_get(c->action, "text"));
		json_t *opts = json_array(), *o;
		struct buf h = { 0 };
		size_t i;

		json_array_foreach(json_object_get(c->action, "options"), i, o) {
			const char *label = json_string_value(json_object_get(o, "label"));
			json_t *v = json_object_get(o, "value");
			char *val = json_is_string(v) ? xstrdup(json_string_value(v)) :
			    json_is_integer(v) ? xasprintf("%lld", (long long)json_integer_value(v)) :
			    xasprintf("%zu", i);

			json_array_append_new(opts, json_pack("{s:s, s:s}", "label",
			    label ? label : val, "value", val));
			free(val);
		}
		if (json_array_size(opts) == 0) {
			json_decref(opts);
			res.status = BRIDGE_FAIL;
			res.error = "no options";
			break;
		}
		md_html(text ? text : "", text ? strlen(text) : 0, &h);
		id = web_msg_id(w);
		ev = json_pack("{s:s, s:s, s:s, s:s, s:o, s:b}", "k", "ask", "id", id,
		    "ref", c->ref ? c->ref : "", "html", h.s ? h.s : "", "options", opts,
		    "multi", json_is_true(json_object_get(c->action, "multi")));
		buf_free(&h);
		web_chan_event(w, ch, id, ev, true);
		res.msg_id = id;
		break;
	}
	case BRIDGE_FILE: {
		const char *path = json_string_value(json_object_get(c->action, "path"));
		const char *caption = json_string_value(json_object_get(c->action, "caption"));
		const char *base;
		char fid[33];
		char *name;
		struct stat st;
		struct buf url = { 0 }, cap = { 0 };

		if (path == NULL || stat(path, &st) == -1 || !S_ISREG(st.st_mode)) {
			res.status = BRIDGE_FAIL;
			res.error = path ? strerror(errno ? errno : EINVAL) : "no path";
			break;
		}
		if (keep_file(w, path, fid, &why) == -1) {
			warnx("file: %s", why);
			res.status = BRIDGE_FAIL;
			res.error = "cannot keep the file";
			break;
		}
		if (json_is_true(json_object_get(c->action, "remove")))
			(void)unlink(path);
		base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		name = attach_safe_name(base);
		buf_printf(&url, "/file/%s/", fid);
		url_encode(&url, name);
		if (caption && *caption)
			md_html(caption, strlen(caption), &cap);
		id = web_msg_id(w);
		ev = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "k", "file", "id", id,
		    "name", name, "url", url.s, "size", (json_int_t)st.st_size,
		    "html", cap.s ? cap.s : "");
		web_chan_event(w, ch, id, ev, true);
		res.msg_id = id;
		free(name);
		buf_free(&url);
		buf_free(&cap);
		break;
	}
	default:
		break;
	}
	bridge_call_done(w->b, c, &res);
	free(id);
	free(why);
}

static void
web_other(void *ctx, const char *op, json_t *action)
{
	(void)ctx;
	(void)op;
	(void)action;
}

struct bridge *
web_bridge_new(struct web *w)
{
	static const struct bridge_platform plat = { web_render, web_call,
	    web_other, NULL };
	struct bridge_config bc = { 0 };
	struct bridge *b;

	bc.hello = json_pack("{s:s, s:s, s:i, s:b, s:f, s:b, s:b, s:I}", "type", "hello",
	    "platform", "web", "max_len", WEB_MAX_LEN, "can_edit", 1,
	    "edit_interval", 0.5, "buttons", 1, "files", 1,
	    "max_file", (json_int_t)WEB_MAX_UPLOAD);
	bc.typing_interval = 3;
	bc.max_inflight = 64;
	b = bridge_new(w->base, &bc, &plat, w);
	json_decref(bc.hello);
	return b;
}
