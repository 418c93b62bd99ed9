/* shquote.h — quoting for POSIX sh.  Every path, name or argument that goes
 * into a command line run by a (remote) shell passes through one of these.
 *
 * shell_quote("it's")        -> 'it'\''s'
 * shell_quote_path("~/a b")  -> "$HOME"/'a b'
 * shell_quote_path("~")      -> "$HOME"
 * shell_quote_path("~bob/x") -> ~bob/'x'   (user names [A-Za-z0-9._-] only)
 * shell_quote_path("/x y")   -> '/x y'
 *
 * All return malloc'd strings; the buf_ variants append to a struct buf. */
#ifndef CC_SHQUOTE_H
#define CC_SHQUOTE_H

#include "util.h"

/* Single-quote s: the result is one word whose value is exactly s. */
char *shell_quote(const char *s);
void buf_shell_quote(struct buf *b, const char *s);

/* Like shell_quote, but a leading "~" or "~/" becomes "$HOME" so the shell
 * on the peer expands it (and "~user/" stays an unquoted tilde prefix). */
char *shell_quote_path(const char *s);
void buf_shell_quote_path(struct buf *b, const char *s);

#endif
