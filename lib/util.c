/* util.c — see util.h. */
#include "util.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		err(1, "malloc");
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		err(1, "calloc");
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		err(1, "realloc");
	return q;
}

void *
xreallocarray(void *p, size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size) {
		errno = ENOMEM;
		err(1, "reallocarray");
	}
	return xrealloc(p, nmemb * size);
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		err(1, "strdup");
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p == NULL)
		err(1, "strndup");
	return p;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		err(1, "vasprintf");
	return s;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

void
buf_reserve(struct buf *b, size_t extra)
{
	size_t need;

	if (extra > SIZE_MAX / 4 - b->len)
		errx(1, "buffer too large");
	need = b->len + extra + 1;		/* room wanted from s on */
	if (b->off + need > b->cap) {
		char *base = b->s ? b->s - b->off : NULL;
		if (base && need * 2 <= b->cap) {
			/* plenty of room once the consumed front is reused */
			memmove(base, b->s, b->len);
		} else {
			size_t cap = b->cap ? b->cap : 64;
			while (cap < need * 2)
				cap *= 2;
			if (base && b->off)
				memmove(base, b->s, b->len);
			base = xrealloc(base, cap);
			b->cap = cap;
		}
		b->s = base;
		b->off = 0;
	}
	b->s[b->len] = '\0';	/* a fresh buffer is a valid empty string too */
}

void
buf_append(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	if (n)
		memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void
buf_putc(struct buf *b, char c)
{
	buf_append(b, &c, 1);
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	buf_puts(b, s);
	free(s);
}

void
buf_consume(struct buf *b, size_t n)
{
	if (b->s == NULL)
		return;
	if (n >= b->len) {
		b->s -= b->off;		/* empty: start over at the front */
		b->off = 0;
		b->len = 0;
	} else {
		b->s += n;
		b->off += n;
		b->len -= n;
	}
	b->s[b->len] = '\0';
}

void
buf_clear(struct buf *b)
{
	buf_consume(b, b->len);
}

char *
buf_steal(struct buf *b)
{
	char *s;

	buf_reserve(b, 0);
	if (b->off) {
		memmove(b->s - b->off, b->s, b->len + 1);
		b->s -= b->off;
		b->off = 0;
	}
	s = b->s;
	b->s = NULL;
	b->len = b->cap = b->off = 0;
	return s;
}

void
buf_free(struct buf *b)
{
	if (b->s)
		free(b->s - b->off);
	b->s = NULL;
	b->len = b->cap = b->off = 0;
}

int
read_fd(int fd, size_t max, struct buf *out)
{
	for (;;) {
		buf_reserve(out, 65536);
		size_t room = out->cap - out->off - out->len - 1;
		ssize_t n = read(fd, out->s + out->len, room);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		out->s[out->len] = '\0';
		if (max && out->len > max) {
			errno = EFBIG;
			return -1;
		}
	}
	return 0;
}

int
read_file(const char *path, size_t max, struct buf *out)
{
	int fd, rc, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	rc = read_fd(fd, max, out);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

char *
str_trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
		i++;
	if (i)
		memmove(s, s + i, n - i + 1);
	return s;
}

bool
str_starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool
str_ends(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

bool
str_to_ll(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

size_t
utf8_cut(const char *s, size_t n)
{
	size_t i = n, back = 0;

	/* Walk back over continuation bytes (at most 3) to a lead byte. */
	while (i > 0 && back < 4 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) {
		i--;
		back++;
	}
	if (i == 0)
		return back ? 0 : n;
	unsigned char lead = (unsigned char)s[i - 1];
	size_t want;
	if (lead < 0x80)
		return n;			/* ASCII before the continuation run */
	else if ((lead & 0xE0) == 0xC0)
		want = 2;
	else if ((lead & 0xF0) == 0xE0)
		want = 3;
	else if ((lead & 0xF8) == 0xF0)
		want = 4;
	else
		return n;			/* invalid lead: not ours to fix */
	if (back + 1 >= want)
		return n;			/* sequence complete */
	return i - 1;				/* cut before the incomplete sequence */
}

long long
monotonic_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		err(1, "clock_gettime");
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

char *
iso8601_now(void)
{
	struct timespec ts;
	struct tm tm;
	char date[32];

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		err(1, "clock_gettime");
	if (gmtime_r(&ts.tv_sec, &tm) == NULL)
		err(1, "gmtime_r");
	if (strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		errx(1, "strftime");
	return xasprintf("%s.%06ld+00:00", date, ts.tv_nsec / 1000);
}

char *
str_escape(const char *s, size_t max)
{
	struct buf b = { 0 };
	size_t n = strlen(s), i;
	bool cut = false;

	if (max && n > max) {
		n = utf8_cut(s, max);
		cut = true;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\')
			buf_puts(&b, "\\\\");
		else if (c < 0x20 || c == 0x7f)
			buf_printf(&b, "\\x%02x", c);
		else
			buf_putc(&b, (char)c);
	}
	if (cut)
		buf_puts(&b, "...");
	return buf_steal(&b);
}
