/* skills.h — copy the shared Claude skills into a project on a peer
 * (upstream's skills sync):
 *
 *   skills.shared_dir/CLAUDE.md        -> PROJECT/CLAUDE.md, only when the
 *                                         project has none
 *   skills.shared_dir/.claude/skills/  -> merged into PROJECT/.claude/skills/
 *                                         (never PROJECT/.claude/skills/skills)
 *
 * Files keep their executable bit (0755, else 0644); every transfer goes to
 * a temporary name first (lib/remote.h).  Errors are malloc'd one-line
 * messages without program name or peer id. */
#ifndef CC_SKILLS_H
#define CC_SKILLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "remote.h"

struct skills_file {
	char *rel;		/* relative to skills_dir */
	mode_t mode;		/* 0755 or 0644 */
};

/* What there is to copy, read from this machine. */
struct skills_source {
	char *dir;		/* skills.shared_dir ("./skills"), ~ expanded */
	char *claude_md;	/* dir/CLAUDE.md if a regular file, else NULL */
	char *skills_dir;	/* dir/.claude/skills if a directory, else NULL */
	char **dirs;		/* directories below skills_dir, relative, */
	size_t ndirs;		/*   parents before children */
	struct skills_file *files;	/* regular files below skills_dir */
	size_t nfiles;
};

/* Read skills.shared_dir: symbolic links are followed, each directory is
 * visited once, unreadable directories and other file types are skipped.
 * Returns 0; 1 when shared_dir is not a directory (nothing to copy,
 * *errmsg says why: "skills.shared_dir DIR: CAUSE"); -1 with *errmsg when
 * the skills directory cannot be read.  After 0, free src with
 * skills_source_free; otherwise there is nothing to free. */
int skills_source_load(const struct config *cfg, struct skills_source *src,
    char **errmsg);
void skills_source_free(struct skills_source *src);

/* Called for every file handled on the peer: copied, or (CLAUDE.md only)
 * kept because the project had one. */
typedef void (*skills_note_fn)(void *arg, const char *remote_path,
    bool copied);

/* Copy src into project (a peer path; a leading ~ is the peer's $HOME),
 * creating the directories, calling note (may be NULL) for each file.
 * 0, or -1 with *errmsg; files copied before an error stay. */
int skills_sync(const struct skills_source *src, struct remote *r,
    const char *project, skills_note_fn note, void *arg, char **errmsg);

#endif
