/* attach.h — chat attachments on their way to the AI (reference
 * upstream-engine.md §10): which types are allowed, the name a file gets in
 * the peer's file pool, text files inlined, and the message rewritten with
 * the paths the files got on the peer. */
#ifndef CC_ATTACH_H
#define CC_ATTACH_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* The MIME type for a file name by its extension (§10 table), else
 * application/octet-stream. */
const char *attach_guess_mime(const char *name);

/* Whether mime (parameters such as "; charset=utf-8" ignored — upstream
 * refused those; case-insensitive) matches one of the glob patterns. */
bool attach_type_allowed(const char *mime, char *const *patterns, size_t n);

/* §10 sanitising: no / \ NUL, no leading dots, none of ;&|$`(){}[]!#~,
 * spaces to '-', runs of '-' collapsed and trimmed, "unnamed" when empty,
 * at most 200 bytes keeping the extension (never cutting UTF-8).  Also no
 * control characters, and no leading dot or dash even when one is left
 * after the removals (upstream could leave one: "#.bashrc"). */
char *attach_safe_name(const char *name);

/* "{first 8 of sid, or nosess}_{8 random hex}"; a character of sid other
 * than [A-Za-z0-9-] becomes '_' (the id names a file in the pool). */
char *attach_file_id(const char *daemon_sid);

/* Whether a file is inlined into the message instead of uploaded: its name
 * ends in .txt, .md or .markdown (any case). */
bool attach_inline(const char *name);

/* Append "\n\n--- NAME ---\n" and the file's content (invalid UTF-8 and NUL
 * bytes replaced by U+FFFD, at most max bytes (0: no limit), cut on a
 * character boundary, a cut noted by a last line "[truncated: ...]") to b.
 * 0, or -1 with errno (b unchanged). */
int attach_inline_append(struct buf *b, const char *name, const char *path,
    size_t max);

/* The file ids named by the markers of text, <discord_file>ID</discord_file>
 * and <file_ref>ID</file_ref> (ID: no '<', no newline), in order, each once.
 * Returns their number; *ids is malloc'd (NULL when none), free with
 * attach_ids_free. */
size_t attach_marker_ids(const char *text, char ***ids);
void attach_ids_free(char **ids, size_t n);

/* text with every marker (of either kind) of id replaced by with: the remote
 * path a file got, or "" to drop the marker of an inlined file.  malloc'd. */
char *attach_replace_marker(const char *text, const char *id, const char *with);

#endif
