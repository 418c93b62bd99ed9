/* chatfmt.c — see chatfmt.h.  Values print as upstream's f-strings print
 * them (a JSON number as Python's str() of it, a string as it is), except
 * that a missing or null value prints as "?" (never "None"). */
#include "chatfmt.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
display_mode(const char *mode)
{
	if (mode == NULL)
		return "?";
	return strcmp(mode, "auto") == 0 ? "bypass" : mode;
}

char *
fmt_uptime(long long secs)
{
	long long h, m, s;

	if (secs < 0)
		secs = 0;
	h = secs / 3600;
	m = secs % 3600 / 60;
	s = secs % 60;
	if (h > 0)
		return xasprintf("%lldh%02lldm%02llds", h, m, s);
	if (m > 0)
		return xasprintf("%lldm%02llds", m, s);
	return xasprintf("%llds", s);
}

/* Python's repr() of a float: the shortest digits that read back the same,
 * fixed notation for exponents -4..15 (with ".0" when integral), else
 * d.ddde+XX. */
static void
put_real(struct buf *b, double v)
{
	char tmp[64];
	int p, exp;

	if (isnan(v)) {
		buf_puts(b, "nan");
		return;
	}
	if (isinf(v)) {
		buf_puts(b, v < 0 ? "-inf" : "inf");
		return;
	}
	for (p = 1; p <= 17; p++) {
		snprintf(tmp, sizeof(tmp), "%.*e", p - 1, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	exp = atoi(strchr(tmp, 'e') + 1);
	if (exp < -4 || exp >= 16) {
		buf_puts(b, tmp);
		return;
	}
	snprintf(tmp, sizeof(tmp), "%.*f", p - 1 - exp > 0 ? p - 1 - exp : 0, v);
	buf_puts(b, tmp);
	if (strchr(tmp, '.') == NULL)
		buf_puts(b, ".0");
}

/* A JSON value as text; dflt when missing or null. */
static void
put_value(struct buf *b, const json_t *v, const char *dflt)
{
	char *s;

	switch (v == NULL ? JSON_NULL : json_typeof(v)) {
	case JSON_STRING:
		buf_append(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		buf_printf(b, "%lld", (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		put_real(b, json_real_value(v));
		break;
	case JSON_TRUE:
		buf_puts(b, "True");
		break;
	case JSON_FALSE:
		buf_puts(b, "False");
		break;
	case JSON_NULL:
		buf_puts(b, dflt);
		break;
	default:
		s = json_dumps(v, JSON_COMPACT);
		buf_puts(b, s != NULL ? s : dflt);
		free(s);
		break;
	}
}

static void
put_field(struct buf *b, const json_t *o, const char *key, const char *dflt)
{
	put_value(b, json_object_get(o, key), dflt);
}

/* A string field, or NULL when missing, null, not a string or empty. */
static const char *
str_field(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL && *s != '\0' ? s : NULL;
}

static bool
truthy(const json_t *v)
{
	switch (v == NULL ? JSON_NULL : json_typeof(v)) {
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

/* A number of seconds from JSON (integer or real), whole, never negative. */
static long long
seconds(const json_t *v)
{
	double d;

	if (json_is_integer(v))
		return json_integer_value(v) > 0 ? (long long)json_integer_value(v) : 0;
	if (json_is_real(v)) {
		d = floor(json_real_value(v));
		return d > 0 && d < 9e18 ? (long long)d : 0;
	}
	return 0;
}

static const char *
session_icon(const char *status)
{
	static const struct {
		const char *status, *icon;
	} icons[] = {
		{ "active", "●" }, { "detached", "○" }, { "destroyed", "✕" },
		{ "idle", "●" }, { "busy", "◉" }, { "error", "✕" },
	};

	for (size_t i = 0; status != NULL && i < sizeof(icons) / sizeof(icons[0]); i++)
		if (strcmp(status, icons[i].status) == 0)
			return icons[i].icon;
	return "?";
}

static void
put_session_line(struct buf *b, const json_t *row)
{
	const char *name = str_field(row, "name");
	const char *cli = str_field(row, "cli_type");

	buf_puts(b, session_icon(json_string_value(json_object_get(row, "status"))));
	if (name != NULL)
		buf_printf(b, " **%s**", name);
	buf_puts(b, " `");
	put_field(b, row, "daemon_session_id", "?");
	buf_puts(b, "` **");
	put_field(b, row, "machine_id", "?");
	buf_puts(b, "**:`");
	put_field(b, row, "path", "?");
	buf_printf(b, "` [%s]", display_mode(json_string_value(json_object_get(row,
	    "mode"))));
	if (cli != NULL && strcmp(cli, "claude") != 0)
		buf_printf(b, " [%s]", cli);
	buf_puts(b, " (");
	put_field(b, row, "status", "?");
	buf_puts(b, ")");
}

char *
fmt_session_line(const json_t *row)
{
	struct buf b = {0};

	put_session_line(&b, row);
	return buf_steal(&b);
}

char *
fmt_session_list(const json_t *rows)
{
	struct buf b = {0};
	size_t i;
	json_t *row;

	if (json_array_size(rows) == 0)
		return xstrdup("No sessions found.");
	buf_puts(&b, "**Sessions:**");
	json_array_foreach(rows, i, row) {
		buf_putc(&b, '\n');
		put_session_line(&b, row);
	}
	return buf_steal(&b);
}

char *
fmt_machine_list(const json_t *machines)
{
	struct buf b = {0};
	size_t i, j;
	json_t *m, *p;

	if (json_array_size(machines) == 0)
		return xstrdup("No machines configured.");
	buf_puts(&b, "**Machines:**");
	json_array_foreach(machines, i, m) {
		const char *status = str_field(m, "status");
		const char *daemon = str_field(m, "daemon");
		json_t *paths = json_object_get(m, "default_paths");

		buf_printf(&b, "\n%s **", status && strcmp(status, "online") == 0 ?
		    "🟢" : "🔴");
		put_field(&b, m, "id", "?");
		buf_puts(&b, "** (");
		put_field(&b, m, "host", "?");
		buf_printf(&b, ")%s %s",
		    truthy(json_object_get(m, "localhost")) ? " [localhost]" : "",
		    daemon && strcmp(daemon, "running") == 0 ? "⚡" : "💤");
		if (json_array_size(paths) > 0) {
			buf_puts(&b, "\n  Paths: ");
			json_array_foreach(paths, j, p) {
				buf_printf(&b, "%s`", j ? ", " : "");
				put_value(&b, p, "?");
				buf_putc(&b, '`');
			}
		}
	}
	return buf_steal(&b);
}

char *
fmt_status(const json_t *row, const json_t *stats)
{
	struct buf b = {0};
	const char *name = str_field(row, "name");
	const char *cli = str_field(row, "cli_type");
	const char *td = str_field(row, "tool_display");

	buf_printf(&b, "**Session Status**\nName: **%s**\nMachine: **",
	    name ? name : "(unnamed)");
	put_field(&b, row, "machine_id", "?");
	buf_puts(&b, "**\nPath: `");
	put_field(&b, row, "path", "?");
	buf_printf(&b, "`\nCLI: **%s**\nMode: **%s**\nTool Display: **%s**\nStatus: **",
	    cli ? cli : "claude",
	    display_mode(json_string_value(json_object_get(row, "mode"))),
	    td ? td : "buffer");
	put_field(&b, row, "status", "?");
	buf_puts(&b, "**\nSession ID: `");
	put_field(&b, row, "daemon_session_id", "?");
	buf_puts(&b, "`");
	if (str_field(row, "sdk_session_id") != NULL)
		buf_printf(&b, "\nSDK Session: `%s`", str_field(row, "sdk_session_id"));
	if (json_is_object(stats) && json_object_size(stats) > 0) {
		buf_puts(&b, "\nQueue: ");
		put_field(&b, stats, "userPending", "0");
		buf_puts(&b, " pending messages\nBuffered: ");
		put_field(&b, stats, "responsePending", "0");
		buf_puts(&b, " responses");
	}
	return buf_steal(&b);
}

char *
fmt_health(const char *peer, const json_t *health)
{
	struct buf b = {0};
	json_t *by = json_object_get(health, "sessionsByStatus");
	json_t *mem = json_object_get(health, "memory");
	const char *key;
	json_t *v;
	char *up = fmt_uptime(seconds(json_object_get(health, "uptime")));
	bool first = true;

	buf_printf(&b, "**Daemon Health - %s**\nStatus: %s\nUptime: %s\nSessions: ",
	    peer, truthy(json_object_get(health, "ok")) ? "OK" : "ERROR", up);
	free(up);
	put_field(&b, health, "sessions", "0");
	buf_puts(&b, " (");
	if (json_is_object(by) && json_object_size(by) > 0) {
		json_object_foreach(by, key, v) {
			buf_printf(&b, "%s%s: ", first ? "" : ", ", key);
			put_value(&b, v, "?");
			first = false;
		}
	} else {
		buf_puts(&b, "none");
	}
	buf_puts(&b, ")\nMemory: ");
	put_field(&b, mem, "rss", "?");
	buf_puts(&b, "MB RSS, ");
	put_field(&b, mem, "heapUsed", "?");
	buf_putc(&b, '/');
	put_field(&b, mem, "heapTotal", "?");
	buf_puts(&b, "MB heap\nDaemon: ");
	put_field(&b, health, "version", "?");
	buf_puts(&b, " (PID: ");
	put_field(&b, health, "pid", "?");
	buf_puts(&b, ")");
	return buf_steal(&b);
}

static const char *
monitor_icon(const char *status)
{
	if (status == NULL)
		return "?";
	if (strcmp(status, "idle") == 0)
		return "●";
	if (strcmp(status, "busy") == 0)
		return "◉";
	if (strcmp(status, "error") == 0 || strcmp(status, "destroyed") == 0)
		return "✕";
	return "?";
}

char *
fmt_monitor(const char *peer, const json_t *monitor)
{
	struct buf b = {0};
	json_t *sessions = json_object_get(monitor, "sessions"), *s;
	size_t i, n = json_array_size(sessions);
	char *up;

	if (n == 0)
		return xasprintf("**Monitor - %s**: No active sessions.", peer);
	up = fmt_uptime(seconds(json_object_get(monitor, "uptime")));
	buf_printf(&b, "**Monitor - %s** (uptime: %s, %zu session(s))\n", peer, up, n);
	free(up);
	json_array_foreach(sessions, i, s) {
		json_t *q = json_object_get(s, "queue");
		const char *model = str_field(s, "model");

		buf_printf(&b, "\n%s `",
		    monitor_icon(json_string_value(json_object_get(s, "status"))));
		put_field(&b, s, "sessionId", "?");
		buf_puts(&b, "` **");
		put_field(&b, s, "status", "?");
		buf_printf(&b, "** [%s%s%s]\n  Path: `",
		    display_mode(json_string_value(json_object_get(s, "mode"))),
		    model ? " | " : "", model ? model : "");
		put_field(&b, s, "path", "?");
		buf_printf(&b, "`\n  Client: %s | Queue: ",
		    truthy(json_object_get(q, "clientConnected")) ? "connected" :
		    "**disconnected**");
		put_field(&b, q, "userPending", "0");
		buf_puts(&b, " pending, ");
		put_field(&b, q, "responsePending", "0");
		buf_puts(&b, " buffered\n");
	}
	/* Upstream joins with "\n" and strips the trailing white space. */
	while (b.len > 0 && strchr(" \t\r\n", b.s[b.len - 1]) != NULL)
		b.s[--b.len] = '\0';
	return buf_steal(&b);
}
