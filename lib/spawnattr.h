/* spawnattr.h — the attributes every child we start gets.
 *
 * A child leads a process group of its own (so it and whatever it starts
 * can be stopped together with kill(-pid)), starts with an empty signal
 * mask, and finds the signals our commands catch or ignore (SIGPIPE,
 * SIGINT, SIGTERM, SIGHUP, SIGCHLD) back at their defaults. */
#ifndef CC_SPAWNATTR_H
#define CC_SPAWNATTR_H

#include <spawn.h>

/* posix_spawnattr_init and the settings above; the caller destroys it. */
void spawn_attr_init(posix_spawnattr_t *at);

#endif
