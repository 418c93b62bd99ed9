/* Unit tests for lib/toolfmt: tool lines, format_tool_use, the activity
 * message and the buffer status (upstream-engine.md §6.4, §6.6, §7, §17.5).
 * Upstream's compress_tool_messages is not part of the engine; its vectors
 * are checked on what it is made of: fmt_tool_use for one event, the header
 * and fmt_tool_line lines of fmt_activity for more. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tap.h"
#include "toolfmt.h"
#include "util.h"

static json_t *
ev(const char *json)
{
	json_error_t e;
	json_t *j = json_loads(json, 0, &e);

	if (j == NULL)
		printf("# bad JSON in test: %s\n", e.text);
	return j;
}

static void
line_is(const char *json, const char *want, const char *name)
{
	json_t *j = ev(json);
	char *got = fmt_tool_line(j);

	is_str(got, want, name);
	free(got);
	json_decref(j);
}

static void
use_is(const char *json, const char *want, const char *name)
{
	json_t *j = ev(json);
	char *got = fmt_tool_use(j);

	is_str(got, want, name);
	free(got);
	json_decref(j);
}

static void
status_is(long secs, const char *const *names, size_t n, long count, bool done,
    const char *want)
{
	char *got = fmt_buffer_status(secs, names, n, count, done);

	is_str(got, want, want);
	free(got);
}

static char *
rep(const char *s, size_t n)
{
	struct buf b = {0};

	for (size_t i = 0; i < n; i++)
		buf_puts(&b, s);
	return buf_steal(&b);
}

/* The activity text for tool lines made from events (compress_tool_messages
 * for two or more events). */
static char *
summary(const char *const *events, size_t n)
{
	char **lines = xcalloc(n ? n : 1, sizeof(*lines));
	char *s;

	for (size_t i = 0; i < n; i++) {
		json_t *j = ev(events[i]);
		lines[i] = fmt_tool_line(j);
		json_decref(j);
	}
	s = fmt_activity((const char *const *)lines, n, NULL, false);
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	return s;
}

int
main(void)
{
	char *s, *t;

	/* _truncate */
	s = text_truncate("hello world", 8);
	is_str(s, "hello...", "truncate hello world at 8");
	free(s);
	s = text_truncate("hello", 5);
	is_str(s, "hello", "truncate: fits exactly");
	free(s);
	s = text_truncate("h\xC3\xA9llo w\xC3\xB6rld", 8);
	is_str(s, "h\xC3\xA9llo...", "truncate counts code points, not bytes");
	free(s);
	t = rep("\xF0\x9F\x98\x80", 10);
	s = text_truncate(t, 6);
	is_str(s, "\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80...",
	    "truncate: emoji kept whole");
	free(s);
	free(t);
	s = text_truncate("ab\xFF\xFE" "cdef", 5);
	is_str(s, "ab...", "truncate: invalid bytes count one each");
	free(s);
	s = text_truncate("abcdef", 2);
	is_str(s, "ab", "truncate below 3: just cut");
	free(s);

	/* fmt_elapsed and format_buffer_status (§6.4, §17.5) */
	s = fmt_elapsed(5);
	is_str(s, "5s", "elapsed 5s");
	free(s);
	s = fmt_elapsed(65);
	is_str(s, "1m 05s", "elapsed 1m 05s");
	free(s);
	s = fmt_elapsed(-3);
	is_str(s, "0s", "elapsed below zero is 0s");
	free(s);
	{
		const char *rbe[] = { "Read", "Edit", "Bash" };

		status_is(10, NULL, 0, 0, false, "Thinking 10s");
		status_is(45, rbe, 3, 12, false, "Thinking 45s | Read, Edit, Bash (12 total)");
		status_is(95, rbe, 3, 4, false, "Thinking 1m 35s | Read, Edit, Bash (4 total)");
		status_is(95, NULL, 0, 0, false, "Thinking 1m 35s");
		status_is(60, rbe, 3, 8, true, "Done in 1m 00s | 8 tool calls");
		status_is(5, NULL, 0, 0, true, "Done in 5s");
		status_is(0, NULL, 0, 0, false, "Thinking 0s");
		status_is(3, rbe, 1, 1, true, "Done in 3s | 1 tool calls");
		status_is(7, NULL, 0, 2, false, "Thinking 7s");	/* count, no names */
		status_is(3725, rbe, 2, 2, false, "Thinking 62m 05s | Read, Edit (2 total)");
		s = fmt_buffer_status(10, NULL, 0, 0, false);
		ok(strstr(s, "tool") == NULL, "no tools: no 'tool'");
		free(s);
		s = fmt_buffer_status(5, NULL, 0, 0, true);
		ok(strstr(s, "tool") == NULL, "done, no tools: no 'tool'");
		free(s);
	}

	/* format_tool_line (§7) */
	line_is("{\"tool\":\"Bash\",\"message\":\"ls -la\"}", "  `Bash` \xE2\x80\x94 ls -la",
	    "tool line: message");
	line_is("{\"tool\":\"Bash\",\"input\":{\"command\":\"ls -la\",\"description\":\"List\"}}",
	    "  `Bash` \xE2\x80\x94 {\"command\":\"ls -la\",\"description\":\"List\"}",
	    "tool line: input as compact JSON, in order");
	line_is("{\"tool\":\"Read\",\"input\":{\"file_path\":\"/tmp/a/b.txt\"}}",
	    "  `Read` \xE2\x80\x94 {\"file_path\":\"/tmp/a/b.txt\"}",
	    "tool line: slashes not escaped");
	line_is("{\"tool\":\"Bash\",\"message\":\"run\",\"input\":{\"command\":\"x\"}}",
	    "  `Bash` \xE2\x80\x94 run", "tool line: message wins over input");
	line_is("{\"tool\":\"Read\"}", "  `Read`", "tool line: bare");
	line_is("{\"tool\":\"Read\",\"input\":{},\"message\":\"\"}", "  `Read`",
	    "tool line: empty input and message are bare");
	line_is("{}", "  `unknown`", "tool line: no tool");
	line_is("{\"tool\":null,\"input\":\"raw text\"}", "  `unknown` \xE2\x80\x94 raw text",
	    "tool line: a string input as it is");
	{
		char *msg = rep("x", 200), *json, *want;

		json = xasprintf("{\"tool\":\"Grep\",\"message\":\"%s\"}", msg);
		t = rep("x", 117);
		want = xasprintf("  `Grep` \xE2\x80\x94 %s...", t);
		line_is(json, want, "tool line: message truncated to 120");
		free(msg);
		free(json);
		free(want);
		free(t);
	}

	/* format_tool_use (§7, §17.5) */
	use_is("{\"tool\":\"Bash\",\"message\":\"Running tests\"}",
	    "**[Tool: Bash]** Running tests", "tool use: message, no fence");
	use_is("{\"tool\":\"Read\",\"input\":{\"file_path\":\"/home/user/x.py\"}}",
	    "**[Tool: Read]**\n```\n{\"file_path\":\"/home/user/x.py\"}\n```",
	    "tool use: input in a fence");
	use_is("{\"tool\":\"Write\"}", "**[Tool: Write]**", "tool use: neither");
	{
		json_t *j = ev("{}");
		s = fmt_tool_use(j);
		ok(strstr(s, "unknown") != NULL, "tool use: {} contains unknown");
		free(s);
		json_decref(j);
	}
	{
		char *big = rep("y", 600), *json;
		json_t *j;

		json = xasprintf("{\"tool\":\"Write\",\"input\":{\"content\":\"%s\"}}", big);
		j = ev(json);
		s = fmt_tool_use(j);
		ok(strstr(s, "...") != NULL, "tool use: 600-character input contains ...");
		/* header, fence, 500 characters, fence */
		is_int((long long)strlen(s), (long long)strlen("**[Tool: Write]**\n```\n") +
		    500 + strlen("\n```"), "tool use: input truncated to 500");
		free(s);
		json_decref(j);
		free(big);
		free(json);
	}
	{
		json_t *j = ev("{\"tool\":\"Bash\",\"message\":\"Running tests\"}");
		char *a = fmt_tool_use(j);

		ok(strstr(a, "```") == NULL, "tool use: a message has no fence");
		free(a);
		json_decref(j);
	}

	/* tool_event_detailed (§6.4) */
	{
		json_t *bare = ev("{\"type\":\"tool_use\",\"tool\":\"Read\"}");
		json_t *empty = ev("{\"tool\":\"Read\",\"input\":{},\"message\":\"\"}");
		json_t *in = ev("{\"tool\":\"Read\",\"input\":{\"file_path\":\"/x\"}}");
		json_t *msg = ev("{\"tool\":\"Read\",\"message\":\"reading\"}");

		ok(!tool_event_detailed(bare), "bare event: no detail");
		ok(!tool_event_detailed(empty), "empty input and message: no detail");
		ok(tool_event_detailed(in), "input: detail");
		ok(tool_event_detailed(msg), "message: detail");
		json_decref(bare);
		json_decref(empty);
		json_decref(in);
		json_decref(msg);
	}

	/* compress_tool_messages vectors (§17.5), through their parts. */
	s = summary(NULL, 0);
	is_str(s, "", "compress []: empty");
	free(s);
	{
		const char *two[] = {
			"{\"tool\":\"Read\",\"message\":\"a.py\"}",
			"{\"tool\":\"Edit\",\"input\":{\"file_path\":\"/b.py\"}}",
		};
		s = summary(two, 2);
		is_str(s, "**[Tools: 2 calls]**\n  `Read` \xE2\x80\x94 a.py\n"
		    "  `Edit` \xE2\x80\x94 {\"file_path\":\"/b.py\"}", "compress 2 events");
		ok(str_starts(s, "**[Tools: 2 calls]**"), "compress 2: header");
		free(s);
	}
	{
		char *msg = rep("m", 200), *e2 = NULL;
		const char *evs[2];

		e2 = xasprintf("{\"tool\":\"Grep\",\"message\":\"%s\"}", msg);
		evs[0] = "{\"input\":{\"x\":1}}";
		evs[1] = e2;
		s = summary(evs, 2);
		ok(strstr(s, "`unknown`") != NULL, "compress: missing tool is `unknown`");
		t = strstr(s, "`Grep`");
		ok(t != NULL && strstr(t, "...") != NULL, "compress: 200-char message line has ...");
		free(s);
		free(e2);
		free(msg);
	}
	{
		const char *evs[15];
		char *bufs[15];
		size_t found = 0;

		for (int i = 0; i < 15; i++) {
			bufs[i] = xasprintf("{\"tool\":\"Tool%02d\",\"message\":\"m\"}", i);
			evs[i] = bufs[i];
		}
		s = summary(evs, 15);
		ok(str_starts(s, "**[Tools: 15 calls]**"), "compress 15: header");
		for (int i = 0; i < 15; i++) {
			char name[16];
			snprintf(name, sizeof(name), "`Tool%02d`", i);
			found += strstr(s, name) != NULL;
			free(bufs[i]);
		}
		is_int((long long)found, 15, "compress 15: all listed");
		free(s);
	}

	/* format_activity_message (§6.6) */
	{
		const char *one[] = { "  `Read` \xE2\x80\x94 a.py" };
		const char *three[] = { "  `Read`", "  `Edit`", "  `Bash`" };
		char *think;

		s = fmt_activity(NULL, 0, NULL, false);
		is_str(s, "", "activity: nothing is empty");
		free(s);
		s = fmt_activity(NULL, 0, "", false);
		is_str(s, "", "activity: empty thinking is nothing");
		free(s);
		s = fmt_activity(one, 1, NULL, true);
		is_str(s, "**[Tool: 1 call]**\n  `Read` \xE2\x80\x94 a.py\n\xE2\x96\x8C",
		    "activity: one tool and the cursor");
		free(s);
		s = fmt_activity(three, 3, NULL, false);
		is_str(s, "**[Tools: 3 calls]**\n  `Read`\n  `Edit`\n  `Bash`",
		    "activity: three tools, no cursor");
		free(s);
		s = fmt_activity(NULL, 0, "  considering options \n", true);
		is_str(s, "> *...considering options*\n\xE2\x96\x8C",
		    "activity: thinking trimmed, cursor");
		free(s);
		s = fmt_activity(NULL, 0, NULL, true);
		is_str(s, "\xE2\x96\x8C", "activity: the cursor alone");
		free(s);
		/* The last 200 code points of thinking, multi-byte: 5 + 150
		 * + 50 code points, the first 5 dropped. */
		t = rep("\xC3\xA9", 150);
		think = xasprintf("START%sabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwx", t);
		s = fmt_activity(one, 1, think, false);
		{
			char *want = xasprintf("**[Tool: 1 call]**\n  `Read` \xE2\x80\x94 a.py\n"
			    "> *...%sabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwx*", t);
			is_str(s, want, "activity: last 200 code points of thinking");
			free(want);
		}
		free(t);
		free(s);
		free(think);
	}
	return tap_done();
}
