/* remote.h — run commands and move files on a peer, whatever its transport.
 *
 * transport: local  — this machine, /bin/sh -c, plain file copies.
 * transport: ssh    — over the cc-tunnel holder's existing SSH connection
 *                     (like OpenSSH's ControlMaster): no second handshake
 *                     while a holder is alive (lib/remote_ssh.c, owned by the
 *                     tunnel work); starting the holder when there is none.
 *
 * Commands are strings for the peer's /bin/sh; build them with shell_quote()
 * (lib/shquote.h) — never interpolate a path or a name unquoted.  Errors are
 * returned as malloc'd one-line messages without the program name. */
#ifndef CC_REMOTE_H
#define CC_REMOTE_H

#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "util.h"

struct remote;

/* Progress callback for transfers: done and total bytes (total 0 = unknown). */
typedef void (*remote_progress_fn)(void *arg, unsigned long long done,
    unsigned long long total);

struct remote *remote_open(const struct config *cfg, const struct peer *p,
    char **errmsg);
void remote_close(struct remote *r);

/* Run cmd on the peer.  stdin gets in[0..inlen) (in may be NULL) then EOF;
 * stdout and stderr are collected into out and errout (either may be NULL to
 * discard).  *status is the exit status (128+N when killed by signal N).
 * Returns 0 when the command ran (whatever its status), -1 with *errmsg on a
 * transport failure. */
int remote_exec(struct remote *r, const char *cmd, const void *in, size_t inlen,
    struct buf *out, struct buf *errout, int *status, char **errmsg);

/* Copy a local file to remote_path (written to a temporary name beside it,
 * then renamed, so no partial file ever has the final name), with the given
 * mode.  Streams; never holds the whole file in memory. */
int remote_put(struct remote *r, const char *local_path, const char *remote_path,
    mode_t mode, remote_progress_fn progress, void *arg, char **errmsg);

/* Copy remote_path to local_path (same temporary-then-rename rule); refuses
 * files larger than max_size when max_size > 0. */
int remote_get(struct remote *r, const char *remote_path, const char *local_path,
    unsigned long long max_size, remote_progress_fn progress, void *arg,
    char **errmsg);

#endif
