/* fwdpath.h — file forwarding from the peer to the chat (reference
 * upstream-engine.md §9): finding absolute paths in a reply, remembering
 * which ones a reply already named, and deciding per path what to do from
 * the file_forward rules of the config. */
#ifndef CC_FWDPATH_H
#define CC_FWDPATH_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

struct pathlist {
	char **v;	/* malloc'd */
	size_t n;
};
void pathlist_free(struct pathlist *l);

/* Every path in text, left to right, matching §9.1 exactly (Unicode \w:
 * letters and digits of any script and '_'; all the reference vectors).
 * \w is uc_is_word (utf8.h): exact for ASCII and Latin-1, a table of
 * punctuation and symbol blocks above; combining marks count as word
 * characters (Python's \w does not); invalid UTF-8 bytes do not. */
void fwd_find_paths(const char *text, struct pathlist *out);

/* The paths one reply has named (§9.2). */
struct fwd_seen;
struct fwd_seen *fwd_seen_new(void);
void fwd_seen_free(struct fwd_seen *s);
/* The paths of text not seen before (in order, duplicates collapsed); they
 * are remembered. */
void fwd_detect(struct fwd_seen *s, const char *text, struct pathlist *out);

enum fwd_action { FWD_NOTIFY, FWD_AUTO_SEND };
struct fwd_decision {
	enum fwd_action action;
	const struct forward_rule *rule;	/* NULL: the default rule */
	char *reason;	/* malloc'd: "Matched rule '*.png' (auto-send)." ... */
};
/* §9.3 should_forward: the first rule whose glob matches the file name;
 * size 0 skips the size check. */
void fwd_decide(const struct config *cfg, const char *path, long long size,
    struct fwd_decision *d);
void fwd_decision_free(struct fwd_decision *d);

#endif
