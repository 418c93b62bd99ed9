/* engine_recover.c — nothing lost when the engine dies mid-reply: every
 * reply in flight has a row in sessions.db (engine_inflight: its channel,
 * peer, daemon session, display mode and where it starts in the daemon's
 * event log), and the next engine of the same platform fetches the rest
 * with session.reconnect and shows it in its channel, marked as resumed.
 *
 * A daemon that numbers its events ("seq") keeps the whole reply: the
 * reconnect asks for everything after the reply's start (since), and the
 * reply is rebuilt.  An older daemon returns what it could not write; what
 * the killed engine's reader had taken is gone.
 *
 * The same polling follows a reply whose message the daemon queued, when
 * the daemon closed the stream after the queued event (upstream's daemons
 * do): only the reply at the head of its channel polls, so two of them
 * never take each other's events. */
#include "engine_int.h"
#include "proc.h"
#include "sessdb.h"

#include <err.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <event2/event.h>

#define POLL_MIN_MS	200
#define POLL_MAX_MS	2000
#define POLL_GIVE_UP	300	/* empty answers in a row: about 10 min */

void
inflight_record(struct engine *e, struct reply *r)
{
	json_t *st;
	char *s, *err = NULL;

	if (r->inflight_key == NULL)
		r->inflight_key = xasprintf("%s %s %s.%lu", r->ch->id, r->sid,
		    e->ref_base, ++e->next_ref);
	st = json_pack("{s:s, s:s, s:s, s:I}", "peer", r->peer, "sid", r->sid,
	    "display", r->display, "since", (json_int_t)r->since);
	if (r->nmsgs > 0) {
		/* The live reply's messages: a resumed reply edits them. */
		json_t *refs = json_array();
		size_t i;

		for (i = 0; i < r->nmsgs; i++)
			json_array_append_new(refs, json_string(r->msgs[i].ref));
		json_object_set_new(st, "msgs", refs);
	}
	s = json_dumps(st, JSON_COMPACT);
	json_decref(st);
	if (sessdb_inflight_put(e->db, r->inflight_key, r->ch->id, s, &err) != 0) {
		warnx("%s", err);
		free(err);
	}
	free(s);
}

void
inflight_clear(struct engine *e, struct reply *r)
{
	char *err = NULL;

	if (r->inflight_key == NULL || e->stopping)
		return;		/* stopping: the row is for the next engine */
	if (sessdb_inflight_del(e->db, r->inflight_key, &err) != 0) {
		warnx("%s", err);
		free(err);
	}
	free(r->inflight_key);
	r->inflight_key = NULL;
}


static void
poll_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	reply_poll(arg);
}

static void
poll_line(struct proc *p, const char *line, size_t len, void *arg)
{
	struct reply *r = arg;

	(void)p;
	r->polls = -1;		/* progress: see poll_exit */
	reply_stream_line(r, line, len);
}

static void
poll_later(struct reply *r)
{
	struct timeval tv;
	long ms;

	if (r->polls >= POLL_GIVE_UP) {
		reply_stream_end(r, "Gave up waiting for the rest of the reply.");
		return;
	}
	ms = POLL_MIN_MS << (r->polls < 4 ? r->polls : 4);
	if (ms > POLL_MAX_MS)
		ms = POLL_MAX_MS;
	if (r->ev_poll == NULL)
		r->ev_poll = evtimer_new(r->ch->e->base, poll_cb, r);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (r->ev_poll == NULL || evtimer_add(r->ev_poll, &tv) != 0)
		reply_stream_end(r, "cannot wait for the rest of the reply");
}

/* After an empty poll: is anything still to come?  The session runs a
 * message, or has one queued, or holds events: poll again.  Otherwise the
 * reply is over (its end was lost with the engine that died). */
static void
session_state(struct engine *e, struct ctx *c, json_t *res, const char *err)
{
	struct reply *r = c->data;
	json_t *s;
	size_t i;
	bool more = err != NULL;	/* unreachable: keep trying */

	ctx_free(e, c);
	json_array_foreach(json_object_get(res, "sessions"), i, s) {
		json_t *q = json_object_get(s, "queue");
		const char *sid = json_string_value(json_object_get(s, "sessionId"));
		const char *st = json_string_value(json_object_get(s, "status"));

		if (sid == NULL || strcmp(sid, r->sid) != 0)
			continue;
		more = (st && !strcmp(st, "busy")) ||
		    json_integer_value(json_object_get(q, "userPending")) > 0 ||
		    json_integer_value(json_object_get(q, "responsePending")) > 0;
	}
	if (more)
		poll_later(r);
	else
		reply_stream_end(r, NULL);
}

static void
poll_exit(struct proc *p, int status, const char *err, void *arg)
{
	struct reply *r = arg;
	bool progress = r->polls < 0;
	struct ctx *c;

	(void)p;
	r->proc = NULL;
	if (reply_terminal_seen(r)) {
		reply_stream_end(r, NULL);
		return;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		warnx("%s: session.reconnect: %s", r->ch->id, *err ? err : "failed");
	r->polls = progress ? 0 : r->polls + 1;
	if (progress) {
		poll_later(r);
		return;
	}
	c = ctx_new(r->ch->e, r->ch);
	c->data = r;
	peer_call(r->ch->e, r->peer, "monitor.sessions", NULL, session_state, c);
}

static void
poll_with_target(struct engine *e, struct ctx *c, const char *target,
    const char *err)
{
	struct reply *r = c->data;
	struct proc_opts o = { 0 };
	struct proc *p;
	char **argv, *perr = NULL;

	c->data = NULL;
	ctx_free(e, c);
	if (err) {
		/* The peer may come back: keep trying as for an empty poll. */
		warnx("%s: %s", r->ch->id, err);
		poll_exit(NULL, 1 << 8, "", r);
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
	argv[6] = xstrdup("session.reconnect");
	argv[7] = xasprintf("sessionId=%s", r->sid);
	/* The first poll of a resumed reply asks for everything after its
	 * start; that empties the daemon's buffer too, so the polls after it
	 * ask only for what came since. */
	if (r->since >= 0 && r->resumed && !r->since_asked) {
		argv[8] = xasprintf("since:=%lld", r->since);
		r->since_asked = true;
	}
	o.argv = argv;
	o.on_line = poll_line;
	o.on_exit = poll_exit;
	o.arg = r;
	o.timeout_ms = 30000;
	p = proc_start(e->procs, &o, &perr);
	argv_free(argv);
	if (p == NULL) {
		reply_stream_end(r, perr);
		free(perr);
		return;
	}
	reply_attach(r, p);
}

void
reply_poll(struct reply *r)
{
	struct ctx *c = ctx_new(r->ch->e, r->ch);

	c->data = r;
	peer_target(r->ch->e, r->peer, poll_with_target, c);
}

void
inflight_resume(struct engine *e)
{
	json_t *rows = NULL, *row;
	char *prefix, *err = NULL;
	size_t i;

	prefix = xasprintf("%s:", e->platform);
	if (sessdb_inflight_list(e->db, prefix, &rows, &err) != 0) {
		warnx("%s", err);
		free(err);
		free(prefix);
		return;
	}
	free(prefix);
	json_array_foreach(rows, i, row) {
		const char *key = json_string_value(json_object_get(row, "key"));
		const char *chan = json_string_value(json_object_get(row,
		    "channel_id"));
		const char *state = json_string_value(json_object_get(row, "state"));
		json_t *st = state ? json_loads(state, 0, NULL) : NULL;
		struct channel *ch;
		struct reply *r;
		json_t *since;

		if (key == NULL || chan == NULL || st == NULL ||
		    json_string_value(json_object_get(st, "sid")) == NULL) {
			warnx("engine_inflight: a row that cannot be read dropped");
			if (key && sessdb_inflight_del(e->db, key, &err) != 0) {
				warnx("%s", err);
				free(err);
				err = NULL;
			}
			json_decref(st);
			continue;
		}
		ch = channel_get(e, chan);
		r = reply_new(e, ch, json_string_value(json_object_get(st, "peer")),
		    json_string_value(json_object_get(st, "sid")),
		    json_string_value(json_object_get(st, "display")));
		r->resumed = true;
		r->inflight_key = xstrdup(key);
		since = json_object_get(st, "since");
		r->since = json_is_integer(since) ? json_integer_value(since) : -1;
		if (r->since >= 0 && !strcmp(r->display, "live") && e->can_edit) {
			/* The daemon has the whole reply: it is rebuilt into
			 * the messages that showed it so far. */
			json_t *ref;
			size_t k;

			json_array_foreach(json_object_get(st, "msgs"), k, ref) {
				if (!json_is_string(ref))
					continue;
				r->msgs = xreallocarray(r->msgs, r->nmsgs + 1,
				    sizeof(*r->msgs));
				r->msgs[r->nmsgs].ref = xstrdup(json_string_value(ref));
				r->msgs[r->nmsgs].shown = xstrdup("");
				r->nmsgs++;
			}
		} else if (r->head)
			act_say(e, ch, "_(the rest of a reply cut short by a "
			    "restart)_");
		r->polling = true;
		reply_poll(r);
		json_decref(st);
	}
	json_decref(rows);
}
