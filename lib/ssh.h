/* ssh.h — a libssh2 session to a peer: TCP connect with a timeout, the
 * handshake, the host-key check against ~/.ssh/known_hosts, authentication,
 * and jump chains of any length.
 *
 * A peer with proxy_jump is reached through its jump peer (which may itself
 * have a proxy_jump): each hop is a full SSH session with its own user, key,
 * password and host_key_check, and the next hop's session runs over a
 * direct-tcpip channel of the previous one.  libssh2 wants a socket for a
 * session, so each later hop gets one end of a socketpair; the other end is
 * pumped to the previous hop's channel by a thread that owns that previous
 * hop's session exclusively (after its channel is opened), so no libssh2
 * session is ever touched by two threads.  The final session belongs to the
 * caller alone.
 *
 * Host keys (host_key_check): accept-new records an unknown host in
 * ~/.ssh/known_hosts ("[host]:port" when the port is not 22), strict refuses
 * it, off skips the check; a changed key is always refused (unless off) with
 * a message naming the file and line.  Plain and hashed (|1|) entries match.
 *
 * Authentication, in order, each when the server offers it: the peer's
 * ssh_key (else ~/.ssh/id_ed25519, id_ecdsa, id_rsa that exist), ssh-agent
 * ($SSH_AUTH_SOCK), password (literal or file:PATH), keyboard-interactive
 * answered with the password.  A failure lists the methods tried.
 *
 * Errors are malloc'd one-line messages without the program name, naming the
 * hop when it is not the target: "via jump-1 (127.0.0.1:2201): connect:
 * Connection refused". */
#ifndef CC_SSH_H
#define CC_SSH_H

#include <stdbool.h>

#include <libssh2.h>

#include "config.h"

/* Why a connect failed (for exit codes). */
enum ssh_fail {
	SSH_FAIL_NONE = 0,
	SSH_FAIL_RESOLVE,	/* name resolution */
	SSH_FAIL_CONNECT,	/* refused, unreachable, timeout */
	SSH_FAIL_HOSTKEY,	/* unknown (strict) or changed host key */
	SSH_FAIL_AUTH,		/* no method worked */
	SSH_FAIL_PROTO,		/* handshake, channel or config trouble */
};

struct ssh_conn;

/* Connect to p (through its jump chain).  timeout_ms bounds each TCP
 * connect, handshake and auth step.  The returned session is in blocking
 * mode with that timeout; the caller may switch it to non-blocking. */
struct ssh_conn *ssh_connect(const struct config *cfg, const struct peer *p,
    int timeout_ms, enum ssh_fail *why, char **errmsg);
LIBSSH2_SESSION *ssh_session(const struct ssh_conn *c);
int ssh_socket(const struct ssh_conn *c);	/* the final session's socket */
/* errno of the last failed send on the final session's socket (the kernel
 * reports a connection's error once: this keeps it), 0 when none. */
int ssh_socket_error(const struct ssh_conn *c);
/* Number of hops (1 without jumps). */
int ssh_hops(const struct ssh_conn *c);
/* False once a jump hop's pump has stopped (its connection died). */
bool ssh_jumps_alive(const struct ssh_conn *c);
/* Disconnect every hop, last first, and free everything.  NULL is fine. */
void ssh_disconnect(struct ssh_conn *c);

/* One-time libssh2 initialisation (thread-safe to call repeatedly from one
 * thread before others start). */
void ssh_global_init(void);

/* Run cmd on the session (blocking mode) and collect stdout (at most max
 * bytes) and the exit status.  Returns 0, or -1 with *errmsg. */
int ssh_run_capture(LIBSSH2_SESSION *s, int sock, const char *cmd, size_t max,
    char **out, int *status, char **errmsg);

/* The known_hosts host name for host:port ("host" or "[host]:port"). */
char *ssh_known_host_name(const char *host, int port);

#endif
