/* outq.h — output written by a thread of its own.
 *
 * A producer that parses a stream and a write(2) to a file or a pipe take
 * turns on one core; with an outq they overlap, the way `curl | grep` is two
 * processes.  The producer fills a struct buf and hands it over with
 * outq_put(), which swaps buffers and returns at once; the writer thread
 * writes the bytes in the order they were put.  Nothing is held back: the
 * writer starts on a put as soon as it is idle, so an event reaches the
 * file descriptor as fast as with a direct write.
 *
 * Backpressure: outq_put() waits while more than the limit is waiting to be
 * written.  Errors: a failed write stops the writer; the next outq_put() or
 * outq_drain() returns -1 with errno set from that write (EPIPE for a
 * reader that left), and what was still queued is dropped. */
#ifndef CC_OUTQ_H
#define CC_OUTQ_H

#include <stddef.h>

#include "util.h"

struct outq;

/* A writer thread for fd.  limit: bytes that may wait (0: 8 MiB).  NULL
 * with errno set when the thread cannot be started. */
struct outq *outq_open(int fd, size_t limit);
/* Hand b's bytes to the writer; b comes back empty (its storage may be
 * another buffer's).  0, or -1 with errno after an earlier failed write. */
int outq_put(struct outq *q, struct buf *b);
/* Wait until everything put has been written.  0, or -1 with errno. */
int outq_drain(struct outq *q);
/* Drain, stop the thread and free q.  Returns as outq_drain(). */
int outq_close(struct outq *q);

#endif
