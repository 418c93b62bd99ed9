/* progress.h — a one-line transfer progress bar for people watching a
 * terminal:
 *
 *   cc-deploy: gpu-1: big.bin [###############...............]  50% 1.0 MiB/2.0 MiB
 *
 * redrawn in place (\r, erase line) at most every 100 ms and at the end.
 * The caller decides whether to draw at all (typically only when stderr is
 * a terminal) and passes progress_update as the remote_progress_fn with the
 * struct progress as its argument.  No global state. */
#ifndef CC_PROGRESS_H
#define CC_PROGRESS_H

#include <stdbool.h>
#include <stdio.h>

#include "util.h"

struct progress {
	FILE *f;		/* where to draw */
	const char *prog;	/* program name, e.g. "cc-deploy" */
	const char *peer;
	const char *name;	/* what moves; cut to 30 bytes (whole UTF-8),
				 * control characters shown as '_' */
	long long last_ms;	/* monotonic time of the last draw */
	bool drawn;		/* a line is on the terminal */
};

void progress_init(struct progress *pg, FILE *f, const char *prog,
    const char *peer, const char *name);
/* A remote_progress_fn (lib/remote.h): arg is a struct progress. */
void progress_update(void *arg, unsigned long long done,
    unsigned long long total);
/* Erase the line drawn, if any. */
void progress_end(struct progress *pg);

/* The text of one line (no \r, no erase): "PROG: PEER: NAME [bar] PCT% DONE/TOTAL",
 * or "PROG: PEER: NAME DONE" when total is 0 (unknown).  Appended to b. */
void progress_line(struct buf *b, const char *prog, const char *peer,
    const char *name, unsigned long long done, unsigned long long total);

/* A byte count for people: "512 B", "1.5 KiB", "2.0 MiB", "1.2 GiB". */
void progress_bytes(char *s, size_t n, unsigned long long v);

#endif
