/* bridge.h — the platform-neutral half of every chat bridge (cc-telegram,
 * cc-discord, cc-lark, cc-web, cc-tty): the bridge protocol on stdin and
 * stdout (cc-bridge(7)), and the outbox that turns the engine's actions
 * into platform calls at the pace the platform allows.
 *
 * Protocol: events go out as one JSON object per line, `hello` first;
 * actions come in the same way, read without blocking (libevent).  A line
 * longer than max_line, or one that is not a JSON object, is skipped with
 * one line on stderr.  Unknown ops and fields are ignored.  EOF on stdin
 * lets the outbox drain, then on_idle runs (the bridge then exits 0).
 *
 * The outbox:
 * - one FIFO per channel: a channel's actions are performed in order, one
 *   platform call at a time; channels are independent, so a rate-limited
 *   chat never holds up another;
 * - pace: after a call, a channel waits channel_interval before its next
 *   (Telegram: 1 s per chat); all calls together stay under global_rate
 *   per second (Telegram: 30);
 * - a platform's "wait N seconds" (HTTP 429) holds that channel back (or
 *   everything, when the platform says the limit is global) and the call is
 *   made again; network errors are retried max_retries times with backoff;
 *   what the platform still refuses becomes a `failed` event;
 * - edits of one ref waiting in the queue are coalesced: a newer edit
 *   replaces the text of the one still waiting, so a live reply never falls
 *   behind its stream however slow the platform is;
 * - refs: the engine names each message (`ref`); the bridge keeps ref →
 *   the platform ids of its messages.  An edit or delete of a ref whose send
 *   is still queued waits behind it; an unknown ref is `failed` at once;
 * - text: send and edit carry Markdown; the platform's render() turns it
 *   into chunks within its message limit.  A send of k chunks sends k
 *   messages.  An edit renders the new text and compares chunk by chunk:
 *   chunks that changed are edited, missing ones sent as new messages,
 *   surplus ones deleted, unchanged ones left alone — no text is ever lost
 *   and a live edit of a long reply touches only its last message;
 * - typing on: the platform's typing call now and every typing_interval
 *   until typing off or the next send to that channel;
 * - files over max_file are `failed` without a call.
 *
 * - a platform with rate-limit buckets of its own (Discord) says through
 *   hold() how long a call must still wait; nothing is sent to be refused.
 *
 * The platform plugs in with struct bridge_platform: render() and call(),
 * which starts one asynchronous platform call and reports it, later or at
 * once, with bridge_call_done().  Inbound traffic is the platform's own; it
 * hands events to bridge_emit(). */
#ifndef CC_BRIDGE_H
#define CC_BRIDGE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct event_base;
struct bridge;

enum bridge_call_kind {
	BRIDGE_SEND,		/* channel, text: one chunk → msg_id */
	BRIDGE_EDIT,		/* channel, msg_id, text: one chunk */
	BRIDGE_DELETE,		/* channel, msg_id */
	BRIDGE_TYPING,		/* channel */
	BRIDGE_FILE,		/* channel, action {path, caption} → msg_id */
	BRIDGE_ASK,		/* channel, ref, action {text, options, multi} → msg_id */
	BRIDGE_COMMANDS,	/* action {list}; channel "" */
	BRIDGE_CUSTOM		/* channel, action: data given to bridge_custom */
};

struct bridge_call {
	enum bridge_call_kind kind;
	const char *channel;
	const char *ref;	/* the engine's ref, or NULL */
	const char *msg_id;	/* EDIT, DELETE */
	const char *text;	/* SEND, EDIT: platform format */
	json_t *action;		/* FILE, ASK, COMMANDS, CUSTOM (borrowed) */
	int attempt;		/* 0, then 1, 2, … on retries */
	void *job_;		/* private */
};

enum bridge_status {
	BRIDGE_OK,		/* done (a "not modified" edit is done too) */
	BRIDGE_WAIT,		/* rate-limited: make it again after retry_after */
	BRIDGE_RETRY,		/* transient failure: retry with backoff */
	BRIDGE_FAIL		/* refused: report a failed event */
};

struct bridge_result {
	enum bridge_status status;
	const char *msg_id;	/* SEND, FILE, ASK: the new message */
	double retry_after;	/* BRIDGE_WAIT: seconds */
	bool global;		/* BRIDGE_WAIT: every channel waits */
	const char *error;	/* BRIDGE_FAIL, BRIDGE_RETRY: why (one line) */
};

struct bridge_platform {
	/* Markdown → chunks in the platform's format, each within its message
	 * limit; returns their number (0: nothing to show) and sets *chunks
	 * to a malloc'd array of malloc'd strings. */
	size_t (*render)(void *ctx, const char *md, char ***chunks);
	/* Start c (valid until bridge_call_done is called for it). */
	void (*call)(void *ctx, const struct bridge_call *c);
	/* Optional: an action whose op the bridge does not know ("choices"). */
	void (*other)(void *ctx, const char *op, json_t *action);
	/* Optional: how many seconds c must wait before it may start (the
	 * platform's own rate-limit buckets, learnt from its answers); 0 to
	 * start it now, when call() follows at once.  A held call's channel
	 * waits (its order is kept); an edit held before its first call is
	 * rendered again when it comes up, so newer edits of the ref still
	 * coalesce into it while it waits. */
	double (*hold)(void *ctx, const struct bridge_call *c);
};

struct bridge_config {
	json_t *hello;			/* the hello event, written first (kept) */
	double channel_interval;	/* s between calls to one channel (0: none) */
	double global_rate;		/* calls per second overall (0: no limit) */
	double typing_interval;		/* s between typing calls (default 4) */
	long long max_file;		/* larger files fail at once (0: no limit) */
	int max_retries;		/* network retries (default 5) */
	int max_inflight;		/* calls at once overall (default 4) */
	size_t max_line;		/* longest action line (default 16 MiB) */
	size_t max_refs;		/* refs remembered (default 20000) */
};

struct bridge *bridge_new(struct event_base *base, const struct bridge_config *cfg,
    const struct bridge_platform *p, void *ctx);
void bridge_free(struct bridge *b);

/* Speak the protocol on in_fd/out_fd (made nonblocking): write hello, read
 * actions.  0, or -1 with errno. */
int bridge_start_io(struct bridge *b, int in_fd, int out_fd);
/* Perform one action as if it had been read (one-shot commands). */
void bridge_action(struct bridge *b, json_t *action);
/* No more actions (set by EOF on in_fd): on_idle runs once the outbox is
 * empty. */
void bridge_input_done(struct bridge *b);
void bridge_on_idle(struct bridge *b, void (*fn)(void *arg), void *arg);

/* The platform reports a call it was given. */
void bridge_call_done(struct bridge *b, const struct bridge_call *c,
    const struct bridge_result *r);

/* Write an event (stolen) to out_fd. */
void bridge_emit(struct bridge *b, json_t *ev);

/* Events that must wait (an attachment downloading, a channel looked up)
 * still reach the engine in the order they happened.  bridge_event_queue
 * puts ev (stolen) behind the events queued before it and returns it held
 * once, by the caller; each job started for it adds a hold
 * (bridge_event_hold) and releases it when done (bridge_event_release).
 * An event is written as soon as it and every event before it are held by
 * nobody.  Until then the platform may add files to it or drop it. */
struct bridge_event;
/* A notice of the bridge's own to channel (a send action made here). */
void bridge_tell(struct bridge *b, const char *channel, const char *text);
/* A file someone sent that did not arrive: a line on stderr, and
 * "⚠ NAME was not received: WHY" told to the channel. */
void bridge_file_lost(struct bridge *b, const char *channel, const char *name,
    const char *why);
struct bridge_event *bridge_event_queue(struct bridge *b, json_t *ev);
/* An event that waits for nothing of its own, in order behind those that
 * do (queued and released at once). */
void bridge_event_post(struct bridge *b, json_t *ev);
void bridge_event_hold(struct bridge_event *e);
void bridge_event_release(struct bridge_event *e);
/* Leave it out (a refusal a lookup found); its place in the order goes. */
void bridge_event_drop(struct bridge_event *e);
/* A downloaded file joins its "files" (nothing when it was dropped). */
void bridge_event_add_file(struct bridge_event *e, const char *path, const char *name,
    const char *mime, long long size);
/* Run fn(arg) once every event emitted so far has been written out. */
void bridge_when_flushed(struct bridge *b, void (*fn)(void *arg), void *arg);
/* Queue a platform call of the platform's own (BRIDGE_CUSTOM, data
 * stolen) in channel's FIFO, paced like the rest. */
void bridge_custom(struct bridge *b, const char *channel, json_t *data);
/* The platform id of ref's last message, or NULL when none (yet). */
const char *bridge_ref_id(struct bridge *b, const char *ref);

/* The life of a bridge process on b's loop: SIGPIPE ignored; the protocol
 * spoken on standard input and output; start(arg) called (the platform's
 * connection); the loop run until SIGTERM or SIGINT, or until the outbox is
 * empty after the end of input, each of which sets *stopping and ends the
 * loop (as the platform's fatal errors do: bridge_stop).  -1 with a
 * diagnostic when standard input or output cannot be used, else 0. */
int bridge_serve(struct bridge *b, bool *stopping, void (*start)(void *arg),
    void *arg);
/* A one-shot command (`send`, `send-file`): perform action (stolen), run the
 * loop until the outbox is empty or *stopping.  The number of failed
 * events. */
int bridge_oneshot(struct bridge *b, json_t *action, bool *stopping);
/* Set *stopping and end the loop bridge_serve or bridge_oneshot runs. */
void bridge_stop(struct bridge *b);

/* failed events emitted so far (the one-shot commands' exit status). */
int bridge_failures(const struct bridge *b);
/* Platform calls made so far (benchmarks). */
unsigned long bridge_calls(const struct bridge *b);

#endif
