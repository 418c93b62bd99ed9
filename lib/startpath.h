/* startpath.h — what /start makes of its path argument (reference
 * upstream-engine.md §13): absolute and ~ paths as given, git URLs cloned
 * into the peer's project_path, anything else under project_path. */
#ifndef CC_STARTPATH_H
#define CC_STARTPATH_H

/* *path (malloc'd) is the path to use; *git_url (malloc'd) the URL to clone
 * or NULL. */
void startpath_resolve(const char *raw, const char *project_path, char **path,
    char **git_url);

#endif
