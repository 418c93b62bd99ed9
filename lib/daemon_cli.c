/* daemon_cli.c — argv per CLI and stream-json → stream events.  See
 * daemon_cli.h. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon_cli.h"
#include "jsonscan.h"
#include "util.h"

enum cli_kind
cli_kind_of(const char *cli_type)
{
	if (cli_type == NULL)
		return CLI_CLAUDE;
	if (strcmp(cli_type, "codex") == 0)
		return CLI_CODEX;
	if (strcmp(cli_type, "gemini") == 0)
		return CLI_GEMINI;
	if (strcmp(cli_type, "opencode") == 0)
		return CLI_OPENCODE;
	return CLI_CLAUDE;
}

const char *
cli_program(enum cli_kind k)
{
	switch (k) {
	case CLI_CODEX:
		return "codex";
	case CLI_GEMINI:
		return "gemini";
	case CLI_OPENCODE:
		return "opencode";
	case CLI_CLAUDE:
		break;
	}
	return "claude";
}

bool
cli_mode_valid(const char *mode)
{
	return mode != NULL && (strcmp(mode, "auto") == 0 ||
	    strcmp(mode, "code") == 0 || strcmp(mode, "plan") == 0 ||
	    strcmp(mode, "ask") == 0);
}

static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

bool
cli_model_valid(const char *model)
{
	size_t n;

	if (model == NULL || !is_alnum(model[0]))
		return false;
	for (n = 0; model[n]; n++)
		if (!is_alnum(model[n]) && strchr("._:/@[]+-", model[n]) == NULL)
			return false;
	return n <= CLI_MODEL_MAX;
}

/* 8-4-4-4-12 hex digits. */
static bool
is_uuid(const char *s)
{
	for (size_t i = 0; i < 36; i++) {
		char c = s[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return false;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		    (c >= 'A' && c <= 'F')))
			return false;
	}
	return s[36] == '\0';
}

bool
cli_session_id_valid(enum cli_kind k, const char *id)
{
	size_t n;

	if (id == NULL || *id == '\0')
		return false;
	switch (k) {
	case CLI_CLAUDE:
	case CLI_CODEX:
		return is_uuid(id);
	case CLI_GEMINI:
		if (is_uuid(id) || strcmp(id, "latest") == 0)
			return true;
		/* an index into gemini's session list */
		for (n = 0; id[n]; n++)
			if (id[n] < '0' || id[n] > '9')
				return false;
		return n <= 9 && id[0] != '0';
	case CLI_OPENCODE:
		if (strncmp(id, "ses_", 4) != 0)
			return false;
		for (n = 4; id[n]; n++)
			if (!is_alnum(id[n]))
				return false;
		return n > 4 && n <= 4 + 64;
	}
	return false;
}

struct argv {
	char **v;
	size_t n, cap;
};

static void
push(struct argv *a, const char *s)
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 16;
		a->v = xreallocarray(a->v, a->cap, sizeof(*a->v));
	}
	a->v[a->n++] = xstrdup(s);
	a->v[a->n] = NULL;
}

static bool
mode_is(const char *mode, const char *m)
{
	/* The daemon refuses an invalid mode; should one get here anyway,
	 * it is the most restrictive one, never auto. */
	if (!cli_mode_valid(mode))
		mode = "ask";
	return strcmp(mode, m) == 0;
}

static void
codex_mode(struct argv *a, const char *mode)
{
	if (mode_is(mode, "auto") || mode_is(mode, "code"))
		push(a, "--full-auto");
	else if (mode_is(mode, "plan")) {
		push(a, "--sandbox");
		push(a, "read-only");
	} else {
		push(a, "--sandbox");
		push(a, "read-only");
		push(a, "--approval-policy");
		push(a, "on-failure");
	}
}

char **
cli_argv(enum cli_kind k, const char *mode, const char *model,
    const char *resume_id, const char *message, const char *cwd)
{
	struct argv a = { NULL, 0, 0 };

	/* Values that could be read as options never reach the CLI: a model
	 * or an id of the wrong shape is left out (the daemon refuses them
	 * before they get here), and the message always comes after "--"
	 * (gemini: as --prompt=MESSAGE, one element). */
	if (resume_id != NULL && !cli_session_id_valid(k, resume_id))
		resume_id = NULL;
	if (model != NULL && !cli_model_valid(model))
		model = NULL;
	push(&a, cli_program(k));
	switch (k) {
	case CLI_CLAUDE:
		push(&a, "-p");
		push(&a, "--output-format");
		push(&a, "stream-json");
		push(&a, "--include-partial-messages");
		push(&a, "--verbose");
		if (mode_is(mode, "auto"))
			push(&a, "--dangerously-skip-permissions");
		if (model) {
			push(&a, "--model");
			push(&a, model);
		}
		if (resume_id) {
			push(&a, "--resume");
			push(&a, resume_id);
		}
		push(&a, "--");
		push(&a, message);
		break;
	case CLI_CODEX:
		push(&a, "exec");
		if (resume_id) {
			push(&a, "resume");
			push(&a, resume_id);
		}
		push(&a, "--json");
		codex_mode(&a, mode);
		if (model) {
			push(&a, "--model");
			push(&a, model);
		}
		push(&a, "--cd");
		push(&a, cwd ? cwd : ".");
		push(&a, "--");
		push(&a, message);
		break;
	case CLI_GEMINI: {
		char *p = xasprintf("--prompt=%s", message);

		push(&a, p);
		free(p);
		push(&a, "--output-format");
		push(&a, "stream-json");
		if (mode_is(mode, "auto")) {
			push(&a, "--approval-mode");
			push(&a, "yolo");
		} else if (mode_is(mode, "code")) {
			push(&a, "--approval-mode");
			push(&a, "auto_edit");
		} else if (mode_is(mode, "plan"))
			push(&a, "--sandbox");
		if (model) {
			push(&a, "--model");
			push(&a, model);
		}
		if (resume_id) {
			push(&a, "--resume");
			push(&a, resume_id);
		}
		break;
	}
	case CLI_OPENCODE:
		push(&a, "run");
		push(&a, "--format");
		push(&a, "json");
		push(&a, "--quiet");
		if (mode_is(mode, "auto") || mode_is(mode, "code"))
			push(&a, "--yolo");
		else if (mode_is(mode, "plan")) {
			push(&a, "--agent");
			push(&a, "plan");
		}
		if (model) {
			push(&a, "--model");
			push(&a, model);
		}
		if (resume_id) {
			push(&a, "--session");
			push(&a, resume_id);
		}
		push(&a, "--");
		push(&a, message);
		break;
	}
	return a.v;
}

void
cli_argv_free(char **argv)
{
	if (argv == NULL)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}

void
cli_parser_init(struct cli_parser *p, enum cli_kind k)
{
	memset(p, 0, sizeof(*p));
	p->kind = k;
}

void
cli_parser_free(struct cli_parser *p)
{
	free(p->session_id);
	p->session_id = NULL;
}

/* ---- small jansson helpers ---- */

static const char *
sget(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static json_t *
ev_new(const char *type)
{
	json_t *e = json_object();

	json_object_set_new(e, "type", json_string(type));
	return e;
}

static void
set_str(json_t *e, const char *key, const char *v)
{
	if (v != NULL)
		json_object_set_new(e, key, json_string(v));
}

static void
set_obj(json_t *e, const char *key, json_t *v)
{
	if (v != NULL && !json_is_null(v))
		json_object_set(e, key, v);
}

static void
emit_system(json_t *out, const char *subtype, const char *sid,
    const char *model, json_t *raw)
{
	json_t *e = ev_new("system");

	set_str(e, "subtype", subtype);
	set_str(e, "session_id", sid);
	set_str(e, "model", model);
	set_obj(e, "raw", raw);
	json_array_append_new(out, e);
}

static void
emit_content(json_t *out, const char *type, const char *content)
{
	json_t *e = ev_new(type);

	set_str(e, "content", content);
	json_array_append_new(out, e);
}

static void
emit_tool(json_t *out, const char *tool, json_t *input, const char *message,
    json_t *raw)
{
	json_t *e = ev_new("tool_use");

	set_str(e, "tool", tool);
	set_obj(e, "input", input);
	set_str(e, "message", message);
	set_obj(e, "raw", raw);
	json_array_append_new(out, e);
}

static void
emit_result(json_t *out, const char *sid, json_t *raw)
{
	json_t *e = ev_new("result");

	set_str(e, "session_id", sid);
	set_obj(e, "raw", raw);
	json_array_append_new(out, e);
}

static void
emit_error(json_t *out, const char *msg)
{
	json_t *e = ev_new("error");

	json_object_set_new(e, "message", json_string(msg));
	json_array_append_new(out, e);
}

static void
remember_sid(struct cli_parser *p, const char *sid)
{
	if (sid == NULL)
		return;
	free(p->session_id);
	p->session_id = xstrdup(sid);
}

/* ---- claude ---- */

static void
claude_assistant(json_t *msg, json_t *out)
{
	json_t *content = json_object_get(json_object_get(msg, "message"),
	    "content");
	size_t i, before = json_array_size(out);
	json_t *block;
	struct buf text = { 0 };
	bool any_text = false;

	if (json_is_array(content)) {
		json_array_foreach(content, i, block) {
			const char *t = sget(block, "type");

			if (t && strcmp(t, "tool_use") == 0)
				emit_tool(out, sget(block, "name"),
				    json_object_get(block, "input"), NULL, NULL);
		}
		json_array_foreach(content, i, block) {
			const char *t = sget(block, "type");
			const char *s = sget(block, "text");

			if (t == NULL || strcmp(t, "text") != 0)
				continue;
			any_text = true;
			if (s)
				buf_puts(&text, s);
		}
		if (any_text)
			emit_content(out, "text", text.s ? text.s : "");
	}
	if (json_array_size(out) == before)
		emit_content(out, "text", "");
	buf_free(&text);
}

static void
claude_stream_event(json_t *msg, json_t *out)
{
	json_t *ev = json_object_get(msg, "event");
	const char *t = sget(ev, "type");

	if (t == NULL)
		return;
	if (strcmp(t, "content_block_delta") == 0) {
		const char *s = sget(json_object_get(ev, "delta"), "text");

		if (s)
			emit_content(out, "partial", s);
	} else if (strcmp(t, "content_block_start") == 0) {
		json_t *cb = json_object_get(ev, "content_block");
		const char *ct = sget(cb, "type");

		if (ct && strcmp(ct, "tool_use") == 0)
			emit_tool(out, sget(cb, "name"), NULL, NULL, NULL);
	}
}

static void
claude_line(json_t *msg, json_t *out)
{
	const char *t = sget(msg, "type");

	if (t == NULL)
		return;
	if (strcmp(t, "system") == 0)
		emit_system(out, sget(msg, "subtype"), sget(msg, "session_id"),
		    sget(msg, "model"), msg);
	else if (strcmp(t, "assistant") == 0)
		claude_assistant(msg, out);
	else if (strcmp(t, "stream_event") == 0)
		claude_stream_event(msg, out);
	else if (strcmp(t, "tool_progress") == 0)
		emit_tool(out, sget(msg, "tool_name"), NULL,
		    sget(msg, "status"), msg);
	else if (strcmp(t, "result") == 0)
		emit_result(out, sget(msg, "session_id"), msg);
}

/* ---- codex ---- */

static void
codex_line(struct cli_parser *p, json_t *msg, json_t *out)
{
	const char *t = sget(msg, "type"), *it = sget(msg, "item_type");

	if (t == NULL)
		return;
	if (it == NULL)
		it = "";
	if (strcmp(t, "thread.started") == 0) {
		remember_sid(p, sget(msg, "thread_id"));
		emit_system(out, "init", sget(msg, "thread_id"),
		    sget(msg, "model"), msg);
	} else if (strcmp(t, "item.started") == 0) {
		if (strcmp(it, "command_execution") == 0)
			emit_tool(out, "bash", json_object_get(msg, "command"),
			    NULL, NULL);
		else if (strcmp(it, "file_change") == 0)
			emit_tool(out, "edit", json_object_get(msg, "file"),
			    NULL, NULL);
		else if (strcmp(it, "mcp_tool_call") == 0)
			emit_tool(out, sget(msg, "tool_name"),
			    json_object_get(msg, "parameters"), NULL, NULL);
		else if (strcmp(it, "agent_message") == 0)
			p->last_text_len = 0;
	} else if (strcmp(t, "item.updated") == 0) {
		const char *s = sget(msg, "text");
		size_t n;

		if (strcmp(it, "agent_message") != 0 || s == NULL)
			return;
		n = strlen(s);
		if (n > p->last_text_len) {
			/* Never start the delta inside a UTF-8 sequence. */
			size_t from = p->last_text_len;

			while (from > 0 && ((unsigned char)s[from] & 0xC0) == 0x80)
				from--;
			emit_content(out, "partial", s + from);
			p->last_text_len = n;
		}
	} else if (strcmp(t, "item.completed") == 0) {
		if (strcmp(it, "agent_message") == 0) {
			p->last_text_len = 0;
			emit_content(out, "text", sget(msg, "text"));
		} else if (strcmp(it, "command_execution") == 0)
			emit_tool(out, "bash", NULL, sget(msg, "output"), NULL);
		else if (strcmp(it, "file_change") == 0)
			emit_tool(out, "edit", NULL, sget(msg, "summary"), NULL);
		else if (strcmp(it, "mcp_tool_call") == 0)
			emit_tool(out, sget(msg, "tool_name"), NULL,
			    sget(msg, "result"), NULL);
	} else if (strcmp(t, "turn.completed") == 0)
		emit_result(out, p->session_id, msg);
	else if (strcmp(t, "turn.failed") == 0) {
		const char *e = sget(msg, "error");

		emit_error(out, e ? e : "Turn failed");
	} else if (strcmp(t, "error") == 0) {
		const char *e = sget(msg, "message");

		emit_error(out, e ? e : "Unknown error");
	}
}

/* ---- gemini ---- */

static const char *
gemini_tool(const char *name)
{
	if (strcmp(name, "run_shell_command") == 0)
		return "bash";
	if (strcmp(name, "write_file") == 0 || strcmp(name, "replace") == 0)
		return "edit";
	if (strcmp(name, "read_file") == 0)
		return "read";
	return name;
}

static void
gemini_line(struct cli_parser *p, json_t *msg, json_t *out)
{
	const char *t = sget(msg, "type");

	if (t == NULL)
		return;
	if (strcmp(t, "init") == 0) {
		remember_sid(p, sget(msg, "session_id"));
		emit_system(out, "init", sget(msg, "session_id"),
		    sget(msg, "model"), msg);
	} else if (strcmp(t, "message") == 0) {
		const char *role = sget(msg, "role");

		if (role == NULL || strcmp(role, "assistant") != 0)
			return;
		emit_content(out, json_is_true(json_object_get(msg, "delta")) ?
		    "partial" : "text", sget(msg, "content"));
	} else if (strcmp(t, "tool_use") == 0) {
		const char *n = sget(msg, "tool_name");

		emit_tool(out, gemini_tool(n ? n : "unknown"),
		    json_object_get(msg, "parameters"), NULL, NULL);
	} else if (strcmp(t, "tool_result") == 0) {
		const char *st = sget(msg, "status");

		if (st && strcmp(st, "error") == 0) {
			const char *e = sget(json_object_get(msg, "error"),
			    "message");

			if (e == NULL)
				e = sget(msg, "output");
			emit_error(out, e ? e : "Tool execution failed");
		} else {
			const char *id = sget(msg, "tool_id");
			char *name = xstrdup(id ? id : "tool");

			name[strcspn(name, "_")] = '\0';
			emit_tool(out, gemini_tool(name), NULL,
			    sget(msg, "output"), NULL);
			free(name);
		}
	} else if (strcmp(t, "error") == 0) {
		const char *e = sget(msg, "message");

		emit_error(out, e ? e : "Unknown error");
	} else if (strcmp(t, "result") == 0) {
		const char *st = sget(msg, "status");

		if (st && strcmp(st, "error") == 0) {
			const char *e = sget(json_object_get(msg, "error"),
			    "message");

			emit_error(out, e ? e : "Session ended with error");
		} else
			emit_result(out, p->session_id, msg);
	}
}

/* ---- opencode ---- */

static char *
opencode_tool(const char *name)
{
	static const char *map[][2] = {
		{ "Read", "read" }, { "Edit", "edit" }, { "Write", "edit" },
		{ "MultiEdit", "edit" }, { "Bash", "bash" }, { "Glob", "glob" },
		{ "Grep", "grep" }, { "Task", "subagent" },
	};
	char *s;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(name, map[i][0]) == 0)
			return xstrdup(map[i][1]);
	s = xstrdup(name);
	for (char *c = s; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	return s;
}

static void
opencode_line(struct cli_parser *p, json_t *msg, json_t *out)
{
	const char *t = sget(msg, "type");

	if (t == NULL)
		return;
	if (strcmp(t, "step_start") == 0) {
		remember_sid(p, sget(msg, "sessionID"));
		emit_system(out, "init", sget(msg, "sessionID"),
		    sget(msg, "model"), msg);
	} else if (strcmp(t, "message.part.updated") == 0) {
		json_t *part = json_object_get(msg, "part");
		const char *pt = sget(part, "type");

		if (pt == NULL)
			return;
		if (strcmp(pt, "text") == 0 || strcmp(pt, "thinking") == 0)
			emit_content(out, "partial", sget(part, "content"));
		else if (strcmp(pt, "tool") == 0) {
			const char *st = sget(part, "state"), *n = sget(part, "name");
			char *tool = opencode_tool(n ? n : "unknown");

			if (st && strcmp(st, "running") == 0)
				emit_tool(out, tool, json_object_get(part, "input"),
				    NULL, NULL);
			else if (st && strcmp(st, "completed") == 0)
				emit_tool(out, tool, NULL, sget(part, "output"),
				    NULL);
			else if (st && strcmp(st, "error") == 0) {
				const char *e = sget(part, "error");

				emit_error(out, e ? e : "Tool execution failed");
			}
			free(tool);
		}
	} else if (strcmp(t, "text") == 0)
		emit_content(out, "text", sget(msg, "content"));
	else if (strcmp(t, "step_finish") == 0)
		emit_result(out, p->session_id, msg);
	else if (strcmp(t, "error") == 0) {
		const char *e = sget(msg, "message");

		emit_error(out, e ? e : "Unknown error");
	}
}

int
cli_parse_line(struct cli_parser *p, const char *line, size_t len, json_t *out)
{
	json_t *msg;

	msg = json_loadb(line, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (msg == NULL)
		return -1;
	if (!json_is_object(msg)) {
		json_decref(msg);
		return -1;
	}
	switch (p->kind) {
	case CLI_CLAUDE:
		claude_line(msg, out);
		break;
	case CLI_CODEX:
		codex_line(p, msg, out);
		break;
	case CLI_GEMINI:
		gemini_line(p, msg, out);
		break;
	case CLI_OPENCODE:
		opencode_line(p, msg, out);
		break;
	}
	json_decref(msg);
	return 0;
}

const char *
cli_event_type(const json_t *ev)
{
	return json_string_value(json_object_get(ev, "type"));
}

const char *
cli_event_session_id(const json_t *ev)
{
	return json_string_value(json_object_get(ev, "session_id"));
}

const char *
cli_event_model(const json_t *ev)
{
	return json_string_value(json_object_get(ev, "model"));
}

/* ---- the fast path: jsonscan, which allocates nothing ---- */

/* What a stream_event line may hold that jansson could read differently
 * from the scan: the fast path leaves those lines to it. */
#define FAST_UNSURE	(JSONSCAN_UNSURE | JSONSCAN_ESCKEY)

/* A field to look for.  (Set member by member: an initializer zeroes the
 * whole array first, with a cost that shows on this path.) */
static inline void
want(struct jsonscan_field *f, const char *key, struct jsonscan_field *sub,
    size_t nsub)
{
	f->key = key;
	f->klen = strlen(key);
	f->sub = sub;
	f->nsub = nsub;
	f->val = NULL;
	f->vlen = 0;
	f->count = 0;
}

/* The exact shape the claude CLI prints for a text delta:
 *   {"type":"stream_event","event":{"type":"content_block_delta","index":N,
 *   "delta":{"type":"text_delta","text":"..."}},...more members...}
 * matched without a general scan: 1 = a delta (token set), 0 = not this
 * shape (the general scan decides), -1 = not valid or unsure. */
static int
fast_exact_delta(const char *line, size_t len, const char **tok, size_t *toklen)
{
	static const char pre1[] = "{\"type\":\"stream_event\",\"event\":"
	    "{\"type\":\"content_block_delta\",\"index\":";
	static const char pre2[] = ",\"delta\":{\"type\":\"text_delta\","
	    "\"text\":";
	struct jsonscan_field again[2];
	struct jsonscan j = { line, line + len, 1, 0 };
	const char *t, *te;
	bool esc;

	if (len < sizeof(pre1) - 1 || memcmp(line, pre1, sizeof(pre1) - 1) != 0)
		return 0;
	j.p += sizeof(pre1) - 1;
	t = j.p;
	if (j.p >= j.end || *j.p < '0' || *j.p > '9')
		return 0;
	while (j.p < j.end && *j.p >= '0' && *j.p <= '9')
		j.p++;
	if (j.p - t > 9 || (*t == '0' && j.p - t > 1))
		return 0;	/* leading zero or huge: not this shape */
	if ((size_t)(j.end - j.p) < sizeof(pre2) - 1 ||
	    memcmp(j.p, pre2, sizeof(pre2) - 1) != 0)
		return 0;
	j.p += sizeof(pre2) - 1;
	t = j.p;
	if (j.p >= j.end || *j.p != '"' || !jsonscan_string(&j, &esc))
		return 0;
	te = j.p;
	if (j.end - j.p < 2 || j.p[0] != '}' || j.p[1] != '}')
		return 0;
	j.p += 2;	/* closes "delta" and "event": at the top level's members */
	want(&again[0], "type", NULL, 0);
	want(&again[1], "event", NULL, 0);
	/* The rest of the top-level members: valid, and no second "type"
	 * or "event" (which would override these in jansson). */
	if (jsonscan_object_rest(&j, again, 2) != JSONSCAN_VALID ||
	    again[0].count != 0 || again[1].count != 0)
		return -1;
	jsonscan_ws(&j);
	if (j.p != j.end || (j.seen & FAST_UNSURE))
		return -1;
	*tok = t;
	*toklen = (size_t)(te - t);
	return 1;
}

/* Any other line: a general scan for the fields that decide. */
static enum cli_fast
fast_general(const char *line, size_t len, const char **tok, size_t *toklen)
{
	struct jsonscan_field delta[1], ev[2], top[2];
	unsigned seen;

	want(&delta[0], "text", NULL, 0);
	want(&ev[0], "type", NULL, 0);
	want(&ev[1], "delta", delta, 1);
	want(&top[0], "type", NULL, 0);
	want(&top[1], "event", ev, 2);
	if (len == 0 || jsonscan(line, len, top, 2, &seen) != JSONSCAN_VALID ||
	    (seen & FAST_UNSURE))
		return CLI_FAST_NO;
	if (!jsonscan_field_is(&top[0], "stream_event"))
		return CLI_FAST_NO;	/* also: not an object */
	if (top[1].val == NULL)
		return CLI_FAST_DROP;
	if (*top[1].val != '{')
		return CLI_FAST_NO;
	if (ev[0].val == NULL || *ev[0].val != '"')
		return CLI_FAST_NO;
	if (jsonscan_field_is(&ev[0], "content_block_start"))
		return CLI_FAST_NO;	/* maybe a tool_use block */
	if (!jsonscan_field_is(&ev[0], "content_block_delta"))
		return CLI_FAST_DROP;
	if (ev[1].val == NULL)
		return CLI_FAST_DROP;
	if (*ev[1].val != '{')
		return CLI_FAST_NO;
	if (delta[0].val == NULL)
		return CLI_FAST_DROP;	/* partial_json, thinking... */
	if (*delta[0].val != '"')
		return CLI_FAST_NO;
	*tok = delta[0].val;
	*toklen = delta[0].vlen;
	return CLI_FAST_PARTIAL;
}

enum cli_fast
cli_fast_line(const struct cli_parser *p, const char *line, size_t len,
    const char **tok, size_t *toklen)
{
	if (p->kind != CLI_CLAUDE)
		return CLI_FAST_NO;
	switch (fast_exact_delta(line, len, tok, toklen)) {
	case 1:
		return CLI_FAST_PARTIAL;
	case -1:
		return CLI_FAST_NO;
	default:
		return fast_general(line, len, tok, toklen);
	}
}
