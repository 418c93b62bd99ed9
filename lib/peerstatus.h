/* peerstatus.h — is each peer reachable, and does its daemon run?  One JSON
 * object per peer:
 *
 *   {"peer":"gpu-1","host":"10.0.0.5","user":"me","transport":"ssh",
 *    "status":"online"|"offline","daemon":"running"|"stopped"|"unknown",
 *    "port":38211|null,"version":"0.1.0"|null,"default_paths":[...]}
 *
 * ssh and local peers are asked through lib/remote.h and lib/daemon.h
 * (daemon_find); http peers get a health.check at their address.  A peer
 * that cannot be asked is offline with daemon unknown. */
#ifndef CC_PEERSTATUS_H
#define CC_PEERSTATUS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* Each peer's bound, upstream's. */
#define PEERSTATUS_TIMEOUT_MS	5000

/* A row built from its parts (version may be NULL, port 0 = null). */
json_t *peerstatus_row(const struct peer *p, const char *status,
    const char *daemon, int port, const char *version);

/* Check one peer in this process and return its row (never NULL).  Bounded
 * by timeout_ms for http peers only; for the others use
 * peerstatus_check_all, which bounds every peer. */
json_t *peerstatus_check(const struct config *cfg, const struct peer *p,
    int timeout_ms);

/* The peers checked when none are named: all but jump-only ones (upstream's
 * rule).  out must have room for cfg->npeers; returns how many. */
size_t peerstatus_default_peers(const struct config *cfg,
    const struct peer **out);

/* Check peers[0..n) in parallel, one child process each, and put the rows
 * in rows[0..n) in the same order (new references).  A peer that has not
 * answered within timeout_ms is killed and reported offline.  quiet sends
 * the children's stderr to /dev/null.  The calling process must not mind a
 * fork (stdio is flushed first; children use only their own connections
 * and _exit; they are reaped by pid, never waited for as a group).  0, or
 * -1 with *errmsg when a pipe or process cannot be made (no child is left
 * then). */
int peerstatus_check_all(const struct config *cfg,
    const struct peer *const *peers, size_t n, int timeout_ms, bool quiet,
    json_t **rows, char **errmsg);

/* true when the row says online with the daemon running. */
bool peerstatus_up(const json_t *row);

#endif
