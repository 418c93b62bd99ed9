/* discord_rl.h — Discord's REST rate limits, learnt from its answers
 * (reference upstream-platforms.md §1b; Discord's "Rate Limits" topic).
 *
 * A request's route is its method and path with the minor ids replaced
 * ("PATCH /channels/{}/messages/:id") and its major parameter kept apart
 * (the channel, guild, or webhook id and token).  Discord answers with
 * X-RateLimit-Bucket (an opaque id shared by routes that share a limit),
 * -Limit, -Remaining and -Reset-After; the limit applies per bucket and
 * major parameter.  This module keeps route → bucket and, per bucket and
 * major, how many calls remain until when, and answers "may this request
 * go now, or in how many ms": a request that goes is counted at once, so
 * concurrent requests never overrun a bucket.  A 429 sets the bucket (or,
 * when global, every route but the exempt interaction callbacks) waiting
 * for retry_after.  A route never seen goes at once (its first answer
 * teaches the bucket); a bucket's window that has passed is full again.
 *
 * Pure bookkeeping over a clock the caller passes in (ms): no I/O. */
#ifndef CC_DISCORD_RL_H
#define CC_DISCORD_RL_H

#include <stdbool.h>

struct dc_rl;

/* What one answer said (strings as received, NULL when absent). */
struct dc_rl_answer {
	long status;			/* HTTP status */
	const char *bucket;		/* X-RateLimit-Bucket */
	const char *limit;		/* X-RateLimit-Limit */
	const char *remaining;		/* X-RateLimit-Remaining */
	const char *reset_after;	/* X-RateLimit-Reset-After (s) */
	const char *global;		/* X-RateLimit-Global */
	const char *scope;		/* X-RateLimit-Scope */
	double retry_after;		/* a 429's body (s), else 0 */
	bool body_global;		/* a 429's body "global": true */
};

struct dc_rl *dc_rl_new(void);
void dc_rl_free(struct dc_rl *rl);

/* The route and major parameter of method and path (the path after the API
 * base, "/channels/1/messages/2?x"), both malloc'd.  *exempt is set for
 * the interaction callback, which the global limit does not count. */
void dc_route(const char *method, const char *path, char **route, char **major,
    bool *exempt);

/* 0: the request may go now (and is counted); else the ms to wait. */
long long dc_rl_acquire(struct dc_rl *rl, const char *method, const char *path,
    long long now);
/* The ms a request would wait, without counting it. */
long long dc_rl_peek(struct dc_rl *rl, const char *method, const char *path,
    long long now);
/* Learn from the answer to a request that went. */
void dc_rl_learn(struct dc_rl *rl, const char *method, const char *path,
    const struct dc_rl_answer *a, long long now);

/* 429s seen so far (benchmarks). */
unsigned long dc_rl_429s(const struct dc_rl *rl);

#endif
