/* engine.h — the chat engine behind every bridge: reads bridge events
 * (NDJSON on one fd), writes bridge actions (NDJSON on another), and runs
 * every chat command and the streaming of replies (cc-bridge(7),
 * cc-engine(1)).  Network work is done by child processes (cc-tunnel,
 * cc-rpc, cc-deploy) read through pipes, so the one event loop never
 * blocks; the config and the session DB are linked.
 *
 * The engine's parts share engine_int.h: engine.c (I/O, dispatch, actions,
 * peers and their children), engine_cmd.c (the commands), engine_reply.c
 * (a reply as it streams), engine_recover.c (replies in flight across a
 * restart). */
#ifndef CC_ENGINE_H
#define CC_ENGINE_H

struct event_base;
struct engine;

struct engine_opts {
	const char *config_path;	/* NULL: config_path(NULL) */
	const char *db_path;		/* NULL: sessdb_default_path() */
	int in_fd, out_fd;		/* events in, actions out */
};

/* NULL with *errmsg (malloc'd, one line) when the config or the DB cannot
 * be opened. */
struct engine *engine_new(struct event_base *base, const struct engine_opts *o,
    char **errmsg);
/* Start reading events.  The loop ends after EOF on in_fd or engine_stop,
 * once the actions are written. */
int engine_start(struct engine *e);
/* Stop (SIGTERM): replies in flight are recorded for the next start,
 * children stopped. */
void engine_stop(struct engine *e);
/* The exit status the command should return: 0, or 75 after /restart or
 * /update. */
int engine_exit_status(const struct engine *e);
void engine_free(struct engine *e);

#endif
