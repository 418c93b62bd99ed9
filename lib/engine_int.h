/* engine_int.h — what the engine's parts (engine.c, engine_cmd.c,
 * engine_reply.c, engine_recover.c) share.  Not for use outside the
 * engine. */
#ifndef CC_ENGINE_INT_H
#define CC_ENGINE_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "askq.h"
#include "config.h"
#include "engine.h"
#include "util.h"

struct event;
struct evbuffer;
struct proc;
struct proc_set;
struct sessdb;
struct fwd_seen;
struct machine_import;
struct machine_remove;

/* A question the AI asked in a channel, waiting for its answer. */
struct question {
	struct question *next;
	char *ref;
	struct askq *q;		/* one, malloc'd (askq_free(q, 1)) */
};

/* One message of a live reply and the text it shows. */
struct live_msg {
	char *ref;
	char *shown;
};

/* A block of a live reply: tool lines, or text. */
struct live_block {
	bool tools;
	bool open;		/* text still arriving as partials */
	struct buf text;
};

/* The reply to one user message, from session.send to its last event. */
struct reply {
	struct reply *next;
	struct channel *ch;
	char *peer, *sid, *display, *name;
	char *message;		/* the text sent, until the stream starts */
	struct proc *proc;
	json_t *held;		/* events that came while an earlier reply rendered */
	bool head;		/* rendering */
	bool stream_ended;	/* the child is gone */
	bool finishing;		/* ended, waiting for its last edit's turn */
	bool finished;
	bool queued_shown;
	bool terminal;		/* its result or error came */
	bool sending;		/* its session.send has been started */
	bool polling;		/* completed with session.reconnect */
	bool last_was_result;
	bool accepted;		/* the daemon has it: the next may be sent */
	char *end_error;
	long long t0;		/* ms, when it became head */
	long long last_seq;	/* the daemon's seq of the last event, 0: none */
	bool resumed;		/* recovered after a restart */
	char *inflight_key;	/* its row in engine_inflight, NULL: none */
	long long since;	/* the daemon's seq before its first event, -1 */
	long polls;		/* resumed: empty session.reconnect answers */
	bool since_asked;	/* resumed: the history was asked for */
	struct event *ev_poll;
	struct fwd_seen *seen;

	/* buffer and timer */
	char *status_ref;
	struct event *ticker;
	char *names[3];
	size_t nnames;
	long count;
	struct buf texts;
	bool has_text;

	/* append and batch */
	char *act_ref;
	struct strlist act_lines, batch_lines;
	struct buf thinking;
	long long last_update;

	/* live */
	struct live_block *blocks;
	size_t nblocks;
	struct live_msg *msgs;
	size_t nmsgs;
	struct event *ev_edit;
	long long last_edit;
	bool dirty;
};

struct channel {
	struct channel *next;
	struct engine *e;
	char *id;
	struct reply *replies;		/* the first renders, the rest wait */
	struct machine_import *import;
	struct machine_remove *remove;
	struct question *questions;
	bool stop_requested;
	bool typing;
};

/* A peer's daemon as the engine reaches it: cc-tunnel's answer, cached. */
struct target_wait;
struct call;
struct peer_link {
	struct peer_link *next;
	char *id;
	char *target;			/* NULL: not known */
	bool tunneling;			/* cc-tunnel running */
	bool failed;			/* a call failed: cc-tunnel --check */
	struct target_wait *waiters;
};

/* The continuation of a command waiting on a child: a few slots the
 * command fills as it likes; freed by ctx_free. */
struct ctx {
	struct channel *ch;
	char *s[4];
	json_t *j;
	long n;
	struct call *call;		/* engine.c: an RPC riding on it */
	void *data;			/* the command's own */
	void (*after)(struct engine *, struct ctx *);	/* a continuation */
	struct ctx *next_pending, **prevp;	/* the engine's list */
};

struct engine {
	struct event_base *base;
	struct proc_set *procs;
	char *cfg_path;
	struct config *cfg;
	char *db_path;
	struct sessdb *db;
	int in_fd, out_fd;
	struct event *ev_in, *ev_out, *ev_quit;
	struct evbuffer *inbuf, *outbuf;
	bool in_skipping, in_eof, stopping, quitting;
	int exit_status;

	bool hello;
	char *platform;
	size_t max_len;
	bool can_edit, buttons, files;
	long edit_interval_ms;

	unsigned long next_ref;
	char *ref_base;			/* unique to this process: refs never repeat */
	struct channel *channels;
	struct peer_link *peers;
	struct strlist init_shown;	/* daemon sids that showed "Connected to" */
	struct ctx *pending;		/* contexts waiting on children */
};

/* engine.c: actions */
char *engine_new_ref(struct engine *e, char kind);
void act_emit(struct engine *e, json_t *action);	/* steals action */
/* Send text (Markdown) to a channel, split at the bridge's limit. */
void act_say(struct engine *e, struct channel *ch, const char *text);
void act_sayf(struct engine *e, struct channel *ch, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* One message (no splitting) under a ref chosen here; returns it. */
char *act_send(struct engine *e, struct channel *ch, const char *text);
void act_edit(struct engine *e, const char *ref, const char *text);
void act_delete(struct engine *e, const char *ref);
void act_typing(struct engine *e, struct channel *ch, bool on);
void act_file(struct engine *e, struct channel *ch, const char *path,
    const char *caption, bool remove_after);

/* engine.c: channels, contexts */
struct channel *channel_get(struct engine *e, const char *id);
struct ctx *ctx_new(struct engine *e, struct channel *ch);
void ctx_free(struct engine *e, struct ctx *c);

/* engine.c: peers.  cb runs once, later, from the loop.  err is NULL on
 * success. */
typedef void (*target_cb)(struct engine *e, struct ctx *c, const char *target,
    const char *err);
void peer_target(struct engine *e, const char *peer, target_cb cb, struct ctx *c);
void peer_forget(struct engine *e, const char *peer);	/* and close its tunnel */
/* One RPC: params is stolen (NULL: none).  result is borrowed. */
typedef void (*rpc_cb)(struct engine *e, struct ctx *c, json_t *result,
    const char *err);
void peer_call(struct engine *e, const char *peer, const char *method,
    json_t *params, rpc_cb cb, struct ctx *c);
/* A command run for its output (cc-deploy ...): lines collected, cb with
 * them joined by "\n" (stdout) or the error. */
typedef void (*run_cb)(struct engine *e, struct ctx *c, const char *out,
    const char *err);
void engine_run_tool(struct engine *e, char **argv, run_cb cb, struct ctx *c);
/* argv for a child of ours: {prog, "-c", cfg} and room for n more. */
char **tool_argv(struct engine *e, const char *prog, size_t n);
void argv_free(char **argv);

/* engine_cmd.c */
void engine_message(struct engine *e, struct channel *ch, const char *user,
    bool admin, const char *text, json_t *files);
void engine_button(struct engine *e, struct channel *ch, const char *ref,
    const char *value);
void engine_complete(struct engine *e, const char *channel, const char *ref,
    const char *command, const char *option, const char *value);
json_t *engine_command_list(void);
void engine_restart_notice(struct engine *e);

/* engine_reply.c */
/* Forward text to the channel's session: a new reply is queued behind the
 * channel's current one and its stream started at once (the daemon queues
 * the message). */
void reply_start(struct engine *e, struct channel *ch, const json_t *row,
    const char *text);
void reply_event(struct reply *r, json_t *ev);
void reply_stream_end(struct reply *r, const char *err);
void reply_free(struct reply *r);
/* The bridge could not edit ref: when it is a live reply's message, it is
 * sent again (true). */
bool reply_edit_failed(struct engine *e, const char *ref);
/* Stop every reply's child without losing its place (engine stopping). */
void replies_suspend(struct engine *e);

/* engine_recover.c: the in-flight table (sessions.db, engine_inflight) */
void inflight_record(struct engine *e, struct reply *r);
void inflight_clear(struct engine *e, struct reply *r);
void inflight_resume(struct engine *e);
/* Fetch the rest of r with session.reconnect until its last event. */
void reply_poll(struct reply *r);
/* engine_reply.c, for engine_recover.c */
struct reply *reply_new(struct engine *e, struct channel *ch, const char *peer,
    const char *sid, const char *display);
void reply_attach(struct reply *r, struct proc *p);
void reply_stream_line(struct reply *r, const char *line, size_t len);
bool reply_terminal_seen(const struct reply *r);

#endif
