/* lark.c — the Lark/Feishu long connection, callbacks and REST API behind
 * the bridge.  See lark.h.
 *
 * max_len: Lark's real limit is the serialized content, 30 KB of UTF-8 for
 * a post or a card.  A CJK character is 3 bytes, so 10000 characters of any
 * text fit in one message with room for the markup; the engine splits at
 * that, at its own good cut points, and lark_md.h splits again in the rare
 * case a rendering is still over the limit. */
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "attach.h"
#include "bridge.h"
#include "bridge_args.h"
#include "config.h"
#include "http.h"
#include "lark.h"
#include "lark_cb.h"
#include "lark_event.h"
#include "lark_frame.h"
#include "lark_md.h"
#include "listen.h"
#include "paths.h"
#include "sha256.h"
#include "strmap.h"
#include "util.h"
#include "ws.h"

#define LK_MAX_DOWNLOAD		(100LL << 20)
#define LK_SEEN_MAX		8192
#define LK_ASKS_MAX		1024
#define LK_TOKEN_MARGIN_MS	(10 * 60 * 1000LL)

/* Lark's codes. */
#define LK_TOKEN_INVALID	99991663
#define LK_TOKEN_MISSING	99991661
#define LK_RATE_LIMITED		99991400
#define LK_CHAT_RATE		230020
#define LK_TENANT_RATE		11232
#define LK_EDIT_LIMIT		230072
#define LK_TOO_OLD		230031
#define LK_CONN_LIMIT		1000040350

struct lark;
struct answer;
typedef void (*rest_cb)(void *arg, const struct answer *a);

/* What Lark said to a REST call. */
struct answer {
	long status;
	long code;		/* the body's code (0 ok); -1 none */
	const char *msg;	/* "" when none */
	json_t *root;		/* the body, parsed (may be NULL) */
	json_t *data;		/* root.data (borrowed) */
	double reset;		/* x-ogw-ratelimit-reset (s), 0 */
	bool net;		/* no answer, or 5xx */
};

/* One REST call, made once a token is at hand (again after an invalid-token
 * answer, once). */
struct rest {
	struct lark *lk;
	struct rest *next;	/* waiting for a token */
	struct rest *all_prev, *all_next;	/* every live call (lk->rests) */
	char *method, *path;
	json_t *body;
	json_t *fields;		/* multipart form fields (object) */
	char *file_field, *file_path, *file_name, *file_mime;
	char *download;
	long timeout_ms;
	bool token_retry;
	struct http *via;
	rest_cb done;
	void *arg;
};

struct ask {			/* a question we showed */
	char *text;
	json_t *options;
	bool multi;
	json_t *chosen;		/* multi: the values chosen so far */
};

struct ring {			/* remembered keys, oldest forgotten first */
	struct strmap m;
	char **keys;
	size_t cap, pos;
};

struct lark {
	const struct config *cfg;
	struct event_base *base;
	struct http *calls, *aux;
	struct bridge *b;
	struct ws *ws;
	struct lark_cb *cb;
	char *api;		/* https://open.feishu.cn, no trailing slash */
	char *download_dir;
	bool cards, oneshot, check_only;
	struct lark_opts o;
	/* the tenant token */
	char *token;
	long long token_until;	/* use it until then (monotonic ms) */
	bool token_fetching;
	int token_failures;
	struct rest *waiting, **waiting_tail;
	struct rest *rests;	/* every call not yet completed */
	struct event *token_timer;
	/* the long connection */
	struct lark_wsconf conf;
	bool have_conf;		/* the server's ClientConfig came */
	int32_t service;
	int attempts;		/* since the last good connection */
	bool dropped;		/* the next attempt follows a drop */
	long long last_pong;
	struct event *ping_timer, *conn_timer;
	struct lark_frags *frags;
	/* state */
	struct ring seen;	/* event and message ids handled */
	struct ring asks;	/* ref → struct ask */
	struct strmap moved;	/* message id → the one that continues it */
	/* life */
	int exit_code;
	bool stopping;
};

static void lc_connect(struct lark *lk);
static void rest_send(struct rest *r);

/* ---- small helpers -------------------------------------------------------- */

static void
fatal(struct lark *lk, int code, const char *msg)
{
	if (lk->exit_code == 0)
		warnx("%s", msg);
	if (lk->exit_code == 0)
		lk->exit_code = code;
	lk->stopping = true;
	event_base_loopbreak(lk->base);
}

/* "lark:oc_x" or "oc_x" → oc_x (malloc'd), NULL when it is not a chat id. */
static char *
chat_of(const char *channel)
{
	const char *s = str_starts(channel, "lark:") ? channel + 5 : channel;

	if (*s == '\0' || strlen(s) > 200 ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.:") !=
	    strlen(s))
		return NULL;
	return xstrdup(s);
}

static void
ring_init(struct ring *r, size_t cap)
{
	r->cap = cap;
	r->keys = xcalloc(cap, sizeof(char *));
}

/* Remember key with val (old entries beyond cap are forgotten, their values
 * handed to drop). */
static void
ring_put(struct ring *r, const char *key, void *val, void (*drop)(void *))
{
	void *old;

	if (r->keys[r->pos]) {
		old = strmap_del(&r->m, r->keys[r->pos]);
		if (old && drop)
			drop(old);
		free(r->keys[r->pos]);
	}
	r->keys[r->pos] = xstrdup(key);
	r->pos = (r->pos + 1) % r->cap;
	old = strmap_put(&r->m, key, val);
	if (old && drop)
		drop(old);
}

static void
ring_free(struct ring *r, void (*drop)(void *))
{
	for (size_t i = 0; i < r->cap; i++) {
		if (r->keys[i]) {
			void *v = strmap_del(&r->m, r->keys[i]);

			if (v && drop)
				drop(v);
		}
		free(r->keys[i]);
	}
	free(r->keys);
	strmap_free(&r->m);
}

/* Whether key was seen already; remembers it. */
static bool
seen(struct lark *lk, const char *kind, const char *id)
{
	char *key;
	bool was;

	if (id == NULL || *id == '\0')
		return false;
	key = xasprintf("%s:%s", kind, id);
	was = strmap_get(&lk->seen.m, key) != NULL;
	if (!was)
		ring_put(&lk->seen, key, (void *)1, NULL);
	free(key);
	return was;
}

static void
ask_free(void *p)
{
	struct ask *a = p;

	free(a->text);
	json_decref(a->options);
	json_decref(a->chosen);
	free(a);
}

/* The message that now shows what id showed (an edit past its limit). */
static const char *
resolve(struct lark *lk, const char *id)
{
	const char *next;

	for (int i = 0; i < 64 && (next = strmap_get(&lk->moved, id)) != NULL; i++)
		id = next;
	return id;
}

/* ---- REST ------------------------------------------------------------------ */

static void
rest_free(struct rest *r)
{
	if (r->all_prev)
		r->all_prev->all_next = r->all_next;
	else
		r->lk->rests = r->all_next;
	if (r->all_next)
		r->all_next->all_prev = r->all_prev;
	free(r->method);
	free(r->path);
	json_decref(r->body);
	json_decref(r->fields);
	free(r->file_field);
	free(r->file_path);
	free(r->file_name);
	free(r->file_mime);
	free(r->download);
	free(r);
}

static struct rest *
rest_new(struct lark *lk, const char *method, const char *path, rest_cb done, void *arg)
{
	struct rest *r = xcalloc(1, sizeof(*r));

	r->lk = lk;
	r->method = xstrdup(method);
	r->path = xstrdup(path);
	r->via = lk->calls;
	r->timeout_ms = 30000;
	r->done = done;
	r->arg = arg;
	r->all_next = lk->rests;
	if (lk->rests)
		lk->rests->all_prev = r;
	lk->rests = r;
	return r;
}

static void
read_answer(const struct http_resp *hr, struct answer *a)
{
	const char *h;

	memset(a, 0, sizeof(*a));
	a->status = hr->status;
	a->code = -1;
	a->msg = "";
	if (hr->curl_code != 0) {
		a->net = true;
		a->msg = hr->error;
		return;
	}
	if (hr->body_len > 0)
		a->root = json_loadb(hr->body, hr->body_len, 0, NULL);
	if (json_is_object(a->root)) {
		json_t *c = json_object_get(a->root, "code");

		if (json_is_integer(c))
			a->code = (long)json_integer_value(c);
		if (json_is_string(json_object_get(a->root, "msg")))
			a->msg = json_string_value(json_object_get(a->root, "msg"));
		a->data = json_object_get(a->root, "data");
	}
	if ((h = http_resp_header(hr, "x-ogw-ratelimit-reset")) != NULL)
		a->reset = atof(h);
	if (hr->status >= 500 || hr->status == 0)
		a->net = true;
	if (*a->msg == '\0' && hr->status >= 400)
		a->msg = hr->status >= 500 ? "server error" : "refused";
}

static void token_fetch(struct lark *lk);

static bool
token_fresh(const struct lark *lk)
{
	return lk->token != NULL && monotonic_ms() < lk->token_until;
}

/* Make r once a token is at hand. */
static void
rest_go(struct rest *r)
{
	struct lark *lk = r->lk;

	if (token_fresh(lk)) {
		rest_send(r);
		return;
	}
	r->next = NULL;
	*lk->waiting_tail = r;
	lk->waiting_tail = &r->next;
	token_fetch(lk);
}

static void
rest_answered(void *arg, const struct http_resp *hr)
{
	struct rest *r = arg;
	struct lark *lk = r->lk;
	struct answer a;

	read_answer(hr, &a);
	if ((a.code == LK_TOKEN_INVALID || a.code == LK_TOKEN_MISSING) && !r->token_retry) {
		/* The token went bad before its time: a new one, once. */
		r->token_retry = true;
		free(lk->token);
		lk->token = NULL;
		json_decref(a.root);
		rest_go(r);
		return;
	}
	r->done(r->arg, &a);
	json_decref(a.root);
	rest_free(r);
}

static void
rest_send(struct rest *r)
{
	struct lark *lk = r->lk;
	char *url = xasprintf("%s%s", lk->api, r->path);
	char *auth = xasprintf("Authorization: Bearer %s", lk->token);
	struct http_req *q = http_req_new(url);

	free(url);
	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "POST") != 0)
		http_req_method(q, r->method);
	http_req_header(q, auth);
	free(auth);
	if (r->body) {
		http_req_json(q, r->body);
	}
	if (r->file_path) {
		const char *k;
		json_t *v;

		json_object_foreach(r->fields, k, v)
			http_req_part(q, k, json_string_value(v));
		http_req_part_file(q, r->file_field, r->file_path, r->file_name, r->file_mime);
	}
	if (r->download)
		http_req_download(q, r->download, LK_MAX_DOWNLOAD);
	http_req_timeout(q, r->timeout_ms);
	http_start(r->via, q, rest_answered, r);
}

/* ---- the tenant token --------------------------------------------------------- */

static void
token_waiters_run(struct lark *lk)
{
	struct rest *r = lk->waiting;

	lk->waiting = NULL;
	lk->waiting_tail = &lk->waiting;
	while (r) {
		struct rest *next = r->next;

		rest_send(r);
		r = next;
	}
}

static void
on_token_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	token_fetch(arg);
}

static void
got_token(void *arg, const struct http_resp *hr)
{
	struct lark *lk = arg;
	struct answer a;
	const char *tok;
	json_int_t expire;

	lk->token_fetching = false;
	read_answer(hr, &a);
	tok = json_string_value(json_object_get(a.root, "tenant_access_token"));
	expire = json_integer_value(json_object_get(a.root, "expire"));
	if (a.code == 0 && tok && *tok) {
		long long life = expire > 0 ? (long long)expire * 1000 : 7200000;
		long long margin = life / 5 < LK_TOKEN_MARGIN_MS ? life / 5 : LK_TOKEN_MARGIN_MS;

		free(lk->token);
		lk->token = xstrdup(tok);
		lk->token_until = monotonic_ms() + life - margin;
		lk->token_failures = 0;
		json_decref(a.root);
		if (lk->check_only) {
			printf("ok: app %s, tenant token granted by %s\n",
			    lk->cfg->lark.app_id, lk->api);
			event_base_loopbreak(lk->base);
			return;
		}
		token_waiters_run(lk);
		return;
	}
	if (!a.net && a.code > 0) {
		char *m = xasprintf("lark: the app credentials were refused (code %ld: %s): "
		    "check bot.lark.app_id and app_secret (developer console → Credentials & "
		    "Basic Info)", a.code, a.msg);

		fatal(lk, LARK_EXIT_CONFIG, m);
		free(m);
		json_decref(a.root);
		return;
	}
	lk->token_failures++;
	if (lk->token_failures == 1 || lk->token_failures % 10 == 0)
		warnx("lark: tenant token: %s%s (retrying)", a.net ? "" : "unexpected answer ",
		    *a.msg ? a.msg : "no token");
	json_decref(a.root);
	if (lk->oneshot && lk->token_failures >= 4) {
		fatal(lk, LARK_EXIT_FAIL, "lark: the open platform cannot be reached");
		return;
	}
	{
		long ms = http_backoff_ms(lk->token_failures, 500, 30000);
		struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

		evtimer_add(lk->token_timer, &tv);
	}
}

static void
token_fetch(struct lark *lk)
{
	char *url;
	struct http_req *q;
	json_t *body;

	if (lk->token_fetching || evtimer_pending(lk->token_timer, NULL) || lk->stopping)
		return;
	lk->token_fetching = true;
	url = xasprintf("%s/open-apis/auth/v3/tenant_access_token/internal", lk->api);
	q = http_req_new(url);
	free(url);
	body = json_pack("{s:s, s:s}", "app_id", lk->cfg->lark.app_id, "app_secret",
	    lk->cfg->lark.app_secret);
	http_req_json(q, body);
	json_decref(body);
	http_req_timeout(q, 20000);
	http_start(lk->aux, q, got_token, lk);
}

/* ---- outbound: the bridge's calls ----------------------------------------------- */

struct pending {
	struct lark *lk;
	struct bridge_call call;
	int step;
	char *chat;
	char *key;		/* FILE: the uploaded image or file key */
	bool image;
	char *msg_id;		/* the message made */
	char *old_id;		/* EDIT continued: the message it replaces */
};

static void
pending_free(struct pending *p)
{
	free(p->chat);
	free(p->key);
	free(p->msg_id);
	free(p->old_id);
	free(p);
}

static void
done_now(struct lark *lk, const struct bridge_call *c, enum bridge_status st,
    const char *err)
{
	struct bridge_result res = { st, NULL, 0, false, err };

	bridge_call_done(lk->b, c, &res);
}

/* An answer as the outbox's result. */
static void
classify(const struct answer *a, struct bridge_result *res)
{
	memset(res, 0, sizeof(*res));
	if (a->net) {
		res->status = BRIDGE_RETRY;
		res->error = *a->msg ? a->msg : "network error";
	} else if (a->status == 429 || a->code == LK_RATE_LIMITED) {
		res->status = BRIDGE_WAIT;
		res->retry_after = a->reset > 0 ? a->reset : 1.0;
	} else if (a->code == LK_CHAT_RATE || a->code == LK_TENANT_RATE) {
		res->status = BRIDGE_WAIT;
		res->retry_after = 1.0;
	} else if (a->status >= 200 && a->status < 300 && a->code <= 0) {
		res->status = BRIDGE_OK;
	} else {
		res->status = BRIDGE_FAIL;
		res->error = *a->msg ? a->msg : "refused";
	}
}

static void call_answered(void *arg, const struct answer *a);

/* uuid: the same for a retry of the same chunk of a ref (Lark drops the
 * repeat within an hour), NULL for anonymous sends. */
static char *
send_uuid(const struct bridge_call *c, const char *content)
{
	unsigned char md[32];
	char hex[65];
	struct sha256 ctx;

	if (c->ref == NULL || strlen(c->ref) > 30)
		return NULL;
	sha256_init(&ctx);
	sha256_update(&ctx, c->channel, strlen(c->channel) + 1);
	sha256_update(&ctx, c->ref, strlen(c->ref) + 1);
	sha256_update(&ctx, content, strlen(content));
	sha256_final(&ctx, md);
	sha256_hex(md, hex);
	return xasprintf("%s-%.16s", c->ref, hex);
}

/* POST a message of type to the pending call's chat. */
static void
post_message(struct pending *p, const char *type, const char *content, bool with_uuid)
{
	struct lark *lk = p->lk;
	struct rest *r = rest_new(lk, "POST", "/open-apis/im/v1/messages?receive_id_type=chat_id",
	    call_answered, p);
	char *uuid = with_uuid ? send_uuid(&p->call, content) : NULL;

	r->body = json_pack("{s:s, s:s, s:s}", "receive_id", p->chat, "msg_type", type,
	    "content", content);
	if (uuid)
		json_object_set_new(r->body, "uuid", json_string(uuid));
	free(uuid);
	rest_go(r);
}

static const char *
msg_type(const struct lark *lk)
{
	return lk->cards ? "interactive" : "post";
}

static bool
image_name(const char *name)
{
	static const char *ext[] = { ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp",
	    ".ico", ".tif", ".tiff", ".heic" };

	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if (strlen(name) > strlen(ext[i]) &&
		    strcasecmp(name + strlen(name) - strlen(ext[i]), ext[i]) == 0)
			return true;
	return false;
}

/* Lark's file_type for an upload by its name. */
static const char *
file_type(const char *name)
{
	static const char *map[][2] = { { ".opus", "opus" }, { ".mp4", "mp4" },
	    { ".pdf", "pdf" }, { ".doc", "doc" }, { ".docx", "doc" }, { ".xls", "xls" },
	    { ".xlsx", "xls" }, { ".ppt", "ppt" }, { ".pptx", "ppt" } };

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strlen(name) > strlen(map[i][0]) &&
		    strcasecmp(name + strlen(name) - strlen(map[i][0]), map[i][0]) == 0)
			return map[i][1];
	return "stream";
}

static void
file_upload(struct pending *p)
{
	struct lark *lk = p->lk;
	const char *fp = json_string_value(json_object_get(p->call.action, "path"));
	const char *base = strrchr(fp, '/') ? strrchr(fp, '/') + 1 : fp;
	struct rest *r;
	struct stat st;

	if (stat(fp, &st) == -1) {
		done_now(lk, &p->call, BRIDGE_FAIL, strerror(errno));
		pending_free(p);
		return;
	}
	if (st.st_size == 0) {
		done_now(lk, &p->call, BRIDGE_FAIL, "the file is empty (Lark takes no empty file)");
		pending_free(p);
		return;
	}
	p->image = image_name(base) && st.st_size <= LARK_MAX_IMAGE;
	if (!p->image && st.st_size > LARK_MAX_FILE) {
		done_now(lk, &p->call, BRIDGE_FAIL, "file too large (Lark takes 30 MB at most)");
		pending_free(p);
		return;
	}
	r = rest_new(lk, "POST", p->image ? "/open-apis/im/v1/images" : "/open-apis/im/v1/files",
	    call_answered, p);
	r->fields = p->image ? json_pack("{s:s}", "image_type", "message") :
	    json_pack("{s:s, s:s}", "file_type", file_type(base), "file_name", base);
	r->file_field = xstrdup(p->image ? "image" : "file");
	r->file_path = xstrdup(fp);
	r->file_name = xstrdup(base);
	r->file_mime = xstrdup(attach_guess_mime(base));
	r->timeout_ms = 600000;
	rest_go(r);
}

static void
remember_ask(struct lark *lk, const struct bridge_call *c)
{
	struct ask *a = xcalloc(1, sizeof(*a));
	const char *text = json_string_value(json_object_get(c->action, "text"));

	a->text = xstrdup(text ? text : "");
	a->options = json_incref(json_object_get(c->action, "options"));
	a->multi = json_is_true(json_object_get(c->action, "multi"));
	a->chosen = json_array();
	ring_put(&lk->asks, c->ref, a, ask_free);
}

static void
lk_call(void *ctx, const struct bridge_call *c)
{
	struct lark *lk = ctx;
	struct pending *p;
	struct rest *r;
	char *chat, *path;

	switch (c->kind) {
	case BRIDGE_TYPING:	/* Lark has no typing indicator */
	case BRIDGE_COMMANDS:	/* nor a command menu */
	case BRIDGE_CUSTOM:
		done_now(lk, c, BRIDGE_OK, NULL);
		return;
	default:
		break;
	}
	if ((chat = chat_of(c->channel)) == NULL) {
		done_now(lk, c, BRIDGE_FAIL, "not a Lark chat");
		return;
	}
	p = xcalloc(1, sizeof(*p));
	p->lk = lk;
	p->call = *c;
	p->chat = chat;
	switch (c->kind) {
	case BRIDGE_SEND:
		post_message(p, msg_type(lk), c->text, true);
		break;
	case BRIDGE_EDIT:
		path = xasprintf("/open-apis/im/v1/messages/%s", resolve(lk, c->msg_id));
		r = rest_new(lk, lk->cards ? "PATCH" : "PUT", path, call_answered, p);
		free(path);
		r->body = lk->cards ? json_pack("{s:s}", "content", c->text) :
		    json_pack("{s:s, s:s}", "msg_type", "post", "content", c->text);
		rest_go(r);
		break;
	case BRIDGE_DELETE:
		path = xasprintf("/open-apis/im/v1/messages/%s", resolve(lk, c->msg_id));
		rest_go(rest_new(lk, "DELETE", path, call_answered, p));
		free(path);
		break;
	case BRIDGE_ASK: {
		const char *text = json_string_value(json_object_get(c->action, "text"));
		char *card = lark_ask_card(text, json_object_get(c->action, "options"),
		    json_is_true(json_object_get(c->action, "multi")), c->ref ? c->ref : "",
		    NULL, NULL);

		if (card == NULL || c->ref == NULL) {
			free(card);
			done_now(lk, c, BRIDGE_FAIL, "a question needs a ref and options with "
			    "a label and a value");
			pending_free(p);
			return;
		}
		if (strlen(card) > LARK_CONTENT_LIMIT) {
			free(card);
			done_now(lk, c, BRIDGE_FAIL, "the question is too long for a card");
			pending_free(p);
			return;
		}
		remember_ask(lk, c);
		post_message(p, "interactive", card, true);
		free(card);
		break;
	}
	case BRIDGE_FILE:
		file_upload(p);
		break;
	default:
		done_now(lk, c, BRIDGE_FAIL, "not a call Lark makes");
		pending_free(p);
		break;
	}
}

/* A side call whose answer only matters for the log. */
static void
side_answered(void *arg, const struct answer *a)
{
	char *what = arg;

	if (a->net || a->code > 0 || a->status >= 400)
		warnx("lark: %s: %ld %s", what, a->code > 0 ? a->code : a->status, a->msg);
	free(what);
}

static void
call_answered(void *arg, const struct answer *a)
{
	struct pending *p = arg;
	struct lark *lk = p->lk;
	struct bridge_result res;
	const char *id;

	classify(a, &res);
	switch (p->call.kind) {
	case BRIDGE_SEND:
	case BRIDGE_ASK:
		if (res.status == BRIDGE_OK) {
			id = json_string_value(json_object_get(a->data, "message_id"));
			if (id == NULL) {
				res.status = BRIDGE_FAIL;
				res.error = "no message_id in the answer";
			}
			res.msg_id = id;
		}
		break;
	case BRIDGE_EDIT:
		if (p->step == 0 && (a->code == LK_EDIT_LIMIT || a->code == LK_TOO_OLD)) {
			/* The message takes no more edits: the reply continues
			 * in a new one, the old one goes. */
			p->step = 1;
			p->old_id = xstrdup(resolve(lk, p->call.msg_id));
			post_message(p, msg_type(lk), p->call.text, false);
			return;
		}
		if (p->step == 1 && res.status == BRIDGE_OK) {
			char *path;

			id = json_string_value(json_object_get(a->data, "message_id"));
			if (id == NULL) {
				res.status = BRIDGE_FAIL;
				res.error = "no message_id in the answer";
				break;
			}
			free(strmap_put(&lk->moved, p->old_id, xstrdup(id)));
			path = xasprintf("/open-apis/im/v1/messages/%s", p->old_id);
			rest_go(rest_new(lk, "DELETE", path, side_answered,
			    xasprintf("recalling %s", p->old_id)));
			free(path);
		}
		break;
	case BRIDGE_DELETE:
		/* already recalled or gone: done */
		if (res.status == BRIDGE_FAIL && (a->code == 230011 || a->status == 404))
			res.status = BRIDGE_OK;
		break;
	case BRIDGE_FILE:
		if (res.status != BRIDGE_OK)
			break;
		if (p->step == 0) {
			const char *key = json_string_value(json_object_get(a->data,
			    p->image ? "image_key" : "file_key"));
			char *content;

			if (key == NULL) {
				res.status = BRIDGE_FAIL;
				res.error = "no key in the upload's answer";
				break;
			}
			p->key = xstrdup(key);
			p->step = 1;
			{
				json_t *cj = json_pack("{s:s}", p->image ? "image_key" :
				    "file_key", key);

				content = json_dumps(cj, JSON_COMPACT);
				json_decref(cj);
			}
			post_message(p, p->image ? "image" : "file", content, false);
			free(content);
			return;
		}
		if (p->step == 1) {
			const char *fp = json_string_value(json_object_get(p->call.action,
			    "path"));
			const char *base = strrchr(fp, '/') ? strrchr(fp, '/') + 1 : fp;
			const char *cap = json_string_value(json_object_get(p->call.action,
			    "caption"));
			char **chunks = NULL;
			size_t n;

			id = json_string_value(json_object_get(a->data, "message_id"));
			p->msg_id = xstrdup(id ? id : "");
			if (cap && *cap && strcmp(cap, base) != 0 &&
			    (n = lark_md_chunks(cap, lk->cards, LARK_CONTENT_LIMIT,
			    &chunks)) > 0) {
				p->step = 2;
				post_message(p, msg_type(lk), chunks[0], false);
				for (size_t i = 0; i < n; i++)
					free(chunks[i]);
				free(chunks);
				return;
			}
			free(chunks);
		}
		res.msg_id = p->msg_id && *p->msg_id ? p->msg_id : NULL;
		break;
	default:
		break;
	}
	if (res.status == BRIDGE_FAIL && p->call.kind == BRIDGE_EDIT && a->code == 230001)
		res.error = "message to edit not found";
	bridge_call_done(lk->b, &p->call, &res);
	pending_free(p);
}

static size_t
lk_render(void *ctx, const char *md, char ***chunks)
{
	struct lark *lk = ctx;

	return lark_md_chunks(md, lk->cards, LARK_CONTENT_LIMIT, chunks);
}

/* ---- inbound: events in order ----------------------------------------------- */

struct fetch {
	struct lark *lk;
	struct bridge_event *e;
	char *path, *name, *channel;
};

static void
got_resource(void *arg, const struct answer *a)
{
	struct fetch *f = arg;
	struct lark *lk = f->lk;
	struct stat st;

	if (a->net || a->status != 200 || a->code > 0 || stat(f->path, &st) == -1)
		bridge_file_lost(lk->b, f->channel, f->name,
		    *a->msg ? a->msg : "the download failed");
	else
		bridge_event_add_file(f->e, f->path, f->name, attach_guess_mime(f->name),
		    st.st_size);
	bridge_event_release(f->e);
	free(f->path);
	free(f->name);
	free(f->channel);
	free(f);
}

static void
fetch_resources(struct lark *lk, struct bridge_event *e, struct lark_res *res, size_t n,
    const char *channel)
{
	for (size_t i = 0; i < n; i++) {
		struct fetch *f;
		struct rest *r;
		char *key, *path;

		if (mkdir_p(lk->download_dir, 0700) == -1) {
			warn("%s", lk->download_dir);
			return;
		}
		f = xcalloc(1, sizeof(*f));
		f->lk = lk;
		f->e = e;
		key = attach_safe_name(res[i].key);
		/* lark-KEY-NAME, or lark-KEY.png for an image named after its key */
		if (str_starts(res[i].name, key))
			f->path = xasprintf("%s/lark-%s", lk->download_dir, res[i].name);
		else
			f->path = xasprintf("%s/lark-%s-%s", lk->download_dir, key,
			    res[i].name);
		free(key);
		f->name = xstrdup(res[i].name);
		f->channel = xstrdup(channel);
		path = xasprintf("/open-apis/im/v1/messages/%s/resources/%s?type=%s",
		    res[i].message_id, res[i].key, res[i].type);
		r = rest_new(lk, "GET", path, got_resource, f);
		free(path);
		r->via = lk->aux;
		r->download = xstrdup(f->path);
		r->timeout_ms = 300000;
		bridge_event_hold(e);
		rest_go(r);
	}
}

static bool
chat_allowed(struct lark *lk, const char *chat)
{
	const struct strlist *ac = &lk->cfg->lark.allowed_chats;

	return ac->n == 0 || strlist_has(ac, chat);
}

static void
on_message(struct lark *lk, json_t *event)
{
	struct lark_res *res = NULL;
	size_t nres = 0;
	const char *ctype, *mid, *channel, *user;
	json_t *ev = lark_message_event(event, &lk->cfg->lark.admin_users, &res, &nres,
	    &ctype, &mid);
	struct bridge_event *e;

	if (ev == NULL)
		return;
	if (seen(lk, "m", mid)) {	/* the same message in another event */
		json_decref(ev);
		lark_res_free(res, nres);
		return;
	}
	channel = json_string_value(json_object_get(ev, "channel"));
	user = json_string_value(json_object_get(ev, "user"));
	if (!chat_allowed(lk, channel + 5)) {
		warnx("lark: refused a message from %s in %s (%s): not in allowed_chats", user,
		    channel + 5, ctype ? ctype : "chat");
		json_decref(ev);
		lark_res_free(res, nres);
		return;
	}
	e = bridge_event_queue(lk->b, ev);
	fetch_resources(lk, e, res, nres, channel);
	lark_res_free(res, nres);
	bridge_event_release(e);
}

/* A press on a question's button: the response shows the result. */
static char *
on_press(struct lark *lk, json_t *event)
{
	struct lark_press p;
	struct ask *a;
	json_t *resp = NULL, *toast;
	char *card = NULL, *out, *channel, *value = NULL, *labels;

	if (!lark_card_press(event, &p))
		return NULL;
	if (!chat_allowed(lk, p.chat_id)) {
		warnx("lark: refused a press from %s in %s: not in allowed_chats", p.user,
		    p.chat_id);
		return xstrdup("{\"toast\":{\"type\":\"error\",\"content\":"
		    "\"This chat is not configured for Codecast.\"}}");
	}
	a = strmap_get(&lk->asks.m, p.ref);
	if (a == NULL)
		return xstrdup("{\"toast\":{\"type\":\"warning\",\"content\":"
		    "\"This question is no longer open.\"}}");
	if (a->multi && !p.done) {
		/* Toggle the option; the card shows what is chosen. */
		bool had = false;
		json_t *x;
		size_t i;

		json_array_foreach(a->chosen, i, x)
			if (strcmp(json_string_value(x), p.value) == 0) {
				json_array_remove(a->chosen, i);
				had = true;
				break;
			}
		if (!had)
			json_array_append_new(a->chosen, json_string(p.value));
		card = lark_ask_card(a->text, a->options, true, p.ref, a->chosen, NULL);
		toast = json_pack("{s:s, s:s}", "type", "info", "content", had ?
		    "Removed" : "Added");
	} else {
		if (a->multi) {
			struct buf v = { 0 };
			json_t *x;
			size_t i;

			json_array_foreach(a->chosen, i, x) {
				if (v.len)
					buf_putc(&v, ',');
				buf_puts(&v, json_string_value(x));
			}
			value = v.s ? buf_steal(&v) : xstrdup("");
		} else
			value = xstrdup(p.value);
		labels = lark_ask_labels(a->options, value);
		card = lark_ask_card(a->text, a->options, a->multi, p.ref, NULL,
		    *labels ? labels : "(none)");
		toast = json_pack("{s:s, s:s+}", "type", "success", "content", "Chosen: ",
		    *labels ? labels : "(none)");
		free(labels);
		channel = xasprintf("lark:%s", p.chat_id);
		bridge_event_post(lk->b, json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s}",
		    "type", "button", "channel", channel, "user", p.user, "name", p.user,
		    "admin", strlist_has(&lk->cfg->lark.admin_users, p.user), "ref", p.ref,
		    "value", value));
		free(channel);
		free(value);
		/* answered: forget it (a second press finds it closed) */
		{
			struct ask *gone = strmap_del(&lk->asks.m, p.ref);

			ask_free(gone);
		}
	}
	resp = json_pack("{s:o}", "toast", toast);
	if (card) {
		json_t *cj = json_loads(card, 0, NULL);

		if (cj)
			json_object_set_new(resp, "card", json_pack("{s:s, s:o}", "type", "raw",
			    "data", cj));
		free(card);
	}
	out = json_dumps(resp, JSON_COMPACT);
	json_decref(resp);
	return out;
}

/* Any event, from the long connection or a callback: the response body
 * (card presses), or NULL. */
static char *
handle_event(struct lark *lk, struct lark_event *ev)
{
	if (seen(lk, "e", ev->event_id))
		return NULL;	/* redelivered: acknowledged, not handled again */
	if (ev->type == NULL)
		return NULL;
	if (strcmp(ev->type, "im.message.receive_v1") == 0)
		on_message(lk, ev->event);
	else if (strcmp(ev->type, "card.action.trigger") == 0)
		return on_press(lk, ev->event);
	return NULL;
}

static char *
cb_event(void *arg, struct lark_event *ev)
{
	return handle_event(arg, ev);
}

/* ---- the long connection ------------------------------------------------------ */

static void
arm(struct event *ev, long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_del(ev);
	evtimer_add(ev, &tv);
}

static void
send_ping(struct lark *lk)
{
	size_t n;
	unsigned char *f = lark_ping(lk->service, &n);

	ws_send(lk->ws, f, n, true);
	free(f);
}

/* Try again: after a drop within ReconnectNonce, else every
 * ReconnectInterval (before the server gave one: 1 s doubling up to it);
 * ReconnectCount times. */
static void
lc_retry(struct lark *lk)
{
	long ms;

	if (lk->stopping)
		return;
	lk->attempts++;
	if (lk->conf.reconnect_count >= 0 && lk->attempts > lk->conf.reconnect_count + 1) {
		fatal(lk, LARK_EXIT_FAIL, "lark: long connection: giving up after "
		    "ReconnectCount attempts");
		return;
	}
	if (lk->dropped) {
		lk->dropped = false;
		ms = lk->conf.reconnect_nonce > 0 ?
		    (long)arc4random_uniform((uint32_t)(lk->conf.reconnect_nonce * 1000)) : 0;
	} else if (lk->have_conf && lk->conf.reconnect_interval > 0)
		ms = lk->conf.reconnect_interval * 1000;
	else	/* no ClientConfig yet: back off up to the default interval */
		ms = http_backoff_ms(lk->attempts, 1000, lk->conf.reconnect_interval > 0 ?
		    lk->conf.reconnect_interval * 1000 : 60000);
	arm(lk->conn_timer, ms);
}

static void
on_ping_timer(evutil_socket_t fd, short what, void *arg)
{
	struct lark *lk = arg;
	long iv = lk->conf.ping_interval * 1000;

	(void)fd;
	(void)what;
	if (!ws_is_open(lk->ws))
		return;
	if (monotonic_ms() - lk->last_pong > 3 * iv + 5000) {
		warnx("lark: long connection: no pong in %ld s: reconnecting",
		    (long)((monotonic_ms() - lk->last_pong) / 1000));
		ws_close(lk->ws, WS_GOING_AWAY, "no pong");
		lk->dropped = true;
		lc_retry(lk);
		return;
	}
	send_ping(lk);
	arm(lk->ping_timer, iv);
}

static void
ack(struct lark *lk, const struct lark_frame *f, int code, long long t0, const char *data)
{
	size_t n;
	unsigned char *a = lark_ack(f, code, monotonic_ms() - t0, data, &n);

	if (ws_send(lk->ws, a, n, true) == -1)
		warnx("lark: long connection: closed before an ack could be sent");
	free(a);
}

static void
on_data(struct lark *lk, struct lark_frame *f)
{
	long long t0 = monotonic_ms();
	const char *type = lark_frame_header(f, "type");
	const char *sum_s = lark_frame_header(f, "sum"), *seq_s = lark_frame_header(f, "seq");
	const char *fmid = lark_frame_header(f, "message_id");
	long long sum = 1, seq = 0;
	unsigned char *whole = NULL;
	const unsigned char *payload = f->payload;
	size_t len = f->payload_len;
	struct lark_event ev;
	char *resp = NULL;

	if (sum_s && !str_to_ll(sum_s, 1, LARK_FRAG_MAX_SUM, &sum))
		sum = 1;
	if (seq_s && !str_to_ll(seq_s, 0, LARK_FRAG_MAX_SUM - 1, &seq))
		seq = 0;
	if (sum > 1) {
		whole = lark_frags_add(lk->frags, fmid, (long)sum, (long)seq, f->payload,
		    f->payload_len, t0, &len);
		if (whole == NULL)
			return;		/* more to come */
		payload = whole;
	}
	if (type == NULL || (strcmp(type, "event") != 0 && strcmp(type, "card") != 0) ||
	    payload == NULL || lark_event_parse((const char *)payload, len, &ev) == -1) {
		warnx("lark: long connection: a data frame that is not an event (type %s)",
		    type ? type : "none");
		ack(lk, f, 500, t0, NULL);
		free(whole);
		return;
	}
	resp = handle_event(lk, &ev);
	ack(lk, f, 200, t0, resp);
	free(resp);
	json_decref(ev.root);
	free(whole);
}

static void
ws_message(void *arg, const char *data, size_t len, bool binary)
{
	struct lark *lk = arg;
	struct lark_frame f;
	const char *type;

	if (!binary || lark_frame_decode(data, len, &f) == -1) {
		warnx("lark: long connection: a message that is not a frame (skipped)");
		return;
	}
	type = lark_frame_header(&f, "type");
	if (f.method == LARK_METHOD_CONTROL) {
		if (type && strcmp(type, "pong") == 0) {
			long before = lk->conf.ping_interval;

			lk->last_pong = monotonic_ms();
			lark_wsconf_apply_text(&lk->conf, f.payload, f.payload_len);
			if (lk->conf.ping_interval != before)
				arm(lk->ping_timer, lk->conf.ping_interval * 1000);
		}
	} else if (f.method == LARK_METHOD_DATA)
		on_data(lk, &f);
	lark_frame_free(&f);
}

static void
ws_open(void *arg)
{
	struct lark *lk = arg;

	if (lk->attempts > 1)
		warnx("lark: long connection: connected again");
	lk->attempts = 0;
	lk->last_pong = monotonic_ms();
	send_ping(lk);
	arm(lk->ping_timer, lk->conf.ping_interval * 1000);
}

static void
ws_closed(void *arg, int code, const char *reason)
{
	struct lark *lk = arg;

	evtimer_del(lk->ping_timer);
	if (lk->stopping)
		return;
	if (lk->attempts == 0 || lk->attempts % 10 == 0)
		warnx("lark: long connection closed (%d%s%s): reconnecting", code,
		    *reason ? ": " : "", reason);
	lk->dropped = lk->attempts == 0;
	lc_retry(lk);
}

/* The value of header name in "name: value\n" lines, malloc'd, or NULL. */
static char *
hline(const char *lines, const char *name)
{
	size_t nl = strlen(name);

	for (const char *p = lines; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1 + strspn(p + nl + 1, " ");

			return xstrndup(v, strcspn(v, "\n"));
		}
	return NULL;
}

static void
ws_refused(void *arg, int status, const char *headers)
{
	struct lark *lk = arg;
	char *hs = hline(headers, "handshake-status");
	char *hm = hline(headers, "handshake-msg");
	char *ha = hline(headers, "handshake-autherrcode");
	long auth = ha ? atol(ha) : 0;
	char *m;

	if (auth == LK_CONN_LIMIT) {
		m = xasprintf("lark: long connection refused (HTTP %d, autherrcode %ld%s%s): "
		    "too many connections for this app (Lark allows 50); stop the other "
		    "clients", status, auth, hm ? ": " : "", hm ? hm : "");
		fatal(lk, LARK_EXIT_TAKEN, m);
	} else if (status == 403 || (hs && atol(hs) == 403)) {
		m = xasprintf("lark: long connection refused (HTTP %d%s%s%s%s): check "
		    "bot.lark.app_id and app_secret, and that the app subscribes to events "
		    "by long connection (developer console → Events & Callbacks)", status,
		    ha ? ", autherrcode " : "", ha ? ha : "", hm ? ": " : "", hm ? hm : "");
		fatal(lk, LARK_EXIT_CONFIG, m);
	} else {
		m = xasprintf("lark: long connection: upgrade refused (HTTP %d%s%s): retrying",
		    status, hm ? ": " : "", hm ? hm : "");
		if (lk->attempts <= 1 || lk->attempts % 10 == 0)
			warnx("%s", m);
	}
	free(m);
	free(hs);
	free(hm);
	free(ha);
}

static void
got_endpoint(void *arg, const struct http_resp *hr)
{
	struct lark *lk = arg;
	struct lark_endpoint ep;
	const char *err;
	char *m;

	if (lk->stopping)
		return;
	switch (lark_endpoint_parse(hr->status, hr->body, hr->body_len, &lk->conf, &ep)) {
	case LARK_DISC_OK:
		lk->have_conf = true;
		lk->service = ep.service;
		if (ws_connect(lk->ws, ep.url, &err) == -1) {
			m = xasprintf("lark: long connection: %s: %s", ep.url, err);
			fatal(lk, LARK_EXIT_CONFIG, m);
			free(m);
		}
		break;
	case LARK_DISC_RETRY:
		if (lk->attempts <= 1 || lk->attempts % 10 == 0)
			warnx("lark: long connection: discovery: %s (retrying)",
			    hr->curl_code ? hr->error : *ep.msg ? ep.msg : "no endpoint");
		lc_retry(lk);
		break;
	case LARK_DISC_FATAL:
		m = xasprintf("lark: long connection refused (code %ld: %s): check "
		    "bot.lark.app_id and app_secret, and that the app is a custom app "
		    "with events by long connection (developer console)", ep.code, ep.msg);
		fatal(lk, LARK_EXIT_CONFIG, m);
		free(m);
		break;
	}
	lark_endpoint_free(&ep);
}

/* Discovery, then the WebSocket. */
static void
lc_connect(struct lark *lk)
{
	char *url;
	struct http_req *q;
	json_t *body;

	if (lk->stopping)
		return;
	if (lk->attempts == 0)
		lk->attempts = 1;
	url = xasprintf("%s/callback/ws/endpoint", lk->api);
	q = http_req_new(url);
	free(url);
	body = json_pack("{s:s, s:s}", "AppID", lk->cfg->lark.app_id, "AppSecret",
	    lk->cfg->lark.app_secret);
	http_req_header(q, "locale: zh");
	http_req_json(q, body);
	json_decref(body);
	http_req_timeout(q, 20000);
	http_start(lk->aux, q, got_endpoint, lk);
}

static void
on_conn_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	lc_connect(arg);
}

/* ---- life ---------------------------------------------------------------------- */

static char *
api_base(const char *domain)
{
	char *s;

	if (strcmp(domain, "feishu") == 0)
		return xstrdup("https://open.feishu.cn");
	if (strcmp(domain, "lark") == 0)
		return xstrdup("https://open.larksuite.com");
	s = xstrdup(domain);
	while (str_ends(s, "/"))
		s[strlen(s) - 1] = '\0';
	return s;
}

static struct lark *
lk_new(const struct config *cfg, const struct lark_opts *o, bool oneshot)
{
	static const struct bridge_platform plat = { lk_render, lk_call, NULL, NULL };
	static const struct ws_callbacks wcb = { ws_open, ws_message, ws_closed,
	    ws_refused };
	static const char *const refusal[] = { "handshake-status", "handshake-msg",
	    "handshake-autherrcode", NULL };
	struct ws_opts wo = { 0 };
	struct bridge_config bc = { 0 };
	struct lark *lk;

	if (!cfg->lark.present || cfg->lark.app_id == NULL || *cfg->lark.app_id == '\0' ||
	    cfg->lark.app_secret == NULL || *cfg->lark.app_secret == '\0') {
		warnx("%s: bot.lark needs app_id and app_secret", cfg->path);
		return NULL;
	}
	lk = xcalloc(1, sizeof(*lk));
	lk->cfg = cfg;
	lk->oneshot = oneshot;
	if (o)
		lk->o = *o;
	if (lk->o.edit_interval <= 0)
		lk->o.edit_interval = 1.0;
	if (lk->o.global_rate <= 0)
		lk->o.global_rate = 40;	/* Lark allows 50 per second per app */
	lk->cards = cfg->lark.use_cards;
	lk->api = api_base(cfg->lark.domain ? cfg->lark.domain : "feishu");
	lk->download_dir = xstrdup(cfg->lark.download_dir ? cfg->lark.download_dir :
	    cfg->file_forward.download_dir);
	lk->base = event_base_new();
	if (lk->base == NULL)
		errx(1, "event_base_new failed");
	lk->waiting_tail = &lk->waiting;
	lk->calls = http_new(lk->base, 8);
	lk->aux = http_new(lk->base, 4);
	wo.refusal_headers = refusal;
	lk->ws = ws_new(lk->base, &wcb, lk, &wo);
	lark_wsconf_default(&lk->conf);
	lk->frags = lark_frags_new();
	lk->token_timer = evtimer_new(lk->base, on_token_timer, lk);
	lk->ping_timer = evtimer_new(lk->base, on_ping_timer, lk);
	lk->conn_timer = evtimer_new(lk->base, on_conn_timer, lk);
	ring_init(&lk->seen, LK_SEEN_MAX);
	ring_init(&lk->asks, LK_ASKS_MAX);
	bc.hello = json_pack("{s:s, s:s, s:i, s:b, s:f, s:b, s:b, s:I}", "type", "hello",
	    "platform", "lark", "max_len", LARK_MAX_LEN, "can_edit", 1, "edit_interval",
	    lk->o.edit_interval, "buttons", 1, "files", 1, "max_file",
	    (json_int_t)LARK_MAX_FILE);
	bc.channel_interval = 0.25;	/* 5 messages per second per chat */
	bc.global_rate = lk->o.global_rate;
	bc.max_file = LARK_MAX_FILE;
	bc.max_inflight = 8;
	lk->b = bridge_new(lk->base, &bc, &plat, lk);
	json_decref(bc.hello);
	return lk;
}

/* A call that never completed (the bridge stopped): its arg too. */
static void
rest_abandon(struct rest *r)
{
	if (r->done == call_answered)
		pending_free(r->arg);
	else if (r->done == got_resource) {
		struct fetch *f = r->arg;

		free(f->path);
		free(f->name);
		free(f->channel);
		free(f);
	} else if (r->done == side_answered)
		free(r->arg);
	rest_free(r);
}

static void
lk_free(struct lark *lk)
{
	if (lk == NULL)
		return;
	ws_free(lk->ws);
	lark_cb_free(lk->cb);
	/* No callback runs after these: what is left of the calls goes. */
	http_free(lk->calls);
	http_free(lk->aux);
	while (lk->rests)
		rest_abandon(lk->rests);
	bridge_free(lk->b);
	lark_frags_free(lk->frags);
	ring_free(&lk->seen, NULL);
	ring_free(&lk->asks, ask_free);
	strmap_free_with(&lk->moved, NULL);
	event_free(lk->token_timer);
	event_free(lk->ping_timer);
	event_free(lk->conn_timer);
	event_base_free(lk->base);
	free(lk->api);
	free(lk->download_dir);
	free(lk->token);
	free(lk);
}

/* The first calls: the long connection, or in callback mode the token
 * (the credentials are checked at once). */
static void
lk_start(void *arg)
{
	struct lark *lk = arg;

	if (lk->cb)
		token_fetch(lk);
	else
		lc_connect(lk);
}

int
lark_run(const struct config *cfg, const struct lark_opts *o)
{
	struct lark *lk = lk_new(cfg, o, false);
	bool callback;
	int rc;

	if (lk == NULL)
		return LARK_EXIT_CONFIG;
	callback = cfg->lark.mode && strcmp(cfg->lark.mode, "callback") == 0;
	if (callback) {
		struct lark_cb_opts co = { cfg->lark.bind, cfg->lark.port,
		    cfg->lark.encrypt_key, cfg->lark.verification_token };
		char *err = NULL;

		lk->cb = lark_cb_new(lk->base, &co, cb_event, lk, &err);
		if (lk->cb == NULL) {
			warnx("lark: callback listener: %s", err);
			free(err);
			lk_free(lk);
			return LARK_EXIT_CONFIG;
		}
		if (lk->o.port_file &&
		    port_file_write(lk->o.port_file, lark_cb_port(lk->cb)) == -1)
			warn("%s", lk->o.port_file);
	}
	rc = bridge_serve(lk->b, &lk->stopping, lk_start, lk) == -1 ? LARK_EXIT_FAIL :
	    lk->exit_code;
	lk_free(lk);
	return rc;
}

static int
oneshot(const struct config *cfg, json_t *action)
{
	struct lark *lk = lk_new(cfg, NULL, true);
	int rc;

	if (lk == NULL) {
		json_decref(action);
		return LARK_EXIT_CONFIG;
	}
	rc = bridge_oneshot(lk->b, action, &lk->stopping);
	rc = lk->exit_code ? lk->exit_code : rc ? LARK_EXIT_FAIL : 0;
	lk_free(lk);
	return rc;
}

static char *
oneshot_channel(const char *chat)
{
	char *id = chat_of(chat), *ch;

	if (id == NULL) {
		warnx("%s: not a chat id (oc_... or lark:oc_...)", chat);
		return NULL;
	}
	ch = xasprintf("lark:%s", id);
	free(id);
	return ch;
}

int
lark_oneshot(const struct config *cfg, const struct bridge_args *a)
{
	char *ch = oneshot_channel(a->target);
	json_t *act;

	if (ch == NULL)
		return 2;
	act = bridge_args_action(a, ch);
	free(ch);
	return act ? oneshot(cfg, act) : 2;
}

int
lark_check(const struct config *cfg)
{
	struct lark *lk = lk_new(cfg, NULL, true);
	int rc;

	if (lk == NULL)
		return LARK_EXIT_CONFIG;
	lk->check_only = true;
	token_fetch(lk);
	event_base_dispatch(lk->base);
	rc = lk->exit_code ? lk->exit_code : lk->token ? 0 : LARK_EXIT_FAIL;
	lk_free(lk);
	return rc;
}
