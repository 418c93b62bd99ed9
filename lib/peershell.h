/* peershell.h — shell commands on a peer that must succeed, and peer paths
 * made absolute with the peer's $HOME.  Built on lib/remote.h; the caller
 * quotes everything it puts into a command (lib/shquote.h).
 *
 * Errors are malloc'd one-line messages without the program name or the
 * peer id (the caller adds those). */
#ifndef CC_PEERSHELL_H
#define CC_PEERSHELL_H

#include "remote.h"
#include "util.h"

/* Run cmd on the peer; it must exit 0.  Its stdout is appended to out (may
 * be NULL to discard) and NUL-terminated.  On failure returns -1 with
 * *errmsg "WHAT: CAUSE", CAUSE being the transport error, the first line of
 * the command's stderr, or "exit status N". */
int peershell_run(struct remote *r, const char *what, const char *cmd,
    struct buf *out, char **errmsg);

/* path with a leading "~" or "~/" replaced by the peer's $HOME (asked with
 * one command); any other path is copied as is.  malloc'd, or NULL with
 * *errmsg ("$HOME: ..."). */
char *peershell_abs_path(struct remote *r, const char *path, char **errmsg);

#endif
