/* discord.c — the Discord gateway and REST API behind the bridge.  See
 * discord.h. */
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
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
#include "discord.h"
#include "discord_gw.h"
#include "discord_rl.h"
#include "http.h"
#include "msgsplit.h"
#include "paths.h"
#include "strmap.h"
#include "util.h"
#include "ws.h"

#define DC_MAX_UPLOAD		10485760LL	/* 10 MiB: Discord's default */
#define DC_MAX_DOWNLOAD		52428800LL
#define DC_TOKEN_LIFE_MS	(15 * 60 * 1000LL)	/* interaction tokens */
#define DC_COMPLETE_LIFE_MS	3000LL
#define DC_IDENTIFY_GAP_MS	5000LL
#define DC_USER_AGENT		"User-Agent: DiscordBot (https://github.com/Chivier/remote-claude, " CC_VERSION ")"

struct token {			/* an interaction's webhook token */
	char *id;		/* the interaction (autocomplete) */
	char *token;
	long long expires;
};

struct dc {
	const struct config *cfg;
	struct event_base *base;
	struct http *calls, *aux;
	struct bridge *b;
	struct dc_rl *rl;
	struct ws *ws;
	char *api;		/* base URL, no trailing slash */
	char *token;		/* without "Bot " */
	char *auth;		/* "Authorization: Bot TOKEN" */
	/* gateway */
	char *gateway_url, *resume_url, *session_id;
	long long seq;
	char *app_id, *bot_id;
	long hb_interval;
	bool acked, resuming, want_resume;
	int failures;
	long long last_identify, identify_ok_at;
	struct event *hb_timer, *conn_timer;
	/* state */
	struct strmap parents;		/* channel id → parent id ("" none) */
	struct strmap deferred;		/* "discord:ID" → struct token */
	struct strmap imsgs;		/* message id → struct token */
	struct strmap completes;	/* ref → struct token */
	json_t *commands;		/* the engine's list */
	bool commands_due;		/* registration waits for READY */
	unsigned complete_seq;
	/* life */
	int exit_code;
	bool stopping, oneshot;
	struct discord_opts o;
};

static void gw_connect(struct dc *dc);
static void register_commands(struct dc *dc, const struct bridge_call *c);

/* ---- small helpers -------------------------------------------------------- */

static void
token_free(void *p)
{
	struct token *t = p;

	if (t == NULL)
		return;
	free(t->id);
	free(t->token);
	free(t);
}

static struct token *
token_new(const char *id, const char *tok, long long life)
{
	struct token *t = xcalloc(1, sizeof(*t));

	t->id = xstrdup(id ? id : "");
	t->token = xstrdup(tok);
	t->expires = monotonic_ms() + life;
	return t;
}

/* "discord:ID" or "ID" → ID (malloc'd), NULL when it is not one. */
static char *
channel_id(const char *channel)
{
	const char *s = str_starts(channel, "discord:") ? channel + 8 : channel;
	json_t *j = json_string(s);
	char *id = dc_id(j);

	json_decref(j);
	return id;
}

static void
fatal(struct dc *dc, int code, const char *msg)
{
	if (dc->exit_code == 0)
		warnx("%s", msg);
	dc->exit_code = code;
	dc->stopping = true;
	event_base_loopbreak(dc->base);
}

static struct http_req *
api_req(struct dc *dc, const char *method, const char *path)
{
	char *url = xasprintf("%s%s", dc->api, path);
	struct http_req *q = http_req_new(url);

	free(url);
	if (strcmp(method, "GET") != 0)
		http_req_method(q, method);	/* a POST may have no body */
	http_req_header(q, dc->auth);
	http_req_header(q, DC_USER_AGENT);
	http_req_timeout(q, 30000);
	return q;
}

/* What Discord said, for the rate limits and the error. */
struct answer {
	long status;
	int code;		/* JSON error code, 0 */
	const char *message;	/* "" when none */
	double retry_after;
	bool global;
	json_t *root;		/* the body, parsed */
	bool net;		/* network failure or 5xx */
};

static void
read_answer(struct dc *dc, const char *method, const char *path,
    const struct http_resp *r, struct answer *a)
{
	struct dc_rl_answer ra = { 0 };
	const char *h;

	memset(a, 0, sizeof(*a));
	a->status = r->status;
	a->message = "";
	if (r->curl_code != 0) {
		a->net = true;
		a->message = r->error;
		return;
	}
	a->root = json_loadb(r->body, r->body_len, 0, NULL);
	if (json_is_object(a->root)) {
		a->code = (int)json_integer_value(json_object_get(a->root, "code"));
		if (json_is_string(json_object_get(a->root, "message")))
			a->message = json_string_value(json_object_get(a->root, "message"));
		a->retry_after = json_number_value(json_object_get(a->root, "retry_after"));
		a->global = json_is_true(json_object_get(a->root, "global"));
	}
	if (r->status == 429 && a->retry_after <= 0 &&
	    (h = http_resp_header(r, "Retry-After")) != NULL)
		a->retry_after = atof(h);
	if (r->status == 429 && a->retry_after <= 0)
		a->retry_after = 1;
	if (r->status >= 500 || r->status == 0)
		a->net = true;
	if (*a->message == '\0' && r->status >= 400)
		a->message = r->status >= 500 ? "server error" : "refused";
	ra.status = r->status;
	ra.bucket = http_resp_header(r, "X-RateLimit-Bucket");
	ra.limit = http_resp_header(r, "X-RateLimit-Limit");
	ra.remaining = http_resp_header(r, "X-RateLimit-Remaining");
	ra.reset_after = http_resp_header(r, "X-RateLimit-Reset-After");
	ra.global = http_resp_header(r, "X-RateLimit-Global");
	ra.scope = http_resp_header(r, "X-RateLimit-Scope");
	ra.retry_after = a->retry_after;
	ra.body_global = a->global;
	dc_rl_learn(dc->rl, method, path, &ra, monotonic_ms());
	if (r->status == 401)
		fatal(dc, DC_EXIT_CONFIG, "discord: 401 Unauthorized: the bot token is wrong "
		    "(bot.discord.token; Developer Portal → Bot → Reset Token)");
	if (r->status == 429 && a->global)
		warnx("discord: %s %s: global rate limit, waiting %.2fs", method, path,
		    a->retry_after);
}

/* A call outside the outbox (interaction callbacks): exempt from the
 * buckets' order, made at once. */
struct side {
	struct dc *dc;
	char *method, *path;
};

static void
side_done(void *arg, const struct http_resp *r)
{
	struct side *s = arg;
	struct answer a;

	read_answer(s->dc, s->method, s->path, r, &a);
	if (r->status < 200 || r->status >= 300)
		warnx("discord: %s %s: %ld %s", s->method, s->path, r->status, a.message);
	json_decref(a.root);
	free(s->method);
	free(s->path);
	free(s);
}

static void
side_call(struct dc *dc, const char *method, const char *path, json_t *body)
{
	struct side *s = xcalloc(1, sizeof(*s));
	struct http_req *q = api_req(dc, method, path);

	s->dc = dc;
	s->method = xstrdup(method);
	s->path = xstrdup(path);
	if (body) {
		http_req_json(q, body);
		json_decref(body);
	}
	http_start(dc->aux, q, side_done, s);
}

static void
interaction_reply(struct dc *dc, const char *id, const char *tok, json_t *body)
{
	char *path = xasprintf("/interactions/%s/%s/callback", id, tok);

	side_call(dc, "POST", path, body);
	free(path);
}

/* ---- outbound: the bridge's calls ----------------------------------------- */

struct pending {
	struct dc *dc;
	struct bridge_call call;
	char *method, *path;
	bool webhook;		/* completing a deferred interaction */
	char *wtoken;		/* its token */
	size_t guild_i;		/* COMMANDS: the next guild */
};

/* The request a call makes: method and path (malloc'd); false when it
 * needs none (commands before READY) or the channel is not Discord's. */
static bool
call_route(struct dc *dc, const struct bridge_call *c, char **method, char **path,
    const char **err)
{
	char *id = NULL;
	struct token *t;

	*method = *path = NULL;
	if (c->kind == BRIDGE_COMMANDS) {
		if (dc->app_id == NULL)
			return false;
		*method = xstrdup("PUT");
		if (dc->cfg->discord.guild_ids.n > 0)
			*path = xasprintf("/applications/%s/guilds/%s/commands", dc->app_id,
			    dc->cfg->discord.guild_ids.v[0]);
		else
			*path = xasprintf("/applications/%s/commands", dc->app_id);
		return true;
	}
	if ((id = channel_id(c->channel)) == NULL) {
		*err = "not a Discord channel";
		return false;
	}
	switch (c->kind) {
	case BRIDGE_SEND:
		t = strmap_get(&dc->deferred, c->channel);
		if (t && t->expires > monotonic_ms() && dc->app_id) {
			*method = xstrdup("PATCH");
			*path = xasprintf("/webhooks/%s/%s/messages/@original", dc->app_id,
			    t->token);
			break;
		}
		/* FALLTHROUGH */
	case BRIDGE_ASK:
	case BRIDGE_FILE:
		*method = xstrdup("POST");
		*path = xasprintf("/channels/%s/messages", id);
		break;
	case BRIDGE_EDIT:
	case BRIDGE_DELETE:
		t = strmap_get(&dc->imsgs, c->msg_id);
		*method = xstrdup(c->kind == BRIDGE_EDIT ? "PATCH" : "DELETE");
		if (t && t->expires > monotonic_ms() && dc->app_id)
			*path = xasprintf("/webhooks/%s/%s/messages/%s", dc->app_id,
			    t->token, c->msg_id);
		else
			*path = xasprintf("/channels/%s/messages/%s", id, c->msg_id);
		break;
	case BRIDGE_TYPING:
		*method = xstrdup("POST");
		*path = xasprintf("/channels/%s/typing", id);
		break;
	default:
		free(id);
		*err = "not a call Discord makes";
		return false;
	}
	free(id);
	return true;
}

static double
dc_hold(void *ctx, const struct bridge_call *c)
{
	struct dc *dc = ctx;
	char *method, *path;
	const char *err = NULL;
	long long w;

	if (!call_route(dc, c, &method, &path, &err))
		return 0;
	w = dc_rl_acquire(dc->rl, method, path, monotonic_ms());
	free(method);
	free(path);
	return w > 0 ? (double)w / 1000.0 : 0;
}

static size_t
dc_render(void *ctx, const char *md, char ***chunks)
{
	struct chunks ch = { 0 };
	size_t n = 0;

	(void)ctx;
	msg_split_fenced(md, DC_MAX_LEN, &ch);
	*chunks = xcalloc(ch.n ? ch.n : 1, sizeof(char *));
	for (size_t i = 0; i < ch.n; i++) {
		/* A chunk of white space only is nothing Discord takes. */
		if (ch.v[i][strspn(ch.v[i], " \t\r\n")] == '\0') {
			free(ch.v[i]);
			continue;
		}
		(*chunks)[n++] = ch.v[i];
	}
	free(ch.v);
	return n;
}

static void call_done(void *arg, const struct http_resp *r);

static json_t *
no_mentions(void)
{
	return json_pack("{s:[]}", "parse");
}

/* The ask's question as one message's content. */
static char *
ask_content(const char *md, bool multi)
{
	struct chunks ch = { 0 };
	char *s;

	msg_split_fenced(md ? md : "", DC_MAX_LEN - 40, &ch);
	s = xasprintf("%s%s", ch.n && *ch.v[0] ? ch.v[0] : "Choose:",
	    multi ? "\n*(choose one or more)*" : "");
	chunks_free(&ch);
	return s;
}

static void
done_now(struct dc *dc, const struct bridge_call *c, enum bridge_status st,
    const char *err)
{
	struct bridge_result res = { st, NULL, 0, false, err };

	bridge_call_done(dc->b, c, &res);
}

static void
dc_call(void *ctx, const struct bridge_call *c)
{
	struct dc *dc = ctx;
	struct pending *p;
	struct http_req *q;
	const char *err = "bad call";
	json_t *body = NULL;
	char *method, *path;

	if (c->kind == BRIDGE_COMMANDS) {
		json_decref(dc->commands);
		dc->commands = json_incref(json_object_get(c->action, "list"));
		if (dc->app_id == NULL) {
			dc->commands_due = true;	/* registered on READY */
			done_now(dc, c, BRIDGE_OK, NULL);
			return;
		}
	}
	if (!call_route(dc, c, &method, &path, &err)) {
		done_now(dc, c, BRIDGE_FAIL, err);
		return;
	}
	p = xcalloc(1, sizeof(*p));
	p->dc = dc;
	p->call = *c;
	p->method = method;
	p->path = path;
	if (c->kind == BRIDGE_SEND && str_starts(path, "/webhooks/")) {
		struct token *t = strmap_get(&dc->deferred, c->channel);

		p->webhook = true;
		p->wtoken = xstrdup(t->token);
	}
	q = api_req(dc, method, path);
	switch (c->kind) {
	case BRIDGE_SEND:
		body = json_pack("{s:s, s:o}", "content", c->text, "allowed_mentions",
		    no_mentions());
		if (p->webhook)
			json_object_set_new(body, "components", json_array());
		break;
	case BRIDGE_EDIT:
		body = json_pack("{s:s, s:o}", "content", c->text, "allowed_mentions",
		    no_mentions());
		break;
	case BRIDGE_ASK: {
		const char *text = json_string_value(json_object_get(c->action, "text"));
		bool multi = json_is_true(json_object_get(c->action, "multi"));
		json_t *comps = dc_ask_components(json_object_get(c->action, "options"),
		    multi, c->ref ? c->ref : "", &err);
		char *content;

		if (comps == NULL) {
			http_req_free(q);
			free(p->method);
			free(p->path);
			free(p);
			done_now(dc, c, BRIDGE_FAIL, err);
			return;
		}
		content = ask_content(text, multi);
		body = json_pack("{s:s, s:o, s:o}", "content", content, "components", comps,
		    "allowed_mentions", no_mentions());
		free(content);
		break;
	}
	case BRIDGE_FILE: {
		const char *fp = json_string_value(json_object_get(c->action, "path"));
		const char *caption = json_string_value(json_object_get(c->action, "caption"));
		const char *base = strrchr(fp, '/') ? strrchr(fp, '/') + 1 : fp;
		char *cap = dc_cut(caption ? caption : "", DC_MAX_LEN);
		json_t *pj = json_pack("{s:s, s:[{s:i, s:s}], s:o}", "content", cap,
		    "attachments", "id", 0, "filename", base, "allowed_mentions",
		    no_mentions());
		char *pjs = json_dumps(pj, JSON_COMPACT);

		http_req_part(q, "payload_json", pjs);
		http_req_part_file(q, "files[0]", fp, base, attach_guess_mime(base));
		http_req_timeout(q, 600000);
		free(pjs);
		free(cap);
		json_decref(pj);
		break;
	}
	case BRIDGE_COMMANDS:
		body = dc_commands_payload(dc->commands);
		break;
	case BRIDGE_TYPING:
		http_req_body(q, "application/json", "", 0);	/* Content-Length: 0 */
		break;
	default:
		break;
	}
	if (body) {
		http_req_json(q, body);
		json_decref(body);
	}
	http_start(dc->calls, q, call_done, p);
}

static void
pending_free(struct pending *p)
{
	free(p->method);
	free(p->path);
	free(p->wtoken);
	free(p);
}

static void
call_done(void *arg, const struct http_resp *r)
{
	struct pending *p = arg;
	struct dc *dc = p->dc;
	struct answer a;
	struct bridge_result res = { 0 };
	char *msg_id = NULL;

	read_answer(dc, p->method, p->path, r, &a);
	if (r->status >= 200 && r->status < 300) {
		res.status = BRIDGE_OK;
		msg_id = dc_id(json_object_get(a.root, "id"));
		res.msg_id = msg_id;
		if (p->webhook) {
			/* The deferred response is complete; its message is
			 * edited through the webhook while the token lives. */
			struct token *t = strmap_del(&dc->deferred, p->call.channel);

			if (msg_id && t)
				token_free(strmap_put(&dc->imsgs, msg_id, t));
			else
				token_free(t);
		}
		if (p->call.kind == BRIDGE_COMMANDS &&
		    ++p->guild_i < dc->cfg->discord.guild_ids.n) {
			/* The next guild's commands. */
			struct http_req *q;
			json_t *body = dc_commands_payload(dc->commands);

			free(p->path);
			p->path = xasprintf("/applications/%s/guilds/%s/commands", dc->app_id,
			    dc->cfg->discord.guild_ids.v[p->guild_i]);
			q = api_req(dc, "PUT", p->path);
			http_req_json(q, body);
			json_decref(body);
			json_decref(a.root);
			http_start(dc->calls, q, call_done, p);
			return;
		}
	} else if (p->webhook && !a.net && r->status != 429) {
		/* The interaction is gone (expired, already answered): a plain
		 * message instead, now. */
		token_free(strmap_del(&dc->deferred, p->call.channel));
		warnx("discord: completing an interaction in %s: %s (sent as a message)",
		    p->call.channel, a.message);
		json_decref(a.root);
		{
			struct bridge_call again = p->call;

			pending_free(p);
			dc_call(dc, &again);
		}
		return;
	} else if (a.net) {
		res.status = BRIDGE_RETRY;
		res.error = a.message;
	} else if (r->status == 429) {
		res.status = BRIDGE_WAIT;
		res.retry_after = a.retry_after;
		res.global = a.global;
	} else if (p->call.kind == BRIDGE_DELETE && r->status == 404) {
		res.status = BRIDGE_OK;		/* already gone */
	} else {
		res.status = BRIDGE_FAIL;
		if (r->status == 413 || a.code == 40005)
			res.error = "file too large for this channel";
		else if (r->status == 404 && p->call.kind == BRIDGE_EDIT)
			res.error = "message to edit not found";
		else if (r->status == 403)
			res.error = a.code == 50001 ? "missing access to the channel" :
			    "missing permissions";
		else
			res.error = a.message;
		if (p->call.kind == BRIDGE_COMMANDS)
			warnx("discord: registering commands: %ld %s", r->status, a.message);
	}
	bridge_call_done(dc->b, &p->call, &res);
	free(msg_id);
	json_decref(a.root);
	pending_free(p);
}

/* The deferred registration (commands before READY): through the outbox. */
static void
register_commands(struct dc *dc, const struct bridge_call *c)
{
	json_t *a;

	(void)c;
	if (!dc->commands_due || dc->commands == NULL)
		return;
	dc->commands_due = false;
	a = json_pack("{s:s, s:O}", "op", "commands", "list", dc->commands);
	bridge_action(dc->b, a);
	json_decref(a);
}

/* The `choices` action: the answer to an autocomplete. */
static void
dc_other(void *ctx, const char *op, json_t *action)
{
	struct dc *dc = ctx;
	const char *ref = json_string_value(json_object_get(action, "ref"));
	struct token *t;
	json_t *choices, *c;
	size_t i;

	if (strcmp(op, "choices") != 0 || ref == NULL)
		return;
	t = strmap_del(&dc->completes, ref);
	if (t == NULL)
		return;
	if (t->expires < monotonic_ms()) {
		token_free(t);
		return;
	}
	choices = json_array();
	json_array_foreach(json_object_get(action, "choices"), i, c) {
		char *v;

		if (!json_is_string(c) || json_array_size(choices) >= 25)
			continue;
		v = dc_cut(json_string_value(c), 100);
		if (*v)
			json_array_append_new(choices, json_pack("{s:s, s:s}", "name", v,
			    "value", v));
		free(v);
	}
	interaction_reply(dc, t->id, t->token, json_pack("{s:i, s:{s:o}}", "type", 8,
	    "data", "choices", choices));
	token_free(t);
}

/* ---- inbound: events in order ----------------------------------------------- */

/* Is channel id (with parent, NULL when unknown) allowed?  1 yes, 0 no,
 * -1 unknown (a lookup is needed). */
static int
channel_allowed(struct dc *dc, const char *id, const char *parent)
{
	const struct strlist *ac = &dc->cfg->discord.allowed_channels;

	if (ac->n == 0 || strlist_has(ac, id))
		return 1;
	if (parent == NULL)
		parent = strmap_get(&dc->parents, id);
	if (parent == NULL)
		return -1;
	return *parent && strlist_has(ac, parent) ? 1 : 0;
}

static void
set_parent(struct dc *dc, json_t *ch)
{
	char *id = dc_id(json_object_get(ch, "id"));
	char *parent = dc_id(json_object_get(ch, "parent_id"));
	json_int_t type = json_integer_value(json_object_get(ch, "type"));

	if (id == NULL) {
		free(parent);
		return;
	}
	/* Only threads (10, 11, 12) are checked against their parent. */
	if (type != 10 && type != 11 && type != 12) {
		free(parent);
		parent = NULL;
	}
	free(strmap_put(&dc->parents, id, parent ? parent : xstrdup("")));
	free(id);
}

struct lookup {
	struct dc *dc;
	struct bridge_event *e;
	char *id, *user;
};

static void
got_channel(void *arg, const struct http_resp *r)
{
	struct lookup *l = arg;
	struct dc *dc = l->dc;
	struct answer a;
	char *path = xasprintf("/channels/%s", l->id);

	read_answer(dc, "GET", path, r, &a);
	if (r->status == 200 && json_is_object(a.root))
		set_parent(dc, a.root);
	if (channel_allowed(dc, l->id, NULL) != 1) {
		warnx("refused a message from user %s in channel %s: not in allowed_channels",
		    l->user, l->id);
		bridge_event_drop(l->e);
	}
	bridge_event_release(l->e);
	json_decref(a.root);
	free(path);
	free(l->id);
	free(l->user);
	free(l);
}

struct fetch {
	struct dc *dc;
	struct bridge_event *e;
	char *path, *name, *mime, *channel;
};

static void
got_attachment(void *arg, const struct http_resp *r)
{
	struct fetch *f = arg;
	struct dc *dc = f->dc;
	struct stat st;

	if (r->curl_code != 0 || r->status != 200 || stat(f->path, &st) == -1)
		bridge_file_lost(dc->b, f->channel, f->name,
		    r->curl_code ? r->error : "the download failed");
	else
		bridge_event_add_file(f->e, f->path, f->name, f->mime, st.st_size);
	bridge_event_release(f->e);
	free(f->path);
	free(f->name);
	free(f->mime);
	free(f->channel);
	free(f);
}

static void
fetch_attachments(struct dc *dc, struct bridge_event *e, json_t *atts,
    const char *channel)
{
	const char *dir = dc->cfg->file_forward.download_dir;
	json_t *at;
	size_t i;

	json_array_foreach(atts, i, at) {
		const char *url = json_string_value(json_object_get(at, "url"));
		const char *fname = json_string_value(json_object_get(at, "filename"));
		const char *ct = json_string_value(json_object_get(at, "content_type"));
		json_int_t size = json_integer_value(json_object_get(at, "size"));
		char *aid = dc_id(json_object_get(at, "id"));
		char *safe = attach_safe_name(fname ? fname : "file");
		struct fetch *f;
		struct http_req *q;

		if (url == NULL || aid == NULL || (!str_starts(url, "https://") &&
		    !str_starts(url, "http://"))) {
			free(aid);
			free(safe);
			continue;
		}
		if (size > DC_MAX_DOWNLOAD) {
			char *why = xasprintf("larger than %lld MiB", DC_MAX_DOWNLOAD >> 20);

			bridge_file_lost(dc->b, channel, safe, why);
			free(why);
			free(aid);
			free(safe);
			continue;
		}
		if (mkdir_p(dir, 0700) == -1) {
			warn("%s", dir);
			free(aid);
			free(safe);
			continue;
		}
		f = xcalloc(1, sizeof(*f));
		f->dc = dc;
		f->e = e;
		f->path = xasprintf("%s/discord-%s-%s", dir, aid, safe);
		f->name = safe;
		f->mime = xstrdup(ct ? ct : attach_guess_mime(safe));
		f->mime[strcspn(f->mime, ";")] = '\0';
		f->channel = xstrdup(channel);
		q = http_req_new(url);
		http_req_header(q, DC_USER_AGENT);
		http_req_download(q, f->path, DC_MAX_DOWNLOAD);
		http_req_timeout(q, 300000);
		bridge_event_hold(e);
		http_start(dc->aux, q, got_attachment, f);
		free(aid);
	}
}

static void
on_message_create(struct dc *dc, json_t *d)
{
	json_t *ev = dc_message_event(d, dc->bot_id, dc->cfg->discord.command_prefix,
	    &dc->cfg->discord.admin_users);
	json_t *atts = json_object_get(d, "attachments");
	const char *channel, *text, *user;
	char *id;
	struct bridge_event *e;
	int ok;

	if (ev == NULL)
		return;
	channel = json_string_value(json_object_get(ev, "channel"));
	text = json_string_value(json_object_get(ev, "text"));
	user = json_string_value(json_object_get(ev, "user"));
	if (*text == '\0' && json_array_size(atts) == 0) {
		json_decref(ev);
		return;
	}
	id = channel_id(channel);
	ok = channel_allowed(dc, id, NULL);
	if (ok == 0) {
		warnx("refused a message from user %s in channel %s: not in allowed_channels",
		    user, id);
		json_decref(ev);
		free(id);
		return;
	}
	e = bridge_event_queue(dc->b, ev);
	if (ok == -1) {
		struct lookup *l = xcalloc(1, sizeof(*l));
		char *path = xasprintf("/channels/%s", id);

		l->dc = dc;
		l->e = e;
		l->id = xstrdup(id);
		l->user = xstrdup(user);
		bridge_event_hold(e);
		http_start(dc->aux, api_req(dc, "GET", path), got_channel, l);
		free(path);
	}
	fetch_attachments(dc, e, atts, channel);
	free(id);
	bridge_event_release(e);
}

static json_t *
ephemeral(const char *text)
{
	return json_pack("{s:i, s:{s:s, s:i}}", "type", 4, "data", "content", text,
	    "flags", 64);
}

static void
on_interaction(struct dc *dc, json_t *d)
{
	json_int_t type = json_integer_value(json_object_get(d, "type"));
	char *iid = dc_id(json_object_get(d, "id"));
	const char *tok = json_string_value(json_object_get(d, "token"));
	json_t *data = json_object_get(d, "data");
	json_t *chobj = json_object_get(d, "channel");
	char *cid = dc_id(json_object_get(d, "channel_id"));
	char *parent = dc_id(json_object_get(chobj, "parent_id"));
	char *user = NULL, *name = NULL, *channel = NULL;
	bool admin;

	if (iid == NULL || tok == NULL)
		goto out;
	if (type == 1) {	/* PING */
		interaction_reply(dc, iid, tok, json_pack("{s:i}", "type", 1));
		goto out;
	}
	if (cid == NULL)
		cid = dc_id(json_object_get(chobj, "id"));
	if (cid == NULL || !dc_interaction_user(d, &user, &name))
		goto out;
	if (json_is_object(chobj))
		set_parent(dc, chobj);
	channel = xasprintf("discord:%s", cid);
	admin = strlist_has(&dc->cfg->discord.admin_users, user);
	if (channel_allowed(dc, cid, parent) != 1) {
		warnx("refused an interaction from user %s (%s) in channel %s: not in "
		    "allowed_channels", user, name, cid);
		interaction_reply(dc, iid, tok, type == 4 ?
		    json_pack("{s:i, s:{s:[]}}", "type", 8, "data", "choices") :
		    ephemeral("This channel is not configured for Codecast."));
		goto out;
	}
	switch (type) {
	case 2: {	/* a slash command */
		char *text = dc_command_text(data, dc->commands);

		if (text == NULL) {
			interaction_reply(dc, iid, tok, ephemeral("Unknown command."));
			break;
		}
		interaction_reply(dc, iid, tok, json_pack("{s:i}", "type", 5));
		token_free(strmap_put(&dc->deferred, channel, token_new(iid, tok,
		    DC_TOKEN_LIFE_MS - 30000)));
		bridge_event_post(dc->b, json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:[]}",
		    "type", "message", "channel", channel, "user", user, "name", name, "admin",
		    admin, "text", text, "files"));
		free(text);
		break;
	}
	case 3: {	/* a button or a select */
		const char *cust = json_string_value(json_object_get(data, "custom_id"));
		json_t *msg = json_object_get(d, "message"), *vals;
		char *ref = NULL, *value = NULL, *labels, *content;
		const char *old;
		struct buf v = { 0 };
		size_t i;
		json_t *x;

		if (!dc_custom_parse(cust, &ref, &value)) {
			interaction_reply(dc, iid, tok,
			    ephemeral("This question is no longer open."));
			break;
		}
		vals = value ? json_pack("[s]", value) :
		    json_incref(json_object_get(data, "values"));
		json_array_foreach(vals, i, x) {
			if (!json_is_string(x))
				continue;
			if (v.len)
				buf_putc(&v, ',');
			buf_puts(&v, json_string_value(x));
		}
		labels = dc_chosen_labels(json_object_get(msg, "components"), ref, vals);
		old = json_string_value(json_object_get(msg, "content"));
		content = xasprintf("%s\n\n✓ %s", old ? old : "", *labels ? labels :
		    v.s ? v.s : "");
		{
			char *cut = dc_cut(content, DC_MAX_LEN);

			interaction_reply(dc, iid, tok, json_pack("{s:i, s:{s:s, s:[]}}",
			    "type", 7, "data", "content", cut, "components"));
			free(cut);
		}
		bridge_event_post(dc->b, json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s}",
		    "type", "button", "channel", channel, "user", user, "name", name, "admin",
		    admin, "ref", ref, "value", v.s ? v.s : ""));
		json_decref(vals);
		buf_free(&v);
		free(labels);
		free(content);
		free(ref);
		free(value);
		break;
	}
	case 4: {	/* autocomplete */
		const char *oname, *ovalue, *cmd = json_string_value(json_object_get(data,
		    "name"));
		char *ref;

		if (cmd == NULL || !dc_focused_option(data, &oname, &ovalue)) {
			interaction_reply(dc, iid, tok, json_pack("{s:i, s:{s:[]}}", "type", 8,
			    "data", "choices"));
			break;
		}
		ref = xasprintf("ac%u", ++dc->complete_seq);
		token_free(strmap_put(&dc->completes, ref, token_new(iid, tok,
		    DC_COMPLETE_LIFE_MS)));
		bridge_event_post(dc->b, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}",
		    "type", "complete", "channel", channel, "ref", ref, "command", cmd, "option", oname,
		    "value", ovalue));
		free(ref);
		break;
	}
	default:
		break;
	}
out:
	free(iid);
	free(cid);
	free(parent);
	free(user);
	free(name);
	free(channel);
}

/* ---- the gateway ------------------------------------------------------------- */

static void
gw_send(struct dc *dc, char *payload)
{
	if (ws_send_text(dc->ws, payload) == -1)
		warnx("discord: gateway: not connected (payload dropped)");
	free(payload);
}

static void
hb_arm(struct dc *dc, long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(dc->hb_timer, &tv);
}

static void
reconnect_later(struct dc *dc, long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_del(dc->conn_timer);
	evtimer_add(dc->conn_timer, &tv);
}

/* The connection is dead or done with: close it (keeping the session
 * unless fresh) and connect again. */
static void
gw_restart(struct dc *dc, int code, const char *why, bool resume)
{
	evtimer_del(dc->hb_timer);
	if (ws_active(dc->ws))
		ws_close(dc->ws, code, why);
	dc->want_resume = resume && dc->session_id != NULL;
	reconnect_later(dc, 0);
}

static void
on_heartbeat(evutil_socket_t fd, short what, void *arg)
{
	struct dc *dc = arg;

	(void)fd;
	(void)what;
	if (!ws_is_open(dc->ws))
		return;
	if (!dc->acked) {
		warnx("discord: gateway: no heartbeat ACK in %ld ms: the connection is "
		    "dead, resuming", dc->hb_interval);
		gw_restart(dc, 4000, "heartbeat not acknowledged", true);
		return;
	}
	dc->acked = false;
	gw_send(dc, dc_gw_heartbeat(dc->seq));
	hb_arm(dc, dc->hb_interval);
}

static void
identify(struct dc *dc)
{
	dc->last_identify = monotonic_ms();
	free(dc->session_id);
	dc->session_id = NULL;
	dc->seq = -1;
	gw_send(dc, dc_gw_identify(dc->token, DC_INTENTS));
}

static void
on_hello(struct dc *dc, json_t *d)
{
	long iv = (long)json_integer_value(json_object_get(d, "heartbeat_interval"));

	if (iv <= 0 || iv > 600000)
		iv = 41250;
	dc->hb_interval = iv;
	dc->acked = true;
	/* The first beat after interval × jitter, jitter in [0, 1). */
	hb_arm(dc, (long)((double)iv * ((double)arc4random_uniform(1000000) / 1e6)));
	if (dc->resuming && dc->session_id)
		gw_send(dc, dc_gw_resume(dc->token, dc->session_id, dc->seq));
	else
		identify(dc);
}

static void
on_ready(struct dc *dc, json_t *d)
{
	const char *sid = json_string_value(json_object_get(d, "session_id"));
	const char *rurl = json_string_value(json_object_get(d, "resume_gateway_url"));
	char *app = dc_id(json_object_get(json_object_get(d, "application"), "id"));
	char *me = dc_id(json_object_get(json_object_get(d, "user"), "id"));
	free(dc->session_id);
	dc->session_id = sid ? xstrdup(sid) : NULL;
	if (rurl) {
		free(dc->resume_url);
		dc->resume_url = xstrdup(rurl);
	}
	if (app) {
		free(dc->app_id);
		dc->app_id = app;
	}
	if (me) {
		free(dc->bot_id);
		dc->bot_id = me;
	}
	dc->failures = 0;
	register_commands(dc, NULL);
}

static void
on_guild(struct dc *dc, json_t *d)
{
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(d, "channels"), i, c)
		set_parent(dc, c);
	json_array_foreach(json_object_get(d, "threads"), i, c)
		set_parent(dc, c);
}

static void
on_dispatch(struct dc *dc, const char *t, json_t *d)
{
	if (t == NULL)
		return;
	if (strcmp(t, "READY") == 0)
		on_ready(dc, d);
	else if (strcmp(t, "RESUMED") == 0)
		dc->failures = 0;
	else if (strcmp(t, "MESSAGE_CREATE") == 0)
		on_message_create(dc, d);
	else if (strcmp(t, "INTERACTION_CREATE") == 0)
		on_interaction(dc, d);
	else if (strcmp(t, "GUILD_CREATE") == 0 || strcmp(t, "THREAD_LIST_SYNC") == 0)
		on_guild(dc, d);
	else if (strcmp(t, "THREAD_CREATE") == 0 || strcmp(t, "THREAD_UPDATE") == 0 ||
	    strcmp(t, "CHANNEL_CREATE") == 0 || strcmp(t, "CHANNEL_UPDATE") == 0)
		set_parent(dc, d);
}

static void
ws_message(void *arg, const char *data, size_t len, bool binary)
{
	struct dc *dc = arg;
	struct dc_gw g;

	if (binary || dc_gw_parse(data, len, &g) == -1) {
		warnx("discord: gateway: a payload that is not JSON (skipped)");
		return;
	}
	switch (g.op) {
	case DC_OP_DISPATCH:
		if (g.s >= 0)
			dc->seq = g.s;
		on_dispatch(dc, g.t, g.d);
		break;
	case DC_OP_HEARTBEAT:
		gw_send(dc, dc_gw_heartbeat(dc->seq));
		break;
	case DC_OP_HEARTBEAT_ACK:
		dc->acked = true;
		break;
	case DC_OP_HELLO:
		on_hello(dc, g.d);
		break;
	case DC_OP_RECONNECT:
		gw_restart(dc, 4000, "reconnect asked", true);
		break;
	case DC_OP_INVALID_SESSION:
		if (json_is_true(g.d))
			gw_restart(dc, 4000, "invalid session", true);
		else {
			/* A fresh identify, after 1–5 s as the docs say. */
			evtimer_del(dc->hb_timer);
			ws_close(dc->ws, 4000, "invalid session");
			free(dc->session_id);
			dc->session_id = NULL;
			dc->want_resume = false;
			reconnect_later(dc, 1000 + (long)arc4random_uniform(4000));
		}
		break;
	default:
		break;
	}
	json_decref(g.root);
}

static void
ws_open(void *arg)
{
	(void)arg;
}

static void
ws_closed(void *arg, int code, const char *reason)
{
	struct dc *dc = arg;
	const char *fix = NULL;
	char *msg;

	evtimer_del(dc->hb_timer);
	switch (code) {
	case 4004:
		fix = "the bot token is wrong (bot.discord.token; Developer Portal → Bot → "
		    "Reset Token)";
		break;
	case 4010:
	case 4011:
		fix = "this bot needs sharding, which cc-discord does not do";
		break;
	case 4012:
		fix = "the gateway does not take API v10";
		break;
	case 4013:
		fix = "invalid intents";
		break;
	case 4014:
		fix = "disallowed intents: enable the Message Content intent (Developer "
		    "Portal → your application → Bot → Privileged Gateway Intents)";
		break;
	}
	if (fix) {
		msg = xasprintf("discord: gateway closed with %d%s%s: %s", code,
		    *reason ? " " : "", reason, fix);
		fatal(dc, DC_EXIT_CONFIG, msg);
		free(msg);
		return;
	}
	if (code == 4007 || code == 4009) {	/* a fresh session is needed */
		free(dc->session_id);
		dc->session_id = NULL;
	}
	dc->failures++;
	if (dc->failures == 1 || dc->failures % 10 == 0)
		warnx("discord: gateway closed (%d%s%s), %s", code, *reason ? ": " : "",
		    reason, dc->session_id ? "resuming" : "reconnecting");
	dc->want_resume = dc->session_id != NULL;
	reconnect_later(dc, dc->failures <= 1 ? 0 :
	    http_backoff_ms(dc->failures - 1, 1000, 60000));
}

static void
got_gateway(void *arg, const struct http_resp *r)
{
	struct dc *dc = arg;
	struct answer a;
	const char *url;
	json_t *ssl;

	read_answer(dc, "GET", "/gateway/bot", r, &a);
	if (dc->stopping) {
		json_decref(a.root);
		return;
	}
	url = json_string_value(json_object_get(a.root, "url"));
	if (r->status != 200 || url == NULL) {
		dc->failures++;
		if (dc->failures == 1 || dc->failures % 10 == 0)
			warnx("discord: GET /gateway/bot: %ld %s (retrying)", r->status,
			    a.message);
		reconnect_later(dc, r->status == 429 ? (long)(a.retry_after * 1000) + 100 :
		    http_backoff_ms(dc->failures, 1000, 60000));
		json_decref(a.root);
		return;
	}
	free(dc->gateway_url);
	dc->gateway_url = xstrdup(url);
	ssl = json_object_get(a.root, "session_start_limit");
	if (json_is_object(ssl) &&
	    json_integer_value(json_object_get(ssl, "remaining")) <= 0 &&
	    json_is_integer(json_object_get(ssl, "remaining"))) {
		long long wait = json_integer_value(json_object_get(ssl, "reset_after"));

		warnx("discord: no identifies left today; waiting %lld s", wait / 1000);
		dc->identify_ok_at = monotonic_ms() + wait;
	}
	json_decref(a.root);
	gw_connect(dc);
}

/* Connect (or resume) now, or when the identify limits allow. */
static void
gw_connect(struct dc *dc)
{
	const char *base, *err;
	char *url;
	long long now = monotonic_ms(), at;

	if (dc->stopping)
		return;
	if (dc->gateway_url == NULL) {
		http_start(dc->aux, api_req(dc, "GET", "/gateway/bot"), got_gateway, dc);
		return;
	}
	dc->resuming = dc->want_resume && dc->session_id && dc->resume_url;
	if (!dc->resuming) {
		at = dc->last_identify ? dc->last_identify + DC_IDENTIFY_GAP_MS : 0;
		if (dc->identify_ok_at > at)
			at = dc->identify_ok_at;
		if (at > now) {
			reconnect_later(dc, (long)(at - now));
			return;
		}
	}
	base = dc->resuming ? dc->resume_url : dc->gateway_url;
	{
		/* wss://gateway.discord.gg → wss://gateway.discord.gg/?v=10… */
		const char *host = strstr(base, "://");
		bool has_path = host && strchr(host + 3, '/');

		url = xasprintf("%s%s%sv=10&encoding=json", base,
		    has_path || strchr(base, '?') ? "" : "/",
		    strchr(base, '?') ? "&" : "?");
	}
	if (ws_connect(dc->ws, url, &err) == -1) {
		char *m = xasprintf("discord: %s: %s", base, err);

		fatal(dc, DC_EXIT_CONFIG, m);
		free(m);
	}
	free(url);
}

static void
gw_start(void *arg)
{
	gw_connect(arg);
}

static void
on_conn_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	gw_connect(arg);
}

/* ---- life ------------------------------------------------------------------- */

static struct dc *
dc_new(const struct config *cfg, const struct discord_opts *o, bool oneshot)
{
	static const struct bridge_platform plat = { dc_render, dc_call, dc_other,
	    dc_hold };
	static const struct ws_callbacks wcb = { ws_open, ws_message, ws_closed, NULL };
	struct bridge_config bc = { 0 };
	struct dc *dc;
	const char *tok = cfg->discord.token, *api = cfg->discord.api_url;

	if (!cfg->discord.present || tok == NULL || *tok == '\0') {
		warnx("%s: no bot.discord.token", cfg->path);
		return NULL;
	}
	if (strncasecmp(tok, "Bot ", 4) == 0)	/* upstream's docs suggested it */
		tok += 4;
	if (*tok == '\0' || strpbrk(tok, " \t\r\n") != NULL) {
		warnx("%s: bot.discord.token: not a bot token", cfg->path);
		return NULL;
	}
	if (api == NULL || (!str_starts(api, "https://") && !str_starts(api, "http://"))) {
		warnx("%s: bot.discord.api_url: not an http(s) URL", cfg->path);
		return NULL;
	}
	dc = xcalloc(1, sizeof(*dc));
	dc->cfg = cfg;
	dc->oneshot = oneshot;
	if (o)
		dc->o = *o;
	if (dc->o.typing_interval <= 0)
		dc->o.typing_interval = 8;
	if (dc->o.global_rate <= 0)
		dc->o.global_rate = 48;	/* Discord allows 50: a margin for jitter */
	if (dc->o.edit_interval <= 0)
		dc->o.edit_interval = 1.0;
	dc->base = event_base_new();
	if (dc->base == NULL)
		errx(1, "event_base_new failed");
	dc->api = xstrdup(api);
	while (str_ends(dc->api, "/"))
		dc->api[strlen(dc->api) - 1] = '\0';
	dc->token = xstrdup(tok);
	dc->auth = xasprintf("Authorization: Bot %s", tok);
	dc->seq = -1;
	if (cfg->discord.gateway_url)
		dc->gateway_url = xstrdup(cfg->discord.gateway_url);
	dc->calls = http_new(dc->base, 8);
	dc->aux = http_new(dc->base, 4);
	dc->rl = dc_rl_new();
	dc->ws = ws_new(dc->base, &wcb, dc, NULL);
	dc->hb_timer = evtimer_new(dc->base, on_heartbeat, dc);
	dc->conn_timer = evtimer_new(dc->base, on_conn_timer, dc);
	bc.hello = json_pack("{s:s, s:s, s:i, s:b, s:f, s:b, s:b, s:I}", "type", "hello",
	    "platform", "discord", "max_len", DC_MAX_LEN, "can_edit", 1,
	    "edit_interval", dc->o.edit_interval, "buttons", 1, "files", 1,
	    "max_file", (json_int_t)DC_MAX_UPLOAD);
	bc.channel_interval = 0;	/* the buckets decide */
	bc.global_rate = dc->o.global_rate;
	bc.typing_interval = dc->o.typing_interval;
	bc.max_file = DC_MAX_UPLOAD;
	bc.max_inflight = 8;
	dc->b = bridge_new(dc->base, &bc, &plat, dc);
	json_decref(bc.hello);
	return dc;
}

static void
dc_free(struct dc *dc)
{
	if (dc == NULL)
		return;
	ws_free(dc->ws);
	bridge_free(dc->b);
	http_free(dc->calls);
	http_free(dc->aux);
	dc_rl_free(dc->rl);
	strmap_free_with(&dc->parents, NULL);
	strmap_free_with(&dc->deferred, token_free);
	strmap_free_with(&dc->imsgs, token_free);
	strmap_free_with(&dc->completes, token_free);
	json_decref(dc->commands);
	event_free(dc->hb_timer);
	event_free(dc->conn_timer);
	event_base_free(dc->base);
	free(dc->api);
	free(dc->token);
	free(dc->auth);
	free(dc->gateway_url);
	free(dc->resume_url);
	free(dc->session_id);
	free(dc->app_id);
	free(dc->bot_id);
	free(dc);
}

int
discord_run(const struct config *cfg, const struct discord_opts *o)
{
	struct dc *dc = dc_new(cfg, o, false);
	int rc;

	if (dc == NULL)
		return DC_EXIT_CONFIG;
	rc = bridge_serve(dc->b, &dc->stopping, gw_start, dc) == -1 ? DC_EXIT_FAIL :
	    dc->exit_code;
	dc_free(dc);
	return rc;
}

static int
oneshot(const struct config *cfg, json_t *action)
{
	struct dc *dc = dc_new(cfg, NULL, true);
	int rc;

	if (dc == NULL) {
		json_decref(action);
		return DC_EXIT_CONFIG;
	}
	rc = bridge_oneshot(dc->b, action, &dc->stopping);
	rc = dc->exit_code ? dc->exit_code : rc ? DC_EXIT_FAIL : 0;
	dc_free(dc);
	return rc;
}

static char *
oneshot_channel(const char *channel)
{
	char *id = channel_id(channel), *ch;

	if (id == NULL) {
		warnx("%s: not a channel id (ID or discord:ID)", channel);
		return NULL;
	}
	ch = xasprintf("discord:%s", id);
	free(id);
	return ch;
}

int
discord_oneshot(const struct config *cfg, const struct bridge_args *a)
{
	char *ch = oneshot_channel(a->target);
	json_t *act;

	if (ch == NULL)
		return 2;
	act = bridge_args_action(a, ch);
	free(ch);
	return act ? oneshot(cfg, act) : 2;
}
