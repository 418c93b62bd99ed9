/* http.c — libcurl multi on libevent.  See http.h. */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>

#include "http.h"
#include "util.h"

struct http {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
	struct http_req *reqs;		/* started, not finished */
};

struct http_req {
	struct http_req *next, *prev;
	struct http *h;
	CURL *easy;
	char *url, *method;
	struct curl_slist *hdr;
	char *body;
	size_t body_n;
	curl_mime *mime;
	long timeout_ms;
	size_t max_body;
	struct buf resp;
	bool truncated;
	struct buf headers;		/* "name\0value\0" pairs */
	char *dl_path, *dl_tmp;
	long long dl_max, dl_got;
	int dl_fd;
	bool dl_over;
	char errbuf[CURL_ERROR_SIZE];
	http_cb cb;
	void *arg;
};

struct sock {
	struct event *ev;
	curl_socket_t fd;
};

static void check_done(struct http *h);

/* ---- the glue ------------------------------------------------------------ */

static void
on_event(evutil_socket_t fd, short what, void *arg)
{
	struct http *h = arg;
	int running, flags = 0;

	if (what & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(h->multi, fd, flags, &running);
	check_done(h);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct http *h = arg;
	int running;

	(void)fd;
	(void)what;
	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(h);
}

static int
sock_cb(CURL *e, curl_socket_t fd, int what, void *userp, void *sockp)
{
	struct http *h = userp;
	struct sock *s = sockp;
	short kind;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (s) {
			event_free(s->ev);
			free(s);
			curl_multi_assign(h->multi, fd, NULL);
		}
		return 0;
	}
	kind = EV_PERSIST | (what & CURL_POLL_IN ? EV_READ : 0) |
	    (what & CURL_POLL_OUT ? EV_WRITE : 0);
	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		s->fd = fd;
		curl_multi_assign(h->multi, fd, s);
	} else
		event_free(s->ev);
	s->ev = event_new(h->base, fd, kind, on_event, h);
	if (s->ev == NULL || event_add(s->ev, NULL) == -1)
		errx(1, "http: cannot watch a socket");
	return 0;
}

static int
timer_cb(CURLM *m, long ms, void *userp)
{
	struct http *h = userp;
	struct timeval tv;

	(void)m;
	if (ms < 0) {
		evtimer_del(h->timer);
		return 0;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(h->timer, &tv);
	return 0;
}

struct http *
http_new(struct event_base *base, long max_conns)
{
	static bool inited;
	struct http *h = xcalloc(1, sizeof(*h));

	if (!inited) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
			errx(1, "curl_global_init failed");
		inited = true;
	}
	if (max_conns < 1)
		max_conns = 1;
	h->base = base;
	h->multi = curl_multi_init();
	h->timer = evtimer_new(base, on_timer, h);
	if (h->multi == NULL || h->timer == NULL)
		errx(1, "http: out of memory");
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, max_conns);
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, max_conns);
	return h;
}

/* ---- requests ------------------------------------------------------------ */

struct http_req *
http_req_new(const char *url)
{
	struct http_req *q = xcalloc(1, sizeof(*q));

	q->url = xstrdup(url);
	q->timeout_ms = 60000;
	q->max_body = 16 << 20;
	q->dl_fd = -1;
	return q;
}

void
http_req_free(struct http_req *q)
{
	if (q == NULL)
		return;
	if (q->easy)
		curl_easy_cleanup(q->easy);
	curl_slist_free_all(q->hdr);
	if (q->mime)
		curl_mime_free(q->mime);
	if (q->dl_fd != -1)
		close(q->dl_fd);
	if (q->dl_tmp) {
		unlink(q->dl_tmp);
		free(q->dl_tmp);
	}
	free(q->dl_path);
	free(q->url);
	free(q->method);
	free(q->body);
	buf_free(&q->resp);
	buf_free(&q->headers);
	free(q);
}

void
http_req_method(struct http_req *q, const char *method)
{
	free(q->method);
	q->method = xstrdup(method);
}

void
http_req_header(struct http_req *q, const char *line)
{
	struct curl_slist *n = curl_slist_append(q->hdr, line);

	if (n == NULL)
		errx(1, "http: out of memory");
	q->hdr = n;
}

void
http_req_body(struct http_req *q, const char *type, const void *p, size_t n)
{
	char *h = xasprintf("Content-Type: %s", type);

	free(q->body);
	q->body = xmalloc(n + 1);
	memcpy(q->body, p, n);
	q->body[n] = '\0';
	q->body_n = n;
	http_req_header(q, h);
	free(h);
}

void
http_req_json(struct http_req *q, const json_t *body)
{
	char *s = json_dumps(body, JSON_COMPACT);

	if (s == NULL)
		errx(1, "http: cannot encode JSON");
	http_req_body(q, "application/json", s, strlen(s));
	free(s);
}

static curl_mime *
req_mime(struct http_req *q)
{
	if (q->mime == NULL) {
		if (q->easy == NULL)
			q->easy = curl_easy_init();
		if (q->easy == NULL || (q->mime = curl_mime_init(q->easy)) == NULL)
			errx(1, "http: out of memory");
	}
	return q->mime;
}

void
http_req_part(struct http_req *q, const char *name, const char *value)
{
	curl_mimepart *p = curl_mime_addpart(req_mime(q));

	curl_mime_name(p, name);
	curl_mime_data(p, value, CURL_ZERO_TERMINATED);
}

void
http_req_part_file(struct http_req *q, const char *name, const char *path,
    const char *filename, const char *mime)
{
	curl_mimepart *p = curl_mime_addpart(req_mime(q));

	curl_mime_name(p, name);
	curl_mime_filedata(p, path);
	if (filename)
		curl_mime_filename(p, filename);
	if (mime)
		curl_mime_type(p, mime);
}

void
http_req_timeout(struct http_req *q, long ms)
{
	q->timeout_ms = ms;
}

void
http_req_max_body(struct http_req *q, size_t max)
{
	q->max_body = max;
}

void
http_req_download(struct http_req *q, const char *path, long long max)
{
	free(q->dl_path);
	q->dl_path = xstrdup(path);
	q->dl_max = max;
}

static size_t
on_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct http_req *q = arg;
	size_t n = size * nmemb;
	long status = 0;

	curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &status);
	if (q->dl_path && status >= 200 && status < 300) {
		if (q->dl_fd == -1) {
			q->dl_tmp = xasprintf("%s.XXXXXX", q->dl_path);
			q->dl_fd = mkstemp(q->dl_tmp);
			if (q->dl_fd == -1 || fchmod(q->dl_fd, 0600) == -1) {
				snprintf(q->errbuf, sizeof(q->errbuf), "%s: %s",
				    q->dl_tmp, strerror(errno));
				free(q->dl_tmp);
				q->dl_tmp = NULL;
				return 0;
			}
		}
		q->dl_got += (long long)n;
		if (q->dl_max > 0 && q->dl_got > q->dl_max) {
			q->dl_over = true;
			snprintf(q->errbuf, sizeof(q->errbuf),
			    "download larger than %lld bytes", q->dl_max);
			return 0;
		}
		if (write_all(q->dl_fd, p, n) == -1) {
			snprintf(q->errbuf, sizeof(q->errbuf), "%s: %s",
			    q->dl_tmp, strerror(errno));
			return 0;
		}
		return n;
	}
	if (q->resp.len + n > q->max_body) {
		size_t room = q->max_body > q->resp.len ? q->max_body - q->resp.len : 0;

		buf_append(&q->resp, p, room);
		q->truncated = true;
		return n;
	}
	buf_append(&q->resp, p, n);
	return n;
}

static size_t
on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct http_req *q = arg;
	size_t n = size * nmemb, i, e;

	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		buf_clear(&q->headers);	/* a new response (after 100, redirects) */
		return n;
	}
	for (i = 0; i < n && p[i] != ':'; i++)
		;
	if (i == 0 || i == n)
		return n;
	buf_append(&q->headers, p, i);
	buf_putc(&q->headers, '\0');
	for (i++; i < n && (p[i] == ' ' || p[i] == '\t'); i++)
		;
	for (e = n; e > i && (p[e - 1] == '\r' || p[e - 1] == '\n' ||
	    p[e - 1] == ' '); e--)
		;
	buf_append(&q->headers, p + i, e - i);
	buf_putc(&q->headers, '\0');
	return n;
}

const char *
http_resp_header(const struct http_resp *r, const char *name)
{
	const struct buf *b = &r->req->headers;
	const char *found = NULL;
	size_t i = 0;

	while (i < b->len) {
		const char *k = b->s + i, *v = k + strlen(k) + 1;

		if (v >= b->s + b->len)
			break;
		if (strcasecmp(k, name) == 0)
			found = v;
		i = (size_t)(v - b->s) + strlen(v) + 1;
	}
	return found;
}

struct http_req *
http_start(struct http *h, struct http_req *q, http_cb cb, void *arg)
{
	CURL *e;

	if (q->easy == NULL)
		q->easy = curl_easy_init();
	if ((e = q->easy) == NULL)
		errx(1, "http: out of memory");
	q->h = h;
	q->cb = cb;
	q->arg = arg;
	curl_easy_setopt(e, CURLOPT_URL, q->url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, q);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, q);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, q->errbuf);
	curl_easy_setopt(e, CURLOPT_PRIVATE, q);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "codecast/" CC_VERSION);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 15000L);
	if (q->timeout_ms > 0)
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, q->timeout_ms);
	if (q->hdr)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, q->hdr);
	if (q->mime)
		curl_easy_setopt(e, CURLOPT_MIMEPOST, q->mime);
	else if (q->body) {
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, q->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_n);
	}
	if (q->method)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, q->method);
	q->next = h->reqs;
	if (h->reqs)
		h->reqs->prev = q;
	h->reqs = q;
	if (curl_multi_add_handle(h->multi, e) != CURLM_OK)
		errx(1, "http: curl_multi_add_handle failed");
	return q;
}

static void
unlink_req(struct http *h, struct http_req *q)
{
	if (q->prev)
		q->prev->next = q->next;
	else
		h->reqs = q->next;
	if (q->next)
		q->next->prev = q->prev;
	curl_multi_remove_handle(h->multi, q->easy);
}

void
http_cancel(struct http *h, struct http_req *q)
{
	unlink_req(h, q);
	http_req_free(q);
}

static void
check_done(struct http *h)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		struct http_req *q = NULL;
		struct http_resp r = { 0 };
		CURLcode rc;

		if (m->msg != CURLMSG_DONE)
			continue;
		rc = m->data.result;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&q);
		unlink_req(h, q);
		curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &r.status);
		r.curl_code = (int)rc;
		r.error = rc == CURLE_OK ? "" :
		    q->errbuf[0] ? q->errbuf : curl_easy_strerror(rc);
		if (q->dl_fd != -1) {
			if (close(q->dl_fd) == -1 && rc == CURLE_OK) {
				rc = CURLE_WRITE_ERROR;
				r.curl_code = (int)rc;
				r.error = "closing the download failed";
			}
			q->dl_fd = -1;
		}
		if (q->dl_path && rc == CURLE_OK && r.status >= 200 && r.status < 300) {
			if (q->dl_tmp == NULL) {	/* empty body: an empty file */
				q->dl_tmp = xasprintf("%s.XXXXXX", q->dl_path);
				int fd = mkstemp(q->dl_tmp);

				if (fd == -1) {
					free(q->dl_tmp);
					q->dl_tmp = NULL;
				} else {
					fchmod(fd, 0600);
					close(fd);
				}
			}
			if (q->dl_tmp == NULL || rename(q->dl_tmp, q->dl_path) == -1) {
				snprintf(q->errbuf, sizeof(q->errbuf), "%s: %s",
				    q->dl_path, strerror(errno));
				r.curl_code = CURLE_WRITE_ERROR;
				r.error = q->errbuf;
			} else {
				free(q->dl_tmp);
				q->dl_tmp = NULL;
			}
		}
		r.body = q->resp.s ? q->resp.s : "";
		r.body_len = q->resp.len;
		r.truncated = q->truncated;
		r.req = q;
		q->cb(q->arg, &r);
		http_req_free(q);
	}
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	while (h->reqs)
		http_cancel(h, h->reqs);
	curl_multi_cleanup(h->multi);
	event_free(h->timer);
	free(h);
}
