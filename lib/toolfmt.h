/* toolfmt.h — the text of a reply's progress: tool lines, the activity
 * message, the buffer/timer status line (reference upstream-engine.md §6.4,
 * §6.6, §7).  Every function returns a malloc'd string; events are the
 * daemon's stream events as jansson objects. */
#ifndef CC_TOOLFMT_H
#define CC_TOOLFMT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* s cut to n code points: the first n-3 and "..." when longer (below 3,
 * just the first n).  An invalid UTF-8 byte counts as one code point. */
char *text_truncate(const char *s, size_t n);

/* "1m 05s" when a minute or more, else "5s" (§6.4). */
char *fmt_elapsed(long secs);

/* §6.4 format_buffer_status: "Thinking 10s", "Thinking 45s | Read, Edit, Bash
 * (12 total)", "Done in 1m 00s | 8 tool calls", "Done in 5s". */
char *fmt_buffer_status(long secs, const char *const *names, size_t nnames,
    long count, bool done);

/* §7 format_tool_line: "  `Bash` — ls -la" (message, else the input as
 * compact JSON, truncated to 120), or "  `Bash`"; tool defaults to unknown. */
char *fmt_tool_line(const json_t *ev);

/* §7 format_tool_use: "**[Tool: X]** message", or the input in a fence
 * (truncated to 500), or "**[Tool: X]**". */
char *fmt_tool_use(const json_t *ev);

/* §6.6 format_activity_message: "**[Tool: 1 call]**" / "**[Tools: N calls]**"
 * and the lines, then "> *...{last 200 code points of thinking, trimmed}*",
 * then the cursor "▌"; parts joined by "\n"; "" when all are empty. */
char *fmt_activity(const char *const *lines, size_t nlines,
    const char *thinking, bool cursor);

/* Whether a tool_use event carries detail (a non-empty input or message);
 * the CLI sends each tool twice, bare first (§6.4). */
bool tool_event_detailed(const json_t *ev);

#endif
