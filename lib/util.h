/* util.h — allocation that cannot fail silently, growable buffers, small
 * string helpers.  Allocation failure is fatal (err(3) style), as in most
 * Unix tools: there is nothing useful a command can do without memory. */
#ifndef CC_UTIL_H
#define CC_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap);

/* A growable byte buffer; always NUL-terminated after any append.  s[0..len)
 * is the data.  It is also a cheap FIFO: buf_consume drops bytes from the
 * front by moving s forward (off bytes past the allocation's start), and the
 * data is moved back only when the buffer has to grow, so draining a queue
 * costs O(1) per call instead of a memmove of everything behind. */
struct buf {
	char *s;
	size_t len, cap;	/* cap: the allocation, counted from s - off */
	size_t off;
};
void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_consume(struct buf *b, size_t n);	/* drop the first n bytes, O(1) */
void buf_clear(struct buf *b);			/* empty it, keeping the memory */
char *buf_steal(struct buf *b);			/* return s (never NULL), reset b */
void buf_free(struct buf *b);

/* Read a whole file (at most max bytes, 0 = no limit).  Returns 0, or -1
 * with errno set (EFBIG when larger than max). */
int read_file(const char *path, size_t max, struct buf *out);
/* Read an fd to EOF, same contract. */
int read_fd(int fd, size_t max, struct buf *out);
/* write(2) everything, retrying on EINTR and short writes. */
int write_all(int fd, const void *p, size_t n);

/* Strip leading and trailing ASCII white space in place; returns s. */
char *str_trim(char *s);
bool str_starts(const char *s, const char *prefix);
bool str_ends(const char *s, const char *suffix);
/* Parse a whole decimal integer within [min, max]; false when it is not one. */
bool str_to_ll(const char *s, long long min, long long max, long long *out);

/* Length of the longest prefix of s[0..n) that does not end inside a UTF-8
 * sequence: cutting there never splits a character. */
size_t utf8_cut(const char *s, size_t n);

/* s made safe for a log line or a terminal: bytes below 0x20, 0x7f and a
 * backslash become \xHH (\\ for the backslash), so a newline or an escape
 * sequence in client data cannot forge a line or drive the terminal; UTF-8
 * is kept.  At most max bytes of s are used ("..." marks a cut; 0: no
 * limit).  malloc'd. */
char *str_escape(const char *s, size_t max);

/* Milliseconds on the monotonic clock (for timeouts and intervals). */
long long monotonic_ms(void);
/* Sleep ms milliseconds, resuming after signals. */
void sleep_ms(long ms);

/* Now as UTC ISO-8601 with microseconds: 2026-03-29T10:00:00.123456+00:00.
 * Returns a malloc'd string. */
char *iso8601_now(void);

#endif
