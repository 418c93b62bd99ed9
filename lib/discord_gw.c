/* discord_gw.c — Discord's wire formats.  See discord_gw.h. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "discord_gw.h"
#include "util.h"

int
dc_gw_parse(const char *s, size_t n, struct dc_gw *g)
{
	json_t *op, *sv, *tv;

	memset(g, 0, sizeof(*g));
	g->s = -1;
	g->root = json_loadb(s, n, JSON_REJECT_DUPLICATES, NULL);
	op = json_object_get(g->root, "op");
	if (!json_is_object(g->root) || !json_is_integer(op) ||
	    json_integer_value(op) < 0 || json_integer_value(op) > 1000) {
		json_decref(g->root);
		g->root = NULL;
		return -1;
	}
	g->op = (int)json_integer_value(op);
	g->d = json_object_get(g->root, "d");
	sv = json_object_get(g->root, "s");
	if (json_is_integer(sv) && json_integer_value(sv) >= 0)
		g->s = json_integer_value(sv);
	tv = json_object_get(g->root, "t");
	g->t = json_string_value(tv);
	return 0;
}

static char *
dump(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);

	json_decref(o);
	if (s == NULL)
		abort();
	return s;
}

char *
dc_gw_heartbeat(long long seq)
{
	return dump(json_pack("{s:i, s:o}", "op", DC_OP_HEARTBEAT, "d",
	    seq >= 0 ? json_integer(seq) : json_null()));
}

char *
dc_gw_identify(const char *token, int intents)
{
	return dump(json_pack("{s:i, s:{s:s, s:i, s:{s:s, s:s, s:s}}}", "op",
	    DC_OP_IDENTIFY, "d", "token", token, "intents", intents, "properties",
	    "os", "linux", "browser", "codecast", "device", "codecast"));
}

char *
dc_gw_resume(const char *token, const char *session_id, long long seq)
{
	return dump(json_pack("{s:i, s:{s:s, s:s, s:I}}", "op", DC_OP_RESUME, "d",
	    "token", token, "session_id", session_id, "seq", (json_int_t)(seq < 0 ? 0 : seq)));
}

char *
dc_id(json_t *v)
{
	const char *s;

	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	s = json_string_value(v);
	if (s == NULL || *s == '\0' || strlen(s) > 24)
		return NULL;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return NULL;
	return xstrdup(s);
}

char *
dc_cut(const char *s, size_t max)
{
	size_t i = 0, cps = 0;

	if (max == 0)
		return xstrdup("");
	while (s[i]) {
		size_t k = i + 1;

		while ((s[k] & 0xC0) == 0x80)
			k++;
		if (cps == max - 1 && s[k] != '\0') {
			/* room for the ellipsis only */
			return xasprintf("%.*s…", (int)i, s);
		}
		i = k;
		cps++;
	}
	return xstrdup(s);
}

static char *
display_name(json_t *user)
{
	const char *g = json_string_value(json_object_get(user, "global_name"));
	const char *u = json_string_value(json_object_get(user, "username"));

	return xstrdup(u ? u : g ? g : "");
}

json_t *
dc_message_event(json_t *d, const char *bot_id, const char *prefix,
    const struct strlist *admins)
{
	json_t *author = json_object_get(d, "author");
	char *chan = dc_id(json_object_get(d, "channel_id"));
	char *user = dc_id(json_object_get(author, "id"));
	const char *content = json_string_value(json_object_get(d, "content"));
	char *name, *text, *channel;
	size_t pl = prefix ? strlen(prefix) : 0;
	json_t *ev;

	if (chan == NULL || user == NULL ||
	    json_is_true(json_object_get(author, "bot")) ||
	    (bot_id && strcmp(user, bot_id) == 0)) {
		free(chan);
		free(user);
		return NULL;
	}
	if (content == NULL)
		content = "";
	if (pl > 0 && strcmp(prefix, "/") != 0 && strncmp(content, prefix, pl) == 0 &&
	    content[pl] != '\0' && content[pl] != ' ')
		text = xasprintf("/%s", content + pl);
	else
		text = xstrdup(content);
	name = display_name(author);
	channel = xasprintf("discord:%s", chan);
	ev = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:[]}", "type", "message",
	    "channel", channel, "user", user, "name", name, "admin",
	    strlist_has(admins, user), "text", text, "files");
	free(chan);
	free(user);
	free(name);
	free(text);
	free(channel);
	return ev;
}

bool
dc_interaction_user(json_t *d, char **id, char **name)
{
	json_t *u = json_object_get(json_object_get(d, "member"), "user");

	if (!json_is_object(u))
		u = json_object_get(d, "user");
	*id = dc_id(json_object_get(u, "id"));
	if (*id == NULL)
		return false;
	*name = display_name(u);
	return true;
}

/* The engine's declaration of command name's options, or NULL. */
static json_t *
declared(json_t *list, const char *name)
{
	size_t i;
	json_t *c;

	json_array_foreach(list, i, c)
		if (json_is_string(json_object_get(c, "name")) &&
		    strcmp(json_string_value(json_object_get(c, "name")), name) == 0)
			return json_object_get(c, "options");
	return NULL;
}

/* An option's value as text (strings, numbers, booleans). */
static char *
opt_value(json_t *o)
{
	json_t *v = json_object_get(o, "value");

	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	if (json_is_real(v))
		return xasprintf("%g", json_real_value(v));
	if (json_is_boolean(v))
		return xstrdup(json_is_true(v) ? "true" : "false");
	return NULL;
}

static json_t *
given(json_t *opts, const char *name)
{
	size_t i;
	json_t *o;

	json_array_foreach(opts, i, o)
		if (json_is_string(json_object_get(o, "name")) &&
		    strcmp(json_string_value(json_object_get(o, "name")), name) == 0)
			return o;
	return NULL;
}

char *
dc_command_text(json_t *data, json_t *list)
{
	const char *name = json_string_value(json_object_get(data, "name"));
	json_t *opts = json_object_get(data, "options"), *decl, *o;
	struct buf b = { 0 };
	size_t i;

	if (name == NULL || *name == '\0' || strpbrk(name, " \n\t"))
		return NULL;
	buf_printf(&b, "/%s", name);
	decl = declared(list, name);
	if (json_is_array(decl)) {
		json_array_foreach(decl, i, o) {
			const char *on = json_string_value(json_object_get(o, "name"));
			json_t *g = on ? given(opts, on) : NULL;
			char *v = g ? opt_value(g) : NULL;

			if (v == NULL || *v == '\0') {
				free(v);
				continue;
			}
			if (json_is_true(json_object_get(o, "required")) ||
			    strcmp(on, "args") == 0)
				buf_printf(&b, " %s", v);
			else
				buf_printf(&b, " --%s %s", on, v);
			free(v);
		}
	} else {
		json_array_foreach(opts, i, o) {
			char *v = opt_value(o);

			if (v && *v)
				buf_printf(&b, " %s", v);
			free(v);
		}
	}
	return buf_steal(&b);
}

/* Discord's command and option names: 1–32 of lowercase letters, digits,
 * '-' and '_' (the ASCII part of ^[-_\p{L}\p{N}]{1,32}$, lowercase). */
static bool
good_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-' || s[i] == '_'))
			return false;
	return true;
}

static json_t *
description(const char *help, const char *fallback)
{
	char *d = dc_cut(help && *help ? help : fallback, 100);
	json_t *j = json_string(d);

	free(d);
	return j;
}

json_t *
dc_commands_payload(json_t *list)
{
	json_t *out = json_array(), *c;
	size_t i;

	json_array_foreach(list, i, c) {
		const char *name = json_string_value(json_object_get(c, "name"));
		json_t *opts, *o, *cmd;
		size_t k;
		int pass;

		if (!good_name(name))
			continue;
		opts = json_array();
		/* Required options first, as Discord demands. */
		for (pass = 0; pass < 2; pass++)
			json_array_foreach(json_object_get(c, "options"), k, o) {
				const char *on = json_string_value(json_object_get(o, "name"));
				bool req = json_is_true(json_object_get(o, "required"));
				json_t *ch = json_object_get(o, "choices"), *x, *opt;
				size_t m;

				if (req != (pass == 0) || !good_name(on) ||
				    json_array_size(opts) >= 25)
					continue;
				opt = json_pack("{s:i, s:s, s:o, s:b}", "type", 3, "name", on,
				    "description", description(json_string_value(
				    json_object_get(o, "help")), on), "required", req);
				if (json_array_size(ch) > 0) {
					json_t *cs = json_array();

					json_array_foreach(ch, m, x) {
						char *v;

						if (!json_is_string(x) || json_array_size(cs) >= 25)
							continue;
						v = dc_cut(json_string_value(x), 100);
						json_array_append_new(cs, json_pack("{s:s, s:s}",
						    "name", v, "value", v));
						free(v);
					}
					json_object_set_new(opt, "choices", cs);
				} else if (json_is_true(json_object_get(o, "complete")))
					json_object_set_new(opt, "autocomplete", json_true());
				json_array_append_new(opts, opt);
			}
		cmd = json_pack("{s:s, s:i, s:o, s:o}", "name", name, "type", 1,
		    "description", description(json_string_value(json_object_get(c,
		    "help")), name), "options", opts);
		json_array_append_new(out, cmd);
		if (json_array_size(out) >= 100)
			break;
	}
	return out;
}

bool
dc_focused_option(json_t *data, const char **name, const char **value)
{
	json_t *o;
	size_t i;

	json_array_foreach(json_object_get(data, "options"), i, o) {
		if (!json_is_true(json_object_get(o, "focused")))
			continue;
		*name = json_string_value(json_object_get(o, "name"));
		*value = json_string_value(json_object_get(o, "value"));
		if (*value == NULL)
			*value = "";
		return *name != NULL;
	}
	return false;
}

char *
dc_custom_id(const char *ref, const char *value)
{
	char *s;

	if (strchr(ref, '|') || (value && strchr(value, '|')))
		return NULL;
	s = value ? xasprintf("cc|%s|%s", ref, value) : xasprintf("cc|%s", ref);
	if (strlen(s) > 100 || *ref == '\0') {
		free(s);
		return NULL;
	}
	return s;
}

bool
dc_custom_parse(const char *id, char **ref, char **value)
{
	const char *r, *bar;

	if (id == NULL || strncmp(id, "cc|", 3) != 0)
		return false;
	r = id + 3;
	bar = strchr(r, '|');
	if (bar == r || *r == '\0' || (bar && strchr(bar + 1, '|')))
		return false;
	*ref = bar ? xstrndup(r, (size_t)(bar - r)) : xstrdup(r);
	*value = bar ? xstrdup(bar + 1) : NULL;
	return true;
}

json_t *
dc_ask_components(json_t *options, bool multi, const char *ref, const char **err)
{
	size_t n = json_array_size(options), i;
	json_t *o, *row;

	if (n == 0) {
		*err = "no options";
		return NULL;
	}
	if (n > 25) {
		*err = "more than 25 options";
		return NULL;
	}
	if (n <= 5 && !multi) {
		json_t *buttons = json_array();

		json_array_foreach(options, i, o) {
			const char *label = json_string_value(json_object_get(o, "label"));
			const char *value = json_string_value(json_object_get(o, "value"));
			char *id = value ? dc_custom_id(ref, value) : NULL;
			char *l;

			if (id == NULL) {
				json_decref(buttons);
				*err = "a button's ref or value does not fit a custom id";
				return NULL;
			}
			l = dc_cut(label && *label ? label : value, 80);
			json_array_append_new(buttons, json_pack("{s:i, s:i, s:s, s:s}",
			    "type", 2, "style", 2, "label", l, "custom_id", id));
			free(l);
			free(id);
		}
		return json_pack("[{s:i, s:o}]", "type", 1, "components", buttons);
	}
	{
		json_t *opts = json_array();
		char *id = dc_custom_id(ref, NULL);

		if (id == NULL) {
			json_decref(opts);
			*err = "the ref does not fit a custom id";
			return NULL;
		}
		json_array_foreach(options, i, o) {
			const char *label = json_string_value(json_object_get(o, "label"));
			const char *value = json_string_value(json_object_get(o, "value"));
			char *l;

			if (value == NULL || *value == '\0' || strlen(value) > 100) {
				json_decref(opts);
				free(id);
				*err = "an option's value does not fit";
				return NULL;
			}
			l = dc_cut(label && *label ? label : value, 100);
			json_array_append_new(opts, json_pack("{s:s, s:s}", "label", l,
			    "value", value));
			free(l);
		}
		row = json_pack("{s:i, s:[{s:i, s:s, s:s, s:i, s:i, s:o}]}", "type", 1,
		    "components", "type", 3, "custom_id", id, "placeholder",
		    multi ? "Choose one or more…" : "Choose…", "min_values", 1,
		    "max_values", multi ? (int)n : 1, "options", opts);
		free(id);
		return json_pack("[o]", row);
	}
}

static void
add_label(struct buf *b, const char *label)
{
	if (label == NULL)
		return;
	if (b->len)
		buf_puts(b, ", ");
	buf_puts(b, label);
}

char *
dc_chosen_labels(json_t *components, const char *ref, json_t *values)
{
	struct buf b = { 0 };
	json_t *row, *c, *v;
	size_t i, k, m;

	json_array_foreach(values, m, v) {
		const char *val = json_string_value(v);
		char *want = val ? dc_custom_id(ref, val) : NULL;

		if (val == NULL)
			continue;
		json_array_foreach(components, i, row)
			json_array_foreach(json_object_get(row, "components"), k, c) {
				const char *cid = json_string_value(json_object_get(c,
				    "custom_id"));
				json_t *o;
				size_t p;

				if (cid == NULL)
					continue;
				if (want && strcmp(cid, want) == 0)
					add_label(&b, json_string_value(json_object_get(c,
					    "label")));
				json_array_foreach(json_object_get(c, "options"), p, o)
					if (json_is_string(json_object_get(o, "value")) &&
					    strcmp(json_string_value(json_object_get(o,
					    "value")), val) == 0)
						add_label(&b, json_string_value(
						    json_object_get(o, "label")));
			}
		free(want);
	}
	return buf_steal(&b);
}
