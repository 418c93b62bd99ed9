/* projectdir.h — the directory a /start command works in, resolved the way
 * upstream does from its argument and created on the peer:
 *
 *   /abs/path, ~, ~/x     as is (~ is the peer's $HOME)
 *   a git URL             cloned once into PROJECT_PATH/REPO
 *   anything else         PROJECT_PATH/ARG
 *
 * PROJECT_PATH is the peer's project_path, "~/Projects" when unset.
 * Git URLs: http(s)://, ssh://, git://, file:// with a path, git@host:path,
 * and /local/or/~/path ending in .git (a local, typically bare, repository).
 * Errors are malloc'd one-line messages without program name or peer id. */
#ifndef CC_PROJECTDIR_H
#define CC_PROJECTDIR_H

#include "remote.h"

#define PROJECTDIR_DEFAULT_ROOT	"~/Projects"

struct projectdir {
	char *path;		/* the directory on the peer (may start with ~) */
	char *clone_url;	/* the git URL to clone into path, or NULL */
};

/* The repository name ("r" for https://h/o/r.git, git@h:o/r.git, /x/r.git,
 * trailing slashes ignored) when arg is a git URL; else NULL.  malloc'd. */
char *projectdir_git_repo(const char *arg);

/* Resolve arg under project_path (NULL or "" for the default).  0, or -1
 * with *errmsg when arg is empty.  Free with projectdir_free. */
int projectdir_resolve(const char *project_path, const char *arg,
    struct projectdir *pd, char **errmsg);
void projectdir_free(struct projectdir *pd);

/* The /bin/sh script that creates pd->path (cloning when there is a URL and
 * the directory does not exist yet; git's output goes to stderr) and prints
 * the path with ~ expanded, one line.  Everything in it is quoted. */
char *projectdir_script(const struct projectdir *pd);

/* Run that script on the peer; *path is the resolved absolute path
 * (malloc'd).  0, or -1 with *errmsg ("clone: ..." / "mkdir: ..."). */
int projectdir_create(struct remote *r, const struct projectdir *pd,
    char **path, char **errmsg);

#endif
