/* sse.c — see sse.h. */
#include "sse.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define SSE_DEFAULT_MAX ((size_t)64 << 20)

void
sse_init(struct sse_parser *p, size_t max, sse_event_fn fn, void *arg)
{
	memset(p, 0, sizeof(*p));
	p->fn = fn;
	p->arg = arg;
	p->max = max ? max : SSE_DEFAULT_MAX;
	p->retry = -1;
}

void
sse_free(struct sse_parser *p)
{
	buf_free(&p->line);
	buf_free(&p->data);
	buf_free(&p->type);
	buf_free(&p->id);
}

bool
sse_pending(const struct sse_parser *p)
{
	return p->line.len > 0 || p->data.len > 0 || p->type.len > 0 ||
	    p->skip_line || p->skip_event || (p->bom_seen > 0 && !p->bom_done);
}

static void
buf_set(struct buf *b, const char *s, size_t n)
{
	buf_clear(b);
	buf_append(b, s, n);
}

/* Hand the event with this data to the callback and start the next. */
static int
dispatch_one(struct sse_parser *p, const char *data, size_t len)
{
	struct sse_event ev;
	int r;

	ev.data = data;
	ev.data_len = len;
	ev.type = p->type.len ? p->type.s : "message";
	ev.id = p->id.len ? p->id.s : "";
	ev.retry = p->retry;
	r = p->fn(p->arg, &ev);
	if (p->type.len)
		buf_clear(&p->type);
	return r;
}

static int
dispatch(struct sse_parser *p)
{
	int r = 0;

	if (p->skip_event) {
		p->skip_event = false;
	} else if (p->data.len > 0) {
		p->data.len--;			/* the last "\n" */
		p->data.s[p->data.len] = '\0';
		r = dispatch_one(p, p->data.s, p->data.len);
	}
	buf_clear(&p->data);
	buf_clear(&p->type);
	return r;
}

static bool
parse_retry(const char *v, size_t n, long *out)
{
	long x = 0;
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		if (x > (LONG_MAX - 9) / 10)
			return false;
		x = x * 10 + (v[i] - '0');
	}
	*out = x;
	return true;
}

/* One complete line (without its end).  Returns 0, SSE_TOO_LONG or the
 * callback's value. */
static int
process_line(struct sse_parser *p, const char *line, size_t len)
{
	const char *colon, *v;
	size_t flen, vlen;

	if (len == 0)
		return dispatch(p);
	if (line[0] == ':' || p->skip_event)
		return 0;
	if (len >= 6 && memcmp(line, "data: ", 6) == 0) {
		/* The common line, without the general field split. */
		flen = 4;
		v = line + 6;
		vlen = len - 6;
		goto data;
	}
	colon = memchr(line, ':', len);
	if (colon) {
		flen = (size_t)(colon - line);
		v = colon + 1;
		vlen = len - flen - 1;
		if (vlen > 0 && *v == ' ') {
			v++;
			vlen--;
		}
	} else {
		flen = len;
		v = line + len;
		vlen = 0;
	}
	if (flen == 4 && memcmp(line, "data", 4) == 0) {
data:
		if (vlen + 1 > p->max - p->data.len) {
			buf_clear(&p->data);
			p->skip_event = true;
			return SSE_TOO_LONG;
		}
		buf_reserve(&p->data, vlen + 1);
		memcpy(p->data.s + p->data.len, v, vlen);
		p->data.len += vlen;
		p->data.s[p->data.len++] = '\n';
		p->data.s[p->data.len] = '\0';
	} else if (flen == 5 && memcmp(line, "event", 5) == 0) {
		buf_set(&p->type, v, vlen);
	} else if (flen == 2 && memcmp(line, "id", 2) == 0) {
		if (memchr(v, '\0', vlen) == NULL)
			buf_set(&p->id, v, vlen);
	} else if (flen == 5 && memcmp(line, "retry", 5) == 0) {
		long r;

		if (parse_retry(v, vlen, &r))
			p->retry = r;
	}
	return 0;
}

static int
feed_body(struct sse_parser *p, const char *s, size_t n)
{
	int err = SSE_OK, r;
	/* The next CR in the chunk, searched once and again only when passed:
	 * most streams have none, and then each line costs one memchr. */
	const char *next_cr = NULL;
	bool cr_known = false;

	if (p->cr && n > 0) {
		p->cr = false;
		if (s[0] == '\n') {
			s++;
			n--;
		}
	}
	while (n > 0) {
		const char *lf = s[0] == '\n' ? s : memchr(s, '\n', n);
		const char *cr = NULL, *end;
		size_t len, adv;

		if (!cr_known || (next_cr && next_cr < s)) {
			next_cr = memchr(s, '\r', n);
			cr_known = true;
		}
		/* The common event, "data: X\n\n" whole in this chunk with
		 * nothing of its event before it: handed over in place, with
		 * neither a copy nor a second look at its line. */
		if (lf != NULL && (size_t)(lf - s) + 1 < n && lf[1] == '\n' &&
		    (next_cr == NULL || next_cr > lf) && lf - s >= 5 &&
		    s[0] == 'd' && s[1] == 'a' &&
		    s[2] == 't' && s[3] == 'a' && s[4] == ':' && p->line.len == 0 &&
		    p->data.len == 0 && !p->skip_line && !p->skip_event &&
		    (size_t)(lf - s) <= p->max) {
			const char *v = s + 5 + (s[5] == ' ');

			r = dispatch_one(p, v, (size_t)(lf - v));
			adv = (size_t)(lf - s) + 2;
			s += adv;
			n -= adv;
			if (r != 0)
				return r;
			continue;
		}
		if (next_cr && (lf == NULL || next_cr < lf))
			cr = next_cr;
		end = cr ? cr : lf;

		if (end == NULL) {
			/* No line end in what is left: keep it for later. */
			if (p->skip_line)
				return err;
			if (n > p->max - p->line.len) {
				buf_clear(&p->line);
				p->skip_line = true;
				p->skip_event = true;
				buf_clear(&p->data);
				return SSE_TOO_LONG;
			}
			buf_append(&p->line, s, n);
			return err;
		}
		len = (size_t)(end - s);
		adv = len + 1;
		if (cr) {
			if (adv < n) {
				if (s[adv] == '\n')
					adv++;
			} else
				p->cr = true;
		}
		r = 0;
		if (p->skip_line) {
			p->skip_line = false;
		} else if (p->line.len > 0) {
			if (len > p->max - p->line.len) {
				p->skip_event = true;
				buf_clear(&p->data);
				r = SSE_TOO_LONG;
			} else {
				buf_append(&p->line, s, len);
				r = process_line(p, p->line.s, p->line.len);
			}
			buf_clear(&p->line);
		} else if (len > p->max) {
			p->skip_event = true;
			buf_clear(&p->data);
			r = SSE_TOO_LONG;
		} else
			r = process_line(p, s, len);
		s += adv;
		n -= adv;
		if (r == SSE_TOO_LONG)
			err = r;
		else if (r != 0)
			return r;
	}
	return err;
}

int
sse_feed(struct sse_parser *p, const char *s, size_t n)
{
	static const unsigned char bom[3] = { 0xEF, 0xBB, 0xBF };

	while (!p->bom_done && n > 0) {
		if ((unsigned char)*s == bom[p->bom_seen]) {
			s++;
			n--;
			if (++p->bom_seen == sizeof(bom))
				p->bom_done = true;
			continue;
		}
		p->bom_done = true;
		if (p->bom_seen > 0) {
			/* Not a BOM after all: those bytes were content
			 * (they hold no line end, so no event can fire). */
			int r = feed_body(p, (const char *)bom, p->bom_seen);

			if (r != 0)
				return r;
		}
	}
	if (n == 0)
		return SSE_OK;
	return feed_body(p, s, n);
}
