/* paths.h — the user's home, `~` expansion, and codecast's private state
 * directory (~/.codecast, mode 0700). */
#ifndef CC_PATHS_H
#define CC_PATHS_H

#include <sys/types.h>

/* $HOME, else the passwd entry's directory.  Never NULL ("/" at worst). */
const char *path_home(void);
/* "~" and "~/x" become "$HOME" and "$HOME/x"; anything else is copied.
 * Returns a malloc'd string. */
char *path_expand_tilde(const char *p);
/* malloc'd "$HOME/.codecast[/name]" (name may be NULL). */
char *path_state(const char *name);
/* mkdir -p with the given mode for the directories it creates.  0 or -1. */
int mkdir_p(const char *path, mode_t mode);
/* Create (if needed) ~/.codecast[/sub] with mode 0700; returns the malloc'd
 * path, or NULL with errno set. */
char *state_dir(const char *sub);
/* Create the parent directories of path (mode 0700).  0 or -1. */
int mkdir_parent(const char *path, mode_t mode);

#endif
