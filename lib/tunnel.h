/* tunnel.h — the tunnel holder: one detached process per peer that owns the
 * SSH connection (lib/ssh.h), listens on 127.0.0.1:<port> (19100..19299,
 * the first free one, kept for the holder's life) and forwards every
 * accepted connection over its own direct-tcpip channel to 127.0.0.1:<the
 * daemon's port> on the peer.  One thread, one poll loop, non-blocking I/O,
 * bounded buffers both ways (a full buffer stops reading its source, so a
 * slow reader slows the writer down instead of growing memory).  SSH
 * keepalive every 30 s; when the connection dies the holder reconnects with
 * backoff (1 s doubling to 30 s) and keeps its port — connections that arrive
 * meanwhile wait in the listen backlog.
 *
 * State in ~/.codecast/tunnels/ (0700): PEER.pid, PEER.port, PEER.started,
 * PEER.token, PEER.ensured (0600 files), PEER.sock (the control socket, 0600), PEER.log
 * (the detached holder's log), PEER.lock (serialises starting).  The
 * directory must be the user's with no access for others, and
 * ~/.codecast the user's and writable by nobody else; a control socket
 * must be the user's and so must the process behind it (SO_PEERCRED);
 * otherwise they are refused with a line on stderr saying how to fix it.
 *
 * Control protocol on PEER.sock, frames of 1 type byte + 4-byte big-endian
 * length + payload:
 *   client: 'P' ping            holder: 'p' "PORT STATE" (up|reconnecting)
 *   client: 'X' command         then 'I' stdin bytes ..., 'E' stdin end
 *                               holder: 'O' stdout, 'R' stderr bytes ...,
 *                               'S' exit status (decimal; 128+N on signal N)
 *                               or 'F' one-line failure
 *   client: 'D' "PORT"          holder: 'p' — forward to that remote port now
 *   client: 'Q'                 holder: 'p', then it exits and cleans up */
#ifndef CC_TUNNEL_H
#define CC_TUNNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "ssh.h"

#define TUNNEL_PORT_MIN	19100
#define TUNNEL_PORT_MAX	19299

struct tunnel_state {
	char *peer;
	int port;		/* 0 when unknown */
	long pid;		/* 0 when unknown */
	char *started;		/* ISO-8601, or NULL */
	bool alive;		/* the holder answered a ping */
};
void tunnel_state_free(struct tunnel_state *st);

/* A peer id usable as a file name (no '/', not starting with '.'). */
bool tunnel_peer_name_ok(const char *peer);

/* Ask PEER's holder for its port.  Returns 0 with *port (and *up: true when
 * connected, false while reconnecting; up may be NULL), -1 when no holder
 * answers within timeout_ms. */
int tunnel_ping(const char *peer, int timeout_ms, int *port, bool *up);

/* Make sure a holder for p runs; *port is its local port and *started tells
 * whether this call started it.  On failure -1, *why and *errmsg (one line,
 * no program name). */
int tunnel_ensure(const struct config *cfg, const struct peer *p,
    int timeout_ms, int *port, bool *started, enum ssh_fail *why,
    char **errmsg);

/* Run a holder in this process until told to quit (or SIGTERM/SIGINT).
 * ready_fd >= 0 gets "OK PORT\n" or "ERR WHY MESSAGE\n" once the first
 * connection is up or has failed, then is closed.  Returns an exit status:
 * 0, or the tunnel exit code for the failure (see cc-tunnel(1)). */
int tunnel_hold(const struct config *cfg, const struct peer *p, int timeout_ms,
    int ready_fd);

/* Tell PEER's holder to quit and remove its state.  0 when it is gone (or
 * was not there: *was_running false), -1 with *errmsg. */
int tunnel_close(const char *peer, bool *was_running, char **errmsg);

/* Every tunnel with state files, pinged.  *v is malloc'd. */
int tunnel_list(struct tunnel_state **v, size_t *n);

/* Tell the holder to forward to remote port `remote_port` from now on. */
int tunnel_set_remote_port(const char *peer, int remote_port, char **errmsg);

/* Exec over the holder's connection.  stdin comes from in_fd when >= 0,
 * else from in[0..inlen) (in may be NULL); on_out gets stdout (stream 1) and
 * stderr (stream 2) bytes as they come; returning -1 from it aborts.
 * Returns 0 with *status when the command ran, -1 with *errmsg otherwise. */
struct tunnel_exec_io {
	int in_fd;
	const void *in;
	size_t inlen;
	int (*on_out)(void *arg, int stream, const char *p, size_t n);
	/* called with the stdin bytes sent so far (may be NULL) */
	void (*on_in)(void *arg, unsigned long long sent);
	void *arg;
};
int tunnel_exec(const char *peer, const char *cmd, const struct tunnel_exec_io *io,
    int *status, char **errmsg);

/* The daemon's owner token (daemon_token.h), fetched over the holder's
 * connection from the peer's ~/.codecast/daemon.token and cached in
 * ~/.codecast/tunnels/PEER.token (0600), where cc-rpc finds it by the
 * tunnel's port.  A peer without one (an upstream daemon) leaves no cache.
 * 0, or -1 with *errmsg. */
int tunnel_fetch_token(const char *peer, char **errmsg);
/* ~/.codecast/tunnels/PEER.token (malloc'd), NULL when the directory is
 * not usable (see cc-tunnel(1), FILES). */
char *tunnel_token_path(const char *peer);

/* PEER.ensured: the holder whose pid it names has seen its daemon answer
 * (after starting it when needed).  A holder started by another command
 * (cc-deploy) is not, so the next cc-tunnel makes sure of the daemon. */
int tunnel_mark_ensured(const char *peer);
bool tunnel_is_ensured(const char *peer);

/* The exit code cc-tunnel uses for a failure class. */
int tunnel_exit_code(enum ssh_fail why);

#endif
