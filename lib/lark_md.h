/* lark_md.h — the engine's Markdown as Lark messages, on top of mdwalk.h:
 * an interactive card (the default: a "markdown" element per stretch of
 * text, an "hr" element for a rule, config.update_multi set so the card
 * can be updated with PATCH) or a post (rows of text/a/code_block/hr tags
 * with bold, italic, lineThrough and underline styles).  And the cards of
 * questions: buttons, and the card once answered.
 *
 * Card markdown is Lark's own dialect: headings become bold lines, lists
 * "- " / "N. ", quotes "> ", tables a code block; '<', '>' and '&' in text
 * are written as entities, so no text can become an <at> or another tag;
 * '*' and '~' in text as &#42; and &#126; so they stay characters.  Links
 * are kept for http, https and mailto only.
 *
 * Splitting is by the platform's limit, the serialized size of the content
 * (UTF-8 bytes; 30 KB for posts and cards): a text whose rendering is over
 * the limit is cut (msgsplit.h's cut points, fences closed and reopened)
 * and each piece rendered again, so every chunk is within the limit. */
#ifndef CC_LARK_MD_H
#define CC_LARK_MD_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define LARK_CONTENT_LIMIT	(28 * 1024)	/* bytes; Lark's is 30 KB */

/* One rendering of md (any size): the content JSON text of an interactive
 * card or of a post.  malloc'd. */
char *lark_md_card(const char *md);
char *lark_md_post(const char *md);

/* md rendered (card or post) and split so that every chunk's content is at
 * most limit bytes.  Returns the number of chunks (0 when md shows nothing)
 * and sets *chunks (malloc'd array of malloc'd content JSON texts). */
size_t lark_md_chunks(const char *md, bool card, size_t limit, char ***chunks);

/* The card of a question: md, then a button per option (value
 * lark_button_value(ref, option value)).  multi: each press toggles an
 * option (chosen: the values chosen so far, shown as "✓ label"), and a
 * "Done" button ends it.  answered (not NULL): no buttons, the question
 * and "✓ answered".  malloc'd content JSON text, NULL when options is not
 * a non-empty array of {label, value}. */
char *lark_ask_card(const char *md, json_t *options, bool multi, const char *ref,
    json_t *chosen, const char *answered);

/* The labels of the values (comma-separated list) among options, joined by
 * ", "; values with no option are shown as they are.  malloc'd. */
char *lark_ask_labels(json_t *options, const char *values);

#endif
