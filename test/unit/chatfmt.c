/* Unit tests for lib/chatfmt: every field of upstream-engine.md §12.2–§12.6
 * as exact texts, and the §17.2/§17.5 formatter vectors. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "chatfmt.h"
#include "tap.h"

static json_t *
js(const char *json)
{
	json_error_t e;
	json_t *j = json_loads(json, JSON_DECODE_ANY, &e);

	if (j == NULL)
		printf("# bad JSON in test: %s\n", e.text);
	return j;
}

#define CHECK1(fn, json, want, name) do { \
	json_t *j_ = js(json); \
	char *got1_ = fn(j_); \
	is_str(got1_, want, name); \
	free(got1_); \
	json_decref(j_); \
} while (0)

#define ROW(extra) "{\"channel_id\":\"discord:1\",\"machine_id\":\"gpu-1\"," \
	"\"path\":\"/home/user/project\",\"daemon_session_id\":" \
	"\"new-session-id-123456\",\"sdk_session_id\":null,\"status\":\"active\"," \
	"\"mode\":\"auto\",\"name\":\"bright-falcon\",\"tool_display\":\"buffer\"," \
	"\"cli_type\":\"claude\"" extra "}"

static void
status_is(const char *row, const char *stats, const char *want, const char *name)
{
	json_t *r = js(row), *s = stats ? js(stats) : NULL;
	char *got = fmt_status(r, s);

	is_str(got, want, name);
	free(got);
	json_decref(r);
	json_decref(s);
}

static void
health_is(const char *json, const char *want, const char *name)
{
	json_t *j = js(json);
	char *got = fmt_health("gpu-1", j);

	is_str(got, want, name);
	free(got);
	json_decref(j);
}

static void
monitor_is(const char *json, const char *want, const char *name)
{
	json_t *j = js(json);
	char *got = fmt_monitor("gpu-1", j);

	is_str(got, want, name);
	free(got);
	json_decref(j);
}

int
main(void)
{
	char *s;

	/* display_mode (§12.2, §17.5) */
	is_str(display_mode("auto"), "bypass", "auto -> bypass");
	is_str(display_mode("code"), "code", "code");
	is_str(display_mode("plan"), "plan", "plan");
	is_str(display_mode("ask"), "ask", "ask");
	is_str(display_mode("custom"), "custom", "custom passes through");
	is_str(display_mode(""), "", "\"\" passes through");

	/* uptime (§12.6) */
	s = fmt_uptime(7265);
	is_str(s, "2h01m05s", "uptime 7265");
	free(s);
	s = fmt_uptime(3661);
	is_str(s, "1h01m01s", "uptime 3661");
	free(s);
	s = fmt_uptime(125);
	is_str(s, "2m05s", "uptime 125");
	free(s);
	s = fmt_uptime(42);
	is_str(s, "42s", "uptime 42");
	free(s);
	s = fmt_uptime(3600);
	is_str(s, "1h00m00s", "uptime 3600");
	free(s);

	/* session line and list (§12.3) */
	CHECK1(fmt_session_line, ROW(""),
	    "● **bright-falcon** `new-session-id-123456` **gpu-1**:`/home/user/project` "
	    "[bypass] (active)", "session line: active, named");
	CHECK1(fmt_session_line,
	    "{\"machine_id\":\"gpu-2\",\"path\":\"~/p\",\"daemon_session_id\":\"abc\","
	    "\"status\":\"detached\",\"mode\":\"code\",\"name\":null,\"cli_type\":\"codex\"}",
	    "○ `abc` **gpu-2**:`~/p` [code] [codex] (detached)",
	    "session line: detached, unnamed (never None), cli shown");
	CHECK1(fmt_session_line,
	    "{\"machine_id\":\"m\",\"path\":\"/x\",\"daemon_session_id\":\"d\","
	    "\"status\":\"destroyed\",\"mode\":\"plan\",\"name\":\"\",\"cli_type\":\"claude\"}",
	    "✕ `d` **m**:`/x` [plan] (destroyed)", "session line: destroyed");
	CHECK1(fmt_session_line,
	    "{\"machine_id\":\"m\",\"path\":\"/x\",\"daemon_session_id\":\"d\","
	    "\"status\":\"weird\",\"mode\":\"ask\"}",
	    "? `d` **m**:`/x` [ask] (weird)", "session line: unknown status, no cli");
	CHECK1(fmt_session_list, "[]", "No sessions found.", "session list: empty");
	CHECK1(fmt_session_list, "[" ROW("") "," ROW(",\"status\":\"detached\"") "]",
	    "**Sessions:**\n"
	    "● **bright-falcon** `new-session-id-123456` **gpu-1**:`/home/user/project` "
	    "[bypass] (active)\n"
	    "○ **bright-falcon** `new-session-id-123456` **gpu-1**:`/home/user/project` "
	    "[bypass] (detached)", "session list: header and a line each");
	{
		json_t *rows = js("[" ROW("") "]");
		char *l = fmt_session_list(rows);

		ok(strstr(l, "Sessions:") && strstr(l, "new-session-id-123456") &&
		    strstr(l, "bright-falcon"), "ls session: Sessions:, full ID, name");
		free(l);
		json_decref(rows);
	}

	/* machine list (§12.4) */
	CHECK1(fmt_machine_list, "[]", "No machines configured.", "machines: none");
	CHECK1(fmt_machine_list,
	    "[{\"id\":\"gpu-1\",\"host\":\"10.0.0.1\",\"status\":\"online\","
	    "\"daemon\":\"running\",\"default_paths\":[\"/a\",\"~/b\"],\"localhost\":false},"
	    "{\"id\":\"me\",\"host\":\"localhost\",\"status\":\"offline\","
	    "\"daemon\":\"stopped\",\"default_paths\":[],\"localhost\":true},"
	    "{\"id\":\"gpu-2\",\"host\":\"10.0.0.2\",\"status\":\"online\","
	    "\"daemon\":\"unknown\"}]",
	    "**Machines:**\n"
	    "🟢 **gpu-1** (10.0.0.1) ⚡\n  Paths: `/a`, `~/b`\n"
	    "🔴 **me** (localhost) [localhost] 💤\n"
	    "🟢 **gpu-2** (10.0.0.2) 💤", "machines: icons, localhost, paths");

	/* status (§12.5, §17.2) */
	status_is(ROW(""), NULL,
	    "**Session Status**\nName: **bright-falcon**\nMachine: **gpu-1**\n"
	    "Path: `/home/user/project`\nCLI: **claude**\nMode: **bypass**\n"
	    "Tool Display: **buffer**\nStatus: **active**\n"
	    "Session ID: `new-session-id-123456`", "status: no stats");
	status_is(ROW(",\"sdk_session_id\":\"sdk-999\",\"mode\":\"code\","
	    "\"name\":null,\"cli_type\":\"codex\",\"tool_display\":\"append\""),
	    "{\"userPending\":5,\"responsePending\":2,\"clientConnected\":true}",
	    "**Session Status**\nName: **(unnamed)**\nMachine: **gpu-1**\n"
	    "Path: `/home/user/project`\nCLI: **codex**\nMode: **code**\n"
	    "Tool Display: **append**\nStatus: **active**\n"
	    "Session ID: `new-session-id-123456`\nSDK Session: `sdk-999`\n"
	    "Queue: 5 pending messages\nBuffered: 2 responses",
	    "status: unnamed, SDK ID, stats 5/2");
	status_is(ROW(""), "{}",
	    "**Session Status**\nName: **bright-falcon**\nMachine: **gpu-1**\n"
	    "Path: `/home/user/project`\nCLI: **claude**\nMode: **bypass**\n"
	    "Tool Display: **buffer**\nStatus: **active**\n"
	    "Session ID: `new-session-id-123456`", "status: empty stats shows no queue");
	status_is(ROW(""), "{\"clientConnected\":false}",
	    "**Session Status**\nName: **bright-falcon**\nMachine: **gpu-1**\n"
	    "Path: `/home/user/project`\nCLI: **claude**\nMode: **bypass**\n"
	    "Tool Display: **buffer**\nStatus: **active**\n"
	    "Session ID: `new-session-id-123456`\n"
	    "Queue: 0 pending messages\nBuffered: 0 responses",
	    "status: missing counts are 0");

	/* health (§12.6, §17.2) */
	health_is("{\"ok\":true,\"sessions\":3,\"sessionsByStatus\":{\"idle\":2,\"busy\":1},"
	    "\"uptime\":7265,\"memory\":{\"rss\":120,\"heapUsed\":40.5,\"heapTotal\":64},"
	    "\"version\":\"0.2.22\",\"pid\":4242}",
	    "**Daemon Health - gpu-1**\nStatus: OK\nUptime: 2h01m05s\n"
	    "Sessions: 3 (idle: 2, busy: 1)\nMemory: 120MB RSS, 40.5/64MB heap\n"
	    "Daemon: 0.2.22 (PID: 4242)", "health: every field");
	health_is("{\"ok\":true,\"uptime\":100,\"version\":\"0.2.22\",\"pid\":1}",
	    "**Daemon Health - gpu-1**\nStatus: OK\nUptime: 1m40s\n"
	    "Sessions: 0 (none)\nMemory: ?MB RSS, ?/?MB heap\n"
	    "Daemon: 0.2.22 (PID: 1)", "health: the fixture; missing fields");
	health_is("{\"ok\":false,\"sessions\":0,\"sessionsByStatus\":{},\"uptime\":42.9,"
	    "\"memory\":{\"rss\":12.0,\"heapUsed\":null,\"heapTotal\":8},\"pid\":null}",
	    "**Daemon Health - gpu-1**\nStatus: ERROR\nUptime: 42s\n"
	    "Sessions: 0 (none)\nMemory: 12.0MB RSS, ?/8MB heap\n"
	    "Daemon: ? (PID: ?)", "health: error, float uptime, null is ?");

	/* monitor (§12.6, §17.2) */
	monitor_is("{\"sessions\":[],\"totalSessions\":0,\"uptime\":5}",
	    "**Monitor - gpu-1**: No active sessions.", "monitor: no sessions");
	monitor_is("{\"uptime\":5}",
	    "**Monitor - gpu-1**: No active sessions.", "monitor: sessions missing");
	monitor_is("{\"uptime\":125,\"totalSessions\":2,\"sessions\":["
	    "{\"sessionId\":\"s-1\",\"path\":\"/w\",\"status\":\"idle\",\"mode\":\"auto\","
	    "\"model\":\"claude-opus\",\"queue\":{\"userPending\":1,\"responsePending\":0,"
	    "\"clientConnected\":true}},"
	    "{\"sessionId\":\"s-2\",\"path\":\"/v\",\"status\":\"busy\",\"mode\":\"plan\","
	    "\"model\":null,\"queue\":{\"userPending\":0,\"responsePending\":3,"
	    "\"clientConnected\":false}},"
	    "{\"sessionId\":\"s-3\",\"path\":\"/u\",\"status\":\"error\",\"mode\":\"code\","
	    "\"model\":\"\"},"
	    "{\"sessionId\":\"s-4\",\"path\":\"/t\",\"status\":\"starting\"}]}",
	    "**Monitor - gpu-1** (uptime: 2m05s, 4 session(s))\n\n"
	    "● `s-1` **idle** [bypass | claude-opus]\n  Path: `/w`\n"
	    "  Client: connected | Queue: 1 pending, 0 buffered\n\n"
	    "◉ `s-2` **busy** [plan]\n  Path: `/v`\n"
	    "  Client: **disconnected** | Queue: 0 pending, 3 buffered\n\n"
	    "✕ `s-3` **error** [code]\n  Path: `/u`\n"
	    "  Client: **disconnected** | Queue: 0 pending, 0 buffered\n\n"
	    "? `s-4` **starting** [?]\n  Path: `/t`\n"
	    "  Client: **disconnected** | Queue: 0 pending, 0 buffered",
	    "monitor: icons, null model prints nothing, defaults, trimmed");
	return tap_done();
}
