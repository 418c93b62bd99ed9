/* remote_ssh.h — the ssh side of remote.h, over the cc-tunnel holder's SSH
 * connection (implemented with the tunnel code).  remote.c dispatches to these
 * for transport: ssh; the arguments mean what they mean in remote.h. */
#ifndef CC_REMOTE_SSH_H
#define CC_REMOTE_SSH_H

#include "remote.h"

struct remote_ssh;

struct remote_ssh *remote_ssh_open(const struct config *cfg, const struct peer *p,
    char **errmsg);
void remote_ssh_close(struct remote_ssh *r);
int remote_ssh_exec(struct remote_ssh *r, const char *cmd, const void *in,
    size_t inlen, struct buf *out, struct buf *errout, int *status, char **errmsg);
int remote_ssh_put(struct remote_ssh *r, const char *local_path,
    const char *remote_path, mode_t mode, remote_progress_fn progress, void *arg,
    char **errmsg);
int remote_ssh_get(struct remote_ssh *r, const char *remote_path,
    const char *local_path, unsigned long long max_size,
    remote_progress_fn progress, void *arg, char **errmsg);

#endif
