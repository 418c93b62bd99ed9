/* daemon_token.h — the daemon owner's token: a secret only the user who
 * runs cc-daemon (and that user's tools) can read, required from every
 * client, loopback included (see cc-daemon(1), AUTHENTICATION).
 *
 * On the peer it is ~/.codecast/daemon.token, 64 hex digits, created 0600
 * at the daemon's first start.  On the head, cc-tunnel fetches it over SSH
 * and caches it as ~/.codecast/tunnels/PEER.token (0600); cc-rpc finds it
 * from the port it is given: the local daemon's port file, else a tunnel
 * holder's PEER.port.  Every token file must belong to the user and be
 * unreadable by others, or it is not used. */
#ifndef CC_DAEMON_TOKEN_H
#define CC_DAEMON_TOKEN_H

#define DAEMON_TOKEN_HEX	64

/* Read the token at path: 0 with *tok malloc'd, 0 with *tok NULL when
 * there is no such file, -1 with *err ("PATH: cause", and how to fix it
 * when the owner or mode is wrong). */
int token_file_read(const char *path, char **tok, char **err);

/* Write tok to path, 0600, through a temporary name.  0 or -1 (*err). */
int token_file_write(const char *path, const char *tok, char **err);

/* The daemon's side: read path, creating it (64 random hex digits, 0600,
 * its directory 0700) when missing; processes starting at once agree on
 * one token.  0 with *tok malloc'd, or -1 with *err. */
int daemon_token_ensure(const char *path, char **tok, char **err);

/* The head's side: the cached token for a daemon reached at
 * 127.0.0.1:port — ~/.codecast/daemon.token when ~/.codecast/daemon.port
 * says port, else ~/.codecast/tunnels/PEER.token of the holder whose
 * PEER.port says port.  NULL when none (an upstream daemon has none); a
 * token file with a wrong owner or mode is skipped with a warning. */
char *daemon_token_for_port(int port);

#endif
