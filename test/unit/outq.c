/* Unit tests for lib/outq.c: bytes arrive whole and in order through a
 * slow reader, a put waits instead of queueing without bound, drain means
 * written, and a failed write (EPIPE) is reported to the producer. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "outq.h"
#include "tap.h"
#include "util.h"

struct reader {
	int fd;
	bool slow;		/* pause now and then, so puts pile up */
	struct buf got;
};

static void *
read_all(void *arg)
{
	struct reader *r = arg;
	char tmp[4096];
	ssize_t n;
	unsigned i = 0;

	while ((n = read(r->fd, tmp, sizeof(tmp))) > 0) {
		buf_append(&r->got, tmp, (size_t)n);
		if (r->slow && ++i % 64 == 0)
			usleep(1000);
	}
	return NULL;
}

/* The expected text: numbered lines of varying length. */
static void
put_lines(struct outq *q, struct buf *want, int nlines, int *failures)
{
	struct buf b = { 0 };

	for (int i = 0; i < nlines; i++) {
		size_t at = b.len;

		buf_printf(&b, "%d:", i);
		for (int k = 0; k < i % 97; k++)
			buf_putc(&b, (char)('a' + (i + k) % 26));
		buf_putc(&b, '\n');
		buf_append(want, b.s + at, b.len - at);
		if (i % 7 == 0 && outq_put(q, &b) != 0)
			(*failures)++;
	}
	if (outq_put(q, &b) != 0)
		(*failures)++;
	ok(b.len == 0, "a put leaves the producer's buffer empty");
	buf_free(&b);
}

static void
test_order(size_t limit, bool slow, const char *name)
{
	int p[2], failures = 0;
	struct reader r = { 0 };
	struct buf want = { 0 };
	pthread_t t;
	struct outq *q;

	if (pipe(p) != 0)
		abort();
	r.fd = p[0];
	r.slow = slow;
	pthread_create(&t, NULL, read_all, &r);
	q = outq_open(p[1], limit);
	ok(q != NULL, "outq_open");
	put_lines(q, &want, 40000, &failures);
	is_int(outq_close(q), 0, "close: everything written");
	is_int(failures, 0, "no put failed");
	close(p[1]);
	pthread_join(t, NULL);
	close(p[0]);
	ok(r.got.len == want.len && memcmp(r.got.s, want.s, want.len) == 0,
	    name);
	buf_free(&r.got);
	buf_free(&want);
}

struct producer {
	struct outq *q;
	atomic_int puts;
	int total;
	int failures;
};

static void *
produce(void *arg)
{
	struct producer *pr = arg;
	struct buf b = { 0 };

	for (int i = 0; i < pr->total; i++) {
		for (int k = 0; k < 4096; k++)
			buf_putc(&b, (char)('0' + i % 10));
		if (outq_put(pr->q, &b) != 0)
			pr->failures++;
		atomic_fetch_add(&pr->puts, 1);
	}
	buf_free(&b);
	return NULL;
}

/* Nobody reads the pipe at first: the pipe (64 KiB), the buffer being
 * written and the limit fill, then the producer must wait. */
static void
test_backpressure(void)
{
	int p[2];
	struct producer pr = { .total = 256 };	/* 1 MiB */
	struct reader r = { 0 };
	pthread_t tp, tr;
	int done;

	if (pipe(p) != 0)
		abort();
	pr.q = outq_open(p[1], 16384);
	pthread_create(&tp, NULL, produce, &pr);
	usleep(300 * 1000);
	done = atomic_load(&pr.puts);
	ok(done < pr.total / 4, "a producer ahead of its reader waits");
	if (done >= pr.total / 4)
		printf("#   %d of %d puts returned\n", done, pr.total);
	r.fd = p[0];
	pthread_create(&tr, NULL, read_all, &r);
	pthread_join(tp, NULL);
	is_int(outq_close(pr.q), 0, "then everything is written");
	close(p[1]);
	pthread_join(tr, NULL);
	close(p[0]);
	is_int(r.got.len, 256 * 4096, "all of it arrives");
	is_int(pr.failures, 0, "no put failed");
	buf_free(&r.got);
}

static void
test_drain(void)
{
	int p[2], fl;
	struct buf b = { 0 };
	char tmp[256];
	ssize_t n;
	struct outq *q;

	if (pipe(p) != 0)
		abort();
	fl = fcntl(p[0], F_GETFL);
	fcntl(p[0], F_SETFL, fl | O_NONBLOCK);
	q = outq_open(p[1], 0);
	buf_puts(&b, "{\"type\":\"partial\"}\n");
	outq_put(q, &b);
	is_int(outq_drain(q), 0, "drain");
	n = read(p[0], tmp, sizeof(tmp));
	is_int(n, 19, "after a drain the bytes are in the pipe");
	buf_puts(&b, "x\n");
	outq_put(q, &b);
	is_int(outq_close(q), 0, "close drains too");
	n = read(p[0], tmp, sizeof(tmp));
	is_int(n, 2, "after a close the bytes are in the pipe");
	buf_free(&b);
	close(p[0]);
	close(p[1]);
}

static void
test_epipe(void)
{
	int p[2], r1, r2, e1, e2, i;
	struct buf b = { 0 };
	struct outq *q;

	signal(SIGPIPE, SIG_IGN);
	if (pipe(p) != 0)
		abort();
	close(p[0]);
	q = outq_open(p[1], 0);
	buf_puts(&b, "lost\n");
	outq_put(q, &b);
	r1 = outq_drain(q);
	e1 = errno;
	is_int(r1, -1, "a write to a pipe with no reader fails");
	is_int(e1, EPIPE, "with EPIPE");
	buf_puts(&b, "more\n");
	for (i = 0, r2 = 0; i < 3 && r2 == 0; i++)
		r2 = outq_put(q, &b);
	e2 = errno;
	ok(r2 == -1 && e2 == EPIPE, "later puts fail the same way");
	ok(b.len == 0, "and do not keep the bytes");
	r2 = outq_close(q);
	e2 = errno;
	ok(r2 == -1 && e2 == EPIPE, "close reports it too");
	close(p[1]);
	buf_free(&b);
}

int
main(void)
{
	test_order(0, false, "40,000 lines in order (default limit)");
	test_order(1024, true, "40,000 lines in order through a slow reader "
	    "(small limit)");
	test_backpressure();
	test_drain();
	test_epipe();
	return tap_done();
}
