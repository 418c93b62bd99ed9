/* engine_cmd.c — what a person types: the dispatch of a message (pending
 * selections, questions, commands, or text for the AI) and every command
 * (reference upstream-engine.md §2–§3, with the §16 defects fixed). */
#include "engine_int.h"
#include "sessdb.h"

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "askq.h"
#include "attach.h"
#include "chatfmt.h"
#include "machinecmd.h"
#include "msgsplit.h"
#include "names.h"
#include "paths.h"
#include "projectdir.h"

#define NO_SESSION	"\xe2\x9a\xa0\xef\xb8\x8f No active session. Use `/start` first."
#define RULE20		"\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80" \
			"\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80" \
			"\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80" \
			"\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80"

struct args {
	char **v;
	size_t n;
};

struct cmd {
	const char *name;
	const char *aliases[8];
	const char *args;
	const char *help;
	void (*fn)(struct engine *, struct channel *, struct args *, bool admin);
	bool variadic;
};

/* --- small helpers ------------------------------------------------------ */

static const char *
jget(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static const char *
jor(const json_t *o, const char *k, const char *dflt)
{
	const char *v = jget(o, k);

	return v && *v ? v : dflt;
}

static json_t *
resolve(struct engine *e, struct channel *ch)
{
	json_t *row = NULL;
	char *err = NULL;

	if (sessdb_resolve(e->db, ch->id, &row, &err) < 0) {
		warnx("%s: %s", ch->id, err);
		free(err);
		return NULL;
	}
	return row;
}

static void
say_error(struct engine *e, struct channel *ch, const char *what)
{
	act_sayf(e, ch, "**Error:** %s", what);
}

/* Upstream's wrapper texts for a failed daemon call (§2.4). */
static void
say_rpc_error(struct engine *e, struct channel *ch, const char *err)
{
	if (strstr(err, "connect") || strstr(err, "Connect") ||
	    strstr(err, "unreachable") || strstr(err, "refused"))
		act_sayf(e, ch, "**Error:** Cannot connect to daemon: %s", err);
	else
		act_sayf(e, ch, "**Error:** Daemon error: %s", err);
}

static void
args_free(struct args *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

/* Split on white space; at most max tokens, the last keeping the rest of
 * the text (max 0: no limit). */
static void
split_words(const char *s, size_t max, struct args *a)
{
	a->v = NULL;
	a->n = 0;
	while (*s) {
		const char *start;

		while (*s && isspace((unsigned char)*s))
			s++;
		if (*s == '\0')
			break;
		start = s;
		if (max && a->n + 1 == max) {
			const char *end = s + strlen(s);

			while (end > s && isspace((unsigned char)end[-1]))
				end--;
			a->v = xreallocarray(a->v, a->n + 1, sizeof(*a->v));
			a->v[a->n++] = xstrndup(start, (size_t)(end - start));
			break;
		}
		while (*s && !isspace((unsigned char)*s))
			s++;
		a->v = xreallocarray(a->v, a->n + 1, sizeof(*a->v));
		a->v[a->n++] = xstrndup(start, (size_t)(s - start));
	}
}

static char *
lower(const char *s)
{
	char *l = xstrdup(s), *p;

	for (p = l; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return l;
}

static bool
valid_cli(const char *t)
{
	return !strcmp(t, "claude") || !strcmp(t, "codex") ||
	    !strcmp(t, "gemini") || !strcmp(t, "opencode");
}

static const char *
name_or_sid(const json_t *row)
{
	return jor(row, "name", jor(row, "daemon_session_id", "?"));
}

/* --- /start ------------------------------------------------------------- */

static void start_session(struct engine *e, struct channel *ch,
    const char *peer, const char *arg, const char *cli, bool announce);

static void
start_created(struct engine *e, struct ctx *c, json_t *res, const char *err)
{
	struct channel *ch = c->ch;
	const char *peer = c->s[0], *path = c->s[1], *cli = c->s[2];
	const char *sid = res ? jget(res, "sessionId") : NULL;
	struct sess_new n = { 0 };
	json_t *row = NULL, *row2 = NULL;
	char *dberr = NULL;
	struct buf card = { 0 };

	if (err || sid == NULL) {
		say_rpc_error(e, ch, err ? err : "no sessionId in the answer");
		ctx_free(e, c);
		return;
	}
	n.channel = ch->id;
	n.machine = peer;
	n.path = path;
	n.daemon_sid = sid;
	n.mode = e->cfg->default_mode;
	n.cli_type = cli;
	if (sessdb_register(e->db, &n, &row, &dberr) != 0) {
		say_error(e, ch, dberr ? dberr : "cannot record the session");
		free(dberr);
		ctx_free(e, c);
		return;
	}
	if (sessdb_set(e->db, ch->id, "tool_display", e->cfg->tool_display,
	    &row2, &dberr) != 0) {
		warnx("%s: %s", ch->id, dberr);
		free(dberr);
	}
	json_decref(row2);
	buf_printf(&card, "\xe2\x9c\x85 **Session ready**");
	if (strcmp(cli, "claude") != 0)
		buf_printf(&card, " (%s)", cli);
	buf_printf(&card, "\n" RULE20 "\n");
	buf_printf(&card, "\xf0\x9f\x92\xbb **Peer:** %s\n", peer);
	buf_printf(&card, "\xf0\x9f\x93\x82 **Path:** `%s`\n", path);
	buf_printf(&card, "\xf0\x9f\x8f\xb7\xef\xb8\x8f **Name:** %s\n",
	    jor(row, "name", "?"));
	buf_printf(&card, "\xf0\x9f\x94\x90 **Mode:** %s\n",
	    display_mode(e->cfg->default_mode));
	buf_printf(&card, "\xf0\x9f\xa7\xa0 **Model:** default\n");
	buf_printf(&card, "\xf0\x9f\x86\x94 `%s`\n", sid);
	buf_printf(&card, RULE20 "\n");
	buf_printf(&card, "\xe2\x8c\xa8\xef\xb8\x8f Send a message to start chatting.");
	act_say(e, ch, card.s);
	buf_free(&card);
	json_decref(row);
	ctx_free(e, c);
}

static void
start_create(struct engine *e, struct ctx *c)
{
	json_t *p = json_pack("{s:s, s:s}", "path", c->s[1], "mode",
	    e->cfg->default_mode);

	if (strcmp(c->s[2], "claude") != 0)
		json_object_set_new(p, "cli_type", json_string(c->s[2]));
	peer_call(e, c->s[0], "session.create", p, start_created, c);
}

static void
start_skills_done(struct engine *e, struct ctx *c, const char *out,
    const char *err)
{
	(void)out;
	if (err)
		warnx("%s: skills: %s", c->s[0], err);
	start_create(e, c);
}

static void
start_prepared(struct engine *e, struct ctx *c, const char *out,
    const char *err)
{
	struct stat st;
	char **argv;

	(void)out;
	if (err) {
		if (c->s[3])	/* a git URL */
			act_sayf(e, c->ch, "Failed to clone repo: %s", err);
		else
			act_sayf(e, c->ch, "**Error:** %s", err);
		ctx_free(e, c);
		return;
	}
	if (!e->cfg->skills.sync_on_start || e->cfg->skills.shared_dir == NULL ||
	    stat(e->cfg->skills.shared_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		start_create(e, c);
		return;
	}
	argv = tool_argv(e, "cc-deploy", 3);
	argv[3] = xstrdup("skills");
	argv[4] = xstrdup(c->s[0]);
	argv[5] = xstrdup(c->s[1]);
	engine_run_tool(e, argv, start_skills_done, c);
	argv_free(argv);
}

static void
start_session(struct engine *e, struct channel *ch, const char *peer,
    const char *arg, const char *cli, bool announce)
{
	const struct peer *p = config_peer(e->cfg, peer);
	struct projectdir pd = { 0 };
	struct ctx *c;
	char **argv, *err = NULL;

	if (p == NULL) {
		act_sayf(e, ch, "Unknown peer: **%s**", peer);
		return;
	}
	if (projectdir_resolve(p->project_path, arg, &pd, &err) != 0) {
		say_error(e, ch, err);
		free(err);
		return;
	}
	if (announce) {
		if (pd.clone_url)
			act_sayf(e, ch, "\xe2\x9a\xa1 Cloning **%s** on **%s** \xe2\x86\x92 `%s`...",
			    pd.clone_url, peer, pd.path);
		else
			act_sayf(e, ch, "\xe2\x9a\xa1 Starting session on **%s**:`%s`...",
			    peer, pd.path);
	}
	c = ctx_new(e, ch);
	c->s[0] = xstrdup(peer);
	c->s[1] = xstrdup(pd.path);
	c->s[2] = xstrdup(cli);
	c->s[3] = pd.clone_url ? xstrdup(pd.clone_url) : NULL;
	projectdir_free(&pd);
	act_typing(e, ch, true);
	argv = tool_argv(e, "cc-deploy", 3);
	argv[3] = xstrdup("prepare");
	argv[4] = xstrdup(peer);
	argv[5] = xstrdup(arg);
	engine_run_tool(e, argv, start_prepared, c);
	argv_free(argv);
}

static void
cmd_start(struct engine *e, struct channel *ch, struct args *a, bool admin)
{
	const char *cli = "claude";
	struct buf path = { 0 };
	size_t i;
	char *cli_l = NULL;

	(void)admin;
	/* §16 Q1, Q2: every token after the peer is looked at; flags are
	 * taken out and what is left is the path. */
	for (i = 1; i < a->n; i++) {
		const char *t = a->v[i];

		if (!strcmp(t, "--codex") || !strcmp(t, "--gemini") ||
		    !strcmp(t, "--opencode")) {
			cli = t + 2;
			continue;
		}
		if (!strcmp(t, "--cli")) {
			if (i + 1 >= a->n) {
				act_say(e, ch, "Missing value for `--cli`. Usage: "
				    "`--cli <claude|codex|gemini|opencode>`");
				goto out;
			}
			free(cli_l);
			cli_l = lower(a->v[++i]);
			cli = cli_l;
			continue;
		}
		if (path.len)
			buf_putc(&path, ' ');
		buf_puts(&path, t);
	}
	if (a->n < 1 || path.len == 0) {
		act_say(e, ch, "Usage: `/start <peer> <remote_path> [--cli <type>]`\n"
		    "Example: `/start gpu-1 ~/projects/app` or `/start gpu-1 myapp`\n"
		    "Shortcuts: `--codex`, `--gemini`, `--opencode`");
		goto out;
	}
	if (!valid_cli(cli)) {
		act_sayf(e, ch, "Unknown CLI type: **%s**. Valid types: claude, "
		    "codex, gemini, opencode", cli);
		goto out;
	}
	start_session(e, ch, a->v[0], path.s, cli, true);
out:
	buf_free(&path);
	free(cli_l);
}

/* --- /resume ------------------------------------------------------------ */

static void
resume_done(struct engine *e, struct ctx *c, json_t *res, const char *err)
{
	struct channel *ch = c->ch;
	json_t *old = c->j, *row = NULL;
	struct sess_new n = { 0 };
	char *dberr = NULL;

	if (err) {
		say_rpc_error(e, ch, err);
		ctx_free(e, c);
		return;
	}
	if (!json_is_true(json_object_get(res, "ok"))) {
		act_say(e, ch, "**Error:** Failed to resume session");
		ctx_free(e, c);
		return;
	}
	n.channel = ch->id;
	n.machine = jget(old, "machine_id");
	n.path = jget(old, "path");
	n.daemon_sid = jget(old, "daemon_session_id");
	/* §16 Q3: the name, mode, cli type and display are kept. */
	if (sessdb_register(e->db, &n, &row, &dberr) != 0) {
		say_error(e, ch, dberr ? dberr : "cannot record the session");
		free(dberr);
		ctx_free(e, c);
		return;
	}
	json_decref(row);
	act_sayf(e, ch, "\xe2\x9c\x85 Session resumed%s on **%s**:`%s`",
	    json_is_true(json_object_get(res, "fallback")) ?
	    " (fresh session with history injected)" : "",
	    n.machine, n.path);
	ctx_free(e, c);
}

static void
cmd_resume(struct engine *e, struct channel *ch, struct args *a, bool admin)
{
	json_t *row = NULL, *p;
	char *err = NULL;
	struct ctx *c;
	const char *name;

	(void)admin;
	if (a->n < 1) {
		act_say(e, ch, "Usage: `/resume <session_id_or_name>`");
		return;
	}
	if (sessdb_find(e->db, a->v[0], &row, &err) != 0 || row == NULL) {
		if (err)
			warnx("%s", err);
		free(err);
		act_sayf(e, ch, "Session `%s` not found in records.", a->v[0]);
		return;
	}
	name = jget(row, "name");
	if (name && *name)
		act_sayf(e, ch, "\xf0\x9f\x94\x84 Resuming session (**%s**) on **%s**:`%s`...",
		    name, jor(row, "machine_id", "?"), jor(row, "path", "?"));
	else
		act_sayf(e, ch, "\xf0\x9f\x94\x84 Resuming session on **%s**:`%s`...",
		    jor(row, "machine_id", "?"), jor(row, "path", "?"));
	c = ctx_new(e, ch);
	c->j = row;
	p = json_pack("{s:s}", "sessionId", jor(row, "daemon_session_id", ""));
	if (jget(row, "sdk_session_id") && *jget(row, "sdk_session_id"))
		json_object_set_new(p, "sdkSessionId",
		    json_string(jget(row, "sdk_session_id")));
	peer_call(e, jor(row, "machine_id", ""), "session.resume", p,
	    resume_done, c);
}

/* --- /ls ---------------------------------------------------------------- */

static void
ls_machines_done(struct engine *e, struct ctx *c, const char *out,
    const char *err)
{
	json_t *machines = json_array();
	const char *line = out;
	size_t i;
	char *text;

	(void)err;	/* exit 1 just means a peer is down */
	/* cc-deploy status: {"peer":..,"online":..,"daemon":..} per line */
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		json_t *st = json_loadb(line, len, 0, NULL);

		if (st && json_is_object(st)) {
			const char *id = jget(st, "peer");
			const struct peer *p = id ? config_peer(e->cfg, id) : NULL;

			if (p && !config_peer_jump_only(e->cfg, p)) {
				json_t *m = json_object(), *paths = json_array();
				const char *d = jget(st, "daemon");

				for (i = 0; i < p->default_paths.n; i++)
					json_array_append_new(paths,
					    json_string(p->default_paths.v[i]));
				json_object_set_new(m, "id", json_string(p->id));
				json_object_set_new(m, "host", json_string(
				    p->host ? p->host : p->transport ==
				    TRANSPORT_LOCAL ? "localhost" :
				    p->address ? p->address : "?"));
				json_object_set_new(m, "status", json_string(
				    jget(st, "status") && !strcmp(jget(st, "status"),
				    "online") ? "online" : "offline"));
				json_object_set_new(m, "daemon", json_string(
				    d && !strcmp(d, "running") ? "running" :
				    d && !strcmp(d, "stopped") ? "stopped" :
				    "unknown"));
				json_object_set_new(m, "default_paths", paths);
				json_object_set_new(m, "localhost", json_boolean(
				    p->transport == TRANSPORT_LOCAL));
				json_array_append_new(machines, m);
			}
		}
		json_decref(st);
		line = nl ? nl + 1 : NULL;
	}
	if (json_array_size(machines) == 0 && err)
		warnx("cc-deploy status: %s", err);
	text = fmt_machine_list(machines);
	act_say(e, c->ch, text);
	free(text);
	json_decref(machines);
	ctx_free(e, c);
}

static void
cmd_ls(struct engine *e, struct channel *ch, struct args *a, bool admin)
{
	char *sub;

	(void)admin;
	if (a->n < 1) {
		act_say(e, ch, "Usage:\n`/ls machine` - List machines/peers\n"
		    "`/ls session [machine]` - List sessions");
		return;
	}
	sub = lower(a->v[0]);
	if (!strcmp(sub, "machine") || !strcmp(sub, "machines") ||
	    !strcmp(sub, "peer") || !strcmp(sub, "peers")) {
		struct ctx *c = ctx_new(e, ch);
		char **argv = tool_argv(e, "cc-deploy", 1);

		argv[3] = xstrdup("status");
		engine_run_tool(e, argv, ls_machines_done, c);
		argv_free(argv);
	} else if (!strcmp(sub, "session") || !strcmp(sub, "sessions")) {
		json_t *rows = NULL;
		char *err = NULL, *text;

		if (sessdb_list(e->db, false, a->n > 1 ? a->v[1] : NULL, NULL,
		    &rows, &err) < 0) {
			say_error(e, ch, err);
			free(err);
		} else {
			text = fmt_session_list(rows);
			act_say(e, ch, text);
			free(text);
		}
		json_decref(rows);
	} else
		act_say(e, ch, "Usage: `/ls machine` or `/ls session [machine]`");
	free(sub);
}

/* --- /exit, /rm, /rm-session -------------------------------------------- */

static void
cmd_exit(struct engine *e, struct channel *ch, struct args *a, bool admin)
{
	json_t *row = NULL;
	char *err = NULL;

	(void)a;
	(void)admin;
	if (sessdb_detach(e->db, ch->id, &row, &err) != 0 || row == NULL) {
		free(err);
		act_say(e, ch, "\xe2\x9a\xa0\xef\xb8\x8f No active session to exit.");
		return;
	}
	act_sayf(e, ch, "\xf0\x9f\x91\x8b Detached from session on **%s**:`%s`\n"
	    "Use `/resume %s` to reconnect.", jor(row, "machine_id", "?"),
	    jor(row, "path", "?"), name_or_sid(row));
	json_decref(row);
}

/* session.destroy on the peer; a failure is logged, as upstream does.  When
 * it is over, after(e, then) runs with the command's context (then->n
 * counts the destroys still to come when there are several). */
typedef void (*after_fn)(struct engine *e, struct ctx *then);

static void
destroy_done(struct engine *e, struct ctx *c, json_t *res, const char *err)
{
	after_fn after = c->after;
	struct ctx *then = c->data;

	(void)res;
	if (err)
		warnx("session.destroy %s: %s", c->s[0], err);
	ctx_free(e, c);
	if (after)
		after(e, then);
}

static void
destroy_remote(struct engine *e, const char *peer, const char *sid,
    after_fn after, struct ctx *then)
{
	struct ctx *c = ctx_new(e, NULL);

	c->s[0] = xstrdup(sid);
	c->after = after;
	c->data = then;
	peer_call(e, peer, "session.destroy", json_pack("{s:s}", "sessionId",
	    sid), destroy_done, c);
}

static void
rm_reply(struct engine *e, struct ctx *c)
{
	if (--c->n > 0)
		return;
	act_sayf(e, c->ch, "\xf0\x9f\x97\x91\xef\xb8\x8f Destroyed %s session(s) on **%s**:`%s`",
	    c->s[2], c->s[0], c->s[1]);
	ctx_free(e, c);
}

static void
cmd_rm(struct engine *e, struct channel *ch, struct args *a, bool admin)
{
	const struct peer *p;
	struct projectdir pd = { 0 };
	json_t *rows = NULL, *r;
	char *err = NULL;
	const char *path;
	struct ctx *c;
	size_t i;

	(void)admin;
	if (a->n < 2) {
		act_say(e, ch, "Usage: `/rm <peer> <path>`");
		return;
	}
	/* The path as /start stored it, so `/rm gpu-1 myapp` finds
	 * ~/Projects/myapp. */
	p = config_peer(e->cfg, a->v[0]);
	path = a->v[1];
	if (p && projectdir_resolve(p->project_path, a->v[1], &pd, &err) == 0)
		path = pd.path;
	free(err);
	err = NULL;
	if (sessdb_find_path(e->db, a->v[0], path, &rows, &err) < 0 ||
	    json_array_size(rows) == 0) {
		free(err);
		act_sayf(e, ch, "No sessions found for **%s**:`%s`", a->v[0], path);
		json_decref(rows);
		projectdir_free(&pd);
		return;
	}
	c = ctx_new(e, ch);
	c->s[0] = xstrdup(a->v[0]);
	c->s[1] = xstrdup(path);
	c->s[2] = xasprintf("%zu", json_array_size(rows));
	c->n = 1;		/* released below, after the loop */
	json_array_foreach(rows, i, r) {
		const char *st = jget(r, "status"), *sid = jget(r, "daemon_session_id");
		json_t *gone = NULL;

		if (st && sid && (!strcmp(st, "active") || !strcmp(st, "detached"))) {
			if (sessdb_destroy(e->db, sid, &gone, &err) < 0) {
				warnx("%s", err);
				free(err);
				err = NULL;
			}
			json_decref(gone);
			c->n++;
			destroy_remote(e, a->v[0], sid, rm_reply, c);
		}
	}
	rm_reply(e, c);
	json_decref(rows);
	projectdir_free(&pd);
}

static void
rm_session_reply(struct engine *e, struct ctx *c)
{
	act_sayf(e, c->ch, "\xf0\x9f\x97\x91\xef\xb8\x8f Destroyed session **%s** on **%s**:`%s`",
	    c->s[0], c->s[1], c->s[2]);
	ctx_free(e, c);
}

static void
cmd_rm_session(struct engine *e, struct channel *ch, struct args *a, bool admin)
{
	json_t *row = NULL, *gone = NULL;
	char *err = NULL;
	const char *st, *sid;
	struct ctx *c;

	(void)admin;
	if (a->n < 1) {
		act_say(e, ch, "Usage: `/rm-session <name_or_id>`");
		return;
	}
	if (sessdb_find(e->db, a->v[0], &row, &err) != 0 || row == NULL) {
		free(err);
		act_sayf(e, ch, "Session `%s` not found.", a->v[0]);
		return;
	}
	st = jget(row, "status");
	sid = jget(row, "daemon_session_id");
	c = ctx_new(e, ch);
	c->s[0] = xstrdup(name_or_sid(row));
	c->s[1] = xstrdup(jor(row, "machine_id", "?"));
	c->s[2] = xstrdup(jor(row, "path", "?"));
	if (st && sid && (!strcmp(st, "active") || !strcmp(st, "detached"))) {
		/* §16 Q4: by daemon id, never the channel's current row. */
		if (sessdb_destroy(e->db, sid, &gone, &err) < 0) {
			warnx("%s", err);
			free(err);
		}
		json_decref(gone);
		destroy_remote(e, jor(row, "machine_id", ""), sid,
		    rm_session_reply, c);
	} else
		rm_session_reply(e, c);
	json_decref(row);
}

/* --- /mode, /model, /tool-display --------------------------------------- */

static void
mode_done(struct engine *e, struct ctx *c, json_t *res, const char *err)
{
	json_t *row = NULL;
	char *dberr = NULL;

	if (err)
		say_rpc_error(e, c->ch, err);
	else if (!json_is_true(json_object_get(res, "ok")))
		act_say(e, c->ch, "**Error:** Failed to set mode");
	else {
		if (sessdb_set(e->db, c->ch->id, "mode", c->s[0], &row, &dberr) < 0) {
			warnx("%s", dberr);
			free(dberr);
		}
		json_decref(row);
		act_sayf(e, c->ch, "\xf0\x9f\x94\x90 Mode set to **%s**",
		    display_mode(c->s[0]));
	}
	ctx_free(e, c);
}

static void
cmd_mode(struct engine *e, struct channel *ch, struct args *a, bool admin)
{
	json_t *row;
	struct ctx *c;
	char *m;

	(void)admin;
	if (a->n < 1) {
		act_say(e, ch, "Usage: `/mode <auto|code|plan|ask>`\n"
		    "`auto` (bypass) - full auto: every tool allowed\n"
		    "`code` - auto-accept edits, confirm bash\n"
		    "`plan` - read-only analysis\n"
		    "`ask` - confirm everything");
		return;
	}
	m = lower(a->v[0]);
	if (!strcmp(m, "bypass")) {
		free(m);
		m = xstrdup("auto");
	}
	if (strcmp(m, "auto") && strcmp(m, "code") && strcmp(m, "plan") &&
	    strcmp(m, "ask")) {
		act_say(e, ch, "Invalid mode. Use: `auto` (bypass), `code`, `plan`, or `ask`");
		free(m);
		return;
	}
	if ((row = resolve(e, ch)) == NULL) {
		act_say(e, ch, NO_SESSION);
		free(m);
		return;
	}
	c = ctx_new(e, ch);
	c->s[0] = m;
	peer_call(e, jor(row, "machine_id", ""), "session.set_mode",
	    json_pack("{s:s, s:s}", "sessionId", jor(row, "daemon_session_id", ""),
	    "mode", m), mode_done, c);
	json_decref(row);
}

static void
model_done(struct engine *e, struct ctx *c, json_t *res, const char *err)
{
	if (err)
		say_rpc_error(e, c->ch, err);
	else if (!json_is_true(json_object_get(res, "ok")))
		act_say(e, c->ch, "**Error:** Failed to set model");
	else
		act_sayf(e, c->ch, "\xf0\x9f\xa7\xa0 Model set to **%s**", c->s[0]);
	ctx_free(e, c);
}

static void
cmd_model(struct engine *e, struct channel *ch, struct args *a, bool admin)
{
	json_t *row;
	struct ctx *c;

	(void)admin;
	if (a->n < 1) {
		act_say(e, ch, "Usage: `/model <name>`\nExample: `/model "
		    "claude-sonnet-4-5`\nModels: `claude-opus-4-1`, "
		    "`claude-sonnet-4-5`, `claude-haiku-4-5`");
		return;
	}
	if ((row = resolve(e, ch)) == NULL) {
		act_say(e, ch, NO_SESSION);
		return;
	}
	c = ctx_new(e, ch);
	c->s[0] = xstrdup(a->v[0]);
	peer_call(e, jor(row, "machine_id", ""), "session.set_model",
	    json_pack("{s:s, s:s}", "sessionId", jor(row, "daemon_session_id", ""),
	    "model", a->v[0]), model_done, c);
	json_decref(row);
}

static void
cmd_tool_display(struct engine *e, struct channel *ch, struct args *a,
    bool admin)
{
	json_t *row = NULL;
	char *m, *err = NULL;

	(void)admin;
	if (a->n < 1) {
		act_sayf(e, ch, "Usage: `/tool-display <live|buffer|timer|append|batch>`\n"
		    "`live` - the reply edited in place as it is written%s\n"
		    "`buffer` - a status line, the text at the end%s\n"
		    "`timer` - a timer, the text at the end\n"
		    "`append` - tool calls in one message, each text as its own\n"
		    "`batch` - the tool calls summed up after the text",
		    !strcmp(e->cfg->tool_display, "live") ? " (default)" : "",
		    !strcmp(e->cfg->tool_display, "buffer") ? " (default)" : "");
		return;
	}
	m = lower(a->v[0]);
	if (strcmp(m, "live") && strcmp(m, "buffer") && strcmp(m, "timer") &&
	    strcmp(m, "append") && strcmp(m, "batch")) {
		act_say(e, ch, "Invalid tool display mode. Use: `live`, `buffer`, "
		    "`timer`, `append`, or `batch`");
		free(m);
		return;
	}
	if (sessdb_set(e->db, ch->id, "tool_display", m, &row, &err) != 0 ||
	    row == NULL) {
		if (err)
			warnx("%s", err);
		free(err);
		act_say(e, ch, NO_SESSION);
	} else
		act_sayf(e, ch, "\xf0\x9f\x94\xa7 Tool display set to **%s**", m);
	json_decref(row);
	free(m);
}

/* --- /status, /interrupt ------------------------------------------------ */

static void
status_done(struct engine *e, struct ctx *c, json_t *res, const char *err)
{
	char *text = fmt_status(c->j, err ? NULL : res);

	act_say(e, c->ch, text);
	free(text);
	ctx_free(e, c);
}

static void
cmd_status(struct engine *e, struct channel *ch, struct args *a, bool admin)
{
	json_t *row;
	struct ctx *c;

	(void)a;
	(void)admin;
	if ((row = resolve(e, ch)) == NULL) {
		act_say(e, ch, "\xe2\x9a\xa0\xef\xb8\x8f No active session.");
		return;
	}
	c = ctx_new(e, ch);
	c->j = row;
	peer_call(e, jor(row, "machine_id", ""), "session.queue_stats",
	    json_pack("{s:s}", "sessionId", jor(row, "daemon_session_id", "")),
	    status_done, c);
}

static void
interrupt_done(struct engine *e, struct ctx *c, json_t *res, const char *err)
{
	if (err)
		act_sayf(e, c->ch, "**Error:** Failed to interrupt: %s", err);
	else if (json_is_true(json_object_get(res, "interrupted")))
		act_say(e, c->ch, "\xe2\x9c\x8b Interrupted Claude's current operation.");
	else
		act_say(e, c->ch, "\xf0\x9f\x92\xa4 Claude is not currently processing any request.");
	ctx_free(e, c);
}

static void
cmd_interrupt(struct engine *e, struct channel *ch, struct args *a, bool admin)
{
	json_t *row;
	struct ctx *c;

	(void)a;
	(void)admin;
	if (ch->replies)
		ch->stop_requested = true;
	if ((row = resolve(e, ch)) == NULL) {
		act_say(e, ch, NO_SESSION);
		return;
	}
	c = ctx_new(e, ch);
	peer_call(e, jor(row, "machine_id", ""), "session.interrupt",
	    json_pack("{s:s}", "sessionId", jor(row, "daemon_session_id", "")),
	    interrupt_done, c);
	json_decref(row);
}

/* --- /clear, /new ------------------------------------------------------- */

/* §16 Q3: the CLI type is kept. */
static void
renew_start(struct engine *e, struct ctx *c)
{
	start_session(e, c->ch, c->s[0], c->s[1], valid_cli(c->s[2]) ? c->s[2] :
	    "claude", true);
	ctx_free(e, c);
}

static void
renew(struct engine *e, struct channel *ch, bool is_new)
{
	json_t *row, *gone = NULL;
	char *err = NULL;
	struct ctx *c;

	if ((row = resolve(e, ch)) == NULL) {
		act_say(e, ch, is_new ? "No active session. Use `/start <machine> "
		    "<path>` first." : NO_SESSION);
		return;
	}
	if (is_new)
		act_sayf(e, ch, "\xf0\x9f\x94\x84 Starting fresh session (replacing **%s**)...",
		    name_or_sid(row));
	else
		act_sayf(e, ch, "\xf0\x9f\xa7\xb9 Clearing session **%s** and starting fresh...",
		    name_or_sid(row));
	c = ctx_new(e, ch);
	c->s[0] = xstrdup(jor(row, "machine_id", ""));
	c->s[1] = xstrdup(jor(row, "path", ""));
	c->s[2] = xstrdup(jor(row, "cli_type", "claude"));
	if (sessdb_destroy_channel(e->db, ch->id, &gone, &err) < 0) {
		warnx("%s", err);
		free(err);
	}
	json_decref(gone);
	destroy_remote(e, c->s[0], jor(row, "daemon_session_id", ""),
	    renew_start, c);
	json_decref(row);
}

static void
cmd_clear(struct engine *e, struct channel *ch, struct args *a, bool admin)
{
	(void)a;
	(void)admin;
	renew(e, ch, false);
}

static void
cmd_new(struct engine *e, struct channel *ch, struct args *a, bool admin)
{
	(void)a;
	(void)admin;
	renew(e, ch, true);
}

/* --- /rename ------------------------------------------------------------ */

static void
cmd_rename(struct engine *e, struct channel *ch, struct args *a, bool admin)
{
	json_t *row, *after = NULL;
	char *n, *err = NULL, *old;

	(void)admin;
	if (a->n < 1) {
		act_say(e, ch, "Usage: `/rename <new_name>`\nExample: `/rename my-project`");
		return;
	}
	n = lower(a->v[0]);
	str_trim(n);
	if (!name_valid(n)) {
		act_say(e, ch, "Invalid name. Use lowercase letters, digits, and "
		    "hyphens (at least two words).\nExamples: `my-project`, `test-run-1`");
		free(n);
		return;
	}
	if ((row = resolve(e, ch)) == NULL) {
		act_say(e, ch, NO_SESSION);
		free(n);
		return;
	}
	old = xstrdup(jor(row, "name", "(unnamed)"));
	if (sessdb_rename(e->db, ch->id, n, &after, &err) != 0) {
		if (err && strstr(err, "already in use"))
			act_sayf(e, ch, "Name `%s` is already in use. Choose a "
			    "different name.", n);
		else
			say_error(e, ch, err ? err : "rename failed");
		free(err);
	} else
		act_sayf(e, ch, "Session renamed: **%s** -> **%s**", old, n);
	json_decref(after);
	json_decref(row);
	free(old);
	free(n);
}

/* --- /health, /monitor -------------------------------------------------- */

/* One report per peer, gathered into one message in config order. */
struct gather {
	struct engine *e;
	struct channel *ch;
	bool monitor;
	size_t n, left;
	char **parts;
};

static void
gather_done(struct engine *e, struct ctx *c, json_t *res, const char *err)
{
	struct gather *g = c->data;
	const char *peer = c->s[0];
	size_t i;

	c->data = NULL;
	if (err)
		g->parts[c->n] = g->monitor ?
		    xasprintf("**Monitor - %s**: Error - %s", peer, err) :
		    xasprintf("**Daemon Health - %s**: Error - %s", peer, err);
	else
		g->parts[c->n] = g->monitor ? fmt_monitor(peer, res) :
		    fmt_health(peer, res);
	ctx_free(e, c);
	if (--g->left > 0)
		return;
	{
		struct buf b = { 0 };

		for (i = 0; i < g->n; i++) {
			if (i)
				buf_puts(&b, "\n\n");
			buf_puts(&b, g->parts[i]);
			free(g->parts[i]);
		}
		act_say(e, g->ch, b.s ? b.s : "");
		buf_free(&b);
	}
	free(g->parts);
	free(g);
}

static void
single_done(struct engine *e, struct ctx *c, json_t *res, const char *err)
{
	bool monitor = c->n;
	char *text;

	if (err) {
		act_sayf(e, c->ch, monitor ? "**Error:** Monitor failed for %s: %s" :
		    "**Error:** Health check failed for %s: %s", c->s[0], err);
	} else {
		text = monitor ? fmt_monitor(c->s[0], res) : fmt_health(c->s[0], res);
		act_say(e, c->ch, text);
		free(text);
	}
	ctx_free(e, c);
}

static void
report(struct engine *e, struct channel *ch, struct args *a, bool monitor)
{
	const char *method = monitor ? "monitor.sessions" : "health.check";
	char *target = NULL;
	struct gather *g;
	size_t i;

	if (a->n >= 1)
		target = xstrdup(a->v[0]);
	else {
		json_t *row = resolve(e, ch);

		if (row)
			target = xstrdup(jor(row, "machine_id", ""));
		json_decref(row);
	}
	if (target) {
		struct ctx *c = ctx_new(e, ch);

		c->s[0] = target;
		c->n = monitor;
		peer_call(e, target, method, NULL, single_done, c);
		return;
	}
	/* Every peer with a live tunnel, in config order. */
	g = xcalloc(1, sizeof(*g));
	g->e = e;
	g->ch = ch;
	g->monitor = monitor;
	g->parts = xcalloc(e->cfg->npeers + 1, sizeof(*g->parts));
	for (i = 0; i < e->cfg->npeers; i++) {
		struct peer_link *l;

		for (l = e->peers; l; l = l->next)
			if (!strcmp(l->id, e->cfg->peers[i].id) && l->target)
				break;
		if (l)
			g->n++;
	}
	if (g->n == 0) {
		act_sayf(e, ch, "No active tunnels. Use `/start` or specify a peer: "
		    "`/%s <peer>`", monitor ? "monitor" : "health");
		free(g->parts);
		free(g);
		return;
	}
	g->left = g->n;
	g->n = 0;
	for (i = 0; i < e->cfg->npeers; i++) {
		struct peer_link *l;
		struct ctx *c;

		for (l = e->peers; l; l = l->next)
			if (!strcmp(l->id, e->cfg->peers[i].id) && l->target)
				break;
		if (l == NULL)
			continue;
		c = ctx_new(e, ch);
		c->s[0] = xstrdup(l->id);
		c->n = (long)g->n++;
		c->data = g;
		peer_call(e, l->id, method, NULL, gather_done, c);
	}
}

static void
cmd_health(struct engine *e, struct channel *ch, struct args *a, bool admin)
{
	(void)admin;
	report(e, ch, a, false);
}

static void
cmd_monitor(struct engine *e, struct channel *ch, struct args *a, bool admin)
{
	(void)admin;
	report(e, ch, a, true);
}

/* --- /add-machine, /remove-machine -------------------------------------- */

static char *
ssh_config_path(void)
{
	return xasprintf("%s/.ssh/config", path_home());
}

static void
say_list(struct engine *e, struct channel *ch, struct strlist *out)
{
	size_t i;

	for (i = 0; i < out->n; i++)
		act_say(e, ch, out->v[i]);
	strlist_free(out);
}

static void
cmd_add_machine(struct engine *e, struct channel *ch, struct args *a,
    bool admin)
{
	struct strlist out = { 0 };
	char *ssh = ssh_config_path();

	(void)admin;
	if (a->n >= 1 && !strcmp(a->v[0], "--from-ssh")) {
		if (ch->import) {
			machine_import_free(ch->import);
			ch->import = NULL;
		}
		machine_import_list(e->cfg, ssh, &ch->import, &out);
	} else
		machine_add(&e->cfg, a->v, a->n, ssh, &out);
	say_list(e, ch, &out);
	free(ssh);
}

static void
cmd_remove_machine(struct engine *e, struct channel *ch, struct args *a,
    bool admin)
{
	struct strlist out = { 0 };
	json_t *rows = NULL, *live = json_array(), *r;
	char *err = NULL;
	size_t i;

	(void)admin;
	if (a->n >= 1 && sessdb_list(e->db, false, a->v[0], NULL, &rows, &err) < 0) {
		warnx("%s", err);
		free(err);
	}
	json_array_foreach(rows, i, r) {
		const char *st = jget(r, "status");

		if (st && (!strcmp(st, "active") || !strcmp(st, "detached")))
			json_array_append(live, r);
	}
	json_decref(rows);
	if (ch->remove) {
		machine_remove_free(ch->remove);
		ch->remove = NULL;
	}
	if (machine_remove(&e->cfg, a->n >= 1 ? a->v[0] : "", live, &ch->remove,
	    &out) == MACHINE_REMOVED)
		peer_forget(e, a->v[0]);
	json_decref(live);
	say_list(e, ch, &out);
}

/* The yes/no after /remove-machine. */
static void
remove_answer(struct engine *e, struct channel *ch, const char *text)
{
	struct machine_remove *st = ch->remove;
	struct strlist out = { 0 };
	char *id;

	ch->remove = NULL;
	id = xstrdup(machine_remove_id(st));
	if (machine_remove_answer(st, text, &out)) {
		const json_t *rows = machine_remove_sessions(st);
		json_t *r;
		size_t i;

		json_array_foreach(rows, i, r) {
			const char *s = jget(r, "status"), *c = jget(r, "channel_id");
			json_t *gone = NULL;
			char *err = NULL;

			if (s && c && !strcmp(s, "active")) {
				if (sessdb_detach(e->db, c, &gone, &err) < 0) {
					warnx("%s", err);
					free(err);
				}
				json_decref(gone);
			}
		}
		machine_remove_commit(&e->cfg, id, &out);
		peer_forget(e, id);
	}
	machine_remove_free(st);
	free(id);
	say_list(e, ch, &out);
}

/* --- /restart, /update -------------------------------------------------- */

static void
quit_for_restart(struct engine *e, struct channel *ch, const char *reason)
{
	char *path = path_state("restart_notify"), *dir = state_dir(NULL);
	FILE *f;

	free(dir);
	if ((f = fopen(path, "w")) != NULL) {
		fprintf(f, "%s\n%s\n", ch->id, reason);
		if (fclose(f) != 0)
			warn("%s", path);
	} else
		warn("%s", path);
	free(path);
	e->exit_status = 75;
	engine_stop(e);
}

static void
cmd_restart(struct engine *e, struct channel *ch, struct args *a, bool admin)
{
	(void)a;
	if (!admin) {
		act_say(e, ch, "**Error:** `/restart` requires admin privileges.");
		return;
	}
	act_sayf(e, ch, "Restarting head node... (v%s)", CC_VERSION);
	quit_for_restart(e, ch, "Restart");
}

static void
update_done(struct engine *e, struct ctx *c, const char *out, const char *err)
{
	struct channel *ch = c->ch;
	char *o = xstrdup(out ? out : "");
	size_t cut;

	cut = utf8_cut(o, strlen(o) > 1500 ? 1500 : strlen(o));
	o[cut] = '\0';
	if (err) {
		act_sayf(e, ch, "**Error:** Update failed: %s\n```\n%s\n```", err,
		    *o ? o : "(no output)");
	} else if (strstr(o, "Already up to date") || strstr(o, "up to date")) {
		act_sayf(e, ch, "Already up to date (v%s). No restart needed.\n```\n%s\n```",
		    CC_VERSION, o);
	} else {
		act_sayf(e, ch, "Updated:\n```\n%s\n```\nRestarting...", *o ? o :
		    "(no output)");
		quit_for_restart(e, ch, "Update");
	}
	free(o);
	ctx_free(e, c);
}

static void
cmd_update(struct engine *e, struct channel *ch, struct args *a, bool admin)
{
	char **argv;
	struct ctx *c;

	(void)a;
	if (!admin) {
		act_say(e, ch, "**Error:** `/update` requires admin privileges.");
		return;
	}
	if (e->cfg->update_command == NULL || *e->cfg->update_command == '\0') {
		act_say(e, ch, "**Error:** No update command configured "
		    "(`update_command` in config.yaml).");
		return;
	}
	act_sayf(e, ch, "Pulling latest code... (v%s)", CC_VERSION);
	argv = xcalloc(4, sizeof(*argv));
	argv[0] = xstrdup("/bin/sh");
	argv[1] = xstrdup("-c");
	argv[2] = xstrdup(e->cfg->update_command);
	c = ctx_new(e, ch);
	engine_run_tool(e, argv, update_done, c);
	argv_free(argv);
}

void
engine_restart_notice(struct engine *e)
{
	char *path = path_state("restart_notify");
	struct buf b = { 0 };
	char *nl, *chan, *reason;
	size_t plen = strlen(e->platform);

	if (read_file(path, 4096, &b) != 0 || b.s == NULL) {
		free(path);
		buf_free(&b);
		return;
	}
	chan = b.s;
	if ((nl = strchr(chan, '\n')) == NULL)
		goto out;
	*nl = '\0';
	reason = nl + 1;
	if ((nl = strchr(reason, '\n')) != NULL)
		*nl = '\0';
	if (strncmp(chan, e->platform, plen) != 0 || chan[plen] != ':')
		goto out;	/* another platform's engine tells it */
	if (unlink(path) == -1)
		warn("%s", path);
	act_sayf(e, channel_get(e, chan), "**%s complete.** Head node is back "
	    "online. (v%s)", *reason ? reason : "Restart", CC_VERSION);
out:
	free(path);
	buf_free(&b);
}

/* --- /get --------------------------------------------------------------- */

static void
get_done(struct engine *e, struct ctx *c, const char *out, const char *err)
{
	if (err)
		act_sayf(e, c->ch, "**Error:** Cannot fetch `%s`: %s", c->s[0], err);
	else {
		char *base = strrchr(c->s[0], '/');

		act_file(e, c->ch, out, base ? base + 1 : c->s[0], true);
	}
	ctx_free(e, c);
}

static void
cmd_get(struct engine *e, struct channel *ch, struct args *a, bool admin)
{
	json_t *row;
	struct ctx *c;
	char **argv;
	long long max;

	(void)admin;
	if (a->n < 1) {
		act_say(e, ch, "Usage: `/get <path>` - fetch a file from the session's peer");
		return;
	}
	if (!e->files) {
		act_say(e, ch, "**Error:** this chat cannot receive files.");
		return;
	}
	if ((row = resolve(e, ch)) == NULL) {
		act_say(e, ch, NO_SESSION);
		return;
	}
	max = e->cfg->file_forward.default_max_size > 0 ?
	    e->cfg->file_forward.default_max_size : 50LL << 20;
	c = ctx_new(e, ch);
	c->s[0] = xstrdup(a->v[0]);
	argv = tool_argv(e, "cc-deploy", 5);
	argv[3] = xstrdup("pull");
	argv[4] = xstrdup("--max-size");
	argv[5] = xasprintf("%lld", max);
	argv[6] = xstrdup(jor(row, "machine_id", ""));
	argv[7] = xstrdup(a->v[0]);
	engine_run_tool(e, argv, get_done, c);
	argv_free(argv);
	json_decref(row);
}

/* --- /help and the table ------------------------------------------------ */

static void cmd_help(struct engine *, struct channel *, struct args *, bool);

static const struct cmd commands[] = {
	{ "start", { 0 }, "<peer> <path> [--cli <type>]",
	    "Start a session on a peer", cmd_start, false },
	{ "resume", { 0 }, "<name_or_id>", "Resume a session", cmd_resume, false },
	{ "new", { 0 }, "", "Replace the session with a fresh one", cmd_new, false },
	{ "clear", { 0 }, "", "Destroy the session and start fresh", cmd_clear, false },
	{ "ls", { "list" }, "machine|session [peer]",
	    "List peers or sessions", cmd_ls, false },
	{ "exit", { 0 }, "", "Detach from the session (it keeps running)",
	    cmd_exit, false },
	{ "rm", { "remove", "destroy" }, "<peer> <path>",
	    "Destroy the sessions of a peer and path", cmd_rm, false },
	{ "rm-session", { "rmsession", "remove-session", "removesession" },
	    "<name_or_id>", "Destroy one session", cmd_rm_session, false },
	{ "mode", { 0 }, "<auto|code|plan|ask>", "Set the permission mode",
	    cmd_mode, false },
	{ "model", { 0 }, "<name>", "Set the model", cmd_model, false },
	{ "tool-display", { "tooldisplay" }, "<live|buffer|timer|append|batch>",
	    "How replies show tool calls", cmd_tool_display, false },
	{ "interrupt", { "stop" }, "", "Interrupt the running reply",
	    cmd_interrupt, false },
	{ "rename", { 0 }, "<new-name>", "Rename the session", cmd_rename, false },
	{ "status", { 0 }, "", "Show the session's status", cmd_status, false },
	{ "health", { 0 }, "[peer]", "Check a peer's daemon", cmd_health, false },
	{ "monitor", { 0 }, "[peer]", "Sessions on a peer's daemon",
	    cmd_monitor, false },
	{ "get", { 0 }, "<path>", "Fetch a file from the session's peer",
	    cmd_get, false },
	{ "add-machine", { "addmachine", "add-peer", "addpeer" },
	    "<name> [host user] [--proxy-jump P] [--port N] | --from-ssh",
	    "Add a peer (from ~/.ssh/config by name)", cmd_add_machine, true },
	{ "remove-machine", { "removemachine", "rm-machine", "rmmachine",
	    "remove-peer", "removepeer", "rm-peer", "rmpeer" }, "<name>",
	    "Remove a peer", cmd_remove_machine, false },
	{ "update", { 0 }, "", "Update and restart the head (admin)",
	    cmd_update, false },
	{ "restart", { 0 }, "", "Restart the head (admin)", cmd_restart, false },
	{ "help", { 0 }, "", "Show the commands", cmd_help, false },
};

static void
cmd_help(struct engine *e, struct channel *ch, struct args *a, bool admin)
{
	(void)a;
	(void)admin;
	act_say(e, ch, "**Codecast Commands:**\n\n"
	    "`/start <peer> <path> [--cli claude|codex|gemini|opencode]` - Start a session\n"
	    "`/resume <name_or_id>` - Resume a session\n"
	    "`/new` - Replace the session with a fresh one\n"
	    "`/clear` - Destroy the session and start fresh\n"
	    "`/ls machine` - List peers\n"
	    "`/ls session [peer]` - List sessions\n"
	    "`/exit` - Detach from the session\n"
	    "`/rm <peer> <path>` - Destroy the sessions of a path\n"
	    "`/rm-session <name_or_id>` - Destroy one session\n"
	    "`/mode <auto|code|plan|ask>` - Set the permission mode\n"
	    "`/model <name>` - Set the model\n"
	    "`/tool-display <live|buffer|timer|append|batch>` - How replies show tools\n"
	    "`/stop` - Interrupt the running reply\n"
	    "`/interrupt` - Interrupt the running reply\n"
	    "`/rename <new-name>` - Rename the session\n"
	    "`/status` - Show the session's status\n"
	    "`/health [peer]` - Check a peer's daemon\n"
	    "`/monitor [peer]` - Sessions on a peer's daemon\n"
	    "`/get <path>` - Fetch a file from the session's peer\n"
	    "`/add-machine <name>` - Add a peer (host and user from ~/.ssh/config)\n"
	    "`/add-machine --from-ssh` - Pick peers from ~/.ssh/config\n"
	    "`/add-peer` - Same as /add-machine\n"
	    "`/remove-machine <name>` - Remove a peer\n"
	    "`/remove-peer` - Same as /remove-machine\n"
	    "`/update` - Update and restart the head (admin)\n"
	    "`/restart` - Restart the head (admin)\n"
	    "`/help` - This help\n\n"
	    "After /start or /resume, any other message goes to Claude.");
}

json_t *
engine_command_list(void)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct cmd *c = &commands[i];
		json_t *o = json_pack("{s:s, s:s, s:s}", "name", c->name,
		    "args", c->args, "help", c->help);
		json_t *opts = json_array();

		if (!strcmp(c->name, "start")) {
			json_array_append_new(opts, json_pack("{s:s,s:s,s:b,s:b}",
			    "name", "peer", "help", "the peer", "required", 1,
			    "complete", 1));
			json_array_append_new(opts, json_pack("{s:s,s:s,s:b,s:b}",
			    "name", "path", "help", "path, name or git URL",
			    "required", 1, "complete", 1));
			json_array_append_new(opts, json_pack("{s:s,s:s,s:b,s:[ssss]}",
			    "name", "cli", "help", "the coding CLI", "required", 0,
			    "choices", "claude", "codex", "gemini", "opencode"));
		} else if (!strcmp(c->name, "resume") || !strcmp(c->name, "rm-session")) {
			json_array_append_new(opts, json_pack("{s:s,s:s,s:b,s:b}",
			    "name", "session", "help", "name or id", "required", 1,
			    "complete", 1));
		} else if (!strcmp(c->name, "mode")) {
			json_array_append_new(opts, json_pack("{s:s,s:s,s:b,s:[ssss]}",
			    "name", "mode", "help", "permission mode", "required", 1,
			    "choices", "auto", "code", "plan", "ask"));
		} else if (!strcmp(c->name, "tool-display")) {
			json_array_append_new(opts, json_pack("{s:s,s:s,s:b,s:[sssss]}",
			    "name", "display", "help", "display mode", "required", 1,
			    "choices", "live", "buffer", "timer", "append", "batch"));
		} else if (c->args[0]) {
			json_array_append_new(opts, json_pack("{s:s,s:s,s:b}",
			    "name", "args", "help", c->args, "required",
			    c->args[0] == '<'));
		}
		json_object_set_new(o, "options", opts);
		json_array_append_new(list, o);
	}
	return list;
}

static const struct cmd *
find_command(const char *name)
{
	size_t i, k;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(commands[i].name, name))
			return &commands[i];
		for (k = 0; k < 8 && commands[i].aliases[k]; k++)
			if (!strcmp(commands[i].aliases[k], name))
				return &commands[i];
	}
	return NULL;
}

/* --- completion (Discord's autocomplete) -------------------------------- */

void
engine_complete(struct engine *e, const char *channel, const char *ref,
    const char *command, const char *option, const char *value)
{
	json_t *choices = json_array();
	const char *v = value ? value : "";
	size_t i, vl = strlen(v);

	(void)channel;
	if (command && option && !strcmp(command, "start") &&
	    !strcmp(option, "peer")) {
		for (i = 0; i < e->cfg->npeers; i++)
			if (!strncmp(e->cfg->peers[i].id, v, vl) &&
			    !config_peer_jump_only(e->cfg, &e->cfg->peers[i]))
				json_array_append_new(choices,
				    json_string(e->cfg->peers[i].id));
	} else if (command && option && !strcmp(command, "start") &&
	    !strcmp(option, "path")) {
		for (i = 0; i < e->cfg->npeers; i++) {
			const struct peer *p = &e->cfg->peers[i];
			size_t k;

			for (k = 0; k < p->default_paths.n; k++)
				if (strstr(p->default_paths.v[k], v))
					json_array_append_new(choices,
					    json_string(p->default_paths.v[k]));
		}
	} else if (command && (!strcmp(command, "resume") ||
	    !strcmp(command, "rm-session"))) {
		json_t *rows = NULL, *r;
		char *err = NULL;

		if (sessdb_list(e->db, false, NULL, NULL, &rows, &err) < 0) {
			warnx("%s", err);
			free(err);
		}
		json_array_foreach(rows, i, r) {
			const char *n = jget(r, "name");

			if (n && !strncmp(n, v, vl) && json_array_size(choices) < 25)
				json_array_append_new(choices, json_string(n));
		}
		json_decref(rows);
	}
	while (json_array_size(choices) > 25)
		json_array_remove(choices, 25);
	act_emit(e, json_pack("{s:s, s:s, s:o}", "op", "choices", "ref", ref,
	    "choices", choices));
}

/* --- questions ---------------------------------------------------------- */

static struct question *
question_take(struct channel *ch, const char *ref)
{
	struct question **qp, *q;

	for (qp = &ch->questions; (q = *qp) != NULL; qp = &q->next)
		if (ref == NULL || !strcmp(q->ref, ref)) {
			*qp = q->next;
			return q;
		}
	return NULL;
}

static void
question_drop(struct question *q)
{
	free(q->ref);
	askq_free(q->q, 1);
}

static void forward(struct engine *e, struct channel *ch, const char *text,
    json_t *files);

void
engine_button(struct engine *e, struct channel *ch, const char *ref,
    const char *value)
{
	struct question *q = question_take(ch, ref);
	size_t *idx, n = 0, i;
	char *answer, *copy, *tok, *save = NULL;

	if (q == NULL) {
		warnx("%s: button for %s, which is not waiting", ch->id, ref);
		return;
	}
	idx = xcalloc(q->q->nopts + 1, sizeof(*idx));
	copy = xstrdup(value);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		long long k;

		if (str_to_ll(str_trim(tok), 0, (long long)q->q->nopts - 1, &k) &&
		    n < q->q->nopts) {
			for (i = 0; i < n && idx[i] != (size_t)k; i++)
				;
			if (i == n)
				idx[n++] = (size_t)k;
		}
	}
	free(copy);
	if (n == 0) {
		warnx("%s: button %s: no option \"%s\"", ch->id, ref, value);
		free(idx);
		question_drop(q);
		free(q);
		return;
	}
	answer = askq_answer(q->q, idx, n);
	free(idx);
	question_drop(q);
	free(q);
	forward(e, ch, answer, NULL);
	free(answer);
}

/* --- the message path --------------------------------------------------- */

static void
forward(struct engine *e, struct channel *ch, const char *text, json_t *files)
{
	json_t *row = resolve(e, ch);

	if (row == NULL) {
		act_say(e, ch, "No active session. Use `/start <machine> <path>` to begin.");
		return;
	}
	(void)files;
	reply_start(e, ch, row, text);
	json_decref(row);
}

/* Attachments: pushed to the peer, their paths added to the text. */
static void
upload_done(struct engine *e, struct ctx *c, const char *out, const char *err)
{
	struct buf t = { 0 };
	json_t *row;

	if (err) {
		act_sayf(e, c->ch, "**Error:** File upload failed: %s", err);
		ctx_free(e, c);
		return;
	}
	buf_puts(&t, c->s[0]);
	if (out && *out) {
		if (t.len)
			buf_putc(&t, '\n');
		buf_puts(&t, out);
	}
	row = resolve(e, c->ch);
	if (row == NULL)
		act_say(e, c->ch, "No active session. Use `/start <machine> <path>` to begin.");
	else
		reply_start(e, c->ch, row, t.s ? t.s : "");
	json_decref(row);
	buf_free(&t);
	ctx_free(e, c);
}

static void
forward_files(struct engine *e, struct channel *ch, const char *text,
    json_t *files)
{
	json_t *row = resolve(e, ch), *f;
	struct buf t = { 0 };
	size_t i, nup = 0;
	char **argv;
	struct ctx *c;

	if (row == NULL) {
		act_say(e, ch, "No active session. Use `/start <machine> <path>` to begin.");
		return;
	}
	buf_puts(&t, text);
	argv = tool_argv(e, "cc-deploy", 2 + json_array_size(files));
	argv[3] = xstrdup("push");
	argv[4] = xstrdup(jor(row, "machine_id", ""));
	json_array_foreach(files, i, f) {
		const char *path = jget(f, "path");
		const char *name = jor(f, "name", path ? path : "file");

		if (path == NULL || *path != '/')
			continue;
		if (attach_inline(name)) {
			if (attach_inline_append(&t, name, path, 1 << 20) == 0)
				continue;
			warn("%s", path);
		}
		argv[5 + nup++] = xstrdup(path);
	}
	json_decref(row);
	if (nup == 0) {
		forward(e, ch, t.s ? t.s : "", NULL);
		buf_free(&t);
		argv_free(argv);
		return;
	}
	c = ctx_new(e, ch);
	c->s[0] = buf_steal(&t);
	engine_run_tool(e, argv, upload_done, c);
	argv_free(argv);
}

void
engine_message(struct engine *e, struct channel *ch, const char *user,
    bool admin, const char *text, json_t *files)
{
	char *t = xstrdup(text);
	struct args a = { 0 };
	const struct cmd *c;
	char *cmd;

	(void)user;
	str_trim(t);
	if (*t == '\0' && json_array_size(files) == 0)
		goto out;
	if (*t != '/') {
		if (ch->import) {
			struct machine_import *st = ch->import;
			struct strlist out = { 0 };
			bool used;

			ch->import = NULL;
			used = machine_import_select(&e->cfg, st, t, &out);
			machine_import_free(st);
			say_list(e, ch, &out);
			if (used)
				goto out;
		}
		if (ch->remove) {
			remove_answer(e, ch, t);
			goto out;
		}
		if (ch->questions && json_array_size(files) == 0) {
			char *answer = NULL;

			if (askq_match_reply(ch->questions->q, t, &answer)) {
				struct question *q = question_take(ch, NULL);

				question_drop(q);
				free(q);
				forward(e, ch, answer, NULL);
				free(answer);
				goto out;
			}
		}
		if (json_array_size(files) > 0)
			forward_files(e, ch, t, files);
		else
			forward(e, ch, t, NULL);
		goto out;
	}
	split_words(t, 0, &a);
	cmd = lower(a.v[0] + 1);
	c = find_command(cmd);
	if (c == NULL) {
		json_t *row = resolve(e, ch);

		if (row) {
			json_decref(row);
			if (json_array_size(files) > 0)
				forward_files(e, ch, t, files);
			else
				forward(e, ch, t, NULL);
		} else
			act_sayf(e, ch, "Unknown command: `/%s`. Use `/help` for "
			    "available commands.", cmd);
		free(cmd);
		goto out;
	}
	free(cmd);
	args_free(&a);
	if (c->variadic || c->fn == cmd_start)
		split_words(t, 0, &a);
	else
		split_words(t, 3, &a);	/* the command and two arguments */
	{
		struct args rest = { a.v + 1, a.n - 1 };

		c->fn(e, ch, &rest, admin);
	}
out:
	args_free(&a);
	free(t);
}
