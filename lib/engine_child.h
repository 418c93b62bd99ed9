/* engine_child.h — a bridge that runs its own cc-engine (cc-web, cc-tty):
 * find the engine, start it as a child wired with two pipes, stop it.
 *
 * The child reads events on its stdin (our to_engine) and writes actions
 * on its stdout (our from_engine); its stderr is ours, so its diagnostics
 * land where the bridge's do.  It leads a process group of its own, starts
 * with default signal dispositions and an empty mask, gets SIGTERM when we
 * die (PR_SET_PDEATHSIG: cc-engine then records its replies in flight), and
 * inherits no other fd of ours.  Both our ends are close-on-exec and
 * nonblocking, ready for bridge_start_io(from_engine, to_engine).
 *
 * Reaping is the caller's: engine_child_reap from its SIGCHLD handler
 * (it waits for this pid only, so other children's owners are unaffected). */
#ifndef CC_ENGINE_CHILD_H
#define CC_ENGINE_CHILD_H

#include <stdbool.h>
#include <sys/types.h>

struct engine_child {
	pid_t pid;		/* -1: none */
	int to_engine;		/* write end: the engine's stdin */
	int from_engine;	/* read end: the engine's stdout */
};

/* The engine to run: $CC_ENGINE when set, else cc-engine next to our own
 * executable (/proc/self/exe) when it is there, else "cc-engine" (PATH).
 * malloc'd. */
char *engine_child_path(void);

/* Start path with the arguments args (NULL-terminated, may be NULL; argv[0]
 * is path).  0, or -1 with *errmsg (malloc'd, one line). */
int engine_child_start(const char *path, char *const args[],
    struct engine_child *ec, char **errmsg);

/* Has it ended?  true with *status (a wait status) once it has been
 * reaped; false while it runs.  ec->pid becomes -1 when reaped. */
bool engine_child_reap(struct engine_child *ec, int *status);

/* Close our ends (the engine sees EOF and exits), wait up to grace_ms,
 * then SIGTERM its group, then SIGKILL 1 s later.  Returns the wait status
 * (0 when it had been reaped already).  Blocks: for shutdown only. */
int engine_child_stop(struct engine_child *ec, long grace_ms);

/* Close our ends without waiting (after a fork, in the other process). */
void engine_child_close_fds(struct engine_child *ec);

#endif
