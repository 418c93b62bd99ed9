/* tgsplit.h — Telegram HTML split into messages, and the check of one.
 *
 * Telegram counts a message's length after parsing the HTML, in UTF-16
 * code units (an emoji outside the BMP is 2, an entity such as &amp; is 1,
 * tags are 0).  tg_split cuts the text so each chunk holds at most max
 * units: at the last blank line, else the last newline (past 30 % of the
 * chunk), else the last space (past 50 %), else anywhere between two
 * characters — never inside a tag, an entity or a UTF-8 sequence.  Tags
 * open at a cut are closed at the end of the chunk and opened again, with
 * their attributes, at the start of the next, so every chunk parses on its
 * own: a code block cut in two is two code blocks of the same language.
 * Newlines right after a cut are dropped; a chunk with nothing but white
 * space is not kept.
 *
 * The input must be balanced HTML made of tags and text (what
 * md_telegram.h renders); tg_html_check says whether a string is one
 * Telegram would accept. */
#ifndef CC_TGSPLIT_H
#define CC_TGSPLIT_H

#include <stdbool.h>
#include <stddef.h>

/* Split html into chunks of at most max (>= 2) units.  Returns the count;
 * *chunks is a malloc'd array of malloc'd strings. */
size_t tg_split(const char *html, size_t max, char ***chunks);
void tg_chunks_free(char **chunks, size_t n);

/* Visible length of Telegram HTML in UTF-16 units. */
size_t tg_html_units(const char *html);

/* Would Telegram take html with parse_mode=HTML as a message of at most
 * max units?  Only its tags (b strong i em u ins s strike del a[href] code
 * pre code[class=language-x] blockquote span[class=tg-spoiler]
 * tg-spoiler), balanced and nested as it allows (nothing inside code or
 * pre but pre's one code, no a in a, no blockquote in blockquote); only
 * &lt; &gt; &amp; &quot; and numeric entities; no bare < > &; valid UTF-8;
 * some visible text that is not white space.  On false, *why (if not NULL)
 * says what is wrong (a static string). */
bool tg_html_check(const char *html, size_t max, const char **why);

#endif
