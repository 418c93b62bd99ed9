/* sshconfig.h — reading the user's OpenSSH client config (~/.ssh/config) for
 * /add-machine: its Host entries with HostName, User, Port, ProxyJump,
 * ProxyCommand and IdentityFile, Include directives followed (globs,
 * relative to ~/.ssh, depth-limited), patterns (* ? !) not listed as hosts.
 * An entry holds only the values of its own Host blocks (first value wins);
 * `Host *` and Match blocks give nothing to anyone (see sshconfig.c). */
#ifndef CC_SSHCONFIG_H
#define CC_SSHCONFIG_H

#include <stddef.h>

struct ssh_host {
	char *name;		/* the Host alias */
	char *hostname, *user, *proxy_jump, *proxy_command, *identity_file;
	int port;		/* 22 when unset */
	char *proxy_command_host;	/* HOST of a ProxyCommand "ssh ... HOST -W"; NULL */
};

/* A missing file is no error (no hosts). 0, or -1 with *errmsg. */
int sshconfig_load(const char *path, struct ssh_host **hosts, size_t *n,
    char **errmsg);
void sshconfig_free(struct ssh_host *hosts, size_t n);
const struct ssh_host *sshconfig_find(const struct ssh_host *hosts, size_t n,
    const char *name);
/* ProxyJump, else the host of a ProxyCommand "ssh [-opts] HOST -W ...",
 * else NULL (upstream-engine.md §3.17).  "none" is no proxy. */
const char *ssh_host_proxy(const struct ssh_host *h);

#endif
