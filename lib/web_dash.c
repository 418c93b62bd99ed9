/* web_dash.c — what cc-web's dashboard shows: each peer's status (a
 * `cc-deploy status PEER` child per peer, never blocking the loop; the
 * time it took is the latency shown), the sessions of the registry, and
 * cc-head's status when cc-head is installed.  Changes go to the open
 * dashboards over SSE.  See web.h. */
#include <ctype.h>
#include <err.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/wait.h>

#include <jansson.h>

#include "md_html.h"
#include "proc.h"
#include "sessdb.h"
#include "web_int.h"

#define SESSIONS_EVERY_MS	3000
#define HEAD_EVERY_MS		10000
#define CHECK_TIMEOUT_MS	20000

/* A tool next to our own executable, else in PATH, else NULL. */
static char *
find_tool(const char *name)
{
	char self[PATH_MAX], *cand, *path, *dir, *save = NULL;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		char *slash;

		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			cand = xasprintf("%s/%s", self, name);
			if (access(cand, X_OK) == 0)
				return cand;
			free(cand);
		}
	}
	path = xstrdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	for (dir = strtok_r(path, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		cand = xasprintf("%s/%s", *dir ? dir : ".", name);
		if (access(cand, X_OK) == 0) {
			free(path);
			return cand;
		}
		free(cand);
	}
	free(path);
	return NULL;
}

void
web_dash_init(struct web *w)
{
	size_t i;

	w->deploy_path = find_tool("cc-deploy");
	if (w->deploy_path == NULL)
		w->deploy_path = xstrdup("cc-deploy");
	w->head_path = find_tool("cc-head");
	/* The peers cc-deploy status checks by default: all but jump-only
	 * ones (peerstatus.h is not linked: it would bring libssh2 and
	 * libcurl into a process that only runs children). */
	w->peers = xcalloc(w->cfg->npeers + 1, sizeof(*w->peers));
	for (i = 0; i < w->cfg->npeers; i++)
		if (!config_peer_jump_only(w->cfg, &w->cfg->peers[i]))
			w->peers[w->npeers++].peer = &w->cfg->peers[i];
}

void
web_dash_free(struct web *w)
{
	for (size_t i = 0; i < w->npeers; i++)
		json_decref(w->peers[i].row);
	free(w->peers);
	json_decref(w->head_rows);
	json_decref(w->head_new);
	free(w->head_err);
	free(w->deploy_path);
	free(w->head_path);
	free(w->peers_html);
	free(w->sessions_html);
	free(w->head_html);
}

/* ---- peers ----------------------------------------------------------------- */

/* A peer that could not be asked (peerstatus.h's row). */
static json_t *
offline_row(const struct peer *p)
{
	return json_pack("{s:s, s:s, s:s, s:n, s:n}", "peer", p->id, "status", "offline",
	    "daemon", "unknown", "port", "version");
}

static void
peer_line(struct proc *p, const char *line, size_t len, void *arg)
{
	struct peerstate *ps = arg;
	json_t *row = json_loadb(line, len, 0, NULL);

	(void)p;
	if (json_is_object(row)) {
		json_decref(ps->row);
		ps->row = row;
	} else
		json_decref(row);
}

static void
peer_exit(struct proc *p, int status, const char *err, void *arg)
{
	struct peerstate *ps = arg;
	long long now = monotonic_ms();

	(void)p;
	(void)err;
	ps->p = NULL;
	ps->latency_ms = (long)(now - ps->started);
	ps->started = 0;
	ps->checked = now;
	/* No row: it could not even say offline (killed by the timeout). */
	if (ps->row == NULL || (WIFSIGNALED(status))) {
		json_decref(ps->row);
		ps->row = offline_row(ps->peer);
	}
}

static void
check_peer(struct web *w, struct peerstate *ps)
{
	char *argv[] = { w->deploy_path, "-c", w->cfg->path, "status",
	    ps->peer->id, NULL };
	struct proc_opts o = { 0 };
	char *err = NULL;

	o.argv = argv;
	o.on_line = peer_line;
	o.on_exit = peer_exit;
	o.arg = ps;
	o.max_line = 1 << 20;
	o.timeout_ms = CHECK_TIMEOUT_MS;
	json_decref(ps->row);
	ps->row = NULL;
	ps->started = monotonic_ms();
	ps->p = proc_start(w->procs, &o, &err);
	if (ps->p == NULL) {
		warnx("%s: %s", w->deploy_path, err);
		free(err);
		ps->started = 0;
		ps->checked = monotonic_ms();
		ps->row = offline_row(ps->peer);
	}
}

static const char *
jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void
badge(struct buf *out, const char *what, bool good)
{
	buf_printf(out, "<span class=\"badge %s\">", good ? "ok" : "bad");
	html_escape_str(out, what);
	buf_puts(out, "</span>");
}

void
web_dash_peers_html(struct web *w, struct buf *out)
{
	size_t i;

	if (w->npeers == 0)
		buf_puts(out, "<tr><td colspan=\"7\">No peers in the config "
		    "(add one with <code>/add-peer</code> or in config.yaml).</td></tr>");
	for (i = 0; i < w->npeers; i++) {
		const struct peerstate *ps = &w->peers[i];
		const struct peer *p = ps->peer;
		const json_t *r = ps->row;
		const char *host = p->host ? p->host : p->address ? p->address :
		    p->transport == TRANSPORT_LOCAL ? "localhost" : "-";

		buf_puts(out, "<tr><td>");
		html_escape_str(out, p->id);
		buf_puts(out, "</td><td>");
		html_escape_str(out, transport_name(p->transport));
		buf_puts(out, "</td><td>");
		html_escape_str(out, host);
		buf_puts(out, "</td><td>");
		if (r == NULL)
			buf_puts(out, "<span class=\"badge\">checking…</span>");
		else
			badge(out, jstr(r, "status") ? jstr(r, "status") : "?",
			    jstr(r, "status") && strcmp(jstr(r, "status"), "online") == 0);
		buf_puts(out, "</td><td>");
		if (r)
			badge(out, jstr(r, "daemon") ? jstr(r, "daemon") : "?",
			    jstr(r, "daemon") && strcmp(jstr(r, "daemon"), "running") == 0);
		buf_puts(out, "</td><td>");
		html_escape_str(out, r && jstr(r, "version") ? jstr(r, "version") : "-");
		buf_puts(out, "</td><td>");
		if (r && ps->checked)
			buf_printf(out, "%ld ms", ps->latency_ms);
		else
			buf_puts(out, "-");
		buf_puts(out, "</td></tr>");
	}
}

/* ---- sessions -------------------------------------------------------------- */

static bool
matches(const json_t *row, const char *q)
{
	static const char *keys[] = { "name", "machine_id", "path", "channel_id",
	    "status", "mode", "daemon_session_id", "cli_type" };

	if (q == NULL || *q == '\0')
		return true;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v = jstr(row, keys[i]);

		if (v && strcasestr(v, q))
			return true;
	}
	return false;
}

static void
hidden(struct buf *out, const char *name, const char *value)
{
	buf_printf(out, "<input type=\"hidden\" name=\"%s\" value=\"", name);
	html_escape_str(out, value);
	buf_puts(out, "\">");
}

/* A small POST form with the CSRF token filled in by the page (the token
 * is per login; the live HTML is the same for every viewer, so the page's
 * script or the placeholder below supplies it). */
static void
action_form(struct buf *out, const char *act, const char *name, const char *label,
    const char *extra, const char *cls)
{
	buf_printf(out, "<form method=\"post\" action=\"/action\" class=\"inline%s%s\">",
	    cls ? " " : "", cls ? cls : "");
	buf_puts(out, "<input type=\"hidden\" name=\"csrf\" value=\"@CSRF@\">");
	hidden(out, "act", act);
	hidden(out, "name", name);
	if (extra)
		buf_puts(out, extra);
	buf_printf(out, "<button type=\"submit\">%s</button></form>", label);
}

void
web_dash_sessions_html(struct web *w, const char *q, struct buf *out)
{
	json_t *rows = NULL, *r;
	char *err = NULL;
	size_t i, shown = 0;

	if (w->db == NULL || sessdb_list(w->db, false, NULL, NULL, &rows, &err) < 0) {
		buf_puts(out, "<tr><td colspan=\"8\">The session registry cannot be read: ");
		html_escape_str(out, err ? err : "not open");
		buf_puts(out, "</td></tr>");
		free(err);
		return;
	}
	json_array_foreach(rows, i, r) {
		const char *name = jstr(r, "name"), *ch = jstr(r, "channel_id");
		const char *status = jstr(r, "status"), *sid = jstr(r, "daemon_session_id");
		const char *key = name && *name ? name : sid ? sid : "";
		bool web = ch && strncmp(ch, "web:", 4) == 0 && web_chan_id_ok(ch + 4);
		bool active = status && strcmp(status, "active") == 0;

		if (!matches(r, q))
			continue;
		shown++;
		buf_puts(out, "<tr><td>");
		if (web) {
			buf_puts(out, "<a href=\"/chat/");
			html_escape_str(out, ch + 4);
			buf_puts(out, "\">");
			html_escape_str(out, key);
			buf_puts(out, "</a>");
		} else
			html_escape_str(out, key);
		buf_puts(out, "</td><td>");
		html_escape_str(out, jstr(r, "machine_id"));
		buf_puts(out, "</td><td><code>");
		html_escape_str(out, jstr(r, "path"));
		buf_puts(out, "</code></td><td>");
		html_escape_str(out, jstr(r, "mode"));
		buf_puts(out, "</td><td>");
		badge(out, status ? status : "?", active);
		buf_puts(out, "</td><td>");
		html_escape_str(out, ch);
		buf_puts(out, "</td><td>");
		html_escape_str(out, jstr(r, "updated_at"));
		buf_puts(out, "</td><td class=\"acts\">");
		if (status && strcmp(status, "destroyed") != 0) {
			if (!web || !active)
				action_form(out, "resume", key, "Resume here", NULL, NULL);
			if (web && active) {
				action_form(out, "interrupt", key, "Interrupt", NULL, NULL);
				action_form(out, "rename", key, "Rename",
				    "<input name=\"new\" size=\"10\" required "
				    "pattern=\"[a-z0-9][a-z0-9-]*\" aria-label=\"new name\">",
				    NULL);
			}
			action_form(out, "destroy", key, "Destroy", NULL, "confirm");
		}
		buf_puts(out, "</td></tr>");
	}
	if (shown == 0)
		buf_puts(out, q && *q ? "<tr><td colspan=\"8\">No session matches.</td></tr>" :
		    "<tr><td colspan=\"8\">No sessions yet: start one above.</td></tr>");
	json_decref(rows);
}

json_t *
web_dash_session(struct web *w, const char *name)
{
	json_t *row = NULL;
	char *err = NULL;

	if (w->db == NULL || sessdb_find(w->db, name, &row, &err) != 0) {
		free(err);
		return NULL;
	}
	return row;
}

json_t *
web_dash_channel_session(struct web *w, const char *channel)
{
	json_t *row = NULL;
	char *err = NULL;

	if (w->db == NULL || sessdb_resolve(w->db, channel, &row, &err) != 0) {
		free(err);
		return NULL;
	}
	return row;
}

/* ---- cc-head --------------------------------------------------------------- */

static void
head_line(struct proc *p, const char *line, size_t len, void *arg)
{
	struct web *w = arg;
	json_t *row = json_loadb(line, len, 0, NULL);

	(void)p;
	if (json_is_object(row))
		json_array_append_new(w->head_new, row);
	else
		json_decref(row);
}

static void
head_exit(struct proc *p, int status, const char *err, void *arg)
{
	struct web *w = arg;

	(void)p;
	w->head_proc = NULL;
	w->head_checked = monotonic_ms();
	free(w->head_err);
	w->head_err = NULL;
	if (json_array_size(w->head_new) == 0) {
		char *st = proc_status_text(status);
		char *e = xstrdup(err ? err : "");

		str_trim(e);
		w->head_err = xasprintf("cc-head status: %s%s%s", st, *e ? ": " : "", e);
		free(st);
		free(e);
	}
	json_decref(w->head_rows);
	w->head_rows = w->head_new;
	w->head_new = NULL;
}

static void
check_head(struct web *w)
{
	char *argv[] = { w->head_path, "-c", w->cfg->path, "status", NULL };
	struct proc_opts o = { 0 };
	char *err = NULL;

	o.argv = argv;
	o.on_line = head_line;
	o.on_exit = head_exit;
	o.arg = w;
	o.max_line = 1 << 20;
	o.timeout_ms = 10000;
	json_decref(w->head_new);
	w->head_new = json_array();
	w->head_proc = proc_start(w->procs, &o, &err);
	if (w->head_proc == NULL) {
		free(w->head_err);
		w->head_err = xasprintf("cc-head status: %s", err);
		free(err);
		w->head_checked = monotonic_ms();
	}
}

void
web_ago(struct buf *out, long long ms)
{
	long long s = ms / 1000;

	if (s < 60)
		buf_printf(out, "%llds", s);
	else if (s < 3600)
		buf_printf(out, "%lldm %llds", s / 60, s % 60);
	else if (s < 86400)
		buf_printf(out, "%lldh %lldm", s / 3600, (s % 3600) / 60);
	else
		buf_printf(out, "%lldd %lldh", s / 86400, (s % 86400) / 3600);
}

void
web_dash_head_html(struct web *w, struct buf *out)
{
	long long now = monotonic_ms();
	size_t i;
	json_t *r;

	buf_puts(out, "<p>This cc-web: up ");
	web_ago(out, now - w->started);
	if (w->ec.pid > 0) {
		buf_printf(out, "; its cc-engine (pid %ld) up ", (long)w->ec.pid);
		web_ago(out, now - w->engine_since);
		if (w->engine_starts > 1)
			buf_printf(out, ", restarted %d times", w->engine_starts - 1);
	} else {
		buf_puts(out, "; its cc-engine is <span class=\"badge bad\">down</span>");
	}
	if (w->engine_last) {
		buf_puts(out, " (last ended: ");
		html_escape_str(out, w->engine_last);
		buf_puts(out, ")");
	}
	buf_printf(out, "; %zu live streams.</p>", w->nsse);
	if (w->head_path == NULL) {
		buf_puts(out, "<p>cc-head is not installed here, so the other bridges "
		    "cannot be shown.</p>");
		return;
	}
	if (w->head_rows == NULL) {
		buf_puts(out, "<p>Asking cc-head…</p>");
		return;
	}
	if (w->head_err) {
		buf_puts(out, "<p>cc-head: no status (");
		html_escape_str(out, w->head_err);
		buf_puts(out, ").</p>");
		return;
	}
	/* cc-head status: one object per line; shown as they come. */
	buf_puts(out, "<table><tbody>");
	json_array_foreach(w->head_rows, i, r) {
		const char *k;
		json_t *v;

		buf_puts(out, "<tr><td>");
		json_object_foreach(r, k, v) {
			char *s = json_is_string(v) ? xstrdup(json_string_value(v)) :
			    json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

			buf_puts(out, "<b>");
			html_escape_str(out, k);
			buf_puts(out, "</b> ");
			html_escape_str(out, s ? s : "");
			buf_puts(out, " &nbsp; ");
			free(s);
		}
		buf_puts(out, "</td></tr>");
	}
	buf_puts(out, "</tbody></table>");
}

/* ---- the tick ---------------------------------------------------------------- */

/* Send part to the dashboards when it changed. */
static void
publish(struct web *w, const char *event, char **last, struct buf *now)
{
	if (*last && now->s && strcmp(*last, now->s) == 0) {
		buf_free(now);
		return;
	}
	free(*last);
	*last = buf_steal(now);
	web_sse_broadcast_dash(w, event, json_pack("{s:s}", "html", *last));
}

void
web_dash_tick(struct web *w)
{
	long long now = monotonic_ms();
	long long every = (long long)((w->o->refresh > 0 ? w->o->refresh : 10) * 1000);
	struct buf b = { 0 };
	size_t i;

	/* Peers are checked only while someone looks (and once at start). */
	for (i = 0; i < w->npeers; i++) {
		struct peerstate *ps = &w->peers[i];

		if (ps->p == NULL && (ps->checked == 0 ||
		    (w->dash && now - ps->checked >= every)))
			check_peer(w, ps);
	}
	if (w->head_path && w->head_proc == NULL &&
	    (w->head_checked == 0 || (w->dash && now - w->head_checked >= HEAD_EVERY_MS)))
		check_head(w);
	/* An open chat's heading follows its session (a /start, a /resume, a
	 * status) without a reload. */
	if (now - w->meta_at >= SESSIONS_EVERY_MS) {
		w->meta_at = now;
		for (struct wchan *c = w->chans; c; c = c->next) {
			if (c->clients == NULL)
				continue;
			json_t *row = web_dash_channel_session(w, c->name);

			web_page_chat_meta(row, NULL, c, &b);
			json_decref(row);
			if (c->meta_html && b.s && strcmp(c->meta_html, b.s) == 0) {
				buf_free(&b);
				continue;
			}
			free(c->meta_html);
			c->meta_html = buf_steal(&b);
			web_chan_broadcast(c, "meta", json_pack("{s:s}", "html",
			    c->meta_html));
		}
	}
	if (w->dash == NULL)
		return;
	web_dash_peers_html(w, &b);
	publish(w, "peers", &w->peers_html, &b);
	if (now - w->sessions_at >= SESSIONS_EVERY_MS) {
		w->sessions_at = now;
		web_dash_sessions_html(w, NULL, &b);
		publish(w, "sessions", &w->sessions_html, &b);
	}
	web_dash_head_html(w, &b);
	publish(w, "head", &w->head_html, &b);
}
