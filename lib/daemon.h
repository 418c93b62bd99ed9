/* daemon.h — a peer's codecast daemon: find it, deploy it, start, stop and
 * health-check it.  Shared by cc-tunnel (daemon_ensure before forwarding)
 * and cc-deploy.  Works on any struct remote (transport local or ssh); every
 * path sent to the peer's shell is quoted (lib/shquote.h).
 *
 * Finding: the port in ~/.codecast/daemon.port on the peer, then a
 * health.check on that port from the peer side; the result is read from the
 * JSON-RPC "result" wrapper (a bare object is accepted too).  The listener
 * must belong to the peer's user (the uid column of /proc/net/tcp{,6} for
 * LISTEN sockets, else `ss -ltne`; with neither, health.check decides).
 * Without a port file (a daemon that writes none), the configured
 * daemon_port is tried; ports are not scanned, since other daemons of the
 * same uid (other HOMEs) may listen nearby.
 *
 * The deployed binary is <daemon.install_dir>/cc-daemon (whatever the local
 * file is called).  The local binary is daemon.binary from the config, else
 * cc-daemon-static, else cc-daemon, next to the running program.
 *
 * All functions return 0 on success, -1 with *err set to a malloc'd one-line
 * message (no program name, no newline). */
#ifndef CC_DAEMON_H
#define CC_DAEMON_H

#include <stdbool.h>

#include "config.h"
#include "remote.h"

/* The file name the daemon gets on the peer, in daemon.install_dir. */
#define DAEMON_REMOTE_NAME "cc-daemon"

struct daemon_info {
	bool running;		/* a healthy daemon of the peer's user */
	int port;		/* its port on the peer; 0 when not running */
	long pid;		/* from health.check; 0 when unknown */
	char *version;		/* from health.check; NULL when unknown */
};
void daemon_info_free(struct daemon_info *d);

/* What daemon_ensure_ex / daemon_deploy did. */
struct daemon_actions {
	bool uploaded;		/* the binary was copied to the peer */
	bool started;		/* a daemon was started */
	bool stopped;		/* a running daemon was stopped (restart) */
	unsigned long long bytes;	/* bytes uploaded */
};

/* Make sure the peer's daemon runs and print nothing: *port is its port on
 * the peer.  Deploys first when the binary is missing or its version differs
 * from the local one (only with daemon.auto_deploy), restarts a running
 * daemon of another version, starts a stopped one and polls health.check
 * (up to 30 s). */
int daemon_ensure(const struct config *cfg, const struct peer *p,
    struct remote *r, int *port, char **err);
/* The same, reporting what was done; progress (may be NULL) sees uploads. */
int daemon_ensure_ex(const struct config *cfg, const struct peer *p,
    struct remote *r, remote_progress_fn progress, void *arg,
    struct daemon_actions *did, int *port, char **err);

/* Look for the running daemon.  Returns 0 with d->running false when none
 * is running; -1 only when the peer could not be asked. */
int daemon_find(const struct config *cfg, const struct peer *p,
    struct remote *r, struct daemon_info *d, char **err);

/* Upload the local binary to <install_dir>/cc-daemon unless the peer's copy
 * has the same sha256 (temporary name, then rename); when a running daemon
 * reports another version than the new binary, restart it. */
int daemon_deploy(const struct config *cfg, const struct peer *p,
    struct remote *r, remote_progress_fn progress, void *arg,
    struct daemon_actions *did, char **err);

/* Start the daemon when none runs (no deploy) and wait until healthy; *port
 * (may be NULL) is its port.  Fails when the binary is not on the peer. */
int daemon_start(const struct config *cfg, const struct peer *p,
    struct remote *r, int *port, char **err);

/* Stop the user's running daemon: SIGTERM, SIGKILL after 5 s.
 * *was_running (may be NULL) tells whether there was one. */
int daemon_stop(const struct config *cfg, const struct peer *p,
    struct remote *r, bool *was_running, char **err);

/* The local binary to deploy (malloc'd path), see above. */
char *daemon_local_binary(const struct config *cfg, char **err);

/* "cc-daemon 0.1.0" / "codecast-daemon 0.3.2" -> "0.1.0": the last token
 * that starts with a digit and contains a dot; NULL when none. */
char *daemon_parse_version(const char *text);

/* Parse a health.check reply body: 1 healthy, 0 not; version and pid filled
 * when present (version malloc'd, may be NULL). */
int daemon_parse_health(const char *body, char **version, long *pid);

#endif
