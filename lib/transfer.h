/* transfer.h — files between this machine and a peer (upstream's file pool
 * and file forwarding):
 *
 *   push: LOCAL -> file_pool.remote_dir/<id>_<name> on the peer, <id> eight
 *         random hex digits, <name> LOCAL's last component with line breaks
 *         made '_' (one path per output line), mode 0600, the pool made
 *         with umask 077;
 *   pull: REMOTE -> file_forward.download_dir/<name> here (dir 0700).
 *
 * Both stream through lib/remote.h and write a temporary name first, so a
 * failed transfer leaves nothing under the final name.  Errors are malloc'd
 * one-line messages without program name or peer id. */
#ifndef CC_TRANSFER_H
#define CC_TRANSFER_H

#include <stddef.h>

#include "config.h"
#include "remote.h"

#define TRANSFER_POOL_DEFAULT		"~/.codecast/files"
#define TRANSFER_DOWNLOAD_DEFAULT	"~/.codecast/downloads"

/* 0 when every files[i] is a regular file, else -1 with *errmsg
 * ("FILE: CAUSE"). */
int transfer_check_files(char *const *files, size_t n, char **errmsg);

/* The pool on the peer (~ resolved there), created when missing; *dir is
 * malloc'd.  0, or -1 with *errmsg. */
int transfer_pool_dir(const struct config *cfg, struct remote *r, char **dir,
    char **errmsg);

/* dir/<id hex>_<name> for local_path (see above).  malloc'd. */
char *transfer_pool_name(const char *dir, const char *local_path,
    const unsigned char id[4]);

/* Upload local_path into the pool dir under a fresh name; *remote_path
 * (malloc'd) is where it went.  progress (may be NULL) sees the bytes. */
int transfer_push(struct remote *r, const char *dir, const char *local_path,
    remote_progress_fn progress, void *arg, char **remote_path,
    char **errmsg);

/* The local file name for remote_path (its last component), NULL when that
 * is no file name ("", ".", "..", "/").  malloc'd. */
char *transfer_pull_name(const char *remote_path);

/* download_dir/name, creating download_dir (0700) when missing.  *local is
 * malloc'd.  0, or -1 with *errmsg ("DIR: CAUSE"). */
int transfer_download_path(const struct config *cfg, const char *name,
    char **local, char **errmsg);

/* Download remote_path (~ resolved on the peer) to local; refuses files
 * larger than max_size when max_size > 0.  0, or -1 with *errmsg. */
int transfer_pull(struct remote *r, const char *remote_path,
    const char *local, unsigned long long max_size,
    remote_progress_fn progress, void *arg, char **errmsg);

#endif
