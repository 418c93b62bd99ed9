/* toolfmt.c — see toolfmt.h.  Tool input is shown as compact JSON (upstream
 * printed Python's repr of the dict, quirk Q13). */
#include "toolfmt.h"
#include "utf8.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* Byte offset after the first n code points of s[0..len). */
static size_t
cp_offset(const char *s, size_t len, size_t n)
{
	size_t i = 0;
	uint32_t cp;

	while (i < len && n > 0) {
		i += utf8_decode(s + i, len - i, &cp);
		n--;
	}
	return i;
}

char *
text_truncate(const char *s, size_t n)
{
	size_t len = strlen(s);

	if (utf8_count(s, len) <= n)
		return xstrdup(s);
	if (n < 3)
		return xstrndup(s, cp_offset(s, len, n));
	struct buf b = {0};
	buf_append(&b, s, cp_offset(s, len, n - 3));
	buf_puts(&b, "...");
	return buf_steal(&b);
}

char *
fmt_elapsed(long secs)
{
	if (secs < 0)
		secs = 0;
	if (secs >= 60)
		return xasprintf("%ldm %02lds", secs / 60, secs % 60);
	return xasprintf("%lds", secs);
}

char *
fmt_buffer_status(long secs, const char *const *names, size_t nnames,
    long count, bool done)
{
	char *t = fmt_elapsed(secs);
	struct buf b = {0};

	if (done) {
		buf_printf(&b, "Done in %s", t);
		if (count > 0)
			buf_printf(&b, " | %ld tool calls", count);
	} else {
		buf_printf(&b, "Thinking %s", t);
		if (count > 0 && nnames > 0) {
			buf_puts(&b, " | ");
			for (size_t i = 0; i < nnames; i++)
				buf_printf(&b, "%s%s", i ? ", " : "", names[i]);
			buf_printf(&b, " (%ld total)", count);
		}
	}
	free(t);
	return buf_steal(&b);
}

/* Python truthiness of a JSON value. */
static bool
truthy(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return json_object_size(v) > 0;
	case JSON_ARRAY:
		return json_array_size(v) > 0;
	case JSON_STRING:
		return json_string_length(v) > 0;
	case JSON_INTEGER:
		return json_integer_value(v) != 0;
	case JSON_REAL:
		return json_real_value(v) != 0;
	case JSON_TRUE:
		return true;
	default:
		return false;
	}
}

/* A value as text: a string as it is, anything else as compact JSON. */
static char *
value_text(const json_t *v)
{
	char *s;

	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (s == NULL)
		return xstrdup("?");
	/* Allocated by jansson's allocator: copy to ours. */
	char *copy = xstrdup(s);
	free(s);
	return copy;
}

static const char *
tool_name(const json_t *ev)
{
	const char *t = json_string_value(json_object_get(ev, "tool"));

	return t != NULL && *t != '\0' ? t : "unknown";
}

bool
tool_event_detailed(const json_t *ev)
{
	const json_t *in = json_object_get(ev, "input");
	const json_t *msg = json_object_get(ev, "message");

	return (in != NULL && truthy(in)) || (msg != NULL && truthy(msg));
}

/* The event's detail: its message, else its input; NULL when neither. */
static char *
tool_detail(const json_t *ev)
{
	const json_t *msg = json_object_get(ev, "message");
	const json_t *in = json_object_get(ev, "input");

	if (msg != NULL && truthy(msg))
		return value_text(msg);
	if (in != NULL && truthy(in))
		return value_text(in);
	return NULL;
}

char *
fmt_tool_line(const json_t *ev)
{
	char *d = tool_detail(ev), *t, *line;

	if (d == NULL)
		return xasprintf("  `%s`", tool_name(ev));
	t = text_truncate(d, 120);
	line = xasprintf("  `%s` \xE2\x80\x94 %s", tool_name(ev), t);
	free(t);
	free(d);
	return line;
}

char *
fmt_tool_use(const json_t *ev)
{
	const json_t *msg = json_object_get(ev, "message");
	const json_t *in = json_object_get(ev, "input");
	char *d, *t, *s;

	if (msg != NULL && truthy(msg)) {
		d = value_text(msg);
		s = xasprintf("**[Tool: %s]** %s", tool_name(ev), d);
		free(d);
		return s;
	}
	if (in != NULL && truthy(in)) {
		d = value_text(in);
		t = text_truncate(d, 500);
		s = xasprintf("**[Tool: %s]**\n```\n%s\n```", tool_name(ev), t);
		free(t);
		free(d);
		return s;
	}
	return xasprintf("**[Tool: %s]**", tool_name(ev));
}

char *
fmt_activity(const char *const *lines, size_t nlines, const char *thinking,
    bool cursor)
{
	struct buf b = {0};
	bool first = nlines == 0;	/* nothing written yet */

	if (nlines == 1)
		buf_puts(&b, "**[Tool: 1 call]**");
	else if (nlines > 1)
		buf_printf(&b, "**[Tools: %zu calls]**", nlines);
	for (size_t i = 0; i < nlines; i++)
		buf_printf(&b, "\n%s", lines[i]);
	if (thinking != NULL && *thinking != '\0') {
		size_t len = strlen(thinking), n = utf8_count(thinking, len);
		const char *snip = thinking;
		size_t from, to, i;
		uint32_t cp;

		if (n > 200)
			snip += cp_offset(thinking, len, n - 200);
		len = strlen(snip);
		/* strip(): leading and trailing white space. */
		from = 0;
		while (from < len) {
			size_t l = utf8_decode(snip + from, len - from, &cp);
			if (!uc_is_space(cp))
				break;
			from += l;
		}
		to = from;
		for (i = from; i < len;) {
			i += utf8_decode(snip + i, len - i, &cp);
			if (!uc_is_space(cp))
				to = i;
		}
		buf_puts(&b, first ? "> *..." : "\n> *...");
		buf_append(&b, snip + from, to - from);
		buf_putc(&b, '*');
		first = false;
	}
	if (cursor)
		buf_printf(&b, "%s\xE2\x96\x8C", first ? "" : "\n");
	return buf_steal(&b);
}
