/* remote_ssh.c — remote.h over the cc-tunnel holder's SSH connection.
 * Stub: every operation fails until the holder's control protocol lands. */
#include <stdlib.h>

#include "remote_ssh.h"
#include "util.h"

struct remote_ssh {
	int unused;
};

struct remote_ssh *
remote_ssh_open(const struct config *cfg, const struct peer *p, char **errmsg)
{
	(void)cfg;
	*errmsg = xasprintf("%s: ssh transport: not implemented yet", p->id);
	return NULL;
}

void
remote_ssh_close(struct remote_ssh *r)
{
	free(r);
}

int
remote_ssh_exec(struct remote_ssh *r, const char *cmd, const void *in,
    size_t inlen, struct buf *out, struct buf *errout, int *status, char **errmsg)
{
	(void)r; (void)cmd; (void)in; (void)inlen; (void)out; (void)errout;
	*status = -1;
	*errmsg = xstrdup("ssh exec: not implemented yet");
	return -1;
}

int
remote_ssh_put(struct remote_ssh *r, const char *local_path,
    const char *remote_path, mode_t mode, remote_progress_fn progress, void *arg,
    char **errmsg)
{
	(void)r; (void)local_path; (void)remote_path; (void)mode; (void)progress;
	(void)arg;
	*errmsg = xstrdup("ssh put: not implemented yet");
	return -1;
}

int
remote_ssh_get(struct remote_ssh *r, const char *remote_path,
    const char *local_path, unsigned long long max_size,
    remote_progress_fn progress, void *arg, char **errmsg)
{
	(void)r; (void)remote_path; (void)local_path; (void)max_size; (void)progress;
	(void)arg;
	*errmsg = xstrdup("ssh get: not implemented yet");
	return -1;
}
