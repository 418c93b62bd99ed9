/* web.c — cc-web's server: listening (HTTPS off loopback), the checks every
 * request passes (Host, then Origin, cookie and CSRF token for anything
 * that changes state), the routes, and the life of its cc-engine.  See
 * web.h and cc-web(1). */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/ssl.h>
#include <sodium.h>

#include "attach.h"
#include "bridge.h"
#include "daemon_tls.h"
#include "listen.h"
#include "md_html.h"
#include "paths.h"
#include "proc.h"
#include "sessdb.h"
#include "web_int.h"
#include "webauth.h"

#define SESSION_TTL_MS		(12LL * 3600 * 1000)
#define SESSION_IDLE_MS		(2LL * 3600 * 1000)
#define MAX_LOGINS		32
#define PING_EVERY_MS		15000

static const char CSP[] = "default-src 'none'; script-src 'self'; "
    "style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'";

/* ---- responses ------------------------------------------------------------- */

static void
headers(struct evhttp_request *req, const char *ctype, bool cache)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	if (ctype)
		evhttp_add_header(h, "Content-Type", ctype);
	evhttp_add_header(h, "Content-Security-Policy", CSP);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Referrer-Policy", "same-origin");
	evhttp_add_header(h, "Cross-Origin-Opener-Policy", "same-origin");
	evhttp_add_header(h, "Cross-Origin-Resource-Policy", "same-origin");
	evhttp_add_header(h, "Cache-Control", cache ? "max-age=300" : "no-store");
}

static void
reply(struct evhttp_request *req, int code, const char *ctype, const char *body,
    size_t len)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL)
		errx(1, "out of memory");
	headers(req, ctype, false);
	evbuffer_add(b, body, len);
	evhttp_send_reply(req, code, NULL, b);
	evbuffer_free(b);
}

static void
reply_html(struct evhttp_request *req, int code, struct buf *html)
{
	reply(req, code, "text/html; charset=utf-8", html->s ? html->s : "", html->len);
	buf_free(html);
}

static bool
wants_json(struct evhttp_request *req)
{
	const char *a = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Accept");

	return a && strstr(a, "application/json") != NULL;
}

/* A refusal: JSON for the page's script, else a small page. */
static void
refuse(struct evhttp_request *req, int code, const char *msg)
{
	if (wants_json(req)) {
		json_t *j = json_pack("{s:s}", "error", msg);
		char *s = json_dumps(j, JSON_COMPACT);

		reply(req, code, "application/json", s, strlen(s));
		free(s);
		json_decref(j);
	} else {
		struct buf b = { 0 };

		web_page_error(&b, code, msg);
		reply_html(req, code, &b);
	}
}

/* Done: the script gets {"go": where}, a plain form a redirect there. */
static void
done(struct evhttp_request *req, const char *go)
{
	if (wants_json(req)) {
		json_t *j = json_pack("{s:b, s:s}", "ok", 1, "go", go);
		char *s = json_dumps(j, JSON_COMPACT);

		reply(req, 200, "application/json", s, strlen(s));
		free(s);
		json_decref(j);
		return;
	}
	headers(req, NULL, false);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Location", go);
	evhttp_send_reply(req, 303, "See Other", NULL);
}

static void
set_cookie(struct web *w, struct evhttp_request *req, const char *value, long max_age)
{
	char *c = xasprintf("%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%ld%s",
	    w->cookie_name, value, max_age, w->https ? "; Secure" : "");

	evhttp_add_header(evhttp_request_get_output_headers(req), "Set-Cookie", c);
	sodium_memzero(c, strlen(c));
	free(c);
}

/* ---- request checks -------------------------------------------------------- */

static const char *
in_header(struct evhttp_request *req, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(req), name);
}

static bool
name_allowed(struct web *w, const char *name)
{
	unsigned char a[16];
	size_t i;

	if (strcasecmp(name, "localhost") == 0 ||
	    inet_pton(AF_INET, name, a) == 1 || inet_pton(AF_INET6, name, a) == 1)
		return true;
	for (i = 0; i < w->o->nallow; i++)
		if (strcasecmp(name, w->o->allow_hosts[i]) == 0)
			return true;
	return false;
}

/* The Host header names us: localhost, an IP literal, or a name given with
 * --allow-host, with our port.  A DNS name an attacker controls (DNS
 * rebinding) is none of these. */
static bool
host_ok(struct web *w, const char *host)
{
	char *h, *name, *port = NULL, *end;
	bool ok = false;
	long p;

	if (host == NULL || *host == '\0' || strlen(host) > 255)
		return false;
	h = xstrdup(host);
	if (h[0] == '[') {
		name = h + 1;
		if ((end = strchr(name, ']')) == NULL)
			goto out;
		*end = '\0';
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0')
			goto out;
		{
			unsigned char a[16];

			if (inet_pton(AF_INET6, name, a) != 1)
				goto out;
		}
	} else {
		name = h;
		if ((end = strchr(h, ':')) != NULL) {
			*end = '\0';
			port = end + 1;
		}
	}
	if (port) {
		if (*port == '\0' || strspn(port, "0123456789") != strlen(port))
			goto out;
		p = strtol(port, NULL, 10);
	} else
		p = w->https ? 443 : 80;
	ok = p == w->port && name_allowed(w, name);
out:
	free(h);
	return ok;
}

/* A state-changing request comes from our own pages: its Origin (or, when
 * a browser sends none, its Referer) is this server as the Host header
 * names it. */
static bool
origin_ok(struct web *w, struct evhttp_request *req)
{
	const char *host = in_header(req, "Host"), *o = in_header(req, "Origin");
	char *want;
	bool ok;

	if (host == NULL)
		return false;
	want = xasprintf("%s://%s", w->https ? "https" : "http", host);
	if (o)
		ok = strcasecmp(o, want) == 0;
	else {
		const char *r = in_header(req, "Referer");
		size_t n = strlen(want);

		ok = r && strncasecmp(r, want, n) == 0 && r[n] == '/';
	}
	free(want);
	return ok;
}

/* Our cookie's value, malloc'd, or NULL. */
static char *
cookie(struct web *w, struct evhttp_request *req)
{
	const char *c = in_header(req, "Cookie"), *p;
	size_t n = strlen(w->cookie_name);

	for (p = c; p && *p;) {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, w->cookie_name, n) == 0 && p[n] == '=') {
			const char *v = p + n + 1;

			return xstrndup(v, strcspn(v, ";"));
		}
		p = strchr(p, ';');
	}
	return NULL;
}

static const struct websess *
session_of(struct web *w, struct evhttp_request *req)
{
	char *c = cookie(w, req);
	const struct websess *s = webauth_find(w->auth, c, monotonic_ms());

	free(c);
	return s;
}

static char *
client_addr(struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	char *addr = NULL;
	ev_uint16_t port = 0;

	if (evcon)
		evhttp_connection_get_peer(evcon, &addr, &port);
	return xstrdup(addr ? addr : "?");
}

/* The request body as a string (NUL-terminated), at most max bytes. */
static char *
body(struct evhttp_request *req, size_t max)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(in);
	char *s;

	if (n > max)
		return NULL;
	s = xmalloc(n + 1);
	evbuffer_remove(in, s, n);
	s[n] = '\0';
	return s;
}

/* A urlencoded form (the body, or the query for GET); the caller clears
 * the list. */
static bool
form(struct evhttp_request *req, struct evkeyvalq *kv)
{
	char *b = body(req, WEB_MAX_FORM);
	int rc;

	TAILQ_INIT(kv);
	if (b == NULL)
		return false;
	rc = evhttp_parse_query_str(b, kv);
	sodium_memzero(b, strlen(b));
	free(b);
	return rc == 0;
}

static const char *
field(struct evkeyvalq *kv, const char *k)
{
	return evhttp_find_header(kv, k);
}

static void
form_clear(struct evkeyvalq *kv)
{
	struct evkeyval *e;

	/* Passwords do not linger in freed memory. */
	TAILQ_FOREACH(e, kv, next)
		if (e->value)
			sodium_memzero(e->value, strlen(e->value));
	evhttp_clear_headers(kv);
}

/* ---- routes ------------------------------------------------------------------ */

static void
serve_static(struct evhttp_request *req, const char *path)
{
	const struct web_asset *a;
	struct evbuffer *b;

	for (a = web_assets; a->path; a++)
		if (strcmp(a->path, path) == 0)
			break;
	if (a->path == NULL) {
		refuse(req, 404, "No such page.");
		return;
	}
	headers(req, a->type, true);
	b = evbuffer_new();
	evbuffer_add_reference(b, a->data, a->len, NULL, NULL);
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

static void
login_post(struct web *w, struct evhttp_request *req)
{
	struct evkeyvalq kv;
	char *addr = client_addr(req);
	const char *pw;
	long retry = 0;
	long long now = monotonic_ms();
	struct buf page = { 0 };

	if (!webauth_may_try(w->auth, addr, now, &retry)) {
		char *ra = xasprintf("%ld", retry);

		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", ra);
		free(ra);
		web_page_login(&page, "Too many failed logins: wait a minute.");
		reply_html(req, 429, &page);
		warnx("login: %s: rate limited", addr);
		free(addr);
		return;
	}
	if (!form(req, &kv)) {
		free(addr);
		refuse(req, 400, "Bad form.");
		return;
	}
	pw = field(&kv, "password");
	if (w->pwhash == NULL || pw == NULL || !webauth_check(w->pwhash, pw, strlen(pw))) {
		webauth_failed(w->auth, addr, now);
		warnx("login: %s: wrong password", addr);
		form_clear(&kv);
		web_page_login(&page, w->pwhash ? "Wrong password." :
		    "No password is set: run cc-web passwd.");
		reply_html(req, 403, &page);
		free(addr);
		return;
	}
	form_clear(&kv);
	{
		const struct websess *s = webauth_login(w->auth, now);

		set_cookie(w, req, s->token, (long)(SESSION_TTL_MS / 1000));
	}
	free(addr);
	done(req, "/");
}

/* Send text to the engine as the browser's user would type it. */
static void
say(struct web *w, const char *chan_id, const char *text, json_t *files)
{
	web_chat_user_message(w, web_chan(w, chan_id), text, files);
}

static char *
new_chan_id(void)
{
	static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char r[12];
	char *id = xmalloc(sizeof(r) + 1);

	randombytes_buf(r, sizeof(r));
	for (size_t i = 0; i < sizeof(r); i++)
		id[i] = al[r[i] % (sizeof(al) - 1)];
	id[sizeof(r)] = '\0';
	return id;
}

static bool
one_line(const char *s)
{
	return s && *s && strpbrk(s, "\r\n") == NULL && strlen(s) < 4096;
}

/* The session named, if its channel is a web channel where it is active:
 * the web channel's id (malloc'd). */
static char *
web_channel_of(struct web *w, const char *name)
{
	json_t *row = web_dash_session(w, name);
	const char *ch = row ? json_string_value(json_object_get(row, "channel_id")) : NULL;
	const char *st = row ? json_string_value(json_object_get(row, "status")) : NULL;
	char *id = NULL;

	if (ch && st && strncmp(ch, "web:", 4) == 0 && web_chan_id_ok(ch + 4) &&
	    strcmp(st, "active") == 0)
		id = xstrdup(ch + 4);
	json_decref(row);
	return id;
}

static void
action_post(struct web *w, struct evhttp_request *req, struct evkeyvalq *kv)
{
	const char *act = field(kv, "act"), *name = field(kv, "name");
	char *id = NULL, *text = NULL, *go = NULL;

	if (act == NULL) {
		refuse(req, 400, "No action.");
		return;
	}
	if (strcmp(act, "start") == 0) {
		const char *peer = field(kv, "peer"), *path = field(kv, "path");
		const char *cli = field(kv, "cli");

		if (!one_line(peer) || !one_line(path) || strchr(peer, ' ') ||
		    (cli && *cli && !one_line(cli))) {
			refuse(req, 400, "A peer and a path are needed.");
			return;
		}
		id = new_chan_id();
		text = xasprintf("/start %s %s%s%s", peer, path,
		    cli && *cli && strcmp(cli, "claude") != 0 ? " --cli " : "",
		    cli && *cli && strcmp(cli, "claude") != 0 ? cli : "");
		go = xasprintf("/chat/%s", id);
	} else if (!one_line(name) || strchr(name, ' ')) {
		refuse(req, 400, "No session named.");
		return;
	} else if (strcmp(act, "resume") == 0) {
		id = new_chan_id();
		text = xasprintf("/resume %s", name);
		go = xasprintf("/chat/%s", id);
	} else if (strcmp(act, "destroy") == 0) {
		id = xstrdup("console");
		text = xasprintf("/rm-session %s", name);
		go = xstrdup("/");
	} else if (strcmp(act, "rename") == 0 || strcmp(act, "interrupt") == 0) {
		const char *nn = field(kv, "new");

		if (act[1] == 'e' && (!one_line(nn) || strchr(nn, ' '))) {
			refuse(req, 400, "A new name is needed.");
			return;
		}
		if ((id = web_channel_of(w, name)) == NULL) {
			refuse(req, 409, "That session is not active in a web chat: "
			    "resume it here first.");
			return;
		}
		text = act[1] == 'e' ? xasprintf("/rename %s", nn) : xstrdup("/interrupt");
		go = xstrdup("/");
	} else {
		refuse(req, 400, "Unknown action.");
		return;
	}
	say(w, id, text, NULL);
	done(req, go);
	free(id);
	free(text);
	free(go);
}

static void
send_post(struct web *w, struct evhttp_request *req, struct wchan *c,
    struct evkeyvalq *kv)
{
	const char *text = field(kv, "text"), *ids = field(kv, "files");
	json_t *files = json_array();
	char *go;

	if (ids && *ids) {
		char *copy = xstrdup(ids), *save = NULL, *t;

		for (t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			json_t *f = json_object_get(w->uploads, t);

			if (f) {
				json_array_append(files, f);
				json_object_del(w->uploads, t);
			}
		}
		free(copy);
	}
	if ((text == NULL || *text == '\0') && json_array_size(files) == 0) {
		json_decref(files);
		refuse(req, 400, "Nothing to send.");
		return;
	}
	if (text && strlen(text) > 200000) {
		json_decref(files);
		refuse(req, 413, "The message is too long.");
		return;
	}
	say(w, c->id, text ? text : "", files);
	json_decref(files);
	go = strcmp(c->id, "console") == 0 ? xstrdup("/") : xasprintf("/chat/%s", c->id);
	done(req, go);
	free(go);
}

static void
button_post(struct web *w, struct evhttp_request *req, struct wchan *c,
    struct evkeyvalq *kv)
{
	const char *ref = field(kv, "ref"), *value = field(kv, "value");
	char *go;
	int rc;

	if (!one_line(ref) || value == NULL || strlen(value) > 1000) {
		refuse(req, 400, "Which button?");
		return;
	}
	rc = web_chat_button(w, c, ref, value);
	if (rc == -1) {
		refuse(req, 404, "No such question (or it is too old).");
		return;
	}
	if (rc == 1) {
		refuse(req, 409, "That question was answered already.");
		return;
	}
	go = xasprintf("/chat/%s", c->id);
	done(req, go);
	free(go);
}

/* The browser uploads one file as the request body; it is kept (0600)
 * for the message that names its id. */
static void
upload_post(struct web *w, struct evhttp_request *req, const char *query)
{
	struct evkeyvalq q;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	const char *name;
	char *safe, *path = NULL, *id;
	unsigned char r[8];
	char hex[17];
	int fd;
	json_t *f;

	TAILQ_INIT(&q);
	if (query == NULL || evhttp_parse_query_str(query, &q) != 0 ||
	    (name = evhttp_find_header(&q, "name")) == NULL || *name == '\0') {
		evhttp_clear_headers(&q);
		refuse(req, 400, "A file name is needed.");
		return;
	}
	if (json_object_size(w->uploads) >= 64) {
		evhttp_clear_headers(&q);
		refuse(req, 429, "Too many files waiting: send the message first.");
		return;
	}
	safe = attach_safe_name(name);
	evhttp_clear_headers(&q);
	randombytes_buf(r, sizeof(r));
	sodium_bin2hex(hex, sizeof(hex), r, sizeof(r));
	if (mkdir_p(w->upload_dir, 0700) == -1) {
		warnx("%s: %s", w->upload_dir, strerror(errno));
		free(safe);
		refuse(req, 500, "Cannot store the file.");
		return;
	}
	path = xasprintf("%s/%s-%s", w->upload_dir, hex, safe);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		warnx("%s: %s", path, strerror(errno));
		free(safe);
		free(path);
		refuse(req, 500, "Cannot store the file.");
		return;
	}
	{
		size_t n = evbuffer_get_length(in);
		int rc = 0;

		while (evbuffer_get_length(in) > 0 && rc == 0)
			rc = evbuffer_write(in, fd) < 0 ? -1 : 0;
		if (close(fd) == -1 || rc == -1) {
			warnx("%s: %s", path, strerror(errno));
			(void)unlink(path);
			free(safe);
			free(path);
			refuse(req, 500, "Cannot store the file.");
			return;
		}
		id = xstrdup(hex);
		f = json_pack("{s:s, s:s, s:s, s:I}", "path", path, "name", safe,
		    "mime", attach_guess_mime(safe), "size", (json_int_t)n);
		json_object_set_new(w->uploads, id, f);
		{
			json_t *j = json_pack("{s:s, s:s, s:I}", "id", id, "name", safe,
			    "size", (json_int_t)n);
			char *s = json_dumps(j, JSON_COMPACT);

			reply(req, 200, "application/json", s, strlen(s));
			free(s);
			json_decref(j);
		}
		free(id);
	}
	free(safe);
	free(path);
}

static void
file_get(struct web *w, struct evhttp_request *req, const char *rest)
{
	char *id = xstrndup(rest, strcspn(rest, "/"));
	const char *name = strchr(rest, '/') ? strchr(rest, '/') + 1 : "file";
	char *path, *dec, *safe, *cd;
	struct evbuffer *b;
	struct stat st;
	struct buf enc = { 0 };
	int fd;

	if (!web_file_id_ok(id)) {
		free(id);
		refuse(req, 404, "No such file.");
		return;
	}
	path = xasprintf("%s/%s", w->files_dir, id);
	free(id);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	free(path);
	if (fd == -1 || fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		if (fd != -1)
			close(fd);
		refuse(req, 404, "No such file (files are kept a week).");
		return;
	}
	dec = evhttp_uridecode(name, 0, NULL);
	safe = attach_safe_name(dec ? dec : "file");
	free(dec);
	for (const char *p = safe; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (isalnum(c) || c == '.' || c == '-' || c == '_')
			buf_putc(&enc, (char)c);
		else
			buf_printf(&enc, "%%%02X", c);
	}
	cd = xasprintf("attachment; filename*=UTF-8''%s", enc.s ? enc.s : "file");
	headers(req, "application/octet-stream", false);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Disposition", cd);
	free(cd);
	free(safe);
	buf_free(&enc);
	b = evbuffer_new();
	if (st.st_size > 0)
		evbuffer_add_file(b, fd, 0, st.st_size);
	else
		close(fd);
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct web *w = arg;
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *rawpath = u ? evhttp_uri_get_path(u) : NULL;
	const char *query = u ? evhttp_uri_get_query(u) : NULL;
	const struct websess *s;
	char *path;
	bool post = m == EVHTTP_REQ_POST;

	if (m != EVHTTP_REQ_GET && m != EVHTTP_REQ_HEAD && !post) {
		refuse(req, 405, "Method not allowed.");
		return;
	}
	if (!host_ok(w, in_header(req, "Host"))) {
		/* Not our name: maybe a DNS rebinding attempt. */
		refuse(req, 421, "This server does not answer to that Host.");
		return;
	}
	path = rawpath ? evhttp_uridecode(rawpath, 0, NULL) : NULL;
	if (path == NULL || path[0] != '/' || strstr(path, "..") ||
	    strchr(path, '\0') != path + strlen(path)) {
		free(path);
		refuse(req, 400, "Bad path.");
		return;
	}
	if (post && !origin_ok(w, req)) {
		refuse(req, 403, "Refused: the request does not come from this site.");
		goto out;
	}
	if (!post && strncmp(path, "/static/", 8) == 0) {
		serve_static(req, path + 8);
		goto out;
	}
	if (strcmp(path, "/login") == 0) {
		struct buf b = { 0 };

		if (post)
			login_post(w, req);
		else if (w->pwhash == NULL)
			done(req, "/");
		else {
			web_page_login(&b, NULL);
			reply_html(req, 200, &b);
		}
		goto out;
	}
	s = session_of(w, req);
	if (s == NULL && !post && w->pwhash == NULL &&
	    (strcmp(path, "/") == 0 || strncmp(path, "/chat/", 6) == 0)) {
		/* No password (loopback only): a page view logs in. */
		s = webauth_login(w->auth, monotonic_ms());
		set_cookie(w, req, s->token, (long)(SESSION_TTL_MS / 1000));
	}
	if (s == NULL) {
		if (post || strstr(path, "/events") || strncmp(path, "/file/", 6) == 0)
			refuse(req, 401, "Log in first.");
		else
			done(req, "/login");
		goto out;
	}
	if (post) {
		struct evkeyvalq kv;
		const char *tok = in_header(req, "X-CSRF-Token");
		bool upload = strncmp(path, "/chat/", 6) == 0 && str_ends(path, "/upload");

		TAILQ_INIT(&kv);
		if (!upload && !form(req, &kv)) {
			refuse(req, 400, "Bad form.");
			goto out;
		}
		if (tok == NULL)
			tok = field(&kv, "csrf");
		if (!webauth_csrf_ok(s, tok)) {
			form_clear(&kv);
			refuse(req, 403, "Refused: missing or wrong CSRF token (reload the page).");
			goto out;
		}
		if (strcmp(path, "/logout") == 0) {
			char *c = cookie(w, req);

			webauth_logout(w->auth, c);
			free(c);
			set_cookie(w, req, "", 0);
			done(req, w->pwhash ? "/login" : "/");
		} else if (strcmp(path, "/action") == 0)
			action_post(w, req, &kv);
		else if (strncmp(path, "/chat/", 6) == 0) {
			char *id = xstrndup(path + 6, strcspn(path + 6, "/"));
			const char *op = path + 6 + strlen(id);

			if (!web_chan_id_ok(id))
				refuse(req, 404, "No such chat.");
			else if (strcmp(op, "/send") == 0)
				send_post(w, req, web_chan(w, id), &kv);
			else if (strcmp(op, "/button") == 0)
				button_post(w, req, web_chan(w, id), &kv);
			else if (strcmp(op, "/upload") == 0)
				upload_post(w, req, query);
			else
				refuse(req, 404, "No such page.");
			free(id);
		} else
			refuse(req, 404, "No such page.");
		form_clear(&kv);
		goto out;
	}
	if (strcmp(path, "/") == 0) {
		struct evkeyvalq q;
		struct buf b = { 0 };

		TAILQ_INIT(&q);
		if (query)
			(void)evhttp_parse_query_str(query, &q);
		web_page_dashboard(w, s, evhttp_find_header(&q, "q"), &b);
		evhttp_clear_headers(&q);
		reply_html(req, 200, &b);
	} else if (strcmp(path, "/events") == 0) {
		web_sse_open(w, req, NULL, NULL);
		web_dash_tick(w);
	} else if (strncmp(path, "/chat/", 6) == 0) {
		char *id = xstrndup(path + 6, strcspn(path + 6, "/"));
		const char *op = path + 6 + strlen(id);

		if (!web_chan_id_ok(id))
			refuse(req, 404, "No such chat.");
		else if (*op == '\0') {
			struct buf b = { 0 };

			web_page_chat(w, s, web_chan(w, id), &b);
			reply_html(req, 200, &b);
		} else if (strcmp(op, "/events") == 0) {
			struct evkeyvalq q;
			const char *since = in_header(req, "Last-Event-ID");

			TAILQ_INIT(&q);
			if (query)
				(void)evhttp_parse_query_str(query, &q);
			if (since == NULL)
				since = evhttp_find_header(&q, "since");
			web_sse_open(w, req, web_chan(w, id), since);
			evhttp_clear_headers(&q);
		} else
			refuse(req, 404, "No such page.");
		free(id);
	} else if (strncmp(path, "/file/", 6) == 0)
		file_get(w, req, path + 6);
	else
		refuse(req, 404, "No such page.");
out:
	free(path);
}

/* ---- the engine ---------------------------------------------------------------- */

static void engine_start(struct web *w);

static void engine_ended(struct web *w, int st);

/* After the engine was reaped (a moment later, so that the bridge reads
 * what it wrote before it ended), and when it is to start again. */
static void
engine_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct web *w = arg;

	(void)fd;
	(void)what;
	if (w->engine_reaped) {
		w->engine_reaped = false;
		engine_ended(w, w->engine_status);
		return;
	}
	if (!w->stopping && w->ec.pid <= 0)
		engine_start(w);
}

static void
engine_start(struct web *w)
{
	char *args[] = { "-c", w->cfg->path, NULL };
	char *err = NULL;

	if (engine_child_start(w->engine_path, args, &w->ec, &err) == -1) {
		struct timeval tv = { 5, 0 };

		warnx("%s: %s", w->engine_path, err);
		free(err);
		evtimer_add(w->engine_timer, &tv);
		return;
	}
	w->engine_starts++;
	w->engine_since = monotonic_ms();
	w->b = web_bridge_new(w);
	if (bridge_start_io(w->b, w->ec.from_engine, w->ec.to_engine) == -1)
		errx(1, "cc-engine's pipes: %s", strerror(errno));
}

/* The engine ended: note how, restart it (at once for exit 75, /restart;
 * else after 1 s, doubling to 30 s unless it had run a minute). */
static void
engine_ended(struct web *w, int st)
{
	struct timeval tv = { 0, 0 };
	long long up = monotonic_ms() - w->engine_since;

	bridge_free(w->b);
	w->b = NULL;
	engine_child_close_fds(&w->ec);
	free(w->engine_last);
	w->engine_last = proc_status_text(st);
	if (w->stopping)
		return;
	/* 75 asks for a restart at once; one that comes straight after a
	 * start is a loop, and waits like a crash. */
	if (WIFEXITED(st) && WEXITSTATUS(st) == 75 && up >= 2000) {
		warnx("cc-engine asked for a restart");
		w->engine_backoff_ms = 0;
	} else {
		if (up > 60000 || w->engine_backoff_ms == 0)
			w->engine_backoff_ms = 1000;
		else if (w->engine_backoff_ms < 30000)
			w->engine_backoff_ms *= 2;
		warnx("cc-engine ended (%s); again in %ld s", w->engine_last,
		    w->engine_backoff_ms / 1000);
		tv.tv_sec = w->engine_backoff_ms / 1000;
	}
	evtimer_add(w->engine_timer, &tv);
}

/* ---- life ---------------------------------------------------------------------- */

void
web_stop(struct web *w, int code)
{
	w->stopping = true;
	w->exit_code = code;
	event_base_loopbreak(w->base);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct web *w = arg;

	(void)what;
	(void)sig;
	web_stop(w, 0);
}

static void
on_sigchld(evutil_socket_t sig, short what, void *arg)
{
	struct web *w = arg;
	int st;

	(void)sig;
	(void)what;
	if (w->ec.pid > 0 && engine_child_reap(&w->ec, &st)) {
		struct timeval tv = { 0, 300000 };

		w->engine_status = st;
		w->engine_reaped = true;
		evtimer_add(w->engine_timer, &tv);
	}
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct web *w = arg;
	static long long last_ping;

	(void)fd;
	(void)what;
	web_dash_tick(w);
	if (monotonic_ms() - last_ping >= PING_EVERY_MS) {
		last_ping = monotonic_ms();
		web_sse_ping_all(w);
	}
}

static bool
is_loopback(const char *bind)
{
	unsigned char a[4];

	if (strcmp(bind, "localhost") == 0 || strcmp(bind, "::1") == 0)
		return true;
	return inet_pton(AF_INET, bind, a) == 1 && a[0] == 127;
}

/* Forwarded files older than a week go. */
static void
prune_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	time_t now = time(NULL);

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		struct stat st;

		if (!web_file_id_ok(e->d_name))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    now - st.st_mtime > 7 * 86400)
			(void)unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

static int
tls_setup(struct web *w)
{
	char *cert = w->o->tls_cert ? xstrdup(w->o->tls_cert) : path_state("web-cert.pem");
	char *key = w->o->tls_key ? xstrdup(w->o->tls_key) : path_state("web-key.pem");
	char *err = NULL, fp[DAEMON_TLS_FP_LEN], *d = state_dir(NULL);
	bool created = false;
	int rc = -1;

	free(d);
	if (daemon_tls_ensure_pair_cn(cert, key, w->bind, "cc-web", &created, &err) == -1 ||
	    (w->tls = daemon_tls_ctx_new(cert, key, fp, &err)) == NULL) {
		warnx("tls: %s", err);
		goto out;
	}
	if (created)
		warnx("tls: generated a self-signed certificate: %s", cert);
	warnx("tls: certificate %s", fp);
	rc = 0;
out:
	free(err);
	free(cert);
	free(key);
	return rc;
}

int
web_run(const struct config *cfg, const struct web_opts *o)
{
	struct web w;
	struct evhttp_bound_socket *h;
	char *pwpath, *err = NULL, *dbpath;
	int rc;

	memset(&w, 0, sizeof(w));
	w.cfg = cfg;
	w.o = o;
	w.ec.pid = -1;
	w.ec.to_engine = w.ec.from_engine = -1;
	w.started = monotonic_ms();
	if (sodium_init() == -1)
		errx(1, "libsodium cannot start");
	w.bind = xstrdup(o->bind ? o->bind : cfg->webui.host ? cfg->webui.host : "127.0.0.1");
	w.port = o->port >= 0 ? o->port : cfg->webui.port;
	pwpath = o->passwd_path ? xstrdup(o->passwd_path) : webauth_default_path();
	rc = webauth_load(pwpath, &w.pwhash, &err);
	if (rc == -1) {
		warnx("%s", err);
		free(err);
		free(pwpath);
		free(w.bind);
		return WEB_EXIT_CONFIG;
	}
	if (rc == 1 && !is_loopback(w.bind)) {
		warnx("%s: no password, so it will not listen on %s (only on loopback); "
		    "set one with cc-web passwd", pwpath, w.bind);
		free(pwpath);
		free(w.bind);
		return WEB_EXIT_CONFIG;
	}
	if (rc == 1)
		warnx("no password set (cc-web passwd): anyone who can connect to %s "
		    "can use this UI", w.bind);
	free(pwpath);
	w.https = o->tls || !is_loopback(w.bind);
	if (w.https && tls_setup(&w) == -1) {
		free(w.pwhash);
		free(w.bind);
		return WEB_EXIT_CONFIG;
	}
	w.cookie_name = xstrdup(w.https ? "__Host-ccweb" : "ccweb");
	w.auth = webauth_new(SESSION_TTL_MS, SESSION_IDLE_MS, MAX_LOGINS);
	w.files_dir = o->files_dir ? xstrdup(o->files_dir) : path_state("web-files");
	w.upload_dir = xasprintf("%s/web", cfg->file_forward.download_dir);
	w.uploads = json_object();
	{
		unsigned char r[4];

		randombytes_buf(r, sizeof(r));
		sodium_bin2hex(w.epoch, sizeof(w.epoch), r, sizeof(r));
	}
	prune_files(w.files_dir);
	dbpath = sessdb_default_path();
	if (sessdb_open(dbpath, &w.db, &err) == -1) {
		warnx("%s", err);
		free(err);
		err = NULL;
		w.db = NULL;	/* shown on the dashboard */
	}
	free(dbpath);

	signal(SIGPIPE, SIG_IGN);
	w.base = event_base_new();
	w.http = w.base ? evhttp_new(w.base) : NULL;
	if (w.http == NULL)
		errx(1, "cannot create the event loop");
	evhttp_set_max_body_size(w.http, WEB_MAX_UPLOAD);
	evhttp_set_max_headers_size(w.http, 64 << 10);
	evhttp_set_allowed_methods(w.http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS);
	evhttp_set_timeout(w.http, 60);
	evhttp_set_gencb(w.http, on_request, &w);
	if (w.tls)
		daemon_tls_evhttp(w.http, w.tls);
	h = evhttp_bind_socket_with_handle(w.http,
	    strcmp(w.bind, "localhost") == 0 ? "127.0.0.1" : w.bind, (ev_uint16_t)w.port);
	if (h == NULL || (rc = listen_port(h)) <= 0) {
		warnx("%s port %d: cannot listen: %s", w.bind, w.port, strerror(errno));
		w.exit_code = WEB_EXIT_FAIL;
		goto out;
	}
	w.port = rc;
	if (o->port_file && port_file_write(o->port_file, w.port) == -1)
		warn("%s", o->port_file);
	warnx("listening on %s://%s%s%s:%d/", w.https ? "https" : "http",
	    strchr(w.bind, ':') ? "[" : "", w.bind, strchr(w.bind, ':') ? "]" : "", w.port);

	w.procs = proc_set_new(w.base);
	web_dash_init(&w);
	w.engine_path = engine_child_path();
	w.engine_timer = evtimer_new(w.base, engine_timer_cb, &w);
	w.sigterm = evsignal_new(w.base, SIGTERM, on_signal, &w);
	w.sigint = evsignal_new(w.base, SIGINT, on_signal, &w);
	w.sigchld = evsignal_new(w.base, SIGCHLD, on_sigchld, &w);
	w.tick = event_new(w.base, -1, EV_PERSIST, on_tick, &w);
	if (!w.engine_timer || !w.sigterm || !w.sigint || !w.sigchld || !w.tick ||
	    evsignal_add(w.sigterm, NULL) || evsignal_add(w.sigint, NULL) ||
	    evsignal_add(w.sigchld, NULL))
		errx(1, "cannot install the event handlers");
	{
		struct timeval tv = { 1, 0 };

		event_add(w.tick, &tv);
	}
	engine_start(&w);
	web_dash_tick(&w);
	event_base_dispatch(w.base);

out:
	web_sse_close_all(&w);
	if (w.b) {
		bridge_free(w.b);
		w.b = NULL;
	}
	if (w.ec.pid > 0)
		(void)engine_child_stop(&w.ec, 3000);
	engine_child_close_fds(&w.ec);
	if (w.procs)
		proc_set_free(w.procs);
	web_dash_free(&w);
	web_chat_free(&w);
	if (w.http)
		evhttp_free(w.http);
	if (w.engine_timer)
		event_free(w.engine_timer);
	if (w.sigterm)
		event_free(w.sigterm);
	if (w.sigint)
		event_free(w.sigint);
	if (w.sigchld)
		event_free(w.sigchld);
	if (w.tick)
		event_free(w.tick);
	if (w.base)
		event_base_free(w.base);
	if (w.tls)
		SSL_CTX_free(w.tls);
	sessdb_close(w.db);
	webauth_free(w.auth);
	free(w.pwhash);
	free(w.bind);
	free(w.cookie_name);
	free(w.files_dir);
	free(w.upload_dir);
	free(w.engine_path);
	free(w.engine_last);
	return w.exit_code;
}

/* ---- cc-web passwd ------------------------------------------------------------- */

/* One line from fd, without its newline; NULL at EOF. */
static char *
read_line(int fd)
{
	struct buf b = { 0 };
	char c;
	ssize_t n;

	while ((n = read(fd, &c, 1)) == 1 || (n == -1 && errno == EINTR)) {
		if (n == -1)
			continue;
		if (c == '\n')
			break;
		if (b.len > 4096)
			continue;
		buf_putc(&b, c);
	}
	if (n == 0 && b.len == 0) {
		buf_free(&b);
		return NULL;
	}
	if (b.len && b.s[b.len - 1] == '\r')
		b.s[--b.len] = '\0';
	return buf_steal(&b);
}

static char *
prompt(int tty, const char *what)
{
	struct termios old, quiet;
	char *line;

	(void)!write(tty, what, strlen(what));
	if (tcgetattr(tty, &old) == -1)
		return read_line(tty);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL;
	(void)tcsetattr(tty, TCSAFLUSH, &quiet);
	line = read_line(tty);
	(void)tcsetattr(tty, TCSAFLUSH, &old);
	return line;
}

static void
wipe(char *s)
{
	if (s) {
		sodium_memzero(s, strlen(s));
		free(s);
	}
}

int
web_passwd(const char *path)
{
	char *p = NULL, *again = NULL, *hash = NULL, *err = NULL, *dflt = NULL;
	int rc = WEB_EXIT_FAIL;

	if (sodium_init() == -1)
		errx(1, "libsodium cannot start");
	if (path == NULL)
		path = dflt = webauth_default_path();
	if (isatty(STDIN_FILENO)) {
		int tty = open("/dev/tty", O_RDWR | O_CLOEXEC);

		if (tty == -1)
			tty = STDIN_FILENO;
		p = prompt(tty, "New password: ");
		again = p ? prompt(tty, "Again: ") : NULL;
		if (tty != STDIN_FILENO)
			close(tty);
		if (p == NULL || again == NULL || strcmp(p, again) != 0) {
			warnx("the passwords differ; nothing changed");
			goto out;
		}
	} else if ((p = read_line(STDIN_FILENO)) == NULL) {
		warnx("standard input: no password");
		goto out;
	}
	if (strlen(p) < 8) {
		warnx("a password of at least 8 characters, please; nothing changed");
		goto out;
	}
	if ((hash = webauth_hash(p, strlen(p))) == NULL) {
		warnx("argon2id: out of memory");
		goto out;
	}
	if (webauth_save(path, hash, &err) == -1) {
		warnx("%s", err);
		goto out;
	}
	printf("password set (%s); running cc-web processes read it when they start\n",
	    path);
	rc = 0;
out:
	wipe(p);
	wipe(again);
	free(hash);
	free(err);
	free(dflt);
	return rc;
}
