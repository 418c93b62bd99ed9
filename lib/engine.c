/* engine.c — see engine.h: the loop's I/O (events in, actions out), the
 * dispatch of events, channels, and the children that reach peers
 * (cc-tunnel for a target, cc-rpc for a call). */
#include "engine_int.h"
#include "proc.h"
#include "sessdb.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "askq.h"
#include "machinecmd.h"
#include "msgsplit.h"

#define MAX_EVENT_LINE	((size_t)4 << 20)	/* one event line */
#define RPC_TIMEOUT_MS	45000
#define TUNNEL_TIMEOUT_MS 120000

/* --- actions ------------------------------------------------------------ */

static void out_cb(evutil_socket_t fd, short what, void *arg);

char *
engine_new_ref(struct engine *e, char kind)
{
	return xasprintf("%c%s.%lu", kind, e->ref_base, ++e->next_ref);
}

void
act_emit(struct engine *e, json_t *a)
{
	char *s = json_dumps(a, JSON_COMPACT);

	json_decref(a);
	if (s == NULL) {
		warnx("cannot encode an action");
		return;
	}
	evbuffer_add(e->outbuf, s, strlen(s));
	evbuffer_add(e->outbuf, "\n", 1);
	free(s);
	if (e->ev_out && !event_pending(e->ev_out, EV_WRITE, NULL))
		out_cb(e->out_fd, EV_WRITE, e);	/* arms the event on EAGAIN */
}

char *
act_send(struct engine *e, struct channel *ch, const char *text)
{
	char *ref = engine_new_ref(e, 'm');

	act_emit(e, json_pack("{s:s, s:s, s:s, s:s}", "op", "send", "channel",
	    ch->id, "ref", ref, "text", text));
	ch->typing = false;	/* a send ends the indicator */
	return ref;
}

void
act_say(struct engine *e, struct channel *ch, const char *text)
{
	struct chunks c;
	size_t i;

	msg_split(text, e->max_len, &c);
	for (i = 0; i < c.n; i++)
		free(act_send(e, ch, c.v[i]));
	chunks_free(&c);
}

void
act_sayf(struct engine *e, struct channel *ch, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	act_say(e, ch, s);
	free(s);
}

void
act_edit(struct engine *e, const char *ref, const char *text)
{
	if (!e->can_edit)
		return;
	act_emit(e, json_pack("{s:s, s:s, s:s}", "op", "edit", "ref", ref,
	    "text", text));
}

void
act_delete(struct engine *e, const char *ref)
{
	act_emit(e, json_pack("{s:s, s:s}", "op", "delete", "ref", ref));
}

void
act_typing(struct engine *e, struct channel *ch, bool on)
{
	if (ch->typing == on)
		return;
	ch->typing = on;
	act_emit(e, json_pack("{s:s, s:s, s:b}", "op", "typing", "channel",
	    ch->id, "on", on));
}

void
act_file(struct engine *e, struct channel *ch, const char *path,
    const char *caption, bool remove_after)
{
	char *ref = engine_new_ref(e, 'f');

	act_emit(e, json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "op", "file",
	    "channel", ch->id, "ref", ref, "path", path, "caption", caption,
	    "remove", remove_after));
	free(ref);
}

/* --- channels and contexts ---------------------------------------------- */

struct channel *
channel_get(struct engine *e, const char *id)
{
	struct channel *ch;

	for (ch = e->channels; ch; ch = ch->next)
		if (strcmp(ch->id, id) == 0)
			return ch;
	ch = xcalloc(1, sizeof(*ch));
	ch->e = e;
	ch->id = xstrdup(id);
	ch->next = e->channels;
	e->channels = ch;
	return ch;
}

static void
question_free(struct question *q)
{
	free(q->ref);
	askq_free(q->q, 1);
}

static void
channel_free(struct channel *ch)
{
	while (ch->replies) {
		struct reply *r = ch->replies;

		ch->replies = r->next;
		reply_free(r);
	}
	while (ch->questions) {
		struct question *q = ch->questions;

		ch->questions = q->next;
		question_free(q);
		free(q);
	}
	if (ch->import)
		machine_import_free(ch->import);
	if (ch->remove)
		machine_remove_free(ch->remove);
	free(ch->id);
	free(ch);
}

struct ctx *
ctx_new(struct engine *e, struct channel *ch)
{
	struct ctx *c = xcalloc(1, sizeof(*c));

	c->ch = ch;
	c->next_pending = e->pending;
	if (e->pending)
		e->pending->prevp = &c->next_pending;
	c->prevp = &e->pending;
	e->pending = c;
	return c;
}

void
ctx_free(struct engine *e, struct ctx *c)
{
	size_t i;

	(void)e;
	if (c == NULL)
		return;
	*c->prevp = c->next_pending;
	if (c->next_pending)
		c->next_pending->prevp = c->prevp;
	for (i = 0; i < sizeof(c->s) / sizeof(c->s[0]); i++)
		free(c->s[i]);
	json_decref(c->j);
	free(c);
}

/* --- children ----------------------------------------------------------- */

char **
tool_argv(struct engine *e, const char *prog, size_t n)
{
	char **v = xcalloc(n + 4, sizeof(*v));

	v[0] = xstrdup(prog);
	v[1] = xstrdup("-c");
	v[2] = xstrdup(e->cfg_path);
	return v;
}

void
argv_free(char **argv)
{
	size_t i;

	if (argv == NULL)
		return;
	for (i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
}

/* The last line a failed child wrote on stderr, without its program name
 * prefix ("cc-rpc: session.create: "); malloc'd. */
static char *
child_error(const char *prog, const char *err, int status)
{
	const char *end, *start, *p;
	size_t plen = strlen(prog);

	end = err + strlen(err);
	while (end > err && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	start = end;
	while (start > err && start[-1] != '\n')
		start--;
	if (start == end) {
		char *st = proc_status_text(status), *m;

		m = xasprintf("%s failed (%s)", prog, st);
		free(st);
		return m;
	}
	p = start;
	if ((size_t)(end - p) > plen + 2 && strncmp(p, prog, plen) == 0 &&
	    p[plen] == ':' && p[plen + 1] == ' ')
		p += plen + 2;
	return xstrndup(p, (size_t)(end - p));
}

struct tool_job {
	struct engine *e;
	struct ctx *c;
	run_cb cb;
	struct buf out;
	char *prog;
};

static void
tool_line(struct proc *p, const char *line, size_t len, void *arg)
{
	struct tool_job *j = arg;

	(void)p;
	if (j->out.len)
		buf_putc(&j->out, '\n');
	buf_append(&j->out, line, len);
}

static void
tool_exit(struct proc *p, int status, const char *err, void *arg)
{
	struct tool_job *j = arg;

	(void)p;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		j->cb(j->e, j->c, j->out.s ? j->out.s : "", NULL);
	else {
		char *m = child_error(j->prog, err, status);

		j->cb(j->e, j->c, j->out.s ? j->out.s : "", m);
		free(m);
	}
	buf_free(&j->out);
	free(j->prog);
	free(j);
}

static void
tool_forget(void *arg)
{
	struct tool_job *j = arg;

	buf_free(&j->out);
	free(j->prog);
	free(j);
}

static void
tool_start(struct engine *e, char **argv, const char *input, size_t input_len,
    long timeout_ms, run_cb cb, struct ctx *c)
{
	struct tool_job *j = xcalloc(1, sizeof(*j));
	struct proc_opts o = { 0 };
	char *err = NULL;

	j->e = e;
	j->c = c;
	j->cb = cb;
	j->prog = xstrdup(argv[0]);
	o.argv = argv;
	o.input = input;
	o.input_len = input_len;
	o.on_line = tool_line;
	o.on_exit = tool_exit;
	o.on_free = tool_forget;
	o.arg = j;
	o.timeout_ms = timeout_ms;
	if (proc_start(e->procs, &o, &err) == NULL) {
		cb(e, c, "", err);
		free(err);
		free(j->prog);
		free(j);
	}
}

void
engine_run_tool(struct engine *e, char **argv, run_cb cb, struct ctx *c)
{
	tool_start(e, argv, NULL, 0, TUNNEL_TIMEOUT_MS, cb, c);
}

/* --- targets ------------------------------------------------------------ */

struct target_wait {
	struct target_wait *next;
	target_cb cb;
	struct ctx *c;
};

static struct peer_link *
peer_link(struct engine *e, const char *peer)
{
	struct peer_link *l;

	for (l = e->peers; l; l = l->next)
		if (strcmp(l->id, peer) == 0)
			return l;
	l = xcalloc(1, sizeof(*l));
	l->id = xstrdup(peer);
	l->next = e->peers;
	e->peers = l;
	return l;
}

static void
tunnel_done(struct engine *e, struct ctx *c, const char *out, const char *err)
{
	struct peer_link *l = peer_link(e, c->s[0]);
	struct target_wait *w, *next;
	char *target = NULL;

	l->tunneling = false;
	if (err == NULL) {
		const char *nl = strchr(out, '\n');

		target = nl ? xstrndup(out, (size_t)(nl - out)) : xstrdup(out);
		str_trim(target);
		if (*target == '\0') {
			free(target);
			target = NULL;
			err = "cc-tunnel printed no target";
		}
	}
	free(l->target);
	l->target = target;
	w = l->waiters;
	l->waiters = NULL;
	ctx_free(e, c);
	for (; w; w = next) {
		next = w->next;
		w->cb(e, w->c, target, target ? NULL : err);
		free(w);
	}
}

void
peer_target(struct engine *e, const char *peer, target_cb cb, struct ctx *c)
{
	struct peer_link *l = peer_link(e, peer);
	struct target_wait *w, **tail;

	if (l->target && !l->tunneling) {
		char *t = xstrdup(l->target);

		cb(e, c, t, NULL);
		free(t);
		return;
	}
	w = xcalloc(1, sizeof(*w));
	w->cb = cb;
	w->c = c;
	for (tail = &l->waiters; *tail; tail = &(*tail)->next)
		;
	*tail = w;
	if (!l->tunneling) {
		struct ctx *tc = ctx_new(e, NULL);
		char **argv = tool_argv(e, "cc-tunnel", 2);

		tc->s[0] = xstrdup(peer);
		/* After a failure the daemon is checked even if this tunnel
		 * saw it answer before. */
		argv[3] = xstrdup(l->failed ? "--check" : peer);
		if (l->failed)
			argv[4] = xstrdup(peer);
		l->failed = false;
		l->tunneling = true;	/* before the start, which may fail */
		tool_start(e, argv, NULL, 0, TUNNEL_TIMEOUT_MS, tunnel_done, tc);
		argv_free(argv);
	}
}

static void
forget_done(struct engine *e, struct ctx *c, const char *out, const char *err)
{
	(void)out;
	if (err)
		warnx("cc-tunnel --close %s: %s", c->s[0], err);
	ctx_free(e, c);
}

void
peer_forget(struct engine *e, const char *peer)
{
	struct peer_link *l = peer_link(e, peer);
	struct ctx *c;
	char **argv;

	free(l->target);
	l->target = NULL;
	if (config_peer(e->cfg, peer) == NULL)
		return;
	c = ctx_new(e, NULL);
	c->s[0] = xstrdup(peer);
	argv = tool_argv(e, "cc-tunnel", 2);
	argv[3] = xstrdup("--close");
	argv[4] = xstrdup(peer);
	tool_start(e, argv, NULL, 0, 20000, forget_done, c);
	argv_free(argv);
}

/* --- RPC ---------------------------------------------------------------- */

struct call {
	struct engine *e;
	struct ctx *c;		/* the caller's */
	char *peer, *method;
	json_t *params;
	rpc_cb cb;
	bool retried;
};

static void call_with_target(struct engine *e, struct ctx *tc,
    const char *target, const char *err);

static void
call_free(struct call *k)
{
	free(k->peer);
	free(k->method);
	json_decref(k->params);
	free(k);
}

static void
call_finish(struct call *k, json_t *res, const char *err)
{
	k->cb(k->e, k->c, res, err);
	call_free(k);
}

static void
call_done(struct engine *e, struct ctx *tc, const char *out, const char *err)
{
	struct call *k = tc->call;
	bool unreachable = tc->n == 3;
	json_t *res = NULL;

	tc->call = NULL;
	ctx_free(e, tc);
	if (err && unreachable && !k->retried) {
		/* A tunnel that died: ask cc-tunnel again, once. */
		struct ctx *c2 = ctx_new(e, NULL);
		struct peer_link *l = peer_link(e, k->peer);

		k->retried = true;
		free(l->target);
		l->target = NULL;
		l->failed = true;
		c2->call = k;
		peer_target(e, k->peer, call_with_target, c2);
		return;
	}
	if (err) {
		call_finish(k, NULL, err);
		return;
	}
	res = json_loads(out, JSON_DECODE_ANY, NULL);
	if (res == NULL) {
		call_finish(k, NULL, "the daemon's answer is not JSON");
		return;
	}
	call_finish(k, res, NULL);
	json_decref(res);
}

/* The exit status of the last cc-rpc: 3 means unreachable. */
struct rpc_job {
	struct engine *e;
	struct ctx *tc;
	struct buf out;
};

static void
rpc_line(struct proc *p, const char *line, size_t len, void *arg)
{
	struct rpc_job *j = arg;

	(void)p;
	buf_append(&j->out, line, len);
}

static void
rpc_exit(struct proc *p, int status, const char *err, void *arg)
{
	struct rpc_job *j = arg;

	(void)p;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		call_done(j->e, j->tc, j->out.s ? j->out.s : "", NULL);
	else {
		char *m = child_error("cc-rpc", err, status);
		const char *k = m;
		struct call *c = j->tc->call;

		/* "METHOD: " leads cc-rpc's messages. */
		if (str_starts(k, c->method) && k[strlen(c->method)] == ':')
			k += strlen(c->method) + 1 + (k[strlen(c->method) + 1] == ' ');
		j->tc->n = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		call_done(j->e, j->tc, "", k);
		free(m);
	}
	buf_free(&j->out);
	free(j);
}

static void
rpc_forget(void *arg)
{
	struct rpc_job *j = arg;

	buf_free(&j->out);
	free(j);
}

static void
call_with_target(struct engine *e, struct ctx *tc, const char *target,
    const char *err)
{
	struct call *k = tc->call;
	struct proc_opts o = { 0 };
	struct rpc_job *j;
	char **argv, *perr = NULL, *params;

	if (err) {
		tc->call = NULL;
		ctx_free(e, tc);
		call_finish(k, NULL, err);
		return;
	}
	params = k->params ? json_dumps(k->params, JSON_COMPACT) : NULL;
	argv = tool_argv(e, "cc-rpc", 6);
	free(argv[1]);
	free(argv[2]);
	argv[1] = xstrdup("--peer");
	argv[2] = xstrdup(k->peer);
	argv[3] = xstrdup("-c");
	argv[4] = xstrdup(e->cfg_path);
	argv[5] = xstrdup(target);
	argv[6] = xstrdup(k->method);
	if (params)
		argv[7] = params;
	j = xcalloc(1, sizeof(*j));
	j->e = e;
	j->tc = tc;
	o.argv = argv;
	o.on_line = rpc_line;
	o.on_exit = rpc_exit;
	o.on_free = rpc_forget;
	o.arg = j;
	o.timeout_ms = RPC_TIMEOUT_MS;
	if (proc_start(e->procs, &o, &perr) == NULL) {
		free(j);
		tc->call = NULL;
		ctx_free(e, tc);
		call_finish(k, NULL, perr);
		free(perr);
	}
	argv_free(argv);
}

void
peer_call(struct engine *e, const char *peer, const char *method,
    json_t *params, rpc_cb cb, struct ctx *c)
{
	struct call *k = xcalloc(1, sizeof(*k));
	struct ctx *tc = ctx_new(e, NULL);

	k->e = e;
	k->c = c;
	k->peer = xstrdup(peer);
	k->method = xstrdup(method);
	k->params = params;
	k->cb = cb;
	tc->call = k;
	peer_target(e, peer, call_with_target, tc);
}

/* --- events in ---------------------------------------------------------- */

static const char *
jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void
on_hello(struct engine *e, json_t *ev)
{
	json_t *v;

	free(e->platform);
	e->platform = xstrdup(jstr(ev, "platform") ? jstr(ev, "platform") : "");
	e->max_len = 2000;
	if (json_is_integer(v = json_object_get(ev, "max_len")) &&
	    json_integer_value(v) >= 100)
		e->max_len = (size_t)json_integer_value(v);
	e->can_edit = json_is_true(json_object_get(ev, "can_edit"));
	e->buttons = json_is_true(json_object_get(ev, "buttons"));
	e->files = json_is_true(json_object_get(ev, "files"));
	e->edit_interval_ms = 1000;
	if (json_is_number(v = json_object_get(ev, "edit_interval")) &&
	    json_number_value(v) >= 0 && json_number_value(v) <= 3600)
		e->edit_interval_ms = (long)(json_number_value(v) * 1000 + 0.5);
	e->hello = true;
	act_emit(e, json_pack("{s:s, s:o}", "op", "commands", "list",
	    engine_command_list()));
	engine_restart_notice(e);
	inflight_resume(e);
}

static void
on_event(struct engine *e, json_t *ev)
{
	const char *type = jstr(ev, "type"), *chan = jstr(ev, "channel");

	if (type == NULL) {
		warnx("event without a type skipped");
		return;
	}
	if (strcmp(type, "hello") == 0) {
		on_hello(e, ev);
		return;
	}
	if (!e->hello) {
		warnx("%s event before hello skipped", type);
		return;
	}
	if (strcmp(type, "message") == 0) {
		const char *text = jstr(ev, "text"), *user = jstr(ev, "user");
		json_t *files = json_object_get(ev, "files");

		if (chan == NULL || (text == NULL && !json_is_array(files))) {
			warnx("message without channel or text skipped");
			return;
		}
		engine_message(e, channel_get(e, chan), user,
		    json_is_true(json_object_get(ev, "admin")), text ? text : "",
		    json_is_array(files) ? files : NULL);
	} else if (strcmp(type, "button") == 0) {
		const char *ref = jstr(ev, "ref"), *val = jstr(ev, "value");

		if (chan == NULL || ref == NULL || val == NULL) {
			warnx("button without channel, ref or value skipped");
			return;
		}
		engine_button(e, channel_get(e, chan), ref, val);
	} else if (strcmp(type, "complete") == 0) {
		if (jstr(ev, "ref") == NULL) {
			warnx("complete without ref skipped");
			return;
		}
		engine_complete(e, chan, jstr(ev, "ref"), jstr(ev, "command"),
		    jstr(ev, "option"), jstr(ev, "value"));
	} else if (strcmp(type, "failed") == 0) {
		const char *op = jstr(ev, "op"), *ref = jstr(ev, "ref");

		if (op && ref && !strcmp(op, "edit") && reply_edit_failed(e, ref))
			return;
		warnx("bridge: %s %s failed: %s", jstr(ev, "op") ? jstr(ev, "op") :
		    "?", jstr(ev, "ref") ? jstr(ev, "ref") : "?",
		    jstr(ev, "error") ? jstr(ev, "error") : "?");
	}
	/* Unknown types are ignored: the protocol can grow. */
}

static void
on_line(struct engine *e, const char *line, size_t len)
{
	json_error_t je;
	json_t *ev;

	if (len == 0)
		return;
	ev = json_loadb(line, len, 0, &je);
	if (ev == NULL) {
		warnx("event skipped: %s", je.text);
		return;
	}
	if (!json_is_object(ev))
		warnx("event skipped: not a JSON object");
	else
		on_event(e, ev);
	json_decref(ev);
}

static void engine_quit(struct engine *e);

static void
in_cb(evutil_socket_t fd, short what, void *arg)
{
	struct engine *e = arg;
	int n;

	(void)what;
	n = evbuffer_read(e->inbuf, fd, 65536);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	for (;;) {
		struct evbuffer_ptr nl = evbuffer_search(e->inbuf, "\n", 1, NULL);
		size_t len;
		char *line;

		if (nl.pos < 0) {
			size_t have = evbuffer_get_length(e->inbuf);

			if (have > MAX_EVENT_LINE) {
				if (!e->in_skipping)
					warnx("event longer than %zu bytes "
					    "skipped", MAX_EVENT_LINE);
				e->in_skipping = true;
				evbuffer_drain(e->inbuf, have);
			}
			break;
		}
		len = (size_t)nl.pos;
		if (e->in_skipping || len > MAX_EVENT_LINE) {
			if (!e->in_skipping)
				warnx("event longer than %zu bytes skipped",
				    MAX_EVENT_LINE);
			e->in_skipping = false;
			evbuffer_drain(e->inbuf, len + 1);
			continue;
		}
		line = (char *)evbuffer_pullup(e->inbuf, (ev_ssize_t)len + 1);
		if (line == NULL)
			break;
		on_line(e, line, len);
		evbuffer_drain(e->inbuf, len + 1);
		if (e->quitting)
			return;
	}
	if (n <= 0) {
		/* EOF: a last line without newline counts. */
		size_t have = evbuffer_get_length(e->inbuf);

		if (have > 0 && !e->in_skipping) {
			char *line = (char *)evbuffer_pullup(e->inbuf, -1);

			on_line(e, line, have);
		}
		evbuffer_drain(e->inbuf, evbuffer_get_length(e->inbuf));
		if (n < 0)
			warn("reading events");
		e->in_eof = true;
		event_del(e->ev_in);
		engine_stop(e);
	}
}

static void
out_cb(evutil_socket_t fd, short what, void *arg)
{
	struct engine *e = arg;

	(void)what;
	while (evbuffer_get_length(e->outbuf) > 0) {
		int n = evbuffer_write(e->outbuf, fd);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				/* A file or /dev/null is never EAGAIN, so only
				 * pollable fds get here. */
				if (!event_pending(e->ev_out, EV_WRITE, NULL))
					event_add(e->ev_out, NULL);
				return;
			}
			if (!e->quitting)
				warn("writing actions");
			evbuffer_drain(e->outbuf, evbuffer_get_length(e->outbuf));
			event_del(e->ev_out);
			/* Nobody reads us: stop, keeping what is in flight. */
			engine_stop(e);
			return;
		}
	}
	if (event_pending(e->ev_out, EV_WRITE, NULL))
		event_del(e->ev_out);
	if (e->quitting)
		event_base_loopexit(e->base, NULL);
}

static int
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl == -1 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

struct engine *
engine_new(struct event_base *base, const struct engine_opts *o, char **errmsg)
{
	struct engine *e = xcalloc(1, sizeof(*e));
	char *err = NULL;

	*errmsg = NULL;
	e->base = base;
	e->in_fd = o->in_fd;
	e->out_fd = o->out_fd;
	e->max_len = 2000;
	e->edit_interval_ms = 1000;
	e->ref_base = xasprintf("%llx%x", (unsigned long long)time(NULL) & 0xffffff,
	    (unsigned)getpid() & 0xffff);
	e->cfg_path = config_path(o->config_path);
	e->cfg = config_load(e->cfg_path, &err);
	if (e->cfg == NULL) {
		*errmsg = err;
		engine_free(e);
		return NULL;
	}
	e->db_path = o->db_path ? xstrdup(o->db_path) : sessdb_default_path();
	if (sessdb_open(e->db_path, &e->db, &err) != 0) {
		*errmsg = xasprintf("%s: %s", e->db_path, err);
		free(err);
		engine_free(e);
		return NULL;
	}
	e->procs = proc_set_new(base);
	e->inbuf = evbuffer_new();
	e->outbuf = evbuffer_new();
	if (e->procs == NULL || e->inbuf == NULL || e->outbuf == NULL) {
		*errmsg = xstrdup("cannot set up the event loop");
		engine_free(e);
		return NULL;
	}
	return e;
}

int
engine_start(struct engine *e)
{
	if (set_nonblock(e->in_fd) == -1 || set_nonblock(e->out_fd) == -1)
		return -1;
	e->ev_in = event_new(e->base, e->in_fd, EV_READ | EV_PERSIST, in_cb, e);
	e->ev_out = event_new(e->base, e->out_fd, EV_WRITE | EV_PERSIST,
	    out_cb, e);
	if (e->ev_in == NULL || e->ev_out == NULL || event_add(e->ev_in, NULL))
		return -1;
	return 0;
}

static void
quit_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct engine *e = arg;

	(void)fd;
	(void)what;
	event_base_loopexit(e->base, NULL);
}

/* Leave the loop once the actions are written (at most 1 s). */
static void
engine_quit(struct engine *e)
{
	struct timeval tv = { 1, 0 };

	if (e->quitting)
		return;
	e->quitting = true;
	if (e->ev_in)
		event_del(e->ev_in);
	if (evbuffer_get_length(e->outbuf) == 0) {
		event_base_loopexit(e->base, NULL);
		return;
	}
	e->ev_quit = evtimer_new(e->base, quit_timeout_cb, e);
	if (e->ev_quit == NULL || evtimer_add(e->ev_quit, &tv))
		event_base_loopexit(e->base, NULL);
}

void
engine_stop(struct engine *e)
{
	if (e->stopping)
		return;
	e->stopping = true;
	replies_suspend(e);
	engine_quit(e);
}

int
engine_exit_status(const struct engine *e)
{
	return e->exit_status;
}

void
engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	/* Children first, so no callback runs into freed state. */
	proc_set_free(e->procs);
	while (e->channels) {
		struct channel *ch = e->channels;

		e->channels = ch->next;
		channel_free(ch);
	}
	while (e->pending) {
		struct ctx *c = e->pending;

		if (c->call) {
			ctx_free(e, c->call->c);	/* the caller's */
			call_free(c->call);
		}
		ctx_free(e, c);
	}
	while (e->peers) {
		struct peer_link *l = e->peers;
		struct target_wait *w;

		e->peers = l->next;
		while ((w = l->waiters) != NULL) {
			l->waiters = w->next;
			free(w);
		}
		free(l->id);
		free(l->target);
		free(l);
	}
	strlist_free(&e->init_shown);
	if (e->ev_in)
		event_free(e->ev_in);
	if (e->ev_out)
		event_free(e->ev_out);
	if (e->ev_quit)
		event_free(e->ev_quit);
	if (e->inbuf)
		evbuffer_free(e->inbuf);
	if (e->outbuf)
		evbuffer_free(e->outbuf);
	if (e->db)
		sessdb_close(e->db);
	config_free(e->cfg);
	free(e->cfg_path);
	free(e->db_path);
	free(e->platform);
	free(e->ref_base);
	free(e);
}
