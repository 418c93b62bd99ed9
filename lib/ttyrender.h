/* ttyrender.h — the engine's Markdown (lib/mdwalk.h) as terminal text, for
 * cc-tty: paragraphs and single line breaks as written, **bold**, *italic*,
 * `code` and ~~strike~~ with SGR attributes, headings bold, lists with
 * bullets or numbers, block quotes and fenced code blocks set off by a bar
 * and indented, tables as rows of cells, links as "text <url>".
 *
 * Without TTYR_COLOR no escape sequence is written: code blocks are
 * indented four spaces, inline code keeps its backquotes, and the text is
 * what a pipe or a log should get.  With it, every line starts with no
 * attribute set and ends with them all reset, so any line can be redrawn
 * on its own.
 *
 * Owns also the measure of text on a screen: tty_rows counts the rows a
 * text takes on a terminal of a given width (escape sequences take no
 * room; characters as wide as wcwidth(3) says in the current locale). */
#ifndef CC_TTYRENDER_H
#define CC_TTYRENDER_H

#include <stddef.h>

#define TTYR_COLOR	0x1	/* SGR attributes and colours */

/* md[0..len) rendered; malloc'd, NUL-terminated, every line (the last
 * included) ended by "\n"; "" when there is nothing to show. */
char *tty_render(const char *md, size_t len, int flags);

/* Columns s[0..n) takes on one line (no newline in it). */
size_t tty_width(const char *s, size_t n);
/* Rows s[0..n) takes on a screen cols wide, each line (ended by "\n" or
 * the end) at least one row. */
size_t tty_rows(const char *s, size_t n, size_t cols);

#endif
