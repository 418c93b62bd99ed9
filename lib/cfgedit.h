/* cfgedit.h — editing config.yaml in place: a peer added to or removed from
 * `peers:` (or `machines:` in a v1 file) with every other byte of the file
 * kept — comments, key order, quoting, ${VAR} references, other sections.
 * The file is written to a temporary file in the same directory and renamed
 * over the original, its mode kept. */
#ifndef CC_CFGEDIT_H
#define CC_CFGEDIT_H

#include <stddef.h>

struct peer_spec {
	const char *id;
	const char *transport;	/* "ssh" or "local" */
	const char *host, *user;	/* NULL: not written */
	const char *ssh_key;	/* NULL: not written */
	int port;		/* 0 or 22: not written */
	int daemon_port;	/* 0 or 9100: not written */
	const char *proxy_jump, *node_path, *password;	/* NULL: not written */
	char *const *paths;	/* default_paths */
	size_t npaths;
};

/* 0, or -1 with *errmsg (malloc'd, one line). */
int cfgedit_add_peer(const char *path, const struct peer_spec *p, char **errmsg);
int cfgedit_remove_peer(const char *path, const char *id, char **errmsg);

#endif
