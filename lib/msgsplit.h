/* msgsplit.h — cutting chat text into messages a platform accepts.
 *
 * Lengths are counted in UTF-16 code units (a code point above U+FFFF counts
 * 2, every other code point 1): that is Telegram's unit, and never less than
 * the code points Discord and upstream count, so a chunk that fits here fits
 * everywhere.  A chunk never ends inside a UTF-8 sequence. */
#ifndef CC_MSGSPLIT_H
#define CC_MSGSPLIT_H

#include <stdbool.h>
#include <stddef.h>

/* Length of s[0..n) in UTF-16 code units (invalid bytes count 1 each). */
size_t text_units(const char *s, size_t n);

/* Byte offset of the longest prefix of s[0..n) that is at most max units and
 * does not end inside a UTF-8 sequence. */
size_t text_prefix(const char *s, size_t n, size_t max);

struct chunks {
	char **v;	/* malloc'd NUL-terminated chunks */
	size_t n;
};
void chunks_free(struct chunks *c);

/* Upstream's split_message (reference upstream-engine.md §12.1), exactly
 * (white space is Python's str.isspace()).  When max is too small for the
 * next character (max 1 and an emoji), that character is a chunk of its own:
 * fence / paragraph / line / sentence / word / hard cut, trailing white space
 * of a chunk removed, leading newlines of the rest removed, empty and
 * white-space-only chunks dropped; text that fits is returned unchanged as one
 * chunk ("" gives one empty chunk).  max is in units (see above). */
void msg_split(const char *text, size_t max, struct chunks *out);

/* The same cut points, but a fenced code block cut in the middle is closed at
 * the end of its chunk ("\n```") and reopened with its info string (```lang)
 * at the start of the next, so every chunk renders on its own.  The fence
 * lines added count toward max.  Used for live replies.
 *
 * Guarantee: every chunk is at most max units and has an even number of ```
 * (the last chunk too when the text has); with the added lines removed (a
 * leading "```INFO\n" on a chunk that re-opens, a trailing "\n```" on one
 * that closes) the chunks are the text in order separated only by the white
 * space the cuts removed: text = w0 c1 w1 c2 ... cn wn, every wi white space.
 * A fence counts as upstream counts it, any "```" (not only at a line start).
 * Details: the fence rule of msg_split applies to whether the chunk ends
 * inside a block, counting a block carried over from the previous chunk; a
 * chunk never ends on the line that opens a block (so the info string is
 * never cut); a cut just before a block's closing fence takes that fence; a
 * hard cut never splits a run of backticks; an info string longer than 32
 * units is re-opened bare.  Below 64 units there is no room for the fence
 * lines and this is msg_split. */
void msg_split_fenced(const char *text, size_t max, struct chunks *out);

/* Whether s[0..n) ends inside an open ``` fence; when it does and lang is not
 * NULL, *lang is a malloc'd copy of the fence's info string ("" when none). */
bool text_open_fence(const char *s, size_t n, char **lang);

#endif
