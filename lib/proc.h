/* proc.h — child processes driven by a libevent loop: the engine's way of
 * doing network work (cc-tunnel, cc-rpc, cc-deploy) without ever blocking.
 *
 * A child gets a pipe for stdin (the given bytes are written, then it is
 * closed: chat text goes this way, never in argv), a pipe for stdout read
 * line by line, and a pipe for stderr kept (the last 4 KiB) for the error
 * message.  It leads a process group of its own and dies with the parent
 * (PR_SET_PDEATHSIG): a reader that outlived a killed engine would take
 * events it can no longer deliver.
 *
 * on_line is called for every stdout line (without its newline; lines
 * longer than max_line are skipped with a warning); on_exit once, after
 * stdout reached EOF and the child was reaped, with its wait status and
 * what it wrote on stderr.  After on_exit the proc is freed. */
#ifndef CC_PROC_H
#define CC_PROC_H

#include <stddef.h>
#include <sys/types.h>

struct event_base;
struct proc_set;
struct proc;

struct proc_opts {
	char *const *argv;		/* argv[0] looked up in PATH */
	const char *input;		/* written to stdin; NULL: /dev/null */
	size_t input_len;
	void (*on_line)(struct proc *p, const char *line, size_t len, void *arg);
	void (*on_exit)(struct proc *p, int status, const char *err, void *arg);
	void *arg;
	/* Optional: called instead of on_exit when the proc goes without it
	 * (abandoned, or the set freed), so the owner can free arg. */
	void (*on_free)(void *arg);
	size_t max_line;		/* 0: 64 MiB */
	long timeout_ms;		/* 0: none; then SIGTERM, SIGKILL 1 s later */
};

/* All children of one loop; SIGCHLD is handled there. */
struct proc_set *proc_set_new(struct event_base *base);
/* Kill (SIGKILL, process groups) and reap every child; no callbacks. */
void proc_set_free(struct proc_set *ps);
size_t proc_set_count(const struct proc_set *ps);

/* NULL with *errmsg (malloc'd) when the child cannot be started. */
struct proc *proc_start(struct proc_set *ps, const struct proc_opts *o,
    char **errmsg);
pid_t proc_pid(const struct proc *p);
/* Signal the child's process group. */
void proc_kill(struct proc *p, int sig);
/* The owner is gone: no more callbacks; the child is sent SIGTERM and
 * reaped quietly. */
void proc_abandon(struct proc *p);

/* "exit 3", "signal 9": a malloc'd description of a wait status. */
char *proc_status_text(int status);

#endif
