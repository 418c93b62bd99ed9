/* sse.h — incremental parser for Server-Sent Events (text/event-stream, the
 * WHATWG "event stream interpretation").
 *
 * Feed it bytes as they arrive, cut anywhere (inside a line, inside a CRLF
 * pair, inside a UTF-8 sequence); it calls back once per dispatched event.
 *
 * - Lines end with LF, CRLF or CR.  A leading UTF-8 BOM is skipped.
 * - "field:value", "field: value" (one space after the colon is dropped),
 *   "field" alone (empty value).  Lines starting with ':' are comments.
 * - data: several data lines are joined with "\n".  event: sets the event
 *   type, id: the last event id (ignored when it contains NUL), retry: the
 *   reconnection time when all ASCII digits.  Other fields are ignored.
 * - A blank line dispatches the event if it has data (an event without any
 *   data line is not dispatched, as the standard says).
 * - At the end of the stream a partly received event is not dispatched
 *   (sse_pending() tells whether one was left).
 * - A line, or an event's joined data, longer than max bytes is an error
 *   (SSE_TOO_LONG): the rest of that line and that event are discarded and
 *   parsing resumes with the next event, so a caller may choose to go on.
 *
 * No allocation per event: the buffers grow to the largest event seen.  An
 * event that arrives whole in one fed block as a single "data:" line and a
 * blank line is handed over in place, without a copy: the event's fields
 * are valid during the callback only. */
#ifndef CC_SSE_H
#define CC_SSE_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct sse_event {
	const char *data;	/* not NUL-terminated; may contain "\n" */
	size_t data_len;
	const char *type;	/* event: field, or "message" */
	const char *id;		/* last event id ("" when none) */
	long retry;		/* last retry: value in ms, -1 when none */
};

/* Return 0 to go on, a positive value to stop: sse_feed returns it. */
typedef int (*sse_event_fn)(void *arg, const struct sse_event *ev);

enum { SSE_OK = 0, SSE_TOO_LONG = -1 };

struct sse_parser {
	sse_event_fn fn;
	void *arg;
	size_t max;
	struct buf line;	/* the current line, when cut by a chunk */
	struct buf data;	/* the event's data so far, each line + "\n" */
	struct buf type;
	struct buf id;
	long retry;
	bool cr;		/* last byte was a CR: drop an LF right after */
	bool bom_done;		/* past the first bytes (BOM check) */
	size_t bom_seen;	/* BOM bytes matched so far */
	bool skip_line;		/* discarding the rest of an overlong line */
	bool skip_event;	/* discarding the rest of an overlong event */
};

/* max: longest line and longest event data accepted (0 means 64 MiB). */
void sse_init(struct sse_parser *p, size_t max, sse_event_fn fn, void *arg);
/* Returns SSE_OK, SSE_TOO_LONG (once per overlong line/event; feeding the
 * rest of the stream may go on), or the callback's non-zero value (the
 * bytes after the event that stopped it are not consumed: do not feed
 * again). */
int sse_feed(struct sse_parser *p, const char *bytes, size_t n);
/* True when an event (or line) was started but not finished. */
bool sse_pending(const struct sse_parser *p);
void sse_free(struct sse_parser *p);

#endif
