/* mdwalk.h — Markdown parsed (md4c, CommonMark + GitHub tables, strike-
 * through and task lists) into a small tree any renderer can walk: the
 * Telegram HTML renderer (md_telegram.h) today, Lark's cards and others
 * later.  The platform-neutral part of rendering lives here:
 *
 * - raw HTML is never interpreted: `<script>` is text like any other;
 * - entities (&amp; &#123; &#x1F600; and the common named ones) are decoded,
 *   a NUL becomes U+FFFD, so text nodes hold plain UTF-8 a renderer only
 *   has to escape for its own format; an unknown named entity stays as
 *   written;
 * - adjacent text is merged into one node;
 * - nesting deeper than MDW_MAX_DEPTH is flattened (the deeper containers
 *   vanish, their text stays), so a renderer may recurse without a stack
 *   limit of its own.
 *
 * Owns: the parse, the tree, mdw_plain (a subtree as plain text) and
 * mdw_utf16_len (Telegram-style length counting). */
#ifndef CC_MDWALK_H
#define CC_MDWALK_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

#define MDW_MAX_DEPTH 32

enum mdw_kind {
	/* blocks */
	MDW_DOC, MDW_PARA, MDW_HEADING, MDW_QUOTE, MDW_UL, MDW_OL, MDW_LI,
	MDW_CODEBLOCK, MDW_HR, MDW_TABLE, MDW_TR, MDW_TH, MDW_TD,
	/* spans */
	MDW_EM, MDW_STRONG, MDW_DEL, MDW_U, MDW_CODE, MDW_LINK, MDW_IMG,
	/* leaves */
	MDW_TEXT, MDW_BR, MDW_SOFTBR
};

struct mdw_node {
	enum mdw_kind kind;
	struct mdw_node *parent, *first, *last, *next;
	/* MDW_TEXT: the text; MDW_CODE and MDW_CODEBLOCK: their text (the
	 * code block's without its final newline), with no children.  */
	char *text;
	size_t len;
	/* MDW_CODEBLOCK: the info string's first word (may be NULL);
	 * MDW_LINK, MDW_IMG: the destination (decoded). */
	char *attr;
	int level;	/* MDW_HEADING: 1..6; MDW_OL: start number */
	bool tight;	/* MDW_UL, MDW_OL: a tight list */
	int task;	/* MDW_LI: 0 no task, 1 open [ ], 2 done [x] */
	char align;	/* MDW_TH, MDW_TD: 'l', 'c', 'r' or 0 */
	size_t cap_;	/* private: text's allocation */
};

/* Parse md[0..len).  Never NULL (an empty MDW_DOC at worst; md4c only
 * fails on memory exhaustion, which is fatal here as everywhere). */
struct mdw_node *mdw_parse(const char *md, size_t len);
void mdw_free(struct mdw_node *n);

/* Append n's text to out with no markup: spans keep their text, a soft
 * break becomes a space, a hard break "\n", images their alt text. */
void mdw_plain(const struct mdw_node *n, struct buf *out);

/* UTF-16 code units of s[0..n) (non-BMP characters count 2); invalid
 * bytes count 1 each. */
size_t mdw_utf16_len(const char *s, size_t n);
/* Code points in s[0..n) (invalid bytes count 1 each). */
size_t mdw_cp_len(const char *s, size_t n);

#endif
