/* engine_reply.c — a reply as it streams in: the stream child (cc-rpc
 * session.send), the order of replies in a channel, the events every mode
 * handles alike (reference upstream-engine.md §6.3), the display modes
 * (buffer, timer, append, batch: §6.4–§6.6; live: ours), questions (§8)
 * and file forwarding (§9.4). */
#include "engine_int.h"
#include "proc.h"
#include "sessdb.h"

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "askq.h"
#include "chatfmt.h"
#include "fwdpath.h"
#include "msgsplit.h"
#include "toolfmt.h"

#define TICK_SECS	30		/* buffer/timer status edits */
#define ACTIVITY_MS	1500		/* append/batch edit gap */
#define ACTIVITY_MAX	1900		/* append/batch rollover */
#define CURSOR		"\xe2\x96\x8c"	/* ▌ */

static const char *
jget(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static bool
is_mode(const struct reply *r, const char *m)
{
	return strcmp(r->display, m) == 0;
}

static long
elapsed(const struct reply *r)
{
	return (long)((monotonic_ms() - r->t0) / 1000);
}

/* --- sending text ------------------------------------------------------- */

static void
say(struct reply *r, const char *text)
{
	act_say(r->ch->e, r->ch, text);
}

/* File forwarding (§9.4) for a text the AI wrote. */
static void
pull_done(struct engine *e, struct ctx *c, const char *out, const char *err)
{
	struct fwd_decision d;
	struct stat st;
	char *base = strrchr(c->s[0], '/');

	base = base ? base + 1 : c->s[0];
	if (err) {
		warnx("%s: %s: %s", c->s[1], c->s[0], err);	/* logged only */
		ctx_free(e, c);
		return;
	}
	if (stat(out, &st) != 0) {
		warn("%s", out);
		ctx_free(e, c);
		return;
	}
	fwd_decide(e->cfg, c->s[0], (long long)st.st_size, &d);
	if (d.action == FWD_AUTO_SEND && e->files)
		act_file(e, c->ch, out, base, true);
	else {
		act_sayf(e, c->ch, "File `%s` (%lldKB) exceeds size limit. %s",
		    base, (long long)st.st_size / 1024, d.reason);
		if (unlink(out) == -1)
			warn("%s", out);
	}
	fwd_decision_free(&d);
	ctx_free(e, c);
}

static void
forward_paths(struct reply *r, const char *text)
{
	struct engine *e = r->ch->e;
	struct pathlist paths = { 0 };
	size_t i;

	if (!e->cfg->file_forward.enabled || text == NULL || *text == '\0')
		return;
	if (r->seen == NULL)
		r->seen = fwd_seen_new();
	fwd_detect(r->seen, text, &paths);
	for (i = 0; i < paths.n; i++) {
		struct fwd_decision d;

		fwd_decide(e->cfg, paths.v[i], 0, &d);
		if (d.action == FWD_AUTO_SEND && e->files) {
			struct ctx *c = ctx_new(e, r->ch);
			long long max = d.rule ? d.rule->max_size :
			    e->cfg->file_forward.default_max_size;
			char **argv = tool_argv(e, "cc-deploy", 5);
			int k = 3;

			c->s[0] = xstrdup(paths.v[i]);
			c->s[1] = xstrdup(r->peer);
			argv[k++] = xstrdup("pull");
			if (max > 0) {
				argv[k++] = xstrdup("--max-size");
				argv[k++] = xasprintf("%lld", max);
			}
			argv[k++] = xstrdup(r->peer);
			argv[k++] = xstrdup(paths.v[i]);
			engine_run_tool(e, argv, pull_done, c);
			argv_free(argv);
		} else
			act_sayf(e, r->ch, "Detected file: `%s` \xe2\x80\x94 %s",
			    paths.v[i], d.reason);
		fwd_decision_free(&d);
	}
	pathlist_free(&paths);
}

/* --- questions (§8) ----------------------------------------------------- */

static void
ask(struct reply *r, json_t *ev)
{
	struct engine *e = r->ch->e;
	struct askq *qs = NULL;
	size_t n = askq_parse(ev, &qs), i, k;

	if (n == 0) {
		char *t = fmt_tool_use(ev);

		say(r, t);
		free(t);
		askq_free(qs, 0);
		return;
	}
	for (i = 0; i < n; i++) {
		struct question *q, **tail;
		char *text;

		if (qs[i].nopts == 0) {
			text = askq_text(&qs[i]);
			say(r, text);
			free(text);
			askq_free(&qs[i], 0);	/* members only */
			continue;
		}
		q = xcalloc(1, sizeof(*q));
		q->ref = engine_new_ref(e, 'q');
		q->q = xmalloc(sizeof(*q->q));
		*q->q = qs[i];		/* takes the members */
		if (e->buttons) {
			json_t *opts = json_array();
			struct buf t = { 0 };

			buf_printf(&t, "**%s**", q->q->header);
			if (q->q->question && *q->q->question)
				buf_printf(&t, "\n%s", q->q->question);
			for (k = 0; k < q->q->nopts; k++) {
				char *label = xasprintf("%zu. %s", k + 1,
				    q->q->options[k]);

				json_array_append_new(opts, json_pack("{s:s, s:s%}",
				    "label", label, "value", "", (size_t)0));
				json_object_set_new(json_array_get(opts, k), "value",
				    json_sprintf("%zu", k));
				free(label);
			}
			act_emit(e, json_pack("{s:s, s:s, s:s, s:s, s:o, s:b}",
			    "op", "ask", "channel", r->ch->id, "ref", q->ref,
			    "text", t.s, "options", opts, "multi", q->q->multi));
			buf_free(&t);
		} else {
			text = askq_text(q->q);
			say(r, text);
			free(text);
		}
		for (tail = &r->ch->questions; *tail; tail = &(*tail)->next)
			;
		*tail = q;
	}
	free(qs);		/* the array; its members were moved or freed */
}

/* --- buffer and timer (§6.4, §6.5) -------------------------------------- */

static char *
status_text(struct reply *r, bool done)
{
	if (is_mode(r, "timer")) {
		char *t = fmt_elapsed(elapsed(r)), *s;

		s = xasprintf(done ? "Done in %s" : "Working %s", t);
		free(t);
		return s;
	}
	return fmt_buffer_status(elapsed(r), (const char *const *)r->names,
	    r->nnames, r->count, done);
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct reply *r = arg;
	char *s;

	(void)fd;
	(void)what;
	if (r->status_ref == NULL)
		return;
	s = status_text(r, false);
	act_edit(r->ch->e, r->status_ref, s);
	free(s);
}

static void
status_show(struct reply *r)
{
	struct timeval tv = { TICK_SECS, 0 };
	char *s;

	if (r->status_ref)
		return;
	s = is_mode(r, "timer") ? xstrdup("Working 0s") : status_text(r, false);
	r->status_ref = act_send(r->ch->e, r->ch, s);
	free(s);
	act_typing(r->ch->e, r->ch, true);
	r->ticker = event_new(r->ch->e->base, -1, EV_PERSIST, tick_cb, r);
	if (r->ticker)
		evtimer_add(r->ticker, &tv);
}

static void
buffer_event(struct reply *r, const char *type, json_t *ev)
{
	if (!strcmp(type, "tool_use") || !strcmp(type, "partial")) {
		if (!strcmp(type, "tool_use") && is_mode(r, "buffer") &&
		    tool_event_detailed(ev)) {
			const char *tool = jget(ev, "tool");
			size_t i;

			if (tool == NULL || *tool == '\0')
				tool = "unknown";
			r->count++;
			for (i = 0; i < r->nnames && strcmp(r->names[i], tool); i++)
				;
			if (i == r->nnames) {
				if (r->nnames == 3) {
					free(r->names[0]);
					memmove(r->names, r->names + 1,
					    2 * sizeof(r->names[0]));
					r->nnames--;
				}
				r->names[r->nnames++] = xstrdup(tool);
			}
		}
		status_show(r);
	} else if (!strcmp(type, "text")) {
		const char *t = jget(ev, "content");

		if (t && *t) {
			if (r->has_text)
				buf_puts(&r->texts, "\n\n");
			buf_puts(&r->texts, t);
			r->has_text = true;
		}
	}
}

static void
buffer_end(struct reply *r)
{
	if (r->ticker) {
		event_free(r->ticker);
		r->ticker = NULL;
	}
	if (r->status_ref) {
		char *s = status_text(r, true);

		act_edit(r->ch->e, r->status_ref, s);
		free(s);
	}
	if (r->has_text) {
		say(r, r->texts.s);
		forward_paths(r, r->texts.s);
	}
}

/* --- append and batch (§6.6) -------------------------------------------- */

static char *
activity(struct reply *r, bool cursor)
{
	return fmt_activity((const char *const *)r->act_lines.v, r->act_lines.n,
	    r->thinking.s ? r->thinking.s : "", cursor);
}

static void
activity_finalize(struct reply *r)
{
	struct engine *e = r->ch->e;

	if (r->act_ref && r->act_lines.n > 0) {
		char *s = activity(r, false);

		act_edit(e, r->act_ref, s);
		free(s);
	} else if (r->act_ref)
		act_delete(e, r->act_ref);
	else if (r->act_lines.n > 0) {
		char *s = activity(r, false);

		say(r, s);
		free(s);
	}
	free(r->act_ref);
	r->act_ref = NULL;
	strlist_free(&r->act_lines);
}

static void
activity_update(struct reply *r)
{
	struct engine *e = r->ch->e;
	char *s = activity(r, true);

	if (text_units(s, strlen(s)) > ACTIVITY_MAX && r->act_ref) {
		free(s);
		activity_finalize(r);
		s = activity(r, true);
	}
	if (r->act_ref == NULL)
		r->act_ref = act_send(e, r->ch, s);
	else
		act_edit(e, r->act_ref, s);
	free(s);
	r->last_update = monotonic_ms();
}

static void
append_event(struct reply *r, const char *type, json_t *ev)
{
	long long now = monotonic_ms();

	if (!strcmp(type, "tool_use")) {
		char *line;

		buf_clear(&r->thinking);
		if (!tool_event_detailed(ev))
			return;
		line = fmt_tool_line(ev);
		if (is_mode(r, "batch")) {
			strlist_add(&r->batch_lines, line);
			return;
		}
		strlist_add(&r->act_lines, line);
		if (r->act_ref == NULL || now - r->last_update >= ACTIVITY_MS)
			activity_update(r);
	} else if (!strcmp(type, "partial")) {
		const char *t = jget(ev, "content");

		if (t && *t) {
			buf_puts(&r->thinking, t);
			if (now - r->last_update >= ACTIVITY_MS)
				activity_update(r);
		}
	} else if (!strcmp(type, "text")) {
		const char *t = jget(ev, "content");

		if (t && *t) {
			buf_clear(&r->thinking);
			activity_finalize(r);
			say(r, t);
			forward_paths(r, t);
		}
	}
}

static void
append_end(struct reply *r)
{
	buf_clear(&r->thinking);
	activity_finalize(r);
	if (r->batch_lines.n > 0) {
		char *s = fmt_activity((const char *const *)r->batch_lines.v,
		    r->batch_lines.n, "", false);

		say(r, s);
		free(s);
		strlist_free(&r->batch_lines);
	}
}

/* --- live (ours) -------------------------------------------------------- */

static void live_flush(struct reply *r, bool final);

static char *
live_render(struct reply *r, bool cursor)
{
	struct buf b = { 0 };
	size_t i;

	for (i = 0; i < r->nblocks; i++) {
		if (r->blocks[i].text.len == 0)
			continue;
		if (b.len)
			buf_puts(&b, "\n\n");
		buf_append(&b, r->blocks[i].text.s, r->blocks[i].text.len);
	}
	if (cursor) {
		while (b.len > 0 && (b.s[b.len - 1] == ' ' ||
		    b.s[b.len - 1] == '\t'))
			b.s[--b.len] = '\0';
		if (b.len)
			buf_putc(&b, ' ');
		buf_puts(&b, CURSOR);
	}
	return buf_steal(&b);
}

static void reply_finish(struct reply *r);

static void
edit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct reply *r = arg;

	(void)fd;
	(void)what;
	if (r->finishing)
		reply_finish(r);	/* the final edit, waited for */
	else if (r->dirty)
		live_flush(r, false);
}

/* Milliseconds until the live message may be edited again (0: now). */
static long long
live_wait(struct reply *r)
{
	long long due = r->last_edit + r->ch->e->edit_interval_ms,
	    now = monotonic_ms();

	return r->nmsgs == 0 || now >= due ? 0 : due - now;
}

static void
live_schedule(struct reply *r, long long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (r->ev_edit == NULL)
		r->ev_edit = evtimer_new(r->ch->e->base, edit_cb, r);
	if (r->ev_edit && !evtimer_pending(r->ev_edit, NULL))
		evtimer_add(r->ev_edit, &tv);
}

/* Something changed: show it now, or at the end of the edit interval. */
static void
live_changed(struct reply *r)
{
	long long ms;

	r->dirty = true;
	if ((ms = live_wait(r)) == 0)
		live_flush(r, false);
	else
		live_schedule(r, ms);
}

static void
live_flush(struct reply *r, bool final)
{
	struct engine *e = r->ch->e;
	struct chunks c;
	char *content;
	size_t i;

	if (r->ev_edit)
		evtimer_del(r->ev_edit);
	content = live_render(r, !final && e->can_edit);
	if (*content == '\0' || (!final && !e->can_edit && r->nblocks == 0)) {
		free(content);
		r->dirty = false;
		return;
	}
	msg_split_fenced(content, e->max_len, &c);
	free(content);
	for (i = 0; i < c.n; i++) {
		bool last = i + 1 == c.n;

		if (!final && !e->can_edit && last)
			break;		/* only whole messages without edits */
		if (i < r->nmsgs) {
			if (strcmp(r->msgs[i].shown, c.v[i]) != 0 && e->can_edit) {
				act_edit(e, r->msgs[i].ref, c.v[i]);
				free(r->msgs[i].shown);
				r->msgs[i].shown = xstrdup(c.v[i]);
			}
			continue;
		}
		r->msgs = xreallocarray(r->msgs, r->nmsgs + 1, sizeof(*r->msgs));
		r->msgs[r->nmsgs].ref = act_send(e, r->ch, c.v[i]);
		r->msgs[r->nmsgs].shown = xstrdup(c.v[i]);
		r->nmsgs++;
		inflight_record(e, r);	/* a restart edits it again */
		if (!final)
			act_typing(e, r->ch, true);
	}
	if (final && e->can_edit) {
		while (r->nmsgs > c.n) {	/* the text became shorter */
			r->nmsgs--;
			act_delete(e, r->msgs[r->nmsgs].ref);
			free(r->msgs[r->nmsgs].ref);
			free(r->msgs[r->nmsgs].shown);
		}
	}
	chunks_free(&c);
	r->last_edit = monotonic_ms();
	r->dirty = false;
}

static void
live_clear(struct reply *r)
{
	size_t i;

	for (i = 0; i < r->nblocks; i++)
		buf_free(&r->blocks[i].text);
	free(r->blocks);
	r->blocks = NULL;
	r->nblocks = 0;
	for (i = 0; i < r->nmsgs; i++) {
		free(r->msgs[i].ref);
		free(r->msgs[i].shown);
	}
	free(r->msgs);
	r->msgs = NULL;
	r->nmsgs = 0;
}

/* What is shown so far stays as it is; what comes next starts new
 * messages below whatever is sent now. */
static void
live_freeze(struct reply *r)
{
	if (r->nblocks > 0)
		live_flush(r, true);
	live_clear(r);
}

static struct live_block *
live_block(struct reply *r, bool tools)
{
	struct live_block *b;

	if (r->nblocks > 0) {
		b = &r->blocks[r->nblocks - 1];
		if (b->tools == tools && (tools || b->open))
			return b;
		b->open = false;
	}
	r->blocks = xreallocarray(r->blocks, r->nblocks + 1, sizeof(*r->blocks));
	b = &r->blocks[r->nblocks++];
	memset(b, 0, sizeof(*b));
	b->tools = tools;
	return b;
}

static void
live_event(struct reply *r, const char *type, json_t *ev)
{
	const char *t = jget(ev, "content");

	if (!strcmp(type, "tool_use")) {
		struct live_block *b;
		char *line;

		if (r->nblocks > 0)
			r->blocks[r->nblocks - 1].open = false;
		if (!tool_event_detailed(ev))
			return;
		b = live_block(r, true);
		line = fmt_tool_line(ev);
		if (b->text.len)
			buf_putc(&b->text, '\n');
		buf_puts(&b->text, line);
		free(line);
		live_changed(r);
	} else if (!strcmp(type, "partial")) {
		struct live_block *b;

		if (t == NULL || *t == '\0')
			return;
		if (r->nblocks == 0 || r->blocks[r->nblocks - 1].tools ||
		    !r->blocks[r->nblocks - 1].open) {
			b = live_block(r, false);
			b->open = true;
		} else
			b = &r->blocks[r->nblocks - 1];
		buf_puts(&b->text, t);
		live_changed(r);
	} else if (!strcmp(type, "text")) {
		struct live_block *b;

		if (t == NULL || *t == '\0')
			return;
		if (r->nblocks > 0 && !r->blocks[r->nblocks - 1].tools &&
		    r->blocks[r->nblocks - 1].open) {
			/* The whole text of what the partials showed. */
			b = &r->blocks[r->nblocks - 1];
			buf_clear(&b->text);
		} else
			b = live_block(r, false);
		buf_puts(&b->text, t);
		b->open = false;
		live_changed(r);
		forward_paths(r, t);
	}
}

/* --- events common to all modes (§6.3) ---------------------------------- */

static void
system_init(struct reply *r, json_t *ev)
{
	struct engine *e = r->ch->e;
	const char *model = jget(ev, "model");
	json_t *row = NULL;
	char *err = NULL;
	const char *sid = r->sid, *mode, *name;
	size_t i;

	if (model == NULL || *model == '\0' || r->resumed)
		return;
	if (sessdb_resolve(e->db, r->ch->id, &row, &err) < 0) {
		warnx("%s", err);
		free(err);
	}
	for (i = 0; i < e->init_shown.n; i++)
		if (!strcmp(e->init_shown.v[i], sid))
			break;
	if (i < e->init_shown.n) {
		json_decref(row);
		return;
	}
	strlist_add(&e->init_shown, xstrdup(sid));
	mode = row ? display_mode(jget(row, "mode") ? jget(row, "mode") : "") :
	    "unknown";
	name = row ? jget(row, "name") : NULL;
	if (is_mode(r, "live"))
		live_freeze(r);
	if (name && *name)
		act_sayf(e, r->ch, "Connected to **%s** | Mode: **%s** | Session: **%s**",
		    model, mode, name);
	else
		act_sayf(e, r->ch, "Connected to **%s** | Mode: **%s**", model, mode);
	json_decref(row);
}

void
reply_event(struct reply *r, json_t *ev)
{
	struct engine *e = r->ch->e;
	const char *type = jget(ev, "type");
	json_t *seq = json_object_get(ev, "seq");

	if (json_is_integer(seq))
		r->last_seq = json_integer_value(seq);
	if (type == NULL || !strcmp(type, "ping"))
		return;
	if (!strcmp(type, "result") || !strcmp(type, "error"))
		r->terminal = true;
	if (!strcmp(type, "tool_use") && jget(ev, "tool") &&
	    !strcmp(jget(ev, "tool"), "AskUserQuestion")) {
		if (is_mode(r, "live"))
			live_freeze(r);
		ask(r, ev);
		return;
	}
	if (!strcmp(type, "result")) {
		const char *sdk = jget(ev, "session_id");

		if (sdk && *sdk) {
			json_t *row = NULL;
			char *err = NULL;

			if (sessdb_set(e->db, r->ch->id, "sdk_session_id", sdk,
			    &row, &err) < 0) {
				warnx("%s", err);
				free(err);
			}
			json_decref(row);
		}
		return;
	}
	if (!strcmp(type, "system")) {
		if (jget(ev, "subtype") && !strcmp(jget(ev, "subtype"), "init"))
			system_init(r, ev);
		return;
	}
	if (!strcmp(type, "queued")) {
		if (!r->queued_shown) {
			json_t *pos = json_object_get(ev, "position");

			r->queued_shown = true;
			if (json_is_integer(pos))
				act_sayf(e, r->ch, "Message queued (position: %lld). "
				    "Claude is busy with a previous request.",
				    (long long)json_integer_value(pos));
			else
				act_say(e, r->ch, "Message queued (position: ?). "
				    "Claude is busy with a previous request.");
		}
		return;
	}
	if (!strcmp(type, "error")) {
		const char *m = jget(ev, "message");

		if (is_mode(r, "live"))
			live_freeze(r);
		else if (is_mode(r, "append") || is_mode(r, "batch"))
			activity_finalize(r);
		act_sayf(e, r->ch, "**Error:** %s", m && *m ? m : "Unknown error");
		return;
	}
	if (strcmp(type, "tool_use") && strcmp(type, "partial") &&
	    strcmp(type, "text"))
		return;		/* interrupted and unknown types */
	if (is_mode(r, "live"))
		live_event(r, type, ev);
	else if (is_mode(r, "buffer") || is_mode(r, "timer"))
		buffer_event(r, type, ev);
	else
		append_event(r, type, ev);
}

/* --- a reply's life ----------------------------------------------------- */

static void reply_become_head(struct reply *r);
static void reply_send_next(struct channel *ch);

static void
reply_finish(struct reply *r)
{
	struct channel *ch = r->ch;
	struct engine *e = ch->e;
	struct reply **rp;
	long long ms;

	if (r->finished)
		return;
	if (is_mode(r, "live") && e->can_edit && (ms = live_wait(r)) > 0) {
		/* The last edit too keeps the pace the bridge asked for. */
		if (r->ev_edit)
			evtimer_del(r->ev_edit);
		r->finishing = true;
		live_schedule(r, ms);
		return;
	}
	r->finished = true;
	if (is_mode(r, "live")) {
		live_flush(r, true);
		live_clear(r);
	} else if (is_mode(r, "buffer") || is_mode(r, "timer"))
		buffer_end(r);
	else
		append_end(r);
	if (r->end_error)
		act_sayf(e, ch, "**Error:** %s", r->end_error);
	if (r->resumed)
		act_say(e, ch, "_(this reply was completed after a restart)_");
	inflight_clear(e, r);
	for (rp = &ch->replies; *rp && *rp != r; rp = &(*rp)->next)
		;
	if (*rp)
		*rp = r->next;
	ch->stop_requested = false;
	reply_free(r);
	if (ch->replies)
		reply_become_head(ch->replies);
	else
		act_typing(e, ch, false);
}

static void
reply_become_head(struct reply *r)
{
	json_t *held = r->held, *ev;
	size_t i;

	r->held = NULL;
	r->head = true;
	r->t0 = monotonic_ms();
	act_typing(r->ch->e, r->ch, true);
	if (held) {
		json_array_foreach(held, i, ev)
			reply_event(r, ev);
		json_decref(held);
	}
	if (r->stream_ended || (r->polling && r->terminal && r->proc == NULL))
		reply_finish(r);
	else if (r->polling && r->proc == NULL)
		reply_poll(r);
}

void
reply_stream_end(struct reply *r, const char *err)
{
	r->proc = NULL;
	r->stream_ended = true;
	if (!r->accepted) {
		r->accepted = true;
		reply_send_next(r->ch);
	}
	if (err && r->end_error == NULL)
		r->end_error = xstrdup(err);
	if (r->queued_shown && !r->terminal && err == NULL && !r->polling) {
		/* Queued, and the daemon closed the stream: the reply comes
		 * from its buffer once the replies before it are done. */
		r->stream_ended = false;
		r->polling = true;
		if (r->head)
			reply_poll(r);
		return;
	}
	if (r->head)
		reply_finish(r);
}

bool
reply_terminal_seen(const struct reply *r)
{
	return r->terminal;
}

void
reply_stream_line(struct reply *r, const char *line, size_t len)
{
	json_t *ev, *seq;
	const char *type;

	if (!r->accepted) {
		r->accepted = true;
		reply_send_next(r->ch);
	}
	ev = json_loadb(line, len, 0, NULL);
	if (ev == NULL || !json_is_object(ev)) {
		warnx("%s: an event that is not a JSON object skipped", r->ch->id);
		json_decref(ev);
		return;
	}
	type = jget(ev, "type");
	if (r->polling && r->terminal && r->next &&
	    !(type && !strcmp(type, "error") && r->last_was_result)) {
		/* A poll of the daemon's buffer got the next queued
		 * message's reply too: it is that reply's. */
		json_decref(ev);
		reply_stream_line(r->next, line, len);
		return;
	}
	r->last_was_result = type && !strcmp(type, "result");
	seq = json_object_get(ev, "seq");
	if (r->since < 0 && json_is_integer(seq)) {
		/* The first event tells where this reply starts in the
		 * daemon's log: a restart replays from there. */
		r->since = json_integer_value(seq) - 1;
		inflight_record(r->ch->e, r);
	}
	if (r->head || (type && !strcmp(type, "queued")))
		reply_event(r, ev);
	else {
		if (r->held == NULL)
			r->held = json_array();
		json_array_append(r->held, ev);
		if (type && (!strcmp(type, "result") || !strcmp(type, "error")))
			r->terminal = true;
	}
	json_decref(ev);
}

static void
stream_line(struct proc *p, const char *line, size_t len, void *arg)
{
	(void)p;
	reply_stream_line(arg, line, len);
}

static void
stream_exit(struct proc *p, int status, const char *err, void *arg)
{
	struct reply *r = arg;

	(void)p;
	(void)err;
	/* cc-rpc already wrote its failures as error events; a child that
	 * could not run at all did not. */
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		reply_stream_end(r, "cc-rpc could not be run");
	else
		reply_stream_end(r, NULL);
}

static void
stream_with_target(struct engine *e, struct ctx *c, const char *target,
    const char *err)
{
	struct reply *r = c->data;
	struct proc_opts o = { 0 };
	char **argv, *perr = NULL;

	c->data = NULL;
	ctx_free(e, c);
	if (err) {
		char *m = xasprintf("Cannot connect to daemon: %s", err);

		reply_stream_end(r, m);
		free(m);
		return;
	}
	argv = tool_argv(e, "cc-rpc", 6);
	free(argv[1]);
	free(argv[2]);
	argv[1] = xstrdup("--peer");
	argv[2] = xstrdup(r->peer);
	argv[3] = xstrdup("-c");
	argv[4] = xstrdup(e->cfg_path);
	argv[5] = xstrdup(target);
	argv[6] = xstrdup("session.send");
	argv[7] = xasprintf("sessionId=%s", r->sid);
	argv[8] = xstrdup("message=@-");
	o.argv = argv;
	o.input = r->message;
	o.input_len = strlen(r->message);
	o.on_line = stream_line;
	o.on_exit = stream_exit;
	o.arg = r;
	r->proc = proc_start(e->procs, &o, &perr);
	argv_free(argv);
	free(r->message);
	r->message = NULL;
	if (r->proc == NULL) {
		reply_stream_end(r, perr);
		free(perr);
	}
}

struct reply *
reply_new(struct engine *e, struct channel *ch, const char *peer,
    const char *sid, const char *display)
{
	struct reply *r = xcalloc(1, sizeof(*r)), **tail;

	r->ch = ch;
	r->peer = xstrdup(peer ? peer : "");
	r->sid = xstrdup(sid ? sid : "");
	if (display == NULL || (strcmp(display, "live") &&
	    strcmp(display, "buffer") && strcmp(display, "timer") &&
	    strcmp(display, "append") && strcmp(display, "batch")))
		display = e->cfg->tool_display;
	r->display = xstrdup(display);
	r->since = -1;
	r->last_update = monotonic_ms();
	for (tail = &ch->replies; *tail; tail = &(*tail)->next)
		;
	*tail = r;
	if (ch->replies == r) {
		r->head = true;
		r->t0 = monotonic_ms();
		r->last_update = r->t0;
		act_typing(e, ch, true);
	}
	return r;
}

void
reply_attach(struct reply *r, struct proc *p)
{
	r->proc = p;
}

void
reply_start(struct engine *e, struct channel *ch, const json_t *row,
    const char *text)
{
	struct reply *r = reply_new(e, ch, jget(row, "machine_id"),
	    jget(row, "daemon_session_id"), jget(row, "tool_display"));

	r->name = jget(row, "name") ? xstrdup(jget(row, "name")) : NULL;
	r->message = xstrdup(text);
	inflight_record(e, r);
	reply_send_next(ch);
}

/* Messages reach the daemon in the order they were written: the next one is
 * sent once the daemon has answered the one before (its first event). */
static void
reply_send_next(struct channel *ch)
{
	struct reply *r;
	struct ctx *c;

	for (r = ch->replies; r; r = r->next) {
		if (r->sending && !r->accepted)
			return;		/* on its way: wait for it */
		if (!r->sending && r->message)
			break;
	}
	if (r == NULL)
		return;
	r->sending = true;
	c = ctx_new(ch->e, ch);
	c->data = r;
	peer_target(ch->e, r->peer, stream_with_target, c);
}

void
reply_free(struct reply *r)
{
	size_t i;

	if (r->proc)
		proc_abandon(r->proc);
	free(r->peer);
	free(r->sid);
	free(r->display);
	free(r->name);
	free(r->message);
	free(r->end_error);
	json_decref(r->held);
	free(r->inflight_key);
	if (r->ev_poll)
		event_free(r->ev_poll);
	if (r->seen)
		fwd_seen_free(r->seen);
	free(r->status_ref);
	if (r->ticker)
		event_free(r->ticker);
	for (i = 0; i < r->nnames; i++)
		free(r->names[i]);
	buf_free(&r->texts);
	free(r->act_ref);
	strlist_free(&r->act_lines);
	strlist_free(&r->batch_lines);
	buf_free(&r->thinking);
	live_clear(r);
	if (r->ev_edit)
		event_free(r->ev_edit);
	free(r);
}

bool
reply_edit_failed(struct engine *e, const char *ref)
{
	struct channel *ch;
	struct reply *r;
	size_t i;

	for (ch = e->channels; ch; ch = ch->next)
		for (r = ch->replies; r; r = r->next)
			for (i = 0; i < r->nmsgs; i++) {
				if (strcmp(r->msgs[i].ref, ref) != 0)
					continue;
				/* The bridge does not know the message (it
				 * restarted too): show it anew. */
				free(r->msgs[i].ref);
				r->msgs[i].ref = act_send(e, ch, *r->msgs[i].shown ?
				    r->msgs[i].shown : "\xe2\x80\xa6");
				if (r->inflight_key)
					inflight_record(e, r);
				return true;
			}
	return false;
}

void
replies_suspend(struct engine *e)
{
	struct channel *ch;
	struct reply *r;

	for (ch = e->channels; ch; ch = ch->next)
		for (r = ch->replies; r; r = r->next) {
			if (r->proc) {
				inflight_record(e, r);
				proc_abandon(r->proc);
				r->proc = NULL;
			}
		}
}
