/* bridge.c — the bridge protocol and the outbox.  See bridge.h. */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "bridge.h"
#include "http.h"
#include "strmap.h"
#include "util.h"

enum ref_state { REF_LIVE, REF_FAILED, REF_DELETED };

struct ref {
	char *name;		/* NULL: an anonymous send */
	char *channel;
	char **ids;		/* the platform ids of its messages */
	uint64_t *hashes;	/* of the chunk each shows */
	size_t nids;
	enum ref_state state;
	int jobs;		/* queued jobs pointing at it */
	struct ref *newer;	/* remembered refs, oldest first */
};

enum job_op { J_SEND, J_EDIT, J_DELETE, J_TYPING, J_FILE, J_ASK, J_COMMANDS, J_CUSTOM };
static const char *op_names[] = { "send", "edit", "delete", "typing", "file", "ask",
    "commands", "custom" };

struct chan;

struct job {
	struct job *next;
	enum job_op op;
	struct chan *ch;
	struct ref *ref;
	char *text;		/* SEND, EDIT: Markdown */
	json_t *action;
	char **chunks;
	uint64_t *hashes;
	size_t nchunks, step, nsteps;
	bool planned, inflight, started;
	int attempt, waits;
	struct bridge_call call;
};

struct chan {
	char *name;
	struct job *head, *tail;
	bool busy;
	long long wait_until;	/* 429 or retry backoff */
	long long pace_until;	/* steady pace */
	bool typing;
	struct event *typing_ev;
	struct chan *next;	/* all channels */
	struct bridge *b;
};

struct bridge_event {
	struct bridge_event *next;
	struct bridge *b;
	json_t *ev;		/* NULL: dropped */
	int holds;
};

struct bridge {
	struct event_base *base;
	struct bridge_config cfg;
	struct bridge_platform p;
	void *ctx;
	struct strmap chans, refs;
	struct chan *chan_list;
	size_t nchans;
	struct chan *rr;	/* where the next pass starts: after the last served */
	struct ref *ref_oldest, *ref_newest;
	size_t nrefs;
	int inflight;
	long long global_wait;
	double global_next;	/* ms: the slot of the next call overall */
	struct event *wake;
	bool pumping, repump;
	/* I/O */
	int in_fd, out_fd;
	struct event *in_ev, *out_ev;
	struct buf in, out;
	bool skipping, eof;
	void (*idle_fn)(void *);
	void *idle_arg;
	bool *stopping;		/* bridge_serve's and bridge_oneshot's flag */
	struct bridge_event *ev_head, *ev_tail;	/* events that wait */
	bool idle_fired;
	struct flush_wait {
		void (*fn)(void *);
		void *arg;
	} *flushes;
	size_t nflushes;
	struct event *flush_ev;
	int failures;
	unsigned long calls;
};

static void pump(struct bridge *b);

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

/* ---- output -------------------------------------------------------------- */

static void run_flushes(struct bridge *b);

static void
on_writable(evutil_socket_t fd, short what, void *arg)
{
	struct bridge *b = arg;
	ssize_t n;

	(void)what;
	while (b->out.len > 0) {
		n = write(fd, b->out.s, b->out.len);
		if (n > 0) {
			buf_consume(&b->out, (size_t)n);
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			event_add(b->out_ev, NULL);
			return;
		}
		/* The engine is gone: nothing more can be delivered. */
		warnx("events: %s", n == -1 ? strerror(errno) : "short write");
		buf_clear(&b->out);
		b->eof = true;
		break;
	}
	run_flushes(b);
}

void
bridge_emit(struct bridge *b, json_t *ev)
{
	char *s = json_dumps(ev, JSON_COMPACT);

	json_decref(ev);
	if (s == NULL)
		return;
	if (b->out_fd == -1) {	/* one-shot: no engine */
		free(s);
		return;
	}
	buf_puts(&b->out, s);
	buf_putc(&b->out, '\n');
	free(s);
	on_writable(b->out_fd, EV_WRITE, b);
}

static void
run_flushes(struct bridge *b)
{
	if (b->out.len > 0 || b->nflushes == 0)
		return;
	event_active(b->flush_ev, EV_TIMEOUT, 0);
}

static void
on_flush_ev(evutil_socket_t fd, short what, void *arg)
{
	struct bridge *b = arg;
	struct flush_wait *f = b->flushes;
	size_t n = b->nflushes;

	(void)fd;
	(void)what;
	if (b->out.len > 0)
		return;
	b->flushes = NULL;
	b->nflushes = 0;
	for (size_t i = 0; i < n; i++)
		f[i].fn(f[i].arg);
	free(f);
}

void
bridge_when_flushed(struct bridge *b, void (*fn)(void *), void *arg)
{
	b->flushes = xreallocarray(b->flushes, b->nflushes + 1, sizeof(*b->flushes));
	b->flushes[b->nflushes].fn = fn;
	b->flushes[b->nflushes++].arg = arg;
	run_flushes(b);
}

static void
emit_failed(struct bridge *b, const char *op, const char *ref, const char *channel,
    const char *error)
{
	json_t *ev = json_pack("{s:s, s:s, s:s}", "type", "failed", "op", op,
	    "error", error ? error : "failed");

	if (ref)
		json_object_set_new(ev, "ref", json_string(ref));
	if (channel && *channel)
		json_object_set_new(ev, "channel", json_string(channel));
	b->failures++;
	if (b->out_fd == -1)	/* one-shot: say it here */
		warnx("%s%s%s: %s", op, ref ? " " : "", ref ? ref : "",
		    error ? error : "failed");
	bridge_emit(b, ev);
}

/* ---- refs and channels --------------------------------------------------- */

static struct chan *
chan_get(struct bridge *b, const char *name)
{
	struct chan *c = strmap_get(&b->chans, name);

	if (c)
		return c;
	c = xcalloc(1, sizeof(*c));
	c->name = xstrdup(name);
	c->b = b;
	c->next = b->chan_list;
	b->chan_list = c;
	b->nchans++;
	strmap_put(&b->chans, name, c);
	return c;
}

static void
ref_free(void *p)
{
	struct ref *r = p;

	for (size_t i = 0; i < r->nids; i++)
		free(r->ids[i]);
	free(r->ids);
	free(r->hashes);
	free(r->name);
	free(r->channel);
	free(r);
}

/* Forget the oldest refs beyond max_refs (those no job points at). */
static void
refs_trim(struct bridge *b)
{
	while (b->nrefs > b->cfg.max_refs && b->ref_oldest &&
	    b->ref_oldest->jobs == 0) {
		struct ref *r = b->ref_oldest;

		b->ref_oldest = r->newer;
		if (b->ref_oldest == NULL)
			b->ref_newest = NULL;
		strmap_del(&b->refs, r->name);
		b->nrefs--;
		ref_free(r);
	}
}

static struct ref *
ref_new(struct bridge *b, const char *name, const char *channel)
{
	struct ref *r = xcalloc(1, sizeof(*r));

	r->channel = xstrdup(channel);
	if (name) {
		r->name = xstrdup(name);
		strmap_put(&b->refs, name, r);
		if (b->ref_newest)
			b->ref_newest->newer = r;
		else
			b->ref_oldest = r;
		b->ref_newest = r;
		b->nrefs++;
		refs_trim(b);
	}
	return r;
}

static void
ref_add_id(struct ref *r, const char *id, uint64_t h)
{
	r->ids = xreallocarray(r->ids, r->nids + 1, sizeof(*r->ids));
	r->hashes = xreallocarray(r->hashes, r->nids + 1, sizeof(*r->hashes));
	r->ids[r->nids] = xstrdup(id);
	r->hashes[r->nids++] = h;
}

const char *
bridge_ref_id(struct bridge *b, const char *name)
{
	struct ref *r = strmap_get(&b->refs, name);

	return r && r->nids ? r->ids[r->nids - 1] : NULL;
}

/* ---- jobs ---------------------------------------------------------------- */

static struct job *
job_new(struct chan *ch, enum job_op op, struct ref *r)
{
	struct job *j = xcalloc(1, sizeof(*j));

	j->op = op;
	j->ch = ch;
	j->ref = r;
	if (r)
		r->jobs++;
	return j;
}

static void
enqueue(struct bridge *b, struct job *j)
{
	struct chan *ch = j->ch;

	if (ch->tail)
		ch->tail->next = j;
	else
		ch->head = j;
	ch->tail = j;
	pump(b);
}

static void
job_free(struct bridge *b, struct job *j)
{
	if (j->ref) {
		j->ref->jobs--;
		/* An anonymous ref lives only as long as its job. */
		if (j->ref->name == NULL && j->ref->jobs == 0)
			ref_free(j->ref);
	}
	free(j->text);
	json_decref(j->action);
	for (size_t i = 0; i < j->nchunks; i++)
		free(j->chunks[i]);
	free(j->chunks);
	free(j->hashes);
	free(j);
	refs_trim(b);
}

/* Take the head job off its channel. */
static void
dequeue(struct chan *ch)
{
	struct job *j = ch->head;

	ch->head = j->next;
	if (ch->head == NULL)
		ch->tail = NULL;
}

static bool
counts_for_pace(const struct job *j)
{
	return j->op != J_TYPING && j->op != J_COMMANDS;
}

static void
job_render(struct bridge *b, struct job *j)
{
	j->nchunks = b->p.render(b->ctx, j->text ? j->text : "", &j->chunks);
	j->hashes = xcalloc(j->nchunks ? j->nchunks : 1, sizeof(*j->hashes));
	for (size_t i = 0; i < j->nchunks; i++)
		j->hashes[i] = hash_str(j->chunks[i]);
}

/* Work out the steps of a job the first time it comes up.  Returns false
 * with *why set when it cannot be done at all. */
static bool
job_plan(struct bridge *b, struct job *j, const char **why)
{
	struct ref *r = j->ref;

	j->planned = true;
	switch (j->op) {
	case J_SEND:
		job_render(b, j);
		j->nsteps = j->nchunks;
		if (j->nsteps == 0) {
			*why = "nothing to show: the text is empty";
			return false;
		}
		return true;
	case J_EDIT:
		if (r->state == REF_FAILED || r->nids == 0) {
			*why = "the message was never sent";
			return false;
		}
		if (r->state == REF_DELETED) {
			*why = "the message was deleted";
			return false;
		}
		job_render(b, j);
		if (j->nchunks == 0) {
			*why = "nothing to show: the text is empty";
			return false;
		}
		j->nsteps = j->nchunks > r->nids ? j->nchunks : r->nids;
		return true;
	case J_DELETE:
		if (r->nids == 0) {
			*why = r->state == REF_FAILED ? "the message was never sent" :
			    "nothing to delete";
			return false;
		}
		j->nsteps = r->nids;
		return true;
	default:
		j->nsteps = 1;
		return true;
	}
}

/* Forget the plan of a job no call was made for (its text may change). */
static void
job_unplan(struct job *j)
{
	for (size_t i = 0; i < j->nchunks; i++)
		free(j->chunks[i]);
	free(j->chunks);
	free(j->hashes);
	j->chunks = NULL;
	j->hashes = NULL;
	j->nchunks = j->nsteps = j->step = 0;
	j->planned = false;
}

/* The call for the job's current step, or false when the step needs none
 * (an unchanged chunk of an edit). */
static bool
job_call(struct job *j, struct bridge_call *c)
{
	struct ref *r = j->ref;
	size_t i = j->step;

	memset(c, 0, sizeof(*c));
	c->channel = j->ch->name;
	c->ref = r ? r->name : NULL;
	c->action = j->action;
	c->attempt = j->attempt;
	c->job_ = j;
	switch (j->op) {
	case J_SEND:
		c->kind = BRIDGE_SEND;
		c->text = j->chunks[i];
		return true;
	case J_EDIT:
		if (i < j->nchunks && i < r->nids) {
			if (r->hashes[i] == j->hashes[i])
				return false;
			c->kind = BRIDGE_EDIT;
			c->msg_id = r->ids[i];
			c->text = j->chunks[i];
		} else if (i < j->nchunks) {
			c->kind = BRIDGE_SEND;
			c->text = j->chunks[i];
		} else {
			c->kind = BRIDGE_DELETE;
			c->msg_id = r->ids[i];
		}
		return true;
	case J_DELETE:
		c->kind = BRIDGE_DELETE;
		c->msg_id = r->ids[i];
		return true;
	case J_TYPING: c->kind = BRIDGE_TYPING; return true;
	case J_FILE: c->kind = BRIDGE_FILE; return true;
	case J_ASK: c->kind = BRIDGE_ASK; return true;
	case J_COMMANDS: c->kind = BRIDGE_COMMANDS; return true;
	case J_CUSTOM: c->kind = BRIDGE_CUSTOM; return true;
	}
	return false;
}

/* A job finished (all steps, or failed): settle its ref, drop it. */
/* A file action with "remove": the engine's copy (a pulled file) is gone
 * once sent or refused: the bridge is its last user. */
static void
file_remove(json_t *a)
{
	const char *path = json_string_value(json_object_get(a, "path"));

	if (path && json_is_true(json_object_get(a, "remove")) &&
	    unlink(path) == -1 && errno != ENOENT)
		warn("%s", path);
}

static void
job_finish(struct bridge *b, struct job *j, const char *error)
{
	struct ref *r = j->ref;

	dequeue(j->ch);
	if (j->op == J_FILE)
		file_remove(j->action);
	if (error) {
		if (j->op == J_SEND && r && r->nids == 0)
			r->state = REF_FAILED;
		if (j->op != J_TYPING && j->op != J_CUSTOM)
			emit_failed(b, op_names[j->op], r ? r->name : NULL,
			    j->ch->name, error);
	} else if (j->op == J_EDIT && r->nids > j->nchunks) {
		/* Surplus messages were deleted. */
		for (size_t i = j->nchunks; i < r->nids; i++)
			free(r->ids[i]);
		r->nids = j->nchunks;
	} else if (j->op == J_DELETE) {
		for (size_t i = 0; i < r->nids; i++)
			free(r->ids[i]);
		r->nids = 0;
	}
	job_free(b, j);
}

void
bridge_call_done(struct bridge *b, const struct bridge_call *c,
    const struct bridge_result *res)
{
	struct job *j = c->job_;
	struct chan *ch = j->ch;
	struct ref *r = j->ref;
	long long now = monotonic_ms();

	j->inflight = false;
	ch->busy = false;
	b->inflight--;
	if (counts_for_pace(j) && b->cfg.channel_interval > 0)
		ch->pace_until = now + (long long)(b->cfg.channel_interval * 1000);
	switch (res->status) {
	case BRIDGE_OK:
		j->attempt = 0;
		if (c->kind == BRIDGE_SEND && r && res->msg_id)
			ref_add_id(r, res->msg_id, j->hashes[j->step]);
		else if ((c->kind == BRIDGE_FILE || c->kind == BRIDGE_ASK) && r &&
		    res->msg_id)
			ref_add_id(r, res->msg_id, 0);
		else if (c->kind == BRIDGE_EDIT)
			r->hashes[j->step] = j->hashes[j->step];
		j->step++;
		if (j->step >= j->nsteps)
			job_finish(b, j, NULL);
		break;
	case BRIDGE_WAIT: {
		long long until = now + (long long)(res->retry_after * 1000) + 1;

		if (++j->waits > 50) {
			job_finish(b, j, "rate limited too many times");
			break;
		}
		if (res->global)
			b->global_wait = until > b->global_wait ? until : b->global_wait;
		else
			ch->wait_until = until;
		break;
	}
	case BRIDGE_RETRY:
		if (++j->attempt > b->cfg.max_retries) {
			job_finish(b, j, res->error ? res->error : "network error");
			break;
		}
		ch->wait_until = now + http_backoff_ms(j->attempt, 500, 30000);
		break;
	case BRIDGE_FAIL:
		/* A failed chunk of a send or edit: report it, go on with the
		 * rest (no text dropped that could still be shown). */
		if ((j->op == J_SEND || j->op == J_EDIT) && j->step + 1 < j->nsteps) {
			emit_failed(b, op_names[j->op], r ? r->name : NULL, ch->name,
			    res->error);
			j->step++;
			break;
		}
		job_finish(b, j, res->error ? res->error : "refused");
		break;
	}
	pump(b);
}

/* ---- the scheduler -------------------------------------------------------- */

static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	pump(arg);
}

static void
check_idle(struct bridge *b)
{
	if (!b->eof || b->idle_fired || b->inflight > 0)
		return;
	for (struct chan *ch = b->chan_list; ch; ch = ch->next)
		if (ch->head)
			return;
	b->idle_fired = true;
	if (b->idle_fn)
		b->idle_fn(b->idle_arg);
}

static void
pump(struct bridge *b)
{
	long long now, next;
	bool progress;

	if (b->pumping) {
		b->repump = true;
		return;
	}
	b->pumping = true;
	do {
		b->repump = false;
		progress = false;
		now = monotonic_ms();
		next = -1;
		/* Round robin: each pass starts after the channel served
		 * last, so when the global pace is what limits, every
		 * channel gets its turn and none falls behind to finish
		 * alone at its own bucket's pace. */
		struct chan *ch = b->rr ? b->rr : b->chan_list;

		for (size_t k = 0; k < b->nchans;
		    k++, ch = ch->next ? ch->next : b->chan_list) {
			struct job *j = ch->head;
			long long at;
			double held;
			const char *why = NULL;

			if (j == NULL || ch->busy)
				continue;
			at = ch->wait_until > b->global_wait ? ch->wait_until : b->global_wait;
			if (counts_for_pace(j) && ch->pace_until > at)
				at = ch->pace_until;
			if ((long long)ceil(b->global_next) > at)
				at = (long long)ceil(b->global_next);
			if (at > now || b->inflight >= b->cfg.max_inflight) {
				if (at > now && (next == -1 || at < next))
					next = at;
				continue;
			}
			if (!j->planned && !job_plan(b, j, &why)) {
				job_finish(b, j, why);
				progress = true;
				continue;
			}
			while (j->step < j->nsteps && !job_call(j, &j->call))
				j->step++;	/* unchanged chunks */
			if (j->step >= j->nsteps) {
				job_finish(b, j, NULL);
				progress = true;
				continue;
			}
			if (b->p.hold && (held = b->p.hold(b->ctx, &j->call)) > 0) {
				at = now + (long long)(held * 1000 + 0.999);
				ch->wait_until = at;
				if (next == -1 || at < next)
					next = at;
				if (j->op == J_EDIT && !j->started)
					job_unplan(j);
				continue;
			}
			j->inflight = true;
			j->started = true;
			ch->busy = true;
			b->inflight++;
			b->calls++;
			if (b->cfg.global_rate > 0) {
				/* Slots global_rate a second apart; a call made
				 * late (timer latency) does not push the rest
				 * back, so the average rate is the rate set. */
				double iv = 1000.0 / b->cfg.global_rate;

				b->global_next = (b->global_next >= (double)now - iv ?
				    b->global_next : (double)now) + iv;
			}
			progress = true;
			b->rr = ch->next;
			b->p.call(b->ctx, &j->call);
		}
	} while (progress || b->repump);
	b->pumping = false;
	evtimer_del(b->wake);
	if (next != -1) {
		long long ms = next - monotonic_ms();
		struct timeval tv;

		if (ms < 1)
			ms = 1;
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
		evtimer_add(b->wake, &tv);
	}
	check_idle(b);
}

/* ---- typing --------------------------------------------------------------- */

static void
typing_queue(struct bridge *b, struct chan *ch)
{
	for (struct job *j = ch->head; j; j = j->next)
		if (j->op == J_TYPING && !j->inflight)
			return;
	enqueue(b, job_new(ch, J_TYPING, NULL));
}

static void
on_typing(evutil_socket_t fd, short what, void *arg)
{
	struct chan *ch = arg;
	struct timeval tv;
	double s = ch->b->cfg.typing_interval;

	(void)fd;
	(void)what;
	if (!ch->typing)
		return;
	typing_queue(ch->b, ch);
	tv.tv_sec = (time_t)s;
	tv.tv_usec = (suseconds_t)((s - (double)tv.tv_sec) * 1e6);
	evtimer_add(ch->typing_ev, &tv);
}

static void
typing_set(struct bridge *b, struct chan *ch, bool on)
{
	if (on == ch->typing)
		return;
	ch->typing = on;
	if (ch->typing_ev == NULL)
		ch->typing_ev = evtimer_new(b->base, on_typing, ch);
	if (on) {
		on_typing(-1, 0, ch);
		return;
	}
	evtimer_del(ch->typing_ev);
	/* Drop a typing call still waiting. */
	for (struct job **pp = &ch->head, *prev = NULL; *pp;) {
		struct job *j = *pp;

		if (j->op == J_TYPING && !j->inflight) {
			*pp = j->next;
			if (ch->tail == j)
				ch->tail = prev;
			job_free(b, j);
			continue;
		}
		prev = j;
		pp = &j->next;
	}
}

/* ---- actions --------------------------------------------------------------- */

static const char *
jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Coalesce: a waiting edit of the same ref, with nothing else for that ref
 * after it, takes the new text. */
static bool
coalesce(struct chan *ch, struct ref *r, const char *text)
{
	struct job *found = NULL;

	for (struct job *j = ch->head; j; j = j->next) {
		if (j->ref != r)
			continue;
		found = j->op == J_EDIT && !j->planned && !j->inflight ? j : NULL;
	}
	if (found == NULL)
		return false;
	free(found->text);
	found->text = xstrdup(text);
	return true;
}

void
bridge_action(struct bridge *b, json_t *a)
{
	const char *op = jstr(a, "op"), *channel = jstr(a, "channel");
	const char *refname = jstr(a, "ref"), *text = jstr(a, "text");
	struct ref *r = NULL;
	struct chan *ch;
	struct job *j;

	if (op == NULL)
		return;
	if (strcmp(op, "send") == 0 || strcmp(op, "ask") == 0 ||
	    strcmp(op, "file") == 0) {
		bool send = op[0] == 's', file = op[0] == 'f';

		if (channel == NULL || *channel == '\0') {
			emit_failed(b, op, refname, NULL, "no channel");
			return;
		}
		if ((send || !file) && text == NULL) {
			emit_failed(b, op, refname, channel, "no text");
			return;
		}
		if (refname && strmap_get(&b->refs, refname)) {
			emit_failed(b, op, refname, channel, "ref already in use");
			return;
		}
		if (file) {
			const char *path = jstr(a, "path");
			struct stat st;

			if (path == NULL || stat(path, &st) == -1 || !S_ISREG(st.st_mode)) {
				char *e = xasprintf("%s: %s", path ? path : "(no path)",
				    path == NULL ? "missing" : errno ? strerror(errno) :
				    "not a regular file");

				emit_failed(b, op, refname, channel, e);
				free(e);
				return;
			}
			if (b->cfg.max_file > 0 && st.st_size > b->cfg.max_file) {
				char *e = xasprintf("file too large: %lld bytes, the limit is %lld",
				    (long long)st.st_size, b->cfg.max_file);

				emit_failed(b, op, refname, channel, e);
				free(e);
				file_remove(a);
				return;
			}
		}
		ch = chan_get(b, channel);
		if (send)
			typing_set(b, ch, false);
		r = ref_new(b, refname, channel);
		j = job_new(ch, send ? J_SEND : file ? J_FILE : J_ASK, r);
		if (send)
			j->text = xstrdup(text);
		j->action = json_incref(a);
		enqueue(b, j);
		return;
	}
	if (strcmp(op, "edit") == 0 || strcmp(op, "delete") == 0) {
		bool edit = op[0] == 'e';

		r = refname ? strmap_get(&b->refs, refname) : NULL;
		if (r == NULL) {
			emit_failed(b, op, refname, channel, "unknown ref");
			return;
		}
		if (r->state == REF_DELETED) {
			emit_failed(b, op, refname, r->channel, "the message was deleted");
			return;
		}
		if (edit && text == NULL) {
			emit_failed(b, op, refname, r->channel, "no text");
			return;
		}
		ch = chan_get(b, r->channel);
		if (edit && coalesce(ch, r, text)) {
			pump(b);
			return;
		}
		if (!edit)
			r->state = REF_DELETED;
		j = job_new(ch, edit ? J_EDIT : J_DELETE, r);
		if (edit)
			j->text = xstrdup(text);
		enqueue(b, j);
		return;
	}
	if (strcmp(op, "typing") == 0) {
		if (channel && *channel)
			typing_set(b, chan_get(b, channel),
			    json_is_true(json_object_get(a, "on")));
		return;
	}
	if (strcmp(op, "commands") == 0) {
		j = job_new(chan_get(b, ""), J_COMMANDS, NULL);
		j->action = json_incref(a);
		enqueue(b, j);
		return;
	}
	if (b->p.other)
		b->p.other(b->ctx, op, a);
}

void
bridge_custom(struct bridge *b, const char *channel, json_t *data)
{
	struct job *j = job_new(chan_get(b, channel), J_CUSTOM, NULL);

	j->action = data;
	enqueue(b, j);
}

/* ---- input ------------------------------------------------------------------ */

static void
handle_line(struct bridge *b, const char *s, size_t n)
{
	json_error_t je;
	json_t *a;

	while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' '))
		n--;
	if (n == 0)
		return;
	a = json_loadb(s, n, 0, &je);
	if (a == NULL || !json_is_object(a)) {
		warnx("action: %s (line skipped)", a ? "not a JSON object" : je.text);
		json_decref(a);
		return;
	}
	bridge_action(b, a);
	json_decref(a);
}

static void
on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct bridge *b = arg;
	char tmp[65536];
	ssize_t n;

	(void)what;
	(void)fd;
	for (;;) {
		n = read(b->in_fd, tmp, sizeof(tmp));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			if (n == -1)
				warnx("actions: %s", strerror(errno));
			if (b->in.len > 0 && !b->skipping)
				handle_line(b, b->in.s, b->in.len);
			buf_clear(&b->in);
			event_del(b->in_ev);
			bridge_input_done(b);
			return;
		}
		for (ssize_t i = 0; i < n;) {
			char *nl = memchr(tmp + i, '\n', (size_t)(n - i));
			size_t k = nl ? (size_t)(nl - (tmp + i)) : (size_t)(n - i);

			if (!b->skipping) {
				if (b->in.len + k > b->cfg.max_line) {
					warnx("action: a line over %zu bytes (skipped)",
					    b->cfg.max_line);
					buf_clear(&b->in);
					b->skipping = true;
				} else
					buf_append(&b->in, tmp + i, k);
			}
			i += (ssize_t)k;
			if (nl) {
				if (!b->skipping)
					handle_line(b, b->in.s, b->in.len);
				buf_clear(&b->in);
				b->skipping = false;
				i++;
			}
		}
	}
}

void
bridge_input_done(struct bridge *b)
{
	b->eof = true;
	pump(b);
}

void
bridge_on_idle(struct bridge *b, void (*fn)(void *), void *arg)
{
	b->idle_fn = fn;
	b->idle_arg = arg;
}

int
bridge_start_io(struct bridge *b, int in_fd, int out_fd)
{
	struct stat st;
	int fl;

	b->in_fd = in_fd;
	b->out_fd = out_fd;
	if ((fl = fcntl(in_fd, F_GETFL)) == -1 ||
	    fcntl(in_fd, F_SETFL, fl | O_NONBLOCK) == -1 ||
	    (fl = fcntl(out_fd, F_GETFL)) == -1 ||
	    fcntl(out_fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return -1;
	b->in_ev = event_new(b->base, in_fd, EV_READ | EV_PERSIST, on_readable, b);
	b->out_ev = event_new(b->base, out_fd, EV_WRITE, on_writable, b);
	if (b->in_ev == NULL || b->out_ev == NULL)
		return -1;
	if (fstat(in_fd, &st) == -1)
		return -1;
	if (S_ISREG(st.st_mode) || (S_ISCHR(st.st_mode) && !isatty(in_fd)) ||
	    event_add(b->in_ev, NULL) == -1) {
		/* A regular file or /dev/null (epoll refuses them): it never
		 * blocks, so it is read to its end from the loop at once. */
		event_free(b->in_ev);
		b->in_ev = event_new(b->base, -1, 0, on_readable, b);
		if (b->in_ev == NULL)
			return -1;
		event_active(b->in_ev, EV_READ, 0);
	}
	bridge_emit(b, json_incref(b->cfg.hello));
	return 0;
}

/* ---- life ------------------------------------------------------------------ */

struct bridge *
bridge_new(struct event_base *base, const struct bridge_config *cfg,
    const struct bridge_platform *p, void *ctx)
{
	struct bridge *b = xcalloc(1, sizeof(*b));

	b->base = base;
	b->cfg = *cfg;
	b->cfg.hello = cfg->hello ? json_incref(cfg->hello) : json_pack("{s:s}", "type", "hello");
	if (b->cfg.typing_interval <= 0)
		b->cfg.typing_interval = 4;
	if (b->cfg.max_retries <= 0)
		b->cfg.max_retries = 5;
	if (b->cfg.max_inflight <= 0)
		b->cfg.max_inflight = 4;
	if (b->cfg.max_line == 0)
		b->cfg.max_line = 16 << 20;
	if (b->cfg.max_refs == 0)
		b->cfg.max_refs = 20000;
	b->p = *p;
	b->ctx = ctx;
	b->in_fd = b->out_fd = -1;
	b->wake = evtimer_new(base, on_wake, b);
	b->flush_ev = event_new(base, -1, 0, on_flush_ev, b);
	if (b->wake == NULL || b->flush_ev == NULL)
		errx(1, "bridge: out of memory");
	return b;
}

void
bridge_free(struct bridge *b)
{
	struct chan *ch, *next;

	if (b == NULL)
		return;
	while (b->ev_head) {
		struct bridge_event *e = b->ev_head;

		b->ev_head = e->next;
		json_decref(e->ev);
		free(e);
	}
	for (ch = b->chan_list; ch; ch = next) {
		next = ch->next;
		while (ch->head) {
			struct job *j = ch->head;

			ch->head = j->next;
			if (j->ref && j->ref->name)
				j->ref = NULL;	/* freed with the map below */
			job_free(b, j);
		}
		if (ch->typing_ev)
			event_free(ch->typing_ev);
		free(ch->name);
		free(ch);
	}
	strmap_free_with(&b->refs, ref_free);
	strmap_free(&b->chans);
	if (b->in_ev)
		event_free(b->in_ev);
	if (b->out_ev)
		event_free(b->out_ev);
	event_free(b->wake);
	event_free(b->flush_ev);
	buf_free(&b->in);
	buf_free(&b->out);
	free(b->flushes);
	json_decref(b->cfg.hello);
	free(b);
}

int
bridge_failures(const struct bridge *b)
{
	return b->failures;
}

unsigned long
bridge_calls(const struct bridge *b)
{
	return b->calls;
}

/* ---- events that wait ------------------------------------------------------ */

void
bridge_tell(struct bridge *b, const char *channel, const char *text)
{
	json_t *a = json_pack("{s:s, s:s, s:s}", "op", "send", "channel", channel,
	    "text", text);

	if (a) {
		bridge_action(b, a);
		json_decref(a);
	}
}

void
bridge_file_lost(struct bridge *b, const char *channel, const char *name,
    const char *why)
{
	char *s = xasprintf("⚠ %s was not received: %s", name, why);

	warnx("%s: %s was not received: %s", channel, name, why);
	bridge_tell(b, channel, s);
	free(s);
}

struct bridge_event *
bridge_event_queue(struct bridge *b, json_t *ev)
{
	struct bridge_event *e = xcalloc(1, sizeof(*e));

	e->b = b;
	e->ev = ev;
	e->holds = 1;
	if (b->ev_tail)
		b->ev_tail->next = e;
	else
		b->ev_head = e;
	b->ev_tail = e;
	return e;
}

void
bridge_event_post(struct bridge *b, json_t *ev)
{
	bridge_event_release(bridge_event_queue(b, ev));
}

void
bridge_event_hold(struct bridge_event *e)
{
	e->holds++;
}

void
bridge_event_release(struct bridge_event *e)
{
	struct bridge *b = e->b;

	e->holds--;
	while (b->ev_head && b->ev_head->holds <= 0) {
		struct bridge_event *h = b->ev_head;

		b->ev_head = h->next;
		if (b->ev_head == NULL)
			b->ev_tail = NULL;
		if (h->ev)
			bridge_emit(b, h->ev);
		free(h);
	}
}

void
bridge_event_drop(struct bridge_event *e)
{
	json_decref(e->ev);
	e->ev = NULL;
}

void
bridge_event_add_file(struct bridge_event *e, const char *path, const char *name,
    const char *mime, long long size)
{
	json_t *files;

	if (e->ev == NULL)
		return;
	if ((files = json_object_get(e->ev, "files")) == NULL) {
		files = json_array();
		json_object_set_new(e->ev, "files", files);
	}
	json_array_append_new(files, json_pack("{s:s, s:s, s:s, s:I}", "path", path,
	    "name", name, "mime", mime ? mime : "application/octet-stream", "size",
	    (json_int_t)size));
}

/* ---- a bridge process's life ---------------------------------------------- */

void
bridge_stop(struct bridge *b)
{
	if (b->stopping)
		*b->stopping = true;
	event_base_loopbreak(b->base);
}

static void
stop_on_signal(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	bridge_stop(arg);
}

static void
stop_when_idle(void *arg)
{
	bridge_stop(arg);
}

int
bridge_serve(struct bridge *b, bool *stopping, void (*start)(void *), void *arg)
{
	struct event *term, *intr;

	b->stopping = stopping;
	signal(SIGPIPE, SIG_IGN);
	term = evsignal_new(b->base, SIGTERM, stop_on_signal, b);
	intr = evsignal_new(b->base, SIGINT, stop_on_signal, b);
	if (term == NULL || intr == NULL || evsignal_add(term, NULL) == -1 ||
	    evsignal_add(intr, NULL) == -1) {
		warnx("cannot watch for signals");
		goto fail;
	}
	bridge_on_idle(b, stop_when_idle, b);
	if (bridge_start_io(b, STDIN_FILENO, STDOUT_FILENO) == -1) {
		warn("stdin/stdout");
		goto fail;
	}
	start(arg);
	if (!*stopping)
		event_base_dispatch(b->base);
	event_free(term);
	event_free(intr);
	return 0;
fail:
	if (term)
		event_free(term);
	if (intr)
		event_free(intr);
	return -1;
}

int
bridge_oneshot(struct bridge *b, json_t *action, bool *stopping)
{
	b->stopping = stopping;
	bridge_on_idle(b, stop_when_idle, b);
	bridge_action(b, action);
	json_decref(action);
	bridge_input_done(b);
	if (!*stopping)
		event_base_dispatch(b->base);
	return bridge_failures(b);
}
