/* outq.c — see outq.h.  Three buffers circulate without copies in the
 * common case: the producer's, the one waiting (pending) and the one being
 * written (cur); a put onto a non-empty pending appends instead. */
#include "outq.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#define OUTQ_DEFAULT_LIMIT	((size_t)8 << 20)

struct outq {
	int fd;
	size_t limit;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t work;	/* pending has bytes, or stop */
	pthread_cond_t room;	/* pending shrank, or a write ended */
	struct buf pending;	/* put, not yet taken by the writer */
	struct buf cur;		/* being written (writer's, outside mu) */
	bool busy;		/* the writer holds cur */
	bool stop;
	int err;		/* errno of the failed write, 0: none */
};

static void
buf_swap(struct buf *a, struct buf *b)
{
	struct buf t = *a;

	*a = *b;
	*b = t;
}

static void *
writer(void *arg)
{
	struct outq *q = arg;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		int r, e;

		while (q->pending.len == 0 && !q->stop)
			pthread_cond_wait(&q->work, &q->mu);
		if (q->pending.len == 0)
			break;		/* stopping, all written */
		buf_swap(&q->cur, &q->pending);
		q->busy = true;
		pthread_cond_broadcast(&q->room);
		pthread_mutex_unlock(&q->mu);

		r = write_all(q->fd, q->cur.s, q->cur.len);
		e = errno;
		buf_clear(&q->cur);

		pthread_mutex_lock(&q->mu);
		q->busy = false;
		if (r == -1) {
			q->err = e;
			buf_clear(&q->pending);
			q->stop = true;
		}
		pthread_cond_broadcast(&q->room);
		if (q->stop && q->err)
			break;
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

struct outq *
outq_open(int fd, size_t limit)
{
	struct outq *q = xcalloc(1, sizeof(*q));
	sigset_t all, old;
	int e;

	q->fd = fd;
	q->limit = limit ? limit : OUTQ_DEFAULT_LIMIT;
	if ((e = pthread_mutex_init(&q->mu, NULL)) != 0)
		goto fail;
	if ((e = pthread_cond_init(&q->work, NULL)) != 0) {
		pthread_mutex_destroy(&q->mu);
		goto fail;
	}
	if ((e = pthread_cond_init(&q->room, NULL)) != 0) {
		pthread_cond_destroy(&q->work);
		pthread_mutex_destroy(&q->mu);
		goto fail;
	}
	/* The writer takes no signals: they stay with the caller's threads
	 * (a write to a closed pipe then fails with EPIPE; see outq_put). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&q->thread, NULL, writer, q);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		pthread_cond_destroy(&q->room);
		pthread_cond_destroy(&q->work);
		pthread_mutex_destroy(&q->mu);
		goto fail;
	}
	return q;
fail:
	free(q);
	errno = e;
	return NULL;
}

int
outq_put(struct outq *q, struct buf *b)
{
	int r = 0;

	pthread_mutex_lock(&q->mu);
	while (q->err == 0 && q->pending.len > 0 &&
	    q->pending.len + b->len > q->limit)
		pthread_cond_wait(&q->room, &q->mu);
	if (q->err) {
		errno = q->err;
		r = -1;
	} else if (b->len == 0) {
		/* nothing to add */
	} else if (q->pending.len == 0) {
		buf_swap(&q->pending, b);
		pthread_cond_signal(&q->work);
	} else
		buf_append(&q->pending, b->s, b->len);
	pthread_mutex_unlock(&q->mu);
	buf_clear(b);
	return r;
}

int
outq_drain(struct outq *q)
{
	int r = 0;

	pthread_mutex_lock(&q->mu);
	while (q->err == 0 && (q->pending.len > 0 || q->busy))
		pthread_cond_wait(&q->room, &q->mu);
	if (q->err) {
		errno = q->err;
		r = -1;
	}
	pthread_mutex_unlock(&q->mu);
	return r;
}

int
outq_close(struct outq *q)
{
	int r, e;

	if (q == NULL)
		return 0;
	r = outq_drain(q);
	e = errno;
	pthread_mutex_lock(&q->mu);
	q->stop = true;
	pthread_cond_signal(&q->work);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->thread, NULL);
	pthread_cond_destroy(&q->room);
	pthread_cond_destroy(&q->work);
	pthread_mutex_destroy(&q->mu);
	buf_free(&q->pending);
	buf_free(&q->cur);
	free(q);
	errno = e;
	return r;
}
