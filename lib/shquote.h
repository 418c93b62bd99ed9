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

/* cmd (a command that reads no input) made to end with its client: run
 * with its input from /dev/null while a watcher reads the script's own
 * standard input, which the client holds open and never writes.  When the
 * client goes away (killed, or its connection gone), that input ends and
 * the watcher sends SIGTERM to the script's process group: the command and
 * everything it started, but not a daemon it detached with setsid.  The
 * caller runs it in a session of its own (sshd does; a local caller
 * setsid()s) and closes the input only after the command's output ended.
 * The exit status is the command's. */
char *shell_watched(const char *cmd);

#endif
