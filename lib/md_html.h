/* md_html.h — HTML for a browser: escaping, and the engine's Markdown
 * rendered as an HTML fragment (cc-web's chat).
 *
 * Safe by construction: every text, code and attribute value is escaped
 * (& < > " ' — so the result may go into an element or a quoted
 * attribute); raw HTML in the Markdown is text (mdwalk.h); links keep
 * their href only for http:, https: and mailto: (anything else, javascript:
 * included, shows its text without a link) and get rel="noopener
 * noreferrer nofollow" target="_blank"; images are never loaded, they
 * become links to their source with the alt text.  Invalid UTF-8 and NUL
 * bytes become U+FFFD, so the output is always valid UTF-8. */
#ifndef CC_MD_HTML_H
#define CC_MD_HTML_H

#include <stddef.h>

#include "util.h"

/* Append s[0..n) escaped. */
void html_escape(struct buf *out, const char *s, size_t n);
/* The same for a NUL-terminated string (NULL appends nothing). */
void html_escape_str(struct buf *out, const char *s);

/* Append md[0..len) rendered: p, h1-h6 (as h3-h6: a chat message has no
 * page title), strong, em, del, code, pre>code (class "language-X" when
 * the fence names one), blockquote, ul/ol/li (task items with a disabled
 * checkbox), hr, table, a, br (a single newline too: in a chat it
 * breaks the line). */
void md_html(const char *md, size_t len, struct buf *out);

#endif
