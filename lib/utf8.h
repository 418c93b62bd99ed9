/* utf8.h — UTF-8 decoded one code point at a time, and the two Unicode
 * character classes the chat text modules need: white space as Python's
 * str.isspace() and word characters as Python's \w.  No locale is involved:
 * the same bytes give the same answer in every process.
 *
 * Invalid input is never an error: a byte run that is not valid UTF-8
 * (overlong, surrogate, above U+10FFFF, truncated, stray continuation byte)
 * decodes as UTF8_BAD with the length of its "maximal subpart" (Unicode
 * §3.9, the W3C practice), so replacing each such run with U+FFFD gives the
 * text Python's errors="replace" gives. */
#ifndef CC_UTF8_H
#define CC_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define UTF8_BAD	0xFFFFFFFFu
#define UTF8_REPLACEMENT "\xEF\xBF\xBD"	/* U+FFFD */

/* Decode the character at s[0..n), n >= 1: returns its length in bytes (1
 * to 4) and sets *cp to the code point, or to UTF8_BAD for an invalid run. */
size_t utf8_decode(const char *s, size_t n, uint32_t *cp);

/* Append cp encoded in UTF-8 to b; NUL, a surrogate or a value past
 * U+10FFFF is appended as U+FFFD. */
void utf8_put(struct buf *b, uint32_t cp);

/* Number of code points of s[0..n) (an invalid run counts 1). */
size_t utf8_count(const char *s, size_t n);

/* Append s[0..n) to b with every invalid run (and every NUL byte, which
 * would end a C string) replaced by U+FFFD. */
void utf8_append_valid(struct buf *b, const char *s, size_t n);

/* Python's str.isspace(): ASCII \t \n \v \f \r, U+001C..U+001F, space,
 * U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F,
 * U+3000. */
bool uc_is_space(uint32_t cp);

/* Python's \w on str: ASCII letters, digits and '_'; above U+007F every code
 * point except those of a table of punctuation, symbol, space, control,
 * private-use and emoji ranges.  This approximates "letters and digits of any
 * script" without a full Unicode database: it is exact for ASCII, Latin-1 and
 * the common punctuation and symbol blocks, and it counts combining marks as
 * word characters (Python does not), so a decomposed "é" stays inside a
 * word.  UTF8_BAD is not a word character. */
bool uc_is_word(uint32_t cp);

#endif
