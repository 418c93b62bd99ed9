/* tty.h — cc-tty: the terminal as a chat platform behind cc-engine, built
 * on lib/bridge.h (protocol, outbox, refs, typing repeats) with
 * lib/ttyrender.h for the Markdown.  One channel, tty:USER; the local user
 * is admin.
 *
 * Run alone it starts cc-engine as its child (its own process group, so a
 * Ctrl-C at the terminal reaches only cc-tty; its stderr goes to
 * ~/.codecast/tty.log) and restarts it at once when it exits 75
 * (/restart).  With bridge_only it speaks the bridge protocol on stdin and
 * stdout, and the person is on /dev/tty.
 *
 * Interactive (input is a terminal): libedit line editing, history in
 * ~/.codecast/tty_history (0600); every message is printed as rendered
 * Markdown, and an edit of the last one is redrawn in place (the rows from
 * the first changed line down, with cursor movement) when the output is a
 * terminal; an edit of an older message, or one reaching higher than the
 * screen, prints the message again below.  A question (ask) is printed
 * with numbered options; a reply of numbers ("2", "1,3") answers it with a
 * button event.  A forwarded file is shown as its local path (the file is
 * left where it is).  Ctrl-C while a reply runs sends /stop; a second
 * Ctrl-C in a row, or Ctrl-D on an empty line, leaves.
 *
 * Through a pipe (input not a terminal): plain text, the engine told the
 * bridge cannot edit (so each message comes once, complete).  Each input
 * line is sent once the previous one is done, and cc-tty exits after the
 * last: "done" is `idle` seconds (default 2) with no action from the engine
 * and no typing indicator, after at least one action answered it (or ten
 * times that with none).
 *
 * A running reply is known by the typing indicator the engine keeps on
 * while it works (the bridge repeats it every 0.5 s here). */
#ifndef CC_TTY_H
#define CC_TTY_H

#include <stdbool.h>
#include <stddef.h>

struct tty_opts {
	const char *config_path;	/* cc-engine -c; NULL: its default */
	const char *engine;		/* NULL: cc-engine next to us, then PATH */
	bool bridge_only;
	double idle;			/* seconds; 0: 2 */
	char **send;			/* lines sent first, one after another */
	size_t nsend;
};

/* Returns the exit status: 0, 1 on failure (the engine could not start or
 * died), 2 when there is no terminal for --bridge-only. */
int tty_run(const struct tty_opts *o);

#endif
