/* machinecmd.h — the chat commands that change which peers exist:
 * /add-machine (with host and user, from ~/.ssh/config by name, or
 * --from-ssh with a numbered selection) and /remove-machine (with its yes/no
 * confirmation), reference upstream-engine.md §3.17–§3.19.  The config file
 * is edited in place (lib/cfgedit: comments, key order, ${VAR} references
 * and other sections kept byte for byte) and *cfg is reloaded from it.
 *
 * Replies are appended to out, one string per chat message, in order.  The
 * engine owns the session DB and the tunnels: it passes the peer's sessions
 * in and closes the tunnel when a peer is removed. */
#ifndef CC_MACHINECMD_H
#define CC_MACHINECMD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* /add-machine ARGS (the tokens after the command).  ssh_config: the file
 * to read (~/.ssh/config; Include followed).  Returns true when a peer was
 * added (the file written and *cfg reloaded from it).  `--from-ssh` as the
 * first argument is the caller's to route to machine_import_list. */
bool machine_add(struct config **cfg, char *const *args, size_t nargs,
    const char *ssh_config, struct strlist *out);

/* /add-machine --from-ssh: lists the hosts not yet configured and sets
 * *state (free with machine_import_free) when there are any. */
struct machine_import;
void machine_import_list(const struct config *cfg, const char *ssh_config,
    struct machine_import **state, struct strlist *out);
/* The next plain text of that channel.  false: not a selection (no number in
 * it); the state is to be dropped and the text handled as usual.  true: it
 * was consumed (replies in out); the state is to be dropped. */
bool machine_import_select(struct config **cfg, struct machine_import *state,
    const char *text, struct strlist *out);
void machine_import_free(struct machine_import *state);

enum machine_remove_result {
	MACHINE_REMOVED,	/* done: the engine closes the peer's tunnel */
	MACHINE_CONFIRM,	/* *state set: the next plain text answers */
	MACHINE_NOT_REMOVED	/* usage, unknown, or a jump host in use */
};
/* /remove-machine ID.  sessions: a JSON array of the peer's sessions rows
 * (sessdb; only those whose status is active or detached count).  With
 * none, the peer is removed at once (MACHINE_REMOVED). */
struct machine_remove;
enum machine_remove_result machine_remove(struct config **cfg, const char *id,
    const json_t *sessions, struct machine_remove **state, struct strlist *out);
/* The confirmation reply.  Returns true for yes: the engine detaches the
 * active sessions listed by machine_remove_sessions, then calls
 * machine_remove_commit.  false: cancelled (reply in out). */
bool machine_remove_answer(const struct machine_remove *state, const char *text,
    struct strlist *out);
const json_t *machine_remove_sessions(const struct machine_remove *state);
const char *machine_remove_id(const struct machine_remove *state);
/* Remove the peer from the config (the file and *cfg).  When the file
 * cannot be updated the reply is upstream's warning with the error and
 * *cfg still has the peer (config_peer tells the caller). */
void machine_remove_commit(struct config **cfg, const char *id,
    struct strlist *out);
void machine_remove_free(struct machine_remove *state);

/* Whether host names this machine: localhost, 127.0.0.1, ::1, the host
 * name or FQDN, or an address of a local interface. */
bool host_is_local(const char *host);

#endif
