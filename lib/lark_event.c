/* lark_event.c — Lark's events taken apart.  See lark_event.h. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "attach.h"
#include "config.h"
#include "lark_event.h"
#include "util.h"

static const char *
jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

int
lark_event_parse(const char *s, size_t n, struct lark_event *e)
{
	json_t *h;

	memset(e, 0, sizeof(*e));
	e->root = json_loadb(s, n, 0, NULL);
	if (!json_is_object(e->root)) {
		json_decref(e->root);
		e->root = NULL;
		return -1;
	}
	e->event = json_object_get(e->root, "event");
	h = json_object_get(e->root, "header");
	if (json_is_object(h)) {	/* schema 2.0 */
		e->event_id = jstr(h, "event_id");
		e->type = jstr(h, "event_type");
		e->token = jstr(h, "token");
	} else {			/* schema 1.0 */
		e->event_id = jstr(e->root, "uuid");
		e->type = jstr(e->event, "type");
		e->token = jstr(e->root, "token");
	}
	return 0;
}

void
lark_res_free(struct lark_res *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(r[i].message_id);
		free(r[i].key);
		free(r[i].type);
		free(r[i].name);
	}
	free(r);
}

static void
add_res(struct lark_res **res, size_t *n, const char *mid, const char *key,
    const char *type, const char *name)
{
	struct lark_res *r;

	if (key == NULL || *key == '\0' || *n >= 64)
		return;
	*res = xreallocarray(*res, *n + 1, sizeof(**res));
	r = &(*res)[(*n)++];
	r->message_id = xstrdup(mid);
	r->key = xstrdup(key);
	r->type = xstrdup(type);
	if (name && *name)
		r->name = attach_safe_name(name);
	else {
		char *n2 = xasprintf("%s%s", key, strcmp(type, "image") == 0 ? ".png" : "");

		r->name = attach_safe_name(n2);
		free(n2);
	}
}

/* A post's rows as text; its images as resources. */
static void
post_text(json_t *post, const char *mid, struct buf *b, struct lark_res **res,
    size_t *nres)
{
	const char *title;
	json_t *rows, *row, *el;
	size_t i, k;

	/* Sent as {"title","content"}; some clients nest it under a locale. */
	if (!json_is_array(json_object_get(post, "content"))) {
		const char *key;
		json_t *v;

		json_object_foreach(post, key, v)
			if (json_is_object(v) && json_is_array(json_object_get(v, "content"))) {
				post = v;
				break;
			}
	}
	title = jstr(post, "title");
	if (title && *title) {
		buf_puts(b, title);
		buf_putc(b, '\n');
	}
	rows = json_object_get(post, "content");
	json_array_foreach(rows, i, row) {
		if (i > 0)
			buf_putc(b, '\n');
		json_array_foreach(row, k, el) {
			const char *tag = jstr(el, "tag"), *t;

			if (tag == NULL)
				continue;
			if (strcmp(tag, "text") == 0 || strcmp(tag, "md") == 0 ||
			    strcmp(tag, "a") == 0) {
				if ((t = jstr(el, "text")) != NULL)
					buf_puts(b, t);
				if (strcmp(tag, "a") == 0 && (t = jstr(el, "href")) != NULL &&
				    (jstr(el, "text") == NULL ||
				    strcmp(t, jstr(el, "text")) != 0))
					buf_printf(b, " (%s)", t);
			} else if (strcmp(tag, "at") == 0) {
				const char *id = jstr(el, "user_id");
				const char *name = jstr(el, "user_name");

				if (id && str_starts(id, "@_"))
					buf_puts(b, id);
				else if (name)
					buf_printf(b, "@%s", name);
			} else if (strcmp(tag, "code_block") == 0) {
				const char *lang = jstr(el, "language");

				if ((t = jstr(el, "text")) != NULL)
					buf_printf(b, "```%s\n%s%s```", lang ? lang : "", t,
					    str_ends(t, "\n") ? "" : "\n");
			} else if (strcmp(tag, "img") == 0)
				add_res(res, nres, mid, jstr(el, "image_key"), "image", NULL);
			else if (strcmp(tag, "media") == 0)
				add_res(res, nres, mid, jstr(el, "file_key"), "file", NULL);
		}
	}
}

/* Mentions: those at the start go (they address the bot); the others
 * become @name.  The keys are @_user_N placeholders. */
static char *
mentions(const char *text, json_t *ments)
{
	struct buf b = { 0 };
	const char *p = text;
	json_t *m;
	size_t i;

	for (;;) {
		bool found = false;

		p += strspn(p, " \t\n");
		json_array_foreach(ments, i, m) {
			const char *key = jstr(m, "key");
			size_t kl = key ? strlen(key) : 0;

			if (kl > 0 && strncmp(p, key, kl) == 0 &&
			    !(p[kl] >= '0' && p[kl] <= '9')) {
				p += kl;
				found = true;
				break;
			}
		}
		if (!found)
			break;
	}
	while (*p) {
		bool found = false;

		if (*p == '@')
			json_array_foreach(ments, i, m) {
				const char *key = jstr(m, "key"), *name = jstr(m, "name");
				size_t kl = key ? strlen(key) : 0;

				if (kl > 0 && strncmp(p, key, kl) == 0 &&
				    !(p[kl] >= '0' && p[kl] <= '9')) {
					buf_printf(&b, "@%s", name ? name : "");
					p += kl;
					found = true;
					break;
				}
			}
		if (!found)
			buf_putc(&b, *p++);
	}
	return str_trim(buf_steal(&b));
}

json_t *
lark_message_event(json_t *ev, const struct strlist *admins, struct lark_res **res,
    size_t *nres, const char **chat_type, const char **message_id)
{
	json_t *sender = json_object_get(ev, "sender");
	json_t *msg = json_object_get(ev, "message"), *content, *out;
	const char *open_id = jstr(json_object_get(sender, "sender_id"), "open_id");
	const char *stype = jstr(sender, "sender_type");
	const char *chat = jstr(msg, "chat_id"), *mid = jstr(msg, "message_id");
	const char *mtype = jstr(msg, "message_type"), *cs = jstr(msg, "content");
	struct buf b = { 0 };
	char *text, *channel;

	*res = NULL;
	*nres = 0;
	if (chat_type)
		*chat_type = jstr(msg, "chat_type");
	if (message_id)
		*message_id = mid;
	if (open_id == NULL || *open_id == '\0' || chat == NULL || *chat == '\0' ||
	    mid == NULL || mtype == NULL || cs == NULL)
		return NULL;
	if (stype && strcmp(stype, "user") != 0)
		return NULL;	/* an app (ourselves, another bot) */
	content = json_loads(cs, 0, NULL);
	if (!json_is_object(content)) {
		json_decref(content);
		return NULL;
	}
	if (strcmp(mtype, "text") == 0) {
		const char *t = jstr(content, "text");

		buf_puts(&b, t ? t : "");
	} else if (strcmp(mtype, "post") == 0)
		post_text(content, mid, &b, res, nres);
	else if (strcmp(mtype, "image") == 0)
		add_res(res, nres, mid, jstr(content, "image_key"), "image", NULL);
	else if (strcmp(mtype, "file") == 0)
		add_res(res, nres, mid, jstr(content, "file_key"), "file",
		    jstr(content, "file_name") ? jstr(content, "file_name") : "file");
	else {
		json_decref(content);
		return NULL;
	}
	json_decref(content);
	text = mentions(b.s ? b.s : "", json_object_get(msg, "mentions"));
	buf_free(&b);
	if (*text == '\0' && *nres == 0) {
		free(text);
		return NULL;
	}
	channel = xasprintf("lark:%s", chat);
	out = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:[]}", "type", "message",
	    "channel", channel, "user", open_id, "name", open_id, "admin",
	    strlist_has(admins, open_id), "text", text, "files");
	free(channel);
	free(text);
	if (out == NULL) {	/* not UTF-8 */
		lark_res_free(*res, *nres);
		*res = NULL;
		*nres = 0;
	}
	return out;
}

json_t *
lark_button_value(const char *ref, const char *value)
{
	if (value == NULL)
		return json_pack("{s:s, s:b}", "cc", ref, "done", 1);
	return json_pack("{s:s, s:s}", "cc", ref, "v", value);
}

bool
lark_card_press(json_t *ev, struct lark_press *p)
{
	json_t *ctx = json_object_get(ev, "context");
	json_t *action = json_object_get(ev, "action");
	json_t *value = json_object_get(action, "value");

	memset(p, 0, sizeof(*p));
	p->user = jstr(json_object_get(ev, "operator"), "open_id");
	p->chat_id = jstr(ctx, "open_chat_id");
	p->message_id = jstr(ctx, "open_message_id");
	p->ref = jstr(value, "cc");
	p->value = jstr(value, "v");
	p->done = json_is_true(json_object_get(value, "done"));
	return p->user && *p->user && p->chat_id && *p->chat_id && p->ref && *p->ref &&
	    (p->value || p->done);
}
