/* proxycmd.h — a peer's proxy_command, OpenSSH's ProxyCommand: a local
 * command whose standard input and output carry the SSH connection
 * (`ssh -W %h:%p bastion`, `nc -X connect -x proxy:3128 %h %p`,
 * `cloudflared access ssh --hostname %h`).
 *
 * The command runs under /bin/sh -c with its standard input and output both
 * joined to one end of a socketpair; libssh2 gets the other end as its
 * socket.  Its standard error is ours, so its complaints reach the user.
 * It runs in a process group of its own, so a terminal's ^C reaches us
 * first and we stop it in order.
 *
 * Tokens, as in ssh_config(5): %h the host, %p the port, %r the remote
 * user, %n the peer's id, %% a percent sign.  Each value is substituted
 * shell-quoted, so a host or user name can never add words to the command.
 * Any other %-sequence is an error. */
#ifndef CC_PROXYCMD_H
#define CC_PROXYCMD_H

#include <sys/types.h>

#include "config.h"

/* Check a template's tokens: NULL when fine, else a malloc'd message. */
char *proxycmd_check(const char *tmpl);
/* The command for peer p (user: the remote user name to use for %r).
 * NULL with *err on a bad template. */
char *proxycmd_expand(const char *tmpl, const struct peer *p,
    const char *user, char **err);
/* Start cmd; returns our end of the socketpair (close-on-exec) and sets
 * *pid, or -1 with *err. */
int proxycmd_start(const char *cmd, pid_t *pid, char **err);
/* If the command has ended, how ("exited with status 3", "killed by
 * signal 9"), reaping it and setting *pid to -1; else NULL. */
char *proxycmd_ended(pid_t *pid);
/* Stop it (SIGTERM to its group, SIGKILL after grace_ms) and reap it.
 * Call after closing our end.  *pid becomes -1; -1 is ignored. */
void proxycmd_stop(pid_t *pid, int grace_ms);

#endif
