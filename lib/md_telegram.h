/* md_telegram.h — the engine's Markdown rendered as Telegram HTML
 * (parse_mode=HTML), on top of mdwalk.h's tree.
 *
 *   **b** __b__        <b>…</b>         # Heading         <b>Heading</b>
 *   *i* _i_            <i>…</i>         > quote           <blockquote>…</blockquote>
 *   ~~s~~              <s>…</s>         - item / 1. item  • item / 1. item (2 spaces per level)
 *   `code`             <code>…</code>   - [ ] / - [x]     ☐ / ☑
 *   ```lang            <pre><code class="language-lang">…</code></pre>
 *   [t](http://u)      <a href="http://u">t</a>   (http, https, tg, mailto only)
 *   tables             <pre> with padded columns, a rule under the header
 *   ---                a line of ─
 *
 * Everything else is text, escaped (&amp; &lt; &gt; &quot;): raw HTML never
 * reaches Telegram as markup.  The output obeys Telegram's nesting rules:
 * nothing inside code or pre, no link inside a link, no blockquote inside a
 * blockquote (an inner quote, code block or table in a quote is plain
 * text there).
 *
 * Owns: the rendering and the plain-text fallback of rendered HTML.
 * Splitting the result into messages is tgsplit.h's. */
#ifndef CC_MD_TELEGRAM_H
#define CC_MD_TELEGRAM_H

#include <stddef.h>

/* Render md[0..len) as one Telegram HTML string of any length; malloc'd. */
char *md_telegram(const char *md, size_t len);

/* Render, then split (tgsplit.h) into messages of at most max UTF-16 units
 * of visible text each.  Returns the number of chunks (0 when nothing
 * visible is left, e.g. an empty text); *chunks is a malloc'd array of
 * malloc'd strings (free with tg_chunks_free). */
size_t md_telegram_chunks(const char *md, size_t len, size_t max, char ***chunks);

/* Telegram HTML as the text Telegram would show: tags dropped, the four
 * entities and numeric ones decoded.  The fallback when Telegram refuses to
 * parse a message.  malloc'd. */
char *tg_html_plain(const char *html);

#endif
