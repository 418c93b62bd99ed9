/* tgbot.c — the Telegram Bot API behind the bridge.  See tgbot.h. */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "bridge.h"
#include "bridge_args.h"
#include "config.h"
#include "http.h"
#include "md_telegram.h"
#include "paths.h"
#include "strmap.h"
#include "tgbot.h"
#include "tgsplit.h"
#include "util.h"

#define TG_MAX_LEN	4096
#define TG_MAX_CAPTION	1024
#define TG_MAX_UPLOAD	52428800LL	/* 50 MB */
#define TG_MAX_DOWNLOAD	20971520LL	/* 20 MiB */
#define TG_MAX_PHOTO	10485760LL	/* sendPhoto's limit; larger go as documents */

struct tg {
	const struct config *cfg;
	struct event_base *base;
	struct http *calls, *poll;
	struct bridge *b;
	char *api;		/* api_url/bot<token>/ */
	char *file_api;		/* api_url/file/bot<token>/ */
	char *username;		/* the bot's, for /cmd@Bot */
	long long bot_id;
	char *offset_path;
	long long offset;
	int poll_timeout;
	int poll_failures;
	struct event *poll_timer;
	struct strmap cmds;	/* Telegram command name → the engine's */
	struct strmap asks;	/* "CHAT:MSGID" → struct ask */
	json_t *batch;		/* updates being handed over */
	size_t batch_i;
	int exit_code;
	bool stopping, oneshot;
};

struct ask {
	char *ref, *channel, *chat, *msg_id;
	json_t *options;	/* [{label, value}] */
	bool multi;
	bool *chosen;
	char *question;		/* the rendered question (HTML) */
};

/* ---- small helpers -------------------------------------------------------- */

/* "telegram:CHAT[:THREAD]" or "CHAT[:THREAD]" → chat and thread (or
 * NULL); false when it is not one. */
static bool
parse_channel(const char *channel, char **chat, char **thread)
{
	const char *s = channel, *colon;
	long long v;
	char *c;

	if (str_starts(s, "telegram:"))
		s += 9;
	colon = strchr(s, ':');
	c = colon ? xstrndup(s, (size_t)(colon - s)) : xstrdup(s);
	if (!str_to_ll(c, LLONG_MIN, LLONG_MAX, &v) ||
	    (colon && !str_to_ll(colon + 1, 1, LLONG_MAX, &v))) {
		free(c);
		return false;
	}
	*chat = c;
	*thread = colon ? xstrdup(colon + 1) : NULL;
	return true;
}

static json_t *
jint_of(const char *s)
{
	long long v = 0;

	str_to_ll(s, LLONG_MIN, LLONG_MAX, &v);
	return json_integer(v);
}

static char *
id_text(json_t *v)
{
	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	return NULL;
}

/* Cut s to at most max code points (UTF-8 boundary), adding "…" if cut. */
static char *
cut_label(const char *s, size_t max)
{
	size_t i = 0, cps = 0;

	while (s[i] && cps < max) {
		i++;
		while ((s[i] & 0xC0) == 0x80)
			i++;
		cps++;
	}
	if (s[i] == '\0')
		return xstrdup(s);
	return xasprintf("%.*s…", (int)i, s);
}

/* ---- API calls ------------------------------------------------------------ */

struct api_reply {
	bool ok;
	long code;		/* error_code (or HTTP status) */
	const char *desc;
	double retry_after;
	json_t *result;		/* borrowed from root */
	json_t *root;
	bool net;		/* no usable answer (network, 5xx, bad JSON) */
};

static void
parse_reply(const struct http_resp *r, struct api_reply *a)
{
	json_error_t je;

	memset(a, 0, sizeof(*a));
	a->code = r->status;
	if (r->curl_code != 0) {
		a->net = true;
		a->desc = r->error;
		return;
	}
	a->root = json_loadb(r->body, r->body_len, 0, &je);
	if (a->root == NULL || !json_is_object(a->root)) {
		a->net = true;
		a->desc = r->status >= 500 ? "server error" : "not a Bot API answer";
		return;
	}
	a->ok = json_is_true(json_object_get(a->root, "ok"));
	a->result = json_object_get(a->root, "result");
	if (json_is_integer(json_object_get(a->root, "error_code")))
		a->code = (long)json_integer_value(json_object_get(a->root, "error_code"));
	a->desc = json_string_value(json_object_get(a->root, "description"));
	if (a->desc == NULL)
		a->desc = a->ok ? "" : "unknown error";
	a->retry_after = json_number_value(json_object_get(json_object_get(a->root,
	    "parameters"), "retry_after"));
	if (!a->ok && a->code >= 500)
		a->net = true;
}

static void
fatal(struct tg *t, int code, const char *what, const char *desc)
{
	if (t->exit_code == 0 || t->exit_code == TG_EXIT_FAIL) {
		if (code == TG_EXIT_TOKEN)
			warnx("%s: %s: the bot token is wrong (bot.telegram.token; "
			    "ask @BotFather for it)", what, desc);
		else if (code == TG_EXIT_CONFLICT)
			warnx("%s: %s: another program is polling this bot, or a "
			    "webhook is set (deleteWebhook removes it)", what, desc);
		else
			warnx("%s: %s", what, desc);
	}
	t->exit_code = code;
	t->stopping = true;
	event_base_loopbreak(t->base);
}

static struct http_req *
api_req(struct tg *t, const char *method)
{
	char *url = xasprintf("%s%s", t->api, method);
	struct http_req *q = http_req_new(url);

	free(url);
	return q;
}

/* ---- outbound: the bridge's calls ----------------------------------------- */

struct pending {
	struct tg *t;
	struct bridge_call call;	/* copy; strings borrowed from the job */
	char *method;
	json_t *params;			/* JSON calls: for the plain-text retry */
	bool plain_tried;
	bool photo;			/* a sendPhoto that may go as a document */
	json_t *owned;			/* call.action, when this copy owns it */
};

static void call_done(void *arg, const struct http_resp *r);

static void
start_json(struct pending *p)
{
	struct http_req *q = api_req(p->t, p->method);

	http_req_json(q, p->params);
	http_req_timeout(q, 30000);
	http_start(p->t->calls, q, call_done, p);
}

static void
add_thread(json_t *params, const char *thread)
{
	if (thread)
		json_object_set_new(params, "message_thread_id", jint_of(thread));
}

static json_t *
keyboard(const struct ask *a)
{
	json_t *rows = json_array();
	size_t i, n = json_array_size(a->options);

	for (i = 0; i < n; i++) {
		const char *label = json_string_value(json_object_get(
		    json_array_get(a->options, i), "label"));
		char *cut = cut_label(label ? label : "?", 60);
		char *text = a->multi && a->chosen[i] ? xasprintf("✓ %s", cut) : xstrdup(cut);
		char *data = xasprintf("o:%zu", i);

		json_array_append_new(rows, json_pack("[{s:s, s:s}]", "text", text,
		    "callback_data", data));
		free(cut);
		free(text);
		free(data);
	}
	if (a->multi)
		json_array_append_new(rows, json_pack("[{s:s, s:s}]", "text", "Done",
		    "callback_data", "done"));
	return json_pack("{s:o}", "inline_keyboard", rows);
}

static void
ask_free(void *p)
{
	struct ask *a = p;

	if (a == NULL)
		return;
	free(a->ref);
	free(a->channel);
	free(a->chat);
	free(a->msg_id);
	free(a->chosen);
	free(a->question);
	json_decref(a->options);
	free(a);
}

/* The ask action's question as HTML (one message's worth). */
static char *
ask_question(const char *md, bool multi)
{
	char **v;
	size_t n = md_telegram_chunks(md, strlen(md), 3500, &v);
	char *q = xasprintf("%s%s", n ? v[0] : "Choose:",
	    multi ? "\n<i>(choose any, then Done)</i>" : "");

	tg_chunks_free(v, n);
	return q;
}

static void
set_commands(struct tg *t, json_t *list, json_t *out)
{
	size_t i;
	json_t *c;

	json_array_foreach(list, i, c) {
		const char *name = json_string_value(json_object_get(c, "name"));
		const char *help = json_string_value(json_object_get(c, "help"));
		char tgname[33];
		size_t k;
		bool okname = name && *name && strlen(name) <= 32;

		for (k = 0; okname && name[k]; k++) {
			char ch = name[k];

			if (ch >= 'A' && ch <= 'Z')
				ch = (char)(ch - 'A' + 'a');
			else if (ch == '-')
				ch = '_';
			if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
			    ch == '_'))
				okname = false;
			tgname[k] = ch;
		}
		if (!okname)
			continue;
		tgname[k] = '\0';
		free(strmap_put(&t->cmds, tgname, xstrdup(name)));
		if (help == NULL || *help == '\0')
			help = name;
		{
			char *desc = cut_label(help, 200);

			json_array_append_new(out, json_pack("{s:s, s:s}", "command",
			    tgname, "description", desc));
			free(desc);
		}
		if (json_array_size(out) >= 100)
			break;
	}
}

static void
tg_call(void *ctx, const struct bridge_call *c)
{
	struct tg *t = ctx;
	struct pending *p = xcalloc(1, sizeof(*p));
	char *chat = NULL, *thread = NULL;
	struct bridge_result res = { BRIDGE_FAIL, NULL, 0, false, NULL };

	p->t = t;
	p->call = *c;
	if (c->action && json_object_get(c->action, "_as_document"))
		p->owned = json_incref(c->action);
	if (c->kind != BRIDGE_COMMANDS && c->kind != BRIDGE_CUSTOM &&
	    !parse_channel(c->channel, &chat, &thread)) {
		res.error = "not a Telegram channel";
		free(p);
		bridge_call_done(t->b, c, &res);
		return;
	}
	switch (c->kind) {
	case BRIDGE_SEND:
		p->method = xstrdup("sendMessage");
		p->params = json_pack("{s:o, s:s, s:s}", "chat_id", jint_of(chat),
		    "text", c->text, "parse_mode", "HTML");
		add_thread(p->params, thread);
		break;
	case BRIDGE_EDIT:
		p->method = xstrdup("editMessageText");
		p->params = json_pack("{s:o, s:o, s:s, s:s}", "chat_id", jint_of(chat),
		    "message_id", jint_of(c->msg_id), "text", c->text,
		    "parse_mode", "HTML");
		break;
	case BRIDGE_DELETE:
		p->method = xstrdup("deleteMessage");
		p->params = json_pack("{s:o, s:o}", "chat_id", jint_of(chat),
		    "message_id", jint_of(c->msg_id));
		break;
	case BRIDGE_TYPING:
		p->method = xstrdup("sendChatAction");
		p->params = json_pack("{s:o, s:s}", "chat_id", jint_of(chat),
		    "action", "typing");
		add_thread(p->params, thread);
		break;
	case BRIDGE_ASK: {
		struct ask a = { 0 };
		const char *text = json_string_value(json_object_get(c->action, "text"));
		char *q;

		a.options = json_object_get(c->action, "options");
		if (!json_is_array(a.options) || json_array_size(a.options) == 0) {
			res.error = "no options";
			free(p);
			free(chat);
			free(thread);
			bridge_call_done(t->b, c, &res);
			return;
		}
		a.multi = json_is_true(json_object_get(c->action, "multi"));
		a.chosen = xcalloc(json_array_size(a.options), sizeof(bool));
		q = ask_question(text ? text : "", a.multi);
		p->method = xstrdup("sendMessage");
		p->params = json_pack("{s:o, s:s, s:s, s:o}", "chat_id", jint_of(chat),
		    "text", q, "parse_mode", "HTML", "reply_markup", keyboard(&a));
		add_thread(p->params, thread);
		free(a.chosen);
		free(q);
		break;
	}
	case BRIDGE_COMMANDS: {
		json_t *list = json_array();

		set_commands(t, json_object_get(c->action, "list"), list);
		p->method = xstrdup("setMyCommands");
		p->params = json_pack("{s:o}", "commands", list);
		break;
	}
	case BRIDGE_CUSTOM:
		p->method = xstrdup(json_string_value(json_object_get(c->action, "method")));
		p->params = json_incref(json_object_get(c->action, "params"));
		break;
	case BRIDGE_FILE: {
		const char *path = json_string_value(json_object_get(c->action, "path"));
		const char *caption = json_string_value(json_object_get(c->action, "caption"));
		const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		const char *dot = strrchr(base, '.');
		struct stat st;
		struct http_req *q;
		bool photo = dot && (strcasecmp(dot, ".png") == 0 ||
		    strcasecmp(dot, ".jpg") == 0 || strcasecmp(dot, ".jpeg") == 0 ||
		    strcasecmp(dot, ".gif") == 0 || strcasecmp(dot, ".webp") == 0);

		if (photo && stat(path, &st) == 0 && st.st_size > TG_MAX_PHOTO)
			photo = false;
		if (json_is_true(json_object_get(c->action, "_as_document")))
			photo = false;
		p->photo = photo;
		p->method = xstrdup(photo ? "sendPhoto" : "sendDocument");
		q = api_req(t, p->method);
		http_req_part(q, "chat_id", chat);
		if (thread)
			http_req_part(q, "message_thread_id", thread);
		if (caption && *caption) {
			char *cap = cut_label(caption, TG_MAX_CAPTION - 1);

			http_req_part(q, "caption", cap);
			free(cap);
		}
		http_req_part_file(q, photo ? "photo" : "document", path, base, NULL);
		http_req_timeout(q, 600000);
		free(chat);
		free(thread);
		http_start(t->calls, q, call_done, p);
		return;
	}
	}
	free(chat);
	free(thread);
	if (p->method == NULL || p->params == NULL) {
		res.error = "bad call";
		json_decref(p->params);
		free(p->method);
		free(p);
		bridge_call_done(t->b, c, &res);
		return;
	}
	start_json(p);
}

static void
remember_ask(struct tg *t, const struct bridge_call *c, const char *msg_id)
{
	struct ask *a = xcalloc(1, sizeof(*a));
	char *chat = NULL, *thread = NULL, *key;
	json_t *o;
	size_t i;

	parse_channel(c->channel, &chat, &thread);
	free(thread);
	a->ref = xstrdup(c->ref ? c->ref : "");
	a->channel = xstrdup(c->channel);
	a->chat = chat;
	a->msg_id = xstrdup(msg_id);
	a->multi = json_is_true(json_object_get(c->action, "multi"));
	a->options = json_array();
	json_array_foreach(json_object_get(c->action, "options"), i, o) {
		const char *label = json_string_value(json_object_get(o, "label"));
		json_t *v = json_object_get(o, "value");
		char *val = id_text(v);

		json_array_append_new(a->options, json_pack("{s:s, s:s}", "label",
		    label ? label : "?", "value", val ? val : ""));
		free(val);
	}
	a->chosen = xcalloc(json_array_size(a->options) + 1, sizeof(bool));
	a->question = ask_question(json_string_value(json_object_get(c->action, "text")) ?
	    json_string_value(json_object_get(c->action, "text")) : "", false);
	key = xasprintf("%s:%s", a->chat, msg_id);
	ask_free(strmap_put(&t->asks, key, a));
	free(key);
}

static void
call_done(void *arg, const struct http_resp *r)
{
	struct pending *p = arg;
	struct tg *t = p->t;
	struct api_reply a;
	struct bridge_result res = { 0 };
	char *msg_id = NULL;

	parse_reply(r, &a);
	if (a.ok) {
		res.status = BRIDGE_OK;
		msg_id = id_text(json_object_get(a.result, "message_id"));
		res.msg_id = msg_id;
		if (p->call.kind == BRIDGE_ASK && msg_id)
			remember_ask(t, &p->call, msg_id);
	} else if (a.net) {
		res.status = BRIDGE_RETRY;
		res.error = a.desc;
	} else if (a.code == 429) {
		res.status = BRIDGE_WAIT;
		res.retry_after = a.retry_after > 0 ? a.retry_after : 1;
	} else if (a.code == 401 || a.code == 404) {
		fatal(t, TG_EXIT_TOKEN, p->method, a.desc);
		res.status = BRIDGE_FAIL;
		res.error = a.desc;
	} else if (strcasestr(a.desc, "message is not modified") ||
	    (p->call.kind == BRIDGE_DELETE &&
	    strcasestr(a.desc, "message to delete not found"))) {
		res.status = BRIDGE_OK;
	} else if (a.code == 400 && strcasestr(a.desc, "can't parse entities") &&
	    p->params && !p->plain_tried && json_object_get(p->params, "parse_mode")) {
		/* Telegram still refuses the HTML: once more as plain text. */
		char *plain = tg_html_plain(json_string_value(json_object_get(p->params,
		    "text")));

		warnx("%s: %s (sent again as plain text)", p->method, a.desc);
		json_object_del(p->params, "parse_mode");
		json_object_set_new(p->params, "text", json_string(plain));
		free(plain);
		p->plain_tried = true;
		json_decref(a.root);
		start_json(p);
		return;
	} else if (p->photo && a.code == 400) {
		/* A picture Telegram will not take as a photo: as a document. */
		json_t *act = json_deep_copy(p->call.action);

		struct bridge_call again = p->call;

		json_decref(a.root);
		json_object_set_new(act, "_as_document", json_true());
		again.action = act;
		tg_call(t, &again);	/* the new pending keeps act */
		json_decref(p->owned);
		free(p->method);
		free(p);
		return;
	} else {
		res.status = BRIDGE_FAIL;
		res.error = a.desc;
	}
	bridge_call_done(t->b, &p->call, &res);
	free(msg_id);
	json_decref(a.root);
	json_decref(p->params);
	json_decref(p->owned);
	free(p->method);
	free(p);
}

static size_t
tg_render(void *ctx, const char *md, char ***chunks)
{
	(void)ctx;
	return md_telegram_chunks(md, strlen(md), TG_MAX_LEN, chunks);
}

/* ---- inbound --------------------------------------------------------------- */

static void poll_now(struct tg *t);
static void next_update(struct tg *t);

static void
save_offset(struct tg *t)
{
	char *tmp = xasprintf("%s.tmp", t->offset_path);
	char num[32];
	int fd, n;

	n = snprintf(num, sizeof(num), "%lld\n", t->offset);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || write_all(fd, num, (size_t)n) == -1 || fsync(fd) == -1 ||
	    close(fd) == -1 || rename(tmp, t->offset_path) == -1) {
		warn("%s", t->offset_path);
		if (fd != -1)
			close(fd);
		unlink(tmp);
	}
	free(tmp);
}

static void
load_offset(struct tg *t)
{
	struct buf b = { 0 };
	long long v;

	if (read_file(t->offset_path, 64, &b) == 0 &&
	    str_to_ll(str_trim(b.s), 0, LLONG_MAX, &v))
		t->offset = v;
	buf_free(&b);
}

static void
user_of(json_t *from, char **id, char **name)
{
	const char *u = json_string_value(json_object_get(from, "username"));
	const char *f = json_string_value(json_object_get(from, "first_name"));
	const char *l = json_string_value(json_object_get(from, "last_name"));

	*id = id_text(json_object_get(from, "id"));
	if (u)
		*name = xstrdup(u);
	else if (f && l)
		*name = xasprintf("%s %s", f, l);
	else
		*name = xstrdup(f ? f : "");
}

/* May this user in this chat get through?  Logs who was refused. */
static bool
allowed(struct tg *t, const char *what, const char *user, const char *name,
    const char *chat)
{
	long long c = 0;
	const struct strlist *au = &t->cfg->telegram.allowed_users;
	const struct strlist *ac = &t->cfg->telegram.allowed_chats;

	if (user == NULL) {
		warnx("refused a %s with no sender in chat %s", what, chat);
		return false;
	}
	if (au->n > 0 && !strlist_has(au, user)) {
		warnx("refused a %s from user %s (%s) in chat %s: not in allowed_users",
		    what, user, name, chat);
		return false;
	}
	str_to_ll(chat, LLONG_MIN, LLONG_MAX, &c);
	if (c < 0 && ac->n > 0 && !strlist_has(ac, chat)) {
		warnx("refused a %s from user %s (%s) in chat %s: not in allowed_chats",
		    what, user, name, chat);
		return false;
	}
	return true;
}

/* "/cmd@Bot args" → "/cmd args" (this bot), engine names for Telegram's. */
static char *
route_command(struct tg *t, const char *text)
{
	static const char *aliases[][2] = { { "add_machine", "add-machine" },
	    { "remove_machine", "remove-machine" }, { "rm_session", "rm-session" },
	    { "tooldisplay", "tool-display" }, { "tool_display", "tool-display" } };
	size_t w = strcspn(text, " \n\t"), at;
	char *name, *mapped = NULL, *out;

	if (text[0] != '/' || w < 2)
		return xstrdup(text);
	at = strcspn(text, "@ \n\t");
	if (at < w) {
		const char *bot = text + at + 1;

		if (t->username == NULL || strlen(t->username) != w - at - 1 ||
		    strncasecmp(bot, t->username, w - at - 1) != 0)
			return xstrdup(text);	/* another bot's command */
	}
	name = xstrndup(text + 1, at - 1);
	for (char *p = name; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (strmap_get(&t->cmds, name))
		mapped = strmap_get(&t->cmds, name);
	else
		for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
			if (strcmp(name, aliases[i][0]) == 0)
				mapped = (char *)aliases[i][1];
	out = xasprintf("/%s%s", mapped ? mapped : name, text + w);
	free(name);
	return out;
}

struct inmsg {
	struct tg *t;
	json_t *ev;		/* the message event being built */
	json_t *todo;		/* [{file_id, name, mime, size}] */
	size_t i;
	char *path;		/* the download in progress */
	char *channel;
};

static void fetch_next(struct inmsg *m);

static void
inmsg_done(struct inmsg *m)
{
	struct tg *t = m->t;

	bridge_emit(t->b, m->ev);
	json_decref(m->todo);
	free(m->channel);
	free(m->path);
	free(m);
	t->batch_i++;
	next_update(t);
}

static void
file_fail(struct inmsg *m, const char *name, const char *why)
{
	bridge_file_lost(m->t->b, m->channel, name, why);
	m->i++;
	fetch_next(m);
}

static void
got_file(void *arg, const struct http_resp *r)
{
	struct inmsg *m = arg;
	json_t *f = json_array_get(m->todo, m->i);
	const char *name = json_string_value(json_object_get(f, "name"));
	struct stat st;

	if (r->curl_code != 0 || r->status != 200) {
		file_fail(m, name, r->curl_code ? r->error : "the download failed");
		return;
	}
	if (stat(m->path, &st) == -1) {
		file_fail(m, name, strerror(errno));
		return;
	}
	json_array_append_new(json_object_get(m->ev, "files"), json_pack(
	    "{s:s, s:s, s:s, s:I}", "path", m->path, "name", name, "mime",
	    json_string_value(json_object_get(f, "mime")), "size",
	    (json_int_t)st.st_size));
	free(m->path);
	m->path = NULL;
	m->i++;
	fetch_next(m);
}

static void
got_file_path(void *arg, const struct http_resp *r)
{
	struct inmsg *m = arg;
	struct tg *t = m->t;
	json_t *f = json_array_get(m->todo, m->i);
	const char *name = json_string_value(json_object_get(f, "name"));
	const char *fp;
	struct api_reply a;
	struct http_req *q;
	char *url, *dir;

	parse_reply(r, &a);
	fp = json_string_value(json_object_get(a.result, "file_path"));
	if (!a.ok || fp == NULL || strstr(fp, "..")) {
		file_fail(m, name, a.ok ? "no file path" : a.desc);
		json_decref(a.root);
		return;
	}
	dir = t->cfg->file_forward.download_dir;
	if (mkdir_p(dir, 0700) == -1) {
		file_fail(m, name, strerror(errno));
		json_decref(a.root);
		return;
	}
	m->path = xasprintf("%s/telegram-%s-%s", dir,
	    json_string_value(json_object_get(f, "uid")), name);
	url = xasprintf("%s%s", t->file_api, fp);
	q = http_req_new(url);
	http_req_download(q, m->path, TG_MAX_DOWNLOAD);
	http_req_timeout(q, 300000);
	http_start(t->calls, q, got_file, m);
	free(url);
	json_decref(a.root);
}

static void
fetch_next(struct inmsg *m)
{
	json_t *f = json_array_get(m->todo, m->i);
	struct http_req *q;

	if (f == NULL) {
		inmsg_done(m);
		return;
	}
	if (json_integer_value(json_object_get(f, "size")) > TG_MAX_DOWNLOAD) {
		file_fail(m, json_string_value(json_object_get(f, "name")),
		    "larger than the 20 MB a bot may download");
		return;
	}
	q = api_req(m->t, "getFile");
	{
		json_t *p = json_pack("{s:O}", "file_id", json_object_get(f, "id"));

		http_req_json(q, p);
		json_decref(p);
	}
	http_start(m->t->calls, q, got_file_path, m);
}

/* A name safe as the last part of a path. */
static char *
safe_name(const char *s, const char *fallback)
{
	char *n = xstrdup(s && *s ? s : fallback);

	for (char *p = n; *p; p++)
		if (*p == '/' || *p == '\\' || (unsigned char)*p < ' ')
			*p = '_';
	if (n[0] == '.')
		n[0] = '_';
	if (strlen(n) > 100)
		n[100] = '\0';	/* may cut UTF-8: names are bytes to the kernel */
	return n;
}

static void
on_message(struct tg *t, json_t *msg)
{
	json_t *chat = json_object_get(msg, "chat"), *doc, *photo;
	char *user = NULL, *name = NULL, *chat_id = id_text(json_object_get(chat, "id"));
	const char *text = json_string_value(json_object_get(msg, "text"));
	struct inmsg *m;
	bool topic = json_is_true(json_object_get(msg, "is_topic_message"));
	json_t *thread = json_object_get(msg, "message_thread_id");
	char *routed;

	if (chat_id == NULL) {
		t->batch_i++;
		next_update(t);
		return;
	}
	user_of(json_object_get(msg, "from"), &user, &name);
	if (json_is_true(json_object_get(json_object_get(msg, "from"), "is_bot")) ||
	    !allowed(t, "message", user, name, chat_id)) {
		free(user);
		free(name);
		free(chat_id);
		t->batch_i++;
		next_update(t);
		return;
	}
	if (text == NULL || *text == '\0')
		text = json_string_value(json_object_get(msg, "caption"));
	m = xcalloc(1, sizeof(*m));
	m->t = t;
	m->channel = topic && json_is_integer(thread) ?
	    xasprintf("telegram:%s:%lld", chat_id, (long long)json_integer_value(thread)) :
	    xasprintf("telegram:%s", chat_id);
	routed = route_command(t, text ? text : "");
	m->ev = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:[]}", "type", "message",
	    "channel", m->channel, "user", user, "name", name, "admin",
	    strlist_has(&t->cfg->telegram.admin_users, user), "text", routed,
	    "files");
	free(routed);
	m->todo = json_array();
	photo = json_object_get(msg, "photo");
	if (json_array_size(photo) > 0) {
		json_t *ph = json_array_get(photo, json_array_size(photo) - 1);
		const char *uid = json_string_value(json_object_get(ph, "file_unique_id"));
		char *nm = xasprintf("photo-%s.jpg", uid ? uid : "x");
		char *sn = safe_name(nm, "photo.jpg");

		json_array_append_new(m->todo, json_pack("{s:O, s:s, s:s, s:s, s:I}",
		    "id", json_object_get(ph, "file_id"), "uid", uid ? uid : "x",
		    "name", sn, "mime", "image/jpeg", "size",
		    json_integer_value(json_object_get(ph, "file_size"))));
		free(nm);
		free(sn);
	}
	doc = json_object_get(msg, "document");
	if (json_is_object(doc)) {
		const char *uid = json_string_value(json_object_get(doc, "file_unique_id"));
		const char *mime = json_string_value(json_object_get(doc, "mime_type"));
		char *sn = safe_name(json_string_value(json_object_get(doc, "file_name")),
		    "file");

		json_array_append_new(m->todo, json_pack("{s:O, s:s, s:s, s:s, s:I}",
		    "id", json_object_get(doc, "file_id"), "uid", uid ? uid : "x",
		    "name", sn, "mime", mime ? mime : "application/octet-stream",
		    "size", json_integer_value(json_object_get(doc, "file_size"))));
		free(sn);
	}
	free(user);
	free(name);
	free(chat_id);
	fetch_next(m);
}

static void
ignore_reply(void *arg, const struct http_resp *r)
{
	(void)arg;
	(void)r;
}

/* answerCallbackQuery at once, outside the outbox: it only stops the
 * client's spinner and counts against no chat's limit. */
static void
answer_callback(struct tg *t, const char *id, const char *text)
{
	struct http_req *q = api_req(t, "answerCallbackQuery");
	json_t *p = json_pack("{s:s}", "callback_query_id", id);

	if (text)
		json_object_set_new(p, "text", json_string(text));
	http_req_json(q, p);
	json_decref(p);
	http_start(t->calls, q, ignore_reply, NULL);
}

static void
on_callback(struct tg *t, json_t *cq)
{
	const char *id = json_string_value(json_object_get(cq, "id"));
	const char *data = json_string_value(json_object_get(cq, "data"));
	json_t *msg = json_object_get(cq, "message");
	char *user = NULL, *name = NULL, *key, *chat, *mid;
	struct ask *a;

	chat = id_text(json_object_get(json_object_get(msg, "chat"), "id"));
	mid = id_text(json_object_get(msg, "message_id"));
	user_of(json_object_get(cq, "from"), &user, &name);
	if (id == NULL || chat == NULL || mid == NULL) {
		free(chat);
		free(mid);
		free(user);
		free(name);
		return;
	}
	if (!allowed(t, "button press", user, name, chat)) {
		answer_callback(t, id, "Not authorized");
		goto out;
	}
	key = xasprintf("%s:%s", chat, mid);
	a = strmap_get(&t->asks, key);
	if (a == NULL || data == NULL) {
		answer_callback(t, id, "This question is no longer open");
		free(key);
		goto out;
	}
	{
		size_t n = json_array_size(a->options), i;
		long long k = 0;
		bool done = strcmp(data, "done") == 0;
		struct buf vals = { 0 }, labels = { 0 };
		json_t *ev, *params;
		char *shown, *ltext;

		if (!done && (strncmp(data, "o:", 2) != 0 ||
		    !str_to_ll(data + 2, 0, (long long)n - 1, &k))) {
			answer_callback(t, id, NULL);
			free(key);
			goto out;
		}
		if (a->multi && !done) {
			const char *l = json_string_value(json_object_get(
			    json_array_get(a->options, k), "label"));
			char *ans;

			a->chosen[k] = !a->chosen[k];
			ans = xasprintf("%s %s", a->chosen[k] ? "✓" : "✗", l);
			answer_callback(t, id, ans);
			free(ans);
			params = json_pack("{s:o, s:o, s:o}", "chat_id", jint_of(a->chat),
			    "message_id", jint_of(a->msg_id), "reply_markup", keyboard(a));
			bridge_custom(t->b, a->channel, json_pack("{s:s, s:o}", "method",
			    "editMessageReplyMarkup", "params", params));
			free(key);
			goto out;
		}
		if (!a->multi)
			a->chosen[k] = true;
		for (i = 0; i < n; i++) {
			json_t *o = json_array_get(a->options, i);

			if (!a->chosen[i])
				continue;
			if (vals.len) {
				buf_putc(&vals, ',');
				buf_puts(&labels, ", ");
			}
			buf_puts(&vals, json_string_value(json_object_get(o, "value")));
			buf_puts(&labels, json_string_value(json_object_get(o, "label")));
		}
		ltext = cut_label(labels.s ? labels.s : "(none)", 150);
		shown = xasprintf("Selected: %s", ltext);
		answer_callback(t, id, shown);
		free(shown);
		ev = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s}", "type", "button",
		    "channel", a->channel, "user", user, "name", name, "admin",
		    strlist_has(&t->cfg->telegram.admin_users, user), "ref",
		    a->ref, "value", vals.s ? vals.s : "");
		bridge_emit(t->b, ev);
		/* The answer replaces the keyboard. */
		{
			struct buf h = { 0 };
			char **v;
			size_t nc;
			char *md = xasprintf("✓ %s", labels.s ? labels.s : "(none)");

			nc = md_telegram_chunks(md, strlen(md), 500, &v);
			buf_printf(&h, "%s\n\n%s", a->question, nc ? v[0] : "");
			tg_chunks_free(v, nc);
			free(md);
			params = json_pack("{s:o, s:o, s:s, s:s}", "chat_id", jint_of(a->chat),
			    "message_id", jint_of(a->msg_id), "text", h.s, "parse_mode", "HTML");
			bridge_custom(t->b, a->channel, json_pack("{s:s, s:o}", "method",
			    "editMessageText", "params", params));
			buf_free(&h);
		}
		free(ltext);
		buf_free(&vals);
		buf_free(&labels);
		ask_free(strmap_del(&t->asks, key));
		free(key);
	}
out:
	free(chat);
	free(mid);
	free(user);
	free(name);
}

static void
batch_flushed(void *arg)
{
	struct tg *t = arg;

	save_offset(t);
	poll_now(t);
}

/* Hand the batch's updates over one by one (downloads are asynchronous). */
static void
next_update(struct tg *t)
{
	json_t *u;

	while (!t->stopping && (u = json_array_get(t->batch, t->batch_i)) != NULL) {
		json_int_t id = json_integer_value(json_object_get(u, "update_id"));
		json_t *msg = json_object_get(u, "message");

		if (id + 1 > t->offset)
			t->offset = id + 1;
		if (json_is_object(msg)) {
			on_message(t, msg);	/* continues with next_update */
			return;
		}
		if (json_is_object(json_object_get(u, "callback_query")))
			on_callback(t, json_object_get(u, "callback_query"));
		t->batch_i++;
	}
	if (t->stopping)
		return;
	json_decref(t->batch);
	t->batch = NULL;
	bridge_when_flushed(t->b, batch_flushed, t);
}

static void start_getme(void *arg);

static void
on_poll_timer(evutil_socket_t fd, short what, void *arg)
{
	struct tg *t = arg;

	(void)fd;
	(void)what;
	if (t->username == NULL)
		start_getme(t);
	else
		poll_now(t);
}

static void
poll_later(struct tg *t, long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(t->poll_timer, &tv);
}

static void
got_updates(void *arg, const struct http_resp *r)
{
	struct tg *t = arg;
	struct api_reply a;

	parse_reply(r, &a);
	if (a.ok && json_is_array(a.result)) {
		t->poll_failures = 0;
		t->batch = json_incref(a.result);
		t->batch_i = 0;
		json_decref(a.root);
		next_update(t);
		return;
	}
	if (!a.net && (a.code == 401 || a.code == 404))
		fatal(t, TG_EXIT_TOKEN, "getUpdates", a.desc);
	else if (!a.net && a.code == 409)
		fatal(t, TG_EXIT_CONFLICT, "getUpdates", a.desc);
	else if (!a.net && a.code == 429)
		poll_later(t, (long)((a.retry_after > 0 ? a.retry_after : 1) * 1000) + 500);
	else {
		/* Back off 1 s, ×1.5 each time, at most 30 s. */
		long ms = 1000;

		for (int i = 1; i < t->poll_failures && ms < 30000; i++)
			ms = ms * 3 / 2;
		if (ms > 30000)
			ms = 30000;
		if (t->poll_failures++ == 0 || t->poll_failures % 10 == 0)
			warnx("getUpdates: %s (retrying)", a.desc ? a.desc : "failed");
		poll_later(t, ms);
	}
	json_decref(a.root);
}

static void
poll_now(struct tg *t)
{
	struct http_req *q;
	json_t *p;

	if (t->stopping)
		return;
	q = api_req(t, "getUpdates");
	p = json_pack("{s:I, s:i, s:[ss]}", "offset", (json_int_t)t->offset,
	    "timeout", t->poll_timeout, "allowed_updates", "message", "callback_query");
	http_req_json(q, p);
	json_decref(p);
	http_req_timeout(q, (t->poll_timeout + 15) * 1000L);
	http_start(t->poll, q, got_updates, t);
}

static void
got_me(void *arg, const struct http_resp *r)
{
	struct tg *t = arg;
	struct api_reply a;
	const char *u;
	char *name;

	parse_reply(r, &a);
	if (!a.ok && (a.net || a.code == 429)) {
		/* The network, not the token: try again. */
		if (t->poll_failures++ % 10 == 0)
			warnx("getMe: %s (retrying)", a.desc);
		poll_later(t, t->poll_failures > 5 ? 10000 : 2000);
		json_decref(a.root);
		return;
	}
	if (!a.ok) {
		if (a.code == 401 || a.code == 404)
			fatal(t, TG_EXIT_TOKEN, "getMe", a.desc);
		else
			fatal(t, TG_EXIT_FAIL, "getMe", a.desc);
		json_decref(a.root);
		return;
	}
	u = json_string_value(json_object_get(a.result, "username"));
	t->username = xstrdup(u ? u : "");
	t->poll_failures = 0;
	t->bot_id = json_integer_value(json_object_get(a.result, "id"));
	json_decref(a.root);
	name = xasprintf("telegram-%lld.offset", t->bot_id);
	t->offset_path = path_state(name);
	free(name);
	{
		char *sd = state_dir(NULL);

		if (sd == NULL) {
			fatal(t, TG_EXIT_FAIL, "~/.codecast", strerror(errno));
			return;
		}
		free(sd);
	}
	load_offset(t);
	if (!t->oneshot)
		poll_now(t);
}

/* ---- life ------------------------------------------------------------------- */

static struct tg *
tg_new(const struct config *cfg, const struct tgbot_opts *o, bool oneshot)
{
	static const struct bridge_platform plat = { tg_render, tg_call, NULL, NULL };
	struct bridge_config bc = { 0 };
	struct tg *t;
	const char *api;

	if (!cfg->telegram.present || cfg->telegram.token == NULL ||
	    cfg->telegram.token[0] == '\0') {
		warnx("%s: no bot.telegram.token", cfg->path);
		return NULL;
	}
	if (strpbrk(cfg->telegram.token, "/?# \t\n") != NULL) {
		warnx("%s: bot.telegram.token: not a bot token", cfg->path);
		return NULL;
	}
	api = cfg->telegram.api_url ? cfg->telegram.api_url : "https://api.telegram.org";
	t = xcalloc(1, sizeof(*t));
	t->cfg = cfg;
	t->oneshot = oneshot;
	t->base = event_base_new();
	if (t->base == NULL)
		errx(1, "event_base_new failed");
	t->api = xasprintf("%s%sbot%s/", api, str_ends(api, "/") ? "" : "/",
	    cfg->telegram.token);
	t->file_api = xasprintf("%s%sfile/bot%s/", api, str_ends(api, "/") ? "" : "/",
	    cfg->telegram.token);
	t->poll_timeout = o && o->poll_timeout > 0 ? o->poll_timeout : 25;
	t->calls = http_new(t->base, 4);
	t->poll = http_new(t->base, 1);
	t->poll_timer = evtimer_new(t->base, on_poll_timer, t);
	bc.hello = json_pack("{s:s, s:s, s:i, s:b, s:f, s:b, s:b, s:I}", "type", "hello",
	    "platform", "telegram", "max_len", TG_MAX_LEN, "can_edit", 1,
	    "edit_interval", o && o->chat_interval > 0 ? o->chat_interval : 1.0,
	    "buttons", 1, "files", 1, "max_file", (json_int_t)TG_MAX_UPLOAD);
	bc.channel_interval = o && o->chat_interval > 0 ? o->chat_interval : 1.0;
	bc.global_rate = o && o->global_rate > 0 ? o->global_rate : 30;
	bc.typing_interval = o && o->typing_interval > 0 ? o->typing_interval : 4;
	bc.max_file = TG_MAX_UPLOAD;
	bc.max_inflight = 4;
	t->b = bridge_new(t->base, &bc, &plat, t);
	json_decref(bc.hello);	/* the bridge holds its own reference */
	return t;
}

static void
tg_free(struct tg *t)
{
	if (t == NULL)
		return;
	bridge_free(t->b);
	http_free(t->calls);
	http_free(t->poll);
	json_decref(t->batch);
	strmap_free_with(&t->cmds, NULL);
	strmap_free_with(&t->asks, ask_free);
	if (t->poll_timer)
		event_free(t->poll_timer);
	event_base_free(t->base);
	free(t->api);
	free(t->file_api);
	free(t->username);
	free(t->offset_path);
	free(t);
}

static void
start_getme(void *arg)
{
	struct tg *t = arg;
	struct http_req *q = api_req(t, "getMe");

	http_req_timeout(q, 30000);
	http_start(t->calls, q, got_me, t);
}

int
tgbot_run(const struct config *cfg, const struct tgbot_opts *o)
{
	struct tg *t = tg_new(cfg, o, false);
	int rc;

	if (t == NULL)
		return TG_EXIT_TOKEN;
	rc = bridge_serve(t->b, &t->stopping, start_getme, t) == -1 ? TG_EXIT_FAIL :
	    t->exit_code;
	tg_free(t);
	return rc;
}

static void
got_check(void *arg, const struct http_resp *r)
{
	struct tg *t = arg;
	struct api_reply a;
	const char *u;

	parse_reply(r, &a);
	if (a.ok) {
		u = json_string_value(json_object_get(a.result, "username"));
		printf("@%s\n", u ? u : "");
		t->exit_code = TG_EXIT_OK;
		event_base_loopbreak(t->base);
	} else if (a.code == 401 || a.code == 404)
		fatal(t, TG_EXIT_TOKEN, "getMe", a.desc);
	else
		fatal(t, TG_EXIT_FAIL, "getMe", a.desc);
	json_decref(a.root);
}

int
tgbot_check(const struct config *cfg)
{
	struct tg *t = tg_new(cfg, NULL, true);
	struct http_req *q;
	int rc;

	if (t == NULL)
		return TG_EXIT_TOKEN;
	t->exit_code = TG_EXIT_FAIL;
	q = api_req(t, "getMe");
	http_req_timeout(q, 20000);
	http_start(t->calls, q, got_check, t);
	event_base_dispatch(t->base);
	rc = t->exit_code;
	tg_free(t);
	return rc;
}

static int
oneshot(const struct config *cfg, json_t *action)
{
	struct tg *t = tg_new(cfg, NULL, true);
	int rc;

	if (t == NULL) {
		json_decref(action);
		return TG_EXIT_TOKEN;
	}
	rc = bridge_oneshot(t->b, action, &t->stopping);
	rc = t->exit_code ? t->exit_code : rc ? TG_EXIT_FAIL : 0;
	tg_free(t);
	return rc;
}

static char *
chat_channel(const char *chat)
{
	char *c, *th;

	if (!parse_channel(chat, &c, &th))
		return NULL;
	{
		char *ch = th ? xasprintf("telegram:%s:%s", c, th) : xasprintf("telegram:%s", c);

		free(c);
		free(th);
		return ch;
	}
}

int
tgbot_oneshot(const struct config *cfg, const struct bridge_args *a)
{
	char *ch = chat_channel(a->target);
	json_t *act;

	if (ch == NULL) {
		warnx("%s: not a chat id (CHAT or CHAT:THREAD)", a->target);
		return 2;
	}
	act = bridge_args_action(a, ch);
	free(ch);
	return act ? oneshot(cfg, act) : 2;
}
