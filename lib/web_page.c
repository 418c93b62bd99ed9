/* web_page.c — cc-web's HTML pages.  Every value is escaped (md_html.h);
 * the pages that only show data work without JavaScript, which then only
 * keeps them live.  See web.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "md_html.h"
#include "web_int.h"
#include "webauth.h"

static void
head(struct buf *out, const char *title, const struct websess *s,
    const char *page)
{
	buf_puts(out, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
	    "<meta name=\"referrer\" content=\"same-origin\">");
	if (s) {
		buf_puts(out, "<meta name=\"csrf\" content=\"");
		html_escape_str(out, s->csrf);
		buf_puts(out, "\">");
	}
	buf_puts(out, "<title>");
	html_escape_str(out, title);
	buf_puts(out, " · codecast</title><link rel=\"stylesheet\" href=\"/static/app.css\">"
	    "<script src=\"/static/app.js\" defer></script></head><body data-page=\"");
	html_escape_str(out, page);
	buf_puts(out, "\"><header><a class=\"brand\" href=\"/\">codecast</a>");
	if (s) {
		buf_puts(out, "<form method=\"post\" action=\"/logout\" class=\"inline\">"
		    "<input type=\"hidden\" name=\"csrf\" value=\"");
		html_escape_str(out, s->csrf);
		buf_puts(out, "\"><button type=\"submit\">Log out</button></form>");
	}
	buf_puts(out, "</header><main>");
}

static void
foot(struct buf *out)
{
	buf_puts(out, "</main></body></html>\n");
}

static void
csrf_field(struct buf *out, const struct websess *s)
{
	buf_puts(out, "<input type=\"hidden\" name=\"csrf\" value=\"");
	if (s)
		html_escape_str(out, s->csrf);
	buf_puts(out, "\">");
}

void
web_page_error(struct buf *out, int code, const char *msg)
{
	char t[32];

	snprintf(t, sizeof(t), "%d", code);
	head(out, t, NULL, "error");
	buf_printf(out, "<h1>%d</h1><p>", code);
	html_escape_str(out, msg);
	buf_puts(out, "</p><p><a href=\"/\">Back to the dashboard</a></p>");
	foot(out);
}

void
web_page_login(struct buf *out, const char *error)
{
	head(out, "Log in", NULL, "login");
	buf_puts(out, "<h1>Log in</h1>");
	if (error) {
		buf_puts(out, "<p class=\"error\" role=\"alert\">");
		html_escape_str(out, error);
		buf_puts(out, "</p>");
	}
	buf_puts(out, "<form method=\"post\" action=\"/login\" class=\"login\">"
	    "<label>Password <input type=\"password\" name=\"password\" "
	    "autocomplete=\"current-password\" required autofocus></label> "
	    "<button type=\"submit\">Log in</button></form>"
	    "<p class=\"hint\">The password is set on the head with "
	    "<code>cc-web passwd</code>.</p>");
	foot(out);
}

/* Replace the @CSRF@ placeholders of the live parts with s's token. */
static void
put_live(struct buf *out, const char *html, const struct websess *s)
{
	const char *p = html, *q;

	while ((q = strstr(p, "@CSRF@")) != NULL) {
		buf_append(out, p, (size_t)(q - p));
		html_escape_str(out, s->csrf);
		p = q + 6;
	}
	buf_puts(out, p);
}

void
web_page_dashboard(struct web *w, const struct websess *s, const char *q,
    struct buf *out)
{
	struct buf part = { 0 };
	size_t i, j;

	head(out, "Dashboard", s, "dash");
	buf_puts(out, "<h1>Dashboard</h1><section><h2>Peers</h2>"
	    "<table class=\"grid\"><thead><tr><th>Peer</th><th>Transport</th>"
	    "<th>Host</th><th>Status</th><th>Daemon</th><th>Version</th>"
	    "<th>Latency</th></tr></thead><tbody id=\"peers\">");
	web_dash_peers_html(w, &part);
	buf_puts(out, part.s ? part.s : "");
	buf_clear(&part);
	buf_puts(out, "</tbody></table>");

	buf_puts(out, "<form method=\"post\" action=\"/action\" class=\"start\">");
	csrf_field(out, s);
	buf_puts(out, "<input type=\"hidden\" name=\"act\" value=\"start\">"
	    "<label>Peer <select name=\"peer\" required>");
	for (i = 0; i < w->cfg->npeers; i++) {
		const struct peer *p = &w->cfg->peers[i];

		if (config_peer_jump_only(w->cfg, p))
			continue;
		buf_puts(out, "<option value=\"");
		html_escape_str(out, p->id);
		buf_puts(out, "\">");
		html_escape_str(out, p->id);
		buf_puts(out, "</option>");
	}
	buf_puts(out, "</select></label> <label>Path <input name=\"path\" required "
	    "list=\"paths\" placeholder=\"~/Projects/app\"></label><datalist id=\"paths\">");
	for (i = 0; i < w->cfg->npeers; i++)
		for (j = 0; j < w->cfg->peers[i].default_paths.n; j++) {
			buf_puts(out, "<option value=\"");
			html_escape_str(out, w->cfg->peers[i].default_paths.v[j]);
			buf_puts(out, "\">");
		}
	buf_puts(out, "</datalist> <label>CLI <select name=\"cli\"><option>claude"
	    "</option><option>codex</option><option>gemini</option><option>opencode"
	    "</option></select></label> <button type=\"submit\">Start a session"
	    "</button></form></section>");

	buf_puts(out, "<section><h2>Sessions</h2><form method=\"get\" action=\"/\" "
	    "class=\"search\"><input type=\"search\" name=\"q\" id=\"q\" "
	    "placeholder=\"search name, peer, path, status\" value=\"");
	html_escape_str(out, q);
	buf_puts(out, "\"> <button type=\"submit\">Search</button></form>"
	    "<table class=\"grid\"><thead><tr><th>Name</th><th>Peer</th><th>Path</th>"
	    "<th>Mode</th><th>Status</th><th>Channel</th><th>Last activity</th>"
	    "<th></th></tr></thead><tbody id=\"sessions\">");
	web_dash_sessions_html(w, q, &part);
	put_live(out, part.s ? part.s : "", s);
	buf_clear(&part);
	buf_puts(out, "</tbody></table></section>");

	buf_puts(out, "<section><h2>Head</h2><div id=\"head\">");
	web_dash_head_html(w, &part);
	buf_puts(out, part.s ? part.s : "");
	buf_free(&part);
	buf_puts(out, "</div></section>");

	/* The console: a chat channel of its own for commands without a
	 * session (/ls, /rm-session …) and the answers to the actions. */
	buf_puts(out, "<section><h2>Console</h2>");
	{
		struct wchan *c = web_chan(w, "console");
		struct witem *it;

		buf_puts(out, "<div class=\"log\" id=\"log\" data-chan=\"console\">");
		for (it = c->head; it; it = it->next)
			web_item_html(w, c, it->ev, s->csrf, out);
		buf_puts(out, "</div><form method=\"post\" action=\"/chat/console/send\" "
		    "class=\"say\" id=\"say\">");
		csrf_field(out, s);
		buf_puts(out, "<input name=\"text\" required autocomplete=\"off\" "
		    "placeholder=\"/ls machine, /ls session, /help\" aria-label=\"command\"> "
		    "<button type=\"submit\">Send</button></form></section>");
	}
	foot(out);
}

void
web_item_html(struct web *w, struct wchan *c, const json_t *ev, const char *csrf,
    struct buf *out)
{
	const char *k = json_string_value(json_object_get(ev, "k"));
	const char *id = json_string_value(json_object_get(ev, "id"));
	const char *html = json_string_value(json_object_get(ev, "html"));

	(void)w;
	if (k == NULL || strcmp(k, "del") == 0 || id == NULL)
		return;
	buf_printf(out, "<div class=\"msg %s\" id=\"m-", k);
	html_escape_str(out, id);
	buf_puts(out, "\">");
	if (strcmp(k, "file") == 0) {
		buf_puts(out, "<a download href=\"");
		html_escape_str(out, json_string_value(json_object_get(ev, "url")));
		buf_puts(out, "\">");
		html_escape_str(out, json_string_value(json_object_get(ev, "name")));
		buf_printf(out, "</a> <small>(%lld bytes)</small>",
		    (long long)json_integer_value(json_object_get(ev, "size")));
	}
	/* html is ours: rendered and escaped by md_html or html_escape. */
	buf_puts(out, html ? html : "");
	if (strcmp(k, "ask") == 0) {
		const char *ref = json_string_value(json_object_get(ev, "ref"));
		const char *ans = json_string_value(json_object_get(ev, "answered"));
		json_t *o;
		size_t i;

		buf_puts(out, "<div class=\"opts\">");
		json_array_foreach(json_object_get(ev, "options"), i, o) {
			buf_puts(out, "<form method=\"post\" class=\"inline\" action=\"/chat/");
			html_escape_str(out, c->id);
			buf_puts(out, "/button\"><input type=\"hidden\" name=\"csrf\" value=\"");
			html_escape_str(out, csrf);
			buf_puts(out, "\"><input type=\"hidden\" name=\"ref\" value=\"");
			html_escape_str(out, ref);
			buf_puts(out, "\"><input type=\"hidden\" name=\"value\" value=\"");
			html_escape_str(out, json_string_value(json_object_get(o, "value")));
			buf_printf(out, "\"><button type=\"submit\"%s>", ans ? " disabled" : "");
			html_escape_str(out, json_string_value(json_object_get(o, "label")));
			buf_puts(out, "</button></form>");
		}
		buf_puts(out, "</div>");
		if (ans) {
			buf_puts(out, "<small>answered: ");
			html_escape_str(out, ans);
			buf_puts(out, "</small>");
		}
	}
	buf_puts(out, "</div>");
}

void
web_page_chat_meta(const json_t *row, const struct websess *s,
    const struct wchan *c, struct buf *out)
{
	const char *name = row ? json_string_value(json_object_get(row, "name")) : NULL;

	buf_puts(out, "<div id=\"meta\"><h1>");
	html_escape_str(out, name ? name : "New chat");
	buf_puts(out, "</h1><p class=\"meta\">");
	if (row) {
		buf_puts(out, "<b>");
		html_escape_str(out, json_string_value(json_object_get(row, "machine_id")));
		buf_puts(out, "</b>:<code>");
		html_escape_str(out, json_string_value(json_object_get(row, "path")));
		buf_puts(out, "</code> · mode ");
		html_escape_str(out, json_string_value(json_object_get(row, "mode")));
		buf_puts(out, " · ");
		html_escape_str(out, json_string_value(json_object_get(row, "status")));
	} else
		buf_puts(out, "No session on this channel yet: <code>/start PEER PATH"
		    "</code> or <code>/resume NAME</code>.");
	buf_puts(out, " · channel <code>");
	html_escape_str(out, c->name);
	buf_puts(out, "</code> <form method=\"post\" class=\"inline\" action=\"/chat/");
	html_escape_str(out, c->id);
	buf_puts(out, "/send\">");
	csrf_field(out, s);
	buf_puts(out, "<input type=\"hidden\" name=\"text\" value=\"/interrupt\">"
	    "<button type=\"submit\">Interrupt</button></form></p></div>");
}

void
web_page_chat(struct web *w, const struct websess *s, struct wchan *c,
    struct buf *out)
{
	json_t *row = web_dash_channel_session(w, c->name);
	const char *name = row ? json_string_value(json_object_get(row, "name")) : NULL;
	struct witem *it;

	head(out, name ? name : c->name, s, "chat");
	web_page_chat_meta(row, s, c, out);
	json_decref(row);
	buf_puts(out, "<div class=\"log\" id=\"log\" data-chan=\"");
	html_escape_str(out, c->id);
	buf_puts(out, "\">");
	for (it = c->head; it; it = it->next)
		web_item_html(w, c, it->ev, s->csrf, out);
	buf_puts(out, "</div><p id=\"typing\" class=\"typing\" hidden>working…</p>"
	    "<form method=\"post\" class=\"say\" id=\"say\" action=\"/chat/");
	html_escape_str(out, c->id);
	buf_puts(out, "/send\">");
	csrf_field(out, s);
	buf_puts(out, "<textarea name=\"text\" rows=\"3\" required "
	    "placeholder=\"Message, or a /command (Enter sends, Shift+Enter a new line)\" "
	    "aria-label=\"message\"></textarea><input type=\"hidden\" name=\"files\" "
	    "value=\"\"><div class=\"row\"><input type=\"file\" id=\"upload\" multiple "
	    "aria-label=\"attach files\"><span id=\"attached\"></span>"
	    "<button type=\"submit\">Send</button></div></form>");
	foot(out);
}
